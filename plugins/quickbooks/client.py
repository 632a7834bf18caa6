"""The QuickBooks Online Accounting API client every job of the connector talks through.

What it guarantees, so that jobs do not have to:

* a write is performed at most once however often it is retried: each logical write carries one
  ``requestid`` (facts §2) and every retry of it repeats that id, so QBO answers a replay with
  the original reply instead of writing again;
* our own traffic never trips QBO's rate limits: every request waits for room in the realm's
  process-wide limiter (:mod:`.rate_limit`);
* failures arrive as typed errors (:mod:`.qbo_errors`) saying whether to retry, mark one record
  failed, or stop and ask for a reconnect; 429/5xx/timeouts are retried here with backoff
  (:mod:`.retry`), a 401 triggers one token refresh;
* no token ever appears in an error message or a log line.

It shares nothing with the emulator in ``emulator/``: the emulator is the referee that checks
this client against the facts, and would agree with its mistakes if they shared code.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from .environments import resolve
from .qbo_errors import (
    INVALID_RESPONSE_CODE,
    TIMEOUT_CODE,
    TRANSPORT_CODE,
    AuthError,
    InvalidResponseError,
    QBOError,
    RetryableError,
    StaleObjectError,
    ThrottledError,
    TransportError,
    fault_error,
    find_fault,
    response_error,
)
from .rate_limit import Limits, RateLimiter, limiter_for
from .retry import Backoff, parse_retry_after

Entity = dict[str, Any]
BatchResult = Entity | QBOError

MAX_PAGE_SIZE = 1000
MAX_BATCH_SIZE = 30
USER_AGENT = "integrations-library-quickbooks/0.1"
_ENTITY_NAME = re.compile(r"^[A-Za-z]+$")
_PAGING_CLAUSE = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\s+\d+", re.IGNORECASE)
#: QBO's limits on ``requestid`` (facts §2): 50 characters, 36 on a batch request.
REQUEST_ID_MAX = 50
BATCH_REQUEST_ID_MAX = 36
_REQUEST_ID_CHARS = re.compile(r"[!-~]+")
#: Namespace of the ids derived from a caller's request id (a fixed, arbitrary UUID).
_REQUEST_ID_NAMESPACE = uuid.UUID("6f3f2b8e-5d0c-4c8a-9a57-0e6f1d2c9b41")


class TokenSource(Protocol):
    """Where the client gets its Bearer token; core implements it over the stored connection."""

    def access_token(self) -> str:
        """A currently valid access token (refreshed ahead of expiry by the implementation)."""
        ...

    def refresh_after_401(self) -> str:
        """A new access token after QBO refused the current one; raises when that is impossible."""
        ...


class StaticTokenSource:
    """A fixed access token (tests, scripts): a refusal cannot be cured, so refresh repeats it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        """The token given at construction."""
        return self._token

    def refresh_after_401(self) -> str:
        """The same token: the retry after a 401 will fail the same way and surface AuthError."""
        return self._token


@dataclass(frozen=True)
class BatchOperation:
    """One item of a batch request: a create, update or delete of an entity, or a query."""

    operation: Literal["create", "update", "delete", "query"]
    entity: str = ""
    body: Mapping[str, Any] | None = None
    statement: str = ""
    options: str = ""

    @classmethod
    def create(cls, entity: str, body: Mapping[str, Any]) -> BatchOperation:
        """Create ``entity`` from ``body``."""
        return cls("create", entity, body)

    @classmethod
    def update(cls, entity: str, body: Mapping[str, Any]) -> BatchOperation:
        """Update ``entity`` (full, or sparse when ``body`` says ``"sparse": true``)."""
        return cls("update", entity, body)

    @classmethod
    def delete(cls, entity: str, entity_id: str, sync_token: str) -> BatchOperation:
        """Delete a transaction."""
        return cls("delete", entity, {"Id": entity_id, "SyncToken": sync_token})

    @classmethod
    def query(cls, statement: str) -> BatchOperation:
        """A query; its result is the ``QueryResponse`` object (one page, as written)."""
        return cls("query", statement=statement)

    def item(self, bid: str) -> dict[str, Any]:
        """The ``BatchItemRequest`` entry for this operation."""
        if self.operation == "query":
            return {"bId": bid, "Query": self.statement}
        item: dict[str, Any] = {"bId": bid, "operation": self.operation, self.entity: self.body}
        if self.options:
            item["optionsData"] = self.options
        return item

    def result(self, reply: Mapping[str, Any] | None, intuit_tid: str | None) -> BatchResult:
        """The entity, query response or typed error from this operation's ``BatchItemResponse``."""
        if reply is None:
            return _invalid(None, "QuickBooks returned no reply for this batch operation")
        fault = find_fault(reply)
        if fault is not None:
            return fault_error(fault, None, intuit_tid)
        key = "QueryResponse" if self.operation == "query" else self.entity
        value = reply.get(key)
        if not isinstance(value, dict):
            return _invalid(None, f"QuickBooks' batch reply holds no {key}", sorted(reply))
        return value


