"""When each note was added and last revised, from git: one pass over main's first-parent history.

A note's ``added`` date is the date of the first commit on the first-parent history of ``HEAD``
whose annotation file holds the note's id; its ``revised`` date is that of the last commit that
changed the note's block (its item in the ``annotations:`` list, as text). Dates are committer
dates in UTC: on main's first-parent line those are the days changes landed (a merge's own date),
never a pull request's older commit dates, and the same commit always gives the same dates.

An article's ``added`` date is that of the first commit on the same line that holds
``content/<slug>.md`` (the feeds' "new articles").

The pass runs three git processes whatever the collection's size: ``git log --raw`` lists every
change to ``annotations/*.yaml`` and ``content/*.md`` on that line, oldest first; ``git status``
names the annotation files changed in the work tree; and one ``git cat-file --batch`` reads once
each blob of the files that had more than one version, or that are changed in the work tree (an
article's date needs no blob). A file with one version, unchanged since, needs no blob: every note
in it was added and last revised by that commit (:meth:`History.dates_of` checks that the file
the build read is that blob). Each blob read is cut into note blocks as text (a flow-style file,
or anything else the cut does not recognise, is read with libyaml instead). A shallow clone lacks the early
history, so its dates would be wrong: :func:`note_history` says so, and callers warn. Without git,
or outside a repository, the history is empty and callers fall back to ``added:`` in the YAML.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

_ANNOTATION_FILE = re.compile(r"annotations/([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml")
_ARTICLE_FILE = re.compile(r"content/([^/]+)\.md")
_LIST_START = re.compile(r"^annotations:[ \t]*(?:#.*)?$", re.MULTILINE)
_ITEM = re.compile(r"^( *)- ", re.MULTILINE)
_ID = re.compile(r"""^(?: *- | *)id: *(["']?)([a-z0-9-]+)\1 *(?:#.*)?$""", re.MULTILINE)  # ids are [a-z0-9-]
_ZERO = "0" * 40
TIMEOUT_S = 120  # git itself is bounded: a repository that stalls it is reported, not waited for


@dataclasses.dataclass(frozen=True)
class NoteDates:
    added: str  # YYYY-MM-DD
    revised: str  # YYYY-MM-DD, equal to added until the note's block changes


@dataclasses.dataclass
class History:
    known: dict[tuple[str, str], NoteDates]  # (slug, note id) → dates, for files whose blobs were read
    articles: dict[str, str] = dataclasses.field(default_factory=dict)  # slug → the day its file was added
    shallow: bool = False  # a shallow clone: the dates of early notes are wrong
    problem: str = ""  # why there is no history (no git, not a repository, git failed); "" when there is
    single: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)  # slug → (day, blob): a file
    top: Path | None = None  # with one version, unchanged in the work tree; its notes all date from that day

    def __bool__(self) -> bool:
        return bool(self.known or self.single)

    @property
    def notes(self) -> dict[tuple[str, str], NoteDates]:
        """Every note's dates. Reads the blobs a build skips (see :meth:`dates_of`): for tools and tests."""
        self._resolve(list(self.single))
        return self.known

    def dates_of(self, slug: str, ids: Iterable[str], text: str) -> dict[str, NoteDates]:
        """The dates of the notes ``ids`` of the annotation file ``slug`` whose text is ``text``. A file with
        one version is that version if its text hashes to the blob (else, as after an edit in the preview,
        or for a file read with CRLF or a BOM, its blob is read and the notes it holds are dated)."""
        single = self.single.get(slug)
        if single is not None:
            day, blob = single
            data = text.encode("utf-8")
            if hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest() == blob:
                return dict.fromkeys(ids, NoteDates(day, day))
            self._resolve([slug])
        return {nid: self.known[slug, nid] for nid in ids if (slug, nid) in self.known}

    def _resolve(self, slugs: list[str]) -> None:
        """Read the blobs of these one-version files, and date their notes."""
        if not slugs or self.top is None:
            return
        try:
            blocks = _read_blobs(self.top, [self.single[slug][1] for slug in slugs])
        except (OSError, subprocess.SubprocessError, ValueError):
            blocks = {}  # git went away: these notes keep their added: or stay undated
        for slug in slugs:
            day, blob = self.single.pop(slug)
            for nid in blocks.get(blob, {}):
                self.known.setdefault((slug, nid), NoteDates(day, day))


def note_history(root: Path) -> History:
    """The dates of every note of the collection at ``root``, from its repository's history."""
    try:
        top, prefix, shallow = _git(root, "rev-parse", "--show-toplevel", "--show-prefix",
                                    "--is-shallow-repository").split("\n")[:3]
        articles: dict[str, str] = {}
        changes = list(_changes(_git(Path(top), "log", "--first-parent", "--diff-merges=first-parent",
                                     "--reverse", "--raw", "--no-renames", "--no-abbrev", "--format=C%H %cd",
                                     "--date=format-local:%Y-%m-%d", "--", f"{prefix}annotations/",
                                     f"{prefix}content/").split("\n"), prefix, articles))
        changed = _changed_in_work_tree(Path(top), prefix)
        versions: dict[str, list[tuple[str, str, str]]] = {}
        for change in changes:
            versions.setdefault(change[1], []).append(change)
        single = {slug: (v[0][0], v[0][2]) for slug, v in versions.items()
                  if len(v) == 1 and v[0][2] != _ZERO and slug not in changed}
        rest = [change for change in changes if change[1] not in single]
        blocks = _read_blobs(Path(top), list(dict.fromkeys(b for _, _, b in rest if b != _ZERO)))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return History({}, problem=str(exc) or type(exc).__name__)
    return History(_dates(rest, blocks), articles, shallow=shallow.strip() == "true", single=single,
                   top=Path(top))


