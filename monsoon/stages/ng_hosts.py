"""Host blocklist (Swallow corpus, `ngurl.py`) for languages whose YAML has `ng_hosts`: a page whose URL's host is
listed under one of the chosen UT1 blocklist categories, or ends in one of the listed suffixes, is dropped with the
reason `ng_host.<category>` (`ng_host.suffix`). As in Swallow, a UT1 entry matches the exact host name only (a
listed `example.com` does not drop `www.example.com`)."""

from __future__ import annotations

import os
from functools import cache

from datatrove.data import Document

from monsoon.accounting import LedgerFilter, count_dropped
from monsoon.languages import NgHostSpec, get_language
from monsoon.urls import url_host


@cache
def ut1_hosts(folder: str, categories: tuple[str, ...]) -> dict[str, str]:
    """Entry -> the first of `categories` whose `<folder>/<category>/domains` or `urls` file lists it (Swallow reads
    both; only an entry that is a bare host name can equal a URL's host)."""
    hosts: dict[str, str] = {}
    for category in categories:
        for name in ("domains", "urls"):
            path = os.path.join(folder, category, name)
            if os.path.exists(path):  # Swallow's list names categories that UT1 does not have (e.g. "mixed adult")
                with open(path, encoding="utf-8", errors="replace") as f:
                    for line in f:
                        hosts.setdefault(line.strip(), category)
    return hosts


def ng_host_reason(url: str, spec: NgHostSpec) -> str | None:
    host = url_host(url)
    if host.endswith(tuple(spec.suffixes)):
        return "ng_host.suffix"
    if spec.ut1 and (category := ut1_hosts(spec.ut1, tuple(spec.ut1_categories)).get(host)):
        return f"ng_host.{category}"
    return None


class NgHostFilter(LedgerFilter):
    name = "🚫 NG hosts"

    def __init__(self, targets: list[str]):
        super().__init__()
        for code in targets:  # fail at build time on a blocklist folder that is not there
            spec = get_language(code).ng_hosts
            if spec and spec.ut1 and not os.path.isdir(spec.ut1):
                raise ValueError(f"{code}: ng_hosts.ut1 {spec.ut1!r} is not a folder")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        spec = get_language(doc.metadata["language"]).ng_hosts
        if spec is not None and (reason := ng_host_reason(doc.metadata.get("url") or "", spec)):
            count_dropped(self, doc, reason)
            return False, reason
        return True


def listed_category(host: str, folder: str, categories: tuple[str, ...]) -> str | None:
    """The category of a UT1-style blocklist folder that lists the host or one of its parent domains (a listed
    `example.com` covers `www.example.com`), as UT1's own squidGuard rules match; None when none does."""
    hosts = ut1_hosts(folder, categories)
    labels = host.split(".")
    return next((hosts[d] for i in range(len(labels) - 1) if (d := ".".join(labels[i:])) in hosts), None)
