"""The ImBox emulator speaks imbox.md: credentials in the path, contacts, notes, accounts, id cursors, faults."""

from __future__ import annotations

import argparse
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.emulators import imbox as imbox_module
from tests.emulators.base import Clock, FaultKind
from tests.emulators.fixtures import running
from tests.emulators.imbox import DEFAULT_API_KEY, DEFAULT_USER_ID, SCOPE_READ, SCOPE_WRITE, ImboxEmulator

START = datetime(2024, 10, 9, 13, 0, tzinfo=UTC)
Json = dict[str, Any]
CONTACT_KEYS = [
    "id", "userId", "accountId", "crmId", "description", "externalId", "externalUrl", "firstName", "lastName",
    "fullName", "picture", "title", "activityAt", "modifiedAt", "createdAt", "updatedAt",
]  # fmt: skip
ACCOUNT_KEYS = ["id", "userId", "crmId", "externalId", "externalUrl", "name", "createdAt", "updatedAt"]


@pytest.fixture
def imbox() -> Iterator[ImboxEmulator]:
    """An empty emulator on a frozen clock."""
    with running(ImboxEmulator(clock=Clock(START, frozen=True), seed=3)) as server:
        yield server


@pytest.fixture
def api(imbox: ImboxEmulator) -> Iterator[httpx.Client]:
    """A client on `/api/{key}/{userId}`."""
    with httpx.Client(base_url=imbox.base_url, timeout=5) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def make_contact(api: httpx.Client, **fields: Any) -> Json:
    body: Json = ok(api.post("/contacts", json={"firstName": "Arne", "lastName": "Andersson", **fields}))
    return body


def make_account(api: httpx.Client, **fields: Any) -> Json:
    body: Json = ok(api.post("/accounts", json={"name": "ImBox Sweden AB", **fields}))
    return body


