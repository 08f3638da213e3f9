"""Tests for crmdesk.domain.favourites: the cobra People360 favourite rules (crm-apis/cobra.md §7.3)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmdesk.domain.favourites import (
    Favourable,
    add_card,
    add_item,
    fix_cards,
    fix_favourites,
    remove_card,
    remove_item,
    set_favourite,
    update_card,
    update_item,
)
from crmdesk.domain.records import Address, BusinessCardRecord, Email, Phone


def favs(items: Sequence[Favourable]) -> list[int]:
    """Positions of the favourites."""
    return [i for i, item in enumerate(items) if item.favourite]


def e(name: str, *, fav: bool = False) -> Email:
    return Email(f"{name}@example.com", favourite=fav)


def card(name: str, *, fav: bool = False) -> BusinessCardRecord:
    return BusinessCardRecord(id=name, company_name=name, favourite=fav)


# ---------------------------------------------------------------------------------------------------------------------
# Items: e-mails, phones, addresses


def test_add_item_appends() -> None:
    items = add_item((), e("a"))
    assert items == (e("a"),)
    assert favs(items) == []  # items (unlike cards) get no automatic favourite
    items = add_item(items, e("b"))
    assert [x.address for x in items] == ["a@example.com", "b@example.com"]


def test_add_favourite_item_clears_old_favourite() -> None:
    items = (e("a", fav=True), e("b"))
    new = add_item(items, e("c", fav=True))
    assert favs(new) == [2]
    assert items == (e("a", fav=True), e("b"))  # input untouched


def test_add_plain_item_keeps_favourite() -> None:
    assert favs(add_item((e("a"), e("b", fav=True)), e("c"))) == [1]


def test_update_item_to_favourite_clears_others() -> None:
    items = (e("a", fav=True), e("b"), e("c"))
    new = update_item(items, 2, e("c2", fav=True))
    assert favs(new) == [2]
    assert new[2].address == "c2@example.com"


def test_update_favourite_to_not_favourite_leaves_none() -> None:
    items = (e("a", fav=True), e("b"))
    assert favs(update_item(items, 0, e("a"))) == []


def test_update_other_item_keeps_favourite() -> None:
    items = (e("a", fav=True), e("b"))
    assert update_item(items, 1, e("b2")) == (e("a", fav=True), e("b2"))


def test_remove_favourite_with_one_left_promotes_it() -> None:
    assert remove_item((e("a", fav=True), e("b")), 0) == (e("b", fav=True),)
    assert remove_item((e("a"), e("b", fav=True)), 1) == (e("a", fav=True),)


def test_remove_favourite_with_several_left_promotes_none() -> None:
    assert favs(remove_item((e("a", fav=True), e("b"), e("c")), 0)) == []


def test_remove_other_item_keeps_favourite() -> None:
    assert remove_item((e("a", fav=True), e("b"), e("c")), 2) == (e("a", fav=True), e("b"))
    # Removing a non-favourite with one left does not promote either.
    assert remove_item((e("a"), e("b")), 0) == (e("b"),)


def test_remove_last_item() -> None:
    assert remove_item((e("a", fav=True),), 0) == ()


def test_set_favourite() -> None:
    items = (e("a", fav=True), e("b"), e("c"))
    assert favs(set_favourite(items, 1)) == [1]
    assert set_favourite(items, 0) == items


@pytest.mark.parametrize("index", [-1, 3, 99])
def test_bad_index_raises(index: int) -> None:
    items = (e("a"), e("b"), e("c"))
    with pytest.raises(IndexError):
        update_item(items, index, e("x"))
    with pytest.raises(IndexError):
        remove_item(items, index)
    with pytest.raises(IndexError):
        set_favourite(items, index)


def test_bad_index_on_empty_list() -> None:
    with pytest.raises(IndexError):
        remove_item((), 0)
    with pytest.raises(IndexError):
        set_favourite((), 0)


def test_fix_favourites_keeps_first() -> None:
    items = (e("a"), e("b", fav=True), e("c", fav=True))
    assert favs(fix_favourites(items)) == [1]
    assert fix_favourites((e("a"), e("b"))) == (e("a"), e("b"))
    assert fix_favourites([]) == ()


def test_works_for_phones_and_addresses() -> None:
    phones = add_item((Phone("+491", favourite=True),), Phone("+492", favourite=True))
    assert favs(phones) == [1]
    addresses = remove_item((Address(city="Konstanz", favourite=True), Address(city="Zürich")), 0)
    assert addresses == (Address(city="Zürich", favourite=True),)


@given(st.lists(st.builds(Phone, st.text(max_size=3), favourite=st.booleans())))
def test_fix_favourites_properties(items: list[Phone]) -> None:
    fixed = fix_favourites(items)
    assert len(favs(fixed)) <= 1
    assert [p.number for p in fixed] == [p.number for p in items]
    assert fix_favourites(fixed) == fixed
    if any(p.favourite for p in items):
        assert favs(fixed) == [favs(tuple(items))[0]]


# ---------------------------------------------------------------------------------------------------------------------
# Business cards


def test_first_card_becomes_favourite() -> None:
    cards = add_card((), card("a"))
    assert favs(cards) == [0]
    cards = add_card(cards, card("b"))
    assert favs(cards) == [0]


def test_new_card_becomes_favourite_when_none_is() -> None:
    assert favs(add_card((card("a"), card("b")), card("c"))) == [2]


def test_new_favourite_card_clears_old() -> None:
    assert favs(add_card((card("a", fav=True), card("b")), card("c", fav=True))) == [2]


def test_update_card_without_favourite_becomes_favourite() -> None:
    # cobra §7.3 rule 2: the person has no favourite and the updated card carries none → it becomes the favourite.
    assert favs(update_card((card("a"), card("b")), 1, card("b2"))) == [1]
    # Updating the favourite card as not-favourite keeps it the favourite while no other card is.
    assert favs(update_card((card("a", fav=True), card("b")), 0, card("a2"))) == [0]


def test_update_card_keeps_other_favourite() -> None:
    assert favs(update_card((card("a", fav=True), card("b")), 1, card("b2"))) == [0]
    assert favs(update_card((card("a", fav=True), card("b")), 1, card("b2", fav=True))) == [1]


def test_remove_card_promotion() -> None:
    assert favs(remove_card((card("a", fav=True), card("b")), 0)) == [0]
    assert favs(remove_card((card("a", fav=True), card("b"), card("c")), 0)) == []
    with pytest.raises(IndexError):
        remove_card((card("a"),), 1)
    with pytest.raises(IndexError):
        update_card((card("a"),), -1, card("b"))


def test_fix_cards_moves_favourite_first_and_fixes_lists() -> None:
    messy = BusinessCardRecord(
        id="c",
        favourite=True,
        emails=(e("x", fav=True), e("y", fav=True)),
        phones=(Phone("+491", favourite=True), Phone("+492", favourite=True)),
        addresses=(Address(city="A", favourite=True), Address(city="B", favourite=True)),
    )
    fixed = fix_cards((card("a"), card("b", fav=False), messy, card("d", fav=True)))
    assert [c.id for c in fixed] == ["c", "a", "b", "d"]
    assert favs(fixed) == [0]
    assert favs(fixed[0].emails) == [0]
    assert favs(fixed[0].phones) == [0]
    assert favs(fixed[0].addresses) == [0]


def test_fix_cards_picks_first_when_none_is_favourite() -> None:
    fixed = fix_cards((card("a"), card("b")))
    assert [c.id for c in fixed] == ["a", "b"]
    assert favs(fixed) == [0]
    assert fix_cards(()) == ()


cards_strategy = st.lists(
    st.builds(
        BusinessCardRecord,
        id=st.uuids().map(str),
        favourite=st.booleans(),
        emails=st.lists(st.builds(Email, st.just("a@b.de"), favourite=st.booleans()), max_size=3).map(tuple),
        phones=st.lists(st.builds(Phone, st.just("+491"), favourite=st.booleans()), max_size=3).map(tuple),
    ),
    max_size=5,
)


@given(cards_strategy)
def test_fix_cards_properties(cards: list[BusinessCardRecord]) -> None:
    fixed = fix_cards(cards)
    assert sorted(c.id for c in fixed) == sorted(c.id for c in cards)
    assert fix_cards(fixed) == fixed
    if cards:
        assert favs(fixed) == [0]
        first_fav = next((c for c in cards if c.favourite), cards[0])
        assert fixed[0].id == first_fav.id
        # The others keep their order.
        assert [c.id for c in fixed[1:]] == [c.id for c in cards if c.id != first_fav.id]
    for c in fixed:
        assert len(favs(c.emails)) <= 1
        assert len(favs(c.phones)) <= 1


# ---------------------------------------------------------------------------------------------------------------------
# State machines: any sequence of edits keeps the rules.

_names = (f"n{i}" for i in itertools.count())


class ItemMachine(RuleBasedStateMachine):
    """Edits a list of e-mails as the UI and the cobra emulator would."""

    def __init__(self) -> None:
        super().__init__()
        self.items: tuple[Email, ...] = ()

    @rule(fav=st.booleans())
    def add(self, fav: bool) -> None:
        before = favs(self.items)
        item = e(next(_names), fav=fav)
        self.items = add_item(self.items, item)
        assert self.items[-1] == item
        assert favs(self.items) == ([len(self.items) - 1] if fav else before)

    @precondition(lambda self: self.items)
    @rule(pick=st.integers(min_value=0), fav=st.booleans())
    def update(self, pick: int, fav: bool) -> None:
        index = pick % len(self.items)
        before = favs(self.items)
        item = e(next(_names), fav=fav)
        self.items = update_item(self.items, index, item)
        assert self.items[index] == item
        if fav:
            assert favs(self.items) == [index]
        else:  # the updated one is no favourite; others are as they were
            assert favs(self.items) == [i for i in before if i != index]

    @precondition(lambda self: self.items)
    @rule(pick=st.integers(min_value=0))
    def remove(self, pick: int) -> None:
        index = pick % len(self.items)
        old = self.items
        self.items = remove_item(self.items, index)
        assert len(self.items) == len(old) - 1
        assert [x.address for x in self.items] == [x.address for i, x in enumerate(old) if i != index]
        if old[index].favourite:
            # Promotion when exactly one other remains; otherwise no favourite.
            assert favs(self.items) == ([0] if len(self.items) == 1 else [])
        else:
            assert [x.favourite for x in self.items] == [x.favourite for i, x in enumerate(old) if i != index]

    @precondition(lambda self: self.items)
    @rule(pick=st.integers(min_value=0))
    def make_favourite(self, pick: int) -> None:
        index = pick % len(self.items)
        self.items = set_favourite(self.items, index)
        assert favs(self.items) == [index]

    @rule(pick=st.integers())
    def bad_index(self, pick: int) -> None:
        index = pick if pick < 0 else len(self.items) + pick
        with pytest.raises(IndexError):
            remove_item(self.items, index)

    @invariant()
    def at_most_one_favourite(self) -> None:
        assert len(favs(self.items)) <= 1
        assert fix_favourites(self.items) == self.items


class CardMachine(RuleBasedStateMachine):
    """Edits a person's business cards."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: tuple[BusinessCardRecord, ...] = ()

    @rule(fav=st.booleans())
    def add(self, fav: bool) -> None:
        had_favourite = bool(favs(self.cards))
        before = favs(self.cards)
        new = card(next(_names), fav=fav)
        self.cards = add_card(self.cards, new)
        assert self.cards[-1].id == new.id
        if fav or not had_favourite:  # an explicit favourite, or the first/only candidate
            assert favs(self.cards) == [len(self.cards) - 1]
        else:
            assert favs(self.cards) == before

    @precondition(lambda self: self.cards)
    @rule(pick=st.integers(min_value=0), fav=st.booleans())
    def update(self, pick: int, fav: bool) -> None:
        index = pick % len(self.cards)
        others = [i for i in favs(self.cards) if i != index]
        new = card(next(_names), fav=fav)
        self.cards = update_card(self.cards, index, new)
        assert self.cards[index].id == new.id
        assert favs(self.cards) == ([index] if fav or not others else others)

    @precondition(lambda self: self.cards)
    @rule(pick=st.integers(min_value=0))
    def remove(self, pick: int) -> None:
        index = pick % len(self.cards)
        old = self.cards
        self.cards = remove_card(self.cards, index)
        if old[index].favourite:
            assert favs(self.cards) == ([0] if len(self.cards) == 1 else [])
        else:
            assert favs(self.cards) == [i - (i > index) for i in favs(old)]

    @precondition(lambda self: self.cards)
    @rule(pick=st.integers(min_value=0))
    def make_favourite(self, pick: int) -> None:
        index = pick % len(self.cards)
        self.cards = set_favourite(self.cards, index)
        assert favs(self.cards) == [index]

    @rule()
    def normalise(self) -> None:
        fixed = fix_cards(self.cards)
        assert sorted(c.id for c in fixed) == sorted(c.id for c in self.cards)
        if self.cards:
            assert favs(fixed) == [0]
            fav = next((c for c in self.cards if c.favourite), self.cards[0])
            assert fixed[0].id == fav.id
        self.cards = fixed

    @invariant()
    def at_most_one_favourite(self) -> None:
        assert len(favs(self.cards)) <= 1


TestItemMachine = ItemMachine.TestCase
TestItemMachine.settings = settings(max_examples=200, stateful_step_count=30)
TestCardMachine = CardMachine.TestCase
TestCardMachine.settings = settings(max_examples=200, stateful_step_count=30)
