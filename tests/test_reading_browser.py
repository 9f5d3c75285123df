"""The reading experience in a real browser (Playwright + Debian Chromium), at 375 px and 1280 px.

Gates: axe-core finds no violation on any page type; no horizontal scrolling (the desk's margin
notes: tests/test_margin_browser.py); the keyboard path (Tab to a note number, Enter opens, Escape
closes, focus returns) works; without JavaScript every note's text is on the page; an article page
and each page of changes transfer at most 50 KB gzipped. Screenshots of an article at both widths go
to test-artifacts/ — look at them.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
ARTICLE = "articles/le-drian-hrc46-xinjiang-2021/"
PAGES = {"home": "", "article": ARTICLE, "article-2": "articles/france-china-mass-detentions-2019/",
         "records": "records/", "record": "records/hrc46-le-drian-2021-02-24/", "about": "about/",
         "changes": "changes/"}


@pytest.fixture(scope="module")
def site(served_collection: str, collection_site: Path) -> tuple[str, Path]:
    return served_collection, collection_site


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_axe_finds_no_violation(browser, site, name: str, width: int) -> None:
    base, _ = site
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(base + PAGES[name])
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    page.close()
    assert violations == []


# the multilingual fixture (tests/sites/multilingual): right-to-left (Uyghur) and CJK pages
LANGUAGE_PAGES = {"ug": "articles/ug-kowruk/", "zh": "articles/zh-qiao/", "fr": "articles/fr-pont/", "home": "",
                  "record-ug": "records/ug-qarar-2024-17/", "record-zh": "records/zh-resolution-2024-17/",
                  "changes": "changes/"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("name", sorted(LANGUAGE_PAGES))
def test_axe_finds_no_violation_on_right_to_left_and_cjk_pages(browser, served_multilingual: str, name: str,
                                                               width: int, scheme: str) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(served_multilingual + LANGUAGE_PAGES[name])
    if name in ("ug", "zh"):  # with a note open: beside the text on a desk, inside it on a phone
        page.click("#ref_priority")
        page.wait_for_selector("#priority.expanded" if width >= 1100 else ".inline-note #priority")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    page.close()
    assert violations == []


@pytest.mark.parametrize("name", ["article", "home", "record"])
def test_axe_finds_no_violation_in_dark_mode(browser, site, name: str) -> None:
    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(base + PAGES[name])
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    page.close()
    assert [v["id"] for v in result["violations"]] == []


@pytest.mark.parametrize("width", [375, 640, 1280])  # 640: a 1280 px window zoomed to 200%
@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_horizontal_scrolling(browser, site, name: str, width: int) -> None:
    base, _ = site
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(base + PAGES[name])
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_keyboard_path_on_a_phone(browser, site) -> None:
    base, _ = site
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(base + ARTICLE)
    refs = page.evaluate("Array.from(document.querySelectorAll('sup.nref a')).map(a => a.id)")
    seen = []
    for _ in range(60):  # Tab through the page: every note number, in reading order
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused.startswith("ref_"):
            seen.append(focused)
        if len(seen) == len(refs):
            break
    assert seen == refs
    page.focus("#ref_minister-first-name")
    page.keyboard.press("Enter")
    holder = page.wait_for_selector(".inline-note #minister-first-name")
    assert holder.is_visible()
    assert page.evaluate("document.activeElement.id") == "minister-first-name"
    assert "Jean-Yves Le Drian" in holder.inner_text()
    page.screenshot(path=str(ARTIFACTS / "article-375-note-open.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector(".inline-note", state="detached")
    assert page.evaluate("document.activeElement.id") == "ref_minister-first-name"
    page.close()


def test_a_tap_on_a_highlight_opens_its_note_and_overlaps_open_separately(browser, site) -> None:
    base, _ = site
    page = browser.new_page(viewport={"width": 375, "height": 800}, has_touch=True)
    page.goto(base + ARTICLE)
    page.screenshot(path=str(ARTIFACTS / "article-375.png"), full_page=True)
    page.tap('mark[data-ann~="speech-date"]')
    page.wait_for_selector(".inline-note #speech-date")
    page.click(".close-note")
    page.wait_for_selector(".inline-note", state="detached")
    page.close()


def test_without_javascript_every_note_is_on_the_page(browser, site) -> None:
    base, out = site
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for url in (ARTICLE, PAGES["article-2"]):
        page.goto(base + url)
        text = page.inner_text("body")
        for note in page.query_selector_all("section.notes li.note .note-text"):
            assert note.is_visible()
            assert note.inner_text().strip()[:60] in text
    context.close()


def test_an_article_page_is_lean(site) -> None:
    _, out = site
    page = (out / ARTICLE / "index.html").read_bytes()
    assets = [out / "static" / "style.css", out / "static" / "notes.js"]
    total = len(gzip.compress(page)) + sum(len(gzip.compress(a.read_bytes())) for a in assets)
    assert total <= 50_000, total
    head = page.decode().split("</head>")[0]
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", head)
    assert scripts and all(" async" in tag for tag in scripts), "no script file holds back the page"
    # an inline script after the style sheet would wait for it, and hold DOMContentLoaded back
    assert head.index("<script>") < head.index('rel="stylesheet"') and "<script>" not in page.decode()[len(head):]
    assert "@font-face" not in (out / "static" / "style.css").read_text()


def test_every_page_of_changes_is_lean(site) -> None:
    """The changes pages hold 100 rows each (site.CHANGES_PER_PAGE): each page within the budget with its style sheet
    (tests/test_feeds.py weighs full pages of the longest rows)."""
    _, out = site
    pages = sorted((out / "changes").rglob("index.html"))
    assert pages
    style = len(gzip.compress((out / "static" / "style.css").read_bytes()))
    for page in pages:
        assert len(gzip.compress(page.read_bytes())) + style <= 50_000, page


@pytest.fixture(scope="module", autouse=True)
def artifacts() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
