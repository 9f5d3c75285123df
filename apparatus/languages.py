"""Language tags and scripts: which tags are BCP 47, which script a text is in, and its direction.

``is_bcp47(tag)`` is two checks. The tag must be well formed by RFC 5646's ABNF (section 2.1,
``langtag`` and ``privateuse``; the 26 grandfathered tags are refused: each has a modern
replacement such as ``tlh`` for ``i-klingon``): :data:`BCP47_RE` below, which is also the pattern
the published JSON Schema gives editors. Then it must be *valid* (RFC 5646 section 2.2.9): its
language, extlang (at most one), script, region and variant subtags registered in the IANA Language
Subtag Registry (an extlang after its one prefix), no variant or extension singleton twice. The
registry is the copy the ``langcodes`` package ships (nothing is downloaded), read on first use and
searched as text: importing langcodes' own validity tables costs every ``check`` ~0.3 s
(docs/performance.md, "Figures behind the code"). So ``en_US`` (not well formed), ``zz`` and ``fre``
(not registered: French is ``fr``) are refused.

``direction(tag, text)`` follows the script, not the tag: text in Arabic script is right to left
whatever its tag says, Uyghur in Latin letters (``ug-Latn``) is left to right. Only without text
does the tag decide, by its script subtag or its language's likely script; ``auto`` (the browser
decides from the first strong character) when neither tells.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

_A, _N = "[A-Za-z]", "[A-Za-z0-9]"
# RFC 5646 section 2.1: language (with up to three extlangs), script, region, variants, extensions, private use.
_LANGTAG = (rf"(?:{_A}{{2,3}}(?:-{_A}{{3}}){{0,3}}|{_A}{{4,8}})"  # language = 2*3ALPHA ["-" extlang] / 4*8ALPHA
            rf"(?:-{_A}{{4}})?"  # script = 4ALPHA
            rf"(?:-(?:{_A}{{2}}|[0-9]{{3}}))?"  # region = 2ALPHA / 3DIGIT
            rf"(?:-(?:{_N}{{5,8}}|[0-9]{_N}{{3}}))*"  # variant = 5*8alphanum / (DIGIT 3alphanum)
            rf"(?:-[0-9A-WYZa-wyz](?:-{_N}{{2,8}})+)*"  # extension = singleton 1*("-" (2*8alphanum))
            rf"(?:-[xX](?:-{_N}{{1,8}})+)?")  # privateuse = "x" 1*("-" (1*8alphanum))
BCP47_RE = re.compile(rf"^(?:{_LANGTAG}|[xX](?:-{_N}{{1,8}})+)$")
MAX_TAG = 64  # characters: longer tags exist in theory only; bounds the work per tag

RTL_SCRIPTS = frozenset({"Arab", "Aran", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Mand", "Samr"})

# The scripts script_of tells apart, by code point ranges (Unicode's Scripts.txt, the blocks in use).
_RANGES = (
    ("Latn", ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF),
              (0xAB30, 0xAB6F), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))),
    ("Hani", ((0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3400, 0x4DBF),
              (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))),
    ("Arab", ((0x600, 0x6FF), (0x750, 0x77F), (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
              (0x10EC0, 0x10EFF), (0x1EE00, 0x1EEFF))),
)
# runs of a script's letters (a word), not single letters: script_of sums the runs' lengths, the same count as one
# match per letter with a match per word instead (quotes are counted on every page: ~2x faster on Latin text)
_SCRIPT_RUNS = {name: re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in spans) + "]+")
                for name, spans in _RANGES}
_OTHERS = tuple(name for name, _ in _RANGES if name != "Latn")
_FIRST_OTHER = min(a for name, spans in _RANGES if name != "Latn" for a, _ in spans)  # U+0600
_BELOW_OTHERS = re.compile(f"[\\x00-\\U{_FIRST_OTHER - 1:08x}]+")  # runs of characters no other script has
SAMPLE = 2_000  # characters of a text looked at for its script: enough for a page's worth, bounded for a book

# Languages' own names, for the list of a record's versions (the UN's six official languages and Uyghur);
# another tag is shown as it is.
NAMES = {"ar": "العربية", "en": "English", "es": "Español", "fr": "Français", "ru": "Русский", "zh": "中文",
         "ug": "ئۇيغۇرچە"}


def is_bcp47(tag: str) -> bool:
    """Whether tag is a well-formed BCP 47 tag whose subtags are all registered."""
    return len(tag) <= MAX_TAG and BCP47_RE.fullmatch(tag) is not None and _registered(tag.lower())


@functools.lru_cache(maxsize=1024)
def _registered(tag: str) -> bool:
    """Whether a well-formed tag (lower case) is valid: each subtag registered, in its place (RFC 5646 2.2.9)."""
    parts = tag.split("-")
    if parts[0] == "x":
        return True
    if not _has("language", parts[0]):
        return False
    i = 1
    if i < len(parts) and len(parts[i]) == 3 and parts[i].isalpha():  # an extlang, after its one Prefix (zh-yue)
        if f"\nPrefix: {parts[0]}\n" not in _record("extlang", parts[i]):
            return False
        i += 1
    # then the grammar fixes each subtag's kind by its length and characters
    for kind, fits in (("script", lambda p: len(p) == 4 and p.isalpha()),
                       ("region", lambda p: len(p) == 2 or (len(p) == 3 and p.isdigit()))):
        if i < len(parts) and fits(parts[i]):
            if not _has(kind, parts[i]):
                return False
            i += 1
    seen: set[str] = set()
    while i < len(parts) and len(parts[i]) > 1:  # variants, until a singleton
        if parts[i] in seen or not _has("variant", parts[i]):
            return False
        seen.add(parts[i])
        i += 1
    singletons: set[str] = set()
    for part in parts[i:]:
        if part == "x":
            break
        if len(part) == 1:
            if part in singletons:
                return False
            singletons.add(part)
    return True


# The registry writes scripts as Latn, regions as US, the rest in lower case.
_CASE = {"script": str.capitalize, "region": str.upper}


def _record(kind: str, subtag: str) -> str:
    """The registry's record of a subtag of that kind ('' if there is none). A substring search: the registry is
    read, never parsed (collecting its 9,000 subtags into sets cost more than importing langcodes' tables)."""
    text = _registry_text()
    at = text.find(f"%%\nType: {kind}\nSubtag: {_CASE.get(kind, str.lower)(subtag)}\n")
    return text[at:text.find("%%", at + 2)] if at != -1 else ""


def _has(kind: str, subtag: str) -> bool:
    """Whether subtag (lower case) is registered as kind, alone or in a private-use range (qaa..qtz)."""
    return bool(_record(kind, subtag)) or any(len(first) == len(subtag) and first <= subtag <= last
                                              for first, last in _ranges().get(kind, ()))


@functools.lru_cache(maxsize=1)
def _ranges() -> dict[str, list[tuple[str, str]]]:
    """The registry's ranges by kind, lower case: language qaa..qtz, script Qaaa..Qabx, region QM..QZ, XA..XZ."""
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, first, last in re.findall(r"^Type: (\w+)\nSubtag: (\w+)\.\.(\w+)$", _registry_text(), re.M):
        out.setdefault(kind, []).append((first.lower(), last.lower()))
    return out


@functools.lru_cache(maxsize=1)
def _registry_text() -> str:
    """The IANA Language Subtag Registry, as the langcodes package ships it."""
    # found, not imported: importing langcodes loads its tables, and importlib.resources costs ~0.1 s to import
    spec = importlib.util.find_spec("langcodes")
    assert spec is not None and spec.origin, "langcodes is a dependency (pyproject.toml)"
    return (Path(spec.origin).parent / "data" / "language-subtag-registry.txt").read_text(encoding="utf-8")


def suggestion(tag: str) -> str:
    """A valid tag close to a bad one ('' if none): 'en_US' → 'en-US', 'French' → 'fr'."""
    fixed = tag.strip().replace("_", "-")
    if fixed != tag and is_bcp47(fixed):
        return fixed
    by_name = {"english": "en", "french": "fr", "français": "fr", "francais": "fr", "chinese": "zh", "中文": "zh",
               "uyghur": "ug", "uighur": "ug", "arabic": "ar", "russian": "ru", "spanish": "es", "fre": "fr",
               "fra": "fr", "eng": "en", "chi": "zh", "zho": "zh", "uig": "ug", "ara": "ar"}
    return by_name.get(tag.strip().lower(), "")


def script_of(text: str) -> str:
    """The script most of text's letters are in, among Latin, Han and Arabic: "Latn", "Hani", "Arab", or "" when
    it has no letter of these (digits and punctuation belong to no script). Looks at the first SAMPLE characters.

    Every Han and Arabic letter lies at or above U+0600, so they are counted among those characters only (a Latin
    text has a few: quotation marks, dashes), and the Latin letters are counted only when some are found: else one
    search for a Latin letter answers. Each article's direction reads SAMPLE characters of it, and each quote on a
    page is read: counting every script over all of it cost several times more (docs/performance.md)."""
    sample = text[:SAMPLE]
    high = _BELOW_OTHERS.sub("", sample)
    others = {name: sum(map(len, _SCRIPT_RUNS[name].findall(high))) for name in _OTHERS} if high else {}
    if not any(others.values()):
        return "Latn" if _SCRIPT_RUNS["Latn"].search(sample) else ""
    counts = {"Latn": sum(map(len, _SCRIPT_RUNS["Latn"].findall(sample))), **others}
    best = max(counts, key=counts.__getitem__)  # ties: the first of Latn, Hani, Arab
    return best if counts[best] else ""


def direction(tag: str, text: str = "") -> str:
    """ "ltr", "rtl" or "auto" for text in language tag: by the text's script when it has one, else by the tag's
    script (its script subtag, or its language's likely script), else "auto"."""
    script = script_of(text) if text else ""
    if not script:
        script = _tag_script(tag)
    if not script:
        return "auto"
    return "rtl" if script in RTL_SCRIPTS else "ltr"


@functools.lru_cache(maxsize=1024)
def _tag_script(tag: str) -> str:
    """The script a tag names (ug-Latn: Latn), else its language's: the registry's Suppress-Script (fr: Latn,
    ar: Arab), else CLDR's likely script as langcodes knows it (ug: Arab, zh: Hans; its tables load only then)."""
    if not is_bcp47(tag):
        return ""
    parts = tag.split("-")
    language = parts[0].lower()
    if language in ("x", "und", "mul", "mis", "zxx"):  # private use, or no language: no likely script
        return ""
    named = [p for p in parts[1:3] if len(p) == 4 and p.isalpha()]
    if named:
        return named[0].capitalize()
    record = _record("language", language)
    at = record.find("\nSuppress-Script: ")
    if at != -1:
        return record[at + 18:at + 22]
    import langcodes  # noqa: PLC0415

    return langcodes.Language.get(tag, normalize=False).maximize().script or ""


def name(tag: str) -> str:
    """A language's own name for a version link: NAMES by the tag's language subtag, else the tag."""
    return NAMES.get(tag.split("-")[0].lower(), tag)
