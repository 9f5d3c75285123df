"""Languages in a built site: records' versions and notes citing one, the languages of record and link titles,
language spans in notes; lang and dir where a reader (and a screen reader) needs them; vnu-valid pages."""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest
from conftest import run
from test_html_valid import vnu_errors

NS = "{http://www.w3.org/1999/xhtml}"

RECORDS = """records:
  - id: hrc46-speech
    title: Statement at the 46th session
    issuer: UN Human Rights Council
    kind: un
    date: 2021-02-24
    symbol: A/HRC/46/2
    url: https://example.org/hrc46
    accessed: 2026-11-22
    versions:
      fr: https://example.org/hrc46/fr
      zh: https://example.org/hrc46/zh
      ar: https://example.org/hrc46/ar
  - id: ca-vote
    title: Déclaration du ministre
    language: fr
    issuer: House of Commons of Canada
    kind: parliament
    date: 2021-02-22
    note: No online copy was located.
"""


@pytest.fixture
def site(tiny: Path) -> Path:
    (tiny / "annotations" / "_records.yaml").write_text(RECORDS, encoding="utf-8")
    notes = tiny / "annotations" / "alpha.yaml"
    text = notes.read_text(encoding="utf-8")
    text = text.replace("    note: The minister is **Jean-Yves** Le Drian.\n    records: [hrc46-speech]\n",
                        "    note: The minister is **Jean-Yves** Le Drian, [« le ministre »]{lang=fr}, "
                        "[ئۇيغۇرچە]{lang=ug}.\n    records: [{id: hrc46-speech, language: fr}, ca-vote]\n", 1)
    text = text.replace('title: "Press release", publisher: Example}',
                        'title: "فرنسا تدعو الصين", publisher: Example, language: ar}', 1)
    notes.write_text(text, encoding="utf-8")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    return tiny / "_site"


def page(path: Path):  # noqa: ANN201 - an ElementTree element
    return html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=True)


def test_a_record_page_offers_each_version(site: Path) -> None:
    doc = page(site / "records" / "hrc46-speech" / "index.html")
    links = [(a.get("href"), a.get("hreflang"), a.find(f"{NS}span").get("lang"), a.find(f"{NS}span").get("dir"),
              a.find(f"{NS}span").text) for a in doc.iter(f"{NS}a") if a.get("hreflang")]
    assert links == [("https://example.org/hrc46/ar", "ar", "ar", "rtl", "العربية"),
                     ("https://example.org/hrc46/fr", "fr", "fr", "ltr", "Français"),
                     ("https://example.org/hrc46/zh", "zh", "zh", "ltr", "中文")]


def test_a_note_citing_a_version_links_to_it(site: Path) -> None:
    doc = page(site / "articles" / "alpha" / "index.html")
    note = next(li for li in doc.iter(f"{NS}li") if li.get("id") == "name")
    versions = [a for a in note.iter(f"{NS}a") if a.get("hreflang")]
    assert [(a.get("href"), a.get("hreflang"), "".join(a.itertext())) for a in versions] == [
        ("https://example.org/hrc46/fr", "fr", "Read the record in Français")]
    spans = [(s.get("lang"), s.get("dir"), s.text) for s in note.iter(f"{NS}span") if s.get("lang")]
    assert ("fr", "ltr", "« le ministre »") in spans and ("ug", "rtl", "ئۇيغۇرچە") in spans
    cited = [(a.get("lang"), a.get("dir"), a.text) for a in note.iter(f"{NS}a") if a.get("lang")]
    assert ("fr", "ltr", "Déclaration du ministre") in cited  # the record's title (its link), in its language
    other = next(li for li in doc.iter(f"{NS}li") if li.get("id") == "quotes")
    titles = [(a.get("lang"), a.get("dir"), a.text) for a in other.iter(f"{NS}a") if a.get("lang")]
    assert ("ar", "rtl", "فرنسا تدعو الصين") in titles


def test_the_pages_are_valid_html(site: Path) -> None:
    assert vnu_errors([site / "articles" / "alpha" / "index.html", site / "records" / "hrc46-speech" / "index.html",
                       site / "records" / "ca-vote" / "index.html", site / "records" / "index.html"]) == []
