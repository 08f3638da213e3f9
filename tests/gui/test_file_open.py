"""The desktop's "open this file" event (macOS Finder sends it instead of putting the file on the command line)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crmdesk.app import file_open_filter

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ines Brandt\r\nN:Brandt;Ines;;;\r\nEND:VCARD\r\n"


def test_a_contact_file_the_desktop_opens_goes_to_the_import(qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    card = tmp_path / "Ines Brandt.vcf"
    card.write_text(CARD, encoding="utf-8")
    other = tmp_path / "notes.txt"
    other.write_text("not a card", encoding="utf-8")
    opened: list[list[Path]] = []
    opener = file_open_filter(opened.append)
    qapp.installEventFilter(opener)
    try:
        QApplication.sendEvent(qapp, QFileOpenEvent(str(card)))
        QApplication.sendEvent(qapp, QFileOpenEvent(str(other)))  # not a vCard or CSV file: ignored
        QApplication.sendEvent(qapp, QFileOpenEvent(str(tmp_path / "gone.vcf")))  # no such file: ignored
    finally:
        qapp.removeEventFilter(opener)
    assert opened == [[card.resolve()]]
