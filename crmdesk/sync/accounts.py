"""Accounts and their secrets: the secret goes to the OS keyring (or an opted-into 0600 file), never the database."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from crmdesk import paths, settings
from crmdesk.domain.accounts import KINDS, AccountRecord, AccountState
from crmdesk.errors import SecretStoreUnavailable, SignInRequired, ValidationError
from crmdesk.settings import SECRET_STORES, Settings
from crmdesk.store import accounts as store_accounts
from crmdesk.store.engine import Store

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# keyring is imported where it is used: it takes ~0.1 s, which every other CLI command would pay.

log = logging.getLogger(__name__)

SERVICE = "crmdesk"
"""The keyring service name; the keyring's user name is the account id."""
MIN_INTERVAL_S = 60
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts that may be reached over plain http (an emulator, a tunnel, a CardDAV server on this computer)."""
FILE_FORMAT_VERSION = 1


class Context(Protocol):
    """What these services use of `crmdesk.context.Context`, which sits above `sync` and so is not imported here."""

    store: Store
    settings: Settings


class SecretStore(Protocol):
    """Where account secrets are kept; keyed by account id. Nothing here may log or raise a secret."""

    @property
    def description(self) -> str:
        """Where the secrets are, in words for the UI ("the macOS Keychain", "a file on this computer …")."""
        ...

    @property
    def encrypted(self) -> bool:
        """False when anyone who can read the user's files can read the secrets."""
        ...

    def get(self, account_id: str) -> str | None: ...

    def set(self, account_id: str, secret: str) -> None: ...

    def delete(self, account_id: str) -> None:
        """Forget the account's secret; no error when there is none."""
        ...


# ---- the OS keyring ----------------------------------------------------------------------------------------

_BACKEND_DESCRIPTIONS = {
    "keyring.backends.SecretService.Keyring": "the Secret Service keyring (GNOME Keyring, KeePassXC …)",
    "keyring.backends.libsecret.Keyring": "the Secret Service keyring (GNOME Keyring, KeePassXC …)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Manager",
}


