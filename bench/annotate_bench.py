"""How long build.py annotate (apparatus.annotate.snippet) takes a selection (issue 18).

    python bench/annotate_bench.py [--words 20000] [--samples 500] [--seed 1] [--out NAME]

A copy of this repository's collection in a temporary folder, with three articles added: one of --words words of
bench/prose.py paragraphs (Markdown with emphasis, links and typographic quotes: its small vocabulary repeats
phrases far more than news does), the same paragraphs drawn again and again (a passage repeated dozens of times),
and one word 1,990 times over (the worst the occurrence bound lets in: no prefix or suffix tells them apart).
Timed, in this one process, as the preview's panel calls it (the page's 200 characters on each side given):
  - real: every 1- to 5-word window of both real articles (what tests/test_annotate.py checks);
  - prose: --samples windows of 1 to 5 words of the generated article, drawn at random;
  - repeated: --samples windows of the repeated paragraphs;
  - worst: a word of the last article, refused.
Reported: the median, 99th percentile and largest wall time per selection, and how many needed a prefix or suffix.
Results go to _bench/annotate.json (or --out NAME) and a table on stdout.
"""
import argparse
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import prose  # noqa: E402  (bench/prose.py)

from apparatus import anchoring, annotate, fastmd  # noqa: E402
from apparatus.articles import load_article  # noqa: E402

FRONT = "---\ntitle: \"Bench\"\noutlet: \"Bench\"\npublished: 2024-01-01\nlanguage: en\n---\n\n"


def windows(root, slug):
    """Every 1- to 5-word window of the article: (selection, text before, text after), as the page shows them."""
    article, _ = load_article(root, f"content/{slug}.md")
    blocks = anchoring.plain_blocks(fastmd.parse(article.body.text))
    page = "\n".join(b.text for b in blocks)
    out, base = [], 0
    for b in blocks:
        words = [m.span() for m in re.finditer(r"\S+", b.text)]
        for i in range(len(words)):
            for n in range(1, min(5, len(words) - i) + 1):
                s, e = base + words[i][0], base + words[i + n - 1][1]
                out.append((" ".join(page[s:e].split()), page[max(0, s - 200):s], page[e:e + 200]))
        base += len(b.text) + 1
    return out


def measure(root, slug, selections):
    times, context, refused = [], 0, 0
    for quote, before, after in selections:
        t = time.perf_counter()
        try:
            s = annotate.snippet(root, slug, quote, context_before=before, context_after=after)
            context += bool(s.prefix or s.suffix)
        except annotate.Refused:
            refused += 1
        times.append(time.perf_counter() - t)
    times.sort()
    return {"selections": len(times), "total_s": round(sum(times), 2),
            "median_ms": round(1000 * statistics.median(times), 2),
            "p99_ms": round(1000 * times[int(0.99 * (len(times) - 1))], 2), "max_ms": round(1000 * times[-1], 2),
            "with_prefix_or_suffix": context, "refused": refused}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=20_000, help="words in the generated article (default 20000)")
    ap.add_argument("--samples", type=int, default=500, help="windows timed in each generated article (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    builds.out_option(ap, "annotate.json")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("site.yaml", "content", "annotations", "templates"):
            (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, root / name)
        paragraphs, n = [], 0
        while n < args.words:
            visible, md, _ = prose.paragraph(rng)
            paragraphs.append(md)
            n += len(visible)
        (root / "content" / "prose.md").write_text(FRONT + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        few = paragraphs[:5]
        (root / "content" / "repeated.md").write_text(
            FRONT + "\n\n".join(rng.choice(few) for _ in range(len(paragraphs))) + "\n", encoding="utf-8")
        (root / "content" / "worst.md").write_text(FRONT + " ".join(["word"] * 1_990) + "\n", encoding="utf-8")
        results = {"real": {}}
        for slug in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019"):
            results["real"][slug] = measure(root, slug, windows(root, slug))
        for slug in ("prose", "repeated"):
            results[slug] = measure(root, slug, rng.sample(windows(root, slug), args.samples))
        results["worst"] = measure(root, "worst", [("word", "word " * 40, " word" * 40)] * 3)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": builds.git_commit(),
              "python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()[0],
              "words": args.words, "samples": args.samples, "seed": args.seed, "results": results}
    path = builds.write_report(args.out, report)
    rows = [*((f"real {slug[:24]}", r) for slug, r in results["real"].items()),
            *((name, results[name]) for name in ("prose", "repeated", "worst"))]
    print(f"annotate.snippet per selection (generated articles: {args.words} words; load {report['load']:.1f})")
    for name, r in rows:
        print(f"  {name:30} {r['selections']:5} selections in {r['total_s']:6.2f} s: median {r['median_ms']:6.2f} ms, "
              f"p99 {r['p99_ms']:7.2f} ms, largest {r['max_ms']:7.2f} ms; {r['with_prefix_or_suffix']} with a prefix "
              f"or suffix, {r['refused']} refused")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
