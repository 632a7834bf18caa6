"""QuickBooks Online errors as typed values a sync job can act on.

QBO reports failures in three wire shapes (facts §5.1): the API ``Fault``/``Error``/``Message``
envelope, the gateway's lower-case ``fault``/``error``/``message`` variant for 401/403, and an
XML ``<Fault>`` for throttling whatever the Accept header said. A job does not care which; it
needs to know what to do next:

* ``retryable``: try the same request again later (429, 5xx, timeouts, codes 3001 and 10000);
* ``record_level``: this one record is wrong; store QBO's message as its sync status and go on;
* ``connection_level``: the whole connection is unusable until someone reconnects it.

An error of none of these kinds is a request the connector built wrongly (a query QBO cannot
parse, a batch that is too big): a bug to fix, not data to retry.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Codes meaning the connection (token, realm, subscription) is unusable (facts §5.2).
CONNECTION_CODES = frozenset({"100", "110", "120", "3100", "3200", "3201", "6190"})
#: Codes meaning "try again later" whatever the HTTP status said.
RETRYABLE_CODES = frozenset({"3001", "10000"})
STALE_OBJECT_CODE = "5010"
NOT_FOUND_CODE = "610"
INVALID_RESPONSE_CODE = "invalid_response"
TIMEOUT_CODE = "timeout"
TRANSPORT_CODE = "transport"

_LONG_DETAIL = 500  # characters of a non-Fault body kept as the detail


@dataclass(frozen=True)
class ErrorEntry:
    """One ``Error`` of a Fault: QBO may list several for one request."""

    code: str
    message: str
    detail: str = ""
    element: str = ""


class QBOError(Exception):
    """A failed QBO request; the first Error of the Fault is promoted to the attributes.

    ``status`` is the HTTP status, or None for an item of a batch (which has no status of its
    own). ``intuit_tid`` is the transaction id Intuit support asks for.
    """

    retryable = False
    record_level = False
    connection_level = False

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        detail: str = "",
        element: str = "",
        intuit_tid: str | None = None,
        fault_type: str = "",
        errors: tuple[ErrorEntry, ...] = (),
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.fault_type = fault_type
        self.errors = errors or (ErrorEntry(code, message, detail, element),)
        #: Seconds the service asked us to wait (``Retry-After``), when it said so.
        self.retry_after: float | None = None
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line a person can act on: code, message, detail, and where to look it up."""
        text = f"QuickBooks error {self.code}: {self.message}"
        if self.detail and self.detail != self.message:
            text += f" ({self.detail})"
        context = []
        if self.element:
            context.append(f"element {self.element}")
        if self.status is not None:
            context.append(f"HTTP {self.status}")
        if self.intuit_tid:
            context.append(f"intuit_tid {self.intuit_tid}")
        return f"{text} [{', '.join(context)}]" if context else text

    def scrubbed(self, secrets: tuple[str, ...]) -> QBOError:
        """The same error with every secret removed from its texts (bodies may echo a token)."""
        if not any(secret and secret in str(self) for secret in secrets):
            return self
        clean = _Scrubber(secrets)
        cleaned = type(self)(
            self.status,
            self.code,
            clean(self.message),
            clean(self.detail),
            clean(self.element),
            self.intuit_tid,
            self.fault_type,
            tuple(
                ErrorEntry(e.code, clean(e.message), clean(e.detail), clean(e.element))
                for e in self.errors
            ),
        )
        cleaned.retry_after = self.retry_after
        return cleaned


class RetryableError(QBOError):
    """The service could not answer now (throttled, failing, or too slow); retry later."""

    retryable = True


class ThrottledError(RetryableError):
    """HTTP 429 / code 3001: the realm's rate limit was reached."""


class ServiceError(RetryableError):
    """HTTP 5xx / code 10000: QBO failed, not the request."""


class TransportError(RetryableError):
    """No answer at all: the request timed out or the connection failed."""


class RecordError(QBOError):
    """A validation or business problem of one record; QBO's message is its sync status."""

    record_level = True


class StaleObjectError(RecordError):
    """Code 5010: the record changed since its SyncToken was read."""


class NotFoundError(RecordError):
    """Code 610: the record does not exist, is inactive, or was deleted."""


class AuthError(QBOError):
    """The connection itself was refused (expired token, wrong realm, no access): reconnect."""

    connection_level = True


class InvalidResponseError(QBOError):
    """QBO answered something the client cannot use (no JSON, no entity where one is due)."""


