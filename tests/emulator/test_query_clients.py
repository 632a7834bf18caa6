"""The query endpoint as real clients drive it over HTTP: python-quickbooks, hotglue, Airbyte.

``test_query.py`` covers the language rule by rule; these tests send the exact statements and
paging loops of clients written by others (qbo-facts §10) and check what they would conclude.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from quickbooks import QuickBooks
from quickbooks.exceptions import ValidationException
from quickbooks.objects.base import EmailAddress
from quickbooks.objects.customer import Customer

from plugins.quickbooks.emulator.server import EmulatorServer


def add_customers(qb: QuickBooks, names: list[str]) -> list[Customer]:
    created = []
    for name in names:
        customer = Customer()
        customer.DisplayName = name
        created.append(customer.save(qb=qb))
    return created


@pytest.fixture
def api(emulator: EmulatorServer, company: str, tokens: dict) -> Iterator[httpx.Client]:
    """A bare HTTP client on the company's API, as the Singer taps hold one."""
    with httpx.Client(
        base_url=f"{emulator.url}/v3/company/{company}",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        params={"minorversion": "75"},
    ) as client:
        yield client


def query_get(api: httpx.Client, statement: str) -> dict:
    response = api.get("/query", params={"query": statement})
    assert response.status_code == 200, response.text
    return response.json()["QueryResponse"]


def test_python_quickbooks_filter_escapes_quotes_and_matches(qb_client: QuickBooks) -> None:
    add_customers(qb_client, ["Adam's Candy Shop", "Bob's Bikes"])
    found = Customer.filter(DisplayName="Adam's Candy Shop", qb=qb_client)
    assert [c.DisplayName for c in found] == ["Adam's Candy Shop"]


def test_python_quickbooks_filters_customers_by_email_address(qb_client: QuickBooks) -> None:
    amy, _ = add_customers(qb_client, ["Amy", "Bill"])
    amy.PrimaryEmailAddr = EmailAddress()
    amy.PrimaryEmailAddr.Address = "amy@example.com"
    amy.save(qb=qb_client)
    # The form the python-quickbooks maintainers give for a lookup by e-mail (facts §4.2).
    found = Customer.where("PrimaryEmailAddr = 'AMY@example.com'", qb=qb_client)
    assert [c.Id for c in found] == [amy.Id]
    assert Customer.filter(PrimaryEmailAddr="nobody@example.com", qb=qb_client) == []


def test_python_quickbooks_choose_reads_an_id_list(qb_client: QuickBooks) -> None:
    first, _, third = add_customers(qb_client, ["One", "Two", "Three"])
    chosen = Customer.choose([first.Id, third.Id], qb=qb_client)
    assert sorted(c.DisplayName for c in chosen) == ["One", "Three"]


def test_python_quickbooks_where_pages_with_orderby(qb_client: QuickBooks) -> None:
    add_customers(qb_client, ["Pc", "Pa", "Pb"])
    pages = [
        Customer.where(
            "DisplayName LIKE 'P%'",
            order_by="DisplayName DESC",
            start_position=start,
            max_results=2,
            qb=qb_client,
        )
        for start in (1, 3)
    ]
    assert [[c.DisplayName for c in page] for page in pages] == [["Pc", "Pb"], ["Pa"]]


def test_python_quickbooks_count_with_and_without_where(qb_client: QuickBooks) -> None:
    before = Customer.count(qb=qb_client)
    add_customers(qb_client, ["Counted A", "Counted B"])
    assert Customer.count(qb=qb_client) == before + 2
    assert Customer.count("DisplayName LIKE 'Counted%'", qb=qb_client) == 2


def test_python_quickbooks_sees_a_parse_error_as_validation_4000(qb_client: QuickBooks) -> None:
    with pytest.raises(ValidationException) as caught:
        Customer.where("DisplayName = 'a' OR DisplayName = 'b'", qb=qb_client)
    assert caught.value.error_code == 4000
    assert '"OR"' in caught.value.detail


def test_post_with_application_text_body(api: httpx.Client, qb_client: QuickBooks) -> None:
    add_customers(qb_client, ["Posted"])
    response = api.post(
        "/query",
        content="SELECT * FROM Customer WHERE DisplayName = 'posted'",
        headers={"Content-Type": "application/text"},
    )
    assert response.status_code == 200, response.text
    assert [c["DisplayName"] for c in response.json()["QueryResponse"]["Customer"]] == ["Posted"]


def test_hotglue_paging_from_startposition_zero_then_inactive_pass(
    api: httpx.Client, qb_client: QuickBooks
) -> None:
    created = add_customers(qb_client, [f"Glue {n}" for n in range(7)])
    created[0].Active = False
    created[0].save(qb=qb_client)
    seen: list[str] = []
    page, size = 0, 3
    while True:
        start = 0 if page == 0 else size * page + 1
        reply = query_get(api, f"SELECT * FROM Customer STARTPOSITION {start} MAXRESULTS {size}")
        rows = reply.get("Customer", [])
        seen += [row["DisplayName"] for row in rows]
        if reply.get("maxResults", 0) < size:
            break
        page += 1
    inactive = query_get(api, "select * from Customer where Active = false")
    assert sorted(seen) == [f"Glue {n}" for n in range(1, 7)]
    assert [row["DisplayName"] for row in inactive["Customer"]] == ["Glue 0"]


def test_airbyte_window_excludes_its_start_and_includes_its_end(
    emulator: EmulatorServer, api: httpx.Client, qb_client: QuickBooks
) -> None:
    (early,) = add_customers(qb_client, ["Early"])
    emulator.state.clock.advance(timedelta(seconds=5))
    (late,) = add_customers(qb_client, ["Late"])
    start = early.MetaData["LastUpdatedTime"]
    end = late.MetaData["LastUpdatedTime"]
    window = (
        f"SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '{start}' "
        f"AND Metadata.LastUpdatedTime <= '{end}' "
        "ORDER BY Metadata.LastUpdatedTime ASC STARTPOSITION 1 MAXRESULTS 200"
    )
    assert [row["DisplayName"] for row in query_get(api, window)["Customer"]] == ["Late"]


def test_unknown_entity_is_a_4001_fault(api: httpx.Client) -> None:
    response = api.get("/query", params={"query": "SELECT * FROM Nonsense"})
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("4001", "Invalid query")
