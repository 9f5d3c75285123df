import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from apparatus.sources import (
    Problem,
    SourceFile,
    YamlDoc,
    compose_yaml,
    outside,
    read_source,
    split_front_matter,
    walk,
)


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


OUTSIDE = "the file is a link to a place outside the collection; it was not read"


def test_a_link_outside_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    """Issue 14, finding 2: the real path is checked before the file is opened, so a link to a FIFO outside does
    not wait for a writer and /proc/self/environ (CI secrets) is never read, let alone shown."""
    root = tmp_path / "c"
    root.mkdir()
    os.mkfifo(tmp_path / "fifo")
    (root / "fifo.yaml").symlink_to(tmp_path / "fifo")
    (root / "env.yaml").symlink_to("/proc/self/environ")
    (root / "up.yaml").symlink_to("../c/../secret.yaml")
    (tmp_path / "secret.yaml").write_text("token: SECRET\n", encoding="utf-8")
    for rel in ("fifo.yaml", "env.yaml", "up.yaml"):
        src, diags = read_source(root, rel)
        assert src is None
        assert [(d.path, d.line, d.col, d.message, d.source) for d in diags] == [(rel, 1, 1, OUTSIDE, "")]


def test_a_fifo_inside_the_collection_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.yaml")
    src, diags = read_source(tmp_path, "a.yaml")
    assert src is None and diags[0].message == "cannot read the file: it is not a regular file"


def test_links_inside_the_collection_are_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("text\n", encoding="utf-8")
    (tmp_path / "b.md").symlink_to("sub/a.md")
    (tmp_path / "linked").symlink_to("sub")
    assert read_source(tmp_path, "b.md") == (SourceFile("b.md", "text\n"), [])
    assert read_source(tmp_path, "linked/a.md") == (SourceFile("linked/a.md", "text\n"), [])


def test_walk_lists_files_and_refuses_what_links_outside(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "t" / "sub").mkdir(parents=True)
    (root / "t" / "a.html").write_text("a", encoding="utf-8")
    (root / "t" / "sub" / "b.css").write_text("b", encoding="utf-8")
    (root / "t" / "sub" / "loop").symlink_to("..")  # inside: walked once
    (root / "t" / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (root / "t" / "etc").symlink_to("/etc")
    (root / "t" / "self").symlink_to("self")  # a loop: reported, not a traceback
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    files, refused = walk(root, "t")
    assert files == ["t/a.html", "t/sub/b.css"]
    assert [(d.path, d.message) for d in refused] == [
        ("t/etc", "the folder is a link to a place outside the collection; nothing in it was read"),
        ("t/secret.txt", OUTSIDE),
        ("t/self", "cannot read it: Too many levels of symbolic links")]
    (root / "u").symlink_to(tmp_path)
    assert walk(root, "u") == ([], [outside("u", folder=True)])


def test_a_control_character_is_reported_at_its_line_and_column_escaped() -> None:
    """Issue 14, finding 8: libyaml gives a byte offset (é is two bytes), and no line; front matter starts on line 2."""
    _, diags = compose_yaml(SourceFile("a.md", "title: é\nlanguage: en\nnote: a\tb é\x07c\x00\n", first_line=2))
    assert [(d.line, d.col, d.message) for d in diags] == [(4, 12, "YAML does not allow the control character U+0007")]
    assert diags[0].format().split("\n")[1:3] == ["    note: a b é\\x07c\\x00", "               ^"]
    [d] = compose_yaml(SourceFile("a.yaml", "a: x\ufffe\n"))[1]
    assert d.message == "YAML does not allow the character U+FFFE"


def test_the_depth_check_reads_no_further_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml's scanner slows with every open flow collection ('[' * 20,000: 5 s), so the count stops at the
    level past the limit: the work is bounded however deep the text goes."""
    events: list[yaml.Event] = []
    parse = yaml.parse

    def counted(*args: Any, **kwargs: Any) -> Iterator[yaml.Event]:
        for event in parse(*args, **kwargs):
            events.append(event)
            yield event

    monkeypatch.setattr(yaml, "parse", counted)
    _, diags = compose_yaml(SourceFile("a.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n"))
    assert [(d.line, d.col, d.message) for d in diags] == [
        (1, 53, "the YAML is nested more than 50 levels deep: level 51 opens here")]
    assert len(events) == 2 + 1 + 1 + 50  # stream and document start, the mapping, its key, 50 lists


def test_walks_skip_dot_folders_and_refuse_the_output_folder(tmp_path: Path) -> None:
    """A walk never reads a dot-folder (.git) nor the site's output folder (a collection folder linked to it
    would publish the last site into the next, growing every build)."""
    (tmp_path / "templates" / "static" / ".git").mkdir(parents=True)
    (tmp_path / "templates" / "static" / ".git" / "config").write_text("token")
    (tmp_path / "templates" / "static" / "style.css").write_text("a{}")
    (tmp_path / "_site").mkdir()
    (tmp_path / "_site" / ".apparatus-output").write_text("")
    (tmp_path / "_site" / "page.md").write_text("x")
    (tmp_path / "content").symlink_to("_site")
    assert walk(tmp_path, "templates") == (["templates/static/style.css"], [])
    files, problems = walk(tmp_path, "content")
    assert files == [] and [(d.path, d.message) for d in problems] == [
        ("content", "the folder is a link to the site's output folder; nothing in it was read")]


DOC = """\
a:
  - id: one
    note: |
      First line.
      Second <b>line</b>.
  - {id: two, note: 'x <i>'}
b: [p, q]
b: again
"""


@pytest.mark.parametrize(("path", "key", "offset", "where"), [
    (("a",), False, None, (2, 3)),  # a block list: at its first '-'
    (("a",), True, None, (1, 1)),  # the key itself
    (("a", 0), False, None, (2, 5)),  # an item: its mapping starts at its first key
    (("a", 0, "id"), True, None, (2, 5)),
    (("a", 0, "id"), False, None, (2, 9)),
    (("a", 0, "note"), False, 0, (4, 7)),  # a block scalar: its first character
    (("a", 0, "note"), False, 19, (5, 14)),  # "<b>" on its second line
    (("a", 1), False, None, (6, 5)),  # flow style
    (("a", 1, "note"), True, None, (6, 15)),
    (("a", 1, "note"), False, 2, (6, 24)),  # inside a quoted scalar: after the quote
    (("b", 1), False, None, (7, 8)),
    (("b",), True, None, (7, 1)),  # a name: the first of the keys
    ((2,), True, None, (8, 1)),  # a pair index: the repeated key
    ((), False, None, (1, 1)),
    (("a", 7, "quote"), False, None, (2, 3)),  # as far down as the path leads
])
def test_a_key_path_is_placed_on_its_node(path: tuple, key: bool, offset: int | None, where: tuple[int, int]) -> None:
    doc = YamlDoc(SourceFile("f.yaml", DOC))
    d = doc.at(path, "m", key=key, offset=offset)
    assert (d.line, d.col) == where


def test_a_key_path_in_front_matter_counts_its_lines_from_the_file() -> None:
    doc = YamlDoc(SourceFile("a.md", "title: x\nlanguage: 12\n", first_line=2))
    assert [(d.line, d.col, d.source) for d in doc.report([Problem(("language",), "m")])] == [(3, 11, "language: 12")]
    assert doc.line(("language",)) == 2  # the line in the text composed (annotation files start at line 1)


def test_a_document_without_content_places_everything_at_its_start() -> None:
    d = YamlDoc(SourceFile("a.md", "# nothing\n", first_line=2)).at(("x",), "m")
    assert (d.line, d.col) == (2, 1)
