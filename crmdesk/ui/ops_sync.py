"""One job factory per sync action of the window (issue 4): accounts, sync runs, the outbox, conflicts (pattern P2).

`crmdesk.sync.run` (the engine, the connectors and httpx) is imported inside the job bodies, as `crmdesk sync` does:
it takes ~0.25 s, which the window's start would otherwise pay long before the first sync is due.
Account writes and conflict or outbox decisions go to `runner.write`; sync runs, snapshots and look-ups to
`runner.read` (see `crmdesk.ui.sync` for why a sync run, which writes, is no writer-pool job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crmdesk.context import Context
from crmdesk.domain.accounts import KINDS, AccountKind, AccountRecord
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.merge import Side
from crmdesk.domain.records import Entity
from crmdesk.errors import NotFoundError, SecretStoreUnavailable
from crmdesk.store import accounts as account_rows
from crmdesk.store import companies, conflicts, links, people
from crmdesk.store.conflicts import ConflictRecord
from crmdesk.sync import accounts
from crmdesk.tasks import CancelToken, Progress
from crmdesk.ui.workers import Job

if TYPE_CHECKING:  # loaded by the job bodies only (see the module docstring)
    from crmdesk.sync.engine import SyncReport
    from crmdesk.sync.run import OutboxEntry

__all__ = [
    "AccountRow",
    "ConflictRow",
    "Outbox",
    "SecretInfo",
    "SyncSnapshot",
    "add_account",
    "check_connection",
    "discard",
    "keep_value",
    "load_conflicts",
    "load_outbox",
    "remove_account",
    "resolve_conflicts",
    "secret_info",
    "snapshot",
    "sync",
    "take_other_value",
    "update_account",
]

OUTBOX_LIMIT = 500
"""Entries per entity type that the outbox lists (and counts): more show as "500+"."""
COMPANY_LINK = "@company:"


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account with what waits for it (changes to send, open conflicts) and its health: links and cursors."""

    account: AccountRecord
    pending: int
    conflicts: int
    linked: tuple[tuple[Entity, int], ...] = ()  # records linked to the account, per entity it syncs
    cursors: tuple[tuple[Entity, str | None], ...] = ()  # where the next pull starts, per entity (None: from scratch)


@dataclass(frozen=True, slots=True)
class SyncSnapshot:
    """Everything the accounts page, the navigation and the status bar show of the accounts, read at one time."""

    accounts: tuple[AccountRow, ...]
    pending: int
    conflicts: int
    supported: tuple[AccountKind, ...]

    def row(self, account_id: str) -> AccountRow | None:
        return next((r for r in self.accounts if r.account.id == account_id), None)


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """Where account secrets go: the store's description, or why the chosen store does not work here."""

    choice: str  # settings.secret_store: "keyring" or "file"
    description: str  # "" when unavailable
    encrypted: bool
    problem: str = ""
    hints: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return not self.problem


@dataclass(frozen=True, slots=True)
class Outbox:
    """What the next sync of one account sends."""

    account_id: str
    entries: tuple[OutboxEntry, ...]


@dataclass(frozen=True, slots=True)
class ConflictRow:
    """An open conflict with the names the window shows: the record's, the field's and the account's."""

    conflict: ConflictRecord
    record_name: str
    field_label: str
    account_name: str
    remote_label: str  # who the remote is, in words: the account's kind ("Kanbert")

    @property
    def id(self) -> str:
        return self.conflict.id

    @property
    def created_at(self) -> dt.datetime:
        return self.conflict.created_at


# ---- reads --------------------------------------------------------------------------------------------------


