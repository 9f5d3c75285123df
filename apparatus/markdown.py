"""Markdown with markdown-it-py: articles with highlights inserted into the token stream, and notes.

Highlights are inserted as tokens, never by editing HTML: each text piece covered by one or more
annotations is wrapped in its own ``<mark>`` naming all of them (``data-ann="a b"``), so overlapping
and nested annotations, and quotes that cross emphasis or links, always give well-formed HTML.
After the last piece of each annotation comes its numbered note reference (moved after the end of
a link when the quote ends inside one: links cannot nest).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence
from html import escape

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin

from . import languages
from .anchoring import Anchor, Block

SAFE_SCHEMES = ("http://", "https://", "mailto:", "#")


def _accept(url: str) -> bool:
    return True


def _md(html: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": html, "typographer": False})
    md.validateLink = _accept  # type: ignore[method-assign]  # links are checked by check_links(), not dropped
    return md


ARTICLE_MD = _md()  # articles are verbatim: no syntax beyond CommonMark
NOTE_MD = _md()
# Notes may mark a passage's language with a bracketed span, [大外宣被打脸]{lang=zh}: the attrs plugin, for spans
# only (not after links, images or code), keeping lang and dir alone; anything else a span names is a problem
# (:func:`_span_problems`), as notes are untrusted.
SPAN_ATTRS = ("lang", "dir")
DIRECTIONS = ("ltr", "rtl", "auto")
attrs_plugin(NOTE_MD, after=(), spans=True, allowed=SPAN_ATTRS)
_RAW_MD = _md(html=True)  # only used to find raw HTML in notes, never to render


Problem = tuple[str, str, str]  # (message, the source text it is about, to locate it, hint or "" for the default)
SPAN_HINT = ("mark a passage's language as [text]{lang=fr}: lang is a BCP 47 tag (fr, zh, ug, ug-Latn), and dir, "
             "if given, is ltr, rtl or auto (without it the direction follows the text's script)")


def check_links(tokens: Sequence[Token], where: str, allow_images: bool) -> list[Problem]:
    """Problems with link targets and images in a token stream."""
    problems = []
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                if not href.lower().startswith(SAFE_SCHEMES):
                    problems.append((f"a link in {where} goes to '{href}': only http(s), mailto and #fragment links "
                                     "are allowed", href, ""))
            elif child.type == "image":
                src = str(child.attrs.get("src", ""))
                if not allow_images or "//" in src or ":" in src:
                    problems.append((f"an image in {where} ('{src}') would load from another host: "
                                     "images are not allowed there", "![", ""))
    return problems


def render_note(text: str) -> tuple[str, list[Problem]]:
    """A note's Markdown → (HTML, problems). Raw HTML is a problem (and would be rendered escaped)."""
    problems: list[Problem] = []
    if "<" in text:
        parsed = _RAW_MD.parse(text)
        raw = [t for t in parsed if t.type == "html_block"] + [
            c for t in parsed for c in (t.children or ()) if c.type == "html_inline"]
        for r in raw[:1]:
            tag = (r.content.strip().splitlines() or [""])[0]
            problems.append((f"the note contains raw HTML ({tag[:40]}): HTML in notes is never made live",
                             tag, ""))
    tokens = NOTE_MD.parse(text)
    problems += check_links(tokens, "the note", allow_images=False)
    if "]{" in text:
        problems += _span_problems(tokens, text)
    return NOTE_MD.renderer.render(tokens, NOTE_MD.options, {}), problems


_SPAN = re.compile(r"\[([^\[\]]*)\]\{[^{}]*\}")


def without_spans(note: str) -> str:
    """A note's Markdown with its language spans ([text]{lang=fr}) as their bare text, for Markdown readers
    without the attrs syntax (Hypothesis)."""
    return _SPAN.sub(r"\1", note) if "]{" in note else note


