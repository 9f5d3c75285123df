"""Declared file formats, loaded as values and validated once, with problems by key path.

Each file format (site.yaml, article front matter, annotations, the records registry) is declared
once as a tuple of :class:`Field`, with a doc line per field; the same declarations generate the
JSON Schema published for editors (:func:`json_schema`).

One path, for every file and every outcome:

1. :func:`load_yaml` gives the file's *values*: str, :class:`apparatus.fastyaml.Typed` (a plain
   scalar YAML reads as a number, date, bool or null: it keeps its tag and raw text), list, dict.
   :mod:`apparatus.fastyaml` reads the plain subset contributors write; anything else is composed
   by libyaml (:func:`apparatus.sources.compose_yaml`: depth and alias bombs refused first) and
   :func:`node_values` turns the tree into the same values.
2. :class:`Validator` checks the values against the fields, one rule per field kind (``_text`` …
   ``_enum``), and collects :class:`apparatus.sources.Problem` s by key path, e.g.
   ``("annotations", 3, "quote")``: unknown keys with "did you mean", missing required fields,
   wrong types, bad ids, dates and URLs, repeated keys. It returns the valid values.
3. The loaders (config, articles, annotations) add their rules across fields and files as more
   problems by path; anchoring and the pipeline report by path later too.
4. Only a problem gets a position: :class:`apparatus.sources.YamlDoc` composes the file then (once,
   if it was read by fastyaml) and walks the path down the node tree to ``path:line:col``.
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

from . import fastyaml, languages
from .errors import Diagnostic
from .fastyaml import Typed, Value
from .sources import KeyPath, Problem, SourceFile, YamlDoc, compose_yaml

# Always used with fullmatch: '$' would also match before a final line break ("x\n"). [0-9], not \d: \d is
# any script's digit in Python (not in JSON Schema's ECMA-262 regexes).
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
DAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # a date to the day (a note's added:)
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
    kind: str  # text | id | date | day | url | bool | enum | language | cite | list | map | versions
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    item: tuple[Field, ...] | str = ()  # for list: item kind, or fields of mapping items; for map: fields
    example: str = ""
    max_length: int = 0  # for text: the most characters allowed (0: no limit)
    empty: bool = False  # for list: the key with nothing after it ('annotations:') is the empty list

    @functools.cached_property
    def item_field(self) -> Field:
        """The field each item of a list of scalars is checked as."""
        assert isinstance(self.item, str)
        return Field(self.name, self.item, self.doc)

    @functools.cached_property
    def item_what(self) -> str:
        """How a message names an item of this list."""
        return f"an item of '{self.name}'"


def describe(value: Any) -> str:
    if type(value) is dict:
        return "a mapping (key: value lines)"
    if type(value) is list:
        return "a list"
    return _TYPE_NAMES.get(value.tag, "a value") if type(value) is Typed else "text"


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


# --- loading: values, from fastyaml or from libyaml's node tree ---------------------------------------------------


def load_yaml(src: SourceFile) -> tuple[Value, YamlDoc | None, list[Diagnostic]]:
    """The values of a YAML file (str, Typed, list, dict) and its positions, for diagnostics.

    fastyaml reads the plain subset contributors write, without positions; for anything else libyaml composes
    the text (after its depth and alias checks) and :func:`node_values` turns the tree into the same values.
    (None, None, diagnostics) for a syntax error; (None, doc, []) for a document with no content.
    """
    value = fastyaml.load(src.text)
    if value is not None:
        return value, YamlDoc(src), []
    node, diags = compose_yaml(src)
    if node is None:
        return None, (None if diags else YamlDoc(src)), diags
    odd: dict[KeyPath, list[tuple[int, str | None]]] = {}
    return node_values(node, (), odd), YamlDoc(src, node, odd), []


def node_values(node: yaml.Node, path: KeyPath, odd: dict[KeyPath, list[tuple[int, str | None]]]) -> Value:
    """A node tree as values: fastyaml's shape (tests/test_fastyaml.py proves it). A mapping keeps a repeated key's
    first value; repeated and non-scalar keys go to ``odd`` by the mapping's path, for the validator to report."""
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == STR_TAG else Typed(node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return [node_values(item, (*path, i), odd) for i, item in enumerate(node.value)]
    out: dict[str, Value] = {}
    for i, (key_node, value_node) in enumerate(node.value):
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key is None or key in out:
            odd.setdefault(path, []).append((i, key))
        else:
            out[key] = node_values(value_node, (*path, key), odd)
    return out


# --- validating: one rule per field kind, problems by key path ----------------------------------------------------


class _Bad(Exception):  # noqa: N818 - a verdict, not an error of the program
    """A rule's verdict on a value, raised: what follows the value's name in the message, and the hint.
    (Raised rather than returned: a ``try`` costs nothing in Python 3.11 until it catches, while testing
    every checked value's type was a few percent of loading a valid file.)"""

    def __init__(self, rest: str, hint: str):
        super().__init__(rest)
        self.rest = rest
        self.hint = hint


class _Table:
    """A fields tuple as the validator reads it: by name, each with its rule (None: a list or a map), and the
    names of the required ones."""

    __slots__ = ("fields", "by_name", "rules", "required")

    def __init__(self, fields: tuple[Field, ...]):
        self.fields = fields  # kept alive, so its id is not reused while cached
        self.by_name = {f.name: f for f in fields}
        self.rules = {f.name: (f, _CHECKS.get(f.kind)) for f in fields}
        self.required = tuple(f.name for f in fields if f.required)


_TABLES: dict[int, _Table] = {}  # by id(fields)


class Validator:
    """Validates the values of one file against its fields, collecting problems by key path.

    ``odd_keys`` are the keys the values could not hold (see :class:`apparatus.sources.YamlDoc`).
    """

    def __init__(self, odd_keys: dict[KeyPath, list[tuple[int, str | None]]] | None = None):
        self.problems: list[Problem] = []
        self.odd_keys = odd_keys

    def error(self, path: KeyPath, message: str, hint: str = "", severity: str = "error", key: bool = False) -> None:
        self.problems.append(Problem(path, message, hint, severity, key))

    def mapping(self, value: Value, fields: tuple[Field, ...], what: str, path: KeyPath = ()) -> dict[str, Any] | None:
        """Validate a mapping against fields. Returns {name: value} for the valid values (None if not a mapping)."""
        if type(value) is not dict:
            self.error(path, f"{what} must be a mapping (key: value lines), not {describe(value)}",
                       "write it as 'key: value' lines" + (f", e.g. '{fields[0].name}: …'" if fields else ""))
            return None
        table = _TABLES.get(id(fields))
        if table is None or table.fields is not fields:
            table = _TABLES[id(fields)] = _Table(fields)
        rules = table.rules
        out: dict[str, Any] = {}
        meant: list[str] = []  # the fields unknown keys were probably meant as: not missing
        for key, v in value.items():
            rule = rules.get(key)
            if rule is None:
                meant.append(self._unknown((*path, key), key, table.by_name, what))
                continue
            field, check = rule
            if check is not None:  # a scalar: the common case, checked inline (a problem's path and words are made
                try:  # only for a problem)
                    out[key] = check(v, field)
                except _Bad:
                    self.scalar(v, field, (*path, key), f"'{key}'")
            elif field.kind == "list":
                items = self.list(v, field, path, key)
                if items is not None:
                    out[key] = items
            elif field.kind == "versions":
                versions = self.versions(v, field, (*path, key))
                if versions is not None:
                    out[key] = versions
            else:  # map
                assert isinstance(field.item, tuple)
                sub = self.mapping(v, field.item, f"'{key}'", (*path, key))
                if sub is not None:
                    out[key] = sub
        if self.odd_keys and path in self.odd_keys:
            meant += self._odd(path, table.by_name, what)
        for name in table.required:
            if name not in value and name not in meant:
                field = table.by_name[name]
                example = f" (e.g. {name}: {field.example})" if field.example else ""
                self.error(path, f"missing required field '{name}' in {what}", f"add '{name}:' — {field.doc}{example}")
        return out

    def _unknown(self, path: KeyPath, key: str, by_name: dict[str, Field], what: str) -> str:
        """Report an unknown key; the field it was probably meant as ('' if none)."""
        near = did_you_mean(key, list(by_name))
        self.error(path, f"unknown key '{key}' in {what}" + (f": {near}" if near else ""),
                   f"allowed keys: {', '.join(by_name)}", key=True)
        return near.split("'")[1] if near else ""

    def _odd(self, path: KeyPath, by_name: dict[str, Field], what: str) -> list[str]:
        meant = []
        assert self.odd_keys is not None
        for index, key in self.odd_keys[path]:
            at = (*path, index)
            if key is None:
                self.error(at, f"a key in {what} must be a plain name", key=True)
            elif key not in by_name:
                meant.append(self._unknown(at, key, by_name, what))
            else:
                self.error(at, f"duplicate key '{key}' in {what}",
                           f"keep one '{key}:' (YAML would silently use the last)", key=True)
        return meant

    def list(self, value: Value, field: Field, parent: KeyPath, key: str) -> list[Any] | None:
        """The valid items of the list at parent + (key,): a list of mappings keeps None for an invalid item, so
        that an item's index is its place in the file; a list of scalars leaves invalid ones out."""
        if field.empty and type(value) is Typed and value.tag == "tag:yaml.org,2002:null":
            return []
        if type(value) is not list:
            path = (*parent, key)
            if type(value) is str or type(value) is Typed:
                hint = f"write it as a list: {field.name}: [{_raw(value)}]" if isinstance(field.item, str) \
                    else "start each item on its own line with '- '"
            else:
                hint = "start each item on its own line with '- '"
            self.error(path, f"'{field.name}' must be a list, not {describe(value)}", hint)
            return None
        if isinstance(field.item, tuple):
            fields, item_what, mapping = field.item, field.item_what, self.mapping
            return [mapping(item, fields, item_what, (*parent, key, i)) for i, item in enumerate(value)]
        item_field = field.item_field
        check = _CHECKS[item_field.kind]
        try:
            return [check(item, item_field) for item in value]
        except _Bad:  # rare: report each bad item at its index, keep the others
            what = field.item_what
            checked = (self.scalar(item, item_field, (*parent, key, i), what) for i, item in enumerate(value))
            return [x for x in checked if x is not None]

    def versions(self, value: Value, field: Field, path: KeyPath) -> dict[str, str] | None:
        """A mapping of BCP 47 tags to addresses (a record's versions): the valid pairs."""
        if type(value) is not dict:
            self.error(path, f"'{field.name}' must be a mapping of language tags to addresses, not {describe(value)}",
                       "write one 'tag: address' line per version, e.g. fr: https://…")
            return None
        out = {}
        for tag, url in value.items():
            if not languages.is_bcp47(tag):
                near = languages.suggestion(tag)
                self.error((*path, tag), f"'{tag}' in '{field.name}' is not a BCP 47 language tag"
                           + (f": did you mean '{near}'?" if near else ""), _LANGUAGE_HINT, key=True)
            elif (checked := self.scalar(url, _VERSION_URL, (*path, tag), f"the '{tag}' version")) is not None:
                out[tag] = checked
        if self.odd_keys and path in self.odd_keys:
            for index, key in self.odd_keys[path]:
                self.error((*path, index), f"duplicate language '{key}' in '{field.name}'" if key is not None
                           else f"a key in '{field.name}' must be a language tag", "list each version once", key=True)
        return out

    def scalar(self, value: Value, field: Field, path: KeyPath, what: str) -> Any:
        """The value checked by its field's rule (None, and a problem at path, if it breaks it)."""
        kind = field.kind
        try:
            return _CHECKS[kind](value, field)
        except _Bad as bad:
            if type(bad) is _NotScalar:
                self.error(path, f"{what} must be {_KIND_WORDS[kind]}, not {describe(value)}",
                           _KIND_HINTS.get(kind, "write a single value"))
            else:
                self.error(path, what + bad.rest, bad.hint)
            return None


class _NotScalar(_Bad):  # noqa: N818
    """A list or a mapping, which no rule accepts: :meth:`Validator.scalar` words it for every kind."""

    def __init__(self) -> None:
        super().__init__("", "")


# The rules take any value and return the checked value or raise a _Bad (a fresh one each time: a raised
# exception keeps its traceback and the frames in it).


def _raw(value: Value) -> str | None:
    """A scalar's text as written (a Typed keeps it); None for a list or a mapping."""
    t = type(value)
    return value if t is str else value.value if t is Typed else None


def _text(value: Value, field: Field) -> str:
    if type(value) is not str:
        if type(value) is not Typed:
            raise _NotScalar
        raise _Bad(f" must be text, not {describe(value)}",
                    f"put the value in quotes: {field.name}: \"{_raw(value)}\"")
    if not value or value.isspace():  # = not value.strip(), without a copy
        raise _Bad(" is empty", f"write {field.doc}")
    if field.max_length and len(value) > field.max_length:
        raise _Bad(f" is too long: {len(value):,} characters, at most {field.max_length:,}",
                    f"shorten it to the words that matter: {field.doc}")
    return value


def _id(value: Value, field: Field) -> str:
    if type(value) is not str:  # (_raw inline: ids and links are most of a file's values)
        if type(value) is not Typed:
            raise _NotScalar
        value = value.value
    if not ID_RE.fullmatch(value):
        raise _Bad(f" '{value}' is not a valid id",
                    f"use lowercase letters, digits and single hyphens, e.g. '{id_suggestion(value) or 'an-id'}'")
    return value


def id_suggestion(text: str) -> str:
    """The id a text that is not one probably means ('' if none): 'HRC46 Speech' → 'hrc46-speech'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _date(value: Value, field: Field) -> str:
    raw = _raw(value)
    if raw is None:
        raise _NotScalar
    text = raw.strip()
    m = DATE_RE.fullmatch(text)
    if m:
        year, month, day = (int(g) if g else 1 for g in m.groups())
        try:
            datetime.date(year, month, day)
            return text
        except ValueError:
            pass
    raise _Bad(f" '{text}' is not a date", "write YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2021-02-24); say more in a note")


def _day(value: Value, field: Field) -> str:
    """A date to the day: what a date is (:func:`_date`), with its month and day."""
    try:
        checked = _date(value, field)
    except _NotScalar:
        raise
    except _Bad as bad:
        raise _Bad(bad.rest, "write YYYY-MM-DD, the day (e.g. 2026-11-22)") from None
    if not DAY_RE.fullmatch(checked):
        raise _Bad(f" '{checked}' is not a full date", "write YYYY-MM-DD, the day (e.g. 2026-11-22)")
    return checked


def _url(value: Value, field: Field) -> str:
    if type(value) is str:
        text = value.strip()
        if URL_RE.fullmatch(text):
            return text
    elif type(value) is Typed:
        text = value.value.strip()
    else:
        raise _NotScalar
    scheme = text.split(":", 1)[0] if ":" in text else ""  # (a Typed is never a link: YAML reads it as no text)
    problem = f"uses '{scheme}:'" if scheme and not text.startswith("http") else "is not a full address"
    raise _Bad(f" must be an http(s) link; '{text}' {problem}",
                "write the full address, starting with https:// (or http://)")


_LANGUAGE_HINT = ("write a registered language subtag, then an optional script and region, joined by hyphens: "
                  "en, fr, zh, ug, ug-Latn, zh-Hant-TW (BCP 47)")


def _language(value: Value, field: Field) -> str:
    """A BCP 47 language tag, well formed and registered (:func:`apparatus.languages.is_bcp47`)."""
    text = _raw(value)
    if text is None:
        raise _NotScalar
    if not languages.is_bcp47(text):
        near = languages.suggestion(text)
        raise _Bad(f" '{text}' is not a BCP 47 language tag" + (f": did you mean '{near}'?" if near else ""),
                   _LANGUAGE_HINT)
    return text


_CITE_KEYS = ("id", "language")


def _cite(value: Value, field: Field) -> str | dict[str, str]:
    """A cited record: its id, or {id: …, language: …} for its version in a language."""
    if type(value) is not dict:
        return _id(value, field)
    unknown = [k for k in value if k not in _CITE_KEYS]
    if unknown or "id" not in value or "language" not in value:
        raise _Bad(" must be a record id, or {id: …, language: …}" + (f" (unknown key '{unknown[0]}')" if unknown
                                                                         else ""),
                   "cite a record by its id, e.g. records: [hrc46-le-drian-2021-02-24], or a version of it by id and "
                   "language, e.g. records: [{id: hrc46-le-drian-2021-02-24, language: fr}]")
    rid = _id(value["id"], field)
    try:
        return {"id": rid, "language": _language(value["language"], field)}
    except _NotScalar:
        raise _Bad(" has a language that is not a tag", _LANGUAGE_HINT) from None
    except _Bad as bad:
        raise _Bad(f" ({rid}) has language{bad.rest}", bad.hint) from None


_VERSION_URL = Field("versions", "url", "the address of the version")


def _bool(value: Value, field: Field) -> bool:
    if type(value) is not Typed or value.tag != "tag:yaml.org,2002:bool":
        if type(value) is not str and type(value) is not Typed:
            raise _NotScalar
        raise _Bad(f" must be true or false, not {describe(value)}", f"write {field.name}: true")
    return value.value.lower() in ("true", "yes", "on")


def _enum(value: Value, field: Field) -> str:
    text = _raw(value)
    if text is None:
        raise _NotScalar
    if text not in field.choices:
        near = did_you_mean(text, field.choices)
        raise _Bad(f" '{text}' is not one of: {', '.join(field.choices)}" + (f"; {near}" if near else ""),
                    f"{field.doc}")
    return text


_CHECKS: dict[str, Callable[[Any, Field], Any]] = {
    "text": _text, "id": _id, "date": _date, "day": _day, "url": _url, "bool": _bool, "enum": _enum,
    "language": _language, "cite": _cite,
}
_KIND_WORDS = {
    "text": "text", "id": "an id", "date": "a date", "day": "a date", "url": "a link", "bool": "true or false",
    "enum": "one word", "language": "a language tag", "cite": "a record id", "list": "a list", "map": "a mapping",
    "versions": "a mapping",
}
_KIND_HINTS = {
    "text": "write the text on the same line, or after '|' for several lines",
    "id": "write a single id such as 'minister-first-name'",
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


# The dates check() accepts, as a JSON Schema: a year, a year and month, or a day that exists (format: date, which
# validators with format checking test as a calendar date: 2021-04-31 fails; the pattern holds it to the form for
# those that do not). A bare year is an integer to YAML 1.2 readers (editors' language servers).
_YEAR = r"(?!0000)[0-9]{4}"
_DAY_JSON = {"type": "string", "pattern": _json_pattern(DAY_RE), "format": "date"}
_DATE_JSON = {"anyOf": [{"type": "string", "pattern": _json_pattern(re.compile(f"^{_YEAR}$"))},
                        {"type": "string", "pattern": _json_pattern(re.compile(f"^{_YEAR}-(?:0[1-9]|1[0-2])$"))},
                        _DAY_JSON,
                        {"type": "integer", "minimum": 1000, "maximum": 9999}]}


def _json_value(field: Field) -> dict[str, Any]:
    kind = field.kind
    out: dict[str, Any]
    if kind == "list":
        items = json_schema(field.item) if isinstance(field.item, tuple) else _json_value(
            Field(field.name, field.item, field.doc))
        out = {"type": ["array", "null"] if field.empty else "array", "items": items}
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
    elif kind == "day":
        out = dict(_DAY_JSON)
    elif kind == "url":
        out = {"type": "string", "pattern": _json_pattern(URL_RE)}
    elif kind == "bool":
        out = {"type": "boolean"}
    elif kind == "cite":
        out = {"anyOf": [{"type": "string", "pattern": _json_pattern(ID_RE)},
                         {"type": "object", "properties": {"id": {"type": "string", "pattern": _json_pattern(ID_RE)},
                                                           "language": _json_value(Field("language", "language", ""))},
                          "required": ["id", "language"], "additionalProperties": False}]}
    elif kind == "versions":
        out = {"type": "object", "propertyNames": {"pattern": _json_pattern(languages.BCP47_RE)},
               "additionalProperties": {"type": "string", "pattern": _json_pattern(URL_RE)}}
    elif kind == "language":  # well formed (RFC 5646); the build also checks that the subtags are registered
        out = {"type": "string", "pattern": _json_pattern(languages.BCP47_RE), "maxLength": languages.MAX_TAG}
    else:  # enum
        out = {"enum": list(field.choices)}
    out["description"] = field.doc
    return out
