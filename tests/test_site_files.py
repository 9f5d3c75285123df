"""What a published site has beside its pages: base_url, canonical links and share cards, sitemap.xml
(valid per the sitemaps.org schema), robots.txt, 404.html, a favicon, links to the repository; and the
article page's headline first, quotes without doubled marks."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest
from conftest import COLLECTION_REPO, COLLECTION_URL, TESTS, run
from lxml import etree

from apparatus.config import load_config

SITEMAP_XSD = TESTS / "vendor" / "sitemap.xsd"
NO_BASE_URL = ("no base_url: the pages have no canonical link, og:url or ClaimReview, and sitemap.xml, the feeds "
               "(feed.xml, feed.json) and the W3C Web Annotation files are not written")


class Head(html.parser.HTMLParser):
    """The <head>'s meta and link elements of a page: (attribute, key) → content or href."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[tuple[str, str], str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            key = ("property", a["property"]) if "property" in a else ("name", a["name"])
            self.found[key] = a.get("content", "")
        elif tag == "link" and "rel" in a:
            self.found[("rel", a["rel"])] = a.get("href", "")


def head(page: Path) -> dict[tuple[str, str], str]:
    parser = Head()
    parser.feed(page.read_text(encoding="utf-8").split("</head>")[0])
    return parser.found


def url_of(site: Path, page: Path) -> str:
    rel = page.relative_to(site).as_posix()
    return rel[:-len("index.html")] if rel.endswith("index.html") else rel


# --- site.yaml ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "kept"), [("https://example.org", "https://example.org/"),
                                             ("https://user.github.io/repo", "https://user.github.io/repo/"),
                                             ("https://user.github.io/repo/", "https://user.github.io/repo/")])
def test_base_url_may_have_a_path_prefix_and_always_ends_with_a_slash(tmp_path: Path, given: str, kept: str) -> None:
    (tmp_path / "site.yaml").write_text(f"title: T\nlanguage: en\nbase_url: {given}\n")
    config, diags = load_config(tmp_path)
    assert diags == [] and config is not None and config.base_url == kept


@pytest.mark.parametrize(("value", "message"), [
    ("example.org", "'base_url' must be an http(s) link; 'example.org' is not a full address"),
    ("ftp://example.org/", "'base_url' must be an http(s) link; 'ftp://example.org/' uses 'ftp:'"),
    ("https://example.org/?x=1", "base_url 'https://example.org/?x=1' has a query or a fragment"),
    ("https://example.org/#top", "base_url 'https://example.org/#top' has a query or a fragment")])
def test_base_url_must_be_a_plain_web_address(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "site.yaml").write_text(f"title: T\nlanguage: en\nbase_url: '{value}'\n")
    config, diags = load_config(tmp_path)
    assert config is None
    [d] = diags
    assert (d.path, d.line, d.col, d.message) == ("site.yaml", 3, 11, message)


