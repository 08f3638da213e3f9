"""Tests for crmdesk.cli and crmdesk.__main__: round trips, hostile input, damaged/locked/newer databases."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmdesk import __version__, cli
from crmdesk.__main__ import main, wants_cli
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    PersonRecord,
    Phone,
    Stamp,
    TouchpointRecord,
)
from crmdesk.store.engine import open_store

STAMP_KEYS = {f.name for f in dataclasses.fields(Stamp)}


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated store file, made once: copying it is much faster than migrating in every test."""
    path = tmp_path_factory.mktemp("template") / "crmdesk.sqlite3"
    open_store(path).close()
    return path


def _runner(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def _run(*args: str) -> Result:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


@pytest.fixture
def run(data_dir: Path, capsys: pytest.CaptureFixture[str], empty_store: Path) -> Any:
    """Call `crmdesk --data-dir <tmp> ARGS...` in-process (on an empty store) and return exit code and output."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_store, data_dir / "crmdesk.sqlite3")
    return _runner(data_dir, capsys)


@pytest.fixture
def run_bare(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Like `run`, without a store file in the data dir."""
    return _runner(data_dir, capsys)


@pytest.fixture
def db_file(data_dir: Path) -> Path:
    return data_dir / "crmdesk.sqlite3"


def _keys(obj: Any, cls: type) -> None:
    expected = {f.name for f in dataclasses.fields(cls)} - {"stamp"}
    if "stamp" in {f.name for f in dataclasses.fields(cls)}:
        expected |= STAMP_KEYS
    assert expected <= set(obj), expected - set(obj)


def _counts(run: Any) -> tuple[int, int, int]:
    return tuple(len(run(kind, "list", "--json").json()) for kind in ("people", "companies", "touchpoints"))  # type: ignore[return-value]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- round trips -------------------------------------------------------------------------------------------


def test_people_round_trip(run: Any) -> None:
    added = run(
        "people",
        "add",
        "--first-name",
        "Ines",
        "--last-name",
        "Brandt",
        "--email",
        "ines@Brandt-MB.de",
        "--email",
        "ines.b@example.org",
        "--phone",
        "07531 1234",
        "--company",
        "Brandt Maschinenbau GmbH",
        "--position",
        "CEO",
        "--department",
        "Management",
        "--tag",
        "VIP",
        "--tag",
        "customer",
        "--notes",
        "Met at Hannover Messe",
        "--birthday",
        "--04-12",
    )
    assert added.code == 0, added.err
    pid = added.out.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", pid)

    listed = run("people", "list", "--json").json()
    assert [p["id"] for p in listed] == [pid]
    shown = run("people", "show", pid, "--json").json()
    assert shown == listed[0]
    assert shown["display_name"] == "Ines Brandt"
    assert shown["birthday"] == "--04-12"
    assert shown["tags"] == ["customer", "VIP"]
    (card,) = shown["cards"]
    assert card["favourite"] is True
    assert card["company_name"] == "Brandt Maschinenbau GmbH"
    assert card["company_id"]  # linked to a company the store created
    assert [(e["address"], e["favourite"]) for e in card["emails"]] == [
        ("ines@brandt-mb.de", True),
        ("ines.b@example.org", False),
    ]
    assert card["phones"] == [{"number": "+4975311234", "type": "work", "favourite": True}]
    companies = run("companies", "list", "--json").json()
    assert [(c["id"], c["name"]) for c in companies] == [(card["company_id"], "Brandt Maschinenbau GmbH")]

    edited = run(
        "people", "edit", pid, "--position", "Managing Director", "--phone", "+41 44 668 18 00", "--clear-tags"
    )
    assert edited.code == 0, edited.err
    after = run("people", "show", pid, "--json").json()
    assert after["cards"][0]["position"] == "Managing Director"
    assert after["cards"][0]["phones"][0]["number"] == "+41446681800"
    assert after["cards"][0]["emails"] == card["emails"]  # not given: unchanged
    assert after["cards"][0]["company_id"] == card["company_id"]
    assert after["tags"] == []
    assert after["notes"] == "Met at Hannover Messe"
    assert after["updated_at"] > shown["updated_at"]

    text = run("people", "show", pid)
    assert text.code == 0
    assert "Ines Brandt" in text.out
    assert "Managing Director" in text.out
    assert "+41 44 668 18 00" in text.out  # formatted for a reader in DE
    assert "07531" not in text.out

    table = run("people", "list")
    assert table.out.splitlines()[0].split() == ["Name", "Company", "Position", "E-mail", "Phone", "Tags"]
    assert "Ines Brandt" in table.out

    deleted = run("people", "delete", pid)
    assert deleted.code == 0, deleted.err
    assert run("people", "list", "--json").json() == []
    gone = run("people", "show", pid)
    assert gone.code == 1
    assert gone.err.startswith(f"crmdesk: error: No person with id {pid}")


def test_edit_person_without_card_creates_one_and_clears(run: Any) -> None:
    pid = run("people", "add", "--last-name", "Solo").out.strip()
    assert run("people", "show", pid, "--json").json()["cards"] == []
    assert run("people", "edit", pid, "--email", "solo@example.com", "--birthday", "1985-04-12").code == 0
    rec = run("people", "show", pid, "--json").json()
    assert rec["birthday"] == "1985-04-12"
    assert [e["address"] for e in rec["cards"][0]["emails"]] == ["solo@example.com"]
    assert run("people", "edit", pid, "--clear-emails", "--birthday", "", "--first-name", "Han").code == 0
    rec = run("people", "show", pid, "--json").json()
    assert (rec["birthday"], rec["cards"][0]["emails"], rec["display_name"]) == (None, [], "Han Solo")


def test_companies_round_trip(run: Any) -> None:
    r = run(
        *("companies", "add", "--name", "Acme AG", "--industry", "Software", "--legal-form", "AG"),
        *("--website", "https://acme.example", "--email", "info@acme.example", "--phone", "+49 30 1234567"),
        *("--street", "Hauptstraße 1", "--postcode", "10115", "--city", "Berlin", "--country", "de"),
        *("--tag", "partner", "--notes", "Pays on 30 days net."),
    )
    assert r.code == 0, r.err
    cid = r.out.strip()
    rec = run("companies", "show", cid, "--json").json()
    assert rec == run("companies", "list", "--json").json()[0]
    assert rec["addresses"] == [
        {
            "street": "Hauptstraße 1",
            "postcode": "10115",
            "city": "Berlin",
            "region": "",
            "country": "DE",
            "type": "work",
            "favourite": True,
        }
    ]
    assert rec["phones"][0]["number"] == "+49301234567"
    run("people", "add", "--first-name", "Anna", "--last-name", "Meyer", "--company", "acme ag")  # matched by name
    table = run("companies", "list").out.splitlines()
    assert table[0].split() == ["Name", "Industry", "City", "Phone", "E-mail", "People"]
    assert table[1].split() == ["Acme", "AG", "Software", "Berlin", "030", "1234567", "info@acme.example", "1"]

    assert run("companies", "edit", cid, "--city", "München", "--name", "Acme SE").code == 0
    rec = run("companies", "show", cid, "--json").json()
    assert (rec["name"], rec["addresses"][0]["city"], rec["addresses"][0]["street"]) == (
        "Acme SE",
        "München",
        "Hauptstraße 1",
    )
    assert run("people", "list", "--json").json()[0]["cards"][0]["company_name"] == "Acme SE"
    shown = run("companies", "show", cid).out
    assert "Acme SE" in shown and "Anna Meyer" in shown and "Pays on 30 days net." in shown

    assert run("companies", "delete", cid).code == 0
    assert run("companies", "list", "--json").json() == []


@pytest.fixture
def berlin_time() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_touchpoints_round_trip(run: Any, berlin_time: None) -> None:
    pid = run("people", "add", "--first-name", "Anna", "--last-name", "Meyer").out.strip()
    other = run("people", "add", "--first-name", "Ben", "--last-name", "Roth").out.strip()
    cid = run("companies", "add", "--name", "Acme AG").out.strip()
    r = run(
        *("touchpoints", "add", "--type", "turnover", "--subject", "Order", "--body", "Two pumps"),
        *("--when", "2025-03-14T15:30", "--person", pid, "--company", cid, "--priority", "high"),
        *("--direction", "inbound", "--amount", "12.50", "--currency", "eur", "--tag", "q1"),
    )
    assert r.code == 0, r.err
    tid = r.out.strip()
    run("touchpoints", "add", "--type", "note", "--subject", "Other", "--person", other, "--when", "2024-01-01T09:00Z")
    rec = run("touchpoints", "show", tid, "--json").json()
    assert rec["occurred_at"] == "2025-03-14T14:30:00+00:00"  # naive time is local (CET, UTC+1)
    assert (rec["type"], rec["priority"], rec["direction"], rec["amount"], rec["currency"]) == (
        "turnover",
        "high",
        "inbound",
        "12.50",
        "EUR",
    )
    assert (rec["person_ids"], rec["company_id"], rec["tags"], rec["body"]) == ([pid], cid, ["q1"], "Two pumps")

    table = run("touchpoints", "list").out.splitlines()
    assert table[0].split() == ["When", "Type", "Subject", "Person", "Company"]
    assert table[1].split() == [
        "2025-03-14",
        "15:30",
        "turnover",
        "Order",
        "Anna",
        "Meyer",
        "Acme",
        "AG",
    ]  # newest first
    assert [t["id"] for t in run("touchpoints", "list", "--person", pid, "--json").json()] == [tid]
    assert [t["id"] for t in run("touchpoints", "list", "--company", cid, "--json").json()] == [tid]
    assert len(run("touchpoints", "list", "--json").json()) == 2

    assert run("touchpoints", "edit", tid, "--subject", "Order #2", "--person", pid, "--person", other).code == 0
    rec = run("touchpoints", "show", tid, "--json").json()
    assert (rec["subject"], rec["person_ids"], rec["amount"]) == ("Order #2", [pid, other], "12.50")
    shown = run("touchpoints", "show", tid).out
    assert "Order #2" in shown and "Anna Meyer" in shown and "Ben Roth" in shown and "12.50 EUR" in shown

    assert run("touchpoints", "delete", tid).code == 0
    assert len(run("touchpoints", "list", "--json").json()) == 1


def test_json_has_every_field(run: Any) -> None:
    pid = run(
        *("people", "add", "--first-name", "A", "--last-name", "B", "--salutation", "Frau", "--title", "Dr."),
        *("--middle-name", "C", "--suffix", "Jr.", "--gender", "f", "--lifecycle", "customer"),
        *("--email", "a@b.de", "--phone", "+49 30 1234567", "--company", "X GmbH", "--birthday", "1980-01-02"),
    ).out.strip()
    person = run("people", "show", pid, "--json").json()
    _keys(person, PersonRecord)
    assert {"kind", "display_name"} <= set(person)
    _keys(person["cards"][0], BusinessCardRecord)
    _keys(person["cards"][0]["emails"][0], Email)
    _keys(person["cards"][0]["phones"][0], Phone)
    assert person["created_at"].endswith("+00:00") and person["change_seq"] > 0 and person["deleted_at"] is None
    assert (person["salutation"], person["title"], person["suffix"], person["lifecycle"]) == (
        "Frau",
        "Dr.",
        "Jr.",
        "customer",
    )
    cid = run("companies", "add", "--name", "Y", "--city", "Bonn").out.strip()
    company = run("companies", "show", cid, "--json").json()
    _keys(company, CompanyRecord)
    _keys(company["addresses"][0], Address)
    tid = run("touchpoints", "add", "--type", "call", "--subject", "S").out.strip()
    _keys(run("touchpoints", "show", tid, "--json").json(), TouchpointRecord)


# ---- lists: search, paging, table --------------------------------------------------------------------------

HOSTILE = ['"', "*", "AND", "NEAR(", "(", "-", ":", "'", "' OR 1=1 --", 'a"b', "😀🚀", "x" * 2000, "--", "-x:", ""]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_search_never_errors(run: Any, text: str) -> None:
    run("people", "add", "--first-name", "Anna", "--last-name", "O'Neil", "--tag", "AND")
    for kind in ("people", "companies", "touchpoints"):
        for form in (("--search", text), (f"--search={text}",)):
            r = run(kind, "list", *form, "--json")
            assert r.code == 0, r.err
            assert isinstance(r.json(), list)
        assert run(kind, "list", "--search", text).code == 0


def test_search_tag_sort_and_keyset_paging(run: Any, data_dir: Path) -> None:
    # A tiny page size makes every list walk many keyset pages.
    (data_dir / "config").mkdir()
    (data_dir / "config" / "settings.json").write_text('{"page_size": 3}', encoding="utf-8")
    for first, last, tag in [("Zoë", "Ärzte", "a"), ("Anna", "Meyer", "b"), ("Ben", "Meyer", "a")] + [
        (f"P{i:02d}", "Filler", "c") for i in range(8)
    ]:
        assert run("people", "add", "--first-name", first, "--last-name", last, "--tag", tag).code == 0
    everyone = run("people", "list", "--json").json()
    assert len(everyone) == 11 and len({p["id"] for p in everyone}) == 11
    assert [p["display_name"] for p in everyone[:2]] == ["Zoë Ärzte", "P00 Filler"]
    assert [p["display_name"] for p in run("people", "list", "--search", "meyer", "--json").json()] == [
        "Anna Meyer",
        "Ben Meyer",
    ]
    assert [p["first_name"] for p in run("people", "list", "--tag", "a", "--json").json()] == ["Zoë", "Ben"]
    desc = run("people", "list", "--desc", "--limit", "7", "--json").json()
    assert [p["display_name"] for p in desc] == [p["display_name"] for p in everyone[::-1][:7]]
    assert len(run("people", "list", "--limit", "7").out.splitlines()) == 8
    assert run("people", "list", "--sort", "bogus").code == 2
    empty = run("people", "list", "--search", "nobody")
    assert (empty.code, empty.out, empty.err.strip()) == (0, "", "No people found.")


def test_table_fits_the_terminal(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    run(
        *("people", "add", "--first-name", "Maximilian-Alexander", "--last-name", "Zimmermann-Schulze-Oberhausen"),
        *("--company", "Falkenstein Immobilien und Verwaltungs GmbH & Co. KG", "--position", "Head of Purchasing"),
        *("--email", "maximilian.zimmermann@falkenstein-immobilien.example", "--tag", "decision maker"),
        *("--notes", "line one\nline two"),
    )
    lines = run("people", "list").out.splitlines()
    assert len(lines) == 2
    assert all(cli._cell_width(line) <= 60 for line in lines)
    assert "…" in lines[1]
    assert lines[0].startswith("Name")


def test_option_names_for_problems() -> None:
    o = cli.PEOPLE.options
    assert cli.option_for("cards[0].emails[3]", o) == "--email"
    assert cli.option_for("cards[0].phones[0]", o) == "--phone"
    assert cli.option_for("cards[1].emails[0]", o) == "cards[1].emails[0]"  # another card: no option names it
    assert cli.option_for("tags[2]", o) == "--tag"
    assert cli.option_for("name", o) == "--first-name/--last-name"
    assert cli.option_for("addresses[0].postcode", cli.COMPANIES.options) == "--postcode"
    assert cli.option_for("occurred_at", cli.TOUCHPOINTS.options) == "--when"


# ---- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--first-name", "A", "--email", "not-an-address"), "--email"),
        (("--first-name", "A", "--email", "ok@example.com", "--email", "a@b"), "--email"),
        (("--first-name", "A", "--phone", "12"), "--phone"),
        (("--first-name", "A", "--phone", "call me"), "--phone"),
        (("--email", "ok@example.com"), "--first-name/--last-name"),
        (("--first-name", " ", "--last-name", ""), "--first-name/--last-name"),
        (("--first-name", "A", "--tag", "x" * 101), "--tag"),
        (("--first-name", "x" * 201), "--first-name"),
    ],
)
def test_invalid_person_is_refused_and_nothing_written(
    run: Any, db_file: Path, args: tuple[str, ...], option: str
) -> None:
    run("people", "add", "--first-name", "Existing")
    before = _counts(run)
    r = run("people", "add", *args, "--company", "Brand New GmbH")
    assert r.code == 1
    assert r.out == ""
    assert f"crmdesk: error: {option}: " in r.err
    assert "Traceback" not in r.err
    assert _counts(run) == before  # no person, and no company made for the card either


