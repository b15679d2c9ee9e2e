"""The change report's pictures, drawn with matplotlib (Agg) and returned as PNG bytes.

The Länder map uses the SCHEMATIC outlines in ``quarterly/data/laender_schematic.json``:
hand-authored approximate polygons (6–48 points per Land) that ship with the project, so
nothing is downloaded and no third-party geodata is copied. They are good enough to find one's
Land at a glance, not for measuring anything.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from clusterradar import texts

# Intensity colours: dark red (primarily security) to green (civil base technology), grey for
# "no SVI relevance"; unknown keys fall back to a neutral colour.
INTENSITY_COLOURS = {
    "primarily_security": "#8c1c13",
    "svi_dominant_dual_use": "#d1495b",
    "balanced_dual_use": "#f08a4b",
    "primarily_civil_security_relevant": "#edc951",
    "civil_base_technology": "#7fb069",
    "no_svi_relevance": "#b8b8b8",
}
_FALLBACK_COLOUR = "#6c8ebf"
NO_SVI = "no_svi_relevance"

# Where the pies of the small Länder go (lon, lat), with a leader line to the Land.
_PIE_ANCHORS = {
    "berlin": (15.45, 52.75),
    "hamburg": (11.6, 55.0),
    "bremen": (7.2, 54.3),
    "brandenburg": (13.9, 51.95),
    "saarland": (6.3, 48.85),
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def colour_of(label: str) -> str:
    return INTENSITY_COLOURS.get(label, _FALLBACK_COLOUR)


@cache
def laender_geometry() -> dict[str, Any]:
    """The shipped schematic Länder outlines: {slug: {name, rings: [[[lon, lat], ...]]}}."""
    path = resources.files("clusterradar.quarterly").joinpath("data", "laender_schematic.json")
    return json.loads(path.read_text(encoding="utf-8"))["laender"]


def _centroid(ring: list[list[float]]) -> tuple[float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    return (cx / (6 * area), cy / (6 * area)) if area else (ring[0][0], ring[0][1])


@dataclass(slots=True)
class LandCount:
    """What the map shows for one Land: the pie (`mix`, SVI-relevant levels only), the
    shading (`relevant`, the pie's total) and the caption "n von m" (`classified` = m)."""

    mix: dict[str, int]
    relevant: int
    classified: int

    @property
    def caption_numbers(self) -> str:
        return self.caption(None)

    def caption(self, language: str | None) -> str:
        """ "n von m" ("n of m") in `language` (default: ``ui.language``)."""
        return texts.text("chart.n_of_m", language, n=self.relevant, m=self.classified)


def land_counts(land_mix: dict[str, dict[str, int]]) -> dict[str, LandCount]:
    """Per Land, the map's numbers; pies and shading count the same initiatives."""
    counts = {}
    for land, mix in land_mix.items():
        relevant = {k: n for k, n in mix.items() if k != NO_SVI and n}
        counts[land] = LandCount(relevant, sum(relevant.values()), sum(mix.values()))
    return counts


def land_map_png(
    land_mix: dict[str, dict[str, int]],
    labels: list[str],
    names: dict[str, str],
    title: str,
    language: str | None = None,
) -> bytes:
    """Länder shaded by SVI-relevant initiatives (levels 1–5), with a pie of their level mix.

    Shading and pies count the same initiatives: "no SVI relevance" is left out of both and
    appears only in each Land's caption ("n von m": n SVI-relevant of m with an intensity)."""
    t = texts.Texts(language)
    plt = _pyplot()
    from matplotlib import colors
    from matplotlib.patches import Polygon

    geometry = laender_geometry()
    counts = land_counts(land_mix)
    relevant = {land: count.relevant for land, count in counts.items()}
    top = max([1, *relevant.values()])
    norm = colors.Normalize(vmin=0, vmax=top)
    cmap = plt.get_cmap("Blues")
    fig, ax = plt.subplots(figsize=(7.2, 8.4))
    city_states = ("berlin", "hamburg", "bremen")
    for slug in sorted(geometry, key=lambda s: s in city_states):
        shade = cmap(0.08 + 0.85 * norm(relevant.get(slug, 0)))
        for ring in geometry[slug]["rings"]:
            ax.add_patch(Polygon(ring, closed=True, facecolor=shade, edgecolor="#333", lw=0.7))
    for slug, land in geometry.items():
        shading = norm(relevant.get(slug, 0))
        _draw_land_pie_and_caption(ax, slug, land, counts.get(slug), labels, shading, t.language)
    ax.set_xlim(5.4, 16.0)
    ax.set_ylim(47.0, 55.4)
    ax.set_aspect(1 / math.cos(math.radians(51)))
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    _add_map_colour_bar_and_legend(fig, ax, norm, cmap, labels, names, t)
    return _png(fig)


def _draw_land_pie_and_caption(
    ax: Any,
    slug: str,
    land: dict[str, Any],
    count: LandCount | None,
    labels: list[str],
    shading: float,
    language: str | None,
) -> None:
    """One Land's pie of its level mix (moved off a small Land, with a leader line) and its
    caption below; white text where the shading is dark."""
    mix = count.mix if count else {}
    centre = _centroid(max(land["rings"], key=len))
    anchor = _PIE_ANCHORS.get(slug, centre)
    if anchor != centre:
        ax.plot([centre[0], anchor[0]], [centre[1], anchor[1]], color="#555", lw=0.6)
    caption = land["name"]
    if count and count.classified:
        caption += "\n" + count.caption(language)
    radius = 0.16 + 0.1 * math.sqrt(sum(mix.values())) if mix else 0.0
    if mix:
        ordered = [k for k in [*labels, *sorted(set(mix) - set(labels))] if k in mix]
        inset = ax.inset_axes(
            [anchor[0] - radius, anchor[1] - radius * 0.66, 2 * radius, 2 * radius * 0.66],
            transform=ax.transData,
        )
        inset.pie(
            [mix[k] for k in ordered],
            colors=[colour_of(k) for k in ordered],
            wedgeprops={"linewidth": 0.5, "edgecolor": "white"},
        )
        inset.set_aspect("auto")
    dark = shading > 0.6 and anchor == centre
    ax.text(
        anchor[0],
        anchor[1] - radius * 0.66 - 0.05,
        caption,
        ha="center",
        va="top",
        fontsize=6,
        color="white" if dark else "#111",
    )


def _add_map_colour_bar_and_legend(
    fig: Any,
    ax: Any,
    norm: Any,
    cmap: Any,
    labels: list[str],
    names: dict[str, str],
    t: texts.Texts,
) -> None:
    """The shading's colour bar (whole numbers), the pies' legend below, the outline credit."""
    from matplotlib import cm
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    mappable = cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, fraction=0.035, pad=0.01)
    bar.set_label(t("chart.map_bar"))
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    handles = [Patch(facecolor=colour_of(k), label=names.get(k, k)) for k in labels if k != NO_SVI]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        fontsize=7,
        frameon=False,
        title=t("chart.map_legend"),
        title_fontsize=7,
    )
    ax.text(16.0, 47.0, t("chart.map_outlines"), fontsize=6, ha="right", color="#666")


