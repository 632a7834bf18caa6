"""The OpenAPI document: valid OpenAPI 3.1, the same routes as the app, and real answers of
every route matching the schemas it documents."""

from __future__ import annotations

import base64
import re

from api_client import CHECKED, Api
from flask import Flask
from openapi_spec_validator import validate
from sample_plugins import complete_config

from core.openapi import openapi_document
from core.platform.ledger import create_api_user
from core.services import Services

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every rule the app serves under /api/v1."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return found


def documented() -> set[tuple[str, str]]:
    paths = openapi_document()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()

    validate(document)

    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"bearerToken", "ledgerBasic"}


def test_the_document_lists_exactly_the_apps_routes(app: Flask) -> None:
    served, described = routes(app), documented()

    assert served - described == set(), "routes missing from the document"
    assert described - served == set(), "documented routes the app does not serve"


def test_every_path_parameter_is_declared(app: Flask) -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"


def test_the_document_is_served_without_a_token(app: Flask) -> None:
    reply = app.test_client().get("/api/v1/openapi.json")

    assert reply.status_code == 200
    assert reply.get_json() == openapi_document()


def test_every_route_answers_as_documented(
    app: Flask, api: Api, integrations: Services, tenant_id: int, install_connector
) -> None:
    """One walk through every route; each answer is checked by the ``Api`` client."""
    CHECKED.clear()
    public = Api(app, None)
    public.get("/api/v1/health")
    public.get("/api/v1/openapi.json")
    api.get("/api/v1/catalog")
    api.get("/api/v1/catalog/sample")

    installation = install_connector("sample", complete_config())
    base = f"/api/v1/installations/{installation.id}"
    api.get("/api/v1/installations")
    draft = api.post("/api/v1/installations", {"connector_id": "sample"}).get_json()
    api.get(base)
    api.post(f"{base}/pause")
    api.post(f"{base}/resume")
    api.get(f"{base}/config")
    api.put(f"{base}/config", complete_config(api_key=""))
    api.patch(f"{base}/config", {"account": {"label": "walk"}})
    api.get(f"{base}/config/history")
    api.post(f"{base}/config/restore", {"version": 2})
    api.post(f"{base}/connect/crm")
    api.get(f"{base}/options/stages")  # 409: not connected
    api.post(f"{base}/actions/greet", {"name": "walk"})
    run = api.post(f"{base}/runs", {"job": "export_deals"}).get_json()
    api.get(f"{base}/runs?status=partial")
    api.get(f"/api/v1/runs/{run['id']}")
    api.post(f"/api/v1/runs/{run['id']}/cancel")  # 409: already ended
    api.get(f"{base}/records?status=failed")
    api.post(f"{base}/records/retry", {"entity": "deal", "all": True, "job": "export_deals"})
    api.delete(f"/api/v1/installations/{draft['id']}?purge=true")

    walk_the_ledger(api, integrations, tenant_id, installation.id)

    assert {(method, path) for method, path, _ in CHECKED} == documented()


