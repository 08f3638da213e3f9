"""The open sync conflicts, fully loaded (there are few): record, field, kept and other value, account, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from crmdesk.domain.merge import Value
from crmdesk.domain.records import Entity
from crmdesk.ui import icons
from crmdesk.ui.models.accounts import Role
from crmdesk.ui.models.table import display_time
from crmdesk.ui.ops_sync import COMPANY_LINK, ConflictRow

__all__ = ["COLUMNS", "ConflictsModel", "format_value"]

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Record", "Field", "Kept", "Not kept", "Account", "When")
EMPTY = "(empty)"


def format_value(field: str, value: Value) -> str:
    """A conflict's value as the user reads it: "(empty)" for nothing, lists one item a line."""
    if field.startswith(COMPANY_LINK):  # a link to a company: True, its position, or None (not linked)
        if value is None or value is False:
            return "Not linked"
        return "Linked" if value is True else f"Linked, as {value}"
    if value is None or value == "" or value == ():
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple):
        return "\n".join(value)
    return str(value)


class ConflictsModel(QAbstractTableModel):
    """Rows of `ConflictRow`; sort through a QSortFilterProxyModel (its `Role.SORT` sorts "When" by time)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ConflictRow] = []
        self._now: dt.datetime | None = None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        c = row.conflict
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 2:
                return _one_line(format_value(c.field, c.kept_value))
            if col == 3:
                return _one_line(format_value(c.field, c.other_value))
            if col == 5:
                return display_time(c.created_at, now=self._now)
            return (row.record_name, row.field_label, "", "", row.account_name)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col in (2, 3):
            return format_value(c.field, c.kept_value if col == 2 else c.other_value)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return icons.icon("person" if c.entity is Entity.PERSON else "companies")
        if role == Qt.ItemDataRole.FontRole and col == 0:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Role.ID:
            return c.id
        if role == Role.ACCOUNT:
            return c.account_id
        if role == Role.SORT:
            if col == 5:
                return c.created_at.timestamp()
            return str(self.data(index, Qt.ItemDataRole.DisplayRole) or "").casefold()
        return None

    def set_rows(self, rows: Sequence[ConflictRow], *, now: dt.datetime | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._now = now
        self.endResetModel()

    def conflict_row(self, row: int) -> ConflictRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, conflict_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == conflict_id), None)


def _one_line(text: str) -> str:
    return text.replace("\n", " · ")
