"""Pytest fixtures running emulators on loopback (STYLE P8); a conftest imports the ones its tests use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from .appcrm import AppcrmEmulator
from .base import EmulatorServer
from .cobra import CobraEmulator
from .deskera import DeskeraEmulator
from .imbox import ImboxEmulator
from .kanbert import KanbertEmulator

S = TypeVar("S", bound=EmulatorServer)


@contextmanager
def running(server: S) -> Iterator[S]:
    """Serve `server` for the `with` block, then stop it and join its threads.

    Raises:
        AssertionError: After a clean block, when the emulator itself failed on a request (its `errors`).
    """
    server.start()
    try:
        yield server
    finally:
        server.stop()
    _check_no_errors(server)


def _check_no_errors(server: EmulatorServer) -> None:
    if server.errors:
        raise AssertionError(f"{type(server).__name__} failed on a request: {server.errors[0]!r}") from server.errors[0]


@pytest.fixture
def kanbert_server() -> Iterator[KanbertEmulator]:
    """A started Kanbert emulator, empty, one token (`.token`), wall clock; `.api_url`, `.faults`, `.store`."""
    with running(KanbertEmulator()) as server:
        yield server


@pytest.fixture
def appcrm_server() -> Iterator[AppcrmEmulator]:
    """A started appcrm emulator, empty, one token (`.token`), wall clock, 60 requests/min; `.api_url`, `.store`."""
    with running(AppcrmEmulator()) as server:
        yield server


@pytest.fixture
def cobra_server() -> Iterator[CobraEmulator]:
    """A started cobra emulator, empty, one API user (`.api_email`, `.api_key`), tenant `.tenant`; `.api_url`."""
    with running(CobraEmulator()) as server:
        yield server


@pytest.fixture
def deskera_server() -> Iterator[DeskeraEmulator]:
    """A started Deskera emulator, empty, one token (`.token`), wall clock; `.api_url` is the host URL."""
    with running(DeskeraEmulator()) as server:
        yield server


@pytest.fixture
def imbox_server() -> Iterator[ImboxEmulator]:
    """A started ImBox emulator, empty, one key (`.api_key`) and user (`.user_id`), wall clock; `.api_url`."""
    with running(ImboxEmulator()) as server:
        yield server


@pytest.fixture
def kanbert_factory() -> Iterator[Callable[..., KanbertEmulator]]:
    """Makes started Kanbert emulators from `KanbertEmulator`'s keyword arguments; stops them all after the test."""
    servers: list[KanbertEmulator] = []

    def make(**kwargs: Any) -> KanbertEmulator:
        server = KanbertEmulator(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    for server in servers:
        _check_no_errors(server)