def error(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


# -- credentials in the path -----------------------------------------------------------------------------------


def test_key_and_user_are_path_segments(imbox: ImboxEmulator) -> None:
    assert imbox.api_url == f"{imbox.url}/api"
    assert (imbox.api_key, imbox.user_id) == (DEFAULT_API_KEY, DEFAULT_USER_ID)
    assert imbox.base_url == f"{imbox.api_url}/{DEFAULT_API_KEY}/{DEFAULT_USER_ID}"
    with httpx.Client(base_url=imbox.api_url, timeout=5) as client:
        assert ok(client.get(f"/{DEFAULT_API_KEY}/{DEFAULT_USER_ID}/contacts"))["contacts"] == []
        bad_key = client.get(f"/wrong-key/{DEFAULT_USER_ID}/contacts")
        assert error(bad_key) == (401, {"error": "Invalid API key"})
        assert "wrong-key" not in bad_key.text
        for user in ("201", "abc", "-200"):
            assert error(client.get(f"/{DEFAULT_API_KEY}/{user}/contacts")) == (401, {"error": "Invalid userId"})
        assert error(client.post(f"/nope/{DEFAULT_USER_ID}/contacts", json={})) == (401, {"error": "Invalid API key"})
        assert error(client.get("/contacts")) == (404, {"error": "Not found"})
        assert error(client.get(f"/{DEFAULT_API_KEY}/{DEFAULT_USER_ID}/nothing")) == (404, {"error": "Not found"})


def test_scopes_and_revocation(imbox: ImboxEmulator) -> None:
    imbox.add_api_key("reader", [SCOPE_READ])
    imbox.add_api_key("writer", [SCOPE_WRITE])
    with httpx.Client(base_url=imbox.api_url, timeout=5) as client:
        assert client.get(f"/reader/{DEFAULT_USER_ID}/accounts").status_code == 200
        denied = client.post(f"/reader/{DEFAULT_USER_ID}/contacts", json={"firstName": "A"})
        assert error(denied) == (403, {"error": "Insufficient scope"})
        assert error(client.get(f"/writer/{DEFAULT_USER_ID}/contacts")) == (403, {"error": "Insufficient scope"})
        assert client.post(f"/writer/{DEFAULT_USER_ID}/contactNotes", json={}).status_code == 400
        imbox.revoke_api_key("reader")
        assert client.get(f"/reader/{DEFAULT_USER_ID}/accounts").status_code == 401
    assert imbox.store.contacts() == []


def test_several_users_share_the_data_and_stamp_user_id() -> None:
    with (
        running(ImboxEmulator(api_keys={"k1": [SCOPE_READ, SCOPE_WRITE]}, user_ids=[7, 8])) as server,
        httpx.Client(base_url=server.api_url, timeout=5) as client,
    ):
        created = ok(client.post("/k1/8/contacts", json={"firstName": "Bo"}))
        assert created["userId"] == 8
        assert [c["id"] for c in ok(client.get("/k1/7/contacts"))["contacts"]] == [created["id"]]
        assert ok(client.post("/k1/7/accounts", json={"name": "X"}))["userId"] == 7


def test_unknown_method_is_405_and_notes_have_no_update(api: httpx.Client) -> None:
    response = api.put("/contactNotes/1", json={"content": "x"})
    assert error(response) == (405, {"error": "Method not allowed"})
    assert response.headers["Allow"] == "GET, DELETE"
    assert api.get("/contacts/1").status_code == 405  # no GET /contacts/{id}
    assert api.patch("/accounts/1", json={}).status_code == 405


# -- contacts --------------------------------------------------------------------------------------------------


def test_contact_create_returns_the_read_model_without_emails_and_phones(
    api: httpx.Client, imbox: ImboxEmulator
) -> None:
    account = make_account(api)
    created = make_contact(
        api,
        title="CEO",
        description="Met at the Stockholm fair.",
        externalId="8f14e45f-ceea",
        externalUrl="https://crmdesk.local/p/8f14e45f",
        accountId=account["id"],
        emails=[{"email": "arne@gmail.se", "isPrimary": True}, {"email": "arne@imbox.se"}],
        phones=[{"phone": "+46762004545", "isPrimary": True}],
        id=999,
        fullName="ignored",
        unknown="ignored",
    )
    assert list(created) == CONTACT_KEYS
    assert created == {
        "id": 1, "userId": 200, "accountId": account["id"], "crmId": 1,
        "description": "Met at the Stockholm fair.", "externalId": "8f14e45f-ceea",
        "externalUrl": "https://crmdesk.local/p/8f14e45f", "firstName": "Arne", "lastName": "Andersson",
        "fullName": "Arne Andersson", "picture": None, "title": "CEO", "activityAt": "2024-10-09T13:00:00.000Z",
        "modifiedAt": None, "createdAt": "2024-10-09T13:00:00.000Z", "updatedAt": None,
    }  # fmt: skip
    listed = ok(api.get("/contacts", params={"id": created["id"]}))
    assert listed == {"contacts": [created], "paging": {"cursor": {"after": None}}, "next": None}
    stored = imbox.store.contact(created["id"], channels=True)
    assert stored is not None
    assert stored["emails"] == [
        {"email": "arne@gmail.se", "isPrimary": True},
        {"email": "arne@imbox.se", "isPrimary": False},
    ]
    assert stored["phones"] == [{"phone": "+46762004545", "isPrimary": True}]


def test_full_name_and_empty_contact(api: httpx.Client) -> None:
    assert ok(api.post("/contacts", json={}))["fullName"] is None
    assert ok(api.post("/contacts"))["firstName"] is None  # an empty body counts as {}
    assert ok(api.post("/contacts", json={"lastName": "Bengtsson"}))["fullName"] == "Bengtsson"
    assert ok(api.post("/contacts", json={"firstName": "", "lastName": "B"}))["firstName"] == ""


def test_put_is_partial_and_stamps_updated_at(api: httpx.Client, imbox: ImboxEmulator) -> None:
    account = make_account(api)
    created = make_contact(
        api,
        title="CEO",
        accountId=account["id"],
        emails=[{"email": "arne@gmail.se", "isPrimary": True}],
        phones=[{"phone": "+46762004545", "isPrimary": True}],
    )
    imbox.clock.advance(90.5)
    response = api.put(f"/contacts/{created['id']}", json={"firstName": "Bosse", "emails": [{"email": "b@x.se"}]})
    assert ok(response) == {}
    after = imbox.store.contact(created["id"], channels=True)
    assert after is not None
    assert (after["firstName"], after["lastName"], after["title"]) == ("Bosse", "Andersson", "CEO")
    assert after["fullName"] == "Bosse Andersson" and after["accountId"] == account["id"]
    assert after["emails"] == [{"email": "b@x.se", "isPrimary": False}]
    assert after["phones"] == [{"phone": "+46762004545", "isPrimary": True}]
    assert after["updatedAt"] == "2024-10-09T13:01:30.500Z"
    assert after["createdAt"] == created["createdAt"] and after["modifiedAt"] is None

    imbox.clock.advance(1)
    ok(api.put(f"/contacts/{created['id']}", json={"accountId": None, "title": None, "phones": None}))
    after = imbox.store.contact(created["id"], channels=True)
    assert after is not None
    assert (after["accountId"], after["title"], after["phones"]) == (None, None, [])
    assert after["updatedAt"] == "2024-10-09T13:01:31.500Z"

    imbox.clock.advance(1)
    ok(api.put(f"/contacts/{created['id']}", json={}))
    assert ok(api.get("/contacts", params={"id": created["id"]}))["contacts"][0]["updatedAt"].endswith("32.500Z")


def test_ui_edits_and_activity_have_their_own_timestamps(api: httpx.Client, imbox: ImboxEmulator) -> None:
    created = make_contact(api)
    imbox.clock.advance(60)
    imbox.store.update_contact(created["id"], {"title": "CFO"}, via_ui=True)
    imbox.clock.advance(60)
    imbox.store.record_activity(created["id"])
    imbox.store.set_picture(created["id"], "https://cdn.imbox.io/p/1.png")
    row = ok(api.get("/contacts"))["contacts"][0]
    assert row["title"] == "CFO" and row["picture"] == "https://cdn.imbox.io/p/1.png"
    assert (row["modifiedAt"], row["activityAt"], row["updatedAt"]) == (
        "2024-10-09T13:01:00.000Z",
        "2024-10-09T13:02:00.000Z",
        None,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"firstName": "x" * 51}, "firstName: max length 50"),
        ({"lastName": "x" * 51}, "lastName: max length 50"),
        ({"title": "x" * 51}, "title: max length 50"),
        ({"description": "x" * 501}, "description: max length 500"),
        ({"externalUrl": "x" * 251}, "externalUrl: max length 250"),
        ({"externalId": "x" * 51}, "externalId: max length 50"),
        ({"firstName": 5}, "firstName: must be a string"),
        ({"emails": "a@b.se"}, "emails: must be an array"),
        ({"emails": ["a@b.se"]}, "emails[0]: must be an object"),
        ({"emails": [{"isPrimary": True}]}, "emails[0].email: required"),
        ({"emails": [{"email": "nope"}]}, "emails[0].email: invalid e-mail address"),
        ({"emails": [{"email": "a@b.se", "isPrimary": "yes"}]}, "emails[0].isPrimary: must be a boolean"),
        (
            {"emails": [{"email": "a@b.se", "isPrimary": True}, {"email": "c@b.se", "isPrimary": True}]},
            "emails: at most one entry may have isPrimary true",
        ),
        ({"phones": [{"phone": "+46 76 200 45 45"}]}, "phones[0].phone: must be E.164, e.g. +46762004545"),
        (
            {"phones": [{"phone": "+46762004545"}, {"phone": "0762004545"}]},
            "phones[1].phone: must be E.164, e.g. +46762004545",
        ),
        (
            {"phones": [{"phone": "+46762004545", "isPrimary": True}, {"phone": "+46762004546", "isPrimary": True}]},
            "phones: at most one entry may have isPrimary true",
        ),
        ({"accountId": "1"}, "accountId: must be an integer"),
        ({"accountId": 7}, "accountId: no account with id 7"),
        ([], "body: must be a JSON object"),
    ],
)
def test_contact_validation(api: httpx.Client, imbox: ImboxEmulator, body: Any, message: str) -> None:
    assert error(api.post("/contacts", json=body)) == (400, {"error": message})
    assert imbox.store.contacts() == []
    contact = imbox.store.create_contact({"firstName": "Arne"})
    assert error(api.put(f"/contacts/{contact['id']}", json=body)) == (400, {"error": message})
    assert imbox.store.contact(contact["id"]) == contact