def test_repo_url_gives_edit_links(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("title: T\nlanguage: en\nrepo_url: https://github.com/u/r/\n")
    config, _ = load_config(tmp_path)
    assert config is not None
    assert config.edit_url("annotations/a.yaml") == "https://github.com/u/r/edit/main/annotations/a.yaml"
    (tmp_path / "site.yaml").write_text("title: T\nlanguage: en\nrepo_url: https://gitlab.com/u/r\n"
                                        "edit_uri: -/edit/trunk\n")
    config, _ = load_config(tmp_path)
    assert config is not None
    assert config.edit_url("site.yaml") == "https://gitlab.com/u/r/-/edit/trunk/site.yaml"


# --- without base_url -------------------------------------------------------------------------------------------

@pytest.fixture
def no_base_url(tiny: Path) -> Path:
    site_yaml = tiny / "site.yaml"
    site_yaml.write_text("".join(line for line in site_yaml.read_text().splitlines(keepends=True)
                                 if not line.startswith("base_url:")))
    return tiny


def test_without_base_url_build_warns_once_and_leaves_out_absolute_addresses(no_base_url: Path) -> None:
    result = run(no_base_url, "build")
    assert result.code == 0
    assert result.err == (f"site.yaml:1:1: warning: {NO_BASE_URL}\n"
                          "  hint: add base_url: with the address the site is published at, "
                          "e.g. https://user.github.io/repo/\n")
    out = no_base_url / "_site"
    assert not (out / "sitemap.xml").exists()
    assert not (out / "feed.xml").exists() and not (out / "feed.json").exists()
    assert (out / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    for page in out.rglob("*.html"):
        found = head(page)
        assert ("rel", "canonical") not in found and ("property", "og:url") not in found, page
        assert ("rel", "alternate") not in found, page  # no link to a feed that is not there
        assert found[("property", "og:title")], page
    # 404.html, served at any depth, then links from the domain's root
    assert 'href="/static/style.css"' in (out / "404.html").read_text()
    assert run(no_base_url, "check").err == "", "check writes no page: it does not warn"


def test_without_base_url_a_strict_build_fails(no_base_url: Path) -> None:
    result = run(no_base_url, "build", "--strict")
    assert result.code == 1
    assert f"site.yaml:1:1: error: {NO_BASE_URL}" in result.err


# --- with base_url (the collection, as the deploy workflow builds it) -------------------------------------------

def test_every_page_has_a_canonical_link_and_share_cards(collection_site: Path) -> None:
    pages = sorted(collection_site.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        found = head(page)
        title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]
        assert found[("property", "og:title")] == found[("name", "twitter:title")] == html.unescape(title), page
        description = found[("name", "description")]
        assert description and found[("property", "og:description")] == description, page
        assert found[("name", "twitter:description")] == description, page
        assert found[("name", "twitter:card")] == "summary"
        assert found[("rel", "icon")].endswith("static/favicon.svg")
        if page.name == "404.html":
            assert ("rel", "canonical") not in found and found[("name", "robots")] == "noindex"
            continue
        url = COLLECTION_URL + url_of(collection_site, page)
        assert found[("rel", "canonical")] == found[("property", "og:url")] == url, page
        kind = "article" if "/articles/" in url else "website"
        assert found[("property", "og:type")] == kind, page


def test_sitemap_lists_every_page_and_is_valid(collection_site: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(SITEMAP_XSD)))
    doc = etree.parse(str(collection_site / "sitemap.xml"))
    schema.assertValid(doc)
    locs = [e.text for e in doc.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    pages = {COLLECTION_URL + url_of(collection_site, p) for p in collection_site.rglob("index.html")}
    assert sorted(locs) == locs and set(locs) == pages - {COLLECTION_URL + "search/"}
    assert (collection_site / "robots.txt").read_text() == \
        f"User-agent: *\nAllow: /\n\nSitemap: {COLLECTION_URL}sitemap.xml\n"


def test_the_schema_catches_a_broken_sitemap(collection_site: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(SITEMAP_XSD)))
    bad = (collection_site / "sitemap.xml").read_text().replace("<loc>", "<location>").replace("</loc>", "</location>")
    assert not schema.validate(etree.fromstring(bad.encode()))


def test_404_links_and_loads_by_absolute_addresses(collection_site: Path) -> None:
    page = (collection_site / "404.html").read_text(encoding="utf-8")
    assert f'<link rel="stylesheet" href="{COLLECTION_URL}static/style.css">' in page
    assert f'action="{COLLECTION_URL}search/"' in page and f'data-script="{COLLECTION_URL}static/search.js"' in page
    hrefs = re.findall(r'<a [^>]*href="([^"]*)"', page)
    assert hrefs and all(h.startswith((COLLECTION_URL, "#")) for h in hrefs), hrefs


def test_pages_link_to_the_repository(collection_site: Path) -> None:
    article = (collection_site / "articles" / "le-drian-hrc46-xinjiang-2021" / "index.html").read_text()
    assert (f'<a href="{COLLECTION_REPO}/edit/main/annotations/le-drian-hrc46-xinjiang-2021.yaml">Edit this page</a>'
            in article)
    assert f'<a href="{COLLECTION_REPO}/issues/new?title=Correction%3A%20A%20big%20foreign' in article
    assert "Suggest a correction to note 11" in article
    record = (collection_site / "records" / "hrc46-le-drian-2021-02-24" / "index.html").read_text()
    assert f'<a href="{COLLECTION_REPO}/edit/main/annotations/_records.yaml">Edit this page</a>' in record


def test_an_article_page_shows_its_headline_before_outlet_and_date(collection_site: Path) -> None:
    page = (collection_site / "articles" / "le-drian-hrc46-xinjiang-2021" / "index.html").read_text()
    header = page.split('<header class="article-header">')[1]
    assert header.index("<h1>") < header.index('<p class="meta">')
    assert page.count("<h1") == 1


def test_a_quote_with_its_own_quotation_marks_is_not_quoted_twice(collection_site: Path) -> None:
    """<q> adds quotation marks: a quote that opens with its own (“…” as printed) is not put in one."""
    shown = 0
    for page in collection_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<q\b[^>]*>[“”\"«»„‘’']", text), page
        shown += len(re.findall(r'<span class="quote"[^>]*>“', text))
    assert shown >= 3


def test_apparatus_base_url_replaces_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy workflow passes the Pages address in APPARATUS_BASE_URL (it appended a line to site.yaml with
    printf, which broke a file without a final line break); it is checked like base_url."""
    (tmp_path / "site.yaml").write_text("title: T\nlanguage: en\nbase_url: https://example.org/old/")  # no final \n
    monkeypatch.setenv("APPARATUS_BASE_URL", "https://user.github.io/repo")
    config, diags = load_config(tmp_path)
    assert diags == [] and config is not None and config.base_url == "https://user.github.io/repo/"
    monkeypatch.setenv("APPARATUS_BASE_URL", "https://user.github.io/repo/?x=1")
    config, diags = load_config(tmp_path)
    assert config is None and [d.message for d in diags] == [
        "base_url 'https://user.github.io/repo/?x=1' has a query or a fragment"]
    monkeypatch.setenv("APPARATUS_BASE_URL", "user.github.io")
    config, diags = load_config(tmp_path)
    assert config is None and [(d.path, d.message) for d in diags] == [
        ("site.yaml", "APPARATUS_BASE_URL 'user.github.io' is not an http(s) address")]
    monkeypatch.delenv("APPARATUS_BASE_URL")
    config, diags = load_config(tmp_path)
    assert config is not None and config.base_url == "https://example.org/old/"


def test_templates_without_404_build_without_the_page_and_warn(tiny: Path) -> None:
    """A collection's own templates folder made before 404.html existed still builds: no 404 page, one warning."""
    (tiny / "templates" / "404.html").unlink()
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert result.err == ("templates/404.html:1:1: warning: template '404.html' is missing: the site has no 404 "
                          "page\n  hint: add templates/404.html (start from the one in Apparatus's repository) for "
                          "the page shown at an unknown address\n")
    assert not (tiny / "_site" / "404.html").exists() and (tiny / "_site" / "index.html").is_file()
