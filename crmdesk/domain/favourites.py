"""The favourite rules of cobra People360 (crm-apis/cobra.md §7.3, §8.3) as pure functions over tuples of records.

Every list of e-mails, phones, addresses and business cards has at most one favourite. The functions take a
sequence of frozen records and return a new tuple; the input is never changed. Indices are positions from 0 to
``len - 1``: negative indices are refused, so a Qt "no selection" row of -1 cannot remove the last item.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from crmdesk.domain.records import BusinessCardRecord

__all__ = [
    "Favourable",
    "add_card",
    "add_item",
    "fix_cards",
    "fix_favourites",
    "remove_card",
    "remove_item",
    "set_favourite",
    "update_card",
    "update_item",
]


class Favourable(Protocol):
    """A frozen dataclass with a `favourite` flag: Email, Phone, Address, BusinessCardRecord."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def favourite(self) -> bool: ...


T = TypeVar("T", bound=Favourable)


def _flagged(item: T, favourite: bool) -> T:
    """`item` with its favourite flag set to `favourite` (the same object when it already is)."""
    if item.favourite == favourite:
        return item
    return dataclasses.replace(item, favourite=favourite)


def _check_index(items: Sequence[object], index: int) -> None:
    if not 0 <= index < len(items):
        raise IndexError(f"index {index} is out of range for {len(items)} item(s)")


def _only_favourite(items: Sequence[T], index: int) -> tuple[T, ...]:
    """Items with the one at `index` the favourite and every other one not."""
    return tuple(_flagged(item, i == index) for i, item in enumerate(items))


def add_item(items: Sequence[T], item: T) -> tuple[T, ...]:
    """Append an item (cobra §7.3 rule 5).

    Args:
        items: The current list.
        item: The new item; if it is the favourite, the previous favourite loses its status.

    Returns:
        The new list, `item` last.
    """
    new = (*items, item)
    return _only_favourite(new, len(new) - 1) if item.favourite else new


def update_item(items: Sequence[T], index: int, item: T) -> tuple[T, ...]:
    """Replace the item at `index` (cobra §7.3 rule 6).

    If `item` is the favourite, the others lose their status. If the current favourite is replaced by an item that
    is not, the list has no favourite afterwards; no other item is promoted.

    Args:
        items: The current list.
        index: Position of the item to replace.
        item: The new value.

    Returns:
        The new list.

    Raises:
        IndexError: `index` is not a position in `items`.
    """
    _check_index(items, index)
    new = (*items[:index], item, *items[index + 1 :])
    return _only_favourite(new, index) if item.favourite else new


def remove_item(items: Sequence[T], index: int) -> tuple[T, ...]:
    """Remove the item at `index` (cobra §7.3 rule 7).

    If the removed item was the favourite and exactly one other item remains, that one becomes the favourite;
    otherwise no new favourite is chosen.

    Args:
        items: The current list.
        index: Position of the item to remove.

    Returns:
        The new list.

    Raises:
        IndexError: `index` is not a position in `items`.
    """
    _check_index(items, index)
    removed = items[index]
    new = (*items[:index], *items[index + 1 :])
    if removed.favourite and len(new) == 1:
        return (_flagged(new[0], True),)
    return new


def set_favourite(items: Sequence[T], index: int) -> tuple[T, ...]:
    """Make the item at `index` the only favourite.

    Args:
        items: The current list.
        index: Position of the new favourite.

    Returns:
        The new list.

    Raises:
        IndexError: `index` is not a position in `items`.
    """
    _check_index(items, index)
    return _only_favourite(items, index)


def fix_favourites(items: Sequence[T]) -> tuple[T, ...]:
    """Enforce "at most one favourite" on data from files, remotes or the UI.

    The first favourite keeps its status, later ones lose it; a list without a favourite stays without one.

    Args:
        items: Any list.

    Returns:
        The list with at most one favourite, in the same order.
    """
    first = next((i for i, item in enumerate(items) if item.favourite), None)
    return tuple(items) if first is None else _only_favourite(items, first)


# ---------------------------------------------------------------------------------------------------------------------
# Business cards: a person's first card, or a card added or updated while none is the favourite, becomes it.


def add_card(cards: Sequence[BusinessCardRecord], card: BusinessCardRecord) -> tuple[BusinessCardRecord, ...]:
    """Add a business card to a person's cards (cobra §7.3 rules 1 and 3).

    If `card` is the favourite, the previous favourite loses its status. If it is not and the person has no
    favourite card, the new card becomes the favourite, so a person's first card is always their favourite.

    Args:
        cards: The person's current cards.
        card: The new card.

    Returns:
        The new list, `card` last.
    """
    if not card.favourite and not any(c.favourite for c in cards):
        card = _flagged(card, True)
    return add_item(cards, card)


def update_card(
    cards: Sequence[BusinessCardRecord], index: int, card: BusinessCardRecord
) -> tuple[BusinessCardRecord, ...]:
    """Replace the business card at `index` (cobra §7.3 rules 2 and 3).

    If `card` is the favourite, the others lose their status. If it is not and no other card is the favourite,
    the updated card becomes (or stays) the favourite: a person with cards always has a favourite card after an
    update, and the favourite moves only by making another card the favourite.

    Args:
        cards: The person's current cards.
        index: Position of the card to replace.
        card: The new value.

    Returns:
        The new list.

    Raises:
        IndexError: `index` is not a position in `cards`.
    """
    _check_index(cards, index)
    if not card.favourite and not any(c.favourite for i, c in enumerate(cards) if i != index):
        card = _flagged(card, True)
    return update_item(cards, index, card)


def remove_card(cards: Sequence[BusinessCardRecord], index: int) -> tuple[BusinessCardRecord, ...]:
    """Remove the business card at `index` (cobra §7.3 rule 4, with the promotion of `remove_item`).

    If the removed card was the favourite and exactly one card remains, that one becomes the favourite; with more
    left the person has no favourite card until one is added, updated or set (`fix_cards` picks the first).

    Args:
        cards: The person's current cards.
        index: Position of the card to remove.

    Returns:
        The new list.

    Raises:
        IndexError: `index` is not a position in `cards`.
    """
    return remove_item(cards, index)


def fix_cards(cards: Sequence[BusinessCardRecord]) -> tuple[BusinessCardRecord, ...]:
    """Bring a person's cards into normal form: exactly one favourite (if any cards), favourite first.

    The first favourite keeps its status and later ones lose it; if there are cards but no favourite, the first
    card becomes the favourite. The favourite moves to the front, the others keep their order. Each card's
    e-mails, phones and addresses go through `fix_favourites`. Idempotent.

    Args:
        cards: Any list of cards.

    Returns:
        The normalised cards.
    """
    if not cards:
        return ()
    first = next((i for i, c in enumerate(cards) if c.favourite), 0)
    flagged = _only_favourite(cards, first)
    ordered = (flagged[first], *flagged[:first], *flagged[first + 1 :])
    return tuple(_fix_card_lists(card) for card in ordered)


def _fix_card_lists(card: BusinessCardRecord) -> BusinessCardRecord:
    emails, phones, addresses = fix_favourites(card.emails), fix_favourites(card.phones), fix_favourites(card.addresses)
    if (emails, phones, addresses) == (card.emails, card.phones, card.addresses):
        return card
    return dataclasses.replace(card, emails=emails, phones=phones, addresses=addresses)
