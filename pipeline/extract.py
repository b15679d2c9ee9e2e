"""Main text, title, date and language of one fetched page (trafilatura), and site boilerplate.

Cluster websites are small CMS sites: navigation, cookie-consent banners, news teaser lists and
footers surround a little real text. trafilatura finds the main content; we run it with
``favor_recall`` (a missed "Über uns" paragraph costs more than a stray teaser) and with
deduplication OFF (its process-wide LRU cache would make the result of one page depend on which
pages were extracted before it). Consent banners are removed from the HTML tree before
extraction and filtered again paragraph by paragraph, because some CMS render them as ordinary
``<div>``s that trafilatura would otherwise keep. Site navigation (``<nav>``, the page
``<header>`` and ``<footer>``, ``role=navigation``, menu containers and bare link lists outside
the main content) is removed before extraction too: with ``favor_recall`` trafilatura keeps the
menu on short pages but not on long ones, so it is on too few pages of a site for the
repeated-paragraph rule to catch, and menu words then turn up as cited evidence.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import unescape
from typing import Any

from clusterradar.pipeline.boilerplate import is_consent_or_noise_paragraph, remove_site_boilerplate
from clusterradar.pipeline.language import detect_language, normalise_language_tag

__all__ = [
    "ExtractedPage",
    "decode_body",
    "extract_page",
    "extract_site",
    "remove_site_boilerplate",
]

log = logging.getLogger(__name__)

HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml+html"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z-]+)", re.IGNORECASE)
_META_LANG = re.compile(
    r"<meta[^>]+(?:http-equiv\s*=\s*[\"']?content-language|property\s*=\s*[\"']?og:locale)"
    r"[^>]*content\s*=\s*[\"']?([A-Za-z_-]+)",
    re.IGNORECASE,
)
# Containers of consent managers and cookie banners (Borlabs, Usercentrics, Cookiebot, Klaro,
# CookieYes, OneTrust, Complianz, plain "cookie-notice" themes). Wrappers that merely carry a
# state class ("cookies-accepted" on the page container) hold the main content: never prune an
# element containing main/article/h1 or more text than a banner has.
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The cheap attribute tests come first: XPath's ``and`` skips the rest for the many elements
# without such a name, instead of measuring every element's whole text (the <html> element's
# included) on every page (issue 17). The selected elements are the same.
_CONSENT_XPATH = (
    "//*[(@id or @class) and ("
    + " or ".join(
        f"contains(translate(@{attr}, '{_UPPER}', '{_UPPER.lower()}'), '{word}')"
        for attr in ("id", "class")
        for word in (
            "cookie",
            "consent",
            "gdpr",
            "borlabs",
            "usercentrics",
            "klaro",
            "onetrust",
            "cmplz",
            "datenschutzhinweis",
        )
    )
    + ") and not(self::html) and not(self::body) and not(self::main) and not(self::article)"
    " and not(.//main) and not(.//article) and not(.//h1)"
    " and string-length(normalize-space(.)) < 2500]"
)


@dataclass(slots=True)
class ExtractedPage:
    """What the pipeline keeps of one page. ``paragraphs`` joined by newlines is ``text``."""

    text: str
    title: str | None = None
    published: dt.date | None = None
    language: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    url: str | None = None

    @classmethod
    def empty(cls, url: str | None = None, language: str | None = None) -> ExtractedPage:
        return cls(text="", url=url, language=language)

    def with_paragraphs(self, paragraphs: list[str]) -> ExtractedPage:
        return replace(self, paragraphs=list(paragraphs), text="\n".join(paragraphs))


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _known_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_body(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text with the precedence browsers use: BOM, then HTTP header, then ``<meta>``.

    Without any declaration we try UTF-8 and fall back to Windows-1252 (a superset of
    ISO-8859-1), which is what old German CMS pages without a declaration almost always are.
    """
    if isinstance(body, str):
        return body
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    candidates: list[str] = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match and (codec := _known_codec(match.group(1))):
            candidates.append(codec)
    match = _META_CHARSET.search(body[:4096])
    if match and (codec := _known_codec(match.group(1).decode("ascii", "replace"))):
        candidates.append(codec)
    for encoding in candidates:
        if encoding == "latin-1" or encoding == "iso8859-1":
            encoding = "cp1252"  # what "ISO-8859-1" means on the web (WHATWG encoding spec)
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _declared_language(html: str) -> str | None:
    head = html[:20000]
    for pattern in (_HTML_LANG, _META_LANG):
        match = pattern.search(head)
        if match and (tag := normalise_language_tag(match.group(1))):
            return tag
    return None


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


