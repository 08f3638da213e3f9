"""The Conflicts page: fields both sides changed in the middle; the selected one's two values side by side at the right.

"Keep mine" and "Take theirs" settle one conflict, "Keep all mine" and "Take all theirs" every listed one (of the
account chosen above the list), through `sync.run.resolve_conflict` on the writer pool: a value that was not kept
becomes a local edit (mine is sent with the next sync), a kept one just closes the conflict.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, QRegularExpression, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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
from crmdesk.ui.dialogs import account as account_dialogs
from crmdesk.ui.icons import icon
from crmdesk.ui.models.accounts import Role
from crmdesk.ui.models.conflicts import ConflictsModel, format_value
from crmdesk.ui.models.table import display_time
from crmdesk.ui.ops import merge_changes
from crmdesk.ui.sync import SyncController
from crmdesk.ui.views.accounts import tool_button
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["ComparePane", "ConflictsPage"]

EMPTY_TEXT = "No conflicts — when you and a colleague change the same field, both values wait here."
HINT_TEXT = (
    "When you and a colleague change the same field between two syncs, the account's policy picks one value for "
    "now and the other waits here. “Keep mine” sends yours with the next sync; “Take theirs” uses theirs here."
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
        self._settling: tuple[int, Side] = (0, Side.LOCAL)

        title = QLabel("Conflicts")
        title.setObjectName("viewTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("paneMuted")
        self.refresh_button = tool_button("refresh", "Refresh", "Read the conflicts again")
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.account_combo = QComboBox()
        self.account_combo.setToolTip("Show the conflicts of one account")
        self.account_combo.addItem("All accounts", "")
        self.account_combo.currentIndexChanged.connect(self._on_account_combo_current_index_changed)
        self.keep_all_button = tool_button("outbox", "Keep all mine…", "Keep your value in every listed conflict")
        self.keep_all_button.clicked.connect(self._on_keep_all_button_clicked)
        self.take_all_button = tool_button(
            "import", "Take all theirs…", "Take the server's value in every listed conflict"
        )
        self.take_all_button.clicked.connect(self._on_take_all_button_clicked)
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 8)
        top.setSpacing(8)
        top.addWidget(title)
        top.addWidget(self.count_label)
        top.addStretch(1)
        for widget in (self.account_combo, self.keep_all_button, self.take_all_button, self.refresh_button):
            top.addWidget(widget)
        self._busy = False

        self.model = ConflictsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.proxy.setFilterRole(Role.ACCOUNT)
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
        self.pane.resolve_requested.connect(self._on_pane_resolve_requested)
        self.pane.open_requested.connect(self._on_pane_open_requested)
        controller.run_finished.connect(self._on_controller_run_finished)
        controller.snapshot_changed.connect(self._on_controller_snapshot_changed)
        self._update_accounts()

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
        self._update_accounts()
        self._show_listed(keep)
        self.loaded.emit()

    def _show_listed(self, keep: str | None = None) -> None:
        n = self.proxy.rowCount()
        total = self.model.rowCount()
        self.count_label.setText((f"{n:,} of {total:,} open" if n != total else f"{n:,} open") if total else "")
        self._stack.setCurrentIndex(1 if total else 0)
        if not (keep and self.select(keep)) and n:
            self.table.selectRow(0)
        self.pane.show_conflict(self._current_row())
        self._set_busy(self._busy)

    def _update_accounts(self) -> None:
        """One filter entry per account that has conflicts; the filter is hidden for a single account."""
        names = {
            r.conflict.account_id: r.account_name
            for r in map(self.model.conflict_row, range(self.model.rowCount()))
            if r
        }
        chosen = self.account_combo.currentData() or ""
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        self.account_combo.addItem("All accounts", "")
        for account_id, name in sorted(names.items(), key=lambda kv: kv[1].casefold()):
            self.account_combo.addItem(name, account_id)
        index = self.account_combo.findData(chosen)
        self.account_combo.setCurrentIndex(max(0, index))
        self.account_combo.blockSignals(False)
        self.account_combo.setVisible(len(names) > 1)
        self._apply_filter()

    def _apply_filter(self) -> None:
        account_id = str(self.account_combo.currentData() or "")
        pattern = f"^{QRegularExpression.escape(account_id)}$" if account_id else ""
        self.proxy.setFilterRegularExpression(QRegularExpression(pattern))

    def listed_ids(self) -> list[str]:
        """The conflicts the list shows now (all, or the chosen account's): what the "all" buttons settle."""
        return [str(self.proxy.index(r, 0).data(Role.ID)) for r in range(self.proxy.rowCount())]

    def resolve_listed(self, side: Side) -> None:
        """Ask, then settle every listed conflict with one side's value, in one job."""
        ids = self.listed_ids()
        if not ids or self._busy:
            return
        rows = [r for r in map(self.model.conflict_row, range(self.model.rowCount())) if r and r.id in set(ids)]
        remotes = {r.remote_label for r in rows}
        remote = next(iter(remotes)) if len(remotes) == 1 else "the servers"
        chosen = self.account_combo.currentData()
        account = self.account_combo.currentText() if chosen else ""
        if not account_dialogs.confirm_resolve_all(
            self.window(), mine=side is Side.LOCAL, count=len(ids), remote=remote, account=account
        ):
            return
        self._settle(ids, side)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):
            messages.show_error(self.window(), exc)

    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.pane.show_conflict(self._current_row())

    @Slot(str, object)
    def _on_pane_resolve_requested(self, conflict_id: str, side: Side) -> None:
        self._settle([conflict_id], side)

    def _settle(self, ids: list[str], side: Side) -> None:
        self._set_busy(True)
        self._settling = (len(ids), side)
        job = ops.resolve_conflicts(self._ctx, ids, side)
        job.signals.succeeded.connect(self._on_settle_job_succeeded)
        job.signals.failed.connect(self._on_settle_job_failed)
        self._runner.write(job)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        listed = self.proxy.rowCount() > 0
        self.keep_all_button.setEnabled(not busy and listed)
        self.take_all_button.setEnabled(not busy and listed)
        self.pane.set_busy(busy)

    @Slot(object)
    def _on_settle_job_succeeded(self, changes: list[ChangeSet]) -> None:
        for change in merge_changes(changes):
            self._controller.publish(change)  # local edits: the tables refresh and a sync sends them soon
        n, side = self._settling
        what = "the conflict" if n == 1 else f"{n:,} conflicts"
        if side is Side.LOCAL:
            text = f"Kept your value in {what}; it is sent with the next sync."
        else:
            text = f"Took the server's value in {what}."
        self._after_settle(text)

    def _after_settle(self, text: str) -> None:
        self._set_busy(False)
        self.status_message.emit(text, 5000)
        self._controller.refresh(now=True)
        self.reload()

    @Slot(object)
    def _on_settle_job_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, Cancelled):
            messages.show_error(self.window(), exc)
        self.reload()

    @Slot(int)
    def _on_account_combo_current_index_changed(self, index: int) -> None:
        keep = self.current_id()
        self._apply_filter()
        self._show_listed(keep)

    @Slot()
    def _on_keep_all_button_clicked(self) -> None:
        self.resolve_listed(Side.LOCAL)

    @Slot()
    def _on_take_all_button_clicked(self) -> None:
        self.resolve_listed(Side.REMOTE)

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
    """One conflict: my value and theirs side by side, each with its button; the kept one is marked."""

    resolve_requested = Signal(str, object)  # conflict id, the Side whose value stays
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
        self.mine_caption = QLabel()
        self.theirs_caption = QLabel()
        self.mine_value = QLabel()
        self.theirs_value = QLabel()
        for caption in (self.mine_caption, self.theirs_caption):
            caption.setObjectName("cardCaption")
            caption.setWordWrap(True)
        for value in (self.mine_value, self.theirs_value):
            value.setObjectName("conflictValue")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.keep_button = QPushButton("Keep mine")
        self.keep_button.setToolTip("Use your value; the next sync sends it")
        self.keep_button.clicked.connect(self._on_keep_button_clicked)
        self.take_button = QPushButton("Take theirs")
        self.take_button.setToolTip("Use the server's value here")
        self.take_button.clicked.connect(self._on_take_button_clicked)
        self.mine_card = _value_card(self.mine_caption, self.mine_value, self.keep_button)
        self.theirs_card = _value_card(self.theirs_caption, self.theirs_value, self.take_button)
        cards = QGridLayout()
        cards.setHorizontalSpacing(10)
        cards.addWidget(self.mine_card, 0, 0)
        cards.addWidget(self.theirs_card, 0, 1)
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
        self.title.setText(row.record_name)
        when = display_time(c.created_at)
        self.subtitle.setText(f"{row.field_label} · {when}")
        mine_kept = c.kept is Side.LOCAL
        self.mine_caption.setText("Mine — kept for now" if mine_kept else "Mine")
        self.theirs_caption.setText(f"Theirs ({remote})" + ("" if mine_kept else " — kept for now"))
        self.mine_value.setText(format_value(c.field, c.local))
        self.theirs_value.setText(format_value(c.field, c.remote))
        for card, kept in ((self.mine_card, mine_kept), (self.theirs_card, not mine_kept)):
            card.setProperty("side", "kept" if kept else "")
            card.style().unpolish(card)  # the style sheet's [side="kept"] follows the property
            card.style().polish(card)
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
            self.resolve_requested.emit(self._row.id, Side.LOCAL)

    @Slot()
    def _on_take_button_clicked(self) -> None:
        if self._row is not None:
            self.resolve_requested.emit(self._row.id, Side.REMOTE)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        if self._row is not None:
            self.open_requested.emit(self._row.conflict.entity, self._row.conflict.local_id)
