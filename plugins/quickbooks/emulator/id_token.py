"""OpenID Connect ID tokens: RS256-signed JWTs and the JWKS that verifies them.

intuit-oauth verifies every ``id_token`` it receives against the ``jwks_uri`` of the discovery
document, so the emulator signs with a key of its own and publishes its public half. The key is
made on first use (RSA generation costs tens of milliseconds that most runs never need).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class IdTokenSigner:
    """Signs claims as a compact JWS (RS256) with a key id that the JWKS names."""

    def __init__(self) -> None:
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    def _private_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    def jwks(self) -> dict:
        """The JSON Web Key Set a client fetches from ``jwks_uri``."""
        numbers = self._private_key().public_key().public_numbers()
        jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "n": _b64url_uint(numbers.n)}
        jwk["e"] = _b64url_uint(numbers.e)
        jwk["kid"] = self._key_id(jwk)
        return {"keys": [jwk]}

    def sign(self, claims: dict) -> str:
        """The signed JWT carrying ``claims``."""
        key = self._private_key()
        header = {"alg": "RS256", "kid": self.jwks()["keys"][0]["kid"], "typ": "JWT"}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    @staticmethod
    def _key_id(jwk: dict) -> str:
        """RFC 7638 thumbprint: stable for a key, different for the next emulator's key."""
        canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
        return _b64url(hashlib.sha256(canonical.encode()).digest())
