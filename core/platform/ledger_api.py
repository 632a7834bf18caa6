"""The embedded ledger's JSON REST API (``/api/v1/ledger``), one tenant per API user.

What the REST adapter (:mod:`core.platform.rest`) speaks, and what a platform's own scripts may
call: the records of the platform port plus the platform-side operations (create invoices, send,
void, record payments). Replies are ``{"data": ...}``; refusals are
``{"errors": [{"field": "/lines/0/quantity", "message": "..."}]}`` with 422 for bad input, 404
for an unknown id (also one of another tenant: the API never says it exists), 401 without valid
credentials. A 404 error also carries the record's ``kind`` and ``id``.

Authentication is HTTP Basic as ``login@clientcode`` and its password, or a tenant's API token
(``Authorization: Bearer``, :mod:`core.api_tokens`), on every request. The
browser session cookie of the admin pages is never consulted, so a page cannot be tricked into
calling this API with the signed-in user's rights (which is also why CSRF tokens do not apply).
Records and inputs cross the wire through :mod:`core.platform.codec`.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from core import api_tokens
from core.jsonpointer import pointer_from_path
from core.platform import codec
from core.platform.ledger import INVOICE_FIELDS
from core.platform.port import (
    CustomerInput,
    InvoiceStatus,
    ItemInput,
    PaymentInput,
    PaymentOrigin,
    PlatformError,
    RecordKind,
    SyncState,
    SyncStatus,
    TaxRateInput,
)


@dataclass(frozen=True)
class NewSubsidiary:
    """The body of ``POST /subsidiaries``."""

    name: str


@dataclass(frozen=True)
class NewInvoicePdf:
    """The body of ``PUT /invoices/<id>/pdf``: who rendered it, and the PDF as base64."""

    source: str
    content: bytes


ledger_api = Blueprint("ledger_api", __name__, url_prefix="/api/v1/ledger")

_NOT_FOUND = re.compile(r"^no (\w+) (.+)$")
REALM = 'Basic realm="ledger", charset="UTF-8"'
VERIFIED_FOR_SECONDS = 60.0


class VerifiedCredentials:
    """Credentials that passed the password check in the last minute, per app.

    The check is a deliberately slow hash (about 0.1 s), and a sync job calls the API hundreds
    of times; so a success is remembered for ``VERIFIED_FOR_SECONDS``. Entries are keyed by an
    HMAC under a random per-process key, so the cache holds neither a password nor a hash that
    could be attacked offline. Failures are never cached: every wrong guess pays the full check.
    """

    def __init__(self, ttl: float = VERIFIED_FOR_SECONDS, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        message = f"{username}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def tenant(self, username: str, password: str) -> int | None:
        """The tenant of credentials verified recently, else None."""
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[1] < time.monotonic():
                self._entries.pop(digest, None)
                return None
            return entry[0]

    def remember(self, username: str, password: str, tenant_id: int) -> None:
        digest = self._digest(username, password)
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[digest] = (tenant_id, time.monotonic() + self.ttl)


# Authentication and errors ------------------------------------------------------------------


@ledger_api.before_request
def authenticate() -> Response | None:
    """Every call needs Basic credentials of an API user; they decide the tenant."""
    credentials = request.authorization
    tenant_id = None
    if credentials is not None and credentials.type == "basic":
        tenant_id = _tenant_of(credentials.username or "", credentials.password or "")
    elif credentials is not None and credentials.type == "bearer" and credentials.token:
        with _services().db.session() as session:
            owner = api_tokens.authenticate(session, credentials.token)
        tenant_id = owner.tenant_id if owner is not None else None
    if tenant_id is None:
        message = (
            "sign in with HTTP Basic as login@clientcode and the API password, "
            "or send Authorization: Bearer <API token>"
        )
        response = _errors(401, [{"field": None, "message": message}])
        response.headers["WWW-Authenticate"] = REALM
        return response
    g.ledger = _services().ledger(tenant_id)
    return None


def _tenant_of(username: str, password: str) -> int | None:
    verified = current_app.extensions.setdefault("ledger_api.verified", VerifiedCredentials())
    tenant_id = verified.tenant(username, password)
    if tenant_id is None:
        tenant_id = _services().check_api_user(username, password)
        if tenant_id is not None:
            verified.remember(username, password, tenant_id)
    return tenant_id


@ledger_api.errorhandler(PlatformError)
def refused(exc: PlatformError) -> Response:
    """The ledger's refusal as JSON: every field at fault, or the record that is missing."""
    if isinstance(exc, codec.InvalidInput):
        entries = [{"field": e.field, "message": e.message} for e in exc.errors]
        return _errors(422, entries)
    entry: dict[str, Any] = {"field": _pointer(exc.field), "message": exc.message}
    if exc.status == 404:
        entry.update(_missing_record(exc.message))
    return _errors(exc.status, [entry])


