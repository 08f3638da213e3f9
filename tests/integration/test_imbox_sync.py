"""The ImBox connector against the ImBox emulator: the connector contract, then whole sync runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from crmdesk.connectors.http import HttpClient
from crmdesk.connectors.imbox import ImboxConnector
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.records import BusinessCardRecord, Email, Entity, PersonRecord, Phone, TouchpointRecord
from crmdesk.store import accounts, links, people, touchpoints
from crmdesk.sync.engine import SyncEngine, SyncReport, _SimulatedCrash
from tests.emulators.fixtures import running
from tests.emulators.imbox import ImboxEmulator
from tests.integration.contract import ConnectorContract, unreachable

P, C, T = Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT


def make(
    server: ImboxEmulator, key: str | None = None, *, page_size: int = 10, url: str | None = None
) -> ImboxConnector:
    key = server.api_key if key is None else key
    http = HttpClient(
        f"{url or server.api_url}/{key}/{server.user_id}",
        name="ImBox",
        secrets=(key,),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )
    return ImboxConnector(http, page_size=page_size)


@pytest.fixture
def imbox() -> Iterator[ImboxEmulator]:
    with running(ImboxEmulator(seed=5)) as server:
        yield server


@pytest.fixture
def connector(imbox: ImboxEmulator) -> Iterator[ImboxConnector]:
    c = make(imbox)
    yield c
    c.close()


@pytest.fixture
def bad_connector(imbox: ImboxEmulator) -> Iterator[ImboxConnector]:
    c = make(imbox, "not-the-key")
    yield c
    c.close()


@pytest.fixture
def dead_connector(imbox: ImboxEmulator) -> Iterator[ImboxConnector]:
    c = make(imbox, url=unreachable("/api"))
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    return {
        "first_name": "Arne",
        "last_name": "Andersson",
        "title": "CEO",
        "description": "Met at the Stockholm fair.",
        "emails": ("arne@imbox.se", "arne.andersson@gmail.com"),
        "phones": ("+46762004545",),
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {"name": "ImBox Sweden AB"}


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Bengtsson"


class TestImboxContract(ConnectorContract):
    pass


# ---- whole runs --------------------------------------------------------------------------------------------------


class Run:
    def __init__(self, ctx: Context, server: ImboxEmulator) -> None:
        self.ctx = ctx
        self.server = server
        self.account = AccountRecord(kind=AccountKind.IMBOX, name="ImBox", base_url=server.api_url)
        with ctx.store.write() as s:
            accounts.save(s, self.account)

    def sync(self, **kwargs: Any) -> SyncReport:
        connector = make(self.server, page_size=25)
        with self.ctx.store.read() as s:
            account = accounts.get(s, self.account.id)
        try:
            return SyncEngine(self.ctx.store, account, connector, **kwargs).run()
        finally:
            connector.close()

    def remote_id(self, entity: Entity, local_id: str) -> str:
        with self.ctx.store.read() as s:
            link = links.by_local(s, self.account.id, entity, local_id)
        assert link is not None and link.remote_id
        return link.remote_id


@pytest.fixture
def run(ctx: Context, imbox: ImboxEmulator) -> Run:
    return Run(ctx, imbox)


def test_first_sync_copies_everything_and_a_second_changes_nothing(run: Run) -> None:
    run.server.seed_people(60, companies=6, notes=30)
    report = run.sync()
    assert not report.problems
    assert (report.of(C).created_local, report.of(P).created_local, report.of(T).created_local) == (6, 60, 30)
    again = run.sync()
    assert sum(c.total for c in again.counts.values()) == 0


def test_emails_and_phones_reach_imbox_and_a_pull_never_blanks_them(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Arne",
                last_name="Andersson",
                cards=(BusinessCardRecord(emails=(Email("arne@imbox.se"),), phones=(Phone("+46762004545"),)),),
            ),
        )
    run.sync()
    rid = int(run.remote_id(P, p.id))
    stored = run.server.store.contact(rid, channels=True)
    assert [e["email"] for e in stored["emails"]] == ["arne@imbox.se"]
    assert [(x["phone"], x["isPrimary"]) for x in stored["phones"]] == [("+46762004545", True)]
    assert stored["externalId"] == p.id
    # A colleague renames the contact in ImBox: the pull takes the name and keeps e-mail and phone.
    run.server.store.update_contact(rid, {"lastName": "Bengtsson"})
    assert run.sync().of(P).updated_local == 1
    with run.ctx.store.read() as s:
        here = people.get(s, p.id)
    assert here.last_name == "Bengtsson"
    assert here.cards[0].emails[0].address == "arne@imbox.se" and here.cards[0].phones[0].number == "+46762004545"


def test_an_edited_note_is_replaced_there_without_a_conflict(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Arne", last_name="Andersson"))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Called", body="About Q4.", person_ids=(p.id,)))
        lonely, _ = touchpoints.create(s, TouchpointRecord(subject="Nobody involved"))
    run.sync()
    first = run.remote_id(T, t.id)
    with run.ctx.store.write() as s:
        touchpoints.update(s, touchpoints.get(s, t.id).replace(body="About Q4 and Q1."))
    report = run.sync()
    assert report.conflicts == 0 and report.of(T).updated_remote == 1, report.counts
    second = run.remote_id(T, t.id)
    assert second != first
    notes = run.server.store.notes(contact_id=int(run.remote_id(P, p.id)))
    assert [n["content"] for n in notes] == ["Called\nAbout Q4 and Q1."]
    again = run.sync()
    assert sum(c.total for c in again.counts.values()) == 0
    with run.ctx.store.read() as s:
        assert links.by_local(s, run.account.id, T, lonely.id) is None  # no person: it stays here


@pytest.mark.parametrize(
    "how",
    [
        "killed before the local commit",
        "answer of the new note lost",
        "killed, then a second edit killed before it went out",
    ],
)
def test_an_edited_note_whose_swap_was_cut_short_is_neither_doubled_nor_lost(run: Run, how: str) -> None:
    # The edit deletes the old note and creates the new one; the run dies before it learns or stores the new id.
    # The next run must take the new note for this touchpoint's own: not a stranger to import (a double here),
    # and not a reason to send the edit once more (a double there).
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Arne", last_name="Andersson"))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Called", body="About Q4.", person_ids=(p.id,)))
    run.sync()
    with run.ctx.store.write() as s:
        touchpoints.update(s, touchpoints.get(s, t.id).replace(body="About Q4 and Q1."))
    if how.startswith("killed"):
        with pytest.raises(_SimulatedCrash):
            run.sync(crash_after_push=1)
    else:
        run.server.faults.lose_response(1, path=run.server.path_of("/contactNotes"), methods=["POST"])
        with pytest.raises(Exception):  # noqa: B017 - the run stops on the lost answer
            run.sync()
    final = "About Q4 and Q1."
    if how == "killed, then a second edit killed before it went out":
        final = "About Q4, Q1 and Q2."
        with run.ctx.store.write() as s:
            touchpoints.update(s, touchpoints.get(s, t.id).replace(body=final))
        with pytest.raises(_SimulatedCrash):
            run.sync(crash_before_push=1)
    report = run.sync()
    contact = int(run.remote_id(P, p.id))
    assert [n["content"] for n in run.server.store.notes(contact_id=contact)] == [f"Called\n{final}"]
    with run.ctx.store.read() as s:
        ids = list(s.scalars(text("SELECT id FROM touchpoint WHERE deleted_at IS NULL")))
        live = touchpoints.get_many(s, ids)
    assert [(x.id, x.body) for x in live] == [(t.id, final)], report.counts
    assert report.conflicts == 0
    assert sum(c.total for c in run.sync().counts.values()) == 0


def test_a_lost_create_is_found_by_its_external_id_not_doubled(run: Run) -> None:
    with run.ctx.store.write() as s:
        people.create(
            s,
            PersonRecord(first_name="Lost", last_name="Answer", cards=(BusinessCardRecord(emails=(Email("l@a.se"),)),)),
        )
    run.server.faults.lose_response(1, path=run.server.path_of("/contacts"), methods=["POST"])
    with pytest.raises(Exception):  # noqa: B017 - the run stops on the lost answer
        run.sync()
    run.sync()
    assert len(run.server.store.contacts()) == 1
    with run.ctx.store.read() as s:
        assert links.count(s, run.account.id, P) == 1


def test_the_key_never_reaches_a_log_line(run: Run, caplog: pytest.LogCaptureFixture) -> None:
    run.server.seed_people(5)
    run.server.faults.set_error_rate(1.0, methods=["GET"])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception):  # noqa: B017
        run.sync()
    run.server.faults.reset()
    run.sync()
    text = caplog.text
    assert "/contacts" in text and run.server.api_key not in text and "***" in text
    with httpx.Client() as client:  # the emulator itself still sees the key in the path
        assert client.get(f"{run.server.api_url}/{run.server.api_key}/{run.server.user_id}/contacts").status_code == 200


def test_long_notes_go_there_cut_and_stay_whole_here(run: Run) -> None:
    long = "Met at the Stockholm fair. " * 30  # 810 characters: ImBox holds 500
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Arne", last_name="Andersson", notes=long.strip()))
    assert not run.sync().problems
    rid = int(run.remote_id(P, p.id))
    assert run.server.store.contact(rid)["description"] == long.strip()[:500]
    again = run.sync()
    assert sum(c.total for c in again.counts.values()) == 0
    with run.ctx.store.read() as s:
        assert people.get(s, p.id).notes == long.strip()