def test_limits_are_inclusive(api: httpx.Client) -> None:
    made = make_contact(api, firstName="x" * 50, description="d" * 500, externalUrl="u" * 250, externalId="e" * 50)
    assert len(made["firstName"]) == 50
    account = make_account(api, name="n" * 250)
    assert len(account["name"]) == 250


def test_body_encoding_errors(api: httpx.Client) -> None:
    broken = api.post("/contacts", content=b"{", headers={"Content-Type": "application/json"})
    assert error(broken) == (400, {"error": "Invalid JSON body"})
    plain = api.post("/contacts", content=b'{"firstName": "A"}', headers={"Content-Type": "text/plain"})
    assert error(plain) == (415, {"error": "Content-Type must be application/json"})
    charset = api.post(
        "/contacts", content=b'{"firstName": "A"}', headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok(charset)["firstName"] == "A"


def test_contact_delete_is_permanent_and_takes_the_notes(api: httpx.Client, imbox: ImboxEmulator) -> None:
    created = make_contact(api)
    other = make_contact(api, firstName="Bosse")
    ok(api.post("/contactNotes", json={"contactId": created["id"], "content": "Call back"}))
    kept = ok(api.post("/contactNotes", json={"contactId": other["id"], "content": "Offer"}))
    assert ok(api.delete(f"/contacts/{created['id']}")) == {}
    assert imbox.store.contact(created["id"]) is None
    assert [n["id"] for n in imbox.store.notes()] == [kept["id"]]
    for response in (
        api.delete(f"/contacts/{created['id']}"),
        api.put(f"/contacts/{created['id']}", json={"firstName": "X"}),
        api.put(f"/contacts/{created['id']}", content=b"{", headers={"Content-Type": "application/json"}),
        api.delete("/contacts/abc"),
    ):
        assert error(response) == (404, {"error": "Not found"})
    assert ok(api.get("/contacts", params={"id": created["id"]}))["contacts"] == []
    assert make_contact(api)["id"] == other["id"] + 1  # ids are never reused


def test_filters_are_exact_and_combine(api: httpx.Client) -> None:
    arne = make_contact(
        api,
        emails=[{"email": "arne@gmail.se", "isPrimary": True}, {"email": "Arne.Andersson@imbox.se"}],
        phones=[{"phone": "+46762004545"}],
    )
    bosse = make_contact(
        api, firstName="Bosse", emails=[{"email": "bosse@gmail.se"}], phones=[{"phone": "+46762004545"}]
    )

    def ids(**params: Any) -> list[int]:
        return [c["id"] for c in ok(api.get("/contacts", params=params))["contacts"]]

    assert ids(email="arne@gmail.se") == [arne["id"]]
    assert ids(email="ARNE.andersson@IMBOX.se") == [arne["id"]]  # any stored address, case-insensitive
    assert ids(email="arne@gmail") == []  # no substring match
    assert ids(phone="+46762004545") == [arne["id"], bosse["id"]]
    assert ids(phone="46762004545") == []
    assert ids(phone="+46762004545", email="bosse@gmail.se") == [bosse["id"]]
    assert ids(phone="+46762004545", id=arne["id"]) == [arne["id"]]
    assert ids(id=arne["id"], email="bosse@gmail.se") == []
    assert ids(id=12345) == []
    assert ids(email="") == [arne["id"], bosse["id"]]  # blank filters are ignored
    raw_plus = api.get("/contacts?phone=+46762004545")  # a literal "+" is a space in a query string
    assert ok(raw_plus)["contacts"] == []
    assert error(api.get("/contacts", params={"id": "x"})) == (400, {"error": "id: must be an integer"})


def test_contact_paging_follows_after_and_next(api: httpx.Client, imbox: ImboxEmulator) -> None:
    ids = imbox.seed_people(7)
    first = ok(api.get("/contacts", params={"limit": 3}))
    assert [c["id"] for c in first["contacts"]] == ids[:3]
    assert first["paging"] == {"cursor": {"after": ids[2]}}
    assert first["next"] == f"{imbox.base_url}/contacts?limit=3&after={ids[2]}"
    assert list(first["contacts"][0]) == CONTACT_KEYS
    seen, url = [], first["next"]
    while url:
        page = ok(httpx.get(url, timeout=5))
        seen += [c["id"] for c in page["contacts"]]
        assert page["paging"]["cursor"]["after"] == (page["contacts"][-1]["id"] if page["next"] else None)
        url = page["next"]
    assert seen == ids[3:]
    exact = ok(api.get("/contacts", params={"limit": 3, "after": ids[3]}))  # a full last page
    assert [c["id"] for c in exact["contacts"]] == ids[4:]
    assert (exact["paging"], exact["next"]) == ({"cursor": {"after": None}}, None)
    past = ok(api.get("/contacts", params={"after": 10_000}))
    assert past == {"contacts": [], "paging": {"cursor": {"after": None}}, "next": None}
    assert [c["id"] for c in ok(api.get("/contacts", params={"after": 0, "afterId": ids[5]}))["contacts"]] == ids


def test_next_keeps_filters_and_encodes_plus(api: httpx.Client) -> None:
    for name in ("A", "B", "C"):
        make_contact(api, firstName=name, phones=[{"phone": "+46700000001"}])
    page = ok(api.get("/contacts", params={"phone": "+46700000001", "limit": 2, "after": 0}))
    assert page["next"].endswith("/contacts?phone=%2B46700000001&limit=2&after=2")
    rest = ok(httpx.get(page["next"], timeout=5))
    assert [c["firstName"] for c in rest["contacts"]] == ["C"] and rest["next"] is None


def test_limit_default_max_and_errors(api: httpx.Client, imbox: ImboxEmulator) -> None:
    imbox.seed_people(120)
    assert len(ok(api.get("/contacts"))["contacts"]) == 50
    assert len(ok(api.get("/contacts", params={"limit": ""}))["contacts"]) == 50
    assert len(ok(api.get("/contacts", params={"limit": 500}))["contacts"]) == 100
    assert error(api.get("/contacts", params={"limit": 0})) == (400, {"error": "limit: must be at least 1"})
    assert error(api.get("/contacts", params={"limit": "ten"})) == (400, {"error": "limit: must be an integer"})
    assert error(api.get("/contacts", params={"after": "x"})) == (400, {"error": "after: must be an integer"})
    assert error(api.get("/accounts", params={"afterId": "x"})) == (400, {"error": "afterId: must be an integer"})


# -- notes -----------------------------------------------------------------------------------------------------


def test_notes_create_read_list_delete(api: httpx.Client, imbox: ImboxEmulator) -> None:
    arne, bosse = make_contact(api), make_contact(api, firstName="Bosse")
    made = [
        ok(api.post("/contactNotes", json={"contactId": contact["id"], "content": f"Note {i}"}))
        for i, contact in enumerate((arne, bosse, arne, arne))
    ]
    assert made[0] == {"id": 1}
    note = ok(api.get(f"/contactNotes/{made[0]['id']}"))
    assert note == {"id": 1, "contactId": arne["id"], "content": "Note 0", "createdAt": "2024-10-09T13:00:00.000Z"}
    page = ok(api.get("/contactNotes", params={"contactId": arne["id"], "limit": 2}))
    assert [n["id"] for n in page["notes"]] == [1, 3]
    assert page["paging"] == {
        "cursors": {"after": 3},
        "next": f"{imbox.base_url}/contactNotes?contactId={arne['id']}&limit=2&after=3",
    }
    last = ok(httpx.get(page["paging"]["next"], timeout=5))
    assert [n["id"] for n in last["notes"]] == [4]
    assert last["paging"] == {"cursors": {"after": None}, "next": None}
    assert [n["id"] for n in ok(api.get("/contactNotes"))["notes"]] == [1, 2, 3, 4]
    assert ok(api.get("/contactNotes", params={"contactId": 999}))["notes"] == []
    assert ok(api.delete("/contactNotes/3")) == {}
    for response in (api.get("/contactNotes/3"), api.delete("/contactNotes/3"), api.get("/contactNotes/x")):
        assert error(response) == (404, {"error": "Not found"})
    assert ok(api.get("/contactNotes", params={"after": 1}))["notes"][0]["id"] == 2
    assert imbox.store.contact(arne["id"]) == arne  # notes touch no contact timestamps


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"content": "x"}, "contactId: required"),
        ({"contactId": "1", "content": "x"}, "contactId: must be an integer"),
        ({"contactId": 1}, "content: required"),
        ({"contactId": 1, "content": 5}, "content: must be a string"),
        ({"contactId": 1, "content": "  "}, "content: must not be empty"),
        ({"contactId": 1, "content": "x" * 10_001}, "content: max length 10000"),
        ({"contactId": 2, "content": "x"}, "contactId: no contact with id 2"),
    ],
)
def test_note_validation(api: httpx.Client, imbox: ImboxEmulator, body: Json, message: str) -> None:
    make_contact(api)
    assert error(api.post("/contactNotes", json=body)) == (400, {"error": message})
    assert imbox.store.notes() == []