_LAYOUT_MARKERS = "p|h1|h2|h3|h4|h5|h6|ul|ol|article|section|table"


def _unwrap_layout_tables(tree: object) -> None:
    """Turn layout tables (cells holding paragraphs or headings) into plain blocks.

    Old CMS pages lay out menu and content as one table row; trafilatura then flattens the
    whole page, menu included, into a single table line. Data tables (member lists) hold plain
    cell text and stay tables.
    """
    for table in tree.iter("table"):  # type: ignore[attr-defined]
        has_blocks = any(
            el.tag in _LAYOUT_MARKERS.split("|")
            for cell in table.iter("td", "th")
            for el in cell.iterchildren()
        )
        if not has_blocks:
            continue
        for el in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
            el.tag = "div"


_NAVIGATION_ROLES = frozenset({"navigation", "banner", "contentinfo", "menubar", "menu"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_MENU_NAME = re.compile(
    r"(?<![a-z])(nav|navi|navbar|navigation|menu|menue|mainmenu|megamenu|breadcrumbs?|"
    r"sitemap|skip-?links?|topbar|toolbar|servicebar|metanav)(?![a-z])"
)
_MENU_TAGS = frozenset({"ul", "ol", "div", "section", "aside", "p"})
# The only elements _strip_navigation can remove, in document order: declared navigation, any
# element with a role, lists, and menu tags with a class or id (a menu name needs one). The
# others (links, list items, paragraphs without a name, ...) it used to visit one by one.
_NAVIGATION_CANDIDATES_XPATH = (
    "//*[self::nav or self::footer or self::header or @role or self::ul or self::ol"
    " or ((self::div or self::section or self::aside or self::p) and (@class or @id))]"
)
_MENU_MAX_CHARS = 2000
_MENU_ITEM_WORDS = 4


@functools.cache
def _compiled(xpath: str) -> Any:
    """An XPath expression compiled once per process (lxml is loaded with trafilatura)."""
    from lxml.etree import XPath

    return XPath(xpath)


def _text_of(element: object) -> str:
    return " ".join("".join(element.itertext()).split())  # type: ignore[attr-defined]


def _ancestors_of(elements: list[object]) -> set[object]:
    """Every element that contains one of ``elements`` (lxml keeps one proxy per node while it
    is referenced, so set membership is node identity)."""
    found: set[object] = set()
    for element in elements:
        for ancestor in element.iterancestors():  # type: ignore[attr-defined]
            if ancestor in found:
                break  # its ancestors are in already
            found.add(ancestor)
    return found


def _link_share(element: object) -> float:
    text = len(_text_of(element))
    if not text:
        return 1.0
    linked = sum(len(_text_of(a)) for a in element.iter("a"))  # type: ignore[attr-defined]
    return linked / text


def _names_a_menu(element: object) -> bool:
    names = " ".join(
        element.get(attr) or ""  # type: ignore[attr-defined]
        for attr in ("class", "id")
    )
    return _is_menu_name(names)


@functools.lru_cache(maxsize=4096)
def _is_menu_name(names: str) -> bool:
    """Whether class and id say "menu"; a site repeats its class names on every page."""
    return bool(names) and bool(_MENU_NAME.search(_CAMEL.sub(r"\1-\2", names).lower()))


def _is_bare_link_list(element: object) -> bool:
    """A list whose every item is one short link: a menu rendered without telling markup."""
    items = [li for li in element.iterchildren() if li.tag == "li"]  # type: ignore[attr-defined]
    if len(items) < 3:
        return False
    for item in items:
        text = _text_of(item)
        links = [_text_of(a) for a in item.iter("a")]
        if not links or " ".join(links) != text or len(text.split()) > _MENU_ITEM_WORDS:
            return False
    return True


def _strip_navigation(tree: object) -> int:
    """Remove site navigation before trafilatura sees the page; returns how many elements.

    Declared navigation (``<nav>``, ``role=navigation|banner|contentinfo|menu``, the page's
    ``<header>``/``<footer>``) always goes; a ``<header>`` inside ``<article>``/``<main>`` holds
    the article's title and date and stays. Containers *named* like a menu (class/id ``nav``,
    ``menu``, ``breadcrumb`` …) go when they are mostly links. Bare lists of short links go
    when they are outside ``<main>``/``<article>`` on a page that has one. Nothing that
    contains the main content is ever removed.
    """
    doomed: list[object] = []
    doomed_set: set[object] = set()
    # Computed once per page instead of one XPath per element and axis (issue 17).
    contents = tree.xpath("//main|//article")  # type: ignore[attr-defined]
    has_main = bool(contents)
    content_set = set(contents)
    holds_content = _ancestors_of(contents)
    holds_main_content = holds_content | _ancestors_of(tree.xpath("//h1"))  # type: ignore[attr-defined]
    for element in _compiled(_NAVIGATION_CANDIDATES_XPATH)(tree):
        ancestors = list(element.iterancestors())  # type: ignore[attr-defined]
        if doomed_set and any(a in doomed_set for a in ancestors):
            continue  # goes with its ancestor
        tag = element.tag
        role = (element.get("role") or "").strip().lower()
        in_content = any(a in content_set for a in ancestors)
        if tag in ("nav", "footer") or role in _NAVIGATION_ROLES:
            declared = True
        elif tag == "header":
            declared = not in_content
        else:
            declared = False
        if declared:
            if element not in holds_content:
                doomed.append(element)
                doomed_set.add(element)
            continue
        # never remove a wrapper around the main content (broken themes put everything in one)
        if tag not in _MENU_TAGS or element in holds_main_content:
            continue
        if (
            _names_a_menu(element)
            and len(_text_of(element)) < _MENU_MAX_CHARS
            and _link_share(element) >= 0.5
        ) or (tag in ("ul", "ol") and has_main and not in_content and _is_bare_link_list(element)):
            doomed.append(element)
            doomed_set.add(element)
    removed = 0
    for element in doomed:
        parent = element.getparent()
        if parent is None:
            continue
        tail = element.tail
        parent.remove(element)
        if tail and tail.strip():  # keep text that followed the element in its parent
            previous = parent[-1] if len(parent) else None
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        removed += 1
    return removed


_BLANK_LINES = re.compile(r"\n\s*\n")


def _plain_text_page(text: str, url: str) -> ExtractedPage:
    """text/plain (the crawler keeps it): blank-line separated blocks are the paragraphs."""
    paragraphs = [
        " ".join(block.split())
        for block in _BLANK_LINES.split(text.replace("\r\n", "\n"))
        if block.strip() and not is_consent_or_noise_paragraph(block)
    ]
    return ExtractedPage(
        text="\n".join(paragraphs),
        language=detect_language(" ".join(paragraphs)),
        paragraphs=paragraphs,
        url=url,
    )


def _trimmed(value: str | None) -> str | None:
    """What trafilatura's ``Document.clean_and_trim`` makes of a metadata string."""
    from trafilatura.utils import line_processing

    if not isinstance(value, str):
        return value
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value))


