"""Background work: a Job is a QRunnable whose signals live on the GUI thread (STYLE §2, pattern P1).

Job bodies are plain Python from the service layers; they get a progress callable and a CancelToken.
Two pools: `writer` (one thread: every job that writes the store) and `general` (reads, network).
"""

from __future__ import annotations

import collections
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from crmdesk.tasks import CancelToken

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # at most ~10 progress signals a second (STYLE §2.8)

JobBody = Callable[[Callable[[int, int, str], None], CancelToken], Any]


class JobSignals(QObject):
    """Made on the GUI thread, so queued connections deliver to GUI-thread slots."""

    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()


class Job(QRunnable):
    """One background task. Connect its signals to @Slot methods, then hand it to a JobRunner pool."""

    def __init__(self, fn: JobBody, *, name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps it referenced until `finished`
        self.signals = JobSignals()
        self.cancel = CancelToken()
        self.name = name or getattr(fn, "__name__", "job")
        self._fn = fn
        self._last_progress = 0.0

    def _progress(self, done: int, total: int, text: str) -> None:
        now = time.monotonic()
        if done >= total > 0 or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.signals.progress.emit(done, total, text)

    def run(self) -> None:  # runs on a pool thread
        try:
            result = self._fn(self._progress, self.cancel)
        except BaseException as exc:  # every failure goes to the GUI thread to be shown
            if not self.cancel.is_set():
                log.debug("job %s failed", self.name, exc_info=True)
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


_START_AFTER_PAINT = QEvent.Type(QEvent.registerEventType())


class JobRunner(QObject):
    """Owns the two pools and keeps every running job alive until it has finished."""

    instances: ClassVar[weakref.WeakSet[JobRunner]] = weakref.WeakSet()  # the tests check none is left busy

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        JobRunner.instances.add(self)
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)
        self.general = QThreadPool(self)
        self.general.setMaxThreadCount(max(2, QThreadPool.globalInstance().maxThreadCount()))
        self._running: set[Job] = set()
        self._after_paint: collections.deque[Job] = collections.deque()

    def write(self, job: Job) -> Job:
        """Run a job that writes the store (one at a time, in order)."""
        return self._start(self.writer, job)

    def read(self, job: Job) -> Job:
        """Run a job that only reads or talks to the network."""
        return self._start(self.general, job)

    def read_after_paint(self, job: Job) -> Job:
        """Run a read job once the window has painted what it was asked to before: the follow-up work of a new
        page (its count, the first row's details) must not run while the page is painted. Every Python call
        the table's paint makes (a thousand `data()` calls) waits for the GIL while a job holds it: the first
        paint of a search's rows took 47 ms beside those jobs and 25 ms after them.

        Qt posts its repaint requests at low priority and delivers events of one priority in the order they
        were posted, so an event posted now at that priority arrives after the paint that is already due.
        A job cancelled meanwhile never starts.
        """
        self._running.add(job)
        self._after_paint.append(job)
        QCoreApplication.postEvent(self, QEvent(_START_AFTER_PAINT), Qt.EventPriority.LowEventPriority.value)
        return job

    def customEvent(self, event: QEvent) -> None:
        if event.type() != _START_AFTER_PAINT or not self._after_paint:
            return
        job = self._after_paint.popleft()
        self._running.discard(job)
        if not job.cancel.is_set():
            self._start(self.general, job)

    def _start(self, pool: QThreadPool, job: Job) -> Job:
        self._running.add(job)
        job.signals.finished.connect(self._on_job_finished)
        pool.start(job)
        return job

    @Slot()
    def _on_job_finished(self) -> None:
        sender = self.sender()
        self._running = {j for j in self._running if j.signals is not sender}

    def running(self) -> int:
        return len(self._running)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job and wait for the pools; True when all stopped in time."""
        for job in list(self._running):
            job.cancel.set()
        for job in self._after_paint:  # never started: nothing to wait for
            self._running.discard(job)
        self._after_paint.clear()
        ok = self.writer.waitForDone(timeout_ms) and self.general.waitForDone(timeout_ms)
        return bool(ok)
