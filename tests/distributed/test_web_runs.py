"""``integrations serve --no-scheduler`` with a broker: *Run now* from the web is executed by a
worker process, not by the web process."""

from __future__ import annotations

import httpx
import pytest
from relay_plugin import TOKEN
from sqlalchemy import select
from support import Processes, executions, free_port, wait_until

from core import api_tokens
from core.services import Services
from core.store.models import Run

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.parametrize("integrations_database_url", ["postgres"], indirect=True),
]


def test_run_now_on_a_web_process_without_a_scheduler_runs_on_a_worker(
    integrations: Services, install_connector, tenant_id: int, processes: Processes
):
    config = {"work": {"token": TOKEN, "tick_cron": "0 0 1 1 *", "slow_seconds": 0}}
    installation = install_connector("relay", config)
    with integrations.db.session() as session:
        _, token = api_tokens.create(session, tenant_id, "distributed test", actor="test")
    port = free_port()
    processes.env["INTEGRATIONS_ADMIN_PASSWORD"] = "correct horse battery staple"
    processes.start("web", "serve", "--no-scheduler", "--no-services", "--port", str(port))
    worker = processes.start("worker", "worker", "--concurrency", "1")
    base = f"http://127.0.0.1:{port}/api/v1"

    def healthy() -> bool:
        processes.check_alive()
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, 60, "the web process to answer")
    response = httpx.post(
        f"{base}/installations/{installation.id}/runs",
        json={"job": "slow"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]

    def finished() -> str | None:
        processes.check_alive()
        with integrations.db.session() as session:
            status = session.scalar(select(Run.status).where(Run.id == run_id))
        return status if status not in ("queued", "running") else None

    assert wait_until(finished, 60, "the worker to execute the run") == "succeeded"
    assert executions(integrations) == {run_id: [worker.pid]}
