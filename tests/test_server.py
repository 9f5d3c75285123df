"""The preview server in process: pages from memory with the reload script, SSE events, no traversal."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apparatus.serve import start, stop
from apparatus.server import PreviewServer


@pytest.fixture
def server(tiny: Path) -> Iterator[PreviewServer]:
    s, w = start(tiny, port=0, jobs=1)
    yield s
    stop(s, w)


def get(server: PreviewServer, path: str) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def test_serves_pages_with_the_reload_script_injected(server: PreviewServer, tiny: Path) -> None:
    status, headers, body = get(server, "/articles/alpha/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script src="/__apparatus/live.js" defer></script>\n</body>' in body
    assert get(server, "/articles/alpha")[0] == 301
    assert get(server, "/static/style.css")[1]["Content-Type"] == "text/css; charset=utf-8"
    assert get(server, "/__apparatus/live.js")[0] == 200


def test_only_the_build_is_served(server: PreviewServer) -> None:
    for path in ("/../site.yaml", "/%2e%2e/site.yaml", "/content/alpha.md", "/annotations/alpha.yaml",
                 "/../../etc/passwd", "/nothing/"):
        assert get(server, path)[0] == 404, path


def test_the_built_site_never_contains_the_preview_script(tiny: Path) -> None:
    from conftest import run
    assert run(tiny, "build").code == 0
    for page in (tiny / "_site").rglob("*.html"):
        assert b"__apparatus" not in page.read_bytes()


def read_events(server: PreviewServer, out: list[tuple[str, dict]], stop_after: int) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request("GET", "/__apparatus/events")
    r = conn.getresponse()
    name = None
    while len(out) < stop_after:
        line = r.fp.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            out.append((name, json.loads(line[6:])))


def test_a_save_sends_reload_then_a_bad_save_sends_errors_then_ok(server: PreviewServer, tiny: Path) -> None:
    events: list[tuple[str, dict]] = []
    t = threading.Thread(target=read_events, args=(server, events, 4), daemon=True)
    t.start()
    time.sleep(0.3)
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()
    ann.write_text(text.replace("Arabic script.", "Arabic script, right to left."))
    _wait(lambda: len(events) >= 1)
    assert events[0] == ("reload", {"urls": ["articles/alpha/"], "focus": ["articles/alpha/", "uyghur"]})
    assert b"right to left." in get(server, "/articles/alpha/")[2]
    ann.write_text(text.replace("    type: correction\n", "    type: corection\n", 1))
    _wait(lambda: len(events) >= 2)
    assert events[1][0] == "errors"
    assert events[1][1]["text"].startswith("annotations/alpha.yaml:3:11: error: 'type' 'corection' is not one of")
    assert b"right to left." in get(server, "/articles/alpha/")[2], "the last good page stays served"
    ann.write_text(text)
    _wait(lambda: len(events) >= 4)
    assert [e[0] for e in events[2:4]] == ["ok", "reload"]
    t.join(timeout=5)


def _wait(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_a_background_render_that_ends_well_keeps_the_errors_of_a_save_made_meanwhile(
        server: PreviewServer, tiny: Path) -> None:
    from apparatus.preview import Outcome

    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("type: correction", "type: corection", 1))
    server.on_change({"annotations/alpha.yaml"})
    assert server.preview.failed and server.showing_errors
    seq = server.events.seq
    server._announce(Outcome(True, {"records/"}, []))  # dependent pages of an earlier save, rendered meanwhile
    assert [name for n, name, _ in server.events.events if n > seq] == ["reload"]  # no "ok": the errors stay
    assert server.showing_errors
