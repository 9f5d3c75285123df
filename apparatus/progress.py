"""A long build's progress on a terminal: the stage, and the articles (or pages) done out of the total.

One line on stderr, rewritten in place (``\\r``), shown only once the build has run for :data:`DELAY_S`
(a short build prints nothing), redrawn at most every :data:`INTERVAL_S`, and blanked at the end so the
diagnostics and the summary line start on a clean line. Silent when stderr is not a terminal (logs and
CI stay clean) and with ``-q``.

The build reports from its parent process only: a stage's start, and each chunk of articles or run of
pages as it is done there or its result comes back from a worker (:func:`apparatus.forking.map_shared`'s
``done``). No thread draws the line: a build forks its workers, and never forks a process that has threads
running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

DELAY_S = 2.0  # a build shorter than this shows no progress
INTERVAL_S = 0.1  # at most ~10 redraws a second


class Progress:
    """The line on ``stream``; with stream None, nothing (the same calls, no output)."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self._stream, self._clock = stream, clock
        self._started = clock()
        self._drawn_at = float("-inf")
        self._width = 0  # characters of the line on screen, to blank
        self._stage, self._done, self._total = "", 0, 0

    def stage(self, name: str, total: int = 0) -> None:
        """A new stage, with the number of its items (0: not counted); drawn now if the delay has passed."""
        self._stage, self._done, self._total = name, 0, total
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        self._done += n
        self._draw()

    def clear(self) -> None:
        """Blank the line (before anything else is printed to the terminal)."""
        if self._stream is not None and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0

    def _draw(self, force: bool = False) -> None:
        if self._stream is None:
            return
        now = self._clock()
        if now - self._started < DELAY_S or (not force and now - self._drawn_at < INTERVAL_S):
            return
        text = f"{self._stage} {self._done}/{self._total}" if self._total else f"{self._stage} …"
        self._stream.write("\r" + text + " " * max(0, self._width - len(text)))
        self._stream.flush()
        self._width, self._drawn_at = len(text), now


SILENT = Progress()


def on_terminal(stream: TextIO, quiet: bool) -> Progress:
    """A Progress drawn on stream if it is a terminal and not quiet; else a silent one."""
    isatty = getattr(stream, "isatty", None)
    return Progress(stream) if not quiet and isatty is not None and isatty() else Progress()
