"""apparatus/languages.py: BCP 47 tags, the script of a text and its direction."""

from __future__ import annotations

import random
import re

import pytest

from apparatus import languages
from apparatus.languages import direction, is_bcp47, script_of

GOOD = ["en", "fr", "zh", "ug", "ug-Arab", "ug-Latn", "zh-Hans-CN", "fr-FR", "EN-us", "de-CH-1901", "es-419",
        "en-US-u-ca-gregory", "x-private", "en-x-notes", "cmn", "und", "zh-yue-HK"]
BAD = ["", "en_US", "zz", "fre", "french", "fr-", "-fr", "fr--FR", "i-klingon", "en-US-", "a", "toolongtag",
       "en-Latn-Latn-x", "en-a-bbb-a-ddd", "fr\n", " fr", "fr ", "ug-Arabic", "zh-" + "a" * 80]


@pytest.mark.parametrize("tag", GOOD)
def test_registered_well_formed_tags_are_bcp47(tag: str) -> None:
    assert is_bcp47(tag)


@pytest.mark.parametrize("tag", BAD)
def test_malformed_or_unregistered_tags_are_not(tag: str) -> None:
    assert not is_bcp47(tag)


def test_the_rfc_5646_pattern_is_the_json_schema_one_and_ecma_compatible() -> None:
    """The pattern uses no Python-only syntax (\\d, inline flags): JSON Schema validators read it as ECMA-262."""
    pattern = languages.BCP47_RE.pattern
    assert "\\d" not in pattern and "(?i" not in pattern and "\\w" not in pattern
    for tag in GOOD:
        assert re.fullmatch(pattern, tag)
    for tag in ("en_US", "fr-", "i-klingon", ""):
        assert not re.fullmatch(pattern, tag)


def test_suggestions_for_common_mistakes() -> None:
    assert languages.suggestion("en_US") == "en-US"
    assert languages.suggestion("French") == "fr"
    assert languages.suggestion("fre") == "fr"
    assert languages.suggestion("qqqq") == ""


@pytest.mark.parametrize(("text", "script"), [
    ("Le ministre a déclaré", "Latn"),
    ("大外宣被打脸", "Hani"),
    ("«\u00a0大外宣被打脸\u00a0»", "Hani"),
    ("ئۇيغۇر تىلى", "Arab"),
    ("مرحبا", "Arab"),
    ("BBC دېگەن ئۇيغۇر تىلىدىكى خەۋەر", "Arab"),  # most letters decide, not the first
    ("1234 — !", ""),
    ("Здравствуйте", ""),
    ("", ""),
])
def test_script_of(text: str, script: str) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize(("tag", "text", "expected"), [
    ("ug", "ئۇيغۇر تىلى", "rtl"),
    ("ug-Latn", "Uyghur tili", "ltr"),  # the script, not the tag
    ("ug", "Uyghur tili", "ltr"),
    ("en", "مرحبا", "rtl"),
    ("zh", "大外宣被打脸", "ltr"),
    ("fr", "« Non ! »", "ltr"),
    ("ug", "", "rtl"),  # no text: the language's likely script
    ("ug-Latn", "", "ltr"),  # no text: the tag's script subtag
    ("ar", "123", "rtl"),
    ("he", "", "rtl"),
    ("ru", "Здравствуйте", "ltr"),
    ("und", "", "auto"),
    ("x-private", "", "auto"),
    ("not a tag", "", "auto"),
])
def test_direction_follows_the_script(tag: str, text: str, expected: str) -> None:
    assert direction(tag, text) == expected


def test_names() -> None:
    assert languages.name("fr") == "Français"
    assert languages.name("zh-Hans") == "中文"
    assert languages.name("de") == "de"


def test_the_published_schemas_check_the_grammar_of_tags() -> None:
    """Editors' JSON Schemas (validated here with jsonschema, draft 2020-12) take well-formed tags and refuse others
    in a link's language, a record's language and versions, and a cited version."""
    import jsonschema

    from apparatus.scaffold import annotations_schema, records_schema

    notes = jsonschema.Draft202012Validator(annotations_schema())
    records = jsonschema.Draft202012Validator(records_schema())

    def note(link_language: str, cited: str) -> dict:
        return {"annotations": [{"id": "a", "type": "context", "quote": "q", "note": "n",
                                 "records": ["r", {"id": "r", "language": cited}],
                                 "links": [{"url": "https://example.org", "title": "t", "language": link_language}]}]}

    def record(language: str, version: str) -> dict:
        return {"records": [{"id": "r", "title": "t", "issuer": "i", "kind": "un", "date": "2021",
                             "accessed": "2026-12-05", "language": language,
                             "versions": {version: "https://example.org/v"}}]}

    assert list(notes.iter_errors(note("ug-Latn", "fr"))) == []
    assert len(list(notes.iter_errors(note("en_US", "fr")))) == 1
    assert len(list(notes.iter_errors(note("fr", "fr-")))) == 1
    assert list(records.iter_errors(record("zh-Hant", "ar"))) == []
    assert len(list(records.iter_errors(record("fr", "en_GB")))) == 1
    assert len(list(records.iter_errors(record("i-klingon", "fr")))) == 1


