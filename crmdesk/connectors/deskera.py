"""Deskera CRM: contacts (persons and organizations), labels and activities over its REST API
(crm-apis/deskera.md), mapped onto people, companies and touchpoints.

Sync fields (what Deskera can hold; everything else of a local record is never compared or touched, so a pull
never blanks it):

person ← contact of ``type: person``: ``first_name last_name`` (Deskera's single ``name``, split — see below),
``email`` (the first e-mail), ``phone`` (the first phone, E.164; ``country_code`` + ``phone`` there), ``address``
(the first address on one line, ``Address.one_line``), ``label`` (the contact's label as a tag name; none for
"No label"), ``note`` (the person's notes) and one ``@company:<id>`` key for ``organization_id`` (the first company
the person has a business card at).
company ← contact of ``type: organization``: ``name email phone address label note``.
touchpoint ← activity: ``title`` (``name``), ``note`` (``notes`` as plain text), ``type`` (call|meeting|task|email),
``when`` (``start``, ``YYYY-MM-DDTHH:MM`` in UTC), one ``@person:<id>`` key per ``contact_ids`` entry and
``company`` (``@company:<id>``, the first of ``organization_ids``).

Names: the sync fields hold the *canonical split* of the full name: the last word is the last name together with
the lower-case particles before it ("Ludwig van Beethoven" → "Ludwig" + "van Beethoven"), the words before are the
first name (a local middle name joins them), a single word is a last name, "Brandt, Ilse" is read as last, first.
A local record is projected through the same split of its joined name, so only the full name is ever compared;
a local split Deskera cannot express ("Anna" + "Maria Schmidt") stays as it is until the name changes there.

Labels ⇄ tags: a contact's label is the one local tag whose name (case-insensitive) is a Deskera label; tags that
are no label stay local, and a tag only becomes a label when a label of that name exists there (the connector
never creates labels). A person with two label tags sends the first (in tag order).

Assumptions this connector relies on (marked [assumed] in deskera.md, or chosen with the emulator):
- ``GET /v1/crm/contacts`` takes ``type``, ``page`` (1-based), ``limit`` (≤ 100), ``sort=id`` and ``order=ASC`` and
  answers ``{data, paginationInfo: {totalRecords}}``; ``GET /v1/crm/activities`` takes ``page``, ``pageSize``
  (≤ 100), ``sortBy=created_at`` and ``sortDir=ASC``. There is no change feed, so every pull walks everything and
  calls the walk complete (a linked record missing from it was deleted there — behind the engine's mass-delete
  guard) only when it saw exactly as many records as ``totalRecords`` said, unchanged from the first page to the
  last: a record deleted or added while the walk ran shifts the pages, and such a walk must not make others look
  deleted.
- ``PATCH /v1/crm/contacts/{id}`` changes only the fields present (``null`` clears one) and is safe to repeat; only
  changed fields are sent. ``POST`` answers with the full contact (a bare ``{id}`` is accepted too).
- ``PUT /v1/crm/activities/{id}`` replaces the whole activity, so an update reads the activity first and sends it
  back with the changed fields: what crmdesk does not sync (end, time zone, assignees, deal, done flag, a
  "deadline" or "lunch" type) stays as it is there.
- Activity ``notes`` are sent base64-encoded and read as decoded HTML: text is sent as escaped HTML with ``<br>``
  for line breaks, and HTML read back becomes text (``<br>``, ``</p>``, ``</div>`` → line breaks, other tags
  dropped, entities decoded). Activity types map call/meeting/task/email one to one; "deadline" reads as a task,
  "lunch" as a meeting, and a local note, letter or turnover is sent as a task (it stays one here while Deskera
  keeps the type). ``start`` is sent in UTC (``Z``), ``end`` = ``start`` on create and moves with ``start`` on
  update; new activities get ``user_timezone`` "UTC". An activity needs a ``name``: a touchpoint without a
  subject sends the first line of its text, else its type.
- Label 1 is the built-in "No label" and means no tag; ``GET /v1/crm/contacts/labels`` lists every label.
- ``organization_id`` on a person names an organization; the person's link is the first company of its business
  cards (favourite first). A change there re-points that card, and a link removed there unlinks it (the card keeps
  its contact data); the person's other companies stay local.
- Phones: ``country_code`` is the dialling prefix ("+49"), ``phone`` the national number; E.164 is split with
  phonenumbers (an extension goes along as " ext. N"). A phone without a country code is left to the local
  normalisation (the user's region).
- Addresses are one free-text line: read back into street/postcode/city/region/country when the text has the shape
  ``Address.one_line`` writes ("Seestraße 4, 78462 Konstanz, DE"), else all of it is the street.
- No external id and no custom-field filter: a create whose answer was lost is looked up by the normalised e-mail
  and name (persons), name and e-mail (organizations), or subject and minute (activities).
- ``DELETE`` is permanent (no restore); a 404 on delete means already gone; 401 means the token is no longer valid.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import re
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

import phonenumbers

from crmdesk.connectors import countries, flat
from crmdesk.connectors.base import FULL_WALK, RemoteItem, RemotePage, norm_text, parse_ref, ref
from crmdesk.connectors.http import HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.normalize import PhoneError, normalize_phone
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    Record,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.domain.validate import normalize_tags
from crmdesk.errors import RemoteNotFound, RemoteRejected, RemoteUnavailable
from crmdesk.tasks import CancelToken

DEFAULT_HOST = "https://bifrost.deskera.com"
PAGE_SIZE = 100
NO_LABEL = 1
PERSON_REF = ref(Entity.PERSON, "")
COMPANY_REF = ref(Entity.COMPANY, "")
CONTACTS = "/v1/crm/contacts"
LABELS = "/v1/crm/contacts/labels"
ACTIVITIES = "/v1/crm/activities"
_CONTACT_TYPES = {Entity.PERSON: "person", Entity.COMPANY: "organization"}
PHONE_KINDS: Mapping[PhoneType, str] = {t: t.value for t in PhoneType}
_TYPE_WORDS = {
    TouchpointType.CALL: "call",
    TouchpointType.MEETING: "meeting",
    TouchpointType.TASK: "task",
    TouchpointType.EMAIL: "email",
}
_TYPES = {word: kind for kind, word in _TYPE_WORDS.items()}
_REMOTE_TYPES = {word: word for word in _TYPES} | {"deadline": "task", "lunch": "meeting"}
"""Deskera's activity types as the sync field `type` reads them."""
DEFAULT_TYPE = "task"
PARTICLES = frozenset(
    {"van", "von", "vom", "zu", "zum", "zur", "de", "der", "den", "del", "della", "di", "da", "das", "dos", "du"}
    | {"la", "le", "ten", "ter"}
)
_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "E-mail",
    "phone": "Phone",
    "address": "Address",
    "label": "Label",
    "note": "Note",
    "name": "Name",
    "title": "Subject",
    "type": "Type",
    "when": "Date",
    "company": "Company",
}

