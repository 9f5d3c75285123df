"""The full build: load → validate + anchor → render → write atomically.

Site-wide inputs (site.yaml, the records registry, templates, and the notes' dates from git:
:mod:`apparatus.history`, one pass) are loaded first. Articles are then
processed independently — each by :func:`process_article`, on all cores for large collections
(:func:`apparatus.forking.map_shared`, in small chunks) — and write their page into the staging folder. Pages that
need the whole collection (home, records) are rendered once every article is done, on all cores
too (shared by the rows they list). Nothing becomes visible
until every diagnostic has been collected and none is an error; then the staging folder is
swapped in.

Each article is processed once. Its files are loaded as values (see :mod:`apparatus.schema`); a
problem found later (a quote not found, a note's bad link, a changed article) is reported by its
key path in the annotation file, which gets its positions only then.

A check of everything makes no page but one of each template (``Mode.render``): the articles are processed
without theirs, then one again with it (:func:`render_fullest_article`), and one collection page of each
template is rendered (:func:`largest_of_each`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from markdown_it.token import Token

from . import (
    cache,
    claimreview,
    fastmd,
    forking,
    history,
    languages,
    lunrjs,
    markdown,
    scaffold,
    site,
    templates,
    webannotation,
)
from .anchoring import MOVED, Anchor, Block, anchor, plain_blocks
from .annotations import REGISTRY, Annotation, AnnotationFile, Record, load_annotations, read_registry
from .articles import Article, load_article
from .config import Config, load_config, template_site
from .drafts import placeholders
from .errors import BuildError, Diagnostic, count_errors
from .outcome import BuildResult
from .output import Listed, OutputLock, OutputNotOurs, Staging, Writer, spare_path
from .progress import SILENT, Progress
from .schema import did_you_mean
from .selection import Selection
from .sources import read_bytes, walk

PARALLEL_THRESHOLD = 64  # below this many articles a worker pool costs more than it saves


@dataclasses.dataclass
class Collection:
    """Everything the per-article work needs, loaded once (and inherited by forked workers)."""

    config: Config
    registry: dict[str, Record]
    env: Any  # jinja2.Environment
    slugs: list[str]
    annotation_slugs: set[str]
    history: history.History = dataclasses.field(default_factory=lambda: history.History({}))
    whole: bool = True  # False: a check of a few named articles (load_collection)
    faulty: frozenset[str] = frozenset()  # cite keys of records (and versions) with errors: annotations.Registry
    registry_complete: bool = True  # False: the registry's list could not be read (its error is reported)
    rendered: dict[str, Any] | None = None  # the records' citations as the cache kept them (load_collection)
    parsed: tuple[str, bytes] = ("", b"")  # the registry and those citations, for the cache to keep

    def __post_init__(self) -> None:
        self.record_ids = frozenset(self.registry)
        self.record_versions = {rid: frozenset(tag for tag, _ in r.versions) for rid, r in self.registry.items()}
        cfg = self.config
        self.web = webannotation.SiteInfo(webannotation.uri(cfg.base_url), cfg.title, cfg.language,
                                          cfg.publisher_name) if cfg.base_url else None
        # every article page cites records the same way: render each citation once, with the _macros.html macro;
        # all of them before the workers fork (they share them), or for a few articles only the ones they cite
        self.cites: dict[str, Any] = {}
        self.failure: Diagnostic | None = None  # the citations' template error: no page is made (load_collection)
        if self.env is not None:
            try:
                cites = _Citations(templates.macro(self.env, "_macros.html", "cite"), self.registry)
                if self.rendered is not None:
                    cites.update(self.rendered)
                elif self.whole:
                    cites.render_all()
            except templates.TemplateFailure as exc:
                self.env, self.failure = None, exc.diagnostic
            else:
                self.cites = cites

    @property
    def root(self) -> Path:
        return self.config.root


class _Citations(dict[str, Any]):
    """Record citations as notes cite them (key: :meth:`Annotation.cite_key`, ``id`` or ``id@language``), each
    rendered on its first use."""

    def __init__(self, cite: Any, registry: dict[str, Record]):
        super().__init__()
        self._cite, self._registry = cite, registry
        self._root = site.root_of(site.article_url("x"))

    def __missing__(self, key: str) -> Any:
        rid, _, tag = key.partition("@")
        record = self._registry.get(rid)
        if record is None or (tag and tag not in dict(record.versions)):
            raise KeyError(key)
        value = self[key] = self._cite(record, self._root, tag) if tag else self._cite(record, self._root)
        return value

    def render_all(self) -> None:
        for rid, record in self._registry.items():
            for key in (rid, *(f"{rid}@{tag}" for tag, _ in record.versions)):
                if key not in self:
                    self.__missing__(key)


@dataclasses.dataclass(frozen=True)
class Mode:
    """Where a build's steps put what they make."""

    writer: Writer | None = None  # where pages go: a Staging folder (build) or memory (serve); None: check only
    keep_pages: bool = False  # article pages travel back in ArticleResult instead (the preview keeps them)
    search: bool = True  # summaries carry the texts for the search index, which is written (build --no-search: not)
    drafts: bool = False  # drafts are made too (the preview shows them); else skipped: see apparatus.drafts
    render: bool = True  # the page is made (marks, body, template); False (a check): only what reports problems


CHECK = Mode()


@dataclasses.dataclass
class ArticleResult:
    summary: site.ArticleSummary | None
    diagnostics: list[Diagnostic]
    moved: int = 0
    page: tuple[str, str] | None = None  # (path, html) when the collection keeps pages (the preview)
    notes: dict[str, int] = dataclasses.field(default_factory=dict)  # annotation id → hash of what it shows
    files: tuple[tuple[str, str], ...] = ()  # the article's other outputs (path, text), likewise
    draft: str = ""  # the article's path, when it was skipped as a draft


def _without_summary(r: ArticleResult) -> tuple[Any, ...]:
    """r's fields after its summary, as a cache entry keeps them (``ArticleResult(None, *kept)`` makes it again)."""
    return tuple(getattr(r, f.name) for f in dataclasses.fields(r)[1:])


_NOTES: dict[str, tuple[str, list[markdown.Problem]]] = {}  # each distinct note is rendered once per process
NOTES_KEPT = 4_096  # _NOTES is emptied when it holds this many: a collection of distinct notes kept them all (issue 19)


def _note_html(text: str) -> tuple[str, list[markdown.Problem]]:
    hit = _NOTES.get(text)
    if hit is None:
        if len(_NOTES) >= NOTES_KEPT:
            _NOTES.clear()
        hit = _NOTES[text] = fastmd.render_note(text)  # = markdown.render_note, proven in tests/test_fastmd.py
    return hit


