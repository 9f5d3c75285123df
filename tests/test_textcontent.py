"""apparatus.textcontent: the text of an article page's <article> element and where each highlight lies in it,
compared with the standard library's html.parser on every article page of the real collection and the tiny
fixture (tests/test_webannotation_browser.py compares it with Chromium's textContent)."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest

from apparatus.textcontent import article_ranges

EVERYTHING = 10 ** 9  # a tail that reads the whole <article>


class ArticleText(html.parser.HTMLParser):
    """The reference: the first <article>'s text (html.parser's data and raw script/style text) and the
    (start, end) of each note's <mark> pieces in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.depth = 0
        self.done = False
        self.marks: list[list[str]] = []
        self.ranges: dict[str, tuple[int, int]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "article":
            self.depth += 1
        elif tag == "mark" and self.depth:
            ids = (dict(attrs).get("data-ann") or "").split()
            for a in ids:
                self.ranges.setdefault(a, (self.size, self.size))
            self.marks.append(ids)

    def handle_endtag(self, tag: str) -> None:
        if self.done or not self.depth:
            return
        if tag == "article":
            self.depth -= 1
            self.done = self.depth == 0
        elif tag == "mark" and self.marks:
            for a in self.marks.pop():
                self.ranges[a] = (self.ranges[a][0], self.size)

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)
            self.size += len(data)


def reference(page: str) -> tuple[str, dict[str, tuple[int, int]]]:
    parser = ArticleText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts), parser.ranges


def pages(site: Path) -> list[Path]:
    return sorted(site.glob("articles/*/index.html"))


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import TINY, copy_site, run

    root = copy_site(TINY, tmp_path_factory.mktemp("tiny") / "site")
    assert run(root, "build").code == 0
    return root / "_site"


def test_equal_to_html_parser_on_every_article_page(collection_site: Path, tiny_site: Path) -> None:
    found = pages(collection_site) + pages(tiny_site)
    assert len(found) == 3
    for path in found:
        page = path.read_text(encoding="utf-8")
        text, ranges = reference(page)
        assert len(ranges) > 5
        assert article_ranges(page, set(ranges), EVERYTHING) == (text, ranges), path
        # read only as far as the highlights and a suffix need: the same ranges, and the text up to there
        short = article_ranges(page, set(ranges), 32, page.index('<div class="article-body"'))
        assert short is not None and short[1] == ranges
        last = max(end for _, end in ranges.values())
        assert len(short[0]) >= last + 32 and text.startswith(short[0])


@pytest.mark.parametrize(("page", "text"), [
    ("<p>x</p><article>a <b>b</b>&amp;c&lt;<!-- no -->d</article>e", "a b&c<d"),
    ("<article>a<article>b</article>c</article>d", "abc"),
    ("<article><script>if (a < b) x = '</p>';</script><style>p>q{}</style>e</article>", "if (a < b) x = '</p>';p>q{}e"),
    ("<article><pre>\nx\n</pre><PRE>y</PRE><textarea>\n&lt;t</textarea></article>", "x\ny<t"),
    ("<article>a\r\nb\rc</article>", "a\nb\nc"),
    ('<article><a title="a>b" href=\'x>\'>t</a><!DOCTYPE x>< p</article>', "t< p"),
])
def test_what_the_html_standard_says_of_such_pages(page: str, text: str) -> None:
    assert article_ranges(page, set(), EVERYTHING) == (text, {})


@pytest.mark.parametrize("page", ["<p>no article</p>", "<article><template>t</template></article>",
                                  "<article><noscript>n</noscript></article>", "<article>a\0b</article>"])
def test_what_it_does_not_follow_gives_no_positions(page: str) -> None:
    assert article_ranges(page, set(), EVERYTHING) is None


def test_a_highlight_in_pieces_runs_from_its_first_to_its_last() -> None:
    page = ('<article>Intro <mark data-ann="a">one </mark><mark data-ann="a b">two</mark><sup>1</sup>'
            '<mark data-ann="b"> three</mark> end</article>')
    assert article_ranges(page, {"a", "b"}, EVERYTHING) == ("Intro one two1 three end", {"a": (6, 13), "b": (10, 20)})


def test_the_newline_after_pre_is_dropped_only_when_it_comes_first() -> None:
    page = "<article><pre><code>\nx</code></pre><pre>\ny</pre><pre>&#x41;\n</pre></article>"
    assert article_ranges(page, set(), EVERYTHING) == ("\nxyA\n", {})
