"""The code stays ruff- and mypy-clean (configured in pyproject.toml)."""

import subprocess
import sys

from conftest import REPO


def test_ruff() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "apparatus", "tests", "bench", "build.py"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
