"""Work shared with forked processes: the build's articles and pages, the search index's stages, and
the live preview's long-lived background worker.

:func:`map_shared` runs a function over items on the standard library's process pool
(``concurrent.futures.ProcessPoolExecutor``) with the fork context. The work's shared state (the
collection, the search model) is handed to each worker process once, through the pool's
initializer: under fork the worker inherits it, it is never pickled. This process is one of the
``jobs``: it takes items from the end while the workers take them from the start, each the next one
when free, so callers cut the work into pieces: many small chunks of articles (:func:`chunks`), or
runs of about equal cost (:func:`weighted_runs`). A worker's exception is raised here with the
worker's traceback as its ``__cause__``.

Work that inherits nothing (the search index's: each worker is sent what it reads) takes a pool whose
workers are forked from the standard library's forkserver instead (:func:`pool`, ``fresh``): a small
process started once, which never grows with the build, so its workers keep no copy of the build's pages.

Before forking, the parent's objects are frozen (``gc.freeze``): the cycle collector then never
writes to them in a worker, so inherited pages stay shared instead of being copied on its first
pass. Workers, short-lived and allocation-heavy, collect cycles rarely.

:class:`Worker` is the other shape: one child forked once, kept, and sent calls on the state it
inherited. A process that has forked shares its memory pages with the child until one of them
writes to a page, and then pays a page fault and a copy for it. Forking a large process again and
again (the preview of a big collection) makes the parent pay those copies over again after each
fork, in whatever it does next. Forked once, the copies are paid once.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import concurrent.futures
    import multiprocessing.connection

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


def map_shared(fn: Callable[[S, T], R], items: Sequence[T], state: S, jobs: int,
               done: Callable[[T], None] | None = None) -> list[R]:
    """[fn(state, item) for item in items], on ``jobs`` processes: this one and ``jobs - 1`` forked workers.
    The workers take items from the start, each the next one when free; this process takes them from the
    end, each one not yet queued for a worker (its future is cancelled and the item run here), until the
    two meet (the pool queues one item more than it has workers, so this process may stop an item early).
    fn must be a module-level function (it is sent by name). done(item) is called here, in this process, as
    each item is done (a build's progress): between this process's own items, and at the end. A worker's
    error is raised as soon as this process has finished the item it is on.

    Why this process works too, rather than ``jobs`` workers beside an idle parent: the results made here are
    never pickled, sent and unpickled (docs/performance.md, "the process pool's cost counted in instructions").

    jobs <= 1, a single item, or no fork on this system: all in this process. A worker's exception is
    raised here, with its traceback as ``__cause__``; the items not yet started are dropped.
    """
    if jobs <= 1 or len(items) <= 1 or not hasattr(os, "fork"):
        return [_then(fn(state, item), done, item) for item in items]
    here: list[R] = []  # the results of the items run here, from the last one backwards
    with pool(state, min(jobs - 1, len(items) - 1)) as workers:
        futures = [workers.submit(fn, item) for item in items[:-1]]  # the last is never sent: it is run here first
        waiting = dict(zip(futures, items[:-1], strict=True))  # the workers' items not yet seen done
        end = len(items) - 1
        threshold = gc.get_threshold()
        gc.set_threshold(*WORKER_GC)  # this process's share, like a worker's
        try:
            while True:
                here.append(_then(fn(state, items[end]), done, items[end]))
                _seen(waiting, done)
                if end == 0 or not futures[end - 1].cancel():
                    break
                end -= 1
                del waiting[futures[end]]
        finally:
            gc.set_threshold(*threshold)
        if done is not None:
            from concurrent.futures import as_completed

            for f in as_completed(waiting):
                f.result()  # a worker's exception, raised as soon as it arrives
                done(waiting[f])
        return [*(f.result() for f in futures[:end]), *reversed(here)]


def _seen(waiting: dict[concurrent.futures.Future[R], T], done: Callable[[T], None] | None) -> None:
    """The workers' items done meanwhile: reported (done), or their exception raised."""
    for f in [f for f in waiting if f.done()]:
        f.result()
        item = waiting.pop(f)
        if done is not None:
            done(item)


def imap_shared(fn: Callable[[S, T], R], items: Iterable[T], state: S, jobs: int, ahead: int = 2) -> Iterator[R]:
    """fn(state, item) for each item, yielded in order: :func:`map_shared` for results too large to hold all at
    once (the search index's postings and shards), on ``jobs`` forked workers. Items are taken from the
    iterable as they are sent (pickled), and the workers run at most ``ahead`` items per worker beyond the
    one this process takes next, so that many results at most wait here. jobs <= 1: all here, each item as
    it is taken."""
    if jobs <= 1 or not hasattr(os, "fork"):
        yield from (fn(state, item) for item in items)
        return
    with pool(state, jobs) as running:
        yield from running.imap(fn, items, ahead)


def _then(result: R, done: Callable[[T], None] | None, item: T) -> R:
    if done is not None:
        done(item)
    return result


class Pool(Generic[S]):
    """Worker processes forked with a state: ``submit(fn, item)`` runs fn(state, item) in one of them."""

    def __init__(self, make: Callable[[], concurrent.futures.ProcessPoolExecutor], workers: int):
        self._make, self.workers = make, workers
        self._executor = make()

    def renew(self) -> None:
        """New workers for the next stage: the last stage's are waited for, and what they held goes with them (a
        process gives little of its freed memory back; the index's encoding kept the counting's, 20 MiB each)."""
        self._executor.shutdown(wait=True)
        self._executor = self._make()

    def shutdown(self) -> None:
        """The work not started dropped, and the workers waited for."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[[S, T], R], item: T) -> concurrent.futures.Future[R]:
        return self._executor.submit(_call, fn, item)

    def imap(self, fn: Callable[[S, T], R], items: Iterable[T], ahead: int = 2) -> Iterator[R]:
        """:func:`imap_shared`'s work on these workers (a pool kept for several stages)."""
        items = iter(items)
        waiting = collections.deque(self.submit(fn, item) for item in itertools.islice(items, ahead * self.workers))
        for item in items:
            waiting.append(self.submit(fn, item))
            if len(waiting) > ahead * self.workers:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


@contextlib.contextmanager
def pool(state: S, workers: int, fresh: tuple[str, ...] = ()) -> Iterator[Pool[S]]:
    """``workers`` processes forked from this one (the standard library's pool, fork context), each handed
    ``state`` once by the pool's initializer: inherited, never pickled. On leaving, the work not started is
    dropped and the workers are waited for. This process's objects are frozen meanwhile (see above).

    fresh: work that inherits nothing (sent all it reads, state included: pickled) gets workers forked from a
    small server process instead (the standard library's forkserver, started once per process, which imports
    the modules named here): a worker forked from a large process shares its pages, and as the parent goes on
    writing to them, keeps the old copies for good. At 10,000 articles the search index's two workers, forked
    from the build, were charged some 140 MiB of it each (PSS) before they did anything."""
    import concurrent.futures  # here, not at the top: a small build never needs them (start-up time)
    import ctypes  # noqa: F401 - for end_with, imported before the fork: each worker inherits it
    import multiprocessing

    context: multiprocessing.context.BaseContext
    parent: int | None = os.getpid()
    if fresh:
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["apparatus.forking", *fresh])  # (used once: when the server starts)
        context, parent = server, None  # a worker's parent is the server, which ends when this process does
    else:
        context = multiprocessing.get_context("fork")
    frozen_before = gc.get_freeze_count() > 0  # the preview keeps its build frozen (preview.py): left as is
    if not frozen_before:
        gc.freeze()
    try:
        workers_: Pool[S] = Pool(lambda: concurrent.futures.ProcessPoolExecutor(workers, context, initializer=_adopt,
                                                                       initargs=(state, parent)), workers)
        try:
            yield workers_
        finally:
            workers_.shutdown()
            if fresh:
                _stop_server()
    finally:
        if not frozen_before:
            gc.unfreeze()  # the preview server is a long-lived parent


