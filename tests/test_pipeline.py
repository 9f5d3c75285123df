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


def test_parallel_build_equals_serial(synthetic: Path) -> None:
    assert pipeline.PARALLEL_THRESHOLD <= 80
    pipeline.build(synthetic, jobs=1)
    serial = tree_digest(synthetic / "_site")
    pipeline.build(synthetic, jobs=2)
    assert tree_digest(synthetic / "_site") == serial


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
