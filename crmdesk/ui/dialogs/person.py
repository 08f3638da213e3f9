"""The person editor: name, birthday, tags, notes and any number of business cards with typed contact data.

Open it with `PersonDialog.ask(...)`, which tests monkeypatch (STYLE §8). Every field is checked as the user
types; Save stays disabled while anything is wrong, and `domain.validate.check_person` has the last word.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QRegularExpression, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain import favourites
from crmdesk.domain.normalize import normalize_text
from crmdesk.domain.records import Birthday, BusinessCardRecord, PersonRecord, new_id
from crmdesk.domain.validate import MAX_NAME, check_person
from crmdesk.ui.dialogs.base import RecordDialog
from crmdesk.ui.dialogs.contacts import ContactKind, ContactListEditor
from crmdesk.ui.dialogs.widgets import (
    ERROR_COLOUR,
    ChoiceCombo,
    CompanyField,
    TagEdit,
    field_label,
    make_form,
    set_tab_chain,
    top_label,
    with_message,
)
from crmdesk.ui.icons import icon
from crmdesk.ui.workers import JobRunner

__all__ = ["BirthdayEdit", "CardEditor", "PersonDialog"]

SALUTATIONS = (("Mr", "Mr"), ("Ms", "Ms"), ("Mx", "Mx"), ("Herr", "Herr"), ("Frau", "Frau"))
GENDERS = (("Female", "female"), ("Male", "male"), ("Diverse", "diverse"))
LIFECYCLES = (("Lead", "lead"), ("Prospect", "prospect"), ("Customer", "customer"), ("Inactive", "inactive"))

NAME_MISSING = "A person needs a first or last name"


def _line(placeholder: str = "", *, max_length: int = MAX_NAME) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(max_length)
    return edit


# ---------------------------------------------------------------------------------------------------------------------
# Birthday


class BirthdayEdit(QWidget):
    """Day, month and an optional year; no month or no day means no birthday (vCard ``--MMDD`` without a year)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.day_spin = QSpinBox()
        self.day_spin.setRange(0, 31)
        self.day_spin.setSpecialValueText("Day")
        self.day_spin.setAccessibleName("Birthday day")
        self.day_spin.setMinimumWidth(64)
        self.month_combo = QComboBox()
        self.month_combo.setAccessibleName("Birthday month")
        self.month_combo.addItem("Month", 0)
        locale = QLocale()
        for month in range(1, 13):
            self.month_combo.addItem(locale.standaloneMonthName(month, QLocale.FormatType.LongFormat), month)
        self.year_edit = QLineEdit()
        self.year_edit.setAccessibleName("Birthday year")
        self.year_edit.setPlaceholderText("Year (optional)")
        self.year_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}"), self.year_edit))
        self.year_edit.setMaximumWidth(120)
        layout.addWidget(self.day_spin)
        layout.addWidget(self.month_combo, 1)
        layout.addWidget(self.year_edit)
        self.day_spin.valueChanged.connect(self._on_edited)
        self.month_combo.currentIndexChanged.connect(self._on_edited)
        self.year_edit.textChanged.connect(self._on_edited)

    def set_birthday(self, birthday: Birthday | None) -> None:
        self.day_spin.setValue(birthday.day if birthday else 0)
        self.month_combo.setCurrentIndex(birthday.month if birthday else 0)
        self.year_edit.setText(str(birthday.year) if birthday and birthday.year else "")

    def birthday(self) -> Birthday | None:
        """The birthday, or None when there is none or it is no date (see `problem`)."""
        try:
            return self._parse()
        except ValueError:
            return None

    def problem(self) -> str | None:
        try:
            self._parse()
        except ValueError as exc:
            return str(exc)
        return None

    def _parse(self) -> Birthday | None:
        day = self.day_spin.value()
        month = int(self.month_combo.currentData() or 0)
        year_text = self.year_edit.text().strip()
        if not day and not month and not year_text:
            return None
        if not day or not month:
            raise ValueError("A birthday needs a day and a month")
        year: int | None = None
        if year_text:
            if not year_text.isdigit() or not 1800 <= int(year_text) <= 2200:
                raise ValueError(f"“{year_text}” is not a year")
            year = int(year_text)
        try:
            return Birthday(month=month, day=day, year=year)
        except ValueError:
            name = self.month_combo.currentText()
            raise ValueError(f"{name} has no day {day}" + (f" in {year}" if year else "")) from None

    @Slot()
    def _on_edited(self) -> None:
        self.changed.emit()


