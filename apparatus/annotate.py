"""From a passage a reader selected to a note that anchors, and the records finder (``build.py annotate``,
``build.py records``, the preview's select-to-annotate panel).

:func:`snippet` takes the selection as the browser gives it (rendered text: no Markdown marks, any white
space, the quotation marks as shown) and finds it with the build's own anchoring (:mod:`apparatus.anchoring`:
the same normalized text, the same occurrences, the same prefix and suffix rule). The quote, prefix and
suffix it returns are the article's own words at that place; the prefix and suffix are the shortest (fewest
words, then fewest characters) that leave only the occurrence meant, and the YAML item is checked the way
``check`` checks a note (loaded by :func:`apparatus.annotations.parse_annotations`, anchored by
:func:`apparatus.anchoring.anchor`) before it is returned: a snippet that would not anchor is never given.

Every input is hostile (the preview's panel posts it): files are read only through :mod:`apparatus.sources`, the
slug must name an article of the collection, and every text has a length cap, so the work per call is bounded.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from . import anchoring, fastmd
from .anchoring import SEP, Block, TextIndex, anchor, normalize, plain_blocks
from .annotations import QUOTE_MAX, REGISTRY, TYPES, Record, Registry, parse_annotations, parse_registry
from .articles import Article, load_article
from .errors import BIDI, Diagnostic
from .schema import ID_RE, did_you_mean, load_yaml
from .sources import SourceFile, read_source, walk

SELECTION_MAX = 2 * QUOTE_MAX  # characters of a selection before its white space is collapsed
CONTEXT_MAX = 1_000  # characters of the page's text on each side of the selection (the panel sends ~200)
NOTE_MAX = 20_000  # characters of a note or a correction
RECORDS_MAX = 50  # record ids cited by one note
ID_MAX = 80  # characters of an id given
ID_WORDS, ID_LENGTH = 4, 40  # a suggested id: at most this many words of the quote, this many characters
WORDS_MAX = 200  # characters of a records search
HITS_MAX = 2_000  # occurrences of a quote told apart (a letter in a long article: select a longer passage)

# words left out of a suggested id when others remain: English's commonest (not French's: le, la and de begin names,
# Le Drian, La Fontaine)
_STOP = frozenset(re.findall("[a-z]+", "a an and are as at be by for from had has have in is it its of on or that the "
                                       "their this to was were which with"))


class Refused(Exception):  # noqa: N818 - the answer to a request, not a fault of the program
    """Why no snippet (or search) can be given, and what to do. ``usage``: an argument is wrong whatever the
    collection holds (an unknown slug, a bad id, a text too long: ``build.py annotate`` exits 2); otherwise the
    collection does not allow it (the quote is not in the article, a file has errors: exit 1)."""

    def __init__(self, message: str, hint: str, usage: bool = False):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.usage = usage


@dataclasses.dataclass(frozen=True)
class Snippet:
    slug: str
    kind: str  # "correction" | "context" | "source"
    id: str
    quote: str
    prefix: str  # "" when not needed
    suffix: str
    yaml: str  # one list item at indent 0, "- id: …" to a final "\n"


@dataclasses.dataclass(frozen=True)
class RecordHit:
    id: str
    symbol: str
    title: str
    date: str


def snippet(root: Path, slug: str, quote: str, *, kind: str = "context", note: str = "", correction: str = "",
            records: Sequence[str] = (), id: str | None = None, context_before: str = "",
            context_after: str = "") -> Snippet:
    """The note on the passage ``quote`` of the article ``slug``, as a YAML list item that anchors there.

    ``context_before`` / ``context_after`` (the page's text around the selection) pick the occurrence meant when
    the quote occurs more than once: the one whose surroundings match them longest; without them, the first.
    An empty ``note`` (or a correction's empty ``correction``) is written as "", which ``check`` reports
    until it is written. Raises :class:`Refused`.
    """
    note, correction = _checked_inputs(quote, kind, note, correction, records, context_before, context_after)
    article = _article(root, slug)
    index, blocks = _parsed(article.body.text)
    q = normalize(quote).strip()
    if not q:
        raise Refused("the selection holds no text", "select the words the note is about", usage=True)
    if len(q) > QUOTE_MAX:
        raise Refused(f"the quote is too long: {len(q):,} characters, at most {QUOTE_MAX:,}",
                      "select the words that matter: a note is about a passage, not a page", usage=True)
    hits = _hits(index, q, article)
    at = _meant(index, hits, len(q), context_before, context_after)
    registry = _registry(root)
    _check_records(records, registry)
    taken = _taken_ids(root, slug)
    written = anchoring.as_written(index, at, q)
    note_id = _checked_id(id, taken, slug) if id else suggest_id(written, kind, taken)  # ("": suggest one)
    prefix, suffix = _shortest_context(index, q, at, hits)
    # the article's own words (“ ” as it writes them), else the normalized text the build compares
    problem: Diagnostic | None = None
    for form in ((written, _written(index, _before(index, at) - len(prefix), prefix),
                  _written(index, _after(index, at + len(q)), suffix)), (q, prefix, suffix)):
        item = item_yaml(id=note_id, type=kind, quote=form[0], prefix=form[1], suffix=form[2], correction=correction,
                         note=note, records=records)
        problem = _anchoring_problem(article, blocks, index, at, item, registry.records, slug)
        if problem is None:
            return Snippet(slug, kind, note_id, form[0], form[1], form[2], item)
    assert problem is not None
    raise Refused(problem.message, problem.hint)  # (the last form's problem)


# --- inputs -------------------------------------------------------------------------------------------------


def _checked_inputs(quote: str, kind: str, note: str, correction: str, records: Sequence[str],
                    before: str, after: str) -> tuple[str, str]:
    """Each input within its bounds (before any file is read); the note and correction with \\r\\n as \\n."""
    if kind not in TYPES:
        raise Refused(f"unknown type '{kind}'", f"the type is one of {', '.join(TYPES)}", usage=True)
    if len(quote) > SELECTION_MAX:
        raise Refused(f"the selection is too long: {len(quote):,} characters, at most {SELECTION_MAX:,}",
                      "select the words that matter: a quote holds at most "
                      f"{QUOTE_MAX:,} characters", usage=True)
    for name, text in (("the text before the selection", before), ("the text after the selection", after)):
        if len(text) > CONTEXT_MAX:
            raise Refused(f"{name} is too long: {len(text):,} characters, at most {CONTEXT_MAX:,}",
                          "give the few sentences around the selection (the preview sends 200 characters)",
                          usage=True)
    note, correction = (t.replace("\r\n", "\n").replace("\r", "\n") for t in (note, correction))
    for name, text in (("the note", note), ("the correction", correction)):
        if len(text) > NOTE_MAX:
            raise Refused(f"{name} is too long: {len(text):,} characters, at most {NOTE_MAX:,}",
                          "a note says what the reader needs; link the rest", usage=True)
    for name, text, allowed in (("the quote", quote, None), ("the text before the selection", before, None),
                                ("the text after the selection", after, None), ("the note", note, "\n\t"),
                                ("the correction", correction, "\t")):
        bad = _control(text, allowed)
        if bad:
            raise Refused(f"{name} holds the control character U+{ord(bad):04X}",
                          "remove it: it is invisible, and no article or note may hold it", usage=True)
    if correction and kind != "correction":
        raise Refused(f"a correction's wording is only for type correction (this one is {kind})",
                      "choose the type correction, or fold the text into the note", usage=True)
    if len(records) > RECORDS_MAX:
        raise Refused(f"{len(records)} records: a note cites at most {RECORDS_MAX}",
                      "cite the records the note rests on", usage=True)
    return note, correction


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # Unicode's Cc, and lone surrogates (Cs)


def _control(text: str, allowed: str | None) -> str:
    """The first control character or lone surrogate of text ('' if none): white space is allowed in a quote
    (``allowed`` None: the build reads it as a space), only ``allowed`` elsewhere."""
    for m in _CONTROL.finditer(text):
        c = m.group()
        if not (c.isspace() if allowed is None else c in allowed):
            return c
    return ""


def _article(root: Path, slug: str) -> Article:
    """The article slug, if it is one of the collection's (its file is read only if the slug is well formed, and
    read by sources, which refuses a link out of content/; the folder is listed only to say it is not there)."""
    if not ID_RE.fullmatch(slug):
        raise Refused(f"'{slug}' is not an article's slug: a slug is lowercase letters, digits and single hyphens",
                      "give the article's file name without .md, e.g. build.py annotate my-article \"…\"",
                      usage=True)
    rel = f"content/{slug}.md"
    article, diags = load_article(root, rel)
    if article is not None:
        return article
    if os.path.lexists(root / rel):  # there, but refused (a link out of content/, not UTF-8, no front matter)
        raise _file_refused(diags)
    files, _ = walk(root, "content")
    slugs = [f[len("content/"):-len(".md")] for f in files if f.endswith(".md") and f.count("/") == 1]
    near = did_you_mean(slug, slugs)
    raise Refused(f"no article '{slug}' in the collection" + (f": {near}" if near else ""),
                  "give the slug of an article in content/ (its file name without .md)", usage=True)


def _file_refused(diags: list[Diagnostic]) -> Refused:
    first = next(d for d in diags if d.is_error)
    return Refused(f"{first.path}:{first.line}:{first.col}: {first.message}",
                   f"fix this first (build.py check lists every problem); {first.hint}".rstrip("; "))


@functools.lru_cache(maxsize=8)
def _parsed(body: str) -> tuple[TextIndex, list[Block]]:
    """The article's text as the build anchors in it (kept per text: the panel asks again for each change)."""
    blocks = plain_blocks(fastmd.parse(body))
    return TextIndex(blocks), blocks


def _registry(root: Path) -> Registry:
    """The registry (its records are those that load: a registry with errors still lists the others)."""
    src = _annotation_source(root, REGISTRY.removesuffix(".yaml"))
    return _records_of(src.text) if src is not None else Registry({}, [])


@functools.lru_cache(maxsize=4)
def _records_of(text: str) -> Registry:
    return parse_registry(SourceFile(f"annotations/{REGISTRY}", text))


def _registry_refused(registry: Registry) -> Refused:
    """The registry's own problem, said instead of "unknown record id" when its errors may be why an id is missing."""
    if any(d.is_error for d in registry.diagnostics):
        return _file_refused(registry.diagnostics)
    return Refused(f"annotations/{REGISTRY} has no list of records", f"write 'records:' and the records under it "
                   f"(build.py check annotations/{REGISTRY} says more)")


def _annotation_source(root: Path, name: str) -> SourceFile | None:
    """annotations/<name>.yaml, read (None when there is no such file); Refused when it cannot be read."""
    rel = f"annotations/{name}.yaml"
    src, diags = read_source(root, rel)
    if src is None and os.path.lexists(root / rel):
        raise _file_refused(diags)
    return src


def _check_records(records: Sequence[str], registry: Registry) -> None:
    """Each id cited is a record of the registry; when the registry could not be read whole (a YAML error, no
    'records:' list) or an id is missing from a registry with errors, the registry's problem is the answer."""
    for rid in records:
        if not isinstance(rid, str) or not ID_RE.fullmatch(rid):
            raise Refused(f"'{rid}' is not a record id", "a record id is lowercase letters, digits and single hyphens, "
                          f"as in annotations/{REGISTRY}", usage=True)
        if not registry.complete or (rid not in registry.records
                                     and any(d.is_error for d in registry.diagnostics)):
            raise _registry_refused(registry)
        if rid not in registry.records:
            near = did_you_mean(rid, sorted(registry.records))
            raise Refused(f"unknown record id '{rid}'" + (f": {near}" if near else ""),
                          f"find it with build.py records <words>, or add it to annotations/{REGISTRY}", usage=True)


def _taken_ids(root: Path, slug: str) -> dict[str, int]:
    """The ids of the article's annotation file, if it has one (id → its place in the list)."""
    src = _annotation_source(root, slug)
    return _ids_of(src.rel, src.text) if src is not None else {}


@functools.lru_cache(maxsize=8)
def _ids_of(rel: str, text: str) -> dict[str, int]:
    raw, doc, diags = load_yaml(SourceFile(rel, text))
    if doc is None:
        raise _file_refused(diags)
    items = raw.get("annotations") if isinstance(raw, dict) else None
    taken: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else ()):
        value = item.get("id") if isinstance(item, dict) else None
        value = getattr(value, "value", value)  # an id YAML reads as a number keeps its text
        if isinstance(value, str):
            taken.setdefault(value, i)
    return taken


