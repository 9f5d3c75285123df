"""The live preview's build: kept in memory and brought up to date from the dependency map.

``full()`` builds everything once. ``rebuild(paths)`` looks each changed source up in the explicit
dependency map (:func:`apparatus.site.dependencies`, kept current as articles change): an annotation
or article edit re-processes that one article; its page is committed first, so that the reader's
reload never waits for the rest; then ``Outcome.later`` re-renders the pages that depend on it (the
home page's counts, the records index, the record pages it cites or stopped citing). A page template
re-renders its pages; a static file is copied. What the map cannot bound (site.yaml, the registry,
shared templates, an article added or removed) is a full build. A failed rebuild keeps the last good
pages and reports its diagnostics; the next save re-processes the failed files with its own, so a fix
costs what any save does (after a failed full build, the next save is a full build). Pages are
replaced whole: a page is never served half-built.

The dependent pages and the search index are made by a :class:`apparatus.forking.Worker` forked
after each full build, so that they never hold this process's GIL while the next save is rebuilt
(docs/performance.md: forking a large preview for each save slowed the next rebuild). Each call
brings the worker every article summary changed since the full build, versioned, so that it renders
from the same data the pages here were made from. A call is a :class:`Job`: sent, then finished with
the worker's reply, which :meth:`Preview.wait` waits for here, and the engine process
(:mod:`apparatus.engine`, the process that runs this class for the preview server, on its only
thread) waits for beside the next save.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from . import forking, lunrjs, pipeline, search, site
from .errors import Diagnostic, count_errors
from .output import MemoryOutput
from .watch import Kind, classify

T = TypeVar("T")

KEEP_PAGES = pipeline.Mode(keep_pages=True, drafts=True)  # article pages come back to be kept here, in memory;
# the preview shows drafts (labelled), which build and check skip

# the templates of the collection pages the worker re-renders on their own; any other template edit is a full build
PAGE_TEMPLATES = {f"templates/{k.template}" for k in site.PAGES if k.pages is not None and k.urls is not None}


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
        self.files: dict[str, bytes] = {}  # the last good site: replaced by a full build, else updated in place
        self._changed: set[str] | None = None  # the paths changed since take_changes() (None: every page)
        self.summaries: dict[str, site.ArticleSummary] = {}
        self.notes: dict[str, dict[str, int]] = {}  # slug → annotation id → hash of what the note shows
        self.deps: dict[str, set[str]] = {}
        self.collection: pipeline.Collection | None = None
        self.diagnostics: list[Diagnostic] = []
        self.generation = 0  # bumped by every committed change: a search refresh of an older one is dropped
        self._pending: set[str] = set()  # dependent pages still to render (see render_pending)
        self._worker: forking.Worker | None = None  # renders the dependent pages and the search index
        self._versions: dict[str, int] = {}  # slug → how many times its summary changed since the full build
        self._retry: set[str] = set()  # the paths of a failed incremental rebuild: the next one takes them again
        self._closed = False

    @property
    def worker(self) -> forking.Worker | None:
        """The worker forked from the current build, if any."""
        return self._worker

    @property
    def failed(self) -> bool:
        return bool(count_errors(self.diagnostics))

    # -- full build ---------------------------------------------------------------------------------------
    def full(self) -> Outcome:
        self._retry = set()
        c, diags = pipeline.load_collection(self.root, auto_reload=True)  # page templates re-read on edit
        if c is None or c.env is None or count_errors(diags):
            return self._failed(diags, stop_worker=True)
        out = MemoryOutput()
        results = pipeline.process_articles(c, KEEP_PAGES, self.jobs or forking.cores())
        for r in results:
            diags += r.diagnostics
            if r.page is not None:
                out.write(*r.page)
            for path, text in r.files:
                out.write(path, text)
        summaries = [r.summary for r in results if r.summary is not None]
        notes = {r.summary.slug: r.notes for r in results if r.summary is not None}
        if not count_errors(diags):
            diags += pipeline.render_collection_pages(c, summaries, pipeline.Mode(out))
        if count_errors(diags):
            return self._failed(diags, stop_worker=True)
        self.collection = c
        self.summaries = {s.slug: s for s in summaries}
        self.notes = notes
        templates = sorted(p.name for p in (self.root / "templates").glob("*.html"))
        statics = sorted(p.relative_to(self.root).as_posix()
                         for p in (self.root / "templates" / "static").rglob("*") if p.is_file())
        self.deps = site.dependencies(summaries, templates, statics)
        self.files, self._changed = out.files, None
        self.diagnostics = sorted(diags)
        self.generation += 1
        self._pending = set()  # every page is new
        self._start_worker()
        return Outcome(True, {site.ALL}, self.diagnostics)

    def _start_worker(self) -> None:
        """A new worker, forked from the current build (in the engine process, which runs one thread: the
        child inherits no lock held mid-operation)."""
        self._stop_worker()
        self._versions = {slug: 0 for slug in self.summaries}
        if self._closed or self.collection is None:
            return
        gc.unfreeze()
        gc.collect()  # the previous build's garbage, collected once here rather than during later saves,
        gc.freeze()   # and what is left kept out of later collections: they would touch every shared page
        self._worker = forking.Worker(_Mirror(self.collection, dict(self.summaries), dict(self._versions)))

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def close(self) -> None:
        """Stop the background worker for good (the preview server does at exit)."""
        self._closed = True
        self._stop_worker()

    def _send(self, fn: Callable[..., Any], *args: Any) -> forking.Worker | None:
        """Send fn(mirror, changes, *args) to the worker: the worker it went to, or None if there is no
        worker (a failed build, or closed).

        Each call brings every summary changed since the full build, with its version: the worker keeps
        the newest of each, so no call can put back an older one or miss one."""
        worker = self._worker
        if worker is None or self.failed:
            return None
        changes = {slug: (v, self.summaries[slug]) for slug, v in self._versions.items() if v}
        return worker if worker.send(fn, changes, *args) else None

    def _job(self, fn: Callable[..., Any], args: tuple[Any, ...], finish: Callable[[tuple[bool, Any] | None], T]
             ) -> Job[T] | T:
        """A call sent to the worker, as a job waiting for its reply; finished at once if there is no worker."""
        job = Job(fn, args, finish, self._worker)
        worker = self._send(fn, *args)
        return dataclasses.replace(job, worker=worker) if worker is not None else self.complete(job, None)

    def complete(self, job: Job[T], reply: tuple[bool, Any] | None) -> Job[T] | T:
        """Finish a job with its worker's reply, or None if the worker is gone: a worker that died is
        replaced once, from the current build, and the call sent again (a new job)."""
        if reply is None and not job.retried:
            if self._worker is job.worker and not self.failed:
                self._start_worker()
            worker = self._send(job.fn, *job.args)
            if worker is not None:
                return dataclasses.replace(job, worker=worker, retried=True)
        return job.finish(reply)

    def wait(self, job: Job[T] | T) -> T:
        """Wait here for a job's reply, and finish it (the preview's engine process waits for the worker
        and for the next save at once instead: :mod:`apparatus.engine`)."""
        while isinstance(job, Job):
            assert job.worker is not None
            job = self.complete(job, job.worker.receive())
        return job

    def crashed(self, what: str, path: str) -> Outcome:
        """A rebuild raised (a bug, or an input no check caught): reported at the path saved, the last good
        pages kept, and the next save is a full build (the collection may have been changed half-way)."""
        self.collection = None
        self._retry = set()
        return self._failed([Diagnostic(
            path, 1, 1, f"the preview could not rebuild after this change: {what}",
            "fix the file and save again: the next save rebuilds everything")])

    def _failed(self, diags: list[Diagnostic], stop_worker: bool = False) -> Outcome:
        """Report diagnostics, keeping the last good pages. A failed full build also stops the worker: it
        would only keep sharing memory pages with this process until the next good full build."""
        self.diagnostics = sorted(set(diags))
        if stop_worker:
            self._stop_worker()
        return Outcome(False, set(), self.diagnostics)

    # -- incremental --------------------------------------------------------------------------------------
    def rebuild(self, paths: set[str]) -> Outcome:
        c = self.collection
        paths = paths | self._retry  # after a failed rebuild, its files again: the fix may be in another
        kinds = {p: classify(p) for p in paths}
        if c is None or (self.failed and not self._retry) or self._needs_full(c, kinds):
            return self.full()
        slugs = sorted({Path(p).stem for p, k in kinds.items() if k in (Kind.ARTICLE, Kind.ANNOTATIONS)})
        diags: list[Diagnostic] = []
        new = dict(self.summaries)
        pages: dict[str, bytes] = {}
        notes = {}
        for slug in slugs:
            r = pipeline.process_article(c, slug, KEEP_PAGES)
            diags += r.diagnostics
            if r.summary is not None:
                new[slug], notes[slug] = r.summary, r.notes
            if r.page is not None:
                pages[r.page[0]] = r.page[1].encode("utf-8")
            for path, text in r.files:
                pages[path] = text.encode("utf-8")
        if count_errors(diags):  # nothing has changed: the last good build stays, and so does its worker
            self._retry = paths
            return self._failed(diags)
        self._retry = set()
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
        if site.ANNOTATION_PAGES in urls and any(
                len(new[s].citations) != len(self.summaries[s].citations) for s in slugs if s in self.summaries):
            urls |= {site.annotations_url(s) for s in new}  # the later pages' startIndex moved
        if site.CHANGES_PAGES in urls:  # a note's dates or words: its rows may be on any page of changes
            urls |= site.changes_urls(list(new.values()))
        focus = self._first_changed_note(slugs, new, notes)
        self.summaries = dict(sorted(new.items()))
        self.notes.update(notes)
        for slug in notes:
            self._versions[slug] = self._versions.get(slug, 0) + 1
        made = {u for s in slugs for u in site.article_outputs(new[s])}  # the article page and its own files
        done = {u for u in made if pages.get(site.output_path(u)) != self.files.get(site.output_path(u))}
        self._store(pages)
        self.diagnostics = sorted(diags)
        self.generation += 1
        self._pending |= urls - made - {site.RECORD_PAGES, site.ANNOTATION_PAGES, site.CHANGES_PAGES, site.SEARCH}
        return Outcome(True, done, self.diagnostics, focus, self.render_pending if self._pending else None)

    def render_pending(self) -> Outcome:
        """Render the dependent pages queued by rebuilds (see :meth:`pending`), waiting here."""
        return self.wait(self.pending())

    def pending(self) -> Job[Outcome] | Outcome:
        """Start rendering the dependent pages queued by rebuilds. The rendering (the home page of a large
        collection takes a while) runs in the worker, so that the next save is rebuilt meanwhile; if a
        newer change was committed by then, the pages are queued again."""
        if not self._pending or self.collection is None or self.failed:
            return Outcome(True, set(), self.diagnostics)  # (while failed, the pages stay queued)
        urls, self._pending = self._pending, set()
        generation = self.generation
        return self._job(_render_pages, (urls,), lambda reply: self._rendered(urls, generation, reply))

    def _rendered(self, urls: set[str], generation: int, result: tuple[bool, Any] | None) -> Outcome:
        if result is None and (self.failed or self._worker is None):  # a failed build or close() meanwhile
            self._pending |= urls
            return Outcome(True, set(), self.diagnostics)
        if result is None or not result[0]:
            why = f": {result[1]}" if result else ""
            out = MemoryOutput()
            more = [Diagnostic("templates", 1, 1, f"rendering the dependent pages failed{why}")]
        else:
            out, more = result[1]
        if generation != self.generation:
            self._pending |= urls
            return Outcome(True, set(), self.diagnostics, later=self.render_pending)
        if count_errors(more):  # a page template is broken: the next save is a full build, which reports it
            self._pending |= urls
            self._retry = set()
            return self._failed(self.diagnostics + more)
        changed = {u for u in urls if out.files.get(site.output_path(u)) != self.files.get(site.output_path(u))}
        if site.STATIC in urls:
            changed.add(site.STATIC)
        self._store(out.files)
        return Outcome(True, changed, self.diagnostics)

    def refresh_search(self) -> bool:
        """Rebuild the search index (see :meth:`search`), waiting here."""
        return self.wait(self.search())

    def search(self) -> Job[bool] | bool:
        """Start rebuilding the search index from the current pages' data (it is the slowest part, and no
        page waits for it). It runs in the worker, so that the next save is rebuilt meanwhile. Finishes
        False if a newer change made it stale."""
        generation = self.generation
        return self._job(_search_files, (), lambda reply: self._searched(generation, reply))

    def _searched(self, generation: int, result: tuple[bool, Any] | None) -> bool:
        if result is None or not result[0] or result[1] is None:
            return False
        files = result[1]
        if generation != self.generation:
            return False
        self._store({k: v.encode() if isinstance(v, str) else v for k, v in files.items()})
        return True

    def _store(self, files: dict[str, bytes]) -> None:
        """Pages into the site, in place: copying the whole site per save cost more than the save did."""
        self.files.update(files)
        if self._changed is not None:
            self._changed.update(files)

    def take_changes(self) -> tuple[bool, dict[str, bytes]]:
        """(True, every page) after a full build, else (False, the pages stored since the last call)."""
        changed, self._changed = self._changed, set()
        if changed is None:
            return True, self.files
        return False, {k: self.files[k] for k in changed}

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


@dataclasses.dataclass(frozen=True)
class Job(Generic[T]):
    """A call in the worker whose reply is awaited: ``Preview.complete(job, reply)`` finishes it."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    finish: Callable[[tuple[bool, Any] | None], T]
    worker: forking.Worker | None
    retried: bool = False


