"""The pipeline: serial and parallel builds agree, and a worker's errors reach the report."""

from pathlib import Path

import pytest
from conftest import REPO, tree_digest

from apparatus import markdown, pipeline, site
from apparatus.errors import BuildError


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess
    import sys
    dest = tmp_path_factory.mktemp("synthetic") / "c"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), str(dest), "--articles", "80"], check=True,
                   capture_output=True)
    return dest


def test_parallel_build_equals_serial(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 8)  # articles and collection pages both go parallel
    records = len((synthetic / "annotations" / "_records.yaml").read_text().split("- id:")) - 1
    assert records + 4 > 8
    pipeline.build(synthetic, jobs=1)
    serial = tree_digest(synthetic / "_site")
    pipeline.build(synthetic, jobs=2)
    assert tree_digest(synthetic / "_site") == serial


def test_template_error_in_a_parallel_record_page(synthetic: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 8)
    root = tmp_path / "c"
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns("_site"))
    record = root / "templates" / "record.html"
    record.write_text(record.read_text().replace("{{ record.issuer | bidi }}", "{{ record.issuer.nope }}"))
    with pytest.raises(BuildError) as exc:
        pipeline.build(root, jobs=2)
    [d] = [d for d in exc.value.diagnostics if d.is_error]  # (and the warning: no base_url)
    assert (d.path, d.message.split(":")[0]) == ("templates/record.html", "template error")
    assert not (root / "_site").exists()


def test_errors_found_in_workers_are_reported(synthetic: Path, tmp_path: Path) -> None:
    import shutil
    root = tmp_path / "c"
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns("_site"))
    victim = sorted((root / "annotations").glob("a*.yaml"))[-1]
    victim.write_text(victim.read_text().replace("quote: ", "quote: zzz ", 1))
    with pytest.raises(BuildError) as exc:
        pipeline.build(root, jobs=2)
    assert [d.path for d in exc.value.diagnostics if d.is_error] == [f"annotations/{victim.name}"]
    assert not (root / "_site").exists()


def test_collection_pages_are_shared_by_their_rows() -> None:
    """Pages weigh the rows they list, by what a row costs: a home page line 4, a records index line 2,
    a record page's line for a note 1. The first worker's run, which has the home page, holds fewer pages."""
    from apparatus import forking, site
    from apparatus.annotations import Record
    summaries = [site.ArticleSummary(f"a{i:04}", "", "", "2020", False, {}, ()) for i in range(1000)]
    registry = {f"r{i:04}": Record(id=f"r{i:04}", title="", kind="un", date="2020", url="", issuer="")
                for i in range(1000)}
    backlinks = {rid: [None] * 6 for rid in registry}
    pages = site.collection_pages(site.Inputs(registry, summaries, backlinks))  # type: ignore[arg-type]
    weights = [p.weight for p in pages]
    assert [p.url for p in pages[:5]] == ["", "records/", "about/", "search/", "records/r0000/"]
    assert weights[:5] == [4001, 2001, 1, 1, 7]
    assert pages[1004].url == site.NOT_FOUND  # then each record's two citation files, weighing 1 each
    assert [p.url for p in pages[-2:]] == ["records/r0999/record.bib", site.CHANGES]  # no dated change: one
    assert len(pages) == 3006  # changes page, and no feeds (no base_url)
    assert forking.weighted_runs(weights, 2) == [(0, 219), (219, 3006)]  # 6004 + 215 * 7 >= 15006 / 2


