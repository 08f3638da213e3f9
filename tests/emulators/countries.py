"""A small ISO 3166-1 table for the emulators: look a country up by alpha-2, alpha-3, numeric code or name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """One country: ISO 3166-1 codes and its German and English names."""

    alpha2: str
    alpha3: str
    numeric: str
    name_de: str
    name_en: str


_ROWS = """
AD AND 020 Andorra|Andorra
AE ARE 784 Vereinigte Arabische Emirate|United Arab Emirates
AL ALB 008 Albanien|Albania
AR ARG 032 Argentinien|Argentina
AT AUT 040 Österreich|Austria
AU AUS 036 Australien|Australia
BA BIH 070 Bosnien und Herzegowina|Bosnia and Herzegovina
BE BEL 056 Belgien|Belgium
BG BGR 100 Bulgarien|Bulgaria
BR BRA 076 Brasilien|Brazil
CA CAN 124 Kanada|Canada
CH CHE 756 Schweiz|Switzerland
CL CHL 152 Chile|Chile
CN CHN 156 China|China
CY CYP 196 Zypern|Cyprus
CZ CZE 203 Tschechien|Czechia
DE DEU 276 Deutschland|Germany
DK DNK 208 Dänemark|Denmark
EE EST 233 Estland|Estonia
EG EGY 818 Ägypten|Egypt
ES ESP 724 Spanien|Spain
FI FIN 246 Finnland|Finland
FR FRA 250 Frankreich|France
GB GBR 826 Vereinigtes Königreich|United Kingdom
GR GRC 300 Griechenland|Greece
HR HRV 191 Kroatien|Croatia
HU HUN 348 Ungarn|Hungary
IE IRL 372 Irland|Ireland
IL ISR 376 Israel|Israel
IN IND 356 Indien|India
IS ISL 352 Island|Iceland
IT ITA 380 Italien|Italy
JP JPN 392 Japan|Japan
KR KOR 410 Südkorea|South Korea
LI LIE 438 Liechtenstein|Liechtenstein
LT LTU 440 Litauen|Lithuania
LU LUX 442 Luxemburg|Luxembourg
LV LVA 428 Lettland|Latvia
MA MAR 504 Marokko|Morocco
MC MCO 492 Monaco|Monaco
ME MNE 499 Montenegro|Montenegro
MK MKD 807 Nordmazedonien|North Macedonia
MT MLT 470 Malta|Malta
MX MEX 484 Mexiko|Mexico
NL NLD 528 Niederlande|Netherlands
NO NOR 578 Norwegen|Norway
NZ NZL 554 Neuseeland|New Zealand
PL POL 616 Polen|Poland
PT PRT 620 Portugal|Portugal
RO ROU 642 Rumänien|Romania
RS SRB 688 Serbien|Serbia
RU RUS 643 Russland|Russia
SE SWE 752 Schweden|Sweden
SG SGP 702 Singapur|Singapore
SI SVN 705 Slowenien|Slovenia
SK SVK 703 Slowakei|Slovakia
TR TUR 792 Türkei|Türkiye
UA UKR 804 Ukraine|Ukraine
US USA 840 Vereinigte Staaten|United States
ZA ZAF 710 Südafrika|South Africa
"""

COUNTRIES: tuple[Country, ...] = tuple(
    Country(a2, a3, num, *names.split("|"))
    for a2, a3, num, names in (line.split(" ", 3) for line in _ROWS.strip().splitlines())
)

_ALIASES = {
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "CZECH REPUBLIC": "CZ",
    "TSCHECHISCHE REPUBLIK": "CZ",
    "TURKEY": "TR",
    "USA": "US",
    "UNITED STATES OF AMERICA": "US",
    "VEREINIGTE STAATEN VON AMERIKA": "US",
    "HOLLAND": "NL",
    "GROSSBRITANNIEN": "GB",
}

_INDEX: dict[str, Country] = {}
for _c in COUNTRIES:
    for _key in (_c.alpha2, _c.alpha3, _c.numeric, _c.name_de.upper(), _c.name_en.upper()):
        _INDEX[_key] = _c
for _alias, _code in _ALIASES.items():
    _INDEX[_alias] = _INDEX[_code]


def find_country(text: str) -> Country | None:
    """The country `text` names: an alpha-2, alpha-3 or numeric code or a German or English name (any case).

    Returns:
        The country, or None when the table does not know it.
    """
    return _INDEX.get(" ".join(text.split()).upper())
