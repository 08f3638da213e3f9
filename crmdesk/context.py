"""Context: paths, settings and the store, built once at start-up and passed down (STYLE §1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crmdesk import paths, settings
from crmdesk.connectors.base import VCardCodec, plug_vcard_codec
from crmdesk.settings import Settings
from crmdesk.store.engine import DEFAULT_BUSY_TIMEOUT_MS, Store, open_store


@dataclass
class Context:
    """Everything a service call needs: the store and the settings."""

    store: Store
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        # CardDAV's wire format is the exchange layer's vCard codec; connectors sit below exchange, so the one
        # layer above both plugs it in.
        plug_vcard_codec(self._vcard_codec)

    def _vcard_codec(self) -> VCardCodec:
        from crmdesk.exchange.carddav_codec import ExchangeCodec  # on first use: not on the window's start-up path

        return ExchangeCodec(region=self.settings.default_region)

    @property
    def region(self) -> str:
        """Default region for phone numbers typed without a country code."""
        return self.settings.default_region

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        on_upgrade: Callable[[str], None] | None = None,
    ) -> Context:
        """Open the store and settings under `data_dir` (platform default when None); `on_upgrade` is told before
        an existing store's schema is upgraded (store.engine.open_store).

        Raises:
            StoreError: the database cannot be used; its message names the file and what to do.
        """
        if data_dir is not None:
            paths.set_data_dir(data_dir)
        store = open_store(paths.database_file(), busy_timeout_ms=busy_timeout_ms, on_upgrade=on_upgrade)
        return cls(store=store, settings=settings.load(paths.settings_file()))

    def close(self) -> None:
        self.store.close()
