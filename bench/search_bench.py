"""Benchmark the search: index build time, and what a browser transfers for a first query.

    python bench/search_bench.py [--sizes 1000,10000] [--runs 3] [--words 12] [--seed 1] [--keep DIR]
                                 [--settle SECONDS] [--out NAME] [--languages en|mixed] [--queries-only]

For each N, a synthetic collection (bench/gen.py, timed on its own, not part of the figures), then:
  - index build time, two ways: (1) in process, apparatus.search.build_index on the collection's
    documents (the pipeline's summaries), median of --runs; (2) end to end, the median wall time of
    fresh `build.py build` processes minus that of `build.py build --no-search`, --runs each after
    one warm-up of each, each into a new output folder, nothing deleted meanwhile (bench/builds.py);
  - the first query, in Debian's Chromium (Playwright): for each of --words words (a seeded sample
    of the generator's vocabulary, stop words left out), a fresh browser context (empty cache) opens
    the home page, focuses the header search box and enters the word (one input event, as a paste).
    Every file requested from the focus to the first result shown is counted as a server would send
    it gzipped (gzip -6), and the time from the input to the first result is read in the page
    (performance.now(); it includes search.js's 100 ms typing pause; the script waits in the page, not
    with Playwright's polling, which competes for the page's main thread). Reported: median and largest.
With --languages mixed the collection is bench/gen.py's mixed-language one (a tenth of the articles
each in French, Chinese and Uyghur) and the words are a golden list, --words of each language
(English, French, Chinese, Uyghur: GOLDEN, words the generator writes); the report adds, per
language, the largest first query (gzipped) and its median time to the first result over the
English median of the same run. --queries-only skips the timed builds (one build, then the queries).
The repository's own collection is measured the same way (words: Drian, Xinjiang, CERD/C/CHN/CO/14-17,
117-78). As in bench/run.py, the script first waits --settle seconds for earlier deletions to age,
deletes nothing until the last timed build, and opens a browser (whose temporary profile is deleted
when it closes) only after it. Results go to _bench/search.json (or --out NAME) and a table on
stdout. Needs node_modules (make setup) and Chromium (APPARATUS_CHROMIUM, default /usr/bin/chromium).
"""
import argparse
import gzip
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)
import languages as foreign  # noqa: E402  (bench/languages.py)
from prose import WORDS  # noqa: E402
from tools import CHROMIUM  # noqa: E402  (tests/tools.py: APPARATUS_CHROMIUM, default /usr/bin/chromium)

from apparatus import forking, pipeline, search  # noqa: E402

REAL_WORDS = ["Drian", "Xinjiang", "CERD/C/CHN/CO/14-17", "117-78"]
PROBE = """
window.__search = {};
document.addEventListener("input", () => {
  window.__search.input ??= performance.now();
  window.__search.last = performance.now();
}, true);
new MutationObserver(() => {
  if (!window.__search.result && document.querySelector("#site_search_panel li")) {
    window.__search.result = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
"""

# Waits in the page, checking the probe's mark every 50 ms. (Playwright's locator.wait_for polls the
# page on every animation frame with its own selector engine, on the main thread the search runs on:
# it added 200-350 ms to the time to the first result at N=10000.)
WAIT_FOR_RESULT = """() => new Promise((resolve, reject) => {
  const until = performance.now() + 60000;
  const check = () => window.__search.result ? resolve()
    : performance.now() > until ? reject(new Error("no result in 60 s")) : setTimeout(check, 50);
  check();
})"""


def build(coll, *extra):
    """One fresh `build.py build` process into a new output folder (bench/builds.py); returns wall seconds."""
    return builds.build(coll, extra)[0]


def index_seconds(coll, runs):
    """Median seconds of search.build_index on the collection's documents, in this process."""
    c, _ = pipeline.load_collection(coll)
    results = pipeline.process_articles(c, pipeline.CHECK, forking.cores())
    summaries = [r.summary for r in results if r.summary is not None]
    docs = search.collection_docs(summaries, c.registry)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        files = search.build_index(docs)
        times.append(time.perf_counter() - t)
    index_bytes = sum(len(v) for v in files.values())
    return statistics.median(times), len(docs), len(files), index_bytes


