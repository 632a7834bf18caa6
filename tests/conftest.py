"""Shared fixtures: every test that touches the store runs on SQLite and on PostgreSQL.

``integrations_database_url`` (from ``core.testing``) is overridden here with two parameters, so
one ordinary ``pytest`` run covers both databases. The PostgreSQL variant uses the local service
(127.0.0.1:5432, user postgres): when it is down it is started once; when it still does not answer
the test fails in CI (``CI=true``) and is skipped elsewhere, with the reason either way.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.testing import DEFAULT_POSTGRES_URL, postgres_database

POSTGRES_URL = os.environ.get("INTEGRATIONS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)

_postgres_state: dict[str, str | None] = {}


def _postgres_answers() -> bool:
    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def _start_postgres() -> str | None:
    """Start the local cluster once; the reason it is unavailable, or None when it answers."""
    if _postgres_answers():
        return None
    try:
        versions = sorted(os.listdir("/etc/postgresql"))
    except OSError:
        return "PostgreSQL is not installed (no /etc/postgresql)"
    if not versions:
        return "PostgreSQL is not installed (no cluster under /etc/postgresql)"
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"PostgreSQL is down and `{' '.join(command)}` failed: {exc}"
    if _postgres_answers():
        return None
    where = make_url(POSTGRES_URL).render_as_string()
    output = (done.stderr or done.stdout).strip()
    return f"PostgreSQL is down at {where} and `{' '.join(command)}` did not start it: {output}"


def require_postgres() -> None:
    """Skip (or, with CI=true, fail) when the local PostgreSQL cannot be reached."""
    if "reason" not in _postgres_state:
        _postgres_state["reason"] = _start_postgres()
    reason = _postgres_state["reason"]
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the PostgreSQL store tests must run)", pytrace=False)
    pytest.skip(reason)


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
