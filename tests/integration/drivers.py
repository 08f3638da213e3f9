"""Per-CRM drivers of the emulator-backed sync state machine (tests/integration/sync_machine.py).

A driver knows one CRM's emulator and API: how to start a fresh emulator with fast settings (no latency, no rate
limit), how to build its connector (small pages, so paging is exercised), and how a *colleague* edits people on the
server with plain httpx. Adding a CRM to the machine means adding one driver class here that satisfies
`CrmDriver` and listing it in `DRIVERS`:

- `name`: shown in test ids.
- `twins_break_lost_creates`: True while the CRM has the known bug that a create whose answer was lost is doubled
  when a linked person has the same name (test_sync_machines.py reproduces it); the machine then gives each new local
  person a unique first name. False for a CRM without that bug.
- `people_path`: the full URL path of the people collection (e.g. "/api/v1/contacts"), for the fault switches.
- `start()` / `stop()`: serve a fresh, empty emulator (and open / close the colleague's client).
- `server`: the running emulator (its `faults` are flipped by the machine), `kind`: the account kind. Any
  `RemoteServer` does: CardDAV runs a real Radicale behind a `FaultProxy` whose switches stand in for the
  emulator's (`ProxyServer`).
- `connector()`: a new connector against the emulator; the caller closes it.
- `create_person(first, last)` → remote id; `edit_person(rid, field, value)` for "first_name"/"last_name";
  `delete_person(rid)`; `person_names(rid)` → (first, last) or None when gone; `person_ids()` → every live id.
"""

from __future__ import annotations

import atexit
import base64
import random
import re
import tempfile
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

from crmdesk.connectors import carddav
from crmdesk.connectors.appcrm import AppcrmConnector
from crmdesk.connectors.base import Connector
from crmdesk.connectors.carddav import CardDavConnector
from crmdesk.connectors.cobra import CobraConnector
from crmdesk.connectors.deskera import DeskeraConnector, join_name, split_name
from crmdesk.connectors.http import HttpClient
from crmdesk.connectors.imbox import ImboxConnector
from crmdesk.connectors.kanbert import KanbertConnector
from crmdesk.domain.accounts import AccountKind
from crmdesk.exchange.carddav_codec import ExchangeCodec
from tests.carddav.fixtures import PASSWORD, USER
from tests.carddav.proxy import Fault, FaultProxy, ProxiedRequest, _Rule
from tests.carddav.radicale import RadicaleServer
from tests.emulators.appcrm import AppcrmEmulator
from tests.emulators.base import EmulatorServer
from tests.emulators.cobra import CobraEmulator
from tests.emulators.deskera import DeskeraEmulator
from tests.emulators.imbox import ImboxEmulator
from tests.emulators.kanbert import KanbertEmulator

PAGE_SIZE = 3
"""Connector page size: a handful of people already span several pages."""

Names = tuple[str | None, str | None]


