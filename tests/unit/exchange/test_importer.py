"""Import and export runs against a real store file: matching, preview, batches, rejects, undo, round trips."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vobject
from sqlalchemy import text

from crmdesk.domain.canonical import content_hash
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import Cancelled, StoreError
from crmdesk.exchange import exporter, importer
from crmdesk.exchange.importer import Outcome
from crmdesk.store import companies, demo, listing, people
from crmdesk.store.engine import Store
from crmdesk.tasks import CancelToken

ANNA = """BEGIN:VCARD
VERSION:3.0
UID:anna-1
N:Schmidt;Anna;;;
FN:Anna Schmidt
ORG:Nordlicht GmbH;Einkauf
TITLE:Einkaufsleiterin
EMAIL;TYPE=INTERNET,WORK,pref:anna.schmidt@nordlicht.de
TEL;TYPE=WORK,VOICE:+49 40 1234567
TEL;TYPE=CELL:+49 171 2345678
ADR;TYPE=WORK:;;Hafenstraße 5;Hamburg;;20457;Germany
BDAY:--0412
NOTE:Met at the fair\\, hall 3
CATEGORIES:Customer,VIP
END:VCARD
"""

JONAS = """BEGIN:VCARD
VERSION:3.0
N:Müller;Jonas;;Dr.;
FN:Dr. Jonas Müller
EMAIL;TYPE=HOME:jonas@example.org
TEL;TYPE=HOME:030 1234567
END:VCARD
"""

ZOE = """BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Zoë Ünal
N:Ünal;Zoë;;;
ORG:Nordlicht GmbH
EMAIL;TYPE=work;PREF=1:zoe@nordlicht.de
END:VCARD
"""


def write(tmp_path: Path, name: str, *cards: str, crlf: bool = True) -> Path:
    body = "".join(cards)
    if crlf:
        body = body.replace("\n", "\r\n")
    path = tmp_path / name
    path.write_bytes(body.encode("utf-8"))
    return path


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a user could see of the people and companies, by content."""
    with store.read() as s:
        ids = list(s.execute(text("SELECT id FROM person WHERE deleted_at IS NULL ORDER BY num")).scalars())
        cids = list(s.execute(text("SELECT id FROM company WHERE deleted_at IS NULL ORDER BY num")).scalars())
        return {
            "people": sorted(content_hash(p) for p in people.get_many(s, ids)),
            "companies": sorted(content_hash(c) for c in companies.get_many(s, cids)),
        }


def all_people(store: Store) -> list[PersonRecord]:
    with store.read() as s:
        ids = list(s.execute(text("SELECT id FROM person WHERE deleted_at IS NULL ORDER BY num")).scalars())
        return people.get_many(s, ids)


def by_name(store: Store, last: str) -> PersonRecord:
    return next(p for p in all_people(store) if p.last_name == last)


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Store:
    return make_store()


def test_import_creates_people_and_companies_and_a_second_import_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "contacts.vcf", ANNA, JONAS, ZOE)
    report = importer.run_import(store, [path])
    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, [])
    first_lines = [1, 1 + ANNA.count("\n"), 1 + ANNA.count("\n") + JONAS.count("\n")]
    assert [(line.number, line.line) for line in report.lines] == list(zip([1, 2, 3], first_lines, strict=True))
    anna = by_name(store, "Schmidt")
    card = anna.cards[0]
    assert (card.company_name, card.department, card.position) == ("Nordlicht GmbH", "Einkauf", "Einkaufsleiterin")
    assert card.company_id is not None
    assert [e.address for e in card.emails] == ["anna.schmidt@nordlicht.de"]
    assert {p.number for p in card.phones} == {"+49401234567", "+491712345678"}
    assert anna.birthday is not None and (anna.birthday.year, anna.birthday.month, anna.birthday.day) == (None, 4, 12)
    assert set(anna.tags) == {"Customer", "VIP"}
    assert anna.vcard_uid == "anna-1"
    zoe = by_name(store, "Ünal")
    assert zoe.cards[0].company_id == card.company_id, "the same company, matched by name"
    jonas = by_name(store, "Müller")
    assert jonas.title == "Dr." and jonas.cards[0].private
    with store.read() as s:
        assert companies.count_live(s) == 1
        found = listing.page(s, listing.ListQuery(Entity.PERSON, search="nordlicht"), limit=10)
        assert {r.values[0] for r in found} == {"Anna Schmidt", "Zoë Ünal"}
    before = snapshot(store)

    again = importer.run_import(store, [path])
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, [])
    assert again.undo.is_empty() and again.changes == []
    assert snapshot(store) == before


