"""Action ``copy_invoice``: one platform invoice copied to QuickBooks now, on the admin's terms.

Unlike the export job (which keeps *the* QuickBooks invoice of a platform invoice in step), a
copy is a separate QuickBooks invoice made on request, with a customer and a tax code chosen at
that moment. Parameters:

* ``invoice_id`` (required): the platform invoice.
* ``customer_id``: a **QuickBooks** Customer Id, the customer the copy is billed to (the admin
  picks it among QuickBooks' customers, as the tax code). Blank: the invoice's own customer,
  found or created in QuickBooks by the installation's customer policy (``resolve_customer``).
* ``tax_code``: a QuickBooks TaxCode Id applied to every line (US companies: lines ``TAX`` and
  the code as the transaction's sales tax; CA/UK: the code on every line). Blank: no tax (US:
  every line ``NON``; CA/UK: the company's zero-rate code on every line).
* ``mode``: what to do when the invoice was copied before. Without it, such a copy is refused
  (``ok`` false) and ``details`` offers ``update_existing`` (the last copy, with its QuickBooks
  id) and ``create_new``. ``update_existing`` sparse-updates the last copy (its number is
  kept); ``create_new`` makes another one.

Numbers: QuickBooks refuses a DocNumber already used when the company's duplicate check is on
(6140), and the export job's invoice already carries the platform's number. So copy *n* is
numbered ``<prefix><number>-C<n>`` (fitted to 21 characters keeping the end, so the suffix
survives); when QuickBooks numbers invoices (``/invoices/numbering``), none is sent and
QuickBooks assigns one. A number QuickBooks still refuses comes back as the action's message.

Each copy is a record link of entity ``invoice_copy`` with local id ``<invoice id>/<n>``: the
last copy is the highest ``n``. The private note says which copy of which platform invoice it
is, worded so the export job never mistakes a copy for its own interrupted write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from core.connector import Action, ActionResult
from core.platform.port import Invoice, PlatformError
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.qbo_errors import NotFoundError, QBOError
from plugins.quickbooks.sync.customers import CustomerNotInQuickBooks
from plugins.quickbooks.sync.export_invoices import InvoiceExport
from plugins.quickbooks.sync.invoice_mapping import (
    US_TAXABLE,
    MappingError,
    Resolved,
    fit_doc_number,
    invoice_body,
    private_note,
)
from plugins.quickbooks.sync.session import invoice_url, qbo_client

if TYPE_CHECKING:
    from core.runner import JobContext

ACTION_KEY = "copy_invoice"
ENTITY = "invoice_copy"
UPDATE_EXISTING = "update_existing"
CREATE_NEW = "create_new"
MODES = (UPDATE_EXISTING, CREATE_NEW)
_US_PSEUDO_CODES = frozenset({"TAX", "NON", "CustomSalesTax"})

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_id": {"type": "string", "title": "Invoice", "minLength": 1, "maxLength": 100},
        "customer_id": {
            "type": "string",
            "title": "QuickBooks customer ID",
            "description": "Blank: the invoice's customer, found or created by the policy.",
            "maxLength": 64,
        },
        "tax_code": {
            "type": "string",
            "title": "QuickBooks tax code ID",
            "description": "Applied to every line; blank: no tax.",
            "maxLength": 64,
        },
        "mode": {
            "title": "If it was copied before",
            "description": "update_existing: change the last copy; create_new: make another.",
            "enum": list(MODES),
        },
    },
    "required": ["invoice_id"],
    "additionalProperties": False,
}


class Refused(Exception):
    """A copy that cannot be made; ``field`` names the parameter at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Copy:
    """One earlier copy: its number among the invoice's copies and its QuickBooks invoice."""

    number: int
    remote_id: str
    url: str | None