def test_invalid_edit_changes_nothing(run: Any) -> None:
    pid = run("people", "add", "--first-name", "Anna", "--email", "anna@example.com").out.strip()
    before = run("people", "show", pid, "--json").json()
    r = run("people", "edit", pid, "--last-name", "Meyer", "--email", "anna@", "--phone", "0")
    assert r.code == 1
    assert "--email: “anna@” has no domain after the @" in r.err
    assert "--phone: " in r.err
    assert run("people", "show", pid, "--json").json() == before
    r = run("companies", "edit", run("companies", "add", "--name", "Acme").out.strip(), "--website", "not a url")
    assert (r.code, "--website: " in r.err) == (1, True)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("people", "add", "--first-name", "A", "--birthday", "1985-02-30"), "--birthday"),
        (("people", "add", "--first-name", "A", "--birthday", "12.04.1985"), "--birthday"),
        (("people", "add", "--first-name", "A", "--birthday", "--13-01"), "--birthday"),
        (("touchpoints", "add", "--type", "call", "--subject", "S", "--when", "yesterday"), "--when"),
        (("touchpoints", "add", "--type", "call", "--subject", "S", "--when", "2025-13-01T10:00"), "--when"),
        (("touchpoints", "add", "--type", "visit", "--subject", "S"), "--type"),
        (("touchpoints", "add", "--subject", "S"), "--type"),
        (("touchpoints", "add", "--type", "call", "--subject", "S", "--priority", "urgent"), "--priority"),
        (("demo-data", "--people", "0"), "--people"),
        (("people", "frobnicate"), "invalid choice"),
    ],
)
def test_usage_errors(run_bare: Any, db_file: Path, args: tuple[str, ...], needle: str) -> None:
    r = run_bare(*args)
    assert r.code == 2
    assert needle in r.err
    assert "Traceback" not in r.err
    assert not db_file.exists()  # refused before the store was even opened


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--type", "call"), "--subject"),
        (("--type", "turnover", "--subject", "S", "--amount", "12,50", "--currency", "EUR"), "--amount"),
        (("--type", "turnover", "--subject", "S", "--amount", "12.50"), "--currency"),
        (("--type", "call", "--subject", "S", "--person", "no-such-id"), "--person"),
        (("--type", "call", "--subject", "S", "--company", "no-such-id"), "--company"),
    ],
)
def test_invalid_touchpoint(run: Any, args: tuple[str, ...], option: str) -> None:
    r = run("touchpoints", "add", *args)
    assert r.code == 1
    assert f"crmdesk: error: {option}: " in r.err
    assert run("touchpoints", "list", "--json").json() == []


