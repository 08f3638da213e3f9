"""Upgrades keep data: a store an older release wrote is migrated on the new release's first start, losing nothing.

The old stores are made the way an old release made them: Alembic up to that release's revision, then rows
written with plain SQL of that revision's schema (every column named, so a column the old schema lacked fails
here rather than passing unnoticed). They are then opened as the app opens its store (`Context.open`, which runs
the migrations to head) and read back through today's services. A store of a newer, unknown revision is refused
untouched: `test_engine.py::test_a_newer_schema_is_refused_untouched` covers that.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from crmdesk import paths
from crmdesk.context import Context
from crmdesk.domain import normalize
from crmdesk.domain.accounts import AccountKind, AccountRecord, AccountState, Policy
from crmdesk.domain.merge import Side
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    EmailType,
    Entity,
    Mood,
    PersonRecord,
    Phone,
    PhoneType,
    Priority,
    Stamp,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import NotFoundError
from crmdesk.store import accounts, companies, conflicts, links, listing, migrations, people, relations, touchpoints
from crmdesk.store.listing import ListQuery

ADA = "01950000-0000-7000-8000-00000000ada1"
CHARLES = "01950000-0000-7000-8000-0000000cba66"
GONE = "01950000-0000-7000-8000-00000000d0d0"  # a tombstoned person
ENGINES = "01950000-0000-7000-8000-00000000e001"  # company
WORKS = "01950000-0000-7000-8000-00000000e002"  # company
CLOSED = "01950000-0000-7000-8000-00000000e003"  # a tombstoned company
CARD_WORK = "01950000-0000-7000-8000-0000000ca401"
CARD_HOME = "01950000-0000-7000-8000-0000000ca402"
CARD_CHARLES = "01950000-0000-7000-8000-0000000ca403"
CARD_GONE = "01950000-0000-7000-8000-0000000ca404"
MEETING = "01950000-0000-7000-8000-000000000701"
OLD_CALL = "01950000-0000-7000-8000-000000000702"  # a tombstoned touchpoint
TAG_VIP = "01950000-0000-7000-8000-0000000007a1"
TAG_ENGINES = "01950000-0000-7000-8000-0000000007a2"
TAG_BOARD = "01950000-0000-7000-8000-0000000007a3"
COLLEAGUE = "01950000-0000-7000-8000-0000000001e1"
SUBSIDIARY = "01950000-0000-7000-8000-0000000001e2"
ACCOUNT = "01950000-0000-7000-8000-0000000acc01"
LAST_SEQ = 41  # the change counter as the old release left it

CREATED = "2025-03-01T09:30:00.000000Z"
UPDATED = "2025-06-15T17:45:12.345678Z"
DELETED = "2025-07-01T08:00:00.000000Z"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # binary, with every byte value


def at(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def _store_at(path: Path, revision: str) -> None:
    """An empty store file whose schema stops at `revision`, as that release's Alembic left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    cfg = _config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def _insert(conn: sqlite3.Connection, table: str, **values: Any) -> None:
    cols = ", ".join(values)
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(values))})", tuple(values.values()))


def _tracked(seq: int, *, deleted: str | None = None) -> dict[str, Any]:
    return {"created_at": CREATED, "updated_at": UPDATED, "change_seq": seq, "deleted_at": deleted}


