"""Countries as address books write them: ISO 3166-1 alpha-2 codes, alpha-3 codes, and common names in several
languages, read into the alpha-2 code (vCard ADR, phone numbers' home region)."""

from __future__ import annotations

import functools
import re
import unicodedata

_ISO_ALPHA2_TEXT = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
_ISO_ALPHA2 = frozenset(_ISO_ALPHA2_TEXT.split())

# code, alpha-3 code, then names in English, German, French, Spanish, Italian and common variants.
_COUNTRY_TABLE = """
DE DEU Germany|Deutschland|Allemagne|Alemania|Germania|Federal Republic of Germany|Bundesrepublik Deutschland|BRD
AT AUT Austria|Österreich|Autriche|Republik Österreich
CH CHE Switzerland|Schweiz|Suisse|Suiza|Svizzera|Schweizerische Eidgenossenschaft|Confoederatio Helvetica
LI LIE Liechtenstein
FR FRA France|Frankreich|Francia|République française
IT ITA Italy|Italien|Italie|Italia
ES ESP Spain|Spanien|Espagne|España|Spagna
PT PRT Portugal|Portogallo
NL NLD Netherlands|The Netherlands|Niederlande|Pays-Bas|Países Bajos|Paesi Bassi|Holland|Nederland|Holanda|Olanda
BE BEL Belgium|Belgien|Belgique|Bélgica|Belgio|België
LU LUX Luxembourg|Luxemburg|Luxemburgo|Lussemburgo
DK DNK Denmark|Dänemark|Danemark|Dinamarca|Danimarca|Danmark
SE SWE Sweden|Schweden|Suède|Suecia|Svezia|Sverige
NO NOR Norway|Norwegen|Norvège|Noruega|Norvegia|Norge
FI FIN Finland|Finnland|Finlande|Finlandia|Suomi
IS ISL Iceland|Island|Islande|Islandia|Islanda
IE IRL Ireland|Irland|Irlande|Irlanda|Éire|Republic of Ireland
GB GBR United Kingdom|UK|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|Vereinigtes Königreich|\
Großbritannien|Grossbritannien|Royaume-Uni|Grande-Bretagne|Angleterre|Écosse|Reino Unido|Gran Bretaña|Inglaterra|\
Regno Unito|Gran Bretagna|Inghilterra|United Kingdom of Great Britain and Northern Ireland
US USA United States|United States of America|US|America|Vereinigte Staaten|Vereinigte Staaten von Amerika|\
États-Unis|États-Unis d'Amérique|Estados Unidos|Estados Unidos de América|EE UU|EEUU|Stati Uniti|\
Stati Uniti d'America
CA CAN Canada|Kanada|Canadá
MX MEX Mexico|Mexiko|Mexique|México|Messico
BR BRA Brazil|Brasilien|Brésil|Brasil|Brasile
AR ARG Argentina|Argentinien|Argentine
CL CHL Chile|Chili|Cile
CO COL Colombia|Kolumbien|Colombie
PE PER Peru|Pérou|Perú
VE VEN Venezuela
AU AUS Australia|Australien|Australie
NZ NZL New Zealand|Neuseeland|Nouvelle-Zélande|Nueva Zelanda|Nuova Zelanda
JP JPN Japan|Japon|Japón|Giappone|日本
CN CHN China|Chine|Cina|People's Republic of China|Volksrepublik China|中国
KR KOR South Korea|Korea|Republic of Korea|Südkorea|Corée du Sud|Corea del Sur|Corea del Sud|대한민국|한국
KP PRK North Korea|Nordkorea|Corée du Nord|Corea del Norte|Corea del Nord
IN IND India|Indien|Inde
PK PAK Pakistan|Pakistán
RU RUS Russia|Russian Federation|Russland|Russie|Rusia|Russische Föderation
UA UKR Ukraine|Ucrania|Ucraina
BY BLR Belarus|Weißrussland|Biélorussie|Bielorrusia|Bielorussia
PL POL Poland|Polen|Pologne|Polonia|Polska
CZ CZE Czech Republic|Czechia|Tschechien|Tschechische Republik|République tchèque|Tchéquie|República Checa|\
Chequia|Repubblica Ceca|Cechia|Česko|Česká republika
SK SVK Slovakia|Slowakei|Slovaquie|Eslovaquia|Slovacchia|Slovensko
HU HUN Hungary|Ungarn|Hongrie|Hungría|Ungheria|Magyarország
RO ROU Romania|Rumänien|Roumanie|Rumania|România
BG BGR Bulgaria|Bulgarien|Bulgarie
GR GRC Greece|Griechenland|Grèce|Grecia|Hellas
TR TUR Turkey|Türkiye|Türkei|Turquie|Turquía|Turchia
HR HRV Croatia|Kroatien|Croatie|Croacia|Croazia|Hrvatska
SI SVN Slovenia|Slowenien|Slovénie|Eslovenia|Slovenija
RS SRB Serbia|Serbien|Serbie
BA BIH Bosnia and Herzegovina|Bosnien und Herzegowina|Bosnie-Herzégovine|Bosnia y Herzegovina|Bosnia ed Erzegovina
AL ALB Albania|Albanien|Albanie
MK MKD North Macedonia|Macedonia|Nordmazedonien|Macédoine du Nord|Macedonia del Norte|Macedonia del Nord
ME MNE Montenegro|Monténégro
LT LTU Lithuania|Litauen|Lituanie|Lituania
LV LVA Latvia|Lettland|Lettonie|Letonia|Lettonia
EE EST Estonia|Estland|Estonie
MT MLT Malta|Malte
CY CYP Cyprus|Zypern|Chypre|Chipre|Cipro
MC MCO Monaco|Mónaco
SM SMR San Marino|Saint-Marin
AD AND Andorra|Andorre
VA VAT Vatican|Vatican City|Holy See|Vatikanstadt|Vatikan|Cité du Vatican|Ciudad del Vaticano|Città del Vaticano
IL ISR Israel|Israël|Israele
EG EGY Egypt|Ägypten|Égypte|Egipto|Egitto
ZA ZAF South Africa|Südafrika|Afrique du Sud|Sudáfrica|Sudafrica
MA MAR Morocco|Marokko|Maroc|Marruecos|Marocco
TN TUN Tunisia|Tunesien|Tunisie|Túnez
DZ DZA Algeria|Algerien|Algérie|Argelia
NG NGA Nigeria|Nigéria
KE KEN Kenya|Kenia
SA SAU Saudi Arabia|Saudi-Arabien|Arabie saoudite|Arabia Saudita|Arabia Saudí
AE ARE United Arab Emirates|UAE|Vereinigte Arabische Emirate|Émirats arabes unis|Emiratos Árabes Unidos|\
Emirati Arabi Uniti
QA QAT Qatar|Katar
IR IRN Iran|Irán
IQ IRQ Iraq|Irak
TH THA Thailand|Thaïlande|Tailandia|Tailandia
VN VNM Vietnam|Viet Nam
ID IDN Indonesia|Indonesien|Indonésie
MY MYS Malaysia|Malaisie|Malasia
SG SGP Singapore|Singapur|Singapour
PH PHL Philippines|Philippinen|Filipinas|Filippine
HK HKG Hong Kong|Hongkong
TW TWN Taiwan|Taïwan|Taiwán
"""


def _country_key(text: str) -> str:
    """Case, accents, punctuation and a leading "the" removed: "U.S.A." → "usa", "Österreich" → "osterreich"."""
    t = unicodedata.normalize("NFKD", text.casefold())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[.'’,()]", "", t)
    t = " ".join(t.replace("-", " ").split())
    return t[4:] if t.startswith("the ") else t


def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for row in _COUNTRY_TABLE.replace("\\\n", "").strip().splitlines():
        code, alpha3, rest = row.split(" ", 2)
        for name in (alpha3, *rest.split("|")):
            names.setdefault(_country_key(name), code)
    return names


_COUNTRIES = _country_names()


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str:
    """ISO 3166-1 alpha-2 code for a code or a common country name; any other text as it is (never lost)."""
    t = text.strip()
    if len(t) == 2 and t.upper() in _ISO_ALPHA2:
        return t.upper()
    if t.upper() == "UK":
        return "GB"
    return _COUNTRIES.get(_country_key(t), t)
