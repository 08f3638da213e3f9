"""Sync links: per account and record, the remote id, its version, the agreed base and the local change_seq then."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crmdesk.domain.records import Entity
from crmdesk.store.schema import Company, Person, SyncLink, Touchpoint

_TABLES: dict[Entity, type[Person] | type[Company] | type[Touchpoint]] = {
    Entity.PERSON: Person,
    Entity.COMPANY: Company,
    Entity.TOUCHPOINT: Touchpoint,
}


@dataclass(frozen=True, slots=True)
class Link:
    local_id: str
    remote_id: str | None
    remote_version: str
    base: str
    base_seq: int
    sent: str | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """A local record whose changes an account has not seen: new, edited since its base, or deleted."""

    local_id: str
    change_seq: int
    deleted: bool
    linked: bool


def _link(row: SyncLink) -> Link:
    return Link(row.local_id, row.remote_id, row.remote_version, row.base, row.base_seq, row.sent)


def by_local(s: Session, account_id: str, entity: Entity, local_id: str) -> Link | None:
    row = s.scalar(
        select(SyncLink).where(
            SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.local_id == local_id
        )
    )
    return _link(row) if row else None


def by_remote(s: Session, account_id: str, entity: Entity, remote_id: str) -> Link | None:
    row = s.scalar(
        select(SyncLink).where(
            SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.remote_id == remote_id
        )
    )
    return _link(row) if row else None


def by_remote_ids(s: Session, account_id: str, entity: Entity, remote_ids: list[str]) -> dict[str, Link]:
    """The links of these remote ids (those that have one), by remote id."""
    out: dict[str, Link] = {}
    for i in range(0, len(remote_ids), 500):
        rows = s.scalars(
            select(SyncLink).where(
                SyncLink.account_id == account_id,
                SyncLink.entity == entity.value,
                SyncLink.remote_id.in_(remote_ids[i : i + 500]),
            )
        )
        out.update({str(row.remote_id): _link(row) for row in rows})
    return out


def remote_ids(s: Session, account_id: str, entity: Entity) -> dict[str, str]:
    """local id → remote id of every confirmed link of one entity type."""
    rows = s.execute(
        select(SyncLink.local_id, SyncLink.remote_id).where(
            SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.remote_id.is_not(None)
        )
    )
    return {local: str(remote) for local, remote in rows}


def count(s: Session, account_id: str, entity: Entity | None = None) -> int:
    stmt = select(func.count()).select_from(SyncLink).where(SyncLink.account_id == account_id)
    if entity is not None:
        stmt = stmt.where(SyncLink.entity == entity.value)
    return int(s.scalar(stmt) or 0)


def save(
    s: Session,
    account_id: str,
    entity: Entity,
    local_id: str,
    *,
    remote_id: str | None,
    remote_version: str = "",
    base: str = "{}",
    base_seq: int = 0,
) -> None:
    """Insert or replace the link of one record."""
    save_many(s, account_id, entity, [(local_id, remote_id, remote_version, base, base_seq)])


LinkRow = tuple[str, str | None, str, str, int]
"""(local id, remote id, remote version, base, base seq) of one link."""


def save_many(s: Session, account_id: str, entity: Entity, rows: Iterable[LinkRow]) -> None:
    """Insert or replace many links with one upsert statement (a page of a pull: one executemany, no ORM)."""
    values = [
        {
            "account_id": account_id,
            "entity": entity.value,
            "local_id": local_id,
            "remote_id": remote_id,
            "remote_version": version,
            "base": base,
            "base_seq": seq,
            "sent": None,
        }
        for local_id, remote_id, version, base, seq in rows
    ]
    if values:
        s.execute(_upsert(), values)


@functools.cache
def _upsert() -> Any:
    """The link upsert, built once (building it costs more than running it)."""
    stmt = sqlite_insert(cast(Table, SyncLink.__table__))
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "entity", "local_id"],
        set_={k: stmt.excluded[k] for k in ("remote_id", "remote_version", "base", "base_seq", "sent")},
    )


def drop(s: Session, account_id: str, entity: Entity, local_id: str) -> None:
    s.execute(
        delete(SyncLink).where(
            SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.local_id == local_id
        )
    )


def _outbox(account_id: str, entity: Entity) -> tuple[Table, Any, Any]:
    """The records table, its join with this account's links, and the condition "waits to be sent"."""
    table: Table = _TABLES[entity].__table__  # type: ignore[assignment]
    link = SyncLink.__table__
    joined = table.outerjoin(
        link,
        and_(link.c.account_id == account_id, link.c.entity == entity.value, link.c.local_id == table.c.id),
    )
    waiting = ((link.c.id.is_(None)) & table.c.deleted_at.is_(None)) | (
        (link.c.id.is_not(None)) & (table.c.change_seq > link.c.base_seq)
    )
    return table, joined, waiting


