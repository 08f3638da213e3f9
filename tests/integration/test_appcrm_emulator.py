"""The appcrm emulator speaks appcrm.md: bearer auth, CSRF refusal, contacts/companies/activities, paging, limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.emulators.__main__ import COMMANDS, build_parser
from tests.emulators.appcrm import DEFAULT_TOKEN, AppcrmEmulator
from tests.emulators.base import Clock
from tests.emulators.fixtures import appcrm_server, running  # noqa: F401 - fixtures by name

START = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
Json = dict[str, Any]


@pytest.fixture
def appcrm() -> Iterator[AppcrmEmulator]:
    """An empty emulator on a frozen clock, rate limit off."""
    with running(AppcrmEmulator(clock=Clock(START, frozen=True), seed=3, rate_limit=None)) as server:
        yield server


@pytest.fixture
def api(appcrm: AppcrmEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {appcrm.token}", "Accept": "application/json"}
    with httpx.Client(base_url=appcrm.api_url, headers=headers, timeout=5) as client:
        yield client


def make_contact(api: httpx.Client, **fields: Any) -> Json:
    response = api.post("/contacts", json={"first_name": "Ilse", **fields})
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def make_company(api: httpx.Client, **fields: Any) -> Json:
    response = api.post("/companies", json={"name": "Brandt Maschinenbau GmbH", **fields})
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


# -- auth, CSRF ------------------------------------------------------------------------------------------------


def test_fixture_and_auth(
    appcrm_server: AppcrmEmulator,  # noqa: F811 - the imported fixture
) -> None:
    assert appcrm_server.token == DEFAULT_TOKEN
    with httpx.Client(base_url=appcrm_server.api_url, timeout=5) as client:
        assert client.get("/contacts").status_code == 401
        bad = client.get("/contacts", headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()) == (401, {"message": "Unauthenticated."})
        good = client.get("/contacts", headers={"Authorization": f"bearer {DEFAULT_TOKEN}"})
        assert good.status_code == 200
        assert good.json()["data"] == []


@pytest.mark.parametrize("header", ["Referer", "Origin"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_referer_or_origin_is_a_csrf_mismatch(api: httpx.Client, header: str, method: str) -> None:
    response = api.request(method, "/contacts", headers={header: "https://acme.appcrm.com.br"}, json={})
    assert (response.status_code, response.json()) == (419, {"message": "CSRF token mismatch."})


def test_unknown_route_and_record(api: httpx.Client) -> None:
    assert api.get("/nothing").status_code == 404
    missing = api.get("/contacts/999")
    assert (missing.status_code, missing.json()) == (404, {"message": "Record not found."})
    assert api.patch("/contacts/1", json={}).status_code == 405


# -- contacts --------------------------------------------------------------------------------------------------


def test_contact_crud_round_trip(api: httpx.Client, appcrm: AppcrmEmulator) -> None:
    company = make_company(api)
    created = make_contact(
        api,
        last_name="Brandt",
        email="i.brandt@brandt-mb.de",
        job_title="Einkaufsleiterin",
        phones=[{"number": "+49 7531 12345", "type": "work"}, {"number": "+49 151 1"}],
        tags=["Messe 2024", "VIP", "messe 2024"],
        street="Seestraße 4",
        city="Konstanz",
        state="BW",
        postal_code="78462",
        country_id=276,
        user_id=1,
        companies=[company["id"]],
        cf_customer_no="K-17",
        unknown_key="ignored",
    )
    assert created["display_name"] == "Ilse Brandt"
    assert [(p["number"], p["type"]) for p in created["phones"]] == [("+49 7531 12345", "work"), ("+49 151 1", "other")]
    assert [t["name"] for t in created["tags"]] == ["Messe 2024", "VIP"]
    assert created["companies"] == [{"id": company["id"], "name": "Brandt Maschinenbau GmbH"}]
    assert created["cf_customer_no"] == "K-17" and "unknown_key" not in created
    assert created["created_at"] == "2024-10-01T08:00:00.000000Z"
    assert api.get(f"/contacts/{created['id']}").json() == created

    appcrm.store.clock.advance(60)
    updated = api.put(f"/contacts/{created['id']}", json={"first_name": "Ilse", "phones": [], "city": " "}).json()
    assert updated["phones"] == [] and updated["city"] is None
    assert updated["email"] == "i.brandt@brandt-mb.de" and updated["companies"] == created["companies"]
    assert updated["updated_at"] == "2024-10-01T08:01:00.000000Z"

    no_name = api.put(f"/contacts/{created['id']}", json={"email": "x@y.de"})
    assert no_name.status_code == 422
    assert no_name.json()["errors"] == {"first_name": ["The first name field is required."]}

    assert api.delete(f"/contacts/{created['id']}").status_code == 204
    assert api.get(f"/contacts/{created['id']}").status_code == 404
    assert api.get(f"/companies/{company['id']}").json()["contacts"] == []


def test_contact_validation_is_laravel_422(api: httpx.Client) -> None:
    response = api.post(
        "/contacts",
        json={"email": "no-mail", "phones": [{"number": "1", "type": "fax"}], "country_id": 999, "companies": [5]},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The first name field is required. (and 4 more errors)"
    assert body["errors"] == {
        "first_name": ["The first name field is required."],
        "email": ["The email field must be a valid email address."],
        "country_id": ["The selected country id is invalid."],
        "phones.0.type": ["The selected phones.0.type is invalid."],
        "companies.0": ["The selected companies.0 is invalid."],
    }
    long = api.post("/contacts", json={"first_name": "x" * 192, "tags": ["T"]})
    assert long.json()["errors"] == {"first_name": ["The first name field must not be greater than 191 characters."]}
    assert api.get("/contacts").json()["meta"]["total"] == 0
    assert api.post("/contacts", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400


def test_paging_meta_and_links(api: httpx.Client, appcrm: AppcrmEmulator) -> None:
    appcrm.seed_people(52, companies=5)
    first = api.get("/contacts").json()
    assert len(first["data"]) == 15
    meta = first["meta"]
    assert {k: meta[k] for k in ("current_page", "from", "last_page", "per_page", "to", "total")} == {
        "current_page": 1, "from": 1, "last_page": 4, "per_page": 15, "to": 15, "total": 52,
    }  # fmt: skip
    assert meta["path"] == appcrm.api_url + "/contacts"
    assert first["links"]["prev"] is None and first["links"]["next"].endswith("page=2")
    last = api.get("/contacts", params={"page": 4}).json()
    assert (len(last["data"]), last["meta"]["from"], last["meta"]["to"], last["links"]["next"]) == (7, 46, 52, None)
    beyond = api.get("/contacts", params={"page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["from"] is None
    big = api.get("/contacts", params={"per_page": 500}).json()
    assert big["meta"]["per_page"] == 100 and len(big["data"]) == 52

    walked: list[int] = []
    url: str | None = "/contacts?per_page=20"
    while url:
        page = api.get(url).json()
        walked += [r["id"] for r in page["data"]]
        url = page["links"]["next"]
    assert walked == list(range(1, 53))


@pytest.mark.parametrize("order", ["", "id", "id|ASC", "id|desc"])
def test_a_plain_walk_pages_as_the_full_listing_would(api: httpx.Client, appcrm: AppcrmEmulator, order: str) -> None:
    """A listing in id order without a search reads only its page's records: it answers exactly as slicing the
    whole listing (every record's JSON, sorted) does, after deletes and updates too."""
    appcrm.seed_people(45, companies=4)
    assert api.delete("/contacts/7").status_code == 204
    assert api.put("/contacts/3", json={"first_name": "Zora"}).status_code == 200
    everything = sorted(appcrm.store.rows("contacts"), key=lambda r: r["id"], reverse=order.endswith("desc"))
    pages = []
    for page in range(1, 5):
        body = api.get("/contacts", params={"page": page, "per_page": 12, "order": order}).json()
        assert body["meta"]["total"] == 44
        pages += body["data"]
    assert pages == everything


def test_order_select_and_search(api: httpx.Client, appcrm: AppcrmEmulator) -> None:
    a = make_contact(api, first_name="Anna", email="anna@x.de")
    appcrm.store.clock.advance(1)
    b = make_contact(api, first_name="bernd", phones=[{"number": "+49 30 555", "type": "work"}])
    appcrm.store.clock.advance(1)
    api.put(f"/contacts/{a['id']}", json={"first_name": "Anna", "last_name": "Zett"})
    by_update = api.get("/contacts", params={"order": "updated_at|desc"}).json()["data"]
    assert [r["id"] for r in by_update] == [a["id"], b["id"]]
    by_name = api.get("/contacts", params={"order": "first_name|desc", "select": "first_name"}).json()["data"]
    assert by_name == [{"id": b["id"], "first_name": "bernd"}, {"id": a["id"], "first_name": "Anna"}]
    assert api.get("/contacts", params={"order": "nope"}).status_code == 422

    found = api.get("/contacts/search", params={"q": "555"}).json()
    assert [r["id"] for r in found] == [b["id"]]
    exact = api.get("/contacts/search", params={"q": "anna@x.de", "search_fields": "email:="}).json()
    assert [r["id"] for r in exact] == [a["id"]]
    both = {"q": "anna", "search_fields": "first_name:like;email:like", "search_match": "and"}
    assert [r["id"] for r in api.get("/contacts/search", params=both).json()] == [a["id"]]
    assert api.get("/contacts/search").status_code == 422
    assert api.get("/contacts", params={"q": "bern"}).json()["meta"]["total"] == 1


# -- companies and associations --------------------------------------------------------------------------------


def test_company_crud(api: httpx.Client) -> None:
    parent = make_company(api, name="Holding AG")
    company = make_company(
        api,
        domain="brandt-mb.de",
        email="info@brandt-mb.de",
        phones=[{"number": "+49 7531 1", "type": "work"}],
        tags=["Kunde"],
        industry_id=1,
        parent_company_id=parent["id"],
        country_id=276,
    )
    assert company["display_name"] == "Brandt Maschinenbau GmbH" and company["parent_company_id"] == parent["id"]
    changed = api.put(f"/companies/{company['id']}", json={"domain": "brandt.de"}).json()
    assert changed["domain"] == "brandt.de" and changed["name"] == "Brandt Maschinenbau GmbH"
    assert api.post("/companies", json={"industry_id": 99}).json()["errors"] == {
        "name": ["The name field is required."],
        "industry_id": ["The selected industry id is invalid."],
    }
    assert api.delete(f"/companies/{parent['id']}").status_code == 204
    assert api.get(f"/companies/{company['id']}").json()["parent_company_id"] is None
    assert [r["id"] for r in api.get("/companies/search", params={"q": "brandt"}).json()] == [company["id"]]


def test_association_routes(api: httpx.Client, appcrm: AppcrmEmulator) -> None:
    c1, c2, c3 = (make_company(api, name=f"Firma {i}")["id"] for i in range(3))
    contact = make_contact(api, companies=[c1])
    path = f"/associations/contacts/{contact['id']}"

    def ids(response: httpx.Response) -> list[int]:
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["companies"]]

    assert ids(api.put(path, json={"companies": [c2]})) == [c1, c2]
    assert ids(api.request("DELETE", path, json={"companies": [c1]})) == [c2]
    assert ids(api.post(path, json={"companies": [c3, c1], "deals": [1]})) == [c1, c3]
    assert api.get(f"/contacts/{contact['id']}").json()["deals"] == [{"id": 1}]
    assert api.put(path, json={"companies": [999]}).status_code == 422
    company_side = api.put(f"/associations/companies/{c2}", json={"contacts": [contact["id"]]}).json()
    assert [c["id"] for c in company_side["contacts"]] == [contact["id"]]
    assert ids(api.get(f"/contacts/{contact['id']}")) == [c1, c2, c3]


