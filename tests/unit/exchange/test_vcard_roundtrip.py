"""Round trip of random people through vcard.write_card and vcard.read_cards (vCard 3.0 and 4.0).

For a normalised person p: vobject parses the card written, reading it gives a person of p's content hash (cards'
company_id set to None on both sides: the importer resolves companies by name), and writing that person again gives
the same text. Text is what real people type: umlauts, CJK, emoji, and the characters vCard escapes (``, ; \\``).
Left out: control characters other than tab and newline (vCard text cannot carry them; the reader drops them) and
addresses with every part empty (they hold nothing; the reader drops them).
"""

from __future__ import annotations

import dataclasses
import io
import string

import vobject
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmdesk.domain import validate
from crmdesk.domain.canonical import content_hash
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.errors import ValidationError
from crmdesk.exchange import vcard

_SPECIAL = ",;:\\\"'=<>.-_/()&@#+*!? \t"
_LETTERS = "abcxyzABCXYZäöüßÄÖÜéèçñøåÆłŁ€日本語中文한국어Ωπ"
_EMOJI = "😀🎉👩‍💻🇩🇪"
_TEXT = st.text(alphabet=st.sampled_from(_LETTERS + _SPECIAL + _EMOJI + "0123456789"), max_size=24)
_LINE = _TEXT.map(lambda t: t.replace("\t", " "))
_NAME = st.text(alphabet=st.sampled_from(_LETTERS + _EMOJI + " -.,;\\'"), min_size=1, max_size=16)
_MULTILINE = st.lists(_TEXT, max_size=4).map("\n".join)


def _emails() -> st.SearchStrategy[str]:
    local = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + "_%+-"), min_size=1, max_size=8)
    parts = st.lists(local, min_size=1, max_size=3).map(".".join)
    label = st.text(alphabet=st.sampled_from(string.ascii_lowercase + string.digits), min_size=1, max_size=8)
    domain = st.tuples(st.lists(label, min_size=1, max_size=2), st.sampled_from(["de", "com", "org", "ch", "com.au"]))
    return st.tuples(parts, domain).map(lambda t: f"{t[0]}@{'.'.join(t[1][0])}.{t[1][1]}")


_PHONE = st.one_of(
    st.integers(1_000_000, 9_999_999).map(lambda n: f"+49 30 {n}"),
    st.integers(1_000_000, 9_999_999).map(lambda n: f"+49 171 {n}"),
    st.integers(1_000_000, 9_999_999).map(lambda n: f"+41 44 {n}"),
    st.integers(1_000_000, 9_999_999).map(lambda n: f"+1 212 55{n % 100_000:05d}"),
    st.tuples(st.integers(1_000_000, 9_999_999), st.integers(1, 999)).map(lambda t: f"+49 30 {t[0]} ext. {t[1]}"),
)
_COUNTRY = st.sampled_from(["", "DE", "CH", "AT", "FR", "US", "GB", "JP", "Atlantis", "Nowhere Land"])

_EMAIL = st.builds(Email, _emails(), st.sampled_from(EmailType), st.booleans())
_PHONE_RECORD = st.builds(Phone, _PHONE, st.sampled_from(PhoneType), st.booleans())
_ADDRESS = st.builds(
    Address,
    street=_MULTILINE,
    postcode=_LINE,
    city=_LINE,
    region=_LINE,
    country=_COUNTRY,
    type=st.sampled_from(AddressType),
    favourite=st.booleans(),
)
_CARD = st.builds(
    BusinessCardRecord,
    company_id=st.none() | st.just("01900000-0000-7000-8000-00000000c0de"),
    company_name=_LINE,
    position=_LINE,
    department=_LINE,
    private=st.booleans(),
    favourite=st.booleans(),
    emails=st.lists(_EMAIL, max_size=3).map(tuple),
    phones=st.lists(_PHONE_RECORD, max_size=3).map(tuple),
    addresses=st.lists(_ADDRESS, max_size=2).map(tuple),
)
_BIRTHDAY = st.none() | st.builds(
    lambda y, m, d: Birthday(m, d, y),
    st.none() | st.integers(1900, 2100),
    st.integers(1, 12),
    st.integers(1, 28),
)
_IMAGE = st.tuples(
    st.sampled_from([b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a"]), st.binary(min_size=0, max_size=300)
).map(b"".join)
_PARAM = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + "-"), min_size=1, max_size=8)
_EXTRA = st.one_of(
    st.tuples(_PARAM, _LINE).map(lambda t: f"X-CRMTEST-{t[0]}:{vcard._esc(t[1])}"),
    st.tuples(_PARAM, _PARAM, _LINE).map(lambda t: f"X-{t[0]};TYPE={t[1]}:{vcard._esc(t[2])}"),
    _LINE.map(lambda t: f"NICKNAME:{vcard._esc(t)}"),
    st.tuples(st.integers(1, 30), _LINE).map(lambda t: f"item{t[0]}.X-ABRELATEDNAMES:{vcard._esc(t[1])}"),
    st.integers(1, 30).map(lambda n: f"item{n}.X-ABLabel:_$!<Spouse>!$_"),
    st.just("IMPP;X-SERVICE-TYPE=Skype:skype:anna"),
    st.just("TEL;TYPE=HOME:12"),  # a phone number that is none, kept as written
    st.just("EMAIL;TYPE=WORK:anna(at)example.com"),  # the same for an e-mail address
)
_SALUTATION = st.sampled_from(["", "Frau", "Herr", "Mr", "Mrs.", "Mme", "Sr.", "Exzellenz", "Sehr geehrte Frau"])
_TITLE = st.sampled_from(["", "Dr.", "Prof. Dr.", "Dipl.-Ing.", "Herr", "Ing. Mag."])

