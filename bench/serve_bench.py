"""Benchmark the live preview: from a file save to the browser hearing the reload, and to the new page.

    python bench/serve_bench.py [--sizes 1000,10000] [--edits 20] [--pause 0.3] [--keep DIR] [--settle SECONDS]
                                [--out NAME]

For each N: generate the synthetic collection (bench/gen.py), start `build.py serve --port 0` as its
own process, connect to its Server-Sent Events stream as a browser does, then save files the way
editors do (write a temporary file, rename it over the original) and measure, per save:
  - save → reload event received (the browser would start reloading now);
  - save → the changed page served with the new content (GET after the event).
Three kinds of edit, --edits each: an annotation's note text; an article's text (a paragraph
appended); and a fix: an annotation file saved broken (a quote left open), the errors event awaited,
then saved with its note edited, as an editor fixes a typo (the fix's save is the one timed).
Reported: median and p95 in milliseconds, on stdout and in _bench/serve.json (or --out NAME).
Each save creates a file, as an editor's does, so the script first waits --settle seconds for
earlier deletions to age (bench/builds.py), and deletes its collections only at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def listen(port: int, events: queue.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/__apparatus/events")
    r = conn.getresponse()
    name = None
    while True:
        line = r.fp.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.put((time.perf_counter(), name, json.loads(line[6:])))


def wait_for(events: queue.Queue, wanted: str, match) -> float:
    """The time of the next event named wanted whose data match; exits if the build reports other errors."""
    while True:
        t, name, data = events.get(timeout=60)
        if name == wanted and match(data):
            return t
        if name == "errors":
            raise SystemExit(f"the edit broke the build: {data['text']}")


def drain(events: queue.Queue) -> None:
    """Forget the events received so far (those of earlier saves)."""
    while not events.empty():
        events.get_nowait()


def fetch(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    return conn.getresponse().read()


def measure(n: int, edits: int, workdir: Path, pause: float = 0.3) -> dict[str, object]:
    coll = workdir / f"c{n}"
    gen.main([str(coll), "--articles", str(n)]) if not coll.exists() else None
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(coll), "serve", "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    try:
        port = 0
        started = time.perf_counter()
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        startup = time.perf_counter() - started
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain
        events: queue.Queue = queue.Queue()
        threading.Thread(target=listen, args=(port, events), daemon=True).start()
        time.sleep(0.5)
        slugs = sorted(p.stem for p in (coll / "annotations").glob("*.yaml") if p.name != "_records.yaml")
        results: dict[str, dict[str, list[float]]] = {}
        for kind in ("annotation", "article", "fix"):
            reload_ms, served_ms = [], []
            for i in range(edits):
                slug = slugs[(i * 37) % len(slugs)]
                url = f"articles/{slug}/"
                marker = f"Edit {kind} {i} {time.time_ns()}"
                if kind in ("annotation", "fix"):
                    path = coll / "annotations" / f"{slug}.yaml"
                    text = path.read_text(encoding="utf-8")
                    new = re.sub(r"(\n    note: )", rf"\1{marker}. ", text, count=1)
                    if kind == "fix":
                        drain(events)
                        atomic_write(path, text.replace("\n    quote: ", '\n    quote: "', 1))
                        wait_for(events, "errors", lambda data: True)
                else:
                    path = coll / "content" / f"{slug}.md"
                    text = path.read_text(encoding="utf-8")
                    new = text.rstrip("\n") + f"\n\n{marker}.\n"
                drain(events)
                t0 = time.perf_counter()
                atomic_write(path, new)
                t = wait_for(events, "reload", lambda data, url=url: url in data["urls"])
                reload_ms.append((t - t0) * 1000)
                body = fetch(port, "/" + url)
                assert marker.encode() in body, "the reload came before the new page"
                served_ms.append((time.perf_counter() - t0) * 1000)
                atomic_write(path, text)  # put it back, and let that rebuild settle
                time.sleep(pause)
                drain(events)
            results[kind] = {"reload": reload_ms, "served": served_ms}
        stats = (("median_ms", statistics.median), ("p95_ms", p95))
        return {"articles": n, "startup_s": round(startup, 2), "pause_s": pause, **{
            f"{kind}_{what}_{stat}": round(f(v), 1)
            for kind, r in results.items() for what, v in r.items() for stat, f in stats},
            **{f"{kind}_{what}_ms": [round(x, 1) for x in v] for kind, r in results.items() for what, v in r.items()}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--pause", type=float, default=0.3,
                    help="seconds between putting a file back and the next save (default 0.3)")
    ap.add_argument("--keep", metavar="DIR")
    builds.settle_option(ap)
    builds.out_option(ap, "serve.json")
    args = ap.parse_args()
    with builds.workspace(args.keep, "apparatus-serve-", (), args.settle) as work:  # kept collections are reused
        rows = [measure(int(n), args.edits, work, args.pause) for n in args.sizes.split(",")]
    builds.write_report(args.out, rows)
    for r in rows:
        print(f"N={r['articles']:>6}  start {r['startup_s']:>5} s  " + "  ".join(
            f"{label} save→reload median {r[f'{kind}_reload_median_ms']} ms p95 {r[f'{kind}_reload_p95_ms']} ms"
            f" (→page {r[f'{kind}_served_median_ms']}/{r[f'{kind}_served_p95_ms']})"
            for kind, label in (("annotation", "annotation"), ("article", "article"), ("fix", "fix after an error"))))


if __name__ == "__main__":
    main()
