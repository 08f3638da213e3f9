"""The paged table models: Qt's model tester, keyset paging, SQL sorting, search and targeted refresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont, QImage
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import BusinessCardRecord, CompanyRecord, Email, Entity, PersonRecord, Phone
from crmdesk.store import companies, demo, people
from crmdesk.store.listing import COLUMNS
from crmdesk.store.schema import Person
from crmdesk.ui.models.table import FIRST_PAGE, PagedTableModel, Role, needs_shaping
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.views.table import RecordTable
from crmdesk.ui.workers import JobRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[JobRunner]:
    r = JobRunner()
    yield r
    assert r.shutdown(5000), "a job was still running at the end of the test"


@pytest.fixture
def filled(ctx: Context) -> Context:
    demo.generate(ctx.store, people_count=450, seed=7)
    return ctx


def _model(ctx: Context, entity: Entity, runner: JobRunner, hub: ChangeHub | None = None) -> PagedTableModel:
    return PagedTableModel(ctx, entity, hub=hub or ChangeHub(), runner=runner)


def _all_names(model: PagedTableModel) -> list[str]:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


@pytest.mark.parametrize("entity", [Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT])
def test_models_pass_qt_model_tester(qtmodeltester, filled: Context, runner: JobRunner, entity: Entity) -> None:
    model = _model(filled, entity, runner)
    model.load_now()
    qtmodeltester.check(model, force_py=True)
    model.fetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)


def test_pages_load_on_demand_and_cover_every_row_once(filled: Context, runner: JobRunner) -> None:
    model = _model(filled, Entity.PERSON, runner)
    model.load_now()
    assert model.rowCount() == FIRST_PAGE
    assert model.canFetchMore(QModelIndex())
    assert not model.canFetchMore(model.index(0, 0)), "a valid parent never fetches"
    ids = []
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    ids = [model.data(model.index(r, 0), Role.ID) for r in range(model.rowCount())]
    assert len(ids) == len(set(ids)) == 450


def test_phones_show_as_the_reader_dials_them(ctx: Context, runner: JobRunner) -> None:
    """People's and companies' phone columns show each number formatted for the reader's region (from the forms
    stored with it), its text and its tooltip alike; a number kept as imported is formatted when shown."""
    with ctx.store.write() as s:
        for first, number in (("Anna", "+49753112345"), ("Beat", "+41446681800"), ("Cleo", "+4975311234;ext=5")):
            card = BusinessCardRecord(phones=(Phone(number, favourite=True),))
            people.create(s, PersonRecord(first_name=first, last_name="Phone", cards=(card,)), region=ctx.region)
        companies.create(s, CompanyRecord(name="Kestrel AG", phones=(Phone("+41446681800", favourite=True),)))
        s.execute(update(Person).where(Person.first_name == "Cleo").values(phone_forms="0711 1234567"))
    assert ctx.region == "DE"
    shown = {}
    for entity in (Entity.PERSON, Entity.COMPANY):
        model = _model(ctx, entity, runner)
        model.load_now()
        col = [c.key for c in COLUMNS[entity]].index("phone")
        for r in range(model.rowCount()):
            shown[model.data(model.index(r, 0))] = model.data(model.index(r, col))
            assert model.plain_text(r, col) == model.data(model.index(r, col))
    assert shown == {
        "Anna Phone": "07531 12345",
        "Beat Phone": "+41 44 668 18 00",
        "Cleo Phone": "0711 1234567",
        "Kestrel AG": "+41 44 668 18 00",
    }


def test_sorting_happens_in_sql_over_every_row(qtbot: QtBot, filled: Context, runner: JobRunner) -> None:
    model = _model(filled, Entity.PERSON, runner)
    model.load_now()
    company_col = 1
    with qtbot.waitSignal(model.query_applied, timeout=5000):
        model.sort(company_col, Qt.SortOrder.DescendingOrder)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    keys = [model.data(model.index(r, 0), Role.SORT_KEY) for r in range(model.rowCount())]
    assert keys == sorted(keys, reverse=True)
    assert model.rowCount() == 450
    assert model.query.sort == "company" and model.query.descending


def test_search_filters_with_latest_wins(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    with ctx.store.write() as s:
        for first, last in [("Ines", "Brandt"), ("Jörg", "Müller"), ("Anna", "Mueller-Lang")]:
            people.create(s, PersonRecord(first_name=first, last_name=last))
    model = _model(ctx, Entity.PERSON, runner)
    model.load_now()
    model.set_filter(search="bra")  # superseded before its result is shown
    with qtbot.waitSignal(model.query_applied, timeout=5000) as sig:
        model.set_filter(search="mül")
    assert sig.args[0].search == "mül"
    qtbot.waitUntil(lambda: not runner.running(), timeout=5000)
    assert _all_names(model) == ["Jörg Müller"]
    with qtbot.waitSignal(model.query_applied, timeout=5000):
        model.set_filter(search='NEAR( "*')
    assert model.rowCount() == 0


def test_change_sets_refresh_only_what_they_name(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    hub = ChangeHub()
    with ctx.store.write() as s:
        for last in ("Adler", "Berg", "Zander"):
            people.create(s, PersonRecord(first_name="Kim", last_name=last))
    model = _model(ctx, Entity.PERSON, runner, hub)
    model.load_now()
    assert _all_names(model) == ["Kim Adler", "Kim Berg", "Kim Zander"]

    with ctx.store.write() as s:
        rec, change = people.create(
            s,
            PersonRecord(
                first_name="Kim",
                last_name="Meier",
                cards=(BusinessCardRecord(emails=(Email("kim@meier.example"),)),),
            ),
        )
    hub.publish(change)
    assert _all_names(model) == ["Kim Adler", "Kim Berg", "Kim Meier", "Kim Zander"]
    row = model.row_of(rec.id)
    assert row == 2 and model.data(model.index(row, 3)) == "kim@meier.example"

    with ctx.store.write() as s:
        _, change = people.update(s, rec.replace(last_name="Aaron"))
    hub.publish(change)
    assert _all_names(model) == ["Kim Aaron", "Kim Adler", "Kim Berg", "Kim Zander"]

    with ctx.store.write() as s:
        change = people.delete_many(s, [rec.id])
    hub.publish(change)
    assert _all_names(model) == ["Kim Adler", "Kim Berg", "Kim Zander"]
    assert model.row_of(rec.id) is None


def test_change_set_of_another_entity_refreshes_loaded_rows(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    from crmdesk.store import companies

    hub = ChangeHub()
    with ctx.store.write() as s:
        people.create(
            s,
            PersonRecord(first_name="Ines", last_name="Brandt", cards=(BusinessCardRecord(company_name="Brandt AG"),)),
        )
    model = _model(ctx, Entity.PERSON, runner, hub)
    model.load_now()
    assert model.data(model.index(0, 1)) == "Brandt AG"
    with ctx.store.write() as s:
        cid = companies.find_by_name(s, "Brandt AG")
        assert cid is not None
        _, change = companies.update(s, companies.get(s, cid).replace(name="Brandt Maschinenbau AG"))
    assert isinstance(change, ChangeSet)
    with qtbot.waitSignal(model.query_applied, timeout=5000):
        hub.publish(change)
    assert model.data(model.index(0, 1)) == "Brandt Maschinenbau AG"


def test_a_pending_sort_keeps_the_shown_rows_consistent(qtbot: QtBot, filled: Context, runner: JobRunner) -> None:
    """Until a new order's first page arrives, the loaded rows keep their own order for paging and lookups."""
    hub = ChangeHub()
    model = _model(filled, Entity.PERSON, runner, hub)
    model.load_now()
    first_id = model.id_at(0)
    assert first_id is not None
    model.sort(6, Qt.SortOrder.DescendingOrder)  # "Updated", a datetime key
    assert not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # must not page the name-ordered rows with a date key
    assert model.row_of(first_id) == 0
    with filled.store.write() as s:
        rec = people.get(s, first_id)
        _, change = people.update(s, rec.replace(notes="changed while a sort loads"))
    hub.publish(change)  # ignored now; the new first page is read after this write
    with qtbot.waitSignal(model.query_applied, timeout=5000):
        pass
    assert model.query.sort == "updated" and model.canFetchMore(QModelIndex())
    assert model.id_at(0) == first_id  # the record just written is the most recently updated


