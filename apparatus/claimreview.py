"""ClaimReview (schema.org) for an article page: one per correction, embedded as JSON-LD.

Fact-check aggregators (Google's Fact Check Explorer and Fact Check Tools API, the Duke Reporters'
Lab) read corrections from this markup. The properties are those Google's documentation of the
ClaimReview markup names: ``claimReviewed``, ``reviewRating`` (a ``Rating`` with ``alternateName``)
and ``url`` required; ``author``, ``datePublished`` and ``itemReviewed`` (a ``Claim`` with
``appearance``, ``author``, ``datePublished`` and ``firstAppearance``) recommended. A property
with no value is left out, never written empty.

``url`` must be absolute (the note's address: the page's plus its anchor), so a site without
``base_url`` gets no ClaimReview, as it gets no sitemap (``build`` warns).

The JSON is embedded in a ``<script>`` element, which ends at the first ``</script`` whatever
the JSON says: :func:`script_json` writes ``<``, ``>`` and ``&`` as ``\\u003c``, ``\\u003e`` and
``\\u0026``, so no text of a note, quote or title can close the element or open another.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from .annotations import Annotation
from .articles import Article
from .config import Config
from .errors import json_controls_escaped

CONTEXT = "https://schema.org"

_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(data: Any) -> Markup:
    """data as JSON for the inside of a <script> element: nothing in it can end the element."""
    text = json_controls_escaped(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return Markup(text.translate(_HTML_SAFE))  # escaped for a script element just above


def claim_reviews(config: Config, article: Article, page_url: str, notes: list[Annotation]) -> list[dict[str, Any]]:
    """A ClaimReview for each correction among notes (in page order); none without base_url."""
    if not config.base_url:
        return []
    page = config.base_url + page_url
    author = {"@type": "Organization", "name": config.publisher_name, "url": config.base_url}
    return [_claim_review(article, page, author, a) for a in notes if a.type == "correction"]


def _claim_review(article: Article, page: str, author: dict[str, str], a: Annotation) -> dict[str, Any]:
    review: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": f"{page}#{a.id}",
        "claimReviewed": a.quote,  # the article's own wording, as the note quotes it
        "reviewRating": {"@type": "Rating", "alternateName": a.verdict_label},
        "author": author,
        "itemReviewed": _claim(article, page),
    }
    if a.added:
        review["datePublished"] = a.added
    return review


def _claim(article: Article, page: str) -> dict[str, Any]:
    """The claim: who made it (the outlet), when, and where. Its first appearance is the original article, with its
    address when the front matter gives one; it appears at that address, or else on this page, which reprints it
    verbatim (an original with no known address is never given one)."""
    original: dict[str, Any] = {"@type": "CreativeWork", "headline": article.title, "datePublished": article.published,
                                "author": {"@type": "Organization", "name": article.outlet}}
    if article.url:
        original["url"] = article.url
    return {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": article.outlet},
        "datePublished": article.published,
        "appearance": original if article.url else {"@type": "CreativeWork", "url": page, "headline": article.title},
        "firstAppearance": original,
    }