class FaultSwitches(Protocol):
    """The fault switches the machine flips (an emulator's `Faults`, or `ProxyFaults` in front of a real server)."""

    def set_error_rate(self, rate: float, *, statuses: Iterable[int] = (500, 503), seed: int | None = None) -> None: ...

    def rate_limit(self, n: int, *, retry_after: int = 1) -> None: ...

    def drop_connections(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None: ...

    def lose_response(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None: ...

    def reset(self) -> None: ...


class RemoteServer(Protocol):
    """What the machine needs of the server: where its API is, and its fault switches."""

    @property
    def api_url(self) -> str: ...

    @property
    def faults(self) -> FaultSwitches: ...

    def requests(self) -> Sequence[object]:
        """The requests it received so far, oldest first."""
        ...

    def clear_requests(self) -> None: ...


class CrmDriver(Protocol):
    """What the sync state machine needs of one CRM (see the module docstring)."""

    name: str
    kind: AccountKind
    people_path: str
    twins_break_lost_creates: bool

    @property
    def server(self) -> RemoteServer: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def connector(self) -> Connector: ...

    def create_person(self, first: str, last: str) -> str: ...

    def edit_person(self, remote_id: str, field: str, value: str) -> None: ...

    def delete_person(self, remote_id: str) -> None: ...

    def person_names(self, remote_id: str) -> Names | None: ...

    def person_ids(self) -> list[str]: ...


def http_client(
    url: str, token: str, *, name: str, headers: dict[str, str] | None = None, bearer: bool = True
) -> HttpClient:
    """The connector's HTTP client with short back-offs (as the integration tests build it); `bearer` sends the
    token as `Authorization: Bearer …` (else it travels in `headers` or the URL)."""
    return HttpClient(
        url,
        name=name,
        headers={**({"Authorization": f"Bearer {token}"} if bearer else {}), **(headers or {})},
        secrets=(token,),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )


class _HttpDriver:
    """Shared plumbing: an emulator and a colleague's httpx client (`_colleague_url`, `_colleague_headers`; by
    default the emulator's `api_url` and its token as a bearer)."""

    name: str
    _server: EmulatorServer | None = None
    _colleague: httpx.Client | None = None

    def _make_server(self) -> EmulatorServer:
        raise NotImplementedError

    def _token(self) -> str:
        raise NotImplementedError

    def _colleague_url(self) -> str:
        return self.server.api_url

    def _colleague_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}"}

    @property
    def server(self) -> EmulatorServer:
        assert self._server is not None, f"{self.name}: start() first"
        return self._server

    @property
    def colleague(self) -> httpx.Client:
        assert self._colleague is not None, f"{self.name}: start() first"
        return self._colleague

    def start(self) -> None:
        self._server = self._make_server().start()
        self._colleague = httpx.Client(
            base_url=self._colleague_url(),
            headers={**self._colleague_headers(), "Accept": "application/json"},
            timeout=10,
        )

    def stop(self) -> None:
        if self._colleague is not None:
            self._colleague.close()
            self._colleague = None
        if self._server is not None:
            server, self._server = self._server, None
            server.stop()
            if server.errors:
                raise AssertionError(f"{self.name} emulator failed on a request: {server.errors[0]!r}")

    def _get(self, path: str) -> dict[str, Any] | None:
        r = self.colleague.get(path)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        body = r.json()
        assert isinstance(body, dict), body
        return body


class KanbertDriver(_HttpDriver):
    """Kanbert: `/api/v1/contacts`, PATCH edits, soft delete, cursor pages."""

    name = "kanbert"
    kind = AccountKind.KANBERT
    twins_break_lost_creates = False  # external ids: a lost create is found by its local id
    people_path = "/api/v1/contacts"

    def _make_server(self) -> EmulatorServer:
        return KanbertEmulator()

    def _token(self) -> str:
        return str(getattr(self.server, "token", ""))

    def connector(self) -> Connector:
        http = http_client(self.server.api_url, self._token(), name="Kanbert")
        return KanbertConnector(http, page_size=PAGE_SIZE)

    def create_person(self, first: str, last: str) -> str:
        r = self.colleague.post("/contacts", json={"first_name": first, "last_name": last})
        r.raise_for_status()
        return str(r.json()["id"])

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        self.colleague.patch(f"/contacts/{remote_id}", json={field: value}).raise_for_status()

    def delete_person(self, remote_id: str) -> None:
        self.colleague.delete(f"/contacts/{remote_id}").raise_for_status()

    def person_names(self, remote_id: str) -> Names | None:
        body = self._get(f"/contacts/{remote_id}")
        return None if body is None else (body.get("first_name"), body.get("last_name"))

    def person_ids(self) -> list[str]:
        out: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"page[size]": 100, **({"page[cursor]": cursor} if cursor else {})}
            r = self.colleague.get("/contacts", params=params)
            r.raise_for_status()
            body = r.json()
            out.extend(str(c["id"]) for c in body["data"])
            cursor = body["meta"]["next_cursor"]
            if not cursor:
                return out


