"""A burst of creates against an emulator that enforces QBO's limits: zero 429 replies.

The emulator's clock and the client's limiter run 60 times faster than the wall clock, so QBO's
500-a-minute window lasts one real second and the burst shows the limiter at work across
several windows in a few seconds. Eight threads with a client each share the realm's limiter,
as the jobs of one installation do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from qbo_client_support import Control

from plugins.quickbooks.client import QBOClient, StaticTokenSource
from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator
from plugins.quickbooks.rate_limit import Limits, limiter_for

TIME_SCALE = 60.0
CREATES = 2000
THREADS = 8


@pytest.fixture(scope="module")
def throttled_emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(port=0, throttle=True, time_scale=TIME_SCALE)
    yield server
    server.stop()


def create_customers(clients: list[QBOClient], count: int, tag: str) -> list[str]:
    """``count`` creates spread over one thread per client; the Ids created (errors raise)."""

    def work(worker: int) -> list[str]:
        client = clients[worker]
        return [
            client.create("Customer", {"DisplayName": f"Burst {tag} {number:05d}"})["Id"]
            for number in range(worker, count, len(clients))
        ]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return [i for ids in pool.map(work, range(len(clients))) for i in ids]


def test_burst_of_2000_creates_gets_no_429(throttled_emulator):
    control = Control(throttled_emulator.url)
    realm_id = control.create_company()
    token = control.access_token(realm_id, control.register_app())
    limits = Limits(time_scale=TIME_SCALE)
    clients = [
        QBOClient(
            f"{throttled_emulator.url}/v3",
            realm_id,
            StaticTokenSource(token),
            max_retries=0,  # a 429 would surface at once instead of being retried away
            limiter=limiter_for(realm_id, limits),
        )
        for _ in range(THREADS)
    ]
    started = time.monotonic()

    created = create_customers(clients, CREATES, uuid.uuid4().hex[:6])

    elapsed = time.monotonic() - started
    log = control.requests(realm_id)
    creates = [r for r in log if r["method"] == "POST" and r["path"].endswith("/customer")]
    assert len(set(created)) == CREATES
    assert len(creates) == CREATES
    assert [r for r in log if r["status"] == 429] == []
    assert all(r["status"] == 200 for r in creates)
    # 2000 requests at 500 per (scaled) minute cannot take less than three full windows.
    assert elapsed >= 3 * 60 / TIME_SCALE
