"""The site model: pages and their URLs, per-article summaries, and the records' backlinks.

Every page's URL is a folder with an index.html (a data file's URL is its file name), and every link in
a page is relative (``root`` is the way back to the site root), so the site works from any sub-path and
from file://. The exceptions need the published address (site.yaml's base_url): canonical links,
sitemap.xml, the feeds (feed.xml, feed.json), the Web Annotation files (apparatus.webannotation), and
404.html, which is served at any depth and so links by absolute addresses.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from . import citations, feeds, webannotation
from .annotations import Annotation, Record

STATIC = "static/"  # stands for the copied assets (templates/static, schemas) in dependency sets
INDEX = ""
RECORDS = "records/"
ABOUT = "about/"
SEARCH = "search/"  # the search page; the index lies under it
NOT_FOUND = "404.html"  # at the site root: GitHub Pages serves it for any unknown path, at any depth
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
CHANGES = "changes/"  # the newest changes; older ones on changes/2/, changes/3/ …
CHANGES_PAGES = "changes/*"  # every page of changes
FEED_ATOM = "feed.xml"
FEED_JSON = "feed.json"
CHANGES_PER_PAGE = 100  # rows of a changes page: well within the 50 KB a page may weigh (tests/test_feeds.py)
FEED_SIZE = 100  # entries in each feed
ANNOTATIONS = webannotation.COLLECTION  # the site's AnnotationCollection (with base_url)
VOCAB = webannotation.VOCAB  # the vocabulary of the correcting motivation (with base_url)


def article_url(slug: str) -> str:
    return f"articles/{slug}/"


def record_url(record_id: str) -> str:
    return f"records/{record_id}/"


def changes_url(page: int) -> str:
    return CHANGES if page == 1 else f"{CHANGES}{page}/"


def annotations_url(slug: str) -> str:
    """An article's AnnotationPage (with base_url)."""
    return f"articles/{slug}/{webannotation.PAGE}"


def hypothesis_url(slug: str) -> str:
    """An article's notes for the Hypothesis client's import (with base_url)."""
    return f"articles/{slug}/{webannotation.HYPOTHESIS}"


def output_path(url: str) -> str:
    """A page's file: a folder's index.html; a URL naming a file (404.html, feed.xml, record.bib,
    annotations.jsonld) is that file."""
    return url + "index.html" if url == INDEX or url.endswith("/") else url


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
    added: str = ""  # YYYY-MM-DD (Annotation.added); "" when unknown
    revised: str = ""  # YYYY-MM-DD (Annotation.revised); "" when unknown
    note_html: str = ""  # the note's HTML, for the feeds: a dated correction's only
    language: str = ""  # the article's BCP 47 language: the quote's


@dataclasses.dataclass(frozen=True)
class ArticleSummary:
    slug: str
    title: str
    outlet: str
    published: str
    published_approximate: bool
    counts: dict[str, int]  # correction, context, source, records
    citations: tuple[Citation, ...]
    # for search and the Web Annotation files only (HIDDEN): not in its repr or its comparisons either, which a
    # template can reach ({{ article }}, |string, ==)
    texts: bytes | str = dataclasses.field(default=b"", repr=False, compare=False)  # the article's plain text, then
    # each note's in the order of citations, packed (:func:`pack`); b"" when no index is made; in a cached summary,
    # the object holding them (apparatus.cache.Stored), read back for the index
    added: str = ""  # YYYY-MM-DD: the day its file was added, from git (apparatus.history); "" when unknown
    language: str = ""  # the article's BCP 47 language
    web_annotations: str | None = dataclasses.field(default=None, repr=False, compare=False)  # its notes' W3C
    # annotations, as the items of a page (None: no base_url)

    @property
    def url(self) -> str:
        return article_url(self.slug)


# What templates never see of a summary: the texts the search index reads and the Web Annotations, which only
# code-made files use (the sandbox refuses them, apparatus.sandbox). A note's wording that shows only there leaves
# the pages listing the articles as they were, and the build cache keys those pages by the rest (template_view).
HIDDEN: dict[type, frozenset[str]] = {ArticleSummary: frozenset({"texts", "web_annotations"})}


def template_view(s: ArticleSummary) -> ArticleSummary:
    """The summary as templates see it: the HIDDEN fields emptied."""
    return dataclasses.replace(s, texts=b"", web_annotations=None)


