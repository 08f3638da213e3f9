"""Normalisation and validation of whole records: what may be stored, and the one tidy form it is stored in.

`*_problems` report every problem as field path → message (``"cards[0].emails[1]"``), `normalize_*` bring a
record into normal form without judging it, and `check_*` do both and raise `ValidationError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit

from crmdesk.domain import favourites
from crmdesk.domain.normalize import (
    EmailError,
    PhoneError,
    normalize_email,
    normalize_name,
    normalize_notes,
    normalize_phone,
    normalize_text,
    phone_region,
)
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    Mood,
    PersonRecord,
    Phone,
    Priority,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import ValidationError

__all__ = [
    "MAX_FIELD",
    "MAX_NAME",
    "MAX_NOTES",
    "MAX_SUBJECT",
    "MAX_TAG",
    "check_company",
    "check_person",
    "check_touchpoint",
    "company_problems",
    "normalize_company",
    "normalize_person",
    "normalize_tags",
    "normalize_touchpoint",
    "person_problems",
    "touchpoint_problems",
]

MAX_NAME = 200
"""Longest name part, company name, position, department (cobra §7.1, §8.1: ≤ 200)."""
MAX_FIELD = 200
"""Longest other one-line field: gender, lifecycle, legal form, industry, address parts."""
MAX_NOTES = 100_000
"""Longest notes text."""
MAX_TAG = 100
"""Longest tag."""
MAX_SUBJECT = 500
"""Longest touchpoint subject."""
_MAX_WEBSITE = 2_000

_NAME_FIELDS = ("salutation", "title", "first_name", "middle_name", "last_name", "suffix")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ALPHA2 = re.compile(r"[A-Za-z]{2}")

_EnumT = TypeVar("_EnumT", bound=enum.StrEnum)
_R = TypeVar("_R", Address, BusinessCardRecord)


# ---------------------------------------------------------------------------------------------------------------------
# Pieces


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Normalise a tag list: `normalize_text` each, drop empty ones, de-duplicate and sort case-insensitively.

    Of tags equal but for case the one sorting first by code point is kept ("VIP" before "vip"), so the result does
    not depend on the input order. Idempotent.

    Args:
        tags: Tags as typed or imported.

    Returns:
        The normalised tags.
    """
    cleaned = sorted({t for t in map(normalize_text, tags) if t}, key=lambda t: (t.casefold(), t))
    seen: set[str] = set()
    result: list[str] = []
    for tag in cleaned:
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return tuple(result)


def _too_long(value: str, limit: int) -> str | None:
    n = len(value)
    return f"At most {limit} characters (this has {n})" if n > limit else None


def _length_problems(problems: dict[str, str], prefix: str, fields: Iterable[tuple[str, str, int]]) -> None:
    for name, value, limit in fields:
        message = _too_long(value, limit)
        if message is not None:
            problems[f"{prefix}{name}"] = message


def _tag_problems(problems: dict[str, str], tags: Sequence[str]) -> None:
    for i, tag in enumerate(tags):
        text = normalize_text(tag)
        if not text:
            problems[f"tags[{i}]"] = "A tag cannot be empty"
        elif (message := _too_long(text, MAX_TAG)) is not None:
            problems[f"tags[{i}]"] = message


def _channel_problems(
    problems: dict[str, str],
    prefix: str,
    emails: Sequence[Email],
    phones: Sequence[Phone],
    addresses: Sequence[Address],
    region: str,
) -> None:
    """Problems of the e-mails, phones and addresses of a card or company, keyed ``{prefix}emails[i]`` etc."""
    region = region_of(addresses, region)
    for i, email in enumerate(emails):
        try:
            normalize_email(email.address)
        except EmailError as exc:
            problems[f"{prefix}emails[{i}]"] = str(exc)
    for i, phone in enumerate(phones):
        try:
            normalize_phone(phone.number, region=region)
        except PhoneError as exc:
            problems[f"{prefix}phones[{i}]"] = str(exc)
    for i, address in enumerate(addresses):
        fields = ("street", "postcode", "city", "region", "country")
        _length_problems(
            problems,
            f"{prefix}addresses[{i}].",
            ((name, normalize_text(getattr(address, name)), MAX_FIELD) for name in fields),
        )


def region_of(addresses: Sequence[Address], default: str) -> str:
    """The region a card's or company's numbers without a country code are read in: its favourite (else first)
    address's country when it names one ("FR", "France", "Frankreich"), else `default`, the user's own region —
    so "01 23 45 67 89" on a card with a Paris address is +33 1 23 45 67 89, not a German number."""
    for address in sorted(addresses, key=lambda a: not a.favourite):
        if address.country.strip():
            return phone_region(address.country, default)
    return default


