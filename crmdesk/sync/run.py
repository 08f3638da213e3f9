"""Run a sync for one account, and settle its conflicts: the services the window and the CLI call."""

from __future__ import annotations

from dataclasses import dataclass

from crmdesk.connectors.registry import SUPPORTED, make_connector
from crmdesk.domain.accounts import KINDS, AccountKind, AccountRecord
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.merge import Side, loads
from crmdesk.domain.records import Entity
from crmdesk.errors import UserError
from crmdesk.store import accounts as account_rows
from crmdesk.store import conflicts, links
from crmdesk.sync.accounts import Context, get_secret
from crmdesk.sync.engine import SyncEngine, SyncReport, delete_records, get_records, name_of, write_record
from crmdesk.tasks import CancelToken, Progress, no_progress

CARD_EXPORTERS = frozenset({AccountKind.COBRA})
"""Kinds whose server exports a person's business card itself (the person pane offers it beside crmdesk's own)."""


def sync_account(
    ctx: Context,
    account_id: str,
    *,
    cancel: CancelToken | None = None,
    progress: Progress = no_progress,
    allow_mass_delete: bool = False,
) -> SyncReport:
    """One sync run of one account, in the calling (worker) thread.

    Raises:
        SignInRequired: no secret is stored, or the server refused it.
        MassDeleteStopped: the guard stopped the run's deletions; run again with `allow_mass_delete` to confirm.
        RemoteError: the remote failed; the next run picks up where this one stopped.
        Cancelled: `cancel` was set.
    """
    with ctx.store.read() as s:
        account = account_rows.get(s, account_id)
    secret = get_secret(ctx, account_id)
    connector = make_connector(account, secret, cancel=cancel)
    try:
        engine = SyncEngine(
            ctx.store,
            account,
            connector,
            region=ctx.settings.default_region,
            cancel=cancel,
            progress=progress,
            allow_mass_delete=allow_mass_delete,
        )
        return engine.run()
    finally:
        connector.close()


