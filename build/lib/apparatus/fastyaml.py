"""Fast loading of the plain YAML subset collection files are written in: values only, no nodes.

Composing a file with libyaml (PyYAML's binding) and validating the node tree costs ~2.7 M
instructions per annotation file, the largest single cost of a build, and most of it goes to
objects that only a diagnostic ever reads: a node and two marks per value. Files that load
without any problem need none of them. :func:`load` reads the regular part of YAML contributors
write — block mappings and sequences, plain and one-line quoted scalars, ``|`` literal blocks,
one-line flow lists and mappings, comments — line by line into plain values, tagging plain
scalars with PyYAML's own resolver. For anything else (anchors, tags, folded or keep-chomped
blocks, multi-line plain or quoted scalars, escapes other than ``\\"`` and ``\\\\``, tabs, control
characters, empty values, duplicate keys, nesting deeper than :data:`apparatus.sources.MAX_DEPTH`) it
returns None, and :func:`apparatus.schema.load_yaml` composes the file with libyaml and turns the
node tree into the same values; either way one validator checks them. The parser recurses a few
frames per level: the depth bound keeps it far from
Python's recursion limit whatever the input.
tests/test_fastyaml.py proves the values equal to the node tree's, and the loaders' objects and
diagnostics the same with fastyaml on and off, on every YAML file of the repository, generated
collections and seeded mutations.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .sources import MAX_DEPTH

STR_TAG = "tag:yaml.org,2002:str"

# Characters libyaml treats specially or refuses (tabs, CR, NEL, line/paragraph separators, BOM,
# non-printable ones): a document holding any of them is left to libyaml.
_UNSUPPORTED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
# a plain scalar may not start with an indicator (YAML 1.1 §9.1.3 as libyaml reads it); some
# starts that YAML allows ("-x", "?x", ":x") are left to libyaml for simplicity
_PLAIN_START = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]")
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")  # with isspace(): not _PLAIN_START, for one character
_FLOW_ITEM_BAD = re.compile(r"[:#\[\]{}'\"]")
_FLOW_END = {stops: re.compile(f"[{re.escape(stops)}]") for stops in (",]", ",}")}  # where a flow item ends


class Typed:
    """A plain scalar that YAML reads as something other than text (a number, a date, true…)."""

    __slots__ = ("tag", "value")

    def __init__(self, tag: str, value: str):
        self.tag = tag
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Typed) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self) -> str:
        return f"Typed({self.tag!r}, {self.value!r})"


Value = Any  # str | Typed | list[Value] | dict[str, Value]


class _Decline(Exception):
    """The document is outside the subset: compose it with libyaml."""


_resolver: yaml.resolver.Resolver | None = None
_TAGS: dict[str, str] = {}  # a plain scalar's tag depends only on its text


def _resolve(value: str) -> str:
    global _resolver
    if _resolver is None:
        from .sources import _Loader  # the resolver libyaml's path uses
        _resolver = _Loader("")
    tag: str = _resolver.resolve(yaml.ScalarNode, value, (True, False))
    if len(_TAGS) < 50_000:
        _TAGS[value] = tag
    return tag


def _plain(value: str) -> Value:
    tag = _TAGS.get(value) or _resolve(value)
    return value if tag == STR_TAG else Typed(tag, value)


def _key(key: str) -> str:
    if (_TAGS.get(key) or _resolve(key)) != STR_TAG:
        raise _Decline  # a key such as 'yes:' or '1:'
    return key


def load(text: str) -> Value | None:
    """The values of ``text`` (plain scalars that are not text as :class:`Typed`), or None outside the subset."""
    lines = text.split("\n")
    for line in lines:  # isprintable() is a fast C loop; the exact rule runs only on lines it doubts
        if not line.isprintable() and _UNSUPPORTED.search(line):
            return None
    try:
        return _Parser(lines).document()
    except _Decline:
        return None


class _Parser:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.n = len(lines)
        self.indents = [len(s) - len(s.lstrip(" ")) for s in lines]
        self.depth = 0  # block collections open (a one-line flow collection inside one adds a level)

    def skip(self, i: int) -> int:
        """The index of the next line with content (blank lines and comment lines are skipped)."""
        lines, indents, n = self.lines, self.indents, self.n
        while i < n:
            line = lines[i]
            ind = indents[i]
            if ind < len(line) and line[ind] != "#":
                return i
            i += 1
        return i

    def document(self) -> Value:
        i = self.skip(0)
        if i == self.n:
            raise _Decline  # empty document
        line = self.lines[i]
        if line.startswith(("---", "...", "%")):
            raise _Decline
        value, i = self.block(i, self.indents[i])
        if self.skip(i) != self.n:
            raise _Decline
        return value

    def block(self, i: int, col: int) -> tuple[Value, int]:
        """A block collection starting at line i, column col."""
        line = self.lines[i]
        if line.startswith("-", col) and (len(line) == col + 1 or line[col + 1] == " "):
            return self.sequence(i, col)
        if _KEY.match(line, col):
            return self.mapping(i, col)
        raise _Decline

    def enter(self) -> None:
        """One more block collection open: past MAX_DEPTH - 1 (a flow collection inside may add one), the
        document is left to libyaml's path, which checks the depth and reports it."""
        self.depth += 1
        if self.depth >= MAX_DEPTH:
            raise _Decline

    def sequence(self, i: int, col: int) -> tuple[list[Value], int]:
        self.enter()
        lines, indents = self.lines, self.indents
        items: list[Value] = []
        while True:
            line = lines[i]
            c = col + 1
            while c < len(line) and line[c] == " ":
                c += 1
            if c == len(line):  # "-" alone: the item is on the next lines
                j = self.skip(i + 1)
                if j == self.n or indents[j] <= col:
                    raise _Decline  # a null item
                value, i = self.block(j, indents[j])
            elif _KEY.match(line, c) or (line[c] == "-" and (c + 1 == len(line) or line[c + 1] == " ")):
                value, i = self.block(i, c)
            else:
                value, i = self.inline(i, c, col)
            items.append(value)
            i = self.skip(i)
            if i == self.n or indents[i] < col:
                break
            if indents[i] > col:
                raise _Decline
            line = lines[i]
            if not (line.startswith("-", col) and (len(line) == col + 1 or line[col + 1] == " ")):
                break  # the parent mapping goes on (an indentless sequence ends)
        self.depth -= 1
        return items, i

    def mapping(self, i: int, col: int) -> tuple[dict[str, Value], int]:
        self.enter()
        lines, indents, n = self.lines, self.indents, self.n
        pairs: dict[str, Value] = {}
        while True:
            line = lines[i]
            m = _KEY.match(line, col)
            if m is None:
                raise _Decline
            key = _key(m.group(1))
            if key in pairs:
                raise _Decline  # a duplicate key: the validator reports it
            c = m.end()
            if c == len(line) or line[c] == "#":  # the value is on the next lines
                j = self.skip(i + 1)
                if j == self.n:
                    raise _Decline  # a null value
                line_j = lines[j]
                if indents[j] > col:
                    value, i = self.block(j, indents[j])
                elif indents[j] == col and line_j.startswith("-", col) and (
                        len(line_j) == col + 1 or line_j[col + 1] == " "):
                    value, i = self.sequence(j, col)
                else:
                    raise _Decline
            else:
                value, i = self.inline(i, c, col)
            pairs[key] = value
            if i == n or indents[i] >= len(lines[i]) or lines[i][indents[i]] == "#":
                i = self.skip(i)  # blank or comment lines (the next line has content, most often)
            if i == n or indents[i] < col:
                break
            if indents[i] > col:
                raise _Decline  # a continuation line, or bad indentation: libyaml knows
            if lines[i].startswith("-", col):
                break  # the parent sequence's next item (or an error libyaml reports)
        self.depth -= 1
        return pairs, i

    def inline(self, i: int, c: int, parent: int) -> tuple[Value, int]:
        """A value that starts at line i, column c after 'key: ' or '- '; returns the line after it."""
        line = self.lines[i]
        ch = line[c]
        if ch == '"' or ch == "'":
            text, end = _quoted(line, c)
            _end_of_line(line, end)
            return text, i + 1
        if ch == "[":
            items, end = _flow_seq(line, c)
            _end_of_line(line, end)
            return items, i + 1
        if ch == "{":
            pairs, end = _flow_map(line, c)
            _end_of_line(line, end)
            return pairs, i + 1
        if ch == "|":
            return self.literal(i, c, parent)
        if ch in _NOT_PLAIN_START or ch.isspace():
            raise _Decline
        value = line[c:]
        cut = value.find(" #")
        if cut != -1:
            value = value[:cut]
        value = value.rstrip(" ")
        if ": " in value or value.endswith(":"):
            raise _Decline
        return _plain(value), i + 1

    def literal(self, i: int, c: int, parent: int) -> tuple[str, int]:
        """A '|' or '|-' block scalar; its content lines are indented more than the parent."""
        line = self.lines[i]
        header = line[c + 1:]
        strip = header.startswith("-")
        if strip:
            header = header[1:]
        if header and (header[0] != " " or (header.strip(" ") and not header.lstrip(" ").startswith("#"))):
            raise _Decline  # an indentation indicator, '+', or text after the indicator
        lines, indents, n = self.lines, self.indents, self.n
        j = i + 1
        if j == n or not lines[j] or indents[j] == len(lines[j]):
            raise _Decline  # leading blank lines or an empty block
        ind = indents[j]
        if ind <= parent:
            raise _Decline
        content: list[str] = []
        blanks = 0
        last = j
        while j < n:
            text = lines[j]
            if not text:
                blanks += 1
                j += 1
                continue
            if indents[j] == len(text):
                raise _Decline  # a line of spaces only: libyaml's rules for it are subtle
            if indents[j] < ind:
                break
            if blanks:
                content.extend([""] * blanks)
                blanks = 0
            content.append(text[ind:])
            last = j
            j += 1
        value = "\n".join(content)
        if not strip and last < n - 1:  # clip: the last line break, if the file has one there
            value += "\n"
        return value, j


