from pathlib import Path

import pytest

from apparatus.site import TEMPLATES as PAGES
from apparatus.templates import TemplateFailure, environment, human_date, render


def test_human_dates() -> None:
    assert human_date("2021-02-24") == "24 February 2021"
    assert human_date("2019-11") == "November 2019"
    assert human_date("2021") == "2021"


def test_undefined_names_are_errors_with_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    for name in PAGES:
        (tmp_path / "templates" / name).write_text("ok\n{{ missing.name }}\n")
    env, diags = environment(tmp_path, site={"title": "T"})
    assert diags == [] and env is not None
    with pytest.raises(TemplateFailure) as exc:
        render(env, "index.html")
    assert (exc.value.diagnostic.path, exc.value.diagnostic.line) == ("templates/index.html", 2)


def test_autoescape(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    for name in PAGES:
        (tmp_path / "templates" / name).write_text("{{ x }}")
    env, _ = environment(tmp_path, site={})
    assert env is not None
    assert render(env, "index.html", x="<script>") == "&lt;script&gt;"


def test_every_page_template_of_the_table_is_checked_up_front(tmp_path: Path) -> None:
    """The table of pages (site.PAGES) names the templates a collection needs, search.html included: one
    missing is reported when the templates are loaded, not as a failure half-way through rendering."""
    (tmp_path / "templates").mkdir()
    for name in PAGES:
        if name != "search.html":
            (tmp_path / "templates" / name).write_text("ok\n")
    env, diags = environment(tmp_path, site={})
    assert env is None
    assert [(d.path, d.message) for d in diags] == [("templates/search.html", "template 'search.html' is missing")]
    assert diags[0].hint == ("every collection needs templates/index.html, templates/records.html, "
                             "templates/about.html, templates/search.html, templates/record.html, "
                             "templates/article.html, templates/404.html")
