"""The cobra emulator speaks cobra.md: login, headers, envelope, languages, people, cards, companies, touchpoints."""

from __future__ import annotations

import argparse
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.emulators.base import Clock
from tests.emulators.cobra import (
    DEFAULT_API_EMAIL,
    DEFAULT_API_KEY,
    DEFAULT_TENANT,
    CobraEmulator,
    add_arguments,
    build,
    language,
)
from tests.emulators.fixtures import running

START = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
Json = dict[str, Any]


@pytest.fixture
def cobra() -> Iterator[CobraEmulator]:
    """An empty emulator on a frozen clock."""
    with running(CobraEmulator(clock=Clock(START, frozen=True), seed=3)) as server:
        yield server


@pytest.fixture
def api(cobra: CobraEmulator) -> Iterator[httpx.Client]:
    """A client that logged in over HTTP and sends every required header."""
    with httpx.Client(base_url=cobra.api_url, timeout=5) as client:
        login = client.post("/auth/token", json={"username": DEFAULT_API_EMAIL, "password": DEFAULT_API_KEY})
        assert login.status_code == 200, login.text
        client.headers.update(
            {
                "Authorization": f"Bearer {login.json()['access_token']}",
                "X-Cobra-TenantId": DEFAULT_TENANT,
                "X-Integration-Name": "crmdesk",
                "X-Integration-Provider": "crmdesk project",
                "X-Integration-Contact": "dev@crmdesk.example",
            }
        )
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"data", "message", "metaData", "statusCode"}
    assert body["statusCode"] == status and body["message"] is None
    return body["data"]


def fails(response: httpx.Response, status: int) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    assert set(body) == {"data", "message", "metaData", "statusCode"}
    assert body["statusCode"] == status and body["message"]
    return body


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in fails(response, 400)["data"]]


def make_person(api: httpx.Client, **values: Any) -> Json:
    data: Json = ok(api.post("/people", json={"firstname": "Ilse", "lastname": "Brandt", **values}), 201)
    return data


def make_card(api: httpx.Client, person_id: str, **values: Any) -> Json:
    data: Json = ok(api.post(f"/people/{person_id}/business-cards", json=values), 201)
    return data


def make_company(api: httpx.Client, **values: Any) -> Json:
    data: Json = ok(api.post("/companies", json={"name": "Brandt Maschinenbau GmbH", **values}), 201)
    return data


def favourites(items: list[Json]) -> list[bool]:
    return [item["isFavorite"] for item in items]


# -- login, tokens, headers ------------------------------------------------------------------------------------


def test_login_answers_the_token_fields_and_the_envelope(cobra: CobraEmulator) -> None:
    with httpx.Client(base_url=cobra.api_url, timeout=5) as client:
        body = client.post("/auth/token", json={"username": "API@crmdesk.example", "password": DEFAULT_API_KEY}).json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"].startswith("eyJ")
        assert body["data"] == {k: body[k] for k in ("access_token", "token_type", "expires_in")}
        assert (body["message"], body["metaData"], body["statusCode"]) == (None, None, 200)
        form = client.post("/auth/token", data={"username": DEFAULT_API_EMAIL, "password": DEFAULT_API_KEY})
        assert form.status_code == 200 and form.json()["access_token"] != body["access_token"]

        bad = fails(client.post("/auth/token", json={"username": DEFAULT_API_EMAIL, "password": "nope"}), 401)
        assert bad["message"] == "Invalid API user e-mail or API key." and bad["data"] is None
        assert fields(client.post("/auth/token", json={"username": DEFAULT_API_EMAIL})) == ["password"]


def test_token_lives_one_hour_on_the_emulator_clock(cobra: CobraEmulator, api: httpx.Client) -> None:
    assert api.get("/people").status_code == 200
    cobra.clock.advance(3599)
    assert api.get("/people").status_code == 200
    cobra.clock.advance(1)
    expired = fails(api.get("/people"), 401)
    assert expired["message"] == "The access token is missing, invalid or expired."
    assert api.get("/people").headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert api.get("/people", headers={"Authorization": f"bearer {cobra.login()}"}).status_code == 200
    fails(api.get("/people", headers={"Authorization": "Bearer unknown"}), 401)
    fails(api.get("/people", headers={"Authorization": ""}), 401)


def test_introspection_and_oauth_configuration(cobra: CobraEmulator) -> None:
    token = cobra.login()
    with httpx.Client(base_url=cobra.api_url, timeout=5) as client:
        active = client.post("/auth/introspect", data={"token": token}).json()
        assert active["active"] is True and active["sub"] == DEFAULT_API_EMAIL and active["data"]["active"] is True
        assert active["exp"] - active["iat"] == 3600
        assert client.post("/auth/introspect", data={"token": "x"}).json()["active"] is False
        config = ok(client.get("/auth/oauth2/configuration"))
        assert config["clientId"] == "crm-cloud-public"


def test_tenant_and_integration_headers_are_required(cobra: CobraEmulator, api: httpx.Client) -> None:
    headers = dict(api.headers)
    with httpx.Client(base_url=cobra.api_url, timeout=5) as client:
        for missing, status, message in (
            ("X-Cobra-TenantId", 403, "The header X-Cobra-TenantId is missing."),
            ("X-Integration-Name", 400, "The header X-Integration-Name is required."),
            ("X-Integration-Provider", 400, "The header X-Integration-Provider is required."),
        ):
            sent = {k: v for k, v in headers.items() if k.lower() != missing.lower()}
            assert fails(client.get("/people", headers=sent), status)["message"] == message
        other = fails(client.get("/people", headers=headers | {"X-Cobra-TenantId": "00000000-0000-4000-8000-0"}), 403)
        assert "no access" in other["message"]
        upper = headers | {"X-Cobra-TenantId": DEFAULT_TENANT.upper()}
        del upper["x-integration-contact"]
        assert client.get("/people", headers=upper).status_code == 200
        # the token is checked first
        assert client.get("/people", headers={"X-Cobra-TenantId": DEFAULT_TENANT}).status_code == 401


