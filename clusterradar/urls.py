"""URL normalisation and website matching, shared by the crawler, the registry matching and
`evaluate --documents` (clusters named by website URL).

Matching rule: scheme-insensitive, www-insensitive host; when several clusters share a host
(e.g. bayern-innovativ.de/leistungen/sicherheit/cybersecurity vs .../techhub-svi) the longest
website path that prefixes the URL's path wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_JSESSIONID = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_DROP_QUERY_KEYS = {"view"}  # Government Site Builder print variant: ?view=renderPrint
_INDEX_PAGES = {"index.html", "index.htm", "index.php", "home.html"}


def normalise_url(url: str) -> str:
    """Canonical form: https, lower-case host, no jsessionid, no print flag, no fragment."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(_JSESSIONID.sub("", url))
    scheme = "https" if parts.scheme in {"http", "https"} else parts.scheme
    host = (parts.hostname or "").lower().rstrip(".")
    netloc = host
    if parts.port and parts.port not in (80, 443):
        netloc = f"{host}:{parts.port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in _DROP_QUERY_KEYS
        ]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def host_key(url: str) -> str:
    """Host without 'www.' (and with port if any), for www-insensitive comparison."""
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return host


def path_key(url: str) -> str:
    """Path without trailing slash or index page, lower-cased; '' for the site root."""
    if "://" not in url:
        url = "https://" + url
    path = _JSESSIONID.sub("", urlsplit(url.strip()).path).lower()
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1] in _INDEX_PAGES:
        segments = segments[:-1]
    return "/".join(segments)


def same_site(url_a: str, url_b: str) -> bool:
    """http/https and www/non-www variants of one host are the same site."""
    return host_key(url_a) == host_key(url_b)


def match_website(url: str, websites: Iterable[tuple[str, str]]) -> str | None:
    """The id of the cluster whose website best covers `url`, or None.

    `websites` holds (cluster_id, website_url). A cluster matches when its host equals the URL's
    host (www-insensitive) and its website path is a prefix of the URL's path (segment-wise);
    the longest such path wins, so shared hosts are told apart by path.
    """
    host, path = host_key(url), path_key(url)
    segments = path.split("/") if path else []
    best: tuple[int, str] | None = None
    for cluster_id, website in websites:
        if not website or host_key(website) != host:
            continue
        site_path = path_key(website)
        site_segments = site_path.split("/") if site_path else []
        if segments[: len(site_segments)] != site_segments:
            continue
        if best is None or len(site_segments) > best[0]:
            best = (len(site_segments), cluster_id)
    return best[1] if best else None


_NAME_NOISE = re.compile(r"\b(?:e\.\s?v\.|ev\b|gmbh\b|ggmbh\b|mbh\b|ag\b)", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-zäöüß]+")


def normalise_name(name: str) -> str:
    """Lower-case name without legal-form suffixes and punctuation, for name matching."""
    text = _NAME_NOISE.sub(" ", name.lower())
    return _NON_ALNUM.sub(" ", text).strip()


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII kebab id from a German name.

    'Rüstungscluster Niedersachsen' → 'ruestungscluster-niedersachsen'.
    """
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
    )
    text = text.translate(table).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or "cluster"
