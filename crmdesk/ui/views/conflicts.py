"""The Conflicts page: fields both sides changed in the middle; the selected one's two values side by side at the right.

"Use this value instead" (`sync.run.take_other_value`) makes the value that was not kept a local edit the next sync
sends; "Keep" (`keep_value`) closes the conflict. Both run on the writer pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.merge import Side
from crmdesk.domain.records import Entity
from crmdesk.errors import Cancelled
from crmdesk.ui import messages
from crmdesk.ui import ops_sync as ops
from crmdesk.ui.icons import icon
from crmdesk.ui.models.accounts import Role
from crmdesk.ui.models.conflicts import ConflictsModel, format_value
from crmdesk.ui.models.table import display_time
from crmdesk.ui.sync import SyncController
from crmdesk.ui.views.accounts import tool_button
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["ComparePane", "ConflictsPage"]

EMPTY_TEXT = "No conflicts — when you and a colleague change the same field, both values wait here."
HINT_TEXT = (
    "When you and a colleague change the same field between two syncs, the account's policy picks one value for "
    "now and the other waits here. “Use this value instead” sends yours (or theirs) with the next sync."
)
_COLUMN_WIDTHS = (195, 100, 150, 150, 140)


class ConflictsPage(QWidget):
    """Every open conflict, newest first; sortable by any column."""

    navigate_requested = Signal(object, str)  # Entity, record id
    status_message = Signal(str, int)
    loaded = Signal()  # the list was read (tests wait for it)

    def __init__(
        self, ctx: Context, *, runner: JobRunner, controller: SyncController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsPage")
        self._ctx = ctx
        self._runner = runner
        self._controller = controller
        self._job: Job | None = None

        title = QLabel("Conflicts")
        title.setObjectName("viewTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("paneMuted")
        self.refresh_button = tool_button("refresh", "Refresh", "Read the conflicts again")
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 8)
        top.setSpacing(8)
        top.addWidget(title)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        self.model = ConflictsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.table = QTableView()
        self.table.setObjectName("conflictsTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setFrameShape(QTableView.Shape.NoFrame)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 12)
        hh = self.table.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, w in enumerate(_COLUMN_WIDTHS):
            hh.resizeSection(i, w)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection_current_row_changed)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("detailPlaceholder")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(40)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.table)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self._stack, 1)
        hint = QLabel(HINT_TEXT)
        hint.setObjectName("paneMuted")
        hint.setWordWrap(True)
        hint.setContentsMargins(12, 8, 12, 10)
        lay.addWidget(hint)

        self.pane = ComparePane()
        self.pane.take_requested.connect(self._on_pane_take_requested)
        self.pane.keep_requested.connect(self._on_pane_keep_requested)
        self.pane.open_requested.connect(self._on_pane_open_requested)
        controller.run_finished.connect(self._on_controller_run_finished)
        controller.snapshot_changed.connect(self._on_controller_snapshot_changed)

    def reload(self) -> None:
        """Read the open conflicts again (latest wins)."""
        if self._job is not None:
            self._job.cancel.set()
        job = ops.load_conflicts(self._ctx)
        job.signals.succeeded.connect(self._on_load_job_succeeded)
        job.signals.failed.connect(self._on_job_failed)
        self._job = job
        self._runner.read(job)

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        return str(index.data(Role.ID)) if index.isValid() else None

    def select(self, conflict_id: str) -> bool:
        row = self.model.row_of(conflict_id)
        if row is None:
            return False
        self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
        return True

    def _current_row(self) -> ops.ConflictRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.conflict_row(self.proxy.mapToSource(index).row())

    @Slot(object)
    def _on_load_job_succeeded(self, rows: list[ops.ConflictRow]) -> None:
        if self._job is None or self.sender() is not self._job.signals:
            return
        self._job = None
        keep = self.current_id()
        self.model.set_rows(rows, now=dt.datetime.now().astimezone())
        n = len(rows)
        self.count_label.setText(f"{n:,} open" if n else "")
        self._stack.setCurrentIndex(1 if n else 0)
        if not (keep and self.select(keep)) and n:
            self.table.selectRow(0)
        self.pane.show_conflict(self._current_row())
        self.loaded.emit()

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):
            messages.show_error(self.window(), exc)

    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.pane.show_conflict(self._current_row())

    @Slot(str)
    def _on_pane_take_requested(self, conflict_id: str) -> None:
        self._settle(ops.take_other_value(self._ctx, conflict_id), self._on_take_job_succeeded)

    @Slot(str)
    def _on_pane_keep_requested(self, conflict_id: str) -> None:
        self._settle(ops.keep_value(self._ctx, conflict_id), self._on_keep_job_succeeded)

    def _settle(self, job: Job, slot: Callable[[Any], None]) -> None:
        self.pane.set_busy(True)
        job.signals.succeeded.connect(slot)
        job.signals.failed.connect(self._on_settle_job_failed)
        self._runner.write(job)

    @Slot(object)
    def _on_take_job_succeeded(self, change: ChangeSet | None) -> None:
        self._controller.publish(change)  # a local edit: the tables refresh and a sync sends it soon
        self._after_settle("Used the other value; it is sent with the next sync.")

    @Slot(object)
    def _on_keep_job_succeeded(self, result: None) -> None:
        self._after_settle("Kept the value; the conflict is closed.")

    def _after_settle(self, text: str) -> None:
        self.pane.set_busy(False)
        self.status_message.emit(text, 5000)
        self._controller.refresh(now=True)
        self.reload()

    @Slot(object)
    def _on_settle_job_failed(self, exc: BaseException) -> None:
        self.pane.set_busy(False)
        messages.show_error(self.window(), exc)
        self.reload()

    @Slot(object, str)
    def _on_pane_open_requested(self, entity: Entity, record_id: str) -> None:
        self.navigate_requested.emit(entity, record_id)

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.reload()

    @Slot(str)
    def _on_controller_run_finished(self, account_id: str) -> None:
        self.reload()

    @Slot()
    def _on_controller_snapshot_changed(self) -> None:
        snap = self._controller.snapshot
        if snap is not None and snap.conflicts != self.model.rowCount() and self._job is None:
            self.reload()  # an account was removed, or another window settled some


def _value_card(caption: QLabel, value: QLabel, button: QPushButton) -> QFrame:
    card = QFrame()
    card.setObjectName("valueCard")
    lay = QVBoxLayout(card)
    lay.setContentsMargins(10, 8, 10, 10)
    lay.setSpacing(6)
    lay.addWidget(caption)
    lay.addWidget(value, 1)
    lay.addWidget(button)
    return card


class ComparePane(QWidget):
    """One conflict: the kept value and the other one side by side, each with its button."""

    take_requested = Signal(str)  # conflict id
    keep_requested = Signal(str)
    open_requested = Signal(object, str)  # Entity, record id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._row: ops.ConflictRow | None = None

        self.placeholder = QLabel("Select a conflict to compare both values.")
        self.placeholder.setObjectName("detailPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(24)

        self.title = QLabel()
        self.title.setObjectName("paneTitle")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("paneSubtitle")
        self.subtitle.setWordWrap(True)
        self.kept_caption = QLabel()
        self.other_caption = QLabel()
        self.kept_value = QLabel()
        self.other_value = QLabel()
        for caption in (self.kept_caption, self.other_caption):
            caption.setObjectName("cardCaption")
            caption.setWordWrap(True)
        for value in (self.kept_value, self.other_value):
            value.setObjectName("conflictValue")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Keep this value and close the conflict")
        self.keep_button.clicked.connect(self._on_keep_button_clicked)
        self.take_button = QPushButton("Use this value instead")
        self.take_button.setToolTip("Use this value here; the next sync sends it")
        self.take_button.clicked.connect(self._on_take_button_clicked)
        self.kept_card = _value_card(self.kept_caption, self.kept_value, self.keep_button)
        self.kept_card.setProperty("side", "kept")
        self.other_card = _value_card(self.other_caption, self.other_value, self.take_button)
        cards = QGridLayout()
        cards.setHorizontalSpacing(10)
        cards.addWidget(self.kept_card, 0, 0)
        cards.addWidget(self.other_card, 0, 1)
        cards.setColumnStretch(0, 1)
        cards.setColumnStretch(1, 1)
        self.base_label = QLabel()
        self.base_label.setObjectName("paneMuted")
        self.base_label.setWordWrap(True)
        self.explain = QLabel()
        self.explain.setObjectName("paneMuted")
        self.explain.setWordWrap(True)
        self.open_button = tool_button("person", "Open", "Show this record")
        self.open_button.clicked.connect(self._on_open_button_clicked)

        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(16, 14, 16, 14)
        lay.setSpacing(6)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        lay.addSpacing(10)
        lay.addLayout(cards)
        lay.addSpacing(6)
        lay.addWidget(self.base_label)
        lay.addWidget(self.explain)
        lay.addStretch(1)

        self._stack = QStackedWidget()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    @property
    def conflict(self) -> ops.ConflictRow | None:
        return self._row

    def show_conflict(self, row: ops.ConflictRow | None) -> None:
        self._row = row
        if row is None:
            self._stack.setCurrentIndex(0)
            return
        self._stack.setCurrentIndex(1)
        c = row.conflict
        remote = row.remote_label
        kept_from, other_from = (f"from {remote}", "yours") if c.kept is Side.REMOTE else ("yours", f"from {remote}")
        self.title.setText(row.record_name)
        when = display_time(c.created_at)
        self.subtitle.setText(f"{row.field_label} · {when}")
        self.kept_caption.setText(f"Kept ({kept_from})")
        self.other_caption.setText(f"Not kept ({other_from})")
        self.kept_value.setText(format_value(c.field, c.kept_value))
        self.other_value.setText(format_value(c.field, c.other_value))
        self.base_label.setText(f"Before both changes: {format_value(c.field, c.base)}")
        kept_side = f"{remote}'s value" if c.kept is Side.REMOTE else "your value"
        self.explain.setText(
            f"You and “{row.account_name}” both changed “{row.field_label}” since the last sync; crmdesk kept "
            f"{kept_side}, as the account's conflict policy says. Nothing is lost: pick the value you want."
        )
        self.open_button.setIcon(icon("person" if c.entity is Entity.PERSON else "companies"))
        self.open_button.setToolTip(f"Show {row.record_name}")
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        self.keep_button.setEnabled(not busy and self._row is not None)
        self.take_button.setEnabled(not busy and self._row is not None)

    @Slot()
    def _on_keep_button_clicked(self) -> None:
        if self._row is not None:
            self.keep_requested.emit(self._row.id)

    @Slot()
    def _on_take_button_clicked(self) -> None:
        if self._row is not None:
            self.take_requested.emit(self._row.id)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        if self._row is not None:
            self.open_requested.emit(self._row.conflict.entity, self._row.conflict.local_id)
