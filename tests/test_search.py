"""Search (apparatus/search.py, templates/static/search.js): both sides cut text alike, the fast
builder writes exactly what lunr.py writes, and lunr.js ranks alike on the whole and the split index.

The lunr.js side runs in Node (tests/search/*.js) on the very search.js the site ships.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, TINY, copy_site
from lunr.query import Query, QueryPresence
from tools import require

from apparatus import pipeline, search

NODE_DIR = REPO / "tests" / "search"
LUNR_JS = REPO / "node_modules" / "lunr" / "lunr.js"


def node(script: str, *args: str, stdin: Any = None) -> Any:
    exe = shutil.which("node")
    require(bool(exe) and LUNR_JS.is_file(), "node and node_modules/lunr")
    proc = subprocess.run([str(exe), str(NODE_DIR / script), *args], capture_output=True, text=True, timeout=600,
                          input=json.dumps(stdin) if stdin is not None else None)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def collection_docs(root: Path) -> list[search.SearchDoc]:
    c, diags = pipeline.load_collection(root)
    assert c is not None, diags
    summaries = [r.summary for r in pipeline.process_articles(c, pipeline.CHECK) if r.summary is not None]
    return search.collection_docs(summaries, c.registry)


def real_root(tmp: Path) -> Path:
    root = tmp / "real"
    root.mkdir()
    for name in ("site.yaml", "content", "annotations", "templates"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    return root


def synthetic_root(tmp: Path, n: int) -> Path:
    spec = importlib.util.spec_from_file_location("bench_gen", REPO / "bench" / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    root = tmp / f"synthetic{n}"
    gen.generate(root, n, seed=3)
    return root


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[search.SearchDoc]]:
    tmp = tmp_path_factory.mktemp("search")
    tiny = copy_site(TINY, tmp / "tiny")
    return {"real": collection_docs(real_root(tmp)), "tiny": collection_docs(tiny),
            "synthetic": collection_docs(synthetic_root(tmp, 60))}


# --- text → words: Python and search.js agree ---------------------------------------------------------

def test_compound_words_are_indexed_whole_with_prefixes_and_parts() -> None:
    assert search.expand("cerd/c/chn/co/14-17") == [
        "cerd/c/chn/co/14-17", "cerd/c", "cerd/c/chn", "cerd/c/chn/co", "cerd/c/chn/co/14",
        "cerd", "chn", "co", "14", "17"]
    assert search.index_tokens("Pub. L. 117-78 (135 Stat. 1525).") == [
        "pub", "l", "117-78", "117", "78", "135", "stat", "1525"]
    assert search.index_tokens("Jean‑Yves Le Drian’s “266 to 0”") == [
        "jean-yves", "jean", "yves", "le", "drian's", "drian", "266", "to", "0"]
    assert search.index_tokens("Genève, Straße, ﬁnal") == ["geneve", "straße", "final"]
    assert search.query_words("A/HRC/46 drian* x") == [("a/hrc/46", False), ("drian", True), ("x", False)]


def test_stemmer_is_lunr_js_stemmer() -> None:
    words = set(search.index_tokens((REPO / "bench" / "prose.py").read_text(encoding="utf-8")))
    for path in [*(REPO / "content").glob("*.md"), *(REPO / "annotations").glob("*.yaml"), REPO / "README.md"]:
        words.update(search.index_tokens(path.read_text(encoding="utf-8")))
    rng = random.Random(7)
    words.update("".join(rng.choice("aeiouybcdlmnrstyzsslli") for _ in range(rng.randint(1, 12))) for _ in range(30000))
    for base in ("relat", "condition", "gener", "happ", "fly", "cry", "say", "try", "agre", "feed", "hop", "troubl"):
        words.update(base + s for s in ("", "s", "es", "ies", "ed", "ing", "ational", "ization", "ness", "ful", "ly",
                                        "ement", "ible", "ize", "y", "e", "ll", "ations", "fulness"))
    ordered = sorted(words)
    js = node("tokens.js", stdin=ordered)
    assert js == [words_py(w) for w in ordered]
    # the reason for the port: lunr.py's own stemmer differs from lunr.js's
    from lunr.stemmer import porter_stemmer
    assert porter_stemmer.stem("say") == "sai" and search.stem("say") == "say"


def test_stop_words_are_lunr_js_stop_words() -> None:
    source = LUNR_JS.read_text(encoding="utf-8") if LUNR_JS.is_file() else ""
    require(bool(source), "node_modules/lunr")
    listed = source.split("lunr.stopWordFilter = lunr.generateStopWordFilter([", 1)[1].split("])", 1)[0]
    assert set(re.findall(r"'([^']*)'", listed)) == set(search.STOP_WORDS)


def words_py(s: str) -> list[Any]:
    """What tests/search/tokens.js prints for s, computed here."""
    tokens = search.index_tokens(s)
    return [search.fold(s), tokens, [list(w) for w in search.query_words(s)], [search.term(t) for t in tokens]]


def test_tokens_agree_on_every_bmp_character() -> None:
    """Only characters unassigned in Python's Unicode database (newer in Node's) may differ."""
    strings = [f"a{chr(cp)}b {chr(cp)}-{chr(cp)}Z" for cp in range(0x20, 0x10000) if not 0xD800 <= cp < 0xE000]
    strings += ["CERD/C/CHN/CO/14-17", "Pub. L. 117-78", "“266 to 0”", "drian* foo*bar *x", "Ǆemal İstanbul ΣΑΣ",
                "Straße ﬁnal ½ 𝐀bc 😀x", "ΟΔΥΣΣΕΥΣ", "l’état d’âme", "e.g. U.S. 1,000.5 AT&T a_b 10:30"]
    js = node("tokens.js", stdin=strings)
    mismatched = [s for s, j in zip(strings, js, strict=True) if j != words_py(s)]
    assert all(unicodedata.category(s[1]) == "Cn" for s in mismatched), mismatched[:5]
    assert len(mismatched) < 100


def test_cutting_at_white_space_first_finds_the_same_tokens(corpora: dict[str, list[search.SearchDoc]]) -> None:
    """The builder cuts text into pieces at white space and folds each piece once (search._PieceIds)."""
    strings = [f"a{chr(cp)}b {chr(cp)}-{chr(cp)}Z x{chr(cp)} {chr(cp)}y" for cp in range(0x20, 0x10000)
               if not 0xD800 <= cp < 0xE000]
    strings += [d.text for docs in corpora.values() for d in docs] + [d.title for d in corpora["real"]]
    rng = random.Random(5)
    alphabet = "aZ9-/.'_:&, \t\n\u00a0\u2003\u3000\u2019\u2011ΣσςİéÉ\u0301ﬁ½¨\u00ad\U0001d400"
    strings += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    for s in strings:
        assert search.piece_tokens(s) == search.index_tokens(s), s
    ids = search._PieceIds()
    for s in strings[-2000:]:  # the cache's term indices follow the tokens, stop words left out
        numbered = [i for piece in s.split() for i in ids[piece]]
        assert [list(ids.terms)[i] for i in numbered] == [
            t for t in map(search.term, search.index_tokens(s)) if t is not None]


# --- the fast builder writes what lunr.py writes -------------------------------------------------------

def lunr_py_index(docs: list[search.SearchDoc]) -> Any:
    builder = search.lunr_builder()
    for number, doc in enumerate(search.ordered(docs)):
        builder.add(search.lunr_document(number, doc))
    return builder.build()


@pytest.mark.parametrize("name", ["real", "tiny", "synthetic"])
def test_fast_builder_equals_lunr_py(corpora: dict[str, list[search.SearchDoc]], name: str) -> None:
    docs = corpora[name]
    mine = search.serialize(search.build_model(search.ordered(docs), vectors=True))
    assert json.dumps(mine) == json.dumps(lunr_py_index(docs).serialize())


def test_fast_weights_equal_lunr_py_arithmetic() -> None:
    """search._weights (reordered, vectorised, rounded once) = lunr.py's round(score, 3), in thousandths."""
    rng = random.Random(11)
    dens = [search.K1 * (1 - search.B + search.B * rng.uniform(0.01, 8)) for _ in range(300)] + [0.3, 1.2, 3.0]
    saturation = search._Saturation(dens)
    near = 0
    for case in range(3000):
        boost = rng.choice([1, 2, 4, 3])
        docs = sorted(rng.sample(range(len(dens)), rng.randint(1, 60)))
        tfs = [rng.choice([1, 1, 2, 3, 7, 40]) for _ in docs]
        idf = rng.uniform(0.001, 12)
        if case % 3 == 0:  # an idf that puts one posting's score * 1000 on (or next to) a half
            d, n = docs[0], tfs[0]
            idf = (rng.randint(0, 9000) + 0.5) / 1000 / boost / ((search.K1 + 1) * n / (dens[d] + n))
            idf = math.nextafter(idf, rng.choice([0, math.inf])) if case % 2 else idf
        expected = [search._exact_weight(idf, n, dens[d], boost) for d, n in zip(docs, tfs, strict=True)]
        assert search._weights(idf, docs, tfs, saturation, boost) == expected
        x = idf * (search.K1 + 1) * tfs[0] / (dens[docs[0]] + tfs[0]) * boost * 1000
        near += abs(x - round(x)) > search._NEAR_HALF
    assert near > 300  # the slow path was taken
    # _exact_weight is lunr.py's own computation
    from lunr.builder import Builder
    builder = Builder()
    assert builder._k1 == search.K1 and builder._b == search.B


