"""Tests for crmdesk.exchange.csv: layouts, mappings, encodings, line numbers, rejections, unreadable files, writing."""

from __future__ import annotations

import csv as stdcsv
import io
import logging
from pathlib import Path
from typing import Any

import pytest

from crmdesk.domain import validate
from crmdesk.domain.records import (
    AddressType,
    Birthday,
    BusinessCardRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.domain.validate import check_person
from crmdesk.errors import ValidationError
from crmdesk.exchange import csv as codec
from crmdesk.exchange.base import CardResult, UnreadableFile
from crmdesk.exchange.csv import Layout, detect_layout, read_rows, write_rows

DATA = Path(__file__).parents[2] / "data" / "csv"


def read(name: str, *, region: str = "DE") -> list[CardResult]:
    with (DATA / name).open("rb") as stream:
        return list(read_rows(stream, region=region, source=name))


def read_bytes(data: bytes, *, region: str = "DE") -> list[CardResult]:
    return list(read_rows(io.BytesIO(data), region=region, source="test.csv"))


def person(result: CardResult) -> PersonRecord:
    assert result.person is not None, result.error
    return result.person


def emails(p: PersonRecord) -> set[tuple[str, EmailType, bool]]:
    return {(e.address, e.type, c.private) for c in p.cards for e in c.emails}


def phones(p: PersonRecord) -> set[tuple[str, PhoneType, bool]]:
    return {(ph.number, ph.type, c.private) for c in p.cards for ph in c.phones}


def header_of(name: str) -> list[str]:
    raw = (DATA / name).read_bytes()
    encoding = "utf-16" if raw.startswith(b"\xff\xfe") else "utf-8-sig" if raw.startswith(b"\xef") else "cp1252"
    first = raw.decode(encoding).splitlines()[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    return next(stdcsv.reader([first], delimiter=delimiter))


# ---------------------------------------------------------------------------------------------------------------------
# Layouts


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("google.csv", Layout.GOOGLE),
        ("google_legacy.csv", Layout.GOOGLE),
        ("outlook_en.csv", Layout.OUTLOOK),
        ("outlook_de.csv", Layout.OUTLOOK),
        ("outlook_unicode.csv", Layout.OUTLOOK),
    ],
)
def test_detect_layout_of_the_samples(name: str, layout: Layout) -> None:
    assert detect_layout(header_of(name)) is layout


@pytest.mark.parametrize(
    ("header", "layout"),
    [
        (["First Name", "Last Name", "E-mail 1 - Label", "E-mail 1 - Value"], Layout.GOOGLE),
        (["first name", "  LAST NAME ", "Email 1 - Value"], Layout.GOOGLE),
        (["Name", "Given Name", "Family Name"], Layout.GOOGLE),
        (["\ufeffFirst Name", "Last Name", "Labels"], Layout.GOOGLE),
        (["First Name", "Last Name", "E-mail Address"], Layout.OUTLOOK),
        (["Vorname", "Nachname", "Firma", "Mobiltelefon"], Layout.OUTLOOK),
        (["First Name", "Last Name"], None),  # nothing tells the layouts apart
        (["First Name", "Last Name", "Notes", "Birthday"], None),
        (["E-mail Address", "Business Phone"], None),  # no name column
        (["Email", "Phone", "Company"], None),
        ([], None),
    ],
)
def test_detect_layout(header: list[str], layout: Layout | None) -> None:
    assert detect_layout(header) is layout


# ---------------------------------------------------------------------------------------------------------------------
# Google, current export


def test_google_sample_rows_and_line_numbers() -> None:
    results = read("google.csv")
    # Row 1 spans lines 2-7 (three multi-line cells), line 9 is blank, row 5 has no name.
    assert [(r.number, r.line) for r in results] == [(1, 2), (2, 8), (3, 10), (4, 11), (5, 12), (6, 13)]
    assert [r.person is not None for r in results] == [True, True, False, True, False, True]
    assert results[2].company is not None
    assert results[4].error == "The row has no first, last or full name and no company."


def test_google_names_organisation_and_notes() -> None:
    p = person(read("google.csv")[0])
    assert (p.salutation, p.title, p.first_name, p.middle_name, p.last_name) == ("Herr", "Dr.", "Jürgen", "", "Müller")
    card = p.cards[0]
    assert (card.company_name, card.position, card.department) == (
        "Brandt Maschinenbau GmbH",
        "Einkaufsleiter",
        "Einkauf",
    )
    assert card.favourite and not card.private and card.company_id is None
    assert p.birthday == Birthday(month=3, day=14, year=1968)
    assert p.notes == 'Entscheidet schnell.\nTermine lieber vormittags.\nTrinkt "Kaffee schwarz".'
    assert p.tags == ("Kunden",)  # "* myContacts" and "* starred" are Google's own groups
    assert p.urls == ("https://brandt-mb.de",)


