"""Tests for crmdesk.ui.undo: create, edit and delete through the undo stack, checked in the store after each step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Slot
from pytestqt.qtbot import QtBot

from crmdesk.context import Context
from crmdesk.domain.changes import ChangeSet, Kind
from crmdesk.domain.records import (
    BusinessCardRecord,
    CompanyRecord,
    Email,
    Entity,
    PersonRecord,
    TouchpointRecord,
)
from crmdesk.errors import NotFoundError, ValidationError
from crmdesk.store import companies, listing, people, touchpoints
from crmdesk.store.listing import ListQuery
from crmdesk.ui import ops
from crmdesk.ui.notices import ChangeHub
from crmdesk.ui.undo import EditHistory
from crmdesk.ui.workers import JobRunner

pytestmark = pytest.mark.gui


class Recorder(QObject):
    """Collects what a signal sends, in a @Slot like every receiver in crmdesk."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[object] = []

    @Slot(object)
    def record(self, item: object) -> None:
        self.items.append(item)


@pytest.fixture
def runner(qtbot: QtBot, ctx: Context) -> Iterator[JobRunner]:
    r = JobRunner()
    yield r
    qtbot.waitUntil(lambda: r.running() == 0, timeout=5000)
    assert r.shutdown()


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


@pytest.fixture
def changes(hub: ChangeHub) -> Recorder:
    recorder = Recorder()
    hub.changed.connect(recorder.record)
    return recorder


@pytest.fixture
def history(ctx: Context, runner: JobRunner, hub: ChangeHub) -> EditHistory:
    return EditHistory(ctx, runner, hub)


def _settle(qtbot: QtBot, history: EditHistory) -> None:
    qtbot.waitUntil(lambda: history.idle, timeout=5000)


def _stored_person(ctx: Context, person_id: str) -> PersonRecord | None:
    with ctx.store.read() as s:
        try:
            return people.get(s, person_id)
        except NotFoundError:
            return None


def _listed(ctx: Context, entity: Entity) -> list[str]:
    with ctx.store.read() as s:
        return [row.id for row in listing.page(s, ListQuery(entity))]


def _kinds(recorder: Recorder, entity: Entity) -> list[Kind]:
    return [c.kind for c in recorder.items if isinstance(c, ChangeSet) and c.entity is entity]


def test_create_edit_delete_and_their_undo_and_redo(
    qtbot: QtBot, ctx: Context, history: EditHistory, changes: Recorder
) -> None:
    saved = Recorder()
    history.saved.connect(saved.record)
    card = BusinessCardRecord(company_name="Brandt Maschinenbau GmbH", emails=(Email("ines@brandt-mb.de"),))
    ines = PersonRecord(first_name="Ines", last_name="Brandt", cards=(card,))
    stack = history.stack

    history.create(ines)
    assert history.busy
    _settle(qtbot, history)
    stored = _stored_person(ctx, ines.id)
    assert stored is not None and stored.cards[0].emails == card.emails
    assert stack.undoText() == "Add Ines Brandt"
    assert ines.id in _listed(ctx, Entity.PERSON)
    assert isinstance(saved.items[-1], ops.Written)

    stack.undo()  # the person is tombstoned and the listing no longer shows them
    _settle(qtbot, history)
    assert _stored_person(ctx, ines.id) is None
    with ctx.store.read() as s:
        assert people.get(s, ines.id, include_deleted=True).stamp.deleted_at is not None
    assert ines.id not in _listed(ctx, Entity.PERSON)
    assert stack.redoText() == "Add Ines Brandt"

    stack.redo()
    _settle(qtbot, history)
    assert _stored_person(ctx, ines.id) == stored
    assert ines.id in _listed(ctx, Entity.PERSON)

    edited = stored.replace(last_name="Brandt-Meyer", tags=("VIP",))
    history.edit(stored, edited)
    _settle(qtbot, history)
    assert stack.undoText() == "Edit Ines Brandt-Meyer"
    now = _stored_person(ctx, ines.id)
    assert now is not None and (now.last_name, now.tags) == ("Brandt-Meyer", ("VIP",))

    stack.undo()
    _settle(qtbot, history)
    assert _stored_person(ctx, ines.id) == stored

    stack.redo()
    _settle(qtbot, history)
    now = _stored_person(ctx, ines.id)
    assert now is not None and now.last_name == "Brandt-Meyer"
    assert now.cards == stored.cards  # card ids and contact data survive the round trips

    history.delete(Entity.PERSON, [now])
    _settle(qtbot, history)
    assert stack.undoText() == "Delete Ines Brandt-Meyer"
    assert _stored_person(ctx, ines.id) is None
    assert ines.id not in _listed(ctx, Entity.PERSON)

    stack.undo()
    _settle(qtbot, history)
    assert _stored_person(ctx, ines.id) == now
    assert ines.id in _listed(ctx, Entity.PERSON)

    kinds = _kinds(changes, Entity.PERSON)
    assert kinds == [
        Kind.CREATE,  # create
        Kind.DELETE,  # undo create
        Kind.CREATE,  # redo create (restore)
        Kind.UPDATE,  # edit
        Kind.UPDATE,  # undo edit
        Kind.UPDATE,  # redo edit
        Kind.DELETE,  # delete
        Kind.CREATE,  # undo delete (restore)
    ]
    assert all(ines.id in c.ids for c in changes.items if isinstance(c, ChangeSet) and c.entity is Entity.PERSON)
    assert len(saved.items) == len(kinds)