def _span_problems(tokens: Sequence[Token], text: str) -> list[Problem]:
    """Each language span checked (only lang and dir; lang a BCP 47 tag; dir ltr, rtl or auto), and given the
    direction of its text's script when it names none (:func:`apparatus.languages.direction`)."""
    problems: list[Problem] = []
    for tok in tokens:
        children = tok.children or []
        for i, child in enumerate(children):
            if child.type != "span_open":
                continue
            others = child.meta.get("insecure_attrs") or {}
            for name, value in others.items():
                shown = {"class": f".{value}", "id": f"#{value}"}.get(name, f"{name}={value}")
                problems.append((f"a span in the note sets {shown}: a span may set only lang and dir",
                                 _attr_source(text, name, str(value)), SPAN_HINT))
            lang, direction = child.attrs.get("lang"), child.attrs.get("dir")
            good = lang is not None and languages.is_bcp47(str(lang))
            if lang is None:
                if not others:
                    problems.append(("a span in the note has no lang: spans in notes mark a passage's language",
                                     _attr_source(text, "", ""), SPAN_HINT))
            elif not good:
                near = languages.suggestion(str(lang))
                problems.append((f"a span in the note has lang={lang}, which is not a BCP 47 language tag"
                                 + (f": did you mean '{near}'?" if near else ""),
                                 _attr_source(text, "lang", str(lang)), SPAN_HINT))
            if direction is not None and direction not in DIRECTIONS:
                problems.append((f"a span in the note has dir={direction}: dir is ltr, rtl or auto",
                                 _attr_source(text, "dir", str(direction)), SPAN_HINT))
            elif direction is None and good:
                child.attrs["dir"] = languages.direction(str(lang), _span_text(children, i))
    return problems


def _span_text(children: Sequence[Token], start: int) -> str:
    """The text inside the span opened at children[start]."""
    depth, parts = 0, []
    for child in children[start:]:
        depth += child.nesting if child.type in ("span_open", "span_close") else 0
        if depth == 0:
            break
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts)


def _attr_source(text: str, name: str, value: str) -> str:
    """The note's text from the attribute block that sets name (to value) to its end: where a problem is shown."""
    key = re.escape(name) + r"\s*=\s*\"?"
    key = {"class": rf"(?:\.|{key})", "id": f"(?:#|{key})"}.get(name, key)
    m = re.search(r"\]\{[^{}]*?" + key + re.escape(value), text) if name else None
    m = m or re.search(r"\]\{[^{}]*\}", text)
    return text[m.start() + 1:m.end()] if m else "]{"


_TAG = re.compile("<[^>]*>")


def plain_text(html: str) -> str:
    """Rendered HTML (a note) → its text, as search indexes it: tags dropped, character references decoded."""
    return html_lib.unescape(_TAG.sub("", html)).strip()


def _html(content: str) -> Token:
    tok = Token("html_inline", "", 0)
    tok.content = content
    return tok


def insert_marks(tokens: list[Token], blocks: list[Block], anchors: Sequence[Anchor],
                 numbers: dict[str, int], types: dict[str, str]) -> None:
    """Insert <mark> and note-reference tokens into the inline tokens of anchored blocks."""
    by_block: dict[int, list[Anchor]] = {}
    for a in anchors:
        by_block.setdefault(a.block, []).append(a)
    for b, block_anchors in by_block.items():
        block = blocks[b]
        inline = tokens[block.token_index]
        inline.children = _mark_children(inline.children or [], block, block_anchors, numbers, types)


