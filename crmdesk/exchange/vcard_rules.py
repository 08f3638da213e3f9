"""Standard-conformance checks of the vCard reader (issue 3: "every malformed file is reported").

The reader (`crmdesk.exchange.vcard`) reads much that the standards do not allow; these rules say, as warnings,
what in a card deviates from the standard of its VERSION, where, and what crmdesk did about it. Each rule is one of
the standards' own, applied per version:

* vCard 2.1 — the versit specification of 1996 ("vCard 2.1" below, with its section numbers);
* vCard 3.0 — RFC 2426 on RFC 2425 (with RFC 2739's calendar properties and RFC 4770's IMPP);
* vCard 4.0 — RFC 6350 and the properties and parameters registered since (RFC 6474, 6715, 8605, 9554, 9555).

A card without VERSION is checked against what all three have in common only (the reader already says it has no
VERSION). The rules run where the reader looks at a property anyway, and what they find for a property's name and
parameters is cached by its head (``TEL;TYPE=WORK``), so a file of thousands of similar cards costs a dict look-up
per line. Warnings are gathered per card and per rule and property (`Findings`): a card with ten odd TEL lines gets
one sentence naming the first line and how many more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Finding",
    "Findings",
    "LineEnds",
    "Rules",
    "begin_end_blanks",
    "component_count",
    "link_without_value",
    "missing_fn",
]

# ---------------------------------------------------------------------------------------------------------------------
# What each version defines


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_V21_PROPERTIES = _names(
    "BEGIN END VERSION FN N PHOTO BDAY ADR LABEL TEL EMAIL MAILER TZ GEO TITLE ROLE LOGO AGENT ORG NOTE REV SOUND "
    "URL UID KEY"
)
_V30_PROPERTIES = _names(
    # RFC 2425 §6 (the profile-independent types), RFC 2426 §3, RFC 2739 §2 (calendar URIs), RFC 4770 §1 (IMPP)
    "BEGIN END NAME PROFILE SOURCE VERSION FN N NICKNAME PHOTO BDAY ADR LABEL TEL EMAIL MAILER TZ GEO TITLE ROLE "
    "LOGO AGENT ORG CATEGORIES NOTE PRODID REV SORT-STRING SOUND UID URL CLASS KEY FBURL CALADRURI CAPURI CALURI "
    "IMPP"
)
_V40_PROPERTIES = _names(
    # RFC 6350 §6 and the IANA vCard Properties registry: RFC 6474, RFC 6715, RFC 8605, RFC 9554, RFC 9555
    "BEGIN END SOURCE KIND XML FN N NICKNAME PHOTO BDAY ANNIVERSARY GENDER ADR TEL EMAIL IMPP LANG TZ GEO TITLE "
    "ROLE LOGO ORG MEMBER RELATED CATEGORIES NOTE PRODID REV SOUND UID CLIENTPIDMAP URL VERSION KEY FBURL CALADRURI "
    "CALURI BIRTHPLACE DEATHPLACE DEATHDATE EXPERTISE HOBBY INTEREST ORG-DIRECTORY CONTACT-URI CREATED GRAMGENDER "
    "LANGUAGE PRONOUNS SOCIALPROFILE JSPROP"
)
_PROPERTIES = {"2.1": _V21_PROPERTIES, "3.0": _V30_PROPERTIES, "4.0": _V40_PROPERTIES}

_V21_PARAMS = _names("TYPE VALUE ENCODING CHARSET LANGUAGE")  # vCard 2.1 §2.1.5-2.1.8, §2.9
_V30_PARAMS = _names("TYPE VALUE ENCODING CHARSET LANGUAGE CONTEXT")  # RFC 2425 §5.8.2-5.8.4
_V40_PARAMS = _names(
    # RFC 6350 §5 (and LABEL, §6.3.1), RFC 6715 (INDEX, LEVEL), RFC 8605 (CC), RFC 9554, RFC 9555 (JSPTR)
    "LANGUAGE VALUE PREF ALTID PID TYPE MEDIATYPE CALSCALE SORT-AS GEO TZ LABEL INDEX LEVEL CC AUTHOR AUTHOR-NAME "
    "CREATED DERIVED PHONETIC PROP-ID SCRIPT SERVICE-TYPE USERNAME JSPTR"
)
_PARAMS = {"2.1": _V21_PARAMS, "3.0": _V30_PARAMS, "4.0": _V40_PARAMS}
# Parameters the reader acts on (the rest it does not use): an undefined one of these was "read anyway".
_READ_PARAMS = frozenset({"TYPE", "PREF", "ENCODING", "CHARSET"})

# TYPE values registered for ADR, TEL and EMAIL in any version (vCard 2.1 §2.3.1.1, §2.4.1.1, §2.4.2.1; RFC 2426
# §3.2.1, §3.3.1, §3.3.2; RFC 6350 §5.6, §6.4.1; IANA vCard Parameter Values: RFC 7852 "main-number", RFC 9554
# "billing" and "delivery"). "other" is registered nowhere, but crmdesk itself writes it (as Google and Outlook do),
# so it is not reported: crmdesk's own files are read without remarks.
_COMMON_TYPES = frozenset({"home", "work", "pref", "other"})
_TYPES = {
    "ADR": _COMMON_TYPES | {"dom", "intl", "postal", "parcel", "billing", "delivery"},
    "TEL": _COMMON_TYPES
    | {"voice", "fax", "msg", "cell", "pager", "bbs", "modem", "car", "isdn", "video", "pcs", "text", "textphone"}
    | {"main-number"},
    "EMAIL": _COMMON_TYPES
    | {"internet", "x400", "aol", "applelink", "attmail", "cis", "eworld", "ibmmail", "mcimail", "powershare"}
    | {"prodigy", "tlx"},
}
# vCard 2.1 writes any parameter value without its name (§2.9): encodings and value locations are no types.
_V21_BARE_OTHER = frozenset({"quoted-printable", "base64", "8bit", "7bit", "inline", "url", "content-id", "cid"})

_TOKEN = re.compile(r"[A-Za-z0-9-]+")
# RFC 1766 §2 language tags (2.1 and 3.0; subtags with digits as RFC 3066 allows), RFC 5646 §2.1 (4.0).
_RFC1766 = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_RFC5646 = re.compile(
    r"""(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})     # language, extlang
        (?:-[a-z]{4})?                                  # script
        (?:-(?:[a-z]{2}|[0-9]{3}))?                     # region
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*        # variants
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*             # extensions
        (?:-x(?:-[a-z0-9]{1,8})+)?                      # private use
      | x(?:-[a-z0-9]{1,8})+
      | en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)
      | sgn-(?:be-fr|be-nl|ch-de)|art-lojban|cel-gaulish|no-bok|no-nyn|zh-(?:guoyu|hakka|min|min-nan|xiang)""",
    re.VERBOSE | re.IGNORECASE,
)
_URI = re.compile(rb"\s*[A-Za-z][A-Za-z0-9+.-]*:")

# Where each version says what a rule checks.
_SPEC = {"2.1": "vCard 2.1", "3.0": "vCard 3.0", "4.0": "vCard 4.0"}
_REF_NAMES = {"2.1": "vCard 2.1 §2.8.1", "3.0": "RFC 2426 §4", "4.0": "RFC 6350 §3.3"}
_REF_PARAMS = {"2.1": "vCard 2.1 §2.9", "3.0": "RFC 2426 §4", "4.0": "RFC 6350 §5"}
_REF_LANGUAGE = {"2.1": "RFC 1766, vCard 2.1 §2.1.7", "3.0": "RFC 1766, RFC 2426 §4", "4.0": "RFC 5646, RFC 6350 §5.1"}
_REF_LINE_ENDS = {"2.1": "vCard 2.1 §2.1.3", "3.0": "RFC 2425 §5.8.1", "4.0": "RFC 6350 §3.2", "": "RFC 6350 §3.2"}
_REF_TYPES = {
    "2.1": {"ADR": "vCard 2.1 §2.3.1.1", "TEL": "vCard 2.1 §2.4.1.1", "EMAIL": "vCard 2.1 §2.4.2.1"},
    "3.0": {"ADR": "RFC 2426 §3.2.1", "TEL": "RFC 2426 §3.3.1", "EMAIL": "RFC 2426 §3.3.2"},
    "4.0": {"ADR": "RFC 6350 §6.3.1", "TEL": "RFC 6350 §6.4.1", "EMAIL": "RFC 6350 §6.4.2"},
}


# Stands for what became of a line crmdesk keeps in `vcard_extra`: a company keeps no such lines.
_KEPT = "{kept}"
_KEPT_BY = {False: "it was kept as written", True: "a company's card keeps no such line, so it was left out"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One deviation found on a line. `key` groups the same deviation on several lines of a card (and its
    `detail`s, the offending values, are listed once each). `one` is the sentence for a single detail, `many` for
    several; both name the line(s) as ``{where}`` ("line 7", "line 7 (and 2 more)") and the details as ``{what}``."""

    key: str
    one: str
    many: str = ""
    detail: str = ""


