"""Real-browser fixtures: Playwright driving Debian's Chromium, or the one APPARATUS_CHROMIUM names (never a
downloaded browser).

Pages are served from a built site over a loopback HTTP server, so they load as a reader's would.
A missing Chromium fails these tests, with how to install it (tools.require_chromium); ``make test-fast``
deselects them. Every test that uses the ``browser`` fixture is marked ``browser`` (conftest.py).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tools import CHROMIUM, require, require_chromium

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve folder on 127.0.0.1 on a free port; returns (server, base URL). Call server.shutdown(), then
    server.server_close()."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
