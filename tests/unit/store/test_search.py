"""Tests for crmdesk.store.search and the FTS5 index: hostile input, prefix words, folding, triggers."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import text
from sqlalchemy.orm import Session

from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
    TouchpointRecord,
)
from crmdesk.store import companies, listing, people, search, touchpoints
from crmdesk.store.engine import Store

HOSTILE = [
    '"',
    '""',
    "'",
    "''",
    "*",
    "**",
    "AND",
    "OR",
    "NOT",
    "NEAR(",
    "NEAR(a b, 2)",
    "(",
    ")",
    "()",
    "-",
    "-smith",
    ":",
    "name:smith",
    "display_name:andrea",
    "^",
    "^smith",
    '"unterminated',
    'smi"th',
    "smith*",
    "a OR b",
    "a AND NOT b",
    "{display_name email}: x",
    "+",
    "\\",
    "%",
    "_",
    "😀",
    "👩‍👩‍👧",
    "Andrea 😀",
    "x" * 2000,
    "Müller " * 300,
    " ".join(f"w{i}" for i in range(400)),
    "'; DROP TABLE person; --",
    "\x00",
    "smi\x00th",
    "\x00" * 50,
    "\t\n\r",
    "   ",
    "\u200b",
    "\ufeff",
    "\U0010ffff",
    "\ud7ff",
    "ȿ" * 70,
    "1" * 40,
    "+49 (0) 7531 / 12-34",
    "((((((((((((((((((((",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, template_db: object) -> Iterator[Store]:
    """A small, fixed cast of people, companies and touchpoints (read only: tests must not change it)."""
    import shutil

    path = tmp_path_factory.mktemp("search") / "crmdesk.sqlite3"
    shutil.copyfile(str(template_db), path)
    from crmdesk.store.engine import open_store

    s_ = open_store(path)
    with s_.write() as s:
        acme, _ = companies.create(
            s,
            CompanyRecord(
                name="Brandt Maschinenbau GmbH",
                industry="Mechanical engineering",
                website="https://www.brandt-mb.de",
                phones=(Phone("+41 44 668 18 00"),),
                addresses=(Address("Seestraße 1", "78462", "Konstanz", country="DE"),),
                tags=("supplier",),
                notes="Framework agreement",
            ),
        )
        andrea, _ = people.create(
            s,
            PersonRecord(
                first_name="Andrea",
                last_name="Smith",
                tags=("trade fair 2026", "VIP"),
                notes="Met at Hannover Messe",
                cards=(
                    BusinessCardRecord(
                        company_id=acme.id,
                        position="Einkaufsleiterin",
                        department="Purchasing",
                        emails=(Email("andrea.smith@brandt-mb.de"),),
                        phones=(Phone("07531 1234567"),),
                    ),
                ),
            ),
        )
        people.create(
            s,
            PersonRecord(
                first_name="Jürgen",
                last_name="Müller",
                cards=(BusinessCardRecord(phones=(Phone("+41 44 668 18 01"),), emails=(Email("jm@example.ch"),)),),
            ),
        )
        people.create(s, PersonRecord(first_name="Oskar", last_name="Orth", notes="Nearby office"))
        people.create(s, PersonRecord(first_name="Notburga", last_name="Ølsen"))
        people.create(s, PersonRecord(first_name="अनिल", last_name="शर्मा"))
        people.create(s, PersonRecord(first_name="Smilla", last_name="Jaspersen"))
        gone, _ = people.create(s, PersonRecord(first_name="Andreas", last_name="Gone"))
        people.delete_many(s, [gone.id])
        touchpoints.create(
            s,
            TouchpointRecord(
                subject="Quarterly review", body="Spare parts", person_ids=(andrea.id,), company_id=acme.id
            ),
        )
    yield s_
    s_.close()


def names(s: Session, query: str, entity: Entity = Entity.PERSON) -> set[str]:
    rows = listing.page(s, listing.ListQuery(entity, search=query), limit=1000)
    assert listing.count(s, listing.ListQuery(entity, search=query)) == len(rows)
    return {str(r.values[0]) for r in rows}


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_a_search_never_an_error(store: Store, query: str) -> None:
    with store.read() as s:
        for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT):
            q = listing.ListQuery(entity, search=query)
            rows = listing.page(s, q, limit=1000)
            assert listing.count(s, q) == len(rows)
            assert listing.rows_by_id(s, q, [r.id for r in rows]) != [] or rows == []
        assert s.execute(text("SELECT count(*) FROM person")).scalar_one() == 7  # nothing was dropped


@pytest.mark.parametrize("query", ['"', "*", "(", ")", "-", ":", "^", "'", "😀", "\x00", "\u200b", "'; --", '"" = "'])
def test_input_without_a_word_finds_nothing(store: Store, query: str) -> None:
    with store.read() as s:
        assert names(s, query) == set()


def test_empty_search_shows_everything(store: Store) -> None:
    with store.read() as s:
        assert len(names(s, "")) == 6
        assert len(names(s, "   ")) == 6


@pytest.mark.parametrize(
    "query, found",
    [
        ("AND", {"Andrea Smith"}),  # a word, not an operator: every word is a prefix
        ("and", {"Andrea Smith"}),
        ("OR", {"Oskar Orth"}),
        ("NOT", {"Notburga Ølsen"}),
        ("NEAR(", {"Oskar Orth"}),  # "Nearby" in the notes
        ('"unterminated', set()),
        ('"smi', {"Andrea Smith", "Smilla Jaspersen"}),
        ("smi", {"Andrea Smith", "Smilla Jaspersen"}),
        ("SMITH", {"Andrea Smith"}),
        ("s", {"Andrea Smith", "Smilla Jaspersen"}),  # one letter is a prefix too
        ("smith andrea", {"Andrea Smith"}),  # every word, in any order
        ("smith zzz", set()),
        ("-smith", {"Andrea Smith"}),  # no NOT either
        ("name:smith", set()),  # no column filters: "name" is a word like any other
        ("display_name:smith", set()),
        ("^smith", {"Andrea Smith"}),
        ("smith*", {"Andrea Smith"}),
        ("a OR b", set()),
        ("muller", {"Jürgen Müller"}),  # diacritics folded
        ("MÜLLER", {"Jürgen Müller"}),
        ("jurgen", {"Jürgen Müller"}),
        ("Mu\u0308ller", {"Jürgen Müller"}),  # typed decomposed
        ("olsen", set()),  # Ø is a letter of its own, not O with a mark
        ("ølsen", {"Notburga Ølsen"}),
        ("अनिल", {"अनिल शर्मा"}),  # combining vowel signs belong to the word
        ("शर्मा", {"अनिल शर्मा"}),
        ("Andreas", set()),  # tombstoned
        ("Andrea 😀", {"Andrea Smith"}),
        # words joined by punctuation are a phrase: they must follow each other, the last one as a prefix
        ("andrea.sm", {"Andrea Smith"}),
        ("smith.andrea", set()),  # both words are there, but not in this order
        ("smith-andrea", set()),
        ("o'rth", set()),
        ("oskar.o", {"Oskar Orth"}),
    ],
)
def test_search_semantics(store: Store, query: str, found: set[str]) -> None:
    with store.read() as s:
        assert names(s, query) == found


@pytest.mark.parametrize(
    "query",
    [
        "andrea.smith@brandt-mb.de",  # e-mail
        "andrea.smith@",
        "brandt-mb",
        "+49 7531 1234567",  # phone, international with spaces
        "+4975311234567",
        "07531",  # national prefix
        "07531 1234567",  # national form as shown in the table
        "0753 112",
        "75311234",
        "Brandt Maschinenbau",  # company
        "einkaufsleit",  # position
        "purchasing",  # department
        "trade fair",  # tag
        "VIP",
        "hannover",  # notes
    ],
)
def test_every_kind_of_person_data_is_searchable(store: Store, query: str) -> None:
    with store.read() as s:
        assert "Andrea Smith" in names(s, query)


@pytest.mark.parametrize("query", ["0041 44 668", "+41 44 668 18 01", "044 668 18 01", "41446681801"])
def test_foreign_numbers_are_found_as_dialled_from_home(store: Store, query: str) -> None:
    with store.read() as s:
        assert "Jürgen Müller" in names(s, query)


@pytest.mark.parametrize(
    "query", ["brandt", "mechanical", "konstanz", "78462", "seestraße", "brandt-mb.de", "+41 44 668 18 00", "supplier"]
)
def test_companies_are_searchable(store: Store, query: str) -> None:
    with store.read() as s:
        assert names(s, query, Entity.COMPANY) == {"Brandt Maschinenbau GmbH"}


@pytest.mark.parametrize("query", ["quarterly", "spare parts", "andrea smith", "maschinenbau"])
def test_touchpoints_are_searchable(store: Store, query: str) -> None:
    with store.read() as s:
        rows = listing.page(s, listing.ListQuery(Entity.TOUCHPOINT, search=query))
        assert [r.values[2] for r in rows] == ["Quarterly review"]


def test_match_expression_quotes_every_word() -> None:
    assert search.match_expression('smi "AND" (x') == '"smi"* "AND"* "x"*'
    assert search.match_expression("o'brien anna.s") == '"o brien"* "anna s"*'  # phrases of joined words
    assert search.match_expression("+49 (0) 7531 / 12-34") == '"4975311234"*'  # a typed number is one word
    assert search.match_expression("?!") is None
    assert len(search.fts_terms(" ".join(f"w{i}" for i in range(40)))) == search.MAX_TERMS
    assert search.fts_terms("y" * 500) == ["y" * search.MAX_TERM_LENGTH]


def test_rowid_in_match_refuses_unknown_tables() -> None:
    from sqlalchemy import column

    with pytest.raises(ValueError):
        search.rowid_in_match(column("num"), "person; DROP TABLE person", "x")
    with pytest.raises(ValueError):
        search.rowid_in_match(column("num"), "person_fts", "!!!")


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=60) | st.text(alphabet="\"*()-:^'NEARORAND ", max_size=30))
def test_random_text_never_raises(store: Store, query: str) -> None:
    with store.read() as s:
        for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT):
            q = listing.ListQuery(entity, search=query)
            assert listing.count(s, q) == len(listing.page(s, q, limit=1000))


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=80))
def test_match_expressions_are_always_valid_fts5(store: Store, query: str) -> None:
    expr = search.match_expression(query)
    if expr is None:
        assert not sqlite_tokens(unicodedata.normalize("NFC", query)), query
        return
    with store.read() as s:
        s.execute(text("SELECT count(*) FROM person_fts WHERE person_fts MATCH :q"), {"q": expr}).scalar_one()


_word = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Mn", "Mc", "Nd")), min_size=1, max_size=10).filter(
    # words start with a letter: digit groups typed with spaces between them are read as one phone number
    lambda w: unicodedata.category(w[0])[0] == "L"
)


@settings(max_examples=60, deadline=None)
@given(first=_word, last=_word)
def test_a_person_is_found_by_their_own_name(make_store: Callable[[], Store], first: str, last: str) -> None:
    store = make_store()
    try:
        with store.write() as s:
            p, _ = people.create(s, PersonRecord(first_name=first, last_name=last))
            people.create(s, PersonRecord(first_name="Someone", last_name="Else"))
        with store.read() as s:
            for query in (p.first_name, p.last_name, p.display_name, p.display_name[:1]):
                ids = {r.id for r in listing.page(s, listing.ListQuery(Entity.PERSON, search=query))}
                if sqlite_tokens(query):
                    assert p.id in ids, query
                else:  # nothing the index keeps (U+19B0 is a letter to Python, a separator to SQLite 3.40)
                    assert not ids, query
    finally:
        store.close()


def sqlite_tokens(text: str) -> list[str]:
    """The words SQLite's own tokenizer finds in `text`, asked of SQLite independently of crmdesk."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{search.TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        conn.execute("INSERT INTO t(x) VALUES (?)", (text,))
        return [term for (term,) in conn.execute("SELECT term FROM v ORDER BY offset")]
    finally:
        conn.close()


