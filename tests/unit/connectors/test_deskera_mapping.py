"""Tests for the Deskera connector's mapping: sync fields ⇄ local records and Deskera JSON, no server involved."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdesk.connectors.deskera import (
    activity_body,
    activity_fields,
    apply_company,
    apply_person,
    apply_touchpoint,
    contact_body,
    contact_fields,
    decode_notes,
    encode_notes,
    join_phone,
    parse_address,
    project_company,
    project_person,
    project_touchpoint,
    split_name,
    split_phone,
)
from crmdesk.domain import validate
from crmdesk.domain.merge import Value, clean
from crmdesk.domain.records import (
    Address,
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

LABELS = {"cold lead": "Cold lead", "warm lead": "Warm lead", "hot lead": "Hot lead"}
LABEL_IDS = {"cold lead": 2, "warm lead": 3, "hot lead": 4}


# ---- names -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Ilse Brandt", "Ilse", "Brandt"),
        ("  Ilse   Brandt ", "Ilse", "Brandt"),
        ("Anna Maria Schmidt", "Anna Maria", "Schmidt"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Vincent van der Berg", "Vincent", "van der Berg"),
        ("Johann Wolfgang von Goethe", "Johann Wolfgang", "von Goethe"),
        ("Brandt, Ilse", "Ilse", "Brandt"),
        ("Madonna", "", "Madonna"),
        ("", "", ""),
    ],
)
def test_the_single_name_is_split_into_first_and_last(name: str, first: str, last: str) -> None:
    assert split_name(name) == (first, last)


def test_a_name_is_joined_and_kept_as_the_local_split_while_deskera_holds_the_same_name() -> None:
    person = PersonRecord(first_name="Anna", middle_name="Lena", last_name="Maria Schmidt")
    fields = project_person(person, LABELS)
    assert (fields["first_name"], fields["last_name"]) == ("Anna Lena Maria", "Schmidt")
    assert contact_body(Entity.PERSON, fields, {}, LABEL_IDS)["name"] == "Anna Lena Maria Schmidt"
    # The same name read back from Deskera changes nothing here.
    pulled = contact_fields({"type": "person", "name": "Anna Lena Maria Schmidt"})
    same = apply_person(person, pulled, LABELS)
    assert (same.first_name, same.middle_name, same.last_name) == ("Anna", "Lena", "Maria Schmidt")
    # A new name there is split by the rule.
    renamed = apply_person(person, contact_fields({"type": "person", "name": "Anna Meyer"}), LABELS)
    assert (renamed.first_name, renamed.middle_name, renamed.last_name) == ("Anna", "", "Meyer")


def test_only_a_changed_name_is_sent() -> None:
    old = {"first_name": "Ilse", "last_name": "Brandt", "email": "a@b.de"}
    assert contact_body(Entity.PERSON, {**old, "email": "c@d.de"}, old, LABEL_IDS) == {"email": "c@d.de"}
    body = contact_body(Entity.PERSON, {**old, "last_name": "Brandt-Meyer"}, old, LABEL_IDS)
    assert body == {"name": "Ilse Brandt-Meyer"}


# ---- phones ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "country_code", "national"),
    [
        ("+4975311234", "+49", "75311234"),
        ("+14155550100", "+1", "4155550100"),
        ("+390612345678", "+39", "0612345678"),  # Italy keeps its leading zero
        ("+4975311234;ext=5", "+49", "75311234 ext. 5"),
    ],
)
def test_e164_is_split_into_country_code_and_phone_and_joined_back(e164: str, country_code: str, national: str) -> None:
    assert split_phone(e164) == (country_code, national)
    assert join_phone(country_code, national) == e164


def test_deskera_phones_in_other_shapes_are_joined() -> None:
    assert join_phone("+49", "7531 12345") == "+49753112345"
    assert join_phone("49", "7531 12345") == "+49753112345"
    assert join_phone("+49", "+41 44 668 18 00") == "+41 44 668 18 00"  # international already
    assert join_phone(None, "07531 12345") == "07531 12345"  # left to the local normalisation
    assert join_phone("+49", "") is None and join_phone("+49", None) is None
    assert split_phone("not a number") == (None, "not a number")


# ---- labels ⇄ tags --------------------------------------------------------------------------------------------------


def test_the_label_is_the_tag_that_names_a_deskera_label() -> None:
    person = PersonRecord(last_name="Brandt", tags=("Messe", "VIP", "warm lead"))
    assert project_person(person, LABELS)["label"] == "Warm lead"
    assert "label" not in project_person(person.replace(tags=("Messe", "VIP")), LABELS)


def test_a_pulled_label_replaces_the_label_tag_and_keeps_the_other_tags() -> None:
    person = PersonRecord(last_name="Brandt", tags=("Messe", "Warm lead"))
    hot = apply_person(person, {"last_name": "Brandt", "label": "Hot lead"}, LABELS)
    assert hot.tags == ("Hot lead", "Messe")
    none = apply_person(person, {"last_name": "Brandt"}, LABELS)
    assert none.tags == ("Messe",)
    same = apply_person(person, {"last_name": "Brandt", "label": "Warm lead"}, LABELS)
    assert same.tags == person.tags


def test_label_1_is_no_label_and_labels_travel_by_id() -> None:
    assert "label" not in contact_fields({"type": "person", "name": "X", "label": {"id": 1, "name": "No label"}})
    assert (
        contact_fields({"type": "person", "name": "X", "label": {"id": 3, "name": "Warm lead"}})["label"] == "Warm lead"
    )
    old = {"last_name": "X", "label": "Warm lead"}
    assert contact_body(Entity.PERSON, {"last_name": "X", "label": "Hot lead"}, old, LABEL_IDS) == {"label_id": 4}
    assert contact_body(Entity.PERSON, {"last_name": "X"}, old, LABEL_IDS) == {"label_id": 1}


# ---- activities ------------------------------------------------------------------------------------------------------


def test_notes_are_base64_of_html_in_requests_and_text_in_responses() -> None:
    text = "Zeile 1\nZeile <2> & 3"
    encoded = encode_notes(text)
    html = base64.b64decode(encoded).decode()
    assert html == "Zeile 1<br>Zeile &lt;2&gt; &amp; 3"
    assert decode_notes(html) == text
    assert decode_notes("Test Note<br>") == "Test Note"
    assert decode_notes("<p>Eins</p><p>Zwei</p>") == "Eins\nZwei"
    assert encode_notes("") == "" and decode_notes("") is None


def test_an_activity_reads_in_utc_minutes_and_coarse_types() -> None:
    data = {
        "id": 7,
        "name": "Angebot",
        "activity_type": "deadline",
        "notes": "Will eine zweite Variante.",
        "start": "2024-10-10T11:15:00.000000+02:00",
        "contact_ids": [4711],
        "organization_ids": [4700, 4701],
    }
    assert activity_fields(data) == {
        "title": "Angebot",
        "note": "Will eine zweite Variante.",
        "type": "task",
        "when": "2024-10-10T09:15",
        "company": "@company:4700",
        "@person:4711": True,
    }
    assert activity_fields({**data, "activity_type": "lunch"})["type"] == "meeting"


def test_a_new_activity_body_and_an_update_that_keeps_the_rest() -> None:
    fields: dict[str, Value] = {"note": "Hallo", "type": "call", "when": "2024-10-10T09:15", "@person:4711": True}
    body = activity_body(fields, {})
    assert body["name"] == "Hallo"  # a name is required: the text's first line stands in for a subject
    assert (body["start"], body["end"], body["activity_type"]) == ("2024-10-10T09:15:00Z",) * 2 + ("call",)
    assert body["contact_ids"] == [4711] and body["organization_ids"] == []
    assert base64.b64decode(body["notes"]).decode() == "Hallo"
    current = {
        "name": "Hallo",
        "activity_type": "deadline",
        "notes": "<b>Hallo</b>",
        "start": "2024-10-10T11:15:00.000000+02:00",
        "end": "2024-10-10T11:45:00.000000+02:00",
        "user_timezone": "Europe/Berlin",
        "contact_ids": [4711],
        "organization_ids": [4700, 4701],
        "assignee_ids": [17826],
        "is_status": True,
    }
    old: dict[str, Value] = {**fields, "type": "task", "company": "@company:4700"}
    new: dict[str, Value] = {**old, "when": "2024-10-11T08:00", "company": "@company:4800"}
    body = activity_body(new, old, current)
    assert (body["start"], body["end"]) == ("2024-10-11T08:00:00Z", "2024-10-11T08:30:00Z")
    assert body["activity_type"] == "deadline" and body["is_status"] is True
    assert base64.b64decode(body["notes"]).decode() == "<b>Hallo</b>"  # untouched HTML goes back as it was
    assert body["organization_ids"] == [4800, 4701] and body["assignee_ids"] == [17826]
    assert body["user_timezone"] == "Europe/Berlin"


def test_touchpoint_types_round_trip_and_a_local_note_stays_a_note() -> None:
    when = dt.datetime(2024, 10, 10, 9, 15, tzinfo=dt.UTC)
    for kind in TouchpointType:
        rec = TouchpointRecord(type=kind, occurred_at=when, subject="S", person_ids=("p1",), company_id="c1")
        fields = project_touchpoint(rec)
        back = apply_touchpoint(rec, fields)
        assert back == rec
        assert project_touchpoint(apply_touchpoint(None, fields)) == fields


# ---- addresses -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "address"),
    [
        ("Seestraße 4, 78462 Konstanz, DE", Address("Seestraße 4", "78462", "Konstanz", "", "DE")),
        ("1 Main St, SW1A 1AA London, GB", Address("1 Main St", "SW1A", "1AA London", "", "GB")),
        ("Seestraße 4, 78462 Konstanz, BW, DE", Address("Seestraße 4", "78462", "Konstanz", "BW", "DE")),
        ("Am Markt, Konstanz", Address("Am Markt", "", "Konstanz")),
        ("Irgendwo 5", Address("Irgendwo 5")),
        ("a,b", Address("a,b")),
    ],
)
def test_the_one_line_address_is_read_back_into_parts(line: str, address: Address) -> None:
    assert parse_address(line) == address
    assert parse_address(line).one_line() == " ".join(line.split()) or address.street == line


def test_an_address_deskera_did_not_change_keeps_its_local_parts() -> None:
    odd = Address(street="Seestraße 4", city="Konstanz", postcode="78462", region="", country="DE")
    company = CompanyRecord(name="Brandt", addresses=(odd,))
    fields = project_company(company, LABELS)
    assert fields["address"] == "Seestraße 4, 78462 Konstanz, DE"
    assert apply_company(company, fields, LABELS) == company


# ---- round trips -----------------------------------------------------------------------------------------------------

NAMES = st.sampled_from(["Ines", "Jürgen", "O'Brien", "Zoë", "Anna Maria", "Brandt-Meyer", "van Dijk"])
PHONES = st.sampled_from(["+4975311234", "+491701234567", "+14155550100", "+390612345678"])
EMAILS = st.sampled_from(["ines@brandt.de", "j.k@example.com", "info@firma.de"])
LINES = st.sampled_from(["Seestraße 4, 78462 Konstanz, DE", "Am Markt 1", "10 Downing St, SW1A 2AA London, GB"])


@settings(max_examples=200)
@given(
    first=NAMES,
    last=NAMES,
    email=st.none() | EMAILS,
    phone=st.none() | PHONES,
    line=st.none() | LINES,
    label=st.none() | st.sampled_from(["Cold lead", "Hot lead"]),
    company=st.none() | st.sampled_from(["co-1", "co-2"]),
)
def test_a_person_built_from_sync_fields_projects_to_them(
    first: str,
    last: str,
    email: str | None,
    phone: str | None,
    line: str | None,
    label: str | None,
    company: str | None,
) -> None:
    first_name, last_name = split_name(f"{first} {last}")
    fields: dict[str, Any] = clean(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "address": line,
            "label": label,
        }
    )
    if company:
        fields[f"@company:{company}"] = True
    person = validate.check_person(apply_person(None, fields, LABELS))
    assert project_person(person, LABELS) == fields
    # Deskera's JSON of the same contact reads as the same fields.
    body = contact_body(Entity.PERSON, fields, {}, LABEL_IDS)
    label_json = {"id": body.get("label_id", 1), "name": label or "No label"}
    data = {**body, "label": label_json, "organization_id": int(company[3:]) if company else None}
    expected = {k: v for k, v in fields.items() if not k.startswith("@company:")}
    if company:
        expected[f"@company:{company[3:]}"] = True
    assert contact_fields(data) == expected


def test_a_pull_keeps_what_deskera_cannot_hold() -> None:
    person = PersonRecord(
        title="Dr.",
        first_name="Ilse",
        last_name="Brandt",
        tags=("VIP",),
        cards=(
            BusinessCardRecord(
                company_id="co-1",
                favourite=True,
                position="Einkauf",
                emails=(Email("i@brandt.de"), Email("ilse@privat.de")),
                phones=(Phone("+4975311234"), Phone("+491701234567", PhoneType.MOBILE)),
            ),
            BusinessCardRecord(company_id="co-2", position="Beirat"),
        ),
    )
    fields = project_person(person, LABELS)
    assert fields == {
        "first_name": "Ilse",
        "last_name": "Brandt",
        "email": "i@brandt.de",
        "phone": "+4975311234",
        "@company:co-1": True,
    }
    assert apply_person(person, fields, LABELS) == person
    moved = apply_person(
        person, {**fields, "phone": "+4930123456", "@company:co-1": None, "@company:co-3": True}, LABELS
    )
    card, second = moved.cards
    assert (card.company_id, card.position, [p.number for p in card.phones]) == (
        "co-3",
        "Einkauf",
        ["+4930123456", "+491701234567"],
    )
    assert second.company_id == "co-2" and moved.title == "Dr." and moved.tags == ("VIP",)
    assert [e.address for e in card.emails] == ["i@brandt.de", "ilse@privat.de"]
    # Deskera removed the link: the card keeps its data, the other company stays.
    unlinked = apply_person(person, {k: v for k, v in fields.items() if not k.startswith("@")}, LABELS)
    assert [c.company_id for c in unlinked.cards] == [None, "co-2"]
    assert unlinked.cards[0].position == "Einkauf"


def test_a_company_round_trips_and_keeps_its_other_data() -> None:
    company = CompanyRecord(
        name="Brandt GmbH",
        website="https://brandt.de",
        notes="Kunde seit 2019",
        tags=("Hot lead", "Kunde"),
        emails=(Email("info@brandt.de"), Email("buchhaltung@brandt.de")),
        phones=(Phone("+4975311230"), Phone("+4975311239", PhoneType.FAX)),
    )
    fields = project_company(company, LABELS)
    assert fields == {
        "name": "Brandt GmbH",
        "email": "info@brandt.de",
        "phone": "+4975311230",
        "label": "Hot lead",
        "note": "Kunde seit 2019",
    }
    assert apply_company(company, fields, LABELS) == company
    assert project_company(apply_company(None, fields, LABELS), LABELS) == fields
    body = contact_body(Entity.COMPANY, fields, {}, LABEL_IDS)
    assert body == {
        "type": "organization",
        "name": "Brandt GmbH",
        "email": "info@brandt.de",
        "note": "Kunde seit 2019",
        "country_code": "+49",
        "phone": "75311230",
        "label_id": 4,
    }
    assert contact_fields({**body, "label": {"id": 4, "name": "Hot lead"}}) == fields
