"""Which connector class serves which account kind, and how each is built from an account and its secret."""

from __future__ import annotations

from crmdesk.connectors.base import Connector
from crmdesk.connectors.http import HttpClient
from crmdesk.connectors.kanbert import KanbertConnector
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.errors import UserError
from crmdesk.tasks import CancelToken

SUPPORTED = (AccountKind.KANBERT,)


def make_connector(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> Connector:
    """The connector of an account, with its own HTTP client (one per account, DESIGN §6).

    Raises:
        UserError: crmdesk cannot sync this kind of account yet.
    """
    name = account.name or account.kind.label
    if account.kind is AccountKind.KANBERT:
        http = HttpClient(
            account.base_url,
            name=name,
            headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
            secrets=(secret,),
            cancel=cancel,
        )
        return KanbertConnector(http)
    raise UserError(f"{name}: crmdesk cannot sync {account.kind.label} accounts yet.")
