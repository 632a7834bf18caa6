"""Business-rule errors as python-quickbooks sees them: the exception class and the code.

python-quickbooks maps a Fault's code to a class (facts §10.2): 610 ObjectNotFoundException,
600-1999 GeneralException, 2000-4999 ValidationException, 5000-9999 plain QuickbooksException,
and an HTTP 401 to AuthorizationException. A connector branches on exactly these.
"""

from __future__ import annotations

import httpx
import pytest
from accounting_support import new_customer, new_invoice, pay, ref, sales_line
from emulator_support import create_company, quickbooks_client
from quickbooks import exceptions as qbe
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.taxcode import TaxCode


def raised(call, exception_class=qbe.QuickbooksException) -> qbe.QuickbooksException:
    """Run ``call`` and return the python-quickbooks exception it raised."""
    with pytest.raises(exception_class) as caught:
        call()
    return caught.value


def test_duplicate_display_name_is_refused_with_6240(qb_client):
    new_customer(qb_client, "Same Name")
    error = raised(lambda: new_customer(qb_client, "Same Name"))
    assert type(error) is qbe.QuickbooksException  # 5000-9999 have no subclass
    assert error.error_code == 6240
    assert error.message == "Duplicate Name Exists Error"
    assert "already using this" in error.detail


def test_duplicate_display_name_differing_only_in_case_is_refused_with_6240(qb_client):
    new_customer(qb_client, "Case Name")
    assert raised(lambda: new_customer(qb_client, "case name")).error_code == 6240


def test_inactive_customer_still_holds_its_display_name(qb_client):
    customer = new_customer(qb_client, "Sleeping")
    customer.Active = False
    customer.save(qb=qb_client)
    assert raised(lambda: new_customer(qb_client, "Sleeping")).error_code == 6240


def test_duplicate_item_name_is_refused_with_6240(qb_client):
    item = Item()
    item.Name = "Services"
    assert raised(lambda: item.save(qb=qb_client)).error_code == 6240


def test_doc_number_longer_than_21_characters_is_refused_with_2050(qb_client):
    invoice = Invoice()
    invoice.CustomerRef = new_customer(qb_client).to_ref()
    invoice.DocNumber = "X" * 22
    invoice.Line = [sales_line(10)]
    error = raised(lambda: invoice.save(qb=qb_client), qbe.ValidationException)
    assert error.error_code == 2050
    assert "Max:21" in error.detail
    assert "Supplied length:22" in error.detail


def test_payment_method_name_longer_than_31_characters_is_refused_with_2050(qb_client):
    method = PaymentMethod()
    method.Name = "M" * 32
    assert raised(lambda: method.save(qb=qb_client), qbe.ValidationException).error_code == 2050


@pytest.fixture
def custom_numbers_client(emulator, app_credentials, insecure_transport):
    """python-quickbooks on a company created with custom transaction numbers on."""
    response = httpx.post(
        f"{emulator.url}/_emulator/companies",
        json={
            "name": "Custom Numbers Co",
            "preferences": {"SalesFormsPrefs": {"CustomTxnNumbers": True}},
        },
    )
    response.raise_for_status()
    realm_id = response.json()["realmId"]
    tokens = httpx.post(
        f"{emulator.url}/_emulator/companies/{realm_id}/tokens",
        json={"client_id": app_credentials.client_id},
    ).json()
    return quickbooks_client(emulator.url, app_credentials, realm_id, tokens)


def numbered_invoice(qb, customer, number: str) -> Invoice:
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.DocNumber = number
    invoice.Line = [sales_line(10)]
    return invoice


def test_duplicate_doc_number_is_refused_with_6140_when_custom_numbers_are_on(
    custom_numbers_client,
):
    qb = custom_numbers_client
    customer = new_customer(qb)
    first = numbered_invoice(qb, customer, "INV-7").save(qb=qb)
    error = raised(lambda: numbered_invoice(qb, customer, "INV-7").save(qb=qb))
    assert error.error_code == 6140
    assert error.message == "Duplicate Document Number Error"
    assert f"DocNumber=INV-7 is assigned to TxnType=Invoice with TxnId={first.Id}" in error.detail


