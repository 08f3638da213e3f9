"""The contract every connector keeps, run against its emulator (STYLE §8; vdirsyncer's StorageTests).

A connector's test module subclasses `ConnectorContract` and provides the fixtures `connector` (a connector to an
empty remote), `person_fields` and `company_fields` (sync-field dicts this remote can hold), `edit` (a field name
and a new value for it), `bad_connector` (a refused secret) and `dead_connector` (nobody listening).

A remote whose fields carry an identity of their own (CardDAV's `uid`: two records cannot share one) names those
keys in `identity`: a pull's value of them is not compared, and an update sends back the created record's.
A remote without companies (`Entity.COMPANY not in connector.entities`) skips the company round trip.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from crmdesk.connectors.base import Connector, RemoteItem, ref
from crmdesk.domain.merge import clean
from crmdesk.domain.records import Entity, new_id
from crmdesk.errors import RemoteUnavailable, SignInRequired

P = Entity.PERSON


def touchpoint_fields(connector: Connector, person_remote_id: str) -> dict[str, Any]:
    """A touchpoint with one person involved, in this remote's shape: the connector's own projection of a local
    one, with the person's local reference swapped for the remote id."""
    import datetime as dt

    from crmdesk.domain.records import TouchpointRecord, TouchpointType

    rec = TouchpointRecord(
        type=TouchpointType.CALL,
        occurred_at=dt.datetime(2024, 10, 10, 9, 15, tzinfo=dt.UTC),
        subject="Angebot Q4 besprochen",
        body="Will eine zweite Variante.",
        person_ids=("LOCAL-P",),
    )
    local, remote = ref(Entity.PERSON, "LOCAL-P"), ref(Entity.PERSON, person_remote_id)
    return {k.replace(local, remote): remote if v == local else v for k, v in clean(connector.project(rec)).items()}


def unreachable(path: str = "") -> str:
    """A loopback URL nobody listens on (`dead_connector`): the port was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def readable(
    connector: Connector, entity: Entity, fields: dict[str, Any], identity: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fields a pull can show: without those the remote accepts but never returns (`write_only`), nor the
    remote's own `identity` keys."""
    hidden = connector.write_only.get(entity, ())
    return {k: v for k, v in clean(fields).items() if not (hidden and k.startswith(hidden)) and k not in identity}


def with_company(connector: Connector, fields: dict[str, Any], company_remote_id: str) -> dict[str, Any]:
    """A person's fields plus a link to a remote company, in the connector's own form (a key or a value)."""
    import dataclasses

    from crmdesk.domain.records import BusinessCardRecord, PersonRecord

    rec = connector.apply(P, None, fields)
    assert isinstance(rec, PersonRecord)
    rec = rec.replace(cards=(*rec.cards, BusinessCardRecord(company_id="LOCAL-CO", favourite=not rec.cards)))
    rec = rec.replace(cards=tuple(dataclasses.replace(c, favourite=i == 0) for i, c in enumerate(rec.cards)))
    link = ref(Entity.COMPANY, company_remote_id)
    out = dict(fields)
    for key, value in connector.project(rec).items():
        if "LOCAL-CO" in key or value == ref(Entity.COMPANY, "LOCAL-CO"):
            out[key.replace(ref(Entity.COMPANY, "LOCAL-CO"), link)] = link if isinstance(value, str) else value
    return out


def pull_all(connector: Connector, entity: Entity, cursor: str | None = None) -> tuple[list[RemoteItem], str | None]:
    items: list[RemoteItem] = []
    last: str | None = None
    for page in connector.pull(entity, cursor):
        items.extend(page.items)
        last = page.cursor or last
    return items, last


