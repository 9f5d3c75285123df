"""Benchmark `build.py build` on synthetic collections of N articles.

    python bench/run.py [--sizes 1000,10000] [--runs 5] [--seed 1] [--keep DIR] [--settle S] [-- EXTRA BUILD ARGS]

For each N: generate a collection with bench/gen.py (timed on its own, not part of the figures)
into a temporary folder under _bench/ (or DIR/N with --keep), run one warm-up build (fills the OS file cache),
then --runs timed builds. apparatus/ is byte-compiled first (python -m compileall), as pip does for
an installed package: with PYTHONDONTWRITEBYTECODE set (it is, on this machine) every build would
otherwise compile the engine's source again (~60 ms). Each build is a fresh process
`python build.py --root COLLECTION build [EXTRA]` writing into an output folder that does not exist
yet (site.yaml's `output:` is set to _site-warmup, _site-run1, _site-run2, ...), so every run is a
cold build of the site from nothing (but with a warm OS file cache).

Nothing is deleted while builds are timed: every output folder is removed at the end, and the
first build waits --settle seconds (default 65) after an os.sync(). This machine's file system is
ext4 without a journal (/proc/fs/jbd2 is empty), and on such a file system ext4 does not reuse an
inode number freed in the last 30-60 s (fs/ext4/ialloc.c, recently_deleted()): every new file or
folder scans past each recently deleted inode of its block group, a buffer-cache lookup each.
After deleting a 1000-article site, the next build spent ~40% of its samples there (`perf record`:
find_get_block_common, recently_deleted, find_inode_bit under __ext4_new_inode) and its system
time grew from run to run; deleting the output just before each timed build, as this script
once did, made the figures a measure of that. A user's first `make site` after a clone deletes
nothing. For the same reason the collections live under _bench/, not /tmp, whose many recently
deleted files (tests) made creating files there far slower.

Measured per run:
  - wall time: time.perf_counter() around start-to-reap of the process (interpreter start-up,
    imports, reading, rendering, writing: everything a user waits for);
  - peak RSS: ru_maxrss from os.wait4() on the child (KiB on Linux). Linux folds into a reaped
    process's rusage the maxrss of its descendants that it waited for, as a max, not a sum
    (checked: a child whose own child peaked at 300 MiB reports ~310 MiB; two concurrent
    200 MiB grandchildren report ~210 MiB). So with worker processes this is the largest single
    process, not the total; descendants that are never reaped are not counted.
Also from the child's rusage: user and system CPU seconds of the build and its workers (both cores:
they can add up to twice the wall time). System time here is mostly the kernel creating files and
mapping fresh memory; on this VM it swings widely from run to run, user time much less.
Reported: median/min/max seconds, median seconds per 1000 articles, median user and system CPU
seconds, median peak RSS in MiB,
as a table on stdout and as JSON in _bench/results.json (or --out NAME; repository root). A failed build
prints its output and makes this script exit 1.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import gen  # noqa: E402  (bench/gen.py)


def set_output(coll, name):
    """Point the generated collection's site.yaml at a new output folder (the collection is ours)."""
    path = coll / "site.yaml"
    site = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    site["output"] = name
    path.write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return coll / name