def _pointer(field: str | None) -> str | None:
    """The ledger names fields ``lines/0/quantity``; the API as JSON pointers, with a slash."""
    if field is None or field.startswith(("/", "?")):
        return field
    return "/" + field


def _missing_record(message: str) -> dict[str, str]:
    """The kind and id of a ``RecordNotFound`` (``no customer 'c-1'``), when it says them."""
    match = _NOT_FOUND.match(message)
    if match is None:
        return {}
    try:
        record_id = ast.literal_eval(match[2])
    except (ValueError, SyntaxError):
        return {}
    return {"kind": match[1], "id": record_id} if isinstance(record_id, str) else {}


def _errors(status: int, entries: list[dict[str, Any]]) -> Response:
    response = jsonify(errors=entries)
    response.status_code = status
    return response


def _services() -> Any:
    return current_app.extensions["integrations"]


def _ledger() -> Any:
    return g.ledger


# Reading requests ---------------------------------------------------------------------------


def _data(value: Any, status: int = 200) -> Response:
    response = jsonify(data=codec.encode(value))
    response.status_code = status
    return response


def _query(*allowed: str) -> None:
    """Refuse query parameters this route does not know (a typo would silently match all)."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise codec.InvalidInput(
            [codec.FieldError(f"?{name}", "is not a known query parameter") for name in unknown]
        )


def _single(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise codec.InvalidInput([codec.FieldError(f"?{name}", "may be given only once")])
    return values[0] if values else None


def _since() -> datetime | None:
    value = _single("changed_since")
    return None if value is None else codec.decode_value(datetime, value, "?changed_since")


def _choice(name: str, choices: Any) -> str | None:
    value = _single(name)
    return None if value is None else codec.decode_value(choices, value, f"?{name}")


def _repeated(name: str, choices: Any = str) -> tuple[Any, ...] | None:
    values = request.args.getlist(name)
    if not values:
        return None
    return tuple(codec.decode_value(choices, v, f"?{name}") for v in values)


def _body() -> Any:
    """The request's JSON document; numbers are read as exact decimals, never floats."""
    if not request.is_json:
        raise codec.InvalidInput([codec.FieldError("", "send a JSON object (application/json)")])
    try:
        return json.loads(request.get_data(as_text=True), parse_float=Decimal)
    except ValueError as exc:
        raise codec.InvalidInput([codec.FieldError("", f"is not valid JSON: {exc}")]) from exc


def _input(cls: type, current: Any = None) -> Any:
    """The body as a ``cls`` input; with ``current`` (PATCH) the body's fields change it."""
    body = _body()
    if current is not None and isinstance(body, dict):
        names = {f for f in cls.__dataclass_fields__}
        body = {**{k: v for k, v in codec.encode(current).items() if k in names}, **body}
    return codec.decode(cls, body)


