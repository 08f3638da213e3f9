"""Scaffolding of every CRM emulator: a threaded loopback HTTP server, router, fault switches, request log."""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import re
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Final, Self
from urllib.parse import parse_qs, unquote, urlsplit

MUTATING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""The methods `Faults.lose_response` applies to."""


class HttpError(Exception):
    """An error answer raised by a handler: the status, a JSON body and extra headers.

    Args:
        status: The HTTP status code.
        body: The JSON body; a plain string becomes `{"message": body}`.
        headers: Extra response headers.
    """

    def __init__(self, status: int, body: Mapping[str, Any] | str, *, headers: Mapping[str, str] | None = None) -> None:
        payload = {"message": body} if isinstance(body, str) else dict(body)
        super().__init__(f"{status} {payload}")
        self.status = status
        self.body: dict[str, Any] = payload
        self.headers: dict[str, str] = dict(headers or {})


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request as a handler sees it.

    Attributes:
        method: Upper-case method.
        path: The URL path, still percent-encoded.
        query: Decoded query parameters, every value a list (blank values kept).
        query_string: The raw query string.
        headers: Header values by lower-case name.
        body: The raw body.
        params: Decoded path parameters of the matched route.
        principal: Whatever the server's `authenticate` returned for this request.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    params: Mapping[str, str] = field(default_factory=dict)
    principal: Any = None

    def arg(self, name: str) -> str | None:
        """The last value of query parameter `name`, or None."""
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        """The body parsed as JSON (None when empty).

        Raises:
            HttpError: 400 when the body is not JSON.
        """
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, "The request body is not valid JSON.") from exc


@dataclass(frozen=True)
class Response:
    """An answer to write back: status, body bytes, extra headers."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"


