"""An offline web of distinct sites on 127.0.0.1, for tests, the demo and benchmarks.

Each site is a directory served by its own ``ThreadingHTTPServer`` on an OS-assigned port, so
distinct ports are distinct sites (the crawler treats ``127.0.0.1:A`` and ``127.0.0.1:B`` as two
hosts)::

    with LocalWeb({"portal": Path("tests/fixtures/web/portal"), "acme": Path("...")}) as web:
        web.url("portal")            # 'http://127.0.0.1:43121' (no trailing slash)
        web.set_offline("acme", True)  # its port now refuses connections
        web.set_offline("acme", False) # and serves again on the same port
        web.requests("acme")           # Counter of the paths asked so far (query included)

Serving rules
-------------
* Files are served by path: ``/`` -> ``index.html``, ``/a/`` -> ``a/index.html``; a directory
  requested without its slash is redirected (301) to it. ``;jsessionid=...`` (any ``;param``)
  in a path segment is ignored for the lookup; the query string is ignored unless a route
  matches it (below). Missing files answer 404.
* ``/sitemap.xml`` of a site with ``etag: true`` (or ``sitemap: true``) and no such file or
  route is generated: every ``.html``/``.htm`` file (``a/index.html`` as ``/a/``) with a
  ``<lastmod>`` of the file's modification time, the same second its ``Last-Modified`` header
  gives; so touching a file moves both. ``sitemap: false`` turns it off.
* Content type by extension (``.html`` -> ``text/html; charset=utf-8``, ``.xml``, ``.txt``,
  ``.pdf``, ...).
* In text files (``.html .htm .xml .txt``) every ``{{site:NAME}}`` is replaced at serve time by
  that site's base URL (so pages link to sites whose ports are dynamic). The replacement works on
  bytes, so files in any ASCII-compatible charset (ISO-8859-1 included) are safe. An unknown
  NAME becomes ``http://127.0.0.1:1`` (connection refused).

``_site.yaml`` (optional, in the site directory; never served)
----------------------------------------------------------------
::

    etag: true            # send ETag + Last-Modified; answer If-None-Match /
                          # If-Modified-Since with 304 Not Modified
    sitemap: true         # generate /sitemap.xml with <lastmod> (default: the value of etag)
    robots: "User-agent: *\\nDisallow: /intern/"   # /robots.txt (else the file, else 404)
    routes:               # first match wins; matched before files
      - {path: /loop, redirect: /loop}                  # redirect (302 unless `status` given)
      - {path: /old, redirect: "{{site:other}}/", status: 301}   # redirect to another site
      - {path: /err, status: 500}                       # error status with a small HTML body
      - {path: /slow, delay: 30}                        # sleep, then serve normally (timeouts)
      - {path: /big, size_mb: 50}                       # stream 50 MB of HTML, no Content-Length
      - {path: /latin1.html, file: latin1.html, charset: iso-8859-1}  # file + header charset
      - {path: /doc.html, file: report.pdf, content_type: application/pdf}
      - {path: "/Suche/Formular.html?gtp=5_list%3D2", file: Suche/page2.html}  # path + query
      - {path_prefix: /kalender/, calendar: true}       # endless generated month pages
      - {path_prefix: /trap/, links: 100000}            # each page links 100k new trap pages
      - {path_prefix: /loris/, trickle: 0.5}            # slow loris: 1 byte every 0.5 s, forever
      - {path: /x, status: 304, headers: {X-Test: "1"}, body: "<p>...</p>"}

Route keys: ``path`` (exact; when it contains ``?`` the query must match too, compared after
percent-decoding) or ``path_prefix``; actions ``delay`` (seconds, applied first and combined
with any other action), ``redirect`` (+ optional ``status``), ``status`` (+ optional
``body``), ``size_mb`` (+ optional ``content_length: true`` to announce the size up front),
``calendar``, ``links`` (a page of N links to N new pages below the requested path, all of which
match the route again: a link trap), ``trickle`` (HTML headers at once, then one byte every so
many seconds until the client gives up: a slow-loris page), ``file`` (+ optional ``charset``,
``content_type``), and ``headers`` for any of them.

Run it by hand: ``python -m clusterradar.crawler.localweb DIR [DIR ...]`` (site names are the
directory names).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import mimetypes
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import yaml

TEXT_SUFFIXES = {".html", ".htm", ".xml", ".txt"}
_PLACEHOLDER = re.compile(rb"\{\{site:([A-Za-z0-9_.-]+)\}\}")
_DEAD_URL = "http://127.0.0.1:1"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".pdf": "application/pdf",
}
_TRAP_LINKS: dict[int, bytes] = {}  # link trap blocks by link count (built once per count)
_CHUNK = b"<p>" + b"Padding text for a very large page. " * 28 + b"</p>\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Site:
    """One served directory with its parsed ``_site.yaml``."""

    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"site {name!r}: {root} is not a directory")
        config_path = self.root / "_site.yaml"
        self.config: dict[str, Any] = {}
        if config_path.is_file():
            self.config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        self.routes: list[dict[str, Any]] = list(self.config.get("routes") or [])
        self.sitemap = bool(self.config.get("sitemap", self.config.get("etag", False)))
        self.asked: Counter[str] = Counter()  # requests per path (query included)
        self.asked_lock = threading.Lock()
        self.port = 0
        self.server: _Server | None = None
        self.thread: threading.Thread | None = None

    def match(self, raw_path: str) -> dict[str, Any] | None:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        full = unquote(parts.path + ("?" + parts.query if parts.query else ""))
        for route in self.routes:
            if "path" in route:
                wanted = unquote(str(route["path"]))
                if ("?" in wanted and wanted == full) or ("?" not in wanted and wanted == path):
                    return route
            elif "path_prefix" in route and path.startswith(str(route["path_prefix"])):
                return route
        return None


class LocalWeb:
    """Serves each directory in ``sites`` as its own site on 127.0.0.1 (see module docstring)."""

    def __init__(self, sites: Mapping[str, Path | str]):
        self._sites = {name: _Site(name, Path(root)) for name, root in sites.items()}
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> LocalWeb:
        if not self._started:
            for site in self._sites.values():
                self._serve(site)
            self._started = True
        return self

    def __enter__(self) -> LocalWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop every site (idempotent)."""
        for site in self._sites.values():
            self._close(site)
        self._started = False

    def url(self, name: str) -> str:
        """Base URL of a site, e.g. ``http://127.0.0.1:43121`` (no trailing slash)."""
        site = self._sites[name]
        return f"http://127.0.0.1:{site.port}" if site.port else _DEAD_URL

    @property
    def names(self) -> list[str]:
        return list(self._sites)

    def requests(self, name: str) -> Counter[str]:
        """How often each path (with its query) of a site was requested so far (a copy)."""
        site = self._sites[name]
        with site.asked_lock:
            return Counter(site.asked)

    def reset_requests(self, name: str | None = None) -> None:
        """Forget the request counts of one site (all sites when None)."""
        for site in [self._sites[name]] if name else self._sites.values():
            with site.asked_lock:
                site.asked.clear()

    def set_offline(self, name: str, offline: bool = True) -> None:
        """Close a site's port (connections are refused) or reopen it on the same port."""
        site = self._sites[name]
        if offline:
            self._close(site)
        elif site.server is None:
            self._serve(site)

    # -- internals -----------------------------------------------------------------------
    def _serve(self, site: _Site) -> None:
        handler = type(f"Handler_{site.name}", (_Handler,), {"site": site, "web": self})
        server = _Server(("127.0.0.1", site.port), handler)
        site.port = server.server_address[1]
        site.server = server
        site.thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # quick stop()/set_offline()
            name=f"localweb-{site.name}",
            daemon=True,
        )
        site.thread.start()

    def _close(self, site: _Site) -> None:
        if site.server is not None:
            site.server.shutdown()
            site.server.server_close()
            site.server = None

    def substitute(self, data: bytes) -> bytes:
        """Replace ``{{site:NAME}}`` by base URLs (bytes in, bytes out)."""

        def replace(match: re.Match[bytes]) -> bytes:
            name = match.group(1).decode("ascii")
            return (self.url(name) if name in self._sites else _DEAD_URL).encode("ascii")

        return _PLACEHOLDER.sub(replace, data)


