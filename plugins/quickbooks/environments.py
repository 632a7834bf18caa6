"""Where QuickBooks lives for each environment: OAuth endpoints, API base and app links.

Production and sandbox use Intuit's published endpoints (qbo-facts §1.1, §2, §8); the emulator
environment points at the offline emulator. The advanced settings may override the API base and
the discovery document; an override must be https, or loopback when the environment is the
emulator, so that tokens are never sent in clear over a network.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.connector import OAuthEndpoints

EMULATOR_URL_VARIABLE = "INTEGRATIONS_QBO_EMULATOR_URL"
DEFAULT_EMULATOR_URL = "http://127.0.0.1:5099"

_INTUIT_OAUTH = OAuthEndpoints(
    authorize_url="https://appcenter.intuit.com/connect/oauth2",
    token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    userinfo_url="https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
)


@dataclass(frozen=True)
class Environment:
    """Everything environment-specific the connector needs."""

    name: str
    api_base: str
    oauth: OAuthEndpoints
    app_url: str

    def invoice_url(self, invoice_id: str, realm_id: str) -> str:
        """The "View in QuickBooks" link of an invoice."""
        if self.name == "emulator":
            return f"{self.app_url}/app/invoice?txnId={invoice_id}&realmId={realm_id}"
        return f"{self.app_url}/app/invoice?txnId={invoice_id}"


class EnvironmentError(ValueError):
    """An override URL that is not allowed; names the field and the reason."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}")
        self.pointer = pointer


def emulator_url() -> str:
    return os.environ.get(EMULATOR_URL_VARIABLE, DEFAULT_EMULATOR_URL).rstrip("/")


def resolve(config: Mapping[str, Any]) -> Environment:
    """The environment chosen in ``config``, with the advanced overrides applied."""
    name = config.get("initial", {}).get("environment", "production")
    advanced = config.get("advanced", {})
    if name == "emulator":
        base = emulator_url()
        env = Environment(
            name,
            f"{base}/v3",
            OAuthEndpoints(
                authorize_url=f"{base}/connect/oauth2",
                token_url=f"{base}/oauth2/v1/tokens/bearer",
                revoke_url=f"{base}/v2/oauth2/tokens/revoke",
                userinfo_url=f"{base}/v1/openid_connect/userinfo",
            ),
            base,
        )
    elif name == "sandbox":
        env = Environment(
            name,
            "https://sandbox-quickbooks.api.intuit.com/v3",
            _INTUIT_OAUTH,
            "https://app.sandbox.qbo.intuit.com",
        )
    else:
        env = Environment(
            "production",
            "https://quickbooks.api.intuit.com/v3",
            _INTUIT_OAUTH,
            "https://app.qbo.intuit.com",
        )
    override = advanced.get("api_base_url") or ""
    if override:
        check_override_url("/advanced/api_base_url", override, emulator=name == "emulator")
        env = Environment(env.name, override.rstrip("/"), env.oauth, env.app_url)
    return env


def oauth_endpoints(config: Mapping[str, Any]) -> OAuthEndpoints:
    """The OAuth endpoints: from the discovery document when one is configured, otherwise the
    environment's published endpoints."""
    url = config.get("advanced", {}).get("discovery_url") or ""
    if not url:
        return resolve(config).oauth
    emulator = config.get("initial", {}).get("environment") == "emulator"
    check_override_url("/advanced/discovery_url", url, emulator=emulator)
    return _discover(url)


@functools.lru_cache(maxsize=32)
def _discover(url: str) -> OAuthEndpoints:
    response = httpx.get(url, headers={"Accept": "application/json"}, timeout=30)
    response.raise_for_status()
    document = response.json()
    missing = [k for k in ("authorization_endpoint", "token_endpoint") if not document.get(k)]
    if missing:
        raise EnvironmentError(
            "/advanced/discovery_url", f"the discovery document has no {', '.join(missing)}"
        )
    return OAuthEndpoints(
        authorize_url=document["authorization_endpoint"],
        token_url=document["token_endpoint"],
        revoke_url=document.get("revocation_endpoint"),
        userinfo_url=document.get("userinfo_endpoint"),
    )


def check_override_url(pointer: str, url: str, *, emulator: bool) -> None:
    """Refuse an override that would send tokens anywhere but https (or loopback emulators)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and emulator and _is_loopback(parts.hostname or ""):
        return
    raise EnvironmentError(
        pointer,
        "must be an https URL (plain http is accepted only for a loopback emulator)",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
