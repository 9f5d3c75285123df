"""What a forked child costs the live preview's next rebuild (docs/performance.md, "Live preview").

    python bench/fork_cost.py [--articles 10000] [--saves 10] [--keep DIR] [--settle SECONDS]

Builds the synthetic collection in memory (apparatus.preview.Preview), then times Preview.rebuild
of an article edit, in this process, --saves times in each of four conditions: no child process;
a child forked once and alive (twice in a row); after it is gone; and a child forked just before
each save (the fork itself is timed too). The article is put back at the end. Prints milliseconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402

from apparatus.preview import Preview  # noqa: E402


def _fork_idle() -> int:
    pid = os.fork()
    if pid == 0:  # the child only lives: sharing memory pages is what is measured
        time.sleep(600)
        os._exit(0)
    return pid


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def measure(coll: Path, saves: int) -> None:
    p = Preview(coll)
    started = time.perf_counter()
    assert p.full().ok
    print(f"full build in memory: {time.perf_counter() - started:.1f} s", flush=True)
    p.close()  # its worker is a child forked once: this measures without one first
    rel = f"content/{min(x.stem for x in (coll / 'content').glob('*.md'))}.md"
    path = coll / rel
    original = path.read_text(encoding="utf-8")
    edits = iter(range(1_000_000))

    def save() -> float:
        path.write_text(original + f"\n\nEdit {next(edits)} here.\n", encoding="utf-8")
        t = time.perf_counter()
        assert p.rebuild({rel}).ok
        return (time.perf_counter() - t) * 1000

    def series(label: str, one: Callable[[], float] = save) -> None:
        ms = [one() for _ in range(saves)]
        print(f"{label:32} median {statistics.median(ms):4.0f} ms:", " ".join(f"{x:.0f}" for x in ms), flush=True)

    try:
        series("no child")
        child = _fork_idle()
        series("a child forked once, alive")
        series("  and again")
        _kill(child)
        series("the child gone")
        forks: list[float] = []

        def fork_then_save() -> float:
            t = time.perf_counter()
            pid = _fork_idle()
            forks.append((time.perf_counter() - t) * 1000)
            try:
                return save()
            finally:
                _kill(pid)

        series("a child forked before each save", fork_then_save)
        print(f"{'  the forks themselves':32} median {statistics.median(forks):4.0f} ms:",
              " ".join(f"{x:.0f}" for x in forks))
    finally:
        path.write_text(original, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--saves", type=int, default=10)
    ap.add_argument("--keep", metavar="DIR")
    builds.settle_option(ap)
    args = ap.parse_args()
    name = f"c{args.articles}"
    with builds.workspace(args.keep, "apparatus-fork-", [name], args.settle) as workdir:
        gen.generate(workdir / name, args.articles)
        measure(workdir / name, args.saves)
    return 0


if __name__ == "__main__":
    sys.exit(main())
