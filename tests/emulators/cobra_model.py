"""cobra emulator state: people, business cards, companies, touchpoints, tenant lists; favourite rules (cobra.md).

Everything a handler may answer with is raised as `CobraError` (a message key, translated when the answer is
written) or returned as read-model JSON. Every public method of `CobraStore` takes the lock.
"""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from threading import RLock
from typing import Any, Final, Protocol

from .base import Clock, HttpError, parse_utc
from .fakedata import FakeData

MAX_TEXT: Final = 200
CARD_EMAIL_TYPES: Final = ("work", "home", "other")
PHONE_TYPES: Final = ("work", "home", "mobile", "fax", "other")
TOUCHPOINT_TYPES: Final = ("note", "call", "email", "meeting", "letter", "task", "turnover")
CHANNELS: Final = ("phone", "email", "personal", "video", "post", "web")
DIRECTIONS: Final = ("inbound", "outbound")
PRIORITIES: Final = ("low", "normal", "high")
MOODS: Final = ("positive", "neutral", "negative")
NO_BIRTH_YEAR: Final = 1584
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_COUNTRY: Final = re.compile(r"[A-Za-z]{2}")

# -- messages --------------------------------------------------------------------------------------------------

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # key: (English, German)
    "validation_failed": ("Validation failed.", "Die Validierung ist fehlgeschlagen."),
    "required": ("The field '{field}' is required.", "Das Feld „{field}“ ist erforderlich."),
    "max_length": (
        "The field '{field}' must be at most {max} characters long.",
        "Das Feld „{field}“ darf höchstens {max} Zeichen lang sein.",
    ),
    "type_string": ("The field '{field}' must be a string.", "Das Feld „{field}“ muss eine Zeichenkette sein."),
    "type_bool": ("The field '{field}' must be true or false.", "Das Feld „{field}“ muss true oder false sein."),
    "type_array": ("The field '{field}' must be an array.", "Das Feld „{field}“ muss eine Liste sein."),
    "type_object": ("The field '{field}' must be an object.", "Das Feld „{field}“ muss ein Objekt sein."),
    "type_number": ("The field '{field}' must be a number.", "Das Feld „{field}“ muss eine Zahl sein."),
    "type_integer": ("The field '{field}' must be an integer.", "Das Feld „{field}“ muss eine ganze Zahl sein."),
    "one_of": (
        "The field '{field}' must be one of: {allowed}.",
        "Das Feld „{field}“ muss einer der folgenden Werte sein: {allowed}.",
    ),
    "date": (
        "The field '{field}' must be a date (YYYY-MM-DD).",
        "Das Feld „{field}“ muss ein Datum (JJJJ-MM-TT) sein.",
    ),
    "datetime": (
        "The field '{field}' must be an ISO 8601 date-time.",
        "Das Feld „{field}“ muss ein Zeitpunkt nach ISO 8601 sein.",
    ),
    "birthday_future": ("The birthday must not be in the future.", "Der Geburtstag darf nicht in der Zukunft liegen."),
    "birthday_too_old": (
        "The birthday must not be more than 130 years in the past.",
        "Der Geburtstag darf höchstens 130 Jahre in der Vergangenheit liegen.",
    ),
    "birthday_year": (
        "When the birth year is not considered, the year must be 1584.",
        "Wenn das Geburtsjahr nicht berücksichtigt wird, muss das Jahr 1584 lauten.",
    ),
    "email_invalid": (
        "The field '{field}' must be a valid e-mail address.",
        "Das Feld „{field}“ muss eine gültige E-Mail-Adresse sein.",
    ),
    "country_invalid": (
        "The field '{field}' must be an ISO 3166-1 alpha-2 country code.",
        "Das Feld „{field}“ muss ein Ländercode nach ISO 3166-1 alpha-2 sein.",
    ),
    "currency_invalid": (
        "The field '{field}' must be an ISO 4217 currency code.",
        "Das Feld „{field}“ muss ein Währungscode nach ISO 4217 sein.",
    ),
    "min_items": (
        "The field '{field}' must contain at least {min} entries.",
        "Das Feld „{field}“ muss mindestens {min} Einträge enthalten.",
    ),
    "range": (
        "The field '{field}' must be between {min} and {max}.",
        "Das Feld „{field}“ muss zwischen {min} und {max} liegen.",
    ),
    "unknown_id": ("The id '{id}' in '{field}' is unknown.", "Die ID „{id}“ in „{field}“ ist unbekannt."),
    "turnover_required": (
        "A touchpoint of type 'turnover' needs a turnover.",
        "Ein Touchpoint vom Typ „turnover“ benötigt einen Umsatz.",
    ),
    "turnover_forbidden": (
        "Only a touchpoint of type 'turnover' may carry a turnover.",
        "Nur ein Touchpoint vom Typ „turnover“ darf einen Umsatz enthalten.",
    ),
    "private_card_company": (
        "A private business card cannot be connected to a company.",
        "Eine private Visitenkarte kann nicht mit einer Firma verbunden werden.",
    ),
    "not_involved": (
        "The person '{id}' is not involved in this touchpoint.",
        "Die Person „{id}“ ist an diesem Touchpoint nicht beteiligt.",
    ),
    "last_person": (
        "A touchpoint needs at least one person involved.",
        "Ein Touchpoint benötigt mindestens eine beteiligte Person.",
    ),
    "filter_required": (
        "Give at least one of 'email', 'employeeStatus', 'customerNumber'.",
        "Mindestens einer der Parameter „email“, „employeeStatus“, „customerNumber“ ist erforderlich.",
    ),
    "sort_invalid": ("Sorting by '{sort}' is not supported.", "Nach „{sort}“ kann nicht sortiert werden."),
    "merge_same": (
        "The survivor and the merged person must differ.",
        "Die verbleibende und die zusammengeführte Person müssen verschieden sein.",
    ),
    "not_found": ("{entity} with the id '{id}' was not found.", "{entity} mit der ID „{id}“ wurde nicht gefunden."),
    "route_not_found": ("The requested resource does not exist.", "Die angeforderte Ressource existiert nicht."),
    "method_not_allowed": (
        "The method {method} is not allowed for this resource.",
        "Die Methode {method} ist für diese Ressource nicht erlaubt.",
    ),
    "invalid_json": ("The request body is not valid JSON.", "Der Anfrageinhalt ist kein gültiges JSON."),
    "unauthorized": (
        "The access token is missing, invalid or expired.",
        "Das Zugriffstoken fehlt, ist ungültig oder abgelaufen.",
    ),
    "bad_credentials": (
        "Invalid API user e-mail or API key.",
        "Ungültige E-Mail-Adresse des API-Benutzers oder ungültiger API-Schlüssel.",
    ),
    "tenant_missing": ("The header X-Cobra-TenantId is missing.", "Der Header X-Cobra-TenantId fehlt."),
    "tenant_unknown": (
        "The API user has no access to the tenant '{tenant}'.",
        "Der API-Benutzer hat keinen Zugriff auf den Mandanten „{tenant}“.",
    ),
    "header_missing": ("The header {header} is required.", "Der Header {header} ist erforderlich."),
    "too_many_requests": (
        "Too many requests. Please retry later.",
        "Zu viele Anfragen. Bitte versuchen Sie es später erneut.",
    ),
    "server_error": ("An internal server error occurred.", "Es ist ein interner Serverfehler aufgetreten."),
    "service_unavailable": (
        "The service is temporarily unavailable.",
        "Der Dienst ist vorübergehend nicht verfügbar.",
    ),
}

ENTITIES: Final[dict[str, tuple[str, str]]] = {
    "person": ("Person", "Person"),
    "card": ("Business card", "Visitenkarte"),
    "company": ("Company", "Firma"),
    "touchpoint": ("Touchpoint", "Touchpoint"),
    "address": ("Address", "Adresse"),
    "phone": ("Phone number", "Telefonnummer"),
    "email": ("E-mail address", "E-Mail-Adresse"),
    "tag": ("Tag", "Tag"),
    "document": ("Document", "Dokument"),
}


def translate(key: str, lang: str, params: Mapping[str, Any] | None = None) -> str:
    """The message `key` in `lang` ("de" or "en", anything else is English), `params` filled in."""
    pair = MESSAGES.get(key, (key, key))
    values = dict(params or {})
    entity = values.get("entity")
    if isinstance(entity, str) and entity in ENTITIES:
        values["entity"] = ENTITIES[entity][1 if lang == "de" else 0]
    return (pair[1] if lang == "de" else pair[0]).format(**values)


@dataclass(frozen=True)
class FieldError:
    """One violated rule of a request body: the field path and a message key with its parameters."""

    field: str
    key: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_json(self, lang: str) -> dict[str, str]:
        """`{"field", "message"}` with the message in `lang`."""
        return {"field": self.field, "message": translate(self.key, lang, {"field": self.field, **self.params})}


