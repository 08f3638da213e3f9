"""Questions asked before something is deleted; module functions so tests can monkeypatch them (STYLE §8)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from crmdesk.ui.icons import icon

__all__ = ["confirm_delete", "delete_question"]


def delete_question(*, what: str, count: int) -> str:
    """ "Delete Ines Brandt?" for one record, "Delete 3 people?" for several (`what` is the noun then)."""
    return f"Delete {what}?" if count == 1 else f"Delete {count} {what}?"


def confirm_delete(parent: QWidget | None, *, what: str, count: int) -> bool:
    """Ask whether to delete; Cancel is the default, so a stray Enter deletes nothing.

    Args:
        parent: The window asking.
        what: For one record its name ("Ines Brandt"); for several the plural noun ("people").
        count: How many records would be deleted.

    Returns:
        True if the user chose Delete.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete" if count == 1 else f"Delete {count} {what}")
    box.setText(delete_question(what=what, count=count))
    undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText) or "Ctrl+Z"
    box.setInformativeText(f"You can bring {'it' if count == 1 else 'them'} back with Edit ▸ Undo ({undo}).")
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    delete.setIcon(icon("delete"))
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is delete
