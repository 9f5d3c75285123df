"""`build.py new` and the JSON Schemas (kept in schema/, generated from the engine's declarations)."""

from __future__ import annotations

from pathlib import Path

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


def test_new_refuses_an_existing_slug_and_changes_nothing(tiny: Path) -> None:
    before = tree_digest(tiny)
    result = run(tiny, "new", "alpha")
    assert result.code == 1
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
