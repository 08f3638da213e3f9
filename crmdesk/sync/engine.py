"""The sync engine: pull → decide → guard → push → commit per record, for one account (DESIGN §6).

Runs in a worker thread, never on the GUI thread; talks to the store only through short write transactions, one per
record, so a crash or a kill at any instant loses nothing and the next run repeats nothing twice:

- Pull: the connector's changes since the account's cursor (everything on the first run), page by page; each
  remote record is decided against its link's base and the local record, and carried out at once.
- Push: the account's outbox — local records created, changed or deleted since their link's base.
- Guard: deletions (both ways) are collected, not carried out, until the pull and the push are through; if they
  would delete more than the guard allows, the run stops before deleting anything.
- Commit: a record's local write, its link and its conflicts go in one transaction, after the remote write. If the
  user changed the record while its remote write was on the way, the local write is skipped and the record stays
  in the outbox: the next run merges the user's edit with what the remote now holds.

Everything is compared in *sync fields* (crmdesk.domain.merge) after normalising both sides through the local
record model, so a remote "0751 1234" and a local "+497511234" are one value and never a change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from crmdesk.connectors.base import Connector, RemoteChanged, RemoteItem, parse_ref, ref
from crmdesk.domain import validate
from crmdesk.domain.accounts import AccountRecord, AccountState, Policy
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.merge import FieldConflict, Fields, Side, Value, clean, dumps, loads
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, Record, TouchpointRecord, new_id
from crmdesk.errors import (
    Cancelled,
    MassDeleteStopped,
    RemoteError,
    RemoteNotFound,
    RemoteRejected,
    SignInRequired,
    ValidationError,
)
from crmdesk.store import accounts as account_rows
from crmdesk.store import common, companies, conflicts, links, people, touchpoints
from crmdesk.store.engine import Store
from crmdesk.sync.plan import decide
from crmdesk.sync.prefetch import prefetched
from crmdesk.tasks import CancelToken, Progress, no_progress

log = logging.getLogger(__name__)

GUARD_SHARE = 0.10
GUARD_MIN = 5


@dataclass
class EntityCounts:
    """What one run did to one entity type."""

    created_local: int = 0
    updated_local: int = 0
    deleted_local: int = 0
    created_remote: int = 0
    updated_remote: int = 0
    deleted_remote: int = 0
    conflicts: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return (
            self.created_local
            + self.updated_local
            + self.deleted_local
            + self.created_remote
            + self.updated_remote
            + self.deleted_remote
        )


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record this run could not sync; the rest went on. `name` is how the user knows it."""

    entity: Entity
    name: str
    message: str
    local_id: str = ""
    remote_id: str = ""


