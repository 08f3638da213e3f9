"""People and companies keep their phone's display forms, so a list shows phones without formatting them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import re

import phonenumbers
import sqlalchemy as sa
from alembic import op
from phonenumbers import NumberParseException, PhoneNumberFormat

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Written by hand and frozen, like the ones before: the forms are worked out here as normalize.phone_forms did
# when this revision was written (each after a U+001F: the phonenumbers version, the number, its region, national
# form if valid, international form; any number not in E.164 kept as it is).
_E164 = re.compile(r"\+([1-9]\d{1,14})(?:;ext=\d+)?")
_SEP = "\x1f"
_CHUNK = 2000


def _forms(number: str) -> str:
    if not _E164.fullmatch(number):
        return number
    try:
        parsed = phonenumbers.parse(number, "ZZ")
    except NumberParseException:
        return number
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    )
    national = (
        phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL) if phonenumbers.is_valid_number(parsed) else ""
    )
    international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    return _SEP + _SEP.join((getattr(phonenumbers, "__version__", ""), number, region, national, international))


def upgrade() -> None:
    conn = op.get_bind()
    for table in ("person", "company"):
        # Added in place (ALTER TABLE ADD COLUMN): a copied table would fire the delete cascades of its rows.
        op.add_column(table, sa.Column("phone_forms", sa.String(), nullable=False, server_default=""))
        last = -1
        while True:  # in chunks of rows: the numbers of 100,000 people are not held at once
            rows = conn.execute(
                sa.text(f"SELECT num, phone FROM {table} WHERE num > :last AND phone != '' ORDER BY num LIMIT :n"),
                {"last": last, "n": _CHUNK},
            ).all()
            if not rows:
                break
            conn.execute(
                sa.text(f"UPDATE {table} SET phone_forms = :forms WHERE num = :num"),
                [{"forms": _forms(phone), "num": num} for num, phone in rows],
            )
            last = rows[-1][0]


def downgrade() -> None:
    for table in ("person", "company"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN phone_forms")
