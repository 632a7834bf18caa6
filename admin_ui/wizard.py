"""The configure wizard: one page per step of the connector's schema, and its JSON helpers.

Nothing here knows a connector: steps, widgets and rules all come from the config schema. Each
step is read (``admin_ui.forms``) and validated (``core.config.validate`` with ``step=``) when the
admin leaves it with *Back*, *Next* or *Connect*, and saved: a draft stays a draft until *Finish*
(``core.installation_state.save_draft``), an active installation saves a complete configuration
(``InstallationService.save_config``). Secrets are never put in a page; a blank one keeps the
stored value.
"""

from __future__ import annotations

import copy
import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from admin_ui import forms, previews
from admin_ui.blueprint import pages, services, user
from admin_ui.library import catalog_connector, tenant_installation
from core import installation_state, jsonpointer
from core.config import MASK, ConfigInvalid, FieldError, secret_pointers, validate
from core.options import OptionsUnavailable, fetch_options
from core.plugins import Connector
from core.store.models import Installation

log = logging.getLogger(__name__)

ACTIONS = ("back", "next", "connect", "finish")


@dataclass
class Wizard:
    """An installation's wizard: its connector, the steps and the current configuration."""

    installation: Installation
    connector: Connector
    full: dict[str, Any]  # secrets included: server side only, never rendered
    shown: dict[str, Any]  # secrets masked

    @property
    def schema(self) -> dict[str, Any]:
        return self.connector.config_schema

    @property
    def steps(self) -> list[tuple[str, str]]:
        return [(key, sub["title"]) for key, sub in self.schema["properties"].items()]

    @property
    def secrets_set(self) -> set[str]:
        return {p for p in secret_pointers(self.schema) if jsonpointer.get(self.shown, p) == MASK}

    def index(self, step: str) -> int:
        keys = [key for key, _title in self.steps]
        if step not in keys:
            abort(404, description=f"{self.connector.manifest['name']} has no step {step!r}.")
        return keys.index(step)

    def cron_zone(self, pointer: str) -> str:
        """The time zone a schedule field runs in: its job's time-zone field, else UTC."""
        for job in self.connector.jobs.values():
            if job.schedule_field == pointer and job.timezone_field:
                return jsonpointer.get(self.full, job.timezone_field) or "UTC"
        return "UTC"


def _load(session: Any, installation_id: int) -> Wizard:
    installation = tenant_installation(session, installation_id)
    connector = catalog_connector(installation.connector_id)
    configs = services().configs
    version = configs.current(session, installation.id)
    return Wizard(
        installation,
        connector,
        configs.full(version),
        configs.shown(connector.config_schema, version),
    )


@pages.get("/installations/<int:installation_id>/configure")
def configure(installation_id: int) -> Any:
    """The pencil: open the wizard at its first step with the saved values."""
    with services().db.session() as session:
        wizard = _load(session, installation_id)
    first = wizard.steps[0][0]
    return redirect(url_for("pages.wizard_step", installation_id=installation_id, step=first))


@pages.route("/installations/<int:installation_id>/configure/<step>", methods=["GET", "POST"])
def wizard_step(installation_id: int, step: str) -> Any:
    with services().db.session() as session:
        wizard = _load(session, installation_id)
        wizard.index(step)
        if request.method == "GET":
            return _render(session, wizard, step)
        action = request.form.get("action", "next")
        if action not in ACTIONS:
            abort(400, description=f"action: {action!r} is not one of {', '.join(ACTIONS)}")
        candidate, errors = _candidate(wizard, step)
        if errors:
            return _render(session, wizard, step, errors=errors, submitted=request.form), 422
        problems = _save(session, wizard, candidate, finish=action == "finish")
        if problems:
            return _render(session, wizard, step, errors=problems, submitted=request.form), 422
    return redirect(_after(wizard, step, action))


def _candidate(wizard: Wizard, step: str) -> tuple[dict[str, Any], list[FieldError]]:
    """The whole configuration with this step as submitted, and the step's errors.

    Secrets left blank are put back from the stored configuration before validating, so a
    required secret that is set does not count as missing.
    """
    current = forms.step_value(wizard.full, step)
    values, read_errors = forms.read_step(wizard.schema, step, request.form, current)
    candidate = copy.deepcopy(wizard.full)
    candidate[step] = values
    for pointer in secret_pointers(wizard.schema):
        kept = jsonpointer.get(wizard.full, pointer)
        if pointer.startswith(f"/{step}/") and jsonpointer.get(candidate, pointer) is None and kept:
            jsonpointer.set_value(candidate, pointer, kept)
    unreadable = {e.pointer for e in read_errors}
    checked = [
        e for e in validate(wizard.schema, candidate, step=step) if e.pointer not in unreadable
    ]
    return candidate, read_errors + checked


def _save(
    session: Any, wizard: Wizard, candidate: dict[str, Any], *, finish: bool
) -> list[FieldError]:
    """Save the candidate; on *Finish* it must be complete. Returns the problems, if any."""
    installation = wizard.installation
    if finish:
        problems = validate(wizard.schema, candidate)
        if problems:
            return problems
    elif candidate == wizard.full:
        return []
    try:
        if installation.status == "draft" and not finish:
            installation_state.save_draft(
                services(), session, installation, candidate, actor=user().email
            )
        else:
            services().installations.save_config(
                session, installation, candidate, actor=user().email, note="wizard"
            )
    except ConfigInvalid as exc:
        return exc.errors
    return []


