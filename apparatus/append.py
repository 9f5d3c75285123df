"""Add one note to ``annotations/<slug>.yaml`` by appending a block, and in no other way.

The preview's "Add" button writes here (:mod:`apparatus.panel`). The file is changed only at its end: every
byte before the new block stays as it was (its comments, quotes, blank lines and line ends included), so the
pull request shows the new note and nothing else. That is safe only when the list of notes is the last thing
in the file, which is read from the composed node tree and libyaml's event stream, never from patterns over
the text:

- the file is one block mapping whose last key is ``annotations:``, its value a block sequence (``- id: …``
  items) or empty; a flow list (``[…]``, the ``[]`` of a new file included), a key after the list, or a
  document end marker (``...``) is refused: the block would land outside the list;
- comments and blank lines after the last note are fine: the new item goes after them, at the sequence's own
  indentation, so it still continues the list;
- the block takes the file's indentation (the column of its ``-`` and of its items' keys) and line ends
  (CRLF stays CRLF), and a blank line before it when the notes are separated by one;
- a file whose last line has no line break gets one first, unless that changes a value (the end of a ``|``
  note is its last line break): then it is refused, with the hint to add the line break in an editor.

Whatever the checks above let through, the would-be text is loaded with the project's loader and must hold
the old notes unchanged plus exactly the new one, whose values equal the snippet's; only then is it written,
atomically (a temporary file beside it, then ``os.replace``), with the file's mode. A symbolic link, a path
outside the collection, a file over :data:`MAX_BYTES` or a file changed meanwhile is refused, and so is a write
the system refuses (a read-only folder, a full disk: "cannot write …"). Appends are serialized in this process;
each refusal is an :class:`apparatus.annotate.Refused` (message, hint).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import tempfile
import threading
from pathlib import Path

import yaml

from . import sources
from .annotate import Refused
from .schema import ID_RE, Value, load_yaml
from .sources import SourceFile

MAX_BYTES = 1 << 20  # an annotation file of the real collection is ~22 KB; larger ones are not appended to
BOM = b"\xef\xbb\xbf"
_LOCK = threading.Lock()  # two appends at once would each write the file read before the other's
_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COPY_HINT = "copy the snippet into the file by hand"


@dataclasses.dataclass(frozen=True)
class Place:
    """Where the new item goes: the column of its ``-``, the column of its keys, and whether the notes are
    separated by a blank line."""

    dash: int
    keys: int
    blank_line: bool


def append_note(root: Path, slug: str, item_yaml: str) -> None:
    """Append item_yaml (one list item at indent 0, as :func:`apparatus.annotate.snippet` writes it) to the
    notes of annotations/<slug>.yaml, re-indented to the file's own indentation. Raises Refused."""
    if not ID_RE.fullmatch(slug):
        raise Refused(f"'{slug}' is not an article's name", "choose an article of the collection")
    rel = f"annotations/{slug}.yaml"
    path = root / "annotations" / f"{slug}.yaml"
    with _LOCK:
        before = _regular_file(root, rel, path)
        data, diags = sources.read_bytes(root, rel)
        if data is None:
            raise Refused(f"{rel}: {diags[0].message}", diags[0].hint)
        if len(data) > MAX_BYTES:
            raise Refused(f"{rel} is larger than {MAX_BYTES:,} bytes", COPY_HINT)
        try:
            _replace(path, data + appended(rel, data, item_yaml), before)
        except OSError as exc:  # a read-only folder or file system, a full disk, no permission
            raise Refused(f"cannot write {rel}: {exc.strerror or exc}", COPY_HINT) from None


def appended(rel: str, data: bytes, item_yaml: str) -> bytes:
    """The bytes to append to the file rel holding data, so that its notes gain item_yaml; raises Refused."""
    body = data[len(BOM):] if data.startswith(BOM) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(f"{rel} is not UTF-8", "save it as UTF-8, then try again") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    lf = text.replace("\r\n", "\n")
    if "\r" in lf:
        raise Refused(f"{rel} ends some lines with a lone carriage return",
                      "save it with Unix (LF) or Windows (CRLF) line ends, then try again")
    src = SourceFile(rel, lf)
    place = _place(src)
    block = _reindent(item_yaml, place)
    lead = "" if not lf or lf.endswith("\n") else "\n"
    if place.blank_line and not (lf + lead).endswith("\n\n"):
        block = "\n" + block
    _verify(src, lf + lead + block, item_yaml, bool(lead))
    return (lead + block).replace("\n", newline).encode("utf-8")


