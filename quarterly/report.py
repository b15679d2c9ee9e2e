"""Render the quarterly change report as one self-contained HTML file and a Markdown twin.

Why self-contained: the report is mailed around and archived; images are embedded as base64
PNG and there are no external links to styles or scripts. All text from the warehouse (names,
URLs, crawl details) is escaped by Jinja2's autoescape; the Markdown version escapes table
syntax itself. Both are rendered from the same
:class:`~clusterradar.quarterly.changes.QuarterReport`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from clusterradar import texts
from clusterradar.errors import InputError
from clusterradar.labels import load_taxonomy
from clusterradar.quarterly import plots
from clusterradar.quarterly.changes import MOVE_KINDS, QuarterReport, collect_report
from clusterradar.quarters import Quarter
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse.db import connect
from clusterradar.warehouse.reviews import Evidence

DIMENSIONS = ("intensity", "function_logic", "application_fields", "svi_domains")
# Fixed texts come from the catalogue (clusterradar/texts.py), in the language of the report.
OUTCOME_NAMES = texts.Names("report_outcome")
STAGE_NAMES = texts.Names("stage")
STATUS_NAMES = texts.Names("status")
ACTION_NAMES = texts.Names("report_action")
MOVE_NAMES = texts.Names("move")
CHANGE_KIND_NAMES = texts.Names("change_kind")
SOURCE_NAMES = texts.Names("report_source")


@dataclass(slots=True)
class ReportFiles:
    """Where a report was written."""

    quarter: str
    html: Path
    markdown: Path
    report: QuarterReport


def label_names(language: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Intensity keys in scale order and the names of every category key in `language`
    (default: ``ui.language``; German ``label_de`` or English ``label_en`` of the taxonomy)."""

    taxonomy = load_taxonomy()
    names: dict[str, str] = {}
    for dimension in DIMENSIONS:
        for category in taxonomy.dimension(dimension).categories:
            names[category.key] = texts.label(dimension, category.key, language)
    return list(taxonomy.keys("intensity")), names


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clusterradar.quarterly", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _markdown_cell
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.0f} %"
    env.filters["signed_pct"] = lambda v: "–" if v is None else f"{100 * v:+.0f} pp"
    return env


def _markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks, no HTML."""
    text = "" if value is None else str(value)
    for old, new in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("\n", " ")):
        text = text.replace(old, new)
    return text.strip()


class AppLinks:
    """Links into the review app: under ``review.public_url``, else root-relative."""

    def __init__(self, public_url: str = "") -> None:
        self.base = public_url.rstrip("/")

    def cluster(self, cluster_id: str) -> str:
        return f"{self.base}/clusters/{quote(cluster_id, safe='')}"

    def snapshot(self, evidence: Evidence) -> str | None:
        """The stored page with the passage marked, as the app's cluster page links it."""
        if not evidence.snapshot_id:
            return None
        query = urlencode({"passage": evidence.passage})
        return f"{self.base}/snapshots/{quote(evidence.snapshot_id, safe='')}?{query}#passage"


def _short(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_report(
    report: QuarterReport, public_url: str = "", language: str | None = None
) -> tuple[str, str]:
    """(html, markdown) of a collected report; `public_url` is where the review app lives,
    `language` the one it is written in (default: ``ui.language``)."""
    t = texts.Texts(language)
    labels, names = label_names(t.language)
    move_names = t.names("move")
    land_names = {slug: land["name"] for slug, land in plots.laender_geometry().items()}
    images = {
        "map": _data_uri(
            plots.land_map_png(
                report.land_mix,
                labels,
                names,
                t("report.map_title", quarter=report.quarter),
                t.language,
            )
        ),
        "moves": _data_uri(
            plots.land_moves_png(
                report.land_moves,
                move_names,
                land_names,
                f"{report.previous} → {report.quarter}",
                t.language,
            )
        )
        if report.moves
        else None,
        "history": _data_uri(
            plots.intensity_history_png(report.intensity_by_quarter, labels, names, t.language)
        ),
        "confusion": _data_uri(
            plots.confusion_png(
                report.confusion.suggested,
                report.confusion.decided,
                report.confusion.counts,
                names,
                t.language,
            )
        )
        if report.confusion.total
        else None,
    }
    context = {
        "r": report,
        "names": names,
        "t": t,
        "dimension_names": {d: t.dimension_label(d) for d in DIMENSIONS},
        "outcome_names": t.names("report_outcome"),
        "stage_names": t.names("stage"),
        "status_names": t.names("status"),
        "action_names": t.names("report_action"),
        "move_names": move_names,
        "move_kinds": MOVE_KINDS,
        "change_kind_names": t.names("change_kind"),
        "source_names": t.names("report_source"),
        "links": AppLinks(public_url),
        "short": _short,
        "labels": labels,
        "images": images,
        "land_names": lambda slugs: ", ".join(land_names.get(s, s) for s in slugs),
        "relevant": lambda mix: sum(n for k, n in mix.items() if k != plots.NO_SVI),
        "label_list": lambda keys, empty="–": (
            ", ".join(names.get(k, k) for k in keys) if keys else empty
        ),
    }
    env = _environment()
    html = env.get_template("report.html").render(**context)
    markdown = env.get_template("report.md").render(**context)
    return html, markdown


def write_report(
    db: Path,
    quarter: Quarter,
    out_dir: Path,
    *,
    lock_timeout: float = 30.0,
    signal_threshold: float = 0.10,
    review: ReviewSettings | None = None,
    language: str | None = None,
) -> ReportFiles:
    """Collect and render the report of `quarter`; writes report-<Q>.html and report-<Q>.md.

    `review` settings decide which suggestions the review queue counts as open (the report
    shows the same number as the app) and where links to the app point; `language` is the one
    it is written in (default: ``ui.language``)."""
    review = review or ReviewSettings()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    labels, _ = label_names()
    with connect(db, read_only=True, timeout=lock_timeout) as con:
        report = collect_report(
            con,
            quarter,
            intensity_labels=labels,
            signal_threshold=signal_threshold,
            review=review,
        )
    html, markdown = render_report(report, review.public_url, language)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"report-{quarter}.html"
    md_path = out_dir / f"report-{quarter}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return ReportFiles(str(quarter), html_path, md_path, report)