def test_delete_unknown_id_deletes_nothing(run: Any) -> None:
    pid = run("people", "add", "--first-name", "Anna").out.strip()
    r = run("people", "delete", pid, "no-such-id")
    assert r.code == 1
    assert "no-such-id" in r.err and "nothing was deleted" in r.err
    assert [p["id"] for p in run("people", "list", "--json").json()] == [pid]
    for kind in ("companies", "touchpoints"):
        assert run(kind, "delete", "no-such-id").code == 1
        assert run(kind, "edit", "no-such-id", "--subject" if kind == "touchpoints" else "--name", "x").code == 1


# ---- damaged, newer and locked databases -------------------------------------------------------------------


def _assert_store_error(r: Result, db_file: Path, *words: str) -> None:
    assert r.code == 1
    assert r.out == ""
    lines = r.err.splitlines()
    assert lines[0].startswith("crmdesk: error: ")
    assert str(db_file) in lines[0]
    for word in words:
        assert word in lines[0]
    assert all(line.startswith("crmdesk: hint: ") for line in lines[1:])
    assert "Traceback" not in r.err


@pytest.mark.parametrize("header", [b"", b"SQLite format 3\x00"])
def test_corrupt_database(run_bare: Any, db_file: Path, header: bytes) -> None:
    run = run_bare
    db_file.parent.mkdir(parents=True)
    db_file.write_bytes(header + os.urandom(8192))
    digest = _digest(db_file)
    for args in (("people", "list", "--json"), ("people", "add", "--first-name", "A"), ("demo-data", "--people", "5")):
        _assert_store_error(run(*args), db_file)
    assert _digest(db_file) == digest


