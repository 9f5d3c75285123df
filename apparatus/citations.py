"""A record as a citation: CSL-JSON (for Zotero, Pandoc and every CSL processor) and BibTeX (for LaTeX).

Each record page links both files, written beside it (``site.PAGES``). The CSL-JSON is an array of one
item, valid against the Citation Style Language's input schema (csl-data.json, tested). The BibTeX is one
``@misc`` entry keyed by the record's id, with BibTeX's fields (``year``, ``month``) and biblatex's
(``date``, ``urldate``), in UTF-8: non-ASCII characters are written as they are, which biber and any
LaTeX of the last decade read.

In BibTeX text fields LaTeX's special characters are escaped (``\\%``, ``\\&``, ``\\#``, ``\\{``…); BibTeX
counts every brace, escaped or not, so a value whose braces do not pair up gets ``\\textbraceleft{}`` and
``\\textbraceright{}`` instead. Addresses (``url``) are left as written, as the url package and biber read
them; only a brace, a backslash or a space, which would break the entry, is percent-encoded, which names
the same address.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import archives
from .annotations import Record
from .errors import json_controls_escaped

# A record's kind → its CSL type (the closest the CSL vocabulary has: a UN document, a parliament's journal or
# a government statement is a "document"; a bill or an act is "legislation"; a court's decision a "legal_case").
CSL_TYPES = {"un": "document", "parliament": "document", "legislation": "legislation", "government": "document",
             "court": "legal_case", "other": "document"}
ARCHIVES = {archives.WEB_ARCHIVE: "Internet Archive", archives.PERMA_CC: "Perma.cc"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _date_parts(date: str) -> dict[str, Any]:
    return {"date-parts": [[int(x) for x in date.split("-")]]}


def csl_item(record: Record) -> dict[str, Any]:
    """The record as one CSL-JSON item."""
    item: dict[str, Any] = {
        "id": record.id,
        "type": CSL_TYPES[record.kind],
        "title": record.title,
        "author": [{"literal": record.issuer}],  # an institution: one name, never split into given and family
        "issued": _date_parts(record.date),
    }
    if record.symbol:
        item["number"] = record.symbol
    if record.url:
        item["URL"] = record.url
    if record.accessed:
        item["accessed"] = _date_parts(record.accessed)
    copy = archives.parse(record.archive_url) if record.archive_url else None
    if copy is not None:
        item["archive"] = ARCHIVES[copy.service]
        item["archive_location"] = record.archive_url
    if record.note:
        item["note"] = record.note
    return item


def csl_json(context: dict[str, Any]) -> str:
    """records/<id>/record.csl.json: a CSL-JSON array holding the record's item."""
    return json_controls_escaped(json.dumps([csl_item(context["record"])], ensure_ascii=False, indent=2,
                                            sort_keys=True)) + "\n"


_LATEX = {"\\": r"{\textbackslash}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
          "_": r"\_", "~": r"{\textasciitilde}", "^": r"{\textasciicircum}"}
_LATEX_RE = re.compile(r"[\\{}%&#$_~^]")
_UNSAFE_IN_URL = re.compile(r"[{}\\\s]")


def latex(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, braces kept in pairs for BibTeX."""
    braces = {"{": r"\{", "}": r"\}"} if _paired(text) else {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
    table = {**_LATEX, **braces}
    return _LATEX_RE.sub(lambda m: table[m.group(0)], " ".join(text.split()))


def _paired(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _url(url: str) -> str:
    return _UNSAFE_IN_URL.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url)


def bibtex_entry(record: Record) -> str:
    """The record as one BibTeX @misc entry."""
    fields = [("title", "{" + latex(record.title) + "}"),  # double braces: the title's capitals as written
              ("author", "{" + latex(record.issuer) + "}")]  # an institution: one name, "and" inside it kept
    parts = record.date.split("-")
    fields.append(("year", parts[0]))
    if len(parts) > 1:
        fields.append(("month", MONTHS[int(parts[1]) - 1]))
    fields.append(("date", record.date))
    if record.symbol:
        fields.append(("number", latex(record.symbol)))
    if record.url:
        fields.append(("url", _url(record.url)))
    if record.accessed:
        fields.append(("urldate", record.accessed))
    note = [record.note] if record.note else []
    if record.archive_url:
        note.append(f"Archived copy: {record.archive_url}")
    if note:
        fields.append(("note", latex(" ".join(note))))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{record.id},\n{body}\n}}\n"


def bibtex(context: dict[str, Any]) -> str:
    """records/<id>/record.bib: the record's entry, after a comment naming the encoding (as JabRef writes it)."""
    return "% Encoding: UTF-8\n\n" + bibtex_entry(context["record"])
