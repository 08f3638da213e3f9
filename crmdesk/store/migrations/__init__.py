"""Alembic migrations of the local store. HEAD must name the newest revision (a test checks it)."""

HEAD = "0006"
KNOWN_REVISIONS = frozenset({"0001", "0002", "0003", "0004", "0005", "0006"})