def test_google_emails_phones_addresses_and_the_private_card() -> None:
    p = person(read("google.csv")[0])
    work, home = p.cards
    assert home.private and not home.favourite
    assert work.emails == (Email("juergen.mueller@brandt-mb.de", EmailType.WORK, favourite=True),)
    assert home.emails == (Email("jm@example.org", EmailType.HOME),)
    assert work.phones == (Phone("+4975311234560", PhoneType.WORK), Phone("+491712345678", PhoneType.MOBILE, True))
    assert home.phones == (Phone("+497531987654", PhoneType.FAX),)  # "Home Fax"
    (office,) = work.addresses
    assert (office.street, office.postcode, office.city, office.country) == (
        "Seestraße 12",
        "78462",
        "Konstanz",
        "Deutschland",
    )
    assert office.type is AddressType.WORK
    assert [(a.street, a.type) for a in home.addresses] == [("Am Bühl 3", AddressType.HOME)]


def test_google_everything_else_is_kept_as_custom_fields() -> None:
    p = person(read("google.csv")[0])
    assert p.custom == (
        ("Nickname", "Jogi"),
        ("File As", "Müller, Jürgen"),
        ("Event 1 - Label", "Anniversary"),
        ("Event 1 - Value", "1995-06-10"),
        ("Website 1 - Label", "Work"),
        ("Kundennummer", "K-1042"),  # a "Custom Field n" pair: its label is the header
    )


def test_google_birthday_without_year_other_email_and_labels() -> None:
    p = person(read("google.csv")[1])
    assert p.birthday == Birthday(month=7, day=23)
    assert p.tags == ("Freunde", "Segeln")
    assert emails(p) == {("anna-lena@example.ch", EmailType.OTHER, False)}
    assert p.cards[0].emails[0].favourite  # "* Other"
    assert phones(p) == {("+41791234567", PhoneType.MOBILE, False)}


def test_google_row_with_only_an_organisation_is_a_company() -> None:
    result = read("google.csv")[2]
    assert result.person is None and result.company is not None and not result.rejected
    c = result.company
    assert c.name == "Müller & Söhne KG"
    assert c.tags == ("Lieferanten",)
    assert [e.address for e in c.emails] == ["info@mueller-soehne.de"]
    assert [ph.number for ph in c.phones] == ["+49891234567"]
    assert [(a.street, a.city) for a in c.addresses] == [("Industriestraße 7", "München")]


def test_google_invalid_email_and_phone_are_kept_with_warnings() -> None:
    result = read("google.csv")[3]
    p = person(result)
    assert p.custom == (("E-mail 1 - Value", "zoe@"), ("Phone 1 - Value", "12"))
    assert not emails(p) and not phones(p) and p.cards == ()
    assert result.warnings == (
        "Column “E-mail 1 - Value”: “zoe@” has no domain after the @; the value is kept as a custom field.",
        "Column “Phone 1 - Value”: “12” is not a phone number (too short — is the area code missing?); "
        "the value is kept as a custom field.",
    )


def test_google_several_values_in_one_cell_and_unknown_labels() -> None:
    p = person(read("google.csv")[5])
    assert emails(p) == {("f.dupont@example.fr", EmailType.WORK, False), ("francois@example.fr", EmailType.WORK, False)}
    assert phones(p) == {("+33142685300", PhoneType.OTHER, False)}
    assert p.custom == (("Phone 1 - Label", "Main"),)  # a label crmdesk has no type for
    assert p.cards[0].addresses[0].street == "8 rue de la Paix\nBâtiment B"


# ---------------------------------------------------------------------------------------------------------------------
# Google, older export


def test_google_legacy_sample() -> None:
    hans, madonna, eva = read("google_legacy.csv")
    p = person(hans)
    assert (p.first_name, p.middle_name, p.last_name, p.gender) == ("Hans", "Peter", "Meier", "Male")
    assert p.tags == ("Friends", "Golfclub")  # "* My Contacts" dropped, "* Friends" is a label like the others
    assert emails(p) == {
        ("hp.meier@example.de", EmailType.WORK, False),
        ("hans@example.de", EmailType.WORK, False),
        ("hans.meier@example.net", EmailType.HOME, True),
    }
    assert p.cards[0].emails[0].favourite and not p.cards[0].emails[1].favourite
    assert (p.cards[0].company_name, p.cards[0].position) == ("Meier Consulting", "Geschäftsführer")
    assert [a.street for a in p.cards[1].addresses] == ["Lindenallee 5\n10115 Berlin"]  # only "Formatted" given
    assert p.urls == ("https://meier.example",)
    assert p.custom == (("Hobby", "Golf"), ("Organization 1 - Type", "Work"), ("Website 1 - Type", "Blog"))
    assert (person(madonna).first_name, person(madonna).last_name) == ("", "Madonna")
    assert person(madonna).birthday == Birthday(month=8, day=16, year=1958)
    assert (person(eva).first_name, person(eva).last_name) == ("Eva", "Schulz")
    assert [c.private for c in person(eva).cards] == [True]


