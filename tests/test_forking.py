"""fork_map: results in order, the parent does the last item, a failing worker is reported, state reset."""

import gc

import pytest

from apparatus import forking


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


@pytest.mark.parametrize(("n", "parts"), [(0, 2), (1, 2), (5, 2), (1000, 2), (7, 3), (3, 8)])
def test_runs_cover_everything_once(n: int, parts: int) -> None:
    runs = forking.runs(n, parts)
    assert [i for a, b in runs for i in range(a, b)] == list(range(n))
    assert all(b > a for a, b in runs) or n == 0
    assert max((b - a for a, b in runs), default=0) - min((b - a for a, b in runs), default=0) <= 1
