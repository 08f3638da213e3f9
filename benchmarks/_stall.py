"""The benchmarks' GUI-stall measure: the longest gap between ticks of a 10 ms QTimer while a job runs."""

from __future__ import annotations

import time
from typing import Any


def longest_gap(runner: Any, work: Any, *, pool: str = "read") -> float:
    """Run `work(progress, cancel)` as a JobRunner job (`pool` "write" or "read") and return, in ms, the longest
    gap between two ticks of a 10 ms QTimer on the GUI thread meanwhile: how long the window would have frozen."""
    from PySide6.QtCore import QEventLoop, QTimer

    from crmdesk.ui.workers import Job

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    job = Job(work, name="bench")
    job.signals.finished.connect(loop.quit)
    timer.start()
    last[0] = time.perf_counter()
    runner.write(job) if pool == "write" else runner.read(job)
    loop.exec()
    timer.stop()
    return max(gaps) if gaps else 0.0
