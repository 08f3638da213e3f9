"""The notice start-up shows while an existing store's schema is upgraded (before any window exists)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from crmdesk.ui import messages


def test_the_upgrade_notice_is_on_screen_and_says_what_is_happening(qtbot: QtBot) -> None:
    notice = messages.startup_notice("Updating your address book", "It happens once.")
    qtbot.addWidget(notice)
    assert notice.isVisible()  # shown and painted before the caller takes the GUI thread for the upgrade
    texts = [label.text() for label in notice.findChildren(QLabel)]
    assert "<b>Updating your address book</b>" in texts
    assert "It happens once." in texts
    assert notice.width() == 440
    assert 60 < notice.height() < 300