def test_the_preview_reports_what_the_import_does_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "old.vcf", ANNA)])
    before = snapshot(store)
    changed_anna = ANNA.replace("TITLE:Einkaufsleiterin", "TITLE:Head of Purchasing")
    broken = "BEGIN:VCARD\nVERSION:9.9\nFN:Broken\nEND:VCARD\n"
    path = write(tmp_path, "new.vcf", changed_anna, JONAS, broken, ZOE)
    preview = importer.run_import(store, [path], dry_run=True)
    assert preview.dry_run and "would be created" in preview.summary()
    assert snapshot(store) == before, "a preview writes nothing"
    real = importer.run_import(store, [path])
    strip = [(line.number, line.line, line.outcome, line.name, line.reason) for line in preview.lines]
    assert strip == [(line.number, line.line, line.outcome, line.name, line.reason) for line in real.lines]
    assert [line.outcome for line in real.lines] == [
        Outcome.UPDATED,
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.CREATED,
    ]
    assert real.rejected[0].number == 3 and real.rejected[0].line == 1 + changed_anna.count("\n") + JONAS.count("\n")
    assert "VERSION" in real.rejected[0].reason
    assert real.rejected[0].name == "Broken", "a rejected card still says whose it was"
    assert by_name(store, "Schmidt").cards[0].position == "Head of Purchasing"


def test_a_card_matches_by_uid_or_by_email_and_name_and_is_merged(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA, JONAS)])
    anna_id, jonas_id = by_name(store, "Schmidt").id, by_name(store, "Müller").id
    # UID match, though the e-mail changed; the new phone is added, nothing is taken away
    anna2 = ANNA.replace("anna.schmidt@nordlicht.de", "a.schmidt@nordlicht.de").replace(
        "TEL;TYPE=CELL:+49 171 2345678", "TEL;TYPE=CELL:+49 172 9999999"
    )
    # no UID: matched by e-mail and name (case and accents folded)
    jonas2 = JONAS.replace("N:Müller;Jonas;;Dr.;", "N:MULLER;jonas;;Dr.;").replace("FN:Dr. Jonas Müller", "FN:x")
    jonas2 = jonas2.replace("END:VCARD", "NOTE:Prefers calls\nEND:VCARD")
    report = importer.run_import(store, [write(tmp_path, "b.vcf", anna2, jonas2)])
    assert [line.outcome for line in report.lines] == [Outcome.UPDATED, Outcome.UPDATED]
    assert [line.record_id for line in report.lines] == [anna_id, jonas_id]
    anna = by_name(store, "Schmidt")
    assert {e.address for e in anna.cards[0].emails} == {"anna.schmidt@nordlicht.de", "a.schmidt@nordlicht.de"}
    assert {"+491712345678", "+491729999999"} <= {p.number for p in anna.cards[0].phones}
    assert by_name(store, "MULLER").notes == "Prefers calls"
    assert len(all_people(store)) == 2


def test_same_email_but_another_name_is_another_person(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", JONAS)])
    other = JONAS.replace("N:Müller;Jonas;;Dr.;", "N:Müller;Jana;;;").replace("FN:Dr. Jonas Müller", "FN:Jana Müller")
    report = importer.run_import(store, [write(tmp_path, "b.vcf", other)])
    assert report.created == 1 and len(all_people(store)) == 2


def test_a_uid_twice_in_one_file_rejects_the_second_card(store: Store, tmp_path: Path) -> None:
    twin = ANNA.replace("N:Schmidt;Anna;;;", "N:Schmidt;Annette;;;").replace("FN:Anna Schmidt", "FN:Annette Schmidt")
    report = importer.run_import(store, [write(tmp_path, "twins.vcf", ANNA, twin)])
    assert report.created == 1
    (rejected,) = report.rejected
    second = 1 + ANNA.count("\n")
    assert (rejected.number, rejected.line) == (2, second)
    assert "anna-1" in rejected.reason and "card 1 (line 1)" in rejected.reason
    assert rejected.where() == f"twins.vcf, card 2 (line {second})"


def test_an_unreadable_file_is_reported_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA)])
    before = snapshot(store)
    empty = tmp_path / "empty.vcf"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.vcf"
    binary.write_bytes(bytes(range(256)) * 40)
    report = importer.run_import(store, [empty, binary, write(tmp_path, "b.vcf", JONAS)])
    assert [(r.file, r.number) for r in report.rejected] == [("empty.vcf", 0), ("photo.vcf", 0)]
    assert all(r.reason for r in report.rejected)
    assert report.created == 1
    assert snapshot(store)["companies"] == before["companies"]