def test_numbers_are_written_as_json_writes_them() -> None:
    search._numbers(1 << 15)
    for values in ([], [0], [1, 2, 3], list(range(0, 200_000, 7)), [10**12, 5, len(search._NUMBERS)]):
        assert search._json_ints(values) == json.dumps(values, separators=(",", ":"))


# --- lunr.js: whole index = split index = lunr.py ------------------------------------------------------

def queries(docs: list[search.SearchDoc], n: int, seed: int) -> list[str]:
    """Words from the documents (names, symbols, numbers), pairs, wildcards, stop words and misses."""
    rng = random.Random(seed)
    texts = [f"{d.title} {' '.join(d.symbols)} {d.text}" for d in docs]
    vocab = sorted({w for t in texts for w in t.split() if any(ch.isalnum() for ch in w)})
    out = ["Drian", "Le Drian", "Human Rights Council", "CERD/C/CHN/CO/14-17", "117-78", "A/HRC/46", "266", "the",
           "zzzzqx", "Drian zzzzqx", "uyghur*", "dr*", "Xinjiang genocide", "A/HRC/46 council", "human rights",
           "Jean-Yves", "Jean-Claude Le Drian", "CERD/C", "sanctions 2021", "Pub. L. 117-78"]
    for _ in range(n):
        text = rng.choice(texts).split()
        i = rng.randrange(len(text))
        kind = rng.random()
        if kind < 0.45:
            out.append(text[i])
        elif kind < 0.75:
            out.append(" ".join(text[i:i + rng.randint(2, 3)]))
        elif kind < 0.9:
            out.append(f"{rng.choice(vocab)} {rng.choice(vocab)}")
        else:
            out.append(text[i][:rng.randint(2, 4)] + "*")
    return out


