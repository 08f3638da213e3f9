"""The touchpoint editor: a call, e-mail, meeting, letter, note, task or turnover with the people and company.

Open it with `TouchpointDialog.ask(...)`, which tests monkeypatch (STYLE §8). People are found by a full-text
search job as the user types (debounced, latest wins) and shown as removable chips; the company must be one that
exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QKeyCombination,
    QModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTime,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.normalize import normalize_text
from crmdesk.domain.records import Direction, Entity, Mood, Priority, TouchpointRecord, TouchpointType
from crmdesk.domain.validate import MAX_SUBJECT, check_touchpoint, touchpoint_problems
from crmdesk.store import listing
from crmdesk.store.listing import COLUMNS, ListQuery
from crmdesk.tasks import CancelToken, Progress
from crmdesk.ui import ops
from crmdesk.ui.dialogs.base import RecordDialog
from crmdesk.ui.dialogs.widgets import (
    ChoiceCombo,
    CompanyField,
    TagEdit,
    field_label,
    make_form,
    top_label,
    with_message,
)
from crmdesk.ui.icons import icon
from crmdesk.ui.labels import TOUCHPOINT_TYPES as TYPE_LABELS
from crmdesk.ui.workers import Job, JobRunner

__all__ = ["ChipList", "FlowLayout", "PeoplePicker", "TouchpointDialog", "search_people"]

DIRECTIONS = ((Direction.NONE, "No direction"), (Direction.INBOUND, "Inbound"), (Direction.OUTBOUND, "Outbound"))
PRIORITIES = ((Priority.LOW, "Low"), (Priority.NORMAL, "Normal"), (Priority.HIGH, "High"))
MOODS = ((Mood.NONE, "No mood"), (Mood.POSITIVE, "Positive"), (Mood.NEUTRAL, "Neutral"), (Mood.NEGATIVE, "Negative"))
CURRENCIES = tuple((code, code) for code in ("EUR", "USD", "CHF", "GBP"))
SEARCH_DELAY_MS = 200  # debounce of the people search (STYLE §4.7)
SEARCH_LIMIT = 15

_ID_ROLE = Qt.ItemDataRole.UserRole + 1
_NAME_ROLE = Qt.ItemDataRole.UserRole + 2
_COLUMN = {spec.key: i for i, spec in enumerate(COLUMNS[Entity.PERSON])}


def search_people(ctx: Context, text: str, *, limit: int = SEARCH_LIMIT) -> Job:
    """A read job: people matching `text` (full-text search) as (text, [(id, name, company, e-mail), ...])."""

    def work(progress: Progress, cancel: CancelToken) -> tuple[str, list[tuple[str, str, str, str]]]:
        with ctx.store.read() as s:
            rows = listing.page(s, ListQuery(Entity.PERSON, search=text), limit=limit)
        found = [
            (
                row.id,
                str(row.values[_COLUMN["name"]] or ""),
                str(row.values[_COLUMN["company"]] or ""),
                str(row.values[_COLUMN["email"]] or ""),
            )
            for row in rows
        ]
        return text, found

    return Job(work, name="search people")


# ---------------------------------------------------------------------------------------------------------------------
# Chips in a flow layout


class FlowLayout(QLayout):
    """Lays out items left to right and wraps them onto new lines, like words (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + self._spacing
                line_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class _Chip(QFrame):
    """A rounded label with a remove button."""

    remove_clicked = Signal(str)

    def __init__(self, key: str, text: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("chip")
        self.setStyleSheet(
            "QFrame#chip { background: palette(alternate-base); border: 1px solid palette(mid); border-radius: 12px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 2, 2)
        layout.setSpacing(4)
        pic = QLabel()
        pic.setPixmap(icon(icon_name).pixmap(QSize(14, 14), self.devicePixelRatioF()))
        layout.addWidget(pic)
        self.label = QLabel(text)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.label)
        self.remove_button = QToolButton()
        self.remove_button.setIcon(icon("close"))
        self.remove_button.setIconSize(QSize(12, 12))
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip(f"Remove {text}")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        layout.addWidget(self.remove_button)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.remove_button.setToolTip(f"Remove {text}")

    @Slot()
    def _on_remove_clicked(self) -> None:
        self.remove_clicked.emit(self.key)


class ChipList(QWidget):
    """Removable chips ("Ines Brandt ✕") that wrap onto new lines; each chip stands for a key (a record id)."""

    changed = Signal()

    def __init__(self, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon_name = icon_name
        self._chips: dict[str, _Chip] = {}
        self._layout = FlowLayout(self)

    def chip_keys(self) -> tuple[str, ...]:
        return tuple(self._chips)

    def texts(self) -> list[str]:
        return [chip.label.text() for chip in self._chips.values()]

    def add(self, key: str, text: str) -> bool:
        """Add a chip; False if one for `key` is there already."""
        if key in self._chips:
            return False
        chip = _Chip(key, text, self._icon_name, self)
        chip.remove_clicked.connect(self._on_chip_remove_clicked)
        self._chips[key] = chip
        self._layout.addWidget(chip)
        chip.show()
        self.updateGeometry()
        self.changed.emit()
        return True

    def set_text(self, key: str, text: str) -> None:
        chip = self._chips.get(key)
        if chip is not None:
            chip.set_text(text)
            self.updateGeometry()

    def remove(self, key: str) -> None:
        chip = self._chips.pop(key, None)
        if chip is not None:
            self._layout.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
            self.updateGeometry()
            self.changed.emit()

    def chip_remove_button(self, key: str) -> QToolButton:
        """The ✕ button of a chip (for tests and accessibility)."""
        return self._chips[key].remove_button

    @Slot(str)
    def _on_chip_remove_clicked(self, key: str) -> None:
        self.remove(key)


class _SearchEdit(QLineEdit):
    """A line edit whose Return adds the first match instead of pressing the dialog's default button."""

    return_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.keyCombination() in (
            QKeyCombination(Qt.Key.Key_Return),
            QKeyCombination(Qt.Key.Key_Enter),
            QKeyCombination(Qt.KeyboardModifier.KeypadModifier, Qt.Key.Key_Enter),
        ):
            event.accept()
            self.return_pressed.emit()
            return
        super().keyPressEvent(event)


class PeoplePicker(QWidget):
    """The people involved: chips with their names, and a field that searches people as the user types.

    Args:
        ctx: The context whose store is searched.
        runner: Runs the search and name look-up jobs.
        parent: The parent widget.
    """

    changed = Signal()

    def __init__(self, ctx: Context, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self._search_job: Job | None = None
        self._names_job: Job | None = None
        self._searched = ""  # the text whose results the model holds
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.chips = ChipList("person")
        self.chips.changed.connect(self._on_chips_changed)
        layout.addWidget(self.chips)
        self.search_edit = _SearchEdit()
        self.search_edit.setPlaceholderText("Add a person: type a name, e-mail or company…")
        self.search_edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_edit.setClearButtonEnabled(True)
        layout.addWidget(self.search_edit)
        self._model = QStandardItemModel(self)
        self.completer = QCompleter(self._model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(SEARCH_LIMIT)
        self.completer.setWidget(self.search_edit)
        self.completer.activated[QModelIndex].connect(self._on_result_activated)  # type: ignore[index]  # overload
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.search_edit.textEdited.connect(self._on_search_edited)
        self.search_edit.return_pressed.connect(self._on_search_return)

    # ---- public API -----------------------------------------------------------------------------------------

    def person_ids(self) -> tuple[str, ...]:
        return self.chips.chip_keys()

    def set_person_ids(self, ids: Sequence[str]) -> None:
        """Show these people; their names are loaded from the store."""
        for key in self.chips.chip_keys():
            self.chips.remove(key)
        for person_id in ids:
            self.chips.add(person_id, "…")
        if ids:
            job = ops.load_records(self._ctx, Entity.PERSON, list(ids))
            job.signals.succeeded.connect(self._on_names_loaded)  # connect first: a quick job may finish at once
            self._names_job = self._runner.read(job)

    def add_person(self, person_id: str, name: str) -> None:
        self.chips.add(person_id, name)

    def results(self) -> list[tuple[str, str]]:
        """(id, name) of the people the search offers now."""
        return [
            (str(self._model.item(i).data(_ID_ROLE)), str(self._model.item(i).data(_NAME_ROLE)))
            for i in range(self._model.rowCount())
        ]

    @property
    def searching(self) -> bool:
        return self._timer.isActive() or self._search_job is not None

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot(str)
    def _on_search_edited(self, text: str) -> None:
        self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._search_job is not None:
            self._search_job.cancel.set()
        text = normalize_text(self.search_edit.text())
        if not text:
            self._search_job = None
            self._model.clear()
            self._searched = ""
            return
        job = search_people(self._ctx, text)
        job.signals.succeeded.connect(self._on_search_done)
        job.signals.failed.connect(self._on_search_failed)
        self._search_job = self._runner.read(job)

    @Slot(object)
    def _on_search_done(self, result: tuple[str, list[tuple[str, str, str, str]]]) -> None:
        text, found = result
        if text != normalize_text(self.search_edit.text()):
            return  # the user has typed on: a newer search is coming (latest wins)
        self._search_job = None
        self._searched = text
        self._model.clear()
        chosen = set(self.chips.chip_keys())
        for person_id, name, company, email in found:
            if person_id in chosen:
                continue
            item = QStandardItem(icon("person"), f"{name} — {company}" if company else name)
            item.setData(person_id, _ID_ROLE)
            item.setData(name, _NAME_ROLE)
            item.setToolTip(email)
            self._model.appendRow(item)
        if self._model.rowCount() and self.search_edit.hasFocus():
            self.completer.complete()

    @Slot(object)
    def _on_search_failed(self, exc: object) -> None:
        self._search_job = None

    @Slot(QModelIndex)
    def _on_result_activated(self, index: QModelIndex) -> None:
        person_id = index.data(_ID_ROLE)
        if person_id:
            self._choose(str(person_id), str(index.data(_NAME_ROLE) or ""))

    @Slot()
    def _on_search_return(self) -> None:
        """Return adds the first match of a finished search for the text in the field."""
        if self._model.rowCount() and self._searched == normalize_text(self.search_edit.text()):
            item = self._model.item(0)
            self._choose(str(item.data(_ID_ROLE)), str(item.data(_NAME_ROLE)))

    def _choose(self, person_id: str, name: str) -> None:
        self.add_person(person_id, name)
        self._timer.stop()
        self.search_edit.clear()
        self._model.clear()
        self._searched = ""
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    @Slot(object)
    def _on_names_loaded(self, records: list[Any]) -> None:
        self._names_job = None
        for record in records:
            self.chips.set_text(record.id, record.display_name or "(no name)")

    @Slot()
    def _on_chips_changed(self) -> None:
        self.changed.emit()


def _to_qdatetime(value: dt.datetime) -> QDateTime:
    local = value.astimezone()
    return QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))


class TouchpointDialog(RecordDialog[TouchpointRecord]):
    """Create or edit a touchpoint.

    Args:
        ctx: The context.
        runner: Runs look-up jobs (people, company, tags).
        record: The touchpoint to edit; None for a new one.
        person_ids: People a new touchpoint involves from the start.
        company_id: Company a new touchpoint belongs to from the start.
        parent: The parent widget.
    """

    def __init__(
        self,
        ctx: Context,
        runner: JobRunner,
        record: TouchpointRecord | None = None,
        *,
        person_ids: Sequence[str] = (),
        company_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        editing = record is not None
        if record is None:
            now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
            record = TouchpointRecord(occurred_at=now, person_ids=tuple(person_ids), company_id=company_id)
        super().__init__(ctx, editing=editing, window_icon="touchpoints", header_icon=record.type.value, parent=parent)
        self.setWindowTitle(f"Edit — {record.subject}" if editing else "New touchpoint")
        self._base = record

        self.form = form = make_form()
        self._root.addLayout(form, 1)
        self.type_combo = QComboBox()
        self.type_combo.setIconSize(QSize(16, 16))
        for kind in TouchpointType:
            self.type_combo.addItem(icon(kind.value), TYPE_LABELS[kind], kind)
        self.when_edit = QDateTimeEdit()
        self.when_edit.setCalendarPopup(True)
        self.when_edit.setDisplayFormat("ddd d MMM yyyy   HH:mm")
        self.when_edit.setMinimumWidth(200)
        type_row = QHBoxLayout()
        type_row.setSpacing(10)
        type_row.addWidget(self.type_combo)
        type_row.addSpacing(8)
        type_row.addWidget(field_label("W&hen:", self.when_edit))
        type_row.addWidget(self.when_edit)
        type_row.addStretch(1)
        form.addRow(field_label("T&ype:", self.type_combo), type_row)

        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("What was it about?")
        self.subject_edit.setMaxLength(MAX_SUBJECT)
        subject_box, self.subject_message = with_message(self.subject_edit)
        form.addRow(field_label("S&ubject:", self.subject_edit), subject_box)

        self.direction_combo = self._enum_combo(DIRECTIONS)
        self.priority_combo = self._enum_combo(PRIORITIES)
        self.mood_combo = self._enum_combo(MOODS)
        details = QHBoxLayout()
        details.setSpacing(10)
        details.addWidget(self.direction_combo)
        details.addSpacing(8)
        details.addWidget(field_label("P&riority:", self.priority_combo))
        details.addWidget(self.priority_combo)
        details.addSpacing(8)
        details.addWidget(field_label("&Mood:", self.mood_combo))
        details.addWidget(self.mood_combo)
        details.addStretch(1)
        form.addRow(field_label("&Direction:", self.direction_combo), details)

        self.people = PeoplePicker(ctx, runner)
        form.addRow(top_label("&People:", self.people.search_edit), self.people)
        self.company_field = CompanyField(ctx, runner, require_existing=True)
        company_box, self.company_message = with_message(self.company_field)
        form.addRow(field_label("C&ompany:", self.company_field), company_box)
        self.tags_edit = TagEdit(ctx, runner)
        form.addRow("T&ags:", self.tags_edit)

        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount_edit.setMaximumWidth(160)
        self.currency_combo = ChoiceCombo(CURRENCIES, placeholder="EUR", max_length=3)
        self.currency_combo.setMinimumContentsLength(4)
        amount_line = QHBoxLayout()
        amount_line.setSpacing(6)
        amount_line.addWidget(self.amount_edit)
        amount_line.addWidget(self.currency_combo)
        amount_line.addStretch(1)
        amount_widget = QWidget()
        amount_widget.setLayout(amount_line)
        amount_line.setContentsMargins(0, 0, 0, 0)
        amount_box, self.amount_message = with_message(amount_widget)
        self._amount_label = field_label("Amou&nt:", self.amount_edit)
        form.addRow(self._amount_label, amount_box)
        self._amount_row = form.rowCount() - 1

        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText("Notes, minutes, the text of the letter…")
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setMinimumHeight(150)
        form.addRow(top_label("&Body:", self.body_edit), self.body_edit)

        self._build_save_row()

        self._load(record)
        self._initial_when = self.when_edit.dateTime()
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.subject_edit.textEdited.connect(self._on_subject_edited)
        for edit in (self.subject_edit, self.amount_edit, self.tags_edit):
            edit.textChanged.connect(self._on_field_edited)
        for combo in (self.direction_combo, self.priority_combo, self.mood_combo):
            combo.currentIndexChanged.connect(self._on_field_edited)
        self.when_edit.dateTimeChanged.connect(self._on_field_edited)
        self.currency_combo.changed.connect(self._on_field_edited)
        self.company_field.changed.connect(self._on_field_edited)
        self.people.changed.connect(self._on_field_edited)
        self._on_type_changed()
        self.resize(self.sizeHint().expandedTo(QSize(680, 640)).boundedTo(QSize(1000, 760)))
        self.subject_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        ctx: Context,
        runner: JobRunner,
        record: TouchpointRecord | None = None,
        *,
        person_ids: Sequence[str] = (),
        company_id: str | None = None,
    ) -> TouchpointRecord | None:
        """Show the dialog modally.

        Args:
            parent: The window the dialog belongs to.
            ctx: The context.
            runner: Runs look-up jobs.
            record: The touchpoint to edit, or None for a new one.
            person_ids: People a new touchpoint involves from the start.
            company_id: Company a new touchpoint belongs to from the start.

        Returns:
            The edited touchpoint, normalised, with the id of `record` kept; None if cancelled.
        """
        return cls(ctx, runner, record, person_ids=person_ids, company_id=company_id, parent=parent)._run_modal()

    @staticmethod
    def _enum_combo(choices: Sequence[tuple[Any, str]]) -> QComboBox:
        combo = QComboBox()
        for value, label in choices:
            combo.addItem(label, value)
        return combo

    def _load(self, t: TouchpointRecord) -> None:
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(t.type), 0))
        self.when_edit.setDateTime(_to_qdatetime(t.occurred_at))
        self.subject_edit.setText(t.subject)
        self.direction_combo.setCurrentIndex(max(self.direction_combo.findData(t.direction), 0))
        self.priority_combo.setCurrentIndex(max(self.priority_combo.findData(t.priority), 0))
        self.mood_combo.setCurrentIndex(max(self.mood_combo.findData(t.mood), 0))
        self.people.set_person_ids(t.person_ids)
        if t.company_id:
            self.company_field.set_company(t.company_id)
        self.tags_edit.set_tags(t.tags)
        self.amount_edit.setText(t.amount)
        self.currency_combo.set_value(t.currency or "EUR")
        self.body_edit.setPlainText(t.body)

    # ---- the record -----------------------------------------------------------------------------------------

    def occurred_at(self) -> dt.datetime:
        """The time entered, as an aware UTC datetime; unchanged from the record if the user did not touch it."""
        value = self.when_edit.dateTime()
        if value == self._initial_when:
            return self._base.occurred_at
        local = value.toPython()
        assert isinstance(local, dt.datetime)
        return local.replace(second=0, microsecond=0).astimezone().astimezone(dt.UTC)

    def touchpoint_type(self) -> TouchpointType:
        return TouchpointType(self.type_combo.currentData())

    def record(self) -> TouchpointRecord:
        """The touchpoint as entered now (not yet normalised)."""
        turnover = self.touchpoint_type() is TouchpointType.TURNOVER
        amount = normalize_text(self.amount_edit.text()) if turnover else ""
        return self._base.replace(
            type=self.touchpoint_type(),
            occurred_at=self.occurred_at(),
            subject=self.subject_edit.text(),
            body=self.body_edit.toPlainText(),
            direction=Direction(self.direction_combo.currentData()),
            priority=Priority(self.priority_combo.currentData()),
            mood=Mood(self.mood_combo.currentData()),
            person_ids=self.people.person_ids(),
            company_id=self.company_field.company_id(),
            tags=self.tags_edit.tags(),
            amount=amount,
            currency=self.currency_combo.value().upper() if amount else "",
        )

    def problems(self) -> dict[str, str]:
        """Field path → message for everything that keeps Save disabled."""
        found = touchpoint_problems(self.record())
        company = self.company_field.problem()
        if company:
            found["company"] = company
        return found

    def _revalidate(self) -> None:
        problems = self.problems()
        self.subject_message.show_message(problems.get("subject") if self._required_touched else None)
        self.amount_message.show_message(problems.get("amount") or problems.get("currency"))
        company = problems.get("company")
        self.company_message.show_message(company if company != "…" else None)
        self.save_button.setEnabled(not problems)
        shown = [m for m in problems.values() if m != "…"]
        self.save_button.setToolTip(shown[0] if shown else "")
        self.general_message.show_message(None)
        kind = self.touchpoint_type()
        when = self.when_edit.dateTime().toString("ddd d MMM yyyy, HH:mm")
        direction = Direction(self.direction_combo.currentData())
        parts = [TYPE_LABELS[kind], direction.value and self.direction_combo.currentText().lower(), when]
        self.header.set_icon(kind.value)
        self.header.set_texts(
            normalize_text(self.subject_edit.text()), " · ".join(p for p in parts if p), placeholder="New touchpoint"
        )

    def _check(self, record: TouchpointRecord) -> TouchpointRecord:
        return check_touchpoint(record)

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_type_changed(self) -> None:
        turnover = self.touchpoint_type() is TouchpointType.TURNOVER
        self.form.setRowVisible(self._amount_row, turnover)
        self._revalidate()

    @Slot(str)
    def _on_subject_edited(self, text: str) -> None:
        self._touch_required()
