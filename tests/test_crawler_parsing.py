"""Pure crawler rules on HtmlResponse objects built from fixture files (no reactor)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from clusterradar.crawler import pagescan, registry, site
from clusterradar.crawler.middlewares import (
    PrivateAddressMiddleware,
    PrivateAddressRefused,
    PrivateAddressResolved,
    PublicAddressResolver,
    refusal_of,
)
from clusterradar.crawler.settings import scrapy_settings

WEB = Path(__file__).parent / "fixtures" / "web"
PORTAL = WEB / "portal"
BASE = "https://www.clusterplattform.de"
FORM = "/SiteGlobals/CLUSTER/Forms/Suche/Clustersuche/Clustersuche_Formular.html"


def response_of(path: Path, url: str) -> HtmlResponse:
    return HtmlResponse(
        url, body=path.read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"}
    )


# --- registry --------------------------------------------------------------------------------
def test_start_page_links_to_the_search_form_with_jsessionid_noise():
    page = response_of(
        PORTAL / "CLUSTER/Navigation/DE/Home/home.html",
        BASE + "/CLUSTER/Navigation/DE/Home/home.html",
    )
    urls = registry.search_form_urls(page)
    assert urls and all(FORM in u for u in urls)
    assert ";jsessionid=" in urls[0]  # stripped by the spider, not hidden by the parser
    assert not registry.is_hit_list(page)


def test_hit_list_yields_profiles_paging_and_reported_total():
    page = registry.parse_hit_list(response_of(PORTAL / FORM.lstrip("/"), BASE + FORM))
    assert [name for _, name in page.profiles] == [
        "Aerospace Hub Bayern e.V.",
        "Cyber Security Cluster Bonn",
        "Maritimes Cluster Norddeutschland",
        "Photonik Netzwerk Thüringen",
    ]
    assert all("/CLUSTER/Redaktion/DE/Cluster/" in url for url, _ in page.profiles)
    assert page.next_pages == [BASE + FORM + "?gtp=5946_list%3D2"]
    assert page.reported_total == 7
    assert page.failures == []


def test_hit_list_reports_entries_without_a_link_and_reads_thousands_separators():
    page = registry.parse_hit_list(
        response_of(WEB / "registry_pages/hitlist_broken.html", BASE + FORM)
    )
    assert [name for _, name in page.profiles] == ["Gutes Netzwerk"]
    assert len(page.failures) == 1 and "list entry 2" in page.failures[0]
    assert page.reported_total == 1234


def test_profile_yields_a_complete_registry_entry():
    path = PORTAL / "CLUSTER/Redaktion/DE/Cluster/maritimes-cluster-norddeutschland.html"
    entry = registry.parse_profile(
        response_of(
            path,
            BASE
            + "/CLUSTER/Redaktion/DE/Cluster/maritimes-cluster-norddeutschland.html"
            + ";jsessionid=AB12",
        )
    )
    assert isinstance(entry, registry.RegistryEntry)
    assert entry.name == "Maritimes Cluster Norddeutschland"
    assert entry.bundeslaender == ["hamburg", "niedersachsen", "schleswig-holstein", "bremen"]
    assert entry.technologiefelder == ["Maritime Wirtschaft"]
    assert entry.foerdermassnahmen == ["go-cluster"] and entry.go_cluster
    assert entry.website == "http://www.maritimes-cluster.example/"
    assert (
        entry.profile_url
        == BASE + "/CLUSTER/Redaktion/DE/Cluster/maritimes-cluster-norddeutschland.html"
    )


def test_profile_values_without_lists_are_split_and_unknown_laender_dropped():
    entry = registry.parse_profile(
        response_of(
            WEB / "registry_pages/profile_plain_values.html", BASE + "/CLUSTER/Redaktion/DE/x.html"
        )
    )
    assert isinstance(entry, registry.RegistryEntry)
    assert entry.name == "Netzwerk Schleswig-Holstein"
    assert entry.bundeslaender == ["schleswig-holstein", "hamburg"]
    assert entry.technologiefelder == ["Maritime Wirtschaft"]
    assert entry.website == "https://www.netzwerk-sh.example"
    assert not entry.go_cluster


def test_profile_in_an_unknown_layout_is_a_parse_failure_not_an_empty_entry():
    result = registry.parse_profile(
        response_of(
            WEB / "registry_pages/profile_no_facts.html", BASE + "/CLUSTER/Redaktion/DE/y.html"
        )
    )
    assert isinstance(result, registry.ParseFailure)
    assert "cluster-facts" in result.reason


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Baden-Württemberg", "baden-wuerttemberg"),
        ("Thüringen", "thueringen"),
        ("bayern", "bayern"),
        ("Atlantis", None),
    ],
)
def test_bundesland_names_become_registry_slugs(name, slug):
    assert registry.bundesland_slug(name) == slug


# --- site rules ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "title", "kind"),
    [
        ("https://x.de/", None, "home"),
        ("https://x.de/de/", None, "home"),
        ("https://x.de/ueber-uns/", None, "about"),
        ("https://x.de/verein/wer-wir-sind.html", None, "about"),
        ("https://x.de/themen/drohnen", None, "topics"),
        ("https://x.de/schwerpunkte.html", None, "topics"),
        ("https://x.de/arbeitsgruppen/", None, "groups"),
        ("https://x.de/ag/resilienz", None, "groups"),
        ("https://x.de/projekte/", None, "projects"),
        ("https://x.de/mitglieder/", None, "members"),
        ("https://x.de/aktuelles/2025/", None, "news"),
        ("https://x.de/seite-17.html", "Über uns – Netzwerk", "about"),
        ("https://x.de/impressum.html", "Impressum", "other"),
    ],
)
def test_page_kind_is_judged_from_url_then_title(url, title, kind):
    assert site.page_kind(url, title) == kind


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://x.de/downloads/bericht.PDF", "binary"),
        ("https://x.de/bild.jpg", "binary"),
        ("https://x.de/login/", "login"),
        ("https://x.de/wp-admin/", "login"),
        ("https://x.de/kalender/2026-03/", "calendar"),
        ("https://x.de/events/?month=2026-03", "calendar"),
        ("https://x.de/suche?q=drohne", "search"),
        ("https://x.de/?s=drohne", "search"),
        ("https://x.de/ueber-uns/", None),
        ("https://x.de/themen/index.html", None),
    ],
)
def test_binaries_logins_calendars_and_search_pages_are_skipped(url, reason):
    assert site.skip_reason(url) == reason


def test_describing_pages_are_fetched_before_news_and_the_rest():
    order = sorted(
        [
            "https://x.de/impressum",
            "https://x.de/aktuelles/",
            "https://x.de/ueber-uns/",
            "https://x.de/themen/",
        ],
        key=lambda u: -site.link_priority(u, 1),
    )
    assert order == [
        "https://x.de/ueber-uns/",
        "https://x.de/themen/",
        "https://x.de/aktuelles/",
        "https://x.de/impressum",
    ]
    assert site.link_priority("https://x.de/ueber-uns/", 3) < site.link_priority(
        "https://x.de/ueber-uns/", 1
    )


def test_scope_is_scheme_and_www_insensitive_and_path_aware_on_shared_hosts():
    scope = site.scope_of("http://www.x.de/")
    assert scope.contains("https://x.de/themen/") and scope.contains("http://www.x.de/a")
    assert not scope.contains("https://y.de/") and not scope.contains("https://sub.x.de/")
    shared = site.scope_of("https://bayern-innovativ.example/leistungen/sicherheit/cybersecurity")
    assert shared.contains(
        "https://bayern-innovativ.example/leistungen/sicherheit/cybersecurity/ag"
    )
    assert not shared.contains("https://bayern-innovativ.example/leistungen/sicherheit/techhub-svi")
    assert site.scope_of("https://x.de/de/home.html").path_prefix == "de"


def test_crawl_key_treats_url_noise_as_the_same_page():
    key = site.crawl_key("https://www.x.de/ueber-uns/")
    for variant in (
        "http://x.de/ueber-uns",
        "https://x.de/ueber-uns/index.html",
        "https://x.de/ueber-uns/;jsessionid=ABC?utm_source=nl",
    ):
        assert site.crawl_key(variant) == key
    assert site.crawl_key("https://x.de/a?b=1&c=2") == site.crawl_key("https://x.de/a?c=2&b=1")
    assert site.crawl_key("https://x.de/a?page=2") != site.crawl_key("https://x.de/a?page=3")


def test_charset_header_beats_meta_and_a_bom_beats_both():
    latin1 = (WEB / "good/latin1.html").read_bytes()
    text = site.decode_body("text/html; charset=iso-8859-1", latin1)
    assert "Gründung 2009 in Würzburg" in text and "Fördermaßnahme" in text
    bom = (WEB / "good/bom.html").read_bytes()
    assert "§ 2 Zweck des Vereins: Förderung" in site.decode_body(
        "text/html; charset=iso-8859-1", bom
    )


def test_javascript_only_page_has_no_visible_text_but_a_consent_page_has():
    assert not pagescan.has_visible_text((WEB / "jsonly/index.html").read_text(encoding="utf-8"))
    consent = (WEB / "good/consent.html").read_text(encoding="utf-8")
    assert pagescan.has_visible_text(consent) and "Bundeswehr" in site.visible_text(consent)


def test_links_are_extracted_from_malformed_html():
    text = (WEB / "good/kaputt.html").read_text(encoding="utf-8")
    links = dict(pagescan.extract_links("http://x.de/kaputt.html", text))
    assert "http://x.de/projekte/" in links
    assert site.clean_link("http://x.de/", "mailto:a@b.de") is None
    assert site.clean_link("http://x.de/a/", "../b;jsessionid=1#top") == "http://x.de/b"


def test_outcome_prefers_any_page_with_text_then_the_seed_failure_then_empty():
    failure = site.SeedFailure("timeout", "slow")
    assert site.decide_outcome(1, 1, failure) == ("ok", None)
    assert site.decide_outcome(0, 0, failure) == ("timeout", "slow")
    assert site.decide_outcome(0, 2, None)[0] == "empty"
    assert site.decide_outcome(0, 0, None)[0] == "http_error"


def test_private_and_loopback_hosts_are_refused_unless_allowed():
    refuse = PrivateAddressMiddleware(allow_private=False)
    for url in (
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://api.localhost/",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://127.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0.0.0.0/",
    ):
        with pytest.raises(PrivateAddressRefused):
            refuse.process_request(Request(url))
    assert refuse.process_request(Request("http://93.184.216.34/")) is None
    assert (
        PrivateAddressMiddleware(allow_private=True).process_request(Request("http://127.0.0.1/"))
        is None
    )


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://x.de/", True),
        ("http://127.0.0.1:8000/a", True),
        ("https://exa:mple/", False),
        ("ftp://x.de/", False),
        ("https:///nohost", False),
        ("https://x .de/", False),
    ],
)
def test_only_http_urls_with_a_host_are_usable_websites(url, usable):
    assert site.usable_website(url) is usable


def test_the_private_address_check_never_does_dns_on_scrapys_thread(monkeypatch):
    """Names are checked by the resolver where Twisted connects (thread pool, no TOCTOU)."""

    def no_dns(*args, **kwargs):
        raise AssertionError("DNS lookup on the calling thread")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_dns)
    refuse = PrivateAddressMiddleware(allow_private=False)
    assert refuse.process_request(Request("http://slow-dns.example/")) is None
    with pytest.raises(PrivateAddressRefused):
        refuse.process_request(Request("http://2130706433/"))


def test_the_resolver_refuses_non_public_results_and_remembers_why():
    with pytest.raises(PrivateAddressResolved):
        PublicAddressResolver._refuse_private("10.0.0.7", "intranet.example")
    assert (
        refusal_of("INTRANET.example.")
        == "intranet.example resolves to non-public address 10.0.0.7"
    )
    assert PublicAddressResolver._refuse_private("93.184.216.34", "x.example") == "93.184.216.34"
    assert refusal_of("x.example") is None


def test_scrapy_settings_are_polite_by_default():
    from clusterradar.settings import PROJECT_URL, CrawlSettings

    built = scrapy_settings(CrawlSettings(), allow_private=False)
    assert built["ROBOTSTXT_OBEY"] is True
    assert PROJECT_URL in built["USER_AGENT"] and "clusterradar" in built["USER_AGENT"]
    assert built["AUTOTHROTTLE_ENABLED"] is True
    assert 1 <= built["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2
    assert 0 < built["DOWNLOAD_MAXSIZE"] <= 50 * 1024 * 1024
    assert 0 < built["DOWNLOAD_TIMEOUT"] <= 60
    assert built["RETRY_ENABLED"] and 0 < built["RETRY_TIMES"] <= 3
    assert built["COOKIES_ENABLED"] is False and built["TELNETCONSOLE_ENABLED"] is False
    assert built["TWISTED_DNS_RESOLVER"].endswith("middlewares.PublicAddressResolver")
    assert built["CLUSTERRADAR_ALLOW_PRIVATE"] is False


def test_only_a_received_signal_makes_a_crawl_interrupted():
    from clusterradar.crawler.process import EXIT_FAILED, EXIT_INTERRUPTED, exit_code

    assert exit_code("finished", signalled=False) == 0
    assert exit_code("start_error", signalled=False) == EXIT_FAILED
    assert exit_code(None, signalled=False) == EXIT_FAILED
    assert exit_code("shutdown", signalled=True) == EXIT_INTERRUPTED


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://127.0.0.1:8001/a/b.html", "http://127.0.0.1:8001/a/b.html"),
        ("HTTP://X.de/p.html;jsessionid=ABC.live1?view=renderPrint#top", "http://x.de/p.html"),
        ("https://x.de/liste?gtp=1_list%3D2&view=renderPrint", "https://x.de/liste?gtp=1_list%3D2"),
        ("http://x.de", "http://x.de/"),
    ],
)
def test_stored_urls_keep_the_scheme_and_lose_only_session_noise(url, stored):
    assert site.stored_url(url) == stored


def test_pdf_links_are_fetched_only_with_capture_pdf():
    assert site.skip_reason("https://x.de/bericht.pdf") == "binary"
    assert site.skip_reason("https://x.de/bericht.pdf", capture_pdf=True) is None
    assert site.skip_reason("https://x.de/bild.jpg", capture_pdf=True) == "binary"
