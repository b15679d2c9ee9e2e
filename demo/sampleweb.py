"""Generate the demo's offline sample web from compact data (``demo/data/initiatives.yaml``).

Why generated: forty-odd websites of six pages each would be thousands of lines of HTML to
review; the data file holds what differs between initiatives (names, Länder, topics, working
groups, news) and this module adds the page furniture (navigation, a cookie banner, footer)
and a few generic paragraphs per SVI profile. Everything is written for the project.

The portal follows exactly the markup documented in :mod:`clusterradar.crawler.selectors`
(start page → search form page with paged hit lists → profile pages with ``dl.cluster-facts``).
Links between sites use LocalWeb's ``{{site:NAME}}`` placeholders, so ports can be dynamic.

Phases: :func:`write_sample_web` with ``phase="Q3"`` writes the first quarter's web; calling
it again with ``phase="Q4"`` on the same folder applies the story's changes in place (a civil
initiative adds a defence working group, the registry lists one initiative more and one less).
Taking a site offline is LocalWeb's job (``web.set_offline``).
"""

from __future__ import annotations

import hashlib
import html
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clusterradar.urls import slugify

PORTAL = "portal"
PORTAL_HOME = "/CLUSTER/Navigation/DE/Home/home.html"
SEARCH_FORM = "/SiteGlobals/CLUSTER/Forms/Suche/Clustersuche/Clustersuche_Formular.html"
HITS_PER_PAGE = 10
PHASES = ("Q3", "Q4")
PAGES = (
    ("ueber-uns", "Über uns"),
    ("themen", "Themen"),
    ("arbeitsgruppen", "Arbeitsgruppen"),
    ("aktuelles", "Aktuelles"),
    ("mitglieder", "Mitglieder"),
)

GROUP_PAGE = "ag-schutz-und-verteidigung.html"
_SESSION = "D3M0D3M0D3M0D3M0D3M0D3M0D3M0D3M0.live1"
_COOKIE_BANNER = (
    '<div id="cookie-consent" class="cookie-banner"><p>Diese Website verwendet nur technisch '
    "notwendige Cookies. Mit „Einverstanden“ bestätigen Sie, dass Sie unsere "
    "Datenschutzhinweise gelesen haben.</p><button>Einverstanden</button></div>"
)
_MEMBER_PARTS = (
    (
        "Nord",
        "Süd",
        "Rhein",
        "Elb",
        "Berg",
        "Tal",
        "Stern",
        "Falken",
        "Linden",
        "Eichen",
        "Main",
        "Saale",
    ),
    (
        "tec",
        "werk",
        "systeme",
        "technik",
        "consult",
        "form",
        "data",
        "logistik",
        "manufaktur",
        "labs",
    ),
    ("GmbH", "AG", "GmbH & Co. KG", "e. K.", "GmbH"),
)


@dataclass(slots=True)
class Initiative:
    """One initiative of the sample web (see the data file's header for the fields)."""

    site: str
    name: str
    laender: list[str]
    technologiefelder: list[str]
    foerdermassnahmen: list[str]
    profile: str
    about: str
    themen: list[tuple[str, str | None]]
    arbeitsgruppen: list[tuple[str, str | None]]
    aktuelles: list[tuple[str, str | None]]
    paper: bool = False
    listed: tuple[str, ...] = PHASES
    transforms: bool = False
    goes_offline: bool = False
    q4_arbeitsgruppe: dict[str, Any] | None = None
    q4_aktuelles: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def listed_in(self, phase: str) -> bool:
        return phase in self.listed


def _items(raw: list[Any]) -> list[tuple[str, str | None]]:
    """YAML items 'Title: text' parse as one-key mappings; plain strings have no text."""
    items = []
    for item in raw or []:
        if isinstance(item, dict):
            ((title, text),) = item.items()
            items.append((str(title), str(text)))
        else:
            items.append((str(item), None))
    return items


