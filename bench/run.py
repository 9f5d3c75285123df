"""Benchmark `build.py build` on synthetic collections of N articles.

    python bench/run.py [--sizes 1000,10000] [--runs 5] [--seed 1] [--corpus honest|pooled|both] [--keep DIR]
                        [--settle SECONDS] [--against CHECKOUT] [-- EXTRA BUILD ARGS]

--hugo: Hugo 0.168 on the same articles in the same run, after this checkout's builds at each size
(bench/hugo_bench.py; `make bench-hugo` installs it; never in CI), with the ratio of the medians.

--corpus (bench/gen.py): honest (default: distinct notes, a tenth each in French, Chinese and Uyghur), pooled
(notes from a pool of 200, English: the figures before issue 19), or both: honest first, then pooled beside it
for comparison.

For each N: generate a collection with bench/gen.py (timed on its own, not part of the figures) into
a temporary folder under _bench/ (or DIR/N with --keep), run one warm-up build (fills the OS file
cache), then --runs timed builds (a size given twice is measured once). apparatus/ is byte-compiled
first (python -m compileall), as pip does for an installed package: with PYTHONDONTWRITEBYTECODE set
(it is, on this machine) every build would otherwise compile the engine's source again (~60 ms).
Each build is a fresh process `python build.py --root COLLECTION build [EXTRA]` writing into an
output folder that does not exist yet (bench/builds.py sets site.yaml's `output:` to a new _site-K
for each), so every run is a cold build of the site from nothing (but with a warm OS file cache).

With --against CHECKOUT (e.g. `git worktree add /tmp/old <commit>` and its own `make setup`), each
timed run is a pair: that checkout's build and this one's on the same collection, in turns (which
goes first alternates), so that a machine whose speed drifts judges old and new code alike. The
report gives both medians and the difference of each pair.

Nothing is deleted while builds are timed. With --settle 365 the script first waits for earlier
deletions to age (default: no wait; docs/performance.md explains why: ext4 without a journal slows
down creating files for minutes after many are deleted). Every output folder is
removed after the last build. The collections live under _bench/, not /tmp, where creating files
was far slower, probably for the same reason: tests delete many files there.

Measured per run:
  - wall time: time.perf_counter() around start-to-reap of the process (interpreter start-up,
    imports, reading, rendering, writing: everything a user waits for);
  - peak PSS summed over the build and its workers, sampled every 50 ms (bench/builds.py PssSampler):
    the memory the build holds, each shared page counted once;
  - peak RSS: ru_maxrss from os.wait4() on the child (KiB on Linux). Linux folds into a reaped
    process's rusage the maxrss of its descendants that it waited for, as a max, not a sum
    (checked: a child whose own child peaked at 300 MiB reports ~310 MiB; two concurrent
    200 MiB grandchildren report ~210 MiB). So with worker processes this is the largest single
    process, not the total; descendants that are never reaped are not counted.
Also from the child's rusage: user and system CPU seconds of the build and its workers (both cores:
they can add up to twice the wall time). System time here is mostly the kernel creating files and
mapping fresh memory; without the wait above it swung widely from run to run.
Reported: median/min/max seconds, median seconds per 1000 articles, median user and system CPU
seconds, median peak RSS in MiB,
as a table on stdout and as JSON in _bench/results.json (or --out NAME; repository root). A failed build
prints its output and makes this script exit 1.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)
import hugo_bench  # noqa: E402  (bench/hugo_bench.py)


def site_size(path):
    files = [Path(d) / f for d, _, fs in os.walk(path) for f in fs]
    return len(files), sum(f.stat().st_size for f in files) / 2**20


def bench_size(n, corpus, args, extra, workdir):
    coll = workdir / f"{corpus}-{n}"
    t = time.perf_counter()
    stats = gen.generate(coll, n, args.seed, corpus=corpus)
    gen_s = time.perf_counter() - t
    print(f"N={n}: generated the {corpus} corpus in {gen_s:.1f}s", file=sys.stderr, flush=True)
    engines = [builds.REPO] + ([args.against] if args.against else [])
    print(f"N={n}: warm-up build ...", file=sys.stderr, flush=True)
    for engine in engines:
        builds.build(coll, extra, engine)
    timed: dict[Path, list] = {engine: [] for engine in engines}
    for i in range(args.runs):
        for engine in engines if i % 2 == 0 else engines[::-1]:  # in turns, each first in every other pair
            r = builds.build(coll, extra, engine)
            timed[engine].append(r)
            print(f"N={n}: run {i + 1}/{args.runs}{' ' + engine.name if args.against else ''}: {r.wall:.2f}s "
                  f"PSS {r.pss:.0f} MiB, RSS {r.rss:.0f} MiB (user {r.user:.2f}s, sys {r.system:.2f}s)",
                  file=sys.stderr, flush=True)
    result = {"corpus": corpus, **summary(timed[builds.REPO], n, stats, gen_s)}
    if args.against:
        result["against"] = {"engine": str(args.against), **summary(timed[args.against], n, stats, gen_s)}
        pairs = [new[0] - old[0] for new, old in zip(timed[builds.REPO], timed[args.against], strict=True)]
        result["pair_differences_s"] = [round(d, 3) for d in pairs]
        result["median_pair_difference_s"] = round(statistics.median(pairs), 3)
    if args.hugo:
        print(f"N={n}: Hugo ...", file=sys.stderr, flush=True)
        hugo = hugo_bench.runs(coll, args.runs)
        wall, cpu = statistics.median(r.wall for r in hugo), statistics.median(r.user + r.system for r in hugo)
        result["hugo"] = {"runs_s": [round(r.wall, 3) for r in hugo], "median_s": round(wall, 3),
                          "median_cpu_s": round(cpu, 3), "median_peak_pss_mib": round(statistics.median(
                              r.pss for r in hugo), 1),
                          "ratio_wall": round(result["median_s"] / wall, 2),
                          "ratio_cpu": round(result["median_cpu_s"] / cpu, 2)}
    return result


def summary(runs, n, stats, gen_s):
    secs, rss, pss = [r.wall for r in runs], [r.rss for r in runs], [r.pss for r in runs]
    user, system = [r.user for r in runs], [r.system for r in runs]
    cpu = [u + k for u, k in zip(user, system, strict=True)]
    files, mib = site_size(runs[-1].out)
    return {"articles": n, "annotations": stats["annotations"], "words": stats["words"],
            "records": stats["records"], "generate_s": round(gen_s, 3),
            "runs_s": [round(s, 3) for s in secs], "peak_rss_mib": [round(m, 1) for m in rss],
            "median_s": round(statistics.median(secs), 3), "min_s": round(min(secs), 3),
            "max_s": round(max(secs), 3),
            "s_per_1000": round(statistics.median(secs) * 1000 / n, 3),
            "median_peak_rss_mib": round(statistics.median(rss), 1),
            "peak_pss_mib": [round(m, 1) for m in pss], "median_peak_pss_mib": round(statistics.median(pss), 1),
            "median_cpu_s": round(statistics.median(cpu), 3),
            "median_user_s": round(statistics.median(user), 3), "median_sys_s": round(statistics.median(system), 3),
            "output_files": files, "output_mib": round(mib, 1)}


def table(results):
    head = ("corpus", "articles", "median s", "min s", "max s", "s/1000", "CPU s", "user s", "sys s", "PSS MiB",
            "RSS MiB", "out files", "out MiB", "gen s")
    rows = [(r["corpus"], r["articles"], r["median_s"], r["min_s"], r["max_s"], r["s_per_1000"], r["median_cpu_s"],
             r["median_user_s"], r["median_sys_s"], r["median_peak_pss_mib"], r["median_peak_rss_mib"],
             r["output_files"], r["output_mib"], r["generate_s"])
            for r in results]
    cells = [head] + [tuple(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
                      for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths)] + lines[1:])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="Arguments after -- are passed to build.py build.")
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=5, help="timed builds per size (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", choices=[*sorted(gen.CORPORA), "both"], default="honest",
                    help="the synthetic corpus (bench/gen.py); both: honest, then pooled for comparison")
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR/CORPUS-N and keep it")
    ap.add_argument("--against", type=Path, metavar="CHECKOUT",
                    help="also build with another checkout's build.py (its .venv if it has one), in turns "
                         "with this one on the same collection: old code against new")
    ap.add_argument("--hugo", action="store_true",
                    help="also build the same articles with Hugo 0.168 (make bench-hugo installs it), for a ratio")
    builds.out_option(ap, "results.json")
    builds.settle_option(ap)
    args = ap.parse_args(argv)
    sizes = list(dict.fromkeys(int(s) for s in args.sizes.split(",") if s.strip()))  # each size once
    if args.runs < 1 or not sizes or min(sizes) < 1:
        ap.error("--runs and every size must be at least 1")
    for engine in [REPO] + ([args.against] if args.against else []):
        subprocess.run([builds.engine_python(engine), "-m", "compileall", "-q", str(engine / "apparatus")],
                       check=True)
    corpora = ["honest", "pooled"] if args.corpus == "both" else [args.corpus]
    names = [f"{corpus}-{n}" for corpus in corpora for n in sizes]
    with builds.workspace(args.keep, "apparatus-bench-", names, args.settle) as workdir:
        results = [bench_size(n, corpus, args, extra, workdir) for corpus in corpora for n in sizes]
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "commit": builds.git_commit(), "python": platform.python_version(),
              "platform": platform.platform(), "cpus": os.cpu_count(), "seed": args.seed,
              "runs": args.runs, "settled_s": args.settle, "build_args": extra, "results": results}
    path = builds.write_report(args.out, report)
    print(f"build.py build {' '.join(extra)}  ({args.runs} runs after 1 warm-up; "
          f"Python {report['python']}, {report['cpus']} CPUs)")
    print(table(results))
    for r in results:
        if "against" in r:
            print(f"{r['corpus']} N={r['articles']} against {r['against']['engine']}: median "
                  f"{r['against']['median_s']:.2f} s, CPU {r['against']['median_cpu_s']:.2f} s, "
                  f"PSS {r['against']['median_peak_pss_mib']:.0f} MiB; "
                  f"this checkout minus it, per pair: {r['pair_differences_s']} s "
                  f"(median {r['median_pair_difference_s']:+.2f} s)")
    for r in results:
        if "hugo" in r:
            h = r["hugo"]
            print(f"{r['corpus']} N={r['articles']} Hugo 0.168: median {h['median_s']:.2f} s, "
                  f"CPU {h['median_cpu_s']:.2f} s, "
                  f"PSS {h['median_peak_pss_mib']:.0f} MiB; Apparatus/Hugo: wall {h['ratio_wall']:.2f}x, "
                  f"CPU {h['ratio_cpu']:.2f}x")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
