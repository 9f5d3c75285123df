"""build.py links (issue 16): each record's url and archive_url asked over HTTP, against a local http.server (no
network in tests); a dead address is a warning at its line, never a failed exit."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run

from apparatus import linkcheck


class _Handler(http.server.BaseHTTPRequestHandler):
    """/ok answers 200; /moved redirects to /ok; /no-head refuses HEAD (405) but answers GET; anything else 404."""

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/no-head":
            self._answer(405)
        else:
            self._route()

    def do_GET(self) -> None:  # noqa: N802
        self._route()

    def _route(self) -> None:
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._answer(200 if self.path in ("/ok", "/no-head") else 404)

    def _answer(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_probe(server: str) -> None:
    assert linkcheck.probe(f"{server}/ok") == linkcheck.Answer(f"{server}/ok", True, "200 OK")
    assert linkcheck.probe(f"{server}/moved").ok
    assert linkcheck.probe(f"{server}/no-head").status == "200 OK"  # GET after HEAD's 405
    assert linkcheck.probe(f"{server}/gone") == linkcheck.Answer(f"{server}/gone", False, "404 Not Found")


def test_a_silent_server_times_out() -> None:
    """A server that accepts the connection and never answers: the request gives up after its timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://localhost:{listener.getsockname()[1]}/x"
        answer = linkcheck.probe(url, timeout=0.2)
    assert answer == linkcheck.Answer(url, False, "timed out after 0.2 s")


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and nothing listens on it once closed
    answer = linkcheck.probe(f"http://localhost:{port}/x", timeout=2)
    assert not answer.ok and answer.status.startswith("unreachable (")


def test_links_command_warns_at_each_dead_address(tiny: Path, server: str) -> None:
    registry = tiny / "annotations" / "_records.yaml"
    text = registry.read_text(encoding="utf-8").replace("https://example.org/hrc46", f"{server}/no-head")
    text = text.replace("    note: No online copy was located.\n",
                        f"    url: {server}/gone\n    accessed: 2026-11-22\n")
    registry.write_text(text, encoding="utf-8")
    result = run(tiny, "links")
    assert result.code == 0, result.err  # never a gate
    assert result.out == "asked 2 addresses: 1 answered, 1 did not\n"
    assert result.err.splitlines()[0] == ("annotations/_records.yaml:15:10: warning: record 'ca-vote': url answered "
                                          "404 Not Found")
    assert "hint: open it in a browser: if the record has moved, update url: and accessed:" in result.err


def test_links_command_asks_nothing_when_the_registry_is_broken(tiny: Path) -> None:
    registry = tiny / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("kind: un", "kind: unn"), encoding="utf-8")
    result = run(tiny, "links")
    assert result.code == 1
    assert "error: 'kind' 'unn' is not one of" in result.err


def test_links_command_asks_each_language_version(tiny: Path, server: str) -> None:
    registry = tiny / "annotations" / "_records.yaml"
    text = registry.read_text(encoding="utf-8").replace("https://example.org/hrc46", f"{server}/ok")
    text = text.replace("    accessed: 2026-11-22\n",
                        f"    accessed: 2026-11-22\n    versions:\n      fr: {server}/ok\n      zh: {server}/gone\n", 1)
    registry.write_text(text, encoding="utf-8")
    result = run(tiny, "links")
    assert result.code == 0, result.err
    assert result.out == "asked 3 addresses: 2 answered, 1 did not\n"
    assert result.err.splitlines()[0] == ("annotations/_records.yaml:12:11: warning: record 'hrc46-speech': the zh "
                                          "version answered 404 Not Found")
    assert "remove it from versions:" in result.err
