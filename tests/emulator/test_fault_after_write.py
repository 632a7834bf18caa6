"""``http_500_after_write``: the write happens, then its reply is replaced by a 500."""

from __future__ import annotations

import uuid

import httpx


def plan(emulator, realm_id: str) -> None:
    response = httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"kind": "http_500_after_write", "realmId": realm_id},
    )
    assert response.status_code == 201


def api(emulator, realm_id: str, tokens: dict, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(
        method,
        f"{emulator.url}/v3/company/{realm_id}/{path}",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        **kwargs,
    )


def create_customer(emulator, company, tokens, name: str, request_id: str) -> httpx.Response:
    return api(
        emulator,
        company,
        tokens,
        "POST",
        "customer",
        params={"minorversion": "75", "requestid": request_id},
        json={"DisplayName": name},
    )


def customers_named(emulator, company, tokens, name: str) -> list[dict]:
    response = api(
        emulator,
        company,
        tokens,
        "GET",
        "query",
        params={"query": f"SELECT * FROM Customer WHERE DisplayName = '{name}'"},
    )
    assert response.status_code == 200
    return response.json()["QueryResponse"].get("Customer", [])


def test_a_retry_with_the_same_requestid_gets_the_original_reply(emulator, company, tokens):
    name = f"After Write {uuid.uuid4().hex[:10]}"
    plan(emulator, company)

    faulted = create_customer(emulator, company, tokens, name, "abc")
    retried = create_customer(emulator, company, tokens, name, "abc")

    assert faulted.status_code == 500
    assert faulted.json()["Fault"]["type"] == "SystemFault"
    assert faulted.json()["Fault"]["Error"][0]["code"] == "10000"
    assert retried.status_code == 200
    created = customers_named(emulator, company, tokens, name)
    assert [c["Id"] for c in created] == [retried.json()["Customer"]["Id"]]
    log = httpx.get(f"{emulator.url}/_emulator/companies/{company}/requests").json()
    writes = [entry for entry in log if "requestid=abc" in entry["query"]]
    assert [entry["status"] for entry in writes] == [500, 200]


def test_a_retry_with_a_new_requestid_writes_again(emulator, company, tokens):
    name = f"After Write {uuid.uuid4().hex[:10]}"
    plan(emulator, company)

    faulted = create_customer(emulator, company, tokens, name, "first")
    retried = create_customer(emulator, company, tokens, name, "second")

    assert faulted.status_code == 500
    # The first write happened: the second create collides with its DisplayName.
    assert retried.status_code == 400
    assert retried.json()["Fault"]["Error"][0]["code"] == "6240"
    assert len(customers_named(emulator, company, tokens, name)) == 1


def test_the_kind_is_planned_like_the_others(emulator, company):
    response = httpx.post(
        f"{emulator.url}/_emulator/faults",
        json={"kind": "http_500_after_write", "realmId": company, "count": 2},
    )
    pending = httpx.get(f"{emulator.url}/_emulator/faults").json()
    httpx.delete(f"{emulator.url}/_emulator/faults")

    assert response.status_code == 201
    assert response.json()["kind"] == "http_500_after_write"
    assert [p["kind"] for p in pending] == ["http_500_after_write"]
