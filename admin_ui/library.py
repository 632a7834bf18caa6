"""The Integrations Library: the Marketplace and Installed tabs and the buttons on them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from admin_ui.blueprint import pages, services, user
from core import installation_state
from core.plugins import Connector
from core.store.models import Installation


def tenant_installation(session: Any, installation_id: int) -> Installation:
    """The signed-in admin's installation; another tenant's is as unknown as a missing one."""
    try:
        found = services().installations.get(session, user().tenant_id, installation_id)
    except LookupError:
        abort(404, description=f"No installation {installation_id}.")
    if found.status == "uninstalled":
        abort(404, description=f"Installation {installation_id} was uninstalled.")
    return found


def catalog_connector(connector_id: str) -> Connector:
    """A valid connector of the catalog, or a 404 naming the id."""
    connector = services().host.connectors.get(connector_id)
    if connector is None:
        abort(404, description=f"No connector {connector_id!r} in the Marketplace.")
    return connector


def _matches(connector: Connector, query: str) -> bool:
    manifest = connector.manifest
    words = (manifest.get(k) or "" for k in ("name", "summary", "category", "description"))
    haystack = " ".join(words).casefold()
    return all(term in haystack for term in query.casefold().split())


def _installed_by_connector(session: Any) -> dict[str, Installation]:
    found: dict[str, Installation] = {}
    for installation in services().installations.list(session, user().tenant_id):
        found.setdefault(installation.connector_id, installation)
    return found


@pages.get("/")
def marketplace() -> Any:
    """Every connector as a card, grouped by category; ``?q=`` searches without JavaScript."""
    query = request.args.get("q", "").strip()
    host = services().host
    categories: dict[str, list[Connector]] = {}
    for connector in sorted(host.connectors.values(), key=lambda c: c.manifest["name"].casefold()):
        if not query or _matches(connector, query):
            categories.setdefault(connector.manifest["category"], []).append(connector)
    with services().db.session() as session:
        installed = {k: v.id for k, v in _installed_by_connector(session).items()}
    broken = [s for s in host.statuses() if s.broken]
    return render_template(
        "marketplace.html",
        tab="marketplace",
        categories=sorted(categories.items(), key=lambda item: item[0].casefold()),
        installed=installed,
        broken=broken,
        query=query,
    )


@pages.get("/connectors/<connector_id>")
def connector_detail(connector_id: str) -> Any:
    """What a connector is, what it syncs (its jobs) and where its documentation lives."""
    connector = catalog_connector(connector_id)
    with services().db.session() as session:
        installation = _installed_by_connector(session).get(connector.id)
        installed_id = installation.id if installation is not None else None
    return render_template(
        "connector.html",
        tab="marketplace",
        connector=connector,
        manifest=connector.manifest,
        jobs=list(connector.jobs.values()),
        installed_id=installed_id,
    )


@pages.post("/connectors/<connector_id>/install")
def install(connector_id: str) -> Any:
    """Create a draft installation with the schema's defaults and open its wizard."""
    connector = catalog_connector(connector_id)
    with services().db.session() as session:
        installation = services().installations.install(
            session, user().tenant_id, connector.id, actor=user().email
        )
        installation_id = installation.id
    return redirect(url_for("pages.configure", installation_id=installation_id))


@pages.get("/installed")
def installed() -> Any:
    """Each installation with its connection circle, last run, next run and buttons."""
    with services().db.session() as session:
        rows = [
            (
                installation_state.state(services(), session, installation),
                services().host.connectors.get(installation.connector_id),
            )
            for installation in services().installations.list(session, user().tenant_id)
        ]
    broken = [s for s in services().host.statuses() if s.broken]
    return render_template("installed.html", tab="installed", rows=rows, broken=broken)


@pages.post("/installations/<int:installation_id>/run")
def run_now(installation_id: int) -> Any:
    """Request a manual run of one job and hand it to the executor."""
    job_key = request.form.get("job", "")
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        connector = catalog_connector(installation.connector_id)
        name = installation.name
    job = connector.jobs.get(job_key)
    if job is None:
        abort(400, description=f"job: {job_key!r} is not a job of {connector.manifest['name']}")
    run = services().runner.request(
        installation_id, job.key, trigger="manual", requested_by=user().email
    )
    if run is None:
        flash(f"{job.title} was already requested a moment ago.", "error")
    else:
        services().runner.executor.submit(run.id)
        flash(f"{job.title} of {name} was started (run {run.id}).", "ok")
    return redirect(url_for("pages.installed"))


@pages.post("/installations/<int:installation_id>/pause")
def pause(installation_id: int) -> Any:
    return _change_state(installation_id, installation_state.pause, "paused")


@pages.post("/installations/<int:installation_id>/resume")
def resume(installation_id: int) -> Any:
    return _change_state(installation_id, installation_state.resume, "resumed")


def _change_state(installation_id: int, change: Any, done: str) -> Any:
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        try:
            change(services(), session, installation, actor=user().email)
        except installation_state.StateError as exc:
            abort(400, description=str(exc))
        flash(f"{installation.name} is {done}.", "ok")
    return redirect(url_for("pages.installed"))


@pages.route("/installations/<int:installation_id>/uninstall", methods=["GET", "POST"])
def uninstall(installation_id: int) -> Any:
    """Confirm first; then remove it, keeping or purging its sync data as chosen."""
    with services().db.session() as session:
        installation = tenant_installation(session, installation_id)
        if request.method == "GET":
            return render_template("uninstall.html", tab="installed", installation=installation)
        choice = request.form.get("data", "")
        if choice not in ("keep", "purge"):
            abort(400, description="data: choose whether to keep or purge the sync data")
        name = installation.name
        services().installations.uninstall(
            session, installation, actor=user().email, purge=choice == "purge"
        )
    kept = "its sync data was kept" if choice == "keep" else "its sync data was purged"
    flash(f"{name} was uninstalled; {kept}.", "ok")
    return redirect(url_for("pages.installed"))
