"""``/api/v1/installations/<id>/records``: each synced record's status, and retrying them.

A retry marks records *needs sync* through :class:`core.records.Records` (so the platform shows
it too) and, when the body names a ``job``, requests a run of that job to send them: the host
cannot know which job syncs which entity, the caller (or the connector's docs) does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from core.api_common import (
    FieldProblem,
    InputInvalid,
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
)
from core.api_runs import run_json, start
from core.store.models import RecordLink, Run

records_api = Blueprint(
    "records", __name__, url_prefix="/installations/<int:installation_id>/records"
)

RECORD_STATUSES = ("pending", "synced", "failed", "skipped")
RECORD_FIELDS = (
    "entity",
    "local_id",
    "remote_id",
    "remote_version",
    "status",
    "reason",
    "external_url",
    "synced_at",
    "updated_at",
)
MAX_RETRY_IDS = 1000


@records_api.get("")
def list_records(installation_id: int) -> Response:
    """The installation's records; ``?entity`` and ``?status`` (``failed``...) filter them."""
    query("page", "per_page", "entity", "status")
    at = page()
    with services().db.session() as session:
        found = installation(session, installation_id)
        status = choice("status", RECORD_STATUSES)
        statement = select(RecordLink).where(RecordLink.installation_id == found.id)
        entity = _entity_filter()
        if entity is not None:
            statement = statement.where(RecordLink.entity == entity)
        if status is not None:
            statement = statement.where(RecordLink.status == status)
        rows, total = paged(session, statement.order_by(RecordLink.id), at)
        return jsonify(page_of([pick(r, RECORD_FIELDS) for r in rows], at, total, "records"))


def _entity_filter() -> str | None:
    value = request.args.get("entity")
    if value is not None and not value.strip():
        raise invalid("?entity", "must not be empty")
    return value


@records_api.post("/retry")
def retry(installation_id: int) -> tuple[Response, int]:
    """Mark records needs sync: ``local_ids`` (any status) or ``"all": true`` (the failed
    ones) of one ``entity``; with ``job``, also start a run of that job."""
    query()
    data = body(required=("entity",), optional=("local_ids", "all", "job"))
    entity, job = data["entity"], data.get("job")
    if not isinstance(entity, str) or not entity:
        raise invalid("/entity", "must be an entity name such as 'invoice'")
    with services().db.session() as session:
        found = changeable(installation(session, installation_id))
        jobs = services().host.connector(found.connector_id).jobs
        if job is not None and (not isinstance(job, str) or job not in jobs):
            known = ", ".join(sorted(jobs))
            raise invalid("/job", f"{job!r} is not a job of this connector ({known})")
        records = services().runner.context_now(session, found).records
        links = _chosen(session, found.id, entity, data)
    for link in links:
        records.needs_sync(entity, link.local_id, reason="retry requested")
    answer: dict[str, Any] = {"marked": [link.local_id for link in links], "run": None}
    if job is None:
        return jsonify(answer), 200
    run_id = start(installation_id, job, field="/job")
    with services().db.session() as session:
        answer["run"] = run_json(session.get(Run, run_id))
    return jsonify(answer), 202


def _chosen(session: Any, installation_id: int, entity: str, data: dict[str, Any]) -> list[Any]:
    """The links the body names; every unknown id is refused with its position."""
    local_ids, everything = data.get("local_ids"), data.get("all")
    if (local_ids is None) == (everything is None):
        raise invalid("/local_ids", 'send either "local_ids" or "all": true')
    base = select(RecordLink).where(
        RecordLink.installation_id == installation_id, RecordLink.entity == entity
    )
    if everything is not None:
        if everything is not True:
            raise invalid("/all", "must be true (to retry every failed record)")
        return list(session.scalars(base.where(RecordLink.status == "failed")))
    if (
        not isinstance(local_ids, list)
        or not local_ids
        or len(local_ids) > MAX_RETRY_IDS
        or not all(isinstance(i, str) and i for i in local_ids)
    ):
        raise invalid("/local_ids", f"must be a list of 1 to {MAX_RETRY_IDS} record ids (text)")
    found = {
        link.local_id: link
        for link in session.scalars(base.where(RecordLink.local_id.in_(local_ids)))
    }
    unknown = [
        FieldProblem(f"/local_ids/{n}", f"no {entity} record {local_id!r} in this installation")
        for n, local_id in enumerate(local_ids)
        if local_id not in found
    ]
    if unknown:
        raise InputInvalid(unknown)
    return [found[i] for i in dict.fromkeys(local_ids)]