def test_note_content_is_kept_verbatim(api: httpx.Client) -> None:
    contact = make_contact(api)
    content = "Zeile 1\nÄnderung: Angebot über 5 000 € – bitte prüfen.  " + "x" * 9_900
    made = ok(api.post("/contactNotes", json={"contactId": contact["id"], "content": content}))
    assert ok(api.get(f"/contactNotes/{made['id']}"))["content"] == content


# -- accounts --------------------------------------------------------------------------------------------------


def test_account_crud(api: httpx.Client, imbox: ImboxEmulator) -> None:
    created = make_account(api, externalId="1234", externalUrl="https://crm/1234")
    assert created == {
        "id": 1, "userId": 200, "crmId": 1, "externalId": "1234", "externalUrl": "https://crm/1234",
        "name": "ImBox Sweden AB",
    }  # fmt: skip
    shown = ok(api.get("/accounts/1"))
    assert list(shown) == ACCOUNT_KEYS
    assert (shown["createdAt"], shown["updatedAt"]) == ("2024-10-09T13:00:00.000Z", None)
    imbox.clock.advance(2)
    assert ok(api.put("/accounts/1", json={"name": "ImBox England Ltd"})) == {}
    shown = ok(api.get("/accounts/1"))
    assert (shown["name"], shown["externalId"], shown["updatedAt"]) == (
        "ImBox England Ltd",
        "1234",
        "2024-10-09T13:00:02.000Z",
    )
    ok(api.put("/accounts/1", json={"externalId": None}))
    assert ok(api.get("/accounts/1"))["externalId"] is None
    for body, message in (
        ({}, "name: required"),
        ({"name": ""}, "name: required"),
        ({"name": "x" * 251}, "name: max length 250"),
        ({"name": "A", "externalId": "x" * 51}, "externalId: max length 50"),
        ({"name": "A", "externalUrl": "x" * 251}, "externalUrl: max length 250"),
    ):
        assert error(api.post("/accounts", json=body)) == (400, {"error": message})
    assert error(api.put("/accounts/1", json={"name": None})) == (400, {"error": "name: required"})
    for response in (api.get("/accounts/9"), api.put("/accounts/9", json={"name": "A"}), api.delete("/accounts/9")):
        assert error(response) == (404, {"error": "Not found"})


