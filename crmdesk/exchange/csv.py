"""CSV codec: people ⇄ the column layouts of Google Contacts and Outlook CSV exports (DESIGN §8, issue 3).

Column names as real exports write them (matched by name, not position), and where they were taken from:

* Google, current: First Name, Middle Name, Last Name, Phonetic …, Name Prefix, Name Suffix, Nickname, File As,
  Organization Name / Title / Department, Birthday, Notes, Photo, Labels, "E-mail 1 - Label", "E-mail 1 - Value",
  "Phone 1 - …", "Address 1 - Label / Formatted / Street / City / PO Box / Region / Postal Code / Country / Extended
  Address", "Website 1 - …", "Event 1 - …", "Custom Field 1 - Label / Value" — as quoted by public importers, e.g.
  sohamb117/ContactExtractor ``add-in/src/taskpane/api/consts.js`` (which spells "Email 1 - …"; both are read).
* Google, older: Name, Given Name, Additional Name, Family Name, Yomi …, Name Prefix, Name Suffix, Initials, …,
  Birthday, Gender, …, Notes, Group Membership, "E-mail 1 - Type / Value", …, "Organization 1 - Type / Name / …",
  "Website 1 - Type / Value" — the ``CSV_HEADER`` of public Android and web exporters writing that format.
* Outlook, English: Title, First Name, Middle Name, Last Name, Suffix, Company, Department, Job Title, Business
  Street (2, 3) / City / State / Postal Code / Country/Region (and Home …, Other …), Assistant's Phone, Business Fax,
  Business Phone (2), …, Mobile Phone, …, Birthday, Categories, E-mail Address, E-mail Type, E-mail Display Name,
  E-mail 2 Address, …, Notes, Web Page — Microsoft's "Create or edit .csv files to import into Outlook" as quoted
  in public code, and https://www.spstechnical.com/outlook_contacts_schema.htm. Google's "Outlook CSV" export has
  the same names in another order (First Name, Middle Name, Last Name, Title, Suffix, Initials, Web Page, …).
* Outlook, German: Anrede, Vorname, Weitere Vornamen, Nachname, Suffix, Firma, Abteilung, Position, Straße
  geschäftlich, …, Telefon geschäftlich, Telefon (privat), Mobiltelefon, …, E-Mail-Adresse, E-Mail-Typ, E-Mail:
  Angezeigter Name, E-Mail 2: Adresse, …, Geburtstag, Geschlecht, Kategorien, Notizen, Webseite — German Outlook
  exports' header as quoted by public converters and importers of such files.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import enum
import json
import logging
import re
import tempfile
import unicodedata
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import AnyStr, BinaryIO, NamedTuple, TextIO, TypeVar

from crmdesk.domain import validate
from crmdesk.domain.normalize import (
    EmailError,
    PhoneError,
    normalize_email,
    normalize_notes,
    normalize_phone,
    split_name_prefix,
)
from crmdesk.domain.normalize import normalize_text as _text
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.errors import ValidationError
from crmdesk.exchange.base import CardResult, UnreadableFile

__all__ = ["Layout", "detect_layout", "read_rows", "write_rows"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Layout(enum.StrEnum):
    """The column layouts crmdesk reads and writes."""

    GOOGLE = "google"
    OUTLOOK = "outlook"


# ---------------------------------------------------------------------------------------------------------------------
# Columns: what each header name means


class _Role(NamedTuple):
    """What a column holds. Columns with equal `kind` and `group` make one e-mail, phone, address, website,
    organisation or Google custom field; `part` says which part. Outlook columns carry the type of their phone or
    address (`type`, `private`: on the private card), Google ones have a label column instead."""

    kind: str
    group: str = ""
    part: str = ""
    type: str = ""
    private: bool = False
    favourite: bool = False


_CUSTOM = _Role("custom")


def _key(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


_W, _H, _M, _F, _O = PhoneType.WORK, PhoneType.HOME, PhoneType.MOBILE, PhoneType.FAX, PhoneType.OTHER
_AW, _AH, _AO = AddressType.WORK, AddressType.HOME, AddressType.OTHER

# fmt: off
_GOOGLE_SIMPLE = {
    "first name": _Role("first"), "given name": _Role("first"), "middle name": _Role("middle"),
    "additional name": _Role("middle"), "last name": _Role("last"), "family name": _Role("last"),
    "name prefix": _Role("prefix"), "name suffix": _Role("suffix"), "name": _Role("fullname"),
    "organization name": _Role("org", "1", "company"), "organization title": _Role("org", "1", "position"),
    "organization department": _Role("org", "1", "department"), "birthday": _Role("birthday"),
    "notes": _Role("notes"), "gender": _Role("gender"), "labels": _Role("tags"), "group membership": _Role("tags"),
}
_LABELLED = {"label": "label", "type": "label", "value": "value"}
_GOOGLE_GROUPS = {  # "<kind> <n> - <part>" → (kind, {part: our part})
    "e-mail": ("email", _LABELLED), "email": ("email", _LABELLED), "phone": ("phone", _LABELLED),
    "website": ("web", _LABELLED), "custom field": ("field", _LABELLED),
    "organization": ("org", {"name": "company", "title": "position", "department": "department"}),
    "address": ("addr", {"label": "label", "type": "label", "formatted": "formatted", "street": "street",
                         "extended address": "extended", "city": "city", "region": "region",
                         "postal code": "postcode", "country": "country"}),
}
_GOOGLE_ONLY = {"given name", "family name", "additional name", "name prefix", "name suffix", "organization name",
                "organization title", "organization department", "labels", "group membership",
                "phonetic first name", "file as", "yomi name"}
# Outlook phones: (type, on the private card, favourite, English and German names).
_OUTLOOK_PHONES = (
    (_W, False, False, ("Business Phone", "Business Phone 2", "Company Main Phone", "Telefon geschäftlich",
                        "Telefon geschäftlich 2", "Telefon Firma")),
    (_H, True, False, ("Home Phone", "Home Phone 2", "Telefon privat", "Telefon privat 2", "Telefon (privat)",
                       "Telefon (privat 2)")),
    (_M, False, False, ("Mobile Phone", "Car Phone", "Mobiltelefon", "Mobiltelefon 2", "Autotelefon")),
    (_F, False, False, ("Business Fax", "Other Fax", "Fax geschäftlich", "Weiteres Fax")),
    (_F, True, False, ("Home Fax", "Fax privat")),
    (_O, False, False, ("Other Phone", "Assistant's Phone", "Callback", "ISDN", "Pager", "Radio Phone",
                        "TTY/TDD Phone", "Telex", "Weiteres Telefon", "Telefon Assistent", "Rückmeldung",
                        "Telefon für Hörbehinderte")),
    (_O, False, True, ("Primary Phone", "Haupttelefon")),
)
_OUTLOOK_SIMPLE: tuple[tuple[str, tuple[str, ...]], ...] = (  # (kind or org part, English and German names)
    ("prefix", ("Title", "Anrede")), ("first", ("First Name", "Vorname")),
    ("middle", ("Middle Name", "Weitere Vornamen")), ("last", ("Last Name", "Nachname")), ("suffix", ("Suffix",)),
    ("company", ("Company", "Firma")), ("department", ("Department", "Abteilung")),
    ("position", ("Job Title", "Position")), ("birthday", ("Birthday", "Geburtstag")),
    ("notes", ("Notes", "Notizen")), ("tags", ("Categories", "Kategorien")), ("gender", ("Gender", "Geschlecht")),
    ("skip", ("Initials", "Initialen", "E-Mail-Typ", "E-Mail: Angezeigter Name", "E-Mail 2: Typ",
              "E-Mail 2: Angezeigter Name", "E-Mail 3: Typ", "E-Mail 3: Angezeigter Name")),
)
_GERMAN_ADDRESSES = {
    "business": ("Straße geschäftlich", "Straße geschäftlich 2", "Straße geschäftlich 3", "Ort geschäftlich",
                 "Region geschäftlich", "Postleitzahl geschäftlich", "Land/Region geschäftlich"),
    "home": ("Straße privat", "Straße privat 2", "Straße privat 3", "Ort privat", "Bundesland/Kanton privat",
             "Postleitzahl privat", "Land/Region privat"),
    "other": ("Weitere Straße", "Weitere Straße 2", "Weitere Straße 3", "Weiterer Ort",
              "Weiteres/r Bundesland/Kanton", "Weitere Postleitzahl", "Weiteres/e Land/Region"),
}
_ADDRESS_KINDS = {"business": (_AW, False), "home": (_AH, True), "other": (_AO, False)}
_ADDRESS_PARTS = {"street": "street", "street 2": "street2", "street 3": "street3", "city": "city",
                  "state": "region", "postal code": "postcode", "country/region": "country", "country": "country",
                  "address": "formatted"}
_PHONE_BASES = {"business phone": (_W, False), "home phone": (_H, True), "mobile phone": (_M, False),
                "other phone": (_O, False), "business fax": (_F, False), "home fax": (_F, True),
                "other fax": (_F, False)}
# Columns write_rows adds when Outlook's own are full ("Mobile Phone 2", "Business 2 Street", ...), matched by name.
_OUTLOOK_PATTERNS = (
    (re.compile(r"(?P<kind>business|home|other)(?: (?P<n>\d+))? (?P<part>street(?: [23])?|city|state|postal code"
                r"|country/region|country|address)"), "addr"),
    (re.compile(r"(?P<base>business phone|home phone|mobile phone|other phone|business fax|home fax|other fax) \d+"),
     "phone"),
    (re.compile(r"e-mail (?P<n>\d+) address"), "email"),
    (re.compile(r"e-mail(?: \d+)? (?:type|display name)"), "skip"),
    (re.compile(r"web page (?P<n>\d+)"), "web"),
    (re.compile(r"(?P<part>company|job title|department) (?P<n>\d+)"), "org"),
)
# What Outlook writes for "nothing": dropped rather than kept as custom fields.
_NO_DATE = {"0/0/00", "0.0.00", "00.00.00", "0/0/0000", "00.00.0000"}
_OUTLOOK_DEFAULTS = {"priority": {"normal"}, "priorität": {"normal"}, "sensitivity": {"normal"},
                     "vertraulichkeit": {"normal"}, "private": {"false"}, "privat": {"aus"},
                     "gender": {"unspecified"}, "geschlecht": {"nicht angegeben"}, "birthday": _NO_DATE,
                     "geburtstag": _NO_DATE, "anniversary": _NO_DATE, "jahrestag": _NO_DATE}
_SHARED = ("birthday", "notes", "gender")  # role kinds both layouts have
# fmt: on


def _outlook_table() -> dict[str, _Role]:
    table: dict[str, _Role] = {}
    for kind, headers in _OUTLOOK_SIMPLE:
        role = _Role("org", "1", kind) if kind in ("company", "department", "position") else _Role(kind)
        table |= {_key(h): role for h in headers}
    emails = {"E-mail Address": "1", "E-Mail-Adresse": "1", "E-Mail 2: Adresse": "2", "E-Mail 3: Adresse": "3"}
    table |= {_key(h): _Role("email", n, "value") for h, n in emails.items()}
    table |= {_key(h): _Role("web", _key(h), "value") for h in ("Web Page", "Webseite", "Personal Web Page")}
    for ptype, private, favourite, headers in _OUTLOOK_PHONES:
        table |= {_key(h): _Role("phone", _key(h), "value", ptype, private, favourite) for h in headers}
    parts = ("street", "street2", "street3", "city", "region", "postcode", "country")
    for kind, names in _GERMAN_ADDRESSES.items():
        atype, private = _ADDRESS_KINDS[kind]
        table |= {_key(h): _Role("addr", kind, part, atype, private) for h, part in zip(names, parts, strict=True)}
    return table


_OUTLOOK_TABLE = _outlook_table()


def _outlook_role(key: str) -> _Role:
    if key in _OUTLOOK_TABLE:
        return _OUTLOOK_TABLE[key]
    for pattern, kind in _OUTLOOK_PATTERNS:
        if m := pattern.fullmatch(key):
            g = m.groupdict()
            if kind == "addr":
                atype, private = _ADDRESS_KINDS[g["kind"]]
                return _Role("addr", g["kind"] + (g["n"] or ""), _ADDRESS_PARTS[g["part"]], atype, private)
            if kind == "phone":
                return _Role("phone", key, "value", *_PHONE_BASES[g["base"]])
            if kind == "org":
                return _Role("org", g["n"], {"job title": "position"}.get(g["part"], g["part"]))
            return _Role(kind, g.get("n") or "", "value")
    return _CUSTOM


def _google_role(key: str) -> _Role:
    if key in _GOOGLE_SIMPLE:
        return _GOOGLE_SIMPLE[key]
    m = re.fullmatch(r"(?P<kind>.+?) (?P<n>\d+) - (?P<part>.+)", key)
    if m and m["kind"] in _GOOGLE_GROUPS:
        kind, parts = _GOOGLE_GROUPS[m["kind"]]
        if m["part"] in parts:
            return _Role(kind, m["n"], parts[m["part"]])
    return _CUSTOM


def detect_layout(header: Sequence[str]) -> Layout | None:
    """The layout a CSV header row is written in.

    A header is Google's if it has a name column and more columns only Google writes ("Given Name", "Labels",
    "E-mail 1 - Value", ...) than columns only Outlook writes ("E-mail Address", "Business Phone", "Firma", ...);
    Outlook's the other way round. Case and spacing of the names do not matter.

    Args:
        header: The column names of the first row.

    Returns:
        The layout, or None when the header is neither (no name column, or nothing to tell the layouts apart).
    """
    keys = {_key(h) for h in header}
    if not keys & {"first name", "last name", "given name", "family name", "name", "vorname", "nachname"}:
        return None
    google = sum(1 for k in keys if k in _GOOGLE_ONLY or _google_role(k).kind in ("email", "phone", "addr", "org"))
    outlook = sum(1 for k in keys if _outlook_role(k).kind not in ("custom", "first", "middle", "last", *_SHARED))
    if google != outlook:
        return Layout.GOOGLE if google > outlook else Layout.OUTLOOK
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Reading: bytes → lines of text


_CHUNK = 1 << 16
_MAX_LINE = 1 << 22  # no contacts export has a 4 MiB line; a file that has one is no CSV export


def _to_cp1252(bad: bytes) -> str:
    """Bytes read as Windows-1252; the five bytes it leaves undefined as Latin-1."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are no UTF-8 are read as Windows-1252."""
    assert isinstance(exc, UnicodeDecodeError)
    return _to_cp1252(exc.object[exc.start : exc.end]), exc.end


