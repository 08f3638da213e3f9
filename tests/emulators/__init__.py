"""CRM emulators: independent loopback HTTP servers written from the API documents in crm-apis/ (DESIGN §7)."""
