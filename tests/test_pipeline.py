"""The pipeline: serial and parallel builds agree, and a worker's errors reach the report."""

from pathlib import Path

import pytest
from conftest import REPO, tree_digest

from apparatus import pipeline
from apparatus.errors import BuildError


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess
    import sys
    dest = tmp_path_factory.mktemp("synthetic") / "c"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), str(dest), "--articles", "80"], check=True,
                   capture_output=True)
    return dest


def test_parallel_build_equals_serial(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 8)  # articles and collection pages both go parallel
    records = len((synthetic / "annotations" / "_records.yaml").read_text().split("- id:")) - 1
    assert records + 4 > 8
    pipeline.build(synthetic, jobs=1)
    serial = tree_digest(synthetic / "_site")
    pipeline.build(synthetic, jobs=2)
    assert tree_digest(synthetic / "_site") == serial


def test_template_error_in_a_parallel_record_page(synthetic: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 8)
    root = tmp_path / "c"
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns("_site"))
    record = root / "templates" / "record.html"
    record.write_text(record.read_text().replace("{{ record.issuer }}", "{{ record.issuer.nope }}"))
    with pytest.raises(BuildError) as exc:
        pipeline.build(root, jobs=2)
    [d] = exc.value.diagnostics
    assert (d.path, d.message.split(":")[0]) == ("templates/record.html", "template error")
    assert not (root / "_site").exists()


def test_errors_found_in_workers_are_reported(synthetic: Path, tmp_path: Path) -> None:
    import shutil
    root = tmp_path / "c"
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns("_site"))
    victim = sorted((root / "annotations").glob("a*.yaml"))[-1]
    victim.write_text(victim.read_text().replace("quote: ", "quote: zzz ", 1))
    with pytest.raises(BuildError) as exc:
        pipeline.build(root, jobs=2)
    assert [d.path for d in exc.value.diagnostics] == [f"annotations/{victim.name}"]
    assert not (root / "_site").exists()
