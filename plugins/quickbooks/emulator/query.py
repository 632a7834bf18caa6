"""QuickBooks Online's query language: ``SELECT … FROM Entity WHERE … ORDERBY … MAXRESULTS n``.

``parse`` turns a statement into a :class:`Query` or raises the fault QBO would answer with
(4000 when the statement does not follow the grammar, 4001 when it does but asks for something
the service refuses). ``run`` applies a query to an entity's rows and returns the value of
``QueryResponse``.

The grammar is the documented one (qbo-facts §4.2) widened only by what real clients send and
the service accepts (§10): ``ORDER BY`` as well as ``ORDERBY``, ``SELECT *, Sku``, any
whitespace, lower-case keywords, ``STARTPOSITION 0``, ``Metadata`` for ``MetaData``.

Projections (``SELECT Id, DisplayName FROM Customer``) are parsed although Intuit's page says
they are unsupported, because its response format has a ``sparse`` flag for exactly this case
and clients send them. A projected row holds the named properties plus the identity every
entity carries in the XSD (``Id``, ``SyncToken``, ``domain``) and ``"sparse": true`` [U].
A ``*`` anywhere in the list selects everything, which is what ``SELECT *, Sku`` relies on.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from . import faults
from .query_lexer import Token, parse_error, tokenize
from .query_values import (
    Value,
    compare,
    find_key,
    is_null_literal,
    like,
    resolve,
    sort_key,
    today,
)

ENTITIES = (
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
)
_ENTITY_BY_FOLDED = {name.casefold(): name for name in ENTITIES}

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_LIMIT = 1000


class CurrentDate:
    """The ``CURRENT_DATE`` literal, resolved to a date only when the query runs."""

    def __repr__(self) -> str:
        return "CURRENT_DATE"


CURRENT_DATE = CurrentDate()

Literal = Value | CurrentDate


@dataclass(frozen=True)
class Condition:
    """``path operator value``; ``values`` holds one literal, or several for ``IN``."""

    path: str
    operator: str
    values: tuple[Literal, ...]


@dataclass
class Query:
    """A parsed statement. ``fields`` is ``None`` for ``*``, else the projected properties."""

    entity: str
    is_count: bool = False
    fields: tuple[str, ...] | None = None
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS

    def filters_on(self, path: str) -> bool:
        """Whether the WHERE clause names ``path`` (compared case-insensitively)."""
        return any(c.path.casefold() == path.casefold() for c in self.conditions)


def invalid(detail: str) -> faults.QBOFault:
    """The 4001 fault for a statement that parses but asks for something QBO refuses."""
    return faults.validation(4001, "Invalid query", f"QueryValidationError: {detail}")


def parse(text: str) -> Query:
    """Parse a query statement; raise :class:`faults.QBOFault` 4000/4001 naming the problem."""
    return _Parser(tokenize(text)).statement()


class _Parser:
    """Recursive descent over the token list, one method per grammar rule."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        if token.kind != "end":
            self.index += 1
        return token

    def accept_word(self, *words: str) -> Token | None:
        return self.advance() if self.current.is_word(*words) else None

    def expect_word(self, word: str) -> Token:
        if not self.current.is_word(word):
            raise parse_error(self.current, f'"{word}"')
        return self.advance()

    def accept_punct(self, char: str) -> bool:
        if self.current.kind == "punct" and self.current.text == char:
            self.advance()
            return True
        return False

    def expect_punct(self, char: str) -> None:
        if not self.accept_punct(char):
            raise parse_error(self.current, f'"{char}"')

    def statement(self) -> Query:
        self.expect_word("SELECT")
        is_count, fields = self.selection()
        self.expect_word("FROM")
        query = Query(entity=self.entity(), is_count=is_count, fields=fields)
        if self.accept_word("WHERE"):
            query.conditions.append(self.condition())
            while self.accept_word("AND"):
                query.conditions.append(self.condition())
        if self.current.is_word("ORDERBY", "ORDER"):
            query.order_by = self.order_by()
        self.paging(query)
        if self.current.kind != "end":
            clauses = ["AND" if query.conditions else "WHERE"]
            clauses += [] if query.order_by else ["ORDERBY"]
            clauses += ["STARTPOSITION", "MAXRESULTS"]
            raise parse_error(self.current, "one of " + ", ".join(clauses) + " or end of query")
        return query

    def selection(self) -> tuple[bool, tuple[str, ...] | None]:
        """``*``, ``count(*)``, or a comma-separated list that may include ``*``."""
        if self.current.is_word("COUNT"):
            self.advance()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            return True, None
        names: list[str] = []
        star = False
        while True:
            if self.accept_punct("*"):
                star = True
            else:
                names.append(self.property_name())
            if not self.accept_punct(","):
                break
        return False, None if star else tuple(names)

    def entity(self) -> str:
        token = self.current
        if token.kind != "word" or "." in token.text:
            raise parse_error(token, "an entity name")
        self.advance()
        canonical = _ENTITY_BY_FOLDED.get(token.text.casefold())
        if canonical is None:
            raise invalid(f"{token.text} is not a queryable entity in this emulator")
        return canonical

    def property_name(self) -> str:
        token = self.current
        if token.kind != "word" or token.is_word("FROM", "WHERE", "AND", "ORDERBY", "ORDER"):
            raise parse_error(token, "a property name")
        return self.advance().text

    def condition(self) -> Condition:
        path = self.property_name()
        operator_token = self.current
        if operator_token.kind == "op":
            self.advance()
            condition = Condition(path, operator_token.text, (self.literal(),))
        elif self.accept_word("IN"):
            condition = Condition(path, "IN", self.literal_list())
        elif self.accept_word("LIKE"):
            pattern = self.current
            if pattern.kind != "string":
                raise parse_error(pattern, "a quoted pattern")
            self.advance()
            condition = Condition(path, "LIKE", (pattern.value,))
        else:
            raise parse_error(operator_token, "one of =, <, >, <=, >=, IN, LIKE")
        if path.casefold() == "id" and condition.operator not in ("=", "IN"):
            raise invalid(f"Operator {condition.operator} is not supported for property Id")
        return condition

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.accept_punct(","):
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.current
        if token.kind in ("string", "number"):
            self.advance()
            assert token.value is not None
            return token.value
        if token.is_word("TRUE", "FALSE"):
            self.advance()
            return token.text.upper() == "TRUE"
        if token.is_word("CURRENT_DATE"):
            self.advance()
            return CURRENT_DATE
        raise parse_error(token, "a value (quoted string, number, true, false, CURRENT_DATE)")

    def order_by(self) -> list[tuple[str, bool]]:
        if self.accept_word("ORDER"):
            self.expect_word("BY")
        else:
            self.expect_word("ORDERBY")
        keys: list[tuple[str, bool]] = []
        while True:
            path = self.property_name()
            direction = self.accept_word("ASC", "DESC")
            keys.append((path, direction is not None and direction.text.upper() == "DESC"))
            if not self.accept_punct(","):
                return keys

    def paging(self, query: Query) -> None:
        """``STARTPOSITION n`` and ``MAXRESULTS n``, each at most once, in either order."""
        seen: set[str] = set()
        while (keyword := self.accept_word("STARTPOSITION", "MAXRESULTS")) is not None:
            name = keyword.text.upper()
            if name in seen:
                raise parse_error(keyword, "end of query")
            seen.add(name)
            number = self.integer()
            if name == "STARTPOSITION":
                if number < 0:
                    raise invalid(f"STARTPOSITION {number} is not valid; positions start at 1")
                # Clients such as hotglue's tap start at 0; the service reads it as 1.
                query.start_position = max(number, 1)
            else:
                if number < 1:
                    raise invalid(f"MAXRESULTS {number} is not valid; it must be at least 1")
                if number > MAX_RESULTS_LIMIT:
                    raise invalid(
                        f"value {number} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
                    )
                query.max_results = number

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not isinstance(token.value, Decimal):
            raise parse_error(token, "a number")
        if token.value != token.value.to_integral_value():
            raise parse_error(token, "a whole number")
        self.advance()
        return int(token.value)