def _update(cls: type, read: Callable[[str], Any], write: Callable[[str, Any], Any], rid: str):
    """PUT replaces every field (defaults for those left out); PATCH changes only those sent."""
    current = read(rid) if request.method == "PATCH" else None
    return _data(write(rid, _input(cls, current)))


# Account ------------------------------------------------------------------------------------


@ledger_api.get("/account")
def account() -> Response:
    _query()
    return _data(_ledger().account())


@ledger_api.get("/subsidiaries")
def subsidiaries() -> Response:
    _query()
    return _data(_ledger().subsidiaries())


@ledger_api.post("/subsidiaries")
def create_subsidiary() -> Response:
    _query()
    return _data(_ledger().create_subsidiary(_input(NewSubsidiary).name), 201)


# Customers ----------------------------------------------------------------------------------


@ledger_api.get("/customers")
def customers() -> Response:
    _query("changed_since", "email")
    email, since = _single("email"), _since()
    if email is not None and since is not None:
        problem = codec.FieldError("?email", "cannot be combined with ?changed_since")
        raise codec.InvalidInput([problem])
    if email is not None:
        return _data(_ledger().find_customers_by_email(email))
    return _data(_ledger().customers(changed_since=since))


@ledger_api.get("/customers/<customer_id>")
def customer(customer_id: str) -> Response:
    _query()
    return _data(_ledger().customer(customer_id))


@ledger_api.post("/customers")
def create_customer() -> Response:
    _query()
    return _data(_ledger().create_customer(_input(CustomerInput)), 201)


@ledger_api.route("/customers/<customer_id>", methods=["PUT", "PATCH"])
def update_customer(customer_id: str) -> Response:
    _query()
    ledger = _ledger()
    return _update(CustomerInput, ledger.customer, ledger.update_customer, customer_id)


# Items and tax rates ------------------------------------------------------------------------


@ledger_api.get("/items")
def items() -> Response:
    _query("changed_since")
    return _data(_ledger().items(changed_since=_since()))


@ledger_api.get("/items/<item_id>")
def item(item_id: str) -> Response:
    _query()
    return _data(_ledger().item(item_id))


@ledger_api.post("/items")
def create_item() -> Response:
    _query()
    return _data(_ledger().create_item(_input(ItemInput)), 201)


@ledger_api.route("/items/<item_id>", methods=["PUT", "PATCH"])
def update_item(item_id: str) -> Response:
    _query()
    return _update(ItemInput, _ledger().item, _ledger().update_item, item_id)


@ledger_api.get("/tax-rates")
def tax_rates() -> Response:
    _query()
    return _data(_ledger().tax_rates())


@ledger_api.get("/tax-rates/<tax_rate_id>")
def tax_rate(tax_rate_id: str) -> Response:
    _query()
    return _data(_ledger().tax_rate(tax_rate_id))


@ledger_api.post("/tax-rates")
def create_tax_rate() -> Response:
    _query()
    return _data(_ledger().create_tax_rate(_input(TaxRateInput)), 201)


@ledger_api.route("/tax-rates/<tax_rate_id>", methods=["PUT", "PATCH"])
def update_tax_rate(tax_rate_id: str) -> Response:
    _query()
    return _update(TaxRateInput, _ledger().tax_rate, _ledger().update_tax_rate, tax_rate_id)


# Invoices -----------------------------------------------------------------------------------


@ledger_api.get("/invoices")
def invoices() -> Response:
    _query("status", "changed_since", "id")
    found = _ledger().invoices(
        statuses=_repeated("status", InvoiceStatus),
        changed_since=_since(),
        ids=_repeated("id"),
    )
    return _data(found)


@ledger_api.get("/invoices/<invoice_id>")
def invoice(invoice_id: str) -> Response:
    _query()
    return _data(_ledger().invoice(invoice_id))


