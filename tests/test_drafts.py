"""Drafts (issue 18): ``new`` writes a draft with placeholders; build and check skip drafts and say so in one
line; a draft leaves no trace in the built site; serve shows it, labelled; once it is no draft, every placeholder
is an error (apparatus/drafts.py). The bad cases tests/bad/draft-*.yaml hold more exact messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, run, tree_digest

from apparatus.drafts import MARKER

SLUG = "zebra-quokka-draft"  # a slug no page of the tiny site could contain by chance
WORDS = "Xylophonic quokkas deliberated"  # likewise, for the draft's text
DRAFT = f"""---
draft: true
title: "{WORDS} at the council"
outlet: Zebra Gazette
published: 2021-02-24
language: en
url: https://example.org/{SLUG}
---

# {WORDS} at the council

{WORDS} on the Human Rights Council's report in Geneva.
"""
NOTES = f"""annotations:
  - id: quokka-note
    type: correction
    quote: {WORDS} on the Human
    correction: Quokkas deliberated on the Human
    note: The record says quokkas, {SLUG}.
    records: [hrc46-speech, ca-vote]
    added: 2026-11-22
"""


def add_draft(root: Path, notes: str = NOTES) -> None:
    (root / "content" / f"{SLUG}.md").write_text(DRAFT, encoding="utf-8")
    (root / "annotations" / f"{SLUG}.yaml").write_text(notes, encoding="utf-8")


def test_check_skips_a_fresh_scaffold_in_one_line_and_fails_once_it_is_no_draft(tiny: Path) -> None:
    assert run(tiny, "new", "fresh").code == 0
    article = tiny / "content" / "fresh.md"
    text = article.read_text(encoding="utf-8")
    assert text.startswith("---\ndraft: true ") and text.count(MARKER) == 5
    for args in (["check"], ["check", "--strict"], ["build"]):
        result = run(tiny, *args)
        assert result.code == 0, result.err
        assert result.err == ""
        assert result.out.splitlines()[0] == "skipped 1 draft: content/fresh.md (draft: true)"
    quiet = run(tiny, "-q", "check", "--strict")
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    github = run(tiny, "check", "--format", "github")
    assert github.out.splitlines()[0] == "::notice::skipped 1 draft: content/fresh.md (draft: true)"

    article.write_text(text.replace(text.splitlines()[1] + "\n", "", 1), encoding="utf-8")  # draft: removed
    for args in (["check"], ["check", "--strict"]):
        result = run(tiny, *args)
        assert result.code == 1
        assert [line for line in result.err.splitlines() if ": error: " in line] == [
            "content/fresh.md:2:9: error: 'title' still holds a placeholder ('TODO:')",
            "content/fresh.md:3:10: error: 'outlet' still holds a placeholder ('TODO:')",
            "content/fresh.md:6:18: error: 'published_note' still holds a placeholder ('TODO:')",
            "content/fresh.md:11:3: error: the article's text still holds a placeholder ('TODO:'), and 1 more"]
        assert "skipped" not in result.out
    article.write_text("---\ndraft: false\n" + text.split("\n", 2)[2], encoding="utf-8")
    assert run(tiny, "check").err.count(": error: ") == 4


def test_a_draft_leaves_no_trace_in_the_built_site(tiny: Path) -> None:
    """The home page, search index, sitemap, feeds, JSON-LD (ClaimReview), Web Annotation exports, the changes
    page, the records' pages: the site built with the draft is byte for byte the site built without it."""
    assert run(tiny, "build").code == 0
    without = tree_digest(tiny / "_site")
    add_draft(tiny)
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert result.out.startswith(f"skipped 1 draft: content/{SLUG}.md (draft: true)\n")
    assert tree_digest(tiny / "_site") == without
    for path in (tiny / "_site").rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            assert SLUG.encode() not in data and b"quokka" not in data, path


def test_a_draft_is_published_once_draft_is_removed(tiny: Path) -> None:
    """The control of the test above: the same article without draft: is everywhere."""
    add_draft(tiny)
    article = tiny / "content" / f"{SLUG}.md"
    article.write_text(DRAFT.replace("draft: true\n", ""), encoding="utf-8")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert "skipped" not in result.out
    site = tiny / "_site"
    for rel in ("index.html", f"articles/{SLUG}/index.html", "sitemap.xml", "feed.xml", "feed.json",
                "changes/index.html", "records/hrc46-speech/index.html", f"articles/{SLUG}/annotations.jsonld",
                f"articles/{SLUG}/annotations.hypothesis.json"):
        assert SLUG in (site / rel).read_text(encoding="utf-8"), rel
    assert any(b"quokka" in p.read_bytes().lower() for p in (site / "search").rglob("*") if p.is_file())


def test_drafts_are_counted_in_one_line(tiny: Path) -> None:
    for n in range(7):
        (tiny / "content" / f"d{n}.md").write_text(DRAFT, encoding="utf-8")
    result = run(tiny, "check")
    assert result.out.splitlines()[0] == ("skipped 7 drafts: content/d0.md, content/d1.md, content/d2.md, "
                                          "content/d3.md, content/d4.md and 2 more (draft: true)")


def test_a_placeholder_in_a_note_is_an_error_once_the_article_is_no_draft(tiny: Path) -> None:
    add_draft(tiny, NOTES.replace("note: The record", f'note: "{MARKER} say what the record').replace(
        f"{SLUG}.\n", f'{SLUG}."\n'))
    assert run(tiny, "check").code == 0  # a draft: skipped
    article = tiny / "content" / f"{SLUG}.md"
    article.write_text(DRAFT.replace("draft: true\n", ""), encoding="utf-8")
    result = run(tiny, "check")
    assert result.code == 1
    assert result.err.startswith(
        f"annotations/{SLUG}.yaml:6:12: error: 'note' still holds a placeholder ('TODO:')\n"
        f'        note: "TODO: say what the record says quokkas, {SLUG}."\n'
        "               ^\n")


def test_the_preview_shows_a_draft_labelled(tiny: Path) -> None:
    from apparatus.preview import Preview

    add_draft(tiny)
    preview = Preview(tiny, jobs=1)
    try:
        assert preview.full().ok
        page = preview.files[f"articles/{SLUG}/index.html"].decode("utf-8")
        assert '<p class="draft-label"><strong>Draft</strong>: not published.' in page
        assert WORDS in page and 'id="quokka-note"' in page
        assert b"draft-label" not in preview.files["articles/alpha/index.html"]
    finally:
        preview.close()


@pytest.mark.browser
def test_serve_shows_the_draft_label_in_the_browser(browser, tiny: Path) -> None:
    from apparatus.serve import start, stop

    add_draft(tiny)
    shutil.rmtree(tiny / "_site", ignore_errors=True)
    server, watcher = start(tiny, port=0, jobs=1)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(server.url + f"articles/{SLUG}/")
        label = page.locator(".draft-label")
        assert label.is_visible()
        assert label.inner_text().startswith("Draft: not published.")
        (REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-artifacts" / "draft-label.png"))  # look at it
        page.close()
    finally:
        stop(server, watcher)


def test_the_skipped_drafts_are_said_when_the_check_fails_too(tiny: Path) -> None:
    add_draft(tiny)
    notes = tiny / "annotations" / "alpha.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("type: correction", "type: corection", 1),
                     encoding="utf-8")
    result = run(tiny, "check")
    assert result.code == 1 and result.err.endswith("1 error; check failed\n")
    assert result.out == f"skipped 1 draft: content/{SLUG}.md (draft: true)\n"
