"""Run singer-io's tap-quickbooks against the emulator instead of Intuit.

The tap has no option for its endpoints: they are module constants in ``tap_quickbooks.client``
(qbo-facts §10.3). This script, run with the tap's own interpreter (``.venv-tap``, since the tap
pins dependencies our main environment cannot hold), points those constants at the emulator and
then hands the command line to the tap's ``main()`` unchanged::

    QBO_EMULATOR_API_BASE=http://127.0.0.1:8765 \
    QBO_EMULATOR_TOKEN_URL=http://127.0.0.1:8765/oauth2/v1/tokens/bearer \
    OAUTHLIB_INSECURE_TRANSPORT=1 \
    .venv-tap/bin/python tests/emulator/tap_runner.py --config config.json --discover

Nothing else of the tap is changed, so what it sends is what it would send to Intuit.
"""

import os
import sys


def main() -> None:
    """Patch the tap's endpoint constants from the environment, then run the tap."""
    from tap_quickbooks import client

    api_base = os.environ["QBO_EMULATOR_API_BASE"].rstrip("/")
    client.PROD_ENDPOINT_BASE = api_base
    client.SANDBOX_ENDPOINT_BASE = api_base
    client.TOKEN_REFRESH_URL = os.environ["QBO_EMULATOR_TOKEN_URL"]

    import tap_quickbooks

    sys.argv[0] = "tap-quickbooks"
    tap_quickbooks.main()


if __name__ == "__main__":
    main()
