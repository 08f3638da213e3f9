"""Reusable editor pieces of the record dialogs: form layout, tags, company field, inline messages.

Every piece validates as the user types with the domain rules (`domain.normalize`) and says what is wrong in a
small red line next to the field; dialogs ask each piece for its `problems()` to enable Save.
Look-ups (tag names, company names) run as jobs on the runner's read pool; their results arrive in @Slot methods
and a late result for text the user has since changed is dropped (STYLE §2.5, §2.7).
The typed e-mail, phone and address lists are in `contacts`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    QStringListModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.normalize import normalize_text
from crmdesk.domain.records import Entity
from crmdesk.domain.validate import MAX_FIELD, MAX_NAME, normalize_tags
from crmdesk.ui import ops
from crmdesk.ui.icons import icon
from crmdesk.ui.workers import Job, JobRunner

__all__ = [
    "ERROR_COLOUR",
    "ChoiceCombo",
    "CompanyField",
    "DialogHeader",
    "FieldMessage",
    "TagEdit",
    "add_button",
    "field_label",
    "make_form",
    "save_cancel_buttons",
    "set_tab_chain",
    "top_label",
    "with_message",
]

ERROR_COLOUR = QColor("#c0392b")
"""Red of inline messages: readable on light window backgrounds (WCAG AA on white)."""


def make_form(parent: QWidget | None = None) -> QFormLayout:
    """A QFormLayout with crmdesk's look: right-aligned labels, growing fields, even spacing."""
    form = QFormLayout(parent)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(7)
    return form


def top_label(text: str, buddy: QWidget | None = None) -> QLabel:
    """A form label for a tall field (a list, a text box): sits level with the field's first line."""
    label = field_label(text, buddy)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    label.setContentsMargins(0, 5, 0, 0)
    return label


def field_label(text: str, buddy: QWidget | None = None) -> QLabel:
    """A label whose mnemonic ("&First name:" → Alt+F) moves the focus to `buddy`."""
    label = QLabel(text)
    if buddy is not None:
        label.setBuddy(buddy)
    return label


