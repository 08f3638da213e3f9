"""Deskera CRM emulator state: contacts (people and organizations), labels, activities; validation and JSON."""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import RLock
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import Clock, HttpError, format_utc, parse_utc
from .fakedata import FakeData

OWNER_ID: Final = 17826
TENANT_ID: Final = 23312
USERS: Final[Mapping[int, Mapping[str, Any]]] = {
    17826: {"id": 17826, "first_name": "Max", "last_name": "Roth", "email": "max@example.com",
            "contact": "+49 170 000000", "role": "Admin", "status": "active"},
    17827: {"id": 17827, "first_name": "Lena", "last_name": "Vogel", "email": "lena@example.com",
            "contact": "+49 171 000000", "role": "User", "status": "active"},
}  # fmt: skip
BUILTIN_LABELS: Final = (
    (1, "No label", "grey", "label_off"),
    (2, "Cold lead", "blue", "ac_unit"),
    (3, "Warm lead", "orange", "brightness_low"),
    (4, "Hot lead", "deep-orange", "whatshot"),
)
NO_LABEL: Final = 1
CONTACT_TYPES: Final = ("person", "organization")
VISIBILITY: Final = ("private", "public", "team")
ACTIVITY_TYPES: Final = ("call", "meeting", "task", "deadline", "email", "lunch")
FIRST_CONTACT_ID: Final = 1001
FIRST_LABEL_ID: Final = 5
FIRST_ACTIVITY_ID: Final = 1
CONTACT_STRINGS: Final = ("email", "country_code", "phone", "address", "visibility_ids", "note", "logo")
CONTACT_SCALARS: Final = (
    "id", "name", "email", "phone", "country_code", "address", "type", "label_id", "owner_id", "organization_id",
    "created_at", "updated_at",
)  # fmt: skip
"""The contact fields `sort` accepts."""


def bad_request() -> HttpError:
    """The one 400 answer of deskera.md §7."""
    return HttpError(400, "Invalid request body")


def not_found() -> HttpError:
    """The 404 answer for an unknown id (deskera.md §7)."""
    return HttpError(404, "Record not found")


def stamp(when: datetime) -> str:
    """A contact/label time: UTC, six fraction digits, `Z` ("2024-10-11T13:20:02.480212Z")."""
    return format_utc(when, digits=6)


def local_stamp(when: datetime, zone: str) -> str:
    """An activity time in the activity's `user_timezone`: "2021-08-05T17:20:58.875416+05:30"."""
    return when.astimezone(ZoneInfo(zone)).isoformat(timespec="microseconds")


