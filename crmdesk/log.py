"""Logging set-up with a filter that redacts secrets from every record (DESIGN §6, STYLE §5.5)."""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path

_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+|basic\s+)?)[^\s,;'\"]+"),
    re.compile(r"(?i)((?:x-access-token|api[-_]?key|token|password|secret)[\"']?\s*[:=]\s*[\"']?)[^\s,;'\"&]+"),
)


_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Redact this exact value from every log line from now on (tokens in URL paths have no telltale name)."""
    if len(value) >= 4:
        with _known_lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """The text with every registered secret, and anything that looks like a credential, replaced by ***."""
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "***")
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
    # httpx and httpcore log every request (with its URL) at INFO/DEBUG; crmdesk.connectors.http logs the same,
    # redacted, so theirs would only repeat it.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for h in list(root.handlers):
        root.removeHandler(h)
        if getattr(h, "crmdesk", False):
            h.close()  # ours: its file would stay open
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(RedactingFilter())
    console.crmdesk = True  # type: ignore[attr-defined]
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
    handler.crmdesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return path
