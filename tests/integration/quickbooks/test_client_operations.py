"""Every operation of the QBO client against the emulator's real data, over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from plugins.quickbooks.client import BatchOperation, QBOClient
from plugins.quickbooks.qbo_errors import QBOError, RecordError

SERVICES_ITEM = "1"  # seeded in every emulator company


def unique(prefix: str = "Customer") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


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


@pytest.fixture
def customer(client: QBOClient) -> dict:
    return client.create("Customer", {"DisplayName": unique()})


def test_create_returns_the_stored_entity_and_read_finds_it(client):
    name = unique()

    created = client.create("Customer", {"DisplayName": name, "GivenName": "Ada"})
    read = client.read("Customer", created["Id"])

    assert created["DisplayName"] == name
    assert created["SyncToken"] == "0"
    assert read == created


def test_every_request_carries_minorversion_and_every_write_a_requestid(client, control, realm_id):
    created = client.create("Customer", {"DisplayName": unique()})
    client.read("Customer", created["Id"])

    get, post = (
        next(r for r in control.requests(realm_id) if r["method"] == method)
        for method in ("GET", "POST")
    )
    assert "minorversion=75" in get["query"] and "requestid" not in get["query"]
    assert "minorversion=75" in post["query"] and "requestid=" in post["query"]


def test_full_update_replaces_the_entity_and_bumps_the_sync_token(client, customer):
    body = {**customer, "CompanyName": "Analytical Engines Ltd"}

    updated = client.update("Customer", body)

    assert updated["CompanyName"] == "Analytical Engines Ltd"
    assert updated["SyncToken"] == "1"


def test_full_update_without_id_or_sync_token_is_refused_before_sending(client):
    with pytest.raises(ValueError, match="Id and SyncToken"):
        client.update("Customer", {"DisplayName": unique()})


def test_sparse_update_changes_only_the_given_fields(client, customer):
    updated = client.sparse_update(
        "Customer", customer["Id"], customer["SyncToken"], {"Notes": "prefers e-mail"}
    )

    assert updated["Notes"] == "prefers e-mail"
    assert updated["DisplayName"] == customer["DisplayName"]
    assert updated["SyncToken"] == "1"


def test_delete_removes_a_transaction(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))

    deleted = client.delete("Invoice", invoice["Id"], invoice["SyncToken"])

    assert deleted["status"] == "Deleted"
    assert deleted["Id"] == invoice["Id"]
    assert client.count("Invoice", f"Id = '{invoice['Id']}'") == 0


def test_void_invoice_zeroes_it_and_keeps_it(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"], 250.0))

    voided = client.void_invoice(invoice["Id"], invoice["SyncToken"])

    assert voided["Id"] == invoice["Id"]
    assert voided["TotalAmt"] == 0
    assert "Voided" in voided.get("PrivateNote", "")


@pytest.mark.parametrize(
    "entity, body",
    [
        ("Payment", lambda customer_id: {"TotalAmt": 25.0, "CustomerRef": {"value": customer_id}}),
        ("SalesReceipt", lambda customer_id: invoice_body(customer_id, 40.0)),
    ],
)
def test_void_payment_and_sales_receipt_zeroes_them(client, customer, entity, body):
    created = client.create(entity, body(customer["Id"]))

    voided = client.void(entity, created["Id"], created["SyncToken"])

    assert voided["Id"] == created["Id"]
    assert voided["TotalAmt"] == 0
    assert int(voided["SyncToken"]) == int(created["SyncToken"]) + 1


def test_pdf_of_an_invoice_is_a_pdf_document(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))

    document = client.pdf("Invoice", invoice["Id"])

    assert document.startswith(b"%PDF")


def test_company_info_and_preferences_are_the_company_s(client):
    info = client.company_info()
    preferences = client.preferences()

    assert info["CompanyName"].startswith("Client Test")
    assert "SalesFormsPrefs" in preferences


def test_query_pages_through_more_rows_than_one_page(make_client, control, realm_id):
    client = make_client(page_size=50)
    tag = uuid.uuid4().hex[:6]
    operations = [
        BatchOperation.create("Customer", {"DisplayName": f"Paged {tag} {n:03d}"})
        for n in range(260)
    ]
    assert all(isinstance(result, dict) for result in client.batch(operations))
    control_before = len(control.requests(realm_id))

    rows = list(client.query(f"SELECT * FROM Customer WHERE DisplayName LIKE 'Paged {tag}%'"))

    assert sorted(row["DisplayName"] for row in rows) == [
        f"Paged {tag} {n:03d}" for n in range(260)
    ]
    pages = [r for r in control.requests(realm_id)[control_before:] if r["path"].endswith("/query")]
    assert len(pages) == 6  # 5 full pages of 50 and one of 10


def test_query_is_lazy_and_refuses_its_own_paging(client, control, realm_id):
    before = len(control.requests(realm_id))
    rows = client.query("SELECT * FROM Account")
    assert len(control.requests(realm_id)) == before  # nothing fetched until iterated
    assert next(rows)["Id"]

    with pytest.raises(ValueError, match="STARTPOSITION"):
        client.query("SELECT * FROM Account STARTPOSITION 1 MAXRESULTS 10")


def test_query_without_matches_yields_nothing(client):
    assert list(client.query("SELECT * FROM Customer WHERE DisplayName = 'nobody at all'")) == []


def test_count_counts_matching_rows(client):
    tag = uuid.uuid4().hex[:6]
    for n in range(3):
        client.create("Customer", {"DisplayName": f"Counted {tag} {n}"})

    assert client.count("Customer", f"DisplayName LIKE 'Counted {tag}%'") == 3
    assert client.count("Customer") >= 3


def test_batch_of_65_returns_65_results_in_order_with_a_typed_error(client, control, realm_id):
    tag = uuid.uuid4().hex[:6]
    taken = client.create("Customer", {"DisplayName": f"Taken {tag}"})
    names = [f"Batch {tag} {n:02d}" for n in range(65)]
    names[40] = taken["DisplayName"]  # already used: 6240 Duplicate Name Exists
    before = len(control.requests(realm_id))

    results = client.batch([BatchOperation.create("Customer", {"DisplayName": n}) for n in names])

    assert len(results) == 65
    for index, (name, result) in enumerate(zip(names, results, strict=True)):
        if index == 40:
            assert isinstance(result, RecordError)
            assert result.code == "6240"
            assert result.record_level and not result.retryable
        else:
            assert result["DisplayName"] == name
    batches = [r for r in control.requests(realm_id)[before:] if r["path"].endswith("/batch")]
    assert len(batches) == 3  # 30 + 30 + 5
    assert all("requestid=" in r["query"] for r in batches)


def test_batch_mixes_queries_updates_and_deletes(client, customer):
    invoice = client.create("Invoice", invoice_body(customer["Id"]))

    query, update, delete = client.batch(
        [
            BatchOperation.query(f"SELECT * FROM Customer WHERE Id = '{customer['Id']}'"),
            BatchOperation.update(
                "Customer",
                {
                    "Id": customer["Id"],
                    "SyncToken": customer["SyncToken"],
                    "sparse": True,
                    "Notes": "from batch",
                },
            ),
            BatchOperation.delete("Invoice", invoice["Id"], invoice["SyncToken"]),
        ]
    )

    assert query["Customer"][0]["Id"] == customer["Id"]
    assert update["Notes"] == "from batch"
    assert delete["status"] == "Deleted"


def test_cdc_reports_changes_and_deletions_since_a_time(client, customer):
    since = datetime.now(UTC) - timedelta(minutes=5)
    invoice = client.create("Invoice", invoice_body(customer["Id"]))
    client.delete("Invoice", invoice["Id"], invoice["SyncToken"])

    changes = client.cdc(["Customer", "Invoice", "Payment"], since)

    assert customer["Id"] in {c["Id"] for c in changes["Customer"]}
    deleted = [i for i in changes["Invoice"] if i["Id"] == invoice["Id"]]
    assert deleted and deleted[-1]["status"] == "Deleted"
    assert changes["Payment"] == []


def test_cdc_refuses_a_naive_datetime(client):
    with pytest.raises(ValueError, match="timezone"):
        client.cdc(["Customer"], datetime(2025, 1, 1))


def test_entity_names_that_could_escape_the_path_are_refused(client):
    with pytest.raises(ValueError, match="entity name"):
        client.read("customer/../preferences", "1")


def test_an_error_is_a_qbo_error_with_intuit_s_transaction_id(client):
    with pytest.raises(QBOError) as caught:
        client.read("Customer", "999999")

    assert caught.value.intuit_tid
    assert caught.value.intuit_tid in str(caught.value)


class FailSecondBatch(httpx.HTTPTransport):
    """A network on which the second batch request gets a 503 (the first and third pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch"):
            self.batches += 1
            if self.batches == 2:
                return httpx.Response(503, text="Service Unavailable")
        return super().handle_request(request)


def test_batch_request_that_fails_marks_its_operations_and_those_not_sent(make_client, client):
    network = FailSecondBatch()
    failing = make_client(http=httpx.Client(transport=network), max_retries=0)
    tag = uuid.uuid4().hex[:6]
    operations = [
        BatchOperation.create("Customer", {"DisplayName": f"Split {tag} {n:02d}"})
        for n in range(65)
    ]

    results = failing.batch(operations)

    assert len(results) == 65 and network.batches == 2  # the third request was not sent
    assert all(isinstance(r, dict) for r in results[:30])
    assert all(isinstance(r, QBOError) and r.retryable for r in results[30:])
    assert client.count("Customer", f"DisplayName LIKE 'Split {tag}%'") == 30
