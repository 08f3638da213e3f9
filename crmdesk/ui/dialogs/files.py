"""The file pickers of import and export; module functions, so tests monkeypatch them (STYLE §8).

Call them through the module (`files.open_contacts(...)`), so a test's monkeypatch reaches every caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = [
    "CONTACT_SUFFIXES",
    "OPEN_FILTER",
    "choose_folder",
    "contact_files",
    "is_contact_file",
    "open_contacts",
    "safe_file_stem",
    "save_file",
]

CONTACT_SUFFIXES = (".vcf", ".vcard", ".csv")
OPEN_FILTER = "Contacts (*.vcf *.vcard *.csv);;vCard (*.vcf *.vcard);;CSV (*.csv);;All files (*)"

_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


def is_contact_file(path: Path) -> bool:
    """A vCard or CSV file by its name (what a drop onto the window or `crmdesk FILE` imports)."""
    return path.suffix.lower() in CONTACT_SUFFIXES


def contact_files(urls: Iterable[QUrl]) -> list[Path]:
    """The local vCard and CSV files among dropped `urls`; empty if any of them is something else."""
    out = []
    for url in urls:
        if not url.isLocalFile():
            return []
        path = Path(url.toLocalFile())
        if not is_contact_file(path):
            return []
        out.append(path)
    return out


def safe_file_stem(name: str, *, fallback: str = "contact") -> str:
    """`name` as a file name every system accepts ("Dr. Ines Brandt", "Müller_Schmidt GmbH"), at most 100 chars."""
    stem = _UNSAFE.sub("_", name).strip(" ._")
    return stem[:100].rstrip(" ._") or fallback


def open_contacts(parent: QWidget | None, start: Path) -> list[Path]:
    """Ask for vCard or CSV files to import; empty if cancelled."""
    names, _ = QFileDialog.getOpenFileNames(parent, "Import contacts", str(start), OPEN_FILTER)
    return [Path(n) for n in names]


def save_file(parent: QWidget | None, *, title: str, suggested: Path, file_filter: str) -> Path | None:
    """Ask where to save a file (`suggested`: folder and name offered); None if cancelled.

    The suffix of `suggested` is added when the user typed a name without one.
    """
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), file_filter)
    if not name:
        return None
    path = Path(name)
    return path if path.suffix else path.with_suffix(suggested.suffix)


def choose_folder(parent: QWidget | None, *, title: str, start: Path) -> Path | None:
    """Ask for a folder (one vCard per person goes there); None if cancelled."""
    name = QFileDialog.getExistingDirectory(parent, title, str(start))
    return Path(name) if name else None
