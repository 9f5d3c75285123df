"""The preview's select-to-annotate endpoints: the snippet for a selected quote, record completion, and the
"Add to annotations/<slug>.yaml" button (``build.py serve`` only; a built site never holds any of this).

The panel's script (annotate.js) is injected beside live.js into the HTML the preview serves, and calls:

- ``GET /__apparatus/annotate/records?q=words``: records matching the words (:func:`annotate.find_records`);
- ``POST /__apparatus/annotate/snippet``: the snippet for a selection (:func:`annotate.snippet`), as JSON;
- ``POST /__apparatus/annotate/append``: the same, appended to the article's annotation file
  (:func:`apparatus.append.append_note`), which the watcher then rebuilds as any save.

The last one writes a source file, so every request must come from the editor's own browser tab. Being on
loopback is not enough (another user of the machine, or anyone reaching the preview through a tunnel such as
ngrok, cloudflared or an editor's port forwarding, connects from 127.0.0.1), so the browser signs in as with
Jupyter:

- the endpoints (and the script) exist only while the server is bound to a loopback address, and answer only
  clients on loopback whose request names no proxy (:data:`FORWARDED` headers): bound to every interface
  (``--host 0.0.0.0``), or with ``--no-panel``, they are off;
- ``build.py serve`` prints (and ``--open`` opens) the preview's address with a random token,
  ``/?apparatus-token=…`` (:attr:`Panel.url_token`). A GET carrying it gets a cookie (:attr:`Panel.cookie`:
  HttpOnly, SameSite=Strict, for the browser's session) holding another random value, the session secret, and
  is sent to the same address without the token. Only a request with that cookie gets the panel's script in
  its pages; without it the preview serves its pages and live reload as ever, with no panel;
- each request to the endpoints carries the cookie and the page's token (:data:`TOKEN_HEADER`), a third random
  value given only in the pages served with the cookie (a ``data-token`` attribute of the script tag); both are
  compared in constant time. Another site's page cannot read the token: the preview answers only its own
  ``Host`` names (DNS rebinding), and the browser keeps other origins from reading its pages;
- a POST whose ``Origin`` header is present must name the preview itself, and its body must be
  ``application/json`` (a cross-site form cannot send that type without a preflight, which the preview never
  grants), with a ``Content-Length`` of at most :data:`MAX_BODY` bytes;
- the slug must be one of the collection's articles (it is compared with the names of content/*.md before it
  is used in any path).

A refusal is JSON ``{"error", "hint"}`` with a 4xx status, and nothing is written.
"""

from __future__ import annotations

import dataclasses
import hmac
import html
import ipaddress
import json
import os
import secrets
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable
from email.message import Message
from pathlib import Path
from typing import Any

from . import annotate, sources
from .append import append_note
from .errors import printable

SCRIPT_PATH = "/__apparatus/annotate.js"
SCRIPT = (Path(__file__).parent / "annotate.js").read_bytes()
PREFIX = "/__apparatus/annotate/"
TOKEN_HEADER = "X-Apparatus-Token"
URL_TOKEN = "apparatus-token"  # the query parameter of the address build.py serve prints
# headers a proxy or tunnel adds: the request comes from elsewhere, whatever address it connects from
FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "CF-Connecting-IP", "True-Client-IP")
MAX_BODY = 64 * 1024  # bytes of a request: a selection, its context and a note are a few KB
MAX_QUERY = 200  # characters of a record search
MAX_RECORDS = 50  # record ids in one note
RECORD_HITS = 20
RACY = 2_000_000_000  # ns: a folder changed more recently than this is walked again at the next request
FIELDS = {"slug": str, "quote": str, "kind": str, "note": str, "correction": str, "id": str, "before": str,
          "after": str, "records": list}


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    body: object

    @property
    def data(self) -> bytes:
        return json.dumps(self.body, sort_keys=True).encode()  # ASCII: every control character escaped


def refusal(status: int, error: str, hint: str = "") -> Reply:
    return Reply(status, {"error": error, "hint": hint})


