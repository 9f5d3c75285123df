"""bench/check_bench.py: one annotation file changed, the check of that file and the full check timed in turns."""
import json

from test_bench_stages import _load


def test_the_named_check_and_the_full_one_are_timed(tmp_path, monkeypatch):
    bench = _load("check_bench")
    coll = tmp_path / "c"
    bench.gen.generate(coll, 4, 1)

    def write_report(name, report):
        (tmp_path / name).write_text(json.dumps(report))
        return tmp_path / name

    monkeypatch.setattr(bench.builds, "write_report", write_report)
    bench.main(["--keep", str(coll), "--runs", "2", "--out", "check-test.json"])
    report = json.loads((tmp_path / "check-test.json").read_text())
    assert report["articles"] == 4 and report["changed"].startswith("annotations/")
    assert "Edited in a pull request. " in (coll / report["changed"]).read_text(encoding="utf-8")
    for which in ("named", "full"):
        assert len(report[which]["runs_s"]) == 2 and report[which]["median_s"] > 0
