"""A fast path for ``ARTICLE_MD.parse``: the same token stream, several times faster on article prose.

``parse(text)`` returns exactly what ``apparatus.markdown.ARTICLE_MD.parse(text)`` returns (same tokens,
fields and children) for every input. It handles a well-defined subset of CommonMark itself and hands
anything else to markdown-it-py: the whole document when the block structure is outside the subset,
one paragraph's inline content when only that paragraph is.

Block subset (else the whole document goes to ``ARTICLE_MD.parse``)
    The text has no ``\\r``, NUL or tab, and no ``]:`` (so no link reference definition can exist, the
    env never gets ``references``, and ``[x]`` / ``[x][y]`` are never links), and no ``]{`` (the
    attribute span of notes, ``[text]{lang=zh}``: articles never enable it, and should a parser with it
    ever come here, markdown-it's own parser is the one to read it). Every non-blank line is
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
    No backtick, ``<``, ``![``, ``&`` followed by ``#`` or a letter, and no backslash except right
    before a newline: so the backticks, autolink, html_inline, image and entity rules never fire, the
    escape rule only makes hardbreaks, and no ``text_special`` token exists (``text_join`` is then a
    no-op). What remains is text, line breaks (softbreak; hardbreak after two or more trailing spaces,
    which are dropped, or after a backslash), ``*``/``_`` emphasis, and inline links
    ``[label](dest)`` whose label contains no ``[`` and whose destination is a non-empty run without
    whitespace, parentheses, ``<``, ``>``, backslash or ``&``, closed directly by ``)``. Any other
    ``[label](`` falls back; a ``[`` with no later ``]``, or whose ``]`` is not followed by ``(``, is
    text (there are no references). Link ``href`` is ``ARTICLE_MD.normalizeLink`` of the destination
    (``unescapeAll`` is the identity without ``\\`` and ``&``; ``validateLink`` accepts all).

    Within that subset ``_simple`` handles, in one pass, paragraphs whose delimiter runs pair up
    trivially (see its docstring for the argument why markdown-it's balance_pairs and emphasis
    postProcess then give exactly its result); it declines (returns None) on anything else, and
    markdown-it's own inline parser takes that paragraph. Nested or unbalanced emphasis is rare in
    article prose: a general port of markdown-it's delimiter algorithms took none of the ~12,000
    paragraphs of the real and generated collections, and was removed (docs/performance.md).

The fast path is tied to what it was proven against: markdown-it-py's version (``PROVEN_WITH``) and
the parser's configuration (options, active rules). If either differs, every call falls back to
markdown-it-py. tests/test_fastmd.py compares both parsers on the CommonMark spec's examples and on
real, generated, hand-written and randomly generated documents.

Notes: ``render_note(text)`` returns exactly ``apparatus.markdown.render_note(text)`` (HTML and problems).
A note is parsed by ``NOTE_MD``: ``ARTICLE_MD`` plus mdit-py-plugins' attrs ``span`` rule
(``[text]{lang=zh}``). That rule produces tokens only at a ``]`` directly followed by ``{`` in the
inline content, which is made of substrings of the note's lines, so never in a note without ``]{``; and
where it fails it only calls ``parseLinkLabel``, whose cache (``StateInline.cache``) then holds what any
caller would put there for a label without ``[`` (text runs, single characters, the newline rule),
which is all the subset above allows. So for a note without ``]{`` that this module parses entirely by
itself (block and inline), its tokens are ``NOTE_MD.parse``'s; they are written by
``markdown.render_article`` (proven equal to the renderer both parsers share) and checked by the same
``markdown.check_links``. Any other note, and any note with ``<`` (render_note looks for raw HTML
there with a second parser), goes to ``markdown.render_note`` whole. This is tied to mdit-py-plugins'
version (``NOTES_PROVEN_WITH``) and NOTE_MD's configuration too.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

import markdown_it
import mdit_py_plugins
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace, mdTrim
from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token

from . import markdown
from .markdown import ARTICLE_MD, NOTE_MD

__all__ = ["FastPathStats", "fast_path_used", "parse", "note_tokens", "parse_with_stats", "render_note"]


PROVEN_WITH = "4.3.0"  # the markdown-it-py version this fast path was proven equal to


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


_ENABLED = markdown_it.__version__ == PROVEN_WITH and _configuration_supported()

NOTES_PROVEN_WITH = "0.7.0"  # the mdit-py-plugins version (the attrs span rule) render_note was proven with


def _notes_configuration_supported() -> bool:
    """NOTE_MD is ARTICLE_MD plus the span rule after link: same options, other rules, link functions and renderer."""
    art, note = ARTICLE_MD, NOTE_MD
    inline = art.inline.ruler.get_active_rules()
    return (
        note.options == art.options
        and note.core.ruler.get_active_rules() == art.core.ruler.get_active_rules()
        and note.block.ruler.get_active_rules() == art.block.ruler.get_active_rules()
        and note.inline.ruler.get_active_rules() == [*inline[:inline.index("link") + 1], "span",
                                                     *inline[inline.index("link") + 1:]]
        and note.inline.ruler2.get_active_rules() == art.inline.ruler2.get_active_rules()
        and note.inline.terminator_re.pattern == art.inline.terminator_re.pattern
        and not getattr(note.inline, "_extra_terminator_chars", None)
        and note.validateLink is art.validateLink  # the accept-everything validator (_configuration_supported)
        and "normalizeLink" not in vars(note) and "normalizeLink" not in vars(art)
        and type(note.renderer) is type(art.renderer)
        and _renderer_rules(note) == _renderer_rules(art)
    )


def _renderer_rules(md: markdown_it.MarkdownIt) -> dict[str, object]:
    """The renderer's rules as functions (bound methods of two renderers are never equal)."""
    rules: dict[str, object] = getattr(md.renderer, "rules", {})
    return {name: getattr(rule, "__func__", rule) for name, rule in rules.items()}


