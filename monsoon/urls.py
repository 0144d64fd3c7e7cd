"""The parts of a page's URL the steps look at, for any string a crawl holds: `urllib.parse` raises ValueError on
some (a bracketed host that is no IP address, `https://[your-domain]/en/`), which must cost no page, let alone a
job (issue 20)."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_host(url: str) -> str:
    """The URL's host name, lower-cased; "" when it has none or cannot be parsed."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def url_path(url: str) -> str:
    """The URL's path; for a URL whose host cannot be parsed, what follows the host ("" if nothing)."""
    try:
        return urlsplit(url).path
    except ValueError:
        rest = url.split("://", 1)[-1]
        return "/" + rest.split("/", 1)[1].split("?", 1)[0].split("#", 1)[0] if "/" in rest else ""
