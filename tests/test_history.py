"""apparatus.history: each note's added and revised dates from main's first-parent history, in one pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from apparatus import history
from apparatus.history import NoteDates


def git(repo: Path, *args: str, date: str = "2026-01-01") -> str:
    stamp = f"{date}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def note(nid: str, text: str = "a note") -> str:
    return f"  - id: {nid}\n    type: context\n    quote: \"q\"\n    note: |\n      {text}\n"


def save(repo: Path, slug: str, *notes: str, date: str, folder: str = "") -> None:
    path = repo / folder / "annotations" / f"{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("annotations:\n" + "".join(notes), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{slug} on {date}", date=date)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def test_added_is_the_first_commit_that_holds_the_id_and_revised_the_last_that_changed_its_block(repo: Path) -> None:
    save(repo, "art", note("a"), note("b"), date="2026-01-01")
    save(repo, "art", note("a"), note("b", "revised text"), date="2026-01-05")
    save(repo, "art", note("a"), note("b", "revised text"), note("c"), date="2026-01-09")
    save(repo, "art", note("a"), note("c"), date="2026-01-10")  # b removed …
    save(repo, "art", note("a"), note("b", "back"), note("c"), date="2026-01-12")  # … and back
    (repo / "annotations" / "art.yaml").write_text(  # a comment after a block is not the block's
        "annotations:\n" + note("a") + "  # a comment\n\n" + note("b", "back") + note("c"), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "comment", date="2026-01-13")
    h = history.note_history(repo)
    assert h.problem == "" and not h.shallow
    assert h.notes == {("art", "a"): NoteDates("2026-01-01", "2026-01-01"),
                       ("art", "b"): NoteDates("2026-01-01", "2026-01-12"),
                       ("art", "c"): NoteDates("2026-01-09", "2026-01-09")}


def test_a_pull_request_counts_from_the_day_it_landed_not_its_own_commit_dates(repo: Path) -> None:
    save(repo, "art", note("a"), date="2026-02-01")
    git(repo, "checkout", "-q", "-b", "pr")
    save(repo, "art", note("a", "edited in the pull request"), note("new"), date="2026-02-02")
    git(repo, "checkout", "-q", "main")
    save(repo, "other", note("x"), date="2026-02-03")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge the pull request", "pr", date="2026-02-20")
    h = history.note_history(repo)
    assert h.notes[("art", "a")] == NoteDates("2026-02-01", "2026-02-20")
    assert h.notes[("art", "new")] == NoteDates("2026-02-20", "2026-02-20")
    assert h.notes[("other", "x")] == NoteDates("2026-02-03", "2026-02-03")


def test_the_whole_history_is_read_by_a_fixed_number_of_git_processes(repo: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for day in range(1, 8):
        save(repo, f"art-{day}", *(note(f"n{k}", f"day {day}") for k in range(day)), date=f"2026-03-0{day}")
    calls: list[list[str]] = []
    real = subprocess.Popen

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, args: list[str], *more: object, **kwargs: object) -> None:
            calls.append(args)
            super().__init__(args, *more, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Counted)
    h = history.note_history(repo)
    assert len(h.notes) == sum(range(1, 8))
    assert [a[3] for a in calls] == ["rev-parse", "log", "status", "cat-file"]  # cat-file: for .notes


def test_a_file_with_one_version_needs_no_blob_until_its_text_differs(repo: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A build dates the notes of a file added once and unchanged since without reading its blob: the text it
    read is that blob. A text that differs (an edit in the preview, a file read with CRLF) has its blob read,
    and only the notes in the blob are dated."""
    save(repo, "once", note("a"), note("b"), date="2026-07-01")
    save(repo, "twice", note("x"), date="2026-07-02")
    save(repo, "twice", note("x", "revised"), date="2026-07-03")
    calls: list[str] = []
    real = subprocess.Popen

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, args: list[str], *more: object, **kwargs: object) -> None:
            calls.append(args[3])
            super().__init__(args, *more, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Counted)
    h = history.note_history(repo)
    assert calls == ["rev-parse", "log", "status", "cat-file"]  # the blobs of 'twice' only
    text = (repo / "annotations" / "once.yaml").read_text(encoding="utf-8")
    assert h.dates_of("once", ["a", "b"], text) == {"a": NoteDates("2026-07-01", "2026-07-01"),
                                                    "b": NoteDates("2026-07-01", "2026-07-01")}
    assert h.dates_of("twice", ["x"], "") == {"x": NoteDates("2026-07-02", "2026-07-03")}
    assert len(calls) == 4
    edited = text + note("c")  # a note added in the work tree: not in the history
    assert h.dates_of("once", ["a", "b", "c"], edited) == {"a": NoteDates("2026-07-01", "2026-07-01"),
                                                           "b": NoteDates("2026-07-01", "2026-07-01")}
    assert calls[4:] == ["cat-file"]


