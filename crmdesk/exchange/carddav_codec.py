"""The vCard codec the CardDAV connector uses for its wire format (crmdesk.connectors.carddav.VCardCodec)."""

from __future__ import annotations

import io

from crmdesk.domain.records import PersonRecord
from crmdesk.exchange.base import UnreadableFile
from crmdesk.exchange.vcard import read_cards, write_card


class ExchangeCodec:
    """vCard text ⇄ a person through crmdesk's own reader and writer (vCard 3.0 out, any version in)."""

    def __init__(self, *, region: str = "DE") -> None:
        self.region = region

    def read(self, text: str) -> PersonRecord:
        try:
            results = list(read_cards(io.BytesIO(text.encode("utf-8")), region=self.region, source="CardDAV"))
        except UnreadableFile as exc:
            raise ValueError(str(exc)) from None
        people = [r.person for r in results if r.person is not None]
        if len(results) != 1 or len(people) != 1:
            errors = "; ".join(r.error for r in results if r.error) or "not exactly one person's vCard"
            raise ValueError(errors)
        return people[0]

    def write(self, person: PersonRecord) -> str:
        return write_card(person)
