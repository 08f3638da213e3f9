"""Sort positions: an integer per person that follows the People list's name order, the search index's rowid.

FTS5 hands out its matches in rowid order and stops after a LIMIT. When the rowid *is* the name order, the first
page of a search in the default order is the first `limit` matches the index yields: a few hundred index entries
read, however many people match ("manager" matches a quarter of 100,000 people: 14 ms → 2.6 ms). So
`person.name_pos` is kept strictly increasing in the list's key (`k_name`, `num`) — tombstones included, since
the index holds them too — and `person_fts` uses it as its rowid (migration 0005).

Positions are integers with room between them (`STEP` apart when written in one go). A new or renamed person
takes a position between its neighbours in key order, spread evenly when several land in one gap; when a gap has
no integer left, the rows around it are spread out again (`_open_room`: the smallest window around the gap
with room enough, a few rows almost always), which their index entries follow through the update trigger.
Everything happens in the writer's transaction, so a crash rolls positions back with the rows.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

STEP = 1 << 32  # between positions written in one go: 32 halvings of a gap before any row has to move
LOW, HIGH = -(1 << 61), 1 << 61  # positions live here; below LOW is the scratch range of a move
_SCRATCH = -(1 << 62)
_MIN_ROOM = 1 << 16  # a window is spread out only when its rows end up at least this far apart
_MAX_KEYS = 2_000  # neighbours looked up per statement: 4,000 parameters (SQLite allows 32,766 since 3.32)
_SCAN_RATIO = 32
"""A batch of keys at least 1/_SCAN_RATIO the size of the table reads the whole name order once and merges its keys
in, instead of two index seeks per key (~30 µs a seek, ~1 µs a row scanned): demo data and imports add thousands
of people at a time (30,000 into an empty store: 1.9 s of seeks), a pull adds pages of 100 to a small store."""

Key = tuple[str, int]  # (k_name, num)


def insert_in_order(s: Session, rows: Sequence[dict[str, Any]], insert: Callable[[list[dict[str, Any]]], None]) -> None:
    """Insert new person rows (each with its `k_name` and an unused `num`) through `insert`, each row given its
    position (`name_pos`) first. Rows go in with one `insert` call unless a gap is full: then the rows before it go
    in first, so that spreading out the rows around the gap moves them too rather than colliding with them."""
    rest = sorted(rows, key=lambda r: (r["k_name"], r["num"]))
    table = s.execute(text("SELECT max(num) FROM person")).scalar() or 0  # at least as many rows as it holds
    large = len(rest) * _SCAN_RATIO >= table
    while rest:
        keys = [(r["k_name"], r["num"]) for r in rest]
        gaps = _neighbours_by_scan(s, keys) if large else _neighbours(s, keys)
        done = 0
        for (lo, hi), group in itertools.groupby(zip(gaps, rest, strict=True), key=lambda g: g[0]):
            m = len(list(group))
            full = not _fits(lo, hi, m)
            if full and done:
                break  # insert the rows placed so far, then look this gap up again
            positions = _open_room(s, lo, hi, m) if full else _spread(lo, hi, m)
            for row, pos in zip(rest[done : done + m], positions, strict=True):
                row["name_pos"] = pos
            done += m
            if full:
                break  # rows moved: the gaps looked up for the rows after these are stale
        insert(rest[:done])  # in position order, the index's rowid order (FTS5 flushes its buffer on a step back)
        rest = rest[done:]


def reposition(s: Session, num: int, key: str, current: int | None) -> int:
    """The position for person `num` whose name key becomes `key`: `current` while that is still in order."""
    lo, hi = _neighbours(s, [(key, num)])[0]
    if current is not None and LOW <= current <= HIGH and (lo is None or lo < current) and (hi is None or current < hi):
        return current
    if _fits(lo, hi, 1):
        return _spread(lo, hi, 1)[0]
    _move(s, [(num, _SCRATCH)])  # out of the way of the rows spread out around its new place
    return _open_room(s, lo, hi, 1)[0]


def _fits(lo: int | None, hi: int | None, m: int) -> bool:
    if lo is None and hi is None:
        return True
    if lo is None:
        return hi is not None and hi - m * STEP >= LOW
    if hi is None:
        return lo + m * STEP <= HIGH
    return (hi - lo) // (m + 1) >= 1


def _spread(lo: int | None, hi: int | None, m: int) -> list[int]:
    if lo is None and hi is None:
        return [i * STEP for i in range(m)]
    if lo is None:
        assert hi is not None
        return [hi - (m - i) * STEP for i in range(m)]
    if hi is None:
        return [lo + (i + 1) * STEP for i in range(m)]
    room = (hi - lo) // (m + 1)
    return [lo + (i + 1) * room for i in range(m)]


def _neighbours(s: Session, keys: Sequence[Key]) -> list[tuple[int | None, int | None]]:
    """For each key, the positions of the rows just before and just after it in key order (the row with the key's
    own `num` left out: a renamed person is not its own neighbour)."""
    out: list[tuple[int | None, int | None]] = []
    for start in range(0, len(keys), _MAX_KEYS):
        chunk = keys[start : start + _MAX_KEYS]
        values = ", ".join(f"({i}, :k{i}, :n{i})" for i in range(len(chunk)))
        params: dict[str, Any] = {"low": LOW}
        for i, (k, n) in enumerate(chunk):
            params[f"k{i}"], params[f"n{i}"] = k, n
        rows = s.execute(
            text(
                f"WITH key(i, k, n) AS (VALUES {values}) "
                "SELECT (SELECT name_pos FROM person WHERE (k_name, num) < (key.k, key.n) AND num != key.n "
                "AND name_pos >= :low ORDER BY k_name DESC, num DESC LIMIT 1), "
                "(SELECT name_pos FROM person WHERE (k_name, num) > (key.k, key.n) AND num != key.n "
                "AND name_pos >= :low ORDER BY k_name, num LIMIT 1) "
                "FROM key ORDER BY key.i"
            ),
            params,
        )
        out += [(lo, hi) for lo, hi in rows]
    return out


def _neighbours_by_scan(s: Session, keys: Sequence[Key]) -> list[tuple[int | None, int | None]]:
    """`_neighbours` of many keys at once: one scan of the name order (the covering index, in key order), each
    key placed in it by bisection. Python orders (str, int) pairs as SQLite orders (k_name, num): k_name has the
    BINARY collation, and UTF-8 bytes sort as their code points do."""
    line = s.execute(
        text("SELECT k_name, num, name_pos FROM person WHERE name_pos >= :low ORDER BY k_name, num"), {"low": LOW}
    ).all()
    order = [(k, n) for k, n, _ in line]
    out: list[tuple[int | None, int | None]] = []
    for key in keys:
        at = bisect.bisect_left(order, key)
        before, after = at - 1, at
        # A row with the key's own num (a renamed person: at most one, num is unique) is not its own neighbour.
        if before >= 0 and line[before][1] == key[1]:
            before -= 1
        if after < len(line) and line[after][1] == key[1]:
            after += 1
        out.append((int(line[before][2]) if before >= 0 else None, int(line[after][2]) if after < len(line) else None))
    return out


def _open_room(s: Session, lo: int | None, hi: int | None, m: int) -> list[int]:
    """Spread out the rows around the gap (lo, hi) so that m new positions fit in it; the new positions."""
    width = 8
    while True:
        below = _positions(s, "name_pos <= :at ORDER BY name_pos DESC", lo, width)[::-1]
        above = _positions(s, "name_pos >= :at ORDER BY name_pos", hi, width)
        floor = _positions(s, "name_pos < :at ORDER BY name_pos DESC", below[0] if below else lo, 1)
        ceil = _positions(s, "name_pos > :at ORDER BY name_pos", above[-1] if above else hi, 1)
        start = floor[0] if floor else LOW - 1
        end = ceil[0] if ceil else HIGH + 1
        slots = len(below) + m + len(above)
        room = (end - start) // (slots + 1)
        if room >= _MIN_ROOM or not (floor or ceil):
            break
        width *= 4
    if room < 1:  # more people than integers between LOW and HIGH: 2**62 of them
        raise OverflowError("no room left in the name order")
    fresh = [start + (i + 1) * room for i in range(slots)]
    new_below, mine, new_above = fresh[: len(below)], fresh[len(below) : len(below) + m], fresh[len(below) + m :]
    _move_positions(s, list(zip(below + above, new_below + new_above, strict=True)))
    return mine


def _positions(s: Session, where: str, at: int | None, limit: int) -> list[int]:
    if at is None:
        return []
    sql = f"SELECT name_pos FROM person WHERE name_pos >= :low AND {where} LIMIT :n"
    return [int(p) for (p,) in s.execute(text(sql).bindparams(at=at, low=LOW, n=limit))]


def _move_positions(s: Session, moves: list[tuple[int, int]]) -> None:
    """Give the rows at these positions their new ones (through the scratch range: no two rows ever share one)."""
    moves = [(old, new) for old, new in moves if old != new]
    if not moves:
        return
    nums = [
        s.execute(text("SELECT num FROM person WHERE name_pos = :p").bindparams(p=old)).scalar_one() for old, _ in moves
    ]
    _move(s, [(num, _SCRATCH - 1 - i) for i, num in enumerate(nums)])  # _SCRATCH itself: a parked row
    _move(s, [(num, new) for num, (_, new) in zip(nums, moves, strict=True)])


def _move(s: Session, moves: list[tuple[int, int]]) -> None:
    for num, pos in moves:
        s.execute(text("UPDATE person SET name_pos = :p WHERE num = :n").bindparams(p=pos, n=num))
