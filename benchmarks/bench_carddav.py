"""CardDAV benchmark (issue 6): the initial pull of N cards from a real Radicale beside a plain httpx multiget loop,
and a no-change re-sync.

    .venv/bin/python benchmarks/bench_carddav.py [--cards 5000] [--batch 100]

Radicale runs in its own process (tests/carddav/radicale.py), so server and client do not share a GIL. N realistic
cards (tests/emulators/fakedata.py: names, e-mails, phones, addresses, companies; vCard 3.0 written here as a phone
would) are stored first: by default written straight into Radicale's storage folder while it is stopped, then read
once by a full sync-collection and a multiget pass (so Radicale's item cache is warm for both contenders); with
`--put` PUT one by one over HTTP instead — true to a phone, but Radicale 3.9 checks every PUT's UID against the whole
book, so a PUT costs O(cards) and 5,000 take a quarter of an hour. Then, in one run:

1. crmdesk: the initial pull into an empty store (one sync-collection listing, then addressbook-multiget in batches),
   run as a job of the window's JobRunner while a 10 ms QTimer ticks on the GUI thread (the longest gap between
   ticks is how long the window would freeze).
2. Baseline: a plain httpx loop doing REPORT addressbook-multiget over the same hrefs in the same batch size and
   parsing the XML, nothing else (the best of two runs).
3. A no-change re-sync with a fresh connector: its time (goal < 1 s: the address book's ctag is unchanged, so
   neither a sync-collection REPORT nor a listing) and its request count; then a re-sync after a phone changed one
   card (ctag, sync-collection with the token, one multiget).

Prints one line per figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.carddav.fixtures import PASSWORD, USER  # noqa: E402 - after the path set-up

MULTIGET = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
    "<D:prop><D:getetag/><CR:address-data/></D:prop>{hrefs}</CR:addressbook-multiget>"
)
ADDRESS_DATA = "{urn:ietf:params:xml:ns:carddav}address-data"


def _text(value: str) -> str:
    """A vCard text value, escaped (RFC 6350 §3.4): Radicale cuts an unescaped comma off."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def make_cards(n: int, seed: int = 6) -> list[tuple[str, bytes]]:
    """`n` (name, vCard) pairs of made-up people, a third of them without an employer."""
    from tests.emulators.fakedata import FakeData

    rng = random.Random(seed)
    fake = FakeData(rng)
    companies = [fake.company() for _ in range(max(1, n // 10))]
    out = []
    for i in range(n):
        company = rng.choice(companies) if rng.random() < 0.67 else None
        p = fake.person(work_domain=company.domain if company else None)
        uid = f"bench-{i:05d}-{rng.getrandbits(32):08x}"
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:{uid}",
            f"N:{_text(p.last_name)};{_text(p.first_name)};;{_text(p.title or '')};",
            f"FN:{_text(' '.join(x for x in (p.title, p.first_name, p.last_name) if x))}",
        ]
        if company is not None:
            lines.append(f"ORG:{_text(company.name)}")
            if p.position:
                lines.append(f"TITLE:{_text(p.position)}")
        if p.email:
            lines.append(f"EMAIL;TYPE=INTERNET,{'WORK' if company else 'HOME'}:{p.email}")
        if p.email_private:
            lines.append(f"EMAIL;TYPE=INTERNET,HOME:{p.email_private}")
        if p.telephone:
            lines.append(f"TEL;TYPE={'WORK' if company else 'HOME'},VOICE:{p.telephone}")
        if p.mobile:
            lines.append(f"TEL;TYPE=CELL:{p.mobile}")
        if p.street:
            street = _text(f"{p.street} {p.house or ''}".strip())
            lines.append(
                f"ADR;TYPE=HOME:;;{street};{_text(p.town or '')};{_text(p.state or '')};{p.zip or ''};{p.country}"
            )
        if p.birthday:
            lines.append(f"BDAY:{p.birthday.isoformat()}")
        lines.append("END:VCARD")
        out.append((f"{uid}.vcf", ("\r\n".join(lines) + "\r\n").encode()))
    return out


def upload(book_url: str, cards: list[tuple[str, bytes]]) -> float:
    """PUT every card (8 at a time); the seconds it took."""
    import httpx

    started = time.perf_counter()
    headers = {"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"}
    with httpx.Client(base_url=book_url, auth=(USER, PASSWORD), timeout=60) as client:

        def put(card: tuple[str, bytes]) -> None:
            answer = client.put(card[0], content=card[1], headers=headers)
            if answer.status_code != 201:
                raise SystemExit(f"PUT {card[0]} → {answer.status_code}: {answer.text[:200]}")

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, cards))
    return time.perf_counter() - started


