"""Typed e-mails, phones and addresses of the record dialogs: `ContactListEditor` and its `ContactRow`s.

Each row validates as the user types with the domain rules (`domain.normalize`) and says what is wrong in a small
red line under it; at most one row is the favourite (`domain.favourites`). Dialogs ask the editor for its
`problems()` to enable Save.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLineEdit, QToolButton, QVBoxLayout, QWidget

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
    Phone,
    PhoneType,
)
from crmdesk.domain.validate import MAX_FIELD
from crmdesk.ui.dialogs.widgets import FieldMessage, add_button
from crmdesk.ui.icons import icon

__all__ = [
    "TYPE_LABELS",
    "ContactItem",
    "ContactKind",
    "ContactListEditor",
    "ContactRow",
]


TYPE_LABELS: dict[str, str] = {
    "work": "Work",
    "home": "Home",
    "mobile": "Mobile",
    "fax": "Fax",
    "postal": "Postal",
    "other": "Other",
}

ContactItem = Email | Phone | Address


def _small_button(icon_name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(icon_name))
    button.setIconSize(QSize(16, 16))
    button.setAutoRaise(True)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


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
