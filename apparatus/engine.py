"""The live preview's engine: a process of its own, with one thread, that owns the in-memory site.

Forking a process that runs threads is unsafe (a child inherits locks other threads held, and only
the forking thread), and Python 3.12 and later warn on it. The preview forks: a full build runs
the articles on a process pool, and then forks the :class:`apparatus.forking.Worker` that renders
the dependent pages and the search index from the build it inherits. So the preview is two
processes:

- the front (``build.py serve``'s own process) runs the threads: the HTTP server, the watcher and
  its debouncer, and the loop that asks for the dependent pages after a save. It serves pages from
  its copy of the site, which each reply of the engine brings up to date;
- the engine, started with the ``spawn`` method (a fresh interpreter: it inherits no thread of the
  front), runs :class:`apparatus.preview.Preview` on its only thread and is the only process that
  forks. It waits for the front's requests and for the worker's replies at once
  (``multiprocessing.connection.wait``), so that a save is rebuilt while the worker renders the
  pages an earlier save changed.

Requests travel over one pipe, as ``(number, kind, arguments)``: ``rebuild`` (paths), ``crashed``
(what failed, the path saved), ``pending`` (render the dependent pages), ``search`` (refresh the
index), ``forks`` (the thread counts seen at the engine's forks, for tests) and ``stop``. Each reply,
``(number, result, state)``, brings the outcome and the pages that changed; the front applies them
in the order the engine sent them, on one thread that reads the pipe.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .errors import Diagnostic, count_errors
from .forking import end_with
from .preview import Job, Outcome, Preview


class EngineGone(RuntimeError):
    """The engine process ended (it crashed, or was killed): the preview cannot rebuild any more."""


@dataclasses.dataclass(frozen=True)
class State:
    """What the front holds of the engine's site: the pages (all of them, or those changed), the errors."""

    full: bool
    files: dict[str, bytes]
    diagnostics: list[Diagnostic]
    articles: int


