"""The REST adapter: the platform port over the ledger's JSON API (``/api/v1/ledger``).

For deployments where the integrations service runs beside the platform rather than inside it.
The adapter answers exactly like the embedded ledger (the contract tests run the same checks
through both): the same records, the same order, and the same exceptions: a 404 naming a record
becomes :class:`RecordNotFound`, a refused input a :class:`PlatformError` naming the field.

Every request has a timeout; a connection that cannot be opened is tried once more (nothing was
sent, so nothing can be done twice) and nothing else is retried. Any reply the adapter does not
understand becomes a :class:`PlatformError` naming the method, the URL path and the status.
The password is sent as HTTP Basic credentials and appears in no message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from core.platform import codec
from core.platform.port import (
    Customer,
    CustomerInput,
    Invoice,
    InvoicePdf,
    InvoiceStatus,
    Item,
    ItemInput,
    Payment,
    PaymentInput,
    PaymentOrigin,
    PlatformAccount,
    PlatformError,
    RecordKind,
    RecordNotFound,
    Subsidiary,
    SyncState,
    SyncStatus,
    TaxRate,
    TaxRateInput,
)

API_PREFIX = "/api/v1/ledger"
DEFAULT_TIMEOUT = 15.0
CONNECT_TIMEOUT = 5.0

Params = list[tuple[str, str]]


class RestPlatform:
    """One tenant's platform, reached at ``base_url`` as ``username`` (``login@clientcode``).

    ``base_url`` is the platform's root (``https://platform.example``); the ledger API lives
    under ``/api/v1/ledger`` there.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        tenant_id: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.base_url = base_url.rstrip("/")
        self._path_prefix = httpx.URL(self.base_url).path.rstrip("/") + API_PREFIX
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            auth=httpx.BasicAuth(username, password),
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
            transport=transport or httpx.HTTPTransport(retries=1),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        """Release the pooled connections."""
        self._http.close()

    def __enter__(self) -> RestPlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RestPlatform({self.base_url!r}, tenant_id={self.tenant_id})"

    # The wire ---------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
    ) -> Any:
        """Send one request; the reply's ``data``, or the platform's refusal as an exception."""
        where = f"{method} {self._path_prefix}{path}"
        try:
            response = self._http.request(
                method, path, params=params, json=None if body is None else codec.encode(body)
            )
        except httpx.TimeoutException as exc:
            raise PlatformError(
                f"{where}: the platform at {self.base_url} did not answer in time ({exc})",
                status=504,
            ) from exc
        except httpx.TransportError as exc:
            raise PlatformError(
                f"{where}: cannot reach the platform at {self.base_url} ({exc})", status=503
            ) from exc
        if response.status_code == 204:
            return None
        payload = _json_or_none(response)
        if response.is_success and isinstance(payload, dict) and "data" in payload:
            return payload["data"]
        raise _refusal(where, response, payload)

    def _decode(self, cls: type, data: Any, where: str) -> Any:
        try:
            return codec.decode(cls, data)
        except codec.InvalidInput as exc:
            raise PlatformError(
                f"{where}: the platform sent a {cls.__name__} this adapter cannot read: "
                f"{exc.message}",
                status=502,
            ) from exc

    def _one(self, cls: type, method: str, path: str, **kwargs: Any) -> Any:
        data = self._request(method, path, **kwargs)
        return self._decode(cls, data, f"{method} {self._path_prefix}{path}")

    def _many(self, cls: type, path: str, params: Params | None = None) -> list[Any]:
        data = self._request("GET", path, params=params)
        return list(self._decode(tuple[cls, ...], data, f"GET {self._path_prefix}{path}"))

    # Account ----------------------------------------------------------------------------------

    def account(self) -> PlatformAccount:
        return self._one(PlatformAccount, "GET", "/account")

    def subsidiaries(self) -> list[Subsidiary]:
        return self._many(Subsidiary, "/subsidiaries")

    # Customers --------------------------------------------------------------------------------

    def customers(self, *, changed_since: datetime | None = None) -> list[Customer]:
        return self._many(Customer, "/customers", _since(changed_since))

    def customer(self, customer_id: str) -> Customer:
        return self._one(Customer, "GET", _path("customers", customer_id))

    def find_customers_by_email(self, email: str) -> list[Customer]:
        return self._many(Customer, "/customers", [("email", email)])

    def create_customer(self, data: CustomerInput) -> Customer:
        return self._one(Customer, "POST", "/customers", body=data)

    def update_customer(self, customer_id: str, data: CustomerInput) -> Customer:
        path = _path("customers", customer_id)
        return self._one(Customer, "PUT", path, body=data)

    # Items and tax rates ----------------------------------------------------------------------

    def items(self, *, changed_since: datetime | None = None) -> list[Item]:
        return self._many(Item, "/items", _since(changed_since))

    def item(self, item_id: str) -> Item:
        return self._one(Item, "GET", _path("items", item_id))

    def create_item(self, data: ItemInput) -> Item:
        return self._one(Item, "POST", "/items", body=data)

    def update_item(self, item_id: str, data: ItemInput) -> Item:
        path = _path("items", item_id)
        return self._one(Item, "PUT", path, body=data)

    def tax_rates(self) -> list[TaxRate]:
        return self._many(TaxRate, "/tax-rates")

    def tax_rate(self, tax_rate_id: str) -> TaxRate:
        path = _path("tax-rates", tax_rate_id)
        return self._one(TaxRate, "GET", path)

    def create_tax_rate(self, data: TaxRateInput) -> TaxRate:
        return self._one(TaxRate, "POST", "/tax-rates", body=data)

    def update_tax_rate(self, tax_rate_id: str, data: TaxRateInput) -> TaxRate:
        path = _path("tax-rates", tax_rate_id)
        return self._one(TaxRate, "PUT", path, body=data)

    # Invoices ---------------------------------------------------------------------------------

    def invoices(
        self,
        *,
        statuses: tuple[InvoiceStatus, ...] | None = None,
        changed_since: datetime | None = None,
        ids: tuple[str, ...] | None = None,
    ) -> list[Invoice]:
        # An empty filter matches nothing; an absent one everything. A query string cannot
        # say "empty list", so the adapter answers that case itself.
        if statuses == () or ids == ():
            return []
        params = _since(changed_since)
        params += [("status", s) for s in statuses or ()]
        params += [("id", i) for i in ids or ()]
        return self._many(Invoice, "/invoices", params)

    def invoice(self, invoice_id: str) -> Invoice:
        path = _path("invoices", invoice_id)
        return self._one(Invoice, "GET", path)

    # Payments ---------------------------------------------------------------------------------

    def payments(
        self,
        *,
        changed_since: datetime | None = None,
        invoice_id: str | None = None,
        origin: PaymentOrigin | None = None,
    ) -> list[Payment]:
        params = _since(changed_since)
        if invoice_id is not None:
            params.append(("invoice_id", invoice_id))
        if origin is not None:
            params.append(("origin", origin))
        return self._many(Payment, "/payments", params)

    def payment(self, payment_id: str) -> Payment:
        path = _path("payments", payment_id)
        return self._one(Payment, "GET", path)

    def record_payment(self, data: PaymentInput) -> Payment:
        return self._one(Payment, "POST", "/payments", body=data)

    def update_payment(self, payment_id: str, data: PaymentInput) -> Payment:
        path = _path("payments", payment_id)
        return self._one(Payment, "PUT", path, body=data)

    def delete_payment(self, payment_id: str) -> None:
        path = _path("payments", payment_id)
        self._request("DELETE", path)

    # Invoice PDFs -----------------------------------------------------------------------------

    def invoice_pdf(self, invoice_id: str) -> InvoicePdf | None:
        path = _path("invoices", invoice_id) + "/pdf"
        return self._one(InvoicePdf | None, "GET", path)  # type: ignore[arg-type]

    def set_invoice_pdf(self, invoice_id: str, content: bytes, source: str) -> None:
        path = _path("invoices", invoice_id) + "/pdf"
        self._request("PUT", path, body={"source": source, "content": content})

    # Sync states ------------------------------------------------------------------------------

    def set_sync_state(self, state: SyncState) -> None:
        self._request("PUT", "/sync-states", body=state)

    def sync_states(
        self,
        installation_id: int,
        *,
        kind: RecordKind | None = None,
        status: SyncStatus | None = None,
        record_ids: tuple[str, ...] | None = None,
    ) -> list[SyncState]:
        if record_ids == ():
            return []
        params: Params = [("installation_id", str(installation_id))]
        if kind is not None:
            params.append(("kind", kind))
        if status is not None:
            params.append(("status", status))
        params += [("record_id", r) for r in record_ids or ()]
        return self._many(SyncState, "/sync-states", params)


