"""Tests for crmdesk.domain.normalize: text, names, phone numbers, e-mail addresses."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crmdesk.domain.normalize import (
    EmailError,
    PhoneError,
    _prepare_phone,
    format_phone,
    is_valid_email,
    normalize_email,
    normalize_name,
    normalize_notes,
    normalize_phone,
    normalize_text,
    phone_forms,
    phone_region,
    phone_search_terms,
    shown_phone,
)

REGIONS = ("DE", "CH", "AT", "US", "GB", "IT", "FR", "NL")
E164 = re.compile(r"\+[1-9]\d{1,14}(;ext=\d+)?")

# ---------------------------------------------------------------------------------------------------------------------
# Text and names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jürgen\u00a0\tMüller \n", "Jürgen Müller"),
        ("Zoe\u0308 \u00d8rsted", "Zoë Ørsted"),  # NFD → NFC
        ("a\r\n\r\nb", "a b"),
        ("\u2003\u2009x\u3000y\u202f", "x y"),  # em space, thin space, ideographic space, narrow NBSP
        ("", ""),
        (" \t\n ", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("name", ["van der Berg", "McDonald", "de la Cruz", "O'Brien", "DiCaprio", "ZOË", "Jürgen"])
def test_normalize_name_keeps_case(name: str) -> None:
    assert normalize_name(name) == name
    assert normalize_name(f"  {name}  ") == name


def test_normalize_name_composes_unicode() -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Ørsted")
    assert decomposed != "Zoë Ørsted"
    assert normalize_name(decomposed) == "Zoë Ørsted"
    assert normalize_name(unicodedata.normalize("NFD", "Jürgen  Müller")) == "Jürgen Müller"


@given(st.text())
@example("e\n\u0301")
@example(" \u0301x")
@example("\x1c\x1d\x1e\x1f\x85\u2028\u2029")
def test_normalize_text_properties(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert normalize_name(once) == once
    assert once == once.strip()
    assert not re.search(r"\s\s", once)
    assert all(c == " " or not c.isspace() for c in once)
    assert unicodedata.is_normalized("NFC", once)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\n\n  first  \r\n\r\n    indented\t\n\n", "  first\n\n    indented"),
        ("a\rb\u2028c", "a\nb\nc"),
        ("   \n \n", ""),
        ("Zoe\u0308", "Zoë"),
    ],
)
def test_normalize_notes(raw: str, expected: str) -> None:
    assert normalize_notes(raw) == expected


@given(st.text())
@example("\n\u0301")
@example("a \n\u0301")
def test_normalize_notes_idempotent(s: str) -> None:
    once = normalize_notes(s)
    assert normalize_notes(once) == once
    assert "\r" not in once
    assert not once.startswith("\n")
    assert not once.endswith("\n")
    assert all(line == line.rstrip() for line in once.split("\n"))


# ---------------------------------------------------------------------------------------------------------------------
# Phone numbers


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # Germany
        ("07531 12345", "DE", "+49753112345"),
        ("+49 7531 12345", "DE", "+49753112345"),
        ("+49 (0) 7531 12345", "DE", "+49753112345"),
        ("0049 7531 12345", "DE", "+49753112345"),
        ("+49-7531-12345", "CH", "+49753112345"),
        ("07531/12345", "DE", "+49753112345"),
        ("0171 1234567", "DE", "+491711234567"),
        ("0171 1234567 (privat)", "DE", "+491711234567"),
        ("Tel. 030 1234567", "DE", "+49301234567"),
        ("tel:+49-30-1234567", "DE", "+49301234567"),
        ("\u0660\u0667\u0665\u0663\u0661 \u0661\u0662\u0663\u0664\u0665", "DE", "+49753112345"),  # Arabic-Indic
        # Switzerland
        ("044 668 18 00", "CH", "+41446681800"),
        ("+41 44 668 18 00", "DE", "+41446681800"),
        ("0041 79 123 45 67", "DE", "+41791234567"),
        # United States
        ("(650) 253-0000", "US", "+16502530000"),
        ("+1 650 253 0000", "DE", "+16502530000"),
        ("011 49 7531 12345", "US", "+49753112345"),
        # Others
        ("+39 06 1234 5678", "DE", "+390612345678"),  # Italian leading zero is part of the number
        ("020 7946 0018", "GB", "+442079460018"),
        # Region given in lower case
        ("07531 12345", "de", "+49753112345"),
    ],
)
def test_normalize_phone(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region=region) == expected
    assert normalize_phone(expected, region=region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+49 7531 1234 ext. 5", "+4975311234;ext=5"),
        ("+49 7531 1234 x5", "+4975311234;ext=5"),
        ("+4975311234;ext=5", "+4975311234;ext=5"),
        ("tel:+49-7531-1234;ext=5", "+4975311234;ext=5"),
        ("07531 1234 Durchwahl 5", "+4975311234;ext=5"),
        ("07531 1234 DW 12", "+4975311234;ext=12"),
        ("07531 1234 App. 7", "+4975311234;ext=7"),
        ("+1 800 555 0199 x123", "+18005550199;ext=123"),
    ],
)
def test_normalize_phone_keeps_extension(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected
    assert normalize_phone(expected) == expected


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("12", "DE", "“12” is not a phone number"),
        ("+49 0000", "DE", "“+49 0000” is not a valid number for Germany"),
        ("+41 12 345 67 89", "DE", "“+41 12 345 67 89” is not a valid number for Switzerland"),
        ("+1 123 456 7890", "DE", "is not a valid number for United States"),
        ("abc", "DE", "“abc” is not a phone number"),
        ("", "DE", "empty"),
        ("   ", "DE", "empty"),
        ("+999 1234 5678", "DE", "unknown country code"),
        ("+49 1234567890123456", "DE", "too long"),
        ("+1 555 1234", "DE", "too short"),
        ("+49 7531 1234 Zentrale 5", "DE", "contains letters"),
        ("+49 7531 abc 1234", "DE", "contains letters"),
        ("0171 1234567 / 0171 7654321", "DE", "not a phone number"),
        ("07531 12345", "XX", "needs a country code"),
        ("+", "DE", "is not a phone number"),
    ],
)
def test_normalize_phone_rejects(raw: str, region: str, message: str) -> None:
    with pytest.raises(PhoneError, match=re.escape(message)):
        normalize_phone(raw, region=region)


def test_phone_error_is_value_error() -> None:
    assert issubclass(PhoneError, ValueError)


phone_like = st.builds(
    lambda plus, parts, ext: ("+" if plus else "") + " ".join(parts) + (f" ext. {ext}" if ext else ""),
    st.booleans(),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=6), min_size=1, max_size=5),
    st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=5)),
)


@settings(deadline=None, max_examples=300)
@given(phone_like, st.sampled_from(REGIONS))
@example("07531 12345", "DE")
@example("+49 07531 12345", "DE")
@example("0 0 0", "IT")
def test_normalize_phone_idempotent(raw: str, region: str) -> None:
    try:
        once = normalize_phone(raw, region=region)
    except PhoneError:
        return
    assert E164.fullmatch(once), once
    assert normalize_phone(once, region=region) == once
    # An E.164 number does not depend on the default region.
    assert normalize_phone(once, region="US") == once


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=6, max_size=12), st.sampled_from(REGIONS))
def test_normalize_phone_national_digits(digits: str, region: str) -> None:
    try:
        once = normalize_phone(digits, region=region)
    except PhoneError as exc:
        assert digits in str(exc)
        return
    assert normalize_phone(once, region=region) == once


@settings(deadline=None)
@given(st.text(max_size=40), st.sampled_from(REGIONS))
@example("\x00+49\x007531", "DE")
@example("x" * 300, "DE")
@example("1" * 300, "DE")
def test_phone_functions_never_fail_unexpectedly(raw: str, region: str) -> None:
    try:
        once = normalize_phone(raw, region=region)
    except PhoneError as exc:
        assert str(exc)
    else:
        assert normalize_phone(once, region=region) == once
    assert isinstance(format_phone(raw, region=region), str)
    assert re.fullmatch(r"(\d+( \d+)*)?", phone_search_terms(raw, region=region))


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("+49753112345", "DE", "07531 12345"),
        ("+49753112345", "CH", "+49 7531 12345"),
        ("+41446681800", "CH", "044 668 18 00"),
        ("+41446681800", "DE", "+41 44 668 18 00"),
        ("+16502530000", "US", "(650) 253-0000"),
        ("+16502530000", "DE", "+1 650-253-0000"),
        ("+4975311234;ext=5", "DE", "07531 1234 ext. 5"),
        ("+4966112", "DE", "+49 66112"),  # possible but unknown: no national form without its trunk prefix
        ("not a number", "DE", "not a number"),
        ("", "DE", ""),
    ],
)
def test_format_phone(number: str, region: str, expected: str) -> None:
    assert format_phone(number, region=region) == expected


@given(st.from_regex(r"\+[1-9][0-9]{1,14}(;ext=[0-9]{1,6})?", fullmatch=True))
def test_a_stored_number_needs_no_preparing(number: str) -> None:
    """Parsing skips `_prepare_phone` for a number as the store keeps it ("+4975311234", "+4975311234;ext=5"): it
    would not change it."""
    assert _prepare_phone(number) == number


@given(
    st.one_of(
        st.from_regex(r"\+[1-9][0-9]{1,14}(;ext=[0-9]{1,6})?", fullmatch=True),
        st.sampled_from(["+49753112345", "+41446681800", "+16502530000", "+4975311234;ext=5", "+4966112"]),
        st.sampled_from(["+390612345678", "+447911123456", "+33142685300", "+31201234567", "+436641234567"]),
        st.text(max_size=20),  # anything an import kept as it was
    ),
    st.sampled_from((*REGIONS, "ZZ", "de")),
)
def test_stored_forms_show_a_number_as_formatting_it_does(number: str, region: str) -> None:
    """A list shows a phone from the forms stored with it (`phone_forms`, region-free): the same text formatting the
    number in the reader's region gives, whichever region that is."""
    assert shown_phone(phone_forms(number), region=region) == format_phone(number, region=region)


