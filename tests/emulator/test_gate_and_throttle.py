"""The gate in front of the Accounting API: tokens, realms, scopes, rate limits, error shapes.

What python-quickbooks raises is checked too, since a connector sees the gate through it
(facts §10.2: 401 → AuthorizationException; a 403 with lower-case ``fault`` → plain
QuickbooksException; an XML 429 → "Error reading json response").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from emulator_support import create_company, mint_tokens, quickbooks_client, register_app
from intuitlib.exceptions import AuthClientError
from quickbooks import exceptions as qb_exceptions
from quickbooks.objects.company_info import CompanyInfo

from plugins.quickbooks.emulator.clock import Clock
from plugins.quickbooks.emulator.server import EmulatorServer, start_emulator
from plugins.quickbooks.emulator.throttle import Limiter

BATCH = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM CompanyInfo"}]}


def read_company_info(url: str, realm_id: str, access_token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    return httpx.get(f"{url}/v3/company/{realm_id}/companyinfo/{realm_id}", headers=headers)


def assert_gateway_fault(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["intuit_tid"]
    error = response.json()["fault"]["error"][0]
    assert error["code"] == code


# Authentication and authorization -----------------------------------------------------------


@pytest.mark.parametrize("access_token", [None, "eyJnot-a-real-token"])
def test_missing_or_unknown_token_is_401_code_3200(emulator, company, access_token):
    response = read_company_info(emulator.url, company, access_token)

    assert_gateway_fault(response, 401, "3200")
    assert response.json()["fault"]["type"] == "AUTHENTICATION"


def test_token_of_another_realm_is_403_code_3100(emulator, app_credentials, company, tokens):
    other = create_company(emulator.url)

    response = read_company_info(emulator.url, other, tokens["access_token"])

    assert_gateway_fault(response, 403, "3100")


def test_token_without_the_accounting_scope_is_403_code_3100(emulator, app_credentials, company):
    openid_only = mint_tokens(emulator.url, company, app_credentials.client_id, ["openid"])

    response = read_company_info(emulator.url, company, openid_only["access_token"])

    assert_gateway_fault(response, 403, "3100")


def test_unknown_realm_is_403_code_3100(emulator, tokens):
    response = read_company_info(emulator.url, "123", tokens["access_token"])

    assert_gateway_fault(response, 403, "3100")


def test_python_quickbooks_gets_401_after_access_tokens_expire(emulator, company, qb_client):
    CompanyInfo.get(company, qb=qb_client)
    expired = httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"kind": "expire_access_tokens", "realmId": company},
    )
    assert expired.json()["affected"] == 1

    with pytest.raises(qb_exceptions.AuthorizationException) as refused:
        CompanyInfo.get(company, qb=qb_client)

    assert refused.value.error_code == 401
    assert "3200" in refused.value.detail


def test_python_quickbooks_refresh_fails_after_refresh_tokens_are_revoked(
    emulator, company, qb_client
):
    httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"kind": "revoke_refresh_tokens", "realmId": company},
    )

    with pytest.raises(AuthClientError) as refused:
        qb_client.auth_client.refresh()

    assert refused.value.status_code == 400
    CompanyInfo.get(company, qb=qb_client)  # the access token itself still works


def test_python_quickbooks_with_a_token_of_another_realm_gets_a_3100_error(
    emulator, app_credentials, tokens, insecure_transport
):
    other = create_company(emulator.url)
    client = quickbooks_client(emulator.url, app_credentials, other, tokens)

    with pytest.raises(qb_exceptions.QuickbooksException) as refused:
        CompanyInfo.get(other, qb=client)

    # Lower-case "fault" is not a Fault to python-quickbooks: it reports the status and body.
    assert "403" in refused.value.message
    assert "3100" in refused.value.message


def test_python_quickbooks_reads_a_planned_500_as_a_severe_exception(emulator, company, qb_client):
    httpx.post(f"{emulator.url}/_emulator/faults", json={"kind": "http_500", "realmId": company})

    with pytest.raises(qb_exceptions.SevereException) as failed:
        CompanyInfo.get(company, qb=qb_client)

    assert failed.value.error_code == 10000


# Error shapes under /v3/ ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "no-such-entity/1"), ("DELETE", "companyinfo/1")]
)
def test_unknown_api_paths_and_methods_answer_a_json_fault(emulator, company, tokens, method, path):
    response = httpx.request(
        method,
        f"{emulator.url}/v3/company/{company}/{path}",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert response.status_code in (400, 404, 405)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["Fault"]["Error"][0]["code"]
    assert "<html" not in response.text.lower()


# Throttling ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_clock_emulator() -> Iterator[EmulatorServer]:
    """Throttling on, time 100x slower: eleven requests surely share one emulated second."""
    server = start_emulator(port=0, throttle=True, time_scale=0.01)
    yield server
    server.stop()


def connected(server: EmulatorServer) -> tuple[str, str, str]:
    """A new app and company on ``server``: (realm id, client id, access token)."""
    credentials = register_app(server.url)
    realm_id = create_company(server.url)
    issued = mint_tokens(server.url, realm_id, credentials.client_id)
    return realm_id, credentials.client_id, issued["access_token"]


def test_eleventh_request_in_one_second_is_throttled_with_xml_3001(slow_clock_emulator):
    url = slow_clock_emulator.url
    realm_id, _, access_token = connected(slow_clock_emulator)

    statuses = [read_company_info(url, realm_id, access_token).status_code for _ in range(10)]
    throttled = read_company_info(url, realm_id, access_token)

    assert statuses == [200] * 10
    assert throttled.status_code == 429
    assert throttled.headers["content-type"].startswith("application/xml")
    assert '<Error code="3001">' in throttled.text
    assert "ThrottleExceeded" in throttled.text


def test_per_second_limit_is_per_app(slow_clock_emulator):
    url = slow_clock_emulator.url
    realm_id, _, first_app_token = connected(slow_clock_emulator)
    second_app = register_app(url)
    second_app_token = mint_tokens(url, realm_id, second_app.client_id)["access_token"]

    for _ in range(11):
        read_company_info(url, realm_id, first_app_token)

    assert read_company_info(url, realm_id, second_app_token).status_code == 200


def test_python_quickbooks_sees_the_xml_429_as_unreadable_json(
    slow_clock_emulator, insecure_transport
):
    url = slow_clock_emulator.url
    credentials = register_app(url)
    realm_id = create_company(url)
    client = quickbooks_client(
        url, credentials, realm_id, mint_tokens(url, realm_id, credentials.client_id)
    )
    httpx.post(f"{url}/_emulator/faults", json={"kind": "throttle", "realmId": realm_id})

    with pytest.raises(qb_exceptions.QuickbooksException) as throttled:
        CompanyInfo.get(realm_id, qb=client)

    assert throttled.value.error_code == 10000
    assert "ThrottleExceeded" in throttled.value.message


def post_batch(client: httpx.Client, url: str, realm_id: str, access_token: str) -> int:
    response = client.post(
        f"{url}/v3/company/{realm_id}/batch",
        json=BATCH,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    return response.status_code


def test_41st_batch_request_in_a_minute_is_throttled_until_the_minute_passes(
    throttled_emulator,
):
    # The emulator's clock runs 20x: a minute lasts 3 s. Jumping the clock a second ahead after
    # every ten batches keeps them under 10 per second, whatever the machine's speed.
    clock = throttled_emulator.state.clock
    url = throttled_emulator.url
    realm_id, _, access_token = connected(throttled_emulator)
    client = httpx.Client()
    started = clock.timestamp()
    statuses = []
    for number in range(41):
        if number and number % 10 == 0:
            clock.advance(timedelta(seconds=1))
        statuses.append(post_batch(client, url, realm_id, access_token))
    assert clock.timestamp() - started < 60, "the machine was too slow to send 41 in a minute"

    assert 429 not in statuses[:40]
    assert statuses[40] == 429
    assert read_company_info(url, realm_id, access_token).status_code == 200  # not a batch

    time.sleep(60 / clock.time_scale + 0.2)

    assert post_batch(client, url, realm_id, access_token) != 429
    client.close()


def test_without_throttling_a_burst_is_never_refused(emulator, company, tokens):
    statuses: list[int] = []

    def burst() -> None:
        with httpx.Client() as client:
            for _ in range(10):
                statuses.append(
                    client.get(
                        f"{emulator.url}/v3/company/{company}/companyinfo/{company}",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"},
                    ).status_code
                )

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 40


def test_limiter_admits_500_requests_per_realm_per_minute():
    clock = Clock()
    limiter = Limiter(clock)
    admitted = 0
    for second in range(50):
        # Ten apps stay under the per-app second limit; the realm's minute still fills up.
        admitted += sum(limiter.admit("realm", f"app{second % 10}", False) for _ in range(10))
        clock.advance(timedelta(seconds=1))
    assert admitted == 500

    assert not limiter.admit("realm", "app-new", False)
    assert limiter.admit("other-realm", "app-new", False)
    clock.advance(timedelta(seconds=61))
    assert limiter.admit("realm", "app-new", False)
