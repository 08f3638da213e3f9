"""The Deskera emulator speaks deskera.md: x-access-token, contacts (people, organizations), labels, activities."""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.emulators.base import Clock, FaultKind
from tests.emulators.deskera import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    DEFAULT_TOKEN,
    DeskeraEmulator,
    add_arguments,
    build,
)
from tests.emulators.fixtures import running

START = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
Json = dict[str, Any]
INVALID = {"message": "Invalid request body"}
NOT_FOUND = {"message": "Record not found"}


@pytest.fixture
def deskera() -> Iterator[DeskeraEmulator]:
    """An empty emulator on a frozen clock."""
    with running(DeskeraEmulator(clock=Clock(START, frozen=True), seed=3)) as server:
        yield server


@pytest.fixture
def api(deskera: DeskeraEmulator) -> Iterator[httpx.Client]:
    headers = {"x-access-token": deskera.token, "accept": "application/json"}
    with httpx.Client(base_url=deskera.api_url + "/v1/crm", headers=headers, timeout=5) as client:
        yield client


def make_contact(api: httpx.Client, **fields: Any) -> Json:
    response = api.post("/contacts", json={"name": "Ilse Brandt", **fields})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def make_org(api: httpx.Client, **fields: Any) -> Json:
    return make_contact(api, **{"name": "Brandt Maschinenbau GmbH", "type": "organization", **fields})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def make_activity(api: httpx.Client, **fields: Any) -> int:
    body = {"name": "Angebot Q4 besprochen", "activity_type": "call", "start": "2024-10-10T09:15:00Z", **fields}
    response = api.post("/activities", json=body)
    assert response.status_code == 201, response.text
    activity_id: int = response.json()["id"]
    return activity_id


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


# -- auth, routes ------------------------------------------------------------------------------------------------


def test_access_token_is_required(deskera: DeskeraEmulator) -> None:
    assert deskera.api_url == deskera.url and deskera.token == DEFAULT_TOKEN
    with httpx.Client(base_url=deskera.url, timeout=5) as client:
        missing = client.get("/v1/crm/contacts")
        assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
        assert client.get("/v1/crm/contacts", headers={"x-access-token": "nope"}).status_code == 401
        assert client.get("/v1/crm/contacts", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}).status_code == 401
        good = client.get("/v1/crm/contacts", headers={"x-access-token": DEFAULT_TOKEN})
        assert good.json() == {"data": [], "paginationInfo": {"page": 1, "totalRecords": 0}}
        valid = client.get("/v1/iam/token/app/validate", headers={"x-access-token": DEFAULT_TOKEN})
        assert valid.json() == {"valid": True, "user_id": 17826, "tenant_id": 23312}
        deskera.revoke_token(DEFAULT_TOKEN)
        assert client.get("/v1/iam/token/app/validate", headers={"x-access-token": DEFAULT_TOKEN}).status_code == 401


def test_oauth_token_refresh_and_code(deskera: DeskeraEmulator) -> None:
    basic = "Basic " + b64(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}")
    with httpx.Client(base_url=deskera.url, timeout=5) as client:
        params = {"grant_type": "refresh_token", "refresh_token": DEFAULT_REFRESH_TOKEN}
        assert client.post("/oauth/token", params=params).status_code == 401
        assert (
            client.post("/oauth/token", params=params, headers={"Authorization": "Basic " + b64("x:y")}).status_code
            == 401
        )
        fresh = client.post("/oauth/token", params=params, headers={"Authorization": basic}).json()
        assert fresh["token_type"] == "bearer" and fresh["expires_in"] == 0
        assert fresh["refresh_token"] == DEFAULT_REFRESH_TOKEN
        assert client.get("/v1/crm/contacts", headers={"x-access-token": fresh["access_token"]}).status_code == 200
        code = deskera.issue_code()
        grant = {"grant_type": "authorization_code", "scope": "write", "code": code}
        by_code = client.post("/v2/oauth/token", params=grant, headers={"Authorization": basic})
        assert by_code.status_code == 200 and by_code.json()["refresh_token"] != DEFAULT_REFRESH_TOKEN
        again = client.post("/oauth/token", params=grant, headers={"Authorization": basic})
        assert (again.status_code, again.json()) == (400, INVALID)