MOVE_COLOURS = {"up": "#a61b1b", "down": "#1b6aa6", "new": "#7fb069", "gone": "#b8b8b8"}


def land_moves_png(
    moves: dict[str, dict[str, int]],
    kinds: dict[str, str],
    land_names: dict[str, str],
    title: str,
    language: str | None = None,
) -> bytes:
    """Horizontal stacked bars: the quarter's intensity moves per Land, by kind."""
    t = texts.Texts(language)
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    lands = sorted(moves, key=lambda s: land_names.get(s, s), reverse=True)
    fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.32 * max(1, len(lands))))
    left = [0] * len(lands)
    labels = [land_names.get(s, s) for s in lands]
    for kind, name in kinds.items():
        values = [moves[land].get(kind, 0) for land in lands]
        if not any(values):
            continue
        ax.barh(
            labels,
            values,
            left=left,
            height=0.6,
            color=MOVE_COLOURS.get(kind, _FALLBACK_COLOUR),
            label=name,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel(t("chart.moves_axis"))
    ax.set_title(t("chart.moves_title", period=title), fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def intensity_history_png(
    history: list[tuple[str, dict[str, int]]],
    labels: list[str],
    names: dict[str, str],
    language: str | None = None,
) -> bytes:
    """Stacked bars: initiatives per intensity label in each quarter."""
    t = texts.Texts(language)
    plt = _pyplot()
    quarters = [q for q, _ in history]
    extra = sorted({k for _, counts in history for k in counts} - set(labels))
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    bottom = [0] * len(history)
    for label in [*labels, *extra]:
        values = [counts.get(label, 0) for _, counts in history]
        if not any(values):
            continue
        ax.bar(
            quarters, values, bottom=bottom, color=colour_of(label), label=names.get(label, label)
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel(t("chart.initiatives"))
    ax.set_title(t("chart.history_title"), fontsize=10)
    if any(bottom):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, t("chart.history_empty"), transform=ax.transAxes, ha="center")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def confusion_png(
    suggested: list[str],
    decided: list[str],
    counts: list[list[int]],
    names: dict[str, str],
    language: str | None = None,
) -> bytes:
    """Heat map: suggested intensity (rows) against the reviewers' decision (columns)."""
    t = texts.Texts(language)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.8, 5.0))
    ax.imshow(counts, cmap="Purples", aspect="auto", vmin=0, vmax=max([1, *map(max, counts)]))
    short = {k: names.get(k, k) for k in [*suggested, *decided]}
    short["rejected"] = t("chart.rejected")
    ax.set_xticks(
        range(len(decided)), [_wrap(short[k]) for k in decided], fontsize=6, rotation=45, ha="right"
    )
    ax.set_yticks(range(len(suggested)), [_wrap(short[k]) for k in suggested], fontsize=6)
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                dark = value > 0.6 * max(map(max, counts))
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xlabel(t("chart.confusion_x"))
    ax.set_ylabel(t("chart.confusion_y"))
    ax.set_title(t("chart.confusion_title"), fontsize=10)
    return _png(fig)


def _wrap(text: str, width: int = 24) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