def build(coll, extra, name):
    """Run one cold build into the new output folder coll/name; return (wall seconds, peak RSS MiB,
    user CPU s, system CPU s). Exit 1 if it fails."""
    if set_output(coll, name).exists():
        sys.exit(f"{coll / name} exists: every timed build writes a new folder")
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(coll), "build", *extra]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            out.seek(0)
            err.seek(0)
            sys.stdout.write(out.read().decode(errors="replace")[-5000:])
            sys.stderr.write(err.read().decode(errors="replace"))
            sys.exit(f"build failed with exit status {proc.returncode}: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime


def site_size(path):
    files = [Path(d) / f for d, _, fs in os.walk(path) for f in fs]
    return len(files), sum(f.stat().st_size for f in files) / 2**20


def bench_size(n, args, extra, workdir):
    coll = workdir / str(n)
    t = time.perf_counter()
    stats = gen.generate(coll, n, args.seed)
    gen_s = time.perf_counter() - t
    if args.settle:
        print(f"N={n}: generated in {gen_s:.1f}s; waiting {args.settle:g}s for recent deletions to age "
              "(see the docstring) ...", file=sys.stderr, flush=True)
        os.sync()
        time.sleep(args.settle)
    print(f"N={n}: warm-up build ...", file=sys.stderr, flush=True)
    build(coll, extra, "_site-warmup")
    runs = []
    for i in range(args.runs):
        runs.append(build(coll, extra, f"_site-run{i + 1}"))
        print(f"N={n}: run {i + 1}/{args.runs}: {runs[-1][0]:.2f}s {runs[-1][1]:.0f} MiB "
              f"(user {runs[-1][2]:.2f}s, sys {runs[-1][3]:.2f}s)",
              file=sys.stderr, flush=True)
    secs, rss = [r[0] for r in runs], [r[1] for r in runs]
    user, system = [r[2] for r in runs], [r[3] for r in runs]
    files, mib = site_size(coll / f"_site-run{args.runs}")
    return {"articles": n, "annotations": stats["annotations"], "words": stats["words"],
            "records": stats["records"], "generate_s": round(gen_s, 3),
            "runs_s": [round(s, 3) for s in secs], "peak_rss_mib": [round(m, 1) for m in rss],
            "median_s": round(statistics.median(secs), 3), "min_s": round(min(secs), 3),
            "max_s": round(max(secs), 3),
            "s_per_1000": round(statistics.median(secs) * 1000 / n, 3),
            "median_peak_rss_mib": round(statistics.median(rss), 1),
            "median_user_s": round(statistics.median(user), 3), "median_sys_s": round(statistics.median(system), 3),
            "output_files": files, "output_mib": round(mib, 1)}


def table(results):
    head = ("articles", "median s", "min s", "max s", "s/1000", "user s", "sys s", "RSS MiB", "out files",
            "out MiB", "gen s")
    rows = [(r["articles"], r["median_s"], r["min_s"], r["max_s"], r["s_per_1000"], r["median_user_s"],
             r["median_sys_s"], r["median_peak_rss_mib"], r["output_files"], r["output_mib"], r["generate_s"])
            for r in results]
    cells = [head] + [tuple(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
                      for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths)] + lines[1:])


def git_commit():
    r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="Arguments after -- are passed to build.py build.")
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=5, help="timed builds per size (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR/N and keep it")
    ap.add_argument("--out", default="results.json", help="file name of the JSON report under _bench/")
    ap.add_argument("--settle", type=float, default=65,
                    help="seconds to wait before each size's first build, so that files deleted just before "
                         "no longer slow down creating new ones (default 65; 0: no wait)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.runs < 1 or not sizes or min(sizes) < 1:
        ap.error("--runs and every size must be at least 1")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "apparatus")], check=True)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="apparatus-bench-", dir=gen.scratch())).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = [bench_size(n, args, extra, workdir) for n in sizes]
    finally:  # every output folder goes only now, after the last timed build
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for n in sizes:
                for out in (workdir / str(n)).glob("_site-*"):
                    shutil.rmtree(out, ignore_errors=True)
                set_output(workdir / str(n), "_site")
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "commit": git_commit(), "python": platform.python_version(),
              "platform": platform.platform(), "cpus": os.cpu_count(), "seed": args.seed,
              "runs": args.runs, "settle_s": args.settle, "build_args": extra, "results": results}
    (REPO / "_bench").mkdir(exist_ok=True)
    (REPO / "_bench" / args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"build.py build {' '.join(extra)}  ({args.runs} runs after 1 warm-up; "
          f"Python {report['python']}, {report['cpus']} CPUs)")
    print(table(results))
    print(f"results: {REPO / '_bench' / args.out}")


if __name__ == "__main__":
    main()
