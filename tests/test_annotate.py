"""apparatus.annotate: a selected passage → a YAML note that anchors there (the build's anchoring decides), the id it
suggests, the YAML's escaping, the records finder, and their commands (build.py annotate, build.py records)."""

from __future__ import annotations

import itertools
import random
import re
import shlex
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import MULTILINGUAL, REPO, TINY, copy_collection, run

from apparatus import anchoring, annotate, fastmd
from apparatus.annotations import Annotation, AnnotationFile
from apparatus.articles import Article, load_article
from apparatus.schema import load_yaml
from apparatus.sources import SourceFile

LE_DRIAN = "le-drian-hrc46-xinjiang-2021"
MASS = "france-china-mass-detentions-2019"
WORD = re.compile(rf"[{anchoring._CJK}]|[^\s{anchoring._CJK}]+")  # a Chinese character is a word, as in the hints
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def _article(root: Path, slug: str) -> tuple[Article, list[anchoring.Block]]:
    article, diags = load_article(root, f"content/{slug}.md")
    assert article is not None, diags
    return article, anchoring.plain_blocks(fastmd.parse(article.body.text))


def _anchored(article: Article, blocks: list[anchoring.Block], s: annotate.Snippet) -> tuple[int, int, int]:
    """Where the build's anchoring puts the snippet's note, read back from its YAML by PyYAML: (block, start, end)."""
    item = yaml.load(s.yaml, Loader=yaml.CSafeLoader)[0]
    ann = Annotation(item["id"], item["type"], item["quote"], item.get("note") or "n", item.get("prefix", ""),
                     item.get("suffix", ""), index=0)
    af = AnnotationFile(SourceFile(f"annotations/{s.slug}.yaml", "annotations: []\n"), [ann])
    diags: list = []
    anchors = anchoring.anchor([ann], blocks, af, article.body, diags)
    assert not diags and len(anchors) == 1, [d.format() for d in diags]
    return anchors[0].block, anchors[0].start, anchors[0].end


def _words_before(flat: str, at: int, k: int) -> str:
    return " ".join(flat[:at].split()[-k:]) if k else ""


def _words_after(flat: str, end: int, k: int) -> str:
    return " ".join(flat[end:].split()[:k]) if k else ""


def _no_fewer_words_do(index: anchoring.TextIndex, q: str, at: int, words: int) -> bool:
    """No prefix and suffix of fewer words in all (words as split by spaces) leave only the occurrence at ``at``."""
    flat = index.text.replace(anchoring.SEP, " ")
    hits = index.occurrences(q)
    for total in range(words):
        for kp in range(total + 1):
            p, s = _words_before(flat, at, kp), _words_after(flat, at + len(q), total - kp)
            if [h for h in hits if anchoring.context_ok(index, h, len(q), p, s)] == [at]:
                return False
    return True


# Both real articles, the multilingual fixture's French (« », non-breaking spaces, emphasis), Chinese (no spaces:
# each character is a word) and Uyghur (Arabic script) ones, and the tiny fixture's (emphasis, a link, a line break,
# a sentence repeated within its paragraph, three scripts in one).
ARTICLES = [(REPO, LE_DRIAN), (REPO, MASS), (MULTILINGUAL, "fr-pont"), (MULTILINGUAL, "zh-qiao"),
            (MULTILINGUAL, "ug-kowruk"), (TINY, "alpha")]


