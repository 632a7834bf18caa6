"""The emulator's Flask application: OAuth, control API, gate and the Accounting API together.

One error policy covers every blueprint: a :class:`faults.QBOFault` becomes the reply a real
client expects, and under ``/v3/`` nothing ever answers with an HTML page or a stack trace, since
QBO clients parse every error body as a Fault.
"""

from __future__ import annotations

import json
import logging
import secrets
import time

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from . import faults, values
from .accounting_api import accounting_blueprint
from .control import control_blueprint
from .gate import install_gate
from .oauth import oauth_blueprint
from .state import EXTENSION_KEY, EmulatorState, current_state
from .views import views_blueprint

logger = logging.getLogger(__name__)


def create_app(state: EmulatorState) -> Flask:
    """A Flask app serving ``state``; blueprints find it with :func:`state.current_state`."""
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state
    app.json.sort_keys = False  # QBO and Intuit write keys in a fixed order; keep the handlers'
    install_gate(app, fault_response)
    for blueprint in (oauth_blueprint, control_blueprint, accounting_blueprint, views_blueprint):
        app.register_blueprint(blueprint)
    app.register_error_handler(faults.QBOFault, fault_response)
    app.register_error_handler(Exception, unexpected_error)
    app.after_request(add_intuit_tid)
    return app


def fault_response(fault: faults.QBOFault) -> Response:
    """The wire form of a Fault: JSON for API and gateway errors, XML for throttling."""
    # In QBO's zone, like the ``time`` of every successful reply.
    now = values.local(current_state().clock.now())
    if fault.shape == "throttle_xml":
        return Response(faults.fault_xml(fault, now), fault.status, content_type="application/xml")
    return Response(
        json.dumps(faults.fault_body(fault, now)),
        fault.status,
        content_type="application/json;charset=UTF-8",
    )


def unexpected_error(error: Exception) -> Response | HTTPException:
    """404/405/500 and crashes: a Fault under ``/v3/``, JSON under ``/_emulator/``."""
    if not isinstance(error, HTTPException):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        error = InternalServerError()
    if request.path.startswith("/v3/"):
        if error.code is not None and error.code >= 500:
            return fault_response(faults.system_fault(error.code, "System Failure Error"))
        return fault_response(
            faults.QBOFault(
                error.code or 400,
                "ValidationFault",
                [
                    faults.FaultError(
                        "500",
                        "Unsupported Operation",
                        f"Operation {request.method} {request.path} is not supported.",
                    )
                ],
            )
        )
    if request.path.startswith("/_emulator/"):
        return Response(
            json.dumps({"error": error.description, "field": None}),
            error.code or 500,
            content_type="application/json",
        )
    return error


def add_intuit_tid(response: Response) -> Response:
    """Every Intuit reply carries a transaction id that clients log (``intuit_tid``)."""
    response.headers["intuit_tid"] = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return response
