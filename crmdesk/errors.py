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


class Cancelled(CrmdeskError):  # noqa: N818 - a job that stopped on request is no error
    """A job stopped because its cancel token was set; never shown as an error."""
