"""Realistic, varied sample data: companies, people with business cards, and touchpoints (`crmdesk demo-data`).

Deterministic for a seed, written in batches through Core inserts, so 100,000 people take seconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
from collections.abc import Iterator

from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    EmailType,
    Mood,
    PersonRecord,
    Phone,
    PhoneType,
    Priority,
    TouchpointRecord,
    TouchpointType,
    uuid7,
)
from crmdesk.store import companies, people, search, touchpoints
from crmdesk.store.demo_data import (
    _BRANCHES,
    _BRANDS,
    _COUNTRY_POOL,
    _DEPARTMENTS,
    _INDUSTRIES,
    _LANGUAGE,
    _LIFECYCLES,
    _PERSON_NOTES,
    _POSITIONS,
    _SUBJECTS,
    _TAG_COUNTS,
    _TAGS,
    _TITLES,
    _TP_COUNTS,
    _TP_POOL,
    _TRADES,
    _Country,
)
from crmdesk.store.engine import Store
from crmdesk.tasks import CancelToken, Progress, no_progress

BATCH = 25_000


def _company_name(rnd: _Rng, c: _Country, used: set[str]) -> tuple[str, str]:
    """A fresh company name and its domain stem, unlike the ones in `used`."""
    trades = _TRADES[_LANGUAGE[c.code]]
    for attempt in range(40):
        owner = rnd.choice(_BRANDS) if rnd.random() < 0.45 else rnd.choice(c.last_names)
        trade = rnd.choice(trades)
        stem = f"{owner} {trade}"
        if attempt >= 8:  # crowded: a city or a branch tells them apart, as real companies do
            extra = rnd.choice(c.cities)[0] if attempt < 20 else rnd.choice(_BRANCHES[1:])
            stem = f"{stem} {extra}"
        if attempt >= 30:
            stem = f"{stem} {rnd.choice(c.cities)[0]}"
        if stem not in used:
            used.add(stem)
            return stem, f"{_ascii(owner)}-{_ascii(trade)}"
    stem = f"{stem} {len(used)}"
    used.add(stem)
    return stem, f"{_ascii(owner)}-{len(used)}"


def _pick(rnd: random.Random, pool: tuple[str, ...], k: int) -> tuple[str, ...]:
    """k different items of a small pool (random.sample's ABC checks cost more than the whole pick)."""
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        chosen[rnd.choice(pool)] = None
    return tuple(chosen)


class _Rng(random.Random):
    """The seeded generator, which also makes the ids: the same seed makes the same data, ids included."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._ms = itertools.count(1_767_225_600_000)  # 2026-01-01 in ms; one "millisecond" per id keeps them ordered

    def uuid(self) -> str:
        """A version-7 UUID like new_id() makes."""
        return uuid7(next(self._ms), self.getrandbits(74))


def _phone(rnd: _Rng, c: _Country, *, mobile: bool = False) -> str:
    if c.code == "US":
        return f"+1{rnd.choice(('212', '415', '312', '512', '206'))}555{rnd.randrange(1000, 9999)}"
    if mobile:
        # Ranges phonenumbers knows as valid, so numbers display grouped as real ones do
        de = rnd.choice(("160", "170", "171", "172", "175", "176", "177", "179"))
        gb = rnd.choice(("7712", "7800", "7400"))
        prefix = {"DE": de, "AT": "664", "CH": "79", "GB": gb, "FR": "6", "TR": "532", "PL": "60"}[c.code]
        rest = {"DE": 7, "AT": 7, "CH": 7, "GB": 6, "FR": 8, "TR": 7, "PL": 7}[c.code]
        return f"+{c.calling}{prefix}{rnd.randrange(10 ** (rest - 1), 10**rest)}"
    area = {
        "DE": ("30", "89", "40", "221", "7531", "341", "69", "711"),
        "AT": ("1", "316", "732", "662"),
        "CH": ("44", "31", "61", "21"),
        "GB": ("207", "161", "131", "117", "113"),
        "FR": ("1", "4", "3"),
        "TR": ("212", "312", "232"),
        "PL": ("22", "12", "58", "71"),
    }[c.code]
    a = rnd.choice(area)
    total = {"DE": 10, "AT": 9, "CH": 9, "GB": 10, "FR": 9, "TR": 10, "PL": 9}[c.code]
    n = total - len(a)
    return f"+{c.calling}{a}{rnd.randrange(10 ** (n - 1), 10**n)}"


_ASCII = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ë": "e",
        "ı": "i",
        "ş": "s",
        "ğ": "g",
        "ł": "l",
        "ś": "s",
        "ń": "n",
        "ó": "o",
        "ż": "z",
        "ź": "z",
        "ć": "c",
        "ą": "a",
        "ę": "e",
        "à": "a",
        "'": "",
        "&": "",
        "İ": "i",
    }
)


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower().translate(_ASCII) if ch.isalnum() or ch in ".-")


def _companies(rnd: _Rng, n: int) -> list[tuple[CompanyRecord, _Country]]:
    out = []
    used: set[str] = set()
    domains: set[str] = set()
    for _ in range(n):
        c = rnd.choice(_COUNTRY_POOL)
        stem, domain_stem = _company_name(rnd, c, used)
        legal_form = rnd.choice(c.legal_forms)  # several words in "GmbH & Co. KG", "Sp. z o.o.", "Ltd. Şti."
        name = f"{stem} {legal_form}"
        domain = f"{domain_stem}.{c.tld}"
        if domain in domains:
            domain = f"{domain_stem}-{_ascii(stem.split()[-1])}{len(domains)}.{c.tld}"
        domains.add(domain)
        city, postcode, region = rnd.choice(c.cities)
        rec = CompanyRecord(
            id=rnd.uuid(),
            name=name,
            industry=rnd.choice(_INDUSTRIES),
            legal_form=legal_form,
            website=f"https://www.{domain}",
            tags=_pick(rnd, ("customer", "prospect", "partner", "supplier", "key account"), rnd.randint(0, 2)),
            emails=(Email(f"info@{domain}", EmailType.WORK, True),),
            phones=(Phone(_phone(rnd, c), PhoneType.WORK, True),),
            addresses=(
                Address(
                    street=f"{rnd.choice(c.streets)} {rnd.randint(1, 140)}",
                    postcode=postcode,
                    city=city,
                    region=region,
                    country=c.code,
                    type=AddressType.WORK,
                    favourite=True,
                ),
            ),
            notes=rnd.choice(("", "", "Framework agreement until 2027.", "Pays on 30 days net.")),
        )
        out.append((rec, c))
    return out


def _person(rnd: _Rng, comps: list[tuple[CompanyRecord, _Country]]) -> PersonRecord:
    company, c = rnd.choice(comps)
    if rnd.random() < 0.15:  # someone from elsewhere working there
        c = rnd.choice(_COUNTRY_POOL)
    first = rnd.choice(c.first_names)
    last = rnd.choice(c.last_names)
    domain = company.emails[0].address.split("@", 1)[1]
    local = f"{_ascii(first)}.{_ascii(last)}"
    work = BusinessCardRecord(
        id=rnd.uuid(),
        company_id=company.id,
        company_name=company.name,
        position=rnd.choice(_POSITIONS),
        department=rnd.choice(_DEPARTMENTS),
        favourite=True,
        emails=(Email(f"{local}@{domain}", EmailType.WORK, True),),
        phones=tuple(
            p
            for p in (
                Phone(_phone(rnd, c), PhoneType.WORK, True),
                Phone(_phone(rnd, c, mobile=True), PhoneType.MOBILE, False) if rnd.random() < 0.6 else None,
            )
            if p is not None
        ),
        addresses=company.addresses,
    )
    cards = [work]
    if rnd.random() < 0.2:
        city, postcode, region = rnd.choice(c.cities)
        cards.append(
            BusinessCardRecord(
                id=rnd.uuid(),
                private=True,
                emails=(Email(f"{local}{rnd.randint(1, 99)}@example.{c.tld}", EmailType.HOME, True),),
                phones=(Phone(_phone(rnd, c, mobile=True), PhoneType.MOBILE, True),),
                addresses=(
                    Address(
                        street=f"{rnd.choice(c.streets)} {rnd.randint(1, 90)}",
                        postcode=postcode,
                        city=city,
                        region=region,
                        country=c.code,
                        type=AddressType.HOME,
                        favourite=True,
                    ),
                ),
            )
        )
    birthday = None
    if rnd.random() < 0.5:
        year = rnd.randint(1950, 2002) if rnd.random() < 0.8 else None
        birthday = Birthday(year=year, month=rnd.randint(1, 12), day=rnd.randint(1, 28))
    return PersonRecord(
        id=rnd.uuid(),
        title=rnd.choice(_TITLES),
        first_name=first,
        last_name=last,
        birthday=birthday,
        lifecycle=rnd.choice(_LIFECYCLES),
        tags=tuple(sorted(_pick(rnd, _TAGS, rnd.choice(_TAG_COUNTS)), key=str.casefold)),
        notes=rnd.choice(_PERSON_NOTES),
        cards=tuple(cards),
    )


def _touchpoint(rnd: _Rng, person: PersonRecord, now: dt.datetime) -> TouchpointRecord:
    kind = rnd.choice(_TP_POOL)
    card = person.cards[0]
    amount = f"{rnd.randint(200, 90000)}.{rnd.randint(0, 99):02d}" if kind is TouchpointType.TURNOVER else ""
    return TouchpointRecord(
        id=rnd.uuid(),
        type=kind,
        occurred_at=(now - dt.timedelta(minutes=rnd.randint(0, 2 * 365 * 24 * 60))).replace(second=0, microsecond=0),
        subject=rnd.choice(_SUBJECTS[kind]),
        body=rnd.choice(
            (
                "",
                "Discussed next steps; they will come back to us next week.",
                "Sent the updated price list and delivery dates.",
            )
        ),
        direction=rnd.choice((Direction.INBOUND, Direction.OUTBOUND))
        if kind in (TouchpointType.CALL, TouchpointType.EMAIL, TouchpointType.LETTER)
        else Direction.NONE,
        priority=rnd.choices((Priority.LOW, Priority.NORMAL, Priority.HIGH), (2, 6, 1))[0],
        mood=rnd.choice((Mood.NONE, Mood.POSITIVE, Mood.NEUTRAL, Mood.NEGATIVE)),
        person_ids=(person.id,),
        company_id=card.company_id,
        amount=amount,
        currency="EUR" if amount else "",
    )


def generate(
    store: Store,
    *,
    people_count: int,
    seed: int = 1,
    region: str = "DE",
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[int, int, int]:
    """Add sample companies, people (with business cards) and touchpoints to the store.

    Each batch is one transaction, so a cancelled run leaves whole batches behind.

    Returns:
        (companies, people, touchpoints) added.
    """
    rnd = _Rng(seed)
    now = dt.datetime.now(dt.UTC)
    n_companies = max(1, min(people_count // 10, 20_000))
    comps = _companies(rnd, n_companies)
    with store.write() as s, search.bulk_insert_fts(s, "company"):
        companies.bulk_insert(s, [c for c, _ in comps], region=region, checked=True)
    done = tp_total = 0
    for batch in _batches(people_count):
        if cancel is not None:
            cancel.check()
        folks = [_person(rnd, comps) for _ in range(batch)]
        tps = [_touchpoint(rnd, p, now) for p in folks for _ in range(rnd.choice(_TP_COUNTS))]
        with store.write() as s, search.bulk_insert_fts(s, "person"), search.bulk_insert_fts(s, "touchpoint"):
            people.bulk_insert(s, folks, region=region, checked=True, count=False)
            touchpoints.bulk_insert(s, tps, checked=True)
        done += batch
        tp_total += len(tps)
        progress(done, people_count, f"{done:,} of {people_count:,} people")
    with store.write() as s:
        companies.refresh_people_counts(s, [c.id for c, _ in comps])
    return n_companies, people_count, tp_total


def _batches(total: int) -> Iterator[int]:
    while total > 0:
        n = min(BATCH, total)
        yield n
        total -= n
