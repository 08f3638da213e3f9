"""The Kanbert emulator speaks kanbert.md: auth, cursor pages, filters, soft delete, external ids, links, faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulators.base import Clock, EmulatorServer, FaultKind, Request, Response, json_response
from tests.emulators.fixtures import kanbert_factory, kanbert_server, running  # noqa: F401 - fixtures by name
from tests.emulators.kanbert import DEFAULT_TOKEN, KanbertEmulator

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
Json = dict[str, Any]


@pytest.fixture
def kanbert() -> Iterator[KanbertEmulator]:
    """An empty emulator on a clock frozen at START (tests move it with `clock.advance`)."""
    with running(KanbertEmulator(clock=Clock(START, frozen=True), seed=7)) as server:
        yield server


@pytest.fixture
def api(kanbert: KanbertEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {kanbert.token}"}
    with httpx.Client(base_url=kanbert.api_url, headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
def seeded(kanbert: KanbertEmulator) -> list[Json]:
    """250 people, 20 companies; the ContactData of every contact (with companies), in id order."""
    kanbert.seed_people(250, companies=20)
    return kanbert.store.contacts(include=True)


def walk(api: httpx.Client, path: str = "/contacts", params: Json | None = None) -> list[Json]:
    """Every record of a list, following `meta.next_cursor`."""
    records: list[Json] = []
    cursor = (params or {}).get("page[cursor]")
    for _ in range(1000):
        query: Any = {**(params or {}), **({"page[cursor]": cursor} if cursor else {})}
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return records
    raise AssertionError("paging never ended")


def ids(records: list[Json]) -> list[str]:
    return [r["id"] for r in records]


def filtered(api: httpx.Client, path: str = "/contacts", **params: Any) -> set[str]:
    return set(ids(walk(api, path, {**params, "page[size]": 100})))


def expect(records: list[Json], test: Callable[[Json], bool]) -> set[str]:
    chosen = {r["id"] for r in records if test(r)}
    assert chosen, "the seed should give this filter something to find"
    return chosen


# -- auth and fixtures -------------------------------------------------------------------------------------------


def test_a_bearer_token_is_required(kanbert: KanbertEmulator) -> None:
    with httpx.Client(base_url=kanbert.api_url) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {kanbert.token}"}):
            response = client.get("/contacts", headers=headers)
            assert response.status_code == 401
            assert response.json() == {"message": "Unauthenticated."}
        ok = client.get("/contacts", headers={"Authorization": f"bearer {kanbert.token}"})
        assert ok.status_code == 200
        assert ok.json() == {
            "data": [],
            "links": [],
            "meta": {
                "path": f"{kanbert.api_url}/contacts",
                "per_page": 30,
                "next_cursor": None,
                "next_cursor_url": None,
                "prev_cursor": None,
                "prev_cursor_url": None,
            },
        }
        kanbert.add_token("second", origin="other-app")
        created = client.post("/contacts", json={"external_id": "x"}, headers={"Authorization": "Bearer second"})
        assert created.status_code == 201
        assert created.json()["external_origin"] == "other-app"
        kanbert.revoke_token("second")
        assert client.get("/contacts", headers={"Authorization": "Bearer second"}).status_code == 401
        assert client.get("/nowhere", headers={"Authorization": f"Bearer {kanbert.token}"}).status_code == 404
        wrong_method = client.put("/contacts", headers={"Authorization": f"Bearer {kanbert.token}"})
        assert wrong_method.status_code == 405


def test_the_shared_fixtures_serve(
    kanbert_server: KanbertEmulator,  # noqa: F811 - the imported fixture
    kanbert_factory: Callable[..., KanbertEmulator],  # noqa: F811
) -> None:
    assert kanbert_server.token == DEFAULT_TOKEN
    assert kanbert_server.api_url.startswith("http://127.0.0.1:")
    other = kanbert_factory(tokens={"t": "crmdesk"}, seed=3)
    for server, token in ((kanbert_server, DEFAULT_TOKEN), (other, "t")):
        response = httpx.get(f"{server.api_url}/contacts", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200


def test_stop_ends_every_thread_even_with_idle_keep_alive_connections() -> None:
    before = set(threading.enumerate())
    server = KanbertEmulator().start()
    client = httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {server.token}"})
    for _ in range(3):
        assert client.get("/contacts").status_code == 200
    server.stop()  # the client still holds its connection open
    client.close()
    assert set(threading.enumerate()) <= before


def test_an_emulator_bug_answers_500_and_fails_the_fixture() -> None:
    class Buggy(EmulatorServer):
        base_path = "/api"

        def __init__(self) -> None:
            super().__init__()
            self.router.add("GET", "/ok/{name}", self._ok)
            self.router.add("GET", "/bug", self._bug)

        def _ok(self, request: Request) -> Response:
            return json_response({"name": request.params["name"]})

        def _bug(self, request: Request) -> Response:
            raise RuntimeError("emulator bug")

    with pytest.raises(AssertionError, match="emulator bug"), running(Buggy()) as server:
        assert httpx.get(f"{server.api_url}/ok/a%20b").json() == {"name": "a b"}
        response = httpx.get(f"{server.api_url}/bug")
        assert (response.status_code, response.json()) == (500, {"message": "Server Error"})


# -- paging and sorting ------------------------------------------------------------------------------------------


def test_cursor_pages_return_every_contact_once(api: httpx.Client, seeded: list[Json]) -> None:
    records = walk(api, params={"page[size]": 40})
    assert ids(records) == ids(seeded)  # default order: id = creation order
    assert len(set(ids(records))) == 250
    assert all("companies" not in r for r in records)
    first = api.get("/contacts").json()
    assert first["meta"]["per_page"] == 30 and len(first["data"]) == 30
    capped = api.get("/contacts", params={"page[size]": 500}).json()
    assert capped["meta"]["per_page"] == 100 and len(capped["data"]) == 100


def test_cursor_urls_keep_the_query_and_go_both_ways(api: httpx.Client, seeded: list[Json]) -> None:
    params: Json = {"page[size]": 10, "filter": "first_name contains 'a'", "sort": "last_name"}
    page1 = api.get("/contacts", params=params).json()
    assert page1["meta"]["prev_cursor"] is None
    page2 = api.get(page1["meta"]["next_cursor_url"]).json()
    assert page2["meta"]["per_page"] == 10
    assert all("a" in r["first_name"].casefold() for r in page2["data"])
    back = api.get(page2["meta"]["prev_cursor_url"]).json()
    assert ids(back["data"]) == ids(page1["data"])
    assert back["meta"]["next_cursor"] is not None


def test_a_contact_created_while_paging_is_seen_once(api: httpx.Client, seeded: list[Json]) -> None:
    page = api.get("/contacts", params={"page[size]": 100}).json()
    new = api.post("/contacts", json={"first_name": "Late"}).json()
    rest = walk(api, params={"page[size]": 100, "page[cursor]": page["meta"]["next_cursor"]})
    seen = ids(page["data"]) + ids(rest)
    assert len(seen) == len(set(seen)) == 251
    assert seen[-1] == new["id"]


def test_sorting_with_direction_and_tie_break(api: httpx.Client, seeded: list[Json]) -> None:
    records = walk(api, params={"sort": "-first_name,last_name", "page[size]": 33})
    expected = sorted(seeded, key=lambda r: r["id"])
    expected.sort(key=lambda r: r["last_name"].casefold())
    expected.sort(key=lambda r: r["first_name"].casefold(), reverse=True)
    assert ids(records) == ids(expected)
    by_created = walk(api, params={"sort": "-created_at", "page[size]": 100})
    assert [r["created_at"] for r in by_created] == sorted((r["created_at"] for r in seeded), reverse=True)


@pytest.mark.parametrize(
    "params",
    [{"sort": "updated_at"}, {"sort": "email"}, {"include": "tasks"}, {"page[cursor]": "not-a-cursor"}],
)
def test_unknown_sorts_includes_and_broken_cursors_are_400(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/contacts", params=params)
    assert response.status_code == 400
    assert isinstance(response.json()["message"], str)


def test_a_bad_page_size_is_422(api: httpx.Client) -> None:
    response = api.get("/contacts", params={"page[size]": 0})
    assert response.status_code == 422
    assert "page.size" in response.json()["errors"]


# -- filters -----------------------------------------------------------------------------------------------------


def test_filter_as_json_array(api: httpx.Client, seeded: list[Json]) -> None:
    flt = [
        {"field": "first_name", "op": "startswith", "value": "j"},
        {"field": "address_town", "op": "in", "value": ["Berlin", "London", "Köln", "Hamburg", "Bristol"]},
    ]
    towns = {"Berlin", "London", "Köln", "Hamburg", "Bristol"}
    wanted = expect(seeded, lambda r: r["first_name"].lower().startswith("j") and r["address_town"] in towns)
    assert filtered(api, filter=json.dumps(flt)) == wanted


def test_filter_as_json_tree(api: httpx.Client, seeded: list[Json]) -> None:
    flt = {
        "or": [
            {"field": "last_name", "op": "eq", "value": "MÜLLER"},
            {
                "and": [
                    {"field": "email_private", "op": "endswith", "value": "@gmx.de"},
                    {"field": "mobile", "op": "isnull"},
                ]
            },
        ]
    }
    wanted = expect(
        seeded,
        lambda r: (
            r["last_name"] == "Müller" or ((r["email_private"] or "").endswith("@gmx.de") and r["mobile"] is None)
        ),
    )
    assert filtered(api, filter=json.dumps(flt)) == wanted


def test_filter_form_encoded(api: httpx.Client, seeded: list[Json]) -> None:
    params: Json = {
        "filter[0][field]": "last_name",
        "filter[0][op]": "in",
        "filter[0][value][]": ["Schmidt", "Smith", "Weber"],
        "filter[1][field]": "telephone",
        "filter[1][op]": "isnotnull",
    }
    wanted = expect(seeded, lambda r: r["last_name"] in ("Schmidt", "Smith", "Weber") and r["telephone"] is not None)
    assert set(ids(walk(api, params={**params, "page[size]": 100}))) == wanted


def test_filter_dsl_with_symbols_parentheses_lists_nulls_and_both_quotes(api: httpx.Client, seeded: list[Json]) -> None:
    dsl = (
        "first_name CONTAINS 'a' AND (address_town = \"Berlin\" Or address_town In ['Köln', \"München\"]) "
        "and birthday is not null and telephone IS NULL and last_name != 'Roth'"
    )
    wanted = expect(
        seeded,
        lambda r: (
            "a" in r["first_name"].casefold()
            and r["address_town"] in ("Berlin", "Köln", "München")
            and r["birthday"] is not None
            and r["telephone"] is None
            and r["last_name"] != "Roth"
        ),
    )
    assert filtered(api, filter=dsl) == wanted


def test_filter_dsl_on_dates_relations_and_custom_fields(api: httpx.Client, seeded: list[Json]) -> None:
    dsl = 'updated_at gte "2024-01-01T00:00:00Z" and first_name contains \'an\' and birthday < "1980-01-01"'
    cutoff = "2024-01-01T00:00:00Z"
    wanted = expect(
        seeded,
        lambda r: (
            r["updated_at"] >= cutoff
            and "an" in r["first_name"].casefold()
            and r["birthday"] is not None
            and r["birthday"] < "1980-01-01"
        ),
    )
    assert filtered(api, filter=dsl) == wanted
    works_at_gmbh = expect(seeded, lambda r: any("gmbh" in c["company_name"].casefold() for c in r["companies"]))
    assert filtered(api, filter="companies.company_name contains 'GmbH'") == works_at_gmbh
    assert filtered(api, filter="companies any (company_name contains 'gmbh')") == works_at_gmbh
    two = expect(seeded, lambda r: len(r["companies"]) >= 2)
    assert filtered(api, filter="companies.count >= 2") == two
    alone = expect(seeded, lambda r: not r["companies"])
    assert filtered(api, filter="companies none") == alone
    news = expect(seeded, lambda r: r["custom_fields"].get("newsletter") is True)
    assert filtered(api, filter="custom_fields.newsletter eq true") == news
    owned = expect(seeded, lambda r: r["owner"] is not None)
    assert filtered(api, filter='owner.id = "u_1"') == owned


@pytest.mark.parametrize(
    "flt",
    [
        "nickname eq 'x'",  # unknown field
        "external_id eq 'x'",  # not a contact filter field
        "first_name resembles 'x'",  # unknown operator
        "first_name gt 'x'",  # not an operator of strings
        "first_name eq",  # no value
        "(first_name eq 'x'",  # unbalanced
        '[{"field": "first_name"}]',  # no op
        '{"nand": []}',
        "archived eq sometimes",
        "updated_at gte 'last tuesday'",
    ],
)
def test_bad_filters_are_400(api: httpx.Client, flt: str) -> None:
    response = api.get("/contacts", params={"filter": flt})
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["message"], str)


def test_time_filters_compare_instants_not_strings(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    early = api.post("/contacts", json={"first_name": "Early"}).json()  # 08:00:00Z
    kanbert.clock.advance(3600)
    late = api.post("/contacts", json={"first_name": "Late"}).json()  # 09:00:00Z
    assert filtered(api, filter='updated_at gte "2024-10-01T10:30:00+02:00"') == {late["id"]}
    assert filtered(api, filter='updated_at < "2024-10-01T08:00:01.5Z"') == {early["id"]}
    assert filtered(api, filter='created_at eq "2024-10-01"') == {early["id"], late["id"]}
    assert filtered(api, filter="created_at eq today and updated_at lte now") == {early["id"], late["id"]}
    assert filtered(api, filter="created_at gt today") == set()


def test_gte_on_the_last_seen_second_never_misses_a_write(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    a = api.post("/contacts", json={"first_name": "A"}).json()
    b = api.post("/contacts", json={"first_name": "B"}).json()
    assert a["updated_at"] == b["updated_at"] == "2024-10-01T08:00:00Z"  # same second
    seen = a["updated_at"]
    api.patch(f"/contacts/{a['id']}", json={"last_name": "Again"})
    assert filtered(api, filter=f'updated_at gte "{seen}"') == {a["id"], b["id"]}
    assert filtered(api, filter=f'updated_at gt "{seen}"') == set()  # why clients must use gte


# -- writes ------------------------------------------------------------------------------------------------------


def test_soft_delete_restore_and_archived(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    keep = api.post("/contacts", json={"first_name": "Keep"}).json()
    gone = api.post("/contacts", json={"first_name": "Gone"}).json()
    kanbert.clock.advance(60)
    deleted = api.delete(f"/contacts/{gone['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"message": "Contact deleted successfully"}
    assert api.get(f"/contacts/{gone['id']}").status_code == 404
    assert api.patch(f"/contacts/{gone['id']}", json={"first_name": "X"}).status_code == 404
    assert api.delete(f"/contacts/{gone['id']}").status_code == 404
    assert filtered(api) == {keep["id"]}
    only = walk(api, params={"filter": "archived eq only"})
    assert ids(only) == [gone["id"]]
    assert only[0]["deleted_at"] == only[0]["updated_at"] == "2024-10-01T08:01:00Z"
    assert filtered(api, filter=json.dumps([{"field": "archived", "op": "eq", "value": "with"}])) == {
        keep["id"],
        gone["id"],
    }
    assert filtered(api, filter='updated_at gte "2024-10-01T08:01:00Z" and archived eq with') == {gone["id"]}
    kanbert.clock.advance(60)
    restored = api.post(f"/contacts/{gone['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert restored.json()["updated_at"] == "2024-10-01T08:02:00Z"
    assert api.get(f"/contacts/{gone['id']}").status_code == 200


def test_external_ids_are_unique_per_origin_and_found_by(api: httpx.Client) -> None:
    first = api.post("/contacts", json={"external_id": "ext-1", "first_name": "One"})
    assert first.status_code == 201
    assert first.json()["external_origin"] == "crmdesk"
    duplicate = api.post("/contacts", json={"external_id": "ext-1"})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == {"external_id": ["The external id has already been taken."]}
    other = api.post("/contacts", json={"external_id": "ext-1", "external_origin": "elsewhere", "first_name": "Two"})
    assert other.status_code == 201
    assert api.get("/contacts/ext-1", params={"find_by": "external_id"}).json()["id"] == first.json()["id"]
    found = api.get("/contacts/ext-1", params={"find_by": "external_id", "origin": "elsewhere"}).json()
    assert found["id"] == other.json()["id"]
    patched = api.patch(
        "/contacts/ext-1", params={"find_by": "external_id"}, json={"last_name": "Eins", "external_id": "ignored"}
    ).json()
    assert (patched["id"], patched["last_name"], patched["external_id"]) == (first.json()["id"], "Eins", "ext-1")
    assert api.get("/contacts/nope", params={"find_by": "external_id"}).status_code == 404
    assert api.get("/contacts/ext-1", params={"find_by": "email"}).status_code == 422
    moved = api.put(f"/contacts/{first.json()['id']}/external-identifier", json={"external_id": "a/b"})
    assert moved.status_code == 200
    assert (moved.json()["external_id"], moved.json()["external_origin"]) == ("a/b", "crmdesk")
    assert api.get("/contacts/a%2Fb", params={"find_by": "external_id"}).json()["id"] == first.json()["id"]
    assert api.get("/contacts/ext-1", params={"find_by": "external_id"}).status_code == 404
    clash = api.put(f"/contacts/{other.json()['id']}/external-identifier", json={"external_id": "a/b"})
    assert clash.status_code == 422
    assert api.delete("/contacts/a%2Fb", params={"find_by": "external_id"}).status_code == 200
    assert api.post("/contacts", json={"external_id": "a/b"}).status_code == 422  # the deleted one still holds it
    restored = api.post("/contacts/a%2Fb/restore", params={"find_by": "external_id"})
    assert restored.json()["id"] == first.json()["id"]


def test_attach_detach_and_includes(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    acme = api.post("/companies", json={"company_name": "Acme GmbH", "invoices_by_post": True}).json()
    ilse = api.post("/contacts", json={"first_name": "Ilse"}).json()
    api.post("/contacts", json={"first_name": "Solo"})
    kanbert.clock.advance(5)
    attached = api.put(f"/contacts/{ilse['id']}/company/attach", json={"company_id": acme["id"], "position": "CEO"})
    assert attached.json() == {"message": "Contact successfully associated with company"}
    shown = api.get(f"/contacts/{ilse['id']}", params={"include": "companies"}).json()
    assert shown["updated_at"] == "2024-10-01T08:00:05Z"
    assert [(c["id"], c["contact_company"]) for c in shown["companies"]] == [(acme["id"], {"position": "CEO"})]
    assert "companies" not in api.get(f"/contacts/{ilse['id']}").json()
    listed = api.get("/contacts", params={"include": "companies"}).json()["data"]
    assert [len(r["companies"]) for r in listed] == [1, 0]
    company = api.get(f"/companies/{acme['id']}", params={"include": "contacts"}).json()
    assert [(c["id"], c["contact_company"]["position"]) for c in company["contacts"]] == [(ilse["id"], "CEO")]
    assert filtered(api, filter="companies.company_name contains 'acme'") == {ilse["id"]}
    assert filtered(api, "/companies", filter=f"contacts.id eq '{ilse['id']}'") == {acme["id"]}
    bad = api.put(f"/contacts/{ilse['id']}/company/attach", json={"company_id": "co_nope"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"company_id": ["The selected company id is invalid."]}
    assert api.put(f"/contacts/{ilse['id']}/company/attach", json={}).status_code == 422
    detached = api.put(f"/contacts/{ilse['id']}/company/detach", json={"company_id": acme["id"]})
    assert detached.json() == {"message": "Contact successfully detached from company"}
    assert api.get(f"/contacts/{ilse['id']}", params={"include": "companies"}).json()["companies"] == []


def test_validation_errors_are_laravel_422(api: httpx.Client) -> None:
    response = api.post("/contacts", json={"first_name": "x" * 256, "email": "not-an-email", "gender": "q"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The first name field must not be greater than 255 characters. (and 2 more errors)"
    assert body["errors"] == {
        "first_name": ["The first name field must not be greater than 255 characters."],
        "email": ["The email field must be a valid email address."],
        "gender": ["The selected gender is invalid."],
    }
    created = api.post("/contacts", json={"first_name": "Ok", "email": "ok@example.com"}).json()
    bad_patch = api.patch(f"/contacts/{created['id']}", json={"email": "still bad"})
    assert bad_patch.json() == {
        "message": "The email field must be a valid email address.",
        "errors": {"email": ["The email field must be a valid email address."]},
    }
    assert api.get(f"/contacts/{created['id']}").json()["email"] == "ok@example.com"
    not_json = api.post("/contacts", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_writes_normalise_like_the_documented_api(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    body = {
        "first_name": "  Ilse ",
        "title": "",
        "birthday": "1971-03-14T00:00:00Z",
        "address_country": "AUT",
        "custom_fields": {"newsletter": True, "tier": "gold"},
    }
    created = api.post("/contacts", json=body).json()
    assert (created["first_name"], created["title"], created["birthday"]) == ("Ilse", None, "1971-03-14")
    assert created["address_country"] == {"id": "ctry_at", "name": "Österreich", "code": "AT"}
    for text, code in (("Germany", "DE"), ("Atlantis", "DE"), ("XK", "XK"), ("826", "GB")):
        country = api.patch(f"/contacts/{created['id']}", json={"address_country": text}).json()["address_country"]
        assert country["code"] == code
    by_id = api.patch(f"/contacts/{created['id']}", json={"address_country_id": "ctry_fr", "address_country": "AT"})
    assert by_id.json()["address_country"] == {"id": "ctry_fr", "name": "Frankreich", "code": "FR"}
    assert api.patch(f"/contacts/{created['id']}", json={"address_country_id": "ctry_zz"}).status_code == 422
    cleared = api.patch(f"/contacts/{created['id']}", json={"address_country_id": None})
    assert cleared.json()["address_country"] is None
    kanbert.clock.advance(10)
    patched = api.patch(f"/contacts/{created['id']}", json={"last_name": "Brandt", "custom_fields": {"tier": None}})
    assert patched.json()["first_name"] == "Ilse"
    assert patched.json()["custom_fields"] == {"newsletter": True, "tier": None}
    assert patched.json()["updated_at"] == "2024-10-01T08:00:10Z"
    kanbert.clock.advance(10)
    same = api.patch(f"/contacts/{created['id']}", json={"last_name": "Brandt"}).json()
    assert same["updated_at"] == "2024-10-01T08:00:10Z"  # nothing changed, nothing stamped


def test_companies_crud_sort_and_filters(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    zeta = api.post("/companies", json={"company_name": "Zeta AG", "business_field_id": "bf_3", "external_id": "z"})
    assert zeta.status_code == 201
    assert zeta.json()["business_field"] == {"id": "bf_3", "name": "Maschinenbau"}
    alpha = api.post("/companies", json={"company_name": "alpha GmbH", "invoices_by_post": True}).json()
    assert ids(walk(api, "/companies", {"sort": "company_name"})) == [alpha["id"], zeta.json()["id"]]
    assert filtered(api, "/companies", filter="invoices_by_post eq true") == {alpha["id"]}
    assert filtered(api, "/companies", filter="business_field.name eq 'maschinenbau'") == {zeta.json()["id"]}
    assert api.post("/companies", json={"business_field_id": "bf_99"}).status_code == 422
    kanbert.clock.advance(1)
    patched = api.patch(f"/companies/{alpha['id']}", json={"homepage": "https://alpha.example"}).json()
    assert patched["updated_at"] > alpha["updated_at"]
    assert ids(walk(api, "/companies", {"sort": "-updated_at"})) == [alpha["id"], zeta.json()["id"]]
    assert api.get("/companies/z", params={"find_by": "external_id"}).json()["id"] == zeta.json()["id"]
    assert api.delete(f"/companies/{alpha['id']}").json() == {"message": "Company deleted successfully"}
    assert filtered(api, "/companies", filter="archived eq only") == {alpha["id"]}
    assert api.post(f"/companies/{alpha['id']}/restore").json()["deleted_at"] is None
    renamed = api.put(f"/companies/{alpha['id']}/external-identifier", json={"external_id": "a"}).json()
    assert renamed["external_id"] == "a"


# -- faults ------------------------------------------------------------------------------------------------------


def test_error_rate_is_reproducible(kanbert_factory: Callable[..., KanbertEmulator]) -> None:  # noqa: F811
    def statuses(server: KanbertEmulator) -> list[int]:
        server.faults.error_rate = 0.5
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=server.api_url, headers=headers) as client:
            return [client.get("/contacts").status_code for _ in range(20)]

    first = statuses(kanbert_factory(fault_seed=5))
    assert first == statuses(kanbert_factory(fault_seed=5))
    assert {500, 503, 200} == set(first)


def test_error_rate_answers_json_server_errors(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.set_error_rate(1.0, statuses=[503])
    response = api.post("/contacts", json={"first_name": "Never"})
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert kanbert.store.contacts() == []  # not executed
    kanbert.faults.reset()
    assert api.get("/contacts").status_code == 200


def test_latency_delays_answers(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.latency = 0.2
    began = time.monotonic()
    assert api.get("/contacts").status_code == 200
    assert time.monotonic() - began >= 0.2


def test_rate_limit_answers_429_with_retry_after(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.rate_limit(2, retry_after=7)
    for _ in range(2):
        limited = api.get("/contacts")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
    assert api.get("/contacts").status_code == 200
    assert [r.fault for r in kanbert.requests()] == [FaultKind.RATE_LIMIT, FaultKind.RATE_LIMIT, None]


def test_dropped_connections_get_no_answer_and_do_nothing(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.drop_connections(1)
    with pytest.raises(httpx.TransportError):
        api.post("/contacts", json={"first_name": "Dropped"})
    assert kanbert.store.contacts() == []
    assert api.get("/contacts").status_code == 200


def test_malformed_json_is_a_200_that_does_not_parse(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    api.post("/contacts", json={"first_name": "Someone"})
    kanbert.faults.malformed_json(1)
    response = api.get("/contacts")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert api.get("/contacts").json()["data"][0]["first_name"] == "Someone"


def test_a_lost_response_still_stores_the_create(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.lose_response(1)
    assert api.get("/contacts").status_code == 200  # reads are not mutating: untouched
    with pytest.raises(httpx.TransportError):
        api.post("/contacts", json={"external_id": "lost-1", "first_name": "Lost"})
    found = api.get("/contacts/lost-1", params={"find_by": "external_id"})
    assert found.status_code == 200
    assert found.json()["first_name"] == "Lost"
    assert api.post("/contacts", json={"external_id": "lost-1"}).status_code == 422
    assert kanbert.requests()[1].fault is FaultKind.LOSE
    assert kanbert.requests()[1].status is None


def test_faults_can_be_limited_to_a_path_and_method(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    kanbert.faults.rate_limit(1, path="/api/v1/companies", methods=["POST"])
    assert api.get("/companies").status_code == 200
    assert api.post("/contacts", json={}).status_code == 201
    assert api.post("/companies", json={}).status_code == 429
    assert api.post("/companies", json={}).status_code == 201
    kanbert.faults.drop_connections(5)
    kanbert.faults.lose_response(5)
    assert kanbert.faults.pending() == {"drop_connection": 5, "lose_response": 5}
    kanbert.faults.reset()
    assert kanbert.faults.pending() == {}
    assert api.get("/contacts").status_code == 200


def test_the_request_log_records_what_arrived(api: httpx.Client, kanbert: KanbertEmulator) -> None:
    api.post("/contacts", json={"first_name": "Logged"}, params={"x": "1"})
    (entry,) = kanbert.requests()
    assert (entry.method, entry.path, entry.status, entry.fault) == ("POST", "/api/v1/contacts", 201, None)
    assert entry.query == {"x": ["1"]}
    assert entry.headers["authorization"] == f"Bearer {kanbert.token}"
    assert entry.json() == {"first_name": "Logged"}
    kanbert.clear_requests()
    assert kanbert.requests() == []


# -- command line ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["sigint", "sigint-ignored-by-the-parent", "sigterm"])
def test_the_command_line_serves_until_interrupted(stop: str) -> None:
    # Started from a script's background job, a process inherits SIGINT ignored; "Ctrl+C stops it" must hold there
    # too, and so must a plain `kill` (SIGTERM).
    command = [sys.executable, "-m", "tests.emulators", "kanbert", "--seed-people", "20", "--token", "T1"]
    if stop == "sigint-ignored-by-the-parent":  # the shell's trap ignores SIGINT, and exec hands that on
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert proc.stdout.readline().strip() == "token: T1"
        response = httpx.get(f"{url}/contacts", params={"page[size]": 100}, headers={"Authorization": "Bearer T1"})
        assert len(response.json()["data"]) == 20
        proc.send_signal(signal.SIGTERM if stop == "sigterm" else signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:  # a failure above must not leave the test waiting for a server that never stops
            proc.kill()
            proc.communicate()