def _fill_0001(conn: sqlite3.Connection) -> None:
    """People, companies, touchpoints, tags, relations and tombstones, in the columns of 0001_initial_schema."""
    for tag_id, name, seq in ((TAG_VIP, "VIP", 1), (TAG_ENGINES, "Engines", 2), (TAG_BOARD, "Board", 3)):
        _insert(conn, "tag", id=tag_id, name=name, **_tracked(seq))

    company = {"legal_form": "", "industry": "", "website": "", "notes": "", "logo": None, "search_extra": ""}
    _insert(
        conn,
        "company",
        id=ENGINES,
        legal_form="Ltd",
        industry="Machinery",
        website="https://engines.example",
        search_extra="",
        name="Analytical Engines",
        notes="Founded 1834.\nSecond line, with ümlauts.",
        logo=b"\x00logo\xff",
        city="London",
        phone="+442079460000",
        email="office@engines.example",
        tags_text="Engines",
        people_count=2,
        k_name="analytical engines",
        k_industry="machinery",
        k_city="london",
        k_phone="+442079460000",
        k_email="office@engines.example",
        **_tracked(4),
    )
    _insert(
        conn, "email_address", company_id=ENGINES, ord=0, type="work", favourite=1, address="office@engines.example"
    )
    _insert(conn, "phone_number", company_id=ENGINES, ord=0, type="work", favourite=1, number="+442079460000")
    _insert(conn, "phone_number", company_id=ENGINES, ord=1, type="fax", favourite=0, number="+442079460001")
    _insert(
        conn,
        "postal_address",
        company_id=ENGINES,
        ord=0,
        type="work",
        favourite=1,
        street="1 Dorset Street",
        postcode="W1U 4EG",
        city="London",
        region="",
        country="GB",
    )
    _insert(conn, "company_tag", company_id=ENGINES, tag_id=TAG_ENGINES)
    for cid, name, deleted in ((WORKS, "Difference Works", None), (CLOSED, "Closed Mills", DELETED)):
        _insert(
            conn,
            "company",
            id=cid,
            name=name,
            **company,
            city="",
            phone="",
            email="",
            tags_text="",
            people_count=0,
            k_name=name.lower(),
            k_industry="\U0010ffff",
            k_city="\U0010ffff",
            k_phone="\U0010ffff",
            k_email="\U0010ffff",
            **_tracked(5, deleted=deleted),
        )

    person = {
        "salutation": "",
        "title": "",
        "middle_name": "",
        "suffix": "",
        "gender": "",
        "birth_year": None,
        "birth_month": None,
        "birth_day": None,
        "notes": "",
        "lifecycle": "",
        "photo": None,
        "custom": "[]",
    }
    _insert(
        conn,
        "person",
        id=ADA,
        salutation="Ms",
        title="Countess",
        middle_name="Augusta",
        suffix="",
        gender="female",
        first_name="Ada",
        last_name="Lovelace",
        birth_year=1815,
        birth_month=12,
        birth_day=10,
        notes="Wrote the first program.\nLikes poetry — and maths.",
        lifecycle="customer",
        photo=PHOTO,
        custom='[["Language", "en"], ["Favourite engine", "Analytical"]]',
        display_name="Countess Ada Augusta Lovelace",
        company_name="Analytical Engines",
        position="Analyst",
        email="ada.lovelace@engines.example",
        phone="+442079460123",
        tags_text="Engines, VIP",
        search_extra="Research ada@home.example 442079460123 2079460123 02079460123 00442079460123 "
        "4915112345678 15112345678 015112345678 1 Dorset Street W1U 4EG London customer en Analytical",
        k_name="lovelace\x01ada",
        k_company="analytical engines",
        k_position="analyst",
        k_email="ada.lovelace@engines.example",
        k_phone="+442079460123",
        k_tags="engines, vip",
        **_tracked(10),
    )
    _insert(
        conn,
        "business_card",
        id=CARD_WORK,
        person_id=ADA,
        company_id=ENGINES,
        company_name="Analytical Engines",
        position="Analyst",
        department="Research",
        private=0,
        favourite=1,
        ord=0,
        **_tracked(10),
    )
    _insert(
        conn,
        "email_address",
        card_id=CARD_WORK,
        ord=0,
        type="work",
        favourite=1,
        address="ada.lovelace@engines.example",
    )
    _insert(conn, "phone_number", card_id=CARD_WORK, ord=0, type="work", favourite=1, number="+442079460123")
    _insert(
        conn,
        "postal_address",
        card_id=CARD_WORK,
        ord=0,
        type="work",
        favourite=0,
        street="1 Dorset Street",
        postcode="W1U 4EG",
        city="London",
        region="",
        country="GB",
    )
    _insert(
        conn,
        "business_card",
        id=CARD_HOME,
        person_id=ADA,
        company_id=None,
        company_name="",
        position="",
        department="",
        private=1,
        favourite=0,
        ord=1,
        **_tracked(10),
    )
    _insert(conn, "email_address", card_id=CARD_HOME, ord=0, type="home", favourite=0, address="ada@home.example")
    _insert(conn, "phone_number", card_id=CARD_HOME, ord=0, type="mobile", favourite=1, number="+4915112345678")
    _insert(conn, "person_tag", person_id=ADA, tag_id=TAG_VIP)
    _insert(conn, "person_tag", person_id=ADA, tag_id=TAG_ENGINES)

    _insert(
        conn,
        "person",
        id=CHARLES,
        **person,
        first_name="Charles",
        last_name="Babbage",
        display_name="Charles Babbage",
        company_name="Analytical Engines",
        position="Inventor",
        email="",
        phone="+442079460456",
        tags_text="Engines",
        search_extra="442079460456 2079460456 02079460456 00442079460456",
        k_name="babbage\x01charles",
        k_company="analytical engines",
        k_position="inventor",
        k_email="\U0010ffff",
        k_phone="+442079460456",
        k_tags="engines",
        **_tracked(11),
    )
    _insert(
        conn,
        "business_card",
        id=CARD_CHARLES,
        person_id=CHARLES,
        company_id=ENGINES,
        company_name="Analytical Engines",
        position="Inventor",
        department="",
        private=0,
        favourite=1,
        ord=0,
        **_tracked(11),
    )
    _insert(conn, "phone_number", card_id=CARD_CHARLES, ord=0, type="work", favourite=1, number="+442079460456")
    _insert(conn, "person_tag", person_id=CHARLES, tag_id=TAG_ENGINES)

    _insert(
        conn,
        "person",
        id=GONE,
        **person,
        first_name="Gone",
        last_name="Away",
        display_name="Gone Away",
        company_name="",
        position="",
        email="gone@away.example",
        phone="",
        tags_text="",
        search_extra="",
        k_name="away\x01gone",
        k_company="\U0010ffff",
        k_position="\U0010ffff",
        k_email="gone@away.example",
        k_phone="\U0010ffff",
        k_tags="\U0010ffff",
        **_tracked(20, deleted=DELETED),
    )
    _insert(
        conn,
        "business_card",
        id=CARD_GONE,
        person_id=GONE,
        company_id=None,
        company_name="",
        position="",
        department="",
        private=0,
        favourite=1,
        ord=0,
        **_tracked(20),
    )
    _insert(conn, "email_address", card_id=CARD_GONE, ord=0, type="work", favourite=1, address="gone@away.example")

    _insert(
        conn,
        "relation",
        id=COLLEAGUE,
        entity="person",
        from_id=ADA,
        to_id=CHARLES,
        category="colleague",
        **_tracked(30),
    )
    _insert(
        conn,
        "relation",
        id=SUBSIDIARY,
        entity="company",
        from_id=WORKS,
        to_id=ENGINES,
        category="subsidiary of",
        **_tracked(31),
    )

    touchpoint = {"body": "", "direction": "", "priority": "normal", "mood": "", "amount": "", "currency": ""}
    _insert(
        conn,
        "touchpoint",
        id=MEETING,
        type="meeting",
        occurred_at="2025-06-14T13:00:00.000000Z",
        subject="Bernoulli numbers review",
        body="Note G, line by line.",
        direction="outbound",
        priority="high",
        mood="positive",
        company_id=ENGINES,
        amount="1250.50",
        currency="GBP",
        people_text="Ada Lovelace, Charles Babbage",
        company_name="Analytical Engines",
        tags_text="Board",
        k_subject="bernoulli numbers review",
        k_people="ada lovelace, charles babbage",
        k_company="analytical engines",
        **_tracked(40),
    )
    _insert(conn, "touchpoint_person", touchpoint_id=MEETING, person_id=CHARLES, ord=0)
    _insert(conn, "touchpoint_person", touchpoint_id=MEETING, person_id=ADA, ord=1)
    _insert(conn, "touchpoint_tag", touchpoint_id=MEETING, tag_id=TAG_BOARD)
    _insert(
        conn,
        "touchpoint",
        id=OLD_CALL,
        type="call",
        occurred_at="2025-01-02T10:00:00.000000Z",
        subject="Cancelled call",
        **touchpoint,
        company_id=None,
        people_text="Ada Lovelace",
        company_name="",
        tags_text="",
        k_subject="cancelled call",
        k_people="ada lovelace",
        k_company="\U0010ffff",
        **_tracked(LAST_SEQ, deleted=DELETED),
    )
    _insert(conn, "touchpoint_person", touchpoint_id=OLD_CALL, person_id=ADA, ord=0)
    conn.execute("UPDATE change_counter SET value = ? WHERE id = 1", (LAST_SEQ,))


