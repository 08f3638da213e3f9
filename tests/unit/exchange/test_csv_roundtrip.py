"""Property tests for crmdesk.exchange.csv: write → read round trips in both layouts, and fuzzed sample files."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from crmdesk.domain.validate import check_person, company_problems, person_problems
from crmdesk.exchange.base import UnreadableFile
from crmdesk.exchange.csv import _GOOGLE_HEAD, _OUTLOOK_HEAD, Layout, read_rows, write_rows

DATA = Path(__file__).parents[2] / "data" / "csv"

# Any printable text (no control, format or private-use characters: no export holds them), short.
NOT_TEXT: list[Literal["C"]] = ["C"]
text = st.text(st.characters(exclude_categories=NOT_TEXT), max_size=25)
# Tags may not hold the separators of the two layouts (";" Outlook, ":::" Google) nor Google's "*" mark.
tags = st.lists(st.text(st.characters(exclude_categories=NOT_TEXT, exclude_characters=";:*"), max_size=15), max_size=4)

alnum = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-", min_size=1, max_size=8)
emails = st.builds(
    Email,
    address=st.builds(
        "{}@{}".format,
        st.lists(alnum, min_size=1, max_size=3).map(".".join),
        st.sampled_from(["example.com", "Beispiel.DE", "müller-söhne.de", "mail.example.co.uk"]),
    ),
    type=st.sampled_from(EmailType),
    favourite=st.booleans(),
)
numbers = st.one_of(
    st.integers(0, 10**8 - 1).map("+49 30 {:08d}".format),
    st.integers(0, 10**7 - 1).map("+49 171 {:07d}".format),
    st.integers(0, 10**7 - 1).map("+41 44 {:07d}".format),
    st.integers(0, 10**7 - 1).map("+1 650 {:07d}".format),
    st.integers(1, 999).map("+49 7531 1234 ext. {}".format),
)
phones = st.builds(Phone, number=numbers, type=st.sampled_from(PhoneType), favourite=st.booleans())
addresses = st.builds(
    Address,
    street=st.lists(text, max_size=2).map("\n".join),
    postcode=st.text("0123456789", max_size=5),
    city=text,
    region=text,
    country=st.sampled_from(["", "DE", "Deutschland", "CH"]),
    type=st.sampled_from(AddressType),
)
urls = st.lists(st.builds("https://{}.example/{}".format, alnum, alnum), max_size=3)
custom_values = text.filter(lambda v: v.strip() and v.strip() not in ("0/0/00",))
customs = st.lists(
    st.tuples(
        st.sampled_from(["Kundennummer", "Lieblingsfarbe", "Nickname", "Spouse", "Anniversary", "Event 1 - Value"]),
        custom_values,
    ),
    max_size=4,
    unique_by=lambda kv: kv[0],
)


@st.composite
def people(draw: st.DrawFn) -> PersonRecord:
    """A person as the store holds it: normalised, at most one business card with a company, maybe a private one."""
    cards = []
    if draw(st.booleans()):
        cards.append(
            BusinessCardRecord(
                company_name=draw(text),
                position=draw(text),
                department=draw(text),
                emails=tuple(draw(st.lists(emails, max_size=5))),
                phones=tuple(draw(st.lists(phones, max_size=6))),
                addresses=tuple(draw(st.lists(addresses, max_size=3))),
            )
        )
    if draw(st.booleans()):
        cards.append(
            BusinessCardRecord(
                private=True,
                emails=tuple(draw(st.lists(emails, max_size=2))),
                phones=tuple(draw(st.lists(phones, max_size=4))),
                addresses=tuple(draw(st.lists(addresses, max_size=2))),
            )
        )
    dates = st.dates().map(lambda d: Birthday(month=d.month, day=d.day, year=d.year))
    p = PersonRecord(
        salutation=draw(st.sampled_from(["", "Herr", "Frau", "Mr.", "Ms.", "Mrs."])),
        title=draw(st.sampled_from(["", "Dr.", "Prof. Dr.", "Dipl.-Ing."])),
        first_name=draw(text),
        middle_name=draw(text),
        last_name=draw(text.filter(lambda t: t.strip())),
        suffix=draw(text),
        gender=draw(st.sampled_from(["", "female", "male", "divers"])),
        birthday=draw(st.none() | dates | dates.map(lambda b: Birthday(month=b.month, day=b.day))),
        notes="".join(draw(st.lists(text | st.sampled_from(["\n", "\r\n", "\r", '"', ",", ";", "\t"]), max_size=12))),
        tags=tuple(draw(tags)),
        custom=tuple(draw(customs)),
        cards=tuple(cards),
        urls=tuple(draw(urls)),
    )
    return check_person(p)


def write_read(p: PersonRecord, layout: Layout) -> PersonRecord:
    out = io.StringIO(newline="")
    assert write_rows([p], out, layout=layout) == 1
    (result,) = read_rows(io.BytesIO(out.getvalue().encode("utf-8")), source="roundtrip.csv")
    assert result.person is not None, result.error
    assert result.warnings == ()
    return result.person


def names(p: PersonRecord) -> tuple[str, ...]:
    return (p.salutation, p.title, p.first_name, p.middle_name, p.last_name, p.suffix)


def organisations(p: PersonRecord) -> list[tuple[str, str, str]]:
    return [(c.company_name, c.position, c.department) for c in p.cards if c.company_name or c.position or c.department]


def phone_set(p: PersonRecord) -> set[tuple[str, PhoneType]]:
    return {(ph.number, ph.type) for c in p.cards for ph in c.phones}


def email_set(p: PersonRecord) -> set[tuple[str, EmailType]]:
    return {(e.address, e.type) for c in p.cards for e in c.emails}


def assert_same(p: PersonRecord, back: PersonRecord) -> None:
    assert names(back) == names(p)
    assert organisations(back) == organisations(p)
    assert phone_set(back) == phone_set(p)
    assert (back.birthday, back.notes, back.tags, back.urls, back.gender) == (
        p.birthday,
        p.notes,
        p.tags,
        p.urls,
        p.gender,
    )
    assert Counter(back.custom) == Counter(p.custom)
    assert not person_problems(back)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(people())
def test_google_round_trip(p: PersonRecord) -> None:
    back = write_read(p, Layout.GOOGLE)
    assert_same(p, back)
    assert email_set(back) == email_set(p)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(people())
def test_outlook_round_trip(p: PersonRecord) -> None:
    back = write_read(p, Layout.OUTLOOK)
    assert_same(p, back)
    # Outlook's "E-mail Address", "E-mail 2 Address", ... have no type: they come back as work addresses.
    assert {a for a, _ in email_set(back)} == {a for a, _ in email_set(p)}
    assert {t for _, t in email_set(back)} <= {EmailType.WORK}


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(people(), min_size=2, max_size=5), st.sampled_from(Layout))
def test_many_people_round_trip(many: list[PersonRecord], layout: Layout) -> None:
    out = io.StringIO(newline="")
    assert write_rows(iter(many), out, layout=layout) == len(many)
    back = list(read_rows(io.BytesIO(out.getvalue().encode("utf-8"))))
    assert [r.number for r in back] == list(range(1, len(many) + 1))
    for p, result in zip(many, back, strict=True):
        assert result.person is not None, result.error
        assert_same(p, result.person)


# ---------------------------------------------------------------------------------------------------------------------
# Fuzzing: mutated sample files never raise anything but UnreadableFile

SAMPLES = {p.name: p.read_bytes() for p in sorted(DATA.glob("*.csv"))}
SPECIAL = [
    b'"',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b" ::: ",
    b"*",
]
mutation = st.tuples(
    st.sampled_from(["insert", "replace", "delete", "truncate"]),
    st.floats(0, 1),
    st.sampled_from(SPECIAL) | st.binary(min_size=1, max_size=4),
)


def mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    for op, where, piece in mutations:
        at = int(where * len(data))
        if op == "insert":
            data = data[:at] + piece + data[at:]
        elif op == "replace":
            data = data[:at] + piece + data[at + len(piece) :]
        elif op == "delete":
            data = data[:at] + data[at + len(piece) :]
        else:
            data = data[:at]
    return data


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.lists(mutation, min_size=1, max_size=8), st.sampled_from(["DE", "US"]))
def test_mutated_samples_raise_nothing_but_unreadable_file(
    name: str, mutations: list[tuple[str, float, bytes]], region: str
) -> None:
    data = mutate(SAMPLES[name], mutations)
    try:
        results = list(read_rows(io.BytesIO(data), region=region, source=name))
    except UnreadableFile as exc:
        assert str(exc).startswith(name)
        return
    for number, r in enumerate(results, 1):
        assert r.number == number and r.line >= 2
        assert sum((r.person is not None, r.company is not None, bool(r.error))) == 1
        assert not r.error.startswith("The row could not be read"), r.error  # that would be a bug in the codec
        if r.person is not None:
            assert not person_problems(r.person, region=region)
        if r.company is not None:
            assert not company_problems(r.company, region=region)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_raise_nothing_but_unreadable_file(data: bytes) -> None:
    try:
        list(read_rows(io.BytesIO(b"First Name,Last Name,Labels\n" + data)))
        list(read_rows(io.BytesIO(data)))
    except UnreadableFile:
        pass


WORDS = [*_GOOGLE_HEAD, *_OUTLOOK_HEAD, "Name", "Given Name", "Family Name", "Group Membership", "Vorname", "Nachname",
         "Firma", "Telefon (privat)", "Straße privat 2", "E-Mail 2: Adresse", "Organization 2 - Symbol"]  # fmt: skip
numbered = st.builds(
    "{} {} {}".format,
    st.sampled_from(["E-mail", "Email", "Phone", "Address", "Website", "Organization", "Custom Field", "Event",
                     "Business", "Home", "Other", "Mobile Fax", "Mobile Phone", "Web Page", "Company", "E-mail"]),
    st.sampled_from(["1", "2", "17", "0", "١"]),
    st.sampled_from(["- Label", "- Value", "- Type", "- Name", "- Street", "- Formatted", "Street", "City",
                     "Address", "", "- ", "Display Name"]),
)  # fmt: skip
name_columns = st.sampled_from(["First Name", "Last Name", "Name", "Given Name", "Vorname", "Nachname"])
headers = st.builds(lambda n, h: [n, *h], name_columns, st.lists(st.sampled_from(WORDS) | numbered | text, max_size=12))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(headers, st.lists(st.lists(text | numbers | emails.map(lambda e: e.address), max_size=12), max_size=3))
def test_any_header_and_cells_raise_nothing_but_unreadable_file(header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerows([header, *rows])
    try:
        results = list(read_rows(io.BytesIO(out.getvalue().encode("utf-8"))))
    except UnreadableFile:
        return
    for r in results:
        assert not r.error.startswith("The row could not be read"), r.error
