"""The preview's select-to-annotate endpoints: the snippet, record completion and the append, and every refusal
(no token, a wrong one, another origin, an unknown slug, a client or a server off loopback, a body too large or
not JSON) with nothing written."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
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


def token_of(server: PreviewServer) -> str:
    page = call(server, "GET", "/articles/alpha/", headers={})[2]
    found = re.search(rb'<script src="/__apparatus/annotate.js" data-token="([A-Za-z0-9_-]+)" data-slug="alpha" '
                      rb"defer></script>", page)
    assert found, "the article page carries the panel's script, its token and the article's slug"
    return found.group(1).decode()


def call(server: PreviewServer, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def post(server: PreviewServer, path: str, data: object, **extra: str) -> tuple[int, object]:
    headers = {"Content-Type": "application/json", "X-Apparatus-Token": token_of(server), **extra}
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
    token = token_of(server)
    for words, ids in (("hrc46", ["hrc46-speech"]), ("A/HRC/46", ["hrc46-speech"]), ("journals", ["ca-vote"]),
                       ("", []), ("nothing-like-it", [])):
        status, _, body = call(server, "GET", "/__apparatus/annotate/records?q=" + words,
                               headers={"X-Apparatus-Token": token})
        assert status == 200 and [h["id"] for h in json.loads(body)] == ids, words
    assert json.loads(call(server, "GET", "/__apparatus/annotate/records?q=ca-vote",
                           headers={"X-Apparatus-Token": token})[2]) == [
        {"id": "ca-vote", "symbol": "", "title": "Journals No. 63", "date": "2021-02-22"}]
    assert call(server, "GET", "/__apparatus/annotate/records?q=hrc46")[0] == 403  # no token


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
                           headers={"X-Apparatus-Token": token_of(server)})
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
                           {"Content-Type": "application/json", "X-Apparatus-Token": token_of(server)})
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
        conn.putheader("X-Apparatus-Token", token_of(server))
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
    panel = Panel(tiny, "127.0.0.1")
    assert [a for a in ("127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1") if not panel.serves((a, 5))] == []
    assert [a for a in ("192.168.1.7", "10.0.0.2", "::ffff:10.0.0.2", "fe80::1", "", "x") if panel.serves((a, 5))] == []
    assert not Panel(tiny, "0.0.0.0").serves(("127.0.0.1", 5)) and not Panel(tiny, "::").serves(("::1", 5))  # noqa: S104
    assert Panel(tiny, "::1").serves(("::1", 5))
    assert Panel(tiny, "127.0.0.1").token != panel.token, "a token per session"


def test_the_script_is_served_with_the_pages_and_never_built(server: PreviewServer, tiny: Path) -> None:
    status, headers, script = call(server, "GET", "/__apparatus/annotate.js")
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"X-Apparatus-Token" in script
    home = call(server, "GET", "/")[2]
    assert b'<script src="/__apparatus/annotate.js" data-token="' in home and b"data-slug" not in home


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
