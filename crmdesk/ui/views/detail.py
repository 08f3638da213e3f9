"""The detail pane at the right: the selected person, company or touchpoint, loaded in a job."""

from __future__ import annotations

import functools

from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import Entity
from crmdesk.errors import Cancelled, NotFoundError
from crmdesk.store.details import CompanyDetail, PersonDetail, TouchpointDetail
from crmdesk.ui import icons, ops
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.views import detail_html
from crmdesk.ui.views.fit import being_taken_apart, row_fits
from crmdesk.ui.workers import Job, JobRunner

_EMPTY_TEXT = {
    Entity.PERSON: "Select a person to see their business cards, relations and timeline.",
    Entity.COMPANY: "Select a company to see its people and touchpoints.",
    Entity.TOUCHPOINT: "Select a touchpoint to read it.",
}


class DetailPane(QWidget):
    """Shows one record as rich text; links to people and companies ask the window to navigate."""

    navigate_requested = Signal(object, str)  # Entity, id
    edit_requested = Signal(object, str)
    add_touchpoint_requested = Signal(object, str)
    export_card_requested = Signal(str)  # person id
    remote_card_requested = Signal(str, str)  # person id, account id: the card as that server exports it

    def __init__(self, ctx: Context, *, runner: JobRunner, hub: ChangeHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._ctx = ctx
        self._name = ""  # the shown person's name (for file names)
        self._runner = runner
        self._shown: tuple[Entity, str] | None = None
        self._job: Job | None = None
        self._empty_entity = Entity.PERSON

        self._browser = QTextBrowser()
        self._browser.setObjectName("detailBrowser")
        self._browser.setOpenLinks(False)
        self._browser.setFrameShape(QTextBrowser.Shape.NoFrame)
        self._browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        self._browser.document().setDocumentMargin(16)

        self._edit = self._button("edit", "Edit", "Edit this record (Enter)")
        self._edit.clicked.connect(self._on_edit_clicked)
        self._add_tp = self._button("touchpoints", "Log touchpoint", "Add a call, e-mail, meeting or note")
        self._add_tp.clicked.connect(self._on_add_tp_clicked)
        self.card_button = self._button(
            "business-card", "Business card", "Export business card… (the favourite card as a .vcf file)"
        )
        self.card_button.clicked.connect(self._on_card_clicked)
        # Beside crmdesk's own export, the card as a linked server exports it (cobra): listed when the menu opens.
        self.card_menu = QMenu(self.card_button)
        self.card_menu.aboutToShow.connect(self._on_card_menu_about_to_show)
        self.card_button.setMenu(self.card_menu)
        self.card_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        bar = QHBoxLayout()
        bar.setContentsMargins(12, 8, 12, 0)
        bar.addStretch(1)
        bar.addWidget(self.card_button)
        bar.addWidget(self._add_tp)
        bar.addWidget(self._edit)
        self._bar = bar
        self._labelled_widths: list[int] = []  # the buttons' widths with their labels (see _fit_buttons)
        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addWidget(self._browser, 1)

        self._placeholder = QLabel()
        self._placeholder.setObjectName("detailPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setMargin(24)

        self._stack = QStackedWidget()
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self.clear(Entity.PERSON)
        hub.changed.connect(self._on_hub_changed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not being_taken_apart(self, "_bar"):
            self._fit_buttons()

    def _fit_buttons(self) -> None:
        """Labelled buttons where the pane has room for them, icons alone (their tooltips name them) where it
        has not: Qt would cut the labels to "Busi…card" and "Log t…point"."""
        all_buttons = (self.card_button, self._add_tp, self._edit)
        if not self._labelled_widths:  # measured once, while they still show their labels
            for b in all_buttons:
                b.ensurePolished()
            self._labelled_widths = [b.sizeHint().width() for b in all_buttons]
        shown = [w for b, w in zip(all_buttons, self._labelled_widths, strict=True) if not b.isHidden()]
        labelled = row_fits(self._bar, self.width(), shown)
        style = Qt.ToolButtonStyle.ToolButtonTextBesideIcon if labelled else Qt.ToolButtonStyle.ToolButtonIconOnly
        for b in all_buttons:
            b.setToolButtonStyle(style)

    def _button(self, icon_name: str, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setIcon(icons.icon(icon_name))
        b.setIconSize(QSize(16, 16))
        b.setText(text)
        b.setToolTip(tip)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setAutoRaise(True)
        return b

    @property
    def shown_name(self) -> str:
        """The name of the person shown ("" for anything else)."""
        return self._name

    @property
    def shown(self) -> tuple[Entity, str] | None:
        return self._shown

    def html(self) -> str:
        """The pane's current text as plain text (tests read it)."""
        return self._browser.toPlainText() if self._shown else self._placeholder.text()

    def clear(self, entity: Entity, text: str = "") -> None:
        """Show no record: `text`, else the hint to select one."""
        if self._job is not None:
            self._job.cancel.set()
            self._job = None
        self._shown = None
        self._empty_entity = entity
        self._placeholder.setText(text or _EMPTY_TEXT[entity])
        self._stack.setCurrentWidget(self._placeholder)

    def show_record(self, entity: Entity, record_id: str) -> None:
        """Load and show a record; a later call wins over one still loading."""
        if self._job is not None:
            self._job.cancel.set()
        self._shown = (entity, record_id)
        job = ops.load(self._ctx, entity, record_id)
        job.signals.succeeded.connect(self._on_load_succeeded)
        job.signals.failed.connect(self._on_load_failed)
        self._job = job
        self._runner.read_after_paint(job)  # the table's new selection is painted first

    def reload(self) -> None:
        if self._shown is not None:
            self.show_record(*self._shown)

    def _is_current(self) -> bool:
        """Whether the signal being delivered comes from the latest load (an older one of the same record,
        or of a record the user has left, must not overwrite or clear what is shown)."""
        return self._job is not None and self.sender() is self._job.signals

    @Slot(object)
    def _on_load_succeeded(self, detail: PersonDetail | CompanyDetail | TouchpointDetail) -> None:
        if not self._is_current():
            return
        self._job = None
        region = self._ctx.region
        self._name = ""
        if isinstance(detail, PersonDetail):
            key, text = (Entity.PERSON, detail.person.id), detail_html.person_html(detail, region=region)
            self._name = detail.person.display_name
        elif isinstance(detail, CompanyDetail):
            key, text = (Entity.COMPANY, detail.company.id), detail_html.company_html(detail, region=region)
        else:
            key, text = (Entity.TOUCHPOINT, detail.touchpoint.id), detail_html.touchpoint_html(detail, region=region)
        if key != self._shown:
            return  # the user has moved on
        scroll = self._browser.verticalScrollBar().value()
        self._browser.setHtml(text)
        self._browser.verticalScrollBar().setValue(scroll)
        self._add_tp.setVisible(key[0] is not Entity.TOUCHPOINT)
        self.card_button.setVisible(key[0] is Entity.PERSON)
        self._fit_buttons()
        self._stack.setCurrentIndex(1)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled) or not self._is_current():
            return
        self._job = None
        if isinstance(exc, NotFoundError):
            self.clear(self._shown[0] if self._shown else self._empty_entity)
            return
        self._placeholder.setText(f"Could not load this record: {exc}")
        self._stack.setCurrentWidget(self._placeholder)

    @Slot(object)
    def _on_hub_changed(self, change: ChangeSet) -> None:
        # Any write may change what the pane shows (a new touchpoint in the timeline, a renamed company):
        # one detail read per write is cheap, and a deleted record clears the pane (NotFoundError).
        if self._shown is not None:
            self.reload()

    @Slot(QUrl)
    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        target = detail_html.parse_link(url.toString())
        if target is not None:
            self.navigate_requested.emit(*target)
        elif url.scheme() in ("mailto", "tel", "http", "https"):
            QDesktopServices.openUrl(url)

    @Slot()
    def _on_edit_clicked(self) -> None:
        if self._shown is not None:
            self.edit_requested.emit(*self._shown)

    @Slot()
    def _on_card_clicked(self) -> None:
        if self._shown is not None and self._shown[0] is Entity.PERSON:
            self.export_card_requested.emit(self._shown[1])

    @Slot()
    def _on_card_menu_about_to_show(self) -> None:
        from crmdesk.sync.run import remote_card_sources

        self.card_menu.clear()
        own = self.card_menu.addAction(icons.icon("business-card"), "Export business card…")
        own.triggered.connect(self._on_card_clicked)
        if self._shown is None or self._shown[0] is not Entity.PERSON:
            return
        person_id = self._shown[1]
        # One indexed read per account (a handful of rows): fine on the GUI thread (STYLE §3.6).
        for account_id, name in remote_card_sources(self._ctx, person_id):
            action = self.card_menu.addAction(icons.icon("online"), f"Business card from cobra ({name})…")
            action.triggered.connect(functools.partial(self.remote_card_requested.emit, person_id, account_id))

    @Slot()
    def _on_add_tp_clicked(self) -> None:
        if self._shown is not None:
            self.add_touchpoint_requested.emit(*self._shown)
