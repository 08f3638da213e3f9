"""Tests for crmdesk.store.touchpoints: round trips, summaries of people and company, timelines, tombstones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crmdesk.context import Context
from crmdesk.domain import validate
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import (
    CompanyRecord,
    Direction,
    Entity,
    Mood,
    PersonRecord,
    Priority,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import companies, listing, people, touchpoints
from crmdesk.store.engine import Store
from crmdesk.store.schema import Base, Touchpoint

WHEN = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)


def counts(s: Session) -> dict[str, int]:
    out = {name: s.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in Base.metadata.tables}
    out["counter"] = s.execute(text("SELECT value FROM change_counter")).scalar_one()
    return out


def trow(s: Session, tid: str) -> dict[str, Any]:
    return dict(s.execute(select(Touchpoint.__table__).where(Touchpoint.id == tid)).mappings().one())


@pytest.fixture
def cast(ctx: Context) -> dict[str, str]:
    """Four people and a company."""
    with ctx.store.write() as s:
        ids = {
            key: people.create(s, PersonRecord(first_name=first, last_name=last))[0].id
            for key, first, last in (
                ("ines", "Ines", "Brandt"),
                ("lukas", "Lukas", "Weber"),
                ("zoe", "Zoë", "Frei"),
                ("amelia", "Amelia", "Jones"),
            )
        }
        ids["acme"] = companies.create(s, CompanyRecord(name="Acme Ltd"))[0].id
    return ids


def test_create_then_get_round_trip(ctx: Context, cast: dict[str, str]) -> None:
    rec = TouchpointRecord(
        type=TouchpointType.TURNOVER,
        occurred_at=dt.datetime(2026, 3, 4, 10, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        subject="  Order  ",
        body="Spare parts\r\n\r\nDelivered by truck.",
        direction=Direction.INBOUND,
        priority=Priority.HIGH,
        mood=Mood.POSITIVE,
        person_ids=(cast["zoe"], cast["ines"], cast["zoe"]),
        company_id=cast["acme"],
        tags=("order", "Q1"),
        amount="1250.50",
        currency="eur",
    )
    with ctx.store.write() as s:
        stored, change = touchpoints.create(s, rec)
    with ctx.store.read() as s:
        again = touchpoints.get(s, rec.id)
        r = trow(s, rec.id)
        raw = s.execute(text("SELECT occurred_at FROM touchpoint WHERE id = :i"), {"i": rec.id}).scalar_one()
    assert raw == "2026-03-04T09:30:15.123456Z"  # fixed-width UTC text: text order is time order
    assert stored == again == validate.check_touchpoint(rec)
    assert stored.occurred_at == rec.occurred_at and stored.occurred_at.utcoffset() == dt.timedelta(0)
    assert stored.person_ids == (cast["zoe"], cast["ines"])  # in the order given, once each
    assert (stored.amount, stored.currency, stored.subject) == ("1250.50", "EUR", "Order")
    assert change == ChangeSet.of(Entity.TOUCHPOINT, Kind.CREATE, [rec.id])
    assert r["people_text"] == "Zoë Frei, Ines Brandt"
    assert (r["company_name"], r["k_company"], r["k_people"]) == ("Acme Ltd", "acme ltd", "zoe frei, ines brandt")


def test_people_column_shows_three_names_and_a_count(ctx: Context, cast: dict[str, str]) -> None:
    order = ("amelia", "ines", "lukas", "zoe")
    with ctx.store.write() as s:
        t, _ = touchpoints.create(s, TouchpointRecord(subject="Meeting", person_ids=tuple(cast[k] for k in order)))
        assert trow(s, t.id)["people_text"] == "Amelia Jones, Ines Brandt, Lukas Weber +1"


def test_update_replaces_people_and_tags_and_keeps_created_at(ctx: Context, cast: dict[str, str]) -> None:
    with ctx.store.write() as s:
        t, _ = touchpoints.create(
            s, TouchpointRecord(subject="Call", occurred_at=WHEN, person_ids=(cast["ines"],), tags=("a",))
        )
    with ctx.store.write() as s:
        t2, change = touchpoints.update(
            s, t.replace(person_ids=(cast["lukas"],), tags=("b", "c"), company_id=cast["acme"], subject="Call back")
        )
    assert (t2.person_ids, t2.tags, t2.company_id, t2.subject) == (
        (cast["lukas"],),
        ("b", "c"),
        cast["acme"],
        "Call back",
    )
    assert t2.stamp.created_at == t.stamp.created_at
    assert t2.stamp.change_seq > t.stamp.change_seq
    assert change == ChangeSet.of(Entity.TOUCHPOINT, Kind.UPDATE, [t.id])
    with ctx.store.read() as s:
        assert trow(s, t.id)["people_text"] == "Lukas Weber"
        assert touchpoints.recent_for_person(s, cast["ines"]) == []
        assert [x.id for x in touchpoints.recent_for_person(s, cast["lukas"])] == [t.id]
        assert listing.tag_names_in_use(s, Entity.TOUCHPOINT) == ["b", "c"]
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="back")) == 1


def test_tombstone_and_restore(ctx: Context, cast: dict[str, str]) -> None:
    with ctx.store.write() as s:
        t, _ = touchpoints.create(
            s, TouchpointRecord(subject="Quarterly review", person_ids=(cast["ines"],), company_id=cast["acme"])
        )
    with ctx.store.write() as s:
        change = touchpoints.delete_many(s, [t.id])
    assert (change.kind, change.ids) == (Kind.DELETE, {t.id})
    with ctx.store.read() as s:
        with pytest.raises(NotFoundError):
            touchpoints.get(s, t.id)
        assert touchpoints.get(s, t.id, include_deleted=True).stamp.deleted_at is not None
        assert touchpoints.recent_for_person(s, cast["ines"]) == []
        assert touchpoints.recent_for_company(s, cast["acme"]) == []
        assert listing.count(s, listing.ListQuery(Entity.TOUCHPOINT, search="quarterly")) == 0
    with ctx.store.write() as s:
        touchpoints.restore_many(s, [t.id])
    with ctx.store.read() as s:
        assert touchpoints.get(s, t.id) == t
        assert [x.id for x in touchpoints.recent_for_company(s, cast["acme"])] == [t.id]


def test_timelines_are_newest_first_and_limited(ctx: Context, cast: dict[str, str]) -> None:
    with ctx.store.write() as s:
        ids = [
            touchpoints.create(
                s,
                TouchpointRecord(
                    subject=f"T{i}",
                    occurred_at=WHEN + dt.timedelta(days=i % 4),
                    person_ids=(cast["zoe"],),
                    company_id=cast["acme"],
                ),
            )[0].id
            for i in range(8)
        ]
    with ctx.store.read() as s:
        got = [t.id for t in touchpoints.recent_for_person(s, cast["zoe"])]
        # by time, newest first; equal times: the later-made first
        expected = sorted(ids, key=lambda i: (ids.index(i) % 4, ids.index(i)), reverse=True)
        assert got == expected
        assert [t.id for t in touchpoints.recent_for_person(s, cast["zoe"], limit=3)] == expected[:3]
        assert [t.id for t in touchpoints.recent_for_company(s, cast["acme"])] == expected


@pytest.mark.parametrize(
    "bad",
    [
        TouchpointRecord(subject=""),
        TouchpointRecord(subject="x" * 501),
        TouchpointRecord(subject="Naive", occurred_at=dt.datetime(2026, 1, 1, 12, 0)),
        TouchpointRecord(subject="Money", amount="12,50", currency="EUR"),
        TouchpointRecord(subject="Money", amount="12.50"),
        TouchpointRecord(subject="Nobody", person_ids=("no-such-person",)),
        TouchpointRecord(subject="Nowhere", company_id="no-such-company"),
    ],
)
def test_validation_errors_write_nothing(ctx: Context, cast: dict[str, str], bad: TouchpointRecord) -> None:
    with ctx.store.write() as s:
        existing, _ = touchpoints.create(s, TouchpointRecord(subject="Existing", person_ids=(cast["ines"],)))
    with ctx.store.write() as s:
        before = counts(s)
        with pytest.raises(ValidationError) as err:
            touchpoints.create(s, bad)
        assert err.value.problems
        with pytest.raises(ValidationError):
            touchpoints.update(s, bad.replace(id=existing.id))
        assert counts(s) == before
        assert touchpoints.get(s, existing.id) == existing


def test_unknown_people_are_named_in_the_problem(ctx: Context, cast: dict[str, str]) -> None:
    with ctx.store.write() as s, pytest.raises(ValidationError) as err:
        touchpoints.create(s, TouchpointRecord(subject="X", person_ids=(cast["ines"], "ghost"), company_id="nowhere"))
    assert set(err.value.problems) == {"person_ids[1]", "company_id"}
    assert "ghost" in err.value.problems["person_ids[1]"]


def test_update_of_unknown_touchpoint(ctx: Context) -> None:
    with ctx.store.write() as s, pytest.raises(NotFoundError):
        touchpoints.update(s, TouchpointRecord(subject="Ghost"))


def test_bulk_insert_matches_create(ctx: Context, cast: dict[str, str]) -> None:
    recs = [
        TouchpointRecord(
            id=f"tp-{i}",
            type=list(TouchpointType)[i % 7],
            occurred_at=WHEN - dt.timedelta(hours=i),
            subject=f"Subject {i}",
            person_ids=tuple(cast[k] for k in ("ines", "lukas", "zoe", "amelia")[: i % 5]),
            company_id=cast["acme"] if i % 2 else None,
            tags=("x",) if i % 3 else (),
            amount="10.00" if i % 7 == 6 else "",
            currency="EUR" if i % 7 == 6 else "",
        )
        for i in range(30)
    ]
    with ctx.store.write() as s:
        touchpoints.bulk_insert(s, recs[:15])
        for r in recs[15:]:
            touchpoints.create(s, r)
    with ctx.store.read() as s:
        got = touchpoints.get_many(s, [r.id for r in recs])
        assert got == [validate.check_touchpoint(r) for r in recs]
        for r in recs:
            row = trow(s, r.id)
            shown = row["people_text"].split(" +")[0]
            assert shown.count(",") == max(0, min(len(r.person_ids), 3) - 1)
            assert row["company_name"] == ("Acme Ltd" if r.company_id else "")
        s.execute(text("INSERT INTO touchpoint_fts(touchpoint_fts, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("amount", ["1250", "1250.5", "0012.50", "+12", "-0.5", "1e3", "0"])
def test_amounts_are_stored_as_validated(ctx: Context, amount: str) -> None:
    rec = TouchpointRecord(type=TouchpointType.TURNOVER, subject="Order", amount=amount, currency="EUR")
    with ctx.store.write() as s:
        stored, _ = touchpoints.create(s, rec)
    assert stored == validate.check_touchpoint(rec)
    assert stored.amount == amount


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=40, deadline=None)
@given(
    subject=_text.filter(lambda t: validate.normalize_touchpoint(TouchpointRecord(subject=t)).subject != ""),
    body=_text,
    tags=st.lists(st.text(st.characters(categories=("L", "Nd")), min_size=1, max_size=8), max_size=4),
    kind=st.sampled_from(TouchpointType),
    mood=st.sampled_from(Mood),
    when=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)),
)
def test_any_valid_touchpoint_round_trips(
    make_store: Callable[[], Store],
    subject: str,
    body: str,
    tags: list[str],
    kind: TouchpointType,
    mood: Mood,
    when: dt.datetime,
) -> None:
    rec = TouchpointRecord(subject=subject, body=body, tags=tuple(tags), type=kind, mood=mood, occurred_at=when)
    store = make_store()
    try:
        with store.write() as s:
            stored, _ = touchpoints.create(s, rec)
        with store.read() as s:
            assert touchpoints.get(s, rec.id) == stored == validate.check_touchpoint(rec)
    finally:
        store.close()
