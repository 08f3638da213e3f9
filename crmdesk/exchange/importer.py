"""Import runs: cards from vCard and CSV files into the store, without doubling anyone (DESIGN §8).

A run reads each file through its codec as a stream and handles the cards in batches of `BATCH` — one write
transaction each, so a crash mid-import leaves the store consistent and the batches before it imported. For every
card it finds the person already stored:

1. by UID: a person whose `vcard_uid` or id is the card's UID (crmdesk writes the id as UID when it has none);
2. else by name and e-mail or phone: a live person with the same first and last name (case and accents folded)
   and one of the card's e-mail addresses or phone numbers — unless both carry UIDs from elsewhere that differ
   (their address book keeps them apart, so do we). A card with neither UID nor e-mail nor phone is matched by
   nothing: a name alone is not enough to say two people are one.

A found person is *merged* with the card: what the card says replaces what the store says, fields the card does
not have stay as they were, tags and URLs are joined, and e-mails, phones and addresses are added to the card at
the same company (nothing is taken away: a vCard from another address book is rarely the whole story). If the
merged person equals the stored one (canonical hash) the card is *unchanged*; that is why importing the same file
twice changes nothing the second time. A card that names only an organisation creates or updates a company.

A **dry run** (preview) does exactly the same inside one transaction that is rolled back, so what it reports is
what the import will do. Each rejected card is reported with its file, number, line and reason; the good cards
still go in. `ImportReport.undo` holds what undoing the run needs (created ids, the records as they were before).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmdesk.domain import validate
from crmdesk.domain.canonical import content_hash
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    Phone,
)
from crmdesk.errors import Cancelled, UserError, ValidationError
from crmdesk.exchange import csv as csv_codec
from crmdesk.exchange import vcard
from crmdesk.exchange.base import CardResult, UnreadableFile
from crmdesk.store import common, companies, people
from crmdesk.store.engine import Store
from crmdesk.store.schema import BusinessCard, EmailAddress, Person, PhoneNumber
from crmdesk.tasks import CancelToken, Progress, no_progress

BATCH = 500  # cards per write transaction


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ReportLine:
    """What happened to one card (or what would happen, in a preview)."""

    file: str
    number: int  # card number in its file, from 1; 0 for a file that could not be read at all
    line: int
    outcome: Outcome
    entity: Entity = Entity.PERSON
    name: str = ""
    record_id: str | None = None
    reason: str = ""  # why it was rejected
    warnings: tuple[str, ...] = ()

    def where(self) -> str:
        """ "contacts.vcf, card 3 (line 41)" — how messages name a card."""
        if self.number == 0:
            return self.file
        return f"{self.file}, card {self.number} (line {self.line})"


@dataclass
class ImportUndo:
    """What undoing an import needs: records it created, and those it changed as they were before and after."""

    created_people: list[str] = field(default_factory=list)
    created_companies: list[str] = field(default_factory=list)
    people_before: list[PersonRecord] = field(default_factory=list)
    people_after: list[PersonRecord] = field(default_factory=list)
    companies_before: list[CompanyRecord] = field(default_factory=list)
    companies_after: list[CompanyRecord] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.created_people or self.created_companies or self.people_before or self.companies_before)


@dataclass
class ImportReport:
    """The result of an import run or a preview: one line per card, the counts, and how to undo it."""

    files: list[str]
    dry_run: bool
    undo: ImportUndo = field(default_factory=ImportUndo)
    changes: list[ChangeSet] = field(default_factory=list)
    cancelled: bool = False
    error: str = ""  # why the run stopped early (the batches before it are in, and undoable)
    # One plain tuple of str/int per card while the run goes on: CPython's collector stops tracking such tuples,
    # so its full passes (which stall the window) do not walk 10,000 report lines of a large import.
    _rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False)
    _lines: list[ReportLine] | None = field(default=None, repr=False)

    def add(self, line: ReportLine) -> None:
        self._rows.append(
            (line.file, line.number, line.line, line.outcome.value, line.entity.value, line.name, line.record_id,
             line.reason, line.warnings)
        )  # fmt: skip
        self._lines = None

    def sort_from(self, start: int) -> None:
        """The lines from `start` on in card order (a batch reports its rejects before its people)."""
        self._rows[start:] = sorted(self._rows[start:], key=lambda row: row[1])
        self._lines = None

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def lines(self) -> list[ReportLine]:
        """One line per card, in file order (made on first use after the run)."""
        if self._lines is None:
            self._lines = [
                ReportLine(f, n, ln, Outcome(o), Entity(e), name, rid, reason, warnings)
                for f, n, ln, o, e, name, rid, reason, warnings in self._rows
            ]
        return self._lines

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self._rows if row[3] == outcome.value)

    @property
    def created(self) -> int:
        return self.count(Outcome.CREATED)

    @property
    def updated(self) -> int:
        return self.count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(Outcome.UNCHANGED)

    @property
    def rejected(self) -> list[ReportLine]:
        return [line for line in self.lines if line.outcome is Outcome.REJECTED]

    def summary(self) -> str:
        """ "12 created, 3 updated, 80 unchanged, 1 rejected" (a preview says "would be …")."""
        verb = "would be " if self.dry_run else ""
        parts = [
            f"{self.created:,} {verb}created",
            f"{self.updated:,} {verb}updated",
            f"{self.unchanged:,} unchanged",
            f"{len(self.rejected):,} rejected",
        ]
        if self.undo.created_companies:
            n = len(self.undo.created_companies)
            parts.append(f"{n:,} {'company' if n == 1 else 'companies'} {verb}created")
        text = ", ".join(parts)
        if self.error:
            return f"{text} — stopped: {self.error}"
        return text + " (cancelled: the batches before the cancel were imported)" if self.cancelled else text


# ---- reading files -----------------------------------------------------------------------------------------


class FileKind(enum.StrEnum):
    VCARD = "vcard"
    CSV = "csv"


def file_kind(path: Path, head: bytes) -> FileKind:
    """vCard or CSV, from the first bytes (a vCard says BEGIN:VCARD early) and then the file name."""
    probe = head[:4096]
    for encoding in ("utf-8", "utf-16", "latin-1"):
        try:
            text = probe.decode(encoding, errors="strict" if encoding != "latin-1" else "replace")
        except UnicodeDecodeError:
            continue
        if "BEGIN:VCARD" in text.upper():
            return FileKind.VCARD
    suffix = path.suffix.lower()
    if suffix in (".vcf", ".vcard"):
        return FileKind.VCARD
    if suffix in (".csv", ".tsv", ".txt"):
        return FileKind.CSV
    return FileKind.CSV if b"," in probe or b";" in probe else FileKind.VCARD


def read_file(stream: BinaryIO, path: Path, *, region: str) -> Iterator[CardResult]:
    """The cards of one file, through the codec its content calls for."""
    head = stream.peek(4096) if hasattr(stream, "peek") else b""
    if not head:
        pos = stream.tell()
        head = stream.read(4096)
        stream.seek(pos)
    cards: Iterator[CardResult]
    if file_kind(path, head) is FileKind.VCARD:
        cards = vcard.read_cards(stream, region=region, source=path.name)
    else:
        cards = csv_codec.read_rows(stream, region=region, source=path.name)
    return cards


# ---- the run -----------------------------------------------------------------------------------------------


def run_import(
    store: Store,
    files: Sequence[Path],
    *,
    region: str = "DE",
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import (or, with `dry_run`, preview) the cards of `files`.

    Progress is reported in bytes read over all files. A cancel stops after the batch in progress; the batches
    before it stay imported (a preview is simply abandoned) and the report says so.
    """
    cancel = cancel or CancelToken()
    run = _Run(region=region, report=ImportReport(files=[str(p) for p in files], dry_run=dry_run))
    total = sum(_size(p) for p in files)
    done = 0
    try:
        if dry_run:
            with store.trial() as trial:  # one transaction, always rolled back: the preview runs the real code

                def in_trial(batch: _Batch) -> None:
                    _import_batch(trial, run, batch)

                for path in files:
                    _import_file(path, run, in_trial, done, total, progress, cancel)
                    done += _size(path)
        else:

            def in_transaction(batch: _Batch) -> None:
                with store.write() as s:
                    _import_batch(s, run, batch)

            for path in files:
                _import_file(path, run, in_transaction, done, total, progress, cancel)
                done += _size(path)
    except Cancelled:
        run.report.cancelled = True
    except UserError as e:  # the disk is full, the database locked or damaged: keep what went in, undoably
        if dry_run:
            raise
        run.report.error = str(e)
    progress(total, total, "")
    return run.report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass
class _Run:
    """State of one run across batches: the UIDs seen in the current file, the companies resolved by name."""

    region: str
    report: ImportReport
    uids: dict[str, str] = field(default_factory=dict)  # UID → "file, card N (line L)"
    company_ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (id, stored spelling)


@dataclass(frozen=True, slots=True)
class _Batch:
    file_name: str
    cards: list[CardResult]


def _import_file(
    path: Path,
    run: _Run,
    handle: Callable[[_Batch], None],
    done_before: int,
    total: int,
    progress: Progress,
    cancel: CancelToken,
) -> None:
    run.uids.clear()  # a UID twice in one file is an error; the same card in two files is an update
    try:
        stream = path.open("rb")
    except OSError as e:
        run.report.add(ReportLine(path.name, 0, 0, Outcome.REJECTED, reason=f"cannot be read: {e.strerror}"))
        return
    with stream:
        cards = _cards(path, stream, run)
        while True:
            cancel.check()
            batch = list(itertools.islice(cards, BATCH))
            if not batch:
                return
            handle(_Batch(path.name, batch))
            with contextlib.suppress(OSError, ValueError):
                progress(done_before + stream.tell(), total, path.name)


def _cards(path: Path, stream: BinaryIO, run: _Run) -> Iterator[CardResult]:
    try:
        yield from read_file(stream, path, region=run.region)
    except UnreadableFile as e:
        run.report.add(ReportLine(path.name, 0, 0, Outcome.REJECTED, reason=str(e)))