class ConnectorContract:
    """Tests every connector inherits."""

    identity: tuple[str, ...] = ()
    """Field keys the remote fills in itself and keeps per record (see the module docstring)."""

    def ident(self, made: RemoteItem) -> dict[str, Any]:
        """The identity fields of a created record, to send back with its updates."""
        return {k: v for k, v in (made.fields or {}).items() if k in self.identity}

    def test_create_then_pull_sees_it_with_its_fields(
        self, connector: Connector, person_fields: dict[str, Any]
    ) -> None:
        local_id = new_id()
        made = connector.create(P, local_id, person_fields)
        items, _ = pull_all(connector, P)
        (item,) = [i for i in items if i.remote_id == made.remote_id]
        assert item.fields is not None
        assert readable(connector, P, dict(item.fields), self.identity) == readable(
            connector, P, person_fields, self.identity
        )

    def test_find_created_finds_what_create_made_and_only_that(
        self, connector: Connector, person_fields: dict[str, Any]
    ) -> None:
        local_id = new_id()
        assert connector.find_created(P, local_id, person_fields) is None
        other = connector.create(P, new_id(), {**person_fields, "first_name": "Someone", "last_name": "Else"})
        made = connector.create(P, local_id, person_fields)
        found = connector.find_created(P, local_id, person_fields)
        assert found is not None and found.remote_id == made.remote_id != other.remote_id

    def test_update_changes_the_given_field_and_keeps_the_rest(
        self, connector: Connector, person_fields: dict[str, Any], edit: tuple[str, str]
    ) -> None:
        made = connector.create(P, new_id(), person_fields)
        field, value = edit
        old = {**person_fields, **self.ident(made)}
        connector.update(P, made.remote_id, {**old, field: value}, old)
        items, _ = pull_all(connector, P)
        (item,) = [i for i in items if i.remote_id == made.remote_id]
        expected = readable(connector, P, {**person_fields, field: value}, self.identity)
        assert readable(connector, P, dict(item.fields or {}), self.identity) == expected

    def test_incremental_pull_sees_changes_and_deletions_since_its_cursor(
        self, connector: Connector, person_fields: dict[str, Any], edit: tuple[str, str]
    ) -> None:
        a = connector.create(P, new_id(), person_fields)
        b = connector.create(P, new_id(), {**person_fields, "first_name": "Bert"})
        c = connector.create(P, new_id(), {**person_fields, "first_name": "Carla"})
        _, cursor = pull_all(connector, P)
        assert cursor is not None
        field, value = edit
        old = {**person_fields, **self.ident(a)}
        connector.update(P, a.remote_id, {**old, field: value}, old)
        connector.delete(P, b.remote_id)
        pages = list(connector.pull(P, cursor))
        by_id = {i.remote_id: i for p in pages for i in p.items}
        assert by_id[a.remote_id].fields is not None and by_id[a.remote_id].fields[field] == value  # type: ignore[index]
        # A change feed reports the deletion; a full walk (no feed) leaves it out of a listing it calls complete.
        if b.remote_id in by_id:
            assert by_id[b.remote_id].deleted
        else:
            assert pages[-1].complete
        assert c.remote_id not in by_id or not by_id[c.remote_id].deleted

    def test_a_full_pull_pages_through_everything_once_and_says_it_is_complete(
        self, connector: Connector, person_fields: dict[str, Any]
    ) -> None:
        made = {connector.create(P, new_id(), {**person_fields, "first_name": f"N{i}"}).remote_id for i in range(23)}
        pages = list(connector.pull(P, None))
        ids = [i.remote_id for p in pages for i in p.items]
        assert len(pages) > 1, "page size too large for this test"
        assert sorted(ids) == sorted(made)
        assert pages[-1].complete and not any(p.complete for p in pages[:-1])

    def test_delete_of_a_missing_record_is_no_error(self, connector: Connector, person_fields: dict[str, Any]) -> None:
        made = connector.create(P, new_id(), person_fields)
        connector.delete(P, made.remote_id)
        connector.delete(P, made.remote_id)

    def test_restore_brings_a_deleted_record_back_or_says_it_cannot(
        self, connector: Connector, person_fields: dict[str, Any]
    ) -> None:
        made = connector.create(P, new_id(), person_fields)
        connector.delete(P, made.remote_id)
        restored = connector.restore(P, made.remote_id)
        if restored is not None:
            items, _ = pull_all(connector, P)
            assert made.remote_id in {i.remote_id for i in items if not i.deleted}

    def test_companies_and_touchpoints_round_trip_with_their_references(
        self, connector: Connector, person_fields: dict[str, Any], company_fields: dict[str, Any]
    ) -> None:
        if Entity.COMPANY not in connector.entities:
            pytest.skip("this remote syncs no companies")
        company = connector.create(Entity.COMPANY, new_id(), company_fields)
        person = connector.create(P, new_id(), with_company(connector, person_fields, company.remote_id))
        items, _ = pull_all(connector, Entity.COMPANY)
        (got,) = [i for i in items if i.remote_id == company.remote_id]
        assert readable(connector, Entity.COMPANY, dict(got.fields or {})) == clean(company_fields)
        items, _ = pull_all(connector, P)
        (got,) = [i for i in items if i.remote_id == person.remote_id]
        link = ref(Entity.COMPANY, company.remote_id)
        assert any(link in (k, v) for k, v in (got.fields or {}).items()), "the company link did not come back"
        if Entity.TOUCHPOINT not in connector.entities:
            return
        fields = touchpoint_fields(connector, person.remote_id)
        made = connector.create(Entity.TOUCHPOINT, new_id(), fields)
        items, _ = pull_all(connector, Entity.TOUCHPOINT)
        (got,) = [i for i in items if i.remote_id == made.remote_id]
        assert {k: v for k, v in clean(got.fields or {}).items() if k in fields} == clean(fields)
        rec = connector.apply(Entity.TOUCHPOINT, None, fields)
        assert clean(connector.project(rec)) == clean(fields)

    def test_labels_are_words(self, connector: Connector, person_fields: dict[str, Any]) -> None:
        for field in person_fields:
            label = connector.label(field)
            assert label and "_" not in label

    def test_project_apply_round_trip(self, connector: Connector, person_fields: dict[str, Any]) -> None:
        rec = connector.apply(P, None, person_fields)
        projected = {k: v for k, v in clean(connector.project(rec)).items() if k not in self.identity}
        assert projected == clean(person_fields)

    # Failures every connector turns into the same errors.

    def test_a_refused_secret_asks_to_sign_in(self, bad_connector: Connector) -> None:
        with pytest.raises(SignInRequired):
            pull_all(bad_connector, P)

    def test_test_connection_says_what_works_or_asks_to_sign_in(
        self, connector: Connector, bad_connector: Connector
    ) -> None:
        assert connector.probe().startswith("Connected to ")
        with pytest.raises(SignInRequired):
            bad_connector.probe()

    def test_an_unreachable_server_is_unavailable(self, dead_connector: Connector) -> None:
        with pytest.raises(RemoteUnavailable):
            pull_all(dead_connector, P)
