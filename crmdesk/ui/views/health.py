"""The health panel of the Accounts page: last success, last error in plain words, sync cursors and counts.

Everything it shows comes from the controller's snapshot (`ops_sync.AccountRow`), read in a job: the panel itself
reads nothing.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from crmdesk.connectors.base import CURSOR_MORE, FULL_WALK
from crmdesk.domain.accounts import KINDS, AccountRecord, AccountState
from crmdesk.domain.records import Entity
from crmdesk.ui.labels import relative_time
from crmdesk.ui.models.table import display_time
from crmdesk.ui.ops_sync import AccountRow

__all__ = ["HEALTH_ROWS", "HealthPanel", "cursor_words", "health_facts"]

HEALTH_ROWS = (
    "Last success",
    "Last error",
    "People",
    "Companies",
    "Touchpoints",
    "Linked",
    "Conflicts",
    "To send",
    "Limits",
)
"""The panel's rows, top to bottom (the keys of `health_facts`)."""

_STATE_WORDS = {
    AccountState.ERROR: "The last sync failed",
    AccountState.SIGN_IN: "The server refused the token",
    AccountState.GUARD: "Paused: a sync would delete many records",
}
_PLURAL = {
    Entity.PERSON: ("person", "people"),
    Entity.COMPANY: ("company", "companies"),
    Entity.TOUCHPOINT: ("touchpoint", "touchpoints"),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def cursor_words(cursor: str | None) -> str:
    """Where the next pull of an entity starts: "Changes since 26 Nov 2026 04:02" for an ISO time, else as stored."""
    if not cursor:
        return "Everything (not pulled yet)"
    cursor = cursor.partition(CURSOR_MORE)[0]
    if cursor == FULL_WALK:
        return "Everything, every sync (the server has no change feed)"
    try:
        when = dt.datetime.fromisoformat(cursor)
    except ValueError:
        return f"From “{cursor}”"  # a server's own token: shown as it is
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone()
    return f"Changes since {local.day} {local.strftime('%b %Y %H:%M')}"


def health_facts(row: AccountRow, *, now: dt.datetime | None = None) -> dict[str, str]:
    """The panel's words for one account, by `HEALTH_ROWS` key."""
    a: AccountRecord = row.account
    if a.last_sync_at is not None:
        success = f"{relative_time(a.last_sync_at, now=now)} ({display_time(a.last_sync_at)})"
    else:
        success = "Never"
    if a.state in _STATE_WORDS:
        error = f"{_STATE_WORDS[a.state]}: {a.last_error}" if a.last_error else _STATE_WORDS[a.state]
    else:
        error = "None"
    facts = {"Last success": success, "Last error": error}
    cursors = dict(row.cursors)
    entities = KINDS[a.kind].entities
    for entity, key in ((Entity.PERSON, "People"), (Entity.COMPANY, "Companies"), (Entity.TOUCHPOINT, "Touchpoints")):
        facts[key] = cursor_words(cursors.get(entity)) if entity in entities else "Not synced with this server"
    facts["Limits"] = "\n".join(f"• {line}" for line in KINDS[a.kind].limits) or "None known"
    facts["Linked"] = " · ".join(_count(n, *_PLURAL[e]) for e, n in row.linked if e in _PLURAL) or "Nothing yet"
    facts["Conflicts"] = f"{row.conflicts:,} open" if row.conflicts else "None open"
    facts["To send"] = _count(row.pending, "change", "changes") if row.pending else "Nothing"
    return facts


class HealthPanel(QWidget):
    """A titled grid of the selected account's health; `show_row(None)` empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthPanel")
        self.title = QLabel("HEALTH")
        self.title.setObjectName("sectionTitle")
        grid = QGridLayout()
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 1)
        self.values: dict[str, QLabel] = {}
        for i, key in enumerate(HEALTH_ROWS):
            caption = QLabel(key)
            caption.setObjectName("paneMuted")
            if key in ("People", "Companies", "Touchpoints"):
                caption.setToolTip("Where the next sync starts reading the server's changes")
            if key == "Limits":
                caption.setToolTip("What this server's API cannot do, and what crmdesk does about it")
            value = QLabel()
            value.setObjectName(f"health{key.title().replace(' ', '')}")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(caption, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, i, 1)
            self.values[key] = value
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addLayout(grid)

    def show_row(self, row: AccountRow | None, *, now: dt.datetime | None = None) -> None:
        facts = health_facts(row, now=now) if row is not None else {}
        for key, label in self.values.items():
            label.setText(facts.get(key, ""))

    def text(self, key: str) -> str:
        """The words shown for `key` (one of HEALTH_ROWS)."""
        return self.values[key].text()