def load_initiatives(path: Path | None = None) -> list[Initiative]:
    """The sample web's initiatives from the packaged data file (or `path`)."""
    if path is None:
        text = (
            resources.files("clusterradar.demo")
            .joinpath("data", "initiatives.yaml")
            .read_text(encoding="utf-8")
        )
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    found = []
    for raw in data["initiatives"]:
        found.append(
            Initiative(
                site=raw["site"],
                name=raw["name"],
                laender=list(raw["laender"]),
                technologiefelder=list(raw.get("technologiefelder") or []),
                foerdermassnahmen=list(raw.get("foerdermassnahmen") or []),
                profile=raw["profile"],
                about=raw["about"],
                themen=_items(raw.get("themen")),
                arbeitsgruppen=_items(raw.get("arbeitsgruppen")),
                aktuelles=_items(raw.get("aktuelles")),
                paper=bool(raw.get("paper", False)),
                listed=tuple(raw.get("listed") or PHASES),
                transforms=bool(raw.get("transforms", False)),
                goes_offline=bool(raw.get("goes_offline", False)),
                q4_arbeitsgruppe=raw.get("q4_arbeitsgruppe"),
                q4_aktuelles=raw.get("q4_aktuelles"),
            )
        )
    return found


@cache
def profile_paragraphs() -> dict[str, list[str]]:
    """Generic paragraphs per profile (``demo/data/profiles.yaml``)."""
    text = (
        resources.files("clusterradar.demo")
        .joinpath("data", "profiles.yaml")
        .read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)["profile_paragraphs"]


def _pick(seed: str, options: list[str] | tuple[str, ...], n: int) -> list[str]:
    """n distinct options chosen deterministically from a seed text."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    pool = list(options)
    chosen = []
    for byte in digest:
        if not pool or len(chosen) == n:
            break
        chosen.append(pool.pop(byte % len(pool)))
    return chosen


def _members(initiative: Initiative, count: int) -> list[str]:
    digest = hashlib.sha256(initiative.site.encode("utf-8")).digest()
    names = []
    for i in range(count):
        a, b, c = (digest[(3 * i + k) % len(digest)] for k in range(3))
        first = _MEMBER_PARTS[0][a % len(_MEMBER_PARTS[0])]
        second = _MEMBER_PARTS[1][b % len(_MEMBER_PARTS[1])]
        names.append(f"{first}{second} {_MEMBER_PARTS[2][c % len(_MEMBER_PARTS[2])]}")
    field_name = initiative.technologiefelder[0] if initiative.technologiefelder else "Technik"
    names.append(f"Institut für {field_name}, Hochschule {initiative.laender[0]}")
    return list(dict.fromkeys(names))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _page(initiative: Initiative, title: str, body: str, *, extra_nav: str = "") -> str:
    nav = "".join(f'<li><a href="/{slug}/">{_e(label)}</a></li>' for slug, label in PAGES)
    return f"""<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>{_e(title)} – {_e(initiative.name)}</title></head>
