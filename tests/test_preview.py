"""The preview's incremental build: the dependency map, what a change re-renders, and failure recovery."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from apparatus import site
from apparatus.preview import Preview


@pytest.fixture
def preview(tiny: Path) -> Iterator[Preview]:
    """The tiny site, built in memory; its worker stopped after the test."""
    p = Preview(tiny, jobs=1)
    assert p.full().ok
    yield p
    p.close()


def test_dependency_map_is_explicit(preview: Preview) -> None:
    assert preview.deps["annotations/alpha.yaml"] == {
        "articles/alpha/", "", "records/", "records/hrc46-speech/", "records/ca-vote/", site.CHANGES_PAGES,
        site.FEED_ATOM, site.FEED_JSON,
        # the W3C Web Annotation files (the tiny site has base_url): the article's own two, the collection's
        # total, and every AnnotationPage, whose startIndex follows the note counts
        "articles/alpha/annotations.hypothesis.json", "articles/alpha/annotations.jsonld", "annotations.jsonld",
        site.ANNOTATION_PAGES}
    assert preview.deps["content/alpha.md"] == preview.deps["annotations/alpha.yaml"]
    assert preview.deps["site.yaml"] == preview.deps["annotations/_records.yaml"] == {site.ALL}
    assert preview.deps["templates/article.html"] == {"articles/alpha/"}
    assert preview.deps["templates/index.html"] == {""}
    assert preview.deps["templates/record.html"] == {site.RECORD_PAGES}
    assert preview.deps["templates/changes.html"] == {site.CHANGES_PAGES}
    assert preview.deps["templates/base.html"] == {site.ALL}
    assert preview.deps["templates/static/style.css"] == {site.STATIC}


def test_an_annotation_edit_rebuilds_its_page_first_then_what_depends_on_it(tiny: Path, preview: Preview) -> None:
    before = dict(preview.files)
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("Straight quotes match", "Edited, straight quotes match"))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert outcome.ok and outcome.urls == {"articles/alpha/", "articles/alpha/annotations.hypothesis.json"}
    assert outcome.focus == ("articles/alpha/", "quotes")
    assert b"Edited, straight quotes match" in preview.files["articles/alpha/index.html"]
    assert b"Edited, straight quotes match" in preview.files["articles/alpha/annotations.hypothesis.json"]
    assert outcome.later is not None
    later = outcome.later()
    assert later.urls == {"articles/alpha/annotations.jsonld"}  # the note's text: its page and its annotation
    assert b"Edited, straight quotes match" in preview.files["articles/alpha/annotations.jsonld"]
    changed = {k for k in preview.files if preview.files[k] != before.get(k)}
    assert changed == {"articles/alpha/index.html", "articles/alpha/annotations.hypothesis.json",
                       "articles/alpha/annotations.jsonld"}


def test_a_new_note_moves_the_start_index_of_the_later_annotation_pages(tiny: Path) -> None:
    (tiny / "content" / "beta.md").write_text("---\ntitle: B\noutlet: O\npublished: 2020\nlanguage: en\n---\n\nB.\n")
    p = Preview(tiny, jobs=1)
    try:
        assert p.full().ok
        assert json.loads(p.files["articles/beta/annotations.jsonld"])["startIndex"] == 8
        ann = tiny / "annotations" / "alpha.yaml"
        ann.write_text(ann.read_text() + "  - id: extra\n    type: context\n    quote: mattered\n    note: New.\n")
        outcome = p.rebuild({"annotations/alpha.yaml"})
        assert outcome.ok and outcome.later is not None
        assert outcome.later().urls == {"", "articles/alpha/annotations.jsonld", "articles/beta/annotations.jsonld",
                                        "annotations.jsonld", "records/ca-vote/"}  # (its note is now number 7)
        assert json.loads(p.files["articles/beta/annotations.jsonld"])["startIndex"] == 9
        assert json.loads(p.files["annotations.jsonld"])["total"] == 9
    finally:
        p.close()


def test_a_note_dated_in_its_yaml_updates_the_changes_page_and_the_feeds(tiny: Path, preview: Preview) -> None:
    """The preview's edits are not committed: the note's added: dates it, on its page first, then on the pages of
    changes and in the feeds."""
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("    note: The speech was given on 24 February 2021.\n",
                                           "    note: The speech was given on 24 February 2021.\n"
                                           "    added: 2026-12-02\n"))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert outcome.ok and outcome.urls == {"articles/alpha/"}
    assert b'added <time datetime="2026-12-02">2 Dec 2026</time>' in preview.files["articles/alpha/index.html"]
    assert outcome.later is not None
    # (and the note's W3C annotation, whose created it is)
    assert outcome.later().urls == {site.CHANGES, site.FEED_ATOM, site.FEED_JSON, "articles/alpha/annotations.jsonld"}
    assert b'"created":"2026-12-02T00:00:00Z"' in preview.files["articles/alpha/annotations.jsonld"]
    assert b'datetime="2026-12-02"' in preview.files["changes/index.html"]
    assert b"<updated>2026-12-02T00:00:00Z</updated>" in preview.files["feed.xml"]


def test_a_record_citation_change_updates_record_pages(tiny: Path, preview: Preview) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("    records: [ca-vote]\n", ""))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert outcome.ok and outcome.later is not None
    assert outcome.later().urls == {"", "records/", "records/ca-vote/", "articles/alpha/annotations.jsonld"}
    assert b"No note cites this record yet." in preview.files["records/ca-vote/index.html"]


def test_a_bad_edit_keeps_the_last_good_pages_and_the_fix_recovers(tiny: Path, preview: Preview) -> None:
    good = dict(preview.files)
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()
    ann.write_text(text.replace("quote: on 24 December", "quote: \"on 24 December"))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert not outcome.ok
    assert outcome.diagnostics[0].format().startswith("annotations/alpha.yaml:")
    assert preview.files == good
    ann.write_text(text)
    fixed = preview.rebuild({"annotations/alpha.yaml"})
    assert fixed.ok and not preview.failed
    assert fixed.urls == set()  # rebuilt like any save, not the whole site: the page is the last good one again


def test_site_yaml_and_new_articles_rebuild_everything(tiny: Path, preview: Preview) -> None:
    (tiny / "content" / "beta.md").write_text("---\ntitle: B\noutlet: O\npublished: 2020\nlanguage: en\n---\n\nB.\n")
    outcome = preview.rebuild({"content/beta.md"})
    assert outcome.ok and outcome.urls == {site.ALL}
    assert "articles/beta/index.html" in preview.files


def test_the_search_index_is_refreshed_after_the_pages(tiny: Path, preview: Preview) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("note: Arabic script.", "note: Arabic script, zebrafish."))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert outcome.ok and site.SEARCH not in outcome.urls
    assert not any(b"zebrafish" in v for k, v in preview.files.items() if k.startswith("search/"))
    assert preview.refresh_search()
    assert any(b"zebrafish" in v for k, v in preview.files.items() if k.startswith("search/"))


def test_a_page_template_edit_renders_its_pages_with_the_new_template(tiny: Path, preview: Preview) -> None:
    template = tiny / "templates" / "record.html"
    template.write_text(template.read_text().replace("<dt>Issued by</dt>", "<dt>Issued by (edited)</dt>"))
    os.utime(template, (template.stat().st_mtime + 5,) * 2)  # Jinja compares modification times
    outcome = preview.rebuild({"templates/record.html"})
    assert outcome.ok
    later = outcome.later() if outcome.later else outcome
    assert "records/ca-vote/" in outcome.urls | later.urls
    assert b"Issued by (edited)" in preview.files["records/ca-vote/index.html"]


def test_the_worker_is_forked_once_per_full_build_not_per_save(tiny: Path, preview: Preview) -> None:
    assert preview._worker is not None
    pid = preview._worker.pid
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()
    for k in range(3):
        ann.write_text(text.replace("    records: [ca-vote]\n", "") if k % 2 == 0 else text)
        outcome = preview.rebuild({"annotations/alpha.yaml"})
        assert outcome.ok and outcome.later is not None
        assert outcome.later().urls == {"", "records/", "records/ca-vote/", "articles/alpha/annotations.jsonld"}
        assert preview.refresh_search()
    assert preview._worker.pid == pid
    assert (b"No note cites this record yet." in preview.files["records/ca-vote/index.html"])  # the last edit's


def test_a_worker_that_died_is_replaced_from_the_current_build(tiny: Path, preview: Preview) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("    records: [ca-vote]\n", ""))
    outcome = preview.rebuild({"annotations/alpha.yaml"})
    assert preview._worker is not None
    dead = preview._worker.pid
    os.kill(dead, signal.SIGKILL)
    assert outcome.later is not None
    # the new worker has the edit
    assert outcome.later().urls == {"", "records/", "records/ca-vote/", "articles/alpha/annotations.jsonld"}
    assert preview._worker.pid != dead


def test_after_a_failed_rebuild_the_next_save_takes_the_failed_file_again(tiny: Path, preview: Preview) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()
    ann.write_text(text.replace("quote: on 24 December", "quote: \"on 24 December"))
    assert not preview.rebuild({"annotations/alpha.yaml"}).ok
    style = tiny / "templates" / "static" / "style.css"
    style.write_text(style.read_text() + "\n/* edited */\n")
    assert not preview.rebuild({"templates/static/style.css"}).ok  # the broken file is still broken
    ann.write_text(text.replace("Straight quotes match", "Fixed, straight quotes match"))
    outcome = preview.rebuild({"templates/static/style.css"})  # whatever the save, the fixed file is taken again
    assert outcome.ok and not preview.failed and site.ALL not in outcome.urls
    assert b"Fixed, straight quotes match" in preview.files["articles/alpha/index.html"]


def test_a_failed_full_build_stops_the_worker_and_a_good_one_starts_another(tiny: Path, preview: Preview) -> None:
    import gc
    assert preview._worker is not None and gc.get_freeze_count() > 0
    first = preview._worker
    config = tiny / "site.yaml"
    text = config.read_text()
    config.write_text(text + "\nnot yaml: [\n")
    assert not preview.rebuild({"site.yaml"}).ok
    assert preview._worker is None and first.status is not None  # stopped and reaped
    assert preview.render_pending().ok and not preview.refresh_search()  # nothing to do, and no error made up
    config.write_text(text)
    assert preview.rebuild({"site.yaml"}).ok
    assert preview._worker is not None and preview._worker.pid != first.pid
    preview.close()
    assert preview._worker is None
    preview.full()
    assert preview._worker is None  # closed for good


def test_the_worker_keeps_the_newest_summary_whatever_the_order_calls_arrive_in() -> None:
    from apparatus.preview import _Mirror

    old, new = object(), object()
    m = _Mirror(None, {"a": old, "b": old}, {"a": 0, "b": 0})  # type: ignore[arg-type]
    assert m.update({"a": (2, new)}) == [new, old]
    assert m.update({"a": (1, old), "b": (1, new)}) == [new, new]  # a late call's older "a" is ignored


def test_a_call_that_fails_before_reaching_the_worker_loses_no_change(tiny: Path, preview: Preview,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("note: Arabic script.", "note: Arabic script, zebrafish."))
    assert preview.rebuild({"annotations/alpha.yaml"}).ok
    assert preview._worker is not None

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(preview._worker, "send", interrupted)
    with pytest.raises(KeyboardInterrupt):
        preview.refresh_search()
    monkeypatch.undo()
    assert preview.refresh_search()  # the next call still brings the edit
    assert any(b"zebrafish" in v for k, v in preview.files.items() if k.startswith("search/"))


def test_a_page_template_error_in_the_background_is_kept_until_a_full_build_fixes_it(
        tiny: Path, preview: Preview) -> None:
    template = tiny / "templates" / "record.html"
    good = template.read_text()
    template.write_text(good.replace("{% block main %}", "{% block main %}{{ no_such.thing }}", 1))
    os.utime(template, (template.stat().st_mtime + 5,) * 2)  # Jinja compares modification times
    outcome = preview.rebuild({"templates/record.html"})
    assert outcome.ok and outcome.later is not None
    assert not outcome.later().ok and preview.failed  # the broken template, rendered in the worker
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text().replace("Straight quotes match", "Edited, straight quotes match"))
    assert not preview.rebuild({"annotations/alpha.yaml"}).ok  # a full build, which reports the template again
    template.write_text(good)
    os.utime(template, (template.stat().st_mtime + 10,) * 2)
    assert preview.rebuild({"templates/record.html"}).ok and not preview.failed


def test_a_full_build_whose_worker_cannot_fork_keeps_no_closed_worker(preview: Preview,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    old = preview._worker
    assert old is not None

    def fork() -> int:
        raise BlockingIOError("no more processes")

    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(BlockingIOError):
        preview.full()
    assert preview._worker is None and old.status is not None  # the old one stopped and reaped, not kept
    monkeypatch.undo()
    assert preview.full().ok and preview._worker is not None
