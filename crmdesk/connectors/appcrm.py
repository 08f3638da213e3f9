"""appcrm: contacts, companies and activities over its REST API (crm-apis/appcrm.md), mapped onto people,
companies and touchpoints.

Sync fields (what appcrm can hold; everything else of a local record is never compared or touched):

person ← contact: ``first_name last_name email job_title street city state postal_code country`` (alpha-2, from
``country_id``), ``phones`` (a tuple of ``kind:number``, kind mobile|work|other), ``tags`` (sorted names), one
``@company:<id>`` key per associated company, and ``cf_…`` custom fields that hold text.
company ← company: ``name email domain street city state postal_code country phones tags``.
touchpoint ← activity: ``title note type`` (the activity type id), ``when`` (``YYYY-MM-DDTHH:MM``, UTC), one
``@person:<id>`` key per associated contact and ``company`` (``@company:<id>``, the first associated company).

Assumptions this connector relies on (marked [assumed] in appcrm.md, or chosen with the emulator):
- Lists are Laravel paginators (``data`` + ``meta.total``/``meta.last_page``) and honour ``per_page`` up to 100 and
  ``order=id``; there is no change feed, so every pull walks everything (ids ascending) and says it is complete
  only when the walk saw exactly as many records as the last page's ``meta.total`` — a record deleted there while
  the walk ran shifts the pages, and such a walk must not make other records look deleted.
- PUT is partial and ``first_name`` is always sent; ``phones``/``tags``/``companies``/``contacts`` in a body replace
  the whole list, so a changed list is sent whole and an unchanged one is left out.
- Custom fields are the top-level keys ``cf_…`` (the emulator's reading of "...customFields"); only text values are
  synced, others stay as they are there.
- Activity types 1 Call, 2 Meeting, 3 Task (the default), 4 Email, 5 Deadline. A local note, letter or turnover is
  sent as a task; it stays a note here as long as appcrm keeps it a task. A deadline reads as a task here and
  stays a deadline there until the type is changed here.
- An activity needs an owner: ``user_id`` is the account option ``owner`` (default 1, the first user).
- ``GET /contacts/search`` and ``/companies/search`` take ``search_fields=email:=`` / ``name:=`` and answer a plain
  array; ``GET /activities?q=`` filters on title, note and description. A lost create is looked up there.
- Deletes are permanent (no restore); a 404 on delete means already gone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from crmdesk.connectors import countries, flat
from crmdesk.connectors.base import FULL_WALK, RemoteItem, RemotePage, norm_text, parse_ref, ref, same_keys
from crmdesk.connectors.http import HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import (
    Address,
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
from crmdesk.errors import RemoteNotFound, RemoteRejected
from crmdesk.tasks import CancelToken

PAGE_SIZE = 100
PERSON_REF = ref(Entity.PERSON, "")
COMPANY_REF = ref(Entity.COMPANY, "")
PHONE_KINDS: Mapping[PhoneType, str] = {PhoneType.MOBILE: "mobile", PhoneType.WORK: "work"}
ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
_PATHS = {Entity.PERSON: "/contacts", Entity.COMPANY: "/companies", Entity.TOUCHPOINT: "/activities"}
_TYPE_IDS = {
    TouchpointType.CALL: 1,
    TouchpointType.MEETING: 2,
    TouchpointType.TASK: 3,
    TouchpointType.EMAIL: 4,
}
_TYPES = {1: TouchpointType.CALL, 2: TouchpointType.MEETING, 3: TouchpointType.TASK, 4: TouchpointType.EMAIL}
DEFAULT_TYPE = 3
_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "E-mail",
    "job_title": "Job title",
    "phones": "Phones",
    "tags": "Tags",
    "street": "Street",
    "city": "City",
    "state": "Region",
    "postal_code": "Postcode",
    "country": "Country",
    "name": "Name",
    "domain": "Website",
    "title": "Subject",
    "note": "Text",
    "type": "Type",
    "when": "Date",
    "company": "Company",
}


# ---------------------------------------------------------------------------------------------------------------------
# Local records ⇄ sync fields


def _phones_value(phones: tuple[tuple[str, str], ...]) -> tuple[str, ...] | None:
    return tuple(f"{kind}:{number}" for kind, number in phones) or None


def _phones_list(value: Value) -> list[tuple[str, str]]:
    if not isinstance(value, tuple):
        return []
    out = []
    for item in value:
        kind, _, number = item.partition(":")
        out.append((kind, number))
    return out


def _address_fields(a: Address | None) -> dict[str, Value]:
    if a is None:
        return {}
    return {"street": a.street, "city": a.city, "state": a.region, "postal_code": a.postcode, "country": a.country}


def _address(f: Fields) -> Address:
    return Address(
        street=str(f.get("street") or ""),
        city=str(f.get("city") or ""),
        region=str(f.get("state") or ""),
        postcode=str(f.get("postal_code") or ""),
        country=str(f.get("country") or ""),
    )


def project_person(p: PersonRecord) -> dict[str, Value]:
    cards = p.cards
    emails = flat.emails_of(cards)
    out: dict[str, Value] = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": emails[0] if emails else None,
        "job_title": flat.position_of(cards),
        "phones": _phones_value(flat.phones_of(cards, PHONE_KINDS, "other")),
        "tags": p.tags or None,
        **_address_fields(flat.address_of(cards)),
    }
    for company_id in flat.companies_of(cards):
        out[COMPANY_REF + company_id] = True
    for key, value in p.custom:
        if key.startswith("cf_"):
            out[key] = value
    return clean(out)


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    f = clean(fields)
    base = rec or PersonRecord()
    cards = flat.with_companies(base.cards, [k[len(COMPANY_REF) :] for k in f if k.startswith(COMPANY_REF)])
    cards = flat.with_position(cards, str(f.get("job_title") or ""))
    emails = list(flat.emails_of(cards))
    email = f.get("email")
    if isinstance(email, str):
        emails[:1] = [email]
    else:
        emails = emails[1:]
    cards = flat.with_emails(cards, emails)
    cards = flat.with_phones(cards, _phones_list(f.get("phones")), PHONE_KINDS, "other")
    cards = flat.with_address(cards, _address(f))
    custom = [(k, v) for k, v in base.custom if not k.startswith("cf_")]
    custom += [(k, str(v)) for k, v in f.items() if k.startswith("cf_") and isinstance(v, str)]
    tags = f.get("tags")
    return base.replace(
        first_name=str(f.get("first_name") or ""),
        last_name=str(f.get("last_name") or ""),
        tags=normalize_tags(tags) if isinstance(tags, tuple) else (),
        custom=tuple(custom),
        cards=flat.without_empty(cards),
    )


def _host(website: str) -> str:
    text = website.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0]


def project_company(c: CompanyRecord) -> dict[str, Value]:
    out: dict[str, Value] = {
        "name": c.name,
        "email": c.emails[0].address if c.emails else None,
        "domain": _host(c.website),
        "phones": _phones_value(tuple((PHONE_KINDS.get(p.type, "other"), p.number) for p in c.phones)),
        "tags": c.tags or None,
        **_address_fields(c.addresses[0] if c.addresses else None),
    }
    return clean(out)


def apply_company(rec: CompanyRecord | None, fields: Fields) -> CompanyRecord:
    f = clean(fields)
    base = rec or CompanyRecord()
    emails = list(base.emails)
    email = f.get("email")
    if isinstance(email, str):
        if emails:
            emails[0] = emails[0] if emails[0].address == email else Email(email, emails[0].type, emails[0].favourite)
        else:
            emails.append(Email(email, EmailType.WORK))
    elif emails:
        del emails[0]
    wanted = _phones_list(f.get("phones"))
    back = {v: k for k, v in PHONE_KINDS.items()}
    phones: list[Phone] = []
    for i, (kind, number) in enumerate(wanted):
        old = base.phones[i] if i < len(base.phones) else None
        if old is not None and PHONE_KINDS.get(old.type, "other") == kind:
            phones.append(Phone(number, old.type, old.favourite))
        else:
            phones.append(Phone(number, back.get(kind, PhoneType.OTHER)))
    domain = str(f.get("domain") or "")
    website = base.website if _host(base.website) == domain else domain
    addresses = list(base.addresses)
    address = _address(f)
    if addresses:
        if address.is_empty():
            del addresses[0]
        else:
            addresses[0] = Address(
                address.street,
                address.postcode,
                address.city,
                address.region,
                address.country,
                addresses[0].type,
                addresses[0].favourite,
            )
    elif not address.is_empty():
        addresses.append(address)
    tags = f.get("tags")
    return base.replace(
        name=str(f.get("name") or ""),
        website=website,
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(addresses),
        tags=normalize_tags(tags) if isinstance(tags, tuple) else (),
    )


def _minute(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def project_touchpoint(t: TouchpointRecord) -> dict[str, Value]:
    out: dict[str, Value] = {
        "title": t.subject,
        "note": t.body,
        "type": str(_TYPE_IDS.get(t.type, DEFAULT_TYPE)),
        "when": _minute(t.occurred_at),
        "company": ref(Entity.COMPANY, t.company_id) if t.company_id else None,
    }
    for person_id in t.person_ids:
        out[PERSON_REF + person_id] = True
    return clean(out)


def apply_touchpoint(rec: TouchpointRecord | None, fields: Fields) -> TouchpointRecord:
    f = clean(fields)
    base = rec or TouchpointRecord()
    type_id = int(str(f.get("type") or DEFAULT_TYPE)) if str(f.get("type") or "").isdigit() else DEFAULT_TYPE
    kind = base.type if _TYPE_IDS.get(base.type, DEFAULT_TYPE) == type_id and rec else _TYPES.get(type_id)
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
        type=kind or TouchpointType.TASK,
        occurred_at=when,
        person_ids=tuple(people),
        company_id=company[1] if company else None,
    )


# ---------------------------------------------------------------------------------------------------------------------
# appcrm JSON ⇄ sync fields


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _address_json(data: Mapping[str, Any]) -> dict[str, Value]:
    return {
        "street": _text(data.get("street")),
        "city": _text(data.get("city")),
        "state": _text(data.get("state")),
        "postal_code": _text(data.get("postal_code")),
        "country": countries.alpha2(data.get("country_id")) if data.get("country_id") is not None else None,
    }


def _phones_json(data: Mapping[str, Any]) -> tuple[str, ...] | None:
    phones = [p for p in data.get("phones") or () if isinstance(p, dict) and _text(p.get("number"))]
    return tuple(f"{p.get('type') or 'other'}:{str(p['number']).strip()}" for p in phones) or None


def _tags_json(data: Mapping[str, Any]) -> tuple[str, ...] | None:
    names = [t.get("name") if isinstance(t, dict) else t for t in data.get("tags") or ()]
    return normalize_tags(n for n in names if isinstance(n, str)) or None


def contact_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    out: dict[str, Value] = {
        "first_name": _text(data.get("first_name")),
        "last_name": _text(data.get("last_name")),
        "email": _text(data.get("email")),
        "job_title": _text(data.get("job_title")),
        "phones": _phones_json(data),
        "tags": _tags_json(data),
        **_address_json(data),
    }
    for company in data.get("companies") or ():
        if isinstance(company, dict) and company.get("id") is not None:
            out[COMPANY_REF + str(company["id"])] = True
    for key, value in data.items():
        if key.startswith("cf_") and isinstance(value, str):
            out[key] = value
    return clean(out)


def company_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    out: dict[str, Value] = {
        "name": _text(data.get("name")),
        "email": _text(data.get("email")),
        "domain": _text(data.get("domain")),
        "phones": _phones_json(data),
        "tags": _tags_json(data),
        **_address_json(data),
    }
    return clean(out)


def activity_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    day = _text(data.get("due_date"))
    clock = _text(data.get("due_time")) or "00:00"
    companies = [c["id"] for c in data.get("companies") or () if isinstance(c, dict) and c.get("id") is not None]
    out: dict[str, Value] = {
        "title": _text(data.get("title")),
        "note": _text(data.get("note")),
        # A type crmdesk has no word for (5, Deadline) reads as the default: it stays as it is there until the
        # user picks another type here, instead of being overwritten with "Task" by the next unrelated push.
        "type": str(data["activity_type_id"] if data.get("activity_type_id") in _TYPES else DEFAULT_TYPE),
        "when": f"{day[:10]}T{clock[:5]}" if day else None,
        "company": ref(Entity.COMPANY, str(companies[0])) if companies else None,
    }
    for contact in data.get("contacts") or ():
        if isinstance(contact, dict) and contact.get("id") is not None:
            out[PERSON_REF + str(contact["id"])] = True
    return clean(out)


def _ids(fields: Fields, prefix: str) -> list[int]:
    return sorted(int(k[len(prefix) :]) for k in fields if k.startswith(prefix) and k[len(prefix) :].isdigit())


def _phones_body(value: Value) -> list[dict[str, str]]:
    return [{"number": number, "type": kind} for kind, number in _phones_list(value)]


def _address_body(fields: Fields) -> dict[str, Any]:
    return {
        "street": fields.get("street"),
        "city": fields.get("city"),
        "state": fields.get("state"),
        "postal_code": fields.get("postal_code"),
        "country_id": countries.numeric(str(fields.get("country") or "")),
    }


def contact_body(fields: Fields, old: Fields) -> dict[str, Any]:
    """The POST/PUT body turning a contact holding `old` into one holding `fields` (`first_name` always)."""
    body: dict[str, Any] = {"first_name": fields.get("first_name")}
    for key in ("last_name", "email", "job_title"):
        if fields.get(key) != old.get(key):
            body[key] = fields.get(key)
    if fields.get("phones") != old.get("phones"):
        body["phones"] = _phones_body(fields.get("phones"))
    if fields.get("tags") != old.get("tags"):
        body["tags"] = list(fields.get("tags") or ())  # type: ignore[arg-type]
    if any(fields.get(k) != old.get(k) for k in ADDRESS_KEYS):
        body.update(_address_body(fields))
    if _ids(fields, COMPANY_REF) != _ids(old, COMPANY_REF):
        body["companies"] = _ids(fields, COMPANY_REF)
    for key in {*fields, *old}:
        if key.startswith("cf_") and fields.get(key) != old.get(key):
            body[key] = fields.get(key)
    return body


def company_body(fields: Fields, old: Fields) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key in ("name", "email", "domain"):
        if fields.get(key) != old.get(key):
            body[key] = fields.get(key)
    if fields.get("phones") != old.get("phones"):
        body["phones"] = _phones_body(fields.get("phones"))
    if fields.get("tags") != old.get("tags"):
        body["tags"] = list(fields.get("tags") or ())  # type: ignore[arg-type]
    if any(fields.get(k) != old.get(k) for k in ADDRESS_KEYS):
        body.update(_address_body(fields))
    return body


def activity_body(fields: Fields, old: Fields, *, owner: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if not old:
        body["user_id"] = owner
    for key in ("title", "note"):
        if fields.get(key) != old.get(key):
            body[key] = fields.get(key)
    if fields.get("type") != old.get("type"):
        body["activity_type_id"] = int(str(fields.get("type") or DEFAULT_TYPE))
    if fields.get("when") != old.get("when"):
        when = str(fields.get("when") or "")
        body["due_date"], _, body["due_time"] = when.partition("T")
    if _ids(fields, PERSON_REF) != _ids(old, PERSON_REF):
        body["contacts"] = _ids(fields, PERSON_REF)
    if fields.get("company") != old.get("company"):
        company = parse_ref(str(fields.get("company") or ""))
        body["companies"] = [int(company[1])] if company and company[1].isdigit() else []
    return body


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class AppcrmConnector:
    """appcrm contacts ⇄ people, companies ⇄ companies, activities ⇄ touchpoints; always a full walk."""

    kind = AccountKind.APPCRM
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON, Entity.TOUCHPOINT)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(self, http: HttpClient, *, owner: int = 1, page_size: int = PAGE_SIZE) -> None:
        self.http = http
        self.owner = owner
        self.page_size = page_size

    def _item(self, entity: Entity, data: Mapping[str, Any]) -> RemoteItem:
        if entity is Entity.PERSON:
            fields = contact_fields(data)
        elif entity is Entity.COMPANY:
            fields = company_fields(data)
        else:
            fields = activity_fields(data)
        updated = data.get("updated_at")
        return RemoteItem(str(data["id"]), str(updated or ""), fields, "", _time(updated))

    def _body(self, entity: Entity, fields: Fields, old: Fields) -> dict[str, Any]:
        if entity is Entity.PERSON:
            return contact_body(fields, old)
        if entity is Entity.COMPANY:
            return company_body(fields, old)
        return activity_body(fields, old, owner=self.owner)

    # ---- Connector protocol ----------------------------------------------------------------------------------

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Every record, ids ascending, page by page (appcrm has no change feed)."""
        path = _PATHS[entity]
        seen: set[str] = set()
        page = 1
        first_total: int | None = None
        while True:
            body = self.http.request("GET", path, params={"page": page, "per_page": self.page_size, "order": "id"})
            data = body.get("data") if isinstance(body, dict) else None
            meta = body.get("meta") if isinstance(body, dict) else None
            if not isinstance(data, list) or not isinstance(meta, dict):
                raise RemoteRejected(f"{self.http.name}: the list of {path[1:]} has an unexpected shape.", status=200)
            items = tuple(self._item(entity, d) for d in data if isinstance(d, dict) and d.get("id") is not None)
            seen.update(i.remote_id for i in items)
            total = int(meta.get("total") or 0)
            first_total = total if first_total is None else first_total
            last_page = int(meta.get("last_page") or 1)
            if page >= last_page or not data:
                # Complete only when nothing moved while we walked: then a missing id was deleted there.
                stable = total == first_total == len(seen)
                yield RemotePage(items, cursor=FULL_WALK, complete=stable)
                return
            yield RemotePage(items)
            page += 1

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        data = self.http.request("POST", _PATHS[entity], json_body=self._body(entity, fields, {}))
        item = self._item(entity, data)
        return RemoteItem(item.remote_id, item.version, fields, "", item.updated_at)

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        if entity is Entity.PERSON:
            email, name = fields.get("email"), fields.get("last_name") or fields.get("first_name")
            if not isinstance(email, str) and not isinstance(name, str):
                return None
            search = "email:=" if isinstance(email, str) else "first_name:like;last_name:like"
            keys: tuple[str, ...] = ("first_name", "last_name", "email")
            found = self._search("/contacts/search", str(email if isinstance(email, str) else name), search)
        elif entity is Entity.COMPANY:
            if not isinstance(fields.get("name"), str):
                return None
            keys = ("name", "email")
            found = self._search("/companies/search", str(fields["name"]), "name:=")
        else:
            title = fields.get("title")
            if not isinstance(title, str):
                return None
            keys = ("title", "when")
            body = self.http.request("GET", "/activities", params={"q": title, "per_page": PAGE_SIZE, "order": "id"})
            data = body.get("data") if isinstance(body, dict) else None
            found = data if isinstance(data, list) else []
        for data in found or ():
            if isinstance(data, dict) and data.get("id") is not None and str(data["id"]) not in taken:
                item = self._item(entity, data)
                if item.fields is not None and same_keys(fields, item.fields, keys):
                    return item
        return None

    def _search(self, path: str, query: str, fields: str) -> list[Any]:
        params: dict[str, str | int] = {"q": norm_text(query) or query, "search_fields": fields, "take": 100}
        body = self.http.request("GET", path, params=params)
        return body if isinstance(body, list) else []

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        body = self._body(entity, fields, old)
        if entity is not Entity.PERSON and not body:
            return RemoteItem(remote_id, "", fields)
        data = self.http.request("PUT", f"{_PATHS[entity]}/{remote_id}", json_body=body)
        updated = data.get("updated_at") if isinstance(data, dict) else None
        return RemoteItem(remote_id, str(updated or ""), fields, "", _time(updated))

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        with contextlib.suppress(RemoteNotFound):  # already gone: what a delete wants
            self.http.request("DELETE", f"{_PATHS[entity]}/{remote_id}")

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        return None  # appcrm deletes for good

    def accepts(self, record: Record) -> bool:
        """appcrm requires a contact's first name, a company's name and an activity's title: a local record
        without one stays here instead of being refused on every sync."""
        if isinstance(record, PersonRecord):
            return bool(record.first_name.strip())
        if isinstance(record, CompanyRecord):
            return bool(record.name.strip())
        if isinstance(record, TouchpointRecord):
            return bool(record.subject.strip())
        return True

    def project(self, record: Record) -> dict[str, Value]:
        if isinstance(record, PersonRecord):
            return project_person(record)
        if isinstance(record, CompanyRecord):
            return project_company(record)
        if isinstance(record, TouchpointRecord):
            return project_touchpoint(record)
        raise TypeError(f"appcrm does not sync {type(record).__name__}")

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is Entity.PERSON and (record is None or isinstance(record, PersonRecord)):
            return apply_person(record, fields)
        if entity is Entity.COMPANY and (record is None or isinstance(record, CompanyRecord)):
            return apply_company(record, fields)
        if entity is Entity.TOUCHPOINT and (record is None or isinstance(record, TouchpointRecord)):
            return apply_touchpoint(record, fields)
        raise TypeError(f"appcrm does not sync {entity.value} records")

    def probe(self) -> str:
        try:
            body = self.http.request("GET", "/contacts", params={"per_page": 1})
        except RemoteNotFound:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise RemoteRejected(
                f"{self.http.name}: the server answered, but not like appcrm's API — check the subdomain.", status=200
            )
        return "Connected to appcrm: the token works and contacts can be read."

    def label(self, field: str) -> str:
        if field.startswith(COMPANY_REF):
            return "Company link"
        if field.startswith(PERSON_REF):
            return "Person involved"
        if field.startswith("cf_"):
            return f"Custom field {field[3:].replace('_', ' ')}"
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> AppcrmConnector:
    """The connector of an appcrm account (bearer token; option `owner`: the user id new activities belong to)."""
    # Never a Referer or Origin header (appcrm.md §1): httpx sends neither unless told to.
    http = HttpClient(
        account.base_url,
        name=account.name or account.kind.label,
        headers={"Authorization": f"Bearer {secret}", "Accept": "application/json", "Content-Type": "application/json"},
        secrets=(secret,),
        cancel=cancel,
    )
    owner = account.option("owner", "1")
    return AppcrmConnector(http, owner=int(owner) if owner.isdigit() else 1)
