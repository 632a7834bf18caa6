"""What a new QuickBooks Online company already has, per country (US, CA, UK).

A real company starts with a chart of accounts, tax codes, payment methods, a couple of items,
CompanyInfo and Preferences; connectors rely on them (an invoice line needs an item, a sales
receipt defaults to Undeposited Funds, Id "4" in Intuit's samples). Ids are fixed so that tests
and docs can name them.

Tax models differ by country, as in QBO: a US company marks lines ``TAX``/``NON`` and picks one
sales tax code for the whole transaction; Canadian and UK companies put a tax code with its own
rate(s) on every line.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from . import values

COUNTRIES = ("US", "CA", "UK")

CURRENCY = {
    "US": ("USD", "United States Dollar"),
    "CA": ("CAD", "Canadian Dollar"),
    "UK": ("GBP", "British Pound Sterling"),
}

#: CompanyInfo.Country (two letters, GB for the UK) and the ISO-3 code addresses use since 2025.
_COUNTRY_CODES = {"US": ("US", "USA"), "CA": ("CA", "CAN"), "UK": ("GB", "GBR")}

UNDEPOSITED_FUNDS = "4"
SERVICES_INCOME = "1"
SERVICES_ITEM = "1"


def _account(
    account_id: str, name: str, account_type: str, sub_type: str, classification: str
) -> dict:
    return {
        "Id": account_id,
        "Name": name,
        "FullyQualifiedName": name,
        "SubAccount": False,
        "Active": True,
        "AccountType": account_type,
        "AccountSubType": sub_type,
        "Classification": classification,
        "CurrentBalance": 0,
        "CurrentBalanceWithSubAccounts": 0,
    }


def accounts(country: str) -> list[dict]:
    """The starting chart of accounts."""
    receivable = "Trade Debtors" if country == "UK" else "Accounts Receivable (A/R)"
    payable = "Trade Creditors" if country == "UK" else "Accounts Payable (A/P)"
    tax_payable = {"US": "Sales Tax Payable", "CA": "GST/HST Payable", "UK": "VAT Control"}
    bank = "Current" if country == "UK" else "Checking"
    rows = [
        _account("1", "Services", "Income", "ServiceFeeIncome", "Revenue"),
        _account("2", "Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue"),
        _account(
            "3", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"
        ),
        _account("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
        _account("5", receivable, "Accounts Receivable", "AccountsReceivable", "Asset"),
        _account("6", bank, "Bank", "Checking", "Asset"),
        _account("7", "Inventory Asset", "Other Current Asset", "Inventory", "Asset"),
        _account(
            "8",
            tax_payable[country],
            "Other Current Liability",
            "GlobalTaxPayable" if country != "US" else "SalesTaxPayable",
            "Liability",
        ),
        _account("9", "Discounts given", "Income", "DiscountsRefundsGiven", "Revenue"),
        _account("10", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity"),
        _account("11", payable, "Accounts Payable", "AccountsPayable", "Liability"),
    ]
    currency, name = CURRENCY[country]
    for row in rows:
        row["CurrencyRef"] = {"value": currency, "name": name}
    return rows


def _rate(rate_id: str, name: str, value: float, agency: str) -> dict:
    return {
        "Id": rate_id,
        "Name": name,
        "Description": name,
        "Active": True,
        "RateValue": value,
        "AgencyRef": {"value": agency},
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
        "EffectiveTaxRate": [{"RateValue": value, "EffectiveDate": "2014-01-01T00:00:00-08:00"}],
    }


def _code(code_id: str, name: str, description: str, rates: list[tuple[str, str]]) -> dict:
    """A tax code; ``rates`` are (TaxRate Id, TaxRate name) applied on the net amount."""
    return {
        "Id": code_id,
        "Name": name,
        "Description": description,
        "Active": True,
        "Hidden": False,
        "Taxable": bool(rates),
        "TaxGroup": len(rates) > 1,
        "TaxCodeConfigType": "SYSTEM_GENERATED",
        "SalesTaxRateList": {
            "TaxRateDetail": [
                {
                    "TaxRateRef": {"value": rate_id, "name": rate_name},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
                for rate_id, rate_name in rates
            ]
        },
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }


def tax_rates(country: str) -> list[dict]:
    """The starting tax rates (read-only through the API, created by QBO's tax setup)."""
    if country == "US":
        return [
            _rate("1", "California State", 7.25, "1"),
            _rate("2", "Alameda County District", 1.0, "1"),
        ]
    if country == "CA":
        return [
            _rate("1", "GST", 5.0, "1"),
            _rate("2", "HST ON", 13.0, "2"),
            _rate("3", "PST BC", 7.0, "3"),
            _rate("4", "Zero-rated", 0.0, "1"),
            _rate("5", "Exempt", 0.0, "1"),
        ]
    return [
        _rate("1", "20.0% S", 20.0, "1"),
        _rate("2", "5.0% R", 5.0, "1"),
        _rate("3", "0.0% Z", 0.0, "1"),
        _rate("4", "Exempt", 0.0, "1"),
    ]


def tax_codes(country: str) -> list[dict]:
    """The starting tax codes.

    US: the pseudo codes ``TAX`` and ``NON`` (what a line says) and a sales tax code whose rates
    apply to the taxable lines (what ``TxnTaxDetail.TxnTaxCodeRef`` says). CA and UK: one code
    per line, each with its rate(s).
    """
    if country == "US":
        non = _code("NON", "NON", "Non-Taxable", [])
        tax = _code("TAX", "TAX", "Taxable", [])
        tax["Taxable"] = True
        return [
            tax,
            non,
            _code(
                "2",
                "California",
                "California sales tax",
                [("1", "California State"), ("2", "Alameda County District")],
            ),
        ]
    if country == "CA":
        return [
            _code("2", "Exempt", "Exempt", [("5", "Exempt")]),
            _code("3", "Zero-rated", "Zero-rated", [("4", "Zero-rated")]),
            _code("4", "GST", "GST", [("1", "GST")]),
            _code("5", "HST ON", "HST Ontario", [("2", "HST ON")]),
            _code("6", "PST BC", "PST British Columbia", [("3", "PST BC")]),
            _code(
                "7", "GST/PST BC", "GST and PST British Columbia", [("1", "GST"), ("3", "PST BC")]
            ),
        ]
    return [
        _code("2", "20.0% S", "Standard rated sales", [("1", "20.0% S")]),
        _code("3", "5.0% R", "Reduced rate sales", [("2", "5.0% R")]),
        _code("4", "0.0% Z", "Zero rated sales", [("3", "0.0% Z")]),
        _code("5", "Exempt", "Exempt sales", [("4", "Exempt")]),
        _code("6", "No VAT", "Outside the scope of VAT", []),
    ]


def payment_methods(country: str) -> list[dict]:
    """The starting payment methods."""
    cheque = "Check" if country == "US" else "Cheque"
    names = [
        ("Cash", "NON_CREDIT_CARD"),
        (cheque, "NON_CREDIT_CARD"),
        ("Visa", "CREDIT_CARD"),
        ("MasterCard", "CREDIT_CARD"),
        ("American Express", "CREDIT_CARD"),
        ("Discover", "CREDIT_CARD"),
        ("Diners Club", "CREDIT_CARD"),
    ]
    return [
        {"Id": str(index), "Name": name, "Type": kind, "Active": True}
        for index, (name, kind) in enumerate(names, start=1)
    ]


def items(country: str) -> list[dict]:
    """The starting items: QBO's default ``Services`` plus an hourly one."""
    default_code = {"US": None, "CA": "4", "UK": "2"}[country]
    rows = []
    for item_id, name, price in (("1", "Services", 0), ("2", "Hours", 0)):
        row: dict[str, Any] = {
            "Id": item_id,
            "Name": name,
            "FullyQualifiedName": name,
            "Description": "",
            "Active": True,
            "SubItem": False,
            "Level": 0,
            "Type": "Service",
            "UnitPrice": price,
            "Taxable": country == "US",
            "TrackQtyOnHand": False,
            "IncomeAccountRef": {"value": SERVICES_INCOME, "name": "Services"},
        }
        if default_code:
            row["SalesTaxCodeRef"] = {"value": default_code}
        rows.append(row)
    return rows


def company_info(name: str, country: str, now: datetime) -> dict:
    """The CompanyInfo object (Id "1", as in Intuit's samples [U])."""
    short, iso3 = _COUNTRY_CODES[country]
    address = {
        "Id": "1",
        "Line1": "123 Emulator Way",
        "City": {"US": "Mountain View", "CA": "Toronto", "UK": "London"}[country],
        "CountrySubDivisionCode": {"US": "CA", "CA": "ON", "UK": ""}[country],
        "PostalCode": {"US": "94043", "CA": "M5V 2T6", "UK": "EC1A 1BB"}[country],
        "Country": iso3,
    }
    return {
        "Id": "1",
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": copy.deepcopy(address),
        "LegalAddr": copy.deepcopy(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
        "Email": {"Address": "owner@example.com"},
        "WebAddr": {},
        "Country": short,
        "CompanyStartDate": values.today(now),
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "DefaultTimeZone": "America/Los_Angeles",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Professional Services"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
        ],
    }


def preferences(country: str, overrides: dict | None) -> dict:
    """Preferences (Id "1"), with ``overrides`` deep-merged over the defaults."""
    currency, currency_name = CURRENCY[country]
    prefs: dict[str, Any] = {
        "Id": "1",
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "TrackDepartments": False,
            "CustomerTerminology": "Customers",
            "BookCloseDate": "",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowShipping": False,
            "AllowEstimates": True,
            "AllowServiceDate": False,
            "IPNSupportEnabled": False,
            "ETransactionEnabledStatus": "NotApplicable",
            "CustomField": [],
            "EmailCopyToCompany": False,
            "DefaultDiscountAccount": "9",
            "UsingPriceLevels": False,
        },
        "EmailMessagesPrefs": {
            "InvoiceMessage": {
                "Subject": "Invoice from {company}",
                "Message": "Please review the invoice below.",
            }
        },
        "VendorAndPurchasesPrefs": {"TrackingByCustomer": False, "BillableExpenseTracking": False},
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": False,
            "WorkWeekStartDate": "Monday",
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": False,
            "HomeCurrency": {"value": currency, "name": currency_name},
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""},
                {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                {"Name": "WarnDuplicateJournalNumber", "Value": "false"},
            ]
        },
    }
    return deep_merge(prefs, overrides or {})


def deep_merge(base: dict, overrides: dict) -> dict:
    """``base`` with ``overrides`` applied: nested objects merge, everything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def all_entities(
    name: str, country: str, preference_overrides: dict | None, now: datetime
) -> list[tuple[str, dict]]:
    """Every seeded object as (entity name, object without SyncToken/MetaData)."""
    rows: list[tuple[str, dict]] = []
    rows += [("Account", row) for row in accounts(country)]
    rows += [("TaxRate", row) for row in tax_rates(country)]
    rows += [("TaxCode", row) for row in tax_codes(country)]
    rows += [("PaymentMethod", row) for row in payment_methods(country)]
    rows += [("Item", row) for row in items(country)]
    rows.append(("CompanyInfo", company_info(name, country, now)))
    rows.append(("Preferences", preferences(country, preference_overrides)))
    return rows
