"""append_note: a note is added to annotations/<slug>.yaml by appending a block, every other byte kept, or refused
with a message and a hint (and nothing written)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from apparatus.annotate import Refused
from apparatus.append import MAX_BYTES, append_note
from apparatus.schema import load_yaml
from apparatus.sources import SourceFile

ITEM = ('- id: again\n  type: context\n  quote: "266 to 0"\n  prefix: "0. The vote was "\n  note: |\n'
        "    The second vote, «\u00a0encore\u00a0» (新疆).\n\n    Two paragraphs.\n  records: [ca-vote]\n")
HEAD = "# notes on alpha\nannotations:\n"


def collection(tmp_path: Path, text: str | bytes) -> Path:
    root = tmp_path / "c"
    (root / "annotations").mkdir(parents=True)
    (root / "content").mkdir()
    (root / "content" / "alpha.md").write_text("---\ntitle: x\n---\nThe vote was 266 to 0.\n")
    data = text.encode() if isinstance(text, str) else text
    (root / "annotations" / "alpha.yaml").write_bytes(data)
    return root


def appended(tmp_path: Path, text: str | bytes, item: str = ITEM) -> str:
    """What append_note added (the file must start with the old bytes, unchanged)."""
    root = collection(tmp_path, text)
    old = (root / "annotations" / "alpha.yaml").read_bytes()
    append_note(root, "alpha", item)
    new = (root / "annotations" / "alpha.yaml").read_bytes()
    assert new.startswith(old), "every byte before the new block stays as it was"
    assert sorted(os.listdir(root / "annotations")) == ["alpha.yaml"], "no temporary file is left"
    notes = load_yaml(SourceFile("x", new.decode("utf-8-sig").replace("\r\n", "\n")))[0]
    assert isinstance(notes, dict) and isinstance(notes["annotations"], list)
    assert notes["annotations"][-1] == load_yaml(SourceFile("s", item))[0][0]  # type: ignore[index]
    return new[len(old):].decode()


def refused(tmp_path: Path, text: str | bytes, item: str = ITEM) -> tuple[str, str]:
    root = collection(tmp_path, text)
    path = root / "annotations" / "alpha.yaml"
    old = path.read_bytes()
    with pytest.raises(Refused) as info:
        append_note(root, "alpha", item)
    assert path.read_bytes() == old, "nothing written"
    assert sorted(os.listdir(root / "annotations")) == ["alpha.yaml"]
    return info.value.message, info.value.hint


def test_a_list_at_indent_2_gains_the_item_at_indent_2(tmp_path: Path) -> None:
    text = HEAD + "  - id: first\n    type: context\n    quote: The vote\n    note: One.\n"
    assert appended(tmp_path, text) == (
        '  - id: again\n    type: context\n    quote: "266 to 0"\n    prefix: "0. The vote was "\n    note: |\n'
        "      The second vote, «\u00a0encore\u00a0» (新疆).\n\n      Two paragraphs.\n    records: [ca-vote]\n")


def test_a_list_at_indent_0_gains_the_item_at_indent_0(tmp_path: Path) -> None:
    text = HEAD + "- id: first\n  type: context\n  quote: The vote\n  note: One.\n"
    assert appended(tmp_path, text) == ITEM


def test_the_items_own_key_column_is_kept(tmp_path: Path) -> None:
    text = HEAD + "    -   id: first\n        type: context\n        quote: The vote\n        note: One.\n"
    assert appended(tmp_path, text).startswith("    -   id: again\n        type: context\n")


def test_notes_separated_by_blank_lines_get_one_before_the_new_item(tmp_path: Path) -> None:
    text = HEAD + "  - id: a\n    type: context\n    quote: The\n    note: A.\n\n  - id: b\n    type: context\n" \
                  "    quote: vote\n    note: B.\n"
    assert appended(tmp_path, text).startswith("\n  - id: again\n")


def test_comments_after_the_list_stay_before_the_new_item(tmp_path: Path) -> None:
    text = HEAD + "  - id: a\n    type: context\n    quote: The\n    note: A.\n# the end\n    # indented\n\n"
    assert appended(tmp_path, text).startswith("  - id: again\n")


def test_an_empty_list_gets_its_first_item(tmp_path: Path) -> None:
    assert appended(tmp_path, HEAD).startswith("  - id: again\n    type: context\n")


def test_crlf_line_ends_and_a_bom_are_kept(tmp_path: Path) -> None:
    text = ("\ufeff" + HEAD + "  - id: a\n    type: context\n    quote: The\n    note: A.\n").replace("\n", "\r\n")
    added = appended(tmp_path, text.encode())
    assert added.startswith("  - id: again\r\n") and added.count("\n") == added.count("\r\n") == 9


def test_a_last_line_without_a_break_gets_one_when_no_value_changes(tmp_path: Path) -> None:
    text = HEAD + "  - id: a\n    type: context\n    quote: The\n    note: A."
    assert appended(tmp_path, text).startswith("\n  - id: again\n")


ONE_NOTE = HEAD + "  - id: a\n    type: context\n    quote: The\n    note: A.\n"
COPY = "copy the snippet into the file by hand"
REFUSED = {  # the file's text → (message, hint): appending a block would not add one note to the list
    # no line break at the end of a | note: adding one would change the note ('A.' would become 'A.\n')
    HEAD + "  - id: a\n    type: context\n    quote: The\n    note: |\n      A.": (
        "the last line of annotations/alpha.yaml has no line break, and adding one would change the last note's text",
        f"add the line break at the end of the file in an editor, or {COPY}"),
    "annotations: [{id: a, type: context, quote: The, note: A.}]\n": (
        "'annotations:' in annotations/alpha.yaml is a list in flow style ('[…]', line 1): a block cannot be "
        "appended to it", f"write its items as '- …' lines, or {COPY}"),
    # a new file's 'annotations: []' (build.py new)
    HEAD.replace("annotations:", "annotations: []") + "# an example:\n#  - id: x\n": (
        "'annotations:' in annotations/alpha.yaml is a list in flow style ('[…]', line 2): a block cannot be "
        "appended to it", "delete the '[]' after 'annotations:' (the list is empty), then try again"),
    ONE_NOTE + "article_sha256: abc\n": (
        "'annotations:' is not the last key of annotations/alpha.yaml: 'article_sha256' follows it on line 7",
        f"move 'article_sha256:' above 'annotations:', or {COPY}"),
    ONE_NOTE + "...\n": (
        "annotations/alpha.yaml ends its document with '...' on line 7",
        f"remove the '...' line (the notes must be the end of the file), or {COPY}"),
    ONE_NOTE.replace("id: a", "id: again"): ("annotations/alpha.yaml has a note with the id 'again' already",
                                             "choose another id"),
    "# nothing yet\n": ("annotations/alpha.yaml holds no YAML", "write a line 'annotations:' in it, then try again"),
}


@pytest.mark.parametrize("text", list(REFUSED), ids=range(len(REFUSED)))
def test_what_appending_cannot_do_is_refused(tmp_path: Path, text: str) -> None:
    assert refused(tmp_path, text) == REFUSED[text]


def test_a_broken_file_is_refused(tmp_path: Path) -> None:
    message, hint = refused(tmp_path, HEAD + "  - id: [\n")
    assert message.startswith("annotations/alpha.yaml has an error: YAML syntax error")
    assert hint == "fix it first (the preview shows where), then try again"


def test_a_snippet_that_is_not_one_item_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, HEAD, "id: x\n")[0] == "the snippet is not one list item ('- id: …')"
    assert refused(tmp_path / "2", HEAD, "- id: x\n- id: y\n")[0] == "the snippet is not one list item ('- id: …')"


def test_links_missing_files_big_files_and_bad_slugs_are_refused(tmp_path: Path) -> None:
    root = collection(tmp_path, HEAD)
    path = root / "annotations" / "alpha.yaml"
    (root / "real.yaml").write_text(HEAD)
    path.unlink()
    with pytest.raises(Refused, match="^annotations/alpha.yaml does not exist$"):
        append_note(root, "alpha", ITEM)
    path.symlink_to(root / "real.yaml")
    with pytest.raises(Refused, match="^annotations/alpha.yaml is a symbolic link"):
        append_note(root, "alpha", ITEM)
    assert (root / "real.yaml").read_text() == HEAD and path.is_symlink()
    path.unlink()
    path.write_text(HEAD + "#" * MAX_BYTES)
    with pytest.raises(Refused, match="^annotations/alpha.yaml is larger than 1,048,576 bytes$"):
        append_note(root, "alpha", ITEM)
    for slug in ("../alpha", "_records", "", "a/b"):
        with pytest.raises(Refused, match="is not an article's name"):
            append_note(root, slug, ITEM)


@pytest.mark.parametrize(("where", "code"), [("tempfile.mkstemp", errno.EROFS), ("tempfile.mkstemp", errno.EACCES),
                                             ("os.fsync", errno.ENOSPC), ("os.replace", errno.EACCES)])
def test_a_file_that_cannot_be_written_is_a_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str,
                                                    code: int) -> None:
    """A read-only file system or folder, a full disk: the system call fails (made to fail here: the tests may run
    as root, whom a folder's mode does not stop), the temporary file is removed, and the panel says why."""
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(where, fail)
    assert refused(tmp_path, HEAD) == (f"cannot write annotations/alpha.yaml: {os.strerror(code)}",
                                       "copy the snippet into the file by hand")


def test_the_files_mode_is_kept(tmp_path: Path) -> None:
    root = collection(tmp_path, HEAD)
    path = root / "annotations" / "alpha.yaml"
    path.chmod(0o640)
    append_note(root, "alpha", ITEM)
    assert path.stat().st_mode & 0o777 == 0o640


def test_the_real_collections_files_take_a_note_and_still_check(tmp_path: Path) -> None:
    """Both real annotation files (indent 2, notes separated by blank lines, a schema comment on top): a snippet
    made by annotate.snippet is appended as a block of the file's own style, and the collection still checks."""
    from conftest import copy_collection, run

    from apparatus.annotate import snippet
    root = copy_collection(tmp_path / "c")
    for path in sorted((root / "annotations").glob("[!_]*.yaml")):
        old = path.read_bytes()
        text = (root / "content" / f"{path.stem}.md").read_text().split("\n---\n", 1)[1]
        words = next(line for line in text.splitlines() if len(line.split()) > 8).split()[2:7]
        item = snippet(root, path.stem, " ".join(words), note="A note added by the test.")
        append_note(root, path.stem, item.yaml)
        assert path.read_bytes() == old + ("\n" + "".join("  " + line for line in item.yaml.splitlines(True))).encode()
    result = run(root, "check")
    assert (result.code, result.err) == (0, ""), result.err