def _fill_0002(conn: sqlite3.Connection) -> None:
    """What 0002 added: a person's URLs, vCard UID and extra vCard lines."""
    conn.execute(
        "UPDATE person SET urls = ?, vcard_uid = ?, vcard_extra = ? WHERE id = ?",
        ('["https://ada.example/"]', "urn:uuid:ada-from-a-phone", '["X-ABLABEL:Muse", "NICKNAME:Enchantress"]', ADA),
    )


def _fill_0003(conn: sqlite3.Connection) -> None:
    """What 0003 added: a sync account, a link of Ada to its remote card, an open conflict."""
    _insert(
        conn,
        "account",
        id=ACCOUNT,
        kind="carddav",
        name="Phone book",
        base_url="https://dav.example/ada/",
        options='{"addressbook": "contacts"}',
        interval_s=600,
        policy="newest",
        enabled=1,
        state="ok",
        last_error="",
        last_sync_at=UPDATED,
        cursors='{"person": "sync-token-7"}',
        created_at=CREATED,
    )
    _insert(
        conn,
        "sync_link",
        account_id=ACCOUNT,
        entity="person",
        local_id=ADA,
        remote_id="ada.vcf",
        remote_version='"etag-3"',
        base='{"first_name": "Ada"}',
        base_seq=10,
    )
    _insert(
        conn,
        "sync_conflict",
        id="01950000-0000-7000-8000-0000000c0f01",
        account_id=ACCOUNT,
        entity="person",
        local_id=ADA,
        field="notes",
        label="Notes",
        base_value='"old"',
        local_value='"mine"',
        remote_value='"theirs"',
        kept="local",
        created_at=UPDATED,
        resolved_at=None,
    )


