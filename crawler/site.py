"""Pure rules of the site crawl: scope, link filters, priorities, page kinds, outcomes.

The spider asks these functions what to fetch and how to judge what came back; nothing here
touches the network or the warehouse, so every rule has a unit test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import html as lxml_html
from w3lib.encoding import html_to_unicode

from clusterradar.urls import host_key, path_key

PAGE_KINDS = ("about", "topics", "groups", "projects", "members", "news", "home", "other")

# Checked in this order against the URL path and the title (lower-cased, umlauts folded).
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "about",
        re.compile(
            r"ueber[-_ ]?uns|uber[-_ ]?uns|about|wir[-_ ]?ueber|wer[-_ ]?wir|profil|portrait"
            r"|leitbild|das[-_ ]cluster|verein|mission"
        ),
    ),
    (
        "groups",
        re.compile(
            r"arbeitsgruppe|arbeitskreis|fachgruppe|fachforen|working[-_ ]?group"
            r"|(^|[/_ -])ags?($|[/_ .-])"
        ),
    ),
    (
        "topics",
        re.compile(
            r"themen|schwerpunkt|handlungsfeld|kompetenz|technologiefeld|topics|focus|fokus"
        ),
    ),
    ("projects", re.compile(r"projekt|project|vorhaben")),
    ("members", re.compile(r"mitglied|member|netzwerkpartner|partner")),
    ("news", re.compile(r"aktuell|news|presse|neuigkeit|meldung|blog")),
)
_KIND_PRIORITY = {
    "about": 60,
    "topics": 55,
    "groups": 50,
    "projects": 45,
    "members": 40,
    "news": 35,
    "home": 30,
    "other": 10,
}

_BINARY_EXTENSION_LIST = (
    "pdf doc docx xls xlsx ppt pptx odt ods odp rtf zip gz tgz rar 7z tar "
    "jpg jpeg png gif svg webp bmp ico tif tiff mp3 mp4 m4a avi mov wmv webm ogg wav "
    "ics vcf exe dmg msi apk iso css js json woff woff2 ttf eot xml rss atom"
)
BINARY_EXTENSIONS = frozenset(_BINARY_EXTENSION_LIST.split())
_LOGIN = re.compile(
    r"login|logout|anmelden|abmelden|signin|sign-in|wp-admin|wp-login|mein-konto|account|intranet|passwort|password|registrier"
)
_CALENDAR = re.compile(
    r"kalender|calendar|\bical\b|/termine/\d|[?&](date|month|year|day|monat|jahr|tag|datum|tribe-bar-date|ical)="
)
_SEARCH = re.compile(
    r"/(suche|search|suchergebnis)(/|\.|$)|[?&](s|q|query|suchbegriff|searchterm|keywords?)="
)
_TRACKING_KEYS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_[a-z]+|sessionid|sid|phpsessid)$", re.I)
_JSESSIONID = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
MAX_URL_LENGTH = 2000
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(slots=True, frozen=True)
class SiteScope:
    """Which URLs belong to one initiative's site: its host (www/scheme-insensitive) and,
    for a website under a path on a shared host, that path's folder."""

    host: str
    path_prefix: str  # '' for the whole host

    def contains(self, url: str) -> bool:
        if host_key(url) != self.host:
            return False
        if not self.path_prefix:
            return True
        path = path_key(url)
        return path == self.path_prefix or path.startswith(self.path_prefix + "/")


def scope_of(website: str) -> SiteScope:
    """The scope of a seed URL: ``https://x.de/de/home.html`` -> host x.de, folder 'de'."""
    path = path_key(website)
    segments = path.split("/") if path else []
    if segments and "." in segments[-1]:
        segments = segments[:-1]
    return SiteScope(host_key(website), "/".join(segments))


def crawl_key(url: str) -> str:
    """Identity of a page for de-duplication within one site crawl.

    Scheme, ``www.``, fragments, jsessionid, tracking parameters and a trailing index page
    do not make a different page; the order of query parameters does not either.
    """
    parts = urlsplit(_JSESSIONID.sub("", url.strip()))
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_KEYS.match(k)
    )
    path = path_key(url)
    return urlunsplit(("", host_key(url), "/" + path, urlencode(query), ""))


def clean_link(base_url: str, href: str) -> str | None:
    """Absolute http(s) URL without fragment/jsessionid, or None for mailto:, javascript: etc."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    url = urljoin(base_url, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit(
        (parts.scheme, parts.netloc, _JSESSIONID.sub("", parts.path), parts.query, "")
    )


def stored_url(url: str) -> str:
    """A URL as it is stored: the one requested, scheme and port kept, host lower-cased;
    ``;jsessionid``, the print flag (``?view=renderPrint``) and the fragment removed.

    :func:`clusterradar.urls.normalise_url` (https, no default port) is only a matching and
    de-duplication key; storing it would claim an https fetch of an http page.
    """
    parts = urlsplit(_JSESSIONID.sub("", url.strip()))
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "view" for key, _ in pairs):
        query = urlencode([(k, v) for k, v in pairs if k != "view"])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def usable_website(url: str) -> bool:
    """An http(s) URL with a host and a valid port (registry data can hold anything)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