def test_unknown_route_method_and_id(api: httpx.Client) -> None:
    assert api.get("/nothing").status_code == 404
    for path in ("/contacts/999", "/contacts/abc", "/activities/5", "/contacts/labels/77"):
        missing = api.get(path)
        assert (missing.status_code, missing.json()) == (404, NOT_FOUND), path
    assert api.post("/contacts/5", json={}).status_code == 405
    assert api.delete("/contacts/1001").status_code == 404


# -- contacts ----------------------------------------------------------------------------------------------------


def test_person_and_organization_round_trip(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    org = make_org(api, email="info@brandt-mb.de", label_id=2)
    assert org["type"] == "organization" and org["id"] == 1001
    person = make_contact(
        api,
        email="i.brandt@brandt-mb.de",
        country_code="+49",
        phone="7531 12345",
        address="Seestraße 4, 78462 Konstanz, DE",
        organization_id=org["id"],
        label_id=3,
        note="Messe",
        unknown="ignored",
        owner_details="ignored",
    )
    assert person == {
        "id": 1002, "name": "Ilse Brandt", "email": "i.brandt@brandt-mb.de", "country_code": "+49",
        "phone": "7531 12345", "address": "Seestraße 4, 78462 Konstanz, DE",
        "label": {"id": 3, "name": "Warm lead"}, "label_id": 3, "type": "person", "visibility_type": "team",
        "visibility_ids": None, "persons": [], "organization": {}, "organization_id": org["id"],
        "organization_name": "Brandt Maschinenbau GmbH", "person_ids": [], "person_names": [],
        "sub_owner_ids": [], "owner_id": 17826, "tenant_id": 23312,
        "created_at": "2024-10-01T08:00:00.000001Z", "updated_at": "2024-10-01T08:00:00.000001Z",
        "created_by": 17826, "updated_by": 17826, "note": "Messe", "logo": None,
        "owner_details": {"id": 17826, "first_name": "Max", "last_name": "Roth", "email": "max@example.com",
                          "contact": "+49 170 000000", "role": "Admin", "status": "active"},
        "deal_details": None, "sub_owner_details": None, "custom_field": [], "c_field": {}, "view_only": False,
    }  # fmt: skip
    assert api.get(f"/contacts/{person['id']}").json() == person
    org_now = api.get(f"/contacts/{org['id']}").json()
    assert org_now["persons"] == [{"id": person["id"], "name": "Ilse Brandt", "email": "i.brandt@brandt-mb.de"}]
    assert (org_now["person_ids"], org_now["person_names"]) == ([person["id"]], ["Ilse Brandt"])
    assert org_now["label"] == {"id": 2, "name": "Cold lead"} and org_now["organization_id"] is None

    deskera.clock.advance(61.5)
    patched = api.patch(f"/contacts/{person['id']}", json={"phone": "7531 99999"})
    assert patched.status_code == 201
    assert patched.json()["phone"] == "7531 99999" and patched.json()["email"] == "i.brandt@brandt-mb.de"
    assert patched.json()["updated_at"] == "2024-10-01T08:01:01.500000Z"
    same = api.patch(f"/contacts/{person['id']}", json={}).json()
    assert same["updated_at"] == "2024-10-01T08:01:01.500001Z"  # every write moves updated_at

    replaced = api.put(f"/contacts/{person['id']}", json={"id": person["id"], "name": "Ilse Brandt-Roth"})
    assert replaced.status_code == 201
    body = replaced.json()
    assert body["name"] == "Ilse Brandt-Roth" and body["created_at"] == person["created_at"]
    assert (body["email"], body["phone"], body["note"], body["label_id"], body["organization_id"]) == (
        None, None, "", 1, None,
    )  # fmt: skip
    assert api.get(f"/contacts/{org['id']}").json()["persons"] == []

    deleted = api.delete(f"/contacts/{person['id']}")
    assert (deleted.status_code, deleted.json()) == (200, {"id": person["id"]})
    assert api.get(f"/contacts/{person['id']}").status_code == 404
    assert api.patch(f"/contacts/{person['id']}", json={"name": "x"}).status_code == 404


def test_organization_person_ids_and_delete(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    a, b, c = (make_contact(api, name=n)["id"] for n in ("Anna", "Bernd", "Carla"))
    org = make_org(api, person_ids=[a, b])
    assert org["person_ids"] == [a, b] and org["person_names"] == ["Anna", "Bernd"]
    assert api.get(f"/contacts/{a}").json()["organization_id"] == org["id"]
    before = api.get(f"/contacts/{b}").json()["updated_at"]
    api.patch(f"/contacts/{org['id']}", json={"person_ids": [b, c]})
    assert api.get(f"/contacts/{a}").json()["organization_id"] is None
    assert api.get(f"/contacts/{b}").json()["updated_at"] == before  # unchanged link, untouched
    put = api.put(f"/contacts/{org['id']}", json={"name": "Neu GmbH", "type": "organization"}).json()
    assert put["person_ids"] == [b, c]  # absent person_ids leaves the links
    assert api.patch(f"/contacts/{org['id']}", json={"person_ids": [org["id"]]}).status_code == 400
    assert api.patch(f"/contacts/{org['id']}", json={"type": "person"}).status_code == 400
    assert api.patch(f"/contacts/{a}", json={"organization_id": b}).status_code == 400
    act = make_activity(api, contact_ids=[b], organization_ids=[org["id"]])
    deskera.clock.advance(5)
    api.delete(f"/contacts/{org['id']}")
    person = api.get(f"/contacts/{b}").json()
    assert person["organization_id"] is None and person["updated_at"] == "2024-10-01T08:00:05.000000Z"
    assert api.get(f"/activities/{act}").json()["organization_ids"] == []


def test_contact_validation(api: httpx.Client) -> None:
    bodies: list[Any] = [
        {}, {"name": "  "}, {"name": 5}, {"name": "x", "type": "company"}, {"name": "x", "label_id": 99},
        {"name": "x", "owner_id": 1}, {"name": "x", "visibility_type": "everyone"}, {"name": "x", "organization_id": 5},
        {"name": "x", "custom_field": [{"value": "no code"}]}, {"name": "x", "sub_owner_ids": "17826"}, ["x"],
    ]  # fmt: skip
    for body in bodies:
        response = api.post("/contacts", json=body)
        assert (response.status_code, response.json()) == (400, INVALID), body
    broken = api.post("/contacts", content=b"{", headers={"content-type": "application/json"})
    assert (broken.status_code, broken.json()) == (400, INVALID)
    assert api.get("/contacts").json()["paginationInfo"]["totalRecords"] == 0
    contact = make_contact(api, label_id="4", owner_id="17827", sub_owner_ids=["17826"])
    assert (contact["label_id"], contact["owner_id"], contact["sub_owner_ids"]) == (4, 17827, [17826])
    assert api.put(f"/contacts/{contact['id']}", json={"email": "x@y.de"}).status_code == 400
    assert api.patch(f"/contacts/{contact['id']}", json={"name": ""}).status_code == 400


def test_custom_fields(api: httpx.Client) -> None:
    contact = make_contact(api, custom_field=[{"shortName": "crmdesk_id", "label": "crmdesk id", "value": "u-1"}])
    assert contact["custom_field"] == [
        {"code": "D-0000013", "label": "crmdesk id", "value": "u-1", "module": "", "shortName": "crmdesk_id"}
    ]
    assert contact["c_field"] == {"crmdesk_id": "u-1"}
    patched = api.patch(
        f"/contacts/{contact['id']}",
        json={"custom_field": [{"shortName": "tier", "value": 2}, {"code": "D-0000013", "value": "u-2"}]},
    ).json()
    assert patched["c_field"] == {"crmdesk_id": "u-2", "tier": 2}
    assert [e["code"] for e in patched["custom_field"]] == ["D-0000013", "D-0000014"]
    other = make_contact(api, name="Other", custom_field=[{"shortName": "tier", "value": 1}])
    assert other["custom_field"][0]["code"] == "D-0000014"
    replaced = api.put(f"/contacts/{contact['id']}", json={"name": "Ilse", "custom_field": [{"code": "D-0000014"}]})
    assert replaced.json()["c_field"] == {"tier": None}


# -- lists -------------------------------------------------------------------------------------------------------


def test_contact_paging(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    people = deskera.seed_people(45, companies=5)
    assert len(people) == 45 and len(deskera.store.contacts) == 50
    first = api.get("/contacts").json()
    assert first["paginationInfo"] == {"page": 1, "totalRecords": 50} and len(first["data"]) == 20
    assert ids(api.get("/contacts", params={"page": 3})) == list(range(1041, 1051))
    assert api.get("/contacts", params={"page": 4}).json() == {
        "data": [], "paginationInfo": {"page": 4, "totalRecords": 50},
    }  # fmt: skip
    assert len(ids(api.get("/contacts", params={"limit": 500}))) == 50
    assert len(ids(api.get("/contacts", params={"limit": "x", "page": "0"}))) == 20
    walked: list[int] = []
    page = 1
    while chunk := ids(api.get("/contacts", params={"page": page, "limit": 7})):
        walked += chunk
        page += 1
    assert walked == list(range(1001, 1051))
    orgs = api.get("/contacts", params={"type": "organization", "limit": 100}).json()
    assert orgs["paginationInfo"]["totalRecords"] == 5
    assert sum(len(o["person_ids"]) for o in orgs["data"]) == sum(
        1 for p in api.get("/contacts", params={"limit": 100}).json()["data"] if p["organization_id"]
    )
    assert api.get("/contacts", params={"type": "lead"}).status_code == 400


def test_contact_filters_sort_and_columns(api: httpx.Client) -> None:
    anna = make_contact(api, name="Anna Zeller", email="anna@zeller.de", phone="30 5551234")["id"]
    bernd = make_contact(api, name="bernd Adler", email="bernd@adler.de")["id"]
    org = make_org(api, name="Adler AG", email=None)["id"]
    assert ids(api.get("/contacts", params={"email": "ANNA@zeller"})) == [anna]
    assert ids(api.get("/contacts", params={"name": "adler"})) == [bernd, org]
    assert ids(api.get("/contacts", params={"name": "adler", "type": "person"})) == [bernd]
    assert ids(api.get("/contacts", params={"search": "555"})) == [anna]
    assert ids(api.get("/contacts", params={"search": "adler.de"})) == [bernd]
    assert ids(api.get("/contacts", params={"phone": "30 5"})) == [anna]
    assert ids(api.get("/contacts", params={"contains_email": "true"})) == [anna, bernd]
    assert ids(api.get("/contacts", params={"contact_ids": f"{org},{anna}"})) == [anna, org]
    assert ids(api.get("/contacts", params={"sort": "name", "order": "DESC"})) == [bernd, anna, org]
    assert ids(api.get("/contacts", params={"orderBy": "name"})) == [org, anna, bernd]
    assert ids(api.get("/contacts", params={"order_by": "email", "order": "asc"})) == [org, anna, bernd]
    assert ids(api.get("/contacts", params={"order": "desc"})) == [org, bernd, anna]
    assert ids(api.get("/contacts", params={"sort": "updated_at", "order": "DESC", "action": "x"})) == [
        org, bernd, anna,
    ]  # fmt: skip
    for bad in ({"sort": "nope"}, {"order": "up"}, {"contact_ids": "1,x"}, {"contains_email": "maybe"}):
        assert (api.get("/contacts", params=bad).status_code, api.get("/contacts", params=bad).json()) == (
            400, INVALID,
        ), bad  # fmt: skip
    narrow = api.get("/contacts", params=[("columns", "name,email"), ("columns", "bogus"), ("limit", "1")]).json()
    assert narrow["data"] == [{"id": anna, "name": "Anna Zeller", "email": "anna@zeller.de"}]


def test_bulk_update_and_multiple(api: httpx.Client) -> None:
    a, b, c = (make_contact(api, name=n)["id"] for n in ("A", "B", "C"))
    done = api.patch("/contacts", json={"ids": [a, c], "label_id": 4, "visibility_type": "private"})
    assert (done.status_code, done.json()) == (201, {"ids": [a, c]})
    many = api.post("/contacts/multiple", json={"contact_ids": [c, 999, a, c, b]})
    assert many.status_code == 200
    assert [(r["id"], r["label_id"], r["visibility_type"]) for r in many.json()] == [
        (c, 4, "private"), (a, 4, "private"), (b, 1, "team"),
    ]  # fmt: skip
    assert api.patch("/contacts", json={"ids": [a, 999], "label_id": 2}).status_code == 404
    assert api.patch("/contacts", json={"ids": [a], "label_id": 77}).status_code == 400
    assert api.patch("/contacts", json={"ids": []}).status_code == 400
    assert api.get(f"/contacts/{a}").json()["label_id"] == 4
    assert api.post("/contacts/multiple", json={"ids": [a]}).status_code == 400


# -- labels ------------------------------------------------------------------------------------------------------


def test_labels(api: httpx.Client) -> None:
    builtin = api.get("/contacts/labels").json()
    assert [(lb["id"], lb["name"], lb["owner_id"]) for lb in builtin] == [
        (1, "No label", 0), (2, "Cold lead", 0), (3, "Warm lead", 0), (4, "Hot lead", 0),
    ]  # fmt: skip
    assert builtin[3] == {"id": 4, "name": "Hot lead", "color": "deep-orange", "icon": "whatshot", "owner_id": 0,
                          "tenant_id": 23312}  # fmt: skip
    created = api.post("/contacts/labels", json={"name": "Messe 2024", "color": "green", "icon": "star"})
    assert (created.status_code, created.json()) == (201, {"id": "5"})
    assert api.get("/contacts/labels/5").json()["owner_id"] == 17826
    assert api.post("/contacts/labels", json={"name": "messe 2024"}).status_code == 400
    assert api.post("/contacts/labels", json={"color": "red"}).status_code == 400
    renamed = api.put("/contacts/labels/5", json={"name": "Messe 2025"})
    assert renamed.status_code == 201
    assert renamed.json() == {"id": 5, "name": "Messe 2025", "color": None, "icon": None, "owner_id": 17826,
                              "tenant_id": 23312}  # fmt: skip
    contact = make_contact(api, label_id=5)
    assert contact["label"] == {"id": 5, "name": "Messe 2025"}
    assert api.delete("/contacts/labels/5").json() == {"id": 5}
    after = api.get(f"/contacts/{contact['id']}").json()
    assert after["label"] == {"id": 1, "name": "No label"} and after["updated_at"] == contact["updated_at"]
    assert api.delete("/contacts/labels/1").status_code == 400
    assert api.get("/contacts/labels/5").status_code == 404


# -- activities --------------------------------------------------------------------------------------------------


def test_activity_round_trip(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    org = make_org(api)["id"]
    person = make_contact(api, email="i@b.de", organization_id=org)["id"]
    body = {
        "name": "Angebot Q4 besprochen", "activity_type": "call", "start": "2024-10-10T09:15:00Z",
        "end": "2024-10-10T10:36:30Z", "notes": b64("Will eine zweite Variante.<br>"), "user_timezone": "Europe/Berlin",
        "contact_ids": [person], "organization_ids": [org], "assignee_ids": [17826], "is_send_invitation": False,
        "is_send_contacts_invitation": False, "is_status": True, "duration": "ignored",
    }  # fmt: skip
    created = api.post("/activities", json=body)
    assert (created.status_code, created.json()) == (201, {"id": 1})
    act = api.get("/activities/1").json()
    assert act["notes"] == "Will eine zweite Variante.<br>"
    assert (act["start"], act["end"], act["duration"]) == (
        "2024-10-10T11:15:00.000000+02:00", "2024-10-10T12:36:30.000000+02:00", "1h 21m",
    )  # fmt: skip
    assert act["created_at"] == "2024-10-01T10:00:00.000002+02:00"
    assert act["contact_details"] == [{"id": person, "name": "Ilse Brandt", "email": "i@b.de"}]
    assert act["organization_details"] == [{"id": org, "name": "Brandt Maschinenbau GmbH"}]
    assert act["assignee_details"][0]["first_name"] == "Max"
    assert (act["is_status"], act["is_deleted"], act["owner_id"], act["tenant_id"], act["linked_to"]) == (
        True, False, 17826, 23312, None,
    )  # fmt: skip

    deskera.clock.advance(10)
    put = api.put(
        "/activities/1", json={"name": "Kurz", "activity_type": "meeting", "start": "2024-10-11T08:00:00+02:00"}
    )
    assert (put.status_code, put.json()) == (200, {"id": 1})
    now = api.get("/activities/1").json()
    assert (now["start"], now["end"], now["duration"], now["user_timezone"]) == (
        "2024-10-11T06:00:00.000000+00:00", "2024-10-11T06:00:00.000000+00:00", "0m", "UTC",
    )  # fmt: skip
    assert (now["notes"], now["contact_ids"], now["is_status"], now["visibility_type"]) == ("", [], False, "team")
    assert now["updated_at"] == "2024-10-01T08:00:10.000000+00:00"

    deleted = api.delete("/activities/1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.get("/activities/1").status_code == 404
    assert api.delete("/activities/1").status_code == 404


def test_activity_validation(api: httpx.Client) -> None:
    person = make_contact(api)["id"]
    org = make_org(api)["id"]
    base: Json = {"name": "x", "activity_type": "call", "start": "2024-10-10T09:15:00Z"}
    bad: list[Json] = [
        {"notes": "not base64!"}, {"activity_type": "visit"}, {"activity_type": None}, {"name": ""},
        {"start": None}, {"start": "tomorrow"}, {"end": "2024-10-10T09:00:00Z"}, {"user_timezone": "Mars/Base"},
        {"contact_ids": [org]}, {"organization_ids": [person]}, {"assignee_ids": [1]}, {"is_status": "yes"},
        {"visibility_type": "all"}, {"notes": base64.b64encode(b"\xff\xfe").decode()},
    ]  # fmt: skip
    for change in bad:
        response = api.post("/activities", json=base | change)
        assert (response.status_code, response.json()) == (400, INVALID), change
    assert api.get("/activities").json()["paginationInfo"] == {"page": 1, "totalRecords": 0, "isZeroState": True}


def test_activity_list_sort_page_and_query(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    person = make_contact(api)["id"]
    org = make_org(api)["id"]
    first = make_activity(api, name="Erstes Telefonat", start="2024-10-02T10:00:00Z", contact_ids=[person])
    deskera.clock.advance(1)
    second = make_activity(api, name="Messe", activity_type="meeting", start="2024-10-01T10:00:00Z",
                           organization_ids=[org], linked_to=1227, is_status=True)  # fmt: skip
    deskera.clock.advance(1)
    third = make_activity(api, name="Mail", activity_type="email", start="2024-10-03T10:00:00Z", assignee_ids=[17827])
    deskera.clock.advance(1)
    api.put(f"/activities/{first}", json={"name": "Erstes Telefonat", "activity_type": "call",
                                           "start": "2024-10-02T10:00:00Z", "contact_ids": [person]})  # fmt: skip
    listing = api.get("/activities").json()
    assert [a["id"] for a in listing["data"]] == [third, second, first]
    assert listing["paginationInfo"] == {"page": 1, "totalRecords": 3, "isZeroState": False}
    by_update: dict[str, str | int] = {"sortBy": "updated_at", "sortDir": "DESC", "page": 1, "pageSize": 2}
    assert ids(api.get("/activities", params=by_update)) == [first, third]
    assert ids(api.get("/activities", params=by_update | {"page": 2})) == [second]
    assert ids(api.get("/activities", params={"sortBy": "start", "sortDir": "asc"})) == [second, first, third]

    def query(text: str) -> list[int]:
        return sorted(ids(api.get("/activities", params={"query": text})))

    assert query(f"contact_id={person}") == [first]
    assert query(f"organization_id={org},deal_id=1227,is_status=true") == [second]
    assert query("assignee_id=17827") == [third]
    assert query("name=TELEFON") == [first]
    assert query("activityType!=call") == [second, third]
    assert query(f"date>{int(datetime(2024, 10, 2, 10, tzinfo=UTC).timestamp())}") == [third]
    assert query(f"date>={int(datetime(2024, 10, 2, 10, tzinfo=UTC).timestamp())}") == [first, third]
    assert query("source=WEB") == [] and query("source=api") == [first, second, third]
    empty = api.get("/activities", params={"query": "name=nothing"}).json()["paginationInfo"]
    assert empty == {"page": 1, "totalRecords": 0, "isZeroState": False}
    for bad in ("colour=red", "name>x", "contact_id=x", "activityType=visit", "is_status=1", "date>soon", "garbage"):
        assert api.get("/activities", params={"query": bad}).status_code == 400, bad
    assert api.get("/activities", params={"sortBy": "name"}).status_code == 400
    assert api.get("/activities", params={"sortDir": "sideways"}).status_code == 400


def test_activity_bulk_update_and_delete(api: httpx.Client) -> None:
    a, b, c = (make_activity(api) for _ in range(3))
    done = api.patch("/activities/bulkUpdate", json={"ids": [a, b], "visibility_type": "private", "is_status": True})
    assert (done.status_code, done.json()) == (200, {"ids": [a, b]})
    assert [api.get(f"/activities/{i}").json()["is_status"] for i in (a, b, c)] == [True, True, False]
    assert api.get(f"/activities/{a}").json()["visibility_type"] == "private"
    assert api.patch("/activities/bulkUpdate", json={"ids": [c, 99], "is_status": True}).status_code == 404
    assert api.get(f"/activities/{c}").json()["is_status"] is False
    assert api.patch("/activities/bulkUpdate", json={"ids": [c], "is_status": "yes"}).status_code == 400
    gone = api.post("/activities/bulkDelete", json=[a, c, 99])
    assert (gone.status_code, gone.content) == (204, b"")
    assert ids(api.get("/activities")) == [b]
    assert api.post("/activities/bulkDelete", json={"ids": [b]}).status_code == 400


# -- faults, threads, command line -------------------------------------------------------------------------------


def test_fault_switches(api: httpx.Client, deskera: DeskeraEmulator) -> None:
    deskera.faults.set_error_rate(1.0, statuses=[503])
    failed = api.post("/contacts", json={"name": "Never"})
    assert (failed.status_code, failed.json()) == (503, {"message": "Service Unavailable"})
    deskera.faults.reset()
    assert deskera.store.contacts == {}

    deskera.faults.rate_limit(1, retry_after=7)
    limited = api.get("/contacts")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert limited.json() == {"message": "Too Many Requests"}

    deskera.faults.drop_connections(1)
    with pytest.raises(httpx.TransportError):
        api.post("/contacts", json={"name": "Dropped"})
    assert deskera.store.contacts == {}

    deskera.faults.lose_response(1, path="/v1/crm/contacts")
    with pytest.raises(httpx.TransportError):
        api.post("/contacts", json={"name": "Lost"})
    assert [r["name"] for r in api.get("/contacts").json()["data"]] == ["Lost"]
    assert [r.fault for r in deskera.requests()][-2:] == [FaultKind.LOSE, None]

    deskera.faults.malformed_json(1)
    with pytest.raises(json.JSONDecodeError):
        api.get("/contacts").json()


def test_concurrent_writes_get_distinct_ids_and_times(api: httpx.Client) -> None:
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda i: make_contact(api, name=f"P{i}"), range(40)))
    assert sorted(c["id"] for c in made) == list(range(1001, 1041))
    assert len({c["updated_at"] for c in made}) == 40


def test_seeded_data_and_command_line() -> None:
    parser = argparse.ArgumentParser()
    for name, default in (("--port", 0), ("--seed-people", 0), ("--seed", 0)):
        parser.add_argument(name, type=int, default=default)
    parser.add_argument("--host", default="127.0.0.1")
    add_arguments(parser)
    server, lines = build(parser.parse_args(["--seed-people", "30", "--seed", "4"]))
    try:
        assert isinstance(server, DeskeraEmulator)
        rows = server.store.contact_rows()
        assert len(rows) == 33 and len(server.store.activities) == 15
        person = next(r for r in rows if r["type"] == "person" and r["phone"])
        assert person["country_code"] in ("+49", "+44") and " " in person["name"]
        assert any(r["organization_id"] for r in rows)
        assert f"export CRMDESK_SECRET={DEFAULT_TOKEN}" in lines
        assert (
            f'crmdesk account add "deskera demo" --kind deskera --url {server.url} --secret-env CRMDESK_SECRET' in lines
        )
    finally:
        server.server_close()