@pytest.mark.parametrize(("root", "slug"), ARTICLES, ids=[slug for _, slug in ARTICLES])
def test_every_sentence_and_every_window_of_one_to_five_words_anchors_where_it_was_selected(root: Path,
                                                                                              slug: str) -> None:
    """Each selection, as the page shows it (white space as one space) with the page's text around it, gives a
    quote, prefix and suffix that the build anchors at exactly the passage selected; a quote that occurs more than
    once gets a prefix or suffix, and none with fewer words would do; a quote that occurs once gets neither."""
    article, blocks = _article(root, slug)
    index = anchoring.TextIndex(blocks)
    page = "\n".join(b.text for b in blocks)
    starts = list(itertools.accumulate((len(b.text) + 1 for b in blocks), initial=0))  # each block's place in page
    spans: set[tuple[int, int, int]] = set()
    for bi, block in enumerate(blocks):
        words = [m.span() for m in WORD.finditer(block.text)]
        for i in range(len(words)):
            for n in range(1, 6):
                if i + n <= len(words):
                    spans.add((bi, words[i][0], words[i + n - 1][1]))
        at = 0
        for part in SENTENCE_END.split(block.text):
            if part.strip():
                start = block.text.index(part, at)
                spans.add((bi, start, start + len(part.rstrip())))
                at = start + len(part)
    repeated = 0
    for bi, start, end in sorted(spans):
        selection = " ".join(blocks[bi].text[start:end].split())
        on_page = starts[bi] + start
        s = annotate.snippet(root, slug, selection, context_before=page[max(0, on_page - 200):on_page],
                             context_after=page[on_page + end - start:on_page + end - start + 200])
        assert _anchored(article, blocks, s) == (bi, start, end), (selection, s.yaml)
        q = anchoring.normalize(s.quote).strip()
        if len(index.occurrences(q)) > 1:
            repeated += 1
            assert s.prefix or s.suffix, selection
            if not anchoring._HAS_CJK.search(index.text):  # (words are split by spaces below)
                words = len(anchoring.normalize(s.prefix).split()) + len(anchoring.normalize(s.suffix).split())
                at = next(h for h in index.occurrences(q) if index.locate(h) == (bi, start))
                assert _no_fewer_words_do(index, q, at, words), (selection, s.prefix, s.suffix)
        else:
            assert (s.prefix, s.suffix) == ("", ""), selection
    assert len(spans) > 100 and repeated > 10  # the articles repeat phrases: the rule is exercised


def test_a_unique_quote_is_the_articles_own_words_without_prefix_or_suffix() -> None:
    # typed with straight quotes and a line break, as a browser may copy it: the YAML has the article's “ ’ ”
    s = annotate.snippet(REPO, LE_DRIAN, 'the Communist Party\'s mass surveillance\nand "institutional oppression"',
                         kind="correction", correction="the Communist Party's surveillance",
                         records=["hrc46-le-drian-2021-02-24"], note="Le Drian said « répression institutionnalisée ».")
    assert s == annotate.Snippet(
        LE_DRIAN, "correction", "communist-partys-mass-surveillance",
        "the Communist Party’s mass surveillance and “institutional oppression”", "", "",
        '- id: "communist-partys-mass-surveillance"\n'
        '  type: "correction"\n'
        '  quote: "the Communist Party’s mass surveillance and “institutional oppression”"\n'
        '  correction: "the Communist Party\'s surveillance"\n'
        '  note: "Le Drian said « répression institutionnalisée »."\n'
        '  records: ["hrc46-le-drian-2021-02-24"]\n')