def first_queries(site_dir, words):
    """Per word: (gzipped bytes, raw bytes, files, ms to first result), each in a fresh browser context."""
    from browser import CHROMIUM_ARGS, serve
    from playwright.sync_api import sync_playwright
    server, base = serve(site_dir)
    sizes = {}

    def gz(path):
        if path not in sizes:
            data = (site_dir / path).read_bytes()
            sizes[path] = (len(gzip.compress(data, 6)), len(data))
        return sizes[path]

    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for word in words:
                context = browser.new_context()
                page = context.new_page()
                page.add_init_script(PROBE)
                page.goto(base)
                fetched: list[str] = []
                page.on("request", lambda r, fetched=fetched: fetched.append(r.url))
                page.locator("#site_search_q").click()
                page.keyboard.insert_text(word)  # the whole word in one input event, as pasted or typed
                # within the 100 ms pause: typed a key at a time on a busy machine, the pause ran out between keys
                # and the shards of partial words were counted too
                page.evaluate(WAIT_FOR_RESULT)
                page.wait_for_load_state("networkidle")
                t = page.evaluate("window.__search")
                paths = [u[len(base):].split("?")[0] for u in fetched]
                assert all(u.startswith(base) for u in fetched), fetched
                out.append({"word": word, "gzip_bytes": sum(gz(x)[0] for x in paths),
                            "raw_bytes": sum(gz(x)[1] for x in paths), "files": paths,
                            "ms_to_first_result": round(t["result"] - t["input"]),
                            "ms_after_last_key": round(t["result"] - t["last"])})
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def summary(queries):
    gzb = [q["gzip_bytes"] for q in queries]
    ms = [q["ms_to_first_result"] for q in queries]
    last = [q["ms_after_last_key"] for q in queries]
    return {"median_gzip_kb": round(statistics.median(gzb) / 1000, 1), "max_gzip_kb": round(max(gzb) / 1000, 1),
            "median_ms": statistics.median(ms), "max_ms": max(ms), "median_ms_after_last_key": statistics.median(last),
            "words": len(queries)}


def bench_size(n, args, workdir):
    """The timed part for one size; returns (its figures, the site to query afterwards)."""
    coll = workdir / str(n)
    gen.generate(coll, n, args.seed, args.languages)
    in_process, docs, files, index_bytes = index_seconds(coll, args.runs)
    if args.queries_only:
        return {"articles": n, "documents": docs, "index_files": files, "index_mib": round(index_bytes / 2**20, 1),
                "index_s_in_process": round(in_process, 3), "index_s_per_1000": round(in_process * 1000 / n, 3),
                "build_difference_s_per_1000": ""}, builds.build(coll)[4]
    build(coll)
    build(coll, "--no-search")
    with_search = [build(coll) for _ in range(args.runs)]
    without = [build(coll, "--no-search") for _ in range(args.runs)]
    diff = statistics.median(with_search) - statistics.median(without)
    return {"articles": n, "documents": docs, "index_files": files, "index_mib": round(index_bytes / 2**20, 1),
            "index_s_in_process": round(in_process, 3), "index_s_per_1000": round(in_process * 1000 / n, 3),
            "build_s": round(statistics.median(with_search), 2),
            "build_no_search_s": round(statistics.median(without), 2),
            "build_difference_s_per_1000": round(diff * 1000 / n, 3)}, builds.build(coll)[4]


