"""apparatus.fastmd.parse must give exactly the tokens (and so the HTML) of ARTICLE_MD.parse, for every input; and
apparatus.fastmd.render_note exactly the HTML and problems of markdown.render_note."""

from __future__ import annotations

import importlib
import random
import re
import subprocess
import sys
from pathlib import Path

import markdown_it
import mdit_py_plugins
import pytest
import yaml
from markdown_it import MarkdownIt

from apparatus import fastmd, markdown
from apparatus.markdown import ARTICLE_MD, NOTE_MD, render_article, render_note

REPO = Path(__file__).resolve().parent.parent


def body(text: str) -> str:
    """The article text after the front matter's closing '---' line (as sources.split_front_matter)."""
    end = text.find("\n---\n", 3)
    assert text.startswith("---\n") and end > 0
    return text[end + 5:]


def render(tokens: list) -> str:
    """markdown-it's HTML for tokens; markdown.render_article, which the build uses, must write the same."""
    html = str(ARTICLE_MD.renderer.render(tokens, ARTICLE_MD.options, {}))
    assert render_article(tokens) == html
    return html


def assert_same(text: str) -> None:
    expected, got = ARTICLE_MD.parse(text), fastmd.parse(text)
    assert [t.as_dict() for t in got] == [t.as_dict() for t in expected], repr(text)
    assert got == expected  # dataclass equality: also tells attrs {} from None, which as_dict does not
    assert render(got) == render(expected), repr(text)


def compare(texts: list[str]) -> tuple[list[str], list[fastmd.FastPathStats]]:
    """The texts on which the two parsers differ (tokens or HTML), and how fastmd handled each text.

    A text whose block structure is outside the subset is handed whole to ARTICLE_MD.parse, whose
    result fastmd returns as is: those are not parsed a second time to be compared. Tokens are
    compared with Token's dataclass equality first, which compares every field as_dict holds (children
    included) and is much cheaper; as_dict is then compared too unless there are many texts (the fuzz).
    """
    bad, stats = [], []
    for text in texts:
        got, stat = fastmd.parse_with_stats(text)
        stats.append(stat)
        if stat.document_fast:
            expected = ARTICLE_MD.parse(text)
            if got != expected or render(got) != render(expected) or (
                    len(texts) <= 1000 and [t.as_dict() for t in got] != [t.as_dict() for t in expected]):
                bad.append(text)
    return bad, stats


def mismatches(texts: list[str]) -> list[str]:
    return compare(texts)[0]


def test_configuration_is_the_one_ported() -> None:
    assert fastmd._ENABLED
    assert markdown_it.__version__ == fastmd.PROVEN_WITH


