"""A synthetic registry-scale web for the benchmark: N initiatives x M pages on 127.0.0.1.

The registry portal is the demo's (:func:`clusterradar.demo.sampleweb.write_portal`, the markup
the registry spider parses); the initiatives are the demo's initiatives repeated under new
names, each with a website of M pages of about 10 KiB of German-like text. Every page has its
own sentences (seeded by site and page), so passages and their hashes differ across the web as
they do on real sites and the embedding cache cannot shortcut the first quarter. Sites send
ETag and Last-Modified (LocalWeb's ``etag: true``), so an unchanged recrawl gets 304s.

Probe sites (``probe-NNNN``) are served but not listed by the portal: the "no slowdown with
age" measurement adds them by hand to an empty and to an aged warehouse.
"""

from __future__ import annotations

import dataclasses
import html
import math
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from clusterradar.demo.sampleweb import (
    HITS_PER_PAGE,
    PORTAL,
    PORTAL_HOME,
    Initiative,
    load_initiatives,
    profile_paragraphs,
    write_portal,
)

# Visible text per page; with the page furniture (styles, a script, navigation, a cookie
# banner) about 10 KiB of HTML, which gives 7-9 passages per page as the web had.
PAGE_TEXT_CHARS = 5_000
_COOKIE_BANNER = (
    '<div id="cookie-consent" class="cookie-banner"><p>Wir verwenden Cookies, um unsere '
    "Website für Sie optimal zu gestalten. Mit „Akzeptieren“ stimmen Sie der Verwendung zu; "
    "Einzelheiten in der Datenschutzerklärung.</p><button>Akzeptieren</button></div>"
)
_STYLE = (
    "<style>"
    + "".join(
        f".c{i}{{margin:{i}px 0;padding:0 {i % 7}px;font-size:{10 + i % 9}px;color:#{i:03x}}}"
        for i in range(40)
    )
    + "</style>"
)
_SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    + "".join(f"gtag('event','view_{i}',{{'section':'s{i}','value':{i}}});" for i in range(30))
    + "</script>"
)
_SUBJECTS = (
    "Unsere Mitgliedsunternehmen",
    "Das Netzwerk",
    "Die Forschungseinrichtungen der Region",
    "Der Arbeitskreis",
    "Die Geschäftsstelle",
    "Ein Konsortium aus Mittelstand und Hochschulen",
    "Die beteiligten Institute",
    "Unsere Partner aus Industrie und Verwaltung",
    "Das Kompetenzzentrum",
    "Die Projektgruppe",
)
_VERBS = (
    "entwickeln",
    "erproben",
    "vermarkten",
    "qualifizieren",
    "bündeln",
    "fördern",
    "untersuchen",
    "verbessern",
    "zertifizieren",
    "stellen vor",
)
_OBJECTS = (
    "Sensorsysteme für die Überwachung kritischer Infrastrukturen",
    "Leichtbaukomponenten aus Faserverbundwerkstoffen",
    "sichere Kommunikationslösungen für Behörden",
    "Verfahren der additiven Fertigung",
    "Software für die Lagebilderstellung",
    "optische Messtechnik und Photonik",
    "autonome Systeme für Land, Luft und Wasser",
    "Werkstoffe für extreme Einsatzbedingungen",
    "Cybersicherheit für vernetzte Produktion",
    "Drohnenabwehr und Detektion",
    "Schutzausrüstung für Einsatzkräfte",
    "Satellitennavigation und Erdbeobachtung",
    "Wasserstofftechnologien für mobile Anwendungen",
    "Logistikketten mit hoher Versorgungssicherheit",
    "medizinische Versorgung in Krisenlagen",
)
_CONTEXTS = (
    "gemeinsam mit Hochschulen in {land}",
    "im Rahmen eines Förderprogramms des Bundes",
    "für Kunden aus Industrie, Verwaltung und Verteidigung",
    "mit Unterstützung der Landesregierung {land}",
    "in enger Abstimmung mit Anwendern aus dem Katastrophenschutz",
    "seit dem Jahr {year}",
    "auf der Fachmesse in {city}",
    "in einem Verbundprojekt mit {count} Partnern",
    "für den Export in europäische Partnerländer",
    "unter Beachtung der Exportkontrolle für Dual-Use-Güter",
)
_CITIES = ("Hamburg", "München", "Bremen", "Stuttgart", "Dresden", "Kiel", "Jena", "Ulm", "Köln")


@dataclass(slots=True)
class SyntheticWeb:
    """The generated folders ({site name: folder}) and who is listed where."""

    root: Path
    sites: dict[str, Path]
    initiatives: list[Initiative]
    probes: list[Initiative]
    pages_per_site: int

    @property
    def start_path(self) -> str:
        return PORTAL_HOME

    def page_files(self, listed_only: bool = True) -> list[Path]:
        """The HTML files of the initiatives' websites (what the site crawl fetches)."""
        chosen = self.initiatives if listed_only else self.initiatives + self.probes
        return sorted(p for i in chosen for p in self.sites[i.site].rglob("*.html"))


