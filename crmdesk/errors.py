"""Exception hierarchy: UserError is fit to show a person; anything else is a bug (STYLE §5)."""

from __future__ import annotations


class CrmdeskError(Exception):
    """Base of every error crmdesk raises on purpose."""


class UserError(CrmdeskError):
    """Something the user can understand and act on; `hints` say what to do."""

    def __init__(self, message: str, *, hints: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints

    def __str__(self) -> str:
        return self.message


class StoreError(UserError):
    """The local database cannot be opened or used (corrupt, locked, newer schema, unreadable)."""


class ValidationError(UserError):
    """Field values that may not be stored; `problems` maps field name → message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        text = "; ".join(f"{name}: {msg}" for name, msg in self.problems.items())
        super().__init__(f"Invalid input — {text}")


class NotFoundError(UserError):
    """A record named by id does not exist (or was deleted)."""


class Cancelled(CrmdeskError):  # a job that stopped on request is no error
    """A job stopped because its cancel token was set; never shown as an error."""


class RemoteError(UserError):
    """A remote CRM or CardDAV server could not do what a sync asked; the message names the account."""


class RemoteUnavailable(RemoteError):
    """Offline, a timeout, a server error or rate limit that outlasted the retries: the next run tries again.

    `maybe_done` is True when a request that is not safe to repeat (a create) may have reached the server before
    the connection failed, so whoever repeats it must first look for what it may have made (DESIGN §6, step 4).
    """

    def __init__(self, message: str, *, maybe_done: bool = False, hints: tuple[str, ...] = ()) -> None:
        super().__init__(message, hints=hints)
        self.maybe_done = maybe_done


class SignInRequired(RemoteError):
    """The server refused the account's credentials (HTTP 401): no retry until the user signs in again."""


class RemoteRejected(RemoteError):
    """The server refused one request (4xx other than 401/429): that record is skipped, the run goes on."""

    def __init__(self, message: str, *, status: int, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = dict(problems or {})


class RemoteNotFound(RemoteRejected):
    """The server has no such record (HTTP 404)."""


class MassDeleteStopped(UserError):
    """A sync run would delete more of an account's records than the guard allows; nothing was deleted."""

    def __init__(self, message: str, *, local: int, remote: int) -> None:
        super().__init__(message, hints=("Check the account; if the deletions are right, sync again and confirm.",))
        self.local = local
        self.remote = remote


class SecretStoreUnavailable(UserError):
    """No keyring backend can keep a secret on this machine, and the user has not opted into the file store."""
