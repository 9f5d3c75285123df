"""Each note as a W3C Web Annotation (JSON-LD), and each article's notes as a file the Hypothesis client imports.

Every id is an absolute address, so these files exist only with site.yaml's ``base_url`` (as sitemap.xml):

- ``articles/<slug>/annotations.jsonld``: an ``AnnotationPage`` of the article's notes, in reading order,
  one page of the site's ``AnnotationCollection``, ``annotations.jsonld`` (pages in article order, with
  ``partOf``, ``startIndex`` and ``next``/``prev``);
- ``vocab.jsonld``: the ``correcting`` motivation of corrections, an ``oa:Motivation`` narrower than
  ``oa:editing`` (the model has no motivation for it);
- ``articles/<slug>/annotations.hypothesis.json``: the shape the Hypothesis client's import reads
  (``src/sidebar/helpers/import.ts``, ``services/import-annotations.ts``; docs/open-data.md says what of it
  was checked).

A note's annotation is made with its article (:func:`article_items`, from the article page as built: its
selectors count code points of the ``<article>`` element's text, :mod:`apparatus.textcontent`); the pages
around the annotations need the whole collection (start indexes) and are rendered with the collection's
pages (site.PAGES). All JSON is written by :func:`dumps`, which escapes every control character.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from .annotations import Annotation, Record
from .errors import json_controls_escaped
from .markdown import without_spans
from .textcontent import article_ranges

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
COLLECTION = "annotations.jsonld"  # the site's AnnotationCollection, at the site root
VOCAB = "vocab.jsonld"
PAGE = "annotations.jsonld"  # an article's AnnotationPage, beside its page
HYPOTHESIS = "annotations.hypothesis.json"  # an article's notes for the Hypothesis client's import
AFFIX = 32  # code points of text kept before and after a quote (as the Hypothesis client does)
MOTIVATIONS = {"context": "commenting", "source": "linking"}  # a correction's is correcting(base_url)
TAGS = {"correction": "correction", "context": "context", "source": "source"}


def correcting(base_url: str) -> str:
    """The full IRI of the correcting motivation, defined in the site's vocabulary document."""
    return f"{base_url}{VOCAB}#correcting"


@dataclasses.dataclass(frozen=True)
class SiteInfo:
    """What the annotations say of the site (from site.yaml)."""

    base_url: str
    title: str
    language: str
    publisher: str = ""  # who publishes the notes (site.yaml's publisher, else its title)


