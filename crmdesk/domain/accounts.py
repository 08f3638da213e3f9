"""Accounts: which remote a sync talks to and how it settles conflicts (DESIGN §6). No secret ever lives here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field

from crmdesk.domain.records import Entity, new_id


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


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """A kind-specific account option the user fills in (cobra's tenant id, ImBox's user id)."""

    key: str
    label: str
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class KindInfo:
    """What an account of one kind needs and what its API cannot do — one table for the form, the CLI, the
    engine and the health panel.

    Attributes:
        url_label: What the address field is called for this kind ("Host", "Subdomain").
        default_url: The vendor's cloud address a new account starts with ("" when each customer has their own).
        url_template: For per-customer hosts, the API address with `{}` for what the user types ("acme").
        secret_label: What the secret is called ("API key", "Access token").
        options: Options the form asks for, in order; all are required.
        entities: Record types an account of this kind syncs, in dependency order.
        limits: What the API cannot do, in words for the account's health panel.
    """

    url_label: str = "API address"
    default_url: str = ""
    url_template: str = ""
    secret_label: str = "API token"
    options: tuple[OptionInfo, ...] = ()
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON, Entity.TOUCHPOINT)
    limits: tuple[str, ...] = ()

    def url_from_input(self, text: str) -> str:
        """The API address for what the user typed in the address field ("acme" → the appcrm URL of acme)."""
        text = text.strip()
        if self.url_template and text and "://" not in text and "/" not in text:
            return self.url_template.format(text.removesuffix(".").split(".")[0])
        return text

    def input_from_url(self, url: str) -> str:
        """What the address field shows for a stored API address (the subdomain where the template made it)."""
        if self.url_template:
            head, _, tail = self.url_template.partition("{}")
            if url.startswith(head) and url.endswith(tail) and len(url) > len(head) + len(tail):
                middle = url[len(head) : len(url) - len(tail)]
                if middle and "/" not in middle and "." not in middle:
                    return middle
        return url


_NO_FEED = (
    "No change feed: every sync reads all records and compares them, so a sync takes longer as the account grows; "
    "a record deleted there is noticed because it is missing."
)
_NO_EXTERNAL_ID = (
    "No id of ours is kept there: if the answer to a create is lost, crmdesk finds the record again by e-mail and "
    "name before creating it once more."
)
_NO_RESTORE = "Deletions there are permanent: a record you edit here after it was deleted there is created anew."

KINDS: dict[AccountKind, KindInfo] = {
    AccountKind.KANBERT: KindInfo(
        default_url="https://api.kanbert.com/api/v1",
        entities=(Entity.COMPANY, Entity.PERSON),
        limits=(
            "Kanbert keeps one address, two e-mails and five phone numbers per contact: further ones stay here.",
            "Kanbert has no touchpoints: they stay in crmdesk.",
        ),
    ),
    AccountKind.COBRA: KindInfo(
        default_url="https://api.cobra.de/v1",
        secret_label="API key",
        options=(
            OptionInfo("tenant", "Tenant ID", "from cobra's API settings"),
            OptionInfo("user", "API e-mail", "the API user's e-mail address"),
        ),
        limits=(
            "cobra reports no deletions: each sync reads every record to notice them.",
            "cobra keeps no id of ours: crmdesk puts it in the customer number, and if the answer to a create is "
            "lost, finds the record again by it (or by e-mail and name) before creating it once more.",
            _NO_RESTORE,
        ),
    ),
    AccountKind.DESKERA: KindInfo(
        url_label="Host",
        default_url="https://bifrost.deskera.com",
        secret_label="Access token",
        limits=(
            _NO_FEED,
            _NO_EXTERNAL_ID,
            "Deskera keeps one name, one e-mail, one phone and one address per contact, and one company: the rest "
            "stays here.",
            _NO_RESTORE,
        ),
    ),
    AccountKind.IMBOX: KindInfo(
        default_url="https://apiv2.imbox.io/api",
        secret_label="API key",
        options=(OptionInfo("user_id", "User ID", "your ImBox user id (a number)"),),
        limits=(
            _NO_FEED,
            "ImBox never returns e-mails and phone numbers: crmdesk keeps the ones it last sent, and changes made "
            "to them in ImBox do not reach crmdesk.",
            "ImBox notes cannot be edited: a note you change here replaces the one there.",
            _NO_RESTORE,
        ),
    ),
    AccountKind.APPCRM: KindInfo(
        url_label="Subdomain",
        url_template="https://{}.appcrm.com.br/api",
        limits=(_NO_FEED, _NO_EXTERNAL_ID, "appcrm keeps one e-mail and one address per contact.", _NO_RESTORE),
    ),
    AccountKind.CARDDAV: KindInfo(
        url_label="Server",
        secret_label="Password",
        options=(OptionInfo("user", "User name", "your user name on the server"),),
        entities=(Entity.PERSON,),
        limits=(
            "An address book holds people only: companies and touchpoints stay in crmdesk (a person's companies "
            "travel as ORG names).",
        ),
    ),
}
"""Per kind, what its accounts need and what its API cannot do."""
