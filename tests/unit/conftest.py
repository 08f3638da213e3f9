"""Fixtures of the unit tests that need a store: fresh stores copied from one migrated template file."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crmdesk import paths
from crmdesk.context import Context
from crmdesk.store.engine import Store, open_store


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated, empty store file (checkpointed, so the file alone is the whole database)."""
    path = tmp_path_factory.mktemp("template") / "crmdesk.sqlite3"
    store = open_store(path)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(scope="session")
def make_store(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[Callable[[], Store]]:
    """Factory of empty stores, each a copy of the template in its own folder (fast enough for Hypothesis)."""
    opened: list[Store] = []

    def make() -> Store:
        path = tmp_path_factory.mktemp("store") / "crmdesk.sqlite3"
        shutil.copyfile(template_db, path)
        store = open_store(path)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def ctx(data_dir: Path, template_db: Path) -> Iterator[Context]:
    """Like the suite-wide `ctx`, over a fresh store file in the test's data dir, copied from the migrated template."""
    paths.set_data_dir(data_dir)
    target = paths.database_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, target)
    c = Context.open(data_dir)
    yield c
    c.close()
