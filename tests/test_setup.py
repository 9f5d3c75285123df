"""A fresh machine runs every test (issue 18): `make setup` installs Chromium where it can (apt-get as root, or
through `sudo -n`), says how where it cannot and carries on; a missing Chromium then fails the browser tests (never
skips them), and `make test-fast` leaves them out.

`make chromium` runs against stand-ins for id, sudo and apt-get (a PATH of their own), which log their calls."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

HOWTO = "Chromium is missing: "


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)


def make_chromium(tmp_path: Path, uid: int, sudo: bool | None, apt: str | None = "install", font: bool = True
                  ) -> tuple[subprocess.CompletedProcess[str], list[str], Path]:
    """`make chromium` with Chromium missing, as user uid; sudo: None (absent), True (sudo -n works), False (it
    would prompt); apt: None (no apt-get), "install" (installs it), "fail" (exits 100); font: whether fontconfig
    knows a Chinese font (the browser tests draw a Chinese article)."""
    bin_, log, chromium = tmp_path / "bin", tmp_path / "calls.log", tmp_path / "chromium"
    bin_.mkdir()
    stub(bin_, "id", f"echo {uid}\n")
    stub(bin_, "fc-list", 'echo "WenQuanYi Micro Hei"\n' if font else "exit 0\n")
    if apt is not None:
        install = f': > "{chromium}"; {shutil.which("chmod")} +x "{chromium}"' if apt == "install" else "exit 100"
        stub(bin_, "apt-get", f'echo "apt-get $*" >> "{log}"\ncase "$*" in *install*) {install};; esac\n')
    if sudo is not None:
        stub(bin_, "sudo", f'if [ "$*" = "-n true" ]; then exit {0 if sudo else 1}; fi\n'
                           f'echo "sudo $*" >> "{log}"\n[ "$1" = -n ] && shift\nexec "$@"\n')
    env = {"PATH": str(bin_), "APPARATUS_CHROMIUM": str(chromium), "HOME": str(tmp_path)}
    proc = subprocess.run([shutil.which("make") or "make", "--no-print-directory", "-C", str(REPO), "chromium"],
                          env=env, capture_output=True, text=True)
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return proc, calls, chromium


def test_as_root_it_installs_chromium_with_apt_get(tmp_path: Path) -> None:
    proc, calls, chromium = make_chromium(tmp_path, 0, None)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert os.access(chromium, os.X_OK) and HOWTO not in proc.stdout


def test_with_sudo_that_does_not_prompt_it_installs_through_sudo(tmp_path: Path) -> None:
    proc, calls, chromium = make_chromium(tmp_path, 1000, True)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["sudo -n apt-get update -qq", "apt-get update -qq",
                     "sudo -n apt-get install -y -qq chromium", "apt-get install -y -qq chromium"]
    assert os.access(chromium, os.X_OK)


@pytest.mark.parametrize(("uid", "sudo", "apt"), [(1000, False, "install"), (1000, None, "install"), (0, None, None),
                                                  (0, None, "fail")],
                         ids=["sudo-would-prompt", "no-sudo", "no-apt-get", "apt-get-fails"])
def test_where_it_cannot_it_says_how_and_carries_on(tmp_path: Path, uid: int, sudo: bool | None,
                                                    apt: str | None) -> None:
    proc, calls, chromium = make_chromium(tmp_path, uid, sudo, apt)
    assert proc.returncode == 0, proc.stderr  # setup goes on
    assert calls == ([] if apt != "fail" else ["apt-get update -qq", "apt-get install -y -qq chromium"])
    assert proc.stdout.startswith(f"{HOWTO}{chromium} is not an executable (APPARATUS_CHROMIUM). Install it with "
                                  "`sudo apt-get install -y chromium`")
    assert not chromium.exists()


def test_nothing_is_installed_when_chromium_is_there(tmp_path: Path) -> None:
    (tmp_path / "chromium").write_text("", encoding="utf-8")
    (tmp_path / "chromium").chmod(0o755)
    proc, calls, _ = make_chromium(tmp_path, 0, True)
    assert proc.returncode == 0 and calls == [] and proc.stdout == ""


def test_a_missing_chinese_font_is_installed_alone_and_with_chromium(tmp_path: Path) -> None:
    """Without a Chinese font Chromium draws the Chinese test article's characters with no width: setup installs
    fonts-wqy-microhei (in the pages' font stack), and Chromium only if it is missing too (a runner that names its
    own Google Chrome never gets Ubuntu's chromium snap stub)."""
    (tmp_path / "chromium").write_text("", encoding="utf-8")
    (tmp_path / "chromium").chmod(0o755)
    proc, calls, _ = make_chromium(tmp_path, 0, None, font=False)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq fonts-wqy-microhei"]
    both = tmp_path / "both"
    both.mkdir()
    proc, calls, _ = make_chromium(both, 0, None, font=False)
    assert calls == ["apt-get update -qq", "apt-get install -y -qq chromium fonts-wqy-microhei"]
    assert "a Chinese font (Debian: `sudo apt-get install -y fonts-wqy-microhei`" in proc.stdout  # (still missing)


BROWSER_TEST = "tests/test_archives.py::test_archived_copy_shows_without_javascript"


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APPARATUS_CHROMIUM": str(tmp_path / "no-chromium")}
    env.pop("CI", None)  # not only in CI: everywhere
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, BROWSER_TEST],
                          cwd=REPO, env=env, capture_output=True, text=True)


def test_a_missing_chromium_fails_the_browser_tests_with_how_to_install_it(tmp_path: Path) -> None:
    proc = pytest_run(tmp_path)
    assert proc.returncode == 1
    assert f"{HOWTO}{tmp_path / 'no-chromium'} is not an executable" in proc.stdout
    assert "1 error" in proc.stdout and "skipped" not in proc.stdout


def test_test_fast_leaves_the_browser_tests_out(tmp_path: Path) -> None:
    recipe = re.search(r"^test-fast:.*\n\t(.+)$", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert recipe is not None and recipe[1] == '$(PY) -m pytest -m "not browser"'
    proc = pytest_run(tmp_path, "-m", "not browser")
    assert proc.returncode == 5 and "1 deselected" in proc.stdout  # (5: no test ran)


def test_every_test_that_uses_the_browser_is_marked(tmp_path: Path) -> None:
    """Collected whole with -m "not browser": no test left uses the browser fixture (conftest marks them all)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                           "-m", "not browser", "--fixtures-per-test", "tests"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "browser -- " not in proc.stdout and "fixtures used by test_" in proc.stdout