_http: httpx.Client | None = None
_http_pid = 0
_http_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """The process's one connection pool to QBO (a forked worker gets its own)."""
    global _http, _http_pid
    with _http_lock:
        if _http is None or _http_pid != os.getpid():
            _http = httpx.Client(
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                headers={"User-Agent": USER_AGENT},
            )
            _http_pid = os.getpid()
        return _http


class QBOClient:
    """The Accounting API of one company (realm), for one connection's tokens.

    ``backoff``, ``sleep`` and ``http`` exist for tests and benchmarks: quicker retries, a
    recorded sleep, a transport that loses replies. Production code leaves them alone and
    shares the process's connection pool.
    """

    def __init__(
        self,
        api_base: str,
        realm_id: str,
        token_source: TokenSource,
        *,
        minor_version: int = 75,
        page_size: int = MAX_PAGE_SIZE,
        batch_size: int = MAX_BATCH_SIZE,
        timeout: float = 30,
        max_retries: int = 5,
        limiter: RateLimiter | None = None,
        logger: logging.Logger | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.realm_id = realm_id
        self.minor_version = minor_version
        self.page_size = page_size
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self.limiter = limiter or limiter_for(realm_id)
        self._base = f"{api_base.rstrip('/')}/company/{quote(realm_id, safe='')}"
        self._tokens = token_source
        self._logger = logger
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._http = http or shared_http_client()

    # -- entities ----------------------------------------------------------------------------

    def read(self, entity: str, entity_id: str) -> Entity:
        """The entity with ``entity_id`` (:class:`NotFoundError` when there is none)."""
        body = self._json(self._call("GET", f"/{_segment(entity)}/{_id(entity_id)}"))
        return _entity(body, entity)

    def create(
        self, entity: str, body: Mapping[str, Any], *, request_id: str | None = None
    ) -> Entity:
        """Create an entity; the created object as QBO stored it (with Id and SyncToken).

        ``request_id`` (every write takes one): a stable id of the caller's, so a job run again
        after a crash gets QBO's first reply back instead of writing twice; a random one when
        omitted. At most 50 characters, unique per company.
        """
        return self._write(entity, body, request_id=request_id)

    def update(
        self, entity: str, body: Mapping[str, Any], *, request_id: str | None = None
    ) -> Entity:
        """Full update: ``body`` carries Id, SyncToken and every writable field to keep."""
        if not body.get("Id") or body.get("SyncToken") is None:
            raise ValueError("a full update needs the entity's Id and SyncToken")
        return self._write(entity, body, request_id=request_id)

    def sparse_update(
        self,
        entity: str,
        entity_id: str,
        sync_token: str,
        changes: Mapping[str, Any],
        *,
        still_valid: Callable[[Entity], bool] | None = None,
        request_id: str | None = None,
    ) -> Entity:
        """Change only the fields in ``changes``.

        When QBO says the SyncToken is stale (5010), the entity is read again and the same
        changes are applied once more on its fresh SyncToken, unless ``still_valid`` (given the
        fresh entity) says they no longer make sense; then the 5010 is raised. That second
        write needs an id of its own (QBO would replay the 5010 for the first): with
        ``request_id`` it is derived from it, so a rerun replays both.
        """
        try:
            return self._sparse(entity, entity_id, sync_token, changes, request_id)
        except StaleObjectError:
            fresh = self.read(entity, entity_id)
            if still_valid is not None and not still_valid(fresh):
                raise
        retry_id = _derived_request_id(request_id, "stale-retry") if request_id else None
        return self._sparse(entity, entity_id, _sync_token(fresh), changes, retry_id)

    def _sparse(
        self,
        entity: str,
        entity_id: str,
        sync_token: str,
        changes: Mapping[str, Any],
        request_id: str | None,
    ) -> Entity:
        body = {**changes, "Id": entity_id, "SyncToken": sync_token, "sparse": True}
        return self._write(entity, body, request_id=request_id)

    def delete(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str | None = None
    ) -> Entity:
        """Delete a transaction; QBO answers ``{"status": "Deleted", "Id": ...}``.

        List entities (Customer, Item, ...) cannot be deleted: make them inactive instead.
        """
        body = {"Id": entity_id, "SyncToken": sync_token}
        return self._write(entity, body, {"operation": "delete"}, request_id=request_id)

    def void_invoice(
        self, invoice_id: str, sync_token: str, *, request_id: str | None = None
    ) -> Entity:
        """Void an invoice: amounts become zero, the invoice stays (``operation=void``)."""
        body = {"Id": invoice_id, "SyncToken": sync_token}
        return self._write("Invoice", body, {"operation": "void"}, request_id=request_id)

    def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str | None = None
    ) -> Entity:
        """Void a Payment or SalesReceipt (an update with ``include=void``); Invoice works too."""
        if entity.lower() == "invoice":
            return self.void_invoice(entity_id, sync_token, request_id=request_id)
        body = {"Id": entity_id, "SyncToken": sync_token, "sparse": True}
        params = {"operation": "update", "include": "void"}
        return self._write(entity, body, params, request_id=request_id)

    def pdf(self, entity: str, entity_id: str) -> bytes:
        """The entity's PDF (Invoice, SalesReceipt, ...), as QBO renders it."""
        path = f"/{_segment(entity)}/{_id(entity_id)}/pdf"
        response = self._call("GET", path, accept="application/pdf")
        if not response.content.startswith(b"%PDF"):
            raise _invalid(response.status_code, "QuickBooks answered without a PDF")
        return response.content

    def company_info(self) -> Entity:
        """The company's CompanyInfo (name, country, addresses)."""
        path = f"/companyinfo/{_id(self.realm_id)}"
        return _entity(self._json(self._call("GET", path)), "CompanyInfo")

    def preferences(self) -> Entity:
        """The company's Preferences (custom transaction numbers, tax, currency...)."""
        return _entity(self._json(self._call("GET", "/preferences")), "Preferences")

    # -- queries -----------------------------------------------------------------------------

    def query(self, statement: str) -> Iterator[Entity]:
        """Every row of ``statement``, fetched a page at a time as the iterator is consumed.

        ``statement`` must not page itself: the client adds STARTPOSITION/MAXRESULTS. Rows
        written while the iteration runs may shift pages; order by a stable field (Id) when that
        matters.
        """
        if _PAGING_CLAUSE.search(statement):
            raise ValueError("leave STARTPOSITION and MAXRESULTS out: query() pages by itself")
        return self._pages(statement.strip())

    def _pages(self, statement: str) -> Iterator[Entity]:
        start = 1
        while True:
            page = f"{statement} STARTPOSITION {start} MAXRESULTS {self.page_size}"
            rows = _query_rows(self._query_response(page))
            yield from rows
            if len(rows) < self.page_size:
                return
            start += len(rows)

    def count(self, entity: str, where: str | None = None) -> int:
        """How many ``entity`` rows match ``where`` (a QBO WHERE clause without the keyword)."""
        statement = f"SELECT COUNT(*) FROM {_name(entity)}"
        if where:
            statement += f" WHERE {where}"
        total = self._query_response(statement).get("totalCount")
        if isinstance(total, bool) or not isinstance(total, int):
            raise _invalid(200, "QuickBooks answered a count without totalCount")
        return total

    def _query_response(self, statement: str) -> Mapping[str, Any]:
        response = self._call(
            "POST", "/query", content=statement.encode(), content_type="application/text"
        )
        query_response = self._json(response).get("QueryResponse")
        if not isinstance(query_response, dict):
            raise _invalid(response.status_code, "QuickBooks answered a query without rows")
        return query_response

    def cdc(
        self, entities: Sequence[str], changed_since: datetime | str
    ) -> dict[str, list[Entity]]:
        """What changed in ``entities`` since ``changed_since`` (at most 30 days back).

        Returns every requested entity name, with an empty list when nothing changed; deleted
        objects carry ``"status": "Deleted"``. QBO caps one answer at 1000 objects: a caller
        that gets that many should ask again for a shorter window.
        """
        if isinstance(changed_since, datetime):
            if changed_since.tzinfo is None:
                raise ValueError("changed_since must be timezone-aware")
            changed_since = changed_since.isoformat(timespec="seconds")
        params = {"entities": ",".join(_name(e) for e in entities), "changedSince": changed_since}
        body = self._json(self._call("GET", "/cdc", params=params))
        blocks = body.get("CDCResponse")
        if not isinstance(blocks, list):
            raise _invalid(200, "QuickBooks answered CDC without CDCResponse", sorted(body))
        changes: dict[str, list[Entity]] = {name: [] for name in entities}
        for block in blocks:
            query_responses = block.get("QueryResponse") if isinstance(block, dict) else None
            for query_response in query_responses or []:
                for name, rows in query_response.items():
                    if isinstance(rows, list):
                        changes.setdefault(name, []).extend(rows)
        return changes

    # -- batch -------------------------------------------------------------------------------

    def batch(
        self, operations: Sequence[BatchOperation], *, request_id: str | None = None
    ) -> list[BatchResult]:
        """One result per operation, in order: the entity (or QueryResponse) or a typed error.

        ``request_id`` (at most 36 characters, QBO's batch limit) makes the batch repeatable:
        its first request carries it, each later request of the same call an id derived from
        it and the request's position, so rerunning the same operations replays every reply.

        Operations go ``batch_size`` (at most 30) to a request. QBO runs a request's items
        independently and in no set order, so an item must not depend on another's result.
        When a whole request fails, each of its operations gets that error, and so do the
        operations not yet sent if the error is retryable or ends the connection: raising
        instead would hide which earlier requests were performed, and a caller repeating them
        would write twice.
        """
        if request_id is not None:
            _check_request_id(request_id, BATCH_REQUEST_ID_MAX)
        results: list[BatchResult] = []
        stopped: QBOError | None = None
        for start in range(0, len(operations), self.batch_size):
            chunk = operations[start : start + self.batch_size]
            if stopped is not None:
                results.extend([stopped] * len(chunk))
                continue
            chunk_id = request_id
            if request_id is not None and start > 0:
                chunk_id = _derived_request_id(request_id, f"batch-{start}")
            try:
                results.extend(self._batch_chunk(chunk, chunk_id))
            except QBOError as error:
                results.extend([error] * len(chunk))
                if error.retryable or error.connection_level:
                    stopped = error
        return results

    def _batch_chunk(
        self, chunk: Sequence[BatchOperation], request_id: str | None
    ) -> list[BatchResult]:
        items = [operation.item(str(index)) for index, operation in enumerate(chunk)]
        response = self._call(
            "POST",
            "/batch",
            json_body={"BatchItemRequest": items},
            write=True,
            batch=True,
            request_id=request_id,
        )
        replies = self._json(response).get("BatchItemResponse")
        if not isinstance(replies, list):
            raise _invalid(response.status_code, "QuickBooks answered a batch without items")
        by_bid = {str(r.get("bId")): r for r in replies if isinstance(r, dict)}
        tid = response.headers.get("intuit_tid")
        return [op.result(by_bid.get(str(i)), tid) for i, op in enumerate(chunk)]

    # -- transport ---------------------------------------------------------------------------

    def _write(
        self,
        entity: str,
        body: Mapping[str, Any],
        params: dict[str, str] | None = None,
        *,
        request_id: str | None = None,
    ) -> Entity:
        if request_id is not None:
            _check_request_id(request_id, REQUEST_ID_MAX)
        path = f"/{_segment(entity)}"
        response = self._call(
            "POST", path, params=params, json_body=dict(body), write=True, request_id=request_id
        )
        return _entity(self._json(response), entity)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        write: bool = False,
        batch: bool = False,
        request_id: str | None = None,
    ) -> httpx.Response:
        """Send with limits, retries and one refresh; the successful response or a typed error."""
        query = {"minorversion": str(self.minor_version), **(params or {})}
        if write:
            # One id for the logical write: every retry below repeats it (facts §2, requestid).
            query["requestid"] = request_id or str(uuid.uuid4())
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        token = self._tokens.access_token()
        seen_tokens = [token]
        refreshed = False
        attempt = 0
        while True:
            outcome = self._attempt(method, path, query, headers, token, json_body, content, batch)
            if isinstance(outcome, httpx.Response):
                return outcome
            error = outcome.scrubbed(tuple(seen_tokens))
            if error.status == 401 and not refreshed:
                refreshed = True
                token = self._refresh(error, seen_tokens)
                seen_tokens.append(token)
                continue
            if not isinstance(error, RetryableError) or attempt >= self.max_retries:
                raise error
            delay = self._backoff.delay(attempt, error.retry_after)
            if isinstance(error, ThrottledError):
                self.limiter.hold(delay)  # every job of the realm backs off, not just this one
            self._log_retry(method, path, error, delay, attempt)
            self._sleep(delay)
            attempt += 1
            token = self._tokens.access_token()
            if token not in seen_tokens:
                seen_tokens.append(token)

    def _attempt(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        token: str,
        json_body: Any,
        content: bytes | None,
        batch: bool,
    ) -> httpx.Response | QBOError:
        """One try: the 2xx/3xx response, or the typed error it (or the network) amounted to."""
        try:
            response = self._send(method, path, query, headers, token, json_body, content, batch)
        except httpx.TimeoutException:
            return TransportError(
                None, TIMEOUT_CODE, f"QuickBooks did not answer within {self.timeout:g} s"
            )
        except httpx.TransportError as exc:
            return TransportError(
                None, TRANSPORT_CODE, f"Could not reach QuickBooks ({type(exc).__name__})"
            )
        if response.status_code < 400:
            return response
        error = response_error(
            response.status_code,
            response.content,
            response.headers.get("content-type", ""),
            response.headers.get("intuit_tid"),
        )
        error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return error

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        token: str,
        json_body: Any,
        content: bytes | None,
        batch: bool,
    ) -> httpx.Response:
        started = time.perf_counter()
        status: int | str = "no reply"
        try:
            with self.limiter.slot(batch):
                response = self._http.request(
                    method,
                    f"{self._base}{path}",
                    params=query,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    json=json_body,
                    content=content,
                    timeout=self.timeout,
                )
            status = response.status_code
            return response
        finally:
            self._log_request(method, path, query, status, started)

    def _refresh(self, error: QBOError, seen_tokens: list[str]) -> str:
        """A new token after a 401; when the token source cannot give one, the 401 is final."""
        try:
            return self._tokens.refresh_after_401()
        except Exception as exc:
            raise AuthError(
                error.status,
                error.code,
                error.message,
                f"{error.detail} (token refresh failed: {type(exc).__name__})",
                error.element,
                error.intuit_tid,
                error.fault_type,
            ).scrubbed(tuple(seen_tokens)) from exc

    def _json(self, response: httpx.Response) -> Mapping[str, Any]:
        """The JSON object of a 2xx reply; a Fault inside it (QBO sends some with 200) raises."""
        try:
            body = response.json()
        except ValueError:
            raise _invalid(response.status_code, "QuickBooks' reply is not JSON") from None
        if not isinstance(body, dict):
            raise _invalid(response.status_code, "QuickBooks answered with JSON that is no object")
        fault = find_fault(body)
        if fault is not None:
            tid = response.headers.get("intuit_tid")
            raise fault_error(fault, response.status_code, tid).scrubbed(
                (self._tokens.access_token(),)
            )
        return body

    # -- logging -----------------------------------------------------------------------------

    def _log_request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        status: int | str,
        started: float,
    ) -> None:
        if self._logger is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        requestid = query.get("requestid")
        self._logger.info(
            "QBO %s %s -> %s in %.0f ms%s",
            method,
            path,
            status,
            elapsed_ms,
            f" (requestid {requestid})" if requestid else "",
        )

    def _log_retry(
        self, method: str, path: str, error: QBOError, delay: float, attempt: int
    ) -> None:
        if self._logger is None:
            return
        self._logger.info(
            "QBO %s %s: retry %d of %d in %.2f s after %s",
            method,
            path,
            attempt + 1,
            self.max_retries,
            delay,
            error,
        )


