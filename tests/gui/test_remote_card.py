"""The person pane's "Business card from cobra": the card as cobra's own vCard endpoint makes it, saved to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

# ruff: noqa: F811
from test_sync_ui import _fast_retries, _open_window, _settle, _sync, runner  # noqa: F401 - fixtures by name

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.records import Entity
from crmdesk.store import links
from crmdesk.sync import accounts
from crmdesk.ui.dialogs import files
from crmdesk.ui.mainwindow import MainWindow
from crmdesk.ui.workers import JobRunner
from tests.emulators.cobra import CobraEmulator
from tests.emulators.fixtures import running


@pytest.fixture
def cobra() -> Iterator[CobraEmulator]:
    with running(CobraEmulator(seed=4)) as server:
        server.seed_people(6, companies=2, touchpoints=4)
        yield server


def test_the_card_menu_offers_cobras_own_card_and_saves_it(
    qtbot: QtBot,
    ctx: Context,
    runner: JobRunner,
    cobra: CobraEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = (("tenant", cobra.tenant), ("user", cobra.api_email))
    rec = AccountRecord(kind=AccountKind.COBRA, name="Sales", base_url=cobra.api_url, options=options)
    account = accounts.add_account(ctx, rec, secret=cobra.api_key)
    w: MainWindow = _open_window(qtbot, ctx, runner)
    _sync(qtbot, w)
    with ctx.store.read() as s:
        person_id = next(iter(links.remote_ids(s, account.id, Entity.PERSON)))
    w.detail.show_record(Entity.PERSON, person_id)
    qtbot.waitUntil(lambda: w.detail.shown_name != "", timeout=5000)

    w.detail.card_menu.aboutToShow.emit()
    texts = [a.text() for a in w.detail.card_menu.actions()]
    assert texts == ["Export business card…", "Business card from cobra (Sales)…"]

    target = tmp_path / "card.vcf"
    asked: list[Path] = []

    def save_file(parent: object, *, title: str, suggested: Path, file_filter: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(files, "save_file", save_file)
    w.detail.card_menu.actions()[1].trigger()
    qtbot.waitUntil(target.exists, timeout=5000)
    _settle(qtbot, w)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCARD") and "END:VCARD" in text
    assert asked and asked[0].name == f"{w.detail.shown_name} (cobra).vcf"
    assert "saved to" in w.statusBar().currentMessage()
    w.close()
