"""Pytest fixtures with a real Radicale CardDAV server; a conftest imports the ones its tests use, by name.

    from tests.carddav.fixtures import (  # noqa: F401 - pytest finds fixtures by name
        carddav_phone,
        carddav_proxy,
        radicale,
        radicale_book,
        radicale_server,
    )

`radicale_server` is one Radicale process per test session (start-up ≈ 0.3-0.4 s); `radicale` hands it to a test
in a fresh state (≈ 0.1 s): only user `ines` (password `PASSWORD`), whose home holds just an empty address book
`contacts`. A
test may stop, kill or restart the server (`radicale.stop()`, `.kill()`, `.start()`: same port); the next test
gets it running again.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .proxy import FaultProxy
from .radicale import RadicaleServer

USER = "ines"
PASSWORD = "ines-radicale-pw-7c41"  # not a word: registered secrets are redacted from every log line
BOOK = "contacts"


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """The session's Radicale process (use `radicale`, which resets it for each test)."""
    server = RadicaleServer(tmp_path_factory.mktemp("radicale"), users={USER: PASSWORD})
    with server:
        yield server


@pytest.fixture
def radicale(radicale_server: RadicaleServer) -> RadicaleServer:
    """A running Radicale: user `ines` (password `PASSWORD`), one empty address book `contacts` ("Contacts").

    Attributes of use: `.url`, `.principal_url(user)`, `.addressbook_url(user, name)`, `.make_addressbook(...)`,
    `.add_user(user, password)`, `.auth(user)`, `.client(user)`, `.stop()`/`.kill()`/`.start()`, `.storage`.
    """
    server = radicale_server
    if not server.running:
        server.start()
    others = [user for user in server.users if user != USER]
    for user in [USER, *others]:  # every principal goes, with everything in it (sync-token history too)
        status = server.delete_collection(server.principal_url(user), user=user)
        assert status in (200, 204, 404), f"could not empty {user}'s home: {status}"
    if others or server.users.get(USER) != PASSWORD:
        server.users.clear()
        server.add_user(USER, PASSWORD)
    server.make_addressbook(USER, BOOK, displayname="Contacts")
    return server


@pytest.fixture
def radicale_book(radicale: RadicaleServer) -> str:
    """The full URL of `ines`'s empty address book, e.g. "http://127.0.0.1:43125/ines/contacts/"."""
    return radicale.addressbook_url(USER, BOOK)


@pytest.fixture
def carddav_proxy(radicale: RadicaleServer) -> Iterator[FaultProxy]:
    """A started `FaultProxy` in front of `radicale`, no faults: `.url` + "ines/contacts/" is the book through it.

    Raises:
        AssertionError: After the test, when the proxy itself failed on a request (its `errors`).
    """
    with FaultProxy(radicale.url) as proxy:
        yield proxy
    if proxy.errors:
        raise AssertionError(f"FaultProxy failed on a request: {proxy.errors[0]!r}") from proxy.errors[0]


@pytest.fixture
def carddav_phone(radicale_book: str) -> Iterator[httpx.Client]:
    """A second, independent CardDAV client (a phone), straight to Radicale: httpx on `radicale_book`, as `ines`."""
    with httpx.Client(base_url=radicale_book, auth=(USER, PASSWORD), timeout=10) as client:
        yield client
