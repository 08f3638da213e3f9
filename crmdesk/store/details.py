"""What the detail pane shows of one record: the record and the names of everything it points at."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord
from crmdesk.store import companies, people, relations, touchpoints
from crmdesk.store.relations import RelatedEntry
from crmdesk.store.schema import BusinessCard, Company, Person

TIMELINE_LIMIT = 50
STAFF_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """A person at a company, as the company pane lists them."""

    person_id: str
    name: str
    position: str
    department: str


@dataclass(frozen=True, slots=True)
class PersonDetail:
    person: PersonRecord
    relations: list[RelatedEntry]
    touchpoints: list[TouchpointRecord]
    names: dict[str, str] = field(default_factory=dict)  # person and company id → name, for the timeline


@dataclass(frozen=True, slots=True)
class CompanyDetail:
    company: CompanyRecord
    staff: list[StaffEntry]
    relations: list[RelatedEntry]
    touchpoints: list[TouchpointRecord]
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TouchpointDetail:
    touchpoint: TouchpointRecord
    names: dict[str, str] = field(default_factory=dict)


def person_detail(s: Session, person_id: str) -> PersonDetail:
    """Raises NotFoundError when the person does not exist or was deleted."""
    person = people.get(s, person_id)
    tps = touchpoints.recent_for_person(s, person_id, limit=TIMELINE_LIMIT)
    return PersonDetail(person, relations.for_record(s, Entity.PERSON, person_id), tps, _names(s, tps))


def company_detail(s: Session, company_id: str) -> CompanyDetail:
    """Raises NotFoundError when the company does not exist or was deleted."""
    company = companies.get(s, company_id)
    stmt = (
        select(Person.id, Person.display_name, BusinessCard.position, BusinessCard.department)
        .join(BusinessCard, BusinessCard.person_id == Person.id)
        .where(BusinessCard.company_id == company_id, BusinessCard.deleted_at.is_(None), Person.deleted_at.is_(None))
        .order_by(Person.k_name, Person.num)
        .limit(STAFF_LIMIT)
    )
    staff = [StaffEntry(*row) for row in s.execute(stmt)]
    tps = touchpoints.recent_for_company(s, company_id, limit=TIMELINE_LIMIT)
    return CompanyDetail(company, staff, relations.for_record(s, Entity.COMPANY, company_id), tps, _names(s, tps))


def touchpoint_detail(s: Session, touchpoint_id: str) -> TouchpointDetail:
    """Raises NotFoundError when the touchpoint does not exist or was deleted."""
    tp = touchpoints.get(s, touchpoint_id)
    return TouchpointDetail(tp, _names(s, [tp]))


def _names(s: Session, tps: list[TouchpointRecord]) -> dict[str, str]:
    person_ids = {p for t in tps for p in t.person_ids}
    company_ids = {t.company_id for t in tps if t.company_id}
    out: dict[str, str] = {}
    if person_ids:
        out.update(s.execute(select(Person.id, Person.display_name).where(Person.id.in_(person_ids))).all())
    if company_ids:
        out.update(s.execute(select(Company.id, Company.name).where(Company.id.in_(company_ids))).all())
    return out
