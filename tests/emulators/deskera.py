"""Deskera CRM emulator: the contacts, labels and activities API of crm-apis/deskera.md on loopback, state in memory.

Written from deskera.md only; its own [assumed] rows are implemented as written (400/401/404 bodies, paging
defaults, substring filters, PUT = replace, PATCH = fields present, permanent deletes, `updated_at` on every
write). The account URL is the host (`api_url` == `url`, e.g. "http://127.0.0.1:PORT"); paths are `/v1/crm/...`.
Where the document is silent the emulator chooses; every choice is listed here and is part of the contract a
connector may rely on:

[assumed] choices of this emulator
- Order of checks: route (unknown path → 404 `{"message": "Not found."}`, wrong method → 405 with `Allow`), then
  `x-access-token` (missing/unknown → 401 `{"message": "Unauthorized"}`; every token is user 17826 "Max Roth" of
  tenant 23312 and may do everything), then the handler. Bodies are JSON; a request `Content-Type` is not checked.
- Every 400 has the body `{"message": "Invalid request body"}`: malformed JSON, a body of the wrong shape, a field of
  the wrong JSON type, a bad enum, a missing/blank `name`, unknown referenced ids, and bad query parameters (unknown
  `sort`/`sortBy` key, `order`/`sortDir` other than ASC/DESC, bad `type`, `contains_email`, `contact_ids`, `query`).
  Nothing is stored when a request is refused. Unknown body keys and read-only fields are ignored.
- Integer fields take JSON integers or digit strings; string fields take strings or null; booleans must be JSON
  booleans (null = false). Strings are stored as sent (no trimming); e-mail and phone formats are not checked.
- Ids are integers: contacts from 1001, custom labels from 5 (1-4 are built in), activities from 1. A non-numeric
  or unknown id in a path → 404 `{"message": "Record not found"}`.
- Times: contacts and labels `"2024-10-11T13:20:02.480212Z"` (UTC, 6 digits). Activities show `start`, `end`,
  `created_at`, `updated_at` in the activity's `user_timezone` with its offset, 6 digits
  (`"2024-10-10T11:15:00.000000+02:00"`; zone "UTC" → `+00:00`). Writes take strictly increasing times from a
  controllable `Clock`, so `updated_at` differs on every write, even one that changes nothing.
- Contacts, write: POST → 200 with the full Contact. PUT and PATCH → 201 with the full Contact (deskera.md
  documents no body; a connector may ignore it). DELETE → 200 `{"id": <id>}`. `type` defaults to "person" and is
  fixed at create (a different `type` on PUT/PATCH → 400). `name` is required on POST and PUT, and may not be
  blanked by PATCH. PUT resets every absent writable field to its default: strings null (`note` ""), `label_id` 1
  ("No label"), `owner_id` the caller (17826; must be 17826 or 17827), `sub_owner_ids` [], `visibility_type` "team"
  (private|public|team), `organization_id` null, `custom_field` []. `label_id` null also means 1; an unknown
  `label_id` → 400.
- `organization_id` (persons only) must name an existing organization (else 400); on organizations it is ignored
  and always null. `organization_name`, `person_names`, `persons` are read-side only (ignored on write).
  `person_ids` on an organization's POST/PUT/PATCH, when present and not null, sets exactly which persons point at
  it (unknown or non-person ids → 400); absent or null leaves the links alone, even on PUT. Every change of a
  person's `organization_id` (also by `person_ids` or by deleting its organization) gives that person a new
  `updated_at`.
- Read model: the §3.2 fields plus `organization_name` (the linked organization's name, else null), `person_ids`,
  `person_names` and `persons` `[{id, name, email}]` (organizations: their persons in id order; persons: []),
  `organization` always `{}`, `label` `{id, name}` always set, `owner_details` of the owner, `deal_details` and
  `sub_owner_details` null, `view_only` false, `logo`.
- `custom_field` entries `{code, label, value, module, shortName}`: an entry needs `shortName` or `code`; the first
  time a shortName is seen it gets a code "D-0000013", "D-0000014", …; later entries match by code, else by
  shortName. `value` is a JSON scalar stored as sent. PUT/POST replace the list; PATCH merges per code (an entry
  replaces the one with its code, new ones are appended). `c_field` = {shortName: value}. No query filters on them.
- Deleting a contact removes it from every activity's `contact_ids`/`organization_ids` (activity `updated_at`
  unchanged).
- `GET /v1/crm/contacts`: `{"data": [...], "paginationInfo": {"page": <page>, "totalRecords": <matches>}}`.
  `page` < 1 or not a number → 1; `limit` < 1 or not a number → 20, above 100 → 100. Filters are ANDed and
  case-insensitive: `search` substring of name, email or phone; `name`, `email`, `phone` substrings; `type`
  exact; `contact_ids` comma list (repeatable); `contains_email=true` → only contacts with a non-empty email
  (`false` → no filter). Sort keys: id, name, email, phone, country_code, address, type, label_id, owner_id,
  organization_id, created_at, updated_at (`sort`, else `orderBy`, else `order_by`); default id. `order` ASC
  (default) | DESC, any case. Ties by id ascending; nulls first ascending. `columns` (repeatable and/or comma list)
  keeps only those keys plus `id` (unknown names ignored). `action` is ignored.
- `POST /v1/crm/contacts/multiple` `{"contact_ids": [int]}` → 200 array of Contact in the order asked, unknown ids
  left out, duplicates once. `PATCH /v1/crm/contacts` (bulk) `{"ids": [int] (non-empty), label_id?, owner_id?,
  visibility_type?, visibility_ids?}` → 201 `{"ids": [...]}`; an unknown id → 404 and nothing changes.
- Labels: `{id, name, color, icon, owner_id, tenant_id}`; list in id order. POST → 201 `{"id": "<id as string>"}`;
  PUT replaces name/color/icon/owner_id (absent color/icon → null, owner_id → caller) → 201 with the label; DELETE
  → 200 `{"id": <id>}`. `name` required; names are unique case-insensitively (duplicate → 400). Label 1 cannot be
  deleted (400). Built-in 1 "No label" has color "grey", icon "label_off". Deleting a label moves its contacts to
  label 1 without changing their `updated_at`.
- Activities, write: `name`, `activity_type` and `start` required; `end` defaults to `start`, before `start` → 400.
  `start`/`end` take ISO 8601 (`Z`, offset, or naive = UTC). `notes` must be base64 of UTF-8 (else 400); reads
  return the decoded text (null/"" → ""). `user_timezone` an IANA zone, default "UTC" (unknown → 400).
  `contact_ids` must be persons, `organization_ids` organizations, `assignee_ids` users 17826/17827 (else 400);
  `linked_to` any integer or null (deals are not emulated, `deal_details` null). `visibility_type` default "team".
  POST → 201 `{"id": n}`; PUT replaces every field (absent → default) → 200 `{"id": n}`; DELETE → 204, empty body;
  deleted activities are gone (404), so `is_deleted` is always false. `duration` "1h 21m" / "20m" / "0m".
  Read-only: `owner_id` = creator, `source` "API", `source_id` null, `contact_details [{id, name, email}]`,
  `organization_details [{id, name}]`, `assignee_details` (user objects).
- `PATCH /v1/crm/activities/bulkUpdate` `{ids (non-empty), visibility_type?, is_status?}` → 200 `{"ids": [...]}`,
  unknown id → 404 and nothing changes. `POST /v1/crm/activities/bulkDelete` bare array of ids → 204; unknown ids
  are skipped; a body that is not an array of integers → 400.
- `GET /v1/crm/activities`: `{"data": [...], "paginationInfo": {"page", "totalRecords", "isZeroState"}}`;
  `isZeroState` is true when the account has no activities at all (filters aside). `page` as for contacts;
  `pageSize` default 10, above 100 → 100. `sortBy` default created_at; `sortDir` default DESC; ties by id in the
  same direction. `query` conditions `key<op>value`, operators `=` and `!=` for all keys, also `>`, `>=`, `<`,
  `<=` for `date`; keys name (substring, any case), contact_id, organization_id, assignee_id (membership),
  deal_id (`linked_to`), date (epoch seconds vs `start`), activityType, is_status (true|false), source (any case),
  source_id. Unknown key, bad operator or value → 400.
- Token handling (deskera.md §2): `GET /v1/iam/token/app/validate` → 200 `{"valid": true, "user_id": 17826,
  "tenant_id": 23312}` or 401. `POST /oauth/token` (also `/v2/oauth/token`) with `Authorization: Basic
  base64(client_id:client_secret)` (else 401) and `grant_type` in the query (or a form body):
  `authorization_code` with a `code` from `issue_code()` (single use) or `refresh_token` with a known refresh
  token → 200 `{"access_token", "token_type": "bearer", "refresh_token", "expires_in": 0}`; a refresh keeps the
  refresh token and older access tokens valid. Anything else → 400. `revoke_token()` makes a token answer 401.
- Fault answers: 429 `{"message": "Too Many Requests"}` + `Retry-After`; 500 `{"message": "Internal Server
  Error"}`; 503 `{"message": "Service Unavailable"}`.
- Not emulated: deals, users, custom-field definitions, visibility/permission checks, real rate limits.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final, cast
from urllib.parse import parse_qs

from .base import Clock, EmulatorServer, HttpError, Request, Response, json_response
from .deskera_model import (
    ACTIVITY_TYPES,
    CONTACT_SCALARS,
    CONTACT_TYPES,
    OWNER_ID,
    TENANT_ID,
    DeskeraStore,
    Record,
    bad_request,
    epoch,
)

DEFAULT_TOKEN: Final = "deskera-test-token"
DEFAULT_CLIENT_ID: Final = "deskera-client"
DEFAULT_CLIENT_SECRET: Final = "deskera-secret"
DEFAULT_REFRESH_TOKEN: Final = "deskera-refresh-token"
DEFAULT_LIMIT: Final = 20
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE: Final = 100
OAUTH_PATHS: Final = frozenset({"/oauth/token", "/v2/oauth/token"})
ACTIVITY_SORTS: Final = ("updated_at", "created_at", "start")
_CONDITION: Final = re.compile(r"\s*([A-Za-z_]+)\s*(>=|<=|!=|=|>|<)(.*)", re.DOTALL)
_ID_KEYS: Final = {
    "contact_id": "contact_ids",
    "organization_id": "organization_ids",
    "assignee_id": "assignee_ids",
    "deal_id": "linked_to",
}


def _body(request: Request) -> Any:
    """The JSON body (None when empty); malformed → 400 `{"message": "Invalid request body"}`."""
    try:
        return request.json()
    except HttpError as exc:
        raise bad_request() from exc


def _number(text: str | None, default: int) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else default


def _page(request: Request) -> int:
    return max(1, _number(request.arg("page"), 1))


def _size(text: str | None, default: int) -> int:
    size = _number(text, default)
    return default if size < 1 else min(size, MAX_PAGE)


def _direction(text: str | None, default: str) -> bool:
    """True for descending; ASC/DESC in any case, else 400."""
    value = (text or default).strip().upper()
    if value not in ("ASC", "DESC"):
        raise bad_request()
    return value == "DESC"


def _sortable(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, bool | int | float):
        return (1, value)
    if isinstance(value, datetime):
        return (3, value)
    return (2, str(value).casefold())


class DeskeraEmulator(EmulatorServer):
    """The Deskera CRM API (`/v1/crm`) on loopback: contacts (people and organizations), labels, activities.

    State lives in `store` (a `DeskeraStore`: read it, or edit it as a Deskera user would); `clock` stamps writes.

    Args:
        port: TCP port; 0 picks a free one.
        host: Address to bind.
        tokens: Accepted `x-access-token` values; default one, `DEFAULT_TOKEN`.
        clock: The clock writes are stamped with; default one that follows the wall clock.
        seed: Seed of the data generator (`seed_people`, `seed_organizations`, `seed_activities`).
        fault_seed: Seed of `faults.error_rate`'s random.
        client_id: OAuth client id of `/oauth/token`.
        client_secret: OAuth client secret of `/oauth/token`.
        refresh_token: The refresh token `/oauth/token` accepts.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        tokens: Iterable[str] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        fault_seed: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        refresh_token: str = DEFAULT_REFRESH_TOKEN,
    ) -> None:
        self.tokens: list[str] = list(tokens) if tokens is not None else [DEFAULT_TOKEN]
        if not self.tokens:
            raise ValueError("the emulator needs at least one token")
        super().__init__(port, host=host, fault_seed=fault_seed)
        self.store = DeskeraStore(clock=clock, seed=seed, lock=self.lock)
        self.clock: Clock = self.store.clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_tokens: set[str] = {refresh_token}
        self.auth_codes: set[str] = set()
        self._issued = 0
        self._register_routes()

    @property
    def token(self) -> str:
        """The first accepted token."""
        return self.tokens[0]

    def add_token(self, token: str) -> None:
        """Accept another access token."""
        with self.lock:
            if token not in self.tokens:
                self.tokens.append(token)

    def revoke_token(self, token: str) -> None:
        """Stop accepting `token` ("might become invalid from time to time"): 401 from now on."""
        with self.lock:
            if token in self.tokens:
                self.tokens.remove(token)

    def issue_code(self) -> str:
        """A new single-use authorization code for `grant_type=authorization_code`."""
        with self.lock:
            self._issued += 1
            code = f"deskera-code-{self._issued}"
            self.auth_codes.add(code)
            return code

    def seed_people(self, n: int, *, companies: int = 0) -> list[int]:
        """Add `companies` organizations, then `n` persons (about two in three linked to one); the person ids."""
        return self.store.seed_people(n, companies=companies)

    def seed_organizations(self, k: int) -> list[int]:
        """Add `k` realistic organizations; their ids."""
        return self.store.seed_organizations(k)

    seed_companies = seed_organizations

    def seed_activities(self, n: int) -> list[int]:
        """Add `n` activities on random persons; their ids."""
        return self.store.seed_activities(n)

    # -- request pipeline ------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> int | None:
        """The user id behind `x-access-token` (None on the OAuth token route).

        Raises:
            HttpError: 401 `{"message": "Unauthorized"}` without a known token.
        """
        if request.path.rstrip("/") in OAUTH_PATHS:
            return None
        if request.headers.get("x-access-token", "").strip() not in self.tokens:
            raise HttpError(401, "Unauthorized")
        return OWNER_ID

    def fault_body(self, status: int) -> Any:
        """The JSON body of an answer made up by a fault switch."""
        texts = {429: "Too Many Requests", 503: "Service Unavailable"}
        return {"message": texts.get(status, "Internal Server Error")}

    def _register_routes(self) -> None:
        add = self.router.add
        add("GET", "/v1/iam/token/app/validate", self._h_validate)
        for path in sorted(OAUTH_PATHS):
            add("POST", path, self._h_oauth_token)
        crm = "/v1/crm"
        add("GET", crm + "/contacts/labels", self._h_labels)
        add("POST", crm + "/contacts/labels", self._h_label_create)
        add("GET", crm + "/contacts/labels/{id}", self._h_label_show)
        add("PUT", crm + "/contacts/labels/{id}", self._h_label_update)
        add("DELETE", crm + "/contacts/labels/{id}", self._h_label_delete)
        add("POST", crm + "/contacts/multiple", self._h_contacts_multiple)
        add("GET", crm + "/contacts", self._h_contacts)
        add("POST", crm + "/contacts", self._h_contact_create)
        add("PATCH", crm + "/contacts", self._h_contacts_bulk)
        add("GET", crm + "/contacts/{id}", self._h_contact_show)
        add("PUT", crm + "/contacts/{id}", functools.partial(self._h_contact_update, "put"))
        add("PATCH", crm + "/contacts/{id}", functools.partial(self._h_contact_update, "patch"))
        add("DELETE", crm + "/contacts/{id}", self._h_contact_delete)
        add("PATCH", crm + "/activities/bulkUpdate", self._h_activities_bulk_update)
        add("POST", crm + "/activities/bulkDelete", self._h_activities_bulk_delete)
        add("GET", crm + "/activities", self._h_activities)
        add("POST", crm + "/activities", self._h_activity_create)
        add("GET", crm + "/activities/{id}", self._h_activity_show)
        add("PUT", crm + "/activities/{id}", self._h_activity_update)
        add("DELETE", crm + "/activities/{id}", self._h_activity_delete)

    # -- token -----------------------------------------------------------------------------------------------

    def _h_validate(self, request: Request) -> Response:
        return json_response({"valid": True, "user_id": request.principal, "tenant_id": TENANT_ID})

    def _h_oauth_token(self, request: Request) -> Response:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            pair = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, ValueError):
            pair = ""
        if scheme.lower() != "basic" or pair != f"{self.client_id}:{self.client_secret}":
            raise HttpError(401, "Unauthorized")
        args = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        args |= {k: v[-1] for k, v in request.query.items() if v}
        grant = args.get("grant_type")
        if grant == "authorization_code" and args.get("code") in self.auth_codes:
            self.auth_codes.discard(args["code"])
            self._issued += 1
            refresh = f"deskera-refresh-{self._issued}"
            self.refresh_tokens.add(refresh)
        elif grant == "refresh_token" and args.get("refresh_token") in self.refresh_tokens:
            refresh = args["refresh_token"]
        else:
            raise bad_request()
        self._issued += 1
        access = f"deskera-access-{self._issued}"
        self.tokens.append(access)
        return json_response(
            {"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": 0}
        )

    # -- labels ----------------------------------------------------------------------------------------------

    def _user(self, request: Request) -> int:
        return cast(int, request.principal)

    def _h_labels(self, request: Request) -> Response:
        return json_response(self.store.label_rows())

    def _h_label_create(self, request: Request) -> Response:
        rec = self.store.write_label(None, _body(request), self._user(request))
        return json_response({"id": str(rec.id)}, 201)

    def _h_label_show(self, request: Request) -> Response:
        return json_response(self.store.label_json(self.store.label(request.params["id"])))

    def _h_label_update(self, request: Request) -> Response:
        rec = self.store.write_label(request.params["id"], _body(request), self._user(request))
        return json_response(self.store.label_json(rec), 201)

    def _h_label_delete(self, request: Request) -> Response:
        return json_response({"id": self.store.delete_label(request.params["id"])})

    # -- contacts --------------------------------------------------------------------------------------------

    def _h_contact_show(self, request: Request) -> Response:
        return json_response(self.store.contact_json(self.store.contact(request.params["id"])))

    def _h_contact_create(self, request: Request) -> Response:
        rec = self.store.write_contact(None, _body(request), "create", self._user(request))
        return json_response(self.store.contact_json(rec))

    def _h_contact_update(self, mode: str, request: Request) -> Response:
        rec = self.store.write_contact(request.params["id"], _body(request), mode, self._user(request))
        return json_response(self.store.contact_json(rec), 201)

    def _h_contact_delete(self, request: Request) -> Response:
        return json_response({"id": self.store.delete_contact(request.params["id"], self._user(request))})

    def _h_contacts_bulk(self, request: Request) -> Response:
        return json_response({"ids": self.store.bulk_update_contacts(_body(request), self._user(request))}, 201)

    def _h_contacts_multiple(self, request: Request) -> Response:
        body = _body(request)
        ids = body.get("contact_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(
            (isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, str) and i.strip().isdigit())
            for i in ids
        ):
            raise bad_request()
        wanted = list(dict.fromkeys(int(i) for i in ids))
        people = self.store.people_by_organization()
        found = [self.store.contacts[i] for i in wanted if i in self.store.contacts]
        return json_response([self.store.contact_json(rec, people) for rec in found])

    def _h_contacts(self, request: Request) -> Response:
        filters = self._contact_filters(request)
        key = request.arg("sort") or request.arg("orderBy") or request.arg("order_by") or "id"
        if key not in CONTACT_SCALARS:
            raise bad_request()
        descending = _direction(request.arg("order"), "ASC")
        # Filter and sort light views of the records (their stored fields, id and datetimes); JSON for one page.
        views = (
            {**rec.data, "id": rec.id, "created_at": rec.created_at, "updated_at": rec.updated_at}
            for rec in sorted(self.store.contacts.values(), key=lambda r: r.id)
        )
        rows = [view for view in views if all(f(view) for f in filters)]
        if key != "id" or descending:  # a stable sort (also reversed): ties stay id-ascending
            rows.sort(key=lambda r: _sortable(r[key]), reverse=descending)
        page, limit = _page(request), _size(request.arg("limit"), DEFAULT_LIMIT)
        people = self.store.people_by_organization()
        chunk = [
            self.store.contact_json(self.store.contacts[row["id"]], people)
            for row in rows[(page - 1) * limit : page * limit]
        ]
        columns = {c.strip() for v in request.query.get("columns", []) for c in v.split(",") if c.strip()}
        if columns:
            chunk = [{k: v for k, v in row.items() if k in columns or k == "id"} for row in chunk]
        return json_response({"data": chunk, "paginationInfo": {"page": page, "totalRecords": len(rows)}})

    @staticmethod
    def _contact_filters(request: Request) -> list[Callable[[dict[str, Any]], bool]]:
        filters: list[Callable[[dict[str, Any]], bool]] = []

        def contains(keys: tuple[str, ...], needle: str) -> Callable[[dict[str, Any]], bool]:
            folded = needle.casefold()
            return lambda row: any(folded in str(row[k] or "").casefold() for k in keys)

        if request.arg("search"):
            filters.append(contains(("name", "email", "phone"), cast(str, request.arg("search"))))
        for key in ("name", "email", "phone"):
            if request.arg(key):
                filters.append(contains((key,), cast(str, request.arg(key))))
        kind = request.arg("type")
        if kind:
            if kind not in CONTACT_TYPES:
                raise bad_request()
            filters.append(lambda row: row["type"] == kind)
        texts = [t.strip() for v in request.query.get("contact_ids", []) for t in v.split(",") if t.strip()]
        if texts:
            if not all(t.isdigit() for t in texts):
                raise bad_request()
            wanted = {int(t) for t in texts}
            filters.append(lambda row: row["id"] in wanted)
        has_email = (request.arg("contains_email") or "").strip().lower()
        if has_email not in ("", "true", "false"):
            raise bad_request()
        if has_email == "true":
            filters.append(lambda row: bool(row["email"]))
        return filters

    # -- activities ------------------------------------------------------------------------------------------

    def _h_activity_show(self, request: Request) -> Response:
        return json_response(self.store.activity_json(self.store.activity(request.params["id"])))

    def _h_activity_create(self, request: Request) -> Response:
        rec = self.store.write_activity(None, _body(request), self._user(request))
        return json_response({"id": rec.id}, 201)

    def _h_activity_update(self, request: Request) -> Response:
        rec = self.store.write_activity(request.params["id"], _body(request), self._user(request))
        return json_response({"id": rec.id})

    def _h_activity_delete(self, request: Request) -> Response:
        rec = self.store.activity(request.params["id"])
        self.store.delete_activities([rec.id])
        return Response(204)

    def _h_activities_bulk_update(self, request: Request) -> Response:
        return json_response({"ids": self.store.bulk_update_activities(_body(request), self._user(request))})

    def _h_activities_bulk_delete(self, request: Request) -> Response:
        body = _body(request)
        if not isinstance(body, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in body):
            raise bad_request()
        self.store.delete_activities(body)
        return Response(204)

    def _h_activities(self, request: Request) -> Response:
        sort_by = request.arg("sortBy") or "created_at"
        if sort_by not in ACTIVITY_SORTS:
            raise bad_request()
        descending = _direction(request.arg("sortDir"), "DESC")
        predicates = [_condition(part) for part in (request.arg("query") or "").split(",") if part.strip()]
        everything = list(self.store.activities.values())
        rows = [rec for rec in everything if all(p(rec) for p in predicates)]

        def key(rec: Record) -> tuple[Any, ...]:
            value = rec.data["start"] if sort_by == "start" else getattr(rec, sort_by)
            return (value, rec.id)

        rows.sort(key=key, reverse=descending)
        page, size = _page(request), _size(request.arg("pageSize"), DEFAULT_PAGE_SIZE)
        chunk = [self.store.activity_json(rec) for rec in rows[(page - 1) * size : page * size]]
        info = {"page": page, "totalRecords": len(rows), "isZeroState": not everything}
        return json_response({"data": chunk, "paginationInfo": info})


