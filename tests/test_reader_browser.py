"""What a reader sees, in a real browser: notes readable and linked both ways without JavaScript."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
ARTICLE = "articles/le-drian-hrc46-xinjiang-2021/"


@pytest.fixture(scope="module")
def site(served_collection: str) -> str:
    return served_collection


def test_without_javascript_every_note_is_reachable_both_ways(browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site + ARTICLE)
    refs = page.locator("sup.nref a")
    assert refs.count() == page.locator("section.notes li.note").count() >= 10
    # follow the first correction's number to its note, then back
    page.locator('sup.nref a[href="#minister-first-name"]').click()
    assert page.url.endswith("#minister-first-name")
    note = page.locator("#minister-first-name")
    assert note.is_visible()
    assert "Jean-Yves Le Drian" in note.inner_text()
    note.locator("a.backref").click()
    assert page.url.endswith("#ref_minister-first-name")
    assert all(u.startswith(site) for u in requests), requests
    context.close()
