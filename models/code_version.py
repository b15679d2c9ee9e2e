"""Which version of the code made a model: a content hash of the files that decide it.

Light on purpose (no numpy, no scikit-learn): an unchanged quarterly run asks for it before it
knows whether any model is needed at all (:mod:`clusterradar.models.classify`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

from clusterradar import __version__

# The packages whose code or data decide what a model learns and suggests (name, with its
# subfolders): the labels and their data files, the text pipeline and the models. Not the
# crawler, warehouse, review app, reports or the core's CLI and text catalogue: a commit there
# changes no model (the settings' values are part of the inputs' fingerprint instead).
MODEL_CODE_PACKAGES = (
    ("clusterradar.labels", True),
    ("clusterradar.pipeline", True),
    ("clusterradar.models", True),
)
_CODE_SUFFIXES = frozenset({".py", ".yaml", ".yml", ".json", ".txt", ".sql"})


def code_version_of(packages: tuple[tuple[str, bool], ...]) -> str:
    """clusterradar's version plus a content hash of the packages' code and data files."""
    digest = hashlib.sha256()
    for package, recursive in packages:
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            root = Path(folder)
            found = root.rglob("*") if recursive else root.glob("*")
            files = [
                path
                for path in found
                if path.suffix in _CODE_SUFFIXES
                and path.is_file()
                and "__pycache__" not in path.parts
            ]
            for path in sorted(files):
                digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    return f"{__version__}+src.{digest.hexdigest()[:12]}"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The version of the code that makes models (:data:`MODEL_CODE_PACKAGES`), by content.

    A content hash rather than the git commit: any commit (a docs fix, the review app) used to
    retrain the model and void every reuse, and uncommitted edits of the model went unnoticed.
    Now an artefact is reused exactly as long as the files that make it are byte-identical.
    """
    return code_version_of(MODEL_CODE_PACKAGES)
