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
    # the select-to-annotate panel only for a browser that opened server.panel_url (tests/test_panel.py)
    assert body.endswith(b'<script src="/__apparatus/live.js" defer></script>\n</body>\n</html>\n')
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
    assert events[0] == ("reload", {"urls": ["articles/alpha/", "articles/alpha/annotations.hypothesis.json"],
                                    "focus": ["articles/alpha/", "uyghur"]})  # the page and the article's own export
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


# --- hostile or careless clients (issue 14, finding 10) -------------------------------------------------------

def request(server: PreviewServer, path: str, host: str) -> tuple[int, bytes]:
    address, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(address), port, timeout=5)
    conn.request("GET", path, headers={"Host": host})
    r = conn.getresponse()
    return r.status, r.read()


def test_a_request_addressed_to_another_host_is_refused(server: PreviewServer) -> None:
    """DNS rebinding: a page of evil.example whose name now points here must not read the preview or its errors."""
    port = server.server_address[1]
    for path in ("/", "/articles/alpha/", "/__apparatus/events", "/__apparatus/live.js"):
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", f"127.0.0.1:{port + 1}"):
            assert request(server, path, host) == (
                403, b"forbidden: this preview answers only requests addressed to the host it serves "
                     b"(see build.py serve --allow-host)\n"), (path, host)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST.:{port}", f"[::1]:{port}", "localhost"):
        assert request(server, "/", host)[0] == 200, host


def test_which_hosts_are_answered() -> None:
    import socket

    from apparatus.server import HostCheck
    loopback = HostCheck.bound_to("127.0.0.1", 8000, ["preview.test"])
    assert [h for h in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "preview.test:8000", "localhost")
            if not loopback.allows(h)] == []
    assert [h for h in ("192.168.1.7:8000", "evil.example:8000", "preview.test:8001", "[::1", "", None,
                        socket.gethostname() + ":8000") if loopback.allows(h)] == []
    anywhere = HostCheck.bound_to("0.0.0.0", 8000)
    assert [h for h in ("192.168.1.7:8000", "10.0.0.2", "[fe80::1]:8000", f"{socket.gethostname()}:8000",
                        f"{socket.getfqdn()}:8000") if not anywhere.allows(h)] == []
    assert [h for h in ("evil.example:8000", "192.168.1.7:80", "192.168.1.7.nip.io:8000")
            if anywhere.allows(h)] == []


def test_allow_host_adds_a_name(tiny: Path) -> None:
    from apparatus.cli import _parser
    assert _parser().parse_args(["serve", "--allow-host", "preview.test", "--allow-host", "x.test"]).allow_host == [
        "preview.test", "x.test"]
    s, w = start(tiny, port=0, jobs=1, allow_hosts=["preview.test"])
    try:
        port = s.server_address[1]
        assert request(s, "/", f"preview.test:{port}")[0] == 200
        assert request(s, "/", f"other.test:{port}")[0] == 403
    finally:
        stop(s, w)


def test_half_sent_requests_hold_no_more_threads_than_the_pool(server: PreviewServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """200 connections that never finish their request: the server's threads stay within its pool."""
    import socket

    from apparatus import server as server_module
    monkeypatch.setattr(server_module._Handler, "timeout", 3.0)
    before = threading.active_count()
    address, port = server.server_address[:2]
    socks = []
    try:
        for _ in range(200):
            s = socket.create_connection((str(address), port), timeout=5)
            s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())  # no blank line: never complete
            socks.append(s)
        time.sleep(1.0)  # the server has accepted what it will
        assert threading.active_count() <= before + server_module.PAGE_THREADS
    finally:
        for s in socks:
            s.close()
    _wait(lambda: served(server, "/"), timeout=15)  # served again once the queue drains


def served(server: PreviewServer, path: str) -> bool:
    try:
        return get(server, path)[0] == 200
    except (http.client.HTTPException, ConnectionError):  # closed at once while the queue is full
        return False


def test_open_tabs_cannot_take_the_threads_pages_need(server: PreviewServer) -> None:
    """As many event streams as allowed stay open; one more gets 503; a page is still served."""
    from apparatus.server import EVENT_STREAMS, PAGE_THREADS
    address, port = server.server_address[:2]
    before = threading.active_count()
    streams = []
    for _ in range(EVENT_STREAMS):
        conn = http.client.HTTPConnection(str(address), port, timeout=5)
        conn.request("GET", "/__apparatus/events")
        assert conn.getresponse().status == 200
        streams.append(conn)
    assert get(server, "/__apparatus/events")[0] == 503
    status, _, body = get(server, "/articles/alpha/")
    assert status == 200 and b"</html>" in body
    assert threading.active_count() <= before + EVENT_STREAMS + PAGE_THREADS
    for conn in streams:
        conn.close()


