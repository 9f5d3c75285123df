"""bench/check_bench.py: one annotation file changed, the check of that file and the full check timed in turns."""
import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _load():
    path = list(sys.path)  # check_bench.py puts bench/ on the path
    try:
        spec = importlib.util.spec_from_file_location("bench_check", REPO / "bench" / "check_bench.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path[:] = path


def test_the_named_check_and_the_full_one_are_timed(tmp_path, monkeypatch):
    bench = _load()
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
