"""Tests for crmdesk.store.migrations: the schema Alembic makes from an empty file is the one schema.py describes."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from crmdesk.store import migrations
from crmdesk.store.engine import open_store
from crmdesk.store.schema import Base

FTS_TABLES = ("person_fts", "company_fts", "touchpoint_fts")
FTS_SHADOW_SUFFIXES = ("", "_data", "_idx", "_docsize", "_config")
FTS_COLUMNS = {
    "person_fts": ("display_name", "company_name", "position", "email", "phone", "tags_text", "notes", "search_extra"),
    "company_fts": ("name", "industry", "city", "email", "phone", "tags_text", "notes", "search_extra"),
    "touchpoint_fts": ("subject", "body", "people_text", "company_name", "tags_text"),
}


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def _objects(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        out: dict[str, set[str]] = {}
        for kind, name in conn.execute("SELECT type, name FROM sqlite_master"):
            out.setdefault(kind, set()).add(name)
        return out
    finally:
        conn.close()


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.sqlite3"
    open_store(path).close()
    return path


def test_head_is_the_script_directory_head() -> None:
    script = ScriptDirectory.from_config(_config())
    assert script.get_heads() == [migrations.HEAD]
    assert {rev.revision for rev in script.walk_revisions()} == set(migrations.KNOWN_REVISIONS)


def test_revisions_form_one_line_from_base() -> None:
    script = ScriptDirectory.from_config(_config())
    revs = list(script.walk_revisions())  # newest first
    assert revs[-1].down_revision is None
    for newer, older in itertools.pairwise(revs):
        assert newer.down_revision == older.revision


def test_migration_from_an_empty_file_creates_every_table(migrated: Path) -> None:
    objects = _objects(migrated)
    orm_tables = set(Base.metadata.tables)
    fts = {f"{t}{suffix}" for t in FTS_TABLES for suffix in FTS_SHADOW_SUFFIXES}
    assert objects["table"] == orm_tables | fts | {"alembic_version"}
    assert orm_tables >= {
        "person",
        "company",
        "business_card",
        "email_address",
        "phone_number",
        "postal_address",
        "touchpoint",
        "touchpoint_person",
        "tag",
        "person_tag",
        "company_tag",
        "touchpoint_tag",
        "relation",
        "change_counter",
    }


def test_migration_creates_every_index_of_the_orm(migrated: Path) -> None:
    wanted = {ix.name for table in Base.metadata.tables.values() for ix in table.indexes}
    assert wanted <= _objects(migrated)["index"]


def test_sort_indexes_cover_live_rows_only(migrated: Path) -> None:
    conn = sqlite3.connect(migrated)
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%_sort_%'")
        found = dict(rows.fetchall())
    finally:
        conn.close()
    assert len(found) == 17  # people's name order is ix_person_name_order, over every row (store/order.py)
    assert "ix_person_sort_k_name" not in found
    for name, sql in found.items():
        assert "WHERE deleted_at IS NULL" in sql, name


def test_migration_creates_fts_tables_and_their_triggers(migrated: Path) -> None:
    conn = sqlite3.connect(migrated)
    try:
        triggers = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'").fetchall())
        fts_sql = dict(
            conn.execute("SELECT name, sql FROM sqlite_master WHERE name IN (?, ?, ?)", FTS_TABLES).fetchall()
        )
        for fts, cols in FTS_COLUMNS.items():
            info = [r[1] for r in conn.execute(f"PRAGMA table_info({fts})")]
            assert tuple(info) == cols
    finally:
        conn.close()
    fts_triggers = {f"{t}_fts_{op}": t for t in ("person", "company", "touchpoint") for op in ("ai", "ad", "au")}
    guards = {"person_name_pos_required_insert": "person", "person_name_pos_required_update": "person"}
    assert triggers == fts_triggers | guards
    for name, sql in fts_sql.items():
        table = name.removesuffix("_fts")
        assert f"content='{table}'" in sql
        # people are indexed under their position in name order (migration 0005), the others under their num
        assert f"content_rowid='{'name_pos' if table == 'person' else 'num'}'" in sql
        assert "prefix='2 3'" in sql
        assert "remove_diacritics 2" in sql


def test_migration_starts_the_change_counter_and_records_head(migrated: Path) -> None:
    conn = sqlite3.connect(migrated)
    try:
        assert conn.execute("SELECT id, value FROM change_counter").fetchall() == [(1, 0)]
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrations.HEAD,)]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_orm_and_migrations_agree_except_for_fts_tables(migrated: Path) -> None:
    engine = create_engine(f"sqlite:///{migrated}")
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    real = [
        d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name.startswith(FTS_TABLES))
    ]
    assert real == []
    assert {d[1].name for d in diffs if isinstance(d, tuple)} == {
        f"{t}{suffix}" for t in FTS_TABLES for suffix in FTS_SHADOW_SUFFIXES
    }


def test_compare_metadata_would_notice_a_difference(migrated: Path) -> None:
    """The comparison above can fail: a column the migration did not make is reported."""
    conn = sqlite3.connect(migrated)
    conn.execute("ALTER TABLE person ADD COLUMN stray TEXT")
    conn.commit()
    conn.close()
    engine = create_engine(f"sqlite:///{migrated}")
    try:
        with engine.connect() as c:
            diffs = compare_metadata(MigrationContext.configure(c), Base.metadata)
    finally:
        engine.dispose()
    assert any(isinstance(d, tuple) and d[0] == "remove_column" and d[3].name == "stray" for d in diffs)


def test_downgrade_to_base_and_upgrade_again(migrated: Path) -> None:
    engine = create_engine(f"sqlite:///{migrated}")
    cfg = _config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert _objects(migrated).get("table", set()) == {"alembic_version"}
        assert "trigger" not in _objects(migrated)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
    assert "person_fts" in _objects(migrated)["table"]
    store = open_store(migrated)  # and the result is a store crmdesk opens as up to date
    store.close()
