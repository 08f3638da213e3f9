"""vCard codec benchmark (issue 3): `vcard.read_cards` and `vcard.write_card` beside vobject's own rates.

    .venv/bin/python benchmarks/bench_vcard_codec.py [--cards 10000] [--profile]

Makes N people shaped like `crmdesk demo-data`'s (name, title, a business card with one e-mail, one or two phones
and an address, a private card for one in five, a birthday for half, tags, a note), writes them with
`write_card` (vCard 3.0), then times, best of three:

* vobject parse: ``vobject.readComponents`` over the text, every card;
* crmdesk read: ``read_cards`` over the same bytes (parse, map, `validate.check_person` per card);
* vobject serialize: ``serialize()`` of every card vobject parsed;
* crmdesk write: ``write_card`` of every person.

The codec alone is timed here; `benchmarks/bench_vcard.py` times whole imports and exports through the store.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Callable

import vobject

from crmdesk.domain import validate
from crmdesk.domain.records import (
    Address,
    Birthday,
    BusinessCardRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
)
from crmdesk.exchange import vcard

_FIRST = ("Anna", "Jürgen", "Lena", "Marc", "Sophie", "Émile", "Chloé", "Luca", "Giulia", "Hannah", "Noah", "Zoë")
_LAST = ("Schmidt", "Müller", "Weiß", "Dubois", "Rossi", "García", "Novák", "Keller", "O'Brien", "van der Berg")
_TITLES = ("", "", "", "Dr.", "Prof. Dr.")
_COMPANIES = ("Brandt Maschinenbau GmbH", "Keller & Söhne KG", "Lumen Optics AG", "Rossi S.p.A.", "Dubois SARL")
_DEPARTMENTS = ("Sales", "Purchasing", "IT", "Finance", "")
_POSITIONS = ("Head of Sales", "Buyer", "CTO", "Accountant", "Engineer")
_CITIES = (("Berlin", "10115", "DE", "+49 30"), ("Zürich", "8001", "CH", "+41 44"), ("Wien", "1010", "AT", "+43 1"))
_TAGS = ("customer", "lead", "vip", "newsletter", "partner")
_NOTES = ("", "", "Met at the trade fair in Hannover.", "Prefers calls in the morning.\nSpeaks French and German.")


def _people(n: int, seed: int = 11) -> list[PersonRecord]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
        city, postcode, country, prefix = rnd.choice(_CITIES)
        local = f"{first.lower()}.{last.lower()}".replace("'", "").replace(" ", "")
        phones = [Phone(f"{prefix} {rnd.randint(1_000_000, 9_999_999)}", PhoneType.WORK, True)]
        if rnd.random() < 0.6:
            phones.append(Phone(f"+49 171 {rnd.randint(1_000_000, 9_999_999)}", PhoneType.MOBILE))
        cards = [
            BusinessCardRecord(
                company_name=rnd.choice(_COMPANIES),
                department=rnd.choice(_DEPARTMENTS),
                position=rnd.choice(_POSITIONS),
                favourite=True,
                emails=(Email(f"{local}{i}@example.com", EmailType.WORK, True),),
                phones=tuple(phones),
                addresses=(Address(street=f"Hauptstraße {i % 90 + 1}", postcode=postcode, city=city, country=country),),
            )
        ]
        if rnd.random() < 0.2:
            cards.append(
                BusinessCardRecord(
                    private=True,
                    emails=(Email(f"{local}{i}@mail.example.org", EmailType.HOME, True),),
                    phones=(Phone(f"+49 151 {rnd.randint(1_000_000, 9_999_999)}", PhoneType.MOBILE, True),),
                )
            )
        birthday = None
        if rnd.random() < 0.5:
            year = rnd.randint(1950, 2002) if rnd.random() < 0.8 else None
            birthday = Birthday(year=year, month=rnd.randint(1, 12), day=rnd.randint(1, 28))
        person = PersonRecord(
            title=rnd.choice(_TITLES),
            first_name=first,
            last_name=last,
            birthday=birthday,
            tags=tuple(rnd.sample(_TAGS, rnd.randint(0, 2))),
            notes=rnd.choice(_NOTES),
            cards=tuple(cards),
        )
        out.append(validate.check_person(person))
    return out


def _best(f: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--profile", action="store_true", help="print where read_cards spends its time")
    args = ap.parse_args()
    n = args.cards
    people = _people(n)
    text = "".join(vcard.write_card(p) for p in people)
    data = text.encode("utf-8")
    print(f"cards:              {n:,} people, {len(data) / 1e6:.1f} MB of vCard 3.0")

    parsed: list[object] = []

    def vobject_parse() -> None:
        parsed[:] = list(vobject.readComponents(text))

    def crmdesk_read() -> None:
        results = list(vcard.read_cards(io.BytesIO(data), source="bench.vcf"))
        assert len(results) == n and not any(r.rejected for r in results)

    def vobject_serialize() -> None:
        for card in parsed:
            card.serialize()  # type: ignore[attr-defined]

    def crmdesk_write() -> None:
        for p in people:
            vcard.write_card(p)

    if args.profile:
        cProfile.runctx("crmdesk_read()", globals(), locals(), "/tmp/bench_vcard_codec.prof")
        pstats.Stats("/tmp/bench_vcard_codec.prof").sort_stats("tottime").print_stats(25)
        return 0
    t_parse = _best(vobject_parse)
    t_read = _best(crmdesk_read)
    t_serialize = _best(vobject_serialize)
    t_write = _best(crmdesk_write)
    print(f"vobject parse:      {n / t_parse:9,.0f} cards/s ({t_parse:.2f} s)")
    share = t_parse / t_read
    print(f"crmdesk read_cards: {n / t_read:9,.0f} cards/s ({t_read:.2f} s)  = {share:.0%} of vobject's rate")
    print(f"vobject serialize:  {n / t_serialize:9,.0f} cards/s ({t_serialize:.2f} s)")
    share = t_serialize / t_write
    print(f"crmdesk write_card: {n / t_write:9,.0f} cards/s ({t_write:.2f} s)  = {share:.0%} of vobject's rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