# ---------------------------------------------------------------------------------------------------------------------
# Per card


@dataclass(slots=True)
class Findings:
    """The deviations found in one card: one sentence per rule and property, however many lines share it."""

    _found: dict[str, tuple[Finding, list[int], list[str]]] = field(default_factory=dict)

    def add(self, finding: Finding, line: int) -> None:
        entry = self._found.get(finding.key)
        if entry is None:
            self._found[finding.key] = (finding, [line], [finding.detail] if finding.detail else [])
            return
        _, lines, details = entry
        if line not in lines:
            lines.append(line)
        if finding.detail and finding.detail not in details:
            details.append(finding.detail)

    def note(self, key: str, text: str) -> None:
        """A deviation of the card as a whole (`text` is the whole sentence)."""
        self._found.setdefault(key, (Finding(key, text), [], []))

    def sentences(self, *, company: bool = False) -> list[str]:
        """The findings as sentences; `company`: the card became a company, which keeps no extra lines."""
        out = []
        for finding, lines, details in self._found.values():
            text = finding.many if len(details) > 1 and finding.many else finding.one
            text = text.replace(_KEPT, _KEPT_BY[company])
            if lines:
                more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
                text = text.replace("{where}", f"line {lines[0]}{more}")
            if details:
                quoted = [f"“{d}”" for d in details]
                what = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
                text = text.replace("{what}", what)
            out.append(text)
        return out

    def __bool__(self) -> bool:
        return bool(self._found)


