"""CardDAV: people as vCards in an address book (RFC 6352) — the mapping between a person and its sync fields.

An address book holds everything a crmdesk person has (the vCard export writes it all, business cards included,
see crmdesk/exchange/vcard.py), so the sync fields are the person itself, flattened so that a three-way merge works
field by field — a phone's new number and a colleague's new e-mail on the same card merge without a conflict:

``uid`` (the vCard UID, kept stable), ``salutation title first_name middle_name last_name suffix gender birthday
notes lifecycle``, ``tags`` and ``urls`` (tuples), ``custom`` (``key<TAB>value`` lines), ``photo`` (base64),
``extra`` (the vCard lines crmdesk has no field for, byte-faithful, in their order), and per business card *n*
(favourite first): ``card<n>`` (``kind<TAB>company<TAB>department<TAB>position``, kind business or private) and
``card<n>.emails``, ``card<n>.phones``, ``card<n>.addresses`` (tuples of ``type<TAB>…`` lines, ``*`` before the
type of a favourite).

REV and PRODID are no fields: a server or a phone rewriting them is no change. The wire format (vCard text ⇄ a
person) is the exchange layer's codec, plugged in with `use_codec` by the layer above both (crmdesk.context):
connectors sit below crmdesk.exchange and may not import it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from crmdesk.domain.merge import Fields, Value, clean
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

TAB = "\t"
SCALARS = (
    "salutation",
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "gender",
    "notes",
    "lifecycle",
)


class VCardCodec(Protocol):
    """The vCard wire format: crmdesk.exchange implements it; nothing here parses or writes vCards itself."""

    def read(self, text: str) -> PersonRecord:
        """The person a vCard describes (its unknown properties in `vcard_extra`).

        Raises:
            ValueError: the text is no vCard crmdesk can read (the message says why).
        """
        ...

    def write(self, person: PersonRecord) -> str:
        """The person as one vCard (CRLF, folded), UID from `vcard_uid` or the id."""
        ...


_codec: VCardCodec | None = None


def use_codec(codec: VCardCodec) -> None:
    """Plug in the vCard codec (crmdesk.context does, once)."""
    global _codec
    _codec = codec


def codec() -> VCardCodec:
    if _codec is None:
        raise RuntimeError("no vCard codec: crmdesk.context plugs crmdesk.exchange's in")
    return _codec


# ---------------------------------------------------------------------------------------------------------------------
# person ⇄ sync fields


def _fav(item: Email | Phone | Address, text: str) -> str:
    return f"*{text}" if item.favourite else text


def _unfav(text: str) -> tuple[bool, str]:
    return (True, text[1:]) if text.startswith("*") else (False, text)


def _email_line(e: Email) -> str:
    return _fav(e, f"{e.type.value}{TAB}{e.address}")


def _phone_line(p: Phone) -> str:
    return _fav(p, f"{p.type.value}{TAB}{p.number}")


def _address_line(a: Address) -> str:
    return _fav(a, TAB.join((a.type.value, a.street, a.postcode, a.city, a.region, a.country)))


def _ordered(cards: Sequence[BusinessCardRecord]) -> list[BusinessCardRecord]:
    fav = next((c for c in cards if c.favourite), cards[0] if cards else None)
    return [] if fav is None else [fav, *(c for c in cards if c is not fav)]


def project_person(p: PersonRecord) -> dict[str, Value]:
    """The sync fields of a person (everything a vCard holds of it)."""
    out: dict[str, Value] = {k: getattr(p, k) for k in SCALARS}
    out["uid"] = p.vcard_uid or p.id
    out["birthday"] = p.birthday.iso() if p.birthday else None
    out["tags"] = tuple(p.tags) or None
    out["urls"] = tuple(p.urls) or None
    out["custom"] = tuple(f"{k}{TAB}{v}" for k, v in p.custom) or None
    out["photo"] = base64.b64encode(p.photo).decode("ascii") if p.photo else None
    out["extra"] = tuple(p.vcard_extra) or None
    for n, card in enumerate(_ordered(p.cards), 1):
        kind = "private" if card.private else "business"
        out[f"card{n}"] = TAB.join((kind, card.company_name, card.department, card.position))
        out[f"card{n}.emails"] = tuple(map(_email_line, card.emails)) or None
        out[f"card{n}.phones"] = tuple(map(_phone_line, card.phones)) or None
        out[f"card{n}.addresses"] = tuple(map(_address_line, card.addresses)) or None
    return clean(out)


def _enum(kind: type[EmailType] | type[PhoneType] | type[AddressType], text: str, default: str) -> str:
    return text if text in {m.value for m in kind} else default


def _emails(value: Value) -> tuple[Email, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, _, address = text.partition(TAB)
        out.append(Email(address, EmailType(_enum(EmailType, kind, "other")), fav))
    return tuple(out)


def _phones(value: Value) -> tuple[Phone, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, _, number = text.partition(TAB)
        out.append(Phone(number, PhoneType(_enum(PhoneType, kind, "other")), fav))
    return tuple(out)


def _addresses(value: Value) -> tuple[Address, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, street, postcode, city, region, country = (text.split(TAB) + [""] * 6)[:6]
        out.append(
            Address(street, postcode, city, region, country, AddressType(_enum(AddressType, kind, "other")), fav)
        )
    return tuple(out)


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    """A person holding `fields`, built on `rec`: its id, its business cards' ids and company links stay where the
    card is still at the same company."""
    f = clean(fields)
    base = rec or PersonRecord()
    old = _ordered(base.cards)
    cards: list[BusinessCardRecord] = []
    n = 1
    while f"card{n}" in f or any(f"card{n}.{k}" in f for k in ("emails", "phones", "addresses")):
        kind, company, department, position = (str(f.get(f"card{n}") or "business").split(TAB) + [""] * 4)[:4]
        prior = old[n - 1] if n - 1 < len(old) else None
        card = BusinessCardRecord(
            company_name=company,
            department=department,
            position=position,
            private=kind == "private",
            favourite=n == 1,
            emails=_emails(f.get(f"card{n}.emails")),
            phones=_phones(f.get(f"card{n}.phones")),
            addresses=_addresses(f.get(f"card{n}.addresses")),
        )
        if prior is not None:
            linked = prior.company_id if prior.company_name == company else None
            card = replace(card, id=prior.id, company_id=linked)
        cards.append(card)
        n += 1
    birthday = base.birthday
    text = f.get("birthday")
    if isinstance(text, str):
        try:
            birthday = Birthday.parse(text)
        except ValueError:
            birthday = base.birthday
    else:
        birthday = None
    photo = f.get("photo")
    custom = []
    for line in f.get("custom") or ():  # type: ignore[union-attr]
        key, _, value = str(line).partition(TAB)
        custom.append((key, value))
    uid = str(f.get("uid") or "")
    return base.replace(
        **{k: str(f.get(k) or "") for k in SCALARS},
        birthday=birthday,
        tags=tuple(f.get("tags") or ()),  # type: ignore[arg-type]
        urls=tuple(f.get("urls") or ()),  # type: ignore[arg-type]
        custom=tuple(custom),
        photo=base64.b64decode(photo) if isinstance(photo, str) else None,
        vcard_extra=tuple(f.get("extra") or ()),  # type: ignore[arg-type]
        vcard_uid="" if uid == base.id else uid,
        cards=tuple(cards),
    )


def fields_of_vcard(text: str) -> dict[str, Value]:
    """The sync fields of a vCard as a server holds it.

    Raises:
        ValueError: the card cannot be read.
    """
    return project_person(codec().read(text))


def vcard_of_fields(fields: Fields, *, local_id: str = "") -> str:
    """The vCard a server gets for these sync fields (UID from `uid`, else the local id)."""
    person = apply_person(PersonRecord(id=local_id) if local_id else None, fields)
    return codec().write(person)