def seed_files(server: Any, book_url: str, cards: list[tuple[str, bytes]]) -> float:
    """Write the cards into Radicale's storage folder (server stopped), restart it and read everything once."""
    started = time.perf_counter()
    server.stop()
    folder = server.storage / "collection-root" / USER / book_url.rstrip("/").rsplit("/", 1)[-1]
    assert folder.is_dir(), folder
    for name, content in cards:
        (folder / name).write_bytes(content)
    server.start()
    hrefs = [f"/{USER}/{folder.name}/{name}" for name, _ in cards]
    plain_multiget(book_url, hrefs, 500, listing=True)
    return time.perf_counter() - started


def plain_multiget(book_url: str, hrefs: list[str], batch: int, *, listing: bool = False) -> tuple[float, int]:
    """A plain httpx loop of addressbook-multiget REPORTs over `hrefs`, parsing the answers: seconds, cards.
    `listing`: a full sync-collection REPORT first (the warm-up after seeding)."""
    import httpx

    got = 0
    started = time.perf_counter()
    with httpx.Client(auth=(USER, PASSWORD), timeout=300) as client:
        if listing:
            body = (
                '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
                "<D:prop><D:getetag/></D:prop></D:sync-collection>"
            )
            client.request("REPORT", book_url, content=body.encode(), headers={"Depth": "0"}).raise_for_status()
        for start in range(0, len(hrefs), batch):
            refs = "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs[start : start + batch])
            answer = client.request(
                "REPORT",
                book_url,
                content=MULTIGET.format(hrefs=refs).encode(),
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            )
            answer.raise_for_status()
            got += sum(1 for el in ET.fromstring(answer.content).iter(ADDRESS_DATA) if el.text)
    return time.perf_counter() - started, got


