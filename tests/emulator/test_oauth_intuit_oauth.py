"""The emulator's OAuth server, driven by Intuit's own Python client (intuit-oauth).

Each test runs the flow a connector runs against Intuit: AuthClient reads the discovery document,
builds the authorization URL, the consent page is submitted as a browser would, and AuthClient
exchanges, refreshes and revokes. Whatever AuthClient accepts here, it accepts from Intuit.
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from emulator_support import (
    AppCredentials,
    create_company,
    discovery_url,
    mint_tokens,
    register_app,
    submit_consent,
)
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from plugins.quickbooks.emulator.server import start_emulator


def auth_client(url: str, credentials: AppCredentials, **kwargs) -> AuthClient:
    return AuthClient(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        redirect_uri=credentials.redirect_uri,
        environment=discovery_url(url),
        **kwargs,
    )


def api_status(url: str, realm_id: str, access_token: str) -> int:
    """The HTTP status of a CompanyInfo read with ``access_token``."""
    response = httpx.get(
        f"{url}/v3/company/{realm_id}/companyinfo/{realm_id}",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    return response.status_code


def connect(url: str, credentials: AppCredentials, realm_id: str, scopes=None) -> AuthClient:
    """Consent for ``realm_id`` and exchange the code: the AuthClient now holds tokens."""
    client = auth_client(url, credentials)
    authorize_url = client.get_authorization_url(scopes or [Scopes.ACCOUNTING])
    callback = submit_consent(authorize_url, realm_id=realm_id)
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid_configuration",
        "/.well-known/openid_configuration/",
        "/.well-known/openid_sandbox_configuration",
        "/.well-known/openid_sandbox_configuration/",
    ],
)
def test_discovery_document_names_the_emulators_own_endpoints(emulator, path):
    response = httpx.get(emulator.url + path)

    assert response.status_code == 200
    assert response.headers["intuit_tid"]
    doc = response.json()
    base = emulator.url
    assert doc["issuer"] == f"{base}/op/v1"
    assert doc["authorization_endpoint"] == f"{base}/connect/oauth2"
    assert doc["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == f"{base}/v2/oauth2/tokens/revoke"
    assert doc["userinfo_endpoint"] == f"{base}/v1/openid_connect/userinfo"
    assert doc["jwks_uri"] == f"{base}/op/v1/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"openid", "email", "profile", "address", "phone"} <= set(doc["scopes_supported"])
    assert {"aud", "exp", "iat", "iss", "realmid", "sub"} <= set(doc["claims_supported"])


def test_code_exchange_gives_tokens_for_the_company_chosen_on_the_consent_page(
    emulator, app_credentials, company
):
    client = auth_client(emulator.url, app_credentials)
    authorize_url = client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])

    callback = submit_consent(authorize_url, realm_id=company)
    assert callback["state"] == client.state_token
    assert callback["realmId"] == company
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])

    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    assert client.refresh_token.startswith("AB11")
    assert client.id_token is not None  # intuit-oauth set it only after verifying it via jwks
    claims = json.loads(base64.urlsafe_b64decode(client.id_token.split(".")[1] + "=="))
    assert claims["realmid"] == company
    assert claims["aud"] == [app_credentials.client_id]
    assert api_status(emulator.url, company, client.access_token) == 200


def test_token_response_has_intuits_fields_in_intuits_order(emulator, app_credentials, company):
    client = auth_client(emulator.url, app_credentials)
    callback = submit_consent(client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=company)

    response = httpx.post(
        client.token_endpoint,
        auth=(app_credentials.client_id, app_credentials.client_secret),
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": app_credentials.redirect_uri,
        },
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert list(response.json()) == [
        "token_type",
        "expires_in",
        "refresh_token",
        "x_refresh_token_expires_in",
        "access_token",
    ]
    assert response.json()["token_type"] == "bearer"


def test_consent_page_can_create_a_new_company(emulator, app_credentials):
    client = auth_client(emulator.url, app_credentials)
    authorize_url = client.get_authorization_url([Scopes.ACCOUNTING])

    callback = submit_consent(
        authorize_url, realm_id="new", company_name="Maple Leaf Supplies", country="CA"
    )

    created = emulator.state.companies.get(callback["realmId"])
    assert created is not None
    assert (created.name, created.country) == ("Maple Leaf Supplies", "CA")


def test_denied_consent_redirects_with_access_denied_and_the_state(emulator, app_credentials):
    client = auth_client(emulator.url, app_credentials)
    authorize_url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="xyz123")

    callback = submit_consent(authorize_url, decision="deny")

    assert callback == {"error": "access_denied", "state": "xyz123"}


@pytest.mark.parametrize(
    "override", [{"client_id": "no-such-app"}, {"redirect_uri": "https://evil.example/steal"}]
)
def test_unknown_app_or_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
    emulator, app_credentials, override
):
    params = {
        "client_id": app_credentials.client_id,
        "redirect_uri": app_credentials.redirect_uri,
        "response_type": "code",
        "scope": Scopes.ACCOUNTING.value,
        "state": "s",
    } | override

    page = httpx.get(f"{emulator.url}/connect/oauth2", params=params)
    submitted = httpx.post(f"{emulator.url}/connect/oauth2", data=params | {"decision": "approve"})

    for response in (page, submitted):
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


def test_consent_page_escapes_company_names(emulator, app_credentials):
    create_company(emulator.url, name='<script>alert("x")</script>')
    client = auth_client(emulator.url, app_credentials)

    page = httpx.get(client.get_authorization_url([Scopes.ACCOUNTING]))

    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_reused_code_is_refused_and_revokes_the_tokens_it_issued(
    emulator, app_credentials, company
):
    client = auth_client(emulator.url, app_credentials)
    callback = submit_consent(client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=company)
    client.get_bearer_token(callback["code"], realm_id=company)
    first_access, first_refresh = client.access_token, client.refresh_token

    with pytest.raises(AuthClientError) as refused:
        client.get_bearer_token(callback["code"], realm_id=company)

    assert refused.value.status_code == 400
    assert json.loads(refused.value.content)["error"] == "invalid_grant"
    assert refused.value.intuit_tid
    assert api_status(emulator.url, company, first_access) == 401
    with pytest.raises(AuthClientError):
        client.refresh(first_refresh)


def test_refresh_rotates_and_the_old_refresh_token_is_refused(emulator, app_credentials, company):
    client = connect(emulator.url, app_credentials, company)
    old_refresh = client.refresh_token

    client.refresh()

    assert client.refresh_token != old_refresh
    assert api_status(emulator.url, company, client.access_token) == 200
    with pytest.raises(AuthClientError) as refused:
        client.refresh(old_refresh)
    assert refused.value.status_code == 400
    assert json.loads(refused.value.content) == {
        "error_description": "Incorrect or invalid refresh token",
        "error": "invalid_grant",
    }


def test_access_token_expires_after_an_emulated_hour_and_refresh_brings_a_new_one():
    # 3600x: one real second is an emulated hour.
    server = start_emulator(port=0, throttle=False, time_scale=3600)
    try:
        credentials = register_app(server.url)
        realm_id = create_company(server.url)
        issued = mint_tokens(server.url, realm_id, credentials.client_id)
        assert api_status(server.url, realm_id, issued["access_token"]) == 200

        time.sleep(1.1)

        assert api_status(server.url, realm_id, issued["access_token"]) == 401
        client = auth_client(server.url, credentials, refresh_token=issued["refresh_token"])
        client.refresh()
        assert api_status(server.url, realm_id, client.access_token) == 200
    finally:
        server.stop()


@pytest.mark.parametrize("revoked", ["refresh_token", "access_token"])
def test_revoking_either_token_ends_the_connection(emulator, app_credentials, company, revoked):
    client = connect(emulator.url, app_credentials, company)
    access, refresh = client.access_token, client.refresh_token

    assert client.revoke(token=getattr(client, revoked)) is True

    assert api_status(emulator.url, company, access) == 401
    with pytest.raises(AuthClientError) as refused:
        client.refresh(refresh)
    assert refused.value.status_code == 400


def test_userinfo_answers_the_claims_of_the_granted_openid_scopes(
    emulator, app_credentials, company
):
    client = connect(
        emulator.url, app_credentials, company, [Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL]
    )

    claims = client.get_user_info().json()

    assert set(claims) == {"sub", "email", "emailVerified"}


def test_userinfo_without_openid_scope_is_refused(emulator, app_credentials, company):
    client = connect(emulator.url, app_credentials, company)

    with pytest.raises(AuthClientError) as refused:
        client.get_user_info()

    assert refused.value.status_code == 403


def test_wrong_client_secret_is_invalid_client_401(emulator, app_credentials, company):
    client = connect(emulator.url, app_credentials, company)
    client.client_secret = "not-the-secret"

    with pytest.raises(AuthClientError) as refused:
        client.refresh()

    assert refused.value.status_code == 401
    assert json.loads(refused.value.content) == {"error": "invalid_client"}
    assert refused.value.intuit_tid


def test_client_credentials_in_the_form_body_are_accepted(emulator, app_credentials, tokens):
    # client_secret_post, as requests_oauthlib-based clients (tap-quickbooks) send them.
    response = httpx.post(
        f"{emulator.url}/oauth2/v1/tokens/bearer",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app_credentials.client_id,
            "client_secret": app_credentials.client_secret,
        },
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


def test_hard_expiry_is_reported_when_asked_for(emulator, app_credentials, tokens):
    response = httpx.post(
        f"{emulator.url}/oauth2/v1/tokens/bearer",
        auth=(app_credentials.client_id, app_credentials.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"x-include-refresh-token-hard-expires-in": "true"},
    )

    hard = response.json()["x_refresh_token_hard_expires_in"]
    assert 5 * 365 * 86400 - 60 < hard <= 5 * 365 * 86400
