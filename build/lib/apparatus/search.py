"""Full-text search: a lunr 2.3.9 index written at build time, read in the browser by lunr.js.

What is indexed: every article, every note and every record (:class:`SearchDoc`), in three lunr
fields — ``title`` (boost 2), ``symbols`` (boost 4: a record's own identifier) and ``text``.

Tokens. Both sides cut text the same way, in Python here and in ``templates/static/search.js``:
fold (NFKD, lower case, combining marks dropped, ’ → ', typographic hyphens → -), then take
*chunks*: runs of letters and digits joined by single ``- / . ' _ : & ,`` characters. A chunk
such as ``CERD/C/CHN/CO/14-17`` is indexed whole, with its leading prefixes (``cerd/c``,
``cerd/c/chn`` …, so ``A/HRC/46`` finds ``A/HRC/46/12``) and its parts (``cerd``, ``chn``, ``14``);
a query uses whole chunks only. Terms then go through lunr's stop-word filter and stemmer. lunr.py's
Porter stemmer differs from lunr.js's (``say`` → ``sai`` vs ``say``), so the index is stemmed by
:func:`stem`, a line-by-line port of lunr.js's, and the serialized pipeline names lunr.js's own
``stopWordFilter`` and ``stemmer``: the browser needs no plug-in.

The index. :func:`build_model` computes exactly what lunr.py's Builder computes (same term order,
BM25 weights, rounding), many times faster and on every core (text cut at white space, each distinct
piece tokenized once; postings as flat (doc, tf) lists; weights computed a list at a time and
rounded exactly as lunr.py where a value lies near a half; see :func:`build_index`); :func:`serialize`
writes it in lunr's format, byte-equal to lunr.py's ``Index.serialize()`` (tests/test_search.py). lunr.js
scores a document field as dot(query vector, field vector) / |query vector|: the field vector's own
magnitude is never used, so a query needs only the postings of its own terms. The site therefore
gets the index split (:func:`build_index`), each file a script ``ApparatusSearch.data(name, JSON)``
so that search also works from file://:

- ``search/manifest.js``: fields, pipeline, the first term (shortest key) of each shard, the
  fragment layout;
- ``search/t/<n>.js``: a shard, consecutive terms in sorted order up to ~SHARD_BYTES; each term
  with its lunr term index and, per field, its documents (deltas) and weights (thousandths);
- ``search/d/<n>.js``: display data (URL, kind, title, context, text) of a few documents, as
  many as make ~FRAGMENT_BYTES (one article; several notes or records).

search.js loads the shards a query's terms fall in and rebuilds a ``lunr.Index`` holding those
terms whole and, for each document field they match, the vector elements at their indices; the
unmodified ``lunr.Index.prototype.query`` then computes bit-identical scores (proved over hundreds
of queries by tests/search/compare.js). The lunr ref of a document is its number, as a string.
A query requires every word (lunr's +word), falls back to any word when nothing has them all,
drops stop words (lunr.js fails on a required term its pipeline removes) and takes ``word*`` as a
prefix.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import getitem, mul, sub
from pathlib import Path
from typing import Any

from lunr.stop_word_filter import WORDS as STOP_WORDS

from . import forking, site
from .annotations import Record
from .sources import inside
from .templates import human_date

FIELDS = (("title", 2), ("symbols", 4), ("text", 1))  # lunr fields and their boosts, in this order
PIPELINE = ("stopWordFilter", "stemmer")  # lunr.js's registered names (the search pipeline)
LUNR_VERSION = "2.3.9"
K1, B = 1.2, 0.75  # lunr's BM25 defaults
KINDS = ("article", "correction", "context", "source", "record")
SHARD_BYTES = 12_000  # raw JSON bytes a shard grows to before the next term starts a new one
FRAGMENT_BYTES = 3_000  # raw JSON bytes of display data a fragment aims at
PARALLEL_DOCS = 3_000  # from this many documents, build_index counts and encodes on every core
LUNR_ENV = "APPARATUS_LUNR_DIR"  # a folder holding lunr.min.js (npm's lunr package), where none is found
ENGINE_LUNR = Path(__file__).resolve().parent.parent / "node_modules" / "lunr"  # in a source checkout


@dataclasses.dataclass(frozen=True)
class SearchDoc:
    ref: str  # URL relative to the site root: "articles/<slug>/", "articles/<slug>/#<annotation-id>", "records/<id>/"
    kind: str  # article | correction | context | source | record
    title: str  # what a result shows as its title
    text: str  # plain text to index and to cut snippets from
    symbols: tuple[str, ...] = ()  # the document's own identifiers (a record's symbol): a boosted field
    context: str = ""  # shown under the title (where the result comes from); not indexed


# --- text → tokens (mirrored in templates/static/search.js) -----------------------------------------

JOINERS = "-/.'_:&,"
_TYPOGRAPHIC = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"),
                ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"))


def _char_class(wanted: Callable[[str], bool]) -> str:
    """A regex character class of the BMP code points whose general category passes ``wanted``."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if wanted(unicodedata.category(chr(cp))):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    word = f"[{_char_class(lambda c: c[0] in 'LN')}]+"  # JS: [\p{L}\p{N}]
    chunk = re.compile(f"{word}(?:[{re.escape(JOINERS)}]{word})*")
    marks = re.compile(f"[{_char_class(lambda c: c == 'Mn')}]")  # JS: \p{Mn}
    return chunk, marks, re.compile("[\U00010000-\U0010ffff]"), re.compile(f"[{re.escape(JOINERS)}]")


