"""Change classification (a table), debouncing, and real watchdog events for editors' ways of saving."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from apparatus.watch import Debouncer, Kind, Watcher, classify, print_error


@pytest.mark.parametrize("rel, kind", [
    ("site.yaml", Kind.CONFIG),
    ("annotations/_records.yaml", Kind.REGISTRY),
    ("annotations/alpha.yaml", Kind.ANNOTATIONS),
    ("content/alpha.md", Kind.ARTICLE),
    ("templates/article.html", Kind.TEMPLATE),
    ("templates/_macros.html", Kind.TEMPLATE),
    ("templates/static/style.css", Kind.STATIC),
    ("templates/static/img/a.png", Kind.STATIC),
    ("annotations/.alpha.yaml.swp", Kind.IGNORED),
    ("annotations/alpha.yaml~", Kind.IGNORED),
    ("content/.#alpha.md", Kind.IGNORED),
    ("content/4913", Kind.IGNORED),
    ("content/alpha.md.tmp", Kind.IGNORED),
    ("content/notes.txt", Kind.IGNORED),
    ("_site/index.html", Kind.IGNORED),
    ("README.md", Kind.IGNORED),
    ("annotations/sub/x.yaml", Kind.IGNORED),
])
def test_classify(rel: str, kind: Kind) -> None:
    assert classify(rel) is kind


def test_a_burst_becomes_one_change_set() -> None:
    got: list[set[str]] = []
    done = threading.Event()
    d = Debouncer(lambda paths: (got.append(paths), done.set()), quiet=0.05)
    for rel in ("content/a.md", "annotations/a.yaml", "content/a.md"):
        d.add(rel)
        time.sleep(0.01)
    assert done.wait(2)
    time.sleep(0.1)
    d.stop()
    assert got == [{"content/a.md", "annotations/a.yaml"}]


def test_a_steady_stream_still_flushes() -> None:
    got: list[set[str]] = []
    d = Debouncer(got.append, quiet=0.05, longest=0.1)
    end = time.monotonic() + 0.35
    while time.monotonic() < end:
        d.add("content/a.md")
        time.sleep(0.01)
    d.stop()
    assert len(got) >= 2


def test_a_change_set_that_raises_is_reported_and_the_next_one_still_flushes() -> None:
    got: list[set[str]] = []
    errors: list[tuple[str, str]] = []

    def flush(paths: set[str]) -> None:
        if not got:
            got.append(set())
            raise RecursionError("maximum recursion depth exceeded")
        got.append(paths)
    d = Debouncer(flush, quiet=0.02, on_error=lambda exc, what: errors.append((repr(exc), what)))
    d.add("annotations/a.yaml")
    end = time.monotonic() + 3
    while not errors and time.monotonic() < end:
        time.sleep(0.01)
    d.add("content/a.md")
    while len(got) < 2 and time.monotonic() < end:
        time.sleep(0.01)
    d.stop()
    assert errors == [("RecursionError('maximum recursion depth exceeded')", "rebuilding after annotations/a.yaml")]
    assert got == [set(), {"content/a.md"}]


def watch(root: Path) -> tuple[Watcher, list[set[str]], threading.Event]:
    got: list[set[str]] = []
    event = threading.Event()
    w = Watcher(root, lambda paths: (got.append(paths), event.set()), quiet=0.05)
    w.start()
    return w, got, event


def changes(root: Path, action) -> set[str]:  # type: ignore[no-untyped-def]
    w, got, event = watch(root)
    try:
        time.sleep(0.1)
        action()
        assert event.wait(3), "no change seen"
        time.sleep(0.2)
        return set().union(*got)
    finally:
        w.stop()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in ("site.yaml", "content/a.md", "annotations/a.yaml", "templates/static/s.css"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    return tmp_path


def test_atomic_save_is_a_change_of_the_target(tree: Path) -> None:
    def save() -> None:  # how vim, VS Code and many others save: write a temporary file, rename it over
        tmp = tree / "annotations" / ".a.yaml.tmp123"
        tmp.write_text("annotations: []\n")
        os.replace(tmp, tree / "annotations" / "a.yaml")
    assert changes(tree, save) == {"annotations/a.yaml"}


def test_in_place_save_new_file_delete_and_rename(tree: Path) -> None:
    assert changes(tree, lambda: (tree / "content" / "a.md").write_text("y")) == {"content/a.md"}
    assert changes(tree, lambda: (tree / "content" / "b.md").write_text("y")) == {"content/b.md"}
    assert changes(tree, lambda: (tree / "content" / "b.md").unlink()) == {"content/b.md"}
    assert changes(tree, lambda: os.rename(tree / "content" / "a.md", tree / "content" / "c.md")) == \
        {"content/a.md", "content/c.md"}
    assert changes(tree, lambda: (tree / "site.yaml").write_text("z")) == {"site.yaml"}


def test_the_last_resort_error_line_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    """print_error prints input-derived text (a path in `what`, an exception's text) as one escaped line."""
    print_error(ValueError("bad\n::error::pwn\x07"), "rebuilding after content/a\x1b]0;T\x07\n::error::x.md")
    assert capsys.readouterr().err == (
        "build.py serve: error: rebuilding after content/a\\x1b]0;T\\x07\\n::error::x.md failed: "
        "ValueError: bad\\n::error::pwn\\x07\n")
