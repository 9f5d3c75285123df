"""Articles in other languages and scripts, laid out in a real browser (Playwright + Debian Chromium).

The multilingual fixture (tests/sites/multilingual: French, Chinese, Uyghur in Arabic script), at desk (1280 and
1400 px) and phone (375 and 390 px) widths:
- the Uyghur article's text runs right to left: every line starts at the column's right edge (its inline start),
  while the French and Chinese lines start at the left edge;
- on a desk the notes sit on the inline-end side of the text: left of the Uyghur text, right of the French, the
  Chinese and the collection's English; each note still starts beside its passage (the rule of
  tests/test_margin_browser.py: within 300 px of its highlight's top);
- on a phone a note opened under its paragraph is in the site's language and direction, not the article's;
- nothing sticks out of the page at phone width, on either side; Chinese text wraps inside its column, with
  strict line breaking, and Chinese and Arabic-script text get their font stacks.
Screenshots of the Uyghur and Chinese articles at 1280 and 390 px go to test-artifacts/languages-*.png.
"""

from __future__ import annotations

import pytest
from conftest import REPO
from test_margin_browser import DISTANCE, HEIGHT, RULE, assert_in_view, note_ids, open_desk
from tools import CHINESE_FONT, chinese_font, require

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts"
ARTICLES = {"ug": "articles/ug-kowruk/", "zh": "articles/zh-qiao/", "fr": "articles/fr-pont/"}
DESK, PHONE = [1280, 1400], [375, 390]
EDGE = 2  # px: a line's start may sit this far from the column's edge (a highlight's padding, rounding)

# Every line of the article's paragraphs, as [left, right] of its characters (note numbers included), and the
# column's edges. Lines are told apart by the characters' vertical centres (a raised note number stays on its line).
LINES = """() => {
  const col = document.querySelector('.article-body'), box = col.getBoundingClientRect();
  const height = parseFloat(getComputedStyle(col.querySelector('p')).lineHeight);
  const lines = [];
  for (const p of col.querySelectorAll(':scope > p')) {
    const chars = [];
    const walk = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      for (let i = 0; i < n.data.length; i++) {
        if (/\\s/.test(n.data[i])) continue;
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        const rect = r.getBoundingClientRect();
        if (rect.width) chars.push(rect);
      }
    }
    chars.sort((a, b) => (a.top + a.bottom) - (b.top + b.bottom));
    let line = null;
    for (const c of chars) {
      const y = (c.top + c.bottom) / 2;
      if (!line || y - line.y > height / 2) {
        line = {y, left: c.left, right: c.right};
        lines.push(line);
      }
      line.left = Math.min(line.left, c.left);
      line.right = Math.max(line.right, c.right);
    }
  }
  return {left: box.left, right: box.right, lines: lines.map(l => [l.left, l.right])};
}"""
# each note's box and the text column's, on a desk
SIDES = """() => {
  const col = document.querySelector('.article-body').getBoundingClientRect();
  return {left: col.left, right: col.right, notes: Array.from(document.querySelectorAll('.notes li.note'), n => {
    const r = n.getBoundingClientRect(); return [n.id, r.left, r.right]; })};
}"""
# the leftmost and rightmost edge of anything on the page, and how wide the page scrolls
EXTENT = """() => {
  const shown = Array.from(document.querySelectorAll('body *')).filter(e => !e.closest('.skip, .visually-hidden'));
  const boxes = shown.map(e => e.getBoundingClientRect()).filter(r => r.width);
  return {left: Math.min(...boxes.map(r => r.left)), right: Math.max(...boxes.map(r => r.right)),
          scroll: document.documentElement.scrollWidth};
}"""


@pytest.fixture(scope="module", autouse=True)
def artifacts() -> None:
    ARTIFACTS.mkdir(exist_ok=True)


def lines_of(browser, url: str, width: int) -> dict:  # noqa: ANN001
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(url)
    page.wait_for_selector("article.annotated")
    result = page.evaluate(LINES)
    page.close()
    return result


