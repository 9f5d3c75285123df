"""annotations/<slug>.yaml and the records registry annotations/_records.yaml → Annotation, Record.

An annotation's way from YAML to ``<mark>`` and to its messages: :func:`load_annotations` loads the
file's values and validates them (:mod:`apparatus.schema`), adds the rules across annotations
(unique ids, correction fields, known record ids) and makes each :class:`Annotation`, which keeps
its index in the file. :func:`apparatus.pipeline.process_article` anchors its quote
(:mod:`apparatus.anchoring`) and renders its note; :func:`apparatus.markdown.insert_marks` puts the
``<mark>``. Every problem on the way is reported by key path, e.g. ("annotations", index, "quote"),
through :meth:`AnnotationFile.at`, which gives it its line and column.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .errors import Diagnostic
from .fastyaml import Typed
from .schema import ID_RE, Field, Validator, did_you_mean, load_yaml
from .sources import KeyPath, SourceFile, YamlDoc, read_source

TYPES = ("correction", "context", "source")
KINDS = ("un", "parliament", "legislation", "government", "court", "other")
REGISTRY = "_records.yaml"

QUOTE_MAX = 2_000  # characters in a quote, prefix or suffix: a long paragraph; bounds the closest-text search

LINK_FIELDS = (
    Field("url", "url", "the address, https://…", required=True, example="https://…"),
    Field("title", "text", "the page's own title", required=True, example='"…"'),
    Field("publisher", "text", "who published it"),
)
ANNOTATION_FIELDS = (
    Field("id", "id", "a name for the note, [a-z0-9-], unique in the file; the note's URL fragment",
          required=True, example="minister-first-name"),
    Field("type", "enum", "correction (the record contradicts the text), context (the text needs more) "
          "or source (the claim tied to its record)", required=True, choices=TYPES, example="correction"),
    Field("quote", "text", "the article's text this note is about, as a reader sees it", required=True,
          example="Jean-Claude Le Drian", max_length=QUOTE_MAX),
    Field("prefix", "text", "text right before the quote, to pick one occurrence", max_length=QUOTE_MAX),
    Field("suffix", "text", "text right after the quote, to pick one occurrence", max_length=QUOTE_MAX),
    Field("correction", "text", "what the record shows, in place of the quote (corrections only)"),
    Field("important", "bool", "true to list this correction first in the article's summary"),
    Field("note", "text", "the note in Markdown", required=True, example="|"),
    Field("records", "list", "ids of primary records in annotations/_records.yaml", item="id"),
    Field("links", "list", "other sources: url, title, publisher", item=LINK_FIELDS),
    Field("added", "day", "the day the note was published (YYYY-MM-DD), shown when git history has none: "
          "without git, or before the note is committed", example="2026-11-22"),
)
ANNOTATIONS_FILE_FIELDS = (
    Field("annotations", "list", "the notes on the article", required=True, item=ANNOTATION_FIELDS),
    Field("article_sha256", "text", "the hash of the article text the notes were written against"),
)
RECORD_FIELDS = (
    Field("id", "id", "a name for the record, [a-z0-9-], unique in the registry", required=True,
          example="hrc46-le-drian-2021-02-24"),
    Field("title", "text", "the record's own title", required=True, example='"…"'),
    Field("issuer", "text", "the body that issued it, e.g. UN Human Rights Council", required=True,
          example="UN Human Rights Council"),
    Field("kind", "enum", "un, parliament, legislation, government, court or other", required=True,
          choices=KINDS, example="un"),
    Field("date", "date", "YYYY-MM-DD, YYYY-MM or YYYY", required=True, example="2021-02-24"),
    Field("symbol", "text", "the UN document symbol, bill, journal or law number"),
    Field("url", "url", "an address seen to hold the record (leave out when none was located)"),
    Field("archive_url", "url", "an archived copy"),
    Field("accessed", "date", "the day the url was seen holding the record (YYYY-MM-DD)"),
    Field("unverified", "bool", "true for a url that was not seen holding the record (the page says so)"),
    Field("note", "text", "one line about the copy, e.g. 'reprint; official text not located'"),
)
REGISTRY_FIELDS = (
    Field("records", "list", "the primary records", required=True, item=RECORD_FIELDS),
)


@dataclasses.dataclass(frozen=True)
class Link:
    url: str
    title: str
    publisher: str = ""


@dataclasses.dataclass
class Annotation:
    id: str
    type: str
    quote: str
    note: str
    prefix: str = ""
    suffix: str = ""
    correction: str = ""
    records: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    important: bool = False
    index: int = -1  # its place in the file's list: its path is ("annotations", index)
    added: str = ""  # YYYY-MM-DD, from git history (apparatus/history.py) or the YAML's `added:`
    revised: str = ""  # YYYY-MM-DD, the last change of the note's block; "" when unknown


@dataclasses.dataclass(frozen=True)
class Record:
    id: str
    title: str
    issuer: str
    kind: str
    date: str
    symbol: str = ""
    url: str = ""
    archive_url: str = ""
    accessed: str = ""
    unverified: bool = False
    note: str = ""


@dataclasses.dataclass
class AnnotationFile:
    src: SourceFile
    annotations: list[Annotation]
    article_sha256: str = ""
    doc: YamlDoc = dataclasses.field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.doc is None:  # its positions, for diagnostics: composed only if one is reported
            self.doc = YamlDoc(self.src)

    def at(self, path: KeyPath, message: str, hint: str = "", severity: str = "error",
           offset: int | None = None) -> Diagnostic:
        """A diagnostic at path in the file, e.g. ("annotations", ann.index, "quote")."""
        return self.doc.at(path, message, hint, severity, offset=offset)


_ANNOTATION_KEYS = frozenset(f.name for f in ANNOTATION_FIELDS)


def load_annotations(root: Path, rel: str, record_ids: frozenset[str] | None
                     ) -> tuple[AnnotationFile | None, list[Diagnostic]]:
    """Load and validate the annotation file rel of the collection at root. Record ids are checked when the
    registry is known.

    Values come from :func:`apparatus.schema.load_yaml`; every rule (the fields', then the ones across fields
    and files below) reports a :class:`Problem` by key path, and only those are given positions.
    """
    src, diags = read_source(root, rel)
    if src is None:
        return None, diags
    raw, doc, diags = load_yaml(src)
    if doc is None:
        return None, diags
    if raw is None:
        return None, [src.diag(1, 1, "the annotation file is empty (it holds no YAML, or only comments)",
                               "write 'annotations:' and the notes under it, or 'annotations: []' "
                               "while there are none yet")]
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, ANNOTATIONS_FILE_FIELDS, "the annotation file")
    if values is None:
        return None, doc.report(v.problems)
    out: list[Annotation] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(values.get("annotations", ())):
        if item is None or not {"id", "type", "quote", "note"} <= item.keys():
            continue
        path = ("annotations", i)
        ann_id = item["id"]
        given = raw["annotations"][i]  # the item as written: its keys, valid or not
        if ann_id in seen:
            first = doc.line(("annotations", seen[ann_id], "id"))
            v.error((*path, "id"), f"duplicate annotation id '{ann_id}' (first used on line {first})",
                    "give each annotation its own id: it is the note's address in the page")
            continue
        seen[ann_id] = i
        if item["type"] == "correction" and "correction" not in given and given.keys() <= _ANNOTATION_KEYS:
            v.error((*path, "type"), f"annotation '{ann_id}' is a correction but has no 'correction:'",
                    "add 'correction:' with what the record shows, or use type: context")
            continue
        if item["type"] != "correction" and "correction" in given:
            v.error((*path, "correction"), f"'correction:' is only for type correction (this one is {item['type']})",
                    "change type: to correction, or fold the text into the note")
            continue
        if record_ids is not None and not record_ids.issuperset(item.get("records", ())):
            _check_record_ids(v, path, given.get("records"), record_ids)
        out.append(_annotation(item, i))
    return AnnotationFile(src, out, values.get("article_sha256", ""), doc), doc.report(v.problems)


def _check_record_ids(v: Validator, path: KeyPath, given: Any, record_ids: frozenset[str]) -> None:
    """Report each valid record id of an annotation that is not in the registry."""
    for k, rid in enumerate(given if type(given) is list else ()):
        if type(rid) is Typed:
            rid = rid.value
        if type(rid) is str and ID_RE.fullmatch(rid) and rid not in record_ids:
            near = did_you_mean(rid, sorted(record_ids))
            v.error((*path, "records", k), f"unknown record id '{rid}'" + (f": {near}" if near else ""),
                    f"add the record to annotations/{REGISTRY} or fix the id")


def _annotation(item: dict[str, Any], index: int) -> Annotation:
    """An annotation from its validated values (links that failed validation are left out)."""
    links = tuple(Link(x["url"], x["title"], x.get("publisher", ""))
                  for x in item.get("links", ()) if x and "url" in x and "title" in x)
    return Annotation(
        id=item["id"], type=item["type"], quote=item["quote"], note=item["note"],
        prefix=item.get("prefix", ""), suffix=item.get("suffix", ""), correction=item.get("correction", ""),
        records=tuple(item.get("records", ())), links=links, important=item.get("important", False), index=index,
        added=item.get("added", ""),
    )


def load_registry(root: Path, rel: str) -> tuple[dict[str, Record], list[Diagnostic]]:
    """The records registry rel of the collection at root (none if there is no such file)."""
    if not (root / rel).is_file():
        return {}, []
    src, diags = read_source(root, rel)
    if src is None:
        return {}, diags
    raw, doc, diags = load_yaml(src)
    if doc is None or raw is None:
        return {}, diags
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, REGISTRY_FIELDS, "the records registry")
    records: dict[str, Record] = {}
    for i, item in enumerate((values or {}).get("records", ())):
        if item is None or not {"id", "title", "issuer", "kind", "date"} <= item.keys():
            continue
        rid = item["id"]
        if rid in records:
            v.error(("records", i, "id"), f"duplicate record id '{rid}'",
                    "list each record once; cite it by id everywhere")
            continue
        records[rid] = Record(**item)
        _check_url_evidence(v, ("records", i), item)
    return records, doc.report(v.problems)


def _check_url_evidence(v: Validator, path: KeyPath, item: dict[str, Any]) -> None:
    """A url is published only with its evidence: ``accessed:`` (the day it was seen) or ``unverified:
    true`` (it was not seen, and the page says "address not verified"), never both."""
    if "url" not in item:
        return
    if item.get("unverified") and "accessed" in item:
        v.error((*path, "unverified"), f"record '{item['id']}' is marked unverified but has 'accessed:'",
                "a url seen on a date is verified: remove 'unverified: true', or remove 'accessed:' "
                "if the page was not seen holding the record")
    elif not item.get("unverified") and "accessed" not in item:
        v.error((*path, "url"), f"record '{item['id']}' has a url but no 'accessed:' date",
                "add 'accessed: YYYY-MM-DD', the day you saw the page hold the record, "
                "or 'unverified: true' if you did not see it", severity="warning")
