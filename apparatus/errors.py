"""One diagnostic type for every problem a user can cause, and one exception carrying a batch.

Every user-facing problem is a :class:`Diagnostic`: where it is (path, 1-based line and column),
what is wrong, and a hint saying what to do. Code collects them into a list and the CLI prints
them once, sorted, so a contributor sees every problem of a run together.

Paths, messages, hints and source lines hold text from the collection, which in a pull request is
hostile. Every format escapes it here, once: control characters (newlines included) show as
``\\n``, ``\\x1b``…, so no input can start a line of its own, move a terminal's cursor, or give a CI
runner a workflow command; and the source line shown is cut to a bounded length.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable

ERROR = "error"
WARNING = "warning"

SOURCE_WIDTH = 200  # at most this many characters of a source line are shown, around the column
TEXT_WIDTH = 600  # a message or a hint line longer than this keeps its start and end
ELLIPSIS = "…"

# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source"); other format
# characters (zero-width joiners, marks) are part of real text in several scripts and are kept.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LEGACY_COMMAND = "##["  # GitHub's runner reads a ##[command] anywhere in a line


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    if ch in BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
    return ch


def printable(text: str) -> str:
    """Text from input as one safe line: control characters escaped, nothing a CI runner would obey."""
    if text.isprintable() and _LEGACY_COMMAND not in text:  # the common case: nothing to escape
        return text
    return "".join(map(_escape_char, text)).replace(_LEGACY_COMMAND, "##\\x5b")


_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u2028\u2029]")  # json.dumps escapes U+0000-U+001F only


def json_controls_escaped(text: str) -> str:
    """JSON text with DEL, the C1 controls and the line and paragraph separators written as \\uXXXX too (json.dumps
    escapes U+0000-U+001F, and writes the others as they are when ensure_ascii is off): for the JSON the site
    writes that way (the Web Annotation files, the ClaimReview scripts, the records' CSL-JSON)."""
    return _JSON_UNESCAPED.sub(_json_escape, text) if _JSON_UNESCAPED.search(text) else text


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def shorten(text: str, width: int = TEXT_WIDTH) -> str:
    """Text cut to at most width characters, keeping its start and its end."""
    if len(text) <= width:
        return text
    head = (width - 1) * 2 // 3
    return text[:head] + ELLIPSIS + text[len(text) - (width - 1 - head):]


def source_excerpt(source: str, col: int, width: int = SOURCE_WIDTH) -> tuple[str, int]:
    """The source line as shown (escaped, at most width characters around col) and the caret's offset in it, in
    terminal cells (:func:`cells`: a Chinese character takes two, a combining mark none)."""
    source = source.expandtabs(1)  # one column per character, so the caret lines up
    before = max(col - 1, 0)
    caret = len(printable(source[:before]))
    text = printable(source)
    if len(text) <= width:
        return text, cells(text[:caret])
    start = min(max(caret - width // 2, 0), len(text) - width)
    end = start + width
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    shown = prefix + text[start + len(prefix):end - len(suffix)] + suffix
    return shown, cells(shown[:caret - start])


def cells(text: str) -> int:
    """How many terminal cells text takes: two for a wide character (East Asian Width W or F: Chinese, Japanese,
    fullwidth forms), none for a combining mark or a format character (Arabic harakat, joiners), one for the rest.
    A diagnostic's column counts characters (as YAML, editors and GitHub do); only the caret under the source line
    is placed by cells. Right-to-left text is shown by terminals in their own ways: there the caret counts the line
    in logical order, from its first character."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _github_escape(text: str, is_property: bool = False) -> str:
    """GitHub's toolkit escaping: data escapes %, CR and LF; a property also : and ,."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def workflow_command(kind: str, text: str, **properties: str | int) -> str:
    """``::kind prop=value,…::text``, a GitHub Actions workflow command, every part escaped."""
    props = ",".join(f"{name}={_github_escape(printable(str(value)), is_property=True)}"
                     for name, value in properties.items())
    return f"::{kind}{' ' if props else ''}{props}::{_github_escape(text)}"


@dataclasses.dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    message: str
    hint: str = ""  # line breaks in a hint are the engine's own (a snippet to paste); all else is escaped
    severity: str = ERROR
    source: str = dataclasses.field(default="", compare=False)  # the offending source line

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def _hint_lines(self) -> list[str]:
        return [shorten(printable(line)) for line in self.hint.split("\n")]

    def format(self) -> str:
        """The human format: ``path:line:col: error: message``, the source line, a caret, a hint."""
        out = [f"{printable(self.path)}:{self.line}:{self.col}: {self.severity}: {shorten(printable(self.message))}"]
        if self.source:
            text, caret = source_excerpt(self.source, self.col)
            out.append(f"    {text}")
            out.append("    " + " " * caret + "^")
        if self.hint:
            first, *more = self._hint_lines()
            out += ["  hint: " + first, *("        " + line for line in more)]
        return "\n".join(_not_a_command(line) for line in out)

    def format_github(self) -> str:
        """A GitHub Actions workflow command, shown inline on the pull request's diff."""
        text = shorten(printable(self.message)) + (f" (hint: {chr(10).join(self._hint_lines())})" if self.hint else "")
        return workflow_command(self.severity, text, file=self.path, line=self.line, col=self.col)


def _not_a_command(line: str) -> str:
    """A line that GitHub's runner would read as a workflow command (``::`` after blanks) made plain text.

    Input cannot put a line break in a message, but a hint's own lines may begin with input text."""
    stripped = line.lstrip()
    if stripped.startswith("::"):
        return line[:len(line) - len(stripped)] + "\\x3a" + stripped[1:]
    return line


class BuildError(Exception):
    """Raised with every diagnostic of a run once a stage cannot go on."""

    def __init__(self, diagnostics: Iterable[Diagnostic], drafts: tuple[str, ...] = ()):
        self.diagnostics = sorted(set(diagnostics))
        self.drafts = drafts  # the articles skipped as drafts (apparatus.drafts), said even when the run fails
        super().__init__(f"{len(self.diagnostics)} problem(s)")


def count_errors(diagnostics: Iterable[Diagnostic]) -> int:
    return sum(1 for d in diagnostics if d.is_error)