def test_a_check_keeps_no_texts_for_a_search_index(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check writes no index, so its summaries carry none of the articles' and notes' texts (issue 19: a check
    held every article's text for an index it never wrote); a build keeps them."""
    kept: list[tuple[bool, int]] = []
    summarize = pipeline.summarize

    def spy(*args: object, **kwargs: object) -> object:
        summary = summarize(*args, **kwargs)  # type: ignore[arg-type]
        kept.append((args[6].search, len(summary.texts)))  # type: ignore[attr-defined]
        return summary
    monkeypatch.setattr(pipeline, "summarize", spy)
    pipeline.build(synthetic, write=False, jobs=1)
    assert kept and all(not search and length == 0 for search, length in kept)
    kept.clear()
    pipeline.build(synthetic, write=True, jobs=1)
    assert kept and all(search and length > 0 for search, length in kept)


def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """The templates rendered from now on, with their contexts (a build with jobs=1 renders them here)."""
    from apparatus import templates
    seen: list[tuple[str, dict]] = []
    real = templates.render

    def spy(env: object, name: str, **context: object) -> str:
        seen.append((name, context))
        return real(env, name, **context)  # type: ignore[arg-type]
    monkeypatch.setattr(templates, "render", spy)
    return seen


def test_a_check_renders_one_page_of_each_template(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: a check makes no page but one of each template, so that each is still checked with the
    collection's data: the article with the most notes, the record cited by the most notes, the collection's
    single pages. A build renders them all."""
    from collections import Counter

    from apparatus import site
    seen = rendered(monkeypatch)
    result = pipeline.build(synthetic, write=False, jobs=1)
    assert Counter(name for name, _ in seen) == dict.fromkeys(site.TEMPLATES, 1)
    context = dict(seen)
    c, _ = pipeline.load_collection(synthetic)
    assert c is not None
    results = pipeline.process_articles(c, pipeline.Mode(search=False, render=False))
    notes = [len(r.summary.citations) if r.summary else -1 for r in results]
    assert context["article.html"]["article"].slug == c.slugs[notes.index(max(notes))]
    cited = site.backlinks([r.summary for r in results if r.summary])
    assert len(context["record.html"]["citations"]) == max(map(len, cited.values())) > 1
    assert len(context["index.html"]["articles"]) == result.articles == len(c.slugs)
    seen.clear()
    pipeline.build(synthetic, write=True, jobs=1, search_index=False)
    counts = Counter(name for name, _ in seen)
    assert counts["article.html"] == len(c.slugs) and counts["record.html"] == len(c.registry)


@pytest.mark.parametrize("where", ["synthetic", "multilingual"])
def test_an_article_checked_without_its_page_gives_what_a_build_does(where: str, synthetic: Path,
                                                                      tmp_path: Path) -> None:
    """Mode(render=False) leaves out the marks, the body's HTML and the page, and nothing else: the same
    summary, diagnostics and count of moved notes as with the page."""
    import dataclasses

    from conftest import MULTILINGUAL, copy_site
    root = synthetic if where == "synthetic" else copy_site(MULTILINGUAL, tmp_path / "m")
    c, _ = pipeline.load_collection(root)
    assert c is not None
    for slug in c.slugs:
        checked = pipeline.process_article(c, slug, pipeline.Mode(search=False, render=False))
        made = pipeline.process_article(c, slug, pipeline.Mode(search=False, keep_pages=True))
        assert made.page is not None and checked.page is None and made.summary is not None
        summary = dataclasses.replace(made.summary, web_annotations=None)  # (kept pages: the Web Annotations too)
        assert (checked.summary, checked.diagnostics, checked.moved) == (summary, made.diagnostics, made.moved)


def test_a_parallel_check_reports_an_article_template_error_once(synthetic: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's workers make no page; the one article page is rendered after them, and its error reported."""
    import shutil
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 8)
    root = tmp_path / "c"
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns("_site"))
    article = root / "templates" / "article.html"
    article.write_text(article.read_text().replace("{% block main %}", "{% block main %}{{ summary.nope }}"))
    with pytest.raises(BuildError) as exc:
        pipeline.build(root, write=False, jobs=2)
    assert [(d.path, d.message) for d in exc.value.diagnostics if d.is_error] == [
        ("templates/article.html", "template error: 'apparatus.site.ArticleSummary object' has no attribute 'nope'")]


def test_the_cache_of_rendered_notes_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each distinct note is rendered once per process, but a process keeps at most NOTES_KEPT of them (issue 19: a
    collection of distinct notes kept every one, ~100 MiB over the workers at 10,000 articles)."""
    monkeypatch.setattr(pipeline, "NOTES_KEPT", 3)
    monkeypatch.setattr(pipeline, "_NOTES", {})
    notes = [f"Note number {n}, with *emphasis*." for n in range(10)]
    for note in notes:
        assert pipeline._note_html(note) == markdown.render_note(note)
        assert len(pipeline._NOTES) <= 3
    assert pipeline._note_html(notes[-1]) is pipeline._NOTES[notes[-1]]  # (still a cache)


def test_summaries_hold_the_texts_packed(synthetic: Path) -> None:
    """The texts the search index reads travel back from the workers, and wait for the index, packed together
    (issue 19: 4 to 5 times smaller than the strs): the article's, then each note's in the order of its citations,
    as a reader sees them."""
    c, _ = pipeline.load_collection(synthetic)
    assert c is not None
    result = pipeline.process_article(c, c.slugs[0], pipeline.Mode(search=True))
    assert result.summary is not None
    packed, texts = result.summary.texts, site.unpack(result.summary.texts)
    assert isinstance(packed, bytes) and len(packed) < len("".join(texts).encode("utf-8")) / 2
    assert len(texts) == 1 + len(result.summary.citations) and all(texts)
    assert texts[0].startswith(result.summary.title)  # the headline, then the body, as plain text
    assert site.pack(texts) == packed and site.pack([]) == b"" and site.unpack(b"") == []
    unsearched = pipeline.process_article(c, c.slugs[0], pipeline.Mode(search=False)).summary
    assert unsearched is not None and unsearched.texts == b""
