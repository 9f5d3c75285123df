"""ClaimReview JSON-LD on article pages (issue 16): read back from the built HTML with extruct, as a fact-check
aggregator reads it, and no note, quote or title able to close its <script> element (pages parsed with html5lib,
the WHATWG parsing algorithm a browser follows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import extruct
import html5lib
import pytest
from conftest import COLLECTION_URL, REPO, run

from apparatus.annotations import Annotation, load_annotations, load_registry
from apparatus.articles import load_article
from apparatus.claimreview import claim_reviews, script_json
from apparatus.config import Config
from apparatus.history import note_history

REAL = sorted(p.stem for p in (REPO / "content").glob("*.md"))
LABELS = {"inaccurate": "Inaccurate", "false": "False", "misleading": "Misleading", "misattributed": "Misattributed"}


def json_ld(page: Path, url: str) -> list[dict[str, Any]]:
    return extruct.extract(page.read_text(encoding="utf-8"), base_url=url, syntaxes=["json-ld"])["json-ld"]


def test_both_articles_have_a_claimreview_per_correction(collection_site: Path) -> None:
    """Every property Google documents for ClaimReview, Rating and Claim, for every correction of both real
    articles: the values the YAML and the front matter hold."""
    registry, _ = load_registry(REPO, "annotations/_records.yaml")
    dates = note_history(REPO).notes  # the site is built with this repository's history (conftest)
    assert len(REAL) == 2
    for slug in REAL:
        page_url = f"{COLLECTION_URL}articles/{slug}/"
        items = json_ld(collection_site / "articles" / slug / "index.html", page_url)
        af, diags = load_annotations(REPO, f"annotations/{slug}.yaml", frozenset(registry))
        article, _ = load_article(REPO, f"content/{slug}.md")
        assert af is not None and article is not None and not diags
        corrections = [a for a in af.annotations if a.type == "correction"]
        assert corrections, slug
        reviews = [x for x in items if x.get("@type") == "ClaimReview"]
        assert sorted(r["url"] for r in reviews) == sorted(f"{page_url}#{a.id}" for a in corrections)
        by_url = {r["url"]: r for r in reviews}
        for a in corrections:
            r = by_url[f"{page_url}#{a.id}"]
            assert r["@context"] == "https://schema.org"
            assert r["claimReviewed"] == a.quote  # required
            assert r["reviewRating"] == {"@type": "Rating", "alternateName": LABELS[a.verdict or "inaccurate"]}
            assert r["author"] == {"@type": "Organization", "name": "Xinjiang in translation: an annotated reading",
                                   "url": COLLECTION_URL}  # recommended: site.yaml's title, as no publisher: is set
            assert r["datePublished"] == dates[slug, a.id].added  # recommended: the day the note was added
            claim = r["itemReviewed"]  # recommended, with its own recommended properties
            assert claim["@type"] == "Claim"
            assert claim["author"] == {"@type": "Organization", "name": article.outlet}
            assert claim["datePublished"] == article.published
            assert not article.url  # neither original's address is known: the claim appears on the reprint
            assert claim["appearance"] == {"@type": "CreativeWork", "url": page_url, "headline": article.title}
            assert claim["firstAppearance"] == {
                "@type": "CreativeWork", "headline": article.title, "datePublished": article.published,
                "author": {"@type": "Organization", "name": article.outlet}}
            assert "url" not in claim["firstAppearance"]  # never an address for an original whose address is unknown


def test_verdict_publisher_and_original_address(tiny: Path) -> None:
    """verdict: gives the Rating's alternateName; site.yaml's publisher: is the author; an article's url: is the
    claim's appearance and first appearance."""
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text(encoding="utf-8").replace(
        "    correction: on 24 February 2021\n", "    correction: on 24 February 2021\n    verdict: false\n"),
        encoding="utf-8")
    with (tiny / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("publisher: Tiny Fact Checks\n")
    assert run(tiny, "build").code == 0
    page = "https://example.org/tiny/articles/alpha/"
    reviews = {r["url"]: r for r in json_ld(tiny / "_site" / "articles" / "alpha" / "index.html", page)}
    assert sorted(reviews) == [f"{page}#date", f"{page}#name"]
    assert reviews[f"{page}#date"]["reviewRating"]["alternateName"] == "False"
    assert reviews[f"{page}#name"]["reviewRating"]["alternateName"] == "Inaccurate"
    assert reviews[f"{page}#name"]["author"] == {"@type": "Organization", "name": "Tiny Fact Checks",
                                                  "url": "https://example.org/tiny/"}
    claim = reviews[f"{page}#name"]["itemReviewed"]
    assert claim["appearance"]["url"] == claim["firstAppearance"]["url"] == "https://example.org/alpha"
    assert claim["datePublished"] == "2021-02"


def test_no_claimreview_without_base_url(tiny: Path) -> None:
    site_yaml = tiny / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("base_url: https://example.org/tiny\n", ""),
                         encoding="utf-8")
    assert run(tiny, "build").code == 0
    assert "application/ld+json" not in (tiny / "_site" / "articles" / "alpha" / "index.html").read_text("utf-8")


