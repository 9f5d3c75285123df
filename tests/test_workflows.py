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


def workflow(name: str) -> dict:
    import yaml

    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def steps(name: str) -> list[dict]:
    return [s for job in workflow(name)["jobs"].values() for s in job["steps"]]


def test_the_tests_drive_the_runners_chrome_not_the_snap_shim() -> None:
    """Issue 18: Ubuntu 24.04's chromium package is a snap shim; the runner image's Google Chrome is used instead,
    through the setting tests/tools.py reads."""
    for path in WORKFLOWS:
        assert workflow(path.name)["env"]["APPARATUS_CHROMIUM"] == "/usr/bin/google-chrome", path.name
        assert "apt-get install" not in path.read_text(encoding="utf-8"), path.name


def test_one_run_per_pull_request() -> None:
    """pull_request, and push to main only (a push to a pull request's branch ran it twice); a newer push cancels
    the run before it."""
    pr = workflow("pr.yml")
    triggers = pr[True]  # (YAML 1.1 reads the key `on` as true)
    assert set(triggers) == {"pull_request", "push"} and triggers["push"] == {"branches": ["main"]}
    assert pr["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in pr["concurrency"]["group"]


def test_pip_and_npm_are_cached() -> None:
    by_action = {s["uses"].split("@")[0]: s.get("with", {}) for s in steps("pr.yml") if "uses" in s}
    assert by_action["actions/setup-python"]["cache"] == "pip"
    assert "constraints.txt" in by_action["actions/setup-python"]["cache-dependency-path"].split()
    assert by_action["actions/setup-node"]["cache"] == "npm"


def check_step() -> str:
    """The PR workflow's check step, as bash runs it on a pull request."""
    step = next(s for s in steps("pr.yml") if s.get("name", "").startswith("Check the changed"))
    return step["run"].replace("${{ github.event_name }}", "pull_request")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   check=True, capture_output=True)


def pull_request(tmp_path: Path, change: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The tiny site in a repository, a pull request making ``change`` merged into it as GitHub checks it out, and
    the workflow's check step run there."""
    from conftest import TINY, copy_site

    repo = copy_site(TINY, tmp_path / "repo")
    (repo / ".venv" / "bin").mkdir(parents=True)
    python = repo / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    (repo / "build.py").write_bytes((REPO / "build.py").read_bytes())
    (repo / ".gitignore").write_text(".venv/\n_site/\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    for rel, text in change.items():
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the pull request")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moved on")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")  # refs/pull/N/merge: HEAD^1 is the base
    return subprocess.run(["bash", "-c", check_step()], cwd=repo, capture_output=True, text=True)


ARTICLE = (REPO / "tests" / "sites" / "tiny" / "content" / "alpha.md").read_text(encoding="utf-8")


def test_a_pull_request_has_its_changed_files_checked(tmp_path: Path) -> None:
    result = pull_request(tmp_path, {"content/gamma.md": ARTICLE})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice::checked 1 article (content/gamma.md), 0 annotations and the registry "
                                    "of 2 records in ")


def test_a_file_name_is_never_an_option(tmp_path: Path) -> None:
    result = pull_request(tmp_path, {"content/-beta.md": ARTICLE, "content/gamma.md": ARTICLE})
    assert result.returncode == 1, result.stderr  # -beta is no slug: an error, never read as an option
    assert result.stderr.startswith("::error file=content/-beta.md,line=1,col=1::")


def test_a_change_outside_the_articles_checks_everything(tmp_path: Path) -> None:
    result = pull_request(tmp_path, {"content/gamma.md": ARTICLE, "content/notes.txt": "not an article"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice::checked 2 articles, 8 annotations, 2 records in ")
