"""The fixed vocabulary of the label files and where the packaged files live.

The loaders (``clusters.py``, ``taxonomy.py``) and their checks (``validation.py``) all need
these; keeping them here, importing neither, lets the loaders import the checks at the top.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DIMENSION_KEYS = ("intensity", "function_logic", "application_fields", "svi_domains")
NO_SVI_RELEVANCE = "no_svi_relevance"


def default_taxonomy_path() -> Path:
    """The taxonomy file shipped with the package."""
    return Path(str(resources.files("clusterradar.labels").joinpath("data", "taxonomy.yaml")))


# Registry slug -> German name: the one list of the 16 Länder every stage uses.
BUNDESLAND_NAMES: dict[str, str] = {
    "baden-wuerttemberg": "Baden-Württemberg",
    "bayern": "Bayern",
    "berlin": "Berlin",
    "brandenburg": "Brandenburg",
    "bremen": "Bremen",
    "hamburg": "Hamburg",
    "hessen": "Hessen",
    "mecklenburg-vorpommern": "Mecklenburg-Vorpommern",
    "niedersachsen": "Niedersachsen",
    "nordrhein-westfalen": "Nordrhein-Westfalen",
    "rheinland-pfalz": "Rheinland-Pfalz",
    "saarland": "Saarland",
    "sachsen": "Sachsen",
    "sachsen-anhalt": "Sachsen-Anhalt",
    "schleswig-holstein": "Schleswig-Holstein",
    "thueringen": "Thüringen",
}
BUNDESLAENDER = tuple(BUNDESLAND_NAMES)


def default_clusters_path() -> Path:
    """The labelled-clusters file shipped with the package."""
    return Path(str(resources.files("clusterradar.labels").joinpath("data", "clusters.yaml")))


def default_svi_lexicon_path() -> Path:
    """The SVI lexicon shipped with the package (the pipeline matches it; data owned here)."""
    return Path(str(resources.files("clusterradar.labels").joinpath("data", "svi_lexicon.yaml")))


def default_technology_lexicon_path() -> Path:
    """The technology lexicon shipped with the package (same schema; families in models/axes.py)."""
    return Path(
        str(resources.files("clusterradar.labels").joinpath("data", "technology_lexicon.yaml"))
    )
