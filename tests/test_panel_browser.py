"""Select to annotate in a real browser (Playwright + Debian Chromium) on a copy of the tiny collection served by
the live preview: select the second of two identical phrases, fill the panel, add the note; after the rebuild
the note is rendered at that passage and the YAML file is byte-identical except for the appended block. The
panel opened is checked with axe-core at desk and phone widths; screenshots go to test-artifacts/ (look at
them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

from apparatus.serve import start, stop
from apparatus.server import PreviewServer

pytestmark = pytest.mark.browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"

SELECT_SECOND_VOTE = """() => {
  const text = document.querySelector('#hl_second-vote').firstChild;  // the second 'The vote was 266 to 0'
  const range = document.createRange();
  range.setStart(text, 0);
  range.setEnd(text, text.data.length);
  getSelection().removeAllRanges();
  getSelection().addRange(range);
}"""


@pytest.fixture
def served(tiny: Path) -> Iterator[PreviewServer]:
    s, w = start(tiny, port=0, jobs=1)
    yield s
    stop(s, w)


def sign_in(page, served: PreviewServer) -> None:  # type: ignore[no-untyped-def]
    """Open the address build.py serve prints, as the editor does: its token gets the browser the panel's cookie."""
    page.goto(served.panel_url)
    assert page.url == served.url, "sent on to the same address, without the token"
    assert [c["name"] for c in page.context.cookies()] == [f"apparatus-session-{served.server_address[1]}"]


def open_panel(page, served: PreviewServer, width: int):  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, served)
    page.goto(served.url + "articles/alpha/")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)  # the EventSource connects
    page.focus("a.ext")  # where the focus returns when the panel closes
    page.evaluate(SELECT_SECOND_VOTE)
    page.wait_for_selector("#apparatus-annotate:not([hidden])", timeout=5000)
    page.wait_for_function("() => document.querySelector('#apparatus-yaml').value.includes('266 to 0')", timeout=5000)


def axe_violations(page) -> list[tuple[str, str, list[object]]]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def test_select_a_repeated_phrase_add_the_note_and_see_it_in_place(browser, served: PreviewServer,
                                                                   tiny: Path) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    old = ann.read_bytes()
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    open_panel(page, served, 1280)
    assert page.evaluate("document.activeElement.id") == "apparatus-kind", "the panel takes the focus"
    assert page.inner_text(".aa-quote") == "“The vote was 266 to 0”"
    assert page.is_hidden("#apparatus-correction"), "corrected wording only for a correction"

    page.keyboard.press("Escape")
    assert page.is_hidden("#apparatus-annotate")
    assert page.evaluate("document.activeElement.matches('a.ext')"), "the focus returns"
    page.click("h1")  # a new selection (the same one again) opens it again
    page.evaluate(SELECT_SECOND_VOTE)
    page.wait_for_selector("#apparatus-annotate:not([hidden])", timeout=5000)

    page.select_option("#apparatus-kind", "correction")
    page.fill("#apparatus-correction", "The vote was 266 to 1")
    page.fill("#apparatus-note", "Hansard records one abstention.")
    page.fill("#apparatus-records", "journals")  # completion by words of a record's title
    page.wait_for_function("() => [...document.querySelectorAll('#apparatus-record-list option')]"
                           ".some(o => o.value === 'ca-vote')", timeout=5000)
    page.fill("#apparatus-records", "ca-vote")
    page.wait_for_function("() => document.querySelector('#apparatus-yaml').value.includes('266 to 1')", timeout=5000)
    snippet = page.input_value("#apparatus-yaml")
    note_id = page.input_value("#apparatus-id")
    assert snippet == (f'- id: "{note_id}"\n  type: "correction"\n  quote: "The vote was 266 to 0"\n'
                       '  prefix: "0."\n  correction: "The vote was 266 to 1"\n'
                       '  note: "Hansard records one abstention."\n  records: ["ca-vote"]\n')

    page.click("#apparatus-annotate button:text-is('Copy')")
    page.wait_for_selector("[role=status]:has-text('Copied the snippet.')", timeout=5000)
    assert page.evaluate("navigator.clipboard.readText()") == snippet

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "annotate-panel-1280.png"))
    assert axe_violations(page) == []

    page.click("#apparatus-annotate button:has-text('Add to annotations/alpha.yaml')")
    page.wait_for_selector(f"li#{note_id}", timeout=10000)  # the watcher rebuilt, live.js reloaded the page
    assert ann.read_bytes() == old + "".join("  " + line for line in snippet.splitlines(keepends=True)).encode()
    marked = page.evaluate("""id => {
      const marks = [...document.querySelectorAll('mark')].filter(m => m.dataset.ann.split(' ').includes(id));
      const p = marks[0].closest('p');
      const range = document.createRange();
      range.setStart(p, 0);
      range.setEndBefore(marks[0]);
      return [marks.map(m => m.textContent).join(''), range.toString()];
    }""", note_id)
    assert marked == ["The vote was 266 to 0", "The vote was 266 to 0. "], "at the second occurrence"
    note = page.text_content(f"li#{note_id}") or ""
    assert "The vote was 266 to 1" in note and "Hansard records one abstention." in note
    beside = page.evaluate("""id => {
      const mark = document.querySelector(`mark[data-ann~="${id}"]`).getBoundingClientRect();
      const note = document.getElementById(id).getBoundingClientRect();
      return [Math.round(note.left - mark.right), Math.round(note.top - mark.top)];
    }""", note_id)
    assert beside[0] > 0 and abs(beside[1]) < 200, f"the note is in the margin beside its passage: {beside}"
    page.screenshot(path=str(ARTIFACTS / "annotate-added-1280.png"))
    context.close()


