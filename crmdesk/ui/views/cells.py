"""Painting a record table's plain text: what Qt's table view and item delegate paint, with few calls into Python.

For every cell in sight, Qt's `QTableView` asks the model for an index (calling its `rowCount` and `columnCount`),
whether the cell is selected (its `flags`), draws the row's background through the style and hands the cell to
the delegate; `QStyledItemDelegate` then asks the model for seven roles (font, alignment, colours, check state,
icon, text, background) and has the style place, elide and draw the text — a dozen calls into Python a cell, and a
search's new page is ~150-200 cells. Here:

- `TextCellDelegate.paint_rows`, called by `RecordTable.paintEvent`, paints the rows in sight in one call: each
  row's background once (selection or alternate colour), each cell's text from the model's `plain_text`.
- `TextCellDelegate.paint` draws one plain cell the same way when Qt paints (a view with a cell it cannot draw).

Both draw where and as the style does — its margins, colours, elision and alignment, pixel for pixel (a test
compares them with Qt's own painting on every table: one and several rows selected, focused, in an active window
and an inactive one). Whatever they cannot draw goes to Qt: a cell with an icon, a value that is not text, text that
needs shaping (`models.table.needs_shaping`) or holds control characters, a right-to-left layout, a grid, a
selection of less than whole rows. The app's style is always Fusion with its stylesheet (`ui.style.apply`): that is
what the test checks them against. Measured on a 100,000-person store in CPU time of the GUI thread: the paint of a
search's page p50 6.9-7.9 ms with the cell delegate under Qt's view, 3.6-4.5 ms with the rows painted in one call.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView

from crmdesk.ui.models.table import PagedTableModel

__all__ = ["TextCellDelegate"]

# Flags as plain numbers: each operation on a Python enum member is a Python call (Python 3.11), several a cell.
_SELECTED = QStyle.StateFlag.State_Selected.value
_ENABLED = QStyle.StateFlag.State_Enabled.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
_Index = QModelIndex | QPersistentModelIndex
_Colours = tuple[QBrush, QColor, QColor, QBrush]  # selection background, selected text, text, alternate row


@dataclasses.dataclass(frozen=True, slots=True)
class _Metrics:
    """What every plain cell of the view shares, measured at its first paint after a style or font change."""

    own: bool  # False: every cell is painted by Qt (a right-to-left layout)
    left: int  # the text's box inside the cell
    top: int
    right: int
    bottom: int
    font: QFont
    font_metrics: QFontMetrics
    elide: Qt.TextElideMode


class TextCellDelegate(QStyledItemDelegate):
    """Draws the plain text cells of a `PagedTableModel` itself; Qt draws the others."""

    def __init__(self, view: QTableView, model: PagedTableModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._metrics: _Metrics | None = None
        self._by_palette: dict[tuple[int, int], _Colours] = {}  # by palette (its cache key) and colour group

    def forget_metrics(self) -> None:
        """The style, font, palette or layout direction changed: measure again at the next paint."""
        self._metrics = None
        self._by_palette.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        metrics = self._metrics or self._measure(option, index)
        text = self._model.plain_text(index.row(), index.column()) if metrics.own else None
        if text is None:
            super().paint(painter, option, index)
            return
        state = option.state.value
        highlight, selected_text, plain_text, _ = self._colours(
            option.palette, enabled=bool(state & _ENABLED), active=bool(state & _ACTIVE)
        )
        rect = option.rect
        if state & _SELECTED:
            painter.fillRect(rect, highlight)
            painter.setPen(selected_text)
        else:
            painter.setPen(plain_text)
        painter.setFont(metrics.font)
        _draw_text(painter, metrics, rect, self._model.alignment_value(index.column()), text)

    def paint_rows(self, rect: QRect) -> bool:
        """Paint the rows in `rect` of the viewport the way QTableView's paintEvent does with this delegate, cell
        by cell — each row's background once, each cell's text — in one call into Python instead of a dozen per
        cell. False, having painted nothing, where Qt must paint: before the first measurement, in a right-to-left
        layout, with a grid, a selection of less than whole rows, or a cell in sight that is not plain text."""
        view, model, metrics = self._view, self._model, self._metrics
        if metrics is None or not metrics.own or view.showGrid():
            return False
        first = view.rowAt(rect.top())
        if first < 0:
            return False
        last = view.rowAt(rect.bottom())
        if last < 0:
            last = model.rowCount() - 1
        header = view.horizontalHeader()
        left_visual = header.visualIndexAt(rect.left())
        right_visual = header.visualIndexAt(rect.right())
        if left_visual < 0:
            return False
        if right_visual < 0:
            right_visual = header.count() - 1
        columns = []
        for visual in range(left_visual, right_visual + 1):
            c = header.logicalIndex(visual)
            if not header.isSectionHidden(c):
                columns.append((c, view.columnViewportPosition(c), view.columnWidth(c), model.alignment_value(c)))
        if not columns:
            return False
        selected: set[int] = set()  # of the rows in sight (a select-all spans 100,000 rows in one range)
        last_column = model.columnCount() - 1
        selection = view.selectionModel().selection()
        for i in range(selection.count()):
            part = selection.at(i)
            if part.left() != 0 or part.right() != last_column:
                return False
            selected.update(range(max(part.top(), first), min(part.bottom(), last) + 1))
        plain = model.plain_text
        rows: list[tuple[int, int, int, list[str]]] = []
        for r in range(first, last + 1):
            found = [plain(r, c) for c, _, _, _ in columns]
            if None in found:
                return False
            rows.append((r, view.rowViewportPosition(r), view.rowHeight(r), cast("list[str]", found)))

        highlight, selected_text, plain_text, alternate = self._colours(
            view.palette(), enabled=view.isEnabled(), active=view.isActiveWindow()
        )
        alternating = view.alternatingRowColors()
        x = columns[0][1]
        width = columns[-1][1] + columns[-1][2] - x
        painter = QPainter(view.viewport())
        painter.setFont(metrics.font)
        for r, y, height, texts in rows:
            if r in selected:
                painter.fillRect(QRect(x, y, width, height), highlight)
                painter.setPen(selected_text)
            else:
                if alternating and r & 1:  # rows are never moved: the visual index is the row
                    painter.fillRect(QRect(x, y, width, height), alternate)
                painter.setPen(plain_text)
            for (_, cx, cw, align), text in zip(columns, texts, strict=True):
                _draw_text(painter, metrics, QRect(cx, y, cw, height), align, text)
        painter.end()
        return True

    def _colours(self, palette: QPalette, *, enabled: bool, active: bool) -> _Colours:
        """The colours the style paints a cell with, from the colour group it picks: disabled, else inactive in a
        window in the background."""
        group = 2 if not enabled else (0 if active else 1)
        key = (palette.cacheKey(), group)
        found = self._by_palette.get(key)
        if found is None:
            g = _GROUPS[group]
            found = (
                palette.brush(g, QPalette.ColorRole.Highlight),
                palette.color(g, QPalette.ColorRole.HighlightedText),
                palette.color(g, QPalette.ColorRole.Text),
                palette.brush(g, QPalette.ColorRole.AlternateBase),
            )
            if len(self._by_palette) >= 8:  # palettes come and go with style changes; a few are in use at a time
                self._by_palette.clear()
            self._by_palette[key] = found
        return found

    def _measure(self, option: QStyleOptionViewItem, index: _Index) -> _Metrics:
        """Where the style puts a plain cell's text — its text rectangle, less the margin it keeps inside that when
        it draws (the focus frame's, plus one) — and the view's font and elision."""
        sample = QStyleOptionViewItem(option)
        self.initStyleOption(sample, index)
        sample.icon = QIcon()  # a plain cell's rectangle, whichever cell is painted first
        sample.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        style = self._view.style()
        text = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, sample, self._view)
        inner = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self._view) + 1
        cell = sample.rect
        font = self._view.font()
        self._metrics = _Metrics(
            own=self._view.layoutDirection() == Qt.LayoutDirection.LeftToRight,
            left=text.left() - cell.left() + inner,
            top=text.top() - cell.top(),
            right=cell.right() - text.right() + inner,
            bottom=cell.bottom() - text.bottom(),
            font=font,
            font_metrics=QFontMetrics(font),
            elide=self._view.textElideMode(),
        )
        return self._metrics


def _draw_text(painter: QPainter, metrics: _Metrics, cell: QRect, align: int, text: str) -> None:
    """A cell's text where the style puts it, elided as the style would; pen and font are the caller's."""
    if not text:
        return
    box = QRect(
        cell.x() + metrics.left,
        cell.y() + metrics.top,
        cell.width() - metrics.left - metrics.right,
        cell.height() - metrics.top - metrics.bottom,
    )
    if metrics.font_metrics.horizontalAdvance(text) > box.width():
        text = metrics.font_metrics.elidedText(text, metrics.elide, box.width())
    painter.drawText(box, align, text)