def test_a_word_the_index_does_not_keep_finds_nobody_and_one_it_keeps_is_searched(
    make_store: Callable[[], Store],
) -> None:
    # U+19B0 is a letter in Python's Unicode tables and a separator in SQLite's: "ᦰ" has nothing to search for,
    # and searching it must not look like a phrase of no words. U+1FAE0 (an emoji of Unicode 14) is a word to
    # SQLite, which indexes it: searching it finds the note that has it.
    store = make_store()
    try:
        with store.write() as s:
            a, _ = people.create(s, PersonRecord(first_name="Ana", last_name="\u19b0", notes="party \U0001fae0"))
            people.create(s, PersonRecord(first_name="Someone", last_name="Else"))
        assert search.match_expression("\u19b0") is None
        with store.read() as s:
            assert listing.page(s, listing.ListQuery(Entity.PERSON, search="\u19b0")) == []
            assert [r.id for r in listing.page(s, listing.ListQuery(Entity.PERSON, search="ana \u19b0"))] == [a.id]
            if sqlite_tokens("\U0001fae0"):
                assert [r.id for r in listing.page(s, listing.ListQuery(Entity.PERSON, search="\U0001fae0"))] == [a.id]
    finally:
        store.close()


# ---- the index stays current (triggers) ---------------------------------------------------------------------


