"""Deterministic, realistic German and English people and companies for seeding emulators (E.164 phones)."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_FIRST_DE_F = _words(
    "Anna|Katharina|Ilse|Sabine|Claudia|Julia|Lena|Sophie|Marie|Jana|Petra|Ursula|Monika|Birgit|"
    "Gabriele|Heike|Jutta|Lea|Franziska|Zoë|Hannelore|Dörte|Annika|Maren|Lisa"
)
_FIRST_DE_M = _words(
    "Jürgen|Klaus|Stefan|Thomas|Michael|Andreas|Matthias|Tobias|Lukas|Felix|Jonas|Maximilian|Uwe|"
    "Dieter|Günter|Björn|Sören|Frank|Ralf|Wolfgang|Jörg|Hans-Peter|Karl-Heinz|Malte|Timo"
)
_FIRST_EN_F = _words("Emma|Olivia|Charlotte|Emily|Sarah|Jessica|Hannah|Grace|Chloe|Megan|Siobhan|Amelia")
_FIRST_EN_M = _words("James|Oliver|Harry|George|William|Thomas|Jack|Daniel|Samuel|Henry|Rhys|Callum")
_LAST_DE = _words(
    "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|Bauer|"
    "Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|Lange|"
    "Schmitt|Werner|Krause|Brandt|Roth|Groß|Weiß|Köhler|Jäger|Vogel|Özdemir|Yılmaz|Kowalski|Nowak|"
    "von Bülow"
)
_LAST_EN = _words(
    "Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|Robinson|Wright|Thompson|Evans|Walker|"
    "White|Roberts|Green|Hall|Wood|Jackson|Clarke|O'Brien|MacDonald|Patel|Khan"
)

_POSITIONS_DE = _words(
    "Geschäftsführerin|Geschäftsführer|Einkaufsleiterin|Einkaufsleiter|Vertrieb|Buchhaltung|"
    "Marketing|IT-Leitung|Assistenz der Geschäftsführung|Projektleitung|Personalabteilung|Prokurist"
)
_POSITIONS_EN = _words(
    "Managing Director|Head of Sales|Purchasing Manager|CTO|Office Manager|Account Manager|"
    "Finance Director|Marketing Lead|Operations Manager"
)

# (town, zip, state, area code)
_TOWNS_DE = (
    ("Berlin", "10115", "BE", "30"),
    ("Hamburg", "20095", "HH", "40"),
    ("München", "80331", "BY", "89"),
    ("Köln", "50667", "NW", "221"),
    ("Frankfurt am Main", "60311", "HE", "69"),
    ("Stuttgart", "70173", "BW", "711"),
    ("Düsseldorf", "40213", "NW", "211"),
    ("Leipzig", "04109", "SN", "341"),
    ("Konstanz", "78462", "BW", "7531"),
    ("Nürnberg", "90402", "BY", "911"),
    ("Bremen", "28195", "HB", "421"),
    ("Dresden", "01067", "SN", "351"),
)
_TOWNS_GB = (
    ("London", "EC1A 1BB", None, "20"),
    ("Manchester", "M1 1AE", None, "161"),
    ("Edinburgh", "EH1 1YZ", None, "131"),
    ("Bristol", "BS1 4DJ", None, "117"),
)
_STREETS_DE = _words(
    "Hauptstraße|Bahnhofstraße|Gartenstraße|Schillerstraße|Goethestraße|Seestraße|Lindenallee|"
    "Am Markt|Kirchweg|Mühlenweg|Friedrichstraße|Königsallee"
)
_STREETS_GB = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane")
_MOBILE_DE = ("151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177", "178", "179")
_FREEMAIL_DE = ("web.de", "gmx.de", "t-online.de", "posteo.de", "gmail.com")
_FREEMAIL_GB = ("gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk")

_COMPANY_WORDS_DE = _words("Maschinenbau|Elektrotechnik|Logistik|Software|Consulting|Bau|Medizintechnik|Druck|Handel")
_COMPANY_WORDS_GB = _words("Engineering|Logistics|Software|Consulting|Trading|Design|Analytics")
_LEGAL_DE = ("GmbH", "AG", "GmbH & Co. KG", "KG", "e.K.", "UG (haftungsbeschränkt)")
_LEGAL_GB = ("Ltd", "PLC", "LLP")


@dataclass(frozen=True)
class FakeCompany:
    """A made-up company (country is ISO alpha-2; `industry` is a free word like "Logistik")."""

    name: str
    domain: str
    email: str
    phone: str
    homepage: str
    street: str
    house: str
    zip: str
    town: str
    state: str | None
    country: str
    locale: str
    tax_uid: str | None
    industry: str


@dataclass(frozen=True)
class FakePerson:
    """A made-up person; `gender` is "f", "m" or "x"; phones are E.164; country is ISO alpha-2."""

    gender: str
    first_name: str
    last_name: str
    title: str | None
    position: str | None
    email: str | None
    email_private: str | None
    telephone: str | None
    mobile: str | None
    birthday: date | None
    street: str | None
    house: str | None
    zip: str | None
    town: str | None
    state: str | None
    country: str
    locale: str


def ascii_slug(text: str) -> str:
    """Lower-case ASCII for e-mail local parts and domains: "Jürgen Groß" → "juergen-gross"."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class FakeData:
    """A generator of people and companies; the same seed gives the same sequence.

    Args:
        rng: The random to draw from (seeded by the caller).
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._emails: set[str] = set()
        self._domains: set[str] = set()

    def _digits(self, n: int) -> str:
        return str(self._rng.randint(1, 9)) + "".join(str(self._rng.randint(0, 9)) for _ in range(n - 1))

    def _unique_email(self, local: str, domain: str) -> str:
        address, n = f"{local}@{domain}", 1
        while address in self._emails:
            n += 1
            address = f"{local}{n}@{domain}"
        self._emails.add(address)
        return address

    def landline(self, country: str, area: str) -> str:
        """An E.164 landline number in `country` ("DE" or "GB") and `area` code."""
        if country == "GB":
            return f"+44{area}{self._digits(10 - len(area))}"
        return f"+49{area}{self._digits(max(5, 10 - len(area)))}"

    def mobile(self, country: str) -> str:
        """An E.164 mobile number (UK numbers from Ofcom's drama range 07700 900xxx)."""
        if country == "GB":
            return f"+447700900{self._rng.randint(0, 999):03d}"
        return f"+49{self._rng.choice(_MOBILE_DE)}{self._digits(self._rng.choice((7, 8)))}"

    def company(self) -> FakeCompany:
        """A new company, German four times in five."""
        rng = self._rng
        german = rng.random() < 0.8
        country = "DE" if german else "GB"
        town, zip_code, state, area = rng.choice(_TOWNS_DE if german else _TOWNS_GB)
        owner = rng.choice(_LAST_DE if german else _LAST_EN)
        industry = rng.choice(_COMPANY_WORDS_DE if german else _COMPANY_WORDS_GB)
        legal = rng.choice(_LEGAL_DE if german else _LEGAL_GB)
        name = f"{owner} {industry} {legal}" if rng.random() < 0.7 else f"{town} {industry} {legal}"
        tld = "de" if german else "co.uk"
        stem = ascii_slug(f"{owner}-{industry}" if owner in name else f"{industry}-{town}")
        domain, n = f"{stem}.{tld}", 1
        while domain in self._domains:
            n += 1
            domain = f"{stem}{n}.{tld}"
        self._domains.add(domain)
        return FakeCompany(
            name=name,
            domain=domain,
            email=f"{'info' if german else 'hello'}@{domain}",
            phone=self.landline(country, area),
            homepage=f"https://www.{domain}",
            street=rng.choice(_STREETS_DE if german else _STREETS_GB),
            house=str(rng.randint(1, 120)) + (rng.choice(("", "", "", "a", "b")) if german else ""),
            zip=zip_code,
            town=town,
            state=state,
            country=country,
            locale="de" if german else "en",
            tax_uid=f"DE{self._digits(9)}" if german else f"GB{self._digits(9)}",
            industry=industry,
        )

    def person(self, *, work_domain: str | None = None, country: str | None = None) -> FakePerson:
        """A new person; with `work_domain` the business e-mail is at that domain.

        Args:
            work_domain: The employer's e-mail domain, if any.
            country: "DE" or "GB"; default German seven times in ten.
        """
        rng = self._rng
        country = country or ("DE" if rng.random() < 0.7 else "GB")
        german = country == "DE"
        gender = rng.choices(("f", "m", "x"), weights=(49, 49, 2))[0]
        gender_names = rng.choice(("f", "m")) if gender == "x" else gender
        if german:
            first = rng.choice(_FIRST_DE_F if gender_names == "f" else _FIRST_DE_M)
            last = rng.choice(_LAST_DE)
        else:
            first = rng.choice(_FIRST_EN_F if gender_names == "f" else _FIRST_EN_M)
            last = rng.choice(_LAST_EN)
        town, zip_code, state, area = rng.choice(_TOWNS_DE if german else _TOWNS_GB)
        local = f"{ascii_slug(first)}.{ascii_slug(last)}".replace("-", "")
        email = None
        if work_domain is not None:
            email = self._unique_email(
                local if rng.random() < 0.7 else f"{ascii_slug(first)[0]}.{ascii_slug(last).replace('-', '')}",
                work_domain,
            )
        private = None
        if work_domain is None or rng.random() < 0.2:
            private = self._unique_email(local, rng.choice(_FREEMAIL_DE if german else _FREEMAIL_GB))
        has_address = rng.random() < 0.7
        title = rng.choices((None, "Dr.", "Prof. Dr.", "Dipl.-Ing."), weights=(85, 9, 2, 4))[0] if german else None
        birthday = None
        if rng.random() < 0.5:
            birthday = date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28))
        return FakePerson(
            gender=gender,
            first_name=first,
            last_name=last,
            title=title,
            position=rng.choice(_POSITIONS_DE if german else _POSITIONS_EN) if work_domain else None,
            email=email,
            email_private=private,
            telephone=self.landline(country, area) if rng.random() < 0.6 else None,
            mobile=self.mobile(country) if rng.random() < 0.7 else None,
            birthday=birthday,
            street=rng.choice(_STREETS_DE if german else _STREETS_GB) if has_address else None,
            house=str(rng.randint(1, 150)) if has_address else None,
            zip=zip_code if has_address else None,
            town=town if has_address else None,
            state=state if has_address else None,
            country=country,
            locale="de" if german else "en",
        )