def snapshot(ctx: Context) -> Job:
    """Read the accounts, their pending changes, open conflicts, links and cursors, and the totals.

    The job returns a SyncSnapshot.
    """

    def work(progress: Progress, cancel: CancelToken) -> SyncSnapshot:
        from crmdesk.connectors.registry import SUPPORTED
        from crmdesk.sync import run

        with ctx.store.read() as s:
            recs = account_rows.all_accounts(s)
            open_counts = {r.id: conflicts.count_open(s, r.id) for r in recs}
            total_conflicts = conflicts.count_open(s)
            synced = {r.id: KINDS[r.kind].entities for r in recs}
            linked = {r.id: tuple((e, links.count(s, r.id, e)) for e in synced[r.id]) for r in recs}
            cursors = {r.id: tuple((e, account_rows.cursor(s, r.id, e.value)) for e in synced[r.id]) for r in recs}
        rows = []
        for rec in recs:
            cancel.check()
            pending = run.count_pending(ctx, rec.id)
            rows.append(AccountRow(rec, pending, open_counts[rec.id], linked[rec.id], cursors[rec.id]))
        cancel.check()
        pending = run.count_pending(ctx) if recs else 0
        return SyncSnapshot(tuple(rows), pending, total_conflicts, tuple(SUPPORTED))

    return Job(work, name="sync snapshot")


def secret_info(ctx: Context) -> Job:
    """Where secrets are kept (asks the keyring whether it works, which may take a D-Bus round trip)."""

    def work(progress: Progress, cancel: CancelToken) -> SecretInfo:
        choice = ctx.settings.secret_store
        try:
            store = accounts.secret_store(ctx.settings)
        except SecretStoreUnavailable as exc:
            return SecretInfo(choice, "", encrypted=False, problem=exc.message, hints=exc.hints)
        return SecretInfo(choice, store.description, encrypted=store.encrypted)

    return Job(work, name="secret store")


def load_outbox(ctx: Context, account_id: str) -> Job:
    """The changes the next sync of an account sends, oldest first; the job returns an Outbox."""

    def work(progress: Progress, cancel: CancelToken) -> Outbox:
        from crmdesk.sync import run

        return Outbox(account_id, tuple(run.outbox(ctx, account_id, limit=OUTBOX_LIMIT)))

    return Job(work, name="outbox")


def load_conflicts(ctx: Context) -> Job:
    """Every open conflict, newest first, with its record's and account's names; the job returns ConflictRows."""

    def work(progress: Progress, cancel: CancelToken) -> list[ConflictRow]:
        out = []
        with ctx.store.read() as s:
            names = {a.id: (a.name, a.kind.label) for a in account_rows.all_accounts(s)}
            for c in conflicts.open_conflicts(s):
                account_name, remote = names.get(c.account_id, ("", "the server"))
                label = c.label
                if c.field.startswith(COMPANY_LINK):  # the link to a company: say which one
                    label = f"{label}: {_name(s, Entity.COMPANY, c.field.removeprefix(COMPANY_LINK))}"
                out.append(ConflictRow(c, _name(s, c.entity, c.local_id), label, account_name, remote))
        return out

    return Job(work, name="conflicts")


def _name(s: Session, entity: Entity, local_id: str) -> str:
    try:
        if entity is Entity.PERSON:
            return people.get(s, local_id, include_deleted=True).display_name
        return companies.get(s, local_id, include_deleted=True).name
    except NotFoundError:
        return "(deleted)"


# ---- runs ---------------------------------------------------------------------------------------------------


def sync(ctx: Context, account_id: str, *, allow_mass_delete: bool = False) -> Job:
    """One sync run of one account; the job returns its `SyncReport` (raises what `sync_account` raises)."""

    def work(progress: Progress, cancel: CancelToken) -> SyncReport:
        from crmdesk.sync import run

        return run.sync_account(ctx, account_id, cancel=cancel, progress=progress, allow_mass_delete=allow_mass_delete)

    return Job(work, name=f"sync {account_id}")


def check_connection(ctx: Context, rec: AccountRecord, *, secret: str | None) -> Job:
    """Try an account's URL and token ("Test connection"); `secret` None uses the stored one of `rec`.

    The job returns the server's answer in words; it raises SignInRequired, RemoteError or UserError.
    """

    def work(progress: Progress, cancel: CancelToken) -> str:
        from crmdesk.sync import run

        token = secret if secret is not None else accounts.get_secret(ctx, rec.id)
        return run.check_connection(rec, token, cancel=cancel)

    return Job(work, name="test connection")