class Rules:
    """The rules on property names and parameters for one VERSION ("2.1", "3.0", "4.0", or "" if none)."""

    def __init__(self, version: str, *, handled: frozenset[str], skipped: frozenset[str]) -> None:
        """`handled`: the properties the reader reads itself; `skipped`: those it leaves out (VERSION, PRODID, …);
        every other one it keeps as written."""
        self.version = version
        self._done = {name: "it was read anyway" for name in handled} | {name: "it was ignored" for name in skipped}
        self._cache: dict[str, tuple[Finding, ...]] = {}

    def check(self, head: str, name: str, params: list[tuple[str, str]]) -> tuple[Finding, ...]:
        """What deviates in a property's name and parameters (`head` is everything before its value: the cache
        key, as the same head always has the same name and parameters)."""
        found = self._cache.get(head)
        if found is None:
            found = self._check(name, params)
            if len(self._cache) < 4096:
                self._cache[head] = found
        return found

    def _check(self, name: str, params: list[tuple[str, str]]) -> tuple[Finding, ...]:
        version = self.version
        if name.startswith("X-") or not _TOKEN.fullmatch(name):  # vendor space; odd names are tidied elsewhere
            return ()
        done = self._done.get(name, _KEPT)
        if not version:  # no VERSION: only a name no version has
            if any(name in names for names in _PROPERTIES.values()):
                return ()
            return (Finding(f"name:{name}", f"{name} on {{where}} is no vCard property; {done}."),)
        found: list[Finding] = []
        if name not in _PROPERTIES[version]:
            found.append(self._unknown_property(name, done))
        spec, ref = _SPEC[version], _REF_PARAMS[version]
        types = _TYPES.get(name)
        for key, value in params:
            if not key:
                if version != "2.1":
                    found.append(
                        Finding(
                            f"bare:{name}",
                            f"{name} on {{where}} has a parameter without a name ({{what}}), as vCard 2.1 writes "
                            f"them; {spec} wants NAME=value ({ref}); it was read anyway.",
                            f"{name} on {{where}} has parameters without a name ({{what}}), as vCard 2.1 writes "
                            f"them; {spec} wants NAME=value ({ref}); they were read anyway.",
                            value,
                        )
                    )
                elif types is not None and not _is_type(value.lower(), types, bare=True):
                    found.append(self._unknown_type(name, value))
            elif key.startswith("X-"):
                continue
            elif key not in _PARAMS[version]:
                read = key in _READ_PARAMS
                found.append(
                    Finding(
                        f"param:{name}:{read}",
                        f"{name} on {{where}} has the parameter {{what}}, which {spec} does not define ({ref}); "
                        + ("it was read anyway." if read else "crmdesk ignored it."),
                        f"{name} on {{where}} has the parameters {{what}}, which {spec} does not define ({ref}); "
                        + ("they were read anyway." if read else "crmdesk ignored them."),
                        key,
                    )
                )
            elif key == "LANGUAGE":
                if not (_RFC5646 if version == "4.0" else _RFC1766).fullmatch(value):
                    found.append(
                        Finding(
                            f"language:{name}",
                            f"{name} on {{where}} has LANGUAGE {{what}}, which is no language tag "
                            f"({_REF_LANGUAGE[version]}); it was ignored.",
                            f"{name} on {{where}} has LANGUAGE {{what}}, which are no language tags "
                            f"({_REF_LANGUAGE[version]}); they were ignored.",
                            value,
                        )
                    )
            elif key == "TYPE":
                if not value:
                    found.append(
                        Finding(
                            f"empty:{name}",
                            f"{name} on {{where}} has an empty TYPE value, which {spec} does not allow ({ref}); "
                            "it was ignored.",
                        )
                    )
                elif types is not None and not _is_type(value.lower(), types, bare=False):
                    found.append(self._unknown_type(name, value))
        return tuple(found)

    def _unknown_property(self, name: str, done: str) -> Finding:
        version = self.version
        spec = _SPEC[version]
        others = [v for v in ("2.1", "3.0", "4.0") if v != version and name in _PROPERTIES[v]]
        if others:
            text = f"{name} on {{where}} is a vCard {' and '.join(others)} property that {spec} does not have; "
        else:
            text = (
                f"{name} on {{where}} is no {spec} property, and a name of one's own must begin with “X-” "
                f"({_REF_NAMES[version]}); "
            )
        return Finding(f"name:{name}", f"{text}{done}.")

    def _unknown_type(self, name: str, value: str) -> Finding:
        ref = _REF_TYPES[self.version][name]
        return Finding(
            f"type:{name}",
            f"{name} on {{where}} has the type {{what}}, which is neither a registered {name} type nor one of one's "
            f"own beginning with “X-” ({ref}); crmdesk ignored it.",
            f"{name} on {{where}} has the types {{what}}, which are neither registered {name} types nor ones of one's "
            f"own beginning with “X-” ({ref}); crmdesk ignored them.",
            value,
        )


