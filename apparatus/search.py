"""Full-text search: a lunr 2.3.9 index written at build time, read in the browser by lunr.js.

What is indexed: every article, every note and every record (:class:`SearchDoc`), in lunr fields per
language — ``title_en``, ``title_fr``, ``title_zh``, ``title_ug`` (boost 2), ``symbols`` (boost 4: a
record's own identifier) and ``text_en``, ``text_fr``, ``text_zh``, ``text_ug`` — each built with its
language's pipeline (docs/search.md has the table).

Words. Both sides cut text the same way, in Python here and in ``templates/static/search.js``:
:func:`normalize` (NFKC, lower case, ’ → ', typographic hyphens → -, tatweel and Arabic vowel marks
dropped; accents kept), then :func:`words`: runs of Han characters, runs of Arabic-script letters
(U+0600–U+06FF), and *chunks* of the letters and digits of any other script joined by single
``- / . ' _ : & ,`` characters. Which field a word goes to follows its script: a chunk to the fields of
the document's Latin language (:func:`latin_language`: ``fr`` for French, else ``en``), so a Latin
name in a Chinese article is found by a Latin query; a Han run to ``*_zh``; an Arabic-script run to
``*_ug``. Per language, in this order:

- English (and ``symbols``): fold (NFKD, no combining marks), cut the chunk into its index tokens
  (itself; if compound, its leading prefixes and its parts: ``CERD/C/CHN/CO/14-17`` gives
  ``cerd/c``, ``cerd/c/chn`` … and ``cerd``, ``chn``, ``14``), then lunr's stop words and stemmer.
  lunr.py's Porter stemmer differs from lunr.js's (``say`` → ``sai`` vs ``say``), so :func:`stem`
  is a line-by-line port of lunr.js's.
- French: the same index tokens, unfolded, through lunr-languages' lunr.fr pipeline in its own
  order: stop words (accented: ``été``, ``à``), accent folding (accentFold-fr), Snowball stemmer.
  Folding first, as English does, would strip the accents its stop words need. Python stems with
  snowballstemmer 2.2, equal to lunr.fr on Snowball's whole French vocabulary (tests).
  lunr.fr's trimmer is left out: a chunk starts and ends with a letter or digit already, and the
  trimmer would reduce a Greek or Cyrillic word to an empty term.
- Chinese: the overlapping bigrams of a run, and the run's last character alone (:func:`han_terms`):
  every occurrence of a character starts a bigram or ends a run, so a one-character query is the
  prefix query ``字*`` and single characters are in the postings only where a run ends.
- Uyghur (all Arabic-script text): the run itself; no stop words, no stemmer (lunr-languages'
  lunr.ar trimmer would delete the letters Uyghur adds: ە ې ۆ ۇ ۈ ۋ ڭ ھ پ چ ژ گ).

The query construction is :func:`plan` (search.js's ``plan``): one lunr query per Latin language of
the index, each word's term cut by that language's pipeline, clauses with usePipeline false (the
serialized index names no pipeline; the manifest names each language's, by the names lunr.js and
lunr.fr register), merged by lunr's own scores.

The index. :func:`build_model` computes exactly what lunr.py's Builder computes (same term order,
BM25 weights, rounding), many times faster and on every core (text cut at white space, each distinct
piece tokenized once; postings as flat (doc, tf) lists; weights computed a list at a time and
rounded exactly as lunr.py where a value lies near a half; see :func:`build_index`); :func:`serialize`
writes it in lunr's format, byte-equal to lunr.py's ``Index.serialize()`` (tests/test_search.py). lunr.js
scores a document field as dot(query vector, field vector) / |query vector|: the field vector's own
magnitude is never used, so a query needs only the postings of its own terms. The site therefore
gets the index split (:func:`build_index`), each file a script ``ApparatusSearch.data(name, JSON)``
so that search also works from file://:

- ``search/manifest.js``: fields, the languages the index has text in, each language's pipeline, the
  first term (shortest key) of each shard, the fragment layout;
- ``search/t/<n>.js``: a shard, consecutive terms in sorted order up to ~SHARD_BYTES; each term
  with its lunr term index and, per field it is in, the field's number, its documents (deltas) and
  weights (thousandths);
- ``search/d/<n>.js``: display data (URL, kind, title, context, text) of a few documents, as
  many as make ~FRAGMENT_BYTES (one article; several notes or records).

search.js loads the shards a query's terms fall in and rebuilds a ``lunr.Index`` holding those
terms whole and, for each document field they match, the vector elements at their indices; the
unmodified ``lunr.Index.prototype.query`` then computes bit-identical scores (proved over hundreds
of queries by tests/search/compare.js). The lunr ref of a document is its number, as a string.
A query requires every word (lunr's +word), falls back to any word when nothing has them all,
drops stop words (a word that is one in a language makes no clause in that language's query) and
takes ``word*`` as a prefix.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import heapq
import itertools
import json
import math
import operator
import pickle
import re
import tempfile
import threading
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import add, mul, sub, truediv
from typing import Any

from lunr.stop_word_filter import WORDS as STOP_WORDS

from . import forking, site
from .annotations import Record
from .errors import json_controls_escaped
from .lunrjs import LUNR_VERSION
from .templates import human_date

K1, B = 1.2, 0.75  # lunr's BM25 defaults
KINDS = ("article", "correction", "context", "source", "record")
SHARD_BYTES = 12_000  # raw JSON bytes a shard grows to before the next term starts a new one
FRAGMENT_BYTES = 3_000  # raw JSON bytes of display data a fragment aims at
PARALLEL_DOCS = 3_000  # from this many documents, build_index counts and encodes on every core
RUN_POSTINGS = 20_000  # postings (doc, tf) a run of terms holds, encoded at once: what the shards wait for in memory
RUN_CHARS = 700_000  # characters of text in a run of documents counted at once: what a worker holds the postings of
SPILL_POSTINGS = 4_096  # postings of a run's file read at once, about (its chunks): what merging holds of each run
SPILL_TERMS = 256  # … or terms, whichever comes first (a chunk of rare terms holds an array and a tuple each)


@dataclasses.dataclass(frozen=True)
class SearchDoc:
    ref: str  # URL relative to the site root: "articles/<slug>/", "articles/<slug>/#<annotation-id>", "records/<id>/"
    kind: str  # article | correction | context | source | record
    title: str  # what a result shows as its title
    text: str  # plain text to index and to cut snippets from
    symbols: tuple[str, ...] = ()  # the document's own identifiers (a record's symbol): a boosted field
    context: str = ""  # shown under the title (where the result comes from); not indexed
    language: str = "en"  # BCP 47: the language of the text's Latin-script words (see latin_language)
    title_language: str = ""  # the same for the title, when it differs (a note's quote is in its article's)


# --- text → terms, per language (mirrored in templates/static/search.js) -----------------------------

JOINERS = "-/.'_:&,"
_TYPOGRAPHIC = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"),
                ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"))
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (extension A, unified, compatibility)
ARABIC = "\u0600-\u06ff"  # the Arabic block: Uyghur's letters (ە ې ۆ ۇ ۈ ۋ ڭ ھ …) included
_ARABIC_DROPPED = "\u0640\u064b-\u0652\u0670"  # tatweel, and the optional vowel marks (tashkeel, superscript alef)


def _char_class(wanted: Callable[[int, str], bool]) -> str:
    """A regex character class of the BMP code points cp whose general category c passes ``wanted(cp, c)``."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if wanted(cp, unicodedata.category(chr(cp))):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


