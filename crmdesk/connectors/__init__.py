"""Connectors: one small class per remote CRM, turning its JSON into sync fields and back (DESIGN §7)."""
