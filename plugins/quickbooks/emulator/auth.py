"""Registered apps, authorization codes and the token grants that say who may call which realm.

Tokens are opaque random strings looked up in memory, so the gate costs a dictionary lookup per
API request. With ``--data`` apps, grants and tokens are also written to SQLite, so a restarted
emulator still honours the tokens a client holds. Lifetimes follow facts §1.5 in emulated time.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass, field
from typing import Literal

from .clock import Clock

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 8_726_400  # rolling ~101 days, the value real responses carry
HARD_CAP_SECONDS = 5 * 365 * 86400  # refresh tokens expire at the latest 5 years after consent
AUTH_CODE_SECONDS = 600  # not documented by Intuit; long enough for any redirect round trip

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
PAYMENT_SCOPE = "com.intuit.quickbooks.payment"
KNOWN_SCOPES = frozenset(
    {
        ACCOUNTING_SCOPE,
        PAYMENT_SCOPE,
        "openid",
        "profile",
        "email",
        "phone",
        "address",
        "intuit_name",
        "com.intuit.quickbooks.payroll",
        "com.intuit.quickbooks.payroll.timetracking",
        "com.intuit.quickbooks.payroll.benefits",
        "com.intuit.quickbooks.payroll.payslip.read",
        "project-management.project",
        "app-foundations.custom-field-definitions",
        "app-foundations.custom-field-definitions.read",
        "payroll.compensation.read",
        "indirect-tax.tax-calculation.quickbooks",
    }
)
REALM_SCOPES = frozenset({ACCOUNTING_SCOPE, PAYMENT_SCOPE})


class InvalidGrant(Exception):
    """A code or refresh token that is unknown, used, expired or issued to another client."""


@dataclass
class App:
    """A developer app as registered in the (emulated) developer portal."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """One consent: an app's access to one realm, from which every refreshed token descends."""

    grant_id: str
    client_id: str
    realm_id: str | None
    scopes: list[str]
    created_at: float

    @property
    def hard_expires_at(self) -> float:
        """When no refresh can extend the connection any longer."""
        return self.created_at + HARD_CAP_SECONDS


@dataclass
class Token:
    """An access or refresh token of a grant, valid until ``expires_at`` (emulated seconds)."""

    value: str
    kind: Literal["access", "refresh"]
    grant_id: str
    expires_at: float


@dataclass
class AuthCode:
    """A consent's one-time code; kept after use to recognise (and punish) a replay."""

    code: str
    client_id: str
    redirect_uri: str
    realm_id: str | None
    scopes: list[str]
    expires_at: float
    grant_id: str | None = None


@dataclass
class IssuedTokens:
    """What a token response reports: the new pair and the grant it belongs to."""

    grant: Grant
    access: Token
    refresh: Token


@dataclass
class _Records:
    apps: dict[str, App] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)


_RECORD_TYPES: dict[str, type] = {"app": App, "grant": Grant, "token": Token}