def _is_han(cp: int) -> bool:
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF


class _Patterns:
    """The regular expressions of the analysis (built once: the classes come from the Unicode database)."""

    def __init__(self) -> None:
        # JS: (?:(?![HAN ARABIC])[\p{L}\p{N}\p{M}]): letters, digits and marks of any other script
        other = f"[{_char_class(lambda cp, c: c[0] in 'LNM' and not _is_han(cp) and not 0x600 <= cp <= 0x6FF)}]+"
        arabic = f"[{_char_class(lambda cp, c: c[0] in 'LNM' and 0x600 <= cp <= 0x6FF)}]+"
        chunk = f"{other}(?:[{re.escape(JOINERS)}]{other})*"
        self.words = re.compile(f"([{HAN}]+)|({arabic})|({chunk})")  # a Han run, an Arabic run or a chunk
        self.chunk = re.compile(chunk)
        self.marks = re.compile(f"[{_char_class(lambda cp, c: c == 'Mn')}]")  # JS: \p{Mn}
        self.astral = re.compile("[\U00010000-\U0010ffff]")
        self.joiner = re.compile(f"[{re.escape(JOINERS)}]")
        self.dropped = re.compile(f"[{_ARABIC_DROPPED}]")
        self.han = re.compile(f"[{HAN}]")
        self.arabic = re.compile(f"[{ARABIC}]")


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


def normalize(text: str) -> str:
    """What every language's analysis starts from: NFKC, lower case, ’ → ' and typographic hyphens → -,
    characters beyond the BMP → space, tatweel and Arabic vowel marks dropped. Accents stay (French
    needs them for its stop words)."""
    if text.isascii():
        return text.lower()
    p = _patterns()
    text = p.astral.sub(" ", unicodedata.normalize("NFKC", text).lower())
    for typographic, plain in _TYPOGRAPHIC:  # (str.replace is many times faster than str.translate)
        text = text.replace(typographic, plain)
    return p.dropped.sub("", text)


def fold(text: str) -> str:
    """English folding: NFKD, no combining marks (é → e), on :func:`normalize`'s text."""
    if text.isascii():
        return text.lower()
    return _patterns().marks.sub("", unicodedata.normalize("NFKD", normalize(text)))


def words(text: str) -> list[tuple[str, str]]:
    """The words of text, as (script, word): "Hani" (a run of Han characters), "Arab" (a run of
    Arabic-script letters, digits and marks) or "Latn" (a chunk: letters and digits of any other
    script, joined by single ``- / . ' _ : & ,``). Normalized (:func:`normalize`), not folded."""
    out = []
    for han, arabic, chunk in _patterns().words.findall(normalize(text)):
        out.append(("Hani", han) if han else ("Arab", arabic) if arabic else ("Latn", chunk))
    return out


def chunks(text: str) -> list[str]:
    """The Latin-script words of text as the English fields see them: whole chunks, folded."""
    return [c for script, w in words(text) if script == "Latn" for c in [_fold_chunk(w)] if c]


def _fold_chunk(chunk: str) -> str:
    """A chunk folded for English; "" when only marks were left (they start a chunk only after another script)."""
    return chunk if chunk.isascii() else _patterns().marks.sub("", unicodedata.normalize("NFKD", chunk))


def expand(chunk: str) -> list[str]:
    """A chunk's index tokens: itself; if compound, its leading prefixes (3+ parts) and its parts."""
    split = _patterns().joiner
    parts = split.split(chunk)
    if len(parts) == 1:
        return [chunk]
    out = [chunk]
    ends = [m.start() for m in split.finditer(chunk)]
    out += [chunk[:end] for end in ends[1:]]
    out += [p for p in parts if len(p) > 1 or "0" <= p <= "9"]
    return out


def index_tokens(text: str) -> list[str]:
    """The English fields' tokens of text (before stop words and stemming)."""
    return [tok for c in chunks(text) for tok in expand(c)]


def han_terms(run: str) -> list[str]:
    """A Han run's index terms: its overlapping bigrams, and its last character alone (a one-character
    query is a prefix query, ``字*``: every occurrence of a character starts a bigram or ends a run)."""
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def query_words(query: str) -> list[tuple[str, str, bool]]:
    """(script, word, trailing wildcard) for each word of a query: ``drian*`` → ("Latn", "drian", True).
    A Latin word is normalized, not folded (English folds it, French keeps its accents)."""
    text = normalize(query)
    return [("Hani" if m[1] else "Arab" if m[2] else "Latn", m[0], text[m.end():m.end() + 1] == "*")
            for m in _patterns().words.finditer(text)]


# --- French: lunr-languages' lunr.fr (stop words, accent folding, Snowball stemmer) ---------------------

