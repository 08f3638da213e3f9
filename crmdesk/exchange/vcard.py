"""vCard 2.1 / 3.0 / 4.0 codec: vCard bytes ⇄ person and company records (DESIGN §8, issue 3).

Reading (`read_cards`) is tolerant and streams: the file is read in 64 KB chunks, split into top-level
``BEGIN:VCARD`` … ``END:VCARD`` blocks, and each block becomes one `CardResult` before the next is read. The
reader is crmdesk's own, not vobject's: it is several times faster (imports of 10,000 cards are common) and reads
what real address books write and vobject refuses: vCard 2.1 quoted-printable soft line breaks, ``CHARSET=`` per
property (Shift_JIS, Latin-1, …), files that are UTF-16 without a BOM or Latin-1 without saying so, lines folded in
the middle of a UTF-8 sequence (unfolding happens on bytes), iOS ``\\r\\r\\n`` line ends, base64 photos with odd
folding or padding, lines broken without fold whitespace, cards without FN or VERSION. A problem with the file as a
whole raises `UnreadableFile`; a problem with one card rejects that card only, and the reading goes on. What a card
read anyway does against the vCard standard of its VERSION (line ends other than CRLF, a property or parameter that
version does not define, a missing FN, …) is said in its warnings, once per rule and property (`vcard_rules`).

Writing (`write_card`, `write_business_card`) is also crmdesk's own serializer (vobject's is slower than the goal
of issue 3 allows); vobject reads everything it writes (the tests check). Lines are folded at 75 octets without
splitting a UTF-8 sequence, text is escaped per RFC 6350 §3.4.

Several business cards in one vCard
-----------------------------------
A crmdesk person has business cards: a favourite one (first) and more, some of them private. Other address books
know one ORG and one TITLE, and type every e-mail, phone and address (WORK, HOME, …). So the export writes:

* the favourite card as ordinary ungrouped ``ORG``, ``TITLE``, ``EMAIL``, ``TEL`` and ``ADR`` properties;
* every e-mail, phone and address of card *n* ≥ 2 as an ordinary typed property with the parameter
  ``X-CRMDESK-CARD=n`` (other programs ignore unknown parameters and see one more typed e-mail, phone, address);
* one ``X-CRMDESK-CARD:n;kind;company;department;position`` line per card, kind ``business`` or ``private``
  (for card 1 only the kind is used: its company and position are the ORG and TITLE above, so edits made in
  another address book win).

A file with an ``X-CRMDESK-CARD`` line or parameter is read back card by card exactly so. A file from elsewhere
is split the usual way: ORG, TITLE and every e-mail, phone and address not typed HOME make the favourite business
card; the HOME-typed ones make a second, private card. Person fields vCard has no property for travel as
``X-CRMDESK-LIFECYCLE`` and ``X-CRMDESK-CUSTOM:key;value``; ``X-CRMDESK-SALUTATION`` says which part of the N
prefix is the salutation when the word list below could not tell. Properties crmdesk has no field for are kept
in `PersonRecord.vcard_extra`, one unfolded line each as read (quoted-printable decoded to UTF-8 text; a line
no vCard reader could take back is tidied, with a warning), and written back after crmdesk's own properties.

Apple and Google label an item by a property in its group (``item1.EMAIL:…`` + ``item1.X-ABLabel:…``). A label
that is a type (``_$!<Mobile>!$_``, ``_$!<Home>!$_``, ``_$!<Work>!$_``, ``_$!<Other>!$_``, ``_$!<HomeFAX>!$_``,
``_$!<WorkFAX>!$_``) sets the item's type and is not kept. Any other label stays in `vcard_extra` as read plus a
parameter naming the item it labels, ``X-CRMDESK-FOR="EMAIL:anna@example.com"`` (``TEL:+49…``, ``URL:…``, or
``ADR:`` and a hash of the address); the export writes that item in the label's group again, so the label goes on
labelling it, and leaves the label out once the item is gone.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import functools
import hashlib
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import crmdesk
from crmdesk.domain import validate
from crmdesk.domain.countries import country_code
from crmdesk.domain.normalize import normalize_text, split_name_prefix
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.errors import ValidationError
from crmdesk.exchange.base import CardResult, UnreadableFile
from crmdesk.exchange.vcard_rules import (
    Findings,
    LineEnds,
    Rules,
    begin_end_blanks,
    component_count,
    double_escaped,
    link_without_value,
    missing_fn,
)

__all__ = ["MAX_PHOTO_BYTES", "read_cards", "safe_file_name", "write_business_card", "write_card"]

_log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10_000_000
"""Largest photo kept (10 MB); a card with a larger one is rejected."""

_MB = 1_000_000
_CHUNK = 1 << 16
# Longest logical line kept whole: a photo of MAX_PHOTO_BYTES in base64 with its folding; of a longer line only
# the head is kept and its length counted, so a 50 MB photo costs no 50 MB of memory and still gets its message.
_MAX_LINE = MAX_PHOTO_BYTES * 4 // 3 + MAX_PHOTO_BYTES // 5
_HEAD = 4096
# Lines of nested vCard 2.1 blocks (AGENT) read before the parent must show it goes on; past this the parent
# counts as a card that lacks its END:VCARD and the nested blocks as cards of their own.
_NEST_BUDGET = 2000
_SKIPPED = b" "  # stands in for a folded line dropped from an over-long logical line

# ---------------------------------------------------------------------------------------------------------------------
# Words and tables

# Name prefixes that are salutations (the rest, "Dr.", "Prof." …, are titles); compared case-folded, without dot.

# ---------------------------------------------------------------------------------------------------------------------
# Text helpers

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NAME_RE = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?[A-Za-z_][A-Za-z0-9_/+-]*")
_PARAM_NAME = re.compile(r"[A-Za-z0-9_-]+")
# A content line vobject parses (its name and parameter grammar); extra lines are kept in this shape.
_SAFE_LINE = re.compile(
    r'(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+(?:;[A-Za-z0-9_-]+(?:=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)?)*:'
)


def _unescape_char(m: re.Match[str]) -> str:
    c = m.group(1)
    if c in "nN":
        return "\n"
    if c in "\\,;:\n":
        return c
    return m.group(0)  # "C:\temp": an unknown escape keeps its backslash


def _unescape(s: str) -> str:
    """RFC 6350 §3.4 text value: ``\\n``/``\\N`` → newline, ``\\,`` ``\\;`` ``\\\\`` (and a stray ``\\:``)."""
    return _ESCAPE.sub(_unescape_char, s) if "\\" in s else s


def _split(s: str, sep: str) -> list[str]:
    """Split at `sep` where it is not escaped; escapes stay for `_unescape`."""
    if "\\" not in s:
        return s.split(sep)
    parts: list[str] = []
    start = i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == sep:
            parts.append(s[start:i])
            start = i + 1
        i += 1
    parts.append(s[start:])
    return parts


def _components(s: str) -> list[str]:
    """The unescaped components of a structured value (N, ADR, ORG)."""
    return [_unescape(p) for p in _split(s, ";")]


def _x_components(s: str) -> list[str]:
    """The components of crmdesk's own structured X- properties (X-CRMDESK-CARD, X-CRMDESK-CUSTOM). Servers that
    treat an unknown X- property as text (Radicale, through vobject) store ``2;private;;;`` escaped as
    ``2\\;private\\;\\;\\;``: a value without one plain separator is split at its escaped ones."""
    parts = _components(s)
    if len(parts) == 1 and "\\;" in s:
        return [_unescape(p) for p in s.split("\\;")]
    return parts


def _esc(s: str) -> str:
    """Escape a text value (RFC 6350 §3.4): backslash, comma, semicolon, line breaks (CRLF, CR, LF)."""
    if not any(c in s for c in "\\,;\n\r"):
        return s
    s = s.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _name_of(line: str) -> tuple[str, str]:
    """(group, upper-case name) of a stored content line."""
    head = line.split(":", 1)[0].split(";", 1)[0]
    group, _, name = head.rpartition(".")
    return group, name.upper()


def _head_end(line: str) -> int:
    """Index of the colon that ends a stored line's name and parameters (not one in a quoted value), or -1."""
    colon = line.find(":")
    if colon < 0 or '"' not in line[:colon]:
        return colon
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ":" and not quoted:
            return i
    return colon


# ---------------------------------------------------------------------------------------------------------------------
# Reading: bytes → physical lines


def _quoted(source: str) -> str:
    return f"“{source}”" if source else "The file"