@dataclass
class SyncReport:
    """The outcome of one run: counts per entity type, skipped records, and the local changes to announce."""

    account_id: str
    counts: dict[Entity, EntityCounts] = field(default_factory=dict)
    problems: list[RecordProblem] = field(default_factory=list)
    changes: list[ChangeSet] = field(default_factory=list)
    requests: int = 0

    def of(self, entity: Entity) -> EntityCounts:
        return self.counts.setdefault(entity, EntityCounts())

    @property
    def conflicts(self) -> int:
        return sum(c.conflicts for c in self.counts.values())

    def summary(self) -> str:
        """One line for the status bar: "3 received, 1 sent, 1 conflict"."""
        received = sum(c.created_local + c.updated_local + c.deleted_local for c in self.counts.values())
        sent = sum(c.created_remote + c.updated_remote + c.deleted_remote for c in self.counts.values())
        parts = [f"{received} received", f"{sent} sent"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflict{'s' if self.conflicts != 1 else ''}")
        if self.problems:
            parts.append(f"{len(self.problems)} skipped")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Deferred:
    """A deletion the guard must see before it happens."""

    entity: Entity
    local_id: str
    remote_id: str
    seq: int
    remote: bool  # True: delete the remote record; False: delete the local one
    version: str = ""  # the remote record's version when it was decided (a conditional delete)


class SyncEngine:
    """One run for one account. Make a new engine per run.

    Args:
        store: The local store.
        account: The account (its policy decides conflicts).
        connector: The remote side, already signed in.
        region: Default phone region for normalising.
        cancel: Checked between records.
        progress: progress(done, total, text).
        allow_mass_delete: The user confirmed the deletions the guard stopped last time.
        guard_share: Largest share of an account's linked records a run may delete without asking...
        guard_min: ...once it deletes more than this many.
        crash_after_push: Tests only: raise after the n-th remote write, before its local commit.
        crash_before_push: Tests only: raise once the n-th update is marked as sent, before its request goes out.
    """

    def __init__(
        self,
        store: Store,
        account: AccountRecord,
        connector: Connector,
        *,
        region: str = "DE",
        cancel: CancelToken | None = None,
        progress: Progress = no_progress,
        allow_mass_delete: bool = False,
        guard_share: float = GUARD_SHARE,
        guard_min: int = GUARD_MIN,
        crash_after_push: int | None = None,
        crash_before_push: int | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self.connector = connector
        self.region = region
        self.cancel = cancel or CancelToken()
        self.progress = progress
        self.allow_mass_delete = allow_mass_delete
        self.guard_share = guard_share
        self.guard_min = guard_min
        self.report = SyncReport(account.id)
        self._deferred: list[_Deferred] = []
        self._handled: set[tuple[Entity, str]] = set()  # decided this run: the push phase leaves them alone
        self._cursors: dict[Entity, str] = {}
        self._pulling = False
        self._pull_problems: set[Entity] = set()  # entities whose pull skipped a record: their cursor stays
        self._done = 0
        self._pushes = 0
        self._crash_after_push = crash_after_push
        self._crash_before_push = crash_before_push
        # local id ⇄ remote id per referenced entity type, kept current as the run links records
        self._to_remote: dict[Entity, dict[str, str]] = {}
        self._to_local: dict[Entity, dict[str, str]] = {}
        self._looked_up: set[tuple[Entity, str]] = set()  # in-flight creates find_created did not find this run
        self._written: set[tuple[Entity, str]] = set()  # remote ids this run's writes made or moved to

    # ---- the run -------------------------------------------------------------------------------------------

    def run(self) -> SyncReport:
        """Sync every entity type the connector knows, in dependency order.

        Raises:
            MassDeleteStopped: the guard stopped the deletions (everything else is done and committed).
            SignInRequired: the server refused the credentials.
            RemoteError: the remote failed; what was committed so far stays.
            Cancelled: the cancel token was set; what was committed so far stays.
        """
        acc = self.account.id
        try:
            for entity in self.connector.entities:
                self._load_ids(entity)
                self._adopt_in_flight(entity)
                self._adopt_replacements(entity)
                self._pull(entity)
                self._push(entity)
            self._guard_and_delete()
            with self.store.write() as s:
                for entity, value in self._cursors.items():
                    # A remote change this run could not take (a RecordProblem) must come again: the cursor stays.
                    if entity not in self._pull_problems:
                        account_rows.set_cursor(s, acc, entity.value, value)
        except SignInRequired as exc:
            self._set_state(AccountState.SIGN_IN, str(exc))
            raise
        except MassDeleteStopped as exc:
            self._set_state(AccountState.GUARD, str(exc))
            raise
        except RemoteError as exc:
            self._set_state(AccountState.ERROR, str(exc))
            raise
        except Cancelled:
            self._set_state(AccountState.OK if self.account.last_sync_at else AccountState.NEW, "")
            raise
        finally:
            self.report.requests = getattr(getattr(self.connector, "http", None), "requests", 0)
            # A run that stops part-way has committed what it did: the window announces those changes too.
            exc_now = sys.exc_info()[1]
            if exc_now is not None:
                exc_now.sync_report = self.report  # type: ignore[attr-defined]
        self._set_state(AccountState.OK, "", synced=True)
        log.info("sync of %s: %s", acc, self.report.summary())
        return self.report

    def _set_state(self, state: AccountState, error: str, *, synced: bool = False) -> None:
        with self.store.write() as s:
            account_rows.set_state(
                s, self.account.id, state, error=error, synced_at=dt.datetime.now(dt.UTC) if synced else None
            )

    def _tick(self, entity: Entity, text: str) -> None:
        self.cancel.check()
        self._done += 1
        if self._done % 25 == 0:
            self.progress(self._done, 0, f"{self.account.name}: {text} {_plural(entity)}")

    # ---- references ----------------------------------------------------------------------------------------

    def _load_ids(self, entity: Entity) -> None:
        with self.store.read() as s:
            to_remote = links.remote_ids(s, self.account.id, entity)
        self._to_remote[entity] = to_remote
        self._to_local[entity] = {r: lid for lid, r in to_remote.items()}

    def _taken(self, entity: Entity) -> frozenset[str]:
        """Remote ids linked to local records: never the answer to "what did my lost create make?"."""
        return frozenset(self._to_local.get(entity, {}))

    def _remember(self, entity: Entity, local_id: str, remote_id: str) -> None:
        self._to_remote.setdefault(entity, {})[local_id] = remote_id
        self._to_local.setdefault(entity, {})[remote_id] = local_id

    def _translate(self, fields: Fields, *, to_local: bool) -> tuple[dict[str, Value], dict[str, Value]]:
        """Fields with their references in the other side's ids, and the fields whose reference has no link yet
        (kept aside: the other side cannot hold them, so they are neither compared nor written there)."""
        out: dict[str, Value] = {}
        hidden: dict[str, Value] = {}
        for key, value in clean(fields).items():
            new_key = self._ref(key, to_local=to_local) if key.startswith("@") else key
            new_value = value
            if isinstance(value, str) and value.startswith("@"):
                new_value = self._ref(value, to_local=to_local)
            elif isinstance(value, tuple):
                mapped = tuple(self._ref(v, to_local=to_local) if v.startswith("@") else v for v in value)
                new_value = None if None in mapped else mapped  # type: ignore[assignment]
            if new_key is None or new_value is None:
                hidden[key] = value
            else:
                out[new_key] = new_value
        return out, hidden

    def _ref(self, text: str, *, to_local: bool) -> str | None:
        parsed = parse_ref(text)
        if parsed is None:
            return text
        entity, record_id = parsed
        table = self._to_local if to_local else self._to_remote
        other = table.get(entity, {}).get(record_id)
        return ref(entity, other) if other is not None else None

    # ---- local side ------------------------------------------------------------------------------------------

    @staticmethod
    def _get(s: Session, entity: Entity, local_id: str) -> Record | None:
        found = get_records(s, entity, [local_id])
        return found[0] if found else None

    def _normalise(self, rec: Record) -> Record:
        if isinstance(rec, PersonRecord):
            return validate.check_person(rec, region=self.region)
        if isinstance(rec, CompanyRecord):
            return validate.check_company(rec, region=self.region)
        if isinstance(rec, TouchpointRecord):
            return validate.check_touchpoint(rec)
        raise TypeError(type(rec).__name__)

    def _local_fields(self, rec: Record | None) -> tuple[dict[str, Value] | None, dict[str, Value]]:
        """(comparable fields, hidden fields) of a local record; None for a deleted or missing one."""
        if rec is None or rec.stamp.deleted_at is not None:
            return None, {}
        projected = self.connector.project(rec)
        _, hidden = self._translate(projected, to_local=False)
        return {k: v for k, v in projected.items() if k not in hidden}, hidden

    def _remote_fields(
        self, entity: Entity, item: RemoteItem, rec: Record | None, local_hidden: Fields
    ) -> tuple[dict[str, Value] | None, dict[str, Value], Record | None]:
        """An item's comparable fields (in local ids, normalised through the local model), its fields that have no
        local counterpart yet, and the local record it makes of `rec`.

        Raises:
            ValidationError: the remote record cannot be a local one (no name, ...).
        """
        if item.fields is None:
            return None, {}, None
        local_space, hidden = self._translate(item.fields, to_local=True)
        built = self._normalise(self.connector.apply(entity, rec, {**local_space, **local_hidden}))
        projected = self.connector.project(built)
        # Normalising may drop what the local model cannot hold (an empty value); compare what it keeps.
        return {k: v for k, v in clean(projected).items() if k not in local_hidden}, hidden, built

    def _write_local(
        self, s: Session, entity: Entity, current: Record | None, built: Record
    ) -> tuple[Record, ChangeSet]:
        return write_record(s, entity, current, built, region=self.region)

    def _flush(self, entity: Entity, batch: list[_Write]) -> None:
        """Write a page's local-only changes, their links and conflicts in one transaction."""
        if not batch:
            return
        acc = self.account.id
        counts = self.report.of(entity)
        skipped: set[str] = set()
        with self.store.write() as s:
            current = {r.id: r for r in get_records(s, entity, [w.local_id for w in batch if w.rec is not None])}
            new = [w for w in batch if w.rec is None and w.local_id not in current]
            if new:
                change = self._bulk_create(s, entity, [w.built for w in new])
                self.report.changes.append(change)
                seq = common.current_seq(s)
                for w in new:
                    self._remember(entity, w.local_id, w.item.remote_id)
                links.save_many(
                    s, acc, entity, [(w.local_id, w.item.remote_id, w.item.version, dumps(w.result), seq) for w in new]
                )
                counts.created_local += len(new)
            for w in batch:
                if w.rec is None:
                    continue
                now = current.get(w.local_id)
                if now is None or now.stamp.change_seq != w.seq:
                    # The user changed it meanwhile: the link stays, and so does the cursor, so the next run
                    # receives this remote change again and merges it with their edit.
                    self._pull_problems.add(entity)
                    skipped.add(w.local_id)
                    continue
                stored, change = self._write_local(s, entity, now, w.built)
                self.report.changes.append(change)
                self._remember(entity, w.local_id, w.item.remote_id)
                self._save_link(s, entity, w.local_id, w.item, w.result, stored.stamp.change_seq)
                counts.updated_local += 1
            for w in batch:
                if w.local_id in skipped:
                    continue
                for c in w.conflicts:
                    conflicts.add(s, acc, entity, w.local_id, c, label=self.connector.label(c.field))
                counts.conflicts += len(w.conflicts)

    def _bulk_create(self, s: Session, entity: Entity, recs: list[Record]) -> ChangeSet:
        if entity is Entity.PERSON:
            persons = [r for r in recs if isinstance(r, PersonRecord)]
            names = companies.names_by_ids(s, {c.company_id for p in persons for c in p.cards if c.company_id})
            linked = [
                p.replace(
                    cards=tuple(
                        dataclasses.replace(c, company_name=names.get(c.company_id, c.company_name))
                        if c.company_id in names
                        else (dataclasses.replace(c, company_id=None) if c.company_id else c)
                        for c in p.cards
                    )
                )
                for p in persons
            ]
            return people.bulk_insert(s, linked, region=self.region, checked=True)
        if entity is Entity.TOUCHPOINT:
            return touchpoints.bulk_insert(s, [r for r in recs if isinstance(r, TouchpointRecord)], checked=True)
        return companies.bulk_insert(
            s, [r for r in recs if isinstance(r, CompanyRecord)], region=self.region, checked=True
        )

    # ---- creates whose answer was lost ---------------------------------------------------------------------

    def _adopt_in_flight(self, entity: Entity) -> None:
        """Look up, before the pull, every create an earlier run sent without seeing the answer: a record the
        remote made of it is linked now, so the pull merges it instead of taking it for a new remote record (a
        remote without external ids would otherwise hand it back as a stranger: a duplicate)."""
        acc = self.account.id
        with self.store.read() as s:
            waiting = links.in_flight(s, acc, entity)
        for link in waiting:
            self.cancel.check()
            sent, _ = self._translate(loads(link.base), to_local=False)
            try:
                found = self.connector.find_created(entity, link.local_id, sent, taken=self._taken(entity))
            except RemoteRejected as exc:
                self._problem(entity, None, exc, local_id=link.local_id)
                continue
            if found is None or found.remote_id in self._to_local.get(entity, {}):
                # Never made (or what matches is another record's): the push creates it.
                self._looked_up.add((entity, link.local_id))
                continue
            with self.store.write() as s:
                # The base stays what was sent; an empty version makes the pull compare the remote's state with it.
                links.save(
                    s, acc, entity, link.local_id, remote_id=found.remote_id, base=link.base, base_seq=link.base_seq
                )
            self._remember(entity, link.local_id, found.remote_id)
            log.info(
                "%s %s: adopted %s, made by a create whose answer was lost",
                entity.value,
                link.local_id,
                found.remote_id,
            )

    def _adopt_replacements(self, entity: Entity) -> None:
        """Look up, before the pull, the record an earlier run's push made in place of the linked one, where pushing
        replaces the remote record (an ImBox note is deleted and created again) and the run died before its local
        commit: linked now, the pull finds it agreed with the edit, where it would otherwise import it as a stranger
        (a double here) and, the old record being gone, send the edit once more (a double there)."""
        if entity not in self.connector.replaced_on_update:
            return
        acc = self.account.id
        with self.store.read() as s:
            waiting = links.unconfirmed(s, acc, entity)
        for link in waiting:
            self.cancel.check()
            assert link.sent is not None and link.remote_id is not None
            pushed = _pushed(loads(link.base), links.sent_pushes(link.sent))
            fields, _ = self._translate(pushed, to_local=False)
            try:
                found = self.connector.find_created(entity, link.local_id, fields, taken=self._taken(entity))
            except RemoteRejected as exc:
                self._problem(entity, None, exc, local_id=link.local_id, remote_id=link.remote_id)
                continue
            if found is None or found.remote_id in self._to_local.get(entity, {}):
                continue  # not made (the pull brings the edit there again), or what matches is linked already
            with self.store.write() as s:
                links.save(
                    s,
                    acc,
                    entity,
                    link.local_id,
                    remote_id=found.remote_id,
                    remote_version=found.version,
                    base=dumps(pushed),
                    base_seq=link.base_seq,
                )
            self._to_local.get(entity, {}).pop(link.remote_id, None)
            self._remember(entity, link.local_id, found.remote_id)
            log.info(
                "%s %s: adopted %s, made in place of %s by a push whose answer was lost",
                entity.value,
                link.local_id,
                found.remote_id,
                link.remote_id,
            )

    # ---- pull ------------------------------------------------------------------------------------------------

    def _pull(self, entity: Entity) -> None:
        acc = self.account.id
        with self.store.read() as s:
            cursor = account_rows.cursor(s, acc, entity.value)
        seen: set[str] = set()
        self._pulling = True
        try:
            self._pull_pages(entity, cursor, seen)
        finally:
            self._pulling = False

    def _pull_pages(self, entity: Entity, cursor: str | None, seen: set[str]) -> None:
        for page in prefetched(self.connector.pull(entity, cursor), name=f"pull {entity.value}"):
            seen.update(item.remote_id for item in page.items)
            self._pull_page(entity, page.items)
            if page.complete:
                self._missing_remotely(entity, seen)
            if page.cursor is not None:
                # Saved once the guard let the run's deletions through: a stopped run pulls them again next time.
                self._cursors[entity] = page.cursor

    def _pull_page(self, entity: Entity, items: tuple[RemoteItem, ...]) -> None:
        """Decide a page of remote records; those that only change this side are written in one transaction
        (a crash loses the batch, not a change: the cursor has not moved, so the next run receives it again)."""
        acc = self.account.id
        with self.store.read() as s:
            by_remote = links.by_remote_ids(s, acc, entity, [i.remote_id for i in items])
            adopt: dict[str, links.Link] = {}
            orphans = [i.external_id for i in items if i.remote_id not in by_remote and i.external_id]
            if orphans:
                # Our own creates whose answers never came back (or came back before a crash): adopt them.
                pending = links.links(s, acc, entity, orphans)
                existing = {r.id for r in get_records(s, entity, orphans)}
                for ext in orphans:
                    found = pending.get(ext)
                    if found is not None and found.remote_id is None:
                        adopt[ext] = found
                    elif found is None and ext in existing:
                        adopt[ext] = links.Link(ext, None, "", "", 0)
            wanted = [lk.local_id for lk in (*by_remote.values(), *adopt.values())]
            records = {r.id: r for r in get_records(s, entity, wanted)}
        batch: list[_Write] = []
        for item in items:
            self._tick(entity, "receiving")
            link = by_remote.get(item.remote_id) or (adopt.get(item.external_id) if item.external_id else None)
            if link is None:
                if item.fields is None:
                    continue  # deleted remotely before we ever saw it
                self._sync_record(entity, new_id(), None, None, item, batch=batch)
            else:
                self._sync_record(entity, link.local_id, link, records.get(link.local_id), item, batch=batch)
        self._flush(entity, batch)

    def _missing_remotely(self, entity: Entity, seen: set[str]) -> None:
        """A complete listing without a linked record: the remote deleted it — unless this run's own write made
        that remote id after the listing was taken (an ImBox note replaced by a new one while its page was read)."""
        gone = [
            (lid, rid)
            for lid, rid in self._to_remote.get(entity, {}).items()
            if rid not in seen and (entity, rid) not in self._written
        ]
        for local_id, remote_id in gone:
            with self.store.read() as s:
                link = links.by_local(s, self.account.id, entity, local_id)
                rec = self._get(s, entity, local_id)
            if link is not None:
                self._sync_record(entity, local_id, link, rec, RemoteItem(remote_id, "", None))

    # ---- push ------------------------------------------------------------------------------------------------

    def _push(self, entity: Entity) -> None:
        acc = self.account.id
        with self.store.read() as s:
            outbox = links.pending(s, acc, entity)
        for pending in outbox:
            if (entity, pending.local_id) in self._handled:
                continue
            self._tick(entity, "sending")
            with self.store.read() as s:
                link = links.by_local(s, acc, entity, pending.local_id)
                rec = self._get(s, entity, pending.local_id)
            if rec is None:
                continue
            if link is not None and link.remote_id is not None and rec.stamp.change_seq <= link.base_seq:
                continue  # handled by the pull of this run
            remote: RemoteItem | None = None
            if link is not None and link.remote_id is None:
                if (entity, pending.local_id) in self._looked_up:
                    remote = None  # looked for before the pull: not there
                else:
                    try:
                        sent, _ = self._translate(loads(link.base), to_local=False)
                        remote = self.connector.find_created(entity, pending.local_id, sent, taken=self._taken(entity))
                    except RemoteRejected as exc:
                        self._problem(entity, rec, exc, local_id=pending.local_id)
                        continue
                    if remote is not None and remote.remote_id in self._to_local.get(entity, {}):
                        remote = None  # another record's: this one was never made
                if remote is None:
                    link = None  # it was never made: create it (again)
            elif link is not None and link.remote_id is not None:
                # Unchanged remotely since the pull (or it would have been pulled): the remote holds the base.
                base_fields, _ = self._translate(loads(link.base), to_local=False)
                remote = RemoteItem(link.remote_id, link.remote_version, base_fields)
            if remote is None and rec.stamp.deleted_at is not None:
                continue  # made and deleted here between two runs: nothing to tell the remote
            if link is None and not self.connector.accepts(rec):
                continue  # the remote cannot hold it: it stays here only
            if remote is None:
                self._sync_record(entity, pending.local_id, None, rec, None)
            else:
                self._sync_record(entity, pending.local_id, link, rec, remote)

    # ---- one record ----------------------------------------------------------------------------------------------

    def _sync_record(
        self,
        entity: Entity,
        local_id: str,
        link: links.Link | None,
        rec: Record | None,
        item: RemoteItem | None,
        *,
        batch: list[_Write] | None = None,
        retried: bool = False,
    ) -> None:
        """Decide one record and carry the plan out; a record-level failure becomes a RecordProblem.

        A plan that writes only this side goes into `batch` when one is given (see `_flush`).
        """
        acc = self.account.id
        counts = self.report.of(entity)
        self._handled.add((entity, local_id))
        item = self._fill_write_only(entity, item, link)
        remote_built: Record | None = None
        try:
            local, local_hidden = self._local_fields(rec)
            if item is None:
                remote: dict[str, Value] | None = None
                remote_hidden: dict[str, Value] = {}
            else:
                remote, remote_hidden, remote_built = self._remote_fields(entity, item, rec, local_hidden)
        except ValidationError as exc:
            self._problem(entity, rec, exc, local_id=local_id, remote_id=item.remote_id if item else "")
            return
        # A create in flight keeps what it sent as its base, so an edit made since is a local change, not a clash.
        in_flight = link is not None and link.remote_id is None and link.base not in ("", "{}")
        base = loads(link.base) if link is not None and (link.remote_id is not None or in_flight) else None
        if base is not None:
            base = {k: v for k, v in base.items() if k not in local_hidden}
            if link is not None and link.sent and remote is not None:
                base = _with_echo(base, links.sent_pushes(link.sent), remote)
        plan = decide(base, local, remote, prefer=self._prefer(rec, item))
        seq = rec.stamp.change_seq if rec is not None else 0

        if plan.delete_local or plan.delete_remote:
            assert item is not None
            self._deferred.append(
                _Deferred(entity, local_id, item.remote_id, seq, remote=plan.delete_remote, version=item.version)
            )
            return
        if plan.result is None:
            with self.store.write() as s:
                links.drop(s, acc, entity, local_id)
            return
        if plan.noop:
            moved = rec is not None and link is not None and rec.stamp.change_seq > link.base_seq
            if (
                moved
                or (link is not None and link.sent is not None)
                or base != plan.result
                or (item is not None and link is not None and link.remote_version != item.version)
            ):
                with self.store.write() as s:
                    self._save_link(s, entity, local_id, item, plan.result, seq - 1 if local_hidden else seq)
            counts.unchanged += 1
            return

        result = dict(plan.result)
        # What the local model will make of the result is what the remote must hold too.
        built: Record | None = None
        if plan.to_local:
            if remote_built is not None and result == remote:
                built = remote_built  # the remote's version, already normalised
            else:
                try:
                    built = self._normalise(self.connector.apply(entity, rec, {**result, **local_hidden}))
                except ValidationError as exc:
                    self._problem(entity, rec, exc, local_id=local_id, remote_id=item.remote_id if item else "")
                    return
                result = {k: v for k, v in clean(self.connector.project(built)).items() if k not in local_hidden}
        push = item is None or item.fields is None or result != remote
        if not push and batch is not None and item is not None:
            assert built is not None
            if rec is None:
                built = built.replace(id=local_id)
            batch.append(_Write(local_id, rec, seq, built, result, item, plan.conflicts))
            return

        new_item = item
        if push:
            try:
                # What this push changes there (None: removes), kept until the local commit.
                before = remote or {}
                pushed = {k: result.get(k) for k in set(result) | set(before) if result.get(k) != before.get(k)}
                new_item = self._write_remote(entity, local_id, link, item, result, remote_hidden, pushed)
            except RemoteChanged as exc:
                if retried:
                    self._problem(entity, rec, exc, local_id=local_id, remote_id=item.remote_id if item else "")
                    return
                # Changed there since we read it (a 412): merge again with what it holds now — never overwrite.
                self._sync_record(entity, local_id, link, rec, exc.current or _gone(item), retried=True)
                return
            except RemoteRejected as exc:
                self._problem(entity, rec, exc, local_id=local_id, remote_id=item.remote_id if item else "")
                return
            owner = self._to_local.get(entity, {}).get(new_item.remote_id)
            if owner is not None and owner != local_id:
                # The remote answered with a record another local one is linked to: linking both would double it.
                self._problem(
                    entity,
                    rec,
                    RemoteRejected(
                        f"{self.account.name}: the server answered with a record already linked to another one here.",
                        status=409,
                    ),
                    local_id=local_id,
                    remote_id=new_item.remote_id,
                )
                return
            self._pushes += 1
            self._written.add((entity, new_item.remote_id))
            if self._crash_after_push is not None and self._pushes >= self._crash_after_push:
                raise _SimulatedCrash()
            if item is None or item.fields is None:
                counts.created_remote += 1
            else:
                counts.updated_remote += 1

        with self.store.write() as s:
            current = self._get(s, entity, local_id)
            if current is not None and rec is not None and current.stamp.change_seq != seq:
                # The user changed it while we talked to the server: keep their edit. The link keeps its old base,
                # so the next run sees the remote's new state as a remote change and the edit as a local one —
                # unless this was a create, whose base is what was just sent.
                if new_item is not None and (link is None or link.remote_id is None or not plan.to_local):
                    # A create or a pure push: the remote now holds `result`; the old seq keeps the record in the
                    # outbox, so the next run sends the newer edit on top of it.
                    self._remember(entity, local_id, new_item.remote_id)
                    self._save_link(s, entity, local_id, new_item, result, seq)
                return
            if plan.to_local:
                assert built is not None
                stored, change = self._write_local(s, entity, current, built.replace(id=local_id))
                self.report.changes.append(change)
                seq = stored.stamp.change_seq
                if current is None:
                    counts.created_local += 1
                else:
                    counts.updated_local += 1
            assert new_item is not None
            self._remember(entity, local_id, new_item.remote_id)
            # References the remote could not take yet (a company not linked there) keep the record in the outbox,
            # so they are sent once the company is linked.
            self._save_link(s, entity, local_id, new_item, result, seq - 1 if local_hidden else seq)
            for c in plan.conflicts:
                conflicts.add(s, acc, entity, local_id, c, label=self.connector.label(c.field))
            counts.conflicts += len(plan.conflicts)

    def _fill_write_only(self, entity: Entity, item: RemoteItem | None, link: links.Link | None) -> RemoteItem | None:
        """The item with the fields its remote never returns taken from the link's base (in remote ids)."""
        prefixes = self.connector.write_only.get(entity, ())
        if not prefixes or item is None or item.fields is None:
            return item
        kept = {k: v for k, v in item.fields.items() if not k.startswith(prefixes)}
        if link is not None and link.base:
            base, _ = self._translate(loads(link.base), to_local=False)
            kept.update({k: v for k, v in base.items() if k.startswith(prefixes)})
        return dataclasses.replace(item, fields=kept)

    def _write_remote(
        self,
        entity: Entity,
        local_id: str,
        link: links.Link | None,
        item: RemoteItem | None,
        result: dict[str, Value],
        remote_hidden: dict[str, Value],
        pushed: dict[str, Value],
    ) -> RemoteItem:
        acc = self.account.id
        fields, unlinked = self._translate(result, to_local=False)
        if unlinked:
            log.debug(
                "%s %s: %d reference(s) without a remote link are not sent", entity.value, local_id, len(unlinked)
            )
        if item is None:
            with self.store.write() as s:  # committed before the request: a lost answer is looked up next time
                links.save(s, acc, entity, local_id, remote_id=None, base=dumps(result))
            return self.connector.create(entity, local_id, fields)
        old_remote = dict(item.fields or {})  # already in remote ids
        new_remote = {**fields, **remote_hidden}
        if item.fields is None:
            restored = self.connector.restore(entity, item.remote_id)
            if restored is None:
                with self.store.write() as s:
                    links.save(s, acc, entity, local_id, remote_id=None)
                return self.connector.create(entity, local_id, fields)
            old_remote = dict(restored.fields or {})
            return self.connector.update(entity, item.remote_id, new_remote, old_remote, version=item.version)
        with self.store.write() as s:  # until the local commit: a run killed in between knows its own echo
            links.mark_sent(s, acc, entity, local_id, pushed)
        if self._crash_before_push is not None and self._pushes + 1 >= self._crash_before_push:
            raise _SimulatedCrash()
        try:
            return self.connector.update(entity, item.remote_id, new_remote, old_remote, version=item.version)
        except RemoteNotFound:
            # Deleted there since we last looked: an edit beats a delete, so it comes back with the edit.
            restored = self.connector.restore(entity, item.remote_id)
            if restored is None:
                with self.store.write() as s:
                    links.save(s, acc, entity, local_id, remote_id=None, base=dumps(result))
                return self.connector.create(entity, local_id, fields)
            old_fields = dict(restored.fields or {})
            return self.connector.update(entity, item.remote_id, new_remote, old_fields, version=restored.version)

    def _save_link(
        self, s: Session, entity: Entity, local_id: str, item: RemoteItem | None, result: Fields, seq: int
    ) -> None:
        assert item is not None
        links.save(
            s,
            self.account.id,
            entity,
            local_id,
            remote_id=item.remote_id,
            remote_version=item.version,
            base=dumps(result),
            base_seq=seq,
        )

    def _prefer(self, rec: Record | None, item: RemoteItem | None) -> Side:
        policy = self.account.policy
        if policy is Policy.LOCAL_WINS:
            return Side.LOCAL
        if policy is Policy.NEWEST_WINS and rec is not None and item is not None:
            local_time = rec.stamp.updated_at
            if local_time is not None and item.updated_at is not None and local_time > item.updated_at:
                return Side.LOCAL
        return Side.REMOTE

    def _problem(
        self, entity: Entity, rec: Record | None, exc: Exception, *, local_id: str = "", remote_id: str = ""
    ) -> None:
        name = name_of(rec) or remote_id or local_id
        if self._pulling:
            self._pull_problems.add(entity)
        log.warning("sync %s %s skipped: %s", entity.value, name, exc)
        self.report.problems.append(RecordProblem(entity, name, str(exc), local_id, remote_id))

    # ---- guard and deletions -----------------------------------------------------------------------------

    def _guard_and_delete(self) -> None:
        if not self._deferred:
            return
        acc = self.account.id
        with self.store.read() as s:
            linked = links.count(s, acc)
        local = sum(1 for d in self._deferred if not d.remote)
        remote = sum(1 for d in self._deferred if d.remote)
        limit = max(self.guard_min, int(linked * self.guard_share))
        if not self.allow_mass_delete and (local > limit or remote > limit):
            here = _counted([d.entity for d in self._deferred if not d.remote])
            there = _counted([d.entity for d in self._deferred if d.remote])
            raise MassDeleteStopped(
                f"{self.account.name}: this sync would delete {here} here and {there} on the server — more than "
                f"{self.guard_share:.0%} of the {linked} records linked to this account. Nothing was deleted.",
                local=local,
                remote=remote,
            )
        for d in self._deferred:
            self.cancel.check()
            counts = self.report.of(d.entity)
            if d.remote:
                try:
                    self.connector.delete(d.entity, d.remote_id, version=d.version)
                except RemoteChanged:
                    # Edited there since we decided: an edit beats a delete. The link stays and so does the
                    # cursor, so the next run pulls the edit and brings the record back here.
                    self._pull_problems.add(d.entity)
                    continue
                with self.store.write() as s:
                    links.drop(s, acc, d.entity, d.local_id)
                counts.deleted_remote += 1
                continue
            with self.store.write() as s:
                current = self._get(s, d.entity, d.local_id)
                if current is not None and current.stamp.change_seq != d.seq:
                    # Edited meanwhile: an edit beats a delete. The cursor stays, so the next run sees the remote
                    # delete again, with the edit, and brings the record back there.
                    self._pull_problems.add(d.entity)
                    continue
                if current is not None and current.stamp.deleted_at is None:
                    self.report.changes.append(delete_records(s, d.entity, [d.local_id]))
                links.drop(s, acc, d.entity, d.local_id)
            counts.deleted_local += 1


@dataclass(frozen=True, slots=True)
class _Write:
    """A pulled change that only this side must take: written with the rest of its page (`_flush`)."""

    local_id: str
    rec: Record | None
    seq: int
    built: Record
    result: dict[str, Value]
    item: RemoteItem
    conflicts: tuple[FieldConflict, ...]


def _gone(item: RemoteItem | None) -> RemoteItem | None:
    """The item as deleted there (a 412 whose record has disappeared meanwhile)."""
    return None if item is None else RemoteItem(item.remote_id, "", None)


def _pushed(base: dict[str, Value], pushes: list[dict[str, Any]]) -> dict[str, Value]:
    """What uncommitted pushes wrote, in turn: the base with the fields each changed (key → value, None for removed)."""
    out = dict(base)
    for sent in pushes:
        for key, value in sent.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
    return out


def _with_echo(base: dict[str, Value], pushes: list[dict[str, Any]], remote: Fields) -> dict[str, Value]:
    """The base, with every field an earlier, uncommitted push changed (`pushes`, oldest first: key → value, None
    for removed) taken as agreed where the remote holds exactly a value crmdesk sent: it is crmdesk's own write
    coming back (the run died before its local commit), not a colleague's edit — so a newer local edit of the field
    is a local change, not a conflict it would lose. Every push counts, not only the last: a second run may die
    after marking its push and before sending it, while the server holds the first one's value."""
    return _pushed(base, [{k: v for k, v in sent.items() if remote.get(k) == v} for sent in pushes])


def get_records(s: Session, entity: Entity, ids: list[str]) -> list[Record]:
    """The local records of these ids, deleted ones included (unknown ids are left out)."""
    if not ids:
        return []
    if entity is Entity.PERSON:
        return list(people.get_many(s, ids, include_deleted=True))
    if entity is Entity.COMPANY:
        return list(companies.get_many(s, ids, include_deleted=True))
    return list(touchpoints.get_many(s, ids, include_deleted=True))


def write_record(
    s: Session, entity: Entity, current: Record | None, built: Record, *, region: str
) -> tuple[Record, ChangeSet]:
    """Store `built` as a new local record (`current` None) or over `current`.

    Raises:
        ValidationError: the record may not be stored; nothing was written.
    """
    if entity is Entity.PERSON:
        assert isinstance(built, PersonRecord)
        return people.create(s, built, region=region) if current is None else people.update(s, built, region=region)
    if entity is Entity.TOUCHPOINT:
        assert isinstance(built, TouchpointRecord)
        return touchpoints.create(s, built) if current is None else touchpoints.update(s, built)
    assert isinstance(built, CompanyRecord)
    return companies.create(s, built, region=region) if current is None else companies.update(s, built, region=region)


def delete_records(s: Session, entity: Entity, ids: list[str]) -> ChangeSet:
    """Tombstone local records of any synced entity type."""
    if entity is Entity.PERSON:
        return people.delete_many(s, ids)
    if entity is Entity.COMPANY:
        return companies.delete_many(s, ids)
    return touchpoints.delete_many(s, ids)


class _SimulatedCrash(BaseException):
    """Tests only: the process dies between a remote write and its local commit."""


def name_of(rec: Record | None) -> str:
    """How the user knows a record: a person's name, a company's name."""
    if isinstance(rec, PersonRecord):
        return rec.display_name
    if isinstance(rec, CompanyRecord):
        return rec.name
    if isinstance(rec, TouchpointRecord):
        return rec.subject or f"{rec.type.value.capitalize()} of {rec.occurred_at:%Y-%m-%d}"
    return ""


def _counted(entities: list[Entity]) -> str:
    """ "8 people and 2 companies", "no records"."""
    parts = []
    for entity, one in ((Entity.PERSON, "person"), (Entity.COMPANY, "company"), (Entity.TOUCHPOINT, "touchpoint")):
        n = entities.count(entity)
        if n:
            parts.append(f"{n} {one if n == 1 else _plural(entity)}")
    return " and ".join(parts) or "no records"


def report_of(exc: BaseException) -> SyncReport | None:
    """What a run that failed with `exc` had done (and committed) before it stopped."""
    report = getattr(exc, "sync_report", None)
    return report if isinstance(report, SyncReport) else None


def _plural(entity: Entity) -> str:
    return {Entity.PERSON: "people", Entity.COMPANY: "companies", Entity.TOUCHPOINT: "touchpoints"}.get(
        entity, entity.value
    )


def changed_ids(report: SyncReport, entity: Entity) -> set[str]:
    """Local ids of `entity` the run wrote (for tests and the window's refresh)."""
    return {i for c in report.changes if c.entity is entity for i in c.ids}
