"""Sync links remember what a push sent until its local commit (the echo of a killed push is not a colleague's edit)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand and frozen, like the ones before.
    with op.batch_alter_table("sync_link") as batch:
        batch.add_column(sa.Column("sent", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_link") as batch:
        batch.drop_column("sent")
