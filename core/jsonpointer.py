"""JSON pointers (RFC 6901) into configuration documents and their schemas.

Errors, secrets and job fields are all named by JSON pointer, so that the wizard, the API and the
CLI point at the same field the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_MISSING = object()


def pointer_from_path(path: Iterable[Any]) -> str:
    """``["sync", "cron"]`` -> ``/sync/cron`` (with RFC 6901 escaping)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def parts(pointer: str) -> list[str]:
    """``/sync/cron`` -> ``["sync", "cron"]``; ``""`` is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def get(document: Any, pointer: str, default: Any = None) -> Any:
    """The value at ``pointer``, or ``default`` when any part is missing."""
    node = document
    for part in parts(pointer):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def set_value(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set the value at ``pointer``, creating intermediate objects."""
    keys = parts(pointer)
    if not keys:
        raise ValueError("cannot replace the whole document")
    node = document
    for part in keys[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"{pointer}: {part!r} is not an object")
    node[keys[-1]] = value


def remove(document: dict[str, Any], pointer: str) -> None:
    """Remove the value at ``pointer`` if present."""
    keys = parts(pointer)
    node = get(document, pointer_from_path(keys[:-1]), _MISSING)
    if isinstance(node, dict):
        node.pop(keys[-1], None)


def resolve_schema_pointer(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    """The subschema describing the value at ``pointer`` (through ``properties``)."""
    node: Any = schema
    for part in parts(pointer):
        props = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(props, Mapping) or part not in props:
            return None
        node = props[part]
    return node
