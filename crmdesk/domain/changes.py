"""ChangeSet: what a write changed, so views refresh just those rows (STYLE §3.7)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from crmdesk.domain.records import Entity


class Kind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Entity type, kind and ids of one write; `related` names other entities whose rows may show stale data."""

    entity: Entity
    kind: Kind
    ids: frozenset[str]
    related: frozenset[Entity] = frozenset()

    @classmethod
    def of(cls, entity: Entity, kind: Kind, ids: Iterable[str], *, related: Iterable[Entity] = ()) -> ChangeSet:
        return cls(entity, kind, frozenset(ids), frozenset(related))

    def touches(self, entity: Entity) -> bool:
        return self.entity is entity or entity in self.related