def _mark_children(children: list[Token], block: Block, anchors: list[Anchor],
                   numbers: dict[str, int], types: dict[str, str]) -> list[Token]:
    cuts = sorted({a.start for a in anchors} | {a.end for a in anchors})
    ends: dict[int, list[str]] = {}
    for a in sorted(anchors, key=lambda a: (a.end, numbers[a.annotation.id])):
        ends.setdefault(a.end, []).append(a.annotation.id)
    first_piece: set[str] = set()
    piece_at = {ci: (s, e) for ci, s, e in block.pieces}
    out: list[Token] = []
    link_depth = 0
    pending: list[str] = []  # note refs waiting for a link to close

    def refs(ids: list[str]) -> None:
        for ann_id in ids:
            n = numbers[ann_id]
            out.append(_html(f'<sup class="nref"><a href="#{ann_id}" id="ref_{ann_id}" aria-details="{ann_id}" '
                             f'aria-label="note {n}, {types[ann_id]}">{n}</a></sup>'))

    def covering(s: int, e: int) -> list[str]:
        return [a.annotation.id for a in anchors if a.start <= s and e <= a.end]

    for ci, child in enumerate(children):
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
            out.append(child)
            if link_depth == 0 and pending:
                refs(pending)
                pending = []
            continue
        span = piece_at.get(ci)
        if span is None:
            out.append(child)
            continue
        s, e = span
        if e not in ends and not any(a.start < e and s < a.end for a in anchors):
            out.append(child)  # text no annotation covers (most of a paragraph)
            continue
        inner = [c for c in cuts if s < c < e]
        bounds = [s, *inner, e]
        for ps, pe in zip(bounds, bounds[1:], strict=False):
            piece = child if len(bounds) == 2 else _slice(child, ps - s, pe - s)
            ids = covering(ps, pe)
            if ids:
                attrs = " ".join(sorted({f"hl-{types[i]}" for i in ids}))
                id_attr = ""
                new = [i for i in ids if i not in first_piece]
                if new:
                    first_piece.update(new)
                    id_attr = f' id="hl_{new[0]}"'
                out.append(_html(f'<mark class="hl {attrs}"{id_attr} data-ann="{escape(" ".join(ids))}">'))
                out.append(piece)
                out.append(_html("</mark>"))
            else:
                out.append(piece)
            if pe in ends:
                if link_depth > 0:
                    pending.extend(ends[pe])
                else:
                    refs(ends[pe])
    if pending:
        refs(pending)
    return out


def _slice(child: Token, start: int, end: int) -> Token:
    piece = Token(child.type, child.tag, child.nesting)
    piece.markup = child.markup
    piece.content = child.content[start:end]
    return piece


# What ARTICLE_MD's renderer writes for tokens without attributes (commonmark preset: xhtmlOut, no breaks)
_PLAIN_INLINE = {"em_open": "<em>", "em_close": "</em>", "strong_open": "<strong>", "strong_close": "</strong>",
                 "link_close": "</a>", "softbreak": "\n", "hardbreak": "<br />\n"}
_PLAIN_BLOCK = {"paragraph_open", "paragraph_close", "heading_open", "heading_close"}


def render_article(tokens: list[Token]) -> str:
    """The article's HTML, exactly as ARTICLE_MD's renderer writes it (tests/test_fastmd.py compares them).

    The token types an article is made of (paragraphs, headings, text, emphasis, links, marks) are
    written directly, several times faster than markdown-it's generic rule dispatch; a document with
    any other token (lists, quotes, code blocks, images, tight-list paragraphs…) is rendered by it.
    """
    out: list[str] = []
    add = out.append
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        ttype = tok.type
        if ttype == "inline":
            for child in tok.children or ():
                ctype = child.type
                if ctype == "text":
                    add(escapeHtml(child.content))
                elif ctype == "html_inline":
                    add(child.content)
                elif ctype == "link_open":
                    add("<a" + "".join(f' {escapeHtml(k)}="{escapeHtml(str(v))}"' for k, v in child.attrs.items())
                        + ">")
                elif ctype == "code_inline" and not child.attrs:
                    add("<code>" + escapeHtml(child.content) + "</code>")
                else:
                    plain = _PLAIN_INLINE.get(ctype)
                    if plain is None or child.attrs:
                        return ARTICLE_MD.renderer.render(tokens, ARTICLE_MD.options, {})
                    add(plain)
        elif ttype in _PLAIN_BLOCK and not tok.attrs and not tok.hidden and (
                tok.nesting == -1 or (i < last and tokens[i + 1].type == "inline")):
            add(f"<{tok.tag}>" if tok.nesting == 1 else f"</{tok.tag}>\n")
        else:
            return ARTICLE_MD.renderer.render(tokens, ARTICLE_MD.options, {})
    return "".join(out)