def test_each_batch_is_a_transaction_and_a_crash_keeps_the_batches_before(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = [
        ANNA.replace("anna-1", f"p{i}").replace("Schmidt;Anna", f"Schmidt;Anna{i}").replace("anna.schmidt", f"a{i}")
        for i in range(7)
    ]
    monkeypatch.setattr(importer, "BATCH", 3)
    calls = {"n": 0}
    real_bulk_insert = people.bulk_insert

    def failing_bulk_insert(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_bulk_insert(*args, **kwargs)

    monkeypatch.setattr(people, "bulk_insert", failing_bulk_insert)
    with pytest.raises(RuntimeError, match="power cut"):
        importer.run_import(store, [write(tmp_path, "many.vcf", *cards)])
    assert sorted(p.first_name for p in all_people(store)) == ["Anna0", "Anna1", "Anna2"]
    with store.write() as s:  # the FTS index agrees with the table after the failed batch
        s.execute(text("INSERT INTO person_fts(person_fts) VALUES ('integrity-check')"))
    monkeypatch.setattr(people, "bulk_insert", real_bulk_insert)
    report = importer.run_import(store, [write(tmp_path, "many.vcf", *cards)])
    assert (report.created, report.unchanged) == (4, 3)


def test_cancel_stops_after_the_batch_in_progress(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = [ANNA.replace("anna-1", f"p{i}").replace("Schmidt;Anna", f"Schmidt;Anna{i}") for i in range(6)]
    monkeypatch.setattr(importer, "BATCH", 2)
    cancel = CancelToken()

    def progress(done: int, total: int, text_: str) -> None:
        cancel.set()  # the first report comes after the first batch

    report = importer.run_import(store, [write(tmp_path, "six.vcf", *cards)], progress=progress, cancel=cancel)
    assert report.cancelled and "cancelled" in report.summary()
    assert report.created == 2 and len(all_people(store)) == 2


def test_undo_and_redo_an_import(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", JONAS)])
    before = snapshot(store)
    jonas2 = JONAS.replace("END:VCARD", "NOTE:new note\nEND:VCARD")
    report = importer.run_import(store, [write(tmp_path, "b.vcf", ANNA, jonas2, ZOE)])
    after = snapshot(store)
    assert report.created == 2 and report.updated == 1 and len(report.undo.created_companies) == 1
    with store.write() as s:
        importer.undo_import(s, report.undo)
    assert snapshot(store) == before
    with store.write() as s:
        importer.redo_import(s, report.undo)
    assert snapshot(store) == after


# ---- export ------------------------------------------------------------------------------------------------


def _comparable(p: PersonRecord) -> str:
    """A person's content hash with company ids left out: an import into another store makes new companies."""
    cards = tuple(dataclasses.replace(c, company_id=None) for c in p.cards)
    return content_hash(p.replace(cards=cards))


@pytest.mark.parametrize("fmt", [exporter.Format.VCARD3, exporter.Format.VCARD4])
def test_export_then_import_into_an_empty_store_gives_equal_people(
    make_store: Callable[[], Store], tmp_path: Path, fmt: exporter.Format
) -> None:
    source = make_store()
    demo.generate(source, people_count=150, seed=3)
    importer.run_import(source, [write(tmp_path, "extra.vcf", ANNA, JONAS, ZOE)])
    target_file = tmp_path / f"all{fmt.suffix}"
    report = exporter.run_export(source, exporter.Selection(), target_file, fmt=fmt)
    assert report.people == len(all_people(source)) == 153
    assert len(list(vobject.readComponents(target_file.read_text(encoding="utf-8")))) == 153
    copy = make_store()
    result = importer.run_import(copy, [target_file])
    assert (result.created, result.rejected) == (153, [])
    assert sorted(_comparable(p) for p in all_people(copy)) == sorted(_comparable(p) for p in all_people(source))
    # import → export → import is stable: the copy exports the same text
    second = tmp_path / f"again{fmt.suffix}"
    exporter.run_export(copy, exporter.Selection(), second, fmt=fmt)
    again = importer.run_import(copy, [second])
    assert again.unchanged == 153


def test_export_a_search_result_one_file_per_person(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA, JONAS, ZOE)])
    query = listing.ListQuery(Entity.PERSON, search="nordlicht")
    folder = tmp_path / "cards"
    (folder).mkdir()
    (folder / "Anna Schmidt.vcf").write_text("keep me", encoding="utf-8")
    report = exporter.run_export(store, exporter.Selection(query=query), folder, split=True)
    names = sorted(Path(f).name for f in report.files)
    assert names == ["Anna Schmidt (2).vcf", "Zoë Ünal.vcf"]
    assert (folder / "Anna Schmidt.vcf").read_text(encoding="utf-8") == "keep me", "never overwritten"


def test_export_business_card_writes_the_favourite_card_only(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA)])
    anna = by_name(store, "Schmidt")
    target = tmp_path / "anna.vcf"
    exporter.export_business_card(anna, target)
    card = vobject.readOne(target.read_text(encoding="utf-8"))
    assert card.fn.value == "Anna Schmidt"
    assert card.org.value[0] == "Nordlicht GmbH"
    assert not hasattr(card, "note") and not hasattr(card, "categories")


