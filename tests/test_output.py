import ctypes
import errno
import fcntl
import os
import random
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, bench_gen, run, tree_digest

from apparatus import output
from apparatus.output import MARKER, OutputLock, OutputNotOurs, Staging


def test_commit_swaps_in_and_discard_leaves_old(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    with OutputLock(out) as held:
        s = Staging(held)
        s.write("a/index.html", "one")
        s.commit()
    assert (out / "a/index.html").read_text() == "one" and (out / MARKER).is_file()
    with OutputLock(out) as held:
        s = Staging(held)
        s.write("a/index.html", "two")
        s.discard()
    assert (out / "a/index.html").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.lock", "_site"]


def test_a_folder_not_made_by_us_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputNotOurs), OutputLock(out) as held:
        Staging(held)
    assert (out / "precious.txt").read_text() == "keep me"


# --- the swap, the lock and the leftovers (issue 14, finding 3) ---


LEFTOVER_KINDS = ("staging", "old", "trash")


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if any(f".{k}-" in p.name for k in LEFTOVER_KINDS))


def staged(out: Path, files: dict[str, str], kind: str = "staging", pid: int = 999_999_999,
           marker: bool = True) -> Path:
    """A folder beside the output as a killed build leaves it."""
    folder = out.parent / f".{out.name}.{kind}-{pid}"
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    if marker:
        (folder / MARKER).write_bytes(output.MARKER_TEXT)
    return folder


def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    assert output.exchange(tmp_path / "a", tmp_path / "b"), "renameat2(RENAME_EXCHANGE) works on this machine"
    assert not (tmp_path / "a" / "x").exists() and (tmp_path / "b" / "x").read_text() == "a"


def test_an_interrupted_two_rename_swap_is_completed_with_a_complete_new_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    staged(out, {"index.html": "old"}, "old")
    staged(out, {"index.html": "new"}, "staging")
    OutputLock(out).close()
    assert (out / "index.html").read_text() == "new" and (out / MARKER).is_file()
    assert leftovers(tmp_path) == []


