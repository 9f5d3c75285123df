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
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, TINY, copy_site
from lunr.query import Query, QueryPresence
from tools import require

from apparatus import lunrjs, pipeline, search

NODE_DIR = REPO / "tests" / "search"
LUNR_JS = REPO / "node_modules" / "lunr" / "lunr.js"
LUNR_FR = REPO / "node_modules" / "lunr-languages" / "lunr.fr.js"
# Uyghur letters outside lunr-languages' lunr.ar trimmer's range
UYGHUR_LETTERS = ["ە", "ې", "ۆ", "ۇ", "ۈ", "ۋ", "ڭ", "ھ", "پ", "چ", "ژ", "گ"]


def node(script: str, *args: str, stdin: Any = None) -> Any:
    exe = shutil.which("node")
    require(bool(exe) and LUNR_JS.is_file() and LUNR_FR.is_file(), "node and node_modules/lunr, lunr-languages")
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


def synthetic_root(tmp: Path, n: int, languages: str = "en") -> Path:
    spec = importlib.util.spec_from_file_location("bench_gen", REPO / "bench" / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    root = tmp / f"synthetic{n}{languages}"
    gen.generate(root, n, seed=3, languages=languages)
    return root


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[search.SearchDoc]]:
    tmp = tmp_path_factory.mktemp("search")
    tiny = copy_site(TINY, tmp / "tiny")
    return {"real": collection_docs(real_root(tmp)), "tiny": collection_docs(tiny),
            "synthetic": collection_docs(synthetic_root(tmp, 60)),
            "mixed": collection_docs(synthetic_root(tmp, 60, "mixed")) + MULTILINGUAL}


# A few documents in each language, as collection_docs makes them (a note's quote in its article's
# language, its text in the site's): what the per-language tests look for
MULTILINGUAL = [
    search.SearchDoc("articles/fr/", "article", "Déclaration du ministre de l’Europe et des Affaires étrangères",
                     "Le ministre a dénoncé les violations des droits de l’homme commises à l’encontre des "
                     "Ouïghours ; les Françaises et les Français l’ont entendu. « C’est inacceptable », a-t-il dit.",
                     language="fr"),
    search.SearchDoc("articles/zh/", "article", "外交部发言人答记者问",
                     "在今天的例行记者会上，发言人表示所谓新疆问题根本不是人权问题而是反暴恐和去极端化问题，"
                     "各族群众安居乐业，社会持续稳定，经济不断发展，这是谁也否认不了的事实。Jean-Yves Le Drian",
                     language="zh-Hans"),
    search.SearchDoc("articles/ug/", "article", "ئۇيغۇر تىلىدىكى ماقالە",
                     "بۈگۈن ئەتىگەن مەكتەپكە باردىم. ھەممە ئادەم چاي ئىچتى. ژۇرنالدا گۈزەل بىر ھېكايە ۋە ئۆينىڭ "
                     "رەسىمى بار. پەرزەنت ئۈچۈن كىتاب ئالدۇق. مېڭىڭ! دوستلىرىمىز ياخشى. "
                     "سۆز ئىشلىتىلىدۇ ئۆزگىچە. تەڭ ئېيتىڭ.",
                     language="ug-Arab"),
    search.SearchDoc("articles/zh/#note", "correction", "所谓新疆问题", "The quote is from the spokesman. 大外宣被打脸",
                     language="en", title_language="zh-Hans"),
    search.SearchDoc("records/cerd/", "record", "Concluding observations", "CERD/C/CHN/CO/14-17\nCERD",
                     symbols=("CERD/C/CHN/CO/14-17",), language="fr"),
]


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
    assert search.query_words("A/HRC/46 drian* x") == [("Latn", "a/hrc/46", False), ("Latn", "drian", True),
                                                       ("Latn", "x", False)]


