"""What the CLI prints: records as JSON, aligned tables that fit the terminal, and the human-readable `show` views.

`cli` parses the arguments and runs the commands; this module only turns what the store gives back into text.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import shutil
import unicodedata
from collections.abc import Sequence
from typing import Any

from crmdesk.context import Context
from crmdesk.domain import normalize
from crmdesk.domain.records import (
    Address,
    Birthday,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
    Stamp,
    TouchpointRecord,
)
from crmdesk.store import details
from crmdesk.store.relations import RelatedEntry

Record = PersonRecord | CompanyRecord | TouchpointRecord


# ---- records as JSON --------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A record, or any part of one, as JSON-ready data: every field, enums by value, times in ISO 8601.

    A record's bookkeeping (`stamp`) is flattened into `created_at`, `updated_at`, `change_seq` and `deleted_at`;
    a birthday is its ISO form (``--MM-DD`` without a year); bytes (photo, logo) are base64 text.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Birthday):
        return value.iso()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if isinstance(item, Stamp):
                out.update((k.name, to_json(getattr(item, k.name))) for k in dataclasses.fields(item))
            else:
                out[f.name] = to_json(item)
        return out
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def record_json(rec: Record) -> dict[str, Any]:
    """The JSON object `--json` prints for a record: every field, plus `kind` (and `display_name` for a person)."""
    data: dict[str, Any] = to_json(rec)
    if isinstance(rec, PersonRecord):
        return {"kind": Entity.PERSON.value, "display_name": rec.display_name, **data}
    kind = Entity.COMPANY if isinstance(rec, CompanyRecord) else Entity.TOUCHPOINT
    return {"kind": kind.value, **data}


# ---- one value as text -------------------------------------------------------------------------------------


def _text(value: Any, ctx: Context) -> str:
    return "" if value is None else str(value)


def _phone(value: Any, ctx: Context) -> str:
    """A stored number, or a list's phone forms (normalize.phone_forms), as the reader dials it."""
    return normalize.shown_phone(value, region=ctx.region) if value else ""


def _local_time(value: Any, ctx: Context) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else _text(value, ctx)


# ---- tables that fit the terminal --------------------------------------------------------------------------


def _cell_width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _one_line(text: str) -> str:
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).strip()


