"""Sync conflicts: a field both sides changed, the value kept and the value that was not, until the user decides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crmdesk.domain.merge import FieldConflict, Side, Value, value_from_json, value_to_json
from crmdesk.domain.records import Entity, new_id
from crmdesk.errors import NotFoundError
from crmdesk.store.common import utc_now
from crmdesk.store.schema import SyncConflict


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    id: str
    account_id: str
    entity: Entity
    local_id: str
    field: str
    label: str
    base: Value
    local: Value
    remote: Value
    kept: Side
    created_at: dt.datetime
    resolved_at: dt.datetime | None

    @property
    def kept_value(self) -> Value:
        return self.local if self.kept is Side.LOCAL else self.remote

    @property
    def other_value(self) -> Value:
        return self.remote if self.kept is Side.LOCAL else self.local


def _record(row: SyncConflict) -> ConflictRecord:
    return ConflictRecord(
        id=row.id,
        account_id=row.account_id,
        entity=Entity(row.entity),
        local_id=row.local_id,
        field=row.field,
        label=row.label,
        base=value_from_json(row.base_value),
        local=value_from_json(row.local_value),
        remote=value_from_json(row.remote_value),
        kept=Side(row.kept),
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


def add(s: Session, account_id: str, entity: Entity, local_id: str, c: FieldConflict, *, label: str) -> str:
    """Store one conflict; an open conflict on the same field of the same record is superseded by it."""
    s.execute(
        update(SyncConflict)
        .where(
            SyncConflict.account_id == account_id,
            SyncConflict.local_id == local_id,
            SyncConflict.field == c.field,
            SyncConflict.resolved_at.is_(None),
        )
        .values(resolved_at=utc_now())
    )
    cid = new_id()
    s.add(
        SyncConflict(
            id=cid,
            account_id=account_id,
            entity=entity.value,
            local_id=local_id,
            field=c.field,
            label=label,
            base_value=value_to_json(c.base),
            local_value=value_to_json(c.local),
            remote_value=value_to_json(c.remote),
            kept=c.kept.value,
            created_at=utc_now(),
        )
    )
    s.flush()
    return cid


def open_conflicts(s: Session, account_id: str | None = None) -> list[ConflictRecord]:
    """Unresolved conflicts, newest first."""
    stmt = select(SyncConflict).where(SyncConflict.resolved_at.is_(None))
    if account_id is not None:
        stmt = stmt.where(SyncConflict.account_id == account_id)
    return [_record(r) for r in s.scalars(stmt.order_by(SyncConflict.created_at.desc(), SyncConflict.id))]


def count_open(s: Session, account_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(SyncConflict).where(SyncConflict.resolved_at.is_(None))
    if account_id is not None:
        stmt = stmt.where(SyncConflict.account_id == account_id)
    return int(s.scalar(stmt) or 0)


def get(s: Session, conflict_id: str) -> ConflictRecord:
    row = s.get(SyncConflict, conflict_id)
    if row is None:
        raise NotFoundError(f"There is no conflict {conflict_id}.")
    return _record(row)


def resolve(s: Session, conflict_id: str) -> None:
    s.execute(update(SyncConflict).where(SyncConflict.id == conflict_id).values(resolved_at=utc_now()))
