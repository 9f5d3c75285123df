"""The notes' dates from git, the changes pages and the feeds (issue 16, "History from git").

Each test builds the tiny site in a git repository it makes, with fixed commit dates, and checks the
output with the real validators: lxml's RELAX NG against the grammar of RFC 4287's Appendix B
(converted with rnc2rng; tests/vendor/atom), feedparser (``bozo`` false), and jsonschema against a
JSON Feed 1.1 schema written from the specification's text (tests/vendor/jsonfeed). Both real
articles are built with this repository's own history (conftest.collection_site).
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import feedparser
import jsonschema
import lxml.html
import pytest
import rnc2rng
from conftest import TESTS, repository_git_dir, run, tree_digest
from lxml import etree
from test_history import git

from apparatus import history, site

ATOM = TESTS / "vendor" / "atom"
JSON_FEED_SCHEMA = json.loads((TESTS / "vendor" / "jsonfeed" / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
A = "{http://www.w3.org/2005/Atom}"
BUDGET = 50_000  # bytes, gzipped: a page and its style sheet (tests/test_reading_browser.py's budget)


def commit(repo: Path, date: str, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)


def note(nid: str, quote: str, correction: str = "", text: str = "A note.", added: str = "") -> str:
    kind = "correction" if correction else "context"
    return (f"  - id: {nid}\n    type: {kind}\n    quote: {json.dumps(quote)}\n"
            + (f"    correction: {json.dumps(correction)}\n" if correction else "")
            + f"    note: {json.dumps(text)}\n" + (f"    added: {added}\n" if added else ""))


def add_notes(root: Path, *notes: str) -> None:
    path = root / "annotations" / "alpha.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "".join(notes), encoding="utf-8")


BETA = "---\ntitle: Beta\noutlet: Test Outlet\npublished: 2021-03-01\nlanguage: en\n---\n\nA second article.\n"


@pytest.fixture
def repo(tiny: Path) -> Path:
    """The tiny site in a repository: committed on 20 Nov; note 'date' revised on 22 Nov; a pull request with
    older commit dates (a new correction and a new article, 10 Nov) merged on 25 Nov; then two notes not yet
    committed (one with added:, one without)."""
    (tiny / ".gitignore").write_text("_site/\n", encoding="utf-8")
    git(tiny, "init", "-q", "-b", "main")
    commit(tiny, "2026-11-20", "the collection")
    ann = tiny / "annotations" / "alpha.yaml"
    ann.write_text(ann.read_text(encoding="utf-8").replace("The speech was given", "The speech was indeed given"),
                   encoding="utf-8")
    commit(tiny, "2026-11-22", "revise a note")
    git(tiny, "checkout", "-q", "-b", "pr")
    add_notes(tiny, note("pr-note", "council's", "the Council's", "Capitalised in the record."))
    (tiny / "content" / "beta.md").write_text(BETA, encoding="utf-8")
    commit(tiny, "2026-11-10", "a pull request")
    git(tiny, "checkout", "-q", "main")
    git(tiny, "merge", "-q", "--no-ff", "-m", "merge the pull request", "pr", date="2026-11-25")
    add_notes(tiny, note("draft-dated", "He said", "He wrote", added="2026-11-30"), note("draft", "mattered"))
    return tiny


def build(root: Path, *args: str) -> Path:
    result = run(root, *args, "build")
    assert result.code == 0, result.err
    assert result.err == "", result.err
    return root / "_site"


def note_dates(out: Path) -> dict[str, list[tuple[str, str]]]:
    """Note id → the (datetime, text) of each <time> of its dates line."""
    page = lxml.html.parse(str(out / "articles" / "alpha" / "index.html"))
    return {li.get("id"): [(t.get("datetime"), t.text_content()) for t in li.xpath(".//p[@class='note-dates']/time")]
            for li in page.xpath("//li[contains(@class, 'note ')]")}


def test_each_note_shows_when_it_was_added_and_revised_on_main(repo: Path) -> None:
    out = build(repo)
    dates = note_dates(out)
    assert dates["date"] == [("2026-11-20", "20 Nov 2026"), ("2026-11-22", "22 Nov 2026")]  # revised
    assert dates["name"] == [("2026-11-20", "20 Nov 2026")]  # git's day, not its YAML's added: 2026-11-22
    assert dates["across"] == [("2026-11-20", "20 Nov 2026")]  # no added: in the YAML
    assert dates["pr-note"] == [("2026-11-25", "25 Nov 2026")]  # the merge's day, not the pull request's 10 Nov
    assert dates["draft-dated"] == [("2026-11-30", "30 Nov 2026")]  # not committed yet: its YAML's added:
    assert dates["draft"] == []  # not committed, no added: no date shown
    page = (out / "articles" / "alpha" / "index.html").read_text(encoding="utf-8")
    assert ('<p class="note-dates">added <time datetime="2026-11-20">20 Nov 2026</time> · revised '
            '<time datetime="2026-11-22">22 Nov 2026</time></p>') in page


def test_the_changes_page_lists_additions_and_revisions_newest_first(repo: Path) -> None:
    out = build(repo)
    page = lxml.html.parse(str(out / "changes" / "index.html"))
    rows = [(li.xpath("time/@datetime")[0], " ".join(li.text_content().split()))
            for li in page.xpath("//ol[@class='change-list']/li")]
    assert [d for d, _ in rows] == sorted((d for d, _ in rows), reverse=True)
    assert rows[:5] == [
        ("2026-11-30", "30 Nov 2026: note 5 (correction) added on Alpha: a test article: He said → He wrote"),
        ("2026-11-25", "25 Nov 2026: note 7 (correction) added on Alpha: a test article: council's → the Council's"),
        ("2026-11-25", "25 Nov 2026: new article Beta"),  # on a day, in the collection's order
        ("2026-11-22", "22 Nov 2026: note 4 (correction) revised on Alpha: a test article: on 24 December → "
                       "on 24 February 2021"),
        ("2026-11-20", "20 Nov 2026: new article Alpha: a test article")]
    assert len(rows) == 5 + 8  # and the 8 notes of the first commit, in reading order
    assert [r[1].split(" (")[0] for r in rows[5:]] == [f"20 Nov 2026: note {n}" for n in (1, 2, 3, 4, 6, 9, 10, 11)]
    assert not out.joinpath("changes", "2").exists()  # one page holds 100 rows
    assert 'href="../changes/"' in (out / "records" / "index.html").read_text(encoding="utf-8")  # the footer


def atom_grammar() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(ATOM / "rfc4287.rng")))


def test_the_stored_grammar_is_rnc2rng_s_conversion_of_the_rfc_s_appendix() -> None:
    """rfc4287.rng = rnc2rng(rfc4287.rnc), less the empty ``xmlns:local=""`` rnc2rng writes for the RNC's
    ``namespace local = ""``, which XML namespaces forbid (nothing in the grammar uses the prefix)."""
    with (ATOM / "rfc4287.rnc").open(encoding="utf-8") as f:
        converted = rnc2rng.dumps(rnc2rng.load(f))
    stored = (ATOM / "rfc4287.rng").read_text(encoding="utf-8")
    assert converted.replace('         xmlns:local=""\n', "") + "\n" == stored


def check_atom(data: bytes) -> etree._Element:
    """The Atom feed valid by RFC 4287's grammar, its two Schematron rules (which RELAX NG does not run), and
    feedparser."""
    doc = etree.fromstring(data)
    grammar = atom_grammar()
    assert grammar.validate(doc), grammar.error_log
    assert doc.xpath("atom:author or not(atom:entry[not(atom:author)])", namespaces={"atom": A[1:-1]})
    for entry in doc.iter(f"{A}entry"):
        assert entry.xpath("atom:link[@rel='alternate'] or atom:link[not(@rel)] or atom:content",
                           namespaces={"atom": A[1:-1]})
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return doc


def check_json_feed(data: bytes) -> dict:
    feed = json.loads(data)
    errors = [e.message for e in jsonschema.Draft202012Validator(JSON_FEED_SCHEMA).iter_errors(feed)]
    assert errors == []
    return feed


def test_the_feeds_are_valid_and_list_new_articles_and_corrections_newest_first(repo: Path) -> None:
    out = build(repo)
    data = (out / "feed.xml").read_bytes()
    doc = check_atom(data)
    entries = feedparser.parse(data).entries
    base = "https://example.org/tiny/"
    ids = [e.id for e in entries]
    assert ids == [f"{base}articles/alpha/#draft-dated", f"{base}articles/alpha/#pr-note", f"{base}articles/beta/",
                   f"{base}articles/alpha/#date", f"{base}articles/alpha/", f"{base}articles/alpha/#name"]
    revised = entries[3]
    assert (revised.published, revised.updated) == ("2026-11-20T00:00:00Z", "2026-11-22T00:00:00Z")
    assert "The speech was indeed given" in revised.content[0].value
    assert [e.tags[0].term for e in entries] == ["correction", "correction", "article", "correction", "article",
                                                 "correction"]  # new articles and corrections: no context note
    assert doc.findtext(f"{A}updated") == "2026-11-30T00:00:00Z"  # the newest entry's day, never the clock's
    feed = check_json_feed((out / "feed.json").read_bytes())
    assert [item["id"] for item in feed["items"]] == ids
    assert feed["items"][3]["date_modified"] == "2026-11-22T00:00:00Z"
    for page in ("index.html", "articles/alpha/index.html", "changes/index.html"):
        head = (out / page).read_text(encoding="utf-8").split("</head>")[0]
        assert 'rel="alternate" type="application/atom+xml"' in head and "feed.xml" in head, page
        assert 'rel="alternate" type="application/feed+json"' in head and "feed.json" in head, page


def test_a_hostile_note_still_yields_valid_feeds(repo: Path) -> None:
    """Control characters (escaped in YAML), ``</script>`` in a code span and ``]]>`` in a correction and its note."""
    add_notes(repo, "  - id: hostile\n    type: correction\n    quote: The vote was 266 to 0 again\n"
                    '    correction: "Bell \\x07 ]]> </script> \\x01\\x7f\\u0085 end"\n'
                    '    note: "Escape \\x1b, `</script>`, ]]> and `<![CDATA[ x ]]>` \\uFFFE\\uFFFF."\n'
                    "    added: 2026-12-01\n")
    out = build(repo)
    data = (out / "feed.xml").read_bytes()
    check_atom(data)
    entry = feedparser.parse(data).entries[0]
    assert entry.id.endswith("#hostile")
    assert "<code>&lt;/script&gt;</code>" in entry.content[0].value and "]]&gt;" in entry.content[0].value
    assert "\x07" not in entry.content[0].value and "\x01" not in entry.content[0].value
    text = (out / "feed.json").read_text(encoding="utf-8")
    assert text.isascii()  # every other character escaped, controls included
    item = check_json_feed(text.encode())["items"][0]
    assert "\x07" in item["content_html"] and "&lt;/script&gt;" in item["content_html"]
    assert "</script>" not in item["content_html"]  # only ever text, never markup


def test_builds_are_byte_identical_and_dated_by_commits_not_by_the_clock(repo: Path) -> None:
    first = tree_digest(build(repo))
    shutil.rmtree(repo / "_site")
    assert tree_digest(build(repo, "--jobs", "2")) == first
    (repo / "README").write_text("a later commit that changes no note\n", encoding="utf-8")
    git(repo, "add", "README")  # (the notes not committed stay so)
    git(repo, "commit", "-q", "-m", "unrelated", date="2026-12-24")
    shutil.rmtree(repo / "_site")
    assert tree_digest(build(repo)) == first


def test_a_shallow_clone_warns_once(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    result = run(clone, "build")
    assert result.code == 0
    assert result.err == ("annotations:1:1: warning: the repository is a shallow clone: the notes' added and revised "
                          "dates (and the changes page and feeds) miss its early history\n"
                          "  hint: fetch the whole history: git fetch --unshallow (in GitHub Actions, "
                          "actions/checkout with fetch-depth: 0)\n")
    assert run(clone, "build", "--strict").code == 1


def test_changes_are_paginated_within_the_weight_budget(tiny: Path) -> None:
    """250 dated corrections with long titles, quotes and corrections (each row at its longest): three pages,
    linked newer to older, each within the budget."""
    sentences = [f"Sentence {k:03} states a claim that a record contradicts in its own words." for k in range(250)]
    article = tiny / "content" / "alpha.md"
    title = "A title as long as a long headline gets, " * 4
    article.write_text(f'---\ntitle: "{title.strip()}"\noutlet: Test Outlet\npublished: 2021-02\nlanguage: en\n'
                       "---\n\n" + "\n\n".join(sentences) + "\n", encoding="utf-8")
    (tiny / "annotations" / "alpha.yaml").write_text("annotations:\n" + "".join(
        note(f"n{k:03}", s, "A corrected wording as long as any correction gets, to weigh the row. " * 3,
             added=f"2026-{1 + k % 12:02}-{1 + k % 28:02}") for k, s in enumerate(sentences)), encoding="utf-8")
    (tiny / "annotations" / "_records.yaml").write_text("records: []\n", encoding="utf-8")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    out = tiny / "_site"
    pages = [out / "changes" / "index.html", out / "changes" / "2" / "index.html", out / "changes" / "3" / "index.html"]
    assert not (out / "changes" / "4").exists()
    style = len(gzip.compress((out / "static" / "style.css").read_bytes()))
    rows, links = [], []
    for path in pages:
        html = path.read_bytes()
        assert len(gzip.compress(html)) + style <= BUDGET, (path, len(gzip.compress(html)))
        doc = lxml.html.fromstring(html)
        rows.append(len(doc.xpath("//ol[@class='change-list']/li")))
        links.append((doc.xpath("//a[@rel='prev']/@href"), doc.xpath("//a[@rel='next']/@href")))
    assert rows == [100, 100, 50]
    assert links == [([], ["../changes/2/"]), (["../../changes/"], ["../../changes/3/"]), (["../../changes/2/"], [])]
    assert site.CHANGES_PER_PAGE == 100
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert len(feed.entries) == site.FEED_SIZE == 100


def test_both_real_articles_show_their_notes_dates(collection_site: Path) -> None:
    """The collection as published, its notes dated by this repository's history (conftest.collection_site)."""
    if not repository_git_dir():
        pytest.skip("this checkout is no git repository: the notes have no history")
    dated = history.note_history(Path(__file__).resolve().parent.parent)
    assert not dated.shallow, "a shallow clone: fetch the whole history (git fetch --unshallow)"
    for slug in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019"):
        page = lxml.html.parse(str(collection_site / "articles" / slug / "index.html"))
        shown = {li.get("id"): li.xpath(".//p[@class='note-dates']/time/@datetime")
                 for li in page.xpath("//li[contains(@class, 'note ')]")}
        known = {nid: d for (s, nid), d in dated.notes.items() if s == slug and nid in shown}
        assert len(known) >= len(shown) // 2 and known, slug  # (a note not committed yet has no date)
        for nid, d in known.items():
            assert shown[nid] == [d.added] + ([d.revised] if d.revised != d.added else []), (slug, nid)
    check_atom((collection_site / "feed.xml").read_bytes())
    check_json_feed((collection_site / "feed.json").read_bytes())