def test_each_script_goes_to_its_language() -> None:
    text = "Le Drian’s « État » des Françaises 新疆维吾尔自治区abc ئۇيغۇرـچە 2021年"
    assert search.words(text) == [
        ("Latn", "le"), ("Latn", "drian's"), ("Latn", "état"), ("Latn", "des"), ("Latn", "françaises"),
        ("Hani", "新疆维吾尔自治区"), ("Latn", "abc"), ("Arab", "ئۇيغۇرچە"), ("Latn", "2021"), ("Hani", "年")]
    # English folds first (accents gone), then its stop words and Porter stemmer
    assert search.terms(text, "en") == ["le", "drian'", "drian", "etat", "de", "francais", "abc", "2021"]
    # French: stop words on the accented word (des), then lunr.fr's accent folding, then Snowball
    assert search.terms(text, "fr") == ["drian'", "drian", "etat", "francais", "abc", "2021"]
    # Chinese: overlapping bigrams, and a run's last character alone
    assert search.terms(text, "zh") == ["新疆", "疆维", "维吾", "吾尔", "尔自", "自治", "治区", "区", "年"]
    # Uyghur: NFKC, no tatweel, no stemmer
    assert search.terms(text, "ug") == ["ئۇيغۇرچە"]


def test_uyghur_letters_survive() -> None:
    """lunr-languages' lunr.ar trimmer deletes them; here each is a word of its own and part of words."""
    for letter in UYGHUR_LETTERS:
        assert search.terms(f"«{letter}» ئا{letter}ئا", "ug") == [letter, f"ئا{letter}ئا"], letter
    words = MULTILINGUAL[2].text
    assert {t for letter in UYGHUR_LETTERS for t in search.terms(words, "ug") if letter in t}
    assert all(any(letter in t for t in search.terms(words, "ug")) for letter in UYGHUR_LETTERS)
    # presentation forms and decomposed hamza come out as the letters; tatweel and vowel marks go
    assert search.terms("\ufee3\ufeae\ufe98\ufea0\ufe8e ئـۇيـغـۇر ئُيغُور ي\u0654ۇ", "ug") == [
        "مرتجا", "ئۇيغۇر", "ئيغور", "ئۇ"]
    assert search.terms("ئۇيغۇر", "en") == [] and search.terms("ئۇيغۇر", "zh") == []


def test_node_drops_uyghur_letters_with_lunr_ar_but_not_with_apparatus() -> None:
    """The reason for the project's own Arabic-script analysis, shown on lunr-languages itself."""
    out = node("arabic.js", stdin=UYGHUR_LETTERS)
    assert out["lunr_ar_trimmer"] == [""] * len(UYGHUR_LETTERS)
    assert out["apparatus"] == [[letter] for letter in UYGHUR_LETTERS]


def test_french_stemmer_is_lunr_fr_on_snowballs_whole_french_vocabulary() -> None:
    """snowballstemmer (2.2) and lunr-languages' lunr.fr stem every word of Snowball's French test
    vocabulary alike, through lunr.fr's pipeline order (stop words, accent folding, stemmer)."""
    vocabulary = (REPO / "tests" / "vendor" / "snowball-french" / "voc.txt").read_text(encoding="utf-8").split()
    assert len(vocabulary) == 21655
    extra = ["l'état", "aujourd'hui", "2021", "cerd/c/chn", "œuvre", "ÉTAT", "naïveté", "Noël", "ça", "être"]
    words = [w.lower() for w in vocabulary + extra]
    js = node("french.js", stdin=words)
    assert js["stems"] == [search.french_term(w) for w in words]
    assert set(js["stopWords"]) == search.FRENCH_STOP_WORDS
    assert js["fold"] == search.french_fold(js["foldInput"])
    assert search.french_term("françaises") == search.french_term("française") == "francais"
    assert search.french_term("été") is None and search.french_term("ete") == "ete"  # stop words need their accents


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
    return [search.normalize(s), search.fold(s), [list(w) for w in search.words(s)],
            [list(w) for w in search.query_words(s)], [search.terms(s, lang) for lang in search.LANGUAGES]]


