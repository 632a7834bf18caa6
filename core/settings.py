"""Host settings, read from the environment once.

Everything a deployment changes is an ``INTEGRATIONS_*`` variable, so the embedded default needs
none of them and a production deployment sets them in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PLATFORM_ADAPTERS = ("embedded", "rest")


@dataclass(frozen=True)
class Settings:
    """The host's settings; ``from_env`` is the only constructor the product uses."""

    data_dir: Path
    database_url: str
    secret_keys: tuple[str, ...] = ()
    disabled_plugins: frozenset[str] = field(default_factory=frozenset)
    broker_url: str | None = None
    # INTEGRATIONS_PLATFORM_ADAPTER: "embedded" (the ledger in this database) or "rest"
    platform_adapter: str = "embedded"
    # INTEGRATIONS_DEMO_API_PASSWORD: the demo ledger API user's password (generated when unset)
    demo_api_password: str | None = None
    # Secure flag of the session cookie: None sets it except on requests to this machine.
    secure_cookies: bool | None = None
    runs: RunSettings = field(default_factory=lambda: RunSettings())

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("INTEGRATIONS_DATA_DIR", "var")).resolve()
        database_url = env.get("INTEGRATIONS_DATABASE_URL") or f"sqlite:///{data_dir / 'app.db'}"
        keys = tuple(
            k.strip() for k in env.get("INTEGRATIONS_SECRET_KEY", "").split(",") if k.strip()
        )
        disabled = frozenset(
            p.strip() for p in env.get("INTEGRATIONS_DISABLED_PLUGINS", "").split(",") if p.strip()
        )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_keys=keys,
            disabled_plugins=disabled,
            broker_url=env.get("INTEGRATIONS_BROKER_URL") or None,
            platform_adapter=env.get("INTEGRATIONS_PLATFORM_ADAPTER", "").strip() or "embedded",
            demo_api_password=env.get("INTEGRATIONS_DEMO_API_PASSWORD") or None,
            secure_cookies=_tristate(env, "INTEGRATIONS_SECURE_COOKIES"),
            runs=RunSettings.from_env(env),
        )

    def __post_init__(self) -> None:
        if self.platform_adapter not in PLATFORM_ADAPTERS:
            raise ValueError(
                f"INTEGRATIONS_PLATFORM_ADAPTER: {self.platform_adapter!r} is not one of "
                f"{', '.join(PLATFORM_ADAPTERS)}"
            )

    @property
    def key_file(self) -> Path:
        """Where the generated encryption keys live when none come from the environment."""
        return self.data_dir / "secret.key"


@dataclass(frozen=True)
class RunSettings:
    """How runs are executed and kept: the embedded pool, leases, retries and retention."""

    # INTEGRATIONS_RUN_WORKERS: threads of the embedded pool
    workers: int = 4
    # INTEGRATIONS_RUN_LEASE_SECONDS: a worker silent for this long is taken for dead
    lease_seconds: int = 60
    # INTEGRATIONS_RUN_MAX_ATTEMPTS: the first run plus the retries of interrupted runs
    max_attempts: int = 3
    # INTEGRATIONS_RUNS_KEEP_DAYS: finished runs older than this are pruned
    keep_days: int = 90
    # INTEGRATIONS_RUNS_KEEP_PER_JOB: the newest finished runs kept per installation and job
    keep_per_job: int = 200
    # INTEGRATIONS_SCHEDULE_SPREAD_SECONDS: the window default hourly schedules are spread over
    spread_seconds: int = 900

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RunSettings:
        return cls(
            workers=_int(env, "INTEGRATIONS_RUN_WORKERS", cls.workers, 1),
            lease_seconds=_int(env, "INTEGRATIONS_RUN_LEASE_SECONDS", cls.lease_seconds, 3),
            max_attempts=_int(env, "INTEGRATIONS_RUN_MAX_ATTEMPTS", cls.max_attempts, 1),
            keep_days=_int(env, "INTEGRATIONS_RUNS_KEEP_DAYS", cls.keep_days, 1),
            keep_per_job=_int(env, "INTEGRATIONS_RUNS_KEEP_PER_JOB", cls.keep_per_job, 1),
            spread_seconds=_int(env, "INTEGRATIONS_SCHEDULE_SPREAD_SECONDS", cls.spread_seconds, 0),
        )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    """A whole-number setting; a bad value stops start-up with the variable and the reason."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ValueError(f"{name}: {value} is below the minimum of {minimum}")
    return value


def _tristate(env: Mapping[str, str], name: str) -> bool | None:
    """``true``/``false`` (also 1/0, yes/no, on/off); unset, empty or ``auto`` is None."""
    raw = env.get(name, "").strip().lower()
    if raw in ("", "auto"):
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r}: use true, false or auto")