def address_books(ctx: Context, rec: AccountRecord, *, secret: str | None) -> Job:
    """The address books a CardDAV account can use: the job returns [(url, name)]; `secret` None: the stored one."""

    def work(progress: Progress, cancel: CancelToken) -> list[tuple[str, str]]:
        from crmdesk.sync import run

        token = secret if secret is not None else accounts.get_secret(ctx, rec.id)
        return run.address_books(rec, token, cancel=cancel)

    return Job(work, name="address books")


def remote_business_card(ctx: Context, account_id: str, person_id: str, target: Path) -> Job:
    """Fetch a person's card as the account's server exports it and save it to `target`; returns the file."""

    def work(progress: Progress, cancel: CancelToken) -> Path:
        from crmdesk.sync import run

        text = run.remote_business_card(ctx, account_id, person_id, cancel=cancel)
        partial = target.with_name(target.name + ".part")  # a failed write never leaves half a card behind
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(target)
        return target

    return Job(work, name="business card from the server")


# ---- writes -------------------------------------------------------------------------------------------------


def add_account(ctx: Context, rec: AccountRecord, *, secret: str, use_file: bool = False) -> Job:
    """Store a new account and its secret; `use_file` first moves secrets to the (unencrypted) file the user chose.

    The job returns the stored AccountRecord.
    """

    def work(progress: Progress, cancel: CancelToken) -> AccountRecord:
        if use_file:
            accounts.use_secret_store(ctx, "file")
        return accounts.add_account(ctx, rec, secret=secret)

    return Job(work, name="add account")


def update_account(ctx: Context, rec: AccountRecord, *, secret: str | None = None, use_file: bool = False) -> Job:
    """Change an account's settings and, when `secret` is given, its secret; the job returns the AccountRecord."""

    def work(progress: Progress, cancel: CancelToken) -> AccountRecord:
        if use_file:
            accounts.use_secret_store(ctx, "file")
        return accounts.update_account(ctx, rec, secret=secret)

    return Job(work, name="update account")


def remove_account(ctx: Context, account_id: str) -> Job:
    """Remove an account with its secret, links and conflicts (the contacts stay); the job returns the id."""

    def work(progress: Progress, cancel: CancelToken) -> str:
        accounts.remove_account(ctx, account_id)
        return account_id

    return Job(work, name="remove account")


def discard(ctx: Context, account_id: str, entity: Entity, local_id: str) -> Job:
    """Take back one change before it is sent (a record new here is deleted); the job returns a ChangeSet or None."""

    def work(progress: Progress, cancel: CancelToken) -> ChangeSet | None:
        from crmdesk.sync import run

        return run.discard_pending(ctx, account_id, entity, local_id)

    return Job(work, name="discard change")


def take_other_value(ctx: Context, conflict_id: str) -> Job:
    """Settle a conflict with the value that was not kept; the job returns the local ChangeSet or None."""

    def work(progress: Progress, cancel: CancelToken) -> ChangeSet | None:
        from crmdesk.sync import run

        return run.take_other_value(ctx, conflict_id)

    return Job(work, name="take other value")


def keep_value(ctx: Context, conflict_id: str) -> Job:
    """Settle a conflict with the value that was kept; the job returns None."""

    def work(progress: Progress, cancel: CancelToken) -> None:
        from crmdesk.sync import run

        run.keep_value(ctx, conflict_id)

    return Job(work, name="keep value")


def resolve_conflicts(ctx: Context, conflict_ids: Sequence[str], side: Side) -> Job:
    """Settle conflicts with one side's value each: `Side.LOCAL` keeps mine, `Side.REMOTE` takes theirs.

    One conflict a transaction; a cancel keeps those settled so far. The job returns the local ChangeSets.
    """
    ids = tuple(conflict_ids)

    def work(progress: Progress, cancel: CancelToken) -> list[ChangeSet]:
        from crmdesk.sync import run

        changes = []
        for done, conflict_id in enumerate(ids):
            cancel.check()
            try:
                change = run.resolve_conflict(ctx, conflict_id, side)
            except NotFoundError:
                continue  # settled meanwhile (another window, or the record's account was removed)
            if change is not None:
                changes.append(change)
            progress(done + 1, len(ids), "")
        return changes

    return Job(work, name="resolve conflicts")
