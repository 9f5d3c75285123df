"""The lunr.js files a site's search ships (npm's lunr and lunr-languages, and their licences), and where they
are found. Light: the build cache checks them (cache.begin) before it loads the engine."""

from __future__ import annotations

import json
import os
from pathlib import Path

LUNR_VERSION = "2.3.9"
LUNR_LANGUAGES_VERSION = "1.22.0"  # npm's lunr-languages: its lunr.fr stems as snowballstemmer 2.2 does
LUNR_ENV = "APPARATUS_LUNR_DIR"  # a folder holding lunr.min.js (npm's lunr package), where none is found
LUNR_LANGUAGES_ENV = "APPARATUS_LUNR_LANGUAGES_DIR"  # a folder holding npm's lunr-languages package
ENGINE_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"  # in a source checkout


class LunrMissing(Exception):
    """npm's lunr (LUNR_VERSION) or lunr-languages (LUNR_LANGUAGES_VERSION) is in none of the places
    :func:`lunr_dirs` names."""


# npm package → (version, its files the site ships: path in the package → path in the site, env variable)
PACKAGES = {
    "lunr": (LUNR_VERSION, {"lunr.min.js": "search/lunr.min.js", "LICENSE": "search/lunr-LICENSE.txt"}, LUNR_ENV),
    "lunr-languages": (LUNR_LANGUAGES_VERSION, {"min/lunr.stemmer.support.min.js": "search/lunr.stemmer.support.min.js",
                                                "min/lunr.fr.min.js": "search/lunr.fr.min.js",
                                                "LICENSE": "search/lunr-languages-LICENSE.txt"}, LUNR_LANGUAGES_ENV),
}


def lunr_dirs(root: Path, package: str = "lunr") -> list[Path]:
    """Where an npm package of the search is looked for, in order: its environment variable
    ($APPARATUS_LUNR_DIR, $APPARATUS_LUNR_LANGUAGES_DIR), the node_modules beside the engine (a source
    checkout, where ``make setup`` installs it), and the collection's own node_modules (a collection
    with its own package.json, for an engine installed with pip). The last is taken only if it
    really lies inside the collection: a pull request cannot link it to a file elsewhere."""
    _, files, env_name = PACKAGES[package]
    env = os.environ.get(env_name)
    dirs = [*([Path(env)] if env else []), ENGINE_NODE_MODULES / package]
    if os.path.lexists(root / "node_modules"):  # (the guard loads YAML with it: only when there is one to vet)
        from .sources import inside

        if all(inside(root, f"node_modules/{package}/{name}") for name in ("package.json", *files)):
            dirs.append(root / "node_modules" / package)
    return dirs


def assets(root: Path) -> dict[str, bytes]:
    """lunr.min.js, lunr-languages' stemmer support and lunr.fr, and their licences, for search/ in the
    site: each from the first of :func:`lunr_dirs` that holds the version the index reproduces (lunr's
    scoring, lunr.fr's stemmer)."""
    out: dict[str, bytes] = {}
    for package, (wanted, files, env_name) in PACKAGES.items():
        dirs = lunr_dirs(root, package)
        for folder in dirs:
            try:
                if json.loads((folder / "package.json").read_bytes()).get("version") == wanted:
                    out.update((site_path, (folder / name).read_bytes()) for name, site_path in files.items())
                    break
            except (OSError, ValueError, AttributeError):
                continue
        else:
            looked = ", ".join(str(d) for d in dirs)
            raise LunrMissing(f"{package} {wanted} is missing (looked in {looked}): run `make setup`, "
                              f"`npm install {package}@{wanted}` in the collection, or set {env_name}")
    return out
