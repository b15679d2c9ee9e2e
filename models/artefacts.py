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
    from clusterradar.warehouse import connect, query, transaction

    arrays, params = stored.model.to_arrays()
    with connect(db_path) as con, transaction(con):
        con.execute(
            query("models_insert_artifact"),
            [
                stored.model_version,
                stored.created_at,
                stored.training_data_hash,
                stored.classifier,
                stored.embedding_model,
                stored.n_examples,
                json.dumps(params, ensure_ascii=False),
                pack_arrays(arrays),
                stored.code_version,
            ],
        )


def _from_row(row) -> StoredModel:
    version, created, data_hash, classifier, embedding, n, params, blob, code = row
    model = ClusterModel.from_arrays(unpack_arrays(bytes(blob)), json.loads(params))
    return StoredModel(version, created, data_hash, classifier, embedding, int(n), code, model)


def load_model_by_hash(
    db_path: Path, training_data_hash: str, code_version: str
) -> StoredModel | None:
    """The newest artefact trained on exactly this input by this code version, or None."""
    from clusterradar.warehouse import connect, query

    with connect(db_path, read_only=True) as con:
        row = con.execute(
            query("models_artifact_by_hash"), [training_data_hash, code_version]
        ).fetchone()
    return _from_row(row) if row else None


def load_latest_model(db_path: Path) -> StoredModel | None:
    from clusterradar.warehouse import connect, query

    with connect(db_path, read_only=True) as con:
        row = con.execute(query("models_latest_artifact")).fetchone()
    return _from_row(row) if row else None
