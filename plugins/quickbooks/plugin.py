"""The QuickBooks Online connector: its manifest, configuration schema and hooks.

Declared in this distribution's ``integrations.plugins`` entry points, exactly as a third-party
connector would be.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import click
import httpx

from core import hookimpl
from core.connector import (
    Account,
    Action,
    InstallationInfo,
    JobDefinition,
    OAuthProvider,
    OptionSource,
    PlatformEvent,
    Service,
)
from plugins.quickbooks import environments
from plugins.quickbooks.sync import import_records, options, scope
from plugins.quickbooks.test_connection import test_connection

HERE = Path(__file__).parent
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


@hookimpl
def connector_manifest() -> Mapping[str, Any]:
    return _load("manifest.json")


@hookimpl
def connector_config_schema() -> Mapping[str, Any]:
    return _load("config.schema.json")


def _describe_account(
    config: Mapping[str, Any], tokens: Mapping[str, Any], callback: Mapping[str, str]
) -> Account:
    """The company behind a new connection: realmId from the callback, name from CompanyInfo."""
    realm_id = callback.get("realmId") or ""
    if not realm_id.isdigit():
        raise ValueError("QuickBooks did not return a company (realmId) with the authorization")
    env = environments.resolve(config)
    response = httpx.get(
        f"{env.api_base}/company/{realm_id}/companyinfo/{realm_id}",
        params={"minorversion": config.get("advanced", {}).get("minor_version", 75)},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=30,
    )
    response.raise_for_status()
    return Account(realm_id, response.json()["CompanyInfo"].get("CompanyName", ""))


@hookimpl
def register_oauth_providers(register: Callable[[OAuthProvider], None]) -> None:
    register(
        OAuthProvider(
            key="quickbooks",
            title="QuickBooks",
            endpoints=environments.oauth_endpoints,
            scopes=(ACCOUNTING_SCOPE,),
            client_id_field="/quickbooks/client_id",
            client_secret_field="/quickbooks/client_secret",
            describe_account=_describe_account,
            revoke_body="json",
        )
    )


@hookimpl
def register_actions(register: Callable[[Action], None]) -> None:
    register(
        Action(
            key="test_connection",
            title="Test connection",
            run=test_connection,
            description="Reads CompanyInfo and Preferences and reports what the sync needs.",
        )
    )
    register(import_records.FORCE_SYNC)
    from plugins.quickbooks.sync import export_invoices

    register(export_invoices.BACKFILL)
    register(export_invoices.RETRY_FAILED)
    from plugins.quickbooks.sync import copy_invoice

    register(copy_invoice.COPY_INVOICE)


def _sync_job(
    key: str,
    title: str,
    run: Callable[..., None],
    description: str,
    entities: tuple[str, ...] = (),
) -> JobDefinition:
    """A sync job whose toggle and cron schedule live under ``/sync/<key>`` in the wizard;
    ``entities`` are the records it sends again once marked needs sync (a retry).

    The sync jobs of one installation take turns (one exclusive group): exports and imports
    resolve and create the same customers, so two at once could both create one.
    """
    return JobDefinition(
        key=key,
        title=title,
        run=run,
        description=description,
        toggle_field=f"/sync/{key}/enabled",
        schedule_field=f"/sync/{key}/schedule",
        timezone_field="/initial/timezone",
        entities=entities,
        exclusive_group="quickbooks-company",
    )


@hookimpl
def register_jobs(register: Callable[[JobDefinition], None]) -> None:
    from plugins.quickbooks.sync import export_invoices, export_payments, import_payments, pdfs

    register(
        _sync_job(
            export_invoices.JOB_KEY,
            "Export invoices to QuickBooks",
            pdfs.with_pdfs(export_invoices.export_invoices),
            "Sent invoices, their edits and voids go to QuickBooks; drafts never do.",
            entities=(export_invoices.ENTITY,),
        )
    )
    register(
        _sync_job(
            import_records.JOB_KEY,
            "Import from QuickBooks",
            import_records.import_from_quickbooks,
            "Customers, items and tax codes from QuickBooks into the platform: everything "
            "once, then only what changed.",
        )
    )
    register(
        _sync_job(
            export_payments.JOB_KEY,
            "Export payments to QuickBooks",
            export_payments.run,
            "Payments on synced invoices become QuickBooks Payments; payments without an "
            "invoice become Sales Receipts.",
            entities=(export_payments.ENTITY,),
        )
    )
    register(
        _sync_job(
            import_payments.JOB_KEY,
            "Import payments from QuickBooks",
            import_payments.run,
            "Payments recorded in QuickBooks against synced invoices are mirrored on the "
            "platform, edits and deletions included.",
        )
    )


@hookimpl
def register_option_sources(register: Callable[[OptionSource], None]) -> None:
    for source in options.OPTION_SOURCES:
        register(source)
    register(scope.SUBSIDIARIES)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from plugins.quickbooks.emulator.cli import qbo_emulator

    cli.add_command(qbo_emulator, "qbo-emulator")


def _start_emulator(settings: Mapping[str, Any]) -> Callable[[], None]:
    from plugins.quickbooks.emulator.server import start_emulator

    url = environments.emulator_url()
    host_port = url.split("://", 1)[1]
    host, _, port = host_port.partition(":")
    data = Path(settings["data_dir"]) / "qbo-emulator.db"
    server = start_emulator(host=host, port=int(port or 80), data=str(data))
    return server.stop


@hookimpl
def register_services(register: Callable[[Service], None]) -> None:
    register(Service("qbo-emulator", _start_emulator))


@hookimpl
def on_platform_event(installation: InstallationInfo, event: PlatformEvent) -> list[str] | None:
    """Invoices sent, edited or voided and payments recorded are exported at once."""
    from plugins.quickbooks.sync.events import jobs_for

    return jobs_for(event.name)


@hookimpl
def prepare_demo(services: Any, tenant_id: int, base_url: str) -> None:
    """QuickBooks installed and connected to an emulator company, its first runs requested."""
    from plugins.quickbooks import demo

    demo.prepare_demo(services, tenant_id, base_url)
