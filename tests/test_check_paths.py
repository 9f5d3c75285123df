"""`build.py check PATH…` (issue 18): only the named articles, the registry always, and a one-line account of what
was checked. Other articles are never read; paths that name nothing of the collection are usage errors (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run

from apparatus import history, pipeline

HINT = ("  hint: name articles (content/<slug>.md) and annotation files (annotations/<slug>.yaml) of the collection, "
        "relative to the current folder; with no PATH, check checks everything\n")


@pytest.fixture
def two(tiny: Path) -> Path:
    """The tiny site with a second article, beta, whose one note quotes what it does not say."""
    (tiny / "content" / "beta.md").write_text((tiny / "content" / "alpha.md").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    (tiny / "annotations" / "beta.yaml").write_text(
        "annotations:\n  - id: gone\n    type: context\n    quote: words the article never says\n    note: x\n",
        encoding="utf-8")
    return tiny


def checked_slugs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs process_article is called with, from now on (a check with --jobs 1 runs them here)."""
    seen: list[str] = []
    real = pipeline.process_article

    def spy(c: pipeline.Collection, slug: str, mode: pipeline.Mode = pipeline.CHECK) -> pipeline.ArticleResult:
        seen.append(slug)
        return real(c, slug, mode)

    monkeypatch.setattr(pipeline, "process_article", spy)
    return seen


def test_a_named_article_is_checked_alone(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = checked_slugs(monkeypatch)
    monkeypatch.setattr(history, "note_history", lambda root: pytest.fail("a check of named files reads no history"))
    monkeypatch.chdir(two)
    result = run(two, "check", "--jobs", "1", "content/alpha.md")
    assert result.code == 0, result.err
    assert seen == ["alpha"]
    assert result.out.startswith("checked 1 article (content/alpha.md, annotations/alpha.yaml), 8 annotations "
                                 "and the registry of 2 records in ")
    assert result.err == ""  # and no warning that the registry's records go uncited: that needs every article


def test_an_annotation_file_names_its_pair_and_errors_keep_their_place(two: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = checked_slugs(monkeypatch)
    result = run(two, "check", "--jobs", "1", str(two / "annotations" / "beta.yaml"))
    assert result.code == 1 and seen == ["beta"]
    assert result.err.startswith("annotations/beta.yaml:4:12: error: quote of 'gone' not found in content/beta.md")
    assert result.err.endswith("1 error; check failed\n")


def test_several_paths_and_the_github_format(two: Path) -> None:
    (two / "content" / "gamma.md").write_text((two / "content" / "alpha.md").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    result = run(two, "check", "--format", "github", str(two / "content" / "gamma.md"), str(two / "content/alpha.md"),
                 str(two / "annotations" / "alpha.yaml"))
    assert result.code == 0, result.err
    assert result.out.startswith("::notice::checked 2 articles (content/alpha.md, annotations/alpha.yaml, "
                                 "content/gamma.md), 8 annotations and the registry of 2 records in ")


def test_the_registry_is_always_checked(two: Path) -> None:
    registry = two / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("kind: un", "kind: unn"), encoding="utf-8")
    result = run(two, "check", str(two / "content" / "alpha.md"))
    assert result.code == 1
    assert result.err.startswith("annotations/_records.yaml:5:11: error: ")


def test_an_annotation_file_without_article_is_found_from_the_names(two: Path) -> None:
    (two / "annotations" / "orphan.yaml").write_text("annotations: []\n", encoding="utf-8")
    result = run(two, "check", str(two / "content" / "alpha.md"))
    assert result.code == 1
    assert result.err.startswith("annotations/orphan.yaml:1:1: error: annotation file has no article: "
                                 "content/orphan.md does not exist")


def test_naming_the_registry_checks_every_article(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = checked_slugs(monkeypatch)
    result = run(two, "check", "--jobs", "1", str(two / "content" / "alpha.md"),
                 str(two / "annotations" / "_records.yaml"))
    assert result.code == 1 and seen == ["alpha", "beta", "alpha"]  # then alpha's page: a check of everything
    # renders one article's, that of the article with the most notes among those without errors (issue 19)
    assert "annotations/beta.yaml:4:12: error: quote of 'gone' not found" in result.err


def test_a_broken_article_not_named_is_not_read(two: Path) -> None:
    (two / "content" / "beta.md").write_bytes(b"\xff not UTF-8")
    assert run(two, "check", str(two / "content" / "alpha.md")).code == 0
    assert run(two, "check").code == 1


@pytest.mark.parametrize(("given", "message"), [
    ("../outside.md", "{given} is outside the collection ({root})"),
    ("/etc/passwd", "{given} is outside the collection ({root})"),
    ("site.yaml", "{given} is not an article (content/<slug>.md) or an annotation file (annotations/<slug>.yaml)"),
    ("content/sub/x.md", "{given} is not an article (content/<slug>.md) or an annotation file "
     "(annotations/<slug>.yaml)"),
    ("templates/article.html", "{given} is not an article (content/<slug>.md) or an annotation file "
     "(annotations/<slug>.yaml)"),
    ("content/missing.md", "{given}: no such file"),
    ("annotations/missing.yaml", "{given}: no such file"),
])
def test_paths_that_name_no_article_are_usage_errors(two: Path, monkeypatch: pytest.MonkeyPatch, given: str,
                                                     message: str) -> None:
    monkeypatch.chdir(two)
    result = run(two, "check", "content/alpha.md", given)
    assert result.code == 2 and result.out == ""
    assert result.err == "build.py: error: " + message.format(given=given, root=os.path.abspath(two)) + "\n" + HINT


def test_paths_are_read_from_the_current_folder(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(two.parent)
    assert run(two, "check", "content/alpha.md").code == 2  # (the collection is ./tiny here)
    result = run(two, "check", "tiny/content/alpha.md")
    assert result.code == 0 and result.out.startswith("checked 1 article (content/alpha.md, annotations/alpha.yaml)")


def test_a_root_through_a_symbolic_link_names_the_same_files(two: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The current folder is given resolved by the system, --root may not be (macOS's /tmp is a link): both sides
    are compared as real paths."""
    link = tmp_path / "link"
    link.symlink_to(two, target_is_directory=True)
    monkeypatch.chdir(link)
    result = run(link, "check", "content/alpha.md")
    assert result.code == 0, result.err
    assert result.out.startswith("checked 1 article (content/alpha.md, annotations/alpha.yaml)")


def test_a_usage_error_in_the_github_format_is_a_workflow_command(two: Path) -> None:
    result = run(two, "check", "--format", "github", str(two / "site.yaml"))
    assert result.code == 2
    assert result.err.startswith("::error::") and "is not an article" in result.err and result.err.count("\n") == 1


def test_citations_rendered_as_cited_are_those_rendered_ahead(tmp_path: Path) -> None:
    """A check of named articles renders only the citations they need (the registry may hold thousands), and
    the same ones: the multilingual fixture cites records in other languages (id@fr)."""
    from conftest import MULTILINGUAL, copy_site

    root = copy_site(MULTILINGUAL, tmp_path / "m")
    whole, _ = pipeline.load_collection(root)
    part, _ = pipeline.load_collection(root, whole=False)
    assert whole is not None and part is not None and not part.cites
    keep = pipeline.Mode(keep_pages=True)
    for slug in whole.slugs:
        page = pipeline.process_article(whole, slug, keep).page
        assert page is not None and pipeline.process_article(part, slug, keep).page == page
    assert any("@" in key for key in part.cites) and set(part.cites) <= set(whole.cites)
