"""The emulated QuickBooks companies (realms) and where they are kept.

Each company has its own lock: every write to it takes that lock, so SyncTokens and balances are
never corrupted by concurrent requests, while requests to different companies never wait on each
other. With a ``path`` the companies live in a SQLite file and survive a restart.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from . import faults, seed, values
from .clock import Clock
from .persistence import CompanyFile
from .store import COUNTER, EntityStore


class Company:
    """One realm: its identity, its lock and its entity store."""

    def __init__(
        self, realm_id: str, name: str, country: str, file: CompanyFile | None = None
    ) -> None:
        self.realm_id = realm_id
        self.name = name
        self.country = country
        self.lock = threading.RLock()
        sink = (lambda rows: file.write(realm_id, rows)) if file is not None else None
        self.store = EntityStore(sink)

    @contextmanager
    def writing(self) -> Iterator[EntityStore]:
        """Hold the company's lock for one all-or-nothing write."""
        with self.lock, self.store.transaction():
            yield self.store

    def __repr__(self) -> str:
        return f"Company({self.realm_id!r}, {self.name!r}, {self.country!r})"


class CompanyRegistry:
    """Creates, finds and (optionally) persists companies."""

    def __init__(self, clock: Clock, path: str | None = None) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._companies: dict[str, Company] = {}
        self._file = CompanyFile(path) if path else None
        if self._file is not None:
            for realm_id, name, country in self._file.companies():
                company = Company(realm_id, name, country, self._file)
                company.store.load(self._file.rows(realm_id))
                self._companies[realm_id] = company

    def create(self, name: str, country: str = "US", preferences: dict | None = None) -> Company:
        """A new company with what QBO seeds (accounts, tax codes, items, preferences...)."""
        if not name or not str(name).strip():
            raise faults.required("name")
        if country not in seed.COUNTRIES:
            raise faults.validation(
                2010,
                "Request has invalid or unsupported property",
                f"country must be one of {', '.join(seed.COUNTRIES)}; got {country!r}",
                "country",
            )
        if preferences is not None and not isinstance(preferences, dict):
            raise faults.validation(
                2010,
                "Request has invalid or unsupported property",
                "preferences must be an object",
                "preferences",
            )
        with self._lock:
            realm_id = self._new_realm_id()
            if self._file is not None:
                self._file.add_company(realm_id, name, country)
            company = Company(realm_id, name, country, self._file)
            self._companies[realm_id] = company
        _seed(company, preferences, self.clock)
        return company

    def get(self, realm_id: str) -> Company | None:
        """The company, or None."""
        return self._companies.get(str(realm_id))

    def all(self) -> list[Company]:
        """Every company, oldest first."""
        return list(self._companies.values())

    def _new_realm_id(self) -> str:
        # Sandbox realm ids look like 9341453xxxxxxxxx: a fixed prefix and random digits.
        while True:
            realm_id = "9341453" + "".join(random.choices("0123456789", k=9))
            if realm_id not in self._companies:
                return realm_id


def _seed(company: Company, preferences: dict | None, clock: Clock) -> None:
    now = clock.now()
    stamp = values.timestamp(now)
    with company.writing() as store:
        top: dict[str, int] = {}
        for entity, obj in seed.all_entities(company.name, company.country, preferences, now):
            obj = {
                **obj,
                "domain": "QBO",
                "sparse": False,
                "SyncToken": "0",
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            store.put(entity, obj)
            store.log_change(now.timestamp(), entity, obj["Id"], "Create")
            if obj["Id"].isdigit():
                top[entity] = max(top.get(entity, 0), int(obj["Id"]))
        for entity, value in top.items():
            store.set_row(COUNTER, entity, value)
