from apparatus.errors import BuildError, Diagnostic, count_errors


def test_human_format_has_position_source_caret_and_hint() -> None:
    d = Diagnostic("annotations/a.yaml", 3, 12, "quote not found", "copy it exactly", source="    quote: x")
    assert d.format() == (
        "annotations/a.yaml:3:12: error: quote not found\n"
        "        quote: x\n"
        "               ^\n"
        "  hint: copy it exactly"
    )


def test_github_format_escapes_percent_and_shows_input_newlines() -> None:
    d = Diagnostic("a.yaml", 1, 2, "50% wrong\nreally", "fix:\nquote: 'x'")
    # a newline from input is shown as \n; the hint's own line break is GitHub's %0A
    assert d.format_github() == "::error file=a.yaml,line=1,col=2::50%25 wrong\\nreally (hint: fix:%0Aquote: 'x')"


def test_github_format_escapes_properties() -> None:
    d = Diagnostic("content/a,b:c%\n.md", 1, 1, "x")
    assert d.format_github() == "::error file=content/a%2Cb%3Ac%25\\n.md,line=1,col=1::x"


INJECTION = "x\n::warning file=README.md,line=1::Looks good to me, merge\n::stop-commands::pwn"


def test_control_characters_from_input_are_escaped_in_every_part() -> None:
    d = Diagnostic("annotations/\x1b[31mred.yaml", 2, 9, f"'id' '{INJECTION}' is not a valid id",
                   "use \x07 ##[warning]pwn", source=f"  - id: \"{INJECTION}\"\u202e")
    assert d.format() == (
        "annotations/\\x1b[31mred.yaml:2:9: error: 'id' 'x\\n::warning file=README.md,line=1::Looks good to me, "
        "merge\\n::stop-commands::pwn' is not a valid id\n"
        "      - id: \"x\\n::warning file=README.md,line=1::Looks good to me, merge\\n::stop-commands::pwn\"\\u202e\n"
        "            ^\n"
        "  hint: use \\x07 ##\\x5bwarning]pwn")
    assert "\n::" not in d.format_github() and "\n" not in d.format_github()


def test_a_hint_line_cannot_become_a_workflow_command() -> None:
    d = Diagnostic("a.yaml", 1, 1, "x", "closest text:\n  ::warning::pwn")
    assert d.format().splitlines()[-1] == "          \\x3a:warning::pwn"


def test_source_line_is_cut_around_the_column_and_the_caret_follows() -> None:
    source = "a" * 300 + "X" + "b" * 300
    text, caret = __import__("apparatus.errors", fromlist=["x"]).source_excerpt(source, 301)
    assert len(text) == 200 and text[0] == text[-1] == "…" and text[caret] == "X"
    d = Diagnostic("a.yaml", 1, 301, "x", source=source)
    line, marker = d.format().splitlines()[1:3]
    assert line[marker.index("^")] == "X" and len(line) == 204
    short = Diagnostic("a.yaml", 1, 4, "x", source="\tb\x07X")  # X: the 4th character
    assert short.format().splitlines()[1:3] == ["     b\\x07X", "          ^"]


def test_long_messages_keep_their_start_and_end() -> None:
    d = Diagnostic("a.yaml", 1, 1, "start " + "m" * 5000 + " end")
    first = d.format().splitlines()[0]
    assert first.endswith(" end") and "…" in first and len(first) < 700


def test_build_error_sorts_and_deduplicates() -> None:
    a = Diagnostic("b.yaml", 1, 1, "x")
    b = Diagnostic("a.yaml", 9, 1, "y")
    w = Diagnostic("a.yaml", 1, 1, "z", severity="warning")
    err = BuildError([a, b, a, w])
    assert err.diagnostics == [w, b, a]
    assert count_errors(err.diagnostics) == 2


def test_json_written_with_ensure_ascii_off_escapes_every_control_character() -> None:
    """DEL, the C1 controls and U+2028/U+2029 pass json.dumps(ensure_ascii=False) as they are: the site's JSON
    writers (ClaimReview scripts, CSL-JSON, Web Annotation files) escape them through one function."""
    import json

    from apparatus.citations import csl_json
    from apparatus.claimreview import script_json
    from apparatus.errors import json_controls_escaped
    from apparatus.webannotation import dumps
    hostile = "a\x7fb\x85c\x9fd\u2028e\u2029f é"
    escaped = '"a\\u007fb\\u0085c\\u009fd\\u2028e\\u2029f é"'
    assert json_controls_escaped(json.dumps(hostile, ensure_ascii=False)) == escaped
    assert dumps({"x": hostile}) == '{"x":' + escaped + "}"
    assert str(script_json({"x": hostile})) == '{"x":' + escaped + "}"
    from apparatus.annotations import Record
    text = csl_json({"record": Record(id="r", title=hostile, issuer="I", kind="un", date="2020")})
    assert json.loads(text)[0]["title"] == hostile and all(ch not in text for ch in "\x7f\x85\x9f\u2028\u2029")


def test_the_caret_counts_terminal_cells_under_wide_characters_and_marks() -> None:
    """The column counts characters (15: 被, the fourth character of the value); the caret under the source line
    counts cells: each Chinese character takes two, so it stands under 被, not three cells left of it.
    A harakat (a combining mark) takes none."""
    d = Diagnostic("a.yaml", 3, 15, "x", source="    quote: 大外宣被打脸")
    assert d.format().split("\n")[1:3] == ["        quote: 大外宣被打脸",
                                           "                     ^"]
    assert d.format().split("\n")[2].index("^") - 4 == len("    quote: ") + 2 * 3
    d = Diagnostic("a.yaml", 1, 4, "x", source="ئَانا")
    assert d.format().split("\n")[2] == "      ^"  # under ن: ئ and its fatha take one cell, ا one more