def pack(texts: list[str]) -> bytes:
    """The texts the search index reads of an article (its own, then its notes'), as its summary holds them until
    then: one JSON list, UTF-8, compressed together (4 to 5 times smaller than the strs: a str of text with one ’
    takes 2 bytes a character). b"" for none."""
    return zlib.compress(json.dumps(texts, ensure_ascii=False).encode("utf-8"), 1) if texts else b""


def unpack(packed: bytes) -> list[str]:
    texts: list[str] = json.loads(zlib.decompress(packed).decode("utf-8")) if packed else []
    return texts


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


# --- the changes: the notes' additions and revisions, and new articles, newest first ----------------------

@dataclasses.dataclass(frozen=True)
class Change:
    """A row of the changes pages or an entry of the feeds."""

    date: str  # YYYY-MM-DD
    kind: str  # "article" (a new article), "added" or "revised" (a note)
    article: ArticleSummary
    note: Citation | None = None  # None for an article

    @property
    def url(self) -> str:
        """Its address from the site's root: the article's page, or the note on it."""
        return self.article.url + (f"#{self.note.ann_id}" if self.note is not None else "")


def _newest_first(changes: list[Change]) -> list[Change]:
    """By date, newest first; on a day, in the collection's order (articles, then each one's notes in reading
    order): a stable sort of the collection's order, so the same commit always lists them alike."""
    return sorted(changes, key=lambda ch: ch.date, reverse=True)


def changes(summaries: list[ArticleSummary]) -> list[Change]:
    """Every dated change: each new article, each note's addition, and its last revision when later."""
    out: list[Change] = []
    for s in summaries:
        if s.added:
            out.append(Change(s.added, "article", s))
        for c in s.citations:
            if c.added:
                out.append(Change(c.added, "added", s, c))
            if c.revised and c.revised != c.added:
                out.append(Change(c.revised, "revised", s, c))
    return _newest_first(out)


def feed_entries(summaries: list[ArticleSummary]) -> list[Change]:
    """The feeds' entries, newest first, at most FEED_SIZE: each new article, and each dated correction once,
    dated by its last revision (its entry updated), or its addition."""
    out: list[Change] = []
    for s in summaries:
        if s.added:
            out.append(Change(s.added, "article", s))
        out += [Change(c.revised or c.added, "revised" if c.revised and c.revised != c.added else "added", s, c)
                for c in s.citations if c.type == "correction" and c.added]
    return _newest_first(out)[:FEED_SIZE]


