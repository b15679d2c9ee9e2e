"""Storage of trained model artefacts (table ``model_artifacts``, migration 0005).

Rows only: (de)serialising the model (arrays as ``.npz``, never pickle; parameters as JSON) is
the job of ``clusterradar.models.model_artifacts`` (module and table spell the word alike).
Functions take an open connection; the caller chooses the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clusterradar.warehouse.db import query


def insert_artifact(
    con: Any,
    *,
    model_version: str,
    created_at: dt.datetime,
    training_data_hash: str,
    classifier: str,
    embedding_model: str,
    n_examples: int,
    params_json: str,
    arrays_blob: bytes,
    code_version: str,
) -> None:
    con.execute(
        query("models_insert_artifact"),
        [
            model_version,
            created_at,
            training_data_hash,
            classifier,
            embedding_model,
            n_examples,
            params_json,
            arrays_blob,
            code_version,
        ],
    )


def artifact_by_hash(con: Any, training_data_hash: str, code_version: str) -> tuple | None:
    """The newest row for exactly this training input and code version (all columns, in table
    order), or None."""
    return con.execute(
        query("models_artifact_by_hash"), [training_data_hash, code_version]
    ).fetchone()


def artifact_version(con: Any, training_data_hash: str, code_version: str) -> str | None:
    """The version :func:`artifact_by_hash` would return, without reading the arrays."""
    row = con.execute(
        query("models_artifact_version"), [training_data_hash, code_version]
    ).fetchone()
    return row[0] if row else None
