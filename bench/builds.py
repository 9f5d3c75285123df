"""Timed cold builds for the benchmarks (bench/run.py, bench/search_bench.py), and a quiet file system.

Every timed build writes into an output folder that does not exist yet (:func:`build` sets the
generated collection's ``output:`` to a new name), and nothing is deleted while builds are timed:
the caller removes the outputs after the last one.

Why: this machine's file system is ext4 without a journal (/proc/fs/jbd2 is empty). On such a
file system ext4 does not hand out an inode number freed in the last 60 s, or 360 s while its
inode-table block is dirty (fs/ext4/ialloc.c, recently_deleted()), and every new file or folder
scans past each such inode of its block group, a buffer-cache lookup each. Deleting a
1000-article site just before a build made that build's kernel time grow from run to run:
`perf record` put ~40% of its samples under __ext4_new_inode (find_get_block_common,
recently_deleted, find_inode_bit). A user's first `make site` after a clone deletes nothing, so
the benchmarks first wait (:func:`settle`) for deletions made before to age, then build without
deleting. (Waiting for a probe of a few hundred files to become fast was tried and is not enough:
the probe landed in other block groups and reported quiet while builds still spent 9% of their
samples in recently_deleted.)
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SETTLE_S = 365  # RECENTCY_MIN + RECENTCY_DIRTY in fs/ext4/ialloc.c, and a margin
_names = itertools.count(1)


def set_output(coll: Path, name: str) -> Path:
    """Point the generated collection's site.yaml at the output folder ``name`` (the collection is ours)."""
    path = coll / "site.yaml"
    site = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    site["output"] = name
    path.write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return coll / name


def build(coll: Path, extra: list[str] | tuple[str, ...] = ()) -> tuple[float, float, float, float, Path]:
    """One cold `build.py build` process into a new output folder under coll; returns
    (wall seconds, peak RSS MiB, user CPU s, system CPU s, output folder). Exits 1 if the build fails.

    Wall time is time.perf_counter() from start to reap; peak RSS is ru_maxrss from os.wait4() (for
    a process with workers, the largest single process: Linux folds in the descendants it reaped as a
    max, not a sum); user and system CPU include the workers.
    """
    out = set_output(coll, f"_site-{next(_names)}")
    if out.exists():
        sys.exit(f"{out} exists: every timed build writes a new folder")
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(coll), "build", *extra]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            stdout.seek(0)
            stderr.seek(0)
            sys.stdout.write(stdout.read().decode(errors="replace")[-5000:])
            sys.stderr.write(stderr.read().decode(errors="replace"))
            sys.exit(f"build failed with exit status {proc.returncode}: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime, out


def settle(seconds: float = SETTLE_S, log=print) -> None:
    """Write out dirty buffers, then wait ``seconds``: long enough for inodes deleted before the call
    to stop counting as recently deleted (360 s while their inode-table block is dirty, which the
    timed builds' own new files make it)."""
    os.sync()
    if seconds > 0:
        log(f"waiting {seconds:g} s for earlier deletions to age (bench/builds.py) ...")
        time.sleep(seconds)
