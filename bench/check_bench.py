"""Benchmark `build.py check PATH` (a pull request's changed file) against `build.py check` (everything).

    python bench/check_bench.py [--articles 10000] [--runs 5] [--seed 1] [--keep DIR] [--out check.json]

Generates a collection with bench/gen.py (or reuses the one --keep DIR holds, if gen.py made it), changes one
annotation file as a pull request would (a note's text edited), then times fresh processes in turns: `build.py
--root C check annotations/<slug>.yaml` and `build.py --root C check`, --runs of each, which goes first
alternating (a machine whose speed drifts judges both alike). After one untimed run of each (the OS file
cache). Wall time from start to reap, as bench/run.py measures it. Reported: the runs, medians, min and max
of each, as a table on stderr and JSON in _bench/NAME. The collection is not a git repository: the full check
reads no history here (in a clone it also runs git's one pass, apparatus/history.py; the named check never does).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)


def change_one(coll: Path) -> str:
    """Edit the first note of the middle article's annotation file; its path (relative to the collection)."""
    slugs = sorted(p.stem for p in (coll / "content").glob("*.md"))
    rel = f"annotations/{slugs[len(slugs) // 2]}.yaml"
    path = coll / rel
    text = path.read_text(encoding="utf-8")
    at = text.index("    note: ") + len("    note: ")
    path.write_text(text[:at] + "Edited in a pull request. " + text[at:], encoding="utf-8")
    return rel


def timed(coll: Path, args: list[str]) -> float:
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(coll), "check", "-q", *args]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=coll)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"check failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return wall


def stats(runs: list[float]) -> dict:
    return {"runs_s": [round(r, 3) for r in runs], "median_s": round(statistics.median(runs), 3),
            "min_s": round(min(runs), 3), "max_s": round(max(runs), 3)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR (or reuse what gen.py made there) and keep it")
    builds.out_option(ap, "check.json")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.articles < 1:
        ap.error("--runs and --articles must be at least 1")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "apparatus")], check=True)
    with builds.workspace(args.keep, "apparatus-check-", [], 0) as workdir:
        coll = (Path(args.keep) if args.keep else workdir / "c").resolve()
        if not builds.made_by_gen(coll):
            gen.generate(coll, args.articles, args.seed)
        changed = change_one(coll)
        named, full = [], []
        timed(coll, [changed]), timed(coll, [])  # warm-up: the OS file cache
        for i in range(args.runs):
            for which in ("named", "full") if i % 2 == 0 else ("full", "named"):
                wall = timed(coll, [changed] if which == "named" else [])
                (named if which == "named" else full).append(wall)
                print(f"run {i + 1}/{args.runs} {which}: {wall:.2f} s", file=sys.stderr, flush=True)
    report = {"articles": len(list((coll / "content").glob("*.md"))), "changed": changed, "commit": builds.git_commit(),
              "load": os.getloadavg(), "named": stats(named), "full": stats(full)}
    path = builds.write_report(args.out, report)
    print(f"check {changed}: median {report['named']['median_s']:.2f} s (min {report['named']['min_s']:.2f}, "
          f"max {report['named']['max_s']:.2f}); check (everything): median {report['full']['median_s']:.2f} s "
          f"(min {report['full']['min_s']:.2f}, max {report['full']['max_s']:.2f}); report in {path}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
