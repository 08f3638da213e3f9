"""Read a connector's pages one or two ahead in a helper thread, so the next page is on its way while the engine
maps and stores the current one (a real server takes 50–500 ms per page: the wait and the work overlap).

The helper thread is the only one that touches the page generator; it stops after the page it is fetching when the
consumer stops early, and an error it meets reaches the consumer after the pages fetched before it, as without it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_JOIN_S = 60.0  # longest wait for the helper to finish its request once the consumer has stopped


def prefetched(pages: Iterator[T], *, depth: int = 2, name: str = "prefetch") -> Iterator[T]:
    """`pages`, produced up to `depth` items ahead of the consumer by a daemon thread."""
    slots: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put((True, page)):
                    return
            put((True, _DONE))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((False, exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    helper = threading.Thread(target=produce, name=name, daemon=True)
    helper.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                assert isinstance(item, BaseException)
                raise item
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        helper.join(_JOIN_S)
