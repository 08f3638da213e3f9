"""The sync engine as a Hypothesis state machine (DESIGN §7, after vdirsyncer's SyncMachine).

Both sides create, edit and delete; syncs fail (offline, a create whose answer is lost, a crash between a push and
its commit). After each clean sync: both sides hold the same content, every value a merge did not keep sits in a
conflict row, a second sync changes nothing, and no delete beat an edit.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from crmdesk.domain.merge import loads
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.errors import MassDeleteStopped, RemoteUnavailable
from crmdesk.store import conflicts, links
from crmdesk.store.engine import Store
from crmdesk.sync.engine import _SimulatedCrash
from tests.unit.sync.memory import MemoryConnector
from tests.unit.sync.test_sync_engine import World

P = Entity.PERSON
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
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
        self.known_conflicts: set[str] = set()

    # ---- what each side has not delivered yet ----------------------------------------------------------------
    # A faulty sync may deliver some edits before it fails. An edit already delivered is history: a later change on
    # the other side is a newer edit, not a conflict, and a later delete is a legitimate delete.

    def _base(self, local_id: str) -> dict[str, object]:
        with self.world.store.read() as s:
            link = links.by_local(s, self.world.account.id, P, local_id)
        return dict(loads(link.base)) if link is not None and link.remote_id else {}

    def _local_pending(self, local_id: str) -> set[str]:
        base = self._base(local_id)
        fields = MemoryConnector(self.world.remote).project(self.world.person(local_id))
        return {k for k in set(base) | set(fields) if base.get(k) != fields.get(k)}

    def _remote_pending(self, local_id: str, remote_id: str) -> set[str]:
        base = self._base(local_id)
        fields = self.world.remote.records[P][remote_id].fields
        return {k for k in set(base) | set(fields) if base.get(k) != fields.get(k)}

    def _pair(self, data: st.DataObject) -> tuple[str, str]:
        return data.draw(st.sampled_from(self.pairs))

    # ---- local side ----------------------------------------------------------------------------------------

    @rule(first=VALUES, last=VALUES)
    def local_create(self, first: str, last: str) -> None:
        self.world.add_person(PersonRecord(first_name=first, last_name=last))

    @precondition(lambda self: self.pairs)
    @rule(data=st.data(), field=st.sampled_from(FIELDS), value=VALUES)
    def local_edit(self, data: st.DataObject, field: str, value: str) -> None:
        self._edit_local(self._pair(data), field, value)

    def _edit_local(self, pair: tuple[str, str], field: str, value: str) -> None:
        local_id, remote_id = pair
        current = self.world.person(local_id)
        if current.stamp.deleted_at is not None or getattr(current, field) == value:
            return  # a write that changes nothing is no edit
        if field not in self._remote_pending(local_id, remote_id):
            self.remote_edits.get(remote_id, {}).pop(field, None)
        self.world.edit_person(local_id, **{field: value})
        if field in self._local_pending(local_id):
            self.local_edits.setdefault(local_id, {})[field] = value
        else:  # back to the agreed value: no edit left to deliver
            self.local_edits.get(local_id, {}).pop(field, None)

    @precondition(lambda self: self.pairs)
    @rule(data=st.data())
    def local_delete(self, data: st.DataObject) -> None:
        local_id, remote_id = self._pair(data)
        if not self._remote_pending(local_id, remote_id):
            self.remote_edits.pop(remote_id, None)
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
        self._edit_remote(self._pair(data), field, value)

    def _edit_remote(self, pair: tuple[str, str], field: str, value: str) -> None:
        local_id, remote_id = pair
        stored = self.world.remote.records[P][remote_id]
        if stored.deleted or stored.fields.get(field) == value:
            return
        if self.world.person(local_id).stamp.deleted_at is None and field not in self._local_pending(local_id):
            self.local_edits.get(local_id, {}).pop(field, None)
        self.world.remote.edit(P, remote_id, **{field: value})
        if field in self._remote_pending(local_id, remote_id):
            self.remote_edits.setdefault(remote_id, {})[field] = value
        else:
            self.remote_edits.get(remote_id, {}).pop(field, None)

    @precondition(lambda self: self.pairs)
    @rule(data=st.data())
    def remote_delete(self, data: st.DataObject) -> None:
        local_id, remote_id = self._pair(data)
        if self.world.person(local_id).stamp.deleted_at is None and not self._local_pending(local_id):
            self.local_edits.pop(local_id, None)
        self.world.remote.remove(P, remote_id)
        self.remote_deleted.add(remote_id)
        self.remote_edits.pop(remote_id, None)

    @precondition(lambda self: self.pairs)
    @rule(data=st.data(), field=st.sampled_from(FIELDS), values=st.lists(VALUES, min_size=2, max_size=2, unique=True))
    def both_edit_one_field(self, data: st.DataObject, field: str, values: list[str]) -> None:
        """You and a colleague change the same field of one person to different values before the next sync."""
        pair = self._pair(data)
        self._edit_local(pair, field, values[0])
        self._edit_remote(pair, field, values[1])

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
        first = w.sync(allow_mass_delete=True)
        # Both sides hold the same content.
        local = {p.id: p for p in w.live_people().values()}
        remote = w.remote.live(P)
        assert len(local) == len(remote), (len(local), len(remote))
        with w.store.read() as s:
            linked = links.remote_ids(s, w.account.id, P)
            # conflicts found since the last clean sync (a faulty sync may have found some before it failed)
            new_conflicts = [c for c in conflicts.open_conflicts(s) if c.id not in self.known_conflicts]
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
                    assert lost.get((local_id, field)) == value, (field, value, theirs, lost, first.counts)
        # A second sync changes nothing.
        again = w.sync()
        assert again.of(P).total == 0, again
        # A stable order (Hypothesis replays draw by index): by remote id — local ids made in one millisecond are
        # ordered by their random bits.
        self.pairs = sorted(linked.items(), key=lambda pair: (len(pair[1]), pair[1]))
        self.local_edits.clear()
        self.remote_edits.clear()
        self.local_deleted.clear()
        self.remote_deleted.clear()
        self.known_conflicts |= {c.id for c in new_conflicts}

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
            max_examples=int(os.environ.get("CRMDESK_MACHINE_EXAMPLES", "30")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