_NOTES_ENABLED = (_ENABLED and mdit_py_plugins.__version__ == NOTES_PROVEN_WITH
                  and _notes_configuration_supported())

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
    """A block-level Token as StateBlock.push makes it."""
    return _token(ttype, tag, nesting, level, "", markup, None, True, map_)


# --- Inline ---------------------------------------------------------------------------------------------------

_INLINE_UNSAFE = re.compile(r"&[#A-Za-z]|!\[")
_LINK_DEST = re.compile(r"\(([^\s()<>\\&\x00-\x1f\x7f]+)\)")


class _CharClass(dict[str, int]):
    """char -> 1 if punctuation + 2 if whitespace, by the predicates StateInline.scanDelims uses."""

    def __missing__(self, ch: str) -> int:
        code = ord(ch)
        got = self[ch] = int(isMdAsciiPunct(code) or isPunctChar(ch)) + 2 * int(isWhiteSpace(code))
        return got


_CHAR_CLASS = _CharClass()
_EDGE = 2  # the start or end of the scanned range counts as a space


def _flank_table(split_word: bool) -> tuple[int, ...]:
    """(last class * 4 + next class) -> can_open + 2 * can_close, exactly as scanDelims computes them."""
    table = []
    for last in range(4):
        for nxt in range(4):
            lp, lw, np_, nw = bool(last & 1), bool(last & 2), bool(nxt & 1), bool(nxt & 2)
            left = not (nw or (np_ and not (lw or lp)))
            right = not (lw or (lp and not (nw or np_)))
            can_open = left and (split_word or not right or lp)
            can_close = right and (split_word or not left or np_)
            table.append(int(can_open) + 2 * int(can_close))
    return tuple(table)


_FLANK = {"*": _flank_table(True), "_": _flank_table(False)}


# An http(s) address that markdown-it's normalizeLink returns unchanged: a lowercase ASCII host of labels mdurl
# keeps whole (at most 63 characters each, 255 in all), no port, user or query, and a path of characters that
# mdurl.encode leaves as they are. Most links are such, and a note's links are distinct (the cache never hits):
# normalizeLink (mdurl's parse, punycode and encode) was 8 % of a build (docs/performance.md). Proven in
# tests/test_fastmd.py.
_PLAIN_URL = re.compile(r"https?://((?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63})(?:/[A-Za-z0-9._~/-]*)?")


@lru_cache(maxsize=8192)
def _normalize_link(url: str) -> str:
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None and len(plain.group(1)) <= 255:
        return url
    return ARTICLE_MD.normalizeLink(url)


class _Fallback(Exception):
    pass


def _link_at(src: str, i: int, end: int) -> tuple[int, str, int] | None:
    """At src[i] == "[": (label end, href, position after ")") for a link, None if the "[" is text.

    Raises _Fallback when markdown-it's answer depends on something this module does not reproduce.
    """
    close = src.find("]", i + 1, end)
    if close < 0:
        return None  # parseLinkLabel finds no "]": not a link
    if src.find("[", i + 1, close) >= 0:
        raise _Fallback  # a nested bracket: leave it to markdown-it
    if close + 1 >= end or src[close + 1] != "(":
        return None  # "[label]" without "(": a reference link, and there are no references
    dm = _LINK_DEST.match(src, close + 1, end)
    if dm is None:
        raise _Fallback  # titles, spaces, <…>, nested parens, empty destination…
    return close, _normalize_link(dm.group(1)), dm.end()