def _qualname(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _chained(backend: KeyringBackend) -> list[KeyringBackend]:
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        return list(backend.backends)
    return [backend]


def _viable(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_viable(b) for b in _chained(backend))
    try:
        # A backend's priority raises RuntimeError when it cannot work here (no D-Bus, no daemon); 0 or less means
        # keyring itself would never pick it.
        return float(type(backend).priority) > 0
    except Exception as e:  # a third-party plugin may raise anything here
        log.info("keyring backend %s is not usable: %s", _qualname(backend), type(e).__name__)
        return False


def _active_backend() -> KeyringBackend | None:
    import keyring

    try:
        return keyring.get_keyring()
    except Exception as e:  # PYTHON_KEYRING_BACKEND or keyringrc.cfg names a backend that does not load
        log.warning("the configured keyring backend could not be loaded: %s: %s", type(e).__name__, e)
        return None


def keyring_usable() -> bool:
    """Whether keyring's active backend can keep secrets at all (not the fail or null backend, not an empty chain).

    A usable backend may still refuse a call (a locked collection, a daemon that stopped): `KeyringSecrets` turns
    that into `SecretStoreUnavailable`.
    """
    backend = _active_backend()
    return backend is not None and _viable(backend)


def _no_keyring_message() -> str:
    where = " (Secret Service is not running)" if sys.platform.startswith("linux") else ""
    return f"No keyring is available on this computer{where}, so crmdesk cannot keep the account's secret."


def unavailable_hints() -> tuple[str, ...]:
    """What a user without a working keyring can do; shown under `SecretStoreUnavailable`."""
    keyring_hint = (
        "Install and start a keyring (gnome-keyring, KeePassXC with its Secret Service integration, or KWallet), "
        "unlock it, and try again."
        if sys.platform.startswith("linux")
        else "Unlock your keyring and try again."
    )
    return (
        keyring_hint,
        "Or keep secrets in a file that is NOT encrypted (readable by you only, mode 0600): run "
        f'“crmdesk account secret-store file”, or put "secret_store": "file" into {paths.settings_file()}.',
    )


class KeyringSecrets:
    """Secrets in the OS keyring through `keyring`: service "crmdesk", user name = account id."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        """Use `backend`, or keyring's active backend when None.

        Raises:
            SecretStoreUnavailable: keyring has no backend that can keep a secret.
        """
        active = backend if backend is not None else _active_backend()
        if active is None or not _viable(active):
            raise SecretStoreUnavailable(_no_keyring_message(), hints=unavailable_hints())
        self._backend = active

    @property
    def description(self) -> str:
        for b in _chained(self._backend):
            if _qualname(b) in _BACKEND_DESCRIPTIONS:
                return _BACKEND_DESCRIPTIONS[_qualname(b)]
        first = _chained(self._backend)[:1] or [self._backend]
        return f"the keyring “{type(first[0]).name}”"

    @property
    def encrypted(self) -> bool:
        # Only a backend the user chose can be plain text (keyrings.alt's PlaintextKeyring): keyring never picks one.
        return not any("plaintext" in type(b).__name__.lower() for b in _chained(self._backend))

    def __repr__(self) -> str:
        return f"KeyringSecrets({_qualname(self._backend)})"

    def get(self, account_id: str) -> str | None:
        with self._translated("read", secret=None):
            return self._backend.get_password(SERVICE, account_id)

    def set(self, account_id: str, secret: str) -> None:
        with self._translated("store", secret=secret):
            self._backend.set_password(SERVICE, account_id, secret)

    def delete(self, account_id: str) -> None:
        import keyring.errors

        # PasswordDeleteError: there was none, and removing nothing is no error
        with self._translated("remove", secret=None), contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._backend.delete_password(SERVICE, account_id)

    @contextlib.contextmanager
    def _translated(self, action: str, *, secret: str | None) -> Iterator[None]:
        """Keyring and D-Bus errors as `SecretStoreUnavailable`, without the original (it might quote the secret)."""
        import keyring.errors

        try:
            yield
        except SecretStoreUnavailable:
            raise
        except Exception as e:  # backends raise keyring errors, but also D-Bus, jeepney or OS errors
            detail = str(e).replace(secret, "***") if secret else str(e)
            name = type(e).__name__
            log.warning("keyring (%s) could not %s a secret: %s: %s", _qualname(self._backend), action, name, detail)
            if isinstance(e, keyring.errors.KeyringLocked):
                message = f"The keyring is locked, so crmdesk cannot {action} the account's secret."
                hints: tuple[str, ...] = ("Unlock it (your desktop may ask for your login password) and try again.",)
            elif isinstance(e, keyring.errors.NoKeyringError):
                message, hints = _no_keyring_message(), unavailable_hints()
            else:
                message = f"The keyring ({self.description}) could not {action} the account's secret."
                hints = ("Check that the keyring is running and unlocked, then try again.", *unavailable_hints()[1:])
            raise SecretStoreUnavailable(message, hints=hints) from None


# ---- the opted-into file -----------------------------------------------------------------------------------


class FileSecrets:
    """Secrets in a JSON file only the user may read (mode 0600): not encrypted, used only when the user opted in."""

    description = "a file on this computer (not encrypted)"
    encrypted = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"FileSecrets({str(self.path)!r})"

    def get(self, account_id: str) -> str | None:
        return self._read().get(account_id)

    def set(self, account_id: str, secret: str) -> None:
        data = self._read()
        data[account_id] = secret
        self._write(data)

    def delete(self, account_id: str) -> None:
        data = self._read()
        if data.pop(account_id, None) is not None:
            self._write(data)

    def _read(self) -> dict[str, str]:
        """The stored secrets; refuses a file that other users may read or that someone else owns."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return {}
        except OSError as e:
            raise SecretStoreUnavailable(
                f"The secrets file {self.path} cannot be opened ({e.strerror or type(e).__name__}).",
                hints=("Check the file; if it is a link, replace it by the file itself.",),
            ) from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())  # the file we opened, not whatever the name points at by now
            if os.name == "posix":
                if st.st_mode & 0o077:
                    raise SecretStoreUnavailable(
                        f"The secrets file {self.path} may be read by other users of this computer "
                        f"(mode {stat.S_IMODE(st.st_mode):04o}), so crmdesk will not use it.",
                        hints=(
                            f"Make it yours only: chmod 600 '{self.path}'. Then sign in again to every account "
                            "(crmdesk account sign-in ID), since someone may have read the secrets.",
                        ),
                    )
                if st.st_uid != os.geteuid():
                    raise SecretStoreUnavailable(
                        f"The secrets file {self.path} belongs to another user, so crmdesk will not use it."
                    )
            raw = f.read()
        try:
            parsed = json.loads(raw.decode("utf-8"))
            secrets = parsed["secrets"]
            if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
                raise ValueError("secrets is not an object of strings")
        except (ValueError, KeyError, TypeError):  # never chained or quoted: the text holds the secrets
            raise SecretStoreUnavailable(
                f"The secrets file {self.path} is damaged, so crmdesk cannot read the accounts' secrets.",
                hints=("Move it away and sign in again to every account (crmdesk account sign-in ID).",),
            ) from None
        return {str(k): v for k, v in secrets.items()}

    def _write(self, data: dict[str, str]) -> None:
        """Replace the file atomically; the new file is 0600 from its creation on, never readable by others."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"version": FILE_FORMAT_VERSION, "secrets": dict(sorted(data.items()))}, indent=1)
        # mkstemp opens with O_CREAT | O_EXCL and mode 0600, so no other user ever sees a readable file.
        fd, tmp_name = tempfile.mkstemp(prefix=".secrets-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), 0o600)
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise


def secret_store(config: Settings) -> SecretStore:
    """The secret store the settings choose.

    `secret_store = "file"` (an explicit opt-in) always means the file; `"keyring"` means the OS keyring or an error.

    Raises:
        SecretStoreUnavailable: the keyring was chosen and no keyring backend works here; the hints say how to
            install one or to opt into the file.
    """
    if config.secret_store == "file":
        return FileSecrets(paths.secrets_file())
    return KeyringSecrets()


# ---- services ----------------------------------------------------------------------------------------------


def _url_problem(url: str) -> str | None:
    """What is wrong with a base URL, or None. The URL is never quoted: it might carry a password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "must be an http(s) address with a host name, e.g. https://crm.example.com"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password (the secret is asked for separately and kept in the keyring)"
    if parts.scheme.lower() == "http" and not _is_local(host):
        return "must use https (plain http is allowed only for localhost, 127.0.0.1 and ::1)"
    return None


