"""Words the window shows for stored values (one place, so the table and the detail pane agree)."""

from __future__ import annotations

import datetime as dt

from crmdesk.domain.records import TouchpointType

TOUCHPOINT_TYPES = {
    TouchpointType.CALL: "Call",
    TouchpointType.EMAIL: "E-mail",
    TouchpointType.MEETING: "Meeting",
    TouchpointType.LETTER: "Letter",
    TouchpointType.NOTE: "Note",
    TouchpointType.TASK: "Task",
    TouchpointType.TURNOVER: "Turnover",
}


def relative_time(value: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """How long ago, in words: "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", "12 Mar 2024"."""
    if value is None:
        return "never"
    current = now or dt.datetime.now(dt.UTC)
    if value.tzinfo is None:  # SQLite hands back naive datetimes: the store writes UTC
        value = value.replace(tzinfo=dt.UTC)
    seconds = (current - value).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = (current.astimezone().date() - value.astimezone().date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    local = value.astimezone()
    return f"{local.day} {local.strftime('%b %Y')}"
