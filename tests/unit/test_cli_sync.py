"""`crmdesk account …` in-process, on a real store file: the secret from stdin or a prompt, listings, exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import keyring_backend
import pytest
from keyring.backends import fail

from crmdesk import paths
from crmdesk.cli import main

SECRET = "tok-9d2e-NEVER-PRINTED"
Run = Callable[..., tuple[int, str, str]]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def run(data_dir: Path, template_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """`crmdesk ARGS` with `stdin` as its standard input (not a terminal unless `tty`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, data_dir / "crmdesk.sqlite3")

    def _run(*args: str, stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", _Terminal(stdin) if tty else io.StringIO(stdin))
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def no_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(prompt: str = "") -> str:
        raise AssertionError("the secret was asked for")

    monkeypatch.setattr("getpass.getpass", refuse)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    assert isinstance(keyring.get_keyring(), fail.Keyring)
    yield
    keyring.set_keyring(before)


def _add(run: Run, *extra: str, name: str = "Work CRM", secret: str = SECRET) -> str:
    code, out, err = run(
        "account", "add", "--kind", "kanbert", "--name", name, "--url", "https://crm.example.com", "--secret-stdin",
        *extra, stdin=secret + "\n",
    )  # fmt: skip
    assert code == 0, err
    return out.strip()


def _listed(run: Run) -> list[dict[str, Any]]:
    code, out, err = run("account", "list", "--json")
    assert code == 0, err
    result: list[dict[str, Any]] = json.loads(out)
    return result


def test_add_reads_one_line_of_stdin_and_prints_the_id(run: Run, no_getpass: None) -> None:
    code, out, err = run(
        "account", "add", "--kind", "carddav", "--name", "Home", "--url", "http://localhost:5232/ines/",
        "--option", "user=ines", "--option", "addressbook=contacts", "--interval", "300", "--policy", "newest",
        "--secret-stdin", stdin=f"{SECRET}\nsecond line is not read\n",
    )  # fmt: skip
    assert code == 0, err
    account_id = out.strip()
    assert "Added the account “Home”; its secret is kept in the keyring" in err
    assert keyring_backend.stored() == {("crmdesk", account_id): SECRET}
    (acc,) = _listed(run)
    assert acc["id"] == account_id
    assert (acc["kind"], acc["name"], acc["base_url"]) == ("carddav", "Home", "http://localhost:5232/ines/")
    assert acc["options"] == {"addressbook": "contacts", "user": "ines"}
    assert (acc["interval_s"], acc["policy"], acc["state"], acc["last_sync_at"]) == (300, "newest", "new", None)
    store = f"the keyring “{keyring_backend.MemoryKeyring.name}”"
    assert acc["secret"] == {"store": store, "encrypted": True, "stored": True}
    assert SECRET not in out + err


def test_add_names_the_options_a_kind_needs(run: Run) -> None:
    code, _, err = run("account", "add", "Sales", "--kind", "cobra", "--url", "https://api.cobra.de/v1", tty=True)
    assert code != 0
    assert "--option tenant: cobra CRM needs the Tenant ID (tenant=…)" in err
    assert "--option user: cobra CRM needs the API e-mail (user=…)" in err
    assert keyring_backend.stored() == {}


def test_add_asks_without_echo_on_a_terminal(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return SECRET

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, err = run(
        "account",
        "add",
        "--kind",
        "cobra",
        "--name",
        "Sales",
        "--url",
        "https://cobra.example.com",
        "--option",
        "tenant=acme",
        "--option",
        "user=api@acme.de",
        tty=True,
    )
    assert code == 0, err
    assert prompts == ["Secret (API token or password) for “Sales”: "]
    assert keyring_backend.stored() == {("crmdesk", out.strip()): SECRET}


def test_without_a_terminal_or_secret_stdin_nothing_is_added(run: Run, no_getpass: None) -> None:
    code, out, err = run("account", "add", "--kind", "deskera", "--name", "Sales", "--url", "https://cobra.example.com")
    assert code == 1 and out == ""
    assert "crmdesk: error: No secret given" in err and "crmdesk: hint: Pipe the secret in" in err
    assert _listed(run) == [] and keyring_backend.stored() == {}


def test_an_empty_secret_is_refused(run: Run) -> None:
    code, _, err = run(
        "account",
        "add",
        "--kind",
        "deskera",
        "--name",
        "S",
        "--url",
        "https://c.example.com",
        "--secret-stdin",
        stdin="\n",
    )
    assert code == 1 and "crmdesk: error: secret: must not be empty" in err
    assert _listed(run) == []


def test_there_is_no_secret_option(run: Run) -> None:
    code, _, err = run(
        "account", "add", "--kind", "deskera", "--name", "S", "--url", "https://c.example.com", "--secret", SECRET
    )
    assert code == 2 and ("unrecognized arguments" in err or "ambiguous option" in err)
    assert keyring_backend.stored() == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--url", "http://crm.example.com"), "crmdesk: error: --url: must use https"),
        (("--url", "https://crm.example.com", "--interval", "30"), "--interval: must be at least 60 seconds"),
        (("--url", "https://crm.example.com", "--name", " "), "--name: must not be empty"),
    ],
)
def test_bad_fields_are_named_by_their_option_before_the_secret_is_asked(
    run: Run, no_getpass: None, args: tuple[str, ...], message: str
) -> None:
    code, _, err = run("account", "add", "--kind", "deskera", "--name", "D", *args, tty=True)
    assert code == 1 and message in err