# lunr.fr's stopWordFilter-fr list (lunr-languages 1.22.0; tests/test_search.py compares them)
FRENCH_STOP_WORDS = frozenset("""
ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions aurons auront aux avaient
avais avait avec avez aviez avions avons ayant ayez ayons c ce ceci celà ces cet cette d dans de des du elle en es est
et eu eue eues eurent eus eusse eussent eusses eussiez eussions eut eux eûmes eût eûtes furent fus fusse fussent fusses
fussiez fussions fut fûmes fût fûtes ici il ils j je l la le les leur leurs lui m ma mais me mes moi mon même n ne nos
notre nous on ont ou par pas pour qu que quel quelle quelles quels qui s sa sans se sera serai seraient serais serait
seras serez seriez serions serons seront ses soi soient sois soit sommes son sont soyez soyons suis sur t ta te tes toi
ton tu un une vos votre vous y à étaient étais était étant étiez étions été étée étées étés êtes""".split())  # noqa: SIM905
_FRENCH_FOLD = str.maketrans({**dict.fromkeys("àáâäÀÁÂÄ", "a"), **dict.fromkeys("çÇ", "c"),
                              **dict.fromkeys("éèêëÉÈÊË", "e"), **dict.fromkeys("îïÎÏ", "i"),
                              **dict.fromkeys("ôöÔÖ", "o"), **dict.fromkeys("ùûüÙÛÜ", "u"),
                              **dict.fromkeys("Ÿÿ", "y"), **dict.fromkeys("æÆ", "ae"), **dict.fromkeys("œŒ", "oe")})


def french_fold(token: str) -> str:
    """lunr.fr's accentFold-fr (lunr.fr.accentFoldTerm)."""
    return token.translate(_FRENCH_FOLD)


@functools.cache
def _french_stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("french")


@functools.cache
def french_term(token: str) -> str | None:
    """A token through lunr.fr's pipeline, in its order: stop words (accented), accent folding, then
    the Snowball stemmer (snowballstemmer 2.2's French = lunr.fr's on all of Snowball's French
    vocabulary; 3.x stems differently: see docs/search.md). None for a stop word."""
    if token in FRENCH_STOP_WORDS:
        return None
    return str(_french_stemmer().stemWord(french_fold(token)))


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


@functools.cache
def term(token: str) -> str | None:
    """A token through the English pipeline: None for a stop word, else its stem."""
    return None if token in STOP_WORDS else stem(token)


# --- languages: which text goes into which field, with which pipeline ---------------------------------

LANGUAGES = ("en", "fr", "zh", "ug")  # the search languages; "ug" is all Arabic-script text
# lunr fields and their boosts, in this order: a title and a text field per language, and the symbols
FIELDS = (("title_en", 2), ("title_fr", 2), ("title_zh", 2), ("title_ug", 2), ("symbols", 4),
          ("text_en", 1), ("text_fr", 1), ("text_zh", 1), ("text_ug", 1))
FIELD_LANGUAGE = ("en", "fr", "zh", "ug", "en", "en", "fr", "zh", "ug")  # whose analysis each field takes
# each language's lunr.js pipeline, by the names lunr.js (and lunr-languages' lunr.fr) register: search.js
# loads them to cut a query's words as the index was cut; zh and ug need none (no stop words, no stemmer)
PIPELINES = {"en": ("stopWordFilter", "stemmer"), "fr": ("stopWordFilter-fr", "accentFold-fr", "stemmer-fr"),
             "zh": (), "ug": ()}


def latin_language(tag: str) -> str:
    """The search language of a text's Latin-script words: "fr" for French (any fr-* tag), else "en"."""
    return "fr" if tag.split("-")[0].lower() == "fr" else "en"


def _en_word(script: str, word: str) -> list[str]:
    if script != "Latn":
        return []
    folded = _fold_chunk(word)
    return [t for tok in expand(folded) if folded for t in [term(tok)] if t is not None]


def _fr_word(script: str, word: str) -> list[str]:
    return [t for tok in expand(word) for t in [french_term(tok)] if t is not None] if script == "Latn" else []


def _zh_word(script: str, word: str) -> list[str]:
    return han_terms(word) if script == "Hani" else []


def _ug_word(script: str, word: str) -> list[str]:
    return [word] if script == "Arab" else []


_ANALYSIS = {"en": _en_word, "fr": _fr_word, "zh": _zh_word, "ug": _ug_word}


def terms(text: str, language: str) -> list[str]:
    """The index terms of text in a language's fields: its words of that language's script, through
    that language's pipeline (stop words left out)."""
    analysis = _ANALYSIS[language]
    return [t for script, word in words(text) for t in analysis(script, word)]


# --- the index model ----------------------------------------------------------------------------------

FieldValues = tuple[str, ...]


def field_values(doc: SearchDoc) -> FieldValues:
    """The text of each field (FIELDS' order): a title or a text goes into the fields of its Latin
    language and into the Chinese and Uyghur fields if it has Han or Arabic-script characters (each
    field's analysis takes the words of its own script)."""
    p = _patterns()
    title_latin, text_latin = latin_language(doc.title_language or doc.language), latin_language(doc.language)
    title, text = doc.title, doc.text
    return (title if title_latin == "en" else "", title if title_latin == "fr" else "",
            title if p.han.search(title) else "", title if p.arabic.search(title) else "",
            " ".join(doc.symbols),
            text if text_latin == "en" else "", text if text_latin == "fr" else "",
            text if p.han.search(text) else "", text if p.arabic.search(text) else "")


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
    postings: list[dict[int, Postings]]  # per field, term index → its postings there (a term absent: no key)
    idf: list[float]  # per term index
    dens: list[array[float]]  # per field, per doc: the BM25 length part, k1 * (1 - b + b * length / average)
    field_terms: list[list[list[int]]]  # per doc, per field: its term indices (kept for serialize only)

    def docs(self, f: int, i: int) -> Sequence[int]:
        """The documents that have term i in field f, ascending."""
        return self.postings[f].get(i, _NONE)[0::2]

    def weights(self, f: int, i: int) -> list[int]:
        """The field vector elements of term i in field f, in its documents' order, in thousandths."""
        p = self.postings[f].get(i, _NONE)
        return _weights(self.idf[i], p[1::2], [self.dens[f][d] for d in p[0::2]], FIELDS[f][1])

    def languages(self) -> list[str]:
        return _languages(self.dens)


def _languages(dens: list[array[float]]) -> list[str]:
    """The search languages whose fields hold any term (dens: :attr:`Model.dens`)."""
    return [lang for lang in LANGUAGES
            if any(dens[f] for f, (name, _) in enumerate(FIELDS) if name.endswith("_" + lang))]


def _idf(count: int, with_term: int) -> float:
    """lunr's idf of a term that ``with_term`` document fields hold, among ``count`` documents."""
    return math.log(1 + abs((count - with_term + 0.5) / (with_term + 0.5)))