def _is_type(low: str, types: frozenset[str], *, bare: bool) -> bool:
    """Whether `low` is a registered type of the property or an x-name (a bare 2.1 value may also be an encoding or
    a value location)."""
    return low in types or (low.startswith("x-") and len(low) > 2) or (bare and low in _V21_BARE_OTHER)


# ---------------------------------------------------------------------------------------------------------------------
# Rules on values and on the card as a whole

# property: (components vCard 4.0 asks for and vCard 3.0 allows at most, where 4.0 says so, where 3.0 says so)
_COMPONENTS = {
    "N": (5, "RFC 6350 §6.2.2", "RFC 2426 §3.1.2 and §4", "fifth"),
    "ADR": (7, "RFC 6350 §6.3.1", "RFC 2426 §3.2.1 and §4", "seventh"),
}


def component_count(version: str, name: str, count: int) -> Finding | None:
    """N and ADR: vCard 4.0 wants all 5 and 7 components (RFC 6350 §6.2.2, §6.3.1; RFC 9554 adds more, which are
    optional); vCard 3.0 allows fewer but no more (RFC 2426 §4: ``n-value = 0*4(… ";") …``, ``adr-value =
    0*6(… ";") …``), and the reader does not use more. vCard 2.1 defines no count (its own example has N with two)."""
    full, ref40, ref30, last = _COMPONENTS[name]
    if version == "4.0" and count < full:
        return Finding(
            f"count:{name}",
            f"{name} on {{where}} has {count} component{'s' if count != 1 else ''} where {ref40} asks for {full}; "
            "the missing ones were read as empty.",
            f"{name} on {{where}} has fewer components than the {full} {ref40} asks for; the missing ones were read "
            "as empty.",
            str(count),
        )
    if version == "3.0" and count > full:
        return Finding(
            f"count:{name}",
            f"{name} on {{where}} has {count} components where {ref30} allows {full}; the ones after the {last} "
            "were ignored.",
            f"{name} on {{where}} has more components than the {full} {ref30} allows; the ones after the {last} "
            "were ignored.",
            str(count),
        )
    return None


