"""Kanbert emulator state: contacts, companies, their links; validation and JSON as in kanbert.md §4-5."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from threading import RLock
from typing import Any, Final

from .base import Clock, HttpError, format_utc
from .countries import find_country
from .fakedata import FakeData
from .kanbert_filter import Field, Kind, Schema
from .laravel import Errors, attribute, laravel_input, validation_error


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DEFAULT_ORIGIN: Final = "crmdesk"

SPACE: Final = {"id": "sp_1", "name": "Roth & Partner"}
DEFAULT_COUNTRY: Final = {"id": "ctry_de", "name": "Deutschland", "code": "DE"}
BUSINESS_FIELDS: Final = {
    "bf_1": "Handel",
    "bf_2": "IT & Software",
    "bf_3": "Maschinenbau",
    "bf_4": "Beratung",
    "bf_5": "Handwerk",
    "bf_6": "Logistik",
}
COMPANY_SIZES: Final = {"cs_1": "1-9", "cs_2": "10-49", "cs_3": "50-249", "cs_4": "250+"}
COMPANY_REVENUES: Final = {
    "cr_1": "< 1 Mio. EUR",
    "cr_2": "1-10 Mio. EUR",
    "cr_3": "10-50 Mio. EUR",
    "cr_4": "> 50 Mio. EUR",
}
USERS: Final = {"u_1": {"id": "u_1", "first_name": "Max", "last_name": "Roth", "email": "max@roth-partner.de"}}
CLIENTS: Final = {
    "cl_1": {"id": "cl_1", "external_id": None, "external_origin": None, "name": "Roth & Partner Steuerberatung",
             "shortcode": "RP", "primary_contact": None, "origin_space": None},
}  # fmt: skip

STRING_KEYS_CONTACT: Final = _names(
    "first_name last_name title title_suffix position locale fax telephone telephone_private mobile "
    "mobile_private address_street address_house address_street2 address_zip address_state address_town"
)
STRING_KEYS_COMPANY: Final = _names(
    "vendor_identifier company_name locale tax_uid iban bic phone fax homepage person_attention_to "
    "address_invoice_title address_invoice_street address_invoice_house address_invoice_street2 "
    "address_invoice_zip address_invoice_state address_invoice_town"
)


def _fields(names: str, kind: Kind = Kind.STRING) -> dict[str, Field]:
    """Filter fields of one kind from space-separated names; each reads the record's key of the same name."""
    return {name: Field(kind, name) for name in _names(names)}


_COMPANY_IN_CONTACT: Schema = {
    "id": Field(Kind.ID, "id"),
    **_fields("external_id company_name external_origin tax_uid iban bic phone fax email email_general homepage"),
}
_CONTACT_IN_COMPANY: Schema = {"id": Field(Kind.ID, "id"), **_fields("external_id first_name last_name email")}
CONTACT_FILTERS: Final[Schema] = {
    "archived": Field(Kind.ARCHIVED, "deleted_at"),
    **_fields(
        "first_name last_name email email_private mobile mobile_private telephone telephone_private fax "
        "address_street address_street2 address_house address_zip address_state address_town address_country.name "
        "owner.email owner.external_id owner.external_origin client.name client.shortcode client.external_id "
        "client.external_origin external_origin"
    ),
    **_fields("owner.id client.id", Kind.ID),
    "birthday": Field(Kind.DATE, "birthday"),
    **_fields("created_at updated_at", Kind.DATETIME),
    "companies": Field(Kind.RELATION, "companies", _COMPANY_IN_CONTACT),
    "custom_fields.*": Field(Kind.SCALAR, "custom_fields"),
}
COMPANY_FILTERS: Final[Schema] = {
    "archived": Field(Kind.ARCHIVED, "deleted_at"),
    **_fields(
        "company_name tax_uid iban bic phone fax email email_general homepage business_field.name "
        "person_attention_to external_origin"
    ),
    **_fields("invoices_by_post invoices_by_email", Kind.BOOL),
    "business_field.id": Field(Kind.ID, "business_field.id"),
    **_fields("created_at updated_at", Kind.DATETIME),
    "contacts": Field(Kind.RELATION, "contacts", _CONTACT_IN_COMPANY),
    "custom_fields.*": Field(Kind.SCALAR, "custom_fields"),
}


