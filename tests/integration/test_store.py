"""The store on SQLite and PostgreSQL: migrations, models, unique constraints and cascades."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sample_plugins import SECRET, complete_config
from sqlalchemy import delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from core.services import Services
from core.store.database import Database
from core.store.models import (
    AuditEntry,
    Base,
    ConfigVersion,
    Cursor,
    Installation,
    OAuthConnection,
    RecordLink,
    Run,
    RunLog,
    Schedule,
)

TABLES = {
    "tenants",
    "users",
    "installations",
    "config_versions",
    "oauth_connections",
    "schedules",
    "runs",
    "run_logs",
    "record_links",
    "cursors",
    "audit_log",
}
SYNC_DATA = (ConfigVersion, OAuthConnection, Schedule, Run, RunLog, RecordLink, Cursor)


def test_migrations_apply_from_empty_and_match_the_models(integrations_database_url: str):
    database = Database(integrations_database_url)
    try:
        assert inspect(database.engine).get_table_names() == []
        database.upgrade()
        assert set(inspect(database.engine).get_table_names()) >= TABLES
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        database.upgrade()  # applying again is a no-op
    finally:
        database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(integrations: Services):
    if not integrations.db.is_sqlite:
        pytest.skip("SQLite only")
    with integrations.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_scheduled_slot_gets_one_run_however_often_it_is_requested(
    integrations: Services, installation: Installation
):
    slot = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    runner = integrations.runner
    first = runner.request(
        installation.id, "import_contacts", trigger="schedule", scheduled_for=slot
    )
    second = runner.request(
        installation.id, "import_contacts", trigger="schedule", scheduled_for=slot
    )
    assert first is not None
    assert second is None
    other_job = runner.request(
        installation.id, "sync_deals", trigger="schedule", scheduled_for=slot
    )
    manual = runner.request(
        installation.id, "import_contacts", trigger="manual", scheduled_for=slot
    )
    assert other_job is not None and manual is not None
    with integrations.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 3
        stored = session.get(Run, first.id)
        assert stored.scheduled_for == slot
        assert stored.status == "queued"


def test_unique_constraints_refuse_duplicates(integrations: Services, installation: Installation):
    duplicates = [
        (ConfigVersion, {"version": 1, "connector_version": "1", "created_by": "x"}),
        (Schedule, {"job_key": "import_contacts", "cron": "0 * * * *"}),
    ]
    for model, values in duplicates:
        with pytest.raises(IntegrityError), integrations.db.session() as session:
            session.execute(insert(model).values(installation_id=installation.id, **values))
            session.execute(insert(model).values(installation_id=installation.id, **values))


def _fill_sync_data(integrations: Services, installation: Installation) -> None:
    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        integrations.installations.save_config(session, current, complete_config(), actor="t")
        integrations.connections.save(
            session, installation.id, "crm", {"access_token": "a"}, account_id="1", account_name="A"
        )
        session.add(RecordLink(installation_id=installation.id, entity="contact", local_id="7"))
        session.add(Cursor(installation_id=installation.id, stream="contacts", position="42"))
    run = integrations.runner.request(installation.id, "import_contacts", trigger="manual")
    integrations.runner.execute(run.id)


def _counts(integrations: Services, installation_id: int) -> dict[str, int]:
    with integrations.db.session() as session:
        counts = {}
        for model in SYNC_DATA:
            query = select(func.count()).select_from(model)
            if model is RunLog:
                query = query.join(Run, Run.id == RunLog.run_id).where(
                    Run.installation_id == installation_id
                )
            else:
                query = query.where(model.installation_id == installation_id)
            counts[model.__tablename__] = session.scalar(query)
        return counts


def test_deleting_an_installation_cascades_in_the_database(
    integrations: Services, installation: Installation
):
    _fill_sync_data(integrations, installation)
    assert all(_counts(integrations, installation.id).values())
    with integrations.db.session() as session:
        session.execute(delete(Installation).where(Installation.id == installation.id))
    assert set(_counts(integrations, installation.id).values()) == {0}
    with integrations.db.session() as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert entries and all(e.installation_id is None for e in entries)


def test_uninstall_with_purge_removes_all_sync_data(
    integrations: Services, installation: Installation
):
    _fill_sync_data(integrations, installation)
    with integrations.db.session() as session:
        current = session.get(Installation, installation.id)
        integrations.installations.uninstall(session, current, actor="t", purge=True)
    assert set(_counts(integrations, installation.id).values()) == {0}
    with integrations.db.session() as session:
        assert session.get(Installation, installation.id) is None
        ciphertexts = session.scalars(select(ConfigVersion.secrets_ciphertext)).all()
        assert ciphertexts == []
        assert SECRET not in str(session.scalars(select(AuditEntry.detail)).all())
