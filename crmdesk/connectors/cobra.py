"""cobra CRM Cloud: people with their business cards, companies and touchpoints over its REST API
(crm-apis/cobra.md), mapped onto people, companies and touchpoints.

Sync fields (what cobra can hold; everything else of a local record is never compared or touched):

person ← person: ``salutation title first_name last_name birthday`` (``YYYY-MM-DD``, or ``--MM-DD`` when cobra
does not consider the year), ``note``, ``tags`` (orga tag texts, sorted) and its business cards, favourite first
(cobra's favourite card; then creation order), numbered from 1: ``card<i>`` (``business`` | ``private``),
``card<i>.company_name`` (free text of a card not connected to a company), ``card<i>.position``,
``card<i>.department``, ``card<i>.emails`` and ``card<i>.phones`` (tuples of ``type:value``, the list's favourite
marked ``*type:value``), ``card<i>.address<j>.street|zip|city|region|country`` and ``card<i>.address<j>.favourite``
(True). A card connected to a company is one key per company, ``@company:<id>`` → the numbers of the cards
connected to it (``"2"``; ``"1,3"`` for two cards at one company); ``True`` in a create adds a new card there.
company ← company: ``name website note tags``, ``emails`` (tuple of addresses, the favourite marked ``*``),
``phones`` (``[*]type:number``), ``address<j>.street|zip|city|region|country|favourite``. A non-empty list always has
a favourite in cobra (§8.3): a local list without one reads as if its first entry were the favourite.
touchpoint ← touchpoint: ``type date`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``) ``subject text direction priority mood tags``,
``amount currency`` (the turnover, only for type ``turnover``), one ``@person:<id>`` key per person involved and
``company`` (``@company:<id>``, the first of cobra's companies).

Not synced, so it stays on each side as it is: lifecycle, personalities, important dates, social media, employee
status and number, customer numbers of records cobra already had, address types, company e-mail address types,
name2, domain, legal form, sectors, size, a touchpoint's channel and any company but the first; locally middle
name, suffix, gender, URLs, photo, custom fields. Every update reads the record first and writes it back whole
(cobra's PUT replaces the write model), so a value one side lacks is never blanked on the other.

Assumptions this connector relies on (marked [assumed] in cobra.md, or chosen with the emulator):
- ``POST /auth/token`` takes JSON ``{"username", "password"}`` and answers ``access_token`` and ``expires_in``
  (top level, or inside ``data``); a token is renewed five minutes (at most a tenth of its life) before it runs
  out, and once more on a 401.
- Every answer but the vCard is the envelope; a 2xx whose body ``statusCode`` is 400 or more is that error
  (5xx and 429 there are retried for requests that are safe to repeat, like a transport failure).
- Lists honour ``page``/``pageSize`` (≤ 50) and ``sort=dateCreate`` (a record created while a walk runs goes to the
  end; one edited stays in place) and report ``metaData.totalResults`` and ``responseTimeStamp``.
- ``GET /people`` takes ``include=businessCards`` (the emulator's stand-in for the GraphQL read side); where an
  answer lacks the cards they are read per person from ``/people/{id}/business-cards``.
- Change detection: cobra reports no deletions (deletes are permanent), so every pull walks every record; the walk
  says it is complete only when nothing moved under it — the same ``totalResults`` on every page, as many records
  seen, and none created after it began — otherwise deletions are noticed on the next run.
- Card ``PUT``/``POST`` replace the card and its e-mail, phone and address lists; entries sent with their ``id``
  keep it; an explicit ``isFavorite`` is honoured. Connecting goes through ``PUT …/company`` (null disconnects);
  a connected card cannot be made private, so it is disconnected first.
- Company ``PUT`` replaces the top-level fields (tags included) and leaves note and the phone, e-mail and address
  lists alone; those go through their own endpoints, which answer the whole company.
- No external id: a create carries the local id as ``customerNumber`` (cobra.md §12). A create that may have
  happened is found again by ``GET /people/filter?customerNumber=`` (people; an emulator extension) or in the
  newest companies (``sort=-dateCreate``) by customer number and finished (its cards, connections and lists
  written) before anything else; else, for people, by normalised e-mail (``/people/filter?email=``) and name,
  for touchpoints by person, type, date and subject.
- Tags are sent as ``{"id", "text"}``: the id of a tag the record already has, else ``text`` alone, which cobra
  matches case-insensitively in the tenant list or creates.
- A touchpoint without a subject or without a person involved cannot be held (both are required) and stays here.
- No restore operation exists: a record deleted in cobra and edited here is created again.
- ``Accept-Language`` is the account option ``language`` (default ``en``): server messages reach the user as is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from crmdesk.connectors.base import FULL_WALK, RemoteItem, RemotePage, norm_text, parse_ref, ref, same_keys
from crmdesk.connectors.http import SAFE_METHODS, HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    EmailType,
    Entity,
    Mood,
    PersonRecord,
    Phone,
    PhoneType,
    Priority,
    Record,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.domain.validate import normalize_tags
from crmdesk.errors import RemoteNotFound, RemoteRejected, RemoteUnavailable, SignInRequired, UserError
from crmdesk.tasks import CancelToken

PAGE_SIZE = 50  # cobra's maximum (cobra.md §5)
INTEGRATION = "crmdesk"
NO_BIRTH_YEAR = 1584
TOKEN_MARGIN = 300.0
COMPANY_REF = ref(Entity.COMPANY, "")
PERSON_REF = ref(Entity.PERSON, "")
ADDRESS_PARTS = ("street", "zip", "city", "region", "country")
FIND_PAGES = 2  # newest pages looked through for a lost create where no filter finds it
_PATHS = {Entity.PERSON: "/people", Entity.COMPANY: "/companies", Entity.TOUCHPOINT: "/touchpoints"}
_EMAIL_TYPES = tuple(t.value for t in EmailType)
_PHONE_TYPES = tuple(t.value for t in PhoneType)
_CARD_KEY = re.compile(r"card(\d+)")
_ADDRESS_KEY = re.compile(r"address(\d+)\.(street|zip|city|region|country|favourite)")
_CHANNELS = {
    TouchpointType.CALL: "phone",
    TouchpointType.EMAIL: "email",
    TouchpointType.MEETING: "personal",
    TouchpointType.LETTER: "post",
}
_LABELS = {
    "salutation": "Salutation",
    "title": "Title",
    "first_name": "First name",
    "last_name": "Last name",
    "birthday": "Birthday",
    "note": "Note",
    "tags": "Tags",
    "name": "Name",
    "website": "Website",
    "emails": "E-mails",
    "phones": "Phones",
    "company_name": "company name",
    "position": "position",
    "department": "department",
    "street": "street",
    "zip": "postcode",
    "city": "city",
    "region": "region",
    "country": "country",
    "favourite": "favourite",
    "type": "Type",
    "date": "Date",
    "subject": "Subject",
    "text": "Text",
    "direction": "Direction",
    "priority": "Priority",
    "mood": "Mood",
    "amount": "Amount",
    "currency": "Currency",
    "company": "Company",
}


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _str(value: Value) -> str:
    return value if isinstance(value, str) else ""


def _item(favourite: bool, kind: str | None, value: str) -> str:
    """One entry of an e-mail or phone tuple: ``*work:a@b.de`` (``*`` marks the favourite)."""
    return ("*" if favourite else "") + (f"{kind}:{value}" if kind is not None else value)


def _parse_item(text: str, kinds: tuple[str, ...] | None) -> tuple[bool, str | None, str]:
    """(favourite, type, value) of a tuple entry; without `kinds` the entry has no type."""
    favourite = text.startswith("*")
    body = text[1:] if favourite else text
    if kinds is None:
        return favourite, None, body
    kind, sep, value = body.partition(":")
    if not sep:
        return favourite, kinds[-1], body
    return favourite, kind if kind in kinds else kinds[-1], value


def _items(value: Value, kinds: tuple[str, ...] | None) -> list[tuple[bool, str | None, str]]:
    return [_parse_item(v, kinds) for v in value] if isinstance(value, tuple) else []


def _favourite_or_first(flags: Sequence[bool]) -> list[bool]:
    """Company lists always have a favourite in cobra: none here reads as the first."""
    if flags and not any(flags):
        return [i == 0 for i in range(len(flags))]
    return list(flags)


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        m = re.fullmatch(r"(.*\.\d{6})\d*(.*)", value.strip())
        if not m:
            return None
        try:
            parsed = dt.datetime.fromisoformat(m.group(1) + m.group(2).replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _second(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(value: Any) -> str | None:
    """A turnover amount as canonical decimal text ("1234.5"), whatever it came as (number or text)."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value).strip() or None
    if not number.is_finite():
        return None
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _amount_json(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _tags(items: Any) -> tuple[str, ...] | None:
    texts = [t.get("text") for t in items or () if isinstance(t, dict)]
    return normalize_tags(t for t in texts if isinstance(t, str)) or None


def _tags_json(value: Value, current: Any) -> list[dict[str, Any]]:
    """Tags to send: the id of a tag the record has already, else the text alone (cobra finds or creates it)."""
    known = {
        str(t["text"]).casefold(): t.get("id")
        for t in current or ()
        if isinstance(t, dict) and isinstance(t.get("text"), str)
    }
    texts = value if isinstance(value, tuple) else ()
    return [{"id": known.get(t.casefold()), "text": t} for t in texts]


def _card_numbers(value: Value) -> list[int]:
    """The card numbers a company reference is valued with ("2", "1,3"); [] for True (a new card)."""
    if not isinstance(value, str):
        return []
    return [int(p) for p in value.split(",") if p.strip().isdigit()]


def _address_fields(prefix: str, parts: Mapping[str, Any], favourite: bool) -> dict[str, Value]:
    out: dict[str, Value] = {f"{prefix}{k}": _text(parts.get(k)) for k in ADDRESS_PARTS}
    if any(out.values()):
        out[f"{prefix}favourite"] = True if favourite else None
        return out
    return {}


def _addresses_in(fields: Fields, prefix: str) -> list[dict[str, Value]]:
    """The addresses ``<prefix>address<j>.…`` of `fields`, in order of j (parts keyed street, zip, …)."""
    found: dict[int, dict[str, Value]] = {}
    for key, value in fields.items():
        if not key.startswith(prefix):
            continue
        m = _ADDRESS_KEY.fullmatch(key[len(prefix) :])
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [found[j] for j in sorted(found)]


def _address_record(parts: Mapping[str, Value], old: Address | None, default: AddressType) -> Address:
    return Address(
        street=_str(parts.get("street")),
        postcode=_str(parts.get("zip")),
        city=_str(parts.get("city")),
        region=_str(parts.get("region")),
        country=_str(parts.get("country")),
        type=old.type if old is not None else default,
        favourite=parts.get("favourite") is True,
    )


def _address_parts(a: Address) -> dict[str, str]:
    return {"street": a.street, "zip": a.postcode, "city": a.city, "region": a.region, "country": a.country}


def _birthday_text(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("birthday"), str):
        return None
    day = str(data["birthday"])[:10]
    if data.get("considerBirthYear") is False:
        return f"--{day[5:]}"
    return day


def _birthday_json(value: Value) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("--"):
        return {"birthday": f"{NO_BIRTH_YEAR}-{value[2:]}", "considerBirthYear": False}
    return {"birthday": value, "considerBirthYear": True}


# ---------------------------------------------------------------------------------------------------------------------
# Local records ⇄ sync fields


def ordered_cards(cards: Sequence[BusinessCardRecord]) -> list[BusinessCardRecord]:
    """A person's cards as cobra numbers them: the favourite (else the first) first, the others in order."""
    first = next((i for i, c in enumerate(cards) if c.favourite), 0)
    return [cards[first], *cards[:first], *cards[first + 1 :]] if cards else []


def project_person(p: PersonRecord) -> dict[str, Value]:
    """The sync fields cobra can hold of a person."""
    out: dict[str, Value] = {
        "salutation": p.salutation,
        "title": p.title,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "birthday": p.birthday.iso() if p.birthday else None,
        "note": p.notes,
        "tags": p.tags or None,
    }
    links: dict[str, list[str]] = {}
    for i, card in enumerate(ordered_cards(p.cards), 1):
        fields, company_id = local_card_fields(i, card)
        out.update(fields)
        if company_id is not None:
            links.setdefault(company_id, []).append(str(i))
    for company_id, numbers in links.items():
        out[COMPANY_REF + company_id] = ",".join(numbers)
    return clean(out)


def local_card_fields(i: int, card: BusinessCardRecord) -> tuple[dict[str, Value], str | None]:
    """The sync fields of a local card as card number `i`, and the company it is connected to (None: none)."""
    k = f"card{i}"
    out: dict[str, Value] = {k: "private" if card.private else "business"}
    connected = card.company_id if card.company_id and not card.private else None
    if connected is None:
        out[f"{k}.company_name"] = card.company_name
    out[f"{k}.position"] = card.position
    out[f"{k}.department"] = card.department
    out[f"{k}.emails"] = tuple(_item(e.favourite, e.type.value, e.address) for e in card.emails) or None
    out[f"{k}.phones"] = tuple(_item(ph.favourite, ph.type.value, ph.number) for ph in card.phones) or None
    addresses = [a for a in card.addresses if not a.is_empty()]
    for j, a in enumerate(addresses, 1):
        out.update(_address_fields(f"{k}.address{j}.", _address_parts(a), a.favourite))
    return out, connected


def card_content(fields: Fields, i: int) -> dict[str, Value]:
    """Card `i` of `fields` without its number (``card2.position`` → ``.position``), for comparing cards."""
    k = f"card{i}"
    return clean({key[len(k) :]: v for key, v in fields.items() if key == k or key.startswith(f"{k}.")})


_Card = tuple[dict[str, Value], str | None]  # (content, company) of a card


def match_cards(wanted: Sequence[_Card], have: Sequence[_Card]) -> list[int | None]:
    """For each wanted card, the index of the existing card it is written onto (None: a new card).

    A card that holds the same already keeps it, then one at the same company; the rest pair up in order. So a new
    favourite or a removed card moves no content from one card to another."""
    out: list[int | None] = [None] * len(wanted)
    taken: set[int] = set()
    rules: tuple[Callable[[_Card, _Card], bool], ...] = (
        lambda w, h: w == h,
        lambda w, h: w[1] is not None and w[1] == h[1],
    )
    for rule in rules:
        for i, w in enumerate(wanted):
            if out[i] is None:
                j = next((j for j, h in enumerate(have) if j not in taken and rule(w, h)), None)
                if j is not None:
                    out[i] = j
                    taken.add(j)
    rest = [j for j in range(len(have)) if j not in taken]
    for i in range(len(wanted)):
        if out[i] is None and rest:
            out[i] = rest.pop(0)
    return out


def _card_count(fields: Fields) -> int:
    return max((int(m.group(1)) for k in fields if (m := _CARD_KEY.fullmatch(k))), default=0)


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    """A person holding `fields`, built on `rec` (None for a new one). Each card of `fields` is written onto the
    local card holding the same (else one at the same company, else the next left, see `match_cards`), so what cobra
    cannot hold of a card (its id, address types) stays with its content."""
    f = clean(fields)
    base = rec or PersonRecord()
    birthday: Birthday | None = None
    if isinstance(f.get("birthday"), str):
        try:
            birthday = Birthday.parse(str(f["birthday"]))
        except ValueError:
            birthday = base.birthday
    companies: dict[int, str] = {}
    new_links: list[str] = []
    for key, value in f.items():
        if key.startswith(COMPANY_REF):
            numbers = _card_numbers(value)
            for n in numbers:
                companies[n] = key[len(COMPANY_REF) :]
            if not numbers:
                new_links.append(key[len(COMPANY_REF) :])
    old_cards = ordered_cards(base.cards)
    count = _card_count(f)
    have = [(card_content(fields, 1), company) for fields, company in (local_card_fields(1, c) for c in old_cards)]
    wanted = [
        (card_content(f, i), companies.get(i) if f.get(f"card{i}") != "private" else None) for i in range(1, count + 1)
    ]
    matches = match_cards(wanted, have)
    cards: list[BusinessCardRecord] = []
    for i, j in enumerate(matches, 1):
        cards.append(_apply_card(old_cards[j] if j is not None else None, f, i, companies.get(i)))
    for company_id in new_links:
        cards.append(BusinessCardRecord(company_id=company_id))
    cards = [replace(c, favourite=i == 0) for i, c in enumerate(cards)]
    tags = f.get("tags")
    return base.replace(
        salutation=_str(f.get("salutation")),
        title=_str(f.get("title")),
        first_name=_str(f.get("first_name")),
        last_name=_str(f.get("last_name")),
        birthday=birthday,
        notes=_str(f.get("note")),
        tags=normalize_tags(tags) if isinstance(tags, tuple) else (),
        cards=tuple(cards),
    )


def _apply_card(old: BusinessCardRecord | None, f: Fields, i: int, company_id: str | None) -> BusinessCardRecord:
    p = f"card{i}."
    card = old or BusinessCardRecord()
    private = f.get(f"card{i}") == "private"
    if company_id is not None and not private:
        name = card.company_name if card.company_id == company_id else ""
        new_company: str | None = company_id
    else:
        # A private card with a company here: cobra cannot connect it, so the company stays as it is.
        new_company = card.company_id if private and card.private else None
        name = _str(f.get(f"{p}company_name"))
    emails = tuple(
        Email(value, EmailType(kind or "other"), fav) for fav, kind, value in _items(f.get(f"{p}emails"), _EMAIL_TYPES)
    )
    phones = tuple(
        Phone(value, PhoneType(kind or "other"), fav) for fav, kind, value in _items(f.get(f"{p}phones"), _PHONE_TYPES)
    )
    old_addresses = [a for a in card.addresses if not a.is_empty()]
    default = AddressType.HOME if private else AddressType.WORK
    addresses = tuple(
        _address_record(parts, old_addresses[j] if j < len(old_addresses) else None, default)
        for j, parts in enumerate(_addresses_in(f, p))
    )
    return replace(
        card,
        company_id=new_company,
        company_name=name,
        position=_str(f.get(f"{p}position")),
        department=_str(f.get(f"{p}department")),
        private=private,
        emails=emails,
        phones=phones,
        addresses=addresses,
    )


def project_company(c: CompanyRecord) -> dict[str, Value]:
    """The sync fields cobra can hold of a company."""
    out: dict[str, Value] = {"name": c.name, "website": c.website, "note": c.notes, "tags": c.tags or None}
    flags = _favourite_or_first([e.favourite for e in c.emails])
    out["emails"] = tuple(_item(fav, None, e.address) for fav, e in zip(flags, c.emails, strict=True)) or None
    flags = _favourite_or_first([ph.favourite for ph in c.phones])
    out["phones"] = tuple(_item(fav, ph.type.value, ph.number) for fav, ph in zip(flags, c.phones, strict=True)) or None
    addresses = [a for a in c.addresses if not a.is_empty()]
    flags = _favourite_or_first([a.favourite for a in addresses])
    for j, (fav, a) in enumerate(zip(flags, addresses, strict=True), 1):
        out.update(_address_fields(f"address{j}.", _address_parts(a), fav))
    return clean(out)


def apply_company(rec: CompanyRecord | None, fields: Fields) -> CompanyRecord:
    """A company holding `fields`, built on `rec`: entries are written positionally, keeping their local types."""
    f = clean(fields)
    base = rec or CompanyRecord()
    emails = tuple(
        Email(value, base.emails[j].type if j < len(base.emails) else EmailType.WORK, fav)
        for j, (fav, _, value) in enumerate(_items(f.get("emails"), None))
    )
    phones = tuple(
        Phone(value, PhoneType(kind or "other"), fav) for fav, kind, value in _items(f.get("phones"), _PHONE_TYPES)
    )
    old_addresses = [a for a in base.addresses if not a.is_empty()]
    addresses = tuple(
        _address_record(parts, old_addresses[j] if j < len(old_addresses) else None, AddressType.WORK)
        for j, parts in enumerate(_addresses_in(f, ""))
    )
    tags = f.get("tags")
    return base.replace(
        name=_str(f.get("name")),
        website=_str(f.get("website")),
        notes=_str(f.get("note")),
        tags=normalize_tags(tags) if isinstance(tags, tuple) else (),
        emails=emails,
        phones=phones,
        addresses=addresses,
    )


def project_touchpoint(t: TouchpointRecord) -> dict[str, Value]:
    """The sync fields cobra can hold of a touchpoint."""
    turnover = t.type is TouchpointType.TURNOVER
    out: dict[str, Value] = {
        "type": t.type.value,
        "date": _second(t.occurred_at),
        "subject": t.subject,
        "text": t.body,
        "direction": t.direction.value or None,
        "priority": t.priority.value,
        "mood": t.mood.value or None,
        "tags": t.tags or None,
        "amount": _amount(t.amount) if turnover else None,
        "currency": t.currency.upper() if turnover else None,
        "company": ref(Entity.COMPANY, t.company_id) if t.company_id else None,
    }
    for person_id in t.person_ids:
        out[PERSON_REF + person_id] = True
    return clean(out)


def _enum(kind: type[Any], value: Value, default: Any) -> Any:
    try:
        return kind(value) if isinstance(value, str) else default
    except ValueError:
        return default


def apply_touchpoint(rec: TouchpointRecord | None, fields: Fields) -> TouchpointRecord:
    """A touchpoint holding `fields`, built on `rec` (its sub-second time and, unless it is a turnover, its amount
    stay)."""
    f = clean(fields)
    base = rec or TouchpointRecord()
    when = base.occurred_at
    text = f.get("date")
    if isinstance(text, str) and (rec is None or _second(base.occurred_at) != text):
        when = _time(text) or when
    wanted = [k[len(PERSON_REF) :] for k in f if k.startswith(PERSON_REF)]
    people = [p for p in base.person_ids if p in wanted] + [p for p in wanted if p not in base.person_ids]
    company = parse_ref(_str(f.get("company")))
    kind = _enum(TouchpointType, f.get("type"), TouchpointType.NOTE)
    amount, currency = base.amount, base.currency
    if kind is TouchpointType.TURNOVER:
        amount = _str(f.get("amount"))
        if _amount(base.amount) == amount:
            amount = base.amount
        currency = _str(f.get("currency"))
    tags = f.get("tags")
    return base.replace(
        type=kind,
        occurred_at=when,
        subject=_str(f.get("subject")),
        body=_str(f.get("text")),
        direction=_enum(Direction, f.get("direction"), Direction.NONE),
        priority=_enum(Priority, f.get("priority"), Priority.NORMAL),
        mood=_enum(Mood, f.get("mood"), Mood.NONE),
        tags=normalize_tags(tags) if isinstance(tags, tuple) else (),
        amount=amount,
        currency=currency,
        person_ids=tuple(people),
        company_id=company[1] if company else None,
    )


# ---------------------------------------------------------------------------------------------------------------------
# cobra JSON ⇄ sync fields


def _cards_in_order(cards: Any) -> list[dict[str, Any]]:
    """A person's cards as numbered in sync fields: the favourite first, then creation order."""
    items = [c for c in cards or () if isinstance(c, dict)]
    first = next((i for i, c in enumerate(items) if c.get("isFavorite") is True), 0)
    return [items[first], *items[:first], *items[first + 1 :]] if items else []


def _entry_flags(entries: list[dict[str, Any]]) -> list[bool]:
    return [e.get("isFavorite") is True for e in entries]


def card_fields(i: int, card: Mapping[str, Any]) -> dict[str, Value]:
    """The sync fields of card number `i` (its company link not included)."""
    k = f"card{i}"
    out: dict[str, Value] = {k: "private" if card.get("isPrivate") else "business"}
    if not card.get("companyId"):
        out[f"{k}.company_name"] = _text(card.get("companyName"))
    out[f"{k}.position"] = _text(card.get("position"))
    out[f"{k}.department"] = _text(card.get("department"))
    emails = [e for e in card.get("emails") or () if isinstance(e, dict) and _text(e.get("email"))]
    out[f"{k}.emails"] = (
        tuple(
            _item(e.get("isFavorite") is True, _kind(e.get("type"), _EMAIL_TYPES), str(_text(e["email"])))
            for e in emails
        )
        or None
    )
    phones = [ph for ph in card.get("phones") or () if isinstance(ph, dict) and _text(ph.get("number"))]
    out[f"{k}.phones"] = (
        tuple(
            _item(ph.get("isFavorite") is True, _kind(ph.get("type"), _PHONE_TYPES), str(_text(ph["number"])))
            for ph in phones
        )
        or None
    )
    j = 0
    for a in card.get("addresses") or ():
        if isinstance(a, dict):
            parts = _address_fields(f"{k}.address{j + 1}.", a, a.get("isFavorite") is True)
            if parts:
                j += 1
                out.update(parts)
    return out


def _kind(value: Any, kinds: tuple[str, ...]) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text in kinds else kinds[-1]


def person_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """Sync fields of a person read model with its ``businessCards`` (company references as remote ids)."""
    out: dict[str, Value] = {
        "salutation": _text(data.get("salutation")),
        "title": _text(data.get("title")),
        "first_name": _text(data.get("firstname")),
        "last_name": _text(data.get("lastname")),
        "birthday": _birthday_text(data.get("birthday")),
        "note": _text(data.get("note")),
        "tags": _tags(data.get("orgaTags")),
    }
    links: dict[str, list[str]] = {}
    for i, card in enumerate(_cards_in_order(data.get("businessCards")), 1):
        out.update(card_fields(i, card))
        if card.get("companyId") and not card.get("isPrivate"):
            links.setdefault(str(card["companyId"]), []).append(str(i))
    for company_id, numbers in links.items():
        out[COMPANY_REF + company_id] = ",".join(numbers)
    return clean(out)


def company_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """Sync fields of a company read model."""
    out: dict[str, Value] = {
        "name": _text(data.get("name")),
        "website": _text(data.get("website")),
        "note": _text(data.get("note")),
        "tags": _tags(data.get("tags")),
    }
    emails = [e for e in data.get("emails") or () if isinstance(e, dict) and _text(e.get("email"))]
    flags = _favourite_or_first(_entry_flags(emails))
    out["emails"] = (
        tuple(_item(fav, None, str(_text(e["email"]))) for fav, e in zip(flags, emails, strict=True)) or None
    )
    phones = [ph for ph in data.get("phones") or () if isinstance(ph, dict) and _text(ph.get("number"))]
    flags = _favourite_or_first(_entry_flags(phones))
    out["phones"] = (
        tuple(
            _item(fav, _kind(ph.get("type"), _PHONE_TYPES), str(_text(ph["number"])))
            for fav, ph in zip(flags, phones, strict=True)
        )
        or None
    )
    addresses = [a for a in data.get("addresses") or () if isinstance(a, dict) and _address_fields("", a, False)]
    flags = _favourite_or_first(_entry_flags(addresses))
    for j, (fav, a) in enumerate(zip(flags, addresses, strict=True), 1):
        out.update(_address_fields(f"address{j}.", a, fav))
    return clean(out)


def touchpoint_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """Sync fields of a touchpoint read model (references as remote ids)."""
    when = _time(data.get("date"))
    turnover = data.get("turnover") if data.get("type") == "turnover" else None
    companies = [c["id"] for c in data.get("companies") or () if isinstance(c, dict) and c.get("id")]
    out: dict[str, Value] = {
        "type": _text(data.get("type")),
        "date": _second(when) if when else None,
        "subject": _text(data.get("subject")),
        "text": _text(data.get("text")),
        "direction": _text(data.get("direction")),
        "priority": _text(data.get("priority")) or Priority.NORMAL.value,
        "mood": _text(data.get("mood")),
        "tags": _tags(data.get("orgaTags")),
        "amount": _amount(turnover.get("amount")) if isinstance(turnover, dict) else None,
        "currency": _text(turnover.get("currency")) if isinstance(turnover, dict) else None,
        "company": ref(Entity.COMPANY, str(companies[0])) if companies else None,
    }
    for person in data.get("people") or ():
        if isinstance(person, dict) and person.get("id"):
            out[PERSON_REF + str(person["id"])] = True
    return clean(out)


# ---- bodies ---------------------------------------------------------------------------------------------------------

PERSON_WRITE_KEYS = (
    "salutation",
    "title",
    "firstname",
    "lastname",
    "birthday",
    "importantDates",
    "socialMedias",
    "orgaTags",
    "personalities",
    "customerNumber",
    "employeeStatus",
    "employeeNumber",
    "lifecycle",
)
COMPANY_WRITE_KEYS = (
    "name",
    "name2",
    "domain",
    "website",
    "customerNumber",
    "legalForm",
    "industrySectors",
    "numberOfEmployees",
    "tags",
    "lifecycle",
)
PERSON_SCALARS = ("salutation", "title", "first_name", "last_name", "birthday", "tags")


def person_body(fields: Fields, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The person write model holding `fields`; what cobra has beyond them (`current`) is sent back as it is."""
    body: dict[str, Any] = {k: current.get(k) for k in PERSON_WRITE_KEYS} if current else {}
    body.update(
        salutation=fields.get("salutation"),
        title=fields.get("title"),
        firstname=fields.get("first_name"),
        lastname=fields.get("last_name"),
        birthday=_birthday_json(fields.get("birthday")),
        orgaTags=_tags_json(fields.get("tags"), (current or {}).get("orgaTags")),
    )
    return body


def _slice(fields: Fields, prefix: str) -> dict[str, Value]:
    """The keys of `fields` under `prefix` (``card2.``), the prefix taken off."""
    return {k[len(prefix) :]: v for k, v in fields.items() if k.startswith(prefix)}


def card_body(
    fields: Fields, i: int, current: Mapping[str, Any] | None, *, favourite: bool, connected: bool
) -> dict[str, Any]:
    """The card write model of card `i` of `fields`; entries keep the id (and address type) of the entry they
    replace in `current`."""
    p = f"card{i}."
    cur = current or {}

    def old(kind: str, j: int) -> Mapping[str, Any]:
        entries = [e for e in cur.get(kind) or () if isinstance(e, dict)]
        return entries[j] if j < len(entries) else {}

    emails = [
        {"id": old("emails", j).get("id"), "email": value, "type": kind, "isFavorite": fav}
        for j, (fav, kind, value) in enumerate(_items(fields.get(f"{p}emails"), _EMAIL_TYPES))
    ]
    phones = [
        {"id": old("phones", j).get("id"), "number": value, "type": kind, "isFavorite": fav}
        for j, (fav, kind, value) in enumerate(_items(fields.get(f"{p}phones"), _PHONE_TYPES))
    ]
    addresses = []
    for j, parts in enumerate(_addresses_in(fields, p)):
        before = old("addresses", j)
        entry: dict[str, Any] = {"id": before.get("id"), "addressTypeId": before.get("addressTypeId")}
        entry.update({k: parts.get(k) for k in ADDRESS_PARTS})
        entry["isFavorite"] = parts.get("favourite") is True
        addresses.append(entry)
    return {
        "isFavorite": favourite,
        "isPrivate": fields.get(f"card{i}") == "private",
        "companyName": cur.get("companyName") if connected else fields.get(f"{p}company_name"),
        "position": fields.get(f"{p}position"),
        "department": fields.get(f"{p}department"),
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
    }


def card_links(fields: Fields) -> tuple[dict[int, str], list[str]]:
    """(card number → company remote id, companies to connect a new card to) of person sync fields."""
    numbered: dict[int, str] = {}
    new: list[str] = []
    for key, value in fields.items():
        if key.startswith(COMPANY_REF):
            numbers = _card_numbers(value)
            for n in numbers:
                numbered[n] = key[len(COMPANY_REF) :]
            if not numbers and value is not None:
                new.append(key[len(COMPANY_REF) :])
    return numbered, new


def company_entries(fields: Fields) -> dict[str, list[dict[str, Any]]]:
    """The phone, e-mail and address entries (without ids) company sync fields describe, favourite flags set."""
    emails = [{"email": v, "isFavorite": fav} for fav, _, v in _items(fields.get("emails"), None)]
    phones = [{"number": v, "type": k, "isFavorite": fav} for fav, k, v in _items(fields.get("phones"), _PHONE_TYPES)]
    addresses = [
        {**{k: parts.get(k) for k in ADDRESS_PARTS}, "isFavorite": parts.get("favourite") is True}
        for parts in _addresses_in(fields, "")
    ]
    return {"emails": emails, "phones": phones, "addresses": addresses}


def company_body(fields: Fields, current: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {k: current.get(k) for k in COMPANY_WRITE_KEYS} if current else {}
    body.update(
        name=fields.get("name"),
        website=fields.get("website"),
        tags=_tags_json(fields.get("tags"), (current or {}).get("tags")),
    )
    return body


def touchpoint_body(fields: Fields, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The touchpoint write model holding `fields`; channel and further companies of `current` stay."""
    cur = current or {}
    kind = _str(fields.get("type")) or TouchpointType.NOTE.value
    company = parse_ref(_str(fields.get("company")))
    others = [
        {"id": c["id"]} for c in (cur.get("companies") or ())[1:] if isinstance(c, dict) and c.get("id")
    ]  # only the first company is synced
    companies = ([{"id": company[1]}] if company else []) + [c for c in others if not company or c["id"] != company[1]]
    amount = _str(fields.get("amount"))
    turnover = None
    if kind == TouchpointType.TURNOVER.value and amount:
        turnover = {"amount": _amount_json(amount), "currency": fields.get("currency")}
    channel = cur.get("channel") if current is not None else _CHANNELS.get(_enum(TouchpointType, kind, None))
    return {
        "type": kind,
        "channel": channel,
        "subject": fields.get("subject"),
        "text": fields.get("text"),
        "date": str(fields.get("date") or _second(dt.datetime.now(dt.UTC))).replace("Z", "+00:00"),
        "direction": fields.get("direction"),
        "priority": fields.get("priority") or Priority.NORMAL.value,
        "mood": fields.get("mood"),
        "people": [{"id": k[len(PERSON_REF) :]} for k in sorted(fields) if k.startswith(PERSON_REF)],
        "companies": companies,
        "orgaTags": _tags_json(fields.get("tags"), cur.get("orgaTags")),
        "turnover": turnover,
    }


# ---------------------------------------------------------------------------------------------------------------------


class CobraConnector:
    """cobra people (with business cards) ⇄ people, companies ⇄ companies, touchpoints ⇄ touchpoints."""

    kind = AccountKind.COBRA
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON, Entity.TOUCHPOINT)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(
        self,
        http: HttpClient,
        *,
        user: str,
        api_key: str,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.user = user
        self._api_key = api_key
        self.page_size = max(1, min(page_size, PAGE_SIZE))
        self._clock = clock
        self._token = ""
        self._renew_at = 0.0
        self._login_lock = threading.Lock()
        self._local = threading.local()  # per thread: whether this thread is signing in right now
        self._made: dict[tuple[Entity, str], str] = {}  # (entity, local id) → remote id, kept from each create
        self.logins = 0
        http.on_unauthorized = self._unauthorized

    # ---- sign-in and requests ------------------------------------------------------------------------------------

    def login(self) -> None:
        """Get a bearer token for the API user (`POST /auth/token`).

        Raises:
            SignInRequired: the e-mail or API key was refused.
        """
        seen = self.logins
        with self._login_lock:  # the pull's prefetch thread and the engine share this connector
            if self.logins != seen:
                return  # another thread signed in while this one waited: its token is fresh
            self._local.signing_in = True
            try:
                body = self.http.request(
                    "POST", "/auth/token", json_body={"username": self.user, "password": self._api_key}, idempotent=True
                )
            finally:
                self._local.signing_in = False
            self._take_token(body)

    def _take_token(self, body: Any) -> None:
        payload = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else body
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(body, dict) or not isinstance(token, str) or not token:
            status = _body_status(body) or 200
            if status in (401, 403):
                raise SignInRequired(
                    f"{self.http.name}: cobra refused the API user or key — sign in again.",
                    hints=("Check the API e-mail and the API key in the account.",),
                )
            if status == 429 or status >= 500:
                raise RemoteUnavailable(
                    f"{self.http.name}: cobra could not sign in (status {status}); sync will try again later."
                )
            raise RemoteRejected(f"{self.http.name}: the sign-in answer holds no access token.", status=status)
        lifetime = payload.get("expires_in") if isinstance(payload, dict) else None
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 3600.0
        self._token = token
        self._renew_at = self._clock() + seconds - min(TOKEN_MARGIN, seconds / 10)
        self.http.set_header("Authorization", f"Bearer {token}", secret=True)
        self.logins += 1

    def _unauthorized(self) -> bool:
        if getattr(self._local, "signing_in", False):
            return False  # the sign-in itself was refused: the credentials are wrong
        self.login()
        return True

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        idempotent: bool | None = None,
    ) -> Any:
        """One request with a fresh token; the envelope's own `statusCode` is trusted as much as HTTP's."""
        if not self._token or self._clock() >= self._renew_at:
            self.login()
        safe = method.upper() in SAFE_METHODS if idempotent is None else idempotent
        attempt = 0
        refreshed = False
        while True:
            body = self.http.request(method, path, params=params, json_body=json_body, idempotent=idempotent)
            status = _body_status(body)
            if status is None or status < 400:
                return body
            message = body.get("message") if isinstance(body, dict) else None
            where = f"{method} {path}"
            text = f"{self.http.name}: the server refused {where} (status {status} in its answer)"
            if isinstance(message, str) and message:
                text += f": {self.http.redact(message)}"
            if status == 401 and not refreshed:
                refreshed = True
                self.login()
                continue
            if status == 401:
                raise SignInRequired(text, hints=("Check the API e-mail and the API key in the account.",))
            if status == 429 or status >= 500:
                if not safe or attempt >= self.http.retries:
                    raise RemoteUnavailable(text + ".", maybe_done=not safe)
                self.http.cancel.wait(min(self.http.max_backoff, self.http.backoff * 2**attempt))
                attempt += 1
                continue
            cls = RemoteNotFound if status == 404 else RemoteRejected
            raise cls(text, status=status, problems=_problems(body))

    @staticmethod
    def _data(body: Any) -> Any:
        return body.get("data") if isinstance(body, dict) else None

    def _object(self, body: Any, what: str) -> dict[str, Any]:
        data = self._data(body)
        if not isinstance(data, dict) or not data.get("id"):
            raise RemoteRejected(f"{self.http.name}: the answer about {what} has an unexpected shape.", status=200)
        return data

    # ---- reads ---------------------------------------------------------------------------------------------------

    def _person(self, remote_id: str) -> dict[str, Any]:
        data = self._object(self._call("GET", f"/people/{remote_id}", params={"include": "businessCards"}), "a person")
        return self._with_cards(data)

    def _with_cards(self, data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data.get("businessCards"), list):
            return data
        cards = self._data(self._call("GET", f"/people/{data['id']}/business-cards"))
        return {**data, "businessCards": cards if isinstance(cards, list) else []}

    def _remote_item(self, entity: Entity, data: Mapping[str, Any]) -> RemoteItem:
        if entity is Entity.PERSON:
            fields = person_fields(data)
        elif entity is Entity.COMPANY:
            fields = company_fields(data)
        else:
            fields = touchpoint_fields(data)
        modified = data.get("dateModified")
        return RemoteItem(str(data["id"]), str(modified or ""), fields, "", _time(modified))

    def _list(self, entity: Entity, params: Mapping[str, str | int]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        body = self._call("GET", _PATHS[entity], params=params)
        data = self._data(body)
        meta = body.get("metaData") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise RemoteRejected(
                f"{self.http.name}: the list of {_PATHS[entity][1:]} has an unexpected shape.", status=200
            )
        rows = [d for d in data if isinstance(d, dict) and d.get("id")]
        if entity is Entity.PERSON:
            rows = [self._with_cards(d) for d in rows]
        return rows, meta if isinstance(meta, dict) else {}

    # ---- Connector protocol --------------------------------------------------------------------------------------

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Every record, oldest first, page by page: cobra reports no deletions, so each pull walks everything."""
        params: dict[str, str | int] = {"pageSize": self.page_size, "sort": "dateCreate"}
        if entity is Entity.PERSON:
            params["include"] = "businessCards"
        seen: set[str] = set()
        first_total: int | None = None
        started: dt.datetime | None = None
        fresh = False
        page = 1
        while True:
            rows, meta = self._list(entity, {**params, "page": page})
            if started is None:
                started = _time(meta.get("responseTimeStamp")) or self.http.last_date or dt.datetime.now(dt.UTC)
            total = meta.get("totalResults")
            total = total if isinstance(total, int) else -1
            first_total = total if first_total is None else first_total
            items = []
            for row in rows:
                created = _time(row.get("dateCreate"))
                fresh = fresh or (created is not None and created > started)
                if str(row["id"]) not in seen:
                    seen.add(str(row["id"]))
                    items.append(self._remote_item(entity, row))
            if not rows or len(rows) < self.page_size or (total >= 0 and page * self.page_size >= total):
                # Complete only when nothing moved under the walk: then a record missing from it is gone.
                stable = total == first_total == len(seen) and not fresh
                yield RemotePage(tuple(items), cursor=FULL_WALK, complete=stable)
                return
            yield RemotePage(tuple(items))
            page += 1

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        if entity is Entity.PERSON:
            data = self._object(
                self._call("POST", "/people", json_body=_with_number(person_body(fields, None), local_id)), "a person"
            )
            self._made[(entity, local_id)] = str(data["id"])  # before anything else: a later step may fail
            return self._update_person(str(data["id"]), fields, {**data, "note": None, "businessCards": []})
        if entity is Entity.COMPANY:
            body = {**company_body(fields, None), "customerNumber": local_id, "note": fields.get("note")}
            body.update(company_entries(fields))
            data = self._object(self._call("POST", "/companies", json_body=body), "a company")
            self._made[(entity, local_id)] = str(data["id"])
            return self._update_company(str(data["id"]), fields, data)
        data = self._object(self._call("POST", "/touchpoints", json_body=touchpoint_body(fields, None)), "a touchpoint")
        self._made[(entity, local_id)] = str(data["id"])
        return RemoteItem(
            str(data["id"]), str(data.get("dateModified") or ""), fields, "", _time(data.get("dateModified"))
        )

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        made = self._made.get((entity, local_id))
        if made is None and entity is not Entity.TOUCHPOINT:
            made = self._by_number(entity, local_id)
        if made is not None:
            # Ours (it carries our id): a create that stopped part-way is finished now.
            try:
                return self.update(entity, made, fields, {})
            except RemoteNotFound:
                self._made.pop((entity, local_id), None)
                return None
        if entity is Entity.PERSON:
            found = self._person_by_keys(fields, taken)
        elif entity is Entity.COMPANY:
            found = self._company_by_keys(fields, taken)
        else:
            found = self._touchpoint_by_keys(fields, taken)
        return found

    def _by_number(self, entity: Entity, local_id: str) -> str | None:
        """The record whose customer number is `local_id` (what a create of ours carries), or None."""
        if entity is Entity.PERSON:
            try:
                rows = self._data(self._call("GET", "/people/filter", params={"customerNumber": local_id}))
            except RemoteRejected as exc:
                if exc.status != 400:
                    raise
                rows = None  # no such filter on this server: look through the newest people
            if isinstance(rows, list):
                return next(
                    (str(r["id"]) for r in rows if isinstance(r, dict) and r.get("customerNumber") == local_id), None
                )
        for row in self._newest(entity):
            if row.get("customerNumber") == local_id:
                return str(row["id"])
        return None

    def _newest(self, entity: Entity) -> Iterator[dict[str, Any]]:
        for page in range(1, FIND_PAGES + 1):
            params: dict[str, str | int] = {"pageSize": self.page_size, "sort": "-dateCreate", "page": page}
            rows, _ = self._list(entity, params)
            yield from rows
            if len(rows) < self.page_size:
                return

    def _person_by_keys(self, fields: Fields, taken: AbstractSet[str]) -> RemoteItem | None:
        emails = [e for k, v in sorted(fields.items()) if k.endswith(".emails") and isinstance(v, tuple) for e in v]
        keys = ("first_name", "last_name")
        if emails:
            _, _, address = _parse_item(emails[0], _EMAIL_TYPES)
            body = self._call("GET", "/people/filter", params={"email": norm_text(address), "include": "businessCards"})
            rows = self._data(body)
            candidates = (
                [self._with_cards(r) for r in rows if isinstance(r, dict) and r.get("id")]
                if isinstance(rows, list)
                else []
            )
        else:
            candidates = list(self._newest(Entity.PERSON))
        for row in candidates:
            if str(row.get("id")) in taken or row.get("customerNumber") not in (None, ""):
                continue  # a record with a customer number is someone's, not a lost create of ours
            item = self._remote_item(Entity.PERSON, row)
            if item.fields is not None and same_keys(fields, item.fields, keys):
                return item
        return None

    def _company_by_keys(self, fields: Fields, taken: AbstractSet[str]) -> RemoteItem | None:
        for row in self._newest(Entity.COMPANY):
            if str(row.get("id")) in taken:
                continue
            item = self._remote_item(Entity.COMPANY, row)
            if not row.get("customerNumber") and item.fields is not None and same_keys(fields, item.fields, ("name",)):
                return item
        return None

    def _touchpoint_by_keys(self, fields: Fields, taken: AbstractSet[str]) -> RemoteItem | None:
        people = sorted(k[len(PERSON_REF) :] for k in fields if k.startswith(PERSON_REF))
        if not people:
            return None
        params: dict[str, str | int] = {"peopleId": people[0], "pageSize": self.page_size, "sort": "-dateCreate"}
        for page in range(1, FIND_PAGES + 1):
            body = self._call("GET", "/touchpoints", params={**params, "page": page})
            rows = self._data(body)
            rows = [r for r in rows if isinstance(r, dict) and r.get("id")] if isinstance(rows, list) else []
            for row in rows:
                if str(row.get("id")) in taken:
                    continue
                item = self._remote_item(Entity.TOUCHPOINT, row)
                if item.fields is not None and same_keys(fields, item.fields, ("type", "date", "subject")):
                    return item
            if len(rows) < self.page_size:
                break
        return None

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        """Read the record, then write what differs from `fields` (`old` is not needed: cobra is read first)."""
        if entity is Entity.PERSON:
            return self._update_person(remote_id, fields, self._person(remote_id))
        if entity is Entity.COMPANY:
            current = self._object(self._call("GET", f"/companies/{remote_id}"), "a company")
            return self._update_company(remote_id, fields, current)
        current = self._object(self._call("GET", f"/touchpoints/{remote_id}"), "a touchpoint")
        if clean(touchpoint_fields(current)) != clean(fields):
            body = touchpoint_body(fields, current)
            current = self._object(self._call("PUT", f"/touchpoints/{remote_id}", json_body=body), "a touchpoint")
        return RemoteItem(
            remote_id, str(current.get("dateModified") or ""), fields, "", _time(current.get("dateModified"))
        )

    def _update_person(self, remote_id: str, fields: Fields, current: Mapping[str, Any]) -> RemoteItem:
        f = clean(fields)
        have = person_fields(current)
        path = f"/people/{remote_id}"
        if any(have.get(k) != f.get(k) for k in PERSON_SCALARS):
            self._call("PUT", path, json_body=person_body(f, current))
        if have.get("note") != f.get("note"):
            self._call("PUT", f"{path}/note", json_body={"note": f.get("note")})
        self._write_cards(remote_id, f, _cards_in_order(current.get("businessCards")))
        return RemoteItem(remote_id, "", fields)

    def _write_cards(self, person_id: str, f: Fields, cards: list[dict[str, Any]]) -> None:
        """Make the person's cards those of `f`. Each wanted card is written onto the cobra card that holds the same
        (else one at the same company, else the next left), the favourite last, so a new favourite moves no content
        between cards; cards left over are deleted."""
        numbered, new = card_links(f)
        count = _card_count(f)
        base = f"/people/{person_id}/business-cards"
        wanted_company = {i: numbered.get(i) if f.get(f"card{i}") != "private" else None for i in range(1, count + 1)}
        have = [
            (
                card_content(card_fields(1, c), 1),
                str(c["companyId"]) if c.get("companyId") and not c.get("isPrivate") else None,
            )
            for c in cards
        ]
        wanted = [(card_content(f, i), wanted_company[i]) for i in range(1, count + 1)]
        matches = match_cards(wanted, have)
        for index, card in enumerate(cards):
            if index not in matches:
                with contextlib.suppress(RemoteNotFound):
                    self._call("DELETE", f"{base}/{card['id']}")
        # The favourite last, so no other write takes its flag; a new favourite first, so it is the oldest card.
        order = [*range(2, count + 1), 1] if count and matches[0] is not None else list(range(1, count + 1))
        for i in order:
            j = matches[i - 1]
            want_company = wanted_company[i]
            if j is None:
                body = card_body(f, i, None, favourite=i == 1, connected=False)
                made = self._object(self._call("POST", base, json_body=body), "a business card")
                if want_company:
                    self._call("PUT", f"{base}/{made['id']}/company", json_body={"companyId": want_company})
                continue
            current = cards[j]
            card_path = f"{base}/{current['id']}"
            have_company = current.get("companyId") or None
            if have_company and have_company != want_company:
                self._call("PUT", f"{card_path}/company", json_body={"companyId": None})
                current = {**current, "companyId": None}
            same = card_content(card_fields(1, current), 1) == wanted[i - 1][0]
            if not same or (i == 1 and current.get("isFavorite") is not True):
                connected = bool(current.get("companyId"))
                body = card_body(f, i, current, favourite=i == 1, connected=connected)
                self._call("PUT", card_path, json_body=body)
            if want_company and want_company != current.get("companyId"):
                self._call("PUT", f"{card_path}/company", json_body={"companyId": want_company})
        for company_id in new:
            body = card_body({}, 0, None, favourite=not count, connected=False)
            made = self._object(self._call("POST", base, json_body=body), "a business card")
            count += 1
            self._call("PUT", f"{base}/{made['id']}/company", json_body={"companyId": company_id})

    def _update_company(self, remote_id: str, fields: Fields, current: dict[str, Any]) -> RemoteItem:
        f = clean(fields)
        have = company_fields(current)
        path = f"/companies/{remote_id}"
        if any(have.get(k) != f.get(k) for k in ("name", "website", "tags")):
            current = self._object(self._call("PUT", path, json_body=company_body(f, current)), "a company")
        if have.get("note") != f.get("note"):
            current = self._object(self._call("PUT", f"{path}/note", json_body={"note": f.get("note")}), "a company")
        wanted = company_entries(f)
        for kind in ("emails", "phones", "addresses"):
            current = self._write_entries(path, kind, wanted[kind], current)
        return RemoteItem(
            remote_id, str(current.get("dateModified") or ""), fields, "", _time(current.get("dateModified"))
        )

    def _write_entries(
        self, path: str, kind: str, wanted: list[dict[str, Any]], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Make a company's phones, e-mails or addresses `wanted` (positionally); the favourite is set last."""
        entries = [e for e in current.get(kind) or () if isinstance(e, dict)]
        if kind == "emails":
            entries = [e for e in entries if _text(e.get("email"))]
        elif kind == "phones":
            entries = [e for e in entries if _text(e.get("number"))]
        else:
            entries = [e for e in entries if _address_fields("", e, False)]

        def same(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
            return all(_text(have.get(k)) == _text(v) for k, v in want.items() if k != "isFavorite")

        for extra in entries[len(wanted) :]:
            with contextlib.suppress(RemoteNotFound):
                current = self._object(self._call("DELETE", f"{path}/{kind}/{extra['id']}"), "a company")
        favourite: tuple[int, dict[str, Any]] | None = None
        for j, want in enumerate(wanted):
            have = entries[j] if j < len(entries) else None
            body = dict(want)
            if have is not None and kind == "emails":
                body["emailAddressTypeId"] = have.get("emailAddressTypeId")
            if want.get("isFavorite"):
                favourite = (j, body)
                continue  # set last, so no later write takes the flag away
            if have is None:
                current = self._object(
                    self._call("POST", f"{path}/{kind}", json_body=_entry_post(kind, body)), "a company"
                )
            elif not same(want, have):
                current = self._object(self._call("PUT", f"{path}/{kind}/{have['id']}", json_body=body), "a company")
        if favourite is not None:
            j, body = favourite
            now = [e for e in current.get(kind) or () if isinstance(e, dict)]
            have = entries[j] if j < len(entries) else None
            if have is None:
                current = self._object(
                    self._call("POST", f"{path}/{kind}", json_body=_entry_post(kind, body)), "a company"
                )
            else:
                state = next((e for e in now if e.get("id") == have.get("id")), have)
                if not same(body, state) or state.get("isFavorite") is not True:
                    current = self._object(
                        self._call("PUT", f"{path}/{kind}/{have['id']}", json_body=body), "a company"
                    )
        return current

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        with contextlib.suppress(RemoteNotFound):  # already gone: what a delete wants
            self._call("DELETE", f"{_PATHS[entity]}/{remote_id}")

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        return None  # cobra deletes for good (no restore operation exists)

    def accepts(self, record: Record) -> bool:
        """A cobra touchpoint needs a subject and a person involved; everything else can go."""
        if isinstance(record, TouchpointRecord):
            return bool(record.subject.strip() and record.person_ids)
        return True

    def project(self, record: Record) -> dict[str, Value]:
        if isinstance(record, PersonRecord):
            return project_person(record)
        if isinstance(record, CompanyRecord):
            return project_company(record)
        if isinstance(record, TouchpointRecord):
            return project_touchpoint(record)
        raise TypeError(f"cobra does not sync {type(record).__name__}")

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is Entity.PERSON and (record is None or isinstance(record, PersonRecord)):
            return apply_person(record, fields)
        if entity is Entity.COMPANY and (record is None or isinstance(record, CompanyRecord)):
            return apply_company(record, fields)
        if entity is Entity.TOUCHPOINT and (record is None or isinstance(record, TouchpointRecord)):
            return apply_touchpoint(record, fields)
        raise TypeError(f"cobra does not sync {entity.value} records")

    def probe(self) -> str:
        try:
            self.login()
            body = self._call("GET", "/people", params={"pageSize": 1})
        except RemoteNotFound:
            body = None  # no /auth/token or /people there: the wrong address
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise RemoteRejected(
                f"{self.http.name}: the server answered, but not like cobra's API — check the URL (it ends in /v1).",
                status=200,
            )
        return f"Connected to cobra CRM as {self.user}: the API key works and people can be read."

    def vcard(self, remote_person_id: str) -> str:
        """The person's favourite business card (else the first) as cobra exports it: vCard 3.0 text.

        Raises:
            RemoteNotFound: no such person, or the person has no business card.
        """
        cards = _cards_in_order(self._data(self._call("GET", f"/people/{remote_person_id}/business-cards")))
        if not cards:
            raise RemoteNotFound(f"{self.http.name}: this person has no business card in cobra to export.", status=404)
        if not self._token or self._clock() >= self._renew_at:
            self.login()
        path = f"/people/{remote_person_id}/business-cards/{cards[0]['id']}/vcard"
        text = self.http.request("GET", path, expect_json=False)
        return str(text or "")

    def label(self, field: str) -> str:
        if field.startswith(COMPANY_REF):
            return "Company link"
        if field.startswith(PERSON_REF):
            return "Person involved"
        m = re.fullmatch(r"card(\d+)(?:\.address(\d+))?(?:\.(\w+))?", field)
        if m:
            where = f"Business card {m.group(1)}"
            if m.group(2):
                where += f", address {m.group(2)}"
            part = m.group(3)
            return f"{where}: {_LABELS.get(part, part).lower()}" if part else f"{where}: kind"
        m = re.fullmatch(r"address(\d+)\.(\w+)", field)
        if m:
            return f"Address {m.group(1)}: {_LABELS.get(m.group(2), m.group(2))}"
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def _with_number(body: dict[str, Any], local_id: str) -> dict[str, Any]:
    return {**body, "customerNumber": local_id}


def _entry_post(kind: str, body: dict[str, Any]) -> Any:
    """A POST body for one company entry: phones and e-mails take an array, an address one object."""
    return body if kind == "addresses" else [body]


def _body_status(body: Any) -> int | None:
    status = body.get("statusCode") if isinstance(body, dict) else None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _problems(body: Any) -> dict[str, str]:
    data = body.get("data") if isinstance(body, dict) else None
    out: dict[str, str] = {}
    for item in data if isinstance(data, list) else ():
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            out[item["field"]] = str(item.get("message") or "")
    return out


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> CobraConnector:
    """The connector of a cobra account (options `tenant`, `user` = API e-mail, optional `language`; the secret is
    the API key)."""
    tenant, user = account.option("tenant").strip(), account.option("user").strip()
    name = account.name or account.kind.label
    if not tenant or not user:
        raise UserError(f"{name}: a cobra account needs its tenant id and the API user's e-mail.")
    http = HttpClient(
        account.base_url,
        name=name,
        headers={
            "Accept": "application/json",
            "X-Cobra-TenantId": tenant,
            "X-Integration-Name": INTEGRATION,
            "X-Integration-Provider": INTEGRATION,
            "Accept-Language": account.option("language", "en") or "en",
        },
        secrets=(secret,),
        cancel=cancel,
    )
    return CobraConnector(http, user=user, api_key=secret)
