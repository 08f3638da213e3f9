"""A person ⇄ CardDAV sync fields ⇄ vCard text: nothing crmdesk holds is lost on the way, and unknown vCard
properties come back byte-faithful."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crmdesk.connectors import carddav
from crmdesk.domain import validate
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.exchange.carddav_codec import ExchangeCodec

CORPUS = Path("/work/shared/corpus/vcards")


@pytest.fixture(autouse=True)
def codec() -> None:
    carddav.use_codec(ExchangeCodec())


def ines() -> PersonRecord:
    return validate.normalize_person(
        PersonRecord(
            title="Dr.",
            first_name="Ines",
            last_name="Brandt",
            birthday=Birthday(4, 12, 1985),
            notes="Met at the fair.\nLikes trains.",
            tags=("customer", "VIP"),
            urls=("https://brandt-mb.de",),
            vcard_extra=("X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/ines",),
            cards=(
                BusinessCardRecord(
                    company_name="Brandt Maschinenbau GmbH",
                    company_id="c-1",
                    position="Einkaufsleiterin",
                    favourite=True,
                    emails=(Email("i.brandt@brandt-mb.de", EmailType.WORK, True),),
                    phones=(Phone("+4975311234", PhoneType.WORK),),
                    addresses=(Address("Seestraße 4", "78462", "Konstanz", "", "DE", AddressType.WORK),),
                ),
                BusinessCardRecord(private=True, emails=(Email("ines@gmail.com", EmailType.HOME),)),
            ),
        )
    )


def test_project_apply_round_trip_keeps_card_ids_and_company_links() -> None:
    p = ines()
    fields = carddav.project_person(p)
    back = carddav.apply_person(p, fields)
    assert back == p
    assert carddav.project_person(carddav.apply_person(None, fields)) == fields


def test_a_vcard_round_trip_keeps_every_field_and_unknown_lines() -> None:
    p = ines()
    fields = carddav.project_person(p)
    text = carddav.vcard_of_fields(fields, local_id=p.id)
    assert "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/ines" in text and f"UID:{p.id}" in text
    assert carddav.fields_of_vcard(text) == fields


def test_rev_and_prodid_are_no_change() -> None:
    text = carddav.vcard_of_fields(carddav.project_person(ines()))
    again = text.replace("PRODID:", "PRODID:-//Other//").replace("END:VCARD", "REV:20300101T000000Z\r\nEND:VCARD")
    assert carddav.fields_of_vcard(again) == carddav.fields_of_vcard(text)


def test_corpus_cards_survive_fields_and_back() -> None:
    """Every corpus file that is one person's vCard: fields → vCard → the same fields (189 of the 236 files; the
    rest hold several cards or only a company)."""
    survived = 0
    for path in sorted(CORPUS.glob("*.vcf")):
        text = path.read_bytes().decode("utf-8", "replace")
        try:
            fields = carddav.fields_of_vcard(text)
        except ValueError:
            continue
        assert carddav.fields_of_vcard(carddav.vcard_of_fields(fields)) == fields, path.name
        survived += 1
    assert survived >= 185


def test_a_phone_edit_and_a_new_email_are_separate_fields() -> None:
    p = ines()
    fields = carddav.project_person(p)
    edited = carddav.apply_person(p, {**fields, "card2.emails": ("home\tines@gmail.com", "home\tines@web.de")})
    assert [e.address for e in edited.cards[1].emails] == ["ines@gmail.com", "ines@web.de"]
    assert edited.cards[0] == p.cards[0]
    assert dt.date(1985, 4, 12)  # a birthday with its year is kept as written
    assert edited.birthday == p.birthday
