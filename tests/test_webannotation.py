"""The W3C Web Annotation export (apparatus.webannotation): every generated annotation, AnnotationPage and
AnnotationCollection of the real collection, the tiny fixture and a fixture of hostile notes is checked
against every MUST assertion of the W3C test suite (annotationMusts.test, collectionMusts.test,
pages/pageMusts.test) with jsonschema, and expanded with pyld, offline, with no term dropped; the
Hypothesis export has the shape the Hypothesis client's import reads. The selectors' positions are checked
in Chromium by tests/test_webannotation_browser.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import COLLECTION_URL, REPO, TESTS, TINY, copy_site, run
from jsonschema import Draft4Validator
from pyld import jsonld
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from apparatus import webannotation

SUITE = TESTS / "vendor" / "web-annotation-tests"
ANNO_CONTEXT = json.loads((TESTS / "vendor" / "anno.jsonld").read_text(encoding="utf-8"))
TINY_URL = "https://example.org/tiny/"

HOSTILE_NOTE = """\
  - id: hostile
    type: correction
    quote: mattered
    correction: "mattered </script><script>alert(1)</script> \\"x\\" 'y'"
    note: "A `</script>` in a code span, \\"quotes\\", 'single', bell \\a, DEL \\x7f, NEL \\x85, LS \\u2028, ESC \\e."
    records: [hrc46-speech]
    links:
      - {url: "https://example.org/a(b)<c>\u00e9", title: "A [title] with *stars* </script>", publisher: "P & Q"}
"""


# --- the validators ---------------------------------------------------------------------------------------------

def _registry() -> Registry:
    """The suite's definitions by the bare file names their $refs use (id.json, bodyTarget.json, …)."""
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8")),
                                                 default_specification=DRAFT4))
                 for p in sorted((SUITE / "definitions").glob("*.json"))]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _musts(test_file: str) -> list[tuple[str, Draft4Validator]]:
    """The assertion schemas a .test file lists, each as a draft-04 validator that checks formats."""
    listed = json.loads((SUITE / test_file).read_text(encoding="utf-8"))["assertions"]
    out = []
    for rel in listed:
        schema = json.loads((SUITE / rel).read_text(encoding="utf-8"))
        assert schema["assertionType"] == "must" and schema["expectedResult"] == "valid", rel
        out.append((rel, Draft4Validator(schema, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER)))
    return out


ANNOTATION_MUSTS = _musts("annotations/annotationMusts.test")
COLLECTION_MUSTS = _musts("collections/collectionMusts.test")
PAGE_MUSTS = _musts("collections/pages/pageMusts.test")


def failed(musts: list[tuple[str, Draft4Validator]], doc: Any) -> list[str]:
    return [f"{rel}: {v.schema['errorMessage']}" for rel, v in musts if not v.is_valid(doc)]


def test_the_suite_is_complete_and_its_formats_are_really_checked() -> None:
    assert (len(ANNOTATION_MUSTS), len(COLLECTION_MUSTS), len(PAGE_MUSTS)) == (54, 10, 15)
    checker = Draft4Validator.FORMAT_CHECKER
    assert not checker.conforms("not a uri", "uri") and not checker.conforms("https://a.b/<c>", "uri")
    assert not checker.conforms("2026-11-22", "date-time") and checker.conforms("2026-11-22T00:00:00Z", "date-time")


def test_the_assertions_refuse_what_the_model_forbids() -> None:
    """The schemas are live: a bare linked resource with a purpose, a page without items, a collection
    whose total is a string are refused."""
    good = {"@context": webannotation.CONTEXT, "id": "https://a.example/1", "type": "Annotation",
            "target": "https://a.example/"}
    assert failed(ANNOTATION_MUSTS, good) == []
    bad = {**good, "body": {"id": "https://a.example/r", "purpose": "linking"}}
    assert [f.split(":")[0] for f in failed(ANNOTATION_MUSTS, bad)] == [
        "annotations/bodiesTargets/3.3.5-bodyEWRNoPurpose.json"]
    assert failed(PAGE_MUSTS, {"@context": webannotation.CONTEXT, "id": "https://a.example/p",
                               "type": "AnnotationPage"})
    assert failed(COLLECTION_MUSTS, {"@context": webannotation.CONTEXT, "id": "https://a.example/c",
                                     "type": "AnnotationCollection", "total": "2"})