def _changed_in_work_tree(top: Path, prefix: str) -> set[str]:
    """The slugs of the annotation files ``git status`` shows changed (staged or not) in the work tree."""
    out = _git(top, "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=no", "--",
               f"{prefix}annotations/")
    slugs = set()
    for entry in out.split("\0"):
        m = _ANNOTATION_FILE.fullmatch(entry[3:].removeprefix(prefix))
        if m:
            slugs.add(m.group(1))
    return slugs


_ENV = {"TZ": "UTC", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, env={**os.environ, **_ENV},
                          timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise ValueError(f"git {args[0]} failed: {proc.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return proc.stdout.decode("utf-8", "replace")


def _read_blobs(top: Path, wanted: list[str]) -> dict[str, dict[str, str]]:
    """Blob → its note blocks, for each blob wanted: one ``git cat-file --batch``, fed by a thread while this
    one cuts the blobs as they come (so git and the cutting overlap on a machine's cores)."""
    if not wanted:
        return {}
    cat = subprocess.Popen(["git", "-C", str(top), "cat-file", "--batch"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **_ENV})
    assert cat.stdin is not None and cat.stdout is not None

    def feed() -> None:
        try:
            for blob in wanted:
                cat.stdin.write(blob.encode() + b"\n")  # type: ignore[union-attr]
        except OSError:
            pass  # cat-file ended early: the reading side reports the blobs it did not get
        finally:
            with contextlib.suppress(OSError):
                cat.stdin.close()  # type: ignore[union-attr]

    feeder = threading.Thread(target=feed, name="apparatus-history", daemon=True)
    feeder.start()
    blocks: dict[str, dict[str, str]] = {}
    try:
        while True:
            header = cat.stdout.readline().split()
            if not header:
                break
            if len(header) != 3 or header[1] != b"blob":
                raise ValueError(f"git cat-file: no blob {header[0].decode(errors='replace')}")
            data = cat.stdout.read(int(header[2]) + 1)[:-1]
            blocks[header[0].decode()] = note_blocks(data.decode("utf-8", "replace"))
    finally:
        if cat.poll() is None:
            cat.kill()
        cat.wait()
        feeder.join(TIMEOUT_S)
        cat.stdout.close()
    if feeder.is_alive() or cat.returncode != 0 or len(blocks) != len(wanted):
        raise ValueError("git cat-file failed: the annotation files' blobs could not be read")
    return blocks


def _changes(lines: Iterable[str], prefix: str, articles: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(date, slug, new blob) for each change to an annotation file, oldest first; the zero blob for a
    deletion. The records registry and any path that is not ``annotations/<slug>.yaml`` are skipped. The
    first day each ``content/<slug>.md`` is there goes to ``articles`` on the way."""
    date = ""
    for line in lines:  # (git log's output, decoded once by _git)
        if line.startswith("C"):
            date = line.split(" ", 1)[1]
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix):]
            m = _ANNOTATION_FILE.fullmatch(rel)
            if m:
                yield date, m.group(1), meta.split()[3]
                continue
            m = _ARTICLE_FILE.fullmatch(rel)
            if m and meta.split()[3] != _ZERO:
                articles.setdefault(m.group(1), date)


def note_blocks(text: str) -> dict[str, str]:
    """Note id → its block, for one version of an annotation file.

    The block is the note's item of the ``annotations:`` list, as text, its trailing blank and comment
    lines left out: any edit of the note's own lines revises it, an edit of another note does not.
    """
    blocks = _cut(text)
    return _parsed(text) if blocks is None else blocks


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
    body = text[first.end():]
    end = re.search(rf"\n(?!{indent}[ -]|[ \t]*(?:#|\n|$))", body)  # a line indented less: the list ends
    if end is not None:
        body = body[:end.start()]
    blocks: dict[str, str] = {}
    for item in body.split(f"\n{indent}- "):
        m = _ID.match(item) if item.startswith("id:") else _ID.search(item)
        if m is None:
            return None
        block = item.rstrip()
        if "#" in block[block.rfind("\n"):]:  # a trailing comment line is not the note's
            block = _trim(block)
        blocks.setdefault(m.group(2), block)
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


def _dates(changes: list[tuple[str, str, str]], parsed: dict[str, dict[str, str]]
           ) -> dict[tuple[str, str], NoteDates]:
    added: dict[tuple[str, str], str] = {}
    revised: dict[tuple[str, str], str] = {}
    last: dict[tuple[str, str], str] = {}
    for date, slug, blob in changes:
        if blob == _ZERO:
            continue
        for nid, block in parsed[blob].items():
            key = (slug, nid)
            added.setdefault(key, date)
            if last.get(key) != block:
                last[key] = block
                revised[key] = date
    return {key: NoteDates(added[key], revised[key]) for key in added}
