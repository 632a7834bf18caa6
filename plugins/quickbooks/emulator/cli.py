"""``integrations qbo-emulator``: run the emulator in the foreground until Ctrl-C.

The QuickBooks plugin registers this command with the ``integrations`` CLI; it also runs on its
own as ``python -m plugins.quickbooks.emulator.cli``.
"""

from __future__ import annotations

import click

from .server import EmulatorServer
from .state import EmulatorState


@click.command("qbo-emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=5099,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="SQLite file keeping companies, apps and tokens across restarts (memory if omitted).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Emulated time runs this many times faster (token expiry, throttle windows).",
)
@click.option("--no-throttle", is_flag=True, help="Do not enforce QBO's rate limits.")
@click.option("--client-id", help="Register an app with this client id at start.")
@click.option("--client-secret", help="The registered app's client secret.")
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, help="A redirect URI of the app (repeatable)."
)
def qbo_emulator(
    host: str,
    port: int,
    data: str | None,
    time_scale: float,
    no_throttle: bool,
    client_id: str | None,
    client_secret: str | None,
    redirect_uris: tuple[str, ...],
) -> None:
    """Serve an offline QuickBooks Online API and Intuit OAuth server."""
    if bool(client_id) != bool(client_secret):
        raise click.UsageError("--client-id and --client-secret go together.")
    if redirect_uris and not client_id:
        raise click.UsageError("--redirect-uri needs --client-id and --client-secret.")
    state = EmulatorState.create(data=data, time_scale=time_scale, throttle=not no_throttle)
    if client_id and client_secret:
        state.auth.register_app(client_id, client_secret, list(redirect_uris))
    server = EmulatorServer(state, host=host, port=port)
    click.echo(f"QuickBooks Online emulator on {server.url}")
    click.echo(f"  discovery: {server.url}/.well-known/openid_sandbox_configuration/")
    click.echo(f"  API base:  {server.url}/v3")
    click.echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.close()


if __name__ == "__main__":
    qbo_emulator()
