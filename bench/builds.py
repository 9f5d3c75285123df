"""Timed cold builds for the benchmarks, and a quiet file system to time them on.

Every timed build writes into an output folder that does not exist yet (:func:`build` sets the
generated collection's ``output:`` to a new name), and nothing is deleted while builds are timed:
the caller removes the outputs after the last one.

Why: this machine's file system is ext4 without a journal (/proc/fs/jbd2 is empty). On such a
file system ext4 avoids reusing an inode number freed in the last 60 s, or 360 s while its
inode-table block is dirty and cached (fs/ext4/ialloc.c, find_inode_bit() and recently_deleted()):
every new file or folder scans its block group from the start past each such inode, a
buffer-cache lookup each. Deleting a 1000-article site just before a build made that build's
kernel time grow from run to run: `perf record` put ~40% of its samples under __ext4_new_inode
(find_get_block_common, recently_deleted, find_inode_bit). A user's first `make site` after a
clone deletes nothing, so the benchmark scripts (run.py, search_bench.py, serve_bench.py) first
wait (:func:`settle`) for deletions made before to age, then work without deleting. (Waiting for
a probe of a few hundred files to become fast was tried and is not enough: the probe landed in
other block groups and reported quiet while builds still spent 9% of their samples in
recently_deleted.)
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import gen  # noqa: E402  (bench/gen.py)

SETTLE_S = 365  # RECENTCY_MIN + RECENTCY_DIRTY in fs/ext4/ialloc.c, and a margin
_names = itertools.count(1)


def set_output(coll: Path, name: str) -> Path:
    """Point the generated collection's site.yaml at the output folder ``name`` (the collection is ours)."""
    path = coll / "site.yaml"
    site = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    site["output"] = name
    path.write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return coll / name


def engine_python(engine: Path) -> str:
    """The interpreter that runs the checkout ``engine``: its own .venv's, else this one."""
    own = engine / ".venv" / "bin" / "python"
    return str(own) if engine != REPO and own.exists() else sys.executable


class Build(NamedTuple):
    wall: float  # seconds, time.perf_counter() from start to reap
    rss: float  # MiB, ru_maxrss from os.wait4(): the largest single process (Linux folds in reaped
    #             descendants as a max, not a sum)
    user: float  # CPU seconds, the workers included
    system: float
    out: Path  # the output folder
    pss: float  # MiB, the largest sum of PSS over the build's processes at one moment (PssSampler)


class PssSampler:
    """The peak of the memory a process and its descendants hold together, sampled every ``interval``
    seconds on a thread: the sum of their PSS (proportional set size: a page shared by k processes, as a
    forked worker shares its parent's, counts 1/k in each), from /proc/PID/smaps_rollup. RSS would count
    shared pages in every process, and ru_maxrss gives only the largest single one. A peak shorter than
    the interval can be missed; reading smaps_rollup costs the kernel a walk of the page tables, about a
    millisecond for a process of a few hundred MiB."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling (call it before reaping the process); the peak in MiB."""
        self._done.set()
        self._thread.join()
        return self.peak_kib / 1024

    def _run(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, sum(map(_pss_kib, _tree(self.pid))))
            if self._done.wait(self.interval):
                return


def _tree(pid: int) -> list[int]:
    """pid and its descendants, from the parent pid in each /proc/N/stat (field 4, after the ')' of the name)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # ended meanwhile, or a zombie (no memory left)
    return 0


def build(coll: Path, extra: list[str] | tuple[str, ...] = (), engine: Path = REPO) -> Build:
    """One cold `build.py build` process of the checkout ``engine`` (this one by default) into a new
    output folder coll/_site-K (see :class:`Build` for what is measured). Exits 1 if the build fails.
    What the build prints goes to coll/_site-K.log (a file in /tmp would be deleted meanwhile)."""
    name = f"_site-{next(_names)}"
    out, log = coll / name, coll / f"{name}.log"
    if out.exists() or log.exists():
        sys.exit(f"{out} exists: every timed build writes a new folder")
    set_output(coll, name)
    return timed(build_command(engine, coll, name, extra), out, log, cwd=engine)


def build_command(engine: Path, coll: Path, name: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The checkout engine's `build.py build` of coll into the output folder name. An engine with the build cache
    gets a new, empty one (coll/NAME.cache), which it fills as a user's first build would, unless extra says
    --no-cache; an engine from before the cache builds cold anyway, and is not given --no-cache (it has no such
    option), so that old and new engines can be compared cold: `bench/run.py --against OLD -- --no-cache`."""
    cached = (engine / "apparatus" / "cache.py").exists()
    extra = list(extra) if cached else [a for a in extra if a != "--no-cache"]
    cmd = [engine_python(engine), str(engine / "build.py"), "--root", str(coll), "build", *extra]
    if cached:
        cmd += ["--cache-dir", str(coll / f"{name}.cache")]
    return cmd


