"""Normalisation of names, free text, phone numbers (E.164 via phonenumbers) and e-mail addresses (DESIGN §2)."""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberFormat, ValidationResult

from crmdesk.domain.countries import country_code

__all__ = [
    "EmailError",
    "PhoneError",
    "format_phone",
    "is_valid_email",
    "normalize_email",
    "normalize_name",
    "normalize_notes",
    "normalize_phone",
    "normalize_text",
    "phone_forms",
    "phone_search_terms",
    "shown_phone",
]

_WHITESPACE = re.compile(r"\s+")

# ---------------------------------------------------------------------------------------------------------------------
# Text


def normalize_text(s: str) -> str:
    """Normalise a one-line text field.

    Applies Unicode NFC, strips the ends and collapses every run of whitespace (spaces, tabs, newlines, no-break
    spaces and the other Unicode spaces) to one ASCII space. Idempotent.

    Args:
        s: Any text.

    Returns:
        The text on one line, e.g. ``"Jürgen  Müller\\n"`` → ``"Jürgen Müller"``.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", s)).strip()


def normalize_name(s: str) -> str:
    """Normalise a name part (first name, last name, salutation, ...).

    Like `normalize_text`; the case is never changed, since people write "van der Berg", "McDonald" or "DiCaprio"
    on purpose.

    Args:
        s: A name as typed or imported.

    Returns:
        The normalised name.
    """
    return normalize_text(s)


def normalize_notes(s: str) -> str:
    """Normalise multi-line free text (notes, bodies).

    Applies Unicode NFC, turns every line break (``\\r\\n``, ``\\r``, U+2028, ...) into ``\\n``, strips trailing
    whitespace from each line and drops blank lines at the start and end. Inner blank lines and indentation stay.
    Idempotent.

    Args:
        s: Any text.

    Returns:
        The normalised text.
    """
    lines = [line.rstrip() for line in unicodedata.normalize("NFC", s).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return unicodedata.normalize("NFC", "\n".join(lines))


# ---------------------------------------------------------------------------------------------------------------------
# Phone numbers


class PhoneError(ValueError):
    """A phone number that cannot be understood; the message is fit to show to a person."""


_EXT_SEPARATOR = ";ext="
_MAX_E164 = 15  # ITU-T E.164 §6.1: at most 15 digits, country code included

# German extension labels phonenumbers does not know; mapped to "ext." so "07531 1234 Durchwahl 5" keeps its
# extension instead of having "Durchwahl" read as vanity letters.
_GERMAN_EXTENSION = re.compile(
    r"(?i)\s*(?<![^\W\d_])(?:durchwahl|dw|apparat|app|nebenstelle|nst|intern|int)\b\.?:?\s*(?=\d+$)",
)
_TEL_SCHEME = re.compile(r"(?i)^tel:\s*")


def _country_name(country_code: int) -> str:
    """English name of the (main) country of a calling code: "Germany", or "+882" for non-geographic codes."""
    # geocoder loads half a second of data: only error messages need it, so start-up does not pay for it.
    from phonenumbers import geocoder

    region = phonenumbers.region_code_for_country_code(country_code)
    example = phonenumbers.example_number(region) if region in phonenumbers.SUPPORTED_REGIONS else None
    name = geocoder.country_name_for_number(example, "en") if example is not None else ""
    return name or f"+{country_code}"


@functools.lru_cache(maxsize=512)
def _general_patterns(country_code: int) -> tuple[re.Pattern[str], ...]:
    """The general national-number patterns of every region sharing `country_code` (e.g. +44: GB, GG, JE, IM)."""
    metadatas: list[PhoneMetadata | None] = []
    if country_code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        metadatas.append(PhoneMetadata.metadata_for_nongeo_region(country_code))
    metadatas.extend(
        PhoneMetadata.metadata_for_region(r) for r in phonenumbers.region_codes_for_country_code(country_code)
    )
    patterns: list[re.Pattern[str]] = []
    for metadata in metadatas:
        desc = metadata.general_desc if metadata is not None else None
        if desc is not None and desc.national_number_pattern:
            patterns.append(re.compile(desc.national_number_pattern))
    return tuple(patterns)


def _fits_numbering_plan(number: PhoneNumber) -> bool:
    """Whether the national number lies in the country's numbering plan at all.

    This is the broad "general" pattern of the plan, not the per-type patterns `is_valid_number` uses, so numbers
    from ranges opened after the metadata was made still pass while "+49 0000" does not.
    """
    patterns = _general_patterns(number.country_code or 0)
    if not patterns:
        return True  # no metadata: nothing to say against it
    nsn = phonenumbers.national_significant_number(number)
    return any(p.fullmatch(nsn) for p in patterns)


def _decimal_digits(s: str) -> str:
    """The decimal digits of `s` as ASCII (Arabic-Indic, full-width, ... digits included)."""
    return "".join(str(unicodedata.decimal(c)) for c in s if c.isdecimal())


def _prepare_phone(raw: str) -> str:
    """Normalise whitespace, drop a ``tel:`` scheme and words after the last digit, map German extension labels."""
    text = _TEL_SCHEME.sub("", normalize_text(raw))
    last_digit = max((i for i, c in enumerate(text) if c.isdecimal()), default=-1)
    text = text[: last_digit + 1]  # "0171 1234567 (privat)" → "0171 1234567"
    return _GERMAN_EXTENSION.sub(" ext. ", text)


def _has_letters_in_number(text: str, extension: str) -> bool:
    """Whether letters sit between the first and last digit of the number proper (the part before an extension).

    phonenumbers reads three or more letters as a vanity number ("0800 FLOWERS"); in an address book that is far
    more often a word that slipped in ("07531 1234 Zentrale 5"), which would silently become a different number.
    """
    end = len(text)
    if extension:
        # The extension's digits are the last len(extension) decimal digits of the text.
        remaining = len(extension)
        while end > 0 and remaining:
            end -= 1
            if text[end].isdecimal():
                remaining -= 1
    body = text[:end]
    first = next((i for i, c in enumerate(body) if c.isdecimal() or c == "+"), len(body))
    last = max((i for i, c in enumerate(body) if c.isdecimal()), default=-1)
    return any(c.isalpha() for c in body[first : last + 1])


def _parse_phone(raw: str, region: str) -> PhoneNumber:
    """Parse and check a phone number; see `normalize_phone`."""
    shown = normalize_text(raw)
    if not shown:
        raise PhoneError("The phone number is empty")
    text = _prepare_phone(raw)
    if not any(c.isdecimal() for c in text):
        raise PhoneError(f"“{shown}” is not a phone number")
    try:
        number = phonenumbers.parse(text, region.upper())
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            if text.startswith("+") or text.startswith("00"):
                raise PhoneError(f"“{shown}” has an unknown country code") from None
            raise PhoneError(f"“{shown}” needs a country code (start it with +)") from None
        if exc.error_type == NumberParseException.TOO_LONG:
            raise PhoneError(f"“{shown}” is not a phone number (too long)") from None
        if exc.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            raise PhoneError(f"“{shown}” is not a phone number (too short)") from None
        raise PhoneError(f"“{shown}” is not a phone number") from None
    if _has_letters_in_number(text, number.extension or ""):
        raise PhoneError(f"“{shown}” contains letters; please write the number in digits")
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise PhoneError(f"“{shown}” is not a phone number (too short — is the area code missing?)")
    if reason == ValidationResult.TOO_SHORT:
        raise PhoneError(f"“{shown}” is not a phone number (too short)")
    if (
        reason == ValidationResult.TOO_LONG
        or len(f"{number.country_code}{phonenumbers.national_significant_number(number)}") > _MAX_E164
    ):
        raise PhoneError(f"“{shown}” is not a phone number (too long)")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise PhoneError(f"“{shown}” has an unknown country code")
    # The country's name only for a message: looking it up costs a third of parsing a good number.
    if reason == ValidationResult.INVALID_LENGTH:
        country = _country_name(number.country_code or 0)
        raise PhoneError(f"“{shown}” is not a valid number for {country} (wrong number of digits)")
    if reason != ValidationResult.IS_POSSIBLE or not _fits_numbering_plan(number):
        raise PhoneError(f"“{shown}” is not a valid number for {_country_name(number.country_code or 0)}")
    return number


def normalize_phone(raw: str, *, region: str = "DE") -> str:
    """Normalise a phone number to E.164, keeping an extension.

    The number is parsed by phonenumbers with `region` as the default for numbers written without a country code.
    It must be a *possible* number (right length, at most 15 digits with the country code as E.164 allows; a
    number without its area code is refused) that fits the country's general numbering plan; the stricter
    `is_valid_number` is not used, so new number ranges are not rejected.

    Accepted besides the usual national and international forms: a ``tel:`` prefix, words after the last digit
    ("0171 1234567 (privat)"), and an extension written as ``ext. 5``, ``x5``, ``;ext=5`` or the German
    ``Durchwahl 5`` / ``DW 5`` / ``App. 5``. Letters inside the number are rejected rather than read as a
    vanity number, so a stray word cannot silently turn into digits.

    The result is E.164, plus ``;ext=`` and the extension digits when there is one (the RFC 3966 parameter):
    ``"+49 7531 1234 ext. 5"`` → ``"+4975311234;ext=5"``. Idempotent.

    Args:
        raw: The number as typed or imported.
        region: ISO 3166-1 alpha-2 code of the country assumed for numbers without a country code.

    Returns:
        The E.164 form, with ``;ext=<digits>`` when the input had an extension.

    Raises:
        PhoneError: The text is no phone number, or not a possible one; the message says why, e.g.
            "“12” is not a phone number (too short — is the area code missing?)" or
            "“+49 0000” is not a valid number for Germany".
    """
    known = _NORMALIZED_PHONES.get((raw, region))
    if known is not None:
        return known
    number = _parse_phone(raw, region)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    extension = _decimal_digits(number.extension or "")
    result = f"{e164}{_EXT_SEPARATOR}{extension}" if extension else e164
    if len(_NORMALIZED_PHONES) >= _NORMALIZED_PHONES_MAX:
        _NORMALIZED_PHONES.clear()
    # The result is itself a good number (normalising is idempotent): checking a record right after normalising
    # it (validate.check_person, for every card of an import) then parses each number once, not twice.
    _NORMALIZED_PHONES[(raw, region)] = result
    _NORMALIZED_PHONES[(result, region)] = result
    return result


# (text, region) → normalised number, for numbers that parsed; bounded, and cleared when full. A dict's get and
# set are atomic under the GIL, so threads may share it.
_NORMALIZED_PHONES: dict[tuple[str, str], str] = {}
_NORMALIZED_PHONES_MAX = 20_000


def _lenient_parse(number: str, region: str) -> PhoneNumber | None:
    """Parse without judging the number; None where phonenumbers cannot parse it at all."""
    try:
        # A number as stored (_E164) skips the preparing, which would not change it: a tenth of formatting one.
        text = number if _E164.fullmatch(number) else _prepare_phone(number)
        return phonenumbers.parse(text, region.upper())
    except NumberParseException:
        return None


def _region_of(number: PhoneNumber) -> str:
    """The region a number belongs to, or the main region of its country code when it is no valid number."""
    return phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code or 0
    )


def format_phone(number: str, *, region: str = "DE") -> str:
    """Format a (normalised) phone number for display.

    Numbers of the user's own `region` are shown in national format ("07531 1234"), others in international format
    ("+41 44 668 18 00"); an extension is shown as " ext. 5". Text that cannot be parsed is returned unchanged.
    Never raises.

    Args:
        number: A phone number, usually as stored (E.164, perhaps with ``;ext=``).
        region: ISO 3166-1 alpha-2 code of the user's own country.

    Returns:
        The number formatted for display, or `number` itself.
    """
    parsed = _lenient_parse(number, region)
    if parsed is None:
        return number
    # The national format of a number phonenumbers does not know as valid can lack the trunk prefix ("66112" for
    # +4966112), so such numbers are shown internationally. The region first: it is a lookup for most country
    # codes, where the validity check matches the number against its region's patterns (a fifth of the time).
    national = _region_of(parsed) == region.upper() and phonenumbers.is_valid_number(parsed)
    return phonenumbers.format_number(
        parsed, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )


# Separates the parts of phone_forms' answer: a control character no phone number's text holds.
_FORMS_SEP = "\x1f"
# The metadata the forms were made with: phonenumbers' own version (new number ranges, new groupings).
_METADATA = getattr(phonenumbers, "__version__", "")


def phone_forms(number: str) -> str:
    """How `format_phone` shows a stored number in any region, worked out once when the number is stored.

    Formatting a number costs ~25 µs — the largest part of painting a page of new rows in a table — while the
    choice between its two forms is one comparison. For a number in E.164 (as `normalize_phone` stores it) the
    answer packs, each after a U+001F: the phonenumbers version that made it, the number, its region, its national
    form (empty when phonenumbers does not know it as valid) and its international form. Anything else (text
    kept as imported) is returned unchanged, and `shown_phone` formats it when it is shown, in the reader's
    region — as it does forms another phonenumbers version made, whose metadata may differ from today's.

    Args:
        number: A phone number as stored.

    Returns:
        The packed forms for `shown_phone`, or `number` itself.
    """
    if not _E164.fullmatch(number):
        return number
    parsed = _lenient_parse(number, "ZZ")  # an E.164 number names its country: no region is involved
    if parsed is None:
        return number
    national = (
        phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL) if phonenumbers.is_valid_number(parsed) else ""
    )
    international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    return _FORMS_SEP + _FORMS_SEP.join((_METADATA, number, _region_of(parsed), national, international))


def shown_phone(forms: str, *, region: str = "DE") -> str:
    """The text `format_phone(number, region=region)` gives, from `phone_forms(number)`; never raises."""
    if not forms.startswith(_FORMS_SEP):  # a number kept as imported (stored text never starts with a control)
        return format_phone(forms, region=region) if forms else ""
    parts = forms.split(_FORMS_SEP)
    if len(parts) != 6 or parts[1] != _METADATA:  # made by another phonenumbers: format the number itself
        return format_phone(parts[2], region=region) if len(parts) > 2 else ""
    _, _, _, own, national, international = parts
    return national if national and own == region.upper() else international


def phone_search_terms(number: str, *, region: str = "DE") -> str:
    """Digit-only forms of a phone number for the full-text index.

    So that "+49 7531", "07531 12" or "753112" find "+49753112345", the terms are: the E.164 digits without "+"
    ("49753112345"), the national significant number ("753112345"), the national dialling form ("0753112345"), and
    for a number of another country the form dialled from `region` ("0041446681800"). Duplicates are dropped, the
    extension is left out. Never raises: text that cannot be parsed gives its own digits.

    Args:
        number: A phone number, usually as stored (E.164, perhaps with ``;ext=``).
        region: ISO 3166-1 alpha-2 code of the user's own country.

    Returns:
        The terms separated by single spaces; empty when `number` has no digits.
    """
    fast = _stored_number_terms(number, region.upper())
    if fast is not None:
        return fast
    parsed = _lenient_parse(number, region)
    if parsed is None:
        return _decimal_digits(number)
    parsed.extension = None
    nsn = phonenumbers.national_significant_number(parsed)
    if phonenumbers.is_valid_number(parsed):
        national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    else:  # phonenumbers formats unknown numbers without the trunk prefix
        metadata = PhoneMetadata.metadata_for_region(_region_of(parsed))
        national = ((metadata.national_prefix if metadata is not None else None) or "") + nsn
    forms = (
        phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        nsn,
        national,
        phonenumbers.format_out_of_country_calling_number(parsed, region.upper()),
    )
    terms: list[str] = []
    for form in forms:
        digits = _decimal_digits(form)
        if digits and digits not in terms:
            terms.append(digits)
    return " ".join(terms)


# Countries whose national format is more than trunk prefix + national number (Argentina's mobile "15",
# Mexico's old "044"/"1", Brazil's carrier codes...): their terms come from phonenumbers itself.
_NATIONAL_FORMAT_QUIRKS = frozenset({54, 52, 55, 57, 39, 7})
_E164 = re.compile(r"\+([1-9]\d{1,14})(?:;ext=\d+)?")


@functools.lru_cache(maxsize=512)
def _dialling(country_code: int, region: str) -> tuple[str, str] | None:
    """(national prefix of the number's country, prefix to dial it from `region`) or None when unknown."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    home = PhoneMetadata.metadata_for_region(regions[0]) if regions else None
    here = PhoneMetadata.metadata_for_region(region)
    if home is None or here is None:
        return None
    if here.country_code == country_code:
        return home.national_prefix or "", home.national_prefix or ""
    intl = here.preferred_international_prefix or here.international_prefix or ""
    if not intl.isdigit():
        return None
    return home.national_prefix or "", intl + str(country_code)


def _stored_number_terms(number: str, region: str) -> str | None:
    """Search terms of a stored E.164 number by string work alone (imports and demo data index 100,000s of them).

    Gives what the general path gives for ordinary numbers; None sends anything unusual to that path.
    """
    m = _E164.fullmatch(number)
    if m is None:
        return None
    digits = m.group(1)
    for size in (1, 2, 3):
        cc = int(digits[:size])
        if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    dialling = _dialling(cc, region)
    if dialling is None or cc in _NATIONAL_FORMAT_QUIRKS:
        return None
    trunk, abroad = dialling
    nsn = digits[size:]
    forms = (digits, nsn, trunk + nsn, abroad + nsn)
    return " ".join(dict.fromkeys(f for f in forms if f))


# ---------------------------------------------------------------------------------------------------------------------
# E-mail addresses


class EmailError(ValueError):
    """An e-mail address that is not usable; the message is fit to show to a person."""


_MAILTO = re.compile(r"(?i)^mailto:")
# RFC 5322 "specials" and the like that an unquoted local part cannot hold; quoted local parts are not supported.
_LOCAL_FORBIDDEN = frozenset('()<>[]:;@\\,"')
_MAX_LOCAL = 64  # RFC 5321 §4.5.3.1.1
_MAX_ADDRESS = 254  # RFC 5321 §4.5.3.1.3 path limit minus the angle brackets
_MAX_LABEL = 63  # RFC 1035 §2.3.4


def _strip_wrapping(s: str) -> str:
    """Remove surrounding whitespace, ``mailto:`` and angle brackets, in any nesting ("<mailto:a@b.de>")."""
    while True:
        before = s
        s = s.strip()
        if s.startswith("<") and s.endswith(">"):
            s = s[1:-1]
        if _MAILTO.match(s):
            s = _MAILTO.sub("", s)
            if "?" in s:  # mailto:a@b.de?subject=Hi (RFC 6068 header fields)
                s = s.split("?", 1)[0]
        if s == before:
            return s


def _char_ok_in_label(c: str) -> bool:
    # Letters of any script, their combining marks, digits and the hyphen (IDNA labels, RFC 5890; LDH otherwise).
    return c == "-" or unicodedata.category(c)[0] in "LM" or unicodedata.category(c) == "Nd"


def _domain_problem(shown: str, domain: str) -> str | None:
    """What is wrong with the domain part, or None."""
    if not domain:
        return f"“{shown}” has no domain after the @"
    if "." not in domain:
        return f"“{shown}” has no top-level domain"
    labels = domain.split(".")
    if any(not label for label in labels):
        return f"“{shown}” has an empty part in its domain (two dots in a row, or a dot at the start or end)"
    for label in labels:
        bad = next((c for c in label if not _char_ok_in_label(c)), None)
        if bad is not None:
            return f"“{shown}” has “{bad}” in its domain, which a domain name cannot contain"
        if label.startswith("-") or label.endswith("-"):
            return f"“{shown}” has a domain part starting or ending with a hyphen"
        if len(label) > _MAX_LABEL:
            return f"“{shown}” has a domain part longer than {_MAX_LABEL} characters"
    tld = labels[-1]
    if tld.isdecimal():
        return f"“{shown}” ends in a number, not in a top-level domain"
    if len(tld) < 2:
        return f"“{shown}” has a top-level domain of one character"
    return None


def _local_problem(shown: str, local: str) -> str | None:
    """What is wrong with the local part (before the @), or None."""
    if not local:
        return f"“{shown}” has nothing before the @"
    if len(local) > _MAX_LOCAL:
        return f"“{shown}” has more than {_MAX_LOCAL} characters before the @"
    bad = next((c for c in local if c in _LOCAL_FORBIDDEN or unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        what = f"“{bad}”" if unicodedata.category(bad)[0] != "C" else f"an invisible character (U+{ord(bad):04X})"
        return f"“{shown}” contains {what}, which an e-mail address cannot have before the @"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return f"“{shown}” has a misplaced dot before the @"
    return None


def normalize_email(raw: str) -> str:
    """Normalise and check an e-mail address.

    Strips whitespace, a ``mailto:`` scheme (and its ``?subject=`` part) and surrounding angle brackets, applies
    Unicode NFC and lower-cases the domain only: the local part is case-sensitive (RFC 5321 §2.4). The syntax checked
    is the practical one, not all of RFC 5322: one @, an unquoted local part of at most 64 characters without spaces,
    control characters or ``()<>[]:;@\\,"`` and without misplaced dots; a domain of at least two dot-separated labels
    of letters (any script), digits and hyphens, no label starting or ending with a hyphen, a top-level domain of at
    least two characters that is not a number; at most 254 characters in all. Internationalised domains are kept as
    Unicode (no IDNA conversion). Idempotent.

    Args:
        raw: The address as typed or imported.

    Returns:
        The normalised address, e.g. ``"<mailto:Anna.Meyer@Example.COM>"`` → ``"Anna.Meyer@example.com"``.

    Raises:
        EmailError: The address is not usable; the message says what is wrong, e.g.
            "“anna@example” has no top-level domain" or "“anna.example.com” has no @".
    """
    known = _NORMALIZED_EMAILS.get(raw)
    if known is not None:
        return known
    s = unicodedata.normalize("NFC", _strip_wrapping(unicodedata.normalize("NFC", raw)))
    shown = normalize_text(s) or normalize_text(raw)
    if not s:
        raise EmailError("The e-mail address is empty")
    if any(c.isspace() for c in s):
        raise EmailError(f"“{shown}” contains a space")
    at_count = s.count("@")
    if at_count == 0:
        raise EmailError(f"“{shown}” has no @")
    if at_count > 1:
        raise EmailError(f"“{shown}” has more than one @")
    local, domain = s.split("@")
    domain = unicodedata.normalize("NFC", domain.lower())
    address = f"{local}@{domain}"
    problem = _local_problem(shown, local) or _domain_problem(shown, domain)
    if problem is not None:
        raise EmailError(problem)
    if len(address) > _MAX_ADDRESS:
        raise EmailError(f"“{shown}” is longer than {_MAX_ADDRESS} characters")
    if len(_NORMALIZED_EMAILS) >= _NORMALIZED_EMAILS_MAX:
        _NORMALIZED_EMAILS.clear()
    # As for phones: checking a record right after normalising it (validate.check_person, every pulled or
    # imported person) then reads each address once, not twice.
    _NORMALIZED_EMAILS[raw] = address
    _NORMALIZED_EMAILS[address] = address
    return address


_NORMALIZED_EMAILS: dict[str, str] = {}
_NORMALIZED_EMAILS_MAX = 20_000


def is_valid_email(raw: str) -> bool:
    """Whether `normalize_email` accepts `raw`.

    Args:
        raw: The address as typed or imported.

    Returns:
        True if the address is usable.
    """
    try:
        normalize_email(raw)
    except EmailError:
        return False
    return True


# Words of a name prefix that are salutations rather than titles ("Herr Dr." → "Herr" and "Dr."), in the
# languages crmdesk's users write; compared without case and a trailing dot. Used by every codec that reads a
# single prefix field (vCard N, Google's Name Prefix, Outlook's Title), so they all split it the same way.
_SALUTATION_WORDS = (
    "mr mrs ms miss mx master mister messrs madam dame sir herr frau fräulein frl hr fr m mme mlle mm monsieur madame "
    "mademoiselle sr sra srta señor señora señorita sig sigra signor signora signorina dhr mevr mej heer mevrouw"
)
SALUTATIONS = frozenset(_SALUTATION_WORDS.split(" "))


def split_name_prefix(prefix: str) -> tuple[str, str]:
    """A name prefix as (salutation, title): salutation words go to the first, the rest to the second, in order.

    "Herr Dr." → ("Herr", "Dr."); "Dr." → ("", "Dr."); "Prof. Dr. Frau" → ("Frau", "Prof. Dr.").
    """
    salutation: list[str] = []
    title: list[str] = []
    for word in prefix.split():
        (salutation if word.casefold().rstrip(".") in SALUTATIONS else title).append(word)
    return " ".join(salutation), " ".join(title)


# ---- the country a phone number is dialled in ------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def phone_region(country: str, default: str) -> str:
    """The region numbers without a country code are read in for an address in `country`, else `default`.

    `country` is an address's country as an address book writes it: an ISO code ("FR", "fr"), an alpha-3 code or
    short form ("FRA", "USA", "UK"), or a common name in English, German, French, Spanish or Italian ("France",
    "Frankreich", "États-Unis"; `countries.country_code`). Anything else (empty, misspelt, a region phonenumbers
    does not know) gives `default`, the user's own region.
    """
    code = country_code(country) if country.strip() else ""
    return code if code in phonenumbers.SUPPORTED_REGIONS else default
