"""crmdesk: a desktop CRM contact manager.

The version is written once, in `pyproject.toml`; `__version__` reads it from the installed package's metadata
(a wheel, or an editable `pip install -e .`). A source tree that was never installed, run straight from a
checkout with `PYTHONPATH`, has no metadata and reports `UNKNOWN_VERSION` instead of guessing.
"""

from importlib import metadata

APP_NAME = "crmdesk"
APP_ID = "io.github.crmdesk.Crmdesk"
UNKNOWN_VERSION = "0+unknown"  # a valid PEP 440 local version that sorts before every release

try:
    __version__ = metadata.version(APP_NAME)
except metadata.PackageNotFoundError:
    __version__ = UNKNOWN_VERSION
