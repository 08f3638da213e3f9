"""Tests for the cobra connector's mapping: sync fields ⇄ local records and cobra JSON, with no server involved."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmdesk.connectors.cobra import (
    apply_company,
    apply_person,
    apply_touchpoint,
    card_body,
    company_fields,
    person_body,
    person_fields,
    project_company,
    project_person,
    project_touchpoint,
    touchpoint_body,
    touchpoint_fields,
)
from crmdesk.domain import validate
from crmdesk.domain.merge import clean
from crmdesk.domain.records import (
    Address,
    AddressType,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
    TouchpointType,
)

NAMES = st.sampled_from(["Ines", "Jürgen", "O'Brien", "Zoë", "Brandt-Meyer"])
EMAILS = st.sampled_from(["ines@brandt.de", "j.k@example.com", "info@firma.de"])
PHONES = st.sampled_from(["+4975311234", "+491701234567", "+4930123456"])


@st.composite
def card(draw: st.DrawFn, i: int) -> dict[str, Any]:
    k = f"card{i}"
    private = draw(st.booleans())
    out: dict[str, Any] = {k: "private" if private else "business"}
    if draw(st.booleans()):
        out[f"{k}.position"] = draw(st.sampled_from(["CEO", "Einkauf"]))
    emails = draw(st.lists(EMAILS, max_size=2, unique=True))
    if emails:
        fav = draw(st.integers(-1, len(emails) - 1))
        types = draw(st.lists(st.sampled_from(["work", "home", "other"]), min_size=len(emails), max_size=len(emails)))
        out[f"{k}.emails"] = tuple(
            ("*" if j == fav else "") + f"{t}:{e}" for j, (t, e) in enumerate(zip(types, emails, strict=True))
        )
    phones = draw(st.lists(PHONES, max_size=2, unique=True))
    if phones:
        out[f"{k}.phones"] = tuple(f"{'*' if j == 0 else ''}mobile:{p}" for j, p in enumerate(phones))
    if draw(st.booleans()):
        out[f"{k}.address1.city"] = draw(st.sampled_from(["Konstanz", "Berlin"]))
        out[f"{k}.address1.favourite"] = True
    if not private and draw(st.booleans()):
        out[f"@company:co-{i}"] = str(i)
    elif draw(st.booleans()):
        out[f"{k}.company_name"] = "Freie Firma"
    return out


@st.composite
def person(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"first_name": draw(NAMES), "last_name": draw(NAMES)}
    if draw(st.booleans()):
        out["birthday"] = draw(st.sampled_from(["1971-03-14", "--02-29", "1990-12-01"]))
    if draw(st.booleans()):
        out["tags"] = ("Messe 2024", "VIP")
    for i in range(1, draw(st.integers(0, 3)) + 1):
        out.update(draw(card(i)))
    return out


@settings(max_examples=300)
@given(fields=person())
def test_a_person_holds_exactly_the_fields_it_was_built_from(fields: dict[str, Any]) -> None:
    built = validate.check_person(apply_person(None, fields))
    assert clean(project_person(built)) == clean(fields)


@settings(max_examples=200)
@given(fields=person(), again=person())
def test_applying_on_an_existing_person_round_trips_and_keeps_what_cobra_lacks(
    fields: dict[str, Any], again: dict[str, Any]
) -> None:
    first = validate.check_person(apply_person(None, fields)).replace(middle_name="Maria", gender="female")
    second = validate.check_person(apply_person(first, again))
    assert clean(project_person(second)) == clean(again)
    assert (second.middle_name, second.gender, second.id) == ("Maria", "female", first.id)


def test_the_favourite_card_is_card_one_and_a_new_favourite_moves_no_content() -> None:
    a = BusinessCardRecord(
        position="A", emails=(Email("a@x.de"),), addresses=(Address(city="K", type=AddressType.POSTAL),)
    )
    b = BusinessCardRecord(position="B", favourite=True)
    p = validate.check_person(PersonRecord(first_name="I", cards=(a, b)))
    f = project_person(p)
    assert (f["card1.position"], f["card2.position"]) == ("B", "A")
    # cobra reports A as the favourite now: A becomes card 1; each local card keeps its own content and id.
    swapped = {k.replace("card1", "cardX").replace("card2", "card1").replace("cardX", "card2"): v for k, v in f.items()}
    after = validate.check_person(apply_person(p, swapped))
    fav = after.favourite_card
    assert fav is not None and fav.id == a.id and fav.addresses[0].type is AddressType.POSTAL
    assert clean(project_person(after)) == clean(swapped)


def test_a_private_card_keeps_a_company_cobra_cannot_hold() -> None:
    c = BusinessCardRecord(private=True, company_id="co-1", company_name="Brandt", favourite=True)
    p = PersonRecord(first_name="I", cards=(c,))
    f = project_person(p)
    assert "@company:co-1" not in f and f["card1.company_name"] == "Brandt"
    assert apply_person(p, f).cards[0].company_id == "co-1"


def test_a_new_company_link_from_a_create_is_a_new_card() -> None:
    p = apply_person(None, {"first_name": "I", "@company:co-9": True})
    assert [(c.company_id, c.favourite) for c in p.cards] == [("co-9", True)]
    assert project_person(p)["@company:co-9"] == "1"


def test_person_json_reads_cards_favourite_first_and_birthdays_without_a_year() -> None:
    data = {
        "id": "p1",
        "firstname": "Ilse",
        "lastname": "Brandt",
        "birthday": {"birthday": "1584-03-14", "considerBirthYear": False},
        "orgaTags": [{"id": "t1", "text": "VIP"}],
        "note": "Calls before 10",
        "businessCards": [
            {"id": "c1", "isFavorite": False, "isPrivate": True, "emails": [{"email": "i@home.de", "type": "home"}]},
            {
                "id": "c2",
                "isFavorite": True,
                "isPrivate": False,
                "companyId": "co1",
                "companyName": "Brandt GmbH",
                "phones": [{"id": "ph", "number": "+49 7531 1", "type": "work", "isFavorite": True}],
                "addresses": [
                    {"id": "a", "street": "Seestraße 4", "city": "Konstanz", "country": "DE", "isFavorite": True}
                ],
            },
        ],
    }
    f = person_fields(data)
    assert f["birthday"] == "--03-14" and f["tags"] == ("VIP",) and f["note"] == "Calls before 10"
    assert f["card1"] == "business" and f["@company:co1"] == "1" and "card1.company_name" not in f
    assert f["card1.phones"] == ("*work:+49 7531 1",) and f["card1.address1.favourite"] is True
    assert f["card2"] == "private" and f["card2.emails"] == ("home:i@home.de",)
    body = person_body(
        f, {"customerNumber": "K-1", "lifecycle": {"id": "l1", "text": "Kunde"}, "orgaTags": data["orgaTags"]}
    )
    assert body["birthday"] == {"birthday": "1584-03-14", "considerBirthYear": False}
    assert (body["customerNumber"], body["lifecycle"]["id"]) == ("K-1", "l1")  # what crmdesk does not sync goes back
    assert body["orgaTags"] == [{"id": "t1", "text": "VIP"}]
    sent = card_body(f, 1, data["businessCards"][1], favourite=True, connected=True)  # type: ignore[arg-type]
    assert (
        sent["phones"][0]["id"] == "ph" and sent["addresses"][0]["id"] == "a" and sent["companyName"] == "Brandt GmbH"
    )


def test_company_lists_always_have_a_favourite_and_round_trip() -> None:
    c = CompanyRecord(
        name="Brandt",
        emails=(Email("info@b.de", EmailType.OTHER), Email("rechnung@b.de")),
        phones=(Phone("+4975311230"), Phone("+4975311239", PhoneType.FAX, True)),
        addresses=(Address("Seestraße 4", "78462", "Konstanz", country="DE", type=AddressType.POSTAL),),
        tags=("A-Kunde",),
    )
    f = project_company(c)
    assert f["emails"] == ("*info@b.de", "rechnung@b.de")  # no favourite here reads as the first
    assert f["phones"] == ("work:+4975311230", "*fax:+4975311239")
    back = apply_company(c, f)
    assert clean(project_company(back)) == clean(f)
    assert back.emails[0].type is EmailType.OTHER and back.addresses[0].type is AddressType.POSTAL
    data = {
        "id": "co",
        "name": "Brandt",
        "emails": [{"email": "info@b.de", "isFavorite": False}, {"email": "rechnung@b.de", "isFavorite": True}],
        "phones": [],
        "addresses": [
            {"street": "Seestraße 4", "zip": "78462", "city": "Konstanz", "country": "DE", "isFavorite": True}
        ],
    }
    assert company_fields(data)["emails"] == ("info@b.de", "*rechnung@b.de")


def test_touchpoints_round_trip_with_people_company_and_turnover() -> None:
    t = TouchpointRecord(
        type=TouchpointType.TURNOVER,
        occurred_at=dt.datetime(2024, 10, 10, 9, 15, 30, 123456, tzinfo=dt.UTC),
        subject="Auftrag",
        person_ids=("p1", "p2"),
        company_id="co",
        amount="1234.50",
        currency="eur",
    )
    f = project_touchpoint(validate.check_touchpoint(t))
    assert f["date"] == "2024-10-10T09:15:30Z" and f["amount"] == "1234.5" and f["currency"] == "EUR"
    assert f["@person:p1"] is True and f["company"] == "@company:co"
    back = apply_touchpoint(t, f)
    assert back.occurred_at == t.occurred_at and back.amount == "1234.50"  # same second and amount: kept as is
    assert clean(project_touchpoint(apply_touchpoint(None, f))) == clean(f)
    body = touchpoint_body(f, {"channel": "phone", "companies": [{"id": "old"}, {"id": "second"}]})
    assert body["turnover"] == {"amount": 1234.5, "currency": "EUR"} and body["channel"] == "phone"
    assert body["companies"] == [{"id": "co"}, {"id": "second"}]
    read = touchpoint_fields({**body, "id": "t", "date": "2024-10-10T09:15:30.0000000+00:00", "people": body["people"]})
    assert {k: v for k, v in read.items()} == {**clean(f), "company": "@company:co"}


def test_a_note_touchpoint_keeps_an_amount_cobra_cannot_hold() -> None:
    t = TouchpointRecord(type=TouchpointType.NOTE, subject="x", amount="5", currency="EUR", person_ids=("p",))
    f = project_touchpoint(t)
    assert "amount" not in f
    assert apply_touchpoint(t, f).amount == "5"
    assert replace(apply_touchpoint(t, {**f, "subject": "y"}), subject="x") == t
