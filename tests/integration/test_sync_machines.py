"""The emulator-backed sync state machine (tests/integration/sync_machine.py), once per CRM driver.

CI runs the short profile: CRMDESK_MACHINE_EXAMPLES examples (default 6) of at most CRMDESK_MACHINE_STEPS steps
(default 20) per CRM, derandomized so a failure replays. Dig deeper with e.g. CRMDESK_MACHINE_EXAMPLES=40, and vary
the examples with `pytest --hypothesis-seed=N` (which turns derandomizing off).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from crmdesk.domain.records import PersonRecord
from crmdesk.errors import RemoteUnavailable
from crmdesk.store import people
from crmdesk.store.engine import Store, open_store
from tests.integration.drivers import MACHINE_DRIVERS, CrmDriver
from tests.integration.sync_machine import machine_for

EXAMPLES = int(os.environ.get("CRMDESK_MACHINE_EXAMPLES", "6"))
STEPS = int(os.environ.get("CRMDESK_MACHINE_STEPS", "20"))


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated, empty store file (checkpointed, so the file alone is the whole database)."""
    path = tmp_path_factory.mktemp("machine-template") / "crmdesk.sqlite3"
    store = open_store(path)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def make_store(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[Callable[[], Store]]:
    """Empty stores, each a copy of the template in its own folder; the machine closes each in its teardown."""

    def make() -> Store:
        path = tmp_path_factory.mktemp("machine-store") / "crmdesk.sqlite3"
        shutil.copyfile(template_db, path)
        return open_store(path)

    yield make


@pytest.mark.parametrize("driver_type", MACHINE_DRIVERS, ids=[d.name for d in MACHINE_DRIVERS])
def test_sync_machine_against_the_emulator(
    driver_type: Callable[[], CrmDriver], make_store: Callable[[], Store], request: pytest.FixtureRequest
) -> None:
    seeded = request.config.getoption("hypothesis_seed", None) is not None
    run_state_machine_as_test(
        machine_for(driver_type, make_store),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not seeded,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        ),
    )


def _twin_cases() -> list[object]:
    known = pytest.mark.xfail(
        reason="known bug: find_created matches a lost create by name and returns the linked twin first; the engine "
        "then sends the create again, so the person exists twice on both sides",
        raises=AssertionError,
        strict=True,
    )
    return [pytest.param(d, id=d.name, marks=[known] if d.twins_break_lost_creates else []) for d in MACHINE_DRIVERS]


@pytest.mark.parametrize("driver_type", _twin_cases())
def test_a_lost_create_is_not_doubled_when_a_linked_person_has_the_same_name(
    driver_type: Callable[[], CrmDriver], make_store: Callable[[], Store]
) -> None:
    """The machine's shrunk find on appcrm: start_with_people(here=[Ada Ada], there=[Ada Ada]), then a local
    "Ada Ada" whose POST answer is lost, then a clean sync → 4 people on each side instead of 3."""
    machine = machine_for(driver_type, make_store)()
    try:
        machine.remote_create("Ada", "Ada")
        machine.clean_sync()
        with machine.store.write() as s:
            twin, _ = people.create(s, PersonRecord(first_name="Ada", last_name="Ada"))
        machine.local_created.add(twin.id)
        faults = machine.driver.server.faults
        faults.lose_response(1, path=machine.driver.people_path, methods=["POST"])
        with pytest.raises(RemoteUnavailable):
            machine.sync()
        faults.reset()
        machine.clean_sync()
    finally:
        machine.teardown()