class AppcrmDriver(_HttpDriver):
    """appcrm: `/api/contacts`, partial PUT that must carry `first_name`, hard delete, numbered pages."""

    name = "appcrm"
    kind = AccountKind.APPCRM
    # No external id: a lost create is looked up by name, passing over contacts linked to other people (abf7c38).
    twins_break_lost_creates = False
    people_path = "/api/contacts"

    def _make_server(self) -> EmulatorServer:
        return AppcrmEmulator(rate_limit=None)

    def _token(self) -> str:
        return str(getattr(self.server, "token", ""))

    def connector(self) -> Connector:
        http = http_client(self.server.api_url, self._token(), name="appcrm", headers={"Accept": "application/json"})
        return AppcrmConnector(http, page_size=PAGE_SIZE)

    def create_person(self, first: str, last: str) -> str:
        r = self.colleague.post("/contacts", json={"first_name": first, "last_name": last})
        r.raise_for_status()
        return str(r.json()["id"])

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        current = self._get(f"/contacts/{remote_id}")
        assert current is not None, f"appcrm contact {remote_id} is gone"
        body = {"first_name": current.get("first_name"), field: value}
        self.colleague.put(f"/contacts/{remote_id}", json=body).raise_for_status()

    def delete_person(self, remote_id: str) -> None:
        self.colleague.delete(f"/contacts/{remote_id}").raise_for_status()

    def person_names(self, remote_id: str) -> Names | None:
        body = self._get(f"/contacts/{remote_id}")
        return None if body is None else (body.get("first_name"), body.get("last_name"))

    def person_ids(self) -> list[str]:
        out: list[str] = []
        page = 1
        while True:
            r = self.colleague.get("/contacts", params={"per_page": 100, "page": page, "order": "id"})
            r.raise_for_status()
            body = r.json()
            out.extend(str(c["id"]) for c in body["data"])
            if page >= int(body["meta"]["last_page"]):
                return out
            page += 1


class CobraDriver(_HttpDriver):
    """cobra: `/v1/people` behind a login (`POST /v1/auth/token`) and tenant/integration headers, every answer in an
    envelope, PUT replaces the whole write model, hard delete, numbered pages."""

    name = "cobra"
    kind = AccountKind.COBRA
    # A create carries the local id as its customer number, so a lost create is found by that number.
    twins_break_lost_creates = False
    people_path = "/v1/people"

    def _make_server(self) -> EmulatorServer:
        return CobraEmulator()

    @property
    def cobra(self) -> CobraEmulator:
        assert isinstance(self.server, CobraEmulator)
        return self.server

    def _colleague_headers(self) -> dict[str, str]:
        r = httpx.post(
            f"{self.cobra.api_url}/auth/token",
            json={"username": self.cobra.api_email, "password": self.cobra.api_key},
            timeout=10,
        )
        r.raise_for_status()
        return {
            "Authorization": f"Bearer {r.json()['access_token']}",
            "X-Cobra-TenantId": self.cobra.tenant,
            "X-Integration-Name": "colleague",
            "X-Integration-Provider": "colleague",
        }

    def connector(self) -> Connector:
        http = HttpClient(
            self.cobra.api_url,
            name="cobra",
            headers={
                "Accept": "application/json",
                "X-Cobra-TenantId": self.cobra.tenant,
                "X-Integration-Name": "crmdesk",
                "X-Integration-Provider": "crmdesk",
            },
            secrets=(self.cobra.api_key,),
            retries=6,
            backoff=0.01,
            max_backoff=0.05,
        )
        return CobraConnector(http, user=self.cobra.api_email, api_key=self.cobra.api_key, page_size=PAGE_SIZE)

    def _data(self, r: httpx.Response) -> Any:
        r.raise_for_status()
        body = r.json()
        assert body["statusCode"] < 300, body  # the envelope's own status
        return body["data"]

    def create_person(self, first: str, last: str) -> str:
        return str(self._data(self.colleague.post("/people", json={"firstname": first, "lastname": last}))["id"])

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        current = self._get(f"/people/{remote_id}")
        assert current is not None, f"cobra person {remote_id} is gone"
        # PUT replaces the write model: send back what the person has, with the one name changed.
        keys = ("salutation", "title", "firstname", "lastname", "birthday", "importantDates", "socialMedias")
        body = {k: current["data"].get(k) for k in (*keys, "orgaTags", "personalities", "customerNumber")}
        body.update({k: current["data"].get(k) for k in ("employeeStatus", "employeeNumber", "lifecycle")})
        body["firstname" if field == "first_name" else "lastname"] = value
        self._data(self.colleague.put(f"/people/{remote_id}", json=body))

    def delete_person(self, remote_id: str) -> None:
        self._data(self.colleague.delete(f"/people/{remote_id}"))

    def person_names(self, remote_id: str) -> Names | None:
        body = self._get(f"/people/{remote_id}")
        return None if body is None else (body["data"].get("firstname"), body["data"].get("lastname"))

    def person_ids(self) -> list[str]:
        out: list[str] = []
        page = 1
        while True:
            rows = self._data(self.colleague.get("/people", params={"pageSize": 50, "page": page, "sort": "id"}))
            out.extend(str(p["id"]) for p in rows)
            if len(rows) < 50:
                return out
            page += 1


