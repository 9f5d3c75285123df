"""Command line: ``build`` and ``check``. Prints every diagnostic once, sorted, and sets the exit code.

Exit codes: 0 success, 1 content errors (nothing written), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline
from .errors import BuildError, Diagnostic, count_errors


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="Build an annotated reading collection.")
    p.add_argument("--root", default=".", help="the collection folder, holding site.yaml (default: .)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("build", help="write the site to the output folder (default command)")
    sub.add_parser("check", help="validate everything and write nothing")
    return p


def _print(diags: list[Diagnostic]) -> None:
    for d in diags:
        print(d.format(), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "build"
    root = Path(args.root)
    if not root.is_dir():
        print(f"build.py: error: --root {root} is not a folder", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("build.py: error: --jobs takes a whole number from 1", file=sys.stderr)
        return 2
    try:
        result = pipeline.build(root, write=(command == "build"), jobs=args.jobs)
    except BuildError as exc:
        _print(exc.diagnostics)
        n = count_errors(exc.diagnostics)
        kept = " nothing was written" if command == "build" else ""
        print(f"{n} error{'s' if n != 1 else ''};{kept or ' check failed'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the last good site is unchanged", file=sys.stderr)
        return 130
    _print(result.diagnostics)
    if not args.quiet:
        done = "checked" if command == "check" else "built"
        warnings = len(result.diagnostics)
        print(f"{done} {result.articles} articles, {result.annotations} annotations, {result.records} records"
              f"{f', {warnings} warnings' if warnings else ''} in {result.seconds:.2f} s"
              + (f" → {result.output}/" if command == "build" else ""))
    return 0
