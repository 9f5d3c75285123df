"""How long the note history takes: apparatus.history.note_history on a generated collection in git.

    python bench/history_bench.py [--articles 10000] [--commits 200] [--runs 5] [--keep DIR] [--out history.json]

Generates the synthetic collection of bench/gen.py, commits it on main, then makes --commits more
commits, each editing the notes of a few annotation files (one commit in ten lands as a merge of a
branch, as pull requests do), so the pass reads a history of many blobs. Then times --runs passes of what a
build does: ``note_history`` (git log, git status, and git cat-file for the blobs of files with more
than one version), then ``History.dates_of`` for every annotation file (the files' texts and note ids,
which a build reads anyway, are read before the clock starts), and reports the median. The same pass
lists the articles' additions (content/*.md) for the feeds.
Target (issue 16): at most 2 s at 10,000 articles.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
import gen  # noqa: E402  (bench/gen.py)

from apparatus import history  # noqa: E402

_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org", "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org"}


def git(repo: Path, *args: str, day: int = 0) -> None:
    stamp = f"{1767225600 + day * 86400} +0000"  # 2026-01-01 UTC, plus one day a commit
    env = {**os.environ, **_ENV, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def make_history(repo: Path, articles: int, commits: int, seed: int) -> int:
    """The collection in a repository with ``commits`` editing commits after the first; the notes' count."""
    gen.generate(repo, articles, seed)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the collection")
    rng = random.Random(seed)
    files = sorted((repo / "annotations").glob("[a-z]*.yaml"))
    for k in range(1, commits + 1):
        merge = k % 10 == 0
        if merge:
            git(repo, "checkout", "-q", "-b", f"pr-{k}")
        for path in rng.sample(files, 5):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("    note: |\n", f"    note: |\n      Revised in commit {k}.\n", 1),
                            encoding="utf-8")
        git(repo, "commit", "-q", "-am", f"edit {k}", day=k)
        if merge:
            git(repo, "checkout", "-q", "main")
            git(repo, "merge", "-q", "--no-ff", "-m", f"merge pr-{k}", f"pr-{k}", day=k)
    git(repo, "repack", "-adq")  # packed, as a clone is (CI's checkout): loose objects cost git 4 times the CPU
    return sum(1 for _ in history.note_history(repo).notes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="generate into this folder and keep it (reused if it holds a repository)")
    ap.add_argument("--out", default="history.json")
    args = ap.parse_args()
    repo = Path(args.keep or tempfile.mkdtemp(prefix="apparatus-history-", dir=gen.scratch()))
    if not (repo / ".git").is_dir():
        notes = make_history(repo, args.articles, args.commits, args.seed)
    else:
        notes = len(history.note_history(repo).notes)
    files = {p.stem: p.read_text(encoding="utf-8") for p in sorted((repo / "annotations").glob("[!_]*.yaml"))}
    ids = {slug: list(history.note_blocks(text)) for slug, text in files.items()}  # what the build's YAML gives
    times, cpu_self, cpu_git = [], [], []
    for _ in range(args.runs):
        before, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        h = history.note_history(repo)
        dated = sum(len(h.dates_of(slug, ids[slug], text)) for slug, text in files.items())
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_self.append(time.process_time() - before)
        cpu_git.append(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime)
        assert not h.problem and dated == notes and len(h.articles) == args.articles
    med = {k: round(statistics.median(v), 3) for k, v in (("wall", times), ("python", cpu_self), ("git", cpu_git))}
    report = {"articles": args.articles, "commits": args.commits, "notes": notes, "runs": args.runs,
              "median_s": med["wall"], "median_cpu_python_s": med["python"], "median_cpu_git_s": med["git"],
              "times_s": [round(t, 3) for t in times], "load_average": os.getloadavg()}
    print(f"note history: {args.articles} articles, {notes} notes, {args.commits} commits after the first: "
          f"median {med['wall']} s wall over {args.runs} passes (target 2 s); CPU {med['python']} s in Python, "
          f"{med['git']} s in git; load average {os.getloadavg()[0]:.1f}")
    out = REPO / "_bench" / args.out
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(repo)], check=False)


if __name__ == "__main__":
    main()