Labels = Mapping[str, str]
"""Deskera's label names by their case-folded form ("No label" left out)."""


# ---------------------------------------------------------------------------------------------------------------------
# Names, phones, addresses, notes: Deskera's forms ⇄ crmdesk's


def join_name(*parts: str) -> str:
    """The one `name` of a person: its parts, white space collapsed, joined by spaces."""
    return " ".join(" ".join(parts).split())


def split_name(name: str) -> tuple[str, str]:
    """(first name, last name) of Deskera's single `name` (see the module docstring for the rule)."""
    text = join_name(name)
    if not text:
        return "", ""
    if text.count(",") == 1:
        last, _, first = text.partition(",")
        if last.strip() and first.strip():
            return first.strip(), last.strip()
    words = text.split(" ")
    if len(words) == 1:
        return "", words[0]
    i = len(words) - 1
    while i > 1 and words[i - 1].casefold() in PARTICLES:
        i -= 1
    return " ".join(words[:i]), " ".join(words[i:])


def split_phone(number: str) -> tuple[str | None, str]:
    """(country code like "+49", national number) of an E.164 number; (None, text) when it is none."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None, number
    national = phonenumbers.national_significant_number(parsed)
    if parsed.extension:
        national = f"{national} ext. {parsed.extension}"
    return f"+{parsed.country_code}", national


def join_phone(country_code: Any, phone: Any) -> str | None:
    """One number of Deskera's `country_code` and `phone`: E.164 where it parses, else the text as given."""
    number = _text(phone)
    if number is None:
        return None
    prefix = (_text(country_code) or "").lstrip("+").strip()
    if number.startswith("+") or not prefix.isdigit():
        return number  # international already, or left to the local normalisation (the user's region)
    text = f"+{prefix} {number}"
    try:
        return normalize_phone(text)
    except PhoneError:
        return text


_PLACE = re.compile(r"(\S*\d\S*) (.+)")
_ALPHA2 = re.compile(r"[A-Z]{2}")


