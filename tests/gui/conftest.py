"""Fixtures of the window tests."""

from __future__ import annotations

import pytest

from crmdesk.ui.sync import SyncController


@pytest.fixture(autouse=True)
def _no_network_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's real network backend stays out of the tests: a link going up would start runs by itself.

    Tests of "the network is back" call the controller's slot (or `watch_reachability`) themselves.
    """
    monkeypatch.setattr(SyncController, "watch_network", False)
