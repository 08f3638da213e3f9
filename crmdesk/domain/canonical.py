"""The canonical form of a record's content and its hash: how sync tells "changed" from "same" (DESIGN §6).

The form holds content only: no record id, no card ids, no `Stamp` (created/updated/change_seq/deleted), so two
records of equal content from different sources hash equal. It does not normalise: normalise records first
(`validate.normalize_*`); only representation-level differences are smoothed here (tag case and order, the order of
custom fields and people involved, the spelling of an amount, the time zone of a datetime).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    PersonRecord,
    Phone,
    Record,
    TouchpointRecord,
)

__all__ = ["canonical", "canonical_json", "content_hash"]

Canonical = dict[str, object]


def _enum(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def _blob(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _tags(tags: Iterable[str]) -> list[str]:
    return sorted({t.casefold() for t in tags})


def _datetime(value: dt.datetime) -> str:
    """UTC, ISO 8601 to the second; a naive datetime counts as UTC (never the local zone: hashes must not depend
    on the machine)."""
    if value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def _amount(text: str) -> str:
    """A decimal amount in one spelling ("12.50", "12.5", " 12.500 " → "12.5"); text that is no number as it is."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    if value == 0:
        return "0"
    value = value.normalize()
    # Plain notation for every plausible amount; scientific beyond that, so "1e999999" stays short.
    return format(value, "f") if -30 <= value.adjusted() <= 30 else str(value)


def _email(e: Email) -> Canonical:
    return {"address": e.address, "type": _enum(e.type), "favourite": e.favourite}


def _phone(p: Phone) -> Canonical:
    return {"number": p.number, "type": _enum(p.type), "favourite": p.favourite}


def _address(a: Address) -> Canonical:
    return {
        "street": a.street,
        "postcode": a.postcode,
        "city": a.city,
        "region": a.region,
        "country": a.country,
        "type": _enum(a.type),
        "favourite": a.favourite,
    }


def _card(c: BusinessCardRecord) -> Canonical:
    return {
        "company_id": c.company_id,
        "company_name": c.company_name,
        "position": c.position,
        "department": c.department,
        "private": c.private,
        "favourite": c.favourite,
        "emails": [_email(e) for e in c.emails],
        "phones": [_phone(p) for p in c.phones],
        "addresses": [_address(a) for a in c.addresses],
    }


def _person(p: PersonRecord) -> Canonical:
    return {
        "salutation": p.salutation,
        "title": p.title,
        "first_name": p.first_name,
        "middle_name": p.middle_name,
        "last_name": p.last_name,
        "suffix": p.suffix,
        "gender": p.gender,
        "birthday": p.birthday.iso() if p.birthday is not None else None,
        "notes": p.notes,
        "lifecycle": p.lifecycle,
        "photo": _blob(p.photo),
        "tags": _tags(p.tags),
        "custom": sorted([k, v] for k, v in p.custom),
        "cards": [_card(c) for c in p.cards],
        "urls": list(p.urls),
        "vcard_extra": list(p.vcard_extra),
    }


def _company(c: CompanyRecord) -> Canonical:
    return {
        "name": c.name,
        "legal_form": c.legal_form,
        "industry": c.industry,
        "website": c.website,
        "notes": c.notes,
        "logo": _blob(c.logo),
        "tags": _tags(c.tags),
        "emails": [_email(e) for e in c.emails],
        "phones": [_phone(p) for p in c.phones],
        "addresses": [_address(a) for a in c.addresses],
    }


def _touchpoint(t: TouchpointRecord) -> Canonical:
    return {
        "type": _enum(t.type),
        "occurred_at": _datetime(t.occurred_at),
        "subject": t.subject,
        "body": t.body,
        "direction": _enum(t.direction),
        "priority": _enum(t.priority),
        "mood": _enum(t.mood),
        "person_ids": sorted(set(t.person_ids)),
        "company_id": t.company_id,
        "tags": _tags(t.tags),
        "amount": _amount(t.amount),
        "currency": t.currency,
    }


def canonical(rec: Record) -> dict[str, object]:
    """The content of a record as a JSON-serialisable dict, keyed by the record's field names.

    Left out: the record id, business card ids, a person's vCard UID and the stamp. Kept in order: cards and the
    e-mails, phones and addresses of cards and companies (order means something: favourite first), a person's URLs
    and extra vCard lines. Sets are sorted: tags (case-folded,
    de-duplicated), custom fields (as ``[key, value]`` pairs), a touchpoint's person ids. Photos and logos become the
    SHA-256 hex digest of their bytes, a birthday its `Birthday.iso()` form, datetimes UTC ISO 8601 to the second
    (naive ones are taken as UTC), enums their value, an amount that is a number its shortest decimal spelling.
    Empty strings and None are kept as they are, so every key is always present.

    Args:
        rec: A person, company or touchpoint.

    Returns:
        The canonical dict.

    Raises:
        TypeError: `rec` is none of those records.
    """
    if isinstance(rec, PersonRecord):
        return _person(rec)
    if isinstance(rec, CompanyRecord):
        return _company(rec)
    if isinstance(rec, TouchpointRecord):
        return _touchpoint(rec)
    raise TypeError(f"no canonical form for {type(rec).__name__}")


def canonical_json(rec: Record) -> str:
    """The canonical form as compact JSON with sorted keys, non-ASCII text kept as it is.

    Args:
        rec: A person, company or touchpoint.

    Returns:
        The JSON text.
    """
    return json.dumps(canonical(rec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(rec: Record) -> str:
    """SHA-256 of `canonical_json` (UTF-8): equal for records of equal content, whatever their id or stamp.

    Args:
        rec: A person, company or touchpoint.

    Returns:
        64 lower-case hex digits.
    """
    # surrogatepass: a lone surrogate (from a file read with surrogateescape) must not make hashing fail.
    return hashlib.sha256(canonical_json(rec).encode("utf-8", "surrogatepass")).hexdigest()
