"""Logging set-up with a filter that redacts secrets from every record (DESIGN §6, STYLE §5.5)."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+|basic\s+)?)[^\s,;'\"]+"),
    re.compile(r"(?i)((?:x-access-token|api[-_]?key|token|password|secret)[\"']?\s*[:=]\s*[\"']?)[^\s,;'\"&]+"),
)


def redact(text: str) -> str:
    """The text with anything that looks like a credential replaced by ***."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the message once, redacts it, and drops the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def setup(log_dir: Path | None, *, verbose: bool = False) -> Path | None:
    """Log to stderr (warnings, or everything when verbose) and to a rotating file in `log_dir`.

    Returns:
        The log file's path, or None when it could not be created.
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(RedactingFilter())
    root.addHandler(console)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "crmdesk.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(fmt)
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    return path
