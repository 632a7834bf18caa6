"""Entities through python-quickbooks: create, read, update, delete, void, query, PDF, send.

python-quickbooks is a client written by others from the real API; if it reads what the emulator
writes and the emulator accepts what it sends (defaults, empty strings, ``SyncToken: 0``), the
emulator speaks QBO's dialect.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounting_support import new_customer, new_invoice, pay, ref, sales_line
from quickbooks.objects.account import Account
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate

# -- Customer -------------------------------------------------------------------------------------


def test_customer_created_by_python_quickbooks_reads_back_with_server_fields(qb_client):
    created = new_customer(qb_client)
    read = Customer.get(created.Id, qb=qb_client)
    assert read.DisplayName == "Amy's Bird Sanctuary"
    assert read.SyncToken == "0"
    assert read.Active is True
    assert read.Balance == 0
    assert read.MetaData["CreateTime"].endswith(("-07:00", "-08:00"))


def test_customer_without_display_name_gets_one_from_its_name_parts(qb_client):
    customer = Customer()
    customer.GivenName = "Ada"
    customer.FamilyName = "Lovelace"
    assert customer.save(qb=qb_client).DisplayName == "Ada Lovelace"


def test_full_update_bumps_sync_token_and_keeps_create_time(qb_client):
    customer = new_customer(qb_client)
    customer.CompanyName = "Birds Inc"
    updated = customer.save(qb=qb_client)
    assert updated.SyncToken == "1"
    assert updated.CompanyName == "Birds Inc"
    assert updated.MetaData["CreateTime"] == customer.MetaData["CreateTime"]


def test_sparse_update_changes_only_the_fields_sent(qb_client):
    customer = new_customer(qb_client)
    customer.CompanyName = "Birds Inc"
    customer = customer.save(qb=qb_client)
    reply = qb_client.update_object(
        "Customer",
        f'{{"Id": "{customer.Id}", "SyncToken": "{customer.SyncToken}", "sparse": true, '
        '"Notes": "feeds the birds"}',
    )
    assert reply["Customer"]["Notes"] == "feeds the birds"
    assert reply["Customer"]["CompanyName"] == "Birds Inc"
    assert reply["Customer"]["SyncToken"] == "2"


def test_deactivated_customer_is_hidden_from_select_star_but_not_from_active_filter(qb_client):
    customer = new_customer(qb_client, "Gone Fishing")
    customer.Active = False
    customer.save(qb=qb_client)
    names = [c.DisplayName for c in Customer.all(qb=qb_client)]
    assert "Gone Fishing" not in names
    inactive = Customer.where("Active = false", qb=qb_client)
    assert [c.DisplayName for c in inactive] == ["Gone Fishing"]


def test_sub_customer_gets_a_qualified_name_and_level(qb_client):
    parent = new_customer(qb_client, "Parent Co")
    job = Customer()
    job.DisplayName = "Kitchen"
    job.ParentRef = parent.to_ref()
    job = job.save(qb=qb_client)
    assert job.FullyQualifiedName == "Parent Co:Kitchen"
    assert job.Job is True
    assert job.Level == 1


# -- Item, Account, PaymentMethod, TaxCode, TaxRate -----------------------------------------------


def test_item_created_and_listed_with_sku_projection(qb_client):
    item = Item()
    item.Name = "Consulting"
    item.Type = "Service"
    item.UnitPrice = 150
    item.Sku = "CONS-1"
    item.IncomeAccountRef = ref("1")
    item = item.save(qb=qb_client)
    names = {i.Name: i for i in Item.all(qb=qb_client)}
    assert {"Services", "Hours", "Consulting"} <= set(names)
    assert names["Consulting"].Sku == "CONS-1"
    assert names["Consulting"].UnitPrice == 150


def test_account_created_gets_its_classification(qb_client):
    account = Account()
    account.Name = "Consulting Income"
    account.AccountType = "Income"
    account = account.save(qb=qb_client)
    assert account.Classification == "Revenue"
    assert account.AccountSubType == "SalesOfProductIncome"
    assert Account.get(account.Id, qb=qb_client).Name == "Consulting Income"


def test_seeded_accounts_include_undeposited_funds_as_id_4(qb_client):
    assert Account.get(4, qb=qb_client).Name == "Undeposited Funds"


def test_payment_method_created_and_deactivated(qb_client):
    method = PaymentMethod()
    method.Name = "Bitcoin"
    method = method.save(qb=qb_client)
    assert method.Type == "NON_CREDIT_CARD"
    method.Active = False
    method.save(qb=qb_client)
    assert "Bitcoin" not in [m.Name for m in PaymentMethod.all(qb=qb_client)]
    assert {"Cash", "Check", "Visa", "MasterCard"} <= {
        m.Name for m in PaymentMethod.all(qb=qb_client)
    }


def test_us_tax_codes_and_rates_are_readable(qb_client):
    codes = {code.Id: code for code in TaxCode.all(qb=qb_client)}
    assert {"TAX", "NON"} <= set(codes)
    assert TaxCode.get("TAX", qb=qb_client).Name == "TAX"
    rates = TaxRate.all(qb=qb_client)
    assert sum(r.RateValue for r in rates) == pytest.approx(8.25)


def test_company_info_and_preferences_are_read_and_updated(qb_client, company):
    info = CompanyInfo.get(company, qb=qb_client)
    assert info.Country == "US"
    info.LegalName = "Emulated Legal Name LLC"
    assert info.save(qb=qb_client).LegalName == "Emulated Legal Name LLC"
    prefs = Preferences.get(qb=qb_client)
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is False
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    prefs.SalesFormsPrefs.CustomTxnNumbers = True
    assert prefs.save(qb=qb_client).SalesFormsPrefs.CustomTxnNumbers is True


# -- Invoice --------------------------------------------------------------------------------------


def test_invoice_gets_next_doc_number_totals_and_subtotal_line(qb_client):
    customer = new_customer(qb_client)
    first = new_invoice(qb_client, customer, sales_line(100, 2, 50))
    second = new_invoice(qb_client, customer, sales_line(40))
    assert first.DocNumber == "1001"
    assert second.DocNumber == "1002"
    assert first.TotalAmt == 100
    assert first.Balance == 100
    assert first.Line[-1].DetailType == "SubTotalLineDetail"
    assert first.Line[0].Id == "1"
    assert first.Line[0].LineNum == 1


def test_auto_numbering_continues_after_a_prefixed_number(qb_client):
    customer = new_customer(qb_client)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.DocNumber = "App_1000"
    invoice.Line = [sales_line(10)]
    invoice.save(qb=qb_client)
    assert new_invoice(qb_client, customer).DocNumber == "App_1001"


def test_us_invoice_taxes_only_taxable_lines_at_the_codes_rates(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(
        qb_client, customer, sales_line(100, tax="TAX"), sales_line(50, tax="NON"), tax_code="2"
    )
    assert invoice.TxnTaxDetail.TotalTax == pytest.approx(8.25)
    assert invoice.TotalAmt == pytest.approx(158.25)
    assert [line.TaxLineDetail.NetAmountTaxable for line in invoice.TxnTaxDetail.TaxLine] == [
        100,
        100,
    ]


def test_invoice_line_update_keeps_line_ids_and_recomputes_totals(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    invoice.Line = [line for line in invoice.Line if line.DetailType != "SubTotalLineDetail"]
    invoice.Line[0].Amount = 120
    invoice.Line.append(sales_line(30))
    updated = invoice.save(qb=qb_client)
    assert [line.Id for line in updated.Line[:-1]] == ["1", "2"]
    assert updated.TotalAmt == 150


def test_invoice_delete_replies_status_deleted_and_read_is_610(qb_client):
    from quickbooks.exceptions import ObjectNotFoundException

    invoice = new_invoice(qb_client, new_customer(qb_client))
    reply = invoice.delete(qb=qb_client)
    assert reply["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": invoice.Id}
    with pytest.raises(ObjectNotFoundException) as caught:
        Invoice.get(invoice.Id, qb=qb_client)
    assert caught.value.error_code == 610


def test_voided_invoice_has_zero_amounts_and_a_voided_note(qb_client):
    invoice = new_invoice(qb_client, new_customer(qb_client), sales_line(100, 4, 25))
    invoice.void(qb=qb_client)
    voided = Invoice.get(invoice.Id, qb=qb_client)
    assert voided.TotalAmt == 0
    assert voided.Balance == 0
    assert voided.PrivateNote.startswith("Voided")
    assert voided.Line[0].Amount == 0
    assert voided.SyncToken == "1"


def test_invoice_pdf_is_a_pdf_document_with_number_customer_and_total(qb_client):
    invoice = new_invoice(qb_client, new_customer(qb_client, "Pdf Customer"), sales_line(75.5))
    document = invoice.download_pdf(qb=qb_client)
    assert document.startswith(b"%PDF-1.4")
    assert document.rstrip().endswith(b"%%EOF")
    assert b"Invoice 1001" in document
    assert b"Pdf Customer" in document
    assert b"Total: 75.50" in document


def test_sending_an_invoice_marks_it_email_sent(qb_client):
    invoice = new_invoice(qb_client, new_customer(qb_client))
    reply = invoice.send(qb=qb_client, send_to="billing@example.com")
    assert reply["Invoice"]["EmailStatus"] == "EmailSent"
    assert reply["Invoice"]["BillEmail"]["Address"] == "billing@example.com"
    assert reply["Invoice"]["DeliveryInfo"]["DeliveryType"] == "Email"


def test_invoice_query_filters_by_customer_and_counts(qb_client):
    amy = new_customer(qb_client, "Amy")
    bob = new_customer(qb_client, "Bob")
    new_invoice(qb_client, amy)
    new_invoice(qb_client, amy)
    new_invoice(qb_client, bob)
    assert len(Invoice.filter(CustomerRef=amy.Id, qb=qb_client)) == 2
    assert Invoice.count(qb=qb_client) == 3


# -- Payment and SalesReceipt ---------------------------------------------------------------------


def test_partial_payments_reduce_invoice_balance_and_link_both_ways(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    first = pay(qb_client, customer, 30, (invoice, 30))
    pay(qb_client, customer, 50, (invoice, 50))
    read = Invoice.get(invoice.Id, qb=qb_client)
    assert read.Balance == 20
    assert [link.TxnId for link in read.LinkedTxn] == [first.Id, str(int(first.Id) + 1)]
    assert first.Line[0].LinkedTxn[0].TxnId == invoice.Id
    assert Customer.get(customer.Id, qb=qb_client).Balance == 20


def test_deleting_a_payment_restores_the_invoice_balance(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    payment = pay(qb_client, customer, 100, (invoice, 100))
    assert Invoice.get(invoice.Id, qb=qb_client).Balance == 0
    payment.delete(qb=qb_client)
    restored = Invoice.get(invoice.Id, qb=qb_client)
    assert restored.Balance == 100
    assert restored.LinkedTxn == []


def test_voiding_a_payment_restores_the_invoice_balance(qb_client):
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(100))
    payment = pay(qb_client, customer, 60, (invoice, 60))
    payment.void(qb=qb_client)
    voided = Payment.get(payment.Id, qb=qb_client)
    assert voided.TotalAmt == 0
    assert voided.PrivateNote == "Voided"
    assert Invoice.get(invoice.Id, qb=qb_client).Balance == 100


def test_unapplied_payment_is_a_customer_credit(qb_client):
    customer = new_customer(qb_client)
    payment = pay(qb_client, customer, 25)
    assert payment.UnappliedAmt == 25
    assert payment.DepositToAccountRef.value == "4"
    assert Customer.get(customer.Id, qb=qb_client).Balance == -25


def test_sales_receipt_is_paid_at_once_and_can_be_voided_and_deleted(qb_client):
    receipt = SalesReceipt()
    receipt.CustomerRef = new_customer(qb_client).to_ref()
    receipt.Line = [sales_line(80)]
    receipt = receipt.save(qb=qb_client)
    assert receipt.TotalAmt == 80
    assert receipt.Balance == 0
    assert receipt.DepositToAccountRef.name == "Undeposited Funds"
    receipt.void(qb=qb_client)
    voided = SalesReceipt.get(receipt.Id, qb=qb_client)
    assert voided.TotalAmt == 0
    assert voided.PrivateNote == "Voided"
    reply = voided.delete(qb=qb_client)
    assert reply["SalesReceipt"]["status"] == "Deleted"


def test_decimal_amounts_sent_as_strings_are_accepted(qb_client):
    qb_client.use_decimal = True
    customer = new_customer(qb_client)
    invoice = new_invoice(qb_client, customer, sales_line(Decimal("19.99")))
    assert invoice.TotalAmt == Decimal("19.99")
