"""Tests for bench/gen.py: the synthetic collection is deterministic and valid under docs/format.md."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parent.parent
GEN = REPO / "bench" / "gen.py"
ID = re.compile(r"^[a-z0-9-]+$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
N = 20


def load_gen():
    spec = importlib.util.spec_from_file_location("bench_gen", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def coll(tmp_path_factory):
    dest = tmp_path_factory.mktemp("bench") / "coll"
    load_gen().generate(dest, N, seed=1, corpus="pooled")  # English: the rules below are English's
    return dest


def split_article(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    fm, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(fm), body


def norm(s):
    s = s.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return re.sub(r"\s+", " ", s).strip()


def visible_blocks(body):
    """The rule: blocks split on blank lines, link syntax -> text, * and ** dropped, `# ` dropped."""
    out = []
    for block in re.split(r"\n\s*\n", body.strip()):
        block = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", block.removeprefix("# "))
        out.append(norm(block.replace("*", "")))
    return out


def count_matches(blocks, quote, prefix="", suffix=""):
    q, p, s, n = norm(quote), norm(prefix), norm(suffix), 0
    for b in blocks:
        i = b.find(q)
        while i >= 0:
            n += b[:i].rstrip().endswith(p) and b[i + len(q):].lstrip().startswith(s)
            i = b.find(q, i + 1)
    return n


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_deterministic(tmp_path):
    for d in ("a", "b"):
        subprocess.run([sys.executable, str(GEN), str(tmp_path / d), "--articles", str(N)],
                       check=True, capture_output=True)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert len([k for k in a if k.startswith("content/")]) == N
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_format_is_valid(coll):
    site = yaml.safe_load((coll / "site.yaml").read_text(encoding="utf-8"))
    assert site["language"] == "en" and site["output"] == "_site" and site["title"]
    recs = yaml.safe_load((coll / "annotations" / "_records.yaml").read_text(encoding="utf-8"))
    rec_ids = [r["id"] for r in recs["records"]]
    assert len(rec_ids) == len(set(rec_ids)) >= 50 and all(ID.match(i) for i in rec_ids)
    for r in recs["records"]:
        assert r["title"] and r["issuer"] and r["kind"] in {"un", "parliament", "legislation",
                                                            "government", "court", "other"}
        assert DATE.match(str(r["date"])) and str(r.get("url", "https://")).startswith("https://")
        assert set(r) <= {"id", "title", "issuer", "kind", "date", "symbol", "url",
                          "archive_url", "accessed", "note"}
    assert any("symbol" in r for r in recs["records"]) and any("url" not in r for r in recs["records"])
    slugs = sorted(p.stem for p in (coll / "content").glob("*.md"))
    assert slugs == sorted(p.stem for p in (coll / "annotations").glob("*.yaml") if p.stem != "_records")
    for slug in slugs:
        assert ID.match(slug)
        fm, _ = split_article(coll / "content" / f"{slug}.md")
        assert {"title", "outlet", "published", "language"} <= set(fm) <= \
            {"title", "outlet", "published", "language", "url"}
        assert DATE.match(str(fm["published"])) and fm["language"] == "en"
        anns = yaml.safe_load((coll / "annotations" / f"{slug}.yaml").read_text(encoding="utf-8"))
        ids = [a["id"] for a in anns["annotations"]]
        assert 5 <= len(ids) <= 7 and len(set(ids)) == len(ids)
        for a in anns["annotations"]:
            assert ID.match(a["id"]) and a["type"] in {"correction", "context", "source"}
            assert isinstance(a["quote"], str) and isinstance(a["note"], str) and a["note"].strip()
            assert ("correction" in a) == (a["type"] == "correction")
            assert set(a) <= {"id", "type", "quote", "prefix", "suffix", "correction", "note",
                              "records", "links"}
            assert all(r in rec_ids for r in a.get("records", []))
            for link in a.get("links", []):
                assert link["url"].startswith("https://") and link["title"]
                assert set(link) <= {"url", "title", "publisher"}
            assert "<" not in a["note"]


def test_quotes_select_exactly_one_place(coll):
    md = MarkdownIt("commonmark")
    crossing = total = 0
    for path in sorted((coll / "content").glob("*.md")):
        _, body = split_article(path)
        blocks = visible_blocks(body)
        # the simple rule agrees with a real Markdown parser (all markup parsed, none left over)
        parsed = [norm("".join(c.content for c in t.children if c.type == "text"))
                  for t in md.parse(body) if t.type == "inline"]
        assert parsed == blocks
        anns = yaml.safe_load((coll / "annotations" / f"{path.stem}.yaml").read_text("utf-8"))
        for a in anns["annotations"]:
            total += 1
            n = count_matches(blocks, a["quote"], a.get("prefix", ""), a.get("suffix", ""))
            assert n == 1, (path.stem, a["id"], a["quote"], n)
            crossing += norm(a["quote"]) not in norm(body)  # spans a markup edge in the source
    assert crossing >= N and total >= 5 * N


def test_quotes_cross_emphasis(coll):
    hits = 0
    for path in sorted((coll / "content").glob("*.md")):
        raw = norm(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", split_article(path)[1]))
        anns = yaml.safe_load((coll / "annotations" / f"{path.stem}.yaml").read_text("utf-8"))
        hits += sum(norm(a["quote"]) not in raw for a in anns["annotations"])
    assert hits > 0


def test_article_size(coll):
    words = [len(split_article(p)[1].split()) for p in (coll / "content").glob("*.md")]
    assert 650 <= sum(words) / len(words) <= 850


@pytest.mark.skipif(not (REPO / "build.py").exists(), reason="build.py not written yet")
def test_engine_check_accepts_collection(coll):
    r = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(coll), "check"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_mixed_collection_has_each_language_and_checks_clean(tmp_path):
    """--languages mixed: a tenth of the articles each in French, Chinese and Uyghur, every quote anchored."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import run

    dest = tmp_path / "mixed"
    load_gen().generate(dest, 40, seed=2, languages="mixed")
    languages = sorted(split_article(p)[0]["language"] for p in (dest / "content").glob("*.md"))
    assert languages == ["en"] * 28 + ["fr"] * 4 + ["ug-Arab"] * 4 + ["zh-Hans"] * 4
    chinese = (dest / "content" / "zh-00003.md").read_text(encoding="utf-8")
    paragraphs = [line for line in chinese.split("---", 2)[2].splitlines() if line and not line.startswith("#")]
    assert all("，" in p and p.endswith("。") and " " not in p for p in paragraphs)  # no spaces in Chinese
    uyghur = (dest / "content" / "ug-00004.md").read_text(encoding="utf-8")
    assert "ۇ" in uyghur and "ە" in uyghur
    result = run(dest, "check")
    assert result.code == 0 and "error" not in result.err, result.err


