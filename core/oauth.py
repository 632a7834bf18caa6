"""OAuth 2.0 authorization-code connections, with Authlib.

*Connect* creates a one-time ``state`` bound to the admin's browser session and the
installation, and redirects to the provider. The callback accepts only that state, once; it
exchanges the code, asks the connector to name the account, and stores the tokens encrypted.

Tokens are refreshed before they expire and once after a 401. A refresh is single-flight per
connection across threads and processes: it holds a row lock on the connection, re-reads the
tokens (another process may have refreshed them already) and stores the new refresh token before
anyone uses it, because providers such as Intuit rotate refresh tokens. ``invalid_grant`` marks
the connection *needs reconnect* and pauses the installation's jobs; nothing retries until the
admin reconnects.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select

from core import audit, jsonpointer, subsidiaries
from core.connector import OAuthProvider
from core.installations import InstallationService
from core.oauth_store import ConnectionStore
from core.plugins import PluginHost
from core.store.database import Database
from core.store.models import Installation, OAuthConnection, OAuthState, utcnow

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=15)
REFRESH_LEEWAY = timedelta(minutes=5)
RECONNECT_REASON = "QuickBooks access lapsed: reconnect to resume syncing"


UNBOUND = "unbound"
"""The binding of a state started through the REST API rather than by a browser session."""


class ConnectError(Exception):
    """The callback cannot complete; ``reason`` is what the admin reads. Nothing was stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NeedsReconnect(Exception):
    """The connection's refresh token was refused; the admin must reconnect."""