def changes_pages(summaries: list[ArticleSummary]) -> list[tuple[str, dict[str, Any]]]:
    """The changes pages: CHANGES_PER_PAGE rows each, newest first; one page even when nothing is dated."""
    rows = changes(summaries)
    count = max(1, -(-len(rows) // CHANGES_PER_PAGE))
    return [(changes_url(n), {"changes": rows[(n - 1) * CHANGES_PER_PAGE:n * CHANGES_PER_PAGE], "number": n,
                              "pages": count, "newer": changes_url(n - 1) if n > 1 else "",
                              "older": changes_url(n + 1) if n < count else ""})
            for n in range(1, count + 1)]


def changes_urls(summaries: list[ArticleSummary]) -> set[str]:
    return {url for url, _ in changes_pages(summaries)}


# --- the table of pages ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Inputs:
    """What the collection's pages are made from."""

    registry: dict[str, Record]
    summaries: list[ArticleSummary]
    backlinks: dict[str, list[Citation]]  # record id → the notes citing it (:func:`backlinks`)
    site: webannotation.SiteInfo | None = None  # with base_url only: the feeds and data files need absolute ids

    @functools.cached_property
    def newest(self) -> list[Change]:
        """The feeds' entries (:func:`feed_entries`), worked out once for both feeds."""
        return feed_entries(self.summaries)

    @functools.cached_property
    def annotation_page_ids(self) -> list[str]:
        """Each article's AnnotationPage address, in article order (the pages' chain and the collection)."""
        assert self.site is not None
        return [self.site.base_url + annotations_url(s.slug) for s in self.summaries]

    @functools.cached_property
    def notes_total(self) -> int:
        return sum(len(s.citations) for s in self.summaries)


@dataclasses.dataclass(frozen=True)
class Page:
    url: str
    template: str  # "" for a data file (see data)
    context: dict[str, Any]
    weight: int  # about what it costs to render, in rows (see PageKind.rows)
    make: Callable[[dict[str, Any], dict[str, Any]], str] | None = None  # see PageKind.make
    kind: int = -1  # its row of PAGES


def _no_rows(context: dict[str, Any]) -> int:
    return 0


def _none(s: ArticleSummary) -> set[str]:
    return set()


@dataclasses.dataclass(frozen=True)
class PageKind:
    """One row of the table of pages: a template and the pages rendered with it.

    ``pages``: each page's URL and context, from the collection (None for the article pages, which
    ``pipeline.process_article`` makes, one per article). ``rows``: what a page costs to render, in
    rows, weighed relative to a record page's line for a citing note (docs/performance.md, "Collection
    pages"), for sharing the pages between processes. ``fed_by``: the pages of this kind an article's
    two files feed (the dependency map). ``urls``: the pages a template edit re-renders on their own
    (None: the template reaches every page, as an include does). ``sitemap``: listed in sitemap.xml.
    ``make``: for a file made by code rather than a template (the feeds, a record's citations, the Web
    Annotation files; ``template`` is then ""), the function of (context, the templates' ``site`` values)
    that makes its text.
    """

    template: str
    pages: Callable[[Inputs], list[tuple[str, dict[str, Any]]]] | None
    rows: Callable[[dict[str, Any]], int] = _no_rows
    fed_by: Callable[[ArticleSummary], set[str]] = _none
    urls: Callable[[list[ArticleSummary]], set[str]] | None = None
    sitemap: bool = True
    make: Callable[[dict[str, Any], dict[str, Any]], str] | None = None


ALL = "*"  # every page
RECORD_PAGES = "records/*"  # every record page
ANNOTATION_PAGES = "articles/*/" + webannotation.PAGE  # every AnnotationPage: startIndex and total follow the counts


def annotation_pages(i: Inputs) -> list[tuple[str, dict[str, Any]]]:
    """Each article's AnnotationPage, in article order, with its start index and neighbours (with base_url)."""
    if i.site is None:
        return []
    urls = i.annotation_page_ids
    collection = webannotation.collection_of(i.site, i.notes_total)
    pages, start = [], 0
    for k, s in enumerate(i.summaries):
        pages.append((annotations_url(s.slug), {
            "items": s.web_annotations or "", "page_id": urls[k], "collection": collection,
            "start": start, "prev": urls[k - 1] if k else "", "next_": urls[k + 1] if k + 1 < len(urls) else ""}))
        start += len(s.citations)
    return pages


PageList = Callable[[Inputs], list[tuple[str, dict[str, Any]]]]


def _with_base(make: Callable[[Inputs], dict[str, Any]], url: str) -> PageList:
    """One data file at url, made only with base_url (its ids are absolute)."""
    return lambda i: [(url, make(i))] if i.site is not None else []


def _web(s: ArticleSummary, *urls: str) -> set[str]:
    return set(urls) if s.web_annotations is not None else set()


# A record's citation, in files beside its page (linked from it): (label, file name, media type).
RECORD_EXPORTS = (("CSL-JSON", "record.csl.json", "application/vnd.citationstyles.csl+json"),
                  ("BibTeX", "record.bib", "application/x-bibtex"))


def _record_files(name: str) -> Callable[[Inputs], list[tuple[str, dict[str, Any]]]]:
    return lambda i: [(record_url(rid) + name, {"record": record}) for rid, record in sorted(i.registry.items())]


PAGES: tuple[PageKind, ...] = (  # in the order the collection's pages are rendered
    PageKind("index.html", lambda i: [(INDEX, {"articles": i.summaries})],
             rows=lambda context: 4 * len(context["articles"]), fed_by=lambda s: {INDEX}, urls=lambda s: {INDEX}),
    PageKind("records.html", lambda i: [(RECORDS, {"groups": records_by_kind(i.registry), "backlinks": i.backlinks})],
             rows=lambda context: 2 * sum(len(records) for _, records in context["groups"]),
             fed_by=lambda s: {RECORDS}, urls=lambda s: {RECORDS}),
    PageKind("about.html", lambda i: [(ABOUT, {})]),
    PageKind("search.html", lambda i: [(SEARCH, {})], sitemap=False),
    PageKind("record.html", lambda i: [(record_url(rid), {"record": record, "citations": i.backlinks.get(rid, []),
                                                          "exports": RECORD_EXPORTS})
                                       for rid, record in sorted(i.registry.items())],
             rows=lambda context: len(context["citations"]),
             fed_by=lambda s: {record_url(rid) for c in s.citations for rid in c.records},
             urls=lambda s: {RECORD_PAGES}),
    PageKind("article.html", None, fed_by=lambda s: {article_url(s.slug)},
             urls=lambda summaries: {article_url(s.slug) for s in summaries}),
    PageKind("404.html", lambda i: [(NOT_FOUND, {})], sitemap=False),
    PageKind("", _record_files(RECORD_EXPORTS[0][1]), make=lambda context, _: citations.csl_json(context),
             sitemap=False),
    PageKind("", _record_files(RECORD_EXPORTS[1][1]), make=lambda context, _: citations.bibtex(context),
             sitemap=False),
    PageKind("changes.html", lambda i: changes_pages(i.summaries), rows=lambda context: len(context["changes"]),
             fed_by=lambda s: {CHANGES_PAGES}, urls=lambda s: {CHANGES_PAGES}),
    PageKind("", lambda i: [(FEED_ATOM, {"entries": i.newest})] if i.site is not None else [],
             rows=lambda context: len(context["entries"]), fed_by=lambda s: {FEED_ATOM}, sitemap=False,
             make=feeds.atom),
    PageKind("", lambda i: [(FEED_JSON, {"entries": i.newest})] if i.site is not None else [],
             rows=lambda context: len(context["entries"]), fed_by=lambda s: {FEED_JSON}, sitemap=False,
             make=feeds.json_feed),
    # the data files of the Web Annotation export (apparatus.webannotation), with base_url only
    PageKind("", None, fed_by=lambda s: _web(s, hypothesis_url(s.slug)), sitemap=False),  # by the article stage
    PageKind("", annotation_pages, rows=lambda context: context["items"].count("\n"),
             fed_by=lambda s: _web(s, annotations_url(s.slug), ANNOTATIONS, ANNOTATION_PAGES),
             sitemap=False, make=lambda context, _: webannotation.annotation_page(**context)),
    PageKind("", _with_base(lambda i: {"site": i.site, "total": i.notes_total, "pages": i.annotation_page_ids},
                            ANNOTATIONS),
             sitemap=False, make=lambda context, _: webannotation.annotation_collection(**context)),
    PageKind("", _with_base(lambda i: {"site": i.site}, VOCAB), sitemap=False,
             make=lambda context, _: webannotation.vocabulary(context["site"])),
)

TEMPLATES = tuple(kind.template for kind in PAGES if kind.template)  # every collection has these


def collection_pages(inputs: Inputs) -> list[Page]:
    """Every page made from the whole collection (all but the articles'), in the table's order."""
    return [Page(url, kind.template, context, 1 + kind.rows(context), kind.make, n)
            for n, kind in enumerate(PAGES) if kind.pages is not None for url, context in kind.pages(inputs)]


def sitemap_urls(pages: list[Page], summaries: list[ArticleSummary]) -> list[str]:
    listed = {kind.template for kind in PAGES if kind.sitemap and kind.make is None}
    return sorted([p.url for p in pages if p.template in listed] + [s.url for s in summaries])


def page_root(url: str, base_url: str) -> str:
    """The way from a page back to the site root: relative, except from 404.html (see not_found_root)."""
    return not_found_root(base_url) if url == NOT_FOUND else root_of(url)


# --- the dependency map: which outputs each source feeds -------------------------------------------------------

def article_outputs(s: ArticleSummary) -> set[str]:
    """What the article stage writes for an article: its page (and, with base_url, its Hypothesis export)."""
    return {url for kind in PAGES if kind.pages is None for url in kind.fed_by(s)}


def article_dependencies(s: ArticleSummary) -> dict[str, set[str]]:
    """The entries of the dependency map for one article's two source files."""
    outs = {url for kind in PAGES for url in kind.fed_by(s)}
    return {f"content/{s.slug}.md": outs, f"annotations/{s.slug}.yaml": outs}


def dependencies(summaries: list[ArticleSummary], templates: list[str], statics: list[str]) -> dict[str, set[str]]:
    """Source path (relative to the collection) → URLs of the outputs it feeds.

    Explicit data, so that a preview rebuild is a lookup: an article or its annotation file feeds the
    pages the table says (its page, the home page's counts, the records index, every record page it
    cites); the registry and site.yaml feed every page; a template feeds the pages rendered with it,
    or every page (includes); a static file, the assets.
    """
    deps: dict[str, set[str]] = {"site.yaml": {ALL}, "annotations/_records.yaml": {ALL}}
    for s in summaries:
        deps.update(article_dependencies(s))
    own = {kind.template: kind.urls(summaries) for kind in PAGES if kind.template and kind.urls is not None}
    for name in templates:
        deps[f"templates/{name}"] = own.get(name, {ALL})  # base.html, _macros.html and other includes: every page
    for rel in statics:
        deps[rel] = {STATIC}
    return deps


# --- what a published site has beside its pages ------------------------------------------------------------


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
