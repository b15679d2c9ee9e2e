"""Text that is on the page but not about the cluster: consent banners and site-wide repeats.

Per paragraph: consent and "enable JavaScript" notices are recognised by their wording,
because they survive HTML-level pruning on some CMS. Per site, two rules: a paragraph that
appears on most pages of one site (footer address, newsletter box, menu rendered as text) is
navigation, not content — judged only on sites with at least three pages, since with two pages
every shared sentence would look like boilerplate. And menu items that survived extraction on
only some pages (trafilatura keeps the menu of short pages, drops it on long ones, so the share
rule misses it): a run of at least three consecutive short lines (≤ 4 words) that each appear on
at least two pages of the site is a menu. A lone repeated heading is not a run and stays.
(The HTML-level rule in :mod:`clusterradar.pipeline.extract` removes ``<nav>`` and friends
first; this catches menus built without telling markup.)
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clusterradar.pipeline.extract import ExtractedPage

__all__ = ["is_consent_or_noise_paragraph", "normalise_paragraph", "remove_site_boilerplate"]

MIN_SITE_PAGES = 3
MENU_LINE_WORDS = 4  # a menu item: at most this many words
MENU_MIN_PAGES = 2  # ... on at least this many pages of the site
MENU_MIN_RUN = 3  # ... in a run of at least this many such lines

_CONSENT = re.compile(
    r"\b(cookies?|cookie-einstellungen|einwilligung|consent|tracking|"
    r"alle akzeptieren|akzeptieren|accept all|ablehnen|nur notwendige|"
    r"datenschutzeinstellungen|privacy settings)\b",
    re.IGNORECASE,
)
# Every alternative of _CONSENT contains one of these, so a paragraph whose lower-cased text
# holds none of them has no hit and skips the regular expression (most paragraphs; the
# case-insensitive alternation cost about 70 us per paragraph, issue 17). re's IGNORECASE also
# matches three characters to i and s that str.lower() leaves alone: a paragraph with one of
# them takes the regular expression (tests/test_pipeline_extract.py checks the list).
_CONSENT_WORDS = (
    "cookie",
    "einwilligung",
    "consent",
    "tracking",
    "akzeptieren",
    "accept all",
    "ablehnen",
    "nur notwendige",
    "datenschutzeinstellungen",
    "privacy settings",
)
IGNORECASE_ONLY_LETTERS = "\u0130\u0131\u017f"  # İ ı ſ
_JAVASCRIPT = re.compile(r"\bjavascript\b", re.IGNORECASE)
_JAVASCRIPT_ASK = re.compile(
    r"aktivier|einschalten|enable|deaktiviert|disabled|benötigt|erforderlich|required|turn on",
    re.IGNORECASE,
)
_TABLE_RULE = re.compile(r"^[|:\-\s]+$")


def normalise_paragraph(paragraph: str) -> str:
    """The comparison key of a paragraph: collapsed whitespace, case-folded.

    ``str.split`` splits on the characters ``\\s`` matches (both use ``str.isspace``), without a
    regular expression."""
    return " ".join(paragraph.split()).casefold()


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
    hits = _consent_hits(text)
    return hits >= 2 or (hits == 1 and len(text) < 120)


def _consent_hits(text: str) -> int:
    """``len(_CONSENT.findall(text))``, without the search when no consent word can be there."""
    lowered = text.lower()
    if any(word in lowered for word in _CONSENT_WORDS) or any(
        letter in text for letter in IGNORECASE_ONLY_LETTERS
    ):
        return len(_CONSENT.findall(text))
    return 0


def _menu_runs(paragraphs: list[str], keys: list[str], menu_lines: set[str]) -> set[int]:
    """Indexes of runs of >= MENU_MIN_RUN consecutive paragraphs that are repeated menu lines
    (``keys``: the paragraphs normalised)."""
    drop: set[int] = set()
    run: list[int] = []
    for index, (paragraph, key) in enumerate(zip([*paragraphs, ""], [*keys, ""], strict=True)):
        if paragraph and key in menu_lines:
            run.append(index)
            continue
        if len(run) >= MENU_MIN_RUN:
            drop.update(run)
        run = []
    return drop


def _is_short_line(paragraph: str) -> bool:
    return len(paragraph.split()) <= MENU_LINE_WORDS


def remove_site_boilerplate(
    pages: list[ExtractedPage], min_share: float = 0.6
) -> list[ExtractedPage]:
    """Drop paragraphs repeated on ``min_share`` of one site's pages, and repeated menu runs.

    ``pages`` are the pages of ONE site (one cluster in one crawl run). Pages are returned in
    the same order, with ``paragraphs`` and ``text`` rebuilt; other fields are unchanged. The
    share rule needs three non-empty pages, the menu-run rule two.
    """
    non_empty = [page for page in pages if page.paragraphs]
    if len(non_empty) < MENU_MIN_PAGES:
        return list(pages)
    # each paragraph normalised once (id(page): pages are distinct objects during this call)
    keys = {id(page): [normalise_paragraph(p) for p in page.paragraphs] for page in non_empty}
    counts: Counter[str] = Counter()
    for page in non_empty:
        counts.update(set(keys[id(page)]))
    repeated: set[str] = set()
    if len(non_empty) >= MIN_SITE_PAGES:
        threshold = max(2.0, min_share * len(non_empty))
        repeated = {key for key, count in counts.items() if count >= threshold}
    menu_lines = {
        key
        for page in non_empty
        for p, key in zip(page.paragraphs, keys[id(page)], strict=True)
        if counts[key] >= MENU_MIN_PAGES and _is_short_line(p)
    }
    if not repeated and not menu_lines:
        return list(pages)
    cleaned = []
    for page in pages:
        if not page.paragraphs:
            cleaned.append(page)
            continue
        page_keys = keys[id(page)]
        menu = _menu_runs(page.paragraphs, page_keys, menu_lines)
        kept = [
            p
            for i, (p, key) in enumerate(zip(page.paragraphs, page_keys, strict=True))
            if i not in menu and key not in repeated
        ]
        cleaned.append(page if kept == page.paragraphs else page.with_paragraphs(kept))
    return cleaned
