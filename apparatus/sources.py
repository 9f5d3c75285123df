"""Reading source files: strict UTF-8, front matter, and YAML that keeps every node's position.

YAML is composed (not constructed) with libyaml's C parser: the node tree keeps the line and
column of every key and value, which the validators in :mod:`apparatus.schema` turn into
``path:line:col`` diagnostics. Aliases are never expanded here; the validator walks the tree with
a node budget so that an alias bomb is an error, not an out-of-memory.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import yaml

from .errors import Diagnostic

try:  # libyaml is several times faster; PyYAML wheels ship it
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader

_SEQ, _MAP = yaml.SequenceNode, yaml.MappingNode


class _Loader(_Base):
    """libyaml's parser with a memoized tag resolver.

    PyYAML resolves every node's tag in Python, even under CSafeLoader. A scalar's implicit tag
    depends only on its value and style (no path resolvers are registered), so it is cached.
    """

    _tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is _MAP:
            return self.DEFAULT_MAPPING_TAG
        if kind is _SEQ:
            return self.DEFAULT_SEQUENCE_TAG
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < 50_000:
                self._tags[key] = tag
        return tag


@dataclasses.dataclass
class SourceFile:
    """A decoded text file and its path as shown to the user (relative to the collection)."""

    rel: str
    text: str
    first_line: int = 1  # line number of text's first line in the real file (front matter, body)

    def line_text(self, line: int) -> str:
        lines = self.text.split("\n")
        index = line - self.first_line
        return lines[index] if 0 <= index < len(lines) else ""

    def diag(self, line: int, col: int, message: str, hint: str = "", severity: str = "error") -> Diagnostic:
        return Diagnostic(self.rel, line, col, message, hint, severity, self.line_text(line))

    def at(self, node: yaml.Node, message: str, hint: str = "", severity: str = "error") -> Diagnostic:
        """A diagnostic at a YAML node of this file."""
        line = node.start_mark.line + self.first_line
        return self.diag(line, node.start_mark.column + 1, message, hint, severity)

    def at_text(self, node: yaml.ScalarNode, offset: int, message: str, hint: str = "") -> Diagnostic:
        """A diagnostic at a character of a scalar's value (exact for block and plain scalars)."""
        value = node.value
        before = value[:offset]
        if node.style in ("|", ">"):
            line = node.start_mark.line + 1 + before.count("\n")
            raw = self.line_text(line + self.first_line)
            indent = len(raw) - len(raw.lstrip(" "))
            col = indent + len(before) - (before.rfind("\n") + 1)
            return self.diag(line + self.first_line, col + 1, message, hint)
        quoted = 1 if node.style in ("'", '"') else 0
        if "\n" in before:
            return self.at(node, message, hint)
        return self.diag(node.start_mark.line + self.first_line, node.start_mark.column + 1 + quoted + offset,
                         message, hint)

    def sub(self, text: str, first_line: int) -> SourceFile:
        return SourceFile(self.rel, text, first_line)


def _read_bytes(path: Path) -> bytes:
    """A file's bytes with open, fstat, read and close only (a buffered file object also asks whether it is a
    terminal and seeks: a build reads two files per article)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, os.fstat(fd).st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_source(path: Path, rel: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read ``path`` as UTF-8 (a BOM is dropped, CRLF read as LF)."""
    try:
        data = _read_bytes(path)
    except OSError as exc:
        return None, [Diagnostic(rel, 1, 1, f"cannot read the file: {exc.strerror}", "check its permissions")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(
                rel, line, col,
                f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be decoded)",
                "save the file as UTF-8 (in most editors: File > Save with Encoding > UTF-8)",
            )
        ]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(rel, text), []


