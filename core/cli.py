"""The ``integrations`` command line: serve, migrate, and manage plugins and installations.

Every command goes through the same services as the web app (``core.services``). Bad input ends
with a message naming what is wrong and a non-zero exit code, never a stack trace. Plugins add
their own commands through the ``register_commands`` hook.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from core import api_tokens, jsonpointer, retention, secrets
from core.config import ConfigInvalid
from core.plugins import PluginHost
from core.services import Services, build
from core.settings import Settings
from core.store.models import Installation, Run, utcnow
from core.tenants import get_or_create_tenant, tenant_by_slug

ACTOR = "cli"


class CliContext:
    """Builds the services lazily, so ``--help`` works without a database."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build()
        return self._services


pass_ctx = click.make_pass_decorator(CliContext, ensure=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can fix into a message and exit code 1."""
    try:
        yield
    except ConfigInvalid as invalid:
        for error in invalid.errors:
            click.echo(f"error: {error.pointer or '/'}: {error.message}", err=True)
        sys.exit(1)
    except (LookupError, ValueError, secrets.SecretKeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise click.ClickException(str(message)) from exc


class IntegrationsGroup(click.Group):
    """The root group; plugin commands are added on first use so ``--help`` lists them."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            host = PluginHost(Settings.from_env().disabled_plugins)
            host.load_entry_points()
            host.broadcast("register_commands", cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=IntegrationsGroup)
@click.version_option(package_name="integrations-library")
def cli() -> None:
    """Integrations Library: an integrations marketplace for your business application."""


# Serving -----------------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-scheduler", is_flag=True, help="Serve the web app only (distributed mode).")
@click.option("--no-services", is_flag=True, help="Do not start plugin services (the emulator).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@pass_ctx
def serve(
    ctx: CliContext, host: str, port: int, no_scheduler: bool, no_services: bool, threads: int
) -> None:
    """Run the product: web app, scheduler and plugin services in one process."""
    from core.serve import run_server

    with user_errors():
        run_server(
            ctx.services,
            host=host,
            port=port,
            scheduler=not no_scheduler,
            start_services=not no_services,
            threads=threads,
        )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the database migrations."""
    with user_errors():
        build(migrate=False).db.upgrade(revision)
    click.echo(f"database upgraded to {revision}")


# Distributed mode --------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--tick",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds between two looks for due slots and expired leases.",
)
@click.option(
    "--clock-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the time from this file (ISO 8601, written by whoever drives a rehearsal or a "
    "test) instead of the system clock.",
)
def scheduler(tick: float, clock_file: Path | None) -> None:
    """Fire due schedule slots into Celery (distributed mode; run one or more)."""
    from core.distributed.scheduler_process import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    with user_errors():
        services = build(migrate=False)
        run_scheduler(services, tick_seconds=tick, clock_file=clock_file)


@cli.command()
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256))
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Execute runs from the Celery queue (distributed mode; run one per machine or more)."""
    from core.distributed.worker import run_worker

    with user_errors():
        run_worker(concurrency=concurrency, loglevel=loglevel)


# Plugins -----------------------------------------------------------------------------------------


@cli.group()
def plugins() -> None:
    """Connector plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_list(as_json: bool) -> None:
    """List plugins: valid connectors and broken plugins with their reasons."""
    host = PluginHost(Settings.from_env().disabled_plugins)
    host.load_entry_points()
    rows = []
    for status in host.statuses():
        connector = host.connectors.get(status.connector_id or "")
        rows.append(
            {
                "plugin": status.name,
                "connector": status.connector_id,
                "version": connector.version if connector else None,
                "status": "broken" if status.broken else "ok",
                "problems": [str(p) for p in status.problems],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        label = row["connector"] or "(extension)"
        version = f" {row['version']}" if row["version"] else ""
        click.echo(f"{row['plugin']:<20} {label}{version:<10} {row['status']}")
        for problem in row["problems"]:
            click.echo(f"    {problem}")
    for name in sorted(host.disabled):
        click.echo(f"{name:<20} disabled by INTEGRATIONS_DISABLED_PLUGINS")


# Installations -----------------------------------------------------------------------------------

tenant_option = click.option(
    "--tenant",
    default="demo",
    show_default=True,
    envvar="INTEGRATIONS_TENANT",
    help="Tenant slug.",
)


@cli.command()
@click.argument("connector_id")
@click.option("--name", help="Installation name (default: the connector's name).")
@tenant_option
@pass_ctx
def install(ctx: CliContext, connector_id: str, name: str | None, tenant: str) -> None:
    """Install a connector for a tenant (configured with its defaults, as a draft)."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        owner = get_or_create_tenant(session, tenant, tenant)
        installation = services.installations.install(
            session, owner.id, connector_id, actor=ACTOR, name=name
        )
        click.echo(f"installed {connector_id} as installation {installation.id} ({tenant})")


@cli.command()
@click.argument("installation_id", type=int)
@click.option("--purge", is_flag=True, help="Also delete its sync records, runs and history.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@tenant_option
@pass_ctx
def uninstall(ctx: CliContext, installation_id: int, purge: bool, yes: bool, tenant: str) -> None:
    """Uninstall: remove schedules, revoke tokens, keep (or --purge) the sync data."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        installation = _installation(services, session, tenant, installation_id)
        what = "and purge its data" if purge else "keeping its sync data"
        if not yes:
            click.confirm(f"Uninstall {installation.name} ({installation.id}) {what}?", abort=True)
        services.installations.uninstall(session, installation, actor=ACTOR, purge=purge)
    click.echo(f"uninstalled installation {installation_id} ({what})")


@cli.group()
def config() -> None:
    """Show and change an installation's configuration."""


@config.command("show")
@click.argument("installation_id", type=int)
@click.option("--version", "number", type=int, help="A past version (default: current).")
@tenant_option
@pass_ctx
def config_show(ctx: CliContext, installation_id: int, number: int | None, tenant: str) -> None:
    """Print the configuration as JSON, secrets masked."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        installation = _installation(services, session, tenant, installation_id)
        connector = services.host.connector(installation.connector_id)
        version = (
            services.configs.version(session, installation.id, number)
            if number
            else services.configs.current(session, installation.id)
        )
        click.echo(json.dumps(services.configs.shown(connector.config_schema, version), indent=2))


@config.command("set")
@click.argument("installation_id", type=int)
@click.argument("assignments", nargs=-1)
@click.option(
    "--secret",
    "secret_pointers",
    multiple=True,
    help="Pointer of a secret to set; its value is prompted for (kept out of shell history).",
)
@click.option("--file", "from_file", type=click.File("r"), help="A whole configuration (JSON).")
@tenant_option
@pass_ctx
def config_set(
    ctx: CliContext,
    installation_id: int,
    assignments: tuple[str, ...],
    secret_pointers: tuple[str, ...],
    from_file: Any,
    tenant: str,
) -> None:
    """Change fields: POINTER=VALUE ... (VALUE is JSON, or text when it is not JSON).

    Example: integrations config set 1 /invoices/number_prefix=INV-
    """
    services = ctx.services
    with user_errors(), services.db.session() as session:
        installation = _installation(services, session, tenant, installation_id)
        current = services.configs.full(services.configs.current(session, installation.id))
        values = json.load(from_file) if from_file else current
        for assignment in assignments:
            pointer, sep, raw = assignment.partition("=")
            if not sep or not pointer.startswith("/"):
                raise click.BadParameter(f"{assignment!r}: write /pointer=value")
            jsonpointer.set_value(values, pointer, _parse_value(raw))
        for pointer in secret_pointers:
            jsonpointer.set_value(values, pointer, click.prompt(pointer, hide_input=True))
        result = services.installations.save_config(session, installation, values, actor=ACTOR)
        click.echo(f"saved configuration version {result.version.version}")
        for missing in result.missing:
            click.echo(f"still to fill in: {missing.pointer}")


@config.command("history")
@click.argument("installation_id", type=int)
@tenant_option
@pass_ctx
def config_history(ctx: CliContext, installation_id: int, tenant: str) -> None:
    """List saved versions: who, when, what changed (secrets redacted)."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        installation = _installation(services, session, tenant, installation_id)
        for version in services.configs.history(session, installation.id):
            changed = ", ".join(c["pointer"] for c in version.changes) or "-"
            note = f" ({version.note})" if version.note else ""
            click.echo(
                f"v{version.version}  {version.created_at:%Y-%m-%d %H:%M}  "
                f"{version.created_by}{note}: {changed}"
            )


@config.command("restore")
@click.argument("installation_id", type=int)
@click.argument("number", type=int)
@tenant_option
@pass_ctx
def config_restore(ctx: CliContext, installation_id: int, number: int, tenant: str) -> None:
    """Make an old version the current configuration again."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        installation = _installation(services, session, tenant, installation_id)
        result = services.installations.restore_config(session, installation, number, actor=ACTOR)
        click.echo(f"restored version {number} as version {result.version.version}")


# Runs --------------------------------------------------------------------------------------------


@cli.group()
def runs() -> None:
    """Job runs."""


@runs.command("list")
@click.option("--installation", "installation_id", type=int, help="Only this installation.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@tenant_option
@pass_ctx
def runs_list(ctx: CliContext, installation_id: int | None, limit: int, tenant: str) -> None:
    """List recent runs, newest first."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        owner = tenant_by_slug(session, tenant)
        query = (
            select(Run)
            .join(Installation, Installation.id == Run.installation_id)
            .where(Installation.tenant_id == owner.id)
            .order_by(Run.id.desc())
            .limit(limit)
        )
        if installation_id is not None:
            query = query.where(Run.installation_id == installation_id)
        for run in session.scalars(query):
            counts = " ".join(f"{k}={v}" for k, v in sorted(run.counts.items()))
            click.echo(
                f"#{run.id} inst={run.installation_id} {run.job_key} {run.trigger} "
                f"{run.status} {run.created_at:%Y-%m-%d %H:%M:%S} {counts}".rstrip()
            )


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--logs", "log_limit", default=50, show_default=True, type=click.IntRange(0, 1000))
@tenant_option
@pass_ctx
def runs_show(ctx: CliContext, run_id: int, log_limit: int, tenant: str) -> None:
    """Show a run: status, times, counts, progress, error and its log lines."""
    services = ctx.services
    with user_errors():
        run = _run(services, tenant, run_id)
        _echo_run(run)
        lines = services.runner.logs(run.id)
        if lines:
            click.echo(f"log ({len(lines)} lines):")
        for line in lines[-log_limit:] if log_limit else []:
            click.echo(f"  {line.at:%H:%M:%S} {line.level:<7} {line.message}")


@runs.command("run")
@click.argument("installation_id", type=int)
@click.argument("job_key")
@tenant_option
@pass_ctx
def runs_run(ctx: CliContext, installation_id: int, job_key: str, tenant: str) -> None:
    """Run a job now, in this process, and print the outcome (exit 1 unless it succeeded)."""
    services = ctx.services
    with user_errors():
        with services.db.session() as session:
            _installation(services, session, tenant, installation_id)
        requested = services.runner.request(
            installation_id, job_key, trigger="manual", requested_by=ACTOR
        )
        if requested is None:
            raise click.ClickException(f"a run of {job_key} was requested at this very moment")
        run = services.runner.execute(requested.id)
    _echo_run(run)
    if run.status not in ("succeeded", "partial"):
        sys.exit(1)


@runs.command("cancel")
@click.argument("run_id", type=int)
@tenant_option
@pass_ctx
def runs_cancel(ctx: CliContext, run_id: int, tenant: str) -> None:
    """Cancel a run: a queued run at once, a running one at its next record."""
    services = ctx.services
    with user_errors():
        _run(services, tenant, run_id)
        run = services.runner.cancel(run_id, by=ACTOR)
    if run.status == "cancelled":
        click.echo(f"run #{run_id} cancelled")
    else:
        click.echo(f"run #{run_id} asked to stop; it ends at the job's next record")


@runs.command("prune")
@click.option("--days", type=click.IntRange(1), help="Keep this many days (default: settings).")
@click.option("--keep", type=click.IntRange(1), help="Runs kept per job (default: settings).")
@pass_ctx
def runs_prune(ctx: CliContext, days: int | None, keep: int | None) -> None:
    """Delete finished runs (and their logs) that are too old or beyond the newest per job."""
    services = ctx.services
    with user_errors():
        pruned = retention.prune(services, utcnow(), keep_days=days, keep_per_job=keep)
    click.echo(f"pruned {pruned.runs} runs and {pruned.logs} log lines")


def _run(services: Services, tenant: str, run_id: int) -> Run:
    """The tenant's run; another tenant's run is as unknown as a missing one."""
    with services.db.session() as session:
        owner = tenant_by_slug(session, tenant)
        run = session.scalar(
            select(Run)
            .join(Installation, Installation.id == Run.installation_id)
            .where(Run.id == run_id, Installation.tenant_id == owner.id)
        )
    if run is None:
        raise LookupError(f"no run {run_id}")
    return run


def _echo_run(run: Run) -> None:
    click.echo(f"run #{run.id}: {run.job_key} of installation {run.installation_id}: {run.status}")
    retry = f", retry of #{run.retry_of}" if run.retry_of else ""
    click.echo(f"  trigger: {run.trigger}, attempt {run.attempt}{retry}")
    click.echo(f"  scheduled for: {run.scheduled_for:%Y-%m-%d %H:%M:%S} UTC")
    if run.started_at:
        ended = f", finished {run.finished_at:%H:%M:%S}" if run.finished_at else ""
        click.echo(f"  started: {run.started_at:%Y-%m-%d %H:%M:%S}{ended}")
    if run.started_at and run.finished_at:
        click.echo(f"  duration: {(run.finished_at - run.started_at).total_seconds():.2f} s")
    if run.config_version is not None:
        click.echo(f"  config version: {run.config_version}")
    if run.counts:
        click.echo("  counts: " + " ".join(f"{k}={v}" for k, v in sorted(run.counts.items())))
    if run.progress:
        total = run.progress.get("total")
        done = f"{run.progress.get('done')}/{total}" if total else f"{run.progress.get('done')}"
        click.echo(f"  progress: {done} {run.progress.get('message') or ''}".rstrip())
    if run.error:
        click.echo(f"  error: {run.error}")
    if run.cancel_requested and run.status == "running":
        click.echo(f"  stopping: {run.cancel_reason}")


# Keys --------------------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """Encryption keys of stored secrets."""


@keys.command("rotate")
@pass_ctx
def keys_rotate(ctx: CliContext) -> None:
    """Re-encrypt every secret under a new key (key file) or the first listed key (env)."""
    services = ctx.services
    with user_errors():
        ring = services.ring
        from_file = ring.key_file is not None
        if from_file:
            ring = secrets.new_primary_key(ring)
            secrets.save_key_file(ring)  # old keys stay until everything is re-encrypted
        with services.db.session() as session:
            count = secrets.rotate_all(session, ring)
        if from_file:
            secrets.retire_old_keys(ring)
            click.echo(f"re-encrypted {count} secrets under a new key; old keys removed")
        else:
            click.echo(
                f"re-encrypted {count} secrets under the first key of INTEGRATIONS_SECRET_KEY; "
                "the other keys can now be removed from it"
            )


# API tokens --------------------------------------------------------------------------------------


@cli.group()
def tokens() -> None:
    """Per-tenant API tokens for the REST API (/api/v1)."""


@tokens.command("create")
@click.argument("name")
@tenant_option
@pass_ctx
def tokens_create(ctx: CliContext, name: str, tenant: str) -> None:
    """Create a token named NAME (who or what uses it); the token is shown this once."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        owner = get_or_create_tenant(session, tenant, tenant)
        token, clear = api_tokens.create(session, owner.id, name, actor=ACTOR)
        click.echo(f"created API token {token.id} ({token.name}) for {tenant}:")
        click.echo(clear)
        click.echo("Store it now: it is not shown again (only its hash is kept).", err=True)


@tokens.command("list")
@tenant_option
@pass_ctx
def tokens_list(ctx: CliContext, tenant: str) -> None:
    """List the tenant's tokens: id, prefix, name, created, last used, revoked."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        owner = tenant_by_slug(session, tenant)
        for token in api_tokens.list_tokens(session, owner.id):
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            click.echo(
                f"#{token.id} {token.prefix}... {token.name!r} created "
                f"{token.created_at:%Y-%m-%d %H:%M} by {token.created_by}, used {used}, {state}"
            )


@tokens.command("revoke")
@click.argument("token_id", type=int)
@tenant_option
@pass_ctx
def tokens_revoke(ctx: CliContext, token_id: int, tenant: str) -> None:
    """Revoke a token at once: calls with it are refused from now on."""
    services = ctx.services
    with user_errors(), services.db.session() as session:
        owner = tenant_by_slug(session, tenant)
        token = api_tokens.revoke(session, owner.id, token_id, actor=ACTOR)
        click.echo(f"revoked API token {token.id} ({token.name})")


# Helpers -----------------------------------------------------------------------------------------


def _installation(services: Services, session: Any, tenant: str, installation_id: int):
    owner = tenant_by_slug(session, tenant)
    return services.installations.get(session, owner.id, installation_id)


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main() -> None:
    cli(prog_name="integrations")
