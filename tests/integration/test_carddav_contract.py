"""The CardDAV connector against a real Radicale: the connector contract (people only; `uid` is the identity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crmdesk.connectors import carddav
from crmdesk.connectors.carddav import CardDavConnector
from crmdesk.domain.records import Entity, new_id
from crmdesk.errors import RemoteRejected
from crmdesk.exchange.carddav_codec import ExchangeCodec
from tests.carddav.fixtures import BOOK, PASSWORD, USER
from tests.carddav.radicale import RadicaleServer, free_port
from tests.integration.contract import ConnectorContract, pull_all
from tests.integration.drivers import carddav_connector


@pytest.fixture(autouse=True)
def _codec() -> None:
    carddav.use_codec(ExchangeCodec())


@pytest.fixture
def connector(radicale: RadicaleServer) -> Iterator[CardDavConnector]:
    c = carddav_connector(radicale.url, PASSWORD, book=radicale.addressbook_url(USER, BOOK))
    yield c
    c.close()


@pytest.fixture
def bad_connector(radicale: RadicaleServer) -> Iterator[CardDavConnector]:
    c = carddav_connector(radicale.url, "not-the-password", book=radicale.addressbook_url(USER, BOOK))
    yield c
    c.close()


@pytest.fixture
def dead_connector() -> Iterator[CardDavConnector]:
    url = f"http://127.0.0.1:{free_port()}/"
    c = carddav_connector(url, PASSWORD, book=f"{url}{USER}/{BOOK}/")
    yield c
    c.close()


@pytest.fixture
def person_fields() -> dict[str, Any]:
    # No `uid`: every create gets its own (the local id), as two cards cannot share one.
    return {
        "title": "Dr.",
        "first_name": "Ilse",
        "last_name": "Brandt",
        "birthday": "1971-03-14",
        "notes": "Messe 2024, Halle 3; will ein Angebot",
        "tags": ("Messe 2024", "VIP"),
        "urls": ("https://brandt-mb.de",),
        "card1": "business\tBrandt Maschinenbau GmbH\tEinkauf\tEinkaufsleiterin",
        "card1.emails": ("*work\ti.brandt@brandt-mb.de",),
        "card1.phones": ("*work\t+4975311234", "mobile\t+491701234567"),
        "card1.addresses": ("*work\tSeestraße 4\t78462\tKonstanz\tBW\tDE",),
    }


@pytest.fixture
def company_fields() -> dict[str, Any]:
    return {}  # CardDAV syncs no companies: the company round trip is skipped


@pytest.fixture
def edit() -> tuple[str, str]:
    return "last_name", "Brandt-Meyer"


class TestCardDavContract(ConnectorContract):
    identity = ("uid",)


def test_every_card_carries_its_own_uid_and_one_uid_cannot_name_two_cards(
    connector: CardDavConnector, person_fields: dict[str, Any]
) -> None:
    a, b = new_id(), new_id()
    made_a = connector.create(Entity.PERSON, a, person_fields)
    made_b = connector.create(Entity.PERSON, b, person_fields)
    items, _ = pull_all(connector, Entity.PERSON)
    assert sorted(str((i.fields or {})["uid"]) for i in items) == sorted([a, b])
    assert made_a.remote_id.endswith(f"/{a}.vcf") and made_b.remote_id.endswith(f"/{b}.vcf")
    # a create with a UID that names a card already (another person with that UID here, e.g. imported from a
    # backup): refused — neither doubled nor overwritten unmerged
    with pytest.raises(RemoteRejected, match="already has a card"):
        connector.create(Entity.PERSON, new_id(), {**person_fields, "uid": a, "last_name": "Brandt-Meyer"})
    items, _ = pull_all(connector, Entity.PERSON)
    assert len(items) == 2
    assert {(i.fields or {})["uid"]: (i.fields or {})["last_name"] for i in items}[a] == person_fields["last_name"]
