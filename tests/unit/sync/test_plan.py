"""Tests for crmdesk.sync.plan: every rule of DESIGN §6 step 2 as a table row."""

from __future__ import annotations

import pytest

from crmdesk.domain.merge import Side
from crmdesk.sync.plan import Plan, decide

B = {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("base", "local", "remote", "expected"),
    [
        # nothing changed
        (B, B, B, Plan(B)),
        # one side changed: copy it to the other
        (B, {**B, "a": "L"}, B, Plan({**B, "a": "L"}, to_remote=True)),
        (B, B, {**B, "a": "R"}, Plan({**B, "a": "R"}, to_local=True)),
        # both changed different fields: merged, both written
        (B, {**B, "a": "L"}, {**B, "b": "R"}, Plan({"a": "L", "b": "R"}, to_local=True, to_remote=True)),
        # both made the same change: nothing to write, the base moves on
        (B, {**B, "a": "X"}, {**B, "a": "X"}, Plan({**B, "a": "X"})),
        # a field cleared on one side
        (B, {"a": "1"}, B, Plan({"a": "1"}, to_remote=True)),
        # new on one side only
        (None, B, None, Plan(B, to_remote=True)),
        (None, None, B, Plan(B, to_local=True)),
        # deleted on one side, unchanged on the other: the delete goes through
        (B, None, B, Plan(None, delete_remote=True)),
        (B, B, None, Plan(None, delete_local=True)),
        # deleted on one side, edited on the other: the edit wins, the record comes back
        (B, None, {**B, "a": "R"}, Plan({**B, "a": "R"}, to_local=True)),
        (B, {**B, "a": "L"}, None, Plan({**B, "a": "L"}, to_remote=True)),
        # gone on both sides
        (B, None, None, Plan(None)),
        # None and "" mean "no value"
        (B, {**B, "c": ""}, {**B, "c": None}, Plan(B)),
    ],
)
def test_decide(
    base: dict[str, str] | None, local: dict[str, str] | None, remote: dict[str, str] | None, expected: Plan
) -> None:
    assert decide(base, local, remote, prefer=Side.REMOTE) == expected


@pytest.mark.parametrize(("prefer", "kept"), [(Side.REMOTE, "R"), (Side.LOCAL, "L")])
def test_same_field_changed_on_both_sides_is_a_conflict(prefer: Side, kept: str) -> None:
    plan = decide(B, {**B, "a": "L"}, {**B, "a": "R"}, prefer=prefer)
    assert plan.result == {**B, "a": kept}
    (c,) = plan.conflicts
    assert (c.field, c.base, c.local, c.remote, c.kept) == ("a", "1", "L", "R", prefer)
    assert c.lost == ("L" if kept == "R" else "R")


def test_first_meeting_of_two_records_merges_and_reports_differences() -> None:
    plan = decide(None, {"a": "1", "b": "L"}, {"b": "R", "c": "3"}, prefer=Side.REMOTE)
    assert plan.result == {"a": "1", "b": "R", "c": "3"}
    assert [c.field for c in plan.conflicts] == ["b"]
    assert plan.to_local and plan.to_remote
