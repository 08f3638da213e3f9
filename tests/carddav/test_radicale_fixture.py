"""The Radicale fixture and the fault proxy, exercised with plain httpx as any CardDAV client (or a phone) would.

These pin the Radicale behaviour noted in `tests/carddav/radicale.py` that the CardDAV connector relies on.
"""

# The fixtures are imported by name (pytest finds them so; no conftest here), and test parameters "redefine" them.
# ruff: noqa: F811

from __future__ import annotations

import base64
import hashlib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from .fixtures import carddav_phone, carddav_proxy, radicale, radicale_book, radicale_server  # noqa: F401
from .proxy import Fault, FaultProxy
from .radicale import RadicaleError, RadicaleServer, free_port

CORPUS = Path("/work/shared/corpus/vcards")
DAV = "{DAV:}"
CR = "{urn:ietf:params:xml:ns:carddav}"
VCARD = {"Content-Type": "text/vcard; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}
AUTH = ("ines", "ines-radicale-pw-7c41")
TOKEN_PREFIX = "http://radicale.org/ns/sync/"

# Cards with a UID each, as phones write them (vCard 4.0, 3.0 from iOS, 4.0 from a CardDAV test suite).
CARD_A = "khard__contact1.vcf"  # UID testuid1
CARD_B = "cozy__contactA_ios.vcf"  # UID 8925F4AF-…
CARD_C = "radicale__contact1_v4.vcf"  # UID contact1


def card(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared vCard corpus is not here")


@pytest.fixture
def book(radicale_book: str) -> Iterator[httpx.Client]:
    """httpx on the address book, signed in as ines (the client under test; `carddav_phone` is the other one)."""
    with httpx.Client(base_url=radicale_book, auth=AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def proxied(carddav_proxy: FaultProxy) -> Iterator[httpx.Client]:
    """httpx on the address book through the fault proxy, no retries, short timeout."""
    with httpx.Client(base_url=carddav_proxy.url + "ines/contacts/", auth=AUTH, timeout=5) as client:
        yield client


# -- XML helpers --------------------------------------------------------------------------------------------------


def propfind(client: httpx.Client, url: str, props: str, depth: str = "0") -> ET.Element:
    body = (
        f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CR="{CR[1:-1]}"><D:prop>{props}</D:prop></D:propfind>'
    )
    response = client.request("PROPFIND", url, content=body, headers={**XML, "Depth": depth})
    assert response.status_code == 207, response.text
    return ET.fromstring(response.content)


def sync(client: httpx.Client, token: str = "") -> tuple[str, dict[str, str | None]]:
    """RFC 6578 sync-collection on the book: (new token, href → ETag, None for a deleted member)."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    response = client.request("REPORT", "", content=body, headers={**XML, "Depth": "0"})
    assert response.status_code == 207, response.text
    root = ET.fromstring(response.content)
    new_token = root.findtext(f"{DAV}sync-token")
    assert new_token is not None
    changes: dict[str, str | None] = {}
    for item in root.findall(f"{DAV}response"):
        href = item.findtext(f"{DAV}href")
        assert href is not None
        status = item.findtext(f"{DAV}status")
        if status is not None:
            assert " 404 " in status, status
            changes[href] = None
        else:
            changes[href] = item.findtext(f"{DAV}propstat/{DAV}prop/{DAV}getetag")
    return new_token, changes


def multiget(client: httpx.Client, hrefs: list[str]) -> dict[str, tuple[str | None, str | None] | int]:
    """addressbook-multiget: href → (ETag, vCard text), or the status code of a member that is not there."""
    refs = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="{CR[1:-1]}">'
        f"<D:prop><D:getetag/><CR:address-data/></D:prop>{refs}</CR:addressbook-multiget>"
    )
    response = client.request("REPORT", "", content=body, headers={**XML, "Depth": "1"})
    assert response.status_code == 207, response.text
    found: dict[str, tuple[str | None, str | None] | int] = {}
    for item in ET.fromstring(response.content).findall(f"{DAV}response"):
        href = item.findtext(f"{DAV}href")
        assert href is not None
        status = item.findtext(f"{DAV}status")
        if status is not None:
            found[href] = int(status.split()[1])
        else:
            prop = f"{DAV}propstat/{DAV}prop/"
            found[href] = (item.findtext(f"{prop}{DAV}getetag"), item.findtext(f"{prop}{CR}address-data"))
    return found


def put_new(client: httpx.Client, href: str, body: bytes) -> str:
    response = client.put(href, content=body, headers={**VCARD, "If-None-Match": "*"})
    assert response.status_code == 201, response.text
    return response.headers["ETag"]


# -- the server and discovery ---------------------------------------------------------------------------------------


def test_the_server_starts_fast_and_answers(radicale: RadicaleServer) -> None:
    assert radicale.running
    assert radicale.url.startswith("http://127.0.0.1:") and radicale.url.endswith("/")
    assert radicale.startup_seconds < 5
    assert radicale.principal_url("ines") == radicale.url + "ines/"
    assert "addressbook" in httpx.options(radicale.url).headers["DAV"]


def test_discovery_well_known_principal_home_and_book(radicale: RadicaleServer, radicale_book: str) -> None:
    with httpx.Client(base_url=radicale.url, timeout=10) as anonymous:
        for method in ("GET", "PROPFIND"):
            moved = anonymous.request(method, "/.well-known/carddav")
            assert (moved.status_code, moved.headers["Location"]) == (301, "/")
        refused = anonymous.request("PROPFIND", "/", headers={"Depth": "0"})
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic ")
        assert anonymous.request("PROPFIND", "/", auth=("ines", "wrong")).status_code == 401
    with httpx.Client(base_url=radicale.url, auth=AUTH, timeout=10) as client:
        root = propfind(client, "/", "<D:current-user-principal/>")
        assert root.findtext(f".//{DAV}current-user-principal/{DAV}href") == "/ines/"
        root = propfind(client, "/ines/", "<CR:addressbook-home-set/>")
        assert root.findtext(f".//{CR}addressbook-home-set/{DAV}href") == "/ines/"
        root = propfind(client, "/ines/", "<D:resourcetype/><D:displayname/><D:sync-token/>", depth="1")
        books = {
            r.findtext(f"{DAV}href"): r
            for r in root.findall(f"{DAV}response")
            if r.find(f".//{DAV}resourcetype/{CR}addressbook") is not None
        }
        assert list(books) == ["/ines/contacts/"]
        assert books["/ines/contacts/"].findtext(f".//{DAV}displayname") == "Contacts"
        token = books["/ines/contacts/"].findtext(f".//{DAV}sync-token")
        assert token is not None and token.startswith(TOKEN_PREFIX)
        assert client.request("PROPFIND", "/someone-else/", headers={"Depth": "0"}).status_code == 403
    assert radicale_book == radicale.url + "ines/contacts/"


def test_make_addressbook_makes_a_second_book_and_refuses_an_existing_one(radicale: RadicaleServer) -> None:
    url = radicale.make_addressbook("ines", "work", displayname="Work & more")
    assert url == radicale.url + "ines/work/"
    with httpx.Client(auth=AUTH, timeout=10) as client:
        root = propfind(client, url, "<D:resourcetype/><D:displayname/>")
        assert root.find(f".//{DAV}resourcetype/{CR}addressbook") is not None
        assert root.findtext(f".//{DAV}displayname") == "Work & more"
    with pytest.raises(RadicaleError, match="405"):
        radicale.make_addressbook("ines", "work")


def test_another_user_has_a_home_of_their_own(radicale: RadicaleServer) -> None:
    radicale.add_user("omar", "pw")
    url = radicale.make_addressbook("omar")
    with httpx.Client(timeout=10) as client:
        assert client.request("PROPFIND", url, auth=("omar", "pw"), headers={"Depth": "0"}).status_code == 207
        assert client.request("PROPFIND", url, auth=AUTH, headers={"Depth": "0"}).status_code == 403


# -- writes with preconditions --------------------------------------------------------------------------------------


def test_put_if_none_match_creates_once_and_gives_the_etag(book: httpx.Client) -> None:
    created = book.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-None-Match": "*"})
    assert created.status_code == 201
    etag = created.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = book.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-None-Match": "*"})
    assert again.status_code == 412
    got = book.get("a.vcf")
    assert got.status_code == 200 and got.headers["ETag"] == etag
    assert b"UID:testuid1" in got.content  # Radicale stores a normalised copy (CRLF, its own order), same UID


def test_put_with_a_stale_if_match_is_refused_and_the_current_one_replaces(book: httpx.Client) -> None:
    etag = put_new(book, "a.vcf", card(CARD_A))
    changed = card(CARD_A).replace(b"FN:second contact", b"FN:second contact (edited)")
    replaced = book.put("a.vcf", content=changed, headers={**VCARD, "If-Match": etag})
    assert replaced.status_code == 204
    new_etag = replaced.headers["ETag"]
    assert new_etag != etag
    stale = book.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-Match": etag})
    assert stale.status_code == 412
    assert b"edited" in book.get("a.vcf").content
    assert book.put("ghost.vcf", content=card(CARD_C), headers={**VCARD, "If-Match": etag}).status_code == 412


def test_delete_with_if_match(book: httpx.Client) -> None:
    etag = put_new(book, "b.vcf", card(CARD_B))
    assert book.delete("b.vcf", headers={"If-Match": '"stale"'}).status_code == 412
    assert book.get("b.vcf").status_code == 200
    assert book.delete("b.vcf", headers={"If-Match": etag}).status_code == 200
    assert book.get("b.vcf").status_code == 404
    assert book.delete("b.vcf").status_code == 404


def test_what_radicale_refuses_or_rewrites_on_put(book: httpx.Client) -> None:
    put_new(book, "a.vcf", card(CARD_A))
    same_uid = book.put("other-name.vcf", content=card(CARD_A), headers=VCARD)
    assert same_uid.status_code == 409
    assert ET.fromstring(same_uid.content).find(f"{CR}no-uid-conflict") is not None
    no_uid = card("ezvcard__John_Doe_IPHONE.vcf")
    assert b"\nUID" not in no_uid
    assert book.put("no-uid.vcf", content=no_uid, headers=VCARD).status_code == 400
    assert book.put("two.vcf", content=card("radicale__contact_multiple.vcf"), headers=VCARD).status_code == 400
    # an unescaped comma in a text value: accepted, and the rest of the value is lost; an escaped one is kept
    commas = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:commas\r\nN:Doe;John;;;\r\nFN:Doe, John\r\nNOTE:a\\, b\r\nEND:VCARD\r\n"
    )
    assert book.put("commas.vcf", content=commas, headers=VCARD).status_code == 201
    stored = book.get("commas.vcf").text.splitlines()
    assert "FN:Doe" in stored and "NOTE:a\\, b" in stored


# -- reading changes --------------------------------------------------------------------------------------------------


def test_sync_collection_sees_changes_and_deletions_since_its_token(
    book: httpx.Client, carddav_phone: httpx.Client
) -> None:
    token, members = sync(book)
    assert token == TOKEN_PREFIX + hashlib.sha256(b"").hexdigest()  # every empty, never-written book
    assert members == {}
    etag_a = put_new(book, "a.vcf", card(CARD_A))
    etag_b = put_new(book, "b.vcf", card(CARD_B))
    token, members = sync(book)
    assert members == {"/ines/contacts/a.vcf": etag_a, "/ines/contacts/b.vcf": etag_b}

    assert sync(book, token) == (token, {})  # nothing changed: the same token, no members

    # the phone edits a, deletes b and adds c between two syncs
    edited = carddav_phone.put(
        "a.vcf", content=card(CARD_A).replace(b"0123456789", b"0987654321"), headers={**VCARD, "If-Match": etag_a}
    )
    assert edited.status_code == 204
    assert carddav_phone.delete("b.vcf", headers={"If-Match": etag_b}).status_code == 200
    etag_c = put_new(carddav_phone, "c.vcf", card(CARD_C))
    new_token, changes = sync(book, token)
    assert new_token != token
    assert changes == {
        "/ines/contacts/a.vcf": edited.headers["ETag"],
        "/ines/contacts/b.vcf": None,
        "/ines/contacts/c.vcf": etag_c,
    }
    # an older token still works (Radicale keeps them for max_sync_token_age, 30 days)
    assert set(sync(book, token)[1]) == set(changes)


def test_an_unknown_sync_token_is_403_valid_sync_token(book: httpx.Client) -> None:
    for token in ("garbage", TOKEN_PREFIX + "0" * 64):
        body = (
            '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:">'
            f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
            "<D:prop><D:getetag/></D:prop></D:sync-collection>"
        )
        response = book.request("REPORT", "", content=body, headers={**XML, "Depth": "0"})
        assert response.status_code == 403
        assert ET.fromstring(response.content).find(f"{DAV}valid-sync-token") is not None


def test_addressbook_multiget_of_two_hrefs(book: httpx.Client) -> None:
    etag_a = put_new(book, "a.vcf", card(CARD_A))
    etag_c = put_new(book, "c.vcf", card(CARD_C))
    put_new(book, "b.vcf", card(CARD_B))
    found = multiget(book, ["/ines/contacts/a.vcf", "/ines/contacts/c.vcf"])
    assert set(found) == {"/ines/contacts/a.vcf", "/ines/contacts/c.vcf"}
    etag, text = found["/ines/contacts/a.vcf"]  # type: ignore[misc]
    assert etag == etag_a and text is not None and "UID:testuid1" in text
    etag, text = found["/ines/contacts/c.vcf"]  # type: ignore[misc]
    assert etag == etag_c and text is not None and "UID:contact1" in text
    assert multiget(book, ["/ines/contacts/gone.vcf"]) == {"/ines/contacts/gone.vcf": 404}


# -- the server going away ---------------------------------------------------------------------------------------------


def test_a_killed_server_comes_back_on_the_same_url_with_its_data(radicale: RadicaleServer, book: httpx.Client) -> None:
    etag = put_new(book, "a.vcf", card(CARD_A))
    url = radicale.url
    radicale.kill()
    with pytest.raises(httpx.ConnectError):
        book.get("a.vcf")
    radicale.start()
    assert radicale.url == url
    assert book.get("a.vcf").headers["ETag"] == etag


# -- the fault proxy ---------------------------------------------------------------------------------------------------


def test_the_proxy_forwards_everything_as_is(
    carddav_proxy: FaultProxy, proxied: httpx.Client, book: httpx.Client
) -> None:
    with httpx.Client(base_url=carddav_proxy.url, timeout=5) as anonymous:
        moved = anonymous.get(".well-known/carddav")
        assert (moved.status_code, moved.headers["Location"]) == (301, "/")
        assert anonymous.request("PROPFIND", "ines/", headers={"Depth": "0"}).status_code == 401
    etag = put_new(proxied, "a.vcf", card(CARD_A))
    assert book.get("a.vcf").headers["ETag"] == etag
    assert proxied.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-Match": '"stale"'}).status_code == 412
    assert proxied.head("a.vcf").headers["ETag"] == etag
    _, members = sync(proxied)
    assert members == {"/ines/contacts/a.vcf": etag}
    assert (
        multiget(proxied, ["/ines/contacts/a.vcf"])["/ines/contacts/a.vcf"]
        == multiget(book, ["/ines/contacts/a.vcf"])["/ines/contacts/a.vcf"]
    )
    assert proxied.request("OPTIONS", "").status_code == 200
    assert proxied.delete("a.vcf", headers={"If-Match": etag}).status_code == 200
    log = [(r.method, r.path, r.status, r.fault) for r in carddav_proxy.requests()]
    assert log[:3] == [
        ("GET", "/.well-known/carddav", 301, None),
        ("PROPFIND", "/ines/", 401, None),
        ("PUT", "/ines/contacts/a.vcf", 201, None),
    ]
    assert log[-1] == ("DELETE", "/ines/contacts/a.vcf", 200, None)
    put = carddav_proxy.requests()[2]
    assert put.headers["if-none-match"] == "*" and put.headers["authorization"].startswith("Basic ")


def test_the_proxy_streams_large_bodies(proxied: httpx.Client, book: httpx.Client) -> None:
    photo = base64.b64encode(bytes(range(256)) * 2000).decode()  # ~680 kB of base64, many 64 KiB pieces
    lines = [photo[i : i + 74] for i in range(0, len(photo), 74)]
    big = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:big-photo\r\nFN:Big Photo\r\nN:Photo;Big;;;\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:" + "\r\n ".join(lines) + "\r\nEND:VCARD\r\n"
    ).encode()
    etag = put_new(proxied, "big.vcf", big)
    got = proxied.get("big.vcf")
    assert got.headers["ETag"] == etag and got.content == book.get("big.vcf").content
    assert photo[:1000] in got.text.replace("\r\n ", "")


def test_fail_answers_without_forwarding(carddav_proxy: FaultProxy, proxied: httpx.Client, book: httpx.Client) -> None:
    carddav_proxy.fail(2, methods=["PUT"], retry_after=3)
    assert carddav_proxy.pending() == {"fail": 2}
    first = proxied.put("a.vcf", content=card(CARD_A), headers=VCARD)
    assert (first.status_code, first.headers["Retry-After"]) == (503, "3")
    assert proxied.get("a.vcf").status_code == 404  # GET is not hit and goes through
    assert proxied.put("a.vcf", content=card(CARD_A), headers=VCARD).status_code == 503
    assert book.get("a.vcf").status_code == 404  # neither PUT reached Radicale
    assert proxied.put("a.vcf", content=card(CARD_A), headers=VCARD).status_code == 201
    carddav_proxy.fail(1, 500, path="/ines/contacts/b")
    assert proxied.get("a.vcf").status_code == 200
    assert proxied.get("b.vcf").status_code == 500
    failed = [r for r in carddav_proxy.requests() if r.fault is Fault.FAIL]
    assert [(r.method, r.status, r.upstream_status) for r in failed] == [
        ("PUT", 503, None),
        ("PUT", 503, None),
        ("GET", 500, None),
    ]


def test_drop_closes_without_an_answer_and_forwards_nothing(
    carddav_proxy: FaultProxy, proxied: httpx.Client, book: httpx.Client
) -> None:
    carddav_proxy.drop(1, methods=["PUT"])
    with pytest.raises(httpx.RemoteProtocolError):
        proxied.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-None-Match": "*"})
    assert book.get("a.vcf").status_code == 404
    put_new(proxied, "a.vcf", card(CARD_A))  # the next one goes through, on a new connection
    assert [(r.method, r.status, r.fault) for r in carddav_proxy.requests()] == [
        ("PUT", None, Fault.DROP),
        ("PUT", 201, None),
    ]


def test_lose_response_lets_radicale_write_but_the_client_never_learns(
    carddav_proxy: FaultProxy, proxied: httpx.Client, book: httpx.Client
) -> None:
    carddav_proxy.lose_response(1)
    token, _ = sync(proxied)  # a read: not hit by default
    with pytest.raises(httpx.RemoteProtocolError):
        proxied.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-None-Match": "*"})
    assert book.get("a.vcf").status_code == 200  # it was written
    # the client's retry of the same create now meets its own earlier write
    retry = proxied.put("a.vcf", content=card(CARD_A), headers={**VCARD, "If-None-Match": "*"})
    assert retry.status_code == 412
    assert sync(proxied, token)[1].keys() == {"/ines/contacts/a.vcf"}
    lost = carddav_proxy.requests()[1]
    assert (lost.method, lost.status, lost.upstream_status, lost.fault) == ("PUT", None, 201, Fault.LOSE)
    carddav_proxy.lose_response(1, methods=["REPORT"])
    with pytest.raises(httpx.RemoteProtocolError):
        sync(proxied)


def test_delay_holds_requests_and_reset_switches_everything_off(
    carddav_proxy: FaultProxy, proxied: httpx.Client, book: httpx.Client
) -> None:
    carddav_proxy.delay(0.2, methods=["GET"])
    began = time.monotonic()
    assert proxied.get("nothing.vcf").status_code == 404
    assert time.monotonic() - began >= 0.2
    # a client that gives up before the delay ends: the request still reaches Radicale afterwards
    carddav_proxy.delay(0.3, n=1, methods=["PUT"])
    with pytest.raises(httpx.ReadTimeout):
        proxied.put("a.vcf", content=card(CARD_A), headers=VCARD, timeout=0.1)
    deadline = time.monotonic() + 3
    while book.get("a.vcf").status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert book.get("a.vcf").status_code == 200
    # a slow answer: Radicale has written before the client times out
    carddav_proxy.delay(0.3, n=1, methods=["DELETE"], response=True)
    with pytest.raises(httpx.ReadTimeout):
        proxied.delete("a.vcf", timeout=0.1)
    assert book.get("a.vcf").status_code == 404

    carddav_proxy.fail(5)
    carddav_proxy.drop(5)
    carddav_proxy.lose_response(5)
    carddav_proxy.delay(1)
    carddav_proxy.reset()
    assert carddav_proxy.pending() == {}
    began = time.monotonic()
    put_new(proxied, "a.vcf", card(CARD_A))
    assert time.monotonic() - began < 0.3


def test_faults_meet_concurrent_requests_exactly_n_times(carddav_proxy: FaultProxy, proxied: httpx.Client) -> None:
    carddav_proxy.fail(3, methods=["GET"])
    statuses: list[int] = []
    lock = threading.Lock()

    def get() -> None:
        status = proxied.get("none.vcf").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [404] * 5 + [503] * 3


def test_a_server_that_is_not_there_is_a_502() -> None:
    with FaultProxy(f"http://127.0.0.1:{free_port()}/") as proxy, httpx.Client(timeout=5) as client:
        answer = client.get(proxy.url + "ines/contacts/")
        assert answer.status_code == 502
        assert [(r.status, r.upstream_status) for r in proxy.requests()] == [(502, None)]
    assert proxy.errors == []


class _Echo(BaseHTTPRequestHandler):
    """An upstream that echoes the request body back, close-delimited (no Content-Length, HTTP/1.0)."""

    def do_PUT(self) -> None:
        assert self.headers["Transfer-Encoding"] == "chunked" and self.headers["If-Match"] == '"e1"'
        body = b""
        while size := int(self.rfile.readline().strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        self.send_response(200)
        self.send_header("ETag", '"e2"')
        self.end_headers()
        self.wfile.write(body * 3)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_proxy_forwards_chunked_bodies_and_rechunks_close_delimited_answers() -> None:
    # Radicale itself cannot take a chunked body (400, and racy): a stdlib echo server stands in
    upstream = HTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=upstream.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        with FaultProxy(f"http://127.0.0.1:{upstream.server_port}/") as proxy, httpx.Client(timeout=5) as client:

            def pieces() -> Iterator[bytes]:  # no length known: httpx sends Transfer-Encoding: chunked
                yield b"abc" * 30_000
                yield b"xyz"

            for _ in range(2):  # the second one on the same kept-alive connection to the proxy
                answer = client.put(proxy.url + "x", content=pieces(), headers={"If-Match": '"e1"'})
                assert answer.status_code == 200 and answer.headers["ETag"] == '"e2"'
                assert answer.headers["Transfer-Encoding"] == "chunked"
                assert answer.content == (b"abc" * 30_000 + b"xyz") * 3
        assert proxy.errors == []
    finally:
        upstream.shutdown()
        upstream.server_close()
        thread.join()
