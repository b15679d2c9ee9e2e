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

from clusterradar.errors import InputError
from clusterradar.quarterly import plots
from clusterradar.quarterly.changes import QuarterReport, collect_report
from clusterradar.quarters import Quarter
from clusterradar.warehouse.db import connect

DIMENSION_NAMES = {
    "intensity": "SVI-/Dual-Use-Intensität",
    "function_logic": "Funktionslogik",
    "application_fields": "Anwendungsfelder",
    "svi_domains": "SVI-Domänen",
}
OUTCOME_NAMES = {
    "ok": "erreichbar",
    "dns_error": "DNS-Fehler",
    "timeout": "Zeitüberschreitung",
    "robots_denied": "robots.txt verbietet",
    "http_error": "HTTP-Fehler",
    "offsite_redirect": "Umleitung auf fremde Site",
    "empty": "kein lesbarer Text",
    "refused_private": "private Adresse abgelehnt",
    "no_website": "keine Website",
}


@dataclass(slots=True)
class ReportFiles:
    """Where a report was written."""

    quarter: str
    html: Path
    markdown: Path
    report: QuarterReport


def label_names() -> tuple[list[str], dict[str, str]]:
    """Intensity keys in scale order and German names of every category key."""
    from clusterradar.labels import load_taxonomy

    taxonomy = load_taxonomy()
    names: dict[str, str] = {}
    for dimension in DIMENSION_NAMES:
        for category in taxonomy.dimension(dimension).categories:
            names[category.key] = category.label_de
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


def render_report(report: QuarterReport) -> tuple[str, str]:
    """(html, markdown) of a collected report."""
    labels, names = label_names()
    images = {
        "map": _data_uri(
            plots.land_map_png(
                report.land_mix,
                labels,
                names,
                f"SVI-relevante Initiativen je Land, {report.quarter}",
            )
        ),
        "history": _data_uri(
            plots.intensity_history_png(report.intensity_by_quarter, labels, names)
        ),
        "confusion": _data_uri(
            plots.confusion_png(
                report.confusion.suggested,
                report.confusion.decided,
                report.confusion.counts,
                names,
            )
        )
        if report.confusion.total
        else None,
    }
    context = {
        "r": report,
        "names": names,
        "dimension_names": DIMENSION_NAMES,
        "outcome_names": OUTCOME_NAMES,
        "labels": labels,
        "images": images,
        "land_names": lambda slugs: ", ".join(
            plots.laender_geometry().get(s, {}).get("name", s) for s in slugs
        ),
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
) -> ReportFiles:
    """Collect and render the report of `quarter`; writes report-<Q>.html and report-<Q>.md."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    labels, _ = label_names()
    with connect(db, read_only=True, timeout=lock_timeout) as con:
        report = collect_report(
            con, quarter, intensity_labels=labels, signal_threshold=signal_threshold
        )
    html, markdown = render_report(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"report-{quarter}.html"
    md_path = out_dir / f"report-{quarter}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return ReportFiles(str(quarter), html_path, md_path, report)
