"""A record's citation files (issue 16): CSL-JSON valid against the Citation Style Language's own schema
(tests/vendor/csl/csl-data.json), BibTeX read back by bibtexparser with LaTeX decoded (pylatexenc), for every
record of the real registry, and LaTeX's special characters and non-ASCII text kept whole."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import html5lib
import jsonschema
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from conftest import REPO, TESTS

from apparatus.annotations import Record, load_registry
from apparatus.citations import bibtex, csl_json

CSL_SCHEMA = json.loads((TESTS / "vendor" / "csl" / "csl-data.json").read_text(encoding="utf-8"))
REGISTRY, _ = load_registry(REPO, "annotations/_records.yaml")


def csl_errors(text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(CSL_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(json.loads(text))]


def bib_fields(text: str, decode: bool = True) -> dict[str, str]:
    """The one entry's fields, read by bibtexparser (LaTeX decoded to text, or raw as written)."""
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()] if decode else [])
    assert library.failed_blocks == []
    [entry] = library.entries
    assert entry.entry_type == "misc"
    return {"key": entry.key, **{f.key: f.value for f in entry.fields}}


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("rid", sorted(REGISTRY))
def test_every_real_record_exports(collection_site: Path, rid: str) -> None:
    r = REGISTRY[rid]
    folder = collection_site / "records" / rid
    csl_text = (folder / "record.csl.json").read_text(encoding="utf-8")
    assert csl_errors(csl_text) == []
    [item] = json.loads(csl_text)
    parts = [int(x) for x in r.date.split("-")]
    assert item["id"] == rid and item["title"] == r.title and item["author"] == [{"literal": r.issuer}]
    assert item["issued"] == {"date-parts": [parts]}
    assert item.get("URL") == (r.url or None) and item.get("number") == (r.symbol or None)
    assert item.get("note") == (r.note or None)

    bib = (folder / "record.bib").read_text(encoding="utf-8")
    fields = bib_fields(bib)
    assert fields["key"] == rid
    assert fields["title"] == words(r.title) and fields["author"] == words(r.issuer)
    assert fields["year"] == str(parts[0]) and fields["date"] == r.date
    assert fields.get("note") == (words(r.note) if r.note else None)
    assert fields.get("number") == (r.symbol or None)
    raw = bib_fields(bib, decode=False)
    assert raw.get("url") == (r.url or None)  # as written: an address is never LaTeX-escaped
    assert raw.get("urldate") == (r.accessed or None)

    doc = html5lib.parse((folder / "index.html").read_bytes(), treebuilder="etree", namespaceHTMLElements=False)
    hrefs = {a.get("href"): "".join(a.itertext()) for a in doc.iter("a")}
    assert hrefs["record.csl.json"] == "CSL-JSON" and hrefs["record.bib"] == "BibTeX"  # beside the page


def test_non_ascii_records_stay_whole() -> None:
    """The real registry's French and Lithuanian titles come back character for character."""
    lt = bib_fields(bibtex({"record": REGISTRY["lt-seimas-res-xiv-329-2021-05-20"]}))
    assert lt["title"] == "Rezoliucija dėl masinių, sistemingų ir sunkių Kinijos vykdomų žmogaus teisių pažeidimų ir " \
                          "uigūrų genocido"
    fr = bib_fields(bibtex({"record": REGISTRY["fr-an-ta-758-2022-01-20"]}))
    assert fr["number"] == "Texte adopté n° 758"
    qa = bib_fields(bibtex({"record": REGISTRY["fr-mfa-briefing-2019-11-27"]}))
    assert qa["title"] == "China - Q&A - From the press briefing (27 November 2019)"


SPECIAL = "50% of {the} vote & #1: a_b $5 ~ \\n, Dėl uigūrų 新疆维吾尔"


def record(**kw: str) -> Record:
    values = {"id": "x", "title": SPECIAL, "issuer": "Congress and President {US}", "kind": "legislation",
              "date": "2021-12-23", **kw}
    return Record(**values)  # type: ignore[arg-type]


def test_latex_specials_and_non_ascii_round_trip() -> None:
    text = bibtex({"record": record(note=SPECIAL, symbol="No. #4 & 5%")})
    assert "\\%" in text and "\\&" in text and "\\#" in text and "\\{the\\}" in text and "新疆维吾尔" in text
    fields = bib_fields(text)
    assert fields["title"] == fields["note"] == SPECIAL
    assert fields["author"] == "Congress and President {US}"  # one name: "and" does not split it
    assert fields["number"] == "No. #4 & 5%"
    assert csl_errors(csl_json({"record": record()})) == []


def test_unpaired_braces_cannot_break_the_entry() -> None:
    """BibTeX counts escaped braces too: an unpaired one is written as \\textbraceleft{} / \\textbraceright{}."""
    text = bibtex({"record": record(title="a } b { c {", note="} then {")})
    assert "\\textbraceright{} b \\textbraceleft{} c \\textbraceleft{}" in text
    fields = bib_fields(text, decode=False)
    assert set(fields) >= {"title", "author", "year", "note"}  # every field read: nothing swallowed


def test_addresses_are_raw_but_safe() -> None:
    r = record(url="https://example.org/a%2Fb?q={x}&r=1", accessed="2026-11-22",
               archive_url="https://web.archive.org/web/20260101000000/https://example.org/a%2Fb?q={x}&r=1")
    raw = bib_fields(bibtex({"record": r}), decode=False)
    assert raw["url"] == "https://example.org/a%2Fb?q=%7Bx%7D&r=1"  # the same address, its braces encoded
    assert raw["urldate"] == "2026-11-22"
    [item] = json.loads(csl_json({"record": r}))
    assert item["URL"] == r.url and item["archive"] == "Internet Archive" and item["archive_location"] == r.archive_url
    assert item["accessed"] == {"date-parts": [[2026, 11, 22]]}
    assert csl_errors(csl_json({"record": r})) == []


def test_the_schema_is_the_real_one() -> None:
    """The vendored schema refuses what CSL refuses (it is not a permissive stand-in)."""
    assert csl_errors('[{"id": "x", "type": "statement"}]')
    assert csl_errors('[{"id": "x", "type": "document", "issued": {"date-parts": [[2021, 2, 24, 1]]}}]')
    assert csl_errors('{"id": "x", "type": "document"}')
