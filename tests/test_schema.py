import pytest

from apparatus.schema import Field, Validator, did_you_mean
from apparatus.sources import SourceFile, compose_yaml

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
    node, diags = compose_yaml(src)
    assert node is not None
    values = Validator(src, diags).mapping(node, FIELDS, "f")
    return values, [f"{d.line}:{d.col} {d.message}" for d in diags]


def test_valid_values_come_back_as_python() -> None:
    values, errors = validate("name: x\nwhen: 2021-02\nurl: https://example.org/a?b=c\nflag: true\n"
                              "kind: un\nids: [a-1, b]\n")
    assert errors == []
    assert values is not None
    assert {k: v for k, v in values.items() if not k.startswith(("@", "!"))} == {
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
])
def test_each_problem_is_reported_where_it_is(text: str, message: str) -> None:
    _, errors = validate(text)
    assert errors == [message]


def test_did_you_mean_needs_a_close_match() -> None:
    assert did_you_mean("qoute", ["quote", "note"]) == "did you mean 'quote'?"
    assert did_you_mean("zzz", ["quote", "note"]) == ""


def test_valid_values_never_uses_another_tuples_fields() -> None:
    """The by-name table is cached per fields tuple; a tuple that reuses a dead one's id gets its own."""
    from apparatus import schema
    fields = (Field("beta", "text", "d"),)
    schema._BY_NAME[id(fields)] = ((Field("alpha", "text", "d"),), {"alpha": Field("alpha", "text", "d")})
    assert schema.valid_values("alpha: x\n", fields) is None
    assert schema.valid_values("beta: x\n", fields) == {"beta": "x"}
