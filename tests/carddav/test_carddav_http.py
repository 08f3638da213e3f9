"""CardDavClient (crmdesk.connectors.carddav_http) against a real Radicale, directly and through the fault proxy."""

# The fixtures are imported by name (pytest finds them so; no conftest here), and test parameters "redefine" them.
# ruff: noqa: F811

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crmdesk.connectors.carddav_http import (
    Book,
    CardDavClient,
    InvalidSyncToken,
    PreconditionFailed,
)
from crmdesk.connectors.http import HttpClient
from crmdesk.errors import RemoteNotFound, RemoteRejected, RemoteUnavailable, SignInRequired

from .fixtures import carddav_phone, carddav_proxy, radicale, radicale_book, radicale_server  # noqa: F401
from .proxy import Fault, FaultProxy
from .radicale import RadicaleServer

CORPUS = Path("/work/shared/corpus/vcards")
TOKEN_PREFIX = "http://radicale.org/ns/sync/"
BOOK_PATH = "/ines/contacts/"
VCARD = {"Content-Type": "text/vcard; charset=utf-8"}

# One card each, each with its own UID, no unescaped comma in a text value (Radicale would cut it off).
CARD_A = "khard__contact1.vcf"  # UID testuid1
CARD_B = "cozy__contactA_ios.vcf"  # UID 8925F4AF-…
CARD_C = "radicale__contact1_v4.vcf"  # UID contact1
CARD_D = "eds-data__simple-1.vcf"  # UID simple-1
CARD_E = "eds-vcard__3.vcf"  # UID pas-id-3E65886900000002

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared vCard corpus is not here")


def card(name: str) -> str:
    return (CORPUS / name).read_bytes().decode("utf-8")


def make_dav(url: str, password: str = "ines-radicale-pw-7c41", *, retries: int = 2) -> CardDavClient:
    basic = base64.b64encode(f"ines:{password}".encode()).decode()
    http = HttpClient(
        url,
        name="CardDAV (test)",
        headers={"Authorization": f"Basic {basic}"},
        secrets=(password, basic),
        retries=retries,
        backoff=0.01,
        timeout=httpx.Timeout(5.0),
        sleep_jitter=random.Random(1),
    )
    return CardDavClient(http)


@pytest.fixture
def dav(radicale: RadicaleServer) -> Iterator[CardDavClient]:
    """The client under test, straight to Radicale, as ines."""
    client = make_dav(radicale.url)
    yield client
    client.http.close()


@pytest.fixture
def proxied_dav(carddav_proxy: FaultProxy) -> Iterator[CardDavClient]:
    """The client under test through the fault proxy (two retries, short backoff)."""
    client = make_dav(carddav_proxy.url)
    yield client
    client.http.close()


# -- discovery ---------------------------------------------------------------------------------------------------------


def test_discover_from_the_server_root(dav: CardDavClient, radicale: RadicaleServer, radicale_book: str) -> None:
    found = dav.discover()
    assert found.principal == radicale.principal_url()
    assert found.home == radicale.principal_url()
    [book] = found.books
    assert book == Book(radicale_book, "Contacts", book.sync_token, book.ctag)
    assert book.sync_token is not None and book.sync_token.startswith(TOKEN_PREFIX)
    assert book.ctag is not None  # Radicale has CalendarServer's getctag too
    assert dav.discover(radicale.url) == found
    assert dav.discover("/") == found


def test_discover_from_well_known(dav: CardDavClient, radicale: RadicaleServer, radicale_book: str) -> None:
    for url in ("/.well-known/carddav", radicale.url + ".well-known/carddav"):
        found = dav.discover(url)
        assert found.principal == radicale.principal_url()
        assert [b.url for b in found.books] == [radicale_book]


def test_discover_from_a_book_url_lists_every_book(
    dav: CardDavClient, radicale: RadicaleServer, radicale_book: str
) -> None:
    work = radicale.make_addressbook("ines", "work", displayname="Work & Co")
    found = dav.discover(radicale_book)
    assert found.principal == radicale.principal_url()
    assert found.home == radicale.principal_url()
    assert sorted((b.url, b.name) for b in found.books) == [(radicale_book, "Contacts"), (work, "Work & Co")]
    # a principal URL, a server-relative book href and a book URL without its trailing slash work too
    assert dav.discover(radicale.principal_url()) == found
    assert dav.discover(BOOK_PATH).books == found.books
    assert dav.discover(radicale_book.rstrip("/")).books == found.books


