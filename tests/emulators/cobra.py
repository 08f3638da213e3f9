"""cobra emulator: the cobra CRM Cloud REST API of crm-apis/cobra.md (`/v1`) on loopback, state in memory.

Written from cobra.md only; its own [assumed] rows are implemented as written (paths, bodies, models, the
favourite rules of §7.3/§8.3, paging of §5, `modifiedSince`, 429 with `Retry-After`). Where the document is silent
the emulator chooses; every choice is listed here and is part of the contract a connector may rely on:

[assumed] choices of this emulator
- Base URL `http://127.0.0.1:<port>/v1` (`api_url`); one tenant per emulator (`tenant`, default `DEFAULT_TENANT`);
  API users are e-mail → API key pairs (default `DEFAULT_API_EMAIL` / `DEFAULT_API_KEY`), all with every
  permission on that tenant (no 403 for permissions).
- Login: `POST /v1/auth/token` with a JSON body `{"username": <API e-mail>, "password": <API key>}` (a form-encoded
  body with the same names is accepted too); no tenant/integration headers needed. The e-mail is compared
  case-insensitively, the key exactly. Success → 200 with the token fields of cobra.md §2 at the top level AND the
  envelope keys: `{"access_token", "token_type": "Bearer", "expires_in": 3600, "data": {the same three},
  "message": null, "metaData": null, "statusCode": 200}`. Wrong credentials → 401 envelope; a missing field or a
  non-object body → 400 envelope with field errors. Tokens are opaque JWT-looking strings, valid for
  `token_lifetime` seconds (default 3600) on the emulator clock: at `issued + lifetime` and later → 401.
  Logging in again issues a new token; old ones stay valid until they expire.
- `POST /v1/auth/introspect` (form `token=…` or JSON `{"token"}`, no auth) → 200 with the RFC 7662 fields at the top
  level (`active`, and when active `exp`, `iat`, `sub` = API e-mail, `client_id` = API e-mail, `scope` =
  "crm.api", `token_type` = "Bearer") plus the envelope keys (`data` = the same object). `GET
  /v1/auth/oauth2/configuration` (no auth) → the envelope of cobra.md §2.
- Order of checks on every other request: body-status fault, route (404 / 405 with `Allow`), bearer token (401,
  with `WWW-Authenticate: Bearer error="invalid_token"`; scheme case-insensitive), `X-Cobra-TenantId` (missing or
  blank → 403 "tenant_missing"; not the emulator's tenant, compared case-insensitively → 403), then
  `X-Integration-Name` and `X-Integration-Provider` (missing or blank → 400, `data` null, the message names the
  header), then the handler. `X-Integration-Contact` is optional and not checked.
- Envelope on every answer except the vCard: `{"data", "message", "metaData", "statusCode"}`; `statusCode` equals
  the HTTP status (creates: 201 in both). `message` is null on success. `metaData` is null unless `data` is an
  array; then `{"totalResults": <int>, "responseTimeStamp": <date-time>}`, on paged lists also `"page"` and
  `"pageSize"`. Errors: `data` null, or for 400 validation errors a list `[{"field", "message"}]` (field paths
  like `birthday.birthday`, `emails[0].email`, `[2].lastname` in bulk bodies), `message` "Validation failed." /
  "Die Validierung ist fehlgeschlagen.". Fault answers (429, 500, 503) carry the envelope too.
- Body-status fault: `body_status_faults(n, status=500, path=None, methods=None)` makes the next `n` matching
  requests answer HTTP 200 with `{"data": null, "message": <server error text>, "metaData": null, "statusCode":
  <status>}` without executing them; a client must check the body's `statusCode` too.
- Language: `Accept-Language` with q-values; the first supported primary tag (`de…` → German, `en…` → English)
  wins, anything else English. Answers carry `Content-Language: de|en`. Only messages are translated; dates in
  JSON are always ISO 8601.
- Date-times out: UTC, 7 fraction digits, `+00:00` (e.g. "2024-10-09T07:00:39.1309310+00:00"; the 7th digit is
  always 0). Writes take strictly increasing times from the clock, so `modifiedSince=<last dateModified seen>`
  never misses a later change. Date-times in: ISO 8601 with any offset or `Z`, naive = UTC, up to 7 fraction
  digits; a bare date there (e.g. touchpoint `date`) → 400. `modifiedSince` also takes a bare date (its UTC
  midnight) and a `+` decoded to a space.
- Ids: UUID v4 strings from the seeded random (same seed, same ids). Unknown record ids in the path → 404
  envelope "<Entity> with the id '<id>' was not found."; unknown record ids named in a body (touchpoint
  `people`/`companies`, bulk `ids`, `companyId`) → 404 too; unknown tenant-list ids in a body (`orgaTags[0].id`,
  `lifecycle.id`, …) → 400 field error "unknown_id". Bulk operations are all-or-nothing; `{"ids": [...]}` bodies
  need at least one id (else 400 on `ids`).
- Paging (`GET /people`, `/people/filter`, `/companies`, `/touchpoints`): `page` ≥ 1 (default 1), `pageSize`
  1..50 (default 50); a value out of range or not an integer → 400 field error on `page`/`pageSize`. A page past
  the end is an empty array with the right `totalResults`. `sort` = a scalar read-model field (people: id,
  salutation, title, firstname, lastname, customerNumber, employeeStatus, employeeNumber, note, dateCreate,
  dateModified; companies: id, name, name2, domain, website, customerNumber, note, dateCreate, dateModified;
  touchpoints: id, type, channel, subject, date, direction, priority, mood, dateCreate, dateModified), `-` prefix
  descending; anything else → 400. Strings compare case-insensitively, nulls first ascending; ties in creation
  order. Default `dateModified` ascending. `modifiedSince` keeps `dateModified` > value (strictly); unparsable →
  400. Unknown query parameters are ignored.
- People: every write-model field optional (no name required); strings ≤ 200 (note unlimited, social URLs ≤
  2000); `birthday.considerBirthYear` defaults to true; birthday checks use the emulator clock's date. PUT
  replaces the write model (omitted → null / []), `note` and business cards stay. `orgaTags`, `personalities`,
  `lifecycle` refer to tenant lists: `{id}` must exist, `{text}` (id null) is matched case-insensitively or
  created; both given → the id wins; duplicates collapse. Extensions: `include=businessCards` on `GET /people`,
  `/people/filter`, `/people/{id}` adds `businessCards` (card read models); `/people/filter` also takes
  `customerNumber` (exact). The filter needs at least one of email/employeeStatus/customerNumber (else 400);
  `email` matches any e-mail of any card, case-insensitively. `customerNumber` is not unique.
- Person delete (one, bulk) is permanent: its cards go; its touchpoints lose it, and a touchpoint left with no
  person is deleted. `POST /people/merge/completed` moves the merged person's cards (as non-favourites) and
  touchpoints to the survivor, then deletes the merged person if it still exists; survivor missing → 404; same
  ids → 400. `GET /people/{id}/quicklook` → `{id, salutation, title, firstname, lastname, businessCardId,
  companyId, companyName, position, email, phone}` from the favourite card (its favourite e-mail and phone).
- Any card change (create, update, delete, connect, address write) updates the card's and its person's
  `dateModified`. Card POST/PUT ignore `companyId` (connect only via `PUT …/company`, body `{"companyId": id |
  null}`; null disconnects; connecting copies the company's name into `companyName`, and a connected card shows
  the company's current name). A private card cannot be connected (400) and a connected card cannot be made
  private by PUT (400). Card lists are not paged (`GET /people/{id}/business-cards`: all, in creation order).
- Favourite rules, cards (cobra.md §7.3 as written): "explicitly" = the `isFavorite` key present and not null.
  PUT without `isFavorite` keeps the card's flag unless the person has no favourite card (rule 2); PUT with
  `false` unflags it (no other card is promoted). Deleting the favourite card promotes nothing (rule 4).
- Favourite rules inside a card (addresses, e-mails, phones): a card POST/PUT writes each list as creating its
  entries in order: `true` takes the flag from the previous one (so several `true` → the last wins), no explicit
  flag → favourite only when the list has none yet (so the first unflagged entry of a fresh list), `false` →
  not. In a PUT, entries whose `id` names an existing entry of that list keep it; other ids get a new one.
  Address endpoints: POST = the same create rule; PUT without `isFavorite` keeps the flag, `true` moves it,
  `false` on the favourite leaves none (rule 6); DELETE of the favourite promotes the remaining entry only when
  exactly one remains (rule 7). Address PUT replaces all address fields.
- Favourite rules of company phones/e-mails/addresses (§8.3): a non-empty list always has exactly one
  favourite. Create with `true` moves the flag; create without (or with `false`) leaves the existing favourite,
  and in an empty list the first entry becomes it. Update with `true` moves the flag; `false` on the favourite
  passes it to the oldest other entry (the entry keeps it when it is the only one). Deleting the favourite
  passes it to the oldest remaining entry ("first available" for e-mails: the same in this emulator).
- Sub-entry endpoints (card addresses; company phones/e-mails/addresses) answer with the whole parent read model
  (card or company) so the new favourite flags are visible: POST 201, PUT/DELETE 200. `POST
  /companies/{id}/phones|emails` take an array (≥1); `POST /companies/{id}/addresses` one object (an array is
  accepted too). `PUT /companies/{id}/phones|emails|addresses` (several) take an array whose items carry `id`.
  Phone `type` defaults to "work", card e-mail `type` to "work"; `country` is any two letters (stored upper-case);
  e-mails must look like `local@domain.tld`; `addressTypeId`/`emailAddressTypeId` are free strings or null.
- Companies: `name` required; `domain` stored normalised (lower case, no scheme, path or `www.`), not unique;
  `GET /companies/domain/{domain}` normalises too and returns the oldest match. PUT replaces the top-level
  fields; `note` and the phone/e-mail/address lists stay (POST may carry `note`, `phones`, `emails`,
  `addresses`). Delete: connected cards are disconnected and keep the name as free text; touchpoints lose the
  reference (both get a new `dateModified`). `POST /companies/validate` and `/touchpoints/validate` answer 200
  with the read model that would be created (`id`, stamps null; nothing is saved); the other validate endpoints
  answer `data: true`.
- Touchpoints: `type`, `subject`, `date`, `people` (≥1) required; `priority` defaults to "normal"; `turnover`
  required for type "turnover" and forbidden for other types (400); `amount` a number, `currency` three upper-case
  letters. PUT replaces everything but `documents`. `DELETE /touchpoints/{id}/people/{peopleId}`: person not
  involved → 404, the last person → 400; answers the touchpoint. `PUT /touchpoints/{id}/priority|mood` answer
  the touchpoint; `PUT /touchpoints/priority`, `/touchpoints/move`, the tag bulk operations and deletes answer
  `data: true`. Move: every touchpoint must involve `fromPeopleId` (else 404). `GET /touchpoints` also takes
  `type`.
- Tenant lists: `GET|POST /{people|companies|touchpoints}/management/{list}`, `DELETE …/{list}/{id}`, `DELETE
  …/{list}/bulk` (`{"ids"}`) for people `orga-tags`, `personality-tags`, `lifecycles`, `address-types`; companies
  `tags`, `lifecycles`, `legal-forms`, `industry-sectors`, `number-of-employees`, `email-address-types`;
  touchpoints `tags`. POST takes `[{"text"}]` and answers 201 with the entries (existing texts reused). Deleting
  an entry removes it from every record (which gets a new `dateModified`). People orga tags, company tags and
  touchpoint tags are separate lists.
- Sub-resource PUTs of people/companies (`note`, `orga-tags`, `personality-tags`, `tags`, `lifecycle`) answer the
  record; `lifecycle` takes `{"id": id | null}`.
- Deletes answer 200 `data: true`. vCard: 200 `text/vcard; charset=utf-8`, vCard 3.0 with CRLF line ends,
  folded at 75 octets, `Content-Disposition: attachment; filename="Last_First.vcf"; filename*=UTF-8''…` (ASCII
  transliteration in `filename`). `ADR` type is HOME for private cards, WORK otherwise; phone types map work→WORK,
  home→HOME, mobile→CELL, fax→FAX, other→VOICE; favourites carry PREF.
- Seed data (`seed_people`): German and British people; about two in three have a work card connected to a
  seeded company (work e-mail at the company's domain, phones, the company's address), the others (and some
  employees) a private card; companies carry domain, website, legal form, sector, size, one phone, e-mail and
  address; touchpoints (note/call/email/meeting) up to 400 days in the past.
- Rate limiting only through `faults.rate_limit(n, retry_after=…)`: 429, `Retry-After`, envelope message.
- Not emulated: GraphQL, webhooks/subscriptions, touchpoint documents (always `[]`), AI suggestions, logos,
  bank accounts, company relations, permissions.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, cast
from urllib.parse import parse_qs, quote

from .base import Clock, EmulatorServer, HttpError, Request, Response, json_response
from .cobra_model import (
    LISTS,
    SORTABLE,
    CobraError,
    CobraStore,
    Errors,
    FieldError,
    Person,
    Record,
    iso,
    parse_instant,
    translate,
)

DEFAULT_API_EMAIL: Final = "api@crmdesk.example"
DEFAULT_API_KEY: Final = "cobra-test-api-key"
DEFAULT_TENANT: Final = "12e39e53-ece1-4d8d-8958-e782de1dbef0"
TOKEN_LIFETIME: Final = 3600
MAX_PAGE_SIZE: Final = 50


@dataclass(frozen=True)
class Token:
    """An issued bearer token: its API user and when it stops working."""

    email: str
    issued: datetime
    expires: datetime


@dataclass
class _Countdown:
    remaining: int
    status: int
    path: str | None
    methods: frozenset[str] | None


def language(headers: Mapping[str, str]) -> str:
    """The answer language, "de" or "en", from an `Accept-Language` header (q-values honoured; default English)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((headers.get("accept-language") or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("de", "en") and q > 0:
            ranked.append((-q, i, primary))
    return min(ranked)[2] if ranked else "en"


def envelope(
    data: Any, status: int = 200, *, meta: Mapping[str, Any] | None = None, message: str | None = None
) -> dict[str, Any]:
    """`{data, message, metaData, statusCode}`."""
    return {
        "data": data,
        "message": message,
        "metaData": dict(meta) if meta is not None else None,
        "statusCode": status,
    }


class CobraEmulator(EmulatorServer):
    """The cobra CRM Cloud REST API (`/v1`) on loopback: login, people, business cards, companies, touchpoints.

    State lives in `store` (a `CobraStore`: read it, or edit it as a cobra user would); `clock` stamps writes and
    expires tokens.

    Args:
        port: TCP port; 0 picks a free one.
        host: Address to bind.
        api_users: API e-mail → API key; default one user, `DEFAULT_API_EMAIL` / `DEFAULT_API_KEY`.
        tenant: The tenant id (`X-Cobra-TenantId`); default `DEFAULT_TENANT`.
        clock: The clock; default one that follows the wall clock.
        seed: Seed of the id and data generators (`seed_people`).
        token_lifetime: Seconds a bearer token lives.
        fault_seed: Seed of `faults.error_rate`'s random.
    """

    base_path = "/v1"

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        api_users: Mapping[str, str] | None = None,
        tenant: str = DEFAULT_TENANT,
        clock: Clock | None = None,
        seed: int = 0,
        token_lifetime: int = TOKEN_LIFETIME,
        fault_seed: int = 0,
    ) -> None:
        self.api_users: dict[str, str] = (
            dict(api_users) if api_users is not None else {DEFAULT_API_EMAIL: DEFAULT_API_KEY}
        )
        if not self.api_users:
            raise ValueError("the emulator needs at least one API user")
        super().__init__(port, host=host, fault_seed=fault_seed)
        self.tenant = tenant
        self.token_lifetime = token_lifetime
        self.store = CobraStore(clock=clock, seed=seed, lock=self.lock)
        self.clock: Clock = self.store.clock
        self.tokens: dict[str, Token] = {}
        self._public: set[Callable[[Request], Response]] = set()
        self._body_faults: list[_Countdown] = []
        self._body_lock = threading.Lock()
        self._local = threading.local()
        self._register_routes()

    @property
    def api_email(self) -> str:
        """The first API user's e-mail."""
        return next(iter(self.api_users))

    @property
    def api_key(self) -> str:
        """The first API user's key."""
        return self.api_users[self.api_email]

    def login(self, email: str | None = None) -> str:
        """Issue a bearer token for an API user (default the first) without an HTTP round trip."""
        with self.lock:
            return self._issue(email or self.api_email)

    def revoke_tokens(self) -> None:
        """Forget every issued token: requests with them get 401."""
        with self.lock:
            self.tokens.clear()

    def headers(self, token: str | None = None) -> dict[str, str]:
        """Every header a CRM call needs (logging in when `token` is None)."""
        return {
            "Authorization": f"Bearer {token or self.login()}",
            "X-Cobra-TenantId": self.tenant,
            "X-Integration-Name": "crmdesk",
            "X-Integration-Provider": "crmdesk",
        }

    def seed_people(self, n: int, *, companies: int = 0, touchpoints: int = 0) -> list[str]:
        """Add `companies` companies, `n` people with business cards, `touchpoints` touchpoints; the person ids."""
        return self.store.seed_people(n, companies=companies, touchpoints=touchpoints)

    def seed_companies(self, k: int) -> list[str]:
        """Add `k` realistic companies; their ids."""
        return self.store.seed_companies(k)

    def body_status_faults(
        self, n: int, *, status: int = 500, path: str | None = None, methods: Iterable[str] | None = None
    ) -> None:
        """Answer the next `n` matching requests HTTP 200 with an error envelope (`statusCode` = `status`),
        without executing them; `path` is a full URL path prefix (e.g. "/v1/people")."""
        wanted = None if methods is None else frozenset(m.upper() for m in methods)
        with self._body_lock:
            self._body_faults = [_Countdown(n, status, path, wanted)]

    # -- request pipeline ------------------------------------------------------------------------------------

    def _issue(self, email: str) -> str:
        now = self.clock.now()
        expires = now + timedelta(seconds=self.token_lifetime)

        def part(obj: Mapping[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

        claims = {
            "sub": email,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "tid": self.tenant,
            "jti": secrets.token_hex(8),
        }
        token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(32)}"
        self.tokens[token] = Token(email, now, expires)
        return token

    def _token(self, text: str) -> Token | None:
        found = self.tokens.get(text)
        if found is None or self.clock.now() >= found.expires:
            return None
        return found

    def authenticate(self, request: Request) -> Token:
        """The bearer token, then the tenant and integration headers.

        Raises:
            CobraError: 401 for a missing/unknown/expired token, 403 for the tenant, 400 for integration headers.
        """
        scheme, _, text = request.headers.get("authorization", "").partition(" ")
        token = self._token(text.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise CobraError(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        tenant = request.headers.get("x-cobra-tenantid", "").strip()
        if not tenant:
            raise CobraError(403, "tenant_missing")
        if tenant.lower() != self.tenant.lower():
            raise CobraError(403, "tenant_unknown", {"tenant": tenant})
        for header in ("X-Integration-Name", "X-Integration-Provider"):
            if not request.headers.get(header.lower(), "").strip():
                raise CobraError(400, "header_missing", {"header": header})
        return token

    def fault_body(self, status: int) -> Any:
        """The envelope of a fault answer, in the request's language."""
        key = {429: "too_many_requests", 503: "service_unavailable"}.get(status, "server_error")
        return envelope(None, status, message=translate(key, getattr(self._local, "lang", "en")))

    def respond(self, request: Request) -> Response | None:
        """Remember the request's language for `fault_body`, then answer as the base server does."""
        self._local.lang = language(request.headers)
        response = super().respond(request)
        if response is None:
            return None
        headers = (*response.headers, ("Content-Language", self._local.lang))
        return Response(response.status, response.body, headers, response.content_type)

    def _take_body_fault(self, request: Request) -> int | None:
        with self._body_lock:
            for countdown in self._body_faults:
                if countdown.remaining <= 0:
                    continue
                if countdown.path is not None and not request.path.startswith(countdown.path):
                    continue
                if countdown.methods is not None and request.method not in countdown.methods:
                    continue
                countdown.remaining -= 1
                return countdown.status
        return None

    def _route(self, request: Request) -> Response:
        lang = language(request.headers)
        status = self._take_body_fault(request)
        if status is not None:
            return json_response(self.fault_body(status), 200)
        try:
            try:
                handler, params = self.router.resolve(request.method, request.path)
            except HttpError as exc:
                if exc.status == 405:
                    raise CobraError(
                        405, "method_not_allowed", {"method": request.method}, headers=exc.headers
                    ) from exc
                raise CobraError(404, "route_not_found") from exc
            with self.lock:
                principal = None if handler in self._public else self.authenticate(request)
                return handler(replace(request, params=params, principal=principal))
        except CobraError as exc:
            return json_response(exc.envelope(lang), exc.status, headers=exc.headers)
        except HttpError as exc:
            message = str(exc.body.get("message", ""))
            return json_response(envelope(None, exc.status, message=message), exc.status, headers=exc.headers)
        except Exception as exc:  # an emulator bug: answer like a server would, keep it for the fixture
            self.errors.append(exc)
            return json_response(self.fault_body(500), 500)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _ok(self, data: Any, status: int = 200, *, meta: Mapping[str, Any] | None = None) -> Response:
        if isinstance(data, list) and meta is None:
            meta = {"totalResults": len(data), "responseTimeStamp": iso(self.clock.now())}
        return json_response(envelope(data, status, meta=meta), status)

    @staticmethod
    def _body(request: Request) -> Any:
        try:
            return request.json()
        except HttpError as exc:
            raise CobraError(400, "invalid_json") from exc

    def _page(
        self,
        kind: str,
        request: Request,
        records: Iterable[Record],
        render: Callable[[Any], dict[str, Any]],
    ) -> Response:
        errors = Errors()
        page = _int_arg(request, "page", 1, 1, None, errors)
        size = _int_arg(request, "pageSize", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE, errors)
        sort = (request.arg("sort") or "dateModified").strip() or "dateModified"
        name = sort.removeprefix("-")
        if name not in SORTABLE[kind]:
            errors.add("sort", "sort_invalid", sort=sort)
        since_text = request.arg("modifiedSince")
        since = None
        if since_text is not None and since_text.strip():
            try:
                since = parse_instant(since_text)
            except ValueError:
                errors.add("modifiedSince", "datetime")
        errors.raise_if_any()
        chosen = sorted((r for r in records if since is None or r.modified > since), key=lambda r: r.seq)
        descending = sort.startswith("-")
        if name in ("dateModified", "dateCreate"):
            chosen.sort(key=lambda r: r.modified if name == "dateModified" else r.created, reverse=descending)
            rows = [render(r) for r in chosen[(page - 1) * size : page * size]]
        else:
            rendered = [render(r) for r in chosen]
            rendered.sort(key=lambda row: _sortable(row.get(name)), reverse=descending)
            rows = rendered[(page - 1) * size : page * size]
        meta = {"totalResults": len(chosen), "page": page, "pageSize": size, "responseTimeStamp": iso(self.clock.now())}
        return self._ok(rows, meta=meta)

    # -- routes ----------------------------------------------------------------------------------------------

    def _add(self, method: str, template: str, handler: Callable[[Request], Response], *, public: bool = False) -> None:
        self.router.add(method, template, handler)
        if public:
            self._public.add(handler)

    def _register_routes(self) -> None:
        add = self._add
        add("POST", "/auth/token", self._h_token, public=True)
        add("POST", "/auth/introspect", self._h_introspect, public=True)
        add("GET", "/auth/oauth2/configuration", self._h_oauth_config, public=True)
        for owner, names in LISTS.items():
            for name in names:
                base = f"/{owner}/management/{name}"
                add("GET", base, functools.partial(self._h_list_get, owner, name))
                add("POST", base, functools.partial(self._h_list_add, owner, name))
                add("DELETE", base + "/bulk", functools.partial(self._h_list_delete, owner, name, True))
                add("DELETE", base + "/{id}", functools.partial(self._h_list_delete, owner, name, False))
        self._people_routes()
        self._company_routes()
        self._touchpoint_routes()

    def _people_routes(self) -> None:
        add, s = self._add, self.store
        add("GET", "/people/filter", self._h_people_filter)
        add("POST", "/people/validate", lambda r: self._done(s.validate_person, self._body(r)))
        add("POST", "/people/merge/completed", lambda r: self._done(s.merge_completed, self._body(r)))
        add("POST", "/people/business-cards/validate", lambda r: self._done(s.validate_card, self._body(r)))
        add("POST", "/people/bulk", lambda r: self._ok(s.create_people(_array(self._body(r)), prefix=True), 201))
        add("PUT", "/people/bulk", self._h_people_bulk_update)
        add("DELETE", "/people/bulk", lambda r: self._done(s.delete_people, s.ids_body(self._body(r))))
        add("GET", "/people", self._h_people_list)
        add("POST", "/people", lambda r: self._ok(s.create_people([self._body(r)])[0], 201))
        one = "/people/{id}"
        add("GET", one, self._h_person)
        add("PUT", one, lambda r: self._ok(s.update_people([(r.params["id"], self._body(r))])[0]))
        add("DELETE", one, lambda r: self._done(s.delete_people, [r.params["id"]]))
        add("GET", one + "/quicklook", lambda r: self._ok(s.quicklook(r.params["id"])))
        for path, name in (
            ("note", "note"),
            ("orga-tags", "orgaTags"),
            ("personality-tags", "personalities"),
            ("lifecycle", "lifecycle"),
        ):
            add("PUT", f"{one}/{path}", functools.partial(self._h_person_field, name))
        cards = "/people/{pid}/business-cards"
        card = cards + "/{cid}"
        add("GET", cards, self._h_cards)
        add("POST", cards, lambda r: self._ok(s.create_card(r.params["pid"], self._body(r)), 201))
        add("DELETE", cards + "/bulk", lambda r: self._done(s.delete_cards, r.params["pid"], s.ids_body(self._body(r))))
        add("GET", card, lambda r: self._ok(self._card(r.params["cid"], r.params["pid"])))
        add("PUT", card, lambda r: self._ok(s.update_card(r.params["pid"], r.params["cid"], self._body(r))))
        add("DELETE", card, lambda r: self._done(s.delete_cards, r.params["pid"], [r.params["cid"]]))
        add(
            "PUT",
            card + "/company",
            lambda r: self._ok(s.connect_card(r.params["pid"], r.params["cid"], self._body(r))),
        )
        add("GET", card + "/vcard", self._h_vcard)
        add("POST", card + "/addresses", self._h_card_address)
        add("PUT", card + "/addresses/{aid}", self._h_card_address)
        add("DELETE", card + "/addresses/{aid}", self._h_card_address)
        add("GET", "/business-cards/{cid}", lambda r: self._ok(self._card(r.params["cid"], None)))

    def _company_routes(self) -> None:
        add, s = self._add, self.store
        add("GET", "/companies/domain/{domain}", lambda r: self._ok(s.company_by_domain(r.params["domain"])))
        add("POST", "/companies/validate", lambda r: self._ok(s.validate_company(self._body(r))))
        for kind in ("phones", "emails", "addresses"):
            add("POST", f"/companies/{kind}/validate", functools.partial(self._h_validate_entry, kind))
        add("POST", "/companies/tags/bulk", lambda r: self._done(s.bulk_tags, "companies", self._body(r), add=True))
        add("DELETE", "/companies/tags/bulk", lambda r: self._done(s.bulk_tags, "companies", self._body(r), add=False))
        add("DELETE", "/companies/bulk", lambda r: self._done(s.delete_companies, s.ids_body(self._body(r))))
        add("GET", "/companies", lambda r: self._page("companies", r, list(s.companies.values()), s.company_json))
        add("POST", "/companies", lambda r: self._ok(s.create_company(self._body(r)), 201))
        one = "/companies/{id}"
        add("GET", one, lambda r: self._ok(s.company_json(s.company(r.params["id"]))))
        add("PUT", one, lambda r: self._ok(s.update_company(r.params["id"], self._body(r))))
        add("DELETE", one, lambda r: self._done(s.delete_companies, [r.params["id"]]))
        for name in ("note", "tags", "lifecycle"):
            add(
                "PUT",
                f"{one}/{name}",
                functools.partial(lambda n, r: self._ok(s.set_company_field(r.params["id"], n, self._body(r))), name),
            )
        for kind in ("phones", "emails", "addresses"):
            add("POST", f"{one}/{kind}", functools.partial(self._h_company_entries, kind, "create"))
            add("PUT", f"{one}/{kind}", functools.partial(self._h_company_entries, kind, "update_many"))
            add("PUT", f"{one}/{kind}/{{eid}}", functools.partial(self._h_company_entries, kind, "update"))
            add("DELETE", f"{one}/{kind}/{{eid}}", functools.partial(self._h_company_entries, kind, "delete"))

    def _touchpoint_routes(self) -> None:
        add, s = self._add, self.store
        add("PUT", "/touchpoints/priority", self._h_bulk_priority)
        add("PUT", "/touchpoints/move", lambda r: self._done(s.move_touchpoints, self._body(r)))
        add("DELETE", "/touchpoints/bulk", lambda r: self._done(s.delete_touchpoints, s.ids_body(self._body(r))))
        add("POST", "/touchpoints/validate", lambda r: self._ok(s.validate_touchpoint(self._body(r))))
        add("POST", "/touchpoints/tags/bulk", lambda r: self._done(s.bulk_tags, "touchpoints", self._body(r), add=True))
        add(
            "DELETE",
            "/touchpoints/tags/bulk",
            lambda r: self._done(s.bulk_tags, "touchpoints", self._body(r), add=False),
        )
        add("GET", "/touchpoints", self._h_touchpoint_list)
        add("POST", "/touchpoints", lambda r: self._ok(s.write_touchpoint(None, self._body(r)), 201))
        one = "/touchpoints/{id}"
        add("GET", one, lambda r: self._ok(s.touchpoint_json(s.touchpoint(r.params["id"]))))
        add("PUT", one, lambda r: self._ok(s.write_touchpoint(r.params["id"], self._body(r))))
        add("DELETE", one, lambda r: self._done(s.delete_touchpoints, [r.params["id"]]))
        add(
            "DELETE",
            one + "/people/{pid}",
            lambda r: self._ok(s.remove_touchpoint_person(r.params["id"], r.params["pid"])),
        )
        add("PUT", one + "/priority", functools.partial(self._h_touchpoint_field, "priority"))
        add("PUT", one + "/mood", functools.partial(self._h_touchpoint_field, "mood"))

    # -- handlers --------------------------------------------------------------------------------------------

    def _done(self, action: Callable[..., None] | None = None, *args: Any, **kwargs: Any) -> Response:
        """Run `action(*args, **kwargs)`, then answer `data: true`."""
        if action is not None:
            action(*args, **kwargs)
        return self._ok(True)

    def _h_token(self, request: Request) -> Response:
        body = _form_or_json(request)
        errors = Errors()
        if body is None:
            errors.add("body", "type_object")
            errors.raise_if_any()
        assert body is not None
        username = errors.string("username", body.get("username"), required=True, limit=None)
        password = errors.string("password", body.get("password"), required=True, limit=None)
        errors.raise_if_any()
        assert username is not None and password is not None
        email = next((e for e in self.api_users if e.casefold() == username.strip().casefold()), None)
        if email is None or not secrets.compare_digest(self.api_users[email].encode(), password.encode()):
            raise CobraError(401, "bad_credentials")
        token = {"access_token": self._issue(email), "token_type": "Bearer", "expires_in": self.token_lifetime}
        return json_response(token | envelope(dict(token)))

    def _h_introspect(self, request: Request) -> Response:
        body = _form_or_json(request) or {}
        text = body.get("token")
        token = self._token(text) if isinstance(text, str) else None
        info: dict[str, Any] = {"active": False}
        if token is not None:
            info = {"active": True, "exp": int(token.expires.timestamp()), "iat": int(token.issued.timestamp())}
            info |= {"sub": token.email, "client_id": token.email, "scope": "crm.api", "token_type": "Bearer"}
        return json_response(info | envelope(dict(info)))

    def _h_oauth_config(self, request: Request) -> Response:
        return self._ok(
            {
                "configurationUrl": "https://login.cobra.de/.well-known/openid-configuration",
                "clientId": "crm-cloud-public",
            }
        )

    def _h_list_get(self, owner: str, name: str, request: Request) -> Response:
        return self._ok(self.store.list_entries(owner, name))

    def _h_list_add(self, owner: str, name: str, request: Request) -> Response:
        return self._ok(self.store.add_list_entries(owner, name, self._body(request)), 201)

    def _h_list_delete(self, owner: str, name: str, bulk: bool, request: Request) -> Response:
        ids = self.store.ids_body(self._body(request)) if bulk else [request.params["id"]]
        self.store.delete_list_entries(owner, name, ids)
        return self._done()

    def _with_cards(self, request: Request) -> bool:
        names = {n.strip() for n in (request.arg("include") or "").split(",")}
        return "businessCards" in names

    def _h_people_list(self, request: Request) -> Response:
        cards = self._with_cards(request)
        return self._page(
            "people", request, list(self.store.people.values()), lambda p: self.store.person_json(p, cards=cards)
        )

    def _h_people_filter(self, request: Request) -> Response:
        cards = self._with_cards(request)
        found = self.store.filter_people(
            request.arg("email"), request.arg("employeeStatus"), request.arg("customerNumber")
        )
        return self._page("people", request, found, lambda p: self.store.person_json(p, cards=cards))

    def _h_person(self, request: Request) -> Response:
        rec = self.store.person(request.params["id"])
        return self._ok(self.store.person_json(rec, cards=self._with_cards(request)))

    def _h_people_bulk_update(self, request: Request) -> Response:
        items = _array(self._body(request))
        errors = Errors()
        pairs = []
        for i, item in enumerate(items):
            obj = errors.obj(f"[{i}]", item)
            person_id = errors.string(f"[{i}].id", obj.get("id"), required=True) if obj is not None else None
            pairs.append((person_id or "", item))
        errors.raise_if_any()
        return self._ok(self.store.update_people(pairs, prefix=True))

    def _h_person_field(self, name: str, request: Request) -> Response:
        return self._ok(self.store.set_person_field(request.params["id"], name, self._body(request)))

    def _card(self, card_id: str, person_id: str | None) -> dict[str, Any]:
        return self.store.card_json(self.store.card(card_id, person_id))

    def _h_cards(self, request: Request) -> Response:
        person: Person = self.store.person(request.params["pid"])
        return self._ok([self.store.card_json(c) for c in person.cards])

    def _h_vcard(self, request: Request) -> Response:
        filename, text = self.store.vcard(request.params["pid"], request.params["cid"])
        ascii_name = filename.encode("ascii", "ignore").decode()
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
        return Response(200, text.encode(), (("Content-Disposition", disposition),), "text/vcard; charset=utf-8")

    def _h_card_address(self, request: Request) -> Response:
        p = request.params
        delete = request.method == "DELETE"
        body = None if delete else self._body(request)
        data = self.store.card_address(p["pid"], p["cid"], p.get("aid"), body, delete=delete)
        return self._ok(data, 201 if request.method == "POST" else 200)

    def _h_validate_entry(self, kind: str, request: Request) -> Response:
        return self._done(self.store.validate_entry, kind, self._body(request))

    def _h_company_entries(self, kind: str, mode: str, request: Request) -> Response:
        body = None if mode == "delete" else self._body(request)
        data = self.store.company_entries(request.params["id"], kind, request.params.get("eid"), body, mode=mode)
        return self._ok(data, 201 if mode == "create" else 200)

    def _h_touchpoint_list(self, request: Request) -> Response:
        records: list[Record] = list(self.store.touchpoints.values())
        for arg, key in (("peopleId", "people"), ("companyId", "companies")):
            wanted = request.arg(arg)
            if wanted:
                records = [r for r in records if wanted in r.data[key]]
        kind = request.arg("type")
        if kind:
            records = [r for r in records if r.data["type"] == kind]
        return self._page("touchpoints", request, records, self.store.touchpoint_json)

    def _h_touchpoint_field(self, name: str, request: Request) -> Response:
        body = self._body(request)
        value = body.get(name) if isinstance(body, dict) else None
        if not isinstance(body, dict):
            raise CobraError(400, "validation_failed", errors=[FieldError("body", "type_object")])
        self.store.set_touchpoints([request.params["id"]], name, value, field_name=name)
        return self._ok(self.store.touchpoint_json(self.store.touchpoint(request.params["id"])))

    def _h_bulk_priority(self, request: Request) -> Response:
        body = self._body(request)
        ids = self.store.ids_body(body)
        self.store.set_touchpoints(ids, "priority", cast(dict[str, Any], body).get("priority"), field_name="priority")
        return self._done()


# -- module helpers --------------------------------------------------------------------------------------------


def _int_arg(request: Request, name: str, default: int, low: int, high: int | None, errors: Errors) -> int:
    text = request.arg(name)
    if text is None or not text.strip():
        return default
    text = text.strip()
    if not re.fullmatch(r"-?\d+", text):
        errors.add(name, "type_integer")
        return default
    value = int(text)
    if value < low or (high is not None and value > high):
        errors.add(name, "range", min=low, max=high if high is not None else "∞")
        return default
    return value


def _sortable(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).casefold())


def _array(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise CobraError(400, "validation_failed", errors=[FieldError("body", "type_array")])
    if not body:
        raise CobraError(400, "validation_failed", errors=[FieldError("body", "min_items", {"min": 1})])
    return body


def _form_or_json(request: Request) -> dict[str, Any] | None:
    """A JSON object body, or a form-encoded one (last value per name); None for anything else."""
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in form.items()}
    try:
        body = request.json()
    except HttpError as exc:
        raise CobraError(400, "invalid_json") from exc
    return body if isinstance(body, dict) else None


# -- command line ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The cobra sub-command's own options."""
    parser.add_argument("--api-email", default=DEFAULT_API_EMAIL, help=f"API user e-mail (default {DEFAULT_API_EMAIL})")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help=f"API key (default {DEFAULT_API_KEY})")
    parser.add_argument("--tenant", default=DEFAULT_TENANT, help=f"tenant id (default {DEFAULT_TENANT})")
    parser.add_argument("--token-lifetime", type=int, default=TOKEN_LIFETIME, help="bearer lifetime in seconds")
    parser.add_argument("--seed-companies", type=int, default=None, help="companies to seed (default people / 10)")
    parser.add_argument("--seed-touchpoints", type=int, default=None, help="touchpoints to seed (default people)")


def build(args: argparse.Namespace) -> tuple[EmulatorServer, list[str]]:
    """The (not yet started) server from the parsed options, and the lines to print once it runs."""
    server = CobraEmulator(
        args.port,
        host=args.host,
        api_users={args.api_email: args.api_key},
        tenant=args.tenant,
        seed=args.seed,
        token_lifetime=args.token_lifetime,
    )
    companies = args.seed_companies if args.seed_companies is not None else args.seed_people // 10
    touchpoints = args.seed_touchpoints if args.seed_touchpoints is not None else args.seed_people
    server.seed_people(args.seed_people, companies=companies, touchpoints=touchpoints)
    lines = [
        f"cobra emulator: {server.api_url}",
        f"tenant: {args.tenant}",
        f"API user: {args.api_email}",
        f"API key: {args.api_key}",
        f"{args.seed_people} people, {companies} companies, {touchpoints} touchpoints",
        f"export CRMDESK_SECRET={args.api_key}",
        f'crmdesk account add "cobra demo" --kind cobra --url {server.api_url} --option tenant={args.tenant} '
        f"--option user={args.api_email} --secret-env CRMDESK_SECRET",
    ]
    return server, lines
