"""The emulator's QBO query language: the documented grammar and what real clients send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugins.quickbooks.emulator.faults import QBOFault
from plugins.quickbooks.emulator.query import CURRENT_DATE, Condition, parse, run


def customer(ident: int, name: str, **extra: object) -> dict:
    row = {
        "Id": str(ident),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "DisplayName": name,
        "Active": True,
        "MetaData": {
            "CreateTime": "2024-03-01T10:00:00-08:00",
            "LastUpdatedTime": "2024-03-01T10:00:00-08:00",
        },
    }
    row.update(extra)
    return row


def stamped(ident: int, last_updated: str) -> dict:
    return customer(ident, f"Customer {ident}", MetaData={"LastUpdatedTime": last_updated})


def ids(response: dict, entity: str = "Customer") -> list[str]:
    return [row["Id"] for row in response.get(entity, [])]


def fault_of(text: str) -> QBOFault:
    with pytest.raises(QBOFault) as caught:
        parse(text)
    return caught.value


def query(text: str, rows: list[dict], *, list_entity: bool = True, **kwargs: object) -> dict:
    return run(parse(text), rows, list_entity=list_entity, **kwargs)


CUSTOMERS = [
    customer(1, "Amy's Bird Sanctuary"),
    customer(2, "Bill's Windsurf Shop", CompanyName="Bill's"),
    customer(3, "Cool Cars", Balance=120.5),
    customer(4, "Diego Rodriguez", Active=False, Balance=0),
    customer(5, "dukes basketball camp", Balance=40),
]


# --- Grammar ---------------------------------------------------------------------------------


def test_select_star_reads_entity_and_defaults() -> None:
    parsed = parse("SELECT * FROM Customer")
    assert parsed.entity == "Customer"
    assert not parsed.is_count
    assert parsed.fields is None
    assert parsed.conditions == []
    assert parsed.order_by == []
    assert (parsed.start_position, parsed.max_results) == (1, 100)


def test_keywords_and_entity_names_are_case_insensitive() -> None:
    parsed = parse("select * from salesreceipt where docnumber = '1' orderby txndate desc")
    assert parsed.entity == "SalesReceipt"
    assert parsed.conditions == [Condition("docnumber", "=", ("1",))]
    assert parsed.order_by == [("txndate", True)]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT  *  FROM   Invoice",
        "SELECT *\nFROM Invoice\n  WHERE TotalAmt > 10\n  MAXRESULTS 5",
        "\tSELECT * FROM Invoice WHERE TotalAmt>10 ",
    ],
)
def test_irregular_whitespace_is_accepted(text: str) -> None:
    assert parse(text).entity == "Invoice"


EMULATED = [
    "Invoice",
    "Customer",
    "Item",
    "Account",
    "TaxCode",
    "TaxRate",
    "PaymentMethod",
    "Payment",
    "SalesReceipt",
    "CompanyInfo",
    "Preferences",
]


@pytest.mark.parametrize("name", EMULATED)
def test_every_emulated_entity_is_queryable_in_any_case(name: str) -> None:
    assert parse(f"SELECT * FROM {name.upper()}").entity == name


def test_order_by_with_and_without_space_and_several_keys() -> None:
    assert parse("SELECT * FROM Invoice ORDER BY TxnDate DESC, DocNumber").order_by == [
        ("TxnDate", True),
        ("DocNumber", False),
    ]
    assert parse("SELECT * FROM Invoice ORDERBY TxnDate ASC").order_by == [("TxnDate", False)]


def test_maxresults_may_come_before_startposition() -> None:
    parsed = parse("SELECT * FROM Invoice MAXRESULTS 10 STARTPOSITION 21")
    assert (parsed.start_position, parsed.max_results) == (21, 10)


def test_operators_values_and_in_lists_are_parsed() -> None:
    parsed = parse(
        "SELECT * FROM Invoice WHERE TotalAmt >= 10.5 AND Balance < 3 AND DocNumber <= '9' "
        "AND TxnDate > CURRENT_DATE AND Id IN ('1', '2') AND CustomerRef LIKE '%1' "
        "AND Active = TRUE"
    )
    from decimal import Decimal

    assert parsed.conditions == [
        Condition("TotalAmt", ">=", (Decimal("10.5"),)),
        Condition("Balance", "<", (Decimal("3"),)),
        Condition("DocNumber", "<=", ("9",)),
        Condition("TxnDate", ">", (CURRENT_DATE,)),
        Condition("Id", "IN", ("1", "2")),
        Condition("CustomerRef", "LIKE", ("%1",)),
        Condition("Active", "=", (True,)),
    ]


def test_backslash_escapes_a_quote_inside_a_string() -> None:
    parsed = parse("SELECT * FROM Customer WHERE DisplayName = 'Adam\\'s Candy Shop'")
    assert parsed.conditions[0].values == ("Adam's Candy Shop",)


def test_count_star_in_any_case() -> None:
    assert parse("SELECT COUNT(*) FROM Customer ").is_count
    assert parse("select count( * ) from Customer where Active = true").is_count


def test_projection_lists_fields() -> None:
    assert parse("SELECT Id, DisplayName FROM Customer").fields == ("Id", "DisplayName")


def test_star_with_extra_fields_selects_everything() -> None:
    assert parse("SELECT *, Sku FROM Item").fields is None


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encountered", "column"),
    [
        ("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'", '"OR"', 39),
        ("SELECT * FROM Customer GROUP BY DisplayName", '"GROUP"', 24),
        ("SELECT * FROM Customer JOIN Invoice", '"JOIN"', 24),
        ("SELECT * FROM Customer WHERE Balance != 3", '"!"', 38),
        ("SELECT * FROM Customer WHERE DisplayName = 'open", '"\'open"', 44),
        ("SELECT * FROM Customer WHERE", "<EOF>", 29),
        ("SELECT FROM Customer", '"FROM"', 8),
        ("SELECT * FROM Customer MAXRESULTS ten", '"ten"', 35),
    ],
)
def test_statement_outside_the_grammar_is_4000_naming_token_and_column(
    text: str, encountered: str, column: int
) -> None:
    fault = fault_of(text)
    error = fault.errors[0]
    assert (fault.status, error.code, error.message) == (400, "4000", "Error parsing query")
    assert error.detail.startswith(f"QueryParserError: Encountered {encountered} at line 1, ")
    assert f"column {column}." in error.detail


def test_parse_error_position_counts_lines() -> None:
    detail = fault_of("SELECT *\nFROM Customer\nWHERE Id = '1' OR Id = '2'").errors[0].detail
    assert "at line 3, column 16" in detail


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("SELECT * FROM Vendorz", "Vendorz"),
        ("SELECT * FROM Customer WHERE Id > '3'", "Id"),
        ("SELECT * FROM Customer WHERE id LIKE '3%'", "Id"),
        ("SELECT * FROM Customer MAXRESULTS 1001", "1000"),
        ("SELECT * FROM Customer MAXRESULTS 0", "MAXRESULTS"),
        ("SELECT * FROM Customer STARTPOSITION -1", "STARTPOSITION"),
    ],
)
def test_statement_that_parses_but_is_refused_is_4001(text: str, named: str) -> None:
    error = fault_of(text).errors[0]
    assert (error.code, error.message) == ("4001", "Invalid query")
    assert error.detail.startswith("QueryValidationError: ")
    assert named in error.detail


# --- Running: filtering ----------------------------------------------------------------------


def test_equality_on_strings_ignores_case() -> None:
    response = query("SELECT * FROM Customer WHERE DisplayName = 'COOL CARS'", CUSTOMERS)
    assert ids(response) == ["3"]


def test_escaped_quote_matches_stored_apostrophe() -> None:
    statement = "SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s Bird Sanctuary'"
    response = query(statement, CUSTOMERS)
    assert ids(response) == ["1"]


def test_like_percent_wildcard_is_case_insensitive_and_anchored() -> None:
    assert ids(query("SELECT * FROM Customer WHERE DisplayName LIKE 'd%'", CUSTOMERS)) == ["5"]
    assert ids(query("SELECT * FROM Customer WHERE DisplayName LIKE '%s%'", CUSTOMERS)) == [
        "1",
        "2",
        "3",
        "5",
    ]
    # "_" is no wildcard in QBO: it only matches itself.
    assert query("SELECT * FROM Customer WHERE DisplayName LIKE 'Cool_Cars'", CUSTOMERS) == {}


def test_numeric_comparisons() -> None:
    assert ids(query("SELECT * FROM Customer WHERE Balance > 40", CUSTOMERS)) == ["3"]
    assert ids(query("SELECT * FROM Customer WHERE Balance >= 40", CUSTOMERS)) == ["3", "5"]
    assert ids(query("SELECT * FROM Customer WHERE Balance <= '40'", CUSTOMERS)) == ["5"]


def test_missing_property_matches_nothing_but_the_null_literal() -> None:
    assert ids(query("SELECT * FROM Customer WHERE Balance < 1000", CUSTOMERS)) == ["3", "5"]
    assert ids(query("SELECT * FROM Customer WHERE CompanyName = ' '", CUSTOMERS)) == [
        "1",
        "3",
        "5",
    ]


def test_id_equality_and_in_list_from_python_quickbooks_choose() -> None:
    assert ids(query("SELECT * FROM Customer WHERE Id = '2'", CUSTOMERS)) == ["2"]
    assert ids(query("SELECT * FROM Customer WHERE Id = 2", CUSTOMERS)) == ["2"]
    statement = "SELECT * FROM Customer WHERE Id in ('1', '3', '99')"
    assert ids(query(statement, CUSTOMERS)) == ["1", "3"]


def test_reference_compares_on_its_value() -> None:
    invoices = [
        {"Id": "10", "CustomerRef": {"value": "2", "name": "Bill's Windsurf Shop"}},
        {"Id": "11", "CustomerRef": {"value": "3", "name": "Cool Cars"}},
    ]
    response = query("SELECT * FROM Invoice WHERE CustomerRef = '3'", invoices, list_entity=False)
    assert ids(response, "Invoice") == ["11"]


def test_nested_attribute_paths_ignore_case() -> None:
    rows = [
        customer(1, "A", PrimaryEmailAddr={"Address": "Amy@Example.com"}),
        customer(2, "B", PrimaryEmailAddr={"Address": "bill@example.com"}),
    ]
    statement = "SELECT * FROM Customer WHERE primaryemailaddr.address = 'amy@example.com'"
    assert ids(query(statement, rows)) == ["1"]


def test_email_address_compares_on_its_address_as_python_quickbooks_documents() -> None:
    rows = [
        customer(1, "A", PrimaryEmailAddr={"Address": "Amy@Example.com"}),
        customer(2, "B", PrimaryEmailAddr={"Address": "bill@example.com"}),
        customer(3, "C"),
    ]
    assert ids(
        query("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'amy@example.com'", rows)
    ) == ["1"]
    statement = "SELECT * FROM Customer WHERE PrimaryEmailAddr IN ('bill@example.com', 'x@y.z')"
    assert ids(query(statement, rows)) == ["2"]
    assert ids(
        query("SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE '%@example.com'", rows)
    ) == [
        "1",
        "2",
    ]
    assert ids(query("SELECT * FROM Customer WHERE PrimaryEmailAddr = ' '", rows)) == ["3"]


def test_booleans_match_true_false_in_any_spelling() -> None:
    items = [{"Id": "1", "Taxable": True}, {"Id": "2", "Taxable": False}]
    assert ids(query("SELECT * FROM Item WHERE Taxable = True", items), "Item") == ["1"]
    assert ids(query("SELECT * FROM Item WHERE Taxable = 'false'", items), "Item") == ["2"]


# --- Running: dates and times ----------------------------------------------------------------


def test_datetimes_with_different_offsets_compare_as_instants() -> None:
    rows = [stamped(1, "2024-03-01T10:00:00-08:00"), stamped(2, "2024-03-01T11:00:00-08:00")]
    # 18:30Z is 10:30 in Pacific standard time.
    statement = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2024-03-01T18:30:00Z'"
    assert ids(query(statement, rows)) == ["2"]
    statement = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '2024-03-01T13:00-0500'"
    assert ids(query(statement, rows)) == ["1", "2"]


def test_datetime_without_offset_is_read_in_pacific_time() -> None:
    rows = [stamped(1, "2024-07-01T09:00:00-07:00"), stamped(2, "2024-07-01T10:00:00Z")]
    statement = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime < '2024-07-01T09:30:00'"
    # 10:00Z is 03:00 in Pacific daylight time, so both rows are earlier.
    assert ids(query(statement, rows)) == ["1", "2"]


def test_date_literal_against_date_property() -> None:
    invoices = [{"Id": "1", "TxnDate": "2024-01-31"}, {"Id": "2", "TxnDate": "2024-02-01"}]
    statement = "SELECT * FROM Invoice WHERE TxnDate >= '2024-02-01'"
    assert ids(query(statement, invoices, list_entity=False), "Invoice") == ["2"]


def test_current_date_is_today_in_emulated_time() -> None:
    invoices = [{"Id": "1", "DueDate": "2024-05-09"}, {"Id": "2", "DueDate": "2024-05-10"}]
    now = datetime(2024, 5, 10, 20, 0, tzinfo=UTC)  # 13:00 on the 10th in Pacific time
    statement = "SELECT * FROM Invoice WHERE DueDate < CURRENT_DATE"
    response = query(statement, invoices, list_entity=False, now=now)
    assert ids(response, "Invoice") == ["1"]


def test_airbyte_half_open_window_on_last_updated_time() -> None:
    rows = [
        stamped(1, "2024-01-01T00:00:00-08:00"),
        stamped(2, "2024-01-15T00:00:00-08:00"),
        stamped(3, "2024-01-31T00:00:00-08:00"),
    ]
    statement = (
        "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '2024-01-01T00:00:00-08:00' "
        "AND Metadata.LastUpdatedTime <= '2024-01-31T00:00:00-08:00' "
        "ORDER BY Metadata.LastUpdatedTime ASC STARTPOSITION 1 MAXRESULTS 200"
    )
    assert ids(query(statement, rows)) == ["2", "3"]


# --- Running: inactive list rows -------------------------------------------------------------


def test_inactive_list_rows_are_hidden_without_an_active_filter() -> None:
    assert "4" not in ids(query("SELECT * FROM Customer", CUSTOMERS))


def test_filtering_on_active_reveals_inactive_rows() -> None:
    both = query("SELECT * FROM Customer WHERE Active IN (true, false)", CUSTOMERS)
    assert ids(both) == ["1", "2", "3", "4", "5"]
    # hotglue's second pass, in lower case
    assert ids(query("select * from Customer where Active = false", CUSTOMERS)) == ["4"]


def test_inactive_rows_of_transactions_are_not_hidden() -> None:
    rows = [{"Id": "1", "Active": False}]
    assert ids(query("SELECT * FROM Invoice", rows, list_entity=False), "Invoice") == ["1"]


# --- Running: ordering, paging, counting, response shape -------------------------------------


def test_order_by_descending_then_ascending() -> None:
    rows = [
        customer(1, "b", Balance=5),
        customer(2, "a", Balance=5),
        customer(3, "c", Balance=9),
    ]
    statement = "SELECT * FROM Customer ORDERBY Balance DESC, DisplayName"
    assert ids(query(statement, rows)) == ["3", "2", "1"]


def test_order_by_id_is_numeric_and_missing_values_sort_first() -> None:
    rows = [customer(10, "x", Balance=1), customer(9, "y"), customer(100, "z", Balance=0)]
    assert ids(query("SELECT * FROM Customer ORDER BY Id", rows)) == ["9", "10", "100"]
    assert ids(query("SELECT * FROM Customer ORDER BY Balance", rows)) == ["9", "100", "10"]


def test_order_by_instants_across_offsets() -> None:
    rows = [stamped(1, "2024-03-01T12:00:00-08:00"), stamped(2, "2024-03-01T19:00:00Z")]
    statement = "SELECT * FROM Customer ORDER BY Metadata.LastUpdatedTime ASC"
    assert ids(query(statement, rows)) == ["2", "1"]


def test_pages_walk_every_row_once() -> None:
    rows = [stamped(n, "2024-03-01T10:00:00-08:00") for n in range(1, 8)]
    seen: list[str] = []
    position = 1
    while True:
        statement = (
            "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= '2024-01-01' "
            f"ORDER BY Metadata.LastUpdatedTime ASC STARTPOSITION {position} MAXRESULTS 3"
        )
        response = query(statement, rows)
        if not response.get("maxResults"):
            break
        assert response["startPosition"] == position
        seen += ids(response)
        position += response["maxResults"]
    assert seen == [str(n) for n in range(1, 8)]


def test_response_reports_start_position_and_rows_returned() -> None:
    response = query("SELECT * FROM Customer STARTPOSITION 2 MAXRESULTS 2", CUSTOMERS)
    assert response == {
        "Customer": [CUSTOMERS[1], CUSTOMERS[2]],
        "startPosition": 2,
        "maxResults": 2,
    }


def test_start_position_zero_is_read_as_one() -> None:
    # hotglue's tap asks for its first page at STARTPOSITION 0, then 101, 201, ...
    response = query("SELECT * FROM Customer STARTPOSITION 0 MAXRESULTS 100", CUSTOMERS)
    assert response["startPosition"] == 1
    assert ids(response) == ["1", "2", "3", "5"]


def test_no_match_and_page_past_the_end_are_empty() -> None:
    assert query("SELECT * FROM Customer WHERE DisplayName = 'nobody'", CUSTOMERS) == {}
    assert query("SELECT * FROM Customer STARTPOSITION 50", CUSTOMERS) == {}


def test_count_counts_matching_visible_rows_and_ignores_paging() -> None:
    assert query("SELECT COUNT(*) FROM Customer ", CUSTOMERS) == {"totalCount": 4}
    statement = "SELECT count(*) FROM Customer WHERE Active IN (true, false) MAXRESULTS 1"
    assert query(statement, CUSTOMERS) == {"totalCount": 5}
    assert query("SELECT COUNT(*) FROM Customer WHERE Id = '77'", CUSTOMERS) == {"totalCount": 0}


def test_projection_returns_named_fields_with_identity_and_sparse() -> None:
    statement = "SELECT displayname, MetaData.CreateTime FROM Customer MAXRESULTS 1"
    response = query(statement, CUSTOMERS)
    assert response["Customer"] == [
        {
            "domain": "QBO",
            "Id": "1",
            "SyncToken": "0",
            "sparse": True,
            "DisplayName": "Amy's Bird Sanctuary",
            "MetaData": {"CreateTime": "2024-03-01T10:00:00-08:00"},
        }
    ]


def test_returned_rows_are_copies() -> None:
    rows = [customer(1, "Original")]
    query("SELECT * FROM Customer", rows)["Customer"][0]["DisplayName"] = "Changed"
    assert rows[0]["DisplayName"] == "Original"


# --- Statements real clients send ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # python-quickbooks all(), where() (with its double space), filter(), choose(), count()
        "SELECT * FROM Invoice MAXRESULTS 100",
        "SELECT * FROM Invoice ORDER BY TxnDate DESC STARTPOSITION 1 MAXRESULTS 100",
        "SELECT *, Sku FROM Item ORDER BY Name STARTPOSITION 1 MAXRESULTS 100",
        "SELECT * FROM Invoice  STARTPOSITION 1 MAXRESULTS 100",
        "SELECT * FROM Invoice WHERE TxnDate > '2024-01-01' ORDERBY TxnDate STARTPOSITION 1",
        "SELECT * FROM Customer WHERE DisplayName = 'Adam\\'s Candy Shop' AND Active = True",
        "SELECT * FROM Customer WHERE Id in ('1', '2', '3')",
        "SELECT COUNT(*) FROM Customer ",
        "SELECT COUNT(*) FROM Invoice WHERE Balance > 0",
        # singer-io tap-quickbooks batch items
        "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= '2024-01-01T00:00:00Z' "
        "AND Active IN (true, false) ORDER BY Metadata.LastUpdatedTime ASC "
        "STARTPOSITION 1 MAXRESULTS 1000",
        "SELECT * FROM Invoice WHERE Metadata.LastUpdatedTime >= '2024-03-01T10:00:00-08:00' "
        "ORDER BY Metadata.LastUpdatedTime ASC STARTPOSITION 51 MAXRESULTS 50",
        # hotglue
        "SELECT * FROM Customer STARTPOSITION 0 MAXRESULTS 100",
        "select * from Customer where Active = false STARTPOSITION 101 MAXRESULTS 100",
        # Airbyte
        "SELECT * FROM Invoice WHERE Metadata.LastUpdatedTime > '2024-01-01T00:00:00+00:00' "
        "AND Metadata.LastUpdatedTime <= '2024-01-31T00:00:00+00:00' "
        "ORDER BY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 200",
    ],
)
def test_statements_real_clients_send_are_accepted(text: str) -> None:
    parsed = parse(text)
    assert isinstance(run(parsed, CUSTOMERS, list_entity=True), dict)