def _normalize_emails(emails: Sequence[Email]) -> tuple[Email, ...]:
    result = []
    for email in emails:
        try:
            address = normalize_email(email.address)
        except EmailError:
            address = normalize_text(email.address)  # left for validation to report
        result.append(email if address == email.address else dataclasses.replace(email, address=address))
    return tuple(result)


def _normalize_phones(phones: Sequence[Phone], region: str) -> tuple[Phone, ...]:
    result = []
    for phone in phones:
        try:
            number = normalize_phone(phone.number, region=region)
        except PhoneError:
            number = normalize_text(phone.number)  # left for validation to report
        result.append(phone if number == phone.number else dataclasses.replace(phone, number=number))
    return tuple(result)


def _replaced(record: _R, changes: dict[str, Any]) -> _R:
    """`record` with `changes`, or `record` itself when they change nothing: most records are normal already
    (every pulled one passes here), and a copy of each costs the pull more than the comparison."""
    if all(getattr(record, name) == value for name, value in changes.items()):
        return record
    return dataclasses.replace(record, **changes)


def _normalize_address(address: Address) -> Address:
    country = normalize_text(address.country)
    if _ALPHA2.fullmatch(country):
        country = country.upper()
    return _replaced(
        address,
        {
            "street": normalize_notes(address.street),  # vCard ADR street may hold several lines ("c/o ...")
            "postcode": normalize_text(address.postcode),
            "city": normalize_text(address.city),
            "region": normalize_text(address.region),
            "country": country,
        },
    )


def _normalize_card(card: BusinessCardRecord, region: str) -> BusinessCardRecord:
    return _replaced(
        card,
        {
            "company_name": normalize_text(card.company_name),
            "position": normalize_text(card.position),
            "department": normalize_text(card.department),
            "emails": _normalize_emails(card.emails),
            "phones": _normalize_phones(card.phones, region_of(card.addresses, region)),
            "addresses": tuple(_normalize_address(a) for a in card.addresses),
        },
    )


def _looks_like_domain(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 for label in labels):
        return False
    for label in labels:
        if label.startswith("-") or label.endswith("-"):
            return False
        if not all(c == "-" or unicodedata.category(c)[0] in "LM" or unicodedata.category(c) == "Nd" for c in label):
            return False
    return len(labels[-1]) >= 2 and not labels[-1].isdecimal()


def _website_problem(website: str) -> str | None:
    """Why `website` is neither a domain ("brandt-mb.de") nor an http(s) URL, or None."""
    text = normalize_text(website)
    if not text:
        return None
    if " " in text:
        return f"“{text}” is not a web address: it contains a space"
    if len(text) > _MAX_WEBSITE:
        return f"At most {_MAX_WEBSITE} characters (this has {len(text)})"
    try:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is no number or out of range
    except ValueError:
        return f"“{text}” is not a web address"
    if parts.scheme.lower() not in ("http", "https"):
        return f"“{text}” is not a web address: it must start with http:// or https://"
    if "@" in parts.netloc:  # "mailto:a@b.de" read as http://mailto:a@b.de; credentials have no place here either
        return f"“{text}” is not a web address"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _looks_like_domain(host):
            return f"“{text}” is not a web address"
    return None


# ---------------------------------------------------------------------------------------------------------------------
# People


def person_problems(p: PersonRecord, *, region: str = "DE") -> dict[str, str]:
    """Everything that keeps a person from being stored.

    Rules: a first or last name (key ``name``); name parts at most `MAX_NAME` characters, gender and lifecycle at
    most `MAX_FIELD`, notes at most `MAX_NOTES`; tags non-empty and at most `MAX_TAG` (``tags[i]``); on each card
    (``cards[i].``) company name, position and department at most `MAX_NAME`, every e-mail valid
    (``cards[i].emails[j]``), every phone a possible number (``cards[i].phones[j]``), address parts at most
    `MAX_FIELD` (``cards[i].addresses[j].city``). Lengths are counted after normalisation. Keys refer to positions in
    `p` as given; `check_person` reports positions in the normalised record (favourite card first).

    Args:
        p: The person.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        Field path → message fit to show to a person; empty if the person may be stored.
    """
    problems: dict[str, str] = {}
    if not normalize_name(p.first_name) and not normalize_name(p.last_name):
        problems["name"] = "A person needs a first or last name"
    if len({c.id for c in p.cards}) != len(p.cards):
        problems["cards"] = "Two business cards have the same id"
    _length_problems(problems, "", ((name, normalize_name(getattr(p, name)), MAX_NAME) for name in _NAME_FIELDS))
    _length_problems(
        problems,
        "",
        (
            ("gender", normalize_text(p.gender), MAX_FIELD),
            ("lifecycle", normalize_text(p.lifecycle), MAX_FIELD),
            ("notes", normalize_notes(p.notes), MAX_NOTES),
        ),
    )
    _tag_problems(problems, p.tags)
    for i, card in enumerate(p.cards):
        prefix = f"cards[{i}]."
        _length_problems(
            problems,
            prefix,
            (
                ("company_name", normalize_text(card.company_name), MAX_NAME),
                ("position", normalize_text(card.position), MAX_NAME),
                ("department", normalize_text(card.department), MAX_NAME),
            ),
        )
        _channel_problems(problems, prefix, card.emails, card.phones, card.addresses, region)
    return problems


