"""Fixtures of the integration tests: the emulators on loopback (tests/emulators), imported by name."""

from tests.emulators.fixtures import (  # noqa: F401 - pytest finds fixtures by name
    appcrm_server,
    cobra_server,
    deskera_server,
    imbox_server,
    kanbert_factory,
    kanbert_server,
)