def parse_address(text: str) -> Address:
    """An address of one line as `Address.one_line` writes it; all of it the street when it has another shape."""
    line = " ".join(text.split())
    parts = [p.strip() for p in line.split(",")]
    country = ""
    if len(parts) > 1 and _ALPHA2.fullmatch(parts[-1]) and parts[-1] in countries.NUMERIC:
        country = parts.pop()
    street = postcode = city = region = ""
    place = next((i for i in range(len(parts) - 1, 0, -1) if _PLACE.fullmatch(parts[i])), None)
    if place is not None:
        m = _PLACE.fullmatch(parts[place])
        assert m is not None
        street, postcode, city = ", ".join(parts[:place]), m.group(1), m.group(2)
        region = ", ".join(parts[place + 1 :])
    elif len(parts) > 1:
        street, city = ", ".join(parts[:-1]), parts[-1]
    else:
        street = parts[0]
    address = Address(street=street, postcode=postcode, city=city, region=region, country=country)
    return address if address.one_line() == line else Address(street=text.strip())


def _address_line(address: Address | None) -> str | None:
    return address.one_line() or None if address is not None else None


def _with_address_line(old: Address | None, line: str | None) -> Address | None:
    """The address a line stands for: `old` while it still reads as that line."""
    if not line:
        return None
    if old is not None and old.one_line() == " ".join(line.split()):
        return old
    new = parse_address(line)
    return replace(new, type=old.type, favourite=old.favourite) if old is not None else new


