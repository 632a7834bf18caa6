"""Typed errors from every shape QBO fails in: Fault, the gateway's fault, and XML throttling.

Each error says what a job should do: retry, mark one record failed, or stop the connection.
"""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from plugins.quickbooks.client import BatchOperation, QBOClient, StaticTokenSource
from plugins.quickbooks.qbo_errors import (
    AuthError,
    ErrorEntry,
    InvalidResponseError,
    NotFoundError,
    QBOError,
    RecordError,
    StaleObjectError,
    ThrottledError,
    response_error,
)


def unique(prefix: str = "Customer") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


class FailingRefresh:
    """A connection whose refresh token is gone: refreshing raises (as invalid_grant would)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refresh_after_401(self) -> str:
        self.refreshes += 1
        raise RuntimeError("invalid_grant")


class MintingRefresh:
    """A connection that refreshes by getting a new access token from the emulator."""

    def __init__(self, token: str, mint) -> None:
        self.token = token
        self.mint = mint
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refresh_after_401(self) -> str:
        self.refreshes += 1
        self.token = self.mint()
        return self.token


def assert_kind(error: QBOError, *, retryable=False, record_level=False, connection_level=False):
    assert (error.retryable, error.record_level, error.connection_level) == (
        retryable,
        record_level,
        connection_level,
    )


def test_duplicate_display_name_is_a_record_error_6240_with_qbo_s_words(client):
    name = unique()
    client.create("Customer", {"DisplayName": name})

    with pytest.raises(RecordError) as caught:
        client.create("Customer", {"DisplayName": name})

    error = caught.value
    assert error.code == "6240" and error.status == 400
    assert error.message == "Duplicate Name Exists Error"
    assert "already" in error.detail
    assert_kind(error, record_level=True)


def test_too_long_string_is_a_record_error_2050_naming_the_limit(client):
    with pytest.raises(RecordError) as caught:
        client.create("Customer", {"DisplayName": unique(), "Title": "T" * 40})

    assert caught.value.code == "2050"
    assert "Max" in caught.value.detail
    assert_kind(caught.value, record_level=True)


def test_missing_object_is_not_found_610(client):
    with pytest.raises(NotFoundError) as caught:
        client.read("Invoice", "424242")

    assert caught.value.code == "610"
    assert_kind(caught.value, record_level=True)


def test_expired_token_with_failing_refresh_is_an_auth_error_3200(
    make_client, control, realm_id, access_token
):
    tokens = FailingRefresh(access_token)
    client = make_client(token_source=tokens)
    control.plan_fault("expire_access_tokens", realm_id)

    with pytest.raises(AuthError) as caught:
        client.company_info()

    error = caught.value
    assert error.code == "3200" and error.status == 401
    assert "AuthenticationFailed" in error.message
    assert "token refresh failed: RuntimeError" in error.detail
    assert_kind(error, connection_level=True)
    assert tokens.refreshes == 1
    assert [r["status"] for r in control.requests(realm_id)] == [401]


def test_expired_token_that_refresh_cannot_cure_is_tried_once_more_then_auth_error(
    make_client, control, realm_id
):
    client = make_client()  # a static token: "refreshing" returns the same one
    control.plan_fault("expire_access_tokens", realm_id)

    with pytest.raises(AuthError):
        client.preferences()

    assert [r["status"] for r in control.requests(realm_id)] == [401, 401]


def test_a_401_refreshes_the_token_once_and_the_request_succeeds(
    make_client, control, realm_id, client_id, access_token
):
    tokens = MintingRefresh(access_token, lambda: control.access_token(realm_id, client_id))
    client = make_client(token_source=tokens)
    control.plan_fault("expire_access_tokens", realm_id)

    created = client.create("Customer", {"DisplayName": unique()})

    assert created["Id"]
    assert tokens.refreshes == 1
    statuses = [r["status"] for r in control.requests(realm_id)]
    assert statuses == [401, 200]


def test_token_of_another_realm_is_an_auth_error_3100_and_not_retried(
    emulator, control, access_token
):
    other_realm = control.create_company()
    client = QBOClient(f"{emulator.url}/v3", other_realm, StaticTokenSource(access_token))

    with pytest.raises(AuthError) as caught:
        client.company_info()

    assert caught.value.code == "3100" and caught.value.status == 403
    assert "ApplicationAuthorizationFailed" in caught.value.message
    assert_kind(caught.value, connection_level=True)
    assert len(control.requests(other_realm)) == 1


def test_xml_throttle_reply_is_a_retryable_throttled_error_3001(make_client, control, realm_id):
    client = make_client(max_retries=0)
    control.plan_fault("throttle", realm_id)

    with pytest.raises(ThrottledError) as caught:
        client.company_info()

    error = caught.value
    assert error.code == "3001" and error.status == 429
    assert error.fault_type == "SERVICE"
    assert "ThrottleExceeded" in error.message
    assert "request limit" in error.detail
    assert_kind(error, retryable=True)


def test_stale_sync_token_is_reread_and_the_sparse_change_applied_once_more(
    client, control, realm_id
):
    customer = client.create("Customer", {"DisplayName": unique()})
    client.sparse_update("Customer", customer["Id"], customer["SyncToken"], {"Notes": "by them"})
    before = len(control.requests(realm_id))

    updated = client.sparse_update(
        "Customer", customer["Id"], customer["SyncToken"], {"CompanyName": "Ours"}
    )

    assert updated["CompanyName"] == "Ours" and updated["Notes"] == "by them"
    assert updated["SyncToken"] == "2"
    calls = control.requests(realm_id)[before:]
    assert [(r["method"], r["status"]) for r in calls] == [
        ("POST", 400),
        ("GET", 200),
        ("POST", 200),
    ]
    first, _, retried = (r["query"] for r in calls)
    assert _requestid(first) != _requestid(retried)  # a different write: not a replay


def test_stale_sync_token_is_raised_when_the_change_no_longer_makes_sense(client):
    customer = client.create("Customer", {"DisplayName": unique()})
    client.sparse_update("Customer", customer["Id"], customer["SyncToken"], {"Active": False})

    with pytest.raises(StaleObjectError) as caught:
        client.sparse_update(
            "Customer",
            customer["Id"],
            customer["SyncToken"],
            {"Notes": "only for active customers"},
            still_valid=lambda fresh: fresh.get("Active", True),
        )

    assert caught.value.code == "5010"
    assert_kind(caught.value, record_level=True)


def test_stale_sync_token_twice_in_a_row_is_raised_after_one_retry(make_client, client):
    customer = client.create("Customer", {"DisplayName": unique()})
    client.sparse_update("Customer", customer["Id"], customer["SyncToken"], {"Notes": "v1"})
    ours = make_client()
    read = ours.read

    def read_then_another_job_writes(entity: str, entity_id: str) -> dict:
        fresh = read(entity, entity_id)
        client.sparse_update(entity, entity_id, fresh["SyncToken"], {"Notes": "theirs"})
        return fresh

    ours.read = read_then_another_job_writes

    with pytest.raises(StaleObjectError):
        ours.sparse_update("Customer", customer["Id"], customer["SyncToken"], {"Notes": "ours"})
    assert client.read("Customer", customer["Id"])["Notes"] == "theirs"


def test_tokens_never_appear_in_error_messages_or_log_lines(
    make_client, control, realm_id, access_token, caplog
):
    logger = logging.getLogger("test.qbo.client")
    tokens = FailingRefresh(access_token)
    client = make_client(token_source=tokens, logger=logger, max_retries=1)
    messages = []
    caplog.set_level(logging.DEBUG, logger="test.qbo.client")

    control.plan_fault("throttle", realm_id)
    client.company_info()  # throttled, then retried
    for failing in (
        lambda: client.read("Invoice", "424242"),
        lambda: client.create("Customer", {"DisplayName": "T" * 600}),
    ):
        with pytest.raises(QBOError) as caught:
            failing()
        messages.append(str(caught.value))
    control.plan_fault("expire_access_tokens", realm_id)
    with pytest.raises(AuthError) as caught:
        client.company_info()
    messages.append(str(caught.value))

    log_lines = [record.getMessage() for record in caplog.records]
    assert any("-> 429" in line for line in log_lines)
    assert any("retry 1 of 1" in line for line in log_lines)
    assert all(access_token not in line and "Bearer" not in line for line in log_lines)
    assert len(messages) == 3
    assert all(access_token not in message for message in messages)


def test_a_reply_that_echoes_the_token_is_scrubbed():
    token = "eyJsecret-token-value"
    error = response_error(
        400,
        b'{"Fault":{"Error":[{"Message":"Bad","Detail":"got eyJsecret-token-value",'
        b'"code":"2010"}],"type":"ValidationFault"}}',
        "application/json",
    )

    clean = error.scrubbed((token,))

    assert token not in str(clean) and "[redacted]" in clean.detail
    assert clean.errors == (ErrorEntry("2010", "Bad", "got [redacted]", ""),)


def test_gateway_lower_case_fault_and_xml_fault_parse_alike():
    gateway = response_error(
        403,
        b'{"fault":{"error":[{"message":"message=ApplicationAuthorizationFailed","detail":"x",'
        b'"code":"3100","element":null}],"type":"AUTHORIZATION"},"time":1}',
        "application/json",
        "tid-1",
    )
    xml = response_error(
        429,
        b'<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
        b'<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded</Message>'
        b"<Detail>later</Detail></Error></Fault></IntuitResponse>",
        "text/xml",
    )
    unknown = response_error(502, b"<html>Bad Gateway</html>", "text/html")

    assert (type(gateway), gateway.code, gateway.intuit_tid) == (AuthError, "3100", "tid-1")
    assert (type(xml), xml.code, xml.detail) == (ThrottledError, "3001", "later")
    assert unknown.retryable and unknown.code == "502"


def _requestid(query: str) -> str:
    return next(p.split("=", 1)[1] for p in query.split("&") if p.startswith("requestid="))


def client_answering(reply: httpx.Response) -> QBOClient:
    """A client whose every request gets ``reply`` (to check what it does with odd answers)."""
    return QBOClient(
        "https://qbo.example/v3",
        f"odd-{uuid.uuid4().hex[:6]}",
        StaticTokenSource("t"),
        http=httpx.Client(transport=httpx.MockTransport(lambda request: reply)),
    )


@pytest.mark.parametrize(
    "reply, message",
    [
        (httpx.Response(200, json={"time": "2025-01-01T00:00:00Z"}), "holds no Customer"),
        (httpx.Response(200, json={"Customer": "1"}), "holds no Customer"),
        (httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "no object"),
    ],
)
def test_a_create_reply_without_the_entity_is_an_invalid_response_error(reply, message):
    with pytest.raises(InvalidResponseError, match=message) as caught:
        client_answering(reply).create("Customer", {"DisplayName": "x"})

    assert_kind(caught.value)  # neither retried nor blamed on the record or the connection


def test_a_fault_inside_a_200_reply_is_raised_typed():
    fault = {"Fault": {"Error": [{"Message": "Stale", "code": "5010"}], "type": "Validation"}}

    with pytest.raises(StaleObjectError):
        client_answering(httpx.Response(200, json=fault)).read("Customer", "1")


def test_a_batch_reply_missing_an_item_gives_that_operation_an_error():
    reply = {"BatchItemResponse": [{"bId": "0", "Customer": {"Id": "7"}}]}
    operations = [BatchOperation.create("Customer", {"DisplayName": n}) for n in ("a", "b")]

    first, second = client_answering(httpx.Response(200, json=reply)).batch(operations)

    assert first == {"Id": "7"}
    assert isinstance(second, InvalidResponseError)