def test_account_delete_detaches_contacts_without_stamping_them(api: httpx.Client, imbox: ImboxEmulator) -> None:
    account = make_account(api)
    contact = make_contact(api, accountId=account["id"])
    imbox.clock.advance(5)
    assert ok(api.delete(f"/accounts/{account['id']}")) == {}
    assert api.get(f"/accounts/{account['id']}").status_code == 404
    after = ok(api.get("/contacts", params={"id": contact["id"]}))["contacts"][0]
    assert after["accountId"] is None and after["updatedAt"] is None
    assert error(api.put(f"/contacts/{contact['id']}", json={"accountId": account["id"]}))[0] == 400


def test_account_paging_uses_after_id(api: httpx.Client, imbox: ImboxEmulator) -> None:
    ids = imbox.seed_companies(5)
    page = ok(api.get("/accounts", params={"limit": 2}))
    assert [a["id"] for a in page["accounts"]] == ids[:2]
    assert page["paging"] == {
        "cursors": {"afterId": ids[1]},
        "next": f"{imbox.base_url}/accounts?limit=2&afterId={ids[1]}",
    }
    ignored = ok(api.get("/accounts", params={"limit": 2, "after": ids[1]}))  # `after` is not the account cursor
    assert [a["id"] for a in ignored["accounts"]] == ids[:2]
    seen, url = [a["id"] for a in page["accounts"]], page["paging"]["next"]
    while url:
        nxt = ok(httpx.get(url, timeout=5))
        seen += [a["id"] for a in nxt["accounts"]]
        url = nxt["paging"]["next"]
    assert seen == ids


