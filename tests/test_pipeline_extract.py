"""Extraction of realistic cluster-website pages, charsets, language and site boilerplate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clusterradar.pipeline.boilerplate import is_consent_or_noise_paragraph
from clusterradar.pipeline.extract import (
    ExtractedPage,
    decode_body,
    extract_page,
    remove_site_boilerplate,
)
from clusterradar.pipeline.language import detect_language

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"


def _page(path: str, url: str = "https://cluster.example/", content_type: str = "text/html"):
    return extract_page((FIXTURES / path).read_bytes(), url, content_type)


def _site(folder: str) -> list[ExtractedPage]:
    return [
        extract_page(p.read_bytes(), f"https://{folder}.example/{p.stem}", "text/html")
        for p in sorted((FIXTURES / folder).glob("*.html"))
    ]


def test_main_text_keeps_content_and_drops_navigation_footer_and_cookie_box():
    page = _page("site_wehrtechnik/index.html")
    assert "vernetzt mehr als 120 Unternehmen" in page.text
    assert "BAAINBw" in page.text
    assert "Cookies" not in page.text
    assert "Alle akzeptieren" not in page.text
    assert "Musterstraße 12" not in page.text  # footer
    assert "Startseite" not in page.text  # navigation
    assert page.language == "de"
    assert page.title == "Cluster Sicherheitstechnologie Süd"
    assert page.text == "\n".join(page.paragraphs)


def test_consent_manager_box_inside_main_content_is_pruned():
    page = _page("pages/consent_borlabs.html")
    assert "Elektromobilität" in page.text
    assert "Privatsphäre" not in page.text
    assert "Drittländern" not in page.text


def test_page_wrapper_with_a_cookie_state_class_is_not_mistaken_for_a_banner():
    html = (
        "<html lang='de'><body><div id='page' class='site cookies-accepted'>"
        "<main><h1>Cluster Wasserstoff Nord</h1><p>Der Cluster vernetzt Elektrolyseur-Hersteller,"
        " Netzbetreiber und Häfen entlang der Küste und fördert gemeinsame Pilotprojekte für"
        " grünen Wasserstoff.</p></main></div></body></html>"
    )
    page = extract_page(html, "https://h2-nord.example/")
    assert "Elektrolyseur-Hersteller" in page.text


def test_consent_banner_without_telltale_markup_is_filtered_by_its_wording():
    page = _page("pages/consent_overlay.html")
    assert "Diagnostikgeräten" in page.text
    assert "Cookies" not in page.text
    assert "akzeptieren" not in page.text
    # "Tracking" in real content is kept: one consent word in a long paragraph is not a banner.
    assert "Tracking von Sterilgut" in page.text


def test_member_table_is_kept_as_text_without_markdown_rule_lines():
    page = _page("site_wehrtechnik/mitglieder.html")
    assert "Helsing GmbH" in page.text
    assert "Universität der Bundeswehr München" in page.text
    assert not any(set(p) <= set("|-: ") for p in page.paragraphs)


def test_iso_8859_1_page_declared_in_meta_is_decoded_and_layout_table_unwrapped():
    page = _page("pages/latin1.html", content_type="text/html")
    assert "Sägewerken, Möbelherstellern" in page.text
    assert "Herr Weiß" in page.text
    assert "\ufffd" not in page.text
    assert page.paragraphs[0] == "Über uns"
    assert not any(p.startswith("|") for p in page.paragraphs)


def test_charset_precedence_is_bom_then_header_then_meta():
    text = "<html><head><meta charset='iso-8859-1'></head><body>Größe</body></html>"
    utf8 = text.encode("utf-8")
    latin = text.encode("iso-8859-1")
    assert "Größe" in decode_body(latin)  # meta only
    assert "Größe" in decode_body(utf8, "text/html; charset=utf-8")  # header beats meta
    assert "Größe" in decode_body(b"\xef\xbb\xbf" + utf8, "text/html; charset=iso-8859-1")  # BOM
    assert "Größe" not in decode_body(utf8, "text/html; charset=iso-8859-1")  # header wins


def test_javascript_only_page_is_empty():
    page = _page("pages/js_only.html")
    assert page.text == ""
    assert page.paragraphs == []


def test_english_page_without_lang_attribute_is_detected_as_english():
    page = _page("pages/english.html", url="https://photonics-north.example/en/about")
    assert page.language == "en"
    assert "optical technologies" in page.text


def test_declared_html_lang_wins_over_text_heuristic():
    html = "<html lang='en-GB'><body><main><p>" + "Der Cluster und die Mitglieder. " * 10
    assert extract_page(html + "</p></main></body></html>", "https://x.example/").language == "en"


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json"])
def test_non_html_content_types_give_an_empty_page(content_type):
    page = extract_page(
        b"%PDF-1.7 Bundeswehr Verteidigung", "https://x.example/a.pdf", content_type
    )
    assert page.text == "" and page.paragraphs == []


def test_plain_text_is_kept_with_blank_line_blocks_as_paragraphs():
    body = "Cluster Wehrtechnik Nord\r\n\r\nWir vernetzen Zulieferer\r\nder Bundeswehr.\n".encode(
        "iso-8859-1"
    )
    page = extract_page(body, "https://x.example/info.txt", "text/plain; charset=iso-8859-1")
    assert page.paragraphs == [
        "Cluster Wehrtechnik Nord",
        "Wir vernetzen Zulieferer der Bundeswehr.",
    ]


def test_publication_date_comes_from_page_metadata():
    page = _page("site_wehrtechnik/ueber-uns.html")
    assert page.published == dt.date(2025, 9, 18)


def test_paragraph_repeated_on_most_pages_of_a_site_is_dropped():
    pages = _site("site_food")
    funding = "Gefördert durch das Staatsministerium"
    assert all(any(p.startswith(funding) for p in page.paragraphs) for page in pages)
    cleaned = remove_site_boilerplate(pages)
    assert not any(funding in page.text for page in cleaned)
    assert any("Lebensmittelsicherheit" in page.text for page in cleaned)
    assert [page.url for page in cleaned] == [page.url for page in pages]


def _made_up(paragraphs: list[str]) -> ExtractedPage:
    return ExtractedPage(text="\n".join(paragraphs), paragraphs=paragraphs)


def test_boilerplate_needs_three_pages_and_the_minimum_share():
    shared = "Newsletter: jeden Monat alles Neue aus dem Netzwerk."
    two = [_made_up([shared, "Seite eins."]), _made_up([shared, "Seite zwei."])]
    assert remove_site_boilerplate(two) == two
    four = [_made_up([shared, f"Seite {i}."]) for i in range(2)] + [
        _made_up([f"Seite {i}."]) for i in range(2, 4)
    ]
    assert all(shared in p.text for p in remove_site_boilerplate(four)[:2])  # 2/4 < 0.6
    assert all(shared not in p.text for p in remove_site_boilerplate(four, min_share=0.5))


@pytest.mark.parametrize(
    "paragraph",
    [
        "Alle akzeptieren",
        "Wir verwenden Cookies. Akzeptieren | Ablehnen",
        "Bitte aktivieren Sie JavaScript.",
    ],
)
def test_consent_and_javascript_notices_are_noise(paragraph):
    assert is_consent_or_noise_paragraph(paragraph)


def test_stopword_heuristic_tells_german_from_english_and_gives_up_on_too_little():
    assert (
        detect_language("Wir sind ein Netzwerk der Unternehmen und der Forschung in der Region")
        == "de"
    )
    assert detect_language("We are the network of the companies and research in the region") == "en"
    assert detect_language("Hensoldt GmbH") is None


MENU_ITEMS = {"Start", "Themen", "Arbeitsgruppen", "Aktuelles", "Mitglieder", "Kontakt", "Presse"}


def test_site_menu_kept_by_trafilatura_on_half_the_pages_never_reaches_the_text():
    """site_menu: trafilatura alone keeps the <nav> menu on the two short pages, not on the
    two long ones (2 of 4 pages: below the 0.6 share rule)."""
    pages = remove_site_boilerplate(_site("site_menu"))
    by_name = {page.url.rsplit("/", 1)[1]: page for page in pages}
    for name, page in by_name.items():
        leftovers = [p for p in page.paragraphs if p in MENU_ITEMS and p != page.paragraphs[0]]
        assert not leftovers, (name, page.paragraphs)
        assert "Netzwerk Sensorik Rhein-Main" not in page.paragraphs  # logo in <header>
        assert "Impressum" not in page.text and "Datenschutz" not in page.text  # <footer>
    assert by_name["aktuelles"].paragraphs == ["Aktuelles", "Drohnenabwehr-Tag am 12. März."]
    assert by_name["ueber-uns"].paragraphs[0] == "Über uns"  # its own heading stays
    assert "BAAINBw" in by_name["ueber-uns"].text
    assert "Sensorik für Sicherheit und Verteidigung" in by_name["themen"].paragraphs


def test_navigation_markup_is_removed_but_article_headers_and_content_link_lists_stay():
    html = """<html lang="de"><body>
    <div role="navigation"><a href="/">Startseite</a> <a href="/netzwerk/">Netzwerk</a></div>
    <div class="site-mainMenu"><ul><li><a href="/a/">Angebote</a></li>
      <li><a href="/b/">Veranstaltungen</a></li></ul></div>
    <ul><li><a href="/x/">Karriere</a></li><li><a href="/y/">Newsletter</a></li>
      <li><a href="/z/">Downloads</a></li></ul>
    <main><article><header><h1>Neue Arbeitsgruppe Verteidigung</h1>
      <p>Veröffentlicht am 3. November 2026</p></header>
      <p>Der Cluster gründet eine Arbeitsgruppe für Zulieferer der Bundeswehr. Sie soll kleine
      Unternehmen bei Ausschreibungen des BAAINBw unterstützen und Kontakte vermitteln.</p>
      <p>Unsere Themen im Überblick:</p>
      <ul><li><a href="/t/1">Sensorik</a></li><li><a href="/t/2">Robotik</a></li>
      <li><a href="/t/3">Werkstoffe</a></li></ul>
    </article></main></body></html>"""
    page = extract_page(html, "https://cluster.example/news/ag")
    for menu_word in ("Startseite", "Angebote", "Veranstaltungen", "Karriere", "Newsletter"):
        assert menu_word not in page.text
    assert "Neue Arbeitsgruppe Verteidigung" in page.text
    assert "BAAINBw" in page.text
    from trafilatura.utils import load_html

    from clusterradar.pipeline.extract import _strip_navigation

    tree = load_html(html)
    assert _strip_navigation(tree) == 3
    kept = " ".join(tree.itertext())
    assert "Robotik" in kept and "Veröffentlicht am" in kept  # content lists, article header


def test_run_of_short_lines_repeated_on_two_pages_is_a_menu_but_a_lone_heading_is_not():
    menu = ["Start", "Über uns", "Projekte", "Kontakt"]
    long_a = "Der Cluster vernetzt Hersteller von Leichtbau-Komponenten für Luftfahrt und Bahn."
    long_b = "Im Projekt ORBIT testen Mitglieder gedruckte Halterungen für Satelliten."
    long_c = "Die Arbeitsgruppe trifft sich viermal im Jahr bei wechselnden Mitgliedern."
    pages = [
        _made_up([*menu, long_b, "Satellitenbau im Fokus"]),
        _made_up([*menu, "Geschäftsstelle, Telefon 0711 1234"]),
        _made_up(
            [long_a, "Satellitenbau im Fokus", long_c, "Aktuelles", "Drohnenkorridor erprobt"]
        ),
        _made_up(["Aktuelles", "Drohnenkorridor erprobt", "Mitgliedschaft", "PDF-Antrag."]),
    ]
    cleaned = remove_site_boilerplate(pages)  # the menu is on 2 of 4 pages: below 0.6
    assert cleaned[0].paragraphs == [long_b, "Satellitenbau im Fokus"]
    assert cleaned[1].paragraphs == ["Geschäftsstelle, Telefon 0711 1234"]
    # a lone repeated heading, or a news title under its heading (2 lines), is not a menu
    assert cleaned[2].paragraphs == pages[2].paragraphs
    assert cleaned[3] is pages[3]
    two = [_made_up([*menu, long_a]), _made_up([*menu, long_b])]
    assert [p.paragraphs for p in remove_site_boilerplate(two)] == [[long_a], [long_b]]


def test_published_is_a_date_the_page_states_never_a_year_its_text_mentions():
    text = (
        "<p>Gegründet 1995 als Netzwerk der Zulieferer. Seit 2003 mit eigener Geschäftsstelle.</p>"
    )
    bare = (
        "<html lang='de'><head><title>Über uns</title></head>"
        f"<body><main>{text * 5}</main></body></html>"
    )
    stated = bare.replace(
        "<head>", "<head><meta property='article:published_time' content='2024-03-07'>"
    )
    assert extract_page(bare.encode(), "https://x.example/ueber-uns").published is None
    assert extract_page(stated.encode(), "https://x.example/ueber-uns").published == dt.date(
        2024, 3, 7
    )


def test_consent_word_precheck_knows_every_letter_ignorecase_folds_differently_from_lower():
    """The consent rule skips its regular expression when the lower-cased paragraph holds no
    consent word. That is only exact if str.lower() maps every character re's IGNORECASE
    matches to an ASCII letter onto that letter, except the ones the rule looks for itself."""
    import re
    import string
    import sys

    from clusterradar.pipeline.boilerplate import IGNORECASE_ONLY_LETTERS

    letter_class = re.compile("[a-z]", re.IGNORECASE)
    differ = set()
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or not letter_class.fullmatch(char):
            continue
        for letter in string.ascii_lowercase:
            if re.fullmatch(letter, char, re.IGNORECASE) and char.lower() != letter:
                differ.add(char)
    assert differ == set(IGNORECASE_ONLY_LETTERS)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Wir verwenden COOKIES und Tracking.",
        "Wir verwenden Cookıes und Trackıng.",  # dotless i
        "Ihre Einwilligung (Conſent) können Sie widerrufen.",  # long s
        "\u212aeine Cookies ohne Ihre Zustimmung",  # Kelvin sign
        "Alle Akzeptieren",
        "Privacy Settings",
        "Die Mitglieder entwickeln Sensorik für Luftfahrt und Verteidigung.",
        "Tracking-Systeme für die Logistik der Bundeswehr " + "und ihre Zulieferer " * 10,
    ],
)
def test_consent_rule_with_the_word_precheck_counts_what_the_full_search_counts(paragraph):
    from clusterradar.pipeline import boilerplate

    assert boilerplate._consent_hits(paragraph) == len(boilerplate._CONSENT.findall(paragraph))


def test_extraction_settings_built_once_equal_those_bare_extraction_builds_per_page():
    from trafilatura.settings import Extractor

    from clusterradar.pipeline.extract import _extractor_for

    url = "https://cluster.example/über-uns"
    per_page = Extractor(  # what bare_extraction(favor_recall=True, ...) builds from its arguments
        output_format="python",
        recall=True,
        comments=False,
        tables=True,
        dedup=False,
        url=url,
        with_metadata=False,
    )
    once = _extractor_for(url)
    assert _extractor_for("https://other.example/") is not once
    for name in Extractor.__slots__:
        assert getattr(once, name) == getattr(per_page, name), name


def test_navigation_nested_in_removed_navigation_counts_once_and_following_text_stays():
    html = """<html><body><header><nav class="menu"><ul><li><a href="/">Start</a></li>
      <li><a href="/a">Angebote</a></li><li><a href="/k">Kontakt</a></li></ul></nav></header>
      Text nach dem Kopf.<main><h1>Netzwerk</h1><p>Der Cluster vernetzt Zulieferer.</p></main>
      <footer role="contentinfo"><div class="footer-nav"><a href="/i">Impressum</a></div>
      </footer></body></html>"""
    from trafilatura.utils import load_html

    from clusterradar.pipeline.extract import _strip_navigation

    tree = load_html(html)
    assert _strip_navigation(tree) == 2  # the <header> and the <footer>, not what they hold
    kept = " ".join(" ".join(tree.itertext()).split())
    assert "Start" not in kept and "Impressum" not in kept
    assert "Text nach dem Kopf." in kept and "Der Cluster vernetzt Zulieferer." in kept
