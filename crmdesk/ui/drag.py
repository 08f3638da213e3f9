"""People dragged out of the window: vCard data and a real `.vcf` file (issue 3 item 4).

A drop target gets `text/vcard` (and the older `text/x-vcard`) bytes, and a `text/uri-list` naming a temporary
file — "Ines Brandt.vcf" for one person, "3 contacts.vcf" for more — so file managers and mail clients receive a
file. The few records are read by id on the GUI thread (STYLE §3.6: one page by primary key at most, hence
`MAX_DRAG`); the files live in one temporary folder per process, removed when it exits.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QUrl

from crmdesk.context import Context
from crmdesk.errors import CrmdeskError
from crmdesk.exchange import exporter
from crmdesk.store import people
from crmdesk.ui.dialogs.files import safe_file_stem

__all__ = ["MAX_DRAG", "MIME_TYPES", "VCARD_MIME", "person_mime_data"]

log = logging.getLogger(__name__)

VCARD_MIME = "text/vcard"  # RFC 6350 §10.1
X_VCARD_MIME = "text/x-vcard"  # what older mail clients and address books look for
URI_LIST_MIME = "text/uri-list"
MIME_TYPES = (VCARD_MIME, X_VCARD_MIME, URI_LIST_MIME)
MAX_DRAG = 200  # people read on the GUI thread for one drag; File ▸ Export… does more in a job


@functools.cache
def _drag_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="crmdesk-drag-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def drag_file_name(records: Sequence[object]) -> str:
    """ "Ines Brandt.vcf" for one person, "3 contacts.vcf" for more."""
    if len(records) == 1:
        name = str(getattr(records[0], "display_name", ""))
        return f"{safe_file_stem(name, fallback='contact')}.vcf"
    return f"{len(records)} contacts.vcf"


def person_mime_data(ctx: Context, ids: Sequence[str]) -> QMimeData | None:
    """vCard data and a temporary `.vcf` file of these people; None if none can be read (nothing is dragged)."""
    try:
        with ctx.store.read() as s:
            by_id = {p.id: p for p in people.get_many(s, list(ids))}
    except CrmdeskError as e:
        log.warning("cannot read the dragged people: %s", e)
        return None
    records = [by_id[i] for i in ids if i in by_id]
    if not records:
        return None
    data = exporter.vcard_bytes(records)
    mime = QMimeData()
    mime.setData(VCARD_MIME, QByteArray(data))
    mime.setData(X_VCARD_MIME, QByteArray(data))
    try:
        folder = Path(tempfile.mkdtemp(dir=_drag_root()))
        path = folder / drag_file_name(records)
        path.write_bytes(data)
    except OSError as e:
        log.warning("cannot write the dragged vCard file: %s", e)  # the vCard data alone still drags
    else:
        mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime
