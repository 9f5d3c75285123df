"""External tools the quality gates use: found, or skipped locally and failed in CI (CI=true)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")


def require(ok: bool, what: str) -> None:
    """Skip a test whose tool is missing — except in CI, where every gate must run."""
    if ok:
        return
    message = f"{what} is missing: run `make setup` (and `apt-get install -y chromium` for browser tests)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI must run every gate")
    pytest.skip(message)


def java() -> str:
    path = shutil.which("java") or ""
    require(bool(path) and VNU_JAR.is_file(), "java and node_modules/vnu-jar")
    return path
