"""Killing `crmdesk sync` with SIGKILL at random instants loses no edit and makes no duplicate (issue 4).

Each trial: the user edits some people here, a colleague edits some contacts on the server, a `crmdesk sync`
process starts and is killed at a random instant. At the end one clean sync runs, and then: the database passes
`PRAGMA integrity_check`, every edit made on either side is on both sides, and every local person exists exactly
once on the server. CI runs a few trials; CRMDESK_KILL_TRIALS=25 runs the long profile.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from crmdesk.context import Context
from crmdesk.domain.records import Entity, PersonRecord
from crmdesk.store import links, people
from tests.emulators.kanbert import KanbertEmulator

TRIALS = int(os.environ.get("CRMDESK_KILL_TRIALS", "4"))
ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.slow
def test_kill_9_during_sync_loses_nothing_and_doubles_nothing(
    tmp_path: Path, kanbert_factory: type[KanbertEmulator]
) -> None:
    server = kanbert_factory(seed=11)
    server.seed_people(150, companies=8)
    server.faults.latency = 0.004
    data = tmp_path / "kill"
    check(data, "account", "secret-store", "file")
    check(
        data,
        "account",
        "add",
        "Kanbert",
        "--kind",
        "kanbert",
        "--url",
        server.api_url,
        "--secret-env",
        "TOK",
        env={"TOK": server.token},
    )
    check(data, "sync")
    rnd = random.Random(1234)
    colleague = httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {server.token}"})
    expected_local: dict[str, str] = {}  # local id → title set here
    expected_remote: dict[str, str] = {}  # remote id → position set there (on a contact nobody edits here)
    created: list[str] = []
    kills = 0
    try:
        for trial in range(TRIALS):
            ctx = Context.open(data)
            try:
                with ctx.store.write() as s:
                    ids = sorted(links.remote_ids(s, _account(s), Entity.PERSON))
                    for local_id in rnd.sample(ids[:75], 8):
                        title = f"T{trial}-{rnd.randrange(1000)}"
                        people.update(s, people.get(s, local_id).replace(title=title))
                        expected_local[local_id] = title
                    new, _ = people.create(s, PersonRecord(first_name=f"New{trial}", last_name="Person"))
                    created.append(new.id)
                    remote_of = links.remote_ids(s, _account(s), Entity.PERSON)
            finally:
                ctx.close()
            for local_id in rnd.sample(ids[75:], 6):
                rid = remote_of[local_id]
                last = f"Remote{trial}-{rnd.randrange(1000)}"
                colleague.patch(f"/contacts/{rid}", json={"last_name": last}).raise_for_status()
                expected_remote[rid] = last
            proc = crmdesk(data, "sync")
            time.sleep(rnd.uniform(0.25, 1.6))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=60)
        check(data, "sync")
        out = check(data, "sync")
        assert "0 received, 0 sent" in out, out
    finally:
        colleague.close()
    assert kills >= max(1, TRIALS // 2), f"only {kills} of {TRIALS} runs were killed mid-sync"
    db = sqlite3.connect(data / "crmdesk.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    listing = _all_contacts(server)
    external = [c["external_id"] for c in listing if c["external_id"]]
    assert len(external) == len(set(external)), "a local person was created twice on the server"
    ctx = Context.open(data)
    try:
        with ctx.store.read() as s:
            remote_of = links.remote_ids(s, _account(s), Entity.PERSON)
            local = {p.id: p for p in people.get_many(s, list(remote_of))}
            live = int(s.scalar(text("SELECT count(*) FROM person WHERE deleted_at IS NULL")) or 0)
    finally:
        ctx.close()
    by_id = {c["id"]: c for c in listing}
    assert live == len(listing) == 150 + TRIALS
    for local_id, title in expected_local.items():
        assert local[local_id].title == title, "a local edit was lost"
        assert by_id[remote_of[local_id]]["title"] == title, "a local edit never reached the server"
    for local_id, rec in local.items():
        rid = remote_of[local_id]
        if rid in expected_remote:
            assert rec.last_name == expected_remote[rid], "a remote edit was lost"
    assert set(created) <= set(remote_of), "a new person never reached the server"


def _account(s: object) -> str:
    from sqlalchemy import select

    from crmdesk.store.schema import Account

    return str(s.scalar(select(Account.id)))  # type: ignore[attr-defined]


def _all_contacts(server: KanbertEmulator) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    with httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {server.token}"}) as c:
        cursor = None
        while True:
            params = {"page[size]": 100, **({"page[cursor]": cursor} if cursor else {})}
            body = c.get("/contacts", params=params).json()
            out.extend(body["data"])
            cursor = body["meta"]["next_cursor"]
            if not cursor:
                return out