# --- the built sites --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(collection_site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """name → (built site, base_url): the real collection, the tiny fixture, and the tiny fixture with a
    hostile note (control characters, </script>, quotes, a link with <, > and é)."""
    out = {"collection": (collection_site, COLLECTION_URL)}
    for name, extra in (("tiny", ""), ("hostile", HOSTILE_NOTE)):
        root = copy_site(TINY, tmp_path_factory.mktemp(name) / "site")
        with (root / "annotations" / "alpha.yaml").open("a", encoding="utf-8") as f:
            f.write(extra)
        result = run(root, "build")
        assert result.code == 0, result.err
        out[name] = (root / "_site", TINY_URL)
    return out


def files(site: Path) -> dict[str, Any]:
    """Every Web Annotation file of a built site, parsed: the collection, the vocabulary, each page."""
    found = {"annotations.jsonld": site / "annotations.jsonld", "vocab.jsonld": site / "vocab.jsonld"}
    found |= {p.relative_to(site).as_posix(): p for p in sorted(site.glob("articles/*/annotations.jsonld"))}
    return {rel: json.loads(p.read_text(encoding="utf-8")) for rel, p in found.items()}


NAMES = ("collection", "tiny", "hostile")


@pytest.mark.parametrize("name", NAMES)
def test_every_file_meets_every_must_of_the_w3c_suite(sites: dict[str, tuple[Path, str]], name: str) -> None:
    site, base = sites[name]
    docs = files(site)
    collection = docs["annotations.jsonld"]
    assert failed(COLLECTION_MUSTS, collection) == []
    pages = [docs[rel] for rel in docs if rel.startswith("articles/")]
    assert len(pages) == len(list(site.glob("articles/*/index.html")))
    annotations = 0
    for page in pages:
        assert failed(PAGE_MUSTS, page) == [], page["id"]
        for item in page["items"]:  # each annotation as it stands alone: with the context of its page
            assert failed(ANNOTATION_MUSTS, {"@context": page["@context"], **item}) == [], item["id"]
            annotations += 1
    assert annotations == collection["total"] > 0


@pytest.mark.parametrize("name", NAMES)
def test_the_pages_are_chained_in_article_order(sites: dict[str, tuple[Path, str]], name: str) -> None:
    site, base = sites[name]
    docs = files(site)
    collection = docs["annotations.jsonld"]
    slugs = sorted(p.parent.name for p in site.glob("articles/*/index.html"))
    ids = [f"{base}articles/{s}/annotations.jsonld" for s in slugs]
    assert collection["id"] == f"{base}annotations.jsonld"
    assert (collection["first"], collection["last"]) == (ids[0], ids[-1])
    assert collection["label"] and collection["type"] == "AnnotationCollection"
    start = 0
    for k, slug in enumerate(slugs):
        page = docs[f"articles/{slug}/annotations.jsonld"]
        assert page["id"] == ids[k] and page["startIndex"] == start
        assert page["partOf"] == {"id": collection["id"], "label": collection["label"], "total": collection["total"]}
        assert page.get("prev") == (ids[k - 1] if k else None)
        assert page.get("next") == (ids[k + 1] if k + 1 < len(ids) else None)
        start += len(page["items"])
    assert start == collection["total"]


def _no_relative_iris(node: Any) -> list[str]:
    """Every @id and @type of an expanded document that is not an absolute IRI: a term the context lacks
    (a type or a motivation would expand against the document's address instead of being dropped)."""
    bad: list[str] = []
    if isinstance(node, list):
        for x in node:
            bad += _no_relative_iris(x)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@id" and ":" not in value:
                bad.append(value)
            elif key == "@type":
                bad += [t for t in (value if isinstance(value, list) else [value]) if ":" not in t]
            else:
                bad += _no_relative_iris(value)
    return bad


def _unlisted(node: Any) -> Any:
    if isinstance(node, list):
        return _unlisted(node[0]) if len(node) == 1 else [_unlisted(x) for x in node]
    if isinstance(node, dict):
        return {k: _unlisted(v) for k, v in node.items()}
    return node


@pytest.mark.parametrize("name", NAMES)
def test_every_file_expands_offline_with_no_term_dropped(sites: dict[str, tuple[Path, str]], name: str) -> None:
    site, base = sites[name]
    docs = files(site)
    served = {webannotation.CONTEXT: ANNO_CONTEXT, f"{base}vocab.jsonld": docs["vocab.jsonld"]}

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        assert url in served, f"no network: {url}"
        return {"contextUrl": None, "documentUrl": url, "document": served[url]}

    for rel, doc in docs.items():
        dropped: list[str | None] = []
        options: Any = {"documentLoader": loader}
        expanded = jsonld.expand(doc, options, on_property_dropped=dropped.append)
        assert dropped == [], (rel, dropped)
        assert _no_relative_iris(expanded) == [], rel
        # and back: the same document (up to one-item lists, which compaction writes as the item)
        assert _unlisted(jsonld.compact(expanded, doc["@context"], options)) == _unlisted(doc), rel
    correcting = docs["vocab.jsonld"]
    expanded = jsonld.expand(correcting, {"documentLoader": loader})
    assert expanded == [{
        "@id": f"{base}vocab.jsonld#correcting",
        "@type": ["http://www.w3.org/ns/oa#Motivation", "http://www.w3.org/2004/02/skos/core#Concept"],
        "http://www.w3.org/2004/02/skos/core#broader": [{"@id": "http://www.w3.org/ns/oa#editing"}],
        "http://www.w3.org/2004/02/skos/core#prefLabel": [{"@value": "correcting", "@language": "en"}],
        "http://www.w3.org/2004/02/skos/core#definition": [{"@value": correcting["definition"], "@language": "en"}],
    }]


def _notes(site: Path) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for page in files(site).values() if page.get("type") == "AnnotationPage"
            for item in page["items"]}


