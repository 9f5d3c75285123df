"""Drafts and placeholders: what ``build.py new`` writes is never published unfilled.

An article whose front matter says ``draft: true`` is a draft: ``build`` and ``check`` skip it (it has no page, and
is in no list, index, feed or export; one line says it was skipped) and ``serve`` shows it, labelled "Draft". The
scaffold's placeholders begin with :data:`MARKER`; once an article is no draft, the marker anywhere in its front
matter's texts, its text or its notes' texts is an error, so a scaffold left unfilled cannot be published.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import Diagnostic
from .sources import KeyPath, SourceFile, YamlDoc

MARKER = "TODO:"  # what every placeholder of the scaffold starts with (docs/format.md, "Drafts")
HINT = (f"write the real text in place of the placeholder ('{MARKER} …'); while the article is not ready, put "
        "'draft: true' in its front matter: build and check skip drafts")


def placeholders(doc: YamlDoc, values: Iterable[tuple[KeyPath, Any]]) -> list[Diagnostic]:
    """An error at each text value (key path, value) that holds the marker, at the marker."""
    return [doc.at(path, f"'{path[-1]}' still holds a placeholder ('{MARKER}')", HINT, offset=value.find(MARKER))
            for path, value in values if type(value) is str and MARKER in value]


def placeholder_in_text(body: SourceFile) -> list[Diagnostic]:
    """An error at the first marker in an article's text (one for the text: the count says how many more)."""
    text = body.text
    at = text.find(MARKER)
    if at < 0:
        return []
    more = text.count(MARKER) - 1
    line = body.first_line + text.count("\n", 0, at)
    col = at - text.rfind("\n", 0, at)
    return [body.diag(line, col, "the article's text still holds a placeholder "
                      f"('{MARKER}'){f', and {more} more' if more else ''}", HINT)]
