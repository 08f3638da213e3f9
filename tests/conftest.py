"""Test set-up shared by every test: offscreen Qt, a temporary data dir, fresh settings (STYLE §8)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from crmdesk import paths  # noqa: E402
from crmdesk.context import Context  # noqa: E402


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own --data-dir, so nothing touches the developer's real files."""
    d = tmp_path / "data"
    paths.set_data_dir(d)
    yield d
    paths.set_data_dir(None)


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[Context]:
    """A Context over a fresh store file in the test's data dir (never :memory:)."""
    c = Context.open(data_dir)
    yield c
    c.close()
