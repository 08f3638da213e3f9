"""The Accounts page: the accounts and their state in the middle; the selected one's outbox at the right.

The page runs its actions as jobs (STYLE §2): add, change and remove on the writer pool, the outbox read on the
general pool; a discarded change is published through the controller like any other local write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountRecord
from crmdesk.domain.changes import ChangeSet
from crmdesk.errors import Cancelled, NotFoundError
from crmdesk.ui import messages
from crmdesk.ui import ops_sync as ops
from crmdesk.ui.dialogs import account as account_dialogs
from crmdesk.ui.dialogs.account import AccountDialog, SignInDialog
from crmdesk.ui.icons import icon
from crmdesk.ui.labels import relative_time
from crmdesk.ui.models.accounts import DISCARD_COLUMN, AccountsModel, AccountView, OutboxModel
from crmdesk.ui.models.table import display_time
from crmdesk.ui.sync import Outcome, SyncController
from crmdesk.ui.views.health import HealthPanel
from crmdesk.ui.views.syncstatus import describe
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["AccountPane", "AccountsPage", "tool_button"]

EMPTY_TEXT = (
    "No accounts yet.\n\nAdd your CRM account once — cobra CRM, Kanbert, Deskera, ImBox or appcrm — or a CardDAV "
    "address book: crmdesk keeps a full copy of its people and companies, syncs in the background and lets you work "
    "offline — your changes are sent when the connection is back."
)
HINT_TEXT = (
    "Each account syncs in the background at its interval, and soon after you change something. Offline, your "
    "changes wait here and go out when the connection is back. Sync Now (F9) syncs every account at once."
)
PANE_EMPTY = "Select an account to see what waits to be sent."
PANE_NO_ACCOUNT = "Once you add an account, the changes waiting to be sent to it show here, each one with Discard…"
REPAINT_MS = 30_000
_COLUMN_WIDTHS = (235, 90, 155, 90, 72, 80)


def tool_button(icon_name: str, text: str, tip: str) -> QToolButton:
    """A flat button with icon and text, like the detail pane's."""
    b = QToolButton()
    b.setIcon(icon(icon_name))
    b.setIconSize(QSize(16, 16))
    b.setText(text)
    b.setToolTip(tip)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    b.setAutoRaise(True)
    return b


def _table(model: AccountsModel | OutboxModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setIconSize(QSize(16, 16))
    view.setFrameShape(QTableView.Shape.NoFrame)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 14)
    hh = view.horizontalHeader()
    hh.setHighlightSections(False)
    hh.setStretchLastSection(True)
    hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


