import pytest

from apparatus.markdown import ARTICLE_MD, SPAN_HINT, render_note


def test_note_markdown_renders() -> None:
    html, problems = render_note("See **this** [record](https://example.org/a).")
    assert problems == []
    assert html == '<p>See <strong>this</strong> <a href="https://example.org/a">record</a>.</p>\n'


def test_raw_html_is_a_problem_and_never_live() -> None:
    html, problems = render_note("x <img src=x onerror=alert(1)> y")
    assert problems == [("the note contains raw HTML (<img src=x onerror=alert(1)>): HTML in notes is never made "
                         "live", "<img src=x onerror=alert(1)>", "")]
    assert "<img" not in html and "&lt;img" in html


def test_code_spans_may_show_tags() -> None:
    html, problems = render_note("Write `<b>` as **bold**.")
    assert problems == []
    assert "<code>&lt;b&gt;</code>" in html


def test_dangerous_links_are_problems() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"):
        _, problems = render_note(f"[x]({url})")
        assert problems and problems[0][1] == url


# --- language spans in notes: [text]{lang=…} --------------------------------------------------------------------

def test_a_language_span_renders_with_lang_and_the_direction_of_its_script() -> None:
    html, problems = render_note("Le slogan [大外宣被打脸]{lang=zh} ; [ئۇيغۇرچە]{lang=ug} ; [Uyghurche]{lang=ug-Latn}.")
    assert problems == []
    assert html == ('<p>Le slogan <span lang="zh" dir="ltr">大外宣被打脸</span> ; <span lang="ug" dir="rtl">ئۇيغۇرچە'
                    '</span> ; <span lang="ug-Latn" dir="ltr">Uyghurche</span>.</p>\n')


def test_a_span_keeps_the_direction_it_names() -> None:
    html, problems = render_note("[« non »]{lang=fr dir=auto}")
    assert (html, problems) == ('<p><span lang="fr" dir="auto">« non »</span></p>\n', [])


@pytest.mark.parametrize(("note", "message", "needle"), [
    ("[x]{lang=zz}", "a span in the note has lang=zz, which is not a BCP 47 language tag", "{lang=zz"),
    ('a [x]{lang="en_US"}', "a span in the note has lang=en_US, which is not a BCP 47 language tag: did you mean "
     "'en-US'?", '{lang="en_US'),
    ("[x]{lang=fr dir=up}", "a span in the note has dir=up: dir is ltr, rtl or auto", "{lang=fr dir=up"),
    ("[x]{lang=fr onclick=alert}", "a span in the note sets onclick=alert: a span may set only lang and dir",
     "{lang=fr onclick=alert"),
    ("[x]{.evil}", "a span in the note sets .evil: a span may set only lang and dir", "{.evil"),
    ("[x]{style=color:red}", "a span in the note sets style=color:red: a span may set only lang and dir",
     "{style=color:red"),
    ("[x]{dir=rtl}", "a span in the note has no lang: spans in notes mark a passage's language", "{dir=rtl}"),
])
def test_a_span_may_set_only_a_bcp47_lang_and_a_direction(note: str, message: str, needle: str) -> None:
    html, problems = render_note(note)
    assert [(m, n) for m, n, _ in problems] == [(message, needle)]
    assert all(h == SPAN_HINT for _, _, h in problems)
    assert "onclick" not in html and "class" not in html and "style" not in html


def test_article_bodies_stay_verbatim() -> None:
    """The span syntax is for notes only: in an article, [x]{lang=zh} is the text it is."""
    assert ARTICLE_MD.render("[大外宣被打脸]{lang=zh}") == "<p>[大外宣被打脸]{lang=zh}</p>\n"


def test_spans_become_their_text_for_markdown_readers_without_them() -> None:
    from apparatus.markdown import without_spans
    assert without_spans("the idiom [大外宣被打脸]{lang=zh} and [« non\n»]{lang=fr}, [a](https://x.org)") == (
        "the idiom 大外宣被打脸 and « non\n», [a](https://x.org)")
