"""Shared fixtures: copies of the tiny fixture site, an in-process CLI runner, output snapshots."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apparatus import cli

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
TINY = TESTS / "sites" / "tiny"
MULTILINGUAL = TESTS / "sites" / "multilingual"  # French, Chinese and Uyghur articles (its README.md)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the browser (the fixture, directly or through another fixture) is marked browser:
    ``-m "not browser"`` (make test-fast) deselects exactly those."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def copy_site(src: Path, dest: Path) -> Path:
    """A collection copied to dest, with the repository's real templates."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("_site"))
    if not (dest / "templates").exists():
        shutil.copytree(REPO / "templates", dest / "templates")
    return dest


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return copy_site(TINY, tmp_path / "tiny")


COLLECTION_PARTS = ("site.yaml", "content", "annotations", "templates")
COLLECTION_URL = "https://example.org/xinjiang/"  # a published address with a path prefix, as on project Pages
COLLECTION_REPO = "https://github.com/example/xinjiang"


def copy_collection(dest: Path) -> Path:
    """The repository's own collection (the first two articles), copied to dest."""
    dest.mkdir(parents=True)
    for name in COLLECTION_PARTS:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def repository_git_dir() -> str:
    """This checkout's git folder ('' when it is no repository, e.g. an unpacked archive)."""
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--absolute-git-dir"], capture_output=True,
                          text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


@contextlib.contextmanager
def repository_history(work_tree: Path) -> Iterator[None]:
    """git, run on a copy of the collection, reads this repository's history (GIT_DIR, GIT_WORK_TREE): the copy's
    notes get their real dates."""
    git_dir = repository_git_dir()
    saved = {k: os.environ.get(k) for k in ("GIT_DIR", "GIT_WORK_TREE")}
    if git_dir:
        os.environ.update(GIT_DIR=git_dir, GIT_WORK_TREE=str(work_tree))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def collection_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real collection, built once per test session (tests only read it), its notes dated by this repository's
    history."""
    root = copy_collection(tmp_path_factory.mktemp("collection") / "c")
    with (root / "site.yaml").open("a", encoding="utf-8") as f:  # the deploy workflow adds the Pages address
        f.write(f"base_url: {COLLECTION_URL}\nrepo_url: {COLLECTION_REPO}\n")
    with repository_history(root):
        result = run(root, "build")
    assert result.code == 0, result.err
    assert result.err == "", "the collection must build without warnings"
    return root / "_site"


@pytest.fixture(scope="session")
def served_collection(collection_site: Path) -> Iterator[str]:
    """The built collection over HTTP on loopback: its base URL."""
    yield from _serving(collection_site)


def _serving(site: Path) -> Iterator[str]:
    """A built site over HTTP on loopback for the fixture's lifetime: yields its base URL."""
    from browser import serve

    server, base = serve(site)
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def multilingual_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The multilingual fixture collection, built once per test session (tests only read it)."""
    root = copy_site(MULTILINGUAL, tmp_path_factory.mktemp("multilingual") / "m")
    result = run(root, "build")
    assert result.code == 0, result.err
    assert result.err == "", "the fixture must build without warnings"
    return root / "_site"


@pytest.fixture(scope="session")
def served_multilingual(multilingual_site: Path) -> Iterator[str]:
    """The built multilingual fixture over HTTP on loopback: its base URL."""
    yield from _serving(multilingual_site)


@dataclasses.dataclass
class Run:
    code: int
    out: str
    err: str


def run(root: Path, *args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(["--root", str(root), *args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def bench_gen() -> object:
    """bench/gen.py, the benchmarks' generator of synthetic collections, as a module."""
    return bench_module("gen")


def bench_module(name: str) -> Any:
    """bench/<name>.py as a module (bench/ on the path while it loads: its modules import each other)."""
    import importlib.util

    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "bench"))


def process_state(pid: int) -> str:
    """A process's state letter (R, S, D, Z…) from /proc, or "" when it is gone (Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return ""


def ends_within(pid: int, seconds: float) -> bool:
    """Whether the process is gone (or a zombie its new parent has not reaped yet) within that many seconds."""
    deadline = time.monotonic() + seconds
    while process_state(pid) not in ("", "Z") and time.monotonic() < deadline:
        time.sleep(0.02)
    return process_state(pid) in ("", "Z")


def killed_leaves_none(cmd: list[str], seconds: float, settle: float = 0.0) -> bool:
    """Run cmd, whose first line of output is the PID of a process it started; kill cmd (SIGKILL) settle seconds
    after that line: whether that process ends within seconds (it is killed afterwards either way)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        time.sleep(settle)
        assert process_state(child) in ("S", "R", "D")  # at work, or waiting
        proc.kill()
        proc.wait(timeout=10)
        return ends_within(child, seconds)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        if child and process_state(child) not in ("", "Z"):
            os.kill(child, 9)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under folder (relative path → sha256), to prove an output was left untouched."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


from browser import browser  # noqa: E402,F401  (the one session-wide Chromium for every browser test)
