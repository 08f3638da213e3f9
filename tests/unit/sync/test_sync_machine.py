"""The sync engine as a Hypothesis state machine (DESIGN §7, after vdirsyncer's SyncMachine).

Both sides create, edit and delete; syncs fail (offline, a create whose answer is lost, a crash between a push and
its commit). After each clean sync: both sides hold the same content, every value a merge did not keep sits in a
conflict row, a second sync changes nothing, and no delete beat an edit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import MassDeleteStopped, RemoteUnavailable
from crmdesk.store import conflicts, links
from crmdesk.store.engine import Store
from crmdesk.sync.engine import _SimulatedCrash
from tests.unit.sync.memory import MemoryConnector
from tests.unit.sync.test_sync_engine import World

P = Entity.PERSON
FIELDS = ("first_name", "last_name", "title")
VALUES = st.sampled_from(["Ada", "Bea", "Cem", "Dora", "Eli"])


class SyncMachine(RuleBasedStateMachine):
    make_store: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.world = World(type(self).make_store())
        # Since the last clean sync, per (local id, remote id) pair: the fields each side set, and deletions.
        self.pairs: list[tuple[str, str]] = []
        self.local_edits: dict[str, dict[str, str]] = {}
        self.remote_edits: dict[str, dict[str, str]] = {}
        self.local_deleted: set[str] = set()
        self.remote_deleted: set[str] = set()

    # ---- local side ----------------------------------------------------------------------------------------

    @rule(first=VALUES, last=VALUES)
    def local_create(self, first: str, last: str) -> None:
        self.world.add_person(PersonRecord(first_name=first, last_name=last))

    @precondition(lambda self: self.pairs)
    @rule(data=st.data(), field=st.sampled_from(FIELDS), value=VALUES)
    def local_edit(self, data: st.DataObject, field: str, value: str) -> None:
        local_id, _ = data.draw(st.sampled_from(self.pairs))
        current = self.world.person(local_id)
        if current.stamp.deleted_at is not None or getattr(current, field) == value:
            return  # a write that changes nothing is no edit
        self.world.edit_person(local_id, **{field: value})
        self.local_edits.setdefault(local_id, {})[field] = value

    @precondition(lambda self: self.pairs)
    @rule(data=st.data())
    def local_delete(self, data: st.DataObject) -> None:
        local_id, _ = data.draw(st.sampled_from(self.pairs))
        self.world.delete_person(local_id)
        self.local_deleted.add(local_id)
        self.local_edits.pop(local_id, None)  # deleted after all: the edit no longer counts

    # ---- remote side ---------------------------------------------------------------------------------------

    @rule(first=VALUES, last=VALUES)
    def remote_create(self, first: str, last: str) -> None:
        self.world.remote.put(P, {"first_name": first, "last_name": last})

    @precondition(lambda self: self.pairs)
    @rule(data=st.data(), field=st.sampled_from(FIELDS), value=VALUES)
    def remote_edit(self, data: st.DataObject, field: str, value: str) -> None:
        _, remote_id = data.draw(st.sampled_from(self.pairs))
        stored = self.world.remote.records[P][remote_id]
        if stored.deleted or stored.fields.get(field) == value:
            return
        self.world.remote.edit(P, remote_id, **{field: value})
        self.remote_edits.setdefault(remote_id, {})[field] = value

    @precondition(lambda self: self.pairs)
    @rule(data=st.data())
    def remote_delete(self, data: st.DataObject) -> None:
        _, remote_id = data.draw(st.sampled_from(self.pairs))
        self.world.remote.remove(P, remote_id)
        self.remote_deleted.add(remote_id)
        self.remote_edits.pop(remote_id, None)

    # ---- syncs -------------------------------------------------------------------------------------------------

    @rule(fault=st.sampled_from(["offline", "lose_create", "crash1", "crash2"]))
    def faulty_sync(self, fault: str) -> None:
        remote = self.world.remote
        if fault == "offline":
            remote.offline = True
        elif fault == "lose_create":
            remote.lose_next_create = 1
        try:
            self.world.sync(
                crash_after_push=int(fault[-1]) if fault.startswith("crash") else None, allow_mass_delete=True
            )
        except (RemoteUnavailable, _SimulatedCrash, MassDeleteStopped):
            pass
        finally:
            remote.offline = False
            remote.lose_next_create = 0

    @rule()
    def clean_sync(self) -> None:
        w = self.world
        with w.store.read() as s:
            open_before = {c.id for c in conflicts.open_conflicts(s)}
        w.sync(allow_mass_delete=True)
        # Both sides hold the same content.
        local = {p.id: p for p in w.live_people().values()}
        remote = w.remote.live(P)
        assert len(local) == len(remote), (len(local), len(remote))
        with w.store.read() as s:
            linked = links.remote_ids(s, w.account.id, P)
            new_conflicts = [c for c in conflicts.open_conflicts(s) if c.id not in open_before]
        connector = MemoryConnector(w.remote)
        for local_id, person in local.items():
            assert local_id in linked, "a live local record without a link"
            fields = connector.project(person)
            assert fields == remote[linked[local_id]], (fields, remote[linked[local_id]])
        # No delete beat an edit.
        for local_id, remote_id in self.pairs:
            if local_id in self.local_deleted and self.remote_edits.get(remote_id):
                assert local_id in local, "a remote edit lost to a local delete"
            if remote_id in self.remote_deleted and self.local_edits.get(local_id):
                assert remote_id in remote, "a local edit lost to a remote delete"
        # Every value a merge did not keep sits in a conflict row (remote wins: the local value is the loser).
        lost = {(c.local_id, c.field): c.local for c in new_conflicts}
        for local_id, remote_id in self.pairs:
            if local_id in self.local_deleted or remote_id in self.remote_deleted:
                continue
            for field, value in self.local_edits.get(local_id, {}).items():
                theirs = self.remote_edits.get(remote_id, {}).get(field)
                if theirs is not None and theirs != value:
                    assert lost.get((local_id, field)) == value, (field, value, theirs, lost)
        # A second sync changes nothing.
        again = w.sync()
        assert again.of(P).total == 0, again
        self.pairs = list(linked.items())
        self.local_edits.clear()
        self.remote_edits.clear()
        self.local_deleted.clear()
        self.remote_deleted.clear()

    @invariant()
    def nothing_doubled_remotely(self) -> None:
        ext = [r.external_id for r in self.world.remote.records[P].values() if r.external_id and not r.deleted]
        assert len(ext) == len(set(ext)), "a local record was created twice on the remote"


@pytest.mark.slow
def test_sync_machine(make_store: Callable[[], Store]) -> None:
    SyncMachine.make_store = staticmethod(make_store)  # type: ignore[assignment]
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
