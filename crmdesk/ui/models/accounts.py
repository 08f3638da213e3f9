"""Small, fully loaded models of the accounts page: the accounts with their state, and one account's outbox."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from crmdesk.domain.records import Entity
from crmdesk.ui import icons

if TYPE_CHECKING:
    from crmdesk.sync.run import OutboxEntry

__all__ = ["AccountView", "AccountsModel", "OutboxModel", "Role"]

_Index = QModelIndex | QPersistentModelIndex


class Role(enum.IntEnum):
    """The custom roles of the sync models (STYLE §4.4)."""

    ID = Qt.ItemDataRole.UserRole + 1  # an account's, an outbox entry's record's or a conflict's id
    SORT = Qt.ItemDataRole.UserRole + 2  # what the column sorts by, where that is not its text
    ACCOUNT = Qt.ItemDataRole.UserRole + 3  # a conflict's account id (the Conflicts page filters by it)


@dataclass(frozen=True, slots=True)
class AccountView:
    """One account as the page shows it, in words (built by the page from the controller's state)."""

    id: str
    name: str
    kind: str
    url: str
    state: str
    state_icon: str
    state_colour: str  # "#rrggbb", or "" for the normal text colour
    state_tip: str
    last_sync: str
    last_sync_tip: str
    pending: str
    conflicts: str
    enabled: bool = True


_ACCOUNT_COLUMNS = ("Account", "Kind", "State", "Last sync", "To send", "Conflicts", "URL")
_NUMERIC = frozenset({4, 5})


class AccountsModel(QAbstractTableModel):
    """The accounts; `set_rows` repaints rows in place when the accounts are the same, resets otherwise."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AccountView] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_ACCOUNT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_ACCOUNT_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _ACCOUNT_COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align(section in _NUMERIC)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.kind, row.state, row.last_sync, row.pending, row.conflicts, row.url)[col]
        if role == Qt.ItemDataRole.DecorationRole:
            if col == 0:
                return icons.icon("accounts")
            if col == 2 and row.state_icon:
                return icons.icon(row.state_icon)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 2 and row.state_colour:
                return QBrush(QColor(row.state_colour))
            if not row.enabled:
                return QBrush(QColor("#6b7280"))
            return None
        if role == Qt.ItemDataRole.FontRole and col == 0:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return {2: row.state_tip, 3: row.last_sync_tip, 6: row.url}.get(col) or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align(col in _NUMERIC)
        if role == Role.ID:
            return row.id
        return None

    def set_rows(self, rows: Sequence[AccountView]) -> None:
        rows = list(rows)
        if [r.id for r in rows] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return
        for i, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
            if old != new:
                self._rows[i] = new
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(_ACCOUNT_COLUMNS) - 1))

    def id_at(self, row: int) -> str | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, account_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == account_id), None)


_CHANGE_WORDS = {"new": "New", "changed": "Changed", "deleted": "Deleted"}
_CHANGE_ICONS = {"new": "add", "changed": "edit", "deleted": "delete"}
DISCARD_COLUMN = 2


class OutboxModel(QAbstractTableModel):
    """The changes one account's next sync sends; the last column is the "Discard…" link of each."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[OutboxEntry] = []
        self.account_id = ""

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 3:
            return ("Record", "Change", "")[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (entry.name or "(no name)", _CHANGE_WORDS.get(entry.change, entry.change), "Discard…")[col]
        if role == Qt.ItemDataRole.DecorationRole:
            if col == 0:
                return icons.icon("person" if entry.entity is Entity.PERSON else "companies")
            if col == 1:
                return icons.icon(_CHANGE_ICONS.get(entry.change, "edit"))
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == DISCARD_COLUMN:
            return QBrush(QColor("#2f6fde"))
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return entry.name
        if role == Qt.ItemDataRole.ToolTipRole and col == DISCARD_COLUMN:
            if entry.change == "new":
                return "Delete this record: it has never been sent"
            return "Take this change back before it is sent"
        if role == Role.ID:
            return entry.local_id
        return None

    def set_entries(self, account_id: str, entries: Sequence[OutboxEntry]) -> None:
        self.beginResetModel()
        self.account_id = account_id
        self._rows = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> OutboxEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None


def _align(right: bool) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter
