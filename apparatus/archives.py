"""Archived copies of records: a record's ``archive_url`` read as a Web Archive capture or a perma.cc link.

Two services are accepted, in the forms a reader can check by eye:

- the Web Archive's ``https://web.archive.org/web/<timestamp>/<url>``: the timestamp is the capture's
  date and time (14 digits, ``YYYYMMDDhhmmss``, UTC) and ``<url>`` the address captured;
- perma.cc's ``https://perma.cc/XXXX-XXXX``: its address carries neither the captured address nor a date.

:func:`same_address` compares a captured address with the record's ``url`` after the normalisation the Web
Archive itself applies when it looks a capture up: the scheme (http or https), the host's letter case, a
leading ``www.``, a default port, an empty path (= ``/``), the letter case of percent-escapes and any
``#fragment`` are set aside; the rest of the path and the query must be equal.

No network is used: the checks read the addresses only (``build.py links`` is the command that asks the
network, where there is one).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from urllib.parse import urlsplit

WEB_ARCHIVE = "Web Archive"
PERMA_CC = "perma.cc"
_WAYBACK = re.compile(r"https://web\.archive\.org/web/([0-9]{14})/(https?://\S+)")
_PERMA = re.compile(r"https://perma\.cc/[A-Z0-9]{4}-[A-Z0-9]{4}")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclasses.dataclass(frozen=True)
class Copy:
    """What an archive address says of itself."""

    service: str  # WEB_ARCHIVE or PERMA_CC
    original: str = ""  # the address captured ("" for perma.cc)
    captured: str = ""  # the capture's day, YYYY-MM-DD ("" for perma.cc, or a timestamp that is no date)
    timestamp: str = ""  # the Web Archive's 14 digits, as written


def parse(url: str) -> Copy | None:
    """The copy an archive address names; None if it is neither a Web Archive capture nor a perma.cc link."""
    m = _WAYBACK.fullmatch(url)
    if m:
        stamp, original = m.groups()
        return Copy(WEB_ARCHIVE, original, _day(stamp), stamp)
    if _PERMA.fullmatch(url):
        return Copy(PERMA_CC)
    return None


def _day(stamp: str) -> str:
    try:
        return datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S").date().isoformat()
    except ValueError:
        return ""


def normalise(url: str) -> str:
    """The address as compared by :func:`same_address` (see the module's docstring)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:  # a port that is no number: kept as written
        port = None
        host += ":" + parts.netloc.rpartition(":")[2]
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host += f":{port}"
    path = _ESCAPE.sub(lambda m: m.group(0).upper(), parts.path or "/")
    query = _ESCAPE.sub(lambda m: m.group(0).upper(), parts.query)
    return host + path + (f"?{query}" if query else "")


def same_address(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def version_date(archive_url: str, accessed: str) -> str:
    """The Robust Links ``data-versiondate`` of a record's links: the day of the Web Archive's capture, else the
    day the record's url was seen (``accessed``); "" when neither is known."""
    copy = parse(archive_url) if archive_url else None
    return (copy.captured if copy is not None and copy.captured else "") or accessed


def days_apart(a: str, b: str) -> int:
    """Days between two dates written YYYY-MM-DD, YYYY-MM or YYYY (a missing month or day counts as the first)."""
    return abs((_date(a) - _date(b)).days)


def _date(text: str) -> datetime.date:
    year, month, day = ([int(x) for x in text.split("-")] + [1, 1])[:3]
    return datetime.date(year, month, day)
