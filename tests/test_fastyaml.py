"""The fast YAML reader: apparatus.fastyaml.load = libyaml's node tree turned into values.

fastyaml.load must give exactly the values schema.node_values makes of libyaml's node tree (plain
scalars that are not text as Typed(tag, value)) or decline (None); a document libyaml rejects must
be declined. Then the loaders, which validate those values once: with fastyaml on and forced off
(every file through libyaml), they must return identical objects and identical diagnostics.
"""

from __future__ import annotations

import random
import sys
import zlib
from pathlib import Path

import pytest
import yaml

from apparatus import annotations, articles, config, fastyaml, schema
from apparatus.sources import MAX_DEPTH, SourceFile, _Loader, compose_yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import gen  # noqa: E402  (bench/gen.py)


def libyaml(text: str) -> object:
    """libyaml's node tree as values, by the loaders' converter (schema.node_values)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return "error"
    odd: dict = {}
    value = None if node is None else schema.node_values(node, (), odd)
    return "duplicate" if odd else value  # fastyaml declines repeated and non-scalar keys


def check(text: str) -> bool:
    """Assert fastyaml agrees with libyaml on text; True when the fast path took it."""
    got = fastyaml.load(text)
    if got is None:
        return False
    expected = libyaml(text)
    assert expected not in ("error", "duplicate"), f"fastyaml accepted what libyaml gives as {expected}: {text!r}"
    assert got == expected, repr(text)
    return True


def front_matter(text: str) -> str:
    end = text.find("\n---\n", 3)
    return text[4:end + 1]


def corpus() -> dict[str, str]:
    """Every YAML text of the repository: data files, front matter, fixtures."""
    texts = {}
    for path in sorted(REPO.glob("**/*.yaml")) + sorted(REPO.glob("**/*.yml")):
        if any(part in (".venv", "node_modules", "_site", "_bench") for part in path.parts):
            continue
        texts[str(path.relative_to(REPO))] = path.read_text(encoding="utf-8", errors="replace")
    for path in sorted(REPO.glob("content/*.md")) + sorted(REPO.glob("tests/**/content/*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n") and "\n---\n" in text:
            texts[str(path.relative_to(REPO)) + " (front matter)"] = front_matter(text)
    return texts


CORPUS = corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_repository_files(name: str) -> None:
    check(CORPUS[name])


def test_collection_files_take_the_fast_path() -> None:
    """The fast path is not a dead letter: the collection's own files go through it."""
    names = [n for n in CORPUS if n.startswith(("annotations/", "content/"))]  # site.yaml folds (>-)
    assert len(names) >= 5
    assert [n for n in names if not check(CORPUS[n])] == []


def test_generated_collection(tmp_path: Path) -> None:
    gen.generate(tmp_path, 60, 3)
    files = sorted((tmp_path / "annotations").glob("*.yaml")) + [tmp_path / "site.yaml"]
    texts = [p.read_text(encoding="utf-8") for p in files]
    texts += [front_matter(p.read_text(encoding="utf-8")) for p in sorted((tmp_path / "content").glob("*.md"))]
    fast = [check(t) for t in texts]
    assert all(fast), [f for f, ok in zip(files, fast, strict=False) if not ok]