def normalize_person(p: PersonRecord, *, region: str = "DE") -> PersonRecord:
    """Bring a person into normal form, without judging it.

    Name parts through `normalize_name`; gender, lifecycle, company name, position, department and address parts
    through `normalize_text` (a street keeps its line breaks); notes through `normalize_notes`; e-mails and phones
    normalised where they parse and otherwise only `normalize_text`-ed, so validation can report them; tags through
    `normalize_tags`; cards through `favourites.fix_cards` (one favourite, first). Custom fields are kept verbatim
    and so are vCard extra lines (DESIGN §8); URLs are trimmed and de-duplicated. Id, photo, birthday and stamp
    are unchanged. Idempotent.

    Args:
        p: The person.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        The normalised person.
    """
    return dataclasses.replace(
        p,
        salutation=normalize_name(p.salutation),
        title=normalize_name(p.title),
        first_name=normalize_name(p.first_name),
        middle_name=normalize_name(p.middle_name),
        last_name=normalize_name(p.last_name),
        suffix=normalize_name(p.suffix),
        gender=normalize_text(p.gender),
        lifecycle=normalize_text(p.lifecycle),
        notes=normalize_notes(p.notes),
        tags=normalize_tags(p.tags),
        cards=favourites.fix_cards([_normalize_card(card, region) for card in p.cards]),
        urls=tuple(dict.fromkeys(u for u in (normalize_text(u) for u in p.urls) if u)),
        vcard_uid=p.vcard_uid.strip(),
    )


def check_person(p: PersonRecord, *, region: str = "DE") -> PersonRecord:
    """Normalise a person and make sure it may be stored.

    Args:
        p: The person.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        The normalised person.

    Raises:
        ValidationError: The normalised person has problems (see `person_problems`); keys refer to it.
    """
    normal = normalize_person(p, region=region)
    problems = person_problems(normal, region=region)
    if problems:
        raise ValidationError(problems)
    return normal


# ---------------------------------------------------------------------------------------------------------------------
# Companies


def company_problems(c: CompanyRecord, *, region: str = "DE") -> dict[str, str]:
    """Everything that keeps a company from being stored.

    Rules: a name (key ``name``) of at most `MAX_NAME` characters; legal form and industry at most `MAX_FIELD`;
    notes at most `MAX_NOTES`; a website, if given, a domain or an http(s) URL (``website``); every e-mail valid
    (``emails[i]``), every phone a possible number (``phones[i]``), address parts at most `MAX_FIELD`
    (``addresses[i].city``); tags as for people (``tags[i]``).

    Args:
        c: The company.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        Field path → message fit to show to a person; empty if the company may be stored.
    """
    problems: dict[str, str] = {}
    name = normalize_text(c.name)
    if not name:
        problems["name"] = "A company needs a name"
    _length_problems(
        problems,
        "",
        (
            ("name", name, MAX_NAME),
            ("legal_form", normalize_text(c.legal_form), MAX_FIELD),
            ("industry", normalize_text(c.industry), MAX_FIELD),
            ("notes", normalize_notes(c.notes), MAX_NOTES),
        ),
    )
    website = _website_problem(c.website)
    if website is not None:
        problems["website"] = website
    _channel_problems(problems, "", c.emails, c.phones, c.addresses, region)
    _tag_problems(problems, c.tags)
    return problems


def normalize_company(c: CompanyRecord, *, region: str = "DE") -> CompanyRecord:
    """Bring a company into normal form, without judging it.

    Name, legal form, industry and website through `normalize_text`; notes through `normalize_notes`; e-mails,
    phones and addresses as for people, each list through `favourites.fix_favourites`; tags through
    `normalize_tags`. Idempotent.

    Args:
        c: The company.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        The normalised company.
    """
    return dataclasses.replace(
        c,
        name=normalize_text(c.name),
        legal_form=normalize_text(c.legal_form),
        industry=normalize_text(c.industry),
        website=normalize_text(c.website),
        notes=normalize_notes(c.notes),
        tags=normalize_tags(c.tags),
        emails=favourites.fix_favourites(_normalize_emails(c.emails)),
        phones=favourites.fix_favourites(_normalize_phones(c.phones, region_of(c.addresses, region))),
        addresses=favourites.fix_favourites([_normalize_address(a) for a in c.addresses]),
    )


