"""Import and export in the window (issue 3 item 4): File ▸ Import…/Export…, drops, business cards.

`Exchange` is the one GUI-thread QObject that receives the results of the window's interchange jobs (STYLE §2.5):
it opens the import dialog, publishes what an import changed and puts it on the undo stack as one step, asks where
an export goes and runs it on the read pool with its progress in the status bar.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QWidget

from crmdesk.context import Context
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import Cancelled
from crmdesk.exchange.exporter import ExportReport
from crmdesk.exchange.importer import ImportReport
from crmdesk.store.listing import ListQuery
from crmdesk.ui import messages, ops, ops_sync
from crmdesk.ui.dialogs import files
from crmdesk.ui.dialogs.exports import ExportDialog
from crmdesk.ui.dialogs.imports import ImportDialog, Stage
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.undo import EditHistory
from crmdesk.ui.views.progress import StatusProgress
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["Exchange", "ExchangeHost"]

log = logging.getLogger(__name__)

STATUS_MS = 8000


class ExchangeHost(Protocol):
    """What `Exchange` needs of the window."""

    def dialog_parent(self) -> QWidget: ...

    def selected_people(self) -> list[tuple[str, str]]:
        """(id, display name) of the people selected in the People table, in table order."""
        ...

    def people_query(self) -> ListQuery: ...

    def show_status(self, text: str, ms: int) -> None: ...

    def reload_tables(self) -> None: ...

    def navigate_to(self, entity: Entity, record_id: str) -> None: ...


class Exchange(QObject):
    """Import, export and business cards for one window.

    Args:
        host: The window.
        ctx: The context.
        runner: Runs imports on the writer pool, exports on the read pool.
        hub: Receives what an import changed.
        history: Takes each finished import as one undo step.
        progress: The status-bar widget that shows a running export.
    """

    def __init__(
        self,
        host: ExchangeHost,
        ctx: Context,
        *,
        runner: JobRunner,
        hub: ChangeHub,
        history: EditHistory,
        progress: StatusProgress,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self._ctx = ctx
        self._runner = runner
        self._hub = hub
        self._history = history
        self.progress = progress
        self.import_dialog: ImportDialog | None = None
        self.last_dir = Path.home()
        self._card_job: Job | None = None

    # ---- import -------------------------------------------------------------------------------------------

    def choose_and_import(self) -> None:
        """File ▸ Import…: pick vCard/CSV files, then the import dialog."""
        chosen = files.open_contacts(self._host.dialog_parent(), self.last_dir)
        if chosen:
            self.last_dir = chosen[0].parent
            self.import_files(chosen)

    def import_files(self, paths: Sequence[Path]) -> ImportDialog | None:
        """Open the import dialog for these files (a drop, `crmdesk FILE`); one import at a time."""
        paths = [Path(p) for p in paths]
        if not paths:
            return None
        if self.import_dialog is not None and self.import_dialog.stage in (Stage.DONE, Stage.FAILED):
            self.import_dialog.close()  # a finished import's result makes way for the next import
            self.import_dialog = None
        if self.import_dialog is not None:
            self.import_dialog.raise_()
            self.import_dialog.activateWindow()
            self._host.show_status("Finish or close the import that is open first.", STATUS_MS)
            return None
        dialog = ImportDialog.ask(self._host.dialog_parent(), self._ctx, self._runner, paths)
        dialog.imported.connect(self._on_import_finished)
        dialog.import_failed.connect(self._on_import_failed)
        dialog.record_activated.connect(self._on_import_record_activated)
        dialog.finished.connect(self._on_import_dialog_finished)
        self.import_dialog = dialog
        return dialog

    @Slot(object)
    def _on_import_finished(self, report: ImportReport) -> None:
        for change in ops.merge_changes(report.changes):
            self._hub.publish(change)
        self._history.imported(report)
        what = Path(report.files[0]).name if len(report.files) == 1 else f"{len(report.files)} files"
        self._host.show_status(f"Imported {what}: {report.summary()}", STATUS_MS)

    @Slot(object)
    def _on_import_failed(self, exc: BaseException) -> None:
        self._host.reload_tables()  # the batches before the error are stored, and the report is lost with it

    @Slot(object, str)
    def _on_import_record_activated(self, entity: Entity, record_id: str) -> None:
        self._host.navigate_to(entity, record_id)

    @Slot(int)
    def _on_import_dialog_finished(self, result: int) -> None:
        if self.sender() is self.import_dialog:
            self.import_dialog = None
            self._host.dialog_parent().activateWindow()  # Ctrl+Z (undo the import) works at once

    # ---- export -------------------------------------------------------------------------------------------

    def _export_running(self) -> bool:
        if self.progress.job is None:
            return False
        self._host.show_status("An export is running: wait for it, or cancel it in the status bar.", STATUS_MS)
        return True

    def export_people(self, *, prefer_selected: bool = False) -> None:
        """File ▸ Export…: whom and how, where, then the export in a job (`prefer_selected`: the table's context
        menu, where the selected people are what the user points at)."""
        if self._export_running():
            return
        parent = self._host.dialog_parent()
        choice = ExportDialog.ask(
            parent,
            self._ctx,
            self._runner,
            selected=self._host.selected_people(),
            query=self._host.people_query(),
            prefer_selected=prefer_selected,
        )
        if choice is None:
            return
        target: Path | None
        if choice.split:
            target = files.choose_folder(parent, title="Export one vCard per person into", start=self.last_dir)
        else:
            suffix = ".vcf" if choice.is_vcard else ".csv"
            file_filter = "vCard (*.vcf *.vcard)" if choice.is_vcard else "CSV (*.csv)"
            target = files.save_file(
                parent,
                title=f"Export {choice.what}",
                suggested=self.last_dir / f"{choice.file_stem}{suffix}",
                file_filter=file_filter,
            )
        if target is None:
            return
        self.last_dir = target if choice.split else target.parent
        job = ops.export_people(self._ctx, choice.selection, target, fmt=choice.fmt, split=choice.split)
        job.signals.succeeded.connect(self._on_export_done)
        job.signals.failed.connect(self._on_export_failed)
        self.progress.track(job, f"Exporting {choice.what}…")
        self._runner.read(job)

    @Slot(object)
    def _on_export_done(self, report: ExportReport) -> None:
        self._host.show_status(report.summary(), STATUS_MS)

    @Slot(object)
    def _on_export_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self._host.show_status("Export cancelled.", STATUS_MS)
            return
        messages.show_error(self._host.dialog_parent(), exc)

    # ---- business card ------------------------------------------------------------------------------------

    def export_business_card(self, person_id: str) -> None:
        """Export business card…: load the person, ask where ("<Name>.vcf"), write the favourite card in a job."""
        if self._export_running():
            return
        if self._card_job is not None:
            self._card_job.cancel.set()
        job = ops.load_records(self._ctx, Entity.PERSON, [person_id])
        job.signals.succeeded.connect(self._on_card_person_loaded)
        job.signals.failed.connect(self._on_export_failed)
        self._card_job = job
        self._runner.read(job)

    @Slot(object)
    def _on_card_person_loaded(self, recs: list[PersonRecord]) -> None:
        if self._card_job is None or self.sender() is not self._card_job.signals:
            return  # a later request wins
        self._card_job = None
        if not recs:
            self._host.show_status("That person was deleted in the meantime.", STATUS_MS)
            return
        person = recs[0]
        stem = files.safe_file_stem(person.display_name)
        target = files.save_file(
            self._host.dialog_parent(),
            title=f"Export business card of {person.display_name or 'this person'}",
            suggested=self.last_dir / f"{stem}.vcf",
            file_filter="vCard (*.vcf *.vcard)",
        )
        if target is None or self._export_running():
            return
        self.last_dir = target.parent
        job = ops.export_business_card(person, target)
        job.signals.succeeded.connect(self._on_card_written)
        job.signals.failed.connect(self._on_export_failed)
        self.progress.track(job, "Exporting business card…")
        self._runner.read(job)

    def save_remote_business_card(self, person_id: str, account_id: str, name: str) -> None:
        """The person's card as a linked server exports it (cobra): ask where, then fetch and save it in a job."""
        stem = files.safe_file_stem(name or "business card")
        target = files.save_file(
            self._host.dialog_parent(),
            title=f"Save the business card from the server of {name or 'this person'}",
            suggested=self.last_dir / f"{stem} (cobra).vcf",
            file_filter="vCard (*.vcf *.vcard)",
        )
        if target is None:
            return
        self.last_dir = target.parent
        job = ops_sync.remote_business_card(self._ctx, account_id, person_id, target)
        job.signals.succeeded.connect(self._on_remote_card_written)
        job.signals.failed.connect(self._on_export_failed)
        self.progress.track(job, "Fetching the business card…")
        self._runner.read(job)

    @Slot(object)
    def _on_remote_card_written(self, target: Path) -> None:
        self._host.show_status(f"Business card from the server saved to {target}", STATUS_MS)

    @Slot(object)
    def _on_card_written(self, result: tuple[str, Path]) -> None:
        name, target = result
        self._host.show_status(f"Business card of {name} saved to {target}", STATUS_MS)