def fts_ok(s: Session) -> None:
    for table in ("person", "company", "touchpoint"):
        s.execute(text(f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)"))


def test_update_and_delete_keep_the_index_current(make_store: Callable[[], Store]) -> None:
    store = make_store()
    with store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Hildegard", last_name="Knef"))
        c, _ = companies.create(s, CompanyRecord(name="Eisvogel Verlag"))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Manuscript", person_ids=(p.id,)))
    with store.write() as s:
        people.update(s, p.replace(last_name="Neff"))
        companies.update(s, c.replace(name="Kranich Verlag"))
        touchpoints.update(s, t.replace(subject="Proofs"))
        fts_ok(s)
    with store.read() as s:
        assert names(s, "knef") == set()
        assert names(s, "neff") == {"Hildegard Neff"}
        assert names(s, "eisvogel", Entity.COMPANY) == set()
        assert names(s, "kranich", Entity.COMPANY) == {"Kranich Verlag"}
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="manuscript")) == 0
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="proofs neff")) == 1
    with store.write() as s:
        people.delete_many(s, [p.id])
        companies.delete_many(s, [c.id])
        touchpoints.delete_many(s, [t.id])
        fts_ok(s)
    with store.read() as s:
        assert names(s, "neff") == set()
        assert names(s, "kranich", Entity.COMPANY) == set()
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="proofs")) == 0
    store.close()


