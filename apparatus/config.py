"""site.yaml: the collection's settings, declared once and validated whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from .errors import Diagnostic
from .schema import Field, Validator, load_yaml
from .sources import read_source

SITE_FIELDS = (
    Field("title", "text", "the collection's name, shown in every page header", required=True,
          example='"Xinjiang: the record"'),
    Field("description", "text", "one sentence on what the collection is, shown on the home page"),
    Field("language", "text", "the BCP 47 language of the site's own text, e.g. en", required=True, example="en"),
    Field("output", "text", "the folder the site is written to, relative to site.yaml (default _site)"),
    Field("base_url", "url", "the address the site is published at, with any path prefix, e.g. "
          "https://user.github.io/repo/: for canonical links, share cards, sitemap.xml and 404.html",
          example='"https://user.github.io/repo/"'),
    Field("repo_url", "url", "the collection's repository, e.g. https://github.com/user/repo: pages link to it to "
          "suggest a correction or edit a page", example='"https://github.com/user/repo"'),
    Field("edit_uri", "text", "the path from repo_url to a file of the default branch, for edit links "
          "(default edit/main/)", example="edit/main/"),
)

SOURCE_DIRS = ("content", "annotations", "templates")


@dataclasses.dataclass(frozen=True)
class Config:
    root: Path
    title: str
    language: str
    description: str = ""
    output: str = "_site"
    base_url: str = ""  # ends with /; empty: no canonical links, og:url or sitemap
    repo_url: str = ""  # no trailing /
    edit_uri: str = "edit/main/"

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    def edit_url(self, rel: str) -> str:
        """The repository's editor for a file of the collection ('' without repo_url)."""
        return f"{self.repo_url}/{self.edit_uri}{rel}" if self.repo_url else ""


def load_config(root: Path) -> tuple[Config | None, list[Diagnostic]]:
    if not (root / "site.yaml").is_file():
        return None, [Diagnostic("site.yaml", 1, 1, "no site.yaml in the collection folder",
                                 f"run the command in the collection's folder or pass --root (looked in {root})")]
    src, diags = read_source(root, "site.yaml")
    if src is None:
        return None, diags
    raw, doc, diags = load_yaml(src)
    if doc is None or raw is None:
        if diags:
            return None, diags
        return None, [src.diag(1, 1, "site.yaml is empty", "add title: and language:")]
    v = Validator(doc.odd_keys)
    values = v.mapping(raw, SITE_FIELDS, "site.yaml")
    if values is None or v.problems:
        return None, doc.report(v.problems)
    output = values.get("output", "_site")
    if not _safe_output(output):
        return None, [doc.at(("output",), f"output folder '{output}' is not allowed",
                             "name a new folder inside the collection, e.g. _site; never a source folder")]
    blocked = _in_the_way(root, output)
    if blocked:  # without an output: key, the default _site is in the way: at the mapping
        return None, [doc.at(("output",) if "output" in values else (),
                             f"output folder '{output}' cannot be written: {blocked}",
                             "name a new folder inside the collection, e.g. _site, or move that file or link away")]
    base_url = values.get("base_url", "")
    if "?" in base_url or "#" in base_url:
        return None, [doc.at(("base_url",), f"base_url '{base_url}' has a query or a fragment",
                             "write the address of the site's home page only, e.g. https://user.github.io/repo/")]
    edit_uri = values.get("edit_uri", "edit/main/").strip("/") + "/"
    return Config(root, values["title"], values["language"], values.get("description", ""), output,
                  base_url=base_url.rstrip("/") + "/" if base_url else "",
                  repo_url=values.get("repo_url", "").rstrip("/"), edit_uri=edit_uri), diags


def _safe_output(output: str) -> bool:
    """The output folder is replaced on every build: it must never be a source folder or outside root."""
    p = PurePosixPath(output)
    if p.is_absolute() or not p.parts or ".." in p.parts or "\\" in output:
        return False
    first = p.parts[0]
    return first not in SOURCE_DIRS and first not in (".", ".git", "site.yaml", "tests", "apparatus")


def _in_the_way(root: Path, output: str) -> str:
    """What on disk stops the output folder from being a real folder: a file or a symbolic link at it or above it
    (a link would send the build's writes, and its deletion of the old site, elsewhere)."""
    path, rel = root, PurePosixPath()
    for part in PurePosixPath(output).parts:
        path, rel = path / part, rel / part
        if path.is_symlink():
            return f"'{rel}' is a symbolic link"
        if not path.exists():
            return ""
        if not path.is_dir():
            return f"'{rel}' is a file"
    return ""