def test_another_markdown_it_version_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade of markdown-it-py turns the fast path off (every call goes to the library) until the
    comparison tests have been run against the new version and PROVEN_WITH says so."""
    monkeypatch.setattr(markdown_it, "__version__", "99.0.0")
    try:
        importlib.reload(fastmd)
        assert not fastmd._ENABLED
        text = "A *plain* paragraph with a [link](https://example.org).\n\n# A heading\n"
        got, stats = fastmd.parse_with_stats(text)
        assert not stats.document_fast and got == ARTICLE_MD.parse(text)
    finally:
        monkeypatch.undo()
        importlib.reload(fastmd)
    assert fastmd._ENABLED


# --- (1) the real articles -----------------------------------------------------------------------------------

ARTICLES = sorted((REPO / "content").glob("*.md"))


@pytest.mark.parametrize("path", ARTICLES, ids=[p.stem for p in ARTICLES])
def test_real_articles(path: Path) -> None:
    text = body(path.read_text(encoding="utf-8"))
    assert_same(text)
    assert fastmd.fast_path_used(text)


# --- (2) the anchoring fixtures --------------------------------------------------------------------------------

ANCHORING = [case["markdown"] for path in sorted((REPO / "tests/fixtures").glob("anchoring*.yaml"))
             for case in yaml.safe_load(path.read_text(encoding="utf-8"))]


def test_anchoring_fixtures() -> None:
    assert ANCHORING
    assert mismatches(ANCHORING) == []
    assert sum(map(fastmd.fast_path_used, ANCHORING)) >= len(ANCHORING) - 3  # `code` and &amp; fall back


# --- (3) the synthetic corpus of bench/gen.py ------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    dest = tmp_path_factory.mktemp("fastmd") / "coll"
    subprocess.run([sys.executable, str(REPO / "bench/gen.py"), str(dest), "--articles", "200"], check=True,
                   capture_output=True)
    return [body(p.read_text(encoding="utf-8")) for p in sorted((dest / "content").glob("*.md"))]


def test_generated_corpus(generated: list[str]) -> None:
    assert len(generated) == 200
    assert mismatches(generated) == []


def test_generated_corpus_takes_the_fast_path(generated: list[str]) -> None:
    stats = [fastmd.parse_with_stats(text)[1] for text in generated]
    assert all(s.document_fast for s in stats)
    fast = sum(s.inline_fast for s in stats)
    assert fast >= 0.95 * (fast + sum(s.inline_fallback for s in stats))
    assert sum(map(fastmd.fast_path_used, generated)) >= 0.95 * len(generated)


# --- (4) randomized documents ----------------------------------------------------------------------------------

WORDS = ["the", "a", "Council", "rights", "minister", "x", "ab", "1995", "e.g.", "don’t", "“quoted”", "‘single’",
         "مرحبا", "الإيغور", "بكين", "新疆", "中国人", "。", "word\u00a0word", "\u00a0", "Ürümqi", "naïve", "—",
         "(paren)", '"', "'", "foo_bar", "snake_case", "a*b", "2*3", "$5", "50%", "#tag", "C#", "+1", "-", "=",
         ":", "@", "^", "{x}", "~", "|", "!", "wow!", "?", ".", ",", ";", "…", "🙂", "\u3000", "\u2003", "é", "ß", "http://x.org/a_b"]
MARKUP = ["*", "**", "_", "__", "***", "___", "*", "_", "[", "]", "](", ")", "](http://x.org/a_b)",
          "](https://example.org/ref/7)", "](/a/b?c=d)", "](ü/ñ%20x)", "](#frag)", "](mailto:a@b.c)", "](x)",
          "[x](y)", "*[", "]*", "**[", "_[", "](u)*", "[]", "[](z)", "\\\n"]
BREAKS = [" ", " ", " ", "  \n", "\n", "\n", "\n\n", "\n\n", " \n", "   \n", "\n \n"]
HEADINGS = ["# ", "## ", "###### ", "#", "####### ", "#x ", "### "]
TRIGGERS = ["\\", "\\*", "`", "``", "<", "<b>", "<http://a.b>", "&amp;", "&#42;", "&copy;", "&", "![", "![a](b)",
            "> ", "- ", "* ", "+ ", "1. ", "2) ", "    ", "\t", "---", "===", "***", "[x]: /u", "~~~", "```", "\r",
            "\0", "](a b)", "](<a>)", '](a "t")', "](a(b))", "[[", "]]", "]()", "\n ", "\n#", "\n1.", "\n-",
            "\n=", "\n_", "\n*", "\n+", "\n>", "\n[", "  #", "# #", "\n\n    code"]


def random_doc(rng: random.Random) -> str:
    """Prose-like pieces: words, emphasis and link markup, breaks, headings, sometimes a fallback trigger."""
    out = []
    triggers = rng.random() < 0.25
    for _ in range(rng.randint(1, 24)):
        r = rng.random()
        if r < 0.5:
            out.append(rng.choice(WORDS))
        elif r < 0.8:
            out.append(rng.choice(MARKUP))
        elif r < 0.93:
            out.append(rng.choice(BREAKS))
            if out[-1].endswith("\n") and rng.random() < 0.2:
                out.append(rng.choice(HEADINGS))
        else:
            out.append(rng.choice(TRIGGERS if triggers else WORDS))
        if rng.random() < 0.4:
            out.append(" ")
    text = "".join(out)
    return rng.choice(HEADINGS) + text if rng.random() < 0.15 else text


DENSE = ["*", "**", "_", "__", "***", "a", "b", " ", " ", "\n", "[", "]", "](u)", "(", ")", ".", "“", "”", "’", "-",
         "\u00a0", "x_y", "  \n", "[l](v)", "é", "新", ",", "\\\n"]


def dense_doc(rng: random.Random) -> str:
    """Short strings made almost only of delimiters, to exercise the delimiter algorithm's corners."""
    return "".join(rng.choice(DENSE) for _ in range(rng.randint(1, 16)))


