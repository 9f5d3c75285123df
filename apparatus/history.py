"""When each note was added and last revised, from git: one pass over main's first-parent history.

A note's ``added`` date is the date of the first commit on the first-parent history of ``HEAD``
whose annotation file holds the note's id; its ``revised`` date is that of the last commit that
changed the note's block (its item in the ``annotations:`` list, as text). Dates are committer
dates in UTC: on main's first-parent line those are the days changes landed (a merge's own date),
never a pull request's older commit dates, and the same commit always gives the same dates.

The pass runs two git processes whatever the collection's size: ``git log --raw`` lists every
change to ``annotations/*.yaml`` on that line, oldest first, and one ``git cat-file --batch`` reads
each blob it names once. Each blob is cut into note blocks as text (a flow-style file, or anything
else the cut does not recognise, is read with libyaml instead). A shallow clone lacks the early
history, so its dates would be wrong: :func:`note_history` says so, and callers warn. Without git,
or outside a repository, the history is empty and callers fall back to ``added:`` in the YAML.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

_ANNOTATION_FILE = re.compile(r"annotations/([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml")
_LIST_START = re.compile(r"^annotations:[ \t]*(?:#.*)?$", re.MULTILINE)
_ITEM = re.compile(r"^( *)- ", re.MULTILINE)
_ID = re.compile(r"""^(?: *- | +)id: *(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#'"]+)) *(?:#.*)?$""", re.MULTILINE)
_ZERO = "0" * 40
TIMEOUT_S = 120  # git itself is bounded: a repository that stalls it is reported, not waited for


@dataclasses.dataclass(frozen=True)
class NoteDates:
    added: str  # YYYY-MM-DD
    revised: str  # YYYY-MM-DD, equal to added until the note's block changes


@dataclasses.dataclass
class History:
    notes: dict[tuple[str, str], NoteDates]  # (article slug, note id) → dates
    shallow: bool = False  # a shallow clone: the dates of early notes are wrong
    problem: str = ""  # why there is no history (no git, not a repository, git failed); "" when there is


def note_history(root: Path) -> History:
    """The dates of every note of the collection at ``root``, from its repository's history."""
    try:
        top, prefix, shallow = _git(root, "rev-parse", "--show-toplevel", "--show-prefix",
                                    "--is-shallow-repository").split("\n")[:3]
        log = _git(Path(top), "log", "--first-parent", "--diff-merges=first-parent", "--reverse", "--raw",
                   "--no-renames", "--no-abbrev", "--format=C%H %cd", "--date=format-local:%Y-%m-%d",
                   "--", f"{prefix}annotations/")
        changes = list(_changes(log, prefix))
        blobs = _blobs(Path(top), sorted({blob for _, _, blob in changes if blob != _ZERO}))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return History({}, problem=str(exc) or type(exc).__name__)
    return History(_dates(changes, blobs), shallow=shallow.strip() == "true")


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    proc = subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, env=env,
                          timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise ValueError(f"git {args[0]} failed: {proc.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return proc.stdout.decode("utf-8", "replace")


def _changes(log: str, prefix: str) -> Iterator[tuple[str, str, str]]:
    """(date, slug, new blob) for each change to an annotation file, oldest first; the zero blob for a
    deletion. The records registry and any path that is not ``annotations/<slug>.yaml`` are skipped."""
    date = ""
    for line in log.split("\n"):
        if line.startswith("C"):
            date = line.split(" ", 1)[1]
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            if not path.startswith(prefix):
                continue
            m = _ANNOTATION_FILE.fullmatch(path[len(prefix):])
            if m:
                yield date, m.group(1), meta.split()[3]


def _blobs(top: Path, shas: list[str]) -> dict[str, str]:
    """Each blob's text, read by one ``git cat-file --batch``."""
    if not shas:
        return {}
    out = subprocess.run(["git", "-C", str(top), "cat-file", "--batch"], input="\n".join(shas).encode() + b"\n",
                         capture_output=True, timeout=TIMEOUT_S, check=True).stdout
    texts: dict[str, str] = {}
    pos = 0
    for sha in shas:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split()
        if len(header) != 3 or header[1] != b"blob":
            raise ValueError(f"git cat-file: no blob {sha}")
        size = int(header[2])
        texts[sha] = out[eol + 1:eol + 1 + size].decode("utf-8", "replace")
        pos = eol + 1 + size + 1
    return texts


def note_blocks(text: str) -> dict[str, str]:
    """Note id → a digest of its block, for one version of an annotation file.

    The block is the note's item of the ``annotations:`` list, as text, its trailing blank and comment
    lines left out: any edit of the note's own lines revises it, an edit of another note does not.
    """
    blocks = _cut(text)
    if blocks is None:
        blocks = _parsed(text)
    return {nid: hashlib.blake2b(block.encode(), digest_size=12).hexdigest() for nid, block in blocks.items()}


def _cut(text: str) -> dict[str, str] | None:
    """The blocks of a block-style list, cut as text; None where the file is shaped otherwise."""
    start = _LIST_START.search(text)
    if start is None:
        return None
    first = _ITEM.search(text, start.end())
    if first is None or any(line.strip() and not line.lstrip().startswith("#")
                            for line in text[start.end():first.start()].split("\n")):
        return None  # a flow list, or something between the key and its first item
    indent = first.group(1)
    item = re.compile(rf"^{indent}- ", re.MULTILINE)
    end = re.compile(rf"^(?!{indent}[ -]|[ \t]*(?:#|$))", re.MULTILINE)  # a line indented less: the list ends
    stop = end.search(text, first.start())
    limit = stop.start() if stop else len(text)
    starts = [m.start() for m in item.finditer(text, first.start(), limit)]
    blocks: dict[str, str] = {}
    for a, b in zip(starts, [*starts[1:], limit], strict=True):
        block = _trim(text[a:b])
        m = _ID.search(block)
        if m is None:
            return None
        nid = next(g for g in m.groups() if g is not None)
        blocks.setdefault(nid, block)
    return blocks


def _trim(block: str) -> str:
    lines = [line.rstrip() for line in block.split("\n")]
    while lines and (not lines[-1] or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return "\n".join(lines)


def _parsed(text: str) -> dict[str, str]:
    """The blocks of a file the cut does not read: each note's values, as canonical JSON."""
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return {}
    items = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out.setdefault(item["id"], json.dumps(item, sort_keys=True, default=str))
    return out


def _dates(changes: list[tuple[str, str, str]], blobs: dict[str, str]) -> dict[tuple[str, str], NoteDates]:
    added: dict[tuple[str, str], str] = {}
    revised: dict[tuple[str, str], str] = {}
    last: dict[tuple[str, str], str] = {}
    parsed: dict[str, dict[str, str]] = {}
    for date, slug, blob in changes:
        if blob == _ZERO:
            continue
        blocks = parsed.get(blob)
        if blocks is None:
            blocks = parsed[blob] = note_blocks(blobs[blob])
        for nid, digest in blocks.items():
            key = (slug, nid)
            added.setdefault(key, date)
            if last.get(key) != digest:
                last[key] = digest
                revised[key] = date
    return {key: NoteDates(added[key], revised[key]) for key in added}