def _title_and_date(tree: object, url: str) -> tuple[str | None, str | None]:
    """Title and date as trafilatura's ``extract_metadata`` finds them (the same calls in the
    same order), without the fields we do not keep: author, site name, categories, tags and
    licence took a third of its time (issue 17). The date is a date the page states (meta
    tags, JSON-LD, the URL, ``<time>``, date patterns in the markup): htmldate's extensive
    search guessed "1 January" of any year the text mentions and was most of the step's time.
    """
    from trafilatura.metadata import (  # find_date: htmldate's, as trafilatura imports it
        examine_meta,
        extract_meta_json,
        extract_title,
        extract_url,
        find_date,
    )
    from trafilatura.settings import set_date_params

    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as exc:  # bugs in trafilatura's JSON-LD reader; it goes on without
        log.debug("JSON-LD metadata of %s: %s", url, exc)
    title = metadata.title or extract_title(tree)
    found_url = metadata.url or extract_url(tree, url)
    date = find_date(tree, **{**set_date_params(extensive=False), "url": found_url})
    return _trimmed(title), _trimmed(date)


@functools.cache
def _extractor_settings() -> Any:
    """trafilatura's settings for our extraction, built once per process: building them reads
    its configuration file's values anew (about 0.25 ms a page, issue 17)."""
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="python",
        recall=True,  # favor_recall
        dedup=False,
        comments=False,
        tables=True,
        with_metadata=False,  # _title_and_date, on pages with text only
    )


