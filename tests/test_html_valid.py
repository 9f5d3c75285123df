"""Every generated page is valid HTML5, per the Nu HTML Checker (npm vnu-jar, run with Java)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import REPO, TINY, copy_site, run
from tools import VNU_JAR, java


def vnu_errors(pages: list[Path]) -> list[str]:
    proc = subprocess.run([java(), "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
                          capture_output=True, text=True, timeout=300)
    messages = json.loads(proc.stderr or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages]


def test_every_page_is_valid_html(tmp_path: Path) -> None:
    pages = []
    for name, src in (("tiny", TINY), ("collection", None)):
        root = tmp_path / name
        if src is None:
            root.mkdir()
            for part in ("site.yaml", "content", "annotations", "templates"):
                s = REPO / part
                (shutil.copytree if s.is_dir() else shutil.copy)(s, root / part)
        else:
            copy_site(src, root)
        assert run(root, "build").code == 0
        pages += sorted((root / "_site").rglob("*.html"))
    assert len(pages) > 40
    assert vnu_errors(pages) == []