class _PieceIds(dict[str, tuple[int, ...]]):
    """A piece of raw text between white space → the lunr term indices of its terms in one language's
    fields, in order (stop words left out), terms numbered on first sight (in ``terms``, shared by the
    languages).

    A word never spans white space, and normalizing works character by character (NFKC, lower case
    and NFKD never look across white space), so cutting a text at white space before normalizing it
    finds the same words: :func:`terms` of the text (tests/test_search.py). Each distinct piece is
    then normalized, cut and stemmed once, and every other occurrence costs a dict lookup. A piece or
    word longer than KEPT_CHARS is not kept: Chinese and Japanese are written without spaces, so a piece
    there is a clause, met once, and keeping them all took a worker counting 2 M characters of Chinese
    to 126 MiB (60 MiB for other scripts' runs).
    """

    def __init__(self, language: str, terms: dict[str, int]) -> None:
        super().__init__()
        self.analysis = _ANALYSIS[language]
        self.terms = terms
        self.words: dict[tuple[str, str], tuple[int, ...]] = {}

    def __missing__(self, piece: str) -> tuple[int, ...]:
        ids: list[int] = []
        for word in words(piece):
            got = self.words.get(word)
            if got is None:
                got = tuple(self.terms.setdefault(t, len(self.terms)) for t in self.analysis(*word))
                if len(word[1]) <= KEPT_CHARS:
                    self.words[word] = got
            ids += got
        found = tuple(ids)
        if len(piece) <= KEPT_CHARS:
            self[piece] = found
        return found


KEPT_CHARS = 40  # the longest piece or word _PieceIds keeps (a longer one is analysed at each occurrence)


def piece_terms(text: str, language: str) -> list[str]:
    """:func:`terms` computed piece by piece, as the builder cuts text (equal: tested)."""
    return [t for piece in text.split() for t in terms(piece, language)]


# A term's postings in a field: doc number, tf, doc number, tf … (docs ascending), as C unsigned ints: 8 bytes a
# posting, where a list of Python ints takes 16 and more (and a forked worker that reads a list of ints writes to
# every int's reference count, so the pages holding them are copied into it)
Postings = array  # array[int], typecode "I"
_NONE: Postings = array("I")
_new_postings = functools.partial(array, "I")  # (a C callable: defaultdict calls it without a Python frame)


@dataclasses.dataclass
class _Part:
    """The postings of a run of documents (doc numbers from ``start``), terms numbered in the order met."""

    terms: list[str]
    postings: list[dict[int, Postings]]  # per field: term → its postings (terms absent from the field: no key)
    lengths: list[array[int]]  # per field, per doc: how many terms
    field_terms: list[list[list[int]]]


def _count(docs: Iterable[SearchDoc], start: int, vectors: bool) -> _Part:
    terms: dict[str, int] = {}
    per_language = {lang: _PieceIds(lang, terms).__getitem__ for lang in LANGUAGES}
    getters = [per_language[lang] for lang in FIELD_LANGUAGE]
    lengths = [array("I") for _ in FIELDS]
    postings: list[defaultdict[int, Postings]] = [defaultdict(_new_postings) for _ in FIELDS]
    field_terms: list[list[list[int]]] = []
    extend = array.extend
    for d, doc in enumerate(docs, start):
        per_field: list[list[int]] = []
        for f, value in enumerate(field_values(doc)):
            if not value:
                lengths[f].append(0)
                per_field.append([])
                continue
            counts = Counter(chain.from_iterable(map(getters[f], value.split())))
            # postings[f][i] += (d, n) for each term i, n times in this field (the loop runs in C)
            any(map(extend, map(postings[f].__getitem__, counts), zip(repeat(d), counts.values())))
            lengths[f].append(sum(counts.values()))
            if vectors:
                per_field.append(list(counts))
        if vectors:
            field_terms.append(per_field)
    return _Part(list(terms), [dict(p) for p in postings], lengths, field_terms)


def _merge(parts: Iterable[_Part]) -> tuple[dict[str, int], list[dict[int, Postings]], list[array[int]]]:
    """Parts of consecutive documents, in order → one: terms renumbered in the order first met overall. The
    parts' postings are taken over (extended in place), not copied, and each part is let go once merged (parts
    may arrive one at a time, from workers)."""
    terms: dict[str, int] = {}
    postings: list[dict[int, Postings]] = [{} for _ in FIELDS]
    lengths = [array("I") for _ in FIELDS]
    for p in parts:
        ids = [terms.setdefault(t, len(terms)) for t in p.terms]
        for merged, local in zip(postings, p.postings, strict=True):
            for j, more in local.items():
                have = merged.setdefault(ids[j], more)
                if have is not more:
                    have += more
        p.postings = []  # (taken over: a part is read once)
        for f in range(len(FIELDS)):
            lengths[f] += p.lengths[f]
    return terms, postings, lengths


def _denominators(lengths: list[array[int]], count: int) -> list[array[float]]:
    """Per field, per document: k1 * (1 - b + b * (field length / average field length)), as lunr.py computes it."""
    out: list[array[float]] = []
    for field in lengths:
        avg = sum(field) / count if count else 0.0
        if not avg:
            out.append(array("d"))
            continue
        by_length = {fl: K1 * (1 - B + B * (fl / avg)) for fl in set(field)}
        out.append(array("d", map(by_length.__getitem__, field)))
    return out


def _exact_weight(idf: float, tf: int, den: float, boost: int) -> int:
    """lunr.py's field vector element, round(score, 3), in thousandths: lunr.py's very arithmetic."""
    score = idf * ((K1 + 1) * tf) / (den + tf)
    score *= boost
    return round(round(score, 3) * 1000)


_NEAR_HALF = 0.5 - 1e-5  # |x - round(x)| beyond this: x may be a rounding error away from a half


