"""The fast path for valid files: apparatus.fastyaml.load and schema.valid_values.

fastyaml.load must give exactly the values of libyaml's node tree (plain scalars that are not text
as Typed(tag, value)) or decline (None); a document libyaml rejects must be declined. Then the
loaders: whenever the fast path accepts an annotation file or a front matter, the exact path
(libyaml's nodes and the validator) must load the same values and report no problem at all.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
import yaml

from apparatus import annotations, articles, fastyaml
from apparatus.sources import SourceFile, _Loader, split_front_matter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import gen  # noqa: E402  (bench/gen.py)


class Duplicate(Exception):
    pass


def values(node: yaml.Node) -> object:
    """libyaml's node tree as fastyaml's values."""
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == fastyaml.STR_TAG else fastyaml.Typed(node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return [values(n) for n in node.value]
    assert isinstance(node, yaml.MappingNode)
    out: dict[object, object] = {}
    for k, v in node.value:
        key = values(k)
        if not isinstance(key, str) or key in out:
            raise Duplicate  # fastyaml declines such documents
        out[key] = values(v)
    return out


def libyaml(text: str) -> object:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return "error"
    try:
        return None if node is None else values(node)
    except Duplicate:
        return "duplicate"


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
    """Random damage to real files: fastyaml agrees with libyaml, or declines; never disagrees."""
    rnd = random.Random(20261123)
    # not the bad-input cases: their keys are paths, outside the subset, so their mutants are never compared,
    # and each new case would change which mutants the others get
    seeds = [t for name, t in sorted(CORPUS.items()) if len(t) < 20_000 and not name.startswith("tests/bad/")]
    seeds += [c for c, _ in CASES]
    fast = 0
    for _ in range(6000):
        text = mutate(rnd.choice(seeds), rnd)
        fast += check(text)
    assert fast > 600  # many mutants stay inside the subset and are compared


# --- the loaders: fast path = exact path, whenever the fast path accepts ----------------------------------------

REGISTRY_IDS = frozenset(annotations.load_registry(REPO / "annotations" / "_records.yaml", "r")[0])


def check_annotation_file(text: str, path: Path, record_ids: frozenset[str]) -> bool:
    """True when the fast path loaded text; then the exact path loads the same and reports nothing."""
    fast = annotations._load_valid(SourceFile("annotations/x.yaml", text), record_ids)
    if fast is None:
        return False
    path.write_text(text, encoding="utf-8")
    exact, diags = annotations.load_annotations(path, "annotations/x.yaml", record_ids, exact=True)
    assert diags == [], (text, diags)
    assert exact is not None and exact.annotations == fast.annotations, text
    assert exact.article_sha256 == fast.article_sha256
    return True


def check_front_matter(fm: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    text = f"---\n{fm}---\n\nText.\n"
    path.write_text(text, encoding="utf-8")
    part, _, _ = split_front_matter(SourceFile("content/x.md", text))
    if part is None or articles.valid_values(part.text, articles.FRONT_MATTER_FIELDS) is None:
        return False
    fast, diags = articles.load_article(path, "content/x.md")
    assert diags == [] and fast is not None
    with monkeypatch.context() as m:
        m.setattr(articles, "valid_values", lambda text, fields: None)
        exact, diags = articles.load_article(path, "content/x.md")
    assert diags == [] and exact == fast, fm
    return True



def check_registry(text: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """True when the fast path loaded the registry; then the exact path loads the same and reports nothing."""
    fast = annotations._registry_valid(SourceFile("annotations/_records.yaml", text))
    if fast is None:
        return False
    path.write_text(text, encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(annotations, "valid_values", lambda text, fields: None)
        exact, diags = annotations.load_registry(path, "annotations/_records.yaml")
    assert diags == [] and exact == fast, text
    assert list(exact) == list(fast)  # the same order too
    return True

def test_annotation_files_load_the_same_both_ways(tmp_path: Path) -> None:
    for name in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019"):
        text = (REPO / "annotations" / f"{name}.yaml").read_text(encoding="utf-8")
        assert check_annotation_file(text, tmp_path / "a.yaml", REGISTRY_IDS)


def test_front_matter_loads_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted((REPO / "content").glob("*.md")):
        assert check_front_matter(front_matter(path.read_text(encoding="utf-8")), tmp_path / "x.md", monkeypatch)


def test_seeded_mutations_of_annotation_files(tmp_path: Path) -> None:
    """Damaged annotation files: the fast path accepts only what the exact path loads the same, silently."""
    rnd = random.Random(7)
    seeds = [(REPO / "annotations" / f"{n}.yaml").read_text(encoding="utf-8")
             for n in ("le-drian-hrc46-xinjiang-2021", "france-china-mass-detentions-2019")]
    gen.generate(tmp_path / "g", 12, 5)
    generated = sorted((tmp_path / "g" / "annotations").glob("[!_]*.yaml"))
    ids = frozenset(annotations.load_registry(tmp_path / "g" / "annotations" / "_records.yaml", "r")[0])
    cases = [(t, REGISTRY_IDS) for t in seeds] + [(p.read_text(encoding="utf-8"), ids) for p in generated]
    fast = 0
    for _ in range(1500):
        text, record_ids = rnd.choice(cases)
        fast += check_annotation_file(mutate(text, rnd), tmp_path / "a.yaml", record_ids)
    assert fast > 300



def test_registries_load_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real registry, a generated one, and damaged copies of both: the fast path accepts only what the
    exact path loads the same, silently (a duplicate id is left to the exact path, which reports it)."""
    gen.generate(tmp_path / "g", 12, 5)
    seeds = [(REPO / "annotations" / "_records.yaml").read_text(encoding="utf-8"),
             (tmp_path / "g" / "annotations" / "_records.yaml").read_text(encoding="utf-8")]
    assert all(check_registry(t, tmp_path / "r.yaml", monkeypatch) for t in seeds)
    twice = seeds[1] + "  - id: " + seeds[1].split("\n  - id: ")[1]  # the first record again
    assert annotations.valid_values(twice, annotations.REGISTRY_FIELDS) is not None
    assert annotations._registry_valid(SourceFile("r", twice)) is None
    (tmp_path / "r.yaml").write_text(twice, encoding="utf-8")
    [d] = annotations.load_registry(tmp_path / "r.yaml", "annotations/_records.yaml")[1]
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
    assert fast > 200  # many mutants stay valid and are compared


def test_not_plain_start_is_the_regex_for_one_character() -> None:
    for c in map(chr, range(0x110000)):
        assert (fastyaml._PLAIN_START.match(c) is None) == (c in fastyaml._NOT_PLAIN_START or c.isspace()), repr(c)
