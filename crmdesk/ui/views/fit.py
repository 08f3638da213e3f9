"""How a row of widgets in a box layout fits its width: the views that give way when the window is narrow (the
detail pane's buttons drop their labels, the list's header its title) measure it alike."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QBoxLayout, QWidget


def row_fits(layout: QBoxLayout, width: int, widths: Sequence[int]) -> bool:
    """Whether widgets of these widths fit side by side in `layout` across `width` (its margins and spacing)."""
    margins = layout.contentsMargins()
    spacing = max(0, layout.spacing()) * max(0, len(widths) - 1)
    return margins.left() + margins.right() + sum(widths) + spacing <= width


def being_taken_apart(widget: QWidget, attribute: str) -> bool:
    """Whether the garbage collector has cleared this widget's Python attributes already: it does so before Qt
    destroys a window's widgets, which may still resize them (a handler must then do nothing)."""
    return attribute not in vars(widget)
