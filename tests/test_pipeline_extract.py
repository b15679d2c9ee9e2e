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