codecs.register_error("crmdesk-csv-cp1252", _fallback)


def _split_lines(chunks: Iterable[AnyStr], eol: re.Pattern[AnyStr], cr: AnyStr, name: str) -> Iterator[AnyStr]:
    """Physical lines with their line ends (CR LF, LF or a lone CR) from chunks of text or bytes."""
    rest: AnyStr | None = None
    for chunk in chunks:
        buf = chunk if rest is None else rest + chunk
        scan, start = (len(rest) - 1 if rest else 0), 0  # `rest` has no line end, but perhaps a CR last
        for m in eol.finditer(buf, scan):
            if m.end() == len(buf) and m.group() == cr:  # perhaps the first half of CR LF
                break
            yield buf[start : m.end()]
            start = m.end()
        rest = buf[start:]
        if len(rest) > _MAX_LINE:
            raise UnreadableFile(f"{name} has a line of more than 4 MB: it is no CSV export.")
    if rest:
        yield rest


class _Source:
    """The lines of a file, read chunk by chunk; the encoding is chosen from the first chunk (64 KiB).

    UTF-8 with or without BOM, unless the first chunk is no valid UTF-8: then Windows-1252 (old "ANSI" Outlook
    exports). UTF-16 with a BOM (Outlook's "Unicode" export), or without one when every other byte is NUL. In a
    UTF-8 file, a later line that is no UTF-8 is read as Windows-1252 and its number kept in `fallback_lines`.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream, self._name = stream, name
        self.fallback_lines: set[int] = set()
        first = self._read()
        if first[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            self.encoding = "utf-16-le" if first[:2] == codecs.BOM_UTF16_LE else "utf-16-be"
            first = first[2:]
        elif b"\x00" in first:
            self.encoding = self._utf16_without_bom(first)
        else:
            first = first.removeprefix(codecs.BOM_UTF8)
            try:
                codecs.getincrementaldecoder("utf-8")().decode(first, final=False)
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                self.encoding = "cp1252"
        self._first = first

    def _utf16_without_bom(self, data: bytes) -> str:
        even, odd = data[:4096:2], data[1:4096:2]
        nul_even, nul_odd = even.count(0) / max(1, len(even)), odd.count(0) / max(1, len(odd))
        if nul_odd > 0.4 and nul_even < 0.05:
            return "utf-16-le"
        if nul_even > 0.4 and nul_odd < 0.05:
            return "utf-16-be"
        raise UnreadableFile(f"{self._name} is a binary file, not CSV text.")

    def _read(self) -> bytes:
        try:
            return self._stream.read(_CHUNK) or b""
        except (OSError, ValueError) as exc:
            raise UnreadableFile(f"{self._name} could not be read: {exc}.") from exc

    def _chunks(self) -> Iterator[bytes]:
        yield self._first
        while chunk := self._read():
            yield chunk

    def lines(self) -> Iterator[str]:
        if self.encoding.startswith("utf-16"):
            decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
            texts = chain((decoder.decode(c) for c in self._chunks()), [decoder.decode(b"", final=True)])
            yield from _split_lines(texts, re.compile(r"\r\n|\r|\n"), "\r", self._name)
            return
        for number, raw in enumerate(_split_lines(self._chunks(), re.compile(rb"\r\n|\r|\n"), b"\r", self._name), 1):
            if self.encoding == "cp1252":
                yield _to_cp1252(raw)
                continue
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.fallback_lines.add(number)
                yield raw.decode("utf-8", errors="crmdesk-csv-cp1252")


def _delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of comma, semicolon and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    best = max((",", ";", "\t"), key=outside.count)
    return best if outside.count(best) else ","


# ---------------------------------------------------------------------------------------------------------------------
# Reading: one row → a record


_SYSTEM_GROUPS = {"* mycontacts", "* my contacts", "* starred"}
_EMAIL_LABELS = {"work": EmailType.WORK, "home": EmailType.HOME, "other": EmailType.OTHER}
_PHONE_LABELS = {"work": (_W, False), "home": (_H, True), "mobile": (_M, False), "cell": (_M, False),
                 "work fax": (_F, False), "home fax": (_F, True), "fax": (_F, False), "other fax": (_F, False),
                 "other": (_O, False)}  # fmt: skip
_ADDRESS_LABELS = {"work": (_AW, False), "home": (_AH, True), "other": (_AO, False),
                   "postal": (AddressType.POSTAL, False)}  # fmt: skip
_STREETS = ("street", "street2", "street3", "extended")


def _parse_birthday(text: str) -> Birthday:
    """Google `1985-04-12` / ` --04-12`, Outlook `4/12/1985` (US) and `12.4.1985` (German); a time after is ignored.

    Raises:
        ValueError: The text is no such date.
    """
    t = text.strip().split(" ")[0]
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", t):
        month, day, year = int(m[1]), int(m[2]), m[3]
    elif m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", t):
        day, month, year = int(m[1]), int(m[2]), m[3]
    else:
        return Birthday.parse(t)
    full = int(year)
    if len(year) == 2:  # a two-digit year: the latest year ending in these digits
        today = date.today().year
        full = today - (today - full) % 100
    return Birthday(month=month, day=day, year=full)


def _split(value: str, separator: str = ":::") -> list[str]:
    return [v.strip() for v in value.split(separator) if v.strip()]


_Cell = tuple[str, str, _Role]  # header, value, role
_Parts = dict[str, _Cell]


@dataclass
class _Row:
    """One row sorted into fields as it is read; `custom` and `warnings` gather what does not fit a field."""

    region: str
    names: dict[str, str] = field(default_factory=dict)
    groups: dict[tuple[str, str], _Parts] = field(default_factory=dict)
    emails: list[tuple[Email, bool]] = field(default_factory=list)  # (e-mail, for the private card)
    phones: list[tuple[Phone, bool]] = field(default_factory=list)
    unchecked_phones: list[tuple[str, Phone, bool]] = field(default_factory=list)  # (header, phone, private)
    addresses: list[tuple[Address, bool]] = field(default_factory=list)
    orgs: dict[int, dict[str, str]] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    birthday: Birthday | None = None
    notes: str = ""
    gender: str = ""
    custom: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def keep(self, header: str, value: str, why: str) -> None:
        """Keep a value that cannot go into its field as a custom field, and say `why` (a clause)."""
        self.custom.append((header, value))
        self.warnings.append(f"Column “{header}”: {why}; the value is kept as a custom field.")

    def fits(self, header: str, value: str, limit: int, text: str = "") -> bool:
        """Whether `text` (default: `value`) has at most `limit` characters; if not, `value` is kept."""
        if len(text or value) <= limit:
            return True
        self.keep(header, value, f"{len(text or value)} characters are more than the {limit} allowed")
        return False

    def email(self, header: str, value: str, etype: EmailType, *, favourite: bool) -> None:
        try:
            normalize_email(value)
        except EmailError as exc:
            self.keep(header, value, str(exc))
            return
        self.emails.append((Email(value, etype, favourite), etype is EmailType.HOME))

    def phone(self, header: str, value: str, ptype: PhoneType, *, favourite: bool, private: bool) -> None:
        self.unchecked_phones.append((header, Phone(value, ptype, favourite), private))

    def check_phones(self) -> None:
        """Keep each phone that is a number where its card is — in the country of that card's address, else in the
        region (so "(212) 555-0100" with a US address is a number even in DE) — and keep the others as written."""
        for header, phone, private in self.unchecked_phones:
            region = validate.region_of([a for a, home in self.addresses if home is private], self.region)
            try:
                normalize_phone(phone.number, region=region)
            except PhoneError as exc:
                self.keep(header, phone.number, str(exc))
                continue
            self.phones.append((phone, private))
        self.unchecked_phones.clear()


def _label(parts: _Parts) -> tuple[str, bool]:
    """A Google label casefolded without its "* " (primary) mark, and whether it had the mark."""
    text = parts["label"][1].strip() if "label" in parts else ""
    favourite = text.startswith("*")
    label = _key(text.lstrip("* "))
    return ("", True) if label == "primary" else (label, favourite)


class _Reader:
    """Turns the rows of one file into CardResults."""

    def __init__(self, header: Sequence[str], layout: Layout, region: str) -> None:
        self.header = [h.replace("\ufeff", "").strip() for h in header]
        self.layout, self.region = layout, region
        self.roles = [(_google_role if layout is Layout.GOOGLE else _outlook_role)(_key(h)) for h in self.header]
        self._groups = {"email": self._email, "phone": self._phone, "addr": self._address, "web": self._web,
                        "org": self._org, "field": self._field}  # fmt: skip

    def convert(self, cells: Sequence[str], number: int, line: int) -> CardResult:
        row = _Row(self.region)
        for header, value, role in zip(self.header, cells, self.roles, strict=False):
            if value.strip():
                self._cell(row, header, value, role)
        for (kind, group), parts in row.groups.items():
            self._groups[kind](row, group, parts)
        row.check_phones()  # once the addresses are known
        return self._result(row, number, line)

    def _cell(self, row: _Row, header: str, value: str, role: _Role) -> None:
        if self.layout is Layout.OUTLOOK and _key(value) in _OUTLOOK_DEFAULTS.get(_key(header), ()):
            return
        kind = role.kind
        if kind in ("first", "middle", "last", "prefix", "suffix", "fullname"):
            if row.fits(header, value, validate.MAX_NAME, _text(value)):
                row.names[kind] = _text(value)
        elif kind in self._groups:
            row.groups.setdefault((kind, role.group), {})[role.part] = (header, value, role)
        elif kind == "birthday":
            try:
                row.birthday = _parse_birthday(value)
            except ValueError:
                row.keep(header, value, f"“{value.strip()}” is no date")
        elif kind == "notes":
            if row.fits(header, value, validate.MAX_NOTES, normalize_notes(value)):
                row.notes = value
        elif kind == "gender":
            if row.fits(header, value, validate.MAX_FIELD, _text(value)):
                row.gender = value
        elif kind == "tags":
            if self.layout is Layout.GOOGLE:  # "* myContacts ::: Friends"; "* " marks Google's own groups
                tags = [t.removeprefix("* ") for t in _split(value) if _key(t) not in _SYSTEM_GROUPS]
            else:
                tags = _split(value, ";")
            row.tags.extend(t for t in tags if row.fits(header, t, validate.MAX_TAG, _text(t)))
        elif kind == "custom":
            row.custom.append((header, value))

    def _keep_label(self, row: _Row, parts: _Parts, known: Container[str]) -> str:
        """The label of a Google group; one crmdesk has no type for ("Uni", "Main") is also kept as custom field."""
        label, _ = _label(parts)
        if label and label not in known:
            row.custom.append(parts["label"][:2])
        return label

    def _email(self, row: _Row, group: str, parts: _Parts) -> None:
        label, favourite = self._keep_label(row, parts, _EMAIL_LABELS), _label(parts)[1]
        default = EmailType.OTHER if self.layout is Layout.GOOGLE else EmailType.WORK  # Outlook has no types
        if "value" in parts:
            header, value, _ = parts["value"]
            for i, address in enumerate(_split(value)):
                row.email(header, address, _EMAIL_LABELS.get(label, default), favourite=favourite and i == 0)

    def _phone(self, row: _Row, group: str, parts: _Parts) -> None:
        label, favourite = self._keep_label(row, parts, _PHONE_LABELS), _label(parts)[1]
        if "value" not in parts:
            return
        header, value, role = parts["value"]
        if self.layout is Layout.OUTLOOK:
            row.phone(header, value, PhoneType(role.type), favourite=role.favourite, private=role.private)
            return
        ptype, private = _PHONE_LABELS.get(label, (_O, False))
        for i, number in enumerate(_split(value)):
            row.phone(header, number, ptype, favourite=favourite and i == 0, private=private)

    def _address(self, row: _Row, group: str, parts: _Parts) -> None:
        role = next(iter(parts.values()))[2]
        if self.layout is Layout.OUTLOOK:
            atype, private, favourite = AddressType(role.type), role.private, False
        else:
            label, favourite = self._keep_label(row, parts, _ADDRESS_LABELS), _label(parts)[1]
            atype, private = _ADDRESS_LABELS.get(label, (_AO, False))
        values: dict[str, str] = {}
        for part, (header, value, _) in parts.items():
            if part in (*_STREETS, "city", "region", "postcode", "country"):
                text = normalize_notes(value) if part in _STREETS else _text(value)
                if text and row.fits(header, value, validate.MAX_FIELD, text):
                    values[part] = text
        street = "\n".join(values.pop(p) for p in _STREETS if p in values)
        if not street and not values and "formatted" in parts:  # Google's one-text form only: it is the street
            header, value, _ = parts["formatted"]
            if row.fits(header, value, validate.MAX_FIELD, normalize_notes(value)):
                street = normalize_notes(value)
        if len(street) > validate.MAX_FIELD:  # each line fits, together they do not
            for header, value, _ in (parts[p] for p in _STREETS if p in parts):
                row.keep(header, value, f"the street has more than the {validate.MAX_FIELD} characters allowed")
            street = ""
        address = Address(street=street, type=atype, favourite=favourite, **values)
        if not address.is_empty():
            row.addresses.append((address, private))

    def _web(self, row: _Row, group: str, parts: _Parts) -> None:
        if "label" in parts:  # crmdesk keeps URLs without a label
            row.custom.append(parts["label"][:2])
        if "value" in parts:
            row.urls.extend(_split(parts["value"][1]))

    def _org(self, row: _Row, group: str, parts: _Parts) -> None:
        org = row.orgs.setdefault(int(group or "1"), {})
        for part, (header, value, _) in parts.items():
            if row.fits(header, value, validate.MAX_NAME, _text(value)):
                org[part] = _text(value)

    def _field(self, row: _Row, group: str, parts: _Parts) -> None:
        label = parts["label"][1].strip() if "label" in parts else ""
        if "value" in parts:
            row.custom.append((label or "Custom Field", parts["value"][1]))
        elif label:
            row.custom.append(parts["label"][:2])

    def _result(self, row: _Row, number: int, line: int) -> CardResult:
        names = row.names
        full = names.pop("fullname", "")
        if full and not (names.get("first") or names.get("last")):
            names["first"], _, names["last"] = full.rpartition(" ")  # one word: a last name
        elif full and full not in (
            " ".join(names[k] for k in ("first", "middle", "last") if k in names),
            " ".join(names[k] for k in ("prefix", "first", "middle", "last", "suffix") if k in names),
        ):
            row.custom.append((self.header[self.roles.index(_Role("fullname"))], full))
        orgs = [row.orgs[n] for n in sorted(row.orgs) if row.orgs[n]]
        if not (names.get("first") or names.get("last")):
            if orgs and orgs[0].get("company"):
                return self._company(row, orgs, number, line)
            error = "The row has no first, last or full name and no company."
            return CardResult(number, line, error=error, warnings=tuple(row.warnings))
        salutation, title = _split_prefix(names.get("prefix", ""))
        person = PersonRecord(
            salutation=salutation,
            title=title,
            first_name=names.get("first", ""),
            middle_name=names.get("middle", ""),
            last_name=names.get("last", ""),
            suffix=names.get("suffix", ""),
            gender=row.gender,
            birthday=row.birthday,
            notes=row.notes,
            tags=tuple(row.tags),
            custom=tuple(row.custom),
            cards=_cards(row, orgs),
            urls=tuple(row.urls),
        )
        try:
            person = validate.check_person(person, region=self.region)
        except ValidationError as exc:
            error = f"The person cannot be stored: {'; '.join(f'{k}: {v}' for k, v in exc.problems.items())}."
            return CardResult(number, line, error=error, warnings=tuple(row.warnings))
        return CardResult(number, line, person=person, warnings=tuple(row.warnings))

    def _company(self, row: _Row, orgs: list[dict[str, str]], number: int, line: int) -> CardResult:
        """A row that names only an organisation: a company with the row's contact data, notes and tags."""
        website = row.urls[0] if row.urls else ""
        if validate.company_problems(CompanyRecord(name="-", website=website)):
            website = ""
        left = [h for h, _ in row.custom] + [u for u in row.urls if u != website]
        left += ["position"] * ("position" in orgs[0]) + ["department"] * ("department" in orgs[0])
        left += ["further organisations"] * (len(orgs) > 1) + ["birthday"] * bool(row.birthday)
        warnings = list(row.warnings)
        if left:
            warnings.append(f"A company has no field for {', '.join(dict.fromkeys(left))}: left out.")
        company = CompanyRecord(
            name=orgs[0]["company"],
            website=website,
            notes=row.notes,
            tags=tuple(row.tags),
            emails=tuple(e for e, _ in row.emails),
            phones=tuple(p for p, _ in row.phones),
            addresses=tuple(a for a, _ in row.addresses),
        )
        try:
            company = validate.check_company(company, region=self.region)
        except ValidationError as exc:
            error = f"The company cannot be stored: {'; '.join(f'{k}: {v}' for k, v in exc.problems.items())}."
            return CardResult(number, line, error=error, warnings=tuple(warnings))
        return CardResult(number, line, company=company, warnings=tuple(warnings))


