"""The sync corner of the status bar: online or offline, last sync, changes to send, a running sync and its Cancel.

Also the words for an account's state that the accounts page shows, so the two always agree (DESIGN §5: "the
status bar always says whether the app is online, when it last synced, and how many changes wait to be sent").
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from crmdesk.domain.accounts import AccountRecord
from crmdesk.ui.icons import icon
from crmdesk.ui.labels import relative_time
from crmdesk.ui.sync import Outcome, SyncController

__all__ = ["AMBER", "GREEN", "GREY", "RED", "StateWords", "SyncStatus", "describe", "pending_words"]

GREEN = "#2e9d5b"
GREY = "#6b7280"
RED = "#b42318"
AMBER = "#b7791f"
BLUE = "#2f6fde"
OFFLINE_TIP = "Offline — changes are kept and sent when the connection is back."
REPAINT_MS = 30_000  # "2 min ago" moves on


@dataclass(frozen=True, slots=True)
class StateWords:
    """An account's state as the window shows it: words, an icon, a colour and a longer tooltip."""

    text: str
    icon: str
    colour: str
    tip: str = ""


def describe(controller: SyncController, account: AccountRecord) -> StateWords:
    """What an account is doing or came to, in words."""
    if controller.is_running(account.id):
        done = controller.progress(account.id)
        return StateWords(f"Syncing… {done:,}" if done else "Syncing…", "sync", BLUE)
    if not controller.can_sync(account):
        return StateWords("Not supported yet", "warning", AMBER, f"crmdesk cannot sync {account.kind.label} yet.")
    outcome, message = controller.outcome(account)
    manual = "" if account.enabled else " (manual)"
    if outcome is Outcome.ONLINE:
        return StateWords(f"Up to date{manual}", "online", GREEN, "The last sync went through.")
    if outcome is Outcome.NEVER:
        return StateWords(f"Not synced yet{manual}", "offline", GREY)
    if outcome is Outcome.OFFLINE:
        return StateWords("Offline — will retry", "offline", GREY, f"{OFFLINE_TIP}\n{message}".strip())
    if outcome is Outcome.SIGN_IN:
        return StateWords("Sign in again", "warning", RED, message or "The server refused the token.")
    if outcome is Outcome.GUARD:
        return StateWords("Paused — confirm deletions", "warning", AMBER, message)
    return StateWords("Sync failed", "warning", RED, message)


def pending_words(n: int) -> str:
    if n == 0:
        return "nothing to send"
    return f"{n:,} change{'s' if n != 1 else ''} to send"


def _dot(colour: str) -> str:
    return f'<span style="color:{colour}">●</span>'


class SyncStatus(QWidget):
    """A permanent status-bar widget; hidden while there is no account.

    Links in it: "sign in again" asks for a token (`sign_in_requested`), "confirm deletions" syncs again so the
    question comes back, "sync failed" opens the accounts page (`details_requested`), as does a click elsewhere.
    """

    sign_in_requested = Signal(str)  # account id
    details_requested = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._controller = controller
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 0, 4, 0)
        lay.setSpacing(4)
        self.label = QLabel()
        self.label.setObjectName("syncStatusLabel")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.label.linkActivated.connect(self._on_label_link_activated)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("close"))
        self.cancel_button.setIconSize(QSize(12, 12))
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip("Cancel the sync (what was done so far is kept)")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        lay.addWidget(self.label)
        lay.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        controller.snapshot_changed.connect(self._on_controller_changed)
        controller.runs_changed.connect(self._on_controller_changed)
        self.refresh_view()

    def text(self) -> str:
        """The status as plain text (tests read it)."""
        return html.unescape(_strip_tags(self.label.text()))

    def refresh_view(self, *, now: dt.datetime | None = None) -> None:
        c = self._controller
        accounts = c.accounts()
        self.setVisible(bool(accounts))
        if not accounts:
            return
        snapshot = c.snapshot
        pending = pending_words(snapshot.pending if snapshot else 0)
        running = [a for a in accounts if c.is_running(a.id)]
        self.cancel_button.setVisible(bool(running))
        if running:
            a = running[0]
            done = c.progress(a.id)
            more = f" (+{len(running) - 1})" if len(running) > 1 else ""
            count = f" {done:,}" if done else ""
            self._show(f"{_dot(BLUE)} Syncing {html.escape(a.name)}…{count}{more}", "Sync runs in the background.")
            return
        links = []
        for a in accounts:
            outcome = c.outcome(a)[0]
            name = html.escape(a.name)
            if outcome is Outcome.SIGN_IN:
                links.append(f'<a href="signin:{a.id}">{name}: sign in again</a>')
            elif outcome is Outcome.GUARD:
                links.append(f'<a href="guard:{a.id}">{name}: confirm deletions</a>')
            elif outcome is Outcome.FAILED:
                links.append(f'<a href="details:{a.id}">{name}: sync failed</a>')
        synced = [a.last_sync_at for a in accounts if a.last_sync_at is not None]
        last = f"synced {relative_time(max(synced), now=now)}" if synced else "not synced yet"
        outcomes = {c.outcome(a)[0] for a in accounts if a.enabled and c.can_sync(a)}
        if links:
            self._show(f"{_dot(RED)} " + " · ".join([*links, pending]), "Click to see the accounts.")
        elif Outcome.OFFLINE in outcomes:
            self._show(f"{_dot(GREY)} Offline · {pending}", f"{OFFLINE_TIP}\nLast {last}.")
        elif Outcome.ONLINE in outcomes:
            self._show(f"{_dot(GREEN)} Online · {last} · {pending}", "Click to see the accounts.")
        else:
            self._show(f"{_dot(GREY)} Not synced yet · {pending}", "The first sync starts in a moment.")

    def _show(self, rich: str, tip: str) -> None:
        self.label.setText(rich)
        self.label.setToolTip(tip)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.details_requested.emit()
        super().mouseReleaseEvent(event)

    @Slot(str)
    def _on_label_link_activated(self, link: str) -> None:
        what, _, account_id = link.partition(":")
        if what == "signin":
            self.sign_in_requested.emit(account_id)
        elif what == "guard":
            self._controller.sync_now(account_id)  # the run stops at the guard again and asks
        else:
            self.details_requested.emit()

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self._controller.cancel()

    @Slot()
    def _on_controller_changed(self) -> None:
        self.refresh_view()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.isVisible():
            self.refresh_view()


def _strip_tags(text: str) -> str:
    out, inside = [], False
    for ch in text:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)