def test_full_name_differing_from_the_parts_is_kept() -> None:
    data = b"Name,Given Name,Family Name,Name Prefix\nDr. Hans Meier,Hans,Meier,Dr.\nHansi,Hans,Meier,\n"
    first, second = read_bytes(data)
    assert person(first).custom == ()
    assert person(second).custom == (("Name", "Hansi"),)


# ---------------------------------------------------------------------------------------------------------------------
# Outlook


def test_outlook_english_sample() -> None:
    john, mary, fabrikam = read("outlook_en.csv", region="US")
    p = person(john)
    assert (p.salutation, p.title, p.first_name, p.middle_name, p.last_name, p.suffix) == (
        "Mr.",
        "",
        "John",
        "Q.",
        "Public",
        "Jr.",
    )
    work, home = p.cards
    assert (work.company_name, work.department, work.position) == ("Contoso Ltd.", "Sales", "Account Manager")
    assert emails(p) == {("john.public@contoso.com", EmailType.WORK, False), ("jqp@example.com", EmailType.WORK, False)}
    assert phones(p) == {
        ("+14255550101", PhoneType.FAX, False),
        ("+14255550100", PhoneType.WORK, False),
        ("+12065550199", PhoneType.MOBILE, False),
        ("+12065550123", PhoneType.HOME, True),
    }
    (office,) = work.addresses
    assert (office.street, office.city, office.region, office.postcode) == (
        "One Microsoft Way",
        "Redmond",
        "WA",
        "98052",
    )
    assert [(a.street, a.city, a.type) for a in home.addresses] == [("12 Elm St\nApt 4", "Seattle", AddressType.HOME)]
    assert p.birthday == Birthday(month=4, day=12, year=1985)
    assert p.notes == "Met at Ignite.\nPrefers e-mail."
    assert p.tags == ("Customers", "VIP")
    assert p.urls == ("https://contoso.com",)
    assert p.gender == "Male"
    # Defaults ("Normal", "False", "0/0/00"), derived columns (E-mail Type, Display Name, Initials) are dropped.
    assert p.custom == (("Spouse", "Jane"),)
    assert john.warnings == ()
    m = person(mary)
    assert (m.salutation, m.birthday, m.gender, m.custom) == ("Ms.", None, "", ())
    assert fabrikam.company is not None and fabrikam.company.name == "Fabrikam, Inc."


def test_region_decides_how_national_numbers_are_read() -> None:
    us = phones(person(read("outlook_en.csv", region="US")[0]))
    de = phones(person(read("outlook_en.csv", region="DE")[0]))
    # the home address names no country: "(206) 555-0123" is read in the user's region
    assert ("+12065550123", PhoneType.HOME, True) in us
    assert ("+492065550123", PhoneType.HOME, True) in de
    # the business address is in the "United States of America": "(425) 555-0100" is read there, whatever the region
    assert ("+14255550100", PhoneType.WORK, False) in us & de
    assert ("+12065550199", PhoneType.MOBILE, False) in us & de  # written with its country code
    (result,) = read_bytes(b"First Name,Last Name,Company,Business Phone\nA,B,,030 1234567\n", region="US")
    assert person(result).custom == (("Business Phone", "030 1234567"),)
    assert result.warnings and result.warnings[0].startswith("Column “Business Phone”: “030 1234567”")


def test_a_number_is_checked_in_the_country_of_its_cards_address() -> None:
    # for a user in France "(212) 555-0100" is no number (too long) — unless the card's address is in the US
    data = (
        b"First Name,Last Name,Business Country/Region,Business Phone,Home Phone\n"
        b"Ann,Lee,United States,(212) 555-0100,(212) 555-0101\n"
    )
    (result,) = read_bytes(data, region="FR")
    p = person(result)
    assert [(ph.number, c.private) for c in p.cards for ph in c.phones] == [("+12125550100", False)]
    assert p.custom == (("Home Phone", "(212) 555-0101"),)  # the home card has no address: read in France
    assert len(result.warnings) == 1 and result.warnings[0].startswith("Column “Home Phone”")