@dataclass(frozen=True)
class ConnectResult:
    installation_id: int
    account_id: str
    account_name: str


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class OAuthService:
    """Connect, callback, refresh and disconnect for every connector's OAuth providers."""

    def __init__(
        self,
        db: Database,
        host: PluginHost,
        installations: InstallationService,
        connections: ConnectionStore,
    ) -> None:
        self.db = db
        self.host = host
        self.installations = installations
        self.connections = connections
        self._local_locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # Connect --------------------------------------------------------------------------------

    def authorization_url(
        self,
        tenant_id: int,
        installation_id: int,
        provider_key: str,
        *,
        redirect_uri: str,
        browser_session: str | None,
        actor: str,
    ) -> str:
        """The provider's authorization URL for this installation, with a fresh one-time state.

        A Connect pressed in the admin binds the state to that browser session, so only the
        same browser can complete it. ``browser_session=None`` (a URL asked for through the REST
        API, which a platform hands to its own user) leaves it unbound: the one-time, short-lived
        state alone then authorizes the callback, as for any API-started connect session.
        """
        with self.db.session() as session:
            installation = self.installations.get(session, tenant_id, installation_id)
            provider, config = self._provider_and_config(session, installation, provider_key)
            client_id = _required(config, provider.client_id_field, "client ID")
            state = secrets.token_urlsafe(32)
            session.add(
                OAuthState(
                    state_hash=_hash(state),
                    installation_id=installation.id,
                    provider=provider.key,
                    binding_hash=UNBOUND if browser_session is None else _hash(browser_session),
                    redirect_uri=redirect_uri,
                    actor=actor,
                )
            )
        client = OAuth2Session(
            client_id, scope=" ".join(provider.scopes), redirect_uri=redirect_uri
        )
        url, _ = client.create_authorization_url(
            provider.endpoints(config).authorize_url, state=state
        )
        return url

    def complete(self, params: Mapping[str, str], *, browser_session: str | None) -> ConnectResult:
        """Handle the provider's redirect: check the state, exchange the code, store tokens.

        ``browser_session`` is the signed-in admin's session, or ``None`` for a visitor who is
        not signed in, who can complete only an unbound (API-started) state.
        """
        state = params.get("state", "")
        with self.db.session() as session:
            pending = session.get(OAuthState, _hash(state)) if state else None
            bound_elsewhere = pending is not None and pending.binding_hash not in (
                UNBOUND,
                None if browser_session is None else _hash(browser_session),
            )
            if pending is None or bound_elsewhere:
                raise ConnectError(
                    "This sign-in link was not started from this browser session; "
                    "start again with Connect."
                )
            if pending.used_at is not None:
                raise ConnectError("This sign-in was already completed; start again with Connect.")
            if utcnow() - pending.created_at > STATE_LIFETIME:
                raise ConnectError("This sign-in took too long; start again with Connect.")
            pending.used_at = utcnow()
            installation = session.get(Installation, pending.installation_id)
            provider, config = self._provider_and_config(session, installation, pending.provider)
            redirect_uri, actor = pending.redirect_uri, pending.actor
        if params.get("error"):
            reason = (
                "Access was denied on the consent page; nothing was connected."
                if params["error"] == "access_denied"
                else f"The provider refused the connection: {params['error']}."
            )
            raise ConnectError(reason)
        code = params.get("code")
        if not code:
            raise ConnectError("The provider returned no authorization code.")
        client = self._client(provider, config, redirect_uri=redirect_uri)
        endpoints = provider.endpoints(config)
        try:
            tokens = dict(client.fetch_token(endpoints.token_url, code=code))
            account = provider.describe_account(config, tokens, params)
        except (OAuthError, requests.RequestException, ValueError, KeyError) as exc:
            raise ConnectError(f"The code exchange failed: {_safe(exc)}") from exc
        with self.db.session() as session:
            installation = session.get(Installation, installation.id)
            schema = self.host.connector(installation.connector_id).config_schema
            refused = subsidiaries.connect_conflict(
                session, installation, schema, provider.key, account.id
            )
            if refused is not None:
                raise ConnectError(f"Not connected: {refused}.")
            self.connections.save(
                session,
                installation.id,
                provider.key,
                tokens,
                account_id=account.id,
                account_name=account.name,
            )
            if installation.status == "paused" and installation.paused_reason == RECONNECT_REASON:
                self.installations.schedules.resume(session, installation)
            audit.record(
                session,
                actor,
                "connection.connected",
                tenant_id=installation.tenant_id,
                installation_id=installation.id,
                detail={"provider": provider.key, "account_id": account.id},
            )
        return ConnectResult(installation.id, account.id, account.name)

    # Tokens ---------------------------------------------------------------------------------

    def access_token(self, installation_id: int, provider_key: str) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        with self.db.session() as session:
            connection = self.usable_connection(session, installation_id, provider_key)
            expires = connection.access_expires_at
            tokens = self.connections.tokens(connection)
        if expires is None or expires - utcnow() > REFRESH_LEEWAY:
            return tokens["access_token"]
        return self.refresh(installation_id, provider_key, stale=tokens["access_token"])

    def refresh(self, installation_id: int, provider_key: str, *, stale: str | None = None) -> str:
        """Refresh the connection's tokens once, whoever asks at the same moment.

        ``stale`` is the access token the caller saw fail or expire: when the stored token is
        already a different one, another thread or process refreshed it, and that one is used.
        """
        with self._local_lock(installation_id), self.db.session() as session:
            connection = session.scalars(
                select(OAuthConnection)
                .where(
                    OAuthConnection.installation_id == installation_id,
                    OAuthConnection.provider == provider_key,
                )
                .with_for_update()
            ).first()
            tokens = self.connections.tokens(_usable(connection))
            if stale is not None and tokens.get("access_token") != stale:
                return tokens["access_token"]
            installation = session.get(Installation, installation_id)
            provider, config = self._provider_and_config(session, installation, provider_key)
            client = self._client(provider, config)
            try:
                fresh = dict(
                    client.refresh_token(
                        provider.endpoints(config).token_url,
                        refresh_token=tokens["refresh_token"],
                    )
                )
            except OAuthError as exc:
                if exc.error != "invalid_grant":
                    raise
                self._lapse(session, installation, connection, exc)
                fresh = None  # the lapse commits with this block; then the caller hears of it
            else:
                fresh.setdefault("refresh_token", tokens["refresh_token"])
                self.connections.update_tokens(connection, fresh)
        if fresh is None:
            raise NeedsReconnect(RECONNECT_REASON)
        return fresh["access_token"]

    def _lapse(
        self,
        session: Any,
        installation: Installation,
        connection: OAuthConnection,
        exc: OAuthError,
    ) -> None:
        reason = f"{RECONNECT_REASON} (refresh refused: {exc.error})"
        self.connections.mark(connection, "needs_reconnect", reason)
        self.installations.schedules.pause(session, installation, RECONNECT_REASON)
        audit.record(
            session,
            "system",
            "connection.needs_reconnect",
            tenant_id=installation.tenant_id,
            installation_id=installation.id,
            detail={"provider": connection.provider, "error": exc.error},
        )
        log.warning("installation %s: %s", installation.id, reason)

    # Disconnect -----------------------------------------------------------------------------

    def disconnect(
        self, tenant_id: int, installation_id: int, provider_key: str, *, actor: str
    ) -> bool:
        """Revoke the tokens at the provider and delete them here; False when not connected.

        The stored tokens are deleted even when the provider cannot be reached; the audit entry
        says whether the remote revocation succeeded.
        """
        with self.db.session() as session:
            installation = self.installations.get(session, tenant_id, installation_id)
            connection = self.connections.get(session, installation.id, provider_key)
            if connection is None:
                return False
            provider, config = self._provider_and_config(session, installation, provider_key)
            revoked = self.revoke(provider, config, self.connections.tokens(connection))
            session.delete(connection)
            audit.record(
                session,
                actor,
                "connection.disconnected",
                tenant_id=installation.tenant_id,
                installation_id=installation.id,
                detail={"provider": provider_key, "revoked_remotely": revoked},
            )
        return True

    def revoke(
        self, provider: OAuthProvider, config: Mapping[str, Any], tokens: Mapping[str, Any]
    ) -> bool:
        """Revoke a token pair at the provider (the refresh token revokes both)."""
        url = provider.endpoints(config).revoke_url
        token = tokens.get("refresh_token") or tokens.get("access_token")
        if not url or not token:
            return False
        client_id = _required(config, provider.client_id_field, "client ID")
        secret = _required(config, provider.client_secret_field, "client secret")
        try:
            if provider.revoke_body == "json":
                response = requests.post(
                    url,
                    json={"token": token},
                    auth=(client_id, secret),
                    headers={"Accept": "application/json"},
                    timeout=30,
                )
            else:
                response = self._client(provider, config).revoke_token(url, token=token)
        except requests.RequestException as exc:
            log.warning("revoking tokens at %s failed: %s", provider.key, _safe(exc))
            return False
        return response.status_code == 200

    # Helpers --------------------------------------------------------------------------------

    def _provider_and_config(
        self, session: Any, installation: Installation, provider_key: str
    ) -> tuple[OAuthProvider, dict[str, Any]]:
        connector = self.host.connector(installation.connector_id)
        provider = connector.oauth_providers.get(provider_key)
        if provider is None:
            raise LookupError(f"connector {connector.id} has no OAuth provider {provider_key!r}")
        configs = self.installations.configs
        return provider, configs.full(configs.current(session, installation.id))

    def _client(
        self, provider: OAuthProvider, config: Mapping[str, Any], redirect_uri: str | None = None
    ) -> OAuth2Session:
        return OAuth2Session(
            _required(config, provider.client_id_field, "client ID"),
            _required(config, provider.client_secret_field, "client secret"),
            scope=" ".join(provider.scopes),
            redirect_uri=redirect_uri,
            token_endpoint_auth_method="client_secret_basic",
        )

    def usable_connection(
        self, session: Any, installation_id: int, provider: str
    ) -> OAuthConnection:
        """The installation's connection, or ``NeedsReconnect`` when there is none to use."""
        return _usable(self.connections.get(session, installation_id, provider))

    def _local_lock(self, installation_id: int) -> threading.Lock:
        # The row lock serialises processes (PostgreSQL); this one serialises threads here,
        # which SQLite's FOR UPDATE (a no-op) cannot.
        with self._locks_guard:
            return self._local_locks.setdefault(installation_id, threading.Lock())