class FieldMessage(QLabel):
    """A small red line under a field saying what is wrong with it; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldMessage")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOUR)
        self.setPalette(palette)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)
        self.setVisible(False)

    def show_message(self, text: str | None) -> None:
        """Show `text`, or hide the line when it is empty or None."""
        self.setText(text or "")
        self.setVisible(bool(text))


class DialogHeader(QWidget):
    """The strip at the top of a record dialog: a large icon, the record's name and a grey second line."""

    def __init__(self, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(12)
        self._icon = QLabel()
        self._icon.setPixmap(icon(icon_name).pixmap(QSize(40, 40), self.devicePixelRatioF()))
        self._icon.setFixedSize(44, 44)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        self.title = QLabel()
        self.title.setObjectName("headerTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle = QLabel()
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        texts.addStretch(1)
        texts.addWidget(self.title)
        texts.addWidget(self.subtitle)
        texts.addStretch(1)
        layout.addLayout(texts, 1)

    def set_icon(self, icon_name: str) -> None:
        self._icon.setPixmap(icon(icon_name).pixmap(QSize(40, 40), self.devicePixelRatioF()))

    def set_texts(self, title: str, subtitle: str = "", *, placeholder: str = "") -> None:
        """Show `title` (or `placeholder` in grey when the title is empty) and a second line."""
        self.title.setText(title or placeholder)
        self.title.setForegroundRole(QPalette.ColorRole.WindowText if title else QPalette.ColorRole.PlaceholderText)
        self.subtitle.setText(subtitle)
        self.subtitle.setVisible(bool(subtitle))


def with_message(field: QWidget) -> tuple[QWidget, FieldMessage]:
    """`field` with a message line under it, as one widget for a form row."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(field)
    message = FieldMessage()
    layout.addWidget(message)
    return box, message


class ChoiceCombo(QComboBox):
    """An editable combo box of suggested values shown with nicer labels ("customer" shown as "Customer").

    `value()` gives the stored value of a suggestion picked or typed by its label, or the text as typed.
    """

    changed = Signal()

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        *,
        placeholder: str = "",
        max_length: int = MAX_FIELD,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for label, value in choices:
            self.addItem(label, value)
        self.setCurrentIndex(-1)
        line = self.lineEdit()
        assert line is not None  # editable
        line.setPlaceholderText(placeholder)
        line.setMaxLength(max_length)
        completer = self.completer()
        if completer is not None:
            completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.currentTextChanged.connect(self._on_text_changed)

    def value(self) -> str:
        text = normalize_text(self.currentText())
        for i in range(self.count()):
            if self.itemText(i).casefold() == text.casefold():
                return str(self.itemData(i))
        return text

    def set_value(self, value: str) -> None:
        index = self.findData(value)
        if index < 0 and value:
            index = next((i for i in range(self.count()) if self.itemText(i).casefold() == value.casefold()), -1)
        self.setCurrentIndex(index)
        if index < 0:
            self.setEditText(value)

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.changed.emit()


def set_tab_chain(widgets: Sequence[QWidget]) -> None:
    """Make Tab visit `widgets` in this order (Qt otherwise follows creation order, which rows added later break)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def save_cancel_buttons(dialog: QDialog) -> tuple[QDialogButtonBox, QPushButton]:
    """Save and Cancel for `dialog`, without the style's dated button icons; Save is the default button."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    for button in buttons.buttons():
        button.setIcon(QIcon())
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    save.setDefault(True)
    save.setMinimumWidth(96)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, save


def add_button(text: str, *, tip: str = "") -> QToolButton:
    """A flat "+ Add …" button that sits under a list."""
    button = QToolButton()
    button.setIcon(icon("add"))
    button.setIconSize(QSize(16, 16))
    button.setText(text)
    button.setToolTip(tip or text)
    button.setAutoRaise(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


# ---------------------------------------------------------------------------------------------------------------------
# Tags


class _TagCompleter(QCompleter):
    """Completes the tag after the last comma and keeps the tags before it."""

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        chosen = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # The prefix is the text as typed; the line edit's own text may already show a highlighted completion.
        typed = self.completionPrefix()
        head = typed.rsplit(",", 1)[0] + ", " if "," in typed else ""
        return f"{head}{chosen}, "


class TagEdit(QLineEdit):
    """Comma-separated tags, completing names of tags that exist (loaded once by an `ops.all_tag_names` job).

    Args:
        ctx: The context whose store holds the tags.
        runner: Runs the look-up job.
        parent: The parent widget.
    """

    def __init__(self, ctx: Context, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("e.g. customer, newsletter")
        self.setToolTip("Tags, separated by commas")
        self.addAction(icon("tag"), QLineEdit.ActionPosition.LeadingPosition)
        self.setClearButtonEnabled(True)
        self._model = QStringListModel(self)
        completer = _TagCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        completer.setMaxVisibleItems(8)
        self.setCompleter(completer)
        job = ops.all_tag_names(ctx)
        job.signals.succeeded.connect(self._on_tags_loaded)  # connect before starting: the job may end at once
        self._job: Job | None = runner.read(job)

    def tags(self) -> tuple[str, ...]:
        """The tags typed, normalised (trimmed, de-duplicated, sorted)."""
        return normalize_tags(self.text().split(","))

    def set_tags(self, tags: Sequence[str]) -> None:
        self.setText(", ".join(tags))

    def known_tags(self) -> list[str]:
        """The tag names offered for completion."""
        return self._model.stringList()

    @Slot(object)
    def _on_tags_loaded(self, names: list[str]) -> None:
        self._job = None
        self._model.setStringList(list(names))


# ---------------------------------------------------------------------------------------------------------------------
# Company


_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class CompanyField(QLineEdit):
    """A company typed by name, completed from the store as the user types (`ops.company_names` jobs).

    Choosing a suggestion, or typing a name that matches one exactly, remembers that company's id. A new name
    leaves `company_id()` None: for business cards the store then matches or creates the company by name; with
    `require_existing` (touchpoints) a name that matches no company is a problem.

    Args:
        ctx: The context whose store holds the companies.
        runner: Runs the look-up jobs.
        require_existing: Only an existing company may be chosen.
        parent: The parent widget.
    """

    changed = Signal()

    SUGGESTIONS = 12

    def __init__(
        self, ctx: Context, runner: JobRunner, *, require_existing: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self._require_existing = require_existing
        self._company_id: str | None = None
        self._job: Job | None = None
        self._name_job: Job | None = None
        self._looked_up = ""  # text whose suggestions the model holds
        self.setPlaceholderText("Company name")
        self.setMaxLength(MAX_NAME)
        self.setClearButtonEnabled(True)
        self.addAction(icon("companies"), QLineEdit.ActionPosition.LeadingPosition)
        self._model = QStandardItemModel(self)
        completer = QCompleter(self._model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(self.SUGGESTIONS)
        completer.activated[QModelIndex].connect(self._on_completer_activated)  # type: ignore[index]  # overload
        self.setCompleter(completer)
        self.textEdited.connect(self._on_text_edited)

    # ---- public API -----------------------------------------------------------------------------------------

    def company_id(self) -> str | None:
        """Id of the chosen existing company, or None (no company, or a new name)."""
        return self._company_id if self.company_name() else None

    def company_name(self) -> str:
        return normalize_text(self.text())

    def set_company(self, company_id: str | None, name: str = "") -> None:
        """Show a company; with an id but no name the name is loaded from the store."""
        self._company_id = company_id
        self.setText(name)
        self._looked_up = ""
        if company_id and not name:
            job = ops.load_records(self._ctx, Entity.COMPANY, [company_id])
            job.signals.succeeded.connect(self._on_name_loaded)
            job.signals.failed.connect(self._on_name_failed)
            self._name_job = self._runner.read(job)
        self.changed.emit()

    @property
    def pending(self) -> bool:
        """A look-up for the current text is still running."""
        return self._job is not None or self._name_job is not None

    def problem(self) -> str | None:
        """Why the text cannot be used (only with `require_existing`), or None."""
        name = self.company_name()
        if not self._require_existing or not name or self._company_id is not None:
            return None
        if self.pending or self._looked_up != self.text():
            return "…"  # not known yet: Save waits, no message
        return f"There is no company called “{name}”: pick one from the list"

    def suggestions(self) -> list[str]:
        """The company names the completer offers now."""
        return [self._model.item(i).text() for i in range(self._model.rowCount())]

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot(str)
    def _on_text_edited(self, text: str) -> None:
        self._company_id = None
        if self._job is not None:
            self._job.cancel.set()
        prefix = normalize_text(text)
        if not prefix:
            self._job = None
            self._model.clear()
            self._looked_up = text
            self.changed.emit()
            return
        job = ops.company_names(self._ctx, prefix, limit=self.SUGGESTIONS)
        job.signals.succeeded.connect(self._on_names_loaded)
        job.signals.failed.connect(self._on_lookup_failed)
        self._job = self._runner.read(job)
        self.changed.emit()

    @Slot(object)
    def _on_names_loaded(self, result: tuple[str, list[tuple[str, str]]]) -> None:
        prefix, found = result
        if prefix != normalize_text(self.text()):
            return  # a late answer for text the user has changed since (latest wins)
        self._job = None
        self._looked_up = self.text()
        self._model.clear()
        for company_id, name in found:
            item = QStandardItem(icon("companies"), name)
            item.setData(company_id, _ID_ROLE)
            self._model.appendRow(item)
        exact = [cid for cid, name in found if name.casefold() == prefix.casefold()]
        if len(exact) == 1:
            self._company_id = exact[0]
        completer = self.completer()
        if found and self.hasFocus() and self._company_id is None:
            completer.complete()
        self.changed.emit()

    @Slot(object)
    def _on_lookup_failed(self, exc: object) -> None:
        self._job = None
        self._looked_up = self.text()
        self.changed.emit()

    @Slot(QModelIndex)
    def _on_completer_activated(self, index: QModelIndex) -> None:
        company_id = index.data(_ID_ROLE)
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if company_id:
            self._company_id = str(company_id)
            self.setText(name)
            self._looked_up = name
            self.changed.emit()

    @Slot(object)
    def _on_name_failed(self, exc: object) -> None:
        self._name_job = None
        self.changed.emit()

    @Slot(object)
    def _on_name_loaded(self, records: list[Any]) -> None:
        self._name_job = None
        if records and records[0].id == self._company_id and not self.text():
            self.setText(records[0].name)
            self._looked_up = self.text()
        self.changed.emit()