class CobraError(HttpError):
    """An error answer: status, a message key (translated per request) and optional field errors as `data`.

    Args:
        status: The HTTP status.
        key: A key of `MESSAGES`.
        params: Values for the message's placeholders.
        errors: Field errors, answered as the envelope's `data`.
        headers: Extra response headers.
    """

    def __init__(
        self,
        status: int,
        key: str,
        params: Mapping[str, Any] | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, translate(key, "en", params), headers=headers)
        self.key = key
        self.params: dict[str, Any] = dict(params or {})
        self.errors = list(errors)

    def envelope(self, lang: str) -> dict[str, Any]:
        """The error answer's body in `lang`."""
        data = [e.to_json(lang) for e in self.errors] if self.errors else None
        return {
            "data": data,
            "message": translate(self.key, lang, self.params),
            "metaData": None,
            "statusCode": self.status,
        }


def not_found(entity: str, record_id: str) -> CobraError:
    """A 404 naming the entity kind and id."""
    return CobraError(404, "not_found", {"entity": entity, "id": record_id})


class Errors:
    """Field errors of one request body; `raise_if_any` answers 400 with them as `data`."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, name: str, key: str, **params: Any) -> None:
        self.items.append(FieldError(name, key, params))

    def raise_if_any(self) -> None:
        if self.items:
            raise CobraError(400, "validation_failed", errors=self.items)

    def string(self, name: str, value: Any, *, required: bool = False, limit: int | None = MAX_TEXT) -> str | None:
        if value is None:
            if required:
                self.add(name, "required")
            return None
        if not isinstance(value, str):
            self.add(name, "type_string")
            return None
        if required and not value.strip():
            self.add(name, "required")
            return None
        if limit is not None and len(value) > limit:
            self.add(name, "max_length", max=limit)
        return value

    def choice(self, name: str, value: Any, allowed: Sequence[str], *, required: bool = False) -> str | None:
        text = self.string(name, value, required=required)
        if text is not None and text not in allowed:
            self.add(name, "one_of", allowed=", ".join(allowed))
            return None
        return text

    def boolean(self, name: str, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        self.add(name, "type_bool")
        return None

    def array(self, name: str, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(name, "type_array")
            return []
        return value

    def obj(self, name: str, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(name, "type_object")
            return None
        return value

    def email(self, name: str, value: Any) -> str | None:
        text = self.string(name, value, required=True)
        if text is not None and not _EMAIL.fullmatch(text.strip()):
            self.add(name, "email_invalid")
            return None
        return text.strip() if text is not None else None

    def country(self, name: str, value: Any) -> str | None:
        text = self.string(name, value)
        if text is not None and not _COUNTRY.fullmatch(text):
            self.add(name, "country_invalid")
            return None
        return text.upper() if text is not None else None


def iso(when: datetime | None) -> str | None:
    """cobra's date-time: UTC, seven fraction digits, `+00:00` ("2024-10-09T07:00:39.1309310+00:00")."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def parse_when(text: str) -> datetime:
    """An ISO 8601 date-time with any offset (naive = UTC; up to 7 fraction digits) → aware UTC.

    Raises:
        ValueError: When `text` is not one.
    """
    text = text.strip()
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d\.\d{6})\d+(.*)", text)
    if match:  # .NET writes 7 fraction digits; Python reads at most 6
        text = match.group(1) + match.group(2)
    if "T" not in text and " " not in text:
        raise ValueError(text)
    return parse_utc(text)


# -- records ---------------------------------------------------------------------------------------------------


class Favourable(Protocol):
    """Anything in a list with one favourite: its flag and its creation order."""

    is_favorite: bool
    seq: int


@dataclass
class Entry:
    """A phone, e-mail address or address: its fields (without `id`/`isFavorite`), flag and creation order."""

    id: str
    data: dict[str, Any]
    is_favorite: bool
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.data, "isFavorite": self.is_favorite}


@dataclass
class Card:
    """A business card of a person."""

    id: str
    people_id: str
    seq: int
    data: dict[str, Any]
    is_favorite: bool
    created: datetime
    modified: datetime
    company_id: str | None = None
    emails: list[Entry] = field(default_factory=list)
    phones: list[Entry] = field(default_factory=list)
    addresses: list[Entry] = field(default_factory=list)


@dataclass
class Record:
    """A person, company or touchpoint: its stored fields (tag references as id lists) and stamps."""

    id: str
    seq: int
    data: dict[str, Any]
    created: datetime
    modified: datetime


@dataclass
class Person(Record):
    """A person; `cards` in creation order."""

    cards: list[Card] = field(default_factory=list)


@dataclass
class Company(Record):
    """A company with its phone, e-mail and address lists (each in creation order)."""

    phones: list[Entry] = field(default_factory=list)
    emails: list[Entry] = field(default_factory=list)
    addresses: list[Entry] = field(default_factory=list)


class Policy(Enum):
    """How a list keeps its favourite.

    CARD_ENTRY: addresses, e-mails, phones inside a business card (cobra.md §7.3 rules 5-7).
    COMPANY_ENTRY: a company's addresses, phones, e-mails (§8.3): a non-empty list always has one favourite.
    """

    CARD_ENTRY = "card"
    COMPANY_ENTRY = "company"


def _oldest(items: Iterable[Favourable]) -> Favourable | None:
    return min(items, key=lambda i: i.seq, default=None)


def fav_insert(items: list[Any], new: Favourable, flag: bool | None, policy: Policy) -> None:
    """Append `new` to `items` under the favourite rules of a create (`flag` None = not given explicitly)."""
    has_favourite = any(i.is_favorite for i in items)
    items.append(new)
    if flag is True:
        for other in items:
            other.is_favorite = other is new
    elif flag is None:
        new.is_favorite = not has_favourite
    else:
        new.is_favorite = False
        if policy is Policy.COMPANY_ENTRY and not has_favourite:
            first = _oldest(items)
            if first is not None:
                first.is_favorite = True


def fav_update(items: list[Any], entry: Favourable, flag: bool | None, policy: Policy) -> None:
    """Apply the favourite rules of an update of `entry` (already in `items`)."""
    if flag is True:
        for other in items:
            other.is_favorite = other is entry
    elif flag is False and entry.is_favorite:
        entry.is_favorite = False
        if policy is Policy.COMPANY_ENTRY:
            successor = _oldest(i for i in items if i is not entry) or entry
            successor.is_favorite = True


def fav_delete(items: list[Any], entry: Favourable, policy: Policy) -> None:
    """Remove `entry` from `items` and promote a successor where the rules say so."""
    items.remove(entry)
    if not entry.is_favorite or not items:
        return
    if policy is Policy.COMPANY_ENTRY:
        first = _oldest(items)
        if first is not None:
            first.is_favorite = True
    elif len(items) == 1:
        items[0].is_favorite = True


def card_fav_create(cards: list[Card], card: Card, flag: bool | None) -> None:
    """§7.3 rules 1 and 3: append `card` to the person's cards."""
    has_favourite = any(c.is_favorite for c in cards)
    cards.append(card)
    if flag is True:
        for other in cards:
            other.is_favorite = other is card
    else:
        card.is_favorite = flag is None and not has_favourite


def card_fav_update(cards: list[Card], card: Card, flag: bool | None) -> None:
    """§7.3 rules 2 and 3: the favourite status after an update of `card`."""
    if flag is True:
        for other in cards:
            other.is_favorite = other is card
    elif flag is False:
        card.is_favorite = False
    elif not any(c.is_favorite for c in cards):
        card.is_favorite = True


# -- tenant lists ----------------------------------------------------------------------------------------------


@dataclass
class TagRef:
    """A parsed `{id, text}` reference: an existing id, or a text to find or create."""

    id: str | None
    text: str | None