def _place(src: SourceFile) -> Place:
    """Where the new item goes, if appending at the end of the file puts it in the list of notes; else Refused."""
    node, diags = sources.compose_yaml(src)
    if node is None and not diags:
        raise Refused(f"{src.rel} holds no YAML", "write a line 'annotations:' in it, then try again")
    if node is None:
        raise Refused(f"{src.rel} has an error: {diags[0].message}",
                      "fix it first (the preview shows where), then try again")
    for event in yaml.parse(src.text, Loader=_EVENTS):  # composed already: well-formed, bounded depth
        if isinstance(event, yaml.DocumentEndEvent) and event.explicit:
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise Refused(f"{src.rel} ends its document with '...' on line {line}",
                          "remove the '...' line (the notes must be the end of the file), or " + COPY_HINT)
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        raise Refused(f"{src.rel} is not a mapping with 'annotations:' in block style", COPY_HINT)
    key, value = node.value[-1]
    if not (isinstance(key, yaml.ScalarNode) and key.value == "annotations"):
        where = next((k.start_mark.line + 1 for k, _ in node.value
                      if isinstance(k, yaml.ScalarNode) and k.value == "annotations"), None)
        last = key.value if isinstance(key, yaml.ScalarNode) else "a key"
        raise Refused(f"'annotations:' is not the last key of {src.rel}: '{last}' follows it on line "
                      f"{key.start_mark.line + 1}" if where else f"{src.rel} has no 'annotations:'",
                      f"move '{last}:' above 'annotations:', or {COPY_HINT}" if where else COPY_HINT)
    if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null" and value.value == "":
        return Place(key.start_mark.column + 2, key.start_mark.column + 4, False)  # 'annotations:' and nothing yet
    if not isinstance(value, yaml.SequenceNode) or value.start_mark.line < key.start_mark.line:
        raise Refused(f"'annotations:' in {src.rel} is not a list", COPY_HINT)
    if value.flow_style:
        empty = not value.value
        raise Refused(f"'annotations:' in {src.rel} is a list in flow style ('[…]', line "
                      f"{value.start_mark.line + 1}): a block cannot be appended to it",
                      "delete the '[]' after 'annotations:' (the list is empty), then try again" if empty else
                      f"write its items as '- …' lines, or {COPY_HINT}")
    last = value.value[-1]
    separated = len(value.value) > 1 and not src.line_text(last.start_mark.line).strip()
    keys = last.start_mark.column if isinstance(last, yaml.MappingNode) else value.start_mark.column + 2
    return Place(value.start_mark.column, keys, separated)


def _reindent(item_yaml: str, place: Place) -> str:
    """The snippet's item, its ``-`` at place.dash and its keys at place.keys (every line moved alike)."""
    lines = item_yaml.split("\n")
    if not item_yaml.endswith("\n") or not lines[0].startswith("- ") or any(
            line and not line.startswith("  ") for line in lines[1:]):
        raise Refused("the snippet is not one list item ('- id: …')", COPY_HINT)
    first = " " * place.dash + "-" + " " * (place.keys - place.dash - 1) + lines[0][2:]
    return "\n".join([first, *(" " * place.keys + line[2:] if line else "" for line in lines[1:])])


def _verify(src: SourceFile, new_text: str, item_yaml: str, added_break: bool) -> None:
    """The new text, loaded as the build loads it, holds the old values and exactly one more note: the snippet's."""
    old = _values(src)
    new = _values(src.sub(new_text, 1))
    item = _values(SourceFile("snippet", item_yaml))
    if not (isinstance(item, list) and len(item) == 1 and isinstance(item[0], dict)):
        raise Refused("the snippet is not one list item ('- id: …')", COPY_HINT)
    if not (isinstance(old, dict) and isinstance(new, dict)):
        raise Refused(f"{src.rel} is not a mapping with 'annotations:'", COPY_HINT)
    notes = old.get("annotations")
    notes = notes if isinstance(notes, list) else []  # ('annotations:' with nothing yet)
    ids = {n.get("id") for n in notes if isinstance(n, dict)}
    if item[0].get("id") in ids:
        raise Refused(f"{src.rel} has a note with the id '{item[0].get('id')}' already", "choose another id")
    if new == {**old, "annotations": [*notes, item[0]]}:
        return
    if added_break:
        raise Refused(f"the last line of {src.rel} has no line break, and adding one would change the last "
                      "note's text", f"add the line break at the end of the file in an editor, or {COPY_HINT}")
    raise Refused(f"appending to {src.rel} would change the notes already in it", COPY_HINT)


def _values(src: SourceFile) -> Value:
    value, _, diags = load_yaml(src)
    errors = [d for d in diags if d.is_error]
    if errors:
        raise Refused(f"appending would leave {src.rel} with an error: {errors[0].message}", COPY_HINT)
    return value


def _regular_file(root: Path, rel: str, path: Path) -> os.stat_result:
    """The file's own status (a link is not followed); Refused unless it is a regular file of the collection."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Refused(f"{rel} does not exist", "create it with a line 'annotations:', then try again") from None
    if stat.S_ISLNK(info.st_mode):
        raise Refused(f"{rel} is a symbolic link: the preview appends only to the file itself", COPY_HINT)
    if not stat.S_ISREG(info.st_mode) or not sources.inside(root, rel):
        raise Refused(f"{rel} is not a file of the collection", COPY_HINT)
    if info.st_size > MAX_BYTES:
        raise Refused(f"{rel} is larger than {MAX_BYTES:,} bytes", COPY_HINT)
    return info


def _replace(path: Path, data: bytes, before: os.stat_result) -> None:
    """Write data to a temporary file beside path, with its mode, then put it in path's place in one step, unless
    the file changed since it was read (an editor saved it meanwhile)."""
    folder = os.path.dirname(os.path.realpath(path.parent / "x"))  # the folder's real path; the file is no link
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # ignored by the watcher
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), stat.S_IMODE(before.st_mode))
            os.fsync(f.fileno())
        now = os.lstat(path)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise Refused(f"{path.name} changed while the note was being added", "try again")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