_NON_ASCII = re.compile("[^\x00-\x7f]")


@functools.cache
def _char_kind(c: str) -> int:
    """0: folding leaves c alone and c is no letter or digit; 1: c is typographic (’ ‐ …); 2: anything else."""
    if any(c == typographic for typographic, _ in _TYPOGRAPHIC):
        return 1
    plain = (unicodedata.category(c)[0] not in "LNM" and unicodedata.combining(c) == 0 and c < "\U00010000"
             and unicodedata.normalize("NFKD", c) == c and c.lower() == c)
    return 0 if plain else 2


def fold(text: str) -> str:
    """NFKD, lower case, no combining marks, typographic apostrophes and hyphens made plain; BMP only."""
    if text.isascii():
        return text.lower()
    kinds = set(map(_char_kind, set(_NON_ASCII.findall(text))))
    if 2 in kinds:
        _, marks, astral, _ = _patterns()
        text = astral.sub(" ", marks.sub("", unicodedata.normalize("NFKD", text).lower()))
    else:  # only characters folding leaves alone, and typographic ones (the common case, and much faster)
        text = text.lower()
    if kinds != {0}:
        for typographic, plain in _TYPOGRAPHIC:  # (str.replace is many times faster than str.translate)
            text = text.replace(typographic, plain)
    return text


def chunks(text: str) -> list[str]:
    """The words of text as a query sees them: whole chunks, folded."""
    return _patterns()[0].findall(fold(text))


def expand(chunk: str) -> list[str]:
    """A chunk's index tokens: itself; if compound, its leading prefixes (3+ parts) and its parts."""
    split = _patterns()[3]
    parts = split.split(chunk)
    if len(parts) == 1:
        return [chunk]
    out = [chunk]
    ends = [m.start() for m in split.finditer(chunk)]
    out += [chunk[:end] for end in ends[1:]]
    out += [p for p in parts if len(p) > 1 or "0" <= p <= "9"]
    return out


def index_tokens(text: str) -> list[str]:
    return [tok for c in chunks(text) for tok in expand(c)]


def query_words(query: str) -> list[tuple[str, bool]]:
    """(chunk, trailing wildcard) for each word of a query: ``drian*`` → ("drian", True)."""
    folded = fold(query)
    return [(m.group(), folded[m.end():m.end() + 1] == "*") for m in _patterns()[0].finditer(folded)]


# --- lunr.js's Porter stemmer, line by line (lunr.js 2.3.9, lunr.stemmer) ---------------------------

_C, _V = "[^aeiou][^aeiouy]*", "[aeiouy][aeiou]*"
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_S_V = re.compile(f"^({_C})?[aeiouy]")
_CVC = re.compile(f"^{_C}[aeiouy][^aeiouwxy]$")
_STEP2 = {"ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
          "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate", "ator": "ate",
          "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al", "iviti": "ive",
          "biliti": "ble", "logi": "log"}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}
