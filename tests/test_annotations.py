from pathlib import Path

import pytest

from apparatus import sources
from apparatus.annotations import Link, load_annotations, load_registry


def test_annotations_load_with_links_and_their_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[str] = []
    compose = sources.compose_yaml
    monkeypatch.setattr(sources, "compose_yaml", lambda src: composed.append(src.rel) or compose(src))
    p = tmp_path / "a.yaml"
    p.write_text("annotations:\n  - id: x\n    type: source\n    quote: q\n    note: n\n    records: [r]\n"
                 "    links:\n      - {url: 'https://e.org', title: T}\n", encoding="utf-8")
    af, diags = load_annotations(tmp_path, "a.yaml", frozenset({"r"}))
    assert diags == [] and af is not None
    (ann,) = af.annotations
    assert (ann.id, ann.type, ann.records, ann.links, ann.index) == (
        "x", "source", ("r",), (Link("https://e.org", "T"),), 0)
    assert composed == []  # a valid file read by fastyaml: no node tree
    d = af.at(("annotations", ann.index, "quote"), "m")
    assert (d.line, d.col, d.source) == (4, 12, "    quote: q")
    d = af.at(("annotations", 0, "links", 0, "title"), "m")
    assert (d.line, d.col) == (8, 39)
    assert composed == ["a.yaml"]  # composed once, when a diagnostic first asked for a position


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n", "# a\n\n   # b\n"])
def test_empty_annotation_file_is_an_error(tmp_path: Path, text: str) -> None:
    """Issue 14, finding 11: an empty or comment-only file dropped the article's notes silently, while a file
    holding only '~' was an error."""
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    af, diags = load_annotations(tmp_path, "a.yaml", frozenset())
    assert af is None
    assert [(d.line, d.col, d.message, d.hint) for d in diags] == [
        (1, 1, "the annotation file is empty (it holds no YAML, or only comments)",
         "write 'annotations:' and the notes under it (nothing under it while there are none yet)")]
    (tmp_path / "a.yaml").write_text("~\n", encoding="utf-8")
    af, diags = load_annotations(tmp_path, "a.yaml", frozenset())
    assert af is None and diags[0].message.startswith("the annotation file must be a mapping")


@pytest.mark.parametrize("text", ["annotations:\n", "annotations:\n# an example:\n#  - id: x\n", "annotations: []\n",
                                  "annotations: ~\n"])
def test_annotations_with_nothing_under_it_is_no_note_yet(tmp_path: Path, text: str) -> None:
    """'annotations:' with nothing under it (build.py new writes it, so that the preview's Add can append the first
    note) is the empty list, as 'annotations: []' is."""
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    af, diags = load_annotations(tmp_path, "a.yaml", frozenset())
    assert diags == [] and af is not None and af.annotations == []


def test_registry(tmp_path: Path) -> None:
    p = tmp_path / "_records.yaml"
    p.write_text("records:\n  - {id: r, title: T, issuer: I, kind: un, date: 2021, symbol: A/HRC/46/1}\n")
    records, diags = load_registry(tmp_path, "_records.yaml")
    assert diags == []
    assert records["r"].symbol == "A/HRC/46/1" and records["r"].url == ""


def test_no_registry_is_an_empty_registry(tmp_path: Path) -> None:
    assert load_registry(tmp_path, "missing.yaml") == ({}, [])