def test_tokens_agree_on_every_bmp_character() -> None:
    """Only characters unassigned in Python's Unicode database (newer in Node's) may differ."""
    strings = [f"a{chr(cp)}b {chr(cp)}-{chr(cp)}Z é{chr(cp)}新{chr(cp)}ئ" for cp in range(0x20, 0x10000)
               if not 0xD800 <= cp < 0xE000]
    strings += ["CERD/C/CHN/CO/14-17", "Pub. L. 117-78", "“266 to 0”", "drian* foo*bar *x", "Ǆemal İstanbul ΣΑΣ",
                "Straße ﬁnal ½ 𝐀bc 😀x", "ΟΔΥΣΣΕΥΣ", "l’état d’âme", "e.g. U.S. 1,000.5 AT&T a_b 10:30",
                *(d.title + " " + d.text for d in MULTILINGUAL), "疆* 新疆* ئۇيغۇر* État* œuvre*"]
    js = node("tokens.js", stdin=strings)
    mismatched = [s for s, j in zip(strings, js, strict=True) if j != words_py(s)]
    assert all(unicodedata.category(s[1]) == "Cn" for s in mismatched), mismatched[:5]
    assert len(mismatched) < 100


def test_cutting_at_white_space_first_finds_the_same_terms(corpora: dict[str, list[search.SearchDoc]]) -> None:
    """The builder cuts text into pieces at white space and normalizes each piece once (search._PieceIds)."""
    strings = [f"a{chr(cp)}b {chr(cp)}-{chr(cp)}Z x{chr(cp)} {chr(cp)}y 新{chr(cp)}疆 ئ{chr(cp)}ۇ"
               for cp in range(0x20, 0x10000) if not 0xD800 <= cp < 0xE000]
    strings += [d.text for docs in corpora.values() for d in docs] + [d.title for d in corpora["real"]]
    rng = random.Random(5)
    alphabet = ("aZ9-/.'_:&, \t\n\u00a0\u2003\u3000\u2019\u2011ΣσςİéÉ\u0301ﬁ½¨\u00ad\U0001d400"
                "新疆人权ئۇيغۇرە\u0640\u064e\ufee3")
    strings += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    for s in strings:
        for lang in search.LANGUAGES:
            assert search.piece_terms(s, lang) == search.terms(s, lang), (s, lang)
    terms: dict[str, int] = {}
    ids = {lang: search._PieceIds(lang, terms) for lang in search.LANGUAGES}
    for s in strings[-2000:]:  # the caches' term indices follow the terms, stop words left out
        for lang in search.LANGUAGES:
            numbered = [i for piece in s.split() for i in ids[lang][piece]]
            assert [list(terms)[i] for i in numbered] == search.terms(s, lang)


# --- the fast builder writes what lunr.py writes -------------------------------------------------------

def lunr_py_index(docs: list[search.SearchDoc]) -> Any:
    builder = search.lunr_builder()
    for number, doc in enumerate(search.ordered(docs)):
        builder.add(search.lunr_document(number, doc))
    return builder.build()


@pytest.mark.parametrize("name", ["real", "tiny", "synthetic", "mixed"])
def test_fast_builder_equals_lunr_py(corpora: dict[str, list[search.SearchDoc]], name: str) -> None:
    docs = corpora[name]
    mine = search.serialize(search.build_model(search.ordered(docs), vectors=True))
    assert json.dumps(mine) == json.dumps(lunr_py_index(docs).serialize())