def test_a_client_that_disconnects_mid_request_is_one_quiet_line(server: PreviewServer,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import re
    import socket
    import struct
    address, port = server.server_address[:2]
    for _ in range(5):
        s = socket.create_connection((str(address), port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
        s.sendall(f"GET /articles/alpha/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())  # half of it
        s.close()
    err = ""

    def five_lines() -> bool:
        nonlocal err
        err += capsys.readouterr().err
        return err.count("\n") >= 5
    _wait(five_lines)
    time.sleep(0.3)
    err += capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 5, err
    for line in lines:
        assert re.fullmatch(r"build\.py serve: 127\.0\.0\.1:\d+ disconnected mid-request "
                            r"\((ConnectionResetError|BrokenPipeError)\)", line), line


# --- background threads survive what they run (issue 14, finding 1) -------------------------------------------

def test_a_rebuild_that_raises_is_reported_to_the_browser_and_the_next_save_shows(
        server: PreviewServer, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = server.preview.rebuild
    calls = []

    def crash_once(paths: set[str]):  # type: ignore[no-untyped-def]
        calls.append(paths)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        return real(paths)
    monkeypatch.setattr(server.preview, "rebuild", crash_once)
    events: list[tuple[str, dict]] = []
    threading.Thread(target=read_events, args=(server, events, 3), daemon=True).start()
    time.sleep(0.3)
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()
    ann.write_text(text.replace("Arabic script.", "Arabic script, right to left."))
    _wait(lambda: len(events) >= 1)
    assert events[0] == ("errors", {"text": (
        "annotations/alpha.yaml:1:1: error: the preview could not rebuild after this change: "
        "RecursionError: maximum recursion depth exceeded\n"
        "  hint: fix the file and save again: the next save rebuilds everything")})
    ann.write_text(text.replace("Arabic script.", "Arabic script, written right to left."))
    _wait(lambda: len(events) >= 3)
    assert [name for name, _ in events[1:3]] == ["ok", "reload"]
    assert b"written right to left." in get(server, "/articles/alpha/")[2]


def test_a_background_render_that_raises_is_reported_and_the_loop_goes_on(
        server: PreviewServer, monkeypatch: pytest.MonkeyPatch) -> None:
    real = server.preview.render_pending
    calls = []

    def crash_once():  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a bug")
        return real()
    monkeypatch.setattr(server.preview, "render_pending", crash_once)
    seq = server.events.seq
    server._after_due.set()
    _wait(lambda: server.events.seq > seq)
    assert server.events.events[-1][1:] == ("errors", json.dumps({"text": (
        "build.py serve: error: refreshing the dependent pages or the search index failed: ValueError: a bug\n"
        "  hint: the preview keeps the last good pages and goes on; save again to retry")}))
    server._after_due.set()
    _wait(lambda: len(calls) == 2)


# --- serve's own lines escape what comes from input (review of issue 14) ------------------------------------

EVIL_NAME = "evil\x1b]0;PWNED\x07\n::error file=README.md::merge me.md"


def test_file_names_and_exception_texts_in_serves_lines_are_escaped(
        server: PreviewServer, tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file name holding ESC, BEL and a line break followed by a workflow command, and an exception text
    holding the same, are printed as one escaped line each: no terminal escape, no line a CI runner obeys."""
    capsys.readouterr()
    (tiny / "content" / EVIL_NAME).write_text("x")
    server.on_change({f"content/{EVIL_NAME}"})
    server.report(ValueError("bad\n::error::pwn\x1b[2J"), f"rebuilding after content/{EVIL_NAME}")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert not [line for line in err.splitlines() if line.startswith("::")], err
    assert "errors in content/evil\\x1b]0;PWNED\\x07\\n::error file=README.md::merge me.md (" in err
    assert ("build.py serve: error: rebuilding after content/evil\\x1b]0;PWNED\\x07\\n::error file=README.md::merge "
            "me.md failed: ValueError: bad\\n::error::pwn\\x1b[2J\n") in err