_DOUBLED_BREAK = re.compile(rb"(?<!\\)(?:\\\\)+[nN]")
_TEXT_PROPERTIES = frozenset({"LABEL", "NOTE", "ADR", "ORG", "TITLE", "ROLE", "FN", "N", "NICKNAME", "CATEGORIES"})


def double_escaped(name: str, raw: bytes) -> Finding | None:
    """A text value with ``\\\\n``: an escaped backslash and an "n", where a line break (``\\n``) was surely meant —
    the value was escaped twice on its way out of some program (RFC 6350 §3.4 escapes a backslash once)."""
    if name not in _TEXT_PROPERTIES or not _DOUBLED_BREAK.search(raw):
        return None
    return Finding(
        f"doubled:{name}",
        f"{name} on {{where}} contains “\\\\n”, a line break escaped twice (RFC 6350 §3.4); it was kept as "
        "written, as a backslash and an “n”.",
    )


def link_without_value(version: str, name: str, raw: bytes, params: list[tuple[str, str]]) -> Finding | None:
    """PHOTO or LOGO given as a link (a URI, not inline data) without the VALUE parameter that says so: vCard 3.0
    wants ``VALUE=uri`` (RFC 2426 §3.1.4, §3.5.3), vCard 2.1 ``VALUE=URL`` (§2.1.8); in 4.0 a URI is the default."""
    if version not in ("2.1", "3.0") or not _URI.match(raw):
        return None
    value = ""
    for key, v in params:
        if key == "VALUE":
            value = v.lower()
        elif key in ("ENCODING", "") and v.lower() in ("b", "base64"):
            return None
    if version == "3.0":
        if value == "uri":
            return None
        ref = "RFC 2426 §3.1.4" if name == "PHOTO" else "RFC 2426 §3.5.3"
        return Finding(
            f"link:{name}",
            f"{name} on {{where}} is a link without VALUE=uri, which {ref} asks for; {_KEPT}.",
        )
    if value in ("url", "content-id", "cid"):
        return None
    return Finding(
        f"link:{name}",
        f"{name} on {{where}} is a link without VALUE=URL, which vCard 2.1 §2.1.8 asks for; {_KEPT}.",
    )


def missing_fn(version: str, has_fn: bool, source: str) -> str:
    """FN is required in 3.0 and 4.0 (RFC 2426 §3.1.1 and §4, RFC 6350 §6.2.1), not in 2.1 (§2.2.1: optional).
    `source` says where the name was taken from instead ("N" or "ORG").

    (RFC 2426 also requires N, but its own examples in §7 have none, and neither have many exports that are
    otherwise sound: a missing N is not reported.)"""
    if version not in ("3.0", "4.0") or has_fn:
        return ""
    ref = "RFC 2426 §3.1.1" if version == "3.0" else "RFC 6350 §6.2.1"
    return f"The card has no FN, which vCard {version} requires ({ref}); the name was taken from {source}."