def skip_reason(url: str, *, capture_pdf: bool = False) -> str | None:
    """Why a link is not worth fetching (binary, login, calendar, search page), or None.

    With ``capture_pdf`` a ``.pdf`` link is worth fetching (stored with note ``pdf captured``).
    """
    if len(url) > MAX_URL_LENGTH:
        return "url too long"
    parts = urlsplit(url)
    lowered = (parts.path + ("?" + parts.query if parts.query else "")).lower()
    last = parts.path.rsplit("/", 1)[-1].lower()
    extension = last.rsplit(".", 1)[-1] if "." in last else ""
    if extension in BINARY_EXTENSIONS and not (capture_pdf and extension == "pdf"):
        return "binary"
    if _LOGIN.search(lowered):
        return "login"
    if _CALENDAR.search(lowered):
        return "calendar"
    if _SEARCH.search(lowered):
        return "search"
    return None


def page_kind(url: str, title: str | None = None) -> str:
    """What a page is about, judged from its URL path first, then its title."""
    path = urlsplit(url).path.lower().translate(_FOLD)
    if not path_key(url) or path_key(url) in {"de", "en", "home", "start", "startseite"}:
        return "home"
    for text in (path, (title or "").lower().translate(_FOLD)):
        for kind, pattern in _KIND_PATTERNS:
            if pattern.search(text):
                return kind
    return "other"


def link_priority(url: str, depth: int, anchor_text: str = "") -> int:
    """Higher is fetched first: pages that describe the cluster beat news beat the rest;
    each level of depth costs a little."""
    kind = page_kind(url, anchor_text)
    return _KIND_PRIORITY[kind] - 5 * depth


def is_pdf_type(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "application/pdf"


def is_text_type(content_type: str | None) -> bool:
    """HTML or plain text (what the pipeline can extract); everything else counts as binary."""
    if not content_type:
        return True  # servers that omit the header mostly send HTML; the body decides later
    return content_type.split(";")[0].strip().lower() in _TEXT_TYPES


def decode_body(content_type: str | None, body: bytes) -> str:
    """Body bytes as text: a BOM beats the Content-Type charset, which beats <meta charset>.

    The pipeline decodes stored bodies with this same rule (``page_snapshots.content_type``
    keeps the full header including the charset).
    """
    _, text = html_to_unicode(content_type or "", body)
    return text


INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "head")


def visible_text(html_text: str) -> str:
    """The words a reader would see (no scripts, styles, head); '' for a JS-only shell."""
    if not html_text.strip():
        return ""
    try:
        root = lxml_html.fromstring(html_text)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for element in list(root.iter(*INVISIBLE_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    return " ".join(root.text_content().split())


def html_title(html_text: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", html_text, re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else None


# --- outcomes ------------------------------------------------------------------------------
OUTCOMES = (
    "ok",
    "dns_error",
    "timeout",
    "robots_denied",
    "http_error",
    "offsite_redirect",
    "empty",
    "refused_private",
    "no_website",
    "time_budget",
)


@dataclass(slots=True)
class SiteClock:
    """A site's wall-clock budget: it starts with the site's first download and is spent
    ``budget`` seconds later (times from :func:`time.monotonic`)."""

    budget: float
    started: float | None = None

    def start(self, now: float) -> None:
        if self.started is None:
            self.started = now

    def left(self, now: float) -> float:
        """Seconds left (the whole budget before the start; 0 or less once spent)."""
        return self.budget if self.started is None else self.started + self.budget - now

    def spent(self, now: float) -> bool:
        return self.left(now) <= 0


@dataclass(slots=True)
class SeedFailure:
    """Why the seed page itself (the website URL) gave nothing: outcome key and detail."""

    outcome: str
    detail: str


def decide_outcome(
    pages_with_text: int,
    pages_ok: int,
    seed_failure: SeedFailure | None,
    time_budget_spent: float | None = None,
) -> tuple[str, str | None]:
    """One site's outcome from what its crawl produced.

    Any page with visible text makes the site ``ok`` (even if the seed itself failed and the
    sitemap led elsewhere, or its time budget ran out later: what it gave is usable).
    Otherwise a spent time budget (``time_budget_spent``: the budget in seconds) names the
    outcome ``time_budget``, as the reason the crawl of the site ended; then the seed's own
    failure; with none, pages that arrived without visible text (JavaScript-only shells) make
    it ``empty``.
    """
    if pages_with_text:
        return "ok", None
    if time_budget_spent is not None:
        return "time_budget", (
            f"time budget of {time_budget_spent:g} s spent before any page with visible text "
            f"arrived ({pages_ok} page(s) read)"
        )
    if seed_failure is not None:
        return seed_failure.outcome, seed_failure.detail
    if pages_ok:
        return "empty", "no page with visible text (JavaScript-only or blank)"
    return "http_error", "no page could be fetched"
