"""Batch, Change Data Capture and requestid idempotency through python-quickbooks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from accounting_support import new_customer, new_invoice, sales_line
from quickbooks import exceptions as qbe
from quickbooks.batch import batch_create, batch_delete, batch_update
from quickbooks.cdc import change_data_capture
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

#: QBO reads offset-less times (python-quickbooks sends them) in the company's zone: Pacific.
PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_now() -> datetime:
    """Now on the wall clock of the emulated companies, without offset, as clients send it."""
    return datetime.now(PACIFIC).replace(tzinfo=None)


def customer_named(name: str) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer


# -- Batch ----------------------------------------------------------------------------------------


def test_batch_create_answers_each_item_and_a_failed_item_does_not_stop_the_others(qb_client):
    new_customer(qb_client, "Taken")
    result = batch_create(
        [customer_named("One"), customer_named("Taken"), customer_named("Two")], qb=qb_client
    )
    assert sorted(c.DisplayName for c in result.successes) == ["One", "Two"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"
    assert result.faults[0].original_object.DisplayName == "Taken"


def test_batch_update_and_delete_of_invoices(qb_client):
    customer = new_customer(qb_client)
    invoices = [new_invoice(qb_client, customer, sales_line(10)) for _ in range(3)]
    for invoice in invoices:
        invoice.PrivateNote = "batched"
    updated = batch_update(invoices, qb=qb_client)
    assert [i.PrivateNote for i in updated.successes] == ["batched"] * 3
    deleted = batch_delete(updated.successes, qb=qb_client)
    assert deleted.faults == []
    assert Invoice.count(qb=qb_client) == 0


def test_batch_of_thirty_one_items_is_refused_with_1040(qb_client):
    items = [{"bId": str(n), "Query": "SELECT * FROM Item"} for n in range(31)]
    with pytest.raises(qbe.GeneralException) as caught:
        qb_client.batch_operation(json.dumps({"BatchItemRequest": items}))
    assert caught.value.error_code == 1040


def test_batch_answers_query_and_cdc_items_by_bid(qb_client):
    new_customer(qb_client, "Queried")
    since = (pacific_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    reply = qb_client.batch_operation(
        json.dumps(
            {
                "BatchItemRequest": [
                    {
                        "bId": "Customer",
                        "Query": "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= "
                        f"'{since}' ORDER BY Metadata.LastUpdatedTime ASC "
                        "STARTPOSITION 1 MAXRESULTS 1000",
                    },
                    {"bId": "bad", "Query": "SELECT FROM"},
                    {"bId": "cdc", "CDCQuery": {"Entities": "Customer", "ChangedSince": since}},
                ]
            }
        )
    )
    answers = {item["bId"]: item for item in reply["BatchItemResponse"]}
    assert [c["DisplayName"] for c in answers["Customer"]["QueryResponse"]["Customer"]] == [
        "Queried"
    ]
    assert answers["bad"]["Fault"]["Error"][0]["code"] == "4000"
    cdc_groups = answers["cdc"]["CDCResponse"]["QueryResponse"]
    assert [c["DisplayName"] for c in cdc_groups[0]["Customer"]] == ["Queried"]


def test_batch_void_through_options_data(qb_client):
    invoice = new_invoice(qb_client, new_customer(qb_client))
    reply = qb_client.batch_operation(
        json.dumps(
            {
                "BatchItemRequest": [
                    {
                        "bId": "v",
                        "operation": "update",
                        "optionsData": "void",
                        "SalesReceipt": {"Id": "999", "SyncToken": "0"},
                    },
                    {
                        "bId": "i",
                        "operation": "delete",
                        "Invoice": {"Id": invoice.Id, "SyncToken": invoice.SyncToken},
                    },
                ]
            }
        )
    )
    answers = {item["bId"]: item for item in reply["BatchItemResponse"]}
    assert answers["v"]["Fault"]["Error"][0]["code"] == "610"
    assert answers["i"]["Invoice"]["status"] == "Deleted"


# -- Change Data Capture --------------------------------------------------------------------------


def test_cdc_returns_changed_objects_and_deleted_ones_with_status_deleted(qb_client):
    since = pacific_now() - timedelta(minutes=5)
    customer = new_customer(qb_client, "Changed")
    kept = new_invoice(qb_client, customer)
    gone = new_invoice(qb_client, customer)
    gone.delete(qb=qb_client)
    result = change_data_capture([Customer, Invoice], since, qb=qb_client)
    assert [c.DisplayName for c in result.Customer] == ["Changed"]
    invoices = {i.Id: i for i in result.Invoice}
    assert invoices[kept.Id].TotalAmt == 100
    assert invoices[gone.Id].status == "Deleted"


def test_cdc_reply_has_the_documented_shape(emulator, company, tokens):
    since = (pacific_now() - timedelta(days=1)).strftime("%Y-%m-%d")
    reply = httpx.get(
        f"{emulator.url}/v3/company/{company}/cdc",
        params={"entities": "Item,Vendor", "changedSince": since, "minorversion": "75"},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
    )
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"CDCResponse", "time"}
    groups = body["CDCResponse"][0]["QueryResponse"]
    assert groups[0]["startPosition"] == 1
    assert groups[0]["maxResults"] == len(groups[0]["Item"]) == 2
    assert groups[1] == {}


def test_cdc_further_back_than_30_days_is_refused(qb_client):
    since = pacific_now() - timedelta(days=31)
    with pytest.raises(qbe.ValidationException) as caught:
        change_data_capture([Customer], since, qb=qb_client)
    assert caught.value.error_code == 4001


def test_cdc_of_tax_codes_is_refused(qb_client):
    with pytest.raises(qbe.ValidationException):
        qb_client.change_data_capture("TaxCode", pacific_now().strftime("%Y-%m-%d"))


# -- requestid ------------------------------------------------------------------------------------


def test_repeated_requestid_returns_the_first_response_and_creates_nothing(qb_client):
    first = customer_named("Once").save(qb=qb_client, request_id="req-create-1")
    again = customer_named("Once").save(qb=qb_client, request_id="req-create-1")
    assert again.Id == first.Id
    assert Customer.count(qb=qb_client) == 1


def test_repeated_requestid_replays_a_fault(qb_client):
    new_customer(qb_client, "Dup")
    for _ in range(2):
        with pytest.raises(qbe.QuickbooksException) as caught:
            customer_named("Dup").save(qb=qb_client, request_id="req-fault")
        assert caught.value.error_code == 6240


def test_requestid_is_scoped_to_the_company(qb_client, emulator, app_credentials):
    from emulator_support import create_company, mint_tokens, quickbooks_client

    other_realm = create_company(emulator.url)
    other = quickbooks_client(
        emulator.url,
        app_credentials,
        other_realm,
        mint_tokens(emulator.url, other_realm, app_credentials.client_id),
    )
    customer_named("Here").save(qb=qb_client, request_id="shared-id")
    assert customer_named("There").save(qb=other, request_id="shared-id").DisplayName == "There"


def test_requestid_longer_than_50_characters_is_refused(qb_client):
    with pytest.raises(qbe.ValidationException) as caught:
        customer_named("Long").save(qb=qb_client, request_id="r" * 51)
    assert caught.value.error_code == 2050
