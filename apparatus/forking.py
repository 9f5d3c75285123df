"""Work shared with forked children: the build's articles and pages, the search index's stages.

:func:`fork_map` forks one child per item but the last, which this process does meanwhile: on two
cores, one child and the parent keep both busy, with half the processes (and half the copied
memory pages) of a pool. Children inherit everything loaded so far and read the work's shared
state as :data:`SHARED`; they send their results back pickled through a pipe.

Before forking, the parent's objects are frozen (``gc.freeze``): the cycle collector then never
writes to them in a child, so inherited pages stay shared instead of being copied on its first
pass. Children, short-lived and allocation-heavy, collect cycles rarely.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Sequence
from typing import Any

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
            gc.unfreeze()  # the preview server is a long-lived parent
    finally:
        SHARED = None


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


def runs(n: int, parts: int) -> list[tuple[int, int]]:
    """0..n cut into ``parts`` consecutive runs of (nearly) equal length, none empty."""
    parts = max(1, min(parts, n))
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]
