"""The installation page: its configuration, connection, jobs, actions and config history.

Everything an admin does with one installation after the wizard starts here. The page reads the
core services only; the buttons post to core (actions, runs, restores) and come back here.
Another tenant's installation is as unknown as a missing one (404).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_ui.action_params import INVOICE_FIELD, form_params, invoice_options, param_fields
from admin_ui.blueprint import pages, services, user
from admin_ui.library import catalog_connector, tenant_installation
from core import cron, installation_state, jsonpointer
from core.actions import run_action
from core.config import MASK, ConfigInvalid, secret_pointers
from core.connector import Action, ActionResult, JobDefinition
from core.oauth import NeedsReconnect
from core.platform.port import PlatformError, PlatformPort
from core.plugins import Connector
from core.store.models import Installation, Schedule

#: Invoices a backfill may send: the statuses its action accepts.
SENDABLE_INVOICE_STATUSES = ("sent", "paid")
#: How many unsynced invoices the backfill list shows; "all" still covers every one.
BACKFILL_LIST_LIMIT = 200
#: Actions that act on failed records: the records page offers them, with its filters.
RECORDS_PAGE_ACTIONS = frozenset({"retry_failed"})


# Shared by the installation, runs and records pages ------------------------------------------


def platform_of(session: Session, installation: Installation) -> PlatformPort:
    """The platform as this installation's jobs see it (embedded ledger or REST adapter)."""
    return services().runner.context_now(session, installation).platform


# What the page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryField:
    title: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class SummaryStep:
    title: str
    fields: tuple[SummaryField, ...]


@dataclass(frozen=True)
class JobRow:
    job: JobDefinition
    enabled: bool | None
    schedule: str | None
    reading: str
    timezone: str
    next_run_at: datetime | None
    paused_reason: str | None


@dataclass(frozen=True)
class InvoiceChoice:
    id: str
    number: str
    issue_date: Any
    total: Any
    state: str


def summary(schema: Mapping[str, Any], shown: Mapping[str, Any]) -> list[SummaryStep]:
    """The configuration by wizard step; a secret reads "set" or "not set", never its value."""
    secrets = set(secret_pointers(schema))
    steps = []
    for name, step in (schema.get("properties") or {}).items():
        if not isinstance(step, Mapping):
            continue
        fields = tuple(_fields(step, shown, f"/{name}", "", secrets))
        steps.append(SummaryStep(str(step.get("title") or name), fields))
    return steps


def _fields(
    schema: Mapping[str, Any], shown: Mapping[str, Any], pointer: str, label: str, secrets: set
) -> list[SummaryField]:
    found = []
    for name, sub in (schema.get("properties") or {}).items():
        here = pointer + jsonpointer.pointer_from_path([name])
        title = f"{label}{sub.get('title') or name}"
        if here in secrets:
            is_set = jsonpointer.get(shown, here) == MASK
            found.append(SummaryField(title, "set" if is_set else "not set", secret=True))
        elif sub.get("type") == "object" and "properties" in sub and "x-widget" not in sub:
            found.extend(_fields(sub, shown, here, f"{title} / ", secrets))
        else:
            found.append(SummaryField(title, _text(jsonpointer.get(shown, here))))
    return found


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def job_rows(
    session: Session, installation: Installation, connector: Connector, config: Mapping[str, Any]
) -> list[JobRow]:
    """Each job with its toggle, cron schedule in words and next planned run."""
    planned = {
        s.job_key: s
        for s in session.scalars(
            select(Schedule).where(Schedule.installation_id == installation.id)
        )
    }
    rows = []
    for job in connector.jobs.values():
        enabled = jsonpointer.get(config, job.toggle_field) if job.toggle_field else None
        schedule = jsonpointer.get(config, job.schedule_field) if job.schedule_field else None
        timezone = jsonpointer.get(config, job.timezone_field) if job.timezone_field else None
        reading = ""
        if isinstance(schedule, str):
            try:
                reading = cron.describe(schedule)
            except cron.ScheduleError as exc:
                reading = str(exc)
        slot = planned.get(job.key)
        rows.append(
            JobRow(
                job=job,
                enabled=enabled if isinstance(enabled, bool) else None,
                schedule=schedule if isinstance(schedule, str) else None,
                reading=reading,
                timezone=timezone if isinstance(timezone, str) else "UTC",
                next_run_at=slot.next_run_at if slot else None,
                paused_reason=slot.paused_reason if slot else None,
            )
        )
    return rows


