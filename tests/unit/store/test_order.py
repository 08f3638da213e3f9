"""Tests for crmdesk.store.order: every person's position follows the name order, whatever is written in between.

The positions are what the people's search index is keyed by, so a position out of order puts a search result on
the wrong row, and a missing one leaves a person out of search. The state machine squeezes the number line
(a handful of integers between rows) so that full gaps and rows spread out again happen in every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import StoreError
from crmdesk.store import listing, order, people
from crmdesk.store.engine import Store

# Few names, so that many people share one and land in the same gap; "" sorts last.
# A person needs a first or a last name.
NAMES = st.tuples(
    st.sampled_from(["", "Ann", "Änne", "Bo"]), st.sampled_from(["", "Abel", "Müller", "müller", "Zoë", "Zoe"])
).filter(any)


def in_order(s: Session) -> None:
    """Positions: set, unique, inside the line, and in the list's order (name key, then num), tombstones too."""
    rows = s.execute(text("SELECT num, k_name, name_pos FROM person")).all()
    positions = [r.name_pos for r in rows]
    assert None not in positions
    assert len(set(positions)) == len(positions)
    assert all(order.LOW <= p <= order.HIGH for p in positions)
    by_key = [r.num for r in sorted(rows, key=lambda r: (r.k_name, r.num))]
    by_pos = [r.num for r in sorted(rows, key=lambda r: r.name_pos)]
    assert by_pos == by_key
    s.execute(text("INSERT INTO person_fts(person_fts, rank) VALUES ('integrity-check', 1)"))


