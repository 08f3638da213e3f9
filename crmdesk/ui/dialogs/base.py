"""What the record dialogs (person, company, touchpoint) share: the window, Save/Cancel, the modal run and accept.

A dialog builds its fields between `RecordDialog.__init__` (window, header) and `_build_save_row` (message line,
Save and Cancel, Ctrl+Return), and supplies `record`, `problems`, `_revalidate` and `_check`. Each dialog keeps its
own `ask()` classmethod (tests monkeypatch it, STYLE §8), which hands the dialog it built to `_run_modal`.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from PySide6.QtCore import Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from crmdesk.context import Context
from crmdesk.errors import ValidationError
from crmdesk.ui.dialogs.widgets import DialogHeader, FieldMessage, save_cancel_buttons
from crmdesk.ui.icons import icon

__all__ = ["RecordDialog"]

RecordT = TypeVar("RecordT")


class RecordDialog(QDialog, Generic[RecordT]):
    """A modal editor of one record, checked as the user types; Save stays disabled while anything is wrong.

    Args:
        ctx: The context.
        editing: True when an existing record is edited: the required field's message shows at once; for a new
            record it shows after the user edits that field or presses Save.
        window_icon: The window's icon.
        header_icon: The header's icon.
        parent: The parent widget.
    """

    def __init__(
        self, ctx: Context, *, editing: bool, window_icon: str, header_icon: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._result: RecordT | None = None
        self._required_touched = editing
        self.setWindowIcon(icon(window_icon))
        self.setModal(True)
        self.setSizeGripEnabled(True)

        self._root = QVBoxLayout(self)
        self._root.setContentsMargins(18, 16, 18, 14)
        self._root.setSpacing(12)
        self.header = DialogHeader(header_icon)
        self._root.addWidget(self.header)

    def _build_save_row(self) -> None:
        """The bottom row: the general message, Save and Cancel; Ctrl+Return saves too."""
        self.general_message = FieldMessage()
        self.buttons, self.save_button = save_cancel_buttons(self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.general_message, 1)
        bottom.addWidget(self.buttons)
        self._root.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._on_save_shortcut)

    def _run_modal(self) -> RecordT | None:
        """Show the dialog modally, then delete it; the checked record, or None if cancelled."""
        try:
            if self.exec() == QDialog.DialogCode.Accepted:
                return self.result_record()
            return None
        finally:
            self.deleteLater()

    # ---- the record -----------------------------------------------------------------------------------------

    def record(self) -> RecordT:
        """The record as entered now (not yet normalised)."""
        raise NotImplementedError

    def result_record(self) -> RecordT | None:
        """The checked, normalised record once the dialog was accepted; None before or if cancelled."""
        return self._result

    def problems(self) -> dict[str, str]:
        """Field path → message for everything that keeps Save disabled."""
        raise NotImplementedError

    def _check(self, record: RecordT) -> RecordT:
        """The record checked and normalised by the domain rules; raises ValidationError."""
        raise NotImplementedError

    def _revalidate(self) -> None:
        """Show the problems next to their fields and enable Save when there are none."""
        raise NotImplementedError

    def _touch_required(self) -> None:
        """From now on the required field (name, subject) says when it is missing."""
        self._required_touched = True
        self._revalidate()

    def accept(self) -> None:
        """Check the record with the domain rules and close with it, or say what is wrong and stay open."""
        if self.problems():
            self._touch_required()
            return
        try:
            self._result = self._check(self.record())
        except ValidationError as exc:
            self.general_message.show_message("; ".join(exc.problems.values()))
            self.save_button.setEnabled(False)
            return
        super().accept()

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_field_edited(self) -> None:
        self._revalidate()

    @Slot()
    def _on_save_shortcut(self) -> None:
        if self.save_button.isEnabled():
            self.accept()