_RE_1A, _RE2_1A = re.compile(r"^(.+?)(ss|i)es$"), re.compile(r"^(.+?)([^s])s$")
_RE_1B, _RE2_1B = re.compile(r"^(.+?)eed$"), re.compile(r"^(.+?)(ed|ing)$")
_RE2_1B_2, _RE3_1B_2 = re.compile(r"(at|bl|iz)$"), re.compile(r"([^aeiouylsz])\1$")
_RE_1C = re.compile(r"^(.+?[^aeiou])y$")
_RE_2 = re.compile("^(.+?)(" + "|".join(_STEP2) + ")$")
_RE_3 = re.compile("^(.+?)(" + "|".join(_STEP3) + ")$")
_RE_4 = re.compile(r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$")
_RE2_4 = re.compile(r"^(.+?)(s|t)(ion)$")
_RE_5 = re.compile(r"^(.+?)e$")


def stem(w: str) -> str:
    """lunr.js's porterStemmer (lunr.py's own stems ``say`` → ``sai`` and ``try`` → ``try``; lunr.js does not)."""
    if len(w) < 3:
        return w
    first_y = w[0] == "y"
    if first_y:
        w = "Y" + w[1:]
    if m := _RE_1A.match(w) or _RE2_1A.match(w):  # step 1a
        w = m[1] + m[2]
    if m := _RE_1B.match(w):  # step 1b
        if _MGR0.search(m[1]):
            w = w[:-1]
    elif (m := _RE2_1B.match(w)) and _S_V.search(m[1]):
        w = m[1]
        if _RE2_1B_2.search(w):
            w += "e"
        elif _RE3_1B_2.search(w):
            w = w[:-1]
        elif _CVC.search(w):
            w += "e"
    if m := _RE_1C.match(w):  # step 1c
        w = m[1] + "i"
    if (m := _RE_2.match(w)) and _MGR0.search(m[1]):  # step 2
        w = m[1] + _STEP2[m[2]]
    if (m := _RE_3.match(w)) and _MGR0.search(m[1]):  # step 3
        w = m[1] + _STEP3[m[2]]
    if m := _RE_4.match(w):  # step 4
        if _MGR1.search(m[1]):
            w = m[1]
    elif (m := _RE2_4.match(w)) and _MGR1.search(m[1] + m[2]):
        w = m[1] + m[2]
    if (m := _RE_5.match(w)) and (_MGR1.search(m[1]) or (_MEQ1.search(m[1]) and not _CVC.search(m[1]))):
        w = m[1]  # step 5
    if w.endswith("ll") and _MGR1.search(w):
        w = w[:-1]
    return "y" + w[1:] if first_y else w


def lunr_stemmer(token: Any, i: int | None = None, tokens: Any = None) -> Any:
    """:func:`stem` as a lunr.py pipeline function, serialized as lunr.js's ``stemmer``."""
    return token.update(lambda s, _metadata: stem(s))


lunr_stemmer.label = "stemmer"  # type: ignore[attr-defined]


@functools.cache
def term(token: str) -> str | None:
    """A token through the pipeline: None for a stop word, else its stem."""
    return None if token in STOP_WORDS else stem(token)


# --- the index model ----------------------------------------------------------------------------------

FieldValues = tuple[str, str, str]


def field_values(doc: SearchDoc) -> FieldValues:
    return doc.title, " ".join(doc.symbols), doc.text


def _group(doc: SearchDoc) -> int:
    return {"article": 0, "record": 2}.get(doc.kind, 1)


def ordered(docs: Iterable[SearchDoc]) -> list[SearchDoc]:
    """Articles, then notes, then records (each group in the given order): a document's number."""
    return sorted(docs, key=_group)


@dataclasses.dataclass
class Model:
    """What lunr's Builder computes: the terms, their postings per field, and what weighs them."""

    count: int  # documents
    terms: dict[str, int]  # term → lunr term index (the order lunr.py meets them in)
    postings: list[list[list[int]]]  # per field, per term index: doc number, tf, doc number, tf … (docs ascending)
    idf: list[float]  # per term index
    dens: list[list[float]]  # per field, per doc: the BM25 length part, k1 * (1 - b + b * length / average)
    field_terms: list[list[list[int]]]  # per doc, per field: its term indices (kept for serialize only)
    saturations: list[_Saturation] = dataclasses.field(default_factory=list)  # per field

    def __post_init__(self) -> None:
        self.saturations = [_Saturation(den) for den in self.dens]

    def docs(self, f: int, i: int) -> list[int]:
        """The documents that have term i in field f, ascending."""
        return self.postings[f][i][0::2]

    def weights(self, f: int, i: int) -> list[int]:
        """The field vector elements of term i in field f, in its documents' order, in thousandths."""
        p = self.postings[f][i]
        return _weights(self.idf[i], p[0::2], p[1::2], self.saturations[f], FIELDS[f][1])


class _PieceIds(dict[str, tuple[int, ...]]):
    """A piece of raw text between white space → the lunr term indices of its index tokens, in order
    (stop words left out), terms numbered on first sight.

    A chunk never spans white space, and folding works character by character (NFKD and lower case
    never look across white space), so cutting a text at white space before folding it finds the
    same chunks: :func:`index_tokens` of the text (tests/test_search.py). Each distinct piece is
    then folded, cut and stemmed once, and every other occurrence costs a dict lookup.
    """

    def __init__(self) -> None:
        super().__init__()
        self.terms: dict[str, int] = {}
        self.chunks: dict[str, tuple[int, ...]] = {}

    def __missing__(self, piece: str) -> tuple[int, ...]:
        ids: list[int] = []
        for chunk in _patterns()[0].findall(fold(piece)):
            got = self.chunks.get(chunk)
            if got is None:
                got = self.chunks[chunk] = tuple(self.terms.setdefault(t, len(self.terms))
                                                 for t in map(term, expand(chunk)) if t is not None)
            ids += got
        self[piece] = found = tuple(ids)
        return found


def piece_tokens(text: str) -> list[str]:
    """:func:`index_tokens` computed piece by piece, as the builder cuts text (equal: tested)."""
    chunk_re = _patterns()[0]
    return [tok for piece in text.split() for c in chunk_re.findall(fold(piece)) for tok in expand(c)]


@dataclasses.dataclass
class _Part:
    """The postings of a run of documents (doc numbers from ``start``), terms numbered in the order met."""

    terms: list[str]
    postings: list[list[list[int]]]  # per field, per term: doc number, tf, doc number, tf …
    lengths: list[list[int]]  # per field, per doc: how many terms
    field_terms: list[list[list[int]]]


def _count(docs: Sequence[SearchDoc], start: int, vectors: bool) -> _Part:
    ids = _PieceIds()
    get = ids.__getitem__
    terms = ids.terms
    lengths: list[list[int]] = [[] for _ in FIELDS]
    postings: list[list[list[int]]] = [[] for _ in FIELDS]  # per field, per term: d, tf, d, tf …
    field_terms: list[list[list[int]]] = []
    extend = list.extend
    known = 0  # terms that have posting lists
    for d, doc in enumerate(docs, start):
        per_field: list[list[int]] = []
        for f, value in enumerate((doc.title, " ".join(doc.symbols) if doc.symbols else "", doc.text)):
            if not value:
                lengths[f].append(0)
                per_field.append([])
                continue
            counts = Counter(chain.from_iterable(map(get, value.split())))
            if len(terms) > known:
                for grow in postings:
                    grow += [[] for _ in range(len(terms) - known)]
                known = len(terms)
            # postings[f][i] += (d, n) for each term i, n times in this field (the loop runs in C)
            any(map(extend, map(postings[f].__getitem__, counts), zip(repeat(d), counts.values())))
            lengths[f].append(sum(counts.values()))
            if vectors:
                per_field.append(list(counts))
        if vectors:
            field_terms.append(per_field)
    return _Part(list(terms), postings, lengths, field_terms)


def _merge(parts: list[_Part]) -> tuple[dict[str, int], list[list[list[int]]], list[list[int]]]:
    """Parts of consecutive documents, in order → one: terms renumbered in the order first met overall."""
    if len(parts) == 1:
        p = parts[0]
        return {t: i for i, t in enumerate(p.terms)}, p.postings, p.lengths
    terms: dict[str, int] = {}
    postings: list[list[list[int]]] = [[] for _ in FIELDS]
    for p in parts:
        for local, t in enumerate(p.terms):
            i = terms.setdefault(t, len(terms))
            for f in range(len(FIELDS)):
                if i == len(postings[f]):
                    postings[f].append(p.postings[f][local])
                else:
                    postings[f][i] += p.postings[f][local]
    lengths: list[list[int]] = [[] for _ in FIELDS]
    for p in parts:
        for f in range(len(FIELDS)):
            lengths[f] += p.lengths[f]
    return terms, postings, lengths


def _denominators(lengths: list[list[int]], count: int) -> list[list[float]]:
    """Per field, per document: k1 * (1 - b + b * (field length / average field length)), as lunr.py computes it."""
    out: list[list[float]] = []
    for field in lengths:
        avg = sum(field) / count if count else 0.0
        if not avg:
            out.append([])
            continue
        by_length = {fl: K1 * (1 - B + B * (fl / avg)) for fl in set(field)}
        out.append(list(map(by_length.__getitem__, field)))
    return out


def _exact_weight(idf: float, tf: int, den: float, boost: int) -> int:
    """lunr.py's field vector element, round(score, 3), in thousandths: lunr.py's very arithmetic."""
    score = idf * ((K1 + 1) * tf) / (den + tf)
    score *= boost
    return round(round(score, 3) * 1000)


_NEAR_HALF = 0.5 - 1e-5  # |x - round(x)| beyond this: x may be a rounding error away from a half


class _Saturation(dict[int, list[float]]):
    """tf → per document of a field: tf / (den + tf), the part of a BM25 weight that is not the term's."""

    def __init__(self, den: list[float]) -> None:
        super().__init__()
        self.den = den

    def __missing__(self, tf: int) -> list[float]:
        self[tf] = row = [tf / (x + tf) for x in self.den]
        return row


def _weights(idf: float, docs: Sequence[int], tfs: Sequence[int], saturation: _Saturation, boost: int) -> list[int]:
    """:func:`_exact_weight` for each posting (doc, tf), computed fast.

    x = idf * (k1 + 1) * boost * 1000 * (tf / (den + tf)), multiplied in another order than lunr.py
    does, differs from lunr.py's score * 1000 by a few units in the last place: under 1e-5 while x <
    1e9 (x is under 1e6 for any collection). So round(x) is lunr.py's round(score, 3) * 1000, unless
    x lies within 1e-5 of a half: those (about one in 50,000) are recomputed with lunr.py's arithmetic.
    """
    if not docs:
        return []
    scale = idf * (K1 + 1) * boost * 1000
    if scale > 1e9:  # pragma: no cover - out of any real collection's range
        den = saturation.den
        return [_exact_weight(idf, n, den[d], boost) for d, n in zip(docs, tfs, strict=True)]
    xs = list(map(mul, repeat(scale), map(getitem, map(saturation.__getitem__, tfs), docs)))
    out = list(map(round, xs))
    off = list(map(sub, xs, out))
    if max(off) > _NEAR_HALF or min(off) < -_NEAR_HALF:
        for k, x in enumerate(off):
            if abs(x) > _NEAR_HALF:
                out[k] = _exact_weight(idf, tfs[k], saturation.den[docs[k]], boost)
    return out


def _count_run(docs: Sequence[SearchDoc], bounds: tuple[int, int]) -> _Part:
    return _count(docs[bounds[0]:bounds[1]], bounds[0], False)


def _model(docs: Sequence[SearchDoc], parts: list[_Part]) -> Model:
    terms, postings, lengths = _merge(parts)
    count = len(docs)
    idf = []
    for i in range(len(terms)):
        with_term = sum(len(field[i]) for field in postings) // 2
        x = (count - with_term + 0.5) / (with_term + 0.5)
        idf.append(math.log(1 + abs(x)))
    return Model(count, terms, postings, idf, _denominators(lengths, count), parts[0].field_terms)


def build_model(docs: Sequence[SearchDoc], vectors: bool = False, jobs: int = 1) -> Model:
    """lunr.py's Builder (fields FIELDS, pipeline stop words + :func:`stem`), computed in bulk.

    docs must already be :func:`ordered`. Same term indices (the order in which lunr.py meets the
    terms), same BM25 arithmetic, same rounding. With vectors, keep each document field's term
    indices, which :func:`serialize` needs (and count in this process). With jobs > 1, runs of
    documents are counted in forked processes and merged in order: the same model.
    """
    if vectors or jobs <= 1:
        parts = [_count(docs, 0, vectors)]
    else:
        runs = forking.weighted_runs([sum(map(len, field_values(d))) for d in docs], jobs)
        parts = forking.map_shared(_count_run, runs, docs, jobs)
    return _model(docs, parts)


def serialize(model: Model) -> dict[str, Any]:
    """The model as lunr.py's ``Index.serialize()`` writes it (lunr 2.3.9's JSON schema)."""
    names = [name for name, _ in FIELDS]
    weight_of: list[dict[tuple[int, int], float]] = [{} for _ in FIELDS]
    inverted = []
    for t in sorted(model.terms):
        i = model.terms[t]
        posting: dict[str, Any] = {}
        for f, name in enumerate(names):
            docs = model.docs(f, i)
            posting[name] = {str(d): {} for d in docs}
            if docs:
                for d, w in zip(docs, model.weights(f, i), strict=True):
                    weight_of[f][(d, i)] = w / 1000
        posting["_index"] = i
        inverted.append([t, posting])
    vectors = []
    for d, per_field in enumerate(model.field_terms):
        for f, name in enumerate(names):
            elements: list[float] = []
            for i in sorted(per_field[f]):
                elements += (i, weight_of[f][(d, i)])
            vectors.append([f"{name}/{d}", elements])
    return {"version": LUNR_VERSION, "fields": names, "fieldVectors": vectors, "invertedIndex": inverted,
            "pipeline": list(PIPELINE)}


def lunr_builder() -> Any:
    """A lunr.py Builder configured as :func:`build_model` computes (the reference, for tests)."""
    from lunr.builder import Builder
    from lunr.stop_word_filter import stop_word_filter

    builder = Builder()
    builder.pipeline.add(stop_word_filter, lunr_stemmer)
    builder.search_pipeline.add(stop_word_filter, lunr_stemmer)
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost)
    return builder