def _checked_id(given: str, taken: dict[str, int], slug: str) -> str:
    if len(given) > ID_MAX or not ID_RE.fullmatch(given):
        fixed = suggest_id(given, "note", taken)
        raise Refused(f"'{given[:ID_MAX]}' is not a valid id" + (" (too long)" if len(given) > ID_MAX else ""),
                      f"use lowercase letters, digits and single hyphens, at most {ID_MAX} characters, "
                      f"e.g. '{fixed}'", usage=True)
    if given in taken:
        raise Refused(f"the id '{given}' is already used in annotations/{slug}.yaml (note {taken[given] + 1})",
                      f"give each note its own id, e.g. '{_unique(given, taken)}'", usage=True)
    return given


def suggest_id(text: str, kind: str, taken: dict[str, int] | set[str]) -> str:
    """An id from the text's words: lowercase ASCII letters and digits (accents dropped), the first few words that
    are not stop words, unique among ``taken`` (-2, -3 … added); the type when no word is written in Latin
    letters (Chinese, Uyghur). An apostrophe joins (Party’s: partys), any other character separates."""
    words = re.findall("[a-z0-9]+", _folded(re.sub("['\u2019\u02bc]", "", text)))
    kept = [w for w in words if w not in _STOP] or words
    base = ""
    for w in kept[:ID_WORDS]:
        if len(base) + len(w) + 1 > ID_LENGTH:
            break
        base = f"{base}-{w}" if base else w
    return _unique(base or (kept[0][:ID_LENGTH] if kept else kind), taken)


