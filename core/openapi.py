"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written by hand beside the views rather than generated from them, so it says what a client may
rely on; ``tests/api/test_openapi.py`` keeps the two honest: the document's (method, path) pairs
must equal the app's routes, and real answers of every route are validated against the schemas
here. The ledger's records are described from the platform port's dataclasses (the same ones
:mod:`core.platform.codec` encodes), so they cannot drift from what goes over the wire.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from core.platform import port
from core.platform.ledger_api import NewInvoicePdf, NewSubsidiary
from core.store.models import RUN_STATUSES

Schema = dict[str, Any]

VERSION = "1.0.0"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """A closed object whose properties are all present (but those in ``optional``)."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


STRING: Schema = {"type": "string"}
TEXT_OR_NULL = nullable(STRING)
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
TIME_OR_NULL = nullable(TIME)
ANY_OBJECT: Schema = {"type": "object"}
POINTER: Schema = {"type": "string", "description": "JSON pointer (/a/b) or query parameter (?a)"}


# Schemas of the dataclasses the ledger sends and takes -------------------------------------------

DECIMAL: Schema = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'exact decimal as text, e.g. "12.50"',
}


def type_schema(tp: Any) -> Schema:
    """JSON Schema of one annotated type, as :mod:`core.platform.codec` encodes it."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        (inner,) = options
        return nullable(type_schema(inner))
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin is tuple:
        return array(type_schema(get_args(tp)[0]))
    if dataclasses.is_dataclass(tp):
        return ref(tp.__name__)
    scalars: dict[Any, Schema] = {
        str: STRING,
        bool: BOOLEAN,
        int: INTEGER,
        Decimal: DECIMAL,
        datetime: TIME,
        date: {"type": "string", "format": "date"},
        bytes: {"type": "string", "contentEncoding": "base64"},
    }
    return dict(scalars[tp])


