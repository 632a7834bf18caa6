"""Intuit's OAuth 2.0 / OpenID Connect server: discovery, consent, tokens, revocation, userinfo.

Clients find every endpoint through the discovery document (intuit-oauth takes its URL as the
``environment``), so the documents name the emulator's own URLs, built from the host the client
used. Wire formats follow facts §1: the token body's fields and order, ``invalid_grant`` (400) and
``invalid_client`` (401) errors, JSON revocation with Basic auth.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template_string, request

from .auth import (
    ACCESS_TOKEN_SECONDS,
    KNOWN_SCOPES,
    REALM_SCOPES,
    App,
    InvalidGrant,
    IssuedTokens,
)
from .state import current_state

oauth_blueprint = Blueprint("qbo_emulator_oauth", __name__)

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
ISSUER_PATH = "/op/v1"
JWKS_PATH = "/op/v1/jwks"
COUNTRIES = ("US", "CA", "UK")

# The one emulated Intuit user who consents; userinfo field names as Intuit's userinfo reply.
USER = {
    "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, "qbo-emulator/user")),
    "email": "owner@example.com",
    "emailVerified": True,
    "givenName": "Emulated",
    "familyName": "Owner",
    "phoneNumber": "+1 5555550100",
    "phoneNumberVerified": False,
    "address": {
        "streetAddress": "2700 Coast Ave",
        "locality": "Mountain View",
        "region": "CA",
        "postalCode": "94043",
        "country": "US",
    },
}
USERINFO_CLAIMS_BY_SCOPE = {
    "email": ("email", "emailVerified"),
    "profile": ("givenName", "familyName"),
    "phone": ("phoneNumber", "phoneNumberVerified"),
    "address": ("address",),
}


def base_url() -> str:
    """The emulator's URL as the client reached it (no trailing slash)."""
    return request.host_url.rstrip("/")


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON reply with the content type Intuit's OAuth server sends."""
    return Response(
        json.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json;charset=utf-8",
    )


def bearer_token() -> str:
    """The token of an ``Authorization: Bearer`` header, or "" when there is none."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def oauth_error(status: int, error: str, description: str | None = None) -> Response:
    """An RFC 6749 error body (``error`` last, as Intuit writes it)."""
    body = {"error_description": description} if description else {}
    body["error"] = error
    return json_response(body, status)


def token_response(issued: IssuedTokens) -> Response:
    """The token endpoint's success body (facts §1.4); also used by the control API."""
    now = current_state().clock.timestamp()
    body = {
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": issued.refresh.value,
        "x_refresh_token_expires_in": round(issued.refresh.expires_at - now),
        "access_token": issued.access.value,
    }
    if request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true":
        body["x_refresh_token_hard_expires_in"] = round(issued.grant.hard_expires_at - now)
    if "openid" in issued.grant.scopes:
        body["id_token"] = _id_token(issued, now)
    return json_response(body)


def _id_token(issued: IssuedTokens, now: float) -> str:
    claims = {
        "sub": USER["sub"],
        "aud": [issued.grant.client_id],
        "realmid": issued.grant.realm_id,
        "auth_time": int(issued.grant.created_at),
        "iss": base_url() + ISSUER_PATH,
        "exp": int(now) + ACCESS_TOKEN_SECONDS,
        "iat": int(now),
    }
    return current_state().signer.sign(claims)


# Discovery ------------------------------------------------------------------------------------


@oauth_blueprint.get("/.well-known/openid_configuration")
@oauth_blueprint.get("/.well-known/openid_configuration/")
@oauth_blueprint.get("/.well-known/openid_sandbox_configuration")
@oauth_blueprint.get("/.well-known/openid_sandbox_configuration/")
def discovery() -> Response:
    """The OpenID discovery document (production and sandbox are the same emulator)."""
    base = base_url()
    return json_response(
        {
            "issuer": base + ISSUER_PATH,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "jwks_uri": base + JWKS_PATH,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
    )


@oauth_blueprint.get(JWKS_PATH)
def jwks() -> Response:
    """The public key that verifies ``id_token`` signatures."""
    return json_response(current_state().signer.jwks())


# Consent --------------------------------------------------------------------------------------

CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
{% if app %}
<p>The app <strong>{{ app.client_id }}</strong> asks for access to:</p>
<ul>{% for scope in scopes %}<li>{{ scope }}</li>{% endfor %}</ul>
<form method="post" action="{{ action }}">
  {% for name, value in hidden.items() %}
  <input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}
  {% if needs_company %}
  <fieldset><legend>Company</legend>
    <select name="realm_id">
      {% for company in companies %}
      <option value="{{ company.realm_id }}">{{ company.name }} ({{ company.realm_id }})</option>
      {% endfor %}
      <option value="new">Create a new company</option>
    </select>
    <label>New company name <input name="company_name"></label>
    <label>Country <select name="country">
      {% for country in countries %}<option>{{ country }}</option>{% endfor %}
    </select></label>
  </fieldset>
  {% endif %}
  <button name="decision" value="approve">Connect</button>
  <button name="decision" value="deny">Cancel</button>
