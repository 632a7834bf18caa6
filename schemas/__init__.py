"""The framework's own JSON Schemas, shipped as package data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    """A schema of this package by file name (``manifest.schema.json``...)."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
