"""Archived copies of records (issue 16): archive_url read and compared (apparatus.archives; the check's messages
are in tests/bad/record-archive-url), and record links as Robust Links with an "archived copy" link a reader sees
without JavaScript."""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest
from conftest import REPO, run

from apparatus import archives
from apparatus.annotations import load_registry

WAYBACK = "https://web.archive.org/web/20260101093000/https://example.org/hrc46"


@pytest.mark.parametrize(("a", "b"), [
    ("https://example.org/x", "http://example.org/x"),  # the scheme
    ("https://WWW.Example.ORG/x", "https://example.org/x"),  # the host's case and a leading www.
    ("https://example.org:443/x", "https://example.org/x"),  # a default port
    ("http://example.org:80", "https://example.org/"),  # an empty path
    ("https://example.org/a%2fb?q=%c3%a9", "https://example.org/a%2Fb?q=%C3%A9"),  # the case of escapes
    ("https://example.org/x#part", "https://example.org/x"),  # a fragment
])
def test_same_address(a: str, b: str) -> None:
    assert archives.same_address(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("https://example.org/X", "https://example.org/x"),  # the path's case
    ("https://example.org/x/", "https://example.org/x"),  # a final slash
    ("https://example.org/x?a=1&b=2", "https://example.org/x?b=2&a=1"),  # the query's order
    ("https://example.org:8443/x", "https://example.org/x"),  # another port
    ("https://sub.example.org/x", "https://example.org/x"),  # another host
])
def test_different_address(a: str, b: str) -> None:
    assert not archives.same_address(a, b)


def test_parse() -> None:
    assert archives.parse(WAYBACK) == archives.Copy("Web Archive", "https://example.org/hrc46", "2026-01-01",
                                                    "20260101093000")
    assert archives.parse("https://perma.cc/ABCD-12EF") == archives.Copy("perma.cc")
    assert archives.parse("https://web.archive.org/web/20211332000000/https://example.org/").captured == ""
    for other in ("https://web.archive.org/web/2026/https://example.org/", "http://web.archive.org/web/"
                  "20260101093000/https://example.org/", "https://web.archive.org/web/20260101093000id_/"
                  "https://example.org/", "https://archive.ph/abcde", "https://perma.cc/abcd-12ef"):
        assert archives.parse(other) is None, other


def test_version_date() -> None:
    assert archives.version_date(WAYBACK, "2026-11-22") == "2026-01-01"  # the capture's day
    assert archives.version_date("https://perma.cc/ABCD-12EF", "2026-11-22") == "2026-11-22"  # the day it was seen
    assert archives.version_date("", "") == ""


def test_the_real_registry_passes_the_archive_checks() -> None:
    """Every archive_url of the collection's registry is a capture of the record's own url. (There is none yet:
    an address is added only when a stored copy proves the capture exists; see docs/open-data.md.)"""
    registry, diags = load_registry(REPO, "annotations/_records.yaml")
    assert diags == []
    for r in registry.values():
        if r.archive_url:
            copy = archives.parse(r.archive_url)
            assert copy is not None and archives.same_address(copy.original, r.url), r.id


def links(page: Path) -> list[dict[str, str]]:
    doc = html5lib.parse(page.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)
    return [{**a.attrib, "text": "".join(a.itertext())} for a in doc.iter("a")]


@pytest.fixture
def archived(tiny: Path) -> Path:
    """The tiny site with an archived copy of its first record, built."""
    registry = tiny / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "    accessed: 2026-11-22\n", f"    accessed: 2026-11-22\n    archive_url: {WAYBACK}\n"), encoding="utf-8")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    return tiny / "_site"


ROBUST = {"data-originalurl": "https://example.org/hrc46", "data-versionurl": WAYBACK, "data-versiondate": "2026-01-01"}


@pytest.mark.parametrize("page", ["articles/alpha/index.html", "records/index.html", "records/hrc46-speech/index.html"])
def test_record_links_are_robust_links(archived: Path, page: str) -> None:
    """Wherever the record is linked, its link and its archived copy's carry data-originalurl, data-versionurl and
    data-versiondate; the copy is a plain link (no script needed)."""
    found = links(archived / page)
    to_record = [a for a in found if a.get("href") == "https://example.org/hrc46"]
    to_copy = [a for a in found if a.get("href") == WAYBACK]
    assert to_record and len(to_copy) == len(to_record)
    for a in to_record + to_copy:
        assert {k: a.get(k) for k in ROBUST} == ROBUST, a
    if page != "records/hrc46-speech/index.html":
        assert {a["text"] for a in to_copy} == {"archived copy"}


def test_a_record_without_a_copy_names_its_address_and_day(collection_site: Path) -> None:
    """Every link to a real record's url is a Robust Link: its address and the day it was seen (accessed:), and
    the copy when there is one."""
    registry, _ = load_registry(REPO, "annotations/_records.yaml")
    by_url = {r.url: r for r in registry.values() if r.url}
    pages = [collection_site / "records" / "index.html", *(collection_site / "articles").glob("*/index.html")]
    seen = set()
    for page in pages:
        for a in links(page):
            r = by_url.get(a.get("href", ""))
            if r is None:
                continue
            seen.add(r.id)
            assert a.get("data-originalurl") == r.url
            assert a.get("data-versiondate") == r.version_date == (r.accessed or r.version_date)
            assert a.get("data-versionurl") == (r.archive_url or None)
    assert seen == {r.id for r in by_url.values()}


@pytest.mark.browser
def test_archived_copy_shows_without_javascript(browser, archived: Path) -> None:  # type: ignore[no-untyped-def]
    from browser import serve

    server, base = serve(archived)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        for url in ("articles/alpha/", "records/", "records/hrc46-speech/"):
            page.goto(base + url)
            copies = page.query_selector_all(f'a[href="{WAYBACK}"]')
            assert copies and all(c.is_visible() for c in copies), url
    finally:
        context.close()
        server.shutdown()
        server.server_close()
