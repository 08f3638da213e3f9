"""The sync side of the main window (issue 4): the Conflicts and Accounts pages, around one `SyncController`.

Also their navigation items, the status-bar corner and Sync Now (F9); the window only places what this builds.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStackedWidget, QWidget

from crmdesk.context import Context
from crmdesk.domain.records import Entity
from crmdesk.ui import icons
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.sync import SyncController
from crmdesk.ui.views.accounts import AccountsPage
from crmdesk.ui.views.conflicts import ConflictsPage
from crmdesk.ui.views.syncstatus import SyncStatus
from crmdesk.ui.workers import JobRunner

__all__ = ["PAGES", "SyncHost", "SyncPages"]

PAGES = ("Conflicts", "Accounts")
"""The pages, in the order of their navigation items (after People, Companies and Touchpoints)."""


class SyncHost(Protocol):
    """What the sync pages need of the window."""

    def navigate_to(self, entity: Entity, record_id: str) -> None: ...

    def reload_tables(self) -> None: ...

    def show_status(self, text: str, ms: int) -> None: ...


class SyncPages(QObject):
    """Builds the sync pages into the window's stacks and navigation, and wires them to the controller.

    Args:
        window: The main window: parent of the dialogs and owner of the actions.
        host: The same window, for navigation to records, table reloads and status messages.
        ctx: The context.
        runner: Runs every job of the pages and the sync runs.
        hub: Local edits in, sync results out.
        nav: The navigation list: the Conflicts and Accounts items are appended.
        center: The middle stack: each page is added.
        side: The right-hand stack: each page's pane is added.
    """

    def __init__(
        self,
        window: QWidget,
        host: SyncHost,
        ctx: Context,
        *,
        runner: JobRunner,
        hub: ChangeHub,
        nav: QListWidget,
        center: QStackedWidget,
        side: QStackedWidget,
    ) -> None:
        super().__init__(window)
        self._host = host
        self._nav = nav
        self._center = center
        self._side = side
        self.controller = SyncController(ctx, runner=runner, hub=hub, host=window, parent=self)
        self.conflicts = ConflictsPage(ctx, runner=runner, controller=self.controller)
        self.accounts = AccountsPage(ctx, runner=runner, controller=self.controller)
        self.nav_items: list[QListWidgetItem] = []
        pages: tuple[tuple[QWidget, QWidget], ...] = (
            (self.conflicts, self.conflicts.pane),
            (self.accounts, self.accounts.pane),
        )
        for (page, pane), (label, icon_name) in zip(
            pages, ((PAGES[0], "conflicts"), (PAGES[1], "accounts")), strict=True
        ):
            center.addWidget(page)
            side.addWidget(pane)
            item = QListWidgetItem(icons.icon(icon_name), label)
            item.setSizeHint(QSize(0, 36))
            nav.addItem(item)
            self.nav_items.append(item)
        self.status = SyncStatus(self.controller)

        self.act_sync = QAction(icons.icon("sync"), "&Sync Now", window)
        self.act_sync.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.act_sync.setToolTip("Sync every account now (F9)")
        self.act_sync.triggered.connect(self._on_act_sync_triggered)
        window.addAction(self.act_sync)
        self.view_actions: list[QAction] = []
        for i, (label, icon_name) in enumerate(((PAGES[0], "conflicts"), (PAGES[1], "accounts"))):
            a = QAction(icons.icon(icon_name), label, window)
            a.setShortcut(QKeySequence(f"Ctrl+{4 + i}"))
            a.setData(i)
            a.triggered.connect(self._on_view_action_triggered)
            window.addAction(a)
            self.view_actions.append(a)

        c = self.controller
        c.notice.connect(self._on_controller_notice)
        c.tables_stale.connect(self._on_controller_tables_stale)
        c.snapshot_changed.connect(self._on_controller_snapshot_changed)
        c.runs_changed.connect(self._on_controller_runs_changed)
        self.status.sign_in_requested.connect(self._on_status_sign_in_requested)
        self.status.details_requested.connect(self._on_status_details_requested)
        self.conflicts.navigate_requested.connect(self._on_conflicts_navigate_requested)
        self.conflicts.status_message.connect(self._on_page_status_message)
        self.accounts.status_message.connect(self._on_page_status_message)
        self._on_controller_snapshot_changed()

    # ---- the window's calls ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def show_page(self, index: int) -> str:
        """Show page `index` of PAGES in the middle and its pane at the right; returns its title."""
        if index == 0:
            self._center.setCurrentWidget(self.conflicts)
            self._side.setCurrentWidget(self.conflicts.pane)
            self.conflicts.reload()
        else:
            self.controller.want_secrets()
            self._center.setCurrentWidget(self.accounts)
            self._side.setCurrentWidget(self.accounts.pane)
            self.accounts.refresh_view()
            self.accounts.pane.reload_outbox()
        return PAGES[index]

    def show_accounts(self) -> None:
        self._nav.setCurrentItem(self.nav_items[1])

    def show_conflicts(self) -> None:
        self._nav.setCurrentItem(self.nav_items[0])

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_controller_snapshot_changed(self) -> None:
        snap = self.controller.snapshot
        n = snap.conflicts if snap else 0
        self.nav_items[0].setText(f"{PAGES[0]} ({n:,})" if n else PAGES[0])
        self._on_controller_runs_changed()

    @Slot()
    def _on_controller_runs_changed(self) -> None:
        accounts = self.controller.accounts()
        self.act_sync.setVisible(bool(accounts))
        self.act_sync.setEnabled(any(not self.controller.is_running(a.id) for a in accounts))

    @Slot(str, int)
    def _on_controller_notice(self, text: str, ms: int) -> None:
        self._host.show_status(text, ms)

    @Slot(str, int)
    def _on_page_status_message(self, text: str, ms: int) -> None:
        self._host.show_status(text, ms)

    @Slot()
    def _on_controller_tables_stale(self) -> None:
        self._host.reload_tables()

    @Slot()
    def _on_act_sync_triggered(self) -> None:
        if not self.controller.sync_now():
            self._host.show_status("Every account is syncing already.", 3000)

    @Slot()
    def _on_view_action_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self._nav.setCurrentItem(self.nav_items[int(action.data())])

    @Slot(str)
    def _on_status_sign_in_requested(self, account_id: str) -> None:
        self.show_accounts()
        self.accounts.select(account_id)
        self.accounts.sign_in(account_id)

    @Slot()
    def _on_status_details_requested(self) -> None:
        self.show_accounts()

    @Slot(object, str)
    def _on_conflicts_navigate_requested(self, entity: Entity, record_id: str) -> None:
        self._host.navigate_to(entity, record_id)