def test_a_wrong_password_is_sign_in_required(radicale: RadicaleServer, radicale_book: str) -> None:
    wrong = make_dav(radicale.url, "not-the-password")
    try:
        with pytest.raises(SignInRequired) as raised:
            wrong.discover()
        assert "not-the-password" not in str(raised.value)
        with pytest.raises(SignInRequired):
            wrong.list_etags(radicale_book)
        with pytest.raises(SignInRequired):
            wrong.create(radicale_book, "a.vcf", card(CARD_A))
    finally:
        wrong.http.close()


# -- writes ------------------------------------------------------------------------------------------------------------


def test_create_update_delete_with_etags(dav: CardDavClient, radicale_book: str, carddav_phone: httpx.Client) -> None:
    href, etag = dav.create(radicale_book, "a.vcf", card(CARD_A))
    assert href == BOOK_PATH + "a.vcf"
    on_phone = carddav_phone.get("a.vcf")
    assert on_phone.headers["ETag"] == etag
    got = dav.get(href)
    assert (got.href, got.etag) == (href, etag) and "UID:testuid1" in got.text
    assert dav.get(radicale_book + "a.vcf") == got  # an absolute URL names the same card

    new_etag = dav.update(href, card(CARD_A).replace("second contact", "second contact renamed"), etag)
    assert new_etag != etag
    assert carddav_phone.get("a.vcf").headers["ETag"] == new_etag
    assert "renamed" in dav.get(href).text

    with pytest.raises(PreconditionFailed) as stale:
        dav.update(href, card(CARD_A), etag)
    assert stale.value.status == 412 and not stale.value.after_unknown
    with pytest.raises(PreconditionFailed):
        dav.create(radicale_book, "a.vcf", card(CARD_B))  # the name is taken
    with pytest.raises(PreconditionFailed):
        dav.delete(href, etag)  # stale
    assert dav.get(href).etag == new_etag

    dav.delete(href, new_etag)
    assert carddav_phone.get("a.vcf").status_code == 404
    with pytest.raises(RemoteNotFound):
        dav.get(href)
    dav.delete(href, new_etag)  # gone already (Radicale answers 412 to If-Match on a missing card): no error
    dav.delete(href, None)  # 404: no error


def test_create_escapes_the_name_and_keeps_the_card_text(
    dav: CardDavClient, radicale_book: str, carddav_phone: httpx.Client
) -> None:
    href, etag = dav.create(radicale_book, "Anna Müller.vcf", card(CARD_B))
    assert href == BOOK_PATH + "Anna%20M%C3%BCller.vcf"
    got = dav.get(href)
    assert got.etag == etag and "Testé de Cozy" in got.text
    assert dav.list_etags(radicale_book) == {href: etag}


def test_a_card_the_server_refuses_is_remote_rejected(dav: CardDavClient, radicale_book: str) -> None:
    dav.create(radicale_book, "a.vcf", card(CARD_A))
    with pytest.raises(RemoteRejected) as raised:
        dav.create(radicale_book, "copy.vcf", card(CARD_A))  # the same UID under another name
    assert type(raised.value) is RemoteRejected
    assert raised.value.status == 409 and "no-uid-conflict" in str(raised.value)
    assert "{urn:ietf:params:xml:ns:carddav}no-uid-conflict" in raised.value.problems


# -- reads -------------------------------------------------------------------------------------------------------------


def test_sync_from_none_then_from_a_token(dav: CardDavClient, radicale_book: str, carddav_phone: httpx.Client) -> None:
    empty = dav.sync(radicale_book, None)
    assert empty.token.startswith(TOKEN_PREFIX) and empty.changed == {} and empty.deleted == set()

    href_a, etag_a = dav.create(radicale_book, "a.vcf", card(CARD_A))
    href_b, etag_b = dav.create(radicale_book, "b.vcf", card(CARD_B))
    first = dav.sync(radicale_book, None)
    assert first.changed == {href_a: etag_a, href_b: etag_b} and first.deleted == set()
    assert dav.sync(radicale_book, first.token) == first.__class__(first.token, {}, set())

    # the phone edits a, deletes b and adds c between two syncs
    edited = carddav_phone.put(
        "a.vcf", content=card(CARD_A).replace("second", "2nd").encode(), headers={**VCARD, "If-Match": etag_a}
    )
    assert edited.status_code == 204
    assert carddav_phone.delete("b.vcf", headers={"If-Match": etag_b}).status_code == 200
    added = carddav_phone.put("c.vcf", content=card(CARD_C).encode(), headers={**VCARD, "If-None-Match": "*"})
    assert added.status_code == 201
    second = dav.sync(radicale_book, first.token)
    assert second.token != first.token
    assert second.changed == {href_a: edited.headers["ETag"], BOOK_PATH + "c.vcf": added.headers["ETag"]}
    assert second.deleted == {href_b}
    assert dav.sync(BOOK_PATH, first.token) == second  # a server-relative book href


