"""People and their business cards: reads and writes taking a Session, returning records and ChangeSets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from crmdesk.domain import normalize, validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import Birthday, BusinessCardRecord, Entity, PersonRecord, Stamp
from crmdesk.errors import NotFoundError
from crmdesk.store import common, companies, order, touchpoints
from crmdesk.store.schema import BusinessCard, Company, Person, PersonTag, Tag

_FIELDS = ("salutation", "title", "first_name", "middle_name", "last_name", "suffix", "gender", "notes", "lifecycle")


# ---- reads ------------------------------------------------------------------------------------------------


def get(s: Session, person_id: str, *, include_deleted: bool = False) -> PersonRecord:
    """The person with this id.

    Raises:
        NotFoundError: no such person, or (unless include_deleted) it was deleted.
    """
    found = get_many(s, [person_id], include_deleted=include_deleted)
    if not found:
        raise NotFoundError(f"No person with id {person_id}.")
    return found[0]


def get_many(s: Session, ids: Sequence[str], *, include_deleted: bool = False) -> list[PersonRecord]:
    """The people with these ids that exist, in the order asked."""
    stmt = select(Person).where(Person.id.in_(list(ids)))
    if not include_deleted:
        stmt = stmt.where(Person.deleted_at.is_(None))
    rows = {p.id: p for p in s.scalars(stmt)}
    if not rows:
        return []
    cards = _cards_of(s, list(rows))
    tags = _tags_of(s, list(rows))
    return [_record(rows[i], cards.get(i, ()), tags.get(i, ())) for i in ids if i in rows]


def _record(p: Person, cards: tuple[BusinessCardRecord, ...], tags: tuple[str, ...]) -> PersonRecord:
    birthday = None
    if p.birth_month and p.birth_day:
        birthday = Birthday(year=p.birth_year, month=p.birth_month, day=p.birth_day)
    return PersonRecord(
        id=p.id,
        **{f: getattr(p, f) for f in _FIELDS},
        birthday=birthday,
        photo=p.photo,
        tags=tags,
        custom=tuple((str(k), str(v)) for k, v in json.loads(p.custom or "[]")),
        cards=cards,
        urls=tuple(str(u) for u in json.loads(p.urls or "[]")),
        vcard_uid=p.vcard_uid or "",
        vcard_extra=tuple(str(x) for x in json.loads(p.vcard_extra or "[]")),
        stamp=Stamp(created_at=p.created_at, updated_at=p.updated_at, change_seq=p.change_seq, deleted_at=p.deleted_at),
    )


def _cards_of(s: Session, person_ids: list[str]) -> dict[str, tuple[BusinessCardRecord, ...]]:
    rows = list(
        s.scalars(
            select(BusinessCard)
            .where(BusinessCard.person_id.in_(person_ids), BusinessCard.deleted_at.is_(None))
            .order_by(BusinessCard.person_id, BusinessCard.ord)
        )
    )
    data = common.read_contact_data(s, owner="card_id", owner_ids=[c.id for c in rows])
    out: dict[str, list[BusinessCardRecord]] = {}
    for c in rows:
        emails, phones, addresses = data[c.id]
        out.setdefault(c.person_id, []).append(
            BusinessCardRecord(
                id=c.id,
                company_id=c.company_id,
                company_name=c.company_name,
                position=c.position,
                department=c.department,
                private=c.private,
                favourite=c.favourite,
                emails=emails,
                phones=phones,
                addresses=addresses,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _tags_of(s: Session, person_ids: list[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    stmt = (
        select(PersonTag.person_id, Tag.name)
        .join(Tag, Tag.id == PersonTag.tag_id)
        .where(PersonTag.person_id.in_(person_ids))
        .order_by(Tag.name)
    )
    for pid, name in s.execute(stmt):
        out.setdefault(pid, []).append(name)
    return {k: common.sorted_tags(v) for k, v in out.items()}


def ids_at_company(s: Session, company_id: str) -> list[str]:
    """Ids of live people with a live business card at this company."""
    stmt = (
        select(BusinessCard.person_id)
        .join(Person, Person.id == BusinessCard.person_id)
        .where(BusinessCard.company_id == company_id, BusinessCard.deleted_at.is_(None), Person.deleted_at.is_(None))
        .distinct()
    )
    return list(s.scalars(stmt))


# ---- writes -----------------------------------------------------------------------------------------------


def create(s: Session, rec: PersonRecord, *, region: str = "DE") -> tuple[PersonRecord, ChangeSet]:
    """Validate, normalise and store a new person (its id is kept).

    Raises:
        ValidationError: a field may not be stored; nothing was written.
    """
    rec = _link_companies(s, validate.check_person(rec, region=region), region=region)
    seq = common.next_seq(s)
    now = common.utc_now()
    _insert_people(s, [_person_row(rec, seq=seq, now=now, created=now, region=region)])
    _write_children(s, rec, seq=seq, now=now)
    companies.refresh_people_counts(s, _company_ids(rec))
    return get(s, rec.id), ChangeSet.of(Entity.PERSON, Kind.CREATE, [rec.id], related=_related(rec))


def update(s: Session, rec: PersonRecord, *, region: str = "DE") -> tuple[PersonRecord, ChangeSet]:
    """Replace a person's content with `rec` (same id); a deleted person is restored by an update.

    Raises:
        NotFoundError: no person has this id.
        ValidationError: a field may not be stored; nothing was written.
    """
    old = get(s, rec.id, include_deleted=True)
    rec = _link_companies(s, validate.check_person(rec, region=region), region=region)
    seq = common.next_seq(s)
    now = common.utc_now()
    row = _person_row(rec, seq=seq, now=now, created=None, region=region)
    row.pop("id")
    row["deleted_at"] = None
    _keep_in_order(s, rec.id, row)
    s.execute(sql_update(Person).where(Person.id == rec.id).values(**row))
    s.execute(
        sql_update(BusinessCard)
        .where(BusinessCard.person_id == rec.id, BusinessCard.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now, change_seq=seq)
    )
    s.execute(delete(PersonTag).where(PersonTag.person_id == rec.id))
    _write_children(s, rec, seq=seq, now=now)
    companies.refresh_people_counts(s, _company_ids(old) | _company_ids(rec))
    if old.display_name != rec.display_name:
        touchpoints.refresh_summaries_for_people(s, [rec.id])
    return get(s, rec.id), ChangeSet.of(Entity.PERSON, Kind.UPDATE, [rec.id], related=_related(old) | _related(rec))


def delete_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Tombstone these people (kept until every sync account has pushed the delete)."""
    common.set_deleted(s, Person, ids, deleted=True)
    company_ids = _company_ids_of_people(s, ids)
    companies.refresh_people_counts(s, company_ids)
    related = {Entity.COMPANY, Entity.TOUCHPOINT} if company_ids else {Entity.TOUCHPOINT}
    return ChangeSet.of(Entity.PERSON, Kind.DELETE, ids, related=related)