class DeskeraDriver(_HttpDriver):
    """Deskera: `/v1/crm/contacts` of type person with one `name` (the connector splits it: last word last name),
    `x-access-token`, PATCH edits, hard delete, numbered pages."""

    name = "deskera"
    kind = AccountKind.DESKERA
    # No external id: a lost create is looked up by e-mail and name, passing over contacts linked to other people.
    twins_break_lost_creates = False
    people_path = "/v1/crm/contacts"

    def _make_server(self) -> EmulatorServer:
        return DeskeraEmulator()

    def _token(self) -> str:
        return str(getattr(self.server, "token", ""))

    def _colleague_url(self) -> str:
        return f"{self.server.api_url}/v1/crm"

    def _colleague_headers(self) -> dict[str, str]:
        return {"x-access-token": self._token()}

    def connector(self) -> Connector:
        headers = {"x-access-token": self._token(), "Accept": "application/json"}
        http = http_client(self.server.api_url, self._token(), name="Deskera", headers=headers, bearer=False)
        return DeskeraConnector(http, page_size=PAGE_SIZE)

    def create_person(self, first: str, last: str) -> str:
        r = self.colleague.post("/contacts", json={"type": "person", "name": join_name(first, last)})
        r.raise_for_status()
        return str(r.json()["id"])

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        names = self.person_names(remote_id)
        assert names is not None, f"Deskera contact {remote_id} is gone"
        first, last = names
        first, last = (value, last) if field == "first_name" else (first, value)
        name = join_name(first or "", last or "")
        self.colleague.patch(f"/contacts/{remote_id}", json={"name": name}).raise_for_status()

    def delete_person(self, remote_id: str) -> None:
        self.colleague.delete(f"/contacts/{remote_id}").raise_for_status()

    def person_names(self, remote_id: str) -> Names | None:
        body = self._get(f"/contacts/{remote_id}")
        if body is None:
            return None
        first, last = split_name(str(body.get("name") or ""))
        return first or None, last or None

    def person_ids(self) -> list[str]:
        out: list[str] = []
        page = 1
        while True:
            params: dict[str, str | int] = {"type": "person", "limit": 100, "page": page, "sort": "id"}
            r = self.colleague.get("/contacts", params=params)
            r.raise_for_status()
            rows = r.json()["data"]
            out.extend(str(c["id"]) for c in rows)
            if len(rows) < 100:
                return out
            page += 1