FILLS = {
    "0001": (_fill_0001,),
    "0002": (_fill_0001, _fill_0002),
    "0003": (_fill_0001, _fill_0002, _fill_0003),
    "0004": (_fill_0001, _fill_0002, _fill_0003),  # 0004 added a column that is NULL until a push is under way
}


# Filled at one revision, then upgraded by the release of the next: 0005 refuses a person without a name position,
# which only its own code (order.py) hands out, so its store is the one it made of a 0004 store.
UPGRADED_FROM = {"0005": "0004"}


def _old_store(path: Path, revision: str) -> Path:
    """A store file as the release at `revision` left it: WAL mode, checkpointed, closed."""
    filled_at = UPGRADED_FROM.get(revision, revision)
    _store_at(path, filled_at)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")  # the old release enforced them too: the rows are consistent
        conn.execute("PRAGMA journal_mode = WAL")
        with conn:
            for fill in FILLS[filled_at]:
                fill(conn)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    if filled_at != revision:
        _store_at(path, revision)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
    finally:
        conn.close()
    return path


def _ids(ctx: Context, entity: Entity, **query: Any) -> list[str]:
    with ctx.store.read() as s:
        return [r.id for r in listing.page(s, ListQuery(entity, **query))]


EXPECTED_ADA = PersonRecord(
    id=ADA,
    salutation="Ms",
    title="Countess",
    first_name="Ada",
    middle_name="Augusta",
    last_name="Lovelace",
    gender="female",
    birthday=Birthday(year=1815, month=12, day=10),
    notes="Wrote the first program.\nLikes poetry — and maths.",
    lifecycle="customer",
    photo=PHOTO,
    tags=("Engines", "VIP"),
    custom=(("Language", "en"), ("Favourite engine", "Analytical")),
    cards=(
        BusinessCardRecord(
            id=CARD_WORK,
            company_id=ENGINES,
            company_name="Analytical Engines",
            position="Analyst",
            department="Research",
            favourite=True,
            emails=(Email("ada.lovelace@engines.example", EmailType.WORK, favourite=True),),
            phones=(Phone("+442079460123", PhoneType.WORK, favourite=True),),
            addresses=(Address("1 Dorset Street", "W1U 4EG", "London", "", "GB", AddressType.WORK),),
        ),
        BusinessCardRecord(
            id=CARD_HOME,
            private=True,
            emails=(Email("ada@home.example", EmailType.HOME),),
            phones=(Phone("+4915112345678", PhoneType.MOBILE, favourite=True),),
        ),
    ),
)
EXPECTED_ENGINES = CompanyRecord(
    id=ENGINES,
    name="Analytical Engines",
    legal_form="Ltd",
    industry="Machinery",
    website="https://engines.example",
    notes="Founded 1834.\nSecond line, with ümlauts.",
    logo=b"\x00logo\xff",
    tags=("Engines",),
    emails=(Email("office@engines.example", EmailType.WORK, favourite=True),),
    phones=(Phone("+442079460000", PhoneType.WORK, favourite=True), Phone("+442079460001", PhoneType.FAX)),
    addresses=(Address("1 Dorset Street", "W1U 4EG", "London", "", "GB", AddressType.WORK, favourite=True),),
)
EXPECTED_MEETING = TouchpointRecord(
    id=MEETING,
    type=TouchpointType.MEETING,
    occurred_at=at("2025-06-14T13:00:00.000000Z"),
    subject="Bernoulli numbers review",
    body="Note G, line by line.",
    direction=Direction.OUTBOUND,
    priority=Priority.HIGH,
    mood=Mood.POSITIVE,
    person_ids=(CHARLES, ADA),
    company_id=ENGINES,
    tags=("Board",),
    amount="1250.50",
    currency="GBP",
)


