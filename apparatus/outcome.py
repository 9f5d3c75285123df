"""What a build or check returns: its counts, diagnostics and timing (light: the cache replays it without the
engine's other modules, apparatus.cache)."""

from __future__ import annotations

import dataclasses

from .errors import Diagnostic


@dataclasses.dataclass
class BuildResult:
    articles: int
    annotations: int
    records: int
    seconds: float
    diagnostics: list[Diagnostic]
    output: str = ""
    moved: int = 0  # annotations anchored approximately after their article changed
    drafts: tuple[str, ...] = ()  # the articles skipped as drafts (their paths)
    reused: int = -1  # articles taken from the cache (apparatus.cache); -1: no cache; see `unchanged`
    unchanged: bool = False  # nothing had changed since the last run: its result, replayed, and nothing written
    cache_note: str = ""  # why the cache was not used, when it was not (a damaged or committed cache)
