"""The WebDAV/CardDAV protocol a CardDAV connector speaks (RFC 4918, RFC 6352, RFC 6578, RFC 6764), over HttpClient.

`CardDavClient` finds a user's address books (`discover`), lists and reads their vCards (`list_etags`, `sync`,
`multiget`, `get`) and writes them with ETag preconditions (`create`, `update`, `delete`). It knows nothing of
people or of the vCard format: cards go in and out as text, untouched.

Addresses: every method takes absolute URLs or server-relative hrefs (``/ines/contacts/a.vcf``) and resolves them
against the account's server URL. `Discovery` and `Book` hold absolute URLs; members of an address book are named
by their href as the server writes it (an absolute, percent-encoded path), which is what `sync`, `list_etags`,
`multiget`, `create` return and what the others accept.

Errors follow HttpClient (STYLE §5.6): 401 → SignInRequired, 404 → RemoteNotFound, 412 → PreconditionFailed, an
unknown or stale sync token → InvalidSyncToken, other 4xx → RemoteRejected, network failures and 5xx →
RemoteUnavailable after the retries. What is repeated: reads (GET, PROPFIND, REPORT), conditional writes (a PUT
with If-Match or If-None-Match, a DELETE) — a repeat of those cannot overwrite anything. When an attempt whose fate
is unknown (connection lost after sending) is followed by a 412, the earlier attempt may be what the precondition
now meets: `create` and `update` then raise RemoteUnavailable with `maybe_done`, `delete` checks the card is gone.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

import httpx

from crmdesk.connectors.http import HttpClient
from crmdesk.errors import (
    RemoteNotFound,
    RemoteRejected,
    RemoteUnavailable,
)

log = logging.getLogger(__name__)

DAV: Final = "DAV:"
CARDDAV: Final = "urn:ietf:params:xml:ns:carddav"
CALENDARSERVER: Final = "http://calendarserver.org/ns/"
VCARD_TYPE: Final = "text/vcard; charset=utf-8"
XML_TYPE: Final = "application/xml; charset=utf-8"
WELL_KNOWN: Final = "/.well-known/carddav"
MAX_REDIRECTS: Final = 5
MAX_SYNC_ROUNDS: Final = 1000
"""Sync-collection answers truncated with 507 (RFC 6578 §3.6) are followed at most this many times."""

_READS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


_MULTISTATUS: Final = _tag(DAV, "multistatus")
_RESPONSE: Final = _tag(DAV, "response")
_HREF: Final = _tag(DAV, "href")
_STATUS: Final = _tag(DAV, "status")
_PROPSTAT: Final = _tag(DAV, "propstat")
_PROP: Final = _tag(DAV, "prop")
_RESOURCETYPE: Final = _tag(DAV, "resourcetype")
_COLLECTION: Final = _tag(DAV, "collection")
_ADDRESSBOOK: Final = _tag(CARDDAV, "addressbook")
_GETETAG: Final = _tag(DAV, "getetag")
_GETCONTENTTYPE: Final = _tag(DAV, "getcontenttype")
_DISPLAYNAME: Final = _tag(DAV, "displayname")
_SYNC_TOKEN: Final = _tag(DAV, "sync-token")
_GETCTAG: Final = _tag(CALENDARSERVER, "getctag")
_PRINCIPAL: Final = _tag(DAV, "current-user-principal")
_HOME_SET: Final = _tag(CARDDAV, "addressbook-home-set")
_ADDRESS_DATA: Final = _tag(CARDDAV, "address-data")
_VALID_SYNC_TOKEN: Final = _tag(DAV, "valid-sync-token")

_XMLNS: Final = f'xmlns:D="{DAV}" xmlns:CR="{CARDDAV}" xmlns:CS="{CALENDARSERVER}"'
_PROPFIND: Final = '<?xml version="1.0" encoding="utf-8"?>\n<D:propfind {xmlns}><D:prop>{props}</D:prop></D:propfind>'
_BOOK_PROPS: Final = "<D:resourcetype/><D:displayname/><D:sync-token/><CS:getctag/>"


# -- errors ------------------------------------------------------------------------------------------------------------


class PreconditionFailed(RemoteRejected):
    """HTTP 412: an If-Match ETag is stale (someone changed or deleted the card) or If-None-Match met a card.

    `after_unknown` is True when an earlier attempt of the same request may have reached the server (its answer was
    lost), so the precondition may have met that attempt's own write.
    """

    def __init__(self, message: str, *, after_unknown: bool = False) -> None:
        super().__init__(message, status=412)
        self.after_unknown = after_unknown


class InvalidSyncToken(RemoteRejected):
    """The server no longer knows the sync token (RFC 6578 §3.2 `valid-sync-token`): sync again from None."""


# -- results -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Book:
    """An address book: its absolute URL (trailing slash), display name and current sync token (None: no RFC 6578).

    `ctag` is the CalendarServer `getctag`, when the server has one (it changes whenever a card does).
    """

    url: str
    name: str
    sync_token: str | None
    ctag: str | None = None


@dataclass(frozen=True)
class Discovery:
    """What `discover` found: the user's principal URL, address-book home URL and the address books."""

    principal: str
    home: str
    books: list[Book] = field(default_factory=list)