_split_prefix = split_name_prefix  # the one rule every codec uses


def _pick(found: list[tuple[_T, bool]], private: bool) -> tuple[_T, ...]:
    return tuple(x for x, home in found if home is private)


def _cards(row: _Row, orgs: list[dict[str, str]]) -> tuple[BusinessCardRecord, ...]:
    """The business card (first organisation, every item not for home), one card per further organisation, and
    the private card with the home items (only if there are any)."""
    cards = [
        BusinessCardRecord(company_name=o.get("company", ""), position=o.get("position", ""),
                           department=o.get("department", ""))
        for o in orgs or [{}]
    ]  # fmt: skip
    work = _pick(row.emails, False), _pick(row.phones, False), _pick(row.addresses, False)
    if orgs or any(work):
        cards[0] = dataclasses.replace(cards[0], emails=work[0], phones=work[1], addresses=work[2], favourite=True)
    else:
        cards = []
    home = _pick(row.emails, True), _pick(row.phones, True), _pick(row.addresses, True)
    if any(home):
        cards.append(BusinessCardRecord(private=True, emails=home[0], phones=home[1], addresses=home[2]))
    return tuple(cards)


def read_rows(stream: BinaryIO, *, region: str = "DE", source: str = "") -> Iterator[CardResult]:
    """Read a Google Contacts or Outlook CSV export, one row at a time.

    The encoding (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252), the delimiter (comma, semicolon or
    tab, from the header line; an Excel ``sep=`` line first is honoured) and the layout (`detect_layout`) are found
    when this is called; the rows are read as the result is iterated. Each row with content gives one CardResult:
    a person (normalised by `validate.check_person`), a company (a row naming only an organisation), or a rejection
    with a one-sentence reason. A value the store would refuse (an e-mail or phone the domain rejects, a field too
    long, a date that is none) is kept in `custom` as (column header, value) with a warning. Blank rows are skipped.

    Args:
        stream: The file, opened in binary mode.
        region: Country assumed for phone numbers without a country code.
        source: The file's name, for messages.

    Returns:
        The rows, lazily; `number` counts data rows from 1, `line` is the physical line a row starts on.

    Raises:
        UnreadableFile: The file is empty, binary, a vCard, or its header is neither layout (the message lists the
            columns expected); while iterating, if the file cannot be read further. Nothing else is ever raised.
    """
    name = source or "The file"
    src = _Source(stream, name)
    lines = src.lines()
    skipped, sep, header_line = 0, "", ""
    for text in lines:
        if m := re.fullmatch(r"(?i)sep=([^\r\n])\r?\n?", text.strip("\ufeff")):
            sep = m[1]
        elif not text.strip(" \t\r\n\ufeff"):
            pass
        else:
            header_line = text.lstrip("\ufeff")
            break
        skipped += 1
    else:
        raise UnreadableFile(f"{name} is empty.")
    if header_line.lstrip().upper().startswith("BEGIN:VCARD"):
        raise UnreadableFile(f"{name} is a vCard file, not CSV.", hints=("Import it as a vCard file.",))
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in header_line):
        raise UnreadableFile(f"{name} is a binary file, not CSV text.")
    sep = sep or _delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=sep), [])
    except csv.Error as exc:
        raise UnreadableFile(f"{name} has no readable header row ({exc}).") from None
    layout = detect_layout(header)
    if layout is None:
        shown = ", ".join(h.strip() for h in header[:6]) + (", …" if len(header) > 6 else "")
        raise UnreadableFile(
            f"{name} is no Google Contacts or Outlook CSV export: its header ({shown}) lacks the expected columns "
            "— Google: First Name, Last Name, E-mail 1 - Value, Phone 1 - Value, Organization Name, Labels; "
            "Outlook: First Name, Last Name, Company, E-mail Address, Business Phone, Mobile Phone "
            "(German: Vorname, Nachname, Firma, E-Mail-Adresse, Telefon geschäftlich, Mobiltelefon).",
            hints=("Export the contacts again as “Google CSV” or “Outlook CSV”.",),
        )
    return _rows(src, chain([header_line], lines), sep, _Reader(header, layout, region), skipped)


