"""What Intuit's gateway does before an Accounting API request reaches QuickBooks.

In order: the Bearer token must be valid (401, code 3200), issued for this realm with the
accounting scope (403, code 3100), within the rate limits (429, code 3001, XML); then a fault a
test planned may take the request's place. An ``http_500_after_write`` plan lets the request run
(writes and ``requestid`` bookkeeping included) and only replaces its reply by a 500 afterwards.
Every request to a known realm is logged, whatever its outcome, so tests can count what a client
sent.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, g, request

from . import faults
from .auth import ACCOUNTING_SCOPE
from .injection import PlannedFault
from .oauth import bearer_token
from .state import current_state

API_PREFIX = "/v3/company/"


def install_gate(app: Flask, render_fault: Callable[[faults.QBOFault], Response]) -> None:
    """Hook the checks and the request log into ``app``; ``render_fault`` writes a Fault reply."""
    app.before_request(check_api_request)
    app.after_request(log_api_request)

    # Flask runs after-request hooks in reverse order: this one runs before the log.
    @app.after_request
    def fault_after_write(response: Response) -> Response:
        fault = g.pop("qbo_fault_after_request", None)
        return response if fault is None else render_fault(fault)


def api_realm(path: str) -> str | None:
    """The realm id of an Accounting API path, or None for any other path."""
    if not path.startswith(API_PREFIX):
        return None
    return path[len(API_PREFIX) :].split("/", 1)[0] or None


def check_api_request() -> None:
    """Refuse the request as the gateway would, by raising a QBOFault; None lets it through."""
    realm_id = api_realm(request.path)
    if realm_id is None:
        return
    state = current_state()
    known_realm = state.companies.get(realm_id) is not None
    g.qbo_logged_realm = realm_id if known_realm else None
    grant = state.auth.access_grant(bearer_token())
    if grant is None:
        raise faults.authentication_failed("Token expired or invalid")
    if not known_realm or grant.realm_id != realm_id or ACCOUNTING_SCOPE not in grant.scopes:
        raise faults.authorization_failed(f"The token does not grant access to realm {realm_id}")
    is_batch = request.method == "POST" and request.path.rstrip("/").endswith("/batch")
    if state.throttle is not None and not state.throttle.admit(realm_id, grant.client_id, is_batch):
        raise faults.throttled()
    planned = state.faults.take(realm_id)
    if planned is not None and planned.kind == "http_500_after_write":
        g.qbo_fault_after_request = faults.system_fault(
            500, "System Failure Error: injected by the emulator after the request ran"
        )
    elif planned is not None:
        raise _planned_fault(planned)


def _planned_fault(planned: PlannedFault) -> faults.QBOFault:
    if planned.kind == "throttle":
        return faults.throttled()
    if planned.kind == "http_503":
        return faults.system_fault(503, "Service Unavailable: try again later")
    if planned.kind == "timeout":
        # Hold the request past the client's timeout, then answer as a gateway that gave up.
        current_state().stopping.wait(planned.seconds)
        return faults.system_fault(504, "Gateway Timeout")
    return faults.system_fault(500, "System Failure Error: injected by the emulator")


def log_api_request(response: Response) -> Response:
    """Record the request's outcome in its realm's log."""
    realm_id = g.get("qbo_logged_realm")
    if realm_id is not None:
        state = current_state()
        state.request_log.record(
            realm_id,
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("utf-8", "replace"),
                "status": response.status_code,
                "time": state.clock.now().isoformat(timespec="milliseconds"),
            },
        )
    return response
