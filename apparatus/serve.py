"""``build.py serve``: build in memory, serve on loopback, rebuild what a save touches, reload browsers."""

from __future__ import annotations

import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from .engine import Engine
from .server import PreviewServer
from .watch import Watcher


def start(root: Path, host: str = "127.0.0.1", port: int = 0, jobs: int | None = None,
          quiet: float = 0.015, allow_hosts: Sequence[str] = (), panel: bool = True) -> tuple[PreviewServer, Watcher]:
    """Build (in the engine process), then serve and watch in background threads (used by the CLI and by
    tests). ``panel``: the select-to-annotate panel (on loopback only, whatever this says)."""
    started = time.perf_counter()
    preview = Engine(root, jobs)
    outcome = preview.first.result()
    if outcome.ok:
        print(f"built {preview.articles} articles in memory in {time.perf_counter() - started:.2f} s",
              file=sys.stderr)
    else:
        print("\n".join(d.format() for d in outcome.diagnostics), file=sys.stderr)
        print("the build has errors: fix them and save; the browser shows them too", file=sys.stderr)
    try:
        server = PreviewServer(preview, host, port, allow_hosts, root if panel else None)
    except BaseException:
        preview.close()
        raise
    threading.Thread(target=server.serve_forever, name="apparatus-http", daemon=True).start()
    watcher = Watcher(root, server.on_change, quiet=quiet, on_error=server.report)
    watcher.start()
    return server, watcher


def stop(server: PreviewServer, watcher: Watcher) -> None:
    watcher.stop()
    server.stopping.set()
    server.events.send("bye", {})
    server.shutdown()
    server.server_close()
    server.preview.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(root: Path, host: str, port: int, open_browser: bool, jobs: int | None,
          allow_hosts: Sequence[str] = (), panel: bool = True) -> int:
    try:
        server, watcher = start(root, host, port, jobs, allow_hosts=allow_hosts, panel=panel)
    except OSError as exc:
        print(f"build.py serve: error: cannot listen on {host}:{port}: {exc.strerror}\n"
              "  hint: choose another port with --port, or stop the program using it", file=sys.stderr)
        return 2
    # the address with the panel's token, when it is on: opening it signs the browser in (apparatus.panel)
    print(f"serving {root.resolve()} at {server.panel_url} — edits show up in the browser; Ctrl-C stops",
          file=sys.stderr)
    if open_browser:
        webbrowser.open(server.panel_url)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    finally:
        stop(server, watcher)
    return 0