CASES = [
    # (text, fast path expected)
    ("a: 1\n", True),
    ("a: b\nc: d", True),
    ("# comment\na:\n  # inner comment\n  b: c\n", True),
    ("a:\n- x\n- y\nb: z\n", True),  # indentless sequence
    ("a:\n    - x\n    -  y\n", True),
    ("- a\n- b: c\n  d: e\n- - f\n  - g\n", True),
    ("-\n  a: b\n", True),
    ("a: [x, y ,z]\nb: []\nc: {}\n", True),
    ("a: [ 'x''s', \"y\" ]\n", True),
    ("l:\n  - {url: \"https://x.org/#a\", title: 'T: t', publisher: P}\n", True),
    ("a: 'it''s'  # c\nb: \"q \\\"x\\\" \\\\ y\"\n", True),
    ("a: yes\nb: no\nc: 2021-02-24\nd: 1.5\ne: ~\nf: null\ng: 0x1F\nh: True\n", True),
    ("a: x #c\nb: y#z\nc: http://a.b/c#d\n", True),
    ("a: Le Drian: no\n", False),  # mapping values are not allowed here
    ("a: b:\n", False),
    ("a: |\n  line 1\n\n  line 2\n    deeper\n\n\nb: |-\n  x\n  y\n\n", True),
    ("a: |\n  x\n  # not a comment\n# a comment\nb: 1\n", True),
    ("- |\n  x\n- y\n", True),
    ("a: |  # comment\n  x\n", True),
    ("a: |+\n  x\n\n", False),
    ("a: >\n  x\n  y\n", False),
    ("a: |2\n   x\n", False),
    ("a: |\n\n  x\n", False),
    ("a: |\n  x\n   \n  y\n", False),  # a line of spaces inside a literal block
    ("a: |\n  x\n b: 1\n", False),
    ("a:\n", False),
    ("a: &x 1\nb: *x\n", False),
    ("a: !!str 1\n", False),
    ("a: \"\\n\"\n", False),
    ("a: \"x\n  y\"\n", False),
    ("a: x\n  y\n", False),  # multi-line plain scalar
    ("a: 'x\n  y'\n", False),
    ("a:\tb\n", False),
    ("a: b\r\n", False),
    ("---\na: 1\n", False),
    ("a: 1\n---\nb: 2\n", False),
    ("", False),
    ("# only a comment\n", False),
    ("just text\n", False),
    ("a: 1\n b: 2\n", False),
    ("a:\n  b: 1\n c: 2\n", False),
    ("a: [x, [y]]\n", False),
    ("a: [x,\n  y]\n", False),
    ("a: {b: c: d}\n", False),
    ("a: [x, ]\n", False),
    ("a: [x,,y]\n", False),
    ("a: -1\nb: - x\n", False),
    ("a: 'x' y\n", False),
    ("a: \"x\"y\n", False),
    ("? a\n: b\n", False),
    ("\"a\": 1\n", False),
    ("a b: 1\n", False),
    ("a: 1\na: 2\n", False),  # duplicate keys: the validator reports them
    ("l: [{a: 1}]\n", False),
    ("yes: 1\n", False),  # a key that is not text
    ("a: é ü 中文 ئۇيغۇر 😀 [x]\nb: [ü, 'é', 中]\n", True),
    ("a: \u2028x\n", False),
    ("a: x\x85y\n", False),
    ("a: \ufeffx\n", False),
    ("a: x\x07\n", False),
    ("- a\nb: c\n", False),
    ("a:\n  - b\n  c: d\n", False),
    ("records:\n  - id: x\n    date: 2021-02\n    url: https://a.org/x?y=1&z=2\n", True),
    ("a: '' \nb: \"\"\n", True),
    ("a:    spaced   \n", True),
    ("a: x   # c   \n", True),
]


@pytest.mark.parametrize(("text", "fast"), CASES)
def test_cases(text: str, fast: bool) -> None:
    assert check(text) is fast
    if not fast:
        assert fastyaml.load(text) is None


MUTATIONS = list(" \n-:#'\"|>[]{},&*!?%@`\\\tab1")


def mutate(text: str, rnd: random.Random) -> str:
    for _ in range(rnd.randint(1, 3)):
        if not text:
            break
        i = rnd.randrange(len(text))
        op = rnd.random()
        if op < 0.35:
            text = text[:i] + rnd.choice(MUTATIONS) + text[i:]
        elif op < 0.6:
            text = text[:i] + text[i + 1:]
        elif op < 0.75:  # change a line's indentation
            start = text.rfind("\n", 0, i) + 1
            text = text[:start] + " " * rnd.randint(0, 3) + text[start:].lstrip(" ")
        elif op < 0.9:  # duplicate a line
            start = text.rfind("\n", 0, i) + 1
            end = text.find("\n", i)
            end = len(text) if end == -1 else end + 1
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:i] + rnd.choice(MUTATIONS) + text[i + 1:]
    return text


