"""The platform port and its adapters (the embedded ledger, the REST adapter)."""
