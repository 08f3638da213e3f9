"""The import dialog: a preview of what importing vCard and CSV files would do, the import, and its result.

`ImportDialog.ask(parent, ctx, runner, files)` opens it without blocking (tests monkeypatch `ask` or drive the
dialog it returns, STYLE §8). It runs the preview at once — the real import in a transaction that is rolled back,
in a writer job with progress and Cancel — and lists every card: rejected ones first, filterable by outcome. Import
runs the real import in a writer job (Cancel stops after the batch in progress), then the dialog shows the result and
emits `imported(report)`; the window publishes the report's changes and puts the import on the undo stack.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.errors import Cancelled
from crmdesk.exchange.importer import ImportReport, Outcome
from crmdesk.ui import messages, ops
from crmdesk.ui.dialogs.widgets import DialogHeader
from crmdesk.ui.icons import icon
from crmdesk.ui.models.report import (
    COL_CARD,
    COL_FILE,
    COL_LINE,
    COL_NAME,
    COL_OUTCOME,
    OUTCOME_ICONS,
    OUTCOME_LABELS,
    ImportReportModel,
    OutcomeFilter,
)
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["ImportDialog", "Stage"]

log = logging.getLogger(__name__)

_CHIPS: tuple[tuple[Outcome | None, str, str], ...] = (
    (None, "All", "All"),
    *(
        (o, OUTCOME_LABELS[o][0], OUTCOME_LABELS[o][2])
        for o in (Outcome.REJECTED, Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED)
    ),
)
"""Filter buttons: outcome (None: all), label in the preview, label after the import (as the list says them)."""

_WIDTHS = {COL_OUTCOME: 118, COL_NAME: 210, COL_FILE: 150, COL_CARD: 56, COL_LINE: 56}


class Stage(enum.Enum):
    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _files_label(files: Sequence[Path]) -> str:
    return files[0].name if len(files) == 1 else f"{len(files)} files"


class ImportDialog(QDialog):
    """Preview, import and result of one import of vCard/CSV files.

    Args:
        ctx: The context (its store is written).
        runner: Runs the preview and the import on its writer pool.
        files: The files to import.
        parent: The window.

    Signals:
        imported(ImportReport): the import finished (possibly cancelled part-way); its changes are not yet published.
        import_failed(Exception): the import stopped with an error; the batches before it are stored.
        record_activated(Entity, str): the user double-clicked a created or updated record in the result.
    """

    imported = Signal(object)
    import_failed = Signal(object)
    record_activated = Signal(object, str)

    def __init__(self, ctx: Context, runner: JobRunner, files: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self.files = list(files)
        self.stage = Stage.PREVIEWING
        self.preview: ImportReport | None = None
        self.report: ImportReport | None = None
        self._job: Job | None = None
        self._failed_importing = False
        self._error = ""
        self.setWindowTitle("Import contacts")
        self.setWindowIcon(icon("import"))
        self.setObjectName("importDialog")
        self.setSizeGripEnabled(True)
        self.setMinimumSize(720, 440)
        self.resize(940, 600)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        root = QVBoxLayout(self)
        root.setContentsMargins(18, 16, 18, 14)
        root.setSpacing(12)
        self.header = DialogHeader("import")
        root.addWidget(self.header)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._build_progress_page())
        self._stack.addWidget(self._build_report_page())
        root.addWidget(self._stack, 1)

        self.note = QLabel()
        self.note.setObjectName("importNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.import_button = QPushButton(icon("import"), "Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setDefault(True)
        self.import_button.setMinimumWidth(104)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setMinimumWidth(96)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        bottom = QHBoxLayout()
        bottom.setSpacing(8)
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.cancel_button)
        root.addLayout(bottom)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: Context, runner: JobRunner, files: Sequence[Path]) -> ImportDialog:
        """Open the dialog for `files` without blocking and start the preview; returns the open dialog."""
        dialog = cls(ctx, runner, files, parent)
        dialog.show()
        dialog.start_preview()
        return dialog

    # ---- building -------------------------------------------------------------------------------------------

    def _build_progress_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        self.progress_label = QLabel()
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("importProgress")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_hint = QLabel()
        self.progress_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.progress_hint.setWordWrap(True)
        lay.addStretch(2)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.progress_bar)
        lay.addWidget(self.progress_hint)
        lay.addStretch(3)
        outer = QWidget()
        h = QHBoxLayout(outer)
        h.setContentsMargins(60, 0, 60, 0)
        h.addWidget(page)
        return outer

    def _build_report_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)

        chips = QHBoxLayout()
        chips.setSpacing(6)
        self._chip_group = QButtonGroup(self)
        self._chip_group.setExclusive(True)
        self.chips: dict[Outcome | None, QToolButton] = {}
        for outcome, label, _ in _CHIPS:
            b = QToolButton()
            b.setObjectName("outcomeChip")
            b.setCheckable(True)
            b.setText(label)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setIconSize(QSize(14, 14))
            if outcome is not None:
                b.setIcon(icon(OUTCOME_ICONS[outcome]))
                b.setProperty("outcome", outcome.value)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            self._chip_group.addButton(b)
            self.chips[outcome] = b
            chips.addWidget(b)
        self.chips[None].setChecked(True)
        self._chip_group.buttonClicked.connect(self._on_chip_clicked)
        chips.addStretch(1)
        self.companies_label = QLabel()
        self.companies_label.setObjectName("companiesLabel")
        chips.addWidget(self.companies_label)
        lay.addLayout(chips)

        self.model = ImportReportModel(self)
        self.proxy = OutcomeFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("importTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setIconSize(QSize(16, 16))
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 12)
        hh = self.table.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for col, width in _WIDTHS.items():
            hh.resizeSection(col, width)
        self.table.setColumnHidden(COL_FILE, len(self.files) == 1)  # the header names the one file
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        lay.addWidget(self.table, 1)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("importEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(False)
        lay.addWidget(self.empty_label, 1)
        return page

    # ---- the two runs ---------------------------------------------------------------------------------------

    def start_preview(self) -> None:
        """Run the preview (a dry run) of the files in a writer job."""
        self._set_stage(Stage.PREVIEWING)
        self._start(ops.import_files(self._ctx, self.files, dry_run=True))

    @Slot()
    def _on_import_clicked(self) -> None:
        if self.stage is not Stage.PREVIEWED:
            return
        self._set_stage(Stage.IMPORTING)
        self._start(ops.import_files(self._ctx, self.files, dry_run=False))

    def _start(self, job: Job) -> None:
        if self._job is not None:
            self._job.cancel.set()
        self.progress_bar.setRange(0, 0)  # busy until the first progress report
        job.signals.progress.connect(self._on_job_progress)
        job.signals.succeeded.connect(self._on_job_succeeded)
        job.signals.failed.connect(self._on_job_failed)
        self._job = job
        self._runner.write(job)

    def _is_current(self) -> bool:
        """Whether the signal being delivered comes from the job this dialog waits for (latest wins)."""
        return self._job is not None and self.sender() is self._job.signals

    @Slot(int, int, str)
    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if not self._is_current():
            return
        verb = "Reading" if self.stage is Stage.PREVIEWING else "Importing"
        name = text or _files_label(self.files)
        if total > 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(min(1000, done * 1000 // total))
            self.progress_label.setText(f"{verb} {name} — {done * 100 // total} %")
        else:
            self.progress_label.setText(f"{verb} {name}…")

    @Slot(object)
    def _on_job_succeeded(self, report: ImportReport) -> None:
        if not self._is_current():
            return
        self._job = None
        if report.dry_run:
            self.preview = report
            self._set_stage(Stage.PREVIEWED)
            return
        self.report = report
        self._set_stage(Stage.DONE)
        self.imported.emit(report)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        if not self._is_current():
            return
        self._job = None
        if isinstance(exc, Cancelled):
            return
        self._failed_importing = self.stage is Stage.IMPORTING
        self._error = str(exc)
        self._set_stage(Stage.FAILED)
        if self._failed_importing:
            self.import_failed.emit(exc)
        messages.show_error(self, exc)

    # ---- stages ---------------------------------------------------------------------------------------------

    def _set_stage(self, stage: Stage) -> None:
        self.stage = stage
        what = _files_label(self.files)
        self.setWindowTitle(f"Import {what}")
        self._stack.setCurrentIndex(1 if stage in (Stage.PREVIEWED, Stage.DONE) else 0)
        self.progress_bar.setVisible(stage is not Stage.FAILED)
        self.import_button.setVisible(stage in (Stage.PREVIEWING, Stage.PREVIEWED))
        self.cancel_button.setEnabled(True)
        self.note.setStyleSheet("")
        if stage is Stage.PREVIEWING:
            self.header.set_texts(f"Import {what}", "Looking at what the files hold — nothing is written yet")
            self.progress_label.setText(f"Reading {what}…")
            self.progress_hint.setText(
                "You will see every card and what importing it would do before anything is written."
            )
            self.import_button.setEnabled(False)
            self.cancel_button.setText("Cancel")
            self.note.setText("")
        elif stage is Stage.PREVIEWED:
            assert self.preview is not None
            self._show_report(self.preview, done=False)
            changes = self.preview.created + self.preview.updated + len(self.preview.undo.created_companies)
            self.import_button.setEnabled(changes > 0)
            self.cancel_button.setText("Cancel")
            self.header.set_texts(f"Import {what}", _preview_subtitle(self.preview))
            self._set_note(_preview_note(self.preview), warn=bool(self.preview.rejected))
            self.import_button.setFocus()
        elif stage is Stage.IMPORTING:
            self.header.set_texts(
                f"Importing {what}", "Cancel stops after the batch in progress; what came before it stays imported"
            )
            self.progress_label.setText(f"Importing {what}…")
            self.progress_hint.setText("You can keep working in the main window meanwhile.")
            self.progress_bar.setValue(0)
            self.cancel_button.setText("Cancel")
            self.note.setText("")
        elif stage is Stage.DONE:
            assert self.report is not None
            self._show_report(self.report, done=True)
            self.header.set_texts(f"Imported {what}", _done_subtitle(self.report))
            self.cancel_button.setText("Close")
            self.cancel_button.setDefault(True)
            self.cancel_button.setFocus()
            self._set_note(_done_note(self.report), warn=self.report.cancelled)
            if self.report.rejected:
                self.show_outcome(Outcome.REJECTED)
        else:  # FAILED
            importing = self._failed_importing
            self.header.set_texts(f"Import {what}", "The import stopped" if importing else "The preview failed")
            self.progress_label.setText(self._error)
            self.progress_hint.setText(
                "What was imported before the error is stored: the window shows it." if importing else ""
            )
            self.cancel_button.setText("Close")

    def _set_note(self, text: str, *, warn: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #b42318;" if warn else "color: #4b5563;")

    def _show_report(self, report: ImportReport, *, done: bool) -> None:
        self.model.set_lines(report.lines, done=done)
        counts = {
            None: len(report.lines),
            Outcome.CREATED: report.created,
            Outcome.UPDATED: report.updated,
            Outcome.UNCHANGED: report.unchanged,
            Outcome.REJECTED: len(report.rejected),
        }
        for outcome, preview_label, done_label in _CHIPS:
            chip = self.chips[outcome]
            chip.setText(f"{done_label if done else preview_label}  {counts[outcome]:,}")
            chip.setVisible(outcome is None or counts[outcome] > 0)
        companies = len(report.undo.created_companies)
        if companies:
            noun = _plural(companies, "company", "companies")
            self.companies_label.setText(f"{noun} created" if done else f"{noun} will be created")
        self.companies_label.setVisible(bool(companies))
        empty = not report.lines
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if empty:
            self.empty_label.setText(f"No contacts were found in {_files_label(self.files)}.")
        self.show_outcome(None)

    def show_outcome(self, outcome: Outcome | None) -> None:
        """Show only the cards of this outcome (None: all)."""
        self.chips[outcome].setChecked(True)
        self.proxy.set_outcome(outcome)

    @Slot(QAbstractButton)
    def _on_chip_clicked(self, button: QAbstractButton) -> None:
        for outcome, chip in self.chips.items():
            if chip is button:
                self.proxy.set_outcome(outcome)

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if self.stage is not Stage.DONE:
            return
        line = self.model.line(self.proxy.mapToSource(index).row())
        if line is not None and line.record_id and line.outcome is not Outcome.REJECTED:
            self.record_activated.emit(line.entity, line.record_id)

    # ---- closing --------------------------------------------------------------------------------------------

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.reject()

    def reject(self) -> None:
        """Cancel: a preview is abandoned and the dialog closes; an import stops after the batch in progress and
        the dialog stays to show what was imported."""
        if self.stage is Stage.IMPORTING:
            if self._job is not None:
                self._job.cancel.set()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")
            self.progress_hint.setText("Stopping after the batch in progress…")
            return
        if self._job is not None:
            self._job.cancel.set()
            self._job = None
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.stage is Stage.IMPORTING:
            self.reject()  # the result still has to be shown (and put on the undo stack)
            event.ignore()
            return
        if self._job is not None:
            self._job.cancel.set()
            self._job = None
        super().closeEvent(event)


def _preview_subtitle(report: ImportReport) -> str:
    cards = len([line for line in report.lines if line.number > 0])
    return f"{_plural(cards, 'card', 'cards')} found — nothing has been written yet"


def _preview_note(report: ImportReport) -> str:
    rejected = len(report.rejected)
    if not report.lines:
        return "There is nothing to import."
    if report.created + report.updated + len(report.undo.created_companies) == 0:
        if rejected:
            return "None of these cards can be imported."
        return "Everything in these files is already stored: importing would change nothing."
    warned = sum(1 for line in report.lines if line.warnings and line.outcome is not Outcome.REJECTED)
    notes = []
    if rejected:
        notes.append(f"{_plural(rejected, 'card', 'cards')} cannot be read and will be skipped; the others go in.")
    if warned:
        notes.append(f"{_plural(warned, 'card has', 'cards have')} warnings.")
    return " ".join(notes) or "Edit ▸ Undo takes the whole import back afterwards."


def _done_subtitle(report: ImportReport) -> str:
    parts = [
        f"{report.created:,} created",
        f"{report.updated:,} updated",
        f"{report.unchanged:,} unchanged",
        f"{len(report.rejected):,} rejected",
    ]
    return ("Cancelled — " if report.cancelled else "") + ", ".join(parts)


def _done_note(report: ImportReport) -> str:
    undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText) or "Ctrl+Z"
    if report.cancelled:
        return f"Cancelled: the cards before the cancel were imported. Edit ▸ Undo ({undo}) takes them back."
    if report.undo.is_empty():
        return "Nothing was changed."
    return f"Edit ▸ Undo ({undo}) takes the whole import back."