@dataclass(frozen=True)
class Entity:
    """What differs between contacts and companies: names, writable fields by type, sorts, include, filters."""

    noun: str
    label: str
    id_prefix: str
    strings: tuple[str, ...]
    emails: tuple[str, ...]
    bools: tuple[str, ...]
    refs: Mapping[str, Mapping[str, Any]]  # "<x>_id" body field → existing ids
    country: str
    sorts: tuple[str, ...]
    include: str
    filters: Schema


CONTACT = Entity(
    "contact", "Contact", "c", tuple(STRING_KEYS_CONTACT), ("email", "email_private"), (),
    {"owner_id": USERS, "client_id": CLIENTS}, "address_country",
    ("first_name", "last_name", "created_at"), "companies", CONTACT_FILTERS,
)  # fmt: skip
COMPANY = Entity(
    "company", "Company", "co", tuple(STRING_KEYS_COMPANY), ("email", "email_general"),
    ("taxation_enabled", "invoices_by_post", "invoices_by_email"),
    {"business_field_id": BUSINESS_FIELDS, "company_size_id": COMPANY_SIZES, "company_revenue_id": COMPANY_REVENUES},
    "address_invoice_country", ("company_name", "updated_at", "created_at"), "contacts", COMPANY_FILTERS,
)  # fmt: skip


