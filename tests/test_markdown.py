from apparatus.markdown import render_note


def test_note_markdown_renders() -> None:
    html, problems = render_note("See **this** [record](https://example.org/a).")
    assert problems == []
    assert html == '<p>See <strong>this</strong> <a href="https://example.org/a">record</a>.</p>\n'


def test_raw_html_is_a_problem_and_never_live() -> None:
    html, problems = render_note("x <img src=x onerror=alert(1)> y")
    assert problems == [("the note contains raw HTML (<img src=x onerror=alert(1)>): HTML in notes is never made "
                         "live", "<img src=x onerror=alert(1)>")]
    assert "<img" not in html and "&lt;img" in html


def test_code_spans_may_show_tags() -> None:
    html, problems = render_note("Write `<b>` as **bold**.")
    assert problems == []
    assert "<code>&lt;b&gt;</code>" in html


def test_dangerous_links_are_problems() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"):
        _, problems = render_note(f"[x]({url})")
        assert problems and problems[0][1] == url
