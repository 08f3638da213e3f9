"""Kanbert: contacts and companies over its REST API (crm-apis/kanbert.md), mapped onto people and companies.

Sync fields (what Kanbert can hold of a record; everything else of a local record is never compared or touched):

person  ← contact: ``first_name last_name title title_suffix gender birthday position email email_private
telephone telephone_private mobile mobile_private fax address_street address_zip address_town address_state
address_country`` and one ``@company:<id>`` key per company the contact is attached to, valued with the position on
that link (True when the link has none).
company ← company: ``company_name email email_general phone fax homepage address_street address_zip address_town
address_state address_country`` (the invoice address).

Assumptions this connector relies on (marked [assumed] in kanbert.md or chosen with the emulator):
- `updated_at` of a contact moves on every change, including soft delete, restore, attach and detach, so
  ``filter updated_at gte <cursor>`` with ``archived`` ``with`` sees every change since the cursor.
- The server's ``Date`` header and its `updated_at` come from the same clock; the next cursor is the ``Date`` of
  the first page of a walk, minus one second (the filter compares whole seconds).
- A duplicate `external_id` on create is answered 422; `find_by=external_id` on an unknown id is 404.
- Attaching a contact to a company it is already attached to updates the link's position (the emulator's
  [assumed] rule): a new position is one attach, never a detach first, so a failure cannot drop the link.
- Custom fields, `locale`, owner and client are not synced: PATCH is partial, so the values on the server stay.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from crmdesk.connectors.base import RemoteItem, RemotePage, ref
from crmdesk.connectors.http import HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    Record,
)
from crmdesk.errors import RemoteNotFound, RemoteRejected
from crmdesk.tasks import CancelToken

ORIGIN = "crmdesk"
PAGE_SIZE = 100
COMPANY_PREFIX = ref(Entity.COMPANY, "")  # "@company:": links are keys in the engine's reference form

_GENDER_TO_REMOTE = {"female": "f", "male": "m", "diverse": "x"}
_GENDER_FROM_REMOTE = {v: k for k, v in _GENDER_TO_REMOTE.items()}
_HOUSE = re.compile(r"^(?P<street>.*\D)\s+(?P<house>\d+\s?[A-Za-z]?(?:\s?[-/]\s?\d+\s?[A-Za-z]?)?)$")

PERSON_SCALARS = ("first_name", "last_name", "title", "title_suffix", "gender", "birthday", "position")
ADDRESS_KEYS = ("address_street", "address_zip", "address_town", "address_state", "address_country")
_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "title": "Title",
    "title_suffix": "Suffix",
    "gender": "Gender",
    "birthday": "Birthday",
    "position": "Position",
    "email": "E-mail",
    "email_private": "E-mail (private)",
    "telephone": "Phone",
    "telephone_private": "Phone (private)",
    "mobile": "Mobile",
    "mobile_private": "Mobile (private)",
    "fax": "Fax",
    "address_street": "Street",
    "address_zip": "Postcode",
    "address_town": "City",
    "address_state": "Region",
    "address_country": "Country",
    "company_name": "Name",
    "email_general": "E-mail (general)",
    "phone": "Phone",
    "homepage": "Website",
}


def split_street(street: str) -> tuple[str, str | None]:
    """ "Seestraße 4a" → ("Seestraße", "4a"); a street without a trailing house number stays whole."""
    m = _HOUSE.match(street.strip())
    if not m:
        return street, None
    return m.group("street").strip(), m.group("house")


def join_street(street: str | None, house: str | None) -> str:
    return " ".join(p.strip() for p in (street or "", house or "") if p and p.strip())


# ---------------------------------------------------------------------------------------------------------------------
# Local records ⇄ sync fields. Slots pick their value from the cards in order (favourite first); a slot's
# "picker" says which (card, item) it reads, so `apply` writes exactly where `project` read.

_Pick = tuple[int, int] | None


def _is_private_item(card: BusinessCardRecord, item_type: str) -> bool:
    return card.private or item_type == "home"


def _pick_email(cards: tuple[BusinessCardRecord, ...], *, private: bool) -> _Pick:
    for ci, card in enumerate(cards):
        for ii, e in enumerate(card.emails):
            if _is_private_item(card, e.type.value) == private:
                return ci, ii
    return None


def _phone_slot(card: BusinessCardRecord, p: Phone) -> str:
    if p.type is PhoneType.FAX:
        return "fax"
    private = _is_private_item(card, p.type.value)
    if p.type is PhoneType.MOBILE:
        return "mobile_private" if card.private else "mobile"
    return "telephone_private" if private else "telephone"


def _pick_phone(cards: tuple[BusinessCardRecord, ...], slot: str) -> _Pick:
    for ci, card in enumerate(cards):
        for ii, p in enumerate(card.phones):
            if _phone_slot(card, p) == slot:
                return ci, ii
    return None


def _pick_address(cards: tuple[BusinessCardRecord, ...]) -> _Pick:
    for ci, card in enumerate(cards):
        if card.addresses:
            return ci, 0
    return None


_EMAIL_SLOTS = {"email": False, "email_private": True}
_PHONE_SLOTS = {
    "telephone": PhoneType.WORK,
    "telephone_private": PhoneType.HOME,
    "mobile": PhoneType.MOBILE,
    "mobile_private": PhoneType.MOBILE,
    "fax": PhoneType.FAX,
}


def project_person(p: PersonRecord) -> dict[str, Value]:
    """The sync fields Kanbert can hold of a person."""
    cards = p.cards
    fav = p.favourite_card
    out: dict[str, Value] = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "title": p.title,
        "title_suffix": p.suffix,
        "gender": _GENDER_TO_REMOTE.get(p.gender),
        "birthday": p.birthday.iso() if p.birthday and p.birthday.year else None,
        "position": fav.position if fav else None,
    }
    for slot, private in _EMAIL_SLOTS.items():
        pick = _pick_email(cards, private=private)
        out[slot] = cards[pick[0]].emails[pick[1]].address if pick else None
    for slot in _PHONE_SLOTS:
        pick = _pick_phone(cards, slot)
        out[slot] = cards[pick[0]].phones[pick[1]].number if pick else None
    pick = _pick_address(cards)
    if pick:
        a = cards[pick[0]].addresses[pick[1]]
        out.update(
            address_street=a.street,
            address_zip=a.postcode,
            address_town=a.city,
            address_state=a.region,
            address_country=a.country,
        )
    for card in cards:
        if card.company_id and not card.private:
            out[COMPANY_PREFIX + card.company_id] = card.position or True
    return clean(out)


def _set_item(items: tuple[Any, ...], index: int, item: Any | None) -> tuple[Any, ...]:
    if item is None:
        return items[:index] + items[index + 1 :]
    return (*items[:index], item, *items[index + 1 :])


def _target_card(cards: list[BusinessCardRecord], *, private: bool) -> int:
    """Index of the card new contact data of this kind goes to, adding a card when there is none."""
    for i, c in enumerate(cards):
        if c.private == private:
            return i
    cards.append(BusinessCardRecord(private=private, favourite=not cards))
    return len(cards) - 1


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    """A person holding `fields`, built on `rec` (None for a new one)."""
    f = clean(fields)
    base = rec or PersonRecord()
    gender = f.get("gender")
    if isinstance(gender, str):
        gender_value = _GENDER_FROM_REMOTE.get(gender, base.gender)
    else:
        gender_value = "" if base.gender in _GENDER_TO_REMOTE else base.gender
    birthday = base.birthday
    if isinstance(f.get("birthday"), str):
        try:
            birthday = Birthday.parse(str(f["birthday"]))
        except ValueError:
            birthday = base.birthday
    elif birthday is not None and birthday.year is not None:
        birthday = None
    cards = list(base.cards)
    # Companies: attached ones get a card (or keep theirs, with the link's position); detached ones lose theirs —
    # a card that holds contact data stays, without the company, so no e-mail or phone is lost with the link.
    wanted = {k[len(COMPANY_PREFIX) :]: v for k, v in f.items() if k.startswith(COMPANY_PREFIX)}
    linked = set(wanted)
    kept: list[BusinessCardRecord] = []
    for card in cards:
        if card.company_id and not card.private:
            if card.company_id in wanted:
                pos = wanted.pop(card.company_id)
                kept.append(replace(card, position=pos if isinstance(pos, str) else ""))
            elif card.emails or card.phones or card.addresses:
                kept.append(replace(card, company_id=None, company_name=""))
            continue
        kept.append(card)
    for company_id, pos in wanted.items():
        kept.append(
            BusinessCardRecord(company_id=company_id, position=pos if isinstance(pos, str) else "", favourite=not kept)
        )
    cards = kept
    # Position: the contact's `position` is the favourite card's. When that card is at a company, the link's
    # position is a second spelling of the same field: whichever of the two differs from the card takes it.
    position = f.get("position")
    new_position = position if isinstance(position, str) else ""
    if cards or new_position:
        fav_index = next((i for i, c in enumerate(cards) if c.favourite), 0)
        if not cards:
            cards.append(BusinessCardRecord(favourite=True))
        fav = cards[fav_index]
        before = next((c.position for c in base.cards if c.id == fav.id), None)
        if fav.company_id and not fav.private and fav.company_id in linked:
            link_position = fav.position
            if before is None:  # a new card: the link's position, unless only the contact has one
                new_position = link_position or new_position
            elif link_position != before:
                new_position = link_position  # the link changed it
            elif new_position == before:
                new_position = link_position
        cards[fav_index] = replace(fav, position=new_position)
    cards = _apply_contact_slots(cards, f)
    return base.replace(
        first_name=str(f.get("first_name") or ""),
        last_name=str(f.get("last_name") or ""),
        title=str(f.get("title") or ""),
        suffix=str(f.get("title_suffix") or ""),
        gender=gender_value,
        birthday=birthday,
        cards=tuple(c for c in cards if not _empty_card(c)),
    )


def _empty_card(c: BusinessCardRecord) -> bool:
    return not (c.company_id or c.company_name or c.position or c.department or c.emails or c.phones or c.addresses)


def _apply_contact_slots(cards: list[BusinessCardRecord], f: dict[str, Value]) -> list[BusinessCardRecord]:
    for slot, private in _EMAIL_SLOTS.items():
        value = f.get(slot)
        pick = _pick_email(tuple(cards), private=private)
        if pick:
            ci, ii = pick
            old = cards[ci].emails[ii]
            item = replace(old, address=value) if isinstance(value, str) else None
            cards[ci] = replace(cards[ci], emails=_set_item(cards[ci].emails, ii, item))
        elif isinstance(value, str):
            ci = _target_card(cards, private=private)
            email_type = EmailType.HOME if private else EmailType.WORK
            cards[ci] = replace(cards[ci], emails=(*cards[ci].emails, Email(value, email_type)))
    for slot, kind in _PHONE_SLOTS.items():
        value = f.get(slot)
        pick = _pick_phone(tuple(cards), slot)
        if pick:
            ci, ii = pick
            old_phone = cards[ci].phones[ii]
            phone = replace(old_phone, number=value) if isinstance(value, str) else None
            cards[ci] = replace(cards[ci], phones=_set_item(cards[ci].phones, ii, phone))
        elif isinstance(value, str):
            ci = _target_card(cards, private=slot in ("mobile_private", "telephone_private"))
            cards[ci] = replace(cards[ci], phones=(*cards[ci].phones, Phone(value, kind)))
    parts = {k: f.get(k) for k in ADDRESS_KEYS}
    address = Address(
        street=str(parts["address_street"] or ""),
        postcode=str(parts["address_zip"] or ""),
        city=str(parts["address_town"] or ""),
        region=str(parts["address_state"] or ""),
        country=str(parts["address_country"] or ""),
    )
    pick = _pick_address(tuple(cards))
    if pick:
        ci, ii = pick
        old_address = cards[ci].addresses[ii]
        new = None if address.is_empty() else replace(address, type=old_address.type, favourite=old_address.favourite)
        cards[ci] = replace(cards[ci], addresses=_set_item(cards[ci].addresses, ii, new))
    elif not address.is_empty():
        ci = _target_card(cards, private=False)
        cards[ci] = replace(cards[ci], addresses=(*cards[ci].addresses, replace(address, type=AddressType.WORK)))
    return cards


def project_company(c: CompanyRecord) -> dict[str, Value]:
    """The sync fields Kanbert can hold of a company."""
    out: dict[str, Value] = {"company_name": c.name, "homepage": c.website}
    emails = [e.address for e in c.emails]
    out["email"] = emails[0] if emails else None
    out["email_general"] = emails[1] if len(emails) > 1 else None
    phones = [p.number for p in c.phones if p.type is not PhoneType.FAX]
    faxes = [p.number for p in c.phones if p.type is PhoneType.FAX]
    out["phone"] = phones[0] if phones else None
    out["fax"] = faxes[0] if faxes else None
    if c.addresses:
        a = c.addresses[0]
        out.update(
            address_street=a.street,
            address_zip=a.postcode,
            address_town=a.city,
            address_state=a.region,
            address_country=a.country,
        )
    return clean(out)


def apply_company(rec: CompanyRecord | None, fields: Fields) -> CompanyRecord:
    """A company holding `fields`, built on `rec` (None for a new one)."""
    f = clean(fields)
    base = rec or CompanyRecord()
    emails = list(base.emails)
    for index, key in ((0, "email"), (1, "email_general")):
        value = f.get(key)
        if index < len(emails):
            emails[index] = replace(emails[index], address=value) if isinstance(value, str) else emails[index]
        elif isinstance(value, str):
            emails.append(Email(value, EmailType.WORK))
    # A cleared slot removes its e-mail (from the back, so index 1 is removed before index 0 moves).
    for index, key in ((1, "email_general"), (0, "email")):
        if index < len(emails) and not isinstance(f.get(key), str):
            del emails[index]
    phones = list(base.phones)
    for key, is_fax in (("phone", False), ("fax", True)):
        value = f.get(key)
        at = next((i for i, p in enumerate(phones) if (p.type is PhoneType.FAX) == is_fax), None)
        if at is not None:
            if isinstance(value, str):
                phones[at] = replace(phones[at], number=value)
            else:
                del phones[at]
        elif isinstance(value, str):
            phones.append(Phone(value, PhoneType.FAX if is_fax else PhoneType.WORK))
    addresses = list(base.addresses)
    address = Address(
        street=str(f.get("address_street") or ""),
        postcode=str(f.get("address_zip") or ""),
        city=str(f.get("address_town") or ""),
        region=str(f.get("address_state") or ""),
        country=str(f.get("address_country") or ""),
    )
    if addresses:
        if address.is_empty():
            del addresses[0]
        else:
            addresses[0] = replace(address, type=addresses[0].type, favourite=addresses[0].favourite)
    elif not address.is_empty():
        addresses.append(address)
    return base.replace(
        name=str(f.get("company_name") or ""),
        website=str(f.get("homepage") or ""),
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(addresses),
    )


# ---------------------------------------------------------------------------------------------------------------------
# Kanbert JSON ⇄ sync fields


def _address_fields(data: Mapping[str, Any], prefix: str) -> dict[str, Value]:
    country = data.get(f"{prefix}country")
    code = country.get("code") if isinstance(country, dict) else None
    return {
        "address_street": join_street(data.get(f"{prefix}street"), data.get(f"{prefix}house")) or None,
        "address_zip": data.get(f"{prefix}zip"),
        "address_town": data.get(f"{prefix}town"),
        "address_state": data.get(f"{prefix}state"),
        "address_country": code.upper() if isinstance(code, str) and code else None,
    }


def contact_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """Sync fields of a ContactData (company references as remote ids)."""
    out: dict[str, Value] = {k: data.get(k) for k in PERSON_SCALARS if k != "birthday"}
    birthday = data.get("birthday")
    out["birthday"] = str(birthday)[:10] if birthday else None
    for key in ("email", "email_private", *_PHONE_SLOTS):
        out[key] = data.get(key)
    out.update(_address_fields(data, "address_"))
    for company in data.get("companies") or ():
        if isinstance(company, dict) and company.get("id"):
            pivot = company.get("contact_company") or {}
            position = pivot.get("position") if isinstance(pivot, dict) else None
            out[COMPANY_PREFIX + str(company["id"])] = position or True
    return clean({k: (v.strip() if isinstance(v, str) else v) for k, v in out.items()})


def company_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    """Sync fields of a CompanyData."""
    out: dict[str, Value] = {
        k: data.get(k) for k in ("company_name", "email", "email_general", "phone", "fax", "homepage")
    }
    out.update(_address_fields(data, "address_invoice_"))
    return clean({k: (v.strip() if isinstance(v, str) else v) for k, v in out.items()})


def _address_body(fields: Fields, prefix: str) -> dict[str, Any]:
    street, house = split_street(str(fields.get("address_street") or ""))
    return {
        f"{prefix}street": street or None,
        f"{prefix}house": house,
        f"{prefix}zip": fields.get("address_zip"),
        f"{prefix}town": fields.get("address_town"),
        f"{prefix}state": fields.get("address_state"),
        f"{prefix}country": fields.get("address_country"),
    }


def _changed(fields: Fields, old: Fields, keys: tuple[str, ...]) -> bool:
    return any(fields.get(k) != old.get(k) for k in keys)


def contact_body(fields: Fields, old: Fields) -> dict[str, Any]:
    """The PATCH (or POST) body that turns a contact holding `old` into one holding `fields`."""
    body: dict[str, Any] = {}
    for key in (*PERSON_SCALARS, "email", "email_private", *_PHONE_SLOTS):
        if fields.get(key) != old.get(key):
            value = fields.get(key)
            if key == "birthday" and isinstance(value, str):
                value = f"{value}T00:00:00Z"
            body[key] = value
    if _changed(fields, old, ADDRESS_KEYS):
        body.update(_address_body(fields, "address_"))
        if body.get("address_country") is None:
            body.pop("address_country")  # a string field: "no country" is left as it is (kanbert.md §4.2)
            body["address_country_id"] = None
    return body


def company_body(fields: Fields, old: Fields) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key in ("company_name", "email", "email_general", "phone", "fax", "homepage"):
        if fields.get(key) != old.get(key):
            body[key] = fields.get(key)
    if _changed(fields, old, ADDRESS_KEYS):
        body.update(_address_body(fields, "address_invoice_"))
        if body.get("address_invoice_country") is None:
            body.pop("address_invoice_country")
            body["address_invoice_country_id"] = None
    return body


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class KanbertConnector:
    """Kanbert contacts ⇄ people (with their company links as business cards), companies ⇄ companies."""

    kind = AccountKind.KANBERT
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(self, http: HttpClient, *, page_size: int = PAGE_SIZE) -> None:
        self.http = http
        self.page_size = page_size

    # ---- paths ---------------------------------------------------------------------------------------------

    @staticmethod
    def _collection(entity: Entity) -> str:
        if entity is Entity.PERSON:
            return "/contacts"
        if entity is Entity.COMPANY:
            return "/companies"
        raise ValueError(f"Kanbert does not sync {entity.value} records")

    def _item(self, entity: Entity, data: Mapping[str, Any]) -> RemoteItem:
        # contact_fields writes company links as "@company:<remote id>": the engine's reference form already.
        fields = contact_fields(data) if entity is Entity.PERSON else company_fields(data)
        deleted = bool(data.get("deleted_at"))
        return RemoteItem(
            remote_id=str(data["id"]),
            version=str(data.get("updated_at") or ""),
            fields=None if deleted else fields,
            external_id=str(data.get("external_id") or "") if data.get("external_origin") in (ORIGIN, None) else "",
            updated_at=_time(data.get("updated_at")),
        )

    # ---- Connector protocol ----------------------------------------------------------------------------------

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        path = self._collection(entity)
        filters: list[dict[str, str]] = [{"field": "archived", "op": "eq", "value": "with"}]
        if cursor:
            filters.append({"field": "updated_at", "op": "gte", "value": cursor})
        params: dict[str, str | int] = {
            "page[size]": self.page_size,
            "filter": json.dumps(filters),
            "sort": "created_at",
        }
        if entity is Entity.PERSON:
            params["include"] = "companies"
        next_cursor: str | None = None
        page_cursor: str | None = None
        while True:
            query = dict(params)
            if page_cursor:
                query["page[cursor]"] = page_cursor
            body = self.http.request("GET", path, params=query)
            if next_cursor is None:
                started = self.http.last_date or dt.datetime.now(dt.UTC)
                next_cursor = (started - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise RemoteRejected(f"{self.http.name}: the contact list has an unexpected shape.", status=200)
            items = tuple(self._item(entity, d) for d in data if isinstance(d, dict) and d.get("id"))
            meta = body.get("meta") or {}
            page_cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
            if not page_cursor:
                yield RemotePage(items, cursor=next_cursor, complete=cursor is None)
                return
            yield RemotePage(items)

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        path = self._collection(entity)
        body = contact_body(fields, {}) if entity is Entity.PERSON else company_body(fields, {})
        body.update(external_id=local_id, external_origin=ORIGIN)
        try:
            data = self.http.request("POST", path, json_body=body)
        except RemoteRejected as exc:
            # An earlier create whose answer was lost already made it: the external id is taken.
            if exc.status == 422 and "external_id" in exc.problems:
                found = self.find_created(entity, local_id, fields) or self._restore_created(entity, local_id)
                if found is not None:
                    return self.update(entity, found.remote_id, fields, found.fields or {})
            raise
        item = self._item(entity, data)
        if entity is Entity.PERSON:
            self._relink(item.remote_id, fields, {})
        return RemoteItem(item.remote_id, item.version, fields, local_id, item.updated_at)

    def _restore_created(self, entity: Entity, local_id: str) -> RemoteItem | None:
        """Our record under this external id, soft-deleted there (a delete the user has undone here): restored."""
        params: dict[str, str | int] = {"find_by": "external_id", "origin": ORIGIN}
        try:
            data = self.http.request(
                "POST", f"{self._collection(entity)}/{local_id}/restore", params=params, idempotent=True
            )
        except RemoteNotFound:
            return None
        return self._item(entity, data)

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        params: dict[str, str | int] = {"find_by": "external_id", "origin": ORIGIN}
        if entity is Entity.PERSON:
            params["include"] = "companies"
        try:
            data = self.http.request("GET", f"{self._collection(entity)}/{local_id}", params=params)
        except RemoteNotFound:
            return None
        return self._item(entity, data)

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        path = f"{self._collection(entity)}/{remote_id}"
        body = contact_body(fields, old) if entity is Entity.PERSON else company_body(fields, old)
        version = ""
        updated: dt.datetime | None = None
        if body:
            data = self.http.request("PATCH", path, json_body=body, idempotent=True)
            version, updated = str(data.get("updated_at") or ""), _time(data.get("updated_at"))
        if entity is Entity.PERSON:
            self._relink(remote_id, fields, old)
        return RemoteItem(remote_id, version, fields, "", updated)

    def _relink(self, remote_id: str, fields: Fields, old: Fields) -> None:
        """Attach and detach companies so the contact's links match `fields` (references: @company:<remote id>)."""
        new_links = _company_links(fields)
        old_links = _company_links(old)
        path = f"/contacts/{remote_id}/company"
        for company_id in old_links:
            if company_id not in new_links:
                self.http.request("PUT", f"{path}/detach", json_body={"company_id": company_id})
        for company_id, position in new_links.items():
            if old_links.get(company_id) != position:
                body: dict[str, Any] = {"company_id": company_id}
                if isinstance(position, str):
                    body["position"] = position
                self.http.request("PUT", f"{path}/attach", json_body=body)

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        with contextlib.suppress(RemoteNotFound):  # already gone: what a delete wants
            self.http.request("DELETE", f"{self._collection(entity)}/{remote_id}")

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        try:
            data = self.http.request("POST", f"{self._collection(entity)}/{remote_id}/restore", idempotent=True)
        except RemoteNotFound:
            return None
        return self._item(entity, data)

    def accepts(self, record: Record) -> bool:
        return True

    def project(self, record: Record) -> dict[str, Value]:
        if isinstance(record, PersonRecord):
            return project_person(record)
        if isinstance(record, CompanyRecord):
            return project_company(record)
        raise TypeError(f"Kanbert does not sync {type(record).__name__}")

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is Entity.COMPANY and (record is None or isinstance(record, CompanyRecord)):
            return apply_company(record, fields)
        if entity is Entity.PERSON and (record is None or isinstance(record, PersonRecord)):
            return apply_person(record, fields)
        raise TypeError(f"Kanbert does not sync {entity.value} records")

    def probe(self) -> str:
        try:
            body = self.http.request("GET", "/contacts", params={"page[size]": 1})
        except RemoteNotFound:
            body = None  # no /contacts there: the wrong address
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise RemoteRejected(
                f"{self.http.name}: the server answered, but not like Kanbert's API — check the URL "
                "(it ends in /api/v1).",
                status=200,
            )
        return "Connected to Kanbert: the token works and contacts can be read."

    def label(self, field: str) -> str:
        if field.startswith("@company:"):
            return "Company link"
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def _company_links(fields: Fields) -> dict[str, Value]:
    return {k[len(COMPANY_PREFIX) :]: v for k, v in fields.items() if k.startswith(COMPANY_PREFIX) and v is not None}


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> KanbertConnector:
    """The connector of a Kanbert account (bearer token)."""
    http = HttpClient(
        account.base_url,
        name=account.name or account.kind.label,
        headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
        secrets=(secret,),
        cancel=cancel,
    )
    return KanbertConnector(http)
