"""A fault-injecting HTTP reverse proxy for tests: put it between a client and a real server (Radicale).

`FaultProxy(target_url)` listens on 127.0.0.1 and forwards every request 1:1 (same path and query, all end-to-end
headers incl. Authorization, If-Match, If-None-Match, ETag, Depth; bodies streamed both ways; Host rewritten to the
target) on a fresh upstream connection. Switches, safe to flip from the test thread while requests run:

* `fail(n, status=503)` — answer the next `n` matching requests with `status` without forwarding them.
* `drop(n)` — read the request, then close the connection without an answer; the request is not forwarded.
* `lose_response(n)` — forward, let the server finish (its whole answer is read), then close the connection without
  an answer: the write happened, the client never learns it. By default only methods that change something.
* `delay(seconds)` — wait before forwarding (or, `response=True`, after the server answered, before answering).
* `reset()` — every switch off. The request log (`requests()`) records method, path, status and fault.

Counted switches take `methods` (an iterable of method names) and `path` (a prefix of the percent-encoded URL path)
to narrow what they hit. A request meets at most one counted fault, checked in the order drop, fail (before
forwarding), then lose (after); several switches of one kind queue up and the oldest armed matching one fires.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

CHANGING: Final = frozenset({"PUT", "DELETE", "POST", "PATCH", "MKCOL", "PROPPATCH", "MOVE", "COPY"})
"""The methods `FaultProxy.lose_response` hits unless told others."""

HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
"""Request and response headers that belong to one connection and are not forwarded."""

_CHUNK: Final = 64 * 1024


class Fault(Enum):
    """What a switch did to a request (in the request log)."""

    FAIL = "fail"
    DROP = "drop"
    LOSE = "lose_response"


@dataclass
class _Rule:
    kind: Fault
    remaining: int
    methods: frozenset[str] | None
    path: str | None
    status: int = 503
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and (self.methods is None or method in self.methods)
            and (self.path is None or path.startswith(self.path))
        )


@dataclass
class _Delay:
    seconds: float
    remaining: int | None
    methods: frozenset[str] | None
    path: str | None
    response: bool

    def take(self, method: str, path: str, response: bool) -> float:
        if self.response != response or (self.remaining is not None and self.remaining <= 0):
            return 0.0
        if (self.methods is not None and method not in self.methods) or (
            self.path is not None and not path.startswith(self.path)
        ):
            return 0.0
        if self.remaining is not None:
            self.remaining -= 1
        return self.seconds


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy received.

    Attributes:
        method: Upper-case method.
        path: Path and query as received (percent-encoded).
        headers: Request headers by lower-case name (the last value of a repeated header).
        status: The status the client got; None when it got no answer (drop, lose, or an upstream failure).
        upstream_status: The status the server answered; None when the request was not forwarded.
        fault: The switch that hit it, if any.
        seconds: Time from the request being read to the answer (or the close).
    """

    method: str
    path: str
    headers: Mapping[str, str]
    status: int | None
    upstream_status: int | None
    fault: Fault | None
    seconds: float = field(default=0.0, compare=False)


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultProxy
    wbufsize = -1
    disable_nagle_algorithm = True
    timeout = 60  # an idle keep-alive connection ends after this

    def do_GET(self) -> None:
        self.server.proxy_request(self)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET
    do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCOL = do_MKCALENDAR = do_MOVE = do_COPY = do_GET
    do_LOCK = do_UNLOCK = do_ACL = do_SEARCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `FaultProxy.requests()`."""

    # -- request body ----------------------------------------------------------------------------------------------

    def body_chunks(self) -> Iterator[bytes]:
        """The request body in pieces (chunked transfer decoded), read from the client as it is consumed."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                yield self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            piece = self.rfile.read(min(left, _CHUNK))
            if not piece:
                raise ConnectionError("the client closed the connection in the middle of the request body")
            left -= len(piece)
            yield piece

    def discard_body(self) -> None:
        for _ in self.body_chunks():
            pass

    def abort(self) -> None:
        """End the connection without an answer: the client sees the server disconnect."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)


class FaultProxy(ThreadingHTTPServer):
    """A threaded reverse proxy on 127.0.0.1 in front of `target_url`, with fault switches and a request log.

    Args:
        target_url: The server's base URL (scheme http, host, port; a path in it is ignored: paths map 1:1).
        port: Port to listen on; 0 picks a free one.
        timeout: Seconds the proxy waits for the server.
        log_limit: How many requests the log keeps.
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self, target_url: str, *, port: int = 0, timeout: float = 30.0, log_limit: int = 10_000) -> None:
        target = urlsplit(target_url)
        if target.scheme != "http" or not target.hostname:
            raise ValueError(f"FaultProxy forwards to http:// URLs only, not {target_url!r}")
        self.target_host = target.hostname
        self.target_port = target.port or 80
        self.target_netloc = target.netloc
        self.upstream_timeout = timeout
        self.errors: list[BaseException] = []
        self._rules: list[_Rule] = []
        self._delays: list[_Delay] = []
        self._lock = threading.Lock()
        self._log: deque[ProxiedRequest] = deque(maxlen=log_limit)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        """Bind without `HTTPServer`'s reverse DNS look-up."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    # -- life cycle ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The proxy's base URL with a trailing slash, e.g. "http://127.0.0.1:40123/"."""
        return f"http://127.0.0.1:{self.server_port}/"

    def start(self) -> Self:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self.serve_forever, kwargs={"poll_interval": 0.02}, name="FaultProxy", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut every open connection, join the threads and close the listening socket."""
        self._stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for _, sock in open_connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread, _ in open_connections:
            thread.join(timeout=5)
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
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
        """Connection trouble is expected (faults, clients giving up); anything else is kept in `errors`."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError | OSError):
            self.errors.append(exc)

    # -- switches --------------------------------------------------------------------------------------------------

    def fail(
        self,
        n: int = 1,
        status: int = 503,
        *,
        methods: Iterable[str] | None = None,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status` (plain text; `Retry-After` if given), unforwarded."""
        self._arm(_Rule(Fault.FAIL, n, _methods(methods), path, status, retry_after))

    def drop(self, n: int = 1, *, methods: Iterable[str] | None = None, path: str | None = None) -> None:
        """Close the connection of the next `n` matching requests without an answer; they are not forwarded."""
        self._arm(_Rule(Fault.DROP, n, _methods(methods), path))

    def lose_response(self, n: int = 1, *, methods: Iterable[str] | None = None, path: str | None = None) -> None:
        """Forward the next `n` matching requests, wait for the server's answer, then close without answering.

        Args:
            n: How many requests.
            methods: The methods it hits; default `CHANGING` (PUT, DELETE, MKCOL, PROPPATCH…). Name others to lose
                answers of reads too, e.g. `methods=["REPORT"]`.
            path: Only paths starting with this.
        """
        self._arm(_Rule(Fault.LOSE, n, CHANGING if methods is None else _methods(methods), path))

    def delay(
        self,
        seconds: float,
        n: int | None = None,
        *,
        methods: Iterable[str] | None = None,
        path: str | None = None,
        response: bool = False,
    ) -> None:
        """Hold matching requests for `seconds`: before forwarding, or with `response=True` after the server answered.

        A client that times out meanwhile does not stop the request: it is still forwarded after the delay (like a
        request already on the wire). Delays add up when several match.

        Args:
            seconds: How long.
            n: How many requests; None: every one until `reset()`.
            methods: Only these methods.
            path: Only paths starting with this.
            response: Delay the answer instead of the request.
        """
        with self._lock:
            self._delays.append(_Delay(seconds, n, _methods(methods), path, response))

    def reset(self) -> None:
        """Switch every fault and delay off (the request log stays)."""
        with self._lock:
            self._rules.clear()
            self._delays.clear()

    def pending(self) -> dict[str, int]:
        """How many requests the armed counted switches still hit, by fault name."""
        with self._lock:
            counts: dict[str, int] = {}
            for rule in self._rules:
                if rule.remaining > 0:
                    counts[rule.kind.value] = counts.get(rule.kind.value, 0) + rule.remaining
            return counts

    def requests(self) -> list[ProxiedRequest]:
        """The requests received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self._log.clear()

    def _arm(self, rule: _Rule) -> None:
        if rule.remaining < 0:
            raise ValueError("a fault cannot hit a negative number of requests")
        with self._lock:
            self._rules.append(rule)

    def _take(self, kinds: tuple[Fault, ...], method: str, path: str) -> _Rule | None:
        with self._lock:
            for kind in kinds:
                for rule in self._rules:
                    if rule.kind is kind and rule.matches(method, path):
                        rule.remaining -= 1
                        return rule
            return None

    def _delay_for(self, method: str, path: str, response: bool) -> float:
        with self._lock:
            return sum(d.take(method, path, response) for d in self._delays)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- forwarding ------------------------------------------------------------------------------------------------

    def proxy_request(self, handler: _Handler) -> None:
        """Answer one request: faults, forwarding, log (written before the client can have the answer)."""
        exchange = _Exchange(self, handler)
        rule = self._take((Fault.DROP, Fault.FAIL), exchange.method, exchange.url_path)
        exchange.fault = rule.kind if rule is not None else None
        try:
            if rule is not None and rule.kind is Fault.DROP:
                handler.discard_body()
                exchange.log(None, None, Fault.DROP)
                handler.abort()
            elif rule is not None:
                handler.discard_body()
                exchange.log(rule.status, None, Fault.FAIL)
                self._answer_made_up(handler, rule)
            else:
                self._wait(self._delay_for(exchange.method, exchange.url_path, False))
                self._forward(handler, exchange)
        except _ClientGoneError:
            handler.close_connection = True
            exchange.log(None, exchange.upstream_status, exchange.fault)
        except OSError:  # the client went away while being answered: it has no (whole) answer
            handler.close_connection = True
            exchange.log(None, exchange.upstream_status, exchange.fault)
            raise
        finally:
            exchange.log(None, exchange.upstream_status, exchange.fault, only_if_missing=True)

    def _answer_made_up(self, handler: _Handler, rule: _Rule) -> None:
        body = f"{rule.status} {http.client.responses.get(rule.status, 'Error')} (injected by FaultProxy)\n".encode()
        handler.send_response_only(rule.status)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        if rule.retry_after is not None:
            handler.send_header("Retry-After", str(rule.retry_after))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
        handler.wfile.flush()

    def _forward(self, handler: _Handler, exchange: _Exchange) -> None:
        """Forward the request and stream the answer back (or lose it)."""
        upstream = http.client.HTTPConnection(self.target_host, self.target_port, timeout=self.upstream_timeout)
        try:
            try:
                response = self._send_upstream(upstream, handler, exchange.method, exchange.path)
            except (OSError, http.client.HTTPException):
                # The server is down or cut us off without an answer: a gateway answers 502.
                exchange.log(502, None, None)
                handler.close_connection = True
                self._answer_made_up(handler, _Rule(Fault.FAIL, 0, None, None, 502))
                return
            exchange.upstream_status = response.status
            if self._take((Fault.LOSE,), exchange.method, exchange.url_path) is not None:
                exchange.fault = Fault.LOSE
                while response.read(_CHUNK):
                    pass
                exchange.log(None, response.status, Fault.LOSE)
                handler.abort()
                return
            self._wait(self._delay_for(exchange.method, exchange.url_path, True))
            exchange.log(response.status, response.status, None)
            self._stream_back(handler, response)
        finally:
            upstream.close()

    def _send_upstream(
        self, upstream: http.client.HTTPConnection, handler: _Handler, method: str, path: str
    ) -> http.client.HTTPResponse:
        """Send the request on; a server that answers before reading the whole body still has its answer read."""
        upstream.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        chunked = handler.headers.get("Transfer-Encoding", "").lower() == "chunked"
        for name, value in handler.headers.items():
            if name.lower() in HOP_BY_HOP or name.lower() == "host":
                continue
            upstream.putheader(name, value)
        upstream.putheader("Host", self.target_netloc)
        if chunked:
            upstream.putheader("Transfer-Encoding", "chunked")
        upstream.endheaders()
        upstream_open = True
        chunks = handler.body_chunks()
        while True:
            try:
                piece = next(chunks, None)
            except (OSError, ValueError) as exc:  # the client broke off its request (or sent bad chunks)
                raise _ClientGoneError from exc
            if piece is None:
                break
            if upstream_open:  # otherwise keep reading, so the client's connection stays in step
                try:
                    upstream.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                except OSError:
                    upstream_open = False
        if chunked and upstream_open:
            with contextlib.suppress(OSError):
                upstream.send(b"0\r\n\r\n")
        return upstream.getresponse()

    def _stream_back(self, handler: _Handler, response: http.client.HTTPResponse) -> None:
        handler.send_response_only(response.status, response.reason)
        length = response.getheader("Content-Length")
        no_body = handler.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        rechunk = length is None and not no_body
        if rechunk:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while piece := response.read(_CHUNK):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if rechunk else piece)
        if rechunk:
            handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def _record(self, entry: ProxiedRequest, replaces: ProxiedRequest | None = None) -> None:
        with self._lock:
            if replaces is not None:
                for i in range(len(self._log) - 1, -1, -1):
                    if self._log[i] is replaces:
                        self._log[i] = entry
                        return
            self._log.append(entry)


class _ClientGoneError(Exception):
    """The client broke off while sending its request."""


class _Exchange:
    """One request on its way through the proxy, and its log entry (written once, corrected if need be)."""

    def __init__(self, proxy: FaultProxy, handler: _Handler) -> None:
        self.proxy = proxy
        self.began = time.monotonic()
        self.method = handler.command
        self.path = handler.path
        self.url_path = urlsplit(handler.path).path
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.upstream_status: int | None = None
        self.fault: Fault | None = None
        self.entry: ProxiedRequest | None = None

    def log(
        self, status: int | None, upstream_status: int | None, fault: Fault | None, *, only_if_missing: bool = False
    ) -> None:
        """Log the request with these results; a second call corrects the entry (unless `only_if_missing`)."""
        if only_if_missing and self.entry is not None:
            return
        if self.entry is not None and (self.entry.status, self.entry.upstream_status, self.entry.fault) == (
            status,
            upstream_status,
            fault,
        ):
            return
        entry = ProxiedRequest(
            self.method, self.path, self.headers, status, upstream_status, fault, time.monotonic() - self.began
        )
        self.proxy._record(entry, replaces=self.entry)
        self.entry = entry