def _clip(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells (ending in … when cut) and padded to it."""
    used = _cell_width(text)
    if used > width:
        kept: list[str] = []
        used = 1
        for c in text:
            w = _cell_width(c)
            if used + w > width:
                break
            kept.append(c)
            used += w
        text = "".join(kept) + "…"
    return text + " " * max(0, width - used)


def _fit(natural: list[int], minimum: list[int], *, total: int) -> list[int]:
    """Column widths no wider than `total`: the widest columns give way first, none below its minimum."""
    widths = list(natural)
    excess = sum(widths) - total
    while excess > 0:
        i = max(range(len(widths)), key=lambda k: widths[k] - minimum[k])
        step = min(excess, widths[i] - minimum[i], max(1, excess // len(widths)))
        if step <= 0:
            break
        widths[i] -= step
        excess -= step
    return widths


class _Table:
    """An aligned table written as rows arrive; widths come from the header and the first page."""

    GAP = 2

    def __init__(self, headers: Sequence[str]) -> None:
        self._headers = list(headers)
        self._widths: list[int] | None = None

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        if self._widths is None:
            natural = [max([_cell_width(h)] + [_cell_width(r[i]) for r in rows]) for i, h in enumerate(self._headers)]
            minimum = [min(n, max(_cell_width(h), 6)) for n, h in zip(natural, self._headers, strict=True)]
            total = shutil.get_terminal_size().columns - self.GAP * (len(natural) - 1)
            self._widths = _fit(natural, minimum, total=total)
            self._line(self._headers)
        for row in rows:
            self._line(row)

    def _line(self, cells: Sequence[str]) -> None:
        assert self._widths is not None
        gap = " " * self.GAP
        print(gap.join(_clip(c, w) for c, w in zip(cells, self._widths, strict=True)).rstrip())


# ---- show: the human-readable view -------------------------------------------------------------------------


class _Lines(list[str]):
    """The lines of a `show` view; labelled fields line up, empty ones are left out."""

    def __init__(self, title: str, ctx: Context) -> None:
        super().__init__([title])
        self.ctx = ctx

    def field(self, label: str, value: object, *, indent: str = "  ") -> None:
        first, *rest = ("" if value is None else str(value)).splitlines() or [""]
        if first or rest:
            self.append(f"{indent}{label + ':':<14}{first}")
            self.extend(f"{indent}{'':<14}{more}" for more in rest)

    def section(self, title: str, lines: Sequence[str]) -> None:
        if lines:
            self.extend(["", title, *lines])

    def stamp(self, rec_id: str, stamp: Stamp) -> None:
        self.field("id", rec_id)
        self.field("created", _local_time(stamp.created_at, self.ctx))
        self.field("updated", _local_time(stamp.updated_at, self.ctx))

    def channels(self, *, emails: Sequence[Email], phones: Sequence[Phone], addresses: Sequence[Address]) -> None:
        star = {True: " ★", False: ""}
        for e in emails:
            self.field(f"e-mail {e.type.value}", e.address + star[e.favourite], indent="    ")
        for p in phones:
            self.field(f"phone {p.type.value}", _phone(p.number, self.ctx) + star[p.favourite], indent="    ")
        for a in addresses:
            self.field(f"addr. {a.type.value}", a.one_line() + star[a.favourite], indent="    ")

    def relations(self, entries: Sequence[RelatedEntry]) -> None:
        arrow = {True: "→", False: "←"}
        self.section("Relations", [f"  {r.category or 'related'} {arrow[r.outgoing]} {r.other_name}" for r in entries])

    def timeline(self, tps: Sequence[TouchpointRecord], names: dict[str, str]) -> None:
        lines = []
        for t in tps:
            who = ", ".join(names.get(p, p) for p in t.person_ids)
            line = f"  {_local_time(t.occurred_at, self.ctx)}  {t.type.value:<8}  {t.subject}"
            lines.append(f"{line}  ({who})" if who else line)
        newest = f" (newest {len(tps)})" if len(tps) >= details.TIMELINE_LIMIT else ""
        self.section(f"Touchpoints{newest}", lines)


def _person_lines(d: details.PersonDetail, ctx: Context) -> list[str]:
    p = d.person
    out = _Lines(p.display_name or "(no name)", ctx)
    out.field("salutation", p.salutation)
    out.field("birthday", p.birthday.iso() if p.birthday else "")
    out.field("gender", p.gender)
    out.field("lifecycle", p.lifecycle)
    out.field("tags", ", ".join(p.tags))
    out.stamp(p.id, p.stamp)
    if p.cards:
        out.extend(["", "Business cards"])
    for c in p.cards:
        role = ", ".join(x for x in (c.position, c.department) if x)
        where = "private" if c.private else c.company_name
        out.append("  " + " — ".join(x for x in (role, where) if x) + (" ★" if c.favourite else ""))
        out.field("company id", c.company_id, indent="    ")
        out.channels(emails=c.emails, phones=c.phones, addresses=c.addresses)
    out.section("Notes", ["  " + n for n in p.notes.splitlines()])
    out.relations(d.relations)
    out.timeline(d.touchpoints, d.names)
    return out


def _company_lines(d: details.CompanyDetail, ctx: Context) -> list[str]:
    c = d.company
    out = _Lines(c.name, ctx)
    out.field("legal form", c.legal_form)
    out.field("industry", c.industry)
    out.field("website", c.website)
    out.field("tags", ", ".join(c.tags))
    out.stamp(c.id, c.stamp)
    if c.emails or c.phones or c.addresses:
        out.extend(["", "Contact"])
        out.channels(emails=c.emails, phones=c.phones, addresses=c.addresses)
    out.section("Notes", ["  " + n for n in c.notes.splitlines()])
    staff = []
    for st in d.staff:
        role = ", ".join(x for x in (st.position, st.department) if x)
        staff.append(f"  {st.name}" + (f" — {role}" if role else "") + f"  ({st.person_id})")
    out.section("People", staff)
    out.relations(d.relations)
    out.timeline(d.touchpoints, d.names)
    return out


def _touchpoint_lines(d: details.TouchpointDetail, ctx: Context) -> list[str]:
    t = d.touchpoint
    out = _Lines(t.subject, ctx)
    out.field("type", t.type.value)
    out.field("when", _local_time(t.occurred_at, ctx))
    out.field("direction", t.direction.value)
    out.field("priority", t.priority.value)
    out.field("mood", t.mood.value)
    out.field("people", ", ".join(f"{d.names.get(p, '?')} ({p})" for p in t.person_ids))
    out.field("company", f"{d.names.get(t.company_id, '?')} ({t.company_id})" if t.company_id else "")
    out.field("amount", f"{t.amount} {t.currency}".strip() if t.amount else "")
    out.field("tags", ", ".join(t.tags))
    out.stamp(t.id, t.stamp)
    if t.body:
        out.extend(["", *t.body.splitlines()])
    return out
