"""vCard interchange: a person's URLs, vCard UID and verbatim extra properties; e-mail and phone lookup indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand and frozen, like 0001. Plain ADD COLUMN (no batch copy): the person table keeps its rowids,
    # which the FTS index refers to.
    op.add_column("person", sa.Column("urls", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("person", sa.Column("vcard_uid", sa.String(), nullable=False, server_default=""))
    op.add_column("person", sa.Column("vcard_extra", sa.Text(), nullable=False, server_default="[]"))
    op.create_index("ix_person_vcard_uid", "person", ["vcard_uid"])
    op.create_index("ix_email_address_address", "email_address", ["address"])
    op.create_index("ix_phone_number_number", "phone_number", ["number"])


def downgrade() -> None:
    op.drop_index("ix_phone_number_number", table_name="phone_number")
    op.drop_index("ix_email_address_address", table_name="email_address")
    op.drop_index("ix_person_vcard_uid", table_name="person")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("vcard_extra")
        batch.drop_column("vcard_uid")
        batch.drop_column("urls")
