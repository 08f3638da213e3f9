"""Foundation benchmark (issue 2): demo data, start-up, search, scrolling, sorting and memory at 100,000 people.

    .venv/bin/python benchmarks/bench_foundation.py [--people 100000] [--data-dir DIR] [--keep]

Prints one line per figure and the goals next to them. The store is made with `crmdesk demo-data` (timed too)
unless --data-dir points at one that already has the people. Everything runs offscreen.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUERIES = [
    "a",
    "m",
    "mü",
    "mül",
    "müller",
    "sch",
    "schmidt",
    "an",
    "anna",
    "jo",
    "jonas",
    "be",
    "berlin",
    "mün",
    "münchen",
    "gmbh",
    "ag",
    "ltd",
    "sales",
    "manager",
    "head of",
    "customer",
    "vip",
    "key account",
    "@",
    "info",
    "brandt",
    "nordlicht",
    "+49",
    "0711",
    "030",
    "+41 44",
    "lena schulz",
    "dr",
    "prof",
    "Zo",
    "Zoë",
    "o'brien",
    "NEAR(",
    '"',
    "*",
    "AND",
    "-",
    "xyzzy",
    "q",
    "kr",
    "krüger köln",
    "Ünal",
    "smith london",
    "software engineer",
]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def make_store(data_dir: Path, people: int) -> float | None:
    marker = data_dir / f".bench-{people}"
    if marker.exists():
        return None
    shutil.rmtree(data_dir, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "crmdesk", "--data-dir", str(data_dir), "demo-data", "--people", str(people)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    took = time.perf_counter() - t
    marker.touch()
    return took


def startup_times(data_dir: Path, runs: int = 5) -> list[float]:
    """Process start → main window shown (the app prints the wall-clock time of its first shown frame).

    crmdesk's modules are byte-compiled first, as `pip install` leaves an installed crmdesk: a working tree run
    with PYTHONDONTWRITEBYTECODE (as this project's shells are) would otherwise compile ~90 modules from source on
    every start, 0.3-0.7 s that no installed copy pays.
    """
    spec = importlib.util.find_spec("crmdesk")
    assert spec is not None and spec.submodule_search_locations
    compileall.compile_dir(spec.submodule_search_locations[0], quiet=1)
    out = []
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "crmdesk", "--data-dir", str(data_dir), "--benchmark-startup"],
            check=True,
            capture_output=True,
            text=True,
        )
        shown = float(proc.stdout.strip().splitlines()[-1].split()[-1])
        out.append(shown - t0)
    return out


def paint_cpu(ctx: Any, model: Any, table: Any, rounds: int = 3) -> tuple[list[float], list[float]]:
    """The table's paint alone, in CPU time of the GUI thread (steadier on a shared VM than wall time): each query's
    first page put into the model and painted — new rows, their display texts not cached yet — then painted again.
    """
    from crmdesk.store import listing
    from crmdesk.ui.models import table as table_model

    pages = []
    with ctx.store.read() as s:
        for q in QUERIES:
            query = dataclasses.replace(model.query, search=q)
            pages.append((query, listing.page(s, query, limit=table_model.FIRST_PAGE)))
    viewport = table.viewport()
    first, again = [], []
    for _ in range(rounds):
        for query, rows in pages:
            table_model._display_text.cache_clear()  # new rows: their texts (phone numbers, times) not made yet
            model._apply_first_page(query, rows)
            t = time.thread_time()
            viewport.repaint()
            first.append((time.thread_time() - t) * 1000)
            t = time.thread_time()
            viewport.repaint()
            again.append((time.thread_time() - t) * 1000)
    return first, again


def in_process(data_dir: Path, *, search_only: bool = False) -> dict[str, object]:
    from PySide6.QtCore import QEvent, QEventLoop, QModelIndex, QObject, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from crmdesk.app import GIL_SWITCH_INTERVAL, freeze_startup_objects
    from crmdesk.context import Context
    from crmdesk.domain.records import Entity
    from crmdesk.ui import messages, style
    from crmdesk.ui.mainwindow import MainWindow
    from crmdesk.ui.notices import ChangeHub
    from crmdesk.ui.workers import JobRunner

    app = QApplication.instance() or QApplication([])
    style.apply(app)  # type: ignore[arg-type]
    ctx = Context.open(data_dir)
    runner = JobRunner()

    class _Window(MainWindow):
        """The app's window, telling the benchmark when each of its updates (paint and flush) has returned."""

        update_done: Callable[[], None] | None = None

        def event(self, event: QEvent) -> bool:
            handled = super().event(event)
            if event.type() == QEvent.Type.UpdateRequest and self.update_done is not None:
                self.update_done()
            return handled

    window = _Window(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    # the process as app.main sets it up once the window is shown: without the freeze, a full collection of
    # start-up's ~80,000 objects lands in one search now and then (a 240 ms outlier in every run)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    freeze_startup_objects()
    # Half a second after the window shows, the sync controller reads the accounts (and, when there are some, asks
    # the keyring where secrets go: ~0.4 s of work in jobs in all): a search typed then waits for a share of it
    # (120-170 ms once per run). The figures below are those of a window that has finished starting.
    controller = window.sync.controller
    deadline = time.perf_counter() + 10
    while controller.snapshot is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    runner.general.waitForDone()
    app.processEvents()
    model = window.models[Entity.PERSON]
    table = window.tables[Entity.PERSON]

    viewport = table.viewport()

    class PaintWatch(QObject):
        """Notes when the window's first update that paints the new rows has returned: every dirty widget painted
        (the table, its header and scroll bars) and the frame flushed to the window, as on a screen. The viewport's
        paint marks the update; the window (`_Window.event`) reports its end.

        (Until 2026-11-27 the end was an event the paint posted itself: it queued behind the follow-up jobs
        started after the paint, so the figure took in their first milliseconds on the GIL — work the user does
        not wait for to see the rows.)"""

        def __init__(self) -> None:
            super().__init__()
            self.armed = False
            self.painted = False
            self.loop: QEventLoop | None = None
            self.at: list[float] = []

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if obj is viewport and event.type() == QEvent.Type.Paint and self.armed:
                self.armed = False
                self.painted = True
            return False

        def update_done(self) -> None:
            if self.painted:
                self.painted = False
                self.at.append(time.perf_counter())
                if self.loop is not None:
                    self.loop.quit()

    watch = PaintWatch()
    viewport.installEventFilter(watch)
    window.update_done = watch.update_done

    def settle() -> None:
        """Let every job of the last query (its count, the first row's details) finish: not in the next figure."""
        deadline = time.perf_counter() + 30
        while runner.running() and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)
        app.processEvents()

    def wait_applied(start: object) -> tuple[float, float]:
        """(ms until the model holds the new first page, ms until the table has painted it)."""
        settle()
        loop = QEventLoop()
        done: list[float] = []

        def applied(_q: object) -> None:
            done.append(time.perf_counter())
            watch.armed = True

        model.query_applied.connect(applied)
        QTimer.singleShot(10_000, loop.quit)
        watch.at.clear()
        watch.loop = loop
        t = time.perf_counter()
        start()  # type: ignore[operator]
        if not watch.at:
            loop.exec()
        watch.loop = None
        watch.armed = watch.painted = False
        model.query_applied.disconnect(applied)
        painted = watch.at[0] if watch.at else float("inf")
        settle()
        return ((done[0] if done else float("inf")) - t) * 1000, (painted - t) * 1000

    # search: the moment the debounce fires → first page in the model / painted. Typing itself is debounced by
    # design (250 ms after the last keystroke), so that wait is left out of the figure.
    search_ms, search_paint_ms = [], []
    for q in QUERIES:
        window.search.setText(q)
        ready, painted = wait_applied(window._on_debounce_timeout)
        search_ms.append(ready)
        search_paint_ms.append(painted)
    window.search.setText("")
    wait_applied(window._on_debounce_timeout)
    shown = model.query
    page_cpu_ms, repaint_cpu_ms = paint_cpu(ctx, model, table)
    found: dict[str, object] = {
        "search_ms": search_ms,
        "search_paint_ms": search_paint_ms,
        "page_cpu_ms": page_cpu_ms,
        "repaint_cpu_ms": repaint_cpu_ms,
    }
    wait_applied(lambda: model.set_query(shown))  # the whole list again, for sorting and scrolling
    if search_only:
        runner.shutdown()
        ctx.close()
        return found

    # sorting by every other column, then back to name
    sort_ms, sort_paint_ms = [], []
    for col in range(1, model.columnCount()):
        ready, painted = wait_applied(lambda c=col: table.sortByColumn(c, Qt.SortOrder.AscendingOrder))
        sort_ms.append(ready)
        sort_paint_ms.append(painted)
    wait_applied(lambda: table.sortByColumn(0, Qt.SortOrder.AscendingOrder))

    # one repaint of the full table, for scale: every figure above that says "painted" includes one
    paints = []
    for _ in range(10):
        t = time.perf_counter()
        table.viewport().repaint()
        paints.append((time.perf_counter() - t) * 1000)

    # scrolling from top to bottom: page-down steps as a user holding the key; each step may fetch a page
    bar = table.verticalScrollBar()
    step_ms = []
    t_all = time.perf_counter()
    steps = 0
    while True:
        t = time.perf_counter()
        bar.setValue(bar.maximum())
        app.processEvents()
        step_ms.append((time.perf_counter() - t) * 1000)
        steps += 1
        if not model.canFetchMore(QModelIndex()) and bar.value() == bar.maximum():
            break
    scroll_s = time.perf_counter() - t_all
    rows = model.rowCount()
    runner.shutdown()
    ctx.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        **found,
        "sort_ms": sort_ms,
        "sort_paint_ms": sort_paint_ms,
        "paint_ms": paints,
        "scroll_s": scroll_s,
        "scroll_steps": steps,
        "scroll_step_ms": step_ms,
        "rows": rows,
        "rss_mb": rss_mb,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--keep", action="store_true", help="keep the generated store for the next run")
    p.add_argument("--per-query", action="store_true", help="print each search query's times")
    p.add_argument("--search-only", action="store_true", help="only the search figures (no start-up, sort, scroll)")
    args = p.parse_args()
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"crmdesk-bench-{args.people}"
    made = make_store(data_dir, args.people)
    print(f"store:                 {data_dir} ({args.people:,} people)")
    if made is not None:
        print(f"demo-data:             {made:6.1f} s for {args.people:,} people (goal: well under 60 s)")
    if not args.search_only:
        starts = startup_times(data_dir)
        print(
            f"start → window shown:  median {statistics.median(starts) * 1000:6.0f} ms over {len(starts)} runs "
            f"(min {min(starts) * 1000:.0f}, max {max(starts) * 1000:.0f}; goal < 1500 ms)"
        )
    r = in_process(data_dir, search_only=args.search_only)
    if args.per_query:
        for q, ready, painted in zip(QUERIES, r["search_ms"], r["search_paint_ms"], strict=True):  # type: ignore[call-overload]
            print(f"    {q!r:24} rows {ready:6.1f} ms, painted {painted:6.1f} ms")
    for label, key in (("search → rows in table", "search_ms"), ("search → table painted", "search_paint_ms")):
        s = r[key]
        assert isinstance(s, list)
        print(
            f"{label}: p50 {_percentile(s, 0.5):6.1f} ms, p95 {_percentile(s, 0.95):6.1f} ms, "
            f"max {max(s):.1f} ms over {len(s)} queries (goal p95 < 16 ms; typing is debounced 250 ms before this)"
        )
    first, again = r["page_cpu_ms"], r["repaint_cpu_ms"]
    assert isinstance(first, list) and isinstance(again, list)
    print(
        f"paint of a search page: p50 {_percentile(first, 0.5):6.1f} ms, p95 {_percentile(first, 0.95):6.1f} ms CPU of "
        f"the GUI thread (new rows); again p50 {_percentile(again, 0.5):.1f} ms, p95 {_percentile(again, 0.95):.1f} ms"
    )
    if args.search_only:
        return 0
    for label, key in (("sort → rows in table", "sort_ms"), ("sort → table painted", "sort_paint_ms")):
        so = r[key]
        assert isinstance(so, list)
        print(f"{label}:   p50 {_percentile(so, 0.5):6.1f} ms, max {max(so):.1f} ms over {len(so)} columns")
    pm = r["paint_ms"]
    assert isinstance(pm, list)
    print(
        f"one full repaint:       p50 {_percentile(pm, 0.5):6.1f} ms (1400×900, offscreen raster; in every 'painted')"
    )
    st = r["scroll_step_ms"]
    assert isinstance(st, list)
    print(
        f"scroll top → bottom:   {r['scroll_s']:6.2f} s for {r['rows']:,} rows in {r['scroll_steps']} steps "
        f"(per step p50 {_percentile(st, 0.5):.1f} ms, p95 {_percentile(st, 0.95):.1f} ms, max {max(st):.1f} ms)"
    )
    print(f"peak RSS:              {r['rss_mb']:6.0f} MB (goal < 300 MB; all {r['rows']:,} rows loaded at the end)")
    if not args.keep and args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
