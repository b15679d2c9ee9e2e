"""How often the thematic scorer's top category is one the annotation gives the cluster.

The paper labels intensity only; the thematic dimensions (function logic, fields of
application, SVI domains) are judged against Clusterradar's own annotation of the labelled
clusters (``labels/data/thematic_annotations.yaml``, record 10), which trains nothing. The
metric is precision at 1 per dimension: the top-1 category by raw score is a hit when the
annotation lists it. Raw scores need no leave-one-out: their only fitted parameter, the sigmoid
centre, is shared by a dimension's categories and cannot change their order, and evaluation
uses no reviewed labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from clusterradar.models import metrics as m
from clusterradar.models.features import ClusterFeatures
from clusterradar.models.thematic import ThematicScorer

__all__ = ["ThematicDimensionScores", "evaluate_thematic"]


@dataclass(frozen=True, slots=True)
class ThematicDimensionScores:
    """Precision at 1 of one thematic dimension, with the oracle baseline beside it."""

    dimension: str
    precision_at_1: m.Interval
    hits: int
    n: int
    unannotated: tuple[str, ...]  # clusters the annotation gives no category here (left out)
    most_frequent: str  # the dimension's most often annotated category
    most_frequent_precision: m.Interval  # "always most_frequent": reads the annotation
    top1: dict[str, str]  # cluster -> top-1 category

    def as_dict(self) -> dict:
        return {
            "precision_at_1": self.precision_at_1.as_dict(),
            "hits": self.hits,
            "n": self.n,
            "unannotated": list(self.unannotated),
            "most_frequent": self.most_frequent,
            "most_frequent_precision": self.most_frequent_precision.as_dict(),
            "top1": self.top1,
        }


def evaluate_thematic(
    scorer: ThematicScorer,
    features: Mapping[str, ClusterFeatures],
    annotations: Mapping[str, Mapping[str, list[str]]],
) -> list[ThematicDimensionScores]:
    """Per dimension of the scorer: top-1 hits of ``features`` (cluster -> held-out features)
    against ``annotations`` (cluster -> dimension -> annotated categories). Clusters without an
    annotation entry are ignored; an empty category list leaves the cluster out of that
    dimension (and it is listed as unannotated)."""
    out = []
    for dimension in scorer.prototypes:
        top1, hits, n, unannotated = {}, 0, 0, []
        counts: Counter[str] = Counter()
        annotated: list[list[str]] = []
        for key, feature in features.items():
            if key not in annotations:
                continue
            gold = list(annotations[key].get(dimension, []))
            if not gold:
                unannotated.append(key)
                continue
            raw = scorer.raw_scores(dimension, feature)
            best = max(sorted(raw), key=raw.__getitem__)  # ties: alphabetical, reproducible
            top1[key] = best
            hits += best in gold
            n += 1
            counts.update(gold)
            annotated.append(gold)
        frequent = min(counts, key=lambda c: (-counts[c], c)) if counts else ""
        frequent_hits = sum(frequent in gold for gold in annotated)
        out.append(
            ThematicDimensionScores(
                dimension=dimension,
                precision_at_1=m.wilson_interval(hits, n),
                hits=hits,
                n=n,
                unannotated=tuple(unannotated),
                most_frequent=frequent,
                most_frequent_precision=m.wilson_interval(frequent_hits, n),
                top1=top1,
            )
        )
    return out
