"""map_shared: results in order, the state inherited, a failing worker reported with its traceback.
imap_shared: results in order, a bounded way ahead.
chunks: every index once, in order.
Worker: state kept between calls, errors reported, signals left to the parent, closed for good."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import killed_leaves_none, process_state

from apparatus import forking


@pytest.fixture(autouse=True)
def _unfrozen() -> None:
    """A preview test run before these leaves its build frozen (gc.freeze); these tests count freezes."""
    gc.unfreeze()


def _times(factor: int, item: int) -> tuple[int, int]:
    return item * factor, os.getpid()


def _fails(state: object, item: int) -> int:
    if item == 0:
        raise ValueError("boom")
    return item


def _slow_times(factor: int, item: int) -> tuple[int, int]:
    time.sleep(0.1)  # long enough for a worker to start its first item meanwhile
    return item * factor, os.getpid()


def test_map_shared_runs_in_order_on_this_process_and_workers() -> None:
    """This process takes items from the end, the workers from the start: the last item is always run here, the
    first always in a worker, this process takes more than the last when the items take time, and every result is
    in the items' order."""
    assert [x for x, _ in forking.map_shared(_times, [1, 2, 3], 10, 2)] == [10, 20, 30]
    threshold = (600, 9, 11)
    gc.set_threshold(*threshold)
    try:
        results = forking.map_shared(_slow_times, list(range(12)), 10, 2)
        assert gc.get_threshold() == threshold  # this process's collector thresholds are its own again after
    finally:
        gc.set_threshold(700, 10, 10)
    assert [x for x, _ in results] == [10 * k for k in range(12)]
    pids = [pid for _, pid in results]
    assert pids[-1] == os.getpid() and pids[0] != os.getpid()
    here = pids.index(os.getpid())  # one run of the workers' items, then one of this process's
    assert set(pids[:here]) == {pids[0]} and set(pids[here:]) == {os.getpid()}
    assert here < len(pids) - 2  # the two met about half-way (each item takes 0.1 s on either side)
    assert forking.map_shared(_times, [1, 2, 3], 10, 1) == [(10, os.getpid()), (20, os.getpid()), (30, os.getpid())]
    assert gc.get_freeze_count() == 0  # the parent's objects are unfrozen after


def _fails_first(state: object, item: int) -> int:
    if item == 0:
        raise ValueError("the first item failed")
    time.sleep(0.3)
    return item


def test_a_worker_error_is_raised_between_this_processs_own_items() -> None:
    """A worker's error is raised as soon as this process has finished the item it is on, not after its whole
    share."""
    started = time.perf_counter()
    with pytest.raises(ValueError, match="the first item failed"):
        forking.map_shared(_fails_first, list(range(20)), None, 2)
    assert time.perf_counter() - started < 1.5  # this process's share alone would take about 10 items × 0.3 s


def _started(folder: Path, item: int) -> int:
    (folder / str(item)).touch()  # a mark that this item started, in some worker
    return item * item


def test_imap_shared_yields_in_order_and_runs_only_a_bounded_way_ahead(tmp_path: Path) -> None:
    """imap_shared (the search index's shards): the results one at a time, in order, and no more than ``ahead``
    items per worker started beyond the one taken, however fast the workers are."""
    results = forking.imap_shared(_started, list(range(20)), tmp_path, 2, ahead=1)
    assert next(results) == 0
    assert len(list(tmp_path.iterdir())) <= 3  # item 0, and one more for each of the 2 workers
    assert list(results) == [k * k for k in range(1, 20)]
    assert gc.get_freeze_count() == 0
    assert list(forking.imap_shared(_times, [1, 2], 10, 1)) == [(10, os.getpid()), (20, os.getpid())]


def _is_inherited(state: dict[str, object], item: int) -> bool:
    return state["marker"] is MARKER  # the very object: inherited through fork, never pickled (a copy would differ)


class _Unpicklable:
    def __reduce__(self) -> object:
        raise TypeError("the state was pickled")


MARKER = object()


def test_map_shared_hands_the_state_over_by_fork_not_by_pickling() -> None:
    state = {"marker": MARKER, "lock": _Unpicklable()}
    assert forking.map_shared(_is_inherited, [1, 2, 3, 4], state, 2) == [True] * 4


def _deep_failure(state: object, item: int) -> int:
    if item == 2:
        return _inner_failure(item)
    time.sleep(0.2)  # this process's items (the last ones) take long: the first item is a worker's
    return item


def _inner_failure(item: int) -> int:
    raise ValueError(f"boom at {item}")


def test_a_worker_error_arrives_with_its_traceback() -> None:
    with pytest.raises(ValueError, match="boom at 2") as caught:
        forking.map_shared(_deep_failure, [2, 1, 3], None, 2)
    remote = str(caught.value.__cause__)
    assert "Traceback (most recent call last)" in remote
    assert "in _deep_failure" in remote and "in _inner_failure" in remote  # where it happened, in the worker
    with pytest.raises(ValueError, match="boom"):  # in this process (jobs 1): an ordinary exception
        forking.map_shared(_fails, [1, 0], None, 1)
    assert gc.get_freeze_count() == 0


