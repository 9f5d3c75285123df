"""Every generated page is valid HTML5, per the Nu HTML Checker (npm vnu-jar, run with Java)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import TINY, copy_site, run
from tools import VNU_JAR, java


def vnu_errors(pages: list[Path]) -> list[str]:
    proc = subprocess.run([java(), "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
                          capture_output=True, text=True, timeout=300)
    messages = json.loads(proc.stderr or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages]


def test_every_page_is_valid_html(tmp_path: Path, collection_site: Path, multilingual_site: Path) -> None:
    """The tiny site, the collection, and the multilingual fixture's right-to-left (Uyghur) and CJK pages."""
    tiny = copy_site(TINY, tmp_path / "tiny")
    assert run(tiny, "build").code == 0
    multilingual = sorted(multilingual_site.rglob("*.html"))
    assert {"articles/ug-kowruk/index.html", "articles/zh-qiao/index.html", "articles/fr-pont/index.html"} <= {
        p.relative_to(multilingual_site).as_posix() for p in multilingual}
    pages = sorted((tiny / "_site").rglob("*.html")) + sorted(collection_site.rglob("*.html")) + multilingual
    assert len(pages) > 40
    assert vnu_errors(pages) == []
