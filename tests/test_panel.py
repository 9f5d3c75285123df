"""The preview's select-to-annotate endpoints: the snippet, record completion and the append, and every refusal
(no token, a wrong one, another origin, an unknown slug, a client or a server off loopback, a body too large or
not JSON) with nothing written."""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from apparatus.panel import MAX_BODY, Panel
from apparatus.serve import start, stop
from apparatus.server import PreviewServer

SELECTION = {"slug": "alpha", "quote": "The vote was 266 to 0", "kind": "context", "note": "The first vote.",
             "before": "He said the council's work mattered. ", "after": ". The vote was 266 to 0 again.",
             "records": ["ca-vote"]}


@pytest.fixture
def server(tiny: Path) -> Iterator[PreviewServer]:
    s, w = start(tiny, port=0, jobs=1)
    yield s
    stop(s, w)


def signed_in(server: PreviewServer) -> dict[str, str]:
    """The headers of the editor's browser: it opened the address build.py serve printed (the token in its query),
    kept the cookie it got, and sends the token of the page it was then served."""
    address = urllib.parse.urlsplit(server.panel_url)
    status, headers, body = call(server, "GET", f"{address.path}?{address.query}")
    assert (status, headers["Location"], body) == (303, "/", b""), "the same address, without the token"
    cookie, *attributes = headers["Set-Cookie"].split("; ")
    assert attributes == ["Path=/", "HttpOnly", "SameSite=Strict"], "a session cookie: no Max-Age, no Expires"
    assert cookie == f"apparatus-session-{server.server_address[1]}={server.panel.session}"  # type: ignore[union-attr]
    page = call(server, "GET", "/articles/alpha/", headers={"Cookie": cookie})[2]
    found = re.search(rb'<script src="/__apparatus/annotate.js" data-token="([A-Za-z0-9_-]+)" data-slug="alpha" '
                      rb"defer></script>", page)
    assert found, "the article page carries the panel's script, its token and the article's slug"
    return {"Cookie": cookie, "X-Apparatus-Token": found.group(1).decode()}


def token_of(server: PreviewServer) -> str:
    return signed_in(server)["X-Apparatus-Token"]


