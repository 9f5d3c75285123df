"""Reading source files: strict UTF-8, front matter, and YAML that keeps every node's position.

Every file of a collection is read here, as (collection root, relative path), and only when its real
path lies inside the root: a symlink may point elsewhere in the collection, never outside it (a pull
request could otherwise publish, or print in a diagnostic, any file the build can read).
:func:`walk` lists a folder under the same rule.

YAML is composed (not constructed) with libyaml's C parser: the node tree keeps the line and
column of every key and value. Files are validated as values (:mod:`apparatus.schema`), with
problems by key path; :class:`YamlDoc` is the one place a path becomes ``path:line:col``, composing
the file only when it has a problem to report. An alias bomb (aliases expanding past a node budget,
or a cycle) is refused at composition, before anything expands it. Before anything recursive sees a
document, its nesting depth is checked on libyaml's event stream (not recursive) against
:data:`MAX_DEPTH`; :mod:`apparatus.fastyaml` declines deeper documents itself, so they all come here.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import stat
import unicodedata
from pathlib import Path

import yaml

from .errors import Diagnostic
from .output import MARKER

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

    def at_text(self, node: yaml.ScalarNode, offset: int, message: str, hint: str = "",
                severity: str = "error") -> Diagnostic:
        """A diagnostic at a character of a scalar's value (exact for block and plain scalars)."""
        value = node.value
        before = value[:offset]
        if node.style in ("|", ">"):
            line = node.start_mark.line + 1 + before.count("\n")
            raw = self.line_text(line + self.first_line)
            indent = len(raw) - len(raw.lstrip(" "))
            col = indent + len(before) - (before.rfind("\n") + 1)
            return self.diag(line + self.first_line, col + 1, message, hint, severity)
        quoted = 1 if node.style in ("'", '"') else 0
        if "\n" in before:
            return self.at(node, message, hint, severity)
        return self.diag(node.start_mark.line + self.first_line, node.start_mark.column + 1 + quoted + offset,
                         message, hint, severity)

    def sub(self, text: str, first_line: int) -> SourceFile:
        return SourceFile(self.rel, text, first_line)