def test_a_worker_crash_in_a_build_shows_the_worker_traceback(tmp_path: Path) -> None:
    """A bug hit in a worker during a build: the command's traceback includes the worker's own."""
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent("""\
        from apparatus import forking

        import time

        def fn(state, i):
            if i == 0:
                raise RuntimeError("a bug in a worker")
            time.sleep(0.2)
            return i

        forking.map_shared(fn, list(range(6)), None, 2)
        """), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert 'line 7, in fn\n    raise RuntimeError("a bug in a worker")' in run.stderr  # the worker's frame
    assert "The above exception was the direct cause" in run.stderr
    assert run.stderr.rstrip().endswith("RuntimeError: a bug in a worker")


@pytest.mark.parametrize(("n", "jobs", "count"), [(0, 2, 0), (1, 2, 1), (7, 2, 7), (100, 2, 100), (250, 2, 84),
                                                  (123_457, 2, 100), (5, 1, 5)])
def test_chunks_cover_every_index_once_in_order(n: int, jobs: int, count: int) -> None:
    cut = forking.chunks(n, jobs)
    assert [i for a, b in cut for i in range(a, b)] == list(range(n))
    assert len(cut) == count


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


def test_a_worker_that_cannot_fork_leaks_no_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    def fork() -> int:
        raise BlockingIOError("no more processes")

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(BlockingIOError):
        forking.Worker(None)
    assert len(os.listdir("/proc/self/fd")) == before


def test_map_shared_leaves_a_freeze_made_before_it() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        forking.map_shared(_times, [1, 2], 1, 2)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
    forking.map_shared(_times, [1, 2], 1, 2)
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_ends_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    """A build killed half-way (SIGKILL: a CI job's timeout, the OOM killer) leaves no worker behind: before,
    the standard pool's workers waited for good on a queue nobody wrote, holding the output's lock they had
    inherited, and the next build waited for them."""
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent("""\
        import os
        import time

        from apparatus import forking

        def fn(state, i):
            if i == 0:
                print(os.getpid(), flush=True)
                time.sleep(60)
            return i

        forking.map_shared(fn, [0, 1], None, 2)
        """), encoding="utf-8")
    assert killed_leaves_none([sys.executable, str(script)], 5)


def _parent_and_state(state: Any, item: int) -> tuple[int, Any, int]:
    return os.getppid(), state, item * 2


def test_a_fresh_pools_workers_are_forked_from_a_small_server_not_from_this_process() -> None:
    """forking.pool(fresh=…): work that inherits nothing gets workers forked from the standard library's
    forkserver, handed the state pickled (a worker forked from a large build kept copies of its pages for good:
    at 10,000 articles, some 140 MiB each; issue 19)."""
    with forking.pool({"n": 3}, 2, fresh=("apparatus.search",)) as workers:
        got = list(workers.imap(_parent_and_state, range(6)))
    assert [r[1:] for r in got] == [({"n": 3}, 2 * i) for i in range(6)]
    parents = {r[0] for r in got}
    assert len(parents) == 1 and os.getpid() not in parents  # (the server's)
    assert gc.get_freeze_count() == 0
    server = parents.pop()  # stopped and waited for (so that its workers' CPU time is counted as this process's)
    assert process_state(server) == ""
    with forking.pool(None, 1, fresh=("apparatus.search",)) as workers:  # started again
        assert [r[1:] for r in workers.imap(_parent_and_state, [1])] == [(None, 2)]


def _pid_and_state(state: Any, item: int) -> tuple[int, Any]:
    return os.getpid(), state


@pytest.mark.parametrize("fresh", [(), ("apparatus.search",)])
def test_a_pool_renewed_has_new_workers_with_the_same_state(fresh: tuple[str, ...]) -> None:
    """Pool.renew(): the search index's encoding gets new workers, so that what the counting's held (and freed:
    a process gives little of it back) goes with them (issue 19: 20 MiB each at 10,000 articles)."""
    with forking.pool({"n": 3}, 2, fresh=fresh) as workers:
        before = list(workers.imap(_pid_and_state, range(8)))
        workers.renew()
        after = list(workers.imap(_pid_and_state, range(8)))
    assert all(state == {"n": 3} for _, state in before + after)
    old, new = {pid for pid, _ in before}, {pid for pid, _ in after}
    assert old and new and not old & new and os.getpid() not in old | new
    assert all(process_state(pid) == "" for pid in old | new)  # every one waited for


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_fresh_pools_worker_ends_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    """As a forked worker does: the server ends when the process that started it does, and its workers with it."""
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent("""\
        import os
        import time

        from apparatus import forking

        def fn(state, i):
            print(os.getpid(), flush=True)
            time.sleep(60)
            return i

        if __name__ == "__main__":  # (the server's workers run this file again, as __mp_main__, to find fn)
            with forking.pool(None, 1, fresh=("apparatus.search",)) as workers:
                list(workers.imap(fn, [0]))
        """), encoding="utf-8")
    assert killed_leaves_none([sys.executable, str(script)], 5)