def _rows(src: _Source, lines: Iterator[str], sep: str, reader: _Reader, offset: int) -> Iterator[CardResult]:
    table = csv.reader(lines, delimiter=sep)
    next(table)  # the header, read before
    width, number = len(reader.header), 0
    while True:
        start = offset + table.line_num + 1
        try:
            cells = next(table)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield CardResult(number, start, error=f"The row is no valid CSV ({exc}).")
            continue
        if not any(c.strip() for c in cells):
            continue
        number += 1
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            yield CardResult(number, start, error=f"The row has {len(cells)} fields, but the header only {width}.")
            continue
        try:
            result = reader.convert(cells, number, start)
        except Exception as exc:  # a bug must not end the import: this row is reported, the others go in
            _log.exception("CSV row %d (line %d) could not be converted", number, start)
            result = CardResult(number, start, error=f"The row could not be read ({type(exc).__name__}: {exc}).")
        if src.fallback_lines.intersection(range(start, offset + table.line_num + 1)):
            note = "Characters that are no UTF-8 were read as Windows-1252."
            result = dataclasses.replace(result, warnings=(*result.warnings, note))
        yield result


# ---------------------------------------------------------------------------------------------------------------------
# Writing

# fmt: off
_GOOGLE_HEAD = ("First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name",
                "Phonetic Last Name", "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name",
                "Organization Title", "Organization Department", "Birthday", "Notes", "Photo", "Labels")
