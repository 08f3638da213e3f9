"""Fixtures of the integration tests: the emulators on loopback (tests/emulators), imported by name."""

from tests.emulators.fixtures import kanbert_factory, kanbert_server  # noqa: F401 - pytest finds fixtures by name
