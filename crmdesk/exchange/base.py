"""What every codec hands the import service: one `CardResult` per card (or CSV row) read from a file.

Codecs (`vcard`, `csv`) turn bytes into records and records into text. They know nothing of the store: matching
a card to a person already stored, creating companies by name, batching and undo are `importer`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmdesk.domain.records import CompanyRecord, PersonRecord
from crmdesk.errors import UserError


@dataclass(frozen=True, slots=True)
class CardResult:
    """One card read from a file: a person, a company (a card that names only an organisation), or a rejection.

    `number` counts cards (or CSV data rows) from 1 in file order; `line` is the 1-based line of the file where
    the card begins. Exactly one of `person`, `company` and `error` is set. A person's business cards name their
    company by `company_name` only (`company_id` None): the importer finds or creates the company. `warnings`
    say what was kept differently than it was written (a phone that is no number kept verbatim, an unknown
    charset read as Latin-1, ...), one sentence each, without the card's number.
    """

    number: int
    line: int
    person: PersonRecord | None = None
    company: CompanyRecord | None = None
    error: str = ""
    warnings: tuple[str, ...] = ()
    name: str = ""  # of a rejected card, where it could be read (FN, N or ORG), for the report

    @property
    def rejected(self) -> bool:
        return bool(self.error)


class UnreadableFile(UserError):  # noqa: N818 - reads as what the user is told: the file is unreadable
    """The file as a whole is no vCard / CSV crmdesk can read (empty, binary, another format); the message names
    the file and says why."""