def _is_local(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host) in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    except ValueError:
        return False


def _normalized(rec: AccountRecord) -> AccountRecord:
    return rec.replace(name=rec.name.strip(), base_url=rec.base_url.strip())


def check_account(ctx: Context, rec: AccountRecord, *, secret: str | None = None) -> None:
    """Check an account before it is stored (the secret too, unless None); nothing is written.

    Raises:
        ValidationError: field name (`name`, `base_url`, `interval_s`, `options`, `option:<key>` for a missing
            kind-specific option, `secret`) → what is wrong.
    """
    rec = _normalized(rec)
    problems: dict[str, str] = {}
    if not rec.name:
        problems["name"] = "must not be empty"
    else:
        with ctx.store.read() as s:
            others = [a for a in store_accounts.all_accounts(s) if a.id != rec.id]
        if any(a.name.casefold() == rec.name.casefold() for a in others):
            problems["name"] = f"another account is already called “{rec.name}”"
    url_problem = _url_problem(rec.base_url)
    if url_problem:
        problems["base_url"] = url_problem
    if rec.interval_s < MIN_INTERVAL_S:
        problems["interval_s"] = f"must be at least {MIN_INTERVAL_S} seconds"
    if any(not k.strip() for k, _ in rec.options):
        problems["options"] = "an option needs a name"
    for option in KINDS[rec.kind].options:
        if not rec.option(option.key).strip():
            problems[f"option:{option.key}"] = f"{rec.kind.label} needs the {option.label} ({option.key}=…)"
    if secret is not None and not secret.strip():
        problems["secret"] = "must not be empty"
    if problems:
        raise ValidationError(problems)


def add_account(ctx: Context, rec: AccountRecord, *, secret: str) -> AccountRecord:
    """Store a new account: its secret in the secret store first, then its row (a failed row removes the secret).

    Args:
        ctx: The context.
        rec: The account; its `id` must be new.
        secret: The API token or password; it is never logged, stored in the database or put in an exception.

    Returns:
        The account as stored.

    Raises:
        ValidationError: a field is invalid (see `check_account`).
        SecretStoreUnavailable: no secret store works here.
    """
    rec = _normalized(rec)
    check_account(ctx, rec, secret=secret)
    with ctx.store.read() as s:
        if rec.id in {a.id for a in store_accounts.all_accounts(s)}:
            raise ValueError(f"account {rec.id} exists already; use update_account")
    secrets = secret_store(ctx.settings)
    secrets.set(rec.id, secret)
    try:
        with ctx.store.write() as s:
            stored = store_accounts.save(s, rec)
    except BaseException:
        try:
            secrets.delete(rec.id)
        except SecretStoreUnavailable:
            log.warning("the secret of account %s, whose row could not be stored, could not be removed", rec.id)
        raise
    log.info("added account %s (%s, %s)", stored.id, stored.kind.value, stored.name)
    return stored


