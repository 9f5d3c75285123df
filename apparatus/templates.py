"""The Jinja2 environment: autoescaped, strict about undefined names, templates checked up front."""

from __future__ import annotations

import os
import posixpath
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from markupsafe import Markup, escape

from . import languages
from .errors import Diagnostic
from .sandbox import Sandbox
from .site import TEMPLATES
from .sources import read_source, walk

# newer than the others: a collection's own templates may lack them (then the site has no such page)
OPTIONAL = {"404.html": ("no 404 page", "the page shown at an unknown address"),
            "changes.html": ("no changes page", "the list of the notes' additions and revisions")}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def human_date(value: str, short: bool = False) -> str:
    """'2021-02-24' → '24 February 2021' (short: '24 Feb 2021'); '2021-02' → 'February 2021'; '2021' → '2021'."""
    parts = value.split("-")
    if len(parts) == 1:
        return value
    month = MONTHS[int(parts[1]) - 1]
    month = month[:3] if short else month
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def lang_dir(tag: str | None, text: str = "") -> Markup:
    """The lang and dir attributes of text in language tag (None or "": unknown), for an element that holds it:
    ``<q{{ article.language | lang_dir(quote) }}>``. dir is the text's direction (:func:`languages.direction`:
    its script's, else its tag's); text without a language gets dir only where it is not left to right, the
    site's own direction (a record title in Arabic script). An element with dir is isolated from the text around
    it, so a Uyghur quote inside an English sentence keeps its punctuation in place. A filter rather than a
    macro: pages call it for every note, and a macro call costs several times more."""
    d = languages.direction(tag or "", text)
    if tag:
        return Markup(f' lang="{escape(tag)}" dir="{d}"')
    return Markup("" if d == "ltr" else f' dir="{d}"')


_OWN_MARKS = "“”\"«»„‘’'‹›「『"  # a quote that opens with one of these carries its own quotation marks


def quote(text: str, lang: str | None = None) -> Markup:
    """A quotation from a source, with its lang and dir (:func:`lang_dir`). <q> adds its own quotation marks, so a
    quote that carries its own opening mark (“…” as printed) is shown as it is, in a span, not as ““…””. A filter
    rather than a macro, as lang_dir: ``{{ a.quote | quote(article.language) }}``."""
    attrs = lang_dir(lang, text)
    if text[:1] in _OWN_MARKS:
        return Markup(f'<span class="quote"{attrs}>{escape(text)}</span>')
    return Markup(f"<q{attrs}>{escape(text)}</q>")


def bidi(text: str) -> Markup:
    """text of unknown language among the site's own words (an outlet, an issuer), isolated in a <bdi> when it is
    not left to right: "ئۈلگە گېزىتى (…) · 14 March 2024" keeps its parts in order."""
    d = languages.direction("", text)
    return escape(text) if d == "ltr" else Markup(f'<bdi dir="{d}">{escape(text)}</bdi>')


class Refused(jinja2.TemplateError):
    """A template that cannot be read: it links outside the collection, or is not UTF-8."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__(diagnostics[0].message)


class _Loader(jinja2.BaseLoader):
    """templates/<name>, read by the collection's guarded reader (:func:`apparatus.sources.read_source`)."""

    def __init__(self, root: Path):
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        rel = posixpath.join("templates", *split_template_path(template))  # no '..'
        path = os.path.join(self.root, rel)
        if not os.path.isfile(path):
            raise jinja2.TemplateNotFound(template)
        src, diags = read_source(self.root, rel)
        if src is None:
            raise Refused(diags)
        mtime = os.path.getmtime(path)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(path) == mtime
            except OSError:
                return False

        return src.text, path, uptodate


class Compiled(jinja2.BytecodeCache):
    """The templates as an earlier run of the same engine compiled them, from the build cache's signed entries
    (apparatus.cache): Jinja takes one only while its source's checksum matches, and compiles the others. Kept
    in memory; what this run used or made is ``used``, for the cache to keep."""

    def __init__(self, codes: dict[str, bytes]):
        self.codes = codes
        self.used: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.codes.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            if bucket.code is not None:
                self.used[bucket.key] = data

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.used[bucket.key] = bucket.bytecode_to_string()


