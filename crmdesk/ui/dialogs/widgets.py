"""Reusable editor pieces of the record dialogs: typed contact lists, tags, company field, inline messages.

Every piece validates as the user types with the domain rules (`domain.normalize`, `domain.favourites`) and says
what is wrong in a small red line next to the field; dialogs ask each piece for its `problems()` to enable Save.
Look-ups (tag names, company names) run as jobs on the runner's read pool; their results arrive in @Slot methods
and a late result for text the user has since changed is dropped (STYLE §2.5, §2.7).
"""

from __future__ import annotations

import dataclasses
import enum
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
    QGridLayout,
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
from crmdesk.domain import favourites
from crmdesk.domain.normalize import (
    EmailError,
    PhoneError,
    format_phone,
    normalize_email,
    normalize_phone,
    normalize_text,
)
from crmdesk.domain.records import (
    Address,
    AddressType,
    Email,
    EmailType,
    Entity,
    Phone,
    PhoneType,
)
from crmdesk.domain.validate import MAX_FIELD, MAX_NAME, normalize_tags
from crmdesk.ui import ops
from crmdesk.ui.icons import icon
from crmdesk.ui.workers import Job, JobRunner

__all__ = [
    "ERROR_COLOUR",
    "ChoiceCombo",
    "CompanyField",
    "ContactKind",
    "ContactListEditor",
    "ContactRow",
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

TYPE_LABELS: dict[str, str] = {
    "work": "Work",
    "home": "Home",
    "mobile": "Mobile",
    "fax": "Fax",
    "postal": "Postal",
    "other": "Other",
}

ContactItem = Email | Phone | Address


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


def _small_button(icon_name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(icon_name))
    button.setIconSize(QSize(16, 16))
    button.setAutoRaise(True)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


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
# Typed e-mails, phones and addresses


class ContactKind(enum.Enum):
    """What a ContactListEditor holds."""

    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


_KIND_TYPES: dict[ContactKind, type[enum.StrEnum]] = {
    ContactKind.EMAIL: EmailType,
    ContactKind.PHONE: PhoneType,
    ContactKind.ADDRESS: AddressType,
}
_KIND_NOUN = {ContactKind.EMAIL: "e-mail", ContactKind.PHONE: "phone", ContactKind.ADDRESS: "address"}


class ContactRow(QWidget):
    """One typed e-mail, phone or address: type, value field(s), favourite star, remove button, message line."""

    edited = Signal()
    favourite_clicked = Signal(bool)
    remove_clicked = Signal()

    def __init__(self, kind: ContactKind, *, region: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._region = region
        self._street_shown = ""  # the street as shown, to give back a multi-line original unchanged
        self._street_original = ""
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)

        self.type_combo = QComboBox()
        self.type_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for member in _KIND_TYPES[kind]:
            self.type_combo.addItem(TYPE_LABELS.get(member.value, member.value.title()), member)
        self.type_combo.setToolTip(f"Kind of {_KIND_NOUN[kind]}")
        self.type_combo.currentIndexChanged.connect(self._on_any_edited)
        grid.addWidget(self.type_combo, 0, 0, Qt.AlignmentFlag.AlignTop)

        self.value_edit: QLineEdit | None = None
        self.street_edit: QLineEdit | None = None
        self.postcode_edit: QLineEdit | None = None
        self.city_edit: QLineEdit | None = None
        self.region_edit: QLineEdit | None = None
        self.country_edit: QLineEdit | None = None
        if kind is ContactKind.ADDRESS:
            self._build_address(grid)
        else:
            edit = QLineEdit()
            if kind is ContactKind.EMAIL:
                edit.setPlaceholderText("name@example.com")
                edit.setMaxLength(254)
            else:
                edit.setPlaceholderText("Phone number")
                edit.setMaxLength(64)
                edit.editingFinished.connect(self._on_phone_editing_finished)
            edit.textChanged.connect(self._on_any_edited)
            grid.addWidget(edit, 0, 1)
            self.value_edit = edit

        # Not a checkable button: its sunken "checked" frame would fight the star; the icon shows the state.
        self._favourite = False
        self.favourite_button = _small_button("star-outline", "")
        self.favourite_button.clicked.connect(self._on_favourite_button_clicked)
        self.set_favourite(False)
        grid.addWidget(self.favourite_button, 0, 2, Qt.AlignmentFlag.AlignTop)
        self.remove_button = _small_button("delete", f"Remove this {_KIND_NOUN[kind]}")
        self.remove_button.clicked.connect(self.remove_clicked)
        grid.addWidget(self.remove_button, 0, 3, Qt.AlignmentFlag.AlignTop)

        self.message = FieldMessage()
        grid.addWidget(self.message, 3, 1, 1, 3)
        grid.setColumnStretch(1, 1)

    def _build_address(self, grid: QGridLayout) -> None:
        def field(placeholder: str, *, width: int = 0) -> QLineEdit:
            edit = QLineEdit()
            edit.setPlaceholderText(placeholder)
            edit.setMaxLength(MAX_FIELD)
            if width:
                edit.setMaximumWidth(width)
            edit.textChanged.connect(self._on_any_edited)
            return edit

        self.street_edit = field("Street and number")
        self.postcode_edit = field("Postcode", width=96)
        self.city_edit = field("City")
        self.region_edit = field("Region")
        self.country_edit = field("Country", width=96)
        self.country_edit.setToolTip("Country, e.g. DE or Germany")
        grid.addWidget(self.street_edit, 0, 1)
        line2 = QHBoxLayout()
        line2.setSpacing(6)
        line2.addWidget(self.postcode_edit)
        line2.addWidget(self.city_edit, 1)
        grid.addLayout(line2, 1, 1)
        line3 = QHBoxLayout()
        line3.setSpacing(6)
        line3.addWidget(self.region_edit, 1)
        line3.addWidget(self.country_edit)
        grid.addLayout(line3, 2, 1)

    # ---- values ---------------------------------------------------------------------------------------------

    @property
    def favourite(self) -> bool:
        return self._favourite

    def set_favourite(self, on: bool) -> None:
        self._favourite = on
        noun = _KIND_NOUN[self.kind]
        self.favourite_button.setIcon(icon("star" if on else "star-outline"))
        self.favourite_button.setToolTip(f"Favourite {noun}" if on else f"Make this the favourite {noun}")
        self.favourite_button.setAccessibleName(f"Favourite {noun}" if on else f"Not the favourite {noun}")

    def item_type(self) -> Any:
        return self.type_combo.currentData()

    def is_empty(self) -> bool:
        if self.value_edit is not None:
            return not self.value_edit.text().strip()
        return not any(e.text().strip() for e in self._address_edits())

    def _address_edits(self) -> list[QLineEdit]:
        edits = (self.street_edit, self.postcode_edit, self.city_edit, self.region_edit, self.country_edit)
        return [e for e in edits if e is not None]

    def item(self) -> ContactItem:
        """The row as a record; a valid e-mail or phone in its normal form, anything else as typed."""
        if self.kind is ContactKind.ADDRESS:
            assert self.street_edit and self.postcode_edit and self.city_edit and self.region_edit and self.country_edit
            street = self.street_edit.text()
            if self._street_shown and street == self._street_shown:
                street = self._street_original
            return Address(
                street=street.strip(),
                postcode=normalize_text(self.postcode_edit.text()),
                city=normalize_text(self.city_edit.text()),
                region=normalize_text(self.region_edit.text()),
                country=normalize_text(self.country_edit.text()),
                type=AddressType(self.item_type()),
                favourite=self.favourite,
            )
        assert self.value_edit is not None
        text = self.value_edit.text()
        if self.kind is ContactKind.EMAIL:
            try:
                address = normalize_email(text)
            except EmailError:
                address = normalize_text(text)
            return Email(address=address, type=EmailType(self.item_type()), favourite=self.favourite)
        try:
            number = normalize_phone(text, region=self._region)
        except PhoneError:
            number = normalize_text(text)
        return Phone(number=number, type=PhoneType(self.item_type()), favourite=self.favourite)

    def set_item(self, item: ContactItem) -> None:
        index = self.type_combo.findData(item.type)
        self.type_combo.setCurrentIndex(max(index, 0))
        self.set_favourite(item.favourite)
        if isinstance(item, Address):
            assert self.street_edit and self.postcode_edit and self.city_edit and self.region_edit and self.country_edit
            self._street_original = item.street
            self._street_shown = ", ".join(line.strip() for line in item.street.splitlines() if line.strip())
            self.street_edit.setText(self._street_shown)
            self.postcode_edit.setText(item.postcode)
            self.city_edit.setText(item.city)
            self.region_edit.setText(item.region)
            self.country_edit.setText(item.country)
        elif isinstance(item, Phone):
            assert self.value_edit is not None
            self.value_edit.setText(format_phone(item.number, region=self._region))
        else:
            assert self.value_edit is not None
            self.value_edit.setText(item.address)

    def problem(self) -> str | None:
        """What is wrong with the row, or None; an empty row is no problem (it is left out)."""
        if self.value_edit is None or self.is_empty():
            return None
        text = self.value_edit.text()
        try:
            if self.kind is ContactKind.EMAIL:
                normalize_email(text)
            else:
                normalize_phone(text, region=self._region)
        except (EmailError, PhoneError) as exc:
            return str(exc)
        return None

    def validate(self) -> str | None:
        """Check the row and show the result in its message line."""
        problem = self.problem()
        self.message.show_message(problem)
        return problem

    def focus_first(self) -> None:
        first = self.value_edit or self.street_edit
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_any_edited(self) -> None:
        self.validate()
        self.edited.emit()

    @Slot()
    def _on_favourite_button_clicked(self) -> None:
        self.favourite_clicked.emit(not self._favourite)

    @Slot()
    def _on_phone_editing_finished(self) -> None:
        """Show a valid number the way it is dialled ("0175 1234567"); E.164 is what gets stored."""
        assert self.value_edit is not None
        try:
            number = normalize_phone(self.value_edit.text(), region=self._region)
        except PhoneError:
            return
        shown = format_phone(number, region=self._region)
        if shown != self.value_edit.text():
            self.value_edit.setText(shown)


class ContactListEditor(QWidget):
    """A list of typed e-mails, phones or addresses with at most one favourite (cobra §7.3 rules).

    Rows can be added ("Add e-mail"), removed and starred; starring one row clears the others, and removing the
    favourite when one other row remains makes that one the favourite (`domain.favourites`). Empty rows are left
    out of `values()` and never count as a problem.

    Args:
        kind: E-mails, phones or addresses.
        region: Country assumed for phone numbers typed without a country code (`Context.region`).
        parent: The parent widget.
    """

    changed = Signal()
    rows_changed = Signal()  # a row was added or removed: the dialog re-applies its tab order

    def __init__(self, kind: ContactKind, *, region: str = "DE", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._region = region
        self._rows: list[ContactRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(6 if kind is not ContactKind.ADDRESS else 10)
        outer.addLayout(self._rows_layout)
        noun = _KIND_NOUN[kind]
        self.add_button = add_button(f"Add {noun}")
        self.add_button.clicked.connect(self._on_add_clicked)
        outer.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)

    # ---- public API -----------------------------------------------------------------------------------------

    def rows(self) -> list[ContactRow]:
        """The rows in order (for tests and focus handling)."""
        return list(self._rows)

    def add_row(self, item: ContactItem | None = None) -> ContactRow:
        """Append a row, empty or showing `item`; a favourite `item` takes the star from the others."""
        row = ContactRow(self.kind, region=self._region, parent=self)
        if item is not None:
            row.set_item(item)
        row.edited.connect(self._on_row_edited)
        row.favourite_clicked.connect(self._on_row_favourite_clicked)
        row.remove_clicked.connect(self._on_row_remove_clicked)
        new_items = favourites.add_item(self._items(), row.item())
        self._rows.append(row)
        self._rows_layout.addWidget(row)
        self._apply_flags(new_items)
        row.validate()
        self.rows_changed.emit()
        self.changed.emit()
        return row

    def set_values(self, items: Sequence[ContactItem]) -> None:
        """Replace every row by rows showing `items`."""
        for row in self._rows:
            self._rows_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self._rows = []
        for item in favourites.fix_favourites(list(items)):
            self.add_row(item)
        self.changed.emit()

    def values(self) -> tuple[Any, ...]:
        """The non-empty rows as records (Email, Phone or Address), with at most one favourite."""
        return favourites.fix_favourites([row.item() for row in self._rows if not row.is_empty()])

    def problems(self) -> dict[int, str]:
        """Row position → what is wrong with that row; empty when every row may be stored."""
        found: dict[int, str] = {}
        for i, row in enumerate(self._rows):
            problem = row.problem()
            if problem:
                found[i] = problem
        return found

    def remove_row(self, index: int) -> None:
        """Remove the row at `index`; if it was the favourite and one row remains, that one becomes it."""
        new_items = favourites.remove_item(self._items(), index)
        row = self._rows.pop(index)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()
        self._apply_flags(new_items)
        self.rows_changed.emit()
        self.changed.emit()

    # ---- internals ------------------------------------------------------------------------------------------

    def _items(self) -> tuple[ContactItem, ...]:
        return tuple(row.item() for row in self._rows)

    def _apply_flags(self, items: Sequence[ContactItem]) -> None:
        for row, item in zip(self._rows, items, strict=True):
            row.set_favourite(item.favourite)

    def tab_chain(self) -> list[QWidget]:
        """The editor's widgets in the order Tab visits them: row by row, then the add button."""
        chain: list[QWidget] = []
        for row in self._rows:
            chain.append(row.type_combo)
            chain.extend(e for e in (row.value_edit, *row._address_edits()) if e is not None)
            chain.extend((row.favourite_button, row.remove_button))
        chain.append(self.add_button)
        return chain

    def _index_of_sender(self) -> int:
        sender = self.sender()
        for i, row in enumerate(self._rows):
            if row is sender:
                return i
        return -1

    @Slot()
    def _on_add_clicked(self) -> None:
        row = self.add_row()
        row.focus_first()

    @Slot()
    def _on_row_edited(self) -> None:
        self.changed.emit()

    @Slot(bool)
    def _on_row_favourite_clicked(self, on: bool) -> None:
        index = self._index_of_sender()
        if index < 0:
            return
        items = self._items()
        if on:
            new_items = favourites.set_favourite(items, index)
        else:
            new_items = favourites.update_item(items, index, dataclasses.replace(items[index], favourite=False))
        self._apply_flags(new_items)
        self.changed.emit()

    @Slot()
    def _on_row_remove_clicked(self) -> None:
        index = self._index_of_sender()
        if index >= 0:
            self.remove_row(index)
            if self._rows:
                self._rows[min(index, len(self._rows) - 1)].focus_first()
            else:
                self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)


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
