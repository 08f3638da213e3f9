"""Relations between two people or two companies, with a category ("colleague", "subsidiary of", ...)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.normalize import normalize_text
from crmdesk.domain.records import Entity, RelationRecord
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import common
from crmdesk.store.schema import Company, Person, Relation


@dataclass(frozen=True, slots=True)
class RelatedEntry:
    """A relation seen from one side: the other record's id and name, and the category."""

    relation_id: str
    other_id: str
    other_name: str
    category: str
    outgoing: bool


def create(s: Session, rec: RelationRecord) -> ChangeSet:
    """Store a relation between two live records of the same kind.

    Raises:
        ValidationError: the ends are the same record or of an unsupported kind.
        NotFoundError: one end does not exist.
    """
    if rec.entity not in (Entity.PERSON, Entity.COMPANY):
        raise ValidationError({"entity": "Relations link two people or two companies"})
    if rec.from_id == rec.to_id:
        raise ValidationError({"to": "A record cannot be related to itself"})
    table = Person if rec.entity is Entity.PERSON else Company
    found = set(s.scalars(select(table.id).where(table.id.in_([rec.from_id, rec.to_id]), table.deleted_at.is_(None))))
    if found != {rec.from_id, rec.to_id}:
        raise NotFoundError(f"Both ends of a relation must exist ({rec.entity.value}).")
    seq = common.next_seq(s)
    now = common.utc_now()
    common.core_insert(
        s,
        Relation,
        [
            {
                "id": rec.id,
                "entity": rec.entity.value,
                "from_id": rec.from_id,
                "to_id": rec.to_id,
                "category": normalize_text(rec.category),
                "created_at": now,
                "updated_at": now,
                "change_seq": seq,
                "deleted_at": None,
            }
        ],
    )
    return ChangeSet.of(rec.entity, Kind.UPDATE, [rec.from_id, rec.to_id])


def delete(s: Session, relation_id: str) -> ChangeSet:
    """Tombstone a relation."""
    row = s.get(Relation, relation_id)
    if row is None or row.deleted_at is not None:
        raise NotFoundError(f"No relation with id {relation_id}.")
    seq = common.next_seq(s)
    now = common.utc_now()
    s.execute(
        sql_update(Relation).where(Relation.id == relation_id).values(deleted_at=now, updated_at=now, change_seq=seq)
    )
    return ChangeSet.of(Entity(row.entity), Kind.UPDATE, [row.from_id, row.to_id])


def for_record(s: Session, entity: Entity, record_id: str) -> list[RelatedEntry]:
    """Live relations of a person or company, with the other side's name, by name."""
    table = Person if entity is Entity.PERSON else Company
    name_col = Person.display_name if entity is Entity.PERSON else Company.name
    rels = list(
        s.scalars(
            select(Relation).where(
                Relation.entity == entity.value,
                Relation.deleted_at.is_(None),
                or_(Relation.from_id == record_id, Relation.to_id == record_id),
            )
        )
    )
    others = {r.to_id if r.from_id == record_id else r.from_id for r in rels}
    names = dict(s.execute(select(table.id, name_col).where(table.id.in_(others), table.deleted_at.is_(None))).all())
    out = []
    for r in rels:
        other = r.to_id if r.from_id == record_id else r.from_id
        if other in names:
            out.append(RelatedEntry(r.id, other, names[other], r.category, outgoing=r.from_id == record_id))
    return sorted(out, key=lambda e: (e.other_name.casefold(), e.category))
