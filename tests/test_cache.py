"""The build cache (apparatus/cache.py): a cached build is byte-identical to a cold one, whatever was edited;
a damaged, foreign or committed cache is ignored, never trusted; nothing changed means nothing written.

The property test applies random sequences of edits (articles, notes, records, templates, site.yaml,
deletions, renames, additions, touches) to a generated collection of 20 articles; after each, the build with
the cache must equal a cold build of the same sources, file for file and diagnostic for diagnostic.
``HYPOTHESIS_PROFILE=nightly`` runs it much longer (``make test-nightly``).
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, bench_gen, bench_module, tree_digest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from apparatus import cache, pipeline
from apparatus.errors import BuildError

settings.register_profile("default", max_examples=10, stateful_step_count=5, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=300, stateful_step_count=10, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 generated articles (a tenth each in French, Chinese and Uyghur) with a base_url, so that every
    output (feeds, Web Annotations, sitemap) is made."""
    gen: Any = bench_gen()
    root = tmp_path_factory.mktemp("cache") / "coll"
    gen.generate(root, 20, seed=7)
    with (root / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("base_url: https://example.org/c/\n")
    return root


def outcome(root: Path, use_cache: bool) -> tuple[dict[str, str] | None, list[str]]:
    """(the site's files → sha256, or None when the build failed; the diagnostics as printed)."""
    try:
        result = pipeline.build(root, jobs=1, use_cache=use_cache)
    except BuildError as exc:
        return None, [str(d) for d in exc.diagnostics]
    return tree_digest(root / "_site"), [str(d) for d in result.diagnostics]


def sources(root: Path) -> list[Path]:
    return [p for p in (root / "content").iterdir()] + [p for p in (root / "annotations").iterdir()
                                                         if p.name != "_records.yaml"]


class Edits(RuleBasedStateMachine):
    """A collection edited step by step, built with its cache after each step and compared with a cold build."""

    root: Path
    cold: Path

    @initialize(apart=st.booleans(), part=st.sampled_from([3, cache.PART]))
    def start(self, apart: bool, part: int) -> None:
        """apart: the objects checked and the spare listed in a child (cache.Store.apart), as for a large
        collection; part: the entries' dicts in parts of 3 items (many parts, cut and merged as they change)."""
        self.saved = cache.CHECK_APART, cache.PART
        cache.CHECK_APART = 0 if apart else cache.CHECK_APART
        cache.PART = part
        tmp = Path(BASE_TMP[0])
        n = len(list(tmp.glob("run-*")))
        self.root = tmp / f"run-{n}" / "coll"
        self.cold = tmp / f"run-{n}" / "cold"
        shutil.copytree(BASE[0], self.root)
        pipeline.build(self.root, jobs=1, use_cache=True)  # a first build fills the cache

    def teardown(self) -> None:
        if hasattr(self, "saved"):
            cache.CHECK_APART, cache.PART = self.saved

    def _slugs(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "content").glob("*.md"))

    def _rewrite(self, path: Path, change: str, pick: int) -> None:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        i = pick % len(lines)
        if change == "append":
            lines[i] += " Also."
        elif change == "word":
            lines[i] = lines[i].replace(" the ", " a ", 1)
        elif change == "drop":
            del lines[i]
        path.write_text("\n".join(lines), encoding="utf-8")

    @rule(pick=st.integers(0, 10_000), change=st.sampled_from(["append", "word", "drop"]))
    def edit_article(self, pick: int, change: str) -> None:
        slugs = self._slugs()
        if slugs:
            self._rewrite(self.root / "content" / f"{slugs[pick % len(slugs)]}.md", change, pick // 7)

    @rule(pick=st.integers(0, 10_000), change=st.sampled_from(["append", "word", "drop"]))
    def edit_annotations(self, pick: int, change: str) -> None:
        files = sorted((self.root / "annotations").glob("[!_]*.yaml"))
        if files:
            self._rewrite(files[pick % len(files)], change, pick // 7)

    @rule(pick=st.integers(0, 10_000))
    def edit_note_words(self, pick: int) -> None:
        """A note's wording only: no count, quote or record changes (the pages that do not show notes hold)."""
        files = sorted((self.root / "annotations").glob("[!_]*.yaml"))
        if files:
            path = files[pick % len(files)]
            path.write_text(path.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")

    @rule(pick=st.integers(0, 10_000), change=st.sampled_from(["append", "word", "drop"]))
    def edit_records(self, pick: int, change: str) -> None:
        path = self.root / "annotations" / "_records.yaml"
        if change == "drop":  # a title's words, not a line (a dropped line breaks the whole registry's shape)
            change = "word"
        self._rewrite(path, change, pick)

    @rule(name=st.sampled_from(["base.html", "article.html", "index.html", "record.html", "_macros.html",
                                "changes.html"]))
    def edit_template(self, name: str) -> None:
        path = self.root / "templates" / name
        path.write_text(path.read_text(encoding="utf-8") + "\n{# edited #}\n", encoding="utf-8")

    @rule(title=st.sampled_from(["A", "B", "Über"]))
    def edit_site(self, title: str) -> None:
        path = self.root / "site.yaml"
        lines = [f"title: {title}" if line.startswith("title:") else line
                 for line in path.read_text(encoding="utf-8").splitlines()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @rule(pick=st.integers(0, 10_000))
    def delete_article(self, pick: int) -> None:
        slugs = self._slugs()
        if len(slugs) > 1:
            slug = slugs[pick % len(slugs)]
            (self.root / "content" / f"{slug}.md").unlink()
            (self.root / "annotations" / f"{slug}.yaml").unlink(missing_ok=True)

    @rule(pick=st.integers(0, 10_000))
    def rename_article(self, pick: int) -> None:
        slugs = self._slugs()
        if slugs:
            slug = slugs[pick % len(slugs)]
            new = f"renamed-{pick}"
            if not (self.root / "content" / f"{new}.md").exists():
                (self.root / "content" / f"{slug}.md").rename(self.root / "content" / f"{new}.md")
                ann = self.root / "annotations" / f"{slug}.yaml"
                if ann.exists():
                    ann.rename(self.root / "annotations" / f"{new}.yaml")

    @rule(pick=st.integers(0, 10_000))
    def copy_article(self, pick: int) -> None:
        slugs = self._slugs()
        if slugs:
            slug = slugs[pick % len(slugs)]
            new = f"copy-{pick}"
            if new == slug:  # (a copy of a copy, by the same pick: nothing to copy; the nightly run found it)
                return
            shutil.copyfile(self.root / "content" / f"{slug}.md", self.root / "content" / f"{new}.md")
            ann = self.root / "annotations" / f"{slug}.yaml"
            if ann.exists():
                shutil.copyfile(ann, self.root / "annotations" / f"{new}.yaml")

    @rule(pick=st.integers(0, 10_000))
    def touch(self, pick: int) -> None:
        """A file saved again unchanged: new times, the same bytes."""
        files = sorted(sources(self.root))
        if files:
            path = files[pick % len(files)]
            path.write_bytes(path.read_bytes())

    @invariant()
    def cached_equals_cold(self) -> None:
        if not hasattr(self, "root"):
            return
        cached = outcome(self.root, use_cache=True)
        shutil.rmtree(self.cold, ignore_errors=True)
        shutil.copytree(self.root, self.cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
        assert cached == outcome(self.cold, use_cache=False)


BASE: list[Path] = []
BASE_TMP: list[Path] = []


def test_a_cached_build_equals_a_cold_build_after_any_edits(base: Path, tmp_path: Path) -> None:
    BASE[:] = [base]
    BASE_TMP[:] = [tmp_path]
    Edits.TestCase.settings = settings.get_profile(PROFILE)
    Edits.TestCase().runTest()


# --- what the cache does, and what it refuses ---------------------------------------------------------------

def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--jobs", "1", *args],
                          capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **(env or {})})


@pytest.fixture()
def coll(base: Path, tmp_path: Path) -> Path:
    root = tmp_path / "coll"
    shutil.copytree(base, root)
    return root


def site_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the site and the cache: (inode, mtime) — what a run that touches nothing leaves alone."""
    out = {}
    for folder in (root / "_site", root / cache.DIR):
        for p in folder.rglob("*"):
            if p.is_file() and p.name != "lock":
                info = p.stat()
                out[str(p.relative_to(root))] = (info.st_ino, info.st_mtime_ns)
    return out


def test_nothing_changed_means_nothing_written(coll: Path) -> None:
    first = run(coll, "build")
    assert first.returncode == 0, first.stderr
    assert "reused" not in first.stdout and "nothing changed" not in first.stdout
    before = site_state(coll)
    again = run(coll, "build")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("built 20 articles, ")
    assert again.stdout.rstrip().endswith("→ _site/ (nothing changed); 4 warnings"), again.stdout
    assert site_state(coll) == before
    checked = [run(coll, "check").stdout, run(coll, "check").stdout]
    assert "(nothing changed)" not in checked[0] and checked[1].rstrip().endswith(" s (nothing changed); 4 warnings")


@pytest.mark.parametrize(("command", "more"), [("check", []), ("build", ["apparatus.lunrjs"])])
def test_a_replay_loads_no_module_of_the_engine_but_the_caches(coll: Path, command: str, more: list[str]) -> None:
    """The command line tries the replay (cache.begin) before it imports the engine: a run in which nothing
    changed reads its small state and the listing, and loads neither the pipeline nor the templates, YAML,
    Markdown or lunr (a build with search checks lunr.js's files, apparatus.lunrjs). The warnings it replays
    are the first run's, printed as they were."""
    assert run(coll, command).returncode == 0
    probe = ("import sys\nfrom apparatus import cli\ncode = cli.main(['--root', sys.argv[1], sys.argv[2]])\n"
             "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
             "('apparatus', 'jinja2', 'yaml', 'markdown_it', 'lunr')))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(coll), command], capture_output=True, text=True,
                         timeout=120, check=True)
    assert "(nothing changed); 4 warnings" in out.stdout
    modules = sorted(["apparatus", "apparatus.cache", "apparatus.cli", "apparatus.errors", "apparatus.kinds",
                      "apparatus.outcome", "apparatus.output", "apparatus.progress", *more])
    assert out.stdout.splitlines()[-1] == f"0 {modules}", out.stdout


def test_a_replay_under_strict_fails_on_the_warnings_it_replays(coll: Path) -> None:
    """--strict makes warnings errors in a replay too: the same four warnings, as errors, exit 1, nothing
    written; without --strict, the next run still replays them as warnings."""
    assert run(coll, "check").returncode == 0
    strict = run(coll, "check", "--strict")
    assert strict.returncode == 1
    assert strict.stderr.count(": error: ") == 4 and "4 errors; check failed" in strict.stderr, strict.stderr
    again = run(coll, "check")
    assert again.returncode == 0 and again.stdout.rstrip().endswith("(nothing changed); 4 warnings")


def test_one_edit_reprocesses_one_article_and_links_the_rest(coll: Path) -> None:
    assert run(coll, "build").returncode == 0
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[3]
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    assert "(19 reused from the cache)" in result.stdout
    page = coll / "_site" / "articles" / note.stem / "index.html"
    other = next(p for p in (coll / "_site" / "articles").glob("*/index.html") if p != page)
    assert "the very" in page.read_text(encoding="utf-8")
    # every output is a hard link to the cache's object of the same bytes
    assert other.stat().st_nlink >= 2
    objects = {p.stat().st_ino for p in (coll / cache.DIR).rglob("*") if p.is_file()}
    assert other.stat().st_ino in objects and page.stat().st_ino in objects


def test_a_notes_wording_remakes_its_web_annotations_and_no_page_listing_articles(coll: Path) -> None:
    """What templates see of a summary (site.HIDDEN left out) is unchanged by a note's wording: the pages listing
    the articles are linked as they were (the same files), and only the article's own outputs and its
    AnnotationPage (made again from its kept context, Reuse.relink) and the search index are new, as a cold build
    makes them."""
    assert run(coll, "build").returncode == 0
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[3]
    site_dir = coll / "_site"

    def files() -> dict[str, int]:
        return {p.relative_to(site_dir).as_posix(): p.stat().st_ino for p in site_dir.rglob("*") if p.is_file()}
    before = files()
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    assert run(coll, "build").returncode == 0
    after = files()
    changed = sorted(rel for rel in after if after[rel] != before.get(rel))
    own = f"articles/{note.stem}/"
    assert after.keys() == before.keys()
    # the search index holds the note's words too
    assert changed and all(rel.startswith((own, "search/")) or rel == ".apparatus-output" for rel in changed), changed
    assert f"{own}annotations.jsonld" in changed and f"{own}index.html" in changed
    assert "index.html" not in changed and "records/index.html" not in changed
    assert (site_dir / own / "annotations.jsonld").read_text(encoding="utf-8").count("the very") == 1
    cold_equals(coll)


def test_no_cache_builds_cold_and_leaves_no_cache(coll: Path) -> None:
    result = run(coll, "build", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert not (coll / cache.DIR).exists()
    assert "reused" not in run(coll, "build", "--no-cache").stdout


def damage_state(root: Path, name: str = "state-build") -> None:
    state = root / cache.DIR / name
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))


def largest_part(root: Path) -> str:
    return max((root / cache.DIR / "parts-build").iterdir(), key=lambda p: p.stat().st_size).name


@pytest.mark.parametrize("damage, note", [
    (damage_state, "cache: the cache is damaged or not this user's (its signature does not match); this run is cold"),
    (lambda root: damage_state(root, "entries-build"), "cache: the cache is damaged or not this user's (its "
                                                       "signature does not match); "
                                                       "this run is cold"),
    (lambda root: damage_state(root, f"parts-build/{largest_part(root)}"),
     "cache: the cache is damaged or not this user's (its signature does not match); this run is cold"),
    (lambda root: (root / cache.DIR / "parts-build" / largest_part(root)).unlink(),
     "cache: the cache's entries are missing; this run is cold"),
    (lambda root: (root / cache.DIR / "state-build").write_bytes(b"apparatus-cache\n\x09\x00\x00\x00" + b"x" * 40),
     "cache: the cache was written by another version of Apparatus, or is damaged; this run is cold"),
    (lambda root: (root / cache.DIR / "state-build").write_bytes(b"short"),
     "cache: the cache was written by another version of Apparatus, or is damaged; this run is cold"),
])
def test_a_damaged_state_is_ignored(coll: Path, damage: object, note: str) -> None:
    assert run(coll, "build").returncode == 0
    damage(coll)  # type: ignore[operator]
    note_file = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]  # and an edit: the build needs the entries
    note_file.write_text(note_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    cold = outcome(coll, use_cache=False)[0]
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    assert note in result.stderr.splitlines()
    assert "reused" not in result.stdout and "nothing changed" not in result.stdout
    assert tree_digest(coll / "_site") == cold
    assert "nothing changed" in run(coll, "build").stdout  # the rewritten cache is used again


def reused(coll: Path, apart: bool, monkeypatch: pytest.MonkeyPatch) -> int:
    """A build with the cache: how many articles it reused. apart: in this process, the objects checked in a
    child (cache.Store.check_apart, as for a large collection); else by the command line."""
    if apart:
        monkeypatch.setattr(cache, "CHECK_APART", 0)
        return pipeline.build(coll, jobs=1, use_cache=True).reused
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    found = re.search(r"\((\d+) reused from the cache\)", result.stdout)
    return int(found[1]) if found else 0


def test_a_build_holds_no_summary_alive_and_reads_the_texts_back_for_the_index(
        coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once an article's cache entry holds its summary (pickled, its search texts in an object), its result comes
    back from its worker without it, as a hit's does: the build keeps the entry's pickle (pipeline.Summaries) and
    unpickles it where the collection's pages and the index read it, the index reads the texts back from their
    object, and each AnnotationPage reads its Web Annotations back as it renders. At 10,000 articles the summaries
    held alive and pickled with their texts took 160 MiB, the Web Annotations 200 MiB. The site is a cold
    build's."""
    made: list[tuple[list[Any], list[Any]]] = []
    real = pipeline.Reuse.summaries

    def spy(self: Any, c: Any, results: list[Any]) -> Any:
        out = real(self, c, results)
        made.append(([r.summary for r in results], list(out.entries)))
        return out

    monkeypatch.setattr(pipeline.Reuse, "summaries", spy)
    webs: list[str] = []
    text = cache.Store.text
    monkeypatch.setattr(cache.Store, "text", lambda self, ref: webs.append(str(ref)) or text(self, ref))
    texts: list[str] = []
    read = cache.Store.read
    monkeypatch.setattr(cache.Store, "read", lambda self, h: texts.append(h) or read(self, h))
    assert pipeline.build(coll, jobs=1, use_cache=True).reused == 0
    [(held, entries)] = made
    assert len(held) == 20 and held == [None] * 20
    assert all(e is not None and e.summary and e.stored and e.texts for e in entries)
    assert all(isinstance(pickle.loads(e.summary).texts, cache.Stored) for e in entries if e is not None)
    assert sorted(webs) == sorted(e.stored[0] for e in entries if e is not None)  # each read once, by its page
    # each article's texts read three times by the index, none for the pages: its documents' sizes
    # (CollectionDocs.numbered), then its documents, once for its article and again for its notes (the index's
    # order: every article, then every note)
    assert sorted(texts) == sorted(3 * [e.texts for e in entries if e is not None])
    cold_equals(coll)


def test_a_texts_object_changed_while_a_build_reads_it_fails_the_build_and_the_site_is_kept(
        coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An article's search texts are read back from their object only if its bytes still have the hash its signed
    entry names: one changed after the run checked it fails the run, with the cache's path and a hint, and the last
    site stays whole."""
    assert run(coll, "build").returncode == 0
    before = tree_digest(coll / "_site")
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    plan = pipeline.Reuse.plan

    def damage(self: Any, c: Any, mode: Any) -> None:
        plan(self, c, mode)
        path = Path(self.store.object_path(next(iter(self.hits.values())).texts))
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))

    monkeypatch.setattr(pipeline.Reuse, "plan", damage)
    with pytest.raises(BuildError) as failed:
        pipeline.build(coll, jobs=1, use_cache=True)
    assert [d.format() for d in failed.value.diagnostics] == [
        ".apparatus-cache:1:1: error: a file of the build cache changed or went away while this run read it; "
        "nothing was written\n  hint: run the build again: the next run checks the cache before it uses it (or "
        "build with --no-cache)"]
    assert tree_digest(coll / "_site") == before
    monkeypatch.setattr(pipeline.Reuse, "plan", plan)
    cold_equals(coll)  # the next run finds the object changed, and makes that article again


def test_a_source_changed_just_before_a_run_is_hashed_again_and_the_next_run_replays(
        coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source whose time is within cache.RACY_NS of a run's listing (changed just before the run, as by a script
    that edits and builds at once) may change again without its time showing it. The next run hashes it again,
    and replays the last result only if it holds what the last run read (cache.State.racy)."""
    assert run(coll, "build").returncode == 0
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    ahead = time.time_ns() + 3_600 * 10**9  # its time an hour ahead: within RACY_NS of every listing until then
    os.utime(note, ns=(ahead, ahead))
    assert pipeline.build(coll, jobs=1, use_cache=True).reused == 19
    hashed = []
    real = cache._file_sha
    monkeypatch.setattr(cache, "_file_sha", lambda root, rel: hashed.append(rel) or real(root, rel))
    assert pipeline.build(coll, jobs=1, use_cache=True).unchanged  # hashed again, as read: replayed
    assert hashed == [note.relative_to(coll).as_posix()]
    monkeypatch.setattr(cache, "_file_sha", lambda root, rel: "0" * 64)  # as if it had changed within the tick
    again = pipeline.build(coll, jobs=1, use_cache=True)
    assert not again.unchanged and again.reused == 20  # (its article too: its hash is as before)


@pytest.mark.parametrize("apart", [False, True])
def test_a_damaged_object_is_not_linked(coll: Path, apart: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """An object changed after it was written (here, a page's bytes overwritten in place through the site's
    hard link) is not linked again: the page is made anew, and the site equals a cold build."""
    assert run(coll, "build").returncode == 0
    cold = tree_digest(coll / "_site")
    page = sorted((coll / "_site" / "articles").glob("*/index.html"))[0]
    with page.open("r+b") as f:  # in place: the same inode as the cache's object
        f.write(b"<!-- tampered -->")
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[-1]  # some other edit, so the build runs
    note.write_text(note.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert reused(coll, apart, monkeypatch) == 18  # the tampered page's article and the edited one are made again
    assert tree_digest(coll / "_site") == cold


def test_a_cache_committed_to_git_is_never_trusted(coll: Path) -> None:
    assert run(coll, "build").returncode == 0
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    for args in (["init", "-q"], ["add", "-f", cache.DIR], ["commit", "-qm", "a poisoned cache"]):
        subprocess.run(["git", "-C", str(coll), *args], check=True, env=env, capture_output=True)
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith(f"cache: git tracks files in {cache.DIR} (") and line.endswith(
        f"a committed cache is never trusted; this run is cold (git rm -r --cached {cache.DIR})")
        for line in result.stderr.splitlines()), result.stderr
    assert "reused" not in result.stdout


def test_a_cache_that_is_a_link_is_not_used(coll: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (coll / cache.DIR).symlink_to(elsewhere)
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    assert f"cache: {cache.DIR} is a symbolic link; it is not used" in result.stderr.splitlines()
    assert not any(elsewhere.iterdir())


def test_concurrent_runs_do_not_corrupt_the_cache(coll: Path) -> None:
    """Runs side by side: one holds the cache, the others run cold; all pass, and the cache stays sound."""
    assert run(coll, "build").returncode == 0
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[5]
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " a ", 1), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(coll), "--jobs", "1", command],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for command in ("build", "check", "build", "check")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    cold = coll.parent / "cold"
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert outcome(coll, use_cache=True) == outcome(cold, use_cache=False)


def test_check_reuses_and_still_reports_every_warning(coll: Path) -> None:
    """A check from the cache reports the same diagnostics as a cold check, including the cached articles'."""
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[2]  # an article "changed since" its notes
    note.write_text(f"article_sha256: {'a' * 64}\n" + note.read_text(encoding="utf-8"), encoding="utf-8")
    cold = run(coll, "check", "--no-cache")
    first, second = run(coll, "check"), run(coll, "check")
    assert "changed since these annotations were checked" in cold.stderr
    assert first.stderr == cold.stderr == second.stderr
    assert second.stdout.rstrip().endswith("(nothing changed); 5 warnings")


@pytest.mark.parametrize("apart", [False, True])
def test_a_cache_restored_elsewhere_is_reused_by_content(coll: Path, tmp_path: Path, apart: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache copied to another place (as CI restores it with actions/cache: new inodes and times) is reused:
    each object is checked by hashing its bytes, and the site equals a cold build."""
    assert run(coll, "build").returncode == 0
    moved = tmp_path / "restored"
    shutil.copytree(coll, moved, ignore=shutil.ignore_patterns("_site", ".*.lock"), copy_function=shutil.copy)
    assert reused(moved, apart, monkeypatch) == 20
    cold = tmp_path / "cold"
    shutil.copytree(moved, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert outcome(moved, use_cache=True) == outcome(cold, use_cache=False)


@pytest.mark.parametrize("apart", [False, True])
def test_a_rebuild_patches_the_spare_site_in_proportion_to_the_change(coll: Path, apart: bool,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The site before last is kept beside the output (._site.spare) and patched into the next site: after one
    note's edit, only that article's files are new inodes; a file the new site has not is removed; the result
    equals a cold build every time. Apart: the spare listed by cache.Store.apart's child, before the lock."""
    listed: list[bool] = []
    if apart:
        class Spied(pipeline.Staging):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                listed.append(kwargs.get("listed") is not None)
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(pipeline, "Staging", Spied)
    assert reused(coll, apart, monkeypatch) == 0
    site_yaml = coll / "site.yaml"  # a second build that makes a new site: the first becomes the spare
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("title: ", "title: The "), encoding="utf-8")
    reused(coll, apart, monkeypatch)
    spare = coll / "._site.spare"
    assert (spare / ".apparatus-output").is_file()
    before = {str(p.relative_to(coll / "_site")): p.stat().st_ino for p in (coll / "_site").rglob("*") if p.is_file()}
    note = [p for p in sorted((coll / "annotations").glob("[!_]*.yaml")) if " the " in p.read_text("utf-8")][4]
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    reused(coll, apart, monkeypatch)
    after = {str(p.relative_to(coll / "_site")): p.stat().st_ino for p in (coll / "_site").rglob("*") if p.is_file()}
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    assert f"articles/{note.stem}/index.html" in changed
    assert len(changed) < len(after) // 10, sorted(changed)  # the page, its data files, the search shards it feeds
    victim = sorted((coll / "content").glob("*.md"))[9]  # an article deleted: its files go from the patched spare
    victim.unlink()
    (coll / "annotations" / f"{victim.stem}.yaml").unlink(missing_ok=True)
    reused(coll, apart, monkeypatch)
    assert not (coll / "_site" / "articles" / victim.stem).exists()
    assert listed == ([False, False, True, True] if apart else [])  # (the first two: no spare, then a cold start)
    cold = coll.parent / "cold"
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert tree_digest(coll / "_site") == outcome(cold, use_cache=False)[0]


def test_the_environment_is_an_input(coll: Path, tmp_path: Path) -> None:
    """APPARATUS_BASE_URL replaces site.yaml's base_url (the deploy workflow sets it): another value is another
    build, never the last one replayed or reused."""
    assert run(coll, "build").returncode == 0
    other = {"APPARATUS_BASE_URL": "https://other.example/site/"}
    result = run(coll, "build", env=other)
    assert result.returncode == 0, result.stderr
    assert "nothing changed" not in result.stdout and "reused" not in result.stdout
    assert "https://other.example/site/" in (coll / "_site" / "index.html").read_text(encoding="utf-8")
    cold = tmp_path / "cold"
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert run(cold, "build", "--no-cache", env=other).returncode == 0
    assert tree_digest(coll / "_site") == tree_digest(cold / "_site")
    assert "nothing changed" in run(coll, "build", env=other).stdout


# --- the review's cases (issue 19): each failed before its fix --------------------------------------------------

def cold_equals(coll: Path) -> None:
    cold = coll.parent / "cold-check"
    shutil.rmtree(cold, ignore_errors=True)
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert outcome(coll, use_cache=True) == outcome(cold, use_cache=False)


def test_an_article_left_out_for_a_faulty_record_comes_back_when_it_is_fixed(coll: Path) -> None:
    assert run(coll, "build").returncode == 0
    registry = coll / "annotations" / "_records.yaml"
    good = registry.read_text(encoding="utf-8")
    first_date = next(line for line in good.splitlines() if line.strip().startswith("date:"))
    registry.write_text(good.replace(first_date, first_date.split(":")[0] + ": 2019-07-99", 1), encoding="utf-8")
    assert run(coll, "build").returncode == 1
    registry.write_text(good, encoding="utf-8")
    result = run(coll, "build")
    assert result.returncode == 0 and result.stdout.startswith("built 20 articles"), result.stdout
    cold_equals(coll)


def test_a_state_planted_in_the_collection_is_never_loaded(coll: Path, tmp_path: Path) -> None:
    """A state file with the right format but made with another user's key (as a pull request or a downloaded
    copy would bring) is not loaded: it could hold any pickle."""
    assert run(coll, "build").returncode == 0
    result = run(coll, "build", env={"XDG_CACHE_HOME": str(tmp_path / "other-user")})
    assert result.returncode == 0, result.stderr
    assert ("cache: the cache is damaged or not this user's (its signature does not match); this run is cold"
            in result.stderr.splitlines())


def test_a_spare_with_anything_else_in_it_is_not_used(coll: Path, tmp_path: Path) -> None:
    assert run(coll, "build").returncode == 0
    site_yaml = coll / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("title: ", "title: The "), encoding="utf-8")
    assert run(coll, "build").returncode == 0
    spare = coll / "._site.spare"
    (spare / "evil.html").write_text("planted", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (spare / "leak").symlink_to(outside)
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert run(coll, "build").returncode == 0
    assert not (coll / "_site" / "evil.html").exists() and not (coll / "_site" / "leak").exists()
    assert not any(outside.iterdir())
    cold_equals(coll)


def test_a_static_file_a_template_includes_is_an_input(coll: Path) -> None:
    (coll / "templates" / "static" / "snippet.html").write_text("snippet v1", encoding="utf-8")
    base = coll / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "{% include 'static/snippet.html' %}</body>"),
                    encoding="utf-8")
    assert run(coll, "build").returncode == 0
    (coll / "templates" / "static" / "snippet.html").write_text("snippet v2", encoding="utf-8")
    assert run(coll, "build").returncode == 0
    assert "snippet v2" in (coll / "_site" / "index.html").read_text(encoding="utf-8")
    cold_equals(coll)


def test_a_file_that_becomes_a_folder_in_the_spare(coll: Path) -> None:
    static = coll / "templates" / "static"
    (static / "thing").write_text("a file", encoding="utf-8")
    assert run(coll, "build").returncode == 0
    site_yaml = coll / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("title: ", "title: The "), encoding="utf-8")
    assert run(coll, "build").returncode == 0  # the site with static/thing a file is now the spare
    (static / "thing").unlink()
    (static / "thing").mkdir()
    (static / "thing" / "a.css").write_text("a folder", encoding="utf-8")
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    assert (coll / "_site" / "static" / "thing" / "a.css").read_text(encoding="utf-8") == "a folder"
    (static / "thing" / "a.css").unlink()
    (static / "thing").rmdir()
    (static / "thing").write_text("a file again", encoding="utf-8")
    result = run(coll, "build")
    assert result.returncode == 0, result.stderr
    cold_equals(coll)


# --- the review's cases (issue 19, fourth session) ------------------------------------------------------------

def test_a_template_printing_whole_summaries_sees_no_hidden_field(coll: Path) -> None:
    """A template may print a summary whole ({{ a }}, |string): its repr holds no search text or Web Annotations
    (site.HIDDEN), so the home page the cache links after a note's wording is a cold build's."""
    index = coll / "templates" / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "{% endblock %}", "<!-- {{ articles | map('string') | join | length }} -->\n{% endblock %}", 1),
        encoding="utf-8")
    assert outcome(coll, use_cache=True)[0] is not None
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]
    note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    cold_equals(coll)


