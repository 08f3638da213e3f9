"""Help → About: name, version, the versions of what crmdesk runs on, where its data is, the license."""

from __future__ import annotations

import platform
import sqlite3
from pathlib import Path

import PySide6
import sqlalchemy
from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Slot, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import crmdesk
from crmdesk import APP_NAME, paths
from crmdesk.ui import icons

__all__ = ["DESCRIPTION", "LICENSE", "AboutDialog", "data_locations", "version_info", "version_text"]

DESCRIPTION = "Your CRM's people, companies and touchpoints — fast, offline, and in step with the CRM your team uses."
LICENSE = "GPL-3.0-or-later"
LICENSE_URL = "https://www.gnu.org/licenses/gpl-3.0.html"
_COPIED_MS = 1500
_ICON = 76  # the logo's box, and the width of the names' column below it
_GAP = 16


def version_info() -> list[tuple[str, str]]:
    """What a bug report needs to know about this installation, as (name, version) pairs.

    Qt is the library loaded now (`qVersion()`), which can differ from the one PySide6 was built against.
    """
    return [
        (APP_NAME, crmdesk.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("SQLite", sqlite3.sqlite_version),
        ("System", f"{platform.system()} {platform.release()} ({platform.machine()})"),
    ]


def data_locations(database: Path) -> list[tuple[str, Path]]:
    """Where this installation keeps its files, as (what, path) pairs."""
    return [("Data folder", paths.data_dir()), ("Database", database), ("Logs", paths.log_dir())]


def version_text(database: Path) -> str:
    """The versions and data locations as plain text, one per line, to paste into a bug report."""
    rows = [*version_info(), *((name, str(path)) for name, path in data_locations(database))]
    width = max(len(name) for name, _ in rows)
    return "".join(f"{name + ':':<{width + 1}} {value}\n" for name, value in rows)


class AboutDialog(QDialog):
    """The About window; not modal, so its paths and versions can be read beside the main window.

    Args:
        database: The database file the window is showing.
        parent: The main window; at most one About dialog belongs to it (see `open_for`).
    """

    def __init__(self, *, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database = database
        self.setWindowTitle(f"About {APP_NAME}")
        self.setWindowIcon(icons.icon("info"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        root = QVBoxLayout(self)
        root.setContentsMargins(24, 22, 24, 16)
        root.setSpacing(14)
        root.addLayout(self._header())
        root.addLayout(
            self._grid(
                [
                    ("Versions", version_info()),
                    ("Your data", [(name, str(path)) for name, path in data_locations(database)]),
                ]
            )
        )
        license_label = QLabel(
            f'crmdesk is free software, licensed under the <a href="{LICENSE_URL}">GNU General Public License</a>, '
            f"version 3 or later ({LICENSE}). It comes with no warranty."
        )
        license_label.setObjectName("aboutLicense")
        license_label.setWordWrap(True)
        license_label.setOpenExternalLinks(True)
        root.addWidget(license_label)
        root.addStretch(1)
        root.addLayout(self._buttons())

        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(_COPIED_MS)
        self._copied.timeout.connect(self._on_copied_timeout)
        self.setMinimumWidth(560)

    @classmethod
    def open_for(cls, parent: QWidget, *, database: Path) -> AboutDialog:
        """Show `parent`'s About dialog, bringing an open one to the front instead of opening a second.

        Args:
            parent: The main window.
            database: The database file the window is showing.

        Returns:
            The dialog shown.
        """
        dialog = parent.findChild(cls)
        if dialog is None:
            dialog = cls(database=database, parent=parent)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def text(self) -> str:
        """What "Copy version info" puts on the clipboard."""
        return version_text(self._database)

    # ---- parts ----------------------------------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(_GAP)
        logo = QLabel()
        logo.setObjectName("aboutIcon")
        logo.setPixmap(icons.app_icon().pixmap(QSize(_ICON - 4, _ICON - 4), self.devicePixelRatioF()))
        logo.setFixedSize(_ICON, _ICON)
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        name = QLabel(APP_NAME)
        name.setObjectName("paneTitle")
        version = QLabel(f"Version {crmdesk.__version__}")
        version.setObjectName("paneMuted")
        version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        description = QLabel(DESCRIPTION)
        description.setObjectName("aboutDescription")
        description.setWordWrap(True)
        texts.addWidget(name)
        texts.addWidget(version)
        texts.addSpacing(6)
        texts.addWidget(description)
        row.addLayout(texts, 1)
        return row

    @staticmethod
    def _grid(sections: list[tuple[str, list[tuple[str, str]]]]) -> QGridLayout:
        """One grid for every section, so the values line up with each other and with the name in the header."""
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(_GAP)
        grid.setVerticalSpacing(5)
        grid.setColumnMinimumWidth(0, _ICON)
        grid.setColumnStretch(1, 1)
        r = 0
        for title, rows in sections:
            heading = QLabel(title.upper())
            heading.setObjectName("sectionTitle")
            if r:
                grid.setRowMinimumHeight(r, 30)
                grid.addWidget(heading, r, 0, 1, 2, Qt.AlignmentFlag.AlignBottom)
            else:
                grid.addWidget(heading, r, 0, 1, 2)
            r += 1
            for name, value in rows:
                key = QLabel(name)
                key.setObjectName("paneMuted")
                shown = QLabel(value)
                shown.setObjectName("aboutValue")
                shown.setTextFormat(Qt.TextFormat.PlainText)
                shown.setTextInteractionFlags(
                    Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
                )
                shown.setCursor(Qt.CursorShape.IBeamCursor)
                grid.addWidget(key, r, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(shown, r, 1)
                r += 1
        return grid

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy version info")
        self.copy_button.setToolTip("Copy the versions and data locations, for a bug report")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.copy_button.setMinimumWidth(self.copy_button.sizeHint().width())  # "Copied ✓" must not shrink it
        self.open_folder_button = QPushButton("Open data folder")
        self.open_folder_button.setToolTip(str(paths.data_dir()))
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.copy_button)
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        self.close_button.setFocus()
        return row

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.text())
        self.copy_button.setText("Copied ✓")
        self._copied.start()

    @Slot()
    def _on_copied_timeout(self) -> None:
        self.copy_button.setText("Copy version info")

    @Slot()
    def _on_open_folder_button_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.data_dir())))
