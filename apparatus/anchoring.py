"""Finding each annotation's quote in the text a reader sees (W3C TextQuoteSelector).

The article is parsed once by markdown-it-py; every inline token (a paragraph, a heading, a list
item's text) is one *block*. A block's plain text is the concatenation of its text-bearing children
(text, inline code, line breaks as "\\n"): Markdown syntax is gone, entities are decoded.

Matching is done on a normalized copy of the whole document, the same for every language:

- every white-space character becomes a space (U+00A0 and U+202F, French's spaces before ; : ! ?
  and inside « », and U+3000, the ideographic space, included) and runs of spaces collapse to one;
- typographic quotes and apostrophes become straight ones: “ ” „ ‟ « » 「 」 ″ become ", and
  ‘ ’ ‚ ‛ ‹ › 『 』 ′ become ' (so « non » is "non" and l’homme is l'homme);
- French spacing is optional: a space right after « or ‹, or right before » › ; : ! ?, is dropped,
  so « non » matches "non" and « Quoi ? » matches "Quoi?";
- invisible and optional marks are dropped: the Arabic tatweel (U+0640, kashida: stretches a joining
  letter), the Arabic harakat (U+064B-U+0653, U+0656-U+065F) and the superscript alef (U+0670),
  which Uyghur writing leaves out and a copied text may hold, the zero-width (non-)joiners U+200C and
  U+200D, the direction marks U+200E, U+200F and U+061C, the zero-width space U+200B, the word
  joiner U+2060, the soft hyphen U+00AD and U+FEFF. Hamza above and below (U+0654, U+0655) are kept:
  they are part of letters (ئ is ى with hamza above). Text is compared as written, not NFC-composed:
  articles and quotes are copied from the same page.

Chinese needs nothing more: it has no spaces between words, and the match is on characters, not words.
Blocks are joined by "\\n", which the normalized quote can never contain, so a plain ``str.find``
never matches across a paragraph boundary. Collapsing and dropping are the only steps that change
offsets, so the map from normalized back to plain offsets is a short list of breakpoints, one per
change.

``prefix`` / ``suffix`` select among occurrences: the normalized text just before (after) the
occurrence, with surrounding white space ignored, must end (start) with them.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import difflib
import functools
import heapq
import itertools
import re
from collections.abc import Sequence

from markdown_it.token import Token

from .annotations import QUOTE_MAX, Annotation, AnnotationFile
from .errors import Diagnostic
from .sources import SourceFile

# every white-space character but the plain space (str.isspace(), = regex [^\S ]; tests/test_anchoring.py checks)
_OTHER_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d"
_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u300e\u300f"
_ONE_TO_ONE = [(c, " ") for c in _OTHER_SPACE] + [(c, '"') for c in _DOUBLE] + [(c, "'") for c in _SINGLE]
# dropped wherever they are (see the module's docstring): optional in Arabic script, or invisible
OPTIONAL = ("\u0640\u064b-\u0653\u0656-\u065f\u0670\u200b-\u200f\u061c\u2060\u00ad\ufeff")
_OPEN_GUILLEMETS, _SPACE_BEFORE = "\u00ab\u2039", "\u00bb\u203a;:!?"  # French: no space after / before these
# what may change the length, in the text after _one_to_one (where guillemets are already straight quotes:
# the original text tells them apart): runs with an optional mark, runs of spaces, and a space before or
# after punctuation that French spaces
# (no lookbehind: it made the scan ten times slower; a match after a quote starts with the quote, kept)
_VARIABLE = re.compile(f"[ {OPTIONAL}]*[{OPTIONAL}][ {OPTIONAL}]*|  +| +(?=[;:!?\"'])|[\"'] +")
_TRIGGERS = ("\u00ab\u00bb\u2039\u203a\u0640" + "".join(map(chr, range(0x64B, 0x654)))
             + "".join(map(chr, range(0x656, 0x660))) + "\u0670\u200b\u200c\u200d\u200e\u200f\u061c\u2060\u00ad\ufeff")
SEP = "\n"


def _one_to_one(text: str) -> str:
    """White space → space, typographic quotes → straight: no offset changes.

    A replace per character that occurs: ``in`` and ``replace`` scan at memory speed, faster than one
    regex character class or str.translate (docs/performance.md, "Figures behind the code").
    """
    for c, to in _ONE_TO_ONE:
        if c in text:
            text = text.replace(c, to)
    return text


def normalize(text: str) -> str:
    return _collapse(text, _one_to_one(text))[0]


def _may_change(raw: str, translated: str) -> bool:
    """Whether _collapse may change translated: False for most text. Searching one character is several times
    faster than a substring or a character class, so each is looked for on its own."""
    for c in _TRIGGERS:
        if c in raw:
            return True
    return "  " in translated or any(p in translated and " " + p in translated for p in ";:!?")


def _collapse(raw: str, translated: str) -> tuple[str, list[tuple[int, int]]]:
    """translated (raw after _one_to_one) with space runs collapsed, French spacing and optional marks dropped;
    and the breakpoints: (offset in the result just after each change, characters removed up to there)."""
    out: list[str] = []
    breaks: list[tuple[int, int]] = []
    if not _may_change(raw, translated):
        return translated, breaks
    last = size = shift = 0
    for m in _VARIABLE.finditer(translated):
        start, end = m.span()
        if translated[start] in "\"'":  # a quote, then spaces: the quote stays
            start += 1
        old = translated[start:end]
        if " " not in old or (end < len(raw) and raw[end] in _SPACE_BEFORE) or (
                start and raw[start - 1] in _OPEN_GUILLEMETS):
            new = ""
        else:
            new = " "
        if new == old:  # a single space next to a quote or ; : ! ? that is not French spacing
            continue
        out += (translated[last:start], new)
        size += start - last + len(new)
        shift += end - start - len(new)
        breaks.append((size, shift))
        last = end
    if not breaks:
        return translated, breaks
    out.append(translated[last:])
    return "".join(out), breaks


@dataclasses.dataclass
class Block:
    """One inline token's text as a reader sees it, with where each child's text lies in it."""

    token_index: int
    line: int  # 0-based line of the block in the Markdown body
    text: str
    pieces: list[tuple[int, int, int]]  # (child index, start, end) in text


EXACT, MOVED = "exact", "moved"
MOVED_RATIO = 0.8  # how close (difflib ratio, ignoring case) a changed text must be to count as moved


@dataclasses.dataclass(frozen=True)
class Anchor:
    annotation: Annotation
    block: int  # index into the blocks list
    start: int  # offsets in the block's plain text
    end: int
    status: str = EXACT  # exact, or moved: matched approximately after the article was edited


def plain_blocks(tokens: Sequence[Token]) -> list[Block]:
    blocks = []
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        parts: list[str] = []
        pieces = []
        pos = 0
        for ci, child in enumerate(token.children):
            t = child.type
            if t == "text" or t == "code_inline":
                s = child.content
            elif t == "softbreak" or t == "hardbreak":
                s = "\n"
            else:
                continue
            if s:
                parts.append(s)
                pieces.append((ci, pos, pos + len(s)))
                pos += len(s)
        blocks.append(Block(index, token.map[0] if token.map else 0, "".join(parts), pieces))
    return blocks


class TextIndex:
    """The normalized document with maps back to (block, plain offset)."""

    def __init__(self, blocks: list[Block]):
        self.blocks = blocks
        norms = []
        self.starts: list[int] = []  # start of each block in self.text
        self.breaks: list[list[tuple[int, int]]] = []  # per block: (norm offset after a run, plain shift)
        pos = 0
        # translated in one pass (NUL never occurs in markdown-it's text: it becomes U+FFFD)
        raw = "\0".join(b.text for b in blocks)
        whole = _one_to_one(raw)
        changes = _may_change(raw, whole)  # (most articles: no block has anything to collapse)
        for block, translated in zip(blocks, whole.split("\0") if blocks else [], strict=True):
            translated, breaks = _collapse(block.text, translated) if changes else (translated, [])
            norms.append(translated)
            self.breaks.append(breaks)
            self.starts.append(pos)
            pos += len(translated) + len(SEP)
        self.text = SEP.join(norms)

    def locate(self, offset: int) -> tuple[int, int]:
        """Normalized document offset → (block index, plain offset in that block)."""
        b = bisect.bisect_right(self.starts, offset) - 1
        local = offset - self.starts[b]
        breaks = self.breaks[b]
        k = bisect.bisect_right(breaks, (local, 1 << 62)) - 1
        return b, local + (breaks[k][1] if k >= 0 else 0)

    def line_of(self, offset: int) -> int:
        """0-based body line of a normalized offset."""
        b, plain = self.locate(offset)
        block = self.blocks[b]
        return block.line + block.text.count("\n", 0, plain)

    @functools.cached_property
    def flat_words(self) -> tuple[str, str, list[int], list[int]]:
        """The text with paragraph breaks as spaces, its lower-case copy, and where each of its words starts and
        ends (see :func:`word_bounds`)."""
        flat = self.text.replace(SEP, " ")
        low = flat.lower()
        return flat, low, *word_bounds(low)

    @functools.cached_property
    def trigrams(self) -> list[str]:
        """The three characters starting at each position of the lower-case flat text (kept: an article's
        missing quotes share them)."""
        return _grams(self.flat_words[1], 3)

    def occurrences(self, needle: str) -> list[int]:
        found = []
        i = self.text.find(needle)
        while i != -1:
            found.append(i)
            i = self.text.find(needle, i + 1)
        return found


def context_ok(index: TextIndex, at: int, length: int, prefix: str, suffix: str) -> bool:
    text = index.text
    if prefix:
        before = text[max(0, at - len(prefix) - 8):at].replace(SEP, " ").rstrip()
        if not before.endswith(prefix):
            return False
    if suffix:
        after = text[at + length:at + length + len(suffix) + 8].replace(SEP, " ").lstrip()
        if not after.startswith(suffix):
            return False
    return True


def anchor(annotations: Sequence[Annotation], blocks: list[Block], af: AnnotationFile, body: SourceFile,
           diags: list[Diagnostic], article_changed: bool = False) -> list[Anchor]:
    """Anchor every annotation; report missing, ambiguous and cross-paragraph quotes, at the quote in ``af``
    (by its path, ("annotations", ann.index, "quote")).

    When the article changed since the annotations were written (``article_changed``), a quote that
    now matches only approximately is *moved*: anchored where it matches best, with a warning that
    gives the updated quote. Otherwise (or when nothing is close) it is *orphaned*: an error.
    """
    index = TextIndex(blocks)
    anchors = []
    searched = 0  # the closest-text searches' work in this article (ARTICLE_BUDGET)
    for ann in annotations:
        quote = normalize(ann.quote).strip()
        prefix = normalize(ann.prefix).strip()
        suffix = normalize(ann.suffix).strip()

        def where(msg: str, hint: str, ann: Annotation = ann) -> Diagnostic:
            return af.at(("annotations", ann.index, "quote"), msg, hint)
        orphan = " (orphaned: the article changed since the note was written)" if article_changed else ""
        hits = index.occurrences(quote)
        matches = [i for i in hits if context_ok(index, i, len(quote), prefix, suffix)]
        if len(matches) == 1:
            b, start = index.locate(matches[0])
            _, end = index.locate(matches[0] + len(quote) - 1)
            anchors.append(Anchor(ann, b, start, end + 1))
            continue
        line = lambda off: index.line_of(off) + body.first_line  # noqa: E731
        if matches:
            places = "; ".join(f"line {line(i)} after \"{_words_before(index, i, 4) or '(start of paragraph)'}\""
                               for i in matches[:6])
            example = next((f"prefix: {yaml_quote(w)}" for w in (_words_before(index, i, 3) for i in matches) if w),
                           f"suffix: {yaml_quote(_words_after(index, matches[0] + len(quote), 3))}")
            diags.append(where(
                f"quote of '{ann.id}' is ambiguous: it occurs {len(matches)} times in {body.rel}: {places}",
                "add prefix: (the words just before the one you mean) or suffix: (the words just after), "
                f"e.g. {example}"))
        elif hits:
            what = " and ".join(x for x, v in (("prefix", prefix), ("suffix", suffix)) if v)
            lines = ", ".join(str(line(i)) for i in hits[:8])
            diags.append(where(
                f"quote of '{ann.id}' occurs in {body.rel} (line{'s' if len(hits) > 1 else ''} {lines}) "
                f"but never with this {what}",
                f"the {what} must be the text right next to the quote: before it, "
                f"\"{_words_before(index, hits[0], 4)}\"; "
                f"after it, \"{_words_after(index, hits[0] + len(quote), 4)}\""))
        elif quote and quote in index.text.replace(SEP, " "):
            at = index.text.replace(SEP, " ").find(quote)
            diags.append(where(
                f"quote of '{ann.id}' crosses a paragraph boundary (line {line(at)})",
                "a quote must stay within one paragraph: split it into two annotations"))
        else:
            skipped = searched >= ARTICLE_BUDGET
            before = COMPARED["elements"]
            best, at, ratio = ("", 0, 0.0) if skipped else closest(index, quote)
            searched += COMPARED["elements"] - before + len(index.text)  # the comparisons, and the scan of the text
            COMPARED["skipped"] += skipped
            if article_changed and ratio >= MOVED_RATIO and SEP not in index.text[at:at + len(best)]:
                b, start = index.locate(at)
                _, end = index.locate(at + len(best) - 1)
                text = blocks[b].text[start:end + 1]
                anchors.append(Anchor(dataclasses.replace(ann, quote=text), b, start, end + 1, MOVED))
                shown = " ".join(text.split())  # a line break of the article would start a hint line of input
                snippet = f"quote: {yaml_quote(shown)}"
                if len(index.occurrences(best)) > 1:
                    snippet += f"\nprefix: {yaml_quote(_words_before(index, at, 3))}"
                diags.append(dataclasses.replace(where(
                    f"quote of '{ann.id}' has moved: the article now reads \"{shown}\" (line {line(at)})",
                    "if the note still applies, update the annotation:\n" + snippet), severity="warning"))
            elif ratio >= 0.5:
                shown = as_written(index, at, best)
                diags.append(where(f"quote of '{ann.id}' not found in {body.rel}{orphan}",
                                   f"closest text in the article, line {line(at)}: \"{shown}\" — "
                                   "copy the quote exactly from the article"))
            else:
                diags.append(where(f"quote of '{ann.id}' not found in {body.rel}{orphan}",
                                   "copy the quote exactly from the article text "
                                   "(Markdown syntax such as * and [] is not part of it)" + SKIPPED * skipped))
    return anchors


def as_written(index: TextIndex, at: int, found: str) -> str:
    """Normalized text found at ``at`` as the article writes it (« non », not "non"), its white space as single
    spaces; as normalized when it spans two paragraphs."""
    if SEP not in index.text[at:at + len(found)]:
        b, start = index.locate(at)
        _, end = index.locate(at + len(found) - 1)
        found = index.blocks[b].text[start:end + 1]
    return " ".join(found.split())


def yaml_quote(text: str) -> str:
    """Text as a YAML scalar that can be pasted as is (single-quoted: only ' needs doubling)."""
    return "'" + text.replace("'", "''") + "'"


# Chinese and Japanese write no spaces between words: for the hints and the closest-text search each of their
# characters (ideographs, kana, their punctuation) counts as a word.
_CJK = "\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff65\U00020000-\U0003134f"
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORD = re.compile(f"[{_CJK}]|[^ {_CJK}]+")


def word_bounds(text: str) -> tuple[list[int], list[int]]:
    """Where each word of text (spaces collapsed) starts and ends: the text between spaces, a CJK character alone.
    Without CJK, a word starts after each space (an empty one too, as str.split(" ") counts them)."""
    if not _HAS_CJK.search(text):
        starts = [0]
        at = text.find(" ")
        while at != -1:
            starts.append(at + 1)
            at = text.find(" ", at + 1)
        return starts, [*(s - 1 for s in starts[1:]), len(text)]
    bounds = [m.span() for m in _WORD.finditer(text)] or [(0, 0)]
    return [a for a, _ in bounds], [b for _, b in bounds]


def _words_before(index: TextIndex, at: int, n: int) -> str:
    start = index.text.rfind(SEP, 0, at) + 1
    text = index.text[start:at]
    if _HAS_CJK.search(text):
        words = list(_WORD.finditer(text))
        text = text[words[-n].start() if len(words) >= n else 0:]
    return " ".join(text.split()[-n:])


def _words_after(index: TextIndex, at: int, n: int) -> str:
    end = index.text.find(SEP, at)
    text = index.text[at:end if end != -1 else None]
    if _HAS_CJK.search(text):
        words = list(_WORD.finditer(text))
        text = text[:words[n - 1].end() if len(words) >= n else None]
    return " ".join(text.split()[:n])


# The closest-text search (a missing quote's hint, and a moved quote's new place) is bounded work: one pass over
# the article scores every run of words by the quote's character trigrams it holds, then difflib compares the
# quote with the best-scoring runs only, as many as COMPARE_BUDGET allows (difflib's cost grows with the
# product of the two lengths, and with the quote's length for every run compared, which is what made the
# exhaustive search take minutes on a long quote).
COMPARE_BUDGET = 1_000_000  # difflib's work, summed over the runs compared: len(run) * len(quote), in elements
MAX_RUNS = 1_000  # runs compared at most, however short the quote (short ones cost little each)
CHAR_LIMIT = QUOTE_MAX  # a longer quote (the schema refuses it) is compared word by word, not character by character,
WORD_LIMIT = 400  # and by its first WORD_LIMIT words with the run's first WORD_LIMIT: every comparison is bounded
COMPARED: collections.Counter[str] = collections.Counter()  # runs and elements compared, for tests and benchmarks
# and per article: many missing long quotes in one file (a pull request's) would each get a full search, so past
# ARTICLE_BUDGET (elements compared plus the article's length for each scan) the rest are reported without a hint
ARTICLE_BUDGET = 3 * COMPARE_BUDGET
SKIPPED = " (closest-text search skipped: too many missing quotes in this file)"


def closest(index: TextIndex, quote: str) -> tuple[str, int, float]:
    """The run of words most like the quote (ignoring case): (text, normalized offset, difflib ratio).

    Runs are as many words as the quote, one fewer or one more; among runs equally alike, the one
    with fewer words, then the earlier one, wins.
    """
    if not quote:
        return "", 0, 0.0
    flat, low, starts, _ = index.flat_words
    q = quote.lower()
    at = low.find(q)
    if at != -1:
        return flat[at:at + len(quote)], at, 0.99
    n = max(1, len(word_bounds(quote)[0]))
    by_words = len(q) > CHAR_LIMIT
    target = q.split(" ")[:WORD_LIMIT] if by_words else q
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    best = (0.0, 0, 0)  # (ratio, -(width order), -(first word)): the most alike, then the narrower, then the earlier
    best_len = 0
    spent = 0
    for order, i, length in _likely_runs(index, q, n, COMPARE_BUDGET // len(target) ** 2):
        run = low[starts[i]:starts[i] + length]
        seq = run.split(" ")[:WORD_LIMIT] if by_words else run
        cost = len(seq) * len(target)
        if spent and spent + cost > COMPARE_BUDGET:
            break
        matcher.set_seq1(seq)
        if matcher.real_quick_ratio() < best[0] or matcher.quick_ratio() < best[0]:
            continue
        spent += cost
        COMPARED["runs"] += 1
        COMPARED["elements"] += cost
        key = (matcher.ratio(), -order, -i)
        if key > best:
            best, best_len = key, length
    ratio, at = best[0], starts[-best[2]]
    return (flat[at:at + best_len], at, ratio) if ratio else ("", 0, 0.0)


def _likely_runs(index: TextIndex, q: str, n: int, count: int) -> list[tuple[int, int, int]]:
    """The ``count`` runs of n - 1, n and n + 1 words (at least one, at most MAX_RUNS) that hold the most of the
    quote's character trigrams for their length, best first (ties: the narrower, then the earlier):
    (width order, first word, length in characters). Linear in the article and the quote."""
    _, low, starts, ends = index.flat_words
    g = min(3, len(q))
    grams = {q[k:k + g] for k in range(len(q) - g + 1)}
    # hits[p]: how many positions before p start one of the quote's trigrams (map and accumulate run in C)
    hits = list(itertools.accumulate(map(grams.__contains__, index.trigrams if g == 3 else _grams(low, g)),
                                     initial=0))
    runs: list[tuple[int, int, int]] = []
    scores: list[float] = []
    for order, width in enumerate((max(1, n - 1), n, n + 1)):
        last = ends[min(width, len(starts)) - 1:]  # the last character of each run of this width, + 1
        runs += ((order, i, e - s) for i, (s, e) in enumerate(zip(starts, last, strict=False)))
        scores += [2 * (hits[e - g + 1 if e - g + 1 > s else s] - hits[s]) / (e - s + len(q))
                   for s, e in zip(starts, last, strict=False)]
    best = heapq.nlargest(max(1, min(MAX_RUNS, count)), range(len(runs)), key=scores.__getitem__)  # stable
    return [runs[k] for k in best]


def _grams(low: str, g: int) -> list[str]:
    """The g characters starting at each position of low."""
    return [low[p:p + g] for p in range(len(low))]