SPAN_EDGES = ["", "", "", "“", "”", "’", "(", ")", ",", ".", "—", "«", "»", "\u00a0", "新", "ب", "a", "_", "*", "é"]
SPANS = ["*", "*", "**", "**", "_", "__", "***"]
URLS = ["https://example.org/ref/1", "http://x.org/a_b", "/p?q=1", "ü", "#x", "a*b", "a_b_"]


def prose_doc(rng: random.Random) -> str:
    """Paragraphs like articles: words with emphasis, strong and links, their edges touching punctuation,
    quotes or other scripts; sometimes nested, adjacent, broken over lines, or unbalanced."""
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        words = [rng.choice(WORDS[:24]) for _ in range(rng.randint(1, 14))]
        for _ in range(rng.randint(0, 3)):
            a = rng.randrange(len(words))
            b = min(len(words) - 1, a + rng.randint(0, 3))
            pre, post = rng.choice(SPAN_EDGES), rng.choice(SPAN_EDGES)
            if rng.random() < 0.3:
                words[a] = f"{pre}[{words[a]}"
                words[b] = f"{words[b]}]({rng.choice(URLS)}){post}"
            else:
                mark = rng.choice(SPANS)
                close = mark if rng.random() < 0.9 else rng.choice(SPANS)
                words[a] = f"{pre}{mark}{words[a]}"
                words[b] = f"{words[b]}{close}{post}"
        seps = [rng.choice([" "] * 12 + ["\n", "  \n", "\\\n", ""]) for _ in words]
        paragraphs.append("".join(w + s for w, s in zip(words, seps, strict=True)).strip("\n"))
        if rng.random() < 0.2:
            paragraphs[-1] = rng.choice(HEADINGS[:3]) + paragraphs[-1].replace("\n", " ")
    return "\n\n".join(paragraphs)


def random_docs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    makers = [random_doc, dense_doc, prose_doc]
    return [makers[i % 3](rng) for i in range(n)]


@pytest.mark.parametrize("seed", range(4))
def test_random_documents(seed: int) -> None:
    bad, stats = compare(random_docs(seed, 5000))
    assert bad == []
    assert sum(s.document_fast for s in stats) > 0.6 * len(stats)  # the fuzz exercises the fast path
    assert sum(s.inline_fast for s in stats) > 1500  # the rest go to markdown-it's inline parser


def test_random_documents_exercise_the_fast_path_and_the_fallback() -> None:
    """The fuzz reaches both sides of _simple: emphasis and links it takes, and paragraphs it leaves
    to markdown-it's inline parser (whose result is then compared like any other)."""
    simple = declined = 0
    for text in random_docs(7, 3000):
        for tok in fastmd.parse(text):
            if tok.type == "inline" and any(ch in tok.content for ch in "*_["):
                if fastmd._inline_children(tok.content) is not None:
                    simple += 1
                else:
                    declined += 1
    assert simple > 200 and declined > 200


# --- (5) hand-written cases ------------------------------------------------------------------------------------

