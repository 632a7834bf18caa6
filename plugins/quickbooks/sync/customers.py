"""The QuickBooks customer of a platform customer, found or created by the installation's policy.

The key link is the e-mail address (config ``/key_links/customers_by``). Once found or created,
the pair is kept as a ``customer`` record link, so each customer costs QuickBooks calls once.

Finding one, in order: the record link; a customer whose ``PrimaryEmailAddr`` is the e-mail
(the filter QBO documents for name lists); a customer whose DisplayName is the platform's name
*and* whose e-mail is the same (so a query service that cannot filter on e-mail still finds the
person). Under the ``existing_only`` policy a customer not found fails with
:class:`CustomerNotInQuickBooks`; under ``match_or_create`` one is created.

A created customer needs a DisplayName unique across customers, vendors and employees
(qbo-facts §9, error 6240). When the platform's name is taken by someone else, the name gets a
distinguishing suffix: `` (e-mail)`` first, then `` 2``, `` 3``...; two people are never merged
into one QuickBooks record because they share a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.platform.port import Customer
from plugins.quickbooks.client import QBOClient
from plugins.quickbooks.qbo_errors import QBOError

if TYPE_CHECKING:
    from core.runner import JobContext

ENTITY = "customer"
DUPLICATE_NAME_CODE = "6240"
MATCH_OR_CREATE = "match_or_create"
EXISTING_ONLY = "existing_only"
_MAX_NUMBERED_SUFFIX = 20
_FORBIDDEN_NAME_CHARS = str.maketrans({":": " ", "\t": " ", "\n": " ", "\r": " "})
_LIMITS = {"DisplayName": 500, "GivenName": 100, "FamilyName": 100, "CompanyName": 100}


class CustomerNotInQuickBooks(Exception):
    """The strict policy found no QuickBooks customer for the invoice's customer."""

    def __init__(self, customer_id: str) -> None:
        super().__init__("customer not in QuickBooks")
        self.customer_id = customer_id


def resolve_customer(ctx: JobContext, client: QBOClient, customer_id: str) -> str:
    """The QBO Customer Id for platform customer ``customer_id``, linked for next time.

    Raises :class:`CustomerNotInQuickBooks` under the strict policy, and the client's
    :class:`QBOError` when QuickBooks refuses a query or the creation.
    """
    link = ctx.records.link(ENTITY, customer_id)
    if link is not None and link.remote_id:
        return link.remote_id
    customer = ctx.platform.customer(customer_id)
    found = find_customer(client, customer)
    if found is None:
        if policy(ctx.config) == EXISTING_ONLY:
            raise CustomerNotInQuickBooks(customer_id)
        found = create_customer(client, customer)
    remote_id = str(found["Id"])
    ctx.records.synced(
        ENTITY, customer_id, remote_id=remote_id, remote_version=str(found.get("SyncToken", ""))
    )
    return remote_id


def policy(config: Any) -> str:
    """The configured customer policy (``match_or_create`` unless set otherwise)."""
    return config.get("invoices", {}).get("customer_policy") or MATCH_OR_CREATE


def find_customer(client: QBOClient, customer: Customer) -> dict[str, Any] | None:
    """The active QBO customer that is this person, by e-mail, or None."""
    email = (customer.email or "").strip()
    if email:
        rows = _select(client, f"PrimaryEmailAddr = {quote(email)}")
        same = [row for row in rows if _same_email(row, email)]
        if same:
            return min(same, key=_id_order)
    name = display_name(customer)
    for row in _select(client, f"DisplayName = {quote(name)}"):
        if _same_email(row, email):
            return row
    return None


def create_customer(client: QBOClient, customer: Customer) -> dict[str, Any]:
    """Create the customer under the first DisplayName nobody else uses."""
    body = customer_body(customer)
    *first_names, last_name = name_candidates(customer)
    for name in first_names:
        try:
            return client.create("Customer", {**body, "DisplayName": name})
        except QBOError as error:
            if error.code != DUPLICATE_NAME_CODE:
                raise
    return client.create("Customer", {**body, "DisplayName": last_name})


def customer_body(customer: Customer) -> dict[str, Any]:
    """The QBO Customer fields of a platform customer (DisplayName added by the caller)."""
    body: dict[str, Any] = {}
    for field, value in (
        ("GivenName", customer.given_name),
        ("FamilyName", customer.family_name),
        ("CompanyName", customer.company_name),
    ):
        cleaned = _clean(value)[: _LIMITS[field]].strip()
        if cleaned:
            body[field] = cleaned
    if customer.email:
        body["PrimaryEmailAddr"] = {"Address": customer.email.strip()}
    if customer.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": customer.phone.strip()[:30]}
    return body


def display_name(customer: Customer) -> str:
    """The platform's name for the customer, as QBO accepts a DisplayName."""
    for candidate in (
        customer.display_name,
        f"{customer.given_name} {customer.family_name}",
        customer.company_name,
        customer.email or "",
    ):
        cleaned = " ".join(_clean(candidate).split())
        if cleaned:
            return cleaned[: _LIMITS["DisplayName"]]
    return f"Customer {customer.id}"


def name_candidates(customer: Customer) -> list[str]:
    """DisplayNames to try in order: the name, the name with the e-mail, numbered names."""
    name = display_name(customer)
    limit = _LIMITS["DisplayName"]
    candidates = [name]
    email = _clean(customer.email or "").strip()
    if email:
        suffix = f" ({email})"
        candidates.append(name[: limit - len(suffix)] + suffix)
    for number in range(2, _MAX_NUMBERED_SUFFIX + 1):
        suffix = f" {number}"
        candidates.append(name[: limit - len(suffix)] + suffix)
    return candidates


def quote(value: str) -> str:
    """A string literal of QBO's query language (backslash escapes, qbo-facts §4.2)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _select(client: QBOClient, where: str) -> list[dict[str, Any]]:
    return list(client.query(f"SELECT * FROM Customer WHERE {where}"))


def _same_email(row: dict[str, Any], email: str) -> bool:
    remote = str((row.get("PrimaryEmailAddr") or {}).get("Address") or "").strip()
    return remote.casefold() == email.casefold()


def _id_order(row: dict[str, Any]) -> tuple[int, str]:
    text = str(row.get("Id", ""))
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _clean(text: str) -> str:
    """Without the characters QBO refuses in names (colon, tab, newline)."""
    return (text or "").translate(_FORBIDDEN_NAME_CHARS)
