"""404.html in a real browser, served as GitHub Pages serves it: for any unknown address, at any depth,
under the site's path prefix. Its style, script and links work from there, and axe finds no violation."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, TINY, copy_site, run

pytestmark = pytest.mark.browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "repo/"  # a project site: https://user.github.io/repo/


class _Pages(http.server.SimpleHTTPRequestHandler):
    """Files as they are; any unknown address gets the site's 404.html with status 404."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / PREFIX / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny site built for http://127.0.0.1:<port>/repo/ and served there: the site's address."""
    www = tmp_path_factory.mktemp("www")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Pages, directory=str(www)))
    base = f"http://127.0.0.1:{server.server_address[1]}/{PREFIX}"
    root = copy_site(TINY, tmp_path_factory.mktemp("tiny") / "tiny")
    site_yaml = root / "site.yaml"
    site_yaml.write_text("".join(line for line in site_yaml.read_text().splitlines(keepends=True)
                                 if not line.startswith("base_url:")) + f"base_url: {base}\n")
    result = run(root, "build")
    assert result.code == 0, result.err
    shutil.copytree(root / "_site", www / PREFIX)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()
    server.server_close()


def test_a_deep_unknown_address_shows_the_styled_404_page(browser, pages: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and r.request.resource_type != "document"
            else None)
    response = page.goto(pages + "articles/x/y/z")
    assert response is not None and response.status == 404
    assert page.title().startswith("Page not found")
    # the site's style sheet applied: its background and its header
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 253, 248)"
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "flex"
    page.focus("#site_search_q")  # the header's search box loads its script from the site
    page.wait_for_function("window.ApparatusSearch !== undefined")
    assert failed == []
    page.click("text=The articles")
    assert page.url == pages
    assert page.locator("h1").inner_text() == "Tiny collection"
    page.go_back()
    page.fill("#site_search_q", "minister")
    page.keyboard.press("Enter")
    page.wait_for_url(pages + "search/?q=minister")
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_axe_finds_no_violation_on_the_404_page(browser, pages: str, width: int, scheme: str) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(pages + "no/such/page/")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 1280:
        page.screenshot(path=str(REPO / "test-artifacts" / f"404-{scheme}.png"))
    page.close()
    assert [(v["id"], v["help"]) for v in result["violations"]] == []