class Engine:
    """The front's handle on the engine process; the preview server calls it as it would a
    :class:`apparatus.preview.Preview` (rebuild, crashed, render_pending, refresh_search, close)."""

    def __init__(self, root: Path, jobs: int | None = None):
        import multiprocessing  # here: a build never needs it

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        # (started from the main thread, it ends with this process: Linux ties the signal to the thread that started it)
        front = os.getpid() if threading.current_thread() is threading.main_thread() else None
        self._process = ctx.Process(target=main, args=(child, root, jobs, front), name="apparatus-engine")
        self._process.start()  # (not a daemon process: it forks children of its own)
        atexit.register(self.close)  # before multiprocessing's exit handler, which would wait for it
        child.close()
        self.files: dict[str, bytes] = {}  # the last good site: replaced by a full build, else updated in place
        self.diagnostics: list[Diagnostic] = []
        self.articles = 0
        self._send_lock = threading.Lock()
        self._waiting: dict[int, Future[Any]] = {}
        self._count = 0
        self._gone: EngineGone | None = None
        self.first: Future[Outcome] = self._ask("full")  # the engine builds at once; this is its reply
        threading.Thread(target=self._read, name="apparatus-engine-replies", daemon=True).start()

    @property
    def failed(self) -> bool:
        return bool(count_errors(self.diagnostics))

    def rebuild(self, paths: set[str]) -> Outcome:
        return self._result("rebuild", paths)

    def crashed(self, exc: BaseException, path: str) -> Outcome:
        """A rebuild raised here (the engine reports its own crashes in its reply): told to the engine,
        whose next save is then a full build; if the engine itself is gone, said so at the path saved."""
        what = f"{type(exc).__name__}: {exc}"
        try:
            return self._result("crashed", what, path)
        except EngineGone:
            self.diagnostics = [Diagnostic(path, 1, 1, f"the preview could not rebuild after this change: {what}",
                                           "restart build.py serve")]
            return Outcome(False, set(), self.diagnostics)

    def render_pending(self) -> Outcome:
        return self._result("pending")

    def refresh_search(self) -> bool:
        return bool(self._result("search"))

    def forks(self) -> list[int]:
        """How many threads the engine ran at each of its forks so far."""
        return list(self._result("forks"))

    def close(self) -> None:
        """End the engine (it ends its worker) and wait for it. Idempotent."""
        atexit.unregister(self.close)
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send((0, "stop", ()))
        self._process.join(timeout=10)
        if self._process.is_alive():  # pragma: no cover - an engine stuck in a build
            self._process.terminate()
            self._process.join()

    # -- the pipe ---------------------------------------------------------------------------------------------
    def _result(self, kind: str, *args: Any) -> Any:
        outcome = self._ask(kind, *args).result()
        if isinstance(outcome, Outcome) and outcome.later is not None:
            outcome = dataclasses.replace(outcome, later=self.render_pending)
        return outcome

    def _ask(self, kind: str, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._send_lock:
            if self._gone is not None:
                raise self._gone
            self._count += 1
            self._waiting[self._count] = future
            try:
                self._conn.send((self._count, kind, args))
            except OSError as exc:
                del self._waiting[self._count]
                raise EngineGone(f"the preview's engine process ended ({exc})") from None
        return future

    def _read(self) -> None:
        """Apply the engine's replies in order and hand each to its caller; when the pipe ends, fail the
        callers still waiting (and every later request)."""
        while True:
            try:
                number, result, state = self._conn.recv()
            except Exception:  # noqa: BLE001 - EOF, a closed pipe, a reply that cannot be read: the engine is gone
                break
            if state is not None:
                self._apply(state)
            with self._send_lock:
                future = self._waiting.pop(number, None)
            if future is not None:
                future.set_result(result)
        with self._send_lock:
            self._gone = EngineGone(f"the preview's engine process ended (exit status {self._process.exitcode})")
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_exception(self._gone)

    def _apply(self, state: State) -> None:
        if state.full:
            self.files = state.files
        else:  # in place: a page thread's lookup sees each page whole, old or new (docs/performance.md)
            self.files.update(state.files)
        self.diagnostics = state.diagnostics
        self.articles = state.articles


# -- the engine process -----------------------------------------------------------------------------------------

FORKS: list[int] = []  # in the engine: threading.active_count() at each fork


def main(conn: Connection, root: Path, jobs: int | None, front: int | None = None
         ) -> None:  # pragma: no cover - in the engine process
    """The engine's loop: requests from the front, and replies from the worker, as they come. With front (the
    front's PID), the engine is killed when the front ends, even in the middle of a full build (which otherwise
    ran to its end before the engine saw the front's pipe closed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the front stops the engine
    if front is not None:
        end_with(front)
    os.register_at_fork(before=lambda: FORKS.append(threading.active_count()))
    engine = _Loop(conn, Preview(root, jobs))
    try:
        engine.run()
    finally:
        engine.preview.close()


class _Loop:
    def __init__(self, conn: Connection, preview: Preview):
        self.conn, self.preview = conn, preview
        self.job: tuple[int, Job[Any]] | None = None  # the background request in flight
        self.queued: list[tuple[int, str]] = []  # background requests that wait for it

    def run(self) -> None:
        while True:
            waiting: list[Any] = [self.conn]
            if self.job is not None:
                waiting.append(self.job[1].worker.connection)  # type: ignore[union-attr]
            for ready in wait(waiting):
                if ready is self.conn:
                    try:
                        number, kind, args = self.conn.recv()
                    except (EOFError, OSError):
                        return  # the front closed the pipe, or ended
                    if kind == "stop":
                        return
                    self.request(number, kind, args)
                elif self.job is not None:
                    number, job = self.job
                    self.job = None
                    self.advance(number, self.preview.complete(job, job.worker.receive()))  # type: ignore[union-attr]
            while self.job is None and self.queued:
                number, kind = self.queued.pop(0)
                self.advance(number, self.preview.pending() if kind == "pending" else self.preview.search())

    def request(self, number: int, kind: str, args: tuple[Any, ...]) -> None:
        if kind in ("pending", "search"):
            self.queued.append((number, kind))
            return
        if kind == "forks":
            self.reply(number, list(FORKS))
            return
        if kind == "full":
            result: Any = self.preview.full()
        elif kind == "crashed":
            result = self.preview.crashed(*args)
        else:
            try:
                result = self.preview.rebuild(*args)
            except Exception as exc:  # noqa: BLE001 - a bug or an input the checks missed: reported, the preview goes on
                result = self.preview.crashed(f"{type(exc).__name__}: {exc}", min(args[0]))
        self._after_full()
        self.reply(number, result)

    def _after_full(self) -> None:
        """A full build stopped the worker a background job waited for: the job ends now (with no reply)."""
        if self.job is not None and self.job[1].worker is not self.preview.worker:
            number, job = self.job
            self.job = None
            self.advance(number, self.preview.complete(job, None))

    def advance(self, number: int, job: Any) -> None:
        if isinstance(job, Job):
            self.job = (number, job)
        else:
            self.reply(number, job)

    def reply(self, number: int, result: Any) -> None:
        full, changed = self.preview.take_changes()
        if isinstance(result, Outcome) and result.later is not None:
            result = dataclasses.replace(result, later=_LATER)  # (a method of this process: the front asks for it)
        state = State(full, changed, self.preview.diagnostics, len(self.preview.summaries))
        try:
            self.conn.send((number, result, state))
        except OSError:
            sys.exit(0)  # the front is gone


def _later() -> Outcome:  # pragma: no cover - replaced in the front
    raise NotImplementedError


_LATER: Callable[[], Outcome] = _later  # stands for "there is more to render" in a reply