# -- faults, logs ------------------------------------------------------------------------------------------------


def test_fault_switches(api: httpx.Client, imbox: ImboxEmulator) -> None:
    imbox.faults.rate_limit(1, retry_after=3, path=imbox.path_of("/contacts"))
    limited = api.get("/contacts")
    assert error(limited) == (429, {"error": "Too many requests"})
    assert limited.headers["Retry-After"] == "3"
    assert api.get("/contacts").status_code == 200

    imbox.faults.drop_connections(1)
    with pytest.raises(httpx.TransportError):
        api.get("/accounts")

    imbox.faults.lose_response(1, path=imbox.path_of("/contacts"))
    with pytest.raises(httpx.TransportError):
        api.post("/contacts", json={"firstName": "Lost"})
    assert [c["firstName"] for c in imbox.store.contacts()] == ["Lost"]  # executed, answer lost

    imbox.faults.set_error_rate(1.0, statuses=[500], methods=["POST"])
    assert error(api.post("/accounts", json={"name": "A"})) == (500, {"error": "Internal server error"})
    assert api.get("/accounts").status_code == 200
    imbox.faults.reset()
    assert imbox.store.accounts() == []
    faults = [r.fault for r in imbox.requests() if r.fault is not None]
    assert faults == [FaultKind.RATE_LIMIT, FaultKind.DROP, FaultKind.LOSE, FaultKind.ERROR]


