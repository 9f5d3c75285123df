"""Data-driven anchoring fixtures (tests/fixtures/anchoring.yaml): Markdown + quotes → rendered HTML.

Each case's ``html`` is the golden rendering (regenerate with --update-golden and read it); the
test also checks that the text inside each annotation's marks is exactly its quote, normalized.
"""

from __future__ import annotations

import html as htmllib
import random
import re
import threading
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TESTS

from apparatus import anchoring, markdown
from apparatus.anchoring import TextIndex, anchor, normalize, plain_blocks
from apparatus.annotations import Annotation, AnnotationFile
from apparatus.sources import SourceFile

NO_FILE = AnnotationFile(SourceFile("annotations/x.yaml", ""), [])  # diagnostics at 1:1
# anchoring.yaml, then one file per language: anchoring-fr.yaml (French), -zh (Chinese), -ug (Uyghur, Arabic script)
FIXTURES = sorted((TESTS / "fixtures").glob("anchoring*.yaml"))
FILES = {path: yaml.safe_load(path.read_text(encoding="utf-8")) for path in FIXTURES}
CASES = [case for cases in FILES.values() for case in cases]


def render(case: dict) -> tuple[str, list[str]]:
    body = SourceFile("content/x.md", case["markdown"] + "\n")
    src = NO_FILE
    anns = [Annotation(id=a["id"], type=a.get("type", "context"), quote=a["quote"], note="n",
                       prefix=a.get("prefix", ""), suffix=a.get("suffix", "")) for a in case["annotations"]]
    tokens = markdown.ARTICLE_MD.parse(body.text)
    blocks = plain_blocks(tokens)
    diags: list = []
    anchors = anchor(anns, blocks, src, body, diags)
    anchors.sort(key=lambda a: (a.block, a.start, -a.end))
    numbers = {a.annotation.id: n for n, a in enumerate(anchors, 1)}
    markdown.insert_marks(tokens, blocks, anchors, numbers, {a.id: a.type for a in anns})
    return markdown.render_article(tokens), [f"{d.message}\nhint: {d.hint}" for d in diags]


def marked_text(html: str, ann_id: str) -> str:
    pieces = re.findall(r'<mark [^>]*data-ann="([^"]*)"[^>]*>(.*?)</mark>', html, flags=re.S)
    return "".join(htmllib.unescape(re.sub(r"<[^>]+>", "", text)) for ids, text in pieces if ann_id in ids.split())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_anchoring_fixture(case: dict, update_golden: bool) -> None:
    html, errors = render(case)
    if "error" in case:  # the message, and from "\nhint: " on, the hint's start
        assert any(case["error"] in e for e in errors), errors
        return
    assert errors == []
    if update_golden:
        case["html"] = html
    else:
        assert html == case["html"]
    for a in case["annotations"]:
        assert normalize(marked_text(html, a["id"])).strip() == normalize(a["quote"]).strip()


