"""CardDAV: people as vCards in an address book (RFC 6352) — the mapping between a person and its sync fields.

An address book holds everything a crmdesk person has (the vCard export writes it all, business cards included,
see crmdesk/exchange/vcard.py), so the sync fields are the person itself, flattened so that a three-way merge works
field by field — a phone's new number and a colleague's new e-mail on the same card merge without a conflict:

``uid`` (the vCard UID, kept stable), ``salutation title first_name middle_name last_name suffix gender birthday
notes lifecycle``, ``tags`` and ``urls`` (tuples), ``custom`` (``key<TAB>value`` lines), ``photo`` (base64),
``extra`` (the vCard lines crmdesk has no field for, byte-faithful, in their order), and per business card *n*
(favourite first): ``card<n>`` (``kind<TAB>company<TAB>department<TAB>position``, kind business or private) and
``card<n>.emails``, ``card<n>.phones``, ``card<n>.addresses`` (tuples of ``type<TAB>…`` lines, ``*`` before the
type of a favourite).

REV and PRODID are no fields: a server or a phone rewriting them is no change. The wire format (vCard text ⇄ a
person) is the exchange layer's codec, plugged in with `use_codec` by the layer above both (crmdesk.context):
connectors sit below crmdesk.exchange and may not import it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace

from crmdesk.connectors.base import (
    CURSOR_MORE,
    FULL_WALK,
    RemoteChanged,
    RemoteItem,
    RemotePage,
    VCardCodec,
    plug_vcard_codec,
    vcard_codec,
)
from crmdesk.connectors.carddav_http import CardDavClient, InvalidSyncToken, PreconditionFailed
from crmdesk.connectors.http import HttpClient
from crmdesk.domain.accounts import AccountKind, AccountRecord
from crmdesk.domain.merge import Fields, Value, clean
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    Email,
    EmailType,
    Entity,
    PersonRecord,
    Phone,
    PhoneType,
    Record,
)
from crmdesk.errors import RemoteNotFound, RemoteRejected
from crmdesk.tasks import CancelToken

log = logging.getLogger(__name__)

TAB = "\t"
SCALARS = (
    "salutation",
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "gender",
    "notes",
    "lifecycle",
)


def use_codec(codec: VCardCodec) -> None:
    """Plug in this vCard codec (tests and benchmarks; the app plugs a lazy one through crmdesk.context)."""
    plug_vcard_codec(lambda: codec)


# ---------------------------------------------------------------------------------------------------------------------
# person ⇄ sync fields


def _fav(item: Email | Phone | Address, text: str) -> str:
    return f"*{text}" if item.favourite else text


def _unfav(text: str) -> tuple[bool, str]:
    return (True, text[1:]) if text.startswith("*") else (False, text)


def _email_line(e: Email) -> str:
    return _fav(e, f"{e.type.value}{TAB}{e.address}")


def _phone_line(p: Phone) -> str:
    return _fav(p, f"{p.type.value}{TAB}{p.number}")


def _address_line(a: Address) -> str:
    return _fav(a, TAB.join((a.type.value, a.street, a.postcode, a.city, a.region, a.country)))


def _ordered(cards: Sequence[BusinessCardRecord]) -> list[BusinessCardRecord]:
    fav = next((c for c in cards if c.favourite), cards[0] if cards else None)
    return [] if fav is None else [fav, *(c for c in cards if c is not fav)]


def project_person(p: PersonRecord) -> dict[str, Value]:
    """The sync fields of a person (everything a vCard holds of it)."""
    out: dict[str, Value] = {k: getattr(p, k) for k in SCALARS}
    out["uid"] = p.vcard_uid or p.id
    out["birthday"] = p.birthday.iso() if p.birthday else None
    out["tags"] = tuple(p.tags) or None
    out["urls"] = tuple(p.urls) or None
    out["custom"] = tuple(f"{k}{TAB}{v}" for k, v in p.custom) or None
    out["photo"] = base64.b64encode(p.photo).decode("ascii") if p.photo else None
    out["extra"] = tuple(p.vcard_extra) or None
    for n, card in enumerate(_ordered(p.cards), 1):
        kind = "private" if card.private else "business"
        out[f"card{n}"] = TAB.join((kind, card.company_name, card.department, card.position))
        out[f"card{n}.emails"] = tuple(map(_email_line, card.emails)) or None
        out[f"card{n}.phones"] = tuple(map(_phone_line, card.phones)) or None
        out[f"card{n}.addresses"] = tuple(map(_address_line, card.addresses)) or None
    return clean(out)


def _enum(kind: type[EmailType] | type[PhoneType] | type[AddressType], text: str, default: str) -> str:
    return text if text in {m.value for m in kind} else default


def _emails(value: Value) -> tuple[Email, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, _, address = text.partition(TAB)
        out.append(Email(address, EmailType(_enum(EmailType, kind, "other")), fav))
    return tuple(out)


def _phones(value: Value) -> tuple[Phone, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, _, number = text.partition(TAB)
        out.append(Phone(number, PhoneType(_enum(PhoneType, kind, "other")), fav))
    return tuple(out)


def _addresses(value: Value) -> tuple[Address, ...]:
    out = []
    for line in value if isinstance(value, tuple) else ():
        fav, text = _unfav(line)
        kind, street, postcode, city, region, country = (text.split(TAB) + [""] * 6)[:6]
        out.append(
            Address(street, postcode, city, region, country, AddressType(_enum(AddressType, kind, "other")), fav)
        )
    return tuple(out)


def apply_person(rec: PersonRecord | None, fields: Fields) -> PersonRecord:
    """A person holding `fields`, built on `rec`: its id, its business cards' ids and company links stay where the
    card is still at the same company."""
    f = clean(fields)
    base = rec or PersonRecord()
    old = _ordered(base.cards)
    cards: list[BusinessCardRecord] = []
    n = 1
    while f"card{n}" in f or any(f"card{n}.{k}" in f for k in ("emails", "phones", "addresses")):
        kind, company, department, position = (str(f.get(f"card{n}") or "business").split(TAB) + [""] * 4)[:4]
        prior = old[n - 1] if n - 1 < len(old) else None
        card = BusinessCardRecord(
            company_name=company,
            department=department,
            position=position,
            private=kind == "private",
            favourite=n == 1,
            emails=_emails(f.get(f"card{n}.emails")),
            phones=_phones(f.get(f"card{n}.phones")),
            addresses=_addresses(f.get(f"card{n}.addresses")),
        )
        if prior is not None:
            linked = prior.company_id if prior.company_name == company else None
            card = replace(card, id=prior.id, company_id=linked)
        cards.append(card)
        n += 1
    birthday = base.birthday
    text = f.get("birthday")
    if isinstance(text, str):
        try:
            birthday = Birthday.parse(text)
        except ValueError:
            birthday = base.birthday
    else:
        birthday = None
    photo = f.get("photo")
    custom = []
    for line in f.get("custom") or ():  # type: ignore[union-attr]
        key, _, value = str(line).partition(TAB)
        custom.append((key, value))
    uid = str(f.get("uid") or "")
    return base.replace(
        **{k: str(f.get(k) or "") for k in SCALARS},
        birthday=birthday,
        tags=tuple(f.get("tags") or ()),  # type: ignore[arg-type]
        urls=tuple(f.get("urls") or ()),  # type: ignore[arg-type]
        custom=tuple(custom),
        photo=base64.b64decode(photo) if isinstance(photo, str) else None,
        vcard_extra=tuple(f.get("extra") or ()),  # type: ignore[arg-type]
        vcard_uid="" if uid == base.id else uid,
        cards=tuple(cards),
    )


def fields_of_vcard(text: str) -> dict[str, Value]:
    """The sync fields of a vCard as a server holds it.

    Raises:
        ValueError: the card cannot be read.
    """
    return project_person(vcard_codec().read(text))


def vcard_of_fields(fields: Fields, *, local_id: str = "") -> str:
    """The vCard a server gets for these sync fields (UID from `uid`, else the local id)."""
    person = apply_person(PersonRecord(id=local_id) if local_id else None, fields)
    return vcard_codec().write(person)


# ---------------------------------------------------------------------------------------------------------------------
# the connector

PAGE = 100
_LABELS = {
    "uid": "UID",
    "salutation": "Salutation",
    "title": "Title",
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "suffix": "Suffix",
    "gender": "Gender",
    "birthday": "Birthday",
    "notes": "Notes",
    "lifecycle": "Lifecycle",
    "tags": "Tags",
    "urls": "Websites",
    "custom": "Custom fields",
    "photo": "Photo",
    "extra": "Other vCard properties",
}


def _split(cursor: str | None) -> tuple[str | None, str]:
    """A pull cursor's sync token (FULL_WALK for a server without them; None before the first pull) and ctag."""
    if not cursor:
        return None, ""
    token, _, ctag = cursor.partition(CURSOR_MORE)
    return token, ctag


