"""Shared fixtures: every test that touches the store runs on SQLite and on PostgreSQL.

``integrations_database_url`` (from ``core.testing``) is overridden here with two parameters, so
one ordinary ``pytest`` run covers both databases. The PostgreSQL variant uses the local service
(127.0.0.1:5432, user postgres): when it is down it is started once; when it still does not answer
the test fails in CI (``CI=true``) and is skipped elsewhere, with the reason either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_service import POSTGRES_URL, require_postgres

from core.testing import postgres_database
from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def integrations_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the test's own: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'integrations.db'}"
        return
    require_postgres()
    yield from postgres_database(POSTGRES_URL)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """The QuickBooks emulator on a free port, the connector's "emulator" environment on it.

    Folders that share one emulator per session (its own tests, the client's) override it.
    """
    server = start_emulator(port=0)
    monkeypatch.setenv("INTEGRATIONS_QBO_EMULATOR_URL", server.url)
    try:
        yield server
    finally:
        server.stop()
