"""Killing `crmdesk sync` with SIGKILL at random instants loses no edit and makes no duplicate (issue 4), on every
CRM with a driver (tests/integration/drivers.py).

Each trial: the user edits some people here and adds one, a colleague edits some others on the server, a
`crmdesk sync` process starts and is killed at a random instant. At the end one clean sync runs, and then: the
database passes `PRAGMA integrity_check`, every edit made on either side is on both sides, every local person is
linked to exactly one remote person and the other way round (nobody was created twice). CI runs a few trials per
CRM (4 on Kanbert, 2 elsewhere); CRMDESK_KILL_TRIALS=25 runs the long profile on each. CardDAV runs too, against
the real Radicale behind the fault proxy, with a phone as the colleague.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind
from crmdesk.domain.records import Entity, PersonRecord, new_id
from crmdesk.store import conflicts, links, people
from crmdesk.store.engine import Store, open_store
from crmdesk.store.schema import Account
from crmdesk.sync.engine import _SimulatedCrash
from tests.emulators.appcrm import AppcrmEmulator
from tests.emulators.cobra import CobraEmulator
from tests.emulators.deskera import DeskeraEmulator
from tests.emulators.imbox import ImboxEmulator
from tests.emulators.kanbert import KanbertEmulator
from tests.integration.drivers import CARDDAV_PASSWORD, CARDDAV_USER, MACHINE_DRIVERS, CardDavDriver, CrmDriver
from tests.integration.sync_machine import machine_for

ROOT = Path(__file__).resolve().parents[2]
LOCAL_EDITS, REMOTE_EDITS = 8, 6
"""Per trial: people edited here (first name), and others a colleague edits there (last name)."""
ECHO_BUG = False
"""Known bug (test_a_newer_local_edit_beats_the_echo_of_a_killed_push): while the engine takes its own remote write
whose local commit was killed for a colleague's edit, each trial edits here only people no trial edited before."""


def seeded_people(n_trials: int) -> int:
    """People on the server before the first sync: 150, more when the trials need more people to edit here."""
    return max(150, 2 * LOCAL_EDITS * n_trials + 2 * REMOTE_EDITS)


EMULATORS = (KanbertEmulator, AppcrmEmulator, CobraEmulator, DeskeraEmulator, ImboxEmulator)
"""The emulators the drivers run; each seeds realistic people."""


def trials(driver_type: type[CrmDriver]) -> int:
    """Kill trials per CRM: CRMDESK_KILL_TRIALS, else 4 on Kanbert (the first CRM) and 2 on the others."""
    default = "4" if driver_type.kind is AccountKind.KANBERT else "2"
    return int(os.environ.get("CRMDESK_KILL_TRIALS", default))