@pytest.mark.parametrize(
    "args",
    [("--interval", "soon"), ("--option", "no-equals-sign"), ("--kind", "salesforce"), ("--policy", "mine")],
)
def test_malformed_arguments_are_usage_errors(run: Run, args: tuple[str, str]) -> None:
    base = {"--kind": "deskera", "--name": "S", "--url": "https://c.example.com", "--policy": "remote"}
    option, value = args
    base[option] = value
    flat = [x for k, v in base.items() for x in (k, v)]
    code, _, _ = run("account", "add", *flat, "--secret-stdin", stdin=SECRET)
    assert code == 2


def test_list_as_a_table(run: Run) -> None:
    code, out, err = run("account", "list")
    assert (code, out) == (0, "") and "No accounts yet" in err
    assert _listed(run) == []
    first = _add(run, name="Work CRM")
    second = _add(run, name="Home")
    keyring_backend.reset()
    keyring_backend.MemoryKeyring().set_password("crmdesk", first, "x")
    code, out, _ = run("account", "list")
    header, row1, row2 = out.splitlines()
    assert header.split() == ["id", "kind", "name", "url", "state", "last", "sync", "secret"]
    assert row1.startswith(first) and "Kanbert" in row1 and "Work CRM" in row1 and "https://crm.example.com" in row1
    assert "not synced yet" in row1 and "never" in row1 and "MemoryKeyring" in row1
    assert row2.startswith(second) and row2.endswith("none: sign in again")


def test_remove_by_name_prefix_or_id(run: Run) -> None:
    a, b, c = (_add(run, name=n) for n in ("Alpha", "Beta", "Gamma"))
    prefix = next(a[:n] for n in range(len(a), -1, -1) if b.startswith(a[:n]) and c.startswith(a[:n]))
    assert prefix, "UUIDv7 ids made within the same minute share their first characters"
    code, _, err = run("account", "remove", prefix)
    assert code == 1 and f"“{prefix}” matches 3 accounts" in err and "Give more of the id" in err
    code, _, err = run("account", "remove", "Beta")
    assert code == 0 and "Removed the account “Beta”" in err
    code, _, err = run("account", "remove", c[:-3])
    assert code == 0 and "“Gamma”" in err
    assert [x["id"] for x in _listed(run)] == [a]
    assert keyring_backend.stored() == {("crmdesk", a): SECRET}
    code, _, err = run("account", "remove", "beta")
    assert code == 1 and "There is no account “beta”" in err and "crmdesk account list" in err


