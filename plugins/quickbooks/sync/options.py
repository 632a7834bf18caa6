"""Pickers filled from the connected QuickBooks company (``x-options`` in the config schema).

``quickbooks_items`` lists the company's active items that can go on an invoice line as
"Name (Type)", with the item Id as the stored value: the *Items* step's unmatched one-time,
unmatched recurring and tax item fields use it. Typing an Id stays possible. The host calls it
through ``core.options.fetch_options`` (the API's ``options`` route, for one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.connector import Option, OptionSource
from core.oauth import NeedsReconnect
from core.options import OptionsUnavailable
from plugins.quickbooks.sync.import_mapping import UNSELLABLE_ITEM_TYPES
from plugins.quickbooks.sync.session import qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext

ITEMS_SOURCE = "quickbooks_items"


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