def test_without_the_tokens_address_the_page_has_no_panel(browser, served: PreviewServer) -> None:
    page = browser.new_page()
    page.goto(served.url + "articles/alpha/")
    page.wait_for_function("() => document.readyState === 'complete'")
    assert page.evaluate("!!document.querySelector('script[src=\"/__apparatus/live.js\"]')"), "live reload still"
    assert page.evaluate("document.querySelectorAll('script[data-token]').length") == 0
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
    assert "/__apparatus/live.js" in loaded and "/__apparatus/annotate.js" not in loaded
    assert page.context.cookies() == []
    page.close()


def test_the_panel_at_phone_width(browser, served: PreviewServer) -> None:
    page = browser.new_page()
    open_panel(page, served, 375)
    box = page.eval_on_selector("#apparatus-annotate", "e => e.getBoundingClientRect().toJSON()")
    assert box["left"] == 0 and box["width"] == 375, "a sheet across the bottom of a phone"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "annotate-panel-375.png"))
    assert axe_violations(page) == []
    page.close()


def test_an_append_refused_shows_why_in_the_panel(browser, served: PreviewServer, tiny: Path) -> None:
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text() + "article_sha256: abc\n")
    old = ann.read_bytes()
    page = browser.new_page()
    open_panel(page, served, 1280)
    page.click("#apparatus-annotate button:has-text('Add to annotations/alpha.yaml')")
    alert = page.wait_for_selector("#apparatus-annotate [role=alert]:not(:empty)", timeout=5000)
    assert alert.inner_text() == (
        "'annotations:' is not the last key of annotations/alpha.yaml: 'article_sha256' follows it on line 45\n"
        "Hint: move 'article_sha256:' above 'annotations:', or copy the snippet into the file by hand")
    assert ann.read_bytes() == old
    page.close()


def test_a_selection_across_emphasis_a_link_and_note_numbers_is_the_text_a_reader_sees(
        browser, served: PreviewServer) -> None:
    page = browser.new_page()
    sign_in(page, served)
    page.goto(served.url + "articles/alpha/")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.evaluate("""() => {
      const p = document.querySelector('#hl_name').closest('p');
      const range = document.createRange();
      range.setStart(p.firstChild, 4);  // 'The |minister'
      range.setEnd(document.querySelector('a[href="https://example.org/hrc"]').lastChild, 8);  // ' Council|'
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }""")
    page.wait_for_selector("#apparatus-annotate:not([hidden])", timeout=5000)
    assert page.inner_text(".aa-quote") == "“minister Jean-Claude Le Drian spoke to the Human Rights Council”"
    page.wait_for_function("() => document.querySelector('#apparatus-yaml').value !== ''", timeout=5000)
    assert 'quote: "minister Jean-Claude Le Drian spoke to the Human Rights Council"\n' in page.input_value(
        "#apparatus-yaml"), "the note number 2 inside the selection is left out"
    page.close()


def test_on_a_right_to_left_article_the_panel_stands_clear_of_the_text(browser, tmp_path: Path) -> None:
    from conftest import MULTILINGUAL, copy_site
    root = copy_site(MULTILINGUAL, tmp_path / "m")
    s, w = start(root, port=0, jobs=1)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        sign_in(page, s)
        page.goto(s.url + "articles/ug-kowruk/")
        page.evaluate("""() => {
          const text = document.querySelector('.article-body p').firstChild;  // the Uyghur text's first words
          const range = document.createRange();
          range.setStart(text, 0);
          range.setEnd(text, 12);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""")
        page.wait_for_selector("#apparatus-annotate:not([hidden])", timeout=5000)
        page.wait_for_function("() => document.querySelector('#apparatus-yaml').value !== ''", timeout=5000)
        assert page.evaluate("""() => document.querySelector('#apparatus-annotate').getBoundingClientRect().right
                               <= document.querySelector('.article-body').getBoundingClientRect().left""")
        assert page.evaluate("getComputedStyle(document.querySelector('#apparatus-annotate')).direction") == "ltr"
        assert axe_violations(page) == []
        page.close()
    finally:
        stop(s, w)
