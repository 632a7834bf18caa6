"""The ledger's JSON API over real HTTP: who may call it, what it refuses, invoice flows.

Every request goes to the web app served on a free port (``ledger_server``), as a platform's
script or the REST adapter would send it.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from core.app import create_app
from core.platform.port import CustomerInput, PlatformError, RecordNotFound
from core.platform.rest import RestPlatform
from core.services import Services
from core.tenants import create_user, get_or_create_tenant
from core.web_auth import current_user

API = "/api/v1/ledger"


@pytest.fixture
def api(ledger_server, ledger_credentials, tenant_id):
    """An HTTP client signed in as an API user of the test tenant."""
    credentials = ledger_credentials(tenant_id)
    with httpx.Client(base_url=ledger_server.url + API, auth=credentials.auth) as client:
        yield client


@pytest.fixture
def anonymous(ledger_server):
    with httpx.Client(base_url=ledger_server.url + API) as client:
        yield client


@pytest.fixture
def other_api(integrations: Services, ledger_server, ledger_credentials):
    """A client of another tenant."""
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other tenant").id
    with httpx.Client(
        base_url=ledger_server.url + API, auth=ledger_credentials(other).auth
    ) as client:
        yield client


def errors(response: httpx.Response) -> list[tuple[str | None, str]]:
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


def create_customer(api: httpx.Client, **fields) -> dict:
    response = api.post("/customers", json={"display_name": "Ann Lee", **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def draft_invoice(api: httpx.Client, customer_id: str, **fields) -> dict:
    body = {
        "customer_id": customer_id,
        "lines": [{"description": "Consulting", "quantity": "2", "unit_price": "45.50"}],
        **fields,
    }
    response = api.post("/invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


# Authentication ---------------------------------------------------------------------------------


def test_a_request_without_credentials_is_401_with_a_basic_challenge(anonymous):
    response = anonymous.get("/customers")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="ledger"')
    assert "login@clientcode" in response.json()["errors"][0]["message"]


def test_a_wrong_password_or_unknown_user_is_401(anonymous, ledger_credentials, tenant_id):
    good = ledger_credentials(tenant_id)
    login, code = good.username.split("@")
    assert anonymous.get("/account", auth=good.auth).status_code == 200  # now remembered
    for username, password in [
        (good.username, good.password + "x"),
        (f"{login}@999999", good.password),
        (f"nobody@{code}", good.password),
        (login, good.password),
    ]:
        assert anonymous.get("/account", auth=(username, password)).status_code == 401
    bearer = anonymous.get("/account", headers={"Authorization": f"Bearer {good.password}"})
    assert bearer.status_code == 401
    assert anonymous.get("/account", auth=good.auth).status_code == 200


def test_the_account_names_the_tenant_and_never_a_secret(api, ledger_credentials, tenant_id):
    response = api.get("/account")
    account = response.json()["data"]
    assert account["unique_identifier"] == f"test-tenant-{account['client_code']}"
    assert set(account) == {"unique_identifier", "client_code", "name"}
    assert "password" not in response.text and "scrypt" not in response.text


def test_a_signed_in_browser_session_does_not_authenticate_the_api(
    integrations: Services, ledger_server, tenant_id
):
    """The admin's session cookie opens the pages, never the ledger API."""
    with integrations.db.session() as session:
        tenant = get_or_create_tenant(session, "test", "Test tenant")
        user, _ = create_user(session, tenant, "admin@example.com")
        user_id = user.id
    app = create_app(integrations)
    cookie = app.session_interface.get_signing_serializer(app).dumps({"user_id": user_id})
    header = f"{app.config['SESSION_COOKIE_NAME']}={cookie}"
    with app.test_request_context(headers={"Cookie": header}):
        assert current_user() is not None and current_user().id == user_id
    with httpx.Client(base_url=ledger_server.url + API, headers={"Cookie": header}) as browser:
        assert browser.get("/customers").status_code == 401
        created = browser.post("/customers", json={"display_name": "Mallory"})
        assert created.status_code == 401
        assert "set-cookie" not in created.headers
    assert integrations.ledger(tenant_id).customers() == []


def test_another_tenants_records_are_not_found(api, other_api):
    customer = create_customer(api, email="ann@example.com")
    invoice = draft_invoice(api, customer["id"])
    path = f"/customers/{customer['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.patch(path, json={"display_name": "Taken"}).status_code == 404
    assert other_api.post(f"/invoices/{invoice['id']}/send").status_code == 404
    assert other_api.get("/invoices").json()["data"] == []
    api.post(f"/invoices/{invoice['id']}/send")
    paid = api.post(
        "/payments",
        json={"customer_id": customer["id"], "amount": "5", "date": "2030-01-02", "type": "cash"},
    ).json()["data"]
    assert other_api.delete(f"/payments/{paid['id']}").status_code == 404
    assert other_api.patch(f"/payments/{paid['id']}", json={"amount": "1"}).status_code == 404
    assert other_api.get("/customers", params={"email": "ann@example.com"}).json()["data"] == []
    paying = other_api.post(
        "/payments",
        json={
            "customer_id": customer["id"],
            "amount": "1.00",
            "date": "2030-01-02",
            "type": "card",
        },
    )
    assert paying.status_code == 422
    assert errors(paying) == [("/customer_id", f"no customer {customer['id']!r}")]
    assert api.get(path).json()["data"]["display_name"] == "Ann Lee"


