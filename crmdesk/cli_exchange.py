"""`crmdesk import` and `crmdesk export`: vCard and CSV interchange from the shell (issue 3 item 5).

Both print a summary on stdout (or, with `--json`, the whole report), progress on stderr when it is a terminal,
and exit 1 when any card was rejected — so a script notices — while the good cards still went in.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from crmdesk.context import Context
from crmdesk.domain.records import Entity
from crmdesk.errors import NotFoundError, UserError
from crmdesk.exchange import exporter, importer
from crmdesk.store import listing, people
from crmdesk.tasks import Progress

EXIT_REJECTED = 1


def add_arguments_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="vCard (.vcf) or CSV (Google, Outlook) files")
    p.add_argument("--dry-run", action="store_true", help="only show what would be created, updated and rejected")
    p.add_argument("--json", action="store_true", help="print the report as JSON (one entry per card)")


def add_arguments_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PATH", help="file (or folder with --split)")
    p.add_argument("--search", default="", metavar="TEXT", help="only people matching TEXT (default: everyone)")
    p.add_argument("--tag", default="", metavar="T", help="only people with tag T")
    p.add_argument("--id", action="append", metavar="ID", help="only this person (repeat for more)")
    p.add_argument("--version", choices=["3.0", "4.0"], default="3.0", help="vCard version (default: 3.0)")
    p.add_argument(
        "--format",
        choices=[f.value for f in (exporter.Format.GOOGLE_CSV, exporter.Format.OUTLOOK_CSV)] + ["vcard"],
        default="vcard",
        help="vcard (default), or CSV in the column layout of Google Contacts or Outlook",
    )
    p.add_argument("--split", action="store_true", help="one .vcf file per person in the folder PATH")


def _progress() -> Progress:
    tty = sys.stderr.isatty()
    shown = 0.0

    def progress(done: int, total: int, text: str) -> None:
        nonlocal shown
        now = time.monotonic()
        if tty and total and (now - shown >= 0.1 or done >= total):  # at most ~10 updates a second
            shown = now
            sys.stderr.write(f"\r{100 * done // total:3d} % {text}\x1b[K")
            sys.stderr.flush()

    return progress


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def run_import(ctx: Context, args: argparse.Namespace) -> int:
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise UserError(f"No such file: {', '.join(missing)}.")
    try:
        report = importer.run_import(
            ctx.store, args.files, region=ctx.region, dry_run=args.dry_run, progress=_progress()
        )
    finally:
        _clear_progress()
    if args.json:
        json.dump(_report_json(report), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(("Preview: " if report.dry_run else "Imported: ") + report.summary())
        for line in report.lines:
            if line.outcome is importer.Outcome.REJECTED:
                print(f"  rejected  {line.where()}: {line.reason}")
            for warning in line.warnings:
                print(f"  warning   {line.where()}: {warning}")
    return EXIT_REJECTED if report.rejected else 0


def _report_json(report: importer.ImportReport) -> dict[str, object]:
    return {
        "dry_run": report.dry_run,
        "files": report.files,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.rejected),
        "companies_created": len(report.undo.created_companies),
        "cards": [
            {
                "file": line.file,
                "number": line.number,
                "line": line.line,
                "outcome": line.outcome.value,
                "entity": line.entity.value,
                "name": line.name,
                "id": line.record_id,
                "reason": line.reason,
                "warnings": list(line.warnings),
            }
            for line in report.lines
        ],
    }


def run_export(ctx: Context, args: argparse.Namespace) -> int:
    if args.format == "vcard":
        fmt = exporter.Format.VCARD4 if args.version == "4.0" else exporter.Format.VCARD3
    else:
        fmt = exporter.Format(args.format)
    if args.id:
        with ctx.store.read() as s:
            found = {p.id for p in people.get_many(s, args.id)}
        missing = [i for i in args.id if i not in found]
        if missing:
            raise NotFoundError(f"No person has the id {', '.join(missing)}.")
        selection = exporter.Selection(ids=tuple(dict.fromkeys(args.id)))
    else:
        selection = exporter.Selection(query=listing.ListQuery(Entity.PERSON, search=args.search, tag=args.tag))
    try:
        report = exporter.run_export(ctx.store, selection, args.output, fmt=fmt, split=args.split, progress=_progress())
    finally:
        _clear_progress()
    print(report.summary())
    return 0
