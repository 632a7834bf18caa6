"""Encryption of secrets at rest, with a key kept outside the database.

Keys come from ``INTEGRATIONS_SECRET_KEY`` (comma-separated Fernet keys, the first one encrypts)
or, for the embedded default, from a key file created at first run with mode 0600. Any listed key
decrypts, so a rotation is: put a new key first, re-encrypt every secret (``rotate_all``), then
drop the old key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import ConfigVersion, OAuthConnection


class SecretKeyError(RuntimeError):
    """The keys cannot decrypt what is stored, or a configured key is malformed."""


class KeyRing:
    """The ordered Fernet keys of this deployment; the first one encrypts."""

    def __init__(self, keys: Iterable[str], key_file: Path | None = None) -> None:
        self.keys = list(keys)
        if not self.keys:
            raise SecretKeyError("no encryption key configured")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in self.keys])
        except (ValueError, TypeError) as exc:
            raise SecretKeyError(
                "INTEGRATIONS_SECRET_KEY must hold Fernet keys (32 url-safe base64 bytes), "
                "separated by commas"
            ) from exc
        self.key_file = key_file

    @classmethod
    def load(cls, env_keys: tuple[str, ...], key_file: Path) -> KeyRing:
        """Keys from the environment, or from the key file (created on first use)."""
        if env_keys:
            return cls(env_keys)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            _write_private(key_file, [Fernet.generate_key().decode()])
        keys = [line.strip() for line in key_file.read_text().splitlines() if line.strip()]
        return cls(keys, key_file)

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SecretKeyError(
                "a stored secret cannot be decrypted with the configured keys "
                "(was a key removed before `integrations keys rotate` ran?)"
            ) from exc

    def encrypt_json(self, value: Mapping[str, Any]) -> bytes:
        return self.encrypt(json.dumps(value, sort_keys=True).encode())

    def decrypt_json(self, token: bytes | None) -> dict[str, Any]:
        return {} if token is None else json.loads(self.decrypt(token))

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a token under the primary key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise SecretKeyError("a stored secret cannot be decrypted for rotation") from exc


def rotate_all(session: Session, ring: KeyRing) -> int:
    """Re-encrypt every stored secret under the ring's primary key; returns how many."""
    count = 0
    for version in session.scalars(
        select(ConfigVersion).where(ConfigVersion.secrets_ciphertext.is_not(None))
    ):
        version.secrets_ciphertext = ring.rotate(version.secrets_ciphertext)
        count += 1
    for connection in session.scalars(select(OAuthConnection)):
        connection.tokens_ciphertext = ring.rotate(connection.tokens_ciphertext)
        count += 1
    return count


def new_primary_key(ring: KeyRing) -> KeyRing:
    """A ring with a fresh primary key in front of the old ones (key-file deployments)."""
    return KeyRing([Fernet.generate_key().decode(), *ring.keys], ring.key_file)


def retire_old_keys(ring: KeyRing) -> KeyRing:
    """Keep only the primary key and write it to the key file (after ``rotate_all``)."""
    if ring.key_file is None:
        raise SecretKeyError("keys from the environment are retired by editing the environment")
    _write_private(ring.key_file, ring.keys[:1])
    return KeyRing(ring.keys[:1], ring.key_file)


def save_key_file(ring: KeyRing) -> None:
    """Persist the ring's keys (new primary first) to its key file."""
    if ring.key_file is None:
        raise SecretKeyError("this key ring does not come from a key file")
    _write_private(ring.key_file, ring.keys)


def _write_private(path: Path, keys: list[str]) -> None:
    """Write keys to a file only its owner can read, replacing it atomically."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(keys) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
