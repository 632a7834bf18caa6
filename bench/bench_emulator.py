"""How many API requests per second the QBO emulator serves on loopback.

Starts an emulator with throttling off (the limits would otherwise be what is measured),
registers an app and a company, then has a few client threads (httpx, one keep-alive connection
each) create Customers one per request, and then 30 per batch request. Prints requests and
entities per second for each. Every loop is bounded by the counts given.

The emulator runs in this process (``start_emulator``, as ``integrations serve`` runs it), so the
clients share its interpreter: the figures are a lower bound on what the server alone sustains.

    .venv/bin/python bench/bench_emulator.py [--threads 4] [--creates 250] [--batches 20]
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Callable

import httpx

from plugins.quickbooks.emulator.server import start_emulator

BATCH_SIZE = 30


def set_up(url: str) -> tuple[str, str]:
    """Register an app and a company through the control API; (realm id, access token)."""
    client_id = f"bench-{uuid.uuid4().hex[:8]}"
    httpx.post(
        f"{url}/_emulator/apps", json={"client_id": client_id, "client_secret": "bench"}
    ).raise_for_status()
    realm_id = httpx.post(f"{url}/_emulator/companies", json={"name": "Bench Co"}).json()["realmId"]
    tokens = httpx.post(
        f"{url}/_emulator/companies/{realm_id}/tokens", json={"client_id": client_id}
    ).json()
    return realm_id, tokens["access_token"]


def run_threads(threads: int, work: Callable[[httpx.Client, int], int]) -> tuple[float, int]:
    """Run ``work(client, thread_no)`` on each thread; (elapsed seconds, failed requests)."""
    failures = [0] * threads

    def worker(number: int) -> None:
        with httpx.Client(timeout=30) as client:
            failures[number] = work(client, number)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, sum(failures)


def customer(thread_no: int, index: int) -> dict:
    return {"DisplayName": f"Bench {thread_no}-{index}-{uuid.uuid4().hex[:6]}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--creates", type=int, default=250, help="single creates per thread")
    parser.add_argument("--batches", type=int, default=20, help="30-item batches per thread")
    args = parser.parse_args()

    server = start_emulator(throttle=False)
    try:
        realm_id, access_token = set_up(server.url)
        api = f"{server.url}/v3/company/{realm_id}"
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        params = {"minorversion": "75"}

        def creates(client: httpx.Client, thread_no: int) -> int:
            failed = 0
            for index in range(args.creates):
                response = client.post(
                    f"{api}/customer",
                    params=params,
                    headers=headers,
                    json=customer(thread_no, index),
                )
                failed += response.status_code != 200
            return failed

        def batches(client: httpx.Client, thread_no: int) -> int:
            failed = 0
            for batch in range(args.batches):
                items = [
                    {
                        "bId": str(i),
                        "operation": "create",
                        "Customer": customer(thread_no, batch * BATCH_SIZE + i),
                    }
                    for i in range(BATCH_SIZE)
                ]
                response = client.post(
                    f"{api}/batch",
                    params=params,
                    headers=headers,
                    json={"BatchItemRequest": items},
                )
                ok = response.status_code == 200 and not any(
                    "Fault" in item for item in response.json()["BatchItemResponse"]
                )
                failed += not ok
            return failed

        print(f"QBO emulator benchmark: {args.threads} client threads, loopback, throttle off")
        elapsed, failed = run_threads(args.threads, creates)
        total = args.threads * args.creates
        print(
            f"  Customer create:      {total / elapsed:8.0f} requests/s "
            f"({total} requests in {elapsed:.2f} s, {failed} failed)"
        )
        elapsed, failed = run_threads(args.threads, batches)
        total = args.threads * args.batches
        print(
            f"  batch of {BATCH_SIZE} creates:  {total / elapsed:8.0f} requests/s "
            f"= {total * BATCH_SIZE / elapsed:.0f} Customers/s "
            f"({total} requests in {elapsed:.2f} s, {failed} failed)"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
