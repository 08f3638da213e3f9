"""Table pages for the People, Companies and Touchpoints views and the CLI's lists.

A page is one indexed query on one table: the display values and sort keys are summary columns kept by
the writers, and paging is by keyset — `WHERE (key, num) > (:key, :num) ORDER BY key, num LIMIT n` —
never OFFSET, so page 500 costs what page 1 costs (STYLE §4.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, literal, select, tuple_
from sqlalchemy.orm import Session

from crmdesk.domain.records import Entity
from crmdesk.store import search
from crmdesk.store.schema import (
    BusinessCard,
    Company,
    CompanyTag,
    Person,
    PersonTag,
    Tag,
    Touchpoint,
    TouchpointPerson,
    TouchpointTag,
)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One table column: `value` is the displayed summary column, `sort` the column it sorts by."""

    key: str
    header: str
    value: str
    sort: str


COLUMNS: dict[Entity, tuple[ColumnSpec, ...]] = {
    Entity.PERSON: (
        ColumnSpec("name", "Name", "display_name", "k_name"),
        ColumnSpec("company", "Company", "company_name", "k_company"),
        ColumnSpec("position", "Position", "position", "k_position"),
        ColumnSpec("email", "E-mail", "email", "k_email"),
        ColumnSpec("phone", "Phone", "phone", "k_phone"),
        ColumnSpec("tags", "Tags", "tags_text", "k_tags"),
        ColumnSpec("updated", "Updated", "updated_at", "updated_at"),
    ),
    Entity.COMPANY: (
        ColumnSpec("name", "Name", "name", "k_name"),
        ColumnSpec("industry", "Industry", "industry", "k_industry"),
        ColumnSpec("city", "City", "city", "k_city"),
        ColumnSpec("phone", "Phone", "phone", "k_phone"),
        ColumnSpec("email", "E-mail", "email", "k_email"),
        ColumnSpec("people", "People", "people_count", "people_count"),
    ),
    Entity.TOUCHPOINT: (
        ColumnSpec("when", "When", "occurred_at", "occurred_at"),
        ColumnSpec("type", "Type", "type", "type"),
        ColumnSpec("subject", "Subject", "subject", "k_subject"),
        ColumnSpec("person", "Person", "people_text", "k_people"),
        ColumnSpec("company", "Company", "company_name", "k_company"),
    ),
}

_TABLES: dict[Entity, Any] = {Entity.PERSON: Person, Entity.COMPANY: Company, Entity.TOUCHPOINT: Touchpoint}
_FTS = {Entity.PERSON: "person_fts", Entity.COMPANY: "company_fts", Entity.TOUCHPOINT: "touchpoint_fts"}
_TAG_LINKS: dict[Entity, tuple[Any, Any]] = {
    Entity.PERSON: (PersonTag.tag_id, PersonTag.person_id),
    Entity.COMPANY: (CompanyTag.tag_id, CompanyTag.company_id),
    Entity.TOUCHPOINT: (TouchpointTag.tag_id, TouchpointTag.touchpoint_id),
}
DEFAULT_SORT = {Entity.PERSON: ("name", False), Entity.COMPANY: ("name", False), Entity.TOUCHPOINT: ("when", True)}


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a table shows: which records (search text, tag, owner) in which order."""

    entity: Entity
    search: str = ""
    tag: str = ""
    sort: str = ""
    descending: bool = False
    company_id: str | None = None  # people with a card at / touchpoints of this company
    person_id: str | None = None  # touchpoints involving this person

    @property
    def sort_spec(self) -> ColumnSpec:
        key = self.sort or DEFAULT_SORT[self.entity][0]
        for spec in COLUMNS[self.entity]:
            if spec.key == key:
                return spec
        raise ValueError(f"unknown sort column {key!r} for {self.entity}")


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: the record id, its display values (one per column) and its keyset position."""

    id: str
    values: tuple[Any, ...]
    key: tuple[Any, int]