def _unique(base: str, taken: dict[str, int] | set[str]) -> str:
    n, found = 1, base
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    return found


# --- the occurrence meant, and the shortest prefix and suffix that pick it -------------------------------------


def _hits(index: TextIndex, q: str, article: Article) -> list[int]:
    hits = index.occurrences(q)
    if len(hits) > HITS_MAX:
        raise Refused(f"the quote occurs {len(hits):,} times in {article.path} (at most {HITS_MAX:,} are told apart)",
                      "select a longer passage")
    if hits:
        return hits
    flat = index.flat_words[0]
    if q in flat:
        line = index.line_of(flat.find(q)) + article.body.first_line
        raise Refused(f"the selection crosses a paragraph boundary in {article.path} (line {line})",
                      "select within one paragraph: a note's quote stays in one (two passages make two notes)")
    best, at, ratio = anchoring.closest(index, q)
    hint = "copy the words exactly from the article (its text, not the page's notes or numbers)"
    if ratio >= 0.5:
        line = index.line_of(at) + article.body.first_line
        hint = f"closest text in the article, line {line}: \"{anchoring.as_written(index, at, best)}\""
    raise Refused(f"the quote is not in {article.path}", hint)


def _meant(index: TextIndex, hits: list[int], length: int, before: str, after: str) -> int:
    """The hit whose surroundings agree longest with the page's text around the selection, compared by their
    letters and digits (:func:`_squeezed`); on a tie, the one sharing the most pairs of letters with it (the page
    may hold text the article does not, a note's number, right next to the selection); then the first."""
    if len(hits) == 1 or not (before or after):
        return hits[0]
    flat = index.flat_words[0]
    b, a = _squeezed(normalize(before)), _squeezed(normalize(after))
    pairs_b, pairs_a = _pairs(b), _pairs(a)
    span_b, span_a = 2 * len(before) + 20, 2 * len(after) + 20  # (the page's text may hold more punctuation)

    def agreement(at: int) -> tuple[int, int]:
        here_b = _squeezed(flat[max(0, at - span_b):at])
        here_a = _squeezed(flat[at + length:at + length + span_a])
        return (len(_common_start(here_b[::-1], b[::-1])) + len(_common_start(here_a, a)),
                len(pairs_b & _pairs(here_b)) + len(pairs_a & _pairs(here_a)))
    scores = [agreement(at) for at in hits]
    return hits[scores.index(max(scores))]


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _squeezed(text: str) -> str:
    """Letters and digits only, in lower case: what the page and the article surely share (a browser's text may
    lack the spaces between paragraphs; words typed on the command line, the punctuation)."""
    return "".join(_WORD_CHARS.findall(text)).casefold()