def lunr_py_run(index: Any, words: list[tuple[str, bool]], required: bool) -> list[list[Any]]:
    """As search.js's run(): stop words left out, every word required or optional."""
    words = [(t, wild) for t, wild in words if wild or index.pipeline.run_string(t)]
    q = index.create_query()
    presence = QueryPresence.REQUIRED if required else QueryPresence.OPTIONAL
    for term, wildcard in words:
        if wildcard:
            q.term(term, presence=presence, use_pipeline=False, wildcard=Query.WILDCARD_TRAILING)
        else:
            q.term(term, presence=presence)
    return [[r["ref"], r["score"]] for r in index.query(q)] if words else []


@pytest.mark.parametrize("name, shard_bytes, n", [("real", search.SHARD_BYTES, 250), ("real", 600, 100),
                                                   ("synthetic", 4000, 400)])
def test_split_index_ranks_as_whole_index_and_as_lunr_py(corpora: dict[str, list[search.SearchDoc]], name: str,
                                                          shard_bytes: int, n: int, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    docs = corpora[name]
    monkeypatch.setattr(search, "SHARD_BYTES", shard_bytes)
    for rel, data in search.build_index(docs).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    shards = len(list((tmp_path / "search" / "t").iterdir()))
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(search.serialize(search.build_model(search.ordered(docs), vectors=True))))
    (tmp_path / "queries.json").write_text(json.dumps(queries(docs, n, seed=len(name) + shard_bytes)))
    out = node("compare.js", str(tmp_path), str(whole), str(tmp_path / "queries.json"))
    index = lunr_py_index(docs)
    found = fetched = 0
    for r in out:
        # the split index, fresh or with every earlier query's shards, gives the very same scores
        assert r["fresh"] == r["whole"] and r["shared"] == r["whole"] and r["freshAny"] == r["any"], r["query"]
        found += bool(r["whole"])
        fetched += sum(f.startswith("t/") for f in r["fetched"])
        # lunr.py ranks alike (lunr.py ignores a required term that is in no document: compare OR then)
        words = [(w["term"], w["wildcard"]) for w in r["words"]]
        assert lunr_py_run(index, words, False) == r["or"], r["query"]
        if r["and"]:
            assert lunr_py_run(index, words, True) == r["and"], r["query"]
    assert found > len(out) * 0.6
    assert shards > 1 and fetched < len(out) * shards / 4  # a query reads few shards