def check_company(c: CompanyRecord, *, region: str = "DE") -> CompanyRecord:
    """Normalise a company and make sure it may be stored.

    Args:
        c: The company.
        region: Country assumed for phone numbers without a country code where the card or company has no address
            with a country.

    Returns:
        The normalised company.

    Raises:
        ValidationError: The normalised company has problems (see `company_problems`).
    """
    normal = normalize_company(c, region=region)
    problems = company_problems(normal, region=region)
    if problems:
        raise ValidationError(problems)
    return normal


# ---------------------------------------------------------------------------------------------------------------------
# Touchpoints


def _amount_problem(amount: str) -> str | None:
    text = normalize_text(amount)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"“{text}” is not an amount: write it with digits and a decimal point, e.g. 1250.00"
    if not value.is_finite():
        return f"“{text}” is not an amount"
    if value != 0 and not -12 <= value.adjusted() < 15:
        return f"“{text}” is not a plausible amount"
    return None


def touchpoint_problems(t: TouchpointRecord) -> dict[str, str]:
    """Everything that keeps a touchpoint from being stored.

    Rules: a subject of at most `MAX_SUBJECT` characters (``subject``); `occurred_at` a time-zone-aware datetime;
    `type`, `direction`, `priority` and `mood` members of their enums; an amount, if given, a finite decimal number
    (``amount``), and then a currency of three capital letters (``currency``; a currency given without an amount
    must be one too); tags as for people (``tags[i]``).

    Args:
        t: The touchpoint.

    Returns:
        Field path → message fit to show to a person; empty if the touchpoint may be stored.
    """
    problems: dict[str, str] = {}
    subject = normalize_text(t.subject)
    if not subject:
        problems["subject"] = "A touchpoint needs a subject"
    elif (message := _too_long(subject, MAX_SUBJECT)) is not None:
        problems["subject"] = message
    if not isinstance(t.occurred_at, dt.datetime):
        problems["occurred_at"] = "The time is not a date and time"
    elif t.occurred_at.utcoffset() is None:
        problems["occurred_at"] = "The time has no time zone"
    enums: tuple[tuple[str, object, type[enum.Enum], str], ...] = (
        ("type", t.type, TouchpointType, "touchpoint type"),
        ("direction", t.direction, Direction, "direction"),
        ("priority", t.priority, Priority, "priority"),
        ("mood", t.mood, Mood, "mood"),
    )
    for name, value, kind, what in enums:
        if not isinstance(value, kind):
            problems[name] = f"“{value}” is not a {what}"
    amount = _amount_problem(t.amount)
    if amount is not None:
        problems["amount"] = amount
    currency = normalize_text(t.currency)
    if normalize_text(t.amount) and not currency:
        problems["currency"] = "An amount needs a currency: three letters such as EUR"
    elif currency and not _CURRENCY.fullmatch(currency):
        problems["currency"] = f"“{currency}” is not a currency code: three capital letters such as EUR"
    _tag_problems(problems, t.tags)
    return problems


def _coerce(value: _EnumT, kind: type[_EnumT]) -> _EnumT:
    """`value` as a member of `kind` where it is one's text value ("call" → TouchpointType.CALL), else unchanged."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        return value  # left for validation to report


def normalize_touchpoint(t: TouchpointRecord) -> TouchpointRecord:
    """Bring a touchpoint into normal form, without judging it.

    Subject and amount through `normalize_text`, currency too and upper-cased; body through `normalize_notes`;
    person ids de-duplicated keeping their order; tags through `normalize_tags`; enum fields given as their text
    value turned into members. `occurred_at` is unchanged. Idempotent.

    Args:
        t: The touchpoint.

    Returns:
        The normalised touchpoint.
    """
    return dataclasses.replace(
        t,
        type=_coerce(t.type, TouchpointType),
        direction=_coerce(t.direction, Direction),
        priority=_coerce(t.priority, Priority),
        mood=_coerce(t.mood, Mood),
        subject=normalize_text(t.subject),
        body=normalize_notes(t.body),
        person_ids=tuple(dict.fromkeys(t.person_ids)),
        tags=normalize_tags(t.tags),
        amount=normalize_text(t.amount),
        currency=normalize_text(t.currency).upper(),
    )


def check_touchpoint(t: TouchpointRecord) -> TouchpointRecord:
    """Normalise a touchpoint and make sure it may be stored.

    Args:
        t: The touchpoint.

    Returns:
        The normalised touchpoint.

    Raises:
        ValidationError: The normalised touchpoint has problems (see `touchpoint_problems`).
    """
    normal = normalize_touchpoint(t)
    problems = touchpoint_problems(normal)
    if problems:
        raise ValidationError(problems)
    return normal