def check_connection(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> str:
    """Try an account's URL and secret before it is saved ("Test connection"): one small request.

    Returns:
        What the server said, in words ("Connected: 1,234 contacts visible" or similar).

    Raises:
        SignInRequired: the secret was refused.
        RemoteError: the server cannot be reached or answered with an error.
        UserError: crmdesk cannot sync this kind of account yet.
    """
    connector = make_connector(account, secret, cancel=cancel)
    try:
        return connector.probe()
    finally:
        connector.close()


def address_books(rec: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> list[tuple[str, str]]:
    """(URL, name) of the address books a CardDAV account's user has, as its server lists them.

    Raises:
        SignInRequired, RemoteError: as for a sync.
    """
    connector = make_connector(
        rec.replace(options=tuple((k, v) for k, v in rec.options if k != "addressbook")), secret, cancel=cancel
    )
    try:
        client = getattr(connector, "client", None)
        if client is None:
            return []
        found = client.discover(rec.base_url)
        return [(b.url, b.name or b.url.rstrip("/").rsplit("/", 1)[-1]) for b in found.books]
    finally:
        connector.close()


def take_other_value(ctx: Context, conflict_id: str) -> ChangeSet | None:
    """Settle a conflict with the value the merge did not keep: it becomes a local edit the next sync sends.

    Returns:
        The local change, or None when the record is gone (the conflict is closed either way).
    """
    with ctx.store.write() as s:
        c = conflicts.get(s, conflict_id)
        account = account_rows.get(s, c.account_id)
        connector = make_connector(account, "")  # mapping only: no request is made
        found = get_records(s, c.entity, [c.local_id])
        if not found or found[0].stamp.deleted_at is not None:  # a deleted record has nothing left to settle
            conflicts.resolve(s, conflict_id)
            connector.close()
            return None
        rec = found[0]
        fields = connector.project(rec)
        fields[c.field] = c.other_value
        built = connector.apply(c.entity, rec, fields)
        connector.close()
        _, change = write_record(s, c.entity, rec, built, region=ctx.settings.default_region)
        conflicts.resolve(s, conflict_id)
        return change


def resolve_conflict(ctx: Context, conflict_id: str, side: Side) -> ChangeSet | None:
    """Settle a conflict with one side's value: `Side.LOCAL` is "keep mine", `Side.REMOTE` "take theirs"."""
    with ctx.store.read() as s:
        kept = conflicts.get(s, conflict_id).kept
    if kept is side:
        keep_value(ctx, conflict_id)
        return None
    return take_other_value(ctx, conflict_id)


def keep_value(ctx: Context, conflict_id: str) -> None:
    """Settle a conflict with the value the merge kept (close it)."""
    with ctx.store.write() as s:
        conflicts.resolve(s, conflict_id)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A local change an account has not received yet."""

    entity: Entity
    local_id: str
    name: str
    change: str  # "new", "changed" or "deleted"


def outbox(ctx: Context, account_id: str, *, limit: int = 500) -> list[OutboxEntry]:
    """What the next sync of an account will send, oldest change first (at most `limit` entries per entity).

    A record changed only in what this account cannot hold (a tag, for Kanbert) is listed too: the engine finds out
    while syncing that it has nothing to send for it.
    """
    out: list[OutboxEntry] = []
    with ctx.store.read() as s:
        account = account_rows.get(s, account_id)
        if account.kind not in SUPPORTED:
            return out
        connector = make_connector(account, "")  # mapping only: no request is made
        try:
            for entity in _entities(account):
                waiting = links.pending(s, account_id, entity, limit=limit)
                records = {r.id: r for r in get_records(s, entity, [p.local_id for p in waiting])}
                for p in waiting:
                    rec = records.get(p.local_id)
                    if rec is not None and not p.linked and not connector.accepts(rec):
                        continue  # the remote cannot hold it (an ImBox note without a person): never sent
                    change = "deleted" if p.deleted else ("changed" if p.linked else "new")
                    out.append(OutboxEntry(entity, p.local_id, name_of(rec) or p.local_id, change))
        finally:
            connector.close()
    return out


def count_pending(ctx: Context, account_id: str | None = None) -> int:
    """How many local changes wait to be sent: to one account, or over every enabled one (the status bar)."""
    total = 0
    with ctx.store.read() as s:
        for account in account_rows.all_accounts(s):
            if account.enabled if account_id is None else account.id == account_id:
                for entity in _entities(account):
                    total += links.count_pending(s, account.id, entity)
    return total


def discard_pending(ctx: Context, account_id: str, entity: Entity, local_id: str) -> ChangeSet | None:
    """Undo a local change before it is sent: the record goes back to what the account last agreed on.

    A record the account has never seen (new here) is deleted — the caller asks the user first.

    Returns:
        The local change, or None when there was nothing to undo.
    """
    with ctx.store.write() as s:
        account = account_rows.get(s, account_id)
        link = links.by_local(s, account_id, entity, local_id)
        found = get_records(s, entity, [local_id])
        if not found:
            return None
        rec = found[0]
        if link is None or link.remote_id is None:
            if rec.stamp.deleted_at is not None:
                return None
            return delete_records(s, entity, [local_id])
        connector = make_connector(account, "")  # mapping only: no request is made
        try:
            built = connector.apply(entity, rec, loads(link.base))
        finally:
            connector.close()
        stored, change = write_record(s, entity, rec, built, region=ctx.settings.default_region)
        links.save(
            s,
            account_id,
            entity,
            local_id,
            remote_id=link.remote_id,
            remote_version=link.remote_version,
            base=link.base,
            base_seq=stored.stamp.change_seq,
        )
        return change


def remote_card_sources(ctx: Context, person_id: str) -> list[tuple[str, str]]:
    """(account id, account name) of every account this person is linked to whose server exports business cards
    itself (cobra's vCard endpoint) — one small indexed read per account."""
    out: list[tuple[str, str]] = []
    with ctx.store.read() as s:
        for account in account_rows.all_accounts(s):
            if account.kind in CARD_EXPORTERS:
                link = links.by_local(s, account.id, Entity.PERSON, person_id)
                if link is not None and link.remote_id:
                    out.append((account.id, account.name))
    return out


def remote_business_card(ctx: Context, account_id: str, person_id: str, *, cancel: CancelToken | None = None) -> str:
    """The person's business card as the account's server exports it (a vCard text), in the calling worker.

    Raises:
        UserError: the person is not on that server (or the server exports no cards).
        SignInRequired, RemoteError: as for a sync.
    """
    with ctx.store.read() as s:
        account = account_rows.get(s, account_id)
        link = links.by_local(s, account_id, Entity.PERSON, person_id)
    if link is None or not link.remote_id or account.kind not in CARD_EXPORTERS:
        raise UserError(f"{account.name}: this person is not on that server yet — sync first.")
    connector = make_connector(account, get_secret(ctx, account_id), cancel=cancel)
    try:
        vcard = getattr(connector, "vcard", None)
        if vcard is None:
            raise UserError(f"{account.name}: {account.kind.label} exports no business cards.")
        return str(vcard(link.remote_id))
    finally:
        connector.close()


def _entities(account: AccountRecord) -> tuple[Entity, ...]:
    return KINDS[account.kind].entities if account.kind in SUPPORTED else ()


__all__ = [
    "OutboxEntry",
    "Side",
    "check_connection",
    "count_pending",
    "discard_pending",
    "keep_value",
    "outbox",
    "resolve_conflict",
    "sync_account",
    "take_other_value",
]