def _weights(idf: float, tfs: Sequence[int], dens: Sequence[float], boost: int) -> list[int]:
    """:func:`_exact_weight` for each posting of a term in a field, given its tf and its document's BM25 length
    part (``dens``, :attr:`Model.dens` of the posting's document), computed fast.

    x = idf * (k1 + 1) * boost * 1000 * (tf / (den + tf)), multiplied in another order than lunr.py
    does, differs from lunr.py's score * 1000 by a few units in the last place: under 1e-5 while x <
    1e9 (x is under 1e6 for any collection). So round(x) is lunr.py's round(score, 3) * 1000, unless
    x lies within 1e-5 of a half: those (about one in 50,000) are recomputed with lunr.py's arithmetic.
    (tf / (den + tf) is computed for each posting: a table of it per tf and document took a row of the
    documents' number for each tf met, ~190 MiB in each worker at 10,000 articles.)
    """
    if not tfs:
        return []
    scale = idf * (K1 + 1) * boost * 1000
    if scale > 1e9:  # pragma: no cover - out of any real collection's range
        return [_exact_weight(idf, n, den, boost) for n, den in zip(tfs, dens, strict=True)]
    xs = list(map(mul, repeat(scale), map(truediv, tfs, map(add, dens, tfs))))
    out = list(map(round, xs))
    off = list(map(sub, xs, out))
    if max(off) > _NEAR_HALF or min(off) < -_NEAR_HALF:
        for k, x in enumerate(off):
            if abs(x) > _NEAR_HALF:
                out[k] = _exact_weight(idf, tfs[k], dens[k], boost)
    return out


def _count_run(docs: Sequence[SearchDoc], bounds: tuple[int, int]) -> _Part:
    return _count(docs[bounds[0]:bounds[1]], bounds[0], False)


@dataclasses.dataclass
class _Counted:
    """What this process keeps of a run of documents counted (:func:`_spill_docs`): its postings are in a file."""

    path: str  # the run's postings, by term (:func:`_spilled` reads them)
    terms: list[str]  # its terms in the order met (the index's term numbers follow the runs' orders)
    lengths: list[array[int]]  # per field, per doc: how many terms
    postings: int  # how many (doc, tf) pairs, in all fields