</form>
{% endif %}
</body></html>
"""


class ConsentRequestError(Exception):
    """An authorization request the emulator must not redirect for (unknown app or URI)."""


def _consent_app(params: dict) -> App:
    """The requesting app, checked before anything may be sent to its redirect URI."""
    app = current_state().auth.app(params.get("client_id", ""))
    if app is None:
        raise ConsentRequestError("Unknown client_id: no app is registered with this id.")
    if params.get("redirect_uri") not in app.redirect_uris:
        raise ConsentRequestError("The redirect_uri is not registered for this app.")
    return app


def _redirect(redirect_uri: str, params: dict) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return Response(status=302, headers={"Location": redirect_uri + separator + urlencode(params)})


def _consent_page(
    status: int, title: str, error: str = "", app: App | None = None, scopes: list | None = None
) -> Response:
    form = request.values
    html = render_template_string(
        CONSENT_PAGE,
        title=title,
        error=error,
        app=app,
        scopes=scopes or [],
        action=request.path,
        hidden={k: form.get(k, "") for k in ("client_id", "redirect_uri", "scope", "state")}
        | {"response_type": "code"},
        needs_company=bool(REALM_SCOPES & set(scopes or [])),
        companies=current_state().companies.all(),
        countries=COUNTRIES,
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


@oauth_blueprint.route(AUTHORIZE_PATH, methods=["GET", "POST"])
def authorize() -> Response:
    """Show the consent page (GET) or act on the user's decision (POST)."""
    params = request.values.to_dict()
    try:
        app = _consent_app(params)
    except ConsentRequestError as exc:
        return _consent_page(400, "Authorization error", str(exc))
    redirect_uri, state = params["redirect_uri"], params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
    scopes = params.get("scope", "").split()
    if not scopes or not set(scopes) <= KNOWN_SCOPES:
        return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
    if request.method == "GET":
        return _consent_page(200, f"Connect {app.client_id}", app=app, scopes=scopes)
    if params.get("decision") != "approve":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state})
    realm_id = None
    if REALM_SCOPES & set(scopes):
        realm_id = _chosen_realm(params)
        if realm_id is None:
            return _consent_page(
                400, f"Connect {app.client_id}", "Choose a company or name a new one.", app, scopes
            )
    code = current_state().auth.issue_code(app.client_id, redirect_uri, realm_id, scopes)
    callback = {"code": code, "state": state}
    if realm_id is not None:
        callback["realmId"] = realm_id
    return _redirect(redirect_uri, callback)


def _chosen_realm(params: dict) -> str | None:
    """The realm the user picked, creating the company when asked; None if the choice is bad."""
    companies = current_state().companies
    choice = params.get("realm_id", "new")
    if choice != "new":
        return choice if companies.get(choice) is not None else None
    name = params.get("company_name", "").strip()
    country = params.get("country", "US")
    if not name or country not in COUNTRIES:
        return None
    return companies.create(name=name, country=country).realm_id


# Tokens ---------------------------------------------------------------------------------------


def _client_credentials() -> tuple[str, str]:
    """client_secret_basic or client_secret_post, whichever the client used."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username or "", auth.password or ""
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


@oauth_blueprint.post(TOKEN_PATH)
def token() -> Response:
    """Exchange an authorization code, or rotate a refresh token, for a new token pair."""
    auth = current_state().auth
    app = auth.authenticate_client(*_client_credentials())
    if app is None:
        return oauth_error(401, "invalid_client")
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        code, redirect_uri = request.form.get("code", ""), request.form.get("redirect_uri", "")
        try:
            issued = auth.redeem_code(app.client_id, code, redirect_uri)
        except InvalidGrant:
            return oauth_error(400, "invalid_grant")
    elif grant_type == "refresh_token":
        try:
            issued = auth.refresh(app.client_id, request.form.get("refresh_token", ""))
        except InvalidGrant:
            return oauth_error(400, "invalid_grant", "Incorrect or invalid refresh token")
    else:
        return oauth_error(400, "unsupported_grant_type")
    return token_response(issued)


@oauth_blueprint.post(REVOKE_PATH)
def revoke() -> Response:
    """Revoke a token and with it the whole connection (both tokens of every pair)."""
    auth = current_state().auth
    app = auth.authenticate_client(*_client_credentials())
    if app is None:
        return oauth_error(401, "invalid_client")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        return oauth_error(400, "invalid_request", "JSON body with a token is required")
    # RFC 7009: an unknown or already revoked token is not an error.
    auth.revoke(app.client_id, body["token"])
    return Response(status=200)


@oauth_blueprint.get(USERINFO_PATH)
def userinfo() -> Response:
    """The consenting user's claims, as far as the token's scopes allow."""
    grant = current_state().auth.access_grant(bearer_token())
    if grant is None:
        return oauth_error(401, "invalid_token")
    if "openid" not in grant.scopes:
        return oauth_error(403, "insufficient_scope", "The openid scope is required")
    claims = {"sub": USER["sub"]}
    for scope, names in USERINFO_CLAIMS_BY_SCOPE.items():
        if scope in grant.scopes:
            claims |= {name: USER[name] for name in names}
    return json_response(claims)
