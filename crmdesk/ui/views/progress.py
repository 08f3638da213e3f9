"""A job's progress in the status bar: what runs, a small bar and a Cancel button (exports, STYLE §2.3)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QToolButton, QWidget

from crmdesk.ui.icons import icon
from crmdesk.ui.workers import Job

__all__ = ["StatusProgress"]


class StatusProgress(QWidget):
    """Follows one job at a time; hidden while none runs. Cancel sets the job's token."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusProgress")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)  # label, bar and button together
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        lay.setSpacing(6)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setFixedHeight(10)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("close"))
        self.cancel_button.setIconSize(QSize(12, 12))
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self._job: Job | None = None
        self.setVisible(False)

    @property
    def job(self) -> Job | None:
        return self._job

    def track(self, job: Job, text: str) -> None:
        """Show `text` and the progress of `job` until it finishes. Connect before the job is started."""
        self._job = job
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        job.signals.progress.connect(self._on_job_progress)
        job.signals.finished.connect(self._on_job_finished)
        self.setVisible(True)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel.set()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def _is_current(self) -> bool:
        return self._job is not None and self.sender() is self._job.signals

    @Slot(int, int, str)
    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if not self._is_current():
            return
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))

    @Slot()
    def _on_job_finished(self) -> None:
        if not self._is_current():
            return
        self._job = None
        self.setVisible(False)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.cancel()
