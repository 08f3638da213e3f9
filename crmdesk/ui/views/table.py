"""The table of one entity in the main window: a view over a paged model, styled and behaving alike for all."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QSize, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from crmdesk.domain.records import Entity
from crmdesk.store.listing import ListQuery
from crmdesk.ui.models.table import PagedTableModel, cell_font
from crmdesk.ui.views.cells import TextCellDelegate

__all__ = ["RecordTable", "sort_order"]

_DEFAULT_WIDTHS = {
    Entity.PERSON: (175, 175, 150, 210, 130, 140, 100),
    Entity.COMPANY: (240, 170, 130, 150, 200, 70),
    Entity.TOUCHPOINT: (130, 100, 260, 200, 200),
}


_METRICS_CHANGE = (
    QEvent.Type.StyleChange,
    QEvent.Type.FontChange,
    QEvent.Type.PaletteChange,
    QEvent.Type.LayoutDirectionChange,
)


class RecordTable(QTableView):
    """A table over one paged model, styled and behaving alike for every entity."""

    _cells: TextCellDelegate | None = None  # until made: a style change can arrive while the view is constructed
    painted_itself = False  # whether the last paint was the delegate's own (paint_rows), for the tests

    def __init__(self, model: PagedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setObjectName(f"table_{model.entity.value}")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setIconSize(QSize(16, 16))
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QTableView.Shape.NoFrame)
        self.setFont(cell_font())  # no text shaping where the model does not ask for it (FontRole)
        self._cells = TextCellDelegate(self, model)  # draws plain text cells itself, as Qt would (views/cells.py)
        self.setItemDelegate(self._cells)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        if model.entity is Entity.PERSON:  # people drag out as vCards (models/table.py mimeData)
            self.setDragEnabled(True)
            self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
            self.setDefaultDropAction(Qt.DropAction.CopyAction)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 12)
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setSectionsMovable(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, w in enumerate(_DEFAULT_WIDTHS[model.entity]):
            hh.resizeSection(i, w)
        hh.setSortIndicator(model.sort_column(), sort_order(model.query))
        hh.setSortIndicatorShown(True)
        self.setSortingEnabled(True)  # after the indicator: enabling sorts by it, which is the model's own order

    def paintEvent(self, event: QPaintEvent) -> None:
        # Plain text rows are painted by the cell delegate in one go (views/cells.py), pixel for pixel as Qt would.
        cells = self._cells
        self.painted_itself = cells is not None and self.itemDelegate() is cells and cells.paint_rows(event.rect())
        if not self.painted_itself:
            super().paintEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _METRICS_CHANGE and self._cells is not None:
            self._cells.forget_metrics()
        super().changeEvent(event)

    def paged_model(self) -> PagedTableModel:
        model = self.model()
        assert isinstance(model, PagedTableModel)
        return model

    def selected_ids(self) -> list[str]:
        model = self.paged_model()
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [i for i in (model.id_at(r) for r in rows) if i is not None]

    def current_id(self) -> str | None:
        index = self.currentIndex()
        return self.paged_model().id_at(index.row()) if index.isValid() else None

    def select_id(self, record_id: str) -> bool:
        row = self.paged_model().row_of(record_id)
        if row is None:
            return False
        index = self.model().index(row, 0)
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.scrollTo(index)
        return True


def sort_order(q: ListQuery) -> Qt.SortOrder:
    return Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
