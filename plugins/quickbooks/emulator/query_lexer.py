"""Tokens of QuickBooks Online's query language, with the line and column each starts at.

The parser's errors quote the offending token and its position the way QBO's
``QueryParserError`` does (``Encountered "OR" at line 1, column 40``), so a client author can
find the mistake in the statement they sent; that is why every token keeps its position.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from . import faults

TokenKind = Literal["word", "string", "number", "op", "punct", "end"]

# Longest first, so "<=" is not read as "<" then "=".
_OPERATORS = ("<=", ">=", "=", "<", ">")
_PUNCTUATION = "*,()"


@dataclass(frozen=True)
class Token:
    """One lexical unit. ``text`` is the source spelling; ``value`` the decoded literal."""

    kind: TokenKind
    text: str
    line: int
    column: int
    value: str | Decimal | None = None

    def is_word(self, *words: str) -> bool:
        """Whether this is a bare word equal (case-insensitively) to one of ``words``."""
        return self.kind == "word" and self.text.upper() in words

    def describe(self) -> str:
        """How an error message names this token."""
        return "<EOF>" if self.kind == "end" else f'"{self.text}"'


def parse_error(token: Token, expecting: str) -> faults.QBOFault:
    """The 4000 fault QBO answers a statement that does not follow the grammar with."""
    return faults.validation(
        4000,
        "Error parsing query",
        f"QueryParserError: Encountered {token.describe()} at line {token.line}, "
        f"column {token.column}. Was expecting {expecting}.",
    )


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens ending with an ``end`` token; raise 4000 on a stray character.

    Any run of whitespace (double spaces from python-quickbooks, newlines from hand-written
    statements) separates tokens and is otherwise ignored.
    """
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while True:
        while pos < len(text) and text[pos].isspace():
            if text[pos] == "\n":
                line, line_start = line + 1, pos + 1
            pos += 1
        column = pos - line_start + 1
        if pos >= len(text):
            tokens.append(Token("end", "", line, column))
            return tokens
        char = text[pos]
        if char == "'":
            token, pos = _read_string(text, pos, line, column)
        elif char.isdigit() or (char == "-" and text[pos + 1 : pos + 2].isdigit()):
            token, pos = _read_number(text, pos, line, column)
        elif char.isalpha() or char == "_":
            token, pos = _read_word(text, pos, line, column)
        elif char in _PUNCTUATION:
            token, pos = Token("punct", char, line, column), pos + 1
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
            if operator is None:
                raise parse_error(Token("punct", char, line, column), "a query token")
            token, pos = Token("op", operator, line, column), pos + len(operator)
        tokens.append(token)


def _read_string(text: str, pos: int, line: int, column: int) -> tuple[Token, int]:
    """A single-quoted literal; a backslash escapes the next character (``'Adam\\'s'``)."""
    chars: list[str] = []
    end = pos + 1
    while end < len(text):
        char = text[end]
        if char == "\\" and end + 1 < len(text):
            chars.append(text[end + 1])
            end += 2
        elif char == "'":
            return Token("string", text[pos : end + 1], line, column, "".join(chars)), end + 1
        else:
            chars.append(char)
            end += 1
    unterminated = Token("string", text[pos:], line, column)
    raise parse_error(unterminated, "a closing quote (')")


def _read_number(text: str, pos: int, line: int, column: int) -> tuple[Token, int]:
    end = pos + 1
    while end < len(text) and (text[end].isdigit() or text[end] == "."):
        end += 1
    spelling = text[pos:end]
    if spelling.count(".") > 1 or spelling.endswith("."):
        raise parse_error(Token("number", spelling, line, column), "a number")
    return Token("number", spelling, line, column, Decimal(spelling)), end


def _read_word(text: str, pos: int, line: int, column: int) -> tuple[Token, int]:
    """A keyword, entity or property; dots join the parts of a path (``MetaData.CreateTime``)."""
    end = pos
    while end < len(text) and (text[end].isalnum() or text[end] in "_."):
        end += 1
    spelling = text[pos:end]
    if spelling.endswith(".") or ".." in spelling:
        raise parse_error(Token("word", spelling, line, column), "a property name")
    return Token("word", spelling, line, column), end
