"""appcrm emulator state: contacts, companies, activities, tags and their links; validation and JSON (appcrm.md)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from threading import RLock
from typing import Any, Final

from . import laravel
from .base import Clock, HttpError
from .countries import find_country
from .fakedata import FakeData
from .laravel import attribute, laravel_input

MAX_STRING: Final = 191
PHONE_TYPES: Final = ("mobile", "work", "other")
USERS: Final = {1: "Admin", 2: "Sales"}
SOURCES: Final = {1: "Web Form", 2: "Trade Fair", 3: "Referral"}
INDUSTRIES: Final = {1: "Manufacturing", 2: "IT & Software", 3: "Logistics", 4: "Consulting", 5: "Trade"}
ACTIVITY_TYPES: Final = {1: "Call", 2: "Meeting", 3: "Task", 4: "Email", 5: "Deadline"}
DEFAULT_ACTIVITY_TYPE: Final = 3
DEALS: Final = {1: "Rahmenvertrag 2025", 2: "Wartung Q4", 3: "Pilotprojekt"}
SWATCHES: Final = ("#4f46e5", "#16a34a", "#dc2626", "#ca8a04", "#0891b2", "#db2777")
CUSTOM_FIELD: Final = re.compile(r"cf_[a-z0-9_]{1,60}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TIME: Final = re.compile(r"([01]\d|2[0-3]):[0-5]\d")

CONTACT_STRINGS: Final = ("first_name", "last_name", "email", "job_title", "street", "city", "state", "postal_code")
COMPANY_STRINGS: Final = ("name", "email", "domain", "street", "city", "state", "postal_code")


def iso(when: datetime | None) -> str | None:
    """Laravel's JSON time: whole seconds (a MySQL column), six zero fraction digits, `Z`."""
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S") + ".000000Z"