# --- what a reader looks for lands on it -----------------------------------------------------------------

def top(docs: list[search.SearchDoc], query: str, k: int = 3) -> list[str]:
    ordered = search.ordered(docs)
    index = lunr_py_index(docs)
    words = search.query_words(query)
    return [ordered[int(ref)].ref for ref, _ in lunr_py_run(index, words, True)[:k]]


def test_identifiers_and_names_land_on_their_record_or_note(corpora: dict[str, list[search.SearchDoc]]) -> None:
    docs = corpora["real"]
    assert top(docs, "CERD/C/CHN/CO/14-17")[0] == "records/cerd-c-chn-co-14-17/"
    assert top(docs, "117-78")[0] == "records/us-plaw-117-78/"
    assert "records/ca-hoc-43-2-journals-063-2021-02-22/" in top(docs, "266")
    assert "articles/le-drian-hrc46-xinjiang-2021/#minister-first-name" in top(docs, "Drian", 10)
    synthetic = corpora["synthetic"]  # "A/HRC/46" finds A/HRC/46/12: a symbol's leading parts are indexed
    session = next(s.rsplit("/", 1)[0] for d in synthetic for s in d.symbols if s.startswith("A/HRC/"))
    under = {d.ref for d in synthetic if any(s.startswith(session + "/") for s in d.symbols)}
    found = top(synthetic, session, 100)
    assert under <= set(found) and set(found[:len(under)]) == under


def test_build_index_is_deterministic_and_small(corpora: dict[str, list[search.SearchDoc]]) -> None:
    docs = corpora["real"]
    files = search.build_index(docs)
    assert files == search.build_index(list(docs))
    assert set(files) >= {"search/manifest.js", "search/t/0.js", "search/d/0.js"}
    manifest = json.loads(files["search/manifest.js"].split(b",", 1)[1][:-3])
    assert manifest["fields"] == ["title", "symbols", "text"] and manifest["documents"] == len(docs)
    assert max(len(v) for k, v in files.items() if k.startswith("search/t/")) < search.SHARD_BYTES * 3


def test_lunr_assets_are_copied_or_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require(LUNR_JS.is_file(), "node_modules/lunr")
    monkeypatch.delenv(search.LUNR_ENV, raising=False)
    files = search.assets(tmp_path)  # from the source checkout's node_modules
    assert set(files) == {"search/lunr.min.js", "search/lunr-LICENSE.txt"}
    assert b"Permission is hereby granted" in files["search/lunr-LICENSE.txt"]
    monkeypatch.setattr(search, "ENGINE_LUNR", tmp_path / "nowhere")  # an engine installed with pip
    missing = r"lunr.js 2.3.9 is missing \(looked in .*nowhere.*\): run `make setup`"
    with pytest.raises(search.LunrMissing, match=missing):
        search.assets(tmp_path)
    monkeypatch.setenv(search.LUNR_ENV, str(LUNR_JS.parent))
    assert search.assets(tmp_path) == files


def test_lunr_from_the_collection_only_if_it_is_the_version_and_inside(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    """An engine installed with pip takes lunr.js from the collection's own node_modules: never another
    version (the index reproduces 2.3.9's scoring), never a file a symlink leads outside the collection."""
    require(LUNR_JS.is_file(), "node_modules/lunr")
    monkeypatch.delenv(search.LUNR_ENV, raising=False)
    monkeypatch.setattr(search, "ENGINE_LUNR", tmp_path / "nowhere")
    root = tmp_path / "collection"
    own = root / "node_modules" / "lunr"
    shutil.copytree(LUNR_JS.parent, own)
    assert search.assets(root)["search/lunr.min.js"] == (LUNR_JS.parent / "lunr.min.js").read_bytes()
    (own / "package.json").write_text('{"version": "2.3.8"}')
    with pytest.raises(search.LunrMissing):
        search.assets(root)
    shutil.copy(LUNR_JS.parent / "package.json", own / "package.json")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for publishing")
    (own / "lunr.min.js").unlink()
    (own / "lunr.min.js").symlink_to(secret)
    with pytest.raises(search.LunrMissing):
        search.assets(root)


def test_parallel_build_writes_the_same_bytes(corpora: dict[str, list[search.SearchDoc]]) -> None:
    docs = corpora["synthetic"]
    assert search.build_index(docs, jobs=3) == search.build_index(docs, jobs=1)
    assert search.parallel_jobs(docs[:10]) == 1