class ConnectionTokens:
    """The token source a connector's API client uses for one installation's connection."""

    def __init__(self, oauth: OAuthService, installation_id: int, provider: str) -> None:
        self.oauth, self.installation_id, self.provider = oauth, installation_id, provider
        self._last: str | None = None

    def access_token(self) -> str:
        self._last = self.oauth.access_token(self.installation_id, self.provider)
        return self._last

    def refresh_after_401(self) -> str:
        self._last = self.oauth.refresh(self.installation_id, self.provider, stale=self._last)
        return self._last


def _usable(connection: OAuthConnection | None) -> OAuthConnection:
    if connection is None:
        raise NeedsReconnect("not connected")
    if connection.status == "needs_reconnect":
        raise NeedsReconnect(connection.status_reason or RECONNECT_REASON)
    return connection


def _required(config: Mapping[str, Any], pointer: str, label: str) -> str:
    value = jsonpointer.get(config, pointer)
    if not value:
        raise ConnectError(f"The {label} is not configured yet ({pointer}).")
    return str(value)


def _safe(exc: Exception) -> str:
    """An exception as text without request bodies (which may carry tokens or codes)."""
    if isinstance(exc, OAuthError):
        return f"{exc.error}" + (f": {exc.description}" if exc.description else "")
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} from {exc.response.url.split('?')[0]}"
    return type(exc).__name__
