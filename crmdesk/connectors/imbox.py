"""ImBox: contacts, accounts and contact notes over its REST API (crm-apis/imbox.md), mapped onto people, companies
and touchpoints.

The API key and the user id are path segments (``…/api/{key}/{userId}/contacts``): the key is registered with the
HTTP client as a secret, so every URL in a log line or message shows ``***`` in its place.

Sync fields (what ImBox can hold; everything else of a local record is never compared or touched):

person ← contact: ``first_name last_name title`` (the favourite card's position), ``description`` (the notes;
longer notes go there cut at ImBox's 500 characters and stay whole here), ``account`` (``@company:<id>``: ImBox
keeps one account per contact; a person at several companies sends the first), and — write-only — ``emails``
(addresses, the first is primary) and ``phones`` (E.164 numbers, the first is primary).
company ← account: ``name``.
touchpoint ← contact note: ``content`` (the subject on the first line, then the text) and ``contact``
(``@person:<id>``); ImBox notes have one contact, so a touchpoint without a person stays here
(`accepts`). A pulled note also brings ``created_at``, which only a new local touchpoint takes (its date).

Write-only fields: ImBox never returns e-mails and phone numbers. They are listed in `write_only`, so the engine
takes their values from the last state both sides agreed on: a pull never blanks them, and a change made to them in
ImBox's own window never reaches crmdesk.

Notes cannot be updated: an edited note is deleted and created again, and `update` returns the new note's id — the
engine moves the link to it, so the swap is neither a conflict nor a deletion. Deleting first means a failure in
between leaves the note missing there (the next run brings it back: an edit beats a delete), never doubled. A run
that dies after the create, before its local commit, leaves the link on the deleted note: the next run finds the new
one by contact and content (`find_created`, as for a lost create; `replaced_on_update`) before it pulls.

Assumptions this connector relies on (marked [assumed] in imbox.md, or chosen with the emulator):
- Lists come in ascending id order; a page's cursor is its ``next`` URL (``paging.cursor``/``paging.cursors``
  differ per resource, ``next`` is followed whatever its shape); ``limit`` up to 100.
- PUT is partial (absent fields stay; a present ``emails``/``phones`` list replaces the whole list; ``accountId``
  null detaches).
- ``externalId`` holds our local id (≤ 50 characters: a UUID fits). It cannot be queried, so a lost create is looked
  up by the contact's e-mail (``email`` filter) or, without one, by walking the list, and recognised by it.
- Deletes are permanent; an unknown id is 404.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from crmdesk.connectors import flat
from crmdesk.connectors.base import FULL_WALK, RemoteItem, RemotePage, norm_text, parse_ref, ref
from crmdesk.connectors.http import HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import (
    CompanyRecord,
    Entity,
    PersonRecord,
    PhoneType,
    Record,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import RemoteNotFound, RemoteRejected
from crmdesk.tasks import CancelToken

PAGE_SIZE = 100
DESCRIPTION_LIMIT = 500
WRITE_ONLY = ("emails", "phones")
_PATHS = {Entity.PERSON: "/contacts", Entity.COMPANY: "/accounts", Entity.TOUCHPOINT: "/contactNotes"}
_LISTS = {Entity.PERSON: "contacts", Entity.COMPANY: "accounts", Entity.TOUCHPOINT: "notes"}
_PHONE_KINDS = {PhoneType.WORK: "phone"}  # ImBox phones have no type: every local type keeps its own
_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "title": "Job title",
    "description": "Notes",
    "account": "Company",
    "emails": "E-mails",
    "phones": "Phones",
    "name": "Name",
    "content": "Note",
    "contact": "Person",
}


# ---------------------------------------------------------------------------------------------------------------------
# Local records ⇄ sync fields


def project_person(p: PersonRecord) -> dict[str, Value]:
    cards = p.cards
    companies = flat.companies_of(cards)
    out: dict[str, Value] = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "title": flat.position_of(cards),
        "description": p.notes[:DESCRIPTION_LIMIT] or None,
        "account": ref(Entity.COMPANY, companies[0]) if companies else None,
        "emails": flat.emails_of(cards) or None,
        "phones": tuple(n for _, n in flat.phones_of(cards, _PHONE_KINDS, "phone")) or None,
    }
    return clean(out)


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    f = clean(fields)
    base = rec or PersonRecord()
    local_companies = list(flat.companies_of(base.cards))
    account = parse_ref(str(f.get("account") or ""))
    wanted = ([account[1]] if account else []) + [c for c in local_companies[1:] if not account or c != account[1]]
    cards = flat.with_companies(base.cards, wanted)
    cards = flat.with_position(cards, str(f.get("title") or ""))
    emails = f.get("emails")
    cards = flat.with_emails(cards, list(emails) if isinstance(emails, tuple) else [])
    phones = f.get("phones")
    cards = flat.with_phones(
        cards, [("phone", n) for n in phones] if isinstance(phones, tuple) else [], _PHONE_KINDS, "phone"
    )
    description = str(f.get("description") or "")
    # Notes longer than ImBox holds go there cut at 500 characters; while that beginning is unchanged there, the
    # whole text stays here.
    long_notes = len(base.notes) > DESCRIPTION_LIMIT and base.notes[:DESCRIPTION_LIMIT] == description
    notes = base.notes if long_notes else description
    return base.replace(
        first_name=str(f.get("first_name") or ""),
        last_name=str(f.get("last_name") or ""),
        notes=notes,
        cards=flat.without_empty(cards),
    )


def project_company(c: CompanyRecord) -> dict[str, Value]:
    return clean({"name": c.name})


def apply_company(rec: CompanyRecord | None, fields: Fields) -> CompanyRecord:
    return (rec or CompanyRecord()).replace(name=str(clean(fields).get("name") or ""))


def note_content(subject: str, body: str) -> str:
    """A touchpoint as one note text: the subject on the first line, then the text."""
    if subject and body:
        return f"{subject}\n{body}"
    return subject or body


def project_touchpoint(t: TouchpointRecord) -> dict[str, Value]:
    return clean(
        {
            "content": note_content(t.subject, t.body),
            "contact": ref(Entity.PERSON, t.person_ids[0]) if t.person_ids else None,
        }
    )


def apply_touchpoint(rec: TouchpointRecord | None, fields: Fields) -> TouchpointRecord:
    f = clean(fields)
    base = rec or TouchpointRecord(type=TouchpointType.NOTE)
    content = str(f.get("content") or "")
    subject, body = base.subject, base.body
    if note_content(subject, body) != content:
        first, _, rest = content.partition("\n")
        subject, body = (first.strip(), rest.strip()) if len(first) <= 200 else ("", content)
    contact = parse_ref(str(f.get("contact") or ""))
    people = list(base.person_ids)
    if contact and (not people or people[0] != contact[1]):
        people = [contact[1], *(p for p in people if p != contact[1])]
    elif not contact and people:
        people = people[1:]
    occurred = base.occurred_at
    created = f.get("created_at")
    if rec is None and isinstance(created, str):
        occurred = _time(created) or occurred
    return base.replace(subject=subject, body=body, person_ids=tuple(people), occurred_at=occurred)


# ---------------------------------------------------------------------------------------------------------------------
# ImBox JSON ⇄ sync fields


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def contact_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    account = data.get("accountId")
    return clean(
        {
            "first_name": _text(data.get("firstName")),
            "last_name": _text(data.get("lastName")),
            "title": _text(data.get("title")),
            "description": _text(data.get("description")),
            "account": ref(Entity.COMPANY, str(account)) if account is not None else None,
        }
    )


def note_fields(data: Mapping[str, Any]) -> dict[str, Value]:
    contact = data.get("contactId")
    return clean(
        {
            "content": _text(data.get("content")),
            "contact": ref(Entity.PERSON, str(contact)) if contact is not None else None,
            "created_at": _text(data.get("createdAt")),
        }
    )


def _ref_id(value: Value) -> int | None:
    parsed = parse_ref(str(value or ""))
    return int(parsed[1]) if parsed and parsed[1].isdigit() else None


def contact_body(fields: Fields, old: Fields, *, local_id: str = "") -> dict[str, Any]:
    """The POST/PUT body turning a contact holding `old` into one holding `fields` (PUT is partial)."""
    body: dict[str, Any] = {}
    for key, name in (("first_name", "firstName"), ("last_name", "lastName"), ("title", "title")):
        if fields.get(key) != old.get(key):
            body[name] = fields.get(key)
    if fields.get("description") != old.get("description"):
        body["description"] = fields.get("description")
    if fields.get("account") != old.get("account"):
        body["accountId"] = _ref_id(fields.get("account"))
    emails = fields.get("emails")
    if emails != old.get("emails"):
        body["emails"] = [
            {"email": e, "isPrimary": i == 0} for i, e in enumerate(emails if isinstance(emails, tuple) else ())
        ]
    phones = fields.get("phones")
    if phones != old.get("phones"):
        body["phones"] = [
            {"phone": p, "isPrimary": i == 0} for i, p in enumerate(phones if isinstance(phones, tuple) else ())
        ]
    if local_id:
        body["externalId"] = local_id
    return body


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class ImboxConnector:
    """ImBox contacts ⇄ people, accounts ⇄ companies, contact notes ⇄ touchpoints; always a full walk."""

    kind = AccountKind.IMBOX
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON, Entity.TOUCHPOINT)
    write_only: Mapping[Entity, tuple[str, ...]] = {Entity.PERSON: WRITE_ONLY}
    replaced_on_update: frozenset[Entity] = frozenset({Entity.TOUCHPOINT})

    def __init__(self, http: HttpClient, *, page_size: int = PAGE_SIZE) -> None:
        self.http = http
        self.page_size = page_size

    def _item(self, entity: Entity, data: Mapping[str, Any]) -> RemoteItem:
        if entity is Entity.PERSON:
            fields = contact_fields(data)
        elif entity is Entity.COMPANY:
            fields = clean({"name": _text(data.get("name"))})
        else:
            fields = note_fields(data)
        # An API update moves updatedAt, an edit in ImBox's window modifiedAt: either is a new version.
        stamps = [data.get(k) for k in ("updatedAt", "modifiedAt", "createdAt") if isinstance(data.get(k), str)]
        when = max((t for t in map(_time, stamps) if t is not None), default=None)
        external = data.get("externalId")
        return RemoteItem(
            str(data["id"]), "|".join(map(str, stamps)), fields, external if isinstance(external, str) else "", when
        )

    def _walk(self, entity: Entity, params: Mapping[str, str | int] | None = None) -> Iterator[list[dict[str, Any]]]:
        """The records of a list, page by page, following each page's `next` link."""
        url: str | None = _PATHS[entity]
        query: Mapping[str, str | int] | None = {"limit": self.page_size, **(params or {})}
        while url:
            body = self.http.request("GET", url, params=query)
            rows = body.get(_LISTS[entity]) if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise RemoteRejected(
                    f"{self.http.name}: the list of {_LISTS[entity]} has an unexpected shape.", status=200
                )
            yield [r for r in rows if isinstance(r, dict) and r.get("id") is not None]
            paging = body.get("paging")
            nxt = body.get("next") or (paging.get("next") if isinstance(paging, dict) else None)
            url, query = (nxt, None) if isinstance(nxt, str) and nxt and rows else (None, None)

    # ---- Connector protocol ----------------------------------------------------------------------------------

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Everything, ids ascending (ImBox has no change feed). An id cursor is not shifted by deletions, so the
        walk is complete when it reaches the end."""
        pages = self._walk(entity)
        page = next(pages)
        for following in pages:
            yield RemotePage(tuple(self._item(entity, d) for d in page))
            page = following
        yield RemotePage(tuple(self._item(entity, d) for d in page), cursor=FULL_WALK, complete=True)

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        if entity is Entity.PERSON:
            data = self.http.request("POST", "/contacts", json_body=contact_body(fields, {}, local_id=local_id))
            item = self._item(entity, data)
        elif entity is Entity.COMPANY:
            data = self.http.request(
                "POST", "/accounts", json_body={"name": fields.get("name"), "externalId": local_id}
            )
            item = self._item(entity, data)
        else:
            body = {"contactId": _ref_id(fields.get("contact")), "content": fields.get("content")}
            data = self.http.request("POST", "/contactNotes", json_body=body)
            item = RemoteItem(str(data["id"]), "", fields)
        return RemoteItem(item.remote_id, item.version, fields, local_id, item.updated_at)

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        if entity is Entity.TOUCHPOINT:
            contact = _ref_id(fields.get("contact"))
            if contact is None:
                return None
            for page in self._walk(entity, {"contactId": contact}):
                for data in page:
                    if str(data["id"]) in taken:
                        continue  # another touchpoint's twin
                    if norm_text(data.get("content")) == norm_text(fields.get("content")):
                        return self._item(entity, data)
            return None
        params: dict[str, str | int] = {}
        emails = fields.get("emails")
        if entity is Entity.PERSON and isinstance(emails, tuple) and emails:
            params["email"] = emails[0]
        for page in self._walk(entity, params):
            for data in page:
                if data.get("externalId") == local_id:
                    return self._item(entity, data)
        return None

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        if entity is Entity.TOUCHPOINT:
            if fields.get("content") == old.get("content") and fields.get("contact") == old.get("contact"):
                return RemoteItem(remote_id, "", fields)
            # No update for notes: delete, then create (see the module docstring for why in this order).
            self.delete(entity, remote_id)
            made = self.create(entity, "", fields)
            return RemoteItem(made.remote_id, made.version, fields)
        if entity is Entity.PERSON:
            body = contact_body(fields, old)
        else:
            body = {"name": fields.get("name")} if fields.get("name") != old.get("name") else {}
        if body:
            self.http.request("PUT", f"{_PATHS[entity]}/{remote_id}", json_body=body)
        return RemoteItem(remote_id, "", fields)

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        with contextlib.suppress(RemoteNotFound):  # already gone: what a delete wants
            self.http.request("DELETE", f"{_PATHS[entity]}/{remote_id}")

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        return None  # ImBox deletes for good

    def accepts(self, record: Record) -> bool:
        return not isinstance(record, TouchpointRecord) or bool(record.person_ids)

    def project(self, record: Record) -> dict[str, Value]:
        if isinstance(record, PersonRecord):
            return project_person(record)
        if isinstance(record, CompanyRecord):
            return project_company(record)
        if isinstance(record, TouchpointRecord):
            return project_touchpoint(record)
        raise TypeError(f"ImBox does not sync {type(record).__name__}")

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is Entity.PERSON and (record is None or isinstance(record, PersonRecord)):
            return apply_person(record, fields)
        if entity is Entity.COMPANY and (record is None or isinstance(record, CompanyRecord)):
            return apply_company(record, fields)
        if entity is Entity.TOUCHPOINT and (record is None or isinstance(record, TouchpointRecord)):
            return apply_touchpoint(record, fields)
        raise TypeError(f"ImBox does not sync {entity.value} records")

    def probe(self) -> str:
        try:
            body = self.http.request("GET", "/contacts", params={"limit": 1})
        except RemoteNotFound:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("contacts"), list):
            raise RemoteRejected(
                f"{self.http.name}: the server answered, but not like ImBox's API — check the URL (it ends in /api) "
                "and the user id.",
                status=200,
            )
        return "Connected to ImBox: the key and the user id work and contacts can be read."

    def label(self, field: str) -> str:
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> ImboxConnector:
    """The connector of an ImBox account: the key and the user id (option `user_id`) go into the URL path."""
    user = account.option("user_id").strip()
    base = f"{account.base_url.rstrip('/')}/{secret}/{user}"
    http = HttpClient(
        base, name=account.name or account.kind.label, headers={"Accept": "application/json"}, secrets=(secret,),
        cancel=cancel,
    )  # fmt: skip
    return ImboxConnector(http)