def record_schema(cls: type, *, as_input: bool = False) -> Schema:
    """A dataclass as JSON: every field is sent; as input, fields with defaults may be left
    out and unknown fields are refused (as the codec does)."""
    hints = get_type_hints(cls)
    fields = dataclasses.fields(cls)
    schema = obj({f.name: type_schema(hints[f.name]) for f in fields})
    if as_input:
        schema["required"] = [
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = " ".join(cls.__doc__.split())
    return schema


LEDGER_RECORDS = (
    port.PlatformAccount,
    port.Subsidiary,
    port.Customer,
    port.Item,
    port.TaxRate,
    port.InvoiceLine,
    port.Invoice,
    port.Payment,
    port.InvoicePdf,
)
LEDGER_INPUTS = (
    port.CustomerInput,
    port.ItemInput,
    port.TaxRateInput,
    port.PaymentInput,
    NewSubsidiary,
    NewInvoicePdf,
)

NUMBER_OR_TEXT: Schema = {"type": ["number", "string"], "description": "a decimal number"}
NEW_INVOICE_LINE = {
    **obj(
        {
            "item_id": TEXT_OR_NULL,
            "description": STRING,
            "quantity": NUMBER_OR_TEXT,
            "unit_price": NUMBER_OR_TEXT,
            "taxable": BOOLEAN,
            "tax_rate_id": TEXT_OR_NULL,
        },
        optional=("item_id", "description", "quantity", "unit_price", "taxable", "tax_rate_id"),
    ),
    "description": "an item fills the description, price and taxable a line leaves out",
}
INVOICE_FIELDS: dict[str, Schema] = {
    "customer_id": STRING,
    "lines": array(ref("NewInvoiceLine")),
    "number": STRING,
    "issue_date": {"type": "string", "format": "date"},
    "due_date": nullable({"type": "string", "format": "date"}),
    "currency": STRING,
    "subject": STRING,
    "note": STRING,
    "po_number": STRING,
    "custom_field": STRING,
    "discount_percent": nullable(NUMBER_OR_TEXT),
    "discount_amount": nullable(NUMBER_OR_TEXT),
    "tax_rate_id": TEXT_OR_NULL,
    "subsidiary_id": TEXT_OR_NULL,
}


def ledger_schemas() -> dict[str, Schema]:
    schemas = {cls.__name__: record_schema(cls) for cls in LEDGER_RECORDS}
    schemas.update({cls.__name__: record_schema(cls, as_input=True) for cls in LEDGER_INPUTS})
    # A sync state is both read and written whole (PUT), with the codec's defaults.
    schemas["SyncState"] = record_schema(port.SyncState, as_input=True)
    schemas["NewInvoiceLine"] = NEW_INVOICE_LINE
    schemas["NewInvoice"] = obj(
        INVOICE_FIELDS,
        optional=tuple(n for n in INVOICE_FIELDS if n not in ("customer_id", "lines")),
    )
    schemas["InvoiceChanges"] = obj(INVOICE_FIELDS, optional=tuple(INVOICE_FIELDS))
    schemas["LedgerErrors"] = obj(
        {
            "errors": array(
                obj(
                    {
                        "field": nullable(POINTER),
                        "message": STRING,
                        "kind": STRING,
                        "id": STRING,
                    },
                    optional=("kind", "id"),
                )
            )
        }
    )
    return schemas


# Schemas of the integrations API -----------------------------------------------------------------

CONNECTION = obj(
    {
        "provider": STRING,
        "title": STRING,
        "status": {"enum": ["connected", "needs_reconnect", "not_connected"]},
        "account_id": TEXT_OR_NULL,
        "account_name": TEXT_OR_NULL,
        "reason": TEXT_OR_NULL,
        "since": TIME_OR_NULL,
    }
)
INSTALLATION = obj(
    {
        "id": INTEGER,
        "connector_id": STRING,
        "connector_version": STRING,
        "name": STRING,
        "status": {"enum": ["draft", "active", "paused", "uninstalled"]},
        "paused_reason": TEXT_OR_NULL,
        "created_at": TIME,
        "updated_at": TIME,
        "connections": array(ref("Connection")),
        "last_run": nullable(
            obj(
                {
                    "id": INTEGER,
                    "job": STRING,
                    "status": STRING,
                    "at": TIME,
                    "error": TEXT_OR_NULL,
                }
            )
        ),
        "next_run_at": TIME_OR_NULL,
    }
)
RUN_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "installation_id": INTEGER,
    "job": STRING,
    "trigger": {"enum": ["schedule", "manual", "event", "retry"]},
    "status": {"enum": list(RUN_STATUSES)},
    "scheduled_for": TIME,
    "created_at": TIME,
    "started_at": TIME_OR_NULL,
    "finished_at": TIME_OR_NULL,
    "config_version": nullable(INTEGER),
    "counts": {"type": "object", "additionalProperties": INTEGER},
    "progress": {
        "type": "object",
        "properties": {"done": INTEGER, "total": nullable(INTEGER), "message": STRING},
    },
    "error": TEXT_OR_NULL,
    "attempt": INTEGER,
    "retry_of": nullable(INTEGER),
    "requested_by": TEXT_OR_NULL,
    "cancel_requested": BOOLEAN,
}
LOG_LINE = obj({"at": TIME, "level": STRING, "message": STRING})
RECORD = obj(
    {
        "entity": STRING,
        "local_id": STRING,
        "remote_id": TEXT_OR_NULL,
        "remote_version": TEXT_OR_NULL,
        "status": {"enum": ["pending", "synced", "failed", "skipped"]},
        "reason": TEXT_OR_NULL,
        "external_url": TEXT_OR_NULL,
        "synced_at": TIME_OR_NULL,
        "updated_at": TIME,
    }
)
FIELD_ERROR = obj({"field": POINTER, "message": STRING})
CONFIG = obj(
    {
        "installation_id": INTEGER,
        "status": STRING,
        "version": INTEGER,
        "created_at": TIME,
        "created_by": STRING,
        "values": {
            "type": "object",
            "description": 'the configuration; a secret that is set reads "********"',
        },
        "missing": array(ref("FieldError")),
    }
)
CONFIG_VERSION = obj(
    {
        "version": INTEGER,
        "connector_version": STRING,
        "created_at": TIME,
        "created_by": STRING,
        "note": TEXT_OR_NULL,
        "changes": array(
            {
                "type": "object",
                "properties": {"pointer": STRING, "secret": BOOLEAN, "from": {}, "to": {}},
                "required": ["pointer"],
            }
        ),
    }
)
CATALOG_ENTRY = obj(
    {
        "id": STRING,
        "name": STRING,
        "version": STRING,
        "category": STRING,
        "summary": STRING,
    }
)
CATALOG_DETAIL = obj(
    {
        **CATALOG_ENTRY["properties"],
        "description": TEXT_OR_NULL,
        "icon": TEXT_OR_NULL,
        "docs_url": TEXT_OR_NULL,
        "regions": nullable(array(STRING)),
        "syncs": nullable(array(STRING)),
        "jobs": array(obj({"key": STRING, "title": STRING, "description": STRING})),
        "actions": array(
            obj(
                {
                    "key": STRING,
                    "title": STRING,
                    "description": STRING,
                    "params_schema": ANY_OBJECT,
                }
            )
        ),
        "oauth_providers": array(obj({"key": STRING, "title": STRING})),
        "option_sources": array(STRING),
        "config_schema": ANY_OBJECT,
    }
)