def test_allowduplicatedocnum_lets_a_duplicate_doc_number_through(custom_numbers_client):
    qb = custom_numbers_client
    customer = new_customer(qb)
    numbered_invoice(qb, customer, "INV-8").save(qb=qb)
    second = numbered_invoice(qb, customer, "INV-8").save(
        qb=qb, params={"include": "allowduplicatedocnum"}
    )
    assert second.DocNumber == "INV-8"


def test_invoice_without_doc_number_stays_unnumbered_when_custom_numbers_are_on(
    custom_numbers_client,
):
    qb = custom_numbers_client
    assert new_invoice(qb, new_customer(qb)).DocNumber is None


def test_duplicate_doc_number_is_accepted_when_automatic_numbering_is_on(qb_client):
    customer = new_customer(qb_client)
    numbered_invoice(qb_client, customer, "DUP-1").save(qb=qb_client)
    assert numbered_invoice(qb_client, customer, "DUP-1").save(qb=qb_client).DocNumber == "DUP-1"


def test_update_with_a_stale_sync_token_is_refused_with_5010(qb_client):
    customer = new_customer(qb_client)
    stale = Customer.get(customer.Id, qb=qb_client)
    customer.CompanyName = "First writer"
    customer.save(qb=qb_client)
    stale.CompanyName = "Second writer"
    error = raised(lambda: stale.save(qb=qb_client))
    assert type(error) is qbe.QuickbooksException
    assert error.error_code == 5010
    assert error.message == "Stale Object Error"
    assert Customer.get(customer.Id, qb=qb_client).CompanyName == "First writer"


def test_delete_with_a_stale_sync_token_is_refused_with_5010(qb_client):
    invoice = new_invoice(qb_client, new_customer(qb_client))
    invoice.SyncToken = "7"
    assert raised(lambda: invoice.delete(qb=qb_client)).error_code == 5010


def test_invoice_without_customer_is_refused_with_2020(qb_client):
    invoice = Invoice()
    invoice.Line = [sales_line(10)]
    error = raised(lambda: invoice.save(qb=qb_client), qbe.ValidationException)
    assert error.error_code == 2020
    assert "CustomerRef" in error.detail


def test_invoice_without_lines_is_refused_with_2020(qb_client):
    invoice = Invoice()
    invoice.CustomerRef = new_customer(qb_client).to_ref()
    assert raised(lambda: invoice.save(qb=qb_client), qbe.ValidationException).error_code == 2020


def test_payment_without_total_is_refused_with_2020(qb_client):
    payment = Payment()
    payment.CustomerRef = new_customer(qb_client).to_ref()
    error = raised(lambda: payment.save(qb=qb_client), qbe.ValidationException)
    assert error.error_code == 2020
    assert "TotalAmt" in error.detail


def test_item_without_name_is_refused_with_2020(qb_client):
    assert raised(lambda: Item().save(qb=qb_client), qbe.ValidationException).error_code == 2020


def test_reading_an_unknown_id_is_refused_with_610(qb_client):
    error = raised(lambda: Customer.get(999, qb=qb_client), qbe.ObjectNotFoundException)
    assert error.error_code == 610
    assert error.message == "Object Not Found"


def test_referencing_an_unknown_customer_is_refused_with_2500(qb_client):
    invoice = Invoice()
    invoice.CustomerRef = ref("999")
    invoice.Line = [sales_line(10)]
    error = raised(lambda: invoice.save(qb=qb_client), qbe.ValidationException)
    assert error.error_code == 2500
    assert error.message == "Invalid Reference Id"


def test_referencing_an_inactive_item_is_refused_with_610(qb_client):
    item = Item.get(2, qb=qb_client)
    item.Active = False
    item.save(qb=qb_client)
    invoice = Invoice()
    invoice.CustomerRef = new_customer(qb_client).to_ref()
    invoice.Line = [sales_line(10, item="2")]
    error = raised(lambda: invoice.save(qb=qb_client), qbe.ObjectNotFoundException)
    assert error.error_code == 610


