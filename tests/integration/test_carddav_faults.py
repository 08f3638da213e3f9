"""Whole CardDAV syncs against a real Radicale through a fault proxy: 5xx, dropped requests, lost answers, a random
error rate, a phone writing vCards from the corpus between syncs, and a sync token the server no longer knows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmdesk.connectors.carddav import CardDavConnector
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import RemoteUnavailable
from crmdesk.store import accounts, conflicts, links, people
from crmdesk.sync.engine import SyncEngine, SyncReport
from tests.carddav.fixtures import BOOK, PASSWORD, USER
from tests.carddav.proxy import Fault, FaultProxy
from tests.carddav.radicale import RadicaleServer
from tests.integration.drivers import (
    VCARD_HEADERS,
    ErrorRateProxy,
    carddav_connector,
    vcard,
    vcard_names,
    with_names,
)

CORPUS = Path("/work/shared/corpus/vcards")
P = Entity.PERSON
BOOK_PATH = f"/{USER}/{BOOK}/"


def corpus_cards() -> list[Path]:
    """The corpus cards a phone can store on Radicale as they are: one card with a UID, and no unescaped comma in
    FN, NOTE or TITLE (Radicale cuts such a value off at the comma: see tests/carddav/radicale.py)."""
    out = []
    for path in sorted(CORPUS.glob("*.vcf")):
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = re.sub(r"\r?\n[ \t]", "", text).splitlines()
        if text.upper().count("BEGIN:VCARD") != 1 or not any(line.upper().startswith("UID") for line in lines):
            continue
        names = ((*line.partition(":")[0].split(";")[0].split(".")[-1:], line.partition(":")[2]) for line in lines)
        if any(n.upper() in ("FN", "NOTE", "TITLE") and re.search(r"(?<!\\),", v) for n, v in names):
            continue
        out.append(path)
    return out


class Run:
    """A CardDAV account in `ctx`'s store whose syncs go through `proxy` (short back-offs)."""

    def __init__(self, ctx: Context, proxy: FaultProxy) -> None:
        self.ctx = ctx
        self.proxy = proxy
        self.book = proxy.url.rstrip("/") + BOOK_PATH
        self.account = AccountRecord(
            kind=AccountKind.CARDDAV,
            name="Radicale",
            base_url=proxy.url,
            options=(("addressbook", self.book), ("user", USER)),
        )
        with ctx.store.write() as s:
            accounts.save(s, self.account)

    def connector(self) -> CardDavConnector:
        return carddav_connector(self.proxy.url, PASSWORD, book=self.book)

    def sync(self, **kwargs: Any) -> SyncReport:
        c = self.connector()
        try:
            return SyncEngine(self.ctx.store, self.account, c, **kwargs).run()
        finally:
            c.close()

    def add(self, first: str, last: str) -> str:
        with self.ctx.store.write() as s:
            p, _ = people.create(s, PersonRecord(first_name=first, last_name=last))
        return p.id

    def live(self) -> dict[str, PersonRecord]:
        with self.ctx.store.read() as s:
            ids = list(links.remote_ids(s, self.account.id, P))
            return {p.id: p for p in people.get_many(s, ids) if p.stamp.deleted_at is None}

    def all_people(self) -> list[PersonRecord]:
        from sqlalchemy import select

        from crmdesk.store.schema import Person

        with self.ctx.store.read() as s:
            ids = list(s.scalars(select(Person.id).where(Person.deleted_at.is_(None))))
            return list(people.get_many(s, ids))

    def linked(self) -> dict[str, str]:
        with self.ctx.store.read() as s:
            return dict(links.remote_ids(s, self.account.id, P))


def hrefs(phone: httpx.Client) -> list[str]:
    """Every card's href in the book, straight from Radicale."""
    body = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
    r = phone.request("PROPFIND", "", content=body, headers={"Depth": "1"})
    assert r.status_code == 207, r.text
    return sorted(h for el in ET.fromstring(r.content).iter("{DAV:}href") if (h := el.text or "").endswith(".vcf"))


def uids(phone: httpx.Client) -> list[str]:
    """The UID of every card in the book."""
    out: list[str] = []
    for href in hrefs(phone):
        text = phone.get(href.rsplit("/", 1)[-1]).text
        out.extend(line[4:] for line in text.splitlines() if line.startswith("UID:"))
    return sorted(out)


