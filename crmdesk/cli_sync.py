"""`crmdesk account …`: the remote CRMs crmdesk syncs with, and where their secrets are kept (issue 4).

A secret is never a command-line argument (it would land in the shell history and in `ps`): it is read from one
line of stdin with `--secret-stdin`, or asked for without echo when stdin is a terminal. Confirmations go to
stderr, ids and listings to stdout; user errors exit 1 through `cli.main`, like every other command.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from crmdesk.context import Context
from crmdesk.domain.accounts import AccountKind, AccountRecord, AccountState, Policy
from crmdesk.errors import NotFoundError, SecretStoreUnavailable, UserError, ValidationError
from crmdesk.settings import SECRET_STORES
from crmdesk.sync import accounts
from crmdesk.sync.accounts import SecretStore

Handler = Callable[[Context, argparse.Namespace], int]

# Field names of validation problems (sync.accounts.check_account) → the option that sets them.
_FIELD_OPTIONS = {
    "name": "--name",
    "base_url": "--url",
    "interval_s": "--interval",
    "options": "--option",
    "policy": "--policy",
    "secret": "secret",
}
_STATE_TEXT = {
    AccountState.NEW: "not synced yet",
    AccountState.OK: "ok",
    AccountState.SIGN_IN: "sign in again",
    AccountState.ERROR: "error",
    AccountState.GUARD: "stopped: confirm deletions",
}


@dataclass(frozen=True)
class Command:
    """One `crmdesk account ACTION`: cli.py makes its parser with `add_arguments` and runs `handler`."""

    name: str
    help: str
    handler: Handler
    add_arguments: Callable[[argparse.ArgumentParser], None]


# ---- argument types ----------------------------------------------------------------------------------------


def _option_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"“{text}” is not KEY=VALUE")
    return key.strip(), value


def _seconds_arg(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a whole number of seconds") from None


def _add_secret_stdin(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the secret (API token or password) from the first line of stdin; without it, it is asked for "
        "when stdin is a terminal",
    )
    source.add_argument(
        "--secret-env",
        metavar="VAR",
        help="take the secret from the environment variable VAR (for scripts; it never appears on the command line)",
    )


def _arguments_add(p: argparse.ArgumentParser) -> None:
    p.add_argument(  # not dest "kind": cli.py keeps its record kind there
        "--kind", dest="account_kind", required=True, choices=[k.value for k in AccountKind], help="which CRM or server"
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="a name for the account, e.g. 'Work CRM'")
    p.add_argument("--name", dest="name_option", metavar="NAME", help=argparse.SUPPRESS)  # the older spelling
    p.add_argument("--url", required=True, metavar="URL", help="base URL (https; http only for localhost)")
    p.add_argument(
        "--option",
        action="append",
        type=_option_arg,
        default=[],
        metavar="KEY=VALUE",
        help="a kind-specific option, e.g. user=ines (repeat for more)",
    )
    p.add_argument(
        "--interval",
        type=_seconds_arg,
        default=AccountRecord().interval_s,
        metavar="SECONDS",
        help=f"sync every SECONDS (at least {accounts.MIN_INTERVAL_S}; default {AccountRecord().interval_s})",
    )
    p.add_argument(
        "--policy",
        choices=[p.value for p in Policy],
        default=Policy.REMOTE_WINS.value,
        help="when both sides changed a field: remote wins (default), local wins or the newest wins; "
        "the losing value is kept as a conflict",
    )
    _add_secret_stdin(p)


def _arguments_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON array (no secrets)")


def _arguments_account(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", metavar="ID", help="the account's id, an unambiguous start of it, or its exact name")


def _arguments_set_policy(p: argparse.ArgumentParser) -> None:
    _arguments_account(p)
    p.add_argument("policy", metavar="POLICY", choices=[p.value for p in Policy], help="remote, local or newest")


def _arguments_sign_in(p: argparse.ArgumentParser) -> None:
    _arguments_account(p)
    _add_secret_stdin(p)


def _arguments_secret_store(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "store",
        nargs="?",
        choices=SECRET_STORES,
        help="keyring: the OS keyring (default); file: a file readable by you only, NOT encrypted. "
        "Without it, show where secrets are kept.",
    )


# ---- helpers -----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _as_options() -> Iterator[None]:
    """Validation problems named by the option that sets the field (`--url: must use https`)."""
    try:
        yield
    except ValidationError as e:
        raise ValidationError(
            {_FIELD_OPTIONS.get(k, k.replace("option:", "--option ", 1)): v for k, v in e.problems.items()}
        ) from None


def _read_secret(args: argparse.Namespace, *, account_name: str) -> str:
    """The secret from one line of stdin (`--secret-stdin`) or, on a terminal, from a prompt without echo."""
    if getattr(args, "secret_env", None):
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise UserError(f"The environment variable {args.secret_env} is not set or empty.")
    elif args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin is not None and sys.stdin.isatty():
        try:
            secret = getpass.getpass(f"Secret (API token or password) for “{account_name}”: ")
        except EOFError:
            raise UserError("No secret was entered.") from None
    else:
        raise UserError(
            "No secret given, and stdin is no terminal to ask for one.",
            hints=("Pipe the secret in as one line with --secret-stdin.",),
        )
    if not secret.strip():
        raise ValidationError({"secret": "must not be empty"})
    return secret


def _warn_if_unencrypted(store: SecretStore) -> None:
    if not store.encrypted:
        print(
            "crmdesk: warning: secrets are kept in a file that is NOT encrypted (readable by you only): anyone "
            "with access to your files, or to a backup of them, can read them.",
            file=sys.stderr,
        )


def resolve_account(ctx: Context, ref: str) -> AccountRecord:
    """The account `ref` names: its id, an unambiguous start of its id, or its exact name.

    Raises:
        NotFoundError: no account matches.
        UserError: more than one account matches.
    """
    ref = ref.strip()
    recs = accounts.list_accounts(ctx)
    exact = [r for r in recs if r.id == ref] or [r for r in recs if r.name == ref]
    matches = exact or ([r for r in recs if r.id.startswith(ref.lower())] if ref else [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{r.id} ({r.name})" for r in matches)
        raise UserError(f"“{ref}” matches {len(matches)} accounts: {listed}.", hints=("Give more of the id.",))
    raise NotFoundError(f"There is no account “{ref}”.", hints=("See the accounts with: crmdesk account list",))


def _local_time(value: dt.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "never"


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for cells in (headers, *rows):
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


# ---- commands ----------------------------------------------------------------------------------------------


def run_add(ctx: Context, args: argparse.Namespace) -> int:
    name = args.name if args.name is not None else args.name_option
    if name is None:
        raise ValidationError({"NAME": "give the account a name, e.g. crmdesk account add 'Work CRM' --kind …"})
    rec = AccountRecord(
        kind=AccountKind(args.account_kind),
        name=name,
        base_url=args.url,
        options=tuple(sorted(dict(args.option).items())),
        interval_s=args.interval,
        policy=Policy(args.policy),
    )
    with _as_options():
        accounts.check_account(ctx, rec)  # before the secret is asked for: a typo in --url costs no typing
    store = accounts.secret_store(ctx.settings)  # the same: no keyring, no question
    with _as_options():
        secret = _read_secret(args, account_name=rec.name.strip())
        stored = accounts.add_account(ctx, rec, secret=secret)
    print(stored.id)
    print(f"Added the account “{stored.name}”; its secret is kept in {store.description}.", file=sys.stderr)
    _warn_if_unencrypted(store)
    return 0


def _secret_column(store: SecretStore | None, account_id: str) -> tuple[str, bool | None]:
    """Where the account's secret is, in words, and whether one is stored (None: cannot tell)."""
    if store is None:
        return "unavailable (no keyring)", None
    try:
        stored = store.get(account_id) is not None
    except SecretStoreUnavailable:
        return f"{store.description}: unavailable", None
    return (store.description if stored else "none: sign in again"), stored