_GOOGLE_NUMBERED = (("E-mail", ("Label", "Value")), ("Phone", ("Label", "Value")),
                    ("Address", ("Label", "Formatted", "Street", "City", "PO Box", "Region", "Postal Code", "Country",
                                 "Extended Address")),
                    ("Organization", ("Name", "Title", "Department")), ("Website", ("Label", "Value")))
# Custom fields with these headers go back to their own column (when free): Google's columns crmdesk keeps as custom.
_GOOGLE_OWN = {_key(h) for h in (*_GOOGLE_HEAD, "Gender", "Yomi Name", "Given Name Yomi", "Additional Name Yomi",
                                 "Family Name Yomi", "Initials", "Short Name", "Maiden Name", "Location",
                                 "Billing Information", "Directory Server", "Mileage", "Occupation", "Hobby",
                                 "Sensitivity", "Priority", "Subject", "Language")}
_GENERATED = re.compile(r"(?i)(e-?mail|phone|address|organization|website|custom field) \d+ - .*")
_OUTLOOK_HEAD = (
    "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title",
    "Business Street", "Business Street 2", "Business Street 3", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street", "Home Street 2", "Home Street 3", "Home City",
    "Home State", "Home Postal Code", "Home Country/Region", "Other Street", "Other Street 2", "Other Street 3",
    "Other City", "Other State", "Other Postal Code", "Other Country/Region", "Assistant's Phone", "Business Fax",
    "Business Phone", "Business Phone 2", "Callback", "Car Phone", "Company Main Phone", "Home Fax", "Home Phone",
    "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax", "Other Phone", "Pager", "Primary Phone", "Radio Phone",
    "TTY/TDD Phone", "Telex", "Account", "Anniversary", "Assistant's Name", "Billing Information", "Birthday",
    "Business Address PO Box", "Categories", "Children", "Directory Server", "E-mail Address", "E-mail Type",
    "E-mail Display Name", "E-mail 2 Address", "E-mail 2 Type", "E-mail 2 Display Name", "E-mail 3 Address",
    "E-mail 3 Type", "E-mail 3 Display Name", "Gender", "Government ID Number", "Hobby", "Home Address PO Box",
    "Initials", "Internet Free Busy", "Keywords", "Language", "Location", "Manager's Name", "Mileage", "Notes",
    "Office Location", "Organizational ID Number", "Other Address PO Box", "Priority", "Private", "Profession",
    "Referred By", "Sensitivity", "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page",
)
_EMAIL_LABEL = {EmailType.WORK: "Work", EmailType.HOME: "Home", EmailType.OTHER: "Other"}
_PHONE_LABEL = {_W: "Work", _H: "Home", _M: "Mobile", _O: "Other"}
_ADDRESS_LABEL = {_AW: "Work", _AH: "Home", _AO: "Other", AddressType.POSTAL: "Postal"}
_PHONE_COLUMN = {_W: "Business Phone", _H: "Home Phone", _M: "Mobile Phone", _O: "Other Phone"}
# fmt: on
_SPOOL = 8 << 20