def test_phone_forms_hold_both_forms_and_the_region() -> None:
    v = phonenumbers.__version__
    assert phone_forms("+49753112345") == f"\x1f{v}\x1f+49753112345\x1fDE\x1f07531 12345\x1f+49 7531 12345"
    # no national form where it is not known as valid
    assert phone_forms("+4966112") == f"\x1f{v}\x1f+4966112\x1fDE\x1f\x1f+49 66112"
    assert phone_forms("0711 123") == "0711 123"  # not as stored: formatted when shown, in the reader's region
    assert shown_phone("0711 1234567", region="DE") == "0711 1234567"
    assert shown_phone("a\x1fb\x1fc") == format_phone("a\x1fb\x1fc")  # only packed forms are read as forms
    assert phone_forms("") == shown_phone("") == ""


def test_forms_another_phonenumbers_made_are_not_trusted() -> None:
    """Forms carry the phonenumbers version that made them: after an update of its metadata (new ranges, new
    groupings) a stored number is shown as today's phonenumbers formats it, not as the old one did."""
    stale = phone_forms("+49753112345").replace(phonenumbers.__version__, "0.0.1").replace("07531 12345", "OLD")
    assert shown_phone(stale, region="DE") == "07531 12345"
    assert shown_phone(stale, region="CH") == "+49 7531 12345"


