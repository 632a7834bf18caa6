"""A wizard step as form fields, and a submitted form back as configuration values.

Pure functions of the connector's schema (no Flask, no database), so every widget rule of the
wizard vocabulary is unit-tested here once. Form inputs are named by the JSON pointer of their
field (``/quickbooks/client_id``); errors are ``core.config.FieldError`` keyed the same way, so an
error from the server-side validator lands beside the input that caused it.

Rules a form adds to JSON Schema:

* a secret (``writeOnly``) left blank is left out of the values, which keeps the stored one;
* a ``readOnly`` field keeps its current value whatever the browser sent;
* an unchecked toggle sends nothing, so a toggle absent from the form is ``false``;
* a required text field left blank is missing (not ``""``), so it is reported as required; an
  optional one is ``""`` when it had a value to clear, and stays unset otherwise;
* a field shown by ``if``/``then`` is read only while its condition holds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from core.config import FieldError
from core.jsonpointer import get as pointer_get
from core.jsonpointer import pointer_from_path

Form = Mapping[str, str]
CronZone = Callable[[str], str]

WIDGETS = (
    "group",
    "secret",
    "readonly",
    "json",
    "toggle",
    "select",
    "integer",
    "number",
    "cron",
    "timezone",
    "picker",
    "text",
)


@dataclass(frozen=True)
class Condition:
    """Show a field only while the sibling ``pointer`` holds one of ``values`` (as form text).

    ``values`` is empty when the condition is too rich for the browser to check; the server
    still decides visibility from the whole ``if`` schema.
    """

    pointer: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass
class Field:
    """One input of a step (or a group of inputs, for a nested object)."""

    pointer: str
    title: str
    description: str
    widget: str
    text: str = ""
    checked: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    advanced: bool = False
    is_set: bool = False
    option_source: str | None = None
    condition: Condition | None = None
    visible: bool = True
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return dom_id(self.pointer)


def dom_id(pointer: str) -> str:
    """An HTML id for a pointer: property names may hold any character, ids should not."""
    escaped = re.sub(r"[^A-Za-z0-9_/]", lambda m: f".{ord(m.group()):x}.", pointer)
    return "f" + escaped.replace("/", "-")


# Schema -> fields -----------------------------------------------------------------------------


def step_fields(
    schema: Mapping[str, Any],
    step: str,
    values: Mapping[str, Any],
    *,
    secrets_set: frozenset[str] | set[str] = frozenset(),
    submitted: Form | None = None,
) -> list[Field]:
    """The fields of wizard step ``step``, filled from ``values`` (the step's current values).

    With ``submitted`` (a form that failed validation) inputs show what the admin typed instead,
    except secrets, which are never sent back to the browser.
    """
    step_schema = schema["properties"][step]
    pointer = pointer_from_path([step])
    if _is_json(step_schema):
        return [_field(pointer, step_schema, values, False, secrets_set, submitted)]
    return _object_fields(pointer, step_schema, values, secrets_set, submitted)


def _object_fields(
    pointer: str,
    schema: Mapping[str, Any],
    values: Any,
    secrets_set: frozenset[str] | set[str],
    submitted: Form | None,
) -> list[Field]:
    values = values if isinstance(values, Mapping) else {}
    required = set(schema.get("required") or ())
    fields = [
        _field(
            f"{pointer}/{_escape(name)}",
            sub,
            values.get(name),
            name in required,
            secrets_set,
            submitted,
        )
        for name, sub in (schema.get("properties") or {}).items()
    ]
    shown = set(schema.get("properties") or {})
    for condition_schema, branch, negate in _conditional_branches(schema):
        holds = _holds(condition_schema, values, submitted, pointer, schema) != negate
        branch_required = set(branch.get("required") or ())
        for name, sub in (branch.get("properties") or {}).items():
            if name in shown:
                continue
            shown.add(name)
            item = _field(
                f"{pointer}/{_escape(name)}",
                sub,
                values.get(name),
                name in branch_required,
                secrets_set,
                submitted,
            )
            item.condition = _browser_condition(pointer, condition_schema, negate)
            item.visible = holds
            fields.append(item)
    return fields


def _field(
    pointer: str,
    schema: Mapping[str, Any],
    value: Any,
    required: bool,
    secrets_set: frozenset[str] | set[str],
    submitted: Form | None,
) -> Field:
    name = pointer.rsplit("/", 1)[-1]
    item = Field(
        pointer=pointer,
        title=str(schema.get("title") or name.replace("_", " ").capitalize()),
        description=str(schema.get("description") or ""),
        widget=widget_of(schema),
        required=required,
        advanced=bool(schema.get("x-advanced")),
    )
    if item.widget == "group":
        item.children = _object_fields(pointer, schema, value, secrets_set, submitted)
        return item
    if item.widget == "secret":
        item.is_set = pointer in secrets_set
        return item
    if value is None and "default" in schema:
        value = schema["default"]
    if item.widget == "toggle":
        item.checked = pointer in submitted if submitted is not None else bool(value)
        return item
    item.text = _as_text(item.widget, value)
    if submitted is not None and item.widget != "readonly" and pointer in submitted:
        item.text = submitted[pointer]
    if item.widget == "select":
        item.choices = choices_of(schema)
        if value is None and not required:
            item.choices.insert(0, ("", "(none)"))
    item.option_source = schema.get("x-options")
    item.attrs = _html_constraints(item.widget, schema)
    return item


def widget_of(schema: Mapping[str, Any]) -> str:
    """Which widget of the wizard vocabulary renders a field of this schema."""
    kind = _type(schema)
    if schema.get("writeOnly"):
        return "secret"
    if schema.get("readOnly"):
        return "readonly"
    if _is_json(schema):
        return "json"
    if kind == "object":
        return "group"
    if kind == "boolean":
        return "toggle"
    if "enum" in schema or _const_choices(schema):
        return "select"
    if kind in ("integer", "number"):
        return kind
    if schema.get("format") in ("cron", "timezone"):
        return schema["format"]
    if schema.get("x-options"):
        return "picker"
    return "text"


def choices_of(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(form value, label) of a select: ``enum`` values, or ``oneOf`` constants with titles."""
    if "enum" in schema:
        return [(_token(v), str(v)) for v in schema["enum"]]
    return [(_token(c["const"]), str(c.get("title", c["const"]))) for c in _const_choices(schema)]


def _const_choices(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = schema.get("oneOf") or schema.get("anyOf") or []
    if options and all(isinstance(o, Mapping) and "const" in o for o in options):
        return list(options)
    return []


def _is_json(schema: Mapping[str, Any]) -> bool:
    kind = _type(schema)
    if schema.get("x-widget") == "json" or kind == "array":
        return True
    return kind == "object" and not schema.get("properties")


def _type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _token(value: Any) -> str:
    """The form text of a choice: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _as_text(widget: str, value: Any) -> str:
    if value is None:
        return ""
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget == "readonly" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _token(value)


def _html_constraints(widget: str, schema: Mapping[str, Any]) -> dict[str, str]:
    """Limits the browser can check before sending (the server checks them again)."""
    attrs = {}
    if widget in ("integer", "number"):
        for keyword, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(schema.get(keyword), int | float):
                attrs[attr] = str(schema[keyword])
        attrs["step"] = "1" if widget == "integer" else "any"
    if widget in ("text", "picker", "cron", "timezone") and isinstance(
        schema.get("maxLength"), int
    ):
        attrs["maxlength"] = str(schema["maxLength"])
    return attrs


def _escape(name: str) -> str:
    return pointer_from_path([name])[1:]


# Conditional fields ---------------------------------------------------------------------------


def _conditional_branches(
    schema: Mapping[str, Any],
) -> list[tuple[Mapping[str, Any], Mapping[str, Any], bool]]:
    """(if-schema, branch, negate) for ``if``/``then``/``else`` here and inside ``allOf``."""
    found = []
    for holder in [schema, *(schema.get("allOf") or [])]:
        if not isinstance(holder, Mapping) or not isinstance(holder.get("if"), Mapping):
            continue
        if isinstance(holder.get("then"), Mapping):
            found.append((holder["if"], holder["then"], False))
        if isinstance(holder.get("else"), Mapping):
            found.append((holder["if"], holder["else"], True))
    return found


def _holds(
    condition: Mapping[str, Any],
    values: Mapping[str, Any],
    submitted: Form | None,
    pointer: str,
    schema: Mapping[str, Any],
) -> bool:
    if submitted is not None:
        values, _errors = _read_object(pointer, schema, submitted, values, with_conditions=False)
    return Draft202012Validator(condition).is_valid(values)


def _browser_condition(
    pointer: str, condition: Mapping[str, Any], negate: bool
) -> Condition | None:
    """The condition in a form the page's script can check: one sibling's const or enum."""
    props = condition.get("properties") or {}
    if len(props) != 1:
        return None
    ((name, sub),) = props.items()
    if "const" in sub:
        allowed: tuple[str, ...] = (_token(sub["const"]),)
    elif isinstance(sub.get("enum"), list):
        allowed = tuple(_token(v) for v in sub["enum"])
    else:
        return None
    return Condition(f"{pointer}/{_escape(name)}", allowed, negate)


# Form -> values -------------------------------------------------------------------------------


def read_step(
    schema: Mapping[str, Any], step: str, form: Form, current: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The step's values from a submitted form, and the fields that could not be read.

    ``current`` is the step's saved values: read-only fields keep them. Errors here are about
    reading the form (not a number, not JSON); the schema's own rules are checked afterwards
    by ``core.config.validate`` on the whole configuration.
    """
    step_schema = schema["properties"][step]
    pointer = pointer_from_path([step])
    if _is_json(step_schema):
        value, errors = _read_value(pointer, step_schema, form, current, False)
        return (value if isinstance(value, dict) else {}), errors
    return _read_object(pointer, step_schema, form, current, with_conditions=True)


_MISSING = object()


def _read_object(
    pointer: str,
    schema: Mapping[str, Any],
    form: Form,
    current: Any,
    *,
    with_conditions: bool,
) -> tuple[dict[str, Any], list[FieldError]]:
    current = current if isinstance(current, Mapping) else {}
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    required = set(schema.get("required") or ())
    properties = dict(schema.get("properties") or {})
    for name, sub in properties.items():
        _read_into(
            values,
            errors,
            name,
            f"{pointer}/{_escape(name)}",
            sub,
            form,
            current.get(name),
            name in required,
        )
    if not with_conditions:
        return values, errors
    for condition, branch, negate in _conditional_branches(schema):
        if Draft202012Validator(condition).is_valid(values) == negate:
            continue
        branch_required = set(branch.get("required") or ())
        for name, sub in (branch.get("properties") or {}).items():
            if name not in properties:
                _read_into(
                    values,
                    errors,
                    name,
                    f"{pointer}/{_escape(name)}",
                    sub,
                    form,
                    current.get(name),
                    name in branch_required,
                )
    return values, errors


def _read_into(
    values: dict[str, Any],
    errors: list[FieldError],
    name: str,
    pointer: str,
    schema: Mapping[str, Any],
    form: Form,
    current: Any,
    required: bool,
) -> None:
    value, found = _read_value(pointer, schema, form, current, required)
    errors.extend(found)
    if value is not _MISSING:
        values[name] = value


def _read_value(
    pointer: str, schema: Mapping[str, Any], form: Form, current: Any, required: bool
) -> tuple[Any, list[FieldError]]:
    widget = widget_of(schema)
    if widget == "group":
        return _read_object(pointer, schema, form, current, with_conditions=True)
    if widget == "readonly":
        if current is not None:
            return current, []
        return schema.get("default", _MISSING), []
    if widget == "toggle":
        return pointer in form, []
    text = form.get(pointer, "")
    if widget == "secret":
        return (text if text else _MISSING), []
    if widget in ("cron", "timezone", "picker", "integer", "number", "json"):
        text = text.strip()
    if text == "" and (required or not _accepts_blank(widget, schema, current)):
        return _MISSING, []
    reader = _READERS.get(widget)
    if reader is None:
        return text, []
    try:
        return reader(text, schema), []
    except ValueError as exc:
        return _MISSING, [FieldError(pointer, str(exc))]


def _accepts_blank(widget: str, schema: Mapping[str, Any], current: Any) -> bool:
    """Whether a blank input means the empty string rather than "not given": only for a text
    that had a value (saved or default), so clearing it clears it and an untouched empty field
    stays unset."""
    if current is None and "default" not in schema:
        return False
    if widget == "select":
        return "" in _allowed(schema)
    return widget in ("text", "picker", "cron", "timezone")


def _allowed(schema: Mapping[str, Any]) -> list[Any]:
    if "enum" in schema:
        return list(schema["enum"])
    return [c["const"] for c in _const_choices(schema)]


def _read_integer(text: str, schema: Mapping[str, Any]) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"'{text}' is not a whole number")
    return int(text)


def _read_number(text: str, schema: Mapping[str, Any]) -> int | float:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"'{text}' is not a finite number")
    return number


def read_json(text: str, schema: Mapping[str, Any] | None = None) -> Any:
    """The JSON value of a JSON editor's text; ``ValueError`` says where it is malformed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _read_choice(text: str, schema: Mapping[str, Any]) -> Any:
    allowed = _allowed(schema)
    for value in allowed:
        if _token(value) == text:
            return value
    labels = ", ".join(_token(v) for v in allowed)
    raise ValueError(f"'{text}' is not one of the choices ({labels})")


_READERS: dict[str, Callable[[str, Mapping[str, Any]], Any]] = {
    "integer": _read_integer,
    "number": _read_number,
    "json": read_json,
    "select": _read_choice,
}


def step_value(config: Mapping[str, Any], step: str) -> Any:
    """The saved values of one step (``{}`` when the step has none yet)."""
    return pointer_get(config, pointer_from_path([step]), {})
