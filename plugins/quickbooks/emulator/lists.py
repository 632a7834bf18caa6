"""Name-list entities: Customer, Item, Account, PaymentMethod.

Lists are never deleted; a client deactivates a record with ``Active: false`` (facts §3.2, §3.8).
Names are unique per list (DisplayName across customers: 6240). Inactive records still hold
their name [U: the facts leave it open; keeping it is the stricter reading].
"""

from __future__ import annotations

from . import balances, faults, rules, seed, values
from .books import Books, Rules

CUSTOMER_LIMITS = {
    "DisplayName": 500,
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
    "ResaleNum": 16,
    "PrimaryPhone.FreeFormNumber": 30,
    "AlternatePhone.FreeFormNumber": 30,
    "Mobile.FreeFormNumber": 30,
    "Fax.FreeFormNumber": 30,
    "WebAddr.URI": 1000,
    "PrimaryEmailAddr.Address": 100,
}

_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
_MAX_JOB_DEPTH = 4


def _name_taken(books: Books, entity: str, field: str, name: str, own_id: str | None) -> bool:
    wanted = name.strip().casefold()
    return any(
        str(row.get(field, "")).strip().casefold() == wanted and row_id != own_id
        for row_id, row in books.store.rows(entity).items()
    )


def _hierarchy(
    books: Books, entity: str, obj: dict, name_field: str, element: str = "ParentRef"
) -> tuple[dict | None, str, int]:
    """(parent reference, FullyQualifiedName, Level) for a record that may sit under a parent."""
    parent = books.resolve(entity, obj.get("ParentRef"), element)
    if parent is None:
        return None, obj[name_field], 0
    level = int(parent.get("Level", 0)) + 1
    if level > _MAX_JOB_DEPTH:
        raise rules.business(f"{entity} hierarchies can be at most {_MAX_JOB_DEPTH} levels deep")
    qualified = f"{parent.get('FullyQualifiedName', parent.get(name_field))}:{obj[name_field]}"
    ref = {"value": parent["Id"], "name": parent.get("FullyQualifiedName", "")}
    return ref, qualified, level


class CustomerRules(Rules):
    """Customer: DisplayName (or name parts) required and unique; balances are server-kept."""

    read_only = rules.SERVER_FIELDS | {"BalanceWithJobs", "FullyQualifiedName", "Level"}

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, self.read_only | {"Balance"})
        display = obj.get("DisplayName") or (old or {}).get("DisplayName") or _joined_name(obj)
        if not display:
            raise faults.validation(
                6080,
                "No Name Provided",
                "Business Validation Error: Provide a DisplayName or one of Title, GivenName, "
                "MiddleName, FamilyName, Suffix",
                "DisplayName",
            )
        obj["DisplayName"] = display
        rules.check_lengths(obj, CUSTOMER_LIMITS)
        rules.check_name_chars(obj, ("DisplayName", *_NAME_PARTS, "PrintOnCheckName"))
        if _name_taken(books, "Customer", "DisplayName", display, (old or {}).get("Id")):
            raise rules.duplicate_name()
        parent_ref, qualified, level = _hierarchy(books, "Customer", obj, "DisplayName")
        if parent_ref:
            obj["ParentRef"] = parent_ref
        obj.update(FullyQualifiedName=qualified, Level=level, Job=parent_ref is not None)
        for field, entity in (
            ("DefaultTaxCodeRef", "TaxCode"),
            ("PaymentMethodRef", "PaymentMethod"),
        ):
            if obj.get(field):
                obj[field] = books.ref(entity, obj[field], field)
        obj["Active"] = values.boolean(obj.get("Active"), True)
        obj["Taxable"] = values.boolean(obj.get("Taxable"), True)
        obj["BillWithParent"] = values.boolean(obj.get("BillWithParent"), False)
        obj.setdefault("PrintOnCheckName", display)
        obj.setdefault("PreferredDeliveryMethod", "Print")
        obj.setdefault("CurrencyRef", books.home_currency())
        if old is None:
            # Balance is writable on create only: the customer's opening balance.
            opening = values.number(values.money(values.decimal(body.get("Balance", 0), "Balance")))
            obj["Balance"] = obj["BalanceWithJobs"] = opening
        else:
            obj["Balance"] = old.get("Balance", 0)
            obj["BalanceWithJobs"] = old.get("BalanceWithJobs", 0)
        return obj

    def after_save(self, books: Books, obj: dict, old: dict | None) -> None:
        if old is None and obj.get("Balance") and obj.get("ParentRef"):
            parent_id = values.ref_value(obj["ParentRef"])
            if parent_id:
                balances.adjust(books.store, parent_id, values.decimal(obj["Balance"], "Balance"))


def _joined_name(obj: dict) -> str:
    return " ".join(str(obj[part]).strip() for part in _NAME_PARTS if obj.get(part)).strip()


ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")


