"""``build.py links``: ask the network whether each record's ``url``, ``archive_url`` and ``versions`` still answer.

Optional and never a gate: the build and ``check`` read addresses only and never use the network; this
command is for an editor with a network who wants to know which records have moved or died (each one
then needs its ``archive_url``). Every request is bounded: a HEAD (a GET when the server refuses HEAD),
a timeout per request, at most :data:`WORKERS` at once, redirects as urllib follows them (at most 10),
and no body read. An address that does not answer is a warning at its line; the exit code is 0 whatever
the network says (1 only when the registry itself has errors).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import http.client
import urllib.error
import urllib.request
from pathlib import Path

from .annotations import REGISTRY, load_registry
from .errors import Diagnostic
from .schema import load_yaml
from .sources import read_source

TIMEOUT_S = 10.0
WORKERS = 8
USER_AGENT = "Apparatus-links/1 (checks that a cited record still answers)"
FIELDS = ("url", "archive_url")


@dataclasses.dataclass(frozen=True)
class Answer:
    url: str
    ok: bool
    status: str  # "200 OK", "404 Not Found", "timed out after 10 s", "unreachable (…)"


def probe(url: str, timeout: float = TIMEOUT_S) -> Answer:
    """One address asked: HEAD first, GET if the server refuses HEAD (405, 501, or 403 as some do)."""
    answer = _request(url, "HEAD", timeout)
    if not answer.ok and answer.status.split(" ", 1)[0] in ("403", "405", "501"):
        answer = _request(url, "GET", timeout)
    return answer


def _request(url: str, method: str, timeout: float) -> Answer:
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the body is never read
            return Answer(url, True, f"{response.status} {response.reason}")
    except urllib.error.HTTPError as exc:
        exc.close()
        return Answer(url, False, f"{exc.code} {exc.reason}")
    except TimeoutError:
        return Answer(url, False, f"timed out after {timeout:g} s")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return Answer(url, False, f"timed out after {timeout:g} s")
        return Answer(url, False, f"unreachable ({exc.reason})")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Answer(url, False, f"unreachable ({type(exc).__name__}: {exc})")


def check_links(root: Path, timeout: float = TIMEOUT_S) -> tuple[int, list[Diagnostic]]:
    """(addresses asked, diagnostics): the registry's errors, if any (then nothing is asked), else a warning
    at each url or archive_url that did not answer with success."""
    rel = f"annotations/{REGISTRY}"
    records, diags = load_registry(root, rel)
    if any(d.is_error for d in diags) or not records:
        return 0, diags
    src, _ = read_source(root, rel)
    assert src is not None  # load_registry read it
    raw, doc, _ = load_yaml(src)
    assert doc is not None and isinstance(raw, dict)
    index = {item["id"]: i for i, item in enumerate(raw["records"]) if isinstance(item, dict) and "id" in item}
    asked: list[tuple[str, tuple[str, ...], str]] = [
        (rid, (field,), getattr(r, field)) for rid, r in records.items() for field in FIELDS if getattr(r, field)]
    asked += [(rid, ("versions", tag), url) for rid, r in records.items() for tag, url in r.versions]
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(pool.map(lambda job: probe(job[2], timeout), asked))
    for (rid, path, _url), answer in zip(asked, answers, strict=True):
        if not answer.ok:
            what = path[0] if len(path) == 1 else f"the {path[1]} version"
            diags.append(doc.at(("records", index[rid], *path), f"record '{rid}': {what} answered {answer.status}"
                                if answer.status[:1].isdigit() else f"record '{rid}': {what} {answer.status}",
                                _HINTS[path[0]], severity="warning"))
    return len(asked), diags


_HINTS = {
    "url": "open it in a browser: if the record has moved, update url: and accessed:; if it is gone, keep the "
           "url and make sure the record has an archive_url",
    "archive_url": "open it in a browser: if the archive no longer serves the copy, find another capture of the url",
    "versions": "open it in a browser: if that language's version has moved, update its address and accessed:; if "
                "it is gone, remove it from versions:",
}
