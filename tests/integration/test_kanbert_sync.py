"""The Kanbert connector against the Kanbert emulator: the connector contract, then whole sync runs with faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmdesk.connectors.http import HttpClient
from crmdesk.connectors.kanbert import KanbertConnector, split_street
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountRecord, AccountState
from crmdesk.domain.records import BusinessCardRecord, Email, Entity, PersonRecord, Phone, PhoneType
from crmdesk.errors import MassDeleteStopped, RemoteRejected, RemoteUnavailable, SignInRequired
from crmdesk.store import accounts, conflicts, links, people
from crmdesk.store.schema import Company, Person
from crmdesk.sync.engine import SyncEngine, SyncReport
from tests.emulators.base import FaultKind
from tests.emulators.kanbert import KanbertEmulator
from tests.integration.contract import ConnectorContract, unreachable

P = Entity.PERSON
C = Entity.COMPANY


def make(url: str, token: str, *, page_size: int = 10) -> KanbertConnector:
    http = HttpClient(
        url,
        name="Kanbert",
        headers={"Authorization": f"Bearer {token}"},
        secrets=(token,),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )
    return KanbertConnector(http, page_size=page_size)


@pytest.fixture
def connector(kanbert_server: KanbertEmulator) -> Iterator[KanbertConnector]:
    c = make(kanbert_server.api_url, kanbert_server.token)
    yield c
    c.close()


@pytest.fixture
def bad_connector(kanbert_server: KanbertEmulator) -> Iterator[KanbertConnector]:
    c = make(kanbert_server.api_url, "not-the-token")
    yield c
    c.close()


@pytest.fixture
def dead_connector() -> Iterator[KanbertConnector]:
    c = make(unreachable("/api/v1"), "t")
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    return {
        "first_name": "Ilse",
        "last_name": "Brandt",
        "title": "Dr.",
        "gender": "f",
        "birthday": "1971-03-14",
        "position": "Einkaufsleiterin",
        "email": "i.brandt@brandt-mb.de",
        "mobile": "+491701234567",
        "telephone": "+4975311234",
        "address_street": "Seestraße 4",
        "address_zip": "78462",
        "address_town": "Konstanz",
        "address_country": "DE",
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {
        "company_name": "Brandt Maschinenbau GmbH",
        "email": "info@brandt-mb.de",
        "phone": "+4975311230",
        "homepage": "https://brandt-mb.de",
        "address_street": "Seestraße 4",
        "address_zip": "78462",
        "address_town": "Konstanz",
        "address_country": "DE",
    }


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Brandt-Meyer"


class TestKanbertContract(ConnectorContract):
    pass


def test_street_and_house_number_split_and_join() -> None:
    assert split_street("Seestraße 4a") == ("Seestraße", "4a")
    assert split_street("Rue de la Paix 12-14") == ("Rue de la Paix", "12-14")
    assert split_street("Am Markt") == ("Am Markt", None)


# ---- whole runs --------------------------------------------------------------------------------------------------


class Run:
    """A store with a Kanbert account, an emulator, and a colleague who edits through the API."""

    def __init__(self, ctx: Context, server: KanbertEmulator) -> None:
        self.ctx = ctx
        self.server = server
        self.account = AccountRecord(name="Kanbert", base_url=server.api_url)
        with ctx.store.write() as s:
            accounts.save(s, self.account)
        self.token = server.token
        self.colleague = httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {self.token}"})

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

    def contact(self, remote_id: str) -> dict[str, Any]:
        r = self.colleague.get(f"/contacts/{remote_id}", params={"include": "companies"})
        r.raise_for_status()
        return dict(r.json())

    def count(self, model: type[Person] | type[Company]) -> int:
        from sqlalchemy import func, select

        with self.ctx.store.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None))) or 0)

    def close(self) -> None:
        self.colleague.close()


@pytest.fixture
def run(ctx: Context, kanbert_server: KanbertEmulator) -> Iterator[Run]:
    r = Run(ctx, kanbert_server)
    yield r
    r.close()


def test_first_sync_copies_every_contact_and_company_and_a_second_changes_nothing(run: Run) -> None:
    run.server.seed_people(120, companies=12)
    report = run.sync()
    assert report.of(C).created_local == 12 and report.of(P).created_local == 120
    assert run.count(Person) == 120 and run.count(Company) == 12
    assert not report.problems
    with run.ctx.store.read() as s:
        linked_cards = s.scalar(
            __import__("sqlalchemy").text(
                "SELECT count(*) FROM business_card WHERE company_id IS NOT NULL AND deleted_at IS NULL"
            )
        )
    assert linked_cards and linked_cards > 0
    again = run.sync()
    assert again.of(P).total == 0 and again.of(C).total == 0
    assert again.requests <= 6  # two incremental lists per entity, nothing else


def test_local_create_and_edit_reach_the_server_once(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                last_name="Brandt",
                cards=(
                    BusinessCardRecord(
                        emails=(Email("ines@brandt.de"),), phones=(Phone("+4975311234", PhoneType.WORK),)
                    ),
                ),
            ),
        )
    run.sync()
    rid = run.remote_id(P, p.id)
    contact = run.contact(rid)
    assert (contact["first_name"], contact["email"], contact["external_id"]) == ("Ines", "ines@brandt.de", p.id)
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, p.id).replace(title="Dr."))
    assert run.sync().of(P).updated_remote == 1
    assert run.contact(rid)["title"] == "Dr."
    listing = run.colleague.get("/contacts").json()["data"]
    assert len(listing) == 1


def test_a_colleagues_edit_and_mine_merge_and_a_clash_becomes_a_conflict(run: Run) -> None:
    run.server.seed_people(3)
    run.sync()
    with run.ctx.store.read() as s:
        (first, *_) = sorted(links.remote_ids(s, run.account.id, P))
    rid = run.remote_id(P, first)
    run.colleague.patch(f"/contacts/{rid}", json={"title": "Prof.", "last_name": "Theirs"}).raise_for_status()
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, first).replace(first_name="Mine", last_name="Mine"))
    report = run.sync()
    assert report.conflicts == 1
    mine = run.ctx.store.read
    with mine() as s:
        local = people.get(s, first)
        (c,) = conflicts.open_conflicts(s)
    assert (local.first_name, local.last_name, local.title) == ("Mine", "Theirs", "Prof.")
    assert (c.field, c.local, c.remote) == ("last_name", "Mine", "Theirs")
    remote = run.contact(rid)
    assert (remote["first_name"], remote["last_name"]) == ("Mine", "Theirs")
    assert run.sync().of(P).total == 0


def test_a_create_whose_answer_is_lost_is_not_doubled(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Lost", last_name="Answer"))
    run.server.faults.lose_response(1, path="/api/v1/contacts", methods=["POST"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    with run.ctx.store.read() as s:
        assert accounts.get(s, run.account.id).state is AccountState.ERROR
    run.sync()
    listing = run.colleague.get("/contacts").json()["data"]
    assert [c["external_id"] for c in listing] == [p.id]
    assert run.remote_id(P, p.id) == listing[0]["id"]


def test_server_errors_throttling_drops_and_garbage_are_ridden_out(run: Run) -> None:
    run.server.seed_people(60, companies=4)
    faults = run.server.faults
    faults.set_error_rate(0.25, seed=1, methods=["GET"])
    faults.rate_limit(2, retry_after=1)
    faults.drop_connections(1, methods=["GET"])
    faults.malformed_json(1, methods=["GET"])
    report = run.sync()
    assert report.of(P).created_local == 60 and not report.problems
    hit = {r.fault for r in run.server.requests()}
    assert {FaultKind.RATE_LIMIT, FaultKind.DROP, FaultKind.MALFORMED, FaultKind.ERROR} <= hit, hit


def test_a_revoked_token_asks_to_sign_in_again(run: Run) -> None:
    run.server.revoke_token(run.token)
    with pytest.raises(SignInRequired):
        run.sync()
    with run.ctx.store.read() as s:
        assert accounts.get(s, run.account.id).state is AccountState.SIGN_IN
    assert len(run.server.requests()) == 1  # no retry loop


def test_soft_deletes_are_seen_and_a_mass_delete_is_stopped(run: Run) -> None:
    ids = run.server.seed_people(40)
    run.sync()
    run.colleague.delete(f"/contacts/{ids[0]}").raise_for_status()
    assert run.sync().of(P).deleted_local == 1
    for rid in ids[1:11]:
        run.colleague.delete(f"/contacts/{rid}").raise_for_status()
    with pytest.raises(MassDeleteStopped):
        run.sync()
    assert run.count(Person) == 39
    report = run.sync(allow_mass_delete=True)
    assert report.of(P).deleted_local == 10 and run.count(Person) == 29


def test_a_local_edit_brings_back_a_contact_deleted_on_the_server(run: Run) -> None:
    ids = run.server.seed_people(10)
    run.sync()
    with run.ctx.store.read() as s:
        local_id = next(lid for lid, rid in links.remote_ids(s, run.account.id, P).items() if rid == ids[0])
    run.colleague.delete(f"/contacts/{ids[0]}").raise_for_status()
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, local_id).replace(title="Dr."))
    run.sync()
    contact = run.contact(ids[0])
    assert contact["deleted_at"] is None and contact["title"] == "Dr."


def test_company_links_and_positions_travel_both_ways(run: Run) -> None:
    co = run.colleague.post("/companies", json={"company_name": "Brandt Maschinenbau GmbH"}).json()
    contact = run.colleague.post("/contacts", json={"first_name": "Ilse", "last_name": "Brandt"}).json()
    run.colleague.put(
        f"/contacts/{contact['id']}/company/attach", json={"company_id": co["id"], "position": "Einkauf"}
    ).raise_for_status()
    run.sync()
    with run.ctx.store.read() as s:
        local_id = next(iter(links.remote_ids(s, run.account.id, P)))
        person = people.get(s, local_id)
    card = next(c for c in person.cards if c.company_id)
    assert (card.company_name, card.position) == ("Brandt Maschinenbau GmbH", "Einkauf")
    with run.ctx.store.write() as s:
        cards = tuple(
            c
            if not c.company_id
            else c.__class__(**{**{f: getattr(c, f) for f in c.__slots__}, "position": "Einkaufsleiterin"})
            for c in person.cards
        )
        people.update(s, person.replace(cards=cards))
    run.sync()
    (company,) = run.contact(contact["id"])["companies"]
    assert company["contact_company"]["position"] == "Einkaufsleiterin"


def test_incremental_pulls_follow_the_servers_clock_not_ours(ctx: Context, kanbert_factory: Any) -> None:
    """The cursor comes from the server's `Date`: a server clock years behind ours still misses nothing."""
    import datetime as dt

    from tests.emulators.base import Clock

    server = kanbert_factory(clock=Clock(dt.datetime(2019, 8, 24, 14, 15, tzinfo=dt.UTC), frozen=True))
    ids = server.seed_people(5)
    r = Run(ctx, server)
    try:
        r.sync()
        server.clock.advance(30)
        r.colleague.patch(f"/contacts/{ids[2]}", json={"title": "Prof."}).raise_for_status()
        assert r.sync().of(P).updated_local == 1
        with ctx.store.read() as s:
            assert "Prof." in {p.title for p in people.get_many(s, list(links.remote_ids(s, r.account.id, P)))}
    finally:
        r.close()


