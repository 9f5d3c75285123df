"""One diagnostic type for every problem a user can cause, and one exception carrying a batch.

Every user-facing problem is a :class:`Diagnostic`: where it is (path, 1-based line and column),
what is wrong, and a hint saying what to do. Code collects them into a list and the CLI prints
them once, sorted, so a contributor sees every problem of a run together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

ERROR = "error"
WARNING = "warning"


@dataclasses.dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = ERROR
    source: str = dataclasses.field(default="", compare=False)  # the offending source line

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        """The human format: ``path:line:col: error: message``, the source line, a caret, a hint."""
        out = [f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"]
        if self.source:
            text = self.source.expandtabs(1)
            out.append(f"    {text}")
            out.append("    " + " " * max(self.col - 1, 0) + "^")
        if self.hint:
            out.append("  hint: " + self.hint.replace("\n", "\n        "))
        return "\n".join(out)

    def format_github(self) -> str:
        """A GitHub Actions workflow command, shown inline on the pull request's diff."""
        text = self.message + (f" (hint: {self.hint})" if self.hint else "")
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{self.severity} file={self.path},line={self.line},col={self.col}::{text}"


class BuildError(Exception):
    """Raised with every diagnostic of a run once a stage cannot go on."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__(f"{len(self.diagnostics)} problem(s)")


def count_errors(diagnostics: Iterable[Diagnostic]) -> int:
    return sum(1 for d in diagnostics if d.is_error)
