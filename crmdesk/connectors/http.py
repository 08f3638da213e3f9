"""One httpx.Client per account: timeouts, retries with backoff and jitter, 429, 401, secret redaction (DESIGN §6).

Retries follow what is safe to repeat (STYLE §5.6): a request that never reached the server (connect error) or was
refused unprocessed (429, 503) is repeated whatever its method; one whose fate is unknown (timeout while reading,
connection dropped, 5xx) is repeated only when repeating it cannot do harm — GET, HEAD, PUT, DELETE, and calls
the connector marks idempotent (a PATCH that sets absolute values). A create that may have reached the server
raises RemoteUnavailable with `maybe_done`, so the engine looks for it before creating it again.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from crmdesk import log as log_setup
from crmdesk.errors import (
    RemoteNotFound,
    RemoteRejected,
    RemoteUnavailable,
    SignInRequired,
)
from crmdesk.tasks import CancelToken

log = logging.getLogger(__name__)
# httpx and httpcore log request URLs themselves, and ImBox's URL carries its key: their records are redacted at the
# source, whichever handler (ours, a test's, an embedding program's) ends up printing them.
for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, log_setup.RedactingFilter) for f in _logger.filters):
        _logger.addFilter(log_setup.RedactingFilter())

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND", "REPORT"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REDACTED = "***"


class HttpClient:
    """The HTTP side of one account: every request of its connector goes through `request`.

    Args:
        base_url: Prefix of every path, e.g. ``https://api.kanbert.com/api/v1``.
        name: The account's name, used in every message ("Kanbert (work): …").
        headers: Sent with every request (auth headers included: they are redacted from logs and errors).
        secrets: Strings that must never reach a log line or message (tokens, keys, passwords).
        cancel: Checked before each attempt and while waiting to retry.
        retries: Attempts after the first one.
        backoff: First retry delay in seconds; doubles each time, ±50 % jitter, at most `max_backoff`.
        max_retry_after: A longer `Retry-After` ends the run instead of blocking it.
        timeout: Connect and read timeouts.
        transport: For tests that need a custom transport; normally None.
        sleep_jitter: Random source for the jitter (seeded in tests).
    """

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        headers: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        cancel: CancelToken | None = None,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep_jitter: random.Random | None = None,
        verify: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.cancel = cancel or CancelToken()
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._secrets = tuple(s for s in secrets if s)
        for secret in self._secrets:
            log_setup.register_secret(secret)
        self._rng = sleep_jitter or random.Random()
        self.on_unauthorized: Callable[[], bool] | None = None
        self.requests = 0
        self._resume_at = 0.0  # time.monotonic() before which the server's rate limit allows no request
        self.last_date: dt.datetime | None = None
        """The server's clock (its `Date` header) at its last answer: incremental pulls take their cursor from it."""
        self._client = httpx.Client(
            headers=dict(headers or {}),
            timeout=timeout or httpx.Timeout(30.0, connect=10.0),
            transport=transport,
            follow_redirects=False,
            verify=verify,
        )

    # ---- public ------------------------------------------------------------------------------------------

    def set_header(self, name: str, value: str, *, secret: bool = False) -> None:
        """Set a header for every later request (a refreshed token); `secret` adds the value to the redactions."""
        self._client.headers[name] = value
        if secret and value:
            self._secrets = (*self._secrets, value)
            log_setup.register_secret(value)

    def redact(self, text: str) -> str:
        """`text` with every secret of this account replaced by ***."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> Any:
        """Send one request, retrying where that is safe, and return the decoded JSON body (None when empty).

        Args:
            method: HTTP method.
            path: Appended to the base URL (or a full URL, e.g. a `next` link).
            params: Query parameters.
            json_body: Sent as JSON when not None.
            idempotent: Override of the method's safety (True for a PATCH that sets absolute values).
            expect_json: False for endpoints that answer with text (vCards).

        Raises:
            SignInRequired: 401 (after the connector's one chance to refresh its token).
            RemoteRejected: any other 4xx but 429 (RemoteNotFound for 404), with the server's message.
            RemoteUnavailable: network failure, 5xx or 429 beyond the retries, or a body that is no JSON.
            Cancelled: the cancel token was set.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        attempt = 0
        while True:
            response = self.send(method, url, safe=safe, params=params, json_body=json_body)
            if response.status_code == 204 or not response.content or not expect_json:
                return response.text if not expect_json else None
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                attempt = self._retry_or_raise(
                    attempt, "the server's answer is not valid JSON", safe=safe, maybe_done=not safe
                )

    def send(
        self,
        method: str,
        url: str,
        *,
        safe: bool,
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        redirect: Callable[[str, httpx.Response], str | None] | None = None,
        reject: Callable[[str, str, httpx.Response, bool], Exception] | None = None,
    ) -> httpx.Response:
        """Send one request, retrying where that is safe; the first answer below 400 (a redirect only when
        `redirect` does not follow it). The loop every connector's requests go through, JSON or CardDAV alike.

        Args:
            method: HTTP method (upper case).
            url: The full URL.
            safe: Whether the request may be repeated when its fate is unknown (read timeout, 5xx).
            params, json_body, content, headers: What httpx sends.
            redirect: Given the URL and a 3xx answer, where to go instead (None: do not follow it).
            reject: Builds the exception for a 4xx answer (but 401 and 429) from (method, url, answer, whether an
                earlier attempt may have reached the server); default `RemoteRejected` with the server's message.

        Raises:
            SignInRequired: 401 (after the connector's one chance to refresh its token).
            RemoteRejected: (or what `reject` builds) any other 4xx but 429.
            RemoteUnavailable: network failure, 5xx or 429 beyond the retries.
            Cancelled: the cancel token was set.
        """
        refreshed = False
        attempt = 0
        unknown = False  # an earlier attempt may have reached the server
        while True:
            self.cancel.check()
            self._wait_for_quota()
            started = time.perf_counter()
            try:
                self.requests += 1
                response = self._client.request(
                    method, url, params=params, json=json_body, content=content, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Never reached the server: repeating is always safe.
                self._log_failure(method, url, exc)
                attempt = self._retry_or_raise(attempt, f"cannot reach the server ({_reason(exc)})", safe=True)
                continue
            except httpx.TransportError as exc:
                # Sent, fate unknown (read timeout, connection dropped mid-response).
                self._log_failure(method, url, exc)
                unknown = True
                attempt = self._retry_or_raise(
                    attempt, f"the connection failed ({_reason(exc)})", safe=safe, maybe_done=not safe
                )
                continue
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(
                "%s %s → %d in %.0f ms", method, self.redact(str(response.request.url)), response.status_code, elapsed
            )
            status = response.status_code
            self.last_date = _date_header(response.headers.get("Date")) or self.last_date
            self._note_quota(response.headers)
            if status == 401:
                if not refreshed and self.on_unauthorized is not None and self.on_unauthorized():
                    refreshed = True
                    continue
                raise SignInRequired(
                    f"{self.name}: the server refused the credentials — sign in again.",
                    hints=("Open the account and enter a new token or password.",),
                )
            if 300 <= status < 400 and redirect is not None:
                target = redirect(url, response)
                if target is not None:
                    url = target
                    continue
            if status == 429 or (status == 503 and "Retry-After" in response.headers):
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise RemoteUnavailable(
                        f"{self.name}: the server asks to wait {wait:.0f} s before the next request; "
                        "sync will try again later."
                    )
                attempt = self._retry_or_raise(
                    attempt, f"the server is throttling requests (HTTP {status})", safe=True, wait=wait
                )
                continue
            if status in RETRY_STATUSES:
                unknown = unknown or status != 503  # a 503 says the server did not do it
                attempt = self._retry_or_raise(
                    attempt, f"server error (HTTP {status}){_message_suffix(response)}", safe=safe, maybe_done=not safe
                )
                continue
            if status >= 400:
                raise reject(method, url, response, unknown) if reject else self._rejected(method, url, response)
            return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- private ---------------------------------------------------------------------------------------------

    def _note_quota(self, headers: httpx.Headers) -> None:
        """`X-RateLimit-Remaining: 0`: no request before the window resets (`X-RateLimit-Reset`, an epoch, or
        `Retry-After`; a window of a minute when neither says), so the run waits instead of collecting 429s."""
        remaining = headers.get("X-RateLimit-Remaining", "").strip()
        if remaining != "0":
            return
        wait = _retry_after(headers.get("Retry-After"))
        reset = headers.get("X-RateLimit-Reset", "").strip()
        if wait is None and reset.isdigit():
            wait = max(0.0, int(reset) - time.time())
        wait = 60.0 if wait is None else wait
        self._resume_at = time.monotonic() + min(wait, self.max_retry_after)

    def _wait_for_quota(self) -> None:
        pause = self._resume_at - time.monotonic()
        if pause > 0:
            log.info("%s: the server's request quota is used up; waiting %.1f s", self.name, pause)
            self.cancel.wait(pause)

    def _retry_or_raise(
        self, attempt: int, reason: str, *, safe: bool, maybe_done: bool = False, wait: float | None = None
    ) -> int:
        """Wait before the next attempt and return its number, or raise when no retry is allowed or left."""
        reason = self.redact(reason)
        if not safe or attempt >= self.retries:
            tail = " after several attempts" if safe else ""
            raise RemoteUnavailable(f"{self.name}: {reason}{tail}.", maybe_done=maybe_done)
        if wait is None:
            wait = min(self.max_backoff, self.backoff * 2**attempt) * self._rng.uniform(0.5, 1.5)
        log.info("%s: %s; retrying in %.1f s", self.name, reason, wait)
        self.cancel.wait(wait)
        return attempt + 1

    def _rejected(self, method: str, url: str, response: httpx.Response) -> RemoteRejected:
        message, problems = _server_message(response)
        where = f"{method} {self.redact(_path_of(url, self.base_url))}"
        text = f"{self.name}: the server refused {where} (HTTP {response.status_code})"
        if message:
            text += f": {self.redact(message)}"
        problems = {k: self.redact(v) for k, v in problems.items()}
        cls = RemoteNotFound if response.status_code == 404 else RemoteRejected
        return cls(text, status=response.status_code, problems=problems)

    def _log_failure(self, method: str, url: str, exc: Exception) -> None:
        log.info("%s %s failed: %s", method, self.redact(url), self.redact(_reason(exc)))


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _path_of(url: str, base: str) -> str:
    return url[len(base) :] if url.startswith(base) else url


def _date_header(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC)
    except (TypeError, ValueError):
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The error text a server put in its body: Laravel `message` + `errors`, `error`, or a short text body."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text.strip()
        return (text[:200] if text and "<" not in text[:1] else ""), {}
    problems: dict[str, str] = {}
    message = ""
    if isinstance(body, dict):
        raw = body.get("message") or body.get("error") or body.get("detail") or ""
        message = raw if isinstance(raw, str) else json.dumps(raw)[:200]
        errors = body.get("errors")
        if isinstance(errors, dict):
            for key, msgs in errors.items():
                if isinstance(msgs, list) and msgs:
                    problems[str(key)] = str(msgs[0])
                elif isinstance(msgs, str):
                    problems[str(key)] = msgs
    return message, problems


def _message_suffix(response: httpx.Response) -> str:
    message, _ = _server_message(response)
    return f": {message}" if message else ""