EDGE_CASES = [
    "", "\n", "\n\n\n", "   ", "a", " a", "a ", "a\n", "\n\na\n\n", "a\n  ", "  \na", "\u00a0a\u00a0", "\u3000", "\x0c",
    "\ufeffa", "a\u2028b",
    # emphasis (CommonMark spec section 6.2 and friends)
    "*a **b** c*", "**a*", "*a**", "a*\"foo\"*", "*foo*bar", "_foo_bar_", "foo__bar__", "__foo__bar", "_foo_",
    "*foo bar *", "* a *", "a * foo bar*", "*(*foo*)*", "*(*foo)", "**foo**bar", "foo*bar*", "5*6*78",
    "пристаням_стремятся_", "__foo, __bar__, baz__", "foo-__(bar)__", "*foo**bar**baz*", "*foo**bar*",
    "***foo** bar*", "*foo**bar***",
    "foo***bar***baz", "foo******bar*********baz", "**foo*bar*baz**", "***foo***", "_____foo_____", "*foo _bar* baz_",
    "*foo __bar *baz bim__ bam*", "**foo **bar baz**", "*foo *bar baz*", "**a*b*c**", "*a*b*c*", "****", "**", "*", "_",
    "__", "** **", "**  **", "*\u00a0a*", "*a\u00a0*", "“*a*”", "*“a”*", "a*“b”*c", "*a*’s", "l’*a*", "新*疆*人",
    "مرحبا *بكين* مرحبا", "a_b_c", "_a_b", "__a__b", "a__b__", "*a\nb*", "*a  \nb*", "**a\n**", "*\na*",
    "*a*  \n*b*", "a  \nb", "a \nb", "a   \n   b", "a\n b", "**a**", "**a** b **c**", "_a_ *b* __c__ **d**",
    "*a _b* c_", "*a **b***", "***a* b**", "***a** b*", "**a *b***", "*a*_b_", "_a_*b*", "**a**__b__",
    "*a* *b* *c*", "*a\\\nb*", "a\\\nb", "**\\\n**",
    # links
    "[a](b) [c](d)", "[a *b](c)*", "*[a](b)*", "[*a*](b)", "[**a**](b)", "*a [b* c](d)", "[a*](b)*", "[a](b)c",
    "[](x)", "[a]", "[a] (b)", "[a](b", "[a][b]", "[a](http://x.org/a_b)", "[x](http://example.com/ü?q=1)",
    "[x](HTTP://EXAMPLE.COM/%7e)", "[x](//host/path)", "[x](mailto:a@b.c)", "[x](javascript:alert(1))",
    "[a\nb](c)", "[a  \nb](c)", "[a](b)[c](d)", "[a](b)*c*", "_[a](b)_", "__[a](b)__", "[a _b_](c) _d_",
    "[a](b_c) _d_", "[*a](b) c*", "a [b] [c](d)", "[a] b](c)", "[", "]", "[]", "[a", "a]", "](", "[a](b)]",
    "[a](b))", "[a](b)(c)", "[a](b\"c)", "[a](b'c)", "[a](*b*)", "[a](b*c*d)", "[新](疆)", "[a](b]c)",
    # blocks
    "# H", "#", "# ", "## H ##", "# H #", "####### H", "#H", "# *a*", "# [a](b)", "a\n# H\nb", "# H\na\nb",
    "a\n\n# H\n\nb", "a\n\n\n\nb", "a\nb\nc", "a\n=", "a\n===", "a\n---", "a\n- b", "a\n1. b", "a\n> b",
    "a\n    b", "a\n```\nb", "- a", "1. a", "> a", "    a", "***", "---", "___", "<div>", "[a]: b\n\n[a]",
    "a\tb", "a\r\nb", "a\x00b", "`a`", "a & b", "a &amp; b", "a&b", "!a", "a!", "![a](b)", "\\*a\\*", "<http://a>",
]