@dataclass
class Record:
    """One stored contact or company: its writable data (as stored) and its timestamps."""

    id: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    json: dict[str, Any] | None = field(default=None, repr=False, compare=False)  # cached, shared: copy before use


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _crockford(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, r = divmod(n, 32)
        digits.append(_CROCKFORD[r])
    return "".join(reversed(digits))


class KanbertStore:
    """Contacts, companies and their links, with the validation and JSON of kanbert.md §4-5.

    Every method takes `lock`; the HTTP layer holds it around whole requests. The public methods do what the
    corresponding API call does (same validation, HttpError on bad input), so tests can play a Kanbert user.

    Args:
        clock: Stamps every write.
        seed: Seed of the data generator behind `seed_people` and `seed_companies`.
        origin: Integration slug used as `external_origin` when a create names none.
        lock: The lock to share (the server's); default a new one.
    """

    def __init__(
        self, *, clock: Clock | None = None, seed: int = 0, origin: str = DEFAULT_ORIGIN, lock: RLock | None = None
    ) -> None:
        self.clock = clock or Clock()
        self.lock = lock or RLock()
        self.origin = origin
        self._rng = random.Random(seed)
        self._fake = FakeData(self._rng)
        self._counter = 0
        self._tables: dict[str, dict[str, Record]] = {"contact": {}, "company": {}}
        self._links: dict[str, dict[str, str | None]] = {}  # contact id → {company id: position}
        self._reverse: dict[str, dict[str, str | None]] = {}  # company id → {contact id: position}
        self._countries: dict[str, dict[str, str]] = {}

    def create_contact(self, body: Mapping[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Create a contact as `POST /contacts` would (same validation; HttpError 422 on bad input)."""
        with self.lock:
            return deepcopy(self.to_json(CONTACT, self.create(CONTACT, body, origin or self.origin)))

    def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change a contact as `PATCH /contacts/{id}` would (e.g. a user editing it in Kanbert)."""
        with self.lock:
            return deepcopy(self.to_json(CONTACT, self.update(CONTACT, self.get(CONTACT, contact_id), body)))

    def delete_contact(self, contact_id: str) -> None:
        """Soft-delete a contact as `DELETE /contacts/{id}` would."""
        with self.lock:
            self.delete(self.get(CONTACT, contact_id))

    def restore_contact(self, contact_id: str) -> dict[str, Any]:
        """Undelete a contact as `POST /contacts/{id}/restore` would."""
        with self.lock:
            return deepcopy(self.to_json(CONTACT, self.restore(self.get(CONTACT, contact_id, trashed=True))))

    def contact(self, contact_id: str, *, include: bool = False) -> dict[str, Any] | None:
        """A contact's ContactData (soft-deleted ones too), with `companies` when `include`; None if unknown."""
        with self.lock:
            rec = self._tables["contact"].get(contact_id)
            return None if rec is None else deepcopy(self.to_json(CONTACT, rec, include=include))

    def contacts(self, *, archived: str = "without", include: bool = False) -> list[dict[str, Any]]:
        """Every contact in id order; `archived` is "without", "with" or "only" as in the API."""
        with self.lock:
            return deepcopy([self.to_json(CONTACT, r, include=include) for r in self.records(CONTACT, archived)])

    def attach_company(self, contact_id: str, company_id: str, *, position: str | None = None) -> None:
        """Link a contact to a company as `PUT /contacts/{id}/company/attach` would."""
        with self.lock:
            self.attach(self.get(CONTACT, contact_id), {"company_id": company_id, "position": position})

    def detach_company(self, contact_id: str, company_id: str) -> None:
        """Unlink a contact from a company as `PUT /contacts/{id}/company/detach` would."""
        with self.lock:
            self.detach(self.get(CONTACT, contact_id), {"company_id": company_id})

    def create_company(self, body: Mapping[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Create a company as `POST /companies` would."""
        with self.lock:
            return deepcopy(self.to_json(COMPANY, self.create(COMPANY, body, origin or self.origin)))

    def update_company(self, company_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change a company as `PATCH /companies/{id}` would."""
        with self.lock:
            return deepcopy(self.to_json(COMPANY, self.update(COMPANY, self.get(COMPANY, company_id), body)))

    def delete_company(self, company_id: str) -> None:
        """Soft-delete a company as `DELETE /companies/{id}` would."""
        with self.lock:
            self.delete(self.get(COMPANY, company_id))

    def company(self, company_id: str, *, include: bool = False) -> dict[str, Any] | None:
        """A company's CompanyData (soft-deleted ones too), with `contacts` when `include`; None if unknown."""
        with self.lock:
            rec = self._tables["company"].get(company_id)
            return None if rec is None else deepcopy(self.to_json(COMPANY, rec, include=include))

    def companies(self, *, archived: str = "without", include: bool = False) -> list[dict[str, Any]]:
        """Every company in id order; `archived` as in `contacts`."""
        with self.lock:
            return deepcopy([self.to_json(COMPANY, r, include=include) for r in self.records(COMPANY, archived)])

    def seed_companies(self, k: int) -> list[str]:
        """Add `k` realistic companies created over the past two years (deterministic per `seed`); their ids."""
        with self.lock:
            ids = []
            for created, updated in self._past_times(k):
                fake = self._fake.company()
                data = self._blank(COMPANY) | {
                    "company_name": fake.name,
                    "locale": fake.locale,
                    "tax_uid": fake.tax_uid,
                    "taxation_enabled": fake.country == "DE",
                    "email": fake.email,
                    "phone": fake.phone,
                    "homepage": fake.homepage,
                    "invoices_by_email": self._rng.random() < 0.6,
                    "business_field_id": self._rng.choice([None, *BUSINESS_FIELDS]),
                    "address_invoice_street": fake.street,
                    "address_invoice_house": fake.house,
                    "address_invoice_zip": fake.zip,
                    "address_invoice_state": fake.state,
                    "address_invoice_town": fake.town,
                    "address_invoice_country": self._country(fake.country),
                }
                ids.append(self._insert(COMPANY, data, created, updated).id)
            return ids

    def seed_people(self, n: int, *, companies: int = 0) -> list[str]:
        """Add `n` realistic contacts (deterministic per `seed`); their ids.

        Args:
            n: How many contacts.
            companies: Seed this many companies first. About 60% of the contacts work at one of the
                companies (existing ones when 0), with a position; some at a second one.
        """
        with self.lock:
            self.seed_companies(companies)
            employers = list(self.records(COMPANY, "without"))
            ids = []
            for created, updated in self._past_times(n):
                employer = self._rng.choice(employers) if employers and self._rng.random() < 0.6 else None
                domain = None
                if employer is not None and employer.data["email"]:
                    domain = employer.data["email"].partition("@")[2]
                country = employer.data["address_invoice_country"] if employer is not None else None
                fake = self._fake.person(work_domain=domain, country=country["code"] if country else None)
                data = self._blank(CONTACT) | {
                    "gender": fake.gender,
                    "first_name": fake.first_name,
                    "last_name": fake.last_name,
                    "title": fake.title,
                    "position": fake.position,
                    "locale": fake.locale,
                    "birthday": fake.birthday.isoformat() if fake.birthday else None,
                    "telephone": fake.telephone,
                    "mobile": fake.mobile,
                    "email": fake.email,
                    "email_private": fake.email_private,
                    "address_street": fake.street,
                    "address_house": fake.house,
                    "address_zip": fake.zip,
                    "address_state": fake.state,
                    "address_town": fake.town,
                    "address_country": self._country(fake.country) if fake.town else None,
                    "owner_id": "u_1" if self._rng.random() < 0.3 else None,
                    "custom_fields": {"newsletter": self._rng.random() < 0.4} if self._rng.random() < 0.5 else {},
                }
                rec = self._insert(CONTACT, data, created, updated)
                ids.append(rec.id)
                if employer is not None:
                    self._link(rec.id, employer.id, fake.position)
                    if len(employers) > 1 and self._rng.random() < 0.1:
                        other = self._rng.choice([e for e in employers if e is not employer])
                        self._link(rec.id, other.id, None)
            return ids

    # -- state internals ----------------------------------------------------------------------------------------

    def _past_times(self, n: int) -> list[tuple[datetime, datetime]]:
        now = self.clock.now()
        created = sorted(now - timedelta(seconds=self._rng.uniform(3600, 2 * 365 * 86400)) for _ in range(n))
        return [(c, c if self._rng.random() < 0.4 else c + (now - c) * self._rng.random() * 0.9) for c in created]

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_01J{_crockford(self._counter, 8)}"

    def _blank(self, entity: Entity) -> dict[str, Any]:
        data: dict[str, Any] = dict.fromkeys((*entity.strings, *entity.emails, *entity.refs, entity.country))
        data.update(dict.fromkeys(entity.bools, False))
        data.update(external_id=None, external_origin=None, custom_fields={})
        if entity is CONTACT:
            data.update(gender=None, birthday=None)
        return data

    def _insert(self, entity: Entity, data: dict[str, Any], created: datetime, updated: datetime) -> Record:
        rec = Record(self._new_id(entity.id_prefix), data, created, updated)
        self._tables[entity.noun][rec.id] = rec
        return rec

    def records(self, entity: Entity, archived: str) -> Iterable[Record]:
        """The records of a kind in id order; `archived` is "without", "with" or "only"."""
        for rec in self._tables[entity.noun].values():
            deleted = rec.deleted_at is not None
            if archived == "with" or deleted == (archived == "only"):
                yield rec

    def get(self, entity: Entity, key: str, *, by: str = "id", origin: str = "", trashed: bool = False) -> Record:
        """The record `key` names: an id, or with `by="external_id"` an external id of `origin`.

        Raises:
            HttpError: 404 when there is none (or it is soft-deleted and not `trashed`); 422 on a bad `by`.
        """
        table = self._tables[entity.noun]
        if by == "id":
            rec = table.get(key)
        elif by == "external_id":
            rec = next(
                (r for r in table.values() if (r.data["external_id"], r.data["external_origin"]) == (key, origin)), None
            )
        else:
            raise validation_error("find_by", "The selected find by is invalid.")
        if rec is None or (rec.deleted_at is not None and not trashed):
            raise HttpError(404, f"{entity.label} not found.")
        return rec

    def _country(self, text: str) -> dict[str, str]:
        country = find_country(text)
        if country is not None:
            return {"id": f"ctry_{country.alpha2.lower()}", "name": country.name_de, "code": country.alpha2}
        code = text.strip().upper()
        if len(code) == 2 and code.isascii() and code.isalpha():  # valid but unknown: created
            return dict(self._countries.setdefault(code, {"id": f"ctry_{code.lower()}", "name": code, "code": code}))
        return dict(DEFAULT_COUNTRY)

    def _country_by_id(self, country_id: str) -> dict[str, str] | None:
        code = country_id.removeprefix("ctry_").upper()
        if not country_id.startswith("ctry_") or len(code) != 2:
            return None
        known = find_country(code)
        return self._country(code) if known is not None or code in self._countries else None

    def _clash(self, entity: Entity, external_id: str | None, origin: str | None, own_id: str | None) -> bool:
        if external_id is None:
            return False
        return any(
            r.id != own_id and r.data["external_id"] == external_id and r.data["external_origin"] == origin
            for r in self._tables[entity.noun].values()
        )

    def _clean(self, entity: Entity, body: Any, *, current: dict[str, Any] | None) -> dict[str, Any]:
        """Validated, normalised writable fields of a create (current None) or partial update body."""
        if not isinstance(body, Mapping):
            raise HttpError(400, "The request body must be a JSON object.")
        body = laravel_input(dict(body))
        errors = Errors()
        out: dict[str, Any] = {}
        for name in entity.strings:
            if name in body:
                out[name] = errors.string(name, body[name])
        for name in entity.emails:
            if name in body and errors.string(name, body[name]) is not None:
                if _EMAIL.fullmatch(body[name]) is None:
                    errors.add(name, f"The {attribute(name)} field must be a valid email address.")
                out[name] = body[name]
            elif name in body:
                out[name] = None
        for name in entity.bools:
            if name in body:
                if body[name] in (True, False, 0, 1, None):
                    out[name] = bool(body[name])
                else:
                    errors.add(name, f"The {attribute(name)} field must be true or false.")
        for name, known in entity.refs.items():
            if name in body:
                if body[name] is not None and body[name] not in known:
                    errors.add(name, f"The selected {attribute(name)} is invalid.")
                out[name] = body[name]
        if entity is CONTACT:
            if "gender" in body:
                if body["gender"] not in (None, "f", "m", "x"):
                    errors.add("gender", "The selected gender is invalid.")
                out["gender"] = body["gender"]
            if "birthday" in body:
                out["birthday"] = self._birthday(body["birthday"], errors)
        country_id = f"{entity.country}_id"
        if body.get(country_id) is not None:
            found = self._country_by_id(body[country_id]) if isinstance(body[country_id], str) else None
            if found is None:
                errors.add(country_id, f"The selected {attribute(country_id)} is invalid.")
            out[entity.country] = found
        elif entity.country in body:
            text = errors.string(entity.country, body[entity.country])
            out[entity.country] = None if text is None else self._country(text)
        elif country_id in body:  # an explicit null id clears the country
            out[entity.country] = None
        if "custom_fields" in body:
            fields = body["custom_fields"]
            if fields is None:
                fields = {}
            if not isinstance(fields, dict) or any(isinstance(v, list | dict) for v in fields.values()):
                errors.add("custom_fields", "The custom fields field must be an array.")
            else:
                out["custom_fields"] = {**(current or {}).get("custom_fields", {}), **fields}
        if current is None:
            out["external_id"] = errors.string("external_id", body.get("external_id"))
            out["external_origin"] = errors.string("external_origin", body.get("external_origin"))
        errors.raise_if_any()
        return out

    @staticmethod
    def _birthday(value: Any, errors: Errors) -> str | None:
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            text = value.strip()
            return (
                date.fromisoformat(text[:10]).isoformat()
                if len(text) == 10
                else datetime.fromisoformat(text.replace("z", "Z")).date().isoformat()
            )
        except ValueError:
            errors.add("birthday", "The birthday field must be a valid date.")
            return None

    def create(self, entity: Entity, body: Any, origin: str) -> Record:
        """Validate `body` and store a new record (`external_origin` defaults to `origin`)."""
        data = self._blank(entity) | self._clean(entity, body, current=None)
        data["external_origin"] = data["external_origin"] or origin
        if self._clash(entity, data["external_id"], data["external_origin"], None):
            raise validation_error("external_id", "The external id has already been taken.")
        now = self.clock.tick()
        return self._insert(entity, data, now, now)

    def _touch(self, rec: Record) -> None:
        rec.updated_at = self.clock.tick()
        rec.json = None

    def update(self, entity: Entity, rec: Record, body: Any) -> Record:
        """Apply a partial update; `updated_at` moves only when something changed."""
        changed = rec.data | self._clean(entity, body, current=rec.data)
        if changed != rec.data:
            rec.data = changed
            self._touch(rec)
        return rec

    def delete(self, rec: Record) -> None:
        """Soft-delete: `deleted_at` and `updated_at` become now."""
        self._touch(rec)
        rec.deleted_at = rec.updated_at
        rec.json = None

    def restore(self, rec: Record) -> Record:
        """Undelete (a no-op for a record that is not deleted)."""
        if rec.deleted_at is not None:
            rec.deleted_at = None
            self._touch(rec)
        return rec

    def set_external_id(self, entity: Entity, rec: Record, body: Any, origin: str) -> Record:
        """Overwrite the external id and origin (`PUT …/external-identifier`)."""
        if not isinstance(body, Mapping):
            raise HttpError(400, "The request body must be a JSON object.")
        body = laravel_input(dict(body))
        errors = Errors()
        external_id = errors.string("external_id", body.get("external_id"))
        external_origin = errors.string("external_origin", body.get("external_origin")) or origin
        errors.raise_if_any()
        if self._clash(entity, external_id, external_origin, rec.id):
            raise validation_error("external_id", "The external id has already been taken.")
        if (rec.data["external_id"], rec.data["external_origin"]) != (external_id, external_origin):
            rec.data = rec.data | {"external_id": external_id, "external_origin": external_origin}
            self._touch(rec)
        return rec

    def _company_for_link(self, body: Any, *, alive: bool) -> Record:
        if not isinstance(body, Mapping):
            raise HttpError(400, "The request body must be a JSON object.")
        company_id = laravel_input(body.get("company_id"))
        if company_id is None:
            raise validation_error("company_id", "The company id field is required.")
        rec = self._tables["company"].get(company_id) if isinstance(company_id, str) else None
        if rec is None or (alive and rec.deleted_at is not None):
            raise validation_error("company_id", "The selected company id is invalid.")
        return rec

    def _link(self, contact_id: str, company_id: str, position: str | None) -> None:
        self._links.setdefault(contact_id, {})[company_id] = position
        self._reverse.setdefault(company_id, {})[contact_id] = position

    def attach(self, contact: Record, body: Any) -> None:
        """Link `contact` to `body["company_id"]` with `body["position"]` (again: new position)."""
        company = self._company_for_link(body, alive=True)
        errors = Errors()
        position = errors.string("position", laravel_input(body.get("position")))
        errors.raise_if_any()
        links = self._links.get(contact.id, {})
        if company.id not in links or links[company.id] != position:
            self._link(contact.id, company.id, position)
            self._touch(contact)

    def detach(self, contact: Record, body: Any) -> None:
        """Unlink `contact` from `body["company_id"]`."""
        company = self._company_for_link(body, alive=False)
        if company.id in self._links.get(contact.id, {}):
            del self._links[contact.id][company.id]
            del self._reverse[company.id][contact.id]
            self._touch(contact)

    # -- JSON ---------------------------------------------------------------------------------------------------

    def _stamps(self, rec: Record) -> dict[str, Any]:
        return {
            "created_at": format_utc(rec.created_at),
            "updated_at": format_utc(rec.updated_at),
            "deleted_at": format_utc(rec.deleted_at) if rec.deleted_at else None,
        }

    def to_json(self, entity: Entity, rec: Record, *, include: bool = False) -> dict[str, Any]:
        """ContactData or CompanyData; with `include`, the linked records (each with `contact_company`).

        The top level is the caller's to change; nested objects are shared with a cache (copy them first).
        """
        out = self._cached_json(entity, rec)
        if include:
            other = COMPANY if entity is CONTACT else CONTACT
            links = (self._links if entity is CONTACT else self._reverse).get(rec.id, {})
            table = self._tables[other.noun]
            out[entity.include] = [
                self._cached_json(other, linked) | {"contact_company": {"position": position}}
                for linked_id, position in links.items()
                if (linked := table[linked_id]).deleted_at is None
            ]
        return out

    def _cached_json(self, entity: Entity, rec: Record) -> dict[str, Any]:
        if rec.json is None:  # every change of a record goes through _touch or delete, which drop this
            rec.json = self._contact_json(rec) if entity is CONTACT else self._company_json(rec)
        return dict(rec.json)

    def _contact_json(self, rec: Record) -> dict[str, Any]:
        d = rec.data
        keys = ["external_id", "external_origin", "gender", *STRING_KEYS_CONTACT[:6], "birthday",
                *STRING_KEYS_CONTACT[6:11], "email", "email_private", *STRING_KEYS_CONTACT[11:]]  # fmt: skip
        user = USERS.get(d["owner_id"]) if d["owner_id"] else None
        return {
            "id": rec.id,
            **{k: d[k] for k in keys},
            "address_country": dict(d["address_country"]) if d["address_country"] else None,
            "owner": user | {"type": "user", "space": dict(SPACE)} if user else None,
            "client": dict(CLIENTS[d["client_id"]]) if d["client_id"] else None,
            "custom_fields": dict(d["custom_fields"]),
            **self._stamps(rec),
        }

    def _company_json(self, rec: Record) -> dict[str, Any]:
        d = rec.data

        def ref(key: str, table: Mapping[str, Any], label: str) -> dict[str, Any] | None:
            return {"id": d[key], label: table[d[key]]} if d[key] else None

        head = ["external_id", "external_origin", "vendor_identifier", "company_name", "locale", "tax_uid"]
        return {
            "id": rec.id,
            **{k: d[k] for k in head},
            "taxation_enabled": d["taxation_enabled"],
            **{k: d[k] for k in ("iban", "bic", "email", "email_general", "phone", "fax", "homepage")},
            "invoices_by_post": d["invoices_by_post"],
            "invoices_by_email": d["invoices_by_email"],
            "business_field": ref("business_field_id", BUSINESS_FIELDS, "name"),
            "company_size": ref("company_size_id", COMPANY_SIZES, "title"),
            "company_revenue": ref("company_revenue_id", COMPANY_REVENUES, "title"),
            **{k: d[k] for k in STRING_KEYS_COMPANY if k == "person_attention_to" or k.startswith("address_")},
            "address_invoice_country": dict(d["address_invoice_country"]) if d["address_invoice_country"] else None,
            "custom_fields": dict(d["custom_fields"]),
            **self._stamps(rec),
        }

    # -- HTTP ---------------------------------------------------------------------------------------------------
