"""Text that is on the page but not about the cluster: consent banners and site-wide repeats.

Two mechanisms. Per paragraph: consent and "enable JavaScript" notices are recognised by their
wording, because they survive HTML-level pruning on some CMS. Per site: a paragraph that appears
on most pages of one site (footer address, newsletter box, menu rendered as text) is navigation,
not content. We only judge repetition on sites with at least three pages; with two pages every
shared sentence would look like boilerplate.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clusterradar.pipeline.extract import ExtractedPage

__all__ = ["is_consent_or_noise_paragraph", "normalise_paragraph", "remove_site_boilerplate"]

MIN_SITE_PAGES = 3

_CONSENT = re.compile(
    r"\b(cookies?|cookie-einstellungen|einwilligung|consent|tracking|"
    r"alle akzeptieren|akzeptieren|accept all|ablehnen|nur notwendige|"
    r"datenschutzeinstellungen|privacy settings)\b",
    re.IGNORECASE,
)
_JAVASCRIPT = re.compile(r"\bjavascript\b", re.IGNORECASE)
_JAVASCRIPT_ASK = re.compile(
    r"aktivier|einschalten|enable|deaktiviert|disabled|benötigt|erforderlich|required|turn on",
    re.IGNORECASE,
)
_TABLE_RULE = re.compile(r"^[|:\-\s]+$")
_WHITESPACE = re.compile(r"\s+")


def normalise_paragraph(paragraph: str) -> str:
    """The comparison key of a paragraph: collapsed whitespace, case-folded."""
    return _WHITESPACE.sub(" ", paragraph).strip().casefold()


def is_consent_or_noise_paragraph(paragraph: str) -> bool:
    """True for cookie/consent and "enable JavaScript" notices and table rule lines.

    A paragraph is a consent notice when consent vocabulary appears at least twice, or once in a
    short paragraph (a button row such as "Alle akzeptieren"). A long paragraph about, say,
    tracking technology in logistics mentions "Tracking" once and is kept.
    """
    text = paragraph.strip()
    if not text:
        return True
    if _TABLE_RULE.match(text):
        return True  # the |---|---| line of a table rendered as Markdown
    if len(text) < 300 and _JAVASCRIPT.search(text) and _JAVASCRIPT_ASK.search(text):
        return True
    hits = len(_CONSENT.findall(text))
    return hits >= 2 or (hits == 1 and len(text) < 120)


def remove_site_boilerplate(
    pages: list[ExtractedPage], min_share: float = 0.6
) -> list[ExtractedPage]:
    """Drop paragraphs that occur on at least ``min_share`` of one site's pages.

    ``pages`` are the pages of ONE site (one cluster in one crawl run). Pages are returned in
    the same order, with ``paragraphs`` and ``text`` rebuilt; other fields are unchanged. Sites
    with fewer than three non-empty pages are returned as they are.
    """
    non_empty = [page for page in pages if page.paragraphs]
    if len(non_empty) < MIN_SITE_PAGES:
        return list(pages)
    counts: Counter[str] = Counter()
    for page in non_empty:
        counts.update({normalise_paragraph(p) for p in page.paragraphs})
    threshold = max(2.0, min_share * len(non_empty))
    repeated = {key for key, count in counts.items() if count >= threshold}
    if not repeated:
        return list(pages)
    return [
        page.with_paragraphs([p for p in page.paragraphs if normalise_paragraph(p) not in repeated])
        if page.paragraphs
        else page
        for page in pages
    ]
