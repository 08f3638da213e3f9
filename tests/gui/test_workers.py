"""JobRunner: jobs that wait for the window's due repaint, cancelled before their turn, shut down while waiting."""

from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from crmdesk.tasks import CancelToken
from crmdesk.ui.workers import Job, JobRunner


class _PaintLog(QObject):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.log.append("paint")
        return False


def _job(log: list[str], name: str) -> Job:
    lock = threading.Lock()

    def body(progress: object, cancel: CancelToken) -> str:
        with lock:
            log.append(name)
        return name

    return Job(body, name=name)


def test_a_job_after_paint_starts_once_the_due_repaint_is_done(qtbot: QtBot) -> None:
    runner = JobRunner()
    widget = QWidget()
    widget.resize(200, 100)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    log: list[str] = []
    watch = _PaintLog(log)
    widget.installEventFilter(watch)
    qtbot.wait(20)
    log.clear()

    widget.update()  # a repaint is due, as after a model reset
    job = _job(log, "count")
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        runner.read_after_paint(job)
        assert runner.running() == 1, "a waiting job counts as running: shutdown and the tests see it"
    assert log[:2] == ["paint", "count"]
    assert runner.shutdown(5000)


def test_a_job_cancelled_while_it_waits_never_starts(qtbot: QtBot) -> None:
    runner = JobRunner()
    log: list[str] = []
    first, second = _job(log, "old"), _job(log, "new")
    runner.read_after_paint(first)
    first.cancel.set()  # a newer search came before its turn
    with qtbot.waitSignal(second.signals.finished, timeout=5000):
        runner.read_after_paint(second)
    qtbot.wait(20)
    assert log == ["new"]
    assert runner.running() == 0


def test_shutdown_forgets_jobs_that_never_started(qtbot: QtBot) -> None:
    runner = JobRunner()
    log: list[str] = []
    runner.read_after_paint(_job(log, "late"))
    assert runner.shutdown(5000)
    assert runner.running() == 0
    qtbot.wait(20)  # its start event arrives after the shutdown: nothing runs
    assert log == []
