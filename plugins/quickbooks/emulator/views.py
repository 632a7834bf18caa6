"""A small HTML view of a company, standing in for the QBO web app.

The connector's "View in QuickBooks" link points at ``/app/invoice?txnId=<id>&realmId=<realm>``
(the real app's deep link, facts §8, plus the realm since the emulator has no signed-in user to
pick a company). Templates are Jinja with autoescaping, so names a client wrote are shown, never
interpreted.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from . import accounting, entities
from .companies import Company

views_blueprint = Blueprint("qbo_views", __name__, template_folder="templates")


def _company(realm_id: str | None) -> Company:
    company = current_app.extensions["qbo_emulator"].companies.get(realm_id or "")
    if company is None:
        abort(404, description=f"No company with realmId {realm_id!r}")
    return company


@views_blueprint.get("/app/companies/<realm_id>")
def company_page(realm_id: str) -> str:
    """Customers, items, invoices and payments of one company."""
    company = _company(realm_id)
    return render_template(
        "qbo_company.html",
        company=company,
        customers=accounting.rows(company, entities.CUSTOMER),
        items=accounting.rows(company, entities.ITEM),
        invoices=accounting.rows(company, entities.INVOICE),
        payments=accounting.rows(company, entities.PAYMENT),
    )


@views_blueprint.get("/app/invoice")
def invoice_page() -> str:
    """One invoice: header, lines, tax, totals and the payments linked to it."""
    company = _company(request.args.get("realmId"))
    txn_id = request.args.get("txnId", "")
    with company.lock:
        invoice = company.store.get("Invoice", txn_id)
    if invoice is None:
        abort(404, description=f"No invoice {txn_id!r} in company {company.realm_id}")
    return render_template("qbo_invoice.html", company=company, invoice=invoice)
