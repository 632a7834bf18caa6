"""Everything one running emulator knows, in one object the app and its blueprints share."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from .auth import AuthRegistry
from .clock import Clock
from .companies import CompanyRegistry
from .id_token import IdTokenSigner
from .injection import FaultInjector
from .request_log import RequestLog
from .throttle import Limiter

EXTENSION_KEY = "qbo_emulator"


@dataclass
class EmulatorState:
    """Companies, OAuth records, and the gate's throttle, planned faults and request log.

    ``throttle`` is None when throttling is off (``--no-throttle``); ``stopping`` is set when
    the server stops, so a request held on purpose (a ``timeout`` fault) answers at once.
    """

    clock: Clock
    companies: CompanyRegistry
    auth: AuthRegistry
    throttle: Limiter | None
    faults: FaultInjector
    request_log: RequestLog
    signer: IdTokenSigner
    stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def create(
        cls, data: str | None = None, time_scale: float = 1.0, throttle: bool = True
    ) -> EmulatorState:
        """A fresh state; ``data`` is the SQLite file to persist to (memory when None)."""
        clock = Clock(time_scale)
        return cls(
            clock=clock,
            companies=CompanyRegistry(clock, path=data),
            auth=AuthRegistry(clock, path=data),
            throttle=Limiter(clock) if throttle else None,
            faults=FaultInjector(),
            request_log=RequestLog(),
            signer=IdTokenSigner(),
        )

    def close(self) -> None:
        """Release the persistence files."""
        self.auth.close()


def current_state() -> EmulatorState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