class _SqliteMirror:
    """Write-through copy of apps, grants and tokens in the ``--data`` file."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emulator_auth "
            "(kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, key))"
        )

    def load(self) -> _Records:
        records = _Records()
        targets = {"app": records.apps, "grant": records.grants, "token": records.tokens}
        for kind, key, body in self._db.execute("SELECT kind, key, body FROM emulator_auth"):
            targets[kind][key] = _RECORD_TYPES[kind](**json.loads(body))
        return records

    def save(self, kind: str, key: str, record: App | Grant | Token) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO emulator_auth (kind, key, body) VALUES (?, ?, ?)",
            (kind, key, json.dumps(asdict(record))),
        )

    def delete(self, kind: str, keys: list[str]) -> None:
        self._db.executemany(
            "DELETE FROM emulator_auth WHERE kind = ? AND key = ?", [(kind, k) for k in keys]
        )

    def close(self) -> None:
        self._db.close()


class AuthRegistry:
    """Apps, codes, grants and tokens; every method is thread-safe."""

    def __init__(self, clock: Clock, path: str | None = None) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._mirror = _SqliteMirror(path) if path else None
        self._records = self._mirror.load() if self._mirror else _Records()

    def close(self) -> None:
        """Release the SQLite file."""
        if self._mirror:
            self._mirror.close()

    # Apps -------------------------------------------------------------------------------------

    def register_app(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> App:
        """Create or replace an app (re-registering changes its secret and redirect URIs)."""
        app = App(client_id, client_secret, list(redirect_uris))
        with self._lock:
            self._records.apps[client_id] = app
            self._save("app", client_id, app)
        return app

    def app(self, client_id: str) -> App | None:
        """The registered app, or None."""
        return self._records.apps.get(client_id)

    def authenticate_client(self, client_id: str, client_secret: str) -> App | None:
        """The app if the secret matches (compared in constant time), else None."""
        app = self.app(client_id)
        if app is None or not hmac.compare_digest(app.client_secret, client_secret):
            return None
        return app

    # Codes and grants -------------------------------------------------------------------------

    def issue_code(
        self, client_id: str, redirect_uri: str, realm_id: str | None, scopes: list[str]
    ) -> str:
        """A one-time authorization code for an approved consent."""
        code = AuthCode(
            code="AB11" + secrets.token_urlsafe(36),
            client_id=client_id,
            redirect_uri=redirect_uri,
            realm_id=realm_id,
            scopes=list(scopes),
            expires_at=self._clock.timestamp() + AUTH_CODE_SECONDS,
        )
        with self._lock:
            self._sweep_codes()
            self._records.codes[code.code] = code
        return code.code

    def redeem_code(self, client_id: str, code: str, redirect_uri: str) -> IssuedTokens:
        """Exchange a code for the grant's first token pair.

        A second use of a code fails and revokes the grant the first use created, as Intuit
        does: a replayed code suggests it was intercepted.
        """
        with self._lock:
            record = self._records.codes.get(code)
            if record is None or record.client_id != client_id:
                raise InvalidGrant("unknown authorization code")
            if record.grant_id is not None:
                self._revoke_grant(record.grant_id)
                raise InvalidGrant("authorization code already used")
            if record.expires_at <= self._clock.timestamp():
                raise InvalidGrant("authorization code expired")
            if record.redirect_uri != redirect_uri:
                raise InvalidGrant("redirect_uri differs from the authorization request")
            issued = self.issue_grant(client_id, record.realm_id, record.scopes)
            record.grant_id = issued.grant.grant_id
            return issued

    def issue_grant(self, client_id: str, realm_id: str | None, scopes: list[str]) -> IssuedTokens:
        """A new connection of ``client_id`` to ``realm_id`` with its first token pair."""
        grant = Grant(
            grant_id=uuid.uuid4().hex,
            client_id=client_id,
            realm_id=realm_id,
            scopes=list(scopes),
            created_at=self._clock.timestamp(),
        )
        with self._lock:
            self._records.grants[grant.grant_id] = grant
            self._save("grant", grant.grant_id, grant)
            return self._issue_pair(grant)

    def refresh(self, client_id: str, refresh_token: str) -> IssuedTokens:
        """Rotate: a new pair for the grant; the presented refresh token stops working."""
        with self._lock:
            token = self._records.tokens.get(refresh_token)
            if token is None or token.kind != "refresh":
                raise InvalidGrant("refresh token not found")
            grant = self._records.grants[token.grant_id]
            if grant.client_id != client_id:
                raise InvalidGrant("refresh token issued to another client")
            self._forget_tokens([token.value])
            if token.expires_at <= self._clock.timestamp():
                raise InvalidGrant("refresh token expired")
            return self._issue_pair(grant)

    def revoke(self, client_id: str, token_value: str) -> bool:
        """Revoke the whole grant behind an access or refresh token of ``client_id``."""
        with self._lock:
            token = self._records.tokens.get(token_value)
            if token is None or self._records.grants[token.grant_id].client_id != client_id:
                return False
            self._revoke_grant(token.grant_id)
            return True

    # What the API and userinfo endpoints ask --------------------------------------------------

    def access_grant(self, access_token: str) -> Grant | None:
        """The grant an unexpired access token stands for, or None."""
        token = self._records.tokens.get(access_token)
        if token is None or token.kind != "access" or token.expires_at <= self._clock.timestamp():
            return None
        return self._records.grants.get(token.grant_id)

    def expire_access_tokens(self, realm_id: str | None) -> int:
        """End every access token of the realm (all realms when None) now; returns how many."""
        return self._drop_tokens(realm_id, "access")

    def revoke_refresh_tokens(self, realm_id: str | None) -> int:
        """Invalidate every refresh token of the realm (all realms when None); returns how many."""
        return self._drop_tokens(realm_id, "refresh")

    # Internals (callers hold the lock) --------------------------------------------------------

    def _issue_pair(self, grant: Grant) -> IssuedTokens:
        now = self._clock.timestamp()
        refresh_expires = min(now + REFRESH_TOKEN_SECONDS, grant.hard_expires_at)
        access = Token(
            "eyJ" + secrets.token_urlsafe(96), "access", grant.grant_id, now + ACCESS_TOKEN_SECONDS
        )
        refresh = Token(
            "AB11" + secrets.token_urlsafe(36), "refresh", grant.grant_id, refresh_expires
        )
        self._sweep_tokens(now)
        for token in (access, refresh):
            self._records.tokens[token.value] = token
            self._save("token", token.value, token)
        return IssuedTokens(grant, access, refresh)

    def _drop_tokens(self, realm_id: str | None, kind: str) -> int:
        with self._lock:
            doomed = [
                t.value
                for t in self._records.tokens.values()
                if t.kind == kind
                and (realm_id is None or self._records.grants[t.grant_id].realm_id == realm_id)
            ]
            self._forget_tokens(doomed)
            return len(doomed)

    def _revoke_grant(self, grant_id: str) -> None:
        self._forget_tokens(
            [t.value for t in self._records.tokens.values() if t.grant_id == grant_id]
        )
        if self._records.grants.pop(grant_id, None) and self._mirror:
            self._mirror.delete("grant", [grant_id])

    def _forget_tokens(self, values: list[str]) -> None:
        for value in values:
            del self._records.tokens[value]
        if self._mirror and values:
            self._mirror.delete("token", values)

    def _sweep_tokens(self, now: float) -> None:
        """Drop expired tokens so a long-running emulator does not grow without bound."""
        expired = [t.value for t in self._records.tokens.values() if t.expires_at <= now]
        self._forget_tokens(expired)

    def _sweep_codes(self) -> None:
        now = self._clock.timestamp()
        for code in [c.code for c in self._records.codes.values() if c.expires_at <= now]:
            del self._records.codes[code]

    def _save(self, kind: str, key: str, record: App | Grant | Token) -> None:
        if self._mirror:
            self._mirror.save(kind, key, record)
