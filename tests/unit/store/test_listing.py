"""Tests for crmdesk.store.listing: keyset pages in every order, filters, counts and tag lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from crmdesk.domain import normalize
from crmdesk.domain.records import (
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.store import companies, demo, listing, people, touchpoints
from crmdesk.store.engine import Store, open_store

LAST = "\U0010ffff"


def fold(value: str) -> str:
    """Case and accents folded, empty last: the order a reader expects, written independently of the store."""
    if not value:
        return LAST
    plain = "".join(c for c in unicodedata.normalize("NFKD", value.casefold()) if not unicodedata.combining(c))
    return plain or LAST


def person_name_key(first: str, last: str) -> str:
    if not first and not last:
        return LAST
    return fold(f"{last}\x01{first}") if last else fold(first)


def parse_time(raw: str) -> dt.datetime:
    return dt.datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


# Per entity: the SQL reading every live row as stored, and per column the key computed from those values.
SOURCE = {
    Entity.PERSON: (
        "SELECT id, num, first_name, last_name, company_name, position, email, phone, tags_text, updated_at "
        "FROM person WHERE deleted_at IS NULL",
        {
            "name": lambda r: person_name_key(r["first_name"], r["last_name"]),
            "company": lambda r: fold(r["company_name"]),
            "position": lambda r: fold(r["position"]),
            "email": lambda r: fold(r["email"]),
            "phone": lambda r: r["phone"] or LAST,
            "tags": lambda r: fold(r["tags_text"]),
            "updated": lambda r: parse_time(r["updated_at"]),
        },
    ),
    Entity.COMPANY: (
        "SELECT id, num, name, industry, city, phone, email, people_count FROM company WHERE deleted_at IS NULL",
        {
            "name": lambda r: fold(r["name"]),
            "industry": lambda r: fold(r["industry"]),
            "city": lambda r: fold(r["city"]),
            "phone": lambda r: r["phone"] or LAST,
            "email": lambda r: fold(r["email"]),
            "people": lambda r: r["people_count"],
        },
    ),
    Entity.TOUCHPOINT: (
        "SELECT id, num, occurred_at, type, subject, people_text, company_name FROM touchpoint "
        "WHERE deleted_at IS NULL",
        {
            "when": lambda r: parse_time(r["occurred_at"]),
            "type": lambda r: r["type"],
            "subject": lambda r: fold(r["subject"]),
            "person": lambda r: fold(r["people_text"]),
            "company": lambda r: fold(r["company_name"]),
        },
    ),
}
ALL_SORTS = [
    (entity, spec.key, descending)
    for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT)
    for spec in listing.COLUMNS[entity]
    for descending in (False, True)
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[Store]:
    """1,000 demo people, plus records with empty columns, odd names and tombstones (read only)."""
    path = tmp_path_factory.mktemp("listing") / "crmdesk.sqlite3"
    shutil.copyfile(template_db, path)
    st = open_store(path)
    demo.generate(st, people_count=1000, seed=7)
    with st.write() as s:
        bare_co, _ = companies.create(s, CompanyRecord(name="ärger & söhne"))
        odd = [
            PersonRecord(first_name="Zoë"),  # no cards: every other column empty
            PersonRecord(last_name="Ångström", tags=("VIP",)),
            PersonRecord(first_name="émile", last_name="zola"),
            PersonRecord(first_name="EMILE", last_name="Zola", cards=(BusinessCardRecord(company_id=bare_co.id),)),
            PersonRecord(
                first_name="Max", last_name="Müller", cards=(BusinessCardRecord(company_name="", position="Ärztin"),)
            ),
            PersonRecord(
                first_name="Only",
                last_name="Email",
                cards=(BusinessCardRecord(private=True, emails=(Email("ONLY@example.org"),)),),
            ),
            PersonRecord(
                first_name="Only", last_name="Phone", cards=(BusinessCardRecord(phones=(Phone("+1 212 555 0100"),)),)
            ),
        ]
        created = [people.create(s, p)[0] for p in odd]
        touchpoints.create(s, TouchpointRecord(subject="Lonely note", type=TouchpointType.NOTE))
        touchpoints.create(s, TouchpointRecord(subject="ärger", person_ids=(created[0].id,), company_id=bare_co.id))
        # tombstones, and some rows with later update times
        live = list(s.execute(text("SELECT id FROM person WHERE deleted_at IS NULL ORDER BY num")).scalars())
        people.delete_many(s, live[::37])
        for pid in [p for p in live[5:400:41] if p not in live[::37]]:
            people.update(s, people.get(s, pid).replace(notes="touched"))
        cos = list(s.execute(text("SELECT id FROM company ORDER BY num")).scalars())
        companies.delete_many(s, cos[:3])
        tps = list(s.execute(text("SELECT id FROM touchpoint ORDER BY num")).scalars())
        touchpoints.delete_many(s, tps[::50])
    yield st
    st.close()


def all_pages(s: Session, q: listing.ListQuery, limit: int) -> list[listing.Row]:
    rows: list[listing.Row] = []
    after = None
    for _ in range(100_000 // limit + 10):  # a keyset that stops advancing fails instead of hanging
        page = listing.page(s, q, after=after, limit=limit)
        assert len(page) <= limit
        if not page:
            return rows
        rows += page
        after = page[-1].key
    raise AssertionError("paging never ended")


def live_rows(s: Session, entity: Entity) -> list[dict[str, Any]]:
    return [dict(r) for r in s.execute(text(SOURCE[entity][0])).mappings()]


@pytest.mark.parametrize("entity, column, descending", ALL_SORTS)
def test_keyset_paging_returns_every_live_row_once_in_order(
    store: Store, entity: Entity, column: str, descending: bool
) -> None:
    key_of: Callable[[dict[str, Any]], Any] = SOURCE[entity][1][column]
    q = listing.ListQuery(entity, sort=column, descending=descending)
    with store.read() as s:
        got = all_pages(s, q, limit=97)
        source = live_rows(s, entity)
        total = listing.count(s, q)
    expected = sorted(source, key=lambda r: (key_of(r), r["num"]), reverse=descending)
    assert total == len(source) > 0
    assert [r.id for r in got] == [r["id"] for r in expected]
    by_id = {r["id"]: r for r in source}
    for row in got:
        assert row.key == (key_of(by_id[row.id]), by_id[row.id]["num"])
        assert len(row.values) == len(listing.COLUMNS[entity])


@pytest.mark.parametrize(
    "entity, column, value_index",
    [
        (Entity.PERSON, "company", 1),
        (Entity.PERSON, "position", 2),
        (Entity.PERSON, "email", 3),
        (Entity.PERSON, "phone", 4),
        (Entity.PERSON, "tags", 5),
        (Entity.TOUCHPOINT, "person", 3),
        (Entity.TOUCHPOINT, "company", 4),
    ],
)
def test_empty_values_sort_last_ascending_and_first_descending(
    store: Store, entity: Entity, column: str, value_index: int
) -> None:
    with store.read() as s:
        up = listing.page(s, listing.ListQuery(entity, sort=column), limit=5000)
        down = listing.page(s, listing.ListQuery(entity, sort=column, descending=True), limit=5000)
    empty_up = [r.values[value_index] == "" for r in up]
    assert any(empty_up) and not all(empty_up)
    first_empty = empty_up.index(True)
    assert all(empty_up[first_empty:])
    empty_down = [r.values[value_index] == "" for r in down]
    assert all(empty_down[: empty_down.count(True)])


def test_page_sizes_and_the_end(store: Store) -> None:
    q = listing.ListQuery(Entity.PERSON)
    with store.read() as s:
        first = listing.page(s, q, limit=10)
        assert len(first) == 10
        assert listing.page(s, q, after=first[4].key, limit=5) == first[5:]
        everything = listing.page(s, q, limit=5000)
        assert listing.page(s, q, after=everything[-1].key) == []


def test_accents_and_case_sort_together(store: Store) -> None:
    with store.read() as s:
        rows = listing.page(s, listing.ListQuery(Entity.PERSON, search="zola"), limit=50)
    assert [r.values[0] for r in rows] == ["émile zola", "EMILE Zola"]  # equal keys: the older first


def test_rows_by_id_refreshes_matching_rows_only(store: Store) -> None:
    with store.read() as s:
        page = listing.page(s, listing.ListQuery(Entity.PERSON), limit=20)
        ids = [r.id for r in page]
        again = listing.rows_by_id(s, listing.ListQuery(Entity.PERSON), ids)
        assert sorted(again, key=lambda r: r.key) == page
        dead = s.execute(text("SELECT id FROM person WHERE deleted_at IS NOT NULL LIMIT 1")).scalar_one()
        assert listing.rows_by_id(s, listing.ListQuery(Entity.PERSON), [dead, ids[0]]) == [page[0]]
        zola = listing.rows_by_id(s, listing.ListQuery(Entity.PERSON, search="zola"), ids)
        assert zola == [r for r in page if "zola" in r.values[0].lower()]
        assert listing.rows_by_id(s, listing.ListQuery(Entity.PERSON), []) == []


def test_counts_and_search_agree_with_pages(store: Store) -> None:
    with store.read() as s:
        for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT):
            for query in ("", "m", "müller", "gmbh", "zzzz"):
                q = listing.ListQuery(entity, search=query)
                assert listing.count(s, q) == len(all_pages(s, q, limit=500))


PROBED_SEARCHES = ["a", "e", "q", "mü", "gmbh", "vip", "+49", "ma s", "o'b", "zzzz"]


@pytest.mark.parametrize(
    "entity, column, descending",
    [
        (Entity.PERSON, "name", False),
        (Entity.PERSON, "name", True),
        (Entity.PERSON, "company", True),
        (Entity.PERSON, "updated", True),
        (Entity.COMPANY, "city", False),
        (Entity.TOUCHPOINT, "when", True),
    ],
)
def test_probing_rows_in_sort_order_finds_exactly_what_the_index_finds(
    store: Store, entity: Entity, column: str, descending: bool
) -> None:
    """listing.page fills a dense search's page by probing rows in sort order; page after page, that must give
    the rows the FTS index gives, whichever plan page() picks."""
    conclusive = 0
    with store.read() as s:
        for text_ in PROBED_SEARCHES:
            for tag in ("", "VIP"):
                q = listing.ListQuery(entity, search=text_, tag=tag, sort=column, descending=descending)
                after = None
                while True:
                    expected = listing.index_page(s, q, after=after, limit=60)
                    probed = listing.probe_page(s, q, after=after, limit=60)
                    if probed is not None:
                        conclusive += 1
                        assert probed == expected, (text_, tag, after)
                    assert listing.page(s, q, after=after, limit=60) == expected
                    if len(expected) < 60:
                        break
                    after = expected[-1].key
    assert conclusive > 10  # the probe did decide most dense pages: this test compared something


def test_tag_filter(store: Store) -> None:
    with store.read() as s:
        for entity, link, owner in (
            (Entity.PERSON, "person_tag", "person"),
            (Entity.COMPANY, "company_tag", "company"),
            (Entity.TOUCHPOINT, "touchpoint_tag", "touchpoint"),
        ):
            for tag in listing.tag_names_in_use(s, entity):
                expected = set(
                    s.execute(
                        text(
                            f"SELECT o.id FROM {owner} o JOIN {link} l ON l.{owner}_id = o.id "
                            "JOIN tag t ON t.id = l.tag_id WHERE o.deleted_at IS NULL AND t.name = :n"
                        ),
                        {"n": tag},
                    ).scalars()
                )
                q = listing.ListQuery(entity, tag=tag)
                assert {r.id for r in all_pages(s, q, limit=500)} == expected
                assert listing.count(s, q) == len(expected)
                assert listing.count(s, listing.ListQuery(entity, tag=tag.upper())) == len(expected)
        vip = listing.ListQuery(Entity.PERSON, tag="VIP", search="ångström")
        assert [r.values[0] for r in listing.page(s, vip)] == ["Ångström"]
        assert listing.count(s, listing.ListQuery(Entity.PERSON, tag="no such tag")) == 0


def test_tag_names_in_use(store: Store) -> None:
    with store.read() as s:
        person_tags = listing.tag_names_in_use(s, Entity.PERSON)
        assert "VIP" in person_tags and "customer" in person_tags
        assert listing.tag_names_in_use(s, Entity.TOUCHPOINT) == []
        company_tags = listing.tag_names_in_use(s, Entity.COMPANY)
        assert set(company_tags) <= {"customer", "prospect", "partner", "supplier", "key account"}
        assert person_tags == sorted(person_tags, key=str.lower)


def test_tags_of_deleted_records_are_not_in_use(ctx: Any) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="A", tags=("only-here",)))
        people.create(s, PersonRecord(first_name="B", tags=("shared",)))
        assert listing.tag_names_in_use(s, Entity.PERSON) == ["only-here", "shared"]
        people.delete_many(s, [p.id])
        assert listing.tag_names_in_use(s, Entity.PERSON) == ["shared"]


def test_company_and_person_filters(store: Store) -> None:
    with store.read() as s:
        company_ids = list(
            s.execute(
                text("SELECT id FROM company WHERE deleted_at IS NULL ORDER BY people_count DESC LIMIT 3")
            ).scalars()
        )
        for cid in company_ids:
            staff = {r.id for r in all_pages(s, listing.ListQuery(Entity.PERSON, company_id=cid), limit=500)}
            assert staff == set(people.ids_at_company(s, cid))
            people_count = s.execute(text("SELECT people_count FROM company WHERE id = :c"), {"c": cid}).scalar_one()
            assert len(staff) == people_count > 0
            tps = {r.id for r in all_pages(s, listing.ListQuery(Entity.TOUCHPOINT, company_id=cid), limit=500)}
            assert tps == set(
                s.execute(
                    text("SELECT id FROM touchpoint WHERE company_id = :c AND deleted_at IS NULL"), {"c": cid}
                ).scalars()
            )
        pid = s.execute(
            text(
                "SELECT person_id FROM touchpoint_person tp JOIN touchpoint t ON t.id = tp.touchpoint_id "
                "WHERE t.deleted_at IS NULL GROUP BY person_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        mine = {r.id for r in all_pages(s, listing.ListQuery(Entity.TOUCHPOINT, person_id=pid), limit=500)}
        assert mine == {t.id for t in touchpoints.recent_for_person(s, pid, limit=1000)}
        assert len(mine) >= 1
        assert listing.count(s, listing.ListQuery(Entity.PERSON, company_id="nope")) == 0


def test_sort_specs() -> None:
    assert listing.ListQuery(Entity.PERSON).sort_spec.key == "name"
    assert listing.ListQuery(Entity.TOUCHPOINT).sort_spec.key == "when"
    assert listing.DEFAULT_SORT[Entity.TOUCHPOINT] == ("when", True)
    with pytest.raises(ValueError):
        _ = listing.ListQuery(Entity.PERSON, sort="salary").sort_spec
    for entity, columns in listing.COLUMNS.items():
        assert [c.header for c in columns]
        assert len({c.key for c in columns}) == len(columns), entity


def test_a_phone_column_follows_the_number_through_edits(tmp_path: Path) -> None:
    """The list's phone is the favourite number's stored forms, rewritten with every edit of it: a new number, a
    new favourite, no number."""
    st = open_store(tmp_path / "crmdesk.sqlite3")
    column = [c.key for c in listing.COLUMNS[Entity.PERSON]].index("phone")

    def shown() -> str:
        with st.read() as s:
            (row,) = listing.page(s, listing.ListQuery(Entity.PERSON))
        return normalize.shown_phone(row.values[column], region="DE")

    try:
        with st.write() as s:
            card = BusinessCardRecord(phones=(Phone("+49753112345", favourite=True),))
            rec, _ = people.create(s, PersonRecord(first_name="Ida", last_name="Edit", cards=(card,)))
        assert shown() == "07531 12345"
        with st.write() as s:
            card = dataclasses.replace(
                rec.cards[0], phones=(Phone("+49753112345"), Phone("+41446681800", favourite=True))
            )
            rec, _ = people.update(s, rec.replace(cards=(card,)))
        assert shown() == "+41 44 668 18 00"
        with st.write() as s:
            people.update(s, rec.replace(cards=(dataclasses.replace(rec.cards[0], phones=()),)))
        assert shown() == ""
    finally:
        st.engine.dispose()