@pytest.mark.parametrize("width", PHONE + DESK)
def test_the_uyghur_article_runs_right_to_left_from_the_columns_right_edge(browser, served_multilingual: str,
                                                                           width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(served_multilingual + ARTICLES["ug"])
    attrs = page.evaluate("""() => ['.article-body', '.headline', '.key-notes q'].map(s => {
        const e = document.querySelector(s); return [e.lang, e.dir, getComputedStyle(e).direction]; })""")
    assert attrs == [["ug", "rtl", "rtl"]] * 3
    # the site's own words around it stay left to right
    assert page.evaluate("getComputedStyle(document.querySelector('.article-header .meta')).direction") == "ltr"
    assert page.evaluate("getComputedStyle(document.querySelector('.notes')).direction") == "ltr"
    page.close()
    text = lines_of(browser, served_multilingual + ARTICLES["ug"], width)
    assert len(text["lines"]) >= 3
    for left, right in text["lines"]:
        assert abs(right - text["right"]) <= EDGE, f"a line starts at the column's right edge: {right} vs {text}"
        assert left >= text["left"] - 0.5, f"and stays inside it: {left} vs {text}"


@pytest.mark.parametrize("width", PHONE + DESK)
@pytest.mark.parametrize("name", ["fr", "zh"])
def test_french_and_chinese_lines_start_at_the_left_edge_and_wrap_inside_the_column(browser, served_multilingual: str,
                                                                                    name: str, width: int) -> None:
    if name == "zh":
        require(chinese_font(), CHINESE_FONT)
    text = lines_of(browser, served_multilingual + ARTICLES[name], width)
    for left, right in text["lines"]:
        assert abs(left - text["left"]) <= EDGE, f"a line starts at the column's left edge: {left} vs {text}"
        assert right <= text["right"] + 0.5, f"and wraps inside it: {right} vs {text}"
    if name == "zh" and width in PHONE:  # the long paragraph, with no space in it, wraps over several lines
        assert len(text["lines"]) >= 10, text


def test_chinese_text_breaks_lines_strictly_and_has_a_cjk_font_stack(browser, served_multilingual: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": HEIGHT})
    page.goto(served_multilingual + ARTICLES["zh"])
    style = page.evaluate("""() => ['.article-body p', '.key-notes q', '.headline h1'].map(s => {
        const c = getComputedStyle(document.querySelector(s));
        return [c.lineBreak, c.wordBreak, c.overflowWrap, c.fontFamily]; })""")
    page.close()
    for line_break, word_break, wrap, fonts in style:
        assert (line_break, word_break, wrap) == ("strict", "normal", "anywhere")
        assert "Noto Sans CJK SC" in fonts or "Noto Serif CJK SC" in fonts, fonts
        assert fonts.rstrip().endswith(("sans-serif", "serif")), "then the system's own"
    assert "Georgia" in style[0][3] and "Songti SC" in style[0][3], "the article's text: a serif, then a CJK serif"


def test_arabic_script_text_has_its_font_stack_and_upright_emphasis(browser, served_multilingual: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": HEIGHT})
    page.goto(served_multilingual + ARTICLES["ug"])
    body, quote, em, cite = page.evaluate("""() => ['.article-body p', '.notes q', '.article-body em', 'cite.record a']
        .map(s => { const c = getComputedStyle(document.querySelector(s)); return [c.fontFamily, c.fontStyle]; })""")
    page.close()
    assert body[0].startswith('"Noto Naskh Arabic"') and body[0].endswith("serif")
    assert quote[0].startswith('"Noto Sans Arabic UI"') and quote[0].endswith("sans-serif")
    assert em[1] == "normal" and cite[1] == "normal", "no slanted Arabic letters"


@pytest.mark.parametrize("width", DESK)
def test_on_a_desk_the_uyghur_notes_sit_left_of_the_text_each_beside_its_passage(browser, served_multilingual: str,
                                                                                  width: int) -> None:
    page = open_desk(browser, served_multilingual + ARTICLES["ug"], width)
    sides = page.evaluate(SIDES)
    assert len(sides["notes"]) == 4
    for note_id, left, right in sides["notes"]:
        assert right <= sides["left"], f"{note_id} is left of the text: {right} > {sides['left']}"
        assert left >= 0, f"{note_id} is on the page"
    far = {i: d for i in note_ids(page) if abs(d := page.evaluate(DISTANCE, i)) > RULE}
    assert far == {}
    for note_id in note_ids(page):  # a number opens its note beside the passage, both in view
        page.evaluate("window.scrollTo(0, 0)")
        page.click(f"#ref_{note_id}")
        assert_in_view(page, note_id)
        page.keyboard.press("Escape")
    page.close()


@pytest.mark.parametrize("width", DESK)
@pytest.mark.parametrize("name", ["fr", "zh", "en"])
def test_on_a_desk_left_to_right_notes_stay_right_of_the_text(browser, served_multilingual: str,
                                                              served_collection: str, name: str, width: int) -> None:
    url = served_collection + "articles/le-drian-hrc46-xinjiang-2021/" if name == "en" else (
        served_multilingual + ARTICLES[name])
    page = open_desk(browser, url, width)
    sides = page.evaluate(SIDES)
    assert sides["notes"]
    for note_id, left, _ in sides["notes"]:
        assert left >= sides["right"], f"{note_id} is right of the text: {left} < {sides['right']}"
    if name != "en":
        far = {i: d for i in note_ids(page) if abs(d := page.evaluate(DISTANCE, i)) > RULE}
        assert far == {}
    page.close()


def test_on_a_phone_a_note_opened_in_the_uyghur_text_is_in_the_sites_language_and_direction(
        browser, served_multilingual: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(served_multilingual + ARTICLES["ug"])
    page.click("#ref_mayor-name")
    holder = page.wait_for_selector(".inline-note #mayor-name")
    assert holder.is_visible()
    lang, direction, edge = page.evaluate("""() => {
        const h = document.querySelector('.inline-note'), note = h.querySelector('li.note');
        return [h.lang, getComputedStyle(h).direction, getComputedStyle(note).borderLeftWidth]; }""")
    assert (lang, direction, edge) == ("en", "ltr", "4px"), "English notes read left to right, edge on the left"
    assert page.evaluate("document.querySelector('.inline-note').closest('.article-body[dir=rtl]') !== null")
    page.close()


PAGES = {**ARTICLES, "home": "", "records": "records/", "record-ug": "records/ug-qarar-2024-17/",
         "record-zh": "records/zh-resolution-2024-17/", "changes": "changes/"}


@pytest.mark.parametrize("width", PHONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_nothing_sticks_out_of_the_page_on_a_phone(browser, served_multilingual: str, name: str, width: int) -> None:
    """Right-to-left content that overflowed would stick out on the left, where the page cannot scroll: both
    edges are checked, not only the scroll width."""
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(served_multilingual + PAGES[name])
    extent = page.evaluate(EXTENT)
    if name in ARTICLES:  # an opened note too
        page.click("#ref_mayor-name")
        page.wait_for_selector(".inline-note")
        opened = page.evaluate(EXTENT)
        extent = {k: (min if k == "left" else max)(extent[k], opened[k]) for k in extent}
    page.close()
    assert extent["scroll"] <= width
    assert extent["left"] >= 0 and extent["right"] <= width, extent


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", ["ug", "zh"])
def test_screenshots_of_right_to_left_and_chinese_articles(browser, served_multilingual: str, name: str,
                                                           width: int) -> None:
    """For a person to look at (test-artifacts/languages-*.png): the whole page, then a note opened."""
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(served_multilingual + ARTICLES[name])
    page.wait_for_selector("article.js-margin li.note[style*='top']" if width >= 1100 else "article.annotated")
    page.screenshot(path=str(ARTIFACTS / f"languages-{name}-{width}.png"), full_page=True)
    page.click("#ref_priority")
    page.wait_for_selector("#priority.expanded" if width >= 1100 else ".inline-note #priority")
    page.screenshot(path=str(ARTIFACTS / f"languages-{name}-{width}-open.png"))
    page.close()
