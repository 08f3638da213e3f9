"""Test set-up shared by every test: offscreen Qt, a temporary data dir, fresh settings (STYLE §8)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Secrets go to an in-memory keyring (tests/keyring_backend.py), never the developer's real one: assigned, not
# setdefault, so a PYTHON_KEYRING_BACKEND in the shell cannot point the tests at a real keyring.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring_backend.MemoryKeyring"
# keyring imports that module by name: tests/ must be on sys.path even in pytest's importlib mode, which adds nothing
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compileall
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring_backend
import pytest
from hypothesis import settings

import crmdesk
from crmdesk import paths
from crmdesk.context import Context

# Hypothesis: CI and the README's test command run the "ci" profile; `HYPOTHESIS_PROFILE=thorough` digs deeper.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("thorough", deadline=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile crmdesk once, as an installed copy is: the tests start ~80 `python -m crmdesk` processes
    (the command line, kill -9 trials, packaging), and under PYTHONDONTWRITEBYTECODE (set by some shells and CI
    images) each compiled every module from source again, ~0.3 s a start. The files go to the git-ignored
    __pycache__ folders; writing them is atomic, so parallel workers may do it at once."""
    compileall.compile_dir(Path(crmdesk.__file__).parent, quiet=1)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own --data-dir, so nothing touches the developer's real files."""
    d = tmp_path / "data"
    paths.set_data_dir(d)
    yield d
    paths.set_data_dir(None)


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    """Every test starts with an empty in-memory keyring, whatever backend the test before it switched to."""
    if not isinstance(keyring.get_keyring(), keyring_backend.MemoryKeyring):
        keyring.core.init_backend()
    keyring_backend.reset()
    yield
    keyring_backend.reset()


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
