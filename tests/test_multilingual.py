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


RECORDS = {"fr-deliberation-2024-17": ("fr", "ltr", ["en"]), "zh-resolution-2024-17": ("zh", "ltr", ["en", "fr"]),
           "ug-qarar-2024-17": ("ug", "rtl", ["en", "zh"])}


@pytest.mark.parametrize("rid", sorted(RECORDS))
def test_each_record_is_in_its_language_and_offers_its_versions(multilingual_site: Path, rid: str) -> None:
    page = lxml.html.parse(str(multilingual_site / "records" / rid / "index.html")).getroot()
    lang, direction, versions = RECORDS[rid]
    h1 = page.find(".//main//h1")
    assert (h1.get("lang"), h1.get("dir")) == (lang, direction)
    links = page.xpath("//ul[@class='versions']//a")
    assert [a.get("hreflang") for a in links] == versions
    assert all(a.get("href").startswith(("https://example.org/", "https://example.net/")) for a in links)


@pytest.mark.parametrize(("slug", "note"), [("fr-pont", "cost"), ("zh-qiao", "priority")])
def test_a_note_cites_a_records_english_version(multilingual_site: Path, slug: str, note: str) -> None:
    page = lxml.html.parse(str(multilingual_site / "articles" / slug / "index.html")).getroot()
    [link] = page.xpath(f"//li[@id='{note}']//ul[@class='records']//a[@hreflang]")
    assert link.get("hreflang") == "en" and "/records/en/" in link.get("href")
    assert link.text_content() == "Read the record in English"
    record = page.xpath(f"//li[@id='{note}']//cite[@class='record']/a")[0]
    assert record.get("lang") == slug[:2] and record.get("dir") == "ltr"


@pytest.mark.parametrize(("slug", "lang", "direction", "name"), [("zh-qiao", "zh", "ltr", "王力明"),
                                                                   ("ug-kowruk", "ug", "rtl", "ئەخمەت تۇردى")])
def test_names_quoted_in_english_notes_are_marked(multilingual_site: Path, slug: str, lang: str, direction: str,
                                                  name: str) -> None:
    page = lxml.html.parse(str(multilingual_site / "articles" / slug / "index.html")).getroot()
    [span] = page.xpath("//li[@id='mayor-name']//div[@class='note-text']//span[@lang]")
    assert (span.get("lang"), span.get("dir"), span.text) == (lang, direction, name)
