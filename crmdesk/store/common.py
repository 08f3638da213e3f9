"""Helpers every store module shares: the change counter, clocks, sort keys, tags and contact-data rows."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from crmdesk.domain.records import Address, AddressType, Email, EmailType, Phone, PhoneType, new_id
from crmdesk.store.schema import (
    TIME_FORMAT,
    Base,
    ChangeCounter,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    UTCDateTime,
)

# Empty values sort after every real one (U+10FFFF is the largest code point; SQLite compares UTF-8 bytes).
EMPTY_LAST = "\U0010ffff"


def core_insert(s: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows with one DB-API executemany: no ORM bookkeeping and no per-row statement compilation.

    Bulk writes (imports, demo data) go through here: `session.add_all` is 17× slower at 100,000 rows. The
    values are converted as the column types would: aware datetimes to stored UTC text, booleans to 0/1.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    given = list(rows[0])
    unknown = set(given) - set(table.c.keys())
    if unknown:  # fail before anything is written
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    defaults = {
        c.name: cast(ScalarElementColumnDefault, c.default).arg
        for c in table.c
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    names = given + list(defaults)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    tail = tuple(_db_value(v) for v in defaults.values())
    # sqlite3 binds bool as 0/1 itself; only aware datetimes need the stored text form
    convert = [i for i, n in enumerate(given) if isinstance(table.c[n].type, UTCDateTime)]
    getter = operator.itemgetter(*given)
    if len(given) == 1:
        params = [(getter(r), *tail) for r in rows]
    elif convert:
        params = []
        for r in rows:
            values = list(getter(r))
            for i in convert:
                values[i] = _db_value(values[i])
            params.append((*values, *tail))
    else:
        params = [(*getter(r), *tail) for r in rows]
    s.connection().exec_driver_sql(sql, params)


def _db_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _time_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


@functools.lru_cache(maxsize=256)
def _time_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(TIME_FORMAT)


def set_deleted(s: Session, model: Any, ids: Sequence[str], *, deleted: bool) -> None:
    """Tombstone live rows (deleted=True) or bring tombstoned ones back, with one new change_seq."""
    seq = next_seq(s)
    now = utc_now()
    state = model.deleted_at.is_(None) if deleted else model.deleted_at.is_not(None)
    s.execute(
        update(model)
        .where(model.id.in_(list(ids)), state)
        .values(deleted_at=now if deleted else None, updated_at=now, change_seq=seq)
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def next_seq(s: Session) -> int:
    """Bump the database-wide change counter and return its new value (one per write call)."""
    value = s.execute(
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + 1)
        .returning(ChangeCounter.value)
    ).scalar_one()
    return int(value)


def current_seq(s: Session) -> int:
    """The change counter's value: the change_seq of the last write in this transaction."""
    return int(s.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one())


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Sort key: case and accents folded ("Ärzte" sorts with "Arzte"), empty last."""
    if not text:
        return EMPTY_LAST
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)) or EMPTY_LAST


def name_key(first: str, last: str) -> str:
    """Sort people by last name, then first name."""
    if not (first or last):
        return EMPTY_LAST
    return fold(f"{last}\x01{first}" if last else first)


# ---- tags -------------------------------------------------------------------------------------------------


def tag_ids(s: Session, names: Iterable[str], *, seq: int, now: dt.datetime) -> dict[str, str]:
    """Tag id by casefolded name for the named tags, creating those that do not exist yet."""
    wanted = list(dict.fromkeys(n for n in names if n))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted, 500):
        for tid, name in s.execute(select(Tag.id, Tag.name).where(Tag.name.in_(chunk))):
            found[name.casefold()] = tid
    if any(n.casefold() not in found for n in wanted):
        # The NOCASE collation folds ASCII letters only: "ÄRZTE" must still find "Ärzte", "STRASSE" "Straße".
        for tid, name in s.execute(select(Tag.id, Tag.name).order_by(Tag.created_at, Tag.id)):
            found.setdefault(name.casefold(), tid)
    missing = []
    for name in wanted:
        if name.casefold() not in found:
            tid = found[name.casefold()] = new_id()
            missing.append({"id": tid, "name": name, "created_at": now, "updated_at": now, "change_seq": seq})
    if missing:
        core_insert(s, Tag, missing)
    return found


def tag_link_rows(
    s: Session, links: Sequence[tuple[str, tuple[str, ...]]], *, seq: int, now: dt.datetime
) -> list[tuple[str, str]]:
    """(owner id, tag id) pairs for owners and their tag names; the same tag in two spellings counts once."""
    ids = tag_ids(s, (n for _, tags in links for n in tags), seq=seq, now=now)
    return list(dict.fromkeys((owner, ids[n.casefold()]) for owner, tags in links for n in tags if n))


def sorted_tags(names: Iterable[str]) -> tuple[str, ...]:
    """Tag names in the order `validate.normalize_tags` gives them (SQLite's NOCASE folds ASCII only)."""
    return tuple(sorted(names, key=lambda t: (t.casefold(), t)))


def all_tag_names(s: Session) -> list[str]:
    """Every live tag's name, alphabetical."""
    return list(s.scalars(select(Tag.name).where(Tag.deleted_at.is_(None)).order_by(Tag.name)))


def _chunks(items: Sequence[str], n: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# ---- typed contact data (owned by a business card or a company) -------------------------------------------


def write_contact_data(
    s: Session,
    *,
    owner: str,
    owner_id: str,
    emails: Sequence[Email],
    phones: Sequence[Phone],
    addresses: Sequence[Address],
) -> None:
    """Replace the e-mails, phones and addresses of one owner (`owner` is "card_id" or "company_id")."""
    for table in (EmailAddress, PhoneNumber, PostalAddress):
        s.execute(delete(table).where(getattr(table, owner) == owner_id))
    insert_contact_data(s, [(owner, owner_id, emails, phones, addresses)])


def insert_contact_data(
    s: Session,
    owners: Iterable[tuple[str, str, Sequence[Email], Sequence[Phone], Sequence[Address]]],
) -> None:
    """Bulk insert contact data of many owners (Core inserts, no ORM objects)."""
    e_rows: list[dict[str, object]] = []
    p_rows: list[dict[str, object]] = []
    a_rows: list[dict[str, object]] = []
    for owner, owner_id, emails, phones, addresses in owners:
        other = "company_id" if owner == "card_id" else "card_id"
        base = {owner: owner_id, other: None}
        e_rows += [
            {**base, "ord": i, "type": e.type.value, "favourite": e.favourite, "address": e.address}
            for i, e in enumerate(emails)
        ]
        p_rows += [
            {**base, "ord": i, "type": p.type.value, "favourite": p.favourite, "number": p.number}
            for i, p in enumerate(phones)
        ]
        a_rows += [
            {
                **base,
                "ord": i,
                "type": a.type.value,
                "favourite": a.favourite,
                "street": a.street,
                "postcode": a.postcode,
                "city": a.city,
                "region": a.region,
                "country": a.country,
            }
            for i, a in enumerate(addresses)
        ]
    if e_rows:
        core_insert(s, EmailAddress, e_rows)
    if p_rows:
        core_insert(s, PhoneNumber, p_rows)
    if a_rows:
        core_insert(s, PostalAddress, a_rows)


ContactData = tuple[tuple[Email, ...], tuple[Phone, ...], tuple[Address, ...]]


def read_contact_data(s: Session, *, owner: str, owner_ids: Sequence[str]) -> dict[str, ContactData]:
    """E-mails, phones and addresses of many owners, in their stored order."""
    emails: dict[str, list[Email]] = {}
    phones: dict[str, list[Phone]] = {}
    addresses: dict[str, list[Address]] = {}
    for chunk in _chunks(list(owner_ids), 500):
        col = getattr(EmailAddress, owner)
        for row in s.execute(select(EmailAddress).where(col.in_(chunk)).order_by(col, EmailAddress.ord)).scalars():
            emails.setdefault(getattr(row, owner), []).append(
                Email(address=row.address, type=EmailType(row.type), favourite=row.favourite)
            )
        col = getattr(PhoneNumber, owner)
        for prow in s.execute(select(PhoneNumber).where(col.in_(chunk)).order_by(col, PhoneNumber.ord)).scalars():
            phones.setdefault(getattr(prow, owner), []).append(
                Phone(number=prow.number, type=PhoneType(prow.type), favourite=prow.favourite)
            )
        col = getattr(PostalAddress, owner)
        for arow in s.execute(select(PostalAddress).where(col.in_(chunk)).order_by(col, PostalAddress.ord)).scalars():
            addresses.setdefault(getattr(arow, owner), []).append(
                Address(
                    street=arow.street,
                    postcode=arow.postcode,
                    city=arow.city,
                    region=arow.region,
                    country=arow.country,
                    type=AddressType(arow.type),
                    favourite=arow.favourite,
                )
            )
    return {
        oid: (tuple(emails.get(oid, ())), tuple(phones.get(oid, ())), tuple(addresses.get(oid, ())))
        for oid in owner_ids
    }


_Item = TypeVar("_Item", Email, Phone, Address)


def favourite_or_first(items: Sequence[_Item]) -> _Item | None:
    for item in items:
        if item.favourite:
            return item
    return items[0] if items else None
