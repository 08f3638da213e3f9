"""Sync benchmark (issue 4): Kanbert emulator with N contacts, crmdesk's sync beside a plain httpx loop.

    .venv/bin/python benchmarks/bench_sync.py [--people 10000] [--edits 1000]

The emulator runs in its own process (`python -m tests.emulators kanbert`), so server and client do not share a GIL.

1. Baseline: a plain httpx loop fetching the same pages an initial pull fetches (companies, then contacts with their
   companies, 100 a page), decoding the JSON and nothing else.
2. crmdesk: the initial pull into an empty store (mapping, normalising, merging, one transaction per record).
3. A no-change re-sync (goal < 1 s: incremental, it must not re-download everything).
4. 1,000 local edits pushed (one PATCH each).
5. The longest gap between ticks of a 10 ms QTimer on the GUI thread while a sync of 500 edits runs as a job of the
   window's JobRunner (goal < 50 ms).

Goals: initial pull ≤ 2× the plain loop; re-sync < 1 s; GUI stall < 50 ms. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _start_emulator(people: int) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators", "kanbert", "--port", "0", "--seed-people", str(people)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = token = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        words = line.split()
        for w in words:
            if w.startswith("http://") and w.rstrip("/").endswith("/api/v1"):
                url = w.rstrip("/")
        if "token" in line.lower() and words:
            token = words[-1]
        if "Ctrl+C" in line:
            break
    if not url or not token:
        proc.kill()
        raise SystemExit("the emulator did not say where it listens")
    return proc, url, token


def _plain_loop(url: str, token: str) -> tuple[float, int]:
    import httpx

    started = time.perf_counter()
    n = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for path, extra in (("/companies", {}), ("/contacts", {"include": "companies"})):
            cursor = None
            while True:
                params: dict[str, object] = {"page[size]": 100, "sort": "created_at", **extra}
                if cursor:
                    params["page[cursor]"] = cursor
                body = client.get(path, params=params).json()  # type: ignore[arg-type]
                n += len(body["data"])
                cursor = body["meta"]["next_cursor"]
                if not cursor:
                    break
    return time.perf_counter() - started, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--edits", type=int, default=1_000)
    args = ap.parse_args()

    from crmdesk.connectors.http import HttpClient
    from crmdesk.connectors.kanbert import KanbertConnector
    from crmdesk.domain.accounts import AccountRecord
    from crmdesk.domain.records import Entity
    from crmdesk.store import accounts, links, people
    from crmdesk.store.engine import open_store
    from crmdesk.sync.engine import SyncEngine

    t0 = time.perf_counter()
    proc, url, token = _start_emulator(args.people)
    print(f"emulator: {args.people:,} contacts seeded and serving in {time.perf_counter() - t0:.1f} s ({url})")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "bench.sqlite3")
            account = AccountRecord(name="Kanbert", base_url=url)
            with store.write() as s:
                accounts.save(s, account)

            def sync(**kwargs: object) -> tuple[float, object]:
                http = HttpClient(url, name="Kanbert", headers={"Authorization": f"Bearer {token}"}, secrets=(token,))
                with store.read() as s:
                    acc = accounts.get(s, account.id)
                started = time.perf_counter()
                report = SyncEngine(store, acc, KanbertConnector(http), **kwargs).run()  # type: ignore[arg-type]
                http.close()
                return time.perf_counter() - started, report

            base_s, n = _plain_loop(url, token)
            print(f"plain httpx loop:      {base_s:6.2f} s for {n:,} records ({n / base_s:,.0f}/s)")
            pull_s, report = sync()
            got = sum(c.created_local for c in report.counts.values())  # type: ignore[attr-defined]
            print(
                f"crmdesk initial pull:  {pull_s:6.2f} s for {got:,} records ({got / pull_s:,.0f}/s) = "
                f"{pull_s / base_s:.2f}× the plain loop (goal ≤ 2×)"
            )
            again_s, report = sync()
            print(
                f"no-change re-sync:     {again_s:6.2f} s, {report.requests} requests (goal < 1 s)"  # type: ignore[attr-defined]
            )
            with store.write() as s:
                ids = sorted(links.remote_ids(s, account.id, Entity.PERSON))[: args.edits]
                for i, pid in enumerate(ids):
                    people.update(s, people.get(s, pid).replace(title=f"Dr. {i}"))
            push_s, report = sync()
            sent = sum(c.updated_remote for c in report.counts.values())  # type: ignore[attr-defined]
            print(f"push {sent:,} local edits:  {push_s:6.2f} s ({sent / push_s:,.0f}/s)")
            stall = _gui_stall(store, account.id, url, token, edits=min(500, len(ids)))
            print(f"GUI longest stall:     {stall:.0f} ms during a sync of 500 edits (10 ms timer; goal < 50 ms)")
            store.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


def _gui_stall(store: object, account_id: str, url: str, token: str, *, edits: int) -> float:
    from _stall import longest_gap
    from PySide6.QtWidgets import QApplication

    from crmdesk.connectors.http import HttpClient
    from crmdesk.connectors.kanbert import KanbertConnector
    from crmdesk.domain.records import Entity
    from crmdesk.store import accounts, links, people
    from crmdesk.sync.engine import SyncEngine
    from crmdesk.ui.workers import JobRunner

    app = QApplication.instance() or QApplication([])
    runner = JobRunner()
    with store.write() as s:  # type: ignore[attr-defined]
        ids = sorted(links.remote_ids(s, account_id, Entity.PERSON))[:edits]
        for i, pid in enumerate(ids):
            people.update(s, people.get(s, pid).replace(title=f"Prof. {i}"))
    gc.collect()
    gc.freeze()  # as app.py does once the window is up
    sys.setswitchinterval(0.0002)

    def work(progress: object, cancel: object) -> object:
        http = HttpClient(url, name="Kanbert", headers={"Authorization": f"Bearer {token}"}, secrets=(token,))
        with store.read() as s:  # type: ignore[attr-defined]
            acc = accounts.get(s, account_id)
        try:
            return SyncEngine(store, acc, KanbertConnector(http), progress=progress, cancel=cancel).run()  # type: ignore[arg-type]
        finally:
            http.close()

    stall = longest_gap(runner, work)
    runner.general.waitForDone()
    gc.unfreeze()
    del app
    return stall


if __name__ == "__main__":
    raise SystemExit(main())