def test_newer_schema(run: Any, db_file: Path) -> None:
    assert run("people", "add", "--first-name", "Anna").code == 0
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    digest = _digest(db_file)
    r = run("people", "list")
    _assert_store_error(r, db_file, "newer version")
    assert "Update crmdesk" in r.err
    assert run("people", "add", "--first-name", "Ben").code == 1
    assert _digest(db_file) == digest


@pytest.mark.parametrize("made_by_crmdesk", [True, False])
def test_locked_database(
    run_bare: Any, db_file: Path, monkeypatch: pytest.MonkeyPatch, *, made_by_crmdesk: bool
) -> None:
    run = run_bare
    monkeypatch.setenv(cli.BUSY_TIMEOUT_ENV, "50")
    db_file.parent.mkdir(parents=True)
    if made_by_crmdesk:
        assert run("people", "add", "--first-name", "Anna").code == 0
    holder = sqlite3.connect(db_file, isolation_level=None)
    try:
        assert holder.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
        holder.execute("BEGIN EXCLUSIVE")
        digest = _digest(db_file)
        start = time.monotonic()
        _assert_store_error(run("people", "list"), db_file, "locked")
        _assert_store_error(run("people", "add", "--first-name", "Ben"), db_file, "locked")
        assert time.monotonic() - start < 5
        assert _digest(db_file) == digest
    finally:
        holder.rollback()
        holder.close()


