"""Data that could have been tampered with is never unpickled or turned into Python objects.

A model artefact is a BLOB in the warehouse and a lexicon is a YAML file a user may be sent:
both are read as data only. Each test carries a payload that *would* run code (it creates a
folder) and first shows that the payload is live with an unsafe reader, so the test fails if
the safe reading ever becomes unsafe.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from clusterradar.errors import LabelValidationError, ModelError


class _MakesAFolder:
    """Unpickling this calls os.mkdir(path)."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (str(self.path),))


def _artefact_with_payload(path: Path) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.array([1.0, 2.0]), evil=np.array([_MakesAFolder(path)]))
    return buffer.getvalue()


def test_a_model_artefact_carrying_a_pickle_is_refused_without_running_it(tmp_path):
    from clusterradar.models.model_artifacts import unpack_arrays

    live = tmp_path / "live"
    with np.load(io.BytesIO(_artefact_with_payload(live)), allow_pickle=True) as data:
        data["evil"]  # the unsafe reader runs the payload
    assert live.is_dir()

    target = tmp_path / "pwned"
    with pytest.raises(ModelError, match="unreadable"):
        unpack_arrays(_artefact_with_payload(target))
    assert not target.exists()


def test_a_lexicon_with_a_python_tag_is_refused_without_running_it(tmp_path):
    from clusterradar.pipeline.lexicon import parse_lexicon

    live, target = tmp_path / "live", tmp_path / "pwned"
    yaml.unsafe_load(f"x: !!python/object/apply:os.mkdir ['{live}']")
    assert live.is_dir()

    text = f"terms:\n  - !!python/object/apply:os.mkdir ['{target}']\n"
    with pytest.raises(LabelValidationError, match="invalid YAML"):
        parse_lexicon(text)
    assert not target.exists()
