"""Which of the platform's records belong to this installation: its subsidiary's.

An installation is bound to one subsidiary (``/initial/subsidiary``); another installation
of the same tenant may sync another subsidiary to another QuickBooks company. Its jobs therefore
export only the invoices, payments and customers of their own subsidiary, and the customers they
import from QuickBooks join it. Blank means the platform has no subsidiaries (or this
installation syncs them all): every record is this installation's.

The subsidiary picker (``x-options: "platform_subsidiaries"``) lists the platform's subsidiaries;
``core.subsidiaries`` keeps two installations from syncing one subsidiary to one company.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.connector import Option, OptionSource
from core.subsidiaries import SUBSIDIARY_SOURCE

if TYPE_CHECKING:
    from core.runner import JobContext

POINTER = "/initial/subsidiary"


class Scoped(Protocol):
    """A platform record that belongs to a subsidiary (customer, invoice, payment)."""

    @property
    def subsidiary_id(self) -> str | None: ...


class UnknownSubsidiary(Exception):
    """The configured subsidiary is not one of the platform's: nothing would ever sync."""


def subsidiary(ctx: JobContext) -> str:
    """The installation's subsidiary id; blank for all."""
    return str(ctx.config.get("initial", {}).get("subsidiary") or "")


def owns(ctx: JobContext, record: Scoped) -> bool:
    """Whether ``record`` is this installation's to sync."""
    mine = subsidiary(ctx)
    return not mine or record.subsidiary_id == mine


def subsidiary_of_new(ctx: JobContext) -> str | None:
    """The subsidiary a record created by this installation on the platform belongs to."""
    mine = subsidiary(ctx)
    if mine and mine not in {s.id for s in ctx.platform.subsidiaries()}:
        raise UnknownSubsidiary(
            f"{POINTER}: the platform has no subsidiary {mine!r}; choose one of its subsidiaries"
        )
    return mine or None


def platform_subsidiaries(ctx: JobContext) -> list[Option]:
    """The picker of ``/initial/subsidiary``: blank for all, then each subsidiary by name."""
    choices = [Option(value="", label="All (the platform has no subsidiaries)")]
    return choices + [Option(value=s.id, label=s.name) for s in ctx.platform.subsidiaries()]


SUBSIDIARIES = OptionSource(SUBSIDIARY_SOURCE, platform_subsidiaries)
