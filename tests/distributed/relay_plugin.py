"""A connector the distributed tests load in real worker and scheduler processes.

Its ``tick`` job runs every minute and leaves one log line per execution, so a test can tell a
slot that was executed twice from one that has two run rows. Its ``slow`` job sleeps, long enough
for a test to kill the worker under it. Both log the worker's process id. The ``token`` is a
secret that must never reach the broker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from core import hookimpl
from core.connector import JobDefinition
from core.runner import JobContext

TOKEN = "relay-secret-token-5f1c9e"


@hookimpl
def connector_manifest() -> Mapping[str, Any]:
    return {
        "id": "relay",
        "name": "Relay",
        "version": "1.0.0",
        "category": "Developer Tools",
        "summary": "Runs a short job every minute and a slow one on request.",
        "host_versions": ">=0.1,<1",
    }


@hookimpl
def connector_config_schema() -> Mapping[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "work": {
                "type": "object",
                "title": "Work",
                "description": "What the jobs do and when.",
                "properties": {
                    "token": {"type": "string", "title": "Token", "writeOnly": True},
                    "label": {"type": "string", "default": "relay-label"},
                    "tick_cron": {"type": "string", "format": "cron", "default": "* * * * *"},
                    "slow_seconds": {"type": "number", "minimum": 0, "default": 6},
                },
                "required": ["token"],
            }
        },
    }


def tick(ctx: JobContext) -> None:
    """Reads one item and says which process executed it."""
    ctx.count("read")
    ctx.log.info("executed by process %d", os.getpid())


def slow(ctx: JobContext) -> None:
    """Sleeps ``slow_seconds``, then says which process executed it."""
    ctx.log.info("started by process %d", os.getpid())
    time.sleep(ctx.config["work"]["slow_seconds"])
    ctx.log.info("executed by process %d", os.getpid())


@hookimpl
def register_jobs(register: Callable[[JobDefinition], None]) -> None:
    register(JobDefinition(key="tick", title="Tick", run=tick, schedule_field="/work/tick_cron"))
    register(JobDefinition(key="slow", title="Slow", run=slow))
