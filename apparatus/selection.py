"""``build.py check PATH…``: which articles the named files stand for.

An article and its annotation file are checked as a pair: naming either one names its slug. The registry
(``annotations/_records.yaml``) is always loaded and checked. Naming the registry itself checks every
article: any of them may cite a record that changed, and which records changed is a question for a base
commit that a check does not have (a pull request's changes are known to the workflow, not to the files).

Paths are read as the shell gives them: relative to the current folder, not to ``--root``. A path outside
the collection, a file that is not an article or an annotation file, or one that does not exist is a
usage error (:class:`UsageError`), never a diagnostic: the command line is wrong, not the collection.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

from .annotations import REGISTRY

_FILE = re.compile(r"(?:content/(?P<article>[^/]+)\.md|annotations/(?P<notes>[^/]+)\.yaml)")
USAGE_HINT = ("name articles (content/<slug>.md) and annotation files (annotations/<slug>.yaml) of the collection, "
              "relative to the current folder; with no PATH, check checks everything")


class UsageError(Exception):
    def __init__(self, message: str, hint: str = USAGE_HINT):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclasses.dataclass(frozen=True)
class Selection:
    """The articles (slugs, sorted) a check covers, and the files named for them that exist (to say so)."""

    slugs: tuple[str, ...]
    files: tuple[str, ...]


def select(root: Path, paths: Sequence[str]) -> Selection | None:
    """The selection the paths name; None when they name the registry (then everything is checked).
    Raises :class:`UsageError`."""
    # Real paths on both sides: a --root through a symbolic link (or the current folder's, which the system
    # gives resolved) names the same files. The file itself is not resolved: a link is read, or refused, by sources.
    base = os.path.realpath(root)
    slugs: set[str] = set()
    registry = False
    for given in paths:
        full = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(given))), os.path.basename(given))
        rel = os.path.relpath(full, base).replace(os.sep, "/")
        if rel == ".." or rel.startswith("../"):
            raise UsageError(f"{given} is outside the collection ({base})")
        if rel == f"annotations/{REGISTRY}":
            registry = True
            continue
        match = _FILE.fullmatch(rel)
        if match is None:
            raise UsageError(f"{given} is not an article (content/<slug>.md) or an annotation file "
                             "(annotations/<slug>.yaml)")
        if not os.path.lexists(os.path.join(base, rel)):
            raise UsageError(f"{given}: no such file")
        slugs.add(match["article"] or match["notes"])
    if registry:
        return None
    pairs = [(s, f) for s in sorted(slugs) for f in (f"content/{s}.md", f"annotations/{s}.yaml")]
    return Selection(tuple(sorted(slugs)), tuple(f for _, f in pairs if os.path.lexists(os.path.join(base, f))))
