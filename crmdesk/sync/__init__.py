"""Sync: accounts, the engine that runs pull → decide → guard → push → commit, and conflicts (DESIGN §6)."""