def copy_invoice(ctx: JobContext, params: Mapping[str, Any]) -> ActionResult:
    """Copy the invoice to QuickBooks (create, or with ``mode`` update the last copy)."""
    invoice_id = str(params["invoice_id"])
    mode = params.get("mode")
    try:
        invoice = _invoice(ctx, invoice_id)
        copies = copies_of(ctx, invoice_id)
        if copies and mode is None:
            return _choose(invoice, copies[-1])
        if mode == UPDATE_EXISTING and not copies:
            raise Refused(f"invoice {invoice.number} has no copy in QuickBooks to update", "mode")
        client = qbo_client(ctx)
        if mode == UPDATE_EXISTING:
            return _update(ctx, client, invoice, copies[-1], params)
        number = copies[-1].number + 1 if copies else 1
        return _create(ctx, client, invoice, number, params)
    except Refused as refused:
        prefix = f"{refused.field}: " if refused.field else ""
        return ActionResult(
            ok=False, message=prefix + refused.message, details={"field": refused.field}
        )
    except QBOError as error:
        if error.connection_level:
            raise
        return ActionResult(ok=False, message=f"QuickBooks refused the copy: {error.describe()}")


def copies_of(ctx: JobContext, invoice_id: str) -> list[Copy]:
    """The invoice's earlier copies, oldest first."""
    prefix = f"{invoice_id}/"
    found = []
    for link in ctx.records.links(ENTITY, status="synced"):
        ordinal = link.local_id.removeprefix(prefix)
        if link.local_id.startswith(prefix) and ordinal.isdigit() and link.remote_id:
            found.append(Copy(int(ordinal), link.remote_id, link.external_url))
    return sorted(found, key=lambda copy: copy.number)


def _invoice(ctx: JobContext, invoice_id: str) -> Invoice:
    try:
        invoice = ctx.platform.invoice(invoice_id)
    except PlatformError as error:
        raise Refused(error.message, "invoice_id") from None
    if invoice.status not in ("sent", "paid"):
        raise Refused(
            f"invoice {invoice.number} is {invoice.status}: only sent invoices go to QuickBooks",
            "invoice_id",
        )
    return invoice


def _choose(invoice: Invoice, last: Copy) -> ActionResult:
    """The answer to a second copy without a mode: the two ways on, and the last copy."""
    return ActionResult(
        ok=False,
        message=(
            f"invoice {invoice.number} was already copied to QuickBooks (invoice "
            f"{last.remote_id}); choose mode update_existing to change that copy or "
            "create_new to make another"
        ),
        details={
            "choices": list(MODES),
            "update_existing": {"remote_id": last.remote_id, "copy": last.number, "url": last.url},
        },
    )


def _create(
    ctx: JobContext, client: QBOClient, invoice: Invoice, number: int, params: Mapping[str, Any]
) -> ActionResult:
    body = copy_body(ctx, client, invoice, number, params)
    created = client.create("Invoice", body)
    return _done(ctx, client, invoice, number, created, "created")


def _update(
    ctx: JobContext, client: QBOClient, invoice: Invoice, last: Copy, params: Mapping[str, Any]
) -> ActionResult:
    body = copy_body(ctx, client, invoice, last.number, params)
    body.pop("DocNumber", None)  # the copy keeps the number it was given
    try:
        current = client.read("Invoice", last.remote_id)
    except NotFoundError:
        raise Refused(
            f"the last copy (QuickBooks invoice {last.remote_id}) is gone from QuickBooks; "
            "use create_new",
            "mode",
        ) from None
    updated = client.sparse_update("Invoice", last.remote_id, str(current["SyncToken"]), body)
    return _done(ctx, client, invoice, last.number, updated, "updated")


def _done(
    ctx: JobContext,
    client: QBOClient,
    invoice: Invoice,
    number: int,
    remote: Mapping[str, Any],
    what: str,
) -> ActionResult:
    remote_id = str(remote["Id"])
    url = invoice_url(ctx, client, remote_id)
    ctx.records.synced(
        ENTITY,
        f"{invoice.id}/{number}",
        remote_id=remote_id,
        remote_version=str(remote.get("SyncToken", "")),
        url=url,
    )
    doc_number = str(remote.get("DocNumber") or "")
    return ActionResult(
        ok=True,
        message=(
            f"invoice {invoice.number} {what} in QuickBooks as invoice {remote_id}"
            + (f" (number {doc_number})" if doc_number else "")
        ),
        details={
            "remote_id": remote_id,
            "doc_number": doc_number,
            "copy": number,
            "total": str(remote.get("TotalAmt", "")),
            "url": url,
            "mode": what,
        },
    )