def plain_sync(book_url: str, token: str) -> float:
    """Seconds a plain httpx sync-collection REPORT with `token` takes (nothing changed: an empty answer)."""
    import httpx

    body = (
        '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    with httpx.Client(auth=(USER, PASSWORD), timeout=60) as client:
        started = time.perf_counter()
        client.request("REPORT", book_url, content=body.encode(), headers={"Depth": "0"}).raise_for_status()
        return time.perf_counter() - started


def bench(n: int, batch: int, runner: Any, *, put: bool = False) -> list[str]:
    from _stall import longest_gap
    from sqlalchemy import text

    from crmdesk.connectors import carddav
    from crmdesk.connectors.carddav import connect
    from crmdesk.domain.accounts import AccountKind, AccountRecord
    from crmdesk.domain.records import Entity
    from crmdesk.exchange.carddav_codec import ExchangeCodec
    from crmdesk.store import accounts, links
    from crmdesk.store.engine import open_store
    from crmdesk.sync.engine import SyncEngine, SyncReport
    from tests.carddav.radicale import RadicaleServer

    carddav.use_codec(ExchangeCodec())
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, RadicaleServer(Path(tmp) / "radicale", {USER: PASSWORD}) as server:
        book = server.make_addressbook(USER, "contacts")
        cards = make_cards(n)
        if put:
            seconds = upload(book, cards)
            lines.append(f"setup      {n:,} cards PUT to Radicale in {seconds:5.1f} s (8 at a time)")
        else:
            seconds = seed_files(server, book, cards)
            lines.append(f"setup      {n:,} cards written to Radicale's storage and read once in {seconds:5.1f} s")

        store = open_store(Path(tmp) / "bench.sqlite3")
        account = AccountRecord(
            kind=AccountKind.CARDDAV,
            name="Radicale",
            base_url=server.url,
            options=(("addressbook", book), ("user", USER)),
        )
        with store.write() as s:
            accounts.save(s, account)
        connector = connect(account, PASSWORD)
        connector.page_size = batch
        timing: dict[str, float] = {}
        result: dict[str, SyncReport] = {}

        def work(progress: object, cancel: object) -> object:
            started = time.perf_counter()
            result["report"] = SyncEngine(store, account, connector).run()
            timing["pull"] = time.perf_counter() - started
            return result["report"]

        gc.collect()
        gc.freeze()  # as app.py does once the window is up
        stall = longest_gap(runner, work)
        gc.unfreeze()
        connector.close()
        with store.read() as s:
            got = len(list(s.execute(text("SELECT id FROM person"))))
            hrefs = sorted(links.remote_ids(s, account.id, Entity.PERSON).values())
        pull = timing["pull"]
        requests = result["report"].requests
        lines.append(
            f"pull       crmdesk's initial pull: {got:,} people in {pull:5.2f} s ({requests} requests, multiget "
            f"batches of {batch}); GUI longest stall {stall:.0f} ms (goal < 50 ms)"
        )
        base = min(plain_multiget(book, hrefs, batch), plain_multiget(book, hrefs, batch))
        lines.append(
            f"baseline   plain httpx multiget loop over the same {len(hrefs):,} hrefs in batches of {batch}: "
            f"{base[0]:5.2f} s ({base[1]:,} cards)"
        )
        lines.append(f"ratio      crmdesk pull / plain loop = {pull / base[0]:.2f}×")

        times = []
        for _ in range(3):
            again_connector = connect(account, PASSWORD)
            started = time.perf_counter()
            again = SyncEngine(store, account, again_connector).run()
            times.append(time.perf_counter() - started)
            again_connector.close()
            assert again.of(Entity.PERSON).total == 0, again
        lines.append(
            f"re-sync    no-change re-sync: {min(times) * 1000:.0f} ms best, {max(times) * 1000:.0f} ms worst of 3, "
            f"{again.requests} request(s) (goal < 1 s: the ctag unchanged, so no sync-collection and no listing)"
        )
        # a phone edits one card: ctag, sync-collection with the token, one multiget
        import httpx

        href = hrefs[len(hrefs) // 2]
        with httpx.Client(base_url=server.url, auth=(USER, PASSWORD), timeout=60) as phone:
            card = phone.get(href)
            edited = card.text.replace("END:VCARD", "NOTE:called back\r\nEND:VCARD")
            phone.put(href, content=edited.encode(), headers={"If-Match": card.headers["ETag"]})
        one_connector = connect(account, PASSWORD)
        started = time.perf_counter()
        one = SyncEngine(store, account, one_connector).run()
        seconds = time.perf_counter() - started
        one_connector.close()
        assert one.of(Entity.PERSON).updated_local == 1, one
        lines.append(
            f"re-sync    one card changed on a phone: {seconds * 1000:.0f} ms, {one.requests} request(s) "
            "(ctag, sync-collection with the token, one multiget)"
        )
        with store.read() as s:
            token = (accounts.cursor(s, account.id, Entity.PERSON.value) or "").partition("\n")[0]  # without the ctag
        server_side = min(plain_sync(book, token) for _ in range(3))
        lines.append(
            f"re-sync    for comparison, Radicale answering a sync-collection REPORT with that token (what the ctag "
            f"spares a no-change sync) to plain httpx: {server_side * 1000:.0f} ms best of 3"
        )
        store.close()
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=5_000)
    ap.add_argument("--batch", type=int, default=100, help="multiget batch size (the connector's page size)")
    ap.add_argument("--put", action="store_true", help="PUT the cards over HTTP (slow: O(cards) per PUT)")
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from crmdesk.ui.workers import JobRunner

    app = QApplication.instance() or QApplication([])
    runner = JobRunner()
    sys.setswitchinterval(0.0002)  # as the app does
    for line in bench(args.cards, args.batch, runner, put=args.put):
        print(line, flush=True)
    runner.shutdown(10_000)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
