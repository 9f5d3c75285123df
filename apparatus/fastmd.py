"""A fast path for ``ARTICLE_MD.parse``: the same token stream, several times faster on article prose.

``parse(text)`` returns exactly what ``apparatus.markdown.ARTICLE_MD.parse(text)`` returns (same tokens,
fields and children) for every input. It handles a well-defined subset of CommonMark itself and hands
anything else to markdown-it-py: the whole document when the block structure is outside the subset,
one paragraph's inline content when only that paragraph is.

Block subset (else the whole document goes to ``ARTICLE_MD.parse``)
    The text has no ``\\r``, NUL or tab, and no ``]:`` (so no link reference definition can exist, the
    env never gets ``references``, and ``[x]`` / ``[x][y]`` are never links). Every non-blank line is
    either an ATX heading (``#``-``######``, then a space or the end of the line, not ending in ``#``)
    or a paragraph line whose start cannot open or interrupt another block: not a space; not ``>``,
    `````, ``~``, ``<`` or ``#``; not ``*``/``-``/``+``/``_``/``=`` followed by a space or the end of
    the line; not a line made only of those markers and spaces (thematic breaks, setext underlines);
    not digits followed by ``.`` or ``)``. A blank line is empty or spaces only. With those lines the
    only block rules markdown-it can fire are ``heading`` (which also ends a paragraph) and
    ``paragraph``; their tokens are rebuilt here field by field (``map`` = [first line, line after],
    paragraph content = the lines joined by ``\\n`` and trimmed with markdown-it's ``mdTrim``, heading
    content = ``mdTrim`` of the text after the marker).

Inline subset (else that inline token is parsed by ``ARTICLE_MD.inline.parse`` + core ``text_join``,
    exactly as markdown-it's core ``inline`` rule does)
    No backslash, backtick, ``<``, ``![`` or ``&`` followed by ``#`` or a letter: so the escape,
    backticks, autolink, html_inline, image and entity rules never fire, and no ``text_special`` token
    exists (``text_join`` is then a no-op). What remains is text, line breaks (softbreak; hardbreak
    after two or more trailing spaces), ``*``/``_`` emphasis, and inline links ``[label](dest)`` whose
    label contains no ``[`` and whose destination is a non-empty run without whitespace, parentheses,
    ``<``, ``>``, backslash or ``&`` closed directly by ``)``. Any other ``[`` followed by ``](`` falls
    back; a ``[`` with no later ``]``, or whose ``]`` is not followed by ``(``, is text (no references).
    For that subset this module is a line-by-line port of markdown-it-py 4.3.0's ``text``,
    ``newline``, ``emphasis`` (``scanDelims`` with the same Unicode whitespace/punctuation predicates,
    called from markdown-it itself), ``link``, ``balance_pairs`` (rule of 3, openers_bottom, jumps),
    emphasis ``postProcess`` (strong from adjacent pairs, emptied outer markers) and
    ``fragments_join`` (levels recomputed, adjacent text merged), working on plain lists instead of
    ``StateInline`` and ``Token`` objects; link ``href`` is ``ARTICLE_MD.normalizeLink`` of the
    destination (``unescapeAll`` is the identity without ``\\`` and ``&``; ``validateLink`` accepts all).

At import the parser's configuration (options, active rules) is checked against the one this port
was written for; if it differs, every call falls back. tests/test_fastmd.py compares both parsers on
real, generated, hand-written and randomly generated documents.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace, mdTrim
from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token

from .markdown import ARTICLE_MD

__all__ = ["FastPathStats", "fast_path_used", "parse", "parse_with_stats"]


def _configuration_supported() -> bool:
    md = ARTICLE_MD
    opts = md.options
    return (
        md.core.ruler.get_active_rules() == ["normalize", "block", "inline", "text_join"]
        and md.block.ruler.get_active_rules() == ["code", "fence", "blockquote", "hr", "list", "reference",
                                                  "html_block", "heading", "lheading", "paragraph"]
        and md.inline.ruler.get_active_rules() == ["text", "newline", "escape", "backticks", "emphasis", "link",
                                                   "image", "autolink", "html_inline", "entity"]
        and md.inline.ruler2.get_active_rules() == ["balance_pairs", "emphasis", "fragments_join"]
        and not opts.get("html") and not opts.get("linkify") and not opts.get("typographer")
        and opts.get("maxNesting", 0) >= 3
        and not opts.get("store_labels") and not opts.get("inline_definitions")
        and md.validateLink("javascript:x")  # the accept-everything validator
        and {c for c in map(chr, range(128)) if md.inline.terminator_re.match(c)} == set("\n!#$%&*+-:<=>@[\\]^_`{}~")
        and not getattr(md.inline, "_extra_terminator_chars", None)
    )


_ENABLED = _configuration_supported()

# --- Token construction -------------------------------------------------------------------------------------

_TOKEN_FIELDS = ("type", "tag", "nesting", "attrs", "map", "level", "children", "content", "markup", "info",
                 "meta", "block", "hidden")
_FAST_TOKENS = tuple(f.name for f in dataclasses.fields(Token)) == _TOKEN_FIELDS and hasattr(Token, "__slots__")
_new = object.__new__


def _token(ttype: str, tag: str, nesting: int, level: int, content: str = "", markup: str = "",
           attrs: dict[str, str | int | float] | None = None, block: bool = False,
           map_: list[int] | None = None) -> Token:
    """Token(ttype, tag, nesting) with these fields set, without the dataclass __init__ overhead."""
    if not _FAST_TOKENS:  # pragma: no cover - only if markdown-it's Token changes shape
        tok = Token(ttype, tag, nesting)  # type: ignore[arg-type]
        tok.level, tok.content, tok.markup, tok.block, tok.map = level, content, markup, block, map_
        if attrs:
            tok.attrs = attrs
        return tok
    tok = _new(Token)
    tok.type = ttype
    tok.tag = tag
    tok.nesting = nesting  # type: ignore[assignment]
    tok.attrs = {} if attrs is None else attrs
    tok.map = map_
    tok.level = level
    tok.children = None
    tok.content = content
    tok.markup = markup
    tok.info = ""
    tok.meta = {}
    tok.block = block
    tok.hidden = False
    return tok


def _block_token(ttype: str, tag: str, nesting: int, level: int, markup: str = "",
                 map_: list[int] | None = None) -> Token:
    return _token(ttype, tag, nesting, level, "", markup, None, True, map_)


# --- Inline ---------------------------------------------------------------------------------------------------

_INLINE_UNSAFE = re.compile(r"[\\`<]|&[#A-Za-z]|!\[")
_LINK_DEST = re.compile(r"\(([^\s()<>\\&\x00-\x1f\x7f]+)\)")

_char_class: dict[str, tuple[bool, bool]] = {}


def _classify(ch: str) -> tuple[bool, bool]:
    """(punctuation, whitespace) exactly as StateInline.scanDelims decides them."""
    got = _char_class.get(ch)
    if got is None:
        code = ord(ch)
        got = _char_class[ch] = (isMdAsciiPunct(code) or isPunctChar(ch), isWhiteSpace(code))
    return got


@lru_cache(maxsize=8192)
def _normalize_link(url: str) -> str:
    return ARTICLE_MD.normalizeLink(url)


class _Fallback(Exception):
    pass


class _Delims:
    """One delimiter list (markdown-it's state.delimiters for one nesting level), as parallel lists."""

    __slots__ = ("close", "end", "length", "marker", "open", "token")

    def __init__(self) -> None:
        self.marker: list[str] = []
        self.length: list[int] = []
        self.token: list[int] = []
        self.end: list[int] = []
        self.open: list[bool] = []
        self.close: list[bool] = []


class _Inline:
    """The pre-postprocessing token list of one inline parse: types, contents, link hrefs."""

    __slots__ = ("contents", "cursor", "delims", "hrefs", "markups", "specials", "src", "types")

    def __init__(self, src: str, specials: list[int]) -> None:
        self.src = src
        self.specials = specials  # sorted positions of every "*", "_", "[" and newline in src
        self.cursor = 0
        self.types: list[str] = []
        self.contents: list[str] = []
        self.hrefs: dict[int, str] = {}
        self.markups: dict[int, str] = {}
        self.delims: list[_Delims] = []

    def scan(self, pos: int, end: int, top: bool) -> None:
        """ParserInline.tokenize over src[pos:end] (the label of a link when not top)."""
        src = self.src
        types = self.types
        contents = self.contents
        specials = self.specials
        nspecial = len(specials)
        dl = _Delims()
        self.delims.append(dl)
        pend = pos  # start of pending text: it is always src[pend:pos]
        while True:
            # the next "*", "_", "[" or newline at or after pos (the text rule stops at each)
            k = self.cursor
            while k < nspecial and specials[k] < pos:
                k += 1
            self.cursor = k
            if k == nspecial or specials[k] >= end:
                break
            i = specials[k]
            c = src[i]
            if c == "\n":
                j = i
                while j > pend and src[j - 1] == " ":
                    j -= 1
                # newline rule: 2+ trailing spaces make a hardbreak and are dropped, 1 is dropped
                kind = "hardbreak" if i - j >= 2 else "softbreak"
                if j > pend:
                    types.append("text")
                    contents.append(src[pend:j])
                types.append(kind)
                contents.append("")
                pos = i + 1
                while pos < end and src[pos] in " \t":
                    pos += 1
                pend = pos
            elif c == "[":
                if not top:  # pragma: no cover - labels never contain "[" (checked below)
                    raise _Fallback
                close = src.find("]", i + 1, end)
                if close < 0:
                    pos = i + 1  # no "]": not a link, "[" is text
                    continue
                if src.find("[", i + 1, close) >= 0:
                    raise _Fallback  # a nested bracket: leave it to markdown-it
                if close + 1 >= end or src[close + 1] != "(":
                    pos = i + 1  # "[label]" with no references: text
                    continue
                dm = _LINK_DEST.match(src, close + 1, end)
                if dm is None:
                    raise _Fallback  # titles, spaces, <…>, nested parens, empty destination…
                if i > pend:
                    types.append("text")
                    contents.append(src[pend:i])
                self.hrefs[len(types)] = _normalize_link(dm.group(1))
                types.append("link_open")
                contents.append("")
                self.scan(i + 1, close, False)
                types.append("link_close")
                contents.append("")
                pos = pend = dm.end()
            else:  # "*" or "_": StateInline.scanDelims + emphasis.tokenize
                if i > pend:
                    types.append("text")
                    contents.append(src[pend:i])
                k = i + 1
                while k < end and src[k] == c:
                    k += 1
                lp, lw = _classify(src[i - 1]) if i > 0 else (False, True)
                np_, nw = _classify(src[k]) if k < end else (False, True)
                left = not (nw or (np_ and not (lw or lp)))
                right = not (lw or (lp and not (nw or np_)))
                if c == "*":
                    can_open, can_close = left, right
                else:
                    can_open = left and (not right or lp)
                    can_close = right and (not left or np_)
                n = k - i
                first = len(types)
                types.extend(["text"] * n)
                contents.extend([c] * n)
                dl.marker.extend([c] * n)
                dl.length.extend([n] * n)
                dl.token.extend(range(first, first + n))
                dl.end.extend([-1] * n)
                dl.open.extend([can_open] * n)
                dl.close.extend([can_close] * n)
                pos = pend = k
        if end > pend:
            types.append("text")
            contents.append(src[pend:end])

    def balance(self, d: _Delims) -> None:
        """balance_pairs.processDelimiters."""
        marker, length, token, endl, opn, cls = d.marker, d.length, d.token, d.end, d.open, d.close
        maximum = len(marker)
        openers_bottom: dict[str, list[int]] = {}
        header = 0
        last_token = -2
        jumps: list[int] = []
        closer = 0
        while closer < maximum:
            jumps.append(0)
            cm = marker[closer]
            if marker[header] != cm or last_token != token[closer] - 1:
                header = closer
            last_token = token[closer]
            if not cls[closer]:
                closer += 1
                continue
            bottom = openers_bottom.get(cm)
            if bottom is None:
                bottom = openers_bottom[cm] = [-1, -1, -1, -1, -1, -1]
            clen = length[closer]
            min_opener = bottom[(3 if opn[closer] else 0) + clen % 3]
            opener = header - jumps[header] - 1
            new_min = opener
            while opener > min_opener:
                if marker[opener] != cm:
                    opener -= jumps[opener] + 1
                    continue
                if opn[opener] and endl[opener] < 0:
                    olen = length[opener]
                    odd = ((cls[opener] or opn[closer]) and (olen + clen) % 3 == 0
                           and (olen % 3 != 0 or clen % 3 != 0))
                    if not odd:
                        last_jump = jumps[opener - 1] + 1 if opener > 0 and not opn[opener - 1] else 0
                        jumps[closer] = closer - opener + last_jump
                        jumps[opener] = last_jump
                        opn[closer] = False
                        endl[opener] = closer
                        cls[opener] = False
                        new_min = -1
                        last_token = -2
                        break
                opener -= jumps[opener] + 1
            if new_min != -1:
                bottom[(3 if opn[closer] else 0) + clen % 3] = new_min
            closer += 1

    def emphasis(self, d: _Delims) -> None:
        """emphasis._postProcess."""
        types, contents, markups = self.types, self.contents, self.markups
        marker, token, endl = d.marker, d.token, d.end
        i = len(marker) - 1
        while i >= 0:
            e = endl[i]
            if e == -1:
                i -= 1
                continue
            strong = (i > 0 and endl[i - 1] == e + 1 and marker[i - 1] == marker[i]
                      and token[i - 1] == token[i] - 1 and token[e + 1] == token[e] + 1)
            name = "strong" if strong else "em"
            markup = marker[i] * 2 if strong else marker[i]
            types[token[i]] = name + "_open"
            contents[token[i]] = ""
            markups[token[i]] = markup
            types[token[e]] = name + "_close"
            contents[token[e]] = ""
            markups[token[e]] = markup
            if strong:
                contents[token[i - 1]] = ""
                contents[token[e + 1]] = ""
                i -= 1
            i -= 1

    def tokens(self) -> list[Token]:
        """fragments_join, then real Token objects."""
        for d in self.delims:
            if d.marker:
                self.balance(d)
        for d in self.delims:
            if d.marker:
                self.emphasis(d)
        types, contents, hrefs, markups = self.types, self.contents, self.hrefs, self.markups
        out: list[Token] = []
        level = 0
        n = len(types)
        i = 0
        while i < n:
            t = types[i]
            if t == "text":
                j = i + 1
                while j < n and types[j] == "text":
                    j += 1
                content = contents[i] if j == i + 1 else "".join(contents[i:j])
                out.append(_token("text", "", 0, level, content))
                i = j
                continue
            if t == "softbreak" or t == "hardbreak":
                out.append(_token(t, "br", 0, level))
            elif t == "link_open":
                out.append(_token(t, "a", 1, level, attrs={"href": hrefs[i]}))
                level += 1
            elif t == "link_close":
                level -= 1
                out.append(_token(t, "a", -1, level))
            else:  # em_open, strong_open, em_close, strong_close
                tag = "strong" if t[0] == "s" else "em"
                if t[-1] == "n":
                    out.append(_token(t, tag, 1, level, "", markups[i]))
                    level += 1
                else:
                    level -= 1
                    out.append(_token(t, tag, -1, level, "", markups[i]))
            i += 1
        return out


def _inline_children(content: str) -> list[Token] | None:
    """The children markdown-it gives an inline token with this content, or None (outside the subset)."""
    if not content:
        return []
    # `in` is far faster than a regex scan over non-ASCII text
    if "\\" in content or "`" in content or "<" in content or (
            ("&" in content or "!" in content) and _INLINE_UNSAFE.search(content)):
        return None
    specials: list[int] = []
    find = content.find
    for ch in "*_[\n":
        i = find(ch)
        while i >= 0:
            specials.append(i)
            i = find(ch, i + 1)
    if not specials:
        return [_token("text", "", 0, 0, content)]
    specials.sort()
    state = _Inline(content, specials)
    try:
        state.scan(0, len(content), True)
    except _Fallback:
        return None
    return state.tokens()


# --- Block ----------------------------------------------------------------------------------------------------

# A paragraph line must not match this (it could open or interrupt another block).
_UNSAFE_START = re.compile(r"[ >`~<#]|[*+\-_=](?: |$)|[*+\-_= ]+$|\d+[.)]")
_HEADING = re.compile(r"(#{1,6})(?: (.*))?$")


@dataclasses.dataclass
class FastPathStats:
    """How parse() handled a document: block structure on the fast path, and inline tokens."""

    document_fast: bool = False
    inline_fast: int = 0
    inline_fallback: int = 0


def _blocks(text: str) -> list[Token] | None:
    """Block tokens (inline children still empty), or None if the document is outside the subset."""
    if "\r" in text or "\t" in text or "\x00" in text or "]:" in text:
        return None
    lines = text.split("\n")
    n = len(lines)
    out: list[Token] = []
    i = 0
    while i < n:
        line = lines[i]
        if not line.strip(" "):  # blank: empty or spaces only (tabs never get here)
            i += 1
            continue
        if line[0] == "#":
            hm = _HEADING.match(line)
            if hm is None:
                return None
            rest = hm.group(2) or ""
            if rest.rstrip(" ").endswith("#"):
                return None  # a closing sequence: leave its trimming rules to markdown-it
            tag = f"h{len(hm.group(1))}"
            markup = hm.group(1)
            out.append(_block_token("heading_open", tag, 1, 0, markup, [i, i + 1]))
            inline = _block_token("inline", "", 0, 1, "", [i, i + 1])
            inline.content = mdTrim(rest)
            inline.children = []
            out.append(inline)
            out.append(_block_token("heading_close", tag, -1, 0, markup))
            i += 1
            continue
        if _UNSAFE_START.match(line):
            return None
        j = i + 1
        while j < n:
            nxt = lines[j]
            if not nxt.strip(" "):
                break
            if nxt[0] == "#" and _HEADING.match(nxt):
                break  # a heading ends the paragraph
            if _UNSAFE_START.match(nxt):
                return None
            j += 1
        out.append(_block_token("paragraph_open", "p", 1, 0, "", [i, j]))
        inline = _block_token("inline", "", 0, 1, "", [i, j])
        inline.content = mdTrim("\n".join(lines[i:j]))
        inline.children = []
        out.append(inline)
        out.append(_block_token("paragraph_close", "p", -1, 0))
        i = j
    return out


def parse_with_stats(text: str) -> tuple[list[Token], FastPathStats]:
    """parse(), and how much of the document took the fast path."""
    stats = FastPathStats()
    tokens = _blocks(text) if _ENABLED else None
    if tokens is None:
        return ARTICLE_MD.parse(text), stats
    stats.document_fast = True
    slow: list[Token] = []
    for tok in tokens:
        if tok.type == "inline":
            children = _inline_children(tok.content)
            if children is None:
                slow.append(tok)
            else:
                tok.children = children
                stats.inline_fast += 1
    stats.inline_fallback = len(slow)
    if slow:  # markdown-it's core "inline" and "text_join" rules, on these tokens only
        env: dict[str, object] = {}
        for tok in slow:
            ARTICLE_MD.inline.parse(tok.content, ARTICLE_MD, env, tok.children)  # type: ignore[arg-type]
        state = StateCore("", ARTICLE_MD, env, slow)
        text_join(state)
    return tokens, stats


def parse(text: str) -> list[Token]:
    """Tokens identical to ARTICLE_MD.parse(text), faster for article prose (see the module docstring)."""
    return parse_with_stats(text)[0]


def fast_path_used(text: str) -> bool:
    """Whether parse(text) handled the whole document without markdown-it's parser."""
    stats = parse_with_stats(text)[1]
    return stats.document_fast and stats.inline_fallback == 0