def test_outlook_german_sample_in_windows_1252_with_semicolons() -> None:
    kaethe, joerg = read("outlook_de.csv")
    p = person(kaethe)
    assert (p.salutation, p.title, p.first_name, p.last_name) == ("Frau", "Dr.", "Käthe", "Weiß")
    assert (p.cards[0].company_name, p.cards[0].department, p.cards[0].position) == (
        "Öko-Bau GmbH",
        "Planung",
        "Architektin",
    )
    assert phones(p) == {
        ("+49891234568", PhoneType.FAX, False),
        ("+49891234567", PhoneType.WORK, False),
        ("+491717654321", PhoneType.MOBILE, False),
        ("+49897654321", PhoneType.HOME, True),
    }
    assert emails(p) == {("kaethe.weiss@oeko-bau.de", EmailType.WORK, False)}
    assert [(a.street, a.postcode, a.city, a.country) for a in p.cards[0].addresses] == [
        ("Hauptstraße 5", "80331", "München", "Deutschland")
    ]
    assert p.birthday == Birthday(month=2, day=3, year=1975)
    assert p.notes == "Mag Grün.\nRückruf erwünscht – bitte nach 14 Uhr."
    assert p.tags == ("Bau", "Kunden")
    assert p.urls == ("www.oeko-bau.de",)
    assert (p.gender, p.custom, kaethe.warnings) == ("Weiblich", (), ())
    j = person(joerg)
    assert (j.salutation, j.first_name, j.last_name, j.gender, j.birthday) == ("Herr", "Jörg", "Ständer", "", None)
    assert phones(j) == {("+4315123456", PhoneType.WORK, False)}


def test_outlook_unicode_export_in_utf16_with_tabs() -> None:
    results = read("outlook_unicode.csv")
    assert [(r.number, r.line) for r in results] == [(1, 2), (2, 3)]
    g, t = (person(r) for r in results)
    assert (g.first_name, g.last_name, g.cards[0].company_name) == ("Γιώργος", "Παπαδόπουλος", "Ελληνική Ναυτιλία Α.Ε.")
    assert g.birthday == Birthday(month=11, day=5, year=1979)
    assert [a.country for a in g.cards[0].addresses] == ["Greece"]
    assert (t.first_name, t.last_name, t.notes) == ("太郎", "山田", "日本語のメモ\n二行目")
    assert phones(t) == {("+81312345678", PhoneType.WORK, False)}


@pytest.mark.parametrize(
    ("column", "ptype", "private", "favourite"),
    [
        ("Business Phone", PhoneType.WORK, False, False),
        ("Company Main Phone", PhoneType.WORK, False, False),
        ("Home Phone 2", PhoneType.HOME, True, False),
        ("Mobile Phone", PhoneType.MOBILE, False, False),
        ("Car Phone", PhoneType.MOBILE, False, False),
        ("Business Fax", PhoneType.FAX, False, False),
        ("Home Fax", PhoneType.FAX, True, False),
        ("Other Fax", PhoneType.FAX, False, False),
        ("Other Phone", PhoneType.OTHER, False, False),
        ("Pager", PhoneType.OTHER, False, False),
        ("Primary Phone", PhoneType.OTHER, False, True),
        ("Mobile Phone 3", PhoneType.MOBILE, False, False),  # columns write_rows adds
        ("Home Fax 2", PhoneType.FAX, True, False),
        ("Telefon geschäftlich 2", PhoneType.WORK, False, False),
        ("Telefon privat", PhoneType.HOME, True, False),
        ("Fax privat", PhoneType.FAX, True, False),
        ("Autotelefon", PhoneType.MOBILE, False, False),
        ("Haupttelefon", PhoneType.OTHER, False, True),
    ],
)
def test_outlook_phone_columns(column: str, ptype: PhoneType, private: bool, favourite: bool) -> None:
    (result,) = read_bytes(f"First Name,Last Name,E-mail Address,{column}\nA,B,,0171 1234567\n".encode())
    (card,) = person(result).cards
    assert (card.phones, card.private) == ((Phone("+491711234567", ptype, favourite),), private)


@pytest.mark.parametrize(
    ("text", "birthday"),
    [
        ("4/12/1985", Birthday(month=4, day=12, year=1985)),
        ("12.4.1985", Birthday(month=4, day=12, year=1985)),
        ("1985-04-12", Birthday(month=4, day=12, year=1985)),
        ("4/12/1985 0:00:00", Birthday(month=4, day=12, year=1985)),
        ("--04-12", Birthday(month=4, day=12)),
        ("0/0/00", None),
        ("0.0.00", None),
    ],
)
def test_outlook_birthdays(text: str, birthday: Birthday | None) -> None:
    (result,) = read_bytes(f"First Name,Last Name,Company,Birthday\nA,B,,{text}\n".encode())
    assert person(result).birthday == birthday
    assert person(result).custom == ()


