"""Shared fixtures of the control register's tests: moto's AWS emulator in server mode."""

from __future__ import annotations

import pytest
from moto.server import ThreadedMotoServer


@pytest.fixture(scope="module")
def endpoint():
    """One moto server per test module, reached through ``endpoint_url`` only (as boto3 reaches AWS)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
