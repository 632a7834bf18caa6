"""Retries that never duplicate a write, backoff that honours QBO, and the shared limiter."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from plugins.quickbooks.client import BatchOperation, QBOClient, StaticTokenSource
from plugins.quickbooks.qbo_errors import ServiceError, TransportError
from plugins.quickbooks.rate_limit import Limits, RateLimiter, limiter_for
from plugins.quickbooks.retry import Backoff, parse_retry_after


def unique(prefix: str = "Customer") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def requestid(entry: dict) -> str | None:
    params = dict(p.split("=", 1) for p in entry["query"].split("&") if "=" in p)
    return params.get("requestid")


def customers_named(client: QBOClient, name: str) -> list[dict]:
    return list(client.query(f"SELECT * FROM Customer WHERE DisplayName = '{name}'"))


def writes(control, realm_id: str) -> list[dict]:
    return [r for r in control.requests(realm_id) if requestid(r) is not None]


def test_write_retried_after_an_injected_500_exists_once(client, control, realm_id):
    name = unique()
    control.plan_fault("http_500", realm_id, count=1)

    created = client.create("Customer", {"DisplayName": name})

    assert [c["Id"] for c in customers_named(client, name)] == [created["Id"]]
    first, second = writes(control, realm_id)
    assert (first["status"], second["status"]) == (500, 200)
    assert requestid(first) == requestid(second) is not None


def test_write_retried_after_a_500_that_followed_the_write_exists_once(client, control, realm_id):
    name = unique()
    control.plan_fault("http_500_after_write", realm_id, count=1)

    created = client.create("Customer", {"DisplayName": name})

    assert [c["Id"] for c in customers_named(client, name)] == [created["Id"]]
    first, second = writes(control, realm_id)
    assert (first["status"], second["status"]) == (500, 200)
    assert requestid(first) == requestid(second) is not None


def test_write_retried_after_a_timeout_exists_once(make_client, control, realm_id):
    client = make_client(timeout=0.5)
    name = unique()
    control.plan_fault("timeout", realm_id, seconds=1.5)

    created = client.create("Customer", {"DisplayName": name})

    assert [c["Id"] for c in customers_named(client, name)] == [created["Id"]]
    deadline = time.monotonic() + 5
    while len(writes(control, realm_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # the held request is logged when the emulator lets it go
    retried, held = writes(control, realm_id)
    assert (retried["status"], held["status"]) == (200, 504)
    assert requestid(retried) == requestid(held) is not None


class LoseFirstWriteReply(httpx.HTTPTransport):
    """A network that delivers the first write to QBO and then loses QBO's reply."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "POST" and self.lost == 0:
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadTimeout("the reply was lost on the way back", request=request)
        return response


def test_write_whose_reply_was_lost_is_replayed_not_performed_twice(make_client, control, realm_id):
    network = LoseFirstWriteReply()
    client = make_client(http=httpx.Client(transport=network))
    name = unique()

    created = client.create("Customer", {"DisplayName": name})

    assert network.lost == 1
    assert [c["Id"] for c in customers_named(client, name)] == [created["Id"]]
    first, second = writes(control, realm_id)
    assert (first["status"], second["status"]) == (200, 200)  # the second is QBO's replay
    assert requestid(first) == requestid(second) is not None


def test_batch_whose_reply_was_lost_creates_each_record_once(
    make_client, client, control, realm_id
):
    tag = uuid.uuid4().hex[:6]
    lossy = make_client(http=httpx.Client(transport=LoseFirstWriteReply()))

    results = lossy.batch(
        [BatchOperation.create("Customer", {"DisplayName": f"Lost {tag} {n}"}) for n in range(5)]
    )

    assert [r["DisplayName"] for r in results] == [f"Lost {tag} {n}" for n in range(5)]
    assert client.count("Customer", f"DisplayName LIKE 'Lost {tag}%'") == 5


