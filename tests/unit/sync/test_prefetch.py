"""Pages read ahead in a helper thread arrive in order, errors after the pages before them, and an early stop
stops the reading."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from crmdesk.sync.prefetch import prefetched


def test_pages_arrive_in_order_and_all_of_them() -> None:
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_an_error_comes_after_the_pages_fetched_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("gone")

    got: list[int] = []
    with pytest.raises(ConnectionError, match="gone"):
        for page in prefetched(pages()):
            got.append(page)
    assert got == [1, 2]


def test_reading_runs_ahead_while_the_consumer_works() -> None:
    fetched: list[int] = []

    def pages() -> Iterator[int]:
        for i in range(3):
            time.sleep(0.05)  # the server's answer
            fetched.append(i)
            yield i

    started = time.perf_counter()
    for _ in prefetched(pages()):
        time.sleep(0.05)  # the engine's work on the page
    # In turn it would take 0.30 s; overlapped about 0.20 s.
    assert time.perf_counter() - started < 0.28


def test_stopping_early_stops_the_reader_and_closes_the_pages() -> None:
    closed = threading.Event()
    fetched: list[int] = []

    def pages() -> Iterator[int]:
        try:
            for i in range(1000):
                fetched.append(i)
                yield i
        finally:
            closed.set()

    for page in prefetched(pages(), depth=2):
        if page == 3:
            break
    assert closed.wait(2)
    assert len(fetched) <= 3 + 2 + 2  # what was taken, the queue, and the page in hand
