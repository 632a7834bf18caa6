"""Host settings, read from the environment once.

Everything a deployment changes is an ``INTEGRATIONS_*`` variable, so the embedded default needs
none of them and a production deployment sets them in one place.
"""

from __future__ import annotations

import os
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
