"""Background sync of the window: a timer per account, a sync soon after local edits, one run per account at a time.

Sync runs go to the runner's `general` pool, not the single-thread `writer` pool that STYLE §2.4 gives writing jobs:
a run writes in short per-record transactions (DESIGN §6 "commit per record") and spends most of its minutes
waiting on the network, so on the writer pool it would hold up every save, delete and import of the window until
it ended. SQLite's busy timeout orders its short transactions with the writer pool's; the engine re-checks each
record before its local write, so an edit saved while a run goes on stays in the outbox for the next run.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QWidget

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountRecord, AccountState
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.records import Entity
from crmdesk.errors import Cancelled, MassDeleteStopped, RemoteUnavailable, SignInRequired, UserError
from crmdesk.ui import messages, ops
from crmdesk.ui.dialogs import account as account_dialogs
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.ops_sync import SecretInfo, SyncSnapshot
from crmdesk.ui.ops_sync import secret_info as secret_info_job
from crmdesk.ui.ops_sync import snapshot as snapshot_job
from crmdesk.ui.ops_sync import sync as sync_job
from crmdesk.ui.workers import Job, JobRunner

if TYPE_CHECKING:  # the engine loads with the first run (ops_sync's docstring says why)
    from crmdesk.sync.engine import SyncReport

__all__ = ["Outcome", "SyncController"]

log = logging.getLogger(__name__)

NOTICE_MS = 6000


class Outcome(enum.Enum):
    """What crmdesk knows of an account's connection, from this session's runs or else from the stored state."""

    NEVER = "never"  # not synced yet
    ONLINE = "online"  # the last run went through
    OFFLINE = "offline"  # the server could not be reached (or failed): the next interval tries again
    FAILED = "failed"  # the last run failed for another reason the user can read (its message)
    SIGN_IN = "signin"  # the server refused the secret: no run until the user signs in again
    GUARD = "guard"  # the mass-delete guard stopped a run and the user kept the records: paused until asked again


_FROM_STATE = {
    AccountState.NEW: Outcome.NEVER,
    AccountState.OK: Outcome.ONLINE,
    AccountState.ERROR: Outcome.OFFLINE,  # nearly always the network; the first run of this session tells
    AccountState.SIGN_IN: Outcome.SIGN_IN,
    AccountState.GUARD: Outcome.GUARD,
}
_PAUSED = (Outcome.SIGN_IN, Outcome.GUARD)
_Reach = QNetworkInformation.Reachability
_OFFLINE = (_Reach.Disconnected, _Reach.Local, _Reach.Site)  # no way out to the internet


class SyncController(QObject):
    """Runs and schedules the sync of every account, and keeps what the window shows of them.

    Args:
        ctx: The context.
        runner: Runs the sync jobs (general pool) and the snapshot reads.
        hub: Local edits arrive here (a sync is scheduled); what a run changed is published here.
        host: Parent of the questions a run asks (mass deletions).
        parent: The QObject that owns the controller.
    """

    snapshot_changed = Signal()  # accounts, their outbox and conflict counts, the totals
    runs_changed = Signal()  # a run started, progressed or ended, or an account's outcome changed
    run_finished = Signal(str)  # account id: the run ended (the conflicts page reloads)
    secrets_changed = Signal()
    notice = Signal(str, int)  # a status-bar message and its milliseconds
    tables_stale = Signal()  # a run stopped part-way: it may have written records it did not report

    start_delay_ms = 500
    """The accounts are read this long after start."""
    first_run_ms = 4000
    """The first run of each account, this long after start (the window paints first)."""
    edit_delay_ms = 10_000
    """A local edit starts a sync of every account this long after the last edit, so edits go out soon."""
    refresh_delay_ms = 400
    """Snapshot reads after local edits are debounced by this much."""
    network_delay_ms = 3000
    """When the network comes back, every account syncs this long after (links settle; flapping runs once)."""
    watch_network = True
    """Whether `start` asks Qt's network information backend about reachability (tests switch it off)."""

    def __init__(
        self, ctx: Context, *, runner: JobRunner, hub: ChangeHub, host: QWidget, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self._hub = hub
        self._host = host
        self._snapshot: SyncSnapshot | None = None
        self._secrets: SecretInfo | None = None
        self._secrets_asked = False  # a secret-store job was started (want_secrets asks once)
        self._snapshot_job: Job | None = None
        self._snapshot_again = False
        self._jobs: dict[str, Job] = {}
        self._progress: dict[str, int] = {}
        self._results: dict[str, SyncReport | BaseException] = {}  # by account id, until the run's `finished`
        self._reports: dict[str, SyncReport] = {}  # account id → the last report of this session
        self._outcomes: dict[str, tuple[Outcome, str]] = {}  # this session's knowledge, by account id
        self._timers: dict[str, QTimer] = {}
        self._manual: set[str] = set()  # accounts whose running sync the user asked for
        self._publishing = False
        self._stopped = False
        self._first_run_due = False
        self._reachability: QNetworkInformation.Reachability | None = None  # None: no backend tells

        self._start_timer = self._single_shot(self._on_start_timer_timeout)
        self._first_timer = self._single_shot(self._on_first_timer_timeout)
        self._edit_timer = self._single_shot(self._on_edit_timer_timeout)
        self._refresh_timer = self._single_shot(self._on_refresh_timer_timeout)
        hub.changed.connect(self._on_hub_changed)

    def _single_shot(self, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(slot)
        return timer

    # ---- life ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Read the accounts and where secrets go once the window is up; the first runs follow `first_run_ms` later."""
        self._stopped = False
        # The snapshot job loads the engine, the connectors and httpx (~0.25 s of CPU): not while the window paints.
        self._start_timer.start(self.start_delay_ms)
        self._first_timer.start(self.first_run_ms)
        if self.watch_network:
            self.watch_reachability()

    def watch_reachability(self) -> bool:
        """Sync soon when the network comes back, where Qt has a backend that tells; False (silently) where not.

        `QNetworkInformation` needs a platform plugin (NetworkManager, glib, Windows' NLM, macOS): without one,
        the interval timers alone notice the network is back.
        """
        try:
            info = QNetworkInformation.instance()
            if info is None:
                feature = QNetworkInformation.Feature.Reachability
                if not QNetworkInformation.loadBackendByFeatures(feature):
                    QNetworkInformation.loadDefaultBackend()
                info = QNetworkInformation.instance()
            if info is None or not info.supports(QNetworkInformation.Feature.Reachability):
                return False
            self._reachability = info.reachability()
            info.reachabilityChanged.connect(self._on_network_reachability_changed)
        except (RuntimeError, AttributeError) as exc:  # an older Qt or a broken plugin: the timers remain
            log.info("no network reachability information: %s", exc)
            return False
        log.info("network reachability from %s: %s", info.backendName(), self._reachability)
        return True

    def stop(self) -> None:
        """Stop every timer and cancel the running syncs (the window is closing)."""
        self._stopped = True
        for timer in (self._start_timer, self._first_timer, self._edit_timer, self._refresh_timer):
            timer.stop()
        for timer in self._timers.values():
            timer.stop()
        self.cancel()
        if self._snapshot_job is not None:
            self._snapshot_job.cancel.set()

    # ---- what the views read -------------------------------------------------------------------------------

    @property
    def snapshot(self) -> SyncSnapshot | None:
        return self._snapshot

    @property
    def secrets(self) -> SecretInfo | None:
        return self._secrets

    def accounts(self) -> list[AccountRecord]:
        return [r.account for r in self._snapshot.accounts] if self._snapshot else []

    def account(self, account_id: str) -> AccountRecord | None:
        row = self._snapshot.row(account_id) if self._snapshot else None
        return row.account if row else None

    def is_running(self, account_id: str | None = None) -> bool:
        return bool(self._jobs) if account_id is None else account_id in self._jobs

    def running_ids(self) -> list[str]:
        return list(self._jobs)

    def progress(self, account_id: str) -> int:
        return self._progress.get(account_id, 0)

    def outcome(self, account: AccountRecord) -> tuple[Outcome, str]:
        """The account's outcome and its message (the error of the last run, or "")."""
        return self._outcomes.get(account.id) or (_FROM_STATE[account.state], account.last_error)

    def last_report(self, account_id: str) -> SyncReport | None:
        """The SyncReport of the account's last run of this session."""
        return self._reports.get(account_id)

    def can_sync(self, account: AccountRecord) -> bool:
        return self._snapshot is not None and account.kind in self._snapshot.supported

    # ---- actions ------------------------------------------------------------------------------------------

    def sync_now(self, account_id: str | None = None, *, allow_mass_delete: bool = False) -> bool:
        """Sync one account (or every enabled one) at once, whatever its outcome; False when none started."""
        if account_id is None:
            targets = [a.id for a in self.accounts() if a.enabled and self.can_sync(a)]
        else:
            targets = [account_id]
        started = False
        for target in targets:
            if target in self._jobs:
                continue
            if self._start_run(target, allow_mass_delete=allow_mass_delete):
                self._manual.add(target)
                started = True
        return started

    def cancel(self, account_id: str | None = None) -> None:
        """Stop the running sync of one account, or every running sync; what was committed stays."""
        for target, job in list(self._jobs.items()):
            if account_id is None or target == account_id:
                job.cancel.set()

    def refresh(self, *, now: bool = False) -> None:
        """Read the snapshot again (debounced unless `now`); a read that is running is read again after it."""
        if self._stopped:
            return
        if now:
            self._refresh_timer.stop()
            self._on_refresh_timer_timeout()
        elif not self._refresh_timer.isActive():
            self._refresh_timer.start(self.refresh_delay_ms)

    def want_secrets(self) -> None:
        """Ask the keyring where secrets go, unless that is known or being asked (the Accounts page wants it)."""
        if self._secrets is None and not self._secrets_asked:
            self.refresh_secrets()

    def refresh_secrets(self) -> None:
        self._secrets_asked = True
        job = secret_info_job(self._ctx)
        job.signals.succeeded.connect(self._on_secret_job_succeeded)
        job.signals.failed.connect(self._on_secret_job_failed)
        self._runner.read(job)

    def account_saved(self, account: AccountRecord, *, new: bool) -> None:
        """An account was added or changed: forget what this session knew of it, read again, sync it."""
        self._outcomes.pop(account.id, None)
        self.refresh(now=True)
        self.refresh_secrets()
        if account.enabled:
            self._start_run(account.id)

    def account_removed(self, account_id: str) -> None:
        self.cancel(account_id)
        self._outcomes.pop(account_id, None)
        self._reports.pop(account_id, None)
        self.refresh(now=True)
        self.runs_changed.emit()

    def publish(self, change: ChangeSet | None) -> None:
        """Publish a local change made from the sync views (a discarded change, a settled conflict)."""
        self._hub.publish(change)

    # ---- runs ---------------------------------------------------------------------------------------------

    def _start_run(self, account_id: str, *, allow_mass_delete: bool = False) -> bool:
        if self._stopped or account_id in self._jobs:
            return False
        job = sync_job(self._ctx, account_id, allow_mass_delete=allow_mass_delete)
        job.signals.progress.connect(self._on_run_progress)
        job.signals.succeeded.connect(self._on_run_succeeded)
        job.signals.failed.connect(self._on_run_failed)
        job.signals.finished.connect(self._on_run_finished)
        self._jobs[account_id] = job
        self._progress[account_id] = 0
        self._runner.read(job)
        log.info("sync of %s started", account_id)
        self.runs_changed.emit()
        return True

    def _auto_sync(self, account_ids: list[str]) -> None:
        """Start the runs a timer asks for: enabled accounts that are not paused, waiting or running already."""
        for account in self.accounts():
            if account.id not in account_ids or not account.enabled or not self.can_sync(account):
                continue
            if self.outcome(account)[0] in _PAUSED:
                continue  # "sign in again" and a kept mass deletion wait for the user (no retry loop)
            self._start_run(account.id)

    def _sender_account(self) -> str | None:
        sender = self.sender()
        return next((a for a, job in self._jobs.items() if job.signals is sender), None)

    @Slot(int, int, str)
    def _on_run_progress(self, done: int, total: int, text: str) -> None:
        account_id = self._sender_account()
        if account_id is not None:
            self._progress[account_id] = done
            self.runs_changed.emit()

    @Slot(object)
    def _on_run_succeeded(self, report: SyncReport) -> None:
        account_id = self._sender_account()
        if account_id is not None:
            self._results[account_id] = report

    @Slot(object)
    def _on_run_failed(self, exc: BaseException) -> None:
        account_id = self._sender_account()
        if account_id is not None:
            self._results[account_id] = exc

    @Slot()
    def _on_run_finished(self) -> None:
        account_id = self._sender_account()
        if account_id is None:
            return
        job = self._jobs.pop(account_id)
        handled = self._progress.pop(account_id, 0)
        manual = account_id in self._manual
        self._manual.discard(account_id)
        result = self._results.pop(account_id, None)
        account = self.account(account_id)
        name = account.name if account else "The account"
        was = self.outcome(account)[0] if account else None
        if account is None:
            pass  # removed while it ran: whatever the run came to concerns nobody
        elif isinstance(result, BaseException):
            self._run_failed(account_id, name, result, was=was, cancelled=job.cancel.is_set(), handled=handled)
        elif result is not None:
            self._run_succeeded(account_id, name, result, manual=manual)
        self.run_finished.emit(account_id)
        self.runs_changed.emit()
        self.refresh(now=True)
        if isinstance(result, MassDeleteStopped) and not self._stopped:
            self._ask_mass_delete(account_id, name, result)

    def _run_succeeded(self, account_id: str, name: str, report: SyncReport, *, manual: bool) -> None:
        self._reports[account_id] = report
        self._outcomes[account_id] = (Outcome.ONLINE, "")
        self._publish_all(report.changes)
        if manual or report.problems or any(c.total or c.conflicts for c in report.counts.values()):  # quiet: silent
            self.notice.emit(f"{name}: {report.summary()}", NOTICE_MS)
        for problem in report.problems:
            log.info("sync of %s skipped %s: %s", account_id, problem.name, problem.message)

    def _run_failed(
        self, account_id: str, name: str, exc: BaseException, *, was: Outcome | None, cancelled: bool, handled: int
    ) -> None:
        # A run that stopped part-way committed what it had done (per record); the engine hangs its report on the
        # exception. Without one (a failure outside the engine), the tables read everything again rather than miss
        # those records, but not after a run that failed before its first progress (offline from the start): a
        # reload would throw away the user's place in the tables at every interval while offline.
        from crmdesk.sync.engine import report_of  # loaded already: the run that failed imported it

        partial = report_of(exc)
        if partial is not None:
            self._publish_all(partial.changes)  # like a run that went through: the views refresh what it names
        elif handled or isinstance(exc, MassDeleteStopped | Cancelled):
            self.tables_stale.emit()
        if isinstance(exc, Cancelled) or cancelled:
            self.notice.emit(f"{name}: sync cancelled — what was done so far is kept.", NOTICE_MS)
            return
        if isinstance(exc, SignInRequired):
            self._outcomes[account_id] = (Outcome.SIGN_IN, exc.message)
            self.notice.emit(f"{name}: the server refused the token — sign in again.", NOTICE_MS)
        elif isinstance(exc, MassDeleteStopped):
            self._outcomes[account_id] = (Outcome.GUARD, exc.message)
        elif isinstance(exc, RemoteUnavailable):
            self._outcomes[account_id] = (Outcome.OFFLINE, exc.message)
            if was is not Outcome.OFFLINE:
                self.notice.emit("Offline — changes are kept and sent when the connection is back.", NOTICE_MS)
        elif isinstance(exc, UserError):
            self._outcomes[account_id] = (Outcome.FAILED, exc.message)
            self.notice.emit(exc.message, NOTICE_MS)
        else:
            self._outcomes[account_id] = (Outcome.FAILED, f"{type(exc).__name__}: {exc}")
            messages.show_error(self._host, exc)  # a bug: the crash dialog (P7)

    def _publish_all(self, changes: list[ChangeSet]) -> None:
        """Tell the views what a run changed, without taking it for local edits that need another sync."""
        self._publishing = True
        try:
            for change in ops.merge_changes(changes):
                self._hub.publish(change)
        finally:
            self._publishing = False

    def _ask_mass_delete(self, account_id: str, name: str, exc: MassDeleteStopped) -> None:
        if account_dialogs.ask_mass_delete(
            self._host, account=name, local=exc.local, remote=exc.remote, message=str(exc)
        ):
            self._outcomes.pop(account_id, None)
            self._start_run(account_id, allow_mass_delete=True)
        else:
            self.notice.emit(f"{name}: sync paused — the records stay. Sync now to be asked again.", NOTICE_MS)

    # ---- snapshot -----------------------------------------------------------------------------------------

    @Slot()
    def _on_refresh_timer_timeout(self) -> None:
        if self._snapshot_job is not None:
            self._snapshot_again = True  # it may have read before the change: read once more after it
            return
        job = snapshot_job(self._ctx)
        job.signals.succeeded.connect(self._on_snapshot_job_succeeded)
        job.signals.failed.connect(self._on_snapshot_job_failed)
        job.signals.finished.connect(self._on_snapshot_job_finished)
        self._snapshot_job = job
        self._runner.read(job)

    @Slot(object)
    def _on_snapshot_job_succeeded(self, snap: SyncSnapshot) -> None:
        if self.sender() is not (self._snapshot_job.signals if self._snapshot_job else None):
            return
        self._snapshot = snap
        if snap.accounts:
            self.want_secrets()
        self._update_timers()
        if self._first_run_due:
            self._first_run_due = False
            self._auto_sync([a.id for a in self.accounts()])
        self.snapshot_changed.emit()

    @Slot(object)
    def _on_snapshot_job_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):
            log.warning("the accounts could not be read: %s", exc)

    @Slot()
    def _on_snapshot_job_finished(self) -> None:
        if self._snapshot_job is None or self.sender() is not self._snapshot_job.signals:
            return
        self._snapshot_job = None
        if self._snapshot_again and not self._stopped:
            self._snapshot_again = False
            self._on_refresh_timer_timeout()

    @Slot(object)
    def _on_secret_job_succeeded(self, info: SecretInfo) -> None:
        self._secrets = info
        self.secrets_changed.emit()

    @Slot(object)
    def _on_secret_job_failed(self, exc: BaseException) -> None:
        self._secrets_asked = False  # the Accounts page asks again
        log.warning("the secret store could not be checked: %s", exc)

    def _update_timers(self) -> None:
        """One repeating timer per enabled account, at its interval; none for removed or disabled accounts."""
        wanted = {a.id: a.interval_s * 1000 for a in self.accounts() if a.enabled and self.can_sync(a)}
        for account_id in list(self._timers):
            if account_id not in wanted:
                self._timers.pop(account_id).deleteLater()
        if self._stopped:
            return
        for account_id, interval in wanted.items():
            timer = self._timers.get(account_id)
            if timer is None:
                timer = QTimer(self)
                timer.setObjectName(account_id)
                timer.timeout.connect(self._on_interval_timer_timeout)
                self._timers[account_id] = timer
            if timer.interval() != interval or not timer.isActive():
                timer.start(interval)

    # ---- timers and local edits ----------------------------------------------------------------------------

    @Slot()
    def _on_start_timer_timeout(self) -> None:
        # The keyring (D-Bus, cryptography: ~0.3 s, ~8 MB) only once there is an account, or the Accounts page
        # opens: someone who keeps no CRM account never pays for it.
        self.refresh(now=True)

    @Slot()
    def _on_first_timer_timeout(self) -> None:
        if self._snapshot is None:
            self._first_run_due = True  # the accounts are not read yet: run when they are
            return
        self._auto_sync([a.id for a in self.accounts()])

    @Slot()
    def _on_interval_timer_timeout(self) -> None:
        sender = self.sender()
        if isinstance(sender, QTimer):
            self._auto_sync([sender.objectName()])

    @Slot()
    def _on_edit_timer_timeout(self) -> None:
        self._auto_sync([a.id for a in self.accounts()])

    @Slot(object)
    def _on_hub_changed(self, change: ChangeSet) -> None:
        if self._publishing or self._stopped or not self.accounts():
            return
        if change.entity in (Entity.PERSON, Entity.COMPANY):
            self._edit_timer.start(self.edit_delay_ms)  # restarted by every edit: one run after the last
            self.refresh()

    @Slot(QNetworkInformation.Reachability)
    def _on_network_reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        was, self._reachability = self._reachability, reachability
        if self._stopped or reachability != _Reach.Online or was not in _OFFLINE:
            return
        log.info("the network is back: every account syncs in %d ms", self.network_delay_ms)
        # The edits' debounce: one run per account however often the link flaps, and no sooner than the next edit
        # would start it anyway.
        if not self._edit_timer.isActive() or self._edit_timer.remainingTime() > self.network_delay_ms:
            self._edit_timer.start(self.network_delay_ms)