def process_article(c: Collection, slug: str, mode: Mode = CHECK) -> ArticleResult:
    """Load, check, anchor and render one article (and write its page, or return it): the stages below, in
    order, each article once; an article with an error stops before its page is made."""
    article, diags = read_article(c, slug)
    if article is not None and article.draft and not mode.drafts:
        # the one place a draft leaves the build: no page, no summary (so in no page of site.PAGES), no file
        return ArticleResult(None, diags, draft=article.path)
    af, more = read_annotations(c, slug)  # validated even when the article is broken: all errors in one run
    diags += more
    if article is None:
        return ArticleResult(None, diags)
    if af is not None and not article.draft:
        diags += placeholders(af.doc, ((("annotations", a.index, f), getattr(a, f)) for a in af.annotations
                                       for f in ("quote", "prefix", "suffix", "correction", "note")))
    tokens = parse_markdown(article)
    check_links(article, tokens, diags)
    blocks = plain_text(tokens)
    anchors = anchor_notes(article, af, blocks, diags)
    notes_html = render_notes(af, diags)
    if count_errors(diags) or _cites_faulty(c, af):  # (a faulty record fails the build: the registry's error)
        return ArticleResult(None, diags)
    numbers = number_notes(anchors)
    ordered = [a.annotation for a in anchors]
    summary = summarize(slug, article, ordered, numbers, notes_html, blocks, mode, c.history.articles.get(slug, ""))
    moved = sum(a.status == MOVED for a in anchors)
    if not mode.render:  # a check: no page (but one: render_fullest_article)
        return ArticleResult(summary, diags, moved)
    mark(tokens, blocks, anchors, numbers)
    headline_html, body = body_html(tokens)
    if c.env is None:  # a template is broken: validate only
        return ArticleResult(summary, diags)
    url = site.article_url(slug)
    try:
        page = render_article_page(c, url, article, body, headline_html, ordered, numbers, notes_html, summary,
                                   text_direction(article, blocks))
    except templates.TemplateFailure as exc:
        return ArticleResult(None, [*diags, exc.diagnostic])
    files: tuple[tuple[str, str], ...] = ()
    if c.web is not None and (mode.writer is not None or mode.keep_pages):  # (check writes no file)
        summary, files = web_annotations(c, article, url, page, body, ordered, notes_html, summary)
    if mode.keep_pages:
        notes = {a.id: hash((a.type, a.quote, a.correction, a.verdict, notes_html[a.id], a.records,
                              tuple(sorted(a.record_languages.items())), a.links))
                 for a in ordered}
        return ArticleResult(summary, diags, moved, (site.output_path(url), page), notes, files)
    if mode.writer is not None:
        mode.writer.write(site.output_path(url), page)
        for path, text in files:
            mode.writer.write(path, text)
    return ArticleResult(summary, diags, moved)


# --- an article's stages, as docs/performance.md times them (bench/stages.py) ------------------------------------

def read_article(c: Collection, slug: str) -> tuple[Article | None, list[Diagnostic]]:
    """The article file and its front matter."""
    return load_article(c.root, f"content/{slug}.md")


def read_annotations(c: Collection, slug: str) -> tuple[AnnotationFile | None, list[Diagnostic]]:
    """The annotation file, if the article has one: YAML and schema; each note's dates from the history
    (a note git does not know yet keeps the ``added:`` of its YAML, and no revised date)."""
    if slug not in c.annotation_slugs:
        return None, []
    full = c.registry_complete  # else no record id is checked: the registry's own error is enough
    af, diags = load_annotations(c.root, f"annotations/{slug}.yaml", c.record_ids if full else None,
                                 c.record_versions if full else None, c.faulty)
    if af is not None and c.history:
        known = c.history.dates_of(slug, [ann.id for ann in af.annotations], af.src.text)
        for ann in af.annotations:
            dates = known.get(ann.id)
            if dates is not None:
                ann.added, ann.revised = dates.added, dates.revised
    return af, diags


def parse_markdown(article: Article) -> list[Token]:
    return fastmd.parse(article.body.text)  # = markdown.ARTICLE_MD.parse, proven in tests/test_fastmd.py


def check_links(article: Article, tokens: list[Token], diags: list[Diagnostic]) -> None:
    for tok in tokens:
        if tok.type == "inline":
            for problem, _, _ in markdown.check_links([tok], "the article", allow_images=True):
                line = article.body.first_line + (tok.map[0] if tok.map else 0)
                diags.append(article.body.diag(line, 1, problem, "link to http(s) addresses; keep images in the site"))


def plain_text(tokens: list[Token]) -> list[Block]:
    """The text a reader sees, block by block: what quotes are anchored in and the search index reads."""
    return plain_blocks(tokens)


def anchor_notes(article: Article, af: AnnotationFile | None, blocks: list[Block],
                 diags: list[Diagnostic]) -> list[Anchor]:
    """Each note's quote found in the text; a warning to review the notes if the article changed since."""
    if af is None:
        return []
    changed = _article_changed(article, af)
    anchors = anchor(af.annotations, blocks, af, article.body, diags, changed)
    if changed:
        status = {a.annotation.id: a.status for a in anchors}
        review = ", ".join(f"{x.id} ({status.get(x.id, 'orphaned')})" for x in af.annotations)
        diags.append(af.at(("article_sha256",), f"{article.path} changed since these annotations were "
                           f"checked; review: {review}",
                           f"when every note is reviewed, set article_sha256: {article_hash(article)}",
                           severity="warning"))
    return anchors


def render_notes(af: AnnotationFile | None, diags: list[Diagnostic]) -> dict[str, str]:
    """Each note's HTML (annotation id → HTML); what a note may not contain, as diagnostics."""
    notes_html = {}
    for ann in af.annotations if af is not None else []:
        html, problems = _note_html(ann.note)
        for problem, needle, hint in problems:
            assert af is not None
            diags.append(af.at(("annotations", ann.index, "note"), problem,
                               hint or "write the note in Markdown: links as [text](https://…), no HTML tags, "
                               "no images; to show a tag as text, put it in `backticks`",
                               offset=max(ann.note.find(needle), 0)))
        notes_html[ann.id] = html
    return notes_html


def number_notes(anchors: list[Anchor]) -> dict[str, int]:
    """The anchored notes numbered in reading order (anchors sorted so): annotation id → number."""
    anchors.sort(key=lambda a: (a.block, a.start, -a.end))
    return {a.annotation.id: n for n, a in enumerate(anchors, 1)}


def mark(tokens: list[Token], blocks: list[Block], anchors: list[Anchor], numbers: dict[str, int]) -> None:
    """<mark> tokens inserted for the anchored notes (:func:`number_notes`)."""
    types = {a.annotation.id: a.annotation.type for a in anchors}
    markdown.insert_marks(tokens, blocks, anchors, numbers, types)


def body_html(tokens: list[Token]) -> tuple[str, str]:
    """The article's body as HTML: (its headline, the rest)."""
    return site.split_headline(markdown.render_article(tokens))


def summarize(slug: str, article: Article, ordered: list[Annotation], numbers: dict[str, int],
              notes_html: dict[str, str], blocks: list[Block], mode: Mode, added: str = "") -> site.ArticleSummary:
    """What the collection's pages, the feeds and the search index need of the article."""
    cited = {rid for a in ordered for rid in a.records}
    texts = ["\n".join(b.text for b in blocks), *(markdown.plain_text(notes_html[a.id]) for a in ordered)] \
        if mode.search else []  # only for the search index
    return site.ArticleSummary(
        slug=slug, title=article.title, outlet=article.outlet, published=article.published,
        published_approximate=article.published_approximate,
        counts=site.count_types([a.type for a in ordered], cited),
        citations=tuple(site.Citation(slug, article.title, a.id, numbers[a.id], a.type, a.quote, a.correction,
                                      a.records, a.added, a.revised,
                                      # the feeds carry the corrections' notes (only theirs travel back)
                                      notes_html[a.id] if a.type == "correction" and a.added else "",
                                      article.language)
                        for a in ordered),
        texts=site.pack(texts), added=added, language=article.language,
    )


def render_article_page(c: Collection, url: str, article: Article, body: str, headline_html: str,
                        ordered: list[Annotation], numbers: dict[str, int], notes_html: dict[str, str],
                        summary: site.ArticleSummary, text_dir: str) -> str:
    """The page template (raises templates.TemplateFailure), with the corrections' ClaimReview JSON-LD; text_dir is
    the body's direction (:func:`text_direction`)."""
    reviews = claimreview.claim_reviews(c.config, article, url, ordered)
    return templates.render(c.env, "article.html", page_url=url, root=site.root_of(url), article=article,
                            body_html=body, notes=ordered, key=site.key_notes(ordered), numbers=numbers,
                            notes_html=notes_html, headline_html=headline_html, cites=c.cites, summary=summary,
                            text_dir=text_dir,
                            claim_reviews=claimreview.script_json(reviews) if reviews else "")


