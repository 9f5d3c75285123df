"""The GitHub workflows are valid, per check-jsonschema's vendored GitHub-workflow schema (works offline)."""

import subprocess
import sys
from pathlib import Path

from conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
LINTER = Path(sys.executable).parent / "check-jsonschema"


def lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINTER), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True)


def test_workflows_pass_the_linter() -> None:
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pr.yml"]
    proc = lint(WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert lint([bad]).returncode == 1


def test_pull_requests_get_inline_errors_and_main_deploys() -> None:
    pr = (REPO / ".github" / "workflows" / "pr.yml").read_text()
    assert "build.py check --format github" in pr and "make test" in pr and "make lint" in pr
    assert 'python-version: ["3.11", "3.13"]' in pr
    deploy = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    assert "actions/upload-pages-artifact" in deploy and "actions/deploy-pages" in deploy
    # the published address (canonical links, sitemap.xml, 404.html): from Pages, in APPARATUS_BASE_URL (site.yaml
    # is not edited: appending to a file without a final line break broke it)
    assert "actions/configure-pages" in deploy and "build.py build --strict" in deploy
    assert "APPARATUS_BASE_URL: ${{ steps.pages.outputs.base_url }}/" in deploy and ">> site.yaml" not in deploy


def test_every_checkout_fetches_the_whole_history() -> None:
    """The notes' dates come from git (apparatus.history): a shallow checkout would date them wrong, and warn."""
    import yaml

    for path in WORKFLOWS:
        steps = [s for job in yaml.safe_load(path.read_text())["jobs"].values() for s in job["steps"]]
        checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
        assert checkouts and all(s.get("with", {}).get("fetch-depth") == 0 for s in checkouts), path.name
