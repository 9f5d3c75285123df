from pathlib import Path

from conftest import run


def test_usage_errors_exit_2(tiny: Path) -> None:
    assert run(tiny, "frobnicate").code == 2
    assert run(tiny, "--jobs", "0", "build").code == 2
    assert run(tiny / "missing", "build").code == 2


def test_default_command_is_build(tiny: Path) -> None:
    result = run(tiny)
    assert result.code == 0 and result.out.startswith("built 1 articles")
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
    assert "1 warnings" in result.out


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
    assert "<q lang=\"en\">Le Drian spoke before the Human Rights</q>" in page
