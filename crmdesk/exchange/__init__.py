"""Interchange with other address books: vCard and CSV codecs, import and export runs (DESIGN §8)."""
