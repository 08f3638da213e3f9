"""Kanbert emulator: the contacts and companies API of crm-apis/kanbert.md on loopback, state in memory.

Written from kanbert.md only. Where the document is silent the emulator chooses; every choice is listed here and is
part of the contract a connector may rely on (kanbert.md's own [assumed] rows are implemented as written):

[assumed] choices of this emulator
- Auth: `Authorization: Bearer <token>` (scheme case-insensitive); each token belongs to one integration whose
  slug is the default `origin`/`external_origin`; every token has every scope (no 403). Bad or missing → 401
  `{"message": "Unauthenticated."}`. Unknown route → 404 `{"message": "Not found."}`, wrong method → 405.
- Single resources are returned unwrapped (the ContactData object itself, no `{"data": …}`); lists are
  `{"data", "links": [], "meta"}`. POST answers 201.
- Ids: `c_…` / `co_…`, fixed-width Crockford base32 of a counter, so id order is creation order.
- Time: whole seconds with `Z`. Writes take strictly increasing times from a controllable `Clock`, but several
  writes within one second show the same `updated_at`: `updated_at gte <last seen>` never misses a change (it may
  return some again), `gt` can. Time filters compare parsed instants of the shown (whole-second) values.
- `updated_at` changes only when a write changes something (like Eloquent's dirty check). Soft delete, restore,
  attach and detach set the contact's `updated_at` (delete: `deleted_at` == `updated_at`); the company's
  `updated_at` is not touched by attach/detach. A no-op attach (same position) or detach (not attached) changes
  nothing.
- Input passes Laravel's default middleware: strings are trimmed and "" becomes null (also in custom fields).
- PATCH ignores `external_id`/`external_origin` (Laravel drops unvalidated keys), as it ignores unknown and
  read-only fields. `custom_fields` on PATCH merges per key (a null value stores null; `custom_fields: null`
  changes nothing).
- `external_origin` defaults to the token's integration slug on create even without an `external_id`. The pair
  (external_origin, external_id) is unique among all records of a kind including soft-deleted ones (a unique
  index): a duplicate → 422 "The external id has already been taken."; also on PUT external-identifier, whose
  `external_origin` defaults to the slug as well.
- `find_by` other than `id`/`external_id` → 422. Soft-deleted records are 404 on GET/PATCH/DELETE/PUT and found
  only by restore. Restoring a record that is not deleted returns it unchanged.
- Attach: `company_id` must name an existing, non-deleted company (else 422); attaching again updates the
  position. Detach: `company_id` must exist; not attached → 200 anyway. Includes leave out soft-deleted records.
- `address_country` (and `address_invoice_country`): alpha-2/alpha-3/numeric/German or English name from a
  table of ~60 countries; any other two-letter code is "valid but unknown" and created as `{id: "ctry_xx",
  name: "XX", code: "XX"}`; anything else → the space's default country, Germany `{"id": "ctry_de", "name":
  "Deutschland", "code": "DE"}`. Names are German (the space locale). null clears it. `address_country_id` takes
  a `ctry_..` id (unknown → 422) and wins over `address_country`.
- `birthday`: any ISO date or date-time; the date as written (no time-zone shift) is stored and returned.
- E-mail validation: `local@domain` without spaces (RFC-style, so `a@b` passes).
- Paging: `page[size]` default 30, capped at 100; < 1 or not a number → 422. Cursors are base64url JSON
  `{<sort fields>, "id", "_pointsToNextItems"}` (Laravel's shape); a broken cursor → 400. Order is the `sort`
  keys then `id` ascending; nulls first ascending, last descending; strings case-insensitively. `prev_cursor`
  is set whenever records precede the page, `next_cursor` whenever records follow it; `*_cursor_url` keep the
  request's other query parameters. Unknown sort or include → 400 (Spatie query builder's messages).
- Filters: all four formats of kanbert.md §3. String comparisons are case-insensitive (a `_ci` collation);
  a null value never matches eq/ne/in/nin/contains… (SQL), `eq null`/`ne null` mean isnull/notnull; `in`
  takes a list or a comma-separated string; DSL `not in`, `not like`, `not contains` are accepted. A date-only
  value (or `today`, `today±Nd`, `sow`, `eow`, `som`, `eom`) stands for that whole UTC day: `eq` = within it,
  `lte` = before its end, `gt` = from its end on. `birthday` compares by day. Relations: `companies.<field>
  <op> v` is true when any linked company matches, `companies.count <op> n` counts them, `companies any|none|
  all [(<filter>)]` (JSON: `"value"` holds the nested filter). Companies may also be filtered by
  `external_origin`, `created_at`, `updated_at` and the relation `contacts` (`id`, `external_id`, `first_name`,
  `last_name`, `email`) — kanbert.md's list is cut off there. `custom_fields.<slug>` is accepted for any slug.
- 422 bodies are Laravel's: `{"message": <first message>[ (and N more error[s])], "errors": {field: [msgs]}}`.
- Fault answers: 429 `{"message": "Too Many Attempts."}` + `Retry-After`; 500 `{"message": "Server Error"}`;
  503 `{"message": "Service Unavailable"}`.
- Reference data: owner `u_1` (Max Roth), client `cl_1`, business fields `bf_1`-`bf_6` (`bf_3` Maschinenbau),
  sizes `cs_1`-`cs_4`, revenues `cr_1`-`cr_4`; other `*_id` values → 422 "The selected … is invalid.".
  `me.id` in a filter is the token's integration user, `u_<slug>`; `now`/`today` come from the emulator clock.
- Not emulated: webhooks, OAuth endpoints, scopes, task comments, custom-field definitions.
"""

