from pathlib import Path

from apparatus.articles import load_article


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_front_matter_and_body(tmp_path: Path) -> None:
    write(tmp_path, "a-b.md", "---\ntitle: T\noutlet: O\npublished: 2019-11-27\npublished_approximate: true\n"
                                  "language: en\n---\n\nBody text.\n")
    article, diags = load_article(tmp_path, "a-b.md")
    assert diags == [] and article is not None
    assert (article.slug, article.title, article.published, article.published_approximate) == \
        ("a-b", "T", "2019-11-27", True)
    assert article.body.text == "\nBody text.\n" and article.body.first_line == 8


def test_bad_slug_and_missing_fields_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "Bad Name.md", "---\ntitle: T\n---\nx\n")
    article, diags = load_article(tmp_path, "Bad Name.md")
    assert article is None
    assert [d.message for d in diags] == [
        "the file name 'Bad Name.md' is not a valid slug",
        "missing required field 'outlet' in the front matter",
        "missing required field 'published' in the front matter",
        "missing required field 'language' in the front matter",
    ]
    assert diags[1].line == 2  # at the front matter mapping, in file lines
