"""bench/builds.py: timed builds write new output folders and delete nothing; kept collections are
replaced before the wait and tidied after the last build; nothing gen.py did not make is touched."""
import itertools
import sys

import pytest
import yaml
from conftest import bench_module


@pytest.fixture(scope="module")
def builds():
    return bench_module("builds")


def test_each_build_writes_a_new_folder_and_deletes_none(builds, tmp_path):
    coll = tmp_path / "c"
    builds.gen.generate(coll, 3, 1)
    first = builds.build(coll, ["--no-search"])
    second = builds.build(coll, ["--no-search"])
    assert first.out != second.out
    for wall, rss, user, system, out, pss in (first, second):
        assert wall > 0 and rss > 0 and pss > 0 and user >= 0 and system >= 0
        assert out.parent == coll and out.name.startswith("_site-")
        assert (out / "index.html").is_file()  # the first build's site is still there
        assert "built 3 articles" in (coll / f"{out.name}.log").read_text(encoding="utf-8")
    assert yaml.safe_load((coll / "site.yaml").read_text(encoding="utf-8"))["output"] == second.out.name

    builds.tidy(coll)
    assert not list(coll.glob("_site*"))
    assert yaml.safe_load((coll / "site.yaml").read_text(encoding="utf-8"))["output"] == "_site"
    builds.forget(coll)
    assert not coll.exists()


def test_an_engine_from_before_the_cache_is_not_given_its_options(builds, tmp_path):
    """bench/run.py --against an engine older than the build cache, with -- --no-cache: both build cold."""
    old, new = tmp_path / "old", tmp_path / "new"
    for engine in (old, new):
        (engine / "apparatus").mkdir(parents=True)
    (new / "apparatus" / "cache.py").touch()
    coll = tmp_path / "c"
    assert builds.build_command(old, coll, "_site-1", ["--no-search", "--no-cache"])[2:] == [
        "--root", str(coll), "build", "--no-search"]
    assert builds.build_command(new, coll, "_site-1", ["--no-search", "--no-cache"])[2:] == [
        "--root", str(coll), "build", "--no-search", "--no-cache", "--cache-dir", str(coll / "_site-1.cache")]


def test_a_build_never_writes_into_an_existing_folder(builds, tmp_path, monkeypatch):
    coll = tmp_path / "c"
    builds.gen.generate(coll, 1, 1)
    (coll / "_site-7").mkdir()
    monkeypatch.setattr(builds, "_names", itertools.count(7))
    with pytest.raises(SystemExit, match="_site-7 exists"):
        builds.build(coll)


def test_folders_gen_did_not_make_are_left_alone(builds, tmp_path):
    mine = tmp_path / "mine"
    (mine / "_site-1").mkdir(parents=True)
    (mine / "site.yaml").write_text("title: Mine  # a comment\noutput: public\n", encoding="utf-8")
    builds.tidy(mine)
    builds.forget(mine)
    builds.tidy(tmp_path / "never-made")
    assert (mine / "_site-1").is_dir()
    assert (mine / "site.yaml").read_text(encoding="utf-8") == "title: Mine  # a comment\noutput: public\n"


def test_settle_syncs_and_waits(builds, monkeypatch):
    calls = []
    monkeypatch.setattr(builds.os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(builds.time, "sleep", lambda s: calls.append(s))
    said = []
    builds.settle(log=said.append)
    builds.settle(0, log=said.append)
    assert calls == ["sync", builds.SETTLE_S, "sync"]
    assert len(said) == 1 and f"{builds.SETTLE_S:g} s" in said[0]


def test_a_workspace_deletes_before_the_wait_and_after_the_work_never_between(builds, tmp_path, monkeypatch):
    builds.gen.generate(tmp_path / "3", 3, 1)  # kept by an earlier run
    seen = []
    monkeypatch.setattr(builds, "settle", lambda seconds: seen.append(((tmp_path / "3").exists(), seconds)))
    with builds.workspace(str(tmp_path), "unused-", ["3"], 7.0) as workdir:
        assert workdir == tmp_path.resolve() and seen == [(False, 7.0)]  # gone before the wait
        builds.gen.generate(workdir / "3", 3, 1)
        out = builds.build(workdir / "3", ["--no-search"])[4]
    assert not out.exists() and (tmp_path / "3" / "site.yaml").is_file()  # kept: outputs tidied only

    with builds.workspace(None, "apparatus-test-", [], 0) as scratch:
        assert scratch.parent == builds.REPO / "_bench" and scratch.is_dir()
    assert not scratch.exists()


def test_pss_sampler_sums_a_process_and_its_children(builds):
    """Peak PSS over a process tree: a parent and a forked child each filling 64 MiB of their own count twice;
    ru_maxrss would give one of them."""
    import subprocess
    code = ("import os, time\nb = bytearray(64 << 20)\npid = os.fork()\nc = bytearray(64 << 20)\n"
            "for i in range(0, len(c), 4096): c[i] = 1\nfor i in range(0, len(b), 4096): b[i] = 2\n"
            "time.sleep(1.0)\nos._exit(0) if pid == 0 else os.waitpid(pid, 0)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = builds.PssSampler(proc.pid, interval=0.02)
    proc.wait()
    peak = sampler.stop()
    assert peak > 2 * 64 + 32, peak  # each process's own 64 MiB (+ b, copied on write in the child)


def test_hugo_site_has_the_same_articles_notes_and_records(builds, tmp_path):
    """bench/hugo_bench.py: the Hugo site holds every article (front matter `url:` renamed: Hugo takes it for the
    page's address), every annotation file as data, a page per record, and the layouts (Hugo itself is not run
    here: it is installed only by make bench-hugo)."""
    hugo_bench = bench_module("hugo_bench")
    coll = tmp_path / "c"
    builds.gen.generate(coll, 12, 1)
    site = hugo_bench.site(coll)
    articles = sorted(p.name for p in (site / "content" / "articles").glob("*.md"))
    assert articles == sorted(p.name for p in (coll / "content").glob("*.md"))
    assert sorted(p.name for p in (site / "data" / "notes").glob("*.yaml")) == \
        sorted(p.name for p in (coll / "annotations").glob("*.yaml") if p.name != "_records.yaml")
    for name in articles:
        ours, theirs = (d.read_text(encoding="utf-8") for d in (coll / "content" / name, site / "content" /
                                                                 "articles" / name))
        assert theirs == ours.replace("\nurl: ", "\nsource_url: ", 1) and "\nurl: " not in theirs
    records = yaml.safe_load((coll / "annotations" / "_records.yaml").read_text(encoding="utf-8"))["records"]
    assert len(list((site / "content" / "records").glob("*.md"))) == len(records)
    assert {p.name for p in (site / "layouts").iterdir()} == {"baseof.html", "page.html", "home.html", "list.html"}


def test_the_cache_benchs_edit_changes_a_notes_wording_never_a_quote():
    cache_bench = bench_module("cache_bench")
    text = ('annotations:\n  - id: a\n    quote: "the law the court"\n    note: |\n      A note on the law.\n'
            '      Second line of the note.\n    links:\n      - {url: "https://e.org/", title: "On the law"}\n')
    assert cache_bench.note_wording(text) == text.replace("A note on the law", "A note on the very law")
    inline = 'annotations:\n  - id: a\n    quote: "the law"\n    note: "Says the law."\n'
    assert cache_bench.note_wording(inline) == inline.replace("Says the law", "Says the very law")
    assert cache_bench.note_wording('annotations:\n  - id: a\n    quote: "the law"\n    note: Law.\n') is None
