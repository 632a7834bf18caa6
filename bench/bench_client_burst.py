"""How fast the QBO client pushes creates through QBO's rate limits, and how many 429s it gets.

Starts an emulator that enforces QBO's limits (500 requests a minute per realm, 10 a second)
with its clock running ``--time-scale`` times faster than the wall clock, and has ``--threads``
clients of one realm (sharing the realm's limiter, scaled the same way) create ``--creates``
Customers. Prints the throughput in real and in emulated time, next to the ceiling the limits
allow, and the 429 count from the emulator's request log (the goal is zero).

    .venv/bin/python bench/bench_client_burst.py [--creates 2000] [--threads 8] [--time-scale 60]
"""

from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from plugins.quickbooks.client import QBOClient, StaticTokenSource
from plugins.quickbooks.emulator.server import start_emulator
from plugins.quickbooks.qbo_errors import QBOError
from plugins.quickbooks.rate_limit import Limits, limiter_for

PER_MINUTE = 500


def set_up(url: str) -> tuple[str, str]:
    """Register an app and a company through the control API; (realm id, access token)."""
    client_id = f"bench-{uuid.uuid4().hex[:8]}"
    httpx.post(
        f"{url}/_emulator/apps", json={"client_id": client_id, "client_secret": "bench"}
    ).raise_for_status()
    realm_id = httpx.post(f"{url}/_emulator/companies", json={"name": "Burst Co"}).json()["realmId"]
    tokens = httpx.post(
        f"{url}/_emulator/companies/{realm_id}/tokens", json={"client_id": client_id}
    ).json()
    return realm_id, tokens["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000, help="Customers to create")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients of the realm")
    parser.add_argument("--time-scale", type=float, default=60.0, help="emulated seconds per s")
    args = parser.parse_args()

    server = start_emulator(throttle=True, time_scale=args.time_scale)
    try:
        realm_id, token = set_up(server.url)
        limiter = limiter_for(realm_id, Limits(time_scale=args.time_scale))
        clients = [
            QBOClient(f"{server.url}/v3", realm_id, StaticTokenSource(token), limiter=limiter)
            for _ in range(args.threads)
        ]

        def work(worker: int) -> int:
            failed = 0
            for number in range(worker, args.creates, args.threads):
                try:
                    clients[worker].create("Customer", {"DisplayName": f"Burst {number:06d}"})
                except QBOError:
                    failed += 1
            return failed

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            failed = sum(pool.map(work, range(args.threads)))
        elapsed = time.perf_counter() - started

        log = httpx.get(f"{server.url}/_emulator/companies/{realm_id}/requests").json()
        throttled = sum(entry["status"] == 429 for entry in log)
        per_minute = args.creates / (elapsed * args.time_scale) * 60
        print(
            f"QBO client burst: {args.creates} Customer creates, {args.threads} threads, "
            f"time scale {args.time_scale:g}"
        )
        print(f"  elapsed:     {elapsed:.2f} s real = {elapsed * args.time_scale:.0f} s emulated")
        print(f"  throughput:  {args.creates / elapsed:.0f} creates/s real")
        print(f"               {per_minute:.0f} creates per emulated minute (limit {PER_MINUTE})")
        print(f"  requests:    {len(log)} logged, {throttled} answered 429, {failed} failed")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
