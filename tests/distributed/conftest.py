"""Fixtures of the distributed tests: a Redis database of the test's own, the relay connector
installed as a third-party distribution, and real ``integrations`` processes.

The tests run on PostgreSQL only (several processes share the database) and are marked
``distributed``: ``pytest -m "not distributed"`` leaves them out. When Redis does not answer they
are skipped, or fail under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import relay_plugin
from support import Processes

from core.services import Services, build
from core.settings import Settings

REDIS_SERVER = os.environ.get("INTEGRATIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
# Databases 8-15 are tried in turn; a test holds one with a lock key, so two test sessions on
# the same machine never read each other's queues.
REDIS_DATABASES = range(8, 16)
LOCK_KEY = "integrations-test-lock"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of this test's own, empty, emptied again afterwards."""
    for number in REDIS_DATABASES:
        url = f"{REDIS_SERVER}/{number}"
        client = redis.Redis.from_url(url)
        try:
            locked = client.set(LOCK_KEY, os.getpid(), nx=True, ex=900)
        except redis.ConnectionError as exc:
            reason = f"Redis does not answer at {REDIS_SERVER}: {exc}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{reason} (CI=true: the distributed tests must run)", pytrace=False)
            pytest.skip(reason)
        if not locked:
            continue
        for key in client.scan_iter():
            if key != LOCK_KEY.encode():
                client.delete(key)
        try:
            yield url
        finally:
            client.flushdb()
            client.close()
        return
    pytest.fail(f"every Redis database {REDIS_DATABASES} is held by another test session")


@pytest.fixture
def broker_services(integrations: Services, redis_url: str) -> Iterator[Services]:
    """The services of a web process in the distributed mode: the test's database and plugins,
    with ``INTEGRATIONS_BROKER_URL`` set to the test's Redis database."""
    settings = dataclasses.replace(integrations.settings, broker_url=redis_url)
    services = build(settings, host=integrations.host, migrate=False)
    try:
        yield services
    finally:
        services.db.dispose()


@pytest.fixture
def integrations_plugins() -> list[tuple[str, object]]:
    return [("relay", relay_plugin)]


@pytest.fixture
def plugin_path(tmp_path: Path) -> str:
    """A PYTHONPATH on which the relay connector is an installed distribution declaring its
    plugin by entry point, as a third-party package would."""
    site = tmp_path / "site"
    dist = site / "relay_connector-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: relay-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[integrations.plugins]\nrelay = relay_plugin\n")
    return os.pathsep.join([str(site), str(Path(relay_plugin.__file__).parent)])


@pytest.fixture
def process_env(
    integrations_settings: Settings, redis_url: str, plugin_path: str
) -> dict[str, str]:
    """The environment of the test's ``integrations`` processes: the same database and keys as
    the test's services, its Redis database, and only the relay connector."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATIONS_")}
    env.update(
        INTEGRATIONS_DATABASE_URL=integrations_settings.database_url,
        INTEGRATIONS_SECRET_KEY=",".join(integrations_settings.secret_keys),
        INTEGRATIONS_DATA_DIR=str(integrations_settings.data_dir),
        INTEGRATIONS_BROKER_URL=redis_url,
        INTEGRATIONS_DISABLED_PLUGINS="quickbooks,admin_ui",
        PYTHONPATH=plugin_path,
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def processes(process_env: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    started = Processes(process_env, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
