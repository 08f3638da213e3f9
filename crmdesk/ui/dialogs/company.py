"""The company editor: name, legal form, industry, website, tags, notes and typed e-mails, phones, addresses.

Open it with `CompanyDialog.ask(...)`, which tests monkeypatch (STYLE §8). Fields are checked as the user types
(`domain.validate.company_problems`); Save stays disabled while anything is wrong.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.normalize import normalize_text
from crmdesk.domain.records import CompanyRecord
from crmdesk.domain.validate import MAX_NAME, check_company, company_problems
from crmdesk.ui.dialogs.base import RecordDialog
from crmdesk.ui.dialogs.contacts import ContactKind, ContactListEditor
from crmdesk.ui.dialogs.widgets import (
    ChoiceCombo,
    TagEdit,
    field_label,
    make_form,
    set_tab_chain,
    top_label,
    with_message,
)
from crmdesk.ui.icons import icon
from crmdesk.ui.workers import JobRunner

__all__ = ["CompanyDialog"]

LEGAL_FORMS = tuple(
    (form, form) for form in ("GmbH", "GmbH & Co. KG", "AG", "KG", "OHG", "UG", "e.K.", "SE", "Ltd", "LLC", "Inc.")
)
NAME_MISSING = "A company needs a name"


class CompanyDialog(RecordDialog[CompanyRecord]):
    """Create or edit a company.

    Args:
        ctx: The context (store for tag look-ups, region for phone numbers).
        runner: Runs look-up jobs.
        record: The company to edit; None for a new one.
        parent: The parent widget.
    """

    def __init__(
        self, ctx: Context, runner: JobRunner, record: CompanyRecord | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            ctx, editing=record is not None, window_icon="companies", header_icon="companies", parent=parent
        )
        self._base = record if record is not None else CompanyRecord()
        self.setWindowTitle(f"Edit — {record.name}" if record is not None else "New company")

        columns = QHBoxLayout()
        columns.setSpacing(18)
        self._root.addLayout(columns, 1)

        left = QWidget()
        left.setMinimumWidth(340)
        left.setMaximumWidth(420)
        form = make_form(left)
        form.setContentsMargins(0, 0, 0, 0)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Brandt Maschinenbau GmbH")
        self.name_edit.setMaxLength(MAX_NAME)
        name_box, self.name_message = with_message(self.name_edit)
        form.addRow(field_label("&Name:", self.name_edit), name_box)
        self.legal_form_combo = ChoiceCombo(LEGAL_FORMS, placeholder="e.g. GmbH")
        form.addRow("Le&gal form:", self.legal_form_combo)
        self.industry_edit = QLineEdit()
        self.industry_edit.setPlaceholderText("e.g. Mechanical engineering")
        self.industry_edit.setMaxLength(MAX_NAME)
        form.addRow("&Industry:", self.industry_edit)
        self.website_edit = QLineEdit()
        self.website_edit.setPlaceholderText("example.com")
        self.website_edit.addAction(icon("web"), QLineEdit.ActionPosition.LeadingPosition)
        website_box, self.website_message = with_message(self.website_edit)
        form.addRow(field_label("&Website:", self.website_edit), website_box)
        self.tags_edit = TagEdit(ctx, runner)
        form.addRow("T&ags:", self.tags_edit)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText("Notes about this company")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(110)
        form.addRow(top_label("N&otes:", self.notes_edit), self.notes_edit)
        columns.addWidget(left, 0)

        right = QVBoxLayout()
        right.setSpacing(6)
        contact = QWidget()
        contact_form = make_form(contact)
        contact_form.setContentsMargins(0, 0, 8, 0)
        self.emails = ContactListEditor(ContactKind.EMAIL, region=ctx.region)
        contact_form.addRow(top_label("E-mail:"), self.emails)
        self.phones = ContactListEditor(ContactKind.PHONE, region=ctx.region)
        contact_form.addRow(top_label("Phone:"), self.phones)
        self.addresses = ContactListEditor(ContactKind.ADDRESS, region=ctx.region)
        contact_form.addRow(top_label("Address:"), self.addresses)
        scroll = QScrollArea()
        scroll.setWidget(contact)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(480)
        right.addWidget(scroll, 1)
        columns.addLayout(right, 1)

        self._build_save_row()

        self._load(self._base)
        self.name_edit.textEdited.connect(self._on_name_edited)
        for edit in (self.name_edit, self.industry_edit, self.website_edit, self.tags_edit):
            edit.textChanged.connect(self._on_field_edited)
        self.legal_form_combo.changed.connect(self._on_field_edited)
        self.notes_edit.textChanged.connect(self._on_field_edited)
        for editor in (self.emails, self.phones, self.addresses):
            editor.changed.connect(self._on_field_edited)
            editor.rows_changed.connect(self._on_rows_changed)
        self._on_rows_changed()
        self._revalidate()
        self.resize(self.sizeHint().expandedTo(QSize(900, 560)).boundedTo(QSize(1200, 740)))
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @classmethod
    def ask(
        cls, parent: QWidget | None, ctx: Context, runner: JobRunner, record: CompanyRecord | None = None
    ) -> CompanyRecord | None:
        """Show the dialog modally.

        Args:
            parent: The window the dialog belongs to.
            ctx: The context.
            runner: Runs look-up jobs.
            record: The company to edit, or None for a new one.

        Returns:
            The edited company, normalised, with the id of `record` kept; None if cancelled.
        """
        return cls(ctx, runner, record, parent)._run_modal()

    def _load(self, c: CompanyRecord) -> None:
        self.name_edit.setText(c.name)
        self.legal_form_combo.set_value(c.legal_form)
        self.industry_edit.setText(c.industry)
        self.website_edit.setText(c.website)
        self.tags_edit.set_tags(c.tags)
        self.notes_edit.setPlainText(c.notes)
        self.emails.set_values(c.emails)
        self.phones.set_values(c.phones)
        self.addresses.set_values(c.addresses)
        if not self.emails.rows():
            self.emails.add_row()
        if not self.phones.rows():
            self.phones.add_row()
        if not self.addresses.rows():
            self.addresses.add_row()

    # ---- the record -----------------------------------------------------------------------------------------

    def record(self) -> CompanyRecord:
        """The company as entered now (not yet normalised)."""
        return self._base.replace(
            name=self.name_edit.text(),
            legal_form=self.legal_form_combo.value(),
            industry=self.industry_edit.text(),
            website=self.website_edit.text(),
            tags=self.tags_edit.tags(),
            notes=self.notes_edit.toPlainText(),
            emails=self.emails.values(),
            phones=self.phones.values(),
            addresses=self.addresses.values(),
        )

    def problems(self) -> dict[str, str]:
        """Field path → message for everything that keeps Save disabled."""
        found = {
            key: message
            for key, message in company_problems(self.record(), region=self._ctx.region).items()
            if not key.startswith(("emails[", "phones[", "addresses["))  # positions of non-empty rows: see below
        }
        for name, editor in (("emails", self.emails), ("phones", self.phones), ("addresses", self.addresses)):
            for i, message in editor.problems().items():
                found[f"{name}[{i}]"] = message
        return found

    def _revalidate(self) -> None:
        problems = self.problems()
        self.name_message.show_message(problems.get("name") if self._required_touched else None)
        self.website_message.show_message(problems.get("website"))
        self.save_button.setEnabled(not problems)
        self.save_button.setToolTip(next(iter(problems.values()), "") if problems else "")
        self.general_message.show_message(None)
        name = normalize_text(self.name_edit.text())
        legal_form = self.legal_form_combo.value()
        if legal_form and name.endswith(legal_form):
            legal_form = ""
        subtitle = " · ".join(p for p in (normalize_text(self.industry_edit.text()), legal_form) if p)
        self.header.set_texts(name, subtitle, placeholder="New company")

    def _check(self, record: CompanyRecord) -> CompanyRecord:
        return check_company(record, region=self._ctx.region)

    @Slot()
    def _on_rows_changed(self) -> None:
        chain: list[QWidget] = [
            self.name_edit,
            self.legal_form_combo,
            self.industry_edit,
            self.website_edit,
            self.tags_edit,
            self.notes_edit,
        ]
        for editor in (self.emails, self.phones, self.addresses):
            chain.extend(editor.tab_chain())
        chain.extend(self.buttons.buttons())
        set_tab_chain(chain)

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        self._touch_required()
