from pathlib import Path
from typing import Any

import pytest

from apparatus import languages
from apparatus.site import TEMPLATES as PAGES
from apparatus.templates import TemplateFailure, bidi, environment, human_date, lang_dir, quote, render


def test_human_dates() -> None:
    assert human_date("2021-02-24") == "24 February 2021"
    assert human_date("2019-11") == "November 2019"
    assert human_date("2021") == "2021"


# i17-layout's cases; apparatus.languages.direction gives these answers (tests/test_languages.py has its own)
@pytest.mark.parametrize(("tag", "text", "expected"), [
    ("ug", "", "rtl"), ("ug", "شەھەر كېڭىشى", "rtl"), ("ug", "BDT ئۈچۈن", "rtl"),  # a Latin acronym first
    ("ug-Latn", "", "ltr"), ("ug-Latn", "shehher", "ltr"), ("ug", "Uyghur tili", "ltr"),  # the script decides
    ("az-Arab", "", "rtl"), ("ar", "", "rtl"), ("he-IL", "", "rtl"), ("fa", "", "rtl"),
    ("en", "", "ltr"), ("fr", "« C’est »", "ltr"), ("zh", "市议会", "ltr"), ("zh-Hant", "", "ltr"),
    ("en", "ئۇيغۇر تىلى", "rtl"), ("en", "Uyghur: ئۇيغۇر", "ltr"),  # the text's script, whatever the tag
    ("", "ئۇيغۇر", "rtl"), ("", "Le Drian", "ltr"), ("", "266", "auto"), ("", "", "auto"),
])
def test_direction_follows_the_script(tag: str, text: str, expected: str) -> None:
    assert languages.direction(tag, text) == expected


def test_the_pages_one_direction_is_languages_direction() -> None:
    env, diags = environment(Path(__file__).resolve().parent.parent, site={})
    assert env is not None and diags == []
    assert env.filters["direction"] is languages.direction and "dir" not in env.filters


def test_lang_dir_quote_and_bidi() -> None:
    # a text in a language: lang and its script's dir, always (an element with dir is isolated)
    assert lang_dir("fr", "« Non ! »") == ' lang="fr" dir="ltr"'
    assert lang_dir("ug", "ئەخمەت تۇرسۇن") == ' lang="ug" dir="rtl"'
    assert lang_dir("ug-Latn", "Ehmet Tursun") == ' lang="ug-Latn" dir="ltr"'
    # without a language: dir only where it is not the site's left to right
    assert lang_dir(None, "Le Drian") == "" and lang_dir("", "شەھەر كېڭىشى") == ' dir="rtl"'
    assert quote("a < b", "en") == '<q lang="en" dir="ltr">a &lt; b</q>'
    assert quote("« Non ! »", "fr") == '<span class="quote" lang="fr" dir="ltr">« Non ! »</span>'  # its own marks
    assert quote("قارار", "ug") == '<q lang="ug" dir="rtl">قارار</q>'
    assert bidi("Le Monde") == "Le Monde" and bidi("A & B") == "A &amp; B"
    assert bidi("شەھەر كېڭىشى (توقۇلما)") == '<bdi dir="rtl">شەھەر كېڭىشى (توقۇلما)</bdi>'


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


def test_a_template_cannot_run_a_command_or_reach_a_path(tmp_path: Path) -> None:
    """Templates come from pull requests: the sandbox refuses Python's internals, and site is plain values."""
    (tmp_path / "templates").mkdir()
    marker = tmp_path / "ran"
    for name in PAGES:
        (tmp_path / "templates" / name).write_text("x")
    (tmp_path / "templates" / "index.html").write_text(
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}")
    (tmp_path / "templates" / "about.html").write_text("{{ site.root.joinpath('/etc/hostname').read_text() }}")
    from apparatus.config import Config, template_site
    env, diags = environment(tmp_path, site=template_site(Config(tmp_path, "T", "en")))
    assert diags == [] and env is not None
    for name in ("index.html", "about.html"):
        with pytest.raises(TemplateFailure):
            render(env, name)
    assert not marker.exists()


