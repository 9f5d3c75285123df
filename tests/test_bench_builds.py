"""bench/builds.py: timed builds write new output folders and delete nothing; settle probes and returns."""
import importlib.util
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _load(name):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_each_build_writes_a_new_folder_and_deletes_none(tmp_path):
    gen, builds = _load("gen"), _load("builds")
    coll = tmp_path / "c"
    gen.generate(coll, 3, 1)
    first = builds.build(coll, ["--no-search"])
    second = builds.build(coll, ["--no-search"])
    assert first[4] != second[4]
    for wall, rss, user, system, out in (first, second):
        assert wall > 0 and rss > 0 and user >= 0 and system >= 0
        assert out.parent == coll and out.name.startswith("_site-")
        assert (out / "index.html").is_file()  # the first build's site is still there
    assert yaml.safe_load((coll / "site.yaml").read_text(encoding="utf-8"))["output"] == second[4].name


def test_settle_syncs_and_waits(monkeypatch):
    builds = _load("builds")
    calls = []
    monkeypatch.setattr(builds.os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(builds.time, "sleep", lambda s: calls.append(s))
    said = []
    builds.settle(log=said.append)
    builds.settle(0, log=said.append)
    assert calls == ["sync", builds.SETTLE_S, "sync"] and len(said) == 1 and "365 s" in said[0]