KeyPath = tuple[str | int, ...]  # keys and list indexes from a document's root, e.g. ("annotations", 3, "quote")


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something wrong in a YAML document, found on its values and placed by key path; :class:`YamlDoc` gives it
    its line and column only when it is reported."""

    path: KeyPath
    message: str
    hint: str = ""
    severity: str = "error"
    key: bool = False  # at the key of the path's last step (an unknown or duplicate key), not at its value
    offset: int | None = None  # at this character of the scalar's value (see SourceFile.at_text)


class YamlDoc:
    """A YAML file's positions, for its diagnostics: the one place a key path becomes line:col.

    Files are loaded as values (:func:`apparatus.schema.load_yaml`), without positions. The first problem
    reported composes the text with libyaml (unless it was composed already) and walks each path down the
    node tree. ``odd_keys`` lists, per mapping's path, the keys its values could not hold: (pair index, key),
    the key None when it is not a scalar, else a repeated key; a path step that is an int inside a mapping is
    such a pair index.
    """

    def __init__(self, src: SourceFile, node: yaml.Node | None = None,
                 odd_keys: dict[KeyPath, list[tuple[int, str | None]]] | None = None):
        self.src = src
        self._node = node
        self._composed = node is not None
        self.odd_keys = odd_keys or {}

    @property
    def root(self) -> yaml.Node | None:
        if not self._composed:  # only files with something to report get here
            self._node, _ = compose_yaml(self.src)
            self._composed = True
        return self._node

    def node(self, path: KeyPath, key: bool = False) -> yaml.Node | None:
        """The node at path (its key's node with ``key``); as far down as the path leads, None without a tree."""
        node = self.root
        last = len(path) - 1
        for depth, step in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                pair = node.value[step] if isinstance(step, int) and 0 <= step < len(node.value) else next(
                    (p for p in node.value if isinstance(p[0], yaml.ScalarNode) and p[0].value == step), None)
                if pair is None:
                    break
                node = pair[0] if key and depth == last else pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
            else:
                break
        return node

    def line(self, path: KeyPath) -> int:
        """The 1-based line of the value at path, counted in the text composed."""
        node = self.node(path)
        return node.start_mark.line + 1 if node is not None else 1

    def at(self, path: KeyPath, message: str, hint: str = "", severity: str = "error", key: bool = False,
           offset: int | None = None) -> Diagnostic:
        """The diagnostic of a problem at path."""
        node = self.node(path, key)
        if node is None:
            return self.src.diag(self.src.first_line, 1, message, hint, severity)
        if offset is not None and isinstance(node, yaml.ScalarNode):
            return self.src.at_text(node, offset, message, hint, severity)
        return self.src.at(node, message, hint, severity)

    def report(self, problems: list[Problem]) -> list[Diagnostic]:
        return [self.at(p.path, p.message, p.hint, p.severity, p.key, p.offset) for p in problems]


OUTSIDE_HINT = "a symlink may point only inside the collection folder: replace it with the file itself"


def outside(rel: str, folder: bool = False, area: str = "") -> Diagnostic:
    """The refusal of a path whose real path is outside the collection, or (area) outside its folder of the
    collection (AREAS). It shows nothing of the target."""
    place = f"out of {area}/" if area else "to a place outside the collection"
    what = f"the folder is a link {place}; nothing in it was read" if folder else \
        f"the file is a link {place}; it was not read"
    hint = f"a file of {area}/ must lie in that folder: replace the link with the file itself" if area else \
        OUTSIDE_HINT
    return Diagnostic(rel, 1, 1, what, hint)


def _refusal(real: str, root: Path, rel: str, folder: bool = False) -> Diagnostic:
    """outside(), saying which: the collection, or the folder of it that rel belongs to."""
    if not _inside(real, str(root)):
        return outside(rel, folder)
    return outside(rel, folder, next((a for a in AREAS if rel == a or rel.startswith(a + "/")), ""))


@functools.lru_cache(maxsize=16)
def _real_root(root: str) -> str:
    """The real path of an absolute root (found once: the root is the one path the user, not input, names)."""
    return os.path.realpath(root)


def _inside(real: str, root: str) -> bool:
    base = _real_root(os.path.abspath(root))
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


_O_PATH = getattr(os, "O_PATH", 0)


def _real_path(path: str) -> str:
    """The real path of path (symlinks resolved). On Linux, from the kernel: opening with O_PATH reads nothing
    and runs no driver (/proc/self/environ, a FIFO), and costs a fifth of os.path.realpath."""
    if _O_PATH:
        try:
            fd = os.open(path, _O_PATH | os.O_CLOEXEC)
        except OSError:
            return os.path.realpath(path)  # missing: the read reports it
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # no /proc
            return os.path.realpath(path)
        finally:
            os.close(fd)
    return os.path.realpath(path)


# Where each kind of file must really lie: a link may lead elsewhere inside the collection, but not out of its
# folder (a static file linked to .git/config, or a static folder linked to the collection, would be published).
# A folder of this list must itself lie strictly inside its parent (the one before it, or the collection).
AREAS = {"templates/static": "templates", "templates": "", "content": "", "annotations": ""}


def _below(real: str, base: str) -> bool:
    return real.startswith(base.rstrip(os.sep) + os.sep)


def _area_real(root: str, area: str) -> str | None:
    """The real path of a collection folder of AREAS, or None when it is not where it must be (strictly inside
    its parent, no dot-folder on the way)."""
    parent = _area_real(root, AREAS[area]) if AREAS[area] else _real_root(os.path.abspath(root))
    real = _real_path(f"{root}{os.sep}{area}")
    if parent is None or not _below(real, parent) or _has_dot_folder(real[len(parent):]):
        return None
    return real


def _has_dot_folder(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.split(os.sep))


def _allowed(real: str, root: str, rel: str) -> bool:
    """Whether rel, whose real path is real, lies inside the collection and inside its AREAS folder."""
    if not _inside(real, root):
        return False
    if rel in AREAS:
        return _area_real(root, rel) is not None
    area = next((a for a in AREAS if rel.startswith(a + "/")), None)
    if area is None:  # site.yaml, node_modules/lunr
        return True
    base = _area_real(root, area)
    return base is not None and (real == base or _below(real, base))  # (a link to the folder itself: walked once)


def inside(root: Path, rel: str) -> bool:
    """Whether root/rel (existing or not) resolves inside the collection at root, and inside its folder there
    (AREAS)."""
    return _allowed(_real_path(f"{root}{os.sep}{rel}"), str(root), rel)


class NotRegular(OSError):
    pass


def _read_bytes(root: Path, rel: str) -> bytes | None:
    """The bytes of root/rel, or None when its real path is outside root (checked before it is opened).

    Open, fstat, read and close only (a buffered file object also asks whether it is a terminal and seeks:
    a build reads two files per article). The real path is opened, not followed again.
    """
    real = _real_path(f"{root}{os.sep}{rel}")
    if not _allowed(real, str(root), rel):
        return None  # not opened
    fd = os.open(real, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(0, "it is not a regular file")
        chunks = [os.read(fd, info.st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_bytes(root: Path, rel: str) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of the collection's file rel (a template, a static file), or a diagnostic."""
    try:
        data = _read_bytes(root, rel)
    except OSError as exc:
        return None, [Diagnostic(rel, 1, 1, f"cannot read the file: {exc.strerror}",
                                 "check its permissions")]
    if data is None:
        return None, [_refusal(_real_path(f"{root}{os.sep}{rel}"), root, rel)]
    return data, []


def read_source(root: Path, rel: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read the collection's file rel (a relative path, shown in diagnostics) as UTF-8 (a BOM is dropped,
    CRLF read as LF)."""
    data, diags = read_bytes(root, rel)
    if data is None:
        return None, diags
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


def walk(root: Path, folder: str) -> tuple[list[str], list[Diagnostic]]:
    """The regular files in the collection's folder and its subfolders (relative paths, sorted), and a refusal
    for each entry, the folder included, whose real path is outside the collection (or that cannot be read: a
    link loop). Symlinks inside it are followed, each real folder once (a link to a parent is no loop)."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    if not (root / folder).is_dir():
        return files, problems
    seen: set[str] = set()
    todo = [folder]
    while todo:
        rel = todo.pop()
        real = _real_path(f"{root}{os.sep}{rel}")
        if not _allowed(real, str(root), rel):
            problems.append(_refusal(real, root, rel, folder=True))
            continue
        if real in seen:
            continue
        seen.add(real)
        if os.path.lexists(os.path.join(real, MARKER)):  # a folder of the collection linked to the output folder
            problems.append(Diagnostic(rel, 1, 1, "the folder is a link to the site's output folder; nothing in it "
                                       "was read", "link to a folder of sources, never to the built site"))
            continue
        try:
            with os.scandir(real) as entries:
                for entry in entries:
                    _walk_entry(root, f"{rel}/{entry.name}", entry, todo, files, problems)
        except OSError as exc:
            problems.append(_unreadable(rel, exc))
    return sorted(files), sorted(problems)


def _walk_entry(root: Path, rel: str, entry: os.DirEntry[str], todo: list[str], files: list[str],
                problems: list[Diagnostic]) -> None:
    try:
        if entry.is_symlink():
            target = _real_path(entry.path)
            if not _allowed(target, str(root), rel):
                problems.append(_refusal(target, root, rel, folder=os.path.isdir(target)))
                return
        if entry.is_dir():
            if entry.name.startswith("."):  # .git and the like: never published
                return
            todo.append(rel)
        elif entry.is_file():
            files.append(rel)
    except OSError as exc:  # a link loop
        problems.append(_unreadable(rel, exc))


def _unreadable(rel: str, exc: OSError) -> Diagnostic:
    return Diagnostic(rel, 1, 1, f"cannot read it: {exc.strerror}", "check the link and its permissions")


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


MAX_DEPTH = 50  # collections nested in one another; the formats need 5 (annotations, one, its links, a link)


def compose_yaml(src: SourceFile) -> tuple[yaml.Node | None, list[Diagnostic]]:
    """Compose YAML into a node tree (positions kept). Syntax errors become diagnostics."""
    deep = _too_deep(src)
    if deep is not None:
        return None, [deep]
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
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, a position in UTF-8 bytes
        return None, [_bad_character(src, exc)]
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml raises no other kind
        return None, [src.diag(src.first_line, 1, f"YAML error: {exc}")]
    if node is not None and "&" in src.text:  # without an anchor there is no alias to expand
        bomb = _alias_bomb(node)
        if bomb is not None:
            return None, [src.at(bomb, f"the YAML expands to more than {NODE_BUDGET:,} values through aliases",
                                 "remove the '&anchor' / '*alias' repetitions: these files need no aliases")]
    return node, []


def _too_deep(src: SourceFile) -> Diagnostic | None:
    """A diagnostic at the collection that opens level MAX_DEPTH + 1, if any, read from libyaml's event stream.

    The count stops there: libyaml's scanner costs time in proportion to the open flow collections for each
    token (docs/performance.md, "Figures behind the code"), so reading on to find the deepest level would not
    be bounded. A syntax
    error ends the count too: composing the text reports it.
    """
    depth = 0
    try:
        for event in yaml.parse(src.text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return src.diag((mark.line if mark else 0) + src.first_line, (mark.column if mark else 0) + 1,
                                    f"the YAML is nested more than {MAX_DEPTH} levels deep: level {depth} opens here",
                                    "these files nest a few levels at most (an annotation's links are 5 deep): "
                                    "check the indentation and the brackets from this line on")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _bad_character(src: SourceFile, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A character libyaml's reader refused, at its line and column, on its line with control characters escaped."""
    before = src.text.encode("utf-8")[:exc.position].decode("utf-8", "ignore")
    line = before.count("\n") + src.first_line
    col = len(before) - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    what = "control character" if unicodedata.category(chr(code)) == "Cc" else "character"
    return Diagnostic(src.rel, line, col, f"YAML does not allow the {what} U+{code:04X}",
                      "delete it: an editor may show it as a box, or not at all", source=src.line_text(line))


NODE_BUDGET = 100_000  # values one file may expand to through aliases


def _alias_bomb(root: yaml.Node) -> yaml.Node | None:
    """The deepest node that expands past NODE_BUDGET through aliases (or cycles), or None.

    Sizes are memoized per node, so this costs one visit per distinct node however the aliases nest. The
    recursion is as deep as the text, at most MAX_DEPTH: nodes are sized in document order, so an alias is
    always reached after its anchor, which is sized (or being sized: a cycle) by then.
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
