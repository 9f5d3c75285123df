"""Benchmark the reader's page: when DOMContentLoaded comes, with JavaScript and without.

    python bench/reader_bench.py [--runs 5] [--out NAME]

The repository's own collection and the generated long article (tests/long_article.py: 40 paragraphs,
49 notes) are built into a temporary folder and served over loopback. For each page (both articles,
the long one, and the home page for comparison), Debian's headless Chromium loads it --runs times in a
fresh browser context (empty cache) with JavaScript on, and as many times with it off, alternately,
after one warm-up load of each; each load reads the navigation entry's domContentLoadedEventStart and
loadEventStart. Reported: the medians, and the article pages' difference with and without JavaScript
(target: at most 50 ms, issue 13), plus the time the margin layout took once the page was loaded
(notes.js's read and write passes, measured in the page). Results go to _bench/reader.json (or --out
NAME) and a table on stdout. Needs Chromium (APPARATUS_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import long_article  # noqa: E402  (tests/long_article.py)
from browser import CHROMIUM_ARGS, serve  # noqa: E402
from tools import CHROMIUM  # noqa: E402  (tests/tools.py: APPARATUS_CHROMIUM, default /usr/bin/chromium)

from apparatus import pipeline  # noqa: E402

TARGET_MS = 50
PAGES = {"article le-drian": "articles/le-drian-hrc46-xinjiang-2021/",
         "article france-china": "articles/france-china-mass-detentions-2019/",
         "article long (49 notes)": f"articles/{long_article.SLUG}/",
         "home": ""}
TIMES = """() => { const n = performance.getEntriesByType('navigation')[0];
  return [n.domContentLoadedEventStart, n.loadEventStart]; }"""


def build(dest: Path) -> Path:
    dest.mkdir()
    for name in ("site.yaml", "content", "annotations", "templates"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    (dest / "node_modules").symlink_to(REPO / "node_modules")
    long_article.write(dest)
    with (dest / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("base_url: https://example.org/\n")
    pipeline.build(dest)
    return dest / "_site"


def load(browser, url: str, js: bool) -> tuple[float, float, float]:  # noqa: ANN001
    """(DOMContentLoaded, load, margin layout) in ms for one load in a fresh context."""
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url, wait_until="load")
    dcl, loaded = page.evaluate(TIMES)
    layout = 0.0
    if js and page.locator("article.annotated").count():
        page.wait_for_selector("article.js-margin")
        # one more layout pass, timed in the page: what a resize or a font swap costs
        layout = page.evaluate("""() => { const t = performance.now();
            window.dispatchEvent(new Event('resize'));
            return new Promise(r => requestAnimationFrame(() => r(performance.now() - t))); }""")
    context.close()
    return dcl, loaded, layout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default="reader.json")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp) / "c")
        server, base = serve(site)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, url in PAGES.items():
                load(browser, base + url, True), load(browser, base + url, False)  # warm-up
                on, off = [], []
                for _ in range(args.runs):  # alternated, so that a busy moment of the machine falls on both
                    on.append(load(browser, base + url, True))
                    off.append(load(browser, base + url, False))
                row = {"dcl_js_ms": statistics.median(r[0] for r in on),
                       "dcl_nojs_ms": statistics.median(r[0] for r in off),
                       "load_js_ms": statistics.median(r[1] for r in on),
                       "load_nojs_ms": statistics.median(r[1] for r in off),
                       "relayout_ms": statistics.median(r[2] for r in on)}
                row["dcl_difference_ms"] = row["dcl_js_ms"] - row["dcl_nojs_ms"]
                results[name] = row
            browser.close()
        server.shutdown()
        server.server_close()
    out = REPO / "_bench" / args.out
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "target_ms": TARGET_MS, "pages": results}, indent=2) + "\n")
    print(f"{'page':26} {'DCL js':>8} {'DCL no js':>10} {'diff':>7} {'load js':>8} {'relayout':>9}  (ms, median of "
          f"{args.runs})")
    worst = 0.0
    for name, r in results.items():
        if name.startswith("article"):
            worst = max(worst, r["dcl_difference_ms"])
        print(f"{name:26} {r['dcl_js_ms']:8.1f} {r['dcl_nojs_ms']:10.1f} {r['dcl_difference_ms']:7.1f} "
              f"{r['load_js_ms']:8.1f} {r['relayout_ms']:9.1f}")
    verdict = "meets" if worst <= TARGET_MS else "MISSES"
    print(f"largest article DOMContentLoaded difference: {worst:.1f} ms ({verdict} the {TARGET_MS} ms target)")
    print(f"→ {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
