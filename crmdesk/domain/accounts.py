"""Accounts: which remote a sync talks to and how it settles conflicts (DESIGN §6). No secret ever lives here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field

from crmdesk.domain.records import new_id


class AccountKind(enum.StrEnum):
    """The remotes crmdesk syncs with."""

    KANBERT = "kanbert"
    COBRA = "cobra"
    DESKERA = "deskera"
    IMBOX = "imbox"
    APPCRM = "appcrm"
    CARDDAV = "carddav"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    AccountKind.KANBERT: "Kanbert",
    AccountKind.COBRA: "cobra CRM",
    AccountKind.DESKERA: "Deskera",
    AccountKind.IMBOX: "ImBox",
    AccountKind.APPCRM: "appcrm",
    AccountKind.CARDDAV: "CardDAV",
}


class Policy(enum.StrEnum):
    """Which value wins when both sides changed the same field; the other is kept as a conflict."""

    REMOTE_WINS = "remote"
    LOCAL_WINS = "local"
    NEWEST_WINS = "newest"

    @property
    def label(self) -> str:
        return {"remote": "Remote wins", "local": "Local wins", "newest": "Newest wins"}[self.value]


class AccountState(enum.StrEnum):
    """What the last sync run of an account came to."""

    NEW = "new"  # never synced
    OK = "ok"
    SIGN_IN = "signin"  # the server refused the secret: ask the user to sign in again, do not retry
    ERROR = "error"  # the last run failed (offline, server error); the next run tries again
    GUARD = "guard"  # the mass-delete guard stopped the run; the user must confirm


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One remote: kind, a name the user chose, where it is, and kind-specific options (no secret)."""

    id: str = field(default_factory=new_id)
    kind: AccountKind = AccountKind.KANBERT
    name: str = ""
    base_url: str = ""
    options: tuple[tuple[str, str], ...] = ()
    interval_s: int = 900
    policy: Policy = Policy.REMOTE_WINS
    enabled: bool = True
    state: AccountState = AccountState.NEW
    last_error: str = ""
    last_sync_at: dt.datetime | None = None

    def option(self, key: str, default: str = "") -> str:
        for k, v in self.options:
            if k == key:
                return v
        return default

    def replace(self, **changes: object) -> AccountRecord:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
