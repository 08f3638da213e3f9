"""ImBox emulator state: contacts (with write-only e-mails and phones), accounts, contact notes (imbox.md).

Every public method of `ImboxStore` takes `lock` and validates as the API does (HttpError 400/404 with ImBox's
`{"error": …}` body), so tests can also play an ImBox user editing data in the UI.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import RLock
from typing import Any, Final

from .base import Clock, HttpError, format_utc
from .fakedata import FakeData

DEFAULT_USER_ID: Final = 200
CRM_ID: Final = 1
"""The `crmId` of every record: the one CRM integration of the emulated ImBox account."""
MAX_NOTE: Final = 10_000

CONTACT_STRINGS: Final = {
    "firstName": 50,
    "lastName": 50,
    "title": 50,
    "description": 500,
    "externalUrl": 250,
    "externalId": 50,
}
ACCOUNT_STRINGS: Final = {"name": 250, "externalId": 50, "externalUrl": 250}
CONTACT_FIELDS: Final = (
    "id", "userId", "accountId", "crmId", "description", "externalId", "externalUrl", "firstName", "lastName",
    "fullName", "picture", "title", "activityAt", "modifiedAt", "createdAt", "updatedAt",
)  # fmt: skip
"""The contact read model of imbox.md §2.2, in the order the emulator writes it."""

_E164: Final = re.compile(r"\+[1-9]\d{1,14}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+")


def iso(when: datetime | None) -> str | None:
    """ImBox's time: ISO 8601 UTC with milliseconds (truncated) and `Z`; None stays None."""
    return None if when is None else format_utc(when, digits=3)


def bad_request(message: str) -> HttpError:
    """A 400 `{"error": message}`."""
    return HttpError(400, {"error": message})


def not_found() -> HttpError:
    """The 404 `{"error": "Not found"}` of an unknown id."""
    return HttpError(404, {"error": "Not found"})