@pytest.mark.parametrize("text", EDGE_CASES, ids=[repr(t)[:40] for t in EDGE_CASES])
def test_edge_cases(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("text", ["*a* b", "a **b** c", "_a_ and __b__", "[*a*](b) c", "*a [b](c) d*",
                                  "[a](b) [c](d)", "a\\\nb", "# H\nb", "[a](b_c)"])
def test_typical_constructs_take_the_fast_path(text: str) -> None:
    assert fastmd.fast_path_used(text)


@pytest.mark.parametrize("text", ["`a`", "a &amp; b", "![a](b)", "\\*", "a\n- b", "> a", "[a]: b", "a\tb", "a\r\nb",
                                  "[a](b c)", "[[a](b)](c)", "[a](<b>)", "a\n    b", "a\n===", "<b>",
                                  "[大外宣被打脸]{lang=zh}", "a [b]{lang=fr} c", "[a](b)]{x}"])
def test_outside_the_subset_falls_back(text: str) -> None:
    assert not fastmd.fast_path_used(text)
    assert_same(text)


# --- (6) the CommonMark spec's examples ---------------------------------------------------------------------

SPEC = REPO / "node_modules" / "commonmark-spec" / "spec.txt"  # npm commonmark-spec 0.31.2 (CC BY-SA 4.0)
_EXAMPLE = re.compile(r"^`{32} example\n([\s\S]*?)^\.\n[\s\S]*?^`{32}$", re.MULTILINE)


def spec_examples() -> list[str]:
    """The Markdown of every example in the spec, as the spec's own test runner reads it (→ is a tab)."""
    if not SPEC.is_file():
        pytest.fail(f"{SPEC.relative_to(REPO)} is missing: run `make setup` (npm ci installs commonmark-spec)")
    text = SPEC.read_text(encoding="utf-8").split("<!-- END TESTS -->")[0]
    return [m.group(1).replace("→", "\t") for m in _EXAMPLE.finditer(text)]


def test_commonmark_spec_examples() -> None:
    """Every example of CommonMark 0.31.2, the spec markdown-it-py 4.3.0 follows: fastmd gives exactly the
    library's tokens, whether it takes the example itself or hands it on."""
    examples = spec_examples()
    assert len(examples) == 652
    bad, stats = compare(examples)
    assert bad == []
    assert sum(s.document_fast for s in stats) > 200  # many examples are inside the block subset,
    assert sum(s.inline_fast for s in stats) > 50  # some paragraphs are compared on the fast inline path


# --- (7) notes: fastmd.render_note gives exactly markdown.render_note's HTML and problems ----------------------

def note_mismatches(notes: list[str]) -> tuple[list[str], int]:
    """The notes on which fastmd.render_note and markdown.render_note differ (HTML or problems, or the tokens of a
    note the fast path takes against NOTE_MD.parse's), and how many notes took the fast path."""
    bad, fast = [], 0
    for text in notes:
        tokens = fastmd.note_tokens(text)
        if tokens is not None:
            fast += 1
            expected = NOTE_MD.parse(text)
            if tokens != expected or (len(notes) <= 1000 and [t.as_dict() for t in tokens]
                                      != [t.as_dict() for t in expected]):
                bad.append(text)
                continue
        if fastmd.render_note(text) != render_note(text):
            bad.append(text)
    return bad, fast


def yaml_notes(paths: list[Path]) -> list[str]:
    return [ann["note"] for path in paths if not path.name.startswith("_")
            for ann in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("annotations") or []
            if isinstance(ann.get("note"), str)]


def test_notes_configuration_is_the_one_proven() -> None:
    assert fastmd._NOTES_ENABLED
    assert mdit_py_plugins.__version__ == fastmd.NOTES_PROVEN_WITH


def test_another_plugins_version_turns_the_notes_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The span rule comes from mdit-py-plugins: another version of it sends every note to the library."""
    monkeypatch.setattr(mdit_py_plugins, "__version__", "99.0.0")
    try:
        importlib.reload(fastmd)
        assert fastmd._ENABLED and not fastmd._NOTES_ENABLED
        assert fastmd.note_tokens("A *plain* note with a [link](https://example.org).") is None
    finally:
        monkeypatch.undo()
        importlib.reload(fastmd)
    assert fastmd._NOTES_ENABLED


def test_another_note_configuration_turns_the_notes_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule enabled in NOTE_MD alone (here strikethrough, as a plugin might add one) is not what was proven."""
    monkeypatch.setattr(markdown, "NOTE_MD", MarkdownIt("commonmark").enable("strikethrough"))
    try:
        importlib.reload(fastmd)
        assert fastmd._ENABLED and not fastmd._NOTES_ENABLED
    finally:
        monkeypatch.undo()
        importlib.reload(fastmd)
    assert fastmd._NOTES_ENABLED


REAL_NOTES = yaml_notes(sorted((REPO / "annotations").glob("*.yaml"))
                        + sorted((REPO / "tests/sites").glob("*/annotations/*.yaml")))


def test_real_notes() -> None:
    """The collection's own notes and the test sites': a quarter mark a language span, which the library renders."""
    assert len(REAL_NOTES) > 40
    bad, fast = note_mismatches(REAL_NOTES)
    assert bad == []
    assert fast >= len(REAL_NOTES) // 2
    spans = [n for n in REAL_NOTES if "]{" in n]
    assert spans and all(fastmd.note_tokens(n) is None for n in spans)


def test_honest_corpus_notes() -> None:
    """bench/gen.py's distinct notes (bench/prose.py distinct_note), which the benchmark renders by the thousand:
    all on the fast path."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import prose
    finally:
        sys.path.remove(str(REPO / "bench"))
    rng = random.Random(19)
    notes = [prose.distinct_note(rng, f"{i}-{k}") for i in range(600) for k in range(5)]
    bad, fast = note_mismatches(notes)
    assert bad == []
    assert fast == len(notes)


def test_notes_from_the_commonmark_spec() -> None:
    """Every CommonMark example as a note: the library's HTML and problems (images, raw HTML, links), whether
    the fast path takes the example or not."""
    examples = spec_examples()
    bad, fast = note_mismatches(examples)
    assert bad == []
    assert fast > 30  # whole examples on the fast path (most hold a construct it leaves to the library)


NOTE_PIECES = ["[a]{lang=fr}", "[新疆]{lang=zh}", "]{", "[x]{.c}", "[y] {lang=fr}", "[z]{", "{lang=fr}", "]",
               "[a](javascript:x)", "[m](mailto:a@b.c)", "[f](#f)", "[r](/relative)", "[h](HTTP://X.ORG)", "![i](x)",
               "<b>", "a < b", "<!-- c -->", "<http://a.b>", "`<i>`", "&lt;", "\\<", "[a](https://x.org/a_b)"]


def note_doc(rng: random.Random) -> str:
    """Prose notes, with language spans, near-spans, links of every scheme, images and HTML now and then."""
    text = prose_doc(rng)
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        i = rng.randint(0, len(text))
        text = text[:i] + rng.choice(NOTE_PIECES) + text[i:]
    return text


@pytest.mark.parametrize("seed", range(3))
def test_random_notes(seed: int) -> None:
    rng = random.Random(seed)
    notes = random_docs(seed + 50, 3000) + [note_doc(rng) for _ in range(3000)]
    bad, fast = note_mismatches(notes)
    assert bad == []
    assert fast > 500  # the fuzz reaches the fast path; the rest are compared through the library


NOTE_EDGE_CASES = [*EDGE_CASES, "[a]{lang=fr}", "a [b]{lang=zz} c", "[a] {lang=fr}", "[a]\n{lang=fr}", "[a]{", "]{",
                   "[x](javascript:alert(1))", "[x](data:text/html,x)", "[x](file:///etc/passwd)", "[x](ftp://a)",
                   "[x](//host/p)", "[x](mailto:a@b.c)", "[x](#a) [y](https://x.org)", "[*x*](vbscript:y)",
                   "a <b> c", "a < b", "![i](https://x.org/i.png)", "[x](<a b>)", "*[x](javascript:y)*"]


@pytest.mark.parametrize("text", NOTE_EDGE_CASES, ids=[repr(t)[:40] for t in NOTE_EDGE_CASES])
def test_note_edge_cases(text: str) -> None:
    assert note_mismatches([text])[0] == []


@pytest.mark.parametrize(("text", "problems"), [
    ("See **this** [record](https://example.org/a).", []),
    ("[x](javascript:alert%601%60)", [
        ("a link in the note goes to 'javascript:alert%601%60': only http(s), mailto and #fragment links are allowed",
         "javascript:alert%601%60", "")]),
])
def test_typical_notes_take_the_fast_path(text: str, problems: list) -> None:
    assert fastmd.note_tokens(text) is not None
    assert fastmd.render_note(text) == (render_note(text)[0], problems)


def test_the_build_renders_notes_through_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """pipeline renders a plain note without markdown-it's parser, and one with a language span through it."""
    from apparatus import pipeline

    library: list[str] = []

    def counted(text: str) -> tuple[str, list]:
        library.append(text)
        return render_note(text)

    monkeypatch.setattr(markdown, "render_note", counted)
    monkeypatch.setattr(pipeline, "_NOTES", {})
    assert pipeline._note_html("A *plain* note, [linked](https://example.org/r).")[0] == (
        '<p>A <em>plain</em> note, <a href="https://example.org/r">linked</a>.</p>\n')
    assert library == []
    assert pipeline._note_html("Le slogan [大外宣被打脸]{lang=zh}.")[0] == (
        '<p>Le slogan <span lang="zh" dir="ltr">大外宣被打脸</span>.</p>\n')
    assert library == ["Le slogan [大外宣被打脸]{lang=zh}."]


# --- (8) link destinations: fastmd's normalizeLink shortcut ---------------------------------------------------

URL_PARTS = ["a", "z", "0", "9", "-", ".", "..", "_", "~", "/", "//", "%", "%2F", "%zz", "?", "#", "@", ":", ":80",
             "A", "Ü", "ü", "xn--", "+", "=", "&", "'", "*", "!", "$", ",", ";", "[", "]", "é.org", "新", "\u00a0"]


def random_url(rng: random.Random) -> str:
    """An http(s) address near the edge of what the shortcut takes: hosts of labels up to 64 characters and up to
    256 in all, other characters in the host or the path, ports, users, case."""
    labels = [rng.choice(["a" * rng.choice([1, 62, 63, 64]), "b-c", "x1", "-", "xn--nxa", "org", "Example"])
              for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.1:
        labels = ["a" * 63, "b" * 63, "c" * 63, "d" * rng.randint(60, 65)]  # 255 characters in all, give or take
    host = ".".join(labels)
    path = "".join(rng.choice(URL_PARTS[:10] if rng.random() < 0.95 else URL_PARTS) for _ in range(rng.randint(0, 12)))
    url = rng.choice(["https://", "http://", "HTTP://", "https:/", "ftp://", "//", "https://u@"]) + host
    if path and rng.random() < 0.8:
        url += "/" + path
    elif path:
        url += path
    return url


def test_plain_urls_are_what_markdown_it_normalizes_them_to() -> None:
    """The shortcut in fastmd._normalize_link returns an address unchanged only where ARTICLE_MD.normalizeLink
    (mdurl's parse, punycode, format and encode) does: compared on random addresses and by hand."""
    rng = random.Random(8)
    by_hand = ["https://example.org", "https://example.org/", "http://x.org/a_b", "https://example.org/ref/7",
               "https://a-b.c-d.org/x~y/z.html", "https://" + "a" * 63 + ".org", "https://" + "a" * 64 + ".org",
               "https://" + ".".join(["a" * 63] * 4), "https://" + ".".join(["a" * 63] * 4) + "/p",
               "https://" + ".".join(["a" * 63] * 3) + "." + "a" * 64, "https://" + ".".join(["a" * 63] * 4) + ".b",
               "https://" + ".".join(["a" * 63] * 5) + "/p", "https://Example.org", "https://ex.org:443/",
               "https://ex.org/%7e", "https://ex.org/a?b", "https://ex.org/#a", "https://xn--nxa.org/", "https://-.-/"]
    urls = by_hand + [random_url(rng) for _ in range(20_000)]
    shortcut = [u for u in urls if fastmd._PLAIN_URL.fullmatch(u)]
    assert len(shortcut) > 2000
    assert [u for u in urls if fastmd._normalize_link.__wrapped__(u) != ARTICLE_MD.normalizeLink(u)] == []
