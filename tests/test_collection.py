"""The first collection: builds cleanly, its articles are verbatim, every claim is tied to its records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import COLLECTION_URL, REPO, run

from apparatus import markdown
from apparatus.anchoring import plain_blocks
from apparatus.articles import load_article

SHARED = REPO.parent / "shared" / "articles"
PAIRS = {
    "le-drian-hrc46-xinjiang-2021": "000_66d39bb3fb566984.txt",
    "france-china-mass-detentions-2019": "003_24acb7fafdfc3517.txt",
}


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def built(collection_site: Path) -> Path:
    return collection_site


@pytest.mark.parametrize("slug", PAIRS)
def test_article_text_is_verbatim(slug: str) -> None:
    """What a reader sees, paragraph by paragraph, is the received text, character for character."""
    received = (SHARED / PAIRS[slug]).read_text(encoding="utf-8")
    article, diags = load_article(REPO, f"content/{slug}.md")
    assert article is not None, diags
    seen = [b.text for b in plain_blocks(markdown.ARTICLE_MD.parse(article.body.text))]
    paragraphs = [p for p in re.split(r"\n\s*\n", received) if p.strip()]
    assert [squash(p) for p in seen] == [squash(p) for p in paragraphs]


def test_every_annotation_file_has_records_and_types() -> None:
    registry = yaml.safe_load((REPO / "annotations" / "_records.yaml").read_text(encoding="utf-8"))["records"]
    ids = {r["id"] for r in registry}
    cited: set[str] = set()
    for slug in PAIRS:
        anns = yaml.safe_load((REPO / "annotations" / f"{slug}.yaml").read_text(encoding="utf-8"))["annotations"]
        types = {a["type"] for a in anns}
        assert types == {"correction", "context", "source"}, slug
        for a in anns:
            cited.update(a.get("records", []))
    assert cited == ids, "every record in the registry is cited, and only those"


def test_known_corrections_are_published(built: Path) -> None:
    page = (built / "articles" / "le-drian-hrc46-xinjiang-2021" / "index.html").read_text(encoding="utf-8")
    assert "<del" in page and "Jean-Claude Le Drian</del>" in page
    assert "<ins lang=\"en\" dir=\"ltr\">Jean-Yves Le Drian</ins>" in page  # the correction, in the article's language
    other = (built / "articles" / "france-china-mass-detentions-2019" / "index.html").read_text(encoding="utf-8")
    assert "International Consortium of Investigative Journalists" in other


def test_no_request_to_another_host(built: Path) -> None:
    """Nothing a page loads (styles, scripts, images, frames, fonts) comes from another host."""
    loads = re.compile(r'(<(?:link|script|img|iframe|source|video|audio|embed|object)\b[^>]*?'
                       r'\b(?:src|href|data)="([^"]*)")', re.I)
    for page in built.rglob("*.html"):
        for tag, url in loads.findall(page.read_text(encoding="utf-8")):
            if url.startswith(COLLECTION_URL):  # the site itself, at its published address: a canonical link
                assert 'rel="canonical"' in tag or page.name == "404.html", (page, tag)  # (404.html: at any depth)
                continue
            assert "//" not in url and not url.startswith(("http:", "https:", "data:")), (page, url)
    for css in built.rglob("*.css"):
        assert "url(" not in css.read_text(encoding="utf-8") or "//" not in css.read_text(encoding="utf-8")


def test_records_without_url_say_so(built: Path) -> None:
    registry = yaml.safe_load((REPO / "annotations" / "_records.yaml").read_text(encoding="utf-8"))["records"]
    for r in registry:
        page = (built / "records" / r["id"] / "index.html").read_text(encoding="utf-8")
        if "url" in r:
            assert f'href="{r["url"]}"'.replace("&", "&amp;") in page
        else:
            assert "No online copy located" in page


def test_home_page_lists_counts(built: Path) -> None:
    home = (built / "index.html").read_text(encoding="utf-8")
    for slug in PAIRS:
        assert f'href="articles/{slug}/"' in home
    assert home.count("records cited") == 2


CLAIM = re.compile(r"\b(?:located|seen|verified)\b", re.IGNORECASE)
NEGATED = re.compile(r"\b(?:not|no|never|nor|without|only)\b[^.;,()]*$", re.IGNORECASE)


def _claims_seen(note: str) -> list[str]:
    """The phrases of a record's note that say a copy was located, seen or verified (not denied)."""
    return [note[max(0, m.start() - 40):m.end()] for m in CLAIM.finditer(note)
            if not NEGATED.search(note[:m.start()])]


def test_claims_unit() -> None:
    assert _claims_seen("Official news release on canada.ca, located during this check") != []
    assert _claims_seen("Official record; also seen at ourcommons.ca") != []
    assert _claims_seen("No online copy was located; the wording is known from the Guardian") == []
    assert _claims_seen("the official text was not located. Seen in reprints only") != []


def test_no_record_claims_a_copy_was_seen_without_the_day_it_was_seen() -> None:
    """The outside audit found urls published as "located during this check" that nobody had seen:
    every url carries its evidence, and a note may say a copy was located, seen or verified only for
    a record whose url was seen on its ``accessed:`` date."""
    records = yaml.safe_load((REPO / "annotations" / "_records.yaml").read_text(encoding="utf-8"))["records"]
    unproven = [(r["id"], claim) for r in records if not r.get("accessed")
                for claim in _claims_seen(r.get("note", ""))]
    assert unproven == []
    no_evidence = [r["id"] for r in records if "url" in r and not (r.get("accessed") or r.get("unverified"))]
    assert no_evidence == []


def test_a_url_shows_its_evidence(tiny: Path) -> None:
    """'seen on <accessed>' beside a url seen, 'address not verified' wherever an unverified one is cited."""
    registry = tiny / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "    note: No online copy was located.\n",
        "    url: https://example.org/journals-63\n    unverified: true\n"
        "    note: Address quoted by a news report; the page itself was not seen.\n"), encoding="utf-8")
    result = run(tiny, "build", "--strict")
    assert result.code == 0, result.err
    site = tiny / "_site"
    seen = (site / "records" / "hrc46-speech" / "index.html").read_text(encoding="utf-8")
    assert '(seen on <time datetime="2026-11-22">22 November 2026</time>)' in seen
    unverified = (site / "records" / "ca-vote" / "index.html").read_text(encoding="utf-8")
    assert "https://example.org/journals-63</a> <span class=\"evidence unverified\">(address not verified)</span>" \
        in unverified
    article = next((site / "articles").glob("*/index.html")).read_text(encoding="utf-8")
    assert article.count("(address not verified)") == article.count('href="https://example.org/journals-63"') > 0