def test_line_amount_not_equal_to_qty_times_price_is_refused_with_6070(qb_client):
    invoice = Invoice()
    invoice.CustomerRef = new_customer(qb_client).to_ref()
    invoice.Line = [sales_line(100, qty=3, price=25)]
    error = raised(lambda: invoice.save(qb=qb_client))
    assert error.error_code == 6070


def test_paying_more_than_the_open_balance_is_refused_with_6000(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    error = raised(lambda: pay(qb_client, customer, 150, (invoice, 150)))
    assert error.error_code == 6000
    assert error.detail.startswith("Business Validation Error:")
    assert Invoice.get(invoice.Id, qb=qb_client).Balance == 100


def test_deleting_a_paid_invoice_is_refused_with_6000(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    pay(qb_client, customer, 10, (invoice, 10))
    invoice = Invoice.get(invoice.Id, qb=qb_client)
    assert raised(lambda: invoice.delete(qb=qb_client)).error_code == 6000


def test_us_line_with_a_non_us_tax_code_is_refused_with_6100(qb_client):
    invoice = Invoice()
    invoice.CustomerRef = new_customer(qb_client).to_ref()
    invoice.Line = [sales_line(10, tax="2")]
    assert raised(lambda: invoice.save(qb=qb_client)).error_code == 6100


def test_creating_a_tax_code_through_the_accounting_api_is_unsupported(qb_client):
    error = raised(
        lambda: qb_client.create_object("TaxCode", '{"Name": "New"}'), qbe.UnsupportedException
    )
    assert error.error_code == 500
    assert len(TaxCode.all(qb=qb_client)) == 3


def test_an_invalid_access_token_is_refused_with_401(emulator, app_credentials, insecure_transport):
    realm_id = create_company(emulator.url)
    tokens = {"access_token": "not-a-token", "refresh_token": "nor-this"}
    client = quickbooks_client(emulator.url, app_credentials, realm_id, tokens)
    error = raised(lambda: Customer.all(qb=client), qbe.AuthorizationException)
    assert error.error_code == 401
    assert "3200" in error.detail


def test_a_token_for_another_company_is_refused_with_403_3100(
    emulator, app_credentials, tokens, insecure_transport
):
    other = create_company(emulator.url)
    client = quickbooks_client(emulator.url, app_credentials, other, tokens)
    error = raised(lambda: Customer.all(qb=client))
    assert error.error_code == 10000
    assert "403" in error.message
    assert "3100" in error.message


# -- Raw HTTP: what python-quickbooks cannot send -------------------------------------------------


def api(emulator, company: str, tokens: dict, method: str, path: str, **kwargs) -> httpx.Response:
    """A request to the company's Accounting API with a valid token."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    return httpx.request(
        method, f"{emulator.url}/v3/company/{company}/{path}", headers=headers, **kwargs
    )


@pytest.mark.parametrize("path", ["vendorx", "Invoice"])
def test_unknown_or_capitalised_entity_paths_answer_a_json_fault(emulator, company, tokens, path):
    reply = api(emulator, company, tokens, "POST", path, json={"Name": "x"})
    assert reply.status_code == 400
    assert reply.json()["Fault"]["Error"][0]["code"] == "500"


def test_get_query_with_minorversion_is_answered(emulator, company, tokens):
    params = {"query": "select * from Item where Name = 'services'", "minorversion": "75"}
    reply = api(emulator, company, tokens, "GET", "query", params=params)
    assert reply.status_code == 200
    assert [item["Name"] for item in reply.json()["QueryResponse"]["Item"]] == ["Services"]


def test_malformed_json_body_is_refused_with_a_fault(emulator, company, tokens):
    headers = {"Content-Type": "application/json"}
    reply = api(emulator, company, tokens, "POST", "customer", content=b"{no", headers=headers)
    assert reply.status_code == 400
    assert reply.json()["Fault"]["Error"][0]["code"] == "2010"
