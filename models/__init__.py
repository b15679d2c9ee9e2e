"""models stage."""

# Imported as `models` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.models":
    raise ImportError(
        "import clusterradar.models, not models: "
        "the stage folders install as subpackages of clusterradar"
    )