def _config(**kw: Any) -> Config:
    return Config(Path("."), "T", "en", base_url="https://example.org/", **kw)


def test_date_published_is_the_notes_added_date() -> None:
    """datePublished comes from Annotation.added (git history or the YAML's added:) and is left out when unknown."""
    article, _ = load_article(REPO, f"content/{REAL[0]}.md")
    assert article is not None
    notes = [Annotation("a", "correction", "q", "n", correction="c", added="2026-11-22", revised="2026-11-23"),
             Annotation("b", "correction", "q", "n", correction="c"),
             Annotation("c", "context", "q", "n", added="2026-11-22")]
    reviews = claim_reviews(_config(), article, "articles/x/", notes)
    assert [r["url"] for r in reviews] == ["https://example.org/articles/x/#a", "https://example.org/articles/x/#b"]
    assert reviews[0]["datePublished"] == "2026-11-22"
    assert "datePublished" not in reviews[1]


def test_script_json_escapes_what_could_end_the_element() -> None:
    text = script_json({"q": "</script><!-- & <SCRIPT>"})
    assert text == '{"q":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u003cSCRIPT\\u003e"}'
    assert json.loads(text) == {"q": "</script><!-- & <SCRIPT>"}


HOSTILE = "</script><script>alert(1)</script>"
LOADER = "form.site-search"  # the inline script base.html has on every page (it loads search.js on focus)


def scripts(page: Path) -> list[Any]:
    doc = html5lib.parse(page.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)
    return list(doc.iter("script"))


def test_script_end_tags_in_notes_leave_no_live_script(tiny: Path) -> None:
    """A quote, a correction, a note (in a code span: valid Markdown), the title and the outlet each hold
    </script>: the site builds, and every page has exactly the scripts it should, as a browser parses it."""
    article = tiny / "content" / "alpha.md"
    text = article.read_text(encoding="utf-8")
    text = text.replace('title: "Alpha: a test article"', f'title: "Alpha {HOSTILE}"')
    text = text.replace("outlet: Test Outlet", f'outlet: "Outlet {HOSTILE}"')
    article.write_text(text + f"\nThe form held `{HOSTILE}` as typed.\n", encoding="utf-8")
    with (tiny / "annotations" / "alpha.yaml").open("a", encoding="utf-8") as f:
        f.write(f"  - id: hostile\n    type: correction\n    quote: '{HOSTILE}'\n    correction: '{HOSTILE} <b>'\n"
                f"    note: 'Typed as `{HOSTILE}` and `<!--`.'\n")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    pages = sorted((tiny / "_site").rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        found = scripts(page)
        inline = [s for s in found if not s.get("src") and s.get("type") != "application/ld+json"]
        assert len(inline) == 1 and LOADER in (inline[0].text or ""), page  # base.html's own, and no other
        sources = [s.get("src").rsplit("/", 2)[-2:] for s in found if s.get("src")]
        assert all(src in (["static", "notes.js"], ["static", "search.js"]) for src in sources), (page, sources)
        data = [s for s in found if s.get("type") == "application/ld+json"]
        assert len(found) == 1 + len(sources) + len(data) and len(data) <= 1, page
    [data] = [s for s in scripts(tiny / "_site" / "articles" / "alpha" / "index.html")
              if s.get("type") == "application/ld+json"]
    reviews = {r["url"].rsplit("#", 1)[1]: r for r in json.loads(data.text)}  # the whole JSON, read back intact
    assert reviews["hostile"]["claimReviewed"] == HOSTILE
    assert reviews["hostile"]["itemReviewed"]["author"]["name"] == f"Outlet {HOSTILE}"
    assert reviews["hostile"]["itemReviewed"]["appearance"]["headline"] == f"Alpha {HOSTILE}"


@pytest.mark.parametrize("slug", REAL)
def test_real_pages_have_one_json_ld_script(collection_site: Path, slug: str) -> None:
    found = scripts(collection_site / "articles" / slug / "index.html")
    assert [s.get("type") for s in found if s.get("type")] == ["application/ld+json"]
