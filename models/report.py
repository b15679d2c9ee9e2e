"""The readable evaluation report and its confusion-matrix image."""

from __future__ import annotations

from pathlib import Path

from clusterradar.models.evaluate import EvaluationReport, Scores
from clusterradar.models.intensity import LEVELS


def _ci(interval, digits: int = 2) -> str:
    return f"{interval.value:.{digits}f} [{interval.low:.{digits}f}, {interval.high:.{digits}f}]"


def render_text(report: EvaluationReport) -> str:
    missing = "crawled pages" if report.mode == "crawled pages only" else "documents in the file"
    lines = [
        "Clusterradar evaluation: leave-one-cluster-out, intensity levels 1..5",
        f"text: {report.mode}; labels from {report.source}; embeddings: {report.embedding_model}",
        f"clusters evaluated: {report.n_clusters}; skipped (no {missing}): {len(report.skipped)}",
    ]
    share = report.as_dict()["majority_share_all"]
    if share is not None:
        lines.append(f"majority class share over all clusters (not leave-one-out): {share:.2f}")
    lines.append("")
    names = ("accuracy", "macro-F1", "MAE", "within-1", "QWK", "Brier")
    header = f"{'model':<17} " + " ".join(f"{n:<19}" for n in names) + " coverage@0.9P"
    lines.append(header)
    for name, s in report.results.items():
        lines.append(
            f"{name:<17} {_ci(s.accuracy):<19} {_ci(s.macro_f1):<19} {_ci(s.mae):<19} "
            f"{_ci(s.within_one):<19} "
            f"{_ci(s.qwk):<20} {_ci(s.brier):<19} {_ci(s.coverage_at_90_precision)}"
        )
    lines.append("")
    for name, description in report.descriptions.items():
        lines.append(f"  {name}: {description}")
    for name, s in report.results.items():
        lines.extend(
            ["", f"{name}: confusion matrix (rows true level, columns predicted level 1..5)"]
        )
        lines.append("      " + " ".join(f"{level:>3}" for level in LEVELS))
        for level, row in zip(LEVELS, s.confusion_matrix, strict=True):
            lines.append(f"  {level:>3} " + " ".join(f"{v:>3}" for v in row))
        lines.append(
            "  per class: "
            + "; ".join(
                f"L{r.label} P={r.precision:.2f} R={r.recall:.2f} F1={r.f1:.2f} (n={r.support})"
                for r in s.per_class
                if r.support
            )
        )
        if s.fold_choices:
            lines.append(
                "  inner CV picked (outer folds): "
                + ", ".join(f"{k} ×{v}" for k, v in s.fold_choices.items())
            )
    if report.gate:
        g = report.gate
        lines.extend(
            [
                "",
                f"no-SVI gate (relevance 1-(1-T)(1-S) < {g.threshold:.3f}, {g.threshold_source}; "
                f"level-5 floor S < {g.security_floor:.3f}; {g.n_civil_examples} civil training "
                "examples)",
                f"  labelled clusters kept (held out): {_ci(g.labelled_kept)}"
                + (
                    "; gated: " + ", ".join(f"{k} ({v:.2f})" for k, v in g.labelled_gated.items())
                    if g.labelled_gated
                    else ""
                ),
            ]
        )
        if g.roc_auc is not None:
            lines.append(f"  ROC-AUC of relevance, labelled vs civil sets: {g.roc_auc:.3f}")
        for gate_set in g.sets:
            lines.append(
                f"  {gate_set.name}: {gate_set.expect} {_ci(gate_set.correct)} of {gate_set.n}"
                + (
                    "; wrong side: "
                    + ", ".join(f"{k} ({v:.2f})" for k, v in gate_set.wrong.items())
                    if gate_set.wrong
                    else ""
                )
            )
    if report.thematic:
        lines.extend(
            [
                "",
                "thematic suggestions: precision at 1 against Clusterradar's annotation "
                "(labels/data/thematic_annotations.yaml; top-1 category by raw score)",
            ]
        )
        for t in report.thematic:
            lines.append(
                f"  {t.dimension:<19} {_ci(t.precision_at_1):<19} hits {t.hits}/{t.n}; "
                f"always '{t.most_frequent}' (reads the annotation): "
                f"{_ci(t.most_frequent_precision)}"
                + (f"; no category annotated: {len(t.unannotated)}" if t.unannotated else "")
            )
    if report.notes:
        lines.extend(["", *report.notes])
    return "\n".join(lines) + "\n"


def write_confusion_png(scores: Scores, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(scores.confusion_matrix, cmap="Blues")
    ax.set_xticks(range(len(LEVELS)), [str(level) for level in LEVELS])
    ax.set_yticks(range(len(LEVELS)), [str(level) for level in LEVELS])
    ax.set_xlabel("predicted level")
    ax.set_ylabel("true level")
    ax.set_title(title, fontsize=9)
    for i, row in enumerate(scores.confusion_matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
