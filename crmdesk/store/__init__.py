"""The local SQLite store: schema, migrations and record-level reads and writes (no Qt)."""