def loopback(address: str) -> bool:
    """Whether an IP address (v4, v6 or v4-mapped v6) is a loopback address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


class Panel:
    """The endpoints for one preview session: its collection, its secrets, and whether they are on."""

    def __init__(self, root: Path, bound_to: str, port: int = 0):
        self.root = root
        self.on = loopback(bound_to)
        self.url_token = secrets.token_urlsafe(32)  # in the address build.py serve prints: signs a browser in
        self.session = secrets.token_urlsafe(32)  # the signed-in browser's cookie
        self.token = secrets.token_urlsafe(32)  # in the pages a signed-in browser gets; sent back in TOKEN_HEADER
        self.cookie = f"apparatus-session-{port}"  # a browser sends a host's cookies to all its ports: one name each
        self._slugs: tuple[int, frozenset[str]] | None = None  # (content/'s mtime, its articles)

    def serves(self, client_address: object, headers: Message) -> bool:
        """Whether the endpoints may answer this client at all: a loopback client of a loopback server, through
        no proxy."""
        return (self.on and isinstance(client_address, tuple) and loopback(str(client_address[0]))
                and not forwarded(headers))

    def signed_in(self, client_address: object, headers: Message) -> bool:
        """Whether this request comes from a browser that opened the token's address (and the pages it gets carry
        the script)."""
        return self.serves(client_address, headers) and _matches(self._cookies(headers), self.session)

    def sign_in(self, client_address: object, headers: Message, target: str) -> tuple[str, str] | None:
        """For a GET of the token's address: where to send the browser (the same address without the token) and
        the cookie to set; None when the target carries no token, a wrong one, or the client is not served."""
        split = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        given = [v for k, v in query if k == URL_TOKEN]
        if not given or not self.serves(client_address, headers) or not _matches(given, self.url_token):
            return None
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k != URL_TOKEN])
        location = urllib.parse.quote("/" + split.path.lstrip("/"), safe="/%!$&'()*+,;=:@-._~") + (
            "?" + rest if rest else "")
        return location, f"{self.cookie}={self.session}; Path=/; HttpOnly; SameSite=Strict"

    def _cookies(self, headers: Message) -> list[str]:
        """The values of this session's cookie in the request (the Cookie header split by hand: it is short, and
        http.cookies' parser has been slow on hostile headers)."""
        return [value for header in headers.get_all("Cookie") or () for name, _, value in
                (part.strip().partition("=") for part in header.split(";")) if name == self.cookie]

    def script_tag(self, page: str) -> bytes:
        """The panel's script tag for an HTML page the build made (the article's slug on an article page: the
        build makes articles/<slug>/index.html for its articles only; each request checks the slug again)."""
        parts = page.split("/")
        is_article = len(parts) == 3 and parts[0] == "articles" and parts[2] == "index.html"
        slug = f' data-slug="{html.escape(parts[1])}"' if is_article else ""
        return f'<script src="{SCRIPT_PATH}" data-token="{self.token}"{slug} defer></script>'.encode()

    def slugs(self) -> frozenset[str]:
        """The collection's articles: the names of content/*.md, walked as the build does, again only when the
        folder changed (docs/performance.md, "Figures behind the code")."""
        try:
            stamp = os.stat(self.root / "content").st_mtime_ns
        except OSError:
            return frozenset()
        known = self._slugs
        if known is None or known[0] != stamp:
            files, _ = sources.walk(self.root, "content")
            known = (stamp, frozenset(f[len("content/"):-len(".md")] for f in files
                                      if f.endswith(".md") and f.count("/") == 1))
            if time.time_ns() - stamp > RACY:  # a change in the same clock tick as the walk would not show
                self._slugs = known
        return known[1]

    # -- requests -------------------------------------------------------------------------------------------
    def get(self, client: object, target: str, headers: Message) -> Reply:
        split = urllib.parse.urlsplit(target)
        refused = self._guard(client, headers)
        if refused is not None:
            return refused
        if split.path != PREFIX + "records":
            return refusal(404, "no such annotate endpoint")
        words = urllib.parse.parse_qs(split.query).get("q", [""])[0][:MAX_QUERY]
        try:
            hits = annotate.find_records(self.root, words, RECORD_HITS)
        except annotate.Refused as exc:
            return refusal(422, exc.message, exc.hint)
        return Reply(200, [dataclasses.asdict(h) for h in hits])

    def post(self, client: object, path: str, headers: Message, read: Callable[[int], bytes]) -> Reply:
        """A POST: its body is read (at most MAX_BODY bytes) before it is judged, so that the reply reaches the
        client whole."""
        length = headers.get("Content-Length")
        if length is None:
            return refusal(411, "a Content-Length is required")
        length = length.strip()
        if not (length.isascii() and length.isdigit()):  # str.isdigit() alone takes '²', which int() refuses
            return refusal(400, "the Content-Length is not a number of bytes")
        if int(length) > MAX_BODY:
            return refusal(413, f"the request is larger than {MAX_BODY:,} bytes", "shorten the note or the selection")
        body = read(int(length))
        refused = self._guard(client, headers)
        if refused is not None:
            return refused
        origin = headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{headers.get('Host', '')}".lower():
            return refusal(403, "the request comes from another site", "use the panel of the preview's own pages")
        if headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            return refusal(415, "the request must be JSON (Content-Type: application/json)")
        if path not in (PREFIX + "snippet", PREFIX + "append"):
            return refusal(404, "no such annotate endpoint")
        try:
            fields = _fields(json.loads(body))
        except (ValueError, UnicodeDecodeError) as exc:
            return refusal(400, f"the request is not what the panel sends: {exc}")
        except RecursionError:  # arrays nested thousands deep: the decoder recurses once per level
            return refusal(400, "the request is not what the panel sends: JSON nested too deep")
        if fields["slug"] not in self.slugs():
            return refusal(404, "no such article in the collection", "annotate an article page of this preview")
        try:
            snip = annotate.snippet(self.root, fields["slug"], fields["quote"], kind=fields["kind"] or "context",
                                    note=fields["note"], correction=fields["correction"], records=fields["records"],
                                    id=fields["id"] or None, context_before=fields["before"],
                                    context_after=fields["after"])
            if path == PREFIX + "snippet":
                return Reply(200, dataclasses.asdict(snip))
            append_note(self.root, snip.slug, snip.yaml)
        except annotate.Refused as exc:
            return refusal(422, exc.message, exc.hint)
        rel = f"annotations/{snip.slug}.yaml"
        print(f"build.py serve: added the note '{printable(snip.id)}' to {rel}", file=sys.stderr)
        return Reply(200, {"ok": True, "id": snip.id, "file": rel})

    def _guard(self, client: object, headers: Message) -> Reply | None:
        """The checks every request passes: a loopback client of a loopback server through no proxy, the cookie of
        a browser signed in, and the session's token."""
        if forwarded(headers):
            return refusal(403, "the annotate endpoints do not answer through a proxy or tunnel",
                           "open the preview on this machine itself")
        if not self.serves(client, headers):
            return refusal(403, "the annotate endpoints answer only this machine, on a preview bound to loopback",
                           "run build.py serve without --host (it binds 127.0.0.1)")
        if not _matches(self._cookies(headers), self.session):
            return refusal(403, "this browser has not opened the preview's address with its token",
                           f"open the address build.py serve printed (it ends with ?{URL_TOKEN}=…), then this "
                           "page again")
        if not _matches(headers.get_all(TOKEN_HEADER) or (), self.token):
            return refusal(403, "the request lacks this preview session's token",
                           "reload the page: the token changes each time build.py serve starts")
        return None


def forwarded(headers: Message) -> bool:
    """Whether a proxy or tunnel passed the request on (its client is then not this machine's user)."""
    return any(headers.get(name) is not None for name in FORWARDED)


def _matches(given: Iterable[str], secret: str) -> bool:
    """Whether one of the values given is the secret (each compared in constant time)."""
    return any(hmac.compare_digest(v.encode("utf-8", "replace"), secret.encode()) for v in given)


def _fields(data: Any) -> dict[str, Any]:
    """The request's fields, each of the type the panel sends (absent ones empty); ValueError otherwise."""
    if not isinstance(data, dict):
        raise ValueError("a JSON object is expected")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field '{unknown[0]}'")
    out: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        value = data.get(name, kind())
        if not isinstance(value, kind):
            raise ValueError(f"'{name}' must be {'a list' if kind is list else 'text'}")
        out[name] = value
    if len(out["records"]) > MAX_RECORDS or not all(isinstance(r, str) for r in out["records"]):
        raise ValueError(f"'records' must be a list of at most {MAX_RECORDS} record ids")
    return out