def _import_batch(s: Session, run: _Run, batch: _Batch) -> None:
    """Match, merge and write one batch of cards in the caller's transaction."""
    report, file_name = run.report, batch.file_name
    start = len(report)
    people_in: list[tuple[CardResult, PersonRecord]] = []
    for card in batch.cards:
        if card.error:
            report.add(
                ReportLine(
                    file_name,
                    card.number,
                    card.line,
                    Outcome.REJECTED,
                    name=card.name,
                    reason=card.error,
                    warnings=card.warnings,
                )
            )
            continue
        if card.company is not None:
            _import_company(s, run, file_name, card, card.company)
            continue
        assert card.person is not None
        uid = card.person.vcard_uid
        if uid:
            where = f"{file_name}, card {card.number} (line {card.line})"
            first = run.uids.setdefault(uid, where)
            if first != where:
                report.add(
                    ReportLine(
                        file_name,
                        card.number,
                        card.line,
                        Outcome.REJECTED,
                        name=card.person.display_name,
                        reason=f"its UID {uid!r} was already used by card {first.split(', card ', 1)[1]}",
                        warnings=card.warnings,
                    )
                )
                continue
        people_in.append((card, card.person))
    if people_in:
        _import_people(s, run, file_name, people_in)
    report.sort_from(start)  # in file order


def _import_people(s: Session, run: _Run, file_name: str, cards: list[tuple[CardResult, PersonRecord]]) -> None:
    report, region = run.report, run.region
    matches = _match_people(s, [p for _, p in cards])
    stored = {p.id: p for p in people.get_many(s, sorted(set(matches.values())))}
    new = _NewPeople()  # people this batch creates
    for i, (card, incoming) in enumerate(cards):
        target_id = matches.get(i) or new.match(incoming)
        try:
            if target_id is None:  # the codecs return people that passed validate.check_person: not twice
                new.add(card, incoming)
                continue
            if target_id in new.items:  # a second card for someone this batch creates: one person, updated
                merged = validate.check_person(merge_person(new.items[target_id][1], incoming), region=region)
                new.replace(merged)
                report.add(_line(file_name, card, Outcome.UPDATED, merged))
                continue
            before = stored[target_id]
            merged = validate.check_person(merge_person(before, incoming), region=region)
            if content_hash(merged) == content_hash(before):
                report.add(_line(file_name, card, Outcome.UNCHANGED, before))
                continue
            after, change = people.update(s, _link_companies(s, run, [merged])[0], region=region)
            stored[target_id] = after
            report.undo.people_before.append(before)
            report.undo.people_after.append(after)
            report.changes.append(change)
            report.add(_line(file_name, card, Outcome.UPDATED, after))
        except ValidationError as e:
            report.add(_rejected(file_name, card, incoming, e))
    if not new.items:
        return
    linked = _link_companies(s, run, [rec for _, rec in new.items.values()])
    report.changes.append(people.bulk_insert(s, linked, region=region, checked=True))
    report.undo.created_people.extend(r.id for r in linked)
    for (card, _), rec in zip(new.items.values(), linked, strict=True):
        report.add(_line(file_name, card, Outcome.CREATED, rec))