def test_an_interrupted_two_rename_swap_is_undone_when_the_new_site_is_incomplete(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    staged(out, {"index.html": "old"}, "old")
    staged(out, {"index.html": "half"}, "staging", marker=False)
    OutputLock(out).close()
    assert (out / "index.html").read_text() == "old"
    assert leftovers(tmp_path) == []


def test_leftovers_of_dead_builds_are_removed_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    for kind in LEFTOVER_KINDS:
        staged(out, {"a/b.html": "x"}, kind, pid=123)
    (tmp_path / "._site.staging-7").symlink_to(outside)
    staged(tmp_path / "_site2", {"a.html": "x"})  # another output's: not ours to remove
    (tmp_path / "._site.staging-x").mkdir()  # not a PID: not a name we make
    OutputLock(out).close()
    assert leftovers(tmp_path) == ["._site.staging-x", "._site2.staging-999999999"]
    assert (outside / "keep").read_text() == "keep"
    assert (tmp_path / "._site.staging-x").is_dir()


def hold_lock(out: Path, pid: str) -> int:
    fd = os.open(out.parent / f".{out.name}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, f"{pid}\n".encode())
    return fd


def test_a_build_waits_for_the_lock_then_names_the_holder(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fd = hold_lock(tiny / "_site", "4242")
    monkeypatch.setattr(output, "LOCK_WAIT", 0.3)
    try:
        result = run(tiny, "build")
        assert (result.code, result.out) == (1, "")
        assert result.err == (f"build.py: error: another build (pid 4242) is writing {tiny / '_site'}; gave up after "
                              "waiting 0.3 s\n  hint: let it finish, or stop it, then build again\n")
        result = run(tiny, "build", "--format", "github")
        assert result.err == (f"::error::another build (pid 4242) is writing {tiny / '_site'}; gave up after "
                              "waiting 0.3 s (hint: let it finish, or stop it, then build again)\n")
        assert run(tiny, "check").code == 0, "check takes no lock"
        assert not (tiny / "_site").exists() and leftovers(tiny) == []
    finally:
        os.close(fd)


def test_a_second_build_waits_for_the_first(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fd = hold_lock(tiny / "_site", str(os.getpid()))
    waits: list[float] = []

    def first_build_ends(seconds: float) -> None:  # the build found the lock taken and waits: the first one ends
        waits.append(seconds)
        if len(waits) == 1:
            os.close(fd)

    # output's own clock, not the time module's: the build's other waits (subprocess's, under the history's git
    # processes) sleep as usual
    clock = types.SimpleNamespace(monotonic=time.monotonic, sleep=first_build_ends)
    monkeypatch.setattr(output, "time", clock)
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert len(waits) == 1, "the build waited once, then took the freed lock"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection whose build takes a little while (about a second), from bench/gen.py."""
    gen: Any = bench_gen()
    root = tmp_path_factory.mktemp("kill") / "coll"
    gen.generate(root, 12, seed=3)
    return root


def build_command(root: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(root), "--jobs", "1", "-q", "build"]


def set_title(root: Path, title: str) -> None:
    site = root / "site.yaml"
    site.write_text("\n".join(f"title: {title}" if line.startswith("title:") else line
                              for line in site.read_text().splitlines()) + "\n")


def test_builds_killed_at_random_moments_leave_a_whole_site(generated: Path, tmp_path: Path) -> None:
    root = tmp_path / "coll"
    shutil.copytree(generated, root)
    sites = {}
    for title in ("A", "B"):  # two different complete sites: every page names the title
        set_title(root, title)
        started = time.monotonic()
        subprocess.run(build_command(root), check=True, stderr=subprocess.DEVNULL)
        took = time.monotonic() - started  # not asserted: it spreads the kills over a whole build
        sites[title] = tree_digest(root / "_site")
    assert sites["A"] != sites["B"]
    rng = random.Random(14)
    for i in range(20):
        set_title(root, "AB"[i % 2])
        proc = subprocess.Popen(build_command(root), stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took * 1.1))
        proc.kill()
        proc.wait()
        assert tree_digest(root / "_site") in sites.values(), f"kill {i}: the output is not a whole site"
    assert run(root, "--jobs", "1", "build").code == 0
    assert tree_digest(root / "_site") == sites["AB"[19 % 2]]
    assert leftovers(root) == [], "a build removes what killed builds left"


FALLBACK_KILLED = """
import os, signal, sys
from apparatus import cli, output

output._renameat2 = lambda: None  # as where the C library has no renameat2: two renames
rename = os.rename

def rename_then_die(src, dst):
    rename(src, dst)
    if ".old-" in os.fspath(dst):  # the old site moved aside, the new one not yet in place
        os.kill(os.getpid(), signal.SIGKILL)

os.rename = rename_then_die
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_fallback_swap_killed_between_its_renames_is_completed_by_the_next_build(tiny: Path) -> None:
    assert run(tiny, "build").code == 0
    old = tree_digest(tiny / "_site")
    (tiny / "site.yaml").write_text((tiny / "site.yaml").read_text().replace("Tiny collection", "Tiny, again"))
    proc = subprocess.Popen([sys.executable, "-c", FALLBACK_KILLED, "--root", str(tiny), "-q", "build"], cwd=REPO)
    assert proc.wait() == -9
    assert not (tiny / "_site").exists()
    assert leftovers(tiny) == [f"._site.old-{proc.pid}", f"._site.staging-{proc.pid}"]
    assert run(tiny, "check").code == 0, "check neither needs nor repairs the output"
    assert not (tiny / "_site").exists() and len(leftovers(tiny)) == 2
    ann = tiny / "annotations" / "alpha.yaml"
    good = ann.read_text(encoding="utf-8")
    ann.write_text(good.replace("type: context", "type: contxt", 1), encoding="utf-8")
    assert run(tiny, "build").code == 1, "a build that fails, too, first finishes the swap"
    repaired = tree_digest(tiny / "_site")
    assert leftovers(tiny) == []
    ann.write_text(good, encoding="utf-8")
    assert run(tiny, "build").code == 0
    assert tree_digest(tiny / "_site") == repaired != old, "the killed build's new site was complete: swapped in"


def test_two_builds_at_once_both_succeed_in_turn(generated: Path, tmp_path: Path) -> None:
    root = tmp_path / "coll"
    shutil.copytree(generated, root)
    alone = subprocess.run(build_command(root), check=True, stderr=subprocess.PIPE, text=True)
    reference = tree_digest(root / "_site")
    procs = [subprocess.Popen(build_command(root), stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate()[1] for p in procs]  # (reads to the end and closes the pipe: no deadlock, no leak)
    results = [(p.returncode, err) for p, err in zip(procs, errs, strict=True)]
    assert results == [(0, alone.stderr)] * 2  # the generated collection's warnings, and nothing else
    assert tree_digest(root / "_site") == reference and leftovers(root) == []


def test_output_through_a_symbolic_link_is_refused(tiny: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tiny / "_site").symlink_to(elsewhere)
    result = run(tiny, "build")
    assert result.code == 1
    assert result.err.startswith("site.yaml:1:1: error: output folder '_site' cannot be written: '_site' is a "
                                 "symbolic link\n")
    assert list(elsewhere.iterdir()) == []


def test_a_lock_file_that_is_a_link_or_a_folder_is_an_error_not_a_traceback(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    (tiny / "._site.lock").symlink_to(target)
    result = run(tiny, "build")
    assert (result.code, result.err) == (1, f"build.py: error: cannot open the lock file {tiny / '._site.lock'}: "
                                            "Too many levels of symbolic links\n"
                                            "  hint: remove it (only a build makes it, as a plain file)\n")
    assert target.read_text() == "keep"
    (tiny / "._site.lock").unlink()
    (tiny / "._site.lock").mkdir()
    assert run(tiny, "build").err.endswith(": Is a directory\n"
                                           "  hint: remove it (only a build makes it, as a plain file)\n")


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_an_exchange_the_system_refuses_falls_back_to_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   code: int) -> None:
    def refused(*args: object) -> int:
        ctypes.set_errno(code)
        return -1

    monkeypatch.setattr(output, "_renameat2", lambda: refused)
    out = tmp_path / "_site"
    for text in ("one", "two"):
        with OutputLock(out) as held:
            s = Staging(held)
            s.write("index.html", text)
            s.commit()
    assert (out / "index.html").read_text() == "two" and leftovers(tmp_path) == []
    ctypes.set_errno(errno.EACCES)
    monkeypatch.setattr(output, "_renameat2", lambda: lambda *args: -1)  # any other failure is raised
    with pytest.raises(PermissionError):
        output.exchange(out, tmp_path)


def test_an_old_site_that_cannot_be_deleted_after_the_swap_is_a_warning(tiny: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The new site is published once the swap is done: an OSError deleting the old one (its .trash-PID folder)
    is one warning line, not a traceback and exit 1, and the next build's leftover removal takes the folder.
    (Without the cache: with it, the old site is kept as the next build's spare, not deleted.)"""
    assert run(tiny, "build", "--no-cache").code == 0
    real_rmtree = shutil.rmtree

    def refuse_trash(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if ".trash-" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_rmtree(path, *args, **kwargs)
    monkeypatch.setattr(output.shutil, "rmtree", refuse_trash)
    alpha = tiny / "content" / "alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nA closing paragraph, added.\n", encoding="utf-8")
    result = run(tiny, "build", "--no-cache")
    assert result.code == 0, result.err
    assert result.err == (f"_site:1:1: warning: the old site could not be deleted: Permission denied\n"
                          f"  hint: the next build removes ._site.trash-{os.getpid()}\n")
    page = tiny / "_site" / "articles" / "alpha" / "index.html"
    assert "A closing paragraph, added." in page.read_text(encoding="utf-8")
    assert [p.name for p in tiny.glob("._site.trash-*")] == [f"._site.trash-{os.getpid()}"]
    monkeypatch.setattr(output.shutil, "rmtree", real_rmtree)
    assert run(tiny, "build", "--no-cache").code == 0
    assert list(tiny.glob("._site.trash-*")) == []