def test_several_records_are_deleted_as_one_step(qtbot: QtBot, ctx: Context, history: EditHistory) -> None:
    trio = [PersonRecord(first_name=name, last_name="Weber") for name in ("Jonas", "Lena", "Paul")]
    with ctx.store.write() as s:
        for person in trio:
            people.create(s, person)
    history.delete(Entity.PERSON, trio)
    _settle(qtbot, history)
    assert history.stack.undoText() == "Delete 3 people"
    assert _listed(ctx, Entity.PERSON) == []
    history.stack.undo()
    _settle(qtbot, history)
    assert sorted(_listed(ctx, Entity.PERSON)) == sorted(p.id for p in trio)


def test_companies_and_touchpoints_are_undoable_too(
    qtbot: QtBot, ctx: Context, history: EditHistory, changes: Recorder
) -> None:
    brandt = CompanyRecord(name="Brandt Maschinenbau GmbH")
    history.create(brandt)
    call = TouchpointRecord(subject="Follow-up on quote", company_id=brandt.id)
    history.create(call)  # queued behind the company: the writer runs jobs in order
    _settle(qtbot, history)
    assert history.stack.undoText() == "Add Follow-up on quote"
    with ctx.store.read() as s:
        assert touchpoints.get(s, call.id).company_id == brandt.id
        assert companies.get(s, brandt.id).name == "Brandt Maschinenbau GmbH"

    history.stack.undo()
    history.stack.undo()
    _settle(qtbot, history)
    assert _listed(ctx, Entity.TOUCHPOINT) == []
    assert _listed(ctx, Entity.COMPANY) == []
    assert _kinds(changes, Entity.COMPANY) == [Kind.CREATE, Kind.DELETE]
    assert _kinds(changes, Entity.TOUCHPOINT) == [Kind.CREATE, Kind.DELETE]


def test_a_failed_write_leaves_the_stack(qtbot: QtBot, ctx: Context, history: EditHistory, changes: Recorder) -> None:
    failures = Recorder()
    history.failed.connect(failures.record)
    jonas = PersonRecord(first_name="Jonas", last_name="Weber")
    history.create(jonas)
    _settle(qtbot, history)

    history.create(PersonRecord())  # no name: the store refuses it
    assert history.stack.count() == 2
    _settle(qtbot, history)
    assert len(failures.items) == 1
    assert isinstance(failures.items[0], ValidationError)
    assert history.stack.count() == 1
    assert history.stack.undoText() == "Add Jonas Weber"

    ghost = PersonRecord(first_name="Nobody", last_name="Here")  # never stored: the edit cannot happen
    history.edit(ghost, ghost.replace(last_name="There"))
    _settle(qtbot, history)
    assert isinstance(failures.items[-1], NotFoundError)
    assert history.stack.count() == 1
    assert history.stack.undoText() == "Add Jonas Weber"
    assert _kinds(changes, Entity.PERSON) == [Kind.CREATE]

    history.stack.undo()  # what is left still works
    _settle(qtbot, history)
    assert _stored_person(ctx, jonas.id) is None


def test_an_edit_keeps_the_id(history: EditHistory) -> None:
    with pytest.raises(ValueError, match="id"):
        history.edit(PersonRecord(first_name="A"), PersonRecord(first_name="B"))


def test_undo_and_redo_actions_follow_the_stack(qtbot: QtBot, history: EditHistory) -> None:
    parent = QObject()
    undo, redo = history.undo_action(parent), history.redo_action(parent)
    assert not undo.isEnabled()
    history.create(PersonRecord(first_name="Ines", last_name="Brandt"))
    _settle(qtbot, history)
    assert undo.isEnabled()
    assert undo.text() == "Undo Add Ines Brandt"
    assert undo.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [k.toString() for k in redo.shortcuts()]
    undo.trigger()
    _settle(qtbot, history)
    assert redo.text() == "Redo Add Ines Brandt"


def test_a_failure_under_later_steps_clears_the_stack(qtbot: QtBot, ctx: Context, history: EditHistory) -> None:
    failures = Recorder()
    history.failed.connect(failures.record)
    jonas = PersonRecord(first_name="Jonas", last_name="Weber")
    history.create(PersonRecord())  # fails, but only after the next step is on the stack
    history.create(jonas)
    _settle(qtbot, history)
    assert len(failures.items) == 1
    assert history.stack.count() == 0  # an undo could no longer be trusted
    assert _stored_person(ctx, jonas.id) is not None
