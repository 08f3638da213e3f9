"""Tests for crmdesk.store.relations and crmdesk.store.details: relations between records, and the detail panes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from crmdesk.context import Context
from crmdesk.domain.changes import Kind
from crmdesk.domain.records import (
    BusinessCardRecord,
    CompanyRecord,
    Entity,
    PersonRecord,
    RelationRecord,
    TouchpointRecord,
)
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import companies, details, people, relations, touchpoints


@pytest.fixture
def ids(ctx: Context) -> dict[str, str]:
    with ctx.store.write() as s:
        out = {
            key: people.create(s, PersonRecord(first_name=first, last_name=last))[0].id
            for key, first, last in (("ines", "Ines", "Brandt"), ("lukas", "Lukas", "Weber"), ("zoe", "zoë", "Frei"))
        }
        out["acme"] = companies.create(s, CompanyRecord(name="Acme"))[0].id
        out["sub"] = companies.create(s, CompanyRecord(name="Acme Sub"))[0].id
    return out


def test_create_and_read_from_both_sides(ctx: Context, ids: dict[str, str]) -> None:
    rel = RelationRecord(Entity.PERSON, ids["ines"], ids["lukas"], category="  colleague ")
    with ctx.store.write() as s:
        change = relations.create(s, rel)
        relations.create(s, RelationRecord(Entity.PERSON, ids["zoe"], ids["ines"], category="mentor"))
    assert (change.entity, change.kind, change.ids) == (Entity.PERSON, Kind.UPDATE, {ids["ines"], ids["lukas"]})
    with ctx.store.read() as s:
        of_ines = relations.for_record(s, Entity.PERSON, ids["ines"])
        of_lukas = relations.for_record(s, Entity.PERSON, ids["lukas"])
    assert [(e.other_name, e.category, e.outgoing) for e in of_ines] == [
        ("Lukas Weber", "colleague", True),
        ("zoë Frei", "mentor", False),
    ]
    assert [(e.relation_id, e.other_id, e.outgoing) for e in of_lukas] == [(rel.id, ids["ines"], False)]


def test_company_relations(ctx: Context, ids: dict[str, str]) -> None:
    with ctx.store.write() as s:
        relations.create(s, RelationRecord(Entity.COMPANY, ids["sub"], ids["acme"], category="subsidiary of"))
    with ctx.store.read() as s:
        [entry] = relations.for_record(s, Entity.COMPANY, ids["acme"])
        assert (entry.other_name, entry.category, entry.outgoing) == ("Acme Sub", "subsidiary of", False)
        assert relations.for_record(s, Entity.PERSON, ids["acme"]) == []


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda i: RelationRecord(Entity.PERSON, i["ines"], i["ines"]), ValidationError),
        (lambda i: RelationRecord(Entity.TOUCHPOINT, i["ines"], i["lukas"]), ValidationError),
        (lambda i: RelationRecord(Entity.PERSON, i["ines"], "ghost"), NotFoundError),
        (lambda i: RelationRecord(Entity.PERSON, i["ines"], i["acme"]), NotFoundError),  # not the same kind
        (lambda i: RelationRecord(Entity.COMPANY, i["acme"], i["ines"]), NotFoundError),
    ],
)
def test_bad_relations_write_nothing(ctx: Context, ids: dict[str, str], make: object, error: type[Exception]) -> None:
    with ctx.store.write() as s:
        before = s.execute(text("SELECT value FROM change_counter")).scalar_one()
        with pytest.raises(error):
            relations.create(s, make(ids))  # type: ignore[operator]
        assert s.execute(text("SELECT count(*) FROM relation")).scalar_one() == 0
        assert s.execute(text("SELECT value FROM change_counter")).scalar_one() == before


def test_delete_is_a_tombstone_and_hides_the_relation(ctx: Context, ids: dict[str, str]) -> None:
    rel = RelationRecord(Entity.PERSON, ids["ines"], ids["lukas"])
    with ctx.store.write() as s:
        relations.create(s, rel)
        change = relations.delete(s, rel.id)
        assert change.ids == {ids["ines"], ids["lukas"]}
        assert relations.for_record(s, Entity.PERSON, ids["ines"]) == []
        assert s.execute(text("SELECT deleted_at IS NOT NULL FROM relation")).scalar_one() == 1
        with pytest.raises(NotFoundError):
            relations.delete(s, rel.id)
        with pytest.raises(NotFoundError):
            relations.delete(s, "ghost")


def test_relations_to_deleted_records_are_hidden(ctx: Context, ids: dict[str, str]) -> None:
    with ctx.store.write() as s:
        relations.create(s, RelationRecord(Entity.PERSON, ids["ines"], ids["lukas"]))
        people.delete_many(s, [ids["lukas"]])
        assert relations.for_record(s, Entity.PERSON, ids["ines"]) == []
        people.restore_many(s, [ids["lukas"]])
        assert len(relations.for_record(s, Entity.PERSON, ids["ines"])) == 1
        people.delete_many(s, [ids["lukas"]])
        with pytest.raises(NotFoundError):  # no new relation to a deleted record
            relations.create(s, RelationRecord(Entity.PERSON, ids["zoe"], ids["lukas"]))


# ---- detail panes -------------------------------------------------------------------------------------------


def test_person_and_company_detail(ctx: Context, ids: dict[str, str]) -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with ctx.store.write() as s:
        ines = people.get(s, ids["ines"])
        people.update(
            s,
            ines.replace(cards=(BusinessCardRecord(company_id=ids["acme"], position="CTO", department="IT"),)),
        )
        people.update(s, people.get(s, ids["zoe"]).replace(cards=(BusinessCardRecord(company_id=ids["acme"]),)))
        relations.create(s, RelationRecord(Entity.PERSON, ids["ines"], ids["lukas"], category="colleague"))
        relations.create(s, RelationRecord(Entity.COMPANY, ids["acme"], ids["sub"], category="parent of"))
        for i in range(3):
            touchpoints.create(
                s,
                TouchpointRecord(
                    subject=f"T{i}",
                    occurred_at=when + dt.timedelta(days=i),
                    person_ids=(ids["ines"], ids["lukas"]),
                    company_id=ids["acme"],
                ),
            )
    with ctx.store.read() as s:
        pd = details.person_detail(s, ids["ines"])
        cd = details.company_detail(s, ids["acme"])
    assert pd.person.id == ids["ines"] and pd.person.cards[0].position == "CTO"
    assert [t.subject for t in pd.touchpoints] == ["T2", "T1", "T0"]
    assert [r.other_name for r in pd.relations] == ["Lukas Weber"]
    assert pd.names == {ids["ines"]: "Ines Brandt", ids["lukas"]: "Lukas Weber", ids["acme"]: "Acme"}
    assert [(e.name, e.position, e.department) for e in cd.staff] == [
        ("Ines Brandt", "CTO", "IT"),
        ("zoë Frei", "", ""),
    ]
    assert [t.subject for t in cd.touchpoints] == ["T2", "T1", "T0"]
    assert [r.other_name for r in cd.relations] == ["Acme Sub"]
    with ctx.store.write() as s:
        people.delete_many(s, [ids["zoe"]])
        assert [e.name for e in details.company_detail(s, ids["acme"]).staff] == ["Ines Brandt"]
        with pytest.raises(NotFoundError):
            details.person_detail(s, ids["zoe"])
        tid = details.person_detail(s, ids["ines"]).touchpoints[0].id
        td = details.touchpoint_detail(s, tid)
        assert td.names[ids["acme"]] == "Acme" and td.names[ids["lukas"]] == "Lukas Weber"
        companies.delete_many(s, [ids["acme"]])
        with pytest.raises(NotFoundError):
            details.company_detail(s, ids["acme"])
