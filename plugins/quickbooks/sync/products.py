"""Products missing in QuickBooks, created there instead of falling back to the unmatched item.

With ``/items/missing_products`` = ``create_in_quickbooks``, an invoice line whose platform item
is neither linked nor found by name in QuickBooks gets a QuickBooks Service item of its own.
Its name is ``/items/product_name_template`` expanded for the line (tokens such as
``{customer_first_name}``, so one template can make one product per customer), then cleaned of
what QuickBooks refuses in a name (qbo-facts §3.3: colons, tabs, line breaks; 100 characters at
most). Every change is said in the run log, because a name the admin did not write must be
explainable.

Products with the same display name are the same product: QuickBooks' names are unique and its
queries compare them without case, so the name is looked up before anything is created, and
what a run found or created is remembered for the rest of the run (one invoice batch can hold
many lines of one new product).

Only a product whose name is exactly the platform item's name is linked to the item (entity
``item``): that product *is* the item. A product whose name differs (a template, or a cleaned
name) is not, since the item import would then rename the platform item after it, and one
item may stand for several per-customer products.

The new item's income account is ``/items/product_income_account`` when set, else the company's
*Services* income account, else its *Sales of Product Income* account.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.platform.port import Customer, Item
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.qbo_errors import QBOError
from plugins.quickbooks.sync.customers import quote
from plugins.quickbooks.sync.invoice_mapping import MappingError

if TYPE_CHECKING:
    from core.runner import JobContext

USE_UNMATCHED_ITEM = "use_unmatched_item"
CREATE_IN_QUICKBOOKS = "create_in_quickbooks"
MISSING_PRODUCTS = (USE_UNMATCHED_ITEM, CREATE_IN_QUICKBOOKS)
DEFAULT_TEMPLATE = "{item_name}"
TEMPLATE_FIELD = "/items/product_name_template"
ACCOUNT_FIELD = "/items/product_income_account"
ITEM_ENTITY = "item"
NAME_MAX = 100
DESCRIPTION_MAX = 4000
DUPLICATE_NAME = "6240"
#: What a template may name, and what each stands for.
TOKENS: dict[str, Callable[[Item, Customer], str]] = {
    "item_name": lambda item, customer: item.name,
    "customer_name": lambda item, customer: customer.display_name,
    "customer_first_name": lambda item, customer: customer.given_name,
    "customer_last_name": lambda item, customer: customer.family_name,
    "customer_company": lambda item, customer: customer.company_name,
}
#: Income accounts for new products, most fitting first: (Name, AccountSubType).
_INCOME_ACCOUNTS = (
    ("services", "ServiceFeeIncome"),
    ("sales of product income", "SalesOfProductIncome"),
)
#: Characters QuickBooks refuses in a name, what replaces them, and how the change is told.
_REFUSED = (
    (":", "removed ':'"),
    ("\t", "replaced tabs with spaces"),
    ("\r", "replaced line breaks with spaces"),
    ("\n", "replaced line breaks with spaces"),
)


@dataclass(frozen=True)
class ProductName:
    """A name QuickBooks accepts, and what was changed to make it so (empty when nothing)."""

    name: str
    changes: tuple[str, ...] = ()

    def note(self) -> str:
        """``product name changed: removed ':'; shortened to 100 characters``, or ``""``."""
        return f"product name changed: {'; '.join(self.changes)}" if self.changes else ""


def template_tokens(template: str) -> tuple[str, ...]:
    """The tokens ``template`` uses; an unknown token or a stray brace is a MappingError."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise MappingError(
            f"{TEMPLATE_FIELD}: {error}; write a literal brace as {{{{ or }}}}"
        ) from None
    used = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in TOKENS or spec or conversion:
            known = ", ".join(f"{{{token}}}" for token in TOKENS)
            raise MappingError(
                f"{TEMPLATE_FIELD}: unknown token {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}; use {known}"
            )
        used.append(field)
    return tuple(used)


def uses_customer(template: str) -> bool:
    """Whether the expansion depends on the invoice's customer (one product per customer)."""
    return any(token != "item_name" for token in template_tokens(template))


def expand(template: str, item: Item, customer: Customer | None) -> str:
    """``template`` with every token replaced by its value for this item and customer."""
    tokens = template_tokens(template)
    if customer is None and any(token != "item_name" for token in tokens):
        raise ValueError("the template names the customer; pass the invoice's customer")
    empty = Customer(id="", display_name="")
    values = {token: TOKENS[token](item, customer or empty) or "" for token in tokens}
    return template.format_map(values)