def test_seeded_mutations() -> None:
    """Random damage to real files: fastyaml agrees with libyaml, or declines; never disagrees.

    Each seed text gets its own random stream (seeded by its content), so a YAML file added to the
    repository adds its mutants without reshuffling every other seed's."""
    seeds = [t for name, t in sorted(CORPUS.items()) if len(t) < 20_000] + [c for c, _ in CASES]
    fast = 0
    for seed in seeds:
        rnd = random.Random(zlib.crc32(seed.encode("utf-8")))
        for _ in range(80):
            fast += check(mutate(seed, rnd))
    assert fast > 600  # many mutants stay inside the subset and are compared


# --- the loaders: the same objects and diagnostics with fastyaml on and off ------------------------------------

REGISTRY_IDS = frozenset(annotations.load_registry(REPO, "annotations/_records.yaml")[0])


def both_ways(load: object, monkeypatch: pytest.MonkeyPatch, *args: object) -> tuple[object, bool]:
    """load(*args) with fastyaml and with it forced off (libyaml for everything); asserts both return the same
    objects and diagnostics. Returns the result and whether the text was inside fastyaml's subset."""
    taken: list[bool] = []
    real = fastyaml.load

    def spy(text: str) -> object:
        value = real(text)
        taken.append(value is not None)
        return value
    with monkeypatch.context() as m:
        m.setattr(fastyaml, "load", spy)
        fast = load(*args)  # type: ignore[operator]
    with monkeypatch.context() as m:
        m.setattr(fastyaml, "load", lambda text: None)
        exact = load(*args)  # type: ignore[operator]
    assert fast == exact, args
    return fast, any(taken)


def check_annotation_file(text: str, path: Path, record_ids: frozenset[str], monkeypatch: pytest.MonkeyPatch) -> bool:
    """True when fastyaml read the file; either way, both loads give the same file and diagnostics."""
    path.write_text(text, encoding="utf-8")
    (af, diags), fast = both_ways(annotations.load_annotations, monkeypatch, path.parent, path.name, record_ids)
    return fast


