"""Fixtures of the integration tests: the emulators on loopback (tests/emulators), imported by name."""

from tests.carddav.fixtures import (  # noqa: F401 - pytest finds fixtures by name
    carddav_phone,
    carddav_proxy,
    radicale,
    radicale_book,
    radicale_server,
)
from tests.emulators.fixtures import (  # noqa: F401 - pytest finds fixtures by name
    appcrm_server,
    cobra_server,
    deskera_server,
    imbox_server,
    kanbert_factory,
    kanbert_server,
)
