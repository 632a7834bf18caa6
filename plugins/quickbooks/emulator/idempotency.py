"""``requestid``: a repeated request id gets the first response back and changes nothing.

Facts §2: "instead of performing the operation again or returning an error, the service sends
the same response as it did for the original request"; ids are unique per company and at most
50 characters. The first response is kept whatever it was (success or Fault, status and body)
and persisted with the company. A repeat with a different body also replays [U: undocumented].
The retention window is undocumented [U]; the emulator keeps the latest 10,000 per company.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from flask import Response

from . import faults
from .companies import Company
from .store import REQUEST

MAX_LENGTH = 50
KEEP = 10_000


def check(request_id: str) -> None:
    """2050 when the id is longer than QBO accepts [U: the code of this refusal]."""
    if len(request_id) > MAX_LENGTH:
        raise faults.validation(
            2050,
            "Invalid String Length",
            f"requestid can be at most {MAX_LENGTH} characters; got {len(request_id)}",
            "requestid",
        )


def once(company: Company, request_id: str, handle: Callable[[], Response]) -> Response:
    """Run ``handle`` the first time ``request_id`` is seen; replay its outcome afterwards."""
    check(request_id)
    with company.lock:
        seen = company.store.get_row(REQUEST, request_id)
        if seen is not None:
            return _replay(seen)
        try:
            response = handle()
        except faults.QBOFault as fault:
            _remember(company, request_id, _fault_record(fault))
            raise
        _remember(company, request_id, _response_record(response))
        return response


def _remember(company: Company, request_id: str, record: dict) -> None:
    store = company.store
    store.set_row(REQUEST, request_id, record)
    table = store.rows(REQUEST)
    while len(table) > KEEP:
        store.set_row(REQUEST, next(iter(table)), None)


def _response_record(response: Response) -> dict:
    return {
        "status": response.status_code,
        "content_type": response.content_type,
        "body": base64.b64encode(response.get_data()).decode("ascii"),
    }


def _fault_record(fault: faults.QBOFault) -> dict:
    return {
        "fault": {
            "status": fault.status,
            "type": fault.fault_type,
            "shape": fault.shape,
            "errors": [vars(error) for error in fault.errors],
        }
    }


def _replay(record: dict) -> Response:
    if "fault" in record:
        saved = record["fault"]
        raise faults.QBOFault(
            saved["status"],
            saved["type"],
            [faults.FaultError(**error) for error in saved["errors"]],
            saved["shape"],
        )
    return Response(
        base64.b64decode(record["body"]), record["status"], content_type=record["content_type"]
    )
