"""The site model: pages and their URLs, per-article summaries, and the records' backlinks.

Every URL is a folder with an index.html, and every link in a page is relative (``root`` is the
way back to the site root), so the site works from any sub-path and from file://. The exceptions need
the published address (site.yaml's base_url): canonical links, sitemap.xml, and 404.html, which is
served at any depth and so links by absolute addresses.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from .annotations import Annotation, Record

STATIC = "static/"  # stands for the copied assets (templates/static, schemas) in dependency sets
INDEX = ""
RECORDS = "records/"
SEARCH = "search/"  # the search page; the index lies under it


def article_url(slug: str) -> str:
    return f"articles/{slug}/"


def record_url(record_id: str) -> str:
    return f"records/{record_id}/"


def output_path(url: str) -> str:
    return url + "index.html"


def root_of(url: str) -> str:
    return "../" * url.count("/")


@dataclasses.dataclass(frozen=True)
class Citation:
    """One annotation, as seen from a record page or a search result."""

    slug: str
    article_title: str
    ann_id: str
    number: int
    type: str
    quote: str
    correction: str
    records: tuple[str, ...]
    note_text: str = ""  # the note as plain text (for search)


@dataclasses.dataclass(frozen=True)
class ArticleSummary:
    slug: str
    title: str
    outlet: str
    published: str
    published_approximate: bool
    counts: dict[str, int]  # correction, context, source, records
    citations: tuple[Citation, ...]
    text: str = ""  # the article as plain text (for search)

    @property
    def url(self) -> str:
        return article_url(self.slug)


def key_notes(notes: list[Annotation]) -> list[Annotation]:
    """The notes an article's summary lists: those marked important, then the other corrections."""
    return [a for a in notes if a.important] + [a for a in notes if not a.important and a.type == "correction"]


def count_types(types: list[str], record_ids: set[str]) -> dict[str, int]:
    c = Counter(types)
    return {"correction": c["correction"], "context": c["context"], "source": c["source"],
            "records": len(record_ids)}


def backlinks(summaries: list[ArticleSummary]) -> dict[str, list[Citation]]:
    """record id → every annotation citing it, in article order then note order."""
    out: dict[str, list[Citation]] = {}
    for s in summaries:
        for c in s.citations:
            for rid in c.records:
                out.setdefault(rid, []).append(c)
    return out


KIND_LABELS = {
    "un": "United Nations", "parliament": "Parliaments", "legislation": "Legislation",
    "government": "Governments", "court": "Courts", "other": "Other records",
}


def records_by_kind(records: dict[str, Record]) -> list[tuple[str, list[Record]]]:
    groups: dict[str, list[Record]] = {}
    for r in sorted(records.values(), key=lambda r: (r.date, r.id)):
        groups.setdefault(r.kind, []).append(r)
    return [(KIND_LABELS[k], groups[k]) for k in KIND_LABELS if k in groups]


# --- the dependency map: which outputs each source feeds -------------------------------------------------------

ALL = "*"  # every page
RECORD_PAGES = "records/*"  # every record page


def article_dependencies(s: ArticleSummary) -> dict[str, set[str]]:
    """The entries of the dependency map for one article's two source files."""
    outs = {article_url(s.slug), INDEX, RECORDS, *(record_url(rid) for c in s.citations for rid in c.records)}
    return {f"content/{s.slug}.md": outs, f"annotations/{s.slug}.yaml": outs}


def dependencies(summaries: list[ArticleSummary], templates: list[str], statics: list[str]) -> dict[str, set[str]]:
    """Source path (relative to the collection) → URLs of the outputs it feeds.

    Explicit data, so that a preview rebuild is a lookup: an article or its annotation file feeds its
    page, the home page (counts), the records index and every record page it cites; the registry and
    site.yaml feed every page; a template feeds the pages rendered with it; a static file, the assets.
    """
    deps: dict[str, set[str]] = {"site.yaml": {ALL}, "annotations/_records.yaml": {ALL}}
    for s in summaries:
        deps.update(article_dependencies(s))
    pages_of = {"article.html": {article_url(s.slug) for s in summaries}, "index.html": {INDEX},
                "records.html": {RECORDS}}
    for name in templates:
        if name == "record.html":
            deps[f"templates/{name}"] = {RECORD_PAGES}
        elif name in pages_of:
            deps[f"templates/{name}"] = pages_of[name]
        else:  # base.html, _macros.html and other includes reach every page
            deps[f"templates/{name}"] = {ALL}
    for rel in statics:
        deps[rel] = {STATIC}
    return deps


# --- what a published site has beside its pages ------------------------------------------------------------

NOT_FOUND = "404.html"  # at the site root: GitHub Pages serves it for any unknown path, at any depth
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"


def split_headline(body_html: str) -> tuple[str, str]:
    """An article's rendered body → (its headline's <h1>, the rest), when the text opens with its headline:
    the page shows the headline before the outlet and date."""
    if not body_html.startswith("<h1"):
        return "", body_html
    end = body_html.find("</h1>")
    if end < 0:
        return "", body_html
    end += len("</h1>")
    return body_html[:end], body_html[end:].lstrip("\n")


def not_found_root(base_url: str) -> str:
    """How 404.html reaches the site: served at any depth, it links by absolute addresses (by the domain's
    root without base_url, which is right only for a site published at the root of its domain)."""
    return base_url or "/"


def sitemap(base_url: str, urls: list[str]) -> str:
    """sitemap.xml (sitemaps.org 0.9) listing the pages at their absolute addresses."""
    from xml.sax.saxutils import escape

    rows = "".join(f"  <url><loc>{escape(base_url + url)}</loc></url>\n" for url in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n")


def robots(base_url: str) -> str:
    """robots.txt: everything may be crawled; the sitemap's address when it is known."""
    return "User-agent: *\nAllow: /\n" + (f"\nSitemap: {base_url}{SITEMAP}\n" if base_url else "")
