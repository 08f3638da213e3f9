"""Touchpoints (calls, mails, meetings, notes, ...): reads and writes taking a Session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from crmdesk.domain import validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import Direction, Entity, Mood, Priority, Stamp, TouchpointRecord, TouchpointType
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import common
from crmdesk.store.schema import Company, Person, Tag, Touchpoint, TouchpointPerson, TouchpointTag

_FIELDS = ("subject", "body", "company_id", "amount", "currency")
MAX_NAMES_SHOWN = 3


def get(s: Session, touchpoint_id: str, *, include_deleted: bool = False) -> TouchpointRecord:
    """The touchpoint with this id.

    Raises:
        NotFoundError: no such touchpoint, or (unless include_deleted) it was deleted.
    """
    found = get_many(s, [touchpoint_id], include_deleted=include_deleted)
    if not found:
        raise NotFoundError(f"No touchpoint with id {touchpoint_id}.")
    return found[0]


def get_many(s: Session, ids: Sequence[str], *, include_deleted: bool = False) -> list[TouchpointRecord]:
    """The touchpoints with these ids that exist, in the order asked."""
    stmt = select(Touchpoint).where(Touchpoint.id.in_(list(ids)))
    if not include_deleted:
        stmt = stmt.where(Touchpoint.deleted_at.is_(None))
    rows = {t.id: t for t in s.scalars(stmt)}
    if not rows:
        return []
    involved: dict[str, list[str]] = {}
    for tid, pid in s.execute(
        select(TouchpointPerson.touchpoint_id, TouchpointPerson.person_id)
        .where(TouchpointPerson.touchpoint_id.in_(list(rows)))
        .order_by(TouchpointPerson.touchpoint_id, TouchpointPerson.ord)
    ):
        involved.setdefault(tid, []).append(pid)
    tags: dict[str, list[str]] = {}
    for tid, name in s.execute(
        select(TouchpointTag.touchpoint_id, Tag.name)
        .join(Tag, Tag.id == TouchpointTag.tag_id)
        .where(TouchpointTag.touchpoint_id.in_(list(rows)))
        .order_by(Tag.name)
    ):
        tags.setdefault(tid, []).append(name)
    out = []
    for i in ids:
        t = rows.get(i)
        if t is None:
            continue
        out.append(
            TouchpointRecord(
                id=t.id,
                type=TouchpointType(t.type),
                occurred_at=t.occurred_at,
                direction=Direction(t.direction),
                priority=Priority(t.priority),
                mood=Mood(t.mood),
                **{f: getattr(t, f) for f in _FIELDS},
                person_ids=tuple(involved.get(i, ())),
                tags=common.sorted_tags(tags.get(i, ())),
                stamp=Stamp(
                    created_at=t.created_at, updated_at=t.updated_at, change_seq=t.change_seq, deleted_at=t.deleted_at
                ),
            )
        )
    return out


def create(s: Session, rec: TouchpointRecord) -> tuple[TouchpointRecord, ChangeSet]:
    """Validate and store a new touchpoint.

    Raises:
        ValidationError: a field may not be stored; nothing was written.
    """
    rec = validate.check_touchpoint(rec)
    _check_links(s, rec)
    seq = common.next_seq(s)
    now = common.utc_now()
    common.core_insert(s, Touchpoint, [{**_row(s, rec, seq=seq, now=now), "created_at": now}])
    _write_children(s, [rec], seq=seq, now=now)
    return get(s, rec.id), ChangeSet.of(Entity.TOUCHPOINT, Kind.CREATE, [rec.id])


def update(s: Session, rec: TouchpointRecord) -> tuple[TouchpointRecord, ChangeSet]:
    """Replace a touchpoint's content with `rec` (same id).

    Raises:
        NotFoundError: no touchpoint has this id.
        ValidationError: a field may not be stored; nothing was written.
    """
    get(s, rec.id, include_deleted=True)
    rec = validate.check_touchpoint(rec)
    _check_links(s, rec)
    seq = common.next_seq(s)
    now = common.utc_now()
    row = _row(s, rec, seq=seq, now=now)
    row.pop("id")
    row["deleted_at"] = None
    s.execute(sql_update(Touchpoint).where(Touchpoint.id == rec.id).values(**row))
    s.execute(delete(TouchpointPerson).where(TouchpointPerson.touchpoint_id == rec.id))
    s.execute(delete(TouchpointTag).where(TouchpointTag.touchpoint_id == rec.id))
    _write_children(s, [rec], seq=seq, now=now)
    return get(s, rec.id), ChangeSet.of(Entity.TOUCHPOINT, Kind.UPDATE, [rec.id])


def delete_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Tombstone these touchpoints."""
    common.set_deleted(s, Touchpoint, ids, deleted=True)
    return ChangeSet.of(Entity.TOUCHPOINT, Kind.DELETE, ids)