def _after(wizard: Wizard, step: str, action: str) -> str:
    keys = [key for key, _title in wizard.steps]
    index = keys.index(step)
    installation_id = wizard.installation.id
    if action == "finish":
        flash(f"{wizard.installation.name} is configured; its jobs run on their schedules.", "ok")
        return url_for("pages.installed")
    if action == "connect":
        provider = wizard.schema["properties"][step]["x-oauth"]["provider"]
        return url_for("oauth.connect", installation_id=installation_id, provider=provider)
    target = index - 1 if action == "back" else index + 1
    target = min(max(target, 0), len(keys) - 1)
    return url_for("pages.wizard_step", installation_id=installation_id, step=keys[target])


def _render(
    session: Any,
    wizard: Wizard,
    step: str,
    *,
    errors: list[FieldError] = (),  # type: ignore[assignment]
    submitted: Any = None,
) -> str:
    step_schema = wizard.schema["properties"][step]
    fields = forms.step_fields(
        wizard.schema,
        step,
        forms.step_value(wizard.shown, step),
        secrets_set=wizard.secrets_set,
        submitted=submitted,
    )
    placed, elsewhere = _place_errors(fields, errors)
    flat = list(_flatten(fields))
    zones = {f.pointer: wizard.cron_zone(f.pointer) for f in flat if f.widget == "cron"}
    connection = None
    oauth = step_schema.get("x-oauth")
    if oauth:
        state = installation_state.state(services(), session, wizard.installation)
        connection = next((c for c in state.connections if c.provider == oauth["provider"]), None)
    index = wizard.index(step)
    return render_template(
        "wizard.html",
        tab="installed",
        wizard=wizard,
        installation=wizard.installation,
        steps=wizard.steps,
        step=step,
        step_schema=step_schema,
        index=index,
        last=index == len(wizard.steps) - 1,
        fields=fields,
        errors=placed,
        other_errors=elsewhere,
        step_of=_step_of,
        zones=zones,
        previews={p: previews.cron_preview(_text(flat, p), z) for p, z in zones.items()},
        timezones=sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
        if any(f.widget == "timezone" for f in flat)
        else [],
        connection=connection,
    )


def _text(fields: list[forms.Field], pointer: str) -> str:
    return next(f.text for f in fields if f.pointer == pointer)


def _flatten(fields: list[forms.Field]) -> Any:
    for item in fields:
        yield item
        yield from _flatten(item.children)


def _step_of(pointer: str) -> str:
    return jsonpointer.parts(pointer)[0] if pointer else ""


def _place_errors(
    fields: list[forms.Field], errors: list[FieldError]
) -> tuple[dict[str, list[str]], list[FieldError]]:
    """Errors by the input they belong to: the deepest field whose pointer contains theirs.

    An error inside a JSON editor's value names its path inside the value; an error on another
    step (Finish checks them all) is returned apart, to be listed with a link to its step.
    """
    inputs = [f.pointer for f in _flatten(fields) if f.widget != "group"]
    placed: dict[str, list[str]] = {}
    elsewhere = []
    for error in errors:
        owner = max(
            (p for p in inputs if error.pointer == p or error.pointer.startswith(p + "/")),
            key=len,
            default=None,
        )
        if owner is None:
            elsewhere.append(error)
            continue
        inner = error.pointer[len(owner) :]
        placed.setdefault(owner, []).append(f"{inner}: {error.message}" if inner else error.message)
    return placed, elsewhere


# JSON endpoints for the page's script ---------------------------------------------------------


@pages.get("/wizard/cron.json")
def cron_json() -> Any:
    """A cron expression in words and its next runs (the wizard's cron field, as you type)."""
    expression = request.args.get("expression", "")
    timezone = request.args.get("timezone", "UTC") or "UTC"
    return jsonify(previews.cron_preview(expression, timezone).as_dict())


@pages.post("/installations/<int:installation_id>/configure/check-json.json")
def check_json(installation_id: int) -> Any:
    """Validate a JSON editor's text against its field's schema (as you type)."""
    pointer = request.form.get("pointer", "")
    with services().db.session() as session:
        wizard = _load(session, installation_id)
    schema = jsonpointer.resolve_schema_pointer(wizard.schema, pointer) if pointer else None
    if schema is None or forms.widget_of(schema) != "json":
        abort(400, description=f"pointer: {pointer!r} is not a JSON field of this connector")
    return jsonify(previews.check_json(pointer, schema, request.form.get("text", "")).as_dict())


@pages.get("/installations/<int:installation_id>/options/<source>.json")
def options_json(installation_id: int, source: str) -> Any:
    """The choices of a picker, from the plugin's option source; a message when unavailable."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
    if source not in connector.option_sources:
        abort(404, description=f"{connector.manifest['name']} has no option source {source!r}")
    try:
        found = fetch_options(services(), installation.tenant_id, installation.id, source)
    except OptionsUnavailable as exc:
        return jsonify(options=[], message=str(exc))
    except Exception as exc:  # a remote failure: say so, typing the value stays possible
        log.warning("option source %s of installation %s failed", source, installation.id)
        return jsonify(
            options=[], message=f"Could not load the choices ({type(exc).__name__}); type a value."
        )
    return jsonify(options=[{"value": o.value, "label": o.label} for o in found], message="")