def test_request_log_keeps_the_key_and_calls_leave_it_out(api: httpx.Client, imbox: ImboxEmulator) -> None:
    make_contact(api)
    api.get("/contacts", params={"limit": 2, "email": "a+b@x.se"})
    logged = imbox.requests()
    assert logged[0].path == f"/api/{DEFAULT_API_KEY}/{DEFAULT_USER_ID}/contacts"  # what the server saw
    assert logged[0].json() == {"firstName": "Arne", "lastName": "Andersson"}
    assert imbox.resource(logged[1]) == "/contacts"
    assert imbox.calls() == [
        ("POST", "/contacts", 200),
        ("GET", "/contacts?limit=2&email=a%2Bb%40x.se", 200),
    ]
    assert all(DEFAULT_API_KEY not in call[1] for call in imbox.calls())


# -- seeding, threads, command line ------------------------------------------------------------------------------


def test_seeded_data_is_realistic_and_deterministic() -> None:
    def snapshot(seed: int) -> tuple[list[Json], list[Json], list[Json]]:
        server = ImboxEmulator(clock=Clock(START, frozen=True), seed=seed)
        try:
            server.seed_people(40, companies=5, notes=30)
            return server.store.contacts(channels=True), server.store.accounts(), server.store.notes()
        finally:
            server.server_close()

    contacts, accounts, notes = snapshot(11)
    assert snapshot(11) == (contacts, accounts, notes)
    assert snapshot(12)[0] != contacts
    assert [c["id"] for c in contacts] == list(range(1, 41)) and len(accounts) == 5 and len(notes) == 30
    assert all(c["firstName"] and c["lastName"] and c["createdAt"] < "2024-10-09T13" for c in contacts)
    assert 15 <= sum(c["accountId"] is not None for c in contacts) <= 38
    assert all(re.fullmatch(r"\+[1-9]\d{6,14}", p["phone"]) for c in contacts for p in c["phones"])
    assert all(sum(e["isPrimary"] for e in c["emails"]) == 1 for c in contacts if c["emails"])
    assert [c["createdAt"] for c in contacts] == sorted(c["createdAt"] for c in contacts)
    assert [n["createdAt"] for n in notes] == sorted(n["createdAt"] for n in notes)
    assert all(len(c[k] or "") <= 50 for c in contacts for k in ("firstName", "lastName", "title"))


