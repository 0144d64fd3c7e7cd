"""monsoon: Common Crawl -> clean, deduplicated, token-counted corpora for Southeast-Asian languages and Japanese."""

__version__ = "0.1.0"