def crmdesk(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crmdesk", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def check(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = crmdesk(data_dir, *args, env=env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def account_add(driver: CrmDriver) -> tuple[list[str], str]:
    """The `crmdesk account add` arguments for the driver's running emulator (as its `build()` prints them), and
    the secret to pass in the environment."""
    server = driver.server
    args = ["account", "add", driver.name, "--kind", driver.kind.value, "--url", server.api_url]
    if isinstance(driver, CardDavDriver):
        book = server.api_url.rstrip("/") + driver.people_path
        args += ["--option", f"user={CARDDAV_USER}", "--option", f"addressbook={book}"]
        secret = CARDDAV_PASSWORD
    elif isinstance(server, CobraEmulator):
        args += ["--option", f"tenant={server.tenant}", "--option", f"user={server.api_email}"]
        secret = server.api_key
    elif isinstance(server, ImboxEmulator):
        args += ["--option", f"user_id={server.user_id}"]
        secret = server.api_key
    else:
        assert isinstance(server, KanbertEmulator | AppcrmEmulator | DeskeraEmulator), server  # one token each
        secret = server.token
    return [*args, "--secret-env", "CRMDESK_TEST_SECRET"], secret


def wait_for_first_request(driver: CrmDriver, proc: subprocess.Popen[bytes]) -> float:
    """When (`time.monotonic()`) the emulator got the sync's first request; the process must not end before."""
    deadline = time.monotonic() + 60
    while not driver.server.requests():
        assert proc.poll() is None, f"crmdesk sync ended without a request: {proc.communicate()[1].decode()}"
        assert time.monotonic() < deadline, "crmdesk sync sent no request in 60 s"
        time.sleep(0.005)
    return time.monotonic()


@pytest.mark.slow
@pytest.mark.parametrize("driver_type", MACHINE_DRIVERS, ids=[d.name for d in MACHINE_DRIVERS])
def test_kill_9_during_sync_loses_nothing_and_doubles_nothing(tmp_path: Path, driver_type: type[CrmDriver]) -> None:
    n_trials = trials(driver_type)
    driver = driver_type()
    driver.start()
    try:
        server = driver.server
        if isinstance(driver, CardDavDriver):  # a phone fills the address book; the proxy slows every answer
            for i in range(seeded_people(n_trials)):
                driver.create_person(f"Seed{i}", f"Person{i}")
            driver.server.proxy.delay(0.004)
        else:
            assert isinstance(server, EMULATORS), server
            server.seed_people(seeded_people(n_trials), companies=8)
            server.faults.latency = 0.004
        _trials(tmp_path / "kill", driver, n_trials)
    finally:
        driver.stop()


def _trials(data: Path, driver: CrmDriver, n_trials: int) -> None:
    check(data, "account", "secret-store", "file")
    add, secret = account_add(driver)
    check(data, *add, env={"CRMDESK_TEST_SECRET": secret})
    # The first sync shows how long a sync talks to the server: the kills land in that span (a kill while the
    # process still starts up tests nothing).
    driver.server.clear_requests()
    proc = crmdesk(data, "sync")
    talking = wait_for_first_request(driver, proc)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    window = 0.9 * (time.monotonic() - talking)
    rnd = random.Random(1234)
    expected_local: dict[str, str] = {}  # local id → first name set here
    expected_remote: dict[str, str] = {}  # remote id → last name set there (on a person nobody edits here)
    created: list[str] = []
    kills = 0
    seeded = seeded_people(n_trials)
    half = seeded // 2
    for trial in range(n_trials):
        ctx = Context.open(data)
        try:
            with ctx.store.write() as s:
                ids = sorted(links.remote_ids(s, _account(s), Entity.PERSON))
                mine = [i for i in ids[:half] if not (ECHO_BUG and i in expected_local)]
                for local_id in rnd.sample(mine, LOCAL_EDITS):
                    first = f"T{trial}-{rnd.randrange(1000)}"
                    people.update(s, people.get(s, local_id).replace(first_name=first))
                    expected_local[local_id] = first
                new, _ = people.create(s, PersonRecord(first_name=f"New{trial}", last_name="Person"))
                created.append(new.id)
                remote_of = links.remote_ids(s, _account(s), Entity.PERSON)
        finally:
            ctx.close()
        for local_id in rnd.sample(ids[half:seeded], REMOTE_EDITS):
            rid = remote_of[local_id]
            last = f"Remote{trial}-{rnd.randrange(1000)}"
            driver.edit_person(rid, "last_name", last)
            expected_remote[rid] = last
        driver.server.clear_requests()
        proc = crmdesk(data, "sync")
        wait_for_first_request(driver, proc)
        time.sleep(rnd.uniform(0, window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
    try:
        check(data, "sync")
    except AssertionError as exc:
        try:
            found = _diagnosis(data, driver)
        except Exception as failed:  # the diagnosis must not hide the failure it describes
            found = f"(diagnosis failed: {failed!r})"
        raise AssertionError(f"{exc}\n{found}") from None
    out = check(data, "sync")
    assert "0 received, 0 sent" in out, out
    assert kills >= max(1, n_trials // 2), f"only {kills} of {n_trials} runs were killed mid-sync"
    db = sqlite3.connect(data / "crmdesk.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    remote_ids = driver.person_ids()
    ctx = Context.open(data)
    try:
        with ctx.store.read() as s:
            remote_of = links.remote_ids(s, _account(s), Entity.PERSON)
            local = {p.id: p for p in people.get_many(s, list(remote_of))}
            live = int(s.scalar(text("SELECT count(*) FROM person WHERE deleted_at IS NULL")) or 0)
    finally:
        ctx.close()
    assert len(remote_ids) == len(set(remote_ids))
    assert sorted(remote_of.values()) == sorted(remote_ids), "not one remote person per local person"
    assert live == len(remote_ids) == seeded + n_trials, "a person was created twice, or lost"
    for local_id, first in expected_local.items():
        assert local[local_id].first_name == first, "a local edit was lost"
        names = driver.person_names(remote_of[local_id])
        assert names is not None and names[0] == first, "a local edit never reached the server"
    for local_id, rec in local.items():
        rid = remote_of[local_id]
        if rid in expected_remote:
            assert rec.last_name == expected_remote[rid], "a remote edit was lost"
    assert set(created) <= set(remote_of), "a new person never reached the server"


def _diagnosis(data: Path, driver: CrmDriver) -> str:
    """What a failed final sync leaves to go on: the links a killed push left unconfirmed (`sent`) and every linked
    person whose remote record has no name, with both sides' state (an intermittent failure is read from this)."""
    lines: list[str] = []
    ctx = Context.open(data)
    try:
        with ctx.store.read() as s:
            acc = _account(s)
            remote_of = links.remote_ids(s, acc, Entity.PERSON)
            for local_id, rid in sorted(remote_of.items()):
                link = links.by_local(s, acc, Entity.PERSON, local_id)
                names = driver.person_names(rid)
                if link is None or (link.sent is None and names is not None and any(names)):
                    continue
                rec = people.get(s, local_id)
                lines.append(
                    f"{rec.display_name!r} ({local_id} ⇄ {rid}): remote names {names}, link base {link.base}, "
                    f"sent {link.sent}, base_seq {link.base_seq}, change_seq {rec.stamp.change_seq}"
                )
            for link in links.in_flight(s, acc, Entity.PERSON):
                lines.append(f"create in flight {link.local_id}: base {link.base}")
    finally:
        ctx.close()
    return "\n".join(lines) or "(no unconfirmed link, no nameless remote person)"


def _account(s: Session) -> str:
    return str(s.scalar(select(Account.id)))


def _stores(tmp_path: Path) -> Callable[[], Store]:
    def make() -> Store:
        return open_store(tmp_path / new_id() / "crmdesk.sqlite3")

    return make


@pytest.mark.parametrize("second_run", ["completes", "dies before its push goes out"])
@pytest.mark.parametrize("driver_type", MACHINE_DRIVERS, ids=[d.name for d in MACHINE_DRIVERS])
def test_a_newer_local_edit_beats_the_echo_of_a_killed_push(
    tmp_path: Path, driver_type: type[CrmDriver], second_run: str
) -> None:
    """The kill trials' finds, in process: Ada → Cem here, the sync sends Cem and dies before its local commit, then
    Cem → Dora here; the next sync must send Dora (no clash: Cem was crmdesk's own value) — also when a sync in
    between marked Dora as sent and died before sending it (found on cobra under load: the link kept only that last
    push, Cem looked like a colleague's edit, the clash went to the server's side and Dora was lost)."""
    machine = machine_for(driver_type, _stores(tmp_path))()
    try:
        remote_id = machine.driver.create_person("Ada", "Bea")
        machine.sync()
        with machine.store.write() as s:
            link = links.by_remote(s, machine.account.id, Entity.PERSON, remote_id)
            assert link is not None
            local_id = link.local_id
            people.update(s, people.get(s, local_id).replace(first_name="Cem"))
        with pytest.raises(_SimulatedCrash):
            machine.sync(crash_after_push=1)
        assert machine.driver.person_names(remote_id) == ("Cem", "Bea")  # sent, never committed here
        with machine.store.write() as s:
            people.update(s, people.get(s, local_id).replace(first_name="Dora"))
        if second_run != "completes":
            with pytest.raises(_SimulatedCrash):
                machine.sync(crash_before_push=1)
            assert machine.driver.person_names(remote_id) == ("Cem", "Bea")  # Dora never went out
        machine.sync()
        with machine.store.read() as s:
            clashes = [(c.field, c.local, c.remote) for c in conflicts.open_conflicts(s)]
        assert (machine.person(local_id).first_name, clashes) == ("Dora", [])
        assert machine.driver.person_names(remote_id) == ("Dora", "Bea")
    finally:
        machine.teardown()