def test_validity_agrees_with_langcodes() -> None:
    """The registry check (apparatus.languages._registered) says what langcodes' is_valid says, on tags made of
    registered and unregistered subtags in every position (langcodes is the oracle: importing its tables is what
    the engine avoids, tests may). Grandfathered tags aside: BCP47_RE refuses them; and an extlang must be
    registered, after its Prefix (zh-yue, not fr-yue), which langcodes does not check."""
    import random

    import langcodes

    rng = random.Random(17)
    pools: dict[str, list[str]] = {}
    for kind, subtag in re.findall(r"^Type: (\w+)\nSubtag: (\w+)$", languages._registry_text(), re.M):
        pools.setdefault(kind, []).append(subtag.lower())
    junk = {"language": ["zz", "qqq", "abcd"], "extlang": ["zzz"], "script": ["abcd"], "region": ["zz", "999"],
            "variant": ["abcde", "1abc"]}
    tags = []
    for _ in range(3_000):
        parts = [rng.choice(pools["language"] if rng.random() < 0.9 else junk["language"])]
        for kind, p in (("extlang", 0.05), ("script", 0.3), ("region", 0.3), ("variant", 0.1), ("variant", 0.03)):
            if rng.random() < p:
                parts.append(rng.choice(pools[kind] if rng.random() < 0.85 else junk[kind]))
        if rng.random() < 0.05:
            parts += ["u", "ca", "gregory"] + (["u", "nu", "latn"] if rng.random() < 0.5 else [])
        if rng.random() < 0.05:
            parts += ["x", "private"]
        tags.append("-".join(parts))
    compared = 0
    for tag in tags:
        if not languages.BCP47_RE.fullmatch(tag):
            continue
        compared += 1
        lang = langcodes.Language.get(tag, normalize=False)
        # (langcodes does not look an extlang up in the registry; RFC 5646 wants it registered, after its Prefix)
        extlang_ok = not lang.extlangs or all(f"\nPrefix: {lang.language}\n" in languages._record("extlang", e)
                                              for e in lang.extlangs)
        assert is_bcp47(tag) == (lang.is_valid() and extlang_ok), tag
    assert compared > 2_500


def counted_script(text: str) -> str:
    """script_of as it was first written: every script's letters counted over the whole sample."""
    sample = text[:languages.SAMPLE]
    counts = {name: sum(map(len, rx.findall(sample))) for name, rx in languages._SCRIPT_RUNS.items()}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ""


# characters at the edges of the scripts' ranges and of U+0600, and the punctuation and spaces between words
EDGES = [chr(c) for name, spans in languages._RANGES for a, b in spans for c in (a - 1, a, b, b + 1)] + [
    "\u05ff", "\u0600", " ", "\n", "’", "“", "—", "1", "a", "é", "中", "ئ", "\u00a0", "\U0001f642", "\u3000"]


def test_script_of_counts_as_every_script_counted_everywhere() -> None:
    """script_of counts Han and Arabic letters among the characters from U+0600 only, and Latin letters only when
    it must: the same answer as counting all three over the whole sample, ties and the SAMPLE bound included."""
    rng = random.Random(17)
    texts = ["".join(rng.choice(EDGES) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    texts += ["a" * languages.SAMPLE + "中" * 5, "中" * (languages.SAMPLE - 2) + "aaa", "a中", "中a", "aئ", "ئ中",
              "a" * 3 + "中" * 3 + "ئ" * 3, "Le ministre’s « 大外宣 »", "—’“"]
    assert [t for t in texts if script_of(t) != counted_script(t)] == []
    assert {script_of(t) for t in texts} == {"", "Latn", "Hani", "Arab"}
    assert languages._FIRST_OTHER == 0x600  # the bound below which no Han or Arabic letter lies
