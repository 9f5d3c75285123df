"""`build.py new` and the JSON Schemas (kept in schema/, generated from the engine's declarations)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, run, tree_digest

from apparatus.scaffold import schema_files


def test_new_creates_a_pair_that_checks_clean(tiny: Path) -> None:
    result = run(tiny, "new", "france-hrc46-2021")
    assert result.code == 0, result.err
    assert (tiny / "content" / "france-hrc46-2021.md").is_file()
    text = (tiny / "annotations" / "france-hrc46-2021.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/annotations.schema.json\n")
    check = run(tiny, "check")
    assert check.code == 0, check.err


def test_the_first_note_of_a_new_article_is_added_by_appending(tiny: Path) -> None:
    """A new annotation file ends with 'annotations:' and comments, so the preview's Add (append-only) takes its
    first note; the result checks clean once the article is no draft."""
    from apparatus import annotate, append
    assert run(tiny, "new", "fresh-one").code == 0
    article = tiny / "content" / "fresh-one.md"
    article.write_text(article.read_text(encoding="utf-8").replace("draft: true", "").replace("TODO: ", ""),
                       encoding="utf-8")
    notes = tiny / "annotations" / "fresh-one.yaml"
    before = notes.read_bytes()
    item = annotate.snippet(tiny, "fresh-one", "paste the article", kind="context", note="A note.").yaml
    append.append_note(tiny, "fresh-one", item)
    after = notes.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode() == "".join("  " + line for line in item.splitlines(keepends=True))
    check = run(tiny, "check")
    assert check.code == 0 and "error" not in check.err, check.err


def test_new_refuses_an_existing_slug_and_changes_nothing(tiny: Path) -> None:
    before = tree_digest(tiny)
    result = run(tiny, "new", "alpha")
    assert result.code == 2  # a usage error
    assert result.err == ("build.py new: error: content/alpha.md, annotations/alpha.yaml already exists; "
                          "nothing was written\n  hint: choose another slug, or edit the existing files\n")
    assert tree_digest(tiny) == before


def test_new_refuses_a_bad_slug(tiny: Path) -> None:
    before = tree_digest(tiny)
    assert run(tiny, "new", "Not A Slug").code == 2
    assert tree_digest(tiny) == before


def test_schema_files_in_the_repository_are_current() -> None:
    for name, text in schema_files().items():
        assert (REPO / "schema" / name).read_text(encoding="utf-8") == text, \
            f"schema/{name} is stale: run `python build.py schema`"


def test_annotation_files_point_editors_at_the_schema() -> None:
    for path in sorted((REPO / "annotations").glob("*.yaml")):
        name = "records" if path.name == "_records.yaml" else "annotations"
        assert path.read_text(encoding="utf-8").startswith(
            f"# yaml-language-server: $schema=../schema/{name}.schema.json\n"), path


def test_new_refuses_a_slug_ending_in_a_line_break(tiny: Path) -> None:
    """Issue 14, finding 5: '$' in the slug pattern let `new $'evil\\n'` create content/evil\\n.md."""
    before = tree_digest(tiny)
    result = run(tiny, "new", "evil\n")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("build.py new: error: 'evil\\n' is not a valid slug\n"
                          "  hint: use lowercase letters, digits and single hyphens, e.g. 'france-hrc46-2021'\n")
    assert tree_digest(tiny) == before


def test_new_writes_nothing_through_a_folder_linked_outside(tiny: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tiny / "content").rename(tiny / "kept")
    (tiny / "content").symlink_to(elsewhere)
    result = run(tiny, "new", "fresh")
    assert result.code == 1
    assert result.err == ("build.py new: error: content links outside the collection; nothing was written\n"
                          "  hint: a symlink may point only inside the collection folder: replace it with the file "
                          "itself\n")
    assert list(elsewhere.iterdir()) == [] and not (tiny / "annotations" / "fresh.yaml").exists()


def test_new_with_a_dangling_link_in_the_way_writes_nothing(tiny: Path, tmp_path: Path) -> None:
    """annotations/fresh.yaml a dangling symlink: a usage error naming it (was a traceback that left
    content/fresh.md behind), and nothing created, not even the link's target."""
    target = tmp_path / "nowhere.yaml"
    (tiny / "annotations" / "fresh.yaml").symlink_to(target)
    before = tree_digest(tiny)
    result = run(tiny, "new", "fresh")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("build.py new: error: annotations/fresh.yaml already exists; nothing was written\n"
                          "  hint: choose another slug, or edit the existing files\n")
    assert tree_digest(tiny) == before and not (tiny / "content" / "fresh.md").exists() and not target.exists()


def test_new_removes_the_first_file_when_the_second_cannot_be_created(tiny: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A link that appears between the check and the creation (a race) is not followed, and the article file
    made just before is removed."""
    real_open = os.open

    def racing_open(path, flags, mode=0o777):  # type: ignore[no-untyped-def]
        if str(path).endswith("fresh.yaml"):
            os.symlink("/nonexistent", path)
        return real_open(path, flags, mode)
    monkeypatch.setattr(os, "open", racing_open)
    result = run(tiny, "new", "fresh")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("build.py new: error: cannot create annotations/fresh.yaml: File exists; nothing was "
                          "written\n  hint: choose another slug, or remove what is in the way\n")
    assert not (tiny / "content" / "fresh.md").exists()