<body>
{_COOKIE_BANNER}
<header><a class="logo" href="/">{_e(initiative.name)}</a>
<nav><ul><li><a href="/">Start</a></li>{nav}{extra_nav}</ul></nav></header>
<main>
<h1>{_e(title)}</h1>
{body}
</main>
<footer><p>© {_e(initiative.name)} · <a href="/impressum.html">Impressum</a></p></footer>
</body>
</html>
"""


def _paragraphs(texts: list[str]) -> str:
    return "\n".join(f"<p>{_e(t)}</p>" for t in texts)


def _sections(items: list[tuple[str, str | None]], level: int = 2) -> str:
    parts = []
    for title, text in items:
        parts.append(f"<h{level}>{_e(title)}</h{level}>")
        if text:
            parts.append(f"<p>{_e(text)}</p>")
    return "\n".join(parts)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_site(root: Path, initiative: Initiative, phase: str) -> Path:
    """Write one initiative's website for `phase` into root/<site>; returns the folder."""
    folder = root / initiative.site
    generic = _pick(initiative.site, profile_paragraphs()[initiative.profile], 2)
    groups = list(initiative.arbeitsgruppen)
    news = list(initiative.aktuelles)
    transformed = phase == "Q4" and initiative.transforms and initiative.q4_arbeitsgruppe
    if transformed:
        group = initiative.q4_arbeitsgruppe or {}
        groups.append((group["name"], " ".join(group["text"][:1])))
        if initiative.q4_aktuelles:
            news.insert(0, (initiative.q4_aktuelles, None))
    laender = ", ".join(initiative.laender)
    home = [
        f"<p>{_e(initiative.about)}</p>",
        "<h2>Unsere Themen</h2><ul>"
        + "".join(f'<li><a href="/themen/">{_e(t)}</a></li>' for t, _ in initiative.themen)
        + "</ul>",
        f'<h2>Aktuelles</h2><p><a href="/aktuelles/">{_e(news[0][0])}</a></p>',
    ]
    _write(folder / "index.html", _page(initiative, "Willkommen", "\n".join(home)))
    about = [
        initiative.about,
        *generic,
        f"Sitz des Netzwerks: {laender}. "
        f"Technologiefelder: {', '.join(initiative.technologiefelder)}.",
    ]
    _write(folder / "ueber-uns" / "index.html", _page(initiative, "Über uns", _paragraphs(about)))
    _write(
        folder / "themen" / "index.html",
        _page(initiative, "Themen und Schwerpunkte", _sections(initiative.themen)),
    )
    group_body = _sections(groups)
    if transformed:
        group_body += (
            f'\n<p><a href="/arbeitsgruppen/{GROUP_PAGE}">Mehr zur neuen Arbeitsgruppe</a></p>'
        )
        group = initiative.q4_arbeitsgruppe or {}
        _write(
            folder / "arbeitsgruppen" / GROUP_PAGE,
            _page(initiative, group["name"], _paragraphs(list(group["text"]))),
        )
    _write(
        folder / "arbeitsgruppen" / "index.html", _page(initiative, "Arbeitsgruppen", group_body)
    )
    _write(folder / "aktuelles" / "index.html", _page(initiative, "Aktuelles", _sections(news)))
    # One sentence per page with the initiative's own words: lists of bare member names read
    # alike on every site and would make all sample sites look similar to each other.
    names = _members(initiative, 5)
    fields = " und ".join(initiative.technologiefelder) or "der Region"
    members = (
        f"Zu den Mitgliedern von {initiative.name} gehören {', '.join(names[:-1])} und "
        f"{names[-1]} sowie weitere Unternehmen und Einrichtungen aus {laender} im Bereich "
        f"{fields}."
    )
    _write(
        folder / "mitglieder" / "index.html",
        _page(initiative, "Mitglieder", _paragraphs([members])),
    )
    imprint = f"{initiative.name} ist eine erfundene Initiative einer Software-Vorführung."
    _write(folder / "impressum.html", _page(initiative, "Impressum", _paragraphs([imprint])))
    return folder


# --- the portal -----------------------------------------------------------------------------


