"""Which connector serves which account kind: each connector module's `connect(account, secret, cancel=)` builds
it with its own HTTP client (one per account, DESIGN §6). A module is imported when its first account connects:
the window reads the accounts half a second after it shows, and httpx and six connectors cost ~15 MB and ~0.2 s,
for nothing when there is no account of their kind."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from crmdesk.connectors.base import Connector
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.errors import UserError
from crmdesk.tasks import CancelToken

Connect = Callable[..., Connector]

_CONNECT: dict[AccountKind, str] = {
    AccountKind.KANBERT: "crmdesk.connectors.kanbert",
    AccountKind.COBRA: "crmdesk.connectors.cobra",
    AccountKind.DESKERA: "crmdesk.connectors.deskera",
    AccountKind.IMBOX: "crmdesk.connectors.imbox",
    AccountKind.APPCRM: "crmdesk.connectors.appcrm",
    AccountKind.CARDDAV: "crmdesk.connectors.carddav",
}
SUPPORTED = tuple(kind for kind in AccountKind if kind in _CONNECT)
"""The kinds crmdesk can sync, in the order the account form lists them."""


def make_connector(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> Connector:
    """The connector of an account.

    Raises:
        UserError: crmdesk cannot sync this kind of account yet.
    """
    module = _CONNECT.get(account.kind)
    if module is None:
        raise UserError(f"{account.name or account.kind.label}: crmdesk cannot sync {account.kind.label} accounts yet.")
    connect = cast(Connect, importlib.import_module(module).connect)
    return connect(account, secret, cancel=cancel)
