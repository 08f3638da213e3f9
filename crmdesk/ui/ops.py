"""One small factory per user action, each returning a Job that runs service code off the GUI thread (P2).

Write jobs return a `Written` (the stored record, if any, and the ChangeSet to publish); read jobs return
what the view shows. Callers connect the job's signals to @Slot methods and hand it to the JobRunner:
`runner.write(job)` for writes, `runner.read(job)` for reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord
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


def _module(entity: Entity) -> Any:
    return {Entity.PERSON: people, Entity.COMPANY: companies, Entity.TOUCHPOINT: touchpoints}[entity]
