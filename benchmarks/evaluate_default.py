"""How long `clusterradar evaluate` of the default model takes (issue 18: under 60 s on 2 cores).

``python -m benchmarks.evaluate_default [--documents FILE]``. Prints the wall time of the whole
leave-one-out run of the production model (``--models axes``, no warehouse) split into the
text preparation (passages, technology matching, embeddings, features) and the folds, next to
the 60 s target. A benchmark, not a timed test: the machine's load moves the numbers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def measure(documents: Path | None = None) -> dict[str, float | int | str]:
    """Seconds of the whole leave-one-out run, split into preparation and folds."""
    from clusterradar.models import evaluate as evaluation
    from clusterradar.settings import load_settings

    absent = Path(tempfile.mkdtemp()) / "absent.duckdb"
    settings = load_settings(overrides={"db": absent})
    started = time.perf_counter()
    inputs, _ = evaluation.prepare(settings, documents)
    prepared = time.perf_counter()
    evaluation.run_axes(inputs)
    folds = time.perf_counter()
    return {
        "seconds": round(folds - started, 2),
        "prepare_s": round(prepared - started, 2),
        "folds_s": round(folds - prepared, 2),
        "clusters": len(inputs.keys),
        "text": "documents" if documents else "table text",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=Path, default=None)
    args = parser.parse_args()
    found = measure(args.documents)
    total = float(found["seconds"])
    print(
        f"evaluate axes on {found['clusters']} clusters ({found['text']}): "
        f"{total:.1f} s (prepare {found['prepare_s']:.1f} s, folds {found['folds_s']:.1f} s); "
        f"target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'missed'}; "
        f"{os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