def update_account(ctx: Context, rec: AccountRecord, *, secret: str | None = None) -> AccountRecord:
    """Change an account's settings and, when `secret` is given, its secret (which clears "sign in again").

    Returns:
        The account as stored.

    Raises:
        NotFoundError: there is no such account.
        ValidationError: a field is invalid (see `check_account`).
        SecretStoreUnavailable: a secret was given and no secret store works here.
    """
    rec = _normalized(rec)
    check_account(ctx, rec, secret=secret)
    with ctx.store.read() as s:
        store_accounts.get(s, rec.id)
    secrets = secret_store(ctx.settings) if secret is not None else None
    old_secret = secrets.get(rec.id) if secrets is not None else None
    try:
        with ctx.store.write() as s:
            stored = store_accounts.save(s, rec)
            if secrets is not None and secret is not None:
                secrets.set(rec.id, secret)
                if stored.state is AccountState.SIGN_IN:
                    store_accounts.set_state(s, rec.id, AccountState.NEW)
                    stored = store_accounts.get(s, rec.id)
    except BaseException:
        if secrets is not None:  # the row did not change: neither may the secret
            try:
                if old_secret is None:
                    secrets.delete(rec.id)
                else:
                    secrets.set(rec.id, old_secret)
            except SecretStoreUnavailable:
                log.warning("the previous secret of account %s could not be put back", rec.id)
        raise
    log.info("updated account %s%s", rec.id, " and its secret" if secret is not None else "")
    return stored


def remove_account(ctx: Context, account_id: str) -> None:
    """Delete an account's row (its links and conflicts go with it; the local records stay), then its secret.

    A secret that cannot be removed (no keyring any more) is only logged: the account is gone either way.

    Raises:
        NotFoundError: there is no such account.
    """
    with ctx.store.write() as s:
        store_accounts.get(s, account_id)
        store_accounts.remove(s, account_id)
    try:
        secret_store(ctx.settings).delete(account_id)
    except SecretStoreUnavailable as e:
        log.warning("account %s was removed but its secret could not be: %s", account_id, e)
    log.info("removed account %s", account_id)


def list_accounts(ctx: Context) -> list[AccountRecord]:
    """Every account, oldest first."""
    with ctx.store.read() as s:
        return store_accounts.all_accounts(s)


def get_account(ctx: Context, account_id: str) -> AccountRecord:
    """One account.

    Raises:
        NotFoundError: there is no such account.
    """
    with ctx.store.read() as s:
        return store_accounts.get(s, account_id)


def get_secret(ctx: Context, account_id: str) -> str:
    """The account's secret, for its connector only: never log it or put it in an exception.

    Raises:
        NotFoundError: there is no such account.
        SignInRequired: no secret is stored for the account (the user must sign in again).
        SecretStoreUnavailable: no secret store works here.
    """
    rec = get_account(ctx, account_id)
    secret = secret_store(ctx.settings).get(account_id)
    if not secret:
        raise SignInRequired(
            f"No secret is stored for the account “{rec.name}”; sign in again.",
            hints=(f"Run: crmdesk account sign-in {rec.id}",),
        )
    return secret


def use_secret_store(ctx: Context, choice: str) -> int:
    """Switch where secrets are kept ("keyring" or "file"), moving the accounts' secrets there, and save it.

    Secrets the old store cannot give (no keyring any more) are not moved: those accounts ask to sign in again.

    Returns:
        How many secrets were moved.

    Raises:
        ValueError: `choice` is not one of `settings.SECRET_STORES`.
        SecretStoreUnavailable: the keyring was chosen and does not work here (nothing changed).
    """
    if choice not in SECRET_STORES:
        raise ValueError(f"secret store must be one of {SECRET_STORES}, not {choice!r}")
    if choice == ctx.settings.secret_store:
        return 0
    new_settings = ctx.settings.replace(secret_store=choice)
    target = secret_store(new_settings)
    source: SecretStore | None
    try:
        source = secret_store(ctx.settings)
    except SecretStoreUnavailable:
        source = None
    ids = [a.id for a in list_accounts(ctx)]
    moved: list[str] = []
    for account_id in ids:
        try:
            value = source.get(account_id) if source is not None else None
        except SecretStoreUnavailable:
            value = None
        if value:
            target.set(account_id, value)
            moved.append(account_id)
    settings.save(paths.settings_file(), new_settings)
    ctx.settings = new_settings
    for account_id in moved:  # only now: until the setting is saved, the old store is the one in use
        assert source is not None
        try:
            source.delete(account_id)
        except SecretStoreUnavailable:
            log.warning("the old copy of the secret of account %s could not be removed", account_id)
    log.info("secrets are now kept in %s; %d moved", target.description, len(moved))
    return len(moved)
