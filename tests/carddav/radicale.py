r"""A real Radicale CardDAV server in a subprocess, for tests (`radicale` from PyPI, run as `python -m radicale`).

`RadicaleServer` writes a config file (127.0.0.1 on a free port, a temporary storage folder, plain-text htpasswd
users, `owner_only` rights, logging at "warning" into `radicale.log`), starts the server, waits until it answers
`OPTIONS /` with `DAV: …addressbook`, and stops it with SIGTERM (then SIGKILL). `--config FILE` replaces Radicale's
default config paths, so /etc/radicale and ~/.config/radicale are not read.

How Radicale 3.9.0 (vobject 0.9.9) answers — checked against the running server; the starred ones are pinned by
tests/carddav/test_radicale_fixture.py. A CardDAV connector is written against this.

Discovery and auth
* `GET` or `PROPFIND /.well-known/carddav` → **301**, `Location: /` (relative), with or without credentials.*
* Without credentials everything else is **401** `WWW-Authenticate: Basic realm="Radicale - Password Required"`;
  a wrong password is 401 too (after `[auth] delay`, 1 s by default, 0 here).*
* `PROPFIND /` Depth 0 `D:current-user-principal` → 207, `/ines/`.* The principal collection is created on the
  user's first authenticated request.
* `PROPFIND /ines/` `CR:addressbook-home-set` → 207, `/ines/`: the home IS the principal; its address books are its
  direct children (`PROPFIND /ines/` Depth 1: resourcetype `D:collection` + `CR:addressbook`, `D:displayname`,
  `D:sync-token`; per the source also `CS:getctag`).* Another user's principal → **403** (`owner_only`).*
* Extended `MKCOL /ines/<name>/` (RFC 5689) → **201**; on an existing path → **405**.* DELETE of a collection (an
  address book, or the whole principal with all its books) → 200.

Writes
* `PUT` → **201** new / **204** replaced, empty body, `ETag: "<64 hex>"` (sha256-like, opaque).*
  `If-None-Match: *` on an existing href → **412**; `If-Match` stale → 412; `If-Match` on a missing href → 412.*
* Radicale stores vobject's re-serialisation, not the bytes sent: CRLF, UID right after VERSION, other properties
  reordered; GET returns that text and its ETag equals the PUT's.* So compare cards by content, never by bytes.
* DATA LOSS to know about: an unescaped comma in a text property (FN, NOTE, TITLE, NICKNAME…, e.g. `FN:Doe, John`)
  is cut off silently at the first comma (`FN:Doe`), still 201/204*; `ORG:A, Inc;Dept` → 400. Escaped `\,` is kept;
  ADR and CATEGORIES keep their commas. A connector must escape commas in text values (vobject does).
* Refused: a card without UID → **400** (Radicale does not add one)*; two cards in one PUT → 400*; unparsable → 400;
  the UID of another href in the same book → **409** `<D:error><CR:no-uid-conflict/>`.*
* A chunked request body (`Transfer-Encoding: chunked`, no Content-Length) is not read: 400 "0 components". Send
  Content-Length (httpx does for `content=bytes`).
* `DELETE` with the current `If-Match` → **200** with a small multistatus body (not 204)*; stale → 412*; missing → 404.*

Reads
* `REPORT D:sync-collection` (RFC 6578; the Depth header is ignored, 0 is right; `sync-level 1`) → 207.*
  An empty `<D:sync-token/>` lists every member as `<D:response><D:href/><D:propstat>…200`, plus the token.
  Token: `http://radicale.org/ns/sync/<64 hex>`, the sha256 over href + history-ETag of present AND deleted members;
  every empty, never-written book has `…/sync/e3b0c442…b855` (sha256 of nothing).* With a token: changed/new
  members as 200 propstats, deleted ones as `<D:response><D:href/><D:status>HTTP/1.1 404 Not Found</D:status>`.*
  Unchanged → the same token, no responses.* Older tokens stay valid (`[storage] max_sync_token_age`, 30 days).*
  A malformed or unknown token → **403** `<D:error><D:valid-sync-token/></D:error>` (RFC 6578 §3.2; never 409).*
  A book deleted and re-created at the same URL forgets its tokens (403), except the empty-book token, which
  then still "matches" an empty new book. Per the source, `D:limit`/`nresults` is ignored: no 507 paging.
* `REPORT CR:addressbook-multiget` (Depth 1 or 0) → 207, one response per href with `D:getetag` and
  `CR:address-data`; a missing href → a response with `HTTP/1.1 404 Not Found`*; per the source, hrefs outside the
  book are skipped without any response.
* 207 bodies use a default namespace (`<multistatus xmlns="DAV:">`) and prefix `CR` for CardDAV: parse by
  namespace. Hrefs are absolute paths (`/ines/contacts/a.vcf`), percent-encoded, not URLs.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Final, Self
from urllib.parse import quote
from xml.sax.saxutils import escape

import httpx

STARTUP_TIMEOUT: Final = 15.0
"""Seconds `RadicaleServer.start` waits for the server to answer."""

_MKCOL_ADDRESSBOOK: Final = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set>
    <D:prop>
      <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
      <D:displayname>{displayname}</D:displayname>
    </D:prop>
  </D:set>
</D:mkcol>
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if someone takes it meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RadicaleError(RuntimeError):
    """Radicale did not start, or answered a set-up request unexpectedly."""


class RadicaleServer:
    """A Radicale server in a subprocess on 127.0.0.1, storage and config under `base_dir`.

    Args:
        base_dir: A private folder (e.g. pytest's `tmp_path`); the config, users file, log and storage go there.
        users: User name → password (stored in plain text).
        port: TCP port; None picks a free one.

    Attributes:
        users: The users it knows (see `add_user`).
        port: The port it listens on (after `start`).
        storage: Radicale's `filesystem_folder`.
        log_file: Radicale's stderr (warnings and errors only).
        startup_seconds: How long the last `start` took until the server answered.
    """

    def __init__(self, base_dir: Path, users: Mapping[str, str] | None = None, *, port: int | None = None) -> None:
        self.base_dir = Path(base_dir)
        self.users: dict[str, str] = dict(users if users is not None else {"ines": "ines-radicale-pw-7c41"})
        self._fixed_port = port
        self.port = port or 0
        self.storage = self.base_dir / "storage"
        self.config_file = self.base_dir / "radicale.ini"
        self.users_file = self.base_dir / "users"
        self.log_file = self.base_dir / "radicale.log"
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[bytes] | None = None
        self._admin: httpx.Client | None = None  # one client for set-up requests: a new one costs ~40 ms (SSL context)

    # -- life cycle ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL with a trailing slash, e.g. "http://127.0.0.1:43125/"."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def running(self) -> bool:
        """Whether the subprocess is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start Radicale and wait until it answers HTTP; returns self.

        A restart after `stop()`/`kill()` uses the same port, and so keeps `url`, unless the port was taken meanwhile
        (then, as on a first start with no fixed port, up to three free ports are tried).

        Raises:
            RadicaleError: When it exits early or does not answer within `STARTUP_TIMEOUT` (the log is quoted).
        """
        if self.running:
            return self
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        self._write_users()
        attempts = 1 if self._fixed_port else 3
        began = time.monotonic()
        for attempt in range(attempts):
            # a restart keeps the port (and so `url`) unless someone took it meanwhile
            self.port = self._fixed_port or (self.port if attempt == 0 and self.port else free_port())
            self._write_config()
            if self._launch():
                self.startup_seconds = time.monotonic() - began
                return self
            if attempt == attempts - 1 or "cannot create server socket" not in self._log_tail():
                break
        raise RadicaleError(f"Radicale did not start on port {self.port}:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server: SIGTERM (Radicale finishes running requests), wait, then kill."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash or power cut would (`start()` brings it back on the same port)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _launch(self) -> bool:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RADICALE_")}
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                cwd=self.base_dir,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            if self._answers_options():
                if self._process.poll() is None:
                    return True
                break  # someone else answers on that port; ours could not bind
            time.sleep(0.01)
        self.stop()
        return False

    def _answers_options(self) -> bool:
        """Whether a CardDAV server (`DAV: …addressbook`) answers `OPTIONS /` on the port."""
        head = b""
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"OPTIONS / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            while b"\r\n\r\n" not in head and (piece := sock.recv(4096)):
                head += piece
        return head.startswith(b"HTTP/1.") and b"addressbook" in head.lower()

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_users(self) -> None:
        text = "".join(f"{user}:{password}\n" for user, password in self.users.items())
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.users_file)

    def _write_config(self) -> None:
        self.config_file.write_text(
            f"""[server]
hosts = 127.0.0.1:{self.port}
max_connections = 64
timeout = 30

[encoding]
request = utf-8
stock = utf-8

[auth]
type = htpasswd
htpasswd_filename = {self.users_file}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {self.storage}

[web]
type = none

[logging]
level = warning
mask_passwords = True
""",
            encoding="utf-8",
        )

    # -- users and collections -------------------------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """Add (or change) a user; the running server reads the users file on every login."""
        self.users[user] = password
        self._write_users()

    def auth(self, user: str = "ines") -> tuple[str, str]:
        """`(user, password)` for httpx's `auth=`."""
        return user, self.users[user]

    def client(self, user: str = "ines", **kwargs: object) -> httpx.Client:
        """An httpx client on `url` signed in as `user` (the caller closes it)."""
        return httpx.Client(base_url=self.url, auth=self.auth(user), timeout=10, **kwargs)  # type: ignore[arg-type]

    def principal_url(self, user: str = "ines") -> str:
        """The user's principal (and address-book home) URL, e.g. "http://127.0.0.1:43125/ines/"."""
        return f"{self.url}{quote(user, safe='')}/"

    def addressbook_url(self, user: str = "ines", name: str = "contacts") -> str:
        """The URL an address book `name` of `user` has (whether or not it exists)."""
        return f"{self.principal_url(user)}{quote(name, safe='')}/"

    def make_addressbook(self, user: str = "ines", name: str = "contacts", displayname: str | None = None) -> str:
        """Create an address book with an extended MKCOL (RFC 5689), as a CardDAV client does.

        Returns:
            Its full URL, with a trailing slash.

        Raises:
            RadicaleError: When Radicale does not answer 201 (e.g. 405: it exists already).
        """
        url = self.addressbook_url(user, name)
        body = _MKCOL_ADDRESSBOOK.format(displayname=escape(displayname if displayname is not None else name))
        response = self._request(
            "MKCOL", url, user, content=body.encode(), headers={"Content-Type": "application/xml; charset=utf-8"}
        )
        if response.status_code != 201:
            raise RadicaleError(f"MKCOL {url} → {response.status_code}: {response.text[:500]}")
        return url

    def delete_collection(self, url: str, user: str = "ines") -> int:
        """DELETE a collection (address book or a whole principal); returns the status (404 when it was not there)."""
        return self._request("DELETE", url, user).status_code

    def _request(
        self, method: str, url: str, user: str, *, content: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        if self._admin is None:
            self._admin = httpx.Client(timeout=10)
        return self._admin.request(method, url, content=content, headers=headers, auth=self.auth(user))