_WORD_CHARS = re.compile(r"\w+")


def _common_start(x: str, y: str) -> str:
    n = 0
    for n, (c, d) in enumerate(zip(x, y, strict=False)):  # noqa: B007
        if c != d:
            return x[:n]
    return x[:min(len(x), len(y))]


def _prefixes(flat: str, at: int, reach: int) -> list[str]:
    """The candidate prefixes of the occurrence at ``at``, shortest first: its last 1, 2, … words (a Chinese
    character is a word) within ``reach`` characters, as the build compares them
    (:func:`apparatus.anchoring.context_ok`)."""
    start = max(0, at - reach)
    window = flat[start:at].rstrip()
    starts = anchoring.word_bounds(window)[0]
    if start > 0:
        starts = starts[1:]  # the first word may be cut
    return [window[s:] for s in reversed(starts) if window[s:] and not window[s].isspace()]


def _suffixes(flat: str, end: int, reach: int) -> list[str]:
    stop = min(len(flat), end + reach)
    window = flat[end:stop].lstrip()
    ends = anchoring.word_bounds(window)[1]
    if stop < len(flat):
        ends = ends[:-1]  # the last word may be cut
    return [window[:e] for e in ends if window[:e] and not window[e - 1].isspace()]


NEAR = 200  # characters each side first looked at for a prefix or suffix (most need a word or two)
NEVER = 1 << 30


