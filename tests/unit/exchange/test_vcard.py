"""crmdesk.exchange.vcard: reading (bad input, mapping, streaming), writing, several business cards, file names."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator

import pytest
import vobject

import crmdesk
from crmdesk.domain import validate
from crmdesk.domain.canonical import content_hash
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
    Stamp,
)
from crmdesk.exchange import vcard
from crmdesk.exchange.base import CardResult, UnreadableFile

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def read(text: str | bytes, *, region: str = "DE", source: str = "test.vcf") -> list[CardResult]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(vcard.read_cards(io.BytesIO(data), region=region, source=source))


def card(*lines: str, version: str = "3.0") -> str:
    head = ["BEGIN:VCARD", f"VERSION:{version}"] if version else ["BEGIN:VCARD"]
    return "\r\n".join([*head, *lines, "END:VCARD"]) + "\r\n"


def one(*lines: str, version: str = "3.0") -> CardResult:
    (result,) = read(card(*lines, version=version))
    return result


def person(*lines: str, version: str = "3.0") -> PersonRecord:
    result = one(*lines, version=version)
    assert result.person is not None, result
    return result.person


def emails(p: PersonRecord) -> list[tuple[str, str, bool, bool]]:
    """(address, type, favourite, on a private card) of every e-mail."""
    return [(e.address, e.type.value, e.favourite, c.private) for c in p.cards for e in c.emails]


def phones(p: PersonRecord) -> list[tuple[str, str, bool, bool]]:
    return [(ph.number, ph.type.value, ph.favourite, c.private) for c in p.cards for ph in c.phones]


# ---------------------------------------------------------------------------------------------------------------------
# Bad input named in the issue


def test_not_a_vcard_at_all() -> None:
    with pytest.raises(UnreadableFile) as exc:
        read("Name,E-mail\r\nAnna Schmidt,anna@example.com\r\n", source="people.csv")
    assert "“people.csv”" in str(exc.value) and "no BEGIN:VCARD" in str(exc.value) and "CSV" in str(exc.value)
    with pytest.raises(UnreadableFile, match=r"“notes.txt” is not a vCard file: it has no BEGIN:VCARD line\."):
        read("Just some text.\nNothing to see.\n", source="notes.txt")


def test_binary_data() -> None:
    with pytest.raises(UnreadableFile, match=r"“photo.jpg” holds binary data, not vCards\."):
        read(JPEG * 10, source="photo.jpg")


@pytest.mark.parametrize("data", [b"", b"\r\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(UnreadableFile, match=r"“empty.vcf” is empty: there is no vCard in it\."):
        read(data, source="empty.vcf")


def test_truncated_last_card() -> None:
    text = card("N:Schmidt;Anna") + "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Meyer;Jo\r\nEMAIL:jo@exa"
    first, last = read(text)
    assert first.person is not None and first.person.last_name == "Schmidt"
    assert (last.number, last.line) == (2, 5)
    assert last.error == "the card has no END:VCARD (the file ends at line 8)"


def test_missing_end_before_the_next_card() -> None:
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Schmidt;Anna\r\n" + card("N:Meyer;Jo") + card("N:Brandt;Ines")
    a, b, c = read(text)
    assert a.error == "the card has no END:VCARD (another card begins at line 4)"
    assert (b.number, b.line, c.line) == (2, 4, 8)
    assert b.person is not None and b.person.last_name == "Meyer"
    assert c.person is not None and c.person.last_name == "Brandt"


def _photo_card(photo: bytes, *, folded: bool) -> bytes:
    b64 = base64.b64encode(photo)
    value = b"\r\n ".join(b64[i : i + 74] for i in range(0, len(b64), 74)) if folded else b64
    return b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Schmidt;Anna\r\nPHOTO;ENCODING=b;TYPE=JPEG:" + value + b"\r\nEND:VCARD\r\n"


@pytest.mark.parametrize("folded", [True, False], ids=["folded", "one-line"])
def test_50_mb_photo(folded: bool) -> None:
    photo = b"\xff\xd8\xff" + bytes(50 * 1024 * 1024 - 3)  # 52,428,800 bytes
    data = _photo_card(photo, folded=folded) + card("N:Meyer;Jo").encode()
    big, after = read(data)
    assert big.error == "the photo is 52.4 MB; crmdesk keeps photos up to 10 MB"
    assert after.person is not None and after.person.last_name == "Meyer"


def test_a_line_too_long_to_read() -> None:
    data = card("N:Schmidt;Anna", "X-HUGE:" + "A" * 20_000_000) + card("N:Meyer;Jo")
    big, after = read(data)
    assert big.error == "line 4 is 20.0 MB long, more than crmdesk reads in one line"
    assert after.person is not None and after.line == 6


def test_photo_just_under_the_limit_is_kept() -> None:
    photo = b"\xff\xd8\xff" + bytes(vcard.MAX_PHOTO_BYTES - 3)
    (r,) = read(_photo_card(photo, folded=True))
    assert r.person is not None and r.person.photo == photo


def test_invalid_base64_photo() -> None:
    assert (
        one("N:Schmidt;Anna", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AA:QS*k==").error == "the photo's base64 data is damaged"
    )
    assert (
        one("N:Schmidt;Anna", "PHOTO:data:image/png;base64,iVBOR$$$w0KGgo").error
        == "the photo's base64 data is damaged"
    )


def test_unknown_charset_and_encoding() -> None:
    r = one("N;CHARSET=X-KLINGON:Schmidt;Anna", "NOTE;ENCODING=UUENCODE:hello", version="2.1")
    assert r.person is not None and r.person.last_name == "Schmidt" and r.person.notes == "hello"
    assert r.warnings == (
        "The charset “X-KLINGON” is unknown; the card was read as UTF-8 or Windows-1252.",
        "Line 4 has the unknown encoding “UUENCODE”; its value was read as plain text.",
    )


@pytest.mark.parametrize("version", ["5.0", "1.0", "three"])
def test_wrong_version(version: str) -> None:
    r = one("N:Schmidt;Anna", version=version)
    assert r.error == f"VERSION {version} is not a vCard version crmdesk reads (2.1, 3.0 or 4.0)"


def test_no_version_is_read_as_30_with_a_warning() -> None:
    r = one("N:Schmidt;Anna", version="")
    assert r.person is not None and r.warnings == ("The card has no VERSION line; it was read as vCard 3.0.",)


def test_no_name() -> None:
    assert one("EMAIL:anna@example.com").error == "the card has no name (no N, FN or ORG)"


def test_a_card_that_cannot_be_stored_is_rejected_with_the_reason() -> None:
    r = one("N:Schmidt;Anna", "ORG:" + "A" * 250)
    assert r.error == "the card cannot be stored: company name: At most 200 characters (this has 250)"


def test_only_unreadable_file_escapes() -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: object) -> int:
            raise OSError(5, "Input/output error")

    with pytest.raises(UnreadableFile, match="could not be read: Input/output error"):
        list(vcard.read_cards(io.BufferedReader(Broken()), source="bad.vcf"))


# ---------------------------------------------------------------------------------------------------------------------
# Streaming


class _Counting(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_so_far = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_so_far += len(data)
        return data


def test_cards_are_read_one_at_a_time() -> None:
    data = "".join(card(f"N:Person{i};Anna", f"EMAIL:anna{i}@example.com") for i in range(3000)).encode()
    stream = _Counting(data)
    cards = vcard.read_cards(stream, source="many.vcf")
    assert isinstance(cards, Iterator)
    first = next(cards)
    assert first.person is not None and first.person.last_name == "Person0"
    assert stream.read_so_far < len(data) // 2  # the first card came long before the end of the file was read
    assert sum(1 for _ in cards) == 2999


def test_numbers_and_lines() -> None:
    text = "\r\n\r\n" + card("N:A;B") + "junk between cards\r\n" + card("N:C;D", "NOTE:x\r\n y") + card("N:E;F")
    assert [(r.number, r.line) for r in read(text)] == [(1, 3), (2, 8), (3, 14)]


def test_line_ends() -> None:
    text = card("N:Schmidt;Anna", "NOTE:a\r\n b")
    for eol in ("\n", "\r", "\r\r\n"):
        (r,) = read(text.replace("\r\n", eol))
        assert r.person is not None and r.person.notes == "ab" and r.line == 1


def test_utf16_files() -> None:
    text = card("N:Müller;Jürgen")
    for data in (text.encode("utf-16"), text.encode("utf-16-be"), text.encode("utf-16-le")):
        (r,) = read(data)
        assert r.person is not None and r.person.last_name == "Müller"


# ---------------------------------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        ("Schmidt;Anna;Maria;Frau Dr.;MBA", ("Frau", "Dr.", "Anna", "Maria", "Schmidt", "MBA")),
        ("Dubois;Émile;;M.;", ("M.", "", "Émile", "", "Dubois", "")),
        ("Rossi;Luca;;Sig. Prof. Dott.;", ("Sig.", "Prof. Dott.", "Luca", "", "Rossi", "")),
        ("Doe;John;;Mr,Dr;Esq.", ("Mr", "Dr", "John", "", "Doe", "Esq.")),
        ("de Vries;Jan;;Dhr.;", ("Dhr.", "", "Jan", "", "de Vries", "")),
        ("Public;John;Quinlan,Q.;Prof.;Jr.,M.D.", ("", "Prof.", "John", "Quinlan Q.", "Public", "Jr., M.D.")),
        ("Smith", ("", "", "", "", "Smith", "")),
        (";Cher", ("", "", "Cher", "", "", "")),
    ],
)
def test_n(n: str, expected: tuple[str, ...]) -> None:
    p = person(f"N:{n}")
    assert (p.salutation, p.title, p.first_name, p.middle_name, p.last_name, p.suffix) == expected


def test_fn_only_is_split() -> None:
    p = person("FN:Anna Maria Schmidt")
    assert (p.first_name, p.last_name) == ("Anna Maria", "Schmidt")
    p = person("N:;;;;", "FN:Madonna")
    assert (p.first_name, p.last_name) == ("", "Madonna")


def test_escapes() -> None:
    p = person(r"N:O\;Brien\, Jr.;Anna\\Maria", r"NOTE:line 1\nline 2\Nline 3\, with comma\; and semicolon")
    assert (p.last_name, p.first_name) == ("O;Brien, Jr.", "Anna\\Maria")
    assert p.notes == "line 1\nline 2\nline 3, with comma; and semicolon"


def test_quoted_printable_and_charset() -> None:
    p = person(
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCr=",
        "gen",
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Stra=DFe=0D=0AK=F6ln",
        version="2.1",
    )
    assert (p.last_name, p.first_name, p.notes) == ("Müller", "Jürgen", "Straße\nKöln")


def test_latin1_without_charset_is_read_with_a_warning() -> None:
    (r,) = read(card("N:Müller;Jürgen", "FN:Jürgen Müller").encode("latin-1"))
    assert r.person is not None and r.person.last_name == "Müller"
    assert r.warnings == ("The card is not UTF-8 and names no charset; it was read as Windows-1252 (Latin-1).",)


def test_utf8_folded_inside_a_character() -> None:
    data = card("N:Müller;Jürgen").encode()
    at = data.index("ü".encode()) + 1  # between the two bytes of "ü"
    (r,) = read(data[:at] + b"\r\n " + data[at:])
    assert r.person is not None and r.person.last_name == "Müller"


# ---------------------------------------------------------------------------------------------------------------------
# Business cards, e-mails, phones, addresses


def test_org_title_role() -> None:
    p = person("N:Schmidt;Anna", "ORG:Brandt GmbH;Vertrieb;Innendienst", "TITLE:Leiterin", "ROLE:Einkauf")
    (c,) = p.cards
    assert (c.company_name, c.department, c.position) == ("Brandt GmbH", "Vertrieb / Innendienst", "Leiterin")
    assert p.vcard_extra == ("ROLE:Einkauf",)
    (c,) = person("N:Schmidt;Anna", "ORG:Brandt GmbH;", "ROLE:Einkauf").cards
    assert (c.company_name, c.department, c.position) == ("Brandt GmbH", "", "Einkauf")


def test_business_and_private_cards() -> None:
    p = person(
        "N:Schmidt;Anna",
        "ORG:Brandt GmbH",
        "EMAIL;TYPE=INTERNET,WORK:anna@brandt.de",
        "EMAIL;TYPE=INTERNET,HOME,PREF:anna@home.de",
        "EMAIL;TYPE=INTERNET:anna@other.de",
        "TEL;TYPE=CELL:0171 1234567",
        "TEL;TYPE=HOME,VOICE:030 1234567",
        "ADR;TYPE=HOME:;;Hauptstr. 1;Berlin;;10115;Deutschland",
        "ADR;TYPE=WORK:;;Werkstr. 2;Köln;NRW;50667;Germany",
    )
    business, private = p.cards
    assert (business.favourite, business.private, business.company_name) == (True, False, "Brandt GmbH")
    assert (private.favourite, private.private, private.company_name) == (False, True, "")
    assert emails(p) == [
        ("anna@brandt.de", "work", False, False),
        ("anna@other.de", "work", False, False),
        ("anna@home.de", "home", True, True),
    ]
    assert phones(p) == [("+491711234567", "mobile", False, False), ("+49301234567", "home", False, True)]
    assert business.addresses == (
        Address(street="Werkstr. 2", postcode="50667", city="Köln", region="NRW", country="DE"),
    )
    assert private.addresses == (
        Address(street="Hauptstr. 1", postcode="10115", city="Berlin", country="DE", type=AddressType.HOME),
    )


def test_a_card_without_org_gets_a_business_card_for_work_data() -> None:
    (c,) = person("N:Schmidt;Anna", "EMAIL:anna@example.com").cards
    assert (c.company_name, c.private, c.emails[0].type) == ("", False, EmailType.WORK)
    (c,) = person("N:Schmidt;Anna", "EMAIL;TYPE=HOME:anna@example.com").cards
    assert (c.private, c.favourite) == (True, True)
    assert person("N:Schmidt;Anna").cards == ()


@pytest.mark.parametrize(
    ("line", "version", "expected"),
    [
        ("TEL;WORK;VOICE:030 1234567", "2.1", ("+49301234567", "work", False, False)),
        ("TEL;CELL;PREF:0171 1234567", "2.1", ("+491711234567", "mobile", True, False)),
        ("TEL;HOME;FAX:030 1234567", "2.1", ("+49301234567", "fax", False, True)),
        ("TEL;TYPE=work,pref:030 1234567", "3.0", ("+49301234567", "work", True, False)),
        ("TEL;TYPE=CELL;TYPE=HOME:0171 1234567", "3.0", ("+491711234567", "mobile", False, True)),
        ("TEL;TYPE=OTHER:030 1234567", "3.0", ("+49301234567", "other", False, False)),
        ("TEL;TYPE=PAGER:030 1234567", "3.0", ("+49301234567", "other", False, False)),
        ("TEL:030 1234567", "3.0", ("+49301234567", "work", False, False)),
        ('TEL;VALUE=uri;PREF=1;TYPE="voice,home":tel:+49-30-1234567', "4.0", ("+49301234567", "home", True, True)),
        ("TEL;TYPE=cell;PREF=2:+49 171 1234567", "4.0", ("+491711234567", "mobile", True, False)),
    ],
)
def test_phone_types(line: str, version: str, expected: tuple[str, str, bool, bool]) -> None:
    assert phones(person("N:Schmidt;Anna", line, version=version)) == [expected]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("EMAIL;INTERNET:a@example.com", ("a@example.com", "work", False, False)),
        ("EMAIL;TYPE=OTHER:a@example.com", ("a@example.com", "other", False, False)),
        ("EMAIL;TYPE=home,work:a@example.com", ("a@example.com", "work", False, False)),
        ("EMAIL;PREF=1;TYPE=home:a@Example.COM", ("a@example.com", "home", True, True)),
        ('EMAIL;INTERNET:"Anna" <a@example.com>', ("a@example.com", "work", False, False)),
    ],
)
def test_email_types(line: str, expected: tuple[str, str, bool, bool]) -> None:
    assert emails(person("N:Schmidt;Anna", line)) == [expected]


def test_only_one_favourite_per_list() -> None:
    p = person("N:Schmidt;Anna", "EMAIL;TYPE=PREF:a@example.com", "EMAIL;TYPE=PREF:b@example.com")
    assert [e.favourite for e in p.cards[0].emails] == [True, False]


def test_address_types_and_countries() -> None:
    p = person(
        "N:Schmidt;Anna",
        "ADR;TYPE=POSTAL:PF 12;c/o Meyer;Hauptstr. 1;Zürich;;8001;Schweiz",
        "ADR;TYPE=OTHER:;;Rue 1;Paris;;75001;France",
        "ADR;TYPE=WORK:;;Via 1;Roma;;00100;Italia",
        "ADR;TYPE=WORK:;;Calle 1;Madrid;;28001;España",
        "ADR;TYPE=WORK:;;1 Main St;Boston;MA;02101;United States of America",
        "ADR;TYPE=WORK:;;1 High St;London;;N1;United Kingdom",
        "ADR;TYPE=WORK:;;Ring 1;Wien;;1010;Österreich",
        "ADR;TYPE=WORK:;;Hauptstr. 1;Berlin;;10115;de",
        "ADR;TYPE=WORK:;;Broadway 1;New York;NY;10001;U.S.A.",
        "ADR;TYPE=WORK:;;Palace;Elsewhere;;1;Atlantis",
    )
    (c,) = p.cards
    assert [(a.type.value, a.country) for a in c.addresses] == [
        ("postal", "CH"),
        ("other", "FR"),
        ("work", "IT"),
        ("work", "ES"),
        ("work", "US"),
        ("work", "GB"),
        ("work", "AT"),
        ("work", "DE"),
        ("work", "US"),
        ("work", "Atlantis"),
    ]
    assert c.addresses[0].street == "PF 12\nc/o Meyer\nHauptstr. 1"


def test_apple_labels() -> None:
    p = person(
        "N:Schmidt;Anna",
        "item1.TEL:0171 1234567",
        "item1.X-ABLabel:_$!<Mobile>!$_",
        "item2.EMAIL;type=INTERNET:anna@example.com",
        "item2.X-ABLabel:_$!<Other>!$_",
        "item3.TEL:030 1234567",
        "item3.X-ABLabel:Büro Berlin",
        "item4.URL:https://example.com",
        "item4.X-ABLabel:_$!<HomePage>!$_",
        "item5.X-ABDATE:2001-01-01",
        "item5.X-ABLabel:_$!<Anniversary>!$_",
    )
    assert phones(p) == [("+491711234567", "mobile", False, False), ("+49301234567", "work", False, False)]
    assert emails(p) == [("anna@example.com", "other", False, False)]
    assert p.vcard_extra == (
        'item3.X-ABLabel;X-CRMDESK-FOR="TEL:+49301234567":Büro Berlin',
        'item4.X-ABLabel;X-CRMDESK-FOR="URL:https://example.com":_$!<HomePage>!$_',
        "item5.X-ABDATE:2001-01-01",
        "item5.X-ABLabel:_$!<Anniversary>!$_",
    )
    text = vcard.write_card(p)
    assert "item3.TEL;TYPE=WORK,VOICE:+49301234567\r\n" in text
    assert "item4.URL:https://example.com\r\n" in text
    # The label goes with its item: once the phone is gone, so is the label that named it.
    gone = p.replace(cards=(dataclasses.replace(p.cards[0], phones=p.cards[0].phones[:1]),))
    assert "Büro Berlin" not in vcard.write_card(gone)


def test_invalid_email_and_phone_are_kept_as_written() -> None:
    r = one(
        "N:Schmidt;Anna",
        "FN:Anna Schmidt",
        "EMAIL;TYPE=WORK:anna(at)example.com",
        "X-FOO:bar",
        "TEL;TYPE=HOME:12",
        "EMAIL:anna@example.com",
    )
    p = r.person
    assert p is not None
    assert emails(p) == [("anna@example.com", "work", False, False)] and phones(p) == []
    assert p.vcard_extra == ("EMAIL;TYPE=WORK:anna(at)example.com", "X-FOO:bar", "TEL;TYPE=HOME:12")
    assert r.warnings == (
        "“anna(at)example.com” has no @; it was kept as written, not as an e-mail address.",
        "“12” is not a phone number (too short — is the area code missing?); it was kept as written, not as a phone"
        " number.",
    )
    assert validate.check_person(p) == p
    # written back as they were, read again the same
    (again,) = read(vcard.write_card(p))
    assert again.person is not None and again.person.vcard_extra == p.vcard_extra


def test_region_decides_national_numbers() -> None:
    assert phones(person("N:A;B", "TEL:044 668 18 00")) == [("+49446681800", "work", False, False)]
    (r,) = read(card("N:A;B", "TEL:044 668 18 00"), region="CH")
    assert r.person is not None and phones(r.person) == [("+41446681800", "work", False, False)]


# ---------------------------------------------------------------------------------------------------------------------
# Other properties


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("1985-04-12", "1985-04-12"),
        ("19850412", "1985-04-12"),
        ("1985-04-12T10:30:00Z", "1985-04-12"),
        ("19850412T103000", "1985-04-12"),
        ("--0412", "--04-12"),
        ("--04-12", "--04-12"),
        ("1604-04-12", "--04-12"),  # Apple's "no year"
        ("--0229", "--02-29"),
    ],
)
def test_birthday(value: str, iso: str) -> None:
    p = person("N:A;B", f"BDAY:{value}")
    assert p.birthday is not None and p.birthday.iso() == iso


def test_birthday_that_is_no_date_is_kept() -> None:
    r = one("N:A;B;;;", "FN:B A", "BDAY;VALUE=text:circa 1800", version="4.0")
    assert r.person is not None and r.person.birthday is None
    assert r.person.vcard_extra == ("BDAY;VALUE=text:circa 1800",)
    assert r.warnings == ("The birthday “circa 1800” is no date crmdesk understands; it was kept as written.",)


def test_notes_tags_urls_uid_gender() -> None:
    p = person(
        "N:A;B",
        "NOTE:first",
        "NOTE:second\\nline",
        "CATEGORIES:VIP,Kunde\\, alt,vip",
        "CATEGORIES:Lead",
        "URL:http\\://example.com/a",
        "URL;TYPE=WORK:https://example.org",
        "UID:urn:uuid:1234",
        "GENDER:F;she",
        "REV:20240101T000000Z",
        "PRODID:-//Apple Inc.//iOS 17//EN",
        version="4.0",
    )
    assert p.notes == "first\nsecond\nline"
    assert p.tags == ("Kunde, alt", "Lead", "VIP")
    assert p.urls == ("http://example.com/a", "https://example.org")
    assert (p.vcard_uid, p.gender) == ("urn:uuid:1234", "F;she")
    assert p.vcard_extra == ()


@pytest.mark.parametrize(
    "line",
    [
        f"PHOTO;ENCODING=b;TYPE=JPEG:{base64.b64encode(JPEG).decode()}",
        f"PHOTO;ENCODING=BASE64;TYPE=JPEG:{base64.b64encode(JPEG).decode()}",
        f"PHOTO;BASE64:{base64.b64encode(JPEG).decode()}",
        f"PHOTO:data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}",
        f"PHOTO:data:image/jpeg;base64\\,{base64.b64encode(JPEG).decode()}",
        f"PHOTO;ENCODING=b:data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}",
        f"PHOTO;ENCODING=b;TYPE=JPEG:{base64.b64encode(JPEG).decode().rstrip('=')}",  # padding lost
    ],
)
def test_photo_forms(line: str) -> None:
    assert person("N:A;B", line).photo == JPEG


def test_photo_by_url_and_photo_that_is_no_image_are_kept() -> None:
    p = person("N:A;B", "PHOTO;VALUE=uri:https://example.com/a.jpg")
    assert p.photo is None and p.vcard_extra == ("PHOTO;VALUE=uri:https://example.com/a.jpg",)
    r = one("N:A;B", "FN:B A", "PHOTO;ENCODING=b:" + base64.b64encode(b"hello world").decode())
    assert (
        r.person is not None
        and r.person.photo is None
        and r.person.vcard_extra == ("PHOTO;ENCODING=b:aGVsbG8gd29ybGQ=",)
    )
    assert r.warnings == ("The photo is not an image crmdesk can show; it was kept as written.",)


def test_extra_lines_are_kept_exactly_in_file_order() -> None:
    p = person(
        "N:A;B",
        "X-ABUID:1234\\:ABPerson",
        "NICKNAME:Jo",
        "item1.X-ABRELATEDNAMES;type=pref:Julie",
        "item1.X-ABLabel:_$!<Spouse>!$_",
        "ORG:First",
        "ORG:Second;Dept",
        "IMPP;X-SERVICE-TYPE=Skype:skype:anna",
        "X-EMPTY:",
        "LABEL;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Stra=C3=9Fe 1=0D=0AK=C3=B6ln",
        version="2.1",
    )
    assert p.vcard_extra == (
        "X-ABUID:1234\\:ABPerson",
        "NICKNAME:Jo",
        "item1.X-ABRELATEDNAMES;type=pref:Julie",
        "item1.X-ABLabel:_$!<Spouse>!$_",
        "ORG:Second;Dept",
        "IMPP;X-SERVICE-TYPE=Skype:skype:anna",
        "X-EMPTY:",
        "LABEL:Straße 1\\nKöln",
    )


def test_continuation_without_fold_whitespace() -> None:
    r = one("N:A;B", "NOTE:We met at a party.", "That was cool!", "X-FOO:bar", "FN:B A")
    assert r.person is not None and r.person.notes == "We met at a party.\nThat was cool!"
    assert r.warnings == ("Line 5 does not begin with a property; it was read as part of the line before.",)


def test_vcard21_base64_run_and_qp_soft_breaks() -> None:
    b64 = base64.b64encode(JPEG).decode()
    p = person(
        "N:A;B",
        "PHOTO;ENCODING=BASE64;TYPE=JPEG:",
        *(b64[i : i + 60] for i in range(0, len(b64), 60)),
        "",
        "NOTE;ENCODING=QUOTED-PRINTABLE:Now's the time =",
        "for all folk=",
        " to come.",
        version="2.1",
    )
    assert p.photo == JPEG and p.notes == "Now's the time for all folk to come."


def test_company_cards() -> None:
    r = one("N:;;;;", "FN:Brandt GmbH", "ORG:Brandt GmbH", "EMAIL:info@brandt.de", "URL:brandt.de", "NOTE:x")
    assert r.company is not None
    assert (r.company.name, r.company.website, r.company.notes) == ("Brandt GmbH", "brandt.de", "x")
    assert [e.address for e in r.company.emails] == ["info@brandt.de"]
    r = one("FN:Brandt GmbH", "ORG:Brandt GmbH", "KIND:org", version="4.0")
    assert r.company is not None and r.company.name == "Brandt GmbH" and r.warnings == ()
    r = one("N:Inc.;Test;;;", "FN:Test Inc.", "ORG:Test Inc.;", "X-ABShowAs:COMPANY")
    assert r.company is not None and r.company.name == "Test Inc."
    r = one("N:Schmidt;Anna", "ORG:Brandt GmbH", "X-ABShowAs:COMPANY", "NICKNAME:Anni")
    assert r.person is not None  # a person's name that is not the company's: kept as a person at that company
    r = one("N:Schmidt;Anna;;;", "FN:Brandt GmbH", "ORG:Brandt GmbH", "KIND:org", "NICKNAME:Anni", version="4.0")
    assert r.company is not None
    assert r.warnings == (
        "The card is a company's, which has no place for the person's name, NICKNAME; that was left out.",
    )


# ---------------------------------------------------------------------------------------------------------------------
# Standard conformance: what deviates from the vCard standard of the card's VERSION is said, once per rule and property


def test_a_conformant_card_gets_no_remark() -> None:
    for version in ("3.0", "4.0"):
        other = _anna().replace(
            cards=(
                BusinessCardRecord(
                    favourite=True,
                    emails=(Email("a@example.com", EmailType.OTHER),),
                    phones=(Phone("+49301234567", PhoneType.OTHER), Phone("+49301234568", PhoneType.FAX)),
                    addresses=(Address(street="Weg 1", city="Köln", type=AddressType.OTHER),),
                ),
            )
        )
        for p in (_anna(), other):
            (r,) = read(vcard.write_card(p, version=version))
            assert r.person is not None and r.warnings == (), version  # crmdesk's own TYPE=OTHER included


def test_unknown_property_and_parameter_are_said_once_per_property() -> None:
    r = one("N:A;B;;;", "FN:B A", "FOO:1", "FOO:2", "TEL;MOOD=happy:030 1234567", "TEL;MOOD=sad;X-OK=1:030 7654321")
    assert r.person is not None and r.person.vcard_extra == ("FOO:1", "FOO:2")
    assert r.warnings == (
        "FOO on line 5 (and 1 more) is no vCard 3.0 property, and a name of one's own must begin with “X-” "
        "(RFC 2426 §4); it was kept as written.",
        "TEL on line 7 (and 1 more) has the parameter “MOOD”, which vCard 3.0 does not define (RFC 2426 §4); "
        "crmdesk ignored it.",
    )


def test_properties_and_parameters_are_checked_per_version() -> None:
    r = one("N:A;B", "NICKNAME:Bee", "TEL;PREF=1:030 1234567", version="2.1")
    assert r.warnings == (
        "NICKNAME on line 4 is a vCard 3.0 and 4.0 property that vCard 2.1 does not have; it was kept as written.",
        "TEL on line 5 has the parameter “PREF”, which vCard 2.1 does not define (vCard 2.1 §2.9); it was read anyway.",
    )
    assert one("N:A;B;;;", "FN:B A", "NICKNAME:Bee", "TEL;PREF=1:030 1234567", version="4.0").warnings == ()
    # without VERSION only a name no version has is reported
    r = one("N:A;B", "NICKNAME:Bee", "FOO:bar", "TEL;WORK:030 1234567", version="")
    assert r.warnings == (
        "The card has no VERSION line; it was read as vCard 3.0.",
        "FOO on line 4 is no vCard property; it was kept as written.",
    )


def test_bare_parameters_in_30_are_reported_and_read() -> None:
    r = one("N:A;B", "FN:B A", "TEL;FAX,WORK:030 1234567", "TEL;CELL:0171 1234567", "URL;WORK:https://example.com")
    assert r.person is not None
    assert phones(r.person) == [("+49301234567", "fax", False, False), ("+491711234567", "mobile", False, False)]
    assert r.warnings == (
        "TEL on line 5 (and 1 more) has parameters without a name (“FAX”, “WORK” and “CELL”), as vCard 2.1 writes "
        "them; vCard 3.0 wants NAME=value (RFC 2426 §4); they were read anyway.",
        "URL on line 7 has a parameter without a name (“WORK”), as vCard 2.1 writes them; vCard 3.0 wants NAME=value "
        "(RFC 2426 §4); it was read anyway.",
    )
    assert one("N:A;B", "TEL;FAX,WORK:030 1234567", version="2.1").warnings == ()


def test_type_values_and_language_tags() -> None:
    r = one("N:A;B", "FN:B A", "EMAIL;TYPE=INTERNET,WORK,:a@example.com", "TEL;TYPE=X-CAR,moon:030 1234567")
    assert r.warnings == (
        "EMAIL on line 5 has an empty TYPE value, which vCard 3.0 does not allow (RFC 2426 §4); it was ignored.",
        "TEL on line 6 has the type “moon”, which is neither a registered TEL type nor one of one's own beginning "
        "with “X-” (RFC 2426 §3.3.1); crmdesk ignored it.",
    )
    good = ("de", "de-CH-1996", "sr-Latn-RS", "zh-Hant-TW", "x-whatever", "i-klingon", "en-US-x-twain")
    for tag in good:
        assert one(f"N;LANGUAGE={tag}:A;B;;;", "FN:B A", version="4.0").warnings == (), tag
    assert one("N;LANGUAGE=en-:A;B;;;", "FN:B A", version="4.0").warnings == (
        "N on line 3 has LANGUAGE “en-”, which is no language tag (RFC 5646, RFC 6350 §5.1); it was ignored.",
    )
    assert one("N;LANGUAGE=de-1996-ch:A;B", "FN:B A").warnings == ()  # RFC 1766 in 3.0 checks the form only


def test_component_counts_fn_and_links() -> None:
    r = one("N:A;B", "ADR:;;Weg 1;Köln", version="4.0")
    assert r.person is not None and r.person.cards[0].addresses[0].city == "Köln"
    assert r.warnings == (
        "N on line 3 has 2 components where RFC 6350 §6.2.2 asks for 5; the missing ones were read as empty.",
        "ADR on line 4 has 4 components where RFC 6350 §6.3.1 asks for 7; the missing ones were read as empty.",
        "The card has no FN, which vCard 4.0 requires (RFC 6350 §6.2.1); the name was taken from N.",
    )
    r = one("N:A;B;;;;Junior", "FN:B A", "PHOTO:https://example.com/a.jpg")
    assert r.warnings == (
        "N on line 3 has 6 components where RFC 2426 §3.1.2 and §4 allows 5; the ones after the fifth were ignored.",
        "PHOTO on line 5 is a link without VALUE=uri, which RFC 2426 §3.1.4 asks for; it was kept as written.",
    )
    assert one("N:A;B", "PHOTO;VALUE=URL:https://example.com/a.jpg", version="2.1").warnings == ()
    assert one("N:A;B", "FN:B A", "PHOTO;VALUE=uri:https://example.com/a.jpg").warnings == ()
    assert one("N:A;B;;;", "FN:B A", "PHOTO:https://example.com/a.jpg", version="4.0").warnings == ()
    r = one("FN:Brandt GmbH", "ORG:Brandt GmbH", "KIND:org", version="4.0")
    assert r.company is not None and r.warnings == ()  # FN there: 4.0 does not need N
    r = one("FN:Brandt GmbH", "ORG:Brandt GmbH", "PHOTO:https://example.com/a.jpg")
    assert r.company is not None and r.warnings == (
        "PHOTO on line 5 is a link without VALUE=uri, which RFC 2426 §3.1.4 asks for; a company's card keeps no such"
        " line, so it was left out.",
    )


def test_blanks_after_begin_and_end() -> None:
    text = "BEGIN:VCARD \r\nVERSION:{v}\r\nN:A;B;;;\r\nFN:B A\r\nEND:VCARD\t\r\n"
    (r,) = read(text.format(v="3.0"))
    assert r.person is not None and r.warnings == (
        "BEGIN:VCARD on line 1 is followed by blanks, which RFC 2426 §2.1.1 does not allow; they were ignored.",
        "END:VCARD on line 5 is followed by blanks, which RFC 2426 §2.1.1 does not allow; they were ignored.",
    )
    (r,) = read(text.format(v="2.1"))  # the 2.1 grammar allows white space there
    assert r.person is not None and r.warnings == ()


def test_line_ends_are_noted_once_per_file() -> None:
    text = "".join(card(f"N:Person{i};Anna", f"FN:Anna Person{i}") for i in range(3))
    results = read(text.replace("\r\n", "\n"))
    assert [r.warnings for r in results] == [
        ("The file's lines end in LF, not CRLF as RFC 2425 §5.8.1 asks; it was read anyway.",),
        (),
        (),
    ]
    (r,) = read(card("N:A;B", "FN:B A", version="2.1").replace("\r\n", "\r"))
    assert r.warnings == ("The file's lines end in CR, not CRLF as vCard 2.1 §2.1.3 asks; it was read anyway.",)
    (r,) = read(card("N:A;B;;;", "FN:B A", version="4.0").replace("\r\n", "\r\r\n"))
    assert r.warnings == ("The file's lines end in CR CR LF, not CRLF as RFC 6350 §3.2 asks; it was read anyway.",)
    # a CRLF file with one LF far in (past the first 64 KB chunk): noted once, with the line
    cards = [card(f"N:Person{i};Anna", f"FN:Anna Person{i}", f"NOTE:{'x' * 60}") for i in range(2000)]
    cards[1500] = cards[1500].replace("FN:", "X-ODD:1\nFN:", 1)
    results = read("".join(cards))
    notes = [(r.number, w) for r in results for w in r.warnings]
    assert len(notes) == 1 and notes[0][0] <= 1501
    assert notes[0][1] == (
        f"Line {1500 * 6 + 4} ends in LF, not CRLF as RFC 2425 §5.8.1 asks (the file mixes CRLF and LF line ends); "
        "it was read anyway."
    )


# ---------------------------------------------------------------------------------------------------------------------
# Writing


def _anna(**changes: object) -> PersonRecord:
    p = PersonRecord(
        id="01900000-0000-7000-8000-000000000001",
        salutation="Frau",
        title="Dr.",
        first_name="Anna",
        last_name="Schmidt",
        birthday=Birthday(4, 12, 1985),
        notes="Met at the fair.\nLikes tea; coffee, too. C:\\temp",
        tags=("VIP", "Kunde"),
        urls=("https://example.com",),
        photo=JPEG,
        cards=(
            BusinessCardRecord(
                company_name="Brandt GmbH",
                department="Vertrieb",
                position="Leiterin",
                favourite=True,
                emails=(Email("anna@brandt.de", EmailType.WORK, True),),
                phones=(Phone("+49301234567", PhoneType.WORK, True), Phone("+491711234567", PhoneType.MOBILE)),
                addresses=(Address(street="Werkstr. 2", postcode="50667", city="Köln", country="DE", favourite=True),),
            ),
            BusinessCardRecord(
                private=True,
                emails=(Email("anna@home.de", EmailType.HOME, True),),
                phones=(Phone("+49309876543", PhoneType.HOME),),
            ),
        ),
        vcard_extra=("NICKNAME:Anni", "X-ABUID:1234\\:ABPerson"),
    )
    return validate.check_person(p.replace(**changes))


def test_write_card_30() -> None:
    p = _anna(stamp=Stamp(updated_at=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)))
    text = vcard.write_card(p)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[:8] == [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"PRODID:-//crmdesk//crmdesk {crmdesk.__version__}//EN",
        "UID:01900000-0000-7000-8000-000000000001",
        "REV:20240506T070809Z",
        "FN:Dr. Anna Schmidt",
        "N:Schmidt;Anna;;Frau Dr.;",
        "ORG:Brandt GmbH;Vertrieb",
    ]
    assert "TITLE:Leiterin" in lines
    assert "EMAIL;TYPE=INTERNET,WORK,PREF:anna@brandt.de" in lines
    assert "TEL;TYPE=WORK,VOICE,PREF:+49301234567" in lines
    assert "TEL;TYPE=CELL,VOICE:+491711234567" in lines
    assert "ADR;TYPE=WORK,PREF:;;Werkstr. 2;Köln;;50667;DE" in lines
    assert "EMAIL;TYPE=INTERNET,HOME,PREF;X-CRMDESK-CARD=2:anna@home.de" in lines
    assert "BDAY:1985-04-12" in lines
    assert "NOTE:Met at the fair.\\nLikes tea\\; coffee\\, too. C:\\\\temp" in lines
    assert "CATEGORIES:Kunde,VIP" in lines
    assert any(line.startswith("PHOTO;ENCODING=b;TYPE=JPEG:/9j/") for line in lines)
    assert lines[-4:] == ["NICKNAME:Anni", "X-ABUID:1234\\:ABPerson", "END:VCARD", ""]
    obj = vobject.readOne(text)
    assert obj.n.value.family == "Schmidt" and obj.photo.value == JPEG


def test_write_card_40() -> None:
    text = vcard.write_card(_anna(birthday=Birthday(4, 12)), version="4.0")
    lines = text.split("\r\n")
    assert "VERSION:4.0" in lines
    assert "BDAY:--0412" in lines  # RFC 6350 §4.3.1: --MMDD
    assert "EMAIL;TYPE=work;PREF=1:anna@brandt.de" in lines
    assert "TEL;VALUE=uri;TYPE=work,voice;PREF=1:tel:+49301234567" in lines
    assert "ADR;TYPE=work;PREF=1:;;Werkstr. 2;Köln;;50667;DE" in lines
    assert any(line.startswith("PHOTO:data:image/jpeg;base64,/9j/") for line in lines)
    assert "BDAY:19850412" in vcard.write_card(_anna(), version="4.0").split("\r\n")
    vobject.readOne(text)


def test_write_card_refuses_other_versions() -> None:
    with pytest.raises(ValueError, match=r"3\.0 or 4\.0"):
        vcard.write_card(_anna(), version="2.1")


def test_folding_at_75_octets_without_splitting_characters() -> None:
    p = _anna(notes="ä€😀 " * 200 + "x" * 300 + " " * 150 + "y")
    text = vcard.write_card(p)
    for line in text.encode().split(b"\r\n"):
        assert len(line) <= 75 or not line[1:75].strip()  # a run of spaces at a fold point makes a line longer
        line.decode("utf-8")  # no line ends inside a character
        assert line == b"" or line.strip(b" ")  # no folded line is blank (vobject would end the value there)
    (r,) = read(text)
    assert r.person is not None and r.person.notes == p.notes
    assert vobject.readOne(text).note.value == p.notes


def test_salutation_the_word_list_does_not_know() -> None:
    p = _anna(salutation="Exzellenz", title="Prof.")
    text = vcard.write_card(p)
    assert "N:Schmidt;Anna;;Exzellenz Prof.;" in text and "X-CRMDESK-SALUTATION:Exzellenz" in text
    (r,) = read(text)
    assert r.person is not None and (r.person.salutation, r.person.title) == ("Exzellenz", "Prof.")


def test_write_business_card() -> None:
    text = vcard.write_business_card(_anna())
    assert "ORG:Brandt GmbH;Vertrieb" in text and "anna@brandt.de" in text and "PHOTO" in text
    for private in ("anna@home.de", "+49309876543", "NOTE", "BDAY", "CATEGORIES", "NICKNAME", "X-CRMDESK", "UID"):
        assert private not in text
    (r,) = read(text)
    assert r.person is not None and len(r.person.cards) == 1
    vobject.readOne(vcard.write_business_card(_anna(), version="4.0"))


def test_several_cards_round_trip() -> None:
    p = _anna(
        cards=(
            BusinessCardRecord(company_name="A GmbH", position="CEO", favourite=True),
            BusinessCardRecord(
                company_name="B AG",
                department="IT",
                position="Advisor",
                emails=(Email("anna@b.de", EmailType.HOME),),  # a HOME e-mail on a business card
                addresses=(Address(city="Bonn", type=AddressType.POSTAL),),
            ),
            BusinessCardRecord(private=True, phones=(Phone("+491711234567", PhoneType.MOBILE, True),)),
            BusinessCardRecord(),
        )
    )
    for version in ("3.0", "4.0"):
        text = vcard.write_card(p, version=version)
        assert "X-CRMDESK-CARD:2;business;B AG;IT;Advisor" in text
        (r,) = read(text)
        assert r.person is not None
        assert content_hash(r.person) == content_hash(p)
        assert vcard.write_card(r.person.replace(id=p.id), version=version) == text
        vobject.readOne(text)


def test_a_plain_business_card_needs_no_markers() -> None:
    p = _anna(cards=_anna().cards[:1])
    assert "X-CRMDESK-CARD" not in vcard.write_card(p)
    (r,) = read(vcard.write_card(p))
    assert r.person is not None and content_hash(r.person) == content_hash(p)


def test_import_export_import_is_stable() -> None:
    text = card(
        "N:Schmidt;Anna;;Herr Prof.;",
        "ORG:Brandt GmbH;Vertrieb",
        "item1.EMAIL;type=INTERNET;type=pref:anna@brandt.de",
        "item1.X-ABLabel:Zentrale",
        "EMAIL;type=HOME:anna@home.de",
        "TEL;type=WORK:12",
        "X-FOO;BAR=baz:qux",
    )
    (first,) = read(text)
    assert first.person is not None
    (second,) = read(vcard.write_card(first.person))
    assert second.person is not None and content_hash(second.person) == content_hash(first.person)


# ---------------------------------------------------------------------------------------------------------------------
# File names


def _named(**kw: str) -> PersonRecord:
    return PersonRecord(**kw)  # type: ignore[arg-type]


def test_safe_file_name() -> None:
    taken: set[str] = set()
    anna = _named(first_name="Anna", last_name="Schmidt")
    assert vcard.safe_file_name(anna, taken) == "Anna Schmidt.vcf"
    assert vcard.safe_file_name(anna, taken) == "Anna Schmidt (2).vcf"
    assert vcard.safe_file_name(_named(first_name="anna", last_name="schmidt"), taken) == "anna schmidt (3).vcf"
    assert "Anna Schmidt.vcf" in taken


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"first_name": "AC/DC", "last_name": 'Band: "Live"?'}, "AC DC Band Live.vcf"),
        ({"last_name": "CON"}, "CON_.vcf"),
        ({"last_name": "com1"}, "com1_.vcf"),
        ({"last_name": "Nul.txt"}, "Nul_.txt.vcf"),
        ({"first_name": "Lpt9", "last_name": ".x"}, "Lpt9_.x.vcf"),  # "LPT9 .x" is "LPT9.x" to Windows
        ({"last_name": "CON .tar.gz"}, "CON_.tar.gz.vcf"),
        ({"first_name": "Jr.", "last_name": "..."}, "Jr.vcf"),
        ({"last_name": "a\x00b\tc\u202ed"}, "a b c d.vcf"),
        ({"last_name": " "}, "contact.vcf"),
        ({"last_name": "<>|*"}, "contact.vcf"),
        ({"first_name": "Zoë", "last_name": "Ångström"}, "Zoë Ångström.vcf"),
    ],
)
def test_safe_file_name_cases(kw: dict[str, str], name: str) -> None:
    assert vcard.safe_file_name(_named(**kw), set()) == name


def test_safe_file_name_length_and_existing_files() -> None:
    long = _named(last_name="x" * 300 + ". ")
    name = vcard.safe_file_name(long, set())
    assert len(name) == 120 and name.endswith("x.vcf")
    taken = {"Anna Schmidt.vcf"}
    assert vcard.safe_file_name(_named(first_name="ANNA", last_name="SCHMIDT"), taken) == "ANNA SCHMIDT (2).vcf"
    names = [vcard.safe_file_name(long, taken) for _ in range(12)]
    assert len(set(names)) == 12 and all(len(n) <= 120 for n in names)


def test_a_rejected_card_still_names_whose_card_it_was() -> None:
    import io

    from crmdesk.exchange import vcard as codec

    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Erika Mustermann\r\nPHOTO;ENCODING=b;TYPE=JPEG:@@@notbase64@@@\r\n"
        b"END:VCARD\r\nBEGIN:VCARD\r\nVERSION:9.9\r\nN:Doe;John;;;\r\nEND:VCARD\r\n"
    )
    results = list(codec.read_cards(io.BytesIO(data)))
    assert [(r.rejected, r.name) for r in results] == [(True, "Erika Mustermann"), (True, "John Doe")]