def test_update_golden_writes_fixtures(update_golden: bool) -> None:
    if update_golden:  # runs last in this file: the cases above filled in their html
        for path, cases in FILES.items():
            path.write_text(yaml.safe_dump(cases, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def test_offsets_map_back_through_collapsed_white_space() -> None:
    body = SourceFile("content/x.md", "a  b\u00a0\u00a0 c   d\n")
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    index = TextIndex(blocks)
    assert index.text == "a b c d"
    plain = blocks[0].text
    for norm_off, char in enumerate(index.text):
        b, off = index.locate(norm_off)
        assert b == 0
        assert normalize(plain[off]) == char


def test_one_to_one_is_the_documented_mapping() -> None:
    """White space but the space (regex [^\\S ]) → space, typographic quotes (guillemets and CJK corner brackets
    too) → straight, for every character."""
    from apparatus import anchoring
    every = "".join(map(chr, range(0x110000))).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    expected = re.sub("[\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u300e\u300f]", "'",
                      re.sub("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d]", '"',
                             re.sub(r"[^\S ]", " ", every)))
    assert anchoring._one_to_one(every) == expected


# --- the closest text of a missing quote: bounded work, the same answer as comparing every run -----------------

def _index(markdown_text: str) -> TextIndex:
    return TextIndex(plain_blocks(markdown.ARTICLE_MD.parse(markdown_text)))


def _every_run(index: TextIndex, quote: str) -> tuple[str, int, float]:
    """The search as it was before it was bounded: difflib against every run of n - 1, n and n + 1 words."""
    import difflib
    flat = index.text.replace("\n", " ")
    low = flat.lower()
    if quote.lower() in low:
        return flat[low.find(quote.lower()):][:len(quote)], low.find(quote.lower()), 0.99
    words = low.split(" ")
    n = max(1, len(quote.split(" ")))
    starts = [0]
    for w in words[:-1]:
        starts.append(starts[-1] + len(w) + 1)
    best_at, best_len, best_ratio = 0, 0, 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote.lower())
    for width in (max(1, n - 1), n, n + 1):
        for i in range(max(1, len(words) - width + 1)):
            cand = " ".join(words[i:i + width])
            matcher.set_seq1(cand)
            if matcher.quick_ratio() > best_ratio and (r := matcher.ratio()) > best_ratio:
                best_at, best_len, best_ratio = starts[i], len(cand), r
    return flat[best_at:best_at + best_len], best_at, best_ratio


def _edits(rng: random.Random, words: list[str]) -> list[str]:
    """A passage of the article as an annotator might misquote it: typos, a word left out, changed or added."""
    out = []
    for k in (1, 2, 3, 5, 8, 12):
        a = rng.randrange(max(1, len(words) - k))
        quote = words[a:a + k]
        kind = rng.randrange(4)
        if kind == 0:
            text = list(" ".join(quote))
            for _ in range(1 + len(text) // 15):
                text[rng.randrange(len(text))] = rng.choice("aeiourst")
            out.append("".join(text))
            continue
        at = rng.randrange(len(quote))
        if kind == 1 and len(quote) > 1:
            del quote[at]
        elif kind == 2:
            quote[at] = rng.choice(["report", "minister", "the", "camps", "said"])
        else:
            quote.insert(at, rng.choice(["also", "then", "the"]))
        out.append(" ".join(quote))
    return out


ARTICLES = sorted((REPO / "content").glob("*.md")) + sorted((TESTS / "sites" / "tiny" / "content").glob("*.md"))


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_the_closest_text_is_what_comparing_every_run_finds(path: Path) -> None:
    """On misquoted passages of the real articles, the bounded search picks exactly the text, place and ratio
    that difflib against every run of words picks (the hint of a missing quote and a moved quote's place)."""
    index = _index(path.read_text(encoding="utf-8").split("---", 2)[-1])
    words = index.text.replace("\n", " ").split(" ")
    rng = random.Random(path.name)
    for _ in range(4):
        for quote in _edits(rng, words):
            quote = normalize(quote).strip()
            if quote and quote.lower() not in index.text.lower():
                assert anchoring.closest(index, quote) == _every_run(index, quote), quote


def _long_article(rng: random.Random, words: int) -> str:
    vocabulary = ["the", "a", "of", "and", "to", "in", "on", "was", "were", "council", "minister", "report", "camps",
                  "region", "people", "said", "rights", "human", "court", "law", "vote", "session", "statement",
                  "evidence", "witness", "official", "policy", "families"]
    paragraphs = []
    for _ in range(words // 80):
        paragraphs.append(" ".join(rng.choice(vocabulary) + rng.choice(["", "", "", ",", "."]) for _ in range(80)))
    return "\n\n".join(paragraphs) + "\n"


def test_a_long_missing_quote_in_a_long_article_is_reported_with_bounded_work() -> None:
    """A 2,000-word quote that is nowhere in a 20,000-word article (it took minutes when every run of words was
    compared): difflib compares a bounded number of runs, and the quote is reported missing."""
    rng = random.Random(14)
    body = SourceFile("content/x.md", _long_article(rng, 20_000))
    quote = " ".join(body.text.split()[5_000:7_000][::-1])  # the article's words, in another order
    ann = Annotation(id="long", type="context", quote=quote, note="n")
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    diags: list = []
    anchoring.COMPARED.clear()
    done = threading.Thread(target=anchor, args=([ann], blocks, NO_FILE, body, diags),
                            daemon=True)
    done.start()
    done.join(timeout=60)  # generous: the bound below is what is checked
    assert not done.is_alive(), "the closest-text search did not finish"
    assert [d.message for d in diags] == ["quote of 'long' not found in content/x.md"]
    assert 1 <= anchoring.COMPARED["runs"] <= anchoring.MAX_RUNS
    assert anchoring.COMPARED["elements"] <= anchoring.COMPARE_BUDGET  # word by word: the quote is over CHAR_LIMIT


def test_a_quote_moved_deep_in_a_long_article_is_found_where_it_moved() -> None:
    """The bounded search still finds an edited quote's new place (the moved warning) in a long article."""
    rng = random.Random(15)
    text = _long_article(rng, 20_000) + "\nAt the end the minister spoke before the Human Rights Council in Geneva.\n"
    body = SourceFile("content/x.md", text)
    ann = Annotation(id="moved", type="context", quote="the minister spoke to the Human Rights Council", note="n")
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    diags: list = []
    anchoring.COMPARED.clear()
    anchors = anchor([ann], blocks, NO_FILE, body, diags, article_changed=True)
    assert [(a.status, a.annotation.quote) for a in anchors] == [
        ("moved", "the minister spoke before the Human Rights Council")]
    assert [d.severity for d in diags] == ["warning"]
    assert anchoring.COMPARED["runs"] <= anchoring.MAX_RUNS


def test_many_long_missing_quotes_in_one_article_share_one_budget() -> None:
    """500 missing quotes of about 2,000 characters in one article (100 took 35 s, each with its own full search):
    the closest-text searches of an article share ARTICLE_BUDGET; past it the rest are reported missing with a
    hint that says the search was skipped."""
    rng = random.Random(5)
    body = SourceFile("content/x.md", _long_article(rng, 4_000))
    words = body.text.split()
    anns = [Annotation(id=f"q{k}", type="context", quote=" ".join(words[k:k + 300][::-1]), note="n")
            for k in range(500)]
    assert all(1_500 <= len(a.quote) <= 2_000 for a in anns)
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    diags: list = []
    anchoring.COMPARED.clear()
    done = threading.Thread(target=anchor, args=(anns, blocks, NO_FILE, body, diags),
                            daemon=True)
    done.start()
    done.join(timeout=120)  # generous: the bound below is what is checked
    assert not done.is_alive(), "the closest-text searches did not finish"
    assert len(diags) == 500 and all(d.message == f"quote of 'q{k}' not found in content/x.md"
                                     for k, d in enumerate(diags))
    assert anchoring.COMPARED["elements"] <= anchoring.ARTICLE_BUDGET + anchoring.COMPARE_BUDGET
    searched = 500 - anchoring.COMPARED["skipped"]
    assert 1 <= searched <= 10
    assert not diags[0].hint.endswith(anchoring.SKIPPED)
    assert diags[-1].hint == ("copy the quote exactly from the article text (Markdown syntax such as * and [] is "
                              "not part of it) (closest-text search skipped: too many missing quotes in this file)")


def test_a_moved_quotes_hint_holds_no_line_break_from_the_article() -> None:
    """The moved warning's hint pastes the new quote: a line break of the article (a soft break) would make a hint
    line that starts with the article's text (here a workflow command); it is collapsed to a space."""
    body = SourceFile("content/x.md", "The minister spoke\n::error file=a::x to the Human Rights Council in Geneva.\n")
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    ann = Annotation(id="m", type="context", note="n",
                     quote="The minister spoke ::error file=a::x to the Human Rights Council in Genf")
    diags: list = []
    anchor([ann], blocks, NO_FILE, body, diags, article_changed=True)
    assert [(d.message, d.hint) for d in diags] == [(
        "quote of 'm' has moved: the article now reads \"The minister spoke ::error file=a::x to the Human Rights "
        "Council in Geneva.\" (line 1)",
        "if the note still applies, update the annotation:\n"
        "quote: 'The minister spoke ::error file=a::x to the Human Rights Council in Geneva.'")]


def test_the_quick_check_knows_every_character_that_collapsing_drops() -> None:
    """_may_change skips the collapsing pass when none of _TRIGGERS is in the text: they must be the optional marks
    and the guillemets, exactly."""
    every = "".join(map(chr, range(0x10000)))
    optional = set(re.findall(f"[{anchoring.OPTIONAL}]", every))
    assert optional | set("\u00ab\u00bb\u2039\u203a") == set(anchoring._TRIGGERS)
    for c in sorted(optional):
        assert normalize(f"a{c}b") == "ab"


@pytest.mark.parametrize(("text", "expected"), [
    ("«\u00a0non\u00a0»", '"non"'),
    ("‹\u202foui\u202f›", "'oui'"),
    ("Quoi\u00a0? Rien\u202f! Voilà\u00a0: fin\u00a0; bon", "Quoi? Rien! Voilà: fin; bon"),
    ("l’homme", "l'homme"),
    ("ئانـــا", "ئانا"),
    ("ئۇيغۇر\u200cلار", "ئۇيغۇرلار"),
    ("a \u0640 b", "a b"),  # a mark between spaces: one space
    ('he said " yes "', 'he said " yes "'),  # straight quotes are not guillemets: their spaces stay
    ("「強迫勞動」『x』", "\"強迫勞動\"'x'"),
    ("发言人\u3000汪文斌", "发言人 汪文斌"),
])
def test_normalize_across_scripts(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_offsets_map_back_through_dropped_marks_and_french_spaces() -> None:
    body = SourceFile("content/x.md", "Il dit «\u00a0non\u00a0»\u202f! ئانـــا تىلى\n")
    blocks = plain_blocks(markdown.ARTICLE_MD.parse(body.text))
    index = TextIndex(blocks)
    assert index.text == 'Il dit "non"! ئانا تىلى'
    plain = blocks[0].text
    for norm_off, char in enumerate(index.text):
        b, off = index.locate(norm_off)
        assert normalize(plain[off]) in (char, "") and _one_to_one_char(plain[off]) == char


def _one_to_one_char(c: str) -> str:
    return anchoring._one_to_one(c)
