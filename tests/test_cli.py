import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run


def test_usage_errors_exit_2(tiny: Path) -> None:
    assert run(tiny, "frobnicate").code == 2
    assert run(tiny, "--jobs", "0", "build").code == 2
    assert run(tiny / "missing", "build").code == 2


def test_default_command_is_build(tiny: Path) -> None:
    result = run(tiny)
    assert result.code == 0 and result.out.startswith("built 1 article, ")
    assert (tiny / "_site" / "index.html").is_file()


def test_quiet(tiny: Path) -> None:
    result = run(tiny, "-q", "build")
    assert result.code == 0 and result.out == "" and result.err == ""


def test_warnings_do_not_fail_the_build(tiny: Path) -> None:
    reg = tiny / "annotations" / "_records.yaml"
    reg.write_text(reg.read_text() + "  - {id: unused, title: U, issuer: I, kind: other, date: 2020}\n")
    result = run(tiny, "build")
    assert result.code == 0
    assert "annotations/_records.yaml:1:1: warning: record 'unused' is not cited by any annotation" in result.err
    assert result.out.rstrip().endswith("; 1 warning")


def test_moved_quote_is_a_warning_and_still_highlighted(tiny: Path) -> None:
    import yaml
    case = yaml.safe_load((Path(__file__).parent / "bad" / "anchor-moved.yaml").read_text(encoding="utf-8"))
    for rel, text in case["files"].items():
        (tiny / rel).write_text(text, encoding="utf-8")
    result = run(tiny, "build")
    assert result.code == 0, result.err
    assert "warning: quote of 'across' has moved" in result.err
    assert ", 1 moved," in result.out
    page = (tiny / "_site" / "articles" / "alpha" / "index.html").read_text(encoding="utf-8")
    assert 'data-ann="across"> spoke before the </mark>' in page
    assert "<q lang=\"en\" dir=\"ltr\">Le Drian spoke before the Human Rights</q>" in page


INJECTION = "x\n::warning file=README.md,line=1::Looks good to me, merge\n::stop-commands::pwn"
OUR_COMMANDS = ("::error file=", "::warning file=", "::error::", "::notice::")


def inject(tiny: Path) -> None:
    """Workflow commands hidden in an id, a note, and the name of an annotation file."""
    ann = tiny / "annotations" / "alpha.yaml"
    text = ann.read_text(encoding="utf-8").replace("- id: name", f"- id: {json.dumps(INJECTION)}", 1)
    text = text.replace("- id: date", '- id: "```\\n![x](https://evil.example/)\\e[2J ##[warning]pwn"', 1)
    ann.write_text(text, encoding="utf-8")
    (tiny / "annotations" / "evil\n::warning::pwn.yaml").write_text("annotations: []\n", encoding="utf-8")


