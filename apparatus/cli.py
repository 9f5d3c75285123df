"""Command line: ``build``, ``check``, ``new``, ``serve``, ``links`` and ``schema``. Prints every diagnostic once,
sorted.

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
from pathlib import Path
from typing import TextIO

from . import pipeline, scaffold
from .errors import BuildError, Diagnostic, count_errors, printable, workflow_command
from .output import OutputError

GITHUB_ANNOTATIONS = 10  # GitHub shows at most 10 annotations of each kind per step


EXIT_CODES = """exit codes:
  0  success (warnings included)
  1  content errors: each is printed as path:line:col with a hint, and nothing is written;
     or another build held the output folder's lock for too long
  2  usage errors: an unknown command or option, a bad value, a --root that is not a collection"""


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
                                epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    global_options(p, True)
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help, description=description or help, epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        global_options(c, False)
        return c

    for name, text in (("build", "write the site to the output folder (default command)"),
                       ("check", "validate everything and write nothing")):
        c = command(name, help=text, description=text)
        c.add_argument("--strict", action="store_true", help="treat warnings as errors")
        c.add_argument("--format", choices=("human", "github"), default="human",
                       help="github: print only workflow commands (::error annotations on the pull request); "
                            "the full report goes to $GITHUB_STEP_SUMMARY")
        if name == "build":
            c.add_argument("--no-search", action="store_true", help="leave out the search index (benchmarks)")
    n = command("new", help="start a new article and its annotation file (never overwrites)")
    n.add_argument("slug", help="the article's slug: lowercase letters, digits and hyphens")
    v = command("serve", help="live preview: rebuild on save, reload the browser")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    v.add_argument("--open", action="store_true", help="open the site in a web browser")
    v.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to this host name (repeatable; the Host header is checked)")
    k = command("links", help="ask the network whether each record's url and archive_url still answer "
                       "(optional, never a gate)")
    k.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each address (default: 10)")
    s = command("schema", help="write the JSON Schemas of annotation and records files")
    s.add_argument("--output", default="schema", help="folder to write them to (default: schema/)")
    return p


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
        return scaffold.new(root, args.slug, datetime.date.today().isoformat())
    if command == "schema":
        return scaffold.write_schemas(root / args.output)
    if command == "links":
        return _links(root, args.timeout, args.quiet)
    if command == "serve":
        from .serve import serve  # watchdog and the server load only for the preview

        return serve(root, args.host, args.port, args.open, args.jobs, args.allow_host)
    try:
        result = pipeline.build(root, write=(command == "build"), jobs=args.jobs,
                                strict=getattr(args, "strict", False),
                                search_index=not getattr(args, "no_search", False))
    except BuildError as exc:
        _report(exc.diagnostics, fmt)
        _skipped(exc.drafts, args.quiet, fmt)
        n = count_errors(exc.diagnostics)
        kept = " nothing was written" if command == "build" else ""
        _say(f"{n} error{'s' if n != 1 else ''};{kept or ' check failed'}", fmt)
        return 1
    except OutputError as exc:
        _fail(exc.message, exc.hint, fmt)
        return 1
    except KeyboardInterrupt:
        _say("interrupted; the last good site is unchanged", fmt, "warning")
        return 130
    _report(result.diagnostics, fmt)
    _skipped(result.drafts, args.quiet, fmt)
    if not args.quiet:
        done = "checked" if command == "check" else "built"
        warnings = len(result.diagnostics)
        moved = f", {result.moved} moved" if result.moved else ""
        _say(f"{done} {result.articles} articles, {result.annotations} annotations{moved}, {result.records} records"
             f"{f', {warnings} warnings' if warnings else ''} in {result.seconds:.2f} s"
             + (f" → {result.output}/" if command == "build" else ""), fmt, stream=sys.stdout)
    return 0
