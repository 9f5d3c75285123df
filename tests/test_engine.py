"""The preview's engine process: it alone forks, and only while it runs one thread (issue 15, part 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import killed_leaves_none
from test_history import git

from apparatus.engine import Engine, EngineGone
from apparatus.serve import start, stop

REPO = Path(__file__).resolve().parent.parent
FRONT_FORKS: list[int] = []  # threading.active_count() at each fork of this process while recording
_recording = False


def _record_fork() -> None:
    if _recording:
        FRONT_FORKS.append(threading.active_count())


os.register_at_fork(before=_record_fork)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection large enough for the build to run its articles on a process pool, in a repository: each full
    build's history pass runs a thread (apparatus.history), which has ended before the build forks."""
    dest = tmp_path_factory.mktemp("engine") / "c"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), str(dest), "--articles", "80"], check=True,
                   capture_output=True)
    (dest / ".gitignore").write_text("_site/\n", encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "the collection", date="2026-11-20")
    return dest


def test_every_fork_of_the_preview_happens_in_a_process_with_one_thread(large: Path) -> None:
    global _recording
    _recording = True
    try:
        server, watcher = start(large, port=0, jobs=2)
        try:
            assert threading.active_count() > 1  # this front process runs the server's threads
            engine = server.preview
            ann = sorted((large / "annotations").glob("[!_]*.yaml"))[0]
            text = ann.read_text()
            ann.write_text(text.replace("\n    note: ", "\n    note: Edited. ", 1))
            outcome = engine.rebuild({f"annotations/{ann.name}"})
            assert outcome.ok and outcome.later is not None
            assert outcome.later().ok and engine.refresh_search()
            assert b"Edited. " in engine.files[f"articles/{ann.stem}/index.html"]
            assert b'added <time datetime="2026-11-20">' in engine.files[f"articles/{ann.stem}/index.html"]
            assert engine.rebuild({"site.yaml"}).ok  # a full build: the pool and a new worker, forked again
            forks = engine.forks()
        finally:
            stop(server, watcher)
    finally:
        _recording = False
    # two full builds, each: one pool worker (the engine takes the other share itself) and the background worker
    assert len(forks) == 4
    assert set(forks) == {1}
    assert FRONT_FORKS == []  # the front never forks (the engine is spawned: a fresh interpreter)


def test_an_engine_that_ended_is_reported_not_waited_for(tiny: Path) -> None:
    engine = Engine(tiny, jobs=1)
    assert engine.first.result().ok
    engine._process.kill()
    engine._process.join()
    with pytest.raises(EngineGone):
        engine.rebuild({"annotations/alpha.yaml"})
    outcome = engine.crashed(RuntimeError("boom"), "annotations/alpha.yaml")
    assert not outcome.ok and engine.failed
    assert outcome.diagnostics[0].format().startswith(
        "annotations/alpha.yaml:1:1: error: the preview could not rebuild after this change: RuntimeError: boom")
    engine.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_an_engine_ends_with_its_front_even_during_a_full_build(tmp_path: Path) -> None:
    """The front killed (SIGKILL) while the engine runs its first full build: the engine ends at once, rather
    than finishing the build before it sees the front's pipe closed."""
    coll = tmp_path / "c"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), str(coll), "--articles", "400"], check=True,
                   capture_output=True)
    script = tmp_path / "front.py"
    script.write_text("import sys, time\nfrom pathlib import Path\nfrom apparatus.engine import Engine\n"
                      "if __name__ == '__main__':  # (the engine is spawned: it imports this file again)\n"
                      "    e = Engine(Path(sys.argv[1]), jobs=1)\n    print(e._process.pid, flush=True)\n"
                      "    time.sleep(120)\n", encoding="utf-8")
    # its full build of 400 articles, on one process, takes seconds: the front is killed half a second in
    assert killed_leaves_none([sys.executable, str(script), str(coll)], 1.0, settle=0.5)
