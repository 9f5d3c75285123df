"""Work shared with forked children: the build's articles and pages, the search index's stages, and
the live preview's long-lived background worker.

:func:`fork_map` forks one child per item but the last, which this process does meanwhile: on two
cores, one child and the parent keep both busy, with half the processes (and half the copied
memory pages) of a pool. Children inherit everything loaded so far and read the work's shared
state as :data:`SHARED`; they send their results back pickled through a pipe. :func:`fork_chunks`
runs on it for the articles: many small chunks, each taken by whichever process is free.

Before forking, the parent's objects are frozen (``gc.freeze``): the cycle collector then never
writes to them in a child, so inherited pages stay shared instead of being copied on its first
pass. Children, short-lived and allocation-heavy, collect cycles rarely.

:class:`Worker` is the other shape: one child forked once, kept, and sent calls on the state it
inherited. A process that has forked shares its memory pages with the child until one of them
writes to a page, and then pays a page fault and a copy for it. Forking a large process again and
again (the preview of a big collection holds more than a gigabyte) makes the parent pay those
copies over again after each fork, in whatever it does next. Forked once, the copies are paid once.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import multiprocessing.connection

SHARED: Any = None  # what forked children read: set in the parent just before they fork


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], shared: Any, jobs: int) -> list[Any]:
    """[fn(item) for item in items], the first items each in a forked child, the last one in this
    process meanwhile; fn reads ``shared`` as SHARED.

    jobs <= 1, a single item, or no fork on this system: all in this process. A child that fails
    makes this raise RuntimeError with the child's error.
    """
    global SHARED
    SHARED = shared
    try:
        if jobs <= 1 or len(items) <= 1 or not hasattr(os, "fork"):
            return [fn(item) for item in items]
        children: list[tuple[int, int]] = []
        frozen_before = gc.get_freeze_count() > 0  # the preview keeps its build frozen (preview.py): left as is
        if not frozen_before:
            gc.freeze()
        try:
            for item in items[:-1]:
                read, write = os.pipe()
                try:
                    pid = os.fork()
                except BaseException:
                    os.close(read)
                    os.close(write)
                    raise
                if pid == 0:  # pragma: no cover - the child (coverage does not follow forks)
                    _child(fn, item, read, write)  # never returns
                os.close(write)
                children.append((pid, read))
            threshold = gc.get_threshold()
            gc.set_threshold(20_000, 50, 50)  # this process's share, like a child's
            try:
                last = fn(items[-1])
            finally:
                gc.set_threshold(*threshold)
            results = []
            while children:
                pid, read = children.pop(0)
                with os.fdopen(read, "rb") as inp:
                    data = inp.read()
                os.waitpid(pid, 0)
                ok, value = pickle.loads(data) if data else (False, "the worker died")
                if not ok:
                    raise RuntimeError(f"a worker process failed: {value}")
                results.append(value)
            return [*results, last]
        finally:
            for pid, read in children:  # after an error: no zombies, no open pipes
                os.close(read)
                os.waitpid(pid, 0)
            if not frozen_before:
                gc.unfreeze()  # the preview server is a long-lived parent
    finally:
        SHARED = None


def fork_chunks(fn: Callable[[tuple[int, int]], list[Any]], n: int, shared: Any, jobs: int) -> list[Any]:
    """fn(bounds) for consecutive chunks of 0..n, concatenated in order; fn reads ``shared`` as SHARED.

    Unlike :func:`fork_map`'s fixed shares, the chunks are taken in turn: each process (``jobs - 1``
    forked children and this one) takes the next chunk when it has finished its last. A process that
    runs slower (at N=10000 the child measured 4-12% slower than its parent on the same number of
    articles; another program on its core does the same) takes fewer chunks instead of keeping the other
    waiting. The chunks' first indices wait in a pipe, written in one write before the fork and read 4
    bytes at a time: a pipe's reads take the bytes they return under one lock, so no chunk is taken twice.
    A process whose chunk fails empties the pipe, so that the others stop after their current chunk.
    """
    if n <= 0:
        return []
    count = max(1, min(n, CHUNKS_PER_JOB * max(jobs, 1), MAX_CHUNKS))
    size = -(-n // count)  # ceil
    starts = range(0, n, size)
    jobs = min(jobs, len(starts))
    if jobs <= 1 or not hasattr(os, "fork"):  # all in this process, as fork_map runs them
        return [r for part in fork_map(fn, [(a, min(a + size, n)) for a in starts], shared, 1) for r in part]
    read, write = os.pipe()
    try:
        try:
            data = b"".join(a.to_bytes(4, "little") for a in starts)
            if os.write(write, data) != len(data):  # pragma: no cover - fits in any pipe's capacity (see MAX_CHUNKS)
                raise RuntimeError("the chunks did not fit in the pipe")
        finally:
            os.close(write)  # before the fork: no child holds the write end, so the last read sees the end
        taken = fork_map(_take_chunks, [(fn, read, n, size)] * jobs, shared, jobs)
    finally:
        os.close(read)
    return [r for _, rs in sorted((c for part in taken for c in part), key=lambda c: c[0]) for r in rs]


CHUNKS_PER_JOB = 50
MAX_CHUNKS = 1000  # 4 bytes each, written before anyone reads: within any pipe's capacity (Linux: 4096 at least)


def _take_chunks(item: tuple[Callable[[tuple[int, int]], list[Any]], int, int, int]) -> list[tuple[int, list[Any]]]:
    """Take chunks from the pipe until it is empty: [(first index, fn's results)] for the chunks taken."""
    fn, read, n, size = item
    done = []
    try:
        while data := os.read(read, 4):
            if len(data) != 4:  # pragma: no cover - a pipe read returns whole records here
                raise RuntimeError("a chunk's index was read in part")
            a = int.from_bytes(data, "little")
            done.append((a, fn((a, min(a + size, n)))))
    except BaseException:
        while os.read(read, 65536):  # the chunks left, taken away: the other processes stop soon
            pass
        raise
    return done


def _child(fn: Callable[[Any], Any], item: Any, read: int, write: int) -> None:  # pragma: no cover - forked
    """Run fn(item) in a forked child and send the result; whatever happens, the child ends here and
    never returns into the parent's code (which would, say, clean up the parent's staging folder)."""
    status = 1
    try:
        os.close(read)
        gc.set_threshold(20_000, 50, 50)
        try:
            data = pickle.dumps((True, fn(item)), protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            try:
                message = f"{type(exc).__name__}: {exc}"
            except BaseException:  # noqa: BLE001 - an exception that cannot even be described
                message = type(exc).__name__
            data = pickle.dumps((False, message))
        with os.fdopen(write, "wb") as out:
            out.write(data)
    finally:
        os._exit(status)


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
        self._lock = threading.Lock()  # one call at a time on the pipe
        self._closing = threading.Lock()  # one close at a time: the child is signalled only until reaped
        self.status: int | None = None  # the child's wait status, once reaped
        import multiprocessing  # here, not at the top: a build never needs it (~25 ms of start-up)

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

    def call(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any] | None:
        """(True, fn(state, *args)) or (False, the error's description); None if the worker is gone.

        Anything else that interrupts a call (Ctrl-C, an unpicklable argument) stops the worker before
        it propagates: a reply left unread would otherwise answer the next call."""
        with self._lock:
            if self._conn.closed:
                return None
            try:
                self._conn.send((fn, args))
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
