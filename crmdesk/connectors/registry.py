"""Which connector serves which account kind: each connector module's `connect(account, secret, cancel=)` builds
it with its own HTTP client (one per account, DESIGN §6)."""

from __future__ import annotations

from collections.abc import Callable

from crmdesk.connectors import appcrm, carddav, cobra, deskera, imbox, kanbert
from crmdesk.connectors.base import Connector
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.errors import UserError
from crmdesk.tasks import CancelToken

Connect = Callable[..., Connector]

_CONNECT: dict[AccountKind, Connect] = {
    AccountKind.KANBERT: kanbert.connect,
    AccountKind.COBRA: cobra.connect,
    AccountKind.DESKERA: deskera.connect,
    AccountKind.IMBOX: imbox.connect,
    AccountKind.APPCRM: appcrm.connect,
    AccountKind.CARDDAV: carddav.connect,
}
SUPPORTED = tuple(kind for kind in AccountKind if kind in _CONNECT)
"""The kinds crmdesk can sync, in the order the account form lists them."""


def make_connector(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> Connector:
    """The connector of an account.

    Raises:
        UserError: crmdesk cannot sync this kind of account yet.
    """
    connect = _CONNECT.get(account.kind)
    if connect is None:
        raise UserError(f"{account.name or account.kind.label}: crmdesk cannot sync {account.kind.label} accounts yet.")
    return connect(account, secret, cancel=cancel)
