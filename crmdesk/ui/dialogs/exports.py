"""The export dialog: which people (selected, the current search or tag, everyone), which format, how many files.

`ExportDialog.ask(...)` shows it modally and returns an `ExportChoice`, or None if cancelled (tests monkeypatch
it, STYLE §8). The dialog only chooses; the window asks for the file or folder and runs the export in a job.
The counts of the search result and of everyone come from a count job on the read pool.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.records import Entity
from crmdesk.exchange.exporter import Format, Selection
from crmdesk.store.listing import ListQuery
from crmdesk.ui import ops
from crmdesk.ui.dialogs.files import safe_file_stem
from crmdesk.ui.dialogs.widgets import DialogHeader, make_form, top_label
from crmdesk.ui.icons import icon
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["FORMATS", "ExportChoice", "ExportDialog"]

log = logging.getLogger(__name__)

FORMATS: tuple[tuple[Format, str, str], ...] = (
    (Format.VCARD3, "vCard 3.0", "Read by every address book: Apple Contacts, Outlook, Thunderbird, Android"),
    (Format.VCARD4, "vCard 4.0", "The current standard (RFC 6350), for programs that read it"),
    (Format.GOOGLE_CSV, "Google Contacts CSV", "A table in the columns of a Google Contacts export"),
    (Format.OUTLOOK_CSV, "Outlook CSV", "A table in the columns of an Outlook export"),
)


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """What the user chose: whom (`selection`, described by `what`), the format, and one file or one per person."""

    selection: Selection
    fmt: Format
    split: bool
    what: str
    file_stem: str

    @property
    def is_vcard(self) -> bool:
        return self.fmt in (Format.VCARD3, Format.VCARD4)


def _people(n: int | None) -> str:
    if n is None:
        return "…"
    return f"{n:,} {'person' if n == 1 else 'people'}"


class ExportDialog(QDialog):
    """Choose whom to export and how.

    Args:
        ctx: The context (the counts are read from its store).
        runner: Runs the count job.
        selected: (id, display name) of the selected people, in table order.
        query: The People table's query (its search and tag); without either, only selection and everyone show.
        prefer_selected: Start with the selected people chosen even when only one is (the table's context menu);
            otherwise they are chosen when several are, else the search result, else everyone.
        parent: The window.
    """

    def __init__(
        self,
        ctx: Context,
        runner: JobRunner,
        *,
        selected: Sequence[tuple[str, str]],
        query: ListQuery,
        prefer_selected: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._selected = list(selected)
        self._query = query
        self._filtered = bool(query.search.strip() or query.tag)
        self._counts: dict[str, int | None] = {"selected": len(self._selected), "search": None, "everyone": None}
        self.setWindowTitle("Export people")
        self.setWindowIcon(icon("export"))
        self.setObjectName("exportDialog")
        self.setModal(True)

        root = QVBoxLayout(self)
        root.setContentsMargins(18, 16, 18, 14)
        root.setSpacing(14)
        self.header = DialogHeader("export")
        self.header.set_texts("Export people", "As vCards or a CSV table, for another address book or a mail merge")
        root.addWidget(self.header)

        form = make_form()
        form.setVerticalSpacing(10)
        who = QVBoxLayout()
        who.setSpacing(6)
        self._who = QButtonGroup(self)
        self.selected_radio = QRadioButton()
        self.search_radio = QRadioButton()
        self.everyone_radio = QRadioButton()
        for i, radio in enumerate((self.selected_radio, self.search_radio, self.everyone_radio)):
            self._who.addButton(radio, i)
            who.addWidget(radio)
        self.search_radio.setVisible(self._filtered)
        self.selected_radio.setEnabled(bool(self._selected))
        self._who.idToggled.connect(self._on_who_toggled)
        who_label = top_label("People:")
        who_label.setContentsMargins(0, 1, 0, 0)
        form.addRow(who_label, who)

        self.format_combo = QComboBox()
        for fmt, label, tip in FORMATS:
            self.format_combo.addItem(label, fmt.value)
            self.format_combo.setItemData(self.format_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.format_hint = QLabel()
        self.format_hint.setObjectName("formatHint")
        self.format_hint.setWordWrap(True)
        fmt_box = QVBoxLayout()
        fmt_box.setSpacing(3)
        fmt_box.addWidget(self.format_combo)
        fmt_box.addWidget(self.format_hint)
        format_label = top_label("&Format:", self.format_combo)
        form.addRow(format_label, fmt_box)

        files = QVBoxLayout()
        files.setSpacing(6)
        self._files = QButtonGroup(self)
        self.one_file_radio = QRadioButton("One file")
        self.split_radio = QRadioButton("One file per person, in a folder")
        self._files.addButton(self.one_file_radio, 0)
        self._files.addButton(self.split_radio, 1)
        self.one_file_radio.setChecked(True)
        files.addWidget(self.one_file_radio)
        files.addWidget(self.split_radio)
        files_label = top_label("Files:")
        files_label.setContentsMargins(0, 1, 0, 0)
        form.addRow(files_label, files)
        root.addLayout(form)
        root.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setIcon(icon("export"))
        self.export_button.setDefault(True)
        self.export_button.setMinimumWidth(104)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setIcon(QIcon())  # like every crmdesk dialog: no dated style icon on Cancel
        cancel.setMinimumWidth(96)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)

        if len(self._selected) > 1 or (prefer_selected and self._selected):
            self.selected_radio.setChecked(True)
        elif self._filtered:
            self.search_radio.setChecked(True)
        else:
            self.everyone_radio.setChecked(True)
        self._update_texts()
        self._on_format_changed(0)
        self.setMinimumWidth(580)
        self._count_job: Job | None = self._start_count(runner)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        ctx: Context,
        runner: JobRunner,
        *,
        selected: Sequence[tuple[str, str]],
        query: ListQuery,
        prefer_selected: bool = False,
    ) -> ExportChoice | None:
        """Show the dialog modally; the choice, or None if cancelled.

        Args:
            parent: The window.
            ctx: The context.
            runner: Runs the count job.
            selected: (id, display name) of the selected people.
            query: The People table's current query.
            prefer_selected: Start with the selected people chosen, even just one.
        """
        dialog = cls(ctx, runner, selected=selected, query=query, prefer_selected=prefer_selected, parent=parent)
        try:
            return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            if dialog._count_job is not None:
                dialog._count_job.cancel.set()
            dialog.deleteLater()

    # ---- the choice -----------------------------------------------------------------------------------------

    def choice(self) -> ExportChoice:
        """What the dialog says now."""
        fmt = Format(self.format_combo.currentData())
        split = self.split_radio.isChecked() and fmt in (Format.VCARD3, Format.VCARD4)
        if self.selected_radio.isChecked() and self._selected:
            ids = tuple(i for i, _ in self._selected)
            what = _people(len(ids))
            stem = self._selected[0][1] if len(ids) == 1 else f"{len(ids)} contacts"
            return ExportChoice(Selection(ids=ids), fmt, split, what, safe_file_stem(stem))
        if self.search_radio.isChecked() and self._filtered:
            stem = self._query.search.strip() or self._query.tag
            what = _people(self._counts["search"])
            return ExportChoice(Selection(query=self._query), fmt, split, what, safe_file_stem(stem))
        return ExportChoice(
            Selection(query=ListQuery(Entity.PERSON)), fmt, split, _people(self._counts["everyone"]), "contacts"
        )

    def _search_text(self, n: int | None) -> str:
        """ "The 12 people found for “brandt”", "The person tagged VIP", "The people found for “x”" (count unknown)."""
        q = self._query
        who = "The person" if n == 1 else "The people" if n is None else f"The {n:,} people"
        found = f"found for “{q.search.strip()}”" if q.search.strip() else ""
        tagged = f"tagged {q.tag}" if q.tag else ""
        return " ".join(x for x in (who, found, tagged) if x)

    def _update_texts(self) -> None:
        c = self._counts
        if len(self._selected) == 1:
            self.selected_radio.setText(f"The selected person: {self._selected[0][1] or '(no name)'}")
        elif self._selected:
            self.selected_radio.setText(f"The {len(self._selected):,} selected people")
        else:
            self.selected_radio.setText("The selected people (select them in the table first)")
        self.search_radio.setText(self._search_text(c["search"]))
        self.everyone_radio.setText(f"Everyone ({_people(c['everyone'])})")

    # ---- counts ---------------------------------------------------------------------------------------------

    def _start_count(self, runner: JobRunner) -> Job:
        job = ops.count_people(self._ctx, [Selection(query=self._query), Selection(query=ListQuery(Entity.PERSON))])
        job.signals.succeeded.connect(self._on_count_done)
        job.signals.failed.connect(self._on_count_failed)
        runner.read(job)
        return job

    @Slot(object)
    def _on_count_done(self, counts: list[int]) -> None:
        self._count_job = None
        self._counts["search"], self._counts["everyone"] = counts
        self._update_texts()
        if not self._selected and not self._filtered and counts[1] == 0:
            self.export_button.setEnabled(False)
            self.format_hint.setText("There is nobody to export yet.")

    @Slot(object)
    def _on_count_failed(self, exc: BaseException) -> None:
        self._count_job = None
        log.info("counting the people to export failed: %s", exc)  # the counts stay "…"; the export still works

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot(int, bool)
    def _on_who_toggled(self, button_id: int, checked: bool) -> None:
        if checked:
            self._update_split()

    @Slot(int)
    def _on_format_changed(self, index: int) -> None:
        fmt = Format(self.format_combo.currentData())
        self.format_hint.setText(next(tip for f, _, tip in FORMATS if f is fmt))
        self._update_split()

    def _update_split(self) -> None:
        vcard = Format(self.format_combo.currentData()) in (Format.VCARD3, Format.VCARD4)
        self.split_radio.setEnabled(vcard)
        if not vcard:
            self.one_file_radio.setChecked(True)
        self.split_radio.setToolTip("" if vcard else "A CSV export is always one table")
