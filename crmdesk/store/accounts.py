"""Account rows: kind, name, URL, options, policy and the state of the last sync (secrets are never here)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crmdesk.domain.accounts import AccountKind, AccountRecord, AccountState, Policy
from crmdesk.errors import NotFoundError
from crmdesk.store.common import utc_now
from crmdesk.store.schema import Account


def _record(row: Account) -> AccountRecord:
    options = json.loads(row.options or "{}")
    return AccountRecord(
        id=row.id,
        kind=AccountKind(row.kind),
        name=row.name,
        base_url=row.base_url,
        options=tuple(sorted((str(k), str(v)) for k, v in options.items())),
        interval_s=row.interval_s,
        policy=Policy(row.policy),
        enabled=row.enabled,
        state=AccountState(row.state),
        last_error=row.last_error,
        last_sync_at=row.last_sync_at,
    )


def all_accounts(s: Session) -> list[AccountRecord]:
    """Every account, oldest first."""
    return [_record(r) for r in s.scalars(select(Account).order_by(Account.created_at, Account.id))]


def get(s: Session, account_id: str) -> AccountRecord:
    """One account.

    Raises:
        NotFoundError: there is no account with this id.
    """
    row = s.get(Account, account_id)
    if row is None:
        raise NotFoundError(f"There is no account {account_id}.")
    return _record(row)


def save(s: Session, rec: AccountRecord) -> AccountRecord:
    """Insert or update the account's settings (state and cursors are left to `set_state`/`set_cursor`)."""
    values: dict[str, Any] = {
        "kind": rec.kind.value,
        "name": rec.name,
        "base_url": rec.base_url,
        "options": json.dumps(dict(rec.options), sort_keys=True),
        "interval_s": rec.interval_s,
        "policy": rec.policy.value,
        "enabled": rec.enabled,
    }
    row = s.get(Account, rec.id)
    if row is None:
        s.add(Account(id=rec.id, state=rec.state.value, last_error="", cursors="{}", created_at=utc_now(), **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
    s.flush()
    return get(s, rec.id)


def remove(s: Session, account_id: str) -> None:
    """Delete an account with its links and conflicts (the local records stay)."""
    s.execute(delete(Account).where(Account.id == account_id))


def set_state(
    s: Session, account_id: str, state: AccountState, *, error: str = "", synced_at: dt.datetime | None = None
) -> None:
    values: dict[str, Any] = {"state": state.value, "last_error": error}
    if synced_at is not None:
        values["last_sync_at"] = synced_at
    s.execute(update(Account).where(Account.id == account_id).values(**values))


def cursor(s: Session, account_id: str, entity: str) -> str | None:
    raw = s.scalar(select(Account.cursors).where(Account.id == account_id))
    value = json.loads(raw or "{}").get(entity)
    return str(value) if value is not None else None


def set_cursor(s: Session, account_id: str, entity: str, value: str | None) -> None:
    raw = s.scalar(select(Account.cursors).where(Account.id == account_id))
    cursors = json.loads(raw or "{}")
    if value is None:
        cursors.pop(entity, None)
    else:
        cursors[entity] = value
    s.execute(update(Account).where(Account.id == account_id).values(cursors=json.dumps(cursors, sort_keys=True)))