def test_check_connection_says_what_works_and_what_does_not(kanbert_server: KanbertEmulator) -> None:
    from crmdesk.sync.run import check_connection

    good = AccountRecord(name="Kanbert", base_url=kanbert_server.api_url)
    assert "token works" in check_connection(good, kanbert_server.token)
    with pytest.raises(SignInRequired):
        check_connection(good, "wrong")
    with pytest.raises(RemoteRejected, match="check the URL"):
        check_connection(good.replace(base_url=kanbert_server.url + "/api"), kanbert_server.token)


def test_a_stopped_run_tells_what_it_had_already_done(run: Run) -> None:
    from crmdesk.sync.engine import report_of

    ids = run.server.seed_people(30)
    run.sync()
    for rid in ids[:10]:
        run.colleague.delete(f"/contacts/{rid}").raise_for_status()
    run.colleague.patch(f"/contacts/{ids[20]}", json={"title": "Dr."}).raise_for_status()
    with pytest.raises(MassDeleteStopped, match="delete 10 people here") as info:
        run.sync()
    report = report_of(info.value)
    assert report is not None and report.of(P).updated_local == 1


def test_at_a_20_percent_error_rate_syncs_converge_without_duplicates(run: Run) -> None:
    """Every request (reads and writes) fails one time in five; repeated runs still converge."""
    ids = run.server.seed_people(40, companies=3)
    run.sync()
    with run.ctx.store.write() as s:
        local_ids = sorted(links.remote_ids(s, run.account.id, P))
        for i, local_id in enumerate(local_ids[:15]):
            people.update(s, people.get(s, local_id).replace(title=f"Dr. {i}"))
        for i in range(10):
            people.create(s, PersonRecord(first_name=f"New{i}", last_name="Person"))
    for rid in ids[20:30]:
        run.colleague.patch(f"/contacts/{rid}", json={"position": "Einkauf"}).raise_for_status()
    run.server.faults.set_error_rate(0.2, seed=5)
    failures = 0
    for _ in range(25):
        try:
            report = run.sync()
        except RemoteUnavailable:
            failures += 1
            continue
        if report.of(P).total == 0 and report.of(C).total == 0:
            break
    else:
        pytest.fail("no clean run in 25 tries")
    run.server.faults.reset()
    assert failures >= 1  # the faults did bite
    contacts = run.colleague.get("/contacts", params={"page[size]": 100}).json()["data"]
    assert len(contacts) == 50
    external = [c["external_id"] for c in contacts if c["external_id"]]
    assert len(external) == len(set(external)) == 10
    with run.ctx.store.read() as s:
        local = {p.id: p for p in people.get_many(s, list(links.remote_ids(s, run.account.id, P)))}
    assert run.count(Person) == 50
    titles = {p.title for p in local.values()}
    assert {f"Dr. {i}" for i in range(15)} <= titles
    assert {c["title"] for c in contacts} >= {f"Dr. {i}" for i in range(15)}