@pytest.mark.parametrize("expr", ["s.texts", "s.web_annotations", "s['web_annotations']", "s['texts']"])
def test_templates_never_see_the_search_texts_or_the_web_annotations(tmp_path: Path, expr: str) -> None:
    """site.HIDDEN: what only code-made files read of a summary is refused, as Python's internals are, with the
    template's line (the build cache keys the collection's pages by the rest: apparatus.cache.Fingerprints)."""
    from apparatus.site import ArticleSummary, Citation

    (tmp_path / "templates").mkdir()
    for name in PAGES:
        (tmp_path / "templates" / name).write_text(f"{{{{ s.title }}}}\n{{{{ {expr} }}}}\n")
    env, diags = environment(tmp_path, site={})
    assert diags == [] and env is not None
    cit = Citation("a", "A", "n1", 1, "context", "q", "", ())
    s = ArticleSummary("a", "A", "O", "2024", False, {}, (cit,), texts=b"x", web_annotations="[]")
    with pytest.raises(TemplateFailure) as exc:
        render(env, "index.html", s=s)
    d = exc.value.diagnostic
    assert (d.path, d.line) == ("templates/index.html", 2)
    assert "is unsafe" in d.message, d.message


def test_a_summarys_repr_and_equality_leave_the_hidden_fields_out() -> None:
    """{{ article }} or |string prints a summary's repr, and ==, in or |unique compare summaries: neither sees
    site.HIDDEN, which templates never read."""
    from apparatus.site import ArticleSummary, Citation, template_view

    cit = Citation("a", "A", "n1", 1, "context", "q", "", ())
    s = ArticleSummary("a", "A", "O", "2024", False, {}, (cit,), texts=b"x", web_annotations="[]")
    view = template_view(s)
    assert str(s) == str(view) and s == view
    assert "texts=" not in repr(s) and "web_annotations=" not in repr(s)


def _outcome(fn: Any, *args: Any) -> tuple[type, str]:
    try:
        value = fn(*args)
    except Exception as exc:  # noqa: BLE001 - compared as it is
        return type(exc), str(exc)
    return type(value), str(value)


def test_the_sandbox_remembers_exactly_the_librarys_answers() -> None:
    """apparatus.sandbox.Sandbox answers is_safe_attribute from a table per (type, name): for objects of every
    kind the library tells apart (functions, methods, types, code, frames, generators, mutable containers, plain
    values) it gives the library's answer, the first time and from the table. Its getattr, which skips the
    library's steps for an attribute the table calls safe, reads what the library's reads (str.format wrapped)."""
    import collections
    import dataclasses
    import sys
    import types

    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from markupsafe import Markup

    from apparatus.sandbox import Sandbox

    assert jinja2.__version__ == "3.1.6", "re-check that is_safe_attribute depends on the type and name only"

    @dataclasses.dataclass
    class Plain:
        title: str = "t"

    def gen():  # type: ignore[no-untyped-def]
        yield 1
    frame = sys._getframe()
    objects = [human_date, Plain().__repr__, Plain, frame.f_code, frame, gen(), {}, [], set(), collections.deque(),
               Plain(), "s", Markup("m"), 1, types.SimpleNamespace(a=1)]
    names = ["title", "append", "update", "pop", "clear", "add", "keys", "items", "format", "mro", "func_code",
             "gi_frame", "gi_code", "f_globals", "co_code", "tb_frame", "cr_frame", "ag_code", "__globals__",
             "__class__", "_private", "__init__", "a", "upper", "popleft", "setdefault", "sort"]
    library, ours = ImmutableSandboxedEnvironment(), Sandbox()
    for _ in range(2):
        for obj in objects:
            for name in names:
                value = getattr(obj, name, None)
                assert ours.is_safe_attribute(obj, name, value) == library.is_safe_attribute(obj, name, value), \
                    (obj, name)
    # and what a template reads: the sandbox's getattr answers from the table once it has the answer (here it has
    # them all: str.format too, which the library's getattr never asks about, as it wraps it first)
    objects += [Markup("{}"), "{0}", Markup("<{x}>"), "{x}", {"title": "d", "format": "f"}, Plain(title="<b>")]
    for obj in objects:
        for name in [*names, "format_map"]:
            ours.is_safe_attribute(obj, name, getattr(obj, name, None))
    for fresh in (False, True):
        if fresh:
            ours = Sandbox()  # and as a template meets them: the table filled by getattr itself
        for obj in [*objects, *objects]:
            for name in [*names, "format_map"]:
                mine, theirs = ours.getattr(obj, name), library.getattr(obj, name)
                assert type(mine) is type(theirs), (obj, name)
                if name in ("format", "format_map") and isinstance(obj, str):  # the library's wrapped formatter
                    args = ({"x": "<i>"},) if name == "format_map" else ("<i>",)
                    assert _outcome(mine, *args) == _outcome(theirs, *args), (obj, name)
                elif not isinstance(theirs, jinja2.Undefined):
                    assert mine == theirs, (obj, name)


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
                             "templates/article.html, templates/404.html, templates/changes.html")