def test_a_repeated_quote_gets_the_shortest_prefix_or_suffix_for_the_occurrence_meant() -> None:
    def pick(quote: str, **context: str) -> tuple[str, str, str]:
        s = annotate.snippet(REPO, LE_DRIAN, quote, **context)
        return s.quote, s.prefix, s.suffix
    # "Le Drian" occurs three times: "Minister Le Drian.", "Jean-Yves Le Drian denounced", "Jean-Claude Le Drian
    # pointed"
    assert pick("Le Drian") == ("Le Drian", "", ".")  # without context: the first
    assert pick("Le Drian", context_before="The Chinese … French Foreign Minister Jean-Yves ",
                context_after=" denounced the") == ("Le Drian", "Jean-Yves", "")
    assert pick("Le Drian", context_before="However, French Foreign Minister Jean-Claude") == \
        ("Le Drian", "", "pointed")
    # the words around, as typed on the command line (--after): letters and digits are compared, not punctuation
    assert pick("Uighurs", context_after="a minority group") == ("Uighurs", "", ",")
    assert pick("Uighurs", context_after="and other Turkic-speaking") == ("Uighurs", "", "and")
    # a note's number on the page, right next to the selection: the rest of the text around still tells
    assert pick("Le Drian", context_before="However, French Foreign Minister Jean-Claude3",
                context_after="2 pointed out via video message") == ("Le Drian", "", "pointed")
    # Chinese: a character is a word; the prefix is the fewest characters that tell the occurrences apart
    assert annotate.snippet(MULTILINGUAL, "zh-qiao", "旧桥").prefix == "会通过"
    assert annotate.snippet(MULTILINGUAL, "zh-qiao", "旧桥", context_before="，施工期间").prefix == "间"


def test_quotes_across_emphasis_and_french_spacing_anchor(tmp_path: Path) -> None:
    s = annotate.snippet(MULTILINGUAL, "fr-pont", "« C'est une priorité absolue pour la ville ! »")
    assert (s.quote, s.prefix, s.suffix) == ("« C’est une priorité absolue pour la ville ! »", "", "")
    # French spacing typed or not, the same passage (the YAML keeps the article's no-break spaces)
    assert annotate.snippet(MULTILINGUAL, "fr-pont", '"C’est une priorité absolue pour la ville!"').quote == s.quote


