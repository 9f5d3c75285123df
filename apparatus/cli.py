"""Command line: ``build``, ``check``, ``new``, ``serve``, ``links``, ``schema``, ``annotate`` and ``records``.
Prints every diagnostic once, sorted.

Exit codes: 0 success, 1 content errors (nothing written) or another build holding the output's
lock for too long, 2 usage errors.

With ``--format github`` every line on stdout and stderr is a workflow command whose text is
escaped (the runner reads commands from both streams), and the human report goes to the job summary.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import progress
from .errors import BuildError, Diagnostic, cells, count_errors, printable, workflow_command
from .kinds import TYPES
from .outcome import BuildResult
from .output import OutputError

if TYPE_CHECKING:
    from . import annotate, selection

# The engine's modules load when a command needs them: a build or check in which nothing changed replays its
# last result (apparatus.cache.begin) with this module, the cache's and their few imports only.

GITHUB_ANNOTATIONS = 10  # GitHub shows at most 10 annotations of each kind per step


EXIT_CODES = """exit codes:
  0  success (warnings included)
  1  content errors: each is printed as path:line:col with a hint, and nothing is written;
     or another build held the output folder's lock for too long
  2  usage errors: an unknown command or option, a bad value, a --root that is not a collection,
     a check PATH that is not an article or annotation file of the collection"""


EXAMPLES = {  # each command's --help ends with these, then the exit codes
    "": """examples:
  build.py                                   build the site into _site/ (or site.yaml's output:)
  build.py check --strict                    validate everything, warnings as errors
  build.py check annotations/my-article.yaml check one article and the registry
  build.py serve --open                      live preview at http://127.0.0.1:8000/
  build.py COMMAND --help                    a command's options and examples""",
    "build": """examples:
  build.py build
  build.py build --root ../my-collection --jobs 2
  build.py build -q                          print only the diagnostics""",
    "check": """examples:
  build.py check
  build.py check --strict
  build.py check content/my-article.md       that article, its annotation file and the registry
  git diff -z --name-only origin/main -- content annotations | xargs -0 build.py check --""",
    "new": """examples:
  build.py new france-hrc46-2021             a draft: build and check skip it until draft: true is removed""",
    "serve": """examples:
  build.py serve --open                      opens the printed address (its token turns the panel on)
  build.py serve --port 0                    any free port (printed)
  build.py serve --no-panel                  previewing an untrusted pull request's templates
  build.py serve --host 0.0.0.0 --allow-host my-laptop.local   (the select-to-annotate panel is then off)""",
    "links": """examples:
  build.py links --timeout 5""",
    "schema": """examples:
  build.py schema                            rewrite schema/*.schema.json after changing the engine's fields""",
}