@dataclass(frozen=True)
class SyncResult:
    """What changed since a sync token: the new token, changed or new members (href → ETag), deleted hrefs."""

    token: str
    changed: dict[str, str]
    deleted: set[str]


@dataclass(frozen=True)
class Card:
    """One vCard as the server has it: href, ETag (as sent, quotes included) and text."""

    href: str
    etag: str
    text: str


@dataclass(frozen=True)
class _Member:
    """One `D:response` of a multistatus: its href, its own status (None when given per propstat), 200 props."""

    href: str
    status: int | None
    props: dict[str, ET.Element]

    def text(self, tag: str) -> str | None:
        element = self.props.get(tag)
        return None if element is None else (element.text or "")

    def hrefs(self, tag: str) -> list[str]:
        element = self.props.get(tag)
        if element is None:
            return []
        return [h.text.strip() for h in element.iter(_HREF) if h.text and h.text.strip()]

    def is_collection(self) -> bool:
        kind = self.props.get(_RESOURCETYPE)
        return kind is not None and kind.find(_COLLECTION) is not None

    def is_addressbook(self) -> bool:
        kind = self.props.get(_RESOURCETYPE)
        return kind is not None and kind.find(_ADDRESSBOOK) is not None


# -- the client --------------------------------------------------------------------------------------------------------


