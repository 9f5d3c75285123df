"""Search as a reader uses it, in a real browser (Playwright + Debian Chromium).

With JavaScript: the header box finds a name and a UN symbol as you type, by keyboard or mouse, and
leads to the note (highlighted as the page's target) or to the record page. Nothing of the search
is downloaded before the reader starts searching, and no other host is ever asked.
Without JavaScript: the header form still submits to /search/?q=…, whose page explains that search
needs JavaScript and links to the article list and the records list (with every symbol), where the
browser's Find in page works.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from conftest import REPO

pytestmark = pytest.mark.browser
ARTICLE = "articles/le-drian-hrc46-xinjiang-2021/"


@pytest.fixture(scope="module")
def site(served_collection: str) -> str:
    return served_collection


def _page(browser, site: str, js: bool = True):
    context = browser.new_context(java_script_enabled=js)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    return context, page, requests


def test_typing_a_name_finds_the_correction_and_leads_to_the_note(browser, site: str) -> None:
    context, page, requests = _page(browser, site)
    page.goto(site + ARTICLE)
    assert not [u for u in requests if "search" in u], "the page itself loads nothing of the search"
    page.locator("#site_search_q").click()
    page.keyboard.type("Drian", delay=30)
    status = page.locator("#site_search_panel [role=status]")
    status.filter(has_text="results for “Drian”").wait_for()
    hit = page.locator("#site_search_panel li", has=page.locator(".search-kind", has_text="Correction")).filter(
        has_text="Jean-Claude Le Drian").first
    assert hit.locator("mark").first.inner_text() == "Drian"  # the matched word is highlighted
    hit.locator("a").click()
    page.wait_for_url("**#minister-first-name")
    assert page.evaluate("document.querySelector(':target').id") == "minister-first-name"
    note = page.locator("#minister-first-name")
    assert note.is_visible() and "Jean-Yves Le Drian" in note.inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector(':target')).outlineStyle") != "none"
    assert all(u.startswith(site) for u in requests), requests
    context.close()


def test_a_un_symbol_leads_to_the_record_by_keyboard(browser, site: str) -> None:
    context, page, requests = _page(browser, site)
    page.goto(site)
    for _ in range(10):  # skip link, site title, Articles, Records, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site_search_q":
            break
    assert page.evaluate("document.activeElement.id") == "site_search_q"
    page.keyboard.type("CERD/C/CHN/CO/14-17")
    # the panel answers as the characters come (debounced): under load it may first show a part of the query's
    # results, so the test waits for the whole query's first result, which must be the concluding observations
    page.locator("#site_search_panel li a").first.filter(has_text="Concluding observations").wait_for()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('li') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/records/cerd-c-chn-co-14-17/")
    assert "CERD/C/CHN/CO/14-17" in page.locator("dd.symbol").inner_text()
    assert all(u.startswith(site) for u in requests), requests
    context.close()


def test_the_search_page_keeps_the_query_in_the_url(browser, site: str) -> None:
    context, page, requests = _page(browser, site)
    page.goto(site + ARTICLE)
    page.locator("#site_search_q").fill("117-78")
    page.keyboard.press("Enter")  # the form: to the search page
    page.wait_for_url("**/search/?q=117-78")
    first = page.locator("#search_results li a").first
    first.wait_for()
    assert first.get_attribute("href", timeout=1000).endswith("records/us-plaw-117-78/")
    assert page.locator("#search_q").input_value() == "117-78"
    assert page.locator("#search_nojs").is_hidden()
    page.locator("#search_q").fill("A/HRC/46 Human Rights Council")
    page.locator("#search_status").filter(has_text="Human Rights Council").wait_for()
    assert parse_qs(urlparse(page.url).query)["q"] == ["A/HRC/46 Human Rights Council"]
    assert all(u.startswith(site) for u in requests), requests
    context.close()


def test_without_javascript_the_form_leads_to_lists_where_find_in_page_works(browser, site: str) -> None:
    context, page, requests = _page(browser, site, js=False)
    page.goto(site + ARTICLE)
    page.locator("#site_search_q").fill("CERD/C/CHN/CO/14-17")
    page.locator("form.site-search button").click()
    page.wait_for_url("**/search/?q=CERD%2FC%2FCHN%2FCO%2F14-17")
    explanation = page.locator("#search_nojs")
    assert explanation.is_visible() and "JavaScript" in explanation.inner_text()
    explanation.get_by_role("link", name="the primary records").click()
    page.wait_for_url("**/records/")
    assert "CERD/C/CHN/CO/14-17" in page.locator("main").inner_text()
    assert all(u.startswith(site) for u in requests), requests
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_search_results(browser, site: str, scheme: str) -> None:  # noqa: F811
    axe = REPO / "node_modules" / "axe-core" / "axe.min.js"
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(site + "search/?q=Le+Drian")
    page.locator("#search_results li").first.wait_for()
    page.locator("#site_search_q").fill("Xinjiang")  # the header's panel open too
    page.locator("#site_search_panel li").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    context.close()
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []


# --- a collection in several languages: bench/gen.py's mixed one, and an article in each language ---------

ARTICLES = {
    "fr-declaration": ("fr", "Déclaration du ministre", "Le ministre a dénoncé les violations des droits de "
                       "l’homme ; les Françaises et les Français l’ont entendu. « C’est inacceptable », a-t-il dit."),
    "zh-long": ("zh-Hans", "外交部发言人答记者问", "在今天的例行记者会上，发言人表示所谓新疆问题根本不是人权问题而是"
                "反暴恐和去极端化问题，各族群众安居乐业，社会持续稳定，这是谁也否认不了的事实。Jean-Yves Le Drian"),
    "ug-maqale": ("ug-Arab", "ئۇيغۇر تىلىدىكى ماقالە", "بۈگۈن ئەتىگەن مەكتەپكە باردىم. ژۇرنالدا گۈزەل بىر ھېكايە ۋە "
                  "ئۆينىڭ رەسىمى بار. پەرزەنت ئۈچۈن كىتاب ئالدۇق. مېڭىڭ! تەڭ ئېيتىڭ."),
}


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory: pytest.TempPathFactory):
    import importlib.util

    from browser import serve
    from conftest import run
    spec = importlib.util.spec_from_file_location("bench_gen", REPO / "bench" / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    root = tmp_path_factory.mktemp("mixed") / "c"
    gen.generate(root, 30, seed=3, languages="mixed")
    for slug, (language, title, text) in ARTICLES.items():
        (root / "content" / f"{slug}.md").write_text(
            f"---\ntitle: {title}\noutlet: Test fixture\npublished: 2021-02-22\nlanguage: {language}\n---\n\n{text}\n",
            encoding="utf-8")
    result = run(root, "build")
    assert result.code == 0, result.err
    records = (root / "annotations" / "_records.yaml").read_text(encoding="utf-8")
    symbol = next(line.split('"')[1] for line in records.splitlines() if line.startswith('    symbol: "CERD/C/'))
    server, base = serve(root / "_site")
    yield base, symbol
    server.shutdown()
    server.server_close()


def _first_results(page, query: str) -> list[str]:
    page.locator("#site_search_q").fill(query)
    page.locator("#site_search_panel [role=status]").filter(has_text=f"for “{query}”").wait_for()
    return [a.get_attribute("href") or "" for a in page.locator("#site_search_panel li a").all()]


def test_each_language_is_found_from_any_page_through_the_search_box(browser, mixed_site) -> None:
    base, symbol = mixed_site
    context, page, requests = _page(browser, base)
    page.goto(base + "articles/ug-maqale/")  # a right-to-left page: Latin-script queries work the same
    # a two-character Chinese word inside a long sentence, highlighted
    assert _first_results(page, "人权")[0].endswith("articles/zh-long/")
    assert page.locator("#site_search_panel li").first.locator("mark").first.inner_text() != ""
    assert not [u for u in requests if "lunr.fr" in u]  # a Chinese query needs no French stemmer
    # French: an inflected form finds another (Snowball, as lunr.fr stems it in this browser)
    assert any(u.endswith("articles/fr-declaration/") for u in _first_results(page, "française"))
    # Uyghur letters lunr.ar's trimmer would delete
    assert _first_results(page, "ژۇرنالدا")[0].endswith("articles/ug-maqale/")
    page.goto(base + "articles/zh-long/")
    assert _first_results(page, symbol)[0].endswith("/")  # a record symbol: its record first
    assert "/records/" in _first_results(page, symbol)[0]
    page.goto(base + "articles/fr-declaration/")
    assert any(u.endswith("articles/zh-long/") for u in _first_results(page, "Drian"))  # a Latin name, Chinese text
    assert any(u.endswith("search/lunr.fr.min.js") for u in requests)  # lunr.fr: this index has French
    assert all(u.startswith(base) for u in requests), requests
    context.close()