def assert_in_step(run: Run, phone: httpx.Client) -> None:
    """Both sides hold the same people, one to one, with the same names; a second sync changes nothing."""
    local = run.all_people()
    linked = run.linked()
    there = hrefs(phone)
    assert len(there) == len(set(uids(phone))), "two cards share a UID"
    assert len(local) == len(there), f"{len(local)} people here, {len(there)} cards there"
    assert sorted(linked) == sorted(p.id for p in local)
    assert sorted(linked.values()) == there
    for p in local:
        names = vcard_names(phone.get(linked[p.id].rsplit("/", 1)[-1]).text)
        assert names == (p.first_name or None, p.last_name or None), (p.id, names)
    again = run.sync()
    assert again.of(P).total == 0 and not again.problems, again


@pytest.fixture
def run(ctx: Context, carddav_proxy: FaultProxy) -> Run:
    return Run(ctx, carddav_proxy)


# -- server errors, drops, lost answers --------------------------------------------------------------------------------


def test_503s_on_report_and_put_are_ridden_out(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    for i in range(3):
        run.add(f"Ines{i}", "Brandt")
    carddav_proxy.fail(2, 503, methods=["REPORT"])
    carddav_proxy.fail(3, 503, methods=["PUT"])
    report = run.sync()
    assert report.of(P).created_remote == 3 and not report.problems
    assert carddav_proxy.pending() == {}
    faults = [(r.method, r.status) for r in carddav_proxy.requests() if r.fault is Fault.FAIL]
    assert faults == [("REPORT", 503)] * 2 + [("PUT", 503)] * 3
    assert_in_step(run, carddav_phone)


def test_a_dropped_put_is_sent_again(run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client) -> None:
    run.add("Ines", "Brandt")
    carddav_proxy.drop(1, methods=["PUT"])
    report = run.sync()
    assert report.of(P).created_remote == 1 and not report.problems
    assert [r.fault for r in carddav_proxy.requests() if r.method == "PUT"] == [Fault.DROP, None]
    assert_in_step(run, carddav_phone)


def test_a_lost_create_answer_is_found_again_not_doubled(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    local_id = run.add("Ines", "Brandt")
    carddav_proxy.lose_response(1, methods=["PUT"])
    with pytest.raises(RemoteUnavailable, match="may have been stored"):
        run.sync()  # the retried PUT meets its own write (412): the outcome is unknown, the next sync finds it
    assert len(hrefs(carddav_phone)) == 1
    report = run.sync()
    assert report.of(P).created_remote == 0 and not report.problems
    assert len(hrefs(carddav_phone)) == 1
    assert_in_step(run, carddav_phone)
    assert uids(carddav_phone) == [local_id]


def test_a_create_whose_every_answer_is_lost_is_not_doubled_on_the_next_sync(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    run.add("Ines", "Brandt")
    run.add("Ilse", "Brandt")
    carddav_proxy.lose_response(50, methods=["PUT"])
    with pytest.raises(RemoteUnavailable):
        run.sync()
    carddav_proxy.reset()
    assert 1 <= len(hrefs(carddav_phone)) <= 2  # written, but the client never learnt it
    run.sync()
    assert len(hrefs(carddav_phone)) == 2
    assert_in_step(run, carddav_phone)


def test_a_lost_update_and_a_lost_delete_answer_are_ridden_out(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    a, b = run.add("Ines", "Brandt"), run.add("Ilse", "Brandt")
    run.sync()
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, a).replace(last_name="Brandt-Meyer"))
        people.delete_many(s, [b])
    carddav_proxy.lose_response(1, methods=["PUT"])
    carddav_proxy.lose_response(1, methods=["DELETE"])
    try:
        run.sync()
    except RemoteUnavailable:
        run.sync()
    assert_in_step(run, carddav_phone)
    assert [p.last_name for p in run.all_people()] == ["Brandt-Meyer"]


def test_a_20_percent_error_rate_converges_without_loss_or_duplicates(
    ctx: Context, radicale: RadicaleServer, carddav_phone: httpx.Client
) -> None:
    with ErrorRateProxy(radicale.url) as proxy:
        run = Run(ctx, proxy)
        mine = [run.add(f"Local{i}", "Brandt") for i in range(12)]
        for i in range(8):
            uid = f"phone-{i}"
            put = carddav_phone.put(f"{uid}.vcf", content=vcard(uid, f"Phone{i}", "Weber"), headers=VCARD_HEADERS)
            assert put.status_code == 201
        proxy.set_error_rate(0.2, statuses=(500, 502, 503), seed=7)
        for round_ in range(3):
            if round_:  # edits and deletes on both sides between syncs, while errors keep coming
                with ctx.store.write() as s:
                    people.update(s, people.get(s, mine[round_]).replace(last_name=f"Edited{round_}"))
                    people.delete_many(s, [mine[-round_]])
                href = f"phone-{round_}.vcf"
                card = carddav_phone.get(href)
                edited = with_names(card.text, f"Phone{round_}", f"Weber{round_}")
                assert carddav_phone.put(href, content=edited, headers=VCARD_HEADERS).status_code == 204
                assert carddav_phone.delete(f"phone-{7 - round_}.vcf").status_code == 200
            for _ in range(10):
                try:
                    run.sync()
                    break
                except RemoteUnavailable:
                    continue
            else:
                pytest.fail("ten syncs in a row failed at a 20 % error rate")
        assert any(r.fault is Fault.FAIL for r in proxy.requests())
        proxy.reset()
        assert_in_step(run, carddav_phone)
        names = sorted((p.first_name, p.last_name) for p in run.all_people())
        assert len(names) == 12 - 2 + 8 - 2
        assert ("Phone1", "Weber1") in names and ("Phone2", "Weber2") in names
        assert ("Local1", "Edited1") in names and ("Local2", "Edited2") in names
        assert proxy.errors == []


# -- a phone writing between syncs -------------------------------------------------------------------------------------


def is_organisation(text: str) -> bool:
    """A card of a company, not a person (vCard 4 KIND:org, Apple's X-ABShowAs:COMPANY): crmdesk syncs people."""
    upper = text.upper()
    return "KIND:ORG" in upper or "X-ABSHOWAS:COMPANY" in upper


def test_a_phones_corpus_cards_arrive_and_its_deletes_too(run: Run, carddav_phone: httpx.Client) -> None:
    stored: list[str] = []  # href names of the person cards Radicale took
    organisations = 0
    for path in corpus_cards():
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) + ".vcf"
        put = carddav_phone.put(name, content=path.read_bytes(), headers={**VCARD_HEADERS, "If-None-Match": "*"})
        if put.status_code != 201:  # unparsable, or a UID used twice in the corpus: a phone could not store it either
            assert put.status_code in (400, 409), (path.name, put.status_code)
        elif is_organisation(path.read_text(encoding="utf-8", errors="replace")):
            organisations += 1
        else:
            stored.append(name)
    assert len(stored) >= 40 and organisations >= 1
    report = run.sync()
    assert not report.problems, report.problems
    assert report.of(P).created_local == len(stored)
    # the organisation cards stay on the server, untouched and unlinked
    assert_in_step_by_count(run, carddav_phone, len(stored), organisations)
    gone = stored[::5]
    for name in gone:
        assert carddav_phone.delete(name).status_code == 200
    assert run.sync(allow_mass_delete=True).of(P).deleted_local == len(gone)  # the user confirms
    assert_in_step_by_count(run, carddav_phone, len(stored) - len(gone), organisations)


def assert_in_step_by_count(run: Run, phone: httpx.Client, n: int, unlinked: int = 0) -> None:
    """`n` people here, linked one to one to `n` of the cards there (`unlinked` more cards are no people), and a
    second sync changes nothing."""
    there = hrefs(phone)
    linked = sorted(run.linked().values())
    assert len(there) == n + unlinked and len(run.all_people()) == n == len(linked)
    assert set(linked) <= set(there)
    again = run.sync()
    assert again.of(P).total == 0 and not again.problems, again


@pytest.mark.parametrize(
    "corpus_file",
    ["ccs__44EE78BF-8814-4471-899C-92280CEFB098.vcf", "cozy__contactA_ios.vcf"],
)
def test_an_edit_on_both_sides_of_a_corpus_card_merges(run: Run, carddav_phone: httpx.Client, corpus_file: str) -> None:
    text = (CORPUS / corpus_file).read_text(encoding="utf-8")
    assert carddav_phone.put("phone.vcf", content=text.encode(), headers=VCARD_HEADERS).status_code == 201
    run.sync()
    ((local_id, _),) = run.linked().items()
    card = carddav_phone.get("phone.vcf")
    first, _ = vcard_names(card.text)
    edited = with_names(card.text, first, "de Cozy-Martin")
    assert carddav_phone.put("phone.vcf", content=edited, headers={"If-Match": card.headers["ETag"]}).status_code == 204
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, local_id).replace(title="Dr."))
    report = run.sync()
    assert report.conflicts == 0 and not report.problems
    with run.ctx.store.read() as s:
        here = people.get(s, local_id)
        assert conflicts.open_conflicts(s) == []
    assert (here.last_name, here.title) == ("de Cozy-Martin", "Dr.")
    there = carddav_phone.get("phone.vcf").text
    assert "de Cozy-Martin" in there and "Dr." in there
    assert_in_step_by_count(run, carddav_phone, 1)