def _simple(src: str, specials: list[int]) -> list[Token] | None:
    """The children for the common case, in one pass, or None if emphasis is not "simple".

    Simple: in each delimiter list (the paragraph, or one link label), the ``*``/``_`` runs are, in
    order, opener, closer, opener, closer… where an opener can open but not close, a closer can
    close but not open, and each closer has its opener's marker and length (1 or 2). For such a list
    balance_pairs gives the first character of each closer run the delimiter just before it (the
    last character of its opener run; runs are never adjacent tokens, some token always separates
    them) and matches them: the rule of 3 does not apply, as neither can both open and close. For
    length 2 the second character of the closer jumps over the first (jumps = 1) to the opener's
    first character, and matches it. openers_bottom is never set, since every closer matches.
    emphasis.postProcess then makes em of a length-1 pair and strong of a length-2 pair (adjacent
    matched pairs), whose outer markers stay behind as empty text tokens: "" then strong_open,
    strong_close then "". Text is merged as fragments_join does, levels are depths. Anything else
    returns None, and markdown-it's inline parser handles the paragraph.
    """
    out: list[Token] = []
    append = out.append
    token = _token
    classes = _CHAR_CLASS
    buf: list[str] | None = None  # pieces of the text token being built (fragments_join), if any
    level = 0
    opened = ""  # the open run ("*", "**", "_", "__") in the current delimiter list, if any
    outer_opened = ""  # the paragraph's open run while inside a link label
    in_label = False
    resume = 0  # while inside a link label: the position after the link's ")"
    end = limit = len(src)  # limit: the end of the current range (the paragraph, or a link label)
    pos = pend = 0  # pending text is src[pend:pos]
    for i in specials:
        if i < pos:
            continue
        if i >= limit:  # leaving a link label (at its "]")
            if limit > pend:
                if buf is None:
                    buf = [src[pend:limit]]
                else:
                    buf.append(src[pend:limit])
            if opened:
                return None  # an unclosed run: not simple
            if buf is not None:
                append(token("text", "", 0, level, "".join(buf)))
                buf = None
            level -= 1
            append(token("link_close", "a", -1, level))
            opened, outer_opened = outer_opened, ""
            in_label = False
            limit = end
            pos = pend = resume
            if i < pos:
                continue
        c = src[i]
        if c == "\n":
            j = i
            while j > pend and src[j - 1] == " ":
                j -= 1
            if j > pend:
                if buf is None:
                    buf = [src[pend:j]]
                else:
                    buf.append(src[pend:j])
            if buf is not None:
                append(token("text", "", 0, level, "".join(buf)))
                buf = None
            append(token("hardbreak" if i - j >= 2 else "softbreak", "br", 0, level))
            pos = i + 1
            while pos < limit and src[pos] in " \t":
                pos += 1
            pend = pos
        elif c == "\\":  # escape rule; only a backslash before a newline gets here: a hardbreak
            if i > pend:
                if buf is None:
                    buf = [src[pend:i]]
                else:
                    buf.append(src[pend:i])
            if buf is not None:
                append(token("text", "", 0, level, "".join(buf)))
                buf = None
            append(token("hardbreak", "br", 0, level))
            pos = i + 2
            while pos < limit and src[pos] in " \t":
                pos += 1
            pend = pos
        elif c == "[":
            link = _link_at(src, i, limit)
            if link is None:
                pos = i + 1
                continue
            if i > pend:
                if buf is None:
                    buf = [src[pend:i]]
                else:
                    buf.append(src[pend:i])
            if buf is not None:
                append(token("text", "", 0, level, "".join(buf)))
                buf = None
            limit, href, resume = link
            in_label = True
            append(token("link_open", "a", 1, level, attrs={"href": href}))
            level += 1
            outer_opened, opened = opened, ""
            pos = pend = i + 1
        else:
            r = i + 1
            while r < limit and src[r] == c:
                r += 1
            n = r - i
            if n > 2:
                return None
            flags = _FLANK[c][(classes[src[i - 1]] if i else _EDGE) * 4 + (classes[src[r]] if r < limit else _EDGE)]
            run = src[i:r]
            if i > pend:
                if buf is None:
                    buf = [src[pend:i]]
                else:
                    buf.append(src[pend:i])
            if flags == 1 and not opened:
                if n == 2 and buf is None:
                    buf = [""]  # the outer "*" of a strong pair stays as an empty text token
                if buf is not None:
                    append(token("text", "", 0, level, "".join(buf)))
                    buf = None
                tag = "strong" if n == 2 else "em"
                append(token(tag + "_open", tag, 1, level, "", run))
                level += 1
                opened = run
            elif flags == 2 and opened == run:
                if buf is not None:
                    append(token("text", "", 0, level, "".join(buf)))
                level -= 1
                tag = "strong" if n == 2 else "em"
                append(token(tag + "_close", tag, -1, level, "", run))
                buf = [""] if n == 2 else None
                opened = ""
            else:
                return None
            pos = pend = r
    if in_label:  # the last link label ends after the last special character
        if limit > pend:
            if buf is None:
                buf = [src[pend:limit]]
            else:
                buf.append(src[pend:limit])
        if opened:
            return None
        if buf is not None:
            append(token("text", "", 0, level, "".join(buf)))
            buf = None
        level -= 1
        append(token("link_close", "a", -1, level))
        opened = outer_opened
        pos = pend = resume
    if opened:
        return None
    if end > pend:
        if buf is None:
            buf = [src[pend:end]]
        else:
            buf.append(src[pend:end])
    if buf is not None:
        append(token("text", "", 0, level, "".join(buf)))
    return out