def _check_records(ctx: Context, *, ada: PersonRecord) -> None:
    """Every record of `_fill_0001` reads back whole through today's services."""
    with ctx.store.read() as s:
        assert people.get(s, ADA) == ada
        assert people.get(s, ADA).stamp == Stamp(created_at=at(CREATED), updated_at=at(UPDATED), change_seq=10)
        charles = people.get(s, CHARLES)
        assert (charles.display_name, charles.tags, [c.id for c in charles.cards]) == (
            "Charles Babbage",
            ("Engines",),
            [CARD_CHARLES],
        )
        assert charles.cards[0].phones == (Phone("+442079460456", PhoneType.WORK, favourite=True),)
        with pytest.raises(NotFoundError):
            people.get(s, GONE)
        gone = people.get(s, GONE, include_deleted=True)
        assert gone.stamp.deleted_at == at(DELETED)
        assert gone.cards[0].emails == (Email("gone@away.example", favourite=True),)

        assert companies.get(s, ENGINES) == EXPECTED_ENGINES
        assert companies.get(s, ENGINES).stamp.change_seq == 4
        assert companies.get(s, WORKS).name == "Difference Works"
        assert companies.get(s, CLOSED, include_deleted=True).stamp.deleted_at == at(DELETED)
        assert sorted(people.ids_at_company(s, ENGINES)) == sorted([ADA, CHARLES])

        assert touchpoints.get(s, MEETING) == EXPECTED_MEETING
        assert touchpoints.get(s, MEETING).stamp.change_seq == 40
        assert touchpoints.get(s, OLD_CALL, include_deleted=True).stamp.deleted_at == at(DELETED)
        assert [t.id for t in touchpoints.recent_for_person(s, ADA)] == [MEETING]

        assert [
            (r.relation_id, r.other_id, r.category, r.outgoing) for r in relations.for_record(s, Entity.PERSON, ADA)
        ] == [(COLLEAGUE, CHARLES, "colleague", True)]
        assert [(r.other_id, r.category, r.outgoing) for r in relations.for_record(s, Entity.COMPANY, ENGINES)] == [
            (WORKS, "subsidiary of", False)
        ]
        assert listing.tag_names_in_use(s, Entity.PERSON) == ["Engines", "VIP"]
        assert listing.count(s, ListQuery(Entity.PERSON)) == 2
        assert listing.count(s, ListQuery(Entity.COMPANY)) == 2
        assert listing.count(s, ListQuery(Entity.TOUCHPOINT)) == 1