def _stop_server() -> None:
    """The forkserver stopped and waited for, once its workers are: a build needs it for one stage, and a process
    that waits for its children counts their CPU time (what the benchmarks read: a server left to end with the
    build was never waited for, and neither the time of its workers). The next fresh pool starts it again.
    (``_stop`` is the standard library's own, for its tests; without it the server ends with this process.)"""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


def chunks(n: int, jobs: int) -> list[tuple[int, int]]:
    """0..n cut into many consecutive chunks (CHUNKS_PER_JOB per process): a process that runs slower
    (another program on its core) takes fewer of them instead of keeping the others waiting."""
    if n <= 0:
        return []
    size = -(-n // max(1, min(n, CHUNKS_PER_JOB * max(jobs, 1))))  # ceil
    return [(a, min(a + size, n)) for a in range(0, n, size)]


CHUNKS_PER_JOB = 50

WORKER_GC = (20_000, 50, 50)  # gc thresholds while a process works through items: short-lived, allocation-heavy
_STATE: Any = None  # in a worker process: the state map_shared handed over (set by _adopt, the initializer)


def _adopt(state: Any, parent: int | None) -> None:  # pragma: no cover - in a worker (coverage does not follow forks)
    global _STATE
    _STATE = state
    gc.set_threshold(*WORKER_GC)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the pool
    if parent is None:  # forked from the forkserver: which ends when the pool's process does, if no worker holds
        # the end of the pipe it watches for that, which the server hands each worker (to start servers of its own)
        from multiprocessing import forkserver

        server = getattr(forkserver, "_forkserver", None)
        if getattr(server, "_forkserver_alive_fd", None) is not None:
            os.close(server._forkserver_alive_fd)  # type: ignore[union-attr]
            server._forkserver_alive_fd = None  # type: ignore[union-attr]
    end_with(os.getppid() if parent is None else parent)


def end_with(parent: int) -> None:  # pragma: no cover - in a child process
    """This process is killed when the process that started it (parent, its PID) ends, even by SIGKILL (Linux:
    PR_SET_PDEATHSIG; the signal comes when the thread that started it ends, so it must be the parent's main
    thread). The pool's workers call it: they wait on a queue the parent no longer writes, and without it a build
    killed half-way (a CI job's timeout, the OOM killer) left them waiting for good, with the output's lock they
    inherited, so the next build waited for them too. So does the preview's engine (apparatus.engine)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before that: nobody waits for this process
        os._exit(1)


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:  # pragma: no cover - in a worker process
    return fn(_STATE, item)


def cores() -> int:
    """The cores this process may run on: the default number of processes for a build."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def weighted_runs(sizes: Sequence[int], parts: int) -> list[tuple[int, int]]:
    """0..len(sizes) cut into up to ``parts`` consecutive runs of about equal total size."""
    runs: list[tuple[int, int]] = []
    total, start, acc = sum(sizes) or 1, 0, 0
    for i, size in enumerate(sizes):
        acc += size
        if acc * parts >= total * (len(runs) + 1) and i + 1 < len(sizes):
            runs.append((start, i + 1))
            start = i + 1
    return [*runs, (start, len(sizes))]


_WORKER_ENDS: weakref.WeakSet[multiprocessing.connection.Connection] = weakref.WeakSet()  # parents' ends, open


class Worker:
    """A forked child that keeps the state it inherited and runs calls on it, one at a time.

    ``call(fn, *args)`` sends fn (a module-level function, pickled by name) and args to the child,
    which runs ``fn(state, *args)`` and sends the result back. The child may update its state from
    what a call brings; the parent's memory is never touched. The child ends when told to (close,
    or this object being collected), when this process ends (its pipe closes), or at once on
    SIGTERM; it ignores SIGINT, which the terminal sends the whole group on Ctrl-C, and leaves that
    to its parent.
    """

    def __init__(self, state: Any):
        self._lock = threading.RLock()  # one call at a time on the pipe
        self._closing = threading.Lock()  # one close at a time: the child is signalled only until reaped
        self.status: int | None = None  # the child's wait status, once reaped
        import multiprocessing  # here, not at the top: a build never needs it (start-up time)

        conn, child_end = multiprocessing.Pipe()
        try:
            pid = os.fork()
        except BaseException:
            conn.close()
            child_end.close()
            raise
        if pid == 0:  # pragma: no cover - the child (coverage does not follow forks)
            status = 1
            try:
                conn.close()
                for end in list(_WORKER_ENDS):  # other workers' pipes: they must see EOF when their parent ends
                    end.close()
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _serve(child_end, state)
                status = 0
            finally:
                os._exit(status)
        child_end.close()
        self.pid, self._conn = pid, conn
        _WORKER_ENDS.add(conn)
        self._reap = weakref.finalize(self, _stop, pid, conn, os.getpid())  # also when collected: no zombie

    @property
    def connection(self) -> multiprocessing.connection.Connection:
        """The pipe a reply arrives on (to wait on it beside others: ``multiprocessing.connection.wait``)."""
        return self._conn

    def call(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any] | None:
        """(True, fn(state, *args)) or (False, the error's description); None if the worker is gone."""
        with self._lock:
            return self.receive() if self.send(fn, *args) else None

    def send(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Start a call, whose reply :meth:`receive` reads; False if the worker is gone.

        Anything else that interrupts a call (Ctrl-C, an unpicklable argument) stops the worker before
        it propagates: a reply left unread would otherwise answer the next call."""
        with self._lock:
            if self._conn.closed:
                return False
            try:
                self._conn.send((fn, args))
                return True
            except OSError:
                return False
            except BaseException:
                _kill(self.pid)
                raise

    def receive(self) -> tuple[bool, Any] | None:
        """The reply to the call sent last: (True, result) or (False, the error's description); None if
        the worker is gone (or was closed meanwhile)."""
        with self._lock:
            if self._conn.closed:
                return None
            try:
                return self._conn.recv()
            except (EOFError, OSError):
                return None
            except BaseException:
                _kill(self.pid)
                raise

    def close(self) -> None:
        """Stop the child now, even in the middle of a call (which then returns None), and reap it. Idempotent."""
        with self._closing:
            if not self._reap.alive:
                return
            _kill(self.pid)  # first, so that a call waiting for a reply (holding the lock) gets EOF
            with self._lock:
                self.status = self._reap()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited and was reaped already
        os.kill(pid, signal.SIGTERM)


def _stop(pid: int, conn: multiprocessing.connection.Connection, parent: int) -> int | None:
    """Stop and reap a worker's child, and close its pipe: its wait status. Only in the worker's parent:
    a process forked later inherits the finalizer, and must leave its sibling alone."""
    if os.getpid() != parent:  # pragma: no cover - in a forked process
        return None
    _kill(pid)
    try:
        status = os.waitpid(pid, 0)[1]
    except ChildProcessError:  # pragma: no cover - reaped elsewhere
        status = None
    _WORKER_ENDS.discard(conn)
    conn.close()
    return status


def _serve(conn: multiprocessing.connection.Connection, state: Any) -> None:  # pragma: no cover - forked
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        except Exception as exc:  # noqa: BLE001 - a request it cannot read: said, and the next one read
            conn.send((False, f"{type(exc).__name__}: {exc}"))
            continue
        try:
            reply: tuple[bool, Any] = (True, fn(state, *args))
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be sent (pickled) is an error too
            conn.send((False, f"the result could not be sent: {type(exc).__name__}: {exc}"))
