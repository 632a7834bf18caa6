"""The control API: setting up apps, companies and tokens, planning faults, reading the log."""

from __future__ import annotations

import httpx
import pytest
from emulator_support import create_company, mint_tokens


def control(emulator, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{emulator.url}/_emulator{path}", **kwargs)


def company_info(emulator, realm_id: str, tokens: dict, **kwargs) -> httpx.Response:
    return httpx.get(
        f"{emulator.url}/v3/company/{realm_id}/companyinfo/{realm_id}",
        params={"minorversion": "75"},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_secret": "s", "redirect_uris": []}, "client_id"),
        ({"client_id": "", "client_secret": "s"}, "client_id"),
        ({"client_id": "a", "client_secret": 7}, "client_secret"),
        ({"client_id": "a", "client_secret": "s", "redirect_uris": "https://x"}, "redirect_uris"),
        ({"client_id": "a", "client_secret": "s", "redirect_uris": ["not a url"]}, "redirect_uris"),
    ],
)
def test_registering_an_app_with_a_bad_field_names_the_field(emulator, body, field):
    response = control(emulator, "POST", "/apps", json=body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_a_body_that_is_not_a_json_object_is_refused(emulator):
    response = control(emulator, "POST", "/companies", content=b"[1, 2]")

    assert response.status_code == 400
    assert response.json() == {"error": response.json()["error"], "field": None}


def test_creating_a_company_answers_its_realm_id(emulator):
    response = control(emulator, "POST", "/companies", json={"name": "Acme UK", "country": "UK"})

    assert response.status_code == 201
    realm_id = response.json()["realmId"]
    created = emulator.state.companies.get(realm_id)
    assert (created.name, created.country) == ("Acme UK", "UK")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "US"}, "name"),
        ({"name": "X", "country": "FR"}, "country"),
        ({"name": "X", "preferences": []}, "preferences"),
    ],
)
def test_creating_a_company_with_a_bad_field_names_the_field(emulator, body, field):
    response = control(emulator, "POST", "/companies", json=body)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_minted_tokens_look_like_the_token_endpoints_and_open_the_api(
    emulator, app_credentials, company
):
    response = control(
        emulator,
        "POST",
        f"/companies/{company}/tokens",
        json={"client_id": app_credentials.client_id},
    )

    assert response.status_code == 200
    tokens = response.json()
    assert list(tokens) == [
        "token_type",
        "expires_in",
        "refresh_token",
        "x_refresh_token_expires_in",
        "access_token",
    ]
    assert company_info(emulator, company, tokens).status_code == 200


def test_minted_tokens_with_openid_scope_carry_an_id_token(emulator, app_credentials, company):
    response = control(
        emulator,
        "POST",
        f"/companies/{company}/tokens",
        json={"client_id": app_credentials.client_id, "scopes": ["openid", "email"]},
    )

    assert response.json()["id_token"].count(".") == 2


@pytest.mark.parametrize(
    ("realm", "body", "status", "field"),
    [
        ("0000", {"client_id": "x"}, 404, "realmId"),
        (None, {"client_id": "not-registered"}, 400, "client_id"),
        (None, {}, 400, "client_id"),
        (None, {"client_id": "APP", "scopes": ["com.example.nope"]}, 400, "scopes"),
    ],
)
def test_minting_tokens_with_a_bad_field_names_the_field(
    emulator, app_credentials, company, realm, body, status, field
):
    if body.get("client_id") == "APP":
        body = body | {"client_id": app_credentials.client_id}

    response = control(emulator, "POST", f"/companies/{realm or company}/tokens", json=body)

    assert response.status_code == status
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "http_418"}, "kind"),
        ({"kind": "http_500", "count": 0}, "count"),
        ({"kind": "http_500", "count": True}, "count"),
        ({"kind": "http_500", "count": "2"}, "count"),
        ({"kind": "timeout", "seconds": 0}, "seconds"),
        ({"kind": "timeout", "seconds": 10_000}, "seconds"),
        ({"kind": "http_500", "realmId": 5}, "realmId"),
    ],
)
def test_planning_a_fault_with_a_bad_field_names_the_field(emulator, body, field):
    response = control(emulator, "POST", "/faults", json=body)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_planning_a_fault_for_an_unknown_realm_is_refused(emulator):
    response = control(emulator, "POST", "/faults", json={"kind": "http_500", "realmId": "0000"})

    assert response.status_code == 404
    assert response.json()["field"] == "realmId"