def test_integrity_check_notices_a_stale_index(make_store: Callable[[], Store]) -> None:
    """The check the state machine below relies on does fail when the index and the table disagree."""
    from crmdesk.store.engine import StoreError

    store = make_store()
    with store.write() as s:
        people.create(s, PersonRecord(first_name="Stale"))
        s.execute(text("DROP TRIGGER person_fts_au"))
        s.execute(text("UPDATE person SET display_name = 'Fresh'"))
    with pytest.raises(StoreError), store.read() as s:
        fts_ok(s)
    store.close()


class SearchMachine(RuleBasedStateMachine):
    """Random creates, renames, deletes and restores; the index always matches the live people."""

    make_store: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.store = self.make_store()
        self.live: dict[str, str] = {}  # id → unique last name
        self.dead: dict[str, str] = {}
        self.n = 0

    def _name(self) -> str:
        self.n += 1
        return f"Zq{self.n:04d}x"

    @rule(notes=st.text(max_size=20), company=st.booleans())
    def create(self, notes: str, company: bool) -> None:
        last = self._name()
        cards = (BusinessCardRecord(company_name=f"Firma {last}"),) if company else ()
        with self.store.write() as s:
            p, _ = people.create(s, PersonRecord(first_name="P", last_name=last, notes=notes, cards=cards))
        self.live[p.id] = last

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(self.live)))
        last = self._name()
        with self.store.write() as s:
            people.update(s, people.get(s, pid).replace(last_name=last))
        self.live[pid] = last

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(self.live)))
        with self.store.write() as s:
            people.delete_many(s, [pid])
        self.dead[pid] = self.live.pop(pid)

    @precondition(lambda self: self.dead)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(self.dead)))
        with self.store.write() as s:
            people.restore_many(s, [pid])
        self.live[pid] = self.dead.pop(pid)

    @invariant()
    def index_matches_people(self) -> None:
        with self.store.read() as s:
            fts_ok(s)
            assert listing.count(s, listing.ListQuery(Entity.PERSON)) == len(self.live)
            assert listing.count(s, listing.ListQuery(Entity.PERSON, search="zq")) == len(self.live)
            indexed = s.execute(text("SELECT count(*) FROM person_fts WHERE person_fts MATCH '\"zq\"*'")).scalar_one()
            assert indexed == len(self.live) + len(self.dead)  # tombstones stay indexed, filtered by the query
            for pid, last in list(self.live.items())[:5]:
                assert [r.id for r in listing.page(s, listing.ListQuery(Entity.PERSON, search=last))] == [pid]
            for last in list(self.dead.values())[:5]:
                assert listing.count(s, listing.ListQuery(Entity.PERSON, search=last)) == 0

    def teardown(self) -> None:
        self.store.close()


def test_index_stays_consistent_under_random_writes(make_store: Callable[[], Store]) -> None:
    machine = type("Machine", (SearchMachine,), {"make_store": staticmethod(make_store)})
    run_state_machine_as_test(machine, settings=settings(max_examples=10, stateful_step_count=10, deadline=None))


def test_the_probe_tokenizes_like_the_index(store: Store) -> None:
    """search.probe_matches decides matches in a copy with search.TOKENIZE: it must be the index's tokenizer."""
    with store.read() as s:
        for table in ("person", "company", "touchpoint"):
            sql = s.execute(text("SELECT sql FROM sqlite_master WHERE name = :n").bindparams(n=f"{table}_fts")).scalar()
            assert f"tokenize='{search.TOKENIZE}'" in sql
            cols = sql[sql.index("fts5(") + 5 :].split(", content=")[0].split(", ")
            assert tuple(cols) == search._FTS_COLUMNS[table]
