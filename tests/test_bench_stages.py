"""bench/stages.py: each stage of process_article is timed, the functions and the collector's settings are put
back afterwards, and the floor is the sum of the required stages."""
import gc
import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _load(name="stages"):
    """bench/<name>.py as a module; the path it changes (stages.py puts the repository and bench/ on it) put back."""
    path = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path[:] = path


def test_stages_are_timed_and_put_back(tmp_path, capsys, monkeypatch):
    stages = _load()
    originals = [getattr(module, name) for _, module, name, _ in stages.STAGES]
    threshold = gc.get_threshold()
    gc.unfreeze()  # (a preview test run before this one leaves its build frozen)
    coll = tmp_path / "c"
    stages.gen.generate(coll, 4, 1)
    stages.with_base_url(coll)  # as main() does for the collections it generates: every stage runs
    def write_report(name, report):
        (tmp_path / name).write_text(json.dumps(report))
        return tmp_path / name
    monkeypatch.setattr(stages.builds, "write_report", write_report)
    stages.main(["--root", str(coll), "--runs", "2", "--out", "stages-test.json"])
    assert [getattr(module, name) for _, module, name, _ in stages.STAGES] == originals
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
    report = json.loads((tmp_path / "stages-test.json").read_text())
    ms = report["ms_per_article"]
    assert report["articles"] == 4 and report["runs"] == 2
    assert set(ms) == {label for label, *_ in stages.STAGES} | {stages.REST, "total"}
    assert all(len(v) == 2 for v in report["passes"].values())
    assert all(ms[label] > 0 for label, *_ in stages.STAGES)  # every stage ran
    assert report["floor_ms_per_article"] == round(sum(ms[label] for label in report["required"]), 4)
    assert report["required"] == ["article file and front matter", "annotation file: YAML and schema",
                                  "Markdown parse (fastmd)", "body HTML (render_article)", "page template (Jinja)"]
    out = capsys.readouterr().out
    assert "floor (required stages):" in out and "s per 1000 on 2 cores" in out