@pytest.fixture
def squeezed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A number line of 129 integers and rows 4 apart: the second person into a gap already finds it full."""
    monkeypatch.setattr(order, "STEP", 4)
    monkeypatch.setattr(order, "LOW", -64)
    monkeypatch.setattr(order, "HIGH", 64)
    monkeypatch.setattr(order, "_MIN_ROOM", 2)


class OrderMachine(RuleBasedStateMachine):
    make_store: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.store = self.make_store()
        self.live: list[str] = []
        self.dead: list[str] = []

    @rule(name=NAMES)
    def create(self, name: tuple[str, str]) -> None:
        first, last = name
        with self.store.write() as s:
            p, _ = people.create(s, PersonRecord(first_name=first, last_name=last))
        self.live.append(p.id)

    @rule(names=st.lists(NAMES, min_size=1, max_size=12))
    def import_many(self, names: list[tuple[str, str]]) -> None:
        recs = [PersonRecord(first_name=f, last_name=last) for f, last in names]
        with self.store.write() as s:
            people.bulk_insert(s, recs)
        self.live += [r.id for r in recs]

    @precondition(lambda self: self.live)
    @rule(data=st.data(), name=NAMES)
    def rename(self, data: st.DataObject, name: tuple[str, str]) -> None:
        first, last = name
        pid = data.draw(st.sampled_from(self.live))
        with self.store.write() as s:
            people.update(s, people.get(s, pid).replace(first_name=first, last_name=last))

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(self.live))
        with self.store.write() as s:
            people.delete_many(s, [pid])
        self.live.remove(pid)
        self.dead.append(pid)

    @precondition(lambda self: self.dead)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(self.dead))
        with self.store.write() as s:
            people.restore_many(s, [pid])
        self.dead.remove(pid)
        self.live.append(pid)

    @invariant()
    def positions_follow_the_name_order(self) -> None:
        with self.store.read() as s:
            in_order(s)

    @invariant()
    def search_pages_are_the_lists_rows(self) -> None:
        """The index's order is the list's: a search page by page gives what filtering the list gives."""
        with self.store.read() as s:
            for word in ("mü", "zo"):
                for descending in (False, True):
                    q = listing.ListQuery(Entity.PERSON, search=word, descending=descending)
                    after = None
                    while True:
                        expected = listing.index_page(s, q, after=after, limit=8)
                        assert listing.ordered_page(s, q, after=after, limit=8) == expected, (word, after)
                        if len(expected) < 8:
                            break
                        after = expected[-1].key

    def teardown(self) -> None:
        self.store.close()


def test_positions_stay_in_name_order_under_random_writes(
    make_store: Callable[[], Store], squeezed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # room for the ~300 people a run can write, a few integers apart: gaps fill up and rows move in every run
    monkeypatch.setattr(order, "LOW", -512)
    monkeypatch.setattr(order, "HIGH", 512)
    machine = type("Machine", (OrderMachine,), {"make_store": staticmethod(make_store)})
    run_state_machine_as_test(machine, settings=settings(max_examples=8, stateful_step_count=20, deadline=None))


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Iterator[Store]:
    st_ = make_store()
    yield st_
    st_.close()


def _positions(s: Session) -> dict[str, int]:
    return {last: pos for last, pos in s.execute(text("SELECT last_name, name_pos FROM person"))}


def test_positions_are_written_a_step_apart_and_kept_by_edits_that_keep_the_order(store: Store) -> None:
    with store.write() as s:
        people.bulk_insert(s, [PersonRecord(last_name=n) for n in ("Cole", "Abel", "Baker")])
        assert sorted(_positions(s).values()) == [0, order.STEP, 2 * order.STEP]
        baker = s.execute(text("SELECT id FROM person WHERE last_name = 'Baker'")).scalar_one()
        before = _positions(s)["Baker"]
        people.update(s, people.get(s, baker).replace(last_name="Bakers", notes="moved nowhere"))
        assert _positions(s)["Bakers"] == before  # still between Abel and Cole: its index entry is not moved
        people.update(s, people.get(s, baker).replace(last_name="Zed"))
        assert _positions(s)["Zed"] > _positions(s)["Cole"]
        in_order(s)


def test_a_full_gap_spreads_its_neighbours_out(store: Store, squeezed: None) -> None:
    """Forty people of one name go, one by one, into the gap before the next name; rows around it move aside."""
    with store.write() as s:
        people.bulk_insert(s, [PersonRecord(last_name=n) for n in ("Abel", "Zorn")])
        for _ in range(40):
            people.create(s, PersonRecord(last_name="Müller"))
        in_order(s)
        hits = listing.ordered_page(s, listing.ListQuery(Entity.PERSON, search="müller"), limit=100)
        assert len(hits) == 40


def test_a_full_number_line_is_spread_out_whole(store: Store, squeezed: None) -> None:
    """More people than the squeezed line has room for a step apart: appending at the end runs out of line."""
    with store.write() as s:
        for i in range(30):
            people.create(s, PersonRecord(last_name=f"N{i:03d}"))  # each after the last: lo + STEP each time
        in_order(s)
        assert max(_positions(s).values()) <= order.HIGH


def test_a_person_without_a_position_is_refused(store: Store) -> None:
    """A writer that forgot the position would leave the person out of search: the store refuses the row."""
    with pytest.raises(StoreError, match="name_pos is required"), store.write() as s:
        s.execute(
            text(
                "INSERT INTO person (id, salutation, title, first_name, middle_name, last_name, suffix, gender, "
                "notes, lifecycle, custom, display_name, company_name, position, email, phone, tags_text, "
                "search_extra, k_name, k_company, k_position, k_email, k_phone, k_tags, created_at, updated_at, "
                "change_seq) VALUES ('x', '', '', '', '', 'Lost', '', '', '', '', '[]', 'Lost', '', '', '', '', "
                "'', '', 'lost', '', '', '', '', '', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 1)"
            )
        )
    with store.write() as s:
        people.create(s, PersonRecord(last_name="Kept"))
        with pytest.raises(IntegrityError, match="name_pos is required"):
            s.execute(text("UPDATE person SET name_pos = NULL"))


@pytest.mark.parametrize("descending", [False, True])
def test_the_next_page_goes_on_from_a_key_whose_row_has_moved_or_gone(store: Store, descending: bool) -> None:
    """A view asks for the rows after the last one it shows; that row may have been renamed or deleted since. The
    page after its key is the same as in the list's own order, the index's rowids notwithstanding."""
    with store.write() as s:
        people.bulk_insert(s, [PersonRecord(first_name=f, last_name="Müller") for f in "ABCDEFGH"])
    q = listing.ListQuery(Entity.PERSON, search="müller", descending=descending)
    with store.read() as s:
        first = listing.ordered_page(s, q, limit=4)
    with store.write() as s:
        people.update(s, people.get(s, first[-1].id).replace(last_name="Abel-Müller"))  # to the other end
        people.delete_many(s, [first[-2].id, listing.ordered_page(s, q, after=first[-1].key, limit=1)[0].id])
    with store.read() as s:
        for after in (first[-1].key, first[-2].key, first[0].key):
            expected = listing.index_page(s, q, after=after, limit=10)
            assert listing.ordered_page(s, q, after=after, limit=10) == expected
            assert expected  # there was something to compare


KEYS = st.lists(st.tuples(st.sampled_from(["", "abel", "ann", "änne", "bo müller", "zoe", "zoë"]), st.integers(1, 40)))


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(NAMES, min_size=0, max_size=25),
    keys=KEYS,
    parked=st.integers(0, 30),
)
def test_one_scan_finds_the_same_neighbours_as_a_seek_per_key(
    make_store: Callable[[], Store], names: list[tuple[str, str]], keys: list[tuple[str, int]], parked: int
) -> None:
    """A large batch reads the name order once and bisects it; a small one seeks twice a key: the same answers,
    also for a key whose num is taken (a renamed person is not its own neighbour) and beside a row parked in the
    scratch range during a move."""
    st_ = make_store()
    try:
        with st_.write() as s:
            people.bulk_insert(s, [PersonRecord(first_name=first, last_name=last) for first, last in names])
            order._move(s, [(parked, order._SCRATCH)])  # a row parked mid-move (no such num: nothing moves)
            keys = sorted(keys)
            assert order._neighbours_by_scan(s, keys) == order._neighbours(s, keys)
    finally:
        st_.close()
