"""crmdesk without a window: add, edit, list, show and delete records from a shell, for scripting (issue 2 item 7).

Every command runs over the same store services the window uses. User errors (bad input, a damaged, locked or
newer database, an unknown id) print one `crmdesk: error: …` line per problem on stderr, hints on the lines
after it, and exit 1; usage errors exit 2; nothing is written when the input is invalid.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crmdesk import __version__, cli_exchange, cli_sync, paths
from crmdesk import log as logsetup
from crmdesk.cli_output import (
    Record,
    _company_lines,
    _local_time,
    _one_line,
    _person_lines,
    _phone,
    _Table,
    _text,
    _touchpoint_lines,
    record_json,
)
from crmdesk.cli_output import _cell_width as _cell_width  # re-exported: tests measure the table with it
from crmdesk.context import Context
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Direction,
    Email,
    EmailType,
    Entity,
    Mood,
    PersonRecord,
    Phone,
    PhoneType,
    Priority,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.errors import NotFoundError, UserError, ValidationError
from crmdesk.store import companies, demo, details, listing, people, touchpoints
from crmdesk.store.engine import DEFAULT_BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

PROG = "crmdesk"
BUSY_TIMEOUT_ENV = "CRMDESK_BUSY_TIMEOUT_MS"
"""Environment variable: how long (ms) to wait for another program's lock on the database."""
EXIT_USER_ERROR = 1
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, not the user's doing
EXIT_INTERRUPTED = 130

# ---- what each kind of record looks like on the command line ---------------------------------------------


@dataclass(frozen=True)
class _Kind:
    entity: Entity
    one: str  # "person"
    many: str  # "people"
    module: Any  # store module with get, get_many, delete_many
    columns: tuple[tuple[str, Callable[[Any, Context], str]], ...]  # listing column key, formatter
    options: dict[str, str]  # record field path (indices as []) → CLI option, for validation messages

    def count(self, n: int) -> str:
        return f"{n:,} {self.one if n == 1 else self.many}"


_PERSON_OPTIONS = {
    "name": "--first-name/--last-name",
    **{f: "--" + f.replace("_", "-") for f in ("salutation", "title", "first_name", "middle_name", "last_name")},
    **{f: f"--{f}" for f in ("suffix", "gender", "lifecycle", "notes", "birthday")},
    "tags[]": "--tag",
    "cards[0].emails[]": "--email",
    "cards[0].phones[]": "--phone",
    "cards[0].company_name": "--company",
    "cards[0].position": "--position",
    "cards[0].department": "--department",
}
_COMPANY_OPTIONS = {
    **{f: "--" + f.replace("_", "-") for f in ("name", "legal_form", "industry", "website", "notes")},
    "tags[]": "--tag",
    "emails[]": "--email",
    "phones[]": "--phone",
    **{f"addresses[].{f}": f"--{f}" for f in ("street", "postcode", "city", "country")},
}
_TOUCHPOINT_OPTIONS = {
    **{f: f"--{f}" for f in ("type", "subject", "body", "direction", "priority", "mood", "amount", "currency")},
    "occurred_at": "--when",
    "tags[]": "--tag",
    "person_ids[]": "--person",
    "company_id": "--company",
}

PEOPLE = _Kind(
    Entity.PERSON,
    "person",
    "people",
    people,
    (("name", _text), ("company", _text), ("position", _text), ("email", _text), ("phone", _phone), ("tags", _text)),
    _PERSON_OPTIONS,
)
COMPANIES = _Kind(
    Entity.COMPANY,
    "company",
    "companies",
    companies,
    (("name", _text), ("industry", _text), ("city", _text), ("phone", _phone), ("email", _text), ("people", _text)),
    _COMPANY_OPTIONS,
)
TOUCHPOINTS = _Kind(
    Entity.TOUCHPOINT,
    "touchpoint",
    "touchpoints",
    touchpoints,
    (("when", _local_time), ("type", _text), ("subject", _text), ("person", _text), ("company", _text)),
    _TOUCHPOINT_OPTIONS,
)