def environment(root: Path, site: Any, auto_reload: bool = False, compiled: Compiled | None = None
                ) -> tuple[jinja2.Environment | None, list[Diagnostic]]:
    """The templates of a collection, loaded and checked. A build keeps them as loaded; the preview server
    (auto_reload) has Jinja look at a template file's time on each use, to pick up an edit. Any file or folder
    in templates/ that links outside the collection is refused, static files included. Templates are input
    from pull requests too: the sandbox refuses private attributes (``__globals__``) and changes to values, and
    ``site`` must be plain values (:func:`apparatus.config.template_site`), nothing that reaches a path.
    compiled: what an earlier run compiled (a build with the cache)."""
    env = Sandbox(
        auto_reload=auto_reload,
        loader=_Loader(root),
        bytecode_cache=compiled,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["site"] = site
    env.filters["human_date"] = human_date
    env.filters["direction"] = languages.direction  # article.language | direction(article.title)
    env.filters["lang_dir"] = lang_dir
    env.filters["quote"] = quote
    env.filters["bidi"] = bidi
    env.filters["language_name"] = languages.name
    files, diags = walk(root, "templates")
    # every template compiled up front: the pages' own, then what they include (base.html, _macros.html), whose
    # syntax errors Jinja would otherwise find only when a page is rendered
    others = sorted({rel.removeprefix("templates/") for rel in files if rel.endswith(".html")
                     and not rel.startswith("templates/static/")} - set(TEMPLATES))
    for name in (*TEMPLATES, *others):
        try:
            env.get_template(name)
        except Refused as exc:
            diags += [d for d in exc.diagnostics if d not in diags]  # (a link outside is walk's refusal too)
        except jinja2.TemplateNotFound as exc:
            if name in OPTIONAL:
                lacks, page = OPTIONAL[name]
                diags.append(Diagnostic(f"templates/{name}", 1, 1, f"template '{name}' is missing: the site has "
                                        f"{lacks}", f"add templates/{name} (start from the one in Apparatus's "
                                        f"repository) for {page}", severity="warning"))
                continue
            diags.append(Diagnostic(f"templates/{exc.name}", 1, 1, f"template '{exc.name}' is missing",
                                    f"every collection needs templates/{', templates/'.join(TEMPLATES)}"))
        except jinja2.TemplateSyntaxError as exc:
            rel = f"templates/{exc.name or name}"
            lines = (exc.source or "").split("\n")
            line = exc.lineno or 1
            diag = Diagnostic(rel, line, 1, f"template syntax error: {exc.message}",
                              "check the {% %} and {{ }} tags on this line and the blocks it closes",
                              source=lines[line - 1] if 0 < line <= len(lines) else "")
            diags += [diag] if diag not in diags else []
    return (None if any(d.is_error for d in diags) else env), diags


def has(env: jinja2.Environment, name: str) -> bool:
    """Whether the templates hold name (an OPTIONAL page)."""
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


class TemplateFailure(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a page template; an error in it becomes a diagnostic at the template's line."""
    try:
        return env.get_template(name).render(**context)
    except Refused as exc:  # an included template linked outside since the check (the preview)
        raise TemplateFailure(exc.diagnostics[0]) from None
    except jinja2.TemplateError as exc:
        raise _failure(exc, name) from None


def macro(env: jinja2.Environment, name: str, macro_name: str) -> Callable[..., Markup]:
    """A macro of template name (``_macros.html``'s cite), called outside a page: its errors, like a page's, are
    TemplateFailures (raised here, or by the call)."""
    try:
        call = getattr(env.get_template(name).module, macro_name, None)
    except jinja2.TemplateError as exc:
        raise _failure(exc, name) from None
    if not callable(call):  # (missing, or a value set under its name)
        raise TemplateFailure(Diagnostic(f"templates/{name}", 1, 1, f"template error: no macro '{macro_name}' in "
                                         f"{name}", f"define it as Apparatus's templates/{name} does"))

    def called(*args: Any) -> Markup:
        try:
            try:
                return call(*args)
            except jinja2.TemplateError:
                env.handle_exception()  # re-raised with the template's lines (as a page's render does)
        except jinja2.TemplateError as exc:
            raise _failure(exc, name) from None
    return called


def _failure(exc: jinja2.TemplateError, name: str) -> TemplateFailure:
    """A template's error at its line: that of the innermost template in the traceback (else name's first)."""
    path, line = f"templates/{name}", 1
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and frame.filename.endswith(".html"):
            path, line = "templates/" + Path(frame.filename).name, frame.lineno or 1
            break
    return TemplateFailure(Diagnostic(path, line, 1, f"template error: {exc}",
                                      "check the names used in the template against the page context"))
