"""The CardDAV connector against a real Radicale: people both ways, a phone's edits merged with ours, unknown
vCard properties written back byte-faithful, conditional writes, sync tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from crmdesk.connectors.base import RemoteChanged
from crmdesk.connectors.carddav import CardDavConnector, connect
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.records import BusinessCardRecord, Email, Entity, PersonRecord, Phone
from crmdesk.store import accounts, conflicts, links, people
from crmdesk.sync.engine import SyncEngine, SyncReport
from tests.carddav.fixtures import PASSWORD
from tests.carddav.radicale import RadicaleServer

CORPUS = Path("/work/shared/corpus/vcards")
P = Entity.PERSON


class Run:
    def __init__(self, ctx: Context, server: RadicaleServer, book: str) -> None:
        self.ctx = ctx
        self.account = AccountRecord(
            kind=AccountKind.CARDDAV,
            name="Radicale",
            base_url=server.url,
            options=(("addressbook", book), ("user", "ines")),
        )
        with ctx.store.write() as s:
            accounts.save(s, self.account)

    def connector(self) -> CardDavConnector:
        return connect(self.account, PASSWORD)

    def sync(self, **kwargs: Any) -> SyncReport:
        c = self.connector()
        try:
            return SyncEngine(self.ctx.store, self.account, c, **kwargs).run()
        finally:
            c.close()

    def href(self, local_id: str) -> str:
        with self.ctx.store.read() as s:
            link = links.by_local(s, self.account.id, P, local_id)
        assert link is not None and link.remote_id
        return link.remote_id


@pytest.fixture
def run(ctx: Context, radicale: RadicaleServer, radicale_book: str) -> Run:
    return Run(ctx, radicale, radicale_book)


def test_a_local_person_becomes_a_card_named_by_its_uid_and_a_second_sync_changes_nothing(
    run: Run, carddav_phone: httpx.Client
) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines",
                last_name="Brandt",
                cards=(BusinessCardRecord(company_name="Brandt GmbH", emails=(Email("i@brandt.de"),)),),
            ),
        )
    report = run.sync()
    assert report.of(P).created_remote == 1 and not report.problems
    card = carddav_phone.get(f"{p.id}.vcf")
    assert card.status_code == 200
    assert f"UID:{p.id}" in card.text and "EMAIL" in card.text and "ORG:Brandt GmbH" in card.text
    again = run.sync()
    assert again.of(P).total == 0
    assert again.requests <= 3  # one sync-collection REPORT (the book is known), nothing else


def test_a_phones_card_arrives_and_its_unknown_lines_go_back_byte_faithful(
    run: Run, carddav_phone: httpx.Client
) -> None:
    text = (CORPUS / "cozy__contactA_ios.vcf").read_text(encoding="utf-8")
    assert carddav_phone.put("8925F4AF.vcf", content=text.encode(), headers={"If-None-Match": "*"}).status_code == 201
    assert run.sync().of(P).created_local == 1
    with run.ctx.store.read() as s:
        (local_id,) = links.remote_ids(s, run.account.id, P)
        p = people.get(s, local_id)
    assert p.vcard_uid == "8925F4AF-9773-4030-ACDE-F12D78627DBD"
    assert any(line.startswith("item1.X-ABADR") for line in p.vcard_extra)
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, p.id).replace(last_name="de Cozy-Martin"))
    assert run.sync().of(P).updated_remote == 1
    back = carddav_phone.get("8925F4AF.vcf").text
    assert "UID:8925F4AF-9773-4030-ACDE-F12D78627DBD" in back
    assert "de Cozy-Martin" in back and "item1.X-ABADR:fr" in back and "item2.X-ABADR:fr" in back


def test_a_phones_edit_and_mine_merge_and_a_phones_delete_arrives(run: Run, carddav_phone: httpx.Client) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(
            s,
            PersonRecord(
                first_name="Ines", last_name="Brandt", cards=(BusinessCardRecord(phones=(Phone("+4975311234"),)),)
            ),
        )
    run.sync()
    href = run.href(p.id).rsplit("/", 1)[-1]  # the phone's client sits on the book's URL
    card = carddav_phone.get(href)
    edited = card.text.replace("END:VCARD", "NICKNAME:Ini\r\nEND:VCARD").replace("+4975311234", "+4975319999")
    put = carddav_phone.put(href, content=edited.encode(), headers={"If-Match": card.headers["ETag"]})
    assert put.status_code in (201, 204)
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, p.id).replace(title="Dr."))
    report = run.sync()
    assert report.conflicts == 0 and not report.problems
    with run.ctx.store.read() as s:
        here = people.get(s, p.id)
        assert conflicts.open_conflicts(s) == []
    assert here.title == "Dr." and here.cards[0].phones[0].number == "+4975319999"
    assert any(line.startswith("NICKNAME") for line in here.vcard_extra)
    there = carddav_phone.get(href).text
    assert "Dr." in there and "+4975319999" in there and "NICKNAME:Ini" in there
    assert carddav_phone.delete(href).status_code in (200, 204)
    assert run.sync().of(P).deleted_local == 1


def test_a_stale_etag_is_refused_and_the_current_card_comes_with_the_refusal(
    run: Run, carddav_phone: httpx.Client
) -> None:
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    run.sync()
    href = run.href(p.id)
    name = href.rsplit("/", 1)[-1]
    c = run.connector()
    try:
        (page,) = list(c.pull(P, None))
        (item,) = page.items
        card = carddav_phone.get(name)
        carddav_phone.put(name, content=card.text.replace("Brandt", "Brandt-Meyer").encode())
        with pytest.raises(RemoteChanged) as caught:
            c.update(P, href, {**(item.fields or {}), "title": "Dr."}, item.fields or {}, version=item.version)
        assert caught.value.current is not None and caught.value.current.fields is not None
        assert caught.value.current.fields["last_name"] == "Brandt-Meyer"
    finally:
        c.close()


def test_a_listing_cursor_reads_everything_again_and_a_phones_edit_beats_my_delete(
    run: Run, carddav_phone: httpx.Client
) -> None:
    from crmdesk.connectors.base import FULL_WALK

    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    run.sync()
    c = run.connector()
    try:  # the cursor a server without sync tokens leaves behind is no token: a complete listing
        pages = list(c.pull(P, FULL_WALK))
        assert pages[-1].complete and len([i for pg in pages for i in pg.items]) == 1
        href = run.href(p.id)
        (item,) = [i for pg in pages for i in pg.items]
        name = href.rsplit("/", 1)[-1]
        card = carddav_phone.get(name)
        carddav_phone.put(name, content=card.text.replace("Brandt", "Brandt-Meyer").encode())
        with pytest.raises(RemoteChanged):  # my delete, decided on the old ETag, does not remove the phone's edit
            c.delete(P, href, version=item.version)
        assert carddav_phone.get(name).status_code == 200
    finally:
        c.close()
