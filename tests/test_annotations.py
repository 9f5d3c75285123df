from pathlib import Path

import pytest

from apparatus.annotations import Link, NodesNeeded, load_annotations, load_registry


def test_annotations_load_with_links_and_nodes(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("annotations:\n  - id: x\n    type: source\n    quote: q\n    note: n\n    records: [r]\n"
                 "    links:\n      - {url: 'https://e.org', title: T}\n", encoding="utf-8")
    af, diags = load_annotations(p, "annotations/a.yaml", frozenset({"r"}))
    assert diags == [] and af is not None
    (ann,) = af.annotations
    assert (ann.id, ann.type, ann.records, ann.links) == ("x", "source", ("r",), (Link("https://e.org", "T"),))
    with pytest.raises(NodesNeeded):  # the fast path keeps no nodes: a diagnostic asks for the exact path
        ann.nodes["quote"]
    af, diags = load_annotations(p, "annotations/a.yaml", frozenset({"r"}), exact=True)
    assert diags == [] and af is not None
    assert af.annotations == [ann]
    assert af.annotations[0].nodes["quote"].start_mark.line == 3


def test_empty_annotation_file_is_fine(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("# nothing yet\n", encoding="utf-8")
    af, diags = load_annotations(p, "annotations/a.yaml", frozenset())
    assert diags == [] and af is not None and af.annotations == []


def test_registry(tmp_path: Path) -> None:
    p = tmp_path / "_records.yaml"
    p.write_text("records:\n  - {id: r, title: T, issuer: I, kind: un, date: 2021, symbol: A/HRC/46/1}\n")
    records, diags = load_registry(p, "annotations/_records.yaml")
    assert diags == []
    assert records["r"].symbol == "A/HRC/46/1" and records["r"].url == ""


def test_no_registry_is_an_empty_registry(tmp_path: Path) -> None:
    assert load_registry(tmp_path / "missing.yaml", "x") == ({}, [])
