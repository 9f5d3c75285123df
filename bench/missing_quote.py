"""How long a missing quote takes to report: the closest-text search's bound (issue 14, finding 4).

    python bench/missing_quote.py [--words 20000] [--quote-words 2000] [--runs 5] [--seed 1] [--out NAME]

An article of --words words of bench/prose.py paragraphs (Markdown with emphasis, links and
typographic quotes), and one annotation whose quote is nowhere in it, in four forms:
  - edited: a passage of the article with every 7th word changed (what an article edit leaves, the
    case the moved warning looks for);
  - shuffled: the same passage's words in another order (every word is in the article);
  - unrelated: words of the same vocabulary drawn at random;
  - typo: the passage with one letter in 15 changed.
Each form is anchored with ``apparatus.anchoring.anchor`` as the build does (TextIndex, then the
search; a fresh index each run, so that nothing is cached from the run before), --runs times, in this
one process. Reported: median and largest wall time, CPU time, and the runs and elements difflib
compared (``anchoring.COMPARED``). Target: under 1 s for a 2,000-word quote in a 20,000-word
article. Such a quote is longer than the schema allows (annotations.QUOTE_MAX characters), so the
build refuses it before anchoring; the search is measured on it directly, as the bound that holds
whatever reaches it (it compares such a quote word by word, by its first anchoring.WORD_LIMIT
words). --quote-words 300 measures a quote near the schema's limit, compared character by
character; --quote-words 20 a common one.
Results go to _bench/missing_quote.json (or --out NAME) and a table on stdout.
"""
import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import prose  # noqa: E402  (bench/prose.py)

from apparatus import anchoring, markdown  # noqa: E402
from apparatus.annotations import Annotation, AnnotationFile  # noqa: E402
from apparatus.sources import SourceFile  # noqa: E402


def article(rng, words):
    paragraphs, n = [], 0
    while n < words:
        visible, md, _ = prose.paragraph(rng)
        paragraphs.append(md)
        n += len(visible)
    return "\n\n".join(paragraphs) + "\n"


def quotes(rng, text, n):
    index = anchoring.TextIndex(anchoring.plain_blocks(markdown.ARTICLE_MD.parse(text)))
    visible = index.text.replace("\n", " ").split(" ")
    at = rng.randrange(len(visible) - n)
    passage = visible[at:at + n]
    edited = [rng.choice(prose.WORDS) if k % 7 == 3 else w for k, w in enumerate(passage)]
    shuffled = rng.sample(passage, len(passage))
    typo = list(" ".join(passage))
    for k in range(0, len(typo), 15):
        typo[k] = rng.choice("aeiourst")
    return {"edited": " ".join(edited), "shuffled": " ".join(shuffled),
            "unrelated": " ".join(rng.choices(prose.WORDS, k=n)), "typo": "".join(typo)}


def measure(text, quote, runs):
    body = SourceFile("content/x.md", text)
    src = AnnotationFile(SourceFile("annotations/x.yaml", ""), [])
    ann = Annotation(id="missing", type="context", quote=quote, note="n")
    walls, cpus, message = [], [], ""
    for _ in range(runs):
        tokens = markdown.ARTICLE_MD.parse(text)
        anchoring.COMPARED.clear()
        diags = []
        wall, cpu = time.perf_counter(), time.process_time()
        anchoring.anchor([ann], anchoring.plain_blocks(tokens), src, body, diags)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        message = diags[0].message if diags else "(anchored)"
    return {"wall_median_s": round(statistics.median(walls), 3), "wall_max_s": round(max(walls), 3),
            "cpu_median_s": round(statistics.median(cpus), 3), "runs_compared": anchoring.COMPARED["runs"],
            "elements_compared": anchoring.COMPARED["elements"], "quote_chars": len(quote), "message": message}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=20_000, help="words in the article (default 20000)")
    ap.add_argument("--quote-words", type=int, default=2_000, help="words in the missing quote (default 2000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each form (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    builds.out_option(ap, "missing_quote.json")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.quote_words < 1 or args.words <= args.quote_words:
        ap.error("--runs and --quote-words must be at least 1, and --words more than --quote-words")
    rng = random.Random(args.seed)
    text = article(rng, args.words)
    results = {form: measure(text, quote, args.runs) for form, quote in quotes(rng, text, args.quote_words).items()}
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": builds.git_commit(),
              "python": platform.python_version(), "cpus": os.cpu_count(), "words": args.words,
              "quote_words": args.quote_words, "runs": args.runs, "seed": args.seed,
              "budget": anchoring.COMPARE_BUDGET, "max_runs": anchoring.MAX_RUNS, "forms": results}
    path = builds.write_report(args.out, report)
    print(f"a missing {args.quote_words}-word quote in a {args.words}-word article, {args.runs} runs each "
          "(target: under 1 s)")
    for form, r in results.items():
        print(f"  {form:9}  median {r['wall_median_s']:.3f} s, largest {r['wall_max_s']:.3f} s, "
              f"CPU {r['cpu_median_s']:.3f} s; difflib compared {r['runs_compared']} runs, "
              f"{r['elements_compared']:,} elements")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
