"""A real keyring backend that keeps secrets in a dict: the test suite pins it through PYTHON_KEYRING_BACKEND.

`tests/conftest.py` sets ``PYTHON_KEYRING_BACKEND=keyring_backend.MemoryKeyring``, which keyring imports by that
name (`keyring.core.load_env`); pytest's rootdir-relative `sys.path` entry for `tests/` makes it importable.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

_store: dict[tuple[str, str], str] = {}


def reset() -> None:
    """Forget every secret (an autouse fixture does this before and after each test)."""
    _store.clear()


def stored() -> dict[tuple[str, str], str]:
    """A copy of everything stored: (service, user name) → secret."""
    return dict(_store)


class MemoryKeyring(KeyringBackend):
    """Secrets in this process's memory, shared by every instance."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ has no annotations

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - a classproperty gets the class, as in keyring's own backends
        return 1

    def get_password(self, service: str, username: str) -> str | None:
        return _store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        _store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del _store[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None
