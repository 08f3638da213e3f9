"""Icons from resources/icons (SVG), loaded once and cached."""

from __future__ import annotations

import functools

from PySide6.QtGui import QIcon

from crmdesk import paths


@functools.cache
def icon(name: str) -> QIcon:
    """The icon called `name` (file name without .svg); an empty icon if there is none."""
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


@functools.cache
def app_icon() -> QIcon:
    base = paths.resources_dir()
    result = QIcon(str(base / "crmdesk.svg"))
    for size in (32, 48, 64, 128, 256):
        png = base / f"crmdesk-{size}.png"
        if png.is_file():
            result.addFile(str(png))
    return result
