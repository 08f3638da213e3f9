"""Tests for crmdesk.store.companies: round trips, tombstones, names, renames and people counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crmdesk.context import Context
from crmdesk.domain import validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import (
    Address,
    AddressType,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import common, companies, listing, people
from crmdesk.store.schema import Base, Company


def full_company() -> CompanyRecord:
    return CompanyRecord(
        name=" Brandt  Maschinenbau GmbH ",
        legal_form="GmbH",
        industry="Mechanical engineering",
        website="https://www.brandt-mb.de",
        notes="Framework agreement until 2027.\n\nPays on 30 days net.",
        logo=b"<svg/>",
        tags=("supplier", "Key Account"),
        emails=(Email("info@brandt-mb.de", EmailType.WORK), Email("einkauf@brandt-mb.de", EmailType.WORK, True)),
        phones=(Phone("07531 98765", PhoneType.WORK, True), Phone("07531 98766", PhoneType.FAX)),
        addresses=(
            Address("Seestraße 1", "78462", "Konstanz", "BW", "DE", AddressType.WORK),
            Address("Postfach 12", "78401", "Konstanz", "", "DE", AddressType.POSTAL, True),
        ),
    )


def counts(s: Session) -> dict[str, int]:
    out = {name: s.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in Base.metadata.tables}
    out["counter"] = s.execute(text("SELECT value FROM change_counter")).scalar_one()
    return out


def crow(s: Session, company_id: str) -> dict[str, Any]:
    return dict(s.execute(select(Company.__table__).where(Company.id == company_id)).mappings().one())


def test_create_then_get_returns_the_normalised_record(ctx: Context) -> None:
    rec = full_company()
    with ctx.store.write() as s:
        stored, change = companies.create(s, rec)
    with ctx.store.read() as s:
        again = companies.get(s, rec.id)
        r = crow(s, rec.id)
    assert stored == again == validate.check_company(rec)
    assert stored.name == "Brandt Maschinenbau GmbH"
    assert stored.logo == b"<svg/>"
    assert [p.number for p in stored.phones] == ["+49753198765", "+49753198766"]
    assert stored.tags == ("Key Account", "supplier")
    assert change == ChangeSet.of(Entity.COMPANY, Kind.CREATE, [rec.id])
    # summary: the favourite e-mail, phone and address
    assert (r["email"], r["phone"], r["city"]) == ("einkauf@brandt-mb.de", "+49753198765", "Konstanz")
    assert r["k_name"] == "brandt maschinenbau gmbh"
    assert r["people_count"] == 0
    assert "78401" in r["search_extra"] and "brandt-mb.de" in r["search_extra"]


def test_summary_of_a_bare_company_sorts_last(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Bare"))
        r = crow(s, c.id)
    for key in ("k_industry", "k_city", "k_phone", "k_email"):
        assert r[key] == common.EMPTY_LAST


def test_update_keeps_created_at_and_advances_the_rest(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, full_company())
    with ctx.store.write() as s:
        c2, change = companies.update(s, c.replace(industry="Software", tags=("new",), phones=()))
    assert c2.stamp.created_at == c.stamp.created_at
    assert c2.stamp.updated_at is not None and c.stamp.updated_at is not None
    assert c2.stamp.updated_at >= c.stamp.updated_at
    assert c2.stamp.change_seq > c.stamp.change_seq
    assert (c2.industry, c2.tags, c2.phones) == ("Software", ("new",), ())
    assert change == ChangeSet.of(Entity.COMPANY, Kind.UPDATE, [c.id])  # no rename: people untouched
    with ctx.store.read() as s:
        assert crow(s, c.id)["phone"] == ""


def test_unknown_ids(ctx: Context) -> None:
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(NotFoundError):
            companies.get(s, "nope")
        with pytest.raises(NotFoundError):
            companies.update(s, CompanyRecord(id="nope", name="X"))
        assert counts(s) == before


def test_tombstone_and_restore(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Kessler Logistik"))
        p, _ = people.create(s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_id=c.id),)))
    with ctx.store.write() as s:
        change = companies.delete_many(s, [c.id])
    assert (change.entity, change.kind, change.ids) == (Entity.COMPANY, Kind.DELETE, {c.id})
    with ctx.store.read() as s:
        with pytest.raises(NotFoundError):
            companies.get(s, c.id)
        dead = companies.get(s, c.id, include_deleted=True)
        assert dead == c and dead.stamp.deleted_at is not None
        assert listing.count(s, listing.ListQuery(Entity.COMPANY)) == 0
        assert listing.count(s, listing.ListQuery(Entity.COMPANY, search="kessler")) == 0
        assert companies.find_by_name(s, "Kessler Logistik") is None
        assert companies.names(s) == []
        assert companies.count_live(s) == 0
        # the person's card keeps the company's name
        assert people.get(s, p.id).cards[0].company_name == "Kessler Logistik"
    with ctx.store.write() as s:
        change = companies.restore_many(s, [c.id])
    assert change.kind is Kind.CREATE
    with ctx.store.read() as s:
        assert companies.get(s, c.id) == c
        assert crow(s, c.id)["people_count"] == 1
        assert listing.count(s, listing.ListQuery(Entity.COMPANY, search="kessler")) == 1


@pytest.mark.parametrize(
    "bad",
    [
        CompanyRecord(name="   "),
        CompanyRecord(name="X", website="not a website"),
        CompanyRecord(name="X", emails=(Email("@nope"),)),
        CompanyRecord(name="X", phones=(Phone("123"),)),
        CompanyRecord(name="X" * 201),
        CompanyRecord(name="X", tags=("t" * 101,)),
    ],
)
def test_validation_errors_write_nothing(ctx: Context, bad: CompanyRecord) -> None:
    with ctx.store.write() as s:
        existing, _ = companies.create(s, full_company())
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(ValidationError):
            companies.create(s, bad)
        with pytest.raises(ValidationError):
            companies.update(s, bad.replace(id=existing.id))
        assert counts(s) == before
        assert companies.get(s, existing.id) == existing


def test_find_by_name_folds_case_accents_and_spaces(ctx: Context) -> None:
    with ctx.store.write() as s:
        first, _ = companies.create(s, CompanyRecord(name="Zürcher Uhrwerke AG"))
        companies.create(s, CompanyRecord(name="zurcher uhrwerke ag"))  # a second one of the same name
        for typed in ("Zürcher Uhrwerke AG", "ZURCHER UHRWERKE AG", " zürcher  uhrwerke ag "):
            assert companies.find_by_name(s, typed) == first.id  # the oldest
        assert companies.find_by_name(s, "Zürcher") is None


def test_ensure_by_name_creates_once(ctx: Context) -> None:
    with ctx.store.write() as s:
        cid, change = companies.ensure_by_name(s, "Adler Versicherungen")
        assert change is not None and change.ids == {cid}
        again, change2 = companies.ensure_by_name(s, "ADLER versicherungen")
        assert (again, change2) == (cid, None)
        assert companies.count_live(s) == 1


def test_names_by_prefix(ctx: Context) -> None:
    with ctx.store.write() as s:
        for name in ("Österreich Bau", "Orbit Telecom", "Ostwind", "Zenit", "oslo fjord"):
            companies.create(s, CompanyRecord(name=name))
        names = [n for _, n in companies.names(s, "os")]
        assert names == ["oslo fjord", "Österreich Bau", "Ostwind"]
        assert [n for _, n in companies.names(s, "")][:2] == ["Orbit Telecom", "oslo fjord"]
        assert [n for _, n in companies.names(s, "", limit=2)] == ["Orbit Telecom", "oslo fjord"]
        assert companies.names(s, "q") == []


def test_rename_reaches_cards_of_deleted_people_too(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Old"))
        p, _ = people.create(s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_id=c.id),)))
        people.delete_many(s, [p.id])
        companies.update(s, c.replace(name="New"))
        assert people.get(s, p.id, include_deleted=True).cards[0].company_name == "New"


def test_bulk_insert_matches_create(ctx: Context, make_store: Any) -> None:
    recs = [full_company().replace(id=f"c-{i}", name=f"Firma {i}") for i in range(50)]
    other = make_store()
    with ctx.store.write() as s:
        created = [companies.create(s, r)[0] for r in recs]
    with other.write() as s:
        change = companies.bulk_insert(s, recs)
    assert change.ids == {r.id for r in recs}
    cols = ("name", "city", "phone", "email", "tags_text", "search_extra", "k_name", "k_city", "k_phone", "k_email")
    with ctx.store.read() as a, other.read() as b:
        assert companies.get_many(b, [r.id for r in recs]) == created
        for r in recs:
            ra, rb = crow(a, r.id), crow(b, r.id)
            assert {k: ra[k] for k in cols} == {k: rb[k] for k in cols}


def test_a_rename_marks_the_people_there_as_changed(ctx: Context) -> None:
    from crmdesk.domain.records import BusinessCardRecord, PersonRecord
    from crmdesk.store import people

    with ctx.store.write() as s:
        company, _ = companies.create(s, CompanyRecord(name="Brandt AG"))
        ines, _ = people.create(
            s, PersonRecord(first_name="Ines", last_name="Brandt", cards=(BusinessCardRecord(company_id=company.id),))
        )
    with ctx.store.write() as s:
        renamed, _ = companies.update(s, companies.get(s, company.id).replace(name="Brandt Maschinenbau AG"))
    with ctx.store.read() as s:
        after = people.get(s, ines.id)
    assert after.cards[0].company_name == "Brandt Maschinenbau AG"
    assert after.stamp.change_seq == renamed.stamp.change_seq > ines.stamp.change_seq