def test_messages_follow_accept_language(api: httpx.Client) -> None:
    missing = "/people/5b0f3c1e-8f7a-4f0e-9a51-2d8e1c0b7a11"
    german = api.get(missing, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert (
        fails(german, 404)["message"]
        == "Person mit der ID „5b0f3c1e-8f7a-4f0e-9a51-2d8e1c0b7a11“ wurde nicht gefunden."
    )
    assert german.headers["Content-Language"] == "de"
    english = api.get(missing, headers={"Accept-Language": "en"})
    assert fails(english, 404)["message"] == "Person with the id '5b0f3c1e-8f7a-4f0e-9a51-2d8e1c0b7a11' was not found."
    assert fails(api.get(missing, headers={"Accept-Language": "fr"}), 404)["message"].startswith("Person with")
    long_name = api.post("/people", json={"lastname": "x" * 201}, headers={"Accept-Language": "de"})
    body = fails(long_name, 400)
    assert body["message"] == "Die Validierung ist fehlgeschlagen."
    assert body["data"] == [
        {"field": "lastname", "message": "Das Feld „lastname“ darf höchstens 200 Zeichen lang sein."}
    ]
    assert language({"accept-language": "en;q=0.5, de;q=0.8"}) == "de"
    assert language({"accept-language": "fr, en-GB;q=0.7, de;q=0"}) == "en"
    assert language({}) == "en"


def test_errors_are_wrapped_too(api: httpx.Client) -> None:
    assert fails(api.get("/nothing"), 404)["message"] == "The requested resource does not exist."
    wrong = api.patch("/people")
    assert fails(wrong, 405)["statusCode"] == 405 and "GET" in wrong.headers["Allow"]
    broken = api.post("/people", content=b"{nope", headers={"Content-Type": "application/json"})
    assert fails(broken, 400)["message"] == "The request body is not valid JSON."
    assert fails(api.post("/people", json=[1]), 400)["data"][0]["field"] == "body"


# -- people ----------------------------------------------------------------------------------------------------


def test_person_crud_with_replace_semantics_and_permanent_delete(cobra: CobraEmulator, api: httpx.Client) -> None:
    created = make_person(
        api,
        salutation="Frau",
        title="Dr.",
        birthday={"birthday": "1584-03-14", "considerBirthYear": False},
        importantDates=[{"date": "2020-05-01", "description": "Firmenjubiläum"}],
        socialMedias=[{"type": "linkedin", "url": "https://linkedin.example/ilse"}],
        orgaTags=[{"id": None, "text": "Messe 2024"}],
        lifecycle={"id": None, "text": "Kunde"},
        customerNumber="crmdesk:7d6c4b0e-0000-4000-8000-000000000001",
        employeeStatus="active",
        unknownField="ignored",
    )
    assert created["dateCreate"] == created["dateModified"] == "2024-10-01T08:00:00.0000000+00:00"
    assert created["birthday"] == {"birthday": "1584-03-14", "considerBirthYear": False}
    assert created["orgaTags"][0]["text"] == "Messe 2024" and created["lifecycle"]["text"] == "Kunde"
    assert created["customerNumber"] == "crmdesk:7d6c4b0e-0000-4000-8000-000000000001"
    assert created["note"] is None and "unknownField" not in created
    assert ok(api.get(f"/people/{created['id']}")) == created

    note = ok(api.put(f"/people/{created['id']}/note", json={"note": "Ruft vor 10 Uhr an."}))
    assert note["note"] == "Ruft vor 10 Uhr an."
    cobra.clock.advance(60)
    updated = ok(api.put(f"/people/{created['id']}", json={"firstname": "Ilse", "lastname": "Brandt-Roth"}))
    assert updated["lastname"] == "Brandt-Roth" and updated["title"] is None and updated["birthday"] is None
    assert updated["orgaTags"] == [] and updated["customerNumber"] is None and updated["note"] == "Ruft vor 10 Uhr an."
    assert updated["dateModified"].startswith("2024-10-01T08:01:00.")

    assert ok(api.delete(f"/people/{created['id']}")) is True
    fails(api.get(f"/people/{created['id']}"), 404)
    fails(api.delete(f"/people/{created['id']}"), 404)
    assert ok(api.get("/people")) == []


def test_person_validation(api: httpx.Client) -> None:
    assert fields(api.post("/people", json={"birthday": {"birthday": "2024-10-02"}})) == ["birthday.birthday"]
    assert fields(api.post("/people", json={"birthday": {"birthday": "1894-09-30"}})) == ["birthday.birthday"]
    assert ok(api.post("/people", json={"birthday": {"birthday": "1894-10-01"}}), 201)["birthday"]["considerBirthYear"]
    no_year = api.post("/people", json={"birthday": {"birthday": "1990-03-14", "considerBirthYear": False}})
    assert fails(no_year, 400)["data"][0]["message"] == "When the birth year is not considered, the year must be 1584."
    assert ok(api.post("/people", json={"birthday": {"birthday": "1584-02-29", "considerBirthYear": False}}), 201)
    assert fields(api.post("/people", json={"birthday": {"birthday": "14.03.1990"}})) == ["birthday.birthday"]
    assert fields(api.post("/people", json={"title": 5, "customerNumber": "x" * 201})) == ["title", "customerNumber"]
    assert fields(api.post("/people", json={"orgaTags": [{"id": "nope", "text": None}]})) == ["orgaTags[0].id"]
    assert ok(api.post("/people/validate", json={"lastname": "Roth"})) is True
    assert fields(api.post("/people/validate", json={"lastname": "x" * 201})) == ["lastname"]
    assert len(ok(api.get("/people"))) == 2  # validate saved nothing


def test_tag_lists_and_tag_overwrite(api: httpx.Client) -> None:
    person = make_person(api, orgaTags=[{"text": "Messe 2024"}, {"text": "messe 2024"}, {"text": "VIP"}])
    assert [t["text"] for t in person["orgaTags"]] == ["Messe 2024", "VIP"]
    tags = ok(api.get("/people/management/orga-tags"))
    assert [t["text"] for t in tags] == ["Messe 2024", "VIP"]
    vip = tags[1]["id"]
    replaced = ok(api.put(f"/people/{person['id']}/orga-tags", json=[{"id": vip}, {"text": "Newsletter"}]))
    assert [t["text"] for t in replaced["orgaTags"]] == ["VIP", "Newsletter"]
    personal = ok(api.put(f"/people/{person['id']}/personality-tags", json=[{"text": "Analytiker"}]))
    assert personal["personalities"][0]["text"] == "Analytiker"

    lifecycles = ok(api.get("/people/management/lifecycles"))
    assert [x["text"] for x in lifecycles] == ["Interessent", "Kunde", "Ehemaliger Kunde"]
    moved = ok(api.put(f"/people/{person['id']}/lifecycle", json={"id": lifecycles[1]["id"]}))
    assert moved["lifecycle"] == lifecycles[1]
    assert fields(api.put(f"/people/{person['id']}/lifecycle", json={"id": "nope"})) == ["id"]
    assert ok(api.put(f"/people/{person['id']}/lifecycle", json={"id": None}))["lifecycle"] is None

    added = ok(api.post("/people/management/orga-tags", json=[{"text": "Partner"}, {"text": "vip"}]), 201)
    assert [t["id"] for t in added][1] == vip
    assert ok(api.delete(f"/people/management/orga-tags/{vip}")) is True
    assert [t["text"] for t in ok(api.get(f"/people/{person['id']}"))["orgaTags"]] == ["Newsletter"]
    ids = [t["id"] for t in ok(api.get("/people/management/orga-tags"))]
    assert ok(api.request("DELETE", "/people/management/orga-tags/bulk", json={"ids": ids})) is True
    assert ok(api.get("/people/management/orga-tags")) == []
    fails(api.delete(f"/people/management/orga-tags/{vip}"), 404)


def test_filter_by_email_status_and_customer_number(api: httpx.Client) -> None:
    a = make_person(api, employeeStatus="active", customerNumber="crmdesk:1")
    b = make_person(api, employeeStatus="retired")
    make_card(api, a["id"], emails=[{"email": "I.Brandt@brandt-mb.de"}])
    make_card(api, b["id"], emails=[{"email": "other@brandt-mb.de"}])

    def found(**params: str) -> list[str]:
        return [p["id"] for p in ok(api.get("/people/filter", params=params))]

    assert found(email="i.brandt@BRANDT-mb.de") == [a["id"]]
    assert found(employeeStatus="retired") == [b["id"]]
    assert found(email="other@brandt-mb.de", employeeStatus="active") == []
    assert found(customerNumber="crmdesk:1") == [a["id"]]
    assert fails(api.get("/people/filter"), 400)["message"].startswith("Give at least one")
    with_cards = ok(api.get("/people/filter", params={"customerNumber": "crmdesk:1", "include": "businessCards"}))
    assert with_cards[0]["businessCards"][0]["emails"][0]["email"] == "I.Brandt@brandt-mb.de"


def test_bulk_people_all_or_nothing(api: httpx.Client) -> None:
    created = ok(api.post("/people/bulk", json=[{"lastname": "A"}, {"lastname": "B"}]), 201)
    assert [p["lastname"] for p in created] == ["A", "B"]
    assert fields(api.post("/people/bulk", json=[{"lastname": "C"}, {"lastname": "x" * 201}])) == ["[1].lastname"]
    assert len(ok(api.get("/people"))) == 2
    updated = ok(api.put("/people/bulk", json=[{"id": p["id"], "lastname": p["lastname"] + "2"} for p in created]))
    assert [p["lastname"] for p in updated] == ["A2", "B2"]
    assert fields(api.put("/people/bulk", json=[{"lastname": "no id"}])) == ["[0].id"]
    fails(api.request("DELETE", "/people/bulk", json={"ids": [created[0]["id"], "missing"]}), 404)
    assert len(ok(api.get("/people"))) == 2
    assert ok(api.request("DELETE", "/people/bulk", json={"ids": [p["id"] for p in created]})) is True
    assert ok(api.get("/people")) == []
    assert fields(api.request("DELETE", "/people/bulk", json={"ids": []})) == ["ids"]


def test_quicklook_and_merge(api: httpx.Client) -> None:
    person = make_person(api, title="Dr.")
    company = make_company(api)
    card = make_card(
        api,
        person["id"],
        position="Einkauf",
        emails=[{"email": "a@b.de"}, {"email": "c@d.de", "isFavorite": True}],
        phones=[{"number": "+49 1"}],
    )
    ok(api.put(f"/people/{person['id']}/business-cards/{card['id']}/company", json={"companyId": company["id"]}))
    look = ok(api.get(f"/people/{person['id']}/quicklook"))
    assert look == {
        "id": person["id"],
        "salutation": None,
        "title": "Dr.",
        "firstname": "Ilse",
        "lastname": "Brandt",
        "businessCardId": card["id"],
        "companyId": company["id"],
        "companyName": "Brandt Maschinenbau GmbH",
        "position": "Einkauf",
        "email": "c@d.de",
        "phone": "+49 1",
    }
    other = make_person(api, firstname="Ilse B.")
    other_card = make_card(api, other["id"])
    tp = ok(
        api.post(
            "/touchpoints",
            json={"type": "note", "subject": "x", "date": "2024-10-01T08:00:00Z", "people": [{"id": other["id"]}]},
        ),
        201,
    )
    assert ok(api.post("/people/merge/completed", json={"survivorId": person["id"], "mergedId": other["id"]})) is True
    fails(api.get(f"/people/{other['id']}"), 404)
    cards = ok(api.get(f"/people/{person['id']}/business-cards"))
    assert [c["id"] for c in cards] == [card["id"], other_card["id"]] and favourites(cards) == [True, False]
    assert ok(api.get(f"/touchpoints/{tp['id']}"))["people"] == [{"id": person["id"]}]


# -- business cards and their favourite rules ------------------------------------------------------------------


def test_card_favourite_rules_on_create(api: httpx.Client) -> None:
    person = make_person(api)
    pid = person["id"]
    first = make_card(api, pid, companyName="Brandt GmbH")
    assert first["isFavorite"] is True and first["peopleId"] == pid  # rule 1
    second = make_card(api, pid)
    assert second["isFavorite"] is False  # a favourite exists
    third = make_card(api, pid, isFavorite=True)  # rule 3
    cards = ok(api.get(f"/people/{pid}/business-cards"))
    assert [c["id"] for c in cards] == [first["id"], second["id"], third["id"]]
    assert favourites(cards) == [False, False, True]
    assert ok(api.get(f"/business-cards/{third['id']}")) == cards[2]

    lonely = make_person(api)
    explicit = make_card(api, lonely["id"], isFavorite=False)
    assert explicit["isFavorite"] is False  # explicitly not: rule 1 does not fire
    assert make_card(api, lonely["id"])["isFavorite"] is True


def test_card_favourite_rules_on_update_and_delete(api: httpx.Client) -> None:
    pid = make_person(api)["id"]
    a = make_card(api, pid)
    b = make_card(api, pid)
    url = f"/people/{pid}/business-cards"
    assert ok(api.put(f"{url}/{b['id']}", json={"position": "Chef"}))["isFavorite"] is False  # a is favourite
    assert ok(api.put(f"{url}/{b['id']}", json={"isFavorite": True}))["isFavorite"] is True  # rule 3
    assert favourites(ok(api.get(url))) == [False, True]
    assert ok(api.put(f"{url}/{b['id']}", json={"isFavorite": False}))["isFavorite"] is False
    assert favourites(ok(api.get(url))) == [False, False]  # nobody is promoted
    assert ok(api.put(f"{url}/{a['id']}", json={"position": "x"}))["isFavorite"] is True  # rule 2

    assert ok(api.delete(f"{url}/{a['id']}")) is True
    assert favourites(ok(api.get(url))) == [False]  # rule 4: no promotion
    c = make_card(api, pid)
    assert c["isFavorite"] is True  # rule 1 fires again
    assert ok(api.request("DELETE", f"{url}/bulk", json={"ids": [b["id"], c["id"]]})) is True
    assert ok(api.get(url)) == []
    fails(api.get(f"{url}/{a['id']}"), 404)
    other = make_person(api)["id"]
    d = make_card(api, pid)
    fails(api.get(f"/people/{other}/business-cards/{d['id']}"), 404)
    fails(api.get(f"/business-cards/{a['id']}"), 404)


def test_card_lists_written_as_creates_in_order(api: httpx.Client) -> None:
    pid = make_person(api)["id"]
    card = make_card(
        api,
        pid,
        emails=[{"email": "a@b.de"}, {"email": "c@d.de", "type": "home", "isFavorite": True}],
        phones=[{"number": "+49 1", "isFavorite": False}, {"number": "+49 2", "type": "mobile"}, {"number": "+49 3"}],
        addresses=[{"street": "Seestraße 4", "zip": "78462", "city": "Konstanz", "country": "de"}],
    )
    assert favourites(card["emails"]) == [False, True] and card["emails"][0]["type"] == "work"
    assert favourites(card["phones"]) == [False, True, False]
    assert card["addresses"][0]["country"] == "DE" and card["addresses"][0]["isFavorite"] is True
    kept = card["emails"][1]["id"]
    put = ok(
        api.put(
            f"/people/{pid}/business-cards/{card['id']}",
            json={
                "emails": [{"id": kept, "email": "c@d.de"}, {"id": "unknown", "email": "e@f.de", "isFavorite": True}],
            },
        )
    )
    assert put["emails"][0]["id"] == kept and put["emails"][1]["id"] != "unknown"
    assert favourites(put["emails"]) == [False, True] and put["phones"] == [] and put["addresses"] == []
    bad = api.post(f"/people/{pid}/business-cards", json={"emails": [{"email": "nope"}], "phones": [{"type": "pager"}]})
    assert fields(bad) == ["emails[0].email", "phones[0].number", "phones[0].type"]
    assert ok(api.post("/people/business-cards/validate", json={"emails": [{"email": "a@b.de"}]})) is True
    assert fields(api.post("/people/business-cards/validate", json={"addresses": [{"country": "DEU"}]})) == [
        "addresses[0].country"
    ]


def test_card_address_favourite_rules(api: httpx.Client) -> None:
    pid = make_person(api)["id"]
    card = make_card(api, pid)
    url = f"/people/{pid}/business-cards/{card['id']}/addresses"
    first = ok(api.post(url, json={"street": "A-Straße 1", "city": "Konstanz"}), 201)["addresses"]
    assert favourites(first) == [True]  # first address of a card
    assert favourites(ok(api.post(url, json={"street": "B"}), 201)["addresses"]) == [True, False]
    after = ok(api.post(url, json={"street": "C", "isFavorite": True}), 201)["addresses"]
    assert favourites(after) == [False, False, True]  # rule 5
    a, b, c = (x["id"] for x in after)
    assert favourites(ok(api.put(f"{url}/{b}", json={"street": "B2", "isFavorite": True}))["addresses"]) == [
        False,
        True,
        False,
    ]  # rule 6, first sentence
    moved = ok(api.put(f"{url}/{a}", json={"street": "A2"}))["addresses"]
    assert favourites(moved) == [False, True, False] and moved[0]["street"] == "A2" and moved[0]["city"] is None
    assert favourites(ok(api.put(f"{url}/{b}", json={"street": "B2", "isFavorite": False}))["addresses"]) == [
        False,
        False,
        False,
    ]  # rule 6, second sentence
    ok(api.put(f"{url}/{c}", json={"street": "C", "isFavorite": True}))
    assert favourites(ok(api.delete(f"{url}/{c}"))["addresses"]) == [False, False]  # two remain: no new favourite
    ok(api.put(f"{url}/{b}", json={"street": "B", "isFavorite": True}))
    remaining = ok(api.delete(f"{url}/{b}"))["addresses"]
    assert [x["id"] for x in remaining] == [a] and favourites(remaining) == [True]  # rule 7: exactly one remains
    fails(api.delete(f"{url}/{b}"), 404)
    assert fields(api.post(url, json={"country": "Germany"})) == ["country"]


def test_card_company_connection(api: httpx.Client) -> None:
    pid = make_person(api)["id"]
    company = make_company(api)
    card = make_card(api, pid, companyName="free text")
    url = f"/people/{pid}/business-cards/{card['id']}"
    connected = ok(api.put(f"{url}/company", json={"companyId": company["id"]}))
    assert (connected["companyId"], connected["companyName"]) == (company["id"], "Brandt Maschinenbau GmbH")
    ok(api.put(f"/companies/{company['id']}", json={"name": "Brandt AG"}))
    assert ok(api.get(url))["companyName"] == "Brandt AG"
    assert ok(api.put(url, json={"position": "Einkauf"}))["companyId"] == company["id"]  # PUT keeps the link
    assert fields(api.put(url, json={"isPrivate": True})) == ["isPrivate"]
    private = make_card(api, pid, isPrivate=True)
    refused = api.put(f"/people/{pid}/business-cards/{private['id']}/company", json={"companyId": company["id"]})
    assert fails(refused, 400)["message"] == "A private business card cannot be connected to a company."
    fails(api.put(f"{url}/company", json={"companyId": "missing"}), 404)
    loose = ok(api.put(f"{url}/company", json={"companyId": None}))
    assert loose["companyId"] is None and loose["companyName"] == "Brandt AG"


def test_vcard_export(api: httpx.Client) -> None:
    person = make_person(api, title="Dr.", birthday={"birthday": "1584-03-14", "considerBirthYear": False})
    card = make_card(
        api,
        person["id"],
        companyName="Brandt Maschinenbau GmbH",
        department="Einkauf",
        position="Einkaufsleiterin",
        phones=[{"number": "+49 7531 12345", "type": "work"}, {"number": "+49 151 2", "type": "mobile"}],
        emails=[{"email": "i.brandt@brandt-mb.de"}],
        addresses=[{"street": "Seestraße 4", "zip": "78462", "city": "Konstanz", "region": "BW", "country": "DE"}],
    )
    response = api.get(f"/people/{person['id']}/business-cards/{card['id']}/vcard")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Brandt_Ilse.vcf"')
    assert response.text.split("\r\n") == [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:Brandt;Ilse;;Dr.;",
        "FN:Dr. Ilse Brandt",
        "ORG:Brandt Maschinenbau GmbH;Einkauf",
        "TITLE:Einkaufsleiterin",
        "TEL;TYPE=WORK,PREF:+49 7531 12345",
        "TEL;TYPE=CELL:+49 151 2",
        "EMAIL;TYPE=INTERNET,WORK,PREF:i.brandt@brandt-mb.de",
        "ADR;TYPE=WORK,PREF:;;Seestraße 4;Konstanz;BW;78462;DE",
        "BDAY:--03-14",
        "END:VCARD",
        "",
    ]
    odd = make_person(api, firstname="Zoë", lastname="Yılmaz; Groß", birthday={"birthday": "1990-01-02"})
    odd_card = make_card(api, odd["id"], position="x" * 100)
    text = api.get(f"/people/{odd['id']}/business-cards/{odd_card['id']}/vcard")
    assert "N:Yılmaz\\; Groß;Zoë;;;" in text.text and "BDAY:1990-01-02" in text.text
    assert all(len(line.encode()) <= 75 for line in text.text.split("\r\n"))
    assert "\r\n " in text.text  # the long TITLE is folded
    assert 'filename="Ylmaz-Gross_Zoe.vcf"' in text.headers["Content-Disposition"]
    fails(api.get(f"/people/{person['id']}/business-cards/missing/vcard"), 404)


# -- companies -------------------------------------------------------------------------------------------------


def test_company_crud_domain_lookup_and_tags(api: httpx.Client) -> None:
    created = make_company(
        api,
        domain="https://www.Brandt-MB.de/kontakt",
        website="https://www.brandt-mb.de",
        customerNumber="K-2001",
        legalForm={"text": "gmbh"},
        industrySectors=[{"text": "Maschinenbau"}],
        numberOfEmployees={"text": "50-249"},
        tags=[{"text": "A-Kunde"}],
        note="Hausbank: Sparkasse",
        phones=[{"number": "+49 7531 1000"}],
    )
    assert created["domain"] == "brandt-mb.de" and created["legalForm"]["text"] == "GmbH"
    assert created["numberOfEmployees"]["text"] == "50-249" and created["tags"][0]["text"] == "A-Kunde"
    assert ok(api.get("/companies/domain/WWW.brandt-mb.de")) == created
    fails(api.get("/companies/domain/unknown.de"), 404)

    updated = ok(api.put(f"/companies/{created['id']}", json={"name": "Brandt AG"}))
    assert updated["domain"] is None and updated["tags"] == [] and updated["legalForm"] is None
    assert updated["note"] == "Hausbank: Sparkasse" and updated["phones"] == created["phones"]
    assert fields(api.put(f"/companies/{created['id']}", json={"name": ""})) == ["name"]
    assert ok(api.put(f"/companies/{created['id']}/note", json={"note": None}))["note"] is None
    tagged = ok(api.put(f"/companies/{created['id']}/tags", json=[{"text": "Partner"}]))
    assert [t["text"] for t in tagged["tags"]] == ["Partner"]
    lifecycle = ok(api.get("/companies/management/lifecycles"))[1]
    assert ok(api.put(f"/companies/{created['id']}/lifecycle", json={"id": lifecycle["id"]}))["lifecycle"] == lifecycle

    other = make_company(api, name="Roth KG")
    both = [created["id"], other["id"]]
    assert ok(api.post("/companies/tags/bulk", json={"companyIds": both, "tags": [{"text": "Messe"}]})) is True
    messe = next(t["id"] for t in ok(api.get("/companies/management/tags")) if t["text"] == "Messe")
    assert [t["text"] for t in ok(api.get(f"/companies/{created['id']}"))["tags"]] == ["Partner", "Messe"]
    assert ok(api.request("DELETE", "/companies/tags/bulk", json={"companyIds": both, "tagIds": [messe]})) is True
    assert ok(api.get(f"/companies/{other['id']}"))["tags"] == []
    fails(api.post("/companies/tags/bulk", json={"companyIds": ["missing"], "tags": [{"text": "x"}]}), 404)
    assert fields(api.post("/companies/tags/bulk", json={"companyIds": [], "tags": []})) == ["companyIds", "tags"]

    preview = ok(api.post("/companies/validate", json={"name": "Neu GmbH", "emails": [{"email": "a@neu.de"}]}))
    assert preview["id"] is None and preview["emails"][0]["isFavorite"] is True and preview["dateCreate"] is None
    assert fields(api.post("/companies/validate", json={})) == ["name"]
    assert len(ok(api.get("/companies"))) == 2

    assert ok(api.delete(f"/companies/{other['id']}")) is True
    fails(api.get(f"/companies/{other['id']}"), 404)
    assert ok(api.request("DELETE", "/companies/bulk", json={"ids": [created["id"]]})) is True
    assert ok(api.get("/companies")) == []


def test_company_phone_favourite_rules(api: httpx.Client) -> None:
    company = make_company(api)
    url = f"/companies/{company['id']}/phones"
    phones = ok(api.post(url, json=[{"number": "+49 1"}, {"number": "+49 2"}]), 201)["phones"]
    assert favourites(phones) == [True, False]  # first entry of an empty list
    phones = ok(api.post(url, json=[{"number": "+49 3", "type": "fax", "isFavorite": True}]), 201)["phones"]
    assert favourites(phones) == [False, False, True]
    one, two, three = (p["id"] for p in phones)
    assert favourites(ok(api.put(f"{url}/{three}", json={"number": "+49 3", "isFavorite": False}))["phones"]) == [
        True,
        False,
        False,
    ]  # the oldest other entry takes over
    assert favourites(ok(api.put(f"{url}/{two}", json={"number": "+49 2", "isFavorite": True}))["phones"]) == [
        False,
        True,
        False,
    ]
    assert favourites(ok(api.delete(f"{url}/{two}"))["phones"]) == [True, False]  # oldest remaining
    assert favourites(ok(api.delete(f"{url}/{three}"))["phones"]) == [True]
    assert favourites(ok(api.put(f"{url}/{one}", json={"number": "+49 1", "isFavorite": False}))["phones"]) == [True]
    many = ok(api.put(url, json=[{"id": one, "number": "+49 10", "type": "mobile"}]))["phones"]
    assert many[0]["number"] == "+49 10" and many[0]["type"] == "mobile"
    fails(api.put(f"{url}/missing", json={"number": "+49 1"}), 404)
    assert fields(api.put(url, json=[{"number": "+49 1"}])) == ["[0].id"]
    assert fields(api.post(url, json=[])) == ["body"]
    assert ok(api.post("/companies/phones/validate", json={"number": "+49 1"})) is True
    assert fields(api.post("/companies/phones/validate", json={"type": "work"})) == ["number"]


def test_company_email_and_address_favourite_rules(api: httpx.Client) -> None:
    company = make_company(api, emails=[{"email": "a@b.de", "isFavorite": False}, {"email": "c@b.de"}])
    assert favourites(company["emails"]) == [True, False]  # first available entry
    url = f"/companies/{company['id']}"
    emails = ok(api.post(f"{url}/emails", json=[{"email": "d@b.de", "isFavorite": True}]), 201)["emails"]
    assert favourites(emails) == [False, False, True]
    assert favourites(ok(api.delete(f"{url}/emails/{emails[2]['id']}"))["emails"]) == [True, False]
    updated = ok(api.put(f"{url}/emails/{emails[1]['id']}", json={"email": "c2@b.de", "emailAddressTypeId": "t1"}))
    assert updated["emails"][1] == {
        "id": emails[1]["id"],
        "email": "c2@b.de",
        "emailAddressTypeId": "t1",
        "isFavorite": False,
    }

    address = ok(api.post(f"{url}/addresses", json={"street": "Seestraße 4", "country": "DE"}), 201)["addresses"]
    assert favourites(address) == [True]
    address = ok(api.post(f"{url}/addresses", json={"street": "Am Markt 1", "isFavorite": True}), 201)["addresses"]
    assert favourites(address) == [False, True]
    assert favourites(ok(api.delete(f"{url}/addresses/{address[1]['id']}"))["addresses"]) == [True]
    assert ok(api.post("/companies/addresses/validate", json={"street": "x", "country": "DE"})) is True
    assert fields(api.post("/companies/addresses/validate", json={"country": "Deutschland"})) == ["country"]


def test_deleting_a_company_unlinks_cards_and_touchpoints(api: httpx.Client) -> None:
    pid = make_person(api)["id"]
    company = make_company(api)
    card = make_card(api, pid)
    ok(api.put(f"/people/{pid}/business-cards/{card['id']}/company", json={"companyId": company["id"]}))
    tp = ok(
        api.post(
            "/touchpoints",
            json={
                "type": "call",
                "subject": "s",
                "date": "2024-09-30T10:00:00+02:00",
                "people": [{"id": pid}],
                "companies": [{"id": company["id"]}],
            },
        ),
        201,
    )
    ok(api.delete(f"/companies/{company['id']}"))
    after = ok(api.get(f"/business-cards/{card['id']}"))
    assert after["companyId"] is None and after["companyName"] == "Brandt Maschinenbau GmbH"
    assert ok(api.get(f"/touchpoints/{tp['id']}"))["companies"] == []


# -- touchpoints -----------------------------------------------------------------------------------------------


def test_touchpoint_crud_and_validation(api: httpx.Client) -> None:
    a = make_person(api)["id"]
    b = make_person(api, firstname="Klaus")["id"]
    company = make_company(api)["id"]
    body = {
        "type": "call",
        "channel": "phone",
        "subject": "Angebot Q4 besprochen",
        "text": "Will eine zweite Variante.",
        "date": "2024-10-10T11:15:00+02:00",
        "direction": "outbound",
        "mood": "positive",
        "people": [{"id": a}, {"id": b}, {"id": a}],
        "companies": [{"id": company}],
        "orgaTags": [{"text": "Angebot"}],
    }
    tp = ok(api.post("/touchpoints", json=body), 201)
    assert tp["date"] == "2024-10-10T09:15:00.0000000+00:00" and tp["priority"] == "normal"
    assert tp["people"] == [{"id": a}, {"id": b}] and tp["orgaTags"][0]["text"] == "Angebot"
    assert tp["turnover"] is None and tp["documents"] == []
    assert ok(api.get(f"/touchpoints/{tp['id']}")) == tp

    replaced = ok(
        api.put(
            f"/touchpoints/{tp['id']}",
            json={"type": "note", "subject": "Notiz", "date": "2024-10-11T08:00:00", "people": [{"id": b}]},
        )
    )
    assert replaced["channel"] is None and replaced["companies"] == [] and replaced["orgaTags"] == []
    assert replaced["date"] == "2024-10-11T08:00:00.0000000+00:00" and replaced["mood"] is None

    assert fields(api.post("/touchpoints", json={})) == ["type", "subject", "date", "people"]
    assert fields(api.post("/touchpoints", json=body | {"date": "2024-10-11"})) == ["date"]
    assert fields(api.post("/touchpoints", json=body | {"priority": "urgent", "mood": "angry"})) == ["priority", "mood"]
    assert fields(api.post("/touchpoints", json=body | {"type": "turnover"})) == ["turnover"]
    assert fields(api.post("/touchpoints", json=body | {"turnover": {"amount": 1, "currency": "EUR"}})) == ["turnover"]
    sale = ok(
        api.post("/touchpoints", json=body | {"type": "turnover", "turnover": {"amount": 1250.5, "currency": "EUR"}}),
        201,
    )
    assert sale["turnover"] == {"amount": 1250.5, "currency": "EUR"}
    assert fields(
        api.post("/touchpoints", json=body | {"type": "turnover", "turnover": {"amount": "1", "currency": "eur"}})
    ) == [
        "turnover.amount",
        "turnover.currency",
    ]
    missing = api.post("/touchpoints", json=body | {"people": [{"id": "5b0f3c1e-0000-4000-8000-000000000000"}]})
    assert fails(missing, 404)["message"].startswith("Person with the id")

    preview = ok(api.post("/touchpoints/validate", json=body))
    assert preview["id"] is None and preview["orgaTags"] == [tp["orgaTags"][0]]
    assert len(ok(api.get("/touchpoints"))) == 2

    assert ok(api.delete(f"/touchpoints/{tp['id']}")) is True
    fails(api.get(f"/touchpoints/{tp['id']}"), 404)
    assert ok(api.request("DELETE", "/touchpoints/bulk", json={"ids": [sale["id"]]})) is True
    assert ok(api.get("/touchpoints")) == []


def test_touchpoint_people_priority_mood_move_and_tags(api: httpx.Client) -> None:
    a = make_person(api)["id"]
    b = make_person(api, firstname="Klaus")["id"]
    c = make_person(api, firstname="Uwe")["id"]

    def touchpoint(*people: str) -> Json:
        data: Json = ok(
            api.post(
                "/touchpoints",
                json={
                    "type": "email",
                    "subject": "Hallo",
                    "date": "2024-10-01T07:00:00Z",
                    "people": [{"id": p} for p in people],
                },
            ),
            201,
        )
        return data

    one, two = touchpoint(a, b), touchpoint(a)
    assert ok(api.delete(f"/touchpoints/{one['id']}/people/{b}"))["people"] == [{"id": a}]
    fails(api.delete(f"/touchpoints/{one['id']}/people/{b}"), 404)
    assert fails(api.delete(f"/touchpoints/{one['id']}/people/{a}"), 400)["message"].startswith("A touchpoint needs")

    assert ok(api.put(f"/touchpoints/{one['id']}/priority", json={"priority": "high"}))["priority"] == "high"
    assert fields(api.put(f"/touchpoints/{one['id']}/priority", json={"priority": "urgent"})) == ["priority"]
    assert ok(api.put("/touchpoints/priority", json={"ids": [one["id"], two["id"]], "priority": "low"})) is True
    assert ok(api.get(f"/touchpoints/{two['id']}"))["priority"] == "low"
    assert ok(api.put(f"/touchpoints/{one['id']}/mood", json={"mood": "negative"}))["mood"] == "negative"
    assert ok(api.put(f"/touchpoints/{one['id']}/mood", json={"mood": None}))["mood"] is None

    moved = {"fromPeopleId": a, "toPeopleId": c, "touchpointIds": [one["id"], two["id"]]}
    assert ok(api.put("/touchpoints/move", json=moved)) is True
    assert ok(api.get(f"/touchpoints/{two['id']}"))["people"] == [{"id": c}]
    fails(api.put("/touchpoints/move", json=moved), 404)  # a is no longer involved

    tagged = {"touchpointsIds": [one["id"], two["id"]], "orgaTags": [{"id": None, "text": "Angebot"}]}
    response = api.post("/touchpoints/tags/bulk", json=tagged)
    assert response.json() == {"data": True, "message": None, "metaData": None, "statusCode": 200}
    tag = ok(api.get("/touchpoints/management/tags"))[0]
    assert ok(api.get(f"/touchpoints/{one['id']}"))["orgaTags"] == [tag]
    assert ok(api.get("/people/management/orga-tags")) == []  # separate tenant lists
    removed = {"touchpointsIds": [one["id"]], "tagIds": [tag["id"]]}
    assert ok(api.request("DELETE", "/touchpoints/tags/bulk", json=removed)) is True
    assert ok(api.get(f"/touchpoints/{one['id']}"))["orgaTags"] == []
    assert ok(api.get(f"/touchpoints/{two['id']}"))["orgaTags"] == [tag]
    fails(api.post("/touchpoints/tags/bulk", json=tagged | {"touchpointsIds": ["missing"]}), 404)
    assert fields(api.post("/touchpoints/tags/bulk", json={"touchpointsIds": [], "orgaTags": []})) == [
        "touchpointsIds",
        "orgaTags",
    ]

    listed = ok(api.get("/touchpoints", params={"peopleId": c}))
    assert {t["id"] for t in listed} == {one["id"], two["id"]}
    assert ok(api.get("/touchpoints", params={"peopleId": b})) == []

    ok(api.delete(f"/people/{c}"))  # the touchpoints' only person: they go with it
    assert ok(api.get("/touchpoints")) == []


# -- lists: paging, sorting, modifiedSince ---------------------------------------------------------------------


def test_paging_and_sorting(cobra: CobraEmulator, api: httpx.Client) -> None:
    ids = cobra.seed_people(120, companies=5)
    response = api.get("/people", params={"page": 1})
    first = ok(response)
    meta = response.json()["metaData"]
    assert len(first) == 50 and meta["totalResults"] == 120 and (meta["page"], meta["pageSize"]) == (1, 50)
    assert meta["responseTimeStamp"].startswith("2024-10-01T08:00:00.") and meta["responseTimeStamp"].endswith("+00:00")
    pages = [p["id"] for n in (1, 2, 3) for p in ok(api.get("/people", params={"page": n}))]
    assert pages == ids  # default: dateModified ascending (seeding writes in order)
    assert ok(api.get("/people", params={"page": 4})) == []
    assert len(ok(api.get("/people", params={"page": 2, "pageSize": 7}))) == 7
    for bad in ({"pageSize": 51}, {"pageSize": 0}, {"page": 0}, {"page": "x"}, {"sort": "birthday"}):
        assert fields(api.get("/people", params=bad)) == [next(iter(bad))]
    names = [p["lastname"].casefold() for p in ok(api.get("/people", params={"sort": "lastname"}))]
    assert names == sorted(names)
    backwards = ok(api.get("/people", params={"sort": "-dateCreate", "pageSize": 3}))
    assert [p["id"] for p in backwards] == ids[::-1][:3]
    companies = api.get("/companies", params={"pageSize": 2, "sort": "name"})
    assert companies.json()["metaData"]["totalResults"] == 5 and len(ok(companies)) == 2


def test_modified_since(cobra: CobraEmulator, api: httpx.Client) -> None:
    a = make_person(api, lastname="A")
    cobra.clock.advance(10)
    b = make_person(api, lastname="B")
    cobra.clock.advance(10)
    c = make_person(api, lastname="C")

    def since(value: str, path: str = "/people") -> list[str]:
        return [p["id"] for p in ok(api.get(path, params={"modifiedSince": value}))]

    assert since(a["dateModified"]) == [b["id"], c["id"]]  # strictly after
    assert since(c["dateModified"]) == []
    cobra.clock.advance(10)
    ok(api.put(f"/people/{a['id']}/note", json={"note": "changed"}))
    assert since(c["dateModified"]) == [a["id"]]
    assert since("2024-10-01T10:00:05+02:00") == [b["id"], c["id"], a["id"]]
    assert since("2024-10-01") == [b["id"], c["id"], a["id"]]
    card = make_card(api, b["id"])
    assert since(card["dateModified"]) == []
    cobra.clock.advance(1)
    ok(api.put(f"/people/{b['id']}/business-cards/{card['id']}", json={"position": "x"}))
    assert since(card["dateModified"]) == [b["id"]]  # a card change modifies its person
    assert fields(api.get("/people", params={"modifiedSince": "yesterday"})) == ["modifiedSince"]

    company = make_company(api)
    tp = ok(
        api.post(
            "/touchpoints",
            json={"type": "note", "subject": "s", "date": "2024-10-01T08:00:00Z", "people": [{"id": a["id"]}]},
        ),
        201,
    )
    assert since(company["dateModified"], "/companies") == []
    assert since(a["dateCreate"], "/touchpoints") == [tp["id"]]
    cobra.clock.advance(1)
    ok(api.post(f"/companies/{company['id']}/phones", json=[{"number": "+49 1"}]), 201)
    assert since(company["dateModified"], "/companies") == [company["id"]]


# -- faults, seeding, command line -----------------------------------------------------------------------------


def test_rate_limit_and_error_faults_answer_the_envelope(cobra: CobraEmulator, api: httpx.Client) -> None:
    cobra.faults.rate_limit(1, retry_after=7, path="/v1/people")
    limited = api.get("/people", headers={"Accept-Language": "de"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json() == {
        "data": None,
        "message": "Zu viele Anfragen. Bitte versuchen Sie es später erneut.",
        "metaData": None,
        "statusCode": 429,
    }
    assert api.get("/people").status_code == 200
    cobra.faults.set_error_rate(1.0, statuses=(503,))
    assert fails(api.get("/people"), 503)["message"] == "The service is temporarily unavailable."
    cobra.faults.reset()
    cobra.faults.lose_response(1, methods=["POST"])
    with pytest.raises(httpx.TransportError):
        api.post("/people", json={"lastname": "Lost"})
    assert [p["lastname"] for p in ok(api.get("/people"))] == ["Lost"]  # executed, answer lost


def test_body_status_fault_answers_http_200_with_an_error_status(cobra: CobraEmulator, api: httpx.Client) -> None:
    cobra.body_status_faults(1, status=500, methods=["POST"])
    response = api.post("/people", json={"lastname": "Nie"})
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "message": "An internal server error occurred.",
        "metaData": None,
        "statusCode": 500,
    }
    assert ok(api.get("/people")) == []  # not executed
    assert make_person(api)["lastname"] == "Brandt"


def test_parallel_writes_are_serialised(cobra: CobraEmulator) -> None:
    headers = cobra.headers()

    def create(n: int) -> list[int]:
        with httpx.Client(base_url=cobra.api_url, headers=headers, timeout=5) as client:
            return [client.post("/people", json={"lastname": f"P{n}-{i}"}).status_code for i in range(10)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for chunk in pool.map(create, range(8)) for s in chunk]
    assert statuses == [201] * 80 and len(cobra.store.people) == 80


def test_seeding_is_realistic_and_deterministic() -> None:
    def seeded() -> tuple[list[str], CobraEmulator]:
        server = CobraEmulator(clock=Clock(START, frozen=True), seed=7)
        ids = server.seed_people(40, companies=6, touchpoints=30)
        server.server_close()
        return ids, server

    ids, server = seeded()
    assert ids == seeded()[0] and len(server.store.people) == 40 and len(server.store.touchpoints) == 30
    people = [server.store.person_json(server.store.people[i], cards=True) for i in ids]
    assert all(p["firstname"] and p["lastname"] for p in people)
    assert all(sum(c["isFavorite"] for c in p["businessCards"]) == 1 for p in people)
    connected = [c for p in people for c in p["businessCards"] if c["companyId"]]
    assert connected and all(not c["isPrivate"] for c in connected)
    assert all(len(c["emails"]) <= 1 or sum(favourites(c["emails"])) == 1 for p in people for c in p["businessCards"])


def test_command_line_build() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed-people", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    add_arguments(parser)
    server, lines = build(parser.parse_args(["--api-key", "k-1"]))
    try:
        assert isinstance(server, CobraEmulator) and len(server.store.people) == 20
        assert len(server.store.companies) == 2 and len(server.store.touchpoints) == 20
        assert "export CRMDESK_SECRET=k-1" in lines
        assert (
            f'crmdesk account add "cobra demo" --kind cobra --url {server.api_url} --option tenant={DEFAULT_TENANT} '
            f"--option user={DEFAULT_API_EMAIL} --secret-env CRMDESK_SECRET"
        ) in lines
    finally:
        server.server_close()


@pytest.mark.parametrize("sent", ["headers only", "half the body", "chunked, cut"])
def test_a_request_whose_client_died_before_its_body_was_sent_is_never_executed(
    cobra: CobraEmulator, api: httpx.Client, sent: str
) -> None:
    # A process killed while sending a PUT: the server got the headers and maybe part of the body. A real server
    # waits for the whole body and drops the request when the connection ends first; executing it as a PUT of
    # nothing would blank the person (the kill -9 trials met exactly that).
    person = make_person(api)
    body = json.dumps({"firstname": "Irmgard", "lastname": "Brandt"}).encode()
    url = httpx.URL(f"{cobra.api_url}/people/{person['id']}")
    head = [f"PUT {url.raw_path.decode()} HTTP/1.1", f"Host: {url.host}:{url.port}", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in api.headers.items() if k.lower().startswith(("authorization", "x-"))]
    if sent == "chunked, cut":
        head.append("Transfer-Encoding: chunked")
        payload = f"{len(body):x}\r\n".encode() + body[: len(body) // 2]
    else:
        head.append(f"Content-Length: {len(body)}")
        payload = b"" if sent == "headers only" else body[: len(body) // 2]
    with socket.create_connection((url.host, url.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        sock.shutdown(socket.SHUT_WR)  # the client is gone: nothing more comes
        assert sock.recv(1024) == b""  # no answer: the request was dropped, not executed
    again = ok(api.get(f"/people/{person['id']}"))
    assert (again["firstname"], again["lastname"]) == ("Ilse", "Brandt")
    # the full request still works
    assert (
        ok(api.put(f"/people/{person['id']}", content=body, headers={"Content-Type": "application/json"}))["firstname"]
        == "Irmgard"
    )
