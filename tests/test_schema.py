import pytest

from apparatus.fastyaml import Typed
from apparatus.schema import Field, Validator, did_you_mean, load_yaml
from apparatus.sources import Problem, SourceFile

FIELDS = (
    Field("name", "text", "a name", required=True, example="x"),
    Field("when", "date", "a date"),
    Field("url", "url", "a link"),
    Field("flag", "bool", "a flag"),
    Field("kind", "enum", "a kind", choices=("un", "parliament")),
    Field("ids", "list", "ids", item="id"),
)


def validate(text: str) -> tuple[dict | None, list[str]]:
    src = SourceFile("f.yaml", text)
    raw, doc, diags = load_yaml(src)
    assert doc is not None and diags == []
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, FIELDS, "f")
    return values, [f"{d.line}:{d.col} {d.message}" for d in doc.report(v.problems)]


def test_valid_values_come_back_as_python() -> None:
    values, errors = validate("name: x\nwhen: 2021-02\nurl: https://example.org/a?b=c\nflag: true\n"
                              "kind: un\nids: [a-1, b]\n")
    assert errors == []
    assert values is not None
    assert values == {
        "name": "x", "when": "2021-02", "url": "https://example.org/a?b=c", "flag": True, "kind": "un",
        "ids": ["a-1", "b"]}


@pytest.mark.parametrize("text, message", [
    ("nme: x\n", "1:1 unknown key 'nme' in f: did you mean 'name'?"),
    ("when: 2021\n", "1:1 missing required field 'name' in f"),
    ("name: 12\n", "1:7 'name' must be text, not a number"),
    ("name: x\nwhen: 2021-02-30\n", "2:7 'when' '2021-02-30' is not a date"),
    ("name: x\nurl: javascript:alert(1)\n",
     "2:6 'url' must be an http(s) link; 'javascript:alert(1)' uses 'javascript:'"),
    ("name: x\nflag: yes please\n", "2:7 'flag' must be true or false, not text"),
    ("name: x\nkind: parliment\n",
     "2:7 'kind' 'parliment' is not one of: un, parliament; did you mean 'parliament'?"),
    ("name: x\nids: [Bad Id]\n", "2:7 an item of 'ids' 'Bad Id' is not a valid id"),
    ("name: x\nname: y\n", "2:1 duplicate key 'name' in f"),
    ("[a]: x\nname: y\n", "1:1 a key in f must be a plain name"),
    ("name: x\nids: 12\n", "2:6 'ids' must be a list, not a number"),
    ("name: x\nids: [a, [b]]\n", "2:10 an item of 'ids' must be an id, not a list"),
    ("- name: x\n", "1:1 f must be a mapping (key: value lines), not a list"),
])
def test_each_problem_is_reported_where_it_is(text: str, message: str) -> None:
    _, errors = validate(text)
    assert errors == [message]


def test_a_repeated_unknown_key_is_unknown_each_time() -> None:
    assert validate("name: x\nnme: y\nnme: z\n")[1] == ["2:1 unknown key 'nme' in f: did you mean 'name'?",
                                                       "3:1 unknown key 'nme' in f: did you mean 'name'?"]


def test_did_you_mean_needs_a_close_match() -> None:
    assert did_you_mean("qoute", ["quote", "note"]) == "did you mean 'quote'?"
    assert did_you_mean("zzz", ["quote", "note"]) == ""


def test_problems_come_by_path_without_positions() -> None:
    """The rules read values only: a problem is a key path (the key itself for an unknown key), and the messages
    that name a YAML type or repeat the raw text come from Typed, as they came from the node."""
    v = Validator()
    v.mapping({"name": Typed("tag:yaml.org,2002:timestamp", "2021-02-24"), "nme": "x",
               "ids": ["ok", "Not Ok"]}, FIELDS, "f")
    assert v.problems == [
        Problem(("name",), "'name' must be text, not a date", 'put the value in quotes: name: "2021-02-24"'),
        Problem(("nme",), "unknown key 'nme' in f: did you mean 'name'?",
                "allowed keys: name, when, url, flag, kind, ids", key=True),
        Problem(("ids", 1), "an item of 'ids' 'Not Ok' is not a valid id",
                "use lowercase letters, digits and single hyphens, e.g. 'not-ok'"),
    ]  # no "missing required field 'name'": 'nme' was probably meant as it


def test_the_by_name_table_is_never_another_tuples() -> None:
    """The by-name table is cached per fields tuple; a tuple that reuses a dead one's id gets its own."""
    from apparatus import schema
    fields = (Field("beta", "text", "d"),)
    schema._TABLES[id(fields)] = schema._Table((Field("alpha", "text", "d"),))
    v = Validator()
    assert v.mapping({"beta": "x"}, fields, "f") == {"beta": "x"} and v.problems == []