def lunr_document(number: int, doc: SearchDoc) -> dict[str, Any]:
    """A document for :func:`lunr_builder`: fields given as token lists (lunr.py then only lowercases)."""
    return {"ref": str(number), **{name: index_tokens(value)
                                   for (name, _), value in zip(FIELDS, field_values(doc), strict=True)}}


# --- the split index ----------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def _separator(before: str, first: str) -> str:
    """The shortest prefix of first that sorts after before (a shard's key in the manifest)."""
    for n in range(1, len(first) + 1):
        if first[:n] > before:
            return first[:n]
    return first


_NUMBERS: list[str] = []  # str(n) for n < len(_NUMBERS): joined many times faster than written by json


def _numbers(upto: int) -> list[str]:
    if len(_NUMBERS) < upto:
        _NUMBERS.extend(map(str, range(len(_NUMBERS), upto)))
    return _NUMBERS


def _json_ints(values: Iterable[int]) -> str:
    """A JSON array of non-negative ints, as json writes it (no spaces)."""
    values = list(values)
    try:
        return "[" + ",".join(map(_NUMBERS.__getitem__, values)) + "]"
    except IndexError:  # a number beyond the table
        return "[" + ",".join(map(str, values)) + "]"


def _entries(model: Model, terms: list[str]) -> list[bytes]:
    """The terms' shard entries: [term, lunr index, then per field: doc number deltas, weights] (JSON)."""
    index, idf = model.terms, model.idf
    fields = [(model.postings[f], model.saturations[f], boost) for f, (_, boost) in enumerate(FIELDS)]
    out = []
    for t in terms:
        i = index[t]
        entry = [encode_basestring(t), _NUMBERS[i] if i < len(_NUMBERS) else str(i)]
        for postings, saturation, boost in fields:
            p = postings[i]
            if p:
                ds = p[0::2]
                entry += (_json_ints(map(sub, ds, chain((0,), ds))),
                          _json_ints(_weights(idf[i], ds, p[1::2], saturation, boost)))
            else:
                entry += ("[]", "[]")
        out.append(("[" + ",".join(entry) + "]").encode("utf-8"))
    return out


