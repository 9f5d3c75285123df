from pathlib import Path

from apparatus.sources import SourceFile, compose_yaml, read_source, split_front_matter


def test_bom_is_dropped_and_crlf_read_as_lf(tmp_path: Path) -> None:
    p = tmp_path / "a.md"
    p.write_bytes(b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\nbody\r\n")
    src, diags = read_source(tmp_path, "a.md")
    assert diags == [] and src is not None
    assert src.text == "---\ntitle: x\n---\nbody\n"


def test_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_bytes(b"a: 1\nb: caf\xe9\n")
    src, diags = read_source(tmp_path, "a.yaml")
    assert src is None
    assert (diags[0].line, diags[0].col) == (2, 7)
    assert "not UTF-8 (byte 0xe9" in diags[0].message


def test_front_matter_split_keeps_line_numbers() -> None:
    fm, body, diags = split_front_matter(SourceFile("a.md", "---\ntitle: x\nlanguage: en\n---\n\nText\n"))
    assert diags == [] and fm is not None and body is not None
    assert fm.text == "title: x\nlanguage: en\n" and fm.first_line == 2
    assert body.text == "\nText\n" and body.first_line == 5


def test_unclosed_front_matter() -> None:
    _, _, diags = split_front_matter(SourceFile("a.md", "---\ntitle: x\n"))
    assert diags[0].message == "the front matter is not closed"


def test_yaml_positions_are_kept_with_an_offset() -> None:
    node, diags = compose_yaml(SourceFile("a.md", "title: x\nlanguage: en\n", first_line=2))
    assert diags == [] and node is not None
    key, value = node.value[1]
    assert (key.start_mark.line + 2, value.start_mark.column + 1) == (3, 11)


def test_tab_indentation_gets_a_hint() -> None:
    _, diags = compose_yaml(SourceFile("a.yaml", "a:\n\tb: 1\n"))
    assert diags[0].line == 2
    assert "tabs" in diags[0].hint


def test_recursive_alias_is_refused() -> None:
    _, diags = compose_yaml(SourceFile("a.yaml", "a: &a [*a]\n"))
    assert "aliases" in diags[0].message