def test_a_part_the_site_and_the_spare_share_is_loaded_once(coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spare's files are the site before last's, cut into parts as the site's are: a part both name is read
    once, and the two dicts hold the same objects (at 10,000 articles each held 64,000 files, 14 MiB)."""
    monkeypatch.setattr(cache, "PART", 4)
    for _ in range(2):
        note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]
        note.write_text(note.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
        pipeline.build(coll, jobs=1, use_cache=True)
    read: list[str] = []
    real = cache.Store._read
    monkeypatch.setattr(cache.Store, "_read",
                        lambda self, path, *a: read.append(Path(path).name) or real(self, path, *a))
    store = cache.Store(coll, "build")
    assert store.open()
    store.load_entries()
    state = store.state
    same = [rel for rel, h in state.spare_manifest.items() if state.manifest.get(rel) == h]
    assert state.spare_manifest and len(same) > len(state.spare_manifest) / 2
    shared = [rel for rel in same if state.spare_manifest[rel] is state.manifest[rel]]
    assert len(shared) > len(same) / 2
    assert len(read) == len(set(read))  # no file read twice
    store.close()
    cold_equals(coll)


def test_the_state_names_the_site_this_build_swapped_in(coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another build (here without search and without the cache, as a second process would be) swaps in its own
    site once this one has released the output's lock but before it saves its state: the next build must not
    replay "nothing changed" over that other site."""
    real = pipeline.Reuse.save
    done: list[bool] = []

    def save(self: pipeline.Reuse, *args: object) -> None:
        if not done:
            done.append(True)
            pipeline.build(coll, jobs=1, search_index=False, use_cache=False)
        real(self, *args)  # type: ignore[arg-type]
    monkeypatch.setattr(pipeline.Reuse, "save", save)
    pipeline.build(coll, jobs=1, use_cache=True)
    monkeypatch.setattr(pipeline.Reuse, "save", real)
    assert not (coll / "_site" / "search" / "lunr.min.js").exists()
    again = pipeline.build(coll, jobs=1, use_cache=True)
    assert not again.unchanged
    assert (coll / "_site" / "search" / "lunr.min.js").exists()


def test_a_cached_build_on_two_processes_keeps_each_output_once(coll: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs 2 (articles and pages shared by this process and a worker: forking.map_shared), a cached
    rebuild after edits equals a cold build, and its state lists each output once, every one of the site's
    (no other test builds with the cache on more than one process: a review finding)."""
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 2)  # 20 articles: into the pool, pages too
    pipeline.build(coll, jobs=2, use_cache=True)
    for path in sorted((coll / "annotations").glob("[!_]*.yaml"))[::3]:
        path.write_text(path.read_text(encoding="utf-8").replace(" the ", " the very ", 1), encoding="utf-8")
    for path in sorted((coll / "content").glob("*.md"))[:2]:  # titles: the pages listing articles are made again
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\ntitle: \"", "\ntitle: \"Edited ", 1), encoding="utf-8")
        assert path.read_text(encoding="utf-8") != text
    result = pipeline.build(coll, jobs=2, use_cache=True)
    assert 0 < result.reused < 20
    store = cache.Store(coll, "build")
    assert store.open()
    store.load_entries()
    store.close()  # (the entries stay frozen until it is: cache.Store.load_entries)
    state = store.state
    outputs = [rel for g in state.groups.values() for rel, _ in g.outputs]
    outputs += [rel for e in state.articles.values() for rel, _ in e.outputs]
    assert len(outputs) == len(set(outputs))
    assert set(outputs) == set(state.manifest)
    cold = coll.parent / "cold-two"
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    pipeline.build(cold, jobs=2, use_cache=False)
    assert tree_digest(coll / "_site") == tree_digest(cold / "_site")


def test_a_rebuild_writes_again_only_the_parts_of_the_entries_that_changed(coll: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The entries' large dicts are kept in parts (cache.SPLIT): one note's edit writes again the part holding its
    article's entry and those holding its files' and objects' records, and the spare's list of files is the last
    site's parts (here in parts of about 4 items)."""
    monkeypatch.setattr(cache, "PART", 4)

    def parts() -> dict[str, list[str]]:
        store = cache.Store(coll, "build")
        assert store.open()
        index = store._read(store.entries_path, bytes.fromhex(store.state.entries))
        store.close()
        return {name: index[name] for name in cache.SPLIT}

    pipeline.build(coll, jobs=1, use_cache=True)
    notes = [(path, edited) for path in sorted((coll / "annotations").glob("[!_]*.yaml"))
             if (edited := note_wording(path.read_text(encoding="utf-8"))) is not None]
    for note, edited in notes[:2]:
        before = parts()
        note.write_text(edited, encoding="utf-8")
        assert pipeline.build(coll, jobs=1, use_cache=True).reused == 19
        after = parts()
        assert len(after["articles"]) == len(before["articles"]) >= 4
        assert len(set(after["articles"]) - set(before["articles"])) == 1
        assert after["spare_manifest"] == before["manifest"]
        files = {name for names in after.values() for name in names}
        new = files - {name for names in before.values() for name in names}
        assert 0 < len(new) < len(files) / 4  # (the objects' records, keyed by hash, take most: 26 of 83 here)
        assert set(after["inputs"]) - set(before["inputs"])  # the note's file: its hash
    store = cache.Store(coll, "build")
    assert store.open()
    store.load_entries()
    store.close()
    assert len(store.state.articles) == 20 and store.state.spare_manifest.keys() <= store.state.manifest.keys()
    cold_equals(coll)




def note_wording(text: str) -> str | None:
    """bench/cache_bench.py's edit: a note's text, never a quote."""
    return bench_module("cache_bench").note_wording(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize("edit", ["macro", "records", "environment"])
def test_the_records_citations_kept_are_made_again_when_what_they_are_made_from_changes(
        coll: Path, edit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as read and its records' citations are kept (cache.State.parsed) and reused while the engine,
    site.yaml, the templates, the registry's file and the environment are as they were; an edit of the cite
    macro, of a record or of the environment makes them again."""
    assert run(coll, "build").returncode == 0
    kept = pipeline.build(coll, jobs=1, use_cache=True)  # (nothing changed: replayed)
    assert kept.unchanged
    note = sorted((coll / "annotations").glob("[!_]*.yaml"))[0]  # an edit, so the next build runs
    note.write_text(note.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    parsed = []
    real = pipeline.load_collection

    def spy(*args: Any, **kwargs: Any) -> Any:
        parsed.append(kwargs.get("parsed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_collection", spy)
    if edit == "macro":
        macros = coll / "templates" / "_macros.html"
        macros.write_text(macros.read_text(encoding="utf-8").replace('<cite class="record">',
                                                                     '<cite class="record">Cited: '), encoding="utf-8")
    elif edit == "records":
        registry = coll / "annotations" / "_records.yaml"
        text = registry.read_text(encoding="utf-8")
        first = next(line for line in text.splitlines() if line.strip().startswith("title:"))
        registry.write_text(text.replace(first, first.replace("title: ", "title: Renamed ", 1), 1), encoding="utf-8")
    else:
        monkeypatch.setenv("APPARATUS_BASE_URL", "https://example.org/other/")
    pipeline.build(coll, jobs=1, use_cache=True)
    assert parsed[-1] is not None and parsed[-1][1] == b""  # not reused: made again
    pipeline.build(coll, jobs=1, use_cache=True)  # (nothing changed: replayed, load_collection not called)
    note.write_text(note.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    pipeline.build(coll, jobs=1, use_cache=True)
    assert parsed[-1] is not None and parsed[-1][1] != b""  # kept, and reused by the next build
    pages = b"".join(p.read_bytes() for p in sorted((coll / "_site" / "articles").glob("*/index.html")))
    assert (b"Cited: " in pages) == (edit == "macro") and (b"Renamed " in pages) == (edit == "records")
    cold = coll.parent / "cold-parsed"
    shutil.copytree(coll, cold, ignore=shutil.ignore_patterns(cache.DIR, "_site", ".*"))
    assert outcome(coll, use_cache=True) == outcome(cold, use_cache=False)


def test_the_entries_load_with_the_collector_paused_and_stay_frozen_until_the_store_closes(coll: Path) -> None:
    """cache.Store.load_entries: the cycle collector is paused while the entries load and enabled again after;
    this process's objects are frozen (gc.freeze) until the store is closed, unless the caller froze its own."""
    import gc

    assert run(coll, "build").returncode == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    paused = []
    store = cache.Store(coll, "build")
    assert store.open()
    real = store._read
    store._read = lambda *a: (paused.append(gc.isenabled()), real(*a))[1]  # type: ignore[method-assign]
    store.load_entries()
    assert paused and not any(paused) and gc.isenabled()
    assert store.state.articles and gc.get_freeze_count() > 0
    store.close()
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        store = cache.Store(coll, "build")
        assert store.open()
        store.load_entries()
        store.close()
        assert gc.get_freeze_count() >= frozen  # the caller's, left frozen
    finally:
        gc.unfreeze()


def test_a_build_that_fails_stops_the_child_that_checks_its_objects(coll: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """cache.Store.apart's child holds the cache's lock with the build (it inherits it): a build that fails
    before it needs the child's answers stops it, so the next run may use the cache at once."""
    assert run(coll, "build").returncode == 0
    monkeypatch.setattr(cache, "CHECK_APART", 0)
    site_yaml = coll / "site.yaml"
    good = site_yaml.read_text(encoding="utf-8")
    site_yaml.write_text(good + "title: [\n", encoding="utf-8")  # a YAML error: the build stops reading it
    with pytest.raises(BuildError) as failed:
        pipeline.build(coll, jobs=1, use_cache=True)
    assert failed.value.diagnostics  # (the traceback, kept by pytest, holds the run's frames)
    store = cache.Store(coll, "build")
    assert store.open(), store.note
    store.close()
    site_yaml.write_text(good, encoding="utf-8")
    assert pipeline.build(coll, jobs=1, use_cache=True).reused == 20


def test_an_objects_folder_removed_during_a_run_is_made_again(tmp_path: Path) -> None:
    """The store makes each of its objects' folders once a run (cache.Store.put), and again if one went away."""
    import hashlib

    (tmp_path / "site.yaml").write_text("title: t\n", encoding="utf-8")
    store = cache.Store(tmp_path, "build")
    assert store.open()
    first = store.put(b"first")
    shutil.rmtree(Path(store.object_path(first)).parent)
    other = next(data for data in (b"other %d" % i for i in range(100_000))
                 if hashlib.sha256(data).hexdigest()[:2] == first[:2])
    h = store.put(other)
    assert h[:2] == first[:2] and Path(store.object_path(h)).read_bytes() == other
    store.close()