def test_each_note_as_the_model_says(sites: dict[str, tuple[Path, str]]) -> None:
    site, base = sites["tiny"]
    notes = _notes(site)
    article = f"{base}articles/alpha/"
    name = notes[article + "#name"]
    assert name["motivation"] == f"{base}vocab.jsonld#correcting"
    assert name["body"] == [
        {"type": "TextualBody", "value": "<p>The minister is <strong>Jean-Yves</strong> Le Drian.</p>\n",
         "format": "text/html", "language": "en"},
        {"type": "TextualBody", "value": "Jean-Yves Le Drian", "format": "text/plain", "language": "en",
         "purpose": "editing"},
        {"type": "SpecificResource", "source": f"{base}records/hrc46-speech/", "purpose": "linking"}]
    assert name["target"] == {"type": "SpecificResource", "source": article, "selector": [
        {"type": "TextQuoteSelector", "exact": "Jean-Claude Le Drian", "prefix": "ontext, source).\n\n\nThe minister ",
         "suffix": "2 spoke to the Human Rights Coun"},
        {"type": "TextPositionSelector", "start": 492, "end": 512}]}
    assert name["creator"] == {"type": "Organization", "name": "Tiny collection", "homepage": base}
    assert name["generator"] == {"type": "Software", "name": "Apparatus"}
    # outside git, the YAML's added: dates the note (created); a revision is known only from git history
    assert name["created"] == "2026-11-22T00:00:00Z" and "modified" not in name
    assert "created" not in notes[article + "#across"]  # neither history nor added:
    assert notes[article + "#across"]["motivation"] == "commenting"
    assert notes[article + "#quotes"]["motivation"] == "linking"
    assert notes[article + "#quotes"]["body"][-1] == {"type": "SpecificResource", "source": "https://example.org/press",
                                                       "purpose": "linking"}
    # a quote across other notes holds what the page shows there: the nested note's number too
    assert notes[article + "#across"]["target"]["selector"][0]["exact"] == "Le Drian2 spoke to the Human Rights"


