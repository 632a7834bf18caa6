"""The Accounting API routes under ``/v3/company/<realmId>`` (facts §2, §4).

Authentication, throttling, planned faults and request logging happen before these routes, in
the gate; here the caller is authorised for ``realm_id``. Every error is a raised
:class:`~.faults.QBOFault` (the app renders it); every reply is ``{"<Entity>": ..., "time": ...}``
like QBO's. ``minorversion`` is accepted and ignored (since 2025 QBO serves every request as 75).
A ``requestid`` makes any request idempotent within the company.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from . import accounting, batch, cdc, faults, idempotency, pdf, rules, values
from .companies import Company
from .entities import BY_PATH, COMPANY_INFO, INVOICE, SALES_RECEIPT, Entity, Kind
from .queries import run_query

accounting_blueprint = Blueprint("qbo_accounting", __name__, url_prefix="/v3/company/<realm_id>")

_PDF_TITLES = {INVOICE.name: "Invoice", SALES_RECEIPT.name: "Sales Receipt"}


def _now() -> datetime:
    return current_app.extensions["qbo_emulator"].clock.now()


def _company(realm_id: str) -> Company:
    company = current_app.extensions["qbo_emulator"].companies.get(realm_id)
    if company is None:
        raise faults.not_found("Company", realm_id)
    return company


def _entity(path: str) -> Entity:
    entity = BY_PATH.get(path)
    if entity is None:
        raise faults.validation(
            500,
            "Unsupported Operation",
            f"Operation on {path!r} is not supported: no such entity (entity paths are "
            "lower-case, e.g. invoice, salesreceipt)",
        )
    return entity


def _json(payload: dict, status: int = 200) -> Response:
    body = {**payload, "time": values.response_time(_now())}
    return Response(json.dumps(body), status, content_type="application/json;charset=UTF-8")


def _text_body() -> str:
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as error:
        raise faults.validation(
            500,
            "Unsupported Operation",
            f"Unsupported Operation: MalformedByteSequenceException: {error}",
        ) from None


def _json_body() -> Any:
    text = _text_body()
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise faults.validation(
            2010,
            "Request has invalid or unsupported property",
            f"Request body is not valid JSON: {error}",
        ) from None


def _include() -> set[str]:
    return {part.strip().lower() for part in request.args.get("include", "").split(",") if part}


def _respond(realm_id: str, handle: Callable[[Company], Response]) -> Response:
    """Run ``handle`` for the realm, once per ``requestid`` when one is given."""
    company = _company(realm_id)
    request_id = request.args.get("requestid")
    if request_id is None:
        return handle(company)
    return idempotency.once(company, request_id, lambda: handle(company))


@accounting_blueprint.post("/<entity_path>")
def write(realm_id: str, entity_path: str) -> Response:
    """Create, update (full/sparse), delete or void, by ``operation`` and ``include``."""

    def handle(company: Company) -> Response:
        entity = _entity(entity_path)
        body = _json_body()
        if not isinstance(body, dict):
            raise faults.validation(
                2010, "Request has invalid or unsupported property", "Expected a JSON object"
            )
        operation = request.args.get("operation", "").lower()
        include = _include()
        now = _now()
        if operation == "delete":
            result = accounting.delete(company, entity, body, now)
        elif operation == "void":
            result = accounting.void(company, entity, body, now)
        elif operation == "update" or (
            operation == "" and (entity.kind is Kind.SINGLETON or values.ref_value(body.get("Id")))
        ):
            result = accounting.update(company, entity, body, now, include)
        elif operation in ("", "create"):
            result = accounting.create(company, entity, body, now, include)
        else:
            raise rules.unsupported(operation, entity.name)
        return _json({entity.name: result})

    return _respond(realm_id, handle)


@accounting_blueprint.get("/<entity_path>")
def read_singleton(realm_id: str, entity_path: str) -> Response:
    """``GET /preferences`` (and ``/companyinfo``): the company's one object of that kind."""

    def handle(company: Company) -> Response:
        entity = _entity(entity_path)
        if entity.kind is not Kind.SINGLETON:
            raise rules.unsupported("Read without an Id", entity.name)
        return _json({entity.name: accounting.read(company, entity, accounting.SINGLETON_ID)})

    return _respond(realm_id, handle)


@accounting_blueprint.get("/<entity_path>/<entity_id>")
def read(realm_id: str, entity_path: str, entity_id: str) -> Response:
    """One object by Id; ``/companyinfo/<realmId>`` reads CompanyInfo."""

    def handle(company: Company) -> Response:
        entity = _entity(entity_path)
        wanted = entity_id
        if entity is COMPANY_INFO and entity_id == company.realm_id:
            wanted = accounting.SINGLETON_ID
        return _json({entity.name: accounting.read(company, entity, wanted)})

    return _respond(realm_id, handle)


@accounting_blueprint.route("/query", methods=["GET", "POST"])
def query(realm_id: str) -> Response:
    """``GET ?query=`` or ``POST`` with the statement as an ``application/text`` body."""

    def handle(company: Company) -> Response:
        text = request.args.get("query") if request.method == "GET" else _text_body()
        if not text or not text.strip():
            raise faults.required("query")
        return _json({"QueryResponse": run_query(company, text, _now())})

    return _respond(realm_id, handle)


@accounting_blueprint.post("/batch")
def batch_request(realm_id: str) -> Response:
    """Up to 30 independent items; each answered by its ``bId``."""
    return _respond(realm_id, lambda company: _json(batch.run(company, _json_body(), _now())))


@accounting_blueprint.get("/cdc")
def change_data_capture(realm_id: str) -> Response:
    """Objects of ``entities`` changed since ``changedSince`` (≤ 30 days), deletions included."""

    def handle(company: Company) -> Response:
        now = _now()
        wanted = cdc.parse_entities(request.args.get("entities"))
        since = cdc.parse_since(request.args.get("changedSince"), now)
        return _json({"CDCResponse": cdc.changes(company, wanted, since)})

    return _respond(realm_id, handle)


@accounting_blueprint.get("/<entity_path>/<entity_id>/pdf")
def download_pdf(realm_id: str, entity_path: str, entity_id: str) -> Response:
    """The form as a PDF document (Invoice, SalesReceipt)."""

    def handle(company: Company) -> Response:
        entity = _entity(entity_path)
        if entity.name not in _PDF_TITLES:
            raise rules.unsupported("PDF", entity.name)
        form = accounting.read(company, entity, entity_id)
        document = pdf.render(company.name, _PDF_TITLES[entity.name], form)
        return Response(document, 200, content_type="application/pdf")

    return _respond(realm_id, handle)


@accounting_blueprint.post("/<entity_path>/<entity_id>/send")
def send(realm_id: str, entity_path: str, entity_id: str) -> Response:
    """E-mail an invoice (``sendTo`` optional); returns the updated Invoice."""

    def handle(company: Company) -> Response:
        entity = _entity(entity_path)
        if entity is not INVOICE:
            raise rules.unsupported("Send", entity.name)
        result = accounting.send(company, entity_id, request.args.get("sendTo"), _now())
        return _json({INVOICE.name: result})

    return _respond(realm_id, handle)
