"""The account form for CardDAV: server, user name, password, and the address book picked from what the real
Radicale lists once the connection is tested."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

# ruff: noqa: F811
from test_sync_ui import KEYRING, RUN_MS, runner  # noqa: F401 - fixtures by name

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind
from crmdesk.ui.dialogs.account import AccountDialog
from crmdesk.ui.workers import JobRunner
from tests.carddav.fixtures import PASSWORD, radicale, radicale_book, radicale_server  # noqa: F401 - fixtures by name
from tests.carddav.radicale import RadicaleServer


@pytest.fixture
def second_book(radicale: RadicaleServer) -> Iterator[str]:
    yield radicale.make_addressbook("ines", "work", displayname="Work contacts")


def test_a_tested_carddav_account_offers_its_address_books(
    qtbot: QtBot, ctx: Context, runner: JobRunner, radicale: RadicaleServer, radicale_book: str, second_book: str
) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=(AccountKind.CARDDAV,), runner=runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.url_label.text() == "Server:" and dialog.token_label.text() == "Password:"
    assert dialog.option_edits["user"].isVisible() and dialog._option_labels["user"].text() == "User name:"
    assert dialog.book_combo.isVisible() and dialog.book_combo.count() == 0
    QTest.keyClicks(dialog.name_edit, "Radicale")
    dialog.url_edit.setText(radicale.url)
    QTest.keyClicks(dialog.option_edits["user"], "ines")
    QTest.keyClicks(dialog.token_edit, PASSWORD)
    QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.book_combo.count() == 2, timeout=RUN_MS)
    assert dialog.test_result.text().startswith("Connected to the CardDAV server: 2 address book(s)")
    names = {dialog.book_combo.itemText(i): dialog.book_combo.itemData(i) for i in range(2)}
    assert names == {"Contacts": radicale_book, "Work contacts": second_book}
    dialog.book_combo.setCurrentIndex(dialog.book_combo.findData(second_book))
    rec = dialog.record().record
    assert dict(rec.options) == {"addressbook": second_book, "user": "ines"}
    assert dialog.book_hint.text() == "2 address books on the server."
    qtbot.waitUntil(lambda: runner.running() == 0, timeout=RUN_MS)
    dialog.reject()


def test_the_api_e_mail_of_cobra_and_the_user_name_of_carddav_share_no_label(qtbot: QtBot, ctx: Context) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=tuple(AccountKind))
    qtbot.addWidget(dialog)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("cobra"))
    assert dialog._option_labels["user"].text() == "API e-mail:"
    assert not dialog.book_combo.isVisibleTo(dialog)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("carddav"))
    assert dialog._option_labels["user"].text() == "User name:"