def test_a_missing_record_is_404_with_its_kind_and_id(api):
    response = api.get("/items/424242")
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": None, "message": "no item '424242'", "kind": "item", "id": "424242"}
    ]


# Validation ---------------------------------------------------------------------------------


def test_a_body_is_checked_field_by_field_and_every_problem_is_named(api):
    response = api.post(
        "/customers", json={"display_name": 7, "active": "yes", "nickname": "Annie"}
    )
    assert response.status_code == 422
    assert errors(response) == [
        ("/nickname", "is not a known field"),
        ("/display_name", "must be a string, not a number"),
        ("/active", "must be true or false, not a string"),
    ]


def test_the_ledgers_own_refusal_names_the_field_as_a_pointer(api):
    customer = create_customer(api)
    bad_line = api.post(
        "/invoices",
        json={
            "customer_id": customer["id"],
            "lines": [
                {"description": "Fine", "unit_price": "1.00"},
                {"description": "Bad", "quantity": "-1", "unit_price": "1.00"},
            ],
        },
    )
    assert bad_line.status_code == 422
    assert errors(bad_line) == [("/lines/1/quantity", "must be more than 0")]
    bad_email = api.post("/customers", json={"display_name": "Bo", "email": "not-an-address"})
    assert errors(bad_email) == [("/email", "'not-an-address' is not an e-mail address")]


def test_invoice_bodies_need_a_customer_and_lines_and_no_unknown_fields(api):
    response = api.post("/invoices", json={"colour": "red"})
    assert errors(response) == [
        ("/customer_id", "is required"),
        ("/lines", "is required"),
        ("/colour", "is not a field of an invoice"),
    ]
    assert errors(api.post("/invoices", json=[1])) == [("", "must be a JSON object")]


