"""Watching the collection: watchdog events → classified, debounced change sets.

Editors save in many ways: in place, by writing a temporary file and renaming it over the original
(atomic save), by deleting and recreating. Each event is reduced to the collection paths it touches
(both ends of a move), editor droppings are ignored, and a burst of events becomes one change set
once the folder has been quiet for a moment.
"""

from __future__ import annotations

import enum
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .errors import printable


class Kind(enum.Enum):
    CONFIG = "config"
    REGISTRY = "registry"
    ANNOTATIONS = "annotations"
    ARTICLE = "article"
    TEMPLATE = "template"
    STATIC = "static"
    IGNORED = "ignored"


_SCRATCH_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".part", ".crdownload")


def classify(rel: str) -> Kind:
    """What kind of source a path relative to the collection is (IGNORED for anything else)."""
    parts = rel.split("/")
    name = parts[-1]
    if (not name or name.startswith((".", "#")) or name.endswith(_SCRATCH_SUFFIXES) or name == "4913"
            or any(p.startswith(".") or p == "__pycache__" for p in parts[:-1])):
        return Kind.IGNORED
    if rel == "site.yaml":
        return Kind.CONFIG
    if len(parts) == 2 and parts[0] == "annotations" and name.endswith(".yaml"):
        return Kind.REGISTRY if name == "_records.yaml" else Kind.ANNOTATIONS
    if len(parts) == 2 and parts[0] == "content" and name.endswith(".md"):
        return Kind.ARTICLE
    if len(parts) >= 3 and parts[:2] == ["templates", "static"]:
        return Kind.STATIC
    if len(parts) == 2 and parts[0] == "templates" and name.endswith(".html"):
        return Kind.TEMPLATE
    return Kind.IGNORED


OnError = Callable[[BaseException, str], None]  # (the exception, what was being done)


def print_error(exc: BaseException, what: str) -> None:
    print(f"build.py serve: error: {printable(what)} failed: {type(exc).__name__}: {printable(str(exc))}",
          file=sys.stderr)


def guarded(on_error: OnError, exc: BaseException, what: str) -> None:
    """Report an exception of a background thread; if the report itself fails, print both: the thread goes on."""
    try:
        on_error(exc, what)
    except Exception as again:  # noqa: BLE001 - the last resort of a thread that must not die
        print_error(exc, what)
        print_error(again, "reporting it")


class Debouncer:
    """Gathers paths; calls ``flush(paths)`` once no new path arrived for ``quiet`` seconds.

    ``longest`` caps the wait under a steady stream of events. The callback runs on the debouncer's
    own thread, one change set at a time. An exception in it goes to ``on_error`` and the thread
    carries on with the next change set.
    """

    def __init__(self, flush: Callable[[set[str]], None], quiet: float = 0.015, longest: float = 0.5,
                 on_error: OnError = print_error):
        self.flush, self.quiet, self.longest, self.on_error = flush, quiet, longest, on_error
        self._paths: set[str] = set()
        self._first = self._last = 0.0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="apparatus-debounce", daemon=True)
        self._thread.start()

    def add(self, rel: str) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths.add(rel)
            self._last = now
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._paths and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.longest)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                paths, self._paths = self._paths, set()
            try:
                self.flush(paths)
            except Exception as exc:  # noqa: BLE001 - one bad change set must not end the watching
                guarded(self.on_error, exc, f"rebuilding after {', '.join(sorted(paths))}")


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, debouncer: Debouncer):
        self.root = os.path.realpath(root)
        self.debouncer = debouncer

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self._dispatch(event)
        except Exception as exc:  # noqa: BLE001 - watchdog's thread would end, and with it every later save
            guarded(self.debouncer.on_error, exc, "watching the files")

    def _dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or event.is_directory:
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if not path:
                continue
            rel = os.path.relpath(os.fsdecode(path), self.root).replace(os.sep, "/")
            if not rel.startswith("..") and classify(rel) is not Kind.IGNORED:
                self.debouncer.add(rel)


class Watcher:
    """Watches site.yaml, content/, annotations/ and templates/ under root."""

    def __init__(self, root: Path, on_change: Callable[[set[str]], None], quiet: float = 0.015,
                 on_error: OnError = print_error):
        self.debouncer = Debouncer(on_change, quiet=quiet, on_error=on_error)
        self.observer = Observer()
        handler = _Handler(root, self.debouncer)
        self.observer.schedule(handler, str(root), recursive=False)  # site.yaml (not .venv, _site, …)
        for folder in ("content", "annotations", "templates"):
            if (root / folder).is_dir():
                self.observer.schedule(handler, str(root / folder), recursive=True)

    def start(self) -> None:
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=2)
        self.debouncer.stop()
