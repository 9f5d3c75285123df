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

from . import archives
from .errors import Diagnostic
from .fastyaml import Typed
from .kinds import KINDS, TYPES
from .schema import ID_RE, Field, Validator, did_you_mean, id_suggestion, load_yaml
from .sources import KeyPath, SourceFile, YamlDoc, read_source

REGISTRY = "_records.yaml"
# A correction's verdict (ClaimReview's Rating.alternateName): the key written in YAML → the label published.
# Without verdict:, a correction is "inaccurate": the record contradicts the wording (docs/format.md).
VERDICTS = {"inaccurate": "Inaccurate", "false": "False", "misleading": "Misleading",
            "misattributed": "Misattributed"}
DEFAULT_VERDICT = "inaccurate"

QUOTE_MAX = 2_000  # characters in a quote, prefix or suffix: a long paragraph; bounds the closest-text search

LINK_FIELDS = (
    Field("url", "url", "the address, https://…", required=True, example="https://…"),
    Field("title", "text", "the page's own title", required=True, example='"…"'),
    Field("publisher", "text", "who published it"),
    Field("language", "language", "the BCP 47 language of the title when it is not the site's, e.g. fr",
          example="fr"),
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
    Field("verdict", "enum", "the correction's verdict: inaccurate (the default: a detail is wrong), false (the "
          "claim itself is wrong), misleading (true words, wrong impression) or misattributed (corrections only)",
          choices=tuple(VERDICTS), example="inaccurate"),
    Field("important", "bool", "true to list this correction first in the article's summary"),
    Field("note", "text", "the note in Markdown", required=True, example="|"),
    Field("records", "list", "ids of primary records in annotations/_records.yaml; {id: …, language: fr} cites "
          "the record's version in that language (one of its versions:)", item="cite"),
    Field("links", "list", "other sources: url, title, publisher", item=LINK_FIELDS),
    Field("added", "day", "the day the note was published (YYYY-MM-DD), shown when git history has none: "
          "without git, or before the note is committed", example="2026-11-22"),
)
ANNOTATIONS_FILE_FIELDS = (
    Field("annotations", "list", "the notes on the article (nothing after 'annotations:' while there are none)",
          required=True, item=ANNOTATION_FIELDS, empty=True),
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
    Field("language", "language", "the BCP 47 language of the title when it is not the site's, e.g. fr",
          example="fr"),
    Field("versions", "versions", "the record in other languages: a BCP 47 tag → the address of that version, "
          "each seen holding it on the accessed: day, e.g. fr: https://…", example="{fr: \"https://…\"}"),
)
REGISTRY_FIELDS = (
    Field("records", "list", "the primary records", required=True, item=RECORD_FIELDS),
)


@dataclasses.dataclass(frozen=True)
class Link:
    url: str
    title: str
    publisher: str = ""
    language: str = ""  # of the title, when not the site's


@dataclasses.dataclass
class Annotation:
    id: str
    type: str
    quote: str
    note: str
    prefix: str = ""
    suffix: str = ""
    correction: str = ""
    verdict: str = ""  # a key of VERDICTS, corrections only ("": the default, see verdict_label)
    records: tuple[str, ...] = ()
    record_languages: dict[str, str] = dataclasses.field(default_factory=dict)  # record id → the version cited
    links: tuple[Link, ...] = ()
    important: bool = False
    index: int = -1  # its place in the file's list: its path is ("annotations", index)
    added: str = ""  # YYYY-MM-DD, from git history (apparatus/history.py) or the YAML's `added:`
    revised: str = ""  # YYYY-MM-DD, the last change of the note's block; "" when unknown

    def cite_key(self, rid: str) -> str:
        """The key of a cited record's rendered citation: its id, or id@language for a version."""
        lang = self.record_languages.get(rid)
        return f"{rid}@{lang}" if lang else rid

    @property
    def verdict_label(self) -> str:
        """The published verdict of a correction (its Rating's alternateName); "" for other notes."""
        return VERDICTS[self.verdict or DEFAULT_VERDICT] if self.type == "correction" else ""


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
    language: str = ""  # of the title, when not the site's
    versions: tuple[tuple[str, str], ...] = ()  # (BCP 47 tag, url) of each version in another language

    def version_url(self, language: str) -> str:
        """The address of the record's version in language ('' if it has none)."""
        return dict(self.versions).get(language, "")

    @property
    def version_date(self) -> str:
        """The Robust Links date of the record's links (see :func:`apparatus.archives.version_date`)."""
        return archives.version_date(self.archive_url, self.accessed)


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
_REQUIRED_KEYS = frozenset(f.name for f in ANNOTATION_FIELDS if f.required)
_CONTEXT_KEYS = ("prefix", "suffix")  # what picks one occurrence of a quote


