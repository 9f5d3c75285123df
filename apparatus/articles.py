"""content/<slug>.md → Article: front matter validated, body kept verbatim."""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from .drafts import placeholder_in_text, placeholders
from .errors import Diagnostic
from .schema import ID_RE, Field, Validator, load_yaml
from .sources import SourceFile, read_source, split_front_matter

FRONT_MATTER_FIELDS = (
    Field("title", "text", "the headline as published", required=True, example='"…"'),
    Field("outlet", "text", "who published it; say so when it is unattributed", required=True, example='"…"'),
    Field("published", "date", "the publication date, YYYY-MM-DD, YYYY-MM or YYYY", required=True,
          example="2021-02-24"),
    Field("published_approximate", "bool", "true when the date is inferred, not printed on the page"),
    Field("published_note", "text", "one sentence on how the date was established"),
    Field("language", "language", "the BCP 47 language tag of the text, e.g. en", required=True, example="en"),
    Field("url", "url", "the original address of the article"),
    Field("archive_url", "url", "an archived copy of the original"),
    Field("draft", "bool", "true while the article is being written: build and check skip it, serve shows it"),
)


@dataclasses.dataclass
class Article:
    slug: str
    title: str
    outlet: str
    published: str
    language: str
    body: SourceFile  # the Markdown text, with its first line's number in the file
    published_approximate: bool = False
    published_note: str = ""
    url: str = ""
    archive_url: str = ""
    draft: bool = False

    @property
    def path(self) -> str:
        return self.body.rel


def load_article(root: Path, rel: str) -> tuple[Article | None, list[Diagnostic]]:
    """The article at rel (content/<slug>.md) in the collection at root."""
    name = PurePosixPath(rel).name
    slug = name.removesuffix(".md")
    src, diags = read_source(root, rel)
    if src is None:
        return None, diags
    if not ID_RE.fullmatch(slug):
        diags.append(src.diag(1, 1, f"the file name '{name}' is not a valid slug",
                              "rename it with lowercase letters, digits and hyphens, e.g. 'france-hrc46-2021.md'"))
    fm, body, more = split_front_matter(src)
    diags += more
    if fm is None or body is None:
        return None, diags
    raw, doc, more = load_yaml(fm)
    diags += more
    if doc is None or raw is None:
        if not more:
            diags.append(src.diag(1, 1, "the front matter is empty", "add title:, outlet:, published:, language:"))
        return None, diags
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, FRONT_MATTER_FIELDS, "the front matter")
    if v.problems:
        diags += doc.report(v.problems)
    if values is None or (diags and any(d.is_error for d in diags)):
        return None, diags
    article = Article(slug=slug, body=body, **values)
    if not article.draft:  # a scaffold left unfilled is never published (the article goes on: its notes are checked)
        diags += placeholders(doc, (((f.name,), values.get(f.name)) for f in FRONT_MATTER_FIELDS if f.kind == "text"))
        diags += placeholder_in_text(body)
    return article, diags