def test_an_unknown_sync_token_is_invalid_sync_token(dav: CardDavClient, radicale_book: str) -> None:
    for token in ("garbage", TOKEN_PREFIX + "0" * 64):
        with pytest.raises(InvalidSyncToken) as raised:
            dav.sync(radicale_book, token)
        assert raised.value.status == 403


def test_list_etags_lists_the_cards_only(dav: CardDavClient, radicale: RadicaleServer, radicale_book: str) -> None:
    assert dav.list_etags(radicale_book) == {}
    created = dict(dav.create(radicale_book, name, card(name)) for name in (CARD_A, CARD_B, CARD_C))
    assert dav.list_etags(radicale_book) == created
    assert dav.list_etags(BOOK_PATH.rstrip("/")) == created
    assert dav.list_etags(radicale_book) == dav.sync(radicale_book, None).changed
    # the home lists address books, which are collections, not cards
    assert dav.list_etags(radicale.principal_url()) == {}


def test_multiget_in_batches(proxied_dav: CardDavClient, carddav_proxy: FaultProxy, radicale_book: str) -> None:
    names = [CARD_A, CARD_B, CARD_C, CARD_D, CARD_E]
    created = dict(proxied_dav.create(BOOK_PATH, name, card(name)) for name in names)
    carddav_proxy.clear_requests()
    hrefs = [*created, BOOK_PATH + "gone.vcf"]
    cards = list(proxied_dav.multiget(BOOK_PATH, hrefs, batch=2))
    assert len(cards) == 5 and {c.href: c.etag for c in cards} == created  # the missing one skipped
    texts = {c.href: c.text for c in cards}
    for (href, _), name in zip(created.items(), names, strict=True):
        uid = next(line for line in card(name).splitlines() if line.startswith("UID"))
        assert uid in texts[href].splitlines()
    reports = [r for r in carddav_proxy.requests() if r.method == "REPORT"]
    assert len(reports) == 3 and all(r.status == 207 for r in reports)
    assert list(proxied_dav.multiget(radicale_book, [])) == []


# -- faults ------------------------------------------------------------------------------------------------------------


def test_a_503_on_a_report_is_retried(proxied_dav: CardDavClient, carddav_proxy: FaultProxy) -> None:
    href, etag = proxied_dav.create(BOOK_PATH, "a.vcf", card(CARD_A))
    carddav_proxy.clear_requests()
    carddav_proxy.fail(1, 503, methods=["REPORT"])
    assert proxied_dav.sync(BOOK_PATH, None).changed == {href: etag}
    carddav_proxy.fail(1, 502, methods=["REPORT"])
    assert [c.href for c in proxied_dav.multiget(BOOK_PATH, [href])] == [href]
    log = [(r.method, r.status, r.fault) for r in carddav_proxy.requests()]
    assert log == [
        ("REPORT", 503, Fault.FAIL),
        ("REPORT", 207, None),
        ("REPORT", 502, Fault.FAIL),
        ("REPORT", 207, None),
    ]
    carddav_proxy.fail(3, methods=["REPORT"])  # more than the two retries
    with pytest.raises(RemoteUnavailable) as raised:
        proxied_dav.sync(BOOK_PATH, None)
    assert not raised.value.maybe_done


