"""Data-driven anchoring fixtures (tests/fixtures/anchoring.yaml): Markdown + quotes → rendered HTML.

Each case's ``html`` is the golden rendering (regenerate with --update-golden and read it); the
test also checks that the text inside each annotation's marks is exactly its quote, normalized.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
import yaml
from conftest import TESTS

from apparatus import markdown
from apparatus.anchoring import TextIndex, anchor, normalize, plain_blocks
from apparatus.annotations import Annotation
from apparatus.sources import SourceFile

FIXTURES = TESTS / "fixtures" / "anchoring.yaml"
CASES = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))


def render(case: dict) -> tuple[str, list[str]]:
    body = SourceFile("content/x.md", case["markdown"] + "\n")
    src = SourceFile("annotations/x.yaml", "")
    anns = [Annotation(id=a["id"], type=a.get("type", "context"), quote=a["quote"], note="n",
                       prefix=a.get("prefix", ""), suffix=a.get("suffix", "")) for a in case["annotations"]]
    tokens = markdown.ARTICLE_MD.parse(body.text)
    blocks = plain_blocks(tokens)
    diags: list = []
    anchors = anchor(anns, blocks, src, body, diags)
    anchors.sort(key=lambda a: (a.block, a.start, -a.end))
    numbers = {a.annotation.id: n for n, a in enumerate(anchors, 1)}
    markdown.insert_marks(tokens, blocks, anchors, numbers, {a.id: a.type for a in anns})
    return markdown.render_article(tokens), [d.message for d in diags]


def marked_text(html: str, ann_id: str) -> str:
    pieces = re.findall(r'<mark [^>]*data-ann="([^"]*)"[^>]*>(.*?)</mark>', html, flags=re.S)
    return "".join(htmllib.unescape(re.sub(r"<[^>]+>", "", text)) for ids, text in pieces if ann_id in ids.split())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_anchoring_fixture(case: dict, update_golden: bool) -> None:
    html, errors = render(case)
    if "error" in case:
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
        FIXTURES.write_text(yaml.safe_dump(CASES, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


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
    """White space but the space (regex [^\\S ]) → space, typographic quotes → straight, for every character."""
    from apparatus import anchoring
    every = "".join(map(chr, range(0x110000))).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    expected = re.sub("[\u2018\u2019\u201a\u201b\u2032]", "'",
                      re.sub("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]", '"', re.sub(r"[^\S ]", " ", every)))
    assert anchoring._one_to_one(every) == expected