def timed(cmd: list[str], out: Path, log: Path, cwd: Path | None = None) -> Build:
    """Run cmd (a cold build writing into out, printing into log) and measure it (:class:`Build`); exits 1,
    showing the end of the log, if it fails. bench/hugo_bench.py times Hugo with it too."""
    with log.open("w+b") as printed:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=printed, stderr=subprocess.STDOUT, cwd=cwd)
        sampler = PssSampler(proc.pid)
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # ended but not reaped, so the sampler
        wall = time.perf_counter() - t  # never reads a pid the system gave to another process meanwhile
        pss = sampler.stop()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            printed.seek(0)
            sys.stderr.write(printed.read().decode(errors="replace")[-8000:])
            sys.exit(f"build failed with exit status {proc.returncode}: {' '.join(cmd)}")
    return Build(wall, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime, out, pss)


def git_commit() -> str | None:
    """The commit the benchmarks measure, for their reports."""
    r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def out_option(ap: argparse.ArgumentParser, default: str) -> None:
    """The scripts' --out option: the report's file name under _bench/ (a trial run need not replace the last one)."""
    ap.add_argument("--out", default=default, help=f"file name of the JSON report under _bench/ (default {default})")


def write_report(name: str, report: object) -> Path:
    """Write a benchmark's JSON report to _bench/NAME; returns its path."""
    path = REPO / "_bench" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def made_by_gen(coll: Path) -> bool:
    return (coll / gen.MARKER).is_file()


def forget(coll: Path) -> None:
    """Delete a collection an earlier run generated and kept, before :func:`settle` (gen.py would
    replace it after the wait, right before the timed builds). Anything else is left alone."""
    if made_by_gen(coll):
        shutil.rmtree(coll)


def tidy(coll: Path) -> None:
    """After the last timed build: delete a generated collection's outputs and build logs, and point it
    at _site again. A folder gen.py did not make is left alone."""
    if not made_by_gen(coll):
        return
    for path in coll.glob("_site-*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    set_output(coll, "_site")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settle(seconds: float = SETTLE_S, log=_say) -> None:
    """Write out dirty buffers, then wait ``seconds``: long enough for inodes deleted before the call
    to stop counting as recently deleted (360 s while their inode-table block is dirty, which the
    timed builds' own new files make it)."""
    os.sync()
    if seconds > 0:
        log(f"waiting {seconds:g} s for earlier deletions to age (bench/builds.py) ...")
        time.sleep(seconds)


def settle_option(ap: argparse.ArgumentParser) -> None:
    """The scripts' --settle option (the seconds given to :func:`settle`)."""
    ap.add_argument("--settle", type=float, default=0.0, metavar="SECONDS",
                    help=f"seconds to wait first, for earlier deletions to stop slowing down creating files "
                         f"(default 0; {SETTLE_S} after large deletions on ext4 without a journal: see "
                         f"docs/performance.md)")


@contextlib.contextmanager
def workspace(keep: str | None, prefix: str, collections: Iterable[str], seconds: float) -> Iterator[Path]:
    """The folder a benchmark works in: ``keep`` (kept afterwards) or a new one under _bench/ (deleted
    afterwards). In order: the generated ``collections`` an earlier run kept there are deleted, then
    :func:`settle`; nothing is deleted while the caller works; then the folder goes, or, when kept,
    those collections are tidied (:func:`tidy`)."""
    workdir = Path(keep or tempfile.mkdtemp(prefix=prefix, dir=gen.scratch())).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    names = list(collections)
    for name in names:
        forget(workdir / name)
    settle(seconds)
    try:
        yield workdir
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for name in names:
                tidy(workdir / name)
