"""Fixtures of the window tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from crmdesk.ui import style
from crmdesk.ui.sync import SyncController


@pytest.fixture(autouse=True)
def _no_network_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's real network backend stays out of the tests: a link going up would start runs by itself.

    Tests of "the network is back" call the controller's slot (or `watch_reachability`) themselves.
    """
    monkeypatch.setattr(SyncController, "watch_network", False)


@pytest.fixture
def app_look(qapp: QApplication) -> Iterator[QApplication]:
    """The app's own look (Fusion, its palette and stylesheet, `ui.style.apply`) for one test, then the plain one
    again for the others."""
    saved = (qapp.styleSheet(), qapp.palette(), qapp.style().name())
    style.apply(qapp)
    try:
        yield qapp
    finally:
        qapp.setStyleSheet(saved[0])
        qapp.setPalette(saved[1])
        qapp.setStyle(saved[2])