def restore_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Bring tombstoned people back (undo of a delete)."""
    common.set_deleted(s, Person, ids, deleted=False)
    companies.refresh_people_counts(s, _company_ids_of_people(s, ids))
    return ChangeSet.of(Entity.PERSON, Kind.CREATE, ids, related={Entity.COMPANY, Entity.TOUCHPOINT})


def bulk_insert(
    s: Session, recs: Iterable[PersonRecord], *, region: str = "DE", checked: bool = False, count: bool = True
) -> ChangeSet:
    """Insert many new people through Core statements (imports, demo data): one change_seq for the batch.

    Args:
        recs: new people; cards may name company ids that exist.
        checked: the records already went through validate.check_person (skip it).
        count: refresh the people count of the cards' companies (a caller adding many batches does it once).
    """
    seq = common.next_seq(s)
    now = common.utc_now()
    person_rows: list[dict[str, Any]] = []
    card_rows: list[dict[str, Any]] = []
    owners = []
    tag_links: list[tuple[str, tuple[str, ...]]] = []
    company_ids: set[str] = set()
    for rec in recs:
        if not checked:
            rec = validate.check_person(rec, region=region)
        person_rows.append(_person_row(rec, seq=seq, now=now, created=now, region=region))
        for i, card in enumerate(rec.cards):
            card_rows.append(_card_row(rec.id, i, card, seq=seq, now=now))
            owners.append(("card_id", card.id, card.emails, card.phones, card.addresses))
            if card.company_id:
                company_ids.add(card.company_id)
        if rec.tags:
            tag_links.append((rec.id, rec.tags))
    if person_rows:
        _insert_people(s, person_rows)
    if card_rows:
        common.core_insert(s, BusinessCard, card_rows)
    common.insert_contact_data(s, owners)
    _write_tag_links(s, tag_links, seq=seq, now=now)
    if count:
        companies.refresh_people_counts(s, company_ids)
    return ChangeSet.of(Entity.PERSON, Kind.CREATE, [r["id"] for r in person_rows], related={Entity.COMPANY})


def refresh_summaries(s: Session, person_ids: Sequence[str], *, region: str = "DE") -> None:
    """Recompute the summary columns of these people (after a company was renamed, say)."""
    for rec in get_many(s, person_ids, include_deleted=True):
        row = _summary(rec, region=region)
        _keep_in_order(s, rec.id, row)
        s.execute(sql_update(Person).where(Person.id == rec.id).values(**row))


# ---- helpers ----------------------------------------------------------------------------------------------


def _link_companies(s: Session, rec: PersonRecord, *, region: str) -> PersonRecord:
    """Link work cards to their company (matched by name, created if new); a linked card shows its current name."""
    named = {c.company_name for c in rec.cards if c.company_name and not c.company_id and not c.private}
    if named:
        by_name = {n: companies.ensure_by_name(s, n, region=region)[0] for n in sorted(named)}
        rec = rec.replace(
            cards=tuple(
                c.__class__(**{**_card_fields(c), "company_id": by_name[c.company_name]})
                if c.company_name in by_name and not c.company_id and not c.private
                else c
                for c in rec.cards
            )
        )
    ids = {c.company_id for c in rec.cards if c.company_id}
    if not ids:
        return rec
    names = dict(s.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all())
    cards = tuple(
        c.__class__(**{**_card_fields(c), "company_name": names.get(c.company_id, c.company_name)})
        if c.company_id
        else c
        for c in rec.cards
    )
    missing = ids - set(names)
    if missing:
        cards = tuple(
            c.__class__(**{**_card_fields(c), "company_id": None}) if c.company_id in missing else c for c in cards
        )
    return rec.replace(cards=cards)


def _card_fields(c: BusinessCardRecord) -> dict[str, Any]:
    return {f: getattr(c, f) for f in c.__dataclass_fields__}


def _person_row(rec: PersonRecord, *, seq: int, now: Any, created: Any, region: str) -> dict[str, Any]:
    b = rec.birthday
    row: dict[str, Any] = {
        "id": rec.id,
        **{f: getattr(rec, f) for f in _FIELDS},
        "birth_year": b.year if b else None,
        "birth_month": b.month if b else None,
        "birth_day": b.day if b else None,
        "photo": rec.photo,
        "custom": json.dumps([list(kv) for kv in rec.custom], ensure_ascii=False),
        "urls": json.dumps(list(rec.urls), ensure_ascii=False),
        "vcard_uid": rec.vcard_uid,
        "vcard_extra": json.dumps(list(rec.vcard_extra), ensure_ascii=False),
        "updated_at": now,
        "change_seq": seq,
        **_summary(rec, region=region),
    }
    if created is not None:
        row["created_at"] = created
    return row


def _insert_people(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new person rows, each given its `num` and its position in name order (store/order.py)."""
    first = int(s.execute(select(func.max(Person.num))).scalar() or 0) + 1
    for num, row in enumerate(rows, start=first):
        row["num"] = num
    order.insert_in_order(s, rows, lambda placed: common.core_insert(s, Person, placed))


