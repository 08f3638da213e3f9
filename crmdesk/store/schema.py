"""ORM tables (SQLAlchemy 2 typed mapping). The migrations create them; this module only describes them.

Every record table has a UUID `id` (made on this machine) and the bookkeeping columns `created_at`,
`updated_at`, `change_seq` and `deleted_at` (a tombstone kept until every sync account has pushed it).
People, companies and touchpoints also carry an integer `num`: the SQLite rowid alias. It is the rowid
of their FTS5 rows, which must stay stable across VACUUM — plain rowids of tables without an INTEGER
PRIMARY KEY may change there. Foreign keys always point at the UUID.

The "summary" columns (display values and `k_*` sort keys) are denormalised from a record's cards,
contact data and tags by the store modules on every write, so a table page is one indexed query on
one table and never a join over 100,000 rows.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored as fixed-width UTC ISO 8601 text, so text order is time order."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps aware UTC times only")
        return value.astimezone(dt.UTC).strftime(TIME_FORMAT)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        # fromisoformat (C) reads the fixed "…Z" form 20× faster than strptime; table pages parse one per row.
        return dt.datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class Tracked:
    """Bookkeeping shared by every synced row."""

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    change_seq: Mapped[int] = mapped_column(Integer, index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)


class ChangeCounter(Base):
    """One row: the database-wide change counter, bumped once per write transaction."""

    __tablename__ = "change_counter"
    __table_args__ = (CheckConstraint("id = 1", name="ck_change_counter_single_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Person(Tracked, Base):
    __tablename__ = "person"
    __table_args__ = (
        Index("ux_person_name_pos", "name_pos", unique=True),
        # The name order of all rows, tombstones too (order.py's neighbours; covering them), and the People list's.
        Index("ix_person_name_order", "k_name", "num", "name_pos"),
    )

    num: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    salutation: Mapped[str] = mapped_column(String, default="")
    title: Mapped[str] = mapped_column(String, default="")
    first_name: Mapped[str] = mapped_column(String, default="")
    middle_name: Mapped[str] = mapped_column(String, default="")
    last_name: Mapped[str] = mapped_column(String, default="")
    suffix: Mapped[str] = mapped_column(String, default="")
    gender: Mapped[str] = mapped_column(String, default="")
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    birth_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    birth_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    lifecycle: Mapped[str] = mapped_column(String, default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    custom: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [key, value]
    urls: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of str
    vcard_uid: Mapped[str] = mapped_column(String, default="", index=True)
    vcard_extra: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of unfolded content lines
    # summary, from the favourite card and the tags
    display_name: Mapped[str] = mapped_column(String, default="")
    company_name: Mapped[str] = mapped_column(String, default="")
    position: Mapped[str] = mapped_column(String, default="")
    email: Mapped[str] = mapped_column(String, default="")
    phone: Mapped[str] = mapped_column(String, default="")
    # The phone as every region shows it (normalize.phone_forms): the list shows it without formatting it.
    phone_forms: Mapped[str] = mapped_column(String, default="")
    tags_text: Mapped[str] = mapped_column(String, default="")
    search_extra: Mapped[str] = mapped_column(Text, default="")
    k_name: Mapped[str] = mapped_column(String, default="")
    k_company: Mapped[str] = mapped_column(String, default="")
    k_position: Mapped[str] = mapped_column(String, default="")
    k_email: Mapped[str] = mapped_column(String, default="")
    k_phone: Mapped[str] = mapped_column(String, default="")
    k_tags: Mapped[str] = mapped_column(String, default="")
    # The name order as an integer, the search index's rowid (store/order.py). Never NULL: a trigger refuses it; the
    # column is nullable only because SQLite can add a NOT NULL column to a filled table just by copying the table.
    name_pos: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Company(Tracked, Base):
    __tablename__ = "company"

    num: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String, default="")
    legal_form: Mapped[str] = mapped_column(String, default="")
    industry: Mapped[str] = mapped_column(String, default="")
    website: Mapped[str] = mapped_column(String, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # summary
    city: Mapped[str] = mapped_column(String, default="")
    phone: Mapped[str] = mapped_column(String, default="")
    phone_forms: Mapped[str] = mapped_column(String, default="")  # as Person.phone_forms
    email: Mapped[str] = mapped_column(String, default="")
    tags_text: Mapped[str] = mapped_column(String, default="")
    people_count: Mapped[int] = mapped_column(Integer, default=0)
    search_extra: Mapped[str] = mapped_column(Text, default="")
    k_name: Mapped[str] = mapped_column(String, default="")
    k_industry: Mapped[str] = mapped_column(String, default="")
    k_city: Mapped[str] = mapped_column(String, default="")
    k_phone: Mapped[str] = mapped_column(String, default="")
    k_email: Mapped[str] = mapped_column(String, default="")


class BusinessCard(Tracked, Base):
    __tablename__ = "business_card"
    __table_args__ = (Index("ix_business_card_company", "company_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"), nullable=True)
    company_name: Mapped[str] = mapped_column(String, default="")
    position: Mapped[str] = mapped_column(String, default="")
    department: Mapped[str] = mapped_column(String, default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    ord: Mapped[int] = mapped_column(Integer, default=0)


class _ContactItem:
    """Typed contact data owned by a business card or by a company (exactly one of them)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[str | None] = mapped_column(
        ForeignKey("business_card.id", ondelete="CASCADE"), nullable=True, index=True
    )
    company_id: Mapped[str | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), nullable=True, index=True
    )
    ord: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(16))
    favourite: Mapped[bool] = mapped_column(Boolean, default=False)


_ONE_OWNER = "(card_id IS NULL) <> (company_id IS NULL)"