def call(server: PreviewServer, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def post(server: PreviewServer, path: str, data: object, **extra: str) -> tuple[int, object]:
    headers = {"Content-Type": "application/json", **signed_in(server), **extra}
    headers = {k: v for k, v in headers.items() if v != "-"}  # "-": leave the header out
    status, h, body = call(server, "POST", path, json.dumps(data).encode(), headers)
    assert h["Content-Type"] == "application/json" and h["Cache-Control"] == "no-store"
    return status, json.loads(body)


def test_the_snippet_for_a_repeated_phrase_names_the_occurrence_selected(server: PreviewServer) -> None:
    status, data = post(server, "/__apparatus/annotate/snippet", SELECTION)
    assert status == 200
    assert data == {"slug": "alpha", "kind": "context", "id": "vote-266-0", "quote": "The vote was 266 to 0",
                    "prefix": "", "suffix": ".", "yaml": (
                        '- id: "vote-266-0"\n  type: "context"\n  quote: "The vote was 266 to 0"\n'
                        '  suffix: "."\n  note: "The first vote."\n  records: ["ca-vote"]\n')}


def test_records_complete_by_id_symbol_or_title(server: PreviewServer) -> None:
    browser = signed_in(server)
    for words, ids in (("hrc46", ["hrc46-speech"]), ("A/HRC/46", ["hrc46-speech"]), ("journals", ["ca-vote"]),
                       ("", []), ("nothing-like-it", [])):
        status, _, body = call(server, "GET", "/__apparatus/annotate/records?q=" + words,
                               headers=browser)
        assert status == 200 and [h["id"] for h in json.loads(body)] == ids, words
    assert json.loads(call(server, "GET", "/__apparatus/annotate/records?q=ca-vote",
                           headers=browser)[2]) == [
        {"id": "ca-vote", "symbol": "", "title": "Journals No. 63", "date": "2021-02-22"}]
    assert call(server, "GET", "/__apparatus/annotate/records?q=hrc46")[0] == 403  # no cookie, no token
    assert call(server, "GET", "/__apparatus/annotate/records?q=hrc46", headers={"Cookie": browser["Cookie"]})[0] == 403


def test_append_adds_the_block_and_nothing_else(server: PreviewServer, tiny: Path) -> None:
    path = tiny / "annotations" / "alpha.yaml"
    old = path.read_bytes()
    status, data = post(server, "/__apparatus/annotate/append", SELECTION)
    assert (status, data) == (200, {"ok": True, "id": "vote-266-0", "file": "annotations/alpha.yaml"})
    assert path.read_bytes() == old + (
        b'  - id: "vote-266-0"\n    type: "context"\n    quote: "The vote was 266 to 0"\n    suffix: "."\n'
        b'    note: "The first vote."\n    records: ["ca-vote"]\n')
    status, data = post(server, "/__apparatus/annotate/append", {**SELECTION, "id": "vote-266-0"})
    assert status == 422 and data["error"] == "the id 'vote-266-0' is already used in annotations/alpha.yaml (note 9)"


def refused(server: PreviewServer, tiny: Path, expected: tuple[int, str], path: str = "/__apparatus/annotate/append",
            data: object = SELECTION, **headers: str) -> None:
    before = {p.name: p.read_bytes() for p in (tiny / "annotations").iterdir()}
    status, reply = post(server, path, data, **headers)
    assert isinstance(reply, dict) and (status, reply["error"]) == expected
    assert {p.name: p.read_bytes() for p in (tiny / "annotations").iterdir()} == before, "nothing written"


def test_a_registry_that_cannot_be_read_is_the_panels_answer(server: PreviewServer, tiny: Path) -> None:
    registry = tiny / "annotations" / "_records.yaml"
    registry.write_text(registry.read_text().replace("records:\n", "records: [\n", 1))
    problem = "annotations/_records.yaml:2:3: YAML syntax error: did not find expected node content"
    status, data = post(server, "/__apparatus/annotate/snippet", SELECTION)
    assert isinstance(data, dict) and status == 422 and data["error"].startswith(problem), data
    status, _, body = call(server, "GET", "/__apparatus/annotate/records?q=vote",
                           headers=signed_in(server))
    assert status == 422 and json.loads(body)["error"].startswith(problem)
    refused(server, tiny, (422, json.loads(body)["error"]))


def test_a_post_without_the_token_or_with_another_is_refused(server: PreviewServer, tiny: Path) -> None:
    for token in ("-", "", "x" * 43, token_of(server)[:-1] + "é"):
        refused(server, tiny, (403, "the request lacks this preview session's token"), **{"X-Apparatus-Token": token})


def test_a_post_from_another_origin_is_refused(server: PreviewServer, tiny: Path) -> None:
    port = server.server_address[1]
    for origin in ("https://evil.example", f"http://evil.example:{port}", "null", f"http://localhost:{port}"):
        refused(server, tiny, (403, "the request comes from another site"), Origin=origin)
    assert post(server, "/__apparatus/annotate/snippet", SELECTION, Origin=f"http://127.0.0.1:{port}")[0] == 200
    status, headers, _ = call(server, "OPTIONS", "/__apparatus/annotate/append",  # a cross-site JSON POST's
                              headers={"Origin": "https://evil.example",     # preflight: never granted
                                       "Access-Control-Request-Method": "POST"})
    assert status == 501 and not [h for h in headers if h.lower().startswith("access-control-")]


def test_a_post_for_an_unknown_article_is_refused(server: PreviewServer, tiny: Path) -> None:
    for slug in ("beta", "../alpha", "alpha.yaml", "_records", "", "ALPHA"):
        refused(server, tiny, (404, "no such article in the collection"), data={**SELECTION, "slug": slug})


def test_a_post_that_is_not_the_panels_json_is_refused(server: PreviewServer, tiny: Path) -> None:
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "-"):
        refused(server, tiny, (415, "the request must be JSON (Content-Type: application/json)"),
                **{"Content-Type": ctype})
    refused(server, tiny, (400, "the request is not what the panel sends: unknown field 'path'"),
            data={**SELECTION, "path": "/etc/passwd"})
    refused(server, tiny, (400, "the request is not what the panel sends: 'records' must be a list"),
            data={**SELECTION, "records": "ca-vote"})
    refused(server, tiny, (404, "no such annotate endpoint"), path="/__apparatus/annotate/write")


