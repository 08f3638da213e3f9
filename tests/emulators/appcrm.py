"""appcrm emulator: the App CRM API of crm-apis/appcrm.md (`/api`) on loopback, state in memory.

Written from appcrm.md only; its own [assumed] rows are implemented as written. Where the document is silent the
emulator chooses; every choice is listed here and is part of the contract a connector may rely on:

[assumed] choices of this emulator
- Order of checks per request: route (404 `{"message": "Not found."}` / 405), rate limit (429), `Referer`/`Origin`
  (419 `{"message": "CSRF token mismatch."}` on every method, GET included), bearer token (401
  `{"message": "Unauthenticated."}`; scheme case-insensitive), then the handler. Every token has every permission
  (no 403).
- Rate limit: a Laravel-style fixed window per token (per "guest" for unknown tokens) of `rate_limit` requests
  (default 60) that opens with its first request and lasts 60 s on the emulator clock. Every routed answer,
  errors included, carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`; a 429 (`{"message": "Too Many
  Attempts."}`) adds `Retry-After` (whole seconds left in the window, at least 1) and `X-RateLimit-Reset` (epoch);
  refused requests do not count. `rate_limit=None` switches the limit (and the headers) off.
- Input passes Laravel's TrimStrings/ConvertEmptyStringsToNull: strings are trimmed and "" becomes null. Integers
  may also be sent as digit strings. Unknown body keys are ignored, except custom fields.
- Custom fields are the body keys matching `cf_[a-z0-9_]{1,60}`; any JSON value is stored as sent and returned as
  a top-level key of the record; PUT merges per key.
- Reference data: users 1 (Admin) and 2, sources 1-3, industries 1-5, activity types 1-5 (3 = Task, the default),
  deals 1-3; `country_id` is an ISO 3166-1 numeric code (276 = Germany) from the emulator's country table.
  Unknown ids → 422 "The selected <field> is invalid.". `parent_company_id` may not be the company itself.
- E-mail must look like `local@domain.tld`. Phone `type` defaults to "other"; `number` required per phone. PUT
  with `phones` replaces the list and gives every phone a new id. Tags are matched by name case-insensitively;
  duplicates in one list collapse; unknown names are created with a swatch colour from a fixed palette.
- Company PUT may leave `name` out (contact PUT must carry `first_name`, as appcrm.md says).
- Read models: contacts add `deals [{id}]`; companies add `contacts [{id, display_name}]` and `deals [{id}]`;
  activities add `reminder_minutes_before` and `deals [{id}]`. Timestamps are whole seconds,
  `"…T13:20:02.000000Z"`. Link lists are in ascending id order.
- Lists: `per_page` default 15, above 100 → 100, < 1 or not a number → 15; `page` < 1 or not a number → 1; a
  page past the end is empty with `from`/`to` null. `links` keep the request's other query parameters.
  `order=field[|asc|desc]` on any top-level scalar field of the read model (else 422 on `order`); ties and the
  default order are by `id` ascending; nulls sort first ascending; strings compare case-insensitively.
  `select` keeps the named fields plus `id`. `q` filters lists too (as on `/search`).
- Search: default fields contacts `first_name;last_name;email;phones.number` and companies
  `name;email;domain;phones.number`, operator `like` (case-insensitive substring) or `=` (case-insensitive
  equality); `search_fields` naming another field → 422. `/search` without `q` → 422; `take` default 10, max 100.
- Associations routes answer 200 with the record; ids must exist (422 otherwise). Attach/detach/sync change the
  addressed record's `updated_at` only when a link changes. Body keys: contacts route `companies`, `deals`,
  `activities`; companies route `contacts`, `deals`, `activities`. Create/PUT with `companies` (contacts) or
  `contacts` (companies) replace that link set.
- Delete is permanent and removes the record's links and activity associations; child companies lose their
  `parent_company_id`.
- Activities: `due_date`/`end_date` take `YYYY-MM-DD` or a date-time (converted to UTC; the time part fills
  `due_time`/`end_time`); times are `HH:MM`. PUT `{"is_completed": true}` stamps `completed_at`, false clears it.
  `title`, `user_id`, `due_date` are required on create and may not be nulled by PUT.
- Not emulated: deals, tags, users, sources endpoints; webhooks; permissions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from .appcrm_model import AppcrmStore
from .base import Clock, EmulatorServer, HttpError, Request, Response, json_response

DEFAULT_TOKEN: Final = "appcrm-test-token"
DEFAULT_PER_PAGE: Final = 15
MAX_PER_PAGE: Final = 100
DEFAULT_RATE_LIMIT: Final = 60
SEARCH_FIELDS: Final = {
    "contacts": ("first_name", "last_name", "email", "phones.number"),
    "companies": ("name", "email", "domain", "phones.number"),
    "activities": ("title", "note", "description"),
}


@dataclass
class _Window:
    start: datetime
    hits: int = 0


class AppcrmEmulator(EmulatorServer):
    """The App CRM API (`/api`) on loopback: contacts, companies, activities, associations, rate limit.

    State lives in `store` (an `AppcrmStore`); `clock` stamps writes and drives the rate-limit window.

    Args:
        port: TCP port; 0 picks a free one.
        host: Address to bind.
        tokens: Accepted bearer tokens; default one, `DEFAULT_TOKEN`.
        clock: The clock; default one that follows the wall clock.
        seed: Seed of the data generator (`seed_people`).
        rate_limit: Requests per minute per token; None = unlimited and no rate-limit headers.
        fault_seed: Seed of `faults.error_rate`'s random.
    """

    base_path = "/api"

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        tokens: Iterable[str] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        fault_seed: int = 0,
    ) -> None:
        self.tokens: list[str] = list(tokens) if tokens is not None else [DEFAULT_TOKEN]
        if not self.tokens:
            raise ValueError("the emulator needs at least one token")
        super().__init__(port, host=host, fault_seed=fault_seed)
        self.store = AppcrmStore(clock=clock, seed=seed, lock=self.lock)
        self.clock = self.store.clock
        self.rate_limit = rate_limit
        self._windows: dict[str, _Window] = {}
        self._register_routes()

    @property
    def token(self) -> str:
        """The first accepted token."""
        return self.tokens[0]

    def seed_people(self, n: int, *, companies: int = 0) -> list[int]:
        """Add `companies` companies, then `n` contacts (about two in three linked to one); the contact ids."""
        return self.store.seed_people(n, companies=companies)

    def seed_companies(self, k: int) -> list[int]:
        """Add `k` realistic companies; their ids."""
        return self.store.seed_companies(k)

    def reset_rate_limit(self) -> None:
        """Forget every rate-limit window."""
        with self.lock:
            self._windows.clear()

    # -- request pipeline ------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> str:
        """The bearer token. Raises HttpError 419 for `Referer`/`Origin`, 401 for a bad token."""
        if "referer" in request.headers or "origin" in request.headers:
            raise HttpError(419, "CSRF token mismatch.")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            raise HttpError(401, "Unauthenticated.")
        return token.strip()

    def _throttle(self, request: Request) -> tuple[dict[str, str], HttpError | None]:
        if self.rate_limit is None:
            return {}, None
        _, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if token.strip() in self.tokens else "guest"
        now = self.clock.now() if self.clock else datetime.now()
        window = self._windows.get(key)
        if window is None or now >= window.start + timedelta(seconds=60):
            window = self._windows[key] = _Window(now)
        if window.hits >= self.rate_limit:
            ends = window.start + timedelta(seconds=60)
            retry = max(1, math.ceil((ends - now).total_seconds()))
            headers = {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": "0",
                "Retry-After": str(retry),
                "X-RateLimit-Reset": str(math.ceil(ends.timestamp())),
            }
            return headers, HttpError(429, "Too Many Attempts.", headers=headers)
        window.hits += 1
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_limit - window.hits),
        }, None

    def _route(self, request: Request) -> Response:
        headers: dict[str, str] = {}
        try:
            handler, params = self.router.resolve(request.method, request.path)
            with self.lock:
                headers, refusal = self._throttle(request)
                if refusal is not None:
                    raise refusal
                principal = self.authenticate(request)
                response = handler(replace(request, params=params, principal=principal))
        except HttpError as exc:
            return json_response(exc.body, exc.status, headers=headers | exc.headers)
        except Exception as exc:  # an emulator bug: answer like a server would, keep it for the fixture
            self.errors.append(exc)
            return json_response(self.fault_body(500), 500, headers=headers)
        return Response(response.status, response.body, (*response.headers, *headers.items()), response.content_type)

    # -- routes ----------------------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        for kind in ("contacts", "companies", "activities"):
            plural, one = f"/{kind}", f"/{kind}/{{id}}"
            if kind != "activities":
                self.router.add("GET", plural + "/search", functools.partial(self._h_search, kind))
            self.router.add("GET", plural, functools.partial(self._h_list, kind))
            self.router.add("POST", plural, functools.partial(self._h_create, kind))
            self.router.add("GET", one, functools.partial(self._h_show, kind))
            self.router.add("PUT", one, functools.partial(self._h_update, kind))
            self.router.add("DELETE", one, functools.partial(self._h_delete, kind))
        for kind in ("contacts", "companies"):
            for method, mode in (("PUT", "attach"), ("DELETE", "detach"), ("POST", "sync")):
                self.router.add(method, f"/associations/{kind}/{{id}}", functools.partial(self._h_assoc, kind, mode))

    def _h_show(self, kind: str, request: Request) -> Response:
        return json_response(self.store.to_json(kind, self.store.get(kind, request.params["id"])))

    def _h_create(self, kind: str, request: Request) -> Response:
        body = request.json()
        if kind == "activities":
            return json_response(self.store.write_activity(None, body), 201)
        return json_response(self.store.create(kind, body), 201)

    def _h_update(self, kind: str, request: Request) -> Response:
        body = request.json()
        if kind == "activities":
            return json_response(self.store.write_activity(request.params["id"], body))
        return json_response(self.store.update(kind, request.params["id"], body))

    def _h_delete(self, kind: str, request: Request) -> Response:
        self.store.delete(kind, request.params["id"]) if kind != "activities" else self._delete_activity(request)
        return Response(204)

    def _delete_activity(self, request: Request) -> None:
        rec = self.store.get("activities", request.params["id"])
        del self.store.tables["activities"][rec.id]

    def _h_assoc(self, kind: str, mode: str, request: Request) -> Response:
        return json_response(self.store.associate(kind, request.params["id"], request.json(), mode))

    def _h_search(self, kind: str, request: Request) -> Response:
        if not (request.arg("q") or "").strip():
            raise _invalid("q", "The q field is required.")
        rows = self._ordered(kind, request, self._searched(kind, request, self.store.rows(kind)))
        take = _int(request.arg("take"), 10)
        return json_response([_select(row, request) for row in rows[: max(1, min(take, MAX_PER_PAGE))]])

    def _h_list(self, kind: str, request: Request) -> Response:
        per_page = _int(request.arg("per_page"), DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(1, _int(request.arg("page"), 1))
        start, stop = (page - 1) * per_page, page * per_page
        name, _, direction = (request.arg("order") or "").strip().partition("|")
        if not (request.arg("q") or "").strip() and name in ("", "id") and direction.lower() in ("", "asc", "desc"):
            # A plain walk in id order (what a client syncing everything asks for): only the page's records are
            # turned into JSON, as a database would read only them, not all of them for every page.
            total, chunk = self.store.id_page(kind, start, stop, descending=direction.lower() == "desc")
        else:
            rows = self._ordered(kind, request, self._searched(kind, request, self.store.rows(kind)))
            total, chunk = len(rows), rows[start:stop]
        last = max(1, math.ceil(total / per_page))
        path = f"{self.api_url}/{kind}"
        pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "page"]

        def url(n: int) -> str:
            return f"{path}?{urlencode([*pairs, ('page', str(n))])}"

        first = (page - 1) * per_page + 1 if chunk else None
        body = {
            "data": [_select(row, request) for row in chunk],
            "links": {
                "first": url(1),
                "last": url(last),
                "prev": url(page - 1) if page > 1 else None,
                "next": url(page + 1) if page < last else None,
            },
            "meta": {
                "current_page": page,
                "from": first,
                "last_page": last,
                "path": path,
                "per_page": per_page,
                "to": first + len(chunk) - 1 if first is not None else None,
                "total": total,
            },
        }
        return json_response(body)

    # -- list helpers ----------------------------------------------------------------------------------------

    @staticmethod
    def _searched(kind: str, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        q = (request.arg("q") or "").strip()
        if not q:
            return rows
        spec = request.arg("search_fields")
        allowed = SEARCH_FIELDS[kind]
        conditions: list[tuple[str, str]] = []
        for part in spec.split(";") if spec else [f"{f}:like" for f in allowed]:
            name, _, op = part.strip().partition(":")
            op = op or "like"
            if name not in allowed or op not in ("like", "="):
                raise _invalid("search_fields", f"The search field {part.strip()!r} is not allowed.")
            conditions.append((name, op))
        needle = q.casefold()

        def hit(row: dict[str, Any], name: str, op: str) -> bool:
            phones = [p["number"] for p in row.get("phones", [])]
            values = phones if name == "phones.number" else [row.get(name)]
            texts = [str(v).casefold() for v in values if v is not None]
            return any(needle in t if op == "like" else needle == t for t in texts)

        combine = all if (request.arg("search_match") or "").lower() == "and" else any
        return [row for row in rows if combine(hit(row, n, o) for n, o in conditions)]

    @staticmethod
    def _ordered(kind: str, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        text = (request.arg("order") or "").strip()
        if not text:
            return rows
        name, _, direction = text.partition("|")
        scalar = bool(rows) and all(not isinstance(row.get(name), list | dict) for row in rows)
        known = name in (rows[0] if rows else {}) or not rows
        if not name or direction.lower() not in ("", "asc", "desc") or not known or (rows and not scalar):
            raise _invalid("order", f"The order field {text!r} is not sortable.")
        rows = sorted(rows, key=lambda r: r["id"])
        return sorted(rows, key=lambda r: _sortable(r.get(name)), reverse=direction.lower() == "desc")


def _sortable(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).casefold())


def _int(text: str | None, default: int) -> int:
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else default


def _select(row: dict[str, Any], request: Request) -> dict[str, Any]:
    names = [n.strip() for n in (request.arg("select") or "").split(";") if n.strip()]
    if not names:
        return row
    return {k: v for k, v in row.items() if k in names or k == "id"}


def _invalid(name: str, message: str) -> HttpError:
    return HttpError(422, {"message": message, "errors": {name: [message]}})
