"""The local PostgreSQL service for tests: started once when it is down, or a clear reason.

When it still does not answer, a test that needs it fails in CI (``CI=true``) and is skipped
elsewhere, with the reason either way.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from sqlalchemy.engine import make_url

from core.testing import DEFAULT_POSTGRES_URL

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