def page_schema(key: str, item: str) -> Schema:
    return obj({key: array(ref(item)), "page": INTEGER, "per_page": INTEGER, "total": INTEGER})


def api_schemas() -> dict[str, Schema]:
    return {
        "Error": obj({"error": STRING}),
        "FieldError": FIELD_ERROR,
        "Errors": obj({"errors": array(ref("FieldError"))}),
        "Health": obj({"status": {"const": "ok"}}),
        "Catalog": obj(
            {
                "connectors": array(ref("CatalogEntry")),
                "broken": array(obj({"plugin": STRING, "problems": array(STRING)})),
            }
        ),
        "CatalogEntry": CATALOG_ENTRY,
        "CatalogDetail": CATALOG_DETAIL,
        "Connection": CONNECTION,
        "Installation": INSTALLATION,
        "Installations": obj({"installations": array(ref("Installation"))}),
        "NewInstallation": obj(
            {"connector_id": STRING, "name": {"type": "string", "minLength": 1, "maxLength": 200}},
            optional=("name",),
        ),
        "Config": CONFIG,
        "ConfigDocument": {
            "type": "object",
            "description": "a configuration shaped by the connector's config schema",
        },
        "ConfigHistory": obj({"versions": array(ref("ConfigVersion"))}),
        "ConfigVersion": CONFIG_VERSION,
        "Restore": obj({"version": {"type": "integer", "minimum": 1}}),
        "AuthorizeUrl": obj({"authorize_url": {"type": "string", "format": "uri"}}),
        "Options": obj({"options": array(obj({"value": STRING, "label": STRING}))}),
        "ActionResult": obj(
            {
                "ok": BOOLEAN,
                "message": STRING,
                "details": ANY_OBJECT,
                "run_ids": array(INTEGER),
            }
        ),
        "Run": obj(RUN_PROPERTIES),
        "RunDetail": obj({**RUN_PROPERTIES, "logs": array(ref("LogLine"))}),
        "LogLine": LOG_LINE,
        "RunPage": page_schema("runs", "Run"),
        "NewRun": obj({"job": STRING}),
        "Record": RECORD,
        "RecordPage": page_schema("records", "Record"),
        "Retry": obj(
            {
                "entity": STRING,
                "local_ids": {"type": "array", "items": STRING, "minItems": 1, "maxItems": 1000},
                "all": {"const": True},
                "job": STRING,
            },
            optional=("local_ids", "all", "job"),
        ),
        "RetryResult": obj({"marked": array(STRING), "run": nullable(ref("Run"))}),
    }


