"""The preview server: serves the in-memory build, pushes reloads and errors over Server-Sent Events.

Only what the last good build holds is served (there is no file-system path to traverse), on
127.0.0.1 unless told otherwise. HTML responses get the live-reload script injected here, so the
built site never contains it. A change set from the watcher rebuilds, then every connected browser
hears ``reload`` (with the changed URLs and the note to show), or ``errors`` with the same
``path:line:col`` messages as the CLI; the fix brings ``ok`` and a reload. A rebuild or a background
render that raises is reported the same way, and the next save is a full build.

Hostile pages in the browser, and clients that misbehave, get nothing and hold nothing:
- the ``Host`` header must name the address the server is bound to (see :class:`HostCheck`), so a
  page on another site cannot read the preview through DNS rebinding;
- requests are served by a fixed pool of PAGE_THREADS threads, with at most WAITING connections
  queued (beyond that a connection is closed at once); each connection carries one request (no
  keep-alive: an idle browser connection would hold a thread), and one that stays silent for
  REQUEST_TIMEOUT seconds is closed;
- the live-reload event streams (one per open tab) run on threads of their own, EVENT_STREAMS at
  most (beyond that, 503), so open tabs never take the threads pages need;
- a client that disconnects mid-request is one quiet line on stderr, not a traceback;
- the select-to-annotate endpoints, the only requests that write a file, are :mod:`apparatus.panel`'s: on
  loopback only, through no proxy, from a browser that opened the address with the token (:attr:`panel_url`,
  which sets a cookie), each with the page's token, JSON POSTs from the preview's own pages only.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import http.server
import ipaddress
import json
import mimetypes
import posixpath
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from . import panel
from .engine import Engine
from .errors import printable
from .preview import Outcome
from .watch import guarded

LIVE_JS = (Path(__file__).parent / "live.js").read_bytes()
INJECT = b'<script src="/__apparatus/live.js" defer></script>'
EVENTS = "/__apparatus/events"
SETTLE = 0.1  # seconds between announcing a changed page and rendering the pages that depend on it
PAGE_THREADS = 16  # requests served at once
WAITING = 64  # accepted connections waiting for a page thread; beyond, a new connection is closed at once
EVENT_STREAMS = 32  # live-reload event streams (open tabs) at once, on threads of their own; beyond, 503
REQUEST_TIMEOUT = 10.0  # seconds a connection may stay silent (idle, or half-sent) before it is closed
LOOPBACK = ("localhost", "127.0.0.1", "::1")
WILDCARD = ("", "0.0.0.0", "::")  # noqa: S104 - the addresses that mean "every interface"
DROPPED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclasses.dataclass(frozen=True)
class HostCheck:
    """Which ``Host`` headers the server answers: the loopback names, the address it is bound to, the
    names given with --allow-host and, when bound to every interface, any IP address and this
    machine's own names. A port, when given, must be the server's."""

    names: frozenset[str]
    port: int
    any_ip: bool

    @classmethod
    def bound_to(cls, host: str, port: int, allow: Iterable[str] = ()) -> HostCheck:
        wildcard = host in WILDCARD
        names = {*LOOPBACK, host, *allow, *((socket.gethostname(), socket.getfqdn()) if wildcard else ())}
        return cls(frozenset(n.strip("[]").rstrip(".").lower() for n in names if n not in WILDCARD), port, wildcard)

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        name, port = _split_host(header.strip())
        if port is not None and port != str(self.port):
            return False
        name = name.rstrip(".").lower()
        if name in self.names:
            return True
        if self.any_ip:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


def _split_host(header: str) -> tuple[str, str | None]:
    """``name``, ``name:port``, ``[v6]`` or ``[v6]:port`` → (name, port or None)."""
    if header.startswith("["):
        end = header.find("]")
        rest = header[end + 1:]
        return header[1:end], rest[1:] if rest.startswith(":") else (None if not rest else "?")
    name, colon, port = header.partition(":")
    return name, port if colon else None


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


class PreviewServer(http.server.HTTPServer):
    allow_reuse_address = True
    request_queue_size = WAITING

    def __init__(self, preview: Engine, host: str = "127.0.0.1", port: int = 8000, allow_hosts: Iterable[str] = (),
                 root: Path | None = None):
        self.preview = preview
        self.events = Broadcaster()
        self.stopping = threading.Event()
        self.showing_errors = preview.failed
        self._after_due = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(PAGE_THREADS, thread_name_prefix="apparatus-page")
        self._slots = threading.BoundedSemaphore(PAGE_THREADS + WAITING)  # served + waiting connections
        self.streams = threading.BoundedSemaphore(EVENT_STREAMS)
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        self.hosts = HostCheck.bound_to(host, self.server_address[1], allow_hosts)
        self.panel = (panel.Panel(root, str(self.server_address[0]), self.server_address[1])  # select to annotate
                      if root is not None else None)
        threading.Thread(target=self._after_loop, name="apparatus-after", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host!s}]:{port}/" if ":" in str(host) else f"http://{host!s}:{port}/"

    @property
    def panel_url(self) -> str:
        """The address to open: with the token that signs a browser in to the select-to-annotate panel, when the
        panel is on (:mod:`apparatus.panel`)."""
        if self.panel is None or not self.panel.on:
            return self.url
        return f"{self.url}?{panel.URL_TOKEN}={self.panel.url_token}"

    # -- connections: a bounded pool ------------------------------------------------------------------------
    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        """Hand the connection to the pool (the accepting thread never waits); refuse it when the pool's
        queue is full."""
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            self._pool.submit(self._serve_connection, request, client_address)
        except RuntimeError:  # the pool was shut down: the server is stopping
            self._slots.release()
            self.shutdown_request(request)

    def _serve_connection(self, request: socket.socket, client_address: object) -> None:
        streaming = False
        try:
            streaming = _Handler(request, client_address, self).streaming
        except Exception:  # noqa: BLE001 - reported by handle_error; the pool thread carries on
            self.handle_error(request, client_address)
        finally:
            if not streaming:  # an event stream's thread closes its own connection
                self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client gone mid-request is one quiet line; anything else is a bug: its traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, DROPPED):
            sys.stderr.write(f"build.py serve: {_address(client_address)} disconnected mid-request "
                             f"({type(exc).__name__})\n")  # one write: lines of other threads do not cut in
        else:
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- rebuilds -------------------------------------------------------------------------------------------
    def on_change(self, paths: set[str]) -> None:
        """Called by the watcher with a debounced change set."""
        started = time.perf_counter()
        try:
            outcome = self.preview.rebuild(paths)
        except Exception as exc:  # noqa: BLE001 - a bug or an input the checks missed: reported, the preview goes on
            outcome = self.preview.crashed(exc, min(paths))
        self._announce(outcome)
        took = (time.perf_counter() - started) * 1000
        print(f"{'rebuilt' if outcome.ok else 'errors in'} {printable(', '.join(sorted(paths)))} ({took:.0f} ms)",
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
                guarded(self.report, exc, "refreshing the dependent pages or the search index")

    def report(self, exc: BaseException, what: str) -> None:
        """An exception in a background thread: on stderr, and to every browser as an error; the thread goes on."""
        text = (f"build.py serve: error: {printable(what)} failed: {type(exc).__name__}: {printable(str(exc))}\n"
                "  hint: the preview keeps the last good pages and goes on; save again to retry")
        self.showing_errors = True
        self.events.send("errors", {"text": text})
        print(text, file=sys.stderr)

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


def _address(client_address: object) -> str:
    if isinstance(client_address, tuple) and len(client_address) >= 2:
        host, port = client_address[:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    timeout = REQUEST_TIMEOUT  # on the socket: a silent or half-sent request frees its thread
    streaming = False  # True once the connection was handed to an event stream's thread

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        if not self._host_allowed(head):
            return None
        path = urllib.parse.urlsplit(self.path).path
        if path == EVENTS:
            return self._events()
        if path == "/__apparatus/live.js":
            return self._send(200, "text/javascript; charset=utf-8", LIVE_JS, head)
        annotator = self.server.panel
        signed = annotator.sign_in(self.client_address, self.headers, self.path) if annotator is not None else None
        if signed is not None:  # the token's address: the cookie, and the same address without the token
            return self._redirect(*signed)
        annotating = annotator is not None and annotator.signed_in(self.client_address, self.headers)
        if path == panel.SCRIPT_PATH and annotating:
            return self._send(200, "text/javascript; charset=utf-8", panel.SCRIPT, head)
        if path.startswith(panel.PREFIX):
            return self._annotate(head)
        rel = posixpath.normpath(urllib.parse.unquote(path)).lstrip("/")
        if rel in (".", ""):
            rel = ""
        if rel.startswith("..") or "\x00" in rel:
            return self._send(404, "text/plain; charset=utf-8", b"not found\n", head)
        files = self.server.preview.files  # updated in place by saves: each lookup sees a page whole, old or new
        key = rel + "/index.html" if rel else "index.html"
        if path.endswith("/") or not rel:
            body = files.get(key)
        elif key in files:  # a folder asked for without its slash
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return None
        else:
            body, key = files.get(rel), rel
        if body is None:
            return self._send(404, "text/html; charset=utf-8", _not_found(self.server.preview.failed), head)
        ctype = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if ctype == "text/html":
            tag = annotator.script_tag(key) if annotating and annotator is not None else b""
            body = body.replace(b"</body>", INJECT + tag + b"\n</body>", 1)
            ctype += "; charset=utf-8"
        elif ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        return self._send(200, ctype, body, head)

    def do_POST(self) -> None:  # noqa: N802
        if self._host_allowed():
            self._annotate()

    def _host_allowed(self, head: bool = False) -> bool:
        """Whether the Host header names this server (else the request is refused here)."""
        if self.server.hosts.allows(self.headers.get("Host")):
            return True
        self._send(403, "text/plain; charset=utf-8", b"forbidden: this preview answers only requests addressed to "
                   b"the host it serves (see build.py serve --allow-host)\n", head)
        return False

    def _annotate(self, head: bool = False) -> None:
        """A request to the select-to-annotate endpoints (apparatus.panel), answered in JSON."""
        path = urllib.parse.urlsplit(self.path).path
        try:
            if self.server.panel is None:
                reply = panel.refusal(404, "select to annotate is off in this server")
            elif self.command == "POST":
                reply = self.server.panel.post(self.client_address, path, self.headers, self.rfile.read)
            else:
                reply = self.server.panel.get(self.client_address, self.path, self.headers)
        except DROPPED:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: said in the panel and on stderr, and the server goes on
            what = f"{type(exc).__name__}: {exc}"
            print(f"build.py serve: error: the annotate request failed: {printable(what)}", file=sys.stderr)
            reply = panel.refusal(500, f"the preview failed: {what}",
                                  "report this as a bug; copy the snippet meanwhile")
        self._send(reply.status, "application/json", reply.data, head)

    def _redirect(self, location: str, cookie: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")  # the address held the token
        self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, code: int, ctype: str, body: bytes, head: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")  # an idle browser connection would hold a page thread
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        """Start an event stream on a thread of its own (the page threads stay free), if there is room."""
        if not self.server.streams.acquire(blocking=False):
            return self._send(503, "text/plain; charset=utf-8", b"too many live-reload connections\n")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "keep-alive")
            self.end_headers()
            first = b"retry: 500\n\n"
            if self.server.preview.failed:  # a browser that connects while the build is broken sees why
                text = "\n".join(d.format() for d in self.server.preview.diagnostics if d.is_error)
                first += f"event: errors\ndata: {json.dumps({'text': text})}\n\n".encode()
            seen = self.server.events.seq
            threading.Thread(target=_stream, args=(self.server, self.request, first, seen),
                             name="apparatus-events", daemon=True).start()
        except BaseException:
            self.server.streams.release()
            raise
        self.streaming = True
        self.close_connection = True


def _stream(server: PreviewServer, sock: socket.socket, first: bytes, seen: int) -> None:
    """One browser's event stream, until it goes away or the server stops."""
    try:
        sock.sendall(first)
        while not server.stopping.is_set():
            batch = server.events.wait(seen, timeout=10)
            out = b"" if batch else b": keep-alive\n\n"
            for seq, name, data in batch:
                out += f"event: {name}\ndata: {data}\n\n".encode()
                seen = seq
            sock.sendall(out)
    except OSError:
        pass  # the tab was closed or reloaded: it reconnects on its own
    finally:
        server.shutdown_request(sock)
        server.streams.release()


def _not_found(failed: bool) -> bytes:
    extra = " The build has errors: see the terminal." if failed else ""
    return (f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Not found</title>"
            f"<p>Nothing here.{extra} <a href=/>Home</a></p></html>").encode()