def test_a_failed_export_leaves_no_half_file(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA, JONAS)])
    target = tmp_path / "out.vcf"
    target.write_text("the old export", encoding="utf-8")
    cancel = CancelToken()
    cancel.set()
    with pytest.raises(Cancelled):
        exporter.run_export(store, exporter.Selection(), target, cancel=cancel)
    assert target.read_text(encoding="utf-8") == "the old export"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_name_plus_phone_matches_but_different_foreign_uids_stay_apart(store: Store, tmp_path: Path) -> None:
    phone_only = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Okafor;Chidi;;;\nFN:Chidi Okafor\nTEL;TYPE=CELL:+44 7700 900123\nEND:VCARD\n"
    )
    path = write(tmp_path, "phone.vcf", phone_only)
    assert importer.run_import(store, [path]).created == 1
    again = importer.run_import(store, [path])
    assert (again.created, again.unchanged) == (0, 1), "no UID, no e-mail: the name and phone find the person"
    # Two contacts of one address book (different UIDs) with the same name and e-mail are two people
    one = ANNA.replace("anna-1", "google-1")
    other = ANNA.replace("anna-1", "google-2")
    report = importer.run_import(store, [write(tmp_path, "two.vcf", one, other)])
    assert report.created == 2
    assert len([p for p in all_people(store) if p.last_name == "Schmidt"]) == 2


def test_undo_of_an_import_that_changed_a_person_twice_or_created_and_changed_one(store: Store, tmp_path: Path) -> None:
    importer.run_import(store, [write(tmp_path, "a.vcf", JONAS)])
    before = snapshot(store)
    more1 = JONAS.replace("END:VCARD", "TEL;TYPE=CELL:+49 171 1111111\nEND:VCARD")
    more2 = JONAS.replace("END:VCARD", "TEL;TYPE=CELL:+49 171 2222222\nEND:VCARD")
    anna_later = ANNA.replace("END:VCARD", "NOTE:second file\nEND:VCARD")
    files = [write(tmp_path, "1.vcf", more1, ANNA), write(tmp_path, "2.vcf", more2, anna_later)]
    report = importer.run_import(store, files)
    assert [line.outcome for line in report.lines] == [Outcome.UPDATED, Outcome.CREATED] + [Outcome.UPDATED] * 2
    after = snapshot(store)
    with store.write() as s:
        importer.undo_import(s, report.undo)
    assert snapshot(store) == before, "Jonas as before the import, Anna (created, then changed) gone"
    with store.write() as s:
        importer.redo_import(s, report.undo)
    assert snapshot(store) == after


def test_a_store_error_mid_import_keeps_the_batches_before_undoable(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = [ANNA.replace("anna-1", f"p{i}").replace("Schmidt;Anna", f"Schmidt;Anna{i}") for i in range(4)]
    monkeypatch.setattr(importer, "BATCH", 2)
    real_bulk_insert = people.bulk_insert
    calls = {"n": 0}

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StoreError("The disk holding crmdesk.sqlite3 is full.")
        return real_bulk_insert(*args, **kwargs)

    monkeypatch.setattr(people, "bulk_insert", disk_full)
    report = importer.run_import(store, [write(tmp_path, "four.vcf", *cards)])
    assert report.error and "disk" in report.summary()
    assert report.created == 2 and len(report.undo.created_people) == 2
    with store.write() as s:
        importer.undo_import(s, report.undo)
    assert all_people(store) == []


def test_an_export_file_gets_the_usual_file_mode(store: Store, tmp_path: Path) -> None:
    import os
    import stat

    importer.run_import(store, [write(tmp_path, "a.vcf", ANNA)])
    old = os.umask(0o022)
    try:
        target = tmp_path / "out.vcf"
        exporter.run_export(store, exporter.Selection(), target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