def test_a_private_second_card_survives_the_round_trip_through_radicale(run: Run, carddav_phone: httpx.Client) -> None:
    """The minimal reproduction of the bug above: no phone, no edit, two syncs."""
    from crmdesk.domain.records import BusinessCardRecord, Email

    cards = (
        BusinessCardRecord(company_name="Brandt GmbH", emails=(Email("i@brandt.de"),), favourite=True),
        BusinessCardRecord(private=True, emails=(Email("ines@example.org"),)),
    )
    with run.ctx.store.write() as s:
        p, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt", cards=cards))
    run.sync()
    again = run.sync()
    with run.ctx.store.read() as s:
        here = people.get(s, p.id)
    assert [c.private for c in here.cards] == [False, True] and here.vcard_extra == ()
    assert again.of(P).total == 0, again


# -- sync tokens -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["garbage", "http://radicale.org/ns/sync/" + "0" * 64])
def test_an_unknown_sync_token_falls_back_to_a_full_listing_without_duplicates(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client, token: str
) -> None:
    run.add("Ines", "Brandt")
    uid = "phone-1"
    assert (
        carddav_phone.put(f"{uid}.vcf", content=vcard(uid, "Ilse", "Weber"), headers=VCARD_HEADERS).status_code == 201
    )
    run.sync()
    # meanwhile the phone adds, edits and deletes, and the server forgets the token (expired, or a restored backup)
    assert (
        carddav_phone.put("phone-2.vcf", content=vcard("phone-2", "Jonas", "Koch"), headers=VCARD_HEADERS).status_code
        == 201
    )
    card = carddav_phone.get(f"{uid}.vcf")
    assert (
        carddav_phone.put(
            f"{uid}.vcf", content=with_names(card.text, "Ilse", "Weber-Koch"), headers=VCARD_HEADERS
        ).status_code
        == 204
    )
    with run.ctx.store.write() as s:
        accounts.set_cursor(s, run.account.id, P.value, token)
    carddav_proxy.clear_requests()
    report = run.sync()
    assert not report.problems
    reports = [r for r in carddav_proxy.requests() if r.method == "REPORT"]
    assert reports[0].status == 403  # the token was refused; the listing followed
    assert report.of(P).created_local == 1 and report.of(P).created_remote == 0
    assert_in_step(run, carddav_phone)
    assert sorted((p.first_name, p.last_name) for p in run.all_people()) == [
        ("Ilse", "Weber-Koch"),
        ("Ines", "Brandt"),
        ("Jonas", "Koch"),
    ]


