"""Plain-Python records and rules shared by every layer (no Qt, no database)."""