class TagList:
    """One tenant list (orga tags, life cycles, legal forms, …): id → text, texts unique case-insensitively."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.items: dict[str, str] = {}
        self._new_id = new_id

    def find(self, text: str) -> str | None:
        folded = text.strip().casefold()
        return next((i for i, t in self.items.items() if t.casefold() == folded), None)

    def ensure(self, text: str) -> str:
        """The id of the entry `text` (case-insensitive), created when missing."""
        found = self.find(text)
        if found is None:
            found = self._new_id()
            self.items[found] = text.strip()
        return found

    def parse(self, name: str, value: Any, errors: Errors) -> TagRef | None:
        """One `{id, text}`; an unknown id or neither id nor text is a field error."""
        item = errors.obj(name, value)
        if item is None:
            return None
        tag_id = errors.string(f"{name}.id", item.get("id"))
        text = errors.string(f"{name}.text", item.get("text"))
        if tag_id:
            if tag_id not in self.items:
                errors.add(f"{name}.id", "unknown_id", id=tag_id)
                return None
            return TagRef(tag_id, None)
        if not text or not text.strip():
            errors.add(f"{name}.text", "required")
            return None
        return TagRef(None, text)

    def parse_many(self, name: str, value: Any, errors: Errors) -> list[TagRef]:
        refs = [self.parse(f"{name}[{i}]", item, errors) for i, item in enumerate(errors.array(name, value))]
        return [r for r in refs if r is not None]

    def commit(self, ref: TagRef | None) -> str | None:
        if ref is None:
            return None
        return ref.id if ref.id is not None else self.ensure(ref.text or "")

    def commit_many(self, refs: Iterable[TagRef]) -> list[str]:
        out: list[str] = []
        for ref in refs:
            tag_id = self.commit(ref)
            if tag_id is not None and tag_id not in out:
                out.append(tag_id)
        return out

    def json(self, tag_id: str | None) -> dict[str, str] | None:
        if tag_id is None or tag_id not in self.items:
            return None
        return {"id": tag_id, "text": self.items[tag_id]}

    def json_many(self, ids: Iterable[str]) -> list[dict[str, str]]:
        return [{"id": i, "text": self.items[i]} for i in ids if i in self.items]


LISTS: Final[dict[str, tuple[str, ...]]] = {
    "people": ("orga-tags", "personality-tags", "lifecycles", "address-types"),
    "companies": (
        "tags",
        "lifecycles",
        "legal-forms",
        "industry-sectors",
        "number-of-employees",
        "email-address-types",
    ),
    "touchpoints": ("tags",),
}
"""The tenant lists by owner; `CobraStore.lists[(owner, name)]`."""

_PRESETS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("people", "lifecycles"): ("Interessent", "Kunde", "Ehemaliger Kunde"),
    ("people", "address-types"): ("Geschäftlich", "Privat", "Lieferadresse"),
    ("companies", "lifecycles"): ("Lead", "Kunde", "Partner"),
    ("companies", "legal-forms"): (
        "GmbH",
        "AG",
        "GmbH & Co. KG",
        "KG",
        "e.K.",
        "UG (haftungsbeschränkt)",
        "Ltd",
        "PLC",
        "LLP",
    ),
    ("companies", "number-of-employees"): ("1-9", "10-49", "50-249", "250-999", "1000+"),
    ("companies", "email-address-types"): ("Allgemein", "Buchhaltung", "Support"),
}

PERSON_STRINGS: Final = (
    "salutation",
    "title",
    "firstname",
    "lastname",
    "customerNumber",
    "employeeStatus",
    "employeeNumber",
)
COMPANY_STRINGS: Final = ("name2", "website", "customerNumber")
SORTABLE: Final[dict[str, frozenset[str]]] = {
    "people": frozenset(("id", *PERSON_STRINGS, "note", "dateCreate", "dateModified")),
    "companies": frozenset(("id", "name", *COMPANY_STRINGS, "domain", "note", "dateCreate", "dateModified")),
    "touchpoints": frozenset(
        ("id", "type", "channel", "subject", "date", "direction", "priority", "mood", "dateCreate", "dateModified")
    ),
}


def normalize_domain(text: str) -> str:
    """Lower case, without scheme, `www.`, path and trailing dot: "https://www.Brandt-MB.de/x" → "brandt-mb.de"."""
    text = text.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/")[0].rstrip(".")
    return text.removeprefix("www.")


def ascii_name(text: str) -> str:
    """ASCII letters, digits, `-` and `_` only (for file names): "Groß-Özdemir" → "Gross-Oezdemir"."""
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]+", "", text.replace(" ", "-"))


# -- the store -------------------------------------------------------------------------------------------------


class CobraStore:
    """One tenant's data and the API's write rules; JSON in, read models out.

    Args:
        clock: Stamps every write.
        seed: Seed of the id and data generators.
        lock: The lock to share (the server's).
    """

    def __init__(self, *, clock: Clock | None = None, seed: int = 0, lock: RLock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = lock or RLock()
        self._ids = random.Random(seed)
        self._rng = random.Random(seed + 1)
        self._fake = FakeData(random.Random(seed + 2))
        self._seq = 0
        self.people: dict[str, Person] = {}
        self.companies: dict[str, Company] = {}
        self.touchpoints: dict[str, Record] = {}
        self.cards: dict[str, Card] = {}
        self.lists: dict[tuple[str, str], TagList] = {
            (owner, name): TagList(self.new_id) for owner, names in LISTS.items() for name in names
        }
        for key, texts in _PRESETS.items():
            for text in texts:
                self.lists[key].ensure(text)

    def new_id(self) -> str:
        """A fresh UUID (version 4, from the seeded random)."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def tags(self, owner: str, name: str) -> TagList:
        """A tenant list, e.g. `tags("people", "orga-tags")`."""
        return self.lists[(owner, name)]

    def today(self) -> date:
        return self.clock.now().date()

    # -- lookups -----------------------------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        found = self.people.get(person_id)
        if found is None:
            raise not_found("person", person_id)
        return found

    def company(self, company_id: str) -> Company:
        found = self.companies.get(company_id)
        if found is None:
            raise not_found("company", company_id)
        return found

    def touchpoint(self, touchpoint_id: str) -> Record:
        found = self.touchpoints.get(touchpoint_id)
        if found is None:
            raise not_found("touchpoint", touchpoint_id)
        return found

    def card(self, card_id: str, person_id: str | None = None) -> Card:
        if person_id is not None:
            self.person(person_id)
        found = self.cards.get(card_id)
        if found is None or (person_id is not None and found.people_id != person_id):
            raise not_found("card", card_id)
        return found

    @staticmethod
    def ids_body(body: Any, name: str = "ids") -> list[str]:
        """`{"ids": [...]}` → the ids (400 when not a non-empty list of strings)."""
        errors = Errors()
        obj = errors.obj("body", body) if body is not None else None
        if obj is None and not errors.items:
            errors.add(name, "required")
        values = errors.array(name, obj.get(name)) if obj is not None else []
        if obj is not None and not values and not errors.items:
            errors.add(name, "min_items", min=1)
        out = [errors.string(f"{name}[{i}]", v, required=True) for i, v in enumerate(values)]
        errors.raise_if_any()
        return [v for v in out if v is not None]

    # -- people ------------------------------------------------------------------------------------------------

    def _birthday(self, value: Any, errors: Errors) -> dict[str, Any] | None:
        obj = errors.obj("birthday", value)
        if obj is None:
            return None
        text = errors.string("birthday.birthday", obj.get("birthday"), required=True)
        consider = errors.boolean("birthday.considerBirthYear", obj.get("considerBirthYear"))
        consider = True if consider is None else consider
        if text is None:
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            errors.add("birthday.birthday", "date")
            return None
        today = self.today()
        if not consider:
            if day.year != NO_BIRTH_YEAR:
                errors.add("birthday.birthday", "birthday_year")
        elif day > today:
            errors.add("birthday.birthday", "birthday_future")
        elif day < _years_before(today, 130):
            errors.add("birthday.birthday", "birthday_too_old")
        return {"birthday": day.isoformat(), "considerBirthYear": consider}

    def _person_values(self, raw: Any, errors: Errors) -> dict[str, Any]:
        body = errors.obj("body", raw) or {}
        out: dict[str, Any] = {name: errors.string(name, body.get(name)) for name in PERSON_STRINGS}
        out["birthday"] = self._birthday(body.get("birthday"), errors)
        dates = []
        for i, item in enumerate(errors.array("importantDates", body.get("importantDates"))):
            obj = errors.obj(f"importantDates[{i}]", item)
            if obj is None:
                continue
            text = errors.string(f"importantDates[{i}].date", obj.get("date"), required=True)
            try:
                day = date.fromisoformat(text).isoformat() if text is not None else None
            except ValueError:
                errors.add(f"importantDates[{i}].date", "date")
                day = None
            description = errors.string(f"importantDates[{i}].description", obj.get("description"))
            dates.append({"date": day, "description": description})
        out["importantDates"] = dates
        socials = []
        for i, item in enumerate(errors.array("socialMedias", body.get("socialMedias"))):
            obj = errors.obj(f"socialMedias[{i}]", item)
            if obj is None:
                continue
            socials.append(
                {
                    "type": errors.string(f"socialMedias[{i}].type", obj.get("type"), required=True),
                    "url": errors.string(f"socialMedias[{i}].url", obj.get("url"), required=True, limit=2000),
                }
            )
        out["socialMedias"] = socials
        out["orgaTags"] = self.tags("people", "orga-tags").parse_many("orgaTags", body.get("orgaTags"), errors)
        out["personalities"] = self.tags("people", "personality-tags").parse_many(
            "personalities", body.get("personalities"), errors
        )
        out["lifecycle"] = (
            self.tags("people", "lifecycles").parse("lifecycle", body["lifecycle"], errors)
            if body.get("lifecycle") is not None
            else None
        )
        return out

    def _commit_person(self, values: dict[str, Any]) -> dict[str, Any]:
        values = dict(values)
        values["orgaTags"] = self.tags("people", "orga-tags").commit_many(values["orgaTags"])
        values["personalities"] = self.tags("people", "personality-tags").commit_many(values["personalities"])
        values["lifecycle"] = self.tags("people", "lifecycles").commit(values["lifecycle"])
        return values

    def validate_person(self, raw: Any) -> None:
        """`POST /people/validate`: 400 with the field errors, else nothing."""
        with self.lock:
            errors = Errors()
            self._person_values(raw, errors)
            errors.raise_if_any()

    def create_people(self, bodies: Sequence[Any], *, prefix: bool = False) -> list[dict[str, Any]]:
        """`POST /people` (one body) or `/people/bulk`: all or nothing; field paths `[i].` prefixed in bulk."""
        with self.lock:
            errors = Errors()
            parsed = []
            for i, raw in enumerate(bodies):
                sub = Errors()
                parsed.append(self._person_values(raw, sub))
                errors.items += [
                    FieldError(f"[{i}].{e.field}" if prefix else e.field, e.key, e.params) for e in sub.items
                ]
            errors.raise_if_any()
            out = []
            for values in parsed:
                now = self.clock.tick()
                rec = Person(self.new_id(), self._next_seq(), self._commit_person(values), now, now)
                rec.data["note"] = None
                self.people[rec.id] = rec
                out.append(self.person_json(rec))
            return out

    def update_people(self, items: Sequence[tuple[str, Any]], *, prefix: bool = False) -> list[dict[str, Any]]:
        """`PUT /people/{id}` or `/people/bulk`: full replace of the write model (note and cards stay)."""
        with self.lock:
            records = [self.person(person_id) for person_id, _ in items]
            errors = Errors()
            parsed = []
            for i, (_, raw) in enumerate(items):
                sub = Errors()
                parsed.append(self._person_values(raw, sub))
                errors.items += [
                    FieldError(f"[{i}].{e.field}" if prefix else e.field, e.key, e.params) for e in sub.items
                ]
            errors.raise_if_any()
            out = []
            for rec, values in zip(records, parsed, strict=True):
                rec.data = self._commit_person(values) | {"note": rec.data.get("note")}
                rec.modified = self.clock.tick()
                out.append(self.person_json(rec))
            return out

    def delete_people(self, ids: Sequence[str]) -> None:
        """Permanent delete of people (all ids must exist): their cards go; touchpoints lose them (and go when
        nobody is left)."""
        with self.lock:
            for person_id in ids:
                self.person(person_id)
            for person_id in ids:
                rec = self.people.pop(person_id, None)
                if rec is None:
                    continue
                for card in rec.cards:
                    self.cards.pop(card.id, None)
                for tp in list(self.touchpoints.values()):
                    if person_id in tp.data["people"]:
                        tp.data["people"].remove(person_id)
                        if not tp.data["people"]:
                            del self.touchpoints[tp.id]
                        else:
                            tp.modified = self.clock.tick()

    def set_person_field(self, person_id: str, name: str, raw: Any) -> dict[str, Any]:
        """`PUT /people/{id}/note|orga-tags|personality-tags|lifecycle`."""
        with self.lock:
            rec = self.person(person_id)
            errors = Errors()
            if name == "note":
                obj = errors.obj("body", raw) or {}
                value: Any = errors.string("note", obj.get("note"), limit=None)
            elif name in ("orgaTags", "personalities"):
                tags = self.tags("people", "orga-tags" if name == "orgaTags" else "personality-tags")
                refs = tags.parse_many(name, raw, errors)
                errors.raise_if_any()
                value = tags.commit_many(refs)
            else:
                obj = errors.obj("body", raw) or {}
                lifecycle_id = errors.string("id", obj.get("id"))
                lifecycles = self.tags("people", "lifecycles")
                if lifecycle_id is not None and lifecycle_id not in lifecycles.items:
                    errors.add("id", "unknown_id", id=lifecycle_id)
                value = lifecycle_id
            errors.raise_if_any()
            rec.data[name] = value
            rec.modified = self.clock.tick()
            return self.person_json(rec)

    def person_json(self, rec: Person, *, cards: bool = False) -> dict[str, Any]:
        """The person read model (cobra.md §6.1); with `cards`, plus `businessCards`."""
        d = rec.data
        out: dict[str, Any] = {"id": rec.id}
        out |= {name: d[name] for name in ("salutation", "title", "firstname", "lastname")}
        out["birthday"] = dict(d["birthday"]) if d["birthday"] else None
        out["importantDates"] = [dict(x) for x in d["importantDates"]]
        out["socialMedias"] = [dict(x) for x in d["socialMedias"]]
        out["orgaTags"] = self.tags("people", "orga-tags").json_many(d["orgaTags"])
        out["personalities"] = self.tags("people", "personality-tags").json_many(d["personalities"])
        out |= {name: d[name] for name in ("customerNumber", "employeeStatus", "employeeNumber")}
        out["lifecycle"] = self.tags("people", "lifecycles").json(d["lifecycle"])
        out["note"] = d.get("note")
        out |= {"dateCreate": iso(rec.created), "dateModified": iso(rec.modified)}
        if cards:
            out["businessCards"] = [self.card_json(c) for c in rec.cards]
        return out

    def quicklook(self, person_id: str) -> dict[str, Any]:
        """`GET /people/{id}/quicklook`: names plus the favourite card's company, position, e-mail and phone."""
        with self.lock:
            rec = self.person(person_id)
            card = next((c for c in rec.cards if c.is_favorite), None)
            email = next((e.data["email"] for e in card.emails if e.is_favorite), None) if card else None
            phone = next((p.data["number"] for p in card.phones if p.is_favorite), None) if card else None
            out = {"id": rec.id} | {k: rec.data[k] for k in ("salutation", "title", "firstname", "lastname")}
            return out | {
                "businessCardId": card.id if card else None,
                "companyId": card.company_id if card else None,
                "companyName": self._card_company_name(card) if card else None,
                "position": card.data["position"] if card else None,
                "email": email,
                "phone": phone,
            }

    def filter_people(self, email: str | None, status: str | None, customer: str | None) -> list[Person]:
        """`GET /people/filter`: exact matches, e-mail (any card) case-insensitively; all given must match."""
        with self.lock:
            if not (email or status or customer):
                raise CobraError(400, "filter_required")
            wanted = email.strip().casefold() if email else None
            out = []
            for rec in self.people.values():
                if status and rec.data["employeeStatus"] != status:
                    continue
                if customer and rec.data["customerNumber"] != customer:
                    continue
                if wanted is not None and not any(
                    e.data["email"].casefold() == wanted for c in rec.cards for e in c.emails
                ):
                    continue
                out.append(rec)
            return out

    def merge_completed(self, raw: Any) -> None:
        """`POST /people/merge/completed`: the survivor takes the merged person's cards and touchpoints, then the
        merged person (if still there) is deleted."""
        with self.lock:
            errors = Errors()
            body = errors.obj("body", raw) or {}
            survivor_id = errors.string("survivorId", body.get("survivorId"), required=True)
            merged_id = errors.string("mergedId", body.get("mergedId"), required=True)
            errors.raise_if_any()
            assert survivor_id is not None and merged_id is not None
            if survivor_id == merged_id:
                raise CobraError(400, "merge_same")
            survivor = self.person(survivor_id)
            merged = self.people.get(merged_id)
            if merged is not None:
                for card in merged.cards:
                    card.people_id = survivor.id
                    card_fav_create(survivor.cards, card, False)
                merged.cards = []
                for tp in self.touchpoints.values():
                    if merged_id in tp.data["people"]:
                        tp.data["people"] = _dedupe([survivor.id if p == merged_id else p for p in tp.data["people"]])
                        tp.modified = self.clock.tick()
                del self.people[merged_id]
            survivor.modified = self.clock.tick()

    # -- business cards ----------------------------------------------------------------------------------------

    def _entry_values(self, kind: str, name: str, raw: Any, errors: Errors, *, company: bool) -> dict[str, Any]:
        """One phone/e-mail/address body; `name` prefixes the error fields ("" for a whole-body entry)."""
        obj = errors.obj(name or "body", raw) or {}
        prefix = name

        def f(key: str) -> str:
            return f"{prefix}.{key}" if prefix else key

        if kind == "emails":
            out: dict[str, Any] = {"email": errors.email(f("email"), obj.get("email"))}
            if company:
                out["emailAddressTypeId"] = errors.string(f("emailAddressTypeId"), obj.get("emailAddressTypeId"))
            else:
                out["type"] = errors.choice(f("type"), obj.get("type"), CARD_EMAIL_TYPES) or "work"
        elif kind == "phones":
            out = {"number": errors.string(f("number"), obj.get("number"), required=True)}
            out["type"] = errors.choice(f("type"), obj.get("type"), PHONE_TYPES) or "work"
        else:
            out = {} if company else {"addressTypeId": errors.string(f("addressTypeId"), obj.get("addressTypeId"))}
            out |= {k: errors.string(f(k), obj.get(k)) for k in ("street", "zip", "city", "region")}
            out["country"] = errors.country(f("country"), obj.get("country"))
        out["__favorite"] = errors.boolean(f("isFavorite"), obj.get("isFavorite"))
        out["__id"] = obj.get("id") if isinstance(obj.get("id"), str) else None
        return out

    def _card_values(self, raw: Any, errors: Errors) -> dict[str, Any]:
        body = errors.obj("body", raw) or {}
        out: dict[str, Any] = {
            "isFavorite": errors.boolean("isFavorite", body.get("isFavorite")),
            "isPrivate": bool(errors.boolean("isPrivate", body.get("isPrivate"))),
        }
        out |= {k: errors.string(k, body.get(k)) for k in ("companyName", "position", "department")}
        for kind in ("emails", "phones", "addresses"):
            out[kind] = [
                self._entry_values(kind, f"{kind}[{i}]", item, errors, company=False)
                for i, item in enumerate(errors.array(kind, body.get(kind)))
            ]
        return out

    def _fill_entries(
        self, target: list[Entry], values: list[dict[str, Any]], old: list[Entry], policy: Policy
    ) -> None:
        """Write a whole entry list as creating its entries in order; known ids keep their id."""
        known = {e.id: e for e in old}
        for item in values:
            item = dict(item)
            flag, given_id = item.pop("__favorite"), item.pop("__id")
            previous = known.pop(given_id, None) if given_id else None
            entry = Entry(
                previous.id if previous else self.new_id(), item, False, previous.seq if previous else self._next_seq()
            )
            fav_insert(target, entry, flag, policy)

    def validate_card(self, raw: Any) -> None:
        """`POST /people/business-cards/validate`."""
        with self.lock:
            errors = Errors()
            self._card_values(raw, errors)
            errors.raise_if_any()

    def create_card(self, person_id: str, raw: Any) -> dict[str, Any]:
        """`POST /people/{peopleId}/business-cards`: rule 1 and 3; nested lists as creates in order."""
        with self.lock:
            person = self.person(person_id)
            errors = Errors()
            values = self._card_values(raw, errors)
            errors.raise_if_any()
            now = self.clock.tick()
            card = Card(self.new_id(), person.id, self._next_seq(), {}, False, now, now)
            self._apply_card(card, values)
            card_fav_create(person.cards, card, values["isFavorite"])
            self.cards[card.id] = card
            person.modified = now
            return self.card_json(card)

    def _apply_card(self, card: Card, values: dict[str, Any]) -> None:
        card.data = {k: values[k] for k in ("isPrivate", "companyName", "position", "department")}
        for kind in ("emails", "phones", "addresses"):
            old: list[Entry] = getattr(card, kind)
            new: list[Entry] = []
            self._fill_entries(new, values[kind], old, Policy.CARD_ENTRY)
            setattr(card, kind, new)

    def update_card(self, person_id: str, card_id: str, raw: Any) -> dict[str, Any]:
        """`PUT /people/{peopleId}/business-cards/{cardId}`: full replace; rule 2 and 3."""
        with self.lock:
            card = self.card(card_id, person_id)
            errors = Errors()
            values = self._card_values(raw, errors)
            if values["isPrivate"] and card.company_id is not None:
                errors.add("isPrivate", "private_card_company")
            errors.raise_if_any()
            self._apply_card(card, values)
            card_fav_update(self.people[person_id].cards, card, values["isFavorite"])
            self._touch_card(card)
            return self.card_json(card)

    def _touch_card(self, card: Card) -> None:
        now = self.clock.tick()
        card.modified = now
        self.people[card.people_id].modified = now

    def delete_cards(self, person_id: str, ids: Sequence[str]) -> None:
        """Delete cards of a person (all must exist); rule 4: no new favourite card."""
        with self.lock:
            cards = [self.card(card_id, person_id) for card_id in ids]
            person = self.people[person_id]
            for card in cards:
                if card in person.cards:
                    person.cards.remove(card)
                    self.cards.pop(card.id, None)
            person.modified = self.clock.tick()

    def connect_card(self, person_id: str, card_id: str, raw: Any) -> dict[str, Any]:
        """`PUT …/business-cards/{cardId}/company`: `{"companyId": id | null}`; private cards → 400."""
        with self.lock:
            card = self.card(card_id, person_id)
            errors = Errors()
            body = errors.obj("body", raw) or {}
            company_id = errors.string("companyId", body.get("companyId"))
            errors.raise_if_any()
            if company_id is not None:
                company = self.company(company_id)
                if card.data["isPrivate"]:
                    raise CobraError(
                        400, "private_card_company", errors=[FieldError("companyId", "private_card_company")]
                    )
                card.data["companyName"] = company.data["name"]
            elif card.company_id is not None:
                card.data["companyName"] = self._card_company_name(card)  # the name stays as free text
            card.company_id = company_id
            self._touch_card(card)
            return self.card_json(card)

    def card_address(
        self, person_id: str, card_id: str, address_id: str | None, raw: Any, *, delete: bool = False
    ) -> dict[str, Any]:
        """Create (no `address_id`), update or delete an address of a card (rules 5-7); the card's JSON."""
        with self.lock:
            card = self.card(card_id, person_id)
            entry = None
            if address_id is not None:
                entry = next((a for a in card.addresses if a.id == address_id), None)
                if entry is None:
                    raise not_found("address", address_id)
            if delete and entry is not None:
                fav_delete(card.addresses, entry, Policy.CARD_ENTRY)
            else:
                errors = Errors()
                values = self._entry_values("addresses", "", raw, errors, company=False)
                errors.raise_if_any()
                flag = values.pop("__favorite")
                values.pop("__id")
                if entry is None:
                    entry = Entry(self.new_id(), values, False, self._next_seq())
                    fav_insert(card.addresses, entry, flag, Policy.CARD_ENTRY)
                else:
                    entry.data = values
                    fav_update(card.addresses, entry, flag, Policy.CARD_ENTRY)
            self._touch_card(card)
            return self.card_json(card)

    def _card_company_name(self, card: Card) -> str | None:
        if card.company_id is not None and card.company_id in self.companies:
            name: str = self.companies[card.company_id].data["name"]
            return name
        value: str | None = card.data["companyName"]
        return value

    def card_json(self, card: Card) -> dict[str, Any]:
        """The card read model (cobra.md §7.1)."""
        return {
            "id": card.id,
            "peopleId": card.people_id,
            "isFavorite": card.is_favorite,
            "isPrivate": card.data["isPrivate"],
            "companyId": card.company_id,
            "companyName": self._card_company_name(card),
            "position": card.data["position"],
            "department": card.data["department"],
            "emails": [e.to_json() for e in card.emails],
            "phones": [p.to_json() for p in card.phones],
            "addresses": [a.to_json() for a in card.addresses],
            "dateCreate": iso(card.created),
            "dateModified": iso(card.modified),
        }

    def vcard(self, person_id: str, card_id: str) -> tuple[str, str]:
        """The card as vCard 3.0 (CRLF lines, folded at 75 octets) and its file name "Last_First.vcf"."""
        with self.lock:
            card = self.card(card_id, person_id)
            d = self.people[person_id].data
            first, last, title = d["firstname"] or "", d["lastname"] or "", d["title"] or ""
            lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{_v(last)};{_v(first)};;{_v(title)};"]
            full = " ".join(p for p in (title, first, last) if p) or (self._card_company_name(card) or "")
            lines.append(f"FN:{_v(full)}")
            company = self._card_company_name(card)
            if company or card.data["department"]:
                lines.append(
                    f"ORG:{_v(company or '')}" + (f";{_v(card.data['department'])}" if card.data["department"] else "")
                )
            if card.data["position"]:
                lines.append(f"TITLE:{_v(card.data['position'])}")
            tel_types = {"work": "WORK", "home": "HOME", "mobile": "CELL", "fax": "FAX", "other": "VOICE"}
            for p in card.phones:
                kinds = [tel_types[p.data["type"]]] + (["PREF"] if p.is_favorite else [])
                lines.append(f"TEL;TYPE={','.join(kinds)}:{_v(p.data['number'])}")
            for e in card.emails:
                kinds = ["INTERNET"] + ([e.data["type"].upper()] if e.data["type"] != "other" else [])
                kinds += ["PREF"] if e.is_favorite else []
                lines.append(f"EMAIL;TYPE={','.join(kinds)}:{_v(e.data['email'])}")
            for a in card.addresses:
                kinds = ["HOME" if card.data["isPrivate"] else "WORK"] + (["PREF"] if a.is_favorite else [])
                parts = [a.data[k] or "" for k in ("street", "city", "region", "zip", "country")]
                lines.append(f"ADR;TYPE={','.join(kinds)}:;;" + ";".join(_v(p) for p in parts))
            if d["birthday"]:
                day = date.fromisoformat(d["birthday"]["birthday"])
                lines.append(
                    "BDAY:"
                    + (day.isoformat() if d["birthday"]["considerBirthYear"] else f"--{day.month:02d}-{day.day:02d}")
                )
            lines.append("END:VCARD")
            name = "_".join(ascii_name(p) for p in (last, first) if ascii_name(p)) or card.id
            return name + ".vcf", "".join(_fold(line) + "\r\n" for line in lines)

    # -- companies ---------------------------------------------------------------------------------------------

    def _company_values(self, raw: Any, errors: Errors, *, create: bool) -> dict[str, Any]:
        body = errors.obj("body", raw) or {}
        out: dict[str, Any] = {"name": errors.string("name", body.get("name"), required=True)}
        out |= {k: errors.string(k, body.get(k), limit=2000 if k == "website" else MAX_TEXT) for k in COMPANY_STRINGS}
        domain = errors.string("domain", body.get("domain"))
        out["domain"] = normalize_domain(domain) or None if domain is not None else None
        for key, name in (
            ("legalForm", "legal-forms"),
            ("numberOfEmployees", "number-of-employees"),
            ("lifecycle", "lifecycles"),
        ):
            value = body.get(key)
            out[key] = self.tags("companies", name).parse(key, value, errors) if value is not None else None
        out["industrySectors"] = self.tags("companies", "industry-sectors").parse_many(
            "industrySectors", body.get("industrySectors"), errors
        )
        out["tags"] = self.tags("companies", "tags").parse_many("tags", body.get("tags"), errors)
        if create:
            out["note"] = errors.string("note", body.get("note"), limit=None)
            for kind in ("phones", "emails", "addresses"):
                out[kind] = [
                    self._entry_values(kind, f"{kind}[{i}]", item, errors, company=True)
                    for i, item in enumerate(errors.array(kind, body.get(kind)))
                ]
        return out

    def _commit_company(self, values: dict[str, Any]) -> dict[str, Any]:
        out = {k: values[k] for k in ("name", *COMPANY_STRINGS, "domain")}
        for key, name in (
            ("legalForm", "legal-forms"),
            ("numberOfEmployees", "number-of-employees"),
            ("lifecycle", "lifecycles"),
        ):
            out[key] = self.tags("companies", name).commit(values[key])
        out["industrySectors"] = self.tags("companies", "industry-sectors").commit_many(values["industrySectors"])
        out["tags"] = self.tags("companies", "tags").commit_many(values["tags"])
        return out

    def validate_company(self, raw: Any) -> dict[str, Any]:
        """`POST /companies/validate`: 400, or the read model it would create (id and stamps null)."""
        with self.lock:
            errors = Errors()
            values = self._company_values(raw, errors, create=True)
            errors.raise_if_any()
            d = {k: values[k] for k in ("name", *COMPANY_STRINGS, "domain")}
            preview: dict[str, Any] = {"id": None, **d}
            for key, name in (
                ("legalForm", "legal-forms"),
                ("numberOfEmployees", "number-of-employees"),
                ("lifecycle", "lifecycles"),
            ):
                preview[key] = _ref_json(self.tags("companies", name), values[key])
            preview["industrySectors"] = [
                _ref_json(self.tags("companies", "industry-sectors"), r) for r in values["industrySectors"]
            ]
            preview["tags"] = [_ref_json(self.tags("companies", "tags"), r) for r in values["tags"]]
            preview["note"] = values["note"]
            for kind in ("phones", "emails", "addresses"):
                entries: list[Entry] = []
                for i, item in enumerate(values[kind]):
                    data = {k: v for k, v in item.items() if not k.startswith("__")}
                    fav_insert(entries, Entry("", data, False, i), item["__favorite"], Policy.COMPANY_ENTRY)
                preview[kind] = [{k: v for k, v in e.to_json().items() if k != "id"} | {"id": None} for e in entries]
            return preview | {"dateCreate": None, "dateModified": None}

    def create_company(self, raw: Any) -> dict[str, Any]:
        """`POST /companies`; initial phones/e-mails/addresses follow §8.3 as creates in order."""
        with self.lock:
            errors = Errors()
            values = self._company_values(raw, errors, create=True)
            errors.raise_if_any()
            now = self.clock.tick()
            rec = Company(self.new_id(), self._next_seq(), self._commit_company(values), now, now)
            rec.data["note"] = values["note"]
            for kind in ("phones", "emails", "addresses"):
                self._fill_entries(getattr(rec, kind), values[kind], [], Policy.COMPANY_ENTRY)
            self.companies[rec.id] = rec
            return self.company_json(rec)

    def update_company(self, company_id: str, raw: Any) -> dict[str, Any]:
        """`PUT /companies/{id}`: replaces the top-level fields; note and the nested lists stay."""
        with self.lock:
            rec = self.company(company_id)
            errors = Errors()
            values = self._company_values(raw, errors, create=False)
            errors.raise_if_any()
            rec.data = self._commit_company(values) | {"note": rec.data.get("note")}
            rec.modified = self.clock.tick()
            return self.company_json(rec)

    def delete_companies(self, ids: Sequence[str]) -> None:
        """Permanent delete (all ids must exist); connected cards keep the name as free text, touchpoints lose
        the reference."""
        with self.lock:
            for company_id in ids:
                self.company(company_id)
            for company_id in ids:
                rec = self.companies.pop(company_id, None)
                if rec is None:
                    continue
                for card in self.cards.values():
                    if card.company_id == company_id:
                        card.company_id = None
                        card.data["companyName"] = rec.data["name"]
                        self._touch_card(card)
                for tp in self.touchpoints.values():
                    if company_id in tp.data["companies"]:
                        tp.data["companies"].remove(company_id)
                        tp.modified = self.clock.tick()

    def company_by_domain(self, domain: str) -> dict[str, Any]:
        """`GET /companies/domain/{domain}`: the oldest company with that (normalised) domain."""
        with self.lock:
            wanted = normalize_domain(domain)
            for rec in self.companies.values():
                if rec.data["domain"] == wanted:
                    return self.company_json(rec)
            raise not_found("company", domain)

    def set_company_field(self, company_id: str, name: str, raw: Any) -> dict[str, Any]:
        """`PUT /companies/{id}/note|tags|lifecycle`."""
        with self.lock:
            rec = self.company(company_id)
            errors = Errors()
            value: Any
            if name == "note":
                value = errors.string("note", (errors.obj("body", raw) or {}).get("note"), limit=None)
            elif name == "tags":
                tags = self.tags("companies", "tags")
                refs = tags.parse_many("tags", raw, errors)
                errors.raise_if_any()
                value = tags.commit_many(refs)
            else:
                value = errors.string("id", (errors.obj("body", raw) or {}).get("id"))
                if value is not None and value not in self.tags("companies", "lifecycles").items:
                    errors.add("id", "unknown_id", id=value)
            errors.raise_if_any()
            rec.data[name] = value
            rec.modified = self.clock.tick()
            return self.company_json(rec)

    def bulk_tags(self, owner: str, raw: Any, *, add: bool) -> None:
        """`POST|DELETE /companies/tags/bulk` and `/touchpoints/tags/bulk` (cobra.md §8.2, §9.2)."""
        with self.lock:
            ids_key = "companyIds" if owner == "companies" else "touchpointsIds"
            tags_key = ("tags" if owner == "companies" else "orgaTags") if add else "tagIds"
            tags = self.tags(owner, "tags")
            errors = Errors()
            body = errors.obj("body", raw) or {}
            ids = [
                errors.string(f"{ids_key}[{i}]", v, required=True)
                for i, v in enumerate(errors.array(ids_key, body.get(ids_key)))
            ]
            if not ids:
                errors.add(ids_key, "min_items", min=1)
            refs: list[TagRef] = []
            tag_ids: list[str | None] = []
            if add:
                refs = tags.parse_many(tags_key, body.get(tags_key), errors)
                if not body.get(tags_key):
                    errors.add(tags_key, "min_items", min=1)
            else:
                tag_ids = [
                    errors.string(f"{tags_key}[{i}]", v, required=True)
                    for i, v in enumerate(errors.array(tags_key, body.get(tags_key)))
                ]
                if not tag_ids:
                    errors.add(tags_key, "min_items", min=1)
            errors.raise_if_any()
            table: Mapping[str, Record] = self.companies if owner == "companies" else self.touchpoints
            records = []
            for record_id in ids:
                assert record_id is not None
                if record_id not in table:
                    raise not_found("company" if owner == "companies" else "touchpoint", record_id)
                records.append(table[record_id])
            for tag_id in tag_ids:
                if tag_id is not None and tag_id not in tags.items:
                    raise not_found("tag", tag_id)
            key = "tags" if owner == "companies" else "orgaTags"
            new = tags.commit_many(refs)
            for rec in records:
                before = list(rec.data[key])
                if add:
                    rec.data[key] = before + [t for t in new if t not in before]
                else:
                    rec.data[key] = [t for t in before if t not in tag_ids]
                if rec.data[key] != before:
                    rec.modified = self.clock.tick()

    def company_entries(
        self, company_id: str, kind: str, entry_id: str | None, raw: Any, *, mode: str
    ) -> dict[str, Any]:
        """Company phones/e-mails/addresses: mode "create" (array, or one object for addresses), "update" (one),
        "update_many" (array with ids), "delete"; §8.3 favourite rules; the company's JSON."""
        with self.lock:
            rec = self.company(company_id)
            items: list[Entry] = getattr(rec, kind)
            entity = {"phones": "phone", "emails": "email", "addresses": "address"}[kind]

            def find(eid: str) -> Entry:
                found = next((e for e in items if e.id == eid), None)
                if found is None:
                    raise not_found(entity, eid)
                return found

            errors = Errors()
            if mode == "delete":
                assert entry_id is not None
                fav_delete(items, find(entry_id), Policy.COMPANY_ENTRY)
            elif mode == "update":
                assert entry_id is not None
                entry = find(entry_id)
                values = self._entry_values(kind, "", raw, errors, company=True)
                errors.raise_if_any()
                self._update_entry(items, entry, values)
            else:
                many = mode == "update_many" or isinstance(raw, list) or kind != "addresses"
                raws = errors.array("body", raw) if many else [raw]
                if many and not raws and not errors.items:
                    errors.add("body", "min_items", min=1)
                parsed = [
                    self._entry_values(kind, f"[{i}]" if many else "", r, errors, company=True)
                    for i, r in enumerate(raws)
                ]
                targets: list[Entry] = []
                if mode == "update_many":
                    for i, values in enumerate(parsed):
                        if values["__id"] is None:
                            errors.add(f"[{i}].id", "required")
                errors.raise_if_any()
                if mode == "update_many":
                    targets = [find(v["__id"]) for v in parsed]
                    for entry, values in zip(targets, parsed, strict=True):
                        self._update_entry(items, entry, values)
                else:
                    for values in parsed:
                        data = {k: v for k, v in values.items() if not k.startswith("__")}
                        fav_insert(
                            items,
                            Entry(self.new_id(), data, False, self._next_seq()),
                            values["__favorite"],
                            Policy.COMPANY_ENTRY,
                        )
            rec.modified = self.clock.tick()
            return self.company_json(rec)

    @staticmethod
    def _update_entry(items: list[Entry], entry: Entry, values: dict[str, Any]) -> None:
        entry.data = {k: v for k, v in values.items() if not k.startswith("__")}
        fav_update(items, entry, values["__favorite"], Policy.COMPANY_ENTRY)

    def validate_entry(self, kind: str, raw: Any) -> None:
        """`POST /companies/phones|addresses/validate`."""
        with self.lock:
            errors = Errors()
            self._entry_values(kind, "", raw, errors, company=True)
            errors.raise_if_any()

    def company_json(self, rec: Company) -> dict[str, Any]:
        """The company read model (cobra.md §8.1)."""
        d = rec.data
        out: dict[str, Any] = {
            "id": rec.id,
            "name": d["name"],
            "name2": d["name2"],
            "domain": d["domain"],
            "website": d["website"],
            "customerNumber": d["customerNumber"],
        }
        out["legalForm"] = self.tags("companies", "legal-forms").json(d["legalForm"])
        out["industrySectors"] = self.tags("companies", "industry-sectors").json_many(d["industrySectors"])
        out["numberOfEmployees"] = self.tags("companies", "number-of-employees").json(d["numberOfEmployees"])
        out["tags"] = self.tags("companies", "tags").json_many(d["tags"])
        out["lifecycle"] = self.tags("companies", "lifecycles").json(d["lifecycle"])
        out["note"] = d.get("note")
        out["phones"] = [e.to_json() for e in rec.phones]
        out["emails"] = [e.to_json() for e in rec.emails]
        out["addresses"] = [e.to_json() for e in rec.addresses]
        return out | {"dateCreate": iso(rec.created), "dateModified": iso(rec.modified)}

    # -- touchpoints -------------------------------------------------------------------------------------------

    def _touchpoint_values(self, raw: Any, errors: Errors) -> dict[str, Any]:
        body = errors.obj("body", raw) or {}
        out: dict[str, Any] = {
            "type": errors.choice("type", body.get("type"), TOUCHPOINT_TYPES, required=True),
            "channel": errors.choice("channel", body.get("channel"), CHANNELS),
            "subject": errors.string("subject", body.get("subject"), required=True),
            "text": errors.string("text", body.get("text"), limit=None),
            "direction": errors.choice("direction", body.get("direction"), DIRECTIONS),
            "priority": errors.choice("priority", body.get("priority"), PRIORITIES) or "normal",
            "mood": errors.choice("mood", body.get("mood"), MOODS),
        }
        when = errors.string("date", body.get("date"), required=True)
        out["date"] = None
        if when is not None:
            try:
                out["date"] = parse_when(when)
            except ValueError:
                errors.add("date", "datetime")
        for key in ("people", "companies"):
            refs = []
            for i, item in enumerate(errors.array(key, body.get(key))):
                obj = errors.obj(f"{key}[{i}]", item)
                ref = errors.string(f"{key}[{i}].id", obj.get("id"), required=True) if obj is not None else None
                if ref is not None:
                    refs.append(ref)
            out[key] = _dedupe(refs)
        if not out["people"] and not any(e.field.startswith("people") for e in errors.items):
            errors.add("people", "min_items", min=1)
        out["orgaTags"] = self.tags("touchpoints", "tags").parse_many("orgaTags", body.get("orgaTags"), errors)
        turnover = errors.obj("turnover", body.get("turnover"))
        out["turnover"] = None
        if turnover is not None:
            amount = turnover.get("amount")
            if not isinstance(amount, int | float) or isinstance(amount, bool):
                errors.add("turnover.amount", "type_number")
            currency = errors.string("turnover.currency", turnover.get("currency"), required=True)
            if currency is not None and not _CURRENCY.fullmatch(currency):
                errors.add("turnover.currency", "currency_invalid")
            out["turnover"] = {"amount": amount, "currency": currency}
        if out["type"] == "turnover" and turnover is None:
            errors.add("turnover", "turnover_required")
        elif out["type"] not in (None, "turnover") and turnover is not None:
            errors.add("turnover", "turnover_forbidden")
        errors.raise_if_any()
        for person_id in out["people"]:
            self.person(person_id)
        for company_id in out["companies"]:
            self.company(company_id)
        return out

    def validate_touchpoint(self, raw: Any) -> dict[str, Any]:
        """`POST /touchpoints/validate`: 400/404, or the read model it would create (id and stamps null)."""
        with self.lock:
            values = self._touchpoint_values(raw, Errors())
            preview = self._touchpoint_dict(None, values, [], None, None)
            preview["orgaTags"] = [_ref_json(self.tags("touchpoints", "tags"), r) for r in values["orgaTags"]]
            return preview

    def write_touchpoint(self, touchpoint_id: str | None, raw: Any) -> dict[str, Any]:
        """`POST /touchpoints` (id None) or `PUT /touchpoints/{id}` (replace; documents stay)."""
        with self.lock:
            rec = self.touchpoint(touchpoint_id) if touchpoint_id is not None else None
            values = self._touchpoint_values(raw, Errors())
            values["orgaTags"] = self.tags("touchpoints", "tags").commit_many(values["orgaTags"])
            now = self.clock.tick()
            if rec is None:
                rec = Record(self.new_id(), self._next_seq(), values | {"documents": []}, now, now)
                self.touchpoints[rec.id] = rec
            else:
                rec.data = values | {"documents": rec.data["documents"]}
                rec.modified = now
            return self.touchpoint_json(rec)

    def delete_touchpoints(self, ids: Sequence[str]) -> None:
        """Permanent delete (all ids must exist)."""
        with self.lock:
            for touchpoint_id in ids:
                self.touchpoint(touchpoint_id)
            for touchpoint_id in ids:
                self.touchpoints.pop(touchpoint_id, None)

    def remove_touchpoint_person(self, touchpoint_id: str, person_id: str) -> dict[str, Any]:
        """`DELETE /touchpoints/{id}/people/{peopleId}`: not involved → 404; the last one → 400."""
        with self.lock:
            rec = self.touchpoint(touchpoint_id)
            if person_id not in rec.data["people"]:
                raise CobraError(404, "not_involved", {"id": person_id})
            if len(rec.data["people"]) == 1:
                raise CobraError(400, "last_person", errors=[FieldError("people", "last_person")])
            rec.data["people"].remove(person_id)
            rec.modified = self.clock.tick()
            return self.touchpoint_json(rec)

    def set_touchpoints(self, ids: Sequence[str], name: str, raw_value: Any, *, field_name: str) -> None:
        """`PUT /touchpoints/{id}/priority|mood` and `PUT /touchpoints/priority`."""
        with self.lock:
            errors = Errors()
            if name == "priority":
                value = errors.choice(field_name, raw_value, PRIORITIES, required=True)
            else:
                value = errors.choice(field_name, raw_value, MOODS)
            errors.raise_if_any()
            records = [self.touchpoint(i) for i in ids]
            for rec in records:
                if rec.data[name] != value:
                    rec.data[name] = value
                    rec.modified = self.clock.tick()

    def move_touchpoints(self, raw: Any) -> None:
        """`PUT /touchpoints/move`: each touchpoint must involve `fromPeopleId` (else 404)."""
        with self.lock:
            errors = Errors()
            body = errors.obj("body", raw) or {}
            source = errors.string("fromPeopleId", body.get("fromPeopleId"), required=True)
            target = errors.string("toPeopleId", body.get("toPeopleId"), required=True)
            ids = [
                errors.string(f"touchpointIds[{i}]", v, required=True)
                for i, v in enumerate(errors.array("touchpointIds", body.get("touchpointIds")))
            ]
            if not ids:
                errors.add("touchpointIds", "min_items", min=1)
            errors.raise_if_any()
            assert source is not None and target is not None
            self.person(source)
            self.person(target)
            records = [self.touchpoint(i or "") for i in ids]
            for rec in records:
                if source not in rec.data["people"]:
                    raise CobraError(404, "not_involved", {"id": source})
            for rec in records:
                rec.data["people"] = _dedupe([target if p == source else p for p in rec.data["people"]])
                rec.modified = self.clock.tick()

    def _touchpoint_dict(
        self,
        rec_id: str | None,
        d: Mapping[str, Any],
        tags: list[dict[str, str]],
        created: datetime | None,
        modified: datetime | None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"id": rec_id}
        out |= {k: d[k] for k in ("type", "channel", "subject", "text")}
        out["date"] = iso(d["date"])
        out |= {k: d[k] for k in ("direction", "priority", "mood")}
        out["people"] = [{"id": p} for p in d["people"]]
        out["companies"] = [{"id": c} for c in d["companies"]]
        out["orgaTags"] = tags
        out["turnover"] = dict(d["turnover"]) if d["turnover"] else None
        out["documents"] = [dict(x) for x in d.get("documents", [])]
        return out | {"dateCreate": iso(created), "dateModified": iso(modified)}

    def touchpoint_json(self, rec: Record) -> dict[str, Any]:
        """The touchpoint read model (cobra.md §9.1)."""
        tags = self.tags("touchpoints", "tags").json_many(rec.data["orgaTags"])
        return self._touchpoint_dict(rec.id, rec.data, tags, rec.created, rec.modified)

    # -- tenant list management --------------------------------------------------------------------------------

    def list_entries(self, owner: str, name: str) -> list[dict[str, str]]:
        """A tenant list as `[{id, text}]`."""
        with self.lock:
            return self.tags(owner, name).json_many(self.tags(owner, name).items)

    def add_list_entries(self, owner: str, name: str, raw: Any) -> list[dict[str, str]]:
        """`POST /{owner}/management/{name}`: body array of `{"text"}`; existing texts are reused."""
        with self.lock:
            errors = Errors()
            texts = [
                errors.string(f"[{i}].text", (errors.obj(f"[{i}]", item) or {}).get("text"), required=True)
                for i, item in enumerate(errors.array("body", raw))
            ]
            if not texts and not errors.items:
                errors.add("body", "min_items", min=1)
            errors.raise_if_any()
            tags = self.tags(owner, name)
            return tags.json_many(_dedupe([tags.ensure(t or "") for t in texts]))

    def delete_list_entries(self, owner: str, name: str, ids: Sequence[str]) -> None:
        """Delete tenant-list entries (all must exist); records carrying one lose it (and are modified)."""
        with self.lock:
            tags = self.tags(owner, name)
            for tag_id in ids:
                if tag_id not in tags.items:
                    raise not_found("tag", tag_id)
            gone = set(ids)
            for tag_id in ids:
                tags.items.pop(tag_id, None)
            records: list[Record] = [*self.people.values(), *self.companies.values(), *self.touchpoints.values()]
            for rec in records:
                changed = False
                for key, value in rec.data.items():
                    if isinstance(value, list) and any(isinstance(v, str) and v in gone for v in value):
                        rec.data[key] = [v for v in value if v not in gone]
                        changed = True
                    elif (
                        isinstance(value, str)
                        and value in gone
                        and key in ("lifecycle", "legalForm", "numberOfEmployees")
                    ):
                        rec.data[key] = None
                        changed = True
                if changed:
                    rec.modified = self.clock.tick()

    # -- seeding -----------------------------------------------------------------------------------------------

    def seed_companies(self, k: int) -> list[str]:
        """Add `k` realistic companies (German and British) with a phone, an e-mail and an address; ids."""
        with self.lock:
            ids = []
            for _ in range(k):
                c = self._fake.company()
                legal = next((f for f in _PRESETS[("companies", "legal-forms")] if c.name.endswith(f)), None)
                body = {
                    "name": c.name,
                    "domain": c.domain,
                    "website": c.homepage,
                    "customerNumber": f"K-{self._rng.randint(10000, 99999)}" if self._rng.random() < 0.5 else None,
                    "legalForm": {"id": None, "text": legal} if legal else None,
                    "industrySectors": [{"id": None, "text": c.industry}],
                    "numberOfEmployees": {
                        "id": None,
                        "text": self._rng.choice(_PRESETS[("companies", "number-of-employees")]),
                    },
                    "tags": [{"id": None, "text": "A-Kunde"}] if self._rng.random() < 0.2 else [],
                    "phones": [{"number": c.phone, "type": "work"}],
                    "emails": [{"email": c.email}],
                    "addresses": [
                        {
                            "street": f"{c.street} {c.house}",
                            "zip": c.zip,
                            "city": c.town,
                            "region": c.state,
                            "country": c.country,
                        }
                    ],
                }
                ids.append(self.create_company(body)["id"])
            return ids

    def seed_people(self, n: int, *, companies: int = 0, touchpoints: int = 0) -> list[str]:
        """Add `companies` companies, then `n` people (about two in three with a work card connected to a random
        company, some with a private card), then `touchpoints` touchpoints on random seeded people; person ids."""
        with self.lock:
            pool = self.seed_companies(companies) if companies else list(self.companies)
            ids: list[str] = []
            for _ in range(n):
                employer = self.companies[self._rng.choice(pool)] if pool and self._rng.random() < 0.67 else None
                p = self._fake.person(work_domain=employer.data["domain"] if employer else None)
                salutation = {"f": "Frau", "m": "Herr"}.get(p.gender) if p.locale == "de" else None
                if p.locale != "de":
                    salutation = {"f": "Ms", "m": "Mr"}.get(p.gender)
                body: dict[str, Any] = {
                    "salutation": salutation,
                    "title": p.title,
                    "firstname": p.first_name,
                    "lastname": p.last_name,
                    "birthday": {"birthday": p.birthday.isoformat(), "considerBirthYear": True} if p.birthday else None,
                    "customerNumber": f"P-{self._rng.randint(10000, 99999)}" if self._rng.random() < 0.3 else None,
                    "orgaTags": [{"id": None, "text": "Messe 2024"}] if self._rng.random() < 0.2 else [],
                }
                person_id = self.create_people([body])[0]["id"]
                address = (
                    [
                        {
                            "street": f"{p.street} {p.house}",
                            "zip": p.zip,
                            "city": p.town,
                            "region": p.state,
                            "country": p.country,
                        }
                    ]
                    if p.street
                    else []
                )
                if employer is not None:
                    phones = [{"number": p.telephone, "type": "work"}] if p.telephone else []
                    phones += [{"number": p.mobile, "type": "mobile"}] if p.mobile else []
                    card = self.create_card(
                        person_id,
                        {
                            "position": p.position,
                            "department": None,
                            "isPrivate": False,
                            "emails": [{"email": p.email, "type": "work"}] if p.email else [],
                            "phones": phones,
                            "addresses": [a.data | {"addressTypeId": None} for a in employer.addresses[:1]],
                        },
                    )
                    self.connect_card(person_id, card["id"], {"companyId": employer.id})
                if employer is None or p.email_private:
                    phones = [{"number": p.mobile, "type": "mobile"}] if p.mobile and employer is None else []
                    phones += [{"number": p.telephone, "type": "home"}] if p.telephone and employer is None else []
                    self.create_card(
                        person_id,
                        {
                            "isPrivate": True,
                            "emails": [{"email": p.email_private, "type": "home"}] if p.email_private else [],
                            "phones": phones,
                            "addresses": address,
                        },
                    )
                ids.append(person_id)
            seeded = ids or list(self.people)
            for _ in range(touchpoints if seeded else 0):
                person = self.people[self._rng.choice(seeded)]
                work_card = next((c for c in person.cards if c.company_id), None)
                kind = self._rng.choice(("note", "call", "email", "meeting"))
                when = self.clock.now().replace(microsecond=0) - timedelta(days=self._rng.randint(1, 400))
                self.write_touchpoint(
                    None,
                    {
                        "type": kind,
                        "channel": {"call": "phone", "email": "email", "meeting": "personal"}.get(kind),
                        "subject": self._rng.choice(
                            (
                                "Angebot besprochen",
                                "Rückruf vereinbart",
                                "Messegespräch",
                                "Follow-up",
                                "Quarterly review",
                            )
                        ),
                        "text": None,
                        "date": when.isoformat(),
                        "priority": "normal",
                        "people": [{"id": person.id}],
                        "companies": [{"id": work_card.company_id}] if work_card else [],
                    },
                )
            return ids


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _dedupe(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _ref_json(tags: TagList, ref: TagRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    if ref.id is not None:
        return tags.json(ref.id)
    found = tags.find(ref.text or "")
    return {"id": found, "text": tags.items[found] if found else ref.text}


def _v(text: str) -> str:
    """A vCard 3.0 text value escaped (RFC 2426 §4: backslash, comma, semicolon, newline)."""
    return (
        text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 2425 §5.8.1) without splitting a UTF-8 sequence."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return "\r\n ".join(out)


def parse_instant(text: str) -> datetime:
    """A query date-time (`modifiedSince`): ISO 8601, any offset, naive = UTC, a bare date = its midnight UTC.

    Raises:
        ValueError: When `text` is none.
    """
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return parse_when(text.replace(" ", "+") if re.search(r"\d \d\d:\d\d$", text) else text)