class CardDavConnector:
    """People ⇄ the vCards of one address book: sync tokens for incremental pulls (a full listing without them or
    when a token has expired), multiget in batches, conditional writes (If-None-Match / If-Match: a 412 becomes a
    fresh three-way merge, never an overwrite), a card's name its UID so a lost create is found again by name.

    Assumptions: the server keeps the UID we write (RFC 6352 requires it); a card that cannot be read as one
    person makes the listing incomplete (so it never makes a linked person look deleted) and is skipped.
    """

    kind = AccountKind.CARDDAV
    entities: tuple[Entity, ...] = (Entity.PERSON,)
    write_only: Mapping[Entity, tuple[str, ...]] = {}
    replaced_on_update: frozenset[Entity] = frozenset()

    def __init__(self, http: HttpClient, *, book: str = "", page_size: int = PAGE) -> None:
        self.http = http
        self.client = CardDavClient(http)
        self._book = book
        self.page_size = page_size

    @property
    def book(self) -> str:
        """The address book's URL: the account's choice, else the first the server lists."""
        if not self._book:
            found = self.client.discover(self.http.base_url)
            if not found.books:
                raise RemoteRejected(f"{self.http.name}: the server lists no address book for this user.", status=404)
            self._book = found.books[0].url
        return self._book

    def _items(self, hrefs: list[str]) -> tuple[list[RemoteItem], bool]:
        """The cards of these hrefs as items; False when one could not be read (the listing is then incomplete)."""
        items: list[RemoteItem] = []
        readable = True
        for card in self.client.multiget(self.book, hrefs, batch=self.page_size):
            try:
                items.append(RemoteItem(card.href, card.etag, fields_of_vcard(card.text)))
            except ValueError as exc:
                readable = False
                log.warning("%s: the card %s cannot be read and is skipped: %s", self.http.name, card.href, exc)
        return items, readable

    def pull(self, entity: Entity, cursor: str | None) -> Iterator[RemotePage]:
        """Changes since the sync token `cursor` (sync-collection), or every card (a complete listing).

        The cursor also keeps the address book's ctag as it was before that sync's changes were read: while it is
        unchanged nothing has changed, and the pull asks one small question instead of a sync-collection REPORT
        (which makes a server walk its whole history: 0.5 s for 5,000 cards on Radicale, against 0.35 s).
        """
        token, known_ctag = _split(cursor)
        ctag = self.client.ctag(self.book)  # read before the changes are: a change made after it shows next time
        if token is not None and ctag and ctag == known_ctag:
            yield RemotePage((), cursor=cursor)
            return
        full = token in (None, FULL_WALK)  # FULL_WALK: a server without sync tokens, every pull is a listing
        try:
            result = self.client.sync(self.book, None if full else token)
        except InvalidSyncToken:
            log.info("%s: the sync token has expired; reading the whole address book", self.http.name)
            result, full = self.client.sync(self.book, None), True
        except RemoteRejected as exc:
            if exc.status not in (403, 405, 501) or not full:
                raise
            result = None  # no RFC 6578 here: an ETag listing
        if result is None:
            changed, deleted, new_token = self.client.list_etags(self.book), set(), FULL_WALK
        else:
            changed, deleted, new_token = result.changed, result.deleted, result.token
        new_cursor = f"{new_token}{CURSOR_MORE}{ctag}" if ctag else new_token
        hrefs = sorted(changed)
        complete = True
        gone = tuple(RemoteItem(h, "", None) for h in sorted(deleted))
        for start in range(0, max(len(hrefs), 1), self.page_size):
            items, readable = self._items(hrefs[start : start + self.page_size])
            complete = complete and readable
            last = start + self.page_size >= len(hrefs)
            if last:
                # A card that could not be read keeps the old token, so its change comes again next time.
                yield RemotePage((*items, *gone), cursor=new_cursor if complete else None, complete=full and complete)
            else:
                yield RemotePage(tuple(items))

    def _name(self, fields: Fields, local_id: str) -> str:
        uid = str(fields.get("uid") or local_id)
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in uid)
        return f"{safe}.vcf"

    def create(self, entity: Entity, local_id: str, fields: Fields) -> RemoteItem:
        fields = {**fields, "uid": fields.get("uid") or local_id}  # the UID names the card: found again if lost
        text = vcard_of_fields(fields, local_id=local_id)
        name = self._name(fields, local_id)
        try:
            href, etag = self.client.create(self.book, name, text)
        except PreconditionFailed:
            # A card of this UID is there already (a lost create is looked up before the push, so this one is
            # someone else's, e.g. the same person imported here from a backup): never overwritten unmerged.
            raise RemoteRejected(
                f"{self.http.name}: the address book already has a card {name} with this person's UID; "
                "it is not overwritten.",
                status=412,
            ) from None
        return RemoteItem(href, etag, dict(fields), local_id)

    def find_created(
        self, entity: Entity, local_id: str, fields: Fields, *, taken: AbstractSet[str] = frozenset()
    ) -> RemoteItem | None:
        """The card a lost create stored: its name is the UID, so one GET answers."""
        href = self.client.href(self.client.url(self.book) + self._name(fields, local_id))
        if href in taken:
            return None
        try:
            card = self.client.get(href)
        except RemoteNotFound:
            return None
        try:
            got = fields_of_vcard(card.text)
        except ValueError:
            return None
        if got.get("uid") != (fields.get("uid") or local_id):
            return None
        return RemoteItem(card.href, card.etag, got, local_id)

    def _current(self, href: str) -> RemoteItem | None:
        try:
            card = self.client.get(href)
        except RemoteNotFound:
            return None
        try:
            return RemoteItem(card.href, card.etag, fields_of_vcard(card.text))
        except ValueError as exc:
            raise RemoteRejected(f"{self.http.name}: the card {href} cannot be read: {exc}", status=200) from None

    def update(self, entity: Entity, remote_id: str, fields: Fields, old: Fields, *, version: str = "") -> RemoteItem:
        text = vcard_of_fields(fields)
        try:
            etag = self.client.update(remote_id, text, version) if version else self._unconditional(remote_id, text)
        except PreconditionFailed:
            raise RemoteChanged(
                f"{self.http.name}: the card changed on the server meanwhile; merging again.",
                current=self._current(remote_id),
            ) from None
        return RemoteItem(remote_id, etag, dict(fields))

    def _unconditional(self, href: str, text: str) -> str:
        """No version known (an old link): read the current ETag first, so the write is still conditional."""
        return self.client.update(href, text, self.client.get(href).etag)

    def delete(self, entity: Entity, remote_id: str, *, version: str = "") -> None:
        try:
            self.client.delete(remote_id, version or None)
        except PreconditionFailed:
            # Changed there since: an edit beats a delete — it stays there, and the engine keeps its link.
            raise RemoteChanged(
                f"{self.http.name}: {remote_id} changed on the server; not deleted", current=self._current(remote_id)
            ) from None

    def restore(self, entity: Entity, remote_id: str) -> RemoteItem | None:
        return None  # a deleted card is gone; the engine creates it anew

    def accepts(self, record: Record) -> bool:
        return isinstance(record, PersonRecord)

    def project(self, record: Record) -> dict[str, Value]:
        if not isinstance(record, PersonRecord):
            raise TypeError(f"CardDAV does not sync {type(record).__name__}")
        return project_person(record)

    def apply(self, entity: Entity, record: Record | None, fields: Fields) -> Record:
        if entity is not Entity.PERSON or not (record is None or isinstance(record, PersonRecord)):
            raise TypeError(f"CardDAV does not sync {entity.value} records")
        return apply_person(record, fields)

    def probe(self) -> str:
        found = self.client.discover(self._book or self.http.base_url)
        if not found.books:
            raise RemoteRejected(f"{self.http.name}: signed in, but the server lists no address book.", status=404)
        names = ", ".join(f"“{b.name or b.url}”" for b in found.books[:3])
        return f"Connected to the CardDAV server: {len(found.books)} address book(s) — {names}."

    def label(self, field: str) -> str:
        if field.startswith("card"):
            head, _, part = field.partition(".")
            n = head[4:]
            return {"emails": f"E-mails (card {n})", "phones": f"Phones (card {n})"}.get(
                part, f"Addresses (card {n})" if part else f"Business card {n}"
            )
        return _LABELS.get(field, field.replace("_", " ").capitalize())

    def close(self) -> None:
        self.http.close()


def connect(account: AccountRecord, secret: str, *, cancel: CancelToken | None = None) -> CardDavConnector:
    """The connector of a CardDAV account: basic auth (option `user`, the password as the secret), the address
    book from option `addressbook` (else the first the server lists)."""
    user = account.option("user")
    token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
    http = HttpClient(
        account.base_url,
        name=account.name or account.kind.label,
        headers={"Authorization": f"Basic {token}"},
        secrets=(secret, token),
        cancel=cancel,
    )
    return CardDavConnector(http, book=account.option("addressbook"))