def _shortest_context(index: TextIndex, q: str, at: int, hits: list[int]) -> tuple[str, str]:
    """The prefix and suffix, fewest words then fewest characters (a prefix before a suffix on a tie), that leave
    only the occurrence at ``at`` among hits; ("", "") when it is the only one.

    Candidates are looked for within NEAR characters, then (if none is found there, or a longer one might do
    better) within QUOTE_MAX, the longest a prefix or suffix may be."""
    others = [h for h in hits if h != at]
    if not others:
        return "", ""
    flat = index.flat_words[0]
    for reach in (NEAR, QUOTE_MAX):
        prefixes, suffixes = _prefixes(flat, at, reach), _suffixes(flat, at + len(q), reach)
        # the words of prefix (suffix) that rule out each other hit: a longer one ends with a shorter one, so once
        # ruled out a hit stays out, and the first that does is found by bisection
        need_p = [_first(index, h, len(q), prefixes, before=True) for h in others]
        need_s = [_first(index, h, len(q), suffixes, before=False) for h in others]
        best = _cheapest(need_p, need_s, prefixes, suffixes)
        if best is not None and (reach == QUOTE_MAX or best[0] < min(len(prefixes), len(suffixes))):
            _, _, ks, kp = best  # (a longer candidate than these would have more words)
            return (prefixes[kp - 1] if kp else ""), (suffixes[ks - 1] if ks else "")
    raise Refused(f"the quote occurs {len(hits):,} times and no prefix or suffix of up to {QUOTE_MAX:,} "
                  "characters tells this occurrence from the others",
                  "select a longer passage, one that occurs once in the article")


def _cheapest(need_p: list[int], need_s: list[int], prefixes: list[str],
              suffixes: list[str]) -> tuple[int, int, int, int] | None:
    """(words, characters, suffix words, prefix words) of the cheapest pair that rules out every other hit: for
    each prefix length that some hit needs (or none), the shortest suffix that the hits it leaves need (the most
    any of them needs: with the hits in order of the prefix they need, those left are a tail, so one pass)."""
    pairs = sorted(zip(need_p, need_s, strict=True))
    tail_need = list(itertools.accumulate(reversed([s for _, s in pairs]), max))[::-1] + [0]
    best = None
    for kp in sorted({0, *(p for p, _ in pairs if p != NEVER)}):
        left = bisect.bisect_right(pairs, (kp, NEVER))  # the hits this prefix does not rule out start here
        ks = tail_need[left]
        if ks == NEVER:
            continue
        key = (kp + ks, (len(prefixes[kp - 1]) if kp else 0) + (len(suffixes[ks - 1]) if ks else 0), ks, kp)
        if best is None or key < best:
            best = key
    return best