def selects_invoices(action: Action) -> bool:
    """An action whose parameters are ``{"invoice_ids": [...]}`` or ``{"all": true}``."""
    schema = action.params_schema
    branches = [schema, *(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
    return any("invoice_ids" in (b.get("properties") or {}) for b in branches)


def backfill_choices(platform: PlatformPort, installation_id: int) -> list[InvoiceChoice]:
    """The platform's sendable invoices this installation has not synced (none or needs sync)."""
    states = {s.record_id: s.status for s in platform.sync_states(installation_id, kind="invoice")}
    invoices = platform.invoices(statuses=SENDABLE_INVOICE_STATUSES)
    waiting = [i for i in invoices if states.get(i.id, "none") in ("none", "needs_sync")]
    waiting.sort(key=lambda i: (i.issue_date, i.number))
    return [
        InvoiceChoice(i.id, i.number, i.issue_date, i.total, states.get(i.id, "none"))
        for i in waiting
    ]


# Routes --------------------------------------------------------------------------------------


@pages.get("/installations/<int:installation_id>")
def installation_page(installation_id: int) -> Any:
    return _render(installation_id)


def _render(
    installation_id: int,
    result: ActionResult | None = None,
    action: Action | None = None,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """The page; after an action, with what the action reported (its form keeps ``params``)."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        version = services().configs.current(session, installation.id)
        shown = services().configs.shown(connector.config_schema, version)
        state = installation_state.state(services(), session, installation)
        jobs = job_rows(session, installation, connector, version.values)
        history = services().configs.history(session, installation.id)
        actions = [a for k, a in connector.actions.items() if k not in RECORDS_PAGE_ACTIONS]
        invoices, invoices_error = None, None
        if any(selects_invoices(a) for a in actions):
            try:
                invoices = backfill_choices(platform_of(session, installation), installation.id)
            except (PlatformError, RuntimeError) as exc:
                invoices_error = getattr(exc, "message", None) or str(exc)
        choices, choices_error = [], None
        if any(f.name == INVOICE_FIELD for a in actions for f in param_fields(a)):
            try:
                choices = invoice_options(platform_of(session, installation))
            except (PlatformError, RuntimeError) as exc:
                choices_error = getattr(exc, "message", None) or str(exc)
        page = render_template(
            "installation.html",
            tab="installed",
            installation=installation,
            connector=connector,
            version=version,
            steps=summary(connector.config_schema, shown),
            connections=state.connections,
            last_run=state.last_run,
            jobs=jobs,
            actions=actions,
            selects_invoices=selects_invoices,
            invoices=(invoices or [])[:BACKFILL_LIST_LIMIT],
            invoices_total=len(invoices or []),
            invoices_error=invoices_error,
            param_fields=param_fields,
            invoice_options=choices,
            invoice_options_error=choices_error,
            posted=params or {},
            history=history,
            result=result,
            result_action=action,
        )
    return page


@pages.post("/installations/<int:installation_id>/actions/<key>")
def run_installation_action(installation_id: int, key: str) -> Any:
    """Press one of the connector's buttons; the page comes back with what it reported."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
    action = connector.actions.get(key)
    if action is None:
        known = ", ".join(sorted(connector.actions)) or "none"
        abort(400, description=f"action: {key!r} is not an action of this connector ({known})")
    params = _action_params(action)
    try:
        result = run_action(
            services(), user().tenant_id, installation_id, key, params, actor=user().email
        )
    except ConfigInvalid as exc:
        abort(400, description=f"{action.title} refused its parameters: {exc}")
    except (NeedsReconnect, PlatformError) as exc:
        result = ActionResult(False, getattr(exc, "message", None) or str(exc))
    return _render(installation_id, result, action, params)


def _action_params(action: Action) -> dict[str, Any]:
    if param_fields(action):
        return form_params(action, request.form)
    if not selects_invoices(action):
        return {}
    if request.form.get("all") == "on":
        return {"all": True}
    chosen = [i for i in request.form.getlist("invoice_ids") if i]
    if not chosen:
        abort(400, description="invoice_ids: choose at least one invoice, or all of them")
    return {"invoice_ids": chosen}


@pages.post("/installations/<int:installation_id>/config/<int:number>/restore")
def restore_config_version(installation_id: int, number: int) -> Any:
    """Make an old configuration version (its secrets too) the current one."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        try:
            saved = services().installations.restore_config(
                session, installation, number, actor=user().email
            )
        except LookupError:
            abort(404, description=f"Installation {installation_id} has no version {number}.")
        except ConfigInvalid as exc:
            abort(400, description=f"version {number} cannot be restored: {exc}")
        flash(f"Version {number} was restored as version {saved.version.version}.", "ok")
    return redirect(url_for("pages.installation_page", installation_id=installation_id))