def text_direction(article: Article, blocks: list[Block]) -> str:
    """The dir of the article's text: its script's, read from its first blocks (languages.SAMPLE characters)."""
    sample: list[str] = []
    size = 0
    for b in blocks:
        if size >= languages.SAMPLE:
            break
        sample.append(b.text)
        size += len(b.text)
    return languages.direction(article.language, "\n".join(sample))


def web_annotations(c: Collection, article: Article, url: str, page: str, body: str, ordered: list[Annotation],
                    notes_html: dict[str, str], summary: site.ArticleSummary
                    ) -> tuple[site.ArticleSummary, tuple[tuple[str, str], ...]]:
    """The notes as W3C Web Annotations (kept in the summary: their page needs the collection's counts) and
    the article's Hypothesis export (written with the page). Their selectors are read from the page as
    built: highlights lie in the headline and the body, so the page is read up to the body's end."""
    assert c.web is not None
    at = page.find(body) if body else -1
    found = webannotation.selections(page, [a.id for a in ordered], at + len(body) if at >= 0 else len(page))
    target = c.web.base_url + url
    items = webannotation.article_items(ordered, c.web, target, article.language, notes_html, found, site.record_url)
    export = webannotation.hypothesis_export(ordered, c.web, target, article.title, found, c.registry,
                                             site.record_url)
    return (dataclasses.replace(summary, web_annotations=items),
            ((site.output_path(site.hypothesis_url(article.slug)), export),))


def article_hash(article: Article) -> str:
    """The hash an annotation file records of the article text it was written against."""
    return hashlib.sha256(article.body.text.encode("utf-8")).hexdigest()


def _cites_faulty(c: Collection, af: AnnotationFile | None) -> bool:
    """Whether a note cites a record or version the registry left out for an error, or could not read: its page
    cannot be made."""
    return (bool(c.faulty) or not c.registry_complete) and af is not None and any(
        rid not in c.registry or a.cite_key(rid) in c.faulty for a in af.annotations for rid in a.records)


def _article_changed(article: Article, af: Any) -> bool:
    return bool(af is not None and af.article_sha256 and af.article_sha256 != article_hash(article))


def _work(shared: tuple[Collection, Mode, Reuse | None], bounds: tuple[int, int]) -> list[Any]:
    c, mode, reuse = shared
    if reuse is not None:
        return [reuse.fresh(c, s, mode) for s in reuse.misses[bounds[0]:bounds[1]]]
    return [process_article(c, s, mode) for s in c.slugs[bounds[0]:bounds[1]]]


def process_articles(c: Collection, mode: Mode, jobs: int = 1, progress: Progress = SILENT,
                     reuse: Reuse | None = None) -> list[ArticleResult]:
    """Every article processed (:func:`process_article`), on ``jobs`` processes for a large collection; with
    reuse, only the articles whose cached result no longer holds (the others' outputs are linked)."""
    progress.stage("articles", len(c.slugs))
    if reuse is not None:
        reuse.plan(c, mode)
        progress.advance(len(c.slugs) - len(reuse.misses))
        n = len(reuse.misses)
        if jobs <= 1 or n < PARALLEL_THRESHOLD:
            fresh = [reuse.fresh(c, s, mode) for s in reuse.misses]
            progress.advance(len(fresh))
        else:
            parts = forking.map_shared(_work, forking.chunks(n, jobs), (c, mode, reuse), jobs,
                                       done=lambda bounds: progress.advance(bounds[1] - bounds[0]))
            fresh = [r for part in parts for r in part]
        return reuse.results(c, fresh)
    if jobs <= 1 or len(c.slugs) < PARALLEL_THRESHOLD:
        return [_counted(process_article(c, s, mode), progress) for s in c.slugs]
    parts = forking.map_shared(_work, forking.chunks(len(c.slugs), jobs), (c, mode, None), jobs,
                               done=lambda bounds: progress.advance(bounds[1] - bounds[0]))
    return [r for part in parts for r in part]


def _counted(result: ArticleResult, progress: Progress) -> ArticleResult:
    progress.advance()
    return result


def load_collection(root: Path, auto_reload: bool = False, whole: bool = True,
                    walked: dict[str, Any] | None = None, compiled: templates.Compiled | None = None,
                    parsed: tuple[str, bytes] | None = None) -> tuple[Collection | None, list[Diagnostic]]:
    """The site-wide inputs and the listing of the articles. Not whole (a check of named articles): the notes'
    dates are not read from git (only the collection's pages show them), and the records' citations are rendered
    as articles cite them. walked: the guarded walk of content/ and annotations/, when the run took it already
    (cache.Scan); compiled: the templates as the cache kept them compiled; parsed: (the key of what the registry
    and its citations are made from, cache.State.parsed), when the cache is used: the registry and the citations
    are taken from it when its key is that one, and c.parsed is the new one to keep."""
    config, diags = load_config(root)
    if config is None:
        return None, diags
    kept = None
    if parsed is not None and whole and parsed[1]:
        with contextlib.suppress(Exception):  # noqa: BLE001 - a kept value that does not load: read it again
            kept = pickle.loads(parsed[1])  # noqa: S301 - from the cache's signed entries
    registry, rendered = kept if kept is not None else (read_registry(root, f"annotations/{REGISTRY}"), None)
    diags += registry.diagnostics
    env, more = templates.environment(root, template_site(config), auto_reload, compiled)
    diags += more
    slugs, more = _listed(root, "content", ".md", walked)
    diags += more
    if not slugs and not more:
        diags.append(Diagnostic("content", 1, 1, "no articles: content/ has no .md files",
                                "add content/<slug>.md with front matter and the article text"))
    names, more = _listed(root, "annotations", ".yaml", walked)
    diags += more
    ann_slugs = set(names) - {REGISTRY.removesuffix(".yaml")}
    for orphan in sorted(ann_slugs - set(slugs)):
        near = did_you_mean(orphan, slugs)
        diags.append(Diagnostic(f"annotations/{orphan}.yaml", 1, 1,
                                f"annotation file has no article: content/{orphan}.md does not exist"
                                + (f"; {near}" if near else ""),
                                "name the file after its article's slug, or add the article"))
    known = history.note_history(root) if whole else history.History({})
    if known.shallow:
        diags.append(Diagnostic("annotations", 1, 1, "the repository is a shallow clone: the notes' added and "
                                "revised dates (and the changes page and feeds) miss its early history",
                                "fetch the whole history: git fetch --unshallow (in GitHub Actions, "
                                "actions/checkout with fetch-depth: 0)", severity="warning"))
    c = Collection(config, registry.records, env, slugs, ann_slugs & set(slugs), known, whole=whole,
                   faulty=registry.faulty, registry_complete=registry.complete, rendered=rendered)
    if parsed is not None and whole and c.failure is None and c.env is not None:
        c.parsed = parsed[0], parsed[1] if kept is not None else \
            pickle.dumps((registry, dict(c.cites)), protocol=pickle.HIGHEST_PROTOCOL)
    return c, diags + ([c.failure] if c.failure else [])


def _listed(root: Path, folder: str, suffix: str, walked: dict[str, Any] | None = None
            ) -> tuple[list[str], list[Diagnostic]]:
    """The names (without suffix) of the folder's own files ending in suffix; refusals of what links outside."""
    files, refused = walked[folder] if walked is not None and folder in walked else walk(root, folder)
    start = len(folder) + 1
    return [rel[start:].removesuffix(suffix) for rel in files
            if rel.endswith(suffix) and "/" not in rel[start:]], refused  # (the folder's own: no dirname per file)