def is_int(value: Any) -> bool:
    """A JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class Contact:
    """One stored contact: writable fields (`data`, by API name), its e-mails and phones, and timestamps."""

    id: int
    user_id: int
    data: dict[str, Any]
    created_at: datetime
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    picture: str | None = None
    activity_at: datetime | None = None
    modified_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class Account:
    """One stored account (company)."""

    id: int
    user_id: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime | None = None


@dataclass
class Note:
    """One stored contact note."""

    id: int
    contact_id: int
    content: str
    created_at: datetime


def _strings(body: Mapping[str, Any], limits: Mapping[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, limit in limits.items():
        if name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{name}: must be a string")
        if value is not None and len(value) > limit:
            raise bad_request(f"{name}: max length {limit}")
        out[name] = value
    return out


def _channels(body: Mapping[str, Any], name: str, key: str, check: Callable[[str], str | None]) -> list[dict[str, Any]]:
    value = body[name]
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{name}: must be an array")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, dict):
            raise bad_request(f"{where}: must be an object")
        text = item.get(key)
        if not isinstance(text, str) or not text:
            raise bad_request(f"{where}.{key}: required")
        problem = check(text)
        if problem is not None:
            raise bad_request(f"{where}.{key}: {problem}")
        primary = item.get("isPrimary", False)
        if primary is None:
            primary = False
        if not isinstance(primary, bool):
            raise bad_request(f"{where}.isPrimary: must be a boolean")
        out.append({key: text, "isPrimary": primary})
    if sum(1 for item in out if item["isPrimary"]) > 1:
        raise bad_request(f"{name}: at most one entry may have isPrimary true")
    return out


def _email_problem(text: str) -> str | None:
    if len(text) > 250:
        return "max length 250"
    return None if _EMAIL.fullmatch(text) else "invalid e-mail address"


def _phone_problem(text: str) -> str | None:
    return None if _E164.fullmatch(text) else "must be E.164, e.g. +46762004545"


class ImboxStore:
    """The data of one ImBox account: contacts, accounts and contact notes, ids ascending per table.

    Args:
        clock: Stamps every write.
        seed: Seed of the data generator behind `seed_people` and `seed_companies`.
        lock: The lock to share (the server's); default a new one.
    """

    def __init__(self, *, clock: Clock | None = None, seed: int = 0, lock: RLock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = lock or RLock()
        self._rng = random.Random(seed)
        self._fake = FakeData(random.Random(seed + 1))
        self._contacts: dict[int, Contact] = {}
        self._accounts: dict[int, Account] = {}
        self._notes: dict[int, Note] = {}
        self._domains: dict[int, str] = {}  # e-mail domains of seeded accounts (not part of the read model)
        self._next_id = {"contacts": 1, "accounts": 1, "notes": 1}

    def _new_id(self, table: str) -> int:
        value = self._next_id[table]
        self._next_id[table] = value + 1
        return value

    # -- contacts ----------------------------------------------------------------------------------------------

    def _contact_values(self, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]] | None, list[Any] | None]:
        if not isinstance(body, dict):
            raise bad_request("body: must be a JSON object")
        values = _strings(body, CONTACT_STRINGS)
        if "accountId" in body:
            account_id = body["accountId"]
            if account_id is not None and not is_int(account_id):
                raise bad_request("accountId: must be an integer")
            if account_id is not None and account_id not in self._accounts:
                raise bad_request(f"accountId: no account with id {account_id}")
            values["accountId"] = account_id
        emails = _channels(body, "emails", "email", _email_problem) if "emails" in body else None
        phones = _channels(body, "phones", "phone", _phone_problem) if "phones" in body else None
        return values, emails, phones

    def _get_contact(self, contact_id: Any) -> Contact:
        rec = self._contacts.get(contact_id) if is_int(contact_id) else None
        if rec is None:
            raise not_found()
        return rec

    def create_contact(self, body: Any, *, user_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
        """`POST /contacts`: the new contact's read model (HttpError 400 on bad input)."""
        with self.lock:
            values, emails, phones = self._contact_values(body)
            now = self.clock.tick()
            data = dict.fromkeys(CONTACT_STRINGS) | {"accountId": None} | values
            rec = Contact(self._new_id("contacts"), user_id, data, now, emails or [], phones or [], activity_at=now)
            self._contacts[rec.id] = rec
            return self.contact_json(rec)

    def update_contact(self, contact_id: int, body: Any, *, via_ui: bool = False) -> None:
        """`PUT /contacts/{id}` (stamps `updatedAt`); with `via_ui` an edit in the ImBox UI (stamps `modifiedAt`).

        Fields present change, absent ones stay; `emails`/`phones` replace the whole list.

        Raises:
            HttpError: 404 for an unknown id, 400 on bad input.
        """
        with self.lock:
            rec = self._get_contact(contact_id)
            values, emails, phones = self._contact_values(body)
            rec.data.update(values)
            if emails is not None:
                rec.emails = emails
            if phones is not None:
                rec.phones = phones
            if via_ui:
                rec.modified_at = self.clock.tick()
            else:
                rec.updated_at = self.clock.tick()

    def record_activity(self, contact_id: int) -> None:
        """A conversation with the contact in ImBox: sets its `activityAt` to now (nothing else)."""
        with self.lock:
            self._get_contact(contact_id).activity_at = self.clock.tick()

    def set_picture(self, contact_id: int, url: str | None) -> None:
        """Give the contact a `picture` URL (as ImBox does from a chat profile); no timestamp changes."""
        with self.lock:
            self._get_contact(contact_id).picture = url

    def delete_contact(self, contact_id: int) -> None:
        """`DELETE /contacts/{id}`: gone for good, and its notes with it (HttpError 404 for an unknown id)."""
        with self.lock:
            rec = self._get_contact(contact_id)
            del self._contacts[rec.id]
            for note_id in [n.id for n in self._notes.values() if n.contact_id == rec.id]:
                del self._notes[note_id]

    def contact(self, contact_id: int, *, channels: bool = False) -> dict[str, Any] | None:
        """A contact's read model, None if unknown; `channels` adds the write-only `emails` and `phones`."""
        with self.lock:
            rec = self._contacts.get(contact_id)
            if rec is None:
                return None
            out = self.contact_json(rec)
            if channels:
                out |= {"emails": deepcopy(rec.emails), "phones": deepcopy(rec.phones)}
            return out

    def contacts(self, *, channels: bool = False) -> list[dict[str, Any]]:
        """Every contact's read model in id order (`channels` as in `contact`)."""
        with self.lock:
            return [out for i in list(self._contacts) if (out := self.contact(i, channels=channels)) is not None]

    def contact_page(
        self, *, after: int, limit: int, contact_id: int | None, email: str | None, phone: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """`GET /contacts`: up to `limit` matching read models with id > `after`, and whether more follow."""
        with self.lock:
            wanted = email.casefold() if email is not None else None

            def match(rec: Contact) -> bool:
                if contact_id is not None and rec.id != contact_id:
                    return False
                if wanted is not None and not any(e["email"].casefold() == wanted for e in rec.emails):
                    return False
                return phone is None or any(p["phone"] == phone for p in rec.phones)

            if contact_id is not None:
                rec = self._contacts.get(contact_id)
                found = [rec] if rec is not None and rec.id > after and match(rec) else []
                return [self.contact_json(r) for r in found], False
            rows, more = _page(self._contacts, after, limit, match)
            return [self.contact_json(r) for r in rows], more

    def contact_json(self, rec: Contact) -> dict[str, Any]:
        """The read model of imbox.md §2.2: exactly its 16 fields, no `emails`/`phones`."""
        d = rec.data
        full = " ".join(p for p in (d["firstName"], d["lastName"]) if p) or None
        return {
            "id": rec.id, "userId": rec.user_id, "accountId": d["accountId"], "crmId": CRM_ID,
            "description": d["description"], "externalId": d["externalId"], "externalUrl": d["externalUrl"],
            "firstName": d["firstName"], "lastName": d["lastName"], "fullName": full, "picture": rec.picture,
            "title": d["title"], "activityAt": iso(rec.activity_at), "modifiedAt": iso(rec.modified_at),
            "createdAt": iso(rec.created_at), "updatedAt": iso(rec.updated_at),
        }  # fmt: skip

    # -- accounts ----------------------------------------------------------------------------------------------

    def _account_values(self, body: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("body: must be a JSON object")
        if (create or "name" in body) and not body.get("name"):
            raise bad_request("name: required")
        return _strings(body, ACCOUNT_STRINGS)

    def _get_account(self, account_id: Any) -> Account:
        rec = self._accounts.get(account_id) if is_int(account_id) else None
        if rec is None:
            raise not_found()
        return rec

    def create_account(self, body: Any, *, user_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
        """`POST /accounts`: `{id, userId, crmId, externalId, externalUrl, name}` (HttpError 400 on bad input)."""
        with self.lock:
            values = self._account_values(body, create=True)
            rec = Account(self._new_id("accounts"), user_id, dict.fromkeys(ACCOUNT_STRINGS) | values, self.clock.tick())
            self._accounts[rec.id] = rec
            out = self.account_json(rec)
            return {k: out[k] for k in ("id", "userId", "crmId", "externalId", "externalUrl", "name")}

    def update_account(self, account_id: int, body: Any) -> None:
        """`PUT /accounts/{id}` (or an edit in the UI): fields present change; stamps `updatedAt`."""
        with self.lock:
            rec = self._get_account(account_id)
            rec.data.update(self._account_values(body, create=False))
            rec.updated_at = self.clock.tick()

    def delete_account(self, account_id: int) -> None:
        """`DELETE /accounts/{id}`: gone for good; its contacts' `accountId` becomes null (their times stay)."""
        with self.lock:
            rec = self._get_account(account_id)
            del self._accounts[rec.id]
            for contact in self._contacts.values():
                if contact.data["accountId"] == rec.id:
                    contact.data["accountId"] = None

    def account(self, account_id: int) -> dict[str, Any] | None:
        """An account's read model (`GET /accounts/{id}`), None if unknown."""
        with self.lock:
            rec = self._accounts.get(account_id)
            return None if rec is None else self.account_json(rec)

    def accounts(self) -> list[dict[str, Any]]:
        """Every account's read model in id order."""
        with self.lock:
            return [self.account_json(rec) for rec in self._accounts.values()]

    def account_page(self, *, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """`GET /accounts`: up to `limit` read models with id > `after`, and whether more follow."""
        with self.lock:
            rows, more = _page(self._accounts, after, limit, lambda rec: True)
            return [self.account_json(r) for r in rows], more

    def account_json(self, rec: Account) -> dict[str, Any]:
        """`{id, userId, crmId, externalId, externalUrl, name, createdAt, updatedAt}`."""
        d = rec.data
        return {
            "id": rec.id, "userId": rec.user_id, "crmId": CRM_ID, "externalId": d["externalId"],
            "externalUrl": d["externalUrl"], "name": d["name"], "createdAt": iso(rec.created_at),
            "updatedAt": iso(rec.updated_at),
        }  # fmt: skip

    # -- notes -------------------------------------------------------------------------------------------------

    def create_note(self, body: Any) -> dict[str, Any]:
        """`POST /contactNotes`: `{"id": …}` (HttpError 400 on bad input or an unknown `contactId`)."""
        with self.lock:
            if not isinstance(body, dict):
                raise bad_request("body: must be a JSON object")
            contact_id, content = body.get("contactId"), body.get("content")
            if contact_id is None:
                raise bad_request("contactId: required")
            if not is_int(contact_id):
                raise bad_request("contactId: must be an integer")
            if content is None:
                raise bad_request("content: required")
            if not isinstance(content, str):
                raise bad_request("content: must be a string")
            if not content.strip():
                raise bad_request("content: must not be empty")
            if len(content) > MAX_NOTE:
                raise bad_request(f"content: max length {MAX_NOTE}")
            if contact_id not in self._contacts:
                raise bad_request(f"contactId: no contact with id {contact_id}")
            note = Note(self._new_id("notes"), contact_id, content, self.clock.tick())
            self._notes[note.id] = note
            return {"id": note.id}

    def delete_note(self, note_id: int) -> None:
        """`DELETE /contactNotes/{id}` (HttpError 404 for an unknown id)."""
        with self.lock:
            if not is_int(note_id) or note_id not in self._notes:
                raise not_found()
            del self._notes[note_id]

    def note(self, note_id: int) -> dict[str, Any] | None:
        """A note (`GET /contactNotes/{id}`), None if unknown."""
        with self.lock:
            note = self._notes.get(note_id)
            return None if note is None else self.note_json(note)

    def notes(self, *, contact_id: int | None = None) -> list[dict[str, Any]]:
        """Every note (of one contact) in id order."""
        with self.lock:
            return [self.note_json(n) for n in self._notes.values() if contact_id in (None, n.contact_id)]

    def note_page(self, *, after: int, limit: int, contact_id: int | None) -> tuple[list[dict[str, Any]], bool]:
        """`GET /contactNotes`: up to `limit` notes with id > `after` (of one contact), and whether more follow."""
        with self.lock:
            rows, more = _page(self._notes, after, limit, lambda n: contact_id in (None, n.contact_id))
            return [self.note_json(n) for n in rows], more

    @staticmethod
    def note_json(note: Note) -> dict[str, Any]:
        """`{id, contactId, content, createdAt}`."""
        return {"id": note.id, "contactId": note.contact_id, "content": note.content, "createdAt": iso(note.created_at)}

    # -- seeding -----------------------------------------------------------------------------------------------

    def _past_times(self, n: int) -> list[tuple[datetime, datetime | None]]:
        """`n` ascending creation times over the past two years, each with a later API update time or None."""
        now = self.clock.now()
        created = sorted(now - timedelta(seconds=self._rng.uniform(3600, 2 * 365 * 86400)) for _ in range(n))
        return [(c, None if self._rng.random() < 0.4 else c + (now - c) * self._rng.random() * 0.9) for c in created]

    def seed_companies(self, k: int) -> list[int]:
        """Add `k` realistic accounts created over the past two years (deterministic per `seed`); their ids."""
        with self.lock:
            ids = []
            for created, updated in self._past_times(k):
                fake = self._fake.company()
                external = f"crm-{self._rng.randrange(16**6):06x}" if self._rng.random() < 0.3 else None
                data = {"name": fake.name, "externalId": external, "externalUrl": None}
                rec = Account(self._new_id("accounts"), DEFAULT_USER_ID, data, created, updated)
                self._accounts[rec.id] = rec
                self._domains[rec.id] = fake.domain
                ids.append(rec.id)
            return ids

    def seed_people(self, n: int, *, companies: int = 0, notes: int = 0) -> list[int]:
        """Add `n` realistic contacts (deterministic per `seed`); their ids.

        Args:
            n: How many contacts; each has one to three e-mails and phones (E.164), the first primary.
            companies: Seed this many accounts first. About two in three contacts belong to an account (existing
                ones when 0), with a job title.
            notes: Add this many notes, spread at random over the new contacts.
        """
        with self.lock:
            self.seed_companies(companies)
            pool = list(self._accounts.values())
            ids: list[int] = []
            now = self.clock.now()
            for created, updated in self._past_times(n):
                employer = self._rng.choice(pool) if pool and self._rng.random() < 0.67 else None
                domain = self._domains.get(employer.id) if employer is not None else None
                p = self._fake.person(work_domain=domain)
                emails = [e for e in (p.email, p.email_private) if e]
                phones = [t for t in (p.mobile, p.telephone) if t]
                data = dict.fromkeys(CONTACT_STRINGS) | {
                    "firstName": p.first_name,
                    "lastName": p.last_name,
                    "title": p.position[:50] if p.position else None,
                    "description": "Met at the trade fair." if self._rng.random() < 0.15 else None,
                    "accountId": employer.id if employer is not None else None,
                }
                rec = Contact(
                    self._new_id("contacts"),
                    DEFAULT_USER_ID,
                    data,
                    created,
                    [{"email": e, "isPrimary": i == 0} for i, e in enumerate(emails)],
                    [{"phone": t, "isPrimary": i == 0} for i, t in enumerate(phones)],
                    activity_at=created + (now - created) * self._rng.random() if self._rng.random() < 0.5 else created,
                    modified_at=created + (now - created) * self._rng.random() if self._rng.random() < 0.2 else None,
                    updated_at=updated,
                )
                self._contacts[rec.id] = rec
                ids.append(rec.id)
            planned = []
            for _ in range(notes if ids else 0):
                contact = self._contacts[self._rng.choice(ids)]
                when = contact.created_at + (now - contact.created_at) * self._rng.random()
                planned.append((when, contact.id, self._rng.choice(_NOTE_TEXTS)))
            for when, contact_id, text in sorted(planned):  # ids ascend with creation time, as in a database
                note = Note(self._new_id("notes"), contact_id, text, when)
                self._notes[note.id] = note
            return ids


_NOTE_TEXTS: Final = (
    "Called about the Q4 offer.",
    "Sent revised offer.",
    "Rückruf erbeten – Angebot Wartungsvertrag.",
    "Met at the Hannover fair; interested in the pilot.",
    "Asked for references in logistics.",
)


def _page(table: Mapping[int, Any], after: int, limit: int, match: Callable[[Any], bool]) -> tuple[list[Any], bool]:
    """Up to `limit` matching rows of an id-ordered table with id > `after`, and whether another one follows."""
    ids = list(table)
    rows: list[Any] = []
    for record_id in _from(ids, after):
        rec = table[record_id]
        if match(rec):
            if len(rows) == limit:
                return rows, True
            rows.append(rec)
    return rows, False


def _from(ids: list[int], after: int) -> Iterator[int]:
    yield from ids[bisect.bisect_right(ids, after) :]