def restore_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Bring tombstoned touchpoints back (undo of a delete)."""
    common.set_deleted(s, Touchpoint, ids, deleted=False)
    return ChangeSet.of(Entity.TOUCHPOINT, Kind.CREATE, ids)


def bulk_insert(s: Session, recs: Iterable[TouchpointRecord], *, checked: bool = False) -> ChangeSet:
    """Insert many new touchpoints through Core statements: one change_seq for the batch."""
    seq = common.next_seq(s)
    now = common.utc_now()
    batch = [r if checked else validate.check_touchpoint(r) for r in recs]
    names = _names(s, {p for r in batch for p in r.person_ids})
    companies = _company_names(s, {r.company_id for r in batch if r.company_id})
    rows = [{**_row(s, r, seq=seq, now=now, names=names, companies=companies), "created_at": now} for r in batch]
    if rows:
        common.core_insert(s, Touchpoint, rows)
    _write_children(s, batch, seq=seq, now=now)
    return ChangeSet.of(Entity.TOUCHPOINT, Kind.CREATE, [r.id for r in batch])


def recent_for_person(s: Session, person_id: str, *, limit: int = 50) -> list[TouchpointRecord]:
    """The newest touchpoints involving this person (for the person pane's timeline)."""
    stmt = (
        select(Touchpoint.id)
        .join(TouchpointPerson, TouchpointPerson.touchpoint_id == Touchpoint.id)
        .where(TouchpointPerson.person_id == person_id, Touchpoint.deleted_at.is_(None))
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.num.desc())
        .limit(limit)
    )
    return get_many(s, list(s.scalars(stmt)))


def recent_for_company(s: Session, company_id: str, *, limit: int = 50) -> list[TouchpointRecord]:
    """The newest touchpoints of this company (for the company pane's timeline)."""
    stmt = (
        select(Touchpoint.id)
        .where(Touchpoint.company_id == company_id, Touchpoint.deleted_at.is_(None))
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.num.desc())
        .limit(limit)
    )
    return get_many(s, list(s.scalars(stmt)))


def refresh_summaries_for_people(s: Session, person_ids: Sequence[str]) -> None:
    """Recompute the people column of touchpoints involving these people (after a rename)."""
    ids = list(
        s.scalars(
            select(TouchpointPerson.touchpoint_id).where(TouchpointPerson.person_id.in_(list(person_ids))).distinct()
        )
    )
    _refresh(s, ids)


def refresh_summaries_for_company(s: Session, company_id: str) -> None:
    """Recompute the company column of this company's touchpoints (after a rename)."""
    _refresh(s, list(s.scalars(select(Touchpoint.id).where(Touchpoint.company_id == company_id))))


def _refresh(s: Session, ids: list[str]) -> None:
    recs = get_many(s, ids, include_deleted=True)
    names = _names(s, {p for r in recs for p in r.person_ids})
    companies = _company_names(s, {r.company_id for r in recs if r.company_id})
    for rec in recs:
        summary = _summary(rec, names, companies)
        s.execute(sql_update(Touchpoint).where(Touchpoint.id == rec.id).values(**summary))


def _check_links(s: Session, rec: TouchpointRecord) -> None:
    """Raise ValidationError when the touchpoint names people or a company that do not exist (nothing written)."""
    problems: dict[str, str] = {}
    known = set(s.scalars(select(Person.id).where(Person.id.in_(rec.person_ids)))) if rec.person_ids else set()
    for i, pid in enumerate(rec.person_ids):
        if pid not in known:
            problems[f"person_ids[{i}]"] = f"No person with id {pid}"
    if rec.company_id and s.scalar(select(Company.id).where(Company.id == rec.company_id)) is None:
        problems["company_id"] = f"No company with id {rec.company_id}"
    if problems:
        raise ValidationError(problems)


def _names(s: Session, person_ids: set[str]) -> dict[str, str]:
    if not person_ids:
        return {}
    return dict(s.execute(select(Person.id, Person.display_name).where(Person.id.in_(person_ids))).all())


def _company_names(s: Session, company_ids: set[str | None]) -> dict[str, str]:
    ids = {c for c in company_ids if c}
    if not ids:
        return {}
    return dict(s.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all())


def _summary(rec: TouchpointRecord, names: dict[str, str], companies: dict[str, str]) -> dict[str, Any]:
    shown = [names[p] for p in rec.person_ids if p in names]
    people_text = ", ".join(shown[:MAX_NAMES_SHOWN])
    if len(shown) > MAX_NAMES_SHOWN:
        people_text += f" +{len(shown) - MAX_NAMES_SHOWN}"
    company = companies.get(rec.company_id, "") if rec.company_id else ""
    return {
        "people_text": people_text,
        "company_name": company,
        "tags_text": ", ".join(rec.tags),
        "k_subject": common.fold(rec.subject),
        "k_people": common.fold(people_text),
        "k_company": common.fold(company),
    }


def _row(
    s: Session,
    rec: TouchpointRecord,
    *,
    seq: int,
    now: Any,
    names: dict[str, str] | None = None,
    companies: dict[str, str] | None = None,
) -> dict[str, Any]:
    if names is None:
        names = _names(s, set(rec.person_ids))
    if companies is None:
        companies = _company_names(s, {rec.company_id})
    return {
        "id": rec.id,
        "type": rec.type.value,
        "occurred_at": rec.occurred_at,
        "direction": rec.direction.value,
        "priority": rec.priority.value,
        "mood": rec.mood.value,
        **{f: getattr(rec, f) for f in _FIELDS},
        "amount": rec.amount,  # as validated: str(Decimal()) would turn "1e3" into "1E+3" and "+12" into "12"
        "updated_at": now,
        "change_seq": seq,
        **_summary(rec, names, companies),
    }


def _write_children(s: Session, recs: Sequence[TouchpointRecord], *, seq: int, now: Any) -> None:
    people_rows = [{"touchpoint_id": r.id, "person_id": p, "ord": i} for r in recs for i, p in enumerate(r.person_ids)]
    if people_rows:
        common.core_insert(s, TouchpointPerson, people_rows)
    links = common.tag_link_rows(s, [(r.id, r.tags) for r in recs if r.tags], seq=seq, now=now)
    if links:
        common.core_insert(s, TouchpointTag, [{"touchpoint_id": o, "tag_id": t} for o, t in links])