class ImboxDriver(_HttpDriver):
    """ImBox: `/api/{key}/{user id}/contacts` (the key and user id in the path), PUT changes the fields present,
    hard delete, `after` cursors; no GET of one contact (`?id=` lists zero or one)."""

    name = "imbox"
    kind = AccountKind.IMBOX
    twins_break_lost_creates = False  # external ids: a lost create is found by its local id
    people_path = ""  # holds the key and user id: set by start()

    def _make_server(self) -> EmulatorServer:
        return ImboxEmulator()

    def start(self) -> None:
        super().start()
        self.people_path = self.imbox.path_of("/contacts")

    @property
    def imbox(self) -> ImboxEmulator:
        assert isinstance(self.server, ImboxEmulator)
        return self.server

    def _colleague_url(self) -> str:
        return self.imbox.base_url

    def _colleague_headers(self) -> dict[str, str]:
        return {}

    def connector(self) -> Connector:
        key = self.imbox.api_key
        http = http_client(self.imbox.base_url, key, name="ImBox", bearer=False)
        return ImboxConnector(http, page_size=PAGE_SIZE)

    def create_person(self, first: str, last: str) -> str:
        r = self.colleague.post("/contacts", json={"firstName": first, "lastName": last})
        r.raise_for_status()
        return str(r.json()["id"])

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        key = "firstName" if field == "first_name" else "lastName"
        self.colleague.put(f"/contacts/{remote_id}", json={key: value}).raise_for_status()

    def delete_person(self, remote_id: str) -> None:
        self.colleague.delete(f"/contacts/{remote_id}").raise_for_status()

    def person_names(self, remote_id: str) -> Names | None:
        r = self.colleague.get("/contacts", params={"id": remote_id})
        r.raise_for_status()
        rows = r.json()["contacts"]
        return (rows[0].get("firstName"), rows[0].get("lastName")) if rows else None

    def person_ids(self) -> list[str]:
        out: list[str] = []
        after: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 100, **({"after": after} if after else {})}
            r = self.colleague.get("/contacts", params=params)
            r.raise_for_status()
            body = r.json()
            out.extend(str(c["id"]) for c in body["contacts"])
            cursor = body["paging"]["cursor"]["after"]
            if cursor is None:
                return out
            after = str(cursor)


# ---------------------------------------------------------------------------------------------------------------------
# CardDAV: a real Radicale behind a fault proxy


class ErrorRateProxy(FaultProxy):
    """A `FaultProxy` that can also answer a seeded random fraction of requests with a server error (unforwarded),
    like an emulator's `faults.set_error_rate`; `reset()` switches that off too."""

    def __init__(self, target_url: str, **kwargs: Any) -> None:
        super().__init__(target_url, **kwargs)
        self.error_rate = 0.0
        self.error_statuses: tuple[int, ...] = (500, 503)
        self._error_rng = random.Random(0)
        self._error_lock = threading.Lock()

    def set_error_rate(self, rate: float, *, statuses: Iterable[int] = (500, 503), seed: int | None = None) -> None:
        """Answer a fraction `rate` of the requests with one of `statuses`, drawn from a random seeded `seed`."""
        with self._error_lock:
            self.error_rate = rate
            self.error_statuses = tuple(statuses)
            self._error_rng = random.Random(seed)

    def reset(self) -> None:
        super().reset()
        with self._error_lock:
            self.error_rate = 0.0

    def _take(self, kinds: tuple[Fault, ...], method: str, path: str) -> _Rule | None:
        rule = super()._take(kinds, method, path)
        if rule is not None or Fault.FAIL not in kinds:
            return rule
        with self._error_lock:
            if not self.error_rate or self._error_rng.random() >= self.error_rate:
                return None
            status = self._error_rng.choice(self.error_statuses)
        return _Rule(Fault.FAIL, 0, None, None, status)