def real_site(workdir):
    """The repository's own collection, copied (as a generated collection, so that it is tidied) and built."""
    root = workdir / "real"
    root.mkdir()
    for name in ("site.yaml", "content", "annotations", "templates"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    (root / gen.MARKER).write_text("copied by bench/search_bench.py, which may delete this folder\n")
    return builds.build(root)[4]


def words(args):
    rng = random.Random(args.seed)
    return rng.sample(sorted({w for w in WORDS if w not in search.STOP_WORDS and len(w) > 2}), args.words)


# the golden word list of the mixed collection: words bench/languages.py writes, frequent and rare
GOLDEN = {
    "en": ["ministry", "detention", "testimony", "sanctions", "archive", "journalist"],
    "fr": ["ministre", "déclaration", "ouïghoure", "témoignage", "liberté", "répression"],
    "zh": [w for w in foreign.CHINESE if len(w) == 2][::300][:6],  # two-character words of its vocabulary
    "ug": ["ئۇيغۇر", "مەكتەپ", "ھۆكۈمەت", "گۇۋاھچى", "ژۇرنال", "ۋەتەن"],
}


def golden(args):
    """(language, word) for --words words of each language of GOLDEN."""
    return [(lang, w) for lang, ws in GOLDEN.items() for w in ws[:args.words]]


def by_language(queries, languages):
    """Per language: the largest first query and the median time, over English's median."""
    out = {}
    for lang in dict.fromkeys(languages):
        qs = [q for q, la in zip(queries, languages, strict=True) if la == lang]
        out[lang] = {"max_gzip_kb": round(max(q["gzip_bytes"] for q in qs) / 1000, 1),
                     "median_ms": statistics.median(q["ms_to_first_result"] for q in qs)}
    for lang in out:
        out[lang]["ms_over_english"] = round(out[lang]["median_ms"] / out["en"]["median_ms"], 2)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--words", type=int, default=12, help="one-word queries per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR/N and keep it")
    ap.add_argument("--languages", choices=["en", "mixed"], default="en", help="the collection (bench/gen.py)")
    ap.add_argument("--queries-only", action="store_true", help="no timed builds: build once, then query")
    builds.settle_option(ap)
    builds.out_option(ap, "search.json")
    args = ap.parse_args(argv)
    sizes = list(dict.fromkeys(int(s) for s in args.sizes.split(",") if s.strip()))  # each size once
    with builds.workspace(args.keep, "apparatus-search-bench-", [*map(str, sizes), "real"], args.settle) as workdir:
        timed = [bench_size(n, args, workdir) for n in sizes]
        real_queries = first_queries(real_site(workdir), REAL_WORDS)  # the browser only after the timed builds
        real = {"first_query": summary(real_queries), "queries": real_queries}
        results = []
        for figures, site in timed:
            if args.languages == "mixed":
                pairs = golden(args)
                queries = first_queries(site, [w for _, w in pairs])
                figures["by_language"] = by_language(queries, [lang for lang, _ in pairs])
            else:
                queries = first_queries(site, words(args))
            results.append({**figures, "first_query": summary(queries), "queries": queries})
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": builds.git_commit(),
              "cpus": os.cpu_count(), "load_average": os.getloadavg(), "runs": args.runs, "seed": args.seed,
              "settled_s": args.settle, "real": real, "synthetic": results}
    path = builds.write_report(args.out, report)
    print(f"{'collection':>12} {'index s/1000':>12} {'build diff s/1000':>17} {'first query gz KB':>18} "
          f"{'max KB':>7} {'ms to result':>12} {'after last key':>14}")
    rows = [(r["articles"], r["index_s_per_1000"], r["build_difference_s_per_1000"], r["first_query"]) for r in results]
    for n, index_s, diff_s, q in [*rows, ("real", "", "", real["first_query"])]:
        print(f"{n:>12} {index_s:>12} {diff_s:>17} {q['median_gzip_kb']:>18} {q['max_gzip_kb']:>7} "
              f"{q['median_ms']:>12} {q['median_ms_after_last_key']:>14}")
    for r in results:
        for lang, f in r.get("by_language", {}).items():
            print(f"{r['articles']:>12} {lang}: largest first query {f['max_gzip_kb']} KB gzipped, "
                  f"median {f['median_ms']} ms to the first result ({f['ms_over_english']} × English)")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