def option_for(key: str, options: dict[str, str]) -> str:
    """The CLI option a validation problem's field path refers to (``cards[0].emails[1]`` → ``--email``)."""
    if key in options:
        return options[key]
    generic = re.sub(r"(?<!cards)\[\d+\]", "[]", key)  # list positions, but the card stays the edited one
    return options.get(generic, key)


# ---- argument types ----------------------------------------------------------------------------------------


def _birthday_arg(text: str) -> Birthday | str:
    """A birthday, or "" (clear it)."""
    if not text.strip():
        return ""
    try:
        return Birthday.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a date: write YYYY-MM-DD, or --MM-DD when the year is unknown"
        ) from None


def _when_arg(text: str) -> dt.datetime:
    """An ISO 8601 date and time; without a UTC offset it is local time."""
    t = text.strip()
    try:
        if t.lower() == "now":
            return dt.datetime.now(dt.UTC).replace(microsecond=0)
        value = dt.datetime.fromisoformat(t)
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a date and time: write ISO 8601, e.g. 2025-03-14T15:30 (local time) "
            "or 2025-03-14T15:30+01:00"
        ) from None


def _count_arg(text: str) -> int:
    try:
        n = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is not a positive number")
    return n


# ---- parser ------------------------------------------------------------------------------------------------


def _globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before and after the subcommand; below the top they default to SUPPRESS so they never overwrite it.
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="keep the database, settings and logs in DIR instead of the user data folder",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=False if top else argparse.SUPPRESS, help="log more to stderr"
    )