@dataclasses.dataclass
class _Mirror:
    """The worker's copy of the last full build, brought up to date by each call's changes."""

    collection: pipeline.Collection
    summaries: dict[str, site.ArticleSummary]
    versions: dict[str, int]

    def update(self, changes: dict[str, tuple[int, site.ArticleSummary]]) -> list[site.ArticleSummary]:
        """Apply the newer of each changed summary (calls may arrive out of order); all summaries, in order."""
        for slug, (version, summary) in changes.items():
            if version > self.versions[slug]:
                self.versions[slug], self.summaries[slug] = version, summary
        return list(self.summaries.values())


def _render_pages(m: _Mirror, changes: dict[str, tuple[int, site.ArticleSummary]], urls: set[str]
                  ) -> tuple[MemoryOutput, list[Diagnostic]]:
    summaries = m.update(changes)
    out = MemoryOutput()
    return out, pipeline.render_collection_pages(m.collection, summaries, pipeline.Mode(out), only=urls)


def _search_files(m: _Mirror, changes: dict[str, tuple[int, site.ArticleSummary]]) -> dict[str, bytes] | None:
    summaries = m.update(changes)
    try:
        return {**search.build_index(search.collection_docs(summaries, m.collection.registry,
                                                               m.collection.config.language), jobs=1),
                **lunrjs.assets(m.collection.root)}
    except lunrjs.LunrMissing:
        return None
