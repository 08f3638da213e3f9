"""How errors and notices reach the user: the core raises, only this module presents (STYLE §5, P7)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from crmdesk.errors import Cancelled, UserError

log = logging.getLogger(__name__)

_log_file: Path | None = None


def set_log_file(path: Path | None) -> None:
    """The log file the crash dialog points to."""
    global _log_file
    _log_file = path


class MessageBridge(QObject):
    """Status messages from anywhere, queued until the window listens (QB GlobalMessageBridge)."""

    status = Signal(str, int)  # text, milliseconds to show (0: until replaced)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: list[tuple[str, int]] = []
        self._connected = False

    def show(self, text: str, timeout_ms: int = 4000) -> None:
        if self._connected:
            self.status.emit(text, timeout_ms)
        else:
            self._pending.append((text, timeout_ms))

    def flush(self) -> None:
        """Called once the window has connected `status`: deliver what was said before."""
        self._connected = True
        pending, self._pending = self._pending, []
        for text, ms in pending:
            self.status.emit(text, ms)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Present a failure: UserError → a warning with hints, Cancelled → nothing, anything else → crash dialog."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, UserError):
        warn(parent, exc.message, hints=exc.hints)
        return
    crash(parent, exc)


def warn(parent: QWidget | None, text: str, *, hints: tuple[str, ...] = (), title: str = "crmdesk") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if hints:
        box.setInformativeText("\n".join(hints))
    box.exec()


def crash(parent: QWidget | None, exc: BaseException) -> None:
    """A bug: say so plainly, show the traceback, point at the log file."""
    detail = "".join(traceback.format_exception(exc))
    log.error("unexpected error\n%s", detail)
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "crmdesk — unexpected error",
        "Something went wrong that crmdesk did not expect. Your data is safe: nothing was written by the "
        "step that failed.",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    where = f"\n\nThe log file {_log_file} has the details." if _log_file else ""
    box.setInformativeText(f"{type(exc).__name__}: {exc}{where}")
    box.setDetailedText(detail)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.exec()
    if box.clickedButton() is copy:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(detail)


def startup_notice(title: str, text: str) -> QWidget:
    """A small window saying what start-up is busy with (a schema upgrade), shown before the main window exists.

    It is painted before the caller goes on, since the caller keeps the GUI thread until it closes the notice.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

    from crmdesk.ui import icons

    notice = QWidget(None, Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
    notice.setObjectName("startupNotice")
    notice.setStyleSheet(
        "QWidget#startupNotice { background: #ffffff; border: 1px solid #cfd6df; border-radius: 8px; }"
    )
    icon = QLabel()
    icon.setPixmap(icons.app_icon().pixmap(48, 48))
    heading = QLabel(f"<b>{title}</b>")
    heading.setWordWrap(True)
    body = QLabel(text)
    body.setWordWrap(True)
    body.setStyleSheet("color: #4b5563;")
    column = QVBoxLayout()
    column.addWidget(heading)
    column.addWidget(body)
    row = QHBoxLayout(notice)
    row.setContentsMargins(20, 18, 24, 18)
    row.setSpacing(16)
    row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
    row.addLayout(column, 1)
    notice.setFixedWidth(440)
    notice.adjustSize()
    screen = QApplication.primaryScreen()
    if screen is not None:
        notice.move(screen.availableGeometry().center() - notice.rect().center())
    notice.show()
    notice.repaint()
    QApplication.processEvents()
    return notice