def split_front_matter(src: SourceFile) -> tuple[SourceFile | None, SourceFile | None, list[Diagnostic]]:
    """Split ``---`` front matter from the body. Returns (front matter, body, diagnostics)."""
    text = src.text
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return None, None, [
            src.diag(1, 1, "the article has no front matter",
                     "start the file with a line '---', then title:, outlet:, published:, language:, then '---'")
        ]
    end = text.find("\n---\n", 3)
    if end == -1:
        end_at_eof = text.endswith("\n---") and len(text) > 4
        if not end_at_eof:
            return None, None, [
                src.diag(1, 1, "the front matter is not closed",
                         "add a line '---' after the front matter, before the article text")
            ]
        end = len(text) - 4
    fm_text = text[4:end + 1]
    body_start = min(end + 5, len(text))
    body_first_line = text.count("\n", 0, body_start) + 1
    return src.sub(fm_text, 2), src.sub(text[body_start:], body_first_line), []


_YAML_HINTS = (
    ("a tab character", "YAML does not allow tabs for indentation: indent with spaces"),
    ("mapping values are not allowed here", "a value contains ': ' — put the whole value in quotes"),
    ("could not find expected ':'", "each line of a mapping needs 'key: value'; check indentation and quotes"),
    ("found undefined alias", "an '*alias' needs a matching '&anchor' earlier in the file"),
    ("expected a single document", "a file holds one YAML document: remove the extra '---' line"),
    ("while scanning a quoted scalar", "a quoted value is not closed: add the closing quote"),
    ("did not find expected key", "check the indentation of this line against the lines above, and quotes "
     "inside a quoted value (write 'a \"b\" c' or \"a 'b' c\")"),
    ("did not find expected '-' indicator", "list items must line up: check the indentation"),
)


def compose_yaml(src: SourceFile) -> tuple[yaml.Node | None, list[Diagnostic]]:
    """Compose YAML into a node tree (positions kept). Syntax errors become diagnostics."""
    try:
        node = yaml.compose(src.text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        message = f"YAML syntax error: {problem}"
        if exc.context and exc.problem:
            message += f" ({exc.context}"
            if exc.context_mark and mark and exc.context_mark.line != mark.line:
                message += f" that starts on line {exc.context_mark.line + src.first_line}"
            message += ")"
        if mark is not None and src.line_text(mark.line + src.first_line)[mark.column:mark.column + 1] == "\t":
            problem = "a tab character"
        hint = next((h for key, h in _YAML_HINTS if key in str(exc) or key == problem),
                    "check the line above too: YAML often reports a problem where it first noticed it")
        line = (mark.line if mark else 0) + src.first_line
        col = (mark.column if mark else 0) + 1
        return None, [src.diag(line, col, message, hint)]
    except yaml.YAMLError as exc:  # reader errors (control characters) have no problem_mark
        return None, [src.diag(src.first_line, 1, f"YAML error: {exc}", "remove control characters from the file")]
    if node is not None and "&" in src.text:  # without an anchor there is no alias to expand
        bomb = _alias_bomb(node)
        if bomb is not None:
            return None, [src.at(bomb, f"the YAML expands to more than {NODE_BUDGET:,} values through aliases",
                                 "remove the '&anchor' / '*alias' repetitions: these files need no aliases")]
    return node, []


NODE_BUDGET = 100_000  # values one file may expand to through aliases


def _alias_bomb(root: yaml.Node) -> yaml.Node | None:
    """The deepest node that expands past NODE_BUDGET through aliases (or cycles), or None.

    Sizes are memoized per node, so this costs one visit per distinct node however the aliases nest.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = NODE_BUDGET + 1  # a node reached again while being sized is a cycle
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        sizes[key] = total = min(total, NODE_BUDGET + 1)
        return total

    if size(root) <= NODE_BUDGET:
        return None
    node, seen = root, {id(root)}
    while True:
        children = node.value if isinstance(node, yaml.SequenceNode) else \
            [c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode) else []
        big = next((c for c in children if sizes.get(id(c), 0) > NODE_BUDGET), None)
        if big is None or id(big) in seen:
            return node
        seen.add(id(big))
        node = big