from __future__ import annotations

import base64
import bisect
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import parse_qsl, urlencode

from .base import Clock, EmulatorServer, HttpError, Request, Response, json_response
from .kanbert_filter import FilterContext, FilterError, compile_filter, dig, fields_of, parse_filter
from .kanbert_model import COMPANY, CONTACT, DEFAULT_ORIGIN, Entity, KanbertStore, Record, validation_error

DEFAULT_TOKEN: Final = "kanbert-test-token"
DEFAULT_PAGE_SIZE: Final = 30
MAX_PAGE_SIZE: Final = 100


@dataclass(frozen=True)
class Principal:
    """Who a request is from: its token and that integration's slug and user id."""

    token: str
    origin: str
    user_id: str


class KanbertEmulator(EmulatorServer):
    """The Kanbert API (`/api/v1`) on loopback: contacts, companies, their links; soft delete; cursor pages.

    State lives in `store` (a `KanbertStore`: read it, or edit it as a Kanbert user would); `clock` stamps writes.

    Args:
        port: TCP port; 0 picks a free one.
        host: Address to bind.
        tokens: Bearer tokens: a mapping token → integration slug, or tokens that all belong to "crmdesk";
            default one token, `DEFAULT_TOKEN`.
        clock: The clock writes are stamped with; default one that follows the wall clock.
        seed: Seed of the data generator (`seed_people`, `seed_companies`).
        fault_seed: Seed of `faults.error_rate`'s random.
    """

    base_path = "/api/v1"

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        tokens: Mapping[str, str] | Iterable[str] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        fault_seed: int = 0,
    ) -> None:
        if tokens is None:
            tokens = {DEFAULT_TOKEN: DEFAULT_ORIGIN}
        elif not isinstance(tokens, Mapping):
            tokens = dict.fromkeys(tokens, DEFAULT_ORIGIN)
        self._principals = {token: Principal(token, origin, f"u_{origin}") for token, origin in tokens.items()}
        if not self._principals:
            raise ValueError("the emulator needs at least one token")
        super().__init__(port, host=host, fault_seed=fault_seed)
        self.store = KanbertStore(clock=clock, seed=seed, origin=self.origin, lock=self.lock)
        self.clock: Clock = self.store.clock
        self._register_routes()

    @property
    def token(self) -> str:
        """The first token (the default one unless `tokens` were given)."""
        return next(iter(self._principals))

    @property
    def origin(self) -> str:
        """The integration slug of `token`."""
        return self._principals[self.token].origin

    def add_token(self, token: str, *, origin: str = DEFAULT_ORIGIN) -> None:
        """Accept another bearer token, belonging to integration `origin`."""
        with self.lock:
            self._principals[token] = Principal(token, origin, f"u_{origin}")

    def revoke_token(self, token: str) -> None:
        """Stop accepting `token`: requests with it get 401 from now on."""
        with self.lock:
            self._principals.pop(token, None)

    def seed_people(self, n: int, *, companies: int = 0) -> list[str]:
        """Add `n` realistic contacts, after `companies` new companies (see `KanbertStore.seed_people`); ids."""
        return self.store.seed_people(n, companies=companies)

    def seed_companies(self, k: int) -> list[str]:
        """Add `k` realistic companies; their ids."""
        return self.store.seed_companies(k)

    def authenticate(self, request: Request) -> Principal:
        """The integration behind the bearer token.

        Raises:
            HttpError: 401 without a known bearer token.
        """
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        principal = self._principals.get(token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise HttpError(401, "Unauthenticated.")
        return principal

    def _lookup(self, entity: Entity, request: Request, *, trashed: bool = False) -> Record:
        principal = cast(Principal, request.principal)
        by = request.arg("find_by") or "id"
        origin = request.arg("origin") or principal.origin
        return self.store.get(entity, request.params["id"], by=by, origin=origin, trashed=trashed)

    def _register_routes(self) -> None:
        for entity, plural in ((CONTACT, "/contacts"), (COMPANY, "/companies")):
            one = plural + "/{id}"
            self.router.add("GET", plural, functools.partial(self._h_list, entity))
            self.router.add("POST", plural, functools.partial(self._h_create, entity))
            self.router.add("GET", one, functools.partial(self._h_show, entity))
            self.router.add("PATCH", one, functools.partial(self._h_update, entity))
            self.router.add("DELETE", one, functools.partial(self._h_delete, entity))
            self.router.add("POST", one + "/restore", functools.partial(self._h_restore, entity))
            self.router.add("PUT", one + "/external-identifier", functools.partial(self._h_external_id, entity))
        self.router.add("PUT", "/contacts/{id}/company/attach", self._h_attach)
        self.router.add("PUT", "/contacts/{id}/company/detach", self._h_detach)

    def _includes(self, entity: Entity, request: Request) -> bool:
        names = {n.strip() for n in (request.arg("include") or "").split(",") if n.strip()}
        if names - {entity.include}:
            raise HttpError(
                400,
                f"Requested include(s) `{', '.join(sorted(names - {entity.include}))}` are not allowed. "
                f"Allowed include(s) are `{entity.include}`.",
            )
        return bool(names)

    def _h_show(self, entity: Entity, request: Request) -> Response:
        include = self._includes(entity, request)
        return json_response(self.store.to_json(entity, self._lookup(entity, request), include=include))

    def _h_create(self, entity: Entity, request: Request) -> Response:
        rec = self.store.create(entity, request.json() or {}, cast(Principal, request.principal).origin)
        return json_response(self.store.to_json(entity, rec), 201)

    def _h_update(self, entity: Entity, request: Request) -> Response:
        rec = self.store.update(entity, self._lookup(entity, request), request.json() or {})
        return json_response(self.store.to_json(entity, rec))

    def _h_delete(self, entity: Entity, request: Request) -> Response:
        self.store.delete(self._lookup(entity, request))
        return json_response({"message": f"{entity.label} deleted successfully"})

    def _h_restore(self, entity: Entity, request: Request) -> Response:
        return json_response(
            self.store.to_json(entity, self.store.restore(self._lookup(entity, request, trashed=True)))
        )

    def _h_external_id(self, entity: Entity, request: Request) -> Response:
        origin = cast(Principal, request.principal).origin
        rec = self.store.set_external_id(entity, self._lookup(entity, request), request.json() or {}, origin)
        return json_response(self.store.to_json(entity, rec))

    def _h_attach(self, request: Request) -> Response:
        self.store.attach(self._lookup(CONTACT, request), request.json() or {})
        return json_response({"message": "Contact successfully associated with company"})

    def _h_detach(self, request: Request) -> Response:
        self.store.detach(self._lookup(CONTACT, request), request.json() or {})
        return json_response({"message": "Contact successfully detached from company"})

    def _h_list(self, entity: Entity, request: Request) -> Response:
        size = self._page_size(request)
        sort = self._sort(entity, request.arg("sort"))
        include = self._includes(entity, request)
        principal = cast(Principal, request.principal)
        try:
            node = parse_filter(request.query)
            predicate = compile_filter(node, entity.filters, FilterContext(self.clock.now(), principal.user_id))
        except FilterError as exc:
            raise HttpError(400, str(exc)) from exc
        # The linked records cost most of the JSON: build them only when the filter reads them.
        related = node is not None and any(f.split(".")[0] == entity.include for f in fields_of(node))
        everything = (self.store.to_json(entity, rec, include=related) for rec in self.store.records(entity, "with"))
        rows = [row for row in everything if predicate(row)]

        def values_of(row: Mapping[str, Any]) -> dict[str, Any]:
            return {name: dig(row, name) for name, _ in sort} | {"id": row["id"]}

        def key_of(values: Mapping[str, Any]) -> tuple[Any, ...]:
            parts = (_sortable(values.get(name)) for name, _ in sort)
            return (*(_Descending(p) if desc else p for p, (_, desc) in zip(parts, sort, strict=True)), values["id"])

        if sort:  # else the records already come in id order
            rows.sort(key=lambda row: key_of(values_of(row)))
        cursor = self._decode_cursor(request.arg("page[cursor]"), [name for name, _ in sort])
        if cursor is None:
            start, end = 0, min(size, len(rows))
        else:
            keys = [key_of(values_of(row)) for row in rows]
            if cursor["_pointsToNextItems"]:
                start = bisect.bisect_right(keys, key_of(cursor))
                end = min(start + size, len(rows))
            else:
                end = bisect.bisect_left(keys, key_of(cursor))
                start = max(0, end - size)
        page = rows[start:end]
        if include and not related:
            page = [
                self.store.to_json(entity, self.store.get(entity, row["id"], trashed=True), include=True)
                for row in page
            ]
        elif related and not include:
            for row in page:
                del row[entity.include]
        next_cursor = self._encode_cursor(values_of(page[-1]), forward=True) if page and end < len(rows) else None
        prev_cursor = self._encode_cursor(values_of(page[0]), forward=False) if page and start > 0 else None
        resource = "/contacts" if entity is CONTACT else "/companies"
        meta = {
            "path": self.api_url + resource,
            "per_page": size,
            "next_cursor": next_cursor,
            "next_cursor_url": self._page_url(request, resource, next_cursor),
            "prev_cursor": prev_cursor,
            "prev_cursor_url": self._page_url(request, resource, prev_cursor),
        }
        return json_response({"data": page, "links": [], "meta": meta})

    @staticmethod
    def _page_size(request: Request) -> int:
        text = request.arg("page[size]")
        if text is None or not text.strip():
            return DEFAULT_PAGE_SIZE
        if not text.strip().isdigit() or int(text) < 1:
            raise validation_error("page.size", "The page.size field must be an integer of at least 1.")
        return min(int(text), MAX_PAGE_SIZE)

    @staticmethod
    def _sort(entity: Entity, text: str | None) -> list[tuple[str, bool]]:
        keys = [part.strip() for part in (text or "").split(",") if part.strip()]
        bad = [k for k in keys if k.lstrip("-") not in entity.sorts and not k.lstrip("-").startswith("custom_fields.")]
        if bad:
            allowed = ", ".join(entity.sorts)
            raise HttpError(
                400, f"Requested sort(s) `{', '.join(bad)}` is not allowed. Allowed sort(s) are `{allowed}`."
            )
        return [(k.lstrip("-"), k.startswith("-")) for k in keys]

    @staticmethod
    def _encode_cursor(values: Mapping[str, Any], *, forward: bool) -> str:
        raw = json.dumps({**values, "_pointsToNextItems": forward}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(text: str | None, names: list[str]) -> dict[str, Any] | None:
        if not text:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, TypeError) as exc:
            raise HttpError(400, "The page cursor is invalid.") from exc
        valid = (
            isinstance(data, dict)
            and isinstance(data.get("id"), str)
            and isinstance(data.get("_pointsToNextItems"), bool)
            and all(name in data for name in names)
        )
        if not valid:
            raise HttpError(400, "The page cursor is invalid.")
        return cast(dict[str, Any], data)

    def _page_url(self, request: Request, resource: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "page[cursor]"]
        return f"{self.api_url}{resource}?{urlencode([*pairs, ('page[cursor]', cursor)])}"


def _sortable(value: Any) -> tuple[Any, ...]:
    """A comparable form of any JSON value: null first, then booleans, numbers, text (case-insensitive)."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value.casefold(), value)
    return (4, json.dumps(value, sort_keys=True))


@functools.total_ordering
class _Descending:
    """A sort key part that orders the other way round."""

    __slots__ = ("value",)

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    __hash__ = None  # type: ignore[assignment]
