"""Companies: reads and writes taking a Session, returning records and ChangeSets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from crmdesk.domain import normalize, validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import CompanyRecord, Entity, Stamp
from crmdesk.errors import NotFoundError
from crmdesk.store import common, touchpoints
from crmdesk.store.schema import BusinessCard, Company, CompanyTag, Person, Tag

_FIELDS = ("name", "legal_form", "industry", "website", "notes")


def get(s: Session, company_id: str, *, include_deleted: bool = False) -> CompanyRecord:
    """The company with this id.

    Raises:
        NotFoundError: no such company, or (unless include_deleted) it was deleted.
    """
    found = get_many(s, [company_id], include_deleted=include_deleted)
    if not found:
        raise NotFoundError(f"No company with id {company_id}.")
    return found[0]


def get_many(s: Session, ids: Sequence[str], *, include_deleted: bool = False) -> list[CompanyRecord]:
    """The companies with these ids that exist, in the order asked."""
    stmt = select(Company).where(Company.id.in_(list(ids)))
    if not include_deleted:
        stmt = stmt.where(Company.deleted_at.is_(None))
    rows = {c.id: c for c in s.scalars(stmt)}
    if not rows:
        return []
    data = common.read_contact_data(s, owner="company_id", owner_ids=list(rows))
    tags: dict[str, list[str]] = {}
    tag_stmt = (
        select(CompanyTag.company_id, Tag.name)
        .join(Tag, Tag.id == CompanyTag.tag_id)
        .where(CompanyTag.company_id.in_(list(rows)))
        .order_by(Tag.name)
    )
    for cid, name in s.execute(tag_stmt):
        tags.setdefault(cid, []).append(name)
    out = []
    for i in ids:
        c = rows.get(i)
        if c is None:
            continue
        emails, phones, addresses = data[i]
        out.append(
            CompanyRecord(
                id=c.id,
                **{f: getattr(c, f) for f in _FIELDS},
                logo=c.logo,
                tags=common.sorted_tags(tags.get(i, ())),
                emails=emails,
                phones=phones,
                addresses=addresses,
                stamp=Stamp(
                    created_at=c.created_at, updated_at=c.updated_at, change_seq=c.change_seq, deleted_at=c.deleted_at
                ),
            )
        )
    return out


def find_by_name(s: Session, name: str) -> str | None:
    """Id of the live company with this name (case-insensitive; the oldest if several), or None."""
    folded = common.fold(normalize.normalize_name(name))
    stmt = select(Company.id).where(Company.k_name == folded, Company.deleted_at.is_(None)).order_by(Company.num)
    return s.scalars(stmt.limit(1)).first()


def names_by_ids(s: Session, ids: Iterable[str]) -> dict[str, str]:
    """Name by id of these companies (live or deleted; unknown ids are left out)."""
    wanted = [i for i in ids if i]
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        out.update(dict(s.execute(select(Company.id, Company.name).where(Company.id.in_(wanted[i : i + 500]))).all()))
    return out


def ids_by_names(s: Session, names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """For each of `names` that a live company has (case-insensitive): name → (id, the company's own spelling).

    One query per 500 names (imports resolve a whole batch of business cards at once); the oldest company wins.
    """
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(common.fold(normalize.normalize_name(name)), []).append(name)
    out: dict[str, tuple[str, str]] = {}
    keys = sorted(by_key)
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        stmt = (
            select(Company.id, Company.name, Company.k_name)
            .where(Company.k_name.in_(chunk), Company.deleted_at.is_(None))
            .order_by(Company.num.desc())  # the oldest last, so it wins
        )
        for cid, cname, key in s.execute(stmt):
            for name in by_key[key]:
                out[name] = (cid, cname)
    return out


def ensure_by_name(s: Session, name: str, *, region: str = "DE") -> tuple[str, ChangeSet | None]:
    """Id of the company with this name, creating it when there is none yet."""
    found = find_by_name(s, name)
    if found is not None:
        return found, None
    rec, change = create(s, CompanyRecord(name=name), region=region)
    return rec.id, change


def create(s: Session, rec: CompanyRecord, *, region: str = "DE") -> tuple[CompanyRecord, ChangeSet]:
    """Validate, normalise and store a new company.

    Raises:
        ValidationError: a field may not be stored; nothing was written.
    """
    rec = validate.check_company(rec, region=region)
    seq = common.next_seq(s)
    now = common.utc_now()
    common.core_insert(s, Company, [{**_row(rec, seq=seq, now=now, region=region), "created_at": now}])
    _write_children(s, rec, seq=seq, now=now)
    return get(s, rec.id), ChangeSet.of(Entity.COMPANY, Kind.CREATE, [rec.id])


def update(s: Session, rec: CompanyRecord, *, region: str = "DE") -> tuple[CompanyRecord, ChangeSet]:
    """Replace a company's content with `rec` (same id); people and touchpoints show a new name at once.

    Raises:
        NotFoundError: no company has this id.
        ValidationError: a field may not be stored; nothing was written.
    """
    old = get(s, rec.id, include_deleted=True)
    rec = validate.check_company(rec, region=region)
    seq = common.next_seq(s)
    now = common.utc_now()
    row = _row(rec, seq=seq, now=now, region=region)
    row.pop("id")
    row["deleted_at"] = None
    s.execute(sql_update(Company).where(Company.id == rec.id).values(**row))
    s.execute(delete(CompanyTag).where(CompanyTag.company_id == rec.id))
    _write_children(s, rec, seq=seq, now=now)
    related: set[Entity] = set()
    if old.name != rec.name:
        # The cards' company name is part of each person's content: they change too, with this write's
        # change_seq, so "what changed since X" (sync) sees them.
        s.execute(
            sql_update(BusinessCard)
            .where(BusinessCard.company_id == rec.id)
            .values(company_name=rec.name, change_seq=seq, updated_at=now)
        )
        staff = list(s.scalars(select(BusinessCard.person_id).where(BusinessCard.company_id == rec.id).distinct()))
        s.execute(sql_update(Person).where(Person.id.in_(staff)).values(change_seq=seq, updated_at=now))
        from crmdesk.store import people  # people imports companies; a rename propagates the other way

        people.refresh_summaries(s, staff, region=region)
        touchpoints.refresh_summaries_for_company(s, rec.id)
        related = {Entity.PERSON, Entity.TOUCHPOINT}
    return get(s, rec.id), ChangeSet.of(Entity.COMPANY, Kind.UPDATE, [rec.id], related=related)


def delete_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Tombstone these companies; business cards keep the company's name."""
    common.set_deleted(s, Company, ids, deleted=True)
    return ChangeSet.of(Entity.COMPANY, Kind.DELETE, ids)


def restore_many(s: Session, ids: Sequence[str]) -> ChangeSet:
    """Bring tombstoned companies back (undo of a delete)."""
    common.set_deleted(s, Company, ids, deleted=False)
    return ChangeSet.of(Entity.COMPANY, Kind.CREATE, ids)


def bulk_insert(s: Session, recs: Iterable[CompanyRecord], *, region: str = "DE", checked: bool = False) -> ChangeSet:
    """Insert many new companies through Core statements: one change_seq for the batch."""
    seq = common.next_seq(s)
    now = common.utc_now()
    rows = []
    owners = []
    tag_links = []
    for rec in recs:
        if not checked:
            rec = validate.check_company(rec, region=region)
        rows.append({**_row(rec, seq=seq, now=now, region=region), "created_at": now})
        owners.append(("company_id", rec.id, rec.emails, rec.phones, rec.addresses))
        if rec.tags:
            tag_links.append((rec.id, rec.tags))
    if rows:
        common.core_insert(s, Company, rows)
    common.insert_contact_data(s, owners)
    _write_tag_links(s, tag_links, seq=seq, now=now)
    return ChangeSet.of(Entity.COMPANY, Kind.CREATE, [r["id"] for r in rows])


def names(s: Session, prefix: str = "", *, limit: int = 50) -> list[tuple[str, str]]:
    """(id, name) of live companies whose name starts with `prefix` (case/accent-insensitive), by name."""
    k = common.fold(prefix) if prefix else ""
    stmt = select(Company.id, Company.name).where(Company.deleted_at.is_(None))
    if k:
        stmt = stmt.where(Company.k_name >= k, Company.k_name < k + common.EMPTY_LAST)
    return [(r[0], r[1]) for r in s.execute(stmt.order_by(Company.k_name, Company.num).limit(limit))]


def count_live(s: Session) -> int:
    return int(s.execute(select(func.count(Company.num)).where(Company.deleted_at.is_(None))).scalar_one())


def _row(rec: CompanyRecord, *, seq: int, now: Any, region: str) -> dict[str, Any]:
    email = common.favourite_or_first(rec.emails)
    phone = common.favourite_or_first(rec.phones)
    address = common.favourite_or_first(rec.addresses)
    extra = [rec.legal_form, rec.website]
    extra += [e.address for e in rec.emails]
    extra += [normalize.phone_search_terms(p.number, region=region) for p in rec.phones]
    extra += [a.one_line() for a in rec.addresses]
    city = address.city if address else ""
    return {
        "id": rec.id,
        **{f: getattr(rec, f) for f in _FIELDS},
        "logo": rec.logo,
        "updated_at": now,
        "change_seq": seq,
        "city": city,
        "phone": phone.number if phone else "",  # E.164
        "phone_forms": normalize.phone_forms(phone.number) if phone else "",  # shown for the reader's region
        "email": email.address if email else "",
        "tags_text": ", ".join(rec.tags),
        "search_extra": " ".join(x for x in extra if x),
        "k_name": common.fold(rec.name),
        "k_industry": common.fold(rec.industry),
        "k_city": common.fold(city),
        "k_phone": phone.number if phone else common.EMPTY_LAST,
        "k_email": common.fold(email.address if email else ""),
    }


def _write_children(s: Session, rec: CompanyRecord, *, seq: int, now: Any) -> None:
    common.write_contact_data(
        s, owner="company_id", owner_id=rec.id, emails=rec.emails, phones=rec.phones, addresses=rec.addresses
    )
    _write_tag_links(s, [(rec.id, rec.tags)], seq=seq, now=now)


def _write_tag_links(s: Session, links: list[tuple[str, tuple[str, ...]]], *, seq: int, now: Any) -> None:
    rows = common.tag_link_rows(s, links, seq=seq, now=now)
    if rows:
        common.core_insert(s, CompanyTag, [{"company_id": o, "tag_id": t} for o, t in rows])


def refresh_people_counts(s: Session, company_ids: Iterable[str]) -> None:
    """Recompute `company.people_count` (live people with a live card there) for these companies."""
    ids = list(company_ids)
    if not ids:
        return
    counted = (
        select(func.count(func.distinct(BusinessCard.person_id)))
        .join(Person, Person.id == BusinessCard.person_id)
        .where(BusinessCard.company_id == Company.id, BusinessCard.deleted_at.is_(None), Person.deleted_at.is_(None))
        .scalar_subquery()
    )
    s.execute(sql_update(Company).where(Company.id.in_(ids)).values(people_count=counted))