def clean_name(raw: str) -> ProductName:
    """``raw`` as a QuickBooks item name: refused characters out, spaces trimmed, 100 at most.

    Refused characters become spaces (then runs of spaces become one), so ``Plan: Gold``
    becomes ``Plan Gold``. A name with nothing left is a MappingError naming the template.
    """
    changes: list[str] = []
    text = raw
    for char, change in _REFUSED:
        if char in text:
            text = text.replace(char, " ")
            if change not in changes:
                changes.append(change)
    if raw != raw.strip() or "  " in raw:
        changes.append("trimmed spaces")
    text = " ".join(text.split())
    if not text:
        raise MappingError(
            f"the product name {raw!r} is empty once cleaned for QuickBooks; change "
            f"{TEMPLATE_FIELD}"
        )
    if len(text) > NAME_MAX:
        text = text[:NAME_MAX].rstrip()
        changes.append(f"shortened to {NAME_MAX} characters")
    return ProductName(text, tuple(changes))


@dataclass(frozen=True)
class Product:
    """The QuickBooks item of one line: its Id, its name, and whether it is the item itself."""

    id: str
    name: ProductName
    created: bool
    is_item: bool


class Products:
    """One run's product look-ups and creations (the run's cache of names to Ids)."""

    def __init__(self, client: QBOClient, config: Mapping[str, Any]) -> None:
        items = config.get("items", {})
        self.client = client
        self.enabled = items.get("missing_products", USE_UNMATCHED_ITEM) == CREATE_IN_QUICKBOOKS
        self.template = items.get("product_name_template") or DEFAULT_TEMPLATE
        self.income_account_id = str(items.get("product_income_account") or "")
        self._ids: dict[str, str] = {}
        self._account: str | None = None
        self._customers: dict[str, Customer] = {}
        self._linked: set[str] = set()  # items linked this run (a link is written once)

    def line_item(self, ctx: JobContext, item_id: str, customer_id: str, where: str) -> str:
        """The QuickBooks item of a line whose platform item QuickBooks lacks (``where`` names
        the line, e.g. ``invoice INV-7 line 2``): found or created, linked when it is the item,
        and said in the run log when created, with every change made to its name."""
        item = ctx.platform.item(item_id)
        customer = None
        if uses_customer(self.template):
            if customer_id not in self._customers:
                self._customers[customer_id] = ctx.platform.customer(customer_id)
            customer = self._customers[customer_id]
        try:
            product = self.product_for(item, customer)
        except MappingError as error:
            raise MappingError(f"{where}: {error}") from None
        if product.is_item and item.id not in self._linked:
            ctx.records.synced(ITEM_ENTITY, item.id, remote_id=product.id)
            self._linked.add(item.id)
        if product.created:
            message = (
                f"{where}: created QuickBooks product {product.name.name!r} (Id {product.id}) "
                f"for platform item {item.name!r}"
            )
            if product.name.changes:
                ctx.log.warning("%s; %s", message, product.name.note())
            else:
                ctx.log.info("%s", message)
        return product.id

    def product_for(self, item: Item, customer: Customer | None) -> Product:
        """The QuickBooks item named by the template for ``item``: found, else created."""
        name = clean_name(expand(self.template, item, customer))
        is_item = name.name == item.name
        key = name.name.casefold()
        if key not in self._ids:
            found = self._find(name.name)
            if found is not None:
                self._ids[key] = found
            else:
                self._ids[key] = self._create(name.name, item)
                return Product(self._ids[key], name, created=True, is_item=is_item)
        return Product(self._ids[key], name, created=False, is_item=is_item)

    def _find(self, name: str) -> str | None:
        rows = self.client.query(f"SELECT * FROM Item WHERE Name = {quote(name)}")
        return next((str(row["Id"]) for row in rows), None)

    def _create(self, name: str, item: Item) -> str:
        body: dict[str, Any] = {
            "Name": name,
            "Type": "Service",
            "IncomeAccountRef": {"value": self.income_account()},
            "UnitPrice": float(item.price),
        }
        if item.description:
            body["Description"] = item.description[:DESCRIPTION_MAX]
        try:
            return str(self.client.create("Item", body)["Id"])
        except QBOError as error:
            # Another run created it between our query and our create: it is the same product.
            found = self._find(name) if error.code == DUPLICATE_NAME else None
            if found is None:
                raise
            return found

    def income_account(self) -> str:
        """The income account of new products (configured, else Services, else Sales)."""
        if self.income_account_id:
            return self.income_account_id
        if self._account is None:
            rows = list(self.client.query("SELECT * FROM Account WHERE AccountType = 'Income'"))
            for name, subtype in _INCOME_ACCOUNTS:
                match = next(
                    (
                        row
                        for row in rows
                        if str(row.get("Name", "")).strip().casefold() == name
                        or row.get("AccountSubType") == subtype
                    ),
                    None,
                )
                if match is not None:
                    self._account = str(match["Id"])
                    break
            else:
                raise MappingError(
                    "no income account for products created in QuickBooks: the company has no "
                    f"'Services' or 'Sales of Product Income' income account; set {ACCOUNT_FIELD}"
                )
        return self._account