def copy_body(
    ctx: JobContext,
    client: QBOClient,
    invoice: Invoice,
    number: int,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The QuickBooks Invoice body of copy ``number`` with the chosen customer and tax code."""
    export = InvoiceExport(ctx, client)
    settings = replace(export.settings, tax_item="")
    tax_code = _tax_code(client, str(params.get("tax_code") or "").strip(), settings.region)
    untaxed = replace(
        invoice,
        tax_rate_id=None,
        lines=tuple(replace(line, taxable=False, tax_rate_id=None) for line in invoice.lines),
    )
    chosen = str(params.get("customer_id") or "").strip()
    try:
        if chosen:
            resolved = Resolved(
                customer_id=_chosen_customer(client, chosen),
                item_ids=_items(export, untaxed),
                tax_rates={},
                tax_codes=export.tax_codes() if settings.region != "US" else (),
            )
        else:
            resolved = export.resolve(untaxed)  # the customer by the installation's policy
        body = invoice_body(untaxed, resolved, settings)
    except CustomerNotInQuickBooks:
        raise Refused(
            "the invoice's customer is not in QuickBooks and the customer policy does not "
            "create customers; choose a QuickBooks customer",
            "customer_id",
        ) from None
    except MappingError as error:
        raise Refused(str(error)) from None
    if tax_code:
        _apply_tax_code(body, tax_code, settings.region)
    body["PrivateNote"] = f"{private_note(invoice)}, copy {number}"
    if "DocNumber" in body and settings.numbering != "quickbooks":
        body["DocNumber"] = fit_doc_number(f"{settings.number_prefix}{invoice.number}-C{number}")
    return body


def _items(export: InvoiceExport, invoice: Invoice) -> tuple[str, ...]:
    """The QuickBooks item of each line, found as the export job finds them."""
    return tuple(
        # The export job's own rule per line (linked, by name, created, or unmatched item).
        export._item_for(line, number, invoice)
        for number, line in enumerate(invoice.lines, start=1)
    )


def _chosen_customer(client: QBOClient, chosen: str) -> str:
    try:
        row = client.read("Customer", chosen)
    except NotFoundError:
        raise Refused(f"QuickBooks has no customer {chosen!r}", "customer_id") from None
    if row.get("Active") is False:
        raise Refused(f"QuickBooks customer {chosen!r} is inactive", "customer_id")
    return str(row["Id"])


def _tax_code(client: QBOClient, chosen: str, region: str) -> str:
    if not chosen:
        return ""
    if region == "US" and chosen in _US_PSEUDO_CODES:
        raise Refused(
            f"{chosen} marks lines in US companies; choose a sales tax code (or none for no tax)",
            "tax_code",
        )
    try:
        row = client.read("TaxCode", chosen)
    except NotFoundError:
        raise Refused(f"QuickBooks has no tax code {chosen!r}", "tax_code") from None
    if row.get("Active") is False:
        raise Refused(f"QuickBooks tax code {chosen!r} is inactive", "tax_code")
    return str(row["Id"])


def _apply_tax_code(body: dict[str, Any], tax_code: str, region: str) -> None:
    """Every sales line taxed by ``tax_code`` (US: ``TAX`` lines and the transaction's code)."""
    line_code = US_TAXABLE if region == "US" else tax_code
    for line in body["Line"]:
        detail = line.get("SalesItemLineDetail")
        if detail is not None:
            detail["TaxCodeRef"] = {"value": line_code}
    if region == "US":
        body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": tax_code}}


COPY_INVOICE = Action(
    key=ACTION_KEY,
    title="Copy an invoice to QuickBooks",
    run=copy_invoice,
    description="Copies one invoice to QuickBooks now with a customer and tax code chosen for "
    'it ({"invoice_id": ..., "customer_id": QuickBooks customer or blank for the policy, '
    '"tax_code": QuickBooks tax code or blank for no tax}); an invoice copied before needs '
    '"mode": "update_existing" (the last copy) or "create_new".',
    params_schema=PARAMS_SCHEMA,
)