def json_response(payload: Any, status: int = 200, *, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response.

    Args:
        payload: Anything `json.dumps` takes.
        status: The HTTP status code.
        headers: Extra response headers.

    Returns:
        The response, UTF-8 encoded, non-ASCII characters unescaped.
    """
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, tuple((headers or {}).items()))


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Method + path template → handler; `{name}` in a template matches one path segment.

    Args:
        prefix: Prepended to every template, e.g. "/api/v1".
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self._routes: list[_Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register `handler` for `method` on `template` (e.g. "/contacts/{id}/restore")."""
        parts = re.split(r"\{(\w+)\}", self.prefix + template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        self._routes.append(_Route(method.upper(), re.compile(regex + "/?"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler for a request and its decoded path parameters.

        Raises:
            HttpError: 404 when no template matches the path, 405 when none takes the method.
        """
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == method:
                return route.handler, {k: unquote(v) for k, v in match.groupdict().items()}
            allowed.append(route.method)
        if allowed:
            message = f"The {method} method is not supported for this route. Supported methods: {', '.join(allowed)}."
            raise HttpError(405, message, headers={"Allow": ", ".join(allowed)})
        raise HttpError(404, "Not found.")


class FaultKind(Enum):
    """What a fault switch did to a request (recorded in the request log)."""

    DROP = "drop_connection"
    RATE_LIMIT = "rate_limit"
    ERROR = "error"
    LOSE = "lose_response"
    MALFORMED = "malformed_json"


@dataclass
class _Countdown:
    remaining: int
    path: str | None
    methods: frozenset[str] | None
    retry_after: int = 0

    def take(self, method: str, path: str) -> bool:
        if self.remaining <= 0 or (self.path is not None and not path.startswith(self.path)):
            return False
        if self.methods is not None and method not in self.methods:
            return False
        self.remaining -= 1
        return True


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


@dataclass
class Faults:
    """Fault switches of one emulator, safe to flip from the test thread while requests run.

    `error_rate` and `latency` may be assigned directly; the counted switches take the number of requests they
    affect and optionally a path prefix (the full URL path, e.g. "/api/v1/contacts") and methods they are limited to.
    A request meets at most one fault; they are checked in the order drop, rate limit, error (before the request is
    executed), then lose, malformed (after).

    Attributes:
        error_rate: Fraction of requests answered with one of `error_statuses` (drawn from a seeded random).
        error_statuses: The statuses `error_rate` answers with.
        latency: Seconds added to every answer (also to dropped ones).
        seed: Seed of the random that `error_rate` draws from; `reset()` re-seeds.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency: float = 0.0
    seed: int = 0
    _error_path: str | None = field(default=None, init=False, repr=False)
    _error_methods: frozenset[str] | None = field(default=None, init=False, repr=False)
    _counts: dict[FaultKind, _Countdown] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def set_error_rate(
        self,
        rate: float,
        *,
        statuses: Iterable[int] = (500, 503),
        seed: int | None = None,
        path: str | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer a fraction of requests with a server error.

        Args:
            rate: Fraction 0..1 of requests that fail.
            statuses: The statuses to pick from (seeded random).
            seed: Re-seed the random, for a reproducible sequence.
            path: Only requests whose path starts with this.
            methods: Only these methods.
        """
        with self._lock:
            self.error_rate = rate
            self.error_statuses = tuple(statuses)
            self._error_path = path
            self._error_methods = _methods(methods)
            if seed is not None:
                self.seed = seed
                self._rng = random.Random(seed)

    def rate_limit(
        self, n: int, *, retry_after: int = 1, path: str | None = None, methods: Iterable[str] | None = None
    ) -> None:
        """Answer the next `n` requests with 429 and a `Retry-After: <retry_after>` header (not executed)."""
        self._arm(FaultKind.RATE_LIMIT, _Countdown(n, path, _methods(methods), retry_after))

    def drop_connections(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None:
        """Close the connection of the next `n` requests without any answer (not executed)."""
        self._arm(FaultKind.DROP, _Countdown(n, path, _methods(methods)))

    def malformed_json(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None:
        """Answer the next `n` requests 200 with a truncated, invalid JSON body (the request is executed)."""
        self._arm(FaultKind.MALFORMED, _Countdown(n, path, _methods(methods)))

    def lose_response(self, n: int, *, path: str | None = None, methods: Iterable[str] | None = None) -> None:
        """Execute the next `n` mutating requests, then close their connection without an answer."""
        allowed = MUTATING if methods is None else frozenset(m.upper() for m in methods) & MUTATING
        self._arm(FaultKind.LOSE, _Countdown(n, path, allowed))

    def pending(self) -> dict[str, int]:
        """How many requests each counted switch still affects, by fault name."""
        with self._lock:
            return {kind.value: c.remaining for kind, c in self._counts.items() if c.remaining > 0}

    def reset(self) -> None:
        """Switch every fault off and re-seed the error random."""
        with self._lock:
            self.error_rate = 0.0
            self.error_statuses = (500, 503)
            self.latency = 0.0
            self._error_path = None
            self._error_methods = None
            self._counts.clear()
            self._rng = random.Random(self.seed)

    def _arm(self, kind: FaultKind, countdown: _Countdown) -> None:
        with self._lock:
            self._counts[kind] = countdown

    def _take(self, kind: FaultKind, method: str, path: str) -> _Countdown | None:
        countdown = self._counts.get(kind)
        return countdown if countdown is not None and countdown.take(method, path) else None

    def before(self, method: str, path: str) -> tuple[FaultKind, int] | None:
        """The fault, if any, that replaces executing this request: (kind, retry-after or status)."""
        with self._lock:
            if self._take(FaultKind.DROP, method, path):
                return FaultKind.DROP, 0
            limited = self._take(FaultKind.RATE_LIMIT, method, path)
            if limited is not None:
                return FaultKind.RATE_LIMIT, limited.retry_after
            if self.error_rate <= 0 or (self._error_path is not None and not path.startswith(self._error_path)):
                return None
            if self._error_methods is not None and method not in self._error_methods:
                return None
            if self._rng.random() < self.error_rate:
                return FaultKind.ERROR, self._rng.choice(self.error_statuses)
            return None

    def after(self, method: str, path: str) -> FaultKind | None:
        """The fault, if any, that spoils the answer of an executed request."""
        with self._lock:
            for kind in (FaultKind.LOSE, FaultKind.MALFORMED):
                if self._take(kind, method, path):
                    return kind
            return None


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator received it, with what it answered.

    Attributes:
        method: Upper-case method.
        path: The URL path (percent-encoded).
        query: Decoded query parameters.
        headers: Header values by lower-case name.
        body: The raw request body.
        status: The status answered, None when no answer was sent.
        fault: The fault switch that hit this request, if any.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    status: int | None
    fault: FaultKind | None

    def json(self) -> Any:
        """The request body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body.strip() else None


class Clock:
    """A controllable UTC clock that never runs backwards; `tick()` hands out strictly increasing write times.

    Args:
        start: The time it shows now; default the wall clock.
        frozen: Stand still unless `advance`d or `set` (otherwise it runs with the monotonic clock).
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._lock = threading.Lock()
        self._origin = (start or datetime.now(UTC)).astimezone(UTC)
        self._t0 = time.monotonic()
        self._frozen = frozen
        self._offset = timedelta(0)
        self._last = datetime.min.replace(tzinfo=UTC)

    def _read(self) -> datetime:
        running = timedelta(0) if self._frozen else timedelta(seconds=time.monotonic() - self._t0)
        return max(self._origin + self._offset + running, self._last)

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        with self._lock:
            return self._read()

    def tick(self) -> datetime:
        """A time for a write: now, but at least one microsecond after the previous tick."""
        with self._lock:
            self._last = max(self._read(), self._last + timedelta(microseconds=1))
            return self._last

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        Raises:
            ValueError: When `seconds` is negative.
        """
        if seconds < 0:
            raise ValueError("the clock never runs backwards")
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Move the clock forward to `when` (naive means UTC).

        Raises:
            ValueError: When `when` is before the current time.
        """
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.advance((when - self.now()).total_seconds())


def format_utc(when: datetime, *, digits: int = 0) -> str:
    """ISO 8601 in UTC with a `Z`, e.g. "2024-10-11T13:20:02Z"; `digits` fraction digits (0-6), truncated."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{when.microsecond:06d}"[:digits]
    return text + "Z"


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 date-time (`Z`, offset or naive = UTC) to an aware UTC datetime.

    Raises:
        ValueError: When `text` is no ISO 8601 date-time.
    """
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads a request, lets the server answer it, writes the answer (or closes the socket)."""

    protocol_version = "HTTP/1.1"
    server: EmulatorServer
    # Headers and body leave in one buffered write, without Nagle: otherwise every answer waits ~40 ms for the
    # client's delayed ACK (RFC 1122 4.2.3.2 meets RFC 896).
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the emulator's clock, like a server whose records and headers share one clock."""
        clock = self.server.clock
        if timestamp is None and clock is not None:
            timestamp = clock.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `EmulatorServer.requests()` instead of stderr."""

    def _read_body(self) -> bytes | None:
        """The request body; None when the client went away before sending all of it (a process killed mid-request):
        like a real server, the emulator then never executes the request — an empty or cut body must not be read as
        a request of its own (a PUT of nothing would blank the record)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline()
                if not line.endswith(b"\n"):
                    return None
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if not size:
                    break
                chunk = self.rfile.read(size)
                if len(chunk) < size or not self.rfile.readline().endswith(b"\n"):
                    return None
                chunks.append(chunk)
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return b""
        body = self.rfile.read(length)
        return body if len(body) == length else None

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            query_string=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = self.server.respond(request)
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class EmulatorServer(ThreadingHTTPServer):
    """A CRM emulator: a threaded HTTP server on loopback that answers through its `router`.

    Subclasses register routes on `self.router`, keep their state behind `self.lock` (every handler runs holding
    it) and override `authenticate` and `fault_body`. Faults (`self.faults`) act before and after routing.

    Args:
        port: TCP port; 0 picks a free one (see `url`).
        host: Address to bind; loopback only in tests.
        fault_seed: Seed of the random behind `faults.error_rate`.
        log_limit: How many requests `requests()` keeps (the oldest are dropped).
    """

    daemon_threads = True
    block_on_close = False
    base_path: ClassVar[str] = ""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", fault_seed: int = 0, log_limit: int = 10_000) -> None:
        self.router = Router(self.base_path)
        self.clock: Clock | None = None  # a subclass with a clock sets it: the `Date` header then follows it
        self.faults = Faults(seed=fault_seed)
        self.lock = threading.RLock()
        self.errors: list[BaseException] = []
        self._log: deque[LoggedRequest] = deque(maxlen=log_limit)
        self._log_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _RequestHandler)

    def server_bind(self) -> None:
        """Bind without `HTTPServer`'s reverse DNS look-up of the host (slow on some resolvers)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def url(self) -> str:
        """Scheme, host and port, e.g. "http://127.0.0.1:43125"."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """`url` plus the API's base path."""
        return self.url + self.base_path

    def start(self) -> Self:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection, join all threads and close the listening socket."""
        self._stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for _, sock in open_connections:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)
        for thread, _ in open_connections:
            thread.join(timeout=5)
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, tracked so `stop()` can end it."""
        thread = threading.Thread(target=self._serve_connection, args=(request, client_address), daemon=True)
        with self._connections_lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors are the client's business (or a fault switch's); anything else is kept in `errors`."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            self.errors.append(exc)

    def requests(self) -> list[LoggedRequest]:
        """The requests received so far, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the logged requests."""
        with self._log_lock:
            self._log.clear()

    def authenticate(self, request: Request) -> Any:
        """Check credentials; the result becomes `request.principal`. Runs holding `lock`.

        Raises:
            HttpError: When the request may not proceed (e.g. 401).
        """
        return None

    def fault_body(self, status: int) -> Any:
        """The JSON body of an answer made up by a fault switch (429, 500, 503…)."""
        return {"message": {429: "Too Many Attempts.", 503: "Service Unavailable"}.get(status, "Server Error")}

    def respond(self, request: Request) -> Response | None:
        """The answer to `request` after faults and routing; None closes the connection without one."""
        fault = self.faults.before(request.method, request.path)
        kind = fault[0] if fault else None
        response: Response | None
        if fault is None:
            response = self._route(request)
            kind = self.faults.after(request.method, request.path)
            if kind is FaultKind.LOSE:
                response = None
            elif kind is FaultKind.MALFORMED:
                response = Response(200, response.body[: max(1, len(response.body) // 2)] or b"{")
        elif fault[0] is FaultKind.DROP:
            response = None
        elif fault[0] is FaultKind.RATE_LIMIT:
            response = json_response(self.fault_body(429), 429, headers={"Retry-After": str(fault[1])})
        else:
            response = json_response(self.fault_body(fault[1]), fault[1])
        if self.faults.latency > 0:
            self._stopping.wait(self.faults.latency)
        logged = LoggedRequest(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            None if response is None else response.status,
            kind,
        )
        with self._log_lock:
            self._log.append(logged)
        return response

    def _route(self, request: Request) -> Response:
        try:
            handler, params = self.router.resolve(request.method, request.path)
            with self.lock:
                principal = self.authenticate(request)
                return handler(replace(request, params=params, principal=principal))
        except HttpError as exc:
            return json_response(exc.body, exc.status, headers=exc.headers)
        except Exception as exc:  # a bug in the emulator: answer like a server would, and keep it for the fixture
            self.errors.append(exc)
            return json_response(self.fault_body(500), 500)
