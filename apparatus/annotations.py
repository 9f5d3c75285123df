"""annotations/<slug>.yaml and the records registry annotations/_records.yaml → Annotation, Record."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic
from .schema import ID_RE, Field, Validator, did_you_mean, valid_values
from .sources import SourceFile, compose_yaml, read_source

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
    nodes: dict[str, yaml.Node] = dataclasses.field(default_factory=dict, repr=False, compare=False)


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
    nodes: dict[str, yaml.Node] = dataclasses.field(default_factory=dict, repr=False)


class NodesNeeded(Exception):
    """A diagnostic needs YAML positions the fast path did not keep: the file is to be loaded exactly."""


class _NoNodes(dict[str, yaml.Node]):
    """The nodes of a file loaded by the fast path: asking for one (``[key]``, ``get``, ``in``) raises
    :class:`NodesNeeded`. Read nodes only that way: they are for diagnostics."""

    def __getitem__(self, key: str) -> yaml.Node:
        raise NodesNeeded(key)

    def get(self, key: str, default: Any = None) -> Any:
        raise NodesNeeded(key)

    def __contains__(self, key: object) -> bool:
        raise NodesNeeded(str(key))


NO_NODES: dict[str, yaml.Node] = _NoNodes()


def _nodes(values: dict[str, Any]) -> dict[str, yaml.Node]:
    return {k[1:]: v for k, v in values.items() if k.startswith("@")}


def load_annotations(root: Path, rel: str, record_ids: frozenset[str] | None, exact: bool = False
                     ) -> tuple[AnnotationFile | None, list[Diagnostic]]:
    """Load and validate the annotation file rel of the collection at root. Record ids are checked when the
    registry is known.

    A file with no problem is loaded by the fast path, without YAML nodes (see :data:`NO_NODES`);
    ``exact`` (or any problem) takes the path that keeps every node for diagnostics.
    """
    src, diags = read_source(root, rel)
    if src is None:
        return None, diags
    if not exact:
        fast = _load_valid(src, record_ids)
        if fast is not None:
            return fast, []
    node, diags = compose_yaml(src)
    if node is None:
        return None, diags or [src.diag(1, 1, "the annotation file is empty (it holds no YAML, or only comments)",
                                        "write 'annotations:' and the notes under it, or 'annotations: []' "
                                        "while there are none yet")]
    v = Validator(src, diags)
    values = v.mapping(node, ANNOTATIONS_FILE_FIELDS, "the annotation file")
    if values is None:
        return None, diags
    out: list[Annotation] = []
    seen: dict[str, yaml.Node] = {}
    for item in values.get("annotations", []):
        if item is None or not {"id", "type", "quote", "note"} <= item.keys():
            continue
        nodes = _nodes(item)
        ann_id = item["id"]
        if ann_id in seen:
            first = seen[ann_id].start_mark.line + 1
            v.error(nodes["id"], f"duplicate annotation id '{ann_id}' (first used on line {first})",
                    "give each annotation its own id: it is the note's address in the page")
            continue
        seen[ann_id] = nodes["id"]
        if item["type"] == "correction" and "@correction" not in item and "!unknown" not in item:
            v.error(nodes["type"], f"annotation '{ann_id}' is a correction but has no 'correction:'",
                    "add 'correction:' with what the record shows, or use type: context")
            continue
        if item["type"] != "correction" and "@correction" in item:
            v.error(nodes["correction"], f"'correction:' is only for type correction (this one is {item['type']})",
                    "change type: to correction, or fold the text into the note")
            continue
        if record_ids is not None:
            for rnode in _record_nodes(nodes.get("records")):
                rid = rnode.value
                if ID_RE.fullmatch(rid) and rid not in record_ids:
                    near = did_you_mean(rid, sorted(record_ids))
                    v.error(rnode, f"unknown record id '{rid}'" + (f": {near}" if near else ""),
                            f"add the record to annotations/{REGISTRY} or fix the id")
        out.append(_annotation(item, nodes))
    return AnnotationFile(src, out, values.get("article_sha256", ""), _nodes(values)), diags


def _annotation(item: dict[str, Any], nodes: dict[str, yaml.Node]) -> Annotation:
    """An annotation from its validated values (links that failed validation are left out)."""
    links = tuple(Link(x["url"], x["title"], x.get("publisher", ""))
                  for x in item.get("links", ()) if x and "url" in x and "title" in x)
    return Annotation(
        id=item["id"], type=item["type"], quote=item["quote"], note=item["note"],
        prefix=item.get("prefix", ""), suffix=item.get("suffix", ""), correction=item.get("correction", ""),
        records=tuple(item.get("records", ())), links=links, important=item.get("important", False), nodes=nodes,
    )


def _load_valid(src: SourceFile, record_ids: frozenset[str] | None) -> AnnotationFile | None:
    """The file as the exact path loads it, when the exact path would find no problem; else None."""
    values = valid_values(src.text, ANNOTATIONS_FILE_FIELDS)
    if values is None:
        return None
    out: list[Annotation] = []
    seen: set[str] = set()
    for item in values["annotations"]:
        ann_id = item["id"]
        records = item.get("records", ())
        if ann_id in seen or (item["type"] == "correction") != ("correction" in item) or (
                record_ids is not None and not record_ids.issuperset(records)):
            return None
        seen.add(ann_id)
        out.append(_annotation(item, NO_NODES))
    return AnnotationFile(src, out, values.get("article_sha256", ""), NO_NODES)


def _record_nodes(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return [n for n in node.value if isinstance(n, yaml.ScalarNode)]
    return []


def load_registry(root: Path, rel: str) -> tuple[dict[str, Record], list[Diagnostic]]:
    """The records registry rel of the collection at root (none if there is no such file)."""
    if not (root / rel).is_file():
        return {}, []
    src, diags = read_source(root, rel)
    if src is None:
        return {}, diags
    fast = _registry_valid(src)
    if fast is not None:
        return fast, []
    node, diags = compose_yaml(src)
    if node is None:
        return {}, diags
    v = Validator(src, diags)
    values = v.mapping(node, REGISTRY_FIELDS, "the records registry")
    records: dict[str, Record] = {}
    for item in (values or {}).get("records", []):
        if item is None or not {"id", "title", "issuer", "kind", "date"} <= item.keys():
            continue
        rid = item["id"]
        if rid in records:
            v.error(item["@id"], f"duplicate record id '{rid}'", "list each record once; cite it by id everywhere")
            continue
        records[rid] = Record(**{f.name: item[f.name] for f in RECORD_FIELDS if f.name in item})
        _check_url_evidence(v, item)
    return records, diags


def _url_evidence_problem(item: dict[str, Any]) -> str:
    """What is wrong with the evidence for a record's url: '' when nothing, else 'missing' or 'both'.

    A url is published only with its evidence: ``accessed:`` (the day it was seen) or ``unverified:
    true`` (it was not seen, and the page says "address not verified") — never both.
    """
    if "url" not in item:
        return ""
    if item.get("unverified") and "accessed" in item:
        return "both"
    return "" if item.get("unverified") or "accessed" in item else "missing"


def _check_url_evidence(v: Validator, item: dict[str, Any]) -> None:
    problem = _url_evidence_problem(item)
    if problem == "both":
        v.error(item["@unverified"], f"record '{item['id']}' is marked unverified but has 'accessed:'",
                "a url seen on a date is verified: remove 'unverified: true', or remove 'accessed:' "
                "if the page was not seen holding the record")
    elif problem == "missing":
        v.error(item["@url"], f"record '{item['id']}' has a url but no 'accessed:' date",
                "add 'accessed: YYYY-MM-DD', the day you saw the page hold the record, "
                "or 'unverified: true' if you did not see it", severity="warning")


def _registry_valid(src: SourceFile) -> dict[str, Record] | None:
    """The registry as the exact path loads it, when the exact path would find no problem; else None
    (faster than the exact path: docs/performance.md, "Figures behind the code")."""
    values = valid_values(src.text, REGISTRY_FIELDS)
    if values is None:
        return None
    records: dict[str, Record] = {}
    for item in values["records"]:
        if item["id"] in records or _url_evidence_problem(item):
            return None  # a duplicate id or a url without evidence: the exact path reports it
        records[item["id"]] = Record(**item)
    return records