def _condition(text: str) -> Callable[[Record], bool]:
    """One `query` condition of `GET /activities` as a predicate; 400 when it is not understood."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise bad_request()
    key, op, value = match.group(1), match.group(2), match.group(3).strip()
    if key == "date":
        return _date_condition(op, value)
    if op not in ("=", "!="):
        raise bad_request()
    test = _equality(key, value)
    if op == "=":
        return test
    return lambda rec: not test(rec)


def _date_condition(op: str, value: str) -> Callable[[Record], bool]:
    try:
        bound = float(value)
    except ValueError as exc:
        raise bad_request() from exc
    compare: dict[str, Callable[[float], bool]] = {
        "=": lambda t: int(t) == int(bound), "!=": lambda t: int(t) != int(bound), ">": lambda t: t > bound,
        ">=": lambda t: t >= bound, "<": lambda t: t < bound, "<=": lambda t: t <= bound,
    }  # fmt: skip
    return lambda rec: compare[op](epoch(rec.data["start"]))


def _equality(key: str, value: str) -> Callable[[Record], bool]:
    """The `=` test of a non-date `query` key."""
    if key == "name":
        needle = value.casefold()
        return lambda rec: needle in rec.data["name"].casefold()
    if key in _ID_KEYS:
        if not value.isdigit():
            raise bad_request()
        name, wanted = _ID_KEYS[key], int(value)
        return lambda rec: wanted in (rec.data[name] if isinstance(rec.data[name], list) else [rec.data[name]])
    if key == "activityType":
        if value not in ACTIVITY_TYPES:
            raise bad_request()
        return lambda rec: rec.data["activity_type"] == value
    if key == "is_status":
        if value.lower() not in ("true", "false"):
            raise bad_request()
        flag = value.lower() == "true"
        return lambda rec: rec.data["is_status"] is flag
    if key == "source":  # every activity here came through the API
        return lambda rec: value.casefold() == "api"
    if key == "source_id":  # `source_id` is always null
        return lambda rec: False
    raise bad_request()


# -- command line ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The Deskera emulator's own options of `python -m tests.emulators deskera`."""
    parser.add_argument(
        "--token", action="append", help=f"accepted x-access-token, repeatable (default {DEFAULT_TOKEN})"
    )
    parser.add_argument("--seed-companies", type=int, default=None, help="organizations to seed (default people / 10)")
    parser.add_argument("--seed-activities", type=int, default=None, help="activities to seed (default people / 2)")


def build(args: argparse.Namespace) -> tuple[EmulatorServer, list[str]]:
    """The (not yet started) emulator from the parsed options, seeded, and the lines to print once it runs."""
    tokens = args.token or [DEFAULT_TOKEN]
    server = DeskeraEmulator(args.port, host=args.host, tokens=tokens, seed=args.seed)
    companies = args.seed_companies if args.seed_companies is not None else args.seed_people // 10
    activities = args.seed_activities if args.seed_activities is not None else args.seed_people // 2
    server.seed_people(args.seed_people, companies=companies)
    server.seed_activities(activities)
    lines = [f"Deskera emulator: {server.api_url} (paths /v1/crm/...)", *(f"token: {t}" for t in tokens)]
    lines.append(f"{args.seed_people} persons, {companies} organizations, {activities} activities")
    lines.append(f"export CRMDESK_SECRET={tokens[0]}")
    lines.append(
        f'crmdesk account add "deskera demo" --kind deskera --url {server.api_url} --secret-env CRMDESK_SECRET'
    )
    return server, lines