class CardDavClient:
    """CardDAV requests of one account, sent through its HttpClient (headers, secrets, retries, cancel token).

    Args:
        http: The account's HttpClient; its base URL is the server URL hrefs resolve against, its headers carry
            the credentials (`Authorization: Basic …`).
    """

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self._base = http.base_url + "/"

    # ---- discovery -----------------------------------------------------------------------------------------------

    def discover(self, url: str = "") -> Discovery:
        """Find the user's principal, address-book home and address books from any URL of the server.

        `url` may be the server root, its `/.well-known/carddav`, a principal, a home or an address book (default:
        the server URL). When it names no principal, `/.well-known/carddav` of its host is tried (RFC 6764 §6).
        An address book `url` is among the books even when it lives outside the user's home (a shared one).

        Raises:
            SignInRequired: the credentials were refused.
            RemoteRejected: no CardDAV principal or home can be found from there.
            RemoteUnavailable: network or server failure.
        """
        start = self.url(url)
        props = "<D:current-user-principal/><CR:addressbook-home-set/>" + _BOOK_PROPS
        first: _Member | None = None
        try:
            first, start = self._propfind_one(start, props, follow=True)
        except RemoteRejected as exc:  # 403, 404, 405 on a server root: the well-known URL may still lead somewhere
            if 300 <= exc.status < 400:
                raise  # a redirect refused (to another server, or in a loop)
            first = None
        principal_href = first.hrefs(_PRINCIPAL) if first else []
        if not principal_href and urlsplit(start).path != WELL_KNOWN:
            well_known = urljoin(start, WELL_KNOWN)
            try:
                found, where = self._propfind_one(well_known, props, follow=True)
            except RemoteRejected as exc:
                if 300 <= exc.status < 400:
                    raise
                found = None
            if found is not None:
                principal_href = found.hrefs(_PRINCIPAL)
                if first is None:
                    first, start = found, where
        if principal_href:
            principal = urljoin(start, principal_href[0])
        elif first is not None and first.hrefs(_HOME_SET):
            principal = start  # no current-user-principal, but the URL is a principal itself
        else:
            raise RemoteRejected(
                f"{self.http.name}: no CardDAV account found at {self.http.redact(start)}.",
                status=404,
            )

        if first is not None and _same(principal, start) and first.hrefs(_HOME_SET):
            homes = first.hrefs(_HOME_SET)
        else:
            member, principal = self._propfind_one(principal, "<CR:addressbook-home-set/>", follow=True)
            homes = member.hrefs(_HOME_SET)
        if not homes:
            raise RemoteRejected(
                f"{self.http.name}: the server names no address-book home for {self.http.redact(principal)}.",
                status=404,
            )
        home = _collection(urljoin(principal, homes[0]))

        books: list[Book] = []
        answer = self._send(
            "PROPFIND", home, body=_propfind_body(_BOOK_PROPS), headers={"Depth": "1", "Content-Type": XML_TYPE}
        )
        for member in self._multistatus(answer):
            if member.is_addressbook():
                books.append(_book(urljoin(home, member.href), member))
        if first is not None and first.is_addressbook() and not any(_same(b.url, start) for b in books):
            books.insert(0, _book(start, first))
        return Discovery(principal=principal, home=home, books=books)

    # ---- reading -------------------------------------------------------------------------------------------------

    def list_etags(self, book_url: str) -> dict[str, str]:
        """Every vCard of an address book: href → ETag (PROPFIND Depth 1; sub-collections and other files skipped)."""
        url = _collection(self.url(book_url))
        answer = self._send(
            "PROPFIND",
            url,
            body=_propfind_body("<D:resourcetype/><D:getetag/><D:getcontenttype/>"),
            headers={"Depth": "1", "Content-Type": XML_TYPE},
        )
        etags: dict[str, str] = {}
        for member in self._multistatus(answer):
            if _same(urljoin(url, member.href), url) or member.is_collection():
                continue
            etag = member.text(_GETETAG)
            if not etag or not _is_vcard(member.text(_GETCONTENTTYPE), member.href):
                continue
            etags[self.href(member.href)] = etag.strip()
        return etags

    def ctag(self, book_url: str) -> str:
        """The address book's CalendarServer `getctag` (PROPFIND Depth 0): a tag that changes whenever a card does,
        so an unchanged one means there is nothing to sync. "" when the server has none or will not say."""
        try:
            member, _ = self._propfind_one(_collection(self.url(book_url)), "<CS:getctag/>")
        except RemoteRejected:
            return ""  # a server that refuses the question: sync without the shortcut (a real fault shows there)
        return (member.text(_GETCTAG) or "").strip()

    def sync(self, book_url: str, token: str | None) -> SyncResult:
        """What changed in an address book since `token` (RFC 6578 sync-collection, sync-level 1).

        None lists every card as changed. The new token goes into the next call.

        Raises:
            InvalidSyncToken: the server does not know `token` (any more): sync again with None.
        """
        url = _collection(self.url(book_url))
        changed: dict[str, str] = {}
        deleted: set[str] = set()
        current = token or ""
        for _ in range(MAX_SYNC_ROUNDS):
            body = (
                f'<?xml version="1.0" encoding="utf-8"?>\n<D:sync-collection {_XMLNS}>'
                f"<D:sync-token>{escape(current)}</D:sync-token><D:sync-level>1</D:sync-level>"
                "<D:prop><D:getetag/></D:prop></D:sync-collection>"
            )
            try:
                answer = self._send("REPORT", url, body=body.encode(), headers={"Depth": "0", "Content-Type": XML_TYPE})
            except RemoteRejected as exc:
                if exc.status in (403, 409) and _VALID_SYNC_TOKEN in exc.problems:
                    raise InvalidSyncToken(
                        f"{self.http.name}: the server no longer knows the sync token of "
                        f"{self.http.redact(url)}; a full sync is needed.",
                        status=exc.status,
                        problems=exc.problems,
                    ) from exc
                raise
            root = self._xml(answer)
            new_token = (root.findtext(_SYNC_TOKEN) or "").strip()
            if not new_token:
                raise RemoteUnavailable(f"{self.http.name}: the server's sync answer has no sync token.")
            truncated = False
            for member in _members(root):
                if _same(urljoin(url, member.href), url):
                    truncated = truncated or member.status == 507
                    continue
                href = self.href(member.href)
                if member.status == 404:
                    deleted.add(href)
                    changed.pop(href, None)
                    continue
                etag = member.text(_GETETAG)
                if etag and not member.is_collection():
                    changed[href] = etag.strip()
                    deleted.discard(href)
            if not truncated or new_token == current:
                return SyncResult(token=new_token, changed=changed, deleted=deleted)
            current = new_token
        raise RemoteUnavailable(f"{self.http.name}: the server's sync answers do not end.")

    def multiget(self, book_url: str, hrefs: Iterable[str], *, batch: int = 100) -> Iterator[Card]:
        """The cards `hrefs` names, `batch` at a time (REPORT addressbook-multiget); hrefs not there are skipped."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        url = _collection(self.url(book_url))
        wanted = list(dict.fromkeys(self.href(h) for h in hrefs))
        for start in range(0, len(wanted), batch):
            chunk = wanted[start : start + batch]
            refs = "".join(f"<D:href>{escape(h)}</D:href>" for h in chunk)
            body = (
                f'<?xml version="1.0" encoding="utf-8"?>\n<CR:addressbook-multiget {_XMLNS}>'
                f"<D:prop><D:getetag/><CR:address-data/></D:prop>{refs}</CR:addressbook-multiget>"
            )
            answer = self._send("REPORT", url, body=body.encode(), headers={"Depth": "1", "Content-Type": XML_TYPE})
            for member in self._multistatus(answer):
                etag = member.text(_GETETAG)
                text = member.text(_ADDRESS_DATA)
                if member.status not in (None, 200) or etag is None or text is None:
                    continue
                yield Card(href=self.href(member.href), etag=etag.strip(), text=text)

    def get(self, href: str) -> Card:
        """One card by its href (GET).

        Raises:
            RemoteNotFound: there is no such card.
        """
        url = self.url(href)
        answer = self._send("GET", url, headers={"Accept": "text/vcard"})
        etag = _strong_etag(answer) or self._etag_of(url)
        return Card(href=self.href(href), etag=etag, text=answer.text)

    # ---- writing -------------------------------------------------------------------------------------------------

    def create(self, book_url: str, name: str, text: str) -> tuple[str, str]:
        """Store a new card as `name` in an address book (PUT, If-None-Match: *); returns its href and ETag.

        Raises:
            PreconditionFailed: a card of that name exists already.
            RemoteRejected: the server refused the card (409 `no-uid-conflict`: its UID is another card's).
            RemoteUnavailable: with `maybe_done` when the card may have been stored though no answer came.
        """
        url = _collection(self.url(book_url)) + quote(name, safe="@:!$&'()*+,;=-._~")
        answer = self._put(url, text, {"If-None-Match": "*"}, what="create")
        return self.href(url), _strong_etag(answer) or self._etag_of(url)

    def update(self, href: str, text: str, etag: str) -> str:
        """Replace a card that still has `etag` (PUT, If-Match); returns its new ETag.

        Raises:
            PreconditionFailed: the card changed or went since `etag`.
            RemoteUnavailable: with `maybe_done` when the change may have been stored though no answer came.
        """
        url = self.url(href)
        answer = self._put(url, text, {"If-Match": etag}, what="update")
        return _strong_etag(answer) or self._etag_of(url)

    def delete(self, href: str, etag: str | None) -> None:
        """Delete a card (DELETE, If-Match when `etag` is given); one that is gone already is no error.

        Raises:
            PreconditionFailed: the card changed since `etag`.
        """
        url = self.url(href)
        headers = {"If-Match": etag} if etag else {}
        try:
            self._send("DELETE", url, headers=headers)
        except RemoteNotFound:
            return
        except PreconditionFailed:
            # Some servers (Radicale) answer 412 rather than 404 to If-Match on a missing card, and a retried
            # DELETE whose first attempt went through meets that too: gone is what was asked.
            try:
                self._etag_of(url)
            except RemoteNotFound:
                return
            raise

    # ---- addresses -----------------------------------------------------------------------------------------------

    def url(self, href: str) -> str:
        """`href` (absolute URL or server-relative) as an absolute URL on the account's server."""
        return urljoin(self._base, href)

    def href(self, url: str) -> str:
        """The server-relative href (path, query kept) of a URL on the account's server; others stay whole."""
        absolute = self.url(url)
        parts, base = urlsplit(absolute), urlsplit(self._base)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return absolute
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # ---- requests ------------------------------------------------------------------------------------------------

    def _put(self, url: str, text: str, condition: Mapping[str, str], *, what: str) -> httpx.Response:
        try:
            return self._send("PUT", url, body=text.encode("utf-8"), headers={"Content-Type": VCARD_TYPE, **condition})
        except PreconditionFailed as exc:
            if exc.after_unknown:
                raise RemoteUnavailable(
                    f"{self.http.name}: the connection failed during the {what} of {self.http.redact(self.href(url))}"
                    "; it may have been stored.",
                    maybe_done=True,
                ) from exc
            raise

    def _etag_of(self, url: str) -> str:
        member, _ = self._propfind_one(url, "<D:getetag/>")
        etag = member.text(_GETETAG)
        if not etag:
            raise RemoteUnavailable(f"{self.http.name}: the server names no ETag for {self.http.redact(url)}.")
        return etag.strip()

    def _propfind_one(self, url: str, props: str, *, follow: bool = False) -> tuple[_Member, str]:
        """PROPFIND Depth 0: the one member and the URL it was found at (after redirects)."""
        answer = self._send(
            "PROPFIND",
            url,
            body=_propfind_body(props),
            headers={"Depth": "0", "Content-Type": XML_TYPE},
            follow=follow,
        )
        where = str(answer.request.url)
        members = self._multistatus(answer)
        for member in members:
            if _same(urljoin(where, member.href), where):
                return member, where
        if members:
            return members[0], where
        raise RemoteUnavailable(f"{self.http.name}: the server's answer about {self.http.redact(where)} is empty.")

    def _multistatus(self, answer: httpx.Response) -> list[_Member]:
        return list(_members(self._xml(answer)))

    def _xml(self, answer: httpx.Response) -> ET.Element:
        where = self.http.redact(self.href(str(answer.request.url)))
        if answer.status_code != 207:
            raise RemoteUnavailable(
                f"{self.http.name}: {answer.request.method} {where} answered HTTP {answer.status_code}, "
                "not a WebDAV multistatus; is this a CardDAV server?"
            )
        try:
            root = ET.fromstring(answer.content)
        except ET.ParseError as exc:
            raise RemoteUnavailable(
                f"{self.http.name}: the server's answer to {where} is no valid XML ({exc})."
            ) from exc
        if root.tag != _MULTISTATUS:
            raise RemoteUnavailable(f"{self.http.name}: the server's answer to {where} is no WebDAV multistatus.")
        return root

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        follow: bool = False,
    ) -> httpx.Response:
        """One request through the HttpClient's loop (retries, 401, 429, cancel); the 2xx (or 207) response.

        Always sends Content-Length with a body (bytes, never a stream: Radicale cannot read chunked bodies).
        `follow` follows redirects (discovery) within the same server only: credentials do not travel elsewhere.
        """
        method = method.upper()
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        redirects = 0

        def redirect(current: str, response: httpx.Response) -> str | None:
            nonlocal redirects
            if not follow or response.status_code not in _REDIRECTS:
                return None
            location = response.headers.get("Location")
            target: str | None = urljoin(current, location) if location else None
            if target is None or redirects >= MAX_REDIRECTS:
                raise RemoteRejected(
                    f"{self.http.name}: too many redirects from {self.http.redact(current)}.",
                    status=response.status_code,
                )
            if not _same_origin(target, current) and not _same_origin(target, self._base):
                raise RemoteRejected(
                    f"{self.http.name}: the server sends CardDAV to another address, {self.http.redact(target)}; "
                    "enter that address in the account.",
                    status=response.status_code,
                )
            redirects += 1
            return target

        def reject(method: str, at: str, response: httpx.Response, unknown: bool) -> Exception:
            return self._rejected(method, at, response, after_unknown=unknown)

        response = self.http.send(
            method,
            url,
            safe=_safe_to_repeat(method, all_headers),
            content=body,
            headers=all_headers,
            redirect=redirect,
            reject=reject,
        )
        if 300 <= response.status_code < 400:  # a redirect not followed: no answer to use
            raise reject(method, str(response.request.url), response, False)
        return response

    def _rejected(self, method: str, url: str, response: httpx.Response, *, after_unknown: bool) -> RemoteRejected:
        status = response.status_code
        where = f"{method} {self.http.redact(self.href(url))}"
        problems = _dav_error(response)
        text = f"{self.http.name}: the server refused {where} (HTTP {status})"
        if problems:
            text += ": " + ", ".join(sorted(_local(tag) for tag in problems))
        else:
            plain = response.text.strip()
            if plain and not plain.startswith("<"):
                text += f": {plain.splitlines()[0][:200]}"
        text = self.http.redact(text)
        if status == 412:
            return PreconditionFailed(text, after_unknown=after_unknown)
        cls = RemoteNotFound if status == 404 else RemoteRejected
        return cls(text, status=status, problems=problems)