def _shards(model: Model, jobs: int = 1) -> tuple[list[str], list[bytes]]:
    """Shards of consecutive terms (sorted), each up to about SHARD_BYTES, and their first terms' keys."""
    ordered_terms = sorted(model.terms)
    sizes = [1 + sum(len(field[model.terms[t]]) for field in model.postings) for t in ordered_terms]
    runs = forking.weighted_runs(sizes, jobs) if jobs > 1 else [(0, len(ordered_terms))]
    _numbers(max(model.count + 1, 1 << 15))  # (filled before the fork: every worker has it)
    entries = [e for run in forking.map_shared(_entries, [ordered_terms[a:b] for a, b in runs], model, jobs, True)
               for e in run]
    keys: list[str] = []
    shards: list[bytes] = []
    pending: list[bytes] = []
    size, previous = 0, ""
    for t, data in zip(ordered_terms, entries, strict=True):
        if pending and size + len(data) > SHARD_BYTES:
            shards.append(b"[" + b",\n".join(pending) + b"]")
            pending = []
        if not pending:
            keys.append(_separator(previous, t) if keys else "")
            size = 0
        pending.append(data)
        size += len(data) + 2
        previous = t
    if pending:
        shards.append(b"[" + b",\n".join(pending) + b"]")
    return keys, shards