def run_list(ctx: Context, args: argparse.Namespace) -> int:
    recs = accounts.list_accounts(ctx)
    store: SecretStore | None
    try:
        store = accounts.secret_store(ctx.settings)
    except SecretStoreUnavailable:
        store = None
    secrets = {r.id: _secret_column(store, r.id) for r in recs}
    if args.json:
        out = [
            {
                "id": r.id,
                "kind": r.kind.value,
                "name": r.name,
                "base_url": r.base_url,
                "options": dict(r.options),
                "interval_s": r.interval_s,
                "policy": r.policy.value,
                "enabled": r.enabled,
                "state": r.state.value,
                "last_error": r.last_error,
                "last_sync_at": r.last_sync_at.isoformat() if r.last_sync_at else None,
                "secret": {
                    "store": store.description if store else None,
                    "encrypted": store.encrypted if store else None,
                    "stored": secrets[r.id][1],
                },
            }
            for r in recs
        ]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not recs:
        print("No accounts yet. Add one with: crmdesk account add --kind KIND --name NAME --url URL", file=sys.stderr)
        return 0
    rows = [
        (
            r.id,
            r.kind.label,
            r.name,
            r.base_url,
            _STATE_TEXT[r.state] + ("" if r.enabled else " (off)"),
            _local_time(r.last_sync_at),
            secrets[r.id][0],
        )
        for r in recs
    ]
    _print_table(("id", "kind", "name", "url", "state", "last sync", "secret"), rows)
    return 0