class CardEditor(QWidget):
    """One business card: company (or private), position, department, favourite mark, e-mails, phones, addresses.

    Args:
        ctx: The context (store for company look-ups, region for phone numbers).
        runner: Runs look-up jobs.
        card: The card shown; None for a new, empty one.
        parent: The parent widget.
    """

    changed = Signal()
    title_changed = Signal()
    favourite_clicked = Signal(bool)
    rows_changed = Signal()

    def __init__(
        self, ctx: Context, runner: JobRunner, card: BusinessCardRecord | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.card_id = card.id if card else new_id()
        self._favourite = bool(card and card.favourite)

        form = make_form(self)
        form.setContentsMargins(12, 12, 12, 12)
        self.company_field = CompanyField(ctx, runner)
        self.private_check = QCheckBox("Pri&vate")
        self.private_check.setToolTip("A private card belongs to no company")
        company_row = QHBoxLayout()
        company_row.setSpacing(10)
        company_row.addWidget(self.company_field, 1)
        company_row.addWidget(self.private_check)
        form.addRow(field_label("C&ompany:", self.company_field), company_row)
        self.position_edit = _line("e.g. Head of purchasing")
        form.addRow("&Position:", self.position_edit)
        self.department_edit = _line("e.g. Purchasing")
        form.addRow("&Department:", self.department_edit)
        self.favourite_button = QToolButton()  # not checkable: the star shows the state, see ContactRow
        self.favourite_button.setText("Favourite card")
        self.favourite_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.favourite_button.setAutoRaise(True)
        self.favourite_button.setIconSize(QSize(16, 16))
        form.addRow("", self.favourite_button)

        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        form.addRow(separator)
        self.emails = ContactListEditor(ContactKind.EMAIL, region=ctx.region)
        form.addRow(top_label("E-mail:"), self.emails)
        self.phones = ContactListEditor(ContactKind.PHONE, region=ctx.region)
        form.addRow(top_label("Phone:"), self.phones)
        self.addresses = ContactListEditor(ContactKind.ADDRESS, region=ctx.region)
        form.addRow(top_label("Address:"), self.addresses)

        if card is not None:
            self.company_field.set_company(card.company_id, card.company_name)
            self.private_check.setChecked(card.private)
            self.position_edit.setText(card.position)
            self.department_edit.setText(card.department)
            self.emails.set_values(card.emails)
            self.phones.set_values(card.phones)
            self.addresses.set_values(card.addresses)
        if not self.emails.rows():
            self.emails.add_row()
        if not self.phones.rows():
            self.phones.add_row()
        self._show_favourite()
        self.company_field.setEnabled(not self.private_check.isChecked())

        self.company_field.changed.connect(self._on_title_edited)
        self.private_check.toggled.connect(self._on_private_toggled)
        self.position_edit.textChanged.connect(self._on_edited)
        self.department_edit.textChanged.connect(self._on_edited)
        self.favourite_button.clicked.connect(self._on_favourite_button_clicked)
        for editor in (self.emails, self.phones, self.addresses):
            editor.changed.connect(self._on_edited)
            editor.rows_changed.connect(self.rows_changed)

    # ---- state ----------------------------------------------------------------------------------------------

    @property
    def favourite(self) -> bool:
        return self._favourite

    def set_favourite(self, on: bool) -> None:
        self._favourite = on
        self._show_favourite()

    def title(self) -> str:
        """The tab title: the company's name, "Private", or "Business card" when there is neither."""
        if self.private_check.isChecked():
            return "Private"
        return self.company_field.company_name() or "Business card"

    def subtitle(self) -> str:
        """ "Position · Company" for the dialog's header."""
        company = "" if self.private_check.isChecked() else self.company_field.company_name()
        return " · ".join(p for p in (normalize_text(self.position_edit.text()), company) if p)

    def is_empty(self) -> bool:
        """Nothing entered: such a card is not stored."""
        return not (
            self.private_check.isChecked()
            or self.company_field.company_name()
            or self.position_edit.text().strip()
            or self.department_edit.text().strip()
            or self.emails.values()
            or self.phones.values()
            or self.addresses.values()
        )

    def card(self) -> BusinessCardRecord:
        """The card as entered (not yet normalised)."""
        private = self.private_check.isChecked()
        return BusinessCardRecord(
            id=self.card_id,
            company_id=None if private else self.company_field.company_id(),
            company_name="" if private else self.company_field.company_name(),
            position=normalize_text(self.position_edit.text()),
            department=normalize_text(self.department_edit.text()),
            private=private,
            favourite=self._favourite,
            emails=self.emails.values(),
            phones=self.phones.values(),
            addresses=self.addresses.values(),
        )

    def problems(self) -> dict[str, str]:
        """Field path within the card (``emails[0]``) → message."""
        found: dict[str, str] = {}
        for name, editor in (("emails", self.emails), ("phones", self.phones), ("addresses", self.addresses)):
            for i, message in editor.problems().items():
                found[f"{name}[{i}]"] = message
        return found

    def tab_chain(self) -> list[QWidget]:
        """The card's widgets in the order Tab visits them."""
        head: list[QWidget] = [
            self.company_field,
            self.private_check,
            self.position_edit,
            self.department_edit,
            self.favourite_button,
        ]
        return head + self.emails.tab_chain() + self.phones.tab_chain() + self.addresses.tab_chain()

    def _show_favourite(self) -> None:
        on = self._favourite
        self.favourite_button.setText("Favourite card" if on else "Make favourite card")
        self.favourite_button.setAccessibleName("Favourite card" if on else "Not the favourite card")
        self.favourite_button.setIcon(icon("star" if on else "star-outline"))
        self.favourite_button.setToolTip(
            "This is the favourite card: the one exported as the person's business card"
            if on
            else "Make this the favourite card"
        )

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_edited(self) -> None:
        self.changed.emit()

    @Slot()
    def _on_favourite_button_clicked(self) -> None:
        self.favourite_clicked.emit(not self._favourite)

    @Slot()
    def _on_title_edited(self) -> None:
        self.title_changed.emit()
        self.changed.emit()

    @Slot(bool)
    def _on_private_toggled(self, on: bool) -> None:
        self.company_field.setEnabled(not on)
        self.title_changed.emit()
        self.changed.emit()


class PersonDialog(RecordDialog[PersonRecord]):
    """Create or edit a person.

    Args:
        ctx: The context (store for look-ups, region for phone numbers).
        runner: Runs look-up jobs (tags, companies).
        record: The person to edit; None for a new one.
        parent: The parent widget.
    """

    def __init__(
        self, ctx: Context, runner: JobRunner, record: PersonRecord | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, editing=record is not None, window_icon="person", header_icon="person", parent=parent)
        self._runner = runner
        self._base = record if record is not None else PersonRecord()
        self._cards: list[CardEditor] = []
        self.setWindowTitle(f"Edit — {record.display_name}" if record is not None else "New person")

        columns = QHBoxLayout()
        columns.setSpacing(18)
        self._root.addLayout(columns, 1)
        columns.addWidget(self._build_person_column(), 0)
        columns.addLayout(self._build_cards_column(), 1)

        self._build_save_row()

        self._load(self._base)
        self._fix_tab_order()
        self._connect_fields()
        self._revalidate()
        self.resize(self.sizeHint().expandedTo(QSize(960, 640)).boundedTo(QSize(1200, 740)))
        self.first_name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @classmethod
    def ask(
        cls, parent: QWidget | None, ctx: Context, runner: JobRunner, record: PersonRecord | None = None
    ) -> PersonRecord | None:
        """Show the dialog modally.

        Args:
            parent: The window the dialog belongs to.
            ctx: The context.
            runner: Runs look-up jobs.
            record: The person to edit, or None for a new one.

        Returns:
            The edited person, normalised, with the id and card ids of `record` kept; None if cancelled.
        """
        return cls(ctx, runner, record, parent)._run_modal()

    # ---- building -------------------------------------------------------------------------------------------

    def _build_person_column(self) -> QWidget:
        column = QWidget()
        column.setMinimumWidth(340)
        column.setMaximumWidth(420)
        form = make_form(column)
        form.setContentsMargins(0, 0, 0, 0)
        self.salutation_combo = ChoiceCombo(SALUTATIONS, placeholder="Mr, Ms, …")
        form.addRow("Sal&utation:", self.salutation_combo)
        self.title_edit = _line("e.g. Dr., Prof.")
        form.addRow("&Title:", self.title_edit)
        self.first_name_edit = _line("First name")
        form.addRow("&First name:", self.first_name_edit)
        self.middle_name_edit = _line("Middle name")
        form.addRow("&Middle name:", self.middle_name_edit)
        self.last_name_edit = _line("Last name")
        last_box, self.name_message = with_message(self.last_name_edit)
        form.addRow(field_label("&Last name:", self.last_name_edit), last_box)
        self.suffix_edit = _line("e.g. Jr., MBA")
        form.addRow("Suffi&x:", self.suffix_edit)
        self.gender_combo = ChoiceCombo(GENDERS, placeholder="Not specified")
        form.addRow("&Gender:", self.gender_combo)
        self.birthday_edit = BirthdayEdit()
        birthday_box, self.birthday_message = with_message(self.birthday_edit)
        form.addRow(field_label("&Birthday:", self.birthday_edit.day_spin), birthday_box)
        self.lifecycle_combo = ChoiceCombo(LIFECYCLES, placeholder="Lead, customer, …")
        form.addRow("Lifec&ycle:", self.lifecycle_combo)
        self.tags_edit = TagEdit(self._ctx, self._runner)
        form.addRow("T&ags:", self.tags_edit)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText("Notes about this person")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(90)
        form.addRow(top_label("&Notes:", self.notes_edit), self.notes_edit)
        return column

    def _build_cards_column(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        heading = QLabel("Business cards")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        bar.addWidget(heading)
        bar.addStretch(1)
        self.add_card_button = QToolButton()
        self.add_card_button.setText("Add business card")
        self.add_card_button.setIcon(icon("add"))
        self.add_card_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_card_button.setAutoRaise(True)
        self.add_card_button.clicked.connect(self._on_add_card_clicked)
        bar.addWidget(self.add_card_button)
        self.remove_card_button = QToolButton()
        self.remove_card_button.setText("Remove card")
        self.remove_card_button.setIcon(icon("delete"))
        self.remove_card_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.remove_card_button.setAutoRaise(True)
        self.remove_card_button.clicked.connect(self._on_remove_card_clicked)
        bar.addWidget(self.remove_card_button)
        column.addLayout(bar)
        self.card_tabs = QTabWidget()
        self.card_tabs.setDocumentMode(False)
        self.card_tabs.setUsesScrollButtons(True)
        self.card_tabs.setIconSize(QSize(16, 16))
        self.card_tabs.setMinimumWidth(520)
        column.addWidget(self.card_tabs, 1)
        return column

    def _load(self, p: PersonRecord) -> None:
        self.salutation_combo.set_value(p.salutation)
        self.title_edit.setText(p.title)
        self.first_name_edit.setText(p.first_name)
        self.middle_name_edit.setText(p.middle_name)
        self.last_name_edit.setText(p.last_name)
        self.suffix_edit.setText(p.suffix)
        self.gender_combo.set_value(p.gender)
        self.birthday_edit.set_birthday(p.birthday)
        self.lifecycle_combo.set_value(p.lifecycle)
        self.tags_edit.set_tags(p.tags)
        self.notes_edit.setPlainText(p.notes)
        for card in p.cards:
            self._insert_card(CardEditor(self._ctx, self._runner, card))
        if not self._cards:
            self._add_card()
        self.card_tabs.setCurrentIndex(0)

    def _connect_fields(self) -> None:
        for edit in (self.title_edit, self.middle_name_edit, self.suffix_edit):
            edit.textChanged.connect(self._on_field_edited)
        for edit in (self.first_name_edit, self.last_name_edit):
            edit.textChanged.connect(self._on_field_edited)
            edit.textEdited.connect(self._on_name_edited)
        for combo in (self.salutation_combo, self.gender_combo, self.lifecycle_combo):
            combo.changed.connect(self._on_field_edited)
        self.birthday_edit.changed.connect(self._on_field_edited)
        self.tags_edit.textChanged.connect(self._on_field_edited)

    # ---- cards ----------------------------------------------------------------------------------------------

    def card_editors(self) -> list[CardEditor]:
        """The cards in tab order."""
        return list(self._cards)

    def _insert_card(self, editor: CardEditor) -> int:
        editor.changed.connect(self._on_field_edited)
        editor.title_changed.connect(self._on_card_title_changed)
        editor.favourite_clicked.connect(self._on_card_favourite_clicked)
        editor.rows_changed.connect(self._on_rows_changed)
        scroll = QScrollArea()
        scroll.setWidget(editor)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._cards.append(editor)
        index = self.card_tabs.addTab(scroll, "")
        self._show_card_tabs()
        self._fix_tab_order()
        return index

    def _stubs(self) -> tuple[BusinessCardRecord, ...]:
        """The cards as far as the favourite rules care: id and favourite flag."""
        return tuple(BusinessCardRecord(id=c.card_id, favourite=c.favourite) for c in self._cards)

    def _apply_favourites(self, cards: tuple[BusinessCardRecord, ...]) -> None:
        for editor, card in zip(self._cards, cards, strict=True):
            editor.set_favourite(card.favourite)
        self._show_card_tabs()

    def _add_card(self) -> CardEditor:
        """Add an empty card; a person's first card becomes the favourite (favourites.add_card)."""
        stubs = favourites.add_card(self._stubs(), BusinessCardRecord())
        editor = CardEditor(self._ctx, self._runner)
        index = self._insert_card(editor)
        self._apply_favourites(stubs)
        self.card_tabs.setCurrentIndex(index)
        return editor

    def _show_card_tabs(self) -> None:
        for i, editor in enumerate(self._cards):
            self.card_tabs.setTabText(i, editor.title().replace("&", "&&"))  # "Brandt & Söhne": no mnemonic
            self.card_tabs.setTabIcon(i, icon("star" if editor.favourite else "business-card"))
            self.card_tabs.setTabToolTip(i, "Favourite card" if editor.favourite else "")
        self.remove_card_button.setEnabled(bool(self._cards))
        self._update_header()

    def _fix_tab_order(self) -> None:
        if not hasattr(self, "buttons"):
            return  # still building: done once at the end of __init__
        birthday = self.birthday_edit
        chain: list[QWidget] = [
            self.salutation_combo,
            self.title_edit,
            self.first_name_edit,
            self.middle_name_edit,
            self.last_name_edit,
            self.suffix_edit,
            self.gender_combo,
            birthday.day_spin,
            birthday.month_combo,
            birthday.year_edit,
            self.lifecycle_combo,
            self.tags_edit,
            self.notes_edit,
            self.add_card_button,
            self.remove_card_button,
            self.card_tabs.tabBar(),
        ]
        for editor in self._cards:
            chain.extend(editor.tab_chain())
        chain.extend(self.buttons.buttons())
        set_tab_chain(chain)

    # ---- the record -----------------------------------------------------------------------------------------

    def record(self) -> PersonRecord:
        """The person as entered now (not yet normalised); empty cards are left out."""
        return self._base.replace(
            salutation=self.salutation_combo.value(),
            title=self.title_edit.text(),
            first_name=self.first_name_edit.text(),
            middle_name=self.middle_name_edit.text(),
            last_name=self.last_name_edit.text(),
            suffix=self.suffix_edit.text(),
            gender=self.gender_combo.value(),
            birthday=self.birthday_edit.birthday(),
            lifecycle=self.lifecycle_combo.value(),
            tags=self.tags_edit.tags(),
            notes=self.notes_edit.toPlainText(),
            cards=tuple(c.card() for c in self._cards if not c.is_empty()),
        )

    def problems(self) -> dict[str, str]:
        """Field path → message for everything that keeps Save disabled."""
        found: dict[str, str] = {}
        if not normalize_text(self.first_name_edit.text()) and not normalize_text(self.last_name_edit.text()):
            found["name"] = NAME_MISSING
        birthday = self.birthday_edit.problem()
        if birthday:
            found["birthday"] = birthday
        for i, editor in enumerate(self._cards):
            for key, message in editor.problems().items():
                found[f"cards[{i}].{key}"] = message
        return found

    def _revalidate(self) -> None:
        problems = self.problems()
        self.name_message.show_message(problems.get("name") if self._required_touched else None)
        self.birthday_message.show_message(problems.get("birthday"))
        self.save_button.setEnabled(not problems)
        self.save_button.setToolTip(next(iter(problems.values()), "") if problems else "")
        for i in range(len(self._cards)):  # a card with a problem shows its tab title in red
            bad = any(key.startswith(f"cards[{i}].") for key in problems)
            self.card_tabs.tabBar().setTabTextColor(i, ERROR_COLOUR if bad else QColor())
        self.general_message.show_message(None)
        self._update_header()

    def _update_header(self) -> None:
        if not hasattr(self, "first_name_edit"):
            return
        name = self.record_name()
        favourite = next((c for c in self._cards if c.favourite), self._cards[0] if self._cards else None)
        self.header.set_texts(name, favourite.subtitle() if favourite else "", placeholder="New person")

    def record_name(self) -> str:
        """The display name as entered ("Dr. Ines Brandt")."""
        parts = (self.title_edit, self.first_name_edit, self.middle_name_edit, self.last_name_edit, self.suffix_edit)
        return " ".join(t for t in (normalize_text(e.text()) for e in parts) if t)

    def _check(self, record: PersonRecord) -> PersonRecord:
        return check_person(record, region=self._ctx.region)

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        self._touch_required()

    @Slot()
    def _on_add_card_clicked(self) -> None:
        editor = self._add_card()
        editor.company_field.setFocus(Qt.FocusReason.OtherFocusReason)
        self._revalidate()

    @Slot()
    def _on_remove_card_clicked(self) -> None:
        index = self.card_tabs.currentIndex()
        if not 0 <= index < len(self._cards):
            return
        stubs = favourites.remove_card(self._stubs(), index)
        editor = self._cards.pop(index)
        page = self.card_tabs.widget(index)
        self.card_tabs.removeTab(index)
        if page is not None:
            page.deleteLater()
        editor.deleteLater()
        self._apply_favourites(stubs)
        if not self._cards:  # the last card: start afresh with an empty one (an empty card is not stored)
            self._add_card()
        self._fix_tab_order()
        self._revalidate()

    @Slot()
    def _on_rows_changed(self) -> None:
        self._fix_tab_order()

    @Slot()
    def _on_card_title_changed(self) -> None:
        self._show_card_tabs()

    @Slot(bool)
    def _on_card_favourite_clicked(self, on: bool) -> None:
        sender = self.sender()
        index = next((i for i, c in enumerate(self._cards) if c is sender), -1)
        if index < 0:
            return
        stubs = self._stubs()
        if on:
            cards = favourites.set_favourite(stubs, index)
        else:  # the favourite moves only by making another card the favourite (favourites.update_card)
            cards = favourites.update_card(stubs, index, BusinessCardRecord(id=stubs[index].id, favourite=False))
        self._apply_favourites(cards)