def _sniff(head: bytes) -> str | None:
    """The codec of a file that is not UTF-8 or a legacy 8-bit charset (UTF-16/32 with or without BOM), or None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = head[:256]
    if len(probe) >= 8 and b"\x00" in probe:
        even, odd = probe[0::2], probe[1::2]
        if even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
            return "utf-16-be"
        if odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
            return "utf-16-le"
    return None


_BEGIN_ANYWHERE = re.compile(rb"(?im)^begin:vcard[ \t]*$")


class _Source:
    """The physical lines of a file as bytes (UTF-16/32 files transcoded to UTF-8), read in chunks.

    Lines end at LF, CRLF, a lone CR, and iOS's CR CR LF (one line end). A line longer than `_MAX_LINE` keeps only
    its first `_HEAD` bytes; `overlong` maps its number to its real length.
    """

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self._stream = stream
        self._source = source
        self.overlong: dict[int, int] = {}
        self.count = 0
        self.head = b""  # the start of the file (UTF-8), for the message when it is no vCard
        self.ends = LineEnds()  # the line ends seen so far (standard conformance)

    def _read(self) -> bytes:
        try:
            data = self._stream.read(_CHUNK)
        except OSError as exc:
            raise UnreadableFile(f"{_quoted(self._source)} could not be read: {exc.strerror or exc}.") from exc
        return bytes(data or b"")

    def _chunks(self) -> Iterator[bytes]:
        first = self._read()
        while 0 < len(first) < 512:  # a stream may return short reads; sniff on a fair sample
            more = self._read()
            if not more:
                break
            first += more
        if not first.removeprefix(codecs.BOM_UTF8).strip():
            raise UnreadableFile(f"{_quoted(self._source)} is empty: there is no vCard in it.")
        codec = _sniff(first)
        if codec is None:
            if first.startswith(codecs.BOM_UTF8):
                first = first[3:]
            if b"\x00" in first and not _BEGIN_ANYWHERE.search(first):
                raise UnreadableFile(f"{_quoted(self._source)} holds binary data, not vCards.")
            self.head = first[:4096]
            yield first
            while chunk := self._read():
                yield chunk
            return
        decoder = codecs.getincrementaldecoder(codec)("replace")
        data = first
        self.head = decoder.decode(first[:4096]).encode("utf-8", "replace")
        decoder.reset()
        while data:
            yield decoder.decode(data).encode("utf-8", "replace")
            data = self._read()
        yield decoder.decode(b"", final=True).encode("utf-8", "replace")

    def __iter__(self) -> Iterator[bytes]:
        parts: list[bytes] = []  # the unfinished line
        size = 0
        carry = b""  # CRs at the end of a chunk: the next chunk may start with the LF that belongs to them
        for chunk in self._chunks():
            if carry:
                chunk, carry = carry + chunk, b""
            if chunk.endswith(b"\r"):
                body = chunk.rstrip(b"\r")
                carry, chunk = chunk[len(body) :], body
            self.ends.count(chunk, self.count + 1)
            last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            if last < 0:
                if chunk:
                    parts, size = self._grow(parts, size, chunk)
                continue
            start = 0
            if parts:
                first = min(i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0)
                parts, size = self._grow(parts, size, chunk[:first])
                yield self._line(parts, size)
                parts, size = [], 0
                start = first + (
                    3 if chunk.startswith(b"\r\r\n", first) else 2 if chunk.startswith(b"\r\n", first) else 1
                )
            if start <= last:
                for line in chunk[start : last + 1].replace(b"\r\r\n", b"\r\n").splitlines():
                    self.count += 1
                    yield line
            rest = chunk[last + 1 :]
            if rest:
                parts, size = [rest], len(rest)
        if carry:
            self.ends.count_tail(carry)
        if parts or carry:
            tail = b"".join(parts) if size <= _MAX_LINE else parts[0]
            lines = (tail + carry).replace(b"\r\r\n", b"\r\n").splitlines() or [b""]
            if size > _MAX_LINE:
                self.overlong[self.count + 1] = size
            for line in lines:
                self.count += 1
                yield line

    @staticmethod
    def _grow(parts: list[bytes], size: int, data: bytes) -> tuple[list[bytes], int]:
        """Add `data` to an unfinished line; past `_MAX_LINE` keep only the head and count."""
        size += len(data)
        if size <= _MAX_LINE:
            parts.append(data)
            return parts, size
        if len(parts) != 1 or len(parts[0]) != _HEAD:
            parts = [(b"".join(parts) + data)[:_HEAD]]
        return parts, size

    def _line(self, parts: list[bytes], size: int) -> bytes:
        self.count += 1
        if size > _MAX_LINE:
            self.overlong[self.count] = size
            return parts[0]
        return b"".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# Reading: physical lines → card blocks


@dataclass(slots=True)
class _Block:
    """The lines of one top-level card, between its BEGIN:VCARD (physical line `line`) and its END:VCARD."""

    line: int
    lines: list[bytes] = field(default_factory=list)
    nested: list[tuple[int, int]] = field(default_factory=list)  # index ranges of nested BEGIN…END blocks
    long: dict[int, int] = field(default_factory=dict)  # index of an over-long logical line → its real length
    version: bytes | None = None  # the value of its (first) VERSION line
    error: str = ""
    blanks: list[tuple[int, str]] = field(default_factory=list)  # (line, "BEGIN"/"END") with blanks after VCARD


_BE = (b"B", b"b", b"E", b"e")
_BLANK = (b" ", b"\t")
_FOLD = (b" ", b"\t")
_LineIter = Iterator[tuple[int, bytes]]


def _begin_end(line: bytes) -> int:
    """1 for BEGIN:VCARD, -1 for END:VCARD (any case, trailing blanks allowed), else 0."""
    head = line[:6].upper()
    if head.startswith(b"BEGIN:"):
        return 1 if line[6:].rstrip().upper() == b"VCARD" else 0
    if head.startswith(b"END:"):
        return -1 if line[4:].rstrip().upper() == b"VCARD" else 0
    return 0


def _blocks(src: _Source) -> Iterator[_Block]:
    """Split the lines into top-level cards; a block with `error` set lacks its END:VCARD.

    A BEGIN:VCARD inside a vCard 2.1 card is a nested card (2.1 AGENT, distribution lists) when the parent goes on
    after it; inside any other card, or when the parent never goes on, it begins the next card.
    """
    it: _LineIter = enumerate(src, 1)
    block: _Block | None = None
    while True:
        if block is None:
            for n, line in it:
                if line[:1] in _BE and _begin_end(line) == 1:
                    block = _Block(n)
                    if line[-1:] in _BLANK:
                        block.blanks.append((n, "BEGIN"))
                    break
            else:
                return
        assert block is not None
        done, block, it = _fill(block, it, src)
        yield done


def _fill(block: _Block, it: _LineIter, src: _Source) -> tuple[_Block, _Block | None, _LineIter]:
    """Read `block` up to its END:VCARD. Returns it, the next block if a BEGIN:VCARD cut it short, and the lines
    to go on with (lines of nested blocks that turned out to be cards of their own come first)."""
    lines = block.lines
    depth = 1
    v21 = False
    nest_at = -1  # index of the BEGIN of the nested block being read
    open_at = -1  # index of the first nested block the parent has not yet gone on after
    logical = 0  # index of the first line of the current logical line, and its length so far
    length = 0
    overlong = src.overlong
    for n, line in it:
        c = line[:1]
        if c in _BE:
            kind = _begin_end(line)
            if kind == -1:
                if depth == 1:
                    if line[-1:] in _BLANK:
                        block.blanks.append((n, "END"))
                    return block, None, it
                depth -= 1
                lines.append(line)
                if depth == 1:
                    block.nested.append((nest_at, len(lines)))
                continue
            if kind == 1:
                if depth == 1 and not v21:
                    block.error = f"the card has no END:VCARD (another card begins at line {n})"
                    following = _Block(n)
                    if line[-1:] in _BLANK:
                        following.blanks.append((n, "BEGIN"))
                    return block, following, it
                if depth == 1:
                    nest_at = len(lines)
                    if open_at < 0:
                        open_at = nest_at
                depth += 1
                lines.append(line)
                continue
        if depth == 1:
            if c in _FOLD:
                length += len(line) - 1
                if length > _MAX_LINE:
                    block.long[logical] = length
                    line = _SKIPPED
            elif line:
                logical, length = len(lines), len(line)
                open_at = -1  # the parent goes on: the nested blocks before belong to it
                if c in (b"V", b"v") and block.version is None and line[:8].upper() == b"VERSION:":
                    block.version = line[8:].strip()
                    v21 = block.version == b"2.1"
            if overlong and n in overlong:
                block.long[logical] = block.long.get(logical, length) + overlong[n] - len(line)
        lines.append(line)
        if open_at >= 0 and len(lines) - open_at > _NEST_BUDGET:
            return _cut_at_nested(block, open_at, it)
    if open_at >= 0:
        return _cut_at_nested(block, open_at, it)
    block.error = f"the card has no END:VCARD (the file ends at line {src.count})"
    return block, None, it


def _cut_at_nested(block: _Block, at: int, it: _LineIter) -> tuple[_Block, _Block | None, _LineIter]:
    """The parent ends before its first nested block after all: those lines are read again as cards."""
    lines = block.lines
    pushed = [(block.line + 1 + i, lines[i]) for i in range(at, len(lines))]
    block.error = f"the card has no END:VCARD (another card begins at line {block.line + 1 + at})"
    del lines[at:]
    block.nested = [r for r in block.nested if r[1] <= at]
    return block, None, itertools.chain(pushed, it)


# ---------------------------------------------------------------------------------------------------------------------
# Reading: a block → property lines

# Property names that, alone on a line without a colon, are a property that lost its value rather than text.
_BARE_NAMES = frozenset(
    b"N FN ORG TITLE ROLE EMAIL TEL ADR NOTE URL BDAY UID VERSION PHOTO CATEGORIES NICKNAME LABEL REV GENDER".split()
)


@dataclass(slots=True)
class _Prop:
    """One unfolded content line: `raw` is the value as bytes (decode with `_Card.text`)."""

    no: int
    group: str
    name: str
    params: list[tuple[str, str]]  # (upper-case name, value) per value; a vCard 2.1 bare parameter has name ""
    raw: bytes
    head: str  # everything before the value's colon, decoded
    size: int = 0  # real length of an over-long line, of which `raw` holds the start only

    def param(self, key: str) -> str:
        for k, v in self.params:
            if k == key:
                return v
        return ""

    @property
    def types(self) -> frozenset[str]:
        return frozenset(v.lower() for k, v in self.params if k in ("TYPE", ""))

    @property
    def pref(self) -> bool:
        return any(k == "PREF" or (k in ("TYPE", "") and v.lower() == "pref") for k, v in self.params)

    @property
    def encoding(self) -> str:
        for k, v in self.params:
            if k == "ENCODING" or (not k and v.upper() in ("QUOTED-PRINTABLE", "BASE64")):
                return v.upper()
        return ""


def _value_colon(line: bytes) -> int:
    """Index of the colon that ends name and parameters (one inside a quoted parameter value does not), or -1."""
    colon = line.find(b":")
    if colon < 0 or b'"' not in line[:colon]:
        return colon
    quoted = False
    for i, ch in enumerate(line):
        if ch == 0x22:
            quoted = not quoted
        elif ch == 0x3A and not quoted:
            return i
    return colon  # an unclosed quote: the first colon after all


def _split_params(head: str) -> list[str]:
    if '"' not in head:
        return head.split(";")
    parts: list[str] = []
    start = 0
    quoted = False
    for i, c in enumerate(head):
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            parts.append(head[start:i])
            start = i + 1
    parts.append(head[start:])
    return parts


def _param_values(value: str) -> list[str]:
    if '"' not in value:
        return value.split(",") if "," in value else [value]
    values: list[str] = []
    for m in re.finditer(r'"([^"]*)"|([^,]+)', value):
        inner = m.group(1)
        values.extend(inner.split(",") if inner is not None else [m.group(2)])
    return values


def _parse_line(no: int, line: bytes, size: int = 0) -> _Prop:
    colon = line.find(b":")
    if colon < 0 or b'"' in line[:colon]:
        colon = _value_colon(line)
    try:
        head = line[:colon].decode("utf-8")
    except UnicodeDecodeError:
        head = line[:colon].decode("cp1252", "replace")
    if ";" not in head:
        group, _, name = head.strip().rpartition(".")
        return _Prop(no, group, name.upper(), [], line[colon + 1 :], head, size)
    parts = _split_params(head)
    group, _, name = parts[0].strip().rpartition(".")
    params: list[tuple[str, str]] = []
    for part in parts[1:]:
        key, eq, value = part.partition("=")
        if eq:
            key = key.strip().upper()
            if "," in value or '"' in value:
                params.extend((key, v.strip()) for v in _param_values(value))
            else:
                params.append((key, value.strip()))
        elif part.strip():  # a vCard 2.1 bare parameter; "FAX,WORK" are two
            params.extend(("", v.strip()) for v in part.split(",") if v.strip())
    return _Prop(no, group, name.upper(), params, line[colon + 1 :], head, size)


# ---------------------------------------------------------------------------------------------------------------------
# Reading: interpretation of one card

_EMAIL_LABELS = {"_$!<home>!$_": "home", "_$!<work>!$_": "work", "_$!<other>!$_": "other"}
_TEL_LABELS = {**_EMAIL_LABELS, "_$!<mobile>!$_": "cell", "_$!<homefax>!$_": "home fax", "_$!<workfax>!$_": "work fax"}
_LABELS = {"EMAIL": _EMAIL_LABELS, "TEL": _TEL_LABELS, "ADR": _EMAIL_LABELS}
_SKIP = frozenset({"VERSION", "PRODID", "REV", "PROFILE", "BEGIN", "END"})
_PLAIN_ENCODINGS = frozenset({"B", "BASE64", "8BIT", "7BIT"})
_FOR_PARAM = re.compile(r';X-CRMDESK-FOR=(?:"[^"]*"|[^;:]*)', re.IGNORECASE)


def _email_type(types: frozenset[str]) -> EmailType:
    if "work" in types:
        return EmailType.WORK
    if "home" in types:
        return EmailType.HOME
    return EmailType.OTHER if "other" in types else EmailType.WORK


def _phone_type(types: frozenset[str]) -> PhoneType:
    if "fax" in types:
        return PhoneType.FAX
    if types & {"cell", "mobile", "iphone", "car"}:
        return PhoneType.MOBILE
    if "pager" in types:
        return PhoneType.OTHER
    if "work" in types:
        return PhoneType.WORK
    if "home" in types:
        return PhoneType.HOME
    return PhoneType.OTHER if "other" in types else PhoneType.WORK


def _address_type(types: frozenset[str]) -> AddressType:
    if "work" in types:
        return AddressType.WORK
    if "home" in types:
        return AddressType.HOME
    if "postal" in types:
        return AddressType.POSTAL
    return AddressType.OTHER if "other" in types else AddressType.WORK


def _is_home(types: frozenset[str]) -> bool:
    return "home" in types and "work" not in types


def _address(components: list[str]) -> Address:
    """ADR (its unescaped components): post office box, extended address and street on lines of `street`; the
    country as a code if known."""
    c = [*components, "", "", "", "", "", "", ""]
    street = "\n".join(s for s in (c[0], c[1], c[2]) if s.strip())
    country = country_code(c[6]) if c[6].strip() else ""
    return Address(street=street, city=c[3], region=c[4], postcode=c[5], country=country)


def _address_key(a: Address) -> tuple[str, ...]:
    return (a.street, a.postcode, a.city, a.region, a.country)


def _sniff_image(data: bytes) -> str:
    """The image type of `data` ("JPEG", "PNG", …) or "" if it is none crmdesk shows."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"BM") and len(data) > 26:
        return "BMP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    return ""