def _keep_in_order(s: Session, person_id: str, row: dict[str, Any]) -> None:
    """Give an updated person row a new position in name order when its name key changes."""
    num, key, pos = s.execute(select(Person.num, Person.k_name, Person.name_pos).where(Person.id == person_id)).one()
    if row["k_name"] != key:
        row["name_pos"] = order.reposition(s, num, row["k_name"], pos)


def _summary(rec: PersonRecord, *, region: str) -> dict[str, Any]:
    card = rec.favourite_card
    email = common.favourite_or_first(card.emails) if card else None
    if email is None:
        email = next((e for c in rec.cards for e in c.emails), None)
    phone = common.favourite_or_first(card.phones) if card else None
    if phone is None:
        phone = next((p for c in rec.cards for p in c.phones), None)
    tags_text = ", ".join(rec.tags)
    # What the other FTS columns do not hold already: every card's company and role, all contact data, the
    # number forms people type ("07531 12", "+49 7531"), the places of the addresses.
    extra: list[str] = []
    for c in rec.cards:
        if c is not card:
            extra += [c.company_name, c.position]
        extra.append(c.department)
        extra += [e.address for e in c.emails if e is not email]
        extra += [normalize.phone_search_terms(p.number, region=region) for p in c.phones]
        extra += [f"{a.street} {a.postcode} {a.city}" for a in c.addresses]
    extra.append(rec.lifecycle)
    extra += [v for _, v in rec.custom]
    company = card.company_name if card else ""
    position = card.position if card else ""
    return {
        "display_name": rec.display_name,
        "company_name": company,
        "position": position,
        "email": email.address if email else "",
        "phone": phone.number if phone else "",  # E.164
        "phone_forms": normalize.phone_forms(phone.number) if phone else "",  # shown for the reader's region
        "tags_text": tags_text,
        "search_extra": " ".join(x for x in extra if x),
        "k_name": common.name_key(rec.first_name, rec.last_name),
        "k_company": common.fold(company),
        "k_position": common.fold(position),
        "k_email": common.fold(email.address if email else ""),
        "k_phone": phone.number if phone else common.EMPTY_LAST,
        "k_tags": common.fold(tags_text),
    }


