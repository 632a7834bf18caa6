"""Records in the admin pages: every record's sync state, and retrying the failed ones.

A retry marks the record needs sync (``Records.needs_sync``, which tells the platform too) and
requests a run of the job that sends its entity: the job that names the entity in
``JobDefinition.entities``. A record no job names is left alone and the page says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_ui.blueprint import pages, services, user
from admin_ui.installation import platform_of
from admin_ui.library import catalog_connector, tenant_installation
from admin_ui.runs import check_page, last_page, page_number
from core.connector import JobDefinition
from core.platform.port import PlatformError
from core.plugins import Connector
from core.records import Records
from core.store.models import Installation, RecordLink

RECORDS_PER_PAGE = 50
STATUS_LABELS = {
    "pending": "needs sync",
    "synced": "synced",
    "failed": "failed",
    "skipped": "skipped",
}


@dataclass(frozen=True)
class RecordRow:
    link: RecordLink
    label: str
    retry_job: JobDefinition | None


def job_for(connector: Connector, entity: str) -> JobDefinition | None:
    """The job that sends records of ``entity`` again once they are marked needs sync."""
    return next((job for job in connector.jobs.values() if entity in job.entities), None)


def _entities(session: Session, installation_id: int, connector: Connector) -> list[str]:
    stored = session.scalars(
        select(RecordLink.entity).where(RecordLink.installation_id == installation_id).distinct()
    )
    declared = (entity for job in connector.jobs.values() for entity in job.entities)
    return sorted({*stored, *declared})


def _invoice_labels(
    session: Session, installation: Installation, links: list[RecordLink]
) -> tuple[dict[str, str], str | None]:
    """Invoice numbers on the platform of the invoices listed, or why they could not be read."""
    ids = tuple(link.local_id for link in links if link.entity == "invoice")
    if not ids:
        return {}, None
    try:
        invoices = platform_of(session, installation).invoices(ids=ids)
    except (PlatformError, RuntimeError) as exc:
        return {}, getattr(exc, "message", None) or str(exc)
    return {invoice.id: f"Invoice {invoice.number}" for invoice in invoices}, None


@pages.get("/installations/<int:installation_id>/records")
def record_list(installation_id: int) -> Any:
    """The installation's record links, filtered by entity and status, 50 to a page."""
    page = page_number(request.args.get("page"))
    entity = request.args.get("entity", "")
    status = request.args.get("status", "")
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        entities = _entities(session, installation_id, connector)
        if entity and entity not in entities:
            known = ", ".join(entities) or "none yet"
            abort(400, description=f"entity: {entity!r} is not a kind of record here ({known})")
        if status and status not in STATUS_LABELS:
            allowed = ", ".join(STATUS_LABELS)
            abort(400, description=f"status: {status!r} is not one of {allowed}")
        query = select(RecordLink).where(RecordLink.installation_id == installation_id)
        if entity:
            query = query.where(RecordLink.entity == entity)
        if status:
            query = query.where(RecordLink.status == status)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        check_page(page, total, RECORDS_PER_PAGE)
        links = list(
            session.scalars(
                query.order_by(RecordLink.updated_at.desc(), RecordLink.id.desc())
                .offset((page - 1) * RECORDS_PER_PAGE)
                .limit(RECORDS_PER_PAGE)
            )
        )
        labels, labels_error = _invoice_labels(session, installation, links)
        failed = session.scalar(
            select(func.count()).where(
                RecordLink.installation_id == installation_id, RecordLink.status == "failed"
            )
        )
        rows = [
            RecordRow(
                link,
                labels.get(link.local_id, "") if link.entity == "invoice" else "",
                job_for(connector, link.entity),
            )
            for link in links
        ]
        providers = list(connector.oauth_providers.values())
        return render_template(
            "records.html",
            tab="installed",
            installation=installation,
            remote_name=providers[0].title if providers else connector.manifest["name"],
            rows=rows,
            entities=entities,
            statuses=STATUS_LABELS,
            entity=entity,
            status=status,
            page=page,
            pages_count=last_page(total, RECORDS_PER_PAGE),
            total=total,
            failed=failed,
            labels_error=labels_error,
        )


@pages.post("/installations/<int:installation_id>/records/retry")
def retry_records(installation_id: int) -> Any:
    """Retry one failed record (``link_id``) or all failed ones (``all``, within ``entity``)."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        chosen = _chosen_links(session, installation_id)
        by_job: dict[str, list[RecordLink]] = defaultdict(list)
        left = 0
        for link in chosen:
            job = job_for(connector, link.entity)
            if job is None:
                left += 1
            else:
                by_job[job.key].append(link)
        if not by_job:
            abort(400, description=_nothing_to_retry(chosen, left))
        records = Records(services().db, installation_id, platform_of(session, installation))
        marks = [(link.entity, link.local_id) for links in by_job.values() for link in links]
    for entity, local_id in marks:
        records.needs_sync(entity, local_id, f"retry requested by {user().email}")
    run_ids = _start_runs(installation_id, connector, list(by_job))
    message = f"{len(marks)} record(s) will be sent again"
    if left:
        message += f"; {left} were left: no job of this connector resends their kind"
    flash(message + ".", "ok")
    if len(run_ids) == 1:
        return redirect(url_for("pages.run_detail", run_id=run_ids[0]))
    return redirect(url_for("pages.record_list", installation_id=installation_id, status="failed"))


def _chosen_links(session: Session, installation_id: int) -> list[RecordLink]:
    """The failed links the form names; a refusal names the field and the reason."""
    if request.form.get("all") == "on":
        query = select(RecordLink).where(
            RecordLink.installation_id == installation_id, RecordLink.status == "failed"
        )
        entity = request.form.get("entity", "")
        if entity:
            query = query.where(RecordLink.entity == entity)
        return list(session.scalars(query.order_by(RecordLink.id)))
    raw = request.form.get("link_id", "")
    if not raw.isdigit():
        abort(400, description=f"link_id: {raw!r} is not a record id; choose a record or all")
    link = session.get(RecordLink, int(raw))
    if link is None or link.installation_id != installation_id:
        abort(404, description=f"No record {raw} in this installation.")
    if link.status != "failed":
        label = STATUS_LABELS.get(link.status, link.status)
        abort(400, description=f"link_id: record {raw} is {label}; only a failed one is retried")
    return [link]


def _nothing_to_retry(chosen: list[RecordLink], left: int) -> str:
    if not chosen:
        return "all: there is no failed record to retry"
    kinds = ", ".join(sorted({link.entity for link in chosen}))
    return (
        f"no job of this connector resends {kinds} records ({left} left as they are); "
        "run the job that reads them from the installation page"
    )


def _start_runs(installation_id: int, connector: Connector, job_keys: list[str]) -> list[int]:
    """Request a manual run of each job and hand it to the executor; returns the runs started."""
    started = []
    for key in job_keys:
        run = services().runner.request(
            installation_id, key, trigger="manual", requested_by=user().email
        )
        if run is None:
            flash(f"{connector.jobs[key].title} was already requested a moment ago.", "error")
            continue
        services().runner.executor.submit(run.id)
        started.append(run.id)
    return started