def test_dates_come_from_the_annotation_and_are_left_out_when_unknown() -> None:
    from apparatus.annotations import Annotation

    site = webannotation.SiteInfo("https://a.example/", "A", "en")
    ann = Annotation("n", "context", "q", "N.", added="2026-11-22", revised="2026-11-23")
    out = webannotation.annotation(ann, site, "https://a.example/articles/x/", "en", "<p>N.</p>", None, {})
    assert (out["created"], out["modified"]) == ("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")
    assert failed(ANNOTATION_MUSTS, {"@context": webannotation.CONTEXT, **out}) == []
    bare = webannotation.annotation(Annotation("n", "context", "q", "N."), site, "https://a.example/articles/x/", "en",
                                    "<p>N.</p>", None, {})
    assert "created" not in bare and "modified" not in bare


def test_hostile_notes_give_valid_json_with_every_control_character_escaped(
        sites: dict[str, tuple[Path, str]]) -> None:
    site, base = sites["hostile"]
    for path in [*site.glob("*.jsonld"), *site.glob("articles/*/annotations.*")]:
        raw = path.read_text(encoding="utf-8")
        assert not any(ord(ch) < 0x20 and ch != "\n" or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029"
                       for ch in raw), path
        json.loads(raw)
    hostile = _notes(site)[f"{base}articles/alpha/#hostile"]
    assert hostile["body"][0]["value"] == ("<p>A <code>&lt;/script&gt;</code> in a code span, &quot;quotes&quot;, "
                                           "'single', bell \a, DEL \x7f, NEL \x85, LS \u2028, ESC \x1b.</p>\n")
    assert hostile["body"][1]["value"] == "mattered </script><script>alert(1)</script> \"x\" 'y'"
    assert hostile["body"][3]["source"] == "https://example.org/a(b)%3Cc%3E%C3%A9"  # a URI, as format uri wants
    export = json.loads((site / "articles" / "alpha" / "annotations.hypothesis.json").read_text(encoding="utf-8"))
    [text] = [a["text"] for a in export["annotations"] if a["tags"] == ["correction"] and "bell" in a["text"]]
    assert text.endswith("**The record shows:** mattered \\</script\\>\\<script\\>alert\\(1\\)\\</script\\> \"x\" 'y'"
                         "\n\n**Primary records:**\n\n"
                         f"- [Statement at the 46th session](<{base}records/hrc46-speech/>)\n\n"
                         "**Other sources:**\n\n"
                         "- [A \\[title\\] with \\*stars\\* \\</script\\>](<https://example.org/a(b)%3Cc%3E\u00e9>)"
                         " — P \\& Q")


# --- the Hypothesis export --------------------------------------------------------------------------------------

def _hypothesis_problems(export: Any) -> list[str]:
    """What the Hypothesis client (hypothesis/client, commit 9d28950c, 2026-07-01) needs of an import file:
    helpers/import.ts readExportFile: an object whose `annotations` is an array; components/SharePanel/
    ImportAnnotations.tsx + helpers/annotations-by-user.ts: notes offered by `user` (acct:name@provider,
    display name from user_info), replies (`references`) left out; services/import-annotations.ts:
    duplicateMatch reads `text`, `tags` (an array: `.length`) and target[0].selector's TextQuoteSelector
    `exact`; isShared reads `permissions.read` (an array); getImportData keeps target, tags, text, uri and
    document."""
    if not isinstance(export, dict) or not isinstance(export.get("annotations"), list):
        return ["not {annotations: [...]}"]
    problems = []
    for a in export["annotations"]:
        if not (isinstance(a.get("user"), str) and a["user"].startswith("acct:") and "@" in a["user"]):
            problems.append(f"user {a.get('user')!r}")
        if not (isinstance(a.get("tags"), list) and all(isinstance(t, str) for t in a["tags"])):
            problems.append("tags")
        if not isinstance(a.get("text"), str) or not isinstance(a.get("uri"), str):
            problems.append("text or uri")
        if not isinstance(a.get("permissions", {}).get("read"), list):
            problems.append("permissions.read")
        target = a.get("target")
        if not (isinstance(target, list) and target and isinstance(target[0].get("source"), str)):
            problems.append("target")
            continue
        quotes = [s for s in target[0].get("selector", []) if s.get("type") == "TextQuoteSelector"]
        if len(quotes) != 1 or not isinstance(quotes[0].get("exact"), str):
            problems.append("TextQuoteSelector")
        if a.get("references"):
            problems.append("a reply: not imported")
        if not isinstance(a.get("document", {}).get("title"), list):
            problems.append("document.title")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_the_hypothesis_export_has_the_shape_the_client_imports(sites: dict[str, tuple[Path, str]],
                                                                name: str) -> None:
    site, base = sites[name]
    for path in sorted(site.glob("articles/*/annotations.hypothesis.json")):
        export = json.loads(path.read_text(encoding="utf-8"))
        assert _hypothesis_problems(export) == [], path
        page = json.loads((path.parent / "annotations.jsonld").read_text(encoding="utf-8"))
        assert len(export["annotations"]) == len(page["items"])
        for a, item in zip(export["annotations"], page["items"], strict=True):  # the same notes, in order
            assert a["uri"] == a["target"][0]["source"] == item["target"]["source"]
            assert a["target"][0]["selector"] == item["target"]["selector"][:1]  # the same quote
            assert a["tags"] == [{"commenting": "context", "linking": "source"}.get(item["motivation"], "correction")]
            assert a["user"] == "acct:apparatus@example.org"


