"""Undo and redo of creates, edits, deletes and imports: QUndoCommands whose redo()/undo() submit ops jobs (DESIGN §5).

A command never writes on the GUI thread: redo() and undo() hand an `ops` job to the runner's writer pool, which
runs writes one at a time in the order they were submitted, so a quick Ctrl+Z after a save undoes the save. The
`EditHistory` receives every job's result in its own @Slot methods (STYLE §2.5), publishes the ChangeSets to the
ChangeHub, and drops a command whose write failed so the stack never offers to undo what did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack

from crmdesk.context import Context
from crmdesk.domain.records import CompanyRecord, Entity, PersonRecord, TouchpointRecord
from crmdesk.errors import Cancelled
from crmdesk.exchange.importer import ImportReport, ImportUndo, Outcome
from crmdesk.ui import ops
from crmdesk.ui.icons import icon
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.workers import Job, JobRunner, JobSignals

log = logging.getLogger(__name__)

__all__ = ["EditHistory", "import_label", "record_label"]

Record = PersonRecord | CompanyRecord | TouchpointRecord

_PLURAL = {Entity.PERSON: "people", Entity.COMPANY: "companies", Entity.TOUCHPOINT: "touchpoints"}
_SINGULAR = {Entity.PERSON: "person", Entity.COMPANY: "company", Entity.TOUCHPOINT: "touchpoint"}


def entity_of(record: Record) -> Entity:
    if isinstance(record, PersonRecord):
        return Entity.PERSON
    if isinstance(record, CompanyRecord):
        return Entity.COMPANY
    return Entity.TOUCHPOINT


def record_label(record: Record) -> str:
    """How a command names a record: "Ines Brandt", "Brandt Maschinenbau GmbH", "Follow-up on quote"."""
    if isinstance(record, PersonRecord):
        label = record.display_name
    elif isinstance(record, CompanyRecord):
        label = record.name
    else:
        label = record.subject
    return label or f"unnamed {_SINGULAR[entity_of(record)]}"


class _Command(QUndoCommand):
    """A command whose steps are jobs; `dead` once a job of it failed (it then does nothing any more)."""

    def __init__(self, history: EditHistory, text: str) -> None:
        super().__init__(text)
        self._history = history
        self.label = text  # kept in Python: the C++ command is gone once the stack dropped it
        self.dead = False

    def _submit(self, job: Job, step: str) -> None:
        if not self.dead:
            self._history._submit(self, job, step)

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class _CreateCommand(_Command):
    def __init__(self, history: EditHistory, record: Record) -> None:
        super().__init__(history, f"Add {record_label(record)}")
        self._record = record
        self._entity = entity_of(record)
        self._stored = False

    def redo(self) -> None:
        if not self._stored:  # the first time: create; after an undo: bring the tombstoned record back
            self._stored = True
            self._submit(ops.save(self._history.ctx, self._record, new=True), "create")
        else:
            self._submit(ops.restore(self._history.ctx, self._entity, [self._record.id]), "restore")

    def undo(self) -> None:
        self._submit(ops.delete(self._history.ctx, self._entity, [self._record.id]), "delete")


class _EditCommand(_Command):
    def __init__(self, history: EditHistory, old: Record, new: Record) -> None:
        super().__init__(history, f"Edit {record_label(new)}")
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._submit(ops.save(self._history.ctx, self._new, new=False), "save")

    def undo(self) -> None:
        self._submit(ops.save(self._history.ctx, self._old, new=False), "save old")


class _DeleteCommand(_Command):
    def __init__(self, history: EditHistory, entity: Entity, records: Sequence[Record]) -> None:
        label = record_label(records[0]) if len(records) == 1 else f"{len(records)} {_PLURAL[entity]}"
        super().__init__(history, f"Delete {label}")
        self._entity = entity
        self._ids = [r.id for r in records]

    def redo(self) -> None:
        self._submit(ops.delete(self._history.ctx, self._entity, self._ids), "delete")

    def undo(self) -> None:
        self._submit(ops.restore(self._history.ctx, self._entity, self._ids), "restore")


def import_label(report: ImportReport) -> str:
    """How the undo stack names an import: "Import 12 people", "Import 1 person", "Import 2 companies".

    People created or updated count; an import that changed only companies names those.
    """
    changed = (Outcome.CREATED, Outcome.UPDATED)
    touched = {line.record_id for line in report.lines if line.outcome in changed and line.entity is Entity.PERSON}
    n = len(touched)
    if n == 0:
        companies = len(set(report.undo.created_companies)) + len({c.id for c in report.undo.companies_before})
        if companies:
            return f"Import {companies} {'company' if companies == 1 else 'companies'}"
    return f"Import {n} {'person' if n == 1 else 'people'}"


class _ImportCommand(_Command):
    """A finished import as one step: undo takes it all back, redo does it again (both in writer jobs)."""

    def __init__(self, history: EditHistory, report: ImportReport) -> None:
        super().__init__(history, import_label(report))
        self._undo: ImportUndo = report.undo
        self._done = True  # the import job itself did the first redo

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._submit(ops.redo_import(self._history.ctx, self._undo), "redo import")

    def undo(self) -> None:
        self._submit(ops.undo_import(self._history.ctx, self._undo), "undo import")


class EditHistory(QObject):
    """The undo stack of record edits, and the bridge from write jobs to the ChangeHub.

    Args:
        ctx: The context the writes go to.
        runner: Runs the writes (`runner.write`, one at a time, in order).
        hub: Receives the ChangeSet of every finished write.
        parent: The owning QObject.

    Signals:
        saved(ops.Written): a write finished; its changes were published.
        failed(Exception): a write failed; its command was taken off the stack.
        busy_changed(bool): writes started running (True) or all finished (False).
    """

    saved = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, ctx: Context, runner: JobRunner, hub: ChangeHub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._runner = runner
        self._hub = hub
        self.stack = QUndoStack(self)
        self._pending: dict[JobSignals, tuple[_Command, str]] = {}

    # ---- the edits ------------------------------------------------------------------------------------------

    def create(self, record: Record) -> None:
        """Store a new record ("Add Ines Brandt")."""
        self.stack.push(_CreateCommand(self, record))

    def edit(self, old: Record, new: Record) -> None:
        """Replace `old` by `new`, the same record edited ("Edit Ines Brandt"); undo writes `old` back.

        Raises:
            ValueError: `new` has another id than `old`.
        """
        if old.id != new.id:
            raise ValueError("an edit keeps the record's id")
        if old == new:
            return  # nothing changed (stamps do not count): no write, no "Edit …" to undo
        self.stack.push(_EditCommand(self, old, new))

    def delete(self, entity: Entity, records: Sequence[Record]) -> None:
        """Delete (tombstone) records of one kind ("Delete Ines Brandt", "Delete 3 people")."""
        if records:
            self.stack.push(_DeleteCommand(self, entity, list(records)))

    def imported(self, report: ImportReport) -> None:
        """Put a finished import on the stack as one step ("Import 12 people"); its changes are already published
        by whoever ran it. An import that changed nothing adds no step."""
        if not report.dry_run and not report.undo.is_empty():
            self.stack.push(_ImportCommand(self, report))

    # ---- state ----------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Writes of this history are queued or running."""
        return bool(self._pending)

    @property
    def idle(self) -> bool:
        """No write of this history is queued or running (tests wait for this)."""
        return not self._pending

    def undo_action(self, parent: QObject) -> QAction:
        """An "Undo …" action with the platform's shortcut (Ctrl+Z) and icon, following the stack."""
        action = self.stack.createUndoAction(parent, "Undo")
        action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        action.setIcon(icon("undo"))
        return action

    def redo_action(self, parent: QObject) -> QAction:
        """A "Redo …" action with Ctrl+Shift+Z (and the platform's own redo keys) and icon."""
        action = self.stack.createRedoAction(parent, "Redo")
        keys = [QKeySequence("Ctrl+Shift+Z"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
        action.setShortcuts(list(dict.fromkeys(keys)))
        action.setIcon(icon("redo"))
        return action

    # ---- jobs -----------------------------------------------------------------------------------------------

    def _submit(self, command: _Command, job: Job, step: str) -> None:
        was_busy = self.busy
        self._pending[job.signals] = (command, step)
        job.signals.succeeded.connect(self._on_job_succeeded)
        job.signals.failed.connect(self._on_job_failed)
        job.signals.finished.connect(self._on_job_finished)
        self._runner.write(job)
        if not was_busy:
            self.busy_changed.emit(True)

    @Slot(object)
    def _on_job_succeeded(self, written: ops.Written) -> None:
        for change in written.changes:
            self._hub.publish(change)
        self.saved.emit(written)

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        entry = self._pending.get(cast(JobSignals, self.sender()))
        if entry is not None:
            command, step = entry
            log.info("%s (%s) failed: %s", command.label, step, exc)
            self._drop(command)
        if not isinstance(exc, Cancelled):
            self.failed.emit(exc)

    @Slot()
    def _on_job_finished(self) -> None:
        self._pending.pop(cast(JobSignals, self.sender()), None)
        if not self._pending:
            self.busy_changed.emit(False)

    def _drop(self, command: _Command) -> None:
        """Take a command whose write failed off the stack, so it is never undone or redone as if it had worked."""
        if command.dead:
            return
        command.dead = True
        index = next((i for i in range(self.stack.count()) if self.stack.command(i) is command), -1)
        if index < 0:
            return  # the stack has dropped it already (a new edit after undo clears the redo steps)
        command.setObsolete(True)
        # QUndoStack deletes an obsolete command instead of undoing or redoing it.
        if index == self.stack.index() - 1:
            self.stack.undo()
        elif index == self.stack.index():
            self.stack.redo()
        else:  # buried under later commands that may build on it: the stack can no longer be trusted
            self.stack.clear()