# ---- demo data ---------------------------------------------------------------------------------------------


def test_demo_data_then_list_counts(run: Any) -> None:
    r = run("demo-data", "--people", "300", "--seed", "7")
    assert r.code == 0, r.err
    m = re.fullmatch(r"Added (\d+) companies, 300 people and ([\d,]+) touchpoints in \d+\.\d s\n", r.out)
    assert m, r.out
    assert r.err == ""  # no progress line when stderr is no terminal
    n_companies, n_touchpoints = int(m[1]), int(m[2].replace(",", ""))
    assert _counts(run) == (300, n_companies, n_touchpoints)
    table = run("companies", "list").out.splitlines()
    assert len(table) == n_companies + 1
    assert sum(int(line.rsplit(None, 1)[1]) for line in table[1:]) >= 300  # People column
    assert len(run("people", "list", "--tag", "VIP", "--json").json()) > 0


# ---- entry point -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "cli_wanted"),
    [
        ([], False),
        (["--data-dir", "x"], False),
        (["--data-dir=x", "-v"], False),
        (["-platform", "offscreen"], False),
        (["people", "list"], True),
        (["--data-dir", "x", "-v", "people", "list"], True),
        (["--data-dir=x", "demo-data", "--people", "3"], True),
        (["--help"], True),
        (["-v", "--version"], True),
        (["peple"], True),
    ],
)
def test_wants_cli(argv: list[str], *, cli_wanted: bool) -> None:
    assert wants_cli(argv) is cli_wanted


