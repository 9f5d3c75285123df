"""Declarative field schemas, validated against composed YAML nodes.

Each file format (site.yaml, article front matter, annotations, the records registry) is declared
once as a tuple of :class:`Field`, with a doc line per field. :func:`validate` walks a mapping node,
reports every problem with its position (unknown keys with "did you mean", missing required
fields, wrong types, bad ids, dates and URLs, duplicate keys) and returns plain Python values.
The same declarations generate the JSON Schema published for editors. Alias bombs never reach this module:
:func:`apparatus.sources.compose_yaml` rejects them.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import re
from collections.abc import Callable
from typing import Any

import yaml

from . import fastyaml
from .errors import Diagnostic
from .sources import SourceFile

# Always used with fullmatch: '$' would also match before a final line break ("x\n"). [0-9], not \d: \d is
# any script's digit in Python (not in JSON Schema's ECMA-262 regexes).
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_NOT_IN_URL = r"\s\x00-\x1f\x7f-\x9f"  # white space and the C0/C1 controls (\s alone lets \x01, \x1b and \x7f in)
URL_RE = re.compile(rf"^https?://[^{_NOT_IN_URL}/?#]+\.[^{_NOT_IN_URL}/?#]+[^{_NOT_IN_URL}]*$"
                    rf"|^https?://localhost(?::[0-9]+)?(?:/[^{_NOT_IN_URL}]*)?$")

STR_TAG = "tag:yaml.org,2002:str"
_TYPE_NAMES = {
    "tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:timestamp": "a date", STR_TAG: "text",
}

@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | id | date | url | bool | enum | list | map
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    item: tuple[Field, ...] | str = ()  # for list: item kind, or fields of mapping items; for map: fields
    example: str = ""
    max_length: int = 0  # for text: the most characters allowed (0: no limit)

    @functools.cached_property
    def item_field(self) -> Field:
        """The field each item of a list of scalars is checked as."""
        assert isinstance(self.item, str)
        return Field(self.name, self.item, self.doc)


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _TYPE_NAMES.get(node.tag, "a value")


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class Validator:
    """Validates nodes of one file, collecting diagnostics."""

    def __init__(self, src: SourceFile, diags: list[Diagnostic]):
        self.src = src
        self.diags = diags

    def error(self, node: yaml.Node, message: str, hint: str = "", severity: str = "error") -> None:
        self.diags.append(self.src.at(node, message, hint, severity))

    def mapping(self, node: yaml.Node, fields: tuple[Field, ...], what: str) -> dict[str, Any] | None:
        """Validate a mapping node against fields. Returns {name: value} (None if not a mapping).

        Keys of invalid values are left out; ``"@" + name`` holds each value's node, ``"@"`` the mapping's.
        """
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping (key: value lines), not {describe(node)}",
                       "write it as 'key: value' lines" + (f", e.g. '{fields[0].name}: …'" if fields else ""))
            return None
        by_name = {f.name: f for f in fields}
        out: dict[str, Any] = {"@": node}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"a key in {what} must be a plain name")
                continue
            key = key_node.value
            field = by_name.get(key)
            if field is None:
                near = did_you_mean(key, list(by_name))
                self.error(key_node, f"unknown key '{key}' in {what}" + (f": {near}" if near else ""),
                           f"allowed keys: {', '.join(by_name)}")
                out["!unknown"] = True
                if near:
                    out["!meant:" + near.split("'")[1]] = True
                continue
            if "@" + key in out:
                self.error(key_node, f"duplicate key '{key}' in {what}",
                           f"keep one '{key}:' (YAML would silently use the last)")
                continue
            out["@" + key] = value_node
            value = self.value(value_node, field, f"'{key}'")
            if value is not None:
                out[key] = value
        for field in fields:
            if field.required and "@" + field.name not in out and "!meant:" + field.name not in out:
                example = f" (e.g. {field.name}: {field.example})" if field.example else ""
                self.error(node, f"missing required field '{field.name}' in {what}",
                           f"add '{field.name}:' — {field.doc}{example}")
        return out

    def value(self, node: yaml.Node, field: Field, what: str) -> Any:
        kind = field.kind
        if kind == "list":
            if not isinstance(node, yaml.SequenceNode):
                if isinstance(node, yaml.ScalarNode) and isinstance(field.item, str):
                    self.error(node, f"{what} must be a list, not {describe(node)}",
                               f"write it as a list: {field.name}: [{node.value}]")
                else:
                    self.error(node, f"{what} must be a list, not {describe(node)}",
                               "start each item on its own line with '- '")
                return None
            items = []
            for item_node in node.value:
                item = self.item(item_node, field, what)
                if item is not None:
                    items.append(item)
            return items
        if kind == "map":
            assert isinstance(field.item, tuple)
            return self.mapping(node, field.item, what)
        return self.scalar(node, field, what)

    def item(self, node: yaml.Node, field: Field, what: str) -> Any:
        if isinstance(field.item, tuple):
            return self.mapping(node, field.item, f"an item of {what}")
        return self.scalar(node, field.item_field, f"an item of {what}")

    def scalar(self, node: yaml.Node, field: Field, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} must be {_KIND_WORDS[field.kind]}, not {describe(node)}",
                       _KIND_HINTS.get(field.kind, "write a single value"))
            return None
        check = _CHECKS[field.kind]
        return check(self, node, field, what)


def _text(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> str | None:
    if node.tag != STR_TAG:
        v.error(node, f"{what} must be text, not {describe(node)}",
                f"put the value in quotes: {field.name}: \"{node.value}\"")
        return None
    if not node.value.strip():
        v.error(node, f"{what} is empty", f"write {field.doc}")
        return None
    if field.max_length and len(node.value) > field.max_length:
        v.error(node, f"{what} is too long: {len(node.value):,} characters, at most {field.max_length:,}",
                f"shorten it to the words that matter: {field.doc}")
        return None
    return node.value


def _id(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> str | None:
    value = node.value
    if not ID_RE.fullmatch(value):
        fixed = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "an-id"
        v.error(node, f"{what} '{value}' is not a valid id",
                f"use lowercase letters, digits and single hyphens, e.g. '{fixed}'")
        return None
    return value


def _date(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> str | None:
    value = node.value.strip()
    m = DATE_RE.fullmatch(value)
    if m:
        year, month, day = (int(g) if g else 1 for g in m.groups())
        try:
            datetime.date(year, month, day)
            return value
        except ValueError:
            pass
    v.error(node, f"{what} '{value}' is not a date",
            "write YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2021-02-24); say more in a note")
    return None


def _url(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> str | None:
    value = node.value.strip()
    if node.tag != STR_TAG or not URL_RE.fullmatch(value):
        scheme = value.split(":", 1)[0] if ":" in value else ""
        problem = f"uses '{scheme}:'" if scheme and not value.startswith("http") else "is not a full address"
        v.error(node, f"{what} must be an http(s) link; '{value}' {problem}",
                "write the full address, starting with https:// (or http://)")
        return None
    return value


def _bool(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> bool | None:
    if node.tag != "tag:yaml.org,2002:bool":
        v.error(node, f"{what} must be true or false, not {describe(node)}", f"write {field.name}: true")
        return None
    return node.value.lower() in ("true", "yes", "on")


def _enum(v: Validator, node: yaml.ScalarNode, field: Field, what: str) -> str | None:
    if node.value not in field.choices:
        near = did_you_mean(node.value, field.choices)
        choices = ", ".join(field.choices)
        v.error(node, f"{what} '{node.value}' is not one of: {choices}" + (f"; {near}" if near else ""),
                f"{field.doc}")
        return None
    return node.value


_CHECKS: dict[str, Callable[..., Any]] = {
    "text": _text, "id": _id, "date": _date, "url": _url, "bool": _bool, "enum": _enum,
}
_KIND_WORDS = {
    "text": "text", "id": "an id", "date": "a date", "url": "a link", "bool": "true or false",
    "enum": "one word", "list": "a list", "map": "a mapping",
}
_KIND_HINTS = {
    "text": "write the text on the same line, or after '|' for several lines",
    "id": "write a single id such as 'minister-first-name'",
}


# --- the fast path: values of a file that has no problem -------------------------------------------------------


class _Bad(Exception):
    """Something the validator would report: the caller takes the exact path, which reports it."""


def valid_values(text: str, fields: tuple[Field, ...]) -> dict[str, Any] | None:
    """What :meth:`Validator.mapping` returns for ``text`` (without the node entries) when it finds no
    problem at all; None when it might find one, or the text is outside :mod:`apparatus.fastyaml`'s subset.

    Only for speed: None never means the text is wrong, and every diagnostic comes from the exact path.
    """
    value = fastyaml.load(text)
    if value is None:
        return None
    try:
        return _fast_mapping(value, fields)
    except _Bad:
        return None


_BY_NAME: dict[int, tuple[tuple[Field, ...], dict[str, Field]]] = {}  # id → (the tuple, kept alive; by name)


def _fast_mapping(value: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    if type(value) is not dict:
        raise _Bad
    known = _BY_NAME.get(id(fields))
    if known is not None and known[0] is fields:
        by_name = known[1]
    else:
        by_name = {f.name: f for f in fields}
        _BY_NAME[id(fields)] = (fields, by_name)
    out: dict[str, Any] = {}
    for key, v in value.items():
        field = by_name.get(key)
        if field is None:
            raise _Bad
        kind = field.kind
        if kind == "list":
            if type(v) is not list:
                raise _Bad
            if isinstance(field.item, tuple):
                out[key] = [_fast_mapping(item, field.item) for item in v]
            else:
                check, item_field = _FAST[field.item], field.item_field
                out[key] = [check(item, item_field) for item in v]
        elif kind == "map":
            assert isinstance(field.item, tuple)
            out[key] = _fast_mapping(v, field.item)
        else:
            out[key] = _FAST[kind](v, field)
    for field in fields:
        if field.required and field.name not in out:
            raise _Bad
    return out


def _scalar_text(v: Any) -> str:
    if type(v) is str:
        return v
    if type(v) is fastyaml.Typed:
        return v.value
    raise _Bad  # a list or a mapping


def _fast_text(v: Any, field: Field) -> str:
    if type(v) is not str or not v.strip() or (field.max_length and len(v) > field.max_length):
        raise _Bad
    return v


def _fast_id(v: Any, field: Field) -> str:
    value = _scalar_text(v)
    if not ID_RE.fullmatch(value):
        raise _Bad
    return value


def _fast_date(v: Any, field: Field) -> str:
    value = _scalar_text(v).strip()
    m = DATE_RE.fullmatch(value)
    if not m:
        raise _Bad
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise _Bad from None
    return value


def _fast_url(v: Any, field: Field) -> str:
    if type(v) is not str:
        raise _Bad
    value = v.strip()
    if not URL_RE.fullmatch(value):
        raise _Bad
    return value


def _fast_bool(v: Any, field: Field) -> bool:
    if type(v) is not fastyaml.Typed or v.tag != "tag:yaml.org,2002:bool":
        raise _Bad
    return v.value.lower() in ("true", "yes", "on")


def _fast_enum(v: Any, field: Field) -> str:
    value = _scalar_text(v)
    if value not in field.choices:
        raise _Bad
    return value


_FAST: dict[str, Callable[[Any, Field], Any]] = {
    "text": _fast_text, "id": _fast_id, "date": _fast_date, "url": _fast_url, "bool": _fast_bool, "enum": _fast_enum,
}


def json_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a mapping declared by fields, for editors' completion and checks."""
    return {
        "type": "object",
        "properties": {f.name: _json_value(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _json_pattern(rx: re.Pattern[str]) -> str:
    """rx for JSON Schema, whose validators search for a pattern: exact in ECMA-262, where '$' is the end of the
    text, and in Python's validators (check-jsonschema), where '$' also matches before a final line break."""
    return f"(?:{rx.pattern})(?!\\n)"


_DATE_JSON = {"anyOf": [{"type": "string", "pattern": _json_pattern(DATE_RE)},
                        {"type": "integer", "minimum": 1000, "maximum": 9999}]}


def _json_value(field: Field) -> dict[str, Any]:
    kind = field.kind
    out: dict[str, Any]
    if kind == "list":
        items = json_schema(field.item) if isinstance(field.item, tuple) else _json_value(
            Field(field.name, field.item, field.doc))
        out = {"type": "array", "items": items}
    elif kind == "map":
        assert isinstance(field.item, tuple)
        out = json_schema(field.item)
    elif kind == "text":
        out = {"type": "string", "pattern": r"\S"}
        if field.max_length:
            out["maxLength"] = field.max_length
    elif kind == "id":
        out = {"type": "string", "pattern": _json_pattern(ID_RE)}
    elif kind == "date":
        out = dict(_DATE_JSON)
    elif kind == "url":
        out = {"type": "string", "pattern": _json_pattern(URL_RE)}
    elif kind == "bool":
        out = {"type": "boolean"}
    else:  # enum
        out = {"enum": list(field.choices)}
    out["description"] = field.doc
    return out