class EmailAddress(_ContactItem, Base):
    __tablename__ = "email_address"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="ck_email_address_one_owner"),
        Index("ix_email_address_address", "address"),  # imports find people by e-mail
    )
    address: Mapped[str] = mapped_column(String)


class PhoneNumber(_ContactItem, Base):
    __tablename__ = "phone_number"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="ck_phone_number_one_owner"),
        Index("ix_phone_number_number", "number"),  # imports find people by phone
    )
    number: Mapped[str] = mapped_column(String)


class PostalAddress(_ContactItem, Base):
    __tablename__ = "postal_address"
    __table_args__ = (CheckConstraint(_ONE_OWNER, name="ck_postal_address_one_owner"),)
    street: Mapped[str] = mapped_column(String, default="")
    postcode: Mapped[str] = mapped_column(String, default="")
    city: Mapped[str] = mapped_column(String, default="")
    region: Mapped[str] = mapped_column(String, default="")
    country: Mapped[str] = mapped_column(String, default="")


class Touchpoint(Tracked, Base):
    __tablename__ = "touchpoint"

    num: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(String, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    direction: Mapped[str] = mapped_column(String(16), default="")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    mood: Mapped[str] = mapped_column(String(16), default="")
    company_id: Mapped[str | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), nullable=True, index=True
    )
    amount: Mapped[str] = mapped_column(String, default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    # summary
    people_text: Mapped[str] = mapped_column(String, default="")
    company_name: Mapped[str] = mapped_column(String, default="")
    tags_text: Mapped[str] = mapped_column(String, default="")
    k_subject: Mapped[str] = mapped_column(String, default="")
    k_people: Mapped[str] = mapped_column(String, default="")
    k_company: Mapped[str] = mapped_column(String, default="")


class TouchpointPerson(Base):
    __tablename__ = "touchpoint_person"
    touchpoint_id: Mapped[str] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)
    ord: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Tracked, Base):
    __tablename__ = "tag"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100, collation="NOCASE"), unique=True)


class PersonTag(Base):
    __tablename__ = "person_tag"
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True)


class CompanyTag(Base):
    __tablename__ = "company_tag"
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True)


class TouchpointTag(Base):
    __tablename__ = "touchpoint_tag"
    touchpoint_id: Mapped[str] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True)


class Relation(Tracked, Base):
    """person↔person or company↔company; `entity` says which table both ends live in."""

    __tablename__ = "relation"
    __table_args__ = (
        CheckConstraint("entity IN ('person', 'company')", name="ck_relation_entity"),
        Index("ix_relation_from", "from_id"),
        Index("ix_relation_to", "to_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    from_id: Mapped[str] = mapped_column(String(36))
    to_id: Mapped[str] = mapped_column(String(36))
    category: Mapped[str] = mapped_column(String, default="")


# Keyset indexes: one per sortable column, (key, num), live rows only.
_LIVE = text("deleted_at IS NULL")
_SORT_KEYS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (
        cast(Table, Person.__table__),  # and the name: ix_person_name_order, over every row (order.py needs them)
        ("k_company", "k_position", "k_email", "k_phone", "k_tags", "updated_at"),
    ),
    (cast(Table, Company.__table__), ("k_name", "k_industry", "k_city", "k_phone", "k_email", "people_count")),
    (cast(Table, Touchpoint.__table__), ("occurred_at", "type", "k_subject", "k_people", "k_company")),
)
for _table, _keys in _SORT_KEYS:
    for _key in _keys:
        Index(f"ix_{_table.name}_sort_{_key}", _table.c[_key], _table.c.num, sqlite_where=_LIVE)


# ---- sync (DESIGN §6) -------------------------------------------------------------------------------------


class Account(Base):
    """One remote CRM or CardDAV server. Its secret is never here: it lives in the OS keyring (sync/accounts.py)."""

    __tablename__ = "account"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String)
    base_url: Mapped[str] = mapped_column(String)
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON object, kind-specific
    interval_s: Mapped[int] = mapped_column(Integer, default=900)
    policy: Mapped[str] = mapped_column(String(16), default="remote")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="new")  # new, ok, signin, error, guard
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    cursors: Mapped[str] = mapped_column(Text, default="{}")  # JSON: entity → the connector's pull cursor
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SyncLink(Base):
    """What one account and this store last agreed on about one record (DESIGN §6).

    `remote_id` is NULL while a create is on its way: the row is committed before the request, so a crash between
    the remote create and the link tells the next run to look the record up before creating it again.
    """

    __tablename__ = "sync_link"
    __table_args__ = (
        Index("ux_sync_link_local", "account_id", "entity", "local_id", unique=True),
        Index("ux_sync_link_remote", "account_id", "entity", "remote_id", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[str] = mapped_column(String(36))
    remote_id: Mapped[str | None] = mapped_column(String, nullable=True)
    remote_version: Mapped[str] = mapped_column(String, default="")
    base: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the sync fields both sides last agreed on
    base_seq: Mapped[int] = mapped_column(Integer, default=0)  # the local record's change_seq at that moment
    # JSON: what a push is writing, from just before the request until its local commit clears it. A run killed in
    # between leaves it, so the next run knows the remote's new values for what they are: its own echo.
    sent: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class SyncConflict(Base):
    """A field both sides changed: the value the policy kept and the one it did not, for the user to flip."""

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_open", "account_id", "resolved_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String)
    label: Mapped[str] = mapped_column(String, default="")
    base_value: Mapped[str] = mapped_column(Text, default="null")  # JSON
    local_value: Mapped[str] = mapped_column(Text, default="null")  # JSON
    remote_value: Mapped[str] = mapped_column(Text, default="null")  # JSON
    kept: Mapped[str] = mapped_column(String(8))  # "local" or "remote"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