def build(root: Path, write: bool = True, jobs: int | None = None, strict: bool = False,
          search_index: bool = True, only: Selection | None = None, progress: Progress = SILENT,
          use_cache: bool = False, cache_dir: Path | None = None, begun: cache.Begun | None = None) -> BuildResult:
    """Build (or with write=False, check) the collection at root. Raises BuildError on errors.

    With strict, warnings are errors: nothing is written when there is any. Without search_index,
    the search index is left out (benchmarks). With only (a check of named articles), just those articles
    are read and checked, beside what every check reads: site.yaml, the registry, the templates and the
    listing of the files (an annotation file without its article is found from the names); the pages made
    from the whole collection, and the warning for records no note cites, need every article and are left out.
    With use_cache (and no only), the build cache (:mod:`apparatus.cache`) is read and written: what is still
    valid is reused, and a run in which nothing changed replays the last result and writes nothing. begun: the
    cache as the caller opened it (cache.begin: the command line tries the replay before it imports this module).
    """
    assert only is None or not write, "only a check is limited to named articles"
    started = begun.started if begun is not None else time.perf_counter()
    progress.stage("reading the collection")
    if begun is None and use_cache and only is None:
        begun = cache.begin(root, write, search_index, strict, cache_dir, started)
    if begun is not None and begun.replayed is not None:
        return begun.replayed
    store = begun.store if begun is not None else None
    try:
        return _build(root, write, jobs, strict, search_index, only, progress, store, started,
                      begun.note if begun is not None else "", begun.listing if begun is not None else None,
                      begun.apart if begun is not None else None)
    finally:
        if begun is not None and begun.apart is not None:
            begun.apart(stop=True)  # (waited for already, unless the run failed first)
        if store is not None:
            store.close()


def _build(root: Path, write: bool, jobs: int | None, strict: bool, search_index: bool, only: Selection | None,
           progress: Progress, store: cache.Store | None, started: float, note: str,
           listing: tuple[int, cache.Listing | None] | None = None,
           apart: Callable[..., tuple[str, tuple[int, int], Listed] | None] | None = None) -> BuildResult:
    scan = cache.Scan.of(root, listing) if store is not None else None
    compiled = None
    if store is not None:
        store.load_entries()  # (a build's objects are checked and its spare listed on the other core meanwhile:
        # cache.begin started that, before the engine was imported)
        compiled = templates.Compiled(store.state.compiled if store.state.engine == cache.engine() else {})
    parsed = None
    if store is not None and scan is not None:
        key = _parsed_key(store, scan, root)
        parsed = key, store.state.parsed[1] if store.state.parsed[0] == key else b""
    c, diags = load_collection(root, whole=only is None, walked=scan.walked if scan is not None else None,
                               compiled=compiled, parsed=parsed)
    if c is None:
        raise BuildError(diags)
    if only is not None:
        listed = set(c.slugs)
        c.slugs = [s for s in only.slugs if s in listed]  # (a named annotation file without article: reported)
    if write and not c.config.base_url:
        diags.append(Diagnostic("site.yaml", 1, 1, "no base_url: the pages have no canonical link, og:url or "
                                "ClaimReview, and sitemap.xml, the feeds (feed.xml, feed.json) and the W3C Web "
                                "Annotation files are not written",
                                "add base_url: with the address the site is published at, e.g. "
                                "https://user.github.io/repo/", severity="warning"))
    held = OutputLock(c.config.output_dir) if write else None  # waits for another build; repairs a cut swap
    staging = None
    reuse = None
    made = None
    results: list[ArticleResult] = []
    summaries = Summaries()
    try:
        spare = apart() if apart is not None else None
        if held is not None and not count_errors(diags):
            staging = _staging(held, diags, store, spare)
        if store is not None and scan is not None:
            reuse = Reuse(store, staging, scan, c, search_index and write)
            reuse.new.compiled = compiled.used if compiled is not None else {}
            reuse.new.parsed = c.parsed
        writer = reuse if reuse is not None and staging is not None else staging
        # a check writes no index (no texts kept for one), and of everything makes no page but one of each template
        mode = Mode(writer, search=search_index and write, render=write or only is not None)
        jobs = jobs or forking.cores()
        results = process_articles(c, mode, jobs, progress, reuse)
        summaries = reuse.summaries(c, results) if reuse is not None else Summaries.of(results)
        if not mode.render:
            render_fullest_article(c, results, summaries)
        skipped = tuple(r.draft for r in results if r.draft)
        for r in results:
            diags += r.diagnostics
        whole = only is None
        if whole and not count_errors(diags) and c.env is not None:
            diags += _unused_records(c, summaries.records)
        if strict:
            diags = [dataclasses.replace(d, severity="error") for d in diags]
        if whole and not count_errors(diags) and c.env is not None:
            diags += render_collection_pages(c, summaries, mode, jobs=jobs, progress=progress, reuse=reuse)
        if count_errors(diags):
            if reuse is not None:
                reuse.save(None, None)
            raise BuildError(diags, skipped)
        if staging is not None:
            progress.stage("writing the site")
            if reuse is not None and staging.patching:  # the spare's files the new site has not
                staging.remove(reuse.old.spare_manifest.keys() - reuse.site.keys())
            diags += staging.commit()
            # the site's identity while the output's lock is held: once it is released, another build may swap
            # in its own site, which this run's state must not name (review of issue 19, fourth session)
            made = cache.marker(str(held.output)) if held is not None else None
    finally:
        if staging is not None:
            staging.discard()  # after a commit: nothing left to remove
        if held is not None:
            held.close()
    result = BuildResult(len(summaries), sum(summaries.citations), len(c.registry), time.perf_counter() - started,
                         sorted(diags),
                         c.config.output, sum(r.moved for r in results), skipped,
                         reused=len(reuse.hits) if reuse is not None else -1,
                         cache_note=store.note if store is not None else note)
    if reuse is not None:
        reuse.save(result, c.config.output_dir if write else None, made)
    return result


class Summaries(Sequence[site.ArticleSummary]):
    """Every article's summary, in the collection's order, with what the run's end needs of all of them (how
    many notes, which records they cite) counted as they are added. A summary from the build cache is kept
    pickled, as its entry holds it, and unpickled each time it is read here: only its reader holds it alive. Read
    here, its search texts are read back from their object too (``texts``), for the index; the collection pages
    read :meth:`listing`, without them. 10,000
    summaries, held alive and pickled with their texts, took 160 MiB of a build at its peak (docs/performance.md)."""

    def __init__(self, texts: Callable[[site.ArticleSummary], site.ArticleSummary] | None = None):
        self._items: list[site.ArticleSummary | bytes] = []  # a summary, or its pickle
        self._texts = texts
        self.places: list[int] = []  # each summary's place among the run's results
        self.citations: list[int] = []  # each summary's number of notes
        self.records: set[str] = set()  # the record ids their notes cite
        self.entries: list[cache.Entry | None] = []  # each summary's cache entry, if it has one

    @classmethod
    def of(cls, results: list[ArticleResult]) -> Summaries:
        out = cls()
        for i, r in enumerate(results):
            if r.summary is not None:
                out.add(i, r.summary)
        return out

    def add(self, i: int, summary: site.ArticleSummary) -> None:
        self._items.append(summary)
        self.places.append(i)
        self.citations.append(len(summary.citations))
        self.records.update(rid for cit in summary.citations for rid in cit.records)
        self.entries.append(None)

    def add_packed(self, i: int, packed: bytes, citations: int, records: tuple[str, ...], entry: cache.Entry) -> None:
        self._items.append(packed)
        self.places.append(i)
        self.citations.append(citations)
        self.records.update(records)
        self.entries.append(entry)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> site.ArticleSummary: ...
    @overload
    def __getitem__(self, i: slice) -> list[site.ArticleSummary]: ...

    def __getitem__(self, i: int | slice) -> site.ArticleSummary | list[site.ArticleSummary]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        v = self._items[i]
        if isinstance(v, bytes):
            assert self._texts is not None
            return self._texts(_unpickled(v))
        return v

    def __iter__(self) -> Iterator[site.ArticleSummary]:
        return (self[i] for i in range(len(self)))

    def listing(self) -> list[site.ArticleSummary]:
        """Every summary, without the texts only the search index reads (nor read back): what the collection's
        pages hold, all at once."""
        out = []
        for v in self._items:
            s = _unpickled(v) if isinstance(v, bytes) else v
            out.append(dataclasses.replace(s, texts=b"") if s.texts else s)
        return out


