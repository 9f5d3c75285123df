"""Where each note's highlight lies in the text of an article page's ``<article>`` element.

The W3C Web Annotation selectors of a note (:mod:`apparatus.webannotation`) count Unicode code points
of the ``<article>`` element's ``textContent``, the text a browser's DOM gives for it (Python's ``str``
indexes code points; JavaScript's ``String`` indexes UTF-16 units, so a script compares with
``Array.from(textContent)``). A note's range runs from the start of its first ``<mark>`` to the end of
its last one, so it holds what the page shows there, other notes' reference numbers included.

The page is tokenised here rather than by ``html.parser``, which takes about 20 ms for an article page
(most of a whole article's build, docs/performance.md): the page is the output of Jinja's autoescaping
and of markdown-it (raw HTML off), where every ``<`` in text is escaped. The tokeniser follows the HTML
standard's rules for what it meets in such pages (tags with quoted attributes, comments, declarations,
script and style as raw text, title and textarea as escaped text, the newline dropped after ``<pre>``,
character references, CR LF as LF) and gives up (None) on what it does not follow (``<template>``,
``<plaintext>``, NUL, ``<noscript>`` and the other raw-text elements) rather than guess. tests/
test_textcontent.py compares it with ``html.parser`` and tests/test_webannotation_browser.py with
Chromium. Scanning stops once the last highlight and the text a suffix needs are read.
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(
    r"<!--.*?-->"  # a comment
    r"|<(/?)([A-Za-z][^\t\n\f />]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"  # a start or end tag
    r"|<[!?][^>]*>",  # a declaration (<!DOCTYPE …>) or a bogus comment
    re.S)
_DATA_ANN = re.compile(r"""\bdata-ann\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RAW = ("script", "style")  # raw text: in textContent as written
_ESCAPED = ("title", "textarea")  # text with character references, no tags
_REFUSED = ("template", "plaintext", "noscript", "xmp", "iframe", "noembed", "noframes")
_NEWLINE_DROPPED = ("pre", "listing", "textarea")  # a newline right after the start tag is not text


class Unsupported(Exception):
    """The page has something this tokeniser does not follow."""


def article_ranges(page: str, ids: set[str], tail: int, stop_after: int = 0
                   ) -> tuple[str, dict[str, tuple[int, int]]] | None:
    """The text of the page's first ``<article>`` element (up to ``tail`` code points past the last
    highlight, once the page is read past ``stop_after``) and each highlighted note's (start, end) in it.
    None when the page has no ``<article>`` or something the tokeniser does not follow."""
    if "\r" in page:
        page = page.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in page:
        return None
    try:
        return _scan(page, ids, tail, stop_after)
    except Unsupported:
        return None


def _scan(page: str, ids: set[str], tail: int, stop_after: int) -> tuple[str, dict[str, tuple[int, int]]] | None:
    parts: list[str] = []
    size = 0  # code points in parts
    depth = 0  # open <article> elements, once the first has started
    started = False
    marks: list[list[str]] = []  # the ids of each open <mark>
    ranges: dict[str, tuple[int, int]] = {}
    last = -1  # where the last highlight ended
    pos = 0
    drop_newline = False
    for m in _TOKEN.finditer(page):
        if m.start() < pos:
            continue  # inside a raw-text element already consumed
        if depth and m.start() > pos:
            text = _text(page[pos:m.start()], drop_newline)
            parts.append(text)
            size += len(text)
        drop_newline = False
        pos = m.end()
        name = m.group(2)
        if name is None:
            continue  # a comment or declaration: not text
        name = name.lower()
        if name in _REFUSED:
            raise Unsupported(name)
        if m.group(1):  # an end tag
            if name == "article" and started:
                depth -= 1
                if depth == 0:
                    break
            elif name == "mark" and marks and depth:
                for ann in marks.pop():
                    start = ranges.get(ann, (size, size))[0]
                    ranges[ann] = (start, size)
                last = size
            continue
        if name == "article":
            if not started:
                started = True
            if started:
                depth += 1
        elif name == "mark" and depth:
            found = _DATA_ANN.search(m.group(3))
            names = [a for a in ((found.group(1) or found.group(2) or "").split() if found else ()) if a in ids]
            for ann in names:
                ranges.setdefault(ann, (size, size))
            marks.append(names)
        elif name in _RAW or name in _ESCAPED:
            close = re.compile(rf"</{name}[\t\n\f />]", re.I).search(page, pos)
            end = close.start() if close else len(page)
            if depth:
                raw = page[pos:end]
                text = html.unescape(raw) if name in _ESCAPED else raw
                if name == "textarea" and text.startswith("\n"):
                    text = text[1:]
                parts.append(text)
                size += len(text)
            pos = end
        drop_newline = name in _NEWLINE_DROPPED
        if depth and last >= 0 and not marks and pos > stop_after and size >= last + tail and len(ranges) == len(ids):
            break
    if not started:
        return None
    if depth and pos < len(page) and not (last >= 0 and size >= last + tail):
        text = _text(page[pos:], drop_newline)
        parts.append(text)
    return "".join(parts), ranges


def _text(raw: str, drop_newline: bool) -> str:
    text = html.unescape(raw) if "&" in raw else raw
    return text[1:] if drop_newline and text.startswith("\n") else text
