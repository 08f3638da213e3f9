"""One small factory per user action, each returning a Job that runs service code off the GUI thread (P2).

Write jobs return a `Written` (the stored record, if any, and the ChangeSet to publish); read jobs return
what the view shows. Callers connect the job's signals to @Slot methods and hand it to the JobRunner:
`runner.write(job)` for writes, `runner.read(job)` for reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord
from crmdesk.exchange import exporter, importer
from crmdesk.store import common, companies, details, people, touchpoints
from crmdesk.store import listing as listing_store
from crmdesk.tasks import CancelToken, Progress
from crmdesk.ui.workers import Job

Record = PersonRecord | CompanyRecord | TouchpointRecord


@dataclass(frozen=True, slots=True)
class Written:
    """The result of a write job: the stored record (None for deletes) and what changed."""

    record: Record | None
    changes: tuple[ChangeSet, ...]


def save(ctx: Context, record: Record, *, new: bool) -> Job:
    """Create (`new`) or update a person, company or touchpoint."""

    def work(progress: Progress, cancel: CancelToken) -> Written:
        with ctx.store.write() as s:
            stored: Record
            if isinstance(record, PersonRecord):
                stored, change = (people.create if new else people.update)(s, record, region=ctx.region)
            elif isinstance(record, CompanyRecord):
                stored, change = (companies.create if new else companies.update)(s, record, region=ctx.region)
            else:
                stored, change = (touchpoints.create if new else touchpoints.update)(s, record)
        return Written(stored, (change,))

    return Job(work, name="save")


def delete(ctx: Context, entity: Entity, ids: Sequence[str]) -> Job:
    """Delete (tombstone) records of one kind."""
    ids = list(ids)

    def work(progress: Progress, cancel: CancelToken) -> Written:
        with ctx.store.write() as s:
            change = _module(entity).delete_many(s, ids)
        return Written(None, (change,))

    return Job(work, name="delete")


def restore(ctx: Context, entity: Entity, ids: Sequence[str]) -> Job:
    """Bring deleted records back (undo of a delete, redo of a create)."""
    ids = list(ids)

    def work(progress: Progress, cancel: CancelToken) -> Written:
        with ctx.store.write() as s:
            change = _module(entity).restore_many(s, ids)
        return Written(None, (change,))

    return Job(work, name="restore")


def load(ctx: Context, entity: Entity, record_id: str) -> Job:
    """Read one record with what its pane shows: PersonDetail, CompanyDetail or TouchpointDetail."""

    def work(progress: Progress, cancel: CancelToken) -> Any:
        with ctx.store.read() as s:
            if entity is Entity.PERSON:
                return details.person_detail(s, record_id)
            if entity is Entity.COMPANY:
                return details.company_detail(s, record_id)
            return details.touchpoint_detail(s, record_id)

    return Job(work, name="load")


def load_records(ctx: Context, entity: Entity, ids: Sequence[str]) -> Job:
    """Read full records (for editing or undo)."""
    ids = list(ids)

    def work(progress: Progress, cancel: CancelToken) -> list[Record]:
        with ctx.store.read() as s:
            return list(_module(entity).get_many(s, ids))

    return Job(work, name="load records")


def tag_names(ctx: Context, entity: Entity) -> Job:
    """Tags that records of this kind carry (for the tag filter)."""

    def work(progress: Progress, cancel: CancelToken) -> tuple[Entity, list[str]]:
        with ctx.store.read() as s:
            return entity, listing_store.tag_names_in_use(s, entity)

    return Job(work, name="tags")


def all_tag_names(ctx: Context) -> Job:
    """Every tag name (for completion in editors)."""

    def work(progress: Progress, cancel: CancelToken) -> list[str]:
        with ctx.store.read() as s:
            return common.all_tag_names(s)

    return Job(work, name="all tags")


def company_names(ctx: Context, prefix: str = "", *, limit: int = 50) -> Job:
    """(id, name) of companies whose name starts with `prefix` (for the company field of editors)."""

    def work(progress: Progress, cancel: CancelToken) -> tuple[str, list[tuple[str, str]]]:
        with ctx.store.read() as s:
            return prefix, companies.names(s, prefix, limit=limit)

    return Job(work, name="company names")


# ---- interchange (issue 3 item 4) ---------------------------------------------------------------------------


def merge_changes(changes: Iterable[ChangeSet]) -> tuple[ChangeSet, ...]:
    """One ChangeSet per entity and kind, in the order they first appear.

    An import reports one ChangeSet per batch and one per updated record; the views need to hear of each kind of
    change once (a model reloads once for 3,000 created people instead of 3,000 times).
    """
    merged: dict[tuple[Entity, Kind], tuple[set[str], set[Entity]]] = {}
    for change in changes:
        ids, related = merged.setdefault((change.entity, change.kind), (set(), set()))
        ids.update(change.ids)
        related.update(change.related)
    return tuple(ChangeSet.of(entity, kind, ids, related=related) for (entity, kind), (ids, related) in merged.items())


def import_files(ctx: Context, files: Sequence[Path], *, dry_run: bool) -> Job:
    """Import (or preview, with `dry_run`) vCard and CSV files; the job returns the `importer.ImportReport`.

    Runs on the writer pool either way: the preview is the real import in a transaction that is rolled back.
    """
    files = list(files)

    def work(progress: Progress, cancel: CancelToken) -> importer.ImportReport:
        return importer.run_import(
            ctx.store, files, region=ctx.region, dry_run=dry_run, progress=progress, cancel=cancel
        )

    return Job(work, name="import preview" if dry_run else "import")


def undo_import(ctx: Context, undo: importer.ImportUndo) -> Job:
    """Take a whole import back (Ctrl+Z after an import)."""

    def work(progress: Progress, cancel: CancelToken) -> Written:
        with ctx.store.write() as s:
            changes = importer.undo_import(s, undo, region=ctx.region)
        return Written(None, merge_changes(changes))

    return Job(work, name="undo import")


def redo_import(ctx: Context, undo: importer.ImportUndo) -> Job:
    """Do an undone import again."""

    def work(progress: Progress, cancel: CancelToken) -> Written:
        with ctx.store.write() as s:
            changes = importer.redo_import(s, undo, region=ctx.region)
        return Written(None, merge_changes(changes))

    return Job(work, name="redo import")


def count_people(ctx: Context, selections: Sequence[exporter.Selection]) -> Job:
    """How many people each selection names (the export dialog's choices); returns a list of ints."""
    selections = list(selections)

    def work(progress: Progress, cancel: CancelToken) -> list[int]:
        counts = []
        for selection in selections:
            cancel.check()
            counts.append(exporter.count(ctx.store, selection))
        return counts

    return Job(work, name="count people")


def export_people(
    ctx: Context, selection: exporter.Selection, target: Path, *, fmt: exporter.Format, split: bool
) -> Job:
    """Write people to a file (or one file per person into a folder); returns the `exporter.ExportReport`.

    A read job: it reads the store and writes only the user's file.
    """

    def work(progress: Progress, cancel: CancelToken) -> exporter.ExportReport:
        return exporter.run_export(ctx.store, selection, target, fmt=fmt, split=split, progress=progress, cancel=cancel)

    return Job(work, name="export")


def export_business_card(person: PersonRecord, target: Path) -> Job:
    """Write a person's favourite business card as one vCard; returns (the person's name, the file)."""

    def work(progress: Progress, cancel: CancelToken) -> tuple[str, Path]:
        exporter.export_business_card(person, target)
        return person.display_name, target

    return Job(work, name="export business card")


def _module(entity: Entity) -> Any:
    return {Entity.PERSON: people, Entity.COMPANY: companies, Entity.TOUCHPOINT: touchpoints}[entity]
