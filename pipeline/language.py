"""Page language without a network model: the page's own declaration, else stopword counts.

Cluster websites are German, sometimes with an English version. We only need to tell German
from English (and "something else"), which a handful of function words does reliably on a
paragraph or more of text.
"""

from __future__ import annotations

import re

__all__ = ["detect_language", "normalise_language_tag"]

_GERMAN_WORDS = """der die das und ist nicht mit für auf den dem des ein eine einer eines sich
von zu im wir sie auch als bei werden wird sind oder über durch nach aus unsere unser zum zur"""
_ENGLISH_WORDS = """the and is are of to in for on with this that we our from by as be an at or
it which their has have will into about"""
_GERMAN = frozenset(_GERMAN_WORDS.split())
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_WORD = re.compile(r"[a-zäöüß]+")
_MIN_HITS = 3


def normalise_language_tag(tag: str | None) -> str | None:
    """'de-DE', 'de_AT', 'DE' → 'de'; empty or malformed → None."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def detect_language(text: str) -> str | None:
    """'de', 'en', or None when the text is too short or has neither language's function words."""
    words = _WORD.findall(text.lower())
    german = sum(word in _GERMAN for word in words)
    english = sum(word in _ENGLISH for word in words)
    if max(german, english) < _MIN_HITS:
        return None
    return "de" if german >= english else "en"
