"""The QuickBooks client of one job run, built the same way by every sync job.

A job asks for the installation's QuickBooks connection (``NeedsReconnect`` when there is none
usable) and gets a client configured from the installation's environment and advanced settings,
logging through the run's own redacting logger when verbose logging is on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from plugins.quickbooks import environments
from plugins.quickbooks.client import QBOClient, client_from_config

if TYPE_CHECKING:
    from core.runner import JobContext

PROVIDER = "quickbooks"


def qbo_client(ctx: JobContext) -> QBOClient:
    """A client for the company (realm) this installation is connected to."""
    account = ctx.connection(PROVIDER)
    # The run logger has the logging.Logger methods the client calls (info), and redacts.
    logger = cast(logging.Logger, ctx.log)
    return client_from_config(ctx.config, account.account_id, account.tokens, logger)


def invoice_url(ctx: JobContext, client: QBOClient, invoice_id: str) -> str:
    """The "View in QuickBooks" link of an invoice in this installation's environment."""
    return environments.resolve(ctx.config).invoice_url(invoice_id, client.realm_id)