def test_a_quote_the_article_writes_otherwise_falls_back_to_the_text_the_build_compares(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippet is checked before it is given: were the article's own words ever to miss (here: made to), the
    normalized text is given instead, which anchors."""
    monkeypatch.setattr(anchoring, "as_written", lambda index, at, found: found.upper())
    s = annotate.snippet(REPO, LE_DRIAN, "Communist Party's mass surveillance")
    assert s.quote == "Communist Party's mass surveillance"  # normalized: a straight apostrophe


@pytest.mark.parametrize(("quote", "kind", "taken", "expected"), [
    ("After the U.S. and Canada launched sanctions", "correction", set(), "after-u-s-canada"),
    ("Étrangères: l’Élysée à Genève", "context", set(), "etrangeres-lelysee-geneve"),
    ("the of and", "context", set(), "the-of-and"),  # only stop words: they are kept
    ("市议会通过旧桥翻新方案", "context", {"context"}, "context-2"),  # no Latin letters: the type
    ("Uighurs", "source", {"uighurs", "uighurs-2"}, "uighurs-3"),
    ("Supercalifragilisticexpialidocious-extraordinarily-long-word and more", "context", set(),
     "supercalifragilisticexpialidocious"),
])
def test_suggested_ids_follow_the_id_rule_and_are_unique(quote: str, kind: str, taken: set[str],
                                                          expected: str) -> None:
    assert annotate.suggest_id(quote, kind, taken) == expected


def test_the_id_is_unique_in_the_file_and_a_given_one_is_checked(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    path = root / "annotations" / f"{LE_DRIAN}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + '  - {id: le-drian, type: context, quote: "Minister Le Drian.",'
                    " note: x}\n", encoding="utf-8")
    assert annotate.snippet(root, LE_DRIAN, "Le Drian").id == "le-drian-2"
    assert annotate.snippet(root, LE_DRIAN, "Le Drian", id="my-id").id == "my-id"
    assert annotate.snippet(root, LE_DRIAN, "Le Drian", id="").id == "le-drian-2"  # an emptied field: suggested
    with pytest.raises(annotate.Refused) as taken:
        annotate.snippet(root, LE_DRIAN, "Le Drian", id="headline-translation")
    assert (taken.value.message, taken.value.hint, taken.value.usage) == (
        f"the id 'headline-translation' is already used in annotations/{LE_DRIAN}.yaml (note 1)",
        "give each note its own id, e.g. 'headline-translation-2'", True)
    for bad in ("Le Drian", "x--y", "x\n", "a" * 81):
        with pytest.raises(annotate.Refused) as refused:
            annotate.snippet(root, LE_DRIAN, "Le Drian", id=bad)
        assert refused.value.usage and "is not a valid id" in refused.value.message
    with pytest.raises(annotate.Refused) as refused:
        annotate.snippet(root, LE_DRIAN, "Le Drian", id="Le Drian")
    assert refused.value.hint == "use lowercase letters, digits and single hyphens, at most 80 characters, " \
                                 "e.g. 'le-drian-2'"


TRICKY = ["plain", "key: value # not a comment", '"double" and \'single\'', "back\\slash \\n", "line\nbreak\n",
          "\ttab", " leading and trailing ", "- a list?", "? key", "[flow, {map}]", "&anchor *alias !tag |>",
          "null", "true", "123", "2021-02-24", "~", "@at `tick` %percent", "\x00\x01\x07\x1b[31m\x7f\x85\x9f",
          "\u2028\u2029\u202e\u2066\ufeff\ufffe\uffff", "\ud800", "中文「引号」", "ئۇيغۇر\u200cتىلى",
          "emoji 🙂 \U000e0001", "\u00a0no-break\u202f", ""]


def test_the_yaml_reads_back_exactly_whatever_the_text() -> None:
    rng = random.Random(18)
    pool = [chr(c) for c in (*range(0, 0x250), *range(0x600, 0x700), *range(0x2000, 0x2070), *range(0x3000, 0x3040),
                             0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F642, 0x10FFFF)]
    texts = TRICKY + ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(300)]
    for text in texts:
        values = {"id": "x", "type": "correction", "quote": text or "q", "prefix": text, "suffix": text,
                  "correction": text, "note": text, "records": [text, "b"]}
        item = annotate.item_yaml(**values)
        expected = {k: v for k, v in values.items() if v or k not in ("prefix", "suffix")}
        assert yaml.safe_load(item) == [expected], repr(text)
        if "\ud800" not in text:  # (a lone surrogate cannot be written to a file)
            src = SourceFile("a.yaml", "annotations:\n" + "".join("  " + x for x in item.splitlines(keepends=True)))
            assert load_yaml(src)[0] == {"annotations": [expected]}, repr(text)  # the build's own reader
        # nothing invisible or that moves text is written as it is: control characters, separators, overrides
        assert all(c == "\n" or unicodedata.category(c) not in ("Cc", "Cs", "Cn", "Zl", "Zp") and c not in "\u202a"
                   "\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff" for c in item), repr(item)


def append(root: Path, s: annotate.Snippet) -> None:
    """The snippet appended to its article's annotation file, indented as its notes are (two spaces)."""
    path = root / "annotations" / f"{s.slug}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\n  - id: " in text
    path.write_text(text + "".join("  " + line for line in s.yaml.splitlines(keepends=True)), encoding="utf-8")


def test_snippets_appended_to_a_real_annotation_file_pass_check(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    path = root / "annotations" / f"{LE_DRIAN}.yaml"
    before = path.read_text(encoding="utf-8")
    snippets = [
        annotate.snippet(root, LE_DRIAN, "Le Drian", kind="correction", correction="Jean-Yves Le Drian",
                         note='A "quoted" note: with # and\n- a list\n\n> and a quote', context_after="pointed"),
        annotate.snippet(root, LE_DRIAN, "Uighurs", kind="source", records=["cerd-c-chn-co-14-17"],
                         note="Spelled « Ouïghours » in French; 维吾尔族 in Chinese.", context_after="and other"),
        annotate.snippet(root, MASS, "Xinjiang", note="Context.\tTabbed."),
    ]
    for s in snippets:
        append(root, s)
    result = run(root, "check", "--strict")
    assert result.code == 0 and "error" not in result.err, result.err
    assert path.read_text(encoding="utf-8").startswith(before)


def test_an_empty_note_is_written_empty_and_check_asks_for_it(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    s = annotate.snippet(root, LE_DRIAN, "Le Drian", kind="correction")
    assert s.yaml == '- id: "le-drian"\n  type: "correction"\n  quote: "Le Drian"\n  suffix: "."\n  correction: ""\n' \
                     '  note: ""\n'
    append(root, s)
    result = run(root, "check")
    assert result.code == 1
    assert "error: 'correction' is empty" in result.err and "error: 'note' is empty" in result.err
    assert result.err.count("error:") == 2


def refusal(root: Path, slug: str, quote: str, **kwargs: object) -> tuple[str, str, bool]:
    with pytest.raises(annotate.Refused) as refused:
        annotate.snippet(root, slug, quote, **kwargs)  # type: ignore[arg-type]
    return refused.value.message, refused.value.hint, refused.value.usage


def test_a_quote_that_cannot_anchor_is_refused_with_what_to_do() -> None:
    assert refusal(REPO, LE_DRIAN, "Jean Claude Le Drian pointed") == (
        f"the quote is not in content/{LE_DRIAN}.md",
        'closest text in the article, line 22: "Jean-Claude Le Drian pointed"', False)
    assert refusal(REPO, LE_DRIAN, "zzz qqq") == (
        f"the quote is not in content/{LE_DRIAN}.md",
        "copy the words exactly from the article (its text, not the page's notes or numbers)", False)
    assert refusal(MULTILINGUAL, "fr-pont", "la ville ! »\n\nSelon la mairie") == (
        "the selection crosses a paragraph boundary in content/fr-pont.md (line 11)",
        "select within one paragraph: a note's quote stays in one (two passages make two notes)", False)
    assert refusal(REPO, LE_DRIAN, " \n\u200b ") == (
        "the selection holds no text", "select the words the note is about", True)


@pytest.mark.parametrize(("slug", "quote", "kwargs", "message"), [
    ("../content/x", "a", {}, "'../content/x' is not an article's slug: a slug is lowercase letters, digits and "
     "single hyphens"),
    ("le-drian\x00", "a", {}, "'le-drian\x00' is not an article's slug: a slug is lowercase letters, digits and "
     "single hyphens"),
    (f"{LE_DRIAN}\n", "a", {}, f"'{LE_DRIAN}\n' is not an article's slug: a slug is lowercase letters, digits and "
     "single hyphens"),
    ("le-drian-hrc46-xinjiang-2020", "a", {}, "no article 'le-drian-hrc46-xinjiang-2020' in the collection: "
     "did you mean 'le-drian-hrc46-xinjiang-2021'?"),
    (LE_DRIAN, "x" * 4001, {}, "the selection is too long: 4,001 characters, at most 4,000"),
    (LE_DRIAN, "x " * 1001, {}, "the quote is too long: 2,001 characters, at most 2,000"),
    (LE_DRIAN, "Le\x00Drian", {}, "the quote holds the control character U+0000"),
    (LE_DRIAN, "Le Drian\x1b[31m", {}, "the quote holds the control character U+001B"),
    (LE_DRIAN, "Le Drian", {"note": "bell\x07"}, "the note holds the control character U+0007"),
    (LE_DRIAN, "Le Drian", {"note": "\ud800"}, "the note holds the control character U+D800"),
    (LE_DRIAN, "Le Drian", {"kind": "correction", "correction": "two\nlines"},
     "the correction holds the control character U+000A"),
    (LE_DRIAN, "Le Drian", {"note": "n" * 20_001}, "the note is too long: 20,001 characters, at most 20,000"),
    (LE_DRIAN, "Le Drian", {"context_before": "c" * 1001},
     "the text before the selection is too long: 1,001 characters, at most 1,000"),
    (LE_DRIAN, "Le Drian", {"context_after": "c" * 1001},
     "the text after the selection is too long: 1,001 characters, at most 1,000"),
    (LE_DRIAN, "Le Drian", {"kind": "opinion"}, "unknown type 'opinion'"),
    (LE_DRIAN, "Le Drian", {"correction": "x"}, "a correction's wording is only for type correction "
     "(this one is context)"),
    (LE_DRIAN, "Le Drian", {"records": ["hrc46-le-drian-2021-02-25"]},
     "unknown record id 'hrc46-le-drian-2021-02-25': did you mean 'hrc46-le-drian-2021-02-24'?"),
    (LE_DRIAN, "Le Drian", {"records": ["x"] * 51}, "51 records: a note cites at most 50"),
    (LE_DRIAN, "Le Drian", {"records": ["../_records"]}, "'../_records' is not a record id"),
    (LE_DRIAN, "Le Drian", {"records": [7]}, "'7' is not a record id"),
])
def test_hostile_or_wrong_arguments_are_refused_before_any_work(slug: str, quote: str, kwargs: dict[str, object],
                                                                 message: str) -> None:
    got, hint, usage = refusal(REPO, slug, quote, **kwargs)
    assert (got, usage) == (message, True) and hint


def test_a_quote_nothing_tells_apart_or_too_common_is_refused(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    front = "---\ntitle: T\noutlet: O\npublished: 2024\nlanguage: en\n---\n\n"
    (root / "content" / "same.md").write_text(front + "word " * 1_990 + "\n", encoding="utf-8")
    (root / "content" / "many.md").write_text(front + "word " * 2_001 + "\n", encoding="utf-8")
    assert refusal(root, "same", "word") == (
        "the quote occurs 1,990 times and no prefix or suffix of up to 2,000 characters tells this occurrence from "
        "the others", "select a longer passage, one that occurs once in the article", False)
    assert refusal(root, "many", "word") == (
        "the quote occurs 2,001 times in content/many.md (at most 2,000 are told apart)", "select a longer passage",
        False)


def test_files_that_cannot_be_read_are_named_with_their_problem(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    outside = tmp_path / "secret.yaml"
    outside.write_text("annotations: []\n", encoding="utf-8")
    path = root / "annotations" / f"{LE_DRIAN}.yaml"
    path.unlink()
    path.symlink_to(outside)
    assert refusal(root, LE_DRIAN, "Le Drian") == (
        f"annotations/{LE_DRIAN}.yaml:1:1: the file is a link to a place outside the collection; it was not read",
        "fix this first (build.py check lists every problem); a symlink may point only inside the collection "
        "folder: replace it with the file itself", False)
    path.unlink()
    path.write_text("annotations: [\n", encoding="utf-8")
    message, _, usage = refusal(root, LE_DRIAN, "Le Drian")
    assert message.startswith(f"annotations/{LE_DRIAN}.yaml:2:1: ") and not usage
    path.unlink()  # no annotation file yet: every id is free
    assert annotate.snippet(root, LE_DRIAN, "A big", id="headline-translation").id == "headline-translation"
    (root / "content" / f"{MASS}.md").write_text("no front matter\n", encoding="utf-8")
    message, _, usage = refusal(root, MASS, "Xinjiang")
    assert message.startswith(f"content/{MASS}.md:1:1: ") and not usage


def test_find_records_by_id_symbol_or_title_best_first() -> None:
    def ids(words: str, limit: int = 20) -> list[str]:
        return [h.id for h in annotate.find_records(REPO, words, limit)]
    assert annotate.find_records(REPO, "cerd/c/chn/co/14-17") == [annotate.RecordHit(
        "cerd-c-chn-co-14-17", "CERD/C/CHN/CO/14-17", "Concluding observations on the combined fourteenth to "
        "seventeenth periodic reports of China (including Hong Kong, China and Macao, China)", "2018-08")]
    # the id or symbol first (equal, then starting with the words), then the titles'; each group by id
    assert ids("CERD")[:4] == ["cerd-c-chn-co-14-17", "cerd-c-sr-2655", "cerd-china-review-summary-2018-08",
                               "cerd-ewua-2022-11-24"]
    assert ids("le drian") == ["fr-an-cae-le-drian-2019-11", "fr-senat-le-drian-2021-03-09",
                               "hrc46-le-drian-2021-02-24", "fr-an-qag-2020-07-21"]
    assert ids("ETRANGERES commission") == ["fr-an-cae-le-drian-2019-11"]  # case and accents ignored: étrangères
    assert ids("le drian zzz") == [] and ids("   ") == []  # every word must match
    assert len(ids("cerd", 2)) == 2
    with pytest.raises(annotate.Refused) as refused:
        annotate.find_records(REPO, "x" * 201)
    assert refused.value.usage and refused.value.message == "the search is too long: 201 characters, at most 200"


# --- the commands -------------------------------------------------------------------------------------------------


def test_build_py_annotate_prints_the_snippet_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = run(root, "annotate", LE_DRIAN, "Uighurs", "--after", "and other", "--type", "source", "--record",
                 "cerd-c-chn-co-14-17", "--note", "The spelling.")
    assert result.code == 0
    assert result.out == ('- id: "uighurs"\n  type: "source"\n  quote: "Uighurs"\n  suffix: "and"\n'
                          '  note: "The spelling."\n  records: ["cerd-c-chn-co-14-17"]\n')
    assert result.err == f"(append it to annotations/{LE_DRIAN}.yaml under annotations:, indented as the notes " \
                         "there)\n"
    assert run(root, "annotate", LE_DRIAN, "Le Drian", "--id", "minister", "--before", "Jean-Claude", "-q").out == \
        '- id: "minister"\n  type: "context"\n  quote: "Le Drian"\n  suffix: "pointed"\n  note: ""\n'
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == files


def test_build_py_annotate_exit_codes_and_messages() -> None:
    missing = run(REPO, "annotate", LE_DRIAN, "Jean Claude Le Drian pointed")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err == (f"build.py annotate: error: the quote is not in content/{LE_DRIAN}.md\n"
                           '  hint: closest text in the article, line 22: "Jean-Claude Le Drian pointed"\n')
    unknown = run(REPO, "annotate", "nope\x1b[2J", "x")
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err == ("build.py annotate: error: 'nope\\x1b[2J' is not an article's slug: a slug is lowercase "
                           "letters, digits and single hyphens\n"
                           '  hint: give the article\'s file name without .md, e.g. build.py annotate my-article "…"\n')
    assert run(REPO, "annotate", LE_DRIAN, "Le Drian", "--type", "opinion").code == 2  # argparse's choices
    assert run(REPO, "annotate", LE_DRIAN).code == 2


def test_help_of_annotate_and_records_shows_examples_and_exit_codes() -> None:
    for command, example in (("annotate", f"build.py annotate {LE_DRIAN} \"Jean-Yves Le Drian denounced\""),
                             ("records", "build.py records le drian")):
        text = run(REPO, command, "--help").out
        assert f"examples:\n  {example}" in text
        assert "exit codes:\n  0  success" in text and "\n  2  usage errors" in text
    first = shlex.split(run(REPO, "annotate", "--help").out.split("examples:\n")[1].split("\n")[0])
    assert run(REPO, *first[1:]).code == 0  # the first example works (it quotes the real article)


def test_build_py_records_lists_matches_in_aligned_columns(tmp_path: Path) -> None:
    result = run(REPO, "records", "le", "drian")
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines() == [
        "ID                            SYMBOL  DATE        TITLE",
        "fr-an-cae-le-drian-2019-11    -       2019-11     Audition of the Minister for Europe and Foreign Affairs "
        "by the Commission des affaires étrangères (remarks on Xinjiang reported by AFP)",
        "fr-senat-le-drian-2021-03-09  -       2021-03-09  Reply by M. Jean-Yves Le Drian to a question in the Senate "
        "on the situation of Uighurs",
        "hrc46-le-drian-2021-02-24     -       2021-02-24  Intervention de Jean-Yves Le Drian dans le cadre du segment "
        "de haut niveau de la 46ème session du Conseil des droits de l'homme",
        "fr-an-qag-2020-07-21          -       2020-07-21  Questions au Gouvernement - Situation au Xinjiang (reply by "
        "Jean-Yves Le Drian)"]
    none = run(REPO, "records", "zzz\x1b]0;x")
    assert (none.code, none.out) == (1, "")
    assert none.err == ("build.py records: error: no record matches 'zzz\\x1b]0;x'\n"
                        "  hint: every word must occur in a record's id, symbol or title: try fewer or shorter words\n")
    assert run(REPO, "records").code == 2
    # a title holding control characters (written as escapes in the YAML) is shown escaped
    root = copy_collection(tmp_path / "c")
    registry = root / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        'title: "Early-warning and urgent-action decision on Xinjiang"',
        'title: "Early-warning\\e[2J\\x07 decision\\u202e on Xinjiang 新疆"'), encoding="utf-8")
    shown = run(root, "records", "early-warning").out.splitlines()
    assert shown[1].endswith("Early-warning\\x1b[2J\\x07 decision\\u202e on Xinjiang 新疆")


def test_a_registry_that_cannot_be_read_is_the_answer_not_an_unknown_record(tmp_path: Path) -> None:
    """A YAML error in the registry leaves no record: --record is refused with the registry's own problem (exit 1:
    the collection is wrong, not the argument), and so is a search; a note citing no record is still given."""
    root = copy_collection(tmp_path / "c")
    registry = root / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("records:\n", "records:\n  - id: [unclosed\n", 1),
                        encoding="utf-8")
    problem = ("annotations/_records.yaml:6:3: YAML syntax error: did not find expected ',' or ']' (while parsing a "
               "flow sequence that starts on line 3)\n  hint: fix this first (build.py check lists every problem); "
               "check the line above too: YAML often reports a problem where it first noticed it\n")
    cited = run(root, "annotate", LE_DRIAN, "Le Drian", "--record", "hrc46-le-drian-2021-02-24")
    assert (cited.code, cited.out, cited.err) == (1, "", "build.py annotate: error: " + problem)
    found = run(root, "records", "le", "drian")
    assert (found.code, found.out, found.err) == (1, "", "build.py records: error: " + problem)
    assert run(root, "annotate", LE_DRIAN, "Le Drian").code == 0


def test_a_record_left_out_for_an_error_of_its_own_is_refused_with_that_error(tmp_path: Path) -> None:
    root = copy_collection(tmp_path / "c")
    registry = root / "annotations" / "_records.yaml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("    date: 2021-02-24\n", "    date: 2021-02-31\n", 1),  # the first record's
                        encoding="utf-8")
    got = refusal(root, LE_DRIAN, "Le Drian", records=["hrc46-le-drian-2021-02-24"])
    assert got == ("annotations/_records.yaml:10:11: 'date' '2021-02-31' is not a date",
                   "fix this first (build.py check lists every problem); write YYYY-MM-DD, YYYY-MM or YYYY (e.g. "
                   "2021-02-24); say more in a note", False)
    assert annotate.snippet(root, LE_DRIAN, "Le Drian", records=["hrc46-hls-summary-2021-02-24"]).yaml.endswith(
        '  records: ["hrc46-hls-summary-2021-02-24"]\n'), "the registry's other records are cited as before"
    assert [h.id for h in annotate.find_records(root, "hrc46-hls-summary")] == ["hrc46-hls-summary-2021-02-24"]