def _unpickled(packed: bytes) -> site.ArticleSummary:
    summary: site.ArticleSummary = pickle.loads(packed)  # noqa: S301 - from the cache's signed entries
    return summary


class Reuse:
    """A run's use of the build cache (:mod:`apparatus.cache`): which articles and pages still hold, the writer
    that stores what is made and links it into the staging folder, and the state left for the next run."""

    def __init__(self, store: cache.Store, staging: Staging | None, scan: cache.Scan, c: Collection, search: bool):
        self.store, self.staging, self.scan = store, staging, scan
        store.load_entries()
        self.old = store.state
        self.new = cache.State(scanned=scan.started, engine=cache.engine(), environment=cache.environment(),
                               listing=scan.listing)
        self.new.git = cache.git_state(c.root)
        self.misses: list[str] = []
        self.hits: dict[str, cache.Entry] = {}
        self.written: list[tuple[str, str]] = []  # (output path, object) written through this writer, here
        self.site: dict[str, str] = {}  # the new site: output path → object
        self.spare_known = staging is not None and staging.patching
        cfg = c.config  # its values as read, APPARATUS_BASE_URL applied (not its root: a cache may move)
        parts: list[str] = [self.new.engine, store.kind, str(search), self.new.environment,
                            repr([getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name != "root"])]
        for rel in _site_wide(scan):
            parts += [rel, self.sha(c, rel) or "-"]
        self.key = cache.key(*parts)
        self.records = cache.record_keys(c.registry)
        self.new.registry = cache.registry_key(self.records, c.faulty, c.registry_complete)
        self.new.order = tuple(c.slugs)
        self.history = self.new.history = _history_keys(c.history)
        self.summary_keys: list[str] = []  # each summary's whole key, in order (cache.Entry.summary_key)
        # a collection page's URL → its key, the Web Annotations its context holds, and (for a page made by code
        # from them) its context, each of them as its Stored (see pages())
        self._page_keys: dict[str, tuple[str, tuple[str, ...], dict[str, Any] | None]] = {}

    # --- the writer ------------------------------------------------------------------------------------

    def write(self, rel: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        h = self.store.put(data)
        self.written.append((rel, h))
        self.site[rel] = h
        if self.staging is not None:
            self.staging.link(rel, self.store.object_path(h), self.store.new_blobs[h][2])

    def _link(self, outputs: tuple[tuple[str, str], ...]) -> None:
        site = self.site
        for rel, h in outputs:
            site[rel] = h
        staging = self.staging
        if staging is not None:
            blobs = self.store.new_blobs
            for rel, h in outputs:
                inode = blobs[h][2]
                if not staging.holds(rel, inode):  # (most often it does: the spare is the site before last)
                    staging.link(rel, self.store.object_path(h), inode)

    # --- articles --------------------------------------------------------------------------------------

    def sha(self, c: Collection, rel: str) -> str | None:
        """The SHA-256 of a source file: the recorded one if the file is unchanged since, else read now."""
        sig = self.scan.sigs.get(rel)
        h = _sha(self.store, c.root, rel, sig)
        if h is not None and sig is not None:
            self.new.inputs[rel] = (sig, h)
        return h

    def _files(self, c: Collection, slug: str) -> list[str]:
        return [f"content/{slug}.md"] + ([f"annotations/{slug}.yaml"] if slug in c.annotation_slugs else [])

    def _article_key(self, slug: str, shas: list[str | None]) -> str:
        return cache.key(self.key, slug, *(h or "-" for h in shas), self.history.get(slug, ""))

    def _view(self, c: Collection, cited: tuple[str, ...]) -> str:
        return cache.records_view(cited, self.records, c.faulty, c.registry_complete)

    def plan(self, c: Collection, mode: Mode) -> None:
        """Sort the articles into those whose cached result holds (hits) and the rest (misses)."""
        same = self.old.key == self.key
        registry = self.old.registry == self.new.registry  # every article's view of it holds
        inputs, history = self.old.inputs, self.old.history
        for slug in c.slugs:
            e = self.old.articles.get(slug) if same else None
            if e is None:
                self.misses.append(slug)
                continue
            files = self._files(c, slug)
            shas = [self.sha(c, rel) for rel in files]
            # the key is the last run's when its inputs are: the same files, bytes and history (no hash to make)
            as_before = (history.get(slug) == self.history.get(slug)
                         and (f"annotations/{slug}.yaml" in inputs) == (len(files) == 2)
                         and all(h is not None and inputs.get(rel, (None, ""))[1] == h
                                 for rel, h in zip(files, shas, strict=True)))
            if ((as_before or e.key == self._article_key(slug, shas))
                    and (registry or e.view == self._view(c, e.cited))
                    and (self.staging is None or self.store.valid(e.outputs))
                    and self.store.valid(("", h) for h in (*e.stored, e.texts) if h)):
                self.hits[slug] = e
            else:
                self.misses.append(slug)

    def fresh(self, c: Collection, slug: str, mode: Mode) -> tuple[ArticleResult, cache.Entry | None,
                                                                      dict[str, tuple[cache.Sig, str]],
                                                                      dict[str, cache.BlobMeta], Written]:
        """Process an article (here or in a worker) and make its cache entry: its files are hashed before it is
        processed, and its entry is kept only if they did not change meanwhile and it has no error."""
        inputs: dict[str, tuple[cache.Sig, str]] = {}
        for rel in self._files(c, slug):
            data, _ = read_bytes(c.root, rel)
            try:
                sig = cache.sig(os.stat(f"{c.root}{os.sep}{rel}"))
            except OSError:
                sig = None
            if data is not None and sig is not None:
                inputs[rel] = (sig, hashlib.sha256(data).hexdigest())
        mark = len(self.written)
        r = process_article(c, slug, mode)
        outputs = tuple(self.written[mark:])
        metas = {h: self.store.new_blobs[h] for _, h in outputs}
        entry = None
        stable = len(inputs) == len(self._files(c, slug)) and all(
            _stat_sig(c.root, rel) == sig for rel, (sig, _) in inputs.items())
        # only a whole result: an article left out for a faulty record, or made while the templates are broken,
        # has no error of its own but no page either (review of issue 19)
        whole = r.summary is not None or bool(r.draft)
        if stable and whole and c.env is not None and not count_errors(r.diagnostics) and r.page is None:
            cited = tuple(sorted({rid for cit in r.summary.citations for rid in cit.records})) if r.summary else ()
            key = self._article_key(slug, [inputs[rel][1] for rel in self._files(c, slug)])
            view_key = cache.key(pickle.dumps(site.template_view(r.summary), protocol=pickle.HIGHEST_PROTOCOL)) \
                if r.summary is not None else ""
            kept = r.summary
            stored: tuple[str, ...] = ()
            if kept is not None and kept.web_annotations:  # kept as an object, read back if needed
                h = self.store.put(kept.web_annotations.encode("utf-8"))
                metas[h], stored = self.store.new_blobs[h], (h,)
                kept = dataclasses.replace(kept, web_annotations=cache.Stored(h))
            texts = ""  # (with search) its search texts: an object only the index reads
            if kept is not None and isinstance(kept.texts, bytes) and kept.texts:
                texts = self.store.put(kept.texts)
                metas[texts] = self.store.new_blobs[texts]
                kept = dataclasses.replace(kept, texts=cache.Stored(texts))
            packed = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL) if kept is not None else b""
            # its whole key is the hash of what is kept: its Web Annotations and texts by their objects' hashes
            entry = cache.Entry(key, self._view(c, cited), cited, _without_summary(r), packed,
                                len(kept.citations) if kept is not None else 0, outputs, cache.key(packed), view_key,
                                stored, texts)
            # the summary stays in its entry, pickled, as a hit's, its texts and Web Annotations in their objects: the
            # build unpickles it where it reads it (Summaries), reads the texts for the index and each AnnotationPage
            # as it renders, and holds none of them alive (10,000 articles' summaries took 160 MiB alive and
            # pickled with their texts, their Web Annotations 200 MiB, and the trip from a worker)
            r = dataclasses.replace(r, summary=None)
        return r, entry, inputs, metas, list(outputs)

    def results(self, c: Collection, fresh: list[Any]) -> list[ArticleResult]:
        """Every article's result in the collection's order: the hits' (their outputs linked into the staging
        folder) and the fresh ones'."""
        made = dict(zip(self.misses, fresh, strict=True))
        out = []
        for slug in c.slugs:
            e = self.hits.get(slug)
            if e is None:
                r, e, inputs, metas, outputs = made[slug]
                self.new.inputs.update(inputs)
                self.store.new_blobs.update(metas)
                self.site.update(outputs)
                if e is None:
                    if r.summary is not None:
                        self.summary_keys.append(cache.key(pickle.dumps(r.summary, protocol=pickle.HIGHEST_PROTOCOL)))
                    out.append(r)
                    continue
            else:
                self._link(e.outputs)
            self.new.articles[slug] = e
            if e.summary:
                self.summary_keys.append(e.summary_key)
            out.append(ArticleResult(None, *e.result) if slug in self.hits else r)  # (its summary: in its entry)
        return out

    def summaries(self, c: Collection, results: list[ArticleResult]) -> Summaries:
        """The summaries of results: those with a cache entry as the entry holds them, pickled (unpickled when
        read), the others as they are."""
        out = Summaries(self.with_texts)
        for i, (slug, r) in enumerate(zip(c.slugs, results, strict=True)):
            e = self.new.articles.get(slug)
            if e is not None:
                if e.summary:
                    out.add_packed(i, e.summary, e.citations, e.cited, e)
            elif r.summary is not None:
                out.add(i, r.summary)
        return out

    def with_texts(self, summary: site.ArticleSummary) -> site.ArticleSummary:
        """The summary with its search texts read back from their object (checked by its hash, as the state's
        files are by their signature), for the index."""
        if not isinstance(summary.texts, cache.Stored):
            return summary
        data = self.store.read(summary.texts)
        if data is None:
            where = cache.DIR if self.store.dir == self.store.root / cache.DIR else str(self.store.dir)
            raise BuildError([Diagnostic(where, 1, 1, "a file of the build cache changed or went away while this "
                                         "run read it; nothing was written", "run the build again: the next run "
                                         "checks the cache before it uses it (or build with --no-cache)")])
        return dataclasses.replace(summary, texts=data)

    # --- pages -------------------------------------------------------------------------------------------

    def pages(self, c: Collection, pages: list[site.Page], summaries: list[site.ArticleSummary],
              entries: list[cache.Entry | None]) -> list[site.Page]:
        """The pages whose cached output no longer holds (to render); the others' are linked into place. entries:
        each summary's cache entry, if it has one."""
        prints = cache.Fingerprints()
        for s, e in zip(summaries, entries, strict=True):  # (each one read: a page listing the articles may render)
            if e is not None:
                prints.add_summary(s, e.view_key, e.stored[0] if e.stored else "")
        for rid, record in c.registry.items():
            prints.known[id(record)] = self.records[rid].encode("ascii")
        todo = []
        same = self.old.key == self.key
        self.new.pages = tuple(p.url for p in pages)
        for p in pages:
            k = prints.of(self.key, p.url, p.template, p.context)
            webs = tuple(prints.touched)
            # a page made by code from Web Annotations (an AnnotationPage): its context, each text as its Stored,
            # so that relink() can make it again with an article's new ones, without the other summaries
            top = {name: cache.Stored(prints.webs[id(v)]) for name, v in p.context.items() if id(v) in prints.webs}
            kept = {**p.context, **top} if webs and p.make is not None and p.kind >= 0 and len(top) == len(webs) \
                else None
            self._page_keys[p.url] = k, webs, kept
            g = self.old.groups.get(p.url) if same else None
            if g is not None and g.key == k and (self.staging is None or self.store.valid(g.outputs)):
                self._link(g.outputs)
                self.new.groups[p.url] = g
            else:
                todo.append(p)
        return todo

    def relink(self, c: Collection, mode: Mode) -> tuple[list[str], list[site.Page]] | None:
        """When what templates see of every summary is as the last run had it (each article's view_key, in the
        same order, with the same registry, templates and settings), the pages are those the last run made and
        every one has the same context, but for the Web Annotations of the articles made again: link every page
        into place, and return the URLs sitemap.xml lists and the pages made from new Web Annotations, to render
        from their kept contexts. None when that does not hold, or a page cannot be linked or made so: every
        page is then keyed by its context (:meth:`pages`)."""
        o = self.old
        if (o.replay is None or o.key != self.key or not o.pages or o.registry != self.new.registry
                or o.order != self.new.order):
            return None
        changed: dict[str, str] = {}  # an article's old Web Annotations → its new ones (objects)
        for slug in self.misses:
            old, new = o.articles.get(slug), self.new.articles.get(slug)
            if old is None or new is None or old.view_key != new.view_key:
                return None
            was, now = old.stored[:1], new.stored[:1]
            if was != now:
                if not was or not now:
                    return None
                changed[was[0]] = now[0]
        if any(e.stored[:1] and e.stored[0] in changed for e in self.hits.values()):
            return None  # (two articles' Web Annotations are never the same: each names its article)
        prints = cache.Fingerprints()
        todo: list[site.Page] = []
        for url in o.pages:
            g = o.groups.get(url)
            if g is None:
                return None
            if not any(h in changed for h in g.webs):
                if self.staging is not None and not self.store.valid(g.outputs):
                    return None
                continue
            if g.kind < 0 or g.context is None:
                return None
            context = {name: cache.Stored(changed[v]) if isinstance(v, cache.Stored) and v in changed else v
                       for name, v in g.context.items()}
            kind = site.PAGES[g.kind]
            page = site.Page(url, kind.template, context, 1, kind.make, g.kind)
            for v in context.values():
                if isinstance(v, cache.Stored):
                    prints.known[id(v)] = f"web:{v}".encode("ascii")
                    prints.webs[id(v)] = str(v)
            k = prints.of(self.key, url, page.template, context)
            self._page_keys[url] = k, tuple(prints.touched), context
            todo.append(page)
        again = {p.url for p in todo}
        for url in o.pages:
            if url not in again:
                g = o.groups[url]
                self._link(g.outputs)
                self.new.groups[url] = g
        self.new.pages = o.pages
        return o.listed, todo

    def readable(self, context: dict[str, Any]) -> dict[str, Any]:
        """A page's context as it renders, each Stored text in it read back (one page's at a time)."""
        if not any(isinstance(v, cache.Stored) for v in context.values()):
            return context
        return {k: self.store.text(v) if isinstance(v, cache.Stored) else v for k, v in context.items()}

    def rendered(self, pages: list[site.Page], written: list[tuple[str, str]]) -> None:
        by_path = dict(written)
        self.site.update(by_path)
        for p in pages:
            path = site.output_path(p.url)
            outputs = ((path, by_path[path]),) if path in by_path else ()
            k, webs, kept = self._page_keys[p.url]
            self.new.groups[p.url] = cache.Group(k, outputs, webs, p.kind if kept is not None else -1, kept)

    def group(self, name: str, *parts: str) -> tuple[str, bool]:
        """A group of files made together (the search index): its key, and whether its outputs were linked."""
        k = cache.key(self.key, name, *parts)
        g = self.old.groups.get(name) if self.old.key == self.key else None
        if g is not None and g.key == k and (self.staging is None or self.store.valid(g.outputs)):
            self._link(g.outputs)
            self.new.groups[name] = g
            return k, True
        return k, False

    def keep_group(self, name: str, k: str, mark: int) -> None:
        self.new.groups[name] = cache.Group(k, tuple(self.written[mark:]))

    def search_key(self) -> list[str]:
        """Every summary's whole key (texts included), in order, and the records': what the index is made from."""
        return self.summary_keys + sorted(self.records.values())

    # --- the state -----------------------------------------------------------------------------------------

    def save(self, result: BuildResult | None, output: Path | None, made: tuple[int, int] | None = None) -> None:
        """Record this run for the next: after a failed run (result None), what it made of the articles. made: the
        marker of the site this build swapped in, taken while it held the output's lock."""
        new = self.new
        new.key = self.key
        for rel, sig in self.scan.sigs.items():
            new.inputs.setdefault(rel, (sig, ""))
        claimed = {rel for g in new.groups.values() for rel, _ in g.outputs}
        claimed.update(rel for e in new.articles.values() for rel, _ in e.outputs)
        rest = tuple((rel, h) for rel, h in self.written if rel not in claimed)
        if rest:
            new.groups["files"] = cache.Group("", rest)  # robots.txt, the assets: made each run, kept for the GC
        if result is None:  # the site is unchanged; the spare, if any, was taken and is gone
            new.groups = {**(self.old.groups if self.old.key == self.key else {}), **new.groups}
            new.output, new.site, new.manifest = self.old.output, self.old.site, self.old.manifest
        else:
            new.replay = dataclasses.replace(result, seconds=0.0, reused=-1, cache_note="")
            new.output = str(output) if output is not None else None
            new.site = made if output is not None else None
            new.manifest = self.site if output is not None else {}
            if self.staging is not None and self.staging.keep_spare:  # the site it replaced, beside it now
                new.spare, new.spare_manifest = self.old.site, self.old.manifest
        with contextlib.suppress(OSError):  # an unwritable cache costs the next run its speed, not its result
            self.store.save(new)