def methods(proxy: FaultProxy) -> list[str]:
    return [r.method for r in proxy.requests()]


def test_an_unchanged_address_book_is_asked_for_its_ctag_only(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    ines = run.add("Ines", "Brandt")
    run.sync()
    assert run.sync().of(P).total == 0  # my create moved the ctag: this sync reads its echo
    carddav_proxy.clear_requests()
    assert run.sync().of(P).total == 0
    assert methods(carddav_proxy) == ["PROPFIND"]  # the ctag, no sync-collection REPORT
    # the phone adds a card: the ctag moves and the change is read
    assert (
        carddav_phone.put("phone-1.vcf", content=vcard("phone-1", "Ilse", "Weber"), headers=VCARD_HEADERS).status_code
        == 201
    )
    carddav_proxy.clear_requests()
    assert run.sync().of(P).created_local == 1
    assert methods(carddav_proxy)[:2] == ["PROPFIND", "REPORT"]
    # my own edit moves the ctag too: the next sync reads its echo (agreed, nothing to do), the one after asks only
    with run.ctx.store.write() as s:
        people.update(s, people.get(s, ines).replace(title="Dr."))
    assert run.sync().of(P).updated_remote == 1
    assert run.sync().of(P).total == 0
    carddav_proxy.clear_requests()
    assert run.sync().of(P).total == 0
    assert methods(carddav_proxy) == ["PROPFIND"]
    assert_in_step(run, carddav_phone)


def test_a_server_that_will_not_say_its_ctag_is_synced_by_token_alone(
    run: Run, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    run.add("Ines", "Brandt")
    carddav_proxy.fail(10, 403, methods=["PROPFIND"], path=BOOK_PATH)
    run.sync()
    with run.ctx.store.read() as s:
        cursor = accounts.cursor(s, run.account.id, P.value)
    assert cursor and "\n" not in cursor  # a sync token without a ctag beside it
    assert (
        carddav_phone.put("phone-1.vcf", content=vcard("phone-1", "Ilse", "Weber"), headers=VCARD_HEADERS).status_code
        == 201
    )
    carddav_proxy.clear_requests()
    assert run.sync().of(P).created_local == 1
    assert "REPORT" in methods(carddav_proxy)
    carddav_proxy.reset()
    assert_in_step(run, carddav_phone)
