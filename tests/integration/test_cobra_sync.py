"""The cobra connector against the cobra emulator: the connector contract, then whole sync runs with faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmdesk.connectors import cobra as cobra_module
from crmdesk.connectors.base import ref
from crmdesk.connectors.cobra import CobraConnector
from crmdesk.connectors.http import HttpClient
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import RemoteNotFound, RemoteUnavailable, SignInRequired
from crmdesk.store import companies, links, people, touchpoints
from crmdesk.store.schema import Company, Person
from crmdesk.sync.engine import SyncEngine, SyncReport
from tests.emulators.cobra import DEFAULT_API_EMAIL, DEFAULT_API_KEY, DEFAULT_TENANT, CobraEmulator
from tests.emulators.fixtures import running
from tests.integration.contract import ConnectorContract, unreachable

P = Entity.PERSON
C = Entity.COMPANY
T = Entity.TOUCHPOINT


def make(url: str, *, key: str = DEFAULT_API_KEY, page_size: int = 10, language: str = "en") -> CobraConnector:
    http = HttpClient(
        url,
        name="cobra",
        headers={
            "Accept": "application/json",
            "X-Cobra-TenantId": DEFAULT_TENANT,
            "X-Integration-Name": "crmdesk",
            "X-Integration-Provider": "crmdesk",
            "Accept-Language": language,
        },
        secrets=(key,),
        retries=3,
        backoff=0.01,
        max_backoff=0.05,
    )
    return CobraConnector(http, user=DEFAULT_API_EMAIL, api_key=key, page_size=page_size)


@pytest.fixture
def server() -> Iterator[CobraEmulator]:
    with running(CobraEmulator()) as s:
        yield s


@pytest.fixture
def connector(server: CobraEmulator) -> Iterator[CobraConnector]:
    c = make(server.api_url)
    yield c
    c.close()


@pytest.fixture
def bad_connector(server: CobraEmulator) -> Iterator[CobraConnector]:
    c = make(server.api_url, key="not-the-key")
    yield c
    c.close()


@pytest.fixture
def dead_connector() -> Iterator[CobraConnector]:
    c = make(unreachable("/v1"))
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    return {
        "salutation": "Frau",
        "title": "Dr.",
        "first_name": "Ilse",
        "last_name": "Brandt",
        "birthday": "1971-03-14",
        "note": "Prefers calls before 10:00.",
        "tags": ("Messe 2024", "VIP"),
        "card1": "business",
        "card1.company_name": "Brandt Maschinenbau GmbH",
        "card1.position": "Einkaufsleiterin",
        "card1.department": "Einkauf",
        "card1.emails": ("*work:i.brandt@brandt-mb.de", "other:einkauf@brandt-mb.de"),
        "card1.phones": ("*work:+4975311234", "mobile:+491701234567"),
        "card1.address1.street": "Seestraße 4",
        "card1.address1.zip": "78462",
        "card1.address1.city": "Konstanz",
        "card1.address1.region": "BW",
        "card1.address1.country": "DE",
        "card1.address1.favourite": True,
        "card2": "private",
        "card2.emails": ("home:ilse@example.de",),
        "card2.address1.street": "Am Markt 1",
        "card2.address1.city": "Radolfzell",
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {
        "name": "Brandt Maschinenbau GmbH",
        "website": "https://brandt-mb.de",
        "note": "Key account",
        "tags": ("A-Kunde",),
        "emails": ("*info@brandt-mb.de", "rechnung@brandt-mb.de"),
        "phones": ("*work:+4975311230", "fax:+4975311239"),
        "address1.street": "Seestraße 4",
        "address1.zip": "78462",
        "address1.city": "Konstanz",
        "address1.country": "DE",
        "address1.favourite": True,
    }


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Brandt-Meyer"


class TestCobraContract(ConnectorContract):
    pass


# ---- whole runs --------------------------------------------------------------------------------------------------


class Run:
    """A store with a cobra account, an emulator, and a colleague who edits through the API."""

    def __init__(self, ctx: Context, server: CobraEmulator) -> None:
        self.ctx = ctx
        self.server = server
        self.account = AccountRecord(
            kind=AccountKind.COBRA,
            name="cobra",
            base_url=server.api_url,
            options=(("tenant", DEFAULT_TENANT), ("user", DEFAULT_API_EMAIL)),
        )
        from crmdesk.store import accounts

        with ctx.store.write() as s:
            accounts.save(s, self.account)
        self.colleague = httpx.Client(base_url=server.api_url, headers=server.headers())
        self.connectors: list[CobraConnector] = []

    def sync(self, **kwargs: Any) -> SyncReport:
        from crmdesk.store import accounts

        connector = make(self.server.api_url, page_size=50)
        self.connectors.append(connector)
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

    def local_ids(self, entity: Entity) -> dict[str, str]:
        """remote id → local id of the linked records."""
        with self.ctx.store.read() as s:
            return {r: lid for lid, r in links.remote_ids(s, self.account.id, entity).items()}

    def person(self, remote_id: str) -> dict[str, Any]:
        r = self.colleague.get(f"/people/{remote_id}", params={"include": "businessCards"})
        r.raise_for_status()
        return dict(r.json()["data"])

    def all(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            r = self.colleague.get(path, params={"page": page, "pageSize": 50})
            r.raise_for_status()
            data = r.json()["data"]
            out.extend(data)
            if len(data) < 50:
                return out
            page += 1

    def count(self, model: type[Person] | type[Company]) -> int:
        from sqlalchemy import func, select

        with self.ctx.store.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None))) or 0)

    def close(self) -> None:
        self.colleague.close()


@pytest.fixture
def run(ctx: Context, server: CobraEmulator) -> Iterator[Run]:
    r = Run(ctx, server)
    yield r
    r.close()


def _quiet(report: SyncReport) -> bool:
    return all(report.of(e).total == 0 for e in (C, P, T)) and not report.problems


def test_first_sync_copies_everything_and_a_second_changes_nothing(run: Run) -> None:
    run.server.seed_people(120, companies=12, touchpoints=80)
    report = run.sync()
    assert not report.problems
    assert (report.of(C).created_local, report.of(P).created_local, report.of(T).created_local) == (12, 120, 80)
    assert report.of(P).created_remote == report.of(P).updated_remote == 0
    assert run.count(Person) == 120 and run.count(Company) == 12
    # Cards with their companies, e-mails and favourites arrived.
    with run.ctx.store.read() as s:
        persons = people.get_many(s, list(run.local_ids(P).values()))
    connected = [c for p in persons for c in p.cards if c.company_id]
    assert connected and all(c.company_name for c in connected)
    assert all(sum(c.favourite for c in p.cards) == 1 for p in persons if p.cards)
    again = run.sync()
    assert _quiet(again), again.counts
    # Page size ≤ 50 on every list, and the second run only read: one login and one walk per entity.
    lists = [
        r
        for r in run.server.requests()
        if r.method == "GET" and r.path.rstrip("/").endswith(("/people", "/companies", "/touchpoints"))
    ]
    assert lists and all(int(r.query["pageSize"][-1]) <= 50 for r in lists)
    assert all(r.method == "GET" or r.path.endswith("/auth/token") for r in run.server.requests()[-again.requests :])


def test_local_create_and_edit_reach_the_server_once(run: Run) -> None:
    with run.ctx.store.write() as s:
        co, _ = companies.create(
            s,
            CompanyRecord(
                name="Brandt Maschinenbau GmbH",
                website="https://brandt-mb.de",
                emails=(Email("info@brandt-mb.de"),),
                phones=(Phone("+4975311230", PhoneType.WORK),),
            ),
        )
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                last_name="Brandt",
                tags=("VIP",),
                cards=(
                    BusinessCardRecord(
                        company_id=co.id,
                        position="Einkauf",
                        favourite=True,
                        emails=(Email("ines@brandt-mb.de", EmailType.WORK, True),),
                        phones=(Phone("+4975311234", PhoneType.WORK),),
                        addresses=(Address("Seestraße 4", "78462", "Konstanz", country="DE"),),
                    ),
                    BusinessCardRecord(private=True, emails=(Email("ines@example.de", EmailType.HOME),)),
                ),
            ),
        )
    report = run.sync()
    assert not report.problems
    assert (report.of(C).created_remote, report.of(P).created_remote) == (1, 1)
    rid = run.remote_id(P, p.id)
    co_rid = run.remote_id(C, co.id)
    person = run.person(rid)
    assert (person["firstname"], person["customerNumber"]) == ("Ines", p.id)
    assert [t["text"] for t in person["orgaTags"]] == ["VIP"]
    work, private = person["businessCards"]
    assert (work["isFavorite"], work["companyId"], work["position"]) == (True, co_rid, "Einkauf")
    assert [(e["email"], e["isFavorite"]) for e in work["emails"]] == [("ines@brandt-mb.de", True)]
    assert (private["isPrivate"], private["isFavorite"], private["emails"][0]["type"]) == (True, False, "home")
    assert _quiet(run.sync())
    # An edit goes out once and the next run is quiet again.
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, p.id).replace(title="Dr."))
    assert run.sync().of(P).updated_remote == 1
    assert run.person(rid)["title"] == "Dr."
    assert run.person(rid)["customerNumber"] == p.id  # what crmdesk does not sync stays as it was
    assert _quiet(run.sync())
    assert len(run.all("/people")) == 1 and len(run.all("/companies")) == 1


def test_touchpoints_travel_both_ways(run: Run) -> None:
    ids = run.server.seed_people(3, companies=1)
    run.sync()
    local = run.local_ids(P)
    with run.ctx.store.write() as s:
        tp, _ = touchpoints.create(
            s,
            TouchpointRecord(
                type=TouchpointType.TURNOVER,
                subject="Auftrag Q4",
                body="Maschine A",
                person_ids=(local[ids[0]], local[ids[1]]),
                tags=("Angebot",),
                amount="1234.50",
                currency="EUR",
            ),
        )
    assert run.sync().of(T).created_remote == 1
    tid = run.remote_id(T, tp.id)
    remote = run.colleague.get(f"/touchpoints/{tid}").json()["data"]
    assert {p["id"] for p in remote["people"]} == {ids[0], ids[1]}
    assert remote["turnover"] == {"amount": 1234.5, "currency": "EUR"}
    assert [t["text"] for t in remote["orgaTags"]] == ["Angebot"]
    assert _quiet(run.sync())
    run.colleague.put(f"/touchpoints/{tid}/mood", json={"mood": "positive"}).raise_for_status()
    assert run.sync().of(T).updated_local == 1
    with run.ctx.store.read() as s:
        got = touchpoints.get(s, tp.id)
    assert got.mood.value == "positive" and got.amount == "1234.50"  # 1234.5 there is the same amount


def test_a_create_whose_answer_is_lost_is_not_doubled(run: Run) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Lost",
                last_name="Answer",
                cards=(BusinessCardRecord(emails=(Email("lost@example.de", EmailType.WORK, True),), favourite=True),),
            ),
        )
    run.server.faults.lose_response(1, path="/v1/people", methods=["POST"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    run.sync()
    listing = run.all("/people")
    assert [x["customerNumber"] for x in listing] == [p.id]
    rid = run.remote_id(P, p.id)
    assert rid == listing[0]["id"]
    # The create stopped before the card: the lookup finished it.
    assert [e["email"] for c in run.person(rid)["businessCards"] for e in c["emails"]] == ["lost@example.de"]
    assert _quiet(run.sync())


def test_a_card_whose_answer_is_lost_does_not_double_the_card(run: Run) -> None:
    with run.ctx.store.write() as s:
        people.create(
            s,
            PersonRecord(
                first_name="Half",
                last_name="Made",
                cards=(BusinessCardRecord(emails=(Email("half@example.de", EmailType.WORK, True),), favourite=True),),
            ),
        )
    run.server.faults.lose_response(1, path="/v1/people/", methods=["POST"])  # the card's POST, not the person's
    with pytest.raises(RemoteUnavailable):
        run.sync()
    run.sync()
    (person,) = run.all("/people")
    assert len(run.person(person["id"])["businessCards"]) == 1
    assert _quiet(run.sync())


def test_a_lost_create_is_found_by_email_and_name_where_no_customer_number_answers(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                last_name="Brandt",
                cards=(BusinessCardRecord(emails=(Email("Ines@Brandt.de", EmailType.WORK, True),), favourite=True),),
            ),
        )
    # Someone else of the same name but another address must not be taken for it.
    run.colleague.post("/people", json={"firstname": "Ines", "lastname": "Brandt"}).raise_for_status()
    run.server.faults.lose_response(1, path="/v1/people", methods=["POST"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    listing = run.all("/people")
    ours = next(x for x in listing if x["customerNumber"] == p.id)
    run.colleague.put(f"/people/{ours['id']}", json={"firstname": "Ines", "lastname": "Brandt"}).raise_for_status()
    run.colleague.post(
        f"/people/{ours['id']}/business-cards", json={"emails": [{"email": "ines@brandt.de", "isFavorite": True}]}
    ).raise_for_status()
    # The customer number is gone (a colleague cleared it): the lookup falls back to e-mail and name.
    run.sync()
    assert run.remote_id(P, p.id) == ours["id"]
    assert len(run.all("/people")) == 2


def test_token_expiry_and_revocation_mean_a_new_login(run: Run, server: CobraEmulator) -> None:
    server.seed_people(5)
    c = make(server.api_url)
    try:
        list(c.pull(P, None))
        assert c.logins == 1
        server.revoke_tokens()  # the token stops working: one 401, a new login, the request again
        items = [i for page in c.pull(P, None) for i in page.items]
        assert len(items) == 5 and c.logins == 2
        server.clock.advance(3600 - 200)  # inside the renewal margin on the server's clock only: still valid
        list(c.pull(P, None))
        assert c.logins == 2
    finally:
        c.close()


def test_the_token_is_renewed_before_its_hour_runs_out(server: CobraEmulator) -> None:
    now = [0.0]
    http = make(server.api_url).http
    c = CobraConnector(http, user=DEFAULT_API_EMAIL, api_key=DEFAULT_API_KEY, clock=lambda: now[0])
    try:
        c.probe()
        assert c.logins == 1
        now[0] = 3000.0
        list(c.pull(P, None))
        assert c.logins == 1
        now[0] = 3400.0  # less than five minutes left
        list(c.pull(P, None))
        assert c.logins == 2
        assert sum(r.path.endswith("/auth/token") for r in server.requests()) == 2
        assert not any(r.status == 401 for r in server.requests())
    finally:
        c.close()


def test_a_refused_key_asks_to_sign_in_without_a_retry_loop(run: Run, server: CobraEmulator) -> None:
    c = make(server.api_url, key="wrong")
    try:
        with pytest.raises(SignInRequired):
            c.probe()
    finally:
        c.close()
    assert [r.path for r in server.requests()] == ["/v1/auth/token"]


def test_a_200_whose_body_says_error_is_an_error(run: Run, server: CobraEmulator) -> None:
    server.seed_people(3)
    # A read: retried like a server error, so the run goes through.
    server.body_status_faults(2, status=500, path="/v1/people", methods=["GET"])
    report = run.sync()
    assert report.of(P).created_local == 3 and not report.problems
    # A create: it may or may not have happened, so the run stops and the next one looks it up.
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Body", last_name="Status"))
    server.body_status_faults(1, status=500, path="/v1/people", methods=["POST"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    run.sync()
    assert len(run.all("/people")) == 4
    assert run.person(run.remote_id(P, p.id))["lastname"] == "Status"
    # A 404 in the body of a 200 is a missing record, not a success.
    server.body_status_faults(1, status=404, path="/v1/people/", methods=["GET"])
    c = make(server.api_url)
    try:
        with pytest.raises(RemoteNotFound):
            c.update(P, run.remote_id(P, p.id), {"first_name": "Body", "last_name": "Status"}, {})
    finally:
        c.close()


def test_deletions_there_are_noticed_by_their_absence(run: Run) -> None:
    ids = run.server.seed_people(20, touchpoints=0)
    run.sync()
    run.colleague.delete(f"/people/{ids[3]}").raise_for_status()
    report = run.sync()
    assert report.of(P).deleted_local == 1 and run.count(Person) == 19


def test_a_walk_that_something_moved_under_says_it_is_not_complete(run: Run, server: CobraEmulator) -> None:
    ids = server.seed_people(25)
    c = make(server.api_url, page_size=10)
    try:
        pages = c.pull(P, None)
        first = next(pages)
        server.store.delete_people([ids[0]])  # shifts the pages: one record would be skipped
        server.store.create_people([{"firstname": "New", "lastname": "Comer"}])  # keeps the count the same
        rest = list(pages)
        assert len(first.items) == 10
        assert not rest[-1].complete
        assert list(c.pull(P, None))[-1].complete
    finally:
        c.close()


def test_a_field_one_side_lacks_is_never_blanked(run: Run) -> None:
    """cobra's lifecycle, customer number and address types stay there; the local middle name and gender stay here."""
    ids = run.server.seed_people(1)
    rid = ids[0]
    body = run.person(rid)
    body = {k: body[k] for k in cobra_module.PERSON_WRITE_KEYS} | {"lifecycle": {"id": None, "text": "Kunde"}}
    body["customerNumber"] = "K-10482"
    run.colleague.put(f"/people/{rid}", json=body).raise_for_status()
    run.sync()
    local_id = run.local_ids(P)[rid]
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, local_id).replace(middle_name="Maria", gender="female", title="Prof."))
    assert run.sync().of(P).updated_remote == 1
    after = run.person(rid)
    assert (after["title"], after["customerNumber"], after["lifecycle"]["text"]) == ("Prof.", "K-10482", "Kunde")
    run.colleague.put(f"/people/{rid}", json={**body, "title": "Dr."}).raise_for_status()
    assert run.sync().of(P).updated_local == 1
    with run.ctx.store.read() as s:
        local = people.get(s, local_id)
    assert (local.title, local.middle_name, local.gender) == ("Dr.", "Maria", "female")


