"""Forms for actions with simple parameters, drawn from the action's own JSON Schema.

An action whose ``params_schema`` is an object of string (or enum) properties gets one field per
property: a text box, or a list for an enum (with a blank first choice when the property is not
required). A property named ``invoice_id`` is chosen among the platform's sent invoices, since
the platform knows them and an admin does not type ids. Blank answers are left out of the
parameters, so an optional parameter left blank means "not given" to the action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.connector import Action
from core.platform.port import PlatformPort

INVOICE_FIELD = "invoice_id"
#: Invoices an invoice field offers: the ones a connector may send.
CHOOSABLE_STATUSES = ("sent", "paid")
#: How many invoices an invoice field lists (newest first).
INVOICE_LIST_LIMIT = 200


@dataclass(frozen=True)
class ParamField:
    """One form field of an action's parameter."""

    name: str
    title: str
    hint: str
    required: bool
    choices: tuple[str, ...] | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class InvoiceOption:
    id: str
    label: str


def param_fields(action: Action) -> list[ParamField]:
    """The fields of ``action``'s form; empty when its parameters are not simple strings."""
    schema = action.params_schema
    properties = schema.get("properties") or {}
    if not properties or any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        return []
    required = set(schema.get("required") or ())
    fields = []
    for name, prop in properties.items():
        choices = prop.get("enum")
        if choices is None and prop.get("type") != "string":
            return []
        fields.append(
            ParamField(
                name=name,
                title=str(prop.get("title") or name.replace("_", " ").capitalize()),
                hint=str(prop.get("description") or ""),
                required=name in required,
                choices=tuple(str(c) for c in choices) if choices is not None else None,
                max_length=prop.get("maxLength"),
            )
        )
    return fields


def form_params(action: Action, form: Mapping[str, str]) -> dict[str, Any]:
    """The parameters an action form posted: its fields' non-blank answers."""
    answers = {f.name: (form.get(f.name) or "").strip() for f in param_fields(action)}
    return {name: value for name, value in answers.items() if value}


def invoice_options(platform: PlatformPort) -> list[InvoiceOption]:
    """The platform's sent invoices, newest first, labelled as an admin recognises them."""
    invoices = platform.invoices(statuses=CHOOSABLE_STATUSES)
    invoices.sort(key=lambda i: (i.issue_date, i.number), reverse=True)
    return [
        InvoiceOption(i.id, f"{i.number} ({i.issue_date.isoformat()}, {i.total} {i.currency})")
        for i in invoices[:INVOICE_LIST_LIMIT]
    ]
