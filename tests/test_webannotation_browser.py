"""The Web Annotation selectors in Chromium: for every note of both real articles, the page's <article> element's
textContent, counted in code points (JavaScript strings count UTF-16 units: Array.from splits by code point),
holds the TextQuoteSelector's exact text between the TextPositionSelector's start and end, its prefix just
before and its suffix just after; with JavaScript (as a reader has it, notes.js run) and without. And
apparatus.textcontent reads pages with comments, scripts, character references and the newline after <pre>
as Chromium does."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_textcontent import EVERYTHING

from apparatus.textcontent import article_ranges

pytestmark = pytest.mark.browser
ARTICLES = ["articles/le-drian-hrc46-xinjiang-2021/", "articles/france-china-mass-detentions-2019/"]

CHECK = """async () => {
  const page = await (await fetch('annotations.jsonld')).json();
  const text = Array.from(document.querySelector('article').textContent);  // code points, not UTF-16 units
  const cut = (a, b) => text.slice(Math.max(a, 0), b).join('');
  return page.items.map(item => {
    const [quote, position] = item.target.selector;
    return {id: item.id, type: position.type, exact: quote.exact, prefix: quote.prefix || '',
            suffix: quote.suffix || '', at: cut(position.start, position.end),
            before: cut(position.start - 32, position.start), after: cut(position.end, position.end + 32)};
  });
}"""


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("url", ARTICLES)
def test_every_selector_holds_in_the_article_text(browser, served_collection: str, url: str,
                                                  javascript: bool) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(served_collection + url)
    page.wait_for_load_state("load")
    notes = page.evaluate(CHECK)
    context.close()
    assert len(notes) >= 20
    for n in notes:
        assert n["type"] == "TextPositionSelector"
        assert (n["at"], n["before"], n["after"]) == (n["exact"], n["prefix"], n["suffix"]), n["id"]


ASTRAL = "\U0001d54f\U0001f600"  # outside the BMP: one code point, two UTF-16 units each


def test_positions_count_code_points_not_utf16_units(browser) -> None:
    html = (f'<!DOCTYPE html><html><head><title>t</title></head><body><article><p>{ASTRAL} before '
            '<mark data-ann="n">the quote</mark> after</p></article></body></html>')
    text, ranges = article_ranges(html, {"n"}, EVERYTHING) or ("", {})
    assert ranges == {"n": (10, 19)} and text[10:19] == "the quote"
    page = browser.new_page()
    page.set_content(html)
    assert page.evaluate("Array.from(document.querySelector('article').textContent).slice(10, 19).join('')") \
        == "the quote"
    assert page.evaluate("document.querySelector('article').textContent.slice(10, 19)") != "the quote"
    page.close()


TRICKY = [
    "<p>x</p><article>a <b>b</b>&amp;c&lt;&eacute;&#x1F600;<!-- no -->d</article>e",
    "<article>a<article>b</article>c</article>d",
    "<article><script>var a = '</p>';</script><style>p>q{}</style>e</article>",
    "<article><pre>\nx\n</pre><PRE>y</PRE><textarea>\n&lt;t</textarea><pre><code>z</code></pre></article>",
    "<article>a\r\nb\rc <span title='a>b'>t</span></article>",
    "<article>a &amp b &notit; &copy c</article>",
]


@pytest.mark.parametrize("html", TRICKY)
def test_the_tokeniser_reads_pages_as_chromium_does(browser, tmp_path: Path, html: str) -> None:
    page = browser.new_page()
    source = tmp_path / "page.html"
    source.write_bytes(("<!DOCTYPE html><html><head><title>t</title></head><body>" + html + "</body></html>")
                       .encode("utf-8"))
    page.goto(source.as_uri())
    expected = page.evaluate("document.querySelector('article').textContent")
    page.close()
    found = article_ranges(source.read_bytes().decode("utf-8"), set(), EVERYTHING)
    assert found is not None and found[0] == expected