class ItemRules(Rules):
    """Item: Name required and unique; Inventory needs its accounts, quantity and start date.

    A Service/NonInventory item without ``IncomeAccountRef`` gets the Services income account,
    and an item without ``Type`` is a Service: the facts only say the account is "conditionally
    required" [U], and this keeps minimal clients working.
    """

    read_only = rules.SERVER_FIELDS | {"FullyQualifiedName", "Level"}

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, self.read_only)
        if not obj.get("Name"):
            raise faults.required("Name")
        rules.check_lengths(
            obj, {"Name": 100, "Description": 4000, "PurchaseDesc": 4000, "Sku": 100}
        )
        rules.check_name_chars(obj, ("Name",))
        if _name_taken(books, "Item", "Name", obj["Name"], (old or {}).get("Id")):
            raise rules.duplicate_name("product or service")
        obj["Type"] = obj.get("Type") or (old or {}).get("Type") or "Service"
        rules.check_enum(obj, "Type", ITEM_TYPES)
        if old is not None and old.get("Type") == "Inventory" and obj["Type"] != "Inventory":
            raise rules.business("The type of an inventory item cannot be changed")
        if obj["Type"] in ("Service", "NonInventory", "Inventory"):
            obj.setdefault("IncomeAccountRef", {"value": seed.SERVICES_INCOME})
        if obj["Type"] == "Inventory":
            for field in ("AssetAccountRef", "ExpenseAccountRef", "InvStartDate", "QtyOnHand"):
                if obj.get(field) in (None, ""):
                    raise faults.required(field)
            obj["TrackQtyOnHand"] = True
        for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if obj.get(field):
                obj[field] = books.ref("Account", obj[field], field)
        for field in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
            if obj.get(field):
                obj[field] = books.ref("TaxCode", obj[field], field)
        parent_ref, qualified, level = _hierarchy(books, "Item", obj, "Name")
        if parent_ref:
            obj["ParentRef"] = parent_ref
        obj.update(FullyQualifiedName=qualified, Level=level, SubItem=parent_ref is not None)
        obj["UnitPrice"] = values.number(
            values.optional_decimal(obj.get("UnitPrice"), "UnitPrice") or 0
        )
        obj["Active"] = values.boolean(obj.get("Active"), True)
        obj["Taxable"] = values.boolean(obj.get("Taxable"), False)
        obj["TrackQtyOnHand"] = values.boolean(obj.get("TrackQtyOnHand"), False)
        return obj


#: AccountType -> (Classification, default AccountSubType).
ACCOUNT_TYPES: dict[str, tuple[str, str]] = {
    "Bank": ("Asset", "Checking"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "MachineryAndEquipment"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Equity": ("Equity", "OpeningBalanceEquity"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Income": ("Revenue", "SalesOfProductIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
}

#: AccountSubType -> AccountType, for requests that send only the sub-type.
_TYPE_OF_SUBTYPE = {sub: account_type for account_type, (_, sub) in ACCOUNT_TYPES.items()}
_TYPE_OF_SUBTYPE.update(
    ServiceFeeIncome="Income",
    UndepositedFunds="Other Current Asset",
    Inventory="Other Current Asset",
    SalesTaxPayable="Other Current Liability",
    GlobalTaxPayable="Other Current Liability",
    DiscountsRefundsGiven="Income",
    Savings="Bank",
    AdvertisingPromotional="Expense",
    OfficeGeneralAdministrativeExpenses="Expense",
)


class AccountRules(Rules):
    """Account: Name required (no ``"`` or ``:``), unique under its parent; a type is required."""

    read_only = rules.SERVER_FIELDS | {
        "FullyQualifiedName",
        "Classification",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
    }

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, self.read_only)
        if not obj.get("Name"):
            raise faults.required("Name")
        rules.check_lengths(
            obj,
            {"Name": 100, "Description": 100, "AcctNum": 20 if books.country == "CA" else 7},
        )
        rules.check_name_chars(obj, ("Name",), forbidden='":')
        account_type = obj.get("AccountType") or _TYPE_OF_SUBTYPE.get(obj.get("AccountSubType", ""))
        if not account_type:
            raise faults.validation(
                6010,
                "Invalid account type used",
                "Business Validation Error: AccountType or a known AccountSubType is required",
                "AccountType",
            )
        rules.check_enum({"AccountType": account_type}, "AccountType", tuple(ACCOUNT_TYPES))
        obj["AccountType"] = account_type
        classification, default_sub = ACCOUNT_TYPES[account_type]
        obj["Classification"] = classification
        obj.setdefault("AccountSubType", default_sub)
        parent_ref, qualified, _ = _hierarchy(books, "Account", obj, "Name")
        own_id = (old or {}).get("Id")
        siblings = [
            row
            for row_id, row in books.store.rows("Account").items()
            if row_id != own_id
            and values.ref_value(row.get("ParentRef")) == values.ref_value(parent_ref)
        ]
        if any(row.get("Name", "").casefold() == obj["Name"].casefold() for row in siblings):
            raise rules.duplicate_name("account")
        if obj.get("AcctNum") and any(
            row.get("AcctNum") == obj["AcctNum"]
            for row_id, row in books.store.rows("Account").items()
            if row_id != own_id
        ):
            raise rules.duplicate_name("account number")
        if parent_ref:
            obj["ParentRef"] = parent_ref
        obj.update(FullyQualifiedName=qualified, SubAccount=parent_ref is not None)
        obj["Active"] = values.boolean(obj.get("Active"), True)
        obj.setdefault("CurrencyRef", books.home_currency())
        obj["CurrentBalance"] = (old or {}).get("CurrentBalance", 0)
        obj["CurrentBalanceWithSubAccounts"] = (old or {}).get("CurrentBalanceWithSubAccounts", 0)
        return obj


PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")


class PaymentMethodRules(Rules):
    """PaymentMethod: Name required, at most 31 characters, unique (facts §3.8)."""

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        obj = rules.without(body, self.read_only)
        if not obj.get("Name"):
            raise faults.required("Name")
        rules.check_length(obj["Name"], 31, "Name")
        if _name_taken(books, "PaymentMethod", "Name", obj["Name"], (old or {}).get("Id")):
            raise rules.duplicate_name("payment method")
        obj["Type"] = obj.get("Type") or "NON_CREDIT_CARD"
        rules.check_enum(obj, "Type", PAYMENT_METHOD_TYPES)
        obj["Active"] = values.boolean(obj.get("Active"), True)
        return obj
