"""Pickers filled from the connected QuickBooks company (``x-options`` in the config schema).

``quickbooks_items`` lists the company's active items that can go on an invoice line as
"Name (Type)", with the item Id as the stored value: the *Items* step's unmatched one-time,
unmatched recurring and tax item fields use it. Typing an Id stays possible.

The host has no caller of option sources yet; :func:`fetch_options` is the one a page or an
API view can call (it belongs in core beside ``core.actions.run_action``, which it mirrors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.connector import Option, OptionSource
from core.oauth import NeedsReconnect
from plugins.quickbooks.sync.import_mapping import UNSELLABLE_ITEM_TYPES
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext
    from core.services import Services

ITEMS_SOURCE = "quickbooks_items"


class OptionsUnavailable(Exception):
    """A picker cannot be filled now; the message says what the admin should do."""


def quickbooks_items(ctx: JobContext) -> list[Option]:
    """The company's active, sellable items, by name."""
    try:
        client = qbo_client(ctx)
    except NeedsReconnect as exc:
        raise OptionsUnavailable(
            f"cannot list QuickBooks items ({exc}): press Connect to QuickBooks, or type an item ID"
        ) from None
    rows = client.query("SELECT * FROM Item WHERE Active = true ORDERBY Name")
    return [
        Option(value=str(row["Id"]), label=f"{row.get('Name', '')} ({row.get('Type', 'Item')})")
        for row in rows
        if row.get("Type") not in UNSELLABLE_ITEM_TYPES
    ]


OPTION_SOURCES = (OptionSource(ITEMS_SOURCE, quickbooks_items),)


def fetch_options(
    services: Services, tenant_id: int, installation_id: int, key: str
) -> list[Option]:
    """The choices of option source ``key`` for one installation, with its job context."""
    with services.db.session() as session:
        installation = services.installations.get(session, tenant_id, installation_id)
        connector = services.host.connector(installation.connector_id)
        source = connector.option_sources.get(key)
        if source is None:
            known = ", ".join(sorted(connector.option_sources)) or "none"
            raise LookupError(f"connector {connector.id} has no option source {key!r} ({known})")
        version = services.configs.current(session, installation.id)
    context = services.runner.context(installation, version, run_id=None)
    return source.fetch(context)
