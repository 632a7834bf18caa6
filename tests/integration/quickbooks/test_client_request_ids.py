"""Caller-chosen ``request_id`` on every write: the same id twice writes once (facts §2).

A job rerun after a crash passes the same stable id for the same logical write, and QBO (here
the emulator) answers with the first reply instead of writing again. Without an id each call
gets a fresh random one, as before.
"""

from __future__ import annotations

import uuid

import pytest

from plugins.quickbooks.client import BatchOperation, QBOClient
from plugins.quickbooks.qbo_errors import StaleObjectError

SERVICES_ITEM = "1"  # seeded in every emulator company


def stable_id(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


def invoice_body(customer_id: str, amount: float = 100.0) -> dict:
    return {
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": amount,
                "SalesItemLineDetail": {"ItemRef": {"value": SERVICES_ITEM}},
            }
        ],
        "CustomerRef": {"value": customer_id},
    }


def requestids(control, realm_id: str, path_end: str) -> list[str]:
    """The requestid of each logged request whose path ends with ``path_end``."""
    found = []
    for entry in control.requests(realm_id):
        if entry["path"].endswith(path_end):
            params = dict(p.split("=", 1) for p in entry["query"].split("&") if "=" in p)
            found.append(params.get("requestid", ""))
    return found


@pytest.fixture
def customer(client: QBOClient) -> dict:
    return client.create("Customer", {"DisplayName": stable_id("Customer")})


def test_the_same_request_id_twice_creates_once(client, control, realm_id, customer):
    request_id = stable_id("export-inv-42")
    first = client.create("Invoice", invoice_body(customer["Id"]), request_id=request_id)
    again = client.create("Invoice", invoice_body(customer["Id"]), request_id=request_id)

    assert again == first
    assert client.count("Invoice") == 1
    assert requestids(control, realm_id, "/invoice") == [request_id, request_id]


def test_without_a_request_id_each_create_gets_a_fresh_one(client, control, realm_id, customer):
    client.create("Invoice", invoice_body(customer["Id"]))
    client.create("Invoice", invoice_body(customer["Id"]))

    assert client.count("Invoice") == 2
    first, second = requestids(control, realm_id, "/invoice")
    assert first and second and first != second


def test_update_sparse_update_void_and_delete_replay_under_their_ids(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))
    update_id, sparse_id = stable_id("upd"), stable_id("sparse")
    full = {**invoice_body(customer["Id"], 120.0), "Id": invoice["Id"], "SyncToken": "0"}

    updated = client.update("Invoice", full, request_id=update_id)
    assert client.update("Invoice", full, request_id=update_id) == updated
    assert updated["SyncToken"] == "1"

    changes = {"PrivateNote": "once"}
    sparse = client.sparse_update("Invoice", invoice["Id"], "1", changes, request_id=sparse_id)
    assert client.sparse_update("Invoice", invoice["Id"], "1", changes, request_id=sparse_id) == (
        sparse
    )
    assert client.read("Invoice", invoice["Id"])["SyncToken"] == "2"

    void_id = stable_id("void")
    voided = client.void_invoice(invoice["Id"], "2", request_id=void_id)
    assert client.void("Invoice", invoice["Id"], "2", request_id=void_id) == voided
    assert client.read("Invoice", invoice["Id"])["SyncToken"] == "3"

    receipt = client.create("SalesReceipt", invoice_body(customer["Id"], 40.0))
    delete_id = stable_id("del")
    deleted = client.delete(
        "SalesReceipt", receipt["Id"], receipt["SyncToken"], request_id=delete_id
    )
    again = client.delete("SalesReceipt", receipt["Id"], receipt["SyncToken"], request_id=delete_id)
    assert again == deleted and deleted["status"] == "Deleted"


def test_a_stale_sparse_update_retries_under_a_derived_id_and_replays_on_rerun(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))
    client.sparse_update("Invoice", invoice["Id"], "0", {"PrivateNote": "someone else"})
    request_id = stable_id("stale")

    # SyncToken "0" is stale now: the client rereads and writes again under an id of its own.
    first = client.sparse_update(
        "Invoice", invoice["Id"], "0", {"PrivateNote": "ours"}, request_id=request_id
    )
    rerun = client.sparse_update(
        "Invoice", invoice["Id"], "0", {"PrivateNote": "ours"}, request_id=request_id
    )

    assert first["PrivateNote"] == "ours" and first["SyncToken"] == "2"
    assert rerun == first
    assert client.read("Invoice", invoice["Id"])["SyncToken"] == "2"


def test_a_stale_sparse_update_that_is_no_longer_valid_raises_with_a_request_id(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))
    client.sparse_update("Invoice", invoice["Id"], "0", {"PrivateNote": "moved on"})

    with pytest.raises(StaleObjectError):
        client.sparse_update(
            "Invoice",
            invoice["Id"],
            "0",
            {"PrivateNote": "ours"},
            still_valid=lambda fresh: False,
            request_id=stable_id("gone"),
        )


def test_a_batch_rerun_with_its_request_id_writes_nothing_new(make_client, control, realm_id):
    client = make_client(batch_size=2)
    tag = uuid.uuid4().hex[:6]
    operations = [
        BatchOperation.create("Customer", {"DisplayName": f"Batch {tag} {n}"}) for n in range(5)
    ]
    request_id = stable_id("batch")

    first = client.batch(operations, request_id=request_id)
    rerun = client.batch(operations, request_id=request_id)

    assert rerun == first
    assert client.count("Customer", f"DisplayName LIKE 'Batch {tag}%'") == 5
    ids = requestids(control, realm_id, "/batch")
    assert len(ids) == 6  # 2 + 2 + 1 operations, twice
    assert ids[:3] == ids[3:]
    assert ids[0] == request_id and len(set(ids[:3])) == 3


@pytest.mark.parametrize(
    ("request_id", "reason"),
    [
        ("", "non-empty"),
        ("x" * 51, "at most 50"),
        ("has space", "without spaces"),
        ("tab\there", "without spaces"),
    ],
)
def test_a_bad_request_id_is_refused_before_sending(client, control, realm_id, request_id, reason):
    before = len(control.requests(realm_id))
    with pytest.raises(ValueError, match=f"request_id: .*{reason}"):
        client.create("Customer", {"DisplayName": stable_id("Never")}, request_id=request_id)
    assert len(control.requests(realm_id)) == before


def test_a_batch_request_id_is_limited_to_36_characters(client):
    with pytest.raises(ValueError, match="request_id: at most 36"):
        client.batch([BatchOperation.query("SELECT * FROM Customer")], request_id="b" * 37)
