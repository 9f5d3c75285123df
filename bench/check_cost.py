"""The CPU a cold `build.py check` costs against a cold `build.py build --no-search` of the same engine.

    python bench/check_cost.py [--articles 1000] [--runs 5] [--seed 1] [--keep DIR] [--against CHECKOUT]
                               [--out check_cost.json]

Generates the honest corpus of bench/gen.py (or reuses the one --keep DIR holds, if gen.py made it), then times
fresh processes in turns, after one untimed run of each (the OS file cache): `build.py --root C check -q` and
`build.py --root C build --no-search` (into a new output folder each time: bench/builds.py), of this checkout
and, with --against (a checkout of the old code, e.g. `git worktree add /tmp/old main`), of that one too; which
goes first turns each run. CPU is user + system seconds of the process and its workers (bench/builds.py
`timed`); CPU, not wall time, because the machine is shared. Reported: per engine and command the runs and
medians, and the ratio check / build of the medians (issue 19 asks for at most 0.6), as a table on stderr and
JSON in _bench/NAME. The collection is not a git repository: neither command reads a history here.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)

COMMANDS = ("check", "build")


def run(coll: Path, engine: Path, command: str, k: int) -> float:
    """CPU seconds of one cold `check` or `build --no-search` of the checkout engine."""
    if command == "build":
        b = builds.build(coll, ["--no-search"], engine)
    else:
        cmd = [builds.engine_python(engine), str(engine / "build.py"), "--root", str(coll), "check", "-q"]
        b = builds.timed(cmd, coll / "_check", coll / f"_site-check-{k}.log", cwd=engine)
    return round(b.user + b.system, 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR (or reuse what gen.py made there) and keep it")
    ap.add_argument("--against", type=Path, metavar="CHECKOUT", help="a checkout of the old code, timed in turns")
    builds.out_option(ap, "check_cost.json")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.articles < 1:
        ap.error("--runs and --articles must be at least 1")
    engines = [REPO] + ([args.against.resolve()] if args.against else [])
    for engine in engines:
        subprocess.run([builds.engine_python(engine), "-m", "compileall", "-q", str(engine / "apparatus")], check=True)
    turns = [(e, c) for e in engines for c in COMMANDS]
    cpu: dict[tuple[Path, str], list[float]] = {t: [] for t in turns}
    with builds.workspace(args.keep, "apparatus-check-cost-", [], 0) as workdir:
        coll = (Path(args.keep) if args.keep else workdir / "c").resolve()
        if not builds.made_by_gen(coll):
            gen.generate(coll, args.articles, args.seed)
        for k, (engine, command) in enumerate(turns):  # warm-up: the OS file cache
            run(coll, engine, command, len(turns) * args.runs + k)
        for i in range(args.runs):
            for k, (engine, command) in enumerate(turns[i % len(turns):] + turns[:i % len(turns)]):
                cpu[engine, command].append(run(coll, engine, command, i * len(turns) + k))
                print(f"run {i + 1}/{args.runs} {engine.name} {command}: {cpu[engine, command][-1]:.2f} s CPU",
                      file=sys.stderr, flush=True)
        builds.tidy(coll)
    report = {"articles": args.articles, "commit": builds.git_commit(), "load": os.getloadavg(), "engines": {}}
    for engine in engines:
        medians = {c: statistics.median(cpu[engine, c]) for c in COMMANDS}
        report["engines"][str(engine)] = {
            **{c: {"cpu_s": cpu[engine, c], "median_s": round(medians[c], 3), "min_s": min(cpu[engine, c]),
                   "max_s": max(cpu[engine, c])} for c in COMMANDS},
            "ratio": round(medians["check"] / medians["build"], 3)}
        print(f"{engine}: check {medians['check']:.2f} s CPU (min {min(cpu[engine, 'check']):.2f}, max "
              f"{max(cpu[engine, 'check']):.2f}), build --no-search {medians['build']:.2f} s (min "
              f"{min(cpu[engine, 'build']):.2f}, max {max(cpu[engine, 'build']):.2f}): check/build "
              f"{medians['check'] / medians['build']:.2f}", file=sys.stderr)
    print(f"report in {builds.write_report(args.out, report)}", file=sys.stderr)


if __name__ == "__main__":
    main()