def load_annotations(root: Path, rel: str, record_ids: frozenset[str] | None,
                     record_versions: dict[str, frozenset[str]] | None = None, faulty: frozenset[str] = frozenset()
                     ) -> tuple[AnnotationFile | None, list[Diagnostic]]:
    """Load and validate the annotation file rel of the collection at root. Record ids are checked when the
    registry is known, and the languages a note cites records in when their versions are (record id → tags).
    A record or version the registry has with an error of its own (:attr:`Registry.faulty`) is not reported
    again here: one root cause, one error.

    Values come from :func:`apparatus.schema.load_yaml`; every rule (the fields', then the ones across fields
    and files below) reports a :class:`Problem` by key path, and only those are given positions.
    """
    src, diags = read_source(root, rel)
    if src is None:
        return None, diags
    return parse_annotations(src, record_ids, record_versions, faulty)


def parse_annotations(src: SourceFile, record_ids: frozenset[str] | None,
                      record_versions: dict[str, frozenset[str]] | None = None, faulty: frozenset[str] = frozenset()
                      ) -> tuple[AnnotationFile | None, list[Diagnostic]]:
    """:func:`load_annotations` on a file already read (also a note not written yet: :mod:`apparatus.annotate`)."""
    raw, doc, diags = load_yaml(src)
    if doc is None:
        return None, diags
    if raw is None:
        return None, [src.diag(1, 1, "the annotation file is empty (it holds no YAML, or only comments)",
                               "write 'annotations:' and the notes under it (nothing under it while there are "
                               "none yet)")]
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, ANNOTATIONS_FILE_FIELDS, "the annotation file")
    if values is None:
        return None, doc.report(v.problems)
    out: list[Annotation] = []
    seen: dict[str, int] = {}
    complete = not v.problems  # every item a mapping with all its keys valid: what was written is what was kept
    for i, item in enumerate(values.get("annotations", ())):
        if not complete and (item is None or not item.keys() >= _REQUIRED_KEYS):
            continue
        ann_id = item["id"]
        if ann_id in seen:
            first = doc.line(("annotations", seen[ann_id], "id"))
            v.error(("annotations", i, "id"), f"duplicate annotation id '{ann_id}' (first used on line {first})",
                    "give each annotation its own id: it is the note's address in the page")
            continue
        seen[ann_id] = i
        given = item if complete else raw["annotations"][i]  # the item as written: its keys, valid or not
        if item["type"] == "correction":
            if "correction" not in given and given.keys() <= _ANNOTATION_KEYS:
                v.error(("annotations", i, "type"), f"annotation '{ann_id}' is a correction but has no 'correction:'",
                        "add 'correction:' with what the record shows, or use type: context")
                continue
        elif "correction" in given:
            v.error(("annotations", i, "correction"),
                    f"'correction:' is only for type correction (this one is {item['type']})",
                    "change type: to correction, or fold the text into the note")
            continue
        elif "verdict" in given:
            v.error(("annotations", i, "verdict"),
                    f"'verdict:' is only for type correction (this one is {item['type']})",
                    "remove verdict:, or change type: to correction if the record contradicts the text")
            continue
        cited = item.get("records", ())
        ids = [r if type(r) is str else r["id"] for r in cited]
        if record_ids is not None and not record_ids.issuperset(ids):
            _check_record_ids(v, ("annotations", i), given.get("records"), record_ids, faulty)
        if record_versions is not None:
            _check_cited_versions(v, ("annotations", i), cited, record_versions, faulty)
        if not complete and _context_lost(given, item):
            continue  # anchored without it, its quote would be reported as well (ambiguous): one cause, one error
        out.append(_annotation(item, i))
    return AnnotationFile(src, out, values.get("article_sha256", ""), doc), doc.report(v.problems)


