"""Companies on disk: one SQLite file of JSON rows, written on each change, read at start.

The file holds the same (table, key, value) rows the in-memory store is made of, so there is no
mapping layer to drift. Each thread gets its own connection and WAL mode lets readers and one
writer proceed together; a write only holds SQLite's own lock for the few rows it touched, so
companies do not wait on each other for longer than that.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from .store import Row

_SCHEMA = """
CREATE TABLE IF NOT EXISTS company (
    realm_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS company_row (
    realm_id TEXT NOT NULL,
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (realm_id, tbl, key)
);
"""


class CompanyFile:
    """The SQLite file behind a :class:`~.companies.CompanyRegistry`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def companies(self) -> list[tuple[str, str, str]]:
        """(realm_id, name, country) of every stored company."""
        return list(self._connection().execute("SELECT realm_id, name, country FROM company"))

    def rows(self, realm_id: str) -> list[Row]:
        """Every stored row of one company."""
        cursor = self._connection().execute(
            "SELECT tbl, key, value FROM company_row WHERE realm_id = ?", (realm_id,)
        )
        return [(table, key, json.loads(value)) for table, key, value in cursor]

    def add_company(self, realm_id: str, name: str, country: str) -> None:
        """Record a new company."""
        self._connection().execute(
            "INSERT INTO company (realm_id, name, country) VALUES (?, ?, ?)",
            (realm_id, name, country),
        )

    def write(self, realm_id: str, rows: list[Row]) -> None:
        """Apply one write's rows in a single SQLite transaction."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, key, value in rows:
                self._write_row(conn, realm_id, table, key, value)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _write_row(
        conn: sqlite3.Connection, realm_id: str, table: str, key: str, value: Any
    ) -> None:
        if value is None:
            conn.execute(
                "DELETE FROM company_row WHERE realm_id = ? AND tbl = ? AND key = ?",
                (realm_id, table, key),
            )
        else:
            conn.execute(
                "INSERT OR REPLACE INTO company_row (realm_id, tbl, key, value) "
                "VALUES (?, ?, ?, ?)",
                (realm_id, table, key, json.dumps(value, separators=(",", ":"))),
            )
