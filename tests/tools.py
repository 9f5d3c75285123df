"""External tools the quality gates use: found, or skipped locally and failed in CI (CI=true).

Chromium is the exception: a missing Chromium fails the browser tests everywhere, with how to install it
(``make setup`` installs it where it can). To run every test but the browser's, deselect them:
``make test-fast`` (``pytest -m "not browser"``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# The browser the tests drive (never one Playwright downloads): Debian's chromium, or the setting's, e.g. the
# Google Chrome of GitHub's runners (.github/workflows).
CHROMIUM = Path(os.environ.get("APPARATUS_CHROMIUM") or "/usr/bin/chromium")


def chromium_howto() -> str:
    return (f"Chromium is missing: {CHROMIUM} is not an executable (APPARATUS_CHROMIUM). Install it with "
            "`sudo apt-get install -y chromium` (Debian; `make setup` does it when run as root or when "
            "`sudo -n` works), or set APPARATUS_CHROMIUM to a Chromium or Google Chrome executable. "
            "`make test-fast` runs every test but the browser tests.")


def chromium_found() -> bool:
    return os.access(CHROMIUM, os.X_OK) and not CHROMIUM.is_dir()


def require_chromium() -> None:
    """Fail (never skip) a browser test when Chromium is missing: deselecting them is the way not to run them."""
    if not chromium_found():
        pytest.fail(chromium_howto(), pytrace=False)


def chinese_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (Chromium draws the Chinese test article's text with one:
    without it the characters have no width, and the tests of how its lines wrap measure nothing)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    import subprocess

    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=30)
    return bool(found.stdout.strip())


CHINESE_FONT = "a Chinese font (Debian: `sudo apt-get install -y fonts-wqy-microhei`, in the pages' font stack)"


def require(ok: bool, what: str) -> None:
    """Skip a test whose tool is missing — except in CI, where every gate must run."""
    if ok:
        return
    message = f"{what} is missing: run `make setup`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI must run every gate")
    pytest.skip(message)


def java() -> str:
    path = shutil.which("java") or ""
    require(bool(path) and VNU_JAR.is_file(), "java and node_modules/vnu-jar")
    return path


def missing_packages() -> list[str]:
    """The Debian packages `make setup` installs for the browser tests, of those missing: Chromium only when the
    browser the tests drive is missing (a runner that names its Google Chrome never gets Ubuntu's snap stub)."""
    missing = []
    if not chromium_found():
        missing.append("chromium")
    if not chinese_font():
        missing.append("fonts-wqy-microhei")
    return missing


if __name__ == "__main__":  # make setup: `--missing` prints the packages to install; else exit 0 when none is
    # missing, or say how to install them and exit 1
    packages = missing_packages()
    if sys.argv[1:] == ["--missing"]:
        print(" ".join(packages))
        sys.exit(0)
    if packages:
        print(chromium_howto() if "chromium" in packages else f"{CHINESE_FONT} is missing")
    sys.exit(1 if packages else 0)
