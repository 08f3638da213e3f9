"""Realistic, varied sample data: companies, people with business cards, and touchpoints (`crmdesk demo-data`).

Deterministic for a seed, written in batches through Core inserts, so 100,000 people take seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    EmailType,
    Mood,
    PersonRecord,
    Phone,
    PhoneType,
    Priority,
    TouchpointRecord,
    TouchpointType,
    uuid7,
)
from crmdesk.store import companies, people, search, touchpoints
from crmdesk.store.engine import Store
from crmdesk.tasks import CancelToken, Progress, no_progress

BATCH = 25_000


@dataclass(frozen=True)
class _Country:
    code: str
    calling: str
    area_digits: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[tuple[str, str, str], ...]  # (city, postcode, region)
    streets: tuple[str, ...]
    legal_forms: tuple[str, ...]
    tld: str


_COUNTRIES = (
    _Country(
        "DE",
        "49",
        4,
        (
            "Anna",
            "Lukas",
            "Jürgen",
            "Sabine",
            "Katrin",
            "Maximilian",
            "Ines",
            "Björn",
            "Ulrike",
            "Felix",
            "Hannah",
            "Matthias",
            "Sophie",
            "Thomas",
            "Leonie",
            "Stefan",
            "Marie",
            "Jörg",
            "Lena",
            "Tobias",
        ),
        (
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Brandt",
            "Köhler",
            "Krüger",
            "Wolf",
            "Schäfer",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Hartmann",
        ),
        (
            ("Berlin", "10115", "BE"),
            ("München", "80331", "BY"),
            ("Hamburg", "20095", "HH"),
            ("Köln", "50667", "NW"),
            ("Konstanz", "78462", "BW"),
            ("Leipzig", "04109", "SN"),
            ("Frankfurt am Main", "60311", "HE"),
            ("Stuttgart", "70173", "BW"),
            ("Düsseldorf", "40213", "NW"),
            ("Bremen", "28195", "HB"),
        ),
        ("Hauptstraße", "Bahnhofstraße", "Seestraße", "Lindenallee", "Gartenweg", "Schillerstraße", "Am Markt"),
        ("GmbH", "AG", "GmbH & Co. KG", "KG", "e.K."),
        "de",
    ),
    _Country(
        "AT",
        "43",
        3,
        ("Florian", "Theresa", "Lorenz", "Magdalena", "Valentin", "Katharina", "Elias", "Johanna"),
        ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner"),
        (("Wien", "1010", "W"), ("Graz", "8010", "ST"), ("Linz", "4020", "OÖ"), ("Salzburg", "5020", "S")),
        ("Ringstraße", "Mariahilfer Straße", "Landstraße", "Kirchengasse"),
        ("GmbH", "AG", "OG"),
        "at",
    ),
    _Country(
        "CH",
        "41",
        2,
        ("Luca", "Mia", "Noah", "Lea", "Gian", "Chiara", "Matteo", "Zoë", "Reto", "Nadine"),
        ("Meier", "Keller", "Frei", "Baumann", "Graf", "Brunner", "Gerber", "Bianchi", "Rossi", "Favre"),
        (("Zürich", "8001", "ZH"), ("Bern", "3011", "BE"), ("Basel", "4051", "BS"), ("Lausanne", "1003", "VD")),
        ("Bahnhofstrasse", "Rue du Lac", "Marktgasse", "Via Nassa"),
        ("AG", "GmbH", "SA", "Sàrl"),
        "ch",
    ),
    _Country(
        "GB",
        "44",
        3,
        ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily", "Siobhan", "Rhys", "Priya", "Callum"),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Patel",
            "O'Brien",
            "McDonald",
            "Evans",
        ),
        (
            ("London", "EC1A 1BB", ""),
            ("Manchester", "M1 1AE", ""),
            ("Edinburgh", "EH1 1YZ", ""),
            ("Bristol", "BS1 4DJ", ""),
            ("Leeds", "LS1 4AP", ""),
        ),
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue"),
        ("Ltd", "PLC", "LLP"),
        "co.uk",
    ),
    _Country(
        "FR",
        "33",
        1,
        ("Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Théo", "Élodie"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Lefèvre", "Moreau"),
        (("Paris", "75001", "IDF"), ("Lyon", "69001", "ARA"), ("Marseille", "13001", "PAC"), ("Lille", "59000", "HDF")),
        ("Rue de la Paix", "Avenue Victor Hugo", "Boulevard Voltaire", "Rue du Commerce"),
        ("SARL", "SA", "SAS"),
        "fr",
    ),
    _Country(
        "US",
        "1",
        3,
        ("James", "Olivia", "Michael", "Emma", "Daniel", "Sophia", "Carlos", "Mei", "Aaliyah", "Ethan"),
        ("Johnson", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Nguyen", "Kim", "Anderson", "Thompson"),
        (
            ("New York", "10001", "NY"),
            ("San Francisco", "94105", "CA"),
            ("Chicago", "60601", "IL"),
            ("Austin", "78701", "TX"),
            ("Seattle", "98101", "WA"),
        ),
        ("Main Street", "Market Street", "5th Avenue", "Broadway", "Pine Street"),
        ("Inc.", "LLC", "Corp."),
        "com",
    ),
    _Country(
        "TR",
        "90",
        3,
        ("Emre", "Elif", "Mehmet", "Zeynep", "Can", "Ayşe", "Burak", "Selin"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan"),
        (("İstanbul", "34000", ""), ("Ankara", "06000", ""), ("İzmir", "35000", "")),
        ("İstiklal Caddesi", "Atatürk Bulvarı", "Cumhuriyet Caddesi"),
        ("A.Ş.", "Ltd. Şti."),
        "com.tr",
    ),
    _Country(
        "PL",
        "48",
        2,
        ("Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Magdalena", "Paweł", "Zofia", "Łukasz"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński"),
        (("Warszawa", "00-001", ""), ("Kraków", "30-001", ""), ("Gdańsk", "80-001", ""), ("Wrocław", "50-001", "")),
        ("ul. Marszałkowska", "ul. Długa", "ul. Floriańska"),
        ("Sp. z o.o.", "S.A."),
        "pl",
    ),
)
# More names, so 100,000 people are not the same few hundred pairs over and over.
_MORE_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DE": (
        (
            "Andreas",
            "Birgit",
            "Christian",
            "Daniela",
            "Elias",
            "Franziska",
            "Henrik",
            "Johanna",
            "Karl-Heinz",
            "Marlene",
            "Niklas",
            "Petra",
            "Rüdiger",
            "Svenja",
            "Uwe",
            "Yvonne",
            "Anna-Lena",
            "Ömer",
            "Dragan",
            "Mia",
        ),
        (
            "Lehmann",
            "Schmitt",
            "Werner",
            "Krause",
            "Meier",
            "Lange",
            "Schmitz",
            "Jung",
            "Hahn",
            "Vogel",
            "Friedrich",
            "Keller",
            "Günther",
            "Frank",
            "Berger",
            "Winkler",
            "Roth",
            "Beck",
            "Lorenz",
            "Baumann",
            "Franke",
            "Albrecht",
            "Schuster",
            "Simon",
            "Ludwig",
            "Böhm",
            "Winter",
            "Kraus",
            "Martin",
            "Schumacher",
            "von Arnim",
            "Yıldız",
            "Kowalczyk",
            "Nguyen",
            "Papadopoulos",
            "Haas",
            "Sommer",
            "Graf",
            "Seidel",
            "Heinrich",
        ),
    ),
    "GB": (
        ("Charlotte", "William", "Sophie", "Thomas", "Grace", "James", "Lucy", "Arjun", "Niamh", "Ewan"),
        (
            "Walker",
            "Wright",
            "Robinson",
            "Thompson",
            "White",
            "Hughes",
            "Edwards",
            "Green",
            "Hall",
            "Wood",
            "Harris",
            "Clarke",
            "Khan",
            "Murphy",
            "Campbell",
            "Stewart",
        ),
    ),
    "US": (
        (
            "Ashley",
            "Brandon",
            "Chloe",
            "David",
            "Grace",
            "Jamal",
            "Kayla",
            "Luis",
            "Maria",
            "Nathan",
            "Rachel",
            "Tyler",
            "Wei",
            "Zoe",
            "Hannah",
            "Isaac",
        ),
        (
            "Wilson",
            "Moore",
            "Taylor",
            "Jackson",
            "White",
            "Harris",
            "Martin",
            "Lee",
            "Perez",
            "Clark",
            "Lewis",
            "Robinson",
            "Walker",
            "Young",
            "Allen",
            "King",
            "Wright",
            "Scott",
            "Torres",
            "Hill",
            "Flores",
            "Green",
        ),
    ),
    "FR": (
        ("Antoine", "Margaux", "Nicolas", "Pauline", "Julien", "Sarah", "Mathieu", "Clémence"),
        ("Laurent", "Simon", "Michel", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard"),
    ),
}
_COUNTRIES = tuple(
    dataclasses.replace(
        c, first_names=c.first_names + _MORE_NAMES[c.code][0], last_names=c.last_names + _MORE_NAMES[c.code][1]
    )
    if c.code in _MORE_NAMES
    else c
    for c in _COUNTRIES
)
# Weighted towards the German-speaking market crmdesk's first users work in.
_COUNTRY_WEIGHTS = (40, 8, 8, 12, 8, 12, 6, 6)
_COUNTRY_POOL = tuple(c for c, w in zip(_COUNTRIES, _COUNTRY_WEIGHTS, strict=True) for _ in range(w))

_BRANDS = (
    "Nordlicht",
    "Alpenblick",
    "Rheinwerk",
    "Falkenstein",
    "Lichtblick",
    "Sonnenhof",
    "Kranich",
    "Eisvogel",
    "Polaris",
    "Atlas",
    "Summit",
    "Horizon",
    "Pioneer",
    "Crescent",
    "Silverline",
    "Redwood",
    "Evergreen",
    "Ironclad",
    "Bluewater",
    "Greenfield",
    "Quantum",
    "Orbit",
    "Vega",
    "Helvetia",
    "Donau",
    "Adler",
    "Mosaik",
    "Kuzey",
    "Lumière",
    "Northwind",
    "Brightside",
    "Seeblick",
    "Hanse",
    "Westwind",
    "Bergkristall",
    "Solvia",
    "Tannenberg",
    "Meridian",
    "Aurora",
    "Kestrel",
    "Lindwurm",
    "Fjord",
    "Goldammer",
    "Weitblick",
    "Zenit",
)
# Trade words by the language of the company's country; names are "<Brand or family name> <trade> <legal form>".
_TRADES = {
    "de": (
        "Maschinenbau",
        "Logistik",
        "Elektrotechnik",
        "Software",
        "Immobilien",
        "Bau",
        "Consulting",
        "Medien",
        "Versicherungen",
        "Reisen",
        "Optik",
        "Druck",
        "Metallbau",
        "Haustechnik",
        "Transporte",
        "Feinkost",
        "Pharma",
        "Solar",
        "Präzisionstechnik",
        "Verlag",
        "Architekten",
        "Steuerberatung",
        "Weine",
        "Hotels",
    ),
    "en": (
        "Logistics",
        "Software",
        "Analytics",
        "Consulting",
        "Engineering",
        "Health",
        "Foods",
        "Energy",
        "Design",
        "Finance",
        "Partners",
        "Labs",
        "Systems",
        "Robotics",
        "Media",
        "Marine",
        "Security",
        "Landscaping",
        "Telecom",
        "Traders",
        "Freight Lines",
        "Properties",
        "Dental",
        "Outfitters",
    ),
    "fr": (
        "Conseil",
        "Transports",
        "Cosmétiques",
        "Immobilier",
        "Informatique",
        "Boulangerie",
        "Ingénierie",
        "Distribution",
        "Énergie",
        "Architecture",
    ),
    "tr": ("Yazılım", "Lojistik", "İnşaat", "Tekstil", "Gıda", "Enerji", "Danışmanlık"),
    "pl": ("Transport", "Budownictwo", "Logistyka", "Informatyka", "Meble", "Energia", "Doradztwo"),
}
_LANGUAGE = {"DE": "de", "AT": "de", "CH": "de", "GB": "en", "US": "en", "FR": "fr", "TR": "tr", "PL": "pl"}
_BRANCHES = ("", "Nord", "Süd", "West", "Ost", "International", "Service", "Group", "Holding", "Solutions")


def _company_name(rnd: _Rng, c: _Country, used: set[str]) -> tuple[str, str]:
    """A fresh company name and its domain stem, unlike the ones in `used`."""
    trades = _TRADES[_LANGUAGE[c.code]]
    for attempt in range(40):
        owner = rnd.choice(_BRANDS) if rnd.random() < 0.45 else rnd.choice(c.last_names)
        trade = rnd.choice(trades)
        stem = f"{owner} {trade}"
        if attempt >= 8:  # crowded: a city or a branch tells them apart, as real companies do
            extra = rnd.choice(c.cities)[0] if attempt < 20 else rnd.choice(_BRANCHES[1:])
            stem = f"{stem} {extra}"
        if attempt >= 30:
            stem = f"{stem} {rnd.choice(c.cities)[0]}"
        if stem not in used:
            used.add(stem)
            return stem, f"{_ascii(owner)}-{_ascii(trade)}"
    stem = f"{stem} {len(used)}"
    used.add(stem)
    return stem, f"{_ascii(owner)}-{len(used)}"


_INDUSTRIES = (
    "Mechanical engineering",
    "Software",
    "Retail",
    "Logistics",
    "Healthcare",
    "Financial services",
    "Consulting",
    "Energy",
    "Hospitality",
    "Construction",
    "Media",
    "Food & beverage",
    "Telecommunications",
    "Insurance",
    "Real estate",
    "Automotive",
    "Education",
    "Chemicals",
)
_POSITIONS = (
    "Managing Director",
    "Head of Purchasing",
    "Sales Manager",
    "Key Account Manager",
    "CTO",
    "Office Manager",
    "Project Manager",
    "Marketing Lead",
    "Software Engineer",
    "Chief Financial Officer",
    "Buyer",
    "Consultant",
    "Team Lead Customer Success",
    "Einkaufsleiterin",
    "Geschäftsführer",
    "Vertriebsleiter",
    "Assistant",
    "HR Business Partner",
    "Product Owner",
    "Operations Manager",
)
_DEPARTMENTS = ("Sales", "Purchasing", "IT", "Finance", "Marketing", "Management", "Operations", "HR", "Support")
_TAGS = (
    "customer",
    "prospect",
    "partner",
    "supplier",
    "VIP",
    "newsletter",
    "trade fair 2026",
    "reseller",
    "decision maker",
    "key account",
    "press",
    "former customer",
)
_TITLES = ("",) * 8 + ("Dr.", "Prof.")
_TAG_COUNTS = (0, 0, 0, 1, 1, 1, 1, 2, 2, 3)
_PERSON_NOTES = ("",) * 6 + ("Met at Hannover Messe.", "Prefers e-mail.", "Speaks German and English.")
_LIFECYCLES = ("lead", "prospect", "customer", "customer", "customer", "inactive")
_SUBJECTS = {
    TouchpointType.CALL: (
        "Follow-up on quote",
        "Introductory call",
        "Support question",
        "Contract renewal",
        "Rückruf wegen Lieferung",
    ),
    TouchpointType.EMAIL: ("Proposal sent", "Meeting notes", "Price list requested", "Re: invoice", "Angebot"),
    TouchpointType.MEETING: ("Quarterly review", "Product demo", "Kick-off workshop", "Site visit", "Messebesuch"),
    TouchpointType.LETTER: ("Contract documents", "Season's greetings", "Terms and conditions"),
    TouchpointType.NOTE: (
        "Prefers calls before 10am",
        "Budget approved for Q3",
        "New decision maker",
        "Interested in maintenance plan",
    ),
    TouchpointType.TASK: ("Send revised quote", "Prepare demo", "Schedule training", "Check payment"),
    TouchpointType.TURNOVER: ("Order", "Service contract", "Licence renewal", "Spare parts"),
}
_TP_TYPES = tuple(_SUBJECTS)
_TP_WEIGHTS = (30, 30, 15, 3, 12, 7, 3)
# Touchpoints per person: most have none or one, a few have many (1.0 on average).
_TP_COUNTS = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3)
_TP_POOL = tuple(t for t, w in zip(_TP_TYPES, _TP_WEIGHTS, strict=True) for _ in range(w))


def _pick(rnd: random.Random, pool: tuple[str, ...], k: int) -> tuple[str, ...]:
    """k different items of a small pool (random.sample's ABC checks cost more than the whole pick)."""
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        chosen[rnd.choice(pool)] = None
    return tuple(chosen)


class _Rng(random.Random):
    """The seeded generator, which also makes the ids: the same seed makes the same data, ids included."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._ms = itertools.count(1_767_225_600_000)  # 2026-01-01 in ms; one "millisecond" per id keeps them ordered

    def uuid(self) -> str:
        """A version-7 UUID like new_id() makes."""
        return uuid7(next(self._ms), self.getrandbits(74))


def _phone(rnd: _Rng, c: _Country, *, mobile: bool = False) -> str:
    if c.code == "US":
        return f"+1{rnd.choice(('212', '415', '312', '512', '206'))}555{rnd.randrange(1000, 9999)}"
    if mobile:
        prefix = {"DE": "15", "AT": "664", "CH": "79", "GB": "7700", "FR": "6", "TR": "532", "PL": "60"}[c.code]
        rest = {"DE": 9, "AT": 7, "CH": 7, "GB": 6, "FR": 8, "TR": 7, "PL": 7}[c.code]
        return f"+{c.calling}{prefix}{rnd.randrange(10 ** (rest - 1), 10**rest)}"
    area = {
        "DE": ("30", "89", "40", "221", "7531", "341", "69", "711"),
        "AT": ("1", "316", "732", "662"),
        "CH": ("44", "31", "61", "21"),
        "GB": ("20", "161", "131", "117", "113"),
        "FR": ("1", "4", "3"),
        "TR": ("212", "312", "232"),
        "PL": ("22", "12", "58", "71"),
    }[c.code]
    a = rnd.choice(area)
    total = {"DE": 10, "AT": 9, "CH": 9, "GB": 10, "FR": 9, "TR": 10, "PL": 9}[c.code]
    n = total - len(a)
    return f"+{c.calling}{a}{rnd.randrange(10 ** (n - 1), 10**n)}"


_ASCII = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ë": "e",
        "ı": "i",
        "ş": "s",
        "ğ": "g",
        "ł": "l",
        "ś": "s",
        "ń": "n",
        "ó": "o",
        "ż": "z",
        "ź": "z",
        "ć": "c",
        "ą": "a",
        "ę": "e",
        "à": "a",
        "'": "",
        "&": "",
        "İ": "i",
    }
)


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower().translate(_ASCII) if ch.isalnum() or ch in ".-")


def _companies(rnd: _Rng, n: int) -> list[tuple[CompanyRecord, _Country]]:
    out = []
    used: set[str] = set()
    domains: set[str] = set()
    for _ in range(n):
        c = rnd.choice(_COUNTRY_POOL)
        stem, domain_stem = _company_name(rnd, c, used)
        legal_form = rnd.choice(c.legal_forms)  # several words in "GmbH & Co. KG", "Sp. z o.o.", "Ltd. Şti."
        name = f"{stem} {legal_form}"
        domain = f"{domain_stem}.{c.tld}"
        if domain in domains:
            domain = f"{domain_stem}-{_ascii(stem.split()[-1])}{len(domains)}.{c.tld}"
        domains.add(domain)
        city, postcode, region = rnd.choice(c.cities)
        rec = CompanyRecord(
            id=rnd.uuid(),
            name=name,
            industry=rnd.choice(_INDUSTRIES),
            legal_form=legal_form,
            website=f"https://www.{domain}",
            tags=_pick(rnd, ("customer", "prospect", "partner", "supplier", "key account"), rnd.randint(0, 2)),
            emails=(Email(f"info@{domain}", EmailType.WORK, True),),
            phones=(Phone(_phone(rnd, c), PhoneType.WORK, True),),
            addresses=(
                Address(
                    street=f"{rnd.choice(c.streets)} {rnd.randint(1, 140)}",
                    postcode=postcode,
                    city=city,
                    region=region,
                    country=c.code,
                    type=AddressType.WORK,
                    favourite=True,
                ),
            ),
            notes=rnd.choice(("", "", "Framework agreement until 2027.", "Pays on 30 days net.")),
        )
        out.append((rec, c))
    return out


def _person(rnd: _Rng, comps: list[tuple[CompanyRecord, _Country]]) -> PersonRecord:
    company, c = rnd.choice(comps)
    if rnd.random() < 0.15:  # someone from elsewhere working there
        c = rnd.choice(_COUNTRY_POOL)
    first = rnd.choice(c.first_names)
    last = rnd.choice(c.last_names)
    domain = company.emails[0].address.split("@", 1)[1]
    local = f"{_ascii(first)}.{_ascii(last)}"
    work = BusinessCardRecord(
        id=rnd.uuid(),
        company_id=company.id,
        company_name=company.name,
        position=rnd.choice(_POSITIONS),
        department=rnd.choice(_DEPARTMENTS),
        favourite=True,
        emails=(Email(f"{local}@{domain}", EmailType.WORK, True),),
        phones=tuple(
            p
            for p in (
                Phone(_phone(rnd, c), PhoneType.WORK, True),
                Phone(_phone(rnd, c, mobile=True), PhoneType.MOBILE, False) if rnd.random() < 0.6 else None,
            )
            if p is not None
        ),
        addresses=company.addresses,
    )
    cards = [work]
    if rnd.random() < 0.2:
        city, postcode, region = rnd.choice(c.cities)
        cards.append(
            BusinessCardRecord(
                id=rnd.uuid(),
                private=True,
                emails=(Email(f"{local}{rnd.randint(1, 99)}@example.{c.tld}", EmailType.HOME, True),),
                phones=(Phone(_phone(rnd, c, mobile=True), PhoneType.MOBILE, True),),
                addresses=(
                    Address(
                        street=f"{rnd.choice(c.streets)} {rnd.randint(1, 90)}",
                        postcode=postcode,
                        city=city,
                        region=region,
                        country=c.code,
                        type=AddressType.HOME,
                        favourite=True,
                    ),
                ),
            )
        )
    birthday = None
    if rnd.random() < 0.5:
        year = rnd.randint(1950, 2002) if rnd.random() < 0.8 else None
        birthday = Birthday(year=year, month=rnd.randint(1, 12), day=rnd.randint(1, 28))
    return PersonRecord(
        id=rnd.uuid(),
        title=rnd.choice(_TITLES),
        first_name=first,
        last_name=last,
        birthday=birthday,
        lifecycle=rnd.choice(_LIFECYCLES),
        tags=tuple(sorted(_pick(rnd, _TAGS, rnd.choice(_TAG_COUNTS)), key=str.casefold)),
        notes=rnd.choice(_PERSON_NOTES),
        cards=tuple(cards),
    )


def _touchpoint(rnd: _Rng, person: PersonRecord, now: dt.datetime) -> TouchpointRecord:
    kind = rnd.choice(_TP_POOL)
    card = person.cards[0]
    amount = f"{rnd.randint(200, 90000)}.{rnd.randint(0, 99):02d}" if kind is TouchpointType.TURNOVER else ""
    return TouchpointRecord(
        id=rnd.uuid(),
        type=kind,
        occurred_at=(now - dt.timedelta(minutes=rnd.randint(0, 2 * 365 * 24 * 60))).replace(second=0, microsecond=0),
        subject=rnd.choice(_SUBJECTS[kind]),
        body=rnd.choice(
            (
                "",
                "Discussed next steps; they will come back to us next week.",
                "Sent the updated price list and delivery dates.",
            )
        ),
        direction=rnd.choice((Direction.INBOUND, Direction.OUTBOUND))
        if kind in (TouchpointType.CALL, TouchpointType.EMAIL, TouchpointType.LETTER)
        else Direction.NONE,
        priority=rnd.choices((Priority.LOW, Priority.NORMAL, Priority.HIGH), (2, 6, 1))[0],
        mood=rnd.choice((Mood.NONE, Mood.POSITIVE, Mood.NEUTRAL, Mood.NEGATIVE)),
        person_ids=(person.id,),
        company_id=card.company_id,
        amount=amount,
        currency="EUR" if amount else "",
    )


def generate(
    store: Store,
    *,
    people_count: int,
    seed: int = 1,
    region: str = "DE",
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[int, int, int]:
    """Add sample companies, people (with business cards) and touchpoints to the store.

    Each batch is one transaction, so a cancelled run leaves whole batches behind.

    Returns:
        (companies, people, touchpoints) added.
    """
    rnd = _Rng(seed)
    now = dt.datetime.now(dt.UTC)
    n_companies = max(1, min(people_count // 10, 20_000))
    comps = _companies(rnd, n_companies)
    with store.write() as s, search.bulk_insert_fts(s, "company"):
        companies.bulk_insert(s, [c for c, _ in comps], region=region, checked=True)
    done = tp_total = 0
    for batch in _batches(people_count):
        if cancel is not None:
            cancel.check()
        folks = [_person(rnd, comps) for _ in range(batch)]
        tps = [_touchpoint(rnd, p, now) for p in folks for _ in range(rnd.choice(_TP_COUNTS))]
        with store.write() as s, search.bulk_insert_fts(s, "person"), search.bulk_insert_fts(s, "touchpoint"):
            people.bulk_insert(s, folks, region=region, checked=True, count=False)
            touchpoints.bulk_insert(s, tps, checked=True)
        done += batch
        tp_total += len(tps)
        progress(done, people_count, f"{done:,} of {people_count:,} people")
    with store.write() as s:
        companies.refresh_people_counts(s, [c.id for c, _ in comps])
    return n_companies, people_count, tp_total


def _batches(total: int) -> Iterator[int]:
    while total > 0:
        n = min(BATCH, total)
        yield n
        total -= n