def _extractor_for(url: str) -> Any:
    """:func:`_extractor_settings` for one page: ``Extractor(..., url=url)`` sets exactly these
    two fields from the URL."""
    options = copy.copy(_extractor_settings())
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


def extract_page(body: bytes | str, url: str, content_type: str | None = None) -> ExtractedPage:
    """Extract one page; never raises on bad HTML (an unusable page is an empty page).

    ``text/plain`` is kept as it is (blank-line blocks become paragraphs); other non-HTML
    content types (PDF, images, JSON) give an empty page: feeding them to an HTML parser only
    produces noise. ``language`` comes
    from ``<html lang>`` / ``Content-Language`` when the page declares one, else from a small
    German/English stopword count over the extracted text. ``published`` is a date the page
    states (meta tags, JSON-LD, the URL, ``<time>``, date patterns in the markup), never a year
    that merely occurs in the text.
    """
    media = _media_type(content_type)
    if media == "text/plain":
        return _plain_text_page(decode_body(body, content_type), url)
    if media is not None and media not in HTML_CONTENT_TYPES:
        return ExtractedPage.empty(url)
    html = decode_body(body, content_type)
    if not html.strip():
        return ExtractedPage.empty(url)

    import trafilatura  # heavy; imported on first use
    from trafilatura.utils import load_html

    declared = _declared_language(html)
    try:
        tree = load_html(html)
        if tree is None:
            return ExtractedPage.empty(url, declared)
        _unwrap_layout_tables(tree)
        _strip_navigation(tree)
        result = trafilatura.bare_extraction(
            tree, url=url, prune_xpath=_CONSENT_XPATH, options=_extractor_for(url)
        )
        # bare_extraction worked on a copy: ``tree`` is what its metadata step would have read
        title, date = _title_and_date(tree, url) if result is not None else (None, None)
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        log.warning("extraction failed for %s: %s", url, exc)
        result = None
    if result is None:
        return ExtractedPage.empty(url, declared)
    raw_text = result.text or ""
    paragraphs = [
        line.strip()
        for line in raw_text.splitlines()
        if line.strip() and not is_consent_or_noise_paragraph(line)
    ]
    text = "\n".join(paragraphs)
    language = declared or detect_language(text)
    return ExtractedPage(
        text=text,
        title=(title or "").strip() or None,
        published=_parse_date(date),
        language=language,
        paragraphs=paragraphs,
        url=url,
    )


def extract_site(
    pages: Sequence[tuple[bytes | str | None, str, str | None]], min_share: float = 0.6
) -> list[ExtractedPage]:
    """One site's pages as (body, url, content type), extracted and cleaned of the site's
    repeated boilerplate, in the same order: the unit of work of the extraction step."""
    extracted = [extract_page(body or b"", url, content_type) for body, url, content_type in pages]
    return remove_site_boilerplate(extracted, min_share)
