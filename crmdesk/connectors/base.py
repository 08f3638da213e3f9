"""What every connector offers the sync engine: paging, sync fields both ways, creates, updates and deletes.

A connector imports neither Qt nor the store. It speaks in *sync fields* (crmdesk.domain.merge): a flat dict of
exactly what its remote can hold. References to other records are written into keys or string values as
``@<entity>:<id>`` — remote ids on the remote side, local ids on the local side; the engine translates them
through its links, so a connector never needs to know the other side's ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from crmdesk.domain.accounts import AccountKind
from crmdesk.domain.merge import Fields, Value
from crmdesk.domain.records import Entity, PersonRecord, Record
from crmdesk.errors import RemoteRejected

FULL_WALK = "full"
"""The cursor of a pull that reads everything every time (no change feed): the health panel says so."""

CURSOR_MORE = "\n"
"""A connector may keep more in a cursor after this (CardDAV: the address book's ctag); shown is what comes before."""


class VCardCodec(Protocol):
    """The vCard wire format of CardDAV: crmdesk.exchange implements it; no connector parses or writes vCards."""

    def read(self, text: str) -> PersonRecord:
        """The person a vCard describes (its unknown properties in `vcard_extra`).

        Raises:
            ValueError: the text is no vCard crmdesk can read (the message says why).
        """
        ...

    def write(self, person: PersonRecord) -> str:
        """The person as one vCard (CRLF, folded), UID from `vcard_uid` or the id."""
        ...


_codec_factory: Callable[[], VCardCodec] | None = None
_codec: VCardCodec | None = None


def plug_vcard_codec(factory: Callable[[], VCardCodec]) -> None:
    """Plug in how to make the vCard codec; it is made on first use (crmdesk.context plugs crmdesk.exchange's in,
    the layer above both — and lazily: the codec and vobject cost ~150 ms to import, CardDAV or not)."""
    global _codec_factory, _codec
    _codec_factory, _codec = factory, None


def vcard_codec() -> VCardCodec:
    """The plugged-in vCard codec."""
    global _codec
    if _codec is None:
        if _codec_factory is None:
            raise RuntimeError("no vCard codec: crmdesk.context plugs crmdesk.exchange's in")
        _codec = _codec_factory()
    return _codec


REF = re.compile(r"@(person|company|touchpoint):(.+)")


def ref(entity: Entity, record_id: str) -> str:
    """The reference form of a record id inside sync fields: ``@company:<id>``."""
    return f"@{entity.value}:{record_id}"


def parse_ref(text: str) -> tuple[Entity, str] | None:
    """(entity, id) of a reference, or None when `text` is none."""
    m = REF.fullmatch(text)
    return (Entity(m.group(1)), m.group(2)) if m else None


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """One remote record as a pull or a write saw it.

    Attributes:
        remote_id: The remote's id for it.
        version: What changes whenever the remote record does (etag, `updated_at`); "" when unknown.
        fields: Its sync fields, references as remote ids; None when the remote deleted it.
        external_id: The local id the remote keeps for us (Kanbert `external_id`), "" when none.
        updated_at: The remote's modification time, for the "newest wins" policy; None when unknown.
    """

    remote_id: str
    version: str
    fields: Fields | None
    external_id: str = ""
    updated_at: dt.datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.fields is None


@dataclass(frozen=True, slots=True)
class RemotePage:
    """A batch of a pull. `cursor`, once the page is applied, is where the next run starts; `complete` on the
    last page of a full listing says that every linked record missing from it was deleted remotely."""

    items: tuple[RemoteItem, ...]
    cursor: str | None = None
    complete: bool = False


class RemoteChanged(RemoteRejected):
    """A conditional write found the record changed there since it was read (HTTP 412 on If-Match): nothing was
    written. `current` is the record as it is now (None when it is gone), for a fresh three-way merge."""

    def __init__(self, message: str, *, current: RemoteItem | None) -> None:
        super().__init__(message, status=412)
        self.current = current


class Connector(Protocol):
    """The remote side of one account (DESIGN §7): paging, field mapping, the quirks of one API."""

    kind: AccountKind
    entities: tuple[Entity, ...]
    """Entities it syncs, in dependency order (companies before people, people before touchpoints)."""
    write_only: Mapping[Entity, tuple[str, ...]]
    """Per entity, prefixes of sync-field keys the remote accepts but never returns (ImBox contact e-mails and
    phones). A pulled record's values for them are the last ones agreed on (the link's base), so a pull never
    blanks them; empty for most remotes."""
    replaced_on_update: frozenset[Entity]
    """Entities whose `update` replaces the remote record with a new one (ImBox notes: deleted and created again).
    When such a push died before its local commit, the engine looks the new record up with `find_created` before
    the pull, so it is not taken for a stranger; empty for most remotes."""

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Remote changes since `cursor` (everything when None), page by page.

        Raises:
            RemoteError: the remote failed; pages already yielded stay valid.
        """
        ...

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        """Create a record; the local id goes along where the API keeps one (idempotent creates)."""
        ...

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        """The record an earlier, unconfirmed `create` of `local_id` holding `fields` may have made, or None.

        By the local id where the remote keeps one (Kanbert's external id); elsewhere by natural keys —
        normalised e-mail and name — on what `fields` (what the create sent, references as remote ids) says,
        passing over `taken`: remote ids already linked to other local records (a twin with the same name is
        another record, not the lost create).
        """
        ...

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        """Make the remote record hold `fields`; `old` is what it held before, so only changes are sent. `version` is
        the one `old` was read at, for remotes that write conditionally (CardDAV If-Match; RemoteChanged on a 412).
        """
        ...

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        """Delete a remote record (a missing record counts as deleted); `version` as for `update`."""
        ...

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        """Undo a remote delete where the API can (an edit beats a delete); None where it cannot."""
        ...

    def accepts(self, record: Record) -> bool:
        """Whether the remote can hold this local record at all (an ImBox note needs a person); a record it cannot
        hold is not sent and stays here only."""
        ...

    def project(self, record: Record) -> dict[str, Value]:
        """The sync fields of a local record: what this remote can hold of it (references as local ids)."""
        ...

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        """A local record holding `fields` (references as local ids), built on `record` so that everything this
        remote cannot hold stays as it was. `project(apply(r, f))` must equal `f` wherever the record model
        allows it; the engine pushes back the difference where it does not."""
        ...

    def probe(self) -> str:
        """One small request that proves URL and secret work; a line for the user ("Connected: …").

        Raises:
            SignInRequired, RemoteError: as for any request.
        """
        ...

    def label(self, field: str) -> str:
        """A field's name as the user reads it ("E-mail (private)")."""
        ...

    def close(self) -> None:
        """Release the HTTP client."""
        ...


def norm_text(value: Value) -> str:
    """A value as natural keys compare it: case-folded, inner white space collapsed ("" for none)."""
    return " ".join(str(value).split()).casefold() if isinstance(value, str) else ""


def same_keys(a: Fields, b: Fields, keys: tuple[str, ...]) -> bool:
    """Whether two records agree on every natural key in `keys` (normalised; at least one key must be set)."""
    return any(norm_text(a.get(k)) for k in keys) and all(norm_text(a.get(k)) == norm_text(b.get(k)) for k in keys)
