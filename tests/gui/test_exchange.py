"""Import and export in the window, driven like a user: drops, the preview, Import, Cancel, undo, drags, exports."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vobject
from PySide6.QtCore import QItemSelectionModel, QMimeData, QModelIndex, QObject, QPointF, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from crmdesk.__main__ import wants_cli
from crmdesk.context import Context
from crmdesk.domain.records import BusinessCardRecord, Email, Entity, PersonRecord
from crmdesk.errors import StoreError
from crmdesk.exchange import importer
from crmdesk.exchange.exporter import Format
from crmdesk.exchange.importer import Outcome
from crmdesk.store import people
from crmdesk.store.listing import ListQuery, count
from crmdesk.ui import drag, messages, ops
from crmdesk.ui.dialogs import files
from crmdesk.ui.dialogs.exports import ExportDialog
from crmdesk.ui.dialogs.imports import ImportDialog, Stage
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.models.report import COL_CARD, COL_DETAILS, COL_LINE, COL_NAME, OUTCOME_ROLE
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.workers import Job, JobRunner

pytestmark = pytest.mark.gui


# ---- fixtures and helpers ------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot, ctx: Context) -> Iterator[MainWindow]:
    runner = JobRunner()
    w = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    # pytest-qt has closed the window (and its import dialog) already; no event loop may run here, or its deferred
    # delete would delete it under our feet
    assert runner.shutdown(20000), "a job was still running at the end of the test"


class Recorder(QObject):
    """Collects what a signal sends, in @Slot methods like every receiver in crmdesk."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.times: list[float] = []

    @Slot(int, int, str)
    def progress(self, done: int, total: int, text: str) -> None:
        self.items.append((done, total, text))

    @Slot()
    def tick(self) -> None:
        self.times.append(time.monotonic())


def _settle(qtbot: QtBot, w: MainWindow, timeout: int = 10000) -> None:
    qtbot.waitUntil(lambda: w.history.idle and w._runner.running() == 0, timeout=timeout)
    qtbot.wait(20)


def _names(w: MainWindow) -> list[str]:
    model = w.models[Entity.PERSON]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def _live_people(ctx: Context) -> int:
    with ctx.store.read() as s:
        return count(s, ListQuery(Entity.PERSON))


def card(first: str, last: str, *, email: str = "", org: str = "", uid: str = "") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{last};{first};;;", f"FN:{first} {last}"]
    if uid:
        lines.append(f"UID:{uid}")
    if org:
        lines.append(f"ORG:{org}")
    if email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{email}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


BROKEN = "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a card without any name\r\nEND:VCARD\r\n"

GOOD = (
    card("Anna", "Schmidt", email="anna.schmidt@nordlicht.de", org="Nordlicht GmbH", uid="anna-1"),
    card("Jonas", "Müller", email="jonas@example.org"),
    card("Zoë", "Ünal", email="zoe@nordlicht.de", org="Nordlicht GmbH"),
)


def write_vcf(path: Path, *cards: str) -> Path:
    path.write_bytes("".join(cards).encode("utf-8"))
    return path


