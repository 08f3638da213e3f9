"""Accounts and their secrets: keyring or the opted-into 0600 file, validation, and no secret in any log or error."""

from __future__ import annotations

import json
import logging
import os
import stat
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import keyring_backend
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from crmdesk import paths, settings
from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord, AccountState, Policy
from crmdesk.errors import NotFoundError, SecretStoreUnavailable, SignInRequired, ValidationError
from crmdesk.store import accounts as store_accounts
from crmdesk.store.common import utc_now
from crmdesk.store.schema import SyncConflict, SyncLink
from crmdesk.sync import accounts
from crmdesk.sync.accounts import FileSecrets, KeyringSecrets

SECRET = "tok-3f9c1b7e-NEVER-SHOWN"


def _rec(**changes: object) -> AccountRecord:
    base = AccountRecord(kind=AccountKind.KANBERT, name="Work CRM", base_url="https://crm.example.com/api")
    return base.replace(**changes)


def _everything_on_disk(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A headless Linux without Secret Service: keyring's fail backend, chosen the way a user's setting would."""
    before = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    assert isinstance(keyring.get_keyring(), fail.Keyring)
    yield
    keyring.set_keyring(before)


def _backend(cls: type[KeyringBackend]) -> KeyringBackend:
    return cls()  # through type[KeyringBackend]: calling e.g. null.Keyring() is an untyped call to mypy


def _opt_into_file(ctx: Context) -> None:
    ctx.settings = ctx.settings.replace(secret_store="file")


# ---- the keyring -------------------------------------------------------------------------------------------


def test_the_pinned_memory_keyring_is_used(ctx: Context) -> None:
    assert isinstance(keyring.get_keyring(), keyring_backend.MemoryKeyring)
    assert accounts.keyring_usable()
    store = accounts.secret_store(ctx.settings)
    assert isinstance(store, KeyringSecrets)
    assert store.encrypted and "MemoryKeyring" in store.description


def test_add_keeps_the_secret_in_the_keyring_and_nowhere_on_disk(ctx: Context, data_dir: Path) -> None:
    stored = accounts.add_account(ctx, _rec(name="  Work CRM ", options=(("tenant", "acme"),)), secret=SECRET)
    assert stored.name == "Work CRM" and stored.option("tenant") == "acme" and stored.state is AccountState.NEW
    assert keyring_backend.stored() == {("crmdesk", stored.id): SECRET}
    assert accounts.get_secret(ctx, stored.id) == SECRET
    assert accounts.list_accounts(ctx) == [stored]
    ctx.close()  # everything the store wrote is on disk now, WAL included
    assert SECRET.encode() not in _everything_on_disk(data_dir)


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com",
        "https://crm.example.com:8443/api/v1/",
        "http://localhost:8080",
        "http://127.0.0.1:5232/dav/",
        "http://[::1]:8000/",
        "HTTPS://CRM.EXAMPLE.COM",
    ],
)
def test_good_urls(ctx: Context, url: str) -> None:
    accounts.check_account(ctx, _rec(base_url=url), secret="x")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://crm.example.com", "must use https"),
        ("http://127.0.0.2", "must use https"),
        ("ftp://crm.example.com", "http(s) address"),
        ("crm.example.com", "http(s) address"),
        ("https://", "http(s) address"),
        ("", "http(s) address"),
        ("https://crm.example.com:99999", "not a valid URL"),
        (f"https://ines:{SECRET}@crm.example.com", "must not contain a user name or password"),
    ],
)
def test_bad_urls_are_refused_without_quoting_them(ctx: Context, url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.add_account(ctx, _rec(base_url=url), secret=SECRET)
    assert list(info.value.problems) == ["base_url"]
    assert problem in info.value.problems["base_url"]
    assert SECRET not in str(info.value)
    assert keyring_backend.stored() == {} and accounts.list_accounts(ctx) == []


def test_every_field_problem_at_once(ctx: Context) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.add_account(
            ctx, _rec(name=" ", base_url="http://x.org", interval_s=59, options=((" ", "v"),)), secret="  "
        )
    assert set(info.value.problems) == {"name", "base_url", "interval_s", "options", "secret"}
    assert "at least 60 seconds" in info.value.problems["interval_s"]
    accounts.check_account(ctx, _rec(interval_s=60), secret="x")


def test_names_are_unique_ignoring_case(ctx: Context) -> None:
    first = accounts.add_account(ctx, _rec(), secret=SECRET)
    with pytest.raises(ValidationError) as info:
        accounts.add_account(ctx, _rec(name="work crm"), secret=SECRET)
    assert "already called" in info.value.problems["name"]
    accounts.update_account(ctx, first.replace(name="WORK CRM"))  # renaming itself is fine


def test_a_row_that_cannot_be_stored_takes_its_secret_with_it(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_save(*args: object, **kwargs: object) -> AccountRecord:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_accounts, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk on fire"):
        accounts.add_account(ctx, _rec(), secret=SECRET)
    assert keyring_backend.stored() == {}
    assert accounts.list_accounts(ctx) == []


def test_adding_an_existing_id_is_a_bug(ctx: Context) -> None:
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    with pytest.raises(ValueError, match="exists already"):
        accounts.add_account(ctx, rec.replace(name="Other"), secret="other")
    assert accounts.get_secret(ctx, rec.id) == SECRET


def test_update_keeps_or_replaces_the_secret_and_a_new_one_clears_sign_in(ctx: Context) -> None:
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    changed = accounts.update_account(ctx, rec.replace(policy=Policy.NEWEST_WINS, interval_s=120))
    assert (changed.policy, changed.interval_s) == (Policy.NEWEST_WINS, 120)
    assert accounts.get_secret(ctx, rec.id) == SECRET
    with ctx.store.write() as s:
        store_accounts.set_state(s, rec.id, AccountState.SIGN_IN, error="HTTP 401")
    renewed = accounts.update_account(ctx, changed, secret="tok-new")
    assert renewed.state is AccountState.NEW
    assert accounts.get_secret(ctx, rec.id) == "tok-new"
    with pytest.raises(NotFoundError):
        accounts.update_account(ctx, _rec(name="Ghost"))


def test_a_failed_update_puts_the_old_secret_back(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)

    def broken_set_state(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    with ctx.store.write() as s:
        store_accounts.set_state(s, rec.id, AccountState.SIGN_IN)
    monkeypatch.setattr(store_accounts, "set_state", broken_set_state)
    with pytest.raises(RuntimeError):
        accounts.update_account(ctx, rec.replace(name="Renamed"), secret="tok-new")
    assert accounts.get_secret(ctx, rec.id) == SECRET
    assert accounts.get_account(ctx, rec.id).name == "Work CRM"


def test_remove_takes_row_secret_links_and_conflicts(ctx: Context) -> None:
    keep = accounts.add_account(ctx, _rec(name="Keep"), secret="tok-keep")
    gone = accounts.add_account(ctx, _rec(name="Gone"), secret=SECRET)
    with ctx.store.write() as s:
        for acc in (keep, gone):
            s.add(SyncLink(account_id=acc.id, entity="person", local_id=str(uuid.uuid4()), remote_id="r1"))
            s.add(
                SyncConflict(
                    id=str(uuid.uuid4()),
                    account_id=acc.id,
                    entity="person",
                    local_id=str(uuid.uuid4()),
                    field="notes",
                    kept="remote",
                    created_at=utc_now(),
                )
            )
    accounts.remove_account(ctx, gone.id)
    assert [a.id for a in accounts.list_accounts(ctx)] == [keep.id]
    assert keyring_backend.stored() == {("crmdesk", keep.id): "tok-keep"}
    with ctx.store.read() as s:
        assert {link.account_id for link in s.query(SyncLink)} == {keep.id}
        assert {c.account_id for c in s.query(SyncConflict)} == {keep.id}
    with pytest.raises(NotFoundError):
        accounts.remove_account(ctx, gone.id)


def test_no_stored_secret_means_sign_in_again(ctx: Context) -> None:
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    keyring_backend.reset()
    with pytest.raises(SignInRequired) as info:
        accounts.get_secret(ctx, rec.id)
    assert str(info.value) == "No secret is stored for the account “Work CRM”; sign in again."
    assert any(rec.id in h for h in info.value.hints)
    with pytest.raises(NotFoundError):
        accounts.get_secret(ctx, "no-such-id")


# ---- keyring failures --------------------------------------------------------------------------------------


def test_no_keyring_says_so_and_stores_nothing(ctx: Context, no_keyring: None) -> None:
    assert not accounts.keyring_usable()
    with pytest.raises(SecretStoreUnavailable) as info:
        accounts.add_account(ctx, _rec(), secret=SECRET)
    assert str(info.value).startswith("No keyring is available on this computer")
    hints = " ".join(info.value.hints)
    assert "gnome-keyring" in hints and "KWallet" in hints
    assert "crmdesk account secret-store file" in hints and "NOT encrypted" in hints
    assert accounts.list_accounts(ctx) == []


@pytest.mark.parametrize("cls", [null.Keyring, fail.Keyring], ids=["null", "fail"])
def test_null_and_fail_backends_are_not_usable(cls: type[KeyringBackend]) -> None:
    backend = _backend(cls)
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        assert not accounts.keyring_usable()
    finally:
        keyring.set_keyring(before)
    with pytest.raises(SecretStoreUnavailable):
        KeyringSecrets(backend)


def test_a_chainer_without_backends_is_not_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    assert not accounts._viable(_backend(chainer.ChainerBackend))
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [_backend(null.Keyring), keyring_backend.MemoryKeyring()])
    assert accounts._viable(_backend(chainer.ChainerBackend))


def test_a_backend_that_cannot_load_is_not_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    before = keyring.get_keyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    try:
        assert not accounts.keyring_usable()
    finally:
        keyring.set_keyring(before)


def test_a_locked_keyring_is_a_plain_message(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(self: object, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"Failed to unlock the collection for {password}!")

    monkeypatch.setattr(keyring_backend.MemoryKeyring, "set_password", locked)
    with pytest.raises(SecretStoreUnavailable) as info:
        accounts.add_account(ctx, _rec(), secret=SECRET)
    assert str(info.value) == "The keyring is locked, so crmdesk cannot store the account's secret."
    assert "Unlock it" in info.value.hints[0]
    assert accounts.list_accounts(ctx) == []


def test_a_dbus_error_is_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    class DBusError(Exception):
        pass

    def broken(self: object, service: str, username: str) -> str | None:
        raise DBusError("org.freedesktop.DBus.Error.ServiceUnknown")

    monkeypatch.setattr(keyring_backend.MemoryKeyring, "get_password", broken)
    with pytest.raises(SecretStoreUnavailable, match=r"^The keyring \(.*\) could not read the account's secret\.$"):
        KeyringSecrets().get("some-id")


# ---- the file store ----------------------------------------------------------------------------------------


def test_opted_in_file_store_works_without_a_keyring(ctx: Context, no_keyring: None, data_dir: Path) -> None:
    _opt_into_file(ctx)
    store = accounts.secret_store(ctx.settings)
    assert isinstance(store, FileSecrets)
    assert (store.description, store.encrypted) == ("a file on this computer (not encrypted)", False)
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    path = paths.secrets_file()
    assert path == data_dir / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1, "secrets": {rec.id: SECRET}}
    assert accounts.get_secret(ctx, rec.id) == SECRET
    accounts.remove_account(ctx, rec.id)
    assert json.loads(path.read_text(encoding="utf-8"))["secrets"] == {}


def test_file_setting_means_the_file_even_with_a_keyring(ctx: Context) -> None:
    _opt_into_file(ctx)
    assert accounts.keyring_usable()
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    assert keyring_backend.stored() == {}
    assert FileSecrets(paths.secrets_file()).get(rec.id) == SECRET


def test_the_file_is_never_readable_by_others_not_even_while_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deep" / "secrets.json"
    modes: list[int] = []
    real_replace = os.replace

    def watching_replace(src: str, dst: Path) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    old_umask = os.umask(0)  # the most permissive umask: the code alone must keep the file private
    try:
        store = FileSecrets(path)
        store.set("a", SECRET)
        store.set("b", "other")
        store.delete("a")
    finally:
        os.umask(old_umask)
    assert modes == [0o600, 0o600, 0o600]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert store.get("a") is None and store.get("b") == "other"
    assert [p.name for p in path.parent.iterdir()] == ["secrets.json"], "no temporary file is left behind"


def test_a_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    FileSecrets(path).set("a", SECRET)
    path.chmod(0o644)
    with pytest.raises(SecretStoreUnavailable) as info:
        FileSecrets(path).get("a")
    assert "may be read by other users" in str(info.value) and "0644" in str(info.value)
    assert f"chmod 600 '{path}'" in info.value.hints[0]
    assert SECRET not in str(info.value) + " ".join(info.value.hints)
    with pytest.raises(SecretStoreUnavailable):
        FileSecrets(path).set("b", "other")  # a write reads first: it must not quietly fix the mode
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_a_damaged_file_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f'{{"secrets": {{"a": "{SECRET}"'.encode())
    os.close(fd)
    with pytest.raises(SecretStoreUnavailable, match="is damaged") as info:
        FileSecrets(path).get("a")
    assert SECRET not in "".join(traceback.format_exception(info.value))


def test_switching_stores_moves_the_secrets(ctx: Context) -> None:
    a = accounts.add_account(ctx, _rec(name="A"), secret="tok-a")
    b = accounts.add_account(ctx, _rec(name="B"), secret="tok-b")
    assert accounts.use_secret_store(ctx, "file") == 2
    assert ctx.settings.secret_store == "file"
    assert settings.load(paths.settings_file()).secret_store == "file"
    assert keyring_backend.stored() == {}
    assert (accounts.get_secret(ctx, a.id), accounts.get_secret(ctx, b.id)) == ("tok-a", "tok-b")
    assert accounts.use_secret_store(ctx, "file") == 0
    assert accounts.use_secret_store(ctx, "keyring") == 2
    assert keyring_backend.stored() == {("crmdesk", a.id): "tok-a", ("crmdesk", b.id): "tok-b"}
    assert json.loads(paths.secrets_file().read_text(encoding="utf-8"))["secrets"] == {}
    with pytest.raises(ValueError):
        accounts.use_secret_store(ctx, "vault")


def test_switching_to_the_keyring_without_one_changes_nothing(ctx: Context, no_keyring: None) -> None:
    _opt_into_file(ctx)
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    with pytest.raises(SecretStoreUnavailable):
        accounts.use_secret_store(ctx, "keyring")
    assert ctx.settings.secret_store == "file" and accounts.get_secret(ctx, rec.id) == SECRET


def test_remove_without_a_keyring_still_removes_the_account(
    ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()  # the conftest fixture restores the memory keyring after the test
    with caplog.at_level(logging.WARNING):
        accounts.remove_account(ctx, rec.id)
    assert accounts.list_accounts(ctx) == []
    assert "was removed but its secret could not be" in caplog.text


def test_settings_secret_store_is_validated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    assert settings.load(path).secret_store == "keyring"
    path.write_text('{"secret_store": "file"}', encoding="utf-8")
    assert settings.load(path).secret_store == "file"
    path.write_text('{"secret_store": "vault", "page_size": 50}', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        loaded = settings.load(path)
    assert (loaded.secret_store, loaded.page_size) == ("keyring", 50)
    assert "secret_store must be one of" in caplog.text


# ---- the secret never shows ------------------------------------------------------------------------------


def test_the_secret_is_in_no_log_line_exception_or_repr(
    ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    rec = accounts.add_account(ctx, _rec(), secret=SECRET)
    accounts.update_account(ctx, rec.replace(policy=Policy.LOCAL_WINS), secret=SECRET + "-2")
    accounts.get_secret(ctx, rec.id)
    for bad in (_rec(name="", base_url=f"https://u:{SECRET}@h.example"), _rec(name="Other", interval_s=1)):
        with pytest.raises(ValidationError) as v_info:
            accounts.add_account(ctx, bad, secret=SECRET)
        errors.append(v_info.value)

    def leaky(self: object, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"cannot store {password!r}")  # a backend that quotes what it was given

    monkeypatch.setattr(keyring_backend.MemoryKeyring, "set_password", leaky)
    with pytest.raises(SecretStoreUnavailable) as s_info:
        accounts.add_account(ctx, _rec(name="Third"), secret=SECRET)
    errors.append(s_info.value)
    with pytest.raises(SecretStoreUnavailable) as s_info:
        accounts.update_account(ctx, rec, secret=SECRET)
    errors.append(s_info.value)
    monkeypatch.undo()
    ctx.settings = ctx.settings.replace(secret_store="file")
    accounts.use_secret_store(ctx, "keyring")
    path = paths.secrets_file()
    FileSecrets(path).set(rec.id, SECRET)
    path.chmod(0o644)
    with pytest.raises(SecretStoreUnavailable) as f_info:
        accounts.use_secret_store(ctx, "file")  # reads the 0644 file
    errors.append(f_info.value)

    assert len(errors) == 5 and caplog.records
    assert SECRET not in caplog.text
    assert not any(SECRET in r.getMessage() or SECRET in repr(r.args) for r in caplog.records)
    for e in errors:
        text = "".join(traceback.format_exception(e)) + repr(e) + " ".join(getattr(e, "hints", ()))
        assert SECRET not in text
    for shown in (repr(rec), repr(KeyringSecrets()), repr(FileSecrets(path)), repr(accounts.list_accounts(ctx))):
        assert SECRET not in shown