def test_json_nested_too_deep_is_refused(server: PreviewServer, tiny: Path) -> None:
    deep = b"[" * 32_000 + b"]" * 32_000  # within MAX_BODY; Python's decoder recurses once per level
    assert len(deep) <= MAX_BODY
    before = (tiny / "annotations" / "alpha.yaml").read_bytes()
    status, _, body = call(server, "POST", "/__apparatus/annotate/append", deep,
                           {"Content-Type": "application/json", **signed_in(server)})
    assert (status, json.loads(body)["error"]) == (400, "the request is not what the panel sends: JSON nested too deep")
    assert (tiny / "annotations" / "alpha.yaml").read_bytes() == before


def test_a_body_too_large_or_without_a_length_is_refused_unread(server: PreviewServer, tiny: Path) -> None:
    before = (tiny / "annotations" / "alpha.yaml").read_bytes()
    address, port = server.server_address[:2]
    for length, status in ((str(MAX_BODY + 1), 413), ("10000000000", 413), (None, 411), ("²", 400), ("-1", 400),
                           ("1e3", 400), ("0x10", 400)):  # '²' passes str.isdigit(), and int() refuses it
        conn = http.client.HTTPConnection(str(address), port, timeout=10)
        conn.putrequest("POST", "/__apparatus/annotate/append")
        conn.putheader("Content-Type", "application/json")
        for name, value in signed_in(server).items():
            conn.putheader(name, value)
        if length is not None:
            conn.putheader("Content-Length", length)
        conn.endheaders()  # the body is never sent: the refusal comes without it
        assert conn.getresponse().status == status, length
    assert (tiny / "annotations" / "alpha.yaml").read_bytes() == before


def test_bound_to_every_interface_the_endpoints_are_off(tiny: Path) -> None:
    s, w = start(tiny, host="0.0.0.0", port=0, jobs=1)  # noqa: S104 - the case under test
    try:
        status, _, page = call(s, "GET", "/articles/alpha/")
        assert status == 200 and b"annotate.js" not in page and b"data-token" not in page
        assert call(s, "GET", "/__apparatus/annotate.js")[0] == 404
        assert s.panel is not None
        status, _, body = call(s, "POST", "/__apparatus/annotate/append", json.dumps(SELECTION).encode(),
                               {"Content-Type": "application/json", "X-Apparatus-Token": s.panel.token})
        assert (status, json.loads(body)["error"]) == (
            403, "the annotate endpoints answer only this machine, on a preview bound to loopback")
    finally:
        stop(s, w)
    assert b"vote-266-0" not in (tiny / "annotations" / "alpha.yaml").read_bytes()


def test_only_loopback_clients_are_served(tiny: Path) -> None:
    panel, direct = Panel(tiny, "127.0.0.1"), Message()
    assert [a for a in ("127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1") if not panel.serves((a, 5), direct)] == []
    assert [a for a in ("192.168.1.7", "10.0.0.2", "::ffff:10.0.0.2", "fe80::1", "", "x")
            if panel.serves((a, 5), direct)] == []
    assert not Panel(tiny, "0.0.0.0").serves(("127.0.0.1", 5), direct)  # noqa: S104
    assert not Panel(tiny, "::").serves(("::1", 5), direct)
    assert Panel(tiny, "::1").serves(("::1", 5), direct)
    other = Panel(tiny, "127.0.0.1")
    assert len({panel.url_token, panel.session, panel.token, other.url_token, other.session, other.token}) == 6, \
        "three secrets, each made anew for each session"