def render_fullest_article(c: Collection, results: list[ArticleResult], summaries: Summaries) -> None:
    """A check's one article page: that of the article with the most notes (the first of equals) among those
    without errors, rendered in its result's place, so that an error of the article template (or of what it
    includes) is reported, once. See docs/performance.md, "A cheaper check (issue 19)"."""
    if summaries.places and c.env is not None:
        k = max(range(len(summaries.places)), key=lambda k: summaries.citations[k])
        i = summaries.places[k]
        made = process_article(c, c.slugs[i], Mode(search=False))
        results[i] = dataclasses.replace(made, summary=results[i].summary)  # (a hit's stays in summaries)


def _sha(store: cache.Store, root: Path, rel: str, sig: cache.Sig | None) -> str | None:
    """A source file's SHA-256: as the cache recorded it if the file is unchanged since, else read now."""
    if sig is None:
        return None
    known = store.known_sha(rel, sig)
    if known is not None:
        return known
    data, _ = read_bytes(root, rel)
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _parsed_key(store: cache.Store, scan: cache.Scan, root: Path) -> str:
    """The hash of what the registry and its records' citations are made from (load_collection): the engine, the
    environment, site.yaml, every template and the registry's file."""
    parts = [cache.engine(), cache.environment()]
    for rel in [*_site_wide(scan), f"annotations/{REGISTRY}"]:
        parts += [rel, _sha(store, root, rel, scan.sigs.get(rel)) or "-"]
    return cache.key("registry and citations", *parts)