@ledger_api.post("/invoices")
def create_invoice() -> Response:
    """A draft invoice: ``customer_id``, ``lines`` and any other invoice field."""
    _query()
    fields = _invoice_fields(required=("customer_id", "lines"))
    customer_id, lines = fields.pop("customer_id"), fields.pop("lines")
    return _data(_ledger().create_invoice(customer_id, lines, **fields), 201)


@ledger_api.patch("/invoices/<invoice_id>")
def update_invoice(invoice_id: str) -> Response:
    """Change the fields sent; the totals are recomputed."""
    _query()
    return _data(_ledger().update_invoice(invoice_id, **_invoice_fields()))


@ledger_api.post("/invoices/<invoice_id>/send")
def send_invoice(invoice_id: str) -> Response:
    _query()
    return _data(_ledger().send_invoice(invoice_id))


@ledger_api.get("/invoices/<invoice_id>/pdf")
def invoice_pdf(invoice_id: str) -> Response:
    """The stored document (``data`` is null when the platform renders its own)."""
    _query()
    return _data(_ledger().invoice_pdf(invoice_id))


@ledger_api.put("/invoices/<invoice_id>/pdf")
def set_invoice_pdf(invoice_id: str) -> Response:
    _query()
    body = _input(NewInvoicePdf)
    _ledger().set_invoice_pdf(invoice_id, body.content, body.source)
    return Response(status=204)


@ledger_api.post("/invoices/<invoice_id>/void")
def void_invoice(invoice_id: str) -> Response:
    _query()
    return _data(_ledger().void_invoice(invoice_id))


def _invoice_fields(required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body's invoice fields; the ledger checks their values and names the one at fault."""
    body = _body()
    if not isinstance(body, dict):
        raise codec.InvalidInput([codec.FieldError("", "must be a JSON object")])
    problems = [codec.FieldError(f"/{n}", "is required") for n in required if n not in body]
    problems += [
        codec.FieldError(pointer_from_path([name]), "is not a field of an invoice")
        for name in sorted(set(body) - INVOICE_FIELDS)
    ]
    if problems:
        raise codec.InvalidInput(problems)
    return body


# Payments -----------------------------------------------------------------------------------


@ledger_api.get("/payments")
def payments() -> Response:
    _query("changed_since", "invoice_id", "origin")
    found = _ledger().payments(
        changed_since=_since(),
        invoice_id=_single("invoice_id"),
        origin=_choice("origin", PaymentOrigin),
    )
    return _data(found)


@ledger_api.get("/payments/<payment_id>")
def payment(payment_id: str) -> Response:
    _query()
    return _data(_ledger().payment(payment_id))


@ledger_api.post("/payments")
def record_payment() -> Response:
    _query()
    return _data(_ledger().record_payment(_input(PaymentInput)), 201)


@ledger_api.route("/payments/<payment_id>", methods=["PUT", "PATCH"])
def update_payment(payment_id: str) -> Response:
    _query()
    return _update(PaymentInput, _ledger().payment, _ledger().update_payment, payment_id)


@ledger_api.delete("/payments/<payment_id>")
def delete_payment(payment_id: str) -> Response:
    _query()
    _ledger().delete_payment(payment_id)
    return Response(status=204)


# Sync states --------------------------------------------------------------------------------


@ledger_api.get("/sync-states")
def sync_states() -> Response:
    _query("installation_id", "kind", "status", "record_id")
    raw = _single("installation_id")
    if raw is None or not raw.isdigit():
        problem = "is required" if raw is None else f"{raw!r} is not an installation id"
        raise codec.InvalidInput([codec.FieldError("?installation_id", problem)])
    found = _ledger().sync_states(
        int(raw),
        kind=_choice("kind", RecordKind),
        status=_choice("status", SyncStatus),
        record_ids=_repeated("record_id"),
    )
    return _data(found)


@ledger_api.put("/sync-states")
def set_sync_state() -> Response:
    _query()
    _ledger().set_sync_state(_input(SyncState))
    return Response(status=204)