def test_a_file_changed_in_the_work_tree_has_its_blob_read(repo: Path) -> None:
    save(repo, "art", note("a"), date="2026-08-01")
    (repo / "annotations" / "art.yaml").write_text("annotations:\n" + note("a") + note("new"), encoding="utf-8")
    h = history.note_history(repo)
    assert h.single == {} and h.known == {("art", "a"): NoteDates("2026-08-01", "2026-08-01")}


def test_a_collection_in_a_subfolder_and_the_registry_left_out(repo: Path) -> None:
    (repo / "site" / "annotations").mkdir(parents=True)
    (repo / "site" / "annotations" / "_records.yaml").write_text("records: []\n", encoding="utf-8")
    save(repo, "art", note("a"), date="2026-04-01", folder="site")
    save(repo, "elsewhere", note("z"), date="2026-04-02")  # annotations/ outside the collection's folder
    assert history.note_history(repo / "site").notes == {("art", "a"): NoteDates("2026-04-01", "2026-04-01")}


def test_a_flow_style_file_is_read_by_its_values(repo: Path) -> None:
    path = repo / "annotations" / "art.yaml"
    path.parent.mkdir()
    path.write_text('annotations: [{id: a, type: context, quote: q, note: x}]\n', encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "flow", date="2026-05-01")
    path.write_text('annotations: [{id: a, type: context, quote: q, note: y}, {id: b, type: context, quote: q, '
                    'note: x}]\n', encoding="utf-8")
    git(repo, "commit", "-q", "-am", "flow 2", date="2026-05-02")
    assert history.note_history(repo).notes == {("art", "a"): NoteDates("2026-05-01", "2026-05-02"),
                                                ("art", "b"): NoteDates("2026-05-02", "2026-05-02")}


def test_the_cut_and_the_parse_find_the_same_notes_in_the_real_collection() -> None:
    root = Path(__file__).resolve().parent.parent / "annotations"
    for path in sorted(root.glob("[a-z]*.yaml")):
        text = path.read_text(encoding="utf-8")
        cut = history._cut(text)
        assert cut is not None and list(cut) == list(history._parsed(text)), path.name


def test_a_shallow_clone_is_detected(repo: Path, tmp_path: Path) -> None:
    save(repo, "art", note("a"), date="2026-06-01")
    save(repo, "art", note("a"), note("b"), date="2026-06-02")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    h = history.note_history(clone)
    assert h.shallow
    assert h.notes[("art", "a")] == NoteDates("2026-06-02", "2026-06-02")  # wrong, hence the warning


def test_outside_a_repository_there_is_no_history(tmp_path: Path) -> None:
    h = history.note_history(tmp_path)
    assert h.notes == {} and "rev-parse" in h.problem


def article(repo: Path, slug: str, text: str, date: str) -> None:
    path = repo / "content" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{slug} on {date}", date=date)


def test_an_article_is_added_on_the_first_commit_that_holds_its_file_on_the_first_parent_line(repo: Path) -> None:
    article(repo, "old", "first", date="2026-07-01")
    article(repo, "old", "edited", date="2026-07-03")  # an edit is no addition
    git(repo, "checkout", "-q", "-b", "pr")
    article(repo, "new", "from a pull request", date="2026-07-02")
    (repo / "content" / "notes.txt").write_text("not an article", encoding="utf-8")
    (repo / "content" / "sub").mkdir()
    (repo / "content" / "sub" / "deep.md").write_text("not an article either", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more", date="2026-07-02")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr", date="2026-07-09")
    h = history.note_history(repo)
    assert h.articles == {"old": "2026-07-01", "new": "2026-07-09"}
    assert h.notes == {}