def test_no_subcommand_opens_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str] | None] = []
    fake = types.ModuleType("crmdesk.app")

    def fake_main(argv: list[str] | None = None) -> int:
        calls.append(argv)
        return 0

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crmdesk.app", fake)
    monkeypatch.setattr("crmdesk.app", fake, raising=False)
    assert main(["--data-dir", "/tmp/x"]) == 0
    assert calls == [["--data-dir", "/tmp/x"]]


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("people", "companies", "touchpoints", "demo-data", "--data-dir", "window"):
        assert word in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"crmdesk {__version__}"
    assert main(["people", "add", "--help"]) == 0
    assert "--birthday" in capsys.readouterr().out


def test_global_options_after_the_subcommand(run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert main(["people", "add", "--first-name", "Anna", "--data-dir", str(elsewhere)]) == 0
    capsys.readouterr()
    assert (elsewhere / "crmdesk.sqlite3").exists()
    assert main(["people", "list", "--json", "-v", "--data-dir", str(elsewhere)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_python_m_crmdesk_subprocess(run: Any, data_dir: Path) -> None:
    pid = run("people", "add", "--first-name", "Jürgen", "--last-name", "Müller", "--email", "j@example.de").out.strip()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "crmdesk", "--data-dir", str(data_dir), "people", "list", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (person,) = json.loads(proc.stdout)
    assert (person["id"], person["display_name"]) == (pid, "Jürgen Müller")
    # The CLI never loads Qt; a user error exits 1 with one line and no traceback.
    probe = (
        "import sys; from crmdesk.__main__ import main; "
        f"code = main(['--data-dir', {str(data_dir)!r}, 'people', 'show', 'nope']); "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'; sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "crmdesk: error: No person with id nope.\n"


def test_the_window_says_plainly_when_there_is_no_screen(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "crmdesk", "--data-dir", str(tmp_path / "d")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no graphical session" in proc.stderr and "crmdesk --help" in proc.stderr
