"""Table pages for the People, Companies and Touchpoints views and the CLI's lists.

A page is one indexed query on one table: the display values and sort keys are summary columns kept by
the writers, and paging is by keyset — `WHERE (key, num) > (:key, :num) ORDER BY key, num LIMIT n` —
never OFFSET, so page 500 costs what page 1 costs (STYLE §4.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, column, exists, false, func, literal, select, table, tuple_
from sqlalchemy.orm import Session, aliased

from crmdesk.domain.records import Entity
from crmdesk.store import order, search
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
    """One table column: `value` is the displayed summary column, `sort` the column it sorts by. (A phone column's
    value is the number's forms, normalize.phone_forms: `normalize.shown_phone` gives its text.)"""

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
        ColumnSpec("phone", "Phone", "phone_forms", "k_phone"),
        ColumnSpec("tags", "Tags", "tags_text", "k_tags"),
        ColumnSpec("updated", "Updated", "updated_at", "updated_at"),
    ),
    Entity.COMPANY: (
        ColumnSpec("name", "Name", "name", "k_name"),
        ColumnSpec("industry", "Industry", "industry", "k_industry"),
        ColumnSpec("city", "City", "city", "k_city"),
        ColumnSpec("phone", "Phone", "phone_forms", "k_phone"),
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
# The column whose order a table's search index follows with its rowids (search.FTS_ROWID, store/order.py).
INDEX_ORDER = {Entity.PERSON: "name"}
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
            conds.append(search.rowid_in_match(_index_rowid(t), _FTS[q.entity], q.search, walk=walk))
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
    if not q.search.strip() or search.match_expression(q.search) is None:
        return index_page(s, q, after=after, limit=limit)
    if INDEX_ORDER.get(q.entity) == q.sort_spec.key:
        # The index's own order is the page's: take its first matches. Only a one-letter word has no prefix index
        # and costs FTS5 every word that starts with it ("a": 22 ms); where such a word is dense, probing rows in
        # sort order is cheaper (6 ms), and where it is not ("q") the index has few words to merge.
        if not search.has_prefix_index(q.search):
            probed = probe_page(s, q, after=after, limit=limit)
            if probed is not None:
                return probed
        return ordered_page(s, q, after=after, limit=limit)
    # Three plans, picked by a capped count of the matches. Few: read and sort them all. More: walk the sort
    # index and keep the matches until the page is full — it visits about limit / share-of-rows-matching index
    # entries, cheap ones, where sorting reads every matching row ("info", 1,700 matches at 100,000 people:
    # 12 ms instead of 24 ms on a cold cache). Most rows match: probe the next rows in sort order (PROBE_SHARE).
    walk_above = WALK_PER_ROW * limit
    dense = max(walk_above + 1, int(_rows_ever(s, q.entity) * PROBE_SHARE))
    matches = search.count_matches(s, _FTS[q.entity], q.search, cap=dense)
    if matches is None or matches >= dense:
        probed = probe_page(s, q, after=after, limit=limit)
        if probed is not None:
            return probed
    return index_page(s, q, after=after, limit=limit, walk=matches is None or matches > walk_above)


def ordered_page(s: Session, q: ListQuery, *, after: tuple[Any, int] | None = None, limit: int = 200) -> list[Row]:
    """The page as the index hands out its matches: in rowid order, which is `q`'s order (INDEX_ORDER).

    FTS5 stops after `limit` matches that pass the other filters, so the page costs about the same whether a
    word matches 60 people or 60,000. `after` is a keyset position like the other plans' (sort key, num): the
    rows after it are those after the last position at or before it in key order, as it is now.
    """
    t = _TABLES[q.entity]
    fts_table = _FTS[q.entity]
    fts = table(fts_table, column("rowid"))
    sort_col = getattr(t, q.sort_spec.sort)
    plain = _select(replace(q, search=""))  # the page's columns and every filter but the search
    stmt = plain.select_from(fts).join(t, _index_rowid(t) == fts.c.rowid)
    stmt = stmt.where(search.match_clause(fts_table, q.search))
    if after is not None:
        # The position to go on from, read from another alias of the table (not correlated with the page's rows).
        m = aliased(t)
        m_sort, m_pos = getattr(m, q.sort_spec.sort), _index_rowid(t, alias=m)
        key = tuple_(m_sort, m.num)
        at = tuple_(literal(after[0], sort_col.type), literal(after[1], t.num.type))
        if q.descending:
            first_after = select(m_pos).where(key >= at).order_by(m_sort, m.num).limit(1).scalar_subquery()
            stmt = stmt.where(fts.c.rowid < func.coalesce(first_after, order.HIGH + 1))
        else:
            last_before = select(m_pos).where(key <= at).order_by(m_sort.desc(), m.num.desc()).limit(1)
            stmt = stmt.where(fts.c.rowid > func.coalesce(last_before.scalar_subquery(), order.LOW - 1))
    return _rows(s.execute(stmt.order_by(fts.c.rowid.desc() if q.descending else fts.c.rowid).limit(limit)))


def _index_rowid(t: Any, *, alias: Any = None) -> Any:
    """The column a table's search index takes its rowid from (search.FTS_ROWID), of `t` or an alias of it."""
    return getattr(t if alias is None else alias, search.FTS_ROWID[t.__tablename__])


def index_page(
    s: Session, q: ListQuery, *, after: tuple[Any, int] | None = None, limit: int = 200, walk: bool = False
) -> list[Row]:
    """The page from the FTS index's matches (`walk`: in sort-index order, stopping after one page)."""
    stmt = _after(_select(q, walk=walk), q, after)
    return _rows(s.execute(stmt.order_by(*_order(q)).limit(limit)))


# A search that matches a large share of the rows fills its page from the next rows in sort order, each probed
# with FTS5 (search.probe_matches, ~30 µs a row), instead of from every match in the index (0.3 µs a match, but
# "a" matches 70,000 of 100,000 people). The first probe is small; it shows how dense the matches are, and the
# probe goes on only while the page is expected to fill within PROBE_MAX rows, with room to spare: matches
# cluster in sort order ("mü" is dense among the M names and rare elsewhere), so a guess from a few rows is rough.
WALK_PER_ROW = 12  # walk the sort index when more than this many matches per row of the page (measured)
PROBE_SHARE = 0.25  # probe when at least this share of the rows match (a capped count tells)
PROBE_FIRST = 64
PROBE_MAX = 400


def _rows_ever(s: Session, entity: Entity) -> int:
    """Rows ever stored (tombstones included): the scale for a match count, from the rowid b-tree's last key."""
    t = _TABLES[entity]
    return int(s.execute(select(func.max(t.num))).scalar() or 0)


def probe_page(s: Session, q: ListQuery, *, after: tuple[Any, int] | None = None, limit: int = 200) -> list[Row] | None:
    """The page found by probing rows in sort order, or None when the matches are too sparse for that."""
    t = _TABLES[q.entity]
    plain = replace(q, search="")
    sort_col = getattr(t, q.sort_spec.sort)
    hits: list[int] = []
    examined, step, pos = 0, PROBE_FIRST, after
    while True:
        batch = s.execute(
            _after(select(t.num, sort_col).where(*_where(plain)), q, pos).order_by(*_order(q)).limit(step)
        ).all()
        matched = search.probe_matches(s, t.__tablename__, [n for n, _ in batch], q.search)
        hits += [n for n, _ in batch if n in matched]
        examined += len(batch)
        if len(hits) >= limit or len(batch) < step:
            break  # a full page, or no rows left: the answer is exact either way
        if not hits:
            return None
        needed = (limit - len(hits)) * examined / len(hits)
        if examined + 1.5 * needed > PROBE_MAX:
            return None
        step = min(PROBE_MAX - examined, int(needed * 1.25) + 8)
        pos = (batch[-1][1], batch[-1][0])
    if not hits:
        return []
    return _rows(s.execute(_select(plain).where(t.num.in_(hits[:limit])).order_by(*_order(q))))


def _after(stmt: Any, q: ListQuery, after: tuple[Any, int] | None) -> Any:
    """`stmt` limited to the rows after keyset position `after` in `q`'s order."""
    if after is None:
        return stmt
    t = _TABLES[q.entity]
    sort_col = getattr(t, q.sort_spec.sort)
    pos = tuple_(sort_col, t.num)
    # Bound with the column's type: an aware datetime must compare in its stored text form, not pysqlite's.
    key = tuple_(literal(after[0], sort_col.type), literal(after[1], t.num.type))
    return stmt.where(pos < key if q.descending else pos > key)


def _order(q: ListQuery) -> tuple[Any, Any]:
    t = _TABLES[q.entity]
    sort_col = getattr(t, q.sort_spec.sort)
    return (sort_col.desc(), t.num.desc()) if q.descending else (sort_col, t.num)


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
