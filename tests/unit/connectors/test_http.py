"""Tests for crmdesk.connectors.http against a real server on loopback (the Kanbert emulator's HTTP layer)."""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmdesk import log as crmdesk_log
from crmdesk.connectors.http import HttpClient, _retry_after
from crmdesk.errors import Cancelled, RemoteNotFound, RemoteRejected, RemoteUnavailable, SignInRequired
from crmdesk.tasks import CancelToken
from tests.emulators.base import FaultKind
from tests.emulators.fixtures import kanbert_server  # noqa: F401 - fixture by name
from tests.emulators.kanbert import KanbertEmulator

SECRET = "s3cr3t-token-value"


@pytest.fixture
def server(kanbert_server: KanbertEmulator) -> KanbertEmulator:  # noqa: F811 - the fixture above, renamed
    kanbert_server.add_token(SECRET)
    return kanbert_server


def client(server: KanbertEmulator, **kwargs: object) -> HttpClient:
    options: dict[str, object] = {"retries": 3, "backoff": 0.01, "max_backoff": 0.02, "sleep_jitter": random.Random(1)}
    options.update(kwargs)
    return HttpClient(
        server.api_url,
        name="Kanbert",
        headers={"Authorization": f"Bearer {SECRET}"},
        secrets=(SECRET,),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def http(server: KanbertEmulator) -> Iterator[HttpClient]:
    with client(server) as c:
        yield c


def faults_hit(server: KanbertEmulator) -> list[FaultKind | None]:
    return [r.fault for r in server.requests()]


def test_server_errors_are_retried_with_backoff(server: KanbertEmulator, http: HttpClient) -> None:
    server.faults.set_error_rate(1.0, methods=["GET"])
    with pytest.raises(RemoteUnavailable, match=r"server error \(HTTP 50[03]\).*after several attempts"):
        http.request("GET", "/contacts")
    assert len(server.requests()) == 4  # the first try and three retries
    server.faults.reset()
    assert http.request("GET", "/contacts")["data"] == []


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    waits: list[float] = []

    class Recorder(CancelToken):
        def wait(self, seconds: float) -> bool:
            waits.append(seconds)
            return False

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = HttpClient(
        f"http://127.0.0.1:{port}",
        name="X",
        retries=6,
        backoff=1.0,
        max_backoff=8.0,
        cancel=Recorder(),
        sleep_jitter=random.Random(7),
    )
    with http, pytest.raises(RemoteUnavailable, match="cannot reach the server"):
        http.request("GET", "/")
    assert len(waits) == 6
    for attempt, wait in enumerate(waits):
        nominal = min(8.0, 2.0**attempt)
        assert 0.5 * nominal <= wait <= 1.5 * nominal
    assert len(set(waits)) == len(waits)  # jitter: no two waits alike


def test_429_waits_as_long_as_retry_after_says(server: KanbertEmulator, http: HttpClient) -> None:
    server.faults.rate_limit(1, retry_after=1)
    started = time.perf_counter()
    http.request("GET", "/contacts")
    assert time.perf_counter() - started >= 0.95
    assert faults_hit(server) == [FaultKind.RATE_LIMIT, None]


def test_a_retry_after_beyond_the_limit_ends_the_run(server: KanbertEmulator) -> None:
    server.faults.rate_limit(1, retry_after=3600)
    with client(server, max_retry_after=60) as http, pytest.raises(RemoteUnavailable, match="wait 3600 s"):
        http.request("GET", "/contacts")


def test_retry_after_as_a_date() -> None:
    assert _retry_after("120") == 120
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (_retry_after(when) or 0) <= 31
    assert _retry_after("soon") is None


def test_401_asks_to_sign_in_without_retrying(server: KanbertEmulator) -> None:
    server.revoke_token(SECRET)
    with client(server) as http, pytest.raises(SignInRequired, match="sign in again"):
        http.request("GET", "/contacts")
    assert len(server.requests()) == 1


def test_a_token_refresh_gets_one_chance_on_401(server: KanbertEmulator) -> None:
    server.revoke_token(SECRET)
    with client(server) as http:
        calls: list[int] = []

        def refresh() -> bool:
            calls.append(1)
            http.set_header("Authorization", f"Bearer {server.token}", secret=True)
            return True

        http.on_unauthorized = refresh
        assert http.request("GET", "/contacts")["data"] == []
    assert calls == [1]


def test_a_dropped_get_is_retried_but_a_post_that_may_have_landed_is_not(
    server: KanbertEmulator, http: HttpClient
) -> None:
    server.faults.drop_connections(1, methods=["GET"])
    assert http.request("GET", "/contacts")["data"] == []
    server.faults.lose_response(1, methods=["POST"])
    with pytest.raises(RemoteUnavailable) as info:
        http.request("POST", "/contacts", json_body={"first_name": "Ines"})
    assert info.value.maybe_done
    assert len(http.request("GET", "/contacts")["data"]) == 1  # it landed: the engine looks it up before again


def test_malformed_json_is_retried_for_safe_requests(server: KanbertEmulator, http: HttpClient) -> None:
    server.faults.malformed_json(1, methods=["GET"])
    assert http.request("GET", "/contacts")["data"] == []
    assert faults_hit(server) == [FaultKind.MALFORMED, None]


def test_4xx_carries_the_servers_message_and_field_problems(http: HttpClient) -> None:
    with pytest.raises(RemoteRejected) as info:
        http.request("POST", "/contacts", json_body={"email": "not an address"})
    assert info.value.status == 422 and "email" in info.value.problems
    assert "POST /contacts (HTTP 422)" in str(info.value)
    with pytest.raises(RemoteNotFound):
        http.request("GET", "/contacts/c_nothing")


def test_secrets_never_reach_a_message_or_a_log_line(server: KanbertEmulator, tmp_path: Path) -> None:
    log_file = crmdesk_log.setup(tmp_path, verbose=True)
    assert log_file is not None
    try:
        url_with_secret = f"{server.api_url}/contacts/{SECRET}"  # ImBox-style: the key is part of the path
        with client(server) as http:
            with pytest.raises(RemoteNotFound) as info:
                http.request("GET", url_with_secret)
            server.faults.set_error_rate(1.0)
            with pytest.raises(RemoteUnavailable) as info2:
                http.request("GET", url_with_secret)
        for handler in logging.getLogger().handlers:
            handler.flush()
        written = log_file.read_text(encoding="utf-8")
    finally:
        crmdesk_log.setup(None)
    assert "GET" in written and "***" in written
    assert SECRET not in written
    assert SECRET not in str(info.value) and SECRET not in str(info2.value)


def test_cancel_stops_a_wait_at_once(server: KanbertEmulator) -> None:
    token = CancelToken()
    server.faults.rate_limit(1, retry_after=30)
    with client(server, cancel=token) as http:
        threading.Timer(0.2, token.set).start()
        started = time.perf_counter()
        with pytest.raises(Cancelled):
            http.request("GET", "/contacts")
    assert time.perf_counter() - started < 5


def test_the_servers_clock_is_remembered(http: HttpClient) -> None:
    http.request("GET", "/contacts")
    assert http.last_date is not None and abs(time.time() - http.last_date.timestamp()) < 5


def test_a_name_that_does_not_resolve_is_unavailable_with_a_plain_reason() -> None:
    http = HttpClient("http://crm.example.invalid/api", name="Kanbert", retries=0)
    with http, pytest.raises(RemoteUnavailable, match="Kanbert: cannot reach the server"):
        http.request("GET", "/contacts")


def test_a_tls_handshake_that_fails_is_unavailable_not_a_crash(server: KanbertEmulator) -> None:
    https = server.url.replace("http://", "https://")  # the emulator speaks plain HTTP: the handshake fails
    http = HttpClient(https, name="Kanbert", retries=0)
    with http, pytest.raises(RemoteUnavailable) as info:
        http.request("GET", "/api/v1/contacts")
    assert str(info.value).startswith("Kanbert: ")
