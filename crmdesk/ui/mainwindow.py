"""The main window: navigation at the left, a paged table in the middle, the detail pane at the right (DESIGN §5)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPoint,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crmdesk import paths
from crmdesk.context import Context
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord
from crmdesk.store.listing import ListQuery
from crmdesk.ui import icons, messages, ops
from crmdesk.ui.dialogs import confirm, files
from crmdesk.ui.dialogs.about import AboutDialog
from crmdesk.ui.dialogs.company import CompanyDialog
from crmdesk.ui.dialogs.person import PersonDialog
from crmdesk.ui.dialogs.touchpoint import TouchpointDialog
from crmdesk.ui.exchange import Exchange
from crmdesk.ui.models.table import PagedTableModel
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.syncpages import SyncPages
from crmdesk.ui.undo import EditHistory
from crmdesk.ui.views.detail import DetailPane
from crmdesk.ui.views.fit import being_taken_apart, row_fits
from crmdesk.ui.views.progress import StatusProgress
from crmdesk.ui.views.table import RecordTable, sort_order
from crmdesk.ui.workers import Job, JobRunner

log = logging.getLogger(__name__)

ENTITIES = (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT)
_NAV = {
    Entity.PERSON: ("People", "people"),
    Entity.COMPANY: ("Companies", "companies"),
    Entity.TOUCHPOINT: ("Touchpoints", "touchpoints"),
}
_NOUNS = {
    Entity.PERSON: ("person", "people"),
    Entity.COMPANY: ("company", "companies"),
    Entity.TOUCHPOINT: ("touchpoint", "touchpoints"),
}


class MainWindow(QMainWindow):
    """People, companies and touchpoints: find, read, create, edit, delete — with undo."""

    def __init__(self, ctx: Context, *, runner: JobRunner, hub: ChangeHub, bridge: messages.MessageBridge) -> None:
        super().__init__()
        self._ctx = ctx
        self._runner = runner
        self._hub = hub
        self._entity = Entity.PERSON
        self._pending_select: dict[Entity, str] = {}
        self._loaded: set[Entity] = set()
        self._edit_job: Job | None = None
        self.saves_settings = True  # on close: geometry, splitter, columns (not in a start-up measurement)
        self.setWindowTitle("crmdesk")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(800, 480)
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)  # vCard and CSV files dropped on the window are imported

        self.history = EditHistory(ctx, runner, hub, self)
        self.history.failed.connect(self._on_history_failed)
        self.history.saved.connect(self._on_history_saved)

        self.models: dict[Entity, PagedTableModel] = {}
        self.tables: dict[Entity, RecordTable] = {}
        self._table_stack = QStackedWidget()
        for entity in ENTITIES:
            model = PagedTableModel(ctx, entity, hub=hub, runner=runner, parent=self)
            model.count_known.connect(self._on_model_count_known)
            model.query_applied.connect(self._on_model_query_applied)
            model.load_failed.connect(self._on_model_load_failed)
            model.drag_refused.connect(self._on_model_drag_refused)
            table = RecordTable(model)
            table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
            table.doubleClicked.connect(self._on_table_double_clicked)
            table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
            self.models[entity] = model
            self.tables[entity] = table
            self._table_stack.addWidget(table)

        self._nav = QListWidget()
        self._nav.setObjectName("navigation")
        self._nav.setIconSize(QSize(20, 20))
        self._nav.setFrameShape(QListWidget.Shape.NoFrame)
        # Tab reaches it (with its focus frame, for the keyboard); a click only switches the view, without boxing
        # the name the highlight already marks.
        self._nav.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for entity in ENTITIES:
            label, icon_name = _NAV[entity]
            item = QListWidgetItem(icons.icon(icon_name), label)
            item.setData(Qt.ItemDataRole.UserRole, entity.value)
            item.setSizeHint(QSize(0, 36))
            self._nav.addItem(item)
        self._nav.currentRowChanged.connect(self._on_nav_current_row_changed)
        self._nav.setMinimumWidth(150)  # "Touchpoints" and its icon never elide

        self.detail = DetailPane(ctx, runner=runner, hub=hub)
        self.detail.navigate_requested.connect(self._on_detail_navigate_requested)
        self.detail.edit_requested.connect(self._on_detail_edit_requested)
        self.detail.add_touchpoint_requested.connect(self._on_detail_add_touchpoint_requested)
        self.detail.export_card_requested.connect(self._on_detail_export_card_requested)
        self.detail.remote_card_requested.connect(self._on_detail_remote_card_requested)

        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.setObjectName("mainSplitter")
        self._splitter.setChildrenCollapsible(False)
        # The middle and the right each stack the records view (table, detail pane) and the sync pages (issue 4).
        self._center_stack = QStackedWidget()
        self._center_stack.addWidget(self._center())
        self._side_stack = QStackedWidget()
        self._side_stack.addWidget(self.detail)
        self._side_stack.setMinimumWidth(300)
        self._splitter.addWidget(self._nav)
        self._splitter.addWidget(self._center_stack)
        self._splitter.addWidget(self._side_stack)
        self._splitter.setStretchFactor(0, 0)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setStretchFactor(2, 0)
        self._splitter.setSizes([170, 860, 370])
        self.setCentralWidget(self._splitter)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(ctx.settings.search_debounce_ms)
        self._debounce.timeout.connect(self._on_debounce_timeout)

        self.sync = SyncPages(
            self, self, ctx, runner=runner, hub=hub, nav=self._nav, center=self._center_stack, side=self._side_stack
        )
        self.export_progress = StatusProgress()
        self.exchange = Exchange(
            self, ctx, runner=runner, hub=hub, history=self.history, progress=self.export_progress, parent=self
        )
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._count_label = QLabel()
        self._count_label.setObjectName("countLabel")
        self.statusBar().addPermanentWidget(self.export_progress)
        self.statusBar().addPermanentWidget(self._count_label)
        self.statusBar().addPermanentWidget(self.sync.status)
        bridge.status.connect(self._on_bridge_status)
        bridge.flush()

        self._restore_settings()
        # The first page of people is read here, before the window shows: one indexed page (STYLE §3.6).
        self.models[Entity.PERSON].load_now()
        self._loaded.add(Entity.PERSON)
        self._nav.setCurrentRow(0)
        if self.models[Entity.PERSON].rowCount() > 0:
            self.tables[Entity.PERSON].selectRow(0)
        self.tables[Entity.PERSON].setFocus()  # arrows, Enter and Delete work at once
        self.sync.start()

    # ---- construction ------------------------------------------------------------------------------------

    def _center(self) -> QWidget:
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textEdited.connect(self._on_search_text_edited)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.tag_filter = QComboBox()
        self.tag_filter.setObjectName("tagFilter")
        self.tag_filter.setMinimumContentsLength(9)
        self.tag_filter.setToolTip("Show only records with this tag")
        self.tag_filter.activated.connect(self._on_tag_filter_activated)
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 8)
        top.setSpacing(8)
        self._title = QLabel()
        self._title.setObjectName("viewTitle")
        top.addWidget(self._title)
        top.addStretch(1)
        top.addWidget(self.tag_filter)
        top.addWidget(self.search, 2)
        w = _CenterPane(top, self._title, (self.tag_filter, self.search))
        w.setObjectName("centerPane")
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self._table_stack, 1)
        return w

    def _action(self, text: str, slot: Any, *, shortcut: Any = None, icon: str = "", tip: str = "") -> QAction:
        a = QAction(text, self)
        if icon:
            a.setIcon(icons.icon(icon))
        if shortcut is not None:
            if isinstance(shortcut, list):
                a.setShortcuts(shortcut)
            else:
                a.setShortcut(shortcut)
        if tip:
            a.setToolTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        self.act_new = self._action(
            "&New Person…", self._on_new_triggered, shortcut=QKeySequence.StandardKey.New, icon="add"
        )
        self.act_new_person = self._action("New &Person…", self._on_new_person_triggered, icon="person")
        self.act_new_company = self._action("New &Company…", self._on_new_company_triggered, icon="companies")
        self.act_new_touchpoint = self._action(
            "New &Touchpoint…", self._on_new_touchpoint_triggered, icon="touchpoints"
        )
        self.act_open = self._action(
            "&Edit…",
            self._on_open_triggered,
            shortcut=[QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)],
            icon="edit",
        )
        self.act_open.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._table_stack.addAction(self.act_open)
        self.removeAction(self.act_open)
        self.act_delete = self._action(
            "&Delete", self._on_delete_triggered, shortcut=QKeySequence.StandardKey.Delete, icon="delete"
        )
        self.act_delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._table_stack.addAction(self.act_delete)
        self.removeAction(self.act_delete)
        self.act_find = self._action("&Find", self._on_find_triggered, shortcut=QKeySequence.StandardKey.Find)
        self.act_refresh = self._action(
            "&Refresh", self._on_refresh_triggered, shortcut=QKeySequence(Qt.Key.Key_F5), icon="refresh"
        )
        self.act_undo = self.history.stack.createUndoAction(self, "&Undo")
        self.act_undo.setIcon(icons.icon("undo"))
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = self.history.stack.createRedoAction(self, "&Redo")
        self.act_redo.setIcon(icons.icon("redo"))
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_views = []
        for i, entity in enumerate(ENTITIES):
            label, icon_name = _NAV[entity]
            a = self._action(label, self._on_view_action_triggered, shortcut=QKeySequence(f"Ctrl+{i + 1}"))
            a.setIcon(icons.icon(icon_name))
            a.setData(entity.value)
            self.act_views.append(a)
        self.act_import = self._action(
            "&Import…", self._on_import_triggered, shortcut=QKeySequence("Ctrl+I"), icon="import",
            tip="Import people from vCard (.vcf) or CSV files (Ctrl+I)",
        )  # fmt: skip
        self.act_export = self._action(
            "&Export…", self._on_export_triggered, shortcut=QKeySequence("Ctrl+E"), icon="export",
            tip="Export people as vCards or CSV (Ctrl+E)",
        )  # fmt: skip
        self.act_export_card = self._action(
            "Export &Business Card…", self._on_export_card_triggered, icon="business-card",
            tip="Save the current person's favourite business card as a .vcf file",
        )  # fmt: skip
        self.act_export_selected = self._action(
            "Export &Selected…", self._on_export_selected_triggered, icon="export",
            tip="Export the selected people as vCards or CSV",
        )  # fmt: skip
        self.removeAction(self.act_export_selected)  # the table's context menu only
        self.act_quit = self._action("&Quit", self.close, shortcut=QKeySequence.StandardKey.Quit)
        self.act_about = self._action("&About crmdesk", self._on_about_triggered, icon="info")

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for a in (self.act_new_person, self.act_new_company, self.act_new_touchpoint):
            file_menu.addAction(a)
        file_menu.addSeparator()
        for a in (self.act_import, self.act_export, self.act_export_card):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.act_undo)
        edit.addAction(self.act_redo)
        edit.addSeparator()
        edit.addAction(self.act_open)
        edit.addAction(self.act_delete)
        edit.addSeparator()
        edit.addAction(self.act_find)
        view = bar.addMenu("&View")
        for a in (*self.act_views, *self.sync.view_actions):
            view.addAction(a)
        view.addSeparator()
        view.addAction(self.sync.act_sync)
        view.addAction(self.act_refresh)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)

    def _make_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addAction(self.act_new)
        tb.addAction(self.act_open)
        tb.addAction(self.act_delete)
        tb.addSeparator()
        tb.addAction(self.act_undo)
        tb.addAction(self.act_redo)
        tb.addSeparator()
        tb.addAction(self.act_refresh)
        tb.addAction(self.sync.act_sync)
        tb.addSeparator()
        tb.addAction(self.act_import)
        tb.addAction(self.act_export)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self._toolbar = tb

    # ---- views and filters -------------------------------------------------------------------------------

    @property
    def entity(self) -> Entity:
        return self._entity

    def table(self) -> RecordTable:
        return self.tables[self._entity]

    def show_entity(self, entity: Entity) -> None:
        self._nav.setCurrentRow(ENTITIES.index(entity))

    @Slot(int)
    def _on_nav_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        if self._debounce.isActive():  # a search typed just before switching still applies to its view
            self._debounce.stop()
            self._on_debounce_timeout()
        if row >= len(ENTITIES):  # Conflicts or Accounts (ui/syncpages.py)
            self.setWindowTitle(f"{self.sync.show_page(row - len(ENTITIES))} — crmdesk")
            self._count_label.setText("")
            self._update_actions()
            return
        self._center_stack.setCurrentIndex(0)
        self._side_stack.setCurrentIndex(0)
        entity = ENTITIES[row]
        self._entity = entity
        self._table_stack.setCurrentWidget(self.tables[entity])
        model = self.models[entity]
        if entity not in self._loaded:
            self._loaded.add(entity)
            model.reload()
        self.search.setText(model.query.search)
        self.search.setPlaceholderText(f"Search {_NOUNS[entity][1]}…  (Ctrl+F)")
        self._title.setText(_NAV[entity][0])
        self.act_new.setText(f"New {_NOUNS[entity][0].capitalize()}")
        self.act_new.setIcon(icons.icon("add"))
        self._refresh_tags()
        self._update_count_label(model.last_count)
        pending = self._pending_select.pop(entity, None)
        table = self.tables[entity]
        if pending is not None:
            if not table.select_id(pending):
                table.clearSelection()
            self.detail.show_record(entity, pending)
        elif (current := table.current_id()) is not None:
            self.detail.show_record(entity, current)
        elif model.rowCount() == 0 and not model.loading:
            self.detail.clear(entity, _no_match_text(model.query))
        else:
            self.detail.clear(entity)
        self._update_actions()
        self.setWindowTitle(f"{_NAV[entity][0]} — crmdesk")

    @Slot(bool)
    def _on_view_action_triggered(self, checked: bool = False) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.show_entity(Entity(action.data()))

    @Slot(str)
    def _on_search_text_edited(self, text: str) -> None:
        self._debounce.start()

    @Slot()
    def _on_search_return_pressed(self) -> None:
        self._debounce.stop()
        self._on_debounce_timeout()

    @Slot()
    def _on_debounce_timeout(self) -> None:
        model = self.models[self._entity]
        text = self.search.text()
        if text != model.query.search:
            model.set_filter(search=text)

    @Slot(int)
    def _on_tag_filter_activated(self, index: int) -> None:
        tag = self.tag_filter.itemData(index) or ""
        model = self.models[self._entity]
        if tag != model.query.tag:
            model.set_filter(tag=tag)

    def _refresh_tags(self) -> None:
        job = ops.tag_names(self._ctx, self._entity)
        job.signals.succeeded.connect(self._on_tags_loaded)
        self._runner.read(job)

    @Slot(object)
    def _on_tags_loaded(self, result: tuple[Entity, list[str]]) -> None:
        entity, names = result
        if entity is not self._entity:
            return
        current = self.models[entity].query.tag
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem(icons.icon("tag"), "All tags", "")
        for name in names:
            self.tag_filter.addItem(name, name)
        index = self.tag_filter.findData(current)
        self.tag_filter.setCurrentIndex(max(index, 0))
        self.tag_filter.blockSignals(False)

    @Slot(object)
    def _on_model_query_applied(self, query: ListQuery) -> None:
        if query.entity is not self._entity:
            return
        table = self.tables[query.entity]
        table.horizontalHeader().setSortIndicator(self.models[query.entity].sort_column(), sort_order(query))
        pending = self._pending_select.get(query.entity)
        if pending is not None and table.select_id(pending):
            del self._pending_select[query.entity]
        elif pending is None and table.current_id() is None and table.model().rowCount() > 0:
            table.selectRow(0)  # like any address book: the pane shows the first record, not a blank
        elif pending is None and table.model().rowCount() == 0:
            # Nothing matches: the pane must not go on showing a record the list no longer holds.
            self.detail.clear(query.entity, _no_match_text(query))
        self._update_actions()

    @Slot(object, int)
    def _on_model_count_known(self, query: ListQuery, n: int) -> None:
        if query.entity is self._entity and self._center_stack.currentIndex() == 0:
            self._update_count_label(n)

    def _update_count_label(self, n: int | None) -> None:
        q = self.models[self._entity].query
        if n is None:
            self._count_label.setText("")
            return
        one, many = _NOUNS[self._entity]
        noun = one if n == 1 else many
        if q.search.strip() or q.tag:
            self._count_label.setText(f"{n:,} {noun} found")
        else:
            self._count_label.setText(f"{n:,} {noun}")

    @Slot(object)
    def _on_model_load_failed(self, exc: BaseException) -> None:
        messages.show_error(self, exc)

    # ---- selection and detail ----------------------------------------------------------------------------

    @Slot(QModelIndex, QModelIndex)
    def _on_table_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        table = self.table()
        if self.sender() is not table.selectionModel():
            return
        record_id = table.current_id()
        if record_id is not None:
            self.detail.show_record(self._entity, record_id)
        self._update_actions()

    def _update_actions(self) -> None:
        has = self._center_stack.currentIndex() == 0 and self.table().current_id() is not None
        self.act_open.setEnabled(has)
        self.act_delete.setEnabled(has)
        self.act_export_card.setEnabled(has and self._entity is Entity.PERSON)

    @Slot(object, str)
    def _on_detail_navigate_requested(self, entity: Entity, record_id: str) -> None:
        self.navigate_to(entity, record_id)

    def navigate_to(self, entity: Entity, record_id: str) -> None:
        """Show a record: its view, its row if loaded, and its detail pane."""
        if entity is self._entity and self._center_stack.currentIndex() == 0:
            table = self.table()
            if not table.select_id(record_id):
                table.clearSelection()
                self.detail.show_record(entity, record_id)
            return
        self._pending_select[entity] = record_id
        self.show_entity(entity)

    # ---- create, edit, delete ----------------------------------------------------------------------------

    @Slot()
    def _on_new_triggered(self) -> None:
        self.new_record(self._entity)

    @Slot()
    def _on_new_person_triggered(self) -> None:
        self.new_record(Entity.PERSON)

    @Slot()
    def _on_new_company_triggered(self) -> None:
        self.new_record(Entity.COMPANY)

    @Slot()
    def _on_new_touchpoint_triggered(self) -> None:
        self.new_record(Entity.TOUCHPOINT)

    def new_record(self, entity: Entity, *, person_ids: tuple[str, ...] = (), company_id: str | None = None) -> None:
        rec: PersonRecord | CompanyRecord | TouchpointRecord | None
        if entity is Entity.PERSON:
            rec = PersonDialog.ask(self, self._ctx, self._runner)
        elif entity is Entity.COMPANY:
            rec = CompanyDialog.ask(self, self._ctx, self._runner)
        else:
            rec = TouchpointDialog.ask(self, self._ctx, self._runner, person_ids=person_ids, company_id=company_id)
        if rec is not None:
            self._pending_select[entity] = rec.id
            self.history.create(rec)

    @Slot()
    def _on_open_triggered(self) -> None:
        record_id = self.table().current_id()
        if record_id is not None:
            self.edit_record(self._entity, record_id)

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self._on_open_triggered()

    @Slot(object, str)
    def _on_detail_edit_requested(self, entity: Entity, record_id: str) -> None:
        self.edit_record(entity, record_id)

    @Slot(object, str)
    def _on_detail_add_touchpoint_requested(self, entity: Entity, record_id: str) -> None:
        if entity is Entity.PERSON:
            self._tp_for = (record_id,)
            job = ops.load_records(self._ctx, Entity.PERSON, [record_id])
            job.signals.succeeded.connect(self._on_tp_person_loaded)
            job.signals.failed.connect(self._on_job_failed)
            self._runner.read(job)
        elif entity is Entity.COMPANY:
            self.new_record(Entity.TOUCHPOINT, company_id=record_id)

    @Slot(object)
    def _on_tp_person_loaded(self, recs: list[PersonRecord]) -> None:
        if not recs:
            return
        card = recs[0].favourite_card
        company = card.company_id if card is not None and not card.private else None
        self.new_record(Entity.TOUCHPOINT, person_ids=(recs[0].id,), company_id=company)

    def edit_record(self, entity: Entity, record_id: str) -> None:
        """Load the full record in a job, then open its dialog."""
        job = ops.load_records(self._ctx, entity, [record_id])
        job.signals.succeeded.connect(self._on_edit_record_loaded)
        job.signals.failed.connect(self._on_job_failed)
        self._edit_job = job
        self._runner.read(job)

    @Slot(object)
    def _on_edit_record_loaded(self, recs: list[Any]) -> None:
        if not recs:
            self.statusBar().showMessage("That record was deleted in the meantime.", 4000)
            return
        old = recs[0]
        new: Any
        if isinstance(old, PersonRecord):
            new = PersonDialog.ask(self, self._ctx, self._runner, old)
        elif isinstance(old, CompanyRecord):
            new = CompanyDialog.ask(self, self._ctx, self._runner, old)
        else:
            new = TouchpointDialog.ask(self, self._ctx, self._runner, old)
        if new is not None and new != old:
            self.history.edit(old, new)

    @Slot()
    def _on_delete_triggered(self) -> None:
        ids = self.table().selected_ids() or [i for i in [self.table().current_id()] if i]
        if not ids:
            return
        job = ops.load_records(self._ctx, self._entity, ids)
        job.signals.succeeded.connect(self._on_delete_records_loaded)
        job.signals.failed.connect(self._on_job_failed)
        self._runner.read(job)

    @Slot(object)
    def _on_delete_records_loaded(self, recs: list[Any]) -> None:
        if not recs:
            return
        entity = (
            Entity.PERSON
            if isinstance(recs[0], PersonRecord)
            else (Entity.COMPANY if isinstance(recs[0], CompanyRecord) else Entity.TOUCHPOINT)
        )
        what = _describe(recs[0]) if len(recs) == 1 else _NOUNS[entity][1]
        if confirm.confirm_delete(self, what=what, count=len(recs)):
            self.history.delete(entity, recs)

    @Slot(object)
    def _on_history_saved(self, written: ops.Written) -> None:
        rec = written.record
        if rec is None:
            return
        entity = (
            Entity.PERSON
            if isinstance(rec, PersonRecord)
            else Entity.COMPANY
            if isinstance(rec, CompanyRecord)
            else Entity.TOUCHPOINT
        )
        if entity is self._entity:
            table = self.table()
            if table.select_id(rec.id):
                self._pending_select.pop(entity, None)
            elif self._pending_select.get(entity) == rec.id:
                self.detail.show_record(entity, rec.id)
        self.statusBar().showMessage(f"Saved {_describe(rec)}", 3000)

    @Slot(object)
    def _on_history_failed(self, exc: BaseException) -> None:
        messages.show_error(self, exc)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        messages.show_error(self, exc)

    # ---- import and export (ui/exchange.py) ---------------------------------------------------------------

    def import_files(self, paths: Sequence[Path]) -> None:
        """Open the import dialog for these vCard/CSV files (a drop, or `crmdesk contacts.vcf`)."""
        self.exchange.import_files(paths)

    @Slot()
    def _on_import_triggered(self) -> None:
        self.exchange.choose_and_import()

    @Slot()
    def _on_export_triggered(self) -> None:
        self.exchange.export_people()

    @Slot()
    def _on_export_selected_triggered(self) -> None:
        self.exchange.export_people(prefer_selected=True)

    @Slot()
    def _on_export_card_triggered(self) -> None:
        person_id = self.tables[Entity.PERSON].current_id() if self._entity is Entity.PERSON else None
        if person_id is not None:
            self.exchange.export_business_card(person_id)

    @Slot(str)
    def _on_detail_export_card_requested(self, person_id: str) -> None:
        self.exchange.export_business_card(person_id)

    @Slot(str, str)
    def _on_detail_remote_card_requested(self, person_id: str, account_id: str) -> None:
        self.exchange.save_remote_business_card(person_id, account_id, self.detail.shown_name)

    @Slot(int)
    def _on_model_drag_refused(self, n: int) -> None:
        self.statusBar().showMessage(f"{n:,} people are too many to drag: use File ▸ Export… (Ctrl+E).", 6000)

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        table = self.table()
        if self.sender() is not table or not table.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction(self.act_open)
        menu.addAction(self.act_delete)
        if self._entity is Entity.PERSON:
            menu.addSeparator()
            menu.addAction(self.act_export_card)
            menu.addAction(self.act_export_selected)
        menu.popup(table.viewport().mapToGlobal(pos))
        menu.aboutToHide.connect(menu.deleteLater)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_files(event)

    def _accept_files(self, event: QDropEvent) -> bool:
        """Take a drag of local vCard/CSV files from another program (people dragged out of this window are not
        dropped back in); shows the copy cursor."""
        mime = event.mimeData()
        if event.source() is None and mime is not None and mime.hasUrls() and files.contact_files(mime.urls()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return True
        event.ignore()
        return False

    def dropEvent(self, event: QDropEvent) -> None:
        if self._accept_files(event):
            mime = event.mimeData()
            self.import_files(files.contact_files(mime.urls()))

    # ---- the host of `exchange` ------------------------------------------------------------------------------

    def dialog_parent(self) -> QWidget:
        return self

    def selected_people(self) -> list[tuple[str, str]]:
        """(id, name) of the selected people, in table order."""
        table = self.tables[Entity.PERSON]
        model = table.paged_model()
        rows = sorted({i.row() for i in table.selectionModel().selectedRows()})
        out = []
        for row in rows:
            person_id = model.id_at(row)
            if person_id is not None:
                out.append((person_id, str(model.data(model.index(row, 0)) or "")))
        return out

    def people_query(self) -> ListQuery:
        return self.models[Entity.PERSON].query

    def show_status(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    def reload_tables(self) -> None:
        for entity in self._loaded:
            self.models[entity].reload()
        self.detail.reload()

    # ---- misc --------------------------------------------------------------------------------------------

    @Slot()
    def _on_find_triggered(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    @Slot()
    def _on_refresh_triggered(self) -> None:
        self.models[self._entity].reload()
        self._refresh_tags()
        self.detail.reload()

    @Slot(str, int)
    def _on_bridge_status(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    @Slot()
    def _on_about_triggered(self) -> None:
        AboutDialog.open_for(self, database=self._ctx.store.path)

    # ---- settings ----------------------------------------------------------------------------------------

    def _qsettings(self) -> QSettings:
        return QSettings(str(paths.qsettings_file()), QSettings.Format.IniFormat)

    def _restore_settings(self) -> None:
        s = self._qsettings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self._splitter.restoreState(splitter)
        for entity, table in self.tables.items():
            header = s.value(f"tables/{entity.value}/header")
            if isinstance(header, QByteArray):
                table.horizontalHeader().restoreState(header)  # its sort indicator re-sorts the model in SQL

    def save_settings(self) -> None:
        s = self._qsettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self._splitter.saveState())
        for entity, table in self.tables.items():
            s.setValue(f"tables/{entity.value}/header", table.horizontalHeader().saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sync.stop()
        if self.saves_settings:
            self.save_settings()
        super().closeEvent(event)


def _describe(rec: Any) -> str:
    if isinstance(rec, PersonRecord):
        return rec.display_name
    if isinstance(rec, CompanyRecord):
        return rec.name
    return str(getattr(rec, "subject", "")) or "touchpoint"


def _no_match_text(query: ListQuery) -> str:
    """What the detail pane says when the list is empty: why, in the list's own terms."""
    many = _NOUNS[query.entity][1]
    search = query.search.strip()
    if search and query.tag:
        return f"No {many} tagged “{query.tag}” match “{search}”."
    if search:
        return f"No {many} match “{search}”."
    if query.tag:
        return f"No {many} are tagged “{query.tag}”."
    return f"No {many} yet. Add one with Ctrl+N, or import a vCard or CSV file."


class _CenterPane(QWidget):
    """The middle of the window: a header (the view's title, then `others`: the tag filter, the search box) over
    the table. Where the window is too narrow for the whole header, the title goes (the navigation names the view)
    so the search box and the filter stay whole instead of being cut at the pane's edge.
    """

    def __init__(self, header: QHBoxLayout, title: QLabel, others: Sequence[QWidget]) -> None:
        super().__init__()
        self._header = header
        self._title = title
        self._others = tuple(others)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not being_taken_apart(self, "_others"):
            widths = [self._title.sizeHint().width(), *(w.minimumSizeHint().width() for w in self._others)]
            self._title.setVisible(row_fits(self._header, self.width(), widths))
