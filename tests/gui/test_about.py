"""Help → About: opened from the Help menu, it shows the real versions and this run's data location, and closes."""

from __future__ import annotations

import platform
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import PySide6
import pytest
import sqlalchemy
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMenu
from pytestqt.qtbot import QtBot

import crmdesk
from crmdesk.context import Context
from crmdesk.ui import messages
from crmdesk.ui.dialogs import about
from crmdesk.ui.dialogs.about import AboutDialog
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.workers import JobRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: QtBot, ctx: Context) -> Iterator[MainWindow]:
    runner = JobRunner()
    w = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert runner.shutdown(5000), "a job was still running at the end of the test"


def _open_from_help_menu(qtbot: QtBot, w: MainWindow) -> AboutDialog:
    (help_menu,) = [a.menu() for a in w.menuBar().actions() if a.text() == "&Help"]
    assert isinstance(help_menu, QMenu)
    assert w.act_about in help_menu.actions()
    w.act_about.trigger()
    dialog = w.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _labels(dialog: AboutDialog) -> dict[str, QLabel]:
    return {label.text(): label for label in dialog.findChildren(QLabel)}


def test_about_shows_the_real_versions_and_the_data_location(qtbot: QtBot, window: MainWindow, data_dir: Path) -> None:
    dialog = _open_from_help_menu(qtbot, window)
    labels = _labels(dialog)
    assert dialog.windowTitle() == "About crmdesk"
    assert "crmdesk" in labels
    assert f"Version {crmdesk.__version__}" in labels
    assert about.DESCRIPTION in labels
    for version in (
        crmdesk.__version__,
        qVersion(),
        PySide6.__version__,
        sqlalchemy.__version__,
        sqlite3.sqlite_version,
        f"{platform.python_version()} ({platform.python_implementation()})",
    ):
        assert version in labels, version
    for path in (data_dir, data_dir / "crmdesk.sqlite3", data_dir / "logs"):
        label = labels[str(path)]
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert any("GPL-3.0-or-later" in text for text in labels)

    window.act_about.trigger()  # a second time: the open dialog comes to the front, no second one opens
    assert window.findChildren(AboutDialog) == [dialog]

    QTest.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None, timeout=2000)  # closed and deleted


def test_copy_puts_the_versions_and_paths_on_the_clipboard(
    qtbot: QtBot, window: MainWindow, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(about, "_COPIED_MS", 50)
    dialog = _open_from_help_menu(qtbot, window)
    QTest.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None
    lines = clipboard.text().splitlines()
    assert lines[:4] == [
        f"crmdesk:     {crmdesk.__version__}",
        f"Python:      {platform.python_version()} ({platform.python_implementation()})",
        f"Qt:          {qVersion()}",
        f"PySide6:     {PySide6.__version__}",
    ]
    assert f"SQLAlchemy:  {sqlalchemy.__version__}" in lines
    assert f"Data folder: {data_dir}" in lines
    assert f"Database:    {data_dir / 'crmdesk.sqlite3'}" in lines
    assert dialog.copy_button.text() == "Copied ✓"
    qtbot.waitUntil(lambda: dialog.copy_button.text() == "Copy version info", timeout=2000)
    dialog.close()


def test_open_data_folder_opens_the_data_dir(
    qtbot: QtBot, window: MainWindow, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    dialog = _open_from_help_menu(qtbot, window)
    QTest.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    assert [u.toLocalFile() for u in opened] == [str(data_dir)]
    dialog.close()
