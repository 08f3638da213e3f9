"""A person's business cards seen as the flat contact most CRMs keep: lists of e-mails and phones, one address,
one position, a set of companies — read in a stable order and written back to the same places.

`..._of` reads a list across the cards (favourite card first, as the store keeps them; items in their order);
`with_...` writes a new list back positionally: the n-th value replaces the n-th item (keeping its type and card),
extra items are removed, new ones go to the favourite card (a new card when the person has none). So
``with_x(cards, x_of(cards))`` changes nothing, and a value the remote cannot hold is never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from crmdesk.domain.records import Address, AddressType, BusinessCardRecord, Email, EmailType, Phone, PhoneType

Cards = list[BusinessCardRecord]


def _slots(cards: Sequence[BusinessCardRecord], attr: str) -> list[tuple[int, int]]:
    return [(ci, ii) for ci, card in enumerate(cards) for ii in range(len(getattr(card, attr)))]


def _target(cards: Cards) -> int:
    """Index of the card new contact data goes to: the favourite (or first) non-private card, else a new one."""
    for i, card in enumerate(cards):
        if card.favourite and not card.private:
            return i
    for i, card in enumerate(cards):
        if not card.private:
            return i
    cards.append(BusinessCardRecord(favourite=not cards))
    return len(cards) - 1


def _set(cards: Cards, attr: str, ci: int, ii: int, item: object | None) -> None:
    items = getattr(cards[ci], attr)
    new = items[:ii] + items[ii + 1 :] if item is None else (*items[:ii], item, *items[ii + 1 :])
    cards[ci] = _with(cards[ci], attr, new)


def _with(card: BusinessCardRecord, attr: str, items: tuple[object, ...]) -> BusinessCardRecord:
    changes: dict[str, object] = {attr: items}
    return replace(card, **changes)  # type: ignore[arg-type]


def _write(cards: Cards, attr: str, new: Sequence[object], update: Callable[[object, object], object]) -> Cards:
    cards = list(cards)
    slots = _slots(cards, attr)
    for (ci, ii), value in zip(slots, new, strict=False):
        _set(cards, attr, ci, ii, update(getattr(cards[ci], attr)[ii], value))
    for ci, ii in reversed(slots[len(new) :]):
        _set(cards, attr, ci, ii, None)
    for value in new[len(slots) :]:
        ci = _target(cards)
        cards[ci] = _with(cards[ci], attr, (*getattr(cards[ci], attr), update(None, value)))
    return cards


# ---- e-mails ------------------------------------------------------------------------------------------------------


def emails_of(cards: Sequence[BusinessCardRecord]) -> tuple[str, ...]:
    return tuple(e.address for card in cards for e in card.emails)


def with_emails(cards: Sequence[BusinessCardRecord], new: Sequence[str]) -> Cards:
    def update(old: object, value: object) -> Email:
        if isinstance(old, Email):
            return old if old.address == value else replace(old, address=str(value))
        return Email(str(value), EmailType.WORK)

    return _write(list(cards), "emails", new, update)


# ---- phones -------------------------------------------------------------------------------------------------------

PhoneKinds = Mapping[PhoneType, str]
"""Local phone type → the remote's word for it (types missing map to the remote's "other")."""


def phones_of(cards: Sequence[BusinessCardRecord], kinds: PhoneKinds, other: str) -> tuple[tuple[str, str], ...]:
    """(remote kind, number) of every phone."""
    return tuple((kinds.get(p.type, other), p.number) for card in cards for p in card.phones)


def with_phones(
    cards: Sequence[BusinessCardRecord], new: Sequence[tuple[str, str]], kinds: PhoneKinds, other: str
) -> Cards:
    back = {v: k for k, v in kinds.items()}

    def update(old: object, value: object) -> Phone:
        assert isinstance(value, tuple)
        kind, number = str(value[0]), str(value[1])
        if isinstance(old, Phone):
            same_kind = kinds.get(old.type, other) == kind
            return replace(old, number=number, type=old.type if same_kind else back.get(kind, PhoneType.OTHER))
        return Phone(number, back.get(kind, PhoneType.OTHER))

    return _write(list(cards), "phones", new, update)


# ---- the first address --------------------------------------------------------------------------------------------


def address_of(cards: Sequence[BusinessCardRecord]) -> Address | None:
    for card in cards:
        if card.addresses:
            return card.addresses[0]
    return None


def with_address(cards: Sequence[BusinessCardRecord], address: Address | None) -> Cards:
    """The first address replaced by `address` (keeping its type and favourite mark), removed when None or empty."""
    cards = list(cards)
    for ci, card in enumerate(cards):
        if card.addresses:
            old = card.addresses[0]
            new = (
                None
                if address is None or address.is_empty()
                else replace(address, type=old.type, favourite=old.favourite)
            )
            _set(cards, "addresses", ci, 0, new)
            return cards
    if address is not None and not address.is_empty():
        ci = _target(cards)
        cards[ci] = replace(cards[ci], addresses=(*cards[ci].addresses, replace(address, type=AddressType.WORK)))
    return cards


# ---- position and companies ---------------------------------------------------------------------------------------


def position_of(cards: Sequence[BusinessCardRecord]) -> str:
    """The favourite card's position ("" when none)."""
    fav = next((c for c in cards if c.favourite), cards[0] if cards else None)
    return fav.position if fav else ""


def with_position(cards: Sequence[BusinessCardRecord], position: str) -> Cards:
    cards = list(cards)
    fav = next((i for i, c in enumerate(cards) if c.favourite), 0 if cards else None)
    if fav is None:
        if not position:
            return cards
        cards.append(BusinessCardRecord(favourite=True))
        fav = 0
    if cards[fav].position != position:
        cards[fav] = replace(cards[fav], position=position)
    return cards


def companies_of(cards: Sequence[BusinessCardRecord]) -> tuple[str, ...]:
    """Local ids of the companies the person works at (their non-private cards), in card order."""
    return tuple(c.company_id for c in cards if c.company_id and not c.private)


def with_companies(cards: Sequence[BusinessCardRecord], wanted: Sequence[str]) -> Cards:
    """Cards at exactly the companies in `wanted`: a card at a company no longer wanted keeps its contact data
    without the company (nothing is lost with a link); a new company gets a new card."""
    keep = set(wanted)
    out: Cards = []
    for card in cards:
        if card.company_id and not card.private and card.company_id not in keep:
            if card.emails or card.phones or card.addresses or card.position:
                out.append(replace(card, company_id=None, company_name=""))
            continue
        out.append(card)
    have = set(companies_of(out))
    for company_id in wanted:
        if company_id not in have:
            out.append(BusinessCardRecord(company_id=company_id, favourite=not out))
            have.add(company_id)
    return out


def without_empty(cards: Sequence[BusinessCardRecord]) -> tuple[BusinessCardRecord, ...]:
    """The cards that still say something (a company, a position or contact data)."""
    return tuple(
        c
        for c in cards
        if c.company_id or c.company_name or c.position or c.department or c.emails or c.phones or c.addresses
    )