def walk_the_ledger(api: Api, integrations: Services, tenant_id: int, installation_id: int):
    ledger = "/api/v1/ledger"
    api.get(f"{ledger}/account")
    subsidiary = api.post(f"{ledger}/subsidiaries", {"name": "East"}).get_json()["data"]
    api.get(f"{ledger}/subsidiaries")
    customer = api.post(
        f"{ledger}/customers", {"display_name": "Ada Lovelace", "email": "ada@example.com"}
    ).get_json()["data"]
    api.get(f"{ledger}/customers?email=ada@example.com")
    api.get(f"{ledger}/customers/{customer['id']}")
    api.put(f"{ledger}/customers/{customer['id']}", {"display_name": "Ada L."})
    api.patch(f"{ledger}/customers/{customer['id']}", {"subsidiary_id": subsidiary["id"]})
    item = api.post(f"{ledger}/items", {"name": "Design", "price": "120.00"}).get_json()["data"]
    api.get(f"{ledger}/items")
    api.get(f"{ledger}/items/{item['id']}")
    api.put(f"{ledger}/items/{item['id']}", {"name": "Design", "kind": "recurring"})
    api.patch(f"{ledger}/items/{item['id']}", {"price": "130.00"})
    rate = api.post(f"{ledger}/tax-rates", {"name": "VAT", "rate": "20.00"}).get_json()["data"]
    api.get(f"{ledger}/tax-rates")
    api.get(f"{ledger}/tax-rates/{rate['id']}")
    api.put(f"{ledger}/tax-rates/{rate['id']}", {"name": "VAT", "rate": "19.00"})
    api.patch(f"{ledger}/tax-rates/{rate['id']}", {"active": False})
    invoice = api.post(
        f"{ledger}/invoices",
        {"customer_id": customer["id"], "lines": [{"item_id": item["id"], "quantity": 2}]},
    ).get_json()["data"]
    api.get(f"{ledger}/invoices?status=draft")
    api.get(f"{ledger}/invoices/{invoice['id']}")
    api.patch(f"{ledger}/invoices/{invoice['id']}", {"subject": "Walk"})
    api.post(f"{ledger}/invoices/{invoice['id']}/send")
    api.get(f"{ledger}/invoices/{invoice['id']}/pdf")
    api.put(f"{ledger}/invoices/{invoice['id']}/pdf", {"source": "walk", "content": "JVBERi0xLjQK"})
    api.get(f"{ledger}/invoices/{invoice['id']}/pdf")
    payment = api.post(
        f"{ledger}/payments",
        {
            "customer_id": customer["id"],
            "invoice_id": invoice["id"],
            "amount": "10.00",
            "date": "2026-11-01",
            "type": "card",
        },
    ).get_json()["data"]
    api.get(f"{ledger}/payments?invoice_id={invoice['id']}")
    api.get(f"{ledger}/payments/{payment['id']}")
    api.put(
        f"{ledger}/payments/{payment['id']}",
        {**{k: payment[k] for k in ("customer_id", "invoice_id", "date", "type")}, "amount": "12"},
    )
    api.patch(f"{ledger}/payments/{payment['id']}", {"reference": "walk"})
    api.delete(f"{ledger}/payments/{payment['id']}")
    api.post(f"{ledger}/invoices/{invoice['id']}/void")
    state = {
        "installation_id": installation_id,
        "kind": "invoice",
        "record_id": invoice["id"],
        "status": "failed",
        "reason": "walk",
    }
    api.put(f"{ledger}/sync-states", state)
    api.get(f"{ledger}/sync-states?installation_id={installation_id}&kind=invoice")


def test_refusals_match_the_documented_error_shapes(app: Flask, api: Api, installation) -> None:
    base = f"/api/v1/installations/{installation.id}"
    assert Api(app, "il_wrong").get("/api/v1/catalog").status_code == 401
    assert api.get("/api/v1/installations/999").status_code == 404
    assert api.post(f"{base}/pause").status_code == 200
    assert api.post(f"{base}/pause").status_code == 409
    assert api.post(f"{base}/runs", {"job": 1}).status_code == 422
    assert api.get("/api/v1/ledger/customers/nope").status_code == 404
    assert api.post("/api/v1/ledger/customers", {"email": 3}).status_code == 422


def test_the_ledger_takes_basic_credentials_or_an_api_token(
    app: Flask, api: Api, integrations: Services, tenant_id: int
) -> None:
    create_api_user(integrations.db, tenant_id, "sync", "pw-ledger-123")
    code = api.get("/api/v1/ledger/account").get_json()["data"]["client_code"]
    basic = base64.b64encode(f"sync@{code}:pw-ledger-123".encode()).decode()

    assert Api(app, basic, auth="Basic").get("/api/v1/ledger/customers").status_code == 200
    wrong = Api(app, "il_revoked-or-unknown").get("/api/v1/ledger/customers")
    assert wrong.status_code == 401
    assert "Bearer <API token>" in wrong.get_json()["errors"][0]["message"]