_BREAK = re.compile(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>")
_TAG = re.compile(r"<[^>]*>")


def html_to_text(text: str) -> str:
    """Deskera's activity notes (HTML) as plain text."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))


def text_to_html(text: str) -> str:
    """Plain text as the HTML Deskera's activity notes hold."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def encode_notes(text: str) -> str:
    """Activity notes as requests carry them: base64 of the UTF-8 HTML ("" for none)."""
    return base64.b64encode(text_to_html(text).encode()).decode() if text else ""


def decode_notes(value: Any) -> str | None:
    """Activity notes of a response (decoded HTML, deskera.md §5.1) as text."""
    text = _text(value)
    return _text(html_to_text(text)) if text is not None else None


def _label_of(tags: Sequence[str], labels: Labels) -> str | None:
    """The Deskera label among a record's tags (the first in tag order), by Deskera's spelling."""
    return next((labels[t.casefold()] for t in tags if t.casefold() in labels), None)


def _with_label(tags: Sequence[str], label: Value, labels: Labels) -> tuple[str, ...]:
    """The tags with their label tags replaced by `label` (unchanged while it is still their label); tags that
    are no label stay."""
    wanted = label if isinstance(label, str) and label else None
    current = _label_of(tags, labels)
    if current is not None and wanted is not None and current.casefold() == wanted.casefold():
        return tuple(tags)
    kept = [t for t in tags if t.casefold() not in labels]
    return normalize_tags([*kept, wanted] if wanted else kept)


# ---------------------------------------------------------------------------------------------------------------------
# Local records ⇄ sync fields


def _primary_company(cards: Sequence[BusinessCardRecord]) -> str | None:
    companies = flat.companies_of(cards)
    return companies[0] if companies else None


def _with_primary_company(cards: Sequence[BusinessCardRecord], company_id: str | None) -> list[BusinessCardRecord]:
    """Cards whose first company is `company_id`: the card at the old first company is re-pointed to it (or
    unlinked when None, keeping its contact data); the person's other companies stay."""
    out = list(cards)
    old = _primary_company(out)
    if old == company_id:
        return out
    if old is None:
        assert company_id is not None
        return flat.with_companies(out, [company_id])
    index = next(i for i, c in enumerate(out) if c.company_id == old and not c.private)
    if company_id is None or company_id not in flat.companies_of(out):
        out[index] = replace(out[index], company_id=company_id, company_name="")
        return out
    # A company the person already has a card at: the old first one is unlinked, that card comes first.
    out[index] = replace(out[index], company_id=None, company_name="")
    if _primary_company(out) != company_id:
        moved = next(i for i, c in enumerate(out) if c.company_id == company_id and not c.private)
        out.insert(index, out.pop(moved))
    return out


def _first_replaced(values: Sequence[str], value: Value) -> list[str]:
    out = list(values)
    if isinstance(value, str) and value:
        out[:1] = [value]
    else:
        out = out[1:]
    return out


def project_person(p: PersonRecord, labels: Labels) -> dict[str, Value]:
    cards = p.cards
    emails = flat.emails_of(cards)
    phones = flat.phones_of(cards, PHONE_KINDS, "other")
    first, last = split_name(join_name(p.first_name, p.middle_name, p.last_name))
    out: dict[str, Value] = {
        "first_name": first,
        "last_name": last,
        "email": emails[0] if emails else None,
        "phone": phones[0][1] if phones else None,
        "address": _address_line(flat.address_of(cards)),
        "label": _label_of(p.tags, labels),
        "note": p.notes,
    }
    company = _primary_company(cards)
    if company:
        out[COMPANY_REF + company] = True
    return clean(out)


def apply_person(rec: PersonRecord | None, fields: Fields, labels: Labels) -> PersonRecord:
    f = clean(fields)
    base = rec or PersonRecord()
    first, last = str(f.get("first_name") or ""), str(f.get("last_name") or "")
    names: dict[str, object] = {}
    if split_name(join_name(base.first_name, base.middle_name, base.last_name)) != (first, last):
        names = {"first_name": first, "middle_name": "", "last_name": last}
    companies = [k[len(COMPANY_REF) :] for k in f if k.startswith(COMPANY_REF)]
    cards = _with_primary_company(base.cards, companies[0] if companies else None)
    cards = flat.with_emails(cards, _first_replaced(flat.emails_of(cards), f.get("email")))
    phones = list(flat.phones_of(cards, PHONE_KINDS, "other"))
    phone = f.get("phone")
    if isinstance(phone, str):
        phones[:1] = [(phones[0][0] if phones else PhoneType.WORK.value, phone)]
    else:
        phones = phones[1:]
    cards = flat.with_phones(cards, phones, PHONE_KINDS, "other")
    line = f.get("address")
    cards = flat.with_address(
        cards, _with_address_line(flat.address_of(cards), line if isinstance(line, str) else None)
    )
    return base.replace(
        **names,
        notes=str(f.get("note") or ""),
        tags=_with_label(base.tags, f.get("label"), labels),
        cards=flat.without_empty(cards),
    )


def project_company(c: CompanyRecord, labels: Labels) -> dict[str, Value]:
    out: dict[str, Value] = {
        "name": c.name,
        "email": c.emails[0].address if c.emails else None,
        "phone": c.phones[0].number if c.phones else None,
        "address": _address_line(c.addresses[0] if c.addresses else None),
        "label": _label_of(c.tags, labels),
        "note": c.notes,
    }
    return clean(out)


def apply_company(rec: CompanyRecord | None, fields: Fields, labels: Labels) -> CompanyRecord:
    f = clean(fields)
    base = rec or CompanyRecord()
    emails = list(base.emails)
    email = f.get("email")
    if isinstance(email, str):
        if not emails:
            emails.append(Email(email, EmailType.WORK))
        elif emails[0].address != email:
            emails[0] = replace(emails[0], address=email)
    elif emails:
        del emails[0]
    phones = list(base.phones)
    phone = f.get("phone")
    if isinstance(phone, str):
        if not phones:
            phones.append(Phone(phone, PhoneType.WORK))
        elif phones[0].number != phone:
            phones[0] = replace(phones[0], number=phone)
    elif phones:
        del phones[0]
    addresses = list(base.addresses)
    line = f.get("address")
    address = _with_address_line(addresses[0] if addresses else None, line if isinstance(line, str) else None)
    if address is None:
        addresses = addresses[1:]
    elif addresses:
        addresses[0] = address
    else:
        addresses.append(address)
    return base.replace(
        name=str(f.get("name") or ""),
        notes=str(f.get("note") or ""),
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(addresses),
        tags=_with_label(base.tags, f.get("label"), labels),
    )


def _minute(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def project_touchpoint(t: TouchpointRecord) -> dict[str, Value]:
    out: dict[str, Value] = {
        "title": t.subject,
        "note": t.body,
        "type": _TYPE_WORDS.get(t.type, DEFAULT_TYPE),
        "when": _minute(t.occurred_at),
        "company": ref(Entity.COMPANY, t.company_id) if t.company_id else None,
    }
    for person_id in t.person_ids:
        out[PERSON_REF + person_id] = True
    return clean(out)


def apply_touchpoint(rec: TouchpointRecord | None, fields: Fields) -> TouchpointRecord:
    f = clean(fields)
    base = rec or TouchpointRecord()
    word = str(f.get("type") or DEFAULT_TYPE)
    word = word if word in _TYPES else DEFAULT_TYPE
    kind = base.type if rec is not None and _TYPE_WORDS.get(base.type, DEFAULT_TYPE) == word else _TYPES[word]
    when = base.occurred_at
    text = f.get("when")
    if isinstance(text, str) and (rec is None or _minute(base.occurred_at) != text):
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    wanted = [k[len(PERSON_REF) :] for k in f if k.startswith(PERSON_REF)]
    people = [p for p in base.person_ids if p in wanted] + [p for p in wanted if p not in base.person_ids]
    company = parse_ref(str(f.get("company") or ""))
    return base.replace(
        subject=str(f.get("title") or ""),
        body=str(f.get("note") or ""),
        type=kind,
        occurred_at=when,
        person_ids=tuple(people),
        company_id=company[1] if company else None,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Deskera JSON ⇄ sync fields


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _label_name(data: Mapping[str, Any]) -> str | None:
    label = data.get("label")
    if not isinstance(label, dict) or label.get("id") in (None, NO_LABEL, str(NO_LABEL)):
        return None
    return _text(label.get("name"))


def contact_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """The sync fields of a contact of either type (persons split their name and carry their organization)."""
    out: dict[str, Value] = {
        "email": _text(data.get("email")),
        "phone": join_phone(data.get("country_code"), data.get("phone")),
        "address": " ".join(str(data.get("address") or "").split()) or None,
        "label": _label_name(data),
        "note": _text(data.get("note")),
    }
    if data.get("type") == "organization":
        out["name"] = _text(data.get("name"))
    else:
        out["first_name"], out["last_name"] = split_name(str(data.get("name") or ""))
        if data.get("organization_id") is not None:
            out[COMPANY_REF + str(data["organization_id"])] = True
    return clean(out)


def _utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def activity_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    start = _utc(data.get("start"))
    organizations = [i for i in data.get("organization_ids") or () if i is not None]
    out: dict[str, Value] = {
        "title": _text(data.get("name")),
        "note": decode_notes(data.get("notes")),
        "type": _REMOTE_TYPES.get(str(data.get("activity_type") or ""), DEFAULT_TYPE),
        "when": _minute(start) if start is not None else None,
        "company": ref(Entity.COMPANY, str(organizations[0])) if organizations else None,
    }
    for contact in data.get("contact_ids") or ():
        if contact is not None:
            out[PERSON_REF + str(contact)] = True
    return clean(out)


def _ids(fields: Fields, prefix: str) -> list[int]:
    return sorted(int(k[len(prefix) :]) for k in fields if k.startswith(prefix) and k[len(prefix) :].isdigit())


def _ref_id(value: Value) -> int | None:
    found = parse_ref(str(value or ""))
    return int(found[1]) if found and found[1].isdigit() else None


def contact_body(entity: Entity, fields: Fields, old: Fields, label_ids: Mapping[str, int]) -> dict[str, Any]:
    """The POST (`old` empty) or PATCH body turning a contact holding `old` into one holding `fields`."""
    body: dict[str, Any] = {"type": _CONTACT_TYPES[entity]} if not old else {}
    if entity is Entity.PERSON:
        name = join_name(str(fields.get("first_name") or ""), str(fields.get("last_name") or ""))
        before = join_name(str(old.get("first_name") or ""), str(old.get("last_name") or ""))
    else:
        name, before = str(fields.get("name") or ""), str(old.get("name") or "")
    if name != before or not old:
        body["name"] = name
    for key in ("email", "address", "note"):
        if fields.get(key) != old.get(key):
            body[key] = fields.get(key) or ("" if key == "note" else None)
    if fields.get("phone") != old.get("phone"):
        phone = fields.get("phone")
        body["country_code"], body["phone"] = split_phone(phone) if isinstance(phone, str) else (None, None)
    if fields.get("label") != old.get("label"):
        label = fields.get("label")
        label_id = label_ids.get(label.casefold()) if isinstance(label, str) else NO_LABEL
        if label_id is not None:
            body["label_id"] = label_id
    if entity is Entity.PERSON:
        org, org_before = _ids(fields, COMPANY_REF), _ids(old, COMPANY_REF)
        if org != org_before:
            body["organization_id"] = org[0] if org else None
    return {k: v for k, v in body.items() if v is not None} if not old else body


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _activity_name(fields: Fields) -> str:
    title = fields.get("title")
    if isinstance(title, str) and title.strip():
        return title
    note = str(fields.get("note") or "").strip()
    if note:
        return note.splitlines()[0][:100]
    return str(fields.get("type") or DEFAULT_TYPE).capitalize()


def activity_body(fields: Fields, old: Fields, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The POST body of a new activity (`current` None), or the PUT body of `current` (an activity as read, which
    PUT replaces whole) with what changed from `old` to `fields`."""
    when = _utc(f"{fields.get('when')}:00+00:00") if fields.get("when") else None
    if current is None:
        begin = when or dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        company = _ref_id(fields.get("company"))
        return {
            "name": _activity_name(fields),
            "activity_type": str(fields.get("type") or DEFAULT_TYPE),
            "start": _stamp(begin),
            "end": _stamp(begin),
            "notes": encode_notes(str(fields.get("note") or "")),
            "user_timezone": "UTC",
            "contact_ids": _ids(fields, PERSON_REF),
            "organization_ids": [company] if company is not None else [],
            "is_send_invitation": False,
            "is_send_contacts_invitation": False,
        }
    start, end = _utc(current.get("start")), _utc(current.get("end"))
    body: dict[str, Any] = {
        "name": current.get("name"),
        "activity_type": current.get("activity_type"),
        "start": _stamp(start) if start else None,
        "end": _stamp(end) if end else None,
        "notes": base64.b64encode(str(current.get("notes") or "").encode()).decode(),  # its HTML as it is
        "user_timezone": current.get("user_timezone"),
        "contact_ids": list(current.get("contact_ids") or ()),
        "organization_ids": list(current.get("organization_ids") or ()),
        "assignee_ids": list(current.get("assignee_ids") or ()),
        "linked_to": current.get("linked_to"),
        "is_status": bool(current.get("is_status")),
        "visibility_type": current.get("visibility_type"),
        "is_send_invitation": False,
        "is_send_contacts_invitation": False,
    }
    if fields.get("title") != old.get("title"):
        body["name"] = _activity_name(fields)
    if fields.get("note") != old.get("note"):
        body["notes"] = encode_notes(str(fields.get("note") or ""))
    if fields.get("type") != old.get("type"):
        body["activity_type"] = str(fields.get("type") or DEFAULT_TYPE)
    if fields.get("when") != old.get("when") and when is not None:
        length = (end - start) if start is not None and end is not None and end >= start else dt.timedelta()
        body["start"], body["end"] = _stamp(when), _stamp(when + length)
    if _ids(fields, PERSON_REF) != _ids(old, PERSON_REF):
        body["contact_ids"] = _ids(fields, PERSON_REF)
    if fields.get("company") != old.get("company"):
        new, gone = _ref_id(fields.get("company")), _ref_id(old.get("company"))
        others = [i for i in body["organization_ids"] if i not in (new, gone)]
        body["organization_ids"] = ([new] if new is not None else []) + others
    return {k: v for k, v in body.items() if v is not None}


# ---------------------------------------------------------------------------------------------------------------------
# The connector


class DeskeraConnector:
    """Deskera persons ⇄ people, organizations ⇄ companies, activities ⇄ touchpoints; always a full walk."""

    kind = AccountKind.DESKERA
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON, Entity.TOUCHPOINT)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(self, http: HttpClient, *, page_size: int = PAGE_SIZE) -> None:
        self.http = http
        self.page_size = page_size
        self._labels: dict[str, tuple[int, str]] | None = None  # case-folded name → (id, name)

    # ---- labels ------------------------------------------------------------------------------------------------

    def _load_labels(self) -> dict[str, tuple[int, str]]:
        body = self.http.request("GET", LABELS)
        found = self._labels or {}
        for label in body if isinstance(body, list) else ():
            if isinstance(label, dict):
                self._note_label(found, label.get("id"), label.get("name"))
        self._labels = found
        return found

    @staticmethod
    def _note_label(table: dict[str, tuple[int, str]], label_id: Any, name: Any) -> None:
        text = _text(name)
        if text is None or not str(label_id).strip().isdigit() or int(str(label_id)) == NO_LABEL:
            return
        table[text.casefold()] = (int(str(label_id)), text)

    def labels(self) -> dict[str, str]:
        """Deskera's label names by case-folded name (read once per connector, then kept up to date by pulls)."""
        table = self._labels if self._labels is not None else self._load_labels()
        return {key: name for key, (_, name) in table.items()}

    def _label_ids(self, fields: Fields) -> dict[str, int]:
        label = fields.get("label")
        table = self._labels if self._labels is not None else self._load_labels()
        if isinstance(label, str) and label.casefold() not in table:
            table = self._load_labels()  # made there since we looked
        return {key: label_id for key, (label_id, _) in table.items()}

    # ---- items and bodies --------------------------------------------------------------------------------------

    def _item(self, entity: Entity, data: Mapping[str, Any]) -> RemoteItem:
        if entity is Entity.TOUCHPOINT:
            fields = activity_fields(data)
        else:
            label = data.get("label")
            if isinstance(label, dict):
                if self._labels is None:
                    self._load_labels()
                assert self._labels is not None
                self._note_label(self._labels, label.get("id"), label.get("name"))
            fields = contact_fields(data)
        updated = data.get("updated_at")
        return RemoteItem(str(data["id"]), str(updated or ""), fields, "", _utc(updated))

    def _list(self, entity: Entity, page: int, size: int, **extra: str | int) -> tuple[list[Any], int]:
        if entity is Entity.TOUCHPOINT:
            params: dict[str, str | int] = {"page": page, "pageSize": size, "sortBy": "created_at", "sortDir": "ASC"}
            path = ACTIVITIES
        else:
            params = {"type": _CONTACT_TYPES[entity], "page": page, "limit": size, "sort": "id", "order": "ASC"}
            path = CONTACTS
        body = self.http.request("GET", path, params={**params, **extra})
        data = body.get("data") if isinstance(body, dict) else None
        info = body.get("paginationInfo") if isinstance(body, dict) else None
        if not isinstance(data, list) or not isinstance(info, dict):
            raise RemoteRejected(
                f"{self.http.name}: the list of {path.rsplit('/', 1)[1]} has an unexpected shape.", status=200
            )
        total = info.get("totalRecords")
        return data, int(total) if isinstance(total, int | str) and str(total).isdigit() else -1

    # ---- Connector protocol ------------------------------------------------------------------------------------

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Every record, oldest first, page by page (Deskera has no change feed)."""
        if entity is not Entity.TOUCHPOINT and self._labels is None:
            self._load_labels()
        seen: set[str] = set()
        page = 1
        first_total: int | None = None
        while True:
            data, total = self._list(entity, page, self.page_size)
            items = tuple(self._item(entity, d) for d in data if isinstance(d, dict) and d.get("id") is not None)
            seen.update(i.remote_id for i in items)
            first_total = total if first_total is None else first_total
            if len(data) < self.page_size or len(seen) >= total >= 0:
                # Complete only when nothing moved while we walked: then a missing id was deleted there.
                stable = total == first_total == len(seen)
                yield RemotePage(items, cursor=FULL_WALK, complete=stable)
                return
            yield RemotePage(items)
            page += 1

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        """POST the record and hand its id back at once (the engine stores it before anything else happens)."""
        if entity is Entity.TOUCHPOINT:
            data = self.http.request("POST", ACTIVITIES, json_body=activity_body(fields, {}))
        else:
            body = contact_body(entity, fields, {}, self._label_ids(fields))
            data = self.http.request("POST", CONTACTS, json_body=body)
        if not isinstance(data, dict) or data.get("id") is None:
            raise RemoteUnavailable(
                f"{self.http.name}: the server did not say which id it gave the new record.", maybe_done=True
            )
        updated = data.get("updated_at")
        return RemoteItem(str(data["id"]), str(updated or ""), fields, "", _utc(updated))

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        """What a create whose answer was lost made: by normalised e-mail and name (no external id there)."""
        if entity is Entity.TOUCHPOINT:
            return self._find_activity(fields, taken)
        email = norm_text(fields.get("email"))
        if entity is Entity.PERSON:
            name = norm_text(join_name(str(fields.get("first_name") or ""), str(fields.get("last_name") or "")))
        else:
            name = norm_text(fields.get("name"))
        if not email and not name:
            return None
        text = join_name(str(fields.get("first_name") or ""), str(fields.get("last_name") or ""))
        text = text if entity is Entity.PERSON else join_name(str(fields.get("name") or ""))
        search: dict[str, str | int] = {"email": str(fields["email"]).strip()} if email else {"name": text}
        data, _ = self._list(entity, 1, PAGE_SIZE, **search)
        for row in data:
            if not isinstance(row, dict) or row.get("id") is None or row.get("type") != _CONTACT_TYPES[entity]:
                continue
            if str(row["id"]) in taken:
                continue  # another local record's twin
            if norm_text(_text(row.get("email"))) == email and norm_text(join_name(str(row.get("name") or ""))) == name:
                return self._item(entity, row)
        return None

    def _find_activity(self, fields: Fields, taken: AbstractSet[str]) -> RemoteItem | None:
        when = _utc(f"{fields.get('when')}:00+00:00") if fields.get("when") else None
        title = norm_text(fields.get("title"))
        conditions = []
        if when is not None:
            epoch = int(when.timestamp())
            conditions += [f"date>={epoch}", f"date<{epoch + 60}"]
        words = max((part.strip() for part in str(fields.get("title") or "").split(",")), key=len, default="")
        if words:
            conditions.append(f"name={words}")
        if not conditions:
            return None
        params: dict[str, str | int] = {
            "page": 1,
            "pageSize": PAGE_SIZE,
            "sortBy": "created_at",
            "sortDir": "DESC",
            "query": ",".join(conditions),
        }
        body = self.http.request("GET", ACTIVITIES, params=params)
        data = body.get("data") if isinstance(body, dict) else None
        for row in data if isinstance(data, list) else ():
            if not isinstance(row, dict) or row.get("id") is None or str(row["id"]) in taken:
                continue
            item = self._item(Entity.TOUCHPOINT, row)
            got = item.fields or {}
            if (
                norm_text(got.get("title")) == (title or norm_text(_activity_name(fields)))
                and got.get("when") == fields.get("when")
                and _ids(got, PERSON_REF) == _ids(fields, PERSON_REF)
            ):
                return item
        return None

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        if entity is Entity.TOUCHPOINT:
            current = self.http.request("GET", f"{ACTIVITIES}/{remote_id}")
            if not isinstance(current, dict):
                raise RemoteRejected(f"{self.http.name}: activity {remote_id} has an unexpected shape.", status=200)
            body = activity_body(fields, old, current)
            self.http.request("PUT", f"{ACTIVITIES}/{remote_id}", json_body=body)
            return RemoteItem(remote_id, "", fields)
        body = contact_body(entity, fields, old, self._label_ids(fields))
        if not body:
            return RemoteItem(remote_id, "", fields)
        data = self.http.request("PATCH", f"{CONTACTS}/{remote_id}", json_body=body, idempotent=True)
        updated = data.get("updated_at") if isinstance(data, dict) else None
        return RemoteItem(remote_id, str(updated or ""), fields, "", _utc(updated))

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        path = ACTIVITIES if entity is Entity.TOUCHPOINT else CONTACTS
        with contextlib.suppress(RemoteNotFound):  # already gone: what a delete wants
            self.http.request("DELETE", f"{path}/{remote_id}")

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        return None  # Deskera deletes for good

    def accepts(self, record: Record) -> bool:
        return True  # every person, company and touchpoint has a Deskera form

    def project(self, record: Record) -> dict[str, Value]:
        if isinstance(record, PersonRecord):
            return project_person(record, self.labels())
        if isinstance(record, CompanyRecord):
            return project_company(record, self.labels())
        if isinstance(record, TouchpointRecord):
            return project_touchpoint(record)
        raise TypeError(f"Deskera does not sync {type(record).__name__}")

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is Entity.PERSON and (record is None or isinstance(record, PersonRecord)):
            return apply_person(record, fields, self.labels())
        if entity is Entity.COMPANY and (record is None or isinstance(record, CompanyRecord)):
            return apply_company(record, fields, self.labels())
        if entity is Entity.TOUCHPOINT and (record is None or isinstance(record, TouchpointRecord)):
            return apply_touchpoint(record, fields)
        raise TypeError(f"Deskera does not sync {entity.value} records")

    def probe(self) -> str:
        try:
            body = self.http.request("GET", CONTACTS, params={"limit": 1})
        except RemoteNotFound:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise RemoteRejected(
                f"{self.http.name}: the server answered, but not like Deskera's CRM API — check the host.", status=200
            )
        return "Connected to Deskera: the token works and contacts can be read."

    def label(self, field: str) -> str:
        if field.startswith(COMPANY_REF):
            return "Organization"
        if field.startswith(PERSON_REF):
            return "Person involved"
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> DeskeraConnector:
    """The connector of a Deskera account: the host (``https://bifrost.deskera.com``) and the access token, sent
    as ``x-access-token`` (deskera.md §2)."""
    http = HttpClient(
        account.base_url or DEFAULT_HOST,
        name=account.name or account.kind.label,
        headers={"x-access-token": secret, "Accept": "application/json", "Content-Type": "application/json"},
        secrets=(secret,),
        cancel=cancel,
    )
    return DeskeraConnector(http)