def _prefix(p: PersonRecord) -> str:
    return " ".join(x for x in (p.salutation, p.title) if x)


def _orgs(p: PersonRecord) -> list[BusinessCardRecord]:
    return [c for c in p.cards if c.company_name or c.position or c.department]


def _google_cells(p: PersonRecord, need: dict[str, int]) -> dict[str, str]:
    """One person's cells by column name; `need` gathers how many numbered groups of each kind the file needs."""
    cells = {"First Name": p.first_name, "Middle Name": p.middle_name, "Last Name": p.last_name,
             "Name Prefix": _prefix(p), "Name Suffix": p.suffix, "Notes": p.notes, "Gender": p.gender,
             "Labels": " ::: ".join(("* myContacts", *p.tags))}  # fmt: skip
    if p.birthday:
        cells["Birthday"] = p.birthday.iso() if p.birthday.year else f" {p.birthday.iso()}"  # Google's " --MM-DD"

    def group(kind: str, n: int, **parts: str) -> None:
        need[kind] = max(need.get(kind, 0), n)
        cells.update({f"{kind} {n} - {part.replace('_', ' ')}": value for part, value in parts.items()})

    for i, org in enumerate(_orgs(p), 1):
        if i == 1:
            cells |= {"Organization Name": org.company_name, "Organization Title": org.position,
                      "Organization Department": org.department}  # fmt: skip
        else:  # the older export's numbered organisations: further business cards
            group("Organization", i, Name=org.company_name, Title=org.position, Department=org.department)
    star = ("", "* ")  # Google marks the primary value of a kind
    for i, e in enumerate((e for c in p.cards for e in c.emails), 1):
        group("E-mail", i, Label=star[e.favourite] + _EMAIL_LABEL[e.type], Value=e.address)
    for i, (ph, private) in enumerate(((ph, c.private) for c in p.cards for ph in c.phones), 1):
        label = ("Home Fax" if private else "Work Fax") if ph.type is _F else _PHONE_LABEL[ph.type]
        group("Phone", i, Label=star[ph.favourite] + label, Value=ph.number)
    for i, a in enumerate((a for c in p.cards for a in c.addresses), 1):
        formatted = "\n".join(x for x in (a.street, f"{a.postcode} {a.city}".strip(), a.region, a.country) if x)
        group("Address", i, Label=star[a.favourite] + _ADDRESS_LABEL[a.type], Formatted=formatted, Street=a.street,
              City=a.city, Region=a.region, Postal_Code=a.postcode, Country=a.country)  # fmt: skip
    for i, url in enumerate(p.urls, 1):
        group("Website", i, Value=url)
    n = 0
    for header, value in p.custom:
        own = _key(header) in _GOOGLE_OWN or (_google_role(_key(header)) is _CUSTOM and " - " in header)
        if own and not _GENERATED.fullmatch(header) and not cells.get(header):
            cells[header] = value
        else:
            n += 1
            cells |= {f"Custom Field {n} - Label": header, f"Custom Field {n} - Value": value}
    need["Custom Field"] = max(need.get("Custom Field", 0), n)
    return cells