def _context_lost(given: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether a note's prefix or suffix was written (given) but left out of its values (item) for an error of its
    own: a bad value, or a misspelt key ('prefx')."""
    return any(key not in item and (key in _CONTEXT_KEYS or (key not in _ANNOTATION_KEYS
                                                             and did_you_mean(key, _CONTEXT_KEYS)))
               for key in given if type(key) is str)


def _check_cited_versions(v: Validator, path: KeyPath, cited: list[Any],
                          record_versions: dict[str, frozenset[str]], faulty: frozenset[str]) -> None:
    """Report each record cited in a language it has no version in (unknown ids are reported elsewhere)."""
    for k, ref in enumerate(cited):
        if type(ref) is not dict or ref["id"] not in record_versions:
            continue
        rid, lang = ref["id"], ref["language"]
        have = record_versions[rid]
        if lang not in have and f"{rid}@{lang}" not in faulty:
            v.error((*path, "records", k), f"record '{rid}' has no version in '{lang}'" + (
                    f" (its versions: {', '.join(sorted(have))})" if have else " (it lists no versions:)"),
                    f"add {lang}: with the address of that version under the record's versions: in "
                    f"annotations/{REGISTRY}, or cite the record by its id alone")


def _check_record_ids(v: Validator, path: KeyPath, given: Any, record_ids: frozenset[str],
                      faulty: frozenset[str]) -> None:
    """Report each valid record id of an annotation that is not in the registry (nor in it with an error)."""
    for k, rid in enumerate(given if type(given) is list else ()):
        if type(rid) is dict:
            rid = rid.get("id")
        if type(rid) is Typed:
            rid = rid.value
        if type(rid) is str and ID_RE.fullmatch(rid) and rid not in record_ids and rid not in faulty:
            near = did_you_mean(rid, sorted(record_ids))
            v.error((*path, "records", k), f"unknown record id '{rid}'" + (f": {near}" if near else ""),
                    f"add the record to annotations/{REGISTRY} or fix the id")


def _annotation(item: dict[str, Any], index: int) -> Annotation:
    """An annotation from its validated values (links that failed validation are left out)."""
    links = tuple(Link(x["url"], x["title"], x.get("publisher", ""), x.get("language", ""))
                  for x in item.get("links", ()) if x and "url" in x and "title" in x)
    cited = item.get("records", ())
    return Annotation(
        id=item["id"], type=item["type"], quote=item["quote"], note=item["note"],
        prefix=item.get("prefix", ""), suffix=item.get("suffix", ""), correction=item.get("correction", ""),
        verdict=item.get("verdict", ""), records=tuple(r if type(r) is str else r["id"] for r in cited),
        record_languages={r["id"]: r["language"] for r in cited if type(r) is dict}, links=links,
        important=item.get("important", False), index=index, added=item.get("added", ""),
    )


@dataclasses.dataclass(frozen=True)
class Registry:
    """The records registry: its valid records, and the cite keys (:meth:`Annotation.cite_key`) of those written
    but left out for an error of their own (a record: its id; a version: id@tag). A note citing one of those is
    not told the record is unknown: one root cause, one error (the record's)."""

    records: dict[str, Record]
    diagnostics: list[Diagnostic]
    faulty: frozenset[str] = frozenset()
    complete: bool = True  # False when its list of records could not be read: no id can be called unknown then


def load_registry(root: Path, rel: str) -> tuple[dict[str, Record], list[Diagnostic]]:
    """The records and the diagnostics of the registry rel (:func:`read_registry`)."""
    registry = read_registry(root, rel)
    return registry.records, registry.diagnostics


def read_registry(root: Path, rel: str) -> Registry:
    """The records registry rel of the collection at root (none if there is no such file)."""
    if not (root / rel).is_file():
        return Registry({}, [])
    src, diags = read_source(root, rel)
    if src is None:
        return Registry({}, diags, complete=False)
    return parse_registry(src)


def parse_registry(src: SourceFile) -> Registry:
    """:func:`read_registry` on a file already read."""
    raw, doc, diags = load_yaml(src)
    if doc is None or raw is None:
        return Registry({}, diags, complete=doc is not None)  # a YAML error; or an empty file: no records
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
        records[rid] = Record(**{**item, "versions": tuple(sorted(item.get("versions", {}).items()))})
        _check_url_evidence(v, ("records", i), item)
        if "archive_url" in item:
            _check_archive(v, ("records", i), item)
    return Registry(records, doc.report(v.problems), _faulty(raw, records) if v.problems else frozenset(),
                    complete=values is not None and "records" in values)


def _faulty(raw: Any, records: dict[str, Record]) -> frozenset[str]:
    """The cite keys written in the registry (raw, as read) that validation left out of records: a record whose
    id or other values have an error (an invalid id counts as the id it suggests: 'HRC46' as 'hrc46'), or a
    version whose address or tag has one."""
    items = raw.get("records") if type(raw) is dict else None
    out: set[str] = set()
    for item in items if type(items) is list else ():
        rid = item.get("id") if type(item) is dict else None
        if type(rid) is not str:
            continue
        if not ID_RE.fullmatch(rid) or rid not in records:
            out.add(rid if ID_RE.fullmatch(rid) else id_suggestion(rid))
            continue
        versions = item.get("versions")
        have = dict(records[rid].versions)
        out.update(f"{rid}@{tag}" for tag in (versions if type(versions) is dict else ())
                   if type(tag) is str and tag not in have)
    return frozenset(out)


def _check_url_evidence(v: Validator, path: KeyPath, item: dict[str, Any]) -> None:
    """A url is published only with its evidence: ``accessed:`` (the day it was seen) or ``unverified:
    true`` (it was not seen, and the page says "address not verified"), never both. The versions in other
    languages were seen the same day: they need ``accessed:`` too."""
    if "versions" in item and "accessed" not in item:
        v.error((*path, "versions"), f"record '{item['id']}' lists versions but has no 'accessed:' date",
                "add 'accessed: YYYY-MM-DD', the day you saw each version's page hold the record in its language, "
                "or leave out the versions you did not see")
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


ARCHIVE_YEAR = 365  # days: a capture further than this from accessed: may show another state of the page


def _check_archive(v: Validator, path: KeyPath, item: dict[str, Any]) -> None:
    """An archived copy must be a Web Archive capture or a perma.cc link, of the record's own url, not made
    before the record; one made long before or after the url was seen is a warning (:mod:`apparatus.archives`)."""
    at, rid, url = (*path, "archive_url"), item["id"], item["archive_url"]
    copy = archives.parse(url)
    if copy is None:
        v.error(at, f"record '{rid}': archive_url is not a Web Archive or perma.cc address",
                "write the capture's address, https://web.archive.org/web/<14-digit timestamp>/<the record's url>, "
                "or a perma.cc link, https://perma.cc/XXXX-XXXX")
        return
    if copy.service != archives.WEB_ARCHIVE:
        return  # a perma.cc address names neither the page nor the day: nothing more to compare
    if not copy.captured:
        v.error(at, f"record '{rid}': the archive_url's timestamp '{copy.timestamp}' names no real day and time",
                "copy the capture's address from the Web Archive: its timestamp is YYYYMMDDhhmmss")
        return
    if "url" not in item:
        v.error(at, f"record '{rid}' has an archive_url but no url",
                f"add url: {copy.original} (the address the copy was made of) with accessed: or unverified: true")
    elif not archives.same_address(copy.original, item["url"]):
        v.error(at, f"record '{rid}': the archived copy is of {copy.original}, not of the record's url",
                "archive the record's own url, or correct one of the two (they are compared without http/https, "
                "www., the host's letter case, a default port or a #fragment)")
    if copy.captured[:len(item["date"])] < item["date"]:
        v.error(at, f"record '{rid}': the archived copy was made on {copy.captured}, before the record's date "
                f"{item['date']}", "a copy older than the record is of another page: check the timestamp and the url")
    elif "accessed" in item and archives.days_apart(copy.captured, item["accessed"]) > ARCHIVE_YEAR:
        v.error(at, f"record '{rid}': the archived copy ({copy.captured}) and accessed: ({item['accessed']}) are "
                "more than a year apart", "the page may have changed in between: check that the copy shows the "
                "record, or archive the page again and use the new capture", severity="warning")
