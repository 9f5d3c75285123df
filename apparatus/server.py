"""The preview server: serves the in-memory build, pushes reloads and errors over Server-Sent Events.

Only what the last good build holds is served (there is no file-system path to traverse), on
127.0.0.1 unless told otherwise. HTML responses get the live-reload script injected here, so the
built site never contains it. A change set from the watcher rebuilds, then every connected browser
hears ``reload`` (with the changed URLs and the note to show), or ``errors`` with the same
``path:line:col`` messages as the CLI; the fix brings ``ok`` and a reload.
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import posixpath
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .preview import Outcome, Preview

LIVE_JS = (Path(__file__).parent / "live.js").read_bytes()
INJECT = b'<script src="/__apparatus/live.js" defer></script>'
EVENTS = "/__apparatus/events"
SETTLE = 0.1  # seconds between announcing a changed page and rendering the pages that depend on it


class Broadcaster:
    """The latest event, numbered; SSE handlers wait for a newer one."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.seq = 0
        self.events: list[tuple[int, str, str]] = []

    def send(self, name: str, data: dict[str, object]) -> None:
        with self.cond:
            self.seq += 1
            self.events = [*self.events[-31:], (self.seq, name, json.dumps(data, sort_keys=True))]
            self.cond.notify_all()

    def wait(self, after: int, timeout: float) -> list[tuple[int, str, str]]:
        with self.cond:
            self.cond.wait_for(lambda: self.seq > after, timeout=timeout)
            return [e for e in self.events if e[0] > after]


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, preview: Preview, host: str = "127.0.0.1", port: int = 8000):
        self.preview = preview
        self.events = Broadcaster()
        self.stopping = threading.Event()
        self.showing_errors = preview.failed
        self._after_due = threading.Event()
        super().__init__((host, port), _Handler)
        threading.Thread(target=self._after_loop, name="apparatus-after", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def on_change(self, paths: set[str]) -> None:
        """Called by the watcher with a debounced change set."""
        started = time.perf_counter()
        outcome = self.preview.rebuild(paths)
        self._announce(outcome)
        took = (time.perf_counter() - started) * 1000
        print(f"{'rebuilt' if outcome.ok else 'errors in'} {', '.join(sorted(paths))} ({took:.0f} ms)",
              file=sys.stderr)
        if outcome.ok:
            self._after_due.set()

    def _after_loop(self) -> None:
        """The dependent pages, then the search index: after the reader's page, one at a time, never in the
        way of the next save (each runs in a forked process; a burst of saves is handled once)."""
        while not self.stopping.is_set():
            if not self._after_due.wait(timeout=1):
                continue
            self._after_due.clear()
            time.sleep(SETTLE)  # let browsers fetch the changed page first
            try:
                outcome = self.preview.render_pending()
                while outcome.ok and outcome.later is not None and not self._after_due.is_set():
                    self._announce(outcome)
                    outcome = self.preview.render_pending()
                self._announce(outcome)
                if outcome.ok and not self._after_due.is_set():
                    self.preview.refresh_search()
            except Exception as exc:  # noqa: BLE001 - a bug here must not end the refreshes for the session
                print(f"build.py serve: the dependent pages or the search index could not be refreshed: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)

    def _announce(self, outcome: Outcome) -> None:
        # a background render that ends well does not clear the errors of a save made meanwhile
        if outcome.ok and self.showing_errors and not self.preview.failed:
            self.showing_errors = False
            self.events.send("ok", {})
        if outcome.ok and not outcome.urls:
            return  # saved without a change that shows
        if outcome.ok:
            self.events.send("reload", {"urls": sorted(outcome.urls), "focus": list(outcome.focus or []) or None})
        else:
            text = "\n".join(d.format() for d in outcome.diagnostics if d.is_error)
            self.showing_errors = True
            self.events.send("errors", {"text": text})
            print(text, file=sys.stderr)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path == EVENTS:
            return self._events()
        if path == "/__apparatus/live.js":
            return self._send(200, "text/javascript; charset=utf-8", LIVE_JS, head)
        rel = posixpath.normpath(urllib.parse.unquote(path)).lstrip("/")
        if rel in (".", ""):
            rel = ""
        if rel.startswith("..") or "\x00" in rel:
            return self._send(404, "text/plain; charset=utf-8", b"not found\n", head)
        files = self.server.preview.files  # one consistent snapshot
        key = rel + "/index.html" if rel else "index.html"
        if path.endswith("/") or not rel:
            body = files.get(key)
        elif key in files:  # a folder asked for without its slash
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        else:
            body, key = files.get(rel), rel
        if body is None:
            return self._send(404, "text/html; charset=utf-8", _not_found(self.server.preview.failed), head)
        ctype = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if ctype == "text/html":
            body = body.replace(b"</body>", INJECT + b"\n</body>", 1)
            ctype += "; charset=utf-8"
        elif ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        return self._send(200, ctype, body, head)

    def _send(self, code: int, ctype: str, body: bytes, head: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        events = self.server.events
        seen = events.seq
        try:
            self.wfile.write(b"retry: 500\n\n")
            if self.server.preview.failed:  # a browser that connects while the build is broken sees why
                text = "\n".join(d.format() for d in self.server.preview.diagnostics if d.is_error)
                self.wfile.write(f"event: errors\ndata: {json.dumps({'text': text})}\n\n".encode())
            self.wfile.flush()
            while not self.server.stopping.is_set():
                batch = events.wait(seen, timeout=10)
                if not batch:
                    self.wfile.write(b": keep-alive\n\n")
                for seq, name, data in batch:
                    self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
                    seen = seq
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def _not_found(failed: bool) -> bytes:
    extra = " The build has errors: see the terminal." if failed else ""
    return (f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Not found</title>"
            f"<p>Nothing here.{extra} <a href=/>Home</a></p></html>").encode()
