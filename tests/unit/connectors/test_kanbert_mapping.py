"""Tests for the Kanbert connector's mapping: sync fields ⇄ local records, with no server involved."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmdesk.connectors.kanbert import (
    apply_company,
    apply_person,
    company_body,
    contact_body,
    contact_fields,
    project_company,
    project_person,
)
from crmdesk.domain import validate
from crmdesk.domain.merge import clean
from crmdesk.domain.records import BusinessCardRecord, Email, EmailType, PersonRecord, Phone, PhoneType

NAMES = st.sampled_from(["Ines", "Jürgen", "O'Brien", "Zoë", "Li", "Brandt-Meyer"])
PHONES = st.sampled_from(["+4975311234", "+491701234567", "+4930123456", "+14155550100"])
EMAILS = st.sampled_from(["ines@brandt.de", "j.k@example.com", "info@firma.de", "a.b@c.org"])
COMPANIES = st.sampled_from(["co-1", "co-2", "co-3"])

person_fields = st.fixed_dictionaries(
    {"first_name": NAMES, "last_name": NAMES},
    optional={
        "title": st.sampled_from(["Dr.", "Prof."]),
        "gender": st.sampled_from(["f", "m", "x"]),
        "birthday": st.dates().map(lambda d: d.isoformat()),
        "position": st.sampled_from(["CEO", "Einkauf"]),
        "email": EMAILS,
        "email_private": EMAILS,
        "telephone": PHONES,
        "telephone_private": PHONES,
        "mobile": PHONES,
        "mobile_private": PHONES,
        "fax": PHONES,
        "address_street": st.sampled_from(["Seestraße 4", "Am Markt"]),
        "address_town": st.sampled_from(["Konstanz", "Berlin"]),
        "address_country": st.sampled_from(["DE", "AT"]),
    },
)


@settings(max_examples=300)
@given(fields=person_fields, links=st.dictionaries(COMPANIES, st.sampled_from(["CEO", "Einkauf", True]), max_size=2))
def test_a_new_person_holds_exactly_the_fields_it_was_built_from(fields: dict[str, Any], links: dict[str, Any]) -> None:
    fields = {**fields, **{f"@company:{k}": v for k, v in links.items()}}
    person = validate.check_person(apply_person(None, fields))  # type: ignore[arg-type]
    projected = project_person(person)
    # The favourite card's position is the contact's position and its link's: one field seen twice.
    fav = person.favourite_card
    expected = dict(clean(fields))
    if fav is not None and fav.company_id:
        expected["position"] = projected.get("position")
        expected[f"@company:{fav.company_id}"] = projected[f"@company:{fav.company_id}"]
    assert projected == clean(expected)


@settings(max_examples=200)
@given(first=person_fields, second=person_fields)
def test_applying_fields_to_a_person_keeps_what_kanbert_cannot_hold(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    person = validate.check_person(apply_person(None, first)).replace(tags=("vip",), notes="met at the fair")
    extra_card = BusinessCardRecord(emails=(Email("second@example.com", EmailType.OTHER),), department="R&D")
    person = person.replace(cards=(*person.cards, extra_card))
    after = validate.check_person(apply_person(person, second))
    assert after.tags == ("vip",) and after.notes == "met at the fair"
    assert any(c.department == "R&D" for c in after.cards)
    # What the engine stores and sends is the projection of the normalised result; applying that again is a
    # fixpoint (a cleared slot may take the next e-mail of its kind: that one is then sent, and stays).
    sent = project_person(after)
    assert project_person(validate.check_person(apply_person(after, sent))) == sent


def test_contact_json_maps_onto_fields_and_back_into_a_patch() -> None:
    data = {
        "id": "c_1",
        "first_name": " Ilse ",
        "last_name": "Brandt",
        "birthday": "1971-03-14",
        "address_street": "Seestraße",
        "address_house": "4",
        "address_zip": "78462",
        "address_town": "Konstanz",
        "address_country": {"id": "ctry_de", "name": "Deutschland", "code": "DE"},
        "companies": [{"id": "co_1", "contact_company": {"position": "Einkauf"}}],
        "email": None,
    }
    fields = contact_fields(data)
    assert fields == {
        "first_name": "Ilse",
        "last_name": "Brandt",
        "birthday": "1971-03-14",
        "address_street": "Seestraße 4",
        "address_zip": "78462",
        "address_town": "Konstanz",
        "address_country": "DE",
        "@company:co_1": "Einkauf",
    }
    assert contact_body({**fields, "title": "Dr."}, fields) == {"title": "Dr."}
    patch = contact_body({**fields, "address_street": "Marktstätte 12a"}, fields)
    assert (patch["address_street"], patch["address_house"]) == ("Marktstätte", "12a")
    assert contact_body({**fields, "birthday": "1971-03-15"}, fields) == {"birthday": "1971-03-15T00:00:00Z"}


def test_a_detached_company_keeps_the_cards_contact_data() -> None:
    person = PersonRecord(
        first_name="Ines",
        last_name="Brandt",
        cards=(BusinessCardRecord(company_id="co-1", position="CEO", phones=(Phone("+4975311234", PhoneType.WORK),)),),
    )
    after = apply_person(person, {"first_name": "Ines", "last_name": "Brandt", "telephone": "+4975311234"})
    (card,) = after.cards
    assert card.company_id is None and card.phones[0].number == "+4975311234"


def test_company_fields_round_trip() -> None:
    fields = {
        "company_name": "Brandt Maschinenbau GmbH",
        "email": "info@brandt-mb.de",
        "email_general": "a@b.de",
        "phone": "+4975311000",
        "fax": "+4975311001",
        "homepage": "https://www.brandt-mb.de",
        "address_street": "Seestraße 4",
        "address_town": "Konstanz",
        "address_country": "DE",
    }
    company = validate.check_company(apply_company(None, fields))
    assert project_company(company) == fields
    cleared = apply_company(company, {**fields, "email_general": None, "fax": None})
    assert project_company(cleared) == {k: v for k, v in fields.items() if k not in ("email_general", "fax")}
    assert company_body({**fields, "phone": "+4975311999"}, fields) == {"phone": "+4975311999"}
