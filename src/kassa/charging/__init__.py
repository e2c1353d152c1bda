"""Charging: rated authorizations, quotes and rated usage (accounts, rating and the ledger)."""
