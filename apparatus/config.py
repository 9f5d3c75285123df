"""site.yaml: the collection's settings, declared once and validated whole."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import Diagnostic
from .schema import URL_RE, Field, Validator, load_yaml
from .sources import YamlDoc, read_source

SITE_FIELDS = (
    Field("title", "text", "the collection's name, shown in every page header", required=True,
          example='"Xinjiang: the record"'),
    Field("description", "text", "one sentence on what the collection is, shown on the home page"),
    Field("language", "language", "the BCP 47 language of the site's own text, e.g. en", required=True, example="en"),
    Field("output", "text", "the folder the site is written to, relative to site.yaml (default _site)"),
    Field("base_url", "url", "the address the site is published at, with any path prefix, e.g. "
          "https://user.github.io/repo/: for canonical links, share cards, sitemap.xml and 404.html",
          example='"https://user.github.io/repo/"'),
    Field("publisher", "text", "who publishes the notes: the author named in each correction's ClaimReview "
          "(default: the title)", example='"Xinjiang: the record"'),
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
    publisher: str = ""  # the fact checks' author (ClaimReview); see publisher_name

    @property
    def publisher_name(self) -> str:
        return self.publisher or self.title

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    def edit_url(self, rel: str) -> str:
        """The repository's editor for a file of the collection ('' without repo_url)."""
        return f"{self.repo_url}/{self.edit_uri}{rel}" if self.repo_url else ""


def template_site(config: Config) -> dict[str, Any]:
    """What templates see as ``site``: strings and the edit-link function, never the Config (its root is a Path,
    whose methods would read any file from a template)."""
    values = {f: getattr(config, f) for f in ("title", "description", "language", "base_url", "repo_url",
                                               "edit_uri")}

    def edit_url(rel: str) -> str:
        return config.edit_url(str(rel))

    return {**values, "edit_url": edit_url}


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
    diags = list(diags)
    _base_url_from_environment(values, diags)
    _no_query(doc, values, "base_url", "the site's home page only, e.g. https://user.github.io/repo/", diags)
    _no_query(doc, values, "repo_url", "the repository only, e.g. https://github.com/user/repo", diags)
    edit_uri = values.get("edit_uri", "edit/main/").strip("/") + "/"
    if not EDIT_URI_RE.fullmatch(edit_uri) or ".." in edit_uri.split("/"):
        diags.append(doc.at(("edit_uri",), f"edit_uri '{values['edit_uri']}' is not a relative path",
                            "write folder names of letters, digits, '.', '_' and '-' separated by '/', "
                            "e.g. edit/main/ or edit/main/docs/ (no '..', '?' or '#')"))
    if diags:
        return None, diags
    base_url = values.get("base_url", "")
    return Config(root, values["title"], values["language"], values.get("description", ""), output,
                  base_url=base_url.rstrip("/") + "/" if base_url else "",
                  repo_url=values.get("repo_url", "").rstrip("/"), edit_uri=edit_uri,
                  publisher=values.get("publisher", "")), diags


BASE_URL_ENV = "APPARATUS_BASE_URL"  # set (the deploy workflow: the GitHub Pages address), it replaces base_url


def _base_url_from_environment(values: dict[str, Any], diags: list[Diagnostic]) -> None:
    """base_url from APPARATUS_BASE_URL when it is set: a deploy job knows the published address, and editing
    site.yaml there would depend on the file's last line."""
    url = os.environ.get(BASE_URL_ENV, "")
    if not url:
        return
    values["base_url"] = url
    if not URL_RE.fullmatch(url):
        diags.append(Diagnostic("site.yaml", 1, 1, f"{BASE_URL_ENV} '{url}' is not an http(s) address",
                                "set it to the published site's address, e.g. https://user.github.io/repo/, "
                                "or unset it to use site.yaml's base_url"))


EDIT_URI_RE = re.compile(r"(?:[A-Za-z0-9._-]+/)+")  # edit_uri with its final '/': segments, no query or fragment


def _no_query(doc: YamlDoc, values: dict[str, Any], key: str, what: str, diags: list[Diagnostic]) -> None:
    """An address of site.yaml (a page's address is appended to it) must have no query or fragment."""
    url = values.get(key, "")
    if "?" in url or "#" in url:
        diags.append(doc.at((key,), f"{key} '{url}' has a query or a fragment", f"write the address of {what}"))


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