def _outlook_cells(p: PersonRecord) -> dict[str, str]:
    """One person's cells by column name: Outlook's columns first, further ones in Outlook's naming."""
    cells = {"Title": _prefix(p), "First Name": p.first_name, "Middle Name": p.middle_name, "Last Name": p.last_name,
             "Suffix": p.suffix, "Notes": p.notes, "Categories": ";".join(p.tags), "Gender": p.gender}  # fmt: skip
    if b := p.birthday:
        cells["Birthday"] = f"{b.month}/{b.day}/{b.year:04d}" if b.year else b.iso()  # Outlook has no yearless form

    def nth(base: str, n: int, numbered: str = "{base} {n}") -> str:
        return base if n == 1 else numbered.format(base=base, n=n)

    for i, org in enumerate(_orgs(p), 1):
        cells |= {nth("Company", i): org.company_name, nth("Job Title", i): org.position,
                  nth("Department", i): org.department}  # fmt: skip
    for i, e in enumerate((e for c in p.cards for e in c.emails), 1):
        cells[nth("E-mail Address", i, "E-mail {n} Address")] = e.address
        if i <= 3:
            cells[nth("E-mail Type", i, "E-mail {n} Type")] = "SMTP"
            cells[nth("E-mail Display Name", i, "E-mail {n} Display Name")] = f"{p.display_name} ({e.address})"
    used: dict[str, int] = {}
    for c in p.cards:
        for ph in c.phones:
            base = ("Home Fax" if c.private else "Business Fax") if ph.type is _F else _PHONE_COLUMN[ph.type]
            used[base] = used.get(base, 0) + 1
            cells[nth(base, used[base])] = ph.number
        for a in c.addresses:
            kind = {_AW: "Business", _AH: "Home"}.get(a.type, "Other")
            used[kind] = n = used.get(kind, 0) + 1
            for part, value in (("Street", a.street), ("City", a.city), ("State", a.region),
                                ("Postal Code", a.postcode), ("Country/Region", a.country)):  # fmt: skip
                cells[f"{kind} {part}" if n == 1 else f"{kind} {n} {part}"] = value
    for i, url in enumerate(p.urls, 1):
        cells[nth("Web Page", i)] = url
    for header, value in p.custom:
        column, k = header, 1
        while cells.get(column):
            k += 1
            column = f"{header} ({k})"
        cells[column] = value
    return cells


