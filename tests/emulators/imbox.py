"""ImBox emulator: the contacts, contact notes and accounts API of crm-apis/imbox.md on loopback, state in memory.

Written from imbox.md only; its own [assumed] rows are implemented as written (limit 50/100, last page → null
cursor and `next`, exact AND-combined filters, at most one `isPrimary`, length limits, unknown `accountId` /
`contactId` → 400, permanent deletes, note content ≤ 10 000, account limits name ≤ 250, deleting an account
nulls its contacts' `accountId`, the error table of §7). Where the document is silent the emulator chooses; every
choice is listed here and is part of the contract a connector may rely on:

[assumed] choices of this emulator
- URL: `{api_url}/{apiKey}/{userId}/<resource>` with `api_url` = `http://127.0.0.1:PORT/api`. Order of checks:
  route (unknown path → 404 `{"error": "Not found"}`; known path, other method → 405
  `{"error": "Method not allowed"}` + `Allow`, e.g. `PUT /contactNotes/{id}`), API key (unknown → 401
  `{"error": "Invalid API key"}`), user (a userId that is not an integer or not a user of the account → 401
  `{"error": "Invalid userId"}`), scope (403 `{"error": "Insufficient scope"}`), then the handler. Error bodies
  never echo the key. Every key is valid for every user of the account; all users see the same data.
- Scopes per key: `contacts:read` (every GET) and `contacts:write` (every POST/PUT/DELETE, contacts, accounts and
  notes alike); write does not imply read. The default key has both.
- Request bodies: a POST/PUT with a non-empty body needs `Content-Type: application/json` (parameters such as
  `; charset=utf-8` allowed), else 415 `{"error": "Content-Type must be application/json"}`; invalid JSON → 400
  `{"error": "Invalid JSON body"}`; a body that is not an object → 400 `{"error": "body: must be a JSON object"}`.
  An empty body counts as `{}`. Unknown and read-only keys (`id`, `fullName`, `createdAt`, …) are ignored.
- 400 bodies name the first problem only, `"<field>: <problem>"`: `firstName: must be a string`,
  `firstName: max length 50`, `emails: must be an array`, `emails[0]: must be an object`,
  `emails[0].email: required` / `invalid e-mail address` (not `local@domain`) / `max length 250`,
  `phones[1].phone: must be E.164, e.g. +46762004545` (`\\+[1-9]\\d{1,14}`, no spaces),
  `emails[0].isPrimary: must be a boolean`, `emails: at most one entry may have isPrimary true`,
  `accountId: must be an integer` / `accountId: no account with id 7`, `name: required`,
  `contactId: required` / `must be an integer` / `no contact with id 7`, `content: required` / `must be a string` /
  `must not be empty` (blank) / `max length 10000`, `limit: must be an integer` / `must be at least 1`,
  `after: must be an integer` (also `afterId`, `id`, `contactId` query parameters).
- Strings are stored verbatim (no trimming; "" stays ""); lengths count code points; `null` clears a field (PUT)
  — except account `name`, which is required and may not be null or "". `isPrimary` defaults to false; `null`
  for `emails`/`phones` means `[]`. Stored e-mails and phones are only visible via `store.contact(id,
  channels=True)`, never in the API.
- Contacts: POST answers 200 with the full read model (§2.2 fields only, in that order). `fullName` is the
  non-empty parts of `firstName lastName` joined by one space, null when both are empty. `crmId` is always 1;
  `userId` (an integer) is the user whose URL created the record; `picture` is null unless
  `store.set_picture` set it. On create `activityAt` = `createdAt`, `updatedAt` and `modifiedAt` null. Every
  successful contact PUT stamps `updatedAt` (even `{}` or a change only to emails/phones); `modifiedAt` changes
  only through `store.update_contact(..., via_ui=True)`, `activityAt` only through `store.record_activity`.
  Account PUT stamps the account's `updatedAt`; account POST answers `{id, userId, crmId, externalId,
  externalUrl, name}` only (no times). Deleting an account nulls `accountId` of its contacts without touching
  their `updatedAt` (a database ON DELETE SET NULL). Deleting a contact deletes its notes too.
- Times: ms precision, truncated, `Z` (`"2024-10-09T13:00:00.123Z"`), from the emulator `Clock`; writes within one
  millisecond show the same value.
- Ids: integers from 1 per table (contacts, accounts, notes), ascending in creation order, never reused.
- Lists are in ascending id order. `limit`: absent or "" → 50, > 100 → 100, < 1 or not an integer → 400.
  Cursor (`after` for contacts and notes, `afterId` for accounts): absent or "" → from the start; items with
  id > cursor (the cursor id need not exist). Other query parameters are ignored — `after` on `/accounts` and
  `afterId` elsewhere therefore do nothing. When another matching item follows the page, the cursor is the page's
  last id and `next` is the absolute URL `{api_url}/{apiKey}/{userId}/<resource>?<the request's other query
  parameters, in order, form-encoded>&after=<id>` (`afterId=` for accounts); otherwise (including an empty page)
  both are null. Shapes: contacts `{"contacts", "paging": {"cursor": {"after"}}, "next"}`; notes `{"notes",
  "paging": {"cursors": {"after"}, "next"}}`; accounts `{"accounts", "paging": {"cursors": {"afterId"}, "next"}}`.
- Contact filters: blank values are ignored; `id` (integer) → a list of zero or one; `email` compares
  case-insensitively against every stored e-mail of the contact, `phone` exactly against every stored phone
  (send `+` as `%2B`: a literal `+` decodes to a space and matches nothing). Notes: `contactId` of an unknown
  contact → an empty list.
- Unknown or non-integer `{id}` on GET/PUT/DELETE → 404 `{"error": "Not found"}` (PUT checks the id before
  the body).
- Fault answers (`faults`): 429 `{"error": "Too many requests"}` + `Retry-After`; 500 `{"error": "Internal
  server error"}`; 503 `{"error": "Service unavailable"}`. Fault `path` prefixes are full URL paths, which
  include the key: use `path_of("/contacts")`.
- Not emulated: anything beyond contacts, contact notes and accounts; real rate limiting (only the fault switch).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlencode

from .base import Clock, EmulatorServer, HttpError, LoggedRequest, Request, Response, json_response
from .imbox_model import DEFAULT_USER_ID, ImboxStore, bad_request, not_found

__all__ = ["DEFAULT_API_KEY", "DEFAULT_USER_ID", "ImboxEmulator", "add_arguments", "build"]

DEFAULT_API_KEY: Final = "imbox-test-key-5f0c2a9e"
SCOPE_READ: Final = "contacts:read"
SCOPE_WRITE: Final = "contacts:write"
ALL_SCOPES: Final = frozenset({SCOPE_READ, SCOPE_WRITE})
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 100
_PREFIX: Final = "/{apiKey}/{userId}"


@dataclass(frozen=True)
class Principal:
    """Who a request is from: the API key, its scopes and the user id of the URL."""

    api_key: str
    scopes: frozenset[str]
    user_id: int


class ImboxEmulator(EmulatorServer):
    """The ImBox API (`/api/{apiKey}/{userId}`) on loopback: contacts, contact notes, accounts; id cursors.

    State lives in `store` (an `ImboxStore`: read it, or edit it as an ImBox user would); `clock` stamps writes.

    Args:
        port: TCP port; 0 picks a free one.
        host: Address to bind.
        api_keys: Accepted API keys: a mapping key → scopes (`SCOPE_READ`, `SCOPE_WRITE`), or keys with both
            scopes; default one key, `DEFAULT_API_KEY`.
        user_ids: The users of the account (valid `{userId}` path segments); default `DEFAULT_USER_ID`.
        clock: The clock writes are stamped with; default one that follows the wall clock.
        seed: Seed of the data generator (`seed_people`, `seed_companies`).
        fault_seed: Seed of `faults.error_rate`'s random.
    """

    base_path = "/api"

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        api_keys: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
        user_ids: Iterable[int] = (DEFAULT_USER_ID,),
        clock: Clock | None = None,
        seed: int = 0,
        fault_seed: int = 0,
    ) -> None:
        if api_keys is None:
            api_keys = [DEFAULT_API_KEY]
        if isinstance(api_keys, Mapping):
            self._keys: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in api_keys.items()}
        else:
            self._keys = dict.fromkeys(api_keys, ALL_SCOPES)
        self.user_ids: list[int] = list(user_ids)
        if not self._keys or not self.user_ids:
            raise ValueError("the emulator needs at least one API key and one user id")
        super().__init__(port, host=host, fault_seed=fault_seed)
        self.store = ImboxStore(clock=clock, seed=seed, lock=self.lock)
        self.clock: Clock = self.store.clock
        self._register_routes()

    @property
    def api_key(self) -> str:
        """The first API key (the default one unless `api_keys` were given)."""
        return next(iter(self._keys))

    @property
    def user_id(self) -> int:
        """The first user id."""
        return self.user_ids[0]

    @property
    def base_url(self) -> str:
        """`api_url` plus `/{api_key}/{user_id}`: what the connector builds from `api_url` and its credentials."""
        return f"{self.api_url}/{quote(self.api_key, safe='')}/{self.user_id}"

    def path_of(self, resource: str = "") -> str:
        """The full URL path of `resource` (e.g. "/contacts") with the first key and user, for fault `path`s."""
        return f"{self.base_path}/{quote(self.api_key, safe='')}/{self.user_id}{resource}"

    def add_api_key(self, key: str, scopes: Iterable[str] = ALL_SCOPES) -> None:
        """Accept another API key with `scopes`."""
        with self.lock:
            self._keys[key] = frozenset(scopes)

    def revoke_api_key(self, key: str) -> None:
        """Stop accepting `key`: requests with it get 401 from now on."""
        with self.lock:
            self._keys.pop(key, None)

    def seed_people(self, n: int, *, companies: int = 0, notes: int = 0) -> list[int]:
        """Add `n` realistic contacts after `companies` new accounts, plus `notes` notes; the contact ids."""
        return self.store.seed_people(n, companies=companies, notes=notes)

    def seed_companies(self, k: int) -> list[int]:
        """Add `k` realistic accounts; their ids."""
        return self.store.seed_companies(k)

    # -- request log without credentials -----------------------------------------------------------------------

    @staticmethod
    def resource(logged: LoggedRequest | Request) -> str:
        """A request's path without `/api/{apiKey}/{userId}`, e.g. "/contacts" (the path itself if it has none)."""
        parts = logged.path.split("/", 4)
        return "/" + parts[4] if len(parts) == 5 and parts[1] == "api" else logged.path

    def calls(self) -> list[tuple[str, str, int | None]]:
        """The logged requests as (method, resource with query string, status), credentials left out.

        E.g. `("GET", "/contacts?limit=2&after=120", 200)`; status None when no answer was sent.
        """
        out = []
        for logged in self.requests():
            query = urlencode([(k, v) for k, values in logged.query.items() for v in values])
            out.append((logged.method, self.resource(logged) + (f"?{query}" if query else ""), logged.status))
        return out

    # -- request pipeline ----------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Principal:
        """Key, user and scope of a routed request.

        Raises:
            HttpError: 401 for an unknown key or user, 403 when the key lacks the method's scope.
        """
        key = request.params.get("apiKey", "")
        scopes = self._keys.get(key)
        if scopes is None:
            raise HttpError(401, {"error": "Invalid API key"})
        raw_user = request.params.get("userId", "")
        user_id = int(raw_user) if raw_user.isascii() and raw_user.isdigit() else None
        if user_id is None or user_id not in self.user_ids:
            raise HttpError(401, {"error": "Invalid userId"})
        if (SCOPE_READ if request.method == "GET" else SCOPE_WRITE) not in scopes:
            raise HttpError(403, {"error": "Insufficient scope"})
        return Principal(key, scopes, user_id)

    def fault_body(self, status: int) -> Any:
        """ImBox-style bodies of the fault switches' answers."""
        messages = {429: "Too many requests", 503: "Service unavailable"}
        return {"error": messages.get(status, "Internal server error")}

    def _route(self, request: Request) -> Response:
        try:
            try:
                handler, params = self.router.resolve(request.method, request.path)
            except HttpError as exc:
                message = "Method not allowed" if exc.status == 405 else "Not found"
                raise HttpError(exc.status, {"error": message}, headers=exc.headers) from exc
            request = replace(request, params=params)
            with self.lock:
                principal = self.authenticate(request)
                return handler(replace(request, principal=principal))
        except HttpError as exc:
            return json_response(exc.body, exc.status, headers=exc.headers)
        except Exception as exc:  # an emulator bug: answer like a server would, keep it for the fixture
            self.errors.append(exc)
            return json_response(self.fault_body(500), 500)

    # -- routes --------------------------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        add = self.router.add
        add("GET", _PREFIX + "/contacts", self._h_contacts)
        add("POST", _PREFIX + "/contacts", self._h_create_contact)
        add("PUT", _PREFIX + "/contacts/{id}", self._h_update_contact)
        add("DELETE", _PREFIX + "/contacts/{id}", self._deleter(self.store.delete_contact))
        add("GET", _PREFIX + "/contactNotes", self._h_notes)
        add("POST", _PREFIX + "/contactNotes", self._h_create_note)
        add("GET", _PREFIX + "/contactNotes/{id}", self._shower(self.store.note))
        add("DELETE", _PREFIX + "/contactNotes/{id}", self._deleter(self.store.delete_note))
        add("GET", _PREFIX + "/accounts", self._h_accounts)
        add("POST", _PREFIX + "/accounts", self._h_create_account)
        add("GET", _PREFIX + "/accounts/{id}", self._shower(self.store.account))
        add("PUT", _PREFIX + "/accounts/{id}", self._h_update_account)
        add("DELETE", _PREFIX + "/accounts/{id}", self._deleter(self.store.delete_account))

    @staticmethod
    def _deleter(delete: Callable[[int], None]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            delete(_path_id(request))
            return json_response({})

        return handle

    @staticmethod
    def _shower(get: Callable[[int], dict[str, Any] | None]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            found = get(_path_id(request))
            if found is None:
                raise not_found()
            return json_response(found)

        return handle

    def _h_create_contact(self, request: Request) -> Response:
        return json_response(self.store.create_contact(_body(request), user_id=request.principal.user_id))

    def _h_update_contact(self, request: Request) -> Response:
        contact_id = _path_id(request)
        if self.store.contact(contact_id) is None:
            raise not_found()
        self.store.update_contact(contact_id, _body(request))
        return json_response({})

    def _h_create_account(self, request: Request) -> Response:
        return json_response(self.store.create_account(_body(request), user_id=request.principal.user_id))

    def _h_update_account(self, request: Request) -> Response:
        account_id = _path_id(request)
        if self.store.account(account_id) is None:
            raise not_found()
        self.store.update_account(account_id, _body(request))
        return json_response({})

    def _h_create_note(self, request: Request) -> Response:
        return json_response(self.store.create_note(_body(request)))

    def _h_contacts(self, request: Request) -> Response:
        limit, after = _limit(request), _int_arg(request, "after") or 0
        rows, more = self.store.contact_page(
            after=after,
            limit=limit,
            contact_id=_int_arg(request, "id"),
            email=request.arg("email") or None,
            phone=request.arg("phone") or None,
        )
        cursor = rows[-1]["id"] if more else None
        body = {
            "contacts": rows,
            "paging": {"cursor": {"after": cursor}},
            "next": self._next_url(request, "contacts", "after", cursor),
        }
        return json_response(body)

    def _h_notes(self, request: Request) -> Response:
        limit, after = _limit(request), _int_arg(request, "after") or 0
        rows, more = self.store.note_page(after=after, limit=limit, contact_id=_int_arg(request, "contactId"))
        cursor = rows[-1]["id"] if more else None
        paging = {"cursors": {"after": cursor}, "next": self._next_url(request, "contactNotes", "after", cursor)}
        return json_response({"notes": rows, "paging": paging})

    def _h_accounts(self, request: Request) -> Response:
        limit, after = _limit(request), _int_arg(request, "afterId") or 0
        rows, more = self.store.account_page(after=after, limit=limit)
        cursor = rows[-1]["id"] if more else None
        paging = {"cursors": {"afterId": cursor}, "next": self._next_url(request, "accounts", "afterId", cursor)}
        return json_response({"accounts": rows, "paging": paging})

    def _next_url(self, request: Request, resource: str, name: str, cursor: int | None) -> str | None:
        if cursor is None:
            return None
        key, user = request.path.split("/")[2:4]  # as sent, still percent-encoded
        pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != name]
        return f"{self.api_url}/{key}/{user}/{resource}?{urlencode([*pairs, (name, str(cursor))])}"


# -- request helpers -------------------------------------------------------------------------------------------


def _body(request: Request) -> Any:
    """The JSON body of a write; `{}` when empty. HttpError 415 without a JSON content type, 400 on bad JSON."""
    if not request.body.strip():
        return {}
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise HttpError(415, {"error": "Content-Type must be application/json"})
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("Invalid JSON body") from exc


def _path_id(request: Request) -> int:
    raw = request.params["id"]
    if not (raw.isascii() and raw.isdigit()):
        raise not_found()
    return int(raw)


def _int_arg(request: Request, name: str) -> int | None:
    raw = (request.arg(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name}: must be an integer") from None


def _limit(request: Request) -> int:
    limit = _int_arg(request, "limit")
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1:
        raise bad_request("limit: must be at least 1")
    return min(limit, MAX_LIMIT)


# -- command line (`python -m tests.emulators imbox`) ----------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ImBox sub-command's own options."""
    parser.add_argument("--api-key", action="append", help=f"accepted API key, repeatable (default {DEFAULT_API_KEY})")
    parser.add_argument("--user-id", type=int, default=DEFAULT_USER_ID, help=f"user id (default {DEFAULT_USER_ID})")
    parser.add_argument("--seed-companies", type=int, default=None, help="accounts to seed (default people / 10)")
    parser.add_argument("--seed-notes", type=int, default=None, help="notes to seed (default people / 2)")


def build(args: argparse.Namespace) -> tuple[EmulatorServer, list[str]]:
    """The (not yet started) emulator from the parsed options, and the lines to print once it runs."""
    keys = args.api_key or [DEFAULT_API_KEY]
    server = ImboxEmulator(args.port, host=args.host, api_keys=keys, user_ids=[args.user_id], seed=args.seed)
    companies = args.seed_companies if args.seed_companies is not None else args.seed_people // 10
    notes = args.seed_notes if args.seed_notes is not None else args.seed_people // 2
    server.seed_people(args.seed_people, companies=companies, notes=notes)
    lines = [f"ImBox emulator: {server.api_url} (user id {args.user_id})", *(f"API key: {k}" for k in keys)]
    lines.append(f"{args.seed_people} contacts, {companies} accounts, {notes} notes")
    lines.append(f"export CRMDESK_SECRET={keys[0]}")
    lines.append(
        f'crmdesk account add "imbox demo" --kind imbox --url {server.api_url} '
        f"--option user_id={args.user_id} --secret-env CRMDESK_SECRET"
    )
    return server, lines
