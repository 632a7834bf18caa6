"""Invoice PDFs from QuickBooks: when QuickBooks makes the documents, the platform shows its PDF.

Setting ``/invoices/pdf_source``: ``platform`` (default) leaves the platform's own rendering
alone and fetches nothing; ``quickbooks`` stores QuickBooks' PDF of every synced invoice on the
platform (``PlatformPort.set_invoice_pdf``, source ``quickbooks``).

When: at the end of each ``export_invoices`` run (:func:`with_pdfs` wraps the job), so an
invoice's PDF follows its write in the same run, whether the run was scheduled, started by a
platform event, a backfill or a retry.

Cache: a fetched PDF is recorded as a link of entity ``invoice_pdf`` whose remote version is
the invoice's SyncToken at the time. QuickBooks raises the SyncToken on every change of the
invoice (edit, void, payment applied), so a PDF is fetched again exactly when the invoice's link
carries another SyncToken than its PDF's, and never while they agree. A fetch QuickBooks or the
platform refuses is recorded as failed with the reason and tried again by the next run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.platform.port import PlatformError
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.qbo_errors import QBOError
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext

ENTITY = "invoice_pdf"
INVOICE_ENTITY = "invoice"
SOURCE = "quickbooks"
PLATFORM = "platform"


def pdf_source(config: Any) -> str:
    """Who makes the invoice PDFs (``platform`` unless the installation says ``quickbooks``)."""
    return config.get("invoices", {}).get("pdf_source") or PLATFORM


def with_pdfs(job: Callable[[JobContext], None]) -> Callable[[JobContext], None]:
    """``job`` followed by :func:`refresh_pdfs` when QuickBooks makes the PDFs."""

    @functools.wraps(job)
    def run(ctx: JobContext) -> None:
        job(ctx)
        if pdf_source(ctx.config) == SOURCE:
            refresh_pdfs(ctx, qbo_client(ctx))

    return run


def refresh_pdfs(ctx: JobContext, client: QBOClient) -> None:
    """Fetch and store the PDF of each synced invoice whose SyncToken moved since its last PDF."""
    fetched = {
        link.local_id: link.remote_version for link in ctx.records.links(ENTITY, status="synced")
    }
    for link in ctx.records.links(INVOICE_ENTITY, status="synced"):
        if not link.remote_id or fetched.get(link.local_id) == link.remote_version:
            continue
        ctx.check_cancelled()
        try:
            content = client.pdf("Invoice", link.remote_id)
            ctx.platform.set_invoice_pdf(link.local_id, content, SOURCE)
        except QBOError as error:
            if error.connection_level:
                raise
            _failed(ctx, link.local_id, error.describe())
            continue
        except PlatformError as error:
            _failed(ctx, link.local_id, f"the platform refused the PDF: {error.message}")
            continue
        ctx.records.synced(
            ENTITY, link.local_id, remote_id=link.remote_id, remote_version=link.remote_version
        )
        ctx.count("pdfs")


def _failed(ctx: JobContext, invoice_id: str, reason: str) -> None:
    ctx.records.failed(ENTITY, invoice_id, reason)
    ctx.count("failed")
    ctx.log.warning("PDF of invoice %s not stored: %s", invoice_id, reason)