def _line(file_name: str, card: CardResult, outcome: Outcome, rec: PersonRecord | CompanyRecord) -> ReportLine:
    entity = Entity.PERSON if isinstance(rec, PersonRecord) else Entity.COMPANY
    name = rec.display_name if isinstance(rec, PersonRecord) else rec.name
    return ReportLine(file_name, card.number, card.line, outcome, entity, name, rec.id, warnings=card.warnings)


def _rejected(file_name: str, card: CardResult, rec: PersonRecord | CompanyRecord, e: UserError) -> ReportLine:
    name = rec.display_name if isinstance(rec, PersonRecord) else rec.name
    reason = "; ".join(e.problems.values()) if isinstance(e, ValidationError) else str(e)
    return ReportLine(
        file_name, card.number, card.line, Outcome.REJECTED, name=name, reason=reason, warnings=card.warnings
    )


# ---- matching ------------------------------------------------------------------------------------------------


def _name_key(p: PersonRecord) -> tuple[str, str]:
    return common.fold(p.first_name), common.fold(p.last_name)


def _emails(p: PersonRecord) -> set[str]:
    return {e.address.casefold() for c in p.cards for e in c.emails}


def _phones(p: PersonRecord) -> set[str]:
    return {ph.number for c in p.cards for ph in c.phones}


def _same_uid_or_none(uid: str, stored_uid: str) -> bool:
    """Whether e-mail or phone plus name may match: not when both carry UIDs from elsewhere that differ (the
    address book they came from holds them as two contacts)."""
    return not uid or not stored_uid or uid == stored_uid


def _match_people(s: Session, incoming: Sequence[PersonRecord]) -> dict[int, str]:
    """Index in `incoming` → id of the live stored person it is: by UID, else by name plus an e-mail address or
    a phone number they share."""
    found: dict[int, str] = {}
    uids = {p.vcard_uid for p in incoming if p.vcard_uid}
    by_uid: dict[str, str] = {}
    for chunk in _chunks(sorted(uids), 400):
        rows = s.execute(
            select(Person.id, Person.vcard_uid).where(
                Person.deleted_at.is_(None), (Person.vcard_uid.in_(chunk)) | (Person.id.in_(chunk))
            )
        )
        for pid, vuid in rows:
            by_uid.setdefault(vuid or pid, pid)
            if pid in uids:
                by_uid[pid] = pid
    rest = [p for p in incoming if p.vcard_uid not in by_uid]
    # Values as normalised (an e-mail's domain lower-cased, a phone in E.164): the indexes find them exactly.
    candidates: dict[str, list[tuple[str, str, str, str]]] = {}  # value → (id, folded first, folded last, UID)
    for model, column, values in (
        (EmailAddress, EmailAddress.address, sorted({e.address for p in rest for c in p.cards for e in c.emails})),
        (PhoneNumber, PhoneNumber.number, sorted({ph.number for p in rest for c in p.cards for ph in c.phones})),
    ):
        for chunk in _chunks(values, 400):
            hits = s.execute(
                select(column, Person.id, Person.first_name, Person.last_name, Person.vcard_uid)
                .join(BusinessCard, BusinessCard.id == model.card_id)
                .join(Person, Person.id == BusinessCard.person_id)
                .where(column.in_(chunk), BusinessCard.deleted_at.is_(None), Person.deleted_at.is_(None))
            )
            for value, pid, first, last, vuid in hits:
                candidates.setdefault(value, []).append((pid, common.fold(first), common.fold(last), vuid))
    for i, p in enumerate(incoming):
        if p.vcard_uid and p.vcard_uid in by_uid:
            found[i] = by_uid[p.vcard_uid]
            continue
        key = _name_key(p)
        values = sorted(e.address for c in p.cards for e in c.emails) + sorted(_phones(p))
        for value in values:
            hit = next(
                (
                    pid
                    for pid, first, last, vuid in candidates.get(value, ())
                    if (first, last) == key and _same_uid_or_none(p.vcard_uid, vuid)
                ),
                None,
            )
            if hit is not None:
                found[i] = hit
                break
    return found