def test_two_digit_years_are_the_latest_fitting_year() -> None:
    (result,) = read_bytes(b"First Name,Last Name,Company,Birthday\nA,B,,4/12/85\n")
    assert person(result).birthday == Birthday(month=4, day=12, year=1985)


def test_outlook_overflow_columns_are_read() -> None:
    header = (
        "First Name,Last Name,E-mail Address,E-mail 4 Address,Business 2 Street,Business 2 City,Web Page 2,"
        "Company,Company 2,Job Title 2"
    )
    row = "A,B,a@x.de,d@x.de,Nebenweg 1,Ulm,https://b.example,Alpha AG,Beta AG,Beirat"
    p = person(read_bytes(f"{header}\n{row}\n".encode())[0])
    assert emails(p) == {("a@x.de", EmailType.WORK, False), ("d@x.de", EmailType.WORK, False)}
    assert [(a.street, a.city) for a in p.cards[0].addresses] == [("Nebenweg 1", "Ulm")]
    assert [(c.company_name, c.position) for c in p.cards] == [("Alpha AG", ""), ("Beta AG", "Beirat")]
    assert p.urls == ("https://b.example",)


# ---------------------------------------------------------------------------------------------------------------------
# Encodings, delimiters, line numbers


GOOGLE_TEXT = "First Name,Last Name,Labels\r\nJürgen,Weiß,* myContacts ::: Kunden\r\n"


@pytest.mark.parametrize(
    "data",
    [
        GOOGLE_TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + GOOGLE_TEXT.encode("utf-8"),
        GOOGLE_TEXT.encode("cp1252"),
        b"\xff\xfe" + GOOGLE_TEXT.encode("utf-16-le"),
        b"\xfe\xff" + GOOGLE_TEXT.encode("utf-16-be"),
        GOOGLE_TEXT.encode("utf-16-le"),  # no BOM: every other byte is NUL
        GOOGLE_TEXT.replace(",", ";").encode("utf-8"),
        GOOGLE_TEXT.replace(",", "\t").encode("utf-8"),
        b"sep=;\r\n" + GOOGLE_TEXT.replace(",", ";").encode("utf-8"),
        GOOGLE_TEXT.replace("\r\n", "\r").encode("utf-8"),  # old Mac line ends
    ],
)
def test_encodings_and_delimiters(data: bytes) -> None:
    (result,) = read_bytes(data)
    p = person(result)
    assert (p.first_name, p.last_name, p.tags) == ("Jürgen", "Weiß", ("Kunden",))
    assert result.warnings == ()
    assert result.line == (3 if data.startswith(b"sep=") else 2)


def test_delimiter_inside_quotes_does_not_count() -> None:
    data = b'"First Name";"Last Name";"Labels";"Notes, with comma"\n"A";"B";"x";"y, z"\n'
    p = person(read_bytes(data)[0])
    assert (p.first_name, p.last_name) == ("A", "B")


def test_stray_windows_1252_byte_late_in_a_utf8_file_is_read_with_a_warning() -> None:
    filler = "".join(f"Person{i},Müller{i},\n" for i in range(3000)).encode()  # > 64 KiB of valid UTF-8
    data = b"First Name,Last Name,Labels\n" + filler + "Ren\u00e9,Caf\u00e9,\n".encode("cp1252") + b"Zoe,Ok,\n"
    assert len(filler) > 65536
    *_, before, stray, after = read_bytes(data)
    assert (person(stray).first_name, person(stray).last_name) == ("René", "Café")
    assert stray.warnings == ("Characters that are no UTF-8 were read as Windows-1252.",)
    assert before.warnings == () and after.warnings == ()
    assert stray.line == 3002


def test_line_numbers_count_physical_lines() -> None:
    data = (
        b"First Name,Last Name,Notes,Labels\r\n"
        b"\r\n"  # blank line before the first row
        b'A,One,"two\r\nlines"\r\n'
        b"\r\n"
        b",,\r\n"  # a row with nothing at all: skipped like a blank line
        b'B,Two,"three\nlines\n"\r\n'
        b"C,Three,\r\n"
    )
    results = read_bytes(data)
    assert [(r.number, r.line, person(r).first_name) for r in results] == [(1, 3, "A"), (2, 7, "B"), (3, 10, "C")]
    assert person(results[0]).notes == "two\nlines"