class ProxyFaults:
    """An emulator's fault switches, mapped onto a `FaultProxy` in front of a CardDAV server: a 429 is `fail(…,
    429)`, a dropped connection `drop`, and a POST (CardDAV creates with PUT) is a PUT."""

    def __init__(self, proxy: ErrorRateProxy) -> None:
        self.proxy = proxy

    @staticmethod
    def _methods(methods: Iterable[str] | None) -> list[str] | None:
        if methods is None:
            return None
        return sorted({"PUT" if m.upper() == "POST" else m.upper() for m in methods})

    def set_error_rate(self, rate: float, *, statuses: Iterable[int] = (500, 503), seed: int | None = None) -> None:
        self.proxy.set_error_rate(rate, statuses=statuses, seed=seed)

    def rate_limit(self, n: int, *, retry_after: int = 1) -> None:
        self.proxy.fail(n, 429, retry_after=retry_after)

    def drop_connections(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None:
        self.proxy.drop(n, methods=self._methods(methods), path=path)

    def lose_response(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None:
        self.proxy.lose_response(n, methods=self._methods(methods), path=path)

    def reset(self) -> None:
        self.proxy.reset()


class ProxyServer:
    """A CardDAV server as the machine sees it: the proxy's URL, and its switches."""

    def __init__(self, proxy: ErrorRateProxy) -> None:
        self.proxy = proxy
        self._faults = ProxyFaults(proxy)

    @property
    def api_url(self) -> str:
        return self.proxy.url

    @property
    def faults(self) -> ProxyFaults:
        return self._faults

    def requests(self) -> list[ProxiedRequest]:
        return self.proxy.requests()

    def clear_requests(self) -> None:
        self.proxy.clear_requests()


CARDDAV_USER = USER
CARDDAV_PASSWORD = PASSWORD
VCARD_HEADERS = {"Content-Type": "text/vcard; charset=utf-8"}


def carddav_connector(
    server_url: str, password: str = CARDDAV_PASSWORD, *, book: str = "", user: str = CARDDAV_USER, page_size: int = 10
) -> CardDavConnector:
    """A CardDAV connector with short back-offs (as the integration tests build theirs); the caller closes it."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    http = HttpClient(
        server_url,
        name="Radicale",
        headers={"Authorization": f"Basic {token}"},
        secrets=(password, token),
        retries=6,
        backoff=0.01,
        max_backoff=0.05,
    )
    return CardDavConnector(http, book=book, page_size=page_size)


def vcard(uid: str, first: str, last: str, *extra: str) -> bytes:
    """A minimal vCard 3.0 as a phone writes one: N, FN, UID (and `extra` lines)."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"N:{last};{first};;;", f"FN:{first} {last}".strip()]
    return ("\r\n".join([*lines, *extra, "END:VCARD"]) + "\r\n").encode()


def _unfolded(text: str) -> list[str]:
    return re.sub(r"\r?\n[ \t]", "", text).splitlines()


def vcard_names(text: str) -> Names:
    """(first, last) of a vCard's N property, None for an empty part."""
    for line in _unfolded(text):
        name, _, value = line.partition(":")
        if name.split(";")[0].upper() == "N":
            parts = [*re.split(r"(?<!\\);", value), "", ""][:2]
            last, first = (p.replace("\\,", ",").replace("\\;", ";") for p in parts)
            return first or None, last or None
    return None, None


def with_names(text: str, first: str | None, last: str | None) -> bytes:
    """The vCard with N and FN rewritten to these names (the rest as it was)."""
    out = []
    for line in _unfolded(text):
        name = line.partition(":")[0].split(";")[0].upper()
        if name == "N":
            line = f"N:{last or ''};{first or ''};;;"
        elif name == "FN":
            line = f"FN:{' '.join(p for p in (first, last) if p)}"
        out.append(line)
    return ("\r\n".join(out) + "\r\n").encode()


class CardDavDriver:
    """CardDAV: one Radicale for the whole process (started on first use), a fresh address book per example, a
    `ErrorRateProxy` in front of it for the faults; the colleague is a phone writing vCards with plain httpx
    straight to Radicale (PUT with If-None-Match / If-Match, DELETE). Remote ids are hrefs."""

    name = "carddav"
    kind = AccountKind.CARDDAV
    twins_break_lost_creates = False  # a card is named by its UID: a lost create is found by one GET
    people_path = ""  # the book's path: set by start()

    _radicale: RadicaleServer | None = None
    _books = 0

    def __init__(self) -> None:
        self._proxy: ErrorRateProxy | None = None
        self._server: ProxyServer | None = None
        self._phone: httpx.Client | None = None
        self._book_url = ""

    @classmethod
    def radicale(cls) -> RadicaleServer:
        """The process's Radicale (stopped when the process ends)."""
        if cls._radicale is None or not cls._radicale.running:
            base = Path(tempfile.mkdtemp(prefix="crmdesk-radicale-"))
            server = RadicaleServer(base, users={CARDDAV_USER: CARDDAV_PASSWORD}).start()
            atexit.register(server.stop)
            CardDavDriver._radicale = server
        assert cls._radicale is not None
        return cls._radicale

    @property
    def server(self) -> ProxyServer:
        assert self._server is not None, "carddav: start() first"
        return self._server

    @property
    def phone(self) -> httpx.Client:
        assert self._phone is not None, "carddav: start() first"
        return self._phone

    def start(self) -> None:
        carddav.use_codec(ExchangeCodec())  # what crmdesk.context does in the app
        radicale = self.radicale()
        CardDavDriver._books += 1
        book = f"machine-{CardDavDriver._books}"
        self._book_url = radicale.make_addressbook(CARDDAV_USER, book)
        self.people_path = f"/{CARDDAV_USER}/{book}/"
        self._proxy = ErrorRateProxy(radicale.url).start()
        self._server = ProxyServer(self._proxy)
        self._phone = httpx.Client(base_url=radicale.url, auth=radicale.auth(CARDDAV_USER), timeout=10)

    def stop(self) -> None:
        if self._phone is not None:
            self._phone.close()
            self._phone = None
        if self._proxy is not None:
            proxy, self._proxy = self._proxy, None
            proxy.stop()
            radicale = self.radicale()
            radicale.delete_collection(self._book_url, user=CARDDAV_USER)
            if proxy.errors:
                raise AssertionError(f"FaultProxy failed on a request: {proxy.errors[0]!r}")

    def connector(self) -> Connector:
        url = self.server.api_url
        return carddav_connector(url, book=url.rstrip("/") + self.people_path, page_size=PAGE_SIZE)

    def create_person(self, first: str, last: str) -> str:
        uid = str(uuid.uuid4())
        href = f"{self.people_path}{uid}.vcf"
        headers = {**VCARD_HEADERS, "If-None-Match": "*"}
        r = self.phone.put(href.lstrip("/"), content=vcard(uid, first, last), headers=headers)
        assert r.status_code == 201, (r.status_code, r.text)
        return href

    def edit_person(self, remote_id: str, field: str, value: str) -> None:
        card = self.phone.get(remote_id.lstrip("/"))
        card.raise_for_status()
        first, last = vcard_names(card.text)
        first, last = (value, last) if field == "first_name" else (first, value)
        headers = {**VCARD_HEADERS, "If-Match": card.headers["ETag"]}
        r = self.phone.put(remote_id.lstrip("/"), content=with_names(card.text, first, last), headers=headers)
        assert r.status_code in (201, 204), (r.status_code, r.text)

    def delete_person(self, remote_id: str) -> None:
        r = self.phone.delete(remote_id.lstrip("/"))
        assert r.status_code in (200, 204), (r.status_code, r.text)

    def person_names(self, remote_id: str) -> Names | None:
        r = self.phone.get(remote_id.lstrip("/"))
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return vcard_names(r.text)

    def person_ids(self) -> list[str]:
        body = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
        r = self.phone.request("PROPFIND", self.people_path.lstrip("/"), content=body.encode(), headers={"Depth": "1"})
        assert r.status_code == 207, (r.status_code, r.text)
        hrefs = (el.text or "" for el in ET.fromstring(r.content).iter("{DAV:}href"))
        return [h for h in hrefs if h.endswith(".vcf")]


DRIVERS: tuple[type[CrmDriver], ...] = (KanbertDriver, AppcrmDriver, CobraDriver, DeskeraDriver, ImboxDriver)
"""Every CRM emulator the machine runs against; a new CRM adds its driver here (test_sync_kill.py seeds these
emulators directly, so only emulator drivers belong here)."""

MACHINE_DRIVERS: tuple[type[CrmDriver], ...] = (*DRIVERS, CardDavDriver)
"""Every remote the sync state machine runs against: the emulators and CardDAV (a real Radicale)."""
