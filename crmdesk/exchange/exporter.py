"""Export runs: people from the store to vCard (3.0 or 4.0) or CSV files, streamed page by page (DESIGN §8).

Which people: given ids (a selection), a table query (a search result, a tag), or everyone. They are read in
keyset pages of `PAGE` and written as they come, so an export of 100,000 people holds one page in memory. A
single file is written to a temporary file beside the target and renamed over it at the end: a cancelled or
failed export never leaves half a file where the user expects a whole one.
"""

from __future__ import annotations

import contextlib
import enum
import io
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import UserError
from crmdesk.exchange import csv as csv_codec
from crmdesk.exchange import vcard
from crmdesk.store import listing, people
from crmdesk.store.engine import Store
from crmdesk.tasks import CancelToken, Progress, no_progress

PAGE = 200


class Format(enum.StrEnum):
    VCARD3 = "vcard3"
    VCARD4 = "vcard4"
    GOOGLE_CSV = "google-csv"
    OUTLOOK_CSV = "outlook-csv"

    @property
    def suffix(self) -> str:
        return ".csv" if self in (Format.GOOGLE_CSV, Format.OUTLOOK_CSV) else ".vcf"

    @property
    def vcard_version(self) -> str:
        return "4.0" if self is Format.VCARD4 else "3.0"


@dataclass(frozen=True, slots=True)
class Selection:
    """Whom to export: these ids (in this order), or the records a table query matches (its order)."""

    ids: tuple[str, ...] | None = None
    query: listing.ListQuery = field(default_factory=lambda: listing.ListQuery(Entity.PERSON))


@dataclass
class ExportReport:
    people: int = 0
    files: list[str] = field(default_factory=list)
    cancelled: bool = False

    def summary(self) -> str:
        noun = "person" if self.people == 1 else "people"
        where = self.files[0] if len(self.files) == 1 else f"{len(self.files):,} files"
        return f"{self.people:,} {noun} exported to {where}"


def count(store: Store, selection: Selection) -> int:
    if selection.ids is not None:
        return len(selection.ids)
    with store.read() as s:
        return listing.count(s, selection.query)


def iter_people(store: Store, selection: Selection, cancel: CancelToken | None = None) -> Iterator[PersonRecord]:
    """The selected people, one read transaction per page."""
    cancel = cancel or CancelToken()
    if selection.ids is not None:
        ids = list(selection.ids)
        for i in range(0, len(ids), PAGE):
            cancel.check()
            with store.read() as s:
                yield from people.get_many(s, ids[i : i + PAGE])
        return
    after = None
    while True:
        cancel.check()
        with store.read() as s:
            rows = listing.page(s, selection.query, after=after, limit=PAGE)
            records = people.get_many(s, [r.id for r in rows])
        yield from records
        if len(rows) < PAGE:
            return
        after = rows[-1].key


def run_export(
    store: Store,
    selection: Selection,
    target: Path,
    *,
    fmt: Format = Format.VCARD3,
    split: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> ExportReport:
    """Write the selected people to `target`: one file, or (with `split`, vCard only) one file per person in the
    folder `target` (created if need be; existing files are never overwritten: names get " (2)")."""
    cancel = cancel or CancelToken()
    total = count(store, selection)
    report = ExportReport()
    if split:
        if fmt not in (Format.VCARD3, Format.VCARD4):
            raise UserError("One file per person is only for vCards; a CSV export is always one file.")
        _split(store, selection, target, fmt, total, report, progress, cancel)
        return report
    try:
        with _atomic(target) as out:
            if fmt in (Format.GOOGLE_CSV, Format.OUTLOOK_CSV):
                layout = csv_codec.Layout.GOOGLE if fmt is Format.GOOGLE_CSV else csv_codec.Layout.OUTLOOK
                report.people = csv_codec.write_rows(
                    _counted(iter_people(store, selection, cancel), total, progress), out, layout=layout
                )
            else:
                for person in _counted(iter_people(store, selection, cancel), total, progress):
                    out.write(vcard.write_card(person, version=fmt.vcard_version))
                    report.people += 1
    except OSError as e:
        raise UserError(f"Cannot write {target}: {e.strerror}.", hints=("Choose another file or folder.",)) from e
    report.files.append(str(target))
    progress(total, total, "")
    return report


def _counted(records: Iterator[PersonRecord], total: int, progress: Progress) -> Iterator[PersonRecord]:
    for i, rec in enumerate(records, 1):
        yield rec
        if i % 50 == 0 or i == total:
            progress(i, total, rec.display_name)


def _split(
    store: Store,
    selection: Selection,
    folder: Path,
    fmt: Format,
    total: int,
    report: ExportReport,
    progress: Progress,
    cancel: CancelToken,
) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        taken = {p.name for p in folder.iterdir()}
    except OSError as e:
        raise UserError(f"Cannot write to the folder {folder}: {e.strerror}.") from e
    for person in _counted(iter_people(store, selection, cancel), total, progress):
        name = vcard.safe_file_name(person, taken)
        path = folder / name
        try:
            with path.open("x", encoding="utf-8", newline="") as out:
                out.write(vcard.write_card(person, version=fmt.vcard_version))
        except OSError as e:
            raise UserError(f"Cannot write {path}: {e.strerror}.") from e
        report.files.append(str(path))
        report.people += 1
    progress(total, total, "")


def export_business_card(person: PersonRecord, target: Path, *, version: str = "3.0") -> None:
    """Write the person's favourite business card as one vCard to `target`."""
    try:
        with _atomic(target) as out:
            out.write(vcard.write_business_card(person, version=version))
    except OSError as e:
        raise UserError(f"Cannot write {target}: {e.strerror}.", hints=("Choose another file or folder.",)) from e


def vcard_bytes(records: Sequence[PersonRecord], *, version: str = "3.0") -> bytes:
    """The people as one vCard file's bytes (drag and drop of a few people; small by nature)."""
    buf = io.StringIO(newline="")
    for rec in records:
        buf.write(vcard.write_card(rec, version=version))
    return buf.getvalue().encode("utf-8")


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[io.TextIOWrapper]:
    """A text file that appears at `target` only when the block ends without an exception."""
    target = target.expanduser()
    # Not mkstemp: its files are private (0600); an export gets the mode any new file of the user gets (umask).
    tmp = (target.parent or Path(".")) / f".{target.name}.{secrets.token_hex(4)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