def test_header_after_blank_lines() -> None:
    (result,) = read_bytes(b"\n\nFirst Name,Last Name,Labels\nA,B,\n")
    assert result.line == 4


def test_header_only_gives_no_rows() -> None:
    assert read_bytes(b"First Name,Last Name,Labels\r\n") == []


def test_rows_are_read_lazily() -> None:
    rows = "".join(f"Vorname{i},Nachname{i},,Notiz {i}\n" for i in range(10_000))
    data = ("First Name,Last Name,Labels,Notes\n" + rows).encode()

    class Counting(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            assert size is not None and 0 < size <= 1 << 16  # read in chunks, never all at once
            return chunk

    stream = Counting(data)
    results = read_rows(stream)
    first = next(results)
    assert person(first).first_name == "Vorname0"
    assert stream.tell() < len(data) / 2
    rest = list(results)
    assert len(rest) == 9_999 and rest[-1].line == 10_001 and rest[-1].number == 10_000


# ---------------------------------------------------------------------------------------------------------------------
# Rejected rows, values kept as custom fields


def test_row_with_more_fields_than_the_header_is_rejected() -> None:
    data = b"First Name,Last Name,Labels\nA,B,,surplus\nC,D,,,\nE,F,\n"
    too_long, trailing_empty, fine = read_bytes(data)
    assert too_long.error == "The row has 4 fields, but the header only 3."
    assert too_long.rejected and too_long.person is None
    assert person(trailing_empty).first_name == "C"  # empty surplus fields are harmless
    assert person(fine).first_name == "E"


def test_row_without_a_name_is_rejected() -> None:
    (result,) = read_bytes(b"First Name,Last Name,E-mail 1 - Value,Labels\n,,a@b.de,Kunden\n")
    assert result.error == "The row has no first, last or full name and no company."


def test_field_over_the_csv_limit_rejects_its_row_only() -> None:
    data = ("First Name,Last Name,Notes,Labels\nA,B,\nC," + "x" * 140_000 + ",\nE,F,\n").encode()
    a, big, e = read_bytes(data)
    assert big.error.startswith("The row is no valid CSV (field larger than field limit")
    assert (person(a).first_name, person(e).first_name, e.line) == ("A", "E", 4)


def test_too_long_values_are_kept_as_custom_fields() -> None:
    long = "x" * 201
    header = "First Name,Last Name,Organization Name,Address 1 - Label,Address 1 - City,Labels,Notes,Birthday"
    row = f"{long},Meier,{long},Home,{long},* myContacts ::: {'t' * 101} ::: ok,{'n' * 100_001},31.02.1990"
    result = read_bytes(f"{header}\n{row}\n".encode())[0]
    p = person(result)
    assert (p.first_name, p.last_name, p.tags, p.notes, p.birthday, p.cards) == ("", "Meier", ("ok",), "", None, ())
    headers = ["First Name", "Labels", "Notes", "Birthday", "Organization Name", "Address 1 - City"]  # groups last
    assert [h for h, _ in p.custom] == headers
    assert ("Labels", "t" * 101) in p.custom
    assert [w.split("”")[0].removeprefix("Column “") for w in result.warnings] == headers
    assert result.warnings[0] == (
        "Column “First Name”: 201 characters are more than the 200 allowed; the value is kept as a custom field."
    )
    assert result.warnings[3] == "Column “Birthday”: “31.02.1990” is no date; the value is kept as a custom field."


def test_too_long_name_can_leave_no_name() -> None:
    (result,) = read_bytes(f"First Name,Last Name,Labels\n{'x' * 201},,\n".encode())
    assert result.rejected and len(result.warnings) == 1


def test_street_whose_lines_fit_but_not_together() -> None:
    header = "First Name,Last Name,Company,Business Street,Business Street 2,Business City"
    row = f"A,B,,{'s' * 150},{'t' * 150},Ulm"
    result = read_bytes(f"{header}\n{row}\n".encode())[0]
    p = person(result)
    assert [(a.street, a.city) for a in p.cards[0].addresses] == [("", "Ulm")]
    assert [h for h, _ in p.custom] == ["Business Street", "Business Street 2"]


def test_company_row_reports_what_a_company_cannot_keep() -> None:
    header = "First Name,Last Name,Organization Name,Organization Title,Website 1 - Value,Nickname,Labels"
    (result,) = read_bytes(f"{header}\n,,ACME,Boss,not a url,Ace,\n".encode())
    assert result.company is not None and result.company.website == ""
    assert result.warnings == ("A company has no field for Nickname, not a url, position: left out.",)


def test_person_the_domain_refuses_is_rejected_with_the_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(p: PersonRecord, *, region: str = "DE") -> PersonRecord:
        raise ValidationError({"name": "A person needs a first or last name"})

    monkeypatch.setattr(validate, "check_person", refuse)
    (result,) = read_bytes(b"First Name,Last Name,Labels\nA,B,\n")
    assert result.error == "The person cannot be stored: name: A person needs a first or last name."


def test_a_bug_in_one_row_rejects_that_row_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(prefix: str) -> tuple[str, str]:
        if prefix == "Dr.":
            raise RuntimeError("boom")
        return "", prefix

    monkeypatch.setattr(codec, "_split_prefix", boom)
    with caplog.at_level(logging.ERROR, logger="crmdesk.exchange.csv"):
        bad, good = read_bytes(b"First Name,Last Name,Name Prefix\nA,B,Dr.\nC,D,\n")
    assert bad.error == "The row could not be read (RuntimeError: boom)."
    assert person(good).first_name == "C"
    assert "could not be converted" in caplog.text


# ---------------------------------------------------------------------------------------------------------------------
# Unreadable files


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "is empty"),
        (b" \r\n\r\n\t\n", "is empty"),
        (b"\xef\xbb\xbf", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is a binary file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Length 42>>stream\nx\x9c\x00\x01", "is a binary file"),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna\r\nEND:VCARD\r\n", "is a vCard file"),
        (b"\xef\xbb\xbfbegin:vcard\nversion:4.0\nend:vcard\n", "is a vCard file"),
        (b"Name;Vorname;Telefon\nMeier;Anna;0711\n", "is no Google Contacts or Outlook CSV export"),
        (b"<html><body>First Name</body></html>\n", "is no Google Contacts or Outlook CSV export"),
        (b"First Name,Last Name," + b"x" * 140_000 + b"\n", "has no readable header row"),
        (b"sep=\r\nFirst Name,Last Name,Labels\n", "is no Google Contacts or Outlook CSV export"),
    ],
)
def test_unreadable_files(data: bytes, why: str) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_rows(io.BytesIO(data), source="kontakte.csv")
    assert str(info.value).startswith(f"kontakte.csv {why}")


