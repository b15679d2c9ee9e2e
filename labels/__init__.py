"""The paper's typology (Table 1) and hand-labelled clusters (Table 2) as validated data.

Everything else in Clusterradar names categories by the stable keys defined here.
"""

# Imported as `labels` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.labels":
    raise ImportError(
        "import clusterradar.labels, not labels: "
        "the stage folders install as subpackages of clusterradar"
    )

from clusterradar.labels.clusters import LabelledCluster, label_files_hash, load_labelled_clusters
from clusterradar.labels.schema import (
    BUNDESLAENDER,
    DIMENSION_KEYS,
    NO_SVI_RELEVANCE,
    default_clusters_path,
    default_taxonomy_path,
)
from clusterradar.labels.taxonomy import Category, Dimension, Taxonomy, load_taxonomy
from clusterradar.labels.validation import validate_label_files

__all__ = [
    "BUNDESLAENDER",
    "DIMENSION_KEYS",
    "NO_SVI_RELEVANCE",
    "Category",
    "Dimension",
    "LabelledCluster",
    "Taxonomy",
    "default_clusters_path",
    "default_taxonomy_path",
    "label_files_hash",
    "load_labelled_clusters",
    "load_taxonomy",
    "validate_label_files",
]