def run(query: Query, rows: list[dict], *, list_entity: bool, now: datetime | None = None) -> dict:
    """Apply ``query`` to an entity's ``rows``; return the value of ``QueryResponse``.

    ``list_entity`` marks name lists (Customer, Item, Account, …) whose inactive rows QBO hides
    unless the statement filters on ``Active``. ``now`` is the emulated time ``CURRENT_DATE`` is
    taken from. Rows keep the order given (the store's creation order) unless ORDER BY says
    otherwise; the sort is stable so pages of equal keys do not overlap or skip.
    """
    date_literal = today(now or datetime.now(UTC))
    hide_inactive = list_entity and not query.filters_on("Active")
    matched = [
        row
        for row in rows
        if all(_holds(row, c, date_literal) for c in query.conditions)
        and not (hide_inactive and resolve(row, "Active") is False)
    ]
    if query.is_count:
        return {"totalCount": len(matched)}
    for path, descending in reversed(query.order_by):
        matched.sort(key=lambda row, p=path: sort_key(resolve(row, p)), reverse=descending)
    first = query.start_position - 1
    page = matched[first : first + query.max_results]
    if not page:
        return {}
    shaped = [
        copy.deepcopy(row) if query.fields is None else _project(row, query.fields) for row in page
    ]
    return {query.entity: shaped, "startPosition": query.start_position, "maxResults": len(page)}


def _holds(row: dict, condition: Condition, date_literal: str) -> bool:
    """Whether ``row`` satisfies ``condition``; ``CURRENT_DATE`` reads as ``date_literal``."""
    stored = resolve(row, condition.path)
    values = [date_literal if v is CURRENT_DATE else v for v in condition.values]
    operator = condition.operator
    if operator == "LIKE":
        return like(stored, str(values[0]))
    if operator in ("=", "IN"):
        return any(_equal(stored, value) for value in values)
    outcome = compare(stored, values[0])
    if outcome is None:
        return False
    return {"<": outcome < 0, ">": outcome > 0, "<=": outcome <= 0, ">=": outcome >= 0}[operator]


def _equal(stored: object, value: Value) -> bool:
    if is_null_literal(value):
        return stored is None or stored == ""
    return compare(stored, value) == 0


def _project(row: dict, fields: tuple[str, ...]) -> dict:
    """A sparse copy of ``row`` with the identity properties and the named ``fields``."""
    projected: dict = {key: row[key] for key in ("domain", "Id", "SyncToken") if key in row}
    projected["sparse"] = True
    for path in fields:
        _copy_path(row, projected, path.split("."))
    return projected


def _copy_path(source: dict, target: dict, names: list[str]) -> None:
    """Copy the property at ``names`` (matched case-insensitively) from ``source`` into ``target``,
    creating the enclosing objects only when the property exists."""
    keys: list[str] = []
    value: Any = source
    for name in names:
        key = find_key(value, name) if isinstance(value, dict) else None
        if key is None:
            return
        keys.append(key)
        value = value[key]
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = copy.deepcopy(value)