def test_malformed_or_non_json_bodies_are_refused(api):
    broken = api.post(
        "/customers", content=b'{"display_name": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and errors(broken)[0][0] == ""
    assert "is not valid JSON" in errors(broken)[0][1]
    form = api.post("/customers", data={"display_name": "Ann"})
    assert errors(form) == [("", "send a JSON object (application/json)")]


def test_query_parameters_are_checked(api):
    naive = api.get("/customers", params={"changed_since": "2030-01-01T00:00:00"})
    assert errors(naive) == [
        (
            "?changed_since",
            "'2030-01-01T00:00:00' needs a time zone offset (e.g. 2026-01-31T12:00:00Z)",
        )
    ]
    assert errors(api.get("/invoices", params={"status": "open"})) == [
        ("?status", "'open' is not one of 'draft', 'sent', 'paid', 'void'")
    ]
    assert errors(api.get("/invoices", params={"statuses": "sent"})) == [
        ("?statuses", "is not a known query parameter")
    ]
    assert errors(api.get("/sync-states")) == [("?installation_id", "is required")]
    twice = api.get("/payments", params=[("origin", "remote"), ("origin", "platform")])
    assert errors(twice) == [("?origin", "may be given only once")]


# Invoice flows ------------------------------------------------------------------------------


def test_an_invoice_is_created_sent_paid_and_listed_by_status(api):
    customer = create_customer(api)
    draft = draft_invoice(api, customer["id"], discount_percent=10, subject="March")
    assert (draft["status"], draft["subtotal"], draft["discount_total"]) == (
        "draft",
        "91.00",
        "9.10",
    )
    assert draft["total"] == "81.90" and draft["lines"][0]["quantity"] == "2.0000"
    sent = api.post(f"/invoices/{draft['id']}/send").json()["data"]
    assert sent["status"] == "sent" and sent["sent_at"].endswith("+00:00")
    assert sent["issue_date"] == draft["issue_date"] and len(sent["issue_date"]) == 10
    assert [i["id"] for i in api.get("/invoices", params={"status": "draft"}).json()["data"]] == []
    payment = api.post(
        "/payments",
        json={
            "customer_id": customer["id"],
            "invoice_id": draft["id"],
            "amount": 81.90,  # a JSON number is read exactly, never as a float
            "date": "2030-03-31",
            "type": "card",
        },
    )
    assert payment.status_code == 201 and payment.json()["data"]["amount"] == "81.90"
    listed = api.get("/invoices", params=[("status", "paid"), ("status", "void")]).json()["data"]
    assert [(i["id"], i["status"], i["balance"]) for i in listed] == [(draft["id"], "paid", "0.00")]


def test_a_sent_invoice_is_updated_then_voided_and_a_void_one_stays_void(api):
    customer = create_customer(api)
    invoice = draft_invoice(api, customer["id"])
    api.post(f"/invoices/{invoice['id']}/send")
    updated = api.patch(
        f"/invoices/{invoice['id']}",
        json={"po_number": "PO-7", "lines": [{"description": "Less", "unit_price": "10"}]},
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["data"]["po_number"], updated.json()["data"]["total"]) == (
        "PO-7",
        "10.00",
    )
    voided = api.post(f"/invoices/{invoice['id']}/void").json()["data"]
    assert (voided["status"], voided["balance"]) == ("void", "0.00")
    resend = api.post(f"/invoices/{invoice['id']}/send")
    assert resend.status_code == 409
    assert errors(resend) == [
        ("/status", f"invoice {invoice['number']} is void and cannot be sent")
    ]
    assert api.patch(f"/invoices/{invoice['id']}", json={"note": "x"}).status_code == 409


def test_an_invoice_with_payments_cannot_be_voided(api):
    customer = create_customer(api)
    invoice = draft_invoice(api, customer["id"])
    api.post(f"/invoices/{invoice['id']}/send")
    body = {"customer_id": customer["id"], "invoice_id": invoice["id"], "amount": "10.00"}
    api.post("/payments", json={**body, "date": "2030-03-31", "type": "cash"})
    refused = api.post(f"/invoices/{invoice['id']}/void")
    assert refused.status_code == 409
    assert api.get(f"/invoices/{invoice['id']}").json()["data"]["status"] == "sent"


def test_patch_changes_only_the_fields_sent_and_put_replaces_them(api):
    customer = create_customer(api, email="ann@example.com", phone="555-0100")
    patched = api.patch(f"/customers/{customer['id']}", json={"phone": "555-0199"})
    assert (patched.json()["data"]["email"], patched.json()["data"]["phone"]) == (
        "ann@example.com",
        "555-0199",
    )
    replaced = api.put(f"/customers/{customer['id']}", json={"display_name": "Ann Lee-Park"})
    assert (replaced.json()["data"]["email"], replaced.json()["data"]["phone"]) == (None, "")


def test_subsidiaries_are_listed_and_created(api):
    created = api.post("/subsidiaries", json={"name": "West"})
    assert created.status_code == 201
    assert api.get("/subsidiaries").json()["data"] == [created.json()["data"]]
    assert errors(api.post("/subsidiaries", json={})) == [("/name", "is required")]


# The REST adapter's own failures --------------------------------------------------------------


def test_an_unexpected_reply_names_the_url_path_and_status(ledger_server):
    elsewhere = RestPlatform(ledger_server.url + "/elsewhere", "a@b", "password", 1)
    with elsewhere as port, pytest.raises(PlatformError) as failure:
        port.account()
    assert failure.value.status == 404
    assert "GET /elsewhere/api/v1/ledger/account" in str(failure.value)
    assert "unexpected reply 404" in str(failure.value)


def test_an_unreachable_platform_is_a_clear_error(integrations):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port_number = probe.getsockname()[1]
    closed = RestPlatform(f"http://127.0.0.1:{port_number}", "a@b", "pw", 1)
    with closed as port, pytest.raises(PlatformError) as failure:
        port.customers()
    assert failure.value.status == 503
    assert "cannot reach the platform" in str(failure.value)
    assert "GET /api/v1/ledger/customers" in str(failure.value)


def test_a_platform_that_does_not_answer_times_out(integrations):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        slow = RestPlatform(url, "a@b", "secret-pw", 1, timeout=0.5)
        with slow as port, pytest.raises(PlatformError) as failure:
            port.create_customer(CustomerInput(display_name="Ann"))
    assert failure.value.status == 504
    assert "POST /api/v1/ledger/customers" in str(failure.value)
    assert "secret-pw" not in str(failure.value)


def test_the_adapter_reports_the_ledgers_refusals_like_the_ledger(
    ledger_server, ledger_credentials, tenant_id, integrations
):
    credentials = ledger_credentials(tenant_id)
    with RestPlatform(ledger_server.url, *credentials.auth, tenant_id) as port:
        with pytest.raises(RecordNotFound) as missing:
            port.customer("nope")
        with pytest.raises(PlatformError) as refused:
            port.create_customer(CustomerInput(display_name=" ", email=None))
    assert str(missing.value) == "no customer 'nope'"
    assert (refused.value.field, refused.value.message) == ("display_name", "is required")
