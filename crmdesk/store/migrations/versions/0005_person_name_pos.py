"""People get a position in name order, and the people's search index uses it as its rowid (store/order.py)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Written by hand and frozen, like the ones before: it names its own SQL rather than importing today's code.
_COLS = ("display_name", "company_name", "position", "email", "phone", "tags_text", "notes", "search_extra")
_STEP = 1 << 32


def _fts(rowid: str) -> list[str]:
    col_list = ", ".join(_COLS)
    new_vals = ", ".join(f"new.{c}" for c in _COLS)
    old_vals = ", ".join(f"old.{c}" for c in _COLS)
    moved = f"{col_list}, name_pos" if rowid == "name_pos" else col_list
    return [
        f"CREATE VIRTUAL TABLE person_fts USING fts5({col_list}, content='person', content_rowid='{rowid}', "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
        "CREATE TRIGGER person_fts_ai AFTER INSERT ON person BEGIN "
        f"INSERT INTO person_fts(rowid, {col_list}) VALUES (new.{rowid}, {new_vals}); END",
        "CREATE TRIGGER person_fts_ad AFTER DELETE ON person BEGIN "
        f"INSERT INTO person_fts(person_fts, rowid, {col_list}) VALUES ('delete', old.{rowid}, {old_vals}); END",
        f"CREATE TRIGGER person_fts_au AFTER UPDATE OF {moved} ON person BEGIN "
        f"INSERT INTO person_fts(person_fts, rowid, {col_list}) VALUES ('delete', old.{rowid}, {old_vals}); "
        f"INSERT INTO person_fts(rowid, {col_list}) VALUES (new.{rowid}, {new_vals}); END",
        "INSERT INTO person_fts(person_fts) VALUES ('rebuild')",
    ]


def _drop_fts() -> None:
    for trigger in ("person_fts_ai", "person_fts_ad", "person_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS person_fts")


def upgrade() -> None:
    op.add_column("person", sa.Column("name_pos", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE person SET name_pos = r.pos FROM (SELECT num, (row_number() OVER (ORDER BY k_name, num) - 1) "
        f"* {_STEP} AS pos FROM person) AS r WHERE r.num = person.num"
    )
    op.create_index("ux_person_name_pos", "person", ["name_pos"], unique=True)
    # The name order of every row, tombstones too, covering the position: the neighbours of a new position are read
    # from it alone. It serves the People list's name order too, so the live-rows index of that order goes.
    op.create_index("ix_person_name_order", "person", ["k_name", "num", "name_pos"])
    op.drop_index("ix_person_sort_k_name", "person")
    # A person without a position would be missing from search: refuse it where it is written.
    for event, when in (("INSERT", "INSERT"), ("UPDATE", "UPDATE OF name_pos")):
        op.execute(
            f"CREATE TRIGGER person_name_pos_required_{event.lower()} BEFORE {when} ON person "
            "WHEN new.name_pos IS NULL BEGIN "
            "SELECT RAISE(ABORT, 'person.name_pos is required (crmdesk.store.order)'); END"
        )
    _drop_fts()
    for statement in _fts("name_pos"):
        op.execute(statement)


def downgrade() -> None:
    _drop_fts()
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS person_name_pos_required_{event}")
    op.create_index("ix_person_sort_k_name", "person", ["k_name", "num"], sqlite_where=sa.text("deleted_at IS NULL"))
    op.drop_index("ix_person_name_order", "person")
    op.drop_index("ux_person_name_pos", "person")
    op.execute("ALTER TABLE person DROP COLUMN name_pos")  # in place: a copied table would cascade its deletes
    for statement in _fts("num"):
        op.execute(statement)