def _check_search(ctx: Context) -> None:
    """The FTS indexes the old release filled answer today's searches: name, e-mail, phone, tag, company, subject."""
    with ctx.store.read() as s:  # people got positions in name order, tombstones too (0005): the index's rowids
        by_position = s.execute(text("SELECT num FROM person WHERE name_pos IS NOT NULL ORDER BY name_pos")).all()
        assert by_position == s.execute(text("SELECT num FROM person ORDER BY k_name, num")).all()
    assert _ids(ctx, Entity.PERSON, search="lovelace") == [ADA]
    assert _ids(ctx, Entity.PERSON, search="ada.lovelace@engines.example") == [ADA]
    assert _ids(ctx, Entity.PERSON, search="ada@home.example") == [ADA]  # the second card's e-mail
    assert _ids(ctx, Entity.PERSON, search="+44 20 7946 0123") == [ADA]
    assert _ids(ctx, Entity.PERSON, search="020 7946 0456") == [CHARLES]
    assert _ids(ctx, Entity.PERSON, search="vip") == [ADA]
    assert _ids(ctx, Entity.PERSON, search="engines") == [CHARLES, ADA]  # by name: Babbage, Lovelace
    assert _ids(ctx, Entity.PERSON, tag="Engines") == [CHARLES, ADA]
    assert _ids(ctx, Entity.PERSON, search="gone") == []  # a tombstone stays indexed but is never found
    assert _ids(ctx, Entity.COMPANY, search="office@engines.example") == [ENGINES]
    assert _ids(ctx, Entity.COMPANY, search="machinery") == [ENGINES]
    assert _ids(ctx, Entity.TOUCHPOINT, search="bernoulli") == [MEETING]
    assert _ids(ctx, Entity.TOUCHPOINT, search="babbage") == [MEETING]
    assert _ids(ctx, Entity.TOUCHPOINT, search="cancelled") == []


def _check_list_phones(ctx: Context) -> None:
    """The lists show each phone as formatting the stored number gives it, in any reader's region (0006 stored the
    forms of the numbers the old release had); a company or person without a phone shows none."""
    for entity, expected in ((Entity.PERSON, 2), (Entity.COMPANY, 2)):
        column = [c.key for c in listing.COLUMNS[entity]].index("phone")
        with ctx.store.read() as s:
            rows = listing.page(s, ListQuery(entity))
            stored = {i: p for i, p in s.execute(text(f"SELECT id, phone FROM {entity.value}"))}
        assert len(rows) == expected
        for row in rows:
            for region in ("GB", "DE", "US"):
                shown = normalize.shown_phone(row.values[column], region=region)
                assert shown == normalize.format_phone(stored[row.id], region=region)
    with ctx.store.read() as s:
        forms = {i: f for i, f in s.execute(text("SELECT id, phone_forms FROM person"))}
    assert normalize.shown_phone(forms[ADA], region="GB") == "020 7946 0123"
    assert normalize.shown_phone(forms[ADA], region="DE") == "+44 20 7946 0123"
    assert forms[GONE] == ""


def _open_as_the_app_does(revision: str) -> Context:
    path = _old_store(paths.database_file(), revision)
    assert path == paths.database_file()
    told: list[str] = []
    ctx = Context.open(paths.data_dir(), on_upgrade=told.append)
    assert told == [revision]  # the window says it is upgrading before it starts (it can take a while)
    return ctx