_PERSON = st.builds(
    PersonRecord,
    salutation=_SALUTATION,
    title=_TITLE,
    first_name=_NAME,
    middle_name=st.just("") | _NAME,
    last_name=st.just("") | _NAME,
    suffix=st.just("") | _NAME,
    gender=st.sampled_from(["", "female", "male", "diverse"]) | _LINE,
    birthday=_BIRTHDAY,
    notes=_MULTILINE,
    lifecycle=st.sampled_from(["", "lead", "customer"]),
    photo=st.none() | _IMAGE,
    tags=st.lists(_LINE, max_size=4).map(tuple),
    custom=st.lists(st.tuples(_LINE, _MULTILINE), max_size=2).map(tuple),
    cards=st.lists(_CARD, max_size=3).map(tuple),
    urls=st.lists(st.from_regex(r"https://[a-z]{1,8}\.(de|com)/[a-z0-9,;=%~_-]{0,12}", fullmatch=True), max_size=3).map(
        tuple
    ),
    vcard_uid=st.just("") | _LINE,
    vcard_extra=st.lists(_EXTRA, max_size=5).map(tuple),
)


def _normal(p: PersonRecord) -> PersonRecord:
    try:
        normal = validate.check_person(p)
    except ValidationError:
        assume(False)
        raise
    assume(not any(a.is_empty() for c in normal.cards for a in c.addresses))
    return normal


def _without_company_ids(p: PersonRecord) -> PersonRecord:
    return p.replace(cards=tuple(dataclasses.replace(c, company_id=None) for c in p.cards))


def _round_trip(p: PersonRecord, version: str) -> None:
    text = vcard.write_card(p, version=version)
    vobject.readOne(text)  # every other address book can read it
    (result,) = vcard.read_cards(io.BytesIO(text.encode("utf-8")), source="roundtrip.vcf")
    assert result.person is not None, result.error
    back = result.person
    assert content_hash(_without_company_ids(back)) == content_hash(_without_company_ids(p))
    assert vcard.write_card(back.replace(id=p.id), version=version) == text


# 150 examples a test in the "ci" profile (a few seconds); a deeper profile (HYPOTHESIS_PROFILE=thorough) digs deeper.
_EXAMPLES = max(150, settings.default.max_examples if settings.default is not None else 0)
_SETTINGS = settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@_SETTINGS
@given(_PERSON)
def test_round_trip_30(p: PersonRecord) -> None:
    _round_trip(_normal(p), "3.0")


@_SETTINGS
@given(_PERSON)
def test_round_trip_40(p: PersonRecord) -> None:
    _round_trip(_normal(p), "4.0")


@settings(max_examples=_EXAMPLES // 2)
@given(_PERSON)
def test_business_card_is_readable(p: PersonRecord) -> None:
    p = _normal(p)
    for version in ("3.0", "4.0"):
        text = vcard.write_business_card(p, version=version)
        vobject.readOne(text)
        (result,) = vcard.read_cards(io.BytesIO(text.encode("utf-8")), source="card.vcf")
        assert result.person is not None
        back = result.person
        assert (back.first_name, back.last_name) == (p.first_name, p.last_name)
        card = next((c for c in p.cards if not c.private), None)  # the favourite card, unless it is private
        assert {e.address for c in back.cards for e in c.emails} == (
            {e.address for e in card.emails} if card else set()
        )
        assert {ph.number for c in back.cards for ph in c.phones} == (
            {ph.number for ph in card.phones} if card else set()
        )