def test_concurrent_writes_get_unique_ids(imbox: ImboxEmulator) -> None:
    made: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        with httpx.Client(base_url=imbox.base_url, timeout=5) as client:
            for i in range(10):
                contact_id = ok(client.post("/contacts", json={"firstName": f"T{i}"}))["id"]
                ok(client.post("/contactNotes", json={"contactId": contact_id, "content": "x"}))
                with lock:
                    made.append(contact_id)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == list(range(1, 61))
    assert len(imbox.store.notes()) == 60


def test_command_line_build() -> None:
    parser = argparse.ArgumentParser()
    for name, kind, value in (("--port", int, 0), ("--host", str, "127.0.0.1"), ("--seed-people", int, 0)):
        parser.add_argument(name, type=kind, default=value)
    parser.add_argument("--seed", type=int, default=0)
    imbox_module.add_arguments(parser)
    args = parser.parse_args(["--seed-people", "20", "--api-key", "k-1", "--user-id", "77"])
    server, lines = imbox_module.build(args)
    try:
        assert isinstance(server, ImboxEmulator)
        assert (server.api_key, server.user_id) == ("k-1", 77)
        assert (len(server.store.contacts()), len(server.store.accounts()), len(server.store.notes())) == (20, 2, 10)
        assert "export CRMDESK_SECRET=k-1" in lines
        assert (
            f'crmdesk account add "imbox demo" --kind imbox --url {server.api_url} '
            "--option user_id=77 --secret-env CRMDESK_SECRET"
        ) in lines
    finally:
        server.server_close()
    default = imbox_module.build(parser.parse_args([]))[0]
    try:
        assert isinstance(default, ImboxEmulator) and default.api_key == DEFAULT_API_KEY
    finally:
        default.server_close()
