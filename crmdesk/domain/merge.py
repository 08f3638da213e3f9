"""Three-way field merge of sync fields: base, local and remote in one flat form (DESIGN §6, step 2).

Every connector maps a record onto *sync fields*: a flat dict of JSON values holding exactly what that remote can
store ("first_name", "email", "@company:<id>" → position, ...). A key that is absent and a key whose value is None
mean the same: no value. Comparing and merging in this form is what makes a lossy remote safe: a field the remote
cannot hold is never part of the comparison, so it can neither look changed nor be overwritten.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

Value: TypeAlias = str | int | bool | tuple[str, ...] | None
Fields: TypeAlias = Mapping[str, Value]


class Side(enum.StrEnum):
    LOCAL = "local"
    REMOTE = "remote"

    @property
    def other(self) -> Side:
        return Side.REMOTE if self is Side.LOCAL else Side.LOCAL


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """One field both sides changed to different values; `kept` names the side whose value the merge took."""

    field: str
    base: Value
    local: Value
    remote: Value
    kept: Side

    @property
    def lost(self) -> Value:
        """The value the merge did not take: it lives on in the conflict row until the user decides."""
        return self.remote if self.kept is Side.LOCAL else self.local


@dataclass(frozen=True, slots=True)
class Merged:
    """The merged fields and what it took to get there."""

    fields: dict[str, Value]
    conflicts: tuple[FieldConflict, ...]

    def differs_from(self, other: Fields) -> bool:
        return self.fields != clean(other)


def clean(fields: Fields) -> dict[str, Value]:
    """The fields without the keys whose value is None or empty: the one form that is compared and stored."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != ()}


def merge3(base: Fields, local: Fields, remote: Fields, *, prefer: Side) -> Merged:
    """Merge field by field: a field only one side changed takes that side's value; where both changed it to
    different values, `prefer` wins and the other value is reported as a conflict.

    Args:
        base: What both sides last agreed on (empty for a record never synced).
        local: The local record's sync fields now.
        remote: The remote record's sync fields now.
        prefer: The side that wins a conflict (the account's policy, decided per record for "newest wins").

    Returns:
        The merged fields (cleaned) and one FieldConflict per field changed on both sides differently.
    """
    b, lo, re = clean(base), clean(local), clean(remote)
    out: dict[str, Value] = {}
    conflicts: list[FieldConflict] = []
    for key in sorted(b.keys() | lo.keys() | re.keys()):
        bv, lv, rv = b.get(key), lo.get(key), re.get(key)
        if lv == rv:
            value = lv
        elif lv == bv:
            value = rv
        elif rv == bv:
            value = lv
        else:
            kept = prefer
            value = lv if kept is Side.LOCAL else rv
            conflicts.append(FieldConflict(key, bv, lv, rv, kept))
        if value is not None:
            out[key] = value
    return Merged(out, tuple(conflicts))


def dumps(fields: Fields) -> str:
    """Stable JSON of sync fields (sorted keys), as stored in a link's base."""
    return json.dumps(clean(fields), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> dict[str, Value]:
    """Sync fields from `dumps` text; JSON lists come back as tuples."""
    raw = json.loads(text) if text else {}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def value_to_json(value: Value) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def value_from_json(text: str) -> Value:
    v = json.loads(text)
    return tuple(v) if isinstance(v, list) else v
