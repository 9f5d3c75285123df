"""Loading every YAML file of a collection: site.yaml, the records registry, every front matter and annotation file.

    python bench/loading.py [--articles 1000] [--runs 7] [--seed 1] [--root COLLECTION] [--engine PATH]

Generates the synthetic collection of bench/gen.py (or uses --root) and loads each file once per run, as a build
does (``config.load_config``, ``annotations.load_registry``, ``articles.load_article``,
``annotations.load_annotations``), in this one process, after one untimed pass. Prints the median and the best of
--runs, in seconds. ``--engine`` imports apparatus from another checkout: to compare two versions, run each in
turns (e.g. ``git worktree add /tmp/old <commit>``) and compare medians of several such pairs; the machine is
shared, so alternate them.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", type=Path, help="a collection to load instead of a generated one")
    ap.add_argument("--engine", type=Path, default=REPO, help="the checkout whose apparatus/ is timed")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.engine))
    sys.path.insert(1, str(REPO / "bench"))
    from apparatus import annotations, articles, config

    def load_all(root):
        config.load_config(root)
        records, _ = annotations.load_registry(root, "annotations/_records.yaml")
        ids = frozenset(records)
        for path in sorted((root / "content").glob("*.md")):
            articles.load_article(root, f"content/{path.name}")
        for path in sorted((root / "annotations").glob("[!_]*.yaml")):
            annotations.load_annotations(root, f"annotations/{path.name}", ids)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.root
        if root is None:
            import gen  # bench/gen.py
            root = Path(tmp) / "collection"
            gen.generate(root, args.articles, args.seed)
        load_all(root)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            load_all(root)
            times.append(time.perf_counter() - start)
    print(f"median {statistics.median(times):.4f} s, best {min(times):.4f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