def test_unknown_header_lists_the_expected_columns() -> None:
    with pytest.raises(UnreadableFile) as info:
        read_rows(io.BytesIO(b"Name;Vorname;Telefon\n"), source="kontakte.csv")
    message = str(info.value)
    assert "(Name, Vorname, Telefon)" in message
    for column in ("E-mail 1 - Value", "Phone 1 - Value", "E-mail Address", "Business Phone", "E-Mail-Adresse"):
        assert column in message
    assert info.value.hints


def test_unreadable_stream() -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise OSError("device gone")

    with pytest.raises(UnreadableFile, match="could not be read: device gone"):
        read_rows(Broken(), source="x.csv")  # type: ignore[arg-type]


def test_stream_failing_later_raises_unreadable_file_while_iterating() -> None:
    class FailsLater(io.BytesIO):
        calls = 0

        def read(self, size: int | None = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError("cable pulled")
            return super().read(size)

    data = b"First Name,Last Name,Labels,Notes\n" + (b"A,B,," + b"x" * 200 + b"\n") * 1_000
    results = read_rows(FailsLater(data))
    with pytest.raises(UnreadableFile, match="cable pulled"):
        list(results)


def test_line_of_more_than_4_mb() -> None:
    results = read_rows(io.BytesIO(b"First Name,Last Name,Labels\nA," + b"x" * (5 << 20)))
    with pytest.raises(UnreadableFile, match="more than 4 MB"):
        list(results)


# ---------------------------------------------------------------------------------------------------------------------
# Writing


def sample_person(**changes: Any) -> PersonRecord:
    base = PersonRecord(
        salutation="Frau",
        title="Dr.",
        first_name="Käthe",
        last_name="Weiß",
        birthday=Birthday(month=2, day=29),
        tags=("Kunden", "Bau"),
        cards=(
            BusinessCardRecord(
                company_name="Öko-Bau GmbH",
                position="Architektin",
                emails=tuple(Email(f"k{i}@oeko-bau.de") for i in range(5)),
                phones=(
                    Phone("+49891234567"),
                    Phone("+491711234567", PhoneType.MOBILE),
                    Phone("+491721234567", PhoneType.MOBILE),
                ),
            ),
            BusinessCardRecord(private=True, phones=(Phone("+49897654321", PhoneType.FAX),)),
        ),
    )
    return check_person(base.replace(**changes))


def write(people: list[PersonRecord], layout: Layout) -> str:
    out = io.StringIO(newline="")
    assert write_rows(people, out, layout=layout) == len(people)
    return out.getvalue()


def rows_of(text: str) -> list[dict[str, str]]:
    return list(stdcsv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def test_google_writes_as_many_numbered_columns_as_needed() -> None:
    text = write([sample_person(), sample_person(cards=())], Layout.GOOGLE)
    assert not text.startswith("\ufeff")
    header = next(stdcsv.reader(io.StringIO(text)))
    assert header[:17] == list(codec._GOOGLE_HEAD)
    assert "E-mail 5 - Value" in header and "E-mail 6 - Value" not in header
    assert "Phone 4 - Value" in header and "Phone 5 - Value" not in header
    assert not any(h.startswith(("Address", "Website", "Custom Field", "Organization 2")) for h in header)
    row = rows_of(text)[0]
    assert (row["Name Prefix"], row["Birthday"], row["Labels"]) == (
        "Frau Dr.",
        " --02-29",
        "* myContacts ::: Bau ::: Kunden",
    )
    assert (row["Phone 4 - Label"], row["Phone 4 - Value"]) == ("Home Fax", "+49897654321")
    assert rows_of(text)[1]["E-mail 1 - Value"] == ""


def test_outlook_writes_bom_fixed_columns_and_further_ones_in_its_naming() -> None:
    text = write([sample_person(birthday=Birthday(month=4, day=12, year=1985))], Layout.OUTLOOK)
    assert text.startswith('\ufeff"Title","First Name"')
    (row,) = rows_of(text)
    assert (row["Title"], row["Company"], row["Job Title"], row["Birthday"]) == (
        "Frau Dr.",
        "Öko-Bau GmbH",
        "Architektin",
        "4/12/1985",
    )
    assert [row[f"E-mail {i} Address" if i > 1 else "E-mail Address"] for i in range(1, 6)] == [
        f"k{i}@oeko-bau.de" for i in range(5)
    ]
    assert (row["E-mail Type"], row["E-mail Display Name"]) == ("SMTP", "Dr. Käthe Weiß (k0@oeko-bau.de)")
    assert (row["Mobile Phone"], row["Mobile Phone 2"], row["Home Fax"]) == (
        "+491711234567",
        "+491721234567",
        "+49897654321",
    )
    assert row["Categories"] == "Bau;Kunden"


def test_outlook_birthday_without_year() -> None:
    (row,) = rows_of(write([sample_person()], Layout.OUTLOOK))
    assert row["Birthday"] == "--02-29"


def test_custom_fields_go_back_to_their_column() -> None:
    p = sample_person(
        custom=(
            ("Nickname", "Kä"),
            ("Spouse", "Jan"),
            ("Kundennummer", "K-1"),
            ("Event 1 - Value", "2001-02-03"),
            ("Labels", "x"),
        )
    )
    (g,) = rows_of(write([p], Layout.GOOGLE))
    assert (g["Nickname"], g["Event 1 - Value"]) == ("Kä", "2001-02-03")
    pairs = {g[f"Custom Field {i} - Label"]: g[f"Custom Field {i} - Value"] for i in (1, 2, 3)}
    assert pairs == {"Spouse": "Jan", "Kundennummer": "K-1", "Labels": "x"}  # not Google's, or its column is taken
    (o,) = rows_of(write([p], Layout.OUTLOOK))
    assert (o["Nickname"], o["Spouse"], o["Kundennummer"], o["Event 1 - Value"]) == ("Kä", "Jan", "K-1", "2001-02-03")
    taken = sample_person(custom=(("First Name", "Käthi"), ("Gender", "w")))
    (o,) = rows_of(write([taken], Layout.OUTLOOK))
    assert (o["First Name"], o["First Name (2)"], o["Gender"]) == ("Käthe", "Käthi", "w")


def test_write_nothing() -> None:
    assert write([], Layout.GOOGLE).count("\n") == 1
    assert write([], Layout.OUTLOOK).startswith("\ufeff")


def test_written_samples_read_back(tmp_path: Path) -> None:
    people = [person(r) for name in ("google.csv", "outlook_de.csv") for r in read(name) if r.person]
    for layout in Layout:
        target = tmp_path / f"{layout}.csv"
        with target.open("w", encoding="utf-8", newline="") as out:
            write_rows(iter(people), out, layout=layout)
        with target.open("rb") as stream:
            back = [r.person for r in read_rows(stream)]
        assert [(p.first_name, p.last_name, p.notes, p.tags, p.custom) for p in people] == [
            (b.first_name, b.last_name, b.notes, b.tags, b.custom) for b in back if b
        ]