# Operations --------------------------------------------------------------------------------------


def json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def answer(description: str, schema: Schema | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = json_content(schema)
    return response


def path_param(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def query_param(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


INSTALLATION_ID = path_param("installation_id", INTEGER, "an installation of the token's tenant")
RUN_ID = path_param("run_id", INTEGER, "a run of one of the tenant's installations")
PAGING = [
    query_param("page", {"type": "integer", "minimum": 1, "default": 1}, "page number, from 1"),
    query_param(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "rows per page",
    ),
]

UNAUTHORIZED = answer("no valid API token", ref("Error"))
NOT_FOUND = answer("no such resource in the token's tenant", ref("Error"))
CONFLICT = answer("refused in the resource's current state", ref("Error"))
INVALID = answer("input refused; every field at fault is named", ref("Errors"))


def operation(
    summary: str,
    ok: tuple[int, str, Schema | None],
    *,
    tag: str,
    params: list[dict[str, Any]] | None = None,
    body: Schema | None = None,
    errors: tuple[int, ...] = (401, 404, 422),
    extra: dict[int, dict[str, Any]] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """One operation of the integrations API (ledger operations use :func:`ledger_operation`)."""
    status, description, schema = ok
    standard = {401: UNAUTHORIZED, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID}
    responses = {str(status): answer(description, schema)}
    responses.update({str(code): standard[code] for code in errors if not public or code != 401})
    responses.update({str(code): value for code, value in (extra or {}).items()})
    result: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        result["parameters"] = params
    if body is not None:
        result["requestBody"] = {"required": True, "content": json_content(body)}
    if public:
        result["security"] = []
    return result


def integrations_paths() -> dict[str, dict[str, Any]]:
    inst = [INSTALLATION_ID]
    return {
        "/api/v1/health": {
            "get": operation(
                "Liveness and database reachability",
                (200, "the service answers", ref("Health")),
                tag="service",
                errors=(),
                public=True,
            )
        },
        "/api/v1/openapi.json": {
            "get": operation(
                "This document",
                (200, "the OpenAPI 3.1 document", ANY_OBJECT),
                tag="service",
                errors=(),
                public=True,
            )
        },
        "/api/v1/catalog": {
            "get": operation(
                "Connectors offered, and broken plugins with their reasons",
                (200, "the catalog", ref("Catalog")),
                tag="catalog",
                errors=(401,),
            )
        },
        "/api/v1/catalog/{connector_id}": {
            "get": operation(
                "One connector: manifest, jobs, actions, connections, config schema",
                (200, "the connector", ref("CatalogDetail")),
                tag="catalog",
                params=[path_param("connector_id", STRING, "a connector's id")],
                errors=(401, 404),
            )
        },
        "/api/v1/installations": {
            "get": operation(
                "The tenant's installations",
                (200, "installations with connections, last and next run", ref("Installations")),
                tag="installations",
                errors=(401, 422),
            ),
            "post": operation(
                "Install a connector (a draft configured with the schema's defaults)",
                (201, "the new installation", ref("Installation")),
                tag="installations",
                body=ref("NewInstallation"),
                errors=(401, 422),
            ),
        },
        "/api/v1/installations/{installation_id}": {
            "get": operation(
                "One installation",
                (200, "the installation", ref("Installation")),
                tag="installations",
                params=inst,
            ),
            "delete": operation(
                "Uninstall: schedules removed, tokens revoked, data kept or purged",
                (204, "uninstalled", None),
                tag="installations",
                params=[
                    INSTALLATION_ID,
                    query_param(
                        "purge",
                        {"enum": ["true", "false"], "default": "false"},
                        "also delete its runs, records and configuration history",
                    ),
                ],
                errors=(401, 404, 409, 422),
            ),
        },
        "/api/v1/installations/{installation_id}/pause": {
            "post": operation(
                "Stop scheduling the jobs (an active installation)",
                (200, "the paused installation", ref("Installation")),
                tag="installations",
                params=inst,
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/resume": {
            "post": operation(
                "Schedule the jobs again from their next slot (a paused installation)",
                (200, "the resumed installation", ref("Installation")),
                tag="installations",
                params=inst,
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/config": {
            "get": operation(
                "The current configuration, secrets masked",
                (200, "the configuration", ref("Config")),
                tag="configuration",
                params=inst,
            ),
            "put": operation(
                "Save a whole configuration (a blank or masked secret keeps the stored one)",
                (200, "the saved version", ref("Config")),
                tag="configuration",
                params=inst,
                body=ref("ConfigDocument"),
                errors=(401, 404, 409, 422),
            ),
            "patch": operation(
                "Change the fields sent (JSON merge patch; null removes a field)",
                (200, "the saved version", ref("Config")),
                tag="configuration",
                params=inst,
                body=ref("ConfigDocument"),
                errors=(401, 404, 409, 422),
            ),
        },
        "/api/v1/installations/{installation_id}/config/history": {
            "get": operation(
                "Saved versions, newest first (secret changes without values)",
                (200, "the versions", ref("ConfigHistory")),
                tag="configuration",
                params=inst,
            )
        },
        "/api/v1/installations/{installation_id}/config/restore": {
            "post": operation(
                "Make an old version current again (as a new version)",
                (200, "the saved version", ref("Config")),
                tag="configuration",
                params=inst,
                body=ref("Restore"),
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/connect/{provider}": {
            "post": operation(
                "The provider's authorization URL (redirect_uri is this app's OAuth callback)",
                (200, "where to send the admin's browser", ref("AuthorizeUrl")),
                tag="installations",
                params=[INSTALLATION_ID, path_param("provider", STRING, "an OAuth provider key")],
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/options/{source}": {
            "get": operation(
                "The choices of a picker (an x-options source)",
                (200, "the choices", ref("Options")),
                tag="installations",
                params=[INSTALLATION_ID, path_param("source", STRING, "an option source key")],
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/actions/{key}": {
            "post": operation(
                "Run an action of the connector with parameters (validated by its schema)",
                (200, "what the action reported", ref("ActionResult")),
                tag="installations",
                params=[INSTALLATION_ID, path_param("key", STRING, "an action key")],
                body=ANY_OBJECT,
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/runs": {
            "get": operation(
                "The installation's runs, newest first",
                (200, "a page of runs", ref("RunPage")),
                tag="runs",
                params=[
                    INSTALLATION_ID,
                    *PAGING,
                    query_param("job", STRING, "only runs of this job"),
                    query_param("status", RUN_PROPERTIES["status"], "only runs with this outcome"),
                ],
            ),
            "post": operation(
                "Run a job now",
                (202, "the run, handed to the executor", ref("Run")),
                tag="runs",
                params=inst,
                body=ref("NewRun"),
                errors=(401, 404, 409, 422),
            ),
        },
        "/api/v1/runs/{run_id}": {
            "get": operation(
                "A run with counts, progress and log lines",
                (200, "the run", ref("RunDetail")),
                tag="runs",
                params=[RUN_ID],
            )
        },
        "/api/v1/runs/{run_id}/cancel": {
            "post": operation(
                "Cancel a queued run, or ask a running one to stop at its next record",
                (200, "the run", ref("Run")),
                tag="runs",
                params=[RUN_ID],
                errors=(401, 404, 409, 422),
            )
        },
        "/api/v1/installations/{installation_id}/records": {
            "get": operation(
                "Synced records and their status",
                (200, "a page of records", ref("RecordPage")),
                tag="records",
                params=[
                    INSTALLATION_ID,
                    *PAGING,
                    query_param("entity", STRING, "only records of this entity (invoice...)"),
                    query_param("status", RECORD["properties"]["status"], "only this status"),
                ],
            )
        },
        "/api/v1/installations/{installation_id}/records/retry": {
            "post": operation(
                "Mark records needs sync, and optionally run the job that sends them",
                (200, "the records marked (no job named)", ref("RetryResult")),
                tag="records",
                params=inst,
                body=ref("Retry"),
                errors=(401, 404, 409, 422),
                extra={202: answer("the records marked and the run started", ref("RetryResult"))},
            )
        },
    }


# The ledger's operations -------------------------------------------------------------------------

LEDGER_SECURITY = [{"ledgerBasic": []}, {"bearerToken": []}]
LEDGER_ERRORS = {
    "401": answer("no valid credentials", ref("LedgerErrors")),
    "422": answer("input refused; every field at fault is named", ref("LedgerErrors")),
}
LEDGER_NOT_FOUND = {"404": answer("no such record in the tenant's ledger", ref("LedgerErrors"))}


def data_of(schema: Schema) -> Schema:
    return obj({"data": schema})


def ledger_operation(
    summary: str,
    status: int,
    result: Schema | None,
    *,
    params: list[dict[str, Any]] | None = None,
    body: Schema | None = None,
    by_id: bool = False,
) -> dict[str, Any]:
    responses = {str(status): answer(summary, None if result is None else data_of(result))}
    responses.update(LEDGER_ERRORS)
    if by_id or body is not None:
        responses.update(LEDGER_NOT_FOUND)
    operation_: dict[str, Any] = {
        "summary": summary,
        "tags": ["ledger"],
        "security": LEDGER_SECURITY,
        "responses": responses,
    }
    if params:
        operation_["parameters"] = params
    if body is not None:
        operation_["requestBody"] = {"required": True, "content": json_content(body)}
    return operation_


CHANGED_SINCE = query_param("changed_since", TIME, "only records changed strictly after")


def ledger_collection(
    path: str, record: str, input_name: str, *, params: list[dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """List, create, read and update (PUT replaces, PATCH changes the fields sent)."""
    single = path.rstrip("s").replace("tax-rate", "tax_rate").rsplit("/", 1)[-1]
    id_param = path_param(f"{single}_id", STRING, f"a {single.replace('_', ' ')} id")
    return {
        f"/api/v1/ledger/{path}": {
            "get": ledger_operation(f"List {path}", 200, array(ref(record)), params=params),
            "post": ledger_operation(f"Create a {single}", 201, ref(record), body=ref(input_name)),
        },
        f"/api/v1/ledger/{path}/{{{single}_id}}": {
            "get": ledger_operation(
                f"One {single}", 200, ref(record), params=[id_param], by_id=True
            ),
            "put": ledger_operation(
                f"Replace a {single}", 200, ref(record), params=[id_param], body=ref(input_name)
            ),
            "patch": ledger_operation(
                f"Change a {single}'s fields sent",
                200,
                ref(record),
                params=[id_param],
                body={"type": "object", "description": f"any fields of {input_name}"},
            ),
        },
    }


def ledger_paths() -> dict[str, dict[str, Any]]:
    invoice_id = path_param("invoice_id", STRING, "an invoice id")
    payment_id = path_param("payment_id", STRING, "a payment id")
    paths: dict[str, dict[str, Any]] = {
        "/api/v1/ledger/account": {
            "get": ledger_operation("The tenant on the platform", 200, ref("PlatformAccount"))
        },
        "/api/v1/ledger/subsidiaries": {
            "get": ledger_operation("Subsidiaries", 200, array(ref("Subsidiary"))),
            "post": ledger_operation(
                "Create a subsidiary", 201, ref("Subsidiary"), body=ref("NewSubsidiary")
            ),
        },
    }
    paths.update(
        ledger_collection(
            "customers",
            "Customer",
            "CustomerInput",
            params=[CHANGED_SINCE, query_param("email", STRING, "customers with this e-mail")],
        )
    )
    paths.update(ledger_collection("items", "Item", "ItemInput", params=[CHANGED_SINCE]))
    paths.update(ledger_collection("tax-rates", "TaxRate", "TaxRateInput"))
    paths.update(
        ledger_collection(
            "payments",
            "Payment",
            "PaymentInput",
            params=[
                CHANGED_SINCE,
                query_param("invoice_id", STRING, "payments of this invoice"),
                query_param("origin", {"enum": ["platform", "remote"]}, "where it was recorded"),
            ],
        )
    )
    paths["/api/v1/ledger/payments/{payment_id}"]["delete"] = ledger_operation(
        "Delete a payment", 204, None, params=[payment_id], by_id=True
    )
    status_param = {
        **query_param("status", array({"enum": ["draft", "sent", "paid", "void"]}), "repeatable"),
        "explode": True,
    }
    id_filter = {**query_param("id", array(STRING), "only these ids (repeatable)"), "explode": True}
    paths["/api/v1/ledger/invoices"] = {
        "get": ledger_operation(
            "List invoices",
            200,
            array(ref("Invoice")),
            params=[status_param, CHANGED_SINCE, id_filter],
        ),
        "post": ledger_operation(
            "Create a draft invoice", 201, ref("Invoice"), body=ref("NewInvoice")
        ),
    }
    paths["/api/v1/ledger/invoices/{invoice_id}"] = {
        "get": ledger_operation(
            "One invoice", 200, ref("Invoice"), params=[invoice_id], by_id=True
        ),
        "patch": ledger_operation(
            "Change the fields sent; totals are recomputed",
            200,
            ref("Invoice"),
            params=[invoice_id],
            body=ref("InvoiceChanges"),
        ),
    }
    for verb in ("send", "void"):
        paths[f"/api/v1/ledger/invoices/{{invoice_id}}/{verb}"] = {
            "post": ledger_operation(
                f"{verb.title()} an invoice", 200, ref("Invoice"), params=[invoice_id], by_id=True
            )
        }
    paths["/api/v1/ledger/invoices/{invoice_id}/pdf"] = {
        "get": ledger_operation(
            "The invoice's stored PDF (null when the platform renders its own)",
            200,
            nullable(ref("InvoicePdf")),
            params=[invoice_id],
            by_id=True,
        ),
        "put": ledger_operation(
            "Store the invoice's PDF (a connector's rendering, e.g. QuickBooks')",
            204,
            None,
            params=[invoice_id],
            body=ref("NewInvoicePdf"),
        ),
    }
    paths["/api/v1/ledger/sync-states"] = {
        "get": ledger_operation(
            "Sync states of one installation",
            200,
            array(ref("SyncState")),
            params=[
                {**query_param("installation_id", INTEGER, "required"), "required": True},
                query_param("kind", {"enum": list(port.RECORD_KINDS)}, "record kind"),
                query_param("status", {"enum": ["synced", "failed", "needs_sync"]}, "status"),
                {**query_param("record_id", array(STRING), "repeatable"), "explode": True},
            ],
        ),
        "put": ledger_operation("Set a record's sync state", 204, None, body=ref("SyncState")),
    }
    return paths


# The document ------------------------------------------------------------------------------------


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Integrations Library API",
            "version": VERSION,
            "description": (
                "The integrations marketplace of a business application: catalog, "
                "installations, configuration, connections, runs, records, and the embedded "
                "ledger. Calls are scoped to the API token's tenant; another tenant's ids "
                "answer 404. Refused input answers 422 naming each field."
            ),
        },
        "security": [{"bearerToken": []}],
        "tags": [
            {"name": name}
            for name in (
                "service",
                "catalog",
                "installations",
                "configuration",
                "runs",
                "records",
                "ledger",
            )
        ],
        "paths": {**integrations_paths(), **ledger_paths()},
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "il_…",
                    "description": "a tenant's API token (created in the admin UI or the CLI)",
                },
                "ledgerBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "a ledger API user: login@clientcode and its password",
                },
            },
            "schemas": {**api_schemas(), **ledger_schemas()},
        },
    }


def openapi_document() -> dict[str, Any]:
    """The document (built once per process; callers must not change it)."""
    return _document()
