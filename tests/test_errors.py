from apparatus.errors import BuildError, Diagnostic, count_errors


def test_human_format_has_position_source_caret_and_hint() -> None:
    d = Diagnostic("annotations/a.yaml", 3, 12, "quote not found", "copy it exactly", source="    quote: x")
    assert d.format() == (
        "annotations/a.yaml:3:12: error: quote not found\n"
        "        quote: x\n"
        "               ^\n"
        "  hint: copy it exactly"
    )


def test_github_format_escapes_newlines_and_percent() -> None:
    d = Diagnostic("a.yaml", 1, 2, "50% wrong\nreally", "fix")
    assert d.format_github() == "::error file=a.yaml,line=1,col=2::50%25 wrong%0Areally (hint: fix)"


def test_build_error_sorts_and_deduplicates() -> None:
    a = Diagnostic("b.yaml", 1, 1, "x")
    b = Diagnostic("a.yaml", 9, 1, "y")
    w = Diagnostic("a.yaml", 1, 1, "z", severity="warning")
    err = BuildError([a, b, a, w])
    assert err.diagnostics == [w, b, a]
    assert count_errors(err.diagnostics) == 2