def test_phone_search_terms_german() -> None:
    terms = phone_search_terms("+49753112345").split()
    assert terms == ["49753112345", "753112345", "0753112345"]
    # What a user types finds it as a prefix of one of the terms.
    for typed in ("+49 7531", "07531 12", "753112"):
        digits = re.sub(r"\D", "", typed)
        assert any(t.startswith(digits) for t in terms), typed


def test_phone_search_terms_foreign_has_dialled_form() -> None:
    assert phone_search_terms("+41446681800", region="DE").split() == [
        "41446681800",
        "446681800",
        "0446681800",
        "0041446681800",
    ]


def test_phone_search_terms_leave_out_extension() -> None:
    assert phone_search_terms("+4975311234;ext=5") == "4975311234 75311234 075311234"


def test_phone_search_terms_unparseable_gives_digits() -> None:
    assert phone_search_terms("ask for Anna") == ""
    assert phone_search_terms("+") == ""


# ---------------------------------------------------------------------------------------------------------------------
# E-mail addresses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("anna@example.com", "anna@example.com"),
        ("  Anna.Meyer@Example.COM ", "Anna.Meyer@example.com"),  # local part keeps its case
        ("<anna@example.com>", "anna@example.com"),
        ("mailto:anna@example.com", "anna@example.com"),
        ("MAILTO:anna@example.com", "anna@example.com"),
        ("<mailto:anna@example.com>", "anna@example.com"),
        ("mailto:<anna@example.com>", "anna@example.com"),
        ("mailto:anna@example.com?subject=Hallo", "anna@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("Zoë@Ørsted.DK", "Zoë@ørsted.dk"),
        ("jürgen@müller.de", "jürgen@müller.de"),
        ("user@xn--mller-kva.de", "user@xn--mller-kva.de"),
        ("a@b.co", "a@b.co"),
        (unicodedata.normalize("NFD", "zoë@ørsted.dk"), "zoë@ørsted.dk"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected
    assert normalize_email(expected) == expected
    assert is_valid_email(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("anna@example", "“anna@example” has no top-level domain"),
        ("anna.example.com", "“anna.example.com” has no @"),
        ("", "empty"),
        ("mailto:", "empty"),
        ("<>", "empty"),
        ("a@b@example.com", "more than one @"),
        ("@example.com", "nothing before the @"),
        ("anna@", "no domain after the @"),
        ("anna @example.com", "contains a space"),
        ("anna@exam ple.com", "contains a space"),
        ("anna\t@example.com", "contains a space"),
        ("Anna Meyer <anna@example.com>", "contains a space"),
        ("anna@example.c", "top-level domain of one character"),
        ("anna@example.123", "ends in a number"),
        ("anna@192.168.0.1", "ends in a number"),
        ("anna@[192.168.0.1]", "in its domain"),
        ("anna@-example.com", "hyphen"),
        ("anna@example-.com", "hyphen"),
        ("anna@exam_ple.com", "“_” in its domain"),
        ("anna@example..com", "empty part in its domain"),
        ("anna@.example.com", "empty part in its domain"),
        ("anna@example.com.", "empty part in its domain"),
        ("anna..meyer@example.com", "misplaced dot"),
        (".anna@example.com", "misplaced dot"),
        ("anna.@example.com", "misplaced dot"),
        ('"anna"@example.com', '“"”'),
        ("an,na@example.com", "“,”"),
        ("anna<@example.com", "“<”"),
        ("anna@example.com>", "in its domain"),
        ("an\\na@example.com", "“\\”"),
        ("an(na)@example.com", "“(”"),
        ("anna\u200b@example.com", "invisible character (U+200B)"),
        ("anna\x00@example.com", "invisible character (U+0000)"),
        ("anna@exa\u200bmple.com", "in its domain"),
        ("x" * 65 + "@example.com", "more than 64 characters before the @"),
        ("anna@" + "a" * 64 + ".com", "longer than 63 characters"),
        ("anna@" + ".".join(["a" * 60] * 5) + ".com", "longer than 254 characters"),
        ("anna@example.com\r\nBcc: victim@example.org", "contains a space"),  # header injection
        ("anna@example.com%0ABcc:x@y.de", "more than one @"),
        ("anna@example.com%0A", "“%” in its domain"),
        ("javascript:alert(1)@x.de", "“:”"),
    ],
)
def test_normalize_email_rejects(raw: str, message: str) -> None:
    with pytest.raises(EmailError, match=re.escape(message)):
        normalize_email(raw)
    assert not is_valid_email(raw)


def test_email_error_is_value_error() -> None:
    assert issubclass(EmailError, ValueError)


@given(st.emails())
def test_normalize_email_accepts_generated_addresses(address: str) -> None:
    once = normalize_email(address)
    assert normalize_email(once) == once
    local, domain = once.split("@")
    assert local == address.split("@")[0]
    assert domain == domain.lower()


local_parts = st.text(
    alphabet=st.one_of(st.characters(categories=["L", "M", "N"]), st.sampled_from(".+-_'!#$%&*/=?^`{|}~\u00a0")),
    min_size=1,
    max_size=20,
)
labels = st.text(
    alphabet=st.one_of(st.characters(categories=["L", "M", "Nd"]), st.just("-")),
    min_size=1,
    max_size=10,
)


@given(
    local_parts,
    st.lists(labels, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["", " ", "<", "mailto:", "MailTo:<", "\n<mailto:"]),
    st.sampled_from(["", " ", ">", ">  ", "?subject=x"]),
)
@example("ANNA", "EXAMPLE.COM", "", "")
@example("a", "İSTANBUL.COM", "", "")
@example("a", "exa\u0301mple.com", "", "")
@example("a", "ǅ.ǈǋ", "", "")
def test_normalize_email_idempotent(local: str, domain: str, prefix: str, suffix: str) -> None:
    raw = f"{prefix}{local}@{domain}{suffix}"
    try:
        once = normalize_email(raw)
    except EmailError as exc:
        assert str(exc)
        return
    assert normalize_email(once) == once
    assert is_valid_email(once)
    assert len(once) <= 254
    assert once.count("@") == 1
    assert not any(c.isspace() for c in once)
    # a no-break space at the very start is surrounding whitespace, stripped like a space (inside, it is refused)
    assert once.split("@")[0] == unicodedata.normalize("NFC", local).lstrip()


@given(st.text())
def test_normalize_email_raises_only_email_error(raw: str) -> None:
    try:
        once = normalize_email(raw)
    except EmailError:
        return
    assert normalize_email(once) == once


@pytest.mark.parametrize(
    "prefix, expected",
    [
        ("Herr Dr.", ("Herr", "Dr.")),
        ("Dr.", ("", "Dr.")),
        ("Mrs", ("Mrs", "")),
        ("Prof. Dr. Frau", ("Frau", "Prof. Dr.")),
        ("dhr. ir.", ("dhr.", "ir.")),
        ("", ("", "")),
    ],
)
def test_split_name_prefix_is_one_rule_for_every_codec(prefix: str, expected: tuple[str, str]) -> None:
    from crmdesk.domain.normalize import split_name_prefix

    assert split_name_prefix(prefix) == expected


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("FR", "FR"),
        ("fr", "FR"),
        ("France", "FR"),
        ("Frankreich", "FR"),
        ("États-Unis", "US"),
        ("Etats-Unis", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("Vereinigte Staaten von Amerika", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("España", "ES"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("  japan ", "JP"),
        ("", "DE"),
        ("Atlantis", "DE"),
        ("XX", "DE"),  # not a region phonenumbers knows
    ],
)
def test_phone_region_reads_codes_and_names_in_several_languages(country: str, region: str) -> None:
    assert phone_region(country, "DE") == region
