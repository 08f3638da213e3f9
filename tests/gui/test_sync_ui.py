"""The window's side of sync (issue 4) against the real Kanbert emulator: accounts, runs, offline, conflicts, guard."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import keyring_backend  # type: ignore[import-not-found]  # tests/ is on sys.path (tests/conftest.py)
import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from crmdesk.connectors.registry import SUPPORTED
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord, Policy
from crmdesk.domain.merge import Side
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.store import links, people
from crmdesk.store.conflicts import ConflictRecord
from crmdesk.sync import accounts
from crmdesk.ui import messages
from crmdesk.ui.dialogs import account as account_dialogs
from crmdesk.ui.dialogs.account import AccountDialog, AccountInput, SignInDialog, policy_hint
from crmdesk.ui.labels import relative_time
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.models.accounts import DISCARD_COLUMN, AccountsModel, AccountView, OutboxModel
from crmdesk.ui.models.conflicts import ConflictsModel, format_value
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.ops_sync import ConflictRow, SecretInfo
from crmdesk.ui.sync import Outcome, SyncController
from crmdesk.ui.workers import JobRunner
from tests.emulators.fixtures import kanbert_server  # noqa: F401 - a fixture, by name
from tests.emulators.kanbert import KanbertEmulator

pytestmark = pytest.mark.gui

NAME = "Kanbert (Roth & Partner)"
RUN_MS = 120_000  # a run of 500 people takes ~15 s on a slow CI machine
KEYRING = SecretInfo("keyring", "the keyring “MemoryKeyring”", encrypted=True)


# ---- fixtures and helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connection retries wait milliseconds, not seconds: "offline" is known at once (the rules are the same)."""
    from crmdesk.connectors.http import HttpClient

    defaults = HttpClient.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "backoff", 0.005)
    monkeypatch.setitem(defaults, "retries", 2)


@pytest.fixture(autouse=True)
def _no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """An error box would wait for a click forever offscreen: each one fails the test instead."""
    shown: list[str] = []
    monkeypatch.setattr(messages, "warn", lambda parent, text, **k: shown.append(text))
    monkeypatch.setattr(messages, "crash", lambda parent, exc: shown.append(repr(exc)))
    yield shown
    assert not shown, f"an error was shown: {shown}"


@pytest.fixture
def kanbert(kanbert_server: KanbertEmulator) -> KanbertEmulator:  # noqa: F811 - the imported fixture
    kanbert_server.seed_people(30, companies=3)
    return kanbert_server


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    r = JobRunner()
    yield r
    assert r.shutdown(15000), "a job was still running at the end of the test"


def _open_window(qtbot: QtBot, ctx: Context, runner: JobRunner) -> MainWindow:
    w = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.sync.controller.snapshot is not None, timeout=10_000)  # read just after start
    _settle(qtbot, w)
    return w


