"""The published JSON Schemas and the engine agree: valid files pass both; every invalid fixture whose
problem a schema can express is rejected by both (annotation files, the registry, articles' front matter).

YAML is read as an editor's language server reads it (YAML 1.2: dates stay strings), then validated
with the jsonschema library (draft 2020-12), formats checked (FormatChecker: "date" is a calendar day).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import MULTILINGUAL, REPO, TESTS, TINY

SCHEMAS = {name: json.loads((REPO / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
           for name in ("annotations", "article", "records")}


class Yaml12Loader(yaml.SafeLoader):
    pass


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def schema_errors(path: str, text: str) -> list[str]:
    """The schema's messages on a file: annotations/<slug>.yaml, the registry, or an article's front matter."""
    kind = "records" if path.endswith("_records.yaml") else "article" if path.endswith(".md") else "annotations"
    if kind == "article":  # the front matter, between the first two --- lines
        text = text.split("---\n", 2)[1] if text.startswith("---\n") and text.count("---\n") >= 2 else ""
    data = yaml.load(text, Loader=Yaml12Loader)
    # format checking on: "format": "date" is then a calendar date (jsonschema's own check, date.fromisoformat)
    validator = jsonschema.Draft202012Validator(SCHEMAS[kind], format_checker=jsonschema.FormatChecker())
    return [e.message for e in validator.iter_errors(data)]


def annotation_files(root: Path) -> list[Path]:
    return sorted((root / "annotations").glob("*.yaml")) + sorted((root / "content").glob("*.md"))


@pytest.mark.parametrize("path", annotation_files(REPO) + annotation_files(TINY) + annotation_files(MULTILINGUAL),
                         ids=lambda p: p.name)
def test_valid_files_pass_the_schema(path: Path) -> None:
    assert schema_errors(path.name, path.read_text(encoding="utf-8")) == []


# engine messages a JSON Schema can express (the rest — quotes, record ids, uniqueness — need the article)
SCHEMA_LEVEL = ("unknown key", "missing required field", "must be text", "must be a list", "must be a mapping",
                "is not a valid id", "is not a date", "is not a full date", "is not one of", "must be an http(s) link",
                "is a correction but has no", "is only for type correction", "is too long",
                "must be true or false", "' still holds a placeholder")
CASES = sorted((TESTS / "bad").glob("*.yaml"))


@pytest.mark.parametrize("case_path", CASES, ids=[p.stem for p in CASES])
def test_schema_rejects_what_the_engine_rejects(case_path: Path) -> None:
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    expected = case_path.with_suffix(".expected").read_text(encoding="utf-8")
    for rel, text in (case.get("files") or {}).items():
        if not rel.startswith(("annotations/", "content/")) or text is None:
            continue
        engine_lines = [line for line in expected.splitlines() if line.startswith(rel + ":")]
        engine_schema_level = [line for line in engine_lines if any(k in line for k in SCHEMA_LEVEL)
                               # a note's placeholder is an error only if its article is no draft: another file
                               and not (rel.endswith(".yaml") and "still holds a placeholder" in line)]
        if any("YAML" in line for line in engine_lines):  # syntax errors and alias bombs: no document to compare
            continue
        if rel.endswith(".md") and (not text.startswith("---\n") or any("BCP 47" in line for line in engine_lines)):
            continue  # no front matter; a language tag (the schema checks its grammar, the engine its subtags too)
        errors = [e[:200] for e in schema_errors(rel, text)]
        if engine_schema_level:
            assert errors, f"{case_path.stem}: the engine reports {engine_schema_level} but the schema accepts {rel}"
        else:
            assert errors == [], f"{case_path.stem}: the schema rejects {rel} ({errors}) but the engine does not"


RECORD = """records:
  - id: a-record
    title: A record
    issuer: An issuer
    kind: un
    date: {date}
"""
NOTE = """annotations:
  - id: a-note
    type: context
    quote: a quote
    note: A note.
    added: {date}
"""

ARTICLE = """---
title: A title
outlet: An outlet
published: {date}
language: en
---

The text.
"""


@pytest.mark.parametrize("date", ["2021", "2021-04", "2021-04-30", "2020-02-29", "2021-02-29", "2021-04-31",
                                  "2021-13", "2021-00", "2021-04-00", "0000", "0000-01-01", "21-04-01", "2021-4-1",
                                  "2021-04-30T10:00", "'2021'"])
def test_dates_agree(date: str, tmp_path: Path) -> None:
    """A record's date and an article's published: (a year, a month or a day), a note's added: (a day): the engine
    and the schema, with its formats checked, accept and refuse the same dates; a day must exist (2021-04-31,
    2021-02-29 do not)."""
    from apparatus.annotations import load_annotations, load_registry
    from apparatus.articles import load_article

    (tmp_path / "annotations").mkdir()
    (tmp_path / "content").mkdir()
    for rel, text, load in (("annotations/_records.yaml", RECORD, lambda rel: load_registry(tmp_path, rel)),
                            ("annotations/alpha.yaml", NOTE,
                             lambda rel: load_annotations(tmp_path, rel, None, None)),
                            ("content/alpha.md", ARTICLE, lambda rel: load_article(tmp_path, rel))):
        text = text.format(date=date)
        (tmp_path / rel).write_text(text, encoding="utf-8")
        engine = [d.message for d in load(rel)[1]]
        schema = schema_errors(rel, text)
        assert bool(engine) == bool(schema), (rel, engine, schema)
    calendar = date in ("2021", "2021-04", "2021-04-30", "2020-02-29", "'2021'")
    assert calendar == (schema_errors("annotations/_records.yaml", RECORD.format(date=date)) == [])


@pytest.mark.parametrize("text", ["annotations:\n", "annotations: []\n"])
def test_no_note_yet_passes_the_schema_as_it_passes_check(text: str) -> None:
    """'annotations:' with nothing under it (what build.py new writes) is the empty list for both."""
    assert schema_errors("fresh.yaml", text) == []