def _display(doc: SearchDoc) -> list[str]:
    return [doc.ref, doc.kind, doc.title, doc.context, doc.text]


def _fragments(docs: list[SearchDoc]) -> tuple[list[list[int]], list[bytes]]:
    """Display data in fragments of ``per`` documents each; one ``per`` for each group (articles, notes, records)."""
    groups: list[list[int]] = []
    out: list[bytes] = []
    start = 0
    while start < len(docs):
        end = start
        while end < len(docs) and _group(docs[end]) == _group(docs[start]):
            end += 1
        rows = [_display(d) for d in docs[start:end]]
        size = sum(len(x) for r in rows for x in r) / len(rows) + 20
        per = max(1, round(FRAGMENT_BYTES / size))
        groups.append([start, per, len(out)])
        out += [_dumps(rows[k:k + per]) for k in range(0, len(rows), per)]
        start = end
    return groups, out


def _script(name: str, data: bytes) -> bytes:
    """A data file as a script calling search.js (so the site's search also works from file://)."""
    return b"ApparatusSearch.data(" + _dumps(name) + b"," + data + b");\n"


def parallel_jobs(docs: Sequence[SearchDoc]) -> int:
    """Worker processes for build_index: one per core for a large collection, none in a threaded process."""
    if threading.active_count() > 1 or len(docs) < PARALLEL_DOCS:
        return 1  # forking a process that runs other threads (the preview server) is not safe
    return forking.cores()


