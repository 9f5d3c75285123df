"""The tiny fixture site built end to end and compared with its golden output tree (tests/golden/tiny).

Regenerate with ``pytest tests/test_golden.py --update-golden`` and read the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, TESTS, run, tree_digest

GOLDEN = TESTS / "golden" / "tiny"


def test_tiny_site_matches_golden(tiny: Path, update_golden: bool) -> None:
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out.startswith("built 1 article, 8 annotations, 2 records in ")
    out = tiny / "_site"
    copied = {f"static/{p.relative_to(REPO / 'templates' / 'static').as_posix()}": p
              for p in (REPO / "templates" / "static").rglob("*") if p.is_file()}
    copied["search/lunr.min.js"] = REPO / "node_modules" / "lunr" / "lunr.min.js"
    for rel, src in copied.items():  # copies of sources are compared with their source, not kept twice
        assert (out / rel).read_bytes() == src.read_bytes(), rel
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=lambda d, names: [
            n for n in names if (Path(d) / n).relative_to(out).as_posix() in copied])
    produced = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    assert [p for p in produced if p not in copied] == expected
    for rel in expected:
        assert (out / rel).read_text(encoding="utf-8") == (GOLDEN / rel).read_text(encoding="utf-8"), rel


def test_two_builds_are_byte_identical(tiny: Path, tmp_path: Path) -> None:
    assert run(tiny, "build").code == 0
    first = tree_digest(tiny / "_site")
    shutil.rmtree(tiny / "_site")
    assert run(tiny, "--jobs", "2", "build").code == 0
    assert tree_digest(tiny / "_site") == first


def test_check_writes_nothing(tiny: Path) -> None:
    """check writes no site; only its cache (.apparatus-cache/, which git ignores by itself), and with --no-cache
    not even that."""
    result = run(tiny, "check", "--no-cache")
    assert result.code == 0, result.err
    assert result.out.startswith("checked 1 article, 8 annotations, 2 records in ")
    assert sorted(p.name for p in tiny.iterdir()) == ["annotations", "content", "site.yaml", "templates"]
    assert run(tiny, "check").code == 0
    assert not (tiny / "_site").exists()
    assert sorted(p.name for p in tiny.iterdir()) == [".apparatus-cache", "annotations", "content", "site.yaml",
                                                      "templates"]
    assert (tiny / ".apparatus-cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
