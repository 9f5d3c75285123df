"""The multilingual fixture (tests/sites/multilingual) is what its README says: a French, a Chinese and a Uyghur
article, each with a correction, a context note and a source note whose quote crosses emphasis, every quote found
(the build has no warning: conftest.multilingual_site), each citing its record; and its pages say so (lang, dir)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

ARTICLES = {"fr-pont": ("fr", "ltr"), "zh-qiao": ("zh", "ltr"), "ug-kowruk": ("ug", "rtl")}


@pytest.mark.parametrize("slug", sorted(ARTICLES))
def test_each_article_has_the_three_kinds_of_note_and_a_quote_across_emphasis(multilingual_site: Path,
                                                                              slug: str) -> None:
    page = lxml.html.parse(str(multilingual_site / "articles" / slug / "index.html")).getroot()
    lang, direction = ARTICLES[slug]
    body = page.find_class("article-body")[0]
    assert (body.get("lang"), body.get("dir")) == (lang, direction)
    assert page.find(".//article").get("dir") == (direction if direction == "rtl" else None)  # the page's columns
    types = {li.get("class").split()[-1] for li in page.find_class("note")}
    assert types == {"note-correction", "note-context", "note-source"}
    assert body.xpath(".//em/mark[contains(concat(' ', @data-ann, ' '), ' priority ')]"), "the quote crosses emphasis"
    assert body.xpath(".//mark[contains(concat(' ', @data-ann, ' '), ' priority ')][not(ancestor::em)]")
    assert page.xpath("//li[@id='priority']//cite[@class='record']"), "the source note cites its record"
