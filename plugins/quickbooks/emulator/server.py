"""Running the emulator on waitress, in a background thread or in the foreground.

Waitress is a threaded production server, so concurrent clients (a sync job's workers, a
benchmark's threads) are served in parallel and the emulator is not the bottleneck of what it
measures. ``port=0`` picks a free port; ``.url`` says which.

Stopping is ordered so nothing touches a closed file descriptor: waitress's worker threads wake
the serving loop by writing to a pipe (its "trigger"), so the workers are finished first, while
the loop still runs to flush their replies; only then does the loop close every socket and the
trigger from its own thread, and leave. :meth:`EmulatorServer.stop` may be called any number of
times, from any thread, before or after the server thread started.
"""

from __future__ import annotations

import logging
import threading

from waitress import wasyncore
from waitress.server import create_server

from .app import create_app
from .state import EmulatorState

THREADS = 16
#: How long stop() waits for requests in flight, then for the serving loop, in seconds.
STOP_TIMEOUT = 10.0

logger = logging.getLogger(__name__)


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
        self._lock = threading.Lock()
        self._stopped = False

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` or Ctrl-C."""
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread and return at once."""
        with self._lock:
            if self._stopped or self._thread is not None:
                raise RuntimeError("an emulator server starts once, and not after stop()")
            self._thread = threading.Thread(
                target=self.serve_forever, name="qbo-emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for the server thread, and release the state's files.

        Requests in flight are answered first (a held ``timeout`` fault answers at once);
        calling it again does nothing.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            thread = self._thread
        self.state.stopping.set()
        dispatcher = self._server.task_dispatcher
        # Workers may wait for the loop to flush a large reply, so the loop keeps running here.
        dispatcher.shutdown(cancel_pending=True, timeout=STOP_TIMEOUT)
        if thread is not None and thread.is_alive():
            self._server.trigger.pull_trigger(self._close_sockets)
            thread.join(timeout=STOP_TIMEOUT)
        else:
            self._close_sockets()
        self.state.close()

    def _close_sockets(self) -> None:
        """Close the listening socket, every connection and, once no worker is left, the trigger.

        Runs in the serving loop's thread (or instead of it): the loop ends when its map is
        empty. A worker still running past the timeout might yet pull the trigger, so its pipe
        is then left open rather than closed under it (its descriptor could be reused).
        """
        server_map = self._server._map
        trigger = self._server.trigger
        for channel in list(server_map.values()):
            if channel is not trigger:
                _close_quietly(channel)
        if self._server.task_dispatcher.threads:
            logger.warning("qbo-emulator: a request outlived stop(); its wake-up pipe stays open")
            trigger.del_channel()
        else:
            _close_quietly(trigger)
        server_map.clear()


def _close_quietly(channel: wasyncore.dispatcher) -> None:
    """Close one socket of the loop; one already closed by its peer is not an error."""
    try:
        channel.close()
    except OSError as error:
        logger.debug("qbo-emulator: closing %r: %s", channel, error)


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