# ---- found in review ----------------------------------------------------------------------------------------------


def test_an_edit_made_before_the_guard_runs_brings_a_remote_delete_back(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmdesk.sync import engine

    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    run.sync()
    rid = run.remote_id(P, p.id)
    run.colleague.delete(f"/contacts/{rid}").raise_for_status()
    original = engine.SyncEngine._guard_and_delete

    def guard(self: engine.SyncEngine) -> None:
        with run.ctx.store.write() as s:  # the user edits between the decision and the deletion
            people.update(s, people.get(s, p.id).replace(last_name="Brandt-Meyer"))
        original(self)

    monkeypatch.setattr(engine.SyncEngine, "_guard_and_delete", guard)
    run.sync()
    monkeypatch.setattr(engine.SyncEngine, "_guard_and_delete", original)
    report = run.sync()
    assert not report.problems
    contact = run.contact(rid)
    assert contact["deleted_at"] is None and contact["last_name"] == "Brandt-Meyer"


def test_undoing_a_delete_that_reached_the_server_brings_the_contact_back_there(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    run.sync()
    rid = run.remote_id(P, p.id)
    with run.ctx.store.write() as s:
        people.delete_many(s, [p.id])
    run.sync()
    run.sync()
    with run.ctx.store.write() as s:
        people.restore_many(s, [p.id])  # Undo
    report = run.sync()
    assert not report.problems
    assert run.remote_id(P, p.id) == rid and run.contact(rid)["deleted_at"] is None


def test_a_failed_attach_never_drops_a_company_link(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    co = run.colleague.post("/companies", json={"company_name": "Brandt GmbH"}).json()["id"]
    cid = run.colleague.post("/contacts", json={"first_name": "Ilse", "last_name": "A"}).json()["id"]
    run.colleague.put(f"/contacts/{cid}/company/attach", json={"company_id": co, "position": "Owner"})
    run.sync()
    with run.ctx.store.read() as s:
        pid = next(iter(links.remote_ids(s, run.account.id, P)))
    with run.ctx.store.write() as s:
        person = people.get(s, pid)
        people.update(s, person.replace(cards=(dataclasses.replace(person.cards[0], position="Boss"),)))
    original = HttpClient.request

    def request(self: HttpClient, method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/company/attach"):
            raise RemoteUnavailable("Kanbert: the connection failed after several attempts.")
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(HttpClient, "request", request)
    with pytest.raises(RemoteUnavailable):
        run.sync()
    monkeypatch.setattr(HttpClient, "request", original)
    run.sync()
    (company,) = run.contact(cid)["companies"]
    assert company["contact_company"]["position"] == "Boss"
    with run.ctx.store.read() as s:
        assert [c.position for c in people.get(s, pid).cards if c.company_id] == ["Boss"]
        assert conflicts.open_conflicts(s) == []
