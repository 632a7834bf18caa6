"""QuickBooks Online's error replies, as the real service shapes them.

Every error the emulator gives is a :class:`QBOFault`. Handlers raise it; the app turns it into
the envelope a real client expects (``Fault`` with capitalised keys for API errors, the
lower-case ``fault`` shape for gateway 401/403 replies, XML for throttling). Keeping one type
means no handler can answer with a stack trace or an HTML error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FaultShape = Literal["api", "gateway", "throttle_xml"]


@dataclass
class FaultError:
    """One ``Error`` inside a Fault: QBO may report several for one request."""

    code: str
    message: str
    detail: str = ""
    element: str = ""


@dataclass
class QBOFault(Exception):
    """An error reply: HTTP status, Fault type and one or more errors.

    ``shape`` selects the wire format: ``api`` for ordinary validation and business errors,
    ``gateway`` for the authentication/authorization replies Intuit's gateway sends with
    lower-case keys, ``throttle_xml`` for the 429 reply that comes back as XML.
    """

    status: int
    fault_type: str
    errors: list[FaultError] = field(default_factory=list)
    shape: FaultShape = "api"

    def __str__(self) -> str:
        return "; ".join(f"{e.code} {e.message}: {e.detail}" for e in self.errors)


def validation(code: int | str, message: str, detail: str = "", element: str = "") -> QBOFault:
    """A 400 ValidationFault with one error: the common case for business rules."""
    return QBOFault(400, "ValidationFault", [FaultError(str(code), message, detail, element)])


def not_found(entity: str, entity_id: str) -> QBOFault:
    """610 Object Not Found, as QBO answers a read or reference of a missing or deleted Id."""
    return validation(
        610,
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. "
        f"({entity} Id={entity_id})",
    )


def required(element: str) -> QBOFault:
    """2020 Required param missing, naming the element."""
    return validation(
        2020,
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def authentication_failed(detail: str = "Token expired") -> QBOFault:
    """401 code 3200 in the gateway's lower-case shape."""
    return QBOFault(
        401,
        "AUTHENTICATION",
        [
            FaultError(
                "3200",
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                detail,
            )
        ],
        shape="gateway",
    )


def authorization_failed(detail: str = "") -> QBOFault:
    """403 code 3100: wrong realm for the token, or a token without the accounting scope."""
    return QBOFault(
        403,
        "AUTHORIZATION",
        [
            FaultError(
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                detail,
            )
        ],
        shape="gateway",
    )


def throttled() -> QBOFault:
    """429 code 3001, sent as XML whatever the Accept header asked for."""
    return QBOFault(
        429,
        "SERVICE",
        [
            FaultError(
                "3001",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.  Try again later",
            )
        ],
        shape="throttle_xml",
    )


def system_fault(status: int = 500, detail: str = "") -> QBOFault:
    """A SystemFault (code 10000): the service failed, not the request."""
    return QBOFault(
        status,
        "SystemFault",
        [
            FaultError(
                "10000", "An application error has occurred while processing your request", detail
            )
        ],
    )


def fault_body(fault: QBOFault, now: datetime) -> dict:
    """The JSON body for ``api`` and ``gateway`` shapes (``time`` as QBO writes it)."""
    if fault.shape == "gateway":
        return {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [
                    {"message": e.message, "detail": e.detail, "code": e.code, "element": None}
                    for e in fault.errors
                ],
                "type": fault.fault_type,
            },
            "report": None,
            "queryResponse": [],
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": int(now.timestamp() * 1000),
            "status": None,
            "cdcresponse": [],
        }
    return {"Fault": fault_entry(fault), "time": now.isoformat(timespec="milliseconds")}


def fault_entry(fault: QBOFault) -> dict:
    """The ``Fault`` object alone, as it also appears inside a batch item response."""
    return {
        "Error": [
            {"Message": e.message, "Detail": e.detail, "code": e.code, "element": e.element}
            for e in fault.errors
        ],
        "type": fault.fault_type,
    }


def fault_xml(fault: QBOFault, now: datetime) -> str:
    """The XML body of the throttle reply."""
    from xml.sax.saxutils import escape

    errors = "".join(
        f'<Error code="{escape(e.code)}"><Message>{escape(e.message)}</Message>'
        f"<Detail>{escape(e.detail)}</Detail></Error>"
        for e in fault.errors
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
        f'time="{now.isoformat(timespec="milliseconds")}">'
        f'<Fault type="{escape(fault.fault_type)}">{errors}</Fault></IntuitResponse>'
    )
