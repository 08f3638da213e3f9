"""Words the window shows for stored values (one place, so the table and the detail pane agree)."""

from __future__ import annotations

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