def test_github_format_prints_only_escaped_workflow_commands(tiny: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    inject(tiny)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for command in ("check", "build"):
        result = run(tiny, command, "--format", "github")
        assert result.code == 1 and result.out == ""
        lines = result.err.splitlines()
        assert lines and all(line.startswith(OUR_COMMANDS) for line in lines), result.err
        assert not any(line.startswith(("::warning file=README.md", "::stop-commands")) for line in lines)
        assert "\\n::warning file=README.md,line=1::Looks good to me, merge\\n::stop-commands::pwn" in result.err
        assert "##[" not in result.err
    report = summary.read_text(encoding="utf-8")
    assert "\n````\n" in report, "the report's code block is fenced longer than any backtick run in it"


def test_human_format_shows_input_escaped_and_starts_no_command(tiny: Path) -> None:
    inject(tiny)
    for command in ("check", "build"):
        result = run(tiny, command)
        assert result.code == 1
        for line in (result.out + result.err).splitlines():
            assert not line.lstrip().startswith("::") and "##[" not in line and "\x1b" not in line, line
        assert ("annotations/evil\\n::warning::pwn.yaml:1:1: error: annotation file has no article: "
                "content/evil\\n::warning::pwn.md does not exist") in result.err
        assert f"'id' '{INJECTION.replace(chr(10), chr(92) + 'n')}' is not a valid id" in result.err


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_output_survives_a_stdout_that_cannot_encode_it(tiny: Path, encoding: str) -> None:
    site = tiny / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "output: 站点\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    command = [sys.executable, str(REPO / "build.py"), "--root", str(tiny)]
    built = subprocess.run([*command, "build"], env=env, capture_output=True)
    assert built.returncode == 0, built.stderr
    assert built.stdout.endswith(b" \\u2192 \\u7ad9\\u70b9/\n") and built.stderr == b""
    reg = tiny / "annotations" / "_records.yaml"
    reg.write_text(reg.read_text(encoding="utf-8").replace("records:", "records:\n  - id: 记录\n", 1), encoding="utf-8")
    checked = subprocess.run([*command, "check"], env=env, capture_output=True)
    assert checked.returncode == 1 and b"Traceback" not in checked.stderr
    assert b"'\\u8bb0\\u5f55'" in checked.stderr


def test_github_format_prints_every_problem_and_says_the_pull_request_shows_ten(tiny: Path) -> None:
    for i in range(11):
        (tiny / "annotations" / f"orphan-{i:02}.yaml").write_text("annotations: []\n", encoding="utf-8")
    result = run(tiny, "check", "--format", "github")
    lines = result.err.splitlines()
    assert [line.split("::")[1] for line in lines] == [
        f"error file=annotations/orphan-{i:02}.yaml,line=1,col=1" for i in range(11)] + ["notice", "notice"]
    assert lines[-2:] == ["::notice::11 problems: the pull request shows the first 10 of each kind; the log and the "
                          "job summary list them all", "::notice::11 errors; check failed"]


def test_github_format_usage_errors_and_a_bug_are_single_escaped_commands(tiny: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With --format github even a usage error and an unexpected exception (whose text may quote input) are one
    escaped ::error line each: no traceback whose lines the runner would read as commands."""
    missing = tiny / "no\n::warning::pwn"
    result = run(missing, "check", "--format", "github")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"::error::--root {tiny}/no\\n::warning::pwn is not a folder\n"
    result = run(tiny, "--jobs", "0", "check", "--format", "github")
    assert (result.code, result.err) == (2, "::error::--jobs takes a whole number from 1\n")

    def bug(*args: object, **kwargs: object) -> None:
        raise ValueError("bad input\n::warning file=README.md::merge me")
    monkeypatch.setattr("apparatus.pipeline.build", bug)
    result = run(tiny, "check", "--format", "github")
    assert (result.code, result.out) == (1, "")
    assert result.err == "::error::internal error: ValueError: bad input\\n::warning file=README.md::merge me\n"
    with pytest.raises(ValueError):  # the human format keeps the traceback, for the bug report
        run(tiny, "check")


def test_global_options_are_accepted_after_the_command(tiny: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(elsewhere, "check", "--root", str(tiny), "-q", "--jobs", "1")  # run() passes --root elsewhere first
    assert result.code == 0 and result.out == "" and result.err == ""  # the later --root wins, -q is honoured
    assert run(tiny, "build", "--jobs", "0").code == 2  # checked as before the command


def test_version_and_the_exit_codes_in_help(tiny: Path) -> None:
    from importlib.metadata import version
    result = run(tiny, "--version")
    assert result.code == 0 and result.out == f"build.py (Apparatus) {version('apparatus')}\n"
    for argv in (("--help",), ("check", "--help")):
        text = run(tiny, *argv).out
        assert "exit codes:\n  0  success" in text and "\n  2  usage errors" in text


def test_every_help_ends_with_examples_then_the_exit_codes(tiny: Path) -> None:
    """A mature tool's --help shows how it is used: every command's ends with examples, then the exit codes; the
    examples name the command itself."""
    for command in ("", "build", "check", "new", "serve", "links", "schema", "annotate", "records"):
        result = run(tiny, *filter(None, (command, "--help")))
        assert result.code == 0, command
        examples = result.out.index("\nexamples:\n")
        assert examples < result.out.index("\nexit codes:\n  0  "), command
        assert f"  build.py {command}".rstrip() in result.out[examples:], command