def _site_wide(scan: cache.Scan) -> list[str]:
    """The source files every page depends on, in order: site.yaml and every file under templates/ (static files
    too: a template may include one)."""
    return [rel for rel in sorted(scan.sigs) if rel == "site.yaml" or rel.startswith("templates/")]


def _stat_sig(root: Path, rel: str) -> cache.Sig | None:
    try:
        return cache.sig(os.stat(f"{root}{os.sep}{rel}"))
    except OSError:
        return None


def _history_keys(h: history.History) -> dict[str, str]:
    """Per article, what its notes' history holds (their dates, the file's one version, the article's date)."""
    notes: dict[str, list[tuple[str, str, str]]] = {}
    for (slug, nid), dates in h.known.items():
        notes.setdefault(slug, []).append((nid, dates.added, dates.revised))
    return {slug: repr((sorted(notes.get(slug, [])), h.articles.get(slug), h.single.get(slug)))
            for slug in {*notes, *h.articles, *h.single}}


def _staging(held: OutputLock, diags: list[Diagnostic], store: cache.Store | None = None,
             listed: tuple[str, tuple[int, int], Listed] | None = None) -> Staging:
    """The staging folder; with the cache, the spare site as its start when the cache knows what it holds. listed:
    the spare's path, marker and listing as cache.Store.apart's child took them before this run held the lock."""
    try:
        if store is None:
            return Staging(held)
        store.load_entries()  # the spare is known only from the entries: if they do not load, it is not used
        state = store.state
        spare = str(spare_path(held.output))
        now = cache.marker(spare)
        known = state.spare is not None and now == state.spare
        early = listed[2] if listed is not None and listed[:2] == (spare, now) else None
        return Staging(held, basis=set(state.spare_manifest) if known and state.spare_manifest else None,
                       keep=state.site is not None and cache.marker(str(held.output)) == state.site, listed=early)
    except OutputNotOurs as exc:
        raise BuildError([*diags, Diagnostic("site.yaml", 1, 1, f"the output folder {exc} exists and was not made "
                                             "by Apparatus; it is left untouched",
                                             "set output: in site.yaml to a new folder, or remove that folder")]) \
            from None


def _unused_records(c: Collection, cited: set[str]) -> list[Diagnostic]:
    return [Diagnostic(f"annotations/{REGISTRY}", 1, 1, f"record '{rid}' is not cited by any annotation",
                       "cite it from an annotation's records: list, or remove it", severity="warning")
            for rid in sorted(set(c.registry) - cited)]


