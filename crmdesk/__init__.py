"""crmdesk: a desktop CRM contact manager.

The version is written once, in `pyproject.toml`; `__version__` reads it from the installed package's metadata
(a wheel, or an editable `pip install -e .`). A source tree that was never installed, run straight from a
checkout with `PYTHONPATH`, has no metadata and reports `UNKNOWN_VERSION` instead of guessing. It is read on first
use, not at import: the window starts without it.
"""

APP_NAME = "crmdesk"
APP_ID = "io.github.crmdesk.Crmdesk"
UNKNOWN_VERSION = "0+unknown"  # a valid PEP 440 local version that sorts before every release


def __getattr__(name: str) -> str:
    """`__version__`, read on first use: importlib.metadata costs ~85 ms, which the window's start-up skips."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version(APP_NAME)
    except metadata.PackageNotFoundError:
        version = UNKNOWN_VERSION
    globals()["__version__"] = version  # later reads find it without this function
    return version