def test_the_script_is_served_with_the_pages_and_never_built(server: PreviewServer, tiny: Path) -> None:
    cookie = {"Cookie": signed_in(server)["Cookie"]}
    status, headers, script = call(server, "GET", "/__apparatus/annotate.js", headers=cookie)
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"X-Apparatus-Token" in script
    home = call(server, "GET", "/", headers=cookie)[2]
    assert b'<script src="/__apparatus/annotate.js" data-token="' in home and b"data-slug" not in home


def test_a_page_fetched_without_the_cookie_has_no_panel(server: PreviewServer) -> None:
    """Any program of this machine (another user's, or a tunnel's visitor) gets the pages and live reload, never the
    page's token: the cookie is given only for the address with the token."""
    port = server.server_address[1]
    for cookie in (None, "", f"apparatus-session-{port}=", f"apparatus-session-{port}=x",
                   f"apparatus-session-{port + 1}={server.panel.session}",  # type: ignore[union-attr]
                   f"other={server.panel.session}"):  # type: ignore[union-attr]
        headers = {} if cookie is None else {"Cookie": cookie}
        status, _, page = call(server, "GET", "/articles/alpha/", headers=headers)
        assert status == 200 and b'<script src="/__apparatus/live.js" defer></script>\n</body>' in page, cookie
        assert b"annotate.js" not in page and b"data-token" not in page, cookie
        assert call(server, "GET", "/__apparatus/annotate.js", headers=headers)[0] == 404
    assert call(server, "GET", "/__apparatus/live.js")[0] == 200


def test_a_wrong_token_in_the_address_sets_no_cookie(server: PreviewServer) -> None:
    right = server.panel.url_token  # type: ignore[union-attr]
    for query in ("apparatus-token=", "apparatus-token=x", f"apparatus-token={right[:-1]}",
                  f"apparatus-token={server.panel.session}", f"apparatus-token={server.panel.token}",  # type: ignore[union-attr]
                  f"Apparatus-Token={right}", f"token={right}"):
        status, headers, page = call(server, "GET", "/articles/alpha/?" + query)
        assert status == 200 and "Set-Cookie" not in headers and b"data-token" not in page, query


def test_the_token_address_keeps_the_page_and_its_other_parameters(server: PreviewServer) -> None:
    token = server.panel.url_token  # type: ignore[union-attr]
    for target, location in ((f"/articles/alpha/?q=vote&apparatus-token={token}", "/articles/alpha/?q=vote"),
                             (f"//evil.example/?apparatus-token={token}", "/evil.example/"),  # never elsewhere
                             (f"/a%20b/<x>\"?apparatus-token={token}", "/a%20b/%3Cx%3E%22")):
        status, headers, _ = call(server, "GET", target)
        assert (status, headers["Location"]) == (303, location) and headers["Set-Cookie"].startswith(
            "apparatus-session-"), target
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_endpoints_refuse_the_pages_token_without_the_cookie(server: PreviewServer, tiny: Path) -> None:
    browser = signed_in(server)
    name = browser["Cookie"].split("=")[0]
    for cookie in ("-", "", browser["Cookie"] + "x", f"{name}={browser['X-Apparatus-Token']}", f"{name}=\u00e9"):
        refused(server, tiny, (403, "this browser has not opened the preview's address with its token"),
                Cookie=cookie)
    status, _, body = call(server, "GET", "/__apparatus/annotate/records?q=vote",
                           headers={"X-Apparatus-Token": browser["X-Apparatus-Token"]})
    assert (status, json.loads(body)["error"]) == (403, "this browser has not opened the preview's address with its "
                                                        "token")


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "x-forwarded-for"])
def test_a_request_through_a_proxy_or_tunnel_gets_no_panel(server: PreviewServer, tiny: Path, header: str) -> None:
    """ngrok, cloudflared and the like connect from 127.0.0.1 and say whom for: such a request is not this machine's
    user, whatever cookie or token it carries."""
    browser = signed_in(server)
    value = "for=203.0.113.7" if header == "Forwarded" else "203.0.113.7"
    page = call(server, "GET", "/articles/alpha/", headers={**browser, header: value})[2]
    assert b"data-token" not in page and b"live.js" in page
    status, headers, _ = call(server, "GET", server.panel_url.removeprefix(server.url.rstrip("/")),
                              headers={header: value})
    assert status == 200 and "Set-Cookie" not in headers, "the token's address signs no one in through a proxy"
    refused(server, tiny, (403, "the annotate endpoints do not answer through a proxy or tunnel"), **{header: value})


