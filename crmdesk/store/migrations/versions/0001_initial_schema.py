"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 20:18:21.128748
"""

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Generated from schema.py at 0001, then frozen: later schema changes get migrations of their own.
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_change_counter_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "company",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("legal_form", sa.String(), nullable=False),
        sa.Column("industry", sa.String(), nullable=False),
        sa.Column("website", sa.String(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("city", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("tags_text", sa.String(), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=False),
        sa.Column("search_extra", sa.Text(), nullable=False),
        sa.Column("k_name", sa.String(), nullable=False),
        sa.Column("k_industry", sa.String(), nullable=False),
        sa.Column("k_city", sa.String(), nullable=False),
        sa.Column("k_phone", sa.String(), nullable=False),
        sa.Column("k_email", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.PrimaryKeyConstraint("num"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_company_sort_k_city", ["k_city", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_company_sort_k_email", ["k_email", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_company_sort_k_industry",
            ["k_industry", "num"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_company_sort_k_name", ["k_name", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_company_sort_k_phone", ["k_phone", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_company_sort_people_count",
            ["people_count", "num"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "person",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("salutation", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("middle_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("suffix", sa.String(), nullable=False),
        sa.Column("gender", sa.String(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("birth_month", sa.Integer(), nullable=True),
        sa.Column("birth_day", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("lifecycle", sa.String(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("custom", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("company_name", sa.String(), nullable=False),
        sa.Column("position", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("tags_text", sa.String(), nullable=False),
        sa.Column("search_extra", sa.Text(), nullable=False),
        sa.Column("k_name", sa.String(), nullable=False),
        sa.Column("k_company", sa.String(), nullable=False),
        sa.Column("k_position", sa.String(), nullable=False),
        sa.Column("k_email", sa.String(), nullable=False),
        sa.Column("k_phone", sa.String(), nullable=False),
        sa.Column("k_tags", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.PrimaryKeyConstraint("num"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_person_sort_k_company", ["k_company", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_k_email", ["k_email", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_k_name", ["k_name", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_k_phone", ["k_phone", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_k_position", ["k_position", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_k_tags", ["k_tags", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_person_sort_updated_at", ["updated_at", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )

    op.create_table(
        "relation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("from_id", sa.String(length=36), nullable=False),
        sa.Column("to_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.CheckConstraint("entity IN ('person', 'company')", name="ck_relation_entity"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relation_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index("ix_relation_from", ["from_id"], unique=False)
        batch_op.create_index("ix_relation_to", ["to_id"], unique=False)

    op.create_table(
        "tag",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100, collation="NOCASE"), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_change_seq"), ["change_seq"], unique=False)

    op.create_table(
        "business_card",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("company_name", sa.String(), nullable=False),
        sa.Column("position", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("business_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_business_card_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index("ix_business_card_company", ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_business_card_person_id"), ["person_id"], unique=False)

    op.create_table(
        "company_tag",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("company_id", "tag_id"),
    )
    with op.batch_alter_table("company_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_tag_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "person_tag",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "tag_id"),
    )
    with op.batch_alter_table("person_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_tag_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "touchpoint",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.String(length=27), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("mood", sa.String(length=16), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("amount", sa.String(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("people_text", sa.String(), nullable=False),
        sa.Column("company_name", sa.String(), nullable=False),
        sa.Column("tags_text", sa.String(), nullable=False),
        sa.Column("k_subject", sa.String(), nullable=False),
        sa.Column("k_people", sa.String(), nullable=False),
        sa.Column("k_company", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("num"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("touchpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_touchpoint_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_touchpoint_company_id"), ["company_id"], unique=False)
        batch_op.create_index(
            "ix_touchpoint_sort_k_company",
            ["k_company", "num"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_touchpoint_sort_k_people", ["k_people", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )
        batch_op.create_index(
            "ix_touchpoint_sort_k_subject",
            ["k_subject", "num"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_touchpoint_sort_occurred_at",
            ["occurred_at", "num"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_touchpoint_sort_type", ["type", "num"], unique=False, sqlite_where=sa.text("deleted_at IS NULL")
        )

    op.create_table(
        "email_address",
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=36), nullable=True),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.CheckConstraint("(card_id IS NULL) <> (company_id IS NULL)", name="ck_email_address_one_owner"),
        sa.ForeignKeyConstraint(["card_id"], ["business_card.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("email_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_address_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_address_company_id"), ["company_id"], unique=False)

    op.create_table(
        "phone_number",
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=36), nullable=True),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.CheckConstraint("(card_id IS NULL) <> (company_id IS NULL)", name="ck_phone_number_one_owner"),
        sa.ForeignKeyConstraint(["card_id"], ["business_card.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("phone_number", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_number_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_number_company_id"), ["company_id"], unique=False)

    op.create_table(
        "postal_address",
        sa.Column("street", sa.String(), nullable=False),
        sa.Column("postcode", sa.String(), nullable=False),
        sa.Column("city", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=36), nullable=True),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.CheckConstraint("(card_id IS NULL) <> (company_id IS NULL)", name="ck_postal_address_one_owner"),
        sa.ForeignKeyConstraint(["card_id"], ["business_card.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("postal_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postal_address_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_postal_address_company_id"), ["company_id"], unique=False)

    op.create_table(
        "touchpoint_person",
        sa.Column("touchpoint_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["touchpoint_id"], ["touchpoint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("touchpoint_id", "person_id"),
    )
    with op.batch_alter_table("touchpoint_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_touchpoint_person_person_id"), ["person_id"], unique=False)

    op.create_table(
        "touchpoint_tag",
        sa.Column("touchpoint_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["touchpoint_id"], ["touchpoint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("touchpoint_id", "tag_id"),
    )
    with op.batch_alter_table("touchpoint_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_touchpoint_tag_tag_id"), ["tag_id"], unique=False)

    op.execute("INSERT INTO change_counter (id, value) VALUES (1, 0)")
    for statement in _fts_statements():
        op.execute(statement)


# Full-text search (DESIGN §4): FTS5 external-content tables over the summary columns, prefix indexes for
# 2 and 3 characters so search-as-you-type stays fast, diacritics folded ("muller" finds "Müller").
# Triggers keep them current; tombstoned rows stay indexed and are filtered by the queries.
_FTS = {
    "person": ("display_name", "company_name", "position", "email", "phone", "tags_text", "notes", "search_extra"),
    "company": ("name", "industry", "city", "email", "phone", "tags_text", "notes", "search_extra"),
    "touchpoint": ("subject", "body", "people_text", "company_name", "tags_text"),
}


def _fts_statements() -> list[str]:
    out = []
    for table, cols in _FTS.items():
        fts = f"{table}_fts"
        col_list = ", ".join(cols)
        new_vals = ", ".join(f"new.{c}" for c in cols)
        old_vals = ", ".join(f"old.{c}" for c in cols)
        out += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table}', content_rowid='num', "
            f"tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
            f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.num, {new_vals}); END",
            f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.num, {old_vals}); END",
            f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {col_list} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.num, {old_vals}); "
            f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.num, {new_vals}); END",
        ]
    return out


def downgrade() -> None:
    for table in _FTS:
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    # Generated from schema.py at 0001, then frozen: later schema changes get migrations of their own.
    with op.batch_alter_table("touchpoint_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_touchpoint_tag_tag_id"))

    op.drop_table("touchpoint_tag")
    with op.batch_alter_table("touchpoint_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_touchpoint_person_person_id"))

    op.drop_table("touchpoint_person")
    with op.batch_alter_table("postal_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postal_address_company_id"))
        batch_op.drop_index(batch_op.f("ix_postal_address_card_id"))

    op.drop_table("postal_address")
    with op.batch_alter_table("phone_number", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_number_company_id"))
        batch_op.drop_index(batch_op.f("ix_phone_number_card_id"))

    op.drop_table("phone_number")
    with op.batch_alter_table("email_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_address_company_id"))
        batch_op.drop_index(batch_op.f("ix_email_address_card_id"))

    op.drop_table("email_address")
    with op.batch_alter_table("touchpoint", schema=None) as batch_op:
        batch_op.drop_index("ix_touchpoint_sort_type", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_touchpoint_sort_occurred_at", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_touchpoint_sort_k_subject", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_touchpoint_sort_k_people", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_touchpoint_sort_k_company", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index(batch_op.f("ix_touchpoint_company_id"))
        batch_op.drop_index(batch_op.f("ix_touchpoint_change_seq"))

    op.drop_table("touchpoint")
    with op.batch_alter_table("person_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_tag_tag_id"))

    op.drop_table("person_tag")
    with op.batch_alter_table("company_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_tag_tag_id"))

    op.drop_table("company_tag")
    with op.batch_alter_table("business_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_card_person_id"))
        batch_op.drop_index("ix_business_card_company")
        batch_op.drop_index(batch_op.f("ix_business_card_change_seq"))

    op.drop_table("business_card")
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_change_seq"))

    op.drop_table("tag")
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.drop_index("ix_relation_to")
        batch_op.drop_index("ix_relation_from")
        batch_op.drop_index(batch_op.f("ix_relation_change_seq"))

    op.drop_table("relation")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_sort_updated_at", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_tags", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_position", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_phone", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_name", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_email", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_person_sort_k_company", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index(batch_op.f("ix_person_change_seq"))

    op.drop_table("person")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_index("ix_company_sort_people_count", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_company_sort_k_phone", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_company_sort_k_name", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_company_sort_k_industry", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_company_sort_k_email", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index("ix_company_sort_k_city", sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.drop_index(batch_op.f("ix_company_change_seq"))

    op.drop_table("company")
    op.drop_table("change_counter")
