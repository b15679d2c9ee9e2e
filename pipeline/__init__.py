"""Text pipeline: extraction, German NLP, the SVI lexicon, passages and embeddings.

Flat modules, imported lazily by callers (spaCy, trafilatura and torch are heavy):
``extract`` / ``boilerplate`` / ``language`` (pages → text), ``nlp`` (spaCy pipeline),
``passages`` (text → passages), ``lexicon`` (SVI terms), ``embed`` (embedders and their cache),
``documents`` (JSON-lines input), ``store`` (passages as the models read them), ``run``
(``process_pending`` over the warehouse). Speed is measured by ``python -m benchmarks``.
"""

# Imported as `pipeline` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.pipeline":
    raise ImportError(
        "import clusterradar.pipeline, not pipeline: "
        "the stage folders install as subpackages of clusterradar"
    )
