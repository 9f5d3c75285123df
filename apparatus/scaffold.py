"""Files a contributor asks for: a new article with its annotation file, and the JSON Schemas.

Both refuse to overwrite: ``new`` never touches an existing file, and ``schema`` writes only the
schema files into the folder it is given.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from .annotations import ANNOTATIONS_FILE_FIELDS, REGISTRY_FIELDS
from .articles import FRONT_MATTER_FIELDS
from .drafts import MARKER
from .errors import printable
from .schema import ID_RE, json_schema
from .sources import OUTSIDE_HINT, inside

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def annotations_schema() -> dict[str, Any]:
    schema = json_schema(ANNOTATIONS_FILE_FIELDS)
    item = schema["properties"]["annotations"]["items"]
    # a correction needs `correction:`, and only a correction may have one (as the engine checks)
    item["if"] = {"properties": {"type": {"const": "correction"}}, "required": ["type"]}
    item["then"] = {"required": ["correction"]}
    item["else"] = {"not": {"required": ["correction"]}}
    return {"$schema": SCHEMA_URL, "$id": "annotations.schema.json",
            "title": "Apparatus annotation file (annotations/<slug>.yaml)", **schema}


def records_schema() -> dict[str, Any]:
    return {"$schema": SCHEMA_URL, "$id": "records.schema.json",
            "title": "Apparatus records registry (annotations/_records.yaml)", **json_schema(REGISTRY_FIELDS)}


def article_schema() -> dict[str, Any]:
    """An article's front matter; once it is no draft, its texts hold no placeholder (apparatus.drafts)."""
    schema = json_schema(FRONT_MATTER_FIELDS)
    texts = [f.name for f in FRONT_MATTER_FIELDS if f.kind == "text"]
    schema["if"] = {"properties": {"draft": {"const": True}}, "required": ["draft"]}
    schema["else"] = {"properties": {name: {"not": {"pattern": re.escape(MARKER)}} for name in texts}}
    return {"$schema": SCHEMA_URL, "$id": "article.schema.json",
            "title": "Apparatus article front matter (content/<slug>.md, between the --- lines)", **schema}


def schema_files() -> dict[str, str]:
    """File name → text of each JSON Schema (deterministic)."""
    return {name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
            for name, schema in (("annotations.schema.json", annotations_schema()),
                                 ("article.schema.json", article_schema()),
                                 ("records.schema.json", records_schema()))}


def write_schemas(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
    return 0


ARTICLE_TEMPLATE = """---
draft: true                 # build and check skip a draft (serve shows it): remove this line to publish
title: "{todo} the headline, exactly as published"
outlet: "{todo} who published it"
published: {today}
published_approximate: true
published_note: "{todo} say how the date was established, or remove these two lines if it is printed on the page."
language: en                # BCP 47: fr, zh, ug (Uyghur in Arabic script), ug-Latn…
# url: https://…            # the original address (uncomment); archive_url: an archived copy
---

# {todo} the headline, exactly as published

{todo} paste the article's text here exactly as it appeared, errors included: corrections belong in
annotations/{slug}.yaml, never in the text.
"""

ANNOTATIONS_TEMPLATE = """# yaml-language-server: $schema=../schema/annotations.schema.json
# Notes on content/{slug}.md. The format: docs/format.md; how to write them: CONTRIBUTING.md.
annotations:
# Nothing under 'annotations:' is no note yet. Add each note below, indented like this example (uncomment it),
# or select the passage in the preview (build.py serve) and press "Add to annotations/{slug}.yaml".
#  - id: minister-first-name           # [a-z0-9-], unique here: the note's address, #minister-first-name
#    type: correction                  # correction | context | source
#    quote: Jean-Claude Le Drian        # the article's words, exactly as a reader sees them
#    correction: Jean-Yves Le Drian     # what the record shows (corrections only)
#    note: |
#      The minister is Jean-Yves Le Drian; the French text says [« le ministre »]{{lang=fr}}.
#    records: [hrc46-le-drian-2021-02-24]   # ids in annotations/_records.yaml; {{id: …, language: fr}}: a version
#    links:
#      - {{url: "https://…", title: "…", publisher: "…"}}   # language: fr when the title is not English
"""


def new(root: Path, slug: str, today: str = "2026-01-01") -> int:
    if not ID_RE.fullmatch(slug):
        print(f"build.py new: error: '{printable(slug)}' is not a valid slug\n"
              "  hint: use lowercase letters, digits and single hyphens, e.g. 'france-hrc46-2021'", file=sys.stderr)
        return 2
    linked = [d for d in ("content", "annotations") if not inside(root, d)]
    if linked:
        print(f"build.py new: error: {', '.join(linked)} links outside the collection; nothing was written\n"
              f"  hint: {OUTSIDE_HINT}", file=sys.stderr)
        return 1
    article = root / "content" / f"{slug}.md"
    notes = root / "annotations" / f"{slug}.yaml"
    existing = [p for p in (article, notes) if os.path.lexists(p)]  # a dangling link too
    if existing:
        names = ", ".join(str(p.relative_to(root)) for p in existing)
        print(f"build.py new: error: {printable(names)} already exists; nothing was written\n"
              "  hint: choose another slug, or edit the existing files", file=sys.stderr)
        return 2
    article.parent.mkdir(parents=True, exist_ok=True)
    notes.parent.mkdir(parents=True, exist_ok=True)
    files, problem = _create_both(root, (article, notes))
    if files is None:
        print(f"build.py new: error: {printable(problem)}; nothing was written\n"
              "  hint: choose another slug, or remove what is in the way", file=sys.stderr)
        return 2
    with os.fdopen(files[0], "w", encoding="utf-8") as f:
        f.write(ARTICLE_TEMPLATE.format(slug=slug, today=today, todo=MARKER))
    with os.fdopen(files[1], "w", encoding="utf-8") as f:
        f.write(ANNOTATIONS_TEMPLATE.format(slug=slug))
    print(f"created content/{slug}.md and annotations/{slug}.yaml, a draft (draft: true)\n"
          f"next: replace each '{MARKER}' placeholder, add annotations, see them with: python build.py serve;\n"
          f"then remove 'draft: true' and run: python build.py check")
    return 0


def _create_both(root: Path, paths: tuple[Path, Path]) -> tuple[tuple[int, int] | None, str]:
    """Both new files created, never through a link nor over anything (a race, a dangling link), before either is
    written; if the second cannot be, the first is removed: (their descriptors, '') or (None, what went wrong)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fds: list[int] = []
    for path in paths:
        try:
            fds.append(os.open(path, flags, 0o644))
        except OSError as exc:
            for fd, made in zip(fds, paths, strict=False):
                os.close(fd)
                made.unlink()
            return None, f"cannot create {path.relative_to(root)}: {exc.strerror}"
    return (fds[0], fds[1]), ""