def _mime(paths: list[Path] | list[QUrl]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([p if isinstance(p, QUrl) else QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(w: MainWindow, paths: list[Path] | list[QUrl]) -> bool:
    """Drag files over the window and drop them, as a file manager would; whether the window took them."""
    mime = _mime(paths)
    pos = w.rect().center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(w, enter)
    if not enter.isAccepted():
        return False
    assert enter.dropAction() is Qt.DropAction.CopyAction  # the usual copy cursor
    dropped = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(w, dropped)
    return dropped.isAccepted()


def _dialog(w: MainWindow) -> ImportDialog:
    dialog = w.exchange.import_dialog
    assert dialog is not None, "no import dialog is open"
    return dialog


def _wait_stage(qtbot: QtBot, dialog: ImportDialog, stage: Stage, timeout: int = 20000) -> None:
    qtbot.waitUntil(lambda: dialog.stage is stage, timeout=timeout)


@pytest.fixture
def progress_of_imports(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Records the progress of every import job (preview and import), connected before the job starts."""
    recorder = Recorder()
    real = ops.import_files

    def import_files(*args: Any, **kwargs: Any) -> Job:
        job = real(*args, **kwargs)
        job.signals.progress.connect(recorder.progress)
        return job

    monkeypatch.setattr(ops, "import_files", import_files)
    return recorder


# ---- import ----------------------------------------------------------------------------------------------------


def test_drop_preview_import_then_undo_and_redo_the_whole_import(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path, progress_of_imports: Recorder
) -> None:
    path = write_vcf(tmp_path / "contacts.vcf", *GOOD)
    assert drop(window, [path])
    dialog = _dialog(window)
    _wait_stage(qtbot, dialog, Stage.PREVIEWED)

    # the preview: progress was shown, every card is listed with what would happen, nothing was written
    assert progress_of_imports.items and progress_of_imports.items[-1][0] == progress_of_imports.items[-1][1] > 0
    assert dialog.proxy.rowCount() == 3
    assert {dialog.proxy.index(r, COL_NAME).data() for r in range(3)} == {"Anna Schmidt", "Jonas Müller", "Zoë Ünal"}
    assert {dialog.proxy.index(r, 0).data(OUTCOME_ROLE) for r in range(3)} == {Outcome.CREATED}
    assert dialog.chips[Outcome.CREATED].text().endswith("3") and not dialog.chips[Outcome.REJECTED].isVisible()
    assert "1 company will be created" in dialog.companies_label.text()
    assert dialog.import_button.isEnabled()
    assert _live_people(ctx) == 0

    # Import: the result, the table, one step on the undo stack
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    _wait_stage(qtbot, dialog, Stage.DONE)
    assert dialog.report is not None and dialog.report.created == 3 and not dialog.report.rejected
    assert dialog.cancel_button.text() == "Close" and not dialog.import_button.isVisible()
    _settle(qtbot, window)
    assert sorted(_names(window)) == ["Anna Schmidt", "Jonas Müller", "Zoë Ünal"]
    assert window.act_undo.text().endswith("Import 3 people")
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.exchange.import_dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)  # back to the window

    # Ctrl+Z takes all three back (and the company the import made); Ctrl+Shift+Z brings them again
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert _names(window) == [] and _live_people(ctx) == 0
    with ctx.store.read() as s:
        assert count(s, ListQuery(Entity.COMPANY)) == 0
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _settle(qtbot, window)
    assert sorted(_names(window)) == ["Anna Schmidt", "Jonas Müller", "Zoë Ünal"] and _live_people(ctx) == 3

    # the same file again: everything unchanged, nothing to import, no undo step
    assert drop(window, [path])
    dialog = _dialog(window)
    _wait_stage(qtbot, dialog, Stage.PREVIEWED)
    assert dialog.preview is not None and dialog.preview.unchanged == 3
    assert not dialog.import_button.isEnabled()
    dialog.reject()
    qtbot.waitUntil(lambda: window.exchange.import_dialog is None, timeout=5000)


def test_a_rejected_card_is_listed_first_with_its_number_line_and_reason(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path
) -> None:
    path = write_vcf(tmp_path / "mixed.vcf", GOOD[0], BROKEN, GOOD[1])
    window.import_files([path])
    dialog = _dialog(window)
    _wait_stage(qtbot, dialog, Stage.PREVIEWED)
    model = dialog.proxy
    assert model.rowCount() == 3
    first = model.index(0, 0)
    assert first.data(OUTCOME_ROLE) == Outcome.REJECTED  # rejected ones first
    assert model.index(0, COL_CARD).data() == "2"
    assert model.index(0, COL_LINE).data() == str(GOOD[0].count("\n") + 1)  # the line where the broken card begins
    assert model.index(0, COL_DETAILS).data()  # the reason
    assert dialog.chips[Outcome.REJECTED].isVisible() and dialog.chips[Outcome.REJECTED].text().endswith("1")
    assert "cannot be read" in dialog.note.text()

    # filter by outcome
    QTest.mouseClick(dialog.chips[Outcome.REJECTED], Qt.MouseButton.LeftButton)
    assert model.rowCount() == 1
    QTest.mouseClick(dialog.chips[Outcome.CREATED], Qt.MouseButton.LeftButton)
    assert model.rowCount() == 2
    QTest.mouseClick(dialog.chips[None], Qt.MouseButton.LeftButton)
    assert model.rowCount() == 3

    # the import takes the good ones; the result lists the reject
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    _wait_stage(qtbot, dialog, Stage.DONE)
    assert dialog.report is not None and dialog.report.created == 2 and len(dialog.report.rejected) == 1
    assert dialog.proxy.outcome is Outcome.REJECTED and dialog.proxy.rowCount() == 1
    _settle(qtbot, window)
    assert _live_people(ctx) == 2
    dialog.close()


def test_cancel_stops_a_long_import_after_the_batch_in_progress_and_the_window_stays_responsive(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path, progress_of_imports: Recorder
) -> None:
    n = 8 * importer.BATCH
    path = write_vcf(
        tmp_path / "many.vcf", *(card(f"First{i}", f"Last{i:05d}", email=f"p{i}@example.org") for i in range(n))
    )
    window.import_files([path])
    dialog = _dialog(window)
    _wait_stage(qtbot, dialog, Stage.PREVIEWED, timeout=60000)
    assert dialog.preview is not None and dialog.preview.created == n

    ticks = Recorder()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(ticks.tick)
    progress_of_imports.items.clear()
    timer.start()
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.stage is Stage.IMPORTING
    qtbot.waitUntil(lambda: any(0 < done < total for done, total, _ in progress_of_imports.items), timeout=30000)
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.text() == "Cancelling…" and dialog.isVisible()
    _wait_stage(qtbot, dialog, Stage.DONE, timeout=30000)
    timer.stop()

    report = dialog.report
    assert report is not None and report.cancelled
    assert 0 < report.created < n and report.created % importer.BATCH == 0  # whole batches only
    _settle(qtbot, window)
    assert _live_people(ctx) == report.created
    gaps = [b - a for a, b in zip(ticks.times, ticks.times[1:], strict=False)]
    assert len(gaps) > 10
    assert max(gaps) < 0.5, f"the window froze for {max(gaps):.2f} s during the import"

    # what went in before the cancel is still one undo step
    dialog.close()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert _live_people(ctx) == 0


def test_cancel_during_the_preview_closes_and_writes_nothing(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path
) -> None:
    path = write_vcf(tmp_path / "contacts.vcf", *GOOD)
    window.import_files([path])
    dialog = _dialog(window)
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.exchange.import_dialog is None, timeout=5000)
    _settle(qtbot, window)
    assert _live_people(ctx) == 0 and window.history.stack.count() == 0


def test_an_import_that_fails_says_so_and_the_window_shows_what_is_stored(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importer.run_import

    def run_import(store: Any, files: Any, **kwargs: Any) -> importer.ImportReport:
        if not kwargs.get("dry_run"):
            with ctx.store.write() as s:  # a batch went in before the disk filled up
                people.create(s, PersonRecord(first_name="Anna", last_name="Schmidt"))
            raise StoreError("The disk is full.", hints=("Free some space.",))
        return real(store, files, **kwargs)

    monkeypatch.setattr(importer, "run_import", run_import)
    shown: list[str] = []
    monkeypatch.setattr(messages, "warn", lambda parent, text, **k: shown.append(text))
    window.import_files([write_vcf(tmp_path / "contacts.vcf", *GOOD)])
    dialog = _dialog(window)
    _wait_stage(qtbot, dialog, Stage.PREVIEWED)
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    _wait_stage(qtbot, dialog, Stage.FAILED)
    assert shown == ["The disk is full."]
    assert dialog.progress_label.text() == "The disk is full." and dialog.cancel_button.text() == "Close"
    _settle(qtbot, window)
    assert _names(window) == ["Anna Schmidt"]  # the tables were read again
    assert window.history.stack.count() == 0  # nothing to undo: the report was lost with the error
    dialog.close()


def test_only_local_vcard_and_csv_files_are_taken(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    vcf = write_vcf(tmp_path / "a.vcf", GOOD[0])
    assert not drop(window, [text])
    assert not drop(window, [vcf, text])
    assert not drop(window, [QUrl("https://example.org/contacts.vcf")])
    assert window.exchange.import_dialog is None


def test_file_import_action_opens_the_picker_then_the_dialog(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_vcf(tmp_path / "a.VCF", GOOD[0])
    asked: list[Path] = []

    def open_contacts(parent: object, start: Path) -> list[Path]:
        asked.append(start)
        return [path]

    monkeypatch.setattr(files, "open_contacts", open_contacts)
    QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert asked
    dialog = _dialog(window)
    assert dialog.files == [path]
    _wait_stage(qtbot, dialog, Stage.PREVIEWED)
    assert window.exchange.last_dir == tmp_path
    # a second import while one is open only raises the open one; once it is done, the next one replaces it
    assert window.exchange.import_files([path]) is None
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    _wait_stage(qtbot, dialog, Stage.DONE)
    second = window.exchange.import_files([path])
    assert second is not None and second is window.exchange.import_dialog
    _wait_stage(qtbot, second, Stage.PREVIEWED)
    assert second.preview is not None and second.preview.unchanged == 1
    second.close()


# ---- drag out ---------------------------------------------------------------------------------------------------


def _people_in_table(qtbot: QtBot, w: MainWindow, ctx: Context, *recs: PersonRecord) -> list[PersonRecord]:
    stored = []
    with ctx.store.write() as s:
        for rec in recs:
            stored.append(people.create(s, rec)[0])
    w.models[Entity.PERSON].reload()
    _settle(qtbot, w)
    return stored


INES = PersonRecord(
    first_name="Ines",
    last_name="Brandt",
    cards=(
        BusinessCardRecord(
            company_name="Brandt Maschinenbau GmbH",
            position="Einkaufsleiterin",
            favourite=True,
            emails=(Email("i.brandt@brandt-mb.de", favourite=True),),
        ),
        BusinessCardRecord(private=True, emails=(Email("ines@example.org"),)),
    ),
)
JONAS = PersonRecord(first_name="Jonas", last_name="Koch", cards=(BusinessCardRecord(emails=(Email("jk@koch.de"),)),))


def test_dragging_people_out_gives_vcards_and_a_vcf_file(
    qtbot: QtBot, window: MainWindow, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    _people_in_table(qtbot, window, ctx, INES, JONAS)
    model = window.models[Entity.PERSON]
    table = window.tables[Entity.PERSON]
    assert table.dragEnabled()
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert "text/vcard" in model.mimeTypes()

    one = model.mimeData([model.index(0, c) for c in range(3)])  # a row: several cells, one person
    assert one is not None
    cards = list(vobject.readComponents(bytes(one.data("text/vcard").data()).decode("utf-8")))
    assert [c.fn.value for c in cards] == ["Ines Brandt"]
    (url,) = one.urls()
    assert url.isLocalFile() and Path(url.toLocalFile()).name == "Ines Brandt.vcf"
    assert Path(url.toLocalFile()).read_bytes() == bytes(one.data("text/vcard").data())

    both = model.mimeData([model.index(0, 0), model.index(1, 0)])
    assert both is not None
    cards = list(vobject.readComponents(bytes(both.data("text/vcard").data()).decode("utf-8")))
    assert sorted(c.fn.value for c in cards) == ["Ines Brandt", "Jonas Koch"]
    assert Path(both.urls()[0].toLocalFile()).name == "2 contacts.vcf"

    # too many for one drag: nothing is read, the window says what to do instead
    monkeypatch.setattr(drag, "MAX_DRAG", 1)
    with qtbot.waitSignal(model.drag_refused, timeout=1000):
        assert model.mimeData([model.index(0, 0), model.index(1, 0)]) is None
    assert "Export" in window.statusBar().currentMessage()

    # a drag that starts in this window is never imported back into it
    assert window.models[Entity.COMPANY].mimeTypes() == []


# ---- export -----------------------------------------------------------------------------------------------------


def _answer_save_file(monkeypatch: pytest.MonkeyPatch, target: Path) -> list[Path]:
    """Make the save dialog answer `target`; returns the list of the file names it was asked to suggest."""
    asked: list[Path] = []

    def save_file(parent: object, *, title: str, suggested: Path, file_filter: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(files, "save_file", save_file)
    return asked


def test_export_writes_the_selected_people(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _people_in_table(qtbot, window, ctx, INES, JONAS, PersonRecord(first_name="Zoe", last_name="Zander"))
    selection = window.tables[Entity.PERSON].selectionModel()
    rows = QItemSelectionModel.SelectionFlag.Rows
    selection.select(window.models[Entity.PERSON].index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | rows)
    selection.select(window.models[Entity.PERSON].index(1, 0), QItemSelectionModel.SelectionFlag.Select | rows)
    seen: dict[str, Any] = {}

    def exec_(dialog: ExportDialog) -> int:
        qtbot.waitUntil(lambda: "3 people" in dialog.everyone_radio.text(), timeout=5000)
        seen["selected"] = dialog.selected_radio.isChecked()
        seen["text"] = dialog.selected_radio.text()
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(ExportDialog, "exec", exec_)
    target = tmp_path / "out.vcf"
    asked = _answer_save_file(monkeypatch, target)
    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert seen == {"selected": True, "text": "The 2 selected people"}
    assert asked[0].name == "2 contacts.vcf"
    qtbot.waitUntil(lambda: "exported to" in window.statusBar().currentMessage(), timeout=5000)
    assert window.statusBar().currentMessage() == f"2 people exported to {target}"
    cards = list(vobject.readComponents(target.read_text(encoding="utf-8")))
    assert sorted(c.fn.value for c in cards) == ["Ines Brandt", "Jonas Koch"]
    assert not window.export_progress.isVisible()


def test_export_dialog_offers_search_result_everyone_and_formats(
    qtbot: QtBot, window: MainWindow, ctx: Context
) -> None:
    _people_in_table(qtbot, window, ctx, INES, JONAS)
    query = ListQuery(Entity.PERSON, search="koch")
    dialog = ExportDialog(ctx, window._runner, selected=[], query=query, parent=window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "(2 people)" in dialog.everyone_radio.text(), timeout=5000)
    assert dialog.search_radio.isChecked() and dialog.search_radio.text() == "The person found for “koch”"
    assert not dialog.selected_radio.isEnabled()
    choice = dialog.choice()
    assert choice.selection.query == query and choice.fmt is Format.VCARD3 and not choice.split
    assert choice.file_stem == "koch"

    dialog.split_radio.setChecked(True)
    assert dialog.choice().split
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(Format.GOOGLE_CSV.value))
    assert not dialog.split_radio.isEnabled() and not dialog.choice().split  # CSV is always one table
    dialog.everyone_radio.setChecked(True)
    everyone = dialog.choice()
    dialog.close()
    # the table's context menu (Export Selected…) starts with the selection, even of one person
    one = ExportDialog(ctx, window._runner, selected=[("id-1", "Jonas Koch")], query=query, prefer_selected=True)
    qtbot.addWidget(one)
    assert one.selected_radio.isChecked() and one.selected_radio.text() == "The selected person: Jonas Koch"
    assert one.choice().selection.ids == ("id-1",) and one.choice().file_stem == "Jonas Koch"
    qtbot.waitUntil(lambda: one._count_job is None, timeout=5000)
    one.close()
    assert everyone.selection.ids is None and everyone.selection.query == ListQuery(Entity.PERSON)
    assert everyone.fmt is Format.GOOGLE_CSV and everyone.what == "2 people"


def test_export_business_card_from_the_person_pane(
    qtbot: QtBot, window: MainWindow, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ines,) = _people_in_table(qtbot, window, ctx, INES)
    assert window.tables[Entity.PERSON].select_id(ines.id)
    qtbot.waitUntil(lambda: "Einkaufsleiterin" in window.detail.html(), timeout=5000)
    assert window.detail.card_button.isVisible() and window.act_export_card.isEnabled()
    target = tmp_path / "card.vcf"
    asked = _answer_save_file(monkeypatch, target)
    QTest.mouseClick(window.detail.card_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists(), timeout=5000)
    _settle(qtbot, window)
    assert asked[0].name == "Ines Brandt.vcf"
    (vc,) = list(vobject.readComponents(target.read_text(encoding="utf-8")))
    assert vc.fn.value == "Ines Brandt"
    emails = [e.value for e in vc.contents.get("email", [])]
    assert "i.brandt@brandt-mb.de" in emails and "ines@example.org" not in emails  # the favourite card only
    assert window.statusBar().currentMessage() == f"Business card of Ines Brandt saved to {target}"

    # the same from File ▸ Export Business Card…; a cancelled file dialog writes nothing
    monkeypatch.setattr(files, "save_file", lambda parent, **k: None)
    target.unlink()
    window.act_export_card.trigger()
    _settle(qtbot, window)
    assert not target.exists()


# ---- start with files -------------------------------------------------------------------------------------------


def test_crmdesk_with_a_vcard_file_opens_the_window_not_the_cli(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "contacts.vcf", GOOD[0])
    assert not wants_cli([str(vcf)])
    assert not wants_cli(["--data-dir", str(tmp_path), str(vcf)])
    assert not wants_cli([vcf.as_uri()])
    assert wants_cli([str(tmp_path / "missing.vcf")])  # not a file: the CLI says it knows no such command
    assert wants_cli(["import", str(vcf)]) and wants_cli(["people", "list"])
    assert not wants_cli(["--data-dir", str(tmp_path)])


def test_app_main_opens_the_import_of_the_files_it_is_given(
    qtbot: QtBot, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmdesk import app

    vcf = write_vcf(tmp_path / "contacts.vcf", GOOD[0])
    opened: list[list[Path]] = []
    monkeypatch.setattr(MainWindow, "import_files", lambda self, paths: opened.append(list(paths)))
    monkeypatch.setattr(QApplication, "exec", lambda *a: 0)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        assert app.main(["--data-dir", str(data_dir), str(vcf), str(tmp_path / "other.txt")]) == 0
    finally:
        for h in list(root.handlers):  # app.main set up logging to a file in data_dir: close it again
            root.removeHandler(h)
            h.close()
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
    assert opened == [[vcf.resolve()]]
