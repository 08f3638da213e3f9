"""MemoryConnector: a remote that lives in a dict, for engine tests (STYLE §8; vdirsyncer's memory storage).

It maps records with Kanbert's pure functions (the lossy flat contact shape), so the engine is tested against a
remote that cannot hold everything a local record has. Faults: a create whose answer is lost after the server
made it, and a remote that refuses a record.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from crmdesk.connectors import kanbert
from crmdesk.connectors.base import RemoteChanged, RemoteItem, RemotePage
from crmdesk.domain.accounts import AccountKind
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import Entity, Record
from crmdesk.errors import RemoteRejected, RemoteUnavailable


@dataclass
class Stored:
    fields: dict[str, Value]
    version: int
    external_id: str = ""
    deleted: bool = False


@dataclass
class MemoryRemote:
    """The server side: records by entity and id, a version clock, and fault switches."""

    records: dict[Entity, dict[str, Stored]] = field(default_factory=lambda: {Entity.PERSON: {}, Entity.COMPANY: {}})
    clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lose_next_create: int = 0
    refuse: set[str] = field(default_factory=set)  # first names the server refuses
    offline: bool = False
    races: dict[str, dict[str, Value]] = field(default_factory=dict)  # rid → a colleague's edit landing just
    # before our conditional write, which then fails with 412 (RemoteChanged), as CardDAV's If-Match does
    requests: int = 0

    def put(self, entity: Entity, fields: Fields, *, external_id: str = "") -> str:
        rid = f"{entity.value[0]}{next(self.ids)}"
        self.records[entity][rid] = Stored(clean(fields), next(self.clock), external_id)
        return rid

    def edit(self, entity: Entity, rid: str, **changes: Value) -> None:
        rec = self.records[entity][rid]
        rec.fields = clean({**rec.fields, **changes})
        rec.version = next(self.clock)

    def remove(self, entity: Entity, rid: str) -> None:
        rec = self.records[entity][rid]
        rec.deleted = True
        rec.version = next(self.clock)

    def live(self, entity: Entity) -> dict[str, dict[str, Value]]:
        return {rid: r.fields for rid, r in self.records[entity].items() if not r.deleted}


class MemoryConnector:
    kind = AccountKind.KANBERT
    entities: tuple[Entity, ...] = (Entity.COMPANY, Entity.PERSON)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(self, remote: MemoryRemote, *, page_size: int = 7) -> None:
        self.remote = remote
        self.page_size = page_size

    def _check(self) -> None:
        self.remote.requests += 1
        if self.remote.offline:
            raise RemoteUnavailable("memory: offline")

    def _item(self, rid: str, r: Stored) -> RemoteItem:
        return RemoteItem(rid, str(r.version), None if r.deleted else dict(r.fields), r.external_id)

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        self._check()
        since = int(cursor or 0)
        now = max((r.version for rs in self.remote.records.values() for r in rs.values()), default=0)
        items = [self._item(rid, r) for rid, r in self.remote.records[entity].items() if r.version > since]
        pages = [items[i : i + self.page_size] for i in range(0, len(items), self.page_size)] or [[]]
        for i, page in enumerate(pages):
            last = i == len(pages) - 1
            yield RemotePage(tuple(page), cursor=str(now) if last else None, complete=last and cursor is None)

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        self._check()
        if fields.get("first_name") in self.remote.refuse:
            raise RemoteRejected("memory: refused", status=422)
        for r in self.remote.records[entity].values():
            if r.external_id == local_id:
                raise RemoteRejected("memory: external id taken", status=422, problems={"external_id": "taken"})
        rid = self.remote.put(entity, fields, external_id=local_id)
        if self.remote.lose_next_create:
            self.remote.lose_next_create -= 1
            raise RemoteUnavailable("memory: answer lost", maybe_done=True)
        return self._item(rid, self.remote.records[entity][rid])

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        self._check()
        for rid, r in self.remote.records[entity].items():
            if r.external_id == local_id:
                return self._item(rid, r)
        return None

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        self._check()
        if fields.get("first_name") in self.remote.refuse:
            raise RemoteRejected("memory: refused", status=422)
        r = self.remote.records[entity][remote_id]
        race = self.remote.races.pop(remote_id, None)
        if race is not None:
            self.remote.edit(entity, remote_id, **race)
            raise RemoteChanged("memory: changed since read (412)", current=self._item(remote_id, r))
        changed = {k: fields.get(k) for k in set(fields) | set(old) if fields.get(k) != old.get(k)}
        r.fields = clean({**r.fields, **changed})
        r.version = next(self.remote.clock)
        return self._item(remote_id, r)

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        self._check()
        self.remote.remove(entity, remote_id)

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        self._check()
        r = self.remote.records[entity][remote_id]
        r.deleted = False
        r.version = next(self.remote.clock)
        return self._item(remote_id, r)

    def accepts(self, record: Record) -> bool:
        return True

    def project(self, record: Record) -> dict[str, Value]:
        return kanbert.KanbertConnector.project(self, record)  # type: ignore[arg-type]

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        return kanbert.KanbertConnector.apply(self, entity, record, fields)  # type: ignore[arg-type]

    def probe(self) -> str:
        self._check()
        return "Connected to memory."

    def label(self, field: str) -> str:
        return field

    def close(self) -> None:
        pass