def pending(s: Session, account_id: str, entity: Entity, *, limit: int | None = None) -> list[Pending]:
    """The account's outbox for one entity type, oldest change first: records never linked (and alive), records
    changed since their link's base, and linked records deleted locally."""
    table, joined, waiting = _outbox(account_id, entity)
    linked = SyncLink.__table__.c.id.is_not(None)
    stmt = (
        select(table.c.id, table.c.change_seq, table.c.deleted_at.is_not(None), linked)
        .select_from(joined)
        .where(waiting)
        .order_by(table.c.change_seq)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [Pending(i, int(seq), bool(d), bool(lk)) for i, seq, d, lk in s.execute(stmt)]


def count_pending(s: Session, account_id: str, entity: Entity) -> int:
    """How many records `pending` would list, counted in the database."""
    _, joined, waiting = _outbox(account_id, entity)
    return int(s.scalar(select(func.count()).select_from(joined).where(waiting)) or 0)


def links(s: Session, account_id: str, entity: Entity, local_ids: Iterable[str] | None = None) -> dict[str, Link]:
    stmt = select(SyncLink).where(SyncLink.account_id == account_id, SyncLink.entity == entity.value)
    if local_ids is not None:
        stmt = stmt.where(SyncLink.local_id.in_(list(local_ids)))
    return {row.local_id: _link(row) for row in s.scalars(stmt)}


def in_flight(s: Session, account_id: str, entity: Entity) -> list[Link]:
    """Links of creates sent without a confirmed answer (no remote id yet), oldest first."""
    stmt = (
        select(SyncLink)
        .where(SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.remote_id.is_(None))
        .order_by(SyncLink.id)
    )
    return [_link(row) for row in s.scalars(stmt)]


def unconfirmed(s: Session, account_id: str, entity: Entity) -> list[Link]:
    """Links of linked records whose last push was sent without its local commit (`sent` still set)."""
    stmt = (
        select(SyncLink)
        .where(
            SyncLink.account_id == account_id,
            SyncLink.entity == entity.value,
            SyncLink.remote_id.is_not(None),
            SyncLink.sent.is_not(None),
        )
        .order_by(SyncLink.id)
    )
    return [_link(row) for row in s.scalars(stmt)]


def mark_sent(s: Session, account_id: str, entity: Entity, local_id: str, changes: Mapping[str, Any]) -> None:
    """Note what a push is about to write (field → value, None for removed), after what earlier pushes whose local
    commit never came wrote (cleared by the `save` after its local commit). All of them are kept: the server may hold
    any one of those values, and each is crmdesk's own, not a colleague's edit."""
    where = (SyncLink.account_id == account_id, SyncLink.entity == entity.value, SyncLink.local_id == local_id)
    earlier = sent_pushes(s.scalar(select(SyncLink.sent).where(*where)))
    text = json.dumps([*earlier, dict(changes)], sort_keys=True, ensure_ascii=False)
    s.execute(update(SyncLink).where(*where).values(sent=text))


def sent_pushes(sent: str | None) -> list[dict[str, Any]]:
    """The changes of the pushes a link's `sent` notes, oldest first, with list values as the tuples they were (JSON
    has no tuples; a link written before 2026-11-26 (5) holds one push as a bare object)."""
    if not sent:
        return []
    value = json.loads(sent)
    pushes = value if isinstance(value, list) else [value]
    return [{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()} for p in pushes if isinstance(p, dict)]
