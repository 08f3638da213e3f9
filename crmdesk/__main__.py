"""`crmdesk` and `python -m crmdesk`: a subcommand runs the CLI (`cli.main`), none opens the window (`app.main`).

`crmdesk contacts.vcf` (a vCard or CSV file that exists) opens the window with that file's import.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from crmdesk.app import contact_file

_GLOBAL_WITH_VALUE = frozenset({"--data-dir"})
_GLOBAL_FLAGS = frozenset({"-v", "--verbose"})
_CLI_ONLY = frozenset({"-h", "--help", "--version"})


def wants_cli(argv: Sequence[str]) -> bool:
    """Whether `argv` names a subcommand (or asks for help or the version) rather than the window.

    The global options `--data-dir DIR`, `--data-dir=DIR` and `-v`/`--verbose` may come first; the next argument
    decides: an existing vCard or CSV file (`crmdesk contacts.vcf`, as the desktop opens a .vcf with crmdesk) opens
    the window and its import; any other word is a subcommand (an unknown one gets the CLI's usage error, not a
    window), `-h`, `--help` and `--version` are answered by the CLI, and any other option (or nothing) opens the window.
    """
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _GLOBAL_WITH_VALUE:
            i += 2
        elif arg.startswith("--data-dir=") or arg in _GLOBAL_FLAGS:
            i += 1
        else:
            return arg in _CLI_ONLY or (not arg.startswith("-") and contact_file(arg) is None)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """The `crmdesk` command.

    Args:
        argv: The arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        The exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_cli(args):
        from crmdesk import cli  # the window does not need the CLI's modules (~0.2 s of start-up)

        return cli.main(args)
    from crmdesk import app  # Qt is loaded only when the window opens

    return app.main(args)


if __name__ == "__main__":
    sys.exit(main())
