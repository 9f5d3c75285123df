"""Benchmark the build cache (apparatus/cache.py): what a run costs after one edit, and after none.

    python bench/cache_bench.py [--sizes 1000,10000] [--runs 3] [--seed 1] [--keep DIR] [--settle SECONDS]

For each N: generate the honest corpus (bench/gen.py), then, each a fresh `build.py` process timed by
bench/builds.py `timed` (wall, CPU of the process and its workers, peak PSS summed over them):
  - `build --no-search` and `build` (with search) to fill the cache (each kind of run has its own state),
    then `check --no-cache` (cold) and `check` (fills the check's state);
  - for each kind in turn, --runs rounds of: one note's words edited (a word added, each round in another
    annotation file), the run after that edit, and the run again with nothing changed. The two kinds of
    build share the output folder, and a build after the other kind's finds neither its site nor its spare
    (output.Staging) in place: so each kind's rounds start after two untimed rounds of its own (the first of
    them is reported apart, as "after the other kind's build").
Reported: the median of each, and the cold builds' (those that filled the cache) for the ratios the issue
sets (with search: the rebuild after one edit against a cold build).
Nothing is deleted while runs are timed (the outputs are replaced by each build's swap, as for a user).
"""
import argparse
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)

KINDS = (("build --no-search", ["build", "--no-search"]), ("build", ["build"]), ("check", ["check"]))


def run(coll, args, label):
    log = coll / f"_site-{label.replace(' ', '_')}.log"
    cmd = [builds.engine_python(REPO), str(REPO / "build.py"), "--root", str(coll), *args]
    return builds.timed(cmd, coll / "_site", log, cwd=REPO)


def edit(coll, round_):
    """One note's wording: ' the ' becomes ' the very ' in a note of the round_-th annotation file from the middle:
    each round changes what no run has built yet (a round that undid the last one would meet a kind of run whose
    cache was filled before it, as the first rounds after the other kind's do). Only a note's text: the same words
    in a quote would no longer be found in the article, and the build would fail."""
    files = sorted((coll / "annotations").glob("[!_]*.yaml"))
    for k in range(len(files)):  # (the first from there whose notes have the word)
        path = files[(len(files) // 2 + round_ + k) % len(files)]
        edited = note_wording(path.read_text(encoding="utf-8"))
        if edited is not None:
            path.write_text(edited, encoding="utf-8")
            return
    raise AssertionError("no note says ' the '")


def note_wording(text):
    """text with the first ' the ' of a note's text (a `note:` and the lines indented under it) made ' the very ';
    None when no note has it."""
    lines = text.split("\n")
    note_indent = None  # the indentation of the `note:` key whose value these lines are
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if note_indent is not None and stripped and indent <= note_indent:
            note_indent = None  # the next key: the note has ended
        if stripped.startswith("note:"):
            note_indent = indent
        if note_indent is not None and " the " in line:
            lines[i] = line.replace(" the ", " the very ", 1)
            return "\n".join(lines)
    return None


def row(results):
    wall = statistics.median(r.wall for r in results)
    cpu = statistics.median(r.user + r.system for r in results)
    pss = statistics.median(r.pss for r in results)
    return {"median_s": round(wall, 3), "median_cpu_s": round(cpu, 3), "median_peak_pss_mib": round(pss, 1),
            "runs_s": [round(r.wall, 3) for r in results]}


def bench_size(n, args, workdir):
    coll = workdir / f"honest-{n}"
    gen.generate(coll, n, args.seed)
    builds.set_output(coll, "_site")
    with (coll / "site.yaml").open("a", encoding="utf-8") as f:  # every output a real site has
        f.write("base_url: https://example.org/bench/\n")
    out = {"articles": n}
    say = lambda m: print(f"N={n}: {m}", file=sys.stderr, flush=True)  # noqa: E731
    for label, a in KINDS:
        r = run(coll, a, f"fill-{label}")
        out[f"{label}: cold, filling the cache"] = row([r])
        say(f"{label} cold: {r.wall:.2f} s, CPU {r.user + r.system:.2f} s, PSS {r.pss:.0f} MiB")
    r = run(coll, ["check", "--no-cache"], "check-cold")
    out["check --no-cache"] = row([r])
    say(f"check --no-cache: {r.wall:.2f} s, CPU {r.user + r.system:.2f} s")
    edited = {label: [] for label, _ in KINDS}
    same = {label: [] for label, _ in KINDS}
    rounds = 0
    for label, a in KINDS:
        for i in range(args.runs + 2):
            edit(coll, rounds)
            rounds += 1
            r = run(coll, a, f"edit-{label}")
            if i == 0 and label != "check":
                out[f"{label}: one note edited, after the other kind's build"] = row([r])
            if i >= 2:
                edited[label].append(r)
                same[label].append(run(coll, a, f"same-{label}"))
                say(f"{label} round {i - 1}: {edited[label][-1].wall:.2f} s after an edit, "
                    f"{same[label][-1].wall:.2f} s with nothing changed")
    for label, _ in KINDS:
        out[f"{label}: one note edited"] = row(edited[label])
        out[f"{label}: nothing changed"] = row(same[label])
    cold = out["build: cold, filling the cache"]["median_s"]
    out["ratio: build after one edit / cold build, with search"] = round(
        out["build: one note edited"]["median_s"] / cold, 3)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR")
    builds.out_option(ap, "cache.json")
    builds.settle_option(ap)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with builds.workspace(args.keep, "apparatus-cache-bench-", [f"honest-{n}" for n in sizes], args.settle) as w:
        results = [bench_size(n, args, w) for n in sizes]
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": builds.git_commit(),
              "python": platform.python_version(), "cpus": os.cpu_count(), "runs": args.runs, "results": results}
    path = builds.write_report(args.out, report)
    for r in results:
        print(f"N={r['articles']} (honest corpus; medians of {args.runs} runs; wall s / CPU s / peak PSS MiB)")
        for k, v in r.items():
            if isinstance(v, dict):
                print(f"  {k:45} {v['median_s']:8.2f} {v['median_cpu_s']:8.2f} {v['median_peak_pss_mib']:8.0f}")
            elif k != "articles":
                print(f"  {k:45} {v}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
