"""Tests for crmdesk.domain.canonical: content-only canonical form and hash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmdesk.domain.canonical import canonical, canonical_json, content_hash
from crmdesk.domain.records import (
    Address,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    RelationRecord,
    Stamp,
    TouchpointRecord,
    TouchpointType,
    new_id,
)

WHEN = dt.datetime(2024, 10, 9, 7, 1, tzinfo=dt.UTC)
STAMP = Stamp(created_at=WHEN, updated_at=WHEN, change_seq=42, deleted_at=WHEN)


def ilse(**kw: Any) -> PersonRecord:
    base: dict[str, Any] = {
        "title": "Dr.",
        "first_name": "Ilse",
        "last_name": "Brandt",
        "birthday": Birthday(month=3, day=14),
        "notes": "Prefers calls in the morning.",
        "photo": b"\x89PNG...",
        "tags": ("A-Kunde", "Messe 2024"),
        "custom": (("X-SKYPE", "ilse.brandt"),),
        "cards": (
            BusinessCardRecord(
                company_id="9e2b",
                company_name="Brandt Maschinenbau GmbH",
                position="Einkaufsleiterin",
                favourite=True,
                emails=(Email("i.brandt@brandt-mb.de", EmailType.WORK, True),),
                phones=(Phone("+49753112345", PhoneType.WORK, True), Phone("+491711234567", PhoneType.MOBILE)),
                addresses=(Address("Seestraße 4", "78462", "Konstanz", "BW", "DE", favourite=True),),
            ),
        ),
    }
    base.update(kw)
    return PersonRecord(**base)


def test_person_canonical_form() -> None:
    c = canonical(ilse())
    assert set(c) == {
        "salutation", "title", "first_name", "middle_name", "last_name", "suffix", "gender", "birthday",
        "notes", "lifecycle", "photo", "tags", "custom", "cards", "urls", "vcard_extra",
    }  # fmt: skip
    assert "id" not in c and "stamp" not in c
    assert c["birthday"] == "--03-14"
    assert c["photo"] == hashlib.sha256(b"\x89PNG...").hexdigest()
    assert c["tags"] == ["a-kunde", "messe 2024"]
    assert c["custom"] == [["X-SKYPE", "ilse.brandt"]]
    card = c["cards"][0]  # type: ignore[index]
    assert "id" not in card
    assert card["company_id"] == "9e2b"
    assert card["phones"] == [
        {"number": "+49753112345", "type": "work", "favourite": True},
        {"number": "+491711234567", "type": "mobile", "favourite": False},
    ]
    assert card["addresses"][0]["country"] == "DE"
    json.dumps(c)  # serialisable


def test_empty_values_are_present() -> None:
    c = canonical(PersonRecord())
    assert c["salutation"] == ""
    assert c["birthday"] is None
    assert c["photo"] is None
    assert c["tags"] == []
    assert c["cards"] == []


def test_equal_content_equal_hash_whatever_ids_and_stamps() -> None:
    a = ilse()
    b = dataclasses.replace(
        ilse(),
        id=new_id(),
        stamp=STAMP,
        cards=tuple(dataclasses.replace(card, id=new_id()) for card in a.cards),
    )
    assert a.id != b.id
    assert a.cards[0].id != b.cards[0].id
    assert canonical(a) == canonical(b)
    assert canonical_json(a) == canonical_json(b)
    assert content_hash(a) == content_hash(b)


def test_tag_order_and_case_are_irrelevant() -> None:
    assert content_hash(ilse(tags=("Messe 2024", "A-Kunde"))) == content_hash(ilse(tags=("a-kunde", "MESSE 2024")))
    assert content_hash(ilse(tags=("x", "X"))) == content_hash(ilse(tags=("x",)))


def test_custom_field_order_is_irrelevant() -> None:
    one = ilse(custom=(("X-A", "1"), ("X-B", "2")))
    two = ilse(custom=(("X-B", "2"), ("X-A", "1")))
    assert content_hash(one) == content_hash(two)


def _replace_card(p: PersonRecord, **kw: Any) -> PersonRecord:
    return dataclasses.replace(p, cards=(dataclasses.replace(p.cards[0], **kw), *p.cards[1:]))


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Ilsa"},
        {"last_name": "brandt"},  # case matters in names
        {"title": ""},
        {"salutation": "Frau"},
        {"middle_name": "M."},
        {"suffix": "MBA"},
        {"gender": "female"},
        {"lifecycle": "customer"},
        {"birthday": Birthday(month=3, day=14, year=1970)},
        {"birthday": None},
        {"notes": "Prefers calls in the morning. "},
        {"photo": b"\x89PNG..!"},
        {"photo": None},
        {"tags": ("A-Kunde",)},
        {"custom": ()},
        {"cards": ()},
    ],
)
def test_changed_person_field_changes_hash(change: dict[str, Any]) -> None:
    assert content_hash(ilse(**change)) != content_hash(ilse())


@pytest.mark.parametrize(
    "change",
    [
        {"company_id": None},
        {"company_name": "Brandt GmbH"},
        {"position": "CEO"},
        {"department": "Einkauf"},
        {"private": True},
        {"favourite": False},
        {"emails": ()},
        {"emails": (Email("i.brandt@brandt-mb.de", EmailType.HOME, True),)},
        {"emails": (Email("i.brandt@brandt-mb.de", EmailType.WORK, False),)},
        {"emails": (Email("I.Brandt@brandt-mb.de", EmailType.WORK, True),)},
        {"phones": (Phone("+491711234567", PhoneType.MOBILE), Phone("+49753112345", PhoneType.WORK, True))},
        {"addresses": (Address("Seestraße 5", "78462", "Konstanz", "BW", "DE", favourite=True),)},
        {"addresses": ()},
    ],
)
def test_changed_card_field_changes_hash(change: dict[str, Any]) -> None:
    assert content_hash(_replace_card(ilse(), **change)) != content_hash(ilse())


def test_card_order_matters() -> None:
    p = ilse()
    two = dataclasses.replace(p, cards=(*p.cards, BusinessCardRecord(company_name="Privat", private=True)))
    swapped = dataclasses.replace(two, cards=(two.cards[1], two.cards[0]))
    assert content_hash(two) != content_hash(swapped)


def test_company_canonical() -> None:
    c = CompanyRecord(
        name="Brandt Maschinenbau GmbH",
        website="https://www.brandt-mb.de",
        logo=b"logo",
        tags=("B", "a"),
        emails=(Email("info@brandt-mb.de", favourite=True),),
    )
    form = canonical(c)
    assert form["logo"] == hashlib.sha256(b"logo").hexdigest()
    assert form["tags"] == ["a", "b"]
    assert form["emails"] == [{"address": "info@brandt-mb.de", "type": "work", "favourite": True}]
    same = dataclasses.replace(c, id=new_id(), stamp=STAMP, tags=("A", "b"))
    assert content_hash(same) == content_hash(c)
    for change in ({"name": "Brandt"}, {"website": ""}, {"logo": None}, {"phones": (Phone("+4975311000"),)}):
        assert content_hash(dataclasses.replace(c, **change)) != content_hash(c)


def test_touchpoint_canonical() -> None:
    t = TouchpointRecord(
        type=TouchpointType.TURNOVER,
        occurred_at=dt.datetime(2024, 10, 9, 9, 1, 30, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        subject="Order 4711",
        person_ids=("b", "a"),
        company_id="9e2b",
        amount="1250.50",
        currency="EUR",
    )
    form = canonical(t)
    assert form["occurred_at"] == "2024-10-09T07:01:30+00:00"
    assert form["type"] == "turnover"
    assert form["direction"] == ""
    assert form["priority"] == "normal"
    assert form["person_ids"] == ["a", "b"]
    assert form["amount"] == "1250.5"
    # The same instant in another zone, the same amount spelled differently, people in another order: same content.
    same = dataclasses.replace(
        t,
        id=new_id(),
        stamp=STAMP,
        occurred_at=dt.datetime(2024, 10, 9, 7, 1, 30, tzinfo=dt.UTC),
        amount="1250.500",
        person_ids=("a", "b"),
    )
    assert content_hash(same) == content_hash(t)
    for change in ({"amount": "1250.51"}, {"currency": "CHF"}, {"subject": "Order 4712"}, {"company_id": None}):
        assert content_hash(dataclasses.replace(t, **change)) != content_hash(t)
    assert content_hash(dataclasses.replace(t, occurred_at=t.occurred_at + dt.timedelta(seconds=1))) != content_hash(t)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("", ""), ("12.50", "12.5"), ("100", "100"), ("0.00", "0"), ("-0", "0"), ("1,5", "1,5"), ("NaN", "NaN")],
)
def test_amount_spelling(amount: str, expected: str) -> None:
    assert canonical(TouchpointRecord(occurred_at=WHEN, amount=amount))["amount"] == expected


def test_naive_datetime_is_taken_as_utc() -> None:
    naive = TouchpointRecord(occurred_at=dt.datetime(2024, 10, 9, 7, 1))
    assert canonical(naive)["occurred_at"] == "2024-10-09T07:01:00+00:00"


def test_json_form() -> None:
    p = ilse(first_name="Zoë")
    text = canonical_json(p)
    assert "Zoë" in text  # ensure_ascii=False
    assert ", " not in text and ": " not in text
    assert json.loads(text) == canonical(p)
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_hash(p) == hashlib.sha256(text.encode()).hexdigest()


def test_lone_surrogate_does_not_break_hashing() -> None:
    assert len(content_hash(PersonRecord(notes="bad \udcff byte"))) == 64


def test_other_records_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical(RelationRecord(Entity.PERSON, "a", "b"))  # type: ignore[arg-type]


texts = st.text(max_size=10)
people = st.builds(
    PersonRecord,
    first_name=texts,
    last_name=texts,
    notes=texts,
    photo=st.one_of(st.none(), st.binary(max_size=8)),
    tags=st.lists(texts, max_size=4).map(tuple),
    birthday=st.one_of(st.none(), st.dates().map(lambda d: Birthday(d.month, d.day, d.year))),
    cards=st.lists(
        st.builds(
            BusinessCardRecord,
            company_name=texts,
            favourite=st.booleans(),
            emails=st.lists(st.builds(Email, texts), max_size=2).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
)


@given(people, st.permutations(range(4)))
def test_hash_ignores_ids_stamps_and_tag_order(p: PersonRecord, order: list[int]) -> None:
    # Shuffle the tags and change their case where that keeps the case-folded form ("ß".upper() is "SS").
    tags = [p.tags[i] for i in order if i < len(p.tags)]
    tags = [t.upper() if t.upper().casefold() == t.casefold() else t for t in tags]
    other = dataclasses.replace(
        p,
        id=new_id(),
        stamp=STAMP,
        tags=tuple(tags),
        cards=tuple(dataclasses.replace(c, id=new_id()) for c in p.cards),
    )
    assert content_hash(other) == content_hash(p)
    json.loads(canonical_json(p))


@given(people, texts)
def test_hash_sees_a_changed_name(p: PersonRecord, name: str) -> None:
    changed = dataclasses.replace(p, first_name=name)
    assert (content_hash(changed) == content_hash(p)) == (name == p.first_name)


def test_new_ids_are_version_7_unique_and_not_repeated_by_a_forked_child() -> None:
    import os
    import uuid
    import warnings

    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids[:100])
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about forking while other threads of the suite run
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: its next ids go to the parent
        os.close(read)
        os.write(write, "\n".join(new_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split("\n")
    os.waitpid(pid, 0)
    mine = [new_id() for _ in range(100)]
    assert len(child) == 100 and not {c[-17:] for c in child} & {m[-17:] for m in mine}  # the random tails differ