def run_remove(ctx: Context, args: argparse.Namespace) -> int:
    rec = resolve_account(ctx, args.account)
    accounts.remove_account(ctx, rec.id)
    print(
        f"Removed the account “{rec.name}” with its secret and sync links; your contacts stay.",
        file=sys.stderr,
    )
    return 0


def run_set_policy(ctx: Context, args: argparse.Namespace) -> int:
    rec = resolve_account(ctx, args.account)
    with _as_options():
        stored = accounts.update_account(ctx, rec.replace(policy=Policy(args.policy)))
    print(f"“{stored.name}”: {stored.policy.label.lower()} when both sides changed a field.", file=sys.stderr)
    return 0


def run_sign_in(ctx: Context, args: argparse.Namespace) -> int:
    rec = resolve_account(ctx, args.account)
    store = accounts.secret_store(ctx.settings)
    with _as_options():
        secret = _read_secret(args, account_name=rec.name)
        accounts.update_account(ctx, rec, secret=secret)
    print(f"Stored a new secret for “{rec.name}” in {store.description}.", file=sys.stderr)
    _warn_if_unencrypted(store)
    return 0


def run_secret_store(ctx: Context, args: argparse.Namespace) -> int:
    moved = accounts.use_secret_store(ctx, args.store) if args.store is not None else 0
    store = accounts.secret_store(ctx.settings)  # shows why, when the keyring is chosen but does not work
    print(f"Secrets are kept in {store.description}.")
    if moved:
        print(f"Moved the secrets of {moved} account{'s' if moved != 1 else ''} there.", file=sys.stderr)
    _warn_if_unencrypted(store)
    return 0


ACCOUNT_COMMANDS = (
    Command("add", "add an account; its secret is read from stdin or asked for", run_add, _arguments_add),
    Command("list", "list the accounts, their state and where their secrets are kept", run_list, _arguments_list),
    Command(
        "remove", "remove an account with its secret and sync links (contacts stay)", run_remove, _arguments_account
    ),
    Command(
        "set-policy",
        "choose which side wins when both changed a field (the loser is kept as a conflict)",
        run_set_policy,
        _arguments_set_policy,
    ),
    Command("sign-in", "give an account a new secret (after “sign in again”)", run_sign_in, _arguments_sign_in),
    Command(
        "secret-store",
        "show or choose where secrets are kept: the OS keyring, or a file (not encrypted)",
        run_secret_store,
        _arguments_secret_store,
    ),
)
"""Every `crmdesk account ACTION`, in the order `--help` lists them."""


# ---- crmdesk sync [ACCOUNT] --------------------------------------------------------------------------------