def test_503s_are_retried_until_they_pass(client, control, realm_id):
    control.plan_fault("http_503", realm_id, count=3)

    assert client.company_info()["CompanyName"]
    assert [r["status"] for r in control.requests(realm_id)] == [503, 503, 503, 200]


def test_retries_stop_at_max_retries_with_a_retryable_error(make_client, control, realm_id):
    client = make_client(max_retries=2)
    control.plan_fault("http_500", realm_id, count=5)

    with pytest.raises(ServiceError) as caught:
        client.preferences()

    assert caught.value.retryable and caught.value.code == "10000"
    assert len(control.requests(realm_id)) == 3


def test_timeouts_are_retryable_transport_errors(make_client, control, realm_id):
    client = make_client(timeout=0.3, max_retries=0)
    control.plan_fault("timeout", realm_id, seconds=1.0)

    with pytest.raises(TransportError) as caught:
        client.preferences()

    assert caught.value.retryable and caught.value.code == "timeout"


def test_throttled_request_is_retried_and_holds_the_realm(make_client, control, realm_id):
    sleeps: list[float] = []  # the client's own sleep is skipped: only the limiter can wait
    client = make_client(
        limiter=RateLimiter(), sleep=sleeps.append, backoff=Backoff(base=0.4, cap=1)
    )
    control.plan_fault("throttle", realm_id)
    started = time.monotonic()

    client.company_info()

    assert [r["status"] for r in control.requests(realm_id)] == [429, 200]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.4
    assert time.monotonic() - started >= sleeps[0]  # the realm's limiter held every client


def retry_after_server(header: str):
    """A transport answering 429 with ``Retry-After: header`` once, then 200."""
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": header}, text="<Fault/>")
        return httpx.Response(200, json={"Preferences": {"Id": "1"}})

    return calls, httpx.Client(transport=httpx.MockTransport(handle))


@pytest.mark.parametrize("form", ["seconds", "date"])
def test_retry_after_is_honoured_in_seconds_or_as_a_date(form):
    in_seven_seconds = datetime.now(UTC) + timedelta(seconds=7)
    header = "7" if form == "seconds" else format_datetime(in_seven_seconds, usegmt=True)
    calls, http = retry_after_server(header)
    sleeps: list[float] = []
    client = QBOClient(
        "https://qbo.example/v3",
        "realm-retry-after",
        StaticTokenSource("t"),
        limiter=RateLimiter(Limits(time_scale=10_000)),
        sleep=sleeps.append,
        http=http,
    )

    assert client.preferences() == {"Id": "1"}
    assert len(calls) == 2 and len(sleeps) == 1
    assert 5 <= sleeps[0] <= 7


def test_backoff_is_full_jitter_under_an_exponential_cap():
    backoff = Backoff(base=1.0, cap=10.0)

    delays = [[backoff.delay(attempt) for _ in range(200)] for attempt in range(6)]

    for attempt, samples in enumerate(delays):
        assert all(0 <= d <= min(10.0, 2**attempt) for d in samples)
    assert max(delays[3]) > 4  # jitter spreads over the whole range
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_clients_of_one_realm_share_one_limiter_across_threads():
    realm = f"shared-{uuid.uuid4().hex[:6]}"
    found: list[RateLimiter] = []
    threads = [threading.Thread(target=lambda: found.append(limiter_for(realm))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    client = QBOClient("https://qbo.example/v3", realm, StaticTokenSource("t"))

    assert len({id(limiter) for limiter in found}) == 1
    assert client.limiter is found[0]
    assert limiter_for(f"{realm}-other") is not found[0]


def test_limiter_keeps_each_window_and_counts_until_the_reply():
    limiter = RateLimiter(Limits(per_minute=500, per_second=10, time_scale=20))  # 1 s = 50 ms
    started = time.monotonic()

    for _ in range(30):
        with limiter.slot():
            pass

    elapsed = time.monotonic() - started
    assert elapsed >= 2 * 0.05  # 30 requests at 10 per (scaled) second need two full windows