def render_collection_pages(c: Collection, summaries: Sequence[site.ArticleSummary], mode: Mode,
                            only: set[str] | None = None, jobs: int = 1, progress: Progress = SILENT,
                            reuse: Reuse | None = None) -> list[Diagnostic]:
    """Render the pages made from the whole collection (all, or the URLs in ``only``: see site.PAGES) and write
    them with the site's other files and the assets; the diagnostics (a template's failure). With reuse, when
    what templates see of every summary is as the last run had it (:meth:`Reuse.relink`), the pages are linked
    from the cache but those made from an article's new Web Annotations, and no summary is read."""
    relinked = reuse.relink(c, mode) if reuse is not None and only is None else None
    if relinked is not None:
        listed, todo = relinked
        progress.stage("collection pages", len(todo))
    else:
        listed, todo = _collection_pages(c, summaries, mode, only, progress, reuse)
    failed, written = _render_pages(c, todo, mode, jobs, progress)
    if failed is not None:
        return [failed]
    if reuse is not None:
        reuse.rendered(todo, written)
        reuse.new.listed = listed
    del todo, relinked  # the pages, and the summaries they list: not held while the index is made
    writer = mode.writer
    if writer is None:
        return []
    diags: list[Diagnostic] = []
    _write_site_files(c, writer, listed, only)
    if mode.search and (only is None or site.SEARCH in only):
        progress.stage("search index")
        _write_search_index(c, writer, summaries, diags, reuse)
    if only is not None and site.STATIC not in only:
        return diags
    files, refused = walk(c.root, "templates/static")  # each file read by the guard, never copied by path
    diags += refused
    for rel in files:
        data, more = read_bytes(c.root, rel)
        diags += more
        if data is not None:
            writer.write(rel.removeprefix("templates/"), data)
    for name, text in scaffold.schema_files().items():  # published for editors' yaml-language-server
        writer.write(f"schema/{name}", text)
    return diags


def _collection_pages(c: Collection, read: Sequence[site.ArticleSummary], mode: Mode, only: set[str] | None,
                      progress: Progress, reuse: Reuse | None) -> tuple[list[str], list[site.Page]]:
    """The URLs sitemap.xml lists, and the collection's pages to render (with reuse, those whose cached output no
    longer holds: the others' are linked into place)."""
    # every one read: a page listing the articles renders again, or may
    summaries = read.listing() if isinstance(read, Summaries) else list(read)
    pages = site.collection_pages(site.Inputs(c.registry, summaries, site.backlinks(summaries), site=c.web))
    pages = [p for p in pages if p.template not in templates.OPTIONAL or templates.has(c.env, p.template)]
    listed = site.sitemap_urls(pages, summaries)
    if only is not None:
        pages = [p for p in pages if p.url in only]
    if not mode.render:
        pages = largest_of_each(pages)
    progress.stage("collection pages", len(pages))
    todo = reuse.pages(c, pages, summaries, read.entries if isinstance(read, Summaries) else [None] * len(summaries)) \
        if reuse is not None else pages
    progress.advance(len(pages) - len(todo))
    return listed, todo


def largest_of_each(pages: list[site.Page]) -> list[site.Page]:
    """A check's collection pages: one page of each template, the one listing the most rows (the first of equals),
    so that each template is rendered once, with the collection's data; no file made by code (only output)."""
    largest: dict[str, site.Page] = {}
    for p in pages:
        if p.make is None and (p.template not in largest or p.weight > largest[p.template].weight):
            largest[p.template] = p
    return list(largest.values())


def _write_site_files(c: Collection, writer: Writer, urls: list[str], only: set[str] | None) -> None:
    """robots.txt and (with base_url) sitemap.xml, at the site's root."""
    base = c.config.base_url
    if only is None or site.ROBOTS in only:
        writer.write(site.ROBOTS, site.robots(base))
    if base and (only is None or site.SITEMAP in only):
        writer.write(site.SITEMAP, site.sitemap(base, urls))


def _render_page(c: Collection, page: site.Page, writer: Writer | None) -> Diagnostic | None:
    context = writer.readable(page.context) if isinstance(writer, Reuse) else page.context
    if page.make is not None:  # a file made by code (the feeds, a record's citations), not by a template
        html = page.make(context, template_site(c.config))
    else:
        try:
            html = templates.render(c.env, page.template, page_url=page.url,
                                    root=site.page_root(page.url, c.config.base_url), **context)
        except templates.TemplateFailure as exc:
            return exc.diagnostic
    if writer is not None:
        writer.write(site.output_path(page.url), html)
    return None


def _render_run(c: Collection, pages: list[site.Page], writer: Writer | None, progress: Progress = SILENT
                ) -> Diagnostic | None:
    """Render and write pages in order, up to the first template error (returned)."""
    for p in pages:
        failed = _render_page(c, p, writer)
        if failed is not None:
            return failed
        progress.advance()
    return None


Written = list[tuple[str, str]]  # (output path, cache object) of files written through a Reuse


def _page_work(shared: tuple[Collection, list[site.Page], Writer | None], bounds: tuple[int, int]
               ) -> tuple[Diagnostic | None, Written, dict[str, cache.BlobMeta]]:
    c, pages, writer = shared
    mark = len(writer.written) if isinstance(writer, Reuse) else 0
    failed = _render_run(c, pages[bounds[0]:bounds[1]], writer)
    if not isinstance(writer, Reuse):
        return failed, [], {}
    written = writer.written[mark:]
    return failed, written, {h: writer.store.new_blobs[h] for _, h in written}


def _render_pages(c: Collection, pages: list[site.Page], mode: Mode, jobs: int, progress: Progress
                  ) -> tuple[Diagnostic | None, Written]:
    """Render and write pages; the first template error, if any, and what was written through a Reuse. Many
    pages written to disk share the cores, by weight: the records pages of a large collection hold a line for
    every note that cites them."""
    writer = mode.writer
    mark = len(writer.written) if isinstance(writer, Reuse) else 0
    staged = isinstance(writer, Staging) or (isinstance(writer, Reuse) and writer.staging is not None)
    if jobs <= 1 or len(pages) < PARALLEL_THRESHOLD or not staged:
        failed = _render_run(c, pages, writer, progress)
        return failed, writer.written[mark:] if isinstance(writer, Reuse) else []
    runs = forking.weighted_runs([p.weight for p in pages], jobs)
    parts = forking.map_shared(_page_work, runs, (c, pages, writer), jobs,
                               done=lambda bounds: progress.advance(bounds[1] - bounds[0]))
    if isinstance(writer, Reuse):
        del writer.written[mark:]  # what the runs made here: added again below, in the runs' order
    written: Written = []
    for failed, some, metas in parts:
        if failed is not None:
            return failed, []
        written += some
        if isinstance(writer, Reuse):
            writer.store.new_blobs.update(metas)
            writer.written += some
    return None, written


def _write_search_index(c: Collection, writer: Writer, summaries: Sequence[site.ArticleSummary],
                        diags: list[Diagnostic], reuse: Reuse | None = None) -> None:
    """search/: the split lunr index of every article, note and record, and lunr.js with its licence. With
    reuse, the index of the same summaries, registry and lunr.js is linked from the cache."""
    try:
        assets = lunrjs.assets(c.root)
    except lunrjs.LunrMissing as exc:
        diags.append(Diagnostic("node_modules/lunr", 1, 1, str(exc), "make setup installs it (npm ci)"))
        return
    if reuse is not None:
        reuse.new.assets = cache.assets_key(assets)
        key, linked = reuse.group("search", *reuse.search_key(), c.config.language, reuse.new.assets)
        if linked:
            return
        mark = len(reuse.written)
    from . import search  # lunr and the index builder: only for builds that write the index

    # written file by file as the index is made: a large collection's index is never held whole
    notes = summaries.citations if isinstance(summaries, Summaries) else None
    search.write_index(search.CollectionDocs(summaries, c.registry, c.config.language, notes), writer.write)
    for rel, data in assets.items():
        writer.write(rel, data)
    if reuse is not None:
        reuse.keep_group("search", key, mark)
