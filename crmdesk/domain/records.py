"""Immutable records: the one shape every adapter (store, codecs, connectors) converts to and from (DESIGN §2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import os
import random
import time
from dataclasses import dataclass, field

# Ids are unique, not secret: a generator seeded once from the OS (and again in a forked child, which would
# otherwise repeat its parent's sequence) instead of the OS's generator per id — a system call of ~18 µs on this
# VM, three per pulled record.
_ID_BITS = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ID_BITS.seed(os.urandom(32)))


def new_id() -> str:
    """Return a fresh record id: a UUID version 7 (RFC 9562) in its canonical 36-character form.

    Version 7 starts with the time in milliseconds, so ids made one after another sit side by side in every
    index that holds them: bulk inserts append to B-trees instead of touching random pages.
    """
    return uuid7(time.time_ns() // 1_000_000, _ID_BITS.getrandbits(74))


def uuid7(unix_ms: int, rand74: int) -> str:
    """A UUID version 7 in canonical text form from a millisecond timestamp and 74 random bits.

    Formatted by hand: imports and demo data make hundreds of thousands, and uuid.UUID objects cost 5× more.
    """
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand74 >> 62) & 0xFFF) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand74 & ((1 << 62) - 1)  # rand_b: 62 bits
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Entity(enum.StrEnum):
    """The kinds of record the store keeps."""

    PERSON = "person"
    COMPANY = "company"
    TOUCHPOINT = "touchpoint"
    RELATION = "relation"
    TAG = "tag"


class EmailType(enum.StrEnum):
    WORK = "work"
    HOME = "home"
    OTHER = "other"


class PhoneType(enum.StrEnum):
    WORK = "work"
    HOME = "home"
    MOBILE = "mobile"
    FAX = "fax"
    OTHER = "other"


class AddressType(enum.StrEnum):
    WORK = "work"
    HOME = "home"
    POSTAL = "postal"
    OTHER = "other"


class TouchpointType(enum.StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    LETTER = "letter"
    NOTE = "note"
    TASK = "task"
    TURNOVER = "turnover"


class Direction(enum.StrEnum):
    NONE = ""
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Mood(enum.StrEnum):
    NONE = ""
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


@dataclass(frozen=True, slots=True)
class Email:
    """A typed e-mail address; at most one per list is the favourite."""

    address: str
    type: EmailType = EmailType.WORK
    favourite: bool = False


@dataclass(frozen=True, slots=True)
class Phone:
    """A typed phone number, E.164 where it could be parsed (see normalize.normalize_phone)."""

    number: str
    type: PhoneType = PhoneType.WORK
    favourite: bool = False


@dataclass(frozen=True, slots=True)
class Address:
    """A typed postal address; `country` is an ISO 3166-1 alpha-2 code or empty."""

    street: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    type: AddressType = AddressType.WORK
    favourite: bool = False

    def is_empty(self) -> bool:
        return not any((self.street, self.postcode, self.city, self.region, self.country))

    def one_line(self) -> str:
        """The address on one line, as shown in tables and tooltips."""
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (self.street, place, self.region, self.country) if p)


@dataclass(frozen=True, slots=True)
class Birthday:
    """A birthday whose year may be unknown (vCard `--MMDD`)."""

    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        # 2000 is a leap year, so 29 February validates when the year is unknown.
        dt.date(self.year or 2000, self.month, self.day)

    def iso(self) -> str:
        """ISO 8601 form; `--MM-DD` without a year (RFC 6350 §4.3.1)."""
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def parse(cls, text: str) -> Birthday:
        """Parse `1985-04-12`, `19850412`, `--04-12` or `--0412`.

        Raises:
            ValueError: the text is no date of one of those forms.
        """
        t = text.strip()
        if t.startswith("--"):
            digits = t[2:].replace("-", "")
            if len(digits) != 4 or not digits.isdigit():
                raise ValueError(f"not a birthday: {text!r}")
            return cls(month=int(digits[:2]), day=int(digits[2:]))
        digits = t.split("T", 1)[0].replace("-", "")
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(f"not a birthday: {text!r}")
        return cls(year=int(digits[:4]), month=int(digits[4:6]), day=int(digits[6:]))


@dataclass(frozen=True, slots=True)
class BusinessCardRecord:
    """A person's role: at a company (by id and/or name) or private, with its own contact data."""

    id: str = field(default_factory=new_id)
    company_id: str | None = None
    company_name: str = ""
    position: str = ""
    department: str = ""
    private: bool = False
    favourite: bool = False
    emails: tuple[Email, ...] = ()
    phones: tuple[Phone, ...] = ()
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True, slots=True)
class Stamp:
    """Bookkeeping the store sets; never part of a record's content or hash."""

    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    change_seq: int = 0
    deleted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person with their business cards (favourite first once normalised)."""

    id: str = field(default_factory=new_id)
    salutation: str = ""
    title: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    gender: str = ""
    birthday: Birthday | None = None
    notes: str = ""
    lifecycle: str = ""
    photo: bytes | None = None
    tags: tuple[str, ...] = ()
    custom: tuple[tuple[str, str], ...] = ()
    cards: tuple[BusinessCardRecord, ...] = ()
    urls: tuple[str, ...] = ()
    # vCard interchange (DESIGN §8): the UID this person has in other address books (identity, not content), and
    # the properties crmdesk has no field for, each one unfolded content line as read, written back on export.
    vcard_uid: str = ""
    vcard_extra: tuple[str, ...] = ()
    stamp: Stamp = field(default=Stamp(), compare=False)

    @property
    def display_name(self) -> str:
        """The name as a person would say it: "Dr. Ines Brandt"."""
        parts = (self.title, self.first_name, self.middle_name, self.last_name, self.suffix)
        return " ".join(p for p in parts if p)

    @property
    def favourite_card(self) -> BusinessCardRecord | None:
        for card in self.cards:
            if card.favourite:
                return card
        return self.cards[0] if self.cards else None

    def replace(self, **changes: object) -> PersonRecord:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """A company with its own typed contact data."""

    id: str = field(default_factory=new_id)
    name: str = ""
    legal_form: str = ""
    industry: str = ""
    website: str = ""
    notes: str = ""
    logo: bytes | None = None
    tags: tuple[str, ...] = ()
    emails: tuple[Email, ...] = ()
    phones: tuple[Phone, ...] = ()
    addresses: tuple[Address, ...] = ()
    stamp: Stamp = field(default=Stamp(), compare=False)

    def replace(self, **changes: object) -> CompanyRecord:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TouchpointRecord:
    """One entry of the history with people and companies: a call, mail, meeting, note, ..."""

    id: str = field(default_factory=new_id)
    type: TouchpointType = TouchpointType.NOTE
    occurred_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    subject: str = ""
    body: str = ""
    direction: Direction = Direction.NONE
    priority: Priority = Priority.NORMAL
    mood: Mood = Mood.NONE
    person_ids: tuple[str, ...] = ()
    company_id: str | None = None
    tags: tuple[str, ...] = ()
    amount: str = ""  # decimal as text: no float rounding of money
    currency: str = ""
    stamp: Stamp = field(default=Stamp(), compare=False)

    def replace(self, **changes: object) -> TouchpointRecord:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RelationRecord:
    """A person↔person or company↔company relation with a category ("colleague", "subsidiary", ...)."""

    entity: Entity
    from_id: str
    to_id: str
    category: str = ""
    id: str = field(default_factory=new_id)


Record = PersonRecord | CompanyRecord | TouchpointRecord
