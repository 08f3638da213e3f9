"""The appcrm connector against the appcrm emulator: the connector contract, then whole sync runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crmdesk.connectors.appcrm import AppcrmConnector
from crmdesk.connectors.http import HttpClient
from tests.emulators.appcrm import AppcrmEmulator
from tests.emulators.fixtures import running
from tests.integration.contract import ConnectorContract, unreachable


def make(url: str, token: str, *, page_size: int = 10) -> AppcrmConnector:
    http = HttpClient(
        url,
        name="appcrm",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        secrets=(token,),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )
    return AppcrmConnector(http, page_size=page_size)


@pytest.fixture
def appcrm() -> Iterator[AppcrmEmulator]:
    """An empty emulator without its rate limit (a test of its own covers the limit)."""
    with running(AppcrmEmulator(rate_limit=None)) as server:
        yield server


@pytest.fixture
def connector(appcrm: AppcrmEmulator) -> Iterator[AppcrmConnector]:
    c = make(appcrm.api_url, appcrm.token)
    yield c
    c.close()


@pytest.fixture
def bad_connector(appcrm: AppcrmEmulator) -> Iterator[AppcrmConnector]:
    c = make(appcrm.api_url, "not-the-token")
    yield c
    c.close()


@pytest.fixture
def dead_connector() -> Iterator[AppcrmConnector]:
    c = make(unreachable("/api"), "t")
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    return {
        "first_name": "Ilse",
        "last_name": "Brandt",
        "email": "i.brandt@brandt-mb.de",
        "job_title": "Einkaufsleiterin",
        "phones": ("work:+4975311234", "mobile:+491701234567"),
        "tags": ("Messe 2024", "VIP"),
        "street": "Seestraße 4",
        "city": "Konstanz",
        "state": "BW",
        "postal_code": "78462",
        "country": "DE",
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {
        "name": "Brandt Maschinenbau GmbH",
        "email": "info@brandt-mb.de",
        "domain": "brandt-mb.de",
        "phones": ("work:+4975311230",),
        "street": "Seestraße 4",
        "city": "Konstanz",
        "postal_code": "78462",
        "country": "DE",
    }


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Brandt-Meyer"


class TestAppcrmContract(ConnectorContract):
    pass


def test_a_deadline_there_stays_a_deadline_and_a_nameless_contact_stays_here(
    connector: AppcrmConnector, appcrm: AppcrmEmulator
) -> None:
    from crmdesk.domain.records import Entity, PersonRecord, TouchpointRecord
    from tests.integration.contract import pull_all

    made = connector.create(Entity.PERSON, "x", {"first_name": "Ilse"})
    body = {"title": "Angebot", "user_id": 1, "due_date": "2024-10-10", "activity_type_id": 5, "contacts": [1]}
    activity = connector.http.request("POST", "/activities", json_body=body)
    items, _ = pull_all(connector, Entity.TOUCHPOINT)
    (item,) = items
    fields = dict(item.fields or {})
    connector.update(Entity.TOUCHPOINT, item.remote_id, {**fields, "note": "Zweite Variante"}, fields)
    stored = connector.http.request("GET", f"/activities/{activity['id']}")
    assert (stored["activity_type_id"], stored["note"]) == (5, "Zweite Variante")
    assert made.remote_id
    assert not connector.accepts(PersonRecord(last_name="Brandt"))
    assert not connector.accepts(TouchpointRecord(subject=""))
    assert connector.accepts(PersonRecord(first_name="Ilse"))


def test_a_used_up_quota_is_waited_out_not_hit_and_no_referer_or_origin_is_sent() -> None:
    """appcrm's X-RateLimit-Remaining: 0 makes the client wait for the window instead of collecting 429s."""
    import datetime as dt
    import threading
    import time

    from tests.emulators.base import Clock

    clock = Clock(dt.datetime.now(dt.UTC))
    with running(AppcrmEmulator(rate_limit=3, clock=clock)) as server:
        http = HttpClient(
            server.api_url,
            name="appcrm",
            headers={"Authorization": f"Bearer {server.token}", "Accept": "application/json"},
            secrets=(server.token,),
            max_retry_after=1.5,  # the minute's window, shortened for the test
        )
        connector = AppcrmConnector(http)
        for _ in range(3):
            connector.probe()
        # The quota is used up: the next request waits; meanwhile the server's minute passes.
        threading.Timer(0.3, clock.advance, args=(61,)).start()
        started = time.perf_counter()
        connector.probe()
        assert time.perf_counter() - started >= 1.3
        connector.close()
        log = server.requests()
        assert [r.status for r in log] == [200, 200, 200, 200]
        assert not any("referer" in r.headers or "origin" in r.headers for r in log)