def check_front_matter(fm: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    path.write_text(f"---\n{fm}---\n\nText.\n", encoding="utf-8")
    _, fast = both_ways(articles.load_article, monkeypatch, path.parent, path.name)
    return fast


def check_registry(text: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    path.write_text(text, encoding="utf-8")
    (records, _), fast = both_ways(annotations.load_registry, monkeypatch, path.parent, path.name)
    return fast


def test_annotation_files_load_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019"):
        text = (REPO / "annotations" / f"{name}.yaml").read_text(encoding="utf-8")
        assert check_annotation_file(text, tmp_path / "a.yaml", REGISTRY_IDS, monkeypatch)


def test_front_matter_loads_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted((REPO / "content").glob("*.md")):
        assert check_front_matter(front_matter(path.read_text(encoding="utf-8")), tmp_path / "x.md", monkeypatch)


def test_every_yaml_file_loads_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every YAML text of the repository (and generated files) as an annotation file, a registry, a front matter and
    a site.yaml: valid or not, the loaders give identical objects and diagnostics with fastyaml on and off."""
    gen.generate(tmp_path / "g", 6, 5)
    texts = list(CORPUS.values()) + [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "g").glob("**/*.yaml"))]
    site = tmp_path / "s"
    site.mkdir()
    for text in texts:
        if "\n---" in text or text.startswith("---") or "\r" in text:
            continue  # several documents, or a front matter's end: not one file's YAML
        check_annotation_file(text, tmp_path / "a.yaml", REGISTRY_IDS, monkeypatch)
        check_registry(text, tmp_path / "r.yaml", monkeypatch)
        check_front_matter(text if text.endswith("\n") else text + "\n", tmp_path / "x.md", monkeypatch)
        (site / "site.yaml").write_text(text, encoding="utf-8")
        both_ways(config.load_config, monkeypatch, site)


def test_seeded_mutations_of_annotation_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Damaged annotation files: fastyaml on or off, the loader gives the same file and the same diagnostics."""
    rnd = random.Random(7)
    seeds = [(REPO / "annotations" / f"{n}.yaml").read_text(encoding="utf-8")
             for n in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019")]
    gen.generate(tmp_path / "g", 12, 5)
    generated = sorted((tmp_path / "g" / "annotations").glob("[!_]*.yaml"))
    ids = frozenset(annotations.load_registry(tmp_path / "g", "annotations/_records.yaml")[0])
    cases = [(t, REGISTRY_IDS) for t in seeds] + [(p.read_text(encoding="utf-8"), ids) for p in generated]
    fast = 0
    for _ in range(1500):
        text, record_ids = rnd.choice(cases)
        fast += check_annotation_file(mutate(text, rnd), tmp_path / "a.yaml", record_ids, monkeypatch)
    assert fast > 300


def test_registries_load_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real registry, a generated one, and damaged copies of both: the same records and diagnostics either
    way (a duplicate id, which fastyaml reads, is reported the same)."""
    gen.generate(tmp_path / "g", 12, 5)
    seeds = [(REPO / "annotations" / "_records.yaml").read_text(encoding="utf-8"),
             (tmp_path / "g" / "annotations" / "_records.yaml").read_text(encoding="utf-8")]
    assert all(check_registry(t, tmp_path / "r.yaml", monkeypatch) for t in seeds)
    twice = seeds[1] + "  - id: " + seeds[1].split("\n  - id: ")[1]  # the first record again
    assert check_registry(twice, tmp_path / "r.yaml", monkeypatch)
    [d] = annotations.load_registry(tmp_path, "r.yaml")[1]
    assert d.message.startswith("duplicate record id")
    rnd = random.Random(9)
    fast = sum(check_registry(mutate(rnd.choice(seeds), rnd), tmp_path / "r.yaml", monkeypatch) for _ in range(800))
    assert fast > 150


def test_seeded_mutations_of_front_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(8)
    seeds = [front_matter(p.read_text(encoding="utf-8")) for p in sorted((REPO / "content").glob("*.md"))]
    seeds += ["title: T\noutlet: O\npublished: 2021\nlanguage: en\npublished_approximate: true\n"
              "url: https://e.org/a\n"]
    fast = 0
    for _ in range(1500):
        fast += check_front_matter(mutate(rnd.choice(seeds), rnd), tmp_path / "x.md", monkeypatch)
    assert fast > 200  # many mutants stay inside the subset and are compared


def test_not_plain_start_is_the_regex_for_one_character() -> None:
    for c in map(chr, range(0x110000)):
        assert (fastyaml._PLAIN_START.match(c) is None) == (c in fastyaml._NOT_PLAIN_START or c.isspace()), repr(c)


def nested(levels: int) -> str:
    """A mapping holding a block list `levels` deep."""
    return "a:\n" + "".join("  " * i + "-\n" for i in range(1, levels)) + "  " * levels + "- x\n"


def test_documents_nested_past_the_limit_are_declined() -> None:
    """Issue 14, finding 1: fastyaml recurses per level; past MAX_DEPTH it declines (the exact path checks the
    depth on libyaml's event stream and reports it), so no input reaches the recursion limit."""
    assert check(nested(MAX_DEPTH - 2))  # the mapping and its lists: one level short of the limit, taken
    assert fastyaml.load(nested(MAX_DEPTH - 1)) is None  # at the limit: allowed, but left to the exact path
    assert compose_yaml(SourceFile("a.yaml", nested(MAX_DEPTH - 1)))[1] == []
    assert fastyaml.load(nested(500)) is None
    assert fastyaml.load("a: [x]\nb:\n" + nested(500)[3:]) is None
