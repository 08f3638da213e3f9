"""The store at scale: a demo store of CRMDESK_TEST_PEOPLE people (default 3,000, CI's short profile).

Run the long profile with `CRMDESK_TEST_PEOPLE=100000 pytest -m slow`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crmdesk.domain.records import Entity
from crmdesk.store import demo, listing
from crmdesk.store.engine import Store, open_store
from crmdesk.store.listing import COLUMNS, ListQuery

pytestmark = pytest.mark.slow

PEOPLE = int(os.environ.get("CRMDESK_TEST_PEOPLE", "3000"))
QUERIES = ["a", "m", "mü", "müller", "sch", "gmbh", "berlin", "sales", "+49", "0711", "anna", "q", "xyzzy", "@", "Zoë"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("scale") / "crmdesk.sqlite3"
    st = open_store(path)
    demo.generate(st, people_count=PEOPLE, seed=11)
    yield st
    st.close()


def _all(st: Store, q: ListQuery, *, page_size: int = 500, walk: bool | None = None) -> list[str]:
    """Every row of `q`, page by page: by listing.page's own plan, or (walk given) by that index plan."""
    out: list[str] = []
    after = None
    with st.read() as s:
        while True:
            if walk is None:
                rows = listing.page(s, q, after=after, limit=page_size)
            else:
                rows = listing.index_page(s, q, after=after, limit=page_size, walk=walk)
            out += [r.id for r in rows]
            if len(rows) < page_size:
                return out
            assert rows[-1].key != after, "paging stopped advancing"
            after = rows[-1].key


def test_fts_indexes_are_consistent(store: Store) -> None:
    with store.write() as s:
        for table in ("person", "company", "touchpoint"):
            s.execute(text(f"INSERT INTO {table}_fts({table}_fts) VALUES ('integrity-check')"))
            n_fts = s.execute(text(f"SELECT count(*) FROM {table}_fts")).scalar_one()
            n_rows = s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert n_fts == n_rows


@pytest.mark.parametrize("entity", [Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT])
def test_keyset_paging_covers_every_record_once_for_every_sort(store: Store, entity: Entity) -> None:
    with store.read() as s:
        total = listing.count(s, ListQuery(entity))
    for spec in COLUMNS[entity]:
        for descending in (False, True):
            ids = _all(store, ListQuery(entity, sort=spec.key, descending=descending))
            assert len(ids) == len(set(ids)) == total, (spec.key, descending)


@pytest.mark.parametrize("query", QUERIES)
def test_walking_the_sort_index_finds_what_sorting_the_matches_finds(store: Store, query: str) -> None:
    """listing.page picks a plan by how many records match; walking and sorting must give the same rows (and
    the probe, tested against them in tests/unit/store/test_listing.py)."""
    for sort in ("name", "company", "updated"):
        q = ListQuery(Entity.PERSON, search=query, sort=sort)
        sorted_matches = _all(store, q, page_size=150, walk=False)
        walked = _all(store, q, page_size=150, walk=True)
        assert walked == sorted_matches, (query, sort)
        assert _all(store, q, page_size=150) == walked
        with store.read() as s:
            assert len(walked) == listing.count(s, q)