def begin_end_blanks(version: str, lines: list[tuple[int, str]]) -> list[str]:
    """Blanks after ``BEGIN:VCARD`` / ``END:VCARD``: vCard 3.0 and 4.0 want the value ``VCARD`` exactly (RFC 2426
    §2.1.1 and §4, RFC 6350 §6.1.1-6.1.2); vCard 2.1's grammar allows white space there (§2.9)."""
    if version not in ("3.0", "4.0") or not lines:
        return []
    ref = "RFC 2426 §2.1.1" if version == "3.0" else "RFC 6350 §6.1.1"
    return [
        f"{what}:VCARD on line {line} is followed by blanks, which {ref} does not allow; they were ignored."
        for line, what in lines
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Per file: line ends

_ODD_END = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_KIND_NAMES = {"crlf": "CRLF", "lf": "LF", "cr": "CR", "crcrlf": "CR CR LF"}


@dataclass(slots=True)
class LineEnds:
    """The line ends of a file seen so far (counted per chunk as it is read) and what was said about them.

    RFC 6350 §3.2, RFC 2425 §5.8.1 and vCard 2.1 §2.1.3 all delimit lines by CRLF. Files with LF only are common
    (and read fine), so they get one mild note, on the first card read after they show; a file whose line ends are
    mixed gets a note naming the first line that does not end in CRLF.
    """

    crlf: int = 0
    lf: int = 0
    cr: int = 0
    crcrlf: int = 0
    first_odd: tuple[int, str] | None = None  # (line, kind) of the first line end that is no CRLF
    said: str = ""  # "", "uniform" or "mixed"

    def count(self, chunk: bytes, line: int) -> None:
        """Count the line ends of `chunk`, whose first line end ends line `line`."""
        crlf = chunk.count(b"\r\n")
        lf = chunk.count(b"\n") - crlf
        cr = chunk.count(b"\r") - crlf
        self.crlf += crlf
        if not (lf or cr):
            return
        crcrlf = chunk.count(b"\r\r\n") if cr else 0
        self.crlf -= crcrlf
        self.crcrlf += crcrlf
        self.cr += cr - crcrlf
        self.lf += lf
        if self.first_odd is None:
            m = _ODD_END.search(chunk)
            if m is not None:
                at = m.start()
                kind = "lf" if chunk[at] == 0x0A else "crcrlf" if chunk.startswith(b"\r\r\n", at) else "cr"
                self.first_odd = (line + chunk.count(b"\r\n", 0, at), kind)

    def count_tail(self, tail: bytes) -> None:
        """The CRs the file ends with (held back in case an LF followed in the next chunk)."""
        self.cr += tail.count(b"\r")

    def note(self, version: str) -> str:
        """A note on the line ends seen so far, if they are no CRLF and nothing (or less) was said yet."""
        if self.first_odd is None and not self.cr:
            return ""
        kinds = [k for k in ("crlf", "crcrlf", "lf", "cr") if getattr(self, k)]
        ref = _REF_LINE_ENDS.get(version, _REF_LINE_ENDS[""])
        if len(kinds) == 1:
            if self.said:
                return ""
            self.said = "uniform"
            return f"The file's lines end in {_KIND_NAMES[kinds[0]]}, not CRLF as {ref} asks; it was read anyway."
        if self.said == "mixed":
            return ""
        self.said = "mixed"
        names = ", ".join(_KIND_NAMES[k] for k in kinds[:-1]) + " and " + _KIND_NAMES[kinds[-1]]
        if self.first_odd is None:  # only the CRs the file ends with
            return f"The file mixes {names} line ends where {ref} asks for CRLF; it was read anyway."
        line, kind = self.first_odd
        return (
            f"Line {line} ends in {_KIND_NAMES[kind]}, not CRLF as {ref} asks (the file mixes {names} line ends); "
            "it was read anyway."
        )
