"""Installations on SQLite and PostgreSQL: install, activate, schedules, upgrade, uninstall."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sample_plugins import SECRET, SampleConnector, complete_config, sample_manifest, sample_schema
from sqlalchemy import func, select

from core import hookimpl
from core.connector import InstallationInfo
from core.services import Services
from core.store.models import (
    AuditEntry,
    ConfigVersion,
    Cursor,
    Installation,
    OAuthConnection,
    RecordLink,
    Run,
    Schedule,
)
from core.tenants import get_or_create_tenant

TOKENS = {"access_token": "at-123456", "refresh_token": "rt-abcdefgh", "expires_in": 3600}


def save(integrations: Services, installation_id: int, values: Mapping[str, Any]):
    with integrations.db.session() as session:
        installation = session.get(Installation, installation_id)
        return integrations.installations.save_config(session, installation, values, actor="t")


def schedules(integrations: Services, installation_id: int) -> dict[str, Schedule]:
    with integrations.db.session() as session:
        rows = session.scalars(select(Schedule).where(Schedule.installation_id == installation_id))
        return {s.job_key: s for s in rows}


def count(integrations: Services, model: type, installation_id: int) -> int:
    with integrations.db.session() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.installation_id == installation_id)
        )


def test_install_creates_a_draft_with_the_defaults(
    integrations: Services, tenant_id: int, sample: SampleConnector
):
    with integrations.db.session() as session:
        installation = integrations.installations.install(
            session, tenant_id, "sample", actor="alice", name="CRM (EU)"
        )
    assert installation.status == "draft"
    assert installation.name == "CRM (EU)"
    assert installation.connector_version == "1.0.0"
    with integrations.db.session() as session:
        version = integrations.configs.current(session, installation.id)
        assert version.version == 1
        assert version.created_by == "alice"
        assert version.values["account"] == {"region": "US", "label": "main"}
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "installation.installed" in actions
    assert schedules(integrations, installation.id) == {}  # a draft does not run
    (info,) = sample.called("on_installed")
    assert info == InstallationInfo(installation.id, tenant_id, "sample", "1.0.0", "CRM (EU)")


def test_installing_an_unknown_connector_names_the_available_ones(
    integrations: Services, tenant_id: int
):
    with (
        pytest.raises(KeyError, match=r"no connector 'nope' \(available: sample\)"),
        integrations.db.session() as session,
    ):
        integrations.installations.install(session, tenant_id, "nope", actor="t")


def test_a_complete_config_activates_and_schedules_enabled_jobs(
    integrations: Services, installation: Installation
):
    values = complete_config()
    values["sync"]["deals_enabled"] = False
    result = save(integrations, installation.id, values)
    assert result.missing == []
    with integrations.db.session() as session:
        assert session.get(Installation, installation.id).status == "active"
    found = schedules(integrations, installation.id)
    assert list(found) == ["import_contacts"]
    hourly = found["import_contacts"]
    assert (hourly.cron, hourly.timezone, hourly.paused_reason) == ("0 * * * *", "UTC", None)
    assert 0 <= hourly.offset_seconds < 900  # the default hourly schedule is spread
    assert hourly.next_run_at is not None and hourly.next_run_at.tzinfo is not None


def test_schedules_follow_each_save(integrations: Services, installation: Installation):
    save(integrations, installation.id, complete_config())
    assert sorted(schedules(integrations, installation.id)) == ["import_contacts", "sync_deals"]
    values = complete_config()
    values["sync"]["contacts_enabled"] = False
    values["sync"]["deals_cron"] = "15 6 * * 1"
    save(integrations, installation.id, values)
    found = schedules(integrations, installation.id)
    assert list(found) == ["sync_deals"]
    assert (found["sync_deals"].cron, found["sync_deals"].offset_seconds) == ("15 6 * * 1", 0)
    assert found["sync_deals"].next_run_at.weekday() == 0


def test_upgrade_runs_the_plugins_config_migration(
    integrations: Services, installation: Installation
):
    save(integrations, installation.id, complete_config(label="blue"))

    def rename_label(config: Mapping[str, Any], from_version: str, to_version: str):
        migrated = {**config, "account": dict(config["account"])}
        migrated["account"]["nickname"] = migrated["account"].pop("label")
        return migrated

    schema = sample_schema()
    account = schema["properties"]["account"]["properties"]
    account["nickname"] = account.pop("label")
    account["tier"] = {"type": "string", "default": "free"}  # a new field gets its default
    v2 = SampleConnector(
        manifest=sample_manifest(version="2.0.0"), schema=schema, migrate=rename_label
    )
    integrations.host.unregister("sample")
    assert not integrations.host.register(v2, "sample").broken

    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        assert integrations.installations.upgrade(session, current, actor="t") is True
        assert current.connector_version == "2.0.0"
        assert integrations.installations.upgrade(session, current, actor="t") is False
    assert v2.called("migrate_config") == [("1.0.0", "2.0.0")]
    with integrations.db.session() as session:
        version = integrations.configs.current(session, installation.id)
        full = integrations.configs.full(version)
    assert version.connector_version == "2.0.0"
    assert version.note == "upgraded from 1.0.0 to 2.0.0"
    assert full["account"] == {
        "api_key": SECRET,
        "region": "US",
        "nickname": "blue",
        "tier": "free",
    }


def test_uninstall_revokes_tokens_and_keeps_sync_data_unless_purged(
    integrations: Services, installation: Installation, sample: SampleConnector
):
    save(integrations, installation.id, complete_config())
    with integrations.db.session() as session:
        integrations.connections.save(
            session, installation.id, "crm", TOKENS, account_id="42", account_name="Acme"
        )
        session.add(RecordLink(installation_id=installation.id, entity="contact", local_id="7"))
        session.add(Cursor(installation_id=installation.id, stream="contacts", position="9"))
    integrations.runner.request(installation.id, "import_contacts", trigger="manual")

    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        integrations.installations.uninstall(session, current, actor="t", purge=False)

    ((info, credentials),) = sample.called("on_uninstalled")
    assert info.id == installation.id
    assert credentials["connections"] == {"crm": TOKENS}
    assert credentials["config"]["account"]["api_key"] == SECRET
    assert count(integrations, OAuthConnection, installation.id) == 0
    assert count(integrations, Schedule, installation.id) == 0
    assert count(integrations, RecordLink, installation.id) == 1
    assert count(integrations, Cursor, installation.id) == 1
    assert count(integrations, Run, installation.id) == 1
    with integrations.db.session() as session:
        kept = session.get(Installation, installation.id)
        assert kept.status == "uninstalled"
        assert kept not in integrations.installations.list(session, installation.tenant_id)
        secrets = session.scalars(
            select(ConfigVersion.secrets_ciphertext).where(
                ConfigVersion.installation_id == installation.id
            )
        ).all()
        assert secrets and all(s is None for s in secrets)  # secrets go with the installation

        integrations.installations.uninstall(session, kept, actor="t", purge=True)
    for model in (RecordLink, Cursor, Run, ConfigVersion):
        assert count(integrations, model, installation.id) == 0
    with integrations.db.session() as session:
        assert session.get(Installation, installation.id) is None


def test_a_failing_revoke_does_not_keep_the_tokens(
    integrations: Services, installation: Installation, sample: SampleConnector
):
    class FailingRevoke(SampleConnector):
        @hookimpl
        def on_uninstalled(self, installation: Any, credentials: Any) -> None:
            raise ConnectionError("revoke endpoint down")

    integrations.host.unregister("sample")
    integrations.host.register(FailingRevoke(), "sample")
    with integrations.db.session() as session:
        integrations.connections.save(
            session, installation.id, "crm", TOKENS, account_id="42", account_name="Acme"
        )
    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        integrations.installations.uninstall(session, current, actor="t", purge=False)
    assert count(integrations, OAuthConnection, installation.id) == 0
    with integrations.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "installation.uninstalled")
        ).one()
    assert entry.detail["revoke_error"] == "ConnectionError: revoke endpoint down"


def test_another_tenants_installation_is_refused(
    integrations: Services, installation: Installation
):
    with integrations.db.session() as session:
        other = get_or_create_tenant(session, "other", "Other tenant")
        with pytest.raises(LookupError, match=f"no installation {installation.id}"):
            integrations.installations.get(session, other.id, installation.id)
        assert integrations.installations.list(session, other.id) == []
        mine = integrations.installations.get(session, installation.tenant_id, installation.id)
        assert mine.id == installation.id
