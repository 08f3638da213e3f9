"""Typed app settings with defaults, stored as JSON beside the database; the CLI and the window share them."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
SECRET_STORES = ("keyring", "file")
"""Where account secrets are kept: the OS keyring, or (an explicit opt-in) a file that is not encrypted."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What a user may configure. Unknown keys in the file are ignored; bad values fall back to defaults."""

    default_region: str = "DE"  # ISO 3166-1 alpha-2: how phone numbers without +country are read
    search_debounce_ms: int = 250
    page_size: int = 200
    secret_store: str = "keyring"  # one of SECRET_STORES; "file" only when the user opted in (sync/accounts.py)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load(path: Path) -> Settings:
    """Read settings; a missing or unreadable file gives the defaults (and says so in the log)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as e:
        log.warning("settings file %s unreadable (%s); using defaults", path, e)
        return Settings()
    if not isinstance(raw, dict):
        log.warning("settings file %s is not a JSON object; using defaults", path)
        return Settings()
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name in raw and isinstance(raw[f.name], type(getattr(defaults, f.name))):
            values[f.name] = raw[f.name]
    region = str(values.get("default_region", defaults.default_region))
    if not (len(region) == 2 and region.isalpha()):
        values.pop("default_region", None)
    else:
        values["default_region"] = region.upper()
    if values.get("secret_store", defaults.secret_store) not in SECRET_STORES:
        log.warning("settings file %s: secret_store must be one of %s; using the keyring", path, SECRET_STORES)
        values.pop("secret_store")
    return Settings(**values)


def save(path: Path, settings: Settings) -> None:
    """Write settings atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    data = {"version": SETTINGS_VERSION, **dataclasses.asdict(settings)}
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