def _numbered(need: dict[str, int], kind: str, parts: Sequence[str]) -> list[str]:
    first = 2 if kind == "Organization" else 1  # "Organization 1" is the fixed "Organization Name", ...
    return [f"{kind} {n} - {part}" for n in range(first, need.get(kind, 0) + 1) for part in parts]


def write_rows(people: Iterable[PersonRecord], out: TextIO, *, layout: Layout = Layout.GOOGLE) -> int:
    """Write people as a CSV export in `layout`, header first.

    Google: UTF-8 without BOM; the fixed columns of Google's export, then as many numbered "E-mail n", "Phone n",
    "Address n", "Organization n" (n ≥ 2: further business cards) and "Website n" groups as the people need. A
    custom field goes back to its own column when that is one of Google's and free, else into a "Custom Field n"
    pair (read back as the same custom field). Outlook: a BOM (Excel needs it to read UTF-8), Outlook's fixed
    columns, and where they are full further columns in Outlook's naming ("Mobile Phone 2", "E-mail 4 Address",
    "Business 2 Street", "Web Page 2", "Company 2"), which `read_rows` reads back; a custom field goes to its own
    column ("Header (2)" when that is taken). Outlook has no e-mail types: they read back as work. A birthday
    without a year is written ``--MM-DD`` in both layouts.

    Rows wait in a spooled temporary file until the header is known, so an export of any size runs in bounded
    memory. Open `out` with ``encoding="utf-8"`` and ``newline=""``.

    Args:
        people: Normalised people (`validate.check_person`).
        out: Where the text goes.
        layout: The column layout.

    Returns:
        The number of data rows written.
    """
    need: dict[str, int] = {}
    extras: dict[str, None] = {}
    google = layout is Layout.GOOGLE
    own = set(_GOOGLE_HEAD if google else _OUTLOOK_HEAD)
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL, mode="w+", encoding="utf-8", newline="") as spool:
        for p in people:
            cells = {k: v for k, v in (_google_cells(p, need) if google else _outlook_cells(p)).items() if v}
            extras |= dict.fromkeys(c for c in cells if c not in own and not (google and _GENERATED.fullmatch(c)))
            spool.write(json.dumps(cells, ensure_ascii=False) + "\n")
            count += 1
        if google:
            groups = [c for kind, parts in _GOOGLE_NUMBERED for c in _numbered(need, kind, parts)]
            header = [*_GOOGLE_HEAD, *groups, *extras, *_numbered(need, "Custom Field", ("Label", "Value"))]
        else:
            out.write("\ufeff")
            header = [*_OUTLOOK_HEAD, *extras]
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL if google else csv.QUOTE_ALL)
        writer.writerow(header)
        spool.seek(0)
        for text in spool:
            row: dict[str, str] = json.loads(text)
            writer.writerow([row.get(column, "") for column in header])
    return count
