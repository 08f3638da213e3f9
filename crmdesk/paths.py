"""Every file location crmdesk uses; `--data-dir` overrides them all (STYLE §6.1)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from crmdesk import APP_NAME

_override: Path | None = None


def set_data_dir(path: str | Path | None) -> None:
    """Put every file (database, settings, logs) under `path`; None restores the platform defaults."""
    global _override
    _override = Path(path).expanduser().resolve() if path is not None else None


def data_dir() -> Path:
    if _override is not None:
        return _override
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    if _override is not None:
        return _override / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    if _override is not None:
        return _override / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def database_file() -> Path:
    return data_dir() / "crmdesk.sqlite3"


def settings_file() -> Path:
    return config_dir() / "settings.json"


def secrets_file() -> Path:
    """Account secrets, only when the user opted into keeping them in a file (not encrypted, mode 0600)."""
    return data_dir() / "secrets.json"


def qsettings_file() -> Path:
    """Window geometry, splitters and column widths only."""
    return config_dir() / "window.ini"


def resources_dir() -> Path:
    """Icons and other read-only files: inside the installed package, or `resources/` of a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "resources"
    return packaged if packaged.is_dir() else here.parent / "resources"