class AccountsPage(QWidget):
    """The accounts, with Add, Edit, Remove, Sync now and Sign in again; `pane` is its right-hand side."""

    status_message = Signal(str, int)

    def __init__(
        self, ctx: Context, *, runner: JobRunner, controller: SyncController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountsPage")
        self._ctx = ctx
        self._runner = runner
        self._controller = controller
        self._select_after: str | None = None
        self._remove_after_run: str | None = None

        title = QLabel("Accounts")
        title.setObjectName("viewTitle")
        self.add_button = tool_button("add", "Add account…", "Add a CRM or CardDAV account")
        self.edit_button = tool_button("edit", "Edit…", "Change the selected account")
        self.remove_button = tool_button("delete", "Remove…", "Remove the selected account (your contacts stay)")
        self.sync_button = tool_button("sync", "Sync now", "Sync the selected account now")
        self.sign_in_button = tool_button("warning", "Sign in again…", "Enter a new API token for this account")
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 8)
        top.setSpacing(4)
        top.addWidget(title)
        top.addStretch(1)
        for b in (self.sign_in_button, self.sync_button, self.edit_button, self.remove_button, self.add_button):
            top.addWidget(b)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.sync_button.clicked.connect(self._on_sync_button_clicked)
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)

        self.model = AccountsModel(self)
        self.table = _table(self.model)
        self.table.setObjectName("accountsTable")
        for i, w in enumerate(_COLUMN_WIDTHS):
            self.table.horizontalHeader().resizeSection(i, w)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection_current_row_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

        empty = QWidget()
        empty_lay = QVBoxLayout(empty)
        empty_lay.addStretch(1)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("detailPlaceholder")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMaximumWidth(520)
        empty_add = QPushButton(icon("add"), "Add account…")
        empty_add.clicked.connect(self._on_add_button_clicked)
        centred = QHBoxLayout()  # stretches, not an alignment flag: the layout then asks the label its height for
        centred.addStretch(1)  # the width it gets, and no line is cut
        centred.addWidget(self.empty_label)
        centred.addStretch(1)
        empty_lay.addLayout(centred)
        empty_lay.addSpacing(12)
        empty_lay.addWidget(empty_add, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_lay.addStretch(2)
        self._stack = QStackedWidget()
        self._stack.addWidget(empty)
        self._stack.addWidget(self.table)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self._stack, 1)
        self.hint = QLabel(HINT_TEXT)
        self.hint.setObjectName("paneMuted")
        self.hint.setWordWrap(True)
        self.hint.setContentsMargins(12, 8, 12, 10)
        lay.addWidget(self.hint)

        self.pane = AccountPane(ctx, runner=runner, controller=controller)
        self.pane.sign_in_requested.connect(self._on_pane_sign_in_requested)
        self.pane.status_message.connect(self._on_pane_status_message)
        controller.snapshot_changed.connect(self._on_controller_snapshot_changed)
        controller.runs_changed.connect(self._on_controller_runs_changed)
        controller.run_finished.connect(self._on_controller_run_finished)
        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        self.refresh_view()

    # ---- showing ------------------------------------------------------------------------------------------

    def refresh_view(self, *, now: dt.datetime | None = None) -> None:
        """Show the controller's accounts and states (rows repaint in place)."""
        c = self._controller
        snap = c.snapshot
        rows = []
        for row in snap.accounts if snap else ():
            a = row.account
            words = describe(c, a)
            rows.append(
                AccountView(
                    id=a.id,
                    name=a.name,
                    kind=a.kind.label,
                    url=a.base_url,
                    state=words.text,
                    state_icon=words.icon,
                    state_colour=words.colour,
                    state_tip=words.tip,
                    last_sync=relative_time(a.last_sync_at, now=now),
                    last_sync_tip=display_time(a.last_sync_at) if a.last_sync_at else "Never synced",
                    pending=f"{row.pending:,}",
                    conflicts=f"{row.conflicts:,}",
                    enabled=a.enabled,
                )
            )
        current = self.current_id()
        self.model.set_rows(rows)
        self._stack.setCurrentIndex(1 if rows else 0)
        self.hint.setVisible(bool(rows))
        self.pane.placeholder.setText(PANE_EMPTY if rows else PANE_NO_ACCOUNT)
        wanted = self._select_after or current
        if wanted is not None and self.select(wanted):
            if wanted == self._select_after:
                self._select_after = None  # the account just added is selected: done
        elif rows and self.current_id() is None:
            self.table.selectRow(0)
        self._update_buttons()
        self.pane.show_account(self._current_account())

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def select(self, account_id: str) -> bool:
        row = self.model.row_of(account_id)
        if row is None:
            return False
        if self.table.currentIndex().row() != row:
            self.table.selectRow(row)
        return True

    def _current_account(self) -> AccountRecord | None:
        current = self.current_id()
        return self._controller.account(current) if current else None

    def _update_buttons(self) -> None:
        a = self._current_account()
        has = a is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        can_sync = a is not None and self._controller.can_sync(a) and not self._controller.is_running(a.id)
        self.sync_button.setEnabled(can_sync if has else bool(self._controller.accounts()))
        self.sign_in_button.setVisible(a is not None and self._controller.outcome(a)[0] is Outcome.SIGN_IN)

    # ---- actions ------------------------------------------------------------------------------------------

    def add_account(self) -> None:
        snap = self._controller.snapshot
        if snap is None:
            self.status_message.emit("The accounts are still being read — try again in a moment.", 4000)
            return
        got = AccountDialog.ask(
            self.window(), self._ctx, secrets=self._controller.secrets, supported=snap.supported, runner=self._runner
        )
        if got is not None and got.secret is not None:
            job = ops.add_account(self._ctx, got.record, secret=got.secret, use_file=got.use_file)
            self._run_write(job, self._on_add_job_succeeded)

    def edit_account(self, account_id: str) -> None:
        snap, account = self._controller.snapshot, self._controller.account(account_id)
        if snap is None or account is None:
            return
        got = AccountDialog.ask(
            self.window(),
            self._ctx,
            account,
            secrets=self._controller.secrets,
            supported=snap.supported,
            runner=self._runner,
        )
        if got is not None and (got.record != account or got.secret is not None):
            job = ops.update_account(self._ctx, got.record, secret=got.secret, use_file=got.use_file)
            self._run_write(job, self._on_update_job_succeeded)

    def remove_account(self, account_id: str) -> None:
        snap = self._controller.snapshot
        row = snap.row(account_id) if snap else None
        if row is None or not account_dialogs.confirm_remove(
            self.window(), account=row.account.name, pending=row.pending
        ):
            return
        if self._controller.is_running(account_id):  # the run stops first: it must not write for a gone account
            self._remove_after_run = account_id
            self._controller.cancel(account_id)
            self.status_message.emit(f"Stopping the sync of “{row.account.name}” to remove it…", 4000)
            return
        self._run_write(ops.remove_account(self._ctx, account_id), self._on_remove_job_succeeded)

    def sign_in(self, account_id: str) -> None:
        """Ask for a new token, store it, and sync the account again."""
        account = self._controller.account(account_id)
        if account is None:
            return
        token = SignInDialog.ask(self.window(), account, secrets=self._controller.secrets)
        if token:
            self._run_write(ops.update_account(self._ctx, account, secret=token), self._on_update_job_succeeded)

    def _run_write(self, job: Job, slot: Callable[[Any], None]) -> None:
        job.signals.succeeded.connect(slot)
        job.signals.failed.connect(self._on_job_failed)
        self._runner.write(job)

    @Slot(object)
    def _on_add_job_succeeded(self, account: AccountRecord) -> None:
        self._select_after = account.id
        self._controller.account_saved(account, new=True)
        self.status_message.emit(f"Added the account “{account.name}”; the first sync has started.", 6000)

    @Slot(object)
    def _on_update_job_succeeded(self, account: AccountRecord) -> None:
        self._controller.account_saved(account, new=False)
        self.status_message.emit(f"Saved the account “{account.name}”.", 4000)

    @Slot(object)
    def _on_remove_job_succeeded(self, account_id: str) -> None:
        self._controller.account_removed(account_id)
        self.status_message.emit("Removed the account; your people and companies stay.", 5000)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        messages.show_error(self.window(), exc)

    # ---- slots --------------------------------------------------------------------------------------------

    @Slot()
    def _on_add_button_clicked(self) -> None:
        self.add_account()

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        if (current := self.current_id()) is not None:
            self.edit_account(current)

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self._on_edit_button_clicked()

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        if (current := self.current_id()) is not None:
            self.remove_account(current)

    @Slot()
    def _on_sync_button_clicked(self) -> None:
        self._controller.sync_now(self.current_id())

    @Slot()
    def _on_sign_in_button_clicked(self) -> None:
        if (current := self.current_id()) is not None:
            self.sign_in(current)

    @Slot(str)
    def _on_pane_sign_in_requested(self, account_id: str) -> None:
        self.sign_in(account_id)

    @Slot(str, int)
    def _on_pane_status_message(self, text: str, ms: int) -> None:
        self.status_message.emit(text, ms)

    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._update_buttons()
        self.pane.show_account(self._current_account())

    @Slot()
    def _on_controller_snapshot_changed(self) -> None:
        self.refresh_view()
        self.pane.reload_outbox()

    @Slot()
    def _on_controller_runs_changed(self) -> None:
        self.refresh_view()

    @Slot(str)
    def _on_controller_run_finished(self, account_id: str) -> None:
        if account_id == self._remove_after_run:
            self._remove_after_run = None
            self._run_write(ops.remove_account(self._ctx, account_id), self._on_remove_job_succeeded)

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.isVisible():
            self.refresh_view()