def _count_display(docs: list[SearchDoc], item: tuple[int, int, bool]
                   ) -> tuple[_Part, tuple[list[list[int]], list[bytes]] | None]:
    """A run of documents counted, and with the flag the display fragments of all (build_index's first stage)."""
    start, end, display = item
    return _count(docs[start:end], start, False), _fragments(docs) if display else None


def build_index(docs: list[SearchDoc], jobs: int | None = None) -> dict[str, bytes]:
    """The split index: output path (relative to the site root, under search/) → bytes. Deterministic.

    jobs: worker processes (default: :func:`parallel_jobs`); the bytes do not depend on it. With
    jobs > 1, two stages each run in jobs processes (forked workers, and this one for the last run):
    runs of documents counted (this process also writes the display fragments), then runs of terms
    weighed and encoded.
    """
    for doc in docs:
        if doc.kind not in KINDS:
            raise ValueError(f"search document {doc.ref!r} has unknown kind {doc.kind!r}")
    docs = ordered(docs)
    jobs = parallel_jobs(docs) if jobs is None else jobs
    if jobs > 1:
        sizes = [len(d.title) + len(d.text) + 16 for d in docs]
        # the display fragments cost about what counting a quarter of the text does
        runs = forking.weighted_runs([*sizes, sum(sizes) // 4], jobs)
        items = [(a, b, False) for a, b in runs[:-1]] + [(min(runs[-1][0], len(docs)), len(docs), True)]
        counted = forking.map_shared(_count_display, items, docs, jobs, last_here=True)
        model = _model(docs, [part for part, _ in counted])
        display = counted[-1][1]
        assert display is not None
        groups, fragments = display
    else:
        model = build_model(docs)
        groups, fragments = _fragments(docs)
    keys, shards = _shards(model, jobs)
    manifest = {"version": LUNR_VERSION, "fields": [name for name, _ in FIELDS], "pipeline": list(PIPELINE),
                "documents": len(docs), "shards": keys, "fragments": groups}
    files = {"search/manifest.js": _script("manifest", _dumps(manifest))}
    files.update((f"search/t/{n}.js", _script(f"t/{n}", data)) for n, data in enumerate(shards))
    files.update((f"search/d/{n}.js", _script(f"d/{n}", data)) for n, data in enumerate(fragments))
    return files


class LunrMissing(Exception):
    """npm's lunr package, version LUNR_VERSION, is in none of the places :func:`lunr_dirs` names."""


def lunr_dirs(root: Path) -> list[Path]:
    """Where lunr.js is looked for, in order: $APPARATUS_LUNR_DIR, the node_modules beside the engine
    (a source checkout, where ``make setup`` installs it), and the collection's own node_modules (a
    collection with its own package.json, for an engine installed with pip). The last is taken only
    if it really lies inside the collection: a pull request cannot link it to a file elsewhere."""
    env = os.environ.get(LUNR_ENV)
    dirs = [*([Path(env)] if env else []), ENGINE_LUNR]
    if all(inside(root, f"node_modules/lunr/{name}") for name in ("package.json", "lunr.min.js", "LICENSE")):
        dirs.append(root / "node_modules" / "lunr")
    return dirs


def assets(root: Path) -> dict[str, bytes]:
    """lunr.min.js and its licence, for search/ in the site: from the first of :func:`lunr_dirs` that
    holds lunr LUNR_VERSION, the version whose scoring the index reproduces."""
    dirs = lunr_dirs(root)
    for folder in dirs:
        try:
            version = json.loads((folder / "package.json").read_bytes()).get("version")
            if version == LUNR_VERSION:
                return {"search/lunr.min.js": (folder / "lunr.min.js").read_bytes(),
                        "search/lunr-LICENSE.txt": (folder / "LICENSE").read_bytes()}
        except (OSError, ValueError, AttributeError):
            continue
    looked = ", ".join(str(d) for d in dirs)
    raise LunrMissing(f"lunr.js {LUNR_VERSION} is missing (looked in {looked}): run `make setup`, "
                      f"`npm install lunr@{LUNR_VERSION}` in the collection, or set {LUNR_ENV}")


# --- the collection's documents -----------------------------------------------------------------------

def collection_docs(summaries: Sequence[site.ArticleSummary], registry: dict[str, Record]) -> list[SearchDoc]:
    """Every article, note and record of a built collection, as search documents."""
    docs = []
    for s in summaries:
        when = human_date(s.published)
        docs.append(SearchDoc(site.article_url(s.slug), "article", s.title, f"{s.outlet}\n{s.text}",
                              context=f"{s.outlet} · {when}"))
        for c in s.citations:
            records = [registry[rid] for rid in c.records if rid in registry]
            cited = "\n".join(f"{r.title} {r.symbol}".strip() for r in records)
            title = f"{c.quote} → {c.correction}" if c.correction else c.quote
            docs.append(SearchDoc(f"{site.article_url(s.slug)}#{c.ann_id}", c.type, title,
                                  f"{c.note_text}\n{cited}".strip(), context=f"Note {c.number} in {s.title}"))
    for rid, r in sorted(registry.items()):
        when = human_date(r.date)
        docs.append(SearchDoc(site.record_url(rid), "record", r.title, f"{r.symbol}\n{r.issuer}\n{when} ({r.date})",
                              symbols=(r.symbol,) if r.symbol else (),
                              context=" · ".join(x for x in (r.issuer, when, r.symbol) if x)))
    return docs