def classify(status: int | None, code: str) -> type[QBOError]:
    """The error class for an HTTP status and a QBO error code; code wins where they differ."""
    if code == "3001" or status == 429:
        return ThrottledError
    if code in CONNECTION_CODES or status in (401, 403):
        return AuthError
    if code in RETRYABLE_CODES or (status is not None and status >= 500):
        return ServiceError
    if code == STALE_OBJECT_CODE:
        return StaleObjectError
    if code == NOT_FOUND_CODE:
        return NotFoundError
    if _is_record_code(code):
        return RecordError
    return QBOError


def _is_record_code(code: str) -> bool:
    """600-699 (objects), 2000-2999 (field validation), 5000-6999 (business rules)."""
    if not code.isdigit():
        return False
    number = int(code)
    return 600 <= number <= 699 or 2000 <= number <= 2999 or 5000 <= number <= 6999


def fault_error(
    fault: Mapping[str, Any], status: int | None = None, intuit_tid: str | None = None
) -> QBOError:
    """The typed error of a ``Fault`` or ``fault`` object (the envelope's, or a batch item's)."""
    raw_errors = _get(fault, "Error") or []
    if isinstance(raw_errors, Mapping):
        raw_errors = [raw_errors]
    entries = tuple(
        ErrorEntry(
            code=str(_get(e, "code") or ""),
            message=str(_get(e, "Message") or ""),
            detail=str(_get(e, "Detail") or ""),
            element=str(_get(e, "element") or ""),
        )
        for e in raw_errors
        if isinstance(e, Mapping)
    )
    fault_type = str(_get(fault, "type") or "")
    if not entries:
        entries = (ErrorEntry("", fault_type or "Fault without errors"),)
    return _build(status, entries, intuit_tid, fault_type)


def response_error(
    status: int, body: bytes, content_type: str, intuit_tid: str | None = None
) -> QBOError:
    """The typed error of a failed HTTP reply, whichever of QBO's shapes its body has."""
    text = body.decode("utf-8", "replace")
    if "xml" in content_type or text.lstrip().startswith("<"):
        entries, fault_type = _xml_entries(text)
        if entries:
            return _build(status, entries, intuit_tid, fault_type)
    else:
        fault = _json_fault(text)
        if fault is not None:
            return fault_error(fault, status, intuit_tid)
    summary = " ".join(text.split())[:_LONG_DETAIL]
    return _build(status, (ErrorEntry(str(status), f"HTTP {status}", summary),), intuit_tid, "")


def find_fault(body: Any) -> Mapping[str, Any] | None:
    """The Fault object of a parsed JSON body, in either key case, or None."""
    if not isinstance(body, Mapping):
        return None
    fault = body.get("Fault") or body.get("fault")
    return fault if isinstance(fault, Mapping) else None


def _json_fault(text: str) -> Mapping[str, Any] | None:
    try:
        return find_fault(json.loads(text))
    except ValueError:
        return None


def _xml_entries(text: str) -> tuple[tuple[ErrorEntry, ...], str]:
    """Errors of an XML ``IntuitResponse``/``Fault`` body (namespaced or not)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return (), ""
    fault = root if _local(root.tag) == "Fault" else _child(root, "Fault")
    if fault is None:
        return (), ""
    entries = []
    for error in (e for e in fault if _local(e.tag) == "Error"):
        message = _child(error, "Message")
        detail = _child(error, "Detail")
        entries.append(
            ErrorEntry(
                code=error.get("code", ""),
                message=(message.text or "").strip() if message is not None else "",
                detail=(detail.text or "").strip() if detail is not None else "",
                element=error.get("element", ""),
            )
        )
    return tuple(entries), fault.get("type", "")


def _build(
    status: int | None, entries: tuple[ErrorEntry, ...], intuit_tid: str | None, fault_type: str
) -> QBOError:
    first = entries[0]
    cls = classify(status, first.code)
    return cls(
        status,
        first.code,
        first.message,
        first.detail,
        first.element,
        intuit_tid,
        fault_type,
        entries,
    )


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """``key`` in QBO's capitalisation or the gateway's lower-case one."""
    value = mapping.get(key)
    return value if value is not None else mapping.get(key.lower())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


class _Scrubber:
    """Replaces each secret in a text with a fixed marker."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        wanted = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, wanted))) if wanted else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub("[redacted]", text) if self._pattern else text