# -- helpers -----------------------------------------------------------------------------------------------------------


def _safe_to_repeat(method: str, headers: Mapping[str, str]) -> bool:
    """Whether repeating a request whose fate is unknown cannot do harm: reads, conditional PUTs, DELETE."""
    if method in _READS or method == "DELETE":
        return True
    names = {name.lower() for name in headers}
    return method == "PUT" and bool(names & {"if-match", "if-none-match"})


def _propfind_body(props: str) -> bytes:
    return _PROPFIND.format(xmlns=_XMLNS, props=props).encode()


def _members(root: ET.Element) -> Iterator[_Member]:
    for response in root.findall(_RESPONSE):
        href = (response.findtext(_HREF) or "").strip()
        if not href:
            continue
        status = _status(response.findtext(_STATUS))
        props: dict[str, ET.Element] = {}
        for propstat in response.findall(_PROPSTAT):
            if _status(propstat.findtext(_STATUS)) not in (None, 200):
                continue
            prop = propstat.find(_PROP)
            if prop is not None:
                for element in prop:
                    props[element.tag] = element
        yield _Member(href=href, status=status, props=props)


def _status(line: str | None) -> int | None:
    """200 from "HTTP/1.1 200 OK"; None when absent or unreadable."""
    if not line:
        return None
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def _book(url: str, member: _Member) -> Book:
    url = _collection(url)
    name = (member.text(_DISPLAYNAME) or "").strip() or unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return Book(
        url=url,
        name=name,
        sync_token=(member.text(_SYNC_TOKEN) or "").strip() or None,
        ctag=(member.text(_GETCTAG) or "").strip() or None,
    )


