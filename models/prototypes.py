"""Category prototypes: embedded taxonomy descriptions, so every category is reachable.

Only levels 1, 3 and 4 of the intensity scale have labelled examples; the taxonomy's own words
for each category (German label + description) give levels 2 and 5 — and every thematic
category — a point in embedding space that passages can be compared with.

The intensity categories' `examples` name labelled clusters (e.g. "Photonics BW e. V."); using
them would leak the held-out cluster's label into its own prototype during leave-one-out, so
intensity prototypes use label and description only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from clusterradar.labels import NO_SVI_RELEVANCE, load_taxonomy

# The paper's own definition of the SVI sectors (footnote 4): what "security relevant" means
# when the gate asks whether a cluster shows any SVI signal at all.
SVI_SECTORS_TEXT = (
    "Sicherheits- und Verteidigungsindustrie: Wehrtechnik und Rüstung (Land, Luft und See), "
    "Cybersecurity und Kryptographie, Luft- und Raumfahrt sowie satellitengestützte Dienste, "
    "KRITIS-Technologien, CBRN-Gefahrenabwehr, Sensorik, Lagebilder und Frühwarnsysteme sowie "
    "taktische Kommunikations-, Führungs- und Einsatzsysteme."
)

INTENSITY = "intensity"
THEMATIC_DIMENSIONS = ("function_logic", "application_fields", "svi_domains")
_OURS = re.compile(r"^\s*Clusterradar:\s*")


@dataclass(slots=True)
class Prototype:
    """One category's reference vector and the words it was made from (shown in evidence)."""

    dimension: str
    key: str
    label_de: str
    level: int | None
    texts: list[str]
    vector: np.ndarray


def prototype_texts(dimension: str) -> list[tuple[str, str, int | None, list[str]]]:
    """(key, label_de, level, texts) per category of `dimension`, without no_svi_relevance."""
    found = []
    for category in load_taxonomy().dimension(dimension).categories:
        if category.key == NO_SVI_RELEVANCE:
            continue
        description = _OURS.sub("", category.description or "").strip()
        texts = [category.label_de]
        if description:
            texts.append(f"{category.label_de}: {description}")
        if dimension != INTENSITY:
            texts.extend(example for example in category.examples if example)
        found.append((category.key, category.label_de, category.level, texts))
    return found


def build_prototypes(dimension: str, encode) -> list[Prototype]:
    """Embed each category's texts with `encode(list[str]) -> (n, d)` and average them."""
    rows = prototype_texts(dimension)
    flat = [text for _, _, _, texts in rows for text in texts]
    vectors = np.asarray(encode(flat), dtype=np.float32)
    out, start = [], 0
    for key, label, level, texts in rows:
        vector = vectors[start : start + len(texts)].mean(axis=0)
        start += len(texts)
        out.append(Prototype(dimension, key, label, level, texts, unit(vector)))
    return out


def unit(vector: np.ndarray) -> np.ndarray:
    """L2-normalised copy (zero vectors stay zero)."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def prototype_matrix(prototypes: list[Prototype]) -> np.ndarray:
    return np.stack([p.vector for p in prototypes]).astype(np.float32)
