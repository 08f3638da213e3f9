"""CancelToken and Progress: how long-running service calls report and stop (STYLE §2.3)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from crmdesk.errors import Cancelled

Progress = Callable[[int, int, str], None]
"""progress(done, total, text); total 0 means unknown."""


def no_progress(done: int, total: int, text: str) -> None:
    """A Progress that reports nowhere."""


class CancelToken:
    """A thread-safe flag a job checks between records."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once when the token is set; True if it was set."""
        return self._event.wait(max(0.0, seconds))

    def check(self) -> None:
        """Raise Cancelled if the token was set."""
        if self._event.is_set():
            raise Cancelled()
