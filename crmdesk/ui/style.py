"""The app's look: Fusion with a calm light palette and a small stylesheet for the main window's parts."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

ACCENT = "#2f6fde"

_QSS = """
QListWidget#navigation {
    background: #eef1f5;
    border: none;
    padding: 8px 6px;
    font-size: 10.5pt;
}
QListWidget#navigation::item {
    padding: 4px 8px;
    border-radius: 6px;
    color: #1f2933;
}
QListWidget#navigation::item:selected {
    background: #dbe6fb;
    color: #123b8c;
}
QListWidget#navigation::item:hover:!selected {
    background: #e3e8ef;
}
QWidget#centerPane {
    background: #ffffff;
}
QLabel#viewTitle {
    font-size: 13pt;
    font-weight: 600;
    color: #1f2933;
    padding-left: 2px;
}
QLineEdit#searchBox {
    padding: 5px 8px;
    border: 1px solid #cfd6df;
    border-radius: 7px;
    background: #f8fafc;
    min-width: 170px;
}
QLineEdit#searchBox:focus {
    border: 1px solid #2f6fde;
    background: #ffffff;
}
QComboBox#tagFilter {
    padding: 4px 8px;
    border: 1px solid #cfd6df;
    border-radius: 7px;
    background: #f8fafc;
}
QComboBox#tagFilter::drop-down {
    border: none;
    width: 18px;
}
QTableView {
    outline: 0;  /* rows are selected whole: no focus frame around the current cell */
    border: none;
    border-top: 1px solid #e5e9ef;
    selection-background-color: #dbe6fb;
    selection-color: #0f172a;
    alternate-background-color: #f8fafc;
    gridline-color: #eef1f5;
}
QTableView::item {
    padding: 0 6px;
}
QHeaderView::section {
    background: #ffffff;
    border: none;
    border-bottom: 1px solid #e5e9ef;
    padding: 6px 8px;
    color: #4b5563;
    font-weight: 600;
}
QWidget#detailPane {
    background: #ffffff;
    border-left: 1px solid #e5e9ef;
}
QTextBrowser#detailBrowser {
    background: #ffffff;
}
QLabel#detailPlaceholder {
    color: #6b7280;
    font-size: 10.5pt;
}
QToolBar#mainToolbar {
    border: none;
    border-bottom: 1px solid #e5e9ef;
    spacing: 4px;
    padding: 3px 6px;
    background: #f7f8fa;
}
QStatusBar {
    background: #f7f8fa;
    border-top: 1px solid #e5e9ef;
    color: #4b5563;
}
QStatusBar QLabel#countLabel {
    padding: 0 10px;
}
QToolButton#outcomeChip {
    padding: 3px 10px;
    border: 1px solid #d5dbe3;
    border-radius: 12px;
    background: #ffffff;
    color: #374151;
}
QToolButton#outcomeChip:hover {
    background: #f1f4f8;
}
QToolButton#outcomeChip:checked {
    background: #dbe6fb;
    border-color: #9db8ee;
    color: #123b8c;
}
QToolButton#outcomeChip[outcome="rejected"] {
    color: #b42318;
}
QToolButton#outcomeChip[outcome="rejected"]:checked {
    background: #fdecea;
    border-color: #f0a9a2;
}
QTableView#importTable {
    border: 1px solid #dde3ea;
    border-radius: 4px;
}
QLabel#companiesLabel, QLabel#formatHint, QLabel#importEmpty {
    color: #6b7280;
}
QProgressBar#importProgress {
    border: none;
    border-radius: 4px;
    background: #e5e9ef;
}
QProgressBar#importProgress::chunk {
    border-radius: 4px;
    background: #2f6fde;
}
QWidget#statusProgress QProgressBar {
    border: none;
    border-radius: 5px;
    background: #e5e9ef;
}
QWidget#statusProgress QProgressBar::chunk {
    border-radius: 5px;
    background: #2f6fde;
}
QLabel#paneTitle {
    font-size: 17pt;
    font-weight: 600;
    color: #1f2933;
}
QLabel#paneSubtitle, QLabel#paneMuted, QLabel#paneFacts {
    color: #6b7280;
}
QLabel#sectionTitle {
    font-size: 9pt;
    font-weight: 600;
    color: #6b7280;
    letter-spacing: 1px;
    padding-top: 4px;
}
QFrame#valueCard {
    background: #f6f8fb;
    border: 1px solid #dde3ea;
    border-radius: 6px;
}
QFrame#valueCard[side="kept"] {
    background: #eef7f1;
    border-color: #b9dec7;
}
QLabel#conflictValue {
    font-size: 11pt;
    color: #1f2933;
    background: transparent;
    border: none;
}
QLabel#cardCaption {
    font-size: 9pt;
    font-weight: 600;
    color: #4b5563;
    background: transparent;
    border: none;
}
QTableView#outboxTable {
    border: none;
    border-top: 1px solid #e5e9ef;
}
QStatusBar QWidget#syncStatus {
    padding: 0 6px;
}
QSplitter::handle {
    background: #e5e9ef;
}
QSplitter::handle:horizontal {
    width: 1px;
}
/* Flat scroll bars: a rounded handle on a trough that shows on hover, no arrow buttons (wheel, keys and clicks
   on the trough page). Besides the look: a search changes the table's row count, so both of its bars repaint
   in the same frame as the rows; Fusion's gradients took ~1 ms a bar, these take 0.02 ms. */
QScrollBar:vertical {
    background: transparent;
    width: 12px;
    margin: 0;
    border: none;
}
QScrollBar:horizontal {
    background: transparent;
    height: 12px;
    margin: 0;
    border: none;
}
QScrollBar:vertical:hover, QScrollBar:horizontal:hover {
    background: #f1f3f6;
}
QScrollBar::handle {
    background: #a7b0bc;  /* 3:1 against white, as a control's outline should be */
    border-radius: 3px;
}
QScrollBar::handle:vertical {
    min-height: 32px;
    margin: 2px 3px;
}
QScrollBar::handle:horizontal {
    min-width: 32px;
    margin: 3px 2px;
}
QScrollBar::handle:hover {
    background: #8a94a2;
}
QScrollBar::handle:pressed {
    background: #6b7483;
}
QScrollBar::add-line, QScrollBar::sub-line {
    width: 0;
    height: 0;
    border: none;
    background: none;
}
QScrollBar::add-page, QScrollBar::sub-page {
    background: none;
}
QAbstractScrollArea::corner {
    background: transparent;
    border: none;
}
"""


def apply(app: QApplication) -> None:
    """Fusion style, a light palette with the accent colour, and the main window's stylesheet."""
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    pal = app.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#f7f8fa"))
    pal.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8fafc"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#dbe6fb"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#0f172a"))
    pal.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.Button, QColor("#f3f5f8"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#1f2933"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#1f2933"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor("#1f2933"))
    app.setPalette(pal)
    app.setStyleSheet(_QSS)
