"""The live preview's build: kept in memory and brought up to date from the dependency map.

``full()`` builds everything once. ``rebuild(paths)`` looks each changed source up in the explicit
dependency map (:func:`apparatus.site.dependencies`, kept current as articles change): an annotation
or article edit re-processes that one article; its page is committed first, so that the reader's
reload never waits for the rest; then ``Outcome.later`` re-renders the pages that depend on it (the
home page's counts, the records index, the record pages it cites or stopped citing). A page template
re-renders its pages; a static file is copied. What the map cannot bound (site.yaml, the registry,
shared templates, an article added or removed) is a full build. A failed rebuild keeps the last good
pages and reports its diagnostics. Pages are replaced whole: a page is never served half-built.
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import forking, pipeline, search, site
from .errors import Diagnostic, count_errors
from .output import MemoryOutput
from .watch import Kind, classify

PAGE_TEMPLATES = {"templates/index.html", "templates/records.html", "templates/record.html"}


@dataclasses.dataclass
class Outcome:
    ok: bool
    urls: set[str]  # outputs that changed (site.ALL for all)
    diagnostics: list[Diagnostic]
    focus: tuple[str, str] | None = None  # (article URL, annotation id) to show the reader
    later: Callable[[], Outcome] | None = None  # the dependent pages, to run after the reload is sent


class Preview:
    def __init__(self, root: Path, jobs: int | None = None):
        self.root = root
        self.jobs = jobs
        self.files: dict[str, bytes] = {}  # the last good site; replaced whole, never edited in place
        self.summaries: dict[str, site.ArticleSummary] = {}
        self.notes: dict[str, dict[str, int]] = {}  # slug → annotation id → hash of what the note shows
        self.deps: dict[str, set[str]] = {}
        self.collection: pipeline.Collection | None = None
        self.diagnostics: list[Diagnostic] = []
        self.lock = threading.RLock()  # one build at a time
        self.generation = 0  # bumped by every committed change: a search refresh of an older one is dropped
        self._pending: set[str] = set()  # dependent pages still to render (see render_pending)

    @property
    def failed(self) -> bool:
        return bool(count_errors(self.diagnostics))

    # -- full build ---------------------------------------------------------------------------------------
    def full(self) -> Outcome:
        with self.lock:
            c, diags = pipeline.load_collection(self.root, auto_reload=True)  # page templates re-read on edit
            if c is None or c.env is None or count_errors(diags):
                return self._failed(diags)
            out = MemoryOutput()
            c.staging, c.return_pages = out, True
            results = pipeline._run_all(c, self.jobs or forking.cores())
            for r in results:
                diags += r.diagnostics
                if r.page is not None:
                    out.write(*r.page)
            summaries = [r.summary for r in results if r.summary is not None]
            notes = {r.summary.slug: r.notes for r in results if r.summary is not None}
            if not count_errors(diags):
                pipeline._write_collection_pages(c, summaries, diags)
            c.staging = None
            if count_errors(diags):
                return self._failed(diags)
            self.collection = c
            self.summaries = {s.slug: s for s in summaries}
            self.notes = notes
            templates = sorted(p.name for p in (self.root / "templates").glob("*.html"))
            statics = sorted(p.relative_to(self.root).as_posix()
                             for p in (self.root / "templates" / "static").rglob("*") if p.is_file())
            self.deps = site.dependencies(summaries, templates, statics)
            self.files = out.files
            self.diagnostics = sorted(diags)
            self.generation += 1
            return Outcome(True, {site.ALL}, self.diagnostics)

    def _failed(self, diags: list[Diagnostic]) -> Outcome:
        self.diagnostics = sorted(set(diags))
        return Outcome(False, set(), self.diagnostics)

    # -- incremental --------------------------------------------------------------------------------------
    def rebuild(self, paths: set[str]) -> Outcome:
        with self.lock:
            c = self.collection
            kinds = {p: classify(p) for p in paths}
            if c is None or self.failed or self._needs_full(c, kinds):
                return self.full()
            slugs = sorted({Path(p).stem for p, k in kinds.items() if k in (Kind.ARTICLE, Kind.ANNOTATIONS)})
            diags: list[Diagnostic] = []
            new = dict(self.summaries)
            pages: dict[str, bytes] = {}
            notes = {}
            c.return_pages = True
            for slug in slugs:
                r = pipeline.process_article(c, slug)
                diags += r.diagnostics
                if r.summary is not None:
                    new[slug], notes[slug] = r.summary, r.notes
                if r.page is not None:
                    pages[r.page[0]] = r.page[1].encode("utf-8")
            if count_errors(diags):
                return self._failed(diags)
            urls: set[str] = set()
            for p in paths:
                urls |= self.deps.get(p, set())
            for slug in slugs:
                fresh = site.article_dependencies(new[slug])
                for outs in fresh.values():
                    urls |= outs
                self.deps.update(fresh)
            if site.RECORD_PAGES in urls:
                urls |= {site.record_url(rid) for rid in c.registry}
            focus = self._first_changed_note(slugs, new, notes)
            self.summaries = dict(sorted(new.items()))
            self.notes.update(notes)
            done = {site.article_url(s) for s in slugs
                    if pages.get(site.output_path(site.article_url(s))) != self.files.get(
                        site.output_path(site.article_url(s)))}
            self.files = {**self.files, **pages}
            self.diagnostics = sorted(diags)
            self.generation += 1
            self._pending |= urls - {site.article_url(s) for s in slugs} - {site.RECORD_PAGES, site.SEARCH}
            return Outcome(True, done, self.diagnostics, focus, self.render_pending if self._pending else None)

    def render_pending(self) -> Outcome:
        """Render the dependent pages queued by rebuilds. The rendering (the home page of a large
        collection takes a while) runs on a snapshot, outside the lock, so that the next save is
        rebuilt at once; if a newer change was committed meanwhile, the pages are queued again."""
        with self.lock:
            urls, self._pending = self._pending, set()
            if not urls or self.collection is None or self.failed:
                return Outcome(True, set(), self.diagnostics)
            c = copy.copy(self.collection)
            summaries, generation = list(self.summaries.values()), self.generation
        # in a forked process, so that this one's GIL stays free for the next save
        result = _in_child(self.lock, _render_pages, c, summaries, urls)
        if result is None:
            out, more = MemoryOutput(), [Diagnostic("templates", 1, 1, "rendering the dependent pages failed")]
        else:
            out, more = result
        with self.lock:
            if generation != self.generation:
                self._pending |= urls
                return Outcome(True, set(), self.diagnostics, later=self.render_pending)
            if count_errors(more):
                return self._failed(self.diagnostics + more)
            changed = {u for u in urls if out.files.get(site.output_path(u)) != self.files.get(site.output_path(u))}
            if site.STATIC in urls:
                changed.add(site.STATIC)
            self.files = {**self.files, **out.files}
            return Outcome(True, changed, self.diagnostics)

    def refresh_search(self, in_process: bool = False) -> bool:
        """Rebuild the search index from the current pages' data (it is the slowest part, and no page
        waits for it). It runs in a forked process, so that it never holds this process's GIL while
        the next save is being rebuilt. Returns False if a newer change made it stale."""
        with self.lock:
            c = self.collection
            if c is None or self.failed:
                return False
            summaries, registry, generation = list(self.summaries.values()), c.registry, self.generation
        files = (_search_files(summaries, registry) if in_process
                 else _in_child(self.lock, _search_files, summaries, registry))
        if files is None:
            return False
        with self.lock:
            if generation != self.generation:
                return False
            self.files = {**self.files, **{k: v.encode() if isinstance(v, str) else v for k, v in files.items()}}
            return True

    def _needs_full(self, c: pipeline.Collection, kinds: dict[str, Kind]) -> bool:
        for path, kind in kinds.items():
            if kind in (Kind.CONFIG, Kind.REGISTRY):
                return True
            if kind is Kind.TEMPLATE and path not in PAGE_TEMPLATES:
                return True  # the article template or a shared one: every page
            if kind in (Kind.ARTICLE, Kind.ANNOTATIONS):
                slug = Path(path).stem
                exists = (self.root / path).is_file()
                known = c.slugs if kind is Kind.ARTICLE else c.annotation_slugs
                if exists != (slug in known):
                    return True  # an article or annotation file added or removed
        return False

    def _first_changed_note(self, slugs: list[str], new: dict[str, site.ArticleSummary],
                            notes: dict[str, dict[str, int]]) -> tuple[str, str] | None:
        """The first note (in reading order) that is new or shows something else: the one to scroll to."""
        for slug in slugs:
            old = self.notes.get(slug, {})
            for cit in new[slug].citations:
                if old.get(cit.ann_id) != notes[slug].get(cit.ann_id):
                    return site.article_url(slug), cit.ann_id
        return None


def _render_pages(c: pipeline.Collection, summaries: list[site.ArticleSummary], urls: set[str]
                  ) -> tuple[MemoryOutput, list[Diagnostic]]:
    out = MemoryOutput()
    c.staging = out
    diags: list[Diagnostic] = []
    pipeline._write_collection_pages(c, summaries, diags, only=urls)
    c.staging = None
    return out, diags


def _search_files(summaries: list[site.ArticleSummary], registry: dict[str, Any]) -> dict[str, bytes] | None:
    try:
        return {**search.build_index(search.collection_docs(summaries, registry), jobs=1), **search.assets()}
    except search.LunrMissing:
        return None


def _in_child(lock: threading.RLock, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) in a forked process (arguments are inherited, not pickled); its result comes back.

    The fork happens under the build lock: no other thread is then inside Jinja or the pipeline, so
    the child inherits no lock held mid-operation. The child closes its copy of the read end, so
    that if this process dies the child's send fails instead of blocking forever. It leaves Ctrl-C
    to this process (the terminal sends SIGINT to both) and dies quietly on SIGTERM, which is how
    this process stops it at exit: the serve command's handler, inherited, would print a traceback.
    """
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def run() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        receive.close()
        try:
            send.send(fn(*args))
        finally:
            send.close()

    child = ctx.Process(target=run, daemon=True)
    with lock:
        child.start()
    send.close()
    try:
        return receive.recv()
    except EOFError:
        return None
    finally:
        child.join()