@dataclasses.dataclass(frozen=True)
class Selection:
    """A note's passage in the ``<article>`` element's text: code points [start, end), and the text around."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


# --- JSON ------------------------------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one, not one per call


def dumps(value: Any) -> str:
    """Compact JSON, keys in the order written (deterministic), every control character escaped."""
    return json_controls_escaped(_ENCODER.encode(value))


def uri(address: str) -> str:
    """An address as a URI (RFC 3986): what a URI may not hold as it is (non-ASCII characters as UTF-8, spaces,
    ``<`` ``>`` ``"`` and the like) percent-encoded; the W3C test suite checks format uri, and not every consumer
    takes an IRI."""
    return quote(address, safe="!#$%&'()*+,/:;=?@[]~")


# --- an article's notes ----------------------------------------------------------------------------------------

def selections(page: str, ids: list[str], marked_until: int) -> dict[str, Selection]:
    """Each highlighted note's :class:`Selection` in the page's ``<article>`` element; none for a page whose
    template has no ``<article>`` around the text (or that :mod:`apparatus.textcontent` does not read).
    ``marked_until``: the offset in the page after which no highlight can lie (the end of the article body)."""
    found = article_ranges(page, set(ids), AFFIX, marked_until)
    if found is None:
        return {}
    text, ranges = found
    return {ann_id: Selection(start, end, text[start:end], text[max(start - AFFIX, 0):start], text[end:end + AFFIX])
            for ann_id, (start, end) in ranges.items()}


def _quote_selector(sel: Selection) -> dict[str, str]:
    out = {"type": "TextQuoteSelector", "exact": sel.exact}
    if sel.prefix:
        out["prefix"] = sel.prefix
    if sel.suffix:
        out["suffix"] = sel.suffix
    return out


def _agents(site: SiteInfo) -> dict[str, Any]:
    return {"creator": {"type": "Organization", "name": site.publisher or site.title, "homepage": site.base_url},
            "generator": {"type": "Software", "name": "Apparatus"}}


def _day(date: str) -> str:
    """A YYYY-MM-DD day as the xsd:dateTime the model requires: the day is what is known."""
    return f"{date}T00:00:00Z"


def annotation(ann: Annotation, site: SiteInfo, article_url: str, article_language: str, note_html: str,
               selection: Selection | None, record_urls: dict[str, str]) -> dict[str, Any]:
    """One note as a W3C Web Annotation (without @context: it sits in a page that has it)."""
    body: list[dict[str, Any]] = [{"type": "TextualBody", "value": note_html, "format": "text/html",
                                   "language": site.language}]
    if ann.type == "correction":
        body.append({"type": "TextualBody", "value": ann.correction, "format": "text/plain",
                     "language": article_language, "purpose": "editing"})
    body += [{"type": "SpecificResource", "source": record_urls[rid], "purpose": "linking"} for rid in ann.records]
    body += [{"type": "SpecificResource", "source": uri(link.url), "purpose": "linking"} for link in ann.links]
    target: dict[str, Any] = {"type": "SpecificResource", "source": article_url}
    if selection is not None:
        target["selector"] = [_quote_selector(selection),
                              {"type": "TextPositionSelector", "start": selection.start, "end": selection.end}]
    out: dict[str, Any] = {"id": f"{article_url}#{ann.id}", "type": "Annotation",
                           "motivation": MOTIVATIONS.get(ann.type) or correcting(site.base_url),
                           "body": body, "target": target}
    if ann.added:
        out["created"] = _day(ann.added)
    if ann.revised:
        out["modified"] = _day(ann.revised)
    return {**out, **_agents(site)}


def article_items(notes: list[Annotation], site: SiteInfo, article_url: str, article_language: str,
                  notes_html: dict[str, str], found: dict[str, Selection], record_url: Any) -> str:
    """The article's annotations, in reading order, as the JSON of an AnnotationPage's items (without the
    brackets: the page is put together with the collection, :func:`annotation_page`)."""
    return ",\n".join(dumps(annotation(a, site, article_url, article_language, notes_html[a.id], found.get(a.id),
                                       {rid: site.base_url + record_url(rid) for rid in a.records}))
                      for a in notes)


def collection_of(site: SiteInfo, total: int) -> dict[str, Any]:
    """The collection's description, as a page's ``partOf`` gives it (the W3C suite checks it is an object)."""
    return {"id": site.base_url + COLLECTION, "label": f"{site.title}: notes", "total": total}


def annotation_page(items: str, page_id: str, collection: dict[str, Any], start: int, prev: str, next_: str) -> str:
    """An article's AnnotationPage: its annotations (:func:`article_items`) and its place in the collection."""
    head: dict[str, Any] = {"@context": CONTEXT, "id": page_id, "type": "AnnotationPage", "partOf": collection,
                            "startIndex": start}
    if prev:
        head["prev"] = prev
    if next_:
        head["next"] = next_
    return dumps(head)[:-1] + ',"items":[\n' + items + ("\n" if items else "") + "]}\n"


def annotation_collection(site: SiteInfo, total: int, pages: list[str]) -> str:
    """The site's AnnotationCollection: every note of every article, one page per article."""
    about = collection_of(site, total)
    out: dict[str, Any] = {"@context": CONTEXT, "id": about["id"], "type": "AnnotationCollection",
                           "label": about["label"], "total": total}
    if pages:
        out["first"], out["last"] = pages[0], pages[-1]
    return dumps({**out, **_agents(site)}) + "\n"


def vocabulary(site: SiteInfo) -> str:
    """The vocabulary document that defines the correcting motivation (served as vocab.jsonld)."""
    return dumps({
        "@context": [CONTEXT, {"broader": {"@id": "skos:broader", "@type": "@vocab"},
                               "prefLabel": {"@id": "skos:prefLabel", "@language": "en"},
                               "definition": {"@id": "skos:definition", "@language": "en"}}],
        "id": correcting(site.base_url),
        "type": ["Motivation", "skos:Concept"],
        "prefLabel": "correcting",
        "broader": "editing",
        "definition": "The motivation for when the primary record contradicts the target text: the annotation "
                      "explains the contradiction, cites the record, and gives the corrected wording as a body "
                      "whose purpose is editing.",
    }) + "\n"


# --- the Hypothesis export -------------------------------------------------------------------------------------

_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()<>#!|~&])")


def _md(text: str) -> str:
    """Plain text as Markdown that shows it as written, on one line."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(text.split()))


def _md_link(title: str, url: str) -> str:
    return f"[{_md(title)}](<{url.replace('<', '%3C').replace('>', '%3E')}>)"


def hypothesis_text(ann: Annotation, registry: dict[str, Record], record_url: Any, base_url: str) -> str:
    """A note as Hypothesis shows it: its Markdown, then the correction and the sources as Markdown."""
    parts = [without_spans(ann.note).strip()]
    if ann.type == "correction":
        parts.append(f"**The record shows:** {_md(ann.correction)}")
    if ann.records:
        parts.append("**Primary records:**\n\n" + "\n".join(
            f"- {_md_link(registry[rid].title, base_url + record_url(rid))}" for rid in ann.records))
    if ann.links:
        parts.append("**Other sources:**\n\n" + "\n".join(
            f"- {_md_link(link.title, link.url)}" + (f" — {_md(link.publisher)}" if link.publisher else "")
            for link in ann.links))
    return "\n\n".join(parts)


def hypothesis_export(notes: list[Annotation], site: SiteInfo, article_url: str, title: str,
                      found: dict[str, Selection], registry: dict[str, Record], record_url: Any) -> str:
    """The article's notes in the shape the Hypothesis client's import reads: ``{"annotations": [...]}``, each
    with the fields it keeps (target, text, tags, uri, document) and those its import dialog needs (user:
    a file's notes are offered by author; permissions: read to tell shared from private)."""
    user = f"acct:apparatus@{urlsplit(site.base_url).hostname or 'localhost'}"
    out = []
    for a in notes:
        target: dict[str, Any] = {"source": article_url}
        sel = found.get(a.id)
        if sel is not None:
            target["selector"] = [_quote_selector(sel)]
        out.append({"uri": article_url, "target": [target],
                    "text": hypothesis_text(a, registry, record_url, site.base_url),
                    "tags": [TAGS[a.type]], "document": {"title": [title]},
                    "user": user, "user_info": {"display_name": site.publisher or site.title},
                    "permissions": {"read": ["group:__world__"], "update": [user], "delete": [user]}})
    return dumps({"annotations": out}) + "\n"
