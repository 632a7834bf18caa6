"""The item pickers of the Items step, filled from the connected QuickBooks company."""

from __future__ import annotations

import pytest
from sync_support import SyncHarness

from core.options import OptionsUnavailable, fetch_options
from plugins.quickbooks.sync.options import ITEMS_SOURCE

ITEM_FIELDS = ("unmatched_one_time_item", "unmatched_recurring_item", "tax_item")


def item(sync: SyncHarness, name: str, kind: str = "Service") -> dict:
    body = {"Name": name, "Type": kind}
    if kind != "Category":
        body["IncomeAccountRef"] = {"value": "1"}
    return sync.qbo.create("Item", body)


def test_the_picker_lists_the_companys_active_sellable_items_by_name(sync: SyncHarness) -> None:
    design = item(sync, "Design")
    old = item(sync, "Old service")
    sync.qbo.sparse_update("Item", old["Id"], old["SyncToken"], {"Active": False})
    item(sync, "Hardware", "Category")

    options = fetch_options(sync.services, sync.tenant_id, sync.installation_id, ITEMS_SOURCE)

    assert [(o.value, o.label) for o in options] == [
        (design["Id"], "Design (Service)"),
        ("2", "Hours (Service)"),
        ("1", "Services (Service)"),
    ]


def test_the_items_step_fields_use_the_picker(sync: SyncHarness) -> None:
    connector = sync.services.host.connector("quickbooks")  # loads only if the source exists
    fields = connector.config_schema["properties"]["items"]["properties"]
    assert {name: fields[name].get("x-options") for name in ITEM_FIELDS} == dict.fromkeys(
        ITEM_FIELDS, ITEMS_SOURCE
    )
    assert ITEMS_SOURCE in connector.option_sources


def test_without_a_connection_the_picker_says_to_connect(
    sync: SyncHarness, install_connector
) -> None:
    unconnected = install_connector("quickbooks", {"initial": {"environment": "emulator"}})

    with pytest.raises(OptionsUnavailable) as caught:
        fetch_options(sync.services, sync.tenant_id, unconnected.id, ITEMS_SOURCE)

    assert str(caught.value) == (
        "cannot list QuickBooks items (not connected): press Connect to QuickBooks, "
        "or type an item ID"
    )


def test_an_unknown_source_is_named_with_the_known_ones(sync: SyncHarness) -> None:
    known = "platform_subsidiaries, quickbooks_items"
    with pytest.raises(LookupError, match=f"no option source 'vendors' \\({known}\\)"):
        fetch_options(sync.services, sync.tenant_id, sync.installation_id, "vendors")
