"""Run an emulator in the foreground: `python -m tests.emulators kanbert --port 8765 --seed-people 500`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import cobra, deskera, imbox
from .appcrm import DEFAULT_RATE_LIMIT, AppcrmEmulator
from .appcrm import DEFAULT_TOKEN as APPCRM_TOKEN
from .base import EmulatorServer
from .kanbert import DEFAULT_TOKEN, KanbertEmulator


@dataclass(frozen=True)
class Command:
    """One emulator on the command line: its options and how to build it.

    Attributes:
        help: One line for `--help`.
        add_arguments: Adds the emulator's own options to its sub-parser.
        build: Makes the (not yet started) server from the parsed options, plus lines to print once it runs.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], tuple[EmulatorServer, list[str]]]


def _kanbert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", action="append", help=f"accepted bearer token, repeatable (default {DEFAULT_TOKEN})")
    parser.add_argument("--origin", default="crmdesk", help="integration slug of the tokens (default crmdesk)")
    parser.add_argument("--seed-companies", type=int, default=None, help="companies to seed (default people / 10)")


def _kanbert_build(args: argparse.Namespace) -> tuple[EmulatorServer, list[str]]:
    tokens = {token: args.origin for token in args.token or [DEFAULT_TOKEN]}
    server = KanbertEmulator(args.port, host=args.host, tokens=tokens, seed=args.seed)
    companies = args.seed_companies if args.seed_companies is not None else args.seed_people // 10
    server.seed_people(args.seed_people, companies=companies)
    lines = [f"Kanbert emulator: {server.api_url}", *(f"token: {t}" for t in tokens)]
    lines.append(f"{args.seed_people} contacts, {companies} companies; origin {args.origin!r}")
    lines.append(f"export CRMDESK_SECRET={next(iter(tokens))}")
    lines.append(
        f'crmdesk account add "kanbert demo" --kind kanbert --url {server.api_url} --secret-env CRMDESK_SECRET'
    )
    return server, lines


def _appcrm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", action="append", help=f"accepted bearer token, repeatable (default {APPCRM_TOKEN})")
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT, help="requests per minute, 0 = off")
    parser.add_argument("--seed-companies", type=int, default=None, help="companies to seed (default people / 10)")


def _appcrm_build(args: argparse.Namespace) -> tuple[EmulatorServer, list[str]]:
    tokens = args.token or [APPCRM_TOKEN]
    limit = args.rate_limit or None
    server = AppcrmEmulator(args.port, host=args.host, tokens=tokens, seed=args.seed, rate_limit=limit)
    companies = args.seed_companies if args.seed_companies is not None else args.seed_people // 10
    server.seed_people(args.seed_people, companies=companies)
    lines = [f"appcrm emulator: {server.api_url}", *(f"token: {t}" for t in tokens)]
    lines.append(f"{args.seed_people} contacts, {companies} companies; rate limit {limit or 'off'}/min")
    lines.append(f"export CRMDESK_SECRET={tokens[0]}")
    lines.append(f'crmdesk account add "appcrm demo" --kind appcrm --url {server.api_url} --secret-env CRMDESK_SECRET')
    return server, lines


COMMANDS: dict[str, Command] = {
    "kanbert": Command("Kanbert API (/api/v1): contacts, companies", _kanbert_arguments, _kanbert_build),
    "appcrm": Command("App CRM API (/api): contacts, companies, activities", _appcrm_arguments, _appcrm_build),
    "cobra": Command("cobra CRM Cloud (/v1): people, cards, companies, touchpoints", cobra.add_arguments, cobra.build),
    "deskera": Command("Deskera CRM API (/v1/crm): contacts, labels, activities", deskera.add_arguments, deskera.build),
    "imbox": Command("ImBox API (/api/{key}/{user}): contacts, accounts, notes", imbox.add_arguments, imbox.build),
}
"""Emulators by sub-command name; a new emulator adds one entry."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: options every emulator shares, then one sub-command per emulator."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulators", description=__doc__)
    sub = parser.add_subparsers(dest="emulator", required=True, metavar="EMULATOR")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        p.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
        p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        p.add_argument("--seed-people", type=int, default=0, help="people to seed (default 0)")
        p.add_argument("--seed", type=int, default=0, help="random seed of the seeded data")
        p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
        p.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered 500/503")
        command.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start the chosen emulator, print its URL and credentials, serve until Ctrl+C.

    Returns:
        The exit status.
    """
    args = build_parser().parse_args(argv)
    server, lines = COMMANDS[args.emulator].build(args)
    server.faults.latency = args.latency
    server.faults.set_error_rate(args.error_rate)
    # Ctrl+C and SIGTERM stop it, also where it was started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    try:
        print("\n".join(lines), "Ctrl+C stops it.", sep="\n", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
