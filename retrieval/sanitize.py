"""Records from strangers made safe to store: no control characters, only http(s) links.

Every article passes here on its way into the index (files, feeds and pages alike); the string
helpers themselves live in `retrieval.text` (the front ends use them before printing too).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from retrieval.text import clean_line, clean_url, strip_controls
from retrieval.types import Article


def clean_article(article: Article) -> Article:
    """The article as it may be stored: no control characters anywhere, an http(s) URL or none."""
    url = clean_url(article.url)
    if url and urlsplit(url).scheme.lower() not in ("http", "https"):
        url = ""  # a javascript: or file: "link" would only ever be a trap in a citation
    cleaned = replace(
        article,
        title=clean_line(article.title),
        text=strip_controls(article.text),
        source=clean_line(article.source),
        author=clean_line(article.author),
        url=url,
        external_id=clean_line(article.external_id),
    )
    return article if cleaned == article else cleaned