def _spill_docs(_: int, run: tuple[str, int, Iterable[SearchDoc]]) -> _Counted:
    """A run of documents counted, (its file, the first one's number, the documents), and its postings written to
    its file in term order, in chunks of about SPILL_POSTINGS postings or SPILL_TERMS terms, whichever comes
    first: [(term, ((field, postings), …)), …] pickled (a few hundred of the commonest words hold most of a run's
    postings, and a chunk of rare terms holds an array and a tuple for each)."""
    path, start, docs = run
    part = _count(docs, start, False)
    with open(path, "wb") as f:
        chunk: list[tuple[str, tuple[tuple[int, Postings], ...]]] = []
        size = 0
        for j in sorted(range(len(part.terms)), key=part.terms.__getitem__):
            fields = tuple((n, field[j]) for n, field in enumerate(part.postings) if j in field)
            chunk.append((part.terms[j], fields))
            size += sum(len(p) for _, p in fields) // 2
            if size >= SPILL_POSTINGS or len(chunk) >= SPILL_TERMS:
                pickle.dump(chunk, f, protocol=pickle.HIGHEST_PROTOCOL)
                chunk, size = [], 0
        if chunk:
            pickle.dump(chunk, f, protocol=pickle.HIGHEST_PROTOCOL)
    return _Counted(path, part.terms, part.lengths, sum(len(p) for field in part.postings for p in field.values()) // 2)


def _spilled(path: str, r: int) -> Iterator[tuple[str, int, tuple[tuple[int, Postings], ...]]]:
    """A run's file, term by term: (term, the run's number, its postings per field). The file is opened for each
    chunk, not held open: a merge reads every run's file at once, and a large collection has more runs than a
    process may hold files open (1,024 on Linux, 256 on macOS by default)."""
    at = 0
    while True:
        with open(path, "rb") as f:
            f.seek(at)
            try:
                chunk = pickle.load(f)  # noqa: S301 - written by this build, in its own temporary folder
            except EOFError:
                return
            at = f.tell()
        for term, fields in chunk:
            yield term, r, fields


def _merged(paths: list[str]) -> Iterator[tuple[str, list[tuple[int, Postings]]]]:
    """The runs' files merged: each term in sorted order with its postings per field, the runs' joined in their
    order (so documents ascend). Only a chunk of each run is held at once."""
    for t, group in itertools.groupby(heapq.merge(*(_spilled(path, r) for r, path in enumerate(paths))),
                                      key=operator.itemgetter(0)):
        fields: dict[int, Postings] = {}
        for _, _, more in group:
            for f, p in more:
                have = fields.setdefault(f, p)
                if have is not p:
                    have += p
        yield t, sorted(fields.items())


def _model(count: int, parts: Iterable[_Part], field_terms: list[list[list[int]]] | None = None) -> Model:
    """The model of ``count`` documents from the parts counted of them, in order (see :func:`_merge`)."""
    terms, postings, lengths = _merge(parts)
    with_term = [0] * len(terms)  # twice the document fields that have the term
    for field in postings:
        for i, p in field.items():
            with_term[i] += len(p)
    idf = [_idf(count, n // 2) for n in with_term]
    return Model(count, terms, postings, idf, _denominators(lengths, count), field_terms or [])


def build_model(docs: Sequence[SearchDoc], vectors: bool = False, jobs: int = 1) -> Model:
    """lunr.py's Builder (fields FIELDS, pipeline stop words + :func:`stem`), computed in bulk.

    docs must already be :func:`ordered`. Same term indices (the order in which lunr.py meets the
    terms), same BM25 arithmetic, same rounding. With vectors, keep each document field's term
    indices, which :func:`serialize` needs (and count in this process). With jobs > 1, runs of
    documents are counted in forked processes and merged in order: the same model.
    """
    if vectors or jobs <= 1:
        part = _count(docs, 0, vectors)
        return _model(len(docs), [part], part.field_terms)
    runs = forking.weighted_runs([sum(map(len, field_values(d))) for d in docs], jobs)
    return _model(len(docs), forking.map_shared(_count_run, runs, docs, jobs))


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
            "pipeline": []}  # (queries name their terms ready-cut: see the module's docstring)


def lunr_builder() -> Any:
    """A lunr.py Builder configured as :func:`build_model` computes (the reference, for tests): no
    pipeline, as the fields are given as their terms (:func:`lunr_document`)."""
    from lunr.builder import Builder

    builder = Builder()
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost)
    return builder


def lunr_document(number: int, doc: SearchDoc) -> dict[str, Any]:
    """A document for :func:`lunr_builder`: fields given as term lists (lunr.py then only lowercases)."""
    return {"ref": str(number), **{name: terms(value, lang) for (name, _), lang, value
                                   in zip(FIELDS, FIELD_LANGUAGE, field_values(doc), strict=True)}}


# --- the split index ----------------------------------------------------------------------------------

Write = Callable[[str, bytes], None]  # where the index's files go: (path relative to the site root, bytes)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    """JSON as UTF-8, DEL, C1 controls and U+2028/U+2029 escaped too (the site's one rule for JSON)."""
    return json_controls_escaped(_ENCODER.encode(value)).encode("utf-8")


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


# a term as a run of terms is sent to encoding: the term, its lunr index, its idf, and for each field it is in:
# (the field's number, its postings there)
_TermPostings = tuple[str, int, float, list[tuple[int, Postings]]]


def _term_runs(merged: Iterable[tuple[str, list[tuple[int, Postings]]]], terms: dict[str, int], count: int,
               per: int, sent: collections.deque[list[str]]) -> Iterator[list[_TermPostings]]:
    """The merged terms in runs of about ``per`` postings, each with its lunr index and idf: a worker is sent a
    run (pickled: C arrays, a copy of their bytes) and reads nothing it inherited (reading a Python object writes
    its reference count: the pages it read would be copied into every worker). Each run's terms go to ``sent``."""
    run: list[_TermPostings] = []
    size = 0
    for t, fields in merged:
        with_term = sum(len(p) for _, p in fields) // 2
        run.append((t, terms[t], _idf(count, with_term), fields))
        size += 1 + with_term
        if size >= per:
            sent.append([x[0] for x in run])
            yield run
            run, size = [], 0
    if run:
        sent.append([x[0] for x in run])
        yield run


_DENS: list[Any] = ["", []]  # in a process that encodes: the file of the documents' BM25 length parts it read, and them


def _dens(path: str) -> list[array[float]]:
    """:attr:`Model.dens`, from the file the index wrote them to (read once per process and index)."""
    if _DENS[0] != path:
        with open(path, "rb") as f:
            _DENS[:] = [path, pickle.load(f)]  # noqa: S301 - written by this build, in its own temporary folder
    return _DENS[1]


def _entries(numbers: int, run: tuple[str, list[_TermPostings]]) -> list[bytes]:
    """The terms' shard entries: [term, lunr index, then for each field it is in: the field's number,
    doc number deltas, weights] (JSON). numbers: how many of _NUMBERS to have (a worker fills its own); run: the
    file of the documents' BM25 length parts (each worker reads it once), and the terms."""
    _numbers(numbers)
    dens = _dens(run[0])
    out = []
    for t, i, idf, fields in run[1]:
        entry = [encode_basestring(t), _NUMBERS[i] if i < len(_NUMBERS) else str(i)]
        for f, p in fields:
            ds = p[0::2]
            entry += (_NUMBERS[f], _json_ints(map(sub, ds, chain((0,), ds))),
                      _json_ints(_weights(idf, p[1::2], list(map(dens[f].__getitem__, ds)), FIELDS[f][1])))
        out.append(("[" + ",".join(entry) + "]").encode("utf-8"))
    return out


def _shards(runs: Iterator[tuple[str, list[_TermPostings]]], sent: collections.deque[list[str]], write: Write,
            imap: _Imap) -> list[str]:
    """Write the shards, of consecutive terms (sorted), each up to about SHARD_BYTES; their first terms' keys.

    The terms are encoded a run at a time (:func:`_term_runs`, by ``imap``), and each shard is written as soon
    as it is whole: only a few runs' entries are held at once, not the index."""
    keys: list[str] = []
    pending: list[bytes] = []
    size, previous = 0, ""

    def flush() -> None:
        n = len(keys) - 1
        write(f"search/t/{n}.js", _script(f"t/{n}", b"[" + b",\n".join(pending) + b"]"))

    for entries in imap(_entries, runs):
        for t, data in zip(sent.popleft(), entries, strict=True):
            if pending and size + len(data) > SHARD_BYTES:
                flush()
                pending = []
            if not pending:
                keys.append(_separator(previous, t) if keys else "")
                size = 0
            pending.append(data)
            size += len(data) + 2
            previous = t
    if pending:
        flush()
    return keys


def _display(doc: SearchDoc) -> list[str]:
    return [doc.ref, doc.kind, doc.title, doc.context, doc.text]


@dataclasses.dataclass
class _Survey:
    """What write_index needs to know of every document before it reads them in runs (one pass over them)."""

    groups: array[int]  # per doc: :func:`_group`
    shown: array[int]  # per doc: the characters of its display data
    sizes: array[int]  # per doc: what counting it costs, about: its characters (weighed by DENSE)


def _survey(docs: Sequence[SearchDoc]) -> _Survey:
    n = len(docs)
    out = _Survey(array("b", bytes(n)), array("Q", bytes(8 * n)), array("Q", bytes(8 * n)))
    for k, d in docs.numbered() if isinstance(docs, CollectionDocs) else enumerate(docs):
        out.groups[k] = _group(d)
        out.shown[k] = sum(map(len, _display(d)))
        out.sizes[k] = (len(d.title) + len(d.text)) * DENSE.get(d.language.partition("-")[0], 1) + 16
    return out


# what a character of text costs counting, about, against one of a language written with spaces: Chinese is
# indexed as overlapping pairs of characters, a term for each (a run of 2 M characters of it took a worker to
# 126 MiB, where one of English takes 35). Runs are cut by this weight (the bytes do not depend on the runs).
DENSE = {"zh": 6}


class _Fragments:
    """The display data, written in fragments of ``per`` documents each, one ``per`` for each group (articles,
    notes, records), from the documents given in order (:meth:`add`): the counting's runs give them, so that
    each document is made once for both. ``groups``: each group's [first document, per, first fragment]."""

    def __init__(self, survey: _Survey, write: Write) -> None:
        self.write = write
        self.groups: list[list[int]] = []
        self.ends: list[int] = []  # each fragment's end (a document number), in order
        start, count = 0, len(survey.groups)
        while start < count:
            end = start
            while end < count and survey.groups[end] == survey.groups[start]:
                end += 1
            size = sum(survey.shown[start:end]) / (end - start) + 20
            per = max(1, round(FRAGMENT_BYTES / size))
            self.groups.append([start, per, len(self.ends)])
            self.ends += range(min(start + per, end), end, per)
            self.ends.append(end)
            start = end
        self.rows: list[list[str]] = []
        self.written = 0

    def add(self, d: int, doc: SearchDoc) -> None:
        """Document number d (each in turn, from 0)."""
        self.rows.append(_display(doc))
        if d + 1 == self.ends[self.written]:
            n = self.written
            self.write(f"search/d/{n}.js", _script(f"d/{n}", _dumps(self.rows)))
            self.rows, self.written = [], n + 1


def _script(name: str, data: bytes) -> bytes:
    """A data file as a script calling search.js (so the site's search also works from file://)."""
    return b"ApparatusSearch.data(" + _dumps(name) + b"," + data + b");\n"


def parallel_jobs(docs: Sequence[SearchDoc]) -> int:
    """Worker processes for build_index: one per core for a large collection, none in a threaded process."""
    if threading.active_count() > 1 or len(docs) < PARALLEL_DOCS:
        return 1  # forking a process that runs other threads (the preview server) is not safe
    return forking.cores()


def write_index(docs: Sequence[SearchDoc], write: Write, jobs: int | None = None) -> None:
    """Write the split index of documents in :func:`ordered`'s order, each file as soon as it is made (paths
    relative to the site root, under search/), in bounded memory: the postings are never all held at once (an
    external sort), nor the files, and each document only while it is read (docs may make them on demand:
    :class:`CollectionDocs`). Deterministic: the bytes of :func:`build_model` and :func:`serialize`'s split.

    Two stages. Runs of documents (of about RUN_CHARS) are counted, and each run's postings written to a
    temporary file of its own in term order (:func:`_spill_docs`), while this process writes the display
    fragments and numbers the terms as the runs meet them. Then the files are merged, a chunk of each at a
    time (:func:`_merged`), and runs of terms (of about RUN_POSTINGS) weighed and encoded, and written as
    shards in order as they come. jobs: worker processes for both stages (default: :func:`parallel_jobs`); the
    bytes do not depend on it. A worker is sent its run and holds one at a time; a few results wait here.
    """
    jobs = parallel_jobs(docs) if jobs is None else jobs
    numbers = max(len(docs) + 1, 1 << 15)  # the table of str(n) the encoding takes its numbers from (_entries)
    if jobs <= 1:
        _index(docs, write, functools.partial(forking.imap_shared, state=numbers, jobs=1), 1, lambda: None)
        return
    # both stages' workers, forked from a small process (forking.pool: fresh): each is sent all it reads; the
    # encoding's are new ones (the counting's kept what they had freed)
    with forking.pool(numbers, jobs, fresh=(__name__,)) as workers:
        _index(docs, write, workers.imap, jobs, workers.renew)


_Imap = Callable[..., Iterator[Any]]  # (fn, items): fn(state, item) for each item, in order


def _index(docs: Sequence[SearchDoc], write: Write, imap: _Imap, jobs: int, between: Callable[[], None]) -> None:
    survey = _survey(docs)
    # Runs of documents (of about RUN_CHARS) counted, in workers when jobs > 1, each run's postings written to a
    # file of its own, in term order; each run's documents are made here as it is sent (pickled), and written as
    # display fragments then. Then the files merged, term by term in sorted order, and runs of terms weighed and
    # encoded (in workers) and written as shards. A process holds a run's documents and postings at a time, a
    # chunk of each file, and the terms' numbers: not the model. (A worker that read the summaries it inherited
    # would write to their reference counts, and so copy the pages that hold them: it is sent what it reads.)
    runs = forking.weighted_runs(survey.sizes, max(jobs, sum(survey.sizes) // RUN_CHARS, 1))
    fragments = _Fragments(survey, write)
    count = len(docs)
    terms: dict[str, int] = {}  # term → its lunr index: numbered as met, run after run (as lunr.py meets them)
    lengths = [array("I") for _ in FIELDS]
    paths, postings = [], 0

    def run(path: str, a: int, b: int) -> tuple[str, int, Sequence[SearchDoc]]:
        made = docs[a:b]
        for d, doc in enumerate(made, a):
            fragments.add(d, doc)
        return path, a, made

    with tempfile.TemporaryDirectory(prefix="apparatus-index-") as spill:
        for counted in imap(_spill_docs, (run(f"{spill}/{k}", a, b) for k, (a, b) in enumerate(runs))):
            for t in counted.terms:
                terms.setdefault(t, len(terms))
            for f in range(len(FIELDS)):
                lengths[f] += counted.lengths[f]
            paths.append(counted.path)
            postings += counted.postings
        between()  # (the counting's workers end)
        dens = _denominators(lengths, count)
        with open(f"{spill}/dens", "wb") as out:
            pickle.dump(dens, out, protocol=pickle.HIGHEST_PROTOCOL)
        languages = _languages(dens)
        del dens, lengths  # (the encoding reads them from the file: not held here meanwhile)
        per = max(1, postings // max(jobs, postings // RUN_POSTINGS, 1))
        sent: collections.deque[list[str]] = collections.deque()
        runs_of_terms = ((f"{spill}/dens", r) for r in _term_runs(_merged(paths), terms, count, per, sent))
        keys = _shards(runs_of_terms, sent, write, imap)
        _DENS[:] = ["", []]  # (read here when jobs == 1: not kept past the index)
    manifest = {"version": LUNR_VERSION, "fields": [name for name, _ in FIELDS], "languages": languages,
                "pipelines": {lang: list(PIPELINES[lang]) for lang in LANGUAGES},
                "documents": count, "shards": keys, "fragments": fragments.groups}
    write("search/manifest.js", _script("manifest", _dumps(manifest)))


def build_index(docs: list[SearchDoc], jobs: int | None = None) -> dict[str, bytes]:
    """The split index in memory (:func:`write_index`): output path → bytes. For the preview and the tests; a
    build writes it file by file."""
    for doc in docs:
        if doc.kind not in KINDS:
            raise ValueError(f"search document {doc.ref!r} has unknown kind {doc.kind!r}")
    files: dict[str, bytes] = {}
    write_index(ordered(docs), files.__setitem__, jobs)
    return files





# --- the collection's documents -----------------------------------------------------------------------

class CollectionDocs(Sequence[SearchDoc]):
    """Every article, note and record of a built collection, as search documents, in :func:`ordered`'s order
    (articles, notes, records), each made when it is read: an article's texts are unpacked from its summary
    (:func:`apparatus.site.pack`) only while its documents are counted or written, never all at once, and its
    summary is read once for all of them in a row (a build's summaries may be read from the cache each time).
    notes: each summary's number of notes (counted here if not given).

    An article in its language; a note's title (its quote) in its article's language and its text in the
    site's; a record in its own ``language:`` if it has one, else the site's."""

    def __init__(self, summaries: Sequence[site.ArticleSummary], registry: dict[str, Record],
                 site_language: str = "en", notes: Sequence[int] | None = None):
        self.summaries, self.registry, self.site_language = summaries, registry, site_language
        counts = notes if notes is not None else [len(s.citations) for s in summaries]
        self.notes = [(a, n) for a, count in enumerate(counts) for n in range(count)]
        self.records = sorted(registry)
        self._last: tuple[int, site.ArticleSummary | None, list[str]] = (-1, None, [])

    def __len__(self) -> int:
        return len(self.summaries) + len(self.notes) + len(self.records)

    def __getitem__(self, k: Any) -> Any:  # (Sequence's overloads: an int gives a document, a slice a list)
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if k < len(self.summaries):
            s, texts = self._read(k)
            return self.article(s, texts[0])
        k -= len(self.summaries)
        if k < len(self.notes):
            a, n = self.notes[k]
            s, texts = self._read(a)
            return self.note(s, s.citations[n], texts[1 + n])
        return self.record(self.records[k - len(self.notes)])

    def numbered(self) -> Iterator[tuple[int, SearchDoc]]:
        """Every document with its number, each summary read once: its article's, then its notes' (the index's
        order reads each summary twice, as every article comes before every note)."""
        notes = len(self.summaries)
        for a in range(len(self.summaries)):
            s, texts = self._read(a)
            yield a, self.article(s, texts[0])
            for n, c in enumerate(s.citations):
                yield notes + n, self.note(s, c, texts[1 + n])
            notes += len(s.citations)
        for r, rid in enumerate(self.records, notes):
            yield r, self.record(rid)

    def _read(self, a: int) -> tuple[site.ArticleSummary, list[str]]:
        """Summary a and its texts, unpacked once for the documents read of it in a row."""
        last, s, texts = self._last
        if last != a or s is None:
            s = self.summaries[a]
            assert isinstance(s.texts, bytes), "a cached summary's texts are read back before the index reads it"
            texts = site.unpack(s.texts) or [""] * (1 + len(s.citations))  # (none packed: made without search)
            self._last = a, s, texts
        return s, texts

    def article(self, s: site.ArticleSummary, text: str) -> SearchDoc:
        return SearchDoc(site.article_url(s.slug), "article", s.title, f"{s.outlet}\n{text}",
                         context=f"{s.outlet} · {human_date(s.published)}", language=s.language or self.site_language)

    def note(self, s: site.ArticleSummary, c: site.Citation, text: str) -> SearchDoc:
        records = [self.registry[rid] for rid in c.records if rid in self.registry]
        cited = "\n".join(f"{r.title} {r.symbol}".strip() for r in records)
        title = f"{c.quote} → {c.correction}" if c.correction else c.quote
        return SearchDoc(f"{site.article_url(s.slug)}#{c.ann_id}", c.type, title,
                         f"{text}\n{cited}".strip(), context=f"Note {c.number} in {s.title}",
                         language=self.site_language, title_language=s.language or self.site_language)

    def record(self, rid: str) -> SearchDoc:
        r, when = self.registry[rid], human_date(self.registry[rid].date)
        return SearchDoc(site.record_url(rid), "record", r.title, f"{r.symbol}\n{r.issuer}\n{when} ({r.date})",
                         symbols=(r.symbol,) if r.symbol else (),
                         context=" · ".join(x for x in (r.issuer, when, r.symbol) if x),
                         language=getattr(r, "language", "") or self.site_language)  # (records' language: issue 17)


def collection_docs(summaries: Sequence[site.ArticleSummary], registry: dict[str, Record],
                    site_language: str = "en") -> list[SearchDoc]:
    """:class:`CollectionDocs`, made all at once (a small collection: the preview, the tests)."""
    return list(CollectionDocs(summaries, registry, site_language))


# --- the query construction (mirrored in templates/static/search.js: plan) ------------------------------

LATIN_FIELDS = {"en": ["title_en", "text_en", "symbols"], "fr": ["title_fr", "text_fr"]}
HAN_FIELDS, ARABIC_FIELDS = ["title_zh", "text_zh"], ["title_ug", "text_ug"]


def plan(words: Sequence[tuple[str, str, bool]], languages: Sequence[str]) -> list[dict[str, Any]]:
    """The lunr queries a query's words (:func:`query_words`) make on an index of these languages:
    ``[{lang, clauses: [{term, fields, wildcard}]}]``, each clause run with usePipeline false.

    Latin-script words make one query per Latin language of the index (English always, as it holds
    the symbols; French if the index has French text), each word a clause in that language's fields
    with the term its pipeline gives the whole chunk (a stop word there makes no clause; a wildcard
    word's prefix is folded as that language folds); Han words give a clause per bigram (a lone
    character: the prefix ``字*``, see :func:`han_terms`) in the Chinese fields; Arabic-script words
    themselves, in the Uyghur fields. Without Latin-script words, one query (lang None). search.js
    runs them with every clause required, else (several words, nothing found) optional, and merges
    their results by lunr's own score: a document's best, highest first, ties in the order met.
    """
    latin = any(script == "Latn" for script, _, _ in words)
    out = []
    for lang in (["en", *(["fr"] if "fr" in languages else [])] if latin else [None]):
        clauses = []
        for script, word, wildcard in words:
            if script == "Latn":
                assert lang is not None
                term_: str | None
                if wildcard:
                    term_ = _fold_chunk(word) if lang == "en" else french_fold(word)
                else:
                    term_ = (term(folded) if (folded := _fold_chunk(word)) else None) if lang == "en" \
                        else french_term(word)
                if term_:
                    clauses.append({"term": term_, "fields": LATIN_FIELDS[lang], "wildcard": wildcard})
            elif script == "Hani":
                han = han_terms(word)
                clauses += ([{"term": han[0], "fields": HAN_FIELDS, "wildcard": True}] if len(han) == 1 else
                            [{"term": t, "fields": HAN_FIELDS, "wildcard": False} for t in han[:-1]])
            else:
                clauses.append({"term": word, "fields": ARABIC_FIELDS, "wildcard": wildcard})
        if clauses:
            out.append({"lang": lang, "clauses": clauses})
    return out
