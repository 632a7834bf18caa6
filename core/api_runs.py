"""Runs over the API: list an installation's runs, trigger one, show one, cancel one.

A triggered run is a row first (``Runner.request``), then handed to the services' executor:
the answer is 202 with the run as it stands when the executor took it (queued, or already
finished when runs execute inline, as in the CLI and tests).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api_common import (
    ApiError,
    actor,
    body,
    changeable,
    choice,
    installation,
    invalid,
    page,
    page_of,
    paged,
    pick,
    query,
    services,
    tenant_id,
)
from core.store.models import RUN_STATUSES, Installation, Run

runs_api = Blueprint("runs", __name__)

RUN_FIELDS = (
    "id",
    "installation_id",
    "trigger",
    "status",
    "scheduled_for",
    "created_at",
    "started_at",
    "finished_at",
    "config_version",
    "counts",
    "progress",
    "error",
    "attempt",
    "retry_of",
    "requested_by",
    "cancel_requested",
)


def run_json(run: Run) -> dict[str, Any]:
    return {**pick(run, RUN_FIELDS), "job": run.job_key}


def tenant_run(session: Session, run_id: int) -> Run:
    """The caller's run; another tenant's run is as unknown as a missing one."""
    run = session.scalar(
        select(Run)
        .join(Installation, Installation.id == Run.installation_id)
        .where(Run.id == run_id, Installation.tenant_id == tenant_id())
    )
    if run is None:
        raise ApiError(404, f"no run {run_id}")
    return run


@runs_api.get("/installations/<int:installation_id>/runs")
def list_runs(installation_id: int) -> Response:
    """The installation's runs, newest first; ``?job`` and ``?status`` filter them."""
    query("page", "per_page", "job", "status")
    at = page()
    with services().db.session() as session:
        found = installation(session, installation_id)
        jobs = services().host.connector(found.connector_id).jobs
        job, status = choice("job", jobs), choice("status", RUN_STATUSES)
        statement = select(Run).where(Run.installation_id == found.id)
        if job is not None:
            statement = statement.where(Run.job_key == job)
        if status is not None:
            statement = statement.where(Run.status == status)
        rows, total = paged(session, statement.order_by(Run.id.desc()), at)
        return jsonify(page_of([run_json(r) for r in rows], at, total, "runs"))


@runs_api.post("/installations/<int:installation_id>/runs")
def trigger(installation_id: int) -> tuple[Response, int]:
    """Run one of the connector's jobs now (``{"job": key}``)."""
    query()
    job = body(required=("job",))["job"]
    run_id = start(installation_id, job, field="/job")
    with services().db.session() as session:
        return jsonify(run_json(session.get(Run, run_id))), 202


def start(installation_id: int, job: Any, *, field: str) -> int:
    """Request a manual run of ``job`` and hand it to the executor; its id."""
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        jobs = services().host.connector(found.connector_id).jobs
    if not isinstance(job, str) or job not in jobs:
        raise invalid(field, f"{job!r} is not a job of this connector ({', '.join(sorted(jobs))})")
    requested = services().runner.request(
        installation_id, job, trigger="manual", requested_by=actor()
    )
    if requested is None:
        raise ApiError(409, f"a run of {job} was requested at this very moment; try again")
    services().executor.submit(requested.id)
    return requested.id


@runs_api.get("/runs/<int:run_id>")
def show(run_id: int) -> Response:
    """A run with its counts, progress and log lines (oldest first)."""
    query()
    with services().db.session() as session:
        run = run_json(tenant_run(session, run_id))
    run["logs"] = [
        {"at": line.at.isoformat(), "level": line.level, "message": line.message}
        for line in services().runner.logs(run_id)
    ]
    return jsonify(run)


@runs_api.post("/runs/<int:run_id>/cancel")
def cancel(run_id: int) -> Response:
    """Cancel a queued run at once, or ask a running one to stop at its next record."""
    query()
    with services().db.session() as session:
        tenant_run(session, run_id)
    try:
        run = services().runner.cancel(run_id, by=actor())
    except ValueError as exc:
        raise ApiError(409, str(exc)) from exc
    return jsonify(run_json(run))
