"""One case per bad input (tests/bad/*.yaml): the exact diagnostics, exit 1, and the last good site untouched.

Each case lists files written over a copy of the tiny site (``null`` deletes one; ``binary:`` holds
base64) and optional extra ``args``. The expected stderr is tests/bad/<case>.expected (human format)
and tests/bad/<case>.github (``check --format github``); regenerate with ``pytest --update-golden``
and read the diff before committing.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from conftest import TESTS, run, tree_digest

CASES = sorted((TESTS / "bad").glob("*.yaml"))


def apply(root: Path, case: dict) -> None:
    for rel, text in (case.get("files") or {}).items():
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for rel, data in (case.get("binary") or {}).items():
        (root / rel).write_bytes(base64.b64decode(data))


@pytest.mark.parametrize("case_path", CASES, ids=[p.stem for p in CASES])
@pytest.mark.parametrize("command", ["build", "check", "check-github"])
def test_bad_input(case_path: Path, command: str, tiny: Path, update_golden: bool,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    assert run(tiny, "build").code == 0
    before = tree_digest(tiny / "_site")
    apply(tiny, case)
    summary = tiny.parent / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    args = ["check", "--format", "github"] if command == "check-github" else [command]
    result = run(tiny, *args, *case.get("args", []))

    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    expected_path = case_path.with_suffix(".github" if command == "check-github" else ".expected")
    if command != "check" and update_golden:
        expected_path.write_text(result.err, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    if command == "check":
        expected = expected.replace("nothing was written", "check failed")
    assert result.err == expected
    assert result.out == ""
    if command == "check-github":  # only workflow commands on the streams; the human report in the job summary
        assert all(line.startswith("::") for line in result.err.splitlines())
        human = case_path.with_suffix(".expected").read_text(encoding="utf-8").rsplit("\n", 2)[0]  # less the tally
        text = summary.read_text(encoding="utf-8")
        assert text.startswith("### ") and f"\n```\n{human}\n```\n" in text
    assert tree_digest(tiny / "_site") == before, "a failed build must leave the last good site exactly as it was"
    assert not list(tiny.glob(".*staging*")), "the staging folder must be removed"