_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=_-]")


def _b64decode(text: bytes) -> bytes | None:
    """Base64 as real files write it (any folding, URL-safe letters, missing padding), or None if damaged."""
    data = text.translate(None, b" \t\r\n")
    if _B64_JUNK.search(data):
        return None
    data = data.rstrip(b"=").replace(b"-", b"+").replace(b"_", b"/")
    if b"=" in data:
        return None
    if len(data) % 4 == 1:
        data = data[:-1]  # a truncated last group: its bits make no byte
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return None


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def _too_big(what: str, size: int) -> str:
    return f"the {what} is {_mb(size)}; crmdesk keeps photos up to {MAX_PHOTO_BYTES // _MB} MB"


@functools.lru_cache(maxsize=64)
def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().strip('"')).name
    except LookupError:
        return None


@dataclass(slots=True)
class _Item:
    """An e-mail, phone or address read from the card, before it is placed on a business card."""

    kind: str  # "EMAIL", "TEL", "ADR"
    prop: _Prop
    value: str
    address: Address | None
    types: frozenset[str]
    pref: bool
    card: int  # the X-CRMDESK-CARD parameter, 0 if none
    label: int = -1  # index in `_Card.labels` of a custom label on the item's group


@dataclass(slots=True)
class _Spec:
    """One business card being assembled."""

    private: bool = False
    company: str = ""
    department: str = ""
    position: str = ""
    items: list[_Item] = field(default_factory=list)
    id: str = ""


@dataclass(slots=True)
class _Label:
    prop: _Prop
    value: str
    custom: bool
    used: bool = False
    target: str = ""  # the X-CRMDESK-FOR value once it labels an item that made it into the record


