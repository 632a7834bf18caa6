"""Running the emulator on waitress, in a background thread or in the foreground.

Waitress is a threaded production server, so concurrent clients (a sync job's workers, a
benchmark's threads) are served in parallel and the emulator is not the bottleneck of what it
measures. ``port=0`` picks a free port; ``.url`` says which.
"""

from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server

from .app import create_app
from .state import EmulatorState

THREADS = 16


class EmulatorServer:
    """One emulator listening on ``url``, serving ``state``."""

    def __init__(self, state: EmulatorState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._server = create_server(
            create_app(state), host=host, port=port, threads=THREADS, ident="qbo-emulator"
        )
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{self._server.effective_port}"
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` or Ctrl-C."""
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread and return at once."""
        self._thread = threading.Thread(target=self.serve_forever, name="qbo-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for the server thread, and release the state's files."""
        # Closing the sockets from the server's own loop avoids racing its select() call.
        server_map = self._server._map
        self._server.trigger.pull_trigger(lambda: wasyncore.close_all(server_map))
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.state.close()


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    data: str | None = None,
    time_scale: float = 1.0,
    throttle: bool = True,
) -> EmulatorServer:
    """Start an emulator in the background; ``data`` is its SQLite file (memory when None)."""
    state = EmulatorState.create(data=data, time_scale=time_scale, throttle=throttle)
    return EmulatorServer(state, host=host, port=port).start()