def _collection(url: str) -> str:
    """A collection URL with its trailing slash."""
    parts = urlsplit(url)
    if parts.path.endswith("/"):
        return url
    return parts._replace(path=parts.path + "/").geturl()


def _same(a: str, b: str) -> bool:
    """Whether two absolute URLs name the same resource (percent-encoding and a trailing slash aside)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        pa.netloc.lower() == pb.netloc.lower()
        and unquote(pa.path).rstrip("/") == unquote(pb.path).rstrip("/")
        and pa.query == pb.query
    )


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc.lower()) == (pb.scheme, pb.netloc.lower())


def _is_vcard(content_type: str | None, href: str) -> bool:
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        return kind in ("text/vcard", "text/x-vcard", "text/directory")
    return not href.endswith("/")


def _strong_etag(response: httpx.Response) -> str | None:
    """The response's ETag unless weak or absent (a weak one after PUT: the server changed what it stored)."""
    etag = response.headers.get("ETag", "").strip()
    return etag if etag and not etag.startswith("W/") else None


def _dav_error(response: httpx.Response) -> dict[str, str]:
    """The preconditions of a `<D:error>` body (RFC 4918 §16): Clark tag → its text (often empty)."""
    if "xml" not in response.headers.get("Content-Type", "") and not response.content.lstrip().startswith(b"<"):
        return {}
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return {}
    if root.tag != _tag(DAV, "error"):
        return {}
    return {child.tag: (child.text or "").strip() for child in root}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