def _end_of_line(line: str, end: int) -> None:
    rest = line[end:]
    if rest and (rest[0] != " " or (rest.strip(" ") and not rest.lstrip(" ").startswith("#"))):
        raise _Decline


def _quoted(line: str, c: int) -> tuple[str, int]:
    """A one-line quoted scalar starting at column c; returns it and the column after its closing quote."""
    q = line[c]
    if q == "'":
        parts = []
        k = c + 1
        while True:
            e = line.find("'", k)
            if e == -1:
                raise _Decline  # runs on to the next line
            parts.append(line[k:e])
            if line.startswith("''", e):
                parts.append("'")
                k = e + 2
                continue
            end = e + 1
            break
        value = "".join(parts)
    else:
        e = line.find('"', c + 1)
        if e == -1:
            raise _Decline
        value = line[c + 1:e]
        if "\\" in value:
            parts = []
            k = c + 1
            while True:
                e = line.find('"', k)
                b = line.find("\\", k)
                if e == -1:
                    raise _Decline
                if b == -1 or b > e:
                    parts.append(line[k:e])
                    break
                esc = line[b + 1:b + 2]
                if esc not in ('"', "\\"):
                    raise _Decline  # other escapes are left to libyaml
                parts.append(line[k:b])
                parts.append(esc)
                k = b + 2
            value = "".join(parts)
        end = e + 1
    return value, end