def test_planned_500s_hit_exactly_the_next_n_requests_of_the_realm(emulator, company, tokens):
    planned = control(
        emulator, "POST", "/faults", json={"kind": "http_500", "count": 2, "realmId": company}
    )
    assert planned.status_code == 201

    statuses = [company_info(emulator, company, tokens).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]


def test_a_planned_500_is_a_system_fault(emulator, company, tokens):
    control(emulator, "POST", "/faults", json={"kind": "http_500", "realmId": company})

    response = company_info(emulator, company, tokens)

    assert response.status_code == 500
    fault = response.json()["Fault"]
    assert fault["type"] == "SystemFault"
    assert fault["Error"][0]["code"] == "10000"


def test_a_realms_planned_fault_leaves_other_realms_alone(
    emulator, app_credentials, company, tokens
):
    other = create_company(emulator.url)
    other_tokens = mint_tokens(emulator.url, other, app_credentials.client_id)
    control(emulator, "POST", "/faults", json={"kind": "http_503", "realmId": company})

    assert company_info(emulator, other, other_tokens).status_code == 200
    assert company_info(emulator, company, tokens).status_code == 503


def test_a_global_fault_hits_the_next_request_of_any_realm(emulator, company, tokens):
    control(emulator, "POST", "/faults", json={"kind": "http_503"})

    assert company_info(emulator, company, tokens).status_code == 503
    assert company_info(emulator, company, tokens).status_code == 200


def test_a_planned_throttle_answers_429_in_xml(emulator, company, tokens):
    control(emulator, "POST", "/faults", json={"kind": "throttle", "realmId": company})

    response = company_info(emulator, company, tokens)

    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/xml")
    assert '<Error code="3001">' in response.text


def test_a_planned_timeout_holds_the_request_past_the_clients_timeout(emulator, company, tokens):
    control(
        emulator, "POST", "/faults", json={"kind": "timeout", "seconds": 0.6, "realmId": company}
    )

    with pytest.raises(httpx.ReadTimeout):
        company_info(emulator, company, tokens, timeout=0.2)


def test_a_planned_timeout_ends_in_a_504_for_a_patient_client(emulator, company, tokens):
    control(
        emulator, "POST", "/faults", json={"kind": "timeout", "seconds": 0.2, "realmId": company}
    )

    assert company_info(emulator, company, tokens, timeout=5).status_code == 504


def test_planned_faults_can_be_listed_and_cancelled(emulator, company, tokens):
    control(emulator, "POST", "/faults", json={"kind": "http_500", "count": 5, "realmId": company})

    listed = control(emulator, "GET", "/faults").json()
    cancelled = control(emulator, "DELETE", "/faults")

    assert {"kind": "http_500", "remaining": 5, "realmId": company, "seconds": 5.0} in listed
    assert cancelled.status_code == 204
    assert control(emulator, "GET", "/faults").json() == []
    assert company_info(emulator, company, tokens).status_code == 200


def test_request_log_lists_what_the_realm_received_and_can_be_cleared(emulator, company, tokens):
    company_info(emulator, company, tokens)
    httpx.get(f"{emulator.url}/v3/company/{company}/companyinfo/{company}")  # no token: 401

    entries = control(emulator, "GET", f"/companies/{company}/requests").json()

    assert [(e["method"], e["status"]) for e in entries] == [("GET", 200), ("GET", 401)]
    assert entries[0]["path"] == f"/v3/company/{company}/companyinfo/{company}"
    assert entries[0]["query"] == "minorversion=75"
    assert entries[0]["time"]
    assert control(emulator, "DELETE", f"/companies/{company}/requests").status_code == 204
    assert control(emulator, "GET", f"/companies/{company}/requests").json() == []


def test_request_log_of_an_unknown_realm_is_404(emulator):
    response = control(emulator, "GET", "/companies/0000/requests")

    assert response.status_code == 404
    assert response.json()["field"] == "realmId"


def test_unknown_control_path_is_a_json_404(emulator):
    response = control(emulator, "GET", "/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_fault_replies_carry_their_time_in_qbos_zone_like_successful_replies(
    emulator, company, tokens
):
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    base = f"{emulator.url}/v3/company/{company}"
    ok = httpx.get(f"{base}/companyinfo/{company}", headers=headers).json()["time"]
    fault = httpx.get(f"{base}/customer/999999", headers=headers).json()["time"]

    assert ok[-6:] == fault[-6:] and ok[-6:] in ("-08:00", "-07:00")
