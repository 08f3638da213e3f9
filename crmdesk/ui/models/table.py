"""Paged table models for People, Companies and Touchpoints (STYLE §4, patterns P3-P5).

A model holds only the rows loaded so far and asks the store for the next keyset page in `fetchMore`.
Sorting and filtering happen in SQL: a new sort or search replaces the rows with a fresh first page.
First pages of a search are loaded by a job (latest wins); `fetchMore` reads one indexed page on the
GUI thread with its own short session, which STYLE §3.6 allows.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import enum
import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont

from crmdesk.context import Context
from crmdesk.domain import normalize
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import Entity, TouchpointType
from crmdesk.errors import Cancelled, CrmdeskError
from crmdesk.store import listing
from crmdesk.store.listing import COLUMNS, ListQuery, Row
from crmdesk.tasks import CancelToken
from crmdesk.ui import drag, icons, labels
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.workers import Job, JobRunner

log = logging.getLogger(__name__)

PAGE = 200
# The first page of a new search or sort is smaller: it fills a tall window and is on screen sooner; scrolling
# fetches PAGE more at a time.
FIRST_PAGE = 60
_Index = QModelIndex | QPersistentModelIndex


class Role(enum.IntEnum):
    """Custom data roles of every crmdesk model."""

    ID = Qt.ItemDataRole.UserRole + 1
    SORT_KEY = Qt.ItemDataRole.UserRole + 2


def display_time(value: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """Local time, short: "14:03" today, "Yesterday 09:10", "12 Mar 14:03" this year, else "12 Mar 2024"."""
    if value is None:
        return ""
    local = value.astimezone()
    today = (now or dt.datetime.now().astimezone()).date()
    if local.date() == today:
        return local.strftime("Today %H:%M")
    if local.date() == today - dt.timedelta(days=1):
        return local.strftime("Yesterday %H:%M")
    if local.year == today.year:
        return f"{local.day} {local.strftime('%b %H:%M')}"
    return f"{local.day} {local.strftime('%b %Y')}"


class PagedTableModel(QAbstractTableModel):
    """Rows of one entity for one ListQuery, loaded page by page."""

    query_applied = Signal(object)  # ListQuery, once its first page is shown
    count_known = Signal(object, int)  # ListQuery, number of matching records
    load_failed = Signal(object)  # exception
    drag_refused = Signal(int)  # more people were dragged than one drag carries (drag.MAX_DRAG)

    def __init__(
        self, ctx: Context, entity: Entity, *, hub: ChangeHub, runner: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self._columns = COLUMNS[entity]
        # As plain numbers: handing Qt a Python enum member costs a Python call (its `value`) in every cell of
        # every paint.
        self._align_value = [int(self._alignment(c).value) for c in range(len(self._columns))]
        self._decorated = [col.key == "type" for col in self._columns]  # a touchpoint's type shows its icon
        self._flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if entity is Entity.PERSON:  # people drag out as vCards (drag.py)
            self._flags |= Qt.ItemFlag.ItemIsDragEnabled
        # `_shown` is the query the loaded rows belong to; `_wanted` the latest one asked for. They differ
        # while a new sort or search loads: meanwhile the rows keep the shown query's order, so paging,
        # lookups and change notices keep using it, and none of them mixes the two orders.
        self._shown = ListQuery(
            entity, sort=listing.DEFAULT_SORT[entity][0], descending=listing.DEFAULT_SORT[entity][1]
        )
        self._wanted = self._shown
        self.last_count: int | None = None  # of the shown query, once the count job has told
        self._rows: list[Row] = []
        self._by_id: dict[str, Row] = {}  # loaded rows by id; their index is found by bisecting their key
        self._exhausted = True
        self._page_job: Job | None = None
        self._count_job: Job | None = None
        hub.changed.connect(self._on_hub_changed)

    # ---- Qt model API ------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._align_value[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called about a thousand times a repaint, for a dozen roles: unknown roles leave first, and the
        # display text of a value is formatted once (see _display_text), not on every paint.
        if role not in _ROLES:
            return None
        r, c = index.row(), index.column()  # an invalid index has row and column -1
        if not (0 <= r < len(self._rows) and 0 <= c < len(self._columns)):
            return None
        row = self._rows[r]
        if role == _DISPLAY:
            return self._text(row, c)
        if role == _FONT:
            text = self._text(row, c)  # as shown: a time's text is in the user's locale ("%b" may be Arabic)
            return _shaping_font() if isinstance(text, str) and needs_shaping(text) else None
        if role == _ALIGN:
            return self._align_value[c]
        if role == _DECORATION:
            return icons.icon(str(row.values[c])) if self._decorated[c] else None
        if role == _TOOLTIP:
            value = row.values[c]
            if isinstance(value, dt.datetime):
                return value.astimezone().strftime("%A, %d %B %Y, %H:%M")
            text = _display_text(self._columns[c].key, value, self._ctx.region, None)
            return text if isinstance(text, str) and len(text) > 24 else None
        if role == Role.ID:
            return row.id
        return row.key  # Role.SORT_KEY

    def plain_text(self, r: int, c: int) -> str | None:
        """Cell (r, c)'s text where a delegate may draw it as plain text (views/cells.py); None for a cell with an
        icon, a value that is not text, or text that needs shaping or holds control characters."""
        if not (0 <= r < len(self._rows) and 0 <= c < len(self._columns)) or self._decorated[c]:
            return None
        text = self._text(self._rows[r], c)
        if not isinstance(text, str) or not text.isprintable() or needs_shaping(text):
            return None
        return text

    def alignment_value(self, c: int) -> int:
        """Column c's text alignment as the number Qt's flags are."""
        return self._align_value[c]

    def _text(self, row: Row, c: int) -> Any:
        value = row.values[c]
        # Only a time's text depends on the day ("Today 14:03"); asking the clock for every cell was 7 % of a repaint.
        today = _today() if isinstance(value, dt.datetime) else None
        return _display_text(self._columns[c].key, value, self._ctx.region, today)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if index.row() < 0:  # invalid (the root)
            return Qt.ItemFlag.NoItemFlags
        return self._flags

    def mimeTypes(self) -> list[str]:
        return list(drag.MIME_TYPES) if self.entity is Entity.PERSON else []

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]  # None: no drag
        """The dragged people as vCard data and a temporary .vcf file (read by id: at most `drag.MAX_DRAG`)."""
        if self.entity is not Entity.PERSON:
            return None
        rows = sorted({i.row() for i in indexes if i.isValid()})
        ids = [r for r in (self.id_at(row) for row in rows) if r is not None]
        if not ids:
            return None
        if len(ids) > drag.MAX_DRAG:
            self.drag_refused.emit(len(ids))
            return None
        return drag.person_mime_data(self._ctx, ids)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and not self._exhausted and self._wanted == self._shown

    def fetchMore(self, parent: _Index) -> None:
        if not self.canFetchMore(parent):
            return
        after = self._rows[-1].key if self._rows else None
        try:
            with self._ctx.store.read() as s:
                page = listing.page(s, self._shown, after=after, limit=PAGE)
        except CrmdeskError as e:
            self._exhausted = True
            self.load_failed.emit(e)
            return
        self._append(page)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        key = self._columns[column].key
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._wanted.sort and descending == self._wanted.descending:
            return
        self.set_query(self._query_with(sort=key, descending=descending))

    # ---- queries -----------------------------------------------------------------------------------------

    @property
    def query(self) -> ListQuery:
        """The latest query asked for (its rows may still be loading)."""
        return self._wanted

    @property
    def loading(self) -> bool:
        """Whether the first page of the latest query is still on its way."""
        return self._page_job is not None

    @property
    def entity(self) -> Entity:
        return self._wanted.entity

    def sort_column(self) -> int:
        return next(i for i, c in enumerate(self._columns) if c.key == self._wanted.sort_spec.key)

    def _query_with(self, **changes: Any) -> ListQuery:
        return dataclasses.replace(self._wanted, **changes)

    def set_filter(self, *, search: str | None = None, tag: str | None = None) -> None:
        """Show the records matching this search text and tag (None keeps the current one)."""
        changes: dict[str, Any] = {}
        if search is not None:
            changes["search"] = search
        if tag is not None:
            changes["tag"] = tag
        self.set_query(self._query_with(**changes))

    def set_query(self, query: ListQuery) -> None:
        """Replace the rows by the first page of `query`, loaded in a job; a later call wins."""
        for old in (self._page_job, self._count_job):
            if old is not None:
                old.cancel.set()
        self._count_job = None
        self._wanted = query
        job = Job(functools.partial(_first_page, self._ctx, query), name="first page")
        job.signals.succeeded.connect(self._on_first_page_loaded)
        job.signals.failed.connect(self._on_job_failed)
        self._page_job = job
        self._runner.read(job)
        # The count starts once the first page is painted: the page must not share the CPU with a full count.

    def reload(self) -> None:
        """Load the current query again from the top (F5)."""
        self.set_query(self._wanted)

    def load_now(self) -> None:
        """Load the first page on this thread (start-up: one indexed page, before the window is shown)."""
        if self._page_job is not None:
            self._page_job.cancel.set()
            self._page_job = None
        with self._ctx.store.read() as s:
            rows = listing.page(s, self._wanted, limit=FIRST_PAGE)
        self._apply_first_page(self._wanted, rows)
        self._start_count()

    def _start_count(self) -> None:
        if self._count_job is not None:
            self._count_job.cancel.set()
        job = Job(functools.partial(_count, self._ctx, self._shown), name="count")
        job.signals.succeeded.connect(self._on_count_loaded)
        job.signals.failed.connect(self._on_job_failed)
        self._count_job = job
        self._runner.read_after_paint(job)

    def _is_current(self, job: Job | None) -> bool:
        """Whether the job whose signal is being delivered is the latest of its kind (latest wins, by job:
        a reload runs an equal query, so comparing queries would let an older result through)."""
        return job is not None and self.sender() is job.signals

    @Slot(object)
    def _on_first_page_loaded(self, result: tuple[ListQuery, list[Row]]) -> None:
        if not self._is_current(self._page_job):
            return  # a newer search, sort or reload has started: drop this late result
        query, rows = result
        self._page_job = None
        self._apply_first_page(query, rows)
        self._start_count()

    @Slot(object)
    def _on_count_loaded(self, result: tuple[ListQuery, int]) -> None:
        if not self._is_current(self._count_job):
            return
        query, n = result
        self.last_count = n
        self.count_known.emit(query, n)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled) or not (self._is_current(self._page_job) or self._is_current(self._count_job)):
            return
        if self._is_current(self._page_job):
            self._page_job = None
            self._wanted = self._shown  # the rows on screen stay those of the query they belong to
        self.load_failed.emit(exc)

    def _apply_first_page(self, query: ListQuery, rows: list[Row]) -> None:
        self._shown = query
        self.last_count = None
        self.beginResetModel()
        self._rows = list(rows)
        self._by_id = {r.id: r for r in self._rows}
        self._exhausted = len(rows) < FIRST_PAGE
        self.endResetModel()
        self.query_applied.emit(query)

    def _append(self, page: list[Row]) -> None:
        if len(page) < PAGE:
            self._exhausted = True
        if not page:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self._by_id.update((r.id, r) for r in page)
        self.endInsertRows()

    # ---- lookups -----------------------------------------------------------------------------------------

    def id_at(self, row: int) -> str | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, record_id: str) -> int | None:
        """The row showing this record, if it is loaded (a bisection: never a scan of the loaded rows)."""
        row = self._by_id.get(record_id)
        if row is None:
            return None
        pos = self._bisect(row.key)
        return pos if pos < len(self._rows) and self._rows[pos] is row else None

    def _bisect(self, key: tuple[Any, int]) -> int:
        if self._shown.descending:
            return bisect.bisect_left(self._rows, _Desc(_sortable(key)), key=lambda r: _Desc(_sortable(r.key)))
        return bisect.bisect_left(self._rows, _sortable(key), key=lambda r: _sortable(r.key))

    def loaded_ids(self) -> list[str]:
        return [r.id for r in self._rows]

    # ---- targeted refresh (pattern P3) -------------------------------------------------------------------

    @Slot(object)
    def _on_hub_changed(self, change: ChangeSet) -> None:
        if self._wanted != self._shown:
            # A new first page is loading; its read may have begun before this write: read it again.
            self.set_query(self._wanted)
            return
        entity = self._shown.entity
        if change.entity is entity:
            if change.kind is Kind.DELETE:
                self._remove_ids(change.ids)
                self._start_count()
            else:
                self._upsert_ids(change.ids)
                if change.kind is Kind.CREATE:
                    self._start_count()
        elif change.touches(entity) and self._rows:
            self._refresh_loaded()

    def _remove_ids(self, ids: frozenset[str]) -> None:
        for record_id in ids:
            row = self.row_of(record_id)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            del self._by_id[record_id]
            self.endRemoveRows()

    def _upsert_ids(self, ids: frozenset[str]) -> None:
        if len(ids) > PAGE:
            self.reload()  # many rows changed (an undone mass delete): one reset beats row-by-row updates
            return
        try:
            with self._ctx.store.read() as s:  # at most one page of rows, by primary key (STYLE §3.6)
                fresh = {r.id: r for r in listing.rows_by_id(s, self._shown, sorted(ids))}
        except CrmdeskError:
            self.reload()  # the store is busy or gone: the reload job reports it properly
            return
        for record_id in sorted(ids):
            old = self.row_of(record_id)
            new = fresh.get(record_id)
            if old is not None and new is not None and new.key == self._rows[old].key:
                self._rows[old] = new  # same place: repaint the row
                self._by_id[record_id] = new
                self.dataChanged.emit(self.index(old, 0), self.index(old, len(self._columns) - 1))
                continue
            if old is not None:
                self._remove_ids(frozenset({record_id}))
            if new is None:
                continue  # no longer matches the search or tag
            pos = self._bisect(new.key)
            if pos == len(self._rows) and not self._exhausted:
                continue  # it sorts after the loaded rows: fetchMore brings it
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._rows.insert(pos, new)
            self._by_id[record_id] = new
            self.endInsertRows()

    def _refresh_loaded(self) -> None:
        """Another entity changed what these rows show (a company renamed): reload from the top."""
        self.reload()

    # ---- presentation ------------------------------------------------------------------------------------

    def _alignment(self, column: int) -> Qt.AlignmentFlag:
        if self._columns[column].key == "people":
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FONT = Qt.ItemDataRole.FontRole
_ROLES = frozenset({_DISPLAY, _FONT, _ALIGN, _DECORATION, _TOOLTIP, Role.ID, Role.SORT_KEY})

# Text shaping. A new page of rows is ~200 cells of text never laid out before, and shaping it (kerning and
# ligatures, invisible at this size in Latin, Greek and Cyrillic) was a fifth of the page's first paint. Views of
# these models draw with `cell_font()`, which skips shaping; a cell whose text needs it gets a shaping font
# through FontRole: joining and Indic scripts, and right-to-left ones (Qt's unshaped path draws Hebrew in reverse).
_NEEDS_SHAPING = re.compile("[\u0300-\u036f\u0483-\u0489\u0590-\U0010ffff]")
"""Combining marks, and everything from Hebrew on: to be safe, also scripts and symbols that would draw right
unshaped (a dash or the euro sign costs that cell the shaping, nothing else)."""


def needs_shaping(text: str) -> bool:
    """Whether `text` must be shaped to be drawn right (see `_NEEDS_SHAPING`)."""
    return not text.isascii() and _NEEDS_SHAPING.search(text) is not None


def cell_font() -> QFont:
    """The font for a view of these models: the inherited one (family and size follow the application's), told not
    to shape text where a script allows it."""
    font = QFont()
    font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
    return font


@functools.cache
def _shaping_font() -> QFont:
    """FontRole's answer for a cell that needs shaping: only the strategy is set, the rest comes from the view."""
    font = QFont()
    font.setStyleStrategy(QFont.StyleStrategy.PreferDefault)
    return font


def _today() -> dt.date:
    return dt.date.today()


@functools.lru_cache(maxsize=8192)
def _display_text(key: str, value: Any, region: str, today: dt.date | None) -> Any:
    """What a cell shows for a stored value; for a time `today` is part of the key, so "Today 14:03" turns at
    midnight (None for any other value: its text does not change with the day)."""
    if isinstance(value, dt.datetime):
        return display_time(value)
    if key == "phone":  # the forms stored with the number (normalize.phone_forms), as the reader dials it
        return normalize.shown_phone(value or "", region=region)
    if key == "type":
        try:
            return labels.TOUCHPOINT_TYPES[TouchpointType(value)]
        except ValueError:
            return str(value)
    if key == "people":
        return f"{value:,}" if value else ""
    return value


class _Desc:
    """Reverses comparison, for bisecting a descending list."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.v == other.v)

    __hash__ = None  # type: ignore[assignment]


def _sortable(key: tuple[Any, int]) -> tuple[Any, int]:
    value, num = key
    return (value if value is not None else "", num)


def _first_page(ctx: Context, query: ListQuery, progress: Any, cancel: CancelToken) -> tuple[ListQuery, list[Row]]:
    cancel.check()  # typed over before this job got a thread: skip the query
    with ctx.store.read() as s:
        return query, listing.page(s, query, limit=FIRST_PAGE)


def _count(ctx: Context, query: ListQuery, progress: Any, cancel: CancelToken) -> tuple[ListQuery, int]:
    cancel.check()
    with ctx.store.read() as s:
        return query, listing.count(s, query)