def test_a_colleagues_card_changes_arrive_and_favourites_follow(run: Run) -> None:
    ids = run.server.seed_people(1)
    rid = ids[0]
    run.sync()
    local_id = run.local_ids(P)[rid]
    card = run.colleague.post(
        f"/people/{rid}/business-cards",
        json={"isFavorite": True, "position": "Beirat", "phones": [{"number": "+4930123456", "type": "mobile"}]},
    ).json()["data"]
    assert run.sync().of(P).updated_local == 1
    with run.ctx.store.read() as s:
        person = people.get(s, local_id)
    fav = person.favourite_card
    assert fav is not None and fav.position == "Beirat" and fav.phones[0].favourite
    # Here the user makes another card the favourite: cobra follows.
    others = [c for c in person.cards if not c.favourite]
    assert others
    cards = tuple(
        c.__class__(**{**{f: getattr(c, f) for f in c.__slots__}, "favourite": c.id == others[0].id})
        for c in person.cards
    )
    with run.ctx.store.write() as s:
        people.update(s, person.replace(cards=cards))
    run.sync()
    cards_there = run.person(rid)["businessCards"]
    assert next(c for c in cards_there if c["id"] == card["id"])["isFavorite"] is False
    assert sum(c["isFavorite"] for c in cards_there) == 1
    assert _quiet(run.sync())