def test_fast_weights_equal_lunr_py_arithmetic() -> None:
    """search._weights (reordered, vectorised, rounded once) = lunr.py's round(score, 3), in thousandths."""
    rng = random.Random(11)
    dens = [search.K1 * (1 - search.B + search.B * rng.uniform(0.01, 8)) for _ in range(300)] + [0.3, 1.2, 3.0]
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
        assert search._weights(idf, tfs, [dens[d] for d in docs], boost) == expected
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
           "Jean-Yves", "Jean-Claude Le Drian", "CERD/C", "sanctions 2021", "Pub. L. 117-78",
           "Françaises", "francaise", "droits de l’homme", "état*", "新疆", "疆", "人权问题", "大外宣", "新疆 Drian",
           "ئۇيغۇر", "ھېكايە", "ئۆي*", "گۈزەل Drian", "Ouïghours", "l’état", "été"]
    han = [t for t in texts if search.words(t) and any(script == "Hani" for script, _ in search.words(t))]
    for _ in range(n // 5 if han else 0):  # Chinese: one to four characters of a text, a pair of those
        text = "".join(w for script, w in search.words(rng.choice(han)) if script == "Hani")
        i = rng.randrange(len(text))
        out.append(text[i:i + rng.randint(1, 4)] + (" " + text[i + 5:i + 7] if rng.random() < 0.2 else ""))
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


def lunr_py_run(index: Any, runs: list[dict[str, Any]], required: bool) -> list[list[Any]]:
    """As search.js's run(): each planned query, every clause required or optional; merged by score."""
    presence = QueryPresence.REQUIRED if required else QueryPresence.OPTIONAL
    best: dict[str, list[Any]] = {}
    for r in runs:
        q = index.create_query()
        for c in r["clauses"]:
            q.term(c["term"], fields=c["fields"], presence=presence, use_pipeline=False,
                   wildcard=Query.WILDCARD_TRAILING if c["wildcard"] else Query.WILDCARD_NONE)
        for result in index.query(q):
            if result["ref"] not in best or result["score"] > best[result["ref"]][1]:
                best.setdefault(result["ref"], [result["ref"], 0])[1] = result["score"]
    order = {ref: i for i, ref in enumerate(best)}
    return sorted(best.values(), key=lambda pair: (-pair[1], order[pair[0]]))


@pytest.mark.parametrize("name, shard_bytes, n", [("real", search.SHARD_BYTES, 250), ("real", 600, 100),
                                                   ("synthetic", 4000, 300), ("mixed", 4000, 400)])
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
    languages = search.build_model(search.ordered(docs)).languages()
    found = fetched = 0
    for r in out:
        # search.js plans the lunr queries as apparatus.search.plan documents them
        assert r["runs"] == search.plan(search.query_words(r["query"]), languages), r["query"]
        # the split index, fresh or with every earlier query's shards, gives the very same scores
        assert r["fresh"] == r["whole"] and r["shared"] == r["whole"] and r["freshAny"] == r["any"], r["query"]
        found += bool(r["whole"])
        fetched += sum(f.startswith("t/") for f in r["fetched"])
        # lunr.py ranks alike (lunr.py ignores a required term that is in no document: compare OR then)
        assert lunr_py_run(index, r["runs"], False) == r["or"], r["query"]
        if r["and"]:
            assert lunr_py_run(index, r["runs"], True) == r["and"], r["query"]
    assert found > len(out) * 0.6
    # a query reads few shards: under a quarter of them for each language's lunr query it runs (a Latin-script
    # word is an English and a French term where the index holds French text, often in two shards)
    assert shards > 1 and fetched < sum(len(r["runs"]) for r in out) * shards / 4


# --- what a reader looks for lands on it -----------------------------------------------------------------

def top(docs: list[search.SearchDoc], query: str, k: int = 3) -> list[str]:
    ordered = search.ordered(docs)
    index = lunr_py_index(docs)
    runs = search.plan(search.query_words(query), search.build_model(ordered).languages())
    return [ordered[int(ref)].ref for ref, _ in lunr_py_run(index, runs, True)[:k]]


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
    assert manifest["fields"] == [name for name, _ in search.FIELDS] and manifest["documents"] == len(docs)
    assert manifest["languages"] == ["en", "fr", "zh", "ug"]  # (French records; Chinese and Arabic-script quotes)
    assert manifest["pipelines"]["fr"] == ["stopWordFilter-fr", "accentFold-fr", "stemmer-fr"]
    assert max(len(v) for k, v in files.items() if k.startswith("search/t/")) < search.SHARD_BYTES * 3


def test_lunr_assets_are_copied_or_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require(LUNR_JS.is_file(), "node_modules/lunr")
    monkeypatch.delenv(lunrjs.LUNR_ENV, raising=False)
    monkeypatch.delenv(lunrjs.LUNR_LANGUAGES_ENV, raising=False)
    files = lunrjs.assets(tmp_path)  # from the source checkout's node_modules
    assert set(files) == {"search/lunr.min.js", "search/lunr-LICENSE.txt", "search/lunr.stemmer.support.min.js",
                          "search/lunr.fr.min.js", "search/lunr-languages-LICENSE.txt"}
    assert b"Permission is hereby granted" in files["search/lunr-LICENSE.txt"]
    assert b"Mozilla Public License" in files["search/lunr-languages-LICENSE.txt"]
    monkeypatch.setattr(lunrjs, "ENGINE_NODE_MODULES", tmp_path / "nowhere")  # an engine installed with pip
    missing = r"lunr 2.3.9 is missing \(looked in .*nowhere.*\): run `make setup`"
    with pytest.raises(lunrjs.LunrMissing, match=missing):
        lunrjs.assets(tmp_path)
    monkeypatch.setenv(lunrjs.LUNR_ENV, str(LUNR_JS.parent))
    with pytest.raises(lunrjs.LunrMissing, match=r"lunr-languages 1.22.0 is missing .*APPARATUS_LUNR_LANGUAGES_DIR"):
        lunrjs.assets(tmp_path)
    monkeypatch.setenv(lunrjs.LUNR_LANGUAGES_ENV, str(LUNR_FR.parent))
    assert lunrjs.assets(tmp_path) == files


def test_lunr_from_the_collection_only_if_it_is_the_version_and_inside(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    """An engine installed with pip takes lunr.js from the collection's own node_modules: never another
    version (the index reproduces 2.3.9's scoring), never a file a symlink leads outside the collection."""
    require(LUNR_JS.is_file(), "node_modules/lunr")
    monkeypatch.delenv(lunrjs.LUNR_ENV, raising=False)
    monkeypatch.delenv(lunrjs.LUNR_LANGUAGES_ENV, raising=False)
    monkeypatch.setattr(lunrjs, "ENGINE_NODE_MODULES", tmp_path / "nowhere")
    root = tmp_path / "collection"
    own = root / "node_modules" / "lunr"
    shutil.copytree(LUNR_JS.parent, own)
    shutil.copytree(LUNR_FR.parent, root / "node_modules" / "lunr-languages")
    assert lunrjs.assets(root)["search/lunr.min.js"] == (LUNR_JS.parent / "lunr.min.js").read_bytes()
    (own / "package.json").write_text('{"version": "2.3.8"}')
    with pytest.raises(lunrjs.LunrMissing):
        lunrjs.assets(root)
    shutil.copy(LUNR_JS.parent / "package.json", own / "package.json")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for publishing")
    (own / "lunr.min.js").unlink()
    (own / "lunr.min.js").symlink_to(secret)
    with pytest.raises(lunrjs.LunrMissing):
        lunrjs.assets(root)


def test_parallel_build_writes_the_same_bytes(corpora: dict[str, list[search.SearchDoc]]) -> None:
    docs = corpora["synthetic"]
    assert search.build_index(docs, jobs=3) == search.build_index(docs, jobs=1)
    assert search.parallel_jobs(docs[:10]) == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_index_is_written_in_pieces_as_it_is_made(corpora: dict[str, list[search.SearchDoc]], jobs: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """write_index writes each shard as soon as it is whole, while later runs of terms are still to be encoded,
    and the manifest last (issue 19: the index of 10,000 articles, 125 MiB, was held whole before it was
    written). The bytes do not depend on the runs."""
    docs = search.ordered(corpora["mixed"])
    expected = search.build_index(docs, jobs=1)
    monkeypatch.setattr(search, "RUN_POSTINGS", 2_000)
    events: list[str] = []
    entries = search._entries

    def encode(dens: Any, run: Any) -> list[bytes]:
        events.append("encode")
        return entries(dens, run)

    if jobs == 1:  # (a worker is sent its function by name: there, only the writes are seen)
        monkeypatch.setattr(search, "_entries", encode)
    files: dict[str, bytes] = {}

    def write(rel: str, data: bytes) -> None:
        assert rel not in files
        events.append(rel)
        files[rel] = data

    search.write_index(docs, write, jobs=jobs)
    assert files == expected
    assert events[-1] == "search/manifest.js"
    shards = [e for e in events if e.startswith("search/t/")]
    assert shards == [f"search/t/{n}.js" for n in range(len(shards))] and len(shards) > 10
    if jobs == 1:
        assert events.count("encode") > 10 and "encode" in events[events.index("search/t/0.js"):]


def test_the_collections_documents_are_made_when_read_in_index_order(tmp_path: Path) -> None:
    """CollectionDocs (what a build indexes) holds the summaries' packed texts and makes each document when it is
    read, already in index order; its index is the one of the documents made all at once."""
    c, diags = pipeline.load_collection(copy_site(TINY, tmp_path / "tiny"))
    assert c is not None, diags
    summaries = [r.summary for r in pipeline.process_articles(c, pipeline.Mode(search=True))
                 if r.summary is not None]
    lazy = search.CollectionDocs(summaries, c.registry, "en")
    docs = search.collection_docs(summaries, c.registry)
    assert docs == search.ordered(docs) == lazy[:] and len(lazy) == len(docs) > len(summaries)
    assert [lazy[k] for k in range(-len(docs), 0)] == docs
    assert sorted(lazy.numbered(), key=lambda kd: kd[0]) == list(enumerate(docs))  # (each summary read once)
    assert search._survey(lazy) == search._survey(docs)
    assert any(d.kind == "record" for d in docs) and any(d.kind == "context" for d in docs)
    files: dict[str, bytes] = {}
    search.write_index(lazy, files.__setitem__, jobs=2)
    assert files == search.build_index(docs, jobs=1)


def test_a_summary_made_without_search_texts_gives_its_documents_empty_texts(tmp_path: Path) -> None:
    """A summary made without the index's texts (a check's) still gives every document, with empty texts: none
    of them, nor the documents after them, is lost (a Sequence's iteration ends at an IndexError)."""
    c, diags = pipeline.load_collection(copy_site(TINY, tmp_path / "tiny"))
    assert c is not None, diags
    made = {search: [r.summary for r in pipeline.process_articles(c, pipeline.Mode(search=search))
                     if r.summary is not None] for search in (True, False)}
    full, bare = (search.collection_docs(made[k], c.registry) for k in (True, False))
    assert len(bare) == len(full) and [d.ref for d in bare] == [d.ref for d in full]
    articles = len(made[False])
    assert all(d.text == f"{s.outlet}\n" for d, s in zip(bare[:articles], made[False], strict=True))  # outlet alone
    assert bare[articles:] != full[articles:] and bare[-1] == full[-1]  # the notes' texts empty, the records equal


def test_a_merge_of_more_runs_than_a_process_may_hold_files_open(tmp_path: Path) -> None:
    """The merge reads every run's file at once, each opened for one chunk at a time: a collection with more runs
    than the process may hold files open (256 here; 1,024 by default on Linux) gets the same index."""
    script = tmp_path / "many.py"
    script.write_text(f"""
import resource, sys
sys.path.insert(0, {str(REPO)!r})
from apparatus import search
words = lambda i: " ".join(f"w{{i}}x{{j}}" for j in range(40))
docs = search.ordered([search.SearchDoc(f"a/{{i}}/", "article", f"t {{i}}", words(i)) for i in range(1500)])
whole = search.build_index(docs, jobs=1)
search.RUN_CHARS = 300  # about 1,500 runs
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
files = {{}}
search.write_index(docs, files.__setitem__, jobs=1)
print(files == whole, len(files))
""", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and done.stdout.startswith("True "), done.stderr[-2000:]


# --- per language: what a reader types finds it ---------------------------------------------------------------

def test_a_two_character_chinese_word_inside_a_long_sentence_is_found(corpora: dict[str, list[search.SearchDoc]]
                                                                        ) -> None:
    docs = corpora["mixed"]
    assert top(docs, "人权")[0] == "articles/zh/"  # inside 所谓新疆问题根本不是人权问题而是反暴恐…
    assert top(docs, "大外宣")[0] == "articles/zh/#note"  # in a note's English text
    assert top(docs, "疆")[:2] == ["articles/zh/#note", "articles/zh/"]  # one character: a prefix of the bigrams
    assert top(docs, "事实")[0] == "articles/zh/"  # the last word of a run
    assert top(docs, "实")[0] == "articles/zh/"  # (its last character is indexed alone)
    assert top(docs, "人问") == []  # the bigrams of a query are all required
    # a single character is a term only where a run ends: not in every document's postings
    model = search.build_model(search.ordered(MULTILINGUAL))
    single = {t for t in model.terms if len(t) == 1 and search._patterns().han.match(t)}
    runs = [w for d in MULTILINGUAL for text in (d.title, d.text)
            for script, w in search.words(text) if script == "Hani"]
    assert single == {run[-1] for run in runs} and len(single) < len(set("".join(runs))) / 4


def test_uyghur_and_french_words_land_on_their_article(corpora: dict[str, list[search.SearchDoc]]) -> None:
    docs = corpora["mixed"]
    assert top(docs, "ژۇرنالدا")[0] == "articles/ug/"
    assert top(docs, "ژۇرنال*")[0] == "articles/ug/"
    assert top(docs, "ھېكايە ۋە")[0] == "articles/ug/"
    assert top(docs, "française")[0] == "articles/fr/"  # Snowball: françaises, française → francais
    assert top(docs, "Etrangeres")[0] == "articles/fr/"  # accents folded after the stop words
    assert top(docs, "l’homme")[0] == "articles/fr/"


def test_a_symbol_or_a_latin_name_is_found_whatever_the_language(corpora: dict[str, list[search.SearchDoc]]) -> None:
    """A record (here in French) by its symbol, a Latin-script name in a Chinese article: the English
    query holds the symbols, and a text's Latin-script words go to its Latin language's fields."""
    docs = corpora["mixed"]
    assert top(docs, "CERD/C/CHN/CO/14-17")[0] == "records/cerd/"
    assert "articles/zh/" in top(docs, "Drian", 10)
    assert "articles/zh/" in top(docs, "Jean-Yves Le Drian 人权", 10)


def test_json_escapes_the_characters_json_allows_raw() -> None:
    """DEL, the C1 controls and U+2028/U+2029 are escaped in the data files (errors.json_controls_escaped)."""
    raw = "a\x7fb\x85c\x9fd\u2028e\u2029f\x00g"
    doc = search.SearchDoc("articles/x/", "article", f"Title {raw}", f"Text {raw}")
    files = search.build_index([doc])
    data = files["search/d/0.js"]
    for c in "\x7f\x85\x9f\u2028\u2029\x00":
        assert c.encode("utf-8") not in data
    assert b"a\\u007fb\\u0085c\\u009fd\\u2028e\\u2029f\\u0000g" in data
    assert json.loads(data.split(b",", 1)[1][:-3])[0][2] == f"Title {raw}"


def test_a_clause_written_without_spaces_is_analysed_but_not_kept() -> None:
    """_PieceIds keeps each piece (text between spaces) and word it has analysed, up to KEPT_CHARS characters: a
    Chinese clause is one piece, met once, and keeping them all took a worker counting Chinese to 126 MiB. The
    terms are the same either way; a run of Chinese weighs more when runs are cut (search.DENSE)."""
    clause = "所谓新疆问题根本不是人权问题而是反暴恐和去极端化的问题" * 2
    terms: dict[str, int] = {}
    ids = search._PieceIds("zh", terms)
    assert [list(terms)[i] for i in ids[clause]] == search.piece_terms(clause, "zh")
    assert [list(terms)[i] for i in ids["人权"]] == ["人权", "权"]
    assert "人权" in ids and clause not in ids
    assert all(len(w) <= search.KEPT_CHARS for _, w in ids.words)
    docs = [search.SearchDoc("a/", "article", "", clause, language="zh-Hans"),
            search.SearchDoc("b/", "article", "", clause, language="en")]
    sizes = search._survey(docs).sizes
    assert sizes[0] - 16 == search.DENSE["zh"] * (sizes[1] - 16)


class _Counting(list):  # type: ignore[type-arg]
    """Documents that count how often each is read (as CollectionDocs makes one each time)."""

    def __init__(self, docs: list[search.SearchDoc]) -> None:
        super().__init__(docs)
        self.reads = [0] * len(docs)

    def __getitem__(self, k: Any) -> Any:
        for i in range(*k.indices(len(self))) if isinstance(k, slice) else [k % len(self)]:
            self.reads[i] += 1
        return super().__getitem__(k)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))


@pytest.mark.parametrize("jobs", [1, 2])
def test_write_index_makes_each_document_twice(corpora: dict[str, list[search.SearchDoc]], jobs: int) -> None:
    """Once to survey them all (the runs' and the fragments' sizes), once for the display fragments and the
    counting together: a document is unpacked from its summary each time it is read (a third pass, the fragments
    apart, took about 1.4 s of the build's CPU at 10,000 articles)."""
    plain = search.ordered(corpora["mixed"])
    docs = _Counting(plain)
    files: dict[str, bytes] = {}
    search.write_index(docs, files.__setitem__, jobs=jobs)
    assert set(docs.reads) == {2}
    assert files == search.build_index(plain, jobs=1)