def notes_of(coll):
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))["annotations"]
            for p in sorted((coll / "annotations").glob("*.yaml")) if p.name != "_records.yaml"}


def test_honest_corpus_notes_are_distinct_and_like_real_ones(coll, tmp_path):
    """The default (honest) corpus: every note distinct, 40-150 words, with **strong**, *emphasis* and a link, some
    in two paragraphs; the articles and every other field of the notes are the pooled corpus's."""
    gen = load_gen()
    honest = tmp_path / "honest"
    gen.generate(honest, N, seed=1, languages="en")  # the default corpus, English only to compare with coll
    pooled, distinct = notes_of(coll), notes_of(honest)
    notes = [a["note"] for anns in distinct.values() for a in anns]
    assert len(notes) == len(set(notes)) > 5 * N
    words = [len(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", n).split()) for n in notes]
    assert min(words) >= 40 and max(words) <= 150 + 6  # (+ the link's sentence)
    assert all("**" in n and re.search(r"(?<!\*)\*[^*]+\*(?!\*)", n) and "](https://" in n for n in notes)
    assert 0.1 < sum("\n\n" in n for n in notes) / len(notes) < 0.4
    pooled_notes = [a["note"] for anns in pooled.values() for a in anns]
    assert len(set(pooled_notes)) < len(pooled_notes)  # the old corpus repeats notes: a cache hits
    assert distinct.keys() == pooled.keys()
    for name, anns in distinct.items():
        assert [{k: v for k, v in a.items() if k != "note"} for a in anns] == \
               [{k: v for k, v in a.items() if k != "note"} for a in pooled[name]]
    assert tree(honest / "content") == tree(coll / "content")