@pytest.fixture
def slow_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No run starts by itself unless a test asks for it: each test starts the runs it needs."""
    monkeypatch.setattr(SyncController, "first_run_ms", 600_000)
    monkeypatch.setattr(SyncController, "edit_delay_ms", 600_000)


@pytest.fixture
def window(qtbot: QtBot, ctx: Context, runner: JobRunner, slow_timers: None) -> Iterator[MainWindow]:
    w = _open_window(qtbot, ctx, runner)
    yield w
    w.close()


@pytest.fixture
def account(ctx: Context, kanbert: KanbertEmulator) -> AccountRecord:
    """An account of the emulator, stored before the window opens."""
    rec = AccountRecord(kind=AccountKind.KANBERT, name=NAME, base_url=kanbert.api_url)
    return accounts.add_account(ctx, rec, secret=kanbert.token)


@pytest.fixture
def synced(
    qtbot: QtBot, ctx: Context, runner: JobRunner, account: AccountRecord, slow_timers: None
) -> Iterator[MainWindow]:
    """The window over a store that has synced the emulator once."""
    w = _open_window(qtbot, ctx, runner)
    _sync(qtbot, w)
    yield w
    w.close()


def _settle(qtbot: QtBot, w: MainWindow) -> None:
    qtbot.waitUntil(lambda: w.history.idle and w._runner.running() == 0, timeout=RUN_MS)
    qtbot.wait(20)


def _sync(qtbot: QtBot, w: MainWindow, account_id: str | None = None) -> None:
    """Sync now and wait until the run and what follows it (snapshot, tables) are done."""
    c = w.sync.controller
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        assert c.sync_now(account_id)
    _settle(qtbot, w)


def _names(w: MainWindow, entity: Entity = Entity.PERSON) -> list[str]:
    model = w.models[entity]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def _api(server: KanbertEmulator) -> httpx.Client:
    return httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {server.token}"}, timeout=10)


def _linked_person(ctx: Context, account: AccountRecord, last_name: str = "") -> tuple[PersonRecord, str]:
    """A synced person (the first by last name, or one called `last_name`) and its Kanbert id."""
    with ctx.store.read() as s:
        remote_ids = links.remote_ids(s, account.id, Entity.PERSON)
        found = sorted(
            (p for p in people.get_many(s, list(remote_ids)) if not last_name or p.last_name == last_name),
            key=lambda p: (p.last_name, p.first_name, p.id),
        )
    return found[0], remote_ids[found[0].id]


def _contact(server: KanbertEmulator, remote_id: str) -> dict[str, Any]:
    found = server.store.contact(remote_id)
    assert found is not None
    return found


def _person(ctx: Context, person_id: str) -> PersonRecord:
    with ctx.store.read() as s:
        return people.get(s, person_id, include_deleted=True)


def _state_text(w: MainWindow) -> str:
    page = w.sync.accounts
    return str(page.model.data(page.model.index(0, 2)))


# ---- accounts ----------------------------------------------------------------------------------------------


def test_without_accounts_nothing_syncs_and_the_pages_say_what_to_do(window: MainWindow) -> None:
    nav = [window._nav.item(i).text() for i in range(window._nav.count())]
    assert nav == ["People", "Companies", "Touchpoints", "Conflicts", "Accounts"]
    assert window.sync.status.isHidden()
    assert not window.sync.act_sync.isVisible()
    window.sync.show_accounts()
    assert window.windowTitle() == "Accounts — crmdesk"
    assert window.sync.accounts.empty_label.isVisible() and "No accounts yet" in window.sync.accounts.empty_label.text()
    assert not window.act_open.isEnabled() and not window.act_delete.isEnabled()  # they act on records
    window.sync.show_conflicts()
    assert window.sync.conflicts.empty_label.text().startswith("No conflicts — when you and a colleague change")
    window.show_entity(Entity.PERSON)
    assert window._center_stack.currentIndex() == 0 and window.windowTitle() == "People — crmdesk"


def test_adding_an_account_syncs_its_people_into_the_table(
    qtbot: QtBot,
    window: MainWindow,
    kanbert: KanbertEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[dict[str, Any]] = []

    def ask(cls: type[AccountDialog], /, parent: Any, ctx: Context, record: Any = None, **kw: Any) -> AccountInput:
        asked.append(kw)
        rec = AccountRecord(kind=AccountKind.KANBERT, name=NAME, base_url=kanbert.api_url)
        return AccountInput(rec, kanbert.token)

    monkeypatch.setattr(AccountDialog, "ask", classmethod(ask))
    page, c = window.sync.accounts, window.sync.controller
    c.refresh(now=True)
    _settle(qtbot, window)
    assert c.snapshot is not None and c.secrets is None  # no account yet: the keyring is not asked
    window.sync.show_accounts()  # the Accounts page asks it
    qtbot.waitUntil(lambda: c.secrets is not None, timeout=RUN_MS)
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        QTest.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, window)

    assert asked[0]["supported"] == SUPPORTED and asked[0]["secrets"] is not None
    stored = accounts.list_accounts(window._ctx)
    assert [a.name for a in stored] == [NAME]
    assert keyring_backend.stored() == {("crmdesk", stored[0].id): kanbert.token}  # the token went to the keyring
    window.show_entity(Entity.PERSON)
    _settle(qtbot, window)
    assert len(_names(window)) == 30
    assert "30 people" in window._count_label.text()
    window.sync.show_accounts()
    row = [str(page.model.data(page.model.index(0, col))) for col in range(7)]
    assert row == [NAME, "Kanbert", "Up to date", "just now", "0", "0", kanbert.api_url]
    assert window.sync.status.text() == "● Online · synced just now · nothing to send"
    assert window.sync.accounts.pane.outbox_empty.isVisibleTo(window.sync.accounts.pane)
    assert window.sync.act_sync.isVisible()

    # Sync now again: nothing changed, nothing doubles
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        QTest.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, window)
    assert "0 received, 0 sent" in window.statusBar().currentMessage()
    window.show_entity(Entity.PERSON)
    _settle(qtbot, window)
    assert len(_names(window)) == 30


def test_one_run_per_account_at_a_time_and_cancel_keeps_what_was_done(
    qtbot: QtBot, ctx: Context, runner: JobRunner, kanbert: KanbertEmulator, account: AccountRecord, slow_timers: None
) -> None:
    kanbert.faults.latency = 0.05
    w = _open_window(qtbot, ctx, runner)
    c = w.sync.controller
    assert c.sync_now(account.id)
    assert not c.sync_now(account.id)  # never two runs of one account
    assert "Syncing" in w.sync.status.text() and w.sync.status.cancel_button.isVisibleTo(w.sync.status)
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        QTest.mouseClick(w.sync.status.cancel_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert "sync cancelled" in w.statusBar().currentMessage()
    assert not c.is_running()
    w.close()


def test_an_account_removed_while_it_syncs_goes_once_its_run_has_stopped(
    qtbot: QtBot,
    ctx: Context,
    runner: JobRunner,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    slow_timers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kanbert.faults.latency = 0.05
    w = _open_window(qtbot, ctx, runner)
    monkeypatch.setattr(account_dialogs, "confirm_remove", lambda parent, **k: True)
    w.sync.show_accounts()
    assert w.sync.controller.sync_now(account.id)
    QTest.mouseClick(w.sync.accounts.remove_button, Qt.MouseButton.LeftButton)
    assert "Stopping the sync" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: accounts.list_accounts(ctx) == [], timeout=RUN_MS)
    _settle(qtbot, w)
    assert w.sync.status.isHidden() and w.sync.accounts.empty_label.isVisible()
    w.close()


def test_the_account_dialog_checks_as_you_type_and_says_where_the_token_goes(qtbot: QtBot, ctx: Context) -> None:
    dialog = AccountDialog(ctx, secrets=KEYRING, supported=(AccountKind.KANBERT,))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.url_edit.text() == "https://api.kanbert.com/api/v1"  # Kanbert's cloud, prefilled
    assert dialog.store_label.text() == "Kept in the keyring “MemoryKeyring”."
    assert not dialog.file_box.isVisible()
    assert dialog.policy_combo.currentData() == Policy.REMOTE_WINS.value
    assert dialog.policy_hint.text() == policy_hint(Policy.REMOTE_WINS, "Kanbert")
    assert "the other value is kept as a conflict" in dialog.policy_hint.text()
    assert not dialog.save_button.isEnabled() and not dialog.name_message.isVisible()  # untouched: no red yet

    QTest.keyClicks(dialog.name_edit, "Work")
    QTest.keyClick(dialog.name_edit, Qt.Key.Key_Backspace)
    dialog.name_edit.clear()
    QTest.keyClicks(dialog.name_edit, " ")
    assert dialog.name_message.isVisible() and dialog.name_message.text() == "The name must not be empty"
    dialog.url_edit.clear()
    QTest.keyClicks(dialog.url_edit, "http://crm.example.com/api")
    assert "must use https" in dialog.url_message.text()
    QTest.keyClicks(dialog.name_edit, "Work CRM")
    dialog.url_edit.clear()
    QTest.keyClicks(dialog.url_edit, "https://crm.example.com/api/v1")
    assert not dialog.url_message.isVisible() and not dialog.name_message.isVisible()
    assert not dialog.save_button.isEnabled()  # the token is missing
    QTest.keyClicks(dialog.token_edit, "s3cret")
    assert dialog.save_button.isEnabled()
    dialog.interval_spin.setValue(5)
    dialog.accept()
    got = dialog.result_record()
    assert got is not None and got.secret == "s3cret" and not got.use_file
    assert got.record.name == "Work CRM" and got.record.interval_s == 300 and got.record.kind is AccountKind.KANBERT

    # a name another account has is refused as it is typed
    accounts.add_account(ctx, AccountRecord(name="Taken", base_url="https://a.example.com"), secret="x")
    other = AccountDialog(ctx, secrets=KEYRING, supported=(AccountKind.KANBERT,))
    qtbot.addWidget(other)
    QTest.keyClicks(other.name_edit, "taken")
    assert "another account is already called" in other.name_message.text()
    # kinds crmdesk cannot sync yet are listed, but cannot be chosen
    assert other.kind_combo.itemText(other.kind_combo.findData("cobra")) == "cobra CRM — coming soon"


def test_without_a_keyring_the_file_is_an_explicit_opt_in(qtbot: QtBot, ctx: Context) -> None:
    none = SecretInfo("keyring", "", encrypted=False, problem="No keyring is available on this computer.")
    dialog = AccountDialog(ctx, secrets=none, supported=(AccountKind.KANBERT,))
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.name_edit, "Work CRM")
    QTest.keyClicks(dialog.token_edit, "s3cret")
    assert dialog.store_warning.isVisible() and "No keyring is available" in dialog.store_warning.text()
    assert dialog.file_box.isVisible() and not dialog.file_box.isChecked()
    assert "Not encrypted" in dialog.file_warning.text()
    assert not dialog.save_button.isEnabled()
    dialog.file_box.setChecked(True)
    assert dialog.save_button.isEnabled()
    dialog.accept()
    result = dialog.result_record()
    assert result is not None and result.use_file

    # editing without a new token needs no secret store at all
    rec = accounts.add_account(ctx, AccountRecord(name="Old", base_url="https://a.example.com"), secret="x")
    edit = AccountDialog(ctx, rec, secrets=none, supported=(AccountKind.KANBERT,))
    qtbot.addWidget(edit)
    assert edit.save_button.isEnabled() and edit.record().secret is None
    assert edit.token_edit.placeholderText() == "Leave empty to keep the stored one"


def test_editing_and_removing_an_account(
    qtbot: QtBot, synced: MainWindow, ctx: Context, account: AccountRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, page = synced, synced.sync.accounts
    changed = account.replace(name="Kanbert (work)", policy=Policy.LOCAL_WINS, interval_s=600)
    monkeypatch.setattr(AccountDialog, "ask", classmethod(lambda cls, *a, **k: AccountInput(changed, None)))
    w.sync.show_accounts()
    with qtbot.waitSignal(w.sync.controller.run_finished, timeout=RUN_MS):
        QTest.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    stored = accounts.get_account(ctx, account.id)
    assert (stored.name, stored.policy, stored.interval_s) == ("Kanbert (work)", Policy.LOCAL_WINS, 600)
    assert w.sync.controller._timers[account.id].interval() == 600_000  # the timer follows the interval
    assert page.pane.title.text() == "Kanbert (work)"

    questions: list[dict[str, Any]] = []

    def confirm_remove(parent: Any, **k: Any) -> bool:
        questions.append(k)
        return True

    monkeypatch.setattr(account_dialogs, "confirm_remove", confirm_remove)
    QTest.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert questions == [{"account": "Kanbert (work)", "pending": 0}]
    assert accounts.list_accounts(ctx) == []
    assert keyring_backend.stored() == {}
    assert w.sync.status.isHidden() and page.empty_label.isVisible()
    w.show_entity(Entity.PERSON)
    _settle(qtbot, w)
    assert len(_names(w)) == 30  # the people stay


# ---- offline, outbox ----------------------------------------------------------------------------------------


def test_an_offline_edit_waits_in_the_outbox_and_goes_out_when_the_network_is_back(
    qtbot: QtBot,
    synced: MainWindow,
    ctx: Context,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, c = synced, synced.sync.controller
    monkeypatch.setattr(c, "edit_delay_ms", 50)  # an edit goes out soon: here at once
    person, remote_id = _linked_person(ctx, account)
    kanbert.faults.drop_connections(10_000)  # the train enters the tunnel

    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):  # the edit itself starts the run
        w.history.edit(person, person.replace(last_name="Zugfahrt"))
    _settle(qtbot, w)
    assert c.outcome(accounts.get_account(ctx, account.id))[0] is Outcome.OFFLINE
    assert w.sync.status.text() == "● Offline · 1 change to send"
    assert "Offline — changes are kept and sent when the connection is back" in w.sync.status.label.toolTip()
    w.sync.show_accounts()
    page = w.sync.accounts
    assert _state_text(w) == "Offline — will retry" and page.model.data(page.model.index(0, 4)) == "1"
    qtbot.waitUntil(lambda: page.pane.outbox_model.rowCount() == 1, timeout=5000)
    outbox = page.pane.outbox_model
    assert [outbox.data(outbox.index(0, col)) for col in (1, 2)] == ["Changed", "Discard…"]
    assert str(outbox.data(outbox.index(0, 0))).endswith("Zugfahrt")
    assert _contact(kanbert, remote_id)["last_name"] == person.last_name  # nothing reached the server

    kanbert.faults.reset()  # out of the tunnel
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        QTest.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert _contact(kanbert, remote_id)["last_name"] == "Zugfahrt"
    assert w.sync.status.text() == "● Online · synced just now · nothing to send"
    assert _state_text(w) == "Up to date" and outbox.rowCount() == 0


def test_discarding_a_new_record_deletes_it_after_asking(
    qtbot: QtBot, synced: MainWindow, ctx: Context, kanbert: KanbertEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = synced
    with ctx.store.write() as s:
        made, change = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    w.sync.controller.publish(change)
    w.sync.show_accounts()
    pane = w.sync.accounts.pane
    qtbot.waitUntil(lambda: pane.outbox_model.rowCount() == 1, timeout=5000)
    assert pane.outbox_title.text() == "WAITING TO BE SENT (1)"
    assert pane.outbox_model.data(pane.outbox_model.index(0, 1)) == "New"

    asked: list[dict[str, Any]] = []

    def refuse(parent: Any, **k: Any) -> bool:
        asked.append(k)
        return False

    monkeypatch.setattr(account_dialogs, "confirm_discard", refuse)
    pane.discard(0)
    assert asked == [{"name": "Ines Brandt", "change": "new", "account": NAME}]
    assert _person(ctx, made.id).stamp.deleted_at is None  # "Cancel": nothing happened

    monkeypatch.setattr(account_dialogs, "confirm_discard", lambda parent, **k: True)
    index = pane.outbox_model.index(0, DISCARD_COLUMN)
    QTest.mouseClick(
        pane.outbox.viewport(),
        Qt.MouseButton.LeftButton,
        pos=pane.outbox.visualRect(index).center(),
    )
    _settle(qtbot, w)
    assert _person(ctx, made.id).stamp.deleted_at is not None
    assert pane.outbox_model.rowCount() == 0
    assert "every change is on the server" in pane.outbox_empty.text()
    assert all(c["first_name"] != "Ines" for c in kanbert.store.contacts())


# ---- conflicts ----------------------------------------------------------------------------------------------


def test_a_conflict_shows_both_values_and_the_other_one_can_be_taken(
    qtbot: QtBot, synced: MainWindow, ctx: Context, kanbert: KanbertEmulator, account: AccountRecord
) -> None:
    w, c = synced, synced.sync.controller
    person, remote_id = _linked_person(ctx, account)
    w.history.edit(person, person.replace(first_name="Josefine"))  # here…
    _settle(qtbot, w)
    with _api(kanbert) as api:  # …and a colleague in Kanbert, the same field
        assert api.patch(f"/contacts/{remote_id}", json={"first_name": "Josephine"}).status_code == 200
    _sync(qtbot, w)
    assert "1 conflict" in w.statusBar().currentMessage()
    assert _person(ctx, person.id).first_name == "Josephine"  # remote wins (the default policy)…
    assert w._nav.item(3).text() == "Conflicts (1)"

    page = w.sync.conflicts
    with qtbot.waitSignal(page.loaded, timeout=5000):
        w.sync.show_conflicts()
    row = [page.proxy.data(page.proxy.index(0, col)) for col in range(5)]
    assert row == [f"{person.title} Josephine {person.last_name}".strip(), "First name", "Josephine", "Josefine", NAME]
    pane = page.pane
    assert (pane.mine_caption.text(), pane.mine_value.text()) == ("Mine", "Josefine")  # …yours is kept
    assert (pane.theirs_caption.text(), pane.theirs_value.text()) == ("Theirs (Kanbert) — kept for now", "Josephine")
    assert pane.theirs_card.property("side") == "kept" and pane.mine_card.property("side") == ""
    assert (pane.keep_button.text(), pane.take_button.text()) == ("Keep mine", "Take theirs")
    assert pane.base_label.text() == f"Before both changes: {person.first_name}"

    with qtbot.waitSignal(page.loaded, timeout=RUN_MS):
        QTest.mouseClick(pane.keep_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert _person(ctx, person.id).first_name == "Josefine"
    assert page.model.rowCount() == 0 and page.empty_label.isVisible()
    assert w._nav.item(3).text() == "Conflicts"
    assert w.sync.status.text() == "● Online · synced just now · 1 change to send"  # yours goes out next
    _sync(qtbot, w)
    assert _contact(kanbert, remote_id)["first_name"] == "Josefine"
    assert c.snapshot is not None and c.snapshot.pending == 0


def test_take_theirs_closes_a_conflict_and_open_shows_the_record(
    qtbot: QtBot, synced: MainWindow, ctx: Context, kanbert: KanbertEmulator, account: AccountRecord
) -> None:
    w = synced
    person, remote_id = _linked_person(ctx, account)
    w.history.edit(person, person.replace(last_name="Mine"))
    _settle(qtbot, w)
    with _api(kanbert) as api:
        api.patch(f"/contacts/{remote_id}", json={"last_name": "Theirs"})
    _sync(qtbot, w)
    page = w.sync.conflicts
    with qtbot.waitSignal(page.loaded, timeout=5000):
        w.sync.show_conflicts()
    QTest.mouseClick(page.pane.open_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, w)
    assert w._nav.currentRow() == 0 and w._center_stack.currentIndex() == 0
    assert w.detail.shown == (Entity.PERSON, person.id) and w.tables[Entity.PERSON].current_id() == person.id
    with qtbot.waitSignal(page.loaded, timeout=5000):
        w.sync.show_conflicts()
    with qtbot.waitSignal(page.loaded, timeout=RUN_MS):
        QTest.mouseClick(page.pane.take_button, Qt.MouseButton.LeftButton)  # theirs was kept: it only closes
    assert page.model.rowCount() == 0
    assert _person(ctx, person.id).last_name == "Theirs"


# ---- sign in again, mass deletions --------------------------------------------------------------------------


def test_a_refused_token_asks_to_sign_in_again_and_does_not_retry(
    qtbot: QtBot,
    synced: MainWindow,
    ctx: Context,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, c = synced, synced.sync.controller
    kanbert.revoke_token(kanbert.token)
    _sync(qtbot, w)
    assert w.sync.status.text() == f"● {NAME}: sign in again · nothing to send"
    assert c.outcome(accounts.get_account(ctx, account.id))[0] is Outcome.SIGN_IN
    c._on_edit_timer_timeout()  # what a local edit or the interval would do: no run, no retry loop
    assert not c.is_running()
    w.sync.show_accounts()
    assert _state_text(w) == "Sign in again" and w.sync.accounts.sign_in_button.isVisibleTo(w.sync.accounts)

    kanbert.add_token("fresh-token")
    asked: list[str] = []

    def ask(cls: type[SignInDialog], /, parent: Any, acc: AccountRecord, **kw: Any) -> str:
        asked.append(acc.name)
        return "fresh-token"

    monkeypatch.setattr(SignInDialog, "ask", classmethod(ask))
    with qtbot.waitSignal(c.run_finished, timeout=RUN_MS):
        w.sync.status.label.linkActivated.emit(f"signin:{account.id}")  # the link in the status bar
    _settle(qtbot, w)
    assert asked == [NAME]
    assert keyring_backend.stored()[("crmdesk", account.id)] == "fresh-token"
    assert w.sync.status.text() == "● Online · synced just now · nothing to send"


def test_many_remote_deletions_are_asked_about_and_kept_until_confirmed(
    qtbot: QtBot,
    synced: MainWindow,
    ctx: Context,
    kanbert: KanbertEmulator,
    account: AccountRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, c = synced, synced.sync.controller
    for contact in kanbert.store.contacts()[:20]:
        kanbert.store.delete_contact(contact["id"])
    answers = [False, True]
    asked: list[dict[str, Any]] = []

    def ask(parent: Any, **kw: Any) -> bool:
        asked.append(kw)
        return answers.pop(0)

    monkeypatch.setattr(account_dialogs, "ask_mass_delete", ask)
    _sync(qtbot, w)
    assert [(k["account"], k["local"], k["remote"]) for k in asked] == [(NAME, 20, 0)]
    assert "would delete 20 people here" in asked[0]["message"]  # the guard's own words, in the question
    assert w.sync.status.text() == f"● {NAME}: confirm deletions · nothing to send"
    assert "sync paused" in w.statusBar().currentMessage()
    w.show_entity(Entity.PERSON)
    _settle(qtbot, w)
    assert len(_names(w)) == 30  # "Keep them": nothing was deleted
    c._on_edit_timer_timeout()  # paused: timers and edits start no run
    assert not c.is_running()

    # The link in the status bar syncs again, which asks again; "Delete" runs once more, allowed to delete
    w.sync.status.label.linkActivated.emit(f"guard:{account.id}")
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=RUN_MS)
    qtbot.waitUntil(lambda: not c.is_running() and len(_names(w)) == 10, timeout=RUN_MS)
    _settle(qtbot, w)
    assert w.sync.status.text() == "● Online · synced just now · nothing to send"


def test_the_question_about_deletions_defaults_to_keeping(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, list[str], str]] = []

    def exec_(box: Any) -> int:
        seen.append((box.windowTitle(), box.text(), [b.text() for b in box.buttons()], box.defaultButton().text()))
        return 0

    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    assert not account_dialogs.ask_mass_delete(None, account=NAME, local=20, remote=0)
    _title, text, buttons, default = seen[0]
    assert text == f"This sync of “{NAME}” would delete 20 records here."
    assert sorted(buttons) == ["Delete 20 records here", "Keep them"] and default == "Keep them"


# ---- background timers ---------------------------------------------------------------------------------------


def test_the_first_run_starts_by_itself_soon_after_the_window_opens(
    qtbot: QtBot, ctx: Context, runner: JobRunner, account: AccountRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SyncController, "first_run_ms", 100)
    w = MainWindow(ctx, runner=runner, hub=ChangeHub(), bridge=messages.MessageBridge())
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.sync.controller.run_finished, timeout=RUN_MS):
        w.show()
    _settle(qtbot, w)
    assert len(_names(w)) == 30
    timer = w.sync.controller._timers[account.id]
    assert timer.isActive() and timer.interval() == account.interval_s * 1000
    w.close()
    assert not timer.isActive()


def test_the_window_stays_responsive_while_500_people_sync(
    qtbot: QtBot,
    ctx: Context,
    runner: JobRunner,
    kanbert_server: KanbertEmulator,  # noqa: F811 - the imported fixture
    slow_timers: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kanbert_server.seed_people(500, companies=50)
    rec = AccountRecord(kind=AccountKind.KANBERT, name=NAME, base_url=kanbert_server.api_url)
    account = accounts.add_account(ctx, rec, secret=kanbert_server.token)
    w = _open_window(qtbot, ctx, runner)
    # What app.main does once the window is up: a short GIL switch interval, and start-up objects frozen out of
    # the garbage collector's full passes (without it one full pass alone stalls the window ~125 ms here).
    gc.collect()
    gc.freeze()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    gaps: list[tuple[float, float]] = []  # (when, how long since the tick before)
    last = [time.perf_counter()]
    finished: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now, now - last[0]))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    w.sync.controller.run_finished.connect(lambda account_id: finished.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    try:
        _sync(qtbot, w, account.id)
    finally:
        timer.stop()
        sys.setswitchinterval(switch)
        gc.unfreeze()
    took = finished[0] - started
    during = max(g for t, g in gaps if t <= finished[0]) * 1000
    after = max(g for t, g in gaps) * 1000
    with capsys.disabled():
        print(
            f"\n500 people synced in {took:.1f} s; longest stall of a 10 ms timer during the run: {during:.0f} ms, "
            f"with the tables' refresh after it: {after:.0f} ms"
        )
    assert len(_names(w)) == 500
    assert during < 100, f"the window stalled {during:.0f} ms during a sync"
    w.close()


# ---- models and words ---------------------------------------------------------------------------------------


def _conflict_row(field: str = "first_name", *, kept: Side = Side.REMOTE) -> ConflictRow:
    c = ConflictRecord(
        id="c1",
        account_id="a1",
        entity=Entity.PERSON,
        local_id="p1",
        field=field,
        label="First name",
        base="Marie",
        local="Josefine",
        remote="Josephine",
        kept=kept,
        created_at=dt.datetime(2024, 10, 1, 8, 0, tzinfo=dt.UTC),
        resolved_at=None,
    )
    return ConflictRow(c, "Josephine Bauer", "First name", NAME, "Kanbert")


def test_the_sync_models_pass_the_model_tester(qtmodeltester: Any) -> None:
    accounts_model = AccountsModel()
    view = AccountView("a1", NAME, "Kanbert", "https://x", "Up to date", "online", "#2e9d5b", "", "now", "", "0", "0")
    accounts_model.set_rows([view, dataclasses.replace(view, id="a2", enabled=False)])
    qtmodeltester.check(accounts_model, force_py=True)
    accounts_model.set_rows([view])
    qtmodeltester.check(accounts_model, force_py=True)

    from crmdesk.sync.run import OutboxEntry

    outbox = OutboxModel()
    outbox.set_entries("a1", [OutboxEntry(Entity.PERSON, "p1", "Ines Brandt", "new")])
    qtmodeltester.check(outbox, force_py=True)

    conflicts = ConflictsModel()
    conflicts.set_rows([_conflict_row(), _conflict_row("@company:x1")])
    qtmodeltester.check(conflicts, force_py=True)


def test_words_for_values_and_times() -> None:
    assert format_value("first_name", None) == "(empty)"
    assert format_value("emails", ("a@b.de", "c@d.de")) == "a@b.de\nc@d.de"
    assert format_value("@company:x", True) == "Linked"
    assert format_value("@company:x", "Einkauf") == "Linked, as Einkauf"
    assert format_value("@company:x", None) == "Not linked"
    now = dt.datetime(2024, 10, 1, 12, 0, tzinfo=dt.UTC)
    assert relative_time(None) == "never"
    assert relative_time(now - dt.timedelta(seconds=20), now=now) == "just now"
    assert relative_time(now - dt.timedelta(minutes=2), now=now) == "2 min ago"
    assert relative_time(now - dt.timedelta(hours=3), now=now) == "3 h ago"
    assert relative_time(now - dt.timedelta(days=3), now=now) == "3 days ago"
    assert relative_time(now - dt.timedelta(days=30), now=now) == "1 Sep 2024"


def test_the_sign_in_dialog_needs_a_token(qtbot: QtBot) -> None:
    dialog = SignInDialog(AccountRecord(name=NAME, base_url="https://x"), secrets=KEYRING)
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    QTest.keyClicks(dialog.token_edit, " new-token ")
    assert dialog.save_button.isEnabled() and dialog.token() == "new-token"
    assert dialog.token_edit.echoMode() is dialog.token_edit.EchoMode.Password
    dialog.reject()
    assert dialog.result() == QDialog.DialogCode.Rejected
