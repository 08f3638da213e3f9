"""ChangeHub: the one QObject that tells every view what a write changed (STYLE §3.7, pattern P3)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from crmdesk.domain.changes import ChangeSet


class ChangeHub(QObject):
    """Ops publish the ChangeSet of each finished write; models and panes refresh just what it names."""

    changed = Signal(object)  # ChangeSet

    def publish(self, change: ChangeSet | None) -> None:
        if change is not None:
            self.changed.emit(change)
