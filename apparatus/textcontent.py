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

_ATTRS = r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*"""  # attributes, quoted values may hold ">"
_SPECIAL = ("article", "mark", "script", "style", "title", "textarea", "pre", "listing", "template", "plaintext",
            "noscript", "xmp", "iframe", "noembed", "noframes")
_TOKEN = re.compile(  # what changes how the text around it is read; any other tag only separates text
    r"<(?:(/?)(" + "|".join(_SPECIAL) + r")(?=[\t\n\f />])(" + _ATTRS + r")>"  # a tag of those elements
    r"|!--.*?-->"  # a comment
    r"|[!?][^>]*>)",  # a declaration (<!DOCTYPE …>) or a bogus comment
    re.S | re.I)
_TAG = re.compile(r"</?[A-Za-z][^\t\n\f />]*" + _ATTRS + ">")  # any other tag
_DATA_ANN = re.compile(r"""\bdata-ann\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RAW = ("script", "style")  # raw text: in textContent as written
_ESCAPED = ("title", "textarea")  # text with character references, no tags
_REFUSED = ("template", "plaintext", "noscript", "xmp", "iframe", "noembed", "noframes")
_NEWLINE_DROPPED = ("pre", "listing", "textarea")  # a newline right after the start tag is not text
_CLOSE = {name: re.compile(rf"</{name}[\t\n\f />]", re.I) for name in (*_RAW, *_ESCAPED)}


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
    """Read the page in two stretches, up to ``stop_after`` and then on, so that neither the tokens nor the
    text after the last highlight are read further than the suffix needs."""
    scan = _Scan(page, ids, tail)
    for end in (min(stop_after, len(page)), len(page)):
        if scan.read(end) or scan.text_until(end):
            break
    if not scan.started:
        return None
    return "".join(scan.parts), scan.ranges


class _Scan:
    def __init__(self, page: str, ids: set[str], tail: int) -> None:
        self.page, self.ids, self.tail = page, ids, tail
        self.parts: list[str] = []
        self.size = 0  # code points in parts
        self.depth = 0  # open <article> elements, once the first has started
        self.started = False
        self.marks: list[list[str]] = []  # the ids of each open <mark>
        self.ranges: dict[str, tuple[int, int]] = {}
        self.last = -1  # where the last highlight ended
        self.pos = 0
        self.drop_newline = False

    def done(self) -> bool:
        """The first <article> ended, or every highlight was read with the text its suffix needs."""
        return self.started and (not self.depth or (not self.marks and self.last >= 0 and
                                                    self.size >= self.last + self.tail and
                                                    len(self.ranges) == len(self.ids)))

    def text_until(self, end: int) -> bool:
        """Read the text from the last token up to end; whether the scan is done."""
        if self.depth and self.pos < end:
            self._add(_text(self.page[self.pos:end], self.drop_newline))
            self.drop_newline = False
            self.pos = end
        return self.done()

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def read(self, end: int) -> bool:
        """Read the tokens up to end (and the text between them); whether the scan is done."""
        for m in _TOKEN.finditer(self.page, self.pos, end):
            if m.start() < self.pos:
                continue  # inside a raw-text element already read
            if self.text_until(m.start()) and not self.marks:
                return True
            self.drop_newline = False
            self.pos = m.end()
            name = m.group(2)
            if name is not None and self._tag(name.lower(), bool(m.group(1)), m.group(3)):
                return True
        return False

    def _tag(self, name: str, closing: bool, attrs: str) -> bool:
        """Take a special tag into account; whether the first <article> ended."""
        if name in _REFUSED:
            raise Unsupported(name)
        if closing:
            if name == "article" and self.started:
                self.depth -= 1
                return self.depth == 0
            if name == "mark" and self.marks and self.depth:
                for ann in self.marks.pop():
                    self.ranges[ann] = (self.ranges.get(ann, (self.size, self.size))[0], self.size)
                self.last = self.size
            return False
        if name == "article":
            self.started = True
            self.depth += 1
        elif name == "mark" and self.depth:
            found = _DATA_ANN.search(attrs)
            names = [a for a in ((found.group(1) or found.group(2) or "").split() if found else ()) if a in self.ids]
            for ann in names:
                self.ranges.setdefault(ann, (self.size, self.size))
            self.marks.append(names)
        elif name in _RAW or name in _ESCAPED:
            self._raw_text(name)
        self.drop_newline = name in _NEWLINE_DROPPED
        return False

    def _raw_text(self, name: str) -> None:
        """The content of a script, style, title or textarea: up to its end tag, never tags."""
        close = _CLOSE[name].search(self.page, self.pos)
        end = close.start() if close else len(self.page)
        if self.depth:
            raw = self.page[self.pos:end]
            text = html.unescape(raw) if name in _ESCAPED else raw
            self._add(text[1:] if name == "textarea" and text.startswith("\n") else text)
        self.pos = end


def _text(raw: str, drop_newline: bool) -> str:
    """The text of a stretch of the page between two special tokens: other tags removed, references decoded
    piece by piece (a reference does not run across a tag). ``drop_newline``: the stretch follows a <pre>."""
    if drop_newline and raw.startswith("\n"):
        raw = raw[1:]
    if "<" in raw:
        pieces = _TAG.split(raw)
        text = "".join(html.unescape(x) if "&" in x else x for x in pieces) if "&" in raw else "".join(pieces)
    else:
        text = html.unescape(raw) if "&" in raw else raw
    return text