class Errors(laravel.Errors):
    """Laravel validation errors, with appcrm's integer and id-list rules; `raise_if_any` answers 422."""

    max_string = MAX_STRING

    def integer(self, name: str, value: Any, allowed: Mapping[int, Any] | Callable[[int], bool] | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(name, f"The {attribute(name)} field must be an integer.")
            return None
        ok = allowed is None or (allowed(value) if callable(allowed) else value in allowed)
        if not ok:
            self.add(name, f"The selected {attribute(name)} is invalid.")
            return None
        return value

    def ids(self, name: str, value: Any, exists: Callable[[int], bool]) -> list[int] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(name, f"The {attribute(name)} field must be an array.")
            return None
        out: list[int] = []
        for i, item in enumerate(value):
            got = self.integer(f"{name}.{i}", item, exists)
            if got is not None and got not in out:
                out.append(got)
        return out


@dataclass
class Record:
    """One stored contact, company or activity: its data (as stored) and timestamps."""

    id: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    custom: dict[str, Any] = field(default_factory=dict)


class AppcrmStore:
    """The account's data; every public method takes `lock` and validates as the API does.

    Args:
        clock: Stamps every write.
        seed: Seed of `seed_people`'s data generator.
        lock: The lock to share (the server's).
    """

    def __init__(self, *, clock: Clock | None = None, seed: int = 0, lock: RLock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = lock or RLock()
        self._fake = FakeData(random.Random(seed))
        self._rng = random.Random(seed + 1)
        self.tables: dict[str, dict[int, Record]] = {"contacts": {}, "companies": {}, "activities": {}}
        self._next = {"contacts": 1, "companies": 1, "activities": 1, "phones": 1, "tags": 1}
        self.tags: dict[str, dict[str, Any]] = {}  # case-folded name → {id, name, swatch_color}
        self.links: set[tuple[int, int]] = set()  # (contact id, company id)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    def get(self, kind: str, record_id: str | int) -> Record:
        """The record, or HttpError 404 `{"message": "Record not found."}`."""
        text = str(record_id)
        rec = self.tables[kind].get(int(text)) if text.isdigit() else None
        if rec is None:
            raise HttpError(404, "Record not found.")
        return rec

    def _exists(self, kind: str) -> Callable[[int], bool]:
        return lambda i: i in self.tables[kind]

    def _phones(self, errors: Errors, name: str, value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            errors.add(name, f"The {name} field must be an array.")
            return None
        phones = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                errors.add(f"{name}.{i}", f"The {name}.{i} field must be an array.")
                continue
            number = errors.string(f"{name}.{i}.number", item.get("number"))
            if number is None and f"{name}.{i}.number" not in errors.by_field:
                errors.add(f"{name}.{i}.number", f"The {name}.{i}.number field is required.")
            kind = item.get("type", "other")
            if kind not in PHONE_TYPES:
                errors.add(f"{name}.{i}.type", f"The selected {name}.{i}.type is invalid.")
            if number is not None:
                phones.append({"id": self._new_id("phones"), "number": number, "type": kind})
        return phones

    @staticmethod
    def _tag_names(errors: Errors, value: Any) -> list[str] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            errors.add("tags", "The tags field must be an array.")
            return None
        names: list[str] = []
        for i, item in enumerate(value):
            text = errors.string(f"tags.{i}", item)
            if text is not None and text.casefold() not in (n.casefold() for n in names):
                names.append(text)
        return names

    def _tag_ids(self, names: list[str]) -> list[int]:
        out = []
        for text in names:
            tag = self.tags.get(text.casefold())
            if tag is None:
                tag_id = self._new_id("tags")
                tag = {"id": tag_id, "name": text, "swatch_color": SWATCHES[(tag_id - 1) % len(SWATCHES)]}
                self.tags[text.casefold()] = tag
            out.append(tag["id"])
        return out

    def _tag_json(self, ids: list[int]) -> list[dict[str, Any]]:
        by_id = {t["id"]: t for t in self.tags.values()}
        return [dict(by_id[i]) for i in ids if i in by_id]

    @staticmethod
    def _custom(body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if CUSTOM_FIELD.fullmatch(k)}

    def _validate_common(
        self, kind: str, body: Mapping[str, Any], strings: tuple[str, ...], required: str, errors: Errors
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if (required in body or not body.get("__update__")) and body.get(required) is None:
            errors.add(required, f"The {attribute(required)} field is required.")
        for name in strings:
            if name in body:
                out[name] = errors.string(name, body[name])
        if out.get("email") is not None and not _EMAIL.fullmatch(out["email"]):
            errors.add("email", "The email field must be a valid email address.")
        refs: dict[str, Mapping[int, Any] | Callable[[int], bool]] = {
            "user_id": USERS,
            "source_id": SOURCES,
            "country_id": lambda i: find_country(f"{i:03d}") is not None,
        }
        if kind == "companies":
            refs |= {"industry_id": INDUSTRIES, "parent_company_id": self._exists("companies")}
        for name, allowed in refs.items():
            if name in body:
                out[name] = errors.integer(name, body[name], allowed)
        if "phones" in body:
            out["phones"] = self._phones(errors, "phones", body["phones"])
        for name, other in (("companies", "companies"), ("contacts", "contacts"), ("deals", None)):
            if name in body and (name != kind) and (name != "contacts" or kind == "companies"):
                exists = self._exists(other) if other else (lambda i: i in DEALS)
                out[name] = errors.ids(name, body[name], exists)
        if "tags" in body:
            out["tags"] = self._tag_names(errors, body["tags"])
        return out

    def _write(self, kind: str, rec: Record | None, raw: Any) -> Record:
        if not isinstance(raw, dict):
            raw = {}
        body = laravel_input(raw)
        errors = Errors()
        strings, required = (CONTACT_STRINGS, "first_name") if kind == "contacts" else (COMPANY_STRINGS, "name")
        if rec is not None and kind == "companies":
            body["__update__"] = True  # a company PUT may leave `name` out [assumed]
        values = self._validate_common(kind, body, strings, required, errors)
        if rec is not None and values.get("parent_company_id") == rec.id and kind == "companies":
            errors.add("parent_company_id", "The selected parent company id is invalid.")
        errors.raise_if_any()
        if values.get("tags") is not None:
            values["tags"] = self._tag_ids(values["tags"])
        now = self.clock.tick()
        linked = values.pop("companies", None) if kind == "contacts" else values.pop("contacts", None)
        if rec is None:
            rec = Record(self._new_id(kind), {}, now, now)
            defaults = dict.fromkeys(strings) | {"user_id": None, "source_id": None, "country_id": None}
            defaults |= {"phones": [], "tags": [], "deals": []}
            if kind == "companies":
                defaults |= {"industry_id": None, "parent_company_id": None}
            rec.data = defaults
            self.tables[kind][rec.id] = rec
        rec.data.update(values)
        rec.custom.update(self._custom(body))
        rec.updated_at = now
        if linked is not None:
            self._set_links(kind, rec.id, linked)
        return rec

    def _set_links(self, kind: str, record_id: int, ids: list[int]) -> None:
        pos = 0 if kind == "contacts" else 1
        self.links = {link for link in self.links if link[pos] != record_id}
        for other in ids:
            self.links.add((record_id, other) if kind == "contacts" else (other, record_id))

    def linked(self, kind: str, record_id: int) -> list[int]:
        """The ids on the other side of the contact↔company links of a record, ascending."""
        if kind == "contacts":
            return sorted(co for c, co in self.links if c == record_id)
        return sorted(c for c, co in self.links if co == record_id)

    # -- contacts and companies ------------------------------------------------------------------------------

    def create(self, kind: str, body: Any) -> dict[str, Any]:
        """`POST /contacts` or `/companies`: the new record's JSON (HttpError 422 on bad input)."""
        with self.lock:
            return self.to_json(kind, self._write(kind, None, body))

    def update(self, kind: str, record_id: str | int, body: Any) -> dict[str, Any]:
        """`PUT /{kind}/{id}`: fields present change, absent ones stay."""
        with self.lock:
            return self.to_json(kind, self._write(kind, self.get(kind, record_id), body))

    def delete(self, kind: str, record_id: str | int) -> None:
        """`DELETE /{kind}/{id}`: gone for good, links and activity associations too."""
        with self.lock:
            rec = self.get(kind, record_id)
            del self.tables[kind][rec.id]
            self._set_links(kind, rec.id, [])
            for act in self.tables["activities"].values():
                if rec.id in act.data.get(kind, []):
                    act.data[kind] = [i for i in act.data[kind] if i != rec.id]
            if kind == "companies":
                for other in self.tables["companies"].values():
                    if other.data.get("parent_company_id") == rec.id:
                        other.data["parent_company_id"] = None

    def associate(self, kind: str, record_id: str | int, raw: Any, mode: str) -> dict[str, Any]:
        """`/associations/{kind}/{id}`: mode "attach" (PUT), "detach" (DELETE) or "sync" (POST)."""
        with self.lock:
            rec = self.get(kind, record_id)
            body = raw if isinstance(raw, dict) else {}
            errors = Errors()
            other = "companies" if kind == "contacts" else "contacts"
            given: dict[str, list[int] | None] = {}
            for name, exists in (
                (other, self._exists(other)),
                ("deals", lambda i: i in DEALS),
                ("activities", self._exists("activities")),
            ):
                if name in body:
                    given[name] = errors.ids(name, body[name], exists)
            errors.raise_if_any()
            current: dict[str, list[int]] = {
                other: self.linked(kind, rec.id),
                "deals": list(rec.data["deals"]),
                "activities": [a.id for a in self.tables["activities"].values() if rec.id in a.data[kind]],
            }
            changed = False
            for name, ids in given.items():
                ids = ids or []
                if mode == "attach":
                    new = current[name] + [i for i in ids if i not in current[name]]
                elif mode == "detach":
                    new = [i for i in current[name] if i not in ids]
                else:
                    new = ids
                if sorted(new) == sorted(current[name]):
                    continue
                changed = True
                if name == other:
                    self._set_links(kind, rec.id, new)
                elif name == "deals":
                    rec.data["deals"] = new
                else:
                    for act in self.tables["activities"].values():
                        has = rec.id in act.data[kind]
                        if (act.id in new) != has:
                            act.data[kind] = (
                                [*act.data[kind], rec.id] if not has else [i for i in act.data[kind] if i != rec.id]
                            )
            if changed:
                rec.updated_at = self.clock.tick()
            return self.to_json(kind, rec)

    def to_json(self, kind: str, rec: Record) -> dict[str, Any]:
        """The read model of appcrm.md §4.2 / §5.1 / §6.1."""
        if kind == "activities":
            return self._activity_json(rec)
        data = deepcopy(rec.data)
        deals = data.pop("deals")
        if kind == "contacts":
            display = " ".join(p for p in (data["first_name"], data["last_name"]) if p)
            companies = self.tables["companies"]
            linked = [{"id": i, "name": companies[i].data["name"]} for i in self.linked(kind, rec.id)]
            extra = {"companies": linked}
        else:
            display = data["name"]
            contacts = self.tables["contacts"]
            people = [
                {
                    "id": i,
                    "display_name": " ".join(
                        p for p in (contacts[i].data[k] for k in ("first_name", "last_name")) if p
                    ),
                }
                for i in self.linked(kind, rec.id)
            ]
            extra = {"contacts": people}
        out = {"id": rec.id, "display_name": display, **data}
        out["tags"] = self._tag_json(data["tags"])
        out |= extra | {"deals": [{"id": i} for i in deals]}
        out |= {"created_at": iso(rec.created_at), "updated_at": iso(rec.updated_at)}
        return out | deepcopy(rec.custom)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        """Every record's JSON in id order."""
        with self.lock:
            return [self.to_json(kind, rec) for rec in self.tables[kind].values()]

    def id_page(
        self, kind: str, start: int, stop: int, *, descending: bool = False
    ) -> tuple[int, list[dict[str, Any]]]:
        """(how many records there are, the JSON of those at `start:stop` in id order): a page of a plain listing
        without reading every record's JSON."""
        with self.lock:
            ids = sorted(self.tables[kind], reverse=descending)
            return len(ids), [self.to_json(kind, self.tables[kind][i]) for i in ids[start:stop]]

    # -- activities ------------------------------------------------------------------------------------------

    def write_activity(self, record_id: str | int | None, raw: Any) -> dict[str, Any]:
        """`POST /activities` (record_id None) or `PUT /activities/{id}`."""
        with self.lock:
            rec = None if record_id is None else self.get("activities", record_id)
            body = laravel_input(raw if isinstance(raw, dict) else {})
            errors = Errors()
            values: dict[str, Any] = {}
            for name in ("title", "user_id", "due_date"):
                if (rec is None or name in body) and body.get(name) is None:
                    errors.add(name, f"The {attribute(name)} field is required.")
            for name in ("title", "note", "description"):
                if name in body:
                    values[name] = errors.string(name, body[name])
            for name, allowed in (("user_id", USERS), ("activity_type_id", ACTIVITY_TYPES)):
                if name in body:
                    values[name] = errors.integer(name, body[name], allowed)
            if "reminder_minutes_before" in body:
                values["reminder_minutes_before"] = errors.integer(
                    "reminder_minutes_before", body["reminder_minutes_before"], None
                )
            for day, clock in (("due_date", "due_time"), ("end_date", "end_time")):
                if body.get(day) is not None:
                    parsed = _parse_day(body[day])
                    if parsed is None:
                        errors.add(day, f"The {attribute(day)} field must be a valid date.")
                    else:
                        values[day] = parsed[0]
                        if parsed[1] is not None:
                            values[clock] = parsed[1]
                elif day in body:
                    values[day] = None
                if body.get(clock) is not None:
                    if not isinstance(body[clock], str) or not _TIME.fullmatch(body[clock]):
                        errors.add(clock, f"The {attribute(clock)} field must match the format H:i.")
                    else:
                        values[clock] = body[clock]
                elif clock in body:
                    values[clock] = None
            for name in ("contacts", "companies", "deals"):
                if name in body:
                    exists = self._exists(name) if name != "deals" else (lambda i: i in DEALS)
                    values[name] = errors.ids(name, body[name], exists)
            if "is_completed" in body and not isinstance(body["is_completed"], bool):
                errors.add("is_completed", "The is completed field must be true or false.")
            errors.raise_if_any()
            now = self.clock.tick()
            if rec is None:
                rec = Record(self._new_id("activities"), {}, now, now)
                rec.data = dict.fromkeys(("note", "description", "due_time", "end_date", "end_time"))
                rec.data |= {"activity_type_id": DEFAULT_ACTIVITY_TYPE, "reminder_minutes_before": None}
                rec.data |= {"contacts": [], "companies": [], "deals": [], "completed_at": None}
                self.tables["activities"][rec.id] = rec
            rec.data.update(values)
            if "is_completed" in body and body["is_completed"] != (rec.data["completed_at"] is not None):
                rec.data["completed_at"] = now if body["is_completed"] else None
            rec.updated_at = now
            return self._activity_json(rec)

    def _activity_json(self, rec: Record) -> dict[str, Any]:
        data = deepcopy(rec.data)
        completed = data.pop("completed_at")
        keys = ("title", "activity_type_id", "user_id", "note", "description", "due_date", "due_time")
        out = {"id": rec.id, **{k: data[k] for k in keys}}
        out |= {k: data[k] for k in ("end_date", "end_time", "reminder_minutes_before")}
        out |= {"is_completed": completed is not None, "completed_at": iso(completed)}
        out |= {k: [{"id": i} for i in data[k]] for k in ("contacts", "companies", "deals")}
        return out | {"created_at": iso(rec.created_at), "updated_at": iso(rec.updated_at)}

    # -- seeding ---------------------------------------------------------------------------------------------

    def seed_companies(self, k: int) -> list[int]:
        """Add `k` realistic companies (German and British); their ids."""
        with self.lock:
            ids = []
            for _ in range(k):
                c = self._fake.company()
                country = find_country(c.country)
                body = {
                    "name": c.name, "email": c.email, "domain": c.domain,
                    "phones": [{"number": c.phone, "type": "work"}], "street": f"{c.street} {c.house}",
                    "city": c.town, "state": c.state, "postal_code": c.zip,
                    "country_id": int(country.numeric) if country else None, "user_id": 1,
                }  # fmt: skip
                ids.append(self._write("companies", None, body).id)
            return ids

    def seed_people(self, n: int, *, companies: int = 0) -> list[int]:
        """Add `companies` companies, then `n` contacts; about two in three work at a (random) company."""
        with self.lock:
            pool = self.seed_companies(companies) if companies else list(self.tables["companies"])
            ids = []
            for _ in range(n):
                employer = (
                    self.tables["companies"][self._rng.choice(pool)] if pool and self._rng.random() < 0.67 else None
                )
                p = self._fake.person(work_domain=employer.data["domain"] if employer else None)
                country = find_country(p.country)
                phones = [{"number": p.telephone, "type": "work"}] if p.telephone else []
                phones += [{"number": p.mobile, "type": "mobile"}] if p.mobile else []
                body = {
                    "first_name": p.first_name, "last_name": p.last_name, "email": p.email or p.email_private,
                    "job_title": p.position, "phones": phones,
                    "street": f"{p.street} {p.house}" if p.street else None, "city": p.town, "state": p.state,
                    "postal_code": p.zip, "country_id": int(country.numeric) if country else None, "user_id": 1,
                    "companies": [employer.id] if employer else [],
                    "tags": ["Messe 2024"] if self._rng.random() < 0.2 else [],
                }  # fmt: skip
                ids.append(self._write("contacts", None, body).id)
            return ids


def _parse_day(value: Any) -> tuple[str, str | None] | None:
    """A date or date-time (UTC) → ("YYYY-MM-DD", "HH:MM" or None); None when it is neither."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat(), None
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.date().isoformat(), when.strftime("%H:%M")