class _NewPeople:
    """The people a batch is creating, found again by UID or by name and e-mail or phone (no pairwise scan)."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[CardResult, PersonRecord]] = {}
        self._keys: dict[tuple[str, ...], list[str]] = {}

    def _keys_of(self, p: PersonRecord) -> list[tuple[str, ...]]:
        first, last = _name_key(p)
        keys: list[tuple[str, ...]] = [("e", first, last, a) for a in _emails(p)]
        return keys + [("p", first, last, n) for n in _phones(p)]

    def add(self, card: CardResult, rec: PersonRecord) -> None:
        self.items[rec.id] = (card, rec)
        if rec.vcard_uid:
            self._keys.setdefault(("u", rec.vcard_uid), []).append(rec.id)
        for key in self._keys_of(rec):
            self._keys.setdefault(key, []).append(rec.id)

    def replace(self, rec: PersonRecord) -> None:
        card, _ = self.items[rec.id]
        self.add(card, rec)  # new e-mails and phones become keys too; the old keys still lead here

    def match(self, incoming: PersonRecord) -> str | None:
        if incoming.vcard_uid and (hit := self._keys.get(("u", incoming.vcard_uid))):
            return hit[0]
        for key in self._keys_of(incoming):
            for pid in self._keys.get(key, ()):
                if _same_uid_or_none(incoming.vcard_uid, self.items[pid][1].vcard_uid):
                    return pid
        return None


def _chunks(items: Sequence[str], n: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# ---- companies ---------------------------------------------------------------------------------------------


def _link_companies(s: Session, run: _Run, recs: list[PersonRecord]) -> list[PersonRecord]:
    """`recs` with every work card linked to the company of its name, created where none has it yet.

    Names are resolved for the whole batch in one query and remembered for the run; the missing companies are
    created with one bulk insert and reported for undo.
    """
    wanted = {c.company_name for r in recs for c in r.cards if c.company_name and not c.company_id and not c.private}
    unknown = wanted - run.company_ids.keys()
    if unknown:
        run.company_ids.update(companies.ids_by_names(s, unknown))
        by_key: dict[str, CompanyRecord] = {}  # "ACME" and "Acme" in one batch are one new company
        for name in sorted(unknown - run.company_ids.keys()):
            company = by_key.setdefault(
                common.fold(name), validate.check_company(CompanyRecord(name=name), region=run.region)
            )
            run.company_ids[name] = (company.id, company.name)
        if by_key:
            created = list(by_key.values())
            run.report.changes.append(companies.bulk_insert(s, created, region=run.region, checked=True))
            run.report.undo.created_companies.extend(c.id for c in created)
    out = []
    for rec in recs:
        cards = tuple(
            dataclasses.replace(
                c, company_id=run.company_ids[c.company_name][0], company_name=run.company_ids[c.company_name][1]
            )
            if c.company_name and not c.company_id and not c.private
            else c
            for c in rec.cards
        )
        out.append(rec.replace(cards=cards))
    return out


def _import_company(s: Session, run: _Run, file_name: str, card: CardResult, incoming: CompanyRecord) -> None:
    report = run.report
    try:
        found = companies.find_by_name(s, incoming.name)
        if found is None:
            rec, change = companies.create(s, incoming, region=run.region)
            run.company_ids[incoming.name] = (rec.id, rec.name)
            report.undo.created_companies.append(rec.id)
            report.changes.append(change)
            report.add(_line(file_name, card, Outcome.CREATED, rec))
            return
        before = companies.get(s, found)
        merged = validate.check_company(merge_company(before, incoming), region=run.region)
        if content_hash(merged) == content_hash(before):
            report.add(_line(file_name, card, Outcome.UNCHANGED, before))
            return
        after, change = companies.update(s, merged, region=run.region)
        report.undo.companies_before.append(before)
        report.undo.companies_after.append(after)
        report.changes.append(change)
        report.add(_line(file_name, card, Outcome.UPDATED, after))
    except ValidationError as e:
        report.add(_rejected(file_name, card, incoming, e))


# ---- merging -----------------------------------------------------------------------------------------------


_T = TypeVar("_T", Email, Phone, Address, str)
_R = TypeVar("_R", PersonRecord, CompanyRecord)


def _union(old: Iterable[_T], new: Iterable[_T]) -> tuple[_T, ...]:
    """`old` and then the items of `new` it does not have yet; an added item is no favourite where `old` had items."""
    out = list(old)
    keys = {_key(x) for x in out}
    for x in new:
        k = _key(x)
        if k in keys:
            continue
        keys.add(k)
        if out and not isinstance(x, str) and x.favourite:
            x = dataclasses.replace(x, favourite=False)
        out.append(x)
    return tuple(out)


def _key(x: object) -> object:
    if isinstance(x, Email):
        return ("e", x.address.casefold())
    if isinstance(x, Phone):
        return ("p", x.number)
    if isinstance(x, Address):
        return ("a", common.fold(x.street), common.fold(x.postcode), common.fold(x.city), x.country.upper())
    if isinstance(x, str):
        return x.casefold()
    return x


def _card_key(c: BusinessCardRecord) -> tuple[bool, str]:
    return c.private, common.fold(c.company_name) if c.company_name else ""


def merge_person(stored: PersonRecord, card: PersonRecord) -> PersonRecord:
    """`stored` updated from an imported `card`: the card's values win where it has them, nothing is taken away.

    Names, birthday, notes, photo, gender, UID and the extra vCard lines come from the card when it has them;
    tags, URLs and custom fields are joined; each of the card's business cards goes onto the stored card at the
    same company (or private), its position and department replacing the stored ones, its e-mails, phones and
    addresses added to them; a business card at a new company is added.
    """

    def pick(name: str) -> object:
        value = getattr(card, name)
        return value if value not in ("", None, ()) else getattr(stored, name)

    scalar = (
        "salutation", "title", "first_name", "middle_name", "last_name", "suffix", "gender", "birthday", "notes",
        "lifecycle", "photo", "vcard_uid", "vcard_extra",
    )  # fmt: skip
    cards = list(stored.cards)
    for incoming in card.cards:
        at = next((i for i, c in enumerate(cards) if _card_key(c) == _card_key(incoming)), None)
        if at is None:
            cards.append(dataclasses.replace(incoming, favourite=False) if cards else incoming)
            continue
        old = cards[at]
        cards[at] = dataclasses.replace(
            old,
            position=incoming.position or old.position,
            department=incoming.department or old.department,
            emails=_union(old.emails, incoming.emails),
            phones=_union(old.phones, incoming.phones),
            addresses=_union(old.addresses, incoming.addresses),
        )
    custom = dict(stored.custom)
    custom.update(card.custom)
    return stored.replace(
        **{name: pick(name) for name in scalar},
        tags=_union(stored.tags, card.tags),
        urls=_union(stored.urls, card.urls),
        custom=tuple(custom.items()),
        cards=tuple(cards),
    )


def merge_company(stored: CompanyRecord, card: CompanyRecord) -> CompanyRecord:
    """`stored` updated from an imported company card, on the same terms as `merge_person`."""

    def pick(name: str) -> object:
        value = getattr(card, name)
        return value if value not in ("", None) else getattr(stored, name)

    return stored.replace(
        **{name: pick(name) for name in ("legal_form", "industry", "website", "notes", "logo")},
        tags=_union(stored.tags, card.tags),
        emails=_union(stored.emails, card.emails),
        phones=_union(stored.phones, card.phones),
        addresses=_union(stored.addresses, card.addresses),
    )


# ---- undo ----------------------------------------------------------------------------------------------------


def _first_by_id(records: Iterable[_R]) -> list[_R]:
    """The first record of each id: how it was before an import that changed it more than once."""
    seen: dict[str, _R] = {}
    for rec in records:
        seen.setdefault(rec.id, rec)
    return list(seen.values())


def _last_by_id(records: Iterable[_R]) -> list[_R]:
    """The last record of each id: how an import left it."""
    seen: dict[str, _R] = {}
    for rec in records:
        seen[rec.id] = rec
    return list(seen.values())


def undo_import(s: Session, undo: ImportUndo, *, region: str = "DE") -> list[ChangeSet]:
    """Take an import back: tombstone what it created, put back what it changed as it was before the import."""
    changes = []
    created_people, created_companies = set(undo.created_people), set(undo.created_companies)
    for rec in _first_by_id(undo.people_before):
        if rec.id not in created_people:  # updated by a later card of the same import: it goes altogether
            changes.append(people.update(s, rec, region=region)[1])
    if undo.created_people:
        changes.append(people.delete_many(s, undo.created_people))
    for company in _first_by_id(undo.companies_before):
        if company.id not in created_companies:
            changes.append(companies.update(s, company, region=region)[1])
    if undo.created_companies:
        changes.append(companies.delete_many(s, undo.created_companies))
    return changes


def redo_import(s: Session, undo: ImportUndo, *, region: str = "DE") -> list[ChangeSet]:
    """Do an undone import again: restore what it had created, then bring what it changed to how it left it."""
    changes = []
    if undo.created_companies:
        changes.append(companies.restore_many(s, undo.created_companies))
    for company in _last_by_id(undo.companies_after):
        changes.append(companies.update(s, company, region=region)[1])
    if undo.created_people:
        changes.append(people.restore_many(s, undo.created_people))
    for rec in _last_by_id(undo.people_after):
        changes.append(people.update(s, rec, region=region)[1])
    return changes
