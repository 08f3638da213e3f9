"""Tests for crmdesk.store.demo: varied, valid, deterministic sample data."""

from __future__ import annotations

import collections
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crmdesk.domain import validate
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord, TouchpointType
from crmdesk.errors import Cancelled
from crmdesk.store import companies, demo, listing, people, touchpoints
from crmdesk.store.engine import Store, open_store
from crmdesk.tasks import CancelToken


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> Iterator[tuple[Store, tuple[int, int, int], list[tuple[int, int]]]]:
    path = tmp_path_factory.mktemp("demo") / "crmdesk.sqlite3"
    shutil.copyfile(template_db, path)
    store = open_store(path)
    reports: list[tuple[int, int]] = []
    added = demo.generate(store, people_count=2000, progress=lambda done, total, _: reports.append((done, total)))
    yield store, added, reports
    store.close()


@pytest.fixture(scope="module")
def records(
    generated: tuple[Store, tuple[int, int, int], list[tuple[int, int]]],
) -> tuple[list[PersonRecord], list[CompanyRecord], list[TouchpointRecord]]:
    store = generated[0]
    with store.read() as s:
        ids = {
            entity: list(s.execute(text(f"SELECT id FROM {entity.value} ORDER BY num")).scalars())
            for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT)
        }
        return (
            people.get_many(s, ids[Entity.PERSON]),
            companies.get_many(s, ids[Entity.COMPANY]),
            touchpoints.get_many(s, ids[Entity.TOUCHPOINT]),
        )


Records = tuple[list[PersonRecord], list[CompanyRecord], list[TouchpointRecord]]


def test_counts_match_what_generate_reports(
    generated: tuple[Store, tuple[int, int, int], list[tuple[int, int]]],
) -> None:
    store, (n_companies, n_people, n_touchpoints), reports = generated
    assert n_people == 2000
    assert n_companies >= 50
    assert 1700 < n_touchpoints < 2300  # one a person on average (demo_data._TP_COUNTS), give or take 45
    with store.read() as s:
        assert listing.count(s, listing.ListQuery(Entity.PERSON)) == n_people
        assert listing.count(s, listing.ListQuery(Entity.COMPANY)) == n_companies
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT)) == n_touchpoints
        for table in ("person", "company", "touchpoint"):
            s.execute(text(f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)"))
            indexed = s.execute(text(f"SELECT count(*) FROM {table}_fts_docsize")).scalar_one()
            assert indexed == s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        assert s.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    assert reports[-1] == (2000, 2000)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def test_every_record_is_valid_and_already_normal(records: Records) -> None:
    folks, firms, tps = records
    for p in folks:
        assert validate.check_person(p) == p, p.id
    for c in firms:
        assert validate.check_company(c) == c, c.id
    for t in tps:
        assert validate.check_touchpoint(t) == t, t.id


def test_data_is_varied(records: Records) -> None:
    folks, firms, tps = records
    countries = collections.Counter(a.country for c in firms for a in c.addresses)
    assert len(countries) >= 6
    assert countries.most_common(1)[0][0] == "DE"
    assert len({c.name for c in firms}) == len(firms)  # no two companies of the same name
    assert len({c.industry for c in firms}) >= 10
    assert len({p.last_name for p in folks}) >= 60
    assert len({p.first_name for p in folks}) >= 60
    assert sum(1 for p in folks if len(p.cards) > 1) > 100  # private cards too
    assert sum(1 for p in folks if p.birthday is not None) > 500
    assert sum(1 for p in folks if not p.tags) > 100 and sum(1 for p in folks if len(p.tags) >= 2) > 100
    assert any(
        any(ch not in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" for ch in p.last_name) for p in folks
    )
    assert {t.type for t in tps} == set(TouchpointType)
    assert all(t.amount and t.currency == "EUR" for t in tps if t.type is TouchpointType.TURNOVER)
    assert all(not t.amount for t in tps if t.type is not TouchpointType.TURNOVER)
    assert len({t.occurred_at.date() for t in tps}) > 300
    prefixes = collections.Counter(ph.number[:3] for p in folks for c in p.cards for ph in c.phones)
    assert len(prefixes) >= 6


def test_companies_and_people_fit_together(
    generated: tuple[Store, tuple[int, int, int], list[tuple[int, int]]], records: Records
) -> None:
    folks, firms, tps = records
    by_id = {c.id: c for c in firms}
    expected_count: collections.Counter[str] = collections.Counter()
    for p in folks:
        work = p.cards[0]
        assert work.company_id in by_id and work.company_name == by_id[work.company_id].name
        assert work.favourite
        domain = by_id[work.company_id].emails[0].address.split("@")[1]
        assert work.emails[0].address.endswith("@" + domain)
        expected_count[work.company_id] += 1
    for c in firms:
        assert c.legal_form and c.name.endswith(" " + c.legal_form)
    assert any(" " in c.legal_form for c in firms)  # "GmbH & Co. KG", "Sp. z o.o.": the whole form, not its last word
    store = generated[0]
    with store.read() as s:
        counts = {r[0]: r[1] for r in s.execute(text("SELECT id, people_count FROM company"))}
    assert counts == {c.id: expected_count[c.id] for c in firms}
    person_ids = {p.id for p in folks}
    for t in tps:
        assert set(t.person_ids) <= person_ids and t.company_id in by_id


def test_the_same_seed_makes_the_same_data(make_store: Callable[[], Store]) -> None:
    made = []
    for _ in range(2):
        store = make_store()
        demo.generate(store, people_count=120, seed=42)
        with store.read() as s:
            made.append(
                [
                    tuple(r)
                    for r in s.execute(
                        text("SELECT id, display_name, company_name, email, phone, tags_text FROM person ORDER BY num")
                    )
                ]
            )
        store.close()
    assert made[0] == made[1] and len(made[0]) == 120
    other = make_store()
    demo.generate(other, people_count=120, seed=43)
    with other.read() as s:
        assert [r[0] for r in s.execute(text("SELECT id FROM person ORDER BY num"))] != [r[0] for r in made[0]]
    other.close()


def test_a_cancelled_run_leaves_whole_batches(make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "BATCH", 50)
    store = make_store()
    token = CancelToken()

    def progress(done: int, total: int, text_: str) -> None:
        if done >= 100:
            token.set()

    with pytest.raises(Cancelled):
        demo.generate(store, people_count=500, progress=progress, cancel=token)
    with store.read() as s:
        assert listing.count(s, listing.ListQuery(Entity.PERSON)) == 100
        s.execute(text("INSERT INTO person_fts(person_fts, rank) VALUES ('integrity-check', 1)"))
    store.close()
