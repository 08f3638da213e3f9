"""Composition root of the window: arguments, logging, Context, JobRunner, main window, excepthook."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import crmdesk
from crmdesk import APP_ID, APP_NAME, paths
from crmdesk import log as logsetup
from crmdesk.errors import StoreError

log = logging.getLogger(__name__)
_T0 = time.perf_counter()

CONTACT_SUFFIXES = (".vcf", ".vcard", ".csv")


def contact_file(arg: str) -> Path | None:
    """The vCard or CSV file an argument names (a path or a file:// URI, as a desktop file passes %F or %U), if it
    exists; None for anything else (a subcommand, an option's value, a missing file)."""
    if arg.startswith("file://"):
        arg = urllib.parse.unquote(urllib.parse.urlsplit(arg).path)
    if not arg or arg.startswith("-"):
        return None
    path = Path(arg).expanduser()
    return path if path.suffix.lower() in CONTACT_SUFFIXES and path.is_file() else None


def file_open_filter(open_files: Callable[[list[Path]], None]) -> Any:
    """An application event filter that passes the contact files the desktop asks to open to `open_files`.

    macOS does not put a double-clicked file on the command line: Finder sends an "open documents" event, which
    Qt delivers to the application as `QEvent.FileOpen` — at start-up and while the app runs. Linux and Windows
    pass the file as an argument (`main`'s FILE).
    """
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QFileOpenEvent

    class FileOpenFilter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
                path = contact_file(event.file() or event.url().toString())
                if path is None:
                    log.info("not opening %s: no vCard or CSV file of that name", event.file())
                else:
                    open_files([path.resolve()])
                return True
            return super().eventFilter(watched, event)

    return FileOpenFilter()


class _VersionAction(argparse.Action):
    """`--version`: the version is read only when asked for (reading it costs start-up ~85 ms)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        parser.exit(message=f"crmdesk {crmdesk.__version__}\n")


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="crmdesk", description="Open the crmdesk window.")
    p.add_argument("files", nargs="*", metavar="FILE", help="vCard (.vcf) or CSV files to import: opens the import")
    p.add_argument("--data-dir", help="keep the database, settings and logs in DIR instead of the user data folder")
    p.add_argument("-v", "--verbose", action="store_true", help="log everything to stderr")
    p.add_argument("--version", action=_VersionAction)
    # benchmarks/bench_foundation.py: print the wall-clock time the window was first shown, then quit
    p.add_argument("--benchmark-startup", action="store_true", help=argparse.SUPPRESS)
    args, _qt_args = p.parse_known_args(argv)
    return args


def _no_screen() -> str:
    """Why the window cannot open here, or "" (Qt itself would abort with a core dump)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "no graphical session to open the window in (neither DISPLAY nor WAYLAND_DISPLAY is set). "
        "Start crmdesk from your desktop, or use the command line: crmdesk --help"
    )


GIL_SWITCH_INTERVAL = 0.0002
"""Seconds a thread may hold the GIL while another waits (CPython's default is 5 ms): see `main`."""


def freeze_startup_objects() -> None:
    """Collect start-up's garbage and freeze the rest out of the collector's view (see `main`; benchmarks that
    stand in for the window call it too)."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    """Open the main window; returns the process exit code."""
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    if args.data_dir:
        paths.set_data_dir(args.data_dir)
    log_file = logsetup.setup(paths.log_dir(), verbose=args.verbose)
    to_import = [f for f in (contact_file(a) for a in args.files) if f is not None]
    ignored = [a for a in args.files if contact_file(a) is None]
    if ignored:
        log.info("not importing %s: no vCard or CSV file of that name", ", ".join(ignored))
    problem = _no_screen()
    if problem:
        print(f"crmdesk: error: {problem}", file=sys.stderr)
        return 1

    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from crmdesk.context import Context
    from crmdesk.ui import icons, messages, style
    from crmdesk.ui.mainwindow import MainWindow
    from crmdesk.ui.notices import ChangeHub
    from crmdesk.ui.workers import JobRunner

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("crmdesk")
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(icons.app_icon())
    style.apply(app)
    messages.set_log_file(log_file)

    notices: list[QWidget] = []

    def on_upgrade(revision: str) -> None:
        log.info("the store is of schema %s: upgrading it", revision)
        notices.append(
            messages.startup_notice(
                "Updating your address book",
                "This version of crmdesk keeps it a little differently. It happens once; with many thousands of "
                "people it takes up to a minute.",
            )
        )

    try:
        ctx = Context.open(on_upgrade=on_upgrade)
    except StoreError as e:
        log.error("%s", e)
        messages.warn(None, e.message, hints=e.hints, title="crmdesk cannot open its database")
        return 1
    finally:
        for notice in notices:
            notice.close()

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught exception", exc_info=(kind, exc, tb))
        messages.crash(QApplication.activeWindow(), exc)

    sys.excepthook = excepthook
    runner = JobRunner()
    hub = ChangeHub()
    bridge = messages.MessageBridge()
    window = MainWindow(ctx, runner=runner, hub=hub, bridge=bridge)
    window.show()
    opener = file_open_filter(window.import_files)
    app.installEventFilter(opener)
    log.info("window shown %.0f ms after start", (time.perf_counter() - _T0) * 1000)
    if to_import:
        window.import_files([p.resolve() for p in to_import])  # `crmdesk contacts.vcf`: the import dialog opens
    # Once start-up is over, collect its garbage and freeze what is left: the garbage collector's full passes then
    # skip the ~80,000 objects of Qt wrappers, SQLAlchemy and modules, which otherwise stalled the window for
    # 100-150 ms now and then during an import (benchmarks/bench_vcard.py measures the longest stall).
    QTimer.singleShot(1500, freeze_startup_objects)
    QTimer.singleShot(0, lambda: app.setApplicationVersion(crmdesk.__version__))  # after the first frame
    # Jobs are Python threads: while one computes (an import parses cards), the GUI thread must win the GIL for
    # every event it hands to Python, waiting up to the switch interval each time, several times an event. The
    # longest stall of the window during a 10,000-card import was 46-64 ms with CPython's 5 ms and 1 ms, 15 ms
    # with 0.2 ms (benchmarks/bench_vcard.py). A job only gives the GIL up when the GUI thread asks for it, so
    # this costs the job little.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    if args.benchmark_startup:
        # A measurement: the window quits at once, at whatever size the platform gave it, and must not make that
        # the size the user's next start restores (the offscreen platform's screen is 800×600).
        window.saves_settings = False
        app.processEvents()  # the first frame is painted
        print(f"shown {time.time():.6f}", flush=True)
        QTimer.singleShot(0, app.quit)
    try:
        code = app.exec()
    finally:
        runner.shutdown()
        ctx.close()
        sys.excepthook = sys.__excepthook__
    return int(code)
