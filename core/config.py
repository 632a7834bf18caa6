"""Installation configuration: defaults, validation, secrets and the kept versions.

A configuration is one JSON document shaped by the connector's schema. Fields marked
``writeOnly`` are secrets: they are split off, encrypted with the deployment's keys and never sent
back; a blank secret on save keeps the stored one. Every save is a new version that records who
saved it and which fields changed (never a secret's value); any version can be restored.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import cron, jsonpointer
from core.secrets import KeyRing
from core.store.models import ConfigVersion, Installation

MASK = "********"


@dataclass(frozen=True)
class FieldError:
    """A rejected field: where (JSON pointer) and why, in words an admin can act on."""

    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


@dataclass(frozen=True)
class SaveResult:
    """A saved version and the required fields it still lacks (only a draft may lack any)."""

    version: ConfigVersion
    missing: list[FieldError]


class ConfigInvalid(ValueError):
    """A configuration was refused; ``errors`` says which fields and why. Nothing was saved."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.pointer or '/'}: {e.message}" for e in errors))
        self.errors = errors


# Schema-driven helpers ---------------------------------------------------------------------------


def defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration an installation starts with: every ``default`` in the schema."""
    result: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        if "default" in sub:
            result[name] = copy.deepcopy(sub["default"])
        elif sub.get("type") == "object" and "properties" in sub:
            result[name] = defaults(sub)
    return result


def with_defaults(schema: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the schema's defaults filled in wherever a field is missing."""
    return _deep_merge(defaults(schema), values)


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def secret_pointers(schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    """JSON pointers of every ``writeOnly`` field (through nested ``properties``)."""
    found = []
    for name, sub in (schema.get("properties") or {}).items():
        pointer = jsonpointer.pointer_from_path([*jsonpointer.parts(prefix), name])
        if sub.get("writeOnly"):
            found.append(pointer)
        elif isinstance(sub.get("properties"), Mapping):
            found.extend(secret_pointers(sub, pointer))
    return found


def _format_checker() -> FormatChecker:
    """JSON Schema's formats plus ``cron`` and ``timezone``, checked by ``core.cron``."""
    checker = FormatChecker()
    checker.checks("cron", raises=cron.ScheduleError)(
        lambda v: not isinstance(v, str) or bool(cron.validate(v))
    )
    checker.checks("timezone", raises=cron.ScheduleError)(
        lambda v: not isinstance(v, str) or bool(cron.validate_timezone(v))
    )
    return checker


FORMATS = _format_checker()


def validate(
    schema: Mapping[str, Any], values: Mapping[str, Any], *, step: str | None = None
) -> list[FieldError]:
    """Per-field errors of ``values``; with ``step``, only the errors inside that step.

    Every wizard step is validated, even one left out of ``values``: otherwise leaving a step out
    would skip the fields it requires.
    """
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    errors = [_field_error(e) for e in validator.iter_errors(_with_every_step(schema, values))]
    if step is not None:
        prefix = f"/{step}"
        errors = [e for e in errors if e.pointer == prefix or e.pointer.startswith(prefix + "/")]
    return sorted(errors, key=lambda e: e.pointer)


def _with_every_step(schema: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    if not isinstance(values, Mapping):
        return values
    steps = {
        name: {}
        for name, sub in (schema.get("properties") or {}).items()
        if isinstance(sub, Mapping) and sub.get("type") == "object" and name not in values
    }
    return {**values, **steps}


def _field_error(error: ValidationError) -> FieldError:
    path = list(error.absolute_path)
    if error.validator == "format" and isinstance(error.cause, cron.ScheduleError):
        return FieldError(jsonpointer.pointer_from_path(path), error.cause.reason)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [p for p in error.validator_value if p not in error.instance]
        if missing:
            return FieldError(jsonpointer.pointer_from_path([*path, missing[0]]), "is required")
    return FieldError(jsonpointer.pointer_from_path(path), error.message)


def split_secrets(
    schema: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values without secrets, {pointer: secret}) — the second part is what gets encrypted."""
    public = copy.deepcopy(dict(values))
    secrets: dict[str, Any] = {}
    for pointer in secret_pointers(schema):
        value = jsonpointer.get(public, pointer)
        if value not in (None, ""):
            secrets[pointer] = value
        jsonpointer.remove(public, pointer)
    return public, secrets


def merge_secrets(public: Mapping[str, Any], secrets: Mapping[str, Any]) -> dict[str, Any]:
    """The full configuration: public values with the decrypted secrets put back."""
    full = copy.deepcopy(dict(public))
    for pointer, value in secrets.items():
        jsonpointer.set_value(full, pointer, value)
    return full


def masked(
    schema: Mapping[str, Any], public: Mapping[str, Any], secret_keys: Iterable[str]
) -> dict[str, Any]:
    """What may leave the server: public values, and ``MASK`` where a secret is set."""
    shown = copy.deepcopy(dict(public))
    stored = set(secret_keys)
    for pointer in secret_pointers(schema):
        if pointer in stored:
            jsonpointer.set_value(shown, pointer, MASK)
    return shown


def changed_pointers(
    before: Mapping[str, Any], after: Mapping[str, Any], secrets: Iterable[str]
) -> list[dict[str, Any]]:
    """Leaf fields that differ; secret fields are listed without their values."""
    hidden = set(secrets)
    changes = []
    for pointer in sorted(_leaves(before) | _leaves(after)):
        old, new = jsonpointer.get(before, pointer), jsonpointer.get(after, pointer)
        if old == new:
            continue
        if pointer in hidden:
            changes.append({"pointer": pointer, "secret": True})
        else:
            changes.append({"pointer": pointer, "from": old, "to": new})
    return changes


def _leaves(document: Any, prefix: str = "") -> set[str]:
    if isinstance(document, Mapping) and document:
        found: set[str] = set()
        for key, value in document.items():
            found |= _leaves(value, prefix + jsonpointer.pointer_from_path([key]))
        return found
    return {prefix} if prefix else set()


# Stored versions ---------------------------------------------------------------------------------


class ConfigStore:
    """Reads and writes the configuration versions of installations."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def current(self, session: Session, installation_id: int) -> ConfigVersion:
        version = self.latest(session, installation_id)
        if version is None:
            raise LookupError(f"installation {installation_id} has no configuration")
        return version

    def version(self, session: Session, installation_id: int, number: int) -> ConfigVersion:
        found = session.scalars(
            select(ConfigVersion).where(
                ConfigVersion.installation_id == installation_id, ConfigVersion.version == number
            )
        ).first()
        if found is None:
            raise LookupError(
                f"installation {installation_id} has no configuration version {number}"
            )
        return found

    def history(self, session: Session, installation_id: int) -> list[ConfigVersion]:
        return list(
            session.scalars(
                select(ConfigVersion)
                .where(ConfigVersion.installation_id == installation_id)
                .order_by(ConfigVersion.version.desc())
            )
        )

    def full(self, version: ConfigVersion) -> dict[str, Any]:
        """The whole configuration of a version, secrets decrypted (server side only)."""
        return merge_secrets(version.values, self.ring.decrypt_json(version.secrets_ciphertext))

    def shown(self, schema: Mapping[str, Any], version: ConfigVersion) -> dict[str, Any]:
        """The configuration of a version as an admin may see it (secrets masked)."""
        return masked(schema, version.values, self.ring.decrypt_json(version.secrets_ciphertext))

    def save(
        self,
        session: Session,
        installation: Installation,
        schema: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        actor: str,
        connector_version: str,
        note: str | None = None,
        allow_missing: bool = False,
    ) -> SaveResult:
        """Validate and store ``values`` as the next version; raises ``ConfigInvalid``.

        A secret left blank (absent, empty or the mask) keeps the stored secret. With
        ``allow_missing`` (a draft), missing required fields are reported, not refused.
        """
        previous = self.latest(session, installation.id)
        stored = self.ring.decrypt_json(previous.secrets_ciphertext) if previous else {}
        incoming = copy.deepcopy(dict(values))
        for pointer in secret_pointers(schema):
            if jsonpointer.get(incoming, pointer) in (None, "", MASK) and pointer in stored:
                jsonpointer.set_value(incoming, pointer, stored[pointer])
            elif jsonpointer.get(incoming, pointer) == MASK:
                jsonpointer.remove(incoming, pointer)
        errors = validate(schema, incoming)
        missing = [e for e in errors if e.message == "is required"] if allow_missing else []
        if len(errors) > len(missing):
            raise ConfigInvalid([e for e in errors if e not in missing])
        public, secrets = split_secrets(schema, incoming)
        before = self.full(previous) if previous else {}
        number = (previous.version if previous else 0) + 1
        version = ConfigVersion(
            installation_id=installation.id,
            version=number,
            connector_version=connector_version,
            values=public,
            secrets_ciphertext=self.ring.encrypt_json(secrets) if secrets else None,
            changes=changed_pointers(before, incoming, secret_pointers(schema)),
            created_by=actor,
            note=note,
        )
        session.add(version)
        session.flush()
        return SaveResult(version, missing)

    def latest(self, session: Session, installation_id: int) -> ConfigVersion | None:
        return session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.installation_id == installation_id)
            .order_by(ConfigVersion.version.desc())
            .limit(1)
        ).first()
