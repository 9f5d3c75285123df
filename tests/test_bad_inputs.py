"""One case per bad input (tests/bad/*.yaml): the exact diagnostics, exit 1, and the last good site untouched.

Each case lists files written over a copy of the tiny site (``null`` deletes one; ``binary:`` holds base64) and
optional extra ``args``. ``outside:`` files are written beside the site, outside the collection, and ``links:``
replaces paths of the site with symlinks (to a path under ``outside:``, an absolute one, or, written as it is, a
relative one starting with ``..``): nothing of an outside file may appear on either stream or in the site. The
expected stderr is tests/bad/<case>.expected (human format) and tests/bad/<case>.github (``check --format github``);
regenerate with ``pytest --update-golden`` and read the diff before committing.
"""

from __future__ import annotations

import base64
import shutil
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
    for rel, text in (case.get("outside") or {}).items():
        path = root.parent / "outside" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, target in (case.get("links") or {}).items():
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target if target.startswith(("/", "..")) else root.parent / "outside" / target)


def secrets(root: Path, case: dict) -> list[str]:
    """Lines of the files outside the collection that the case links to (its own, /etc/passwd, the environment)."""
    texts = list((case.get("outside") or {}).values())
    texts += [Path(t).read_bytes().decode("utf-8", "replace") for t in (case.get("links") or {}).values()
              if t.startswith("/")]
    return [line for text in texts for line in text.replace("\0", "\n").split("\n") if len(line.strip()) >= 8]


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
    shown = result.out + result.err + (summary.read_text(encoding="utf-8") if summary.exists() else "")
    published = [p.read_bytes().decode("utf-8", "replace") for p in (tiny / "_site").rglob("*") if p.is_file()]
    for secret in secrets(tiny, case):
        assert secret not in shown and not any(secret in page for page in published), secret
    assert tree_digest(tiny / "_site") == before, "a failed build must leave the last good site exactly as it was"
    assert not list(tiny.glob(".*staging*")), "the staging folder must be removed"


def deep_block_list(key: str, levels: int) -> str:
    """key: and a block list `levels` deep, two spaces per level (as an editor indents)."""
    return f"{key}:\n" + "".join("  " * i + "-\n" for i in range(1, levels + 1)) + "  " * (levels + 1) + "x\n"


def test_nesting_far_past_the_recursion_limit(tiny: Path) -> None:
    """Issue 14, finding 1: a block list 500 deep in an annotation file, front matter or the registry crashed
    fastyaml's recursive parser; a flow list 990 deep with an anchor, the alias-bomb check. Each is one error,
    at the line that opens level 51."""
    article = (tiny / "content" / "alpha.md").read_text(encoding="utf-8")
    (tiny / "content" / "beta.md").write_text(article, encoding="utf-8")
    (tiny / "content" / "alpha.md").write_text(article.replace("---\n", "---\n" + deep_block_list("x", 500), 1),
                                               encoding="utf-8")
    (tiny / "annotations" / "alpha.yaml").write_text(deep_block_list("annotations", 500), encoding="utf-8")
    (tiny / "annotations" / "beta.yaml").write_text("annotations: &a " + "[" * 990 + "]" * 990 + "\n",
                                                    encoding="utf-8")
    (tiny / "annotations" / "_records.yaml").write_text(deep_block_list("records", 500), encoding="utf-8")
    result = run(tiny, "check")
    assert result.code == 1 and "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if ": error: " in line]
    assert errors == [
        "annotations/_records.yaml:51:101: error: the YAML is nested more than 50 levels deep: level 51 opens here",
        "annotations/alpha.yaml:51:101: error: the YAML is nested more than 50 levels deep: level 51 opens here",
        "annotations/beta.yaml:1:66: error: the YAML is nested more than 50 levels deep: level 51 opens here",
        "content/alpha.md:52:101: error: the YAML is nested more than 50 levels deep: level 51 opens here",
    ]
    (tiny / "site.yaml").write_text("title: T\nlanguage: en\n" + deep_block_list("description", 500), encoding="utf-8")
    result = run(tiny, "check")
    assert result.code == 1 and result.err.startswith(
        "site.yaml:53:101: error: the YAML is nested more than 50 levels deep: level 51 opens here\n")


def test_deep_nesting_saved_during_the_preview_is_an_error_then_the_fix_builds(tiny: Path) -> None:
    """The save that used to kill the preview's rebuild thread with a RecursionError is reported like any error."""
    from apparatus.preview import Preview

    preview = Preview(tiny, jobs=1)
    try:
        assert preview.full().ok
        ann = tiny / "annotations" / "alpha.yaml"
        good = ann.read_text(encoding="utf-8")
        ann.write_text(deep_block_list("annotations", 500), encoding="utf-8")
        outcome = preview.rebuild({"annotations/alpha.yaml"})
        assert not outcome.ok
        assert [d.message for d in outcome.diagnostics] == [
            "the YAML is nested more than 50 levels deep: level 51 opens here"]
        ann.write_text(good, encoding="utf-8")
        assert preview.rebuild({"annotations/alpha.yaml"}).ok
    finally:
        preview.close()


def test_symlinks_inside_the_collection_are_followed(tiny: Path) -> None:
    """Only links that leave the collection, or their folder of it, are refused: an article, a static file and a
    static folder linked from inside it build, and a link to a parent folder is walked once (no loop)."""
    (tiny / "content" / "beta.md").symlink_to("alpha.md")
    (tiny / "templates" / "static" / "linked.css").symlink_to("style.css")
    (tiny / "templates" / "static" / "sub").mkdir()
    (tiny / "templates" / "static" / "sub" / "up").symlink_to("..")  # static/, which holds sub/ again
    result = run(tiny, "build")
    assert result.code == 0, result.err
    site = tiny / "_site"
    assert (site / "articles" / "beta" / "index.html").is_file()
    assert (site / "static" / "linked.css").read_bytes() == (tiny / "templates" / "static" / "style.css").read_bytes()
    assert not (site / "static" / "sub" / "up").exists()  # static/ again: walked once


def test_a_static_file_linked_outside_during_the_preview_is_refused(tiny: Path) -> None:
    from apparatus.preview import Preview

    secret = tiny.parent / "secret.txt"
    secret.write_text("SECRET-7c1d\n", encoding="utf-8")
    preview = Preview(tiny, jobs=1)
    try:
        assert preview.full().ok
        style = tiny / "templates" / "static" / "style.css"
        style.unlink()
        style.symlink_to(secret)
        outcome = preview.rebuild({"templates/static/style.css"})
        while outcome.later is not None:
            outcome = outcome.later()
        assert not outcome.ok
        assert [(d.path, d.message) for d in outcome.diagnostics] == [
            ("templates/static/style.css", "the file is a link to a place outside the collection; it was not read")]
        assert not any(b"SECRET-7c1d" in data for data in preview.files.values())
    finally:
        preview.close()
