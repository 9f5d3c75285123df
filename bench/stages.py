"""Where an article's CPU time goes, stage by stage, and the floor it sets for a 2-core build.

    python bench/stages.py [--articles 1000] [--runs 7] [--seed 1] [--root COLLECTION] [--out stages.json]

Generates the synthetic collection of bench/gen.py (or uses --root), loads it, and runs
``pipeline.process_article`` on every article in this one process, pages kept in memory
(``output.MemoryOutput``: no disk), with the garbage collector set as in a forked build worker. One
untimed pass first (it renders each distinct note once, as every worker does). Then --runs timed
passes, each stage's time summed over the articles with ``time.perf_counter`` around the stage's
function. Reported: the median over the passes of each stage's ms per article.

The stages are split in two:
- **required**: what any build of this design must do per article: read and validate the article
  (front matter) and its annotation file, parse the Markdown, write the body HTML, and render the
  page template (Jinja). Each uses the fastest code the project has: ``fastyaml`` and ``fastmd``,
  proven equal to PyYAML and markdown-it-py in tests.
- **annotating**: anchoring the quotes, inserting the marks, and the rest of ``process_article``
  (link checks, rendered notes, the summary).

The floor is the required stages' sum: on 2 cores, ``floor / 2`` seconds per 1000 articles, before
start-up, writing files (system time), and the collection pages are counted. Wall time here moves
by +-20% from run to run on this machine (it shares its cores); compare medians of one run.
"""
import argparse
import functools
import gc
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)

from apparatus import forking, output, pipeline  # noqa: E402

# (label, module, function name, required by any build of this design?)
STAGES = [  # pipeline's stage functions, which process_article calls in turn
    ("article file and front matter", pipeline, "read_article", True),
    ("annotation file: YAML and schema", pipeline, "read_annotations", True),
    ("Markdown parse (fastmd)", pipeline, "parse_markdown", True),
    ("body HTML (render_article)", pipeline, "body_html", True),
    ("page template (Jinja)", pipeline, "render_article_page", True),
    ("plain text of the blocks", pipeline, "plain_text", False),
    ("anchoring quotes", pipeline, "anchor_notes", False),
    ("inserting marks", pipeline, "mark", False),
    ("Web Annotation items and Hypothesis export (with base_url)", pipeline, "web_annotations", False),
]
REST = "the rest of process_article"


def with_base_url(root):
    """A published site has base_url (the deploy workflow sets it), so its articles' Web Annotation files are
    made: the synthetic collection gets one too."""
    with (root / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("base_url: https://example.org/bench/\n")


def timed(spent, label, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start
    return wrapper


def measure(root, runs):
    """{stage label: [ms per article, per pass]}, and the article count."""
    collection, diags = pipeline.load_collection(root)
    if collection is None or any(d.is_error for d in diags):
        raise SystemExit(f"{root}: the collection does not load: {diags[:3]}")
    collection.search = False
    spent = dict.fromkeys([label for label, *_ in STAGES], 0.0)
    originals = [(module, name, getattr(module, name)) for _, module, name, _ in STAGES]
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count() > 0
    per_pass = {label: [] for label in [*spent, REST, "total"]}
    n = len(collection.slugs)
    try:
        for (label, module, name, _), (_, _, fn) in zip(STAGES, originals, strict=True):
            setattr(module, name, timed(spent, label, fn))
        gc.freeze()
        gc.set_threshold(*forking.WORKER_GC)  # as in forking.map_shared's workers
        for k in range(runs + 1):
            for label in spent:
                spent[label] = 0.0
            mode = pipeline.Mode(output.MemoryOutput())
            start = time.perf_counter()
            for slug in collection.slugs:
                pipeline.process_article(collection, slug, mode)
            total = time.perf_counter() - start
            if k == 0:
                continue  # the untimed pass
            for label, secs in spent.items():
                per_pass[label].append(secs / n * 1e3)
            per_pass[REST].append((total - sum(spent.values())) / n * 1e3)
            per_pass["total"].append(total / n * 1e3)
            print(f"pass {k}/{runs}: {total / n * 1e3:.3f} ms per article", file=sys.stderr, flush=True)
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
        gc.set_threshold(*threshold)
        if not frozen:
            gc.unfreeze()
    return per_pass, n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000, help="synthetic articles to generate (default 1000)")
    ap.add_argument("--runs", type=int, default=7, help="timed passes (default 7)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", type=Path, help="measure this collection instead of generating one")
    builds.out_option(ap, "stages.json")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.articles < 1:
        ap.error("--runs and --articles must be at least 1")
    if args.root is not None:
        per_pass, n = measure(args.root, args.runs)
    else:
        with builds.workspace(None, "apparatus-stages-", [str(args.articles)], 0) as workdir:
            root = workdir / str(args.articles)
            gen.generate(root, args.articles, args.seed)
            with_base_url(root)
            per_pass, n = measure(root, args.runs)
    median = {label: round(statistics.median(v), 4) for label, v in per_pass.items()}
    required = [label for label, _, _, req in STAGES if req]
    floor = round(sum(median[label] for label in required), 4)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": builds.git_commit(),
              "python": platform.python_version(), "cpus": os.cpu_count(), "articles": n, "runs": args.runs,
              "seed": args.seed, "root": str(args.root) if args.root else None,
              "ms_per_article": median, "required": required, "floor_ms_per_article": floor,
              "floor_s_per_1000_on_2_cores": round(floor / 2, 3), "passes": per_pass}
    path = builds.write_report(args.out, report)
    width = max(map(len, median))
    print(f"CPU per article, one process, pages in memory: {n} articles, median of {args.runs} passes")
    for label, _, _, req in STAGES:
        print(f"  {label.ljust(width)}  {median[label]:6.3f} ms  {'required' if req else 'annotating'}")
    print(f"  {REST.ljust(width)}  {median[REST]:6.3f} ms  annotating")
    print(f"  {'total'.ljust(width)}  {median['total']:6.3f} ms")
    print(f"floor (required stages): {floor:.3f} ms per article = {floor / 2:.3f} s per 1000 on 2 cores, "
          "before start-up, writing and the collection pages")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