def add_arguments_sync(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", nargs="?", metavar="ACCOUNT", help="id, id prefix or name (default: every enabled one)")
    p.add_argument(
        "--confirm-deletions",
        action="store_true",
        help="let through the deletions the mass-delete guard stopped last time",
    )
    p.add_argument("--json", action="store_true", help="print the outcome of each run as JSON")


def run_sync(ctx: Context, args: argparse.Namespace) -> int:
    """Sync one account or every enabled one; exit 1 when any run failed or skipped a record."""
    from crmdesk.sync.run import sync_account  # the engine and httpx load only for this command

    if args.account:
        targets = [resolve_account(ctx, args.account)]
    else:
        targets = [a for a in accounts.list_accounts(ctx) if a.enabled]
        if not targets:
            raise UserError("There is no account to sync.", hints=("Add one with `crmdesk account add`.",))
    failed = False
    results: list[dict[str, object]] = []
    for account in targets:

        def progress(done: int, total: int, text: str) -> None:
            if not args.json and sys.stderr.isatty():
                print(f"\r{text} {done}…", end="", file=sys.stderr, flush=True)

        try:
            try:
                report = sync_account(ctx, account.id, progress=progress, allow_mass_delete=args.confirm_deletions)
            finally:
                if not args.json and sys.stderr.isatty():
                    print("\r\033[K", end="", file=sys.stderr, flush=True)  # clear the progress line
        except UserError as exc:
            failed = True
            results.append({"account": account.name, "id": account.id, "error": str(exc), "hints": list(exc.hints)})
            if not args.json:
                text = str(exc)  # a connector's messages name the account already: not twice
                print(text if text.startswith(f"{account.name}:") else f"{account.name}: {text}", file=sys.stderr)
                for hint in exc.hints:
                    print(f"  {hint}", file=sys.stderr)
            continue
        failed = failed or bool(report.problems)
        results.append(
            {
                "account": account.name,
                "id": account.id,
                "counts": {e.value: vars(c) for e, c in report.counts.items()},
                "problems": [{"entity": p.entity.value, "name": p.name, "message": p.message} for p in report.problems],
                "requests": report.requests,
            }
        )
        if not args.json:
            print(f"{account.name}: {report.summary()}.")
            for problem in report.problems:
                print(f"  skipped {problem.name}: {problem.message}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    return 1 if failed else 0


# ---- crmdesk outbox [ACCOUNT] · crmdesk conflicts list|resolve -------------------------------------------------


def add_arguments_outbox(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", nargs="?", metavar="ACCOUNT", help="id, id prefix or name (default: every account)")
    p.add_argument("--json", action="store_true", help="print a JSON array")


def run_outbox(ctx: Context, args: argparse.Namespace) -> int:
    """What the next sync will send, per account."""
    from crmdesk.sync.run import outbox

    targets = [resolve_account(ctx, args.account)] if args.account else accounts.list_accounts(ctx)
    entries = [(a, e) for a in targets for e in outbox(ctx, a.id)]
    if args.json:
        print(
            json.dumps(
                [
                    {"account": a.name, "entity": e.entity.value, "id": e.local_id, "name": e.name, "change": e.change}
                    for a, e in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not entries:
        print("Nothing waits to be sent.", file=sys.stderr)
        return 0
    _print_table(
        ("account", "record", "name", "change", "id"),
        [(a.name, e.entity.value, e.name, e.change, e.local_id) for a, e in entries],
    )
    return 0


def add_arguments_conflicts(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(title="actions", metavar="ACTION", dest="conflict_action", required=True)
    listing = actions.add_parser("list", help="list the open conflicts", description="list the open conflicts")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    resolve = actions.add_parser(
        "resolve",
        help="settle conflicts: keep your value or take the server's",
        description="settle conflicts: keep your value or take the server's (the next sync sends the result)",
    )
    which = resolve.add_mutually_exclusive_group(required=True)
    which.add_argument("conflict", nargs="?", metavar="ID", help="the conflict's id or an unambiguous start of it")
    which.add_argument("--all", action="store_true", help="every open conflict")
    side = resolve.add_mutually_exclusive_group(required=True)
    side.add_argument("--mine", action="store_true", help="keep the value from this computer")
    side.add_argument("--theirs", action="store_true", help="take the value from the server")


def _value_text(value: object) -> str:
    if value is None:
        return "(empty)"
    if value is True:
        return "yes"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def run_conflicts(ctx: Context, args: argparse.Namespace) -> int:
    """`crmdesk conflicts list|resolve`."""
    from crmdesk.domain.merge import Side
    from crmdesk.domain.records import Entity
    from crmdesk.store import companies as company_store
    from crmdesk.store import conflicts
    from crmdesk.store import people as people_store
    from crmdesk.sync.run import resolve_conflict

    with ctx.store.read() as s:
        open_ = conflicts.open_conflicts(s)
        names = {}
        for c in open_:
            try:
                if c.entity is Entity.COMPANY:
                    names[c.id] = company_store.get(s, c.local_id, include_deleted=True).name
                else:
                    names[c.id] = people_store.get(s, c.local_id, include_deleted=True).display_name
            except NotFoundError:
                names[c.id] = c.local_id
    if args.conflict_action == "list":
        if args.json:
            rows = [
                {
                    "id": c.id,
                    "record": names[c.id],
                    "field": c.label or c.field,
                    "mine": c.local,
                    "theirs": c.remote,
                    "kept": "mine" if c.kept is Side.LOCAL else "theirs",
                }
                for c in open_
            ]
            print(json.dumps(rows, indent=2, ensure_ascii=False))
            return 0
        if not open_:
            print("No open conflicts.", file=sys.stderr)
            return 0
        _print_table(
            ("id", "record", "field", "mine", "theirs", "kept"),
            [
                (
                    c.id,
                    names[c.id],
                    c.label or c.field,
                    _value_text(c.local),
                    _value_text(c.remote),
                    "mine" if c.kept is Side.LOCAL else "theirs",
                )
                for c in open_
            ],
        )
        return 0
    targets = open_ if args.all else [c for c in open_ if c.id.startswith(args.conflict.strip().lower())]
    if not targets:
        raise NotFoundError(
            f"There is no open conflict “{args.conflict}”.", hints=("See them: crmdesk conflicts list",)
        )
    if len(targets) > 1 and not args.all:
        raise UserError(f"“{args.conflict}” matches {len(targets)} conflicts.", hints=("Give more of the id.",))
    side = Side.LOCAL if args.mine else Side.REMOTE
    for c in targets:
        resolve_conflict(ctx, c.id, side)
    print(
        f"Settled {len(targets)} conflict{'s' if len(targets) != 1 else ''}; the next sync sends the result.",
        file=sys.stderr,
    )
    return 0