class _Handler(BaseHTTPRequestHandler):
    site: _Site
    web: LocalWeb
    server_version = "clusterradar-localweb/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests assert on the warehouse, not on server logs."""

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    # -- dispatch ------------------------------------------------------------------------
    def _respond(self, head: bool) -> None:
        with self.site.asked_lock:
            self.site.asked[self.path] += 1
        try:
            route = self.site.match(self.path)
            if route is not None:
                self._route(route, head)
                return
            path = urlsplit(self.path).path
            if path == "/robots.txt" and "robots" in self.site.config:
                body = self.web.substitute(str(self.site.config["robots"]).encode("utf-8"))
                self._send(200, body, "text/plain; charset=utf-8", head=head)
                return
            if (
                path == "/sitemap.xml"
                and self.site.sitemap
                and not (self.site.root / "sitemap.xml").is_file()
            ):
                self._send(200, self._sitemap(), "application/xml", head=head)
                return
            self._file(self._lookup(path), head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _lookup(self, path: str) -> Path | None:
        segments = [unquote(s.split(";", 1)[0]) for s in path.split("/")]
        relative = "/".join(s for s in segments if s)
        target = (self.site.root / relative).resolve()
        if not target.is_relative_to(self.site.root) or target.name == "_site.yaml":
            return None
        if target.is_dir():
            if not path.endswith("/"):
                self._redirect(301, path + "/")
                return None
            target = target / "index.html"
        return target if target.is_file() else None

    def _route(self, route: dict[str, Any], head: bool) -> None:
        headers = {str(k): str(v) for k, v in (route.get("headers") or {}).items()}
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        if "redirect" in route:
            target = self.web.substitute(str(route["redirect"]).encode()).decode()
            self._redirect(int(route.get("status", 302)), target, headers)
        elif "size_mb" in route:
            self._stream_big(float(route["size_mb"]), bool(route.get("content_length")), head)
        elif route.get("calendar"):
            self._send(200, self._calendar_page(route), "text/html; charset=utf-8", headers, head)
        elif "links" in route:
            page = self._link_trap_page(int(route["links"]))
            self._send(200, page, "text/html; charset=utf-8", headers, head)
        elif "trickle" in route:
            self._trickle(float(route["trickle"]), head)
        elif "file" in route:
            target = (self.site.root / str(route["file"])).resolve()
            if not target.is_relative_to(self.site.root) or not target.is_file():
                target = None
            self._file(target, head, route, headers)
        elif "status" in route:
            status = int(route["status"])
            body = str(route.get("body", f"<html><body><h1>Status {status}</h1></body></html>"))
            self._send(status, body.encode("utf-8"), "text/html; charset=utf-8", headers, head)
        else:
            self._file(self._lookup(urlsplit(self.path).path), head, route, headers)

    # -- responses -----------------------------------------------------------------------
    def _file(
        self,
        target: Path | None,
        head: bool,
        route: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if target is None:
            if not self.wfile.closed and not getattr(self, "_answered", False):
                body = b"<html><body><h1>404 Not Found</h1></body></html>"
                self._send(404, body, "text/html; charset=utf-8", head=head)
            return
        route = route or {}
        headers = dict(headers or {})
        data = target.read_bytes()
        if target.suffix.lower() in TEXT_SUFFIXES:
            data = self.web.substitute(data)
        content_type = route.get("content_type") or _CONTENT_TYPES.get(target.suffix.lower())
        content_type = (
            content_type or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        if route.get("charset"):
            content_type = f"{content_type.split(';')[0]}; charset={route['charset']}"
        if self.site.config.get("etag"):
            etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
            mtime = int(target.stat().st_mtime)
            headers["ETag"] = etag
            headers["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
            if self._not_modified(etag, mtime):
                self._send(304, b"", None, headers, head=True)
                return
        self._send(200, data, content_type, headers, head)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [t.strip() for t in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= int(email.utils.parsedate_to_datetime(since).timestamp())
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self._answered = True
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)

    def _redirect(self, status: int, location: str, headers: dict[str, str] | None = None) -> None:
        body = f'<html><body><a href="{location}">moved</a></body></html>'.encode()
        self._send(
            status, body, "text/html; charset=utf-8", {**(headers or {}), "Location": location}
        )

    def _stream_big(self, size_mb: float, content_length: bool, head: bool) -> None:
        total = int(size_mb * 1024 * 1024)
        self._answered = True
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if content_length:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        if head:
            return
        sent = 0
        self.wfile.write(b"<html><head><title>Huge page</title></head><body>\n")
        while sent < total:
            self.wfile.write(_CHUNK)
            sent += len(_CHUNK)

    def _sitemap(self) -> bytes:
        """Every HTML file of the site with its modification time as ``<lastmod>``."""
        base = self.web.url(self.site.name)
        entries = []
        for file in sorted(self.site.root.rglob("*")):
            if file.suffix.lower() not in (".html", ".htm") or not file.is_file():
                continue
            relative = file.relative_to(self.site.root).as_posix()
            path = relative[: -len("index.html")] if file.name == "index.html" else relative
            mtime = dt.datetime.fromtimestamp(int(file.stat().st_mtime), dt.UTC)
            entries.append(
                f"<url><loc>{base}/{quote(path)}</loc>"
                f"<lastmod>{mtime:%Y-%m-%dT%H:%M:%S}+00:00</lastmod></url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(entries)
            + "\n</urlset>\n"
        ).encode("utf-8")

    def _link_trap_page(self, count: int) -> bytes:
        """Readable text and ``count`` relative links (``0/`` ... ) to pages below this one:
        every page is new, whatever path it is served under. The link block is built once."""
        block = _TRAP_LINKS.get(count)
        if block is None:
            block = "".join(f'<a href="{i}/">Seite {i}</a>\n' for i in range(count)).encode()
            _TRAP_LINKS[count] = block
        head = (
            "<html><head><title>Linkfalle</title></head><body>"
            "<h1>Netzwerk Sicherheit und Verteidigung</h1>"
            f"<p>Diese Seite ({self.path}) verweist auf sehr viele weitere Seiten.</p>"
        )
        return head.encode("utf-8") + block + b"</body></html>"

    def _trickle(self, seconds: float, head: bool, limit: float = 600.0) -> None:
        """Slow loris: headers at once, then one byte every ``seconds`` (at most ``limit`` s)."""
        self._answered = True
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        if head:
            return
        self.wfile.write(b"<html><body><p>")
        self.wfile.flush()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            time.sleep(seconds)
            self.wfile.write(b"x")  # BrokenPipeError once the client gives up: handled above
            self.wfile.flush()

    def _calendar_page(self, route: dict[str, Any]) -> bytes:
        """A month page that links to the previous and next month, forever."""
        prefix = str(route["path_prefix"]).rstrip("/")
        rest = urlsplit(self.path).path[len(prefix) :].strip("/")
        match = re.match(r"(\d{4})-(\d{2})", rest)
        year, month = (int(match.group(1)), int(match.group(2))) if match else (2026, 1)
        index = year * 12 + month - 1
        prev_y, prev_m = divmod(index - 1, 12)
        next_y, next_m = divmod(index + 1, 12)
        days = "".join(
            f'<li><a href="{prefix}/{year:04d}-{month:02d}/{day:02d}/">'
            f"Termin {day}.{month}.</a></li>"
            for day in (1, 15)
        )
        html = (
            f"<html><head><title>Kalender {month:02d}/{year}</title></head><body>"
            f"<h1>Veranstaltungskalender {month:02d}/{year}</h1><ul>{days}</ul>"
            f'<a href="{prefix}/{prev_y:04d}-{prev_m + 1:02d}/">Vorheriger Monat</a> '
            f'<a href="{prefix}/{next_y:04d}-{next_m + 1:02d}/">Nächster Monat</a>'
            "</body></html>"
        )
        return html.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m clusterradar.crawler.localweb DIR...``: serve until Ctrl-C."""
    dirs = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not dirs:
        print("usage: python -m clusterradar.crawler.localweb DIR [DIR ...]", file=sys.stderr)
        return 2
    with LocalWeb({d.resolve().name: d for d in dirs}) as web:
        for name in web.names:
            print(f"{name}\t{web.url(name)}/", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