def test_a_bug_in_a_request_is_a_json_error_and_one_line(server: PreviewServer, tiny: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from apparatus import annotate

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug\n::error::x")
    monkeypatch.setattr(annotate, "snippet", broken)
    capsys.readouterr()
    refused(server, tiny, (500, "the preview failed: ValueError: a bug\n::error::x"))
    assert capsys.readouterr().err == (
        "build.py serve: error: the annotate request failed: ValueError: a bug\\n::error::x\n")
    assert post(server, "/__apparatus/annotate/records?q=x", {})[0] == 404, "records are a GET"



def test_the_articles_are_walked_again_when_content_changes(tiny: Path) -> None:
    import os
    panel = Panel(tiny, "127.0.0.1")
    os.utime(tiny / "content", ns=(10**18, 10**18))  # long ago: the walk is kept
    assert panel.slugs() == {"alpha"}
    (tiny / "content" / "beta.md").write_text("---\n---\n")
    assert panel.slugs() == {"alpha", "beta"}, "an article added (content/ changed) is seen"


@pytest.mark.parametrize("options", [(), ("--no-panel",)])
def test_serve_prints_and_opens_the_address_with_the_token(tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                                           options: tuple[str, ...]) -> None:
    """The terminal line and --open give the address that signs the browser in; with --no-panel, the plain address,
    and the panel is off (no token anywhere, the endpoints answer 404)."""
    import signal
    import time
    import types

    from conftest import run

    from apparatus import serve as serving

    started: list[tuple[PreviewServer, object]] = []
    opened: list[str] = []
    real_start = serving.start

    def start(*args: object, **kwargs: object) -> tuple[PreviewServer, object]:
        started.append(real_start(*args, **kwargs))  # type: ignore[arg-type]
        return started[-1]

    def asleep(seconds: float) -> None:  # the server is up: check it, then Ctrl-C
        server = started[0][0]
        status, _, body = call(server, "GET", "/__apparatus/annotate/records?q=vote")
        assert (status, json.loads(body)["error"]) == ((403, "this browser has not opened the preview's address "
                                                             "with its token") if not options else
                                                       (404, "select to annotate is off in this server"))
        raise KeyboardInterrupt

    monkeypatch.setattr(serving, "start", start)
    monkeypatch.setattr(serving, "time", types.SimpleNamespace(sleep=asleep, perf_counter=time.perf_counter))
    monkeypatch.setattr(serving.webbrowser, "open", opened.append)
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        result = run(tiny, "serve", "--port", "0", "--open", *options)
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    server = started[0][0]
    port = server.server_address[1]
    address = (f"http://127.0.0.1:{port}/?apparatus-token={server.panel.url_token}" if server.panel is not None
               else f"http://127.0.0.1:{port}/")
    assert (server.panel is None) == bool(options)
    assert result.code == 0 and opened == [address] == [server.panel_url]
    assert f"serving {tiny.resolve()} at {address} — edits show up in the browser; Ctrl-C stops\n" in result.err
