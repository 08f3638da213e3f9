"""Test set-up shared by every test: offscreen Qt, a temporary data dir, fresh settings (STYLE §8)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from crmdesk import paths
from crmdesk.context import Context

# Hypothesis: CI and the README's test command run the "ci" profile; `HYPOTHESIS_PROFILE=thorough` digs deeper.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("thorough", deadline=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own --data-dir, so nothing touches the developer's real files."""
    d = tmp_path / "data"
    paths.set_data_dir(d)
    yield d
    paths.set_data_dir(None)


@pytest.fixture(autouse=True)
def _no_job_left_running() -> Iterator[None]:
    """Fail a test that leaves background jobs running (STYLE §8), after giving them 5 s to end."""
    yield
    if "crmdesk.ui.workers" not in sys.modules:
        return
    from crmdesk.ui.workers import JobRunner

    busy = [r for r in list(JobRunner.instances) if not (r.writer.waitForDone(5000) and r.general.waitForDone(5000))]
    assert not busy, "a test left background jobs running"


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[Context]:
    """A Context over a fresh store file in the test's data dir (never :memory:)."""
    c = Context.open(data_dir)
    yield c
    c.close()