def client_from_config(
    config: Mapping[str, Any],
    realm_id: str,
    token_source: TokenSource,
    logger: logging.Logger | None = None,
) -> QBOClient:
    """A client set up from an installation's configuration (environment and advanced step)."""
    advanced = config.get("advanced", {})
    limits = Limits(
        per_minute=advanced.get("requests_per_minute", 500),
        per_second=advanced.get("requests_per_second", 10),
        batch_per_minute=advanced.get("batch_requests_per_minute", 40),
    )
    return QBOClient(
        resolve(config).api_base,
        realm_id,
        token_source,
        minor_version=advanced.get("minor_version", 75),
        page_size=advanced.get("page_size", MAX_PAGE_SIZE),
        batch_size=advanced.get("batch_size", MAX_BATCH_SIZE),
        timeout=advanced.get("timeout_seconds", 30),
        max_retries=advanced.get("max_retries", 5),
        limiter=limiter_for(realm_id, limits),
        logger=logger if advanced.get("verbose_logging") else None,
    )


def _check_request_id(request_id: str, limit: int) -> None:
    """Refuse an id QBO would not take: empty, too long, or with spaces or control characters."""
    if not isinstance(request_id, str) or not request_id:
        raise ValueError("request_id: must be a non-empty string")
    if len(request_id) > limit:
        raise ValueError(f"request_id: at most {limit} characters, got {len(request_id)}")
    if not _REQUEST_ID_CHARS.fullmatch(request_id):
        raise ValueError("request_id: only printable characters without spaces are allowed")


