"""Open the local store: engine, sessionmaker, SQLite pragmas, schema checks and Alembic upgrade at start-up."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from crmdesk.errors import StoreError
from crmdesk.store import search
from crmdesk.store.migrations import HEAD, KNOWN_REVISIONS

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Store:
    """The one engine and sessionmaker of a database file; sessions are made per unit of work, per thread."""

    path: Path
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only unit of work; database errors become StoreError naming the file."""
        with translate_errors(self.path), self.sessions() as s:
            yield s

    @contextlib.contextmanager
    def trial(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: a preview runs the real code and keeps nothing."""
        with translate_errors(self.path), self.sessions() as s:
            try:
                yield s
            finally:
                s.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with translate_errors(self.path), self.sessions.begin() as s:
            yield s


@contextlib.contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn SQLite failures that a user can act on into StoreError with the file name and what to do."""
    try:
        yield
    except exc.OperationalError as e:
        raise _store_error(path, e.orig) from e
    except exc.DatabaseError as e:
        raise _store_error(path, e.orig) from e


def _store_error(path: Path, orig: BaseException | None) -> StoreError:
    text = str(orig or "").lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"The database {path} is locked by another program.",
            hints=("Close other crmdesk windows or programs using this file, then try again.",),
        )
    # "vtable constructor failed": an FTS index whose pages are damaged.
    if any(w in text for w in ("not a database", "malformed", "corrupt", "vtable constructor failed")):
        return StoreError(
            f"The database {path} is damaged or is not a crmdesk database.",
            hints=(
                "crmdesk has not changed the file. Restore it from a backup, or move it aside to start with "
                "an empty store.",
            ),
        )
    if "unable to open" in text or "readonly" in text or "read-only" in text or "permission" in text:
        return StoreError(
            f"The database {path} cannot be opened for reading and writing ({orig}).",
            hints=("Check that the folder exists and that you may write to the file.",),
        )
    if "disk" in text and "full" in text:
        return StoreError(f"The disk holding {path} is full.", hints=("Free some space and try again.",))
    return StoreError(f"The database {path} could not be used: {orig}")


def _set_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, connection_record: Any) -> None:
        # pysqlite's own transaction handling would delay BEGIN; let SQLAlchemy emit it (SA sqlite docs).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a power cut loses at most the last commits
        cur.execute("PRAGMA cache_size = -16000")  # 16 MB a connection: the hot sort-index pages stay in memory
        cur.execute("PRAGMA temp_store = MEMORY")  # the search probe tables (search.probe_matches) never touch disk
        for statement in search.probe_tables_sql():
            cur.execute(statement)
        cur.close()

    return on_connect


def _begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _check_header(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"The database path {path} is a folder, not a file.", hints=("Choose another --data-dir.",))
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StoreError(
            f"The database {path} cannot be read: {e.strerror}.",
            hints=("Check the file's permissions.",),
        ) from e
    if head and head != SQLITE_HEADER:
        raise StoreError(
            f"The file {path} is not a crmdesk database (it is not an SQLite file).",
            hints=("crmdesk has not changed it. Move it aside or choose another --data-dir.",),
        )


def _current_revision(path: Path, busy_timeout_ms: int) -> str | None:
    """The file's schema revision (None: a new, empty file), read without the engine's pragmas.

    A file that turns out not to be ours must be left exactly as it was; the engine's connections would switch
    it to WAL mode (rewriting its header) before any check could run.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                if tables - {"sqlite_sequence"}:
                    raise StoreError(
                        f"The SQLite file {path} was not made by crmdesk "
                        "(it has tables but no crmdesk schema version).",
                        hints=("crmdesk has not changed it. Choose another --data-dir.",),
                    )
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise _store_error(path, e) from e


def open_store(
    path: Path,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate: bool = True,
    on_upgrade: Callable[[str], None] | None = None,
) -> Store:
    """Open (creating if need be) the store at `path` and bring its schema up to date.

    Args:
        path: the SQLite file; its folder is created if missing.
        busy_timeout_ms: how long a statement waits for another process's lock.
        migrate: run Alembic upgrades (False only for tools that inspect a file as it is).
        on_upgrade: called with the file's schema revision before an existing store is upgraded (it can take
            a while: migration 0005 re-indexes every person, ~20 s at 100,000; 0006 works out every stored phone's
            display forms, ~7 s), so the caller can say so.

    Raises:
        StoreError: the file is damaged, not a database, locked, unreadable, or of a newer schema.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"The folder {path.parent} cannot be created: {e.strerror}.") from e
    _check_header(path)
    # LIFO: a read takes the connection returned last, whose page cache holds what the last reads touched; FIFO
    # would rotate through every pooled connection and find each cache colder (a search page took 1.5-2× longer).
    engine = create_engine(f"sqlite+pysqlite:///{path}", future=True, pool_use_lifo=True)
    event.listen(engine, "connect", _set_pragmas(busy_timeout_ms))
    event.listen(engine, "begin", _begin)
    try:
        with translate_errors(path):
            revision = _current_revision(path, busy_timeout_ms)
            if revision is not None and revision not in KNOWN_REVISIONS:
                raise StoreError(
                    f"The database {path} was written by a newer version of crmdesk (schema {revision}).",
                    hints=("Update crmdesk to open it; this version has not changed the file.",),
                )
            if migrate and revision != HEAD:
                if revision is not None and on_upgrade is not None:
                    on_upgrade(revision)
                _upgrade(engine, revision)
    except BaseException:
        engine.dispose()
        raise
    return Store(path=path, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def _upgrade(engine: Engine, revision: str | None) -> None:
    # Alembic is imported only when the schema must change: start-up stays fast on an up-to-date file.
    from alembic import command
    from alembic.config import Config

    from crmdesk.store import migrations

    log.info("upgrading the store schema from %s to %s", revision or "empty", HEAD)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