def _first(index: TextIndex, hit: int, length: int, candidates: list[str], before: bool) -> int:
    """The number of words (1-based) of the first candidate prefix (``before``) or suffix that the occurrence at
    ``hit`` does not have (NEVER if none)."""
    def excludes(c: str) -> bool:
        return not anchoring.context_ok(index, hit, length, c if before else "", "" if before else c)
    if not candidates or not excludes(candidates[-1]):
        return NEVER
    lo, hi = 0, len(candidates) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if excludes(candidates[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo + 1


def _before(index: TextIndex, at: int) -> int:
    """Where the text before ``at`` ends, white space and paragraph breaks left out (where a prefix ends)."""
    while at > 0 and index.text[at - 1] in " " + SEP:
        at -= 1
    return at


def _after(index: TextIndex, at: int) -> int:
    while at < len(index.text) and index.text[at] in " " + SEP:
        at += 1
    return at


def _written(index: TextIndex, start: int, found: str) -> str:
    """Normalized text found at ``start`` as the article writes it; as normalized across a paragraph break (a
    prefix or suffix may reach into the next paragraph), where a space stands for the break."""
    if not found or SEP in index.text[start:start + len(found)]:
        return found
    return anchoring.as_written(index, start, found)


# --- the YAML ----------------------------------------------------------------------------------------------------


_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def yaml_string(text: str) -> str:
    """text as a YAML double-quoted scalar that reads back exactly: \\ and " escaped, and every character that
    a YAML file may not hold or that is invisible in an editor (control characters, line and paragraph
    separators, bidirectional overrides, U+FEFF, surrogates, unassigned code points) as an escape."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return '"' + "".join(map(_yaml_char, text)) + '"'


def _yaml_char(c: str) -> str:
    named = _NAMED.get(c)
    if named is not None:
        return named
    if c in BIDI or c == "\ufeff" or unicodedata.category(c) in ("Cc", "Cs", "Cn", "Zl", "Zp"):
        code = ord(c)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return c


def item_yaml(*, id: str, type: str, quote: str, prefix: str = "", suffix: str = "", correction: str = "",
              note: str = "", records: Sequence[str] = ()) -> str:
    """One annotation as a YAML list item at indent 0, every string double-quoted: the fields its type needs
    (a correction's correction:, a source's records:), in the order of docs/format.md."""
    lines = [f"- id: {yaml_string(id)}", f"  type: {yaml_string(type)}", f"  quote: {yaml_string(quote)}"]
    lines += [f"  {name}: {yaml_string(value)}" for name, value in (("prefix", prefix), ("suffix", suffix)) if value]
    if type == "correction":
        lines.append(f"  correction: {yaml_string(correction)}")
    lines.append(f"  note: {yaml_string(note)}")
    if records or type == "source":
        lines.append(f"  records: [{', '.join(map(yaml_string, records))}]")
    return "\n".join(lines) + "\n"


def _anchoring_problem(article: Article, blocks: list[Block], index: TextIndex, at: int, item: str,
                       registry: dict[str, Record], slug: str) -> Diagnostic | None:
    """None if the item, read and checked as ``check`` reads a note and anchored by the build's anchoring, lands
    exactly at ``at``; else the problem. An empty note or correction counts as written (check says it is
    empty until it is)."""
    filled = item.replace('  note: ""\n', '  note: "…"\n').replace('  correction: ""\n', '  correction: "…"\n')
    text = "annotations:\n" + "".join("  " + line for line in filled.splitlines(keepends=True))
    af, diags = parse_annotations(SourceFile(f"annotations/{slug}.yaml", text), frozenset(registry))
    if af is None or len(af.annotations) != 1 or diags:
        return next((d for d in diags if d.is_error), None) or Diagnostic(
            f"annotations/{slug}.yaml", 1, 1, "the note does not load", "report this as a bug")
    anchors = anchor(af.annotations, blocks, af, article.body, diags)
    if diags:
        return diags[0]
    b, start = index.locate(at)
    if len(anchors) != 1 or (anchors[0].block, anchors[0].start) != (b, start):
        return Diagnostic(article.path, 1, 1, "the quote anchors elsewhere", "report this as a bug")
    return None


# --- the records finder -----------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    """Lower case without accents: É → e, ü → u (compatibility forms folded too)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def find_records(root: Path, words: str, limit: int = 20) -> list[RecordHit]:
    """The registry's records whose id, symbol or title holds every word (ignoring case and accents), best first:
    an id or symbol equal to the words, then starting with them, then holding them all, then the title's
    matches; each group by id."""
    if len(words) > WORDS_MAX:
        raise Refused(f"the search is too long: {len(words):,} characters, at most {WORDS_MAX}",
                      "search by a few words of the id, symbol or title", usage=True)
    terms = _folded(words).split()
    if not terms:
        return []
    whole = " ".join(terms)
    registry = _registry(root)
    if not registry.complete:  # no record could be read: saying "no record matches" would mislead
        raise _registry_refused(registry)
    ranked = []
    for r in registry.records.values():
        rid, symbol = _folded(r.id), _folded(r.symbol)
        keys = f"{rid} {symbol}"
        text = f"{keys} {_folded(r.title)}"
        if not all(t in text for t in terms):
            continue
        rank = 0 if whole in (rid, symbol) else 1 if rid.startswith(whole) or (symbol and symbol.startswith(whole)) \
            else 2 if all(t in keys for t in terms) else 3
        ranked.append((rank, r.id, r))
    ranked.sort(key=lambda x: x[:2])
    return [RecordHit(r.id, r.symbol, r.title, r.date) for _, _, r in ranked[:max(0, limit)]]