def test_the_export_of_a_note_is_its_markdown_with_the_correction_and_sources(sites: dict[str, tuple[Path, str]]
                                                                              ) -> None:
    site, base = sites["tiny"]
    export = json.loads((site / "articles" / "alpha" / "annotations.hypothesis.json").read_text(encoding="utf-8"))
    first = export["annotations"][0]
    assert first == {
        "uri": f"{base}articles/alpha/",
        "target": [{"source": f"{base}articles/alpha/", "selector": [
            {"type": "TextQuoteSelector", "exact": "Minister “speaks”", "prefix": "\n\n  \n  ",
             "suffix": "1 at the Council\n  \n  Test Outle"}]}],
        "text": "Straight quotes match typographic ones.\n\n**Primary records:**\n\n"
                f"- [Statement at the 46th session](<{base}records/hrc46-speech/>)\n\n**Other sources:**\n\n"
                "- [Press release](<https://example.org/press>) — Example",
        "tags": ["source"], "document": {"title": ["Alpha: a test article"]},
        "user": "acct:apparatus@example.org", "user_info": {"display_name": "Tiny collection"},
        "permissions": {"read": ["group:__world__"], "update": ["acct:apparatus@example.org"],
                        "delete": ["acct:apparatus@example.org"]}}


# --- without base_url, and the article page's link ----------------------------------------------------------------

def test_without_base_url_no_file_is_written_and_no_page_links_one(tmp_path: Path) -> None:
    root = copy_site(TINY, tmp_path / "site")
    yaml = root / "site.yaml"
    yaml.write_text("".join(line for line in yaml.read_text().splitlines(keepends=True)
                            if not line.startswith("base_url:")))
    result = run(root, "build")
    assert result.code == 0, result.err
    assert "the W3C Web Annotation files" in result.err
    site = root / "_site"
    assert not list(site.rglob("*.jsonld")) and not list(site.rglob("*.hypothesis.json"))
    assert "application/ld+json" not in (site / "articles" / "alpha" / "index.html").read_text(encoding="utf-8")


def test_each_article_page_links_its_annotation_page(sites: dict[str, tuple[Path, str]]) -> None:
    site, _ = sites["collection"]
    pages = sorted(site.glob("articles/*/index.html"))
    assert len(pages) == 2
    for page in pages:
        head = page.read_text(encoding="utf-8").split("</head>")[0]
        assert '<link rel="alternate" type="application/ld+json" href="annotations.jsonld"' in head
        assert (page.parent / "annotations.jsonld").is_file()


def test_the_vendored_context_is_the_repository_copy_plus_assessing() -> None:
    context = ANNO_CONTEXT["@context"]
    assert context["assessing"] == "oa:assessing" and context["reviewing"] == "oa:reviewing"
    shared = REPO.parent / "shared" / "vendor" / "anno.jsonld"
    if shared.is_file():  # (../shared exists only beside the project's own checkouts)
        original = json.loads(shared.read_text(encoding="utf-8"))
        assert {k: v for k, v in context.items() if k != "assessing"} == original["@context"]