def _derived_request_id(request_id: str, purpose: str) -> str:
    """A stable id for a second request of one logical write (a UUID, 36 characters)."""
    return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{request_id}/{purpose}"))


def _name(entity: str) -> str:
    """An entity name as QBO spells it; anything else could escape the URL path or the query."""
    if not _ENTITY_NAME.match(entity):
        raise ValueError(f"not a QuickBooks entity name: {entity!r}")
    return entity


def _segment(entity: str) -> str:
    """The URL segment of an entity: its name in lower case (URIs are case-sensitive)."""
    return _name(entity).lower()


def _id(entity_id: str) -> str:
    return quote(str(entity_id), safe="")


def _entity(body: Mapping[str, Any], entity: str) -> Entity:
    """``body[entity]``, checked: a reply without the entity is QBO's failure, not a KeyError."""
    value = body.get(entity)
    if value is None:
        value = next((v for k, v in body.items() if k.lower() == entity.lower()), None)
    if not isinstance(value, dict):
        raise _invalid(200, f"QuickBooks' reply holds no {entity}", sorted(body))
    return value


def _sync_token(entity: Mapping[str, Any]) -> str:
    token = entity.get("SyncToken")
    if token is None:
        raise _invalid(200, "QuickBooks returned an entity without SyncToken")
    return str(token)


def _query_rows(query_response: Mapping[str, Any]) -> list[Entity]:
    """The rows of a QueryResponse: its one list value (none at all when nothing matched)."""
    return next((v for v in query_response.values() if isinstance(v, list)), [])


def _invalid(status: int | None, message: str, keys: list[str] | None = None) -> QBOError:
    detail = f"keys in the reply: {', '.join(keys)}" if keys else ""
    return InvalidResponseError(status, INVALID_RESPONSE_CODE, message, detail)