def _inline_children(content: str) -> list[Token] | None:
    """The children markdown-it gives an inline token with this content, or None (outside the subset)."""
    if not content:
        return []
    # `in` is far faster than a regex scan over non-ASCII text
    if "`" in content or "<" in content or (
            ("&" in content or "!" in content) and _INLINE_UNSAFE.search(content)) or (
            "\\" in content and content.count("\\") != content.count("\\\n")):
        return None
    specials: list[int] = []
    find = content.find
    for ch in "*_[\n\\":
        i = find(ch)
        while i >= 0:
            specials.append(i)
            i = find(ch, i + 1)
    if not specials:
        return [_token("text", "", 0, 0, content)]
    specials.sort()
    try:
        return _simple(content, specials)
    except _Fallback:
        return None


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
    if "\r" in text or "\t" in text or "\x00" in text or "]:" in text or "]{" in text:
        return None
    out: list[Token] = []
    find = text.find
    n = len(text)
    pos = 0  # the start of line number `line`
    line = 0
    while pos < n:
        eol = find("\n", pos)
        if eol < 0:
            eol = n
        if pos == eol or text[pos] == " " and not text[pos:eol].strip(" "):  # blank: empty or spaces only
            pos = eol + 1
            line += 1
            continue
        if text[pos] == "#":
            hm = _HEADING.match(text, pos, eol)
            if hm is None:
                return None
            rest = hm.group(2) or ""
            if rest.rstrip(" ").endswith("#"):
                return None  # a closing sequence: leave its trimming rules to markdown-it
            markup = hm.group(1)
            tag = f"h{len(markup)}"
            out.append(_block_token("heading_open", tag, 1, 0, markup, [line, line + 1]))
            inline = _block_token("inline", "", 0, 1, "", [line, line + 1])
            inline.content = mdTrim(rest)
            inline.children = []
            out.append(inline)
            out.append(_block_token("heading_close", tag, -1, 0, markup))
            pos = eol + 1
            line += 1
            continue
        if _UNSAFE_START.match(text, pos, eol):
            return None
        first, start, end = line, pos, eol
        pos = eol + 1
        line += 1
        while pos < n:  # continuation lines, up to a blank line or a heading
            eol = find("\n", pos)
            if eol < 0:
                eol = n
            if pos == eol:
                break
            if text[pos] == " ":
                if not text[pos:eol].strip(" "):
                    break
                return None
            if text[pos] == "#" and _HEADING.match(text, pos, eol):
                break  # a heading ends the paragraph
            if _UNSAFE_START.match(text, pos, eol):
                return None
            end = eol
            pos = eol + 1
            line += 1
        out.append(_block_token("paragraph_open", "p", 1, 0, "", [first, line]))
        inline = _block_token("inline", "", 0, 1, "", [first, line])
        inline.content = mdTrim(text[start:end])  # the lines joined by "\n", as StateBlock.getLines
        inline.children = []
        out.append(inline)
        out.append(_block_token("paragraph_close", "p", -1, 0))
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


def note_tokens(text: str) -> list[Token] | None:
    """NOTE_MD.parse(text) when this module parses the whole note itself, else None (module docstring)."""
    tokens = _blocks(text) if _NOTES_ENABLED and "<" not in text and "]{" not in text else None
    for tok in tokens or ():
        if tok.type == "inline":
            children = _inline_children(tok.content)
            if children is None:
                return None  # declined: the library parses the whole note, not just this paragraph (docstring)
            tok.children = children
    return tokens


def render_note(text: str) -> tuple[str, list[markdown.Problem]]:
    """(HTML, problems) identical to markdown.render_note(text), faster for notes of prose (module docstring)."""
    tokens = note_tokens(text)
    if tokens is None:
        return markdown.render_note(text)
    return markdown.render_article(tokens), markdown.check_links(tokens, "the note", allow_images=False)