def test_set_policy(run: Run) -> None:
    _add(run, name="Work CRM")
    code, _, err = run("account", "set-policy", "Work CRM", "local")
    assert code == 0 and "“Work CRM”: local wins when both sides changed a field." in err
    assert _listed(run)[0]["policy"] == "local"
    code, _, _ = run("account", "set-policy", "Work CRM", "whoever")
    assert code == 2


def test_sign_in_stores_a_new_secret(run: Run, no_getpass: None) -> None:
    account_id = _add(run)
    keyring_backend.reset()
    assert _listed(run)[0]["secret"]["stored"] is False
    code, _, err = run("account", "sign-in", account_id[:13], "--secret-stdin", stdin="tok-new\n")
    assert code == 0 and "Stored a new secret for “Work CRM”" in err
    assert keyring_backend.stored() == {("crmdesk", account_id): "tok-new"}


def test_no_keyring_then_opting_into_the_file(run: Run, no_keyring: None, no_getpass: None, data_dir: Path) -> None:
    code, _, err = run(
        "account", "add", "--kind", "deskera", "--name", "Box", "--url", "https://imbox.example.com", tty=True
    )
    assert code == 1
    assert "crmdesk: error: No keyring is available on this computer" in err
    assert "crmdesk: hint: Or keep secrets in a file that is NOT encrypted" in err
    assert "crmdesk account secret-store file" in err
    code, _, err = run("account", "secret-store")
    assert code == 1 and "No keyring is available" in err

    code, out, err = run("account", "secret-store", "file")
    assert code == 0 and out == "Secrets are kept in a file on this computer (not encrypted).\n"
    assert "NOT encrypted" in err
    account_id = _add(run, name="Box")
    secrets_file = paths.secrets_file()
    assert secrets_file.parent == data_dir
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    (acc,) = _listed(run)
    assert acc["id"] == account_id
    assert acc["secret"] == {"store": "a file on this computer (not encrypted)", "encrypted": False, "stored": True}

    secrets_file.chmod(0o644)
    code, out, err = run("account", "list")
    assert code == 0 and "a file on this computer (not encrypted): unavailable" in out
    code, _, err = run("account", "sign-in", "Box", "--secret-stdin", stdin="tok-new\n")
    assert code == 1 and "may be read by other users" in err and "chmod 600" in err


def test_the_secret_is_printed_and_logged_nowhere(run: Run, data_dir: Path) -> None:
    outputs = []
    account_id = _add(run)
    for args in (("list",), ("list", "--json"), ("set-policy", account_id, "newest"), ("-v", "list")):
        code, out, err = run("account", *args)
        assert code == 0, err
        outputs.append(out + err)
    code, out, err = run("-v", "account", "sign-in", account_id, "--secret-stdin", stdin=SECRET + "\n")
    assert code == 0, err
    outputs.append(out + err)
    assert SECRET not in "".join(outputs)
    logs = "".join(p.read_text(encoding="utf-8") for p in (data_dir / "logs").glob("*.log*"))
    assert "added account" in logs and SECRET not in logs


def test_account_help_lists_the_actions(run: Run) -> None:
    code, out, _ = run("account", "--help")
    assert code == 0
    for action in ("add", "list", "remove", "set-policy", "sign-in", "secret-store"):
        assert action in out


def test_a_failed_sync_names_its_account_once(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from crmdesk.errors import RemoteUnavailable
    from crmdesk.sync import run as sync_run

    work = _add(run)
    _add(run, name="Other CRM")

    def fail(ctx: object, account_id: str, **kw: object) -> None:
        if account_id == work:  # a connector's message names the account itself
            raise RemoteUnavailable("Work CRM: cannot reach the server (connection refused) after several attempts.")
        raise RemoteUnavailable("the server answered nonsense.")

    monkeypatch.setattr(sync_run, "sync_account", fail)
    code, _, err = run("sync")
    assert code != 0
    lines = err.splitlines()
    assert "Work CRM: cannot reach the server (connection refused) after several attempts." in lines
    assert "Other CRM: the server answered nonsense." in lines
    assert "Work CRM: Work CRM" not in err