def _flow_scalar(line: str, c: int, stops: str) -> tuple[Value, int]:
    """A scalar inside [ ] or { }: quoted, or plain up to the next character of stops."""
    if line[c] in "'\"":
        return _quoted(line, c)
    m = _FLOW_END[stops].search(line, c)
    e = m.start() if m else len(line)
    value = line[c:e].rstrip(" ")
    if not value or not _PLAIN_START.match(value) or _FLOW_ITEM_BAD.search(value):
        raise _Decline
    return _plain(value), e


def _spaces(line: str, c: int) -> int:
    n = len(line)
    while c < n and line[c] == " ":
        c += 1
    if c == n:
        raise _Decline  # the collection runs on to the next line
    return c


def _flow_seq(line: str, c: int) -> tuple[list[Value], int]:
    items: list[Value] = []
    k = _spaces(line, c + 1)
    if line[k] == "]":
        return items, k + 1
    while True:
        item, k = _flow_scalar(line, k, ",]")
        items.append(item)
        done, k = _flow_next(line, k, "]")
        if done:
            return items, k


def _flow_map(line: str, c: int) -> tuple[dict[str, Value], int]:
    pairs: dict[str, Value] = {}
    k = _spaces(line, c + 1)
    if line[k] == "}":
        return pairs, k + 1
    while True:
        m = _KEY.match(line, k)
        if m is None or m.end() == len(line):
            raise _Decline
        key = _key(m.group(1))
        if key in pairs:
            raise _Decline
        pairs[key], k = _flow_scalar(line, m.end(), ",}")
        done, k = _flow_next(line, k, "}")
        if done:
            return pairs, k


def _flow_next(line: str, k: int, close: str) -> tuple[bool, int]:
    """After an item of a one-line flow collection: (True, the column after ``close``) at its end,
    else (False, the column of the next item)."""
    k = _spaces(line, k)
    if line[k] == close:
        return True, k + 1
    if line[k] != ",":
        raise _Decline
    k = _spaces(line, k + 1)
    if line[k] == "," or line[k] == close:
        raise _Decline  # an empty item or a trailing comma
    return False, k