def _card_row(person_id: str, ord_: int, card: BusinessCardRecord, *, seq: int, now: Any) -> dict[str, Any]:
    return {
        "id": card.id,
        "person_id": person_id,
        "company_id": card.company_id,
        "company_name": card.company_name,
        "position": card.position,
        "department": card.department,
        "private": card.private,
        "favourite": card.favourite,
        "ord": ord_,
        "created_at": now,
        "updated_at": now,
        "change_seq": seq,
        "deleted_at": None,
    }


def _write_children(s: Session, rec: PersonRecord, *, seq: int, now: Any) -> None:
    for i, card in enumerate(rec.cards):
        row = _card_row(rec.id, i, card, seq=seq, now=now)
        exists = s.execute(select(BusinessCard.created_at).where(BusinessCard.id == card.id)).first()
        if exists is None:
            common.core_insert(s, BusinessCard, [row])
        else:
            row["created_at"] = exists[0]
            s.execute(sql_update(BusinessCard).where(BusinessCard.id == card.id).values(**row))
        common.write_contact_data(
            s, owner="card_id", owner_id=card.id, emails=card.emails, phones=card.phones, addresses=card.addresses
        )
    _write_tag_links(s, [(rec.id, rec.tags)], seq=seq, now=now)


def _write_tag_links(s: Session, links: list[tuple[str, tuple[str, ...]]], *, seq: int, now: Any) -> None:
    rows = common.tag_link_rows(s, links, seq=seq, now=now)
    if rows:
        common.core_insert(s, PersonTag, [{"person_id": o, "tag_id": t} for o, t in rows])


def _company_ids(rec: PersonRecord) -> set[str]:
    return {c.company_id for c in rec.cards if c.company_id}


def _related(rec: PersonRecord) -> set[Entity]:
    return {Entity.COMPANY, Entity.TOUCHPOINT} if _company_ids(rec) else {Entity.TOUCHPOINT}


def _company_ids_of_people(s: Session, ids: Sequence[str]) -> set[str]:
    stmt = select(BusinessCard.company_id).where(
        BusinessCard.person_id.in_(list(ids)), BusinessCard.company_id.is_not(None), BusinessCard.deleted_at.is_(None)
    )
    return {c for c in s.scalars(stmt) if c}