class _Card:
    """Reads one block into a `CardResult`."""

    def __init__(self, number: int, block: _Block, region: str) -> None:
        self.number = number
        self.block = block
        self.region = region
        self.warnings: list[str] = []
        self.extras: list[tuple[int, str]] = []  # (line number, content line), sorted into file order at the end
        self.fallback: str | None = None  # the charset for bytes that are not UTF-8 and name none
        self.v21 = False
        self.version = ""  # "2.1", "3.0", "4.0", or "" if the card has no VERSION
        self.findings = Findings()  # where the card deviates from the standard of its version

    # -- small helpers ----------------------------------------------------------------------------------------------

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def all_warnings(self, *, company: bool = False) -> tuple[str, ...]:
        """The reader's warnings, then what deviates from the standard (one sentence per rule and property);
        `company`: the card became a company's."""
        if not self.findings:
            return tuple(self.warnings)
        found = self.findings.sentences(company=company)
        return (*self.warnings, *(w for w in found if w not in self.warnings))

    def reject(self, reason: str) -> CardResult:
        return CardResult(self.number, self.block.line, error=reason, name=self.name_for_report())

    def name_for_report(self) -> str:
        """The card's FN (or N, or ORG) as far as it can be read, so a report can say whose card was rejected."""
        try:
            props = {p.name: p for p in self.logical_lines() if p.name in ("FN", "N", "ORG") and not p.size}
            if "FN" in props:
                return _unescape(self.text(props["FN"])).strip()[:200]
            if "N" in props:
                parts = [_unescape(x).strip() for x in _split(self.text(props["N"]), ";")]
                return " ".join(x for x in (parts[1:2] + parts[:1]) if x)[:200]
            if "ORG" in props:
                return _unescape(_split(self.text(props["ORG"]), ";")[0]).strip()[:200]
        except Exception:  # a name for the report is a courtesy; the rejection stands without it
            return ""
        return ""

    def text(self, p: _Prop) -> str:
        """The value of `p` as text: quoted-printable undone, its charset (or UTF-8, or a guess) decoded."""
        raw = p.raw
        if not p.params:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = self._guess(raw)
            if _CONTROL.search(text):
                text = _CONTROL.sub("", text)
                self.warn("Control characters (which cannot be shown) were removed from the card.")
            return text
        enc = p.encoding
        if enc == "QUOTED-PRINTABLE":
            raw = binascii.a2b_qp(raw)
        elif enc and enc not in _PLAIN_ENCODINGS:
            self.warn(f"Line {p.no} has the unknown encoding “{enc}”; its value was read as plain text.")
        charset = p.param("CHARSET")
        decoded: str | None = None
        if charset:
            codec = _codec(charset)
            if codec is None:
                self.warn(f"The charset “{charset}” is unknown; the card was read as UTF-8 or Windows-1252.")
            else:
                try:
                    decoded = raw.decode(codec)
                except UnicodeDecodeError:
                    self.warn(f"Line {p.no} is not valid {charset}; it was read as Windows-1252.")
                    decoded = raw.decode("cp1252", "replace")
        if decoded is None:
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                decoded = self._guess(raw)
        text = decoded
        if _CONTROL.search(text):
            text = _CONTROL.sub("", text)
            self.warn("Control characters (which cannot be shown) were removed from the card.")
        return text

    def _guess(self, raw: bytes) -> str:
        if self.fallback is None:
            self.fallback = "cp1252"
            self.warn("The card is not UTF-8 and names no charset; it was read as Windows-1252 (Latin-1).")
        try:
            return raw.decode(self.fallback)
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    def keep(self, p: _Prop) -> None:
        """Keep `p` in vcard_extra (crmdesk has no field for it)."""
        line = self.extra_line(p)
        if line is not None:
            self.extras.append((p.no, line))

    def extra_line(self, p: _Prop) -> str | None:
        """`p` as one content line, as read where that is a well-formed line; otherwise tidied (QP decoded,
        CHARSET dropped, odd names and parameters made regular) so that every vCard reader can take it back."""
        enc = p.encoding
        value = self.text(p) if enc not in ("B", "BASE64") else ""
        rebuild = enc == "QUOTED-PRINTABLE" or bool(p.param("CHARSET")) or enc not in ("", "B", "BASE64")
        if enc in ("B", "BASE64"):
            data = _b64decode(p.raw)
            if data is None:
                self.warn(f"The {p.name} on line {p.no} has damaged base64 data; it was left out.")
                return None
            value = base64.b64encode(data).decode("ascii")
        elif enc == "QUOTED-PRINTABLE":
            value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
        elif "\n" in value:  # lines joined by the reader
            value = value.replace("\n", "\\n")
        head = p.head
        if _CONTROL.search(head):
            head = p.head = _CONTROL.sub("", head)
            self.warn("Control characters (which cannot be shown) were removed from the card.")
        line = f"{head}:{value}"
        if not rebuild and _SAFE_LINE.match(line):
            return line
        head, clean = self._tidy_head(p)
        if not clean or not rebuild:
            self.warn(f"Line {p.no} was not a well-formed vCard line; it was kept in a tidied form.")
        return f"{_CONTROL.sub('', head)}:{value}"

    @staticmethod
    def _tidy_head(p: _Prop) -> tuple[str, bool]:
        """`p`'s name and parameters in a regular form, and whether nothing but encodings had to change."""
        clean = re.fullmatch(r"[A-Za-z0-9_-]*", p.group) is not None and _PARAM_NAME.fullmatch(p.name) is not None
        group = re.sub(r"[^A-Za-z0-9_-]", "", p.group)
        name = re.sub(r"[^A-Za-z0-9_-]", "-", p.name) or "X-UNNAMED"
        out = [f"{group}.{name}" if group else name]
        for key, value in p.params:
            if key == "CHARSET" or (key == "ENCODING" and value.upper() not in ("B", "BASE64")):
                continue
            if not key and value.upper() == "QUOTED-PRINTABLE":
                continue
            if '"' in value:
                clean = False
                value = value.replace('"', "")
            quoted = f'"{value}"' if any(c in value for c in ";:,") else value
            if key and _PARAM_NAME.fullmatch(key):
                out.append(f"{key}={quoted}")
            elif not key and _PARAM_NAME.fullmatch(value):
                out.append(value)
            else:
                clean = False
                key = re.sub(r"[^A-Za-z0-9_-]", "-", key)
                out.append(f"X-{key}={quoted}" if key else f"TYPE={quoted}")
        return ";".join(out), clean

    # -- reading -------------------------------------------------------------------------------------------------

    def logical_lines(self) -> list[_Prop]:
        """Unfold the block (RFC 2425 folding, 2.1 quoted-printable soft breaks and base64 runs, lines broken
        without fold whitespace) and parse each property line."""
        block = self.block
        lines = block.lines
        base = block.line + 1
        nested = {a: b for a, b in block.nested}
        props: list[_Prop] = []
        cur: list[bytes] = []  # the pieces of the logical line being read (joined once: photos have many)
        cur_at = 0
        qp = False  # `cur` is quoted-printable and ended in "=": the next line continues it
        glued: list[int] = []
        v21 = self.v21
        i = 0
        end = len(lines)
        while i < end:
            line = lines[i]
            if i in nested:  # a nested 2.1 card: kept whole, as the value of an AGENT line
                if cur:
                    props.append(self._parse(cur_at, cur))
                body = b"\n".join(lines[i : nested[i]])
                body = body.replace(b"\\", b"\\\\").replace(b",", b"\\,").replace(b";", b"\\;")
                cur, cur_at, qp = [b"AGENT:" + body.replace(b"\r", b"").replace(b"\n", b"\\n")], i, False
                i = nested[i]
                continue
            i += 1
            if qp:
                cur += (b"\n", line)
                qp = line.rstrip(b" \t").endswith(b"=")
                continue
            c = line[:1]
            if c in _FOLD:
                if cur:
                    cur.append(line if v21 else line[1:])
                continue
            if not line or c == b"#":
                continue
            colon = line.find(b":")
            m = _NAME_RE.match(line)
            after = line[m.end() : m.end() + 1] if m is not None else b""
            # A property line: a name, then parameters or the value; parameters may go on on a folded line.
            if (colon > 0 and after in (b";", b":")) or (
                after == b";" and colon < 0 and lines[i : i + 1] != [] and lines[i][:1] in _FOLD
            ):
                if cur:
                    props.append(self._parse(cur_at, cur))
                cur, cur_at = [line], i - 1
                if line.endswith((b"=", b"= ")) and b"QUOTED-PRINTABLE" in line[:colon].upper():
                    qp = True
                continue
            # Not a property line: a base64 run (2.1), a value broken without fold whitespace, or junk.
            if cur and _is_base64(cur[0]):
                cur.append(line)
            elif cur and not (m is not None and line.strip().upper() in _BARE_NAMES):
                cur += (b"\n", line)
                glued.append(base + i - 1)
            else:
                self.warn(f"Line {base + i - 1} has no value; it was left out.")
        if cur:
            props.append(self._parse(cur_at, cur))
        if glued:
            more = f" (and {len(glued) - 1} more)" if len(glued) > 1 else ""
            self.warn(f"Line {glued[0]}{more} does not begin with a property; it was read as part of the line before.")
        return props

    def _parse(self, at: int, parts: list[bytes]) -> _Prop:
        line = parts[0] if len(parts) == 1 else b"".join(parts)
        return _parse_line(self.block.line + 1 + at, line, self.block.long.get(at, 0))

    def read(self) -> CardResult:
        """The card as a person, a company, or a rejection."""
        block = self.block
        if block.error:
            return self.reject(block.error)
        version = (block.version or b"").decode("ascii", "replace")
        if version in ("4", "3", "4.0", "3.0", "2.1"):
            version = version if "." in version else version + ".0"
        elif version:
            return self.reject(f"VERSION {version} is not a vCard version crmdesk reads (2.1, 3.0 or 4.0)")
        else:
            self.warn("The card has no VERSION line; it was read as vCard 3.0.")
        self.v21 = version == "2.1"
        self.version = version
        for i, text in enumerate(begin_end_blanks(version, block.blanks)):
            self.findings.note(f"blank:{i}", text)
        props = self.logical_lines()
        for p in props:
            if p.size:
                if p.name == "PHOTO":
                    return self.reject(_too_big("photo", p.size * 3 // 4))
                return self.reject(f"line {p.no} is {_mb(p.size)} long, more than crmdesk reads in one line")
        return _Draft(self, props).result()


def _is_base64(line: bytes) -> bool:
    colon = _value_colon(line)
    head = line[:colon].upper()
    return b"BASE64" in head or b"ENCODING=B" in head


class _Reject(Exception):  # noqa: N818 - internal control flow: the card is rejected with this reason
    """Raised while reading a card that cannot be imported; the message is the reason shown."""


_MAX_ITEM = 1000  # longest e-mail or phone value handed to validation (an e-mail address has at most 254)
_ITEM_PROBLEM = re.compile(r"cards\[(\d+)\]\.(emails|phones|addresses)\[(\d+)\](?:\..*)?")
_KINDS = {"emails": "EMAIL", "phones": "TEL", "addresses": "ADR"}
_FIELD_NAMES = {"name": "name", "cards": "business cards"}


def _join_list(component: str, sep: str = " ") -> str:
    """A structured component that may be a comma list (N: "Hans,Peter") as one text."""
    return sep.join(v.strip() for v in (_unescape(x) for x in _split(component, ",")) if v.strip())


_split_prefix = split_name_prefix  # N prefix words → (salutation, title)


def _address_target(a: Address) -> str:
    digest = hashlib.sha256("\x1f".join(_address_key(a)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"ADR:{digest[:16]}"


def _birthday(text: str, p: _Prop) -> Birthday:
    """BDAY in the forms real files use; Apple's year 1604 (and X-APPLE-OMIT-YEAR) means "no year"."""
    t = text.strip()
    if t.startswith("--") and "T" in t:
        t = t.split("T", 1)[0]
    b = Birthday.parse(t)
    if b.year == 1604 or (b.year is not None and p.param("X-APPLE-OMIT-YEAR") == str(b.year)):
        return Birthday(month=b.month, day=b.day)
    return b


class _Draft:
    """The properties of one card sorted into what becomes a person (or company), and that record built."""

    def __init__(self, card: _Card, props: list[_Prop]) -> None:
        self.card = card
        self.props = props
        self.n: list[str] | None = None
        self.fn = ""
        self.has_fn = False  # an FN line, even an empty one
        self.org: list[str] | None = None
        self.title: str | None = None
        self.roles: list[tuple[str, _Prop]] = []
        self.items: list[_Item] = []
        self.urls: list[tuple[str, _Prop, int]] = []
        self.notes: list[str] = []
        self.tags: list[str] = []
        self.photo: bytes | None = None
        self.logo: bytes | None = None
        self.uid = ""
        self.gender = ""
        self.birthday: Birthday | None = None
        self.company_kind = False  # KIND:org or X-ABShowAs:COMPANY
        self.kind_org = False
        self.markers: dict[int, _Spec] = {}
        self.salutation: str | None = None
        self.lifecycle = ""
        self.custom: list[tuple[str, str]] = []
        self.labels: list[_Label] = []
        self.label_of: dict[str, int] = {}  # group → index in labels

    # -- collecting --------------------------------------------------------------------------------------------

    def collect(self) -> None:
        card = self.card
        for p in self.props:
            if p.name == "X-ABLABEL" and p.group and p.group not in self.label_of:
                self.label_of[p.group] = len(self.labels)
                self.labels.append(_Label(p, _unescape(card.text(p)).strip(), custom=True))
        handlers = _HANDLERS
        group_labels = {id(label.prop) for label in self.labels}
        rules = _RULES[card.version]
        findings = card.findings
        for p in self.props:
            found = rules.check(p.head, p.name, p.params)
            if found:
                for f in found:
                    findings.add(f, p.no)
            if b"\\\\" in p.raw:
                doubled = double_escaped(p.name, p.raw)
                if doubled is not None:
                    findings.add(doubled, p.no)
            handler = handlers.get(p.name)
            if handler is not None:
                handler(self, p)
            elif p.name not in _SKIP and id(p) not in group_labels:  # a group's label is decided at the end
                card.keep(p)

    def _n(self, p: _Prop) -> None:
        if self.n is not None:
            self.card.keep(p)
            return
        parts = _split(self.card.text(p), ";")
        self._count(p, len(parts))
        self.n = [_join_list(c, ", " if i == 4 else " ") for i, c in enumerate(parts[:5])]

    def _fn(self, p: _Prop) -> None:
        self.has_fn = True
        text = normalize_text(_unescape(self.card.text(p)))
        if not self.fn:
            self.fn = text
        elif text:
            self.card.keep(p)

    def _org(self, p: _Prop) -> None:
        if self.org is not None:
            self.card.keep(p)
            return
        self.org = [c.strip() for c in _components(self.card.text(p))]

    def _title(self, p: _Prop) -> None:
        if self.title is not None:
            self.card.keep(p)
            return
        self.title = _unescape(self.card.text(p)).strip()

    def _role(self, p: _Prop) -> None:
        self.roles.append((_unescape(self.card.text(p)).strip(), p))

    def _item(self, p: _Prop) -> None:
        text = self.card.text(p)
        types = p.types
        label = self.label_of.get(p.group, -1) if p.group else -1
        if label >= 0:
            known = _LABELS[p.name].get(self.labels[label].value.casefold())
            if known is not None:
                types = types | frozenset(known.split())
                self.labels[label].custom = False
        card_param = p.param("X-CRMDESK-CARD")
        card = int(card_param) if card_param.isdigit() else 0
        address: Address | None = None
        if p.name == "ADR":
            components = _components(text)
            self._count(p, len(components))
            address = _address(components)
            if address.is_empty():
                return
            value = ""
        else:
            value = _unescape(text).strip()
            if p.name == "EMAIL" and "<" in value and value.endswith(">"):
                value = value[value.rindex("<") + 1 : -1].strip()  # "Omega" <omega@example.com>
            if not value:
                return
            if len(value) > _MAX_ITEM:  # checking it would take long, and it cannot be an address or a number
                what = "an e-mail address" if p.name == "EMAIL" else "a phone number"
                self.card.warn(f"“{value[:40]}…” is too long for {what}; it was kept as written.")
                self.card.keep(p)
                return
        self.items.append(_Item(p.name, p, value, address, types, p.pref, card, label))

    def _url(self, p: _Prop) -> None:
        value = normalize_text(_unescape(self.card.text(p))).replace("\\:", ":")  # Google writes "http\\://"
        if value:
            self.urls.append((value, p, self.label_of.get(p.group, -1) if p.group else -1))

    def _note(self, p: _Prop) -> None:
        self.notes.append(_unescape(self.card.text(p)))

    def _categories(self, p: _Prop) -> None:
        self.tags.extend(_unescape(t) for t in _split(self.card.text(p), ","))

    def _uid(self, p: _Prop) -> None:
        if self.uid:
            self.card.warn(f"The card has a second UID (line {p.no}); it was kept as written.")
            self.card.keep(p)
            return
        self.uid = _unescape(self.card.text(p)).strip()

    def _image(self, p: _Prop) -> bytes | None:
        """The inline image of PHOTO/LOGO, or None when the value is a link (kept as written by the caller)."""
        raw = p.raw.strip()
        if raw[:5].lower() == b"data:":
            header, _, payload = raw.replace(b"\\,", b",").partition(b",")
            if b";base64" not in header.lower():
                return None
        elif p.encoding in ("B", "BASE64"):
            payload = raw
        else:
            return None
        compact = payload.translate(None, b" \t\r\n")
        size = len(compact) * 3 // 4 - (len(compact) - len(compact.rstrip(b"=")))
        what = "photo" if p.name == "PHOTO" else "logo"
        if size > MAX_PHOTO_BYTES:
            raise _Reject(_too_big(what, size))
        data = _b64decode(payload)
        if data is None:
            raise _Reject(f"the {what}'s base64 data is damaged")
        return data

    def _count(self, p: _Prop, count: int) -> None:
        found = component_count(self.card.version, p.name, count)
        if found is not None:
            self.card.findings.add(found, p.no)

    def _link(self, p: _Prop) -> None:
        found = link_without_value(self.card.version, p.name, p.raw, p.params)
        if found is not None:
            self.card.findings.add(found, p.no)

    def _photo(self, p: _Prop) -> None:
        if not p.raw.strip():
            return
        self._link(p)
        data = self._image(p)
        if data is None or self.photo is not None:
            self.card.keep(p)
        elif not _sniff_image(data):
            self.card.warn("The photo is not an image crmdesk can show; it was kept as written.")
            self.card.keep(p)
        else:
            self.photo = data

    def _logo(self, p: _Prop) -> None:
        if p.raw.strip():
            self._link(p)
        data = self._image(p) if p.raw.strip() else None
        if data is not None and self.logo is None and _sniff_image(data):
            self.logo = data
        self.card.keep(p)  # a person has no logo: kept; a company card takes `logo`

    def _bday(self, p: _Prop) -> None:
        text = _unescape(self.card.text(p)).strip()
        if self.birthday is not None or not text:
            self.card.keep(p)
            return
        try:
            self.birthday = _birthday(text, p)
        except ValueError:
            self.card.warn(f"The birthday “{text}” is no date crmdesk understands; it was kept as written.")
            self.card.keep(p)

    def _gender(self, p: _Prop) -> None:
        text = normalize_text(_unescape(self.card.text(p)))
        if self.gender or not text:
            self.card.keep(p)
        else:
            self.gender = text

    def _kind(self, p: _Prop) -> None:
        if self.card.text(p).strip().lower() == "org":
            self.company_kind = self.kind_org = True
        else:
            self.card.keep(p)

    def _show_as(self, p: _Prop) -> None:
        if self.card.text(p).strip().upper() == "COMPANY":
            self.company_kind = True
        self.card.keep(p)

    def _marker(self, p: _Prop) -> None:
        c = [*_x_components(self.card.text(p)), "", "", "", ""]
        if not c[0].strip().isdigit():
            self.card.keep(p)
            return
        self.markers[int(c[0])] = _Spec(c[1].strip().lower() == "private", c[2], c[3], c[4])

    def _salutation(self, p: _Prop) -> None:
        self.salutation = normalize_text(_unescape(self.card.text(p)))

    def _lifecycle(self, p: _Prop) -> None:
        self.lifecycle = _unescape(self.card.text(p))

    def _custom(self, p: _Prop) -> None:
        c = [*_x_components(self.card.text(p)), ""]
        self.custom.append((c[0], c[1]))

    # -- building ----------------------------------------------------------------------------------------------

    def result(self) -> CardResult:
        card = self.card
        try:
            self.collect()
            n_name = self._n_name()
            org_name = normalize_text(self.org[0]) if self.org else ""
            company_name = org_name or self.fn
            # Apple's company cards (X-ABShowAs:COMPANY) may carry the company's name split into N as well.
            n_is_company = n_name is not None and " ".join(x for x in (n_name[2], n_name[4]) if x) == org_name
            if self.kind_org and company_name:
                self._required("ORG")
                return self._company(company_name, named=n_name is not None and not n_is_company)
            if self.company_kind and org_name and (n_name is None or n_is_company):
                self._required("ORG")
                return self._company(org_name, named=False)
            if n_name is None and org_name and (not self.fn or self.fn == org_name):
                self._required("ORG")
                return self._company(org_name, named=False)
            name = n_name or self._fn_name()
            if name is None:
                raise _Reject("the card has no name (no N, FN or ORG)")
            if n_name:
                self._required("N")
            return self._person(name)
        except _Reject as r:
            return card.reject(str(r))

    def _required(self, source: str) -> None:
        """Note a missing FN that the card's version requires; the name was taken from `source`."""
        text = missing_fn(self.card.version, self.has_fn, source)
        if text:
            self.card.findings.note("required:FN", text)

    def _n_name(self) -> tuple[str, str, str, str, str, str] | None:
        """(salutation, title, first, middle, last, suffix) from N, or None if N names no one."""
        last, first, middle, prefix, suffix = [*(self.n or []), "", "", "", "", ""][:5]
        last, first = normalize_text(last), normalize_text(first)
        if not (first or last):
            return None
        return (*self._prefix(prefix), first, normalize_text(middle), last, normalize_text(suffix))

    def _fn_name(self) -> tuple[str, str, str, str, str, str] | None:
        """The name from FN alone: the last word is the last name, the rest the first name; N's other parts stay."""
        words = self.fn.split()
        if not words:
            return None
        _, _, middle, prefix, suffix = [*(self.n or []), "", "", "", "", ""][:5]
        return (*self._prefix(prefix), " ".join(words[:-1]), normalize_text(middle), words[-1], normalize_text(suffix))

    def _prefix(self, prefix: str) -> tuple[str, str]:
        """N's prefix as (salutation, title), by X-CRMDESK-SALUTATION when it fits, else by the word list."""
        prefix = normalize_text(prefix)
        hint = self.salutation
        if hint is not None and (not hint or prefix == hint or prefix.startswith(hint + " ")):
            return hint, prefix[len(hint) :].strip()
        return _split_prefix(prefix)

    def _specs(self) -> list[_Spec]:
        """The business cards: crmdesk's own layout when the file has X-CRMDESK-CARD, else ORG/TITLE and every
        non-home item on the favourite card and the HOME-typed items on a private one."""
        org = self.org or []
        company = org[0] if org else ""
        department = " / ".join(u for u in org[1:] if u)
        position = self.title if self.title is not None else (self.roles[0][0] if self.roles else "")
        for i, (_, p) in enumerate(self.roles):
            if self.title is not None or i > 0:
                self.card.keep(p)
        if self.markers or any(item.card for item in self.items):
            specs = dict(self.markers)
            for item in self.items:
                specs.setdefault(item.card or 1, _Spec()).items.append(item)
            if 1 in specs or company or department or position:
                first = specs.setdefault(1, _Spec())
                first.company, first.department, first.position = company, department, position
            return [specs[k] for k in sorted(specs)]
        business = _Spec(company=company, department=department, position=position)
        private = _Spec(private=True)
        for item in self.items:
            (private if _is_home(item.types) else business).items.append(item)
        specs_list = []
        if company or department or position or business.items:
            specs_list.append(business)
        if private.items:
            specs_list.append(private)
        return specs_list

    def _build(
        self, name: tuple[str, str, str, str, str, str], specs: list[_Spec], extras: tuple[str, ...]
    ) -> PersonRecord:
        cards = []
        for i, s in enumerate(specs):
            record = BusinessCardRecord(
                company_name=s.company,
                position=s.position,
                department=s.department,
                private=s.private,
                favourite=i == 0,
                emails=tuple(Email(it.value, _email_type(it.types), it.pref) for it in s.items if it.kind == "EMAIL"),
                phones=tuple(Phone(it.value, _phone_type(it.types), it.pref) for it in s.items if it.kind == "TEL"),
                addresses=tuple(
                    _typed(it.address, it.types, it.pref)
                    for it in s.items
                    if it.kind == "ADR" and it.address is not None
                ),
            )
            s.id = record.id
            cards.append(record)
        salutation, title, first, middle, last, suffix = name
        return PersonRecord(
            salutation=salutation,
            title=title,
            first_name=first,
            middle_name=middle,
            last_name=last,
            suffix=suffix,
            gender=self.gender,
            birthday=self.birthday,
            notes="\n".join(self.notes),
            lifecycle=self.lifecycle,
            photo=self.photo,
            tags=tuple(self.tags),
            custom=tuple(self.custom),
            cards=tuple(cards),
            urls=tuple(u for u, _, _ in self.urls),
            vcard_uid=self.uid,
            vcard_extra=extras,
        )

    def _person(self, name: tuple[str, str, str, str, str, str]) -> CardResult:
        card = self.card
        specs = self._specs()
        for _ in range(3):
            person = self._build(name, specs, _in_order(card.extras))
            try:
                normal = validate.check_person(person, region=card.region)
                break
            except ValidationError as exc:
                specs = self._drop_bad_items(person, exc.problems, specs)
        else:  # pragma: no cover - every round removes items or rejects
            raise _Reject("the card cannot be stored")
        self._link_labels(normal, specs)
        for label in self.labels:
            if not label.used:
                card.keep(label.prop)
            elif label.target:
                line = card.extra_line(label.prop)
                if line is not None:
                    card.extras.append((label.prop.no, _with_target(line, label.target)))
        extras = _in_order(card.extras)
        if extras != normal.vcard_extra:
            normal = normal.replace(vcard_extra=extras)
        return CardResult(card.number, card.block.line, person=normal, warnings=card.all_warnings())

    def _drop_bad_items(self, person: PersonRecord, problems: dict[str, str], specs: list[_Spec]) -> list[_Spec]:
        """Take the e-mails, phones and addresses the store refuses off the cards, keeping their lines as written;
        reject the card for any other problem."""
        card = self.card
        other = [(k, v) for k, v in problems.items() if not _ITEM_PROBLEM.fullmatch(k)]
        if other:
            text = "; ".join(f"{_field_name(k)}: {v}" for k, v in other)
            raise _Reject(f"the card cannot be stored: {text}")
        normal = validate.normalize_person(person, region=card.region)
        by_id = {s.id: s for s in specs}
        bad: set[int] = set()
        for key, message in problems.items():
            m = _ITEM_PROBLEM.fullmatch(key)
            assert m is not None
            spec = by_id[normal.cards[int(m.group(1))].id]
            kind = _KINDS[m.group(2)]
            item = [it for it in spec.items if it.kind == kind][int(m.group(3))]
            bad.add(id(item))
            what = {"EMAIL": "an e-mail address", "TEL": "a phone number", "ADR": "an address"}[kind]
            if kind == "ADR":
                message = f"The address on line {item.prop.no} cannot be stored ({message})"
            card.warn(f"{message}; it was kept as written, not as {what}.")
            card.keep(item.prop)
        for spec in specs:
            spec.items = [it for it in spec.items if id(it) not in bad]
        keep_empty = bool(self.markers)
        return [s for s in specs if keep_empty or s.items or s.company or s.department or s.position]

    def _link_labels(self, normal: PersonRecord, specs: list[_Spec]) -> None:
        """Mark the labels that refined or name an item in the record (a custom one gets X-CRMDESK-FOR)."""
        by_id = {s.id: s for s in specs}
        for record in normal.cards:
            spec = by_id.get(record.id)
            if spec is None:
                continue
            values: dict[str, list[str]] = {
                "EMAIL": [e.address for e in record.emails],
                "TEL": [ph.number for ph in record.phones],
                "ADR": [_address_target(a) for a in record.addresses],
            }
            seen: dict[str, int] = {"EMAIL": 0, "TEL": 0, "ADR": 0}
            for item in spec.items:
                j = seen[item.kind]
                seen[item.kind] = j + 1
                if item.label < 0:
                    continue
                label = self.labels[item.label]
                if label.used:
                    continue
                label.used = True
                if label.custom:
                    value = values[item.kind][j]
                    label.target = value if item.kind == "ADR" else f"{item.kind}:{value}"
        urls = set(normal.urls)
        for value, _, index in self.urls:
            if index >= 0 and not self.labels[index].used and value in urls and '"' not in value:
                self.labels[index].used = True
                self.labels[index].target = f"URL:{value}"
        for label in self.labels:
            if label.target and '"' in label.target:
                label.target = ""
                label.used = False

    def _company(self, name: str, *, named: bool) -> CardResult:
        card = self.card
        kept = {_name_of(text)[1] for _, text in card.extras}
        lost = sorted(n for n in kept if not n.startswith("X-AB") and n not in ("KIND", "FN", "LOGO", "PHOTO"))
        if named:
            lost.insert(0, "the person's name")
        if self.birthday is not None:
            lost.append("BDAY")
        if len(self.urls) > 1:
            lost.append("more URLs")
        for item in self.items:
            if item.card:
                item.card = 0
        company = CompanyRecord(
            name=name,
            website=self.urls[0][0] if self.urls else "",
            notes="\n".join(self.notes),
            logo=self.logo or self.photo,
            tags=tuple(self.tags),
            emails=tuple(Email(it.value, _email_type(it.types), it.pref) for it in self.items if it.kind == "EMAIL"),
            phones=tuple(Phone(it.value, _phone_type(it.types), it.pref) for it in self.items if it.kind == "TEL"),
            addresses=tuple(
                _typed(it.address, it.types, it.pref)
                for it in self.items
                if it.kind == "ADR" and it.address is not None
            ),
        )
        for _ in range(2):
            try:
                normal = validate.check_company(company, region=card.region)
                break
            except ValidationError as exc:
                company = self._drop_bad_company_parts(company, exc.problems)
        else:
            raise _Reject("the card cannot be stored")
        if lost:
            shown = ", ".join(lost[:6]) + (", …" if len(lost) > 6 else "")
            card.warn(f"The card is a company's, which has no place for {shown}; that was left out.")
        return CardResult(card.number, card.block.line, company=normal, warnings=card.all_warnings(company=True))

    def _drop_bad_company_parts(self, company: CompanyRecord, problems: dict[str, str]) -> CompanyRecord:
        card = self.card
        drop: dict[str, set[int]] = {"emails": set(), "phones": set(), "addresses": set()}
        website = company.website
        for key, message in problems.items():
            m = re.fullmatch(r"(emails|phones|addresses)\[(\d+)\](?:\..*)?", key)
            if m is not None:
                drop[m.group(1)].add(int(m.group(2)))
                card.warn(f"{message}; a company keeps no such line, so it was left out.")
            elif key == "website":
                website = ""
                card.warn(f"{message}; it was left out.")
            else:
                raise _Reject(f"the card cannot be stored: {_field_name(key)}: {message}")
        return company.replace(
            website=website,
            emails=tuple(e for i, e in enumerate(company.emails) if i not in drop["emails"]),
            phones=tuple(p for i, p in enumerate(company.phones) if i not in drop["phones"]),
            addresses=tuple(a for i, a in enumerate(company.addresses) if i not in drop["addresses"]),
        )


# The property → handler table of `_Draft.collect` (every other property is kept in vcard_extra).
_HANDLERS: dict[str, Callable[[_Draft, _Prop], None]] = {
    "N": _Draft._n,
    "FN": _Draft._fn,
    "ORG": _Draft._org,
    "TITLE": _Draft._title,
    "ROLE": _Draft._role,
    "EMAIL": _Draft._item,
    "TEL": _Draft._item,
    "ADR": _Draft._item,
    "URL": _Draft._url,
    "NOTE": _Draft._note,
    "CATEGORIES": _Draft._categories,
    "UID": _Draft._uid,
    "PHOTO": _Draft._photo,
    "LOGO": _Draft._logo,
    "BDAY": _Draft._bday,
    "GENDER": _Draft._gender,
    "X-GENDER": _Draft._gender,
    "KIND": _Draft._kind,
    "X-ABSHOWAS": _Draft._show_as,
    "X-CRMDESK-CARD": _Draft._marker,
    "X-CRMDESK-SALUTATION": _Draft._salutation,
    "X-CRMDESK-LIFECYCLE": _Draft._lifecycle,
    "X-CRMDESK-CUSTOM": _Draft._custom,
}
# The standard-conformance rules per VERSION ("" for a card without one), sharing their caches across files.
_RULES = {version: Rules(version, handled=frozenset(_HANDLERS), skipped=_SKIP) for version in ("", "2.1", "3.0", "4.0")}


def _typed(a: Address | None, types: frozenset[str], pref: bool) -> Address:
    assert a is not None
    return Address(a.street, a.postcode, a.city, a.region, a.country, _address_type(types), pref)


def _field_name(key: str) -> str:
    """A problem's field path as words: "cards[0].company_name" → "company name"."""
    last = re.sub(r"\[\d+\]", "", key.rsplit(".", 1)[-1])
    return _FIELD_NAMES.get(last, last.replace("_", " "))


def _in_order(extras: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(text for _, text in sorted(extras, key=lambda e: e[0]))


def _with_target(line: str, target: str) -> str:
    """`line` with its X-CRMDESK-FOR parameter set to `target`."""
    colon = _head_end(line)
    head = _FOR_PARAM.sub("", line[:colon])
    return f'{head};X-CRMDESK-FOR="{target}"{line[colon:]}'


# ---------------------------------------------------------------------------------------------------------------------
# Reading: the public entry point


def read_cards(stream: BinaryIO, *, region: str = "DE", source: str = "") -> Iterator[CardResult]:
    """Read the cards of a vCard file (2.1, 3.0 or 4.0), one at a time.

    The file is read in chunks and each top-level ``BEGIN:VCARD`` … ``END:VCARD`` block is turned into a result
    before the next is read; nested vCard 2.1 cards (AGENT) stay in their parent. A card that cannot be imported
    is a result with `CardResult.error` set (a reason a user understands), and the reading goes on; data that is
    kept otherwise than written (an e-mail or phone the store refuses, an unknown charset, …) is noted in
    `CardResult.warnings`. Every person returned has passed `validate.check_person` (with `region`) and is in its
    normal form.

    Args:
        stream: The file, opened in binary mode.
        region: ISO 3166-1 alpha-2 code of the country assumed for phone numbers without a country code.
        source: The file's name, for messages.

    Yields:
        One result per top-level card, numbered from 1, with the physical line its BEGIN:VCARD is on.

    Raises:
        UnreadableFile: The file is empty, binary, or holds no BEGIN:VCARD line at all (a CSV file, say), or it
            cannot be read. No other exception escapes, whatever the bytes.
    """
    src = _Source(stream, source)
    number = 0
    for block in _blocks(src):
        number += 1
        card = _Card(number, block, region)
        try:
            result = card.read()
        except Exception:  # a bug must not end an import of thousands of cards: this card is skipped, and logged
            _log.exception("reading card %d (line %d) of %s failed", number, block.line, source or "a vCard file")
            result = CardResult(number, block.line, error="crmdesk could not read this card (an internal error)")
        if not result.rejected:  # the file's line ends: noted once, on the first card read after they show
            note = src.ends.note(card.version)
            if note:
                result = replace(result, warnings=(note, *result.warnings))
        yield result
    if number == 0:
        raise UnreadableFile(_not_vcard_message(source, src))


def _not_vcard_message(source: str, src: _Source) -> str:
    name = _quoted(source)
    first = next((ln for ln in src.head.decode("utf-8", "replace").splitlines() if ln.strip()), "")
    if ":" not in first and max(first.count(","), first.count(";"), first.count("\t")) >= 1:
        return f"{name} is not a vCard file but looks like a CSV file (it has no BEGIN:VCARD line); import it as CSV."
    return f"{name} is not a vCard file: it has no BEGIN:VCARD line."


# ---------------------------------------------------------------------------------------------------------------------
# Writing


def _prodid() -> str:
    return f"PRODID:-//crmdesk//crmdesk {crmdesk.__version__}//EN"


_EMAIL_TYPES = {EmailType.WORK: "WORK", EmailType.HOME: "HOME", EmailType.OTHER: "OTHER"}
_PHONE_TYPES = {
    PhoneType.WORK: "WORK,VOICE",
    PhoneType.HOME: "HOME,VOICE",
    PhoneType.MOBILE: "CELL,VOICE",
    PhoneType.FAX: "WORK,FAX",
    PhoneType.OTHER: "OTHER,VOICE",
}
_ADDRESS_TYPES = {
    AddressType.WORK: "WORK",
    AddressType.HOME: "HOME",
    AddressType.POSTAL: "POSTAL",
    AddressType.OTHER: "OTHER",
}


def _check_version(version: str) -> bool:
    """True for 4.0, False for 3.0."""
    if version not in ("3.0", "4.0"):
        raise ValueError(f"crmdesk writes vCard 3.0 or 4.0, not {version!r}")
    return version == "4.0"


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 §3.2) without splitting a UTF-8 sequence.

    No continuation line is whitespace only (vobject would take it for a blank line): a run of spaces at a fold
    point makes that line longer instead.
    """
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8", "surrogatepass")
    if len(data) <= 75:
        return line
    pieces: list[bytes] = []
    start, limit, end = 0, 75, len(data)
    while end - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        while cut < end and pieces and not data[start:cut].strip():
            cut += 1
            while cut < end and data[cut] & 0xC0 == 0x80:
                cut += 1
        if cut >= end:
            break
        pieces.append(data[start:cut])
        start, limit = cut, 74
    tail = data[start:]
    if pieces and not tail.strip():
        pieces[-1] += tail
    else:
        pieces.append(tail)
    return "\r\n ".join(p.decode("utf-8", "surrogatepass") for p in pieces)


def _card_text(lines: list[str]) -> str:
    """The content lines folded and joined with CRLF; control characters, which vCard cannot carry, left out."""
    text = "\r\n".join(map(_fold, lines)) + "\r\n"
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def _types(base: str, favourite: bool, v4: bool) -> str:
    if v4:
        return f";TYPE={base.lower()};PREF=1" if favourite else f";TYPE={base.lower()}"
    return f";TYPE={base},PREF" if favourite else f";TYPE={base}"


def _email_line(e: Email, v4: bool, extra: str) -> str:
    kind = _EMAIL_TYPES.get(e.type, "WORK")
    return f"EMAIL{_types(kind if v4 else 'INTERNET,' + kind, e.favourite, v4)}{extra}:{_esc(e.address)}"


def _phone_line(ph: Phone, v4: bool, extra: str, private: bool) -> str:
    kind = _PHONE_TYPES.get(ph.type, "WORK,VOICE")
    if ph.type is PhoneType.FAX and private:
        kind = "HOME,FAX"
    if v4:
        return f"TEL;VALUE=uri{_types(kind, ph.favourite, v4)}{extra}:tel:{ph.number}"
    return f"TEL{_types(kind, ph.favourite, v4)}{extra}:{_esc(ph.number)}"


def _address_line(a: Address, v4: bool, extra: str) -> str:
    kind = _ADDRESS_TYPES.get(a.type, "WORK")
    value = ";".join(_esc(x) for x in ("", "", a.street, a.city, a.region, a.postcode, a.country))
    return f"ADR{_types(kind, a.favourite, v4)}{extra}:{value}"


def _name_lines(out: list[str], p: PersonRecord) -> None:
    prefix = " ".join(x for x in (p.salutation, p.title) if x)
    out.append(f"FN:{_esc(p.display_name)}")
    out.append("N:" + ";".join(_esc(x) for x in (p.last_name, p.first_name, p.middle_name, prefix, p.suffix)))
    if _split_prefix(prefix) != (p.salutation, p.title):
        out.append(f"X-CRMDESK-SALUTATION:{_esc(p.salutation)}")


def _photo_line(photo: bytes, v4: bool) -> str:
    kind = _sniff_image(photo)
    data = base64.b64encode(photo).decode("ascii")
    if v4:
        return f"PHOTO:data:{'image/' + kind.lower() if kind else 'application/octet-stream'};base64,{data}"
    return f"PHOTO;ENCODING=b{';TYPE=' + kind if kind else ''}:{data}"


def _ordered_cards(p: PersonRecord) -> list[BusinessCardRecord]:
    fav = p.favourite_card
    return [] if fav is None else [fav, *(c for c in p.cards if c is not fav)]


def _plain_business(card: BusinessCardRecord) -> bool:
    """Whether a lone card reads back as it is without X-CRMDESK-CARD: a non-empty business card with no HOME item."""
    if card.private or not (card.company_name or card.department or card.position or card.emails or card.phones):
        return bool(not card.private and card.addresses and _no_home(card))
    return _no_home(card)


def _no_home(card: BusinessCardRecord) -> bool:
    return not (
        any(e.type is EmailType.HOME for e in card.emails)
        or any(ph.type is PhoneType.HOME for ph in card.phones)
        or any(a.type is AddressType.HOME for a in card.addresses)
    )


class _Labels:
    """The custom labels of `vcard_extra` that name an item (X-CRMDESK-FOR): the group each item is written in."""

    def __init__(self, extras: Sequence[str]) -> None:
        self.targets: dict[str, list[int]] = {}
        self.groups: dict[int, str] = {}
        self.used: set[int] = set()
        for i, line in enumerate(extras):
            if "X-CRMDESK-FOR" not in line.upper():
                continue
            group, name = _name_of(line)
            m = _FOR_PARAM.search(line[: _head_end(line)])
            if name == "X-ABLABEL" and group and m is not None:
                target = m.group(0).split("=", 1)[1].strip('"')
                self.targets.setdefault(target, []).append(i)
                self.groups[i] = group

    def group(self, target: str) -> str:
        """ "item1." for the first unused label naming `target`, else ""."""
        for i in self.targets.get(target, ()):
            if i not in self.used:
                self.used.add(i)
                return self.groups[i] + "."
        return ""

    def stale(self, i: int) -> bool:
        """Whether extra line `i` labels an item that is gone."""
        return i in self.groups and i not in self.used


def _no_labels(target: str) -> str:
    return ""


def write_card(person: PersonRecord, *, version: str = "3.0") -> str:
    """One full vCard of a person (see the module docstring for how several business cards are written).

    Args:
        person: The person.
        version: "3.0" (default) or "4.0".

    Returns:
        The card, CRLF line ends, lines folded at 75 octets.

    Raises:
        ValueError: `version` is neither "3.0" nor "4.0".
    """
    v4 = _check_version(version)
    out = ["BEGIN:VCARD", f"VERSION:{version}", _prodid()]
    uid = person.vcard_uid or person.id
    if uid:
        out.append(f"UID:{_esc(uid)}")
    updated = person.stamp.updated_at
    if updated is not None:
        stamp = updated if updated.utcoffset() is not None else updated.replace(tzinfo=dt.UTC)
        out.append("REV:" + stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"))
    _name_lines(out, person)
    extras = person.vcard_extra
    names = {_name_of(x)[1] for x in extras} if extras else set()
    labels = _Labels(extras) if extras else None
    group = labels.group if labels is not None else _no_labels
    cards = _ordered_cards(person)
    fav = cards[0] if cards else None
    if (fav is not None and (fav.company_name or fav.department)) or "ORG" in names:
        org = _esc(fav.company_name) if fav is not None else ""
        out.append(f"ORG:{org};{_esc(fav.department)}" if fav is not None and fav.department else f"ORG:{org}")
    if (fav is not None and fav.position) or names & {"TITLE", "ROLE"}:
        out.append(f"TITLE:{_esc(fav.position) if fav is not None else ''}")
    markers = len(cards) > 1 or (len(cards) == 1 and not _plain_business(cards[0]))
    for n, card in enumerate(cards, 1):
        if markers:
            kind = "private" if card.private else "business"
            more = f";{_esc(card.company_name)};{_esc(card.department)};{_esc(card.position)}" if n > 1 else ""
            out.append(f"X-CRMDESK-CARD:{n};{kind}{more}")
        extra = f";X-CRMDESK-CARD={n}" if n > 1 else ""
        for e in card.emails:
            out.append(group(f"EMAIL:{e.address}") + _email_line(e, v4, extra))
        for ph in card.phones:
            out.append(group(f"TEL:{ph.number}") + _phone_line(ph, v4, extra, card.private))
        for a in card.addresses:
            out.append(group(_address_target(a)) + _address_line(a, v4, extra))
    b = person.birthday
    if b is not None:
        if b.year is None:
            out.append(f"BDAY:--{b.month:02d}{b.day:02d}")
        else:
            out.append(f"BDAY:{b.year:04d}{b.month:02d}{b.day:02d}" if v4 else f"BDAY:{b.iso()}")
    if person.gender:
        out.append(f"{'GENDER' if v4 else 'X-GENDER'}:{_esc(person.gender)}")
    if person.notes:
        out.append(f"NOTE:{_esc(person.notes)}")
    if person.tags:
        out.append("CATEGORIES:" + ",".join(_esc(t) for t in person.tags))
    for url in person.urls:
        out.append(f"{group('URL:' + url)}URL:{_esc(url)}")
    if person.lifecycle:
        out.append(f"X-CRMDESK-LIFECYCLE:{_esc(person.lifecycle)}")
    for key, value in person.custom:
        out.append(f"X-CRMDESK-CUSTOM:{_esc(key)};{_esc(value)}")
    if person.photo:
        out.append(_photo_line(person.photo, v4))
    for i, line in enumerate(extras):
        if labels is not None and labels.stale(i):
            continue
        out.append(line.replace("\r", "").replace("\n", "\\n"))
    out.append("END:VCARD")
    return _card_text(out)


def write_business_card(person: PersonRecord, *, version: str = "3.0") -> str:
    """A vCard of the person's favourite business card only: name, company, department, position, that card's
    e-mails, phones and addresses, and the photo. Nothing private: a private favourite card gives way to the first
    business card, and notes, tags, birthday, other cards and extra lines stay out.

    Args:
        person: The person.
        version: "3.0" (default) or "4.0".

    Returns:
        The card, CRLF line ends, lines folded at 75 octets.

    Raises:
        ValueError: `version` is neither "3.0" nor "4.0".
    """
    v4 = _check_version(version)
    out = ["BEGIN:VCARD", f"VERSION:{version}", _prodid()]
    _name_lines(out, person)
    card = next((c for c in _ordered_cards(person) if not c.private), None)
    if card is not None:
        if card.company_name or card.department:
            dept = f";{_esc(card.department)}" if card.department else ""
            out.append(f"ORG:{_esc(card.company_name)}{dept}")
        if card.position:
            out.append(f"TITLE:{_esc(card.position)}")
        out.extend(_email_line(e, v4, "") for e in card.emails)
        out.extend(_phone_line(ph, v4, "", False) for ph in card.phones)
        out.extend(_address_line(a, v4, "") for a in card.addresses)
    if person.photo:
        out.append(_photo_line(person.photo, v4))
    out.append("END:VCARD")
    return _card_text(out)


# ---------------------------------------------------------------------------------------------------------------------
# File names

_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"] + [f"{d}{i}" for d in ("COM", "LPT") for i in "0123456789¹²³"]
)
_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]')
_MAX_FILE_NAME = 120
_FOLDED = "\x00case-folded"  # marks a `taken` set whose names were all added case-folded as well


def safe_file_name(person: PersonRecord, taken: set[str]) -> str:
    """A file name for the person's vCard, safe on Windows, macOS and Linux, and not yet in `taken`.

    "Anna Schmidt.vcf", then "Anna Schmidt (2).vcf", … The name has none of ``/ \\ : * ? " < > |`` or control
    characters, is no reserved Windows name (CON, NUL, COM1, …), does not end in a dot or space, and has at most 120
    characters; a person without a usable name gets "contact.vcf". Names differing only in case count as taken
    (Windows and macOS do not tell them apart).

    Args:
        person: The person.
        taken: Names already used (for example, the files in the target folder). The name returned is added to it,
            and so are the case-folded forms of its names (with a marker entry), so the check stays fast.

    Returns:
        The file name.
    """
    if _FOLDED not in taken:
        taken.update([t.casefold() for t in taken])
        taken.add(_FOLDED)
    base = unicodedata.normalize("NFC", person.display_name)
    base = " ".join(_FORBIDDEN.sub(" ", base).split()).strip(". ")
    first, dot, rest = base.partition(".")
    if first.strip().upper() in _RESERVED:  # Windows reserves "NUL" with any extension too ("NUL.txt")
        base = f"{first.rstrip()}_{dot}{rest}"
    if not base:
        base = "contact"
    for n in itertools.count(1):
        suffix = f" ({n}).vcf" if n > 1 else ".vcf"
        stem = base[: _MAX_FILE_NAME - len(suffix)].rstrip(". ") or "contact"
        name = stem + suffix
        if name not in taken and name.casefold() not in taken:
            taken.add(name)
            taken.add(name.casefold())
            return name
    raise AssertionError("unreachable")  # pragma: no cover