def test_only_the_latest_reload_is_applied(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="Anna", last_name="Berg"))
    model = _model(ctx, Entity.PERSON, runner)
    applied: list[object] = []
    model.query_applied.connect(applied.append)
    model.reload()
    model.reload()  # an equal query: only the job identity tells the two results apart
    qtbot.waitUntil(lambda: runner.running() == 0, timeout=5000)
    qtbot.wait(50)
    assert len(applied) == 1
    assert _all_names(model) == ["Anna Berg"]


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("Anna Müller", False),
        ("Νίκος Παπαδόπουλος", False),  # Greek, precomposed
        ("Владимир Иванов", False),
        ("+49 30 1234567", False),
        ("José\u0301", True),  # a combining mark
        ("محمد عبد الله", True),  # Arabic joins its letters
        ("שלום כהן", True),  # Hebrew is drawn right to left
        ("देवनागरी", True),
        ("山田 太郎", True),
        ("Müller – Vertrieb", True),  # an en dash: shaped to be safe, nothing worse
    ],
)
def test_cells_ask_for_shaping_only_where_a_script_needs_it(text: str, shaped: bool) -> None:
    assert needs_shaping(text) is shaped


def test_right_to_left_and_joining_names_draw_as_with_full_shaping(
    qtbot: QtBot, ctx: Context, runner: JobRunner
) -> None:
    """The table skips text shaping (cell_font); a cell whose text needs it is shaped all the same (FontRole).
    Unshaped, Qt draws Arabic letters unjoined and Hebrew in reverse: the pixels would differ."""
    names = [("محمد", "عبد الله"), ("שלום", "כהן"), ("Anna", "Berg")]
    with ctx.store.write() as s:
        for first, last in names:
            people.create(s, PersonRecord(first_name=first, last_name=last))
    model = _model(ctx, Entity.PERSON, runner)
    model.load_now()
    table = RecordTable(model)
    qtbot.addWidget(table)
    table.resize(600, 200)
    table.show()
    qtbot.waitExposed(table)

    def cell(row: int) -> QImage:
        rect = table.visualRect(model.index(row, 0))
        return table.viewport().grab(rect).toImage()

    rtl = [r for r in range(model.rowCount()) if needs_shaping(model.data(model.index(r, 0)))]
    assert len(rtl) == 2
    unshaped_table = [cell(r) for r in rtl]
    table.setFont(QFont())  # Qt's default: every cell shaped
    qtbot.wait(10)
    assert [cell(r) for r in rtl] == unshaped_table
    assert model.data(model.index(rtl[0], 0), Qt.ItemDataRole.FontRole) is not None
    latin = next(r for r in range(model.rowCount()) if r not in rtl)
    assert model.data(model.index(latin, 0), Qt.ItemDataRole.FontRole) is None
