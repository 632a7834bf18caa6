"""CompanyInfo and Preferences: one object each per company, read and updated, never created.

Both are updated with their SyncToken like any entity. Preferences are mostly read-only in QBO
and an update changes only what it names, so both full and sparse Preferences updates are
deep-merged over the current object [U: facts §3.11 do not say how a full update treats omitted
groups; merging is the reading that cannot silently reset the company's settings].
"""

from __future__ import annotations

from . import faults, rules
from .books import Books, Rules
from .seed import deep_merge

#: CompanyInfo fields a client may change; the rest (Country, NameValue, ...) are QBO's.
COMPANY_INFO_WRITABLE = frozenset(
    {
        "CompanyName",
        "LegalName",
        "CompanyAddr",
        "CustomerCommunicationAddr",
        "LegalAddr",
        "PrimaryPhone",
        "Email",
        "CustomerCommunicationEmailAddr",
        "WebAddr",
        "FiscalYearStartMonth",
        "CompanyStartDate",
    }
)


class CompanyInfoRules(Rules):
    """CompanyInfo: CompanyName required; QBO-owned fields are kept from the current object.

    Only ever updated (``old`` is the current object): :func:`.accounting.create` refuses
    singletons.
    """

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        changes = {key: value for key, value in body.items() if key in COMPANY_INFO_WRITABLE}
        obj = {**rules.without(old or {}, rules.SERVER_FIELDS), **changes}
        if not obj.get("CompanyName"):
            raise faults.required("CompanyName")
        rules.check_lengths(obj, {"CompanyName": 1024, "LegalName": 1024})
        return obj


class PreferencesRules(Rules):
    """Preferences: the request's groups are deep-merged over the current preferences."""

    def prepare(self, books: Books, body: dict, old: dict | None, include: set[str]) -> dict:
        return deep_merge(
            rules.without(old or {}, rules.SERVER_FIELDS), rules.without(body, rules.SERVER_FIELDS)
        )
