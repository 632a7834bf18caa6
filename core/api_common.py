"""What every ``/api/v1`` view shares: the caller's tenant, reading input, errors and paging.

Input is checked strictly, as the ledger API does: an unknown field or query parameter is
refused rather than ignored (a typo would otherwise silently do nothing), and every refusal
names the field as a JSON pointer (``/job``) or a query parameter (``?per_page``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.api_tokens import TokenOwner
from core.services import Services
from core.store.models import Installation

MAX_PER_PAGE = 100


class ApiError(Exception):
    """A refusal answered as ``{"error": message}`` with ``status`` (401, 403, 404, 409)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InputInvalid(Exception):
    """Input refused with 422: ``{"errors": [{"field", "message"}, ...]}``."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


def invalid(field: str, message: str) -> InputInvalid:
    return InputInvalid([FieldProblem(field, message)])


def services() -> Services:
    return current_app.extensions["integrations"]


def caller() -> TokenOwner:
    """The token owner of this request (set by the blueprint's authentication)."""
    return g.api_caller


def tenant_id() -> int:
    return caller().tenant_id


def actor() -> str:
    return caller().actor


# Input -----------------------------------------------------------------------------------------


def body(*, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object sent, with exactly the named fields (the required ones present)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise invalid("", "send a JSON object (Content-Type: application/json)")
    known = set(required) | set(optional)
    problems = [FieldProblem(f"/{name}", "is required") for name in required if name not in data]
    problems += [FieldProblem(f"/{n}", "is not a known field") for n in sorted(set(data) - known)]
    if problems:
        raise InputInvalid(problems)
    return data


def document() -> dict[str, Any]:
    """A JSON object sent whole (a configuration), whatever its fields."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise invalid("", "send a JSON object (Content-Type: application/json)")
    return data


def query(*allowed: str) -> None:
    """Refuse query parameters the route does not know, and repeated ones."""
    problems = [
        FieldProblem(f"?{name}", "is not a known query parameter")
        for name in sorted(set(request.args) - set(allowed))
    ]
    problems += [
        FieldProblem(f"?{name}", "may be given only once")
        for name in sorted(set(request.args) & set(allowed))
        if len(request.args.getlist(name)) > 1
    ]
    if problems:
        raise InputInvalid(problems)


def choice(name: str, choices: Iterable[str]) -> str | None:
    """An optional query parameter that must be one of ``choices``."""
    value = request.args.get(name)
    allowed = sorted(choices)
    if value is not None and value not in allowed:
        raise invalid(f"?{name}", f"{value!r} is not one of {', '.join(allowed) or 'none'}")
    return value


def boolean(name: str, default: bool) -> bool:
    value = request.args.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise invalid(f"?{name}", f"{value!r} must be true or false")
    return value == "true"


def whole(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer field of a body or query (``name`` is its pointer or ``?param``)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, f"{value!r} is not a whole number")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        raise invalid(name, f"must be {bound}")
    return value


@dataclass(frozen=True)
class Page:
    number: int
    size: int


def page() -> Page:
    """``?page`` (from 1) and ``?per_page`` (up to ``MAX_PER_PAGE``, default 20)."""
    return Page(
        whole("?page", request.args.get("page", 1)),
        whole("?per_page", request.args.get("per_page", 20), maximum=MAX_PER_PAGE),
    )


def paged(session: Session, query: Select[Any], at: Page) -> tuple[list[Any], int]:
    """One page of ``query``'s rows and the total count of rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(at.size).offset((at.number - 1) * at.size))
    return list(rows), int(total or 0)


def page_of(items: list[Any], at: Page, total: int, key: str) -> dict[str, Any]:
    return {key: items, "page": at.number, "per_page": at.size, "total": total}


# Lookups and output ----------------------------------------------------------------------------


def installation(session: Session, installation_id: int) -> Installation:
    """The caller's installation; another tenant's id is answered 404 like a missing one."""
    return services().installations.get(session, tenant_id(), installation_id)


def changeable(found: Installation) -> Installation:
    """Refuse changes to an installation that was uninstalled (its data kept for reading)."""
    if found.status == "uninstalled":
        raise ApiError(409, f"installation {found.id} is uninstalled; install the connector again")
    return found


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def pick(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row, datetimes as ISO 8601."""
    values = {name: getattr(row, name) for name in names}
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


def field_errors(errors: Iterable[Any]) -> list[dict[str, str]]:
    """``core.config.FieldError`` values as the API's error entries."""
    return [{"field": e.pointer, "message": e.message} for e in errors]
