"""review stage."""

# Imported as `review` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.review":
    raise ImportError(
        "import clusterradar.review, not review: "
        "the stage folders install as subpackages of clusterradar"
    )
