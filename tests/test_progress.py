"""Progress on a terminal (issue 18): the stage and the articles done out of the total, on stderr, rewritten in
place, after a delay, at most ~10 times a second, blanked at the end; nothing when stderr is not a terminal or
with -q. The clock is a stand-in (no timed asserts); the terminal is a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import run

from apparatus import cli, forking, progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_before_the_delay_then_the_stage_and_the_count() -> None:
    clock, out = Clock(), io.StringIO()
    p = progress.Progress(out, clock)
    p.stage("articles", 3)
    p.advance()
    clock.now += progress.DELAY_S - 0.01
    p.advance()
    assert out.getvalue() == ""  # a short build prints nothing
    clock.now += 0.01
    p.advance()
    assert out.getvalue() == "\rarticles 3/3"
    p.stage("search index")
    assert out.getvalue() == "\rarticles 3/3\rsearch index …"
    p.clear()
    assert out.getvalue().endswith("\r" + " " * len("search index …") + "\r")


def test_redrawn_at_most_ten_times_a_second() -> None:
    clock, out = Clock(), io.StringIO()
    p = progress.Progress(out, clock)
    clock.now += progress.DELAY_S
    p.stage("articles", 1000)
    for _ in range(1000):  # 1000 articles in one second: 10 redraws, and the stage's own
        clock.now += 0.001
        p.advance()
    assert out.getvalue().count("\r") == 1 + 10
    p.stage("pages", 2)  # a new stage is drawn at once, blanking what the longer line left
    assert out.getvalue().endswith("\rpages 0/2" + " " * (len("articles 1000/1000") - len("pages 0/2")))


def _record(done: list[tuple[int, int]], item: int) -> None:
    done.append((item, os.getpid()))


def _square(state: int, item: int) -> int:
    return state * item * item


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_map_shared_reports_each_item_in_this_process(jobs: int) -> None:
    done: list[tuple[int, int]] = []
    results = forking.map_shared(_square, [1, 2, 3, 4], 10, jobs, done=lambda i: _record(done, i))
    assert results == [10, 40, 90, 160]
    assert sorted(done) == [(i, os.getpid()) for i in (1, 2, 3, 4)]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Callable[[], None]]]:
    """A pseudo-terminal: its master end to read back, and a function that puts sys.stderr on its other end (called
    by the test itself: pytest's capture sets sys.stderr again when the test starts). No delay, no limit on
    redraws."""
    master, slave = os.openpty()
    tty = io.TextIOWrapper(os.fdopen(slave, "wb", buffering=0), encoding="utf-8", write_through=True)
    monkeypatch.setattr(progress, "DELAY_S", 0.0)
    monkeypatch.setattr(progress, "INTERVAL_S", 0.0)
    os.set_blocking(master, False)
    yield master, lambda: monkeypatch.setattr(sys, "stderr", tty)
    tty.close()
    os.close(master)


def shown(master: int) -> str:
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except BlockingIOError:
            return data.decode("utf-8")
        if not chunk:
            return data.decode("utf-8")
        data += chunk


def many(tiny: Path, n: int) -> Path:
    article = (tiny / "content" / "alpha.md").read_text(encoding="utf-8")
    notes = (tiny / "annotations" / "alpha.yaml").read_text(encoding="utf-8")
    for i in range(1, n):
        (tiny / "content" / f"a{i}.md").write_text(article, encoding="utf-8")
        (tiny / "annotations" / f"a{i}.yaml").write_text(notes, encoding="utf-8")
    return tiny


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_on_a_terminal_shows_its_progress_and_blanks_it(tiny: Path, terminal: tuple[int, Callable[[], None]],
                                                                jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    master, attach = terminal
    attach()
    root = many(tiny, 70)  # more than pipeline.PARALLEL_THRESHOLD: with --jobs 2, the articles go to workers
    code = cli.main(["--root", str(root), "--jobs", jobs, "build"])
    text = shown(master)
    assert code == 0
    assert "\rarticles 0/70" in text and "\rarticles 70/70" in text
    assert "\rcollection pages " in text and "\rsearch index …" in text and "\rwriting the site …" in text
    assert text.endswith("\r" + " " * len("writing the site …") + "\r")  # blanked: the terminal's line is clean
    assert "\n" not in text  # one line, rewritten in place
    assert capsys.readouterr().out.startswith("built 70 articles, 560 annotations, 2 records in ")


def test_a_check_on_a_terminal_shows_the_articles(tiny: Path, terminal: tuple[int, Callable[[], None]],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    master, attach = terminal
    attach()
    assert cli.main(["--root", str(tiny), "check"]) == 0
    text = shown(master)
    assert "\rarticles 1/1" in text and "writing" not in text
    assert text.endswith("\r")
    assert capsys.readouterr().out.startswith("checked 1 article, ")


def test_errors_start_on_a_blank_line(tiny: Path, terminal: tuple[int, Callable[[], None]]) -> None:
    master, attach = terminal
    attach()
    (tiny / "annotations" / "alpha.yaml").write_text("annotations: 3\n", encoding="utf-8")
    assert cli.main(["--root", str(tiny), "check"]) == 1
    text = shown(master)
    before, _, after = text.partition("annotations/alpha.yaml:1:")
    assert before.endswith("\r" + " " * len("articles 1/1") + "\r") and after


def test_quiet_on_a_terminal_prints_nothing(tiny: Path, terminal: tuple[int, Callable[[], None]],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    master, attach = terminal
    attach()
    assert cli.main(["--root", str(tiny), "build", "-q"]) == 0
    assert shown(master) == ""
    assert capsys.readouterr().out == ""


def test_no_progress_when_stderr_is_not_a_terminal(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_S", 0.0)
    result = run(tiny, "build")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("built 1 article, ") and result.out.count("\n") == 1


def test_no_progress_in_the_github_format(tiny: Path, terminal: tuple[int, Callable[[], None]],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    master, attach = terminal
    attach()
    assert cli.main(["--root", str(tiny), "check", "--format", "github"]) == 0
    assert shown(master) == ""
    assert capsys.readouterr().out.startswith("::notice::checked 1 article, ")