def _portal_page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>{_e(title)} - Clusterplattform (Demo)</title></head>
<body>
<header id="header"><a href="{PORTAL_HOME};jsessionid={_SESSION}">Clusterplattform (Demo)</a>
</header>
<nav id="navPrimary"><ul>
<li><a href="{SEARCH_FORM};jsessionid={_SESSION}">Clustersuche</a></li>
</ul></nav>
<main id="content">
{body}
</main>
<footer id="footer"><p>Demonstrationsportal des Projekts Clusterradar; alle Einträge sind
erfunden oder nur dem Namen nach an reale Initiativen angelehnt.</p></footer>
</body>
</html>
"""


def _profile_path(initiative: Initiative) -> str:
    return f"/CLUSTER/Redaktion/DE/Cluster/{slugify(initiative.site)}.html"


def _list_items(values: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(v)}</li>" for v in values) + "</ul>"


def _hit_page_path(number: int) -> str:
    return SEARCH_FORM if number == 1 else f"{SEARCH_FORM}?gtp=5946_list%3D{number}"


def _hit_page_file(number: int) -> str:
    base = SEARCH_FORM.lstrip("/")
    return base if number == 1 else base.replace(".html", f"_seite{number}.html")


def write_portal(root: Path, initiatives: list[Initiative], phase: str, pages: int) -> Path:
    """The registry portal listing the initiatives of `phase` on `pages` hit list pages."""
    folder = root / PORTAL
    listed = [i for i in initiatives if i.listed_in(phase)]
    home = (
        "<h1>Clusterplattform (Demo)</h1><p>Finden Sie Clusterinitiativen nach Bundesland, "
        "Technologiefeld und Fördermaßnahme.</p>"
        f'<p><a href="{SEARCH_FORM}?nn=1">Zur Clustersuche</a></p>'
    )
    _write(folder / PORTAL_HOME.lstrip("/"), _portal_page("Startseite", home))
    for number in range(1, pages + 1):
        chunk = listed[(number - 1) * HITS_PER_PAGE : number * HITS_PER_PAGE]
        entries = "".join(
            '<li class="result-list__item"><div class="c-teaser-cluster">'
            '<h3 class="c-teaser__headline">'
            f'<a href="{_profile_path(i)};jsessionid={_SESSION}">{_e(i.name)}</a></h3>'
            f'<p class="c-teaser__meta">{_e(", ".join(i.laender))}</p></div></li>'
            for i in chunk
        )
        paging = "".join(
            f"<li><strong>{n}</strong></li>"
            if n == number
            else f'<li><a href="{_hit_page_path(n)}">{n}</a></li>'
            for n in range(1, pages + 1)
        )
        if number < pages:
            paging += f'<li class="forward"><a href="{_hit_page_path(number + 1)}">weiter</a></li>'
        body = (
            '<h1>Clustersuche</h1><div id="searchResult" class="searchResult">'
            f'<p class="resultCount">Ihre Suche ergab {len(listed)} Treffer</p>'
            f'<ul class="result-list">{entries}</ul>'
            f'<div class="navIndex"><ul>{paging}</ul></div></div>'
        )
        _write(folder / _hit_page_file(number), _portal_page("Clustersuche", body))
    for initiative in initiatives:
        facts = (
            '<dl class="cluster-facts">'
            f"<dt>Bundesland</dt><dd>{_list_items(initiative.laender)}</dd>"
            f"<dt>Technologiefelder</dt><dd>{_list_items(initiative.technologiefelder)}</dd>"
            f"<dt>Fördermaßnahmen</dt><dd>{_list_items(initiative.foerdermassnahmen)}</dd>"
            f'<dt>Website</dt><dd><a class="external" href="{{{{site:{initiative.site}}}}}/">'
            f"{_e(initiative.name)}</a></dd></dl>"
        )
        body = (
            f'<div class="article-header"><h1>{_e(initiative.name)}</h1></div>'
            f'<div class="article-body"><p>{_e(initiative.about)}</p>{facts}</div>'
        )
        _write(folder / _profile_path(initiative).lstrip("/"), _portal_page(initiative.name, body))
    routes = [{"path": _hit_page_path(n), "file": _hit_page_file(n)} for n in range(2, pages + 1)]
    routes.append({"path": "/", "redirect": PORTAL_HOME, "status": 302})
    (folder / "_site.yaml").write_text(
        yaml.safe_dump({"routes": routes}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return folder


@dataclass(slots=True)
class SampleWeb:
    """The generated folders, ready for :class:`clusterradar.crawler.localweb.LocalWeb`."""

    root: Path
    sites: dict[str, Path]
    initiatives: list[Initiative]
    phase: str

    @property
    def start_path(self) -> str:
        return PORTAL_HOME


def write_sample_web(
    root: Path, phase: str = "Q3", initiatives: list[Initiative] | None = None
) -> SampleWeb:
    """Write (or rewrite in place) the whole sample web for `phase` ('Q3' or 'Q4')."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}")
    initiatives = initiatives if initiatives is not None else load_initiatives()
    most_listed = max(sum(i.listed_in(p) for i in initiatives) for p in PHASES)
    pages = max(1, math.ceil(most_listed / HITS_PER_PAGE))
    sites = {PORTAL: write_portal(root, initiatives, phase, pages)}
    for initiative in initiatives:
        sites[initiative.site] = write_site(root, initiative, phase)
    return SampleWeb(root, sites, initiatives, phase)
