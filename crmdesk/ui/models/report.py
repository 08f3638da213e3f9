"""The import report as a table: one row per card, rejected cards first; filtered by outcome (STYLE §4.3).

The report is small and fully in memory (one line per card of the files the user picked), so a
`QSortFilterProxyModel` over it is fine; the rows are put in their display order once, when the report arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from crmdesk.domain.records import Entity
from crmdesk.exchange.importer import Outcome, ReportLine
from crmdesk.ui import icons
from crmdesk.ui.models.table import Role

_Index = QModelIndex | QPersistentModelIndex

OUTCOME_ROLE = Role.SORT_KEY + 1  # the row's Outcome (filtering, tests)

# Rejected cards first (what the user must look at), then what the import changes, then what it leaves alone.
_ORDER = {Outcome.REJECTED: 0, Outcome.CREATED: 1, Outcome.UPDATED: 2, Outcome.UNCHANGED: 3}

OUTCOME_LABELS = {
    Outcome.CREATED: ("New", "Will be added", "Created"),
    Outcome.UPDATED: ("Update", "Already stored: what the card says will be added to it", "Updated"),
    Outcome.UNCHANGED: ("Unchanged", "Already stored exactly like this", "Unchanged"),
    Outcome.REJECTED: ("Rejected", "Cannot be read: this card is skipped, the others still go in", "Rejected"),
}
"""Outcome → (short label, tooltip in a preview, short label after the import)."""

OUTCOME_ICONS = {
    Outcome.CREATED: "add",
    Outcome.UPDATED: "edit",
    Outcome.UNCHANGED: "unchanged",
    Outcome.REJECTED: "rejected",
}

REJECTED_TEXT = QColor("#b42318")
REJECTED_BACKGROUND = QColor("#fdf1f0")
MUTED_TEXT = QColor("#6b7280")

COLUMNS = ("Result", "Name", "File", "Card", "Line", "Reason or warnings")
COL_OUTCOME, COL_NAME, COL_FILE, COL_CARD, COL_LINE, COL_DETAILS = range(len(COLUMNS))


def sorted_lines(lines: Sequence[ReportLine]) -> list[ReportLine]:
    """What needs a look first: rejected cards, then cards with warnings, then created, updated, unchanged; within
    each in file and card order."""
    files = {name: i for i, name in enumerate(dict.fromkeys(line.file for line in lines))}

    def key(line: ReportLine) -> tuple[int, int, int, int]:
        attention = 0 if line.outcome is Outcome.REJECTED else 1 if line.warnings else 2
        return attention, _ORDER[line.outcome], files[line.file], line.number

    return sorted(lines, key=key)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def details(line: ReportLine) -> str:
    """The reason a card was rejected and what was kept differently than written, in one line."""
    return " · ".join(_sentence(x) for x in (line.reason, *line.warnings) if x)


class ImportReportModel(QAbstractTableModel):
    """The lines of an import report (or preview), read-only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines: list[ReportLine] = []
        self._done = False
        bold = QFont()
        bold.setWeight(QFont.Weight.DemiBold)
        self._bold = bold

    def set_lines(self, lines: Sequence[ReportLine], *, done: bool) -> None:
        """Show these lines (`done`: they say what happened, not what would happen)."""
        self.beginResetModel()
        self._lines = sorted_lines(lines)
        self._done = done
        self.endResetModel()

    def line(self, row: int) -> ReportLine | None:
        return self._lines[row] if 0 <= row < len(self._lines) else None

    # ---- Qt model API ------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(section)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.line(index.row()) if index.isValid() else None
        if line is None or not 0 <= index.column() < len(COLUMNS):
            return None
        col = index.column()
        rejected = line.outcome is Outcome.REJECTED
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, col)
        if role == Qt.ItemDataRole.DecorationRole:
            if col == COL_OUTCOME:
                return icons.icon(OUTCOME_ICONS[line.outcome])
            if col == COL_NAME and line.name:
                return icons.icon("companies" if line.entity is Entity.COMPANY else "person")
            if col == COL_DETAILS and line.warnings and not rejected:
                return icons.icon("warning")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_OUTCOME:
                return OUTCOME_LABELS[line.outcome][1] if not self._done else None
            if col == COL_DETAILS:
                return "\n".join(_sentence(x) for x in (line.reason, *line.warnings) if x) or None
            if col == COL_NAME and line.name:
                return line.name
            if col == COL_FILE:
                return line.where()
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if rejected and col in (COL_OUTCOME, COL_DETAILS):
                return QBrush(REJECTED_TEXT)
            if col in (COL_FILE, COL_CARD, COL_LINE) or (col == COL_NAME and not line.name):
                return QBrush(MUTED_TEXT)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(REJECTED_BACKGROUND) if rejected else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if rejected and col == COL_OUTCOME else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(col)
        if role == OUTCOME_ROLE:
            return line.outcome
        if role == Role.ID:
            return line.record_id
        return None

    def _text(self, line: ReportLine, col: int) -> str:
        if col == COL_OUTCOME:
            return OUTCOME_LABELS[line.outcome][2 if self._done else 0]
        if col == COL_NAME:
            return line.name or "—"
        if col == COL_FILE:
            return line.file
        if col == COL_CARD:
            return f"{line.number:,}" if line.number else "—"
        if col == COL_LINE:
            return f"{line.line:,}" if line.line else "—"
        return details(line)


def _alignment(col: int) -> Qt.AlignmentFlag:
    if col in (COL_CARD, COL_LINE):
        return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class OutcomeFilter(QSortFilterProxyModel):
    """Shows the lines of one outcome, or all (None)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._outcome: Outcome | None = None

    @property
    def outcome(self) -> Outcome | None:
        return self._outcome

    def set_outcome(self, outcome: Outcome | None) -> None:
        if outcome is self._outcome:
            return
        self.beginFilterChange()
        self._outcome = outcome
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if self._outcome is None:
            return True
        model = self.sourceModel()
        if not isinstance(model, ImportReportModel):
            return True
        line = model.line(source_row)
        return line is not None and line.outcome is self._outcome