def _sentence(rng: random.Random, initiative: Initiative) -> str:
    context = rng.choice(_CONTEXTS).format(
        land=rng.choice(initiative.laender),
        year=rng.randint(1995, 2025),
        city=rng.choice(_CITIES),
        count=rng.randint(3, 40),
    )
    subject = rng.choice(_SUBJECTS)
    if subject == "Der Arbeitskreis" and initiative.arbeitsgruppen:
        subject = f"Der Arbeitskreis {rng.choice(initiative.arbeitsgruppen)[0]}"
    field = rng.choice(initiative.technologiefelder or ["Technik"])
    return (
        f"{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {context}; "
        f"im Mittelpunkt steht das Technologiefeld {field} (Vorhaben {rng.randint(100, 99999)})."
    )


def _paragraphs(rng: random.Random, initiative: Initiative, target_chars: int) -> list[str]:
    own = [initiative.about, *(t for _, t in initiative.themen if t)]
    generic = profile_paragraphs()[initiative.profile]
    paragraphs: list[str] = [rng.choice(own), rng.choice(generic)]
    size = sum(map(len, paragraphs))
    while size < target_chars:
        sentences = [_sentence(rng, initiative) for _ in range(rng.randint(3, 6))]
        if rng.random() < 0.2:
            sentences.append(rng.choice(generic))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph)
    return paragraphs


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _page_html(
    initiative: Initiative, title: str, paragraphs: list[str], links: str, nav: str = ""
) -> str:
    body = "\n".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="de">\n<head><meta charset="utf-8">'
        f"<title>{_e(title)} – {_e(initiative.name)}</title>{_STYLE}{_SCRIPT}</head>\n<body>\n"
        f"{_COOKIE_BANNER}\n"
        f'<header><a class="logo" href="/">{_e(initiative.name)}</a>'
        f'<nav><ul><li><a href="/">Start</a></li>{nav}<li><a href="/impressum.html">Impressum</a>'
        "</li></ul></nav></header>\n"
        f"<main>\n<h1>{_e(title)}</h1>\n{body}\n<aside>{links}</aside>\n</main>\n"
        f"<footer><p>© {_e(initiative.name)} · erfundene Initiative eines Benchmarks</p>"
        "</footer>\n</body>\n</html>\n"
    )


def write_site(root: Path, initiative: Initiative, pages: int) -> Path:
    """Write `pages` pages (the start page included) for one initiative; returns the folder."""
    folder = root / initiative.site
    titles = [t for t, _ in initiative.themen + initiative.arbeitsgruppen + initiative.aktuelles]
    subpages = [f"seite-{k:03d}" for k in range(1, pages)]
    nav = "".join(
        f'<li><a href="/{slug}/">{_e(titles[(k + 1) % len(titles)])}</a></li>'
        for k, slug in enumerate(subpages[:8])
    )
    for number, slug in enumerate(["", *subpages]):
        rng = random.Random(f"{initiative.site}/{slug}")
        title = "Willkommen" if not slug else f"{titles[number % len(titles)]} ({number})"
        if not slug:  # the start page links to every page: depth 1 reaches the whole site
            links = "".join(f'<a href="/{s}/">Seite {s[-3:]}</a> ' for s in subpages)
        else:  # neighbours and the start page, as a site's "more on this" box would
            near = [subpages[(number - 2) % len(subpages)], subpages[number % len(subpages)]]
            links = '<a href="/">Start</a> ' + "".join(f'<a href="/{s}/">{s}</a> ' for s in near)
        paragraphs = _paragraphs(rng, initiative, PAGE_TEXT_CHARS)
        text = _page_html(initiative, title, paragraphs, links, nav)
        target = folder / slug / "index.html" if slug else folder / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    imprint = _page_html(initiative, "Impressum", [f"{initiative.name}, Musterstraße 1."], "")
    (folder / "impressum.html").write_text(imprint, encoding="utf-8")
    (folder / "_site.yaml").write_text(yaml.safe_dump({"etag": True}), encoding="utf-8")
    return folder


def initiatives(count: int, prefix: str = "s") -> list[Initiative]:
    """`count` initiatives: the demo's, cycled, each under its own name and site."""
    base = load_initiatives()
    found = []
    for i in range(count):
        model = base[i % len(base)]
        found.append(
            dataclasses.replace(
                model,
                site=f"{prefix}{i:04d}",
                name=f"{model.name} {prefix.upper()}{i:04d}",
                listed=("Q3", "Q4"),
                paper=False,
                transforms=False,
                goes_offline=False,
            )
        )
    return found


def write_synthetic_web(root: Path, clusters: int, pages: int, probes: int = 0) -> SyntheticWeb:
    """The portal listing `clusters` initiatives, their websites and `probes` unlisted sites."""
    listed = initiatives(clusters)
    probe_sites = initiatives(probes, prefix="probe-")
    hit_pages = max(1, math.ceil(len(listed) / HITS_PER_PAGE))
    sites = {PORTAL: write_portal(root, listed, "Q3", hit_pages)}
    for initiative in listed + probe_sites:
        sites[initiative.site] = write_site(root, initiative, pages)
    return SyntheticWeb(root, sites, listed, probe_sites, pages)
