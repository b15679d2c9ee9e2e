"""URL normalisation and website matching shared by crawler, registry matching and evaluate."""

from clusterradar.urls import (
    host_key,
    match_website,
    normalise_name,
    normalise_url,
    same_site,
    slugify,
)


def test_normalise_url_strips_jsessionid_print_flag_and_forces_https():
    url = "http://www.clusterplattform.de/CLUSTER/Navigation/DE/Home/home.html;jsessionid=0123456789ABCDEF0123456789ABCDEF?view=renderPrint#top"
    assert (
        normalise_url(url) == "https://www.clusterplattform.de/CLUSTER/Navigation/DE/Home/home.html"
    )


def test_normalise_url_keeps_other_query_parameters_and_ports():
    assert normalise_url("http://127.0.0.1:8081/suche?gtp=1_list%3D2") == (
        "https://127.0.0.1:8081/suche?gtp=1_list%3D2"
    )


def test_host_key_is_www_and_scheme_insensitive():
    assert (
        host_key("http://www.Photonicsbw.de/")
        == host_key("https://photonicsbw.de")
        == "photonicsbw.de"
    )
    assert same_site("https://www.x.de/a", "http://x.de/b")
    assert not same_site("https://x.de", "https://y.de")


def test_match_website_prefers_longest_path_on_shared_hosts():
    websites = [
        ("bayern-innovativ", "https://www.bayern-innovativ.de"),
        ("cyber", "https://www.bayern-innovativ.de/leistungen/sicherheit/cybersecurity"),
        ("techhub", "https://www.bayern-innovativ.de/leistungen/sicherheit/techhub-svi"),
        ("optecbb", "https://optecbb.de/index.html"),
    ]
    assert (
        match_website("http://bayern-innovativ.de/leistungen/sicherheit/techhub-svi/news", websites)
        == "techhub"
    )
    assert (
        match_website(
            "https://www.bayern-innovativ.de/leistungen/sicherheit/cybersecurity/", websites
        )
        == "cyber"
    )
    assert (
        match_website("https://www.bayern-innovativ.de/ueber-uns", websites) == "bayern-innovativ"
    )
    assert match_website("https://www.optecbb.de/", websites) == "optecbb"
    assert match_website("https://example.org/", websites) is None


def test_match_website_does_not_match_partial_path_segments():
    websites = [("a", "https://host.de/sicherheit")]
    assert match_website("https://host.de/sicherheitsforschung", websites) is None


def test_normalise_name_drops_legal_forms_and_punctuation():
    assert normalise_name("Silicon Saxony e. V.") == "silicon saxony"
    assert normalise_name("CAST e.V.") == normalise_name("cast")


def test_slugify_transliterates_umlauts():
    assert slugify("Rüstungscluster Niedersachsen") == "ruestungscluster-niedersachsen"
    assert slugify("  ") == "cluster"
