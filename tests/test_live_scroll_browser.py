"""The live preview brings the reader back to the note that changed (issue 18), in a real browser.

On the generated long article (tests/long_article.py), with the page at its top, note 30's text is edited in
the YAML file: the browser reloads, and note 30 is opened (expanded beside its passage on a desk, under its
paragraph on a phone) with its first line and its highlight in the viewport, although the note is thousands
of pixels below. Chromium restores the old scroll position after location.reload() unless
history.scrollRestoration is "manual": live.js sets it and scrolls once the layout has settled. Screenshots
go to test-artifacts/ — look at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import long_article
import pytest
from conftest import REPO, TINY, copy_site

from apparatus.serve import start, stop
from apparatus.server import PreviewServer

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts"
EDIT = "Edited in the file just now."

# where the note's first lines and its highlight are in the viewport
PLACE = """(id) => {
  const note = document.getElementById(id), mark = document.getElementById('hl_' + id);
  const head = note.querySelector('.note-head').getBoundingClientRect();
  const text = note.querySelector('.note-text').getClientRects();
  const first = text.length ? text[0] : head;
  const m = mark.getBoundingClientRect();
  return {headTop: head.top, lineBottom: Math.min(first.bottom, first.top + 40), markTop: m.top,
          markBottom: m.bottom, height: innerHeight, scrollY: scrollY, restoration: history.scrollRestoration,
          expanded: note.classList.contains('expanded') || note.closest('.inline-note') !== null};
}"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path, list[str]]]:
    root = copy_site(TINY, tmp_path / "tiny")
    ids = long_article.write(root)
    s, w = start(root, port=0, jobs=1)
    yield s, root, ids
    stop(s, w)


@pytest.mark.parametrize(("name", "width", "height"), [("desk", 1280, 800), ("phone", 390, 844)])
def test_an_edited_note_far_below_is_opened_and_shown_after_the_reload(browser, served, name: str, width: int,
                                                                       height: int) -> None:
    server, root, ids = served
    note = ids[29]  # note 30, in reading order
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server.url + f"articles/{long_article.SLUG}/")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)  # the EventSource connects
    before = page.evaluate(PLACE, note)
    assert before["scrollY"] == 0 and before["markTop"] > 3 * height, "the note starts far below the viewport"

    path = root / "annotations" / f"{long_article.SLUG}.yaml"
    text = path.read_text(encoding="utf-8")
    start_of_note = text.index(f"  - id: {note}\n")
    at = text.index('    note: "', start_of_note) + len('    note: "')
    path.write_text(text[:at] + EDIT + " " + text[at:], encoding="utf-8")

    page.wait_for_selector(f"#{note} .note-text:has-text('{EDIT}')", timeout=10000)
    page.wait_for_function("(id) => { const n = document.getElementById(id);"
                           " return n.classList.contains('expanded') || n.closest('.inline-note') !== null; }",
                           arg=note, timeout=5000)
    page.wait_for_function("() => document.readyState === 'complete' && document.fonts.status === 'loaded'")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live-scroll-{name}.png"))
    after = page.evaluate(PLACE, note)
    page.close()
    assert after["restoration"] == "manual"
    assert after["expanded"], "the note is opened"
    assert after["headTop"] >= 0 and after["lineBottom"] <= after["height"], f"the note's first line in view: {after}"
    assert after["markTop"] >= 0 and after["markBottom"] <= after["height"], f"its highlight in view: {after}"
