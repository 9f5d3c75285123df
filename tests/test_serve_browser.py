"""Live preview in a real browser: a save shows without touching the browser; a bad save shows an
overlay with file and line while the page stays; the fix clears it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apparatus.serve import start, stop
from apparatus.server import PreviewServer

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tiny: Path) -> Iterator[PreviewServer]:
    s, w = start(tiny, port=0, jobs=1)
    yield s
    stop(s, w)


def test_edit_break_and_fix_an_annotation(browser, served: PreviewServer, tiny: Path) -> None:
    page = browser.new_page()
    page.goto(served.url + "articles/alpha/")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)  # the EventSource connects
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text()

    ann.write_text(text.replace("note: Arabic script.", "note: Arabic script, written right to left."))
    page.wait_for_selector("#uyghur:has-text('written right to left')", timeout=5000)
    assert page.evaluate("document.activeElement !== null")

    ann.write_text(text.replace("    type: correction\n", "    type: corection\n", 1))
    overlay = page.wait_for_selector("#apparatus-overlay", timeout=5000)
    assert "annotations/alpha.yaml:3:11: error:" in overlay.inner_text()
    assert "written right to left" in page.inner_text("#uyghur"), "the last good page stays"

    ann.write_text(text)
    page.wait_for_selector("#apparatus-overlay", state="detached", timeout=5000)
    page.wait_for_selector("#uyghur:not(:has-text('written right to left'))", timeout=5000)
    page.close()
