"""More of the window's sync side against the Kanbert emulator: Test connection, settling every conflict at once,
the health panel, "the network is back", and runs that stop part-way."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

# The fixtures of test_sync_ui (the emulator, an account, a synced window) are imported by name, so the tests'
# parameters "redefine" them for ruff: that is how pytest hands them over.
# ruff: noqa: F811
from test_sync_ui import (  # noqa: F401 - fixtures by name (pytest puts tests/gui on sys.path)
    KEYRING,
    NAME,
    RUN_MS,
    _api,
    _contact,
    _fast_retries,
    _linked_person,
    _names,
    _no_error_boxes,
    _person,
    _settle,
    _sync,
    account,
    kanbert,
    runner,
    slow_timers,
    synced,
)

from crmdesk.connectors.registry import SUPPORTED
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.store import links, people
from crmdesk.ui.dialogs import account as account_dialogs
from crmdesk.ui.dialogs.account import ERROR_COLOUR, OK_COLOUR, TOKEN_REFUSED, AccountDialog
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.ops_sync import AccountRow
from crmdesk.ui.views.health import cursor_words, health_facts
from crmdesk.ui.workers import JobRunner
from tests.emulators.fixtures import kanbert_server  # noqa: F401 - a fixture, by name
from tests.emulators.kanbert import KanbertEmulator

pytestmark = pytest.mark.gui

CONNECTED = "Connected to Kanbert: the token works and contacts can be read."


def _colour(dialog: AccountDialog) -> str:
    return dialog.test_result.palette().color(QPalette.ColorRole.WindowText).name()


def _linked_people(ctx: Context, account: AccountRecord, n: int) -> list[tuple[PersonRecord, str]]:
    with ctx.store.read() as s:
        remote_ids = links.remote_ids(s, account.id, Entity.PERSON)
        found = sorted(people.get_many(s, list(remote_ids)), key=lambda p: (p.last_name, p.first_name, p.id))
    return [(p, remote_ids[p.id]) for p in found[:n]]


# ---- Test connection ------------------------------------------------------------------------------------------


def test_test_connection_answers_in_green_or_red_beside_the_button(
    qtbot: QtBot, ctx: Context, runner: JobRunner, kanbert: KanbertEmulator
) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=(AccountKind.KANBERT,), runner=runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.test_button.isVisible() and not dialog.test_button.isEnabled()  # no token yet
    QTest.keyClicks(dialog.name_edit, "Work")
    dialog.url_edit.setText(kanbert.api_url)
    QTest.keyClicks(dialog.token_edit, kanbert.token)
    assert dialog.test_button.isEnabled()

    QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert dialog.testing and not dialog.test_button.isEnabled() and dialog.test_result.text() == "Testing…"
    qtbot.waitUntil(lambda: not dialog.testing, timeout=RUN_MS)
    assert dialog.test_result.text() == CONNECTED and _colour(dialog) == OK_COLOUR.name()
    assert dialog.test_button.isEnabled()

    QTest.keyClicks(dialog.token_edit, "-wrong")  # a changed field clears the answer
    assert dialog.test_result.text() == ""
    dialog.test_connection()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=RUN_MS)
    assert dialog.test_result.text() == TOKEN_REFUSED and _colour(dialog) == ERROR_COLOUR.name()

    dialog.url_edit.setText("http://127.0.0.1:9/api/v1")  # nothing listens there
    QTest.keyClicks(dialog.name_edit, "!")
    dialog.test_connection()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=RUN_MS)
    assert dialog.test_result.property("result") == "error" and _colour(dialog) == ERROR_COLOUR.name()
    assert dialog.test_result.text() not in ("", TOKEN_REFUSED)

    # a field changed while a test runs: its late answer is dropped
    dialog.url_edit.setText(kanbert.api_url)
    QTest.keyClicks(dialog.name_edit, "?")
    kanbert.faults.latency = 0.3
    dialog.test_connection()
    QTest.keyClicks(dialog.name_edit, "x")
    assert not dialog.testing and dialog.test_result.text() == ""
    qtbot.waitUntil(lambda: runner.running() == 0, timeout=RUN_MS)
    assert dialog.test_result.text() == ""
    dialog.reject()


def test_test_connection_of_a_stored_account_uses_its_stored_token(
    qtbot: QtBot, ctx: Context, runner: JobRunner, account: AccountRecord
) -> None:
    dialog = AccountDialog(ctx, account, secrets=KEYRING, supported=(AccountKind.KANBERT,), runner=runner)
    qtbot.addWidget(dialog)
    assert dialog.token_edit.text() == "" and dialog.test_button.isEnabled()
    dialog.test_connection()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=RUN_MS)
    assert dialog.test_result.text() == CONNECTED


def test_without_a_runner_there_is_no_test_button(qtbot: QtBot, ctx: Context) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=(AccountKind.KANBERT,))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.test_button.isVisible()


# ---- conflicts: one or all ------------------------------------------------------------------------------------


def test_keep_all_mine_settles_every_listed_conflict_after_asking(
    qtbot: QtBot,
    synced: MainWindow,
    ctx: Context,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, c = synced, synced.sync.controller
    three = _linked_people(ctx, account, 3)
    for person, _ in three:
        w.history.edit(person, person.replace(first_name=f"Mine{person.id[:4]}"))
    _settle(qtbot, w)
    with _api(kanbert) as api:
        for _, remote_id in three:
            assert api.patch(f"/contacts/{remote_id}", json={"first_name": "Theirs"}).status_code == 200
    _sync(qtbot, w)
    page = w.sync.conflicts
    with qtbot.waitSignal(page.loaded, timeout=5000):
        w.sync.show_conflicts()
    assert len(page.listed_ids()) == 3 and page.count_label.text() == "3 open"
    assert not page.account_combo.isVisibleTo(page)  # one account: nothing to choose
    assert page.keep_all_button.isEnabled() and page.take_all_button.isEnabled()

    answers = [False, True]
    asked: list[dict[str, Any]] = []

    def confirm(parent: Any, **k: Any) -> bool:
        asked.append(k)
        return answers.pop(0)

    monkeypatch.setattr(account_dialogs, "confirm_resolve_all", confirm)
    QTest.mouseClick(page.take_all_button, Qt.MouseButton.LeftButton)
    assert asked == [{"mine": False, "count": 3, "remote": "Kanbert", "account": ""}]
    assert page.model.rowCount() == 3  # "Cancel": nothing happened

    with qtbot.waitSignal(page.loaded, timeout=RUN_MS):
        QTest.mouseClick(page.keep_all_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert asked[1]["mine"] is True and asked[1]["count"] == 3
    assert page.model.rowCount() == 0 and page.empty_label.isVisible()
    assert [_person(ctx, p.id).first_name for p, _ in three] == [f"Mine{p.id[:4]}" for p, _ in three]
    assert "Kept your value in 3 conflicts" in w.statusBar().currentMessage()
    assert c.snapshot is not None and c.snapshot.pending == 3 and c.snapshot.conflicts == 0
    _sync(qtbot, w)
    assert [_contact(kanbert, r)["first_name"] for _, r in three] == [f"Mine{p.id[:4]}" for p, _ in three]


def test_the_confirmation_says_how_many_and_defaults_to_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, str]] = []

    def exec_(box: Any) -> int:
        seen.append((box.text(), box.informativeText(), box.defaultButton().text()))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    assert not account_dialogs.confirm_resolve_all(None, mine=False, count=12, remote="Kanbert", account=NAME)
    assert not account_dialogs.confirm_resolve_all(None, mine=True, count=1, remote="Kanbert")
    assert seen[0][0] == f"Take Kanbert's value in all 12 conflicts of “{NAME}”?"
    assert seen[1][0] == "Keep your value in all 1 conflict?" and "go to Kanbert" in seen[1][1]
    assert seen[0][2] == seen[1][2] == "Cancel"


# ---- health panel ---------------------------------------------------------------------------------------------


def test_the_health_panel_shows_success_cursors_counts_and_the_last_error(
    qtbot: QtBot, synced: MainWindow, ctx: Context, kanbert: KanbertEmulator, account: AccountRecord
) -> None:
    w = synced
    w.sync.show_accounts()
    health = w.sync.accounts.pane.health
    assert health.isVisibleTo(w.sync.accounts.pane)
    assert health.text("Last success").startswith("just now (Today ")
    assert health.text("Last error") == "None"
    assert health.text("People").startswith("Changes since ") and health.text("Companies").startswith("Changes since")
    assert health.text("Linked") == "3 companies · 30 people"
    assert health.text("Conflicts") == "None open" and health.text("To send") == "Nothing"
    assert health.text("Touchpoints") == "Not synced with this server"
    assert "Kanbert has no touchpoints" in health.text("Limits")

    person, _ = _linked_person(ctx, account)
    kanbert.faults.drop_connections(10_000)  # offline
    w.history.edit(person, person.replace(last_name="Offline"))
    _settle(qtbot, w)
    _sync(qtbot, w)
    assert health.text("Last error").startswith("The last sync failed: ")
    assert health.text("To send") == "1 change"
    assert health.text("Last success").startswith("just now")  # the success before stays


def test_the_limits_of_an_api_without_a_change_feed_are_spelled_out() -> None:
    row = AccountRow(AccountRecord(kind=AccountKind.IMBOX, name="Box"), 0, 0, cursors=((Entity.PERSON, "full"),))
    facts = health_facts(row)
    assert facts["People"] == "Everything, every sync (the server has no change feed)"
    assert facts["Touchpoints"] == "Everything (not pulled yet)"
    limits = facts["Limits"].splitlines()
    assert limits[0].startswith("• No change feed: every sync reads all records")
    assert any("never returns e-mails and phone numbers" in line for line in limits)
    assert any("notes cannot be edited" in line for line in limits)


def test_each_kind_asks_for_exactly_its_own_fields(qtbot: QtBot, ctx: Context) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=tuple(AccountKind))
    qtbot.addWidget(dialog)
    dialog.show()

    def choose(kind: AccountKind) -> set[str]:
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(kind.value))
        return {key for key, edit in dialog.option_edits.items() if edit.isVisible()}

    assert choose(AccountKind.COBRA) == {"tenant", "user"}
    assert (dialog.url_label.text(), dialog.token_label.text()) == ("API address:", "API key:")
    assert dialog.url_edit.text() == "https://api.cobra.de/v1"
    dialog.name_edit.setText("Sales")
    dialog.token_edit.setText("key")
    dialog._revalidate()
    assert not dialog.save_button.isEnabled() and "option:tenant" in dialog.problems()
    dialog.option_edits["tenant"].setText("12e39e53")
    dialog.option_edits["user"].setText("api@acme.de")
    dialog._revalidate()
    assert dialog.save_button.isEnabled(), dialog.problems()
    assert dict(dialog.record().record.options) == {"tenant": "12e39e53", "user": "api@acme.de"}

    assert choose(AccountKind.IMBOX) == {"user_id"}
    assert dialog.url_edit.text() == "https://apiv2.imbox.io/api"  # the vendor's default follows the kind
    assert choose(AccountKind.DESKERA) == set()
    assert (dialog.url_label.text(), dialog.token_label.text()) == ("Host:", "Access token:")
    assert choose(AccountKind.APPCRM) == set()
    assert dialog.url_label.text() == "Subdomain:"
    dialog.url_edit.setText("acme")
    rec = dialog.record().record
    assert rec.base_url == "https://acme.appcrm.com.br/api" and rec.options == ()
    dialog.url_edit.setText("http://127.0.0.1:8765/api")  # a full address works too (an emulator, a proxy)
    assert dialog.record().record.base_url == "http://127.0.0.1:8765/api"


def test_an_appcrm_account_shows_its_subdomain(qtbot: QtBot, ctx: Context) -> None:
    account = AccountRecord(kind=AccountKind.APPCRM, name="App", base_url="https://acme.appcrm.com.br/api")
    dialog = AccountDialog(ctx, account, secrets=KEYRING, supported=SUPPORTED)
    qtbot.addWidget(dialog)
    assert dialog.url_edit.text() == "acme"
    assert dialog.record().record.base_url == "https://acme.appcrm.com.br/api"


def test_cursor_words() -> None:
    local = dt.datetime(2026, 11, 26, 4, 2, tzinfo=dt.UTC).astimezone()
    assert cursor_words("2026-11-26T04:02:00Z") == f"Changes since {local.day} {local.strftime('%b %Y %H:%M')}"
    assert cursor_words("c-81f2") == "From “c-81f2”"
    assert cursor_words(None) == "Everything (not pulled yet)"
    # what a connector keeps after the token (CardDAV: the ctag) is not shown
    assert cursor_words('http://radicale.org/ns/sync/ab12\n"9f3e"') == "From “http://radicale.org/ns/sync/ab12”"
    assert cursor_words('full\n"9f3e"') == "Everything, every sync (the server has no change feed)"


# ---- the network comes back -----------------------------------------------------------------------------------


def test_every_account_syncs_soon_when_the_network_comes_back(
    qtbot: QtBot, synced: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = synced.sync.controller
    monkeypatch.setattr(c, "network_delay_ms", 50)
    reach = QNetworkInformation.Reachability
    c._on_network_reachability_changed(reach.Online)  # from "not known": no run
    assert not c._edit_timer.isActive()
    c._on_network_reachability_changed(reach.Disconnected)
    c._on_network_reachability_changed(reach.Local)  # still no way out
    assert not c._edit_timer.isActive()
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        c._on_network_reachability_changed(reach.Online)
        assert c._edit_timer.isActive() and c._edit_timer.interval() == 50
    _settle(qtbot, synced)
    c._on_network_reachability_changed(reach.Online)  # online to online: nothing
    assert not c._edit_timer.isActive()


def test_watching_the_network_falls_back_silently_without_a_backend(
    synced: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = synced.sync.controller
    monkeypatch.setattr(QNetworkInformation, "instance", staticmethod(lambda: None))
    monkeypatch.setattr(QNetworkInformation, "loadBackendByFeatures", staticmethod(lambda feature: False))
    monkeypatch.setattr(QNetworkInformation, "loadDefaultBackend", staticmethod(lambda: False))
    assert c.watch_reachability() is False
    assert c._reachability is None


# ---- runs that stop part-way ----------------------------------------------------------------------------------


def test_a_run_stopped_by_the_guard_announces_what_it_changed_instead_of_reloading(
    qtbot: QtBot,
    synced: MainWindow,
    ctx: Context,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, c = synced, synced.sync.controller
    person, remote_id = _linked_person(ctx, account)
    with _api(kanbert) as api:
        assert api.patch(f"/contacts/{remote_id}", json={"last_name": "Umbenannt"}).status_code == 200
    for contact in [x for x in kanbert.store.contacts() if x["id"] != remote_id][:20]:
        kanbert.store.delete_contact(contact["id"])
    asked: list[dict[str, Any]] = []

    def ask(parent: Any, **k: Any) -> bool:
        asked.append(k)
        return False

    monkeypatch.setattr(account_dialogs, "ask_mass_delete", ask)
    published: list[ChangeSet] = []
    stale: list[bool] = []
    w._hub.changed.connect(published.append)
    c.tables_stale.connect(lambda: stale.append(True))
    w.show_entity(Entity.PERSON)
    _settle(qtbot, w)
    _sync(qtbot, w)
    assert len(asked) == 1 and "20 people" in asked[0]["message"]
    assert any(ch.entity is Entity.PERSON and person.id in ch.ids for ch in published)
    assert not stale  # the report said what changed: no reload of everything
    names = _names(w)
    assert len(names) == 30 and any("Umbenannt" in n for n in names)


def test_the_deletion_question_uses_the_guards_words(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list[str]]] = []

    def exec_(box: Any) -> int:
        seen.append((box.text(), [b.text() for b in box.buttons()]))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    message = f"{NAME}: this sync would delete 8 people and 2 companies here and no records on the server."
    assert not account_dialogs.ask_mass_delete(None, account=NAME, local=10, remote=0, message=message)
    text, buttons = seen[0]
    assert text == "This sync would delete 8 people and 2 companies here and no records on the server."
    assert "Delete 10 records here" in buttons
