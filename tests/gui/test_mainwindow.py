"""The main window driven like a user: keys, clicks, search, the detail pane, undo and redo."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyledItemDelegate, QWidget
from pytestqt.qtbot import QtBot

from crmdesk import paths
from crmdesk.context import Context
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.store import companies, demo, people, touchpoints
from crmdesk.store.listing import ListQuery, count
from crmdesk.ui import messages
from crmdesk.ui.dialogs import confirm
from crmdesk.ui.dialogs.person import PersonDialog
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.views.cells import TextCellDelegate
from crmdesk.ui.workers import JobRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: QtBot, ctx: Context) -> Iterator[MainWindow]:
    runner = JobRunner()
    w = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert runner.shutdown(5000), "a job was still running at the end of the test"


def _settle(qtbot: QtBot, w: MainWindow) -> None:
    """Wait until every job (writes, reads) has finished and its results were applied."""
    qtbot.waitUntil(lambda: w.history.idle and w._runner.running() == 0, timeout=5000)
    qtbot.wait(20)


def _names(w: MainWindow, entity: Entity = Entity.PERSON) -> list[str]:
    model = w.models[entity]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def _live_people(ctx: Context) -> int:
    with ctx.store.read() as s:
        return count(s, ListQuery(Entity.PERSON))


INES = PersonRecord(
    first_name="Ines",
    last_name="Brandt",
    tags=("customer",),
    cards=(
        BusinessCardRecord(
            company_name="Brandt Maschinenbau GmbH",
            position="Einkaufsleiterin",
            favourite=True,
            emails=(Email("i.brandt@brandt-mb.de", favourite=True),),
            phones=(Phone("+49 7531 12345", favourite=True),),
            addresses=(Address(street="Seestraße 4", postcode="78462", city="Konstanz", country="DE"),),
        ),
        BusinessCardRecord(
            private=True,
            emails=(Email("ines@example.org"),),
            phones=(Phone("+49 171 2345678", PhoneType.MOBILE),),
        ),
    ),
)


def test_create_find_edit_undo_redo_delete(qtbot: QtBot, window: MainWindow, ctx: Context, monkeypatch: Any) -> None:
    answers: list[PersonRecord | None] = [INES]
    monkeypatch.setattr(PersonDialog, "ask", classmethod(lambda cls, *a, **k: answers.pop(0)))
    monkeypatch.setattr(confirm, "confirm_delete", lambda *a, **k: True)

    # Ctrl+N: a person with two business cards
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert _names(window) == ["Ines Brandt"]
    table = window.tables[Entity.PERSON]
    assert table.current_id() is not None
    qtbot.waitUntil(lambda: "Einkaufsleiterin" in window.detail.html(), timeout=5000)
    text = window.detail.html()
    assert "Brandt Maschinenbau GmbH" in text and "Private" in text and "i.brandt@brandt-mb.de" in text
    with ctx.store.read() as s:
        stored = people.get(s, table.current_id() or "")
    assert len(stored.cards) == 2 and stored.cards[0].favourite and stored.cards[0].company_id

    # Ctrl+F and type: the search finds her by company, phone and umlaut-free spelling
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="Jonas", last_name="Koch"))
    window.models[Entity.PERSON].reload()
    _settle(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    for text in ("maschinenbau", "07531", "seestr konstanz", "INES", "+49 7531 12"):
        window.search.clear()
        QTest.keyClicks(window.search, text)
        with qtbot.waitSignal(window.models[Entity.PERSON].query_applied, timeout=5000):
            pass
        _settle(qtbot, window)
        assert _names(window) == ["Ines Brandt"], text
    window.search.clear()
    QTest.keyClicks(window.search, 'NEAR( "*')
    with qtbot.waitSignal(window.models[Entity.PERSON].query_applied, timeout=5000):
        pass
    assert _names(window) == []
    # the pane no longer shows a person the list does not hold, and says why the list is empty
    assert window.detail.shown is None
    assert window.detail.html() == 'No people match “NEAR( "*”.'
    # and says so again when the view is left and come back to
    window.show_entity(Entity.COMPANY)
    window.show_entity(Entity.PERSON)
    assert window.detail.html() == 'No people match “NEAR( "*”.'
    window.search.clear()
    QTest.keyClick(window.search, Qt.Key.Key_Return)
    _settle(qtbot, window)
    assert _names(window) == ["Ines Brandt", "Jonas Koch"]

    # Enter: edit her (new position), then undo and redo
    ines_id = stored.id
    assert window.tables[Entity.PERSON].select_id(ines_id)
    answers.append(
        stored.replace(
            cards=(
                stored.cards[0].__class__(
                    **{
                        **{f: getattr(stored.cards[0], f) for f in stored.cards[0].__dataclass_fields__},
                        "position": "Head of Purchasing",
                    }
                ),
                stored.cards[1],
            )
        )
    )
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Return)
    _settle(qtbot, window)
    assert window.models[Entity.PERSON].data(window.models[Entity.PERSON].index(0, 2)) == "Head of Purchasing"
    assert "Undo" in window.act_undo.text()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    with ctx.store.read() as s:
        assert people.get(s, ines_id).cards[0].position == "Einkaufsleiterin"
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _settle(qtbot, window)
    with ctx.store.read() as s:
        assert people.get(s, ines_id).cards[0].position == "Head of Purchasing"

    # Delete asks, deletes, and undo brings her back
    assert window.tables[Entity.PERSON].select_id(ines_id)
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Delete)
    _settle(qtbot, window)
    assert _names(window) == ["Jonas Koch"]
    assert _live_people(ctx) == 1
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert _names(window) == ["Ines Brandt", "Jonas Koch"]
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _settle(qtbot, window)
    assert _names(window) == ["Jonas Koch"]


def test_delete_cancelled_keeps_everything(qtbot: QtBot, window: MainWindow, ctx: Context, monkeypatch: Any) -> None:
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="Anna", last_name="Berg"))
    window.models[Entity.PERSON].reload()
    _settle(qtbot, window)
    asked: list[tuple[str, int]] = []
    monkeypatch.setattr(confirm, "confirm_delete", lambda parent, *, what, count: asked.append((what, count)) or False)
    table = window.tables[Entity.PERSON]
    table.selectRow(0)
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Delete)
    _settle(qtbot, window)
    assert asked == [("Anna Berg", 1)]
    assert _live_people(ctx) == 1 and _names(window) == ["Anna Berg"]


def test_views_detail_links_and_navigation(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    with ctx.store.write() as s:
        company, _ = companies.create(s, CompanyRecord(name="Nordlicht Solar GmbH", industry="Energy"))
        ines, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                last_name="Brandt",
                cards=(BusinessCardRecord(company_id=company.id, position="CTO"),),
            ),
        )
        touchpoints.create(
            s,
            TouchpointRecord(
                type=TouchpointType.CALL, subject="Follow-up on quote", person_ids=(ines.id,), company_id=company.id
            ),
        )
    window.models[Entity.PERSON].reload()
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: "Follow-up on quote" in window.detail.html(), timeout=5000)

    # Ctrl+2: companies; the company pane lists her and the touchpoint
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert window.entity is Entity.COMPANY
    assert _names(window, Entity.COMPANY) == ["Nordlicht Solar GmbH"]
    assert window.models[Entity.COMPANY].data(window.models[Entity.COMPANY].index(0, 5)) == "1"
    qtbot.waitUntil(lambda: "Ines Brandt" in window.detail.html(), timeout=5000)

    # clicking her name in the pane goes to her
    window.detail._browser.anchorClicked.emit(QUrl(f"crmdesk:person/{ines.id}"))
    _settle(qtbot, window)
    assert window.entity is Entity.PERSON
    assert window.tables[Entity.PERSON].current_id() == ines.id
    assert window.detail.shown == (Entity.PERSON, ines.id)

    # touchpoints view
    QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert _names(window, Entity.TOUCHPOINT)[0]  # "When" column shows a time
    tp_model = window.models[Entity.TOUCHPOINT]
    assert tp_model.data(tp_model.index(0, 2)) == "Follow-up on quote"
    assert tp_model.data(tp_model.index(0, 3)) == "Ines Brandt"
    assert tp_model.data(tp_model.index(0, 1)) == "Call"


def test_tag_filter(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="Anna", last_name="Berg", tags=("VIP",)))
        people.create(s, PersonRecord(first_name="Jonas", last_name="Koch", tags=("prospect",)))
    window._on_refresh_triggered()
    _settle(qtbot, window)
    combo = window.tag_filter
    assert [combo.itemText(i) for i in range(combo.count())] == ["All tags", "prospect", "VIP"]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    _settle(qtbot, window)
    assert _names(window) == ["Anna Berg"]


def test_geometry_and_splitter_are_restored(qtbot: QtBot, ctx: Context, data_dir: Path) -> None:
    runner = JobRunner()
    first = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(first)
    first.resize(800, 570)  # the offscreen screen is 800×600: restoreGeometry keeps a window on its screen
    first.show()
    qtbot.waitExposed(first)
    first._splitter.setSizes([150, 330, 308])
    sizes = first._splitter.sizes()
    first.close()
    assert paths.qsettings_file().exists()
    second = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert (second.size().width(), second.size().height()) == (800, 570)
    assert second._splitter.sizes() == sizes
    second.close()
    assert runner.shutdown(5000)


def test_a_startup_measurement_leaves_the_saved_window_size_alone(tmp_path: Path) -> None:
    """`--benchmark-startup` quits at whatever size the platform gave the window (800×600 offscreen): saving that
    made the next real start open small."""
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = [sys.executable, "-m", "crmdesk", "--data-dir", str(data), "--benchmark-startup"]
    proc = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("shown "), proc.stdout + proc.stderr
    window_ini = data / "config" / "window.ini"
    assert not window_ini.exists() or "geometry" not in window_ini.read_text(), window_ini.read_text()


def test_window_refuses_a_damaged_database(data_dir: Path, monkeypatch: Any) -> None:
    from crmdesk import app

    db = data_dir / "crmdesk.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    shown: list[str] = []
    monkeypatch.setattr(messages, "warn", lambda parent, text, **k: shown.append(text))
    assert app.main(["--data-dir", str(data_dir)]) == 1
    assert shown and str(db) in shown[0]
    assert db.read_bytes() == before


def test_f5_shows_what_another_program_wrote(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    assert _names(window) == []
    with ctx.store.write() as s:  # as the CLI or a sync would, behind the window's back
        people.create(s, PersonRecord(first_name="Jonas", last_name="Koch"))
    QTest.keyClick(window, Qt.Key.Key_F5)
    _settle(qtbot, window)
    assert _names(window) == ["Jonas Koch"]
    qtbot.waitUntil(lambda: "Jonas Koch" in window.detail.html(), timeout=5000)


def test_person_pane_shows_relations_and_links_them(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    from crmdesk.domain.records import RelationRecord
    from crmdesk.store import relations

    with ctx.store.write() as s:
        anna, _ = people.create(s, PersonRecord(first_name="Anna", last_name="Berg"))
        jonas, _ = people.create(s, PersonRecord(first_name="Jonas", last_name="Koch"))
        relations.create(s, RelationRecord(entity=Entity.PERSON, from_id=anna.id, to_id=jonas.id, category="colleague"))
    window.models[Entity.PERSON].reload()
    _settle(qtbot, window)
    assert window.tables[Entity.PERSON].select_id(anna.id)
    qtbot.waitUntil(lambda: "colleague" in window.detail.html(), timeout=5000)
    assert "Jonas Koch" in window.detail.html()
    window.detail._browser.anchorClicked.emit(QUrl(f"crmdesk:person/{jonas.id}"))
    _settle(qtbot, window)
    assert window.tables[Entity.PERSON].current_id() == jonas.id
    qtbot.waitUntil(lambda: "Anna Berg" in window.detail.html(), timeout=5000)  # the relation seen from Jonas


def test_a_stale_detail_load_never_clears_the_current_one(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    with ctx.store.write() as s:
        gone, _ = people.create(s, PersonRecord(first_name="Gone", last_name="Soon"))
        anna, _ = people.create(s, PersonRecord(first_name="Anna", last_name="Berg"))
        people.delete_many(s, [gone.id])
    window.detail.show_record(Entity.PERSON, gone.id)  # fails with NotFoundError, later
    window.detail.show_record(Entity.PERSON, anna.id)
    _settle(qtbot, window)
    assert window.detail.shown == (Entity.PERSON, anna.id)
    qtbot.waitUntil(lambda: "Anna Berg" in window.detail.html(), timeout=5000)


def test_the_count_comes_back_with_its_view(qtbot: QtBot, window: MainWindow, ctx: Context) -> None:
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="Anna", last_name="Berg"))
    window._on_refresh_triggered()
    _settle(qtbot, window)
    label = window._count_label
    assert label.text() == "1 person"
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert label.text() == "0 companies"
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert label.text() == "1 person"


def test_the_detail_buttons_drop_their_labels_where_the_pane_is_narrow(qtbot: QtBot, ctx: Context) -> None:
    """Qt would cut the labels to "Busi…card"; a narrow pane shows the icons alone (the tooltips name them)."""
    from PySide6.QtWidgets import QSplitter, QWidget

    from crmdesk.ui.views.detail import DetailPane

    runner = JobRunner()
    splitter = QSplitter()
    qtbot.addWidget(splitter)
    pane = DetailPane(ctx, runner=runner, hub=ChangeHub())
    pane.setMinimumWidth(240)  # as the window's side stack does (300): narrower than the labelled buttons need
    splitter.addWidget(QWidget())
    splitter.addWidget(pane)
    splitter.setChildrenCollapsible(False)
    splitter.resize(900, 400)
    splitter.show()
    qtbot.waitExposed(splitter)
    buttons = (pane.card_button, pane._add_tp, pane._edit)
    labelled = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    splitter.setSizes([380, 520])
    qtbot.waitUntil(lambda: pane.width() > 500)
    assert {b.toolButtonStyle() for b in buttons} == {labelled}
    splitter.setSizes([660, 240])
    qtbot.waitUntil(lambda: pane.width() < 300)
    assert {b.toolButtonStyle() for b in buttons} == {Qt.ToolButtonStyle.ToolButtonIconOnly}
    assert all(b.toolTip() for b in buttons)
    assert sum(b.sizeHint().width() for b in buttons) < pane.width()
    splitter.setSizes([380, 520])
    qtbot.waitUntil(lambda: pane.card_button.toolButtonStyle() == labelled)

    # A company's pane has no business card button: its two labelled buttons fit where a person's three do not.
    with ctx.store.write() as s:
        company, _ = companies.create(s, CompanyRecord(name="Brandt Maschinenbau GmbH"))
        person, _ = people.create(s, PersonRecord(first_name="Ilse", last_name="Brandt"))
    splitter.setSizes([660, 240])
    qtbot.waitUntil(lambda: pane.width() < 300)
    pane.show_record(Entity.COMPANY, company.id)
    qtbot.waitUntil(lambda: pane.card_button.isHidden() and "Brandt" in pane.html())
    assert {b.toolButtonStyle() for b in buttons} == {labelled}
    pane.show_record(Entity.PERSON, person.id)
    qtbot.waitUntil(lambda: not pane.card_button.isHidden() and "Ilse" in pane.html())
    assert {b.toolButtonStyle() for b in buttons} == {Qt.ToolButtonStyle.ToolButtonIconOnly}
    assert runner.shutdown(5000)


def test_a_narrow_window_keeps_the_search_box_whole(qtbot: QtBot, window: MainWindow, app_look: object) -> None:
    """At the window's smallest width the header drops the view's title (the navigation names the view) rather
    than cutting the search box at the pane's edge; a wide window shows the title again. With the app's own look
    (its stylesheet gives the search box a minimum width)."""
    center = window.search.parentWidget()
    assert center is not None

    def whole(widget: QWidget) -> bool:
        right = widget.mapTo(center, widget.rect().topRight()).x()
        return right < center.width() and widget.width() >= widget.minimumSizeHint().width()

    window.resize(window.minimumSize().width(), 600)
    qtbot.waitUntil(lambda: window.width() == window.minimumSize().width())
    qtbot.waitUntil(lambda: window._title.isHidden())
    qtbot.waitUntil(lambda: whole(window.search) and whole(window.tag_filter))  # once laid out again
    window.resize(1400, 800)
    qtbot.waitUntil(lambda: not window._title.isHidden())
    qtbot.waitUntil(lambda: whole(window.search) and whole(window._title))


@pytest.mark.parametrize("entity", [Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT])
def test_tables_draw_their_cells_exactly_as_qt_would(
    qtbot: QtBot, window: MainWindow, ctx: Context, app_look: object, entity: Entity
) -> None:
    """The tables paint plain text rows themselves (views/cells.py; Touchpoints, with their type icons, through Qt
    with crmdesk's cell delegate): pixel for pixel what Qt's table view and item delegate paint, with the app's
    look, a selected row and the focus, in the active window and in one in the background."""
    demo.generate(ctx.store, people_count=60, seed=3)
    window.resize(1200, 700)
    window.show_entity(entity)
    window.reload_tables()
    _settle(qtbot, window)
    table = window.tables[entity]
    # every column in sight (the right-aligned people counts too), most texts elided
    for column in range(table.model().columnCount()):
        table.horizontalHeader().resizeSection(column, 95)
    table.selectRow(1)
    table.setFocus()  # the current cell of a focused table: Qt would draw a focus frame, the stylesheet turns it off
    qtbot.waitUntil(table.hasFocus)

    def laid_out() -> bool:  # the scroll bars come and go after the columns' new widths
        size = table.viewport().size()
        qtbot.wait(20)
        return table.viewport().size() == size

    qtbot.waitUntil(laid_out)

    def cells(delegate: QStyledItemDelegate) -> QImage:
        table.setItemDelegate(delegate)
        table.viewport().repaint()
        return table.viewport().grab().toImage()

    ours = table.itemDelegate()
    assert isinstance(ours, TextCellDelegate)
    assert window.models[entity].plain_text(0, 0), "the first column's text is drawn by crmdesk's delegate"
    active = cells(ours)
    assert table.painted_itself is (entity is not Entity.TOUCHPOINT)
    assert active == cells(QStyledItemDelegate(table))
    assert not table.painted_itself
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (3, 4, 7):  # rows selected apart, as with Ctrl+click
        table.selectionModel().select(table.model().index(row, 0), flags)
    several = cells(ours)
    assert table.painted_itself is (entity is not Entity.TOUCHPOINT)
    assert several == cells(QStyledItemDelegate(table))
    assert several != active
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    inactive = cells(ours)
    assert table.painted_itself is (entity is not Entity.TOUCHPOINT)
    assert inactive == cells(QStyledItemDelegate(table))
    table.setItemDelegate(ours)
