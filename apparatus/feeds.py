"""The feeds of the collection's changes: Atom (RFC 4287) at feed.xml, JSON Feed 1.1 at feed.json.

Both list the same entries (:func:`apparatus.site.feed_entries`): each new article and each dated
correction, newest first. They are rows of the table of pages (:data:`apparatus.site.PAGES`) made by
the functions below instead of a template, and only with ``base_url``: a feed's addresses are absolute.

Every date comes from the history (a commit's day, or a note's ``added:``), never from the clock, so the
same commit always gives the same bytes. A note's text is hostile input: in Atom it is escaped text
(``]]>`` and ``</script>`` are never markup), with the characters XML 1.0 forbids (most C0 controls,
lone surrogates, U+FFFE/U+FFFF) left out; ``json.dumps`` escapes every control character itself.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .site import Change

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")  # RFC 4287's atomLanguageTag
NO_DATE = "1970-01-01"  # a feed with no dated entry yet: updated at the epoch, not at the time of the build
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape  # (here: it imports urllib.request, http.client and ssl, 16 ms of start-up
    # that a rebuild which makes no feed does without)

    return escape(_NOT_XML.sub("", text))


def _attr(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(_NOT_XML.sub("", text))


def _timestamp(day: str) -> str:
    """RFC 3339, as both formats want it: the day's start in UTC."""
    return f"{day}T00:00:00Z"


def _title(ch: Change) -> str:
    if ch.note is None:
        return f"New article: {ch.article.title}"
    what = "Correction revised" if ch.kind == "revised" else "New correction"
    return f"{what} (note {ch.note.number}) on “{ch.article.title}”"


def _content(ch: Change) -> str:
    """The entry's HTML: an article's outlet and counts; a correction's quote, its correction and its note."""
    s = ch.article
    if ch.note is None:
        c = s.counts
        return (f"<p>{html.escape(s.outlet)}, published {html.escape(s.published)}: {c['correction']} "
                f"correction(s), {c['context']} context note(s), {c['source']} source note(s).</p>")
    n = ch.note
    dates = f"Added {n.added}" + (f", revised {n.revised}" if n.revised and n.revised != n.added else "")
    return (f"<p>The article says: <del>{html.escape(n.quote)}</del></p>"
            f"<p>The record shows: <ins>{html.escape(n.correction)}</ins></p>{n.note_html}<p>{dates}.</p>")


def _published(ch: Change) -> str:
    return ch.note.added if ch.note is not None else ch.date


def _language(tag: str) -> str:
    return tag if _LANGUAGE.fullmatch(tag) else ""


def atom(context: dict[str, Any], site: dict[str, Any]) -> str:
    """feed.xml: an Atom feed document (RFC 4287) of ``context["entries"]``."""
    base, entries = site["base_url"], context["entries"]
    lang = _language(site["language"])
    out = ['<?xml version="1.0" encoding="utf-8"?>\n',
           f'<feed xmlns="http://www.w3.org/2005/Atom"{" xml:lang=" + _attr(lang) if lang else ""}>\n',
           f'<title>{_xml(site["title"])}: changes</title>\n',
           "<subtitle>New articles, and new or revised corrections</subtitle>\n",
           f"<id>{_xml(base + 'feed.xml')}</id>\n",
           f'<link rel="self" type="application/atom+xml" href={_attr(base + "feed.xml")}/>\n',
           f'<link rel="alternate" type="text/html" href={_attr(base + "changes/")}/>\n',
           f"<updated>{_timestamp(entries[0].date if entries else NO_DATE)}</updated>\n",
           f"<author><name>{_xml(site['title'])}</name><uri>{_xml(base)}</uri></author>\n",
           "<generator>Apparatus</generator>\n"]
    for ch in entries:
        url = base + ch.url
        entry_lang = _language(ch.article.language)
        out += [f'<entry{" xml:lang=" + _attr(entry_lang) if entry_lang else ""}>\n',
                f"<title>{_xml(_title(ch))}</title>\n",
                f"<id>{_xml(url)}</id>\n",
                f'<link rel="alternate" type="text/html" href={_attr(url)}/>\n',
                f"<published>{_timestamp(_published(ch))}</published>\n",
                f"<updated>{_timestamp(ch.date)}</updated>\n",
                f'<category term="{"article" if ch.note is None else "correction"}"/>\n',
                f'<content type="html">{_xml(_content(ch))}</content>\n',
                "</entry>\n"]
    out.append("</feed>\n")
    return "".join(out)


def json_feed(context: dict[str, Any], site: dict[str, Any]) -> str:
    """feed.json: a JSON Feed 1.1 document of ``context["entries"]``."""
    base = site["base_url"]
    items = []
    for ch in context["entries"]:
        url = base + ch.url
        item: dict[str, Any] = {"id": url, "url": url, "title": _title(ch), "content_html": _content(ch),
                                "date_published": _timestamp(_published(ch)), "date_modified": _timestamp(ch.date),
                                "tags": ["article" if ch.note is None else "correction"]}
        if ch.article.language:
            item["language"] = ch.article.language
        items.append(item)
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": f"{site['title']}: changes",
                            "home_page_url": base + "changes/", "feed_url": base + "feed.json",
                            "description": "New articles, and new or revised corrections",
                            "authors": [{"name": site["title"], "url": base}], "language": site["language"],
                            "items": items}
    return json.dumps(feed, indent=1) + "\n"  # every character past ASCII escaped: C1 controls and U+2028 too