# -- rate limit, activities, CLI -------------------------------------------------------------------------------


def test_rate_limit_headers_and_429() -> None:
    clock = Clock(START, frozen=True)
    with running(AppcrmEmulator(clock=clock, rate_limit=3)) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=server.api_url, headers=headers, timeout=5) as client:
            remaining = [client.get("/contacts").headers["X-RateLimit-Remaining"] for _ in range(3)]
            assert remaining == ["2", "1", "0"]
            refused = client.get("/contacts")
            assert refused.status_code == 429
            assert refused.headers["X-RateLimit-Limit"] == "3" and refused.headers["Retry-After"] == "60"
            clock.advance(30)
            assert client.get("/contacts").headers["Retry-After"] == "30"
            clock.advance(30)
            again = client.get("/contacts")
            assert (again.status_code, again.headers["X-RateLimit-Remaining"]) == (200, "2")
            unauth = client.get("/contacts", headers={"Authorization": "Bearer x"})
            assert unauth.status_code == 401 and unauth.headers["X-RateLimit-Remaining"] == "2"


def test_activities(api: httpx.Client, appcrm: AppcrmEmulator) -> None:
    contact = make_contact(api)
    missing = api.post("/activities", json={"note": "x"})
    assert set(missing.json()["errors"]) == {"title", "user_id", "due_date"}
    created = api.post(
        "/activities",
        json={"title": "Angebot", "user_id": 1, "due_date": "2024-10-10T09:15:00Z", "note": "Variante 2",
              "contacts": [contact["id"]]},
    )  # fmt: skip
    assert created.status_code == 201
    act = created.json()
    assert (act["due_date"], act["due_time"], act["activity_type_id"], act["is_completed"]) == (
        "2024-10-10", "09:15", 3, False,
    )  # fmt: skip
    appcrm.store.clock.advance(5)
    done = api.put(f"/activities/{act['id']}", json={"is_completed": True}).json()
    assert done["is_completed"] and done["completed_at"] == "2024-10-01T08:00:05.000000Z"
    assert api.get("/activities").json()["meta"]["total"] == 1
    api.delete(f"/contacts/{contact['id']}")
    assert api.get(f"/activities/{act['id']}").json()["contacts"] == []
    assert api.delete(f"/activities/{act['id']}").status_code == 204
    assert api.get(f"/activities/{act['id']}").status_code == 404


def test_cli_builds_a_seeded_emulator() -> None:
    args = build_parser().parse_args(["appcrm", "--seed-people", "20", "--rate-limit", "0"])
    server, lines = COMMANDS["appcrm"].build(args)
    try:
        assert isinstance(server, AppcrmEmulator) and server.rate_limit is None
        assert len(server.store.rows("contacts")) == 20 and len(server.store.rows("companies")) == 2
        assert any(DEFAULT_TOKEN in line for line in lines)
    finally:
        server.server_close()
