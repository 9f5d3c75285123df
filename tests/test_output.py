from pathlib import Path

import pytest

from apparatus.output import MARKER, OutputNotOurs, Staging


def test_commit_swaps_in_and_discard_leaves_old(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    s = Staging(out)
    s.write("a/index.html", "one")
    s.commit()
    assert (out / "a/index.html").read_text() == "one" and (out / MARKER).is_file()
    s = Staging(out)
    s.write("a/index.html", "two")
    s.discard()
    assert (out / "a/index.html").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_a_folder_not_made_by_us_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputNotOurs):
        Staging(out)
    assert (out / "precious.txt").read_text() == "keep me"