def _revision(ctx: Context) -> str:
    with ctx.store.read() as s:
        return str(s.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_a_store_of_the_first_release_is_upgraded_on_first_start_with_all_its_data(data_dir: Path) -> None:
    ctx = _open_as_the_app_does("0001")
    try:
        assert _revision(ctx) == migrations.HEAD
        # the columns and tables later releases added have their defaults
        _check_records(ctx, ada=EXPECTED_ADA)
        with ctx.store.read() as s:
            assert people.get(s, ADA).urls == ()
            assert people.get(s, ADA).vcard_uid == ""
            assert people.get(s, ADA).vcard_extra == ()
            raw = s.execute(text("SELECT DISTINCT urls, vcard_uid, vcard_extra FROM person")).all()
            assert [tuple(r) for r in raw] == [("[]", "", "[]")]
            assert accounts.all_accounts(s) == []
            assert s.execute(text("SELECT count(*) FROM sync_link")).scalar_one() == 0
            assert s.execute(text("SELECT count(*) FROM sync_conflict")).scalar_one() == 0
            assert "sent" in {r[1] for r in s.execute(text("PRAGMA table_info(sync_link)"))}
            assert s.execute(text("PRAGMA integrity_check")).all() == [("ok",)]
            assert s.execute(text("PRAGMA foreign_key_check")).all() == []
        _check_search(ctx)
        _check_list_phones(ctx)

        # the change counter goes on from where the old release left it, and the FTS triggers still fire
        with ctx.store.write() as s:
            renamed, change = people.update(s, people.get(s, ADA).replace(title="Baroness"))
        assert renamed.stamp.change_seq == LAST_SEQ + 1
        assert ADA in change.ids
        with ctx.store.write() as s:
            added, _ = people.create(s, PersonRecord(first_name="Mary", last_name="Somerville", tags=("VIP",)))
        assert added.stamp.change_seq == LAST_SEQ + 2
        assert _ids(ctx, Entity.PERSON, search="baroness") == [ADA]
        assert _ids(ctx, Entity.PERSON, search="countess") == []
        assert _ids(ctx, Entity.PERSON, search="vip") == [ADA, added.id]
        with ctx.store.read() as s:
            assert people.get(s, ADA).cards == EXPECTED_ADA.cards  # the edit kept the old cards
    finally:
        ctx.close()

    told: list[str] = []
    reopened = Context.open(data_dir, on_upgrade=told.append)  # and the upgraded file opens as up to date
    assert told == []
    try:
        assert _revision(reopened) == migrations.HEAD
        with reopened.store.read() as s:
            assert people.get(s, ADA).display_name == "Baroness Ada Augusta Lovelace"
    finally:
        reopened.close()


@pytest.mark.parametrize("revision", ["0002", "0003", "0004", "0005"])
def test_a_store_at_an_intermediate_revision_is_upgraded_with_all_its_data(revision: str) -> None:
    ctx = _open_as_the_app_does(revision)
    try:
        assert _revision(ctx) == migrations.HEAD
        ada = EXPECTED_ADA.replace(
            urls=("https://ada.example/",),
            vcard_uid="urn:uuid:ada-from-a-phone",
            vcard_extra=("X-ABLABEL:Muse", "NICKNAME:Enchantress"),
        )
        _check_records(ctx, ada=ada)
        _check_search(ctx)
        _check_list_phones(ctx)
        with ctx.store.read() as s:
            if revision == "0002":
                assert accounts.all_accounts(s) == []
            else:
                assert accounts.all_accounts(s) == [
                    AccountRecord(
                        id=ACCOUNT,
                        kind=AccountKind.CARDDAV,
                        name="Phone book",
                        base_url="https://dav.example/ada/",
                        options=(("addressbook", "contacts"),),
                        interval_s=600,
                        policy=Policy.NEWEST_WINS,
                        enabled=True,
                        state=AccountState.OK,
                        last_error="",
                        last_sync_at=at(UPDATED),
                    )
                ]
                assert accounts.cursor(s, ACCOUNT, "person") == "sync-token-7"
                link = links.by_local(s, ACCOUNT, Entity.PERSON, ADA)
                assert link == links.Link(ADA, "ada.vcf", '"etag-3"', '{"first_name": "Ada"}', 10, sent=None)
                assert [(c.local_id, c.field, c.local, c.remote, c.kept) for c in conflicts.open_conflicts(s)] == [
                    (ADA, "notes", "mine", "theirs", Side.LOCAL)
                ]
    finally:
        ctx.close()
