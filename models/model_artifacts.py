"""Versioned model artefacts in the warehouse, without pickle.

A trained :class:`~clusterradar.models.cluster_model.ClusterModel` is numbers and words: its
arrays go into one ``.npz`` BLOB (numeric and fixed-width string arrays only, read back with
``allow_pickle=False`` so a tampered row cannot execute code) and everything else into JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clusterradar.errors import ModelError
from clusterradar.models.cluster_model import ClusterModel
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.model_artifacts import artifact_by_hash, insert_artifact


@dataclass(slots=True)
class StoredModel:
    """A model with its identity: version, training-data hash and how it was made."""

    model_version: str
    created_at: dt.datetime
    training_data_hash: str
    classifier: str
    embedding_model: str
    n_examples: int
    code_version: str
    model: ClusterModel


def pack_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    safe = {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype == object:
            array = array.astype(str)
        safe[name] = array
    np.savez_compressed(buffer, **safe)
    return buffer.getvalue()


def unpack_arrays(blob: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (ValueError, OSError) as exc:
        raise ModelError(
            f"model artefact is unreadable ({exc}); retrain with 'clusterradar train'"
        ) from exc


def save_model(db_path: Path, stored: StoredModel) -> None:
    arrays, params = stored.model.to_arrays()
    with connect(db_path) as con, transaction(con):
        insert_artifact(
            con,
            model_version=stored.model_version,
            created_at=stored.created_at,
            training_data_hash=stored.training_data_hash,
            classifier=stored.classifier,
            embedding_model=stored.embedding_model,
            n_examples=stored.n_examples,
            params_json=json.dumps(params, ensure_ascii=False),
            arrays_blob=pack_arrays(arrays),
            code_version=stored.code_version,
        )


def _from_row(row) -> StoredModel:
    version, created, data_hash, classifier, embedding, n, params, blob, code = row
    model = ClusterModel.from_arrays(unpack_arrays(bytes(blob)), json.loads(params))
    return StoredModel(version, created, data_hash, classifier, embedding, int(n), code, model)


def load_model_by_hash(
    db_path: Path, training_data_hash: str, code_version: str
) -> StoredModel | None:
    """The newest artefact trained on exactly this input by this code version, or None."""
    with connect(db_path, read_only=True) as con:
        row = artifact_by_hash(con, training_data_hash, code_version)
    return _from_row(row) if row else None
