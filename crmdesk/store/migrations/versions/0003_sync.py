"""Sync: accounts, links (remote id, version, agreed base) and conflicts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand and frozen, like 0001 and 0002.
    op.create_table(
        "account",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("base_url", sa.String(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_sync_at", sa.String(27), nullable=True),
        sa.Column("cursors", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "sync_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("local_id", sa.String(36), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("remote_version", sa.String(), nullable=False),
        sa.Column("base", sa.Text(), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
    )
    op.create_index("ux_sync_link_local", "sync_link", ["account_id", "entity", "local_id"], unique=True)
    op.create_index("ux_sync_link_remote", "sync_link", ["account_id", "entity", "remote_id"], unique=True)
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("local_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("base_value", sa.Text(), nullable=False),
        sa.Column("local_value", sa.Text(), nullable=False),
        sa.Column("remote_value", sa.Text(), nullable=False),
        sa.Column("kept", sa.String(8), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("resolved_at", sa.String(27), nullable=True),
    )
    op.create_index("ix_sync_conflict_open", "sync_conflict", ["account_id", "resolved_at"])
    op.create_index("ix_sync_conflict_local_id", "sync_conflict", ["local_id"])


def downgrade() -> None:
    op.drop_table("sync_conflict")
    op.drop_table("sync_link")
    op.drop_table("account")
