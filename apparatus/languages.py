"""Language tags and scripts: which tags are BCP 47, which script a text is in, and its direction.

``is_bcp47(tag)`` is two checks. The tag must be well formed by RFC 5646's ABNF (section 2.1,
``langtag`` and ``privateuse``; the 26 grandfathered tags are refused: each has a modern
replacement such as ``tlh`` for ``i-klingon``): :data:`BCP47_RE` below, which is also the pattern
the published JSON Schema gives editors. Then each subtag must be registered in the IANA Language
Subtag Registry, as ``langcodes`` knows it (the registry ships inside the package: nothing is
downloaded; imported on first use, as its tables take a quarter of a second to load). So
``en_US`` (not well formed), ``zz`` and ``fre`` (not registered: French is ``fr``) are refused.

``direction(tag, text)`` follows the script, not the tag: text in Arabic script is right to left
whatever its tag says, Uyghur in Latin letters (``ug-Latn``) is left to right. Only without text
does the tag decide, by its script subtag or its language's likely script; ``auto`` (the browser
decides from the first strong character) when neither tells.
"""

from __future__ import annotations

import functools
import re

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
_SCRIPT_CLASS = {name: re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in spans) + "]")
                 for name, spans in _RANGES}
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
    import langcodes  # noqa: PLC0415 - its tables load in ~0.25 s: only when a tag is checked

    try:
        return bool(langcodes.Language.get(tag, normalize=False).is_valid())
    except langcodes.LanguageTagError:
        return False


def suggestion(tag: str) -> str:
    """A well-formed tag close to a bad one ('' if none): 'en_US' → 'en-US', 'French' → 'fr'."""
    fixed = tag.strip().replace("_", "-")
    if fixed != tag and is_bcp47(fixed):
        return fixed
    by_name = {"english": "en", "french": "fr", "français": "fr", "francais": "fr", "chinese": "zh", "中文": "zh",
               "uyghur": "ug", "uighur": "ug", "arabic": "ar", "russian": "ru", "spanish": "es", "fre": "fr",
               "fra": "fr", "eng": "en", "chi": "zh", "zho": "zh", "uig": "ug", "ara": "ar"}
    return by_name.get(tag.strip().lower(), "")


def script_of(text: str) -> str:
    """The script most of text's letters are in, among Latin, Han and Arabic: "Latn", "Hani", "Arab", or "" when
    it has no letter of these (digits and punctuation belong to no script). Looks at the first SAMPLE characters."""
    sample = text[:SAMPLE]
    counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPT_CLASS.items()}
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
    if not is_bcp47(tag):
        return ""
    import langcodes  # noqa: PLC0415

    try:
        lang = langcodes.Language.get(tag, normalize=False)
        # a private-use tag or "undetermined" names no language, so no likely script
        if lang.script or tag.lower().startswith("x-") or lang.language in (None, "und", "mul", "mis", "zxx"):
            return lang.script or ""
        return lang.maximize().script or ""
    except langcodes.LanguageTagError:  # pragma: no cover - is_bcp47 parsed it
        return ""


def name(tag: str) -> str:
    """A language's own name for a version link: NAMES by the tag's language subtag, else the tag."""
    return NAMES.get(tag.split("-")[0].lower(), tag)