def _sub(
    group: Any, name: str, *, help_text: str, handler: Callable[[Context, argparse.Namespace], int], kind: _Kind | None
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = group.add_parser(name, help=help_text, description=help_text)
    _globals(p, top=False)
    p.set_defaults(handler=handler, kind=kind)
    return p


def _list_options(p: argparse.ArgumentParser, kind: _Kind) -> None:
    keys = [c.key for c in listing.COLUMNS[kind.entity]]
    default_key = listing.DEFAULT_SORT[kind.entity][0]
    p.add_argument("--search", default="", metavar="TEXT", help="only records matching TEXT (any text, searched as is)")
    p.add_argument("--tag", default="", metavar="T", help="only records with tag T")
    p.add_argument("--sort", choices=keys, default=default_key, help=f"sort column (default: {default_key})")
    default_desc = listing.DEFAULT_SORT[kind.entity][1]
    order = p.add_mutually_exclusive_group()
    order.add_argument("--desc", action="store_true", help="descending order" + (" (default)" if default_desc else ""))
    order.add_argument("--asc", action="store_true", help="ascending order" + ("" if default_desc else " (default)"))
    p.add_argument("--limit", type=_count_arg, metavar="N", help="show at most N records")
    p.add_argument("--json", action="store_true", help="print a JSON array of full records")


def _person_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--first-name", metavar="F")
    p.add_argument("--last-name", metavar="L")
    for name in ("salutation", "title", "middle-name", "suffix", "gender", "lifecycle"):
        p.add_argument(f"--{name}", metavar="TEXT")
    p.add_argument(
        "--email", action="append", metavar="E", help="work e-mail (repeat for more; the first is the favourite)"
    )
    p.add_argument(
        "--phone", action="append", metavar="P", help="work phone (repeat for more; the first is the favourite)"
    )
    p.add_argument("--company", metavar="NAME", help="company of the business card, linked by name (created if new)")
    p.add_argument("--position", metavar="P")
    p.add_argument("--department", metavar="D")
    p.add_argument("--tag", action="append", metavar="T", help="tag (repeat for more)")
    p.add_argument("--notes", metavar="N")
    p.add_argument("--birthday", type=_birthday_arg, metavar="DATE", help="YYYY-MM-DD, or --MM-DD without the year")


def _company_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", metavar="NAME")
    p.add_argument("--legal-form", metavar="TEXT")
    p.add_argument("--industry", metavar="TEXT")
    p.add_argument("--website", metavar="URL")
    p.add_argument("--email", action="append", metavar="E", help="e-mail (repeat for more; the first is the favourite)")
    p.add_argument("--phone", action="append", metavar="P", help="phone (repeat for more; the first is the favourite)")
    for name in ("street", "postcode", "city"):
        p.add_argument(f"--{name}", metavar="TEXT", help=f"{name} of the main address")
    p.add_argument("--country", metavar="CC", help="country of the main address (ISO code such as DE)")
    p.add_argument("--tag", action="append", metavar="T", help="tag (repeat for more)")
    p.add_argument("--notes", metavar="N")


def _touchpoint_options(p: argparse.ArgumentParser, *, new: bool) -> None:
    p.add_argument("--type", choices=[t.value for t in TouchpointType], required=new)
    p.add_argument("--subject", metavar="S")
    p.add_argument("--body", metavar="B")
    when_help = "ISO 8601 date and time; without a UTC offset it is local time" + (" (default: now)" if new else "")
    p.add_argument("--when", type=_when_arg, metavar="TIME", help=when_help)
    p.add_argument("--person", action="append", metavar="ID", help="person involved (repeat for more)")
    p.add_argument("--company", metavar="ID", help="company id")
    p.add_argument("--priority", choices=[v.value for v in Priority])
    p.add_argument("--direction", choices=[v.value for v in Direction if v.value])
    p.add_argument("--mood", choices=[v.value for v in Mood if v.value])
    p.add_argument("--amount", metavar="AMOUNT", help="turnover amount, e.g. 12.50")
    p.add_argument("--currency", metavar="CUR", help="three-letter currency code, e.g. EUR")
    p.add_argument("--tag", action="append", metavar="T", help="tag (repeat for more)")


def _clear_options(p: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        p.add_argument(f"--clear-{name}", action="store_true", help=f"remove all {name}")


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    """The `crmdesk` argument parser with every subcommand (built once: argparse takes ~20 ms to build it)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="crmdesk keeps your people, companies and touchpoints. With no subcommand it opens its window; "
        "with one it works from the shell, on the same database.",
        epilog="examples:\n"
        "  crmdesk people add --first-name Ines --last-name Brandt --email ines@brandt-mb.de --company 'Brandt GmbH'\n"
        "  crmdesk people list --search brandt --json\n"
        "  crmdesk touchpoints add --type call --subject 'Follow-up' --person ID\n"
        "  crmdesk import contacts.vcf --dry-run\n"
        "  crmdesk export --search brandt -o brandt.vcf\n"
        "  crmdesk demo-data --people 1000\n\n"
        f"{BUSY_TIMEOUT_ENV}=MS sets how long to wait for a database that another program holds (default 5000).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _globals(parser, top=True)
    commands = parser.add_subparsers(title="subcommands", metavar="COMMAND", dest="command")

    for kind, add_opts, edit_extra in (
        (PEOPLE, _person_options, ("tags", "emails", "phones")),
        (COMPANIES, _company_options, ("tags", "emails", "phones")),
        (TOUCHPOINTS, None, ("tags", "people")),
    ):
        group_parser = commands.add_parser(kind.many, help=f"add, edit, list, show or delete {kind.many}")
        _globals(group_parser, top=False)
        group = group_parser.add_subparsers(title="commands", metavar="ACTION", dest="action", required=True)
        add = _sub(group, "add", help_text=f"add a {kind.one} and print its id", handler=_add, kind=kind)
        edit = _sub(
            group, "edit", help_text=f"change a {kind.one}: only the options given change", handler=_edit, kind=kind
        )
        edit.add_argument("id", metavar="ID")
        if add_opts is None:
            _touchpoint_options(add, new=True)
            _touchpoint_options(edit, new=False)
        else:
            add_opts(add)
            add_opts(edit)
        _clear_options(edit, *edit_extra)
        lst = _sub(group, "list", help_text=f"list {kind.many}", handler=_list, kind=kind)
        _list_options(lst, kind)
        if kind is PEOPLE:
            lst.add_argument("--company", metavar="ID", help="only people with a business card at this company")
        if kind is TOUCHPOINTS:
            lst.add_argument("--person", metavar="ID", help="only touchpoints involving this person")
            lst.add_argument("--company", metavar="ID", help="only touchpoints of this company")
        show = _sub(group, "show", help_text=f"show one {kind.one}", handler=_show, kind=kind)
        show.add_argument("id", metavar="ID")
        show.add_argument("--json", action="store_true", help="print the full record as JSON")
        delete = _sub(group, "delete", help_text=f"delete {kind.many} by id", handler=_delete, kind=kind)
        delete.add_argument("ids", nargs="+", metavar="ID")

    imp = _sub(
        commands,
        "import",
        help_text="import people from vCard or CSV files (a card already stored is updated, never doubled)",
        handler=cli_exchange.run_import,
        kind=None,
    )
    cli_exchange.add_arguments_import(imp)
    exp = _sub(
        commands,
        "export",
        help_text="export people as vCards (3.0 or 4.0) or CSV",
        handler=cli_exchange.run_export,
        kind=None,
    )
    cli_exchange.add_arguments_export(exp)

    account_parser = commands.add_parser("account", help="add, list or remove the CRM accounts crmdesk syncs with")
    _globals(account_parser, top=False)
    account = account_parser.add_subparsers(title="commands", metavar="ACTION", dest="action", required=True)
    for command in cli_sync.ACCOUNT_COMMANDS:
        command.add_arguments(_sub(account, command.name, help_text=command.help, handler=command.handler, kind=None))
    sync = _sub(
        commands,
        "sync",
        help_text="sync with the CRM accounts: receive their changes, send yours (offline edits included)",
        handler=cli_sync.run_sync,
        kind=None,
    )
    cli_sync.add_arguments_sync(sync)
    outbox = _sub(
        commands,
        "outbox",
        help_text="list the local changes the next sync will send",
        handler=cli_sync.run_outbox,
        kind=None,
    )
    cli_sync.add_arguments_outbox(outbox)
    conflicts = _sub(
        commands,
        "conflicts",
        help_text="list or settle the fields you and the server both changed",
        handler=cli_sync.run_conflicts,
        kind=None,
    )
    cli_sync.add_arguments_conflicts(conflicts)

    dd = _sub(
        commands, "demo-data", help_text="fill the store with realistic sample data", handler=_demo_data, kind=None
    )
    dd.add_argument("--people", type=_count_arg, required=True, metavar="N", help="how many people to add")
    dd.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    return parser


_DASH_VALUE_OPTIONS = ("--search", "--birthday", "--amount")
_LOOKS_LIKE_OPTION = re.compile(r"--?[A-Za-z][\w-]*(=.*)?", re.DOTALL)


_DOUBLE_DASH = "\x00--"  # stands for a value "--", which argparse (3.11) would drop even from --opt=--


def _restore_double_dash(value: Any) -> Any:
    if isinstance(value, list):
        return [_restore_double_dash(v) for v in value]
    return "--" if value == _DOUBLE_DASH else value


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """`--search -x` as `--search=-x`, `--birthday --04-12` as `--birthday=--04-12`: argparse takes them for options."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and arg.endswith("=--"):
            arg = arg[:-2] + _DOUBLE_DASH
        if arg in _DASH_VALUE_OPTIONS and i + 1 < len(argv):
            value = argv[i + 1]
            if value.startswith("-") and not _LOOKS_LIKE_OPTION.fullmatch(value):
                out.append(f"{arg}={_DOUBLE_DASH if value == '--' else value}")
                i += 2
                continue
        out.append(arg)
        i += 1
    return out


# ---- commands: add and edit --------------------------------------------------------------------------------


def _given(args: argparse.Namespace, name: str) -> bool:
    return getattr(args, name, None) is not None


def _emails(values: Sequence[str]) -> tuple[Email, ...]:
    return tuple(Email(v, EmailType.WORK, favourite=i == 0) for i, v in enumerate(values))


def _phones(values: Sequence[str]) -> tuple[Phone, ...]:
    return tuple(Phone(v, PhoneType.WORK, favourite=i == 0) for i, v in enumerate(values))


def _apply_person(rec: PersonRecord, args: argparse.Namespace) -> PersonRecord:
    """`rec` with the options given applied; its favourite card (made if missing) gets the card options."""
    changes: dict[str, Any] = {}
    for field in ("salutation", "title", "first_name", "middle_name", "last_name", "suffix", "gender", "lifecycle"):
        if _given(args, field):
            changes[field] = getattr(args, field)
    if _given(args, "notes"):
        changes["notes"] = args.notes
    if _given(args, "birthday"):
        changes["birthday"] = args.birthday or None
    if _given(args, "tag") or getattr(args, "clear_tags", False):
        changes["tags"] = tuple(args.tag or ())
    card_changes: dict[str, Any] = {}
    if _given(args, "email") or getattr(args, "clear_emails", False):
        card_changes["emails"] = _emails(args.email or ())
    if _given(args, "phone") or getattr(args, "clear_phones", False):
        card_changes["phones"] = _phones(args.phone or ())
    if _given(args, "company"):
        # the store matches a company name to a company, or creates one; a card at a company is a work card
        card_changes.update(company_id=None, company_name=args.company)
        if args.company.strip():
            card_changes["private"] = False
    for field in ("position", "department"):
        if _given(args, field):
            card_changes[field] = getattr(args, field)
    if not card_changes:
        return rec.replace(**changes)
    cards = list(rec.cards)
    card = rec.favourite_card
    if card is None:
        card = BusinessCardRecord()
        cards.append(card)
    index = cards.index(card)
    cards[index] = dataclasses.replace(card, favourite=True, **card_changes)
    # the edited card is the only favourite, so normalisation puts it first: cards[0] in validation problems
    cards = [c if i == index else dataclasses.replace(c, favourite=False) for i, c in enumerate(cards)]
    return rec.replace(cards=tuple(cards), **changes)


def _apply_company(rec: CompanyRecord, args: argparse.Namespace) -> CompanyRecord:
    changes: dict[str, Any] = {}
    for field in ("name", "legal_form", "industry", "website", "notes"):
        if _given(args, field):
            changes[field] = getattr(args, field)
    if _given(args, "tag") or getattr(args, "clear_tags", False):
        changes["tags"] = tuple(args.tag or ())
    if _given(args, "email") or getattr(args, "clear_emails", False):
        changes["emails"] = _emails(args.email or ())
    if _given(args, "phone") or getattr(args, "clear_phones", False):
        changes["phones"] = _phones(args.phone or ())
    address_changes = {f: getattr(args, f) for f in ("street", "postcode", "city", "country") if _given(args, f)}
    if address_changes:
        addresses = list(rec.addresses)
        index = next((i for i, a in enumerate(addresses) if a.favourite), 0 if addresses else None)
        if index is None:
            addresses.append(Address(type=AddressType.WORK, favourite=True, **address_changes))
        else:
            addresses[index] = dataclasses.replace(addresses[index], **address_changes)
        changes["addresses"] = tuple(a for a in addresses if not a.is_empty())
    return rec.replace(**changes)


def _apply_touchpoint(rec: TouchpointRecord, args: argparse.Namespace, *, s: Session) -> TouchpointRecord:
    changes: dict[str, Any] = {}
    if _given(args, "type"):
        changes["type"] = TouchpointType(args.type)
    for field, kind in (("priority", Priority), ("direction", Direction), ("mood", Mood)):
        if _given(args, field):
            changes[field] = kind(getattr(args, field))
    for field in ("subject", "body", "amount", "currency"):
        if _given(args, field):
            changes[field] = getattr(args, field)
    if _given(args, "when"):
        changes["occurred_at"] = args.when
    if _given(args, "tag") or getattr(args, "clear_tags", False):
        changes["tags"] = tuple(args.tag or ())
    if _given(args, "person") or getattr(args, "clear_people", False):
        ids = list(dict.fromkeys(p.strip() for p in args.person or ()))
        found = {p.id for p in people.get_many(s, ids)}
        missing = [p for p in ids if p not in found]
        if missing:
            raise NotFoundError(f"--person: no person with id {', '.join(missing)}.")
        changes["person_ids"] = tuple(ids)
    if _given(args, "company"):
        company_id = args.company.strip() or None
        if company_id is not None and not companies.get_many(s, [company_id]):
            raise NotFoundError(f"--company: no company with id {company_id}.")
        changes["company_id"] = company_id
    return rec.replace(**changes)


def _save(ctx: Context, args: argparse.Namespace, *, record_id: str | None) -> int:
    kind: _Kind = args.kind
    with ctx.store.write() as s:
        stored: Record
        if kind is PEOPLE:
            old_p = PersonRecord() if record_id is None else people.get(s, record_id)
            rec_p = _apply_person(old_p, args)
            save_p = people.create if record_id is None else people.update
            stored, _ = save_p(s, rec_p, region=ctx.region)
        elif kind is COMPANIES:
            old_c = CompanyRecord() if record_id is None else companies.get(s, record_id)
            save_c = companies.create if record_id is None else companies.update
            stored, _ = save_c(s, _apply_company(old_c, args), region=ctx.region)
        else:
            old_t = TouchpointRecord() if record_id is None else touchpoints.get(s, record_id)
            save_t = touchpoints.create if record_id is None else touchpoints.update
            stored, _ = save_t(s, _apply_touchpoint(old_t, args, s=s))
    print(stored.id)
    return 0


def _add(ctx: Context, args: argparse.Namespace) -> int:
    return _save(ctx, args, record_id=None)


def _edit(ctx: Context, args: argparse.Namespace) -> int:
    return _save(ctx, args, record_id=args.id.strip())


# ---- commands: list, show, delete --------------------------------------------------------------------------


def _pages(s: Session, q: listing.ListQuery, *, page_size: int, limit: int | None) -> Iterator[list[listing.Row]]:
    """Rows of `q` page by page (keyset paging: every page is one short indexed query)."""
    after: tuple[Any, int] | None = None
    left = limit
    while left is None or left > 0:
        n = page_size if left is None else min(page_size, left)
        rows = listing.page(s, q, after=after, limit=n)
        if rows:
            yield rows
        if len(rows) < n:
            return
        after = rows[-1].key
        if left is not None:
            left -= len(rows)


def _list(ctx: Context, args: argparse.Namespace) -> int:
    kind: _Kind = args.kind
    default_key, default_desc = listing.DEFAULT_SORT[kind.entity]
    q = listing.ListQuery(
        kind.entity,
        search=args.search,
        tag=args.tag,
        sort=args.sort,
        descending=args.desc or (not args.asc and args.sort == default_key and default_desc),
        company_id=getattr(args, "company", None),
        person_id=getattr(args, "person", None),
    )
    specs = {c.key: (i, c.header) for i, c in enumerate(listing.COLUMNS[kind.entity])}
    page_size = max(1, min(ctx.settings.page_size, 500))
    n = 0
    table = _Table([specs[key][1] for key, _ in kind.columns])
    out = sys.stdout
    with ctx.store.read() as s:  # one read transaction: a consistent snapshot across the pages
        for rows in _pages(s, q, page_size=page_size, limit=args.limit):
            if args.json:
                for rec in kind.module.get_many(s, [r.id for r in rows]):
                    out.write(("[\n" if n == 0 else ",\n") + json.dumps(record_json(rec), ensure_ascii=False))
                    n += 1
            else:
                table.write([[_one_line(fmt(r.values[specs[key][0]], ctx)) for key, fmt in kind.columns] for r in rows])
                n += len(rows)
    if args.json:
        out.write("[]\n" if n == 0 else "\n]\n")
    elif n == 0:
        print(f"No {kind.many} found.", file=sys.stderr)
    return 0


def _show(ctx: Context, args: argparse.Namespace) -> int:
    kind: _Kind = args.kind
    record_id = args.id.strip()
    with ctx.store.read() as s:
        if args.json:
            print(json.dumps(record_json(kind.module.get(s, record_id)), ensure_ascii=False, indent=2))
            return 0
        if kind is PEOPLE:
            lines = _person_lines(details.person_detail(s, record_id), ctx)
        elif kind is COMPANIES:
            lines = _company_lines(details.company_detail(s, record_id), ctx)
        else:
            lines = _touchpoint_lines(details.touchpoint_detail(s, record_id), ctx)
    print("\n".join(lines))
    return 0


def _delete(ctx: Context, args: argparse.Namespace) -> int:
    kind: _Kind = args.kind
    ids = list(dict.fromkeys(i.strip() for i in args.ids))
    with ctx.store.write() as s:
        found = {r.id for r in kind.module.get_many(s, ids)}
        missing = [i for i in ids if i not in found]
        if missing:  # all or nothing: a typo in one id deletes none
            raise NotFoundError(f"No {kind.one} with id {', '.join(missing)}; nothing was deleted.")
        kind.module.delete_many(s, ids)
    print(f"Deleted {kind.count(len(ids))}.", file=sys.stderr)
    return 0


# ---- demo data ---------------------------------------------------------------------------------------------


def _demo_data(ctx: Context, args: argparse.Namespace) -> int:
    tty = sys.stderr.isatty()
    shown = 0.0

    def progress(done: int, total: int, text: str) -> None:
        nonlocal shown
        now = time.monotonic()
        if tty and (now - shown >= 0.1 or done >= total):  # at most ~10 updates a second (STYLE §2.8)
            shown = now
            sys.stderr.write(f"\r{text}\x1b[K")
            sys.stderr.flush()

    start = time.perf_counter()
    try:
        n_companies, n_people, n_touchpoints = demo.generate(
            ctx.store, people_count=args.people, seed=args.seed, region=ctx.region, progress=progress
        )
    finally:
        if tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
    elapsed = time.perf_counter() - start
    print(
        f"Added {COMPANIES.count(n_companies)}, {PEOPLE.count(n_people)} and {TOUCHPOINTS.count(n_touchpoints)} "
        f"in {elapsed:.1f} s"
    )
    return 0


# ---- main --------------------------------------------------------------------------------------------------


def _busy_timeout_ms() -> int:
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            log.warning(
                "%s=%r is not a number of milliseconds; using %d", BUSY_TIMEOUT_ENV, raw, DEFAULT_BUSY_TIMEOUT_MS
            )
    return DEFAULT_BUSY_TIMEOUT_MS


@contextlib.contextmanager
def _logging(*, verbose: bool) -> Iterator[None]:
    """Log set-up for one run; the logging state before it comes back afterwards (main may run in-process)."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    sa = logging.getLogger("sqlalchemy")
    saved_sa_level = sa.level
    sa.setLevel(logging.WARNING)  # SQL statements are not what -v is for
    logsetup.setup(paths.log_dir(), verbose=verbose)
    ours = list(root.handlers)
    try:
        yield
    finally:
        for h in ours:
            root.removeHandler(h)
            h.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        sa.setLevel(saved_sa_level)


def _report(err: UserError, options: dict[str, str]) -> None:
    if isinstance(err, ValidationError):
        for key, message in err.problems.items():
            print(f"{PROG}: error: {option_for(key, options)}: {message}", file=sys.stderr)
    else:
        print(f"{PROG}: error: {err.message}", file=sys.stderr)
    for hint in err.hints:
        print(f"{PROG}: hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command.

    Args:
        argv: The arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        The exit code: 0 done, 1 a user error (reported on stderr), 2 a usage error, 130 interrupted,
        70 a bug (its traceback is on stderr and in the log).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:  # --help, --version, usage errors: argparse has printed what it had to say
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    for name, value in vars(args).items():
        setattr(args, name, _restore_double_dash(value))
    if args.command is None:
        parser.print_help()
        return 0
    if args.data_dir is not None:
        paths.set_data_dir(args.data_dir)
    kind: _Kind | None = args.kind
    with _logging(verbose=args.verbose):
        try:
            ctx = Context.open(None, busy_timeout_ms=_busy_timeout_ms())
            try:
                handler: Callable[[Context, argparse.Namespace], int] = args.handler
                code = handler(ctx, args)
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
                return code
            finally:
                ctx.close()
        except UserError as e:
            _report(e, kind.options if kind is not None else {})
            return EXIT_USER_ERROR
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            # The reader went away (`crmdesk people list | head`); keep Python from complaining at exit.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_USER_ERROR
        except Exception:
            log.exception("crmdesk %s failed with an unexpected error (a bug)", args.command)
            print(
                f"{PROG}: error: an unexpected error happened; please report it with the log in {paths.log_dir()}",
                file=sys.stderr,
            )
            return EXIT_INTERNAL
