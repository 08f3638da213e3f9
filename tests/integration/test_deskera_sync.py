"""The Deskera connector against the Deskera emulator: the connector contract, then whole sync runs."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from crmdesk.connectors.base import ref
from crmdesk.connectors.deskera import DeskeraConnector, connect
from crmdesk.connectors.http import HttpClient
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord, AccountState
from crmdesk.domain.merge import Value
from crmdesk.domain.records import (
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import MassDeleteStopped, RemoteUnavailable, SignInRequired
from crmdesk.store import accounts, companies, conflicts, links, people, touchpoints
from crmdesk.store.schema import Company, Person, Touchpoint
from crmdesk.sync.engine import SyncEngine, SyncReport
from tests.emulators.deskera import DeskeraEmulator
from tests.emulators.fixtures import running
from tests.integration.contract import ConnectorContract, pull_all, unreachable

P = Entity.PERSON
C = Entity.COMPANY
T = Entity.TOUCHPOINT


def make(url: str, token: str, *, page_size: int = 10) -> DeskeraConnector:
    http = HttpClient(
        url,
        name="Deskera",
        headers={"x-access-token": token, "Accept": "application/json"},
        secrets=(token,),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )
    return DeskeraConnector(http, page_size=page_size)


@pytest.fixture
def deskera() -> Iterator[DeskeraEmulator]:
    with running(DeskeraEmulator()) as server:
        yield server


@pytest.fixture
def connector(deskera: DeskeraEmulator) -> Iterator[DeskeraConnector]:
    c = make(deskera.api_url, deskera.token)
    yield c
    c.close()


@pytest.fixture
def bad_connector(deskera: DeskeraEmulator) -> Iterator[DeskeraConnector]:
    c = make(deskera.api_url, "not-the-token")
    yield c
    c.close()


@pytest.fixture
def dead_connector() -> Iterator[DeskeraConnector]:
    c = make(unreachable(), "t")
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    return {
        "first_name": "Ilse",
        "last_name": "Brandt",
        "email": "i.brandt@brandt-mb.de",
        "phone": "+4975311234",
        "address": "Seestraße 4, 78462 Konstanz, DE",
        "label": "Warm lead",
        "note": "Kennt uns von der Messe.",
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {
        "name": "Brandt Maschinenbau GmbH",
        "email": "info@brandt-mb.de",
        "phone": "+4975311230",
        "address": "Seestraße 4, 78462 Konstanz, DE",
        "label": "Hot lead",
    }


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Brandt-Meyer"


class TestDeskeraContract(ConnectorContract):
    pass


# ---- the connector alone -------------------------------------------------------------------------------------------


def test_connect_sends_the_token_as_x_access_token(deskera: DeskeraEmulator) -> None:
    account = AccountRecord(kind=AccountKind.DESKERA, name="Deskera", base_url=deskera.api_url)
    c = connect(account, deskera.token)
    try:
        assert "token works" in c.probe()
    finally:
        c.close()
    assert deskera.requests()[-1].headers.get("x-access-token") == deskera.token


def test_a_person_travels_as_deskeras_wire_form(connector: DeskeraConnector, deskera: DeskeraEmulator) -> None:
    org = connector.create(C, "c1", {"name": "Brandt GmbH"})
    made = connector.create(
        P,
        "p1",
        {
            "first_name": "Ludwig",
            "last_name": "van Beethoven",
            "phone": "+4975311234;ext=5",
            "label": "Cold lead",
            ref(C, org.remote_id): True,
        },
    )
    stored = deskera.store.contacts[int(made.remote_id)].data
    assert (stored["name"], stored["country_code"], stored["phone"]) == (
        "Ludwig van Beethoven",
        "+49",
        "75311234 ext. 5",
    )
    assert (stored["type"], stored["organization_id"], stored["label_id"]) == ("person", int(org.remote_id), 2)
    items, _ = pull_all(connector, P)
    assert items[0].fields == {
        "first_name": "Ludwig",
        "last_name": "van Beethoven",
        "phone": "+4975311234;ext=5",
        "label": "Cold lead",
        ref(C, org.remote_id): True,
    }
    companies_seen, _ = pull_all(connector, C)
    assert [i.remote_id for i in companies_seen] == [org.remote_id]  # the type filter keeps persons out


def test_activity_notes_go_out_base64_and_an_update_keeps_what_is_not_synced(
    connector: DeskeraConnector, deskera: DeskeraEmulator
) -> None:
    person = connector.create(P, "p", {"first_name": "Ilse", "last_name": "Brandt"})
    fields: dict[str, Value] = {
        "title": "Angebot",
        "note": "Zeile 1\nZeile <2> & 3",
        "type": "call",
        "when": "2024-10-10T09:15",
        ref(P, person.remote_id): True,
    }
    made = connector.create(T, "t", fields)
    posted = [r for r in deskera.requests() if r.method == "POST" and r.path.endswith("/activities")][-1]
    sent = base64.b64decode(json.loads(posted.body)["notes"]).decode()
    assert sent == "Zeile 1<br>Zeile &lt;2&gt; &amp; 3"
    rec = deskera.store.activities[int(made.remote_id)]
    rec.data["activity_type"] = "deadline"  # a colleague's choice crmdesk cannot name
    rec.data["end"] = rec.data["start"] + dt.timedelta(minutes=30)
    rec.data["is_status"] = True
    items, _ = pull_all(connector, T)
    assert items[0].fields == {**fields, "type": "task"}
    pulled = dict(items[0].fields or {})
    connector.update(T, made.remote_id, {**pulled, "when": "2024-10-11T10:00"}, pulled)
    data = deskera.store.activities[int(made.remote_id)].data
    assert data["activity_type"] == "deadline" and data["is_status"] is True
    assert data["notes"] == "Zeile 1<br>Zeile &lt;2&gt; &amp; 3"
    assert data["end"] - data["start"] == dt.timedelta(minutes=30)
    assert data["start"] == dt.datetime(2024, 10, 11, 10, 0, tzinfo=dt.UTC)


def test_a_walk_that_loses_a_record_midway_is_not_complete(
    connector: DeskeraConnector, deskera: DeskeraEmulator
) -> None:
    ids = [connector.create(P, str(i), {"last_name": f"N{i}"}).remote_id for i in range(25)]
    pages = connector.pull(P, None)
    first = next(pages)
    deskera.store.delete_contact(ids[0], 17826)
    rest = list(pages)
    seen = {i.remote_id for p in (first, *rest) for i in p.items}
    assert ids[10] not in seen  # the deletion shifted a record past the walk
    assert not rest[-1].complete


# ---- whole runs ------------------------------------------------------------------------------------------------------


class Run:
    """A store with a Deskera account, an emulator, and a colleague who edits through the API."""

    def __init__(self, ctx: Context, server: DeskeraEmulator) -> None:
        self.ctx = ctx
        self.server = server
        self.account = AccountRecord(kind=AccountKind.DESKERA, name="Deskera", base_url=server.api_url)
        with ctx.store.write() as s:
            accounts.save(s, self.account)
        self.token = server.token
        self.colleague = httpx.Client(
            base_url=server.api_url + "/v1/crm", headers={"x-access-token": self.token}, timeout=10
        )

    def sync(self, **kwargs: Any) -> SyncReport:
        connector = make(self.server.api_url, self.token, page_size=50)
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

    def local_id(self, entity: Entity, remote_id: int | str) -> str:
        with self.ctx.store.read() as s:
            return next(
                lid for lid, rid in links.remote_ids(s, self.account.id, entity).items() if rid == str(remote_id)
            )

    def contact(self, remote_id: str | int) -> dict[str, Any]:
        r = self.colleague.get(f"/contacts/{remote_id}")
        r.raise_for_status()
        return dict(r.json())

    def contacts(self, kind: str) -> list[dict[str, Any]]:
        r = self.colleague.get("/contacts", params={"type": kind, "limit": 100})
        r.raise_for_status()
        return list(r.json()["data"])

    def count(self, model: type[Person] | type[Company] | type[Touchpoint]) -> int:
        with self.ctx.store.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None))) or 0)

    def close(self) -> None:
        self.colleague.close()


@pytest.fixture
def run(ctx: Context, deskera: DeskeraEmulator) -> Iterator[Run]:
    r = Run(ctx, deskera)
    yield r
    r.close()


def test_first_sync_copies_people_organizations_and_activities_and_a_second_changes_nothing(run: Run) -> None:
    person_ids = run.server.seed_people(60, companies=8)
    run.server.seed_activities(30)
    report = run.sync()
    assert not report.problems, report.problems
    assert report.of(C).created_local == 8 and report.of(P).created_local == 60 and report.of(T).created_local == 30
    assert run.count(Company) == 8 and run.count(Person) == 60 and run.count(Touchpoint) == 30
    # Nothing went back: the first run only copied.
    assert report.of(P).updated_remote == report.of(C).updated_remote == report.of(T).updated_remote == 0
    with run.ctx.store.read() as s:
        for rid in person_ids[:20]:
            data = run.server.store.contact_json(run.server.store.contacts[rid])
            person = people.get(s, run.local_id(P, rid))
            assert f"{person.first_name} {person.last_name}" == data["name"]
            company = next((c for c in person.cards if c.company_id), None)
            if data["organization_id"] is None:
                assert company is None
            else:
                assert company is not None and company.company_name == data["organization_name"]
            label = data["label"]["name"]
            assert person.tags == (() if label == "No label" else (label,))
    again = run.sync()
    assert again.of(P).total == 0 and again.of(C).total == 0 and again.of(T).total == 0, again
    assert not again.problems


def test_local_create_and_edit_reach_the_server_once(run: Run) -> None:
    with run.ctx.store.write() as s:
        co, _ = companies.create(s, CompanyRecord(name="Brandt GmbH", tags=("Hot lead", "Kunde")))
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                middle_name="Maria",
                last_name="Brandt",
                tags=("VIP",),
                cards=(
                    BusinessCardRecord(
                        company_id=co.id,
                        favourite=True,
                        emails=(Email("ines@brandt.de"),),
                        phones=(Phone("+4975311234", PhoneType.WORK),),
                    ),
                ),
            ),
        )
        t, _ = touchpoints.create(
            s,
            TouchpointRecord(
                type=TouchpointType.MEETING,
                occurred_at=dt.datetime(2024, 10, 10, 9, 15, tzinfo=dt.UTC),
                subject="Werksbesuch",
                body="Halle 2 angesehen.\nAngebot folgt.",
                person_ids=(p.id,),
                company_id=co.id,
            ),
        )
    report = run.sync()
    assert not report.problems, report.problems
    assert (report.of(C).created_remote, report.of(P).created_remote, report.of(T).created_remote) == (1, 1, 1)
    org, person = run.contact(run.remote_id(C, co.id)), run.contact(run.remote_id(P, p.id))
    assert (org["name"], org["type"], org["label"]["name"]) == ("Brandt GmbH", "organization", "Hot lead")
    assert (person["name"], person["email"], person["country_code"], person["phone"]) == (
        "Ines Maria Brandt",
        "ines@brandt.de",
        "+49",
        "75311234",
    )
    assert person["organization_id"] == org["id"] and person["label"]["id"] == 1
    activity = run.colleague.get(f"/activities/{run.remote_id(T, t.id)}").json()
    assert (activity["name"], activity["activity_type"], activity["notes"]) == (
        "Werksbesuch",
        "meeting",
        "Halle 2 angesehen.<br>Angebot folgt.",
    )
    assert activity["contact_ids"] == [person["id"]] and activity["organization_ids"] == [org["id"]]
    assert run.sync().of(P).total == 0

    with run.ctx.store.write() as s:
        people.update(s, people.get(s, p.id).replace(last_name="Brandt-Meyer", tags=("VIP", "Warm lead")))
    report = run.sync()
    assert report.of(P).updated_remote == 1 and report.of(C).total == 0
    person = run.contact(run.remote_id(P, p.id))
    assert (person["name"], person["label"]["name"]) == ("Ines Maria Brandt-Meyer", "Warm lead")
    assert len(run.contacts("person")) == 1 and len(run.contacts("organization")) == 1
    with run.ctx.store.read() as s:
        local = people.get(s, p.id)
    # What Deskera cannot hold stays here: the middle name as its own part, the tag that is no label.
    assert (local.first_name, local.middle_name, local.tags) == ("Ines", "Maria", ("VIP", "Warm lead"))
    assert run.sync().of(P).total == 0


def test_a_create_whose_answer_is_lost_is_not_doubled(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(first_name="Lost", last_name="Answer", cards=(BusinessCardRecord(emails=(Email("l@a.de"),)),)),
        )
        q, _ = people.create(s, PersonRecord(first_name="No", last_name="Mail"))
    run.server.faults.lose_response(2, path="/v1/crm/contacts", methods=["POST"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    with run.ctx.store.read() as s:
        assert accounts.get(s, run.account.id).state is AccountState.ERROR
    for _ in range(2):
        try:
            run.sync()
        except RemoteUnavailable:
            continue
    report = run.sync()
    assert not report.problems
    listing = run.contacts("person")
    assert sorted(c["name"] for c in listing) == ["Lost Answer", "No Mail"]
    assert {run.remote_id(P, p.id), run.remote_id(P, q.id)} == {str(c["id"]) for c in listing}
    assert run.count(Person) == 2


def test_a_record_deleted_there_disappears_here_and_a_mass_delete_is_stopped(run: Run) -> None:
    ids = run.server.seed_people(40)
    acts = run.server.seed_activities(5)
    run.sync()
    run.colleague.delete(f"/contacts/{ids[0]}").raise_for_status()
    run.colleague.delete(f"/activities/{acts[0]}").raise_for_status()
    report = run.sync()
    assert report.of(P).deleted_local == 1 and report.of(T).deleted_local == 1
    assert run.count(Person) == 39 and run.count(Touchpoint) == 4
    for rid in ids[1:11]:
        run.colleague.delete(f"/contacts/{rid}").raise_for_status()
    with pytest.raises(MassDeleteStopped):
        run.sync()
    assert run.count(Person) == 39
    report = run.sync(allow_mass_delete=True)
    assert report.of(P).deleted_local == 10 and run.count(Person) == 29


def test_a_local_delete_reaches_the_server(run: Run) -> None:
    ids = run.server.seed_people(5)
    run.sync()
    local_id = run.local_id(P, ids[2])
    with run.ctx.store.write() as s:
        people.delete_many(s, [local_id])
    assert run.sync().of(P).deleted_remote == 1
    assert run.colleague.get(f"/contacts/{ids[2]}").status_code == 404
    assert len(run.contacts("person")) == 4


def test_a_colleagues_edit_and_mine_merge(run: Run) -> None:
    ids = run.server.seed_people(3)
    run.sync()
    local_id = run.local_id(P, ids[0])
    run.colleague.patch(f"/contacts/{ids[0]}", json={"email": "neu@example.com", "label_id": 4}).raise_for_status()
    with run.ctx.store.write() as s:
        person = people.get(s, local_id)
        people.update(s, person.replace(first_name="Mine", notes="Ruft morgen zurück."))
    report = run.sync()
    assert report.conflicts == 0 and not report.problems
    with run.ctx.store.read() as s:
        local = people.get(s, local_id)
        assert conflicts.open_conflicts(s) == []
    remote = run.contact(ids[0])
    assert local.first_name == "Mine" and remote["name"].startswith("Mine ")
    assert local.cards[0].emails[0].address == "neu@example.com" == remote["email"]
    assert "Hot lead" in local.tags and remote["label"]["name"] == "Hot lead"
    assert remote["note"] == "Ruft morgen zurück." == local.notes
    assert run.sync().of(P).total == 0


def test_a_field_deskera_lacks_is_never_blanked_by_a_pull(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                title="Dr.",
                first_name="Ilse",
                last_name="Brandt",
                cards=(
                    BusinessCardRecord(
                        favourite=True,
                        position="Einkauf",
                        emails=(Email("i@brandt.de"), Email("ilse@privat.de")),
                        phones=(Phone("+4975311234"), Phone("+491701234567", PhoneType.MOBILE)),
                    ),
                ),
            ),
        )
    run.sync()
    rid = run.remote_id(P, p.id)
    run.colleague.patch(f"/contacts/{rid}", json={"phone": "7531 99999"}).raise_for_status()
    report = run.sync()
    assert report.of(P).updated_local == 1
    with run.ctx.store.read() as s:
        local = people.get(s, p.id)
    card = local.cards[0]
    assert local.title == "Dr." and card.position == "Einkauf"
    assert [e.address for e in card.emails] == ["i@brandt.de", "ilse@privat.de"]
    assert [ph.number for ph in card.phones] == ["+49753199999", "+491701234567"]
    assert run.sync().of(P).total == 0


def test_a_revoked_token_asks_to_sign_in_again(run: Run) -> None:
    run.server.revoke_token(run.token)
    with pytest.raises(SignInRequired):
        run.sync()
    with run.ctx.store.read() as s:
        assert accounts.get(s, run.account.id).state is AccountState.SIGN_IN


def test_at_a_20_percent_error_rate_syncs_converge_without_duplicates(run: Run) -> None:
    """Every request fails one time in five (lost answers to creates included); repeated runs still converge."""
    run.server.seed_people(20, companies=3)
    run.server.seed_activities(5)
    run.sync()
    with run.ctx.store.write() as s:
        for i in range(8):
            p, _ = people.create(s, PersonRecord(first_name=f"New{i}", last_name="Person"))
            touchpoints.create(
                s,
                TouchpointRecord(
                    type=TouchpointType.CALL,
                    occurred_at=dt.datetime(2024, 10, 1 + i, 9, 0, tzinfo=dt.UTC),
                    subject=f"Anruf {i}",
                    person_ids=(p.id,),
                ),
            )
    run.server.faults.set_error_rate(0.2, seed=5)
    failures = 0
    for _ in range(30):
        try:
            report = run.sync()
        except RemoteUnavailable:
            failures += 1
            continue
        if all(report.of(e).total == 0 for e in (C, P, T)) and not report.problems:
            break
    else:
        pytest.fail("no clean run in 30 tries")
    run.server.faults.reset()
    assert failures >= 1  # the faults did bite
    names = [c["name"] for c in run.contacts("person")]
    assert len(names) == 28 and sorted(n for n in names if n.startswith("New")) == [f"New{i} Person" for i in range(8)]
    titles = [a["name"] for a in run.colleague.get("/activities", params={"pageSize": 100}).json()["data"]]
    assert sorted(t for t in titles if t.startswith("Anruf")) == [f"Anruf {i}" for i in range(8)]
    assert run.count(Person) == 28 and run.count(Touchpoint) == 13
