"""The quarterly stage: run a quarter end to end, diff two quarters, write the change report."""

# Imported as `quarterly` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.quarterly":
    raise ImportError(
        "import clusterradar.quarterly, not quarterly: "
        "the stage folders install as subpackages of clusterradar"
    )