class _Version(argparse.Action):
    """--version: the installed package's version (make setup installs it with pip -e), looked up only when
    asked, not on every start."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version of Apparatus and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version
        try:
            found = version("apparatus")
        except PackageNotFoundError:  # a source tree never installed
            found = "unknown (not installed: run make setup)"
        print(f"{parser.prog} (Apparatus) {found}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    # The global options are accepted before or after the command (build.py check --root X as well as
    # build.py --root X check). On a subcommand their default is SUPPRESS, so that one given before the
    # command is not reset by the subcommand's own default.
    def global_options(parser: argparse.ArgumentParser, before: bool) -> None:
        def default(value: object) -> object:
            return value if before else argparse.SUPPRESS
        parser.add_argument("--root", default=default("."),
                            help="the collection folder, holding site.yaml (default: .)")
        parser.add_argument("--jobs", type=int, default=default(None), help="worker processes (default: one per core)")
        parser.add_argument("-q", "--quiet", action="store_true", default=default(False), help="print only diagnostics")

    p = argparse.ArgumentParser(prog="build.py", description="Build an annotated reading collection.",
                                epilog=f"{EXAMPLES['']}\n\n{EXIT_CODES}",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    global_options(p, True)
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, description: str | None = None,
                epilog: str | None = None) -> argparse.ArgumentParser:
        epilog = epilog or f"{EXAMPLES[name]}\n\n{EXIT_CODES}"
        c = sub.add_parser(name, help=help, description=description or help, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        global_options(c, False)
        return c

    for name, text in (("build", "write the site to the output folder (default command)"),
                       ("check", "validate everything, or the named articles, and write nothing")):
        c = command(name, help=text, description=text)
        c.add_argument("--strict", action="store_true", help="treat warnings as errors")
        c.add_argument("--no-cache", dest="cache", action="store_false",
                       help="neither read nor write the build cache (.apparatus-cache/): every article from scratch")
        c.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="keep the build cache in DIR (default: .apparatus-cache in the collection)")
        c.add_argument("--format", choices=("human", "github"), default="human",
                       help="github: print only workflow commands (::error annotations on the pull request); "
                            "the full report goes to $GITHUB_STEP_SUMMARY")
        if name == "build":
            c.add_argument("--no-search", action="store_true", help="leave out the search index (benchmarks)")
        else:
            c.add_argument("paths", nargs="*", metavar="PATH",
                           help="check only these articles (content/<slug>.md) or annotation files (either names "
                                "the pair), and the registry; naming annotations/_records.yaml checks everything")
    n = command("new", help="start a new article and its annotation file (never overwrites)")
    n.add_argument("slug", help="the article's slug: lowercase letters, digits and hyphens")
    v = command("serve", help="live preview: rebuild on save, reload the browser")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    v.add_argument("--open", action="store_true", help="open the site in a web browser")
    v.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to this host name (repeatable; the Host header is checked)")
    v.add_argument("--no-panel", dest="panel", action="store_false",
                   help="no select-to-annotate panel (preview an untrusted pull request's templates this way: "
                        "their scripts run on the preview's pages)")
    k = command("links", help="ask the network whether each record's url and archive_url still answer "
                       "(optional, never a gate)")
    k.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each address (default: 10)")
    s = command("schema", help="write the JSON Schemas of annotation and records files")
    s.add_argument("--output", default="schema", help="folder to write them to (default: schema/)")
    _annotate_commands(command)
    return p


ANNOTATE_EPILOG = """examples:
  build.py annotate le-drian-hrc46-xinjiang-2021 "Jean-Yves Le Drian denounced"
  build.py annotate le-drian-hrc46-xinjiang-2021 "Uighurs" --after "a minority group" --note "Also spelled Uyghurs."
  build.py annotate le-drian-hrc46-xinjiang-2021 "After the U.S. and Canada launched sanctions" --type correction \\
      --correction "After the U.S. imposed sanctions" --record us-treasury-sm1055-2020-07-09 --note "…"
  (copy the quote from the page: Markdown marks, line breaks and the quotation marks' style do not matter)

exit codes:
  0  success: the note is printed on stdout (YAML, to append under annotations: in annotations/<slug>.yaml)
  1  the quote cannot anchor (it is not in the article, or crosses a paragraph), or a file has errors
  2  usage errors: an unknown article or record, a bad or taken --id, a text too long, an unknown option"""
RECORDS_EPILOG = """examples:
  build.py records le drian          (every word must match: id, symbol or title; case and accents ignored)
  build.py records CERD/C/CHN/CO/14-17

exit codes:
  0  success: the matching records, with their id, symbol, date and title
  1  no record matches
  2  usage errors: no words, a search too long, an unknown option"""


def _annotate_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    a = command("annotate", help="print a note on a passage as YAML that anchors there (writes nothing)",
                description="Print an annotation on a passage of an article, as YAML that anchors: the quote as the "
                "article writes it, with the shortest prefix or suffix that picks its occurrence, and an id.",
                epilog=ANNOTATE_EPILOG)
    a.add_argument("slug", help="the article's slug (its file name in content/ without .md)")
    a.add_argument("quote", help="the passage, as the page shows it")
    a.add_argument("--type", choices=TYPES, default="context", help="the note's type (default: context)")
    a.add_argument("--id", help="the note's id (default: made from the quote's words, unique in the file)")
    a.add_argument("--note", default="", help="the note, in Markdown (default: empty, for you to write)")
    a.add_argument("--correction", default="", help="for a correction: what the record shows")
    a.add_argument("--record", action="extend", nargs="+", default=[], metavar="ID",
                   help="a record id the note cites (build.py records finds them); repeatable")
    a.add_argument("--before", default="", metavar="TEXT",
                   help="text just before the passage: picks the occurrence meant when the quote occurs more than once")
    a.add_argument("--after", default="", metavar="TEXT", help="text just after the passage, likewise")
    r = command("records", help="find records in the registry by words of their id, symbol or title",
                epilog=RECORDS_EPILOG)
    r.add_argument("words", nargs="+", help="words that must all match (case and accents ignored)")


def _annotate(root: Path, args: argparse.Namespace) -> int:
    from . import annotate

    """build.py annotate: the snippet on stdout, or why not (exit 1: the collection; 2: an argument)."""
    try:
        s = annotate.snippet(root, args.slug, args.quote, kind=args.type, note=args.note, correction=args.correction,
                             records=args.record, id=args.id, context_before=args.before, context_after=args.after)
    except annotate.Refused as exc:
        return _refused("annotate", exc)
    sys.stdout.write(s.yaml)
    if not args.quiet:
        _say(f"(append it to annotations/{s.slug}.yaml under annotations:, indented as the notes there)", "human")
    return 0


def _refused(command: str, exc: annotate.Refused) -> int:
    print(f"build.py {command}: error: {printable(exc.message)}\n  hint: {printable(exc.hint)}", file=sys.stderr)
    return 2 if exc.usage else 1


RECORDS_SHOWN = 100


def _records(root: Path, words: list[str]) -> int:
    from . import annotate

    """build.py records: the matching records in aligned columns (exit 1: none)."""
    try:
        hits = annotate.find_records(root, " ".join(words), limit=RECORDS_SHOWN + 1)
    except annotate.Refused as exc:
        return _refused("records", exc)
    if not hits:
        return _refused("records", annotate.Refused(
            f"no record matches '{' '.join(words)}'",
            "every word must occur in a record's id, symbol or title: try fewer or shorter words"))
    rows = [("ID", "SYMBOL", "DATE", "TITLE")] + [
        (printable(h.id), printable(h.symbol) or "-", printable(h.date), printable(h.title))
        for h in hits[:RECORDS_SHOWN]]
    widths = [max(cells(row[k]) for row in rows) for k in range(3)]
    for row in rows:
        print("  ".join(v + " " * (w - cells(v)) for v, w in zip(row, widths, strict=False)) + "  " + row[3])
    if len(hits) > RECORDS_SHOWN:
        print(f"(the first {RECORDS_SHOWN} are shown: add words to narrow the search)")
    return 0


def _report(diags: list[Diagnostic], fmt: str) -> None:
    if fmt != "github":
        for d in diags:
            print(d.format(), file=sys.stderr)
        return
    for d in diags:
        print(d.format_github(), file=sys.stderr)
    if len(diags) > GITHUB_ANNOTATIONS:
        _say(f"{len(diags)} problems: the pull request shows the first {GITHUB_ANNOTATIONS} of each kind; "
             "the log and the job summary list them all", fmt)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and diags:
        report = "\n".join(d.format() for d in diags)
        longest = max(map(len, re.findall("`+", report)), default=0)
        fence = "`" * max(3, longest + 1)  # input cannot close the block and write Markdown
        with open(summary, "a", encoding="utf-8") as f:
            f.write(f"### {len(diags)} problem(s) in the collection\n\n{fence}\n{report}\n{fence}\n")


def _say(text: str, fmt: str, kind: str = "notice", stream: TextIO | None = None) -> None:
    """One line of our own, escaped (it may name input, such as the output folder): a workflow command in the
    github format."""
    text = printable(text)
    print(workflow_command(kind, text) if fmt == "github" else text, file=stream or sys.stderr)


def _fail(message: str, hint: str, fmt: str) -> None:
    if fmt == "github":
        _say(f"{message} (hint: {hint})", fmt, "error")
    else:
        print(f"build.py: error: {printable(message)}\n  hint: {printable(hint)}", file=sys.stderr)


def _safe_streams() -> None:
    """Print whatever the streams' encoding (cp1252, ascii): characters it lacks become escapes, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    _safe_streams()
    args = _parser().parse_args(argv)
    fmt = getattr(args, "format", "human")
    try:
        return _command(args, fmt)
    except Exception as exc:
        if fmt != "github":
            raise  # a bug: the traceback is what its report needs
        # the runner reads both streams: even a bug's text (which may quote input) is one escaped command
        _say(f"internal error: {type(exc).__name__}: {exc}", fmt, "error")
        return 1


def _usage(message: str, fmt: str) -> int:
    if fmt == "github":
        _say(message, fmt, "error")
    else:
        print(f"build.py: error: {printable(message)}", file=sys.stderr)
    return 2


def _links(root: Path, timeout: float, quiet: bool) -> int:
    """build.py links: warnings for the addresses that do not answer; exit 0 whatever they say (1: the registry
    has errors)."""
    from .linkcheck import check_links  # the network code loads only for this command

    if not 0 < timeout <= 120:
        return _usage("--timeout takes seconds, more than 0 and at most 120", "human")
    asked, diags = check_links(root, timeout)
    _report(diags, "human")
    if count_errors(diags):
        return 1
    if not quiet:
        failed = sum(1 for d in diags if not d.is_error)
        print(f"asked {asked} addresses: {asked - failed} answered, {failed} did not")
    return 0


def _skipped(drafts: tuple[str, ...], quiet: bool, fmt: str) -> None:
    """The drafts build and check skipped (apparatus.drafts), in one line whatever their number."""
    if drafts and not quiet:
        n, named = len(drafts), ", ".join(drafts[:5])
        _say(f"skipped {n} draft{'s' if n != 1 else ''}: {named}{f' and {n - 5} more' if n > 5 else ''} "
             "(draft: true)", fmt, stream=sys.stdout)


def _command(args: argparse.Namespace, fmt: str) -> int:
    command = args.command or "build"
    root = Path(args.root)
    if not root.is_dir():
        return _usage(f"--root {root} is not a folder", fmt)
    if args.jobs is not None and args.jobs < 1:
        return _usage("--jobs takes a whole number from 1", fmt)
    if command == "new":
        from . import scaffold

        return scaffold.new(root, args.slug, datetime.date.today().isoformat())
    if command == "schema":
        from . import scaffold

        return scaffold.write_schemas(root / args.output)
    if command == "links":
        return _links(root, args.timeout, args.quiet)
    if command == "annotate":
        return _annotate(root, args)
    if command == "records":
        return _records(root, args.words)
    if command == "serve":
        from .serve import serve  # watchdog and the server load only for the preview

        return serve(root, args.host, args.port, args.open, args.jobs, args.allow_host, args.panel)
    only = None
    if getattr(args, "paths", None):
        from . import selection

        try:
            only = selection.select(root, args.paths)
        except selection.UsageError as exc:
            _fail(exc.message, exc.hint, fmt)
            return 2
    shown = progress.on_terminal(sys.stderr, args.quiet or fmt == "github")
    write, strict, search = command == "build", getattr(args, "strict", False), not getattr(args, "no_search", False)
    try:
        begun = None
        if getattr(args, "cache", True) and only is None:
            from . import cache

            begun = cache.begin(root, write, search, strict, getattr(args, "cache_dir", None))
        if begun is not None and begun.replayed is not None:
            result = begun.replayed
        else:
            from . import pipeline

            result = pipeline.build(root, write=write, jobs=args.jobs, strict=strict, search_index=search, only=only,
                                    progress=shown, begun=begun)
    except BuildError as exc:
        shown.clear()
        _report(exc.diagnostics, fmt)
        _skipped(exc.drafts, args.quiet, fmt)
        n = count_errors(exc.diagnostics)
        kept = " nothing was written" if command == "build" else ""
        _say(f"{n} error{'s' if n != 1 else ''};{kept or ' check failed'}", fmt)
        return 1
    except OutputError as exc:
        shown.clear()
        _fail(exc.message, exc.hint, fmt)
        return 1
    except KeyboardInterrupt:
        shown.clear()
        _say("interrupted; the last good site is unchanged", fmt, "warning")
        return 130
    shown.clear()
    _report(result.diagnostics, fmt)
    _skipped(result.drafts, args.quiet, fmt)
    if result.cache_note and not args.quiet:
        _say(f"cache: {result.cache_note}", fmt, "warning")
    if not args.quiet:
        _say(_summary(command, result, only), fmt, stream=sys.stdout)
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(command: str, result: BuildResult, only: selection.Selection | None) -> str:
    """The last line of a build or check that passed: what it covered, how long it took, the warnings."""
    moved = f", {result.moved} moved" if result.moved else ""
    articles = _plural(result.articles, "article")
    if only is not None:  # a check of named files: which, in one line
        files = ", ".join(only.files[:4]) + (f" and {len(only.files) - 4} more" if len(only.files) > 4 else "")
        articles = f"{articles} ({files})" if files else articles
    records = _plural(result.records, "record")
    records = f" and the registry of {records}" if only is not None else f", {records}"
    warnings = f"; {_plural(len(result.diagnostics), 'warning')}" if result.diagnostics else ""
    where = f" → {result.output}/" if command == "build" else ""
    if result.unchanged:
        where += " (nothing changed)"
    elif result.reused > 0:
        where += f" ({result.reused} reused from the cache)"
    done = "checked" if command == "check" else "built"
    return (f"{done} {articles}, {_plural(result.annotations, 'annotation')}{moved}{records} in "
            f"{result.seconds:.2f} s{where}{warnings}")
