"""One version: `pyproject.toml` writes it, `crmdesk.__version__` reads it from the installed package's metadata."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import crmdesk

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_one_pyproject_toml_declares() -> None:
    """Fails on a stale editable install too: its metadata keeps the version of the last `pip install -e .`."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert crmdesk.__version__ == metadata.version("crmdesk") == declared


def test_a_source_tree_without_metadata_says_its_version_is_unknown() -> None:
    # -I -S: no site-packages, so no crmdesk metadata; only the checkout is importable
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import crmdesk; print(crmdesk.__version__)"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == crmdesk.UNKNOWN_VERSION == "0+unknown"