def _where(q: ListQuery, *, walk: bool = False) -> list[ColumnElement[bool]]:
    t = _TABLES[q.entity]
    conds: list[ColumnElement[bool]] = [t.deleted_at.is_(None)]
    if q.search.strip():
        if search.match_expression(q.search) is None:
            conds.append(false())  # only punctuation or symbols: nothing can match them literally
        else:
            conds.append(search.num_in_match(t.num, _FTS[q.entity], q.search, walk=walk))
    if q.tag:
        link_tag, link_owner = _TAG_LINKS[q.entity]
        conds.append(exists().where(link_owner == t.id, link_tag == Tag.id, Tag.name == q.tag))
    if q.company_id is not None:
        if q.entity is Entity.PERSON:
            conds.append(
                exists().where(
                    BusinessCard.person_id == Person.id,
                    BusinessCard.company_id == q.company_id,
                    BusinessCard.deleted_at.is_(None),
                )
            )
        elif q.entity is Entity.TOUCHPOINT:
            conds.append(Touchpoint.company_id == q.company_id)
    if q.person_id is not None and q.entity is Entity.TOUCHPOINT:
        conds.append(
            exists().where(TouchpointPerson.touchpoint_id == Touchpoint.id, TouchpointPerson.person_id == q.person_id)
        )
    return conds


def _select(q: ListQuery, *, walk: bool = False) -> Any:
    t = _TABLES[q.entity]
    spec = q.sort_spec
    cols = [getattr(t, c.value) for c in COLUMNS[q.entity]]
    return select(t.id, t.num, getattr(t, spec.sort), *cols).where(*_where(q, walk=walk))


def _rows(result: Any) -> list[Row]:
    return [Row(id=r[0], values=tuple(r[3:]), key=(r[2], r[1])) for r in result]


def page(s: Session, q: ListQuery, *, after: tuple[Any, int] | None = None, limit: int = 200) -> list[Row]:
    """The next `limit` rows after keyset position `after` (None: from the top)."""
    t = _TABLES[q.entity]
    sort_col = getattr(t, q.sort_spec.sort)
    # Many matches: walking the sort index and keeping the matches stops after one page, where fetching and
    # sorting every match reads them all ("gmbh" at 100,000 people: 10 ms instead of 38 ms).
    walk = bool(q.search.strip()) and search.is_broad(s, _FTS[q.entity], q.search)
    stmt = _select(q, walk=walk)
    if after is not None:
        pos = tuple_(sort_col, t.num)
        # Bound with the column's type: an aware datetime must compare in its stored text form, not pysqlite's.
        key = tuple_(literal(after[0], sort_col.type), literal(after[1], t.num.type))
        stmt = stmt.where(pos < key if q.descending else pos > key)
    order = (sort_col.desc(), t.num.desc()) if q.descending else (sort_col, t.num)
    return _rows(s.execute(stmt.order_by(*order).limit(limit)))


def rows_by_id(s: Session, q: ListQuery, ids: Sequence[str]) -> list[Row]:
    """Fresh rows for these ids (those still matching `q`), to refresh rows a view has loaded."""
    t = _TABLES[q.entity]
    return _rows(s.execute(_select(q).where(t.id.in_(list(ids)))))


def count(s: Session, q: ListQuery) -> int:
    """How many records `q` matches (a full count: run it in a job, not on the GUI thread)."""
    t = _TABLES[q.entity]
    return int(s.execute(select(func.count(t.num)).where(*_where(q))).scalar_one())


def tag_names_in_use(s: Session, entity: Entity) -> list[str]:
    """Names of tags that at least one live record of `entity` carries, alphabetical."""
    t = _TABLES[entity]
    link_tag, link_owner = _TAG_LINKS[entity]
    used = exists().where(link_tag == Tag.id, link_owner == t.id, t.deleted_at.is_(None))
    return list(s.scalars(select(Tag.name).where(Tag.deleted_at.is_(None), used).order_by(Tag.name)))
