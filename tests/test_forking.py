"""fork_map: results in order, the parent does the last item, a failing worker is reported, state reset.
fork_chunks: every chunk once, in order, a slower process takes fewer.
Worker: state kept between calls, errors reported, signals left to the parent, closed for good."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from apparatus import forking


@pytest.fixture(autouse=True)
def _unfrozen() -> None:
    """A preview test run before these leaves its build frozen (gc.freeze); these tests count freezes."""
    gc.unfreeze()


def _fails(item: int) -> int:
    if item == 0:
        raise ValueError("boom")
    return item


def test_fork_map_runs_in_order_and_reports_a_failing_worker() -> None:
    assert forking.fork_map(lambda i: i * forking.SHARED, [1, 2, 3], 10, 2) == [10, 20, 30]
    assert forking.fork_map(lambda i: i * forking.SHARED, [1, 2, 3], 10, 1) == [10, 20, 30]
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        forking.fork_map(_fails, [0, 1], None, 2)
    with pytest.raises(ValueError, match="boom"):  # the item this process runs
        forking.fork_map(_fails, [1, 0], None, 2)
    assert forking.SHARED is None
    assert gc.get_freeze_count() == 0  # the parent's objects are unfrozen after



def _wait_for(path: Path) -> None:
    """This process's first chunk waits (5 s at most) until the child has started on one of its own."""
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.005)


def _chunk(bounds: tuple[int, int]) -> list[tuple[int, int, int]]:
    """(index, index times a factor, the process) for each index; the forked child works 4x slower."""
    factor, parent, started = forking.SHARED
    if parent is not None:
        if os.getpid() == parent:
            _wait_for(started)
            time.sleep(0.005)
        else:
            started.touch()
            time.sleep(0.02)
    return [(i, i * factor, os.getpid()) for i in range(*bounds)]


@pytest.mark.parametrize("n", [0, 1, 7, 100, 250, 123_457])
def test_fork_chunks_take_every_chunk_once_in_order(n: int) -> None:
    results = forking.fork_chunks(_chunk, n, (3, None, None), 2)
    assert [(i, x) for i, x, _ in results] == [(i, 3 * i) for i in range(n)]
    assert forking.SHARED is None and gc.get_freeze_count() == 0


def test_fork_chunks_give_fewer_chunks_to_a_slower_process(tmp_path: Path) -> None:
    started = tmp_path / "started"
    results = forking.fork_chunks(_chunk, 100, (1, os.getpid(), started), 2)  # 100 chunks of one
    mine = sum(pid == os.getpid() for _, _, pid in results)
    assert 60 < mine < 100  # the child took some, and far fewer than half
    assert forking.fork_chunks(_chunk, 5, (1, None, None), 1) == [(i, i, os.getpid()) for i in range(5)]
    assert [(i, x) for i, x, _ in forking.fork_chunks(_chunk, 5, (1, None, None), 8)] == [(i, i) for i in range(5)]


def _fails_in_child(bounds: tuple[int, int]) -> list[int]:
    """The child fails its first chunk; this process counts the chunks it takes (slowly)."""
    parent, started, taken = forking.SHARED
    if os.getpid() != parent:
        started.touch()
        raise ValueError("boom")
    _wait_for(started)
    time.sleep(0.2)  # meanwhile the child fails and empties the pipe
    taken.append(bounds)
    return list(range(*bounds))


def test_fork_chunks_report_a_failing_chunk_and_stop_early(tmp_path: Path) -> None:
    """A failed chunk empties the pipe: this process takes at most the chunk it was on, not the 99 left."""
    taken: list[tuple[int, int]] = []
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        forking.fork_chunks(_fails_in_child, 100, (os.getpid(), tmp_path / "started", taken), 2)
    assert len(taken) <= 2
    assert forking.SHARED is None


@pytest.mark.parametrize(("sizes", "parts", "expected"), [
    ([], 2, [(0, 0)]),
    ([5], 2, [(0, 1)]),
    ([1, 1, 1, 1], 2, [(0, 2), (2, 4)]),
    ([10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2, [(0, 1), (1, 11)]),  # a heavy first item is a run of its own
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10], 2, [(0, 10), (10, 11)]),
    ([0, 0, 0], 2, [(0, 3)]),  # nothing to share
    ([3, 3, 3], 3, [(0, 1), (1, 2), (2, 3)]),
])
def test_weighted_runs_cut_by_total_size(sizes: list[int], parts: int, expected: list[tuple[int, int]]) -> None:
    assert forking.weighted_runs(sizes, parts) == expected

