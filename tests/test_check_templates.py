"""A check renders one page of each template (issue 19), and still reports every broken template as a build does:
an error at render time in each template a page uses, a syntax error in a template the pages include, and a
``_macros.html`` without the macro that cites records. The messages are the build's, in both commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, run

from apparatus import site

UNDEFINED = "template error: 'nope' is undefined"

# (template, a text of it after which the error is inserted): on a line every page of the kind renders
RENDER_ERRORS = [pytest.param(name, "{% block main %}", id=name) for name in site.TEMPLATES] + [
    pytest.param("base.html", "<title>", id="base.html"),  # every page's
    pytest.param("_macros.html", '{% macro cite(record, root, language="") -%}\n', id="_macros.html-cite"),  # the
    # records' citations, made ahead of the pages
    pytest.param("_macros.html", "{% macro counts(c) -%}\n", id="_macros.html-counts"),  # the article and home pages'
]


def errors(root: Path, command: str) -> list[str]:
    result = run(root, command)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    return [line for line in result.err.splitlines() if ": error: " in line]


def break_template(root: Path, name: str, after: str, text: str) -> int:
    """Insert text into templates/name after the first ``after``; the line it lands on."""
    path = root / "templates" / name
    source = path.read_text(encoding="utf-8")
    at = source.index(after) + len(after)
    path.write_text(source[:at] + text + source[at:], encoding="utf-8")
    return source[:at].count("\n") + 1


@pytest.mark.parametrize(("name", "after"), RENDER_ERRORS)
def test_an_error_at_render_time_in_each_template_is_reported_by_check(tiny: Path, name: str, after: str) -> None:
    """Each template fails when rendered (an undefined name, on a line every page of its kind reaches): check
    renders one page of each and reports the error as the build does, at the template's line."""
    line = break_template(tiny, name, after, "{{ nope.x }}")
    expected = [f"templates/{name}:{line}:1: error: {UNDEFINED}"]
    assert errors(tiny, "check") == expected
    assert errors(tiny, "build") == expected


@pytest.mark.parametrize("name", ["base.html", "_macros.html"])
def test_a_syntax_error_in_an_included_template_is_a_syntax_error(tiny: Path, name: str) -> None:
    """The templates the pages extend and import are compiled up front, as the pages' own: a syntax error in them is
    a syntax error at its line, with its source (_macros.html's was a traceback: the records' citations are made
    with it before any page; base.html's a 'template error' found by the first page rendered)."""
    line = break_template(tiny, name, "\n", "{% if %}\n")
    for command in ("check", "build"):
        result = run(tiny, command)
        assert result.code == 1 and "Traceback" not in result.err
        assert result.err.startswith(f"templates/{name}:{line}:1: error: template syntax error: Expected an "
                                     "expression, got 'end of statement block'\n    {% if %}\n    ^\n"
                                     "  hint: check the {% %} and {{ }} tags on this line and the blocks it closes\n")


def test_macros_without_the_cite_macro(tiny: Path) -> None:
    """Article pages cite records with _macros.html's cite: without it, an error (it was a traceback)."""
    path = tiny / "templates" / "_macros.html"
    path.write_text(path.read_text(encoding="utf-8").replace("{% macro cite(", "{% macro cited("), encoding="utf-8")
    expected = ["templates/_macros.html:1:1: error: template error: no macro 'cite' in _macros.html"]
    assert errors(tiny, "check") == expected
    assert errors(tiny, "build") == expected


def test_the_repository_templates_are_those_tested() -> None:
    """The insertion points above exist in the templates every collection starts from."""
    for name, after in (p.values for p in RENDER_ERRORS):
        assert after in (REPO / "templates" / name).read_text(encoding="utf-8"), (name, after)
