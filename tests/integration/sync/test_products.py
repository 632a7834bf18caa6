"""Products missing in QuickBooks, end to end: platform ledger -> export_invoices -> emulator.

With ``/items/missing_products`` = ``create_in_quickbooks`` a line whose item QuickBooks lacks
gets a QuickBooks product named by ``/items/product_name_template``: one per distinct name (the
same name is the same product, within a run and across runs), cleaned of what QuickBooks
refuses, with the change said in the run log. The default keeps the unmatched item.
"""

from __future__ import annotations

from typing import Any

from invoice_support import customer, item, qbo_invoice, quiet_ledger, sent_invoice

from core.platform.port import CustomerInput

CREATE = {"items": {"missing_products": "create_in_quickbooks"}}
SERVICES_ACCOUNT = "1"  # the emulator's seeded "Services" income account
SEEDED_ITEMS = {"Services", "Hours"}


def line_items(sync, invoice_id: str) -> list[str]:
    """The QuickBooks item names on an invoice's item lines, in order."""
    remote = qbo_invoice(sync, invoice_id)
    return [
        line["SalesItemLineDetail"]["ItemRef"]["name"]
        for line in remote["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]


def created_items(sync) -> dict[str, dict[str, Any]]:
    """The items in QuickBooks beyond the company's seeded ones, by name."""
    rows = sync.qbo.query("SELECT * FROM Item")
    return {row["Name"]: row for row in rows if row["Name"] not in SEEDED_ITEMS}


def test_by_default_a_missing_product_takes_the_unmatched_item(sync):
    sync.configure({"items": {"unmatched_one_time_item": "1"}})
    invoice = sent_invoice(sync, customer(sync), [{"item_id": item(sync, "Pruning")}])

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert line_items(sync, invoice.id) == ["Services"]
    assert created_items(sync) == {}


def test_a_missing_product_is_created_used_and_linked_to_its_item(sync):
    sync.configure(CREATE)
    pruning = item(sync, "Pruning", "15.00", description="Trees and hedges")
    ada = customer(sync)
    first = sent_invoice(sync, ada, [{"item_id": pruning, "quantity": "2"}])
    second = sent_invoice(sync, ada, [{"item_id": pruning}, {"item_id": pruning}])

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert outcome.run.counts["created"] == 2
    (product,) = created_items(sync).values()
    assert product["Name"] == "Pruning"
    assert product["Type"] == "Service"
    assert product["IncomeAccountRef"]["value"] == SERVICES_ACCOUNT
    assert product["UnitPrice"] == 15
    assert product["Description"] == "Trees and hedges"
    assert line_items(sync, first.id) == ["Pruning"]
    assert line_items(sync, second.id) == ["Pruning", "Pruning"]
    link = sync.link("item", pruning)
    assert (link.status, link.remote_id) == ("synced", product["Id"])
    assert any("created QuickBooks product 'Pruning'" in m for m in outcome.messages)


def test_a_product_already_in_quickbooks_by_its_display_name_is_not_created_again(sync):
    sync.configure(
        {
            "items": {
                **CREATE["items"],
                "product_name_template": "{item_name} (garden)",
            }
        }
    )
    existing = sync.qbo.create("Item", {"Name": "Pruning (garden)", "Type": "Service"})
    pruning = item(sync, "Pruning")
    first = sent_invoice(sync, customer(sync), [{"item_id": pruning}])

    sync.run("export_invoices")
    later = sent_invoice(
        sync, customer(sync, "Bob Stone", "bob@example.com"), [{"item_id": pruning}]
    )
    sync.run("export_invoices")

    assert set(created_items(sync)) == {"Pruning (garden)"}
    for invoice in (first, later):
        ref = qbo_invoice(sync, invoice.id)["Line"][0]["SalesItemLineDetail"]["ItemRef"]
        assert ref["value"] == existing["Id"]
    assert sync.link("item", pruning) is None  # "Pruning (garden)" is not the item "Pruning"


def test_a_template_with_customer_tokens_makes_one_product_per_expansion(sync):
    sync.configure(
        {
            "items": {
                **CREATE["items"],
                "product_name_template": "{item_name} for {customer_first_name}",
            }
        }
    )
    consulting = item(sync, "Consulting")
    ada = customer(sync)
    bob = customer(sync, "Bob Stone", "bob@example.com")
    invoices = [
        sent_invoice(sync, ada, [{"item_id": consulting}]),
        sent_invoice(sync, bob, [{"item_id": consulting}]),
        sent_invoice(sync, ada, [{"item_id": consulting}]),
    ]

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    assert set(created_items(sync)) == {"Consulting for Ada", "Consulting for Bob"}
    assert [line_items(sync, i.id) for i in invoices] == [
        ["Consulting for Ada"],
        ["Consulting for Bob"],
        ["Consulting for Ada"],
    ]
    assert sync.link("item", consulting) is None


def test_a_name_quickbooks_refuses_is_cleaned_and_the_change_is_said(sync):
    company = (
        "Analytical Engines: Research, Development and Manufacturing of Difference Engines, London"
    )
    sync.configure(
        {
            "items": {
                **CREATE["items"],
                "product_name_template": "{item_name} for {customer_company}",
            }
        }
    )
    item_name = "Plan:\tGold"
    plan = item(sync, item_name)
    buyer = quiet_ledger(sync).create_customer(
        CustomerInput(display_name="Ada Lovelace", email="ada@example.com", company_name=company)
    )
    invoice = sent_invoice(sync, buyer.id, [{"item_id": plan}])

    outcome = sync.run("export_invoices")

    assert outcome.run.status == "succeeded", outcome.messages
    expected = f"Plan Gold for {company.replace(':', '')}"[:100].rstrip()
    assert set(created_items(sync)) == {expected}
    assert line_items(sync, invoice.id) == [expected]
    (message,) = [m for m in outcome.messages if "created QuickBooks product" in m]
    assert message.endswith(
        "product name changed: removed ':'; replaced tabs with spaces; shortened to 100 characters"
    )
    assert f"for platform item {item_name!r}" in message


def test_without_an_income_account_the_invoice_fails_with_the_setting_to_fill(sync):
    sync.configure(CREATE)
    for account_id in ("1", "2"):  # Services, Sales of Product Income
        account = sync.qbo.read("Account", account_id)
        sync.qbo.update(
            "Account",
            {"Id": account_id, "SyncToken": account["SyncToken"], "sparse": True, "Active": False},
        )
    invoice = sent_invoice(sync, customer(sync), [{"item_id": item(sync, "Pruning")}])

    sync.run("export_invoices")

    link = sync.link("invoice", invoice.id)
    assert link.status == "failed"
    assert "no income account" in link.reason
    assert "/items/product_income_account" in link.reason
    assert created_items(sync) == {}

    sync.configure({"items": {"product_income_account": "9"}})
    sync.action("retry_failed", {"all": True})

    assert sync.link("invoice", invoice.id).status == "synced"
    assert created_items(sync)["Pruning"]["IncomeAccountRef"]["value"] == "9"