def _path(collection: str, record_id: str) -> str:
    """``/customers/<id>`` with the id escaped, so an id can never reach another route."""
    return f"/{collection}/{quote(record_id, safe='')}"


def _since(changed_since: datetime | None) -> Params:
    if changed_since is None:
        return []
    return [("changed_since", codec.format_datetime(changed_since))]


def _json_or_none(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json(parse_float=_decimal_text)
    except ValueError:
        return None


def _decimal_text(text: str) -> str:
    """Numbers in replies are read as their text, so no float ever rounds money."""
    return text


def _refusal(where: str, response: httpx.Response, payload: Any) -> PlatformError:
    """The exception a non-success reply stands for."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list) or not errors or not all(map(_is_error, errors)):
        snippet = " ".join(response.text[:300].split())[:160] or "(empty body)"
        return PlatformError(
            f"{where}: unexpected reply {response.status_code} from the platform: {snippet}",
            status=response.status_code if response.is_error else 502,
        )
    first = errors[0]
    if response.status_code == 404:
        kind, record_id = first.get("kind"), first.get("id")
        if isinstance(kind, str) and isinstance(record_id, str):
            return RecordNotFound(kind, record_id)
    if len(errors) > 1:
        return codec.InvalidInput([_field_error(e) for e in errors])
    return PlatformError(first["message"], _field(first), status=response.status_code)


def _is_error(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("message"), str)


def _field(entry: dict[str, Any]) -> str | None:
    """The API's JSON pointer (``/lines/0/quantity``) as the ledger names the field."""
    field = entry.get("field")
    if not isinstance(field, str):
        return None
    return field.removeprefix("/")


def _field_error(entry: dict[str, Any]) -> codec.FieldError:
    return codec.FieldError(_field(entry) or "", entry["message"])
