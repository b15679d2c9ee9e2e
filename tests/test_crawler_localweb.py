"""The offline test web: distinct sites on loopback, placeholders, hostile routes."""

from __future__ import annotations

import email.utils
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from clusterradar.crawler.localweb import LocalWeb

WEB = Path(__file__).parent / "fixtures" / "web"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str] | None = None, follow: bool = True):
    """(status, headers, body) without raising on 3xx/4xx/5xx."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def web():
    with LocalWeb({"good": WEB / "good", "loop": WEB / "loop", "offsite": WEB / "offsite"}) as w:
        yield w


def test_each_site_gets_its_own_port_and_placeholders_become_base_urls(web):
    assert web.url("good") != web.url("loop")
    assert web.url("good").startswith("http://127.0.0.1:") and not web.url("good").endswith("/")
    status, _, body = fetch(web.url("good") + "/sitemap.xml")
    assert status == 200 and f"{web.url('good')}/nur-in-sitemap.html".encode() in body
    status, headers, _ = fetch(web.url("offsite") + "/", follow=False)
    assert status == 301 and headers["Location"] == web.url("good") + "/"


def test_files_are_served_by_path_ignoring_jsessionid(web):
    status, headers, body = fetch(web.url("good") + "/ueber-uns/;jsessionid=ABC123")
    assert status == 200 and "text/html" in headers["Content-Type"] and "Über uns".encode() in body
    status, headers, _ = fetch(web.url("good") + "/themen", follow=False)
    assert status == 301 and headers["Location"] == "/themen/"
    assert fetch(web.url("good") + "/fehlt.html")[0] == 404
    assert fetch(web.url("good") + "/_site.yaml")[0] == 404


def test_routes_set_charset_content_type_and_redirect_loops(web):
    status, headers, body = fetch(web.url("good") + "/latin1.html")
    assert headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert "Würzburg".encode("iso-8859-1") in body
    assert fetch(web.url("good") + "/bericht.html")[1]["Content-Type"] == "application/pdf"
    status, headers, _ = fetch(web.url("loop") + "/loop", follow=False)
    assert status == 302 and headers["Location"] == "/loop"


def test_etag_and_last_modified_answer_conditional_requests_with_304(web):
    url = web.url("good") + "/themen/"
    _, headers, _ = fetch(url)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    assert fetch(url, {"If-Modified-Since": email.utils.formatdate(0, usegmt=True)})[0] == 200


def test_robots_text_and_endless_calendar(web):
    assert b"Disallow: /intern/" in fetch(web.url("good") + "/robots.txt")[2]
    body = fetch(web.url("good") + "/kalender/2026-12/")[2]
    assert b'href="/kalender/2027-01/"' in body and b'href="/kalender/2026-11/"' in body


def test_big_route_streams_without_content_length(web):
    with urllib.request.urlopen(web.url("good") + "/riesig.html", timeout=5) as r:
        assert r.headers.get("Content-Length") is None
        assert len(r.read(2 * 1024 * 1024)) == 2 * 1024 * 1024


def test_offline_site_refuses_connections_and_comes_back_on_the_same_port(tmp_path):
    (tmp_path / "index.html").write_text("<p>hallo</p>", encoding="utf-8")
    with LocalWeb({"site": tmp_path}) as w:
        url = w.url("site") + "/"
        w.set_offline("site", True)
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)
        w.set_offline("site", False)
        assert fetch(url)[0] == 200 and w.url("site") + "/" == url
