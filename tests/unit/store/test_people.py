"""Tests for crmdesk.store.people: round trips, bookkeeping, tombstones, favourites, companies by name, tags."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crmdesk.context import Context
from crmdesk.domain import validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
)
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import common, companies, listing, people, touchpoints
from crmdesk.store.engine import Store
from crmdesk.store.schema import Base, BusinessCard, Company, Person, Tag

SUMMARY = (
    "display_name",
    "company_name",
    "position",
    "email",
    "phone",
    "tags_text",
    "search_extra",
    "k_name",
    "k_company",
    "k_position",
    "k_email",
    "k_phone",
    "k_tags",
)


def full_person(company_id: str | None = None) -> PersonRecord:
    return PersonRecord(
        salutation="Frau",
        title="Dr.",
        first_name="  Ines ",
        middle_name="Maria",
        last_name="Brandt",
        suffix="MBA",
        gender="female",
        birthday=Birthday(month=4, day=12, year=1985),
        notes="Met at Hannover Messe.\r\nPrefers e-mail.",
        lifecycle="customer",
        photo=b"\x89PNG\r\n\x1a\nfake",
        tags=("VIP", "customer", "trade fair 2026"),
        custom=(("X-SKYPE", "ines.brandt"), ("X-ÄNDERUNG", "ja")),
        cards=(
            BusinessCardRecord(
                company_id=company_id,
                company_name="Brandt Maschinenbau GmbH" if company_id is None else "",
                position="Einkaufsleiterin",
                department="Purchasing",
                emails=(
                    Email("ines.brandt@brandt-mb.de", EmailType.WORK, True),
                    Email("IB@Brandt-MB.de", EmailType.OTHER),
                ),
                phones=(Phone("07531 123456", PhoneType.WORK, True), Phone("0171 2345678", PhoneType.MOBILE)),
                addresses=(Address("Seestraße 1", "78462", "Konstanz", "BW", "de", AddressType.WORK, True),),
            ),
            BusinessCardRecord(
                private=True,
                emails=(Email("ines@example.org", EmailType.HOME),),
                addresses=(Address("Gartenweg 3", "78462", "Konstanz", country="DE", type=AddressType.HOME),),
            ),
        ),
    )


def counts(s: Session) -> dict[str, int]:
    """Rows in every table, and the change counter: a write that wrote nothing leaves all of them alone."""
    out = {name: s.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in Base.metadata.tables}
    out["change_counter.value"] = s.execute(text("SELECT value FROM change_counter")).scalar_one()
    for fts in ("person_fts", "company_fts", "touchpoint_fts"):
        out[fts] = s.execute(text(f"SELECT count(*) FROM {fts}_docsize")).scalar_one()
    return out


def row(s: Session, person_id: str) -> dict[str, Any]:
    return dict(s.execute(select(Person.__table__).where(Person.id == person_id)).mappings().one())


def people_count(s: Session, company_id: str) -> int:
    return int(s.execute(select(Company.people_count).where(Company.id == company_id)).scalar_one())


# ---- round trips and bookkeeping ------------------------------------------------------------------------------


def test_create_then_get_returns_the_normalised_record(ctx: Context) -> None:
    rec = full_person()
    with ctx.store.write() as s:
        stored, change = people.create(s, rec)
    with ctx.store.read() as s:
        again = people.get(s, rec.id)
    assert stored == again
    expected = validate.check_person(rec)
    assert stored.id == rec.id
    assert stored.first_name == "Ines"
    assert stored.notes == "Met at Hannover Messe.\nPrefers e-mail."
    assert stored.cards[0].phones[0].number == "+497531123456"
    assert stored.photo == rec.photo
    assert stored.custom == rec.custom
    assert stored.birthday == rec.birthday
    # equal but for the company the store linked by name
    assert stored.cards[0].company_id is not None
    unlinked = dataclasses.replace(stored.cards[0], company_id=None)
    assert stored.replace(cards=(unlinked, *stored.cards[1:])) == expected
    assert change == ChangeSet.of(Entity.PERSON, Kind.CREATE, [rec.id], related={Entity.COMPANY, Entity.TOUCHPOINT})


def test_records_compare_equal_whatever_their_stamp(ctx: Context) -> None:
    rec = validate.check_person(PersonRecord(first_name="Lukas", last_name="Weber", tags=("b", "A")))
    with ctx.store.write() as s:
        stored, _ = people.create(s, rec)
    assert stored.stamp != rec.stamp
    assert stored == rec


def test_birthday_without_a_year_and_empty_optionals_round_trip(ctx: Context) -> None:
    rec = validate.check_person(PersonRecord(last_name="Solo", birthday=Birthday(month=2, day=29)))
    with ctx.store.write() as s:
        stored, _ = people.create(s, rec)
    assert stored == rec
    assert stored.birthday == Birthday(month=2, day=29, year=None)
    assert stored.photo is None
    assert stored.cards == ()


def test_stamps_on_create_and_update(ctx: Context) -> None:
    with ctx.store.write() as s:
        created, _ = people.create(s, PersonRecord(first_name="Anna", last_name="Müller"))
    stamp = created.stamp
    assert stamp.created_at is not None and stamp.created_at.tzinfo is not None
    assert stamp.created_at == stamp.updated_at
    assert stamp.deleted_at is None
    assert stamp.change_seq > 0
    with ctx.store.write() as s:
        updated, change = people.update(s, created.replace(last_name="Schmidt"))
    assert updated.last_name == "Schmidt"
    assert updated.stamp.created_at == stamp.created_at
    assert updated.stamp.updated_at is not None and updated.stamp.updated_at >= stamp.updated_at
    assert updated.stamp.change_seq > stamp.change_seq
    assert change.kind is Kind.UPDATE and change.ids == {created.id}


def test_change_seq_is_one_database_wide_counter(ctx: Context) -> None:
    seqs: list[int] = []
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Acme"))
        seqs.append(c.stamp.change_seq)
        p, _ = people.create(s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_id=c.id),)))
        seqs.append(p.stamp.change_seq)
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Call", person_ids=(p.id,)))
        seqs.append(t.stamp.change_seq)
    with ctx.store.write() as s:
        p2, _ = people.update(s, p.replace(first_name="B"))
        seqs.append(p2.stamp.change_seq)
        c2, _ = companies.update(s, c.replace(industry="Software"))
        seqs.append(c2.stamp.change_seq)
        people.delete_many(s, [p.id])
        seqs.append(people.get(s, p.id, include_deleted=True).stamp.change_seq)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    with ctx.store.read() as s:
        assert s.execute(text("SELECT value FROM change_counter")).scalar_one() == seqs[-1]
        assert s.execute(text("SELECT max(change_seq) FROM person")).scalar_one() == seqs[-1]


def test_get_and_update_of_unknown_ids(ctx: Context) -> None:
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(NotFoundError):
            people.get(s, "no-such-id")
        with pytest.raises(NotFoundError):
            people.update(s, PersonRecord(id="no-such-id", first_name="X"))
        assert people.get_many(s, ["no-such-id"]) == []
        assert counts(s) == before


def test_get_many_keeps_the_order_asked(ctx: Context) -> None:
    with ctx.store.write() as s:
        ids = [people.create(s, PersonRecord(first_name=f"P{i}"))[0].id for i in range(5)]
    with ctx.store.read() as s:
        order = [ids[3], "missing", ids[0], ids[4]]
        assert [p.id for p in people.get_many(s, order)] == [ids[3], ids[0], ids[4]]


# ---- tombstones ---------------------------------------------------------------------------------------------


def test_delete_tombstones_and_restore_brings_back(ctx: Context) -> None:
    with ctx.store.write() as s:
        keep, _ = people.create(s, PersonRecord(first_name="Keep"))
        gone, _ = people.create(s, PersonRecord(first_name="Gone", last_name="Zimmermann"))
    with ctx.store.write() as s:
        change = people.delete_many(s, [gone.id])
    assert change.entity is Entity.PERSON and change.kind is Kind.DELETE and change.ids == {gone.id}
    with ctx.store.read() as s:
        with pytest.raises(NotFoundError):
            people.get(s, gone.id)
        dead = people.get(s, gone.id, include_deleted=True)
        assert dead == gone
        assert dead.stamp.deleted_at is not None
        assert dead.stamp.change_seq > gone.stamp.change_seq
        assert s.execute(text("SELECT count(*) FROM person")).scalar_one() == 2  # kept for sync
        q = listing.ListQuery(Entity.PERSON)
        assert [r.id for r in listing.page(s, q)] == [keep.id]
        assert listing.count(s, q) == 1
        assert listing.count(s, listing.ListQuery(Entity.PERSON, search="Zimmermann")) == 0
        assert listing.rows_by_id(s, q, [gone.id]) == []
    with ctx.store.write() as s:
        change = people.restore_many(s, [gone.id])
    assert change.kind is Kind.CREATE and change.ids == {gone.id}
    with ctx.store.read() as s:
        back = people.get(s, gone.id)
        assert back == gone and back.stamp.deleted_at is None
        assert back.stamp.change_seq > dead.stamp.change_seq
        assert listing.count(s, listing.ListQuery(Entity.PERSON, search="Zimmermann")) == 1


def test_deleting_twice_keeps_the_first_tombstone(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Twice"))
        people.delete_many(s, [p.id])
        first = people.get(s, p.id, include_deleted=True).stamp
        people.delete_many(s, [p.id])
        assert people.get(s, p.id, include_deleted=True).stamp == first


def test_update_of_a_deleted_person_restores_it(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Lazarus"))
        people.delete_many(s, [p.id])
        back, _ = people.update(s, p.replace(notes="back"))
    assert back.stamp.deleted_at is None
    with ctx.store.read() as s:
        assert people.get(s, p.id).notes == "back"


# ---- favourites and cards -----------------------------------------------------------------------------------


def test_first_card_becomes_the_favourite(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="A", cards=(BusinessCardRecord(position="Only"),)))
    assert [c.favourite for c in p.cards] == [True]


def test_favourite_card_comes_first(ctx: Context) -> None:
    cards = (
        BusinessCardRecord(position="Second", favourite=False),
        BusinessCardRecord(position="Fav", favourite=True),
        BusinessCardRecord(position="Third", favourite=True),
    )
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="A", cards=cards))
    with ctx.store.read() as s:
        got = people.get(s, p.id)
        assert [c.position for c in got.cards] == ["Fav", "Second", "Third"]
        assert [c.favourite for c in got.cards] == [True, False, False]
        assert row(s, p.id)["position"] == "Fav"
    with ctx.store.write() as s:
        cards = (
            dataclasses.replace(got.cards[0], favourite=False),
            got.cards[1],
            dataclasses.replace(got.cards[2], favourite=True),
        )
        moved, _ = people.update(s, got.replace(cards=cards))
    assert [c.position for c in moved.cards] == ["Third", "Fav", "Second"]
    with ctx.store.read() as s:
        assert row(s, p.id)["position"] == "Third"


def test_contact_lists_keep_order_type_and_one_favourite(ctx: Context) -> None:
    card = BusinessCardRecord(
        emails=(
            Email("a@x.de", EmailType.HOME),
            Email("b@x.de", EmailType.WORK, True),
            Email("c@x.de", favourite=True),
        ),
        phones=(Phone("+41446681800", PhoneType.FAX), Phone("+4930123456", PhoneType.MOBILE, True)),
    )
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="A", cards=(card,)))
    got = p.cards[0]
    assert [(e.address, e.type, e.favourite) for e in got.emails] == [
        ("a@x.de", EmailType.HOME, False),
        ("b@x.de", EmailType.WORK, True),
        ("c@x.de", EmailType.WORK, False),
    ]
    assert [(x.number, x.type, x.favourite) for x in got.phones] == [
        ("+41446681800", PhoneType.FAX, False),
        ("+4930123456", PhoneType.MOBILE, True),
    ]
    with ctx.store.read() as s:
        r = row(s, p.id)
    assert (r["email"], r["phone"]) == ("b@x.de", "+4930123456")  # the favourites are the summary


def test_removed_cards_are_tombstoned_and_their_data_gone_from_the_record(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, full_person())
        updated, _ = people.update(s, p.replace(cards=p.cards[1:]))
    assert len(updated.cards) == 1 and updated.cards[0].private and updated.cards[0].favourite
    with ctx.store.read() as s:
        dead = s.execute(select(BusinessCard.deleted_at).where(BusinessCard.id == p.cards[0].id)).scalar_one()
        assert dead is not None
        r = row(s, p.id)
        assert r["company_name"] == "" and r["email"] == "ines@example.org"
        assert listing.count(s, listing.ListQuery(Entity.PERSON, search="Einkaufsleiterin")) == 0


def test_summary_columns_of_a_person_without_cards(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Zoë"))
        r = row(s, p.id)
    assert r["display_name"] == "Zoë"
    assert (r["company_name"], r["position"], r["email"], r["phone"], r["tags_text"]) == ("", "", "", "", "")
    for key in ("k_company", "k_position", "k_email", "k_phone", "k_tags"):
        assert r[key] == common.EMPTY_LAST
    assert r["k_name"] == "zoe"


# ---- companies by name, renames and people counts -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Müller Logistik GmbH", "MÜLLER LOGISTIK GMBH", "muller logistik gmbh", " Müller  Logistik GmbH"]
)
def test_a_card_links_to_an_existing_company_by_name(ctx: Context, typed: str) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Müller Logistik GmbH"))
        p, change = people.create(s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_name=typed),)))
        assert companies.count_live(s) == 1
        assert people_count(s, c.id) == 1
    assert p.cards[0].company_id == c.id
    assert p.cards[0].company_name == "Müller Logistik GmbH"  # the company's own spelling
    assert Entity.COMPANY in change.related


def test_a_card_with_a_new_company_name_creates_the_company(ctx: Context) -> None:
    with ctx.store.write() as s:
        p1, _ = people.create(
            s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_name="Kranich Reisen"),))
        )
        p2, _ = people.create(
            s, PersonRecord(first_name="B", cards=(BusinessCardRecord(company_name="kranich reisen"),))
        )
        assert companies.count_live(s) == 1
        company = companies.get(s, p1.cards[0].company_id or "")
        assert company.name == "Kranich Reisen"
        assert p2.cards[0].company_id == company.id
        assert people_count(s, company.id) == 2


def test_private_cards_and_deleted_companies_are_not_linked_by_name(ctx: Context) -> None:
    with ctx.store.write() as s:
        old, _ = companies.create(s, CompanyRecord(name="Gone AG"))
        companies.delete_many(s, [old.id])
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="A",
                cards=(
                    BusinessCardRecord(company_name="Gone AG"),
                    BusinessCardRecord(company_name="Home", private=True),
                ),
            ),
        )
        assert p.cards[0].company_id not in (None, old.id)  # a new, live company of that name
        assert p.cards[1].company_id is None
        assert companies.find_by_name(s, "home") is None


def test_a_card_naming_an_unknown_company_id_is_unlinked(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(
            s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_id="not-there", company_name="X"),))
        )
    assert p.cards[0].company_id is None
    assert p.cards[0].company_name == "X"


def test_a_linked_card_shows_the_companys_current_name(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Atlas Robotics"))
        p, _ = people.create(
            s, PersonRecord(first_name="A", cards=(BusinessCardRecord(company_id=c.id, company_name="Old name"),))
        )
    assert p.cards[0].company_name == "Atlas Robotics"


def test_renaming_a_company_updates_people_and_touchpoints(ctx: Context) -> None:
    with ctx.store.write() as s:
        c, _ = companies.create(s, CompanyRecord(name="Nordlicht Solar"))
        p, _ = people.create(s, PersonRecord(first_name="Anna", cards=(BusinessCardRecord(company_id=c.id),)))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Call", person_ids=(p.id,), company_id=c.id))
    with ctx.store.write() as s:
        _, change = companies.update(s, c.replace(name="Südlicht Energie"))
    assert change.related == {Entity.PERSON, Entity.TOUCHPOINT}
    with ctx.store.read() as s:
        assert people.get(s, p.id).cards[0].company_name == "Südlicht Energie"
        r = row(s, p.id)
        assert (r["company_name"], r["k_company"]) == ("Südlicht Energie", "sudlicht energie")
        [prow] = listing.rows_by_id(s, listing.ListQuery(Entity.PERSON), [p.id])
        assert prow.values[1] == "Südlicht Energie"
        [trow] = listing.rows_by_id(s, listing.ListQuery(Entity.TOUCHPOINT), [t.id])
        assert trow.values[4] == "Südlicht Energie"
        for entity, ident in ((Entity.PERSON, p.id), (Entity.TOUCHPOINT, t.id)):
            assert listing.count(s, listing.ListQuery(entity, search="nordlicht")) == 0
            assert [x.id for x in listing.page(s, listing.ListQuery(entity, search="sudlicht"))] == [ident]


def test_people_count_follows_creates_deletes_restores_and_moves(ctx: Context) -> None:
    with ctx.store.write() as s:
        a, _ = companies.create(s, CompanyRecord(name="A"))
        b, _ = companies.create(s, CompanyRecord(name="B"))

    def count_ab() -> tuple[int, int]:
        with ctx.store.read() as s:
            return people_count(s, a.id), people_count(s, b.id)

    with ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="P", cards=(BusinessCardRecord(company_id=a.id), BusinessCardRecord(company_id=a.id))
            ),
        )
        q, _ = people.create(s, PersonRecord(first_name="Q", cards=(BusinessCardRecord(company_id=a.id),)))
    assert count_ab() == (2, 0)  # P counts once for two cards
    with ctx.store.write() as s:
        people.update(s, p.replace(cards=(p.cards[0], BusinessCardRecord(company_id=b.id))))
    assert count_ab() == (2, 1)
    with ctx.store.write() as s:
        p = people.get(s, p.id)
        people.update(s, p.replace(cards=(BusinessCardRecord(company_id=b.id),)))  # moved from A to B
    assert count_ab() == (1, 1)
    with ctx.store.write() as s:
        people.delete_many(s, [p.id, q.id])
    assert count_ab() == (0, 0)
    with ctx.store.write() as s:
        people.restore_many(s, [q.id])
    assert count_ab() == (1, 0)
    with ctx.store.write() as s:
        people.restore_many(s, [p.id])
        people.bulk_insert(s, [PersonRecord(first_name="R", cards=(BusinessCardRecord(company_id=b.id),))])
    assert count_ab() == (1, 2)
    with ctx.store.read() as s:
        at_b = people.ids_at_company(s, b.id)
        assert p.id in at_b and len(at_b) == 2
        assert people.ids_at_company(s, a.id) == [q.id]


# ---- validation leaves the store alone ----------------------------------------------------------------------


BAD_PEOPLE = [
    PersonRecord(first_name="  ", last_name=""),
    PersonRecord(first_name="A", cards=(BusinessCardRecord(company_name="New Co", emails=(Email("not-an-email"),)),)),
    PersonRecord(first_name="A", cards=(BusinessCardRecord(phones=(Phone("12"),)),)),
    PersonRecord(first_name="A" * 201),
    PersonRecord(first_name="A", tags=("ok", "t" * 101)),
]


@pytest.mark.parametrize("bad", BAD_PEOPLE)
def test_validation_error_on_create_writes_nothing(ctx: Context, bad: PersonRecord) -> None:
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(ValidationError) as err:
            people.create(s, bad)
        assert err.value.problems
        assert counts(s) == before  # nothing written, even in a transaction that goes on to commit
    with ctx.store.read() as s:
        assert counts(s) == before


@pytest.mark.parametrize("bad", BAD_PEOPLE)
def test_validation_error_on_update_writes_nothing(ctx: Context, bad: PersonRecord) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, full_person())
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(ValidationError):
            people.update(s, bad.replace(id=p.id))
        assert counts(s) == before
        assert people.get(s, p.id) == p


def test_bulk_insert_validates_unless_told_the_records_are_checked(ctx: Context) -> None:
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(ValidationError):
            people.bulk_insert(s, [PersonRecord(first_name="ok"), BAD_PEOPLE[0]])
        # the counter moved, but no record was written
        after = counts(s)
        assert {k: v for k, v in after.items() if k != "change_counter.value"} == {
            k: v for k, v in before.items() if k != "change_counter.value"
        }


# ---- tags ---------------------------------------------------------------------------------------------------


def test_tags_are_shared_case_insensitively(ctx: Context) -> None:
    with ctx.store.write() as s:
        people.create(s, PersonRecord(first_name="A", tags=("VIP", "Ärzte", "Straße")))
        b, _ = people.create(s, PersonRecord(first_name="B", tags=("vip", "ÄRZTE", "STRASSE", "new")))
        c, _ = companies.create(s, CompanyRecord(name="C", tags=("Vip",)))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="T", tags=("ärzte",)))
        names = list(s.scalars(select(Tag.name)))
    assert sorted(names, key=str.casefold) == ["new", "Straße", "VIP", "Ärzte"]
    assert b.tags == ("new", "Straße", "VIP", "Ärzte")
    assert c.tags == ("VIP",)
    assert t.tags == ("Ärzte",)
    with ctx.store.read() as s:
        for spelling in ("vip", "VIP", "Vip"):
            assert listing.count(s, listing.ListQuery(Entity.PERSON, tag=spelling)) == 2
        assert common.all_tag_names(s) == sorted(names, key=lambda n: n.lower())


def test_a_record_with_the_same_tag_twice_links_it_once(ctx: Context) -> None:
    with ctx.store.write() as s:
        assert len(common.tag_link_rows(s, [("x", ("a", "A", "a"))], seq=1, now=common.utc_now())) == 1
        p, _ = people.create(s, PersonRecord(first_name="A", tags=("Sales", "sales", "SALES")))
    assert p.tags == ("SALES",)


def test_update_replaces_tags(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="A", tags=("one", "two")))
        p2, _ = people.update(s, p.replace(tags=("three",)))
    assert p2.tags == ("three",)
    with ctx.store.read() as s:
        assert listing.tag_names_in_use(s, Entity.PERSON) == ["three"]
        assert listing.count(s, listing.ListQuery(Entity.PERSON, tag="one")) == 0


# ---- ChangeSets ---------------------------------------------------------------------------------------------


def test_changesets_name_entity_kind_and_ids(ctx: Context) -> None:
    with ctx.store.write() as s:
        lone, ch1 = people.create(s, PersonRecord(first_name="Lone"))
        ch2 = people.bulk_insert(s, [PersonRecord(id=f"bulk-{i}", first_name=f"B{i}") for i in range(3)])
        ch3 = people.delete_many(s, [lone.id, "bulk-0"])
        ch4 = people.restore_many(s, ["bulk-0"])
    assert ch1 == ChangeSet(Entity.PERSON, Kind.CREATE, frozenset({lone.id}), frozenset({Entity.TOUCHPOINT}))
    assert (ch2.entity, ch2.kind, ch2.ids) == (Entity.PERSON, Kind.CREATE, {"bulk-0", "bulk-1", "bulk-2"})
    assert (ch3.entity, ch3.kind, ch3.ids) == (Entity.PERSON, Kind.DELETE, {lone.id, "bulk-0"})
    assert ch3.touches(Entity.TOUCHPOINT)
    assert (ch4.entity, ch4.kind, ch4.ids) == (Entity.PERSON, Kind.CREATE, {"bulk-0"})


# ---- renames reach touchpoints ------------------------------------------------------------------------------


def test_renaming_a_person_updates_their_touchpoints(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Jörg", last_name="Köhler"))
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Call", person_ids=(p.id,)))
        people.update(s, p.replace(last_name="Krüger"))
    with ctx.store.read() as s:
        [trow] = listing.rows_by_id(s, listing.ListQuery(Entity.TOUCHPOINT), [t.id])
        assert trow.values[3] == "Jörg Krüger"
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="kohler")) == 0
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="kruger")) == 1


# ---- bulk insert agrees with create ------------------------------------------------------------------------


def _varied_people(n: int, company_ids: list[str]) -> list[PersonRecord]:
    out = []
    for i in range(n):
        cards: list[BusinessCardRecord] = []
        if i % 5 != 0:
            cards.append(
                BusinessCardRecord(
                    company_id=company_ids[i % len(company_ids)],
                    position=("Managing Director", "Einkäuferin", "CTO", "")[i % 4],
                    department="Sales" if i % 2 else "",
                    favourite=i % 7 == 0,
                    emails=(Email(f"p{i}@firma-{i % 9}.de"),) if i % 3 else (),
                    phones=(Phone(f"07531 {100000 + i}"), Phone(f"+41 44 668 {1000 + i}", favourite=True))
                    if i % 4
                    else (),
                )
            )
        if i % 3 == 0:
            cards.append(
                BusinessCardRecord(
                    private=True,
                    favourite=i % 6 == 0,
                    emails=(Email(f"home{i}@example.org", EmailType.HOME),),
                    phones=(Phone(f"0171 {2000000 + i}", PhoneType.MOBILE),),
                    addresses=(Address(f"Weg {i}", "78462", "Konstanz", country="DE"),),
                )
            )
        out.append(
            PersonRecord(
                id=f"00000000-0000-4000-8000-{i:012d}",
                title="Dr." if i % 11 == 0 else "",
                first_name=("Jürgen", "Zoë", "", "Ole", "Ines")[i % 5],
                last_name=("Müller", "", "Øster", "Smith", "Ñúñez", "van der Berg")[i % 6]
                or ("X" if i % 5 == 2 else ""),
                tags=tuple(t for t, on in (("VIP", i % 2 == 0), ("Kunde", i % 3 == 0), ("ärzte", i % 4 == 0)) if on),
                notes=f"note {i}" if i % 10 == 0 else "",
                lifecycle=("lead", "customer", "")[i % 3],
                cards=tuple(cards),
            )
        )
    return out


def test_bulk_insert_matches_create(make_store: Callable[[], Store]) -> None:
    one_by_one, bulk = make_store(), make_store()
    companies_ = [CompanyRecord(id=f"00000000-0000-4000-9000-{i:012d}", name=f"Firma {i} GmbH") for i in range(9)]
    recs = _varied_people(2000, [c.id for c in companies_])
    sample = recs[::10]  # create() is slow; every tenth record, 200, covers every variation above
    with one_by_one.write() as s:
        companies.bulk_insert(s, companies_)
        for rec in sample:
            people.create(s, rec)
    with bulk.write() as s:
        companies.bulk_insert(s, companies_)
        change = people.bulk_insert(s, recs)
    assert len(change.ids) == 2000
    ids = [r.id for r in sample]
    with one_by_one.read() as a, bulk.read() as b:
        rows_a = {r["id"]: r for r in a.execute(select(Person.__table__).where(Person.id.in_(ids))).mappings()}
        rows_b = {r["id"]: r for r in b.execute(select(Person.__table__).where(Person.id.in_(ids))).mappings()}
        for pid in ids:
            assert {k: rows_a[pid][k] for k in SUMMARY} == {k: rows_b[pid][k] for k in SUMMARY}, pid
        assert people.get_many(a, ids) == people.get_many(b, ids)
        assert b.execute(text("SELECT count(*) FROM person")).scalar_one() == 2000
        assert b.execute(text("SELECT count(*) FROM person_fts_docsize")).scalar_one() == 2000
        counts_b = dict(b.execute(select(Company.id, Company.people_count)).all())
        expected = {c.id: 0 for c in companies_}
        for rec in recs:
            for cid in {c.company_id for c in rec.cards if c.company_id}:
                expected[cid] += 1
        assert counts_b == expected
        b.execute(text("INSERT INTO person_fts(person_fts, rank) VALUES ('integrity-check', 1)"))


# ---- Hypothesis: any valid person round-trips ---------------------------------------------------------------

_letters = st.characters(categories=("Lu", "Ll", "Lo"), exclude_characters="\u0130")
_name = st.text(_letters, min_size=1, max_size=12)
_tags = st.lists(st.text(st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=8), max_size=4)
_phones = st.sampled_from(["+4975311234", "+41446681800", "030 1234567", "+1 212 555 0100", "0171 2345678"])
_emails = st.sampled_from(["a@b.de", "Ines.Brandt@Brandt-MB.de", "x+y@example.org", "zoë@exämple.com"])
_cards = st.builds(
    BusinessCardRecord,
    position=st.text(_letters, max_size=10),
    private=st.booleans(),
    favourite=st.booleans(),
    emails=st.lists(st.builds(Email, _emails, st.sampled_from(EmailType), st.booleans()), max_size=2).map(tuple),
    phones=st.lists(st.builds(Phone, _phones, st.sampled_from(PhoneType), st.booleans()), max_size=2).map(tuple),
)
_people = st.builds(
    PersonRecord,
    first_name=_name,
    last_name=st.one_of(st.just(""), _name),
    notes=st.text(max_size=30),
    tags=_tags.map(tuple),
    cards=st.lists(_cards, max_size=3).map(tuple),
    birthday=st.none()
    | st.builds(Birthday, st.integers(1, 12), st.integers(1, 28), st.none() | st.integers(1900, 2020)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(_people, min_size=1, max_size=4))
def test_any_valid_people_round_trip(make_store: Callable[[], Store], recs: list[PersonRecord]) -> None:
    store = make_store()
    try:
        with store.write() as s:
            stored = [people.create(s, r)[0] for r in recs]
        with store.read() as s:
            again = people.get_many(s, [r.id for r in recs])
            all_tags = {t.casefold() for r in recs for t in validate.normalize_tags(r.tags)}
            assert len(common.all_tag_names(s)) == len(all_tags)
            for rec, st_rec, got in zip(recs, stored, again, strict=True):
                assert got == st_rec
                norm = validate.check_person(rec)
                assert [c.company_id for c in got.cards] == [None] * len(got.cards)  # no names, no links
                assert got.replace(tags=()) == norm.replace(tags=())
                assert [t.casefold() for t in got.tags] == [t.casefold() for t in norm.tags]
                assert tuple(got.tags) == validate.normalize_tags(got.tags)  # stored order is the normal order
                assert [c.favourite for c in got.cards] == [i == 0 for i in range(len(got.cards))]
    finally:
        store.close()


def test_times_are_utc_and_aware(ctx: Context) -> None:
    with ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="T"))
    assert p.stamp.created_at is not None
    assert p.stamp.created_at.utcoffset() == dt.timedelta(0)
    assert abs(p.stamp.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
