"""Sync jobs of the QuickBooks connector: imports, invoice and payment exports."""
