"""Tests for crmdesk.store.engine: opening, pragmas, no Alembic on an up-to-date file, and every bad file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord
from crmdesk.errors import StoreError
from crmdesk.store import companies, engine, listing, people
from crmdesk.store.engine import Store, open_store, translate_errors
from crmdesk.store.migrations import HEAD


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


@contextlib.contextmanager
def _unchanged(path: Path) -> Iterator[None]:
    """The file's bytes and its folder's listing are the same after the block."""
    before = _digest(path)
    listing_before = sorted(p.name for p in path.parent.iterdir())
    yield
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing_before


def _store_with_people(path: Path, n: int) -> None:
    store = open_store(path)
    with store.write() as s:
        people.bulk_insert(s, [PersonRecord(first_name=f"P{i}", last_name="Zeta", notes="x" * 300) for i in range(n)])
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


# ---- opening a good file ------------------------------------------------------------------------------------


def test_open_creates_folder_and_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "crmdesk.sqlite3"
    store = open_store(path)
    try:
        assert path.is_file()
        with store.read() as s:
            assert s.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
            assert listing.count(s, listing.ListQuery(Entity.PERSON)) == 0
    finally:
        store.close()


@pytest.mark.parametrize("pragma, expected", [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 1234)])
def test_pragmas_are_set_on_every_connection(tmp_path: Path, pragma: str, expected: object) -> None:
    store = open_store(tmp_path / "db.sqlite3", busy_timeout_ms=1234)
    try:
        with store.engine.connect() as c1, store.engine.connect() as c2, store.engine.connect() as c3:
            for conn in (c1, c2, c3):
                assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
        store.engine.dispose()  # brand-new connections after the pool was emptied
        with store.read() as s, store.write() as w:
            assert s.execute(text(f"PRAGMA {pragma}")).scalar() == expected
            assert w.execute(text(f"PRAGMA {pragma}")).scalar() == expected
    finally:
        store.close()


def test_foreign_keys_are_enforced(ctx: object, tmp_path: Path) -> None:
    store = open_store(tmp_path / "fk.sqlite3")
    try:
        with pytest.raises(StoreError), store.write() as s:
            s.execute(text("INSERT INTO person_tag (person_id, tag_id) VALUES ('nobody', 'nothing')"))
    finally:
        store.close()


def test_reopening_an_up_to_date_file_does_not_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.sqlite3"
    open_store(path).close()

    def fail(*args: object) -> None:
        raise AssertionError("Alembic ran on an up-to-date file")

    monkeypatch.setattr(engine, "_upgrade", fail)
    store = open_store(path)
    with store.read() as s:
        assert s.execute(text("SELECT count(*) FROM person")).scalar_one() == 0
    store.close()


def test_a_new_file_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = engine._upgrade
    monkeypatch.setattr(engine, "_upgrade", lambda eng, rev: (calls.append(rev), real(eng, rev)))
    open_store(tmp_path / "db.sqlite3").close()
    assert calls == [None]


def test_reopening_does_not_even_import_alembic(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_store(path).close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from crmdesk.store.engine import open_store\n"
        f"store = open_store(Path({str(path)!r}))\n"
        "with store.read() as s: s.connection()\n"
        "store.close()\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_migrate_false_leaves_an_empty_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_store(path, migrate=False).close()
    assert _tables(path) == set()


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"")
    store = open_store(path)
    try:
        with store.write() as s:
            companies.create(s, CompanyRecord(name="Acme"))
    finally:
        store.close()
    assert "person_fts" in _tables(path)


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = open_store(path)
    with store.write() as s:
        rec, _ = people.create(s, PersonRecord(first_name="Ines", last_name="Brandt"))
    store.close()
    store = open_store(path)
    try:
        with store.read() as s:
            assert people.get(s, rec.id) == rec
    finally:
        store.close()


# ---- bad files: a StoreError naming the file, and the file left as it was ------------------------------------


def test_random_bytes_are_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(random.Random(1).randbytes(8192))
    with _unchanged(path), pytest.raises(StoreError) as err:
        open_store(path)
    assert str(path) in str(err.value)
    assert err.value.hints


def test_a_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_text("name,email\nInes,ines@example.com\n")
    with _unchanged(path), pytest.raises(StoreError, match="not an SQLite file"):
        open_store(path)


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    with _unchanged(path), pytest.raises(StoreError) as err:
        open_store(path)
    assert str(path) in str(err.value)
    assert "not made by crmdesk" in str(err.value)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # not switched to WAL
    conn.close()


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")  # a file as a newer crmdesk might leave it
    conn.close()
    with _unchanged(path), pytest.raises(StoreError, match="newer") as err:
        open_store(path)
    assert str(path) in str(err.value)
    assert err.value.hints


def test_a_folder_at_the_database_path_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError) as err:
        open_store(path)
    assert str(path) in str(err.value)
    assert list(path.iterdir()) == []


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot be created"):
        open_store(blocker / "db.sqlite3")


@pytest.mark.parametrize("existing", [False, True], ids=["fresh-file", "crmdesk-store"])
def test_a_locked_database_is_refused_untouched(tmp_path: Path, existing: bool) -> None:
    path = tmp_path / "db.sqlite3"
    if existing:
        open_store(path).close()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = DELETE")
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS _lock (x)")  # make it a real (non-WAL) database file
        conn.execute("DROP TABLE _lock")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        with _unchanged(path), pytest.raises(StoreError, match="locked") as err:
            open_store(path, busy_timeout_ms=100)
        assert str(path) in str(err.value)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    open_store(path).close()  # once the other program lets go, the file opens


def test_a_write_lock_held_elsewhere_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = open_store(path)
    second = open_store(path, busy_timeout_ms=100)
    try:
        with first.write() as s:
            people.create(s, PersonRecord(first_name="Holding", last_name="Lock"))
            with pytest.raises(StoreError, match="locked"), second.write() as s2:
                people.create(s2, PersonRecord(first_name="Waiting", last_name="Writer"))
        with second.read() as s:
            assert listing.count(s, listing.ListQuery(Entity.PERSON)) == 1
    finally:
        first.close()
        second.close()


def _corrupt(path: Path, kind: str) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    pages = len(data) // page
    rnd = random.Random(kind)
    if kind == "zeroed-pages":
        data[page : page * 8] = bytes(page * 7)
    elif kind == "random-pages":
        for n in range(1, pages, 2):
            data[n * page : (n + 1) * page] = rnd.randbytes(page)
    elif kind == "first-page-body":
        data[100:page] = rnd.randbytes(page - 100)
    elif kind == "truncated":
        del data[page * (pages // 2) + 17 :]
    path.write_bytes(bytes(data))


def _use(store: Store) -> None:
    with store.read() as s:
        for entity in (Entity.PERSON, Entity.COMPANY, Entity.TOUCHPOINT):
            rows = listing.page(s, listing.ListQuery(entity), limit=10_000)
            people.get_many(s, [r.id for r in rows])
            listing.count(s, listing.ListQuery(entity, search="zeta"))


@pytest.mark.parametrize("kind", ["zeroed-pages", "random-pages", "first-page-body", "truncated"])
def test_a_damaged_store_is_a_store_error_and_never_repaired(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "db.sqlite3"
    _store_with_people(path, 400)
    assert not (tmp_path / "db.sqlite3-wal").exists()
    _corrupt(path, kind)
    with _unchanged(path), pytest.raises(StoreError) as err:
        store = open_store(path)
        try:
            _use(store)
        finally:
            store.close()
    assert str(path) in str(err.value)
    assert "damaged" in str(err.value) or "could not be used" in str(err.value)


@pytest.mark.parametrize(
    "message, wanted",
    [
        ("database is locked", "locked"),
        ("file is not a database", "damaged"),
        ("database disk image is malformed", "damaged"),
        ("vtable constructor failed: person_fts", "damaged"),
        ("unable to open database file", "cannot be opened"),
        ("attempt to write a readonly database", "cannot be opened"),
        ("database or disk is full", "full"),
        ("something else", "could not be used"),
    ],
)
def test_translate_errors_explains_what_sqlite_said(tmp_path: Path, message: str, wanted: str) -> None:
    from sqlalchemy import exc

    with pytest.raises(StoreError, match=wanted) as err, translate_errors(tmp_path / "x.db"):
        raise exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    assert str(tmp_path / "x.db") in str(err.value)


def test_translate_errors_lets_other_errors_through(tmp_path: Path) -> None:
    with pytest.raises(KeyError), translate_errors(tmp_path / "x.db"):
        raise KeyError("not a database problem")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that bind")
def test_an_unreadable_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_store(path).close()
    path.chmod(0)
    try:
        with pytest.raises(StoreError) as err:
            open_store(path)
        assert str(path) in str(err.value)
    finally:
        path.chmod(0o600)


def test_a_store_left_by_a_crash_opens_with_its_last_commits(tmp_path: Path) -> None:
    live = tmp_path / "live" / "db.sqlite3"
    store = open_store(live)
    with store.write() as s:
        rec, _ = people.create(s, PersonRecord(first_name="Committed", last_name="Before Crash"))
    wal = live.with_name(live.name + "-wal")
    assert wal.stat().st_size > 0  # the commit is still only in the write-ahead log
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for f in live.parent.iterdir():  # what the disk holds when the process dies now
        shutil.copyfile(f, crashed / f.name)
    store.close()
    reopened = open_store(crashed / "db.sqlite3")
    try:
        with reopened.read() as s:
            assert people.get(s, rec.id) == rec
            assert listing.count(s, listing.ListQuery(Entity.PERSON, search="crash")) == 1
    finally:
        reopened.close()
