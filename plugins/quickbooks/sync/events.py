"""Platform events the QuickBooks connector answers with an immediate run.

An invoice sent, edited or voided goes to QuickBooks at once instead of waiting for the next
scheduled run; a recorded payment does the same for the payment export. The host runs only
jobs that exist and are switched on (their toggle field), so this mapping stays a plain table.
"""

from __future__ import annotations

from core.platform.port import INVOICE_SENT, INVOICE_UPDATED, INVOICE_VOIDED, PAYMENT_RECORDED

JOBS_FOR_EVENT: dict[str, list[str]] = {
    INVOICE_SENT: ["export_invoices"],
    INVOICE_UPDATED: ["export_invoices"],
    INVOICE_VOIDED: ["export_invoices"],
    PAYMENT_RECORDED: ["export_payments"],
}


def jobs_for(event_name: str) -> list[str] | None:
    """The job keys to run now for a platform event, or None when it needs no run."""
    jobs = JOBS_FOR_EVENT.get(event_name)
    return list(jobs) if jobs else None