def test_vcard_export_of_a_person(run: Run, server: CobraEmulator) -> None:
    (rid,) = server.seed_people(1, companies=1)
    c = make(server.api_url)
    try:
        text = c.vcard(rid)
        assert text.startswith("BEGIN:VCARD") and "END:VCARD" in text
        empty = run.colleague.post("/people", json={"lastname": "Ohne"}).json()["data"]["id"]
        with pytest.raises(RemoteNotFound):
            c.vcard(empty)
    finally:
        c.close()


def test_headers_and_language_reach_the_server(run: Run, server: CobraEmulator) -> None:
    c = make(server.api_url, language="de", key="wrong")
    try:
        with pytest.raises(SignInRequired):
            c.probe()
    finally:
        c.close()
    c = make(server.api_url, language="de")
    try:
        with pytest.raises(RemoteNotFound, match="wurde nicht gefunden"):
            c.update(C, "no-such-company", {"name": "X"}, {})
    finally:
        c.close()
    last = server.requests()[-1]
    assert last.headers["x-cobra-tenantid"] == DEFAULT_TENANT
    assert last.headers["x-integration-name"] == "crmdesk" and last.headers["accept-language"] == "de"


def test_connect_builds_a_connector_from_the_account(server: CobraEmulator) -> None:
    account = AccountRecord(
        kind=AccountKind.COBRA,
        name="cobra",
        base_url=server.api_url,
        options=(("tenant", DEFAULT_TENANT), ("user", DEFAULT_API_EMAIL)),
    )
    c = cobra_module.connect(account, DEFAULT_API_KEY)
    try:
        assert "API key works" in c.probe()
    finally:
        c.close()


def test_a_company_link_made_there_arrives_as_a_card(run: Run) -> None:
    co = run.colleague.post("/companies", json={"name": "Brandt GmbH"}).json()["data"]["id"]
    pid = run.colleague.post("/people", json={"firstname": "Ilse", "lastname": "A"}).json()["data"]["id"]
    card = run.colleague.post(f"/people/{pid}/business-cards", json={"position": "Owner"}).json()["data"]["id"]
    run.colleague.put(f"/people/{pid}/business-cards/{card}/company", json={"companyId": co}).raise_for_status()
    run.sync()
    with run.ctx.store.read() as s:
        person = people.get(s, run.local_ids(P)[pid])
        company_local = run.local_ids(C)[co]
    (local_card,) = person.cards
    assert (local_card.company_id, local_card.position) == (company_local, "Owner")
    # Disconnected here: disconnected there, and the card stays.
    import dataclasses

    with run.ctx.store.write() as s:
        people.update(s, person.replace(cards=(dataclasses.replace(local_card, company_id=None, company_name=""),)))
    run.sync()
    (there,) = run.person(pid)["businessCards"]
    assert there["companyId"] is None and there["position"] == "Owner"
    assert ref(C, co)  # (reference form used in sync fields)
    assert _quiet(run.sync())