def test_a_child_whose_error_cannot_be_described_still_ends_in_the_child(tmp_path: Path) -> None:
    """A failing child never returns into the caller's code (there it would, e.g., discard the parent's staging)."""
    script = tmp_path / "escape.py"
    script.write_text(textwrap.dedent("""\
        import os
        from apparatus import forking
        parent = os.getpid()

        class Odd(Exception):
            def __str__(self):
                raise RuntimeError("cannot describe")

        def fn(i):
            if i == 0:
                raise Odd()
            return i

        try:
            forking.fork_map(fn, [0, 1], None, 2)
        except RuntimeError as exc:
            print("parent caught:", exc)
        finally:
            print("finally in", "parent" if os.getpid() == parent else "child")
        """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60).stdout
    assert out.splitlines() == ["parent caught: a worker process failed: Odd", "finally in parent"]


def test_a_failed_fork_leaks_no_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fork, calls = os.fork, []

    def fork() -> int:
        calls.append(1)
        if len(calls) == 2:
            raise BlockingIOError("no more processes")
        return real_fork()

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(BlockingIOError):
        forking.fork_map(lambda i: i, [1, 2, 3], None, 3)
    assert len(os.listdir("/proc/self/fd")) == before
    assert gc.get_freeze_count() == 0


def _stopped_by(state: object, signum: int) -> str:
    os.kill(os.getpid(), signum)
    time.sleep(0.5)  # SIGINT is ignored: the work goes on
    return "finished"


def _interrupt(signum: int, frame: object) -> None:  # as `build.py serve` does
    raise KeyboardInterrupt


def test_the_worker_leaves_ctrl_c_to_the_server_and_stops_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    """`build.py serve` turns SIGTERM into KeyboardInterrupt; the forked worker must not inherit that (nor
    Ctrl-C's SIGINT) and print a traceback when the server stops it."""
    old = signal.signal(signal.SIGTERM, _interrupt)
    try:
        worker = forking.Worker(None)
        try:
            assert worker.call(_stopped_by, signal.SIGINT) == (True, "finished")
            assert worker.call(_stopped_by, signal.SIGTERM) is None  # died at once, sent nothing
        finally:
            worker.close()
    finally:
        signal.signal(signal.SIGTERM, old)
    assert worker.status is not None
    assert os.WIFSIGNALED(worker.status) and os.WTERMSIG(worker.status) == signal.SIGTERM  # not the handler's exit
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def _remember(state: list[str], word: str) -> list[str]:
    state.append(word)
    return state


def _fail(state: object) -> None:
    raise ValueError("no such page")


def test_the_worker_keeps_its_state_between_calls_and_the_parents_is_untouched() -> None:
    mine: list[str] = []
    worker = forking.Worker(mine)
    try:
        assert worker.call(_remember, "a") == (True, ["a"])
        assert worker.call(_remember, "b") == (True, ["a", "b"])
        assert worker.call(_fail) == (False, "ValueError: no such page")
        assert worker.call(_remember, "c") == (True, ["a", "b", "c"])  # an error does not end it
    finally:
        worker.close()
    assert mine == []
    assert worker.call(_remember, "d") is None  # closed


def _slow(state: object, seconds: float) -> str:
    time.sleep(seconds)
    return "late"


def test_closing_a_worker_ends_a_call_in_flight_and_can_be_repeated() -> None:
    import threading
    worker = forking.Worker(None)
    got: list[object] = []
    caller = threading.Thread(target=lambda: got.append(worker.call(_slow, 30)))
    caller.start()
    time.sleep(0.3)
    started = time.monotonic()
    worker.close()
    caller.join(5)
    assert got == [None] and time.monotonic() - started < 5
    worker.close()  # again: nothing to do (the child's pid may belong to another process by now)
    assert worker.call(_remember, "x") is None


def test_an_interrupted_call_stops_the_worker_so_no_reply_answers_the_next_call() -> None:
    worker = forking.Worker([])
    try:
        old = signal.signal(signal.SIGALRM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt))
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        try:
            with pytest.raises(KeyboardInterrupt):
                worker.call(_slow, 1)  # its reply would come after the interruption
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        assert worker.call(_remember, "next") is None  # not the slow call's "late"
    finally:
        worker.close()


def test_a_worker_dropped_without_close_is_reaped() -> None:
    worker = forking.Worker(None)
    pid = worker.pid
    del worker
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


def test_fork_map_leaves_a_freeze_made_before_it() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        forking.fork_map(lambda i: i, [1, 2], None, 2)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
    forking.fork_map(lambda i: i, [1, 2], None, 2)
    assert gc.get_freeze_count() == 0


def test_a_worker_that_cannot_fork_leaks_no_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    def fork() -> int:
        raise BlockingIOError("no more processes")

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(BlockingIOError):
        forking.Worker(None)
    assert len(os.listdir("/proc/self/fd")) == before