class AccountPane(QWidget):
    """The selected account: its state, last run and what waits to be sent, each with Discard…"""

    sign_in_requested = Signal(str)
    status_message = Signal(str, int)

    def __init__(self, ctx: Context, *, runner: JobRunner, controller: SyncController) -> None:
        super().__init__()
        self.setObjectName("detailPane")
        self._ctx = ctx
        self._runner = runner
        self._controller = controller
        self._account: AccountRecord | None = None
        self._outbox_job: Job | None = None

        self.placeholder = QLabel(PANE_NO_ACCOUNT)
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
        self.state_icon = QLabel()
        self.state_icon.setFixedSize(18, 18)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        state_row = QHBoxLayout()
        state_row.setSpacing(6)
        state_row.addWidget(self.state_icon, 0, Qt.AlignmentFlag.AlignTop)
        state_row.addWidget(self.state_label, 1)
        self.facts = QLabel()
        self.facts.setObjectName("paneFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.sign_in_button = QPushButton(icon("warning"), "Sign in again…")
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)
        self.health = HealthPanel()

        self.outbox_title = QLabel()
        self.outbox_title.setObjectName("sectionTitle")
        self.outbox_model = OutboxModel(self)
        self.outbox = _table(self.outbox_model)
        self.outbox.setObjectName("outboxTable")
        self.outbox.horizontalHeader().setVisible(False)
        self.outbox.horizontalHeader().setStretchLastSection(False)
        self.outbox.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.outbox.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.outbox.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.outbox.setMouseTracking(True)
        self.outbox.clicked.connect(self._on_outbox_clicked)
        self.outbox_empty = QLabel("Nothing waits to be sent: every change is on the server.")
        self.outbox_empty.setObjectName("paneMuted")
        self.outbox_empty.setWordWrap(True)

        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(16, 14, 16, 10)
        lay.setSpacing(6)
        lay.addWidget(self.title)
        lay.addWidget(self.subtitle)
        lay.addSpacing(6)
        lay.addLayout(state_row)
        lay.addWidget(self.facts)
        lay.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addSpacing(10)
        lay.addWidget(self.health)
        lay.addSpacing(10)
        lay.addWidget(self.outbox_title)
        lay.addWidget(self.outbox_empty)
        lay.addWidget(self.outbox, 1)

        self._stack = QStackedWidget()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    def show_account(self, account: AccountRecord | None) -> None:
        changed = (account.id if account else None) != (self._account.id if self._account else None)
        self._account = account
        if account is None:
            self._stack.setCurrentIndex(0)
            self.outbox_model.set_entries("", [])
            return
        self._stack.setCurrentIndex(1)
        c = self._controller
        words = describe(c, account)
        self.title.setText(account.name)
        self.subtitle.setText(f"{account.kind.label} · {account.base_url}")
        self.state_icon.setPixmap(icon(words.icon).pixmap(QSize(16, 16), self.devicePixelRatioF()))
        self.state_label.setText(f'<span style="color:{words.colour}; font-weight:600">{words.text}</span>')
        self.state_label.setToolTip(words.tip)
        self.sign_in_button.setVisible(c.outcome(account)[0] is Outcome.SIGN_IN)
        self.facts.setText("\n".join(self._facts(account)))
        self.health.show_row(c.snapshot.row(account.id) if c.snapshot else None)
        if changed:
            self.reload_outbox()

    def _facts(self, account: AccountRecord) -> list[str]:
        c = self._controller
        lines = [
            f"Syncs every {account.interval_s // 60} min · {account.policy.label.lower()} on conflicts"
            if account.enabled
            else "Syncs only when you press Sync now"
        ]
        report = c.last_report(account.id)
        if report is not None:
            lines.append(f"Last run: {report.summary()}")
            lines.extend(f"Skipped {p.name or 'a record'}: {p.message}" for p in report.problems[:5])
        return lines

    def reload_outbox(self) -> None:
        """Read the selected account's outbox again (latest wins)."""
        if self._outbox_job is not None:
            self._outbox_job.cancel.set()
            self._outbox_job = None
        if self._account is None:
            return
        job = ops.load_outbox(self._ctx, self._account.id)
        job.signals.succeeded.connect(self._on_outbox_job_succeeded)
        job.signals.failed.connect(self._on_outbox_job_failed)
        self._outbox_job = job
        self._runner.read(job)

    @Slot(object)
    def _on_outbox_job_succeeded(self, outbox: ops.Outbox) -> None:
        if self._outbox_job is None or self.sender() is not self._outbox_job.signals:
            return  # a later read is on its way
        self._outbox_job = None
        if self._account is None or outbox.account_id != self._account.id:
            return
        self.outbox_model.set_entries(outbox.account_id, outbox.entries)
        n = len(outbox.entries)
        self.outbox_title.setText(f"WAITING TO BE SENT ({n:,}{'+' if n >= ops.OUTBOX_LIMIT else ''})")
        self.outbox_empty.setVisible(n == 0)
        self.outbox.setVisible(n > 0)

    @Slot(object)
    def _on_outbox_job_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled | NotFoundError):  # replaced by a later read, or the account was removed
            return
        messages.show_error(self.window(), exc)

    @Slot(object)
    def _on_discard_job_failed(self, exc: BaseException) -> None:
        messages.show_error(self.window(), exc)
        self.reload_outbox()

    @Slot(QModelIndex)
    def _on_outbox_clicked(self, index: QModelIndex) -> None:
        if index.column() == DISCARD_COLUMN:
            self.discard(index.row())

    def discard(self, row: int) -> None:
        """Ask, then take back the change in `row` of the outbox before it is sent."""
        entry = self.outbox_model.entry(row)
        account = self._account
        if entry is None or account is None:
            return
        if not account_dialogs.confirm_discard(
            self.window(), name=entry.name, change=entry.change, account=account.name
        ):
            return
        job = ops.discard(self._ctx, account.id, entry.entity, entry.local_id)
        job.signals.succeeded.connect(self._on_discard_job_succeeded)
        job.signals.failed.connect(self._on_discard_job_failed)
        self._runner.write(job)

    @Slot(object)
    def _on_discard_job_succeeded(self, change: ChangeSet | None) -> None:
        self._controller.publish(change)
        self._controller.refresh(now=True)
        self.reload_outbox()
        self.status_message.emit("Discarded the change; it will not be sent.", 4000)

    @Slot()
    def _on_sign_in_button_clicked(self) -> None:
        if self._account is not None:
            self.sign_in_requested.emit(self._account.id)