def test_a_dropped_conditional_put_is_retried(
    proxied_dav: CardDavClient, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    href, etag = proxied_dav.create(BOOK_PATH, "a.vcf", card(CARD_A))
    carddav_proxy.clear_requests()
    carddav_proxy.drop(1, methods=["PUT"])
    new_etag = proxied_dav.update(href, card(CARD_A).replace("second", "2nd"), etag)
    assert carddav_phone.get("a.vcf").headers["ETag"] == new_etag
    log = [(r.method, r.status, r.fault) for r in carddav_proxy.requests()]
    assert log == [("PUT", None, Fault.DROP), ("PUT", 204, None)]
    assert all(r.headers["if-match"] == etag for r in carddav_proxy.requests())
    # a dropped create is retried too: it never reached the server, so the repeat creates it
    carddav_proxy.drop(1, methods=["PUT"])
    _, etag_b = proxied_dav.create(BOOK_PATH, "b.vcf", card(CARD_B))
    assert carddav_phone.get("b.vcf").headers["ETag"] == etag_b


def test_a_lost_answer_to_a_create_is_maybe_done(
    proxied_dav: CardDavClient, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    carddav_proxy.lose_response(1, methods=["PUT"])
    with pytest.raises(RemoteUnavailable) as raised:
        proxied_dav.create(BOOK_PATH, "a.vcf", card(CARD_A))
    assert raised.value.maybe_done
    assert carddav_phone.get("a.vcf").status_code == 200  # it was stored
    log = [(r.method, r.upstream_status, r.fault) for r in carddav_proxy.requests()]
    assert log == [("PUT", 201, Fault.LOSE), ("PUT", 412, None)]  # the repeat met the first attempt's card


def test_a_lost_answer_to_an_update_is_maybe_done_and_to_a_delete_is_done(
    proxied_dav: CardDavClient, carddav_proxy: FaultProxy, carddav_phone: httpx.Client
) -> None:
    href, etag = proxied_dav.create(BOOK_PATH, "a.vcf", card(CARD_A))
    carddav_proxy.lose_response(1, methods=["PUT"])
    with pytest.raises(RemoteUnavailable) as raised:
        proxied_dav.update(href, card(CARD_A).replace("second", "2nd"), etag)
    assert raised.value.maybe_done
    current = proxied_dav.get(href)
    assert "2nd contact" in current.text
    carddav_proxy.lose_response(1, methods=["DELETE"])
    proxied_dav.delete(href, current.etag)  # the repeat meets 412, and the card is gone: done
    assert carddav_phone.get("a.vcf").status_code == 404


def test_requests_carry_content_length_and_no_secret_in_errors(carddav_proxy: FaultProxy, radicale_book: str) -> None:
    dav = make_dav(carddav_proxy.url)
    try:
        dav.create(BOOK_PATH, "a.vcf", card(CARD_A))
        dav.sync(BOOK_PATH, None)
        dav.list_etags(BOOK_PATH)
        with_body = [r for r in carddav_proxy.requests() if r.method in ("PUT", "REPORT", "PROPFIND")]
        assert len(with_body) == 3
        for request in with_body:
            assert int(request.headers["content-length"]) > 0
            assert "transfer-encoding" not in request.headers
    finally:
        dav.http.close()
    wrong = make_dav(carddav_proxy.url, "hunter2-password")
    try:
        with pytest.raises(SignInRequired) as raised:
            wrong.sync(BOOK_PATH, None)
        assert "hunter2" not in str(raised.value)
    finally:
        wrong.http.close()


# -- what Radicale does not do (a stand-in server) ---------------------------------------------------------------------


def _multistatus(body: str, status: int = 207) -> httpx.Response:
    return httpx.Response(status, content=f'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">{body}</d:multistatus>')


def _stand_in(handler: httpx.MockTransport) -> CardDavClient:
    http = HttpClient("https://dav.example.org/dav", name="Stand-in", retries=1, backoff=0.0, transport=handler)
    return CardDavClient(http)


def test_a_truncated_sync_goes_on_and_absolute_hrefs_become_paths() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        token = request.content.decode().split("<D:sync-token>")[1].split("<")[0]
        seen.append(token)
        book = "https://dav.example.org/dav/book/"
        if token == "":
            return _multistatus(
                f'<d:response><d:href>{book}a.vcf</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop>'
                "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
                f"<d:response><d:href>{book}</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status>"
                "</d:response><d:sync-token>t1</d:sync-token>"
            )
        return _multistatus(
            "<d:response><d:href>/dav/book/a.vcf</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
            '<d:response><d:href>/dav/book/b.vcf</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop>'
            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:sync-token>t2</d:sync-token>"
        )

    dav = _stand_in(httpx.MockTransport(answer))
    result = dav.sync("book/", None)
    assert seen == ["", "t1"]
    assert (result.token, result.changed, result.deleted) == ("t2", {"/dav/book/b.vcf": '"2"'}, {"/dav/book/a.vcf"})


def test_discovery_follows_no_redirect_to_another_server() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://elsewhere.example.com/carddav/"})

    dav = _stand_in(httpx.MockTransport(answer))
    with pytest.raises(RemoteRejected) as raised:
        dav.discover("/.well-known/carddav")
    assert "elsewhere.example.com" in str(raised.value)