def duration_text(start: datetime, end: datetime) -> str:
    """Deskera's duration: "1h 21m", "20m", "0m" (whole minutes, truncated)."""
    minutes = int((end - start).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h {rest}m" if hours else f"{rest}m"


# -- input coercion: anything wrong is a 400 -----------------------------------------------------------------------


def _string(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise bad_request()


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise bad_request()


def _integers(value: Any, exists: Callable[[int], bool]) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request()
    out: list[int] = []
    for item in value:
        got = _integer(item)
        if got is None or not exists(got):
            raise bad_request()
        if got not in out:
            out.append(got)
    return out


def _boolean(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise bad_request()


def _choice(value: Any, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if isinstance(value, str) and value in allowed:
        return value
    raise bad_request()


def _name(value: Any) -> str:
    text = _string(value)
    if text is None or not text.strip():
        raise bad_request()
    return text


def _notes(value: Any) -> str:
    """Request `notes` are base64 of UTF-8 text; the decoded text is stored."""
    text = _string(value)
    if not text:
        return ""
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, ValueError) as exc:
        raise bad_request() from exc


def _zone(value: Any) -> str:
    text = _string(value)
    if not text:
        return "UTC"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad_request() from exc
    return text


def _when(value: Any) -> datetime | None:
    text = _string(value)
    if text is None:
        return None
    try:
        return parse_utc(text)
    except ValueError as exc:
        raise bad_request() from exc


# -- records -----------------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One stored contact, label or activity: its writable data (as stored), timestamps and authors."""

    id: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: int = OWNER_ID
    updated_by: int = OWNER_ID
    extra: dict[str, Any] = field(default_factory=dict)


class DeskeraStore:
    """The tenant's data; every public method takes `lock` and validates as the emulated API does.

    Args:
        clock: Stamps every write.
        seed: Seed of the seeding data generator.
        lock: The lock to share (the server's).
    """

    def __init__(self, *, clock: Clock | None = None, seed: int = 0, lock: RLock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = lock or RLock()
        self._fake = FakeData(random.Random(seed))
        self._rng = random.Random(seed + 1)
        self.contacts: dict[int, Record] = {}
        self.activities: dict[int, Record] = {}
        self.labels: dict[int, Record] = {}
        self.custom_fields: dict[str, dict[str, str]] = {}  # code → {code, label, shortName}
        self._next = {"contacts": FIRST_CONTACT_ID, "labels": FIRST_LABEL_ID, "activities": FIRST_ACTIVITY_ID}
        now = self.clock.now()
        for label_id, name, color, icon in BUILTIN_LABELS:
            data = {"name": name, "color": color, "icon": icon, "owner_id": 0}
            self.labels[label_id] = Record(label_id, data, now, now, 0, 0)

    def _new_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    @staticmethod
    def _find(table: Mapping[int, Record], record_id: str | int) -> Record:
        text = str(record_id).strip()
        rec = table.get(int(text)) if text.isdigit() else None
        if rec is None:
            raise not_found()
        return rec

    def is_person(self, contact_id: int) -> bool:
        """Whether `contact_id` is a stored contact of type person."""
        rec = self.contacts.get(contact_id)
        return rec is not None and rec.data["type"] == "person"

    def is_organization(self, contact_id: int) -> bool:
        """Whether `contact_id` is a stored contact of type organization."""
        rec = self.contacts.get(contact_id)
        return rec is not None and rec.data["type"] == "organization"

    # -- labels ------------------------------------------------------------------------------------------------

    def label(self, label_id: str | int) -> Record:
        """The label, or HttpError 404."""
        with self.lock:
            return self._find(self.labels, label_id)

    def label_json(self, rec: Record) -> dict[str, Any]:
        """`{id, name, color, icon, owner_id, tenant_id}`."""
        return {"id": rec.id, **deepcopy(rec.data), "tenant_id": TENANT_ID}

    def label_rows(self) -> list[dict[str, Any]]:
        """Every label in id order."""
        with self.lock:
            return [self.label_json(rec) for rec in sorted(self.labels.values(), key=lambda r: r.id)]

    def write_label(self, label_id: str | int | None, body: Any, user: int) -> Record:
        """POST (label_id None) or PUT (replace) a label; names are unique case-insensitively (else 400)."""
        with self.lock:
            rec = None if label_id is None else self._find(self.labels, label_id)
            if not isinstance(body, dict):
                raise bad_request()
            name = _name(body.get("name"))
            clash = [r for r in self.labels.values() if r.data["name"].casefold() == name.casefold() and r is not rec]
            owner = _integer(body.get("owner_id"))
            if clash or (owner is not None and owner != 0 and owner not in USERS):
                raise bad_request()
            data = {
                "name": name,
                "color": _string(body.get("color")),
                "icon": _string(body.get("icon")),
                "owner_id": user if owner is None else owner,
            }
            now = self.clock.tick()
            if rec is None:
                rec = Record(self._new_id("labels"), data, now, now, user, user)
                self.labels[rec.id] = rec
            else:
                rec.data, rec.updated_at, rec.updated_by = data, now, user
            return rec

    def delete_label(self, label_id: str | int) -> int:
        """Delete a label; its contacts fall back to label 1 (`updated_at` untouched). Label 1 → 400."""
        with self.lock:
            rec = self._find(self.labels, label_id)
            if rec.id == NO_LABEL:
                raise bad_request()
            del self.labels[rec.id]
            for contact in self.contacts.values():
                if contact.data["label_id"] == rec.id:
                    contact.data["label_id"] = NO_LABEL
            return rec.id

    # -- contacts ----------------------------------------------------------------------------------------------

    def contact(self, contact_id: str | int) -> Record:
        """The contact, or HttpError 404."""
        with self.lock:
            return self._find(self.contacts, contact_id)

    def _custom_field(self, short: str | None, code: str | None, label: str | None) -> dict[str, str]:
        if code and code in self.custom_fields:
            return self.custom_fields[code]
        for spec in self.custom_fields.values():
            if short and spec["shortName"] == short:
                return spec
        code = code or f"D-{len(self.custom_fields) + 13:07d}"
        spec = {"code": code, "label": label or short or code, "shortName": short or code}
        self.custom_fields[code] = spec
        return spec

    def _custom(self, value: Any, current: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Validated custom field entries; merged by code into `current` (PATCH) or replacing (None)."""
        if value is None:
            return [] if current is None else current
        if not isinstance(value, list):
            raise bad_request()
        entries: dict[str, dict[str, Any]] = {e["code"]: e for e in deepcopy(current or [])}
        for item in value:
            if not isinstance(item, dict):
                raise bad_request()
            short, code = _string(item.get("shortName")), _string(item.get("code"))
            label, module = _string(item.get("label")), _string(item.get("module"))
            raw = item.get("value")
            if not (short or code) or not (raw is None or isinstance(raw, str | int | float | bool)):
                raise bad_request()
            spec = self._custom_field(short, code, label)
            entries[spec["code"]] = {
                "code": spec["code"], "label": spec["label"], "value": raw, "module": module or "",
                "shortName": spec["shortName"],
            }  # fmt: skip
        return list(entries.values())

    def write_contact(self, contact_id: str | int | None, body: Any, mode: str, user: int) -> Record:
        """Create (contact_id None), PUT (mode "put", replace) or PATCH (mode "patch", fields present) a contact.

        Raises:
            HttpError: 404 for an unknown id, 400 for anything invalid (nothing is stored then).
        """
        with self.lock:
            rec = None if contact_id is None else self._find(self.contacts, contact_id)
            if not isinstance(body, dict):
                raise bad_request()
            full = mode != "patch"

            def given(key: str) -> bool:
                return full or key in body

            kind = rec.data["type"] if rec is not None else _choice(body.get("type"), CONTACT_TYPES, "person")
            if rec is not None and body.get("type") is not None and body["type"] != kind:
                raise bad_request()  # the type is fixed at create
            values: dict[str, Any] = {"type": kind}
            if given("name"):
                values["name"] = _name(body.get("name"))
            for key in CONTACT_STRINGS:
                if given(key):
                    text = _string(body.get(key))
                    values[key] = "" if key == "note" and text is None else text
            if given("label_id"):
                label_id = _integer(body.get("label_id"))
                if label_id is not None and label_id not in self.labels:
                    raise bad_request()
                values["label_id"] = label_id or NO_LABEL
            if given("owner_id"):
                owner = _integer(body.get("owner_id"))
                if owner is not None and owner not in USERS:
                    raise bad_request()
                values["owner_id"] = owner or user
            if given("sub_owner_ids"):
                values["sub_owner_ids"] = _integers(body.get("sub_owner_ids"), lambda i: i in USERS)
            if given("visibility_type"):
                values["visibility_type"] = _choice(body.get("visibility_type"), VISIBILITY, "team")
            if given("organization_id"):
                org = _integer(body.get("organization_id"))
                if kind == "organization":
                    org = None  # ignored on organizations
                elif org is not None and not self.is_organization(org):
                    raise bad_request()
                values["organization_id"] = org
            if given("custom_field"):
                current = rec.data["custom_field"] if rec is not None and not full else None
                values["custom_field"] = self._custom(body.get("custom_field"), current)
            people: list[int] | None = None
            if kind == "organization" and body.get("person_ids") is not None:
                people = _integers(body["person_ids"], self.is_person)
            now = self.clock.tick()
            if rec is None:
                rec = Record(self._new_id("contacts"), {}, now, now, user, user)
                self.contacts[rec.id] = rec
            rec.data.update(values)
            rec.updated_at, rec.updated_by = now, user
            if people is not None:
                for person in self.contacts.values():
                    linked = person.data["type"] == "person" and person.data["organization_id"] == rec.id
                    if linked != (person.id in people):
                        self._set_organization(person, rec.id if person.id in people else None, user)
            return rec

    def _set_organization(self, person: Record, org_id: int | None, user: int) -> None:
        person.data["organization_id"] = org_id
        person.updated_at, person.updated_by = self.clock.tick(), user

    def bulk_update_contacts(self, body: Any, user: int) -> list[int]:
        """`PATCH /contacts`: `{ids, label_id?, owner_id?, visibility_type?, visibility_ids?}`, all or nothing."""
        with self.lock:
            if not isinstance(body, dict) or not isinstance(body.get("ids"), list) or not body["ids"]:
                raise bad_request()
            ids = _integers(body["ids"], lambda i: True)
            records = [self._find(self.contacts, i) for i in ids]
            patch = {k: body[k] for k in ("label_id", "owner_id", "visibility_type", "visibility_ids") if k in body}
            self.write_contact(ids[0], patch, "patch", user)  # validates (and applies to the first)
            for rec in records[1:]:
                self.write_contact(rec.id, patch, "patch", user)
            return ids

    def delete_contact(self, contact_id: str | int, user: int) -> int:
        """Delete for good; an organization's people lose their `organization_id` (and get a new `updated_at`);
        activities drop the id from `contact_ids`/`organization_ids` (their `updated_at` unchanged)."""
        with self.lock:
            rec = self._find(self.contacts, contact_id)
            del self.contacts[rec.id]
            for person in self.contacts.values():
                if person.data.get("organization_id") == rec.id:
                    self._set_organization(person, None, user)
            for act in self.activities.values():
                for key in ("contact_ids", "organization_ids"):
                    act.data[key] = [i for i in act.data[key] if i != rec.id]
            return rec.id

    def people_by_organization(self) -> dict[int, list[Record]]:
        """Persons by the organization they point at, in id order."""
        out: dict[int, list[Record]] = {}
        for rec in self.contacts.values():
            org = rec.data.get("organization_id")
            if rec.data["type"] == "person" and org is not None:
                out.setdefault(org, []).append(rec)
        return out

    def contact_json(self, rec: Record, people: Mapping[int, list[Record]] | None = None) -> dict[str, Any]:
        """The read model of deskera.md §3.2 (see the server module for the choices)."""
        with self.lock:
            if people is None:
                people = self.people_by_organization()
            d = rec.data
            org = self.contacts.get(d["organization_id"]) if d["organization_id"] is not None else None
            persons = sorted(people.get(rec.id, []), key=lambda r: r.id) if d["type"] == "organization" else []
            label = self.labels[d["label_id"]]
            custom = deepcopy(d["custom_field"])
            return {
                "id": rec.id, "name": d["name"], "email": d["email"], "country_code": d["country_code"],
                "phone": d["phone"], "address": d["address"],
                "label": {"id": label.id, "name": label.data["name"]}, "label_id": label.id,
                "type": d["type"], "visibility_type": d["visibility_type"], "visibility_ids": d["visibility_ids"],
                "persons": [{"id": p.id, "name": p.data["name"], "email": p.data["email"]} for p in persons],
                "organization": {}, "organization_id": d["organization_id"],
                "organization_name": org.data["name"] if org is not None else None,
                "person_ids": [p.id for p in persons], "person_names": [p.data["name"] for p in persons],
                "sub_owner_ids": list(d["sub_owner_ids"]), "owner_id": d["owner_id"], "tenant_id": TENANT_ID,
                "created_at": stamp(rec.created_at), "updated_at": stamp(rec.updated_at),
                "created_by": rec.created_by, "updated_by": rec.updated_by, "note": d["note"], "logo": d["logo"],
                "owner_details": dict(USERS[d["owner_id"]]), "deal_details": None, "sub_owner_details": None,
                "custom_field": custom, "c_field": {e["shortName"]: e["value"] for e in custom}, "view_only": False,
            }  # fmt: skip

    def contact_rows(self) -> list[dict[str, Any]]:
        """Every contact's JSON in id order."""
        with self.lock:
            people = self.people_by_organization()
            return [self.contact_json(rec, people) for rec in sorted(self.contacts.values(), key=lambda r: r.id)]

    # -- activities --------------------------------------------------------------------------------------------

    def activity(self, activity_id: str | int) -> Record:
        """The activity, or HttpError 404."""
        with self.lock:
            return self._find(self.activities, activity_id)

    def write_activity(self, activity_id: str | int | None, body: Any, user: int) -> Record:
        """POST (activity_id None) or PUT (replace) an activity; 400 for anything invalid."""
        with self.lock:
            rec = None if activity_id is None else self._find(self.activities, activity_id)
            if not isinstance(body, dict):
                raise bad_request()
            start = _when(body.get("start"))
            end = _when(body.get("end")) or start
            if start is None or end is None or end < start:
                raise bad_request()
            data = {
                "name": _name(body.get("name")),
                "activity_type": _choice(body.get("activity_type"), ACTIVITY_TYPES, ""),
                "notes": _notes(body.get("notes")),
                "start": start,
                "end": end,
                "user_timezone": _zone(body.get("user_timezone")),
                "contact_ids": _integers(body.get("contact_ids"), self.is_person),
                "organization_ids": _integers(body.get("organization_ids"), self.is_organization),
                "assignee_ids": _integers(body.get("assignee_ids"), lambda i: i in USERS),
                "linked_to": _integer(body.get("linked_to")),
                "is_status": _boolean(body.get("is_status")),
                "visibility_type": _choice(body.get("visibility_type"), VISIBILITY, "team"),
                "is_send_invitation": _boolean(body.get("is_send_invitation")),
                "is_send_contacts_invitation": _boolean(body.get("is_send_contacts_invitation")),
            }
            if not data["activity_type"]:
                raise bad_request()  # required
            now = self.clock.tick()
            if rec is None:
                rec = Record(self._new_id("activities"), data, now, now, user, user)
                self.activities[rec.id] = rec
            else:
                rec.data, rec.updated_at, rec.updated_by = data, now, user
            return rec

    def bulk_update_activities(self, body: Any, user: int) -> list[int]:
        """`PATCH /activities/bulkUpdate` `{ids, visibility_type?, is_status?}`: all or nothing."""
        with self.lock:
            if not isinstance(body, dict) or not isinstance(body.get("ids"), list) or not body["ids"]:
                raise bad_request()
            ids = _integers(body["ids"], lambda i: True)
            records = [self._find(self.activities, i) for i in ids]
            values: dict[str, Any] = {}
            if body.get("visibility_type") is not None:
                values["visibility_type"] = _choice(body["visibility_type"], VISIBILITY, "team")
            if body.get("is_status") is not None:
                values["is_status"] = _boolean(body["is_status"])
            for rec in records:
                rec.data.update(values)
                rec.updated_at, rec.updated_by = self.clock.tick(), user
            return ids

    def delete_activities(self, ids: list[int]) -> None:
        """Delete the activities with these ids for good (unknown ids are skipped)."""
        with self.lock:
            for activity_id in ids:
                self.activities.pop(activity_id, None)

    def activity_json(self, rec: Record) -> dict[str, Any]:
        """The read model of deskera.md §5.1: times in `user_timezone`, `notes` decoded."""
        with self.lock:
            d = rec.data
            zone = d["user_timezone"]
            contacts = self.contacts
            return {
                "id": rec.id, "name": d["name"], "activity_type": d["activity_type"], "notes": d["notes"],
                "start": local_stamp(d["start"], zone), "end": local_stamp(d["end"], zone), "user_timezone": zone,
                "duration": duration_text(d["start"], d["end"]),
                "contact_ids": list(d["contact_ids"]), "organization_ids": list(d["organization_ids"]),
                "assignee_ids": list(d["assignee_ids"]), "linked_to": d["linked_to"], "is_status": d["is_status"],
                "visibility_type": d["visibility_type"], "is_send_invitation": d["is_send_invitation"],
                "is_send_contacts_invitation": d["is_send_contacts_invitation"],
                "contact_details": [
                    {"id": i, "name": contacts[i].data["name"], "email": contacts[i].data["email"]}
                    for i in d["contact_ids"]
                ],
                "organization_details": [{"id": i, "name": contacts[i].data["name"]} for i in d["organization_ids"]],
                "assignee_details": [dict(USERS[i]) for i in d["assignee_ids"]],
                "deal_details": None, "owner_id": rec.created_by, "owner_details": dict(USERS[rec.created_by]),
                "tenant_id": TENANT_ID, "created_at": local_stamp(rec.created_at, zone),
                "updated_at": local_stamp(rec.updated_at, zone), "created_by": rec.created_by,
                "updated_by": rec.updated_by, "is_deleted": False, "source": "API", "source_id": None,
            }  # fmt: skip

    # -- seeding -----------------------------------------------------------------------------------------------

    def _seed_contact(self, body: dict[str, Any]) -> int:
        return self.write_contact(None, body, "put", OWNER_ID).id

    def seed_organizations(self, k: int) -> list[int]:
        """Add `k` realistic organizations (German and British); their ids."""
        with self.lock:
            ids = []
            for _ in range(k):
                c = self._fake.company()
                prefix = "+49" if c.country == "DE" else "+44"
                address = f"{c.street} {c.house}, {c.zip} {c.town}, {c.country}"
                body = {
                    "name": c.name, "email": c.email, "country_code": prefix, "phone": c.phone[len(prefix) :],
                    "address": address, "type": "organization", "label_id": self._rng.choice((1, 1, 2, 3, 4)),
                }  # fmt: skip
                ids.append(self._seed_contact(body))
            return ids

    def seed_people(self, n: int, *, companies: int = 0) -> list[int]:
        """Add `companies` organizations, then `n` persons; about two in three belong to a (random) organization.

        Returns:
            The persons' ids.
        """
        with self.lock:
            pool = self.seed_organizations(companies) if companies else [
                r.id for r in self.contacts.values() if r.data["type"] == "organization"
            ]  # fmt: skip
            ids = []
            for _ in range(n):
                employer = self.contacts[self._rng.choice(pool)] if pool and self._rng.random() < 0.67 else None
                domain = employer.data["email"].split("@")[-1] if employer and employer.data["email"] else None
                p = self._fake.person(work_domain=domain)
                prefix = "+49" if p.country == "DE" else "+44"
                number = p.telephone or p.mobile
                address = f"{p.street} {p.house}, {p.zip} {p.town}, {p.country}" if p.street else None
                body = {
                    "name": f"{p.first_name} {p.last_name}", "email": p.email or p.email_private,
                    "country_code": prefix if number else None, "phone": number[len(prefix) :] if number else None,
                    "address": address, "type": "person", "organization_id": employer.id if employer else None,
                    "label_id": self._rng.choice((1, 1, 1, 2, 3, 4)), "note": "",
                }  # fmt: skip
                ids.append(self._seed_contact(body))
            return ids

    def seed_activities(self, n: int) -> list[int]:
        """Add `n` activities on random existing persons (with their organization), in the last 60 days."""
        with self.lock:
            persons = [r for r in self.contacts.values() if r.data["type"] == "person"]
            ids = []
            now = self.clock.now().replace(microsecond=0)
            for _ in range(n):
                person = self._rng.choice(persons) if persons else None
                start = now - timedelta(minutes=15 * self._rng.randint(4, 4 * 24 * 60))
                kind = self._rng.choice(ACTIVITY_TYPES)
                text = f"{kind.capitalize()} mit {person.data['name']}" if person else kind.capitalize()
                org = person.data["organization_id"] if person else None
                body = {
                    "name": text, "activity_type": kind, "start": format_utc(start),
                    "end": format_utc(start + timedelta(minutes=self._rng.choice((15, 30, 45, 60, 81)))),
                    "notes": base64.b64encode(f"Notiz zu {text}<br>".encode()).decode(),
                    "user_timezone": "Europe/Berlin", "contact_ids": [person.id] if person else [],
                    "organization_ids": [org] if org else [], "assignee_ids": [OWNER_ID],
                    "is_status": start < now - timedelta(days=1) and self._rng.random() < 0.8,
                }  # fmt: skip
                ids.append(self.write_activity(None, body, OWNER_ID).id)
            return ids


def epoch(when: datetime) -> float:
    """Seconds since 1970 of an aware datetime."""
    return (when - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
