"""Pure sync decisions: from base, local and remote sync fields to what must happen (DESIGN §6, step 2; STYLE P6).

No I/O here: the engine gathers the three versions, asks `decide`, and carries the plan out. Every rule is a row of
the table tests in tests/unit/sync/test_plan.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmdesk.domain.merge import FieldConflict, Fields, Side, Value, clean, merge3


@dataclass(frozen=True, slots=True)
class Plan:
    """What one record needs.

    Attributes:
        result: The fields both sides hold once the plan is carried out; None when the record is gone on both.
        to_local: The local record must be written with `result` (created, updated or brought back).
        to_remote: The remote record must be written with `result` (created, updated or brought back).
        delete_local: The remote deleted it and the local side did not change it: delete locally.
        delete_remote: The local side deleted it and the remote did not change it: delete remotely.
        conflicts: Fields both sides changed to different values; the value not in `result` lives on here.
    """

    result: dict[str, Value] | None
    to_local: bool = False
    to_remote: bool = False
    delete_local: bool = False
    delete_remote: bool = False
    conflicts: tuple[FieldConflict, ...] = ()

    @property
    def noop(self) -> bool:
        return not (self.to_local or self.to_remote or self.delete_local or self.delete_remote)


def decide(base: Fields | None, local: Fields | None, remote: Fields | None, *, prefer: Side) -> Plan:
    """Decide one record.

    Args:
        base: What both sides last agreed on; None for a record never synced with this account.
        local: The local record's fields; None when it is deleted locally (or does not exist here).
        remote: The remote record's fields; None when it is deleted remotely (or does not exist there).
        prefer: Which side's value a conflicting field takes.

    Returns:
        The plan. An edit beats a delete: a record deleted on one side and changed on the other comes back.
    """
    lo = clean(local) if local is not None else None
    re = clean(remote) if remote is not None else None
    if lo is None and re is None:
        return Plan(None)
    if base is None:
        if re is None:
            assert lo is not None
            return Plan(lo, to_remote=True)
        if lo is None:
            return Plan(re, to_local=True)
        merged = merge3({}, lo, re, prefer=prefer)
        return Plan(
            merged.fields, to_local=merged.fields != lo, to_remote=merged.fields != re, conflicts=merged.conflicts
        )
    b = clean(base)
    if lo is None:
        assert re is not None
        if re == b:
            return Plan(None, delete_remote=True)
        return Plan(re, to_local=True)  # changed remotely after the local delete: it comes back here
    if re is None:
        if lo == b:
            return Plan(None, delete_local=True)
        return Plan(lo, to_remote=True)  # changed locally after the remote delete: it comes back there
    merged = merge3(b, lo, re, prefer=prefer)
    return Plan(merged.fields, to_local=merged.fields != lo, to_remote=merged.fields != re, conflicts=merged.conflicts)
