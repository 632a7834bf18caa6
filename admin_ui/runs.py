"""Runs in the admin pages: *Run now*, the run history, a run's detail, its progress and Cancel.

A run's detail page works without JavaScript (it refreshes itself while the run is going);
``runs.js`` polls the progress endpoint instead and updates the counts and the bar in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_ui.blueprint import pages, services, user
from admin_ui.library import catalog_connector, tenant_installation
from core.store.models import RUN_STATUSES, Installation, Run, utcnow

RUNS_PER_PAGE = 25
ACTIVE = frozenset({"queued", "running"})
COUNT_KINDS = ("read", "created", "updated", "skipped", "failed")


def page_number(raw: str | None) -> int:
    """The ``page`` query parameter: a whole number of 1 or more (default 1)."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        abort(400, description=f"page: {raw!r} is not a page number (1, 2, 3...)")
    return int(raw)


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def check_page(page: int, total: int, per_page: int) -> None:
    """Refuse a page past the last one, saying how many there are."""
    pages_count = last_page(total, per_page)
    if page > pages_count:
        abort(400, description=f"page: {page} is past the last page ({pages_count})")


def duration(run: Run, now: datetime | None = None) -> str:
    """How long a run took (or has taken so far), as a person says it."""
    if run.started_at is None:
        return "—"
    seconds = ((run.finished_at or now or utcnow()) - run.started_at).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    rounded = timedelta(seconds=round(seconds))
    minutes, rest = divmod(rounded.seconds + rounded.days * 86400, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {rest} s"


def progress_of(run: Run) -> dict[str, Any]:
    """The run's progress with a percentage when its total is known."""
    done = run.progress.get("done") if run.progress else None
    total = run.progress.get("total") if run.progress else None
    percent = None
    if isinstance(done, int) and isinstance(total, int) and total > 0:
        percent = min(100, round(100 * done / total))
    message = (run.progress or {}).get("message") or ""
    return {"done": done, "total": total, "percent": percent, "message": message}


@dataclass(frozen=True)
class RunRow:
    run: Run
    job_title: str
    duration: str


def owned_run(session: Session, run_id: int) -> tuple[Run, Installation]:
    """The run of one of the signed-in admin's installations; any other is a 404."""
    run = session.get(Run, run_id)
    installation = session.get(Installation, run.installation_id) if run else None
    if (
        run is None
        or installation is None
        or installation.tenant_id != user().tenant_id
        or installation.status == "uninstalled"
    ):
        abort(404, description=f"No run {run_id}.")
    return run, installation


# Run now ---------------------------------------------------------------------------------------


@pages.post("/installations/<int:installation_id>/jobs/<job_key>/run")
def run_job_now(installation_id: int, job_key: str) -> Any:
    """Request a manual run of one job, hand it to the executor and follow it."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        status = installation.status
    job = connector.jobs.get(job_key)
    if job is None:
        known = ", ".join(sorted(connector.jobs)) or "none"
        abort(400, description=f"job: {job_key!r} is not a job of this connector ({known})")
    if status == "draft":
        abort(400, description="job: finish the setup first; jobs run once it is finished")
    run = services().runner.request(
        installation_id, job.key, trigger="manual", requested_by=user().email
    )
    if run is None:
        flash(f"{job.title} was already requested a moment ago.", "error")
        return redirect(url_for("pages.installation_page", installation_id=installation_id))
    services().runner.executor.submit(run.id)
    return redirect(url_for("pages.run_detail", run_id=run.id))


# History ---------------------------------------------------------------------------------------


@pages.get("/installations/<int:installation_id>/runs")
def run_history(installation_id: int) -> Any:
    """The installation's runs, newest first, filtered by job and outcome, 25 to a page."""
    page = page_number(request.args.get("page"))
    job_key = request.args.get("job", "")
    status = request.args.get("status", "")
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        titles = {key: job.title for key, job in connector.jobs.items()}
        if job_key and job_key not in titles:
            abort(400, description=f"job: {job_key!r} is not a job of this connector")
        if status and status not in RUN_STATUSES:
            abort(400, description=f"status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
        query = select(Run).where(Run.installation_id == installation_id)
        if job_key:
            query = query.where(Run.job_key == job_key)
        if status:
            query = query.where(Run.status == status)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        check_page(page, total, RUNS_PER_PAGE)
        runs = session.scalars(
            query.order_by(Run.created_at.desc(), Run.id.desc())
            .offset((page - 1) * RUNS_PER_PAGE)
            .limit(RUNS_PER_PAGE)
        ).all()
        now = utcnow()
        rows = [RunRow(r, titles.get(r.job_key, r.job_key), duration(r, now)) for r in runs]
        return render_template(
            "runs.html",
            tab="installed",
            installation=installation,
            rows=rows,
            jobs=titles,
            statuses=RUN_STATUSES,
            job_key=job_key,
            status=status,
            page=page,
            pages_count=last_page(total, RUNS_PER_PAGE),
            total=total,
            count_kinds=COUNT_KINDS,
        )


# One run ---------------------------------------------------------------------------------------


@pages.get("/runs/<int:run_id>")
def run_detail(run_id: int) -> Any:
    """Counts, progress, the config version used, the error and the log lines of one run."""
    with services().db.session() as session:
        run, installation = owned_run(session, run_id)
        connector = services().host.connectors.get(installation.connector_id)
        job = connector.jobs.get(run.job_key) if connector else None
        page = render_template(
            "run.html",
            tab="installed",
            run=run,
            installation=installation,
            job_title=job.title if job else run.job_key,
            active=run.status in ACTIVE,
            progress=progress_of(run),
            duration=duration(run),
            count_kinds=COUNT_KINDS,
            logs=services().runner.logs(run.id),
        )
    return page


@pages.get("/runs/<int:run_id>/progress.json")
def run_progress(run_id: int) -> Any:
    """What the detail page's script polls while the run is going."""
    with services().db.session() as session:
        run, _ = owned_run(session, run_id)
        return jsonify(
            id=run.id,
            status=run.status,
            active=run.status in ACTIVE,
            counts={kind: int(run.counts.get(kind, 0)) for kind in COUNT_KINDS},
            progress=progress_of(run),
            duration=duration(run),
            error=run.error,
        )


@pages.post("/runs/<int:run_id>/cancel")
def cancel_run(run_id: int) -> Any:
    """Cancel a queued run at once, or ask a running one to stop at its next safe point."""
    with services().db.session() as session:
        owned_run(session, run_id)
    try:
        run = services().runner.cancel(run_id, by=user().email)
    except ValueError as exc:
        abort(400, description=str(exc))
    if run.status == "cancelled":
        flash(f"Run {run_id} was cancelled.", "ok")
    else:
        flash(f"Run {run_id} was asked to stop; it stops at its next safe point.", "ok")
    return redirect(url_for("pages.run_detail", run_id=run_id))
