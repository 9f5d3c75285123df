"""Command line: ``build``, ``check``, ``new`` and ``schema``. Prints every diagnostic once, sorted.

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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="Build an annotated reading collection.")
    p.add_argument("--root", default=".", help="the collection folder, holding site.yaml (default: .)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (("build", "write the site to the output folder (default command)"),
                       ("check", "validate everything and write nothing")):
        c = sub.add_parser(name, help=text, description=text)
        c.add_argument("--strict", action="store_true", help="treat warnings as errors")
        c.add_argument("--format", choices=("human", "github"), default="human",
                       help="github: print only workflow commands (::error annotations on the pull request); "
                            "the full report goes to $GITHUB_STEP_SUMMARY")
        if name == "build":
            c.add_argument("--no-search", action="store_true", help="leave out the search index (benchmarks)")
    n = sub.add_parser("new", help="start a new article and its annotation file (never overwrites)")
    n.add_argument("slug", help="the article's slug: lowercase letters, digits and hyphens")
    v = sub.add_parser("serve", help="live preview: rebuild on save, reload the browser")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    v.add_argument("--open", action="store_true", help="open the site in a web browser")
    v.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to this host name (repeatable; the Host header is checked)")
    s = sub.add_parser("schema", help="write the JSON Schemas of annotation and records files")
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
    if command == "serve":
        from .serve import serve  # watchdog and the server load only for the preview

        return serve(root, args.host, args.port, args.open, args.jobs, args.allow_host)
    try:
        result = pipeline.build(root, write=(command == "build"), jobs=args.jobs,
                                strict=getattr(args, "strict", False),
                                search_index=not getattr(args, "no_search", False))
    except BuildError as exc:
        _report(exc.diagnostics, fmt)
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
    if not args.quiet:
        done = "checked" if command == "check" else "built"
        warnings = len(result.diagnostics)
        moved = f", {result.moved} moved" if result.moved else ""
        _say(f"{done} {result.articles} articles, {result.annotations} annotations{moved}, {result.records} records"
             f"{f', {warnings} warnings' if warnings else ''} in {result.seconds:.2f} s"
             + (f" → {result.output}/" if command == "build" else ""), fmt, stream=sys.stdout)
    return 0
